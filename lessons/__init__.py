"""Classroom lessons: a configuration, a text, and claims that are checked.

``content`` holds the lessons (``LESSONS``, in the order the app lists them) and
the ``Lesson`` record; ``network`` the lessons on a real network's training (``training.lesson``, opening the
training view; ``check`` runs them with their own claims); ``claims`` holds the claim kinds, one small documented
function each in ``KINDS``, and ``check``, which runs a lesson and measures every
claim. A test runs every lesson and fails when a claim does not hold, and
``cli.py lesson KEY`` prints the verdicts.

Pure: no Streamlit, no Plotly.
"""
from .claims import KINDS, Claim, Evidence, Kind, Verdict, check, measure, measure_over_seeds
from .content import LESSONS, Lesson, RacerPreset
from .runs import article_printout, captioned, heading, lesson_results, race_table
from .network import NETWORK_LESSONS, NetworkLesson

LESSONS.update(NETWORK_LESSONS)   # the network lessons last in the menu (they open "Train a network")

__all__ = ["KINDS", "LESSONS", "NETWORK_LESSONS", "Claim", "Evidence", "Kind", "Lesson", "NetworkLesson",
           "RacerPreset", "Verdict", "article_printout", "captioned", "check", "heading", "lesson_results",
           "measure", "measure_over_seeds", "race_table"]
