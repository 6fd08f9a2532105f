"""Every claim kind's verdict can flip: measured on small hand-made runs, each kind holds on one
and fails on others (its boundary value, a stopped run, too few steps). A kind without a case
here fails ``test_every_kind_has_a_case``."""
from __future__ import annotations

import numpy as np
import pytest

import landscapes
from lessons import KINDS, Claim, measure

BOWL = landscapes.get("bowl")              # f = x² + y², one global minimum at (0, 0)
TWO = landscapes.get("two_minima")         # a global minimum near x = -1, a local one near x = 0.96
RADIUS = 0.05


def run(x=(0.0,), y=None, *, status="max_steps", stopped=-1, converged=-1, distance=1.0, loss=1.0,
        nearest=0, grads=None, losses=None) -> dict:
    """A racer's results as ``results.run_results`` gives them, with only what claims read."""
    x = np.asarray(x, dtype=float)
    y = np.zeros_like(x) if y is None else np.asarray(y, dtype=float)
    pos = np.stack([x, y], axis=1)
    return {"positions": pos, "status": status, "stopped_at": stopped, "converged_at": converged,
            "distance": distance, "final_loss": loss, "nearest_minimum": nearest,
            "grads": np.zeros((len(pos) - 1, 2)) if grads is None else np.asarray(grads, dtype=float),
            "losses": np.ones(len(pos)) if losses is None else np.asarray(losses, dtype=float), "label": "r"}


def ys(*v, **kw) -> dict:
    return run(np.zeros(len(v)), v, **kw)


_PATH = np.array([[1.0, 2.0], [0.5, 1.5], [0.2, -0.4]])
_GRADS = BOWL.grad(_PATH[:2])

