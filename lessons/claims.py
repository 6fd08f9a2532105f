"""The claims a lesson makes about its run, and the checker that measures them.

A claim is data (``Claim``): a kind, the racer(s) it is about (1-based) and a
threshold. Each kind is one small function registered in ``KINDS`` under its
name: given the claim and the racers' results it returns what it measured (as
text) and whether the claim holds; beside it, the sentence the lesson shows.
Every kind's docstring says what it measures and how the claim can fail, and
``tests/test_claims.py`` shows each verdict flip. ``check`` runs a lesson and
measures all its claims.

Pure: no Streamlit, no Plotly.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

import experiments
import landscapes
import theory

from engine import STOPPED  # the statuses of a run that left before its last step


@dataclass(frozen=True)
class Claim:
    """One checkable statement about a lesson's run.

    ``racer`` (and ``other``) are 1-based racer numbers. ``kind`` picks the
    measurement (a key of ``KINDS``); ``value`` is its threshold, ``axis`` a
    coordinate (0 = x, 1 = y), ``after`` a first step, ``values`` exact numbers,
    ``what`` a name (the kind of minimum for ``ends_in``), ``seeds`` (> 0) makes it a
    claim about noisy runs, measured on each of seeds 0 … seeds − 1 (``check``).
    """

    kind: str
    racer: int
    value: float = 0.0
    other: int = 0
    axis: int = 0
    after: int = 0
    values: tuple = ()
    what: str = ""
    seeds: int = 0   # > 0: a claim about noisy runs, measured on each of seeds 0 … seeds − 1

    def seeds_text(self) -> str:
        """What a claim about noisy runs adds to its text: the seeds it holds for."""
        return f", with each of the {self.seeds} noise seeds 0–{self.seeds - 1}" if self.seeds else ""

    @property
    def xy(self) -> str:
        """The coordinate's name, "x" or "y"."""
        return "xy"[self.axis]

    def text(self, labels: list[str]) -> str:
        """The sentence the lesson shows, with the racers' labels."""
        return (KINDS[self.kind].text(self, labels[self.racer - 1], labels[self.other - 1] if self.other else "")
                + self.seeds_text())


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    text: str
    measured: str
    holds: bool


@dataclass(frozen=True)
class Evidence:
    """What a claim is measured on: its racer's results, the other racer's (when it names one),
    the surface and the radius within which a run has reached a minimum."""

    r: dict
    o: dict | None
    surface: landscapes.Surface
    radius: float


Measure = Callable[[Claim, Evidence], tuple[str, bool]]


@dataclass(frozen=True)
class Kind:
    """A claim kind: its sentence (from the claim and the racers' labels) and its measurement."""

    name: str
    text: Callable[[Claim, str, str], str]
    measure: Measure

    @property
    def doc(self) -> str:
        return self.measure.__doc__ or ""


KINDS: dict[str, Kind] = {}


def kind(text: Callable[[Claim, str, str], str]) -> Callable[[Measure], Measure]:
    """Register the decorated function in ``KINDS`` under its name, with its sentence ``text(claim,
    racer label, other label)``."""
    def register(fn: Measure) -> Measure:
        KINDS[fn.__name__] = Kind(fn.__name__, text, fn)
        return fn
    return register


def measure(claim: Claim, results: list[dict], surface: landscapes.Surface,
            radius: float) -> tuple[str, bool]:
    """The measured value of a claim (as text) and whether the claim holds."""
    if claim.kind not in KINDS:
        raise ValueError(f"unknown claim kind {claim.kind!r}")
    e = Evidence(results[claim.racer - 1], results[claim.other - 1] if claim.other else None, surface, radius)
    return KINDS[claim.kind].measure(claim, e)


# --- helpers --------------------------------------------------------------------

def _coord(r: dict, axis: int) -> np.ndarray:
    return r["positions"][:, axis]


def _sign_changes(v: np.ndarray) -> int:
    """How often the sign flips, zeros skipped."""
    s = np.sign(v[v != 0])
    return int(np.count_nonzero(s[1:] != s[:-1]))


def _status(r: dict) -> str:
    """How a run ended, in words: ``diverged at step 18``, ``ran every step``."""
    import results as results_mod
    return results_mod.status_text(r)


