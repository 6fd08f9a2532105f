"""A lesson's run as the page and the checker show it: both races of a lesson that
draws two (every label saying which), its results table, and the article's printout.

Pure: no Streamlit, no Plotly.
"""
from __future__ import annotations

from dataclasses import replace

import results as results_mod
from config import RunConfig


def lesson_results(lesson, seed: int = 0) -> list[dict]:
    """The lesson's run (with ``seed``) and, after it, its companion race's racers, each
    label saying which race (``adam lr=0.1 at 45°``)."""
    res = results_mod.run_results(replace(lesson.run_config(), seed=seed))
    if not lesson.companion:
        return res
    other = results_mod.run_results(replace(lesson.companion_config(), seed=seed))
    return captioned(res, lesson.captions[0]) + captioned(other, lesson.captions[1])


def captioned(results: list[dict], caption: str) -> list[dict]:
    """Copies of a race's results whose labels name the race: ``gd lr=0.5 at 0°``."""
    return [{**r, "label": f"{r['label']} at {caption}"} for r in results]


def race_table(lesson, run: RunConfig, race: list[dict],
               companion: RunConfig | None = None, companion_race: list[dict] | None = None) -> list[dict]:
    """The results table's rows: ``results.results_table`` of the race, and for a lesson that
    draws two races, of both, every row's racer saying which race (``adam lr=0.1 at 45°``)."""
    if lesson is None or companion is None or companion_race is None or len(lesson.captions) < 2:
        return results_mod.results_table(run, race)
    return (results_mod.results_table(run, captioned(race, lesson.captions[0]))
            + results_mod.results_table(companion, captioned(companion_race, lesson.captions[1])))


def article_printout(run: RunConfig, results: list[dict]) -> dict[str, list[str]]:
    """Each racer's run as the article's loop prints it, line for line:
    ``print(f"Step {i}: Weight = {w}")`` after the i-th update, i = 0, 1, …, so ``Step 0`` is the
    weight after the first step, with Python's own digits (``repr``: 0.3435973836800001). A run
    that stopped early ends with a line saying so (the article's loop would go on printing)."""
    out = {}
    for r in results:
        w = r["positions"][1:run.steps + 1, 0]
        lines = [f"Step {i}: Weight = {float(v)}" for i, v in enumerate(w)]
        if len(w) < run.steps:  # the engine counts updates from 1: its step k is the article's Step k − 1
            at = f", the article's Step {r['stopped_at'] - 1}" if r["stopped_at"] >= 1 else ""
            lines.append(f"(then the run stopped: {results_mod.status_text(r)}{at})")
        out[r["label"]] = lines
    return out


def heading(title: str) -> str:
    """A lesson's title as the first sentence of its panel: a full stop added unless the title
    already ends a sentence (``Does gradient descent oscillate at a saddle point?``)."""
    return title if title.rstrip().endswith((".", "?", "!")) else f"{title}."
