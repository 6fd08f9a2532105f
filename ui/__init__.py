"""The page's parts, drawn from ``app.py`` top to bottom.

``keys`` names every structured widget key; ``params`` draws one parameter input
from its descriptor; ``setup`` loads a state into the widgets (first visit, lessons,
clicks); ``sidebar`` and ``racer`` draw the controls and return a RunConfig;
``stage`` the title, presentation mode and view tabs; ``lesson_panel``,
``race_view``, ``hyper_views``, ``inspector`` and ``downloads`` the rest of the
page; ``sanitize`` says what a widget may hold and resets what a modified client
put in one. ``keys`` and ``sanitize`` are plain Python (no Streamlit; tests import
them); the other modules draw.
"""
