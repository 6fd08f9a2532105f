"""The page's parts, drawn from ``app.py`` top to bottom.

``keys`` names every structured widget key; ``params`` draws one parameter input
from its descriptor; ``setup`` loads a state into the widgets (first visit, lessons,
clicks); ``sidebar`` and ``racer`` draw the controls and return a RunConfig;
``stage`` the title, presentation mode and view tabs; ``lesson_panel``,
``race_view``, ``hyper_views``, ``inspector`` and ``downloads`` the rest of the
page; ``sanitize`` resets what a modified client put in a widget. Only the
drawing modules import Streamlit; ``keys``, ``params``' value helpers and
``sanitize`` are plain Python (tests import them).
"""