def _converged(r: dict) -> str:
    return f"converged at step {r['converged_at']}" if r["converged_at"] >= 0 else "never converged"


def _peak_after(c: Claim, r: dict) -> tuple[str, float, bool]:
    v = np.abs(_coord(r, c.axis)[c.after:])
    peak = float(v.max()) if v.size else float("nan")
    return f"largest |{c.xy}| {peak:.4g}", peak, bool(v.size)


def _first_step_ratio(r: dict) -> float:
    d = np.abs(r["positions"][1] - r["positions"][0]) if len(r["positions"]) > 1 else np.zeros(2)
    return float(d[0] / d[1]) if d[1] > 0 else float("inf")


def _mean_distance(r: dict, surface: landscapes.Surface, after: int) -> float:
    """Mean distance to the nearest listed minimum over the steps from ``after`` on
    (NaN when the run stopped before)."""
    pts = r["positions"][after:]
    if not len(pts) or not surface.minima:
        return float("nan")
    return float(np.mean(surface.nearest_minimum(pts)[1]))


# --- how a run ends ----------------------------------------------------------------

@kind(lambda c, r, o: f"{r} diverges before step {int(c.value)}")
def diverges_before(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The run's status is "diverged" and it stopped before step ``value``.

    Fails when it converges, escapes, runs every step, or diverges at step ``value`` or later."""
    return _status(e.r), e.r["status"] == "diverged" and 0 <= e.r["stopped_at"] < c.value


@kind(lambda c, r, o: f"{r} escapes downhill before step {int(c.value)}")
def escapes_before(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The run's status is "escaped" (it left the domain downhill) before step ``value``.

    Fails when it diverges, converges, runs every step, or escapes at step ``value`` or later."""
    return _status(e.r), e.r["status"] == "escaped" and 0 <= e.r["stopped_at"] < c.value


@kind(lambda c, r, o: f"{r} converges by step {int(c.value)}")
def converges_by(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The step at which the run met the convergence test is at most ``value``.

    Fails when it never converges or converges after step ``value``."""
    return _converged(e.r), 0 <= e.r["converged_at"] <= c.value


@kind(lambda c, r, o: f"{r} does not converge")
def never_converges(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The run never met the convergence test.

    Fails when it converged at any step, step 0 included."""
    return _converged(e.r), e.r["converged_at"] < 0


@kind(lambda c, r, o: f"{r} neither diverges nor escapes")
def runs_every_step(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The run ended "converged" or "max_steps": it was never stopped.

    Fails when it diverged or escaped."""
    return _status(e.r), e.r["status"] in ("converged", "max_steps")


# --- distance to the minimum ----------------------------------------------------------

@kind(lambda c, r, o: f"{r} is still farther than {c.value:g} from the minimum at the last step")
def farther_than(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The final distance to the nearest minimum exceeds ``value``, and the run was not stopped.

    Fails when the run ends within ``value`` or diverged or escaped (a run that left does not count
    as slow)."""
    d = e.r["distance"]
    return f"distance to the minimum {d:.4g}", bool(d > c.value and e.r["status"] not in STOPPED)


@kind(lambda c, r, o: f"{r} ends closer than {c.value:g} to the minimum")
def closer_than(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The final distance to the nearest minimum is below ``value``, and the run was not stopped.

    Fails when it ends ``value`` or farther away, or diverged or escaped."""
    d = e.r["distance"]
    return f"distance to the minimum {d:.4g}", bool(d < c.value and e.r["status"] not in STOPPED)


@kind(lambda c, r, o: f"{r} ends in the {c.what} minimum")
def ends_in(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The run reached a minimum of kind ``what`` ("local", "global"): it was not stopped and ends
    within the surface's radius of that minimum.

    Fails when it ends in a minimum of another kind, farther than the radius from every minimum,
    or diverged or escaped (measured "no minimum")."""
    idx = e.r["nearest_minimum"]
    reached = experiments.reached(e.surface, idx, e.r["distance"], e.r["status"], e.radius)
    got = e.surface.minima[idx].kind if reached else "no"
    return f"{got} minimum", got == c.what


@kind(lambda c, r, o: f"{r} ends closer to the minimum than {o}")
def closer_than_other(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The racer's final distance to the nearest minimum is below the other's, and the racer was
    not stopped.

    Fails when it ends as far or farther, or diverged or escaped."""
    a, b = e.r["distance"], e.o["distance"]
    return f"distances {a:.4g} vs {b:.4g}", bool(a < b and e.r["status"] not in STOPPED)


@kind(lambda c, r, o: f"{r} and {o} end at the same distance from the minimum (to {c.value:g} relative)")
def same_distance(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The two final distances differ by at most ``value`` times the larger one.

    Fails when they differ by more (relative)."""
    a, b = e.r["distance"], e.o["distance"]
    return f"distances {a:.6g} and {b:.6g}", bool(abs(a - b) <= c.value * max(abs(a), abs(b), 1e-300))


@kind(lambda c, r, o: f"{r} ends with a lower loss than {o}")
def ends_lower_than(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The racer's final loss is below the other's, and the racer was not stopped.

    Fails when its loss is as high or higher, or it diverged or escaped (an escaped run's loss can
    be very low)."""
    a, b = e.r["final_loss"], e.o["final_loss"]
    return f"final losses {a:.4g} vs {b:.4g}", bool(a < b and e.r["status"] not in STOPPED)


@kind(lambda c, r, o: f"from step {c.after} on, {r} stays on average between {c.values[0]:g} and "
                      f"{c.values[1]:g} from the minimum")
def mean_distance_between(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The mean distance to the nearest minimum over the steps from ``after`` on lies within
    ``values`` = (low, high).

    Fails when the mean is below low or above high, or NaN (the run stopped before ``after``)."""
    a = _mean_distance(e.r, e.surface, c.after)
    return f"mean distance {a:.4g}", bool(c.values[0] <= a <= c.values[1])


@kind(lambda c, r, o: f"from step {c.after} on, {r} stays on average more than {c.value:g} times as far "
                      f"from the minimum as {o}")
def wanders_more(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The racer's mean distance to the nearest minimum from step ``after`` on exceeds ``value``
    times the other's.

    Fails when it is at most ``value`` times the other's, or either mean is NaN."""
    a = _mean_distance(e.r, e.surface, c.after)
    b = _mean_distance(e.o, e.surface, c.after)
    return f"mean distances {a:.4g} vs {b:.4g} (ratio {a / b:.3g})", bool(a > c.value * b)


@kind(lambda c, r, o: f"{r} shrinks its distance to the minimum by the predicted {c.values[0]:.4f} per step, "
                      f"within {c.value:.0%} (measured between steps {c.values[1]} and {c.values[2]})")
def rate_near(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The measured linear rate (``theory.measured_rate`` of f − f* between steps ``values[1]`` and
    ``values[2]``) is within ``value`` (relative) of the predicted ``values[0]``.

    Fails when it differs by more, or cannot be measured (the run stopped before ``values[2]``)."""
    pred, a, b = float(c.values[0]), int(c.values[1]), int(c.values[2])
    base = e.surface.global_minimum or 0.0
    try:
        rate = theory.measured_rate(e.r["losses"] - base, a, b, of="loss")
    except ValueError as exc:
        return f"not measurable ({exc})", False
    return f"measured {rate:.4f} per step", abs(rate / pred - 1) <= c.value


# --- the path, coordinate by coordinate ------------------------------------------------

@kind(lambda c, r, o: (f"after step {c.after} " if c.after else "") + f"{r}'s |{c.xy}| stays below {c.value:g}"
      + ("" if c.after else " at every step"))
def stays_below(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The largest |coordinate ``axis``| from step ``after`` on is below ``value``.

    Fails when it reaches ``value`` at any of those steps, or the run has no step ``after``."""
    text, peak, some = _peak_after(c, e.r)
    return text, bool(some and peak < c.value)


@kind(lambda c, r, o: f"after step {c.after} {r}'s |{c.xy}| still reaches {c.value:g}" if c.after
      else f"{r}'s |{c.xy}| reaches {c.value:g}")
def exceeds_after(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The largest |coordinate ``axis``| from step ``after`` on is at least ``value``.

    Fails when it stays below ``value``, or the run has no step ``after``."""
    text, peak, some = _peak_after(c, e.r)
    return text, bool(some and peak >= c.value)


@kind(lambda c, r, o: f"{r}'s {c.xy} changes sign at least {int(c.value)} times")
def sign_changes_at_least(c: Claim, e: Evidence) -> tuple[str, bool]:
    """Coordinate ``axis`` changes sign (zeros skipped) at least ``value`` times.

    Fails when it changes sign fewer times."""
    n = _sign_changes(_coord(e.r, c.axis))
    return f"{n} sign changes", n >= c.value


@kind(lambda c, r, o: f"{r}'s {c.xy} never changes sign (no oscillation in {c.xy})")
def no_sign_change(c: Claim, e: Evidence) -> tuple[str, bool]:
    """Coordinate ``axis`` never changes sign (zeros skipped).

    Fails at the first sign change."""
    n = _sign_changes(_coord(e.r, c.axis))
    return f"{n} sign changes", n == 0


@kind(lambda c, r, o: f"{r}'s {c.xy} changes sign fewer times than {o}'s")
def fewer_sign_changes(c: Claim, e: Evidence) -> tuple[str, bool]:
    """Coordinate ``axis`` of the racer changes sign fewer times than the other's.

    Fails when it changes sign as often or more."""
    a, b = _sign_changes(_coord(e.r, c.axis)), _sign_changes(_coord(e.o, c.axis))
    return f"{a} vs {b} sign changes", a < b


@kind(lambda c, r, o: f"{r}'s |{c.xy}| shrinks at every step")
def shrinks(c: Claim, e: Evidence) -> tuple[str, bool]:
    """|coordinate ``axis``| strictly decreases at every step.

    Fails when it stays or grows at any step, or the run has no step."""
    v = np.abs(_coord(e.r, c.axis))
    d = np.diff(v)
    return f"|{c.xy}| from {v[0]:.4g} to {v[-1]:.4g}", bool(len(d) and np.all(d < 0))


@kind(lambda c, r, o: f"{r}'s |{c.xy}| grows at every step")
def grows(c: Claim, e: Evidence) -> tuple[str, bool]:
    """|coordinate ``axis``| strictly increases at every step.

    Fails when it stays or shrinks at any step, or the run has no step."""
    v = np.abs(_coord(e.r, c.axis))
    d = np.diff(v)
    return f"|{c.xy}| from {v[0]:.4g} to {v[-1]:.4g}", bool(len(d) and np.all(d > 0))


@kind(lambda c, r, o: f"{r}'s {c.xy} stays exactly {c.value:g} at every step")
def stays_at(c: Claim, e: Evidence) -> tuple[str, bool]:
    """Coordinate ``axis`` equals ``value`` exactly at every step, the start included.

    Fails when it differs at any step, by however little."""
    v = _coord(e.r, c.axis)
    return f"{c.xy} in [{v.min():.4g}, {v.max():.4g}]", bool(np.all(v == c.value))


@kind(lambda c, r, o: f"{r}'s {c.xy} after the 1st, 2nd, … update is exactly "
                      f"{', '.join(f'{v:g}' for v in c.values[:3])}" + (", …" if len(c.values) > 3 else ""))
def matches_values(c: Claim, e: Evidence) -> tuple[str, bool]:
    """Coordinate ``axis`` after steps 1, 2, … equals ``values`` exactly (as floats).

    Fails when any value differs, or the run stopped before ``len(values)`` steps."""
    got = _coord(e.r, c.axis)[1:len(c.values) + 1]
    ok = len(got) == len(c.values) and all(float(a) == float(b) for a, b in zip(got, c.values))
    return ", ".join(f"{v:.6g}" for v in got[:3]) + ", …", ok


@kind(lambda c, r, o: f"{r} stays closer to the ridge line than {o} for the first {int(c.value)} steps")
def slower_start(c: Claim, e: Evidence) -> tuple[str, bool]:
    """At each of steps 1 to ``value`` the racer's |coordinate ``axis``| is below the other's.

    Fails when it is as large or larger at any of them, or either run stopped before step ``value``."""
    n = int(c.value)
    a = np.abs(_coord(e.r, c.axis)[1:n + 1])
    b = np.abs(_coord(e.o, c.axis)[1:n + 1])
    ok = len(a) == n and len(b) == n and bool(np.all(a < b))
    return (f"|{c.xy}| at step {n}: {a[-1]:.4g} vs {b[-1]:.4g}" if ok or (len(a) and len(b))
            else "too few steps"), ok


@kind(lambda c, r, o: f"{r}'s first step moves x and y by comparable amounts "
                      f"(|Δx|/|Δy| between {c.values[0]:g} and {c.values[1]:g})")
def step_ratio_between(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The first step's |Δx|/|Δy| lies within ``values`` = (low, high) (infinite when Δy = 0).

    Fails when the ratio is outside, or the run took no step (ratio infinite)."""
    ratio = _first_step_ratio(e.r)
    return f"|Δx|/|Δy| = {ratio:.3g}", bool(c.values[0] <= ratio <= c.values[1])


@kind(lambda c, r, o: f"{r}'s first step barely moves x (|Δx|/|Δy| below {c.value:g})")
def step_ratio_below(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The first step's |Δx|/|Δy| is below ``value`` (infinite when Δy = 0).

    Fails when the ratio is ``value`` or more, or the run took no step."""
    ratio = _first_step_ratio(e.r)
    return f"|Δx|/|Δy| = {ratio:.3g}", bool(ratio < c.value)


# --- two runs compared point by point ---------------------------------------------------

@kind(lambda c, r, o: f"{r} takes every gradient at {o}'s points (to float precision)")
def gradients_at_points_of(c: Claim, e: Evidence) -> tuple[str, bool]:
    """Every gradient the racer used equals the surface's gradient at the other's point of the same
    step, to 1e-10 relative.

    Fails when any differs by more, or there is no step to compare."""
    g = e.r["grads"]
    pts = e.o["positions"][:len(g)]
    n = min(len(g), len(pts))
    want = e.surface.grad(pts[:n])
    err = float(np.max(np.abs(g[:n] - want) / (np.abs(want) + 1e-300))) if n else float("inf")
    return f"largest relative difference {err:.2g} over {n} steps", n > 0 and err < 1e-10


@kind(lambda c, r, o: f"{r}'s and {o}'s points are at least {c.value:g} apart at some step")
def apart_at_least(c: Claim, e: Evidence) -> tuple[str, bool]:
    """The largest distance between the two runs' points at the same step is at least ``value``.

    Fails when they stay closer than ``value`` at every step they share."""
    n = min(len(e.r["positions"]), len(e.o["positions"]))
    gap = float(np.max(np.linalg.norm(e.r["positions"][:n] - e.o["positions"][:n], axis=1)))
    return f"largest distance between them {gap:.4g}", gap >= c.value


# --- a lesson --------------------------------------------------------------------------

def check(lesson) -> tuple:
    """Run a lesson (a ``content.Lesson``) and measure each of its claims:
    ``(run config, results, verdicts)``. A claim about noisy runs is measured on each
    of its seeds (``measure_over_seeds``). A lesson that runs itself (``network.NetworkLesson``:
    a network's training) measures its own claims."""
    if hasattr(lesson, "check"):
        return lesson.check()
    from .runs import lesson_results
    run = lesson.run_config()
    runs = {run.seed: lesson_results(lesson, run.seed)}

    def rerun(k: int) -> list[dict]:
        if k not in runs:
            runs[k] = lesson_results(lesson, k)
        return runs[k]

    res = runs[run.seed]
    labels = [r["label"] for r in res]
    surface = run.get_surface()
    radius = experiments.basin_radius(surface)
    verdicts = []
    for c in lesson.claims:
        measured, holds = (measure_over_seeds(c, rerun, surface, radius) if c.seeds
                           else measure(c, res, surface, radius))
        verdicts.append(Verdict(c, c.text(labels), measured, bool(holds)))
    return run, res, verdicts


def measure_over_seeds(claim: Claim, rerun, surface: landscapes.Surface, radius: float) -> tuple[str, bool]:
    """A claim about noisy runs (``claim.seeds`` > 0): measured on the run with each seed
    0 … seeds − 1 (``rerun(k)``: the lesson's results with seed k); it holds when it holds
    for every seed. The measured text says for how many, seed 0's value, and any failure."""
    one = replace(claim, seeds=0)
    got = [(k, *measure(one, rerun(k), surface, radius)) for k in range(claim.seeds)]
    held = sum(bool(h) for _, _, h in got)
    text = f"held with {held} of {claim.seeds} seeds; seed 0: {got[0][1]}"
    text += "".join(f"; fails with seed {k}: {m}" for k, m, h in got if not h)
    return text, held == claim.seeds