# kind: (claim, [races where it holds], [races where it fails], surface)
CASES = {
    "diverges_before": (Claim("diverges_before", 1, 20),
                        [[run(status="diverged", stopped=19)], [run(status="diverged", stopped=0)]],
                        [[run(status="diverged", stopped=20)], [run(status="escaped", stopped=5)],
                         [run(status="max_steps")]], BOWL),
    "escapes_before": (Claim("escapes_before", 1, 100),
                       [[run(status="escaped", stopped=50)]],
                       [[run(status="escaped", stopped=100)], [run(status="diverged", stopped=50)],
                        [run(status="converged", converged=3)]], BOWL),
    "converges_by": (Claim("converges_by", 1, 40),
                     [[run(converged=40)], [run(converged=0)]],
                     [[run(converged=41)], [run(converged=-1)]], BOWL),
    "never_converges": (Claim("never_converges", 1),
                        [[run(converged=-1)]],
                        [[run(converged=0)], [run(converged=7)]], BOWL),
    "runs_every_step": (Claim("runs_every_step", 1),
                        [[run(status="converged")], [run(status="max_steps")]],
                        [[run(status="diverged", stopped=3)], [run(status="escaped", stopped=3)]], BOWL),
    "farther_than": (Claim("farther_than", 1, 1.5),
                     [[run(distance=1.6)]],
                     [[run(distance=1.5)], [run(distance=9.0, status="diverged", stopped=4)],
                      [run(distance=9.0, status="escaped", stopped=4)]], BOWL),
    "closer_than": (Claim("closer_than", 1, 0.2),
                    [[run(distance=0.19)]],
                    [[run(distance=0.2)], [run(distance=0.1, status="escaped", stopped=4)]], BOWL),
    "ends_in": (Claim("ends_in", 1, what="local"),
                [[run(nearest=1, distance=RADIUS)]],
                [[run(nearest=0, distance=0.01)], [run(nearest=1, distance=RADIUS * 1.01)],
                 [run(nearest=1, distance=0.01, status="diverged", stopped=9)]], TWO),
    "closer_than_other": (Claim("closer_than_other", 1, other=2),
                          [[run(distance=0.1), run(distance=0.2)]],
                          [[run(distance=0.2), run(distance=0.2)],
                           [run(distance=0.1, status="diverged", stopped=2), run(distance=0.2)]], BOWL),
    "same_distance": (Claim("same_distance", 1, 1e-6, other=2),
                      [[run(distance=1.0), run(distance=1.0 + 9e-7)], [run(distance=0.0), run(distance=0.0)]],
                      [[run(distance=1.0), run(distance=1.0 + 5e-6)]], BOWL),
    "ends_lower_than": (Claim("ends_lower_than", 1, other=2),
                        [[run(loss=1.0), run(loss=2.0)]],
                        [[run(loss=2.0), run(loss=2.0)], [run(loss=-5.0, status="diverged", stopped=3), run(loss=2.0)],
                         [run(loss=-5.0, status="escaped", stopped=3), run(loss=2.0)]], BOWL),
    "mean_distance_between": (Claim("mean_distance_between", 1, after=3, values=(1.0, 1.5)),
                              [[run((0, 0, 0, 1.2, 1.2))]],  # 0.48 over every step: ``after`` counts
                              [[run((0, 0, 0, 2.0, 2.0))], [run((0, 0, 0, 0.9, 0.9))], [run((1.2, 1.2))]], BOWL),
    "wanders_more": (Claim("wanders_more", 1, 2.0, other=2, after=1),
                     [[run((0, 3.0, 3.0)), run((0, 1.0, 1.0))]],
                     [[run((0, 1.5, 1.5)), run((0, 1.0, 1.0))], [run((0, 2.0)), run((0, 1.0))],
                      [run((3.0,)), run((0, 1.0))]], BOWL),
    "rate_near": (Claim("rate_near", 1, 0.03, values=(0.5, 1, 5)),  # the loss shrinks by rate², 0.25
                  [[run(np.zeros(7), losses=0.25 ** np.arange(7))], [run(np.zeros(7), losses=0.26 ** np.arange(7))]],
                  [[run(np.zeros(7), losses=0.36 ** np.arange(7))], [run(np.zeros(5), losses=0.25 ** np.arange(5))]],
                  BOWL),
    "stays_below": (Claim("stays_below", 1, 0.05, axis=1, after=2),
                    [[ys(1, 1, 0.01, -0.049)]],
                    [[ys(1, 1, 0.01, -0.05)], [ys(1, 1)]], BOWL),
    "exceeds_after": (Claim("exceeds_after", 1, 0.05, axis=1, after=2),
                      [[ys(0, 0, 0, -0.05)]],
                      [[ys(1, 1, 0.049, 0)], [ys(1, 1)]], BOWL),
    "sign_changes_at_least": (Claim("sign_changes_at_least", 1, 3),
                              [[run((1, -1, 1, -1))], [run((1, 0, -1, 0, 1, -1))]],
                              [[run((1, -1, 0, -1, 1))]], BOWL),  # zeros are skipped: 2 changes
    "no_sign_change": (Claim("no_sign_change", 1),
                       [[run((1, 0.5, 0, 0.2))]],
                       [[run((1, 0.5, -0.1))]], BOWL),
    "fewer_sign_changes": (Claim("fewer_sign_changes", 1, other=2, axis=1),
                           [[ys(1, 1, -1), ys(1, -1, 1)]],
                           [[ys(1, -1, 1), ys(-1, 1, -1)]], BOWL),
    "shrinks": (Claim("shrinks", 1),
                [[run((3, -2, 1))]],
                [[run((3, 2, 2))], [run((3, 2, 2.5))], [run((3,))]], BOWL),
    "grows": (Claim("grows", 1, axis=1),
              [[ys(0.001, -0.002, 0.004)]],
              [[ys(1, 2, 2)], [ys(1, 2, 1.5)], [ys(1)]], BOWL),
    "stays_at": (Claim("stays_at", 1, 0.0, axis=1),
                 [[ys(0, 0, 0)]],
                 [[ys(0, 5e-324, 0)], [ys(0.1, 0, 0)]], BOWL),
    "matches_values": (Claim("matches_values", 1, values=(4.0, 3.2)),
                       [[run((5, 4.0, 3.2))], [run((5, 4.0, 3.2, 7))]],
                       [[run((5, 4.0, 3.2000000000000006))], [run((5, 4.0))]], BOWL),
    "slower_start": (Claim("slower_start", 1, 2, other=2, axis=1),
                     [[ys(0, 0.1, -0.2, 9), ys(0, 0.2, 0.3, 0)]],
                     [[ys(0, 0.1, 0.3), ys(0, 0.2, 0.3)], [ys(0, 0.1), ys(0, 0.2, 0.3)]], BOWL),
    "step_ratio_between": (Claim("step_ratio_between", 1, values=(0.5, 2.0)),
                           [[run((0, 1), (0, 1))], [run((0, -2), (0, 1))]],
                           [[run((0, 1), (0, 0.4))], [run((0, 1), (0, 0))], [run((0,), (0,))]], BOWL),
    "step_ratio_below": (Claim("step_ratio_below", 1, 0.1),
                         [[run((0, 0.01), (0, -1))]],
                         [[run((0, 0.1), (0, 1))], [run((0,), (0,))]], BOWL),
    "gradients_at_points_of": (Claim("gradients_at_points_of", 1, other=2),
                               [[run(grads=_GRADS), run(_PATH[:, 0], _PATH[:, 1])]],
                               [[run(grads=_GRADS * (1 + 1e-9)), run(_PATH[:, 0], _PATH[:, 1])],
                                [run(grads=BOWL.grad(_PATH[1:])), run(_PATH[:, 0], _PATH[:, 1])],
                                [run(grads=np.zeros((0, 2))), run(_PATH[:, 0], _PATH[:, 1])]], BOWL),
    "apart_at_least": (Claim("apart_at_least", 1, 0.5, other=2),
                       [[run((0, 0.5, 0)), run((0, 0, 0))]],
                       [[run((0, 0.4, 0)), run((0, 0, 0))], [run((0, 0.4)), run((0, 0, 9))]], BOWL),
}


def test_every_kind_has_a_case():
    assert set(CASES) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_holds_and_fails(kind):
    claim, holds, fails, surface = CASES[kind]
    assert claim.kind == kind
    for race in holds:
        measured, ok = measure(claim, race, surface, RADIUS)
        assert ok, f"{kind} should hold (measured: {measured})"
    for race in fails:
        measured, ok = measure(claim, race, surface, RADIUS)
        assert not ok, f"{kind} should fail (measured: {measured})"
        assert isinstance(measured, str) and measured


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_is_documented_and_reads_as_a_sentence(kind):
    k = KINDS[kind]
    assert "Fails" in k.doc, f"{kind}'s docstring says how it can fail"
    claim = CASES[kind][0]
    text = claim.text(["GD (lr 0.1)", "Adam (lr 0.01)"])
    assert "GD (lr 0.1)" in text and ("Adam" in text) == bool(claim.other)


def test_an_unknown_kind_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown claim kind"):
        measure(Claim("no_such_kind", 1), [run()], BOWL, RADIUS)
    from lessons.content import C
    with pytest.raises(ValueError, match="valid: "):
        C("converge_by", 1, 10)
