"""Your own surface: typed formulas (landscapes/formula.py) and their path through
RunConfig, share links, the command line and the app."""
from __future__ import annotations

import json
import math
from dataclasses import replace
import sys
import warnings

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import links
from state import AppState
import config
import engine
import experiments
import landscapes
import optimizers
from landscapes import formula as F
from landscapes.formula import FormulaError

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"


# --------------------------------------------------------------------------
# Nothing is executed: an audit hook records code execution and processes
# --------------------------------------------------------------------------

_AUDIT: list = []
_WATCH = {"exec", "os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
          "builtins.input", "open"}
_AUDIT_ON = [False]


def _hook(event, args):
    if _AUDIT_ON[0] and event in _WATCH:
        _AUDIT.append(event)


sys.addaudithook(_hook)  # cannot be removed; it records only while _AUDIT_ON[0] is True


# Every function once before the timed tests: SymPy imports some modules lazily on first use
# (in the worker process, which F.build uses, and in this one, which compile_formula uses).
WARM = ("sin(x) + cos(y) + tan(x/9) + exp(-x*x) + log(2 + y*y) + sqrt(4 + x*x) + tanh(x) + sinh(y/3)"
        " + cosh(x/3) + abs(x) + atan(y) + min(x, y) + max(x, y) + (2 + x*x)**y")
F.build(WARM)
F.compile_spec(WARM)


def build_watched(text, domain=None):
    """formula.build with the audit hook on: returns (surface or error, events seen)."""
    F._build_cached.cache_clear()
    F.build("x + y")  # the formula worker process is running (it is started on first use)
    _AUDIT.clear()
    _AUDIT_ON[0] = True
    try:
        try:  # the symbolic work, in this process too: what the worker process runs
            F.compile_spec(text)
        except FormulaError:
            pass
        try:
            return F.build(text, domain), list(_AUDIT)
        except FormulaError as exc:
            return exc, list(_AUDIT)
    finally:
        _AUDIT_ON[0] = False


@pytest.fixture
def strict():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --------------------------------------------------------------------------
# Exact derivatives
# --------------------------------------------------------------------------

FORMULAS = [
    ("sin(x)*cos(y) + 0.1*(x**2 + y**2)", None),
    (ROSENBROCK, (-2, 2, -1, 3)),
    ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", (-5, 5, -5, 5)),
    ("exp(-(x**2 + y**2)/2) * atan(x - y) + tanh(x*y)", None),
    ("log(1 + x**2 + 2*y**2) - sqrt(1 + x**2)/3", None),
    ("sinh(x/3)*cosh(y/4) + tan(x/4)**2", (-2, 2, -2, 2)),
    ("x**3 - 3*x*y**2 + 2.5e-1*y**4", None),
    ("abs(x - 0.3)*y**2 + max(x, y)**2 + min(x*y, 1)", None),
    ("2**x + pi*y**2 - e**(x*y/10)", None),
    ("1/(1 + x**2) - 1/(2 + y**2) + (x - y)**-2", (0.5, 3, -3, -0.5)),
    ("x/(y + 4) + y**(3/2)", (-2, 2, 0.5, 3)),
]


def _points_where_defined(s, n=40, seed=0):
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = s.domain
    p = np.column_stack([rng.uniform(x0, x1, 400), rng.uniform(y0, y1, 400)])
    with np.errstate(all="ignore"):
        ok = np.isfinite(s.f(p))
    return p[ok][:n]


@pytest.mark.parametrize("text,domain", FORMULAS, ids=[t for t, _ in FORMULAS])
def test_gradient_and_hessian_match_central_differences(text, domain):
    s = F.build(text, domain)
    pts = _points_where_defined(s)
    assert len(pts) >= 20
    (x0, x1), (y0, y1) = s.domain
    h = 1e-6 * max(x1 - x0, y1 - y0)
    ex, ey = np.array([h, 0.0]), np.array([0.0, h])
    fd_grad = np.stack([(s.f(pts + ex) - s.f(pts - ex)) / (2 * h),
                        (s.f(pts + ey) - s.f(pts - ey)) / (2 * h)], axis=-1)
    g = s.grad(pts)
    scale = 1 + np.abs(s.f(pts))[:, None] / h * 1e-9 + np.abs(g)
    # kinks of abs/min/max: skip points within a step of one (differences straddle it)
    keep = np.all(np.isfinite(fd_grad), axis=-1)
    np.testing.assert_allclose(g[keep], fd_grad[keep], rtol=1e-5, atol=1e-5 * scale[keep].max())
    fd_hess = np.stack([(s.grad(pts + ex) - s.grad(pts - ex)) / (2 * h),
                        (s.grad(pts + ey) - s.grad(pts - ey)) / (2 * h)], axis=-2)
    H = s.hessian(pts)
    keep = np.all(np.isfinite(fd_hess), axis=(-2, -1))
    if "abs" in text or "max" in text:  # a step across a kink changes the gradient abruptly
        kink = (np.abs(pts[:, 0] - 0.3) < 1e-3) | (np.abs(pts[:, 0] - pts[:, 1]) < 1e-3) | \
            (np.abs(pts[:, 0] * pts[:, 1] - 1) < 1e-3)
        keep &= ~kink
    np.testing.assert_allclose(H[keep], fd_hess[keep], rtol=1e-4, atol=1e-4 * (1 + np.abs(H[keep]).max()))
    np.testing.assert_allclose(H, np.swapaxes(H, -1, -2))


def test_derivatives_are_sympys_exact_ones():
    s = F.build("x**3*y + sin(x*y)")
    p = np.array([0.7, -1.3])
    x, y = p
    assert float(s.f(p)) == pytest.approx(x**3 * y + math.sin(x * y), rel=1e-15)
    np.testing.assert_allclose(s.grad(p), [3 * x**2 * y + y * math.cos(x * y),
                                           x**3 + x * math.cos(x * y)], rtol=1e-14)
    np.testing.assert_allclose(s.hessian(p), [
        [6 * x * y - y * y * math.sin(x * y), 3 * x**2 + math.cos(x * y) - x * y * math.sin(x * y)],
        [3 * x**2 + math.cos(x * y) - x * y * math.sin(x * y), -x * x * math.sin(x * y)]], rtol=1e-13)


def test_shapes_follow_the_surface_rule(strict):
    s = F.build("x**2 + 3*y")  # grad y-component and Hessian are constants: still full shape
    for shape in [(), (5,), (4, 3)]:
        p = np.zeros(shape + (2,))
        assert s.f(p).shape == shape
        assert s.grad(p).shape == shape + (2,)
        assert s.hessian(p).shape == shape + (2, 2)
    np.testing.assert_array_equal(s.hessian(np.zeros((3, 2)))[:, 0, 0], 2.0)


def test_reused_last_evaluation_never_goes_stale():
    """f then grad at the same points share one evaluation; points changed in
    place, or other points, are evaluated afresh."""
    s = F.build("x + 2*y**2")
    p = np.array([[1.0, 1.0], [2.0, 0.5]])
    np.testing.assert_array_equal(s.f(p), [3.0, 2.5])
    np.testing.assert_array_equal(s.grad(p), [[1.0, 4.0], [1.0, 2.0]])
    p[0] = [5.0, 0.0]
    np.testing.assert_array_equal(s.f(p), [5.0, 2.5])
    q = np.array([[1.0, 1.0], [2.0, 0.5]])
    np.testing.assert_array_equal(s.f(q), [3.0, 2.5])
    np.testing.assert_array_equal(s.f(q[:1]), [3.0])


# --------------------------------------------------------------------------
# The Rosenbrock expression typed as a formula is the built-in surface
# --------------------------------------------------------------------------

# f is bit-identical to the built-in; SymPy's gradient is arranged differently and
# differs by at most ~1 ulp. (RMSprop at lr 0.01 from (1.8, 2.9) amplifies such
# 1-ulp differences to 1e-2 within 500 steps, a chaotic run: not listed.)
@pytest.mark.parametrize("name,lr", [("gd", 1e-3), ("momentum", 1e-3), ("nesterov", 5e-4), ("adam", 0.05),
                                     ("adagrad", 0.1), ("newton", 1.0), ("lion", 0.004)])
def test_rosenbrock_formula_gives_the_builtin_trajectories(name, lr):
    typed = F.build(ROSENBROCK, (-2, 2, -1, 3))
    builtin = landscapes.get("rosenbrock")
    assert typed.domain == builtin.domain
    opt = optimizers.get(name)
    hp = opt.validate(lr)
    starts = np.array([[-1.2, 1.0], [0.5, -0.5], [1.8, 2.9], [-1.9, -0.9]])
    a = engine.run(opt, typed, starts, hp, 500)
    b = engine.run(opt, builtin, starts, hp, 500)
    np.testing.assert_array_equal(a.status, b.status)
    np.testing.assert_allclose(a.positions, b.positions, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.losses, b.losses, rtol=1e-9, atol=1e-9)
    p = np.random.default_rng(0).uniform([-2, -1], [2, 3], (500, 2))
    np.testing.assert_array_equal(typed.f(p), builtin.f(p))
    np.testing.assert_allclose(typed.grad(p), builtin.grad(p), rtol=0, atol=1e-16 * np.abs(builtin.grad(p)).max())


def test_rosenbrock_formula_in_experiments_matches_the_builtin():
    choice = config.OptimizerChoice.build("gd", 1e-3)
    typed = config.RunConfig("formula", (), (config.Racer(choice),), 300, (-1.2, 1.0), 0,
                             ROSENBROCK, (-2.0, 2.0, -1.0, 3.0))
    builtin = config.RunConfig("rosenbrock", (("a", 1.0), ("b", 100.0)), (config.Racer(choice),), 300,
                               (-1.2, 1.0), 0)
    (ta,), (tb,) = experiments.run_config(typed), experiments.run_config(builtin)
    np.testing.assert_allclose(ta.positions, tb.positions, rtol=1e-11, atol=1e-12)
    sa = experiments.sweep(typed.get_surface(), choice, (-1.2, 1.0), 1e-4, 1e-2, 20, 200)
    sb = experiments.sweep(builtin.get_surface(), choice, (-1.2, 1.0), 1e-4, 1e-2, 20, 200)
    np.testing.assert_array_equal(sa.status, sb.status)
    np.testing.assert_allclose(sa.final_loss, sb.final_loss, rtol=1e-9)
    ba = experiments.basins(typed.get_surface(), choice, 200, 15)
    bb = experiments.basins(builtin.get_surface(), choice, 200, 15)
    np.testing.assert_array_equal(ba.basin, bb.basin)
    # the minimum was found, not published, and is where the built-in's is
    (m,) = typed.get_surface().minima
    assert m.found and m.kind == "global" and (m.x, m.y) == pytest.approx((1.0, 1.0), abs=1e-12)
    assert not landscapes.get("rosenbrock").minima[0].found
    import results as results_mod

    newton = replace(typed, racers=(config.Racer(config.OptimizerChoice.build("newton", 1.0)),), steps=50)
    rows = results_mod.results_table(newton, results_mod.run_results(newton))
    assert rows[0]["minimum reached"] == "global minimum, found numerically"


# --------------------------------------------------------------------------
# Minima and saddles found numerically
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text,domain,builtin", [
    ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", (-5, 5, -5, 5), "himmelblau"),
    ("(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (-4 + 4*y**2)*y**2", (-2, 2, -1, 1), "six_hump_camel"),
    ("0.5*(x**4 - 16*x**2 + 5*x + y**4 - 16*y**2 + 5*y)", (-5, 5, -5, 5), "styblinski_tang"),
])
def test_found_minima_are_the_published_ones(text, domain, builtin):
    s, ref = F.build(text, domain), landscapes.get(builtin)
    assert all(m.found for m in s.minima + s.saddles)
    assert [m.kind for m in s.minima].count("global") == [m.kind for m in ref.minima].count("global")
    assert len(s.minima) == len(ref.minima)
    for m in ref.minima:
        d = [math.hypot(m.x - q.x, m.y - q.y) for q in s.minima]
        q = s.minima[int(np.argmin(d))]
        assert min(d) < 1e-6 and q.kind == m.kind and q.value == pytest.approx(m.value, abs=1e-6)
    for q in s.minima:
        assert np.linalg.norm(s.grad(np.array([q.x, q.y]))) < 1e-8
        assert np.all(np.linalg.eigvalsh(s.hessian(np.array([q.x, q.y]))) > 0)
    for q in s.saddles:
        eig = np.linalg.eigvalsh(s.hessian(np.array([q.x, q.y])))
        assert eig[0] < 0 < eig[1]


def test_saddle_and_unbounded_surfaces():
    s = F.build("x**2 - y**2", (-2, 2, -2, 2))
    assert s.minima == () and len(s.saddles) == 1
    assert (s.saddles[0].x, s.saddles[0].y) == pytest.approx((0, 0), abs=1e-12)
    assert s.global_minimum is None
    # a local minimum, but the surface falls lower at the domain's edge: not called global
    t = F.build("x**3 - 3*x + y**2", (-3, 3, -2, 2))
    assert [m.kind for m in t.minima] == ["local"] and t.global_minimum is None


# --------------------------------------------------------------------------
# Undefined regions: blank, runs stop with a clear status, no warnings
# --------------------------------------------------------------------------

def test_undefined_region_is_nan_without_warnings(strict):
    s = F.build("log(x) + 1/y", (-2, 2, -2, 2))
    p = np.array([[-1.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    f, g, h = s.f(p), s.grad(p), s.hessian(p)
    assert np.isnan(f[:2]).all() and np.isnan(g[:2]).all() and np.isnan(h[:2]).all()
    assert np.isfinite(f[2]) and np.isfinite(g[2]).all() and np.isfinite(h[2]).all()
    assert np.isnan(f[3]), "log(0) is not a finite number: undefined"
    _, _, z = s.grid(60)
    assert 0.3 < np.isnan(z).mean() < 0.7
    assert "undefined" in s.note and s.undefined


def test_runs_that_enter_an_undefined_region_stop_and_say_why(strict):
    s = F.build("log(x) + y**2", (-2, 2, -2, 2))
    choice = config.OptimizerChoice.build("gd", 0.3)
    r = experiments.summary(experiments.run_choice(s, choice, (0.5, 1.0), 100), s)
    assert r["status"] == "diverged" and "the formula is undefined" in r["message"]
    assert np.all(np.isfinite(r["positions"])) and np.all(np.isfinite(r["losses"]))
    r = experiments.summary(experiments.run_choice(s, choice, (-1.0, 1.0), 100), s)
    assert r["status"] == "diverged" and "start point (-1, 1) is where the formula is undefined" in r["message"]


def test_contour_picture_is_transparent_where_undefined():
    from figures.raster import contour_image

    s = F.build("sqrt(x) + y", (-1, 1, -1, 1))
    _, _, z = s.grid(50)
    img = np.asarray(contour_image(z, float(np.nanmin(z)), float(np.nanmax(z))))
    assert img.shape == (50, 50, 4)
    np.testing.assert_array_equal(img[..., 3] == 0, np.isnan(z)[::-1])


@pytest.mark.parametrize("text", ["1/x + y**2", "tan(x) + y**2", "log(x*y)", "0*x", "abs(x) + abs(y)",
                                  "exp(10*x)*y"])
def test_awkward_formulas_race_and_export_without_nan_or_warnings(text, strict):
    """Poles, undefined quadrants, a constant, kinks, overflow: every run ends
    with a status and every figure, table and file holds finite numbers only."""
    import exports
    from figures import views
    import results as results_mod
    from tests.test_app import all_numbers

    racers = tuple(config.Racer(config.OptimizerChoice.build(n, lr))
                   for n, lr in (("gd", 0.1), ("adam", 0.05), ("newton", 1.0)))
    run = config.RunConfig("formula", (), racers, 150, None, 0, text, None)
    results = results_mod.run_results(run)
    for fig in (views.trajectory_figure_for(run, results), views.loss_figure_for(run, results)):
        nums = np.fromiter(all_numbers(json.loads(fig.to_json())), dtype=float)
        assert np.all(np.isfinite(nums))
    json.loads(exports.trajectories_json(run, results), parse_constant=lambda c: pytest.fail(c))
    assert "nan" not in exports.trajectories_csv(run, results).lower()
    if text == "log(x*y)":
        assert exports.animation_gif(run, results)[:6] == b"GIF89a"


def test_default_start_is_where_the_formula_is_defined():
    # flat (gradient 0) where defined, undefined for x < 0: found by Hypothesis
    s = F.build("-(log(min(x, 0.25)))")
    assert np.isfinite(s.f(np.array(s.default_start)))
    s = F.build("log(x) + y**2")
    assert s.default_start[0] > 0 and np.linalg.norm(s.grad(np.array(s.default_start))) > 1e-6


def test_a_formula_undefined_almost_everywhere_is_rejected():
    with pytest.raises(FormulaError, match="undefined .* on more than 90%"):
        F.build("log(x - 2.999)")
    with pytest.raises(FormulaError, match="undefined"):
        F.build("sqrt(-1 - x**2) + y")


# --------------------------------------------------------------------------
# Hostile input: rejected, quickly, executing nothing
# --------------------------------------------------------------------------

HOSTILE = {
    "import": ("__import__('os').system('id')", "'_'"),
    "os system no quotes": ("os.system", "attribute"),
    "attribute": ("x.real", "attribute"),
    "dunder attribute": ("x.__class__", "'_'"),
    "subscript": ("x[0]", "subscripts"),
    "lambda": ("lambda: 1", "':'"),
    "lambda args": ("(lambda x: x)(1)", "':'"),
    "list comprehension": ("[x for x in y]", "subscripts"),
    "generator": ("sin(x for x in y)", "generator"),
    "f-string": ('f"{x}"', "strings"),
    "string": ("'x'", "strings"),
    "walrus": ("(z:=1)", "':'"),
    "keyword": ("min(x, y=2)", "'='"),
    "keyword no space": ("max(x,key=y)", "'='"),
    "unknown name": ("z + 1", "unknown name 'z'"),
    "builtin name": ("open(x)", "not an allowed function"),
    "eval": ("eval(x)", "not an allowed function"),
    "power tower": ("9**9**9", "exponent"),
    "huge exponent": ("x**1e9", "exponent"),
    "variable power tower": ("x**" * 12 + "y", "variable exponent are nested more than 2 deep"),
    "long sum": ("+".join(f"{k}*x" for k in range(100)), "too large"),
    "big constant power": ("2**1000*x", "exponent"),
    "nested constant powers": ("((9**9)**9)**9*x", "not a finite real number"),
    "10,000 characters": ("x+" * 5000, "too long"),
    "200 nested parentheses": ("(" * 200 + "x" + ")" * 200, "parentheses nested"),
    "deep unary": ("-" * 300 + "x", "too large"),
    "deep calls": ("sin(" * 12 + "x" + ")" * 12 + "*" + "cos(" * 12 + "y" + ")" * 12, None),
    "cyrillic x": ("\u0445 + y", "CYRILLIC SMALL LETTER HA"),
    "greek pi lookalike": ("x*\u03c0", "GREEK SMALL LETTER PI"),
    "fullwidth": ("x\uff0by", "FULLWIDTH PLUS SIGN"),
    "null byte": ("x\x00", "not allowed"),
    "newline statement": ("x\nimport os", "not allowed"),
    "semicolon": ("x; import os", "';'"),
    "comparison": ("x < y", "comparisons"),
    "conditional": ("x if y else 1", "if/else"),
    "and": ("x and y", "and/or"),
    "bool": ("True*x", "not bool"),
    "complex": ("1j*x", "not complex"),
    "tuple": ("x, y", "tuples"),
    "floor division": ("x // 2", "//"),
    "bit xor": ("x ^ 2", "**"),
    "starred": ("max(*x, y)", "starred"),
    "empty": ("", "empty"),
    "division by zero": ("x/0", "divides by zero"),
    "log of negative constant": ("log(-1) + x", "not a finite real number"),
    "infinite literal": ("1e999*x", "not a finite real number"),
    "bare function": ("sin + x", "sin is a function"),
    "wrong arity": ("max(x)", "max takes exactly 2 arguments"),
    "underscore digits": ("1_000*x", "'_'"),
    "bytes": ("b'x'", "strings"),
    "ellipsis": ("...", "not ellipsis"),
    "await": ("await x", "await not allowed"),
}


@pytest.mark.parametrize("key", list(HOSTILE))
def test_hostile_input_is_rejected_pointing_at_the_problem_and_runs_nothing(key):
    text, needle = HOSTILE[key]
    result, events = build_watched(text)
    assert events == [], f"{key}: {events}"
    if needle is None:  # at the limits but legal: accepted or refused as too complex, never a hang
        assert isinstance(result, (landscapes.Surface, FormulaError))
        return
    assert isinstance(result, FormulaError), f"{key!r} was accepted"
    assert isinstance(result, ValueError)
    msg = str(result)
    assert needle in msg, msg
    assert "\n" not in msg and len(msg) < 400


@pytest.mark.parametrize("text, height", [
    ("x**y", 1), ("x**y**x", 2), ("(x**y)**x", 2), ("2**(x**y)", 2), ("sin(x**y**2)**x", 2),
    ("x**y**x**y", 3), ("(x**y)**(x**y)**x", 3), ("x**2**y**x**2", 3),
])
def test_the_power_tower_limit_is_exactly_two(text, height):
    """Powers with a variable exponent may nest 2 deep (the documented MAX_TOWER), not 3."""
    assert F.MAX_TOWER == 2
    if height <= 2:
        F.parse(text)
    else:
        with pytest.raises(FormulaError, match="nested more than 2 deep"):
            F.parse(text)


@settings(max_examples=len(HOSTILE), deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(k for k, (_, needle) in HOSTILE.items() if needle is not None)))
def test_hostile_input_is_rejected_within_a_second(key):
    F._build_cached.cache_clear()
    try:
        F.build(HOSTILE[key][0])
    except FormulaError:
        pass


@pytest.mark.parametrize("text,column,snippet", [
    ("sin(x) + z", 10, "z"),
    ("x**2 + y.real", 8, "y.real"),
    ("x + cos(y, 1)", 5, "cos(y, 1)"),
    ("x + \u0445", 5, "\u0445"),
    ("  x ^ 2", 5, "^"),
    ("x + foo(y)", 5, "foo"),
    ("x + (y", None, None),
])
def test_error_points_at_the_offending_part(text, column, snippet):
    with pytest.raises(FormulaError) as info:
        F.build(text)
    err = info.value
    if column is not None:
        assert err.column == column and err.snippet == snippet
        assert f"column {column}" in str(err) and repr(snippet) in str(err)
    assert str(err).startswith("formula")


def test_symbolic_work_is_bounded(monkeypatch):
    """A product of 20 factors has a 20**3-term Hessian: the gradient's size is
    checked first, so the second derivatives are never taken."""
    text = "*".join(f"sin({k}*x + y)" for k in range(1, 21))
    calls = []
    real = sympy.diff
    monkeypatch.setattr(sympy, "diff", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    with pytest.raises(FormulaError, match="too complex"):
        F.compile_formula(text)  # in this process (what the worker process runs), to count the calls
    assert len(calls) == 2, "only the two first derivatives were computed"
    F._build_cached.cache_clear()
    with pytest.raises(FormulaError, match="too complex"):
        F.build(text)  # and through the worker process
    # and the wall-clock budget is checked between the steps
    expr = F.build_expression(F.parse("sin(x)*cos(y)"), "sin(x)*cos(y)")
    with pytest.raises(FormulaError, match="too complex to differentiate within 0 s"):
        F.derivatives(expr, budget=0.0)


def test_no_generated_code_only_the_closed_table():
    """The evaluator refuses any SymPy object outside its table (e.g. a function
    a SymPy simplification might introduce), instead of generating code."""
    with pytest.raises(FormulaError, match="cannot evaluate"):
        F.Program([sympy.gamma(F.X)])
    with pytest.raises(FormulaError, match="cannot evaluate"):
        F.Program([sympy.I * F.X])


# --------------------------------------------------------------------------
# Hypothesis: random strings and random valid expression trees
# --------------------------------------------------------------------------

FORMULA_CHARS = "xye()+-*/.,0123456789 sincoexplogqrtabmhd^[]'_=:\u0445"


# The timed (deadline=1000 ms) tests run the part of a build that depends on the input
# (parse, SymPy, derivatives, compiling, evaluating); the rest of a build (a 97 x 97
# grid and the fixed multi-start Newton search) is bounded work whatever was typed, and
# runs untimed in test_random_trees_build_surfaces_with_true_stationary_points.
@settings(max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=60), st.text(alphabet=FORMULA_CHARS, max_size=60)))
def test_random_strings_give_a_surface_or_the_projects_error(text):
    try:
        _, ev = F.compile_formula(text)
    except FormulaError as exc:
        assert str(exc).startswith("formula") and "\n" not in str(exc)
        return
    pts = np.random.default_rng(1).uniform(-3, 3, (16, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ev.f(pts).shape == (16,) and ev.hessian(pts).shape == (16, 2, 2)


def _numbers():
    return st.one_of(st.integers(0, 50).map(str),
                     st.floats(0.01, 20, allow_nan=False).map(lambda v: f"{v:.3g}"),
                     st.sampled_from(["1e-3", "2.5E1", "3e+0", "pi", "e"]))


UNARY = [name for name, (n, _, _) in F.FUNCTIONS.items() if n == 1]
NP = {"sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
      "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh, "abs": np.abs, "atan": np.arctan,
      "min": np.minimum, "max": np.maximum}


def _trees():
    """(text, reference function) pairs: the reference is built from the same
    random tree with NumPy, independently of the code under test."""
    leaves = st.one_of(
        st.just(("x", lambda x, y: x)), st.just(("y", lambda x, y: y)),
        _numbers().map(lambda t: (t, lambda x, y, t=t: np.full_like(x, {"pi": np.pi, "e": np.e}.get(t) or float(t)))),
    )

    def extend(children):
        binop = st.tuples(st.sampled_from(["+", "-", "*", "/", "**"]), children, children).map(
            lambda t: (f"({t[1][0]}){t[0]}({t[2][0]})",
                       lambda x, y, t=t: {"+": np.add, "-": np.subtract, "*": np.multiply,
                                          "/": np.divide, "**": np.power}[t[0]](t[1][1](x, y), t[2][1](x, y))))
        unary = st.tuples(st.sampled_from(UNARY), children).map(
            lambda t: (f"{t[0]}({t[1][0]})", lambda x, y, t=t: NP[t[0]](t[1][1](x, y))))
        neg = children.map(lambda c: (f"-({c[0]})", lambda x, y, c=c: -c[1](x, y)))
        two = st.tuples(st.sampled_from(["min", "max"]), children, children).map(
            lambda t: (f"{t[0]}({t[1][0]}, {t[2][0]})",
                       lambda x, y, t=t: NP[t[0]](t[1][1](x, y), t[2][1](x, y))))
        return st.one_of(binop, unary, neg, two)

    return st.recursive(leaves, extend, max_leaves=6)


@settings(max_examples=100, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(_trees())
def test_random_valid_trees_evaluate_like_numpy(tree):
    text, ref = tree
    try:
        _, s = F.compile_formula(text)
    except FormulaError as exc:  # e.g. a constant exponent above 100
        assert str(exc).startswith("formula")
        return
    pts = np.random.default_rng(0).uniform(-3, 3, (64, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f, g, h = s.f(pts), s.grad(pts), s.hessian(pts)
    assert f.shape == (64,) and g.shape == (64, 2) and h.shape == (64, 2, 2)
    with np.errstate(all="ignore"):
        expected = np.broadcast_to(ref(pts[:, 0], pts[:, 1]), (64,))
    ok = np.isfinite(f)
    assert np.all(np.isfinite(g[ok]))
    np.testing.assert_allclose(f[ok], expected[ok], rtol=1e-9, atol=1e-9 * (1 + np.abs(expected[ok]).max(initial=0)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trees())
def test_random_trees_build_surfaces_with_true_stationary_points(tree):
    try:
        s = F.build(tree[0])
    except FormulaError as exc:  # e.g. undefined on more than 90% of the domain
        assert str(exc).startswith("formula")
        return
    (x0, x1), (y0, y1) = s.domain
    for m in s.minima + s.saddles:
        p = np.array([m.x, m.y])
        assert x0 <= m.x <= x1 and y0 <= m.y <= y1 and m.found
        h = s.hessian(p)
        assert np.linalg.norm(s.grad(p)) <= 1e-8 * (1 + np.linalg.norm(h)) * (1 + np.linalg.norm(p))
        eig = np.linalg.eigvalsh(h)
        assert (eig[0] > 0) if m.kind != "saddle" else (eig[0] < 0 < eig[1])
    assert np.isfinite(s.f(np.array(s.default_start))) or not np.isfinite(s.grid(20)[2]).any()


# --------------------------------------------------------------------------
# Everywhere a surface goes: RunConfig, share links, CLI, app
# --------------------------------------------------------------------------

def test_run_config_builds_and_caches_the_formula_surface():
    run = config.RunConfig("formula", formula="x**2 + 2*y**2", domain=(-1.0, 1.0, -2.0, 2.0))
    s = run.get_surface()
    assert s.name == "formula" and s.formula == "x**2 + 2*y**2" and s.domain == ((-1, 1), (-2, 2))
    assert run.get_surface() is s, "cached on text and domain"
    assert config.RunConfig("formula").get_surface().formula == F.DEFAULT_FORMULA
    with pytest.raises(ValueError, match="unknown name 'q'"):
        config.parse_formula("q*x")
    with pytest.raises(ValueError, match="unknown name 'q'"):
        config.RunConfig("formula", formula="q*x")
    with pytest.raises(ValueError, match="belong to surface 'formula'"):
        config.RunConfig("bowl", formula="x")
    normalized = config.RunConfig("formula", formula=" x**2 + 2*y**2 ", domain=[-1, 1, -2, 2])
    assert normalized == run and hash(normalized) == hash(run), "a cache key: normalized"
    with pytest.raises(ValueError, match="domain"):
        config.parse_formula("x", (1, 0, 0, 1))


def test_share_link_round_trip_keeps_the_formula():
    q = {"surface": "formula", "f": "sin(x)*y + x**2/4", "domain": "-2,3,-1.5,1.5", "r1": "adam",
         "r1.lr": "0.05", "x": "1", "y": "1"}
    state, warnings_ = links.from_query(q)
    assert warnings_ == []
    assert state.run.formula == q["f"] and state.run.domain == (-2.0, 3.0, -1.5, 1.5)
    written = links.to_query(state)
    assert written["f"] == q["f"] and written["domain"] == "-2,3,-1.5,1.5"
    again, w2 = links.from_query(written)
    assert again == state and w2 == []
    assert "f" not in links.to_query(AppState())


@pytest.mark.parametrize("query,needle", [
    ({"f": "import os"}, "not a valid expression"),
    ({"f": "x" * 10_000}, "too long"),
    ({"f": "x + \u0445"}, "CYRILLIC"),
    ({"f": "9**9**9"}, "exponent"),
    ({"domain": "1,0,0,1"}, "xmin < xmax"),
    ({"domain": "a,b,c,d"}, "must be a number"),
    ({"domain": "0,1"}, "four numbers"),
    ({"domain": "-1e9,1,0,1"}, "within"),
])
def test_tampered_formula_links_warn_and_fall_back(query, needle):
    state, warnings_ = links.from_query({"surface": "formula", **query})
    assert any(needle in w for w in warnings_), warnings_
    run = state.run
    assert run.surface == "formula"
    run.get_surface()  # the fallback works
    if "f" in query:
        assert run.formula == ""  # the example formula
    else:
        assert run.domain is None


def _cli(*args):
    import contextlib
    import io

    import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_cli_run_with_a_formula():
    code, out, err = _cli("run", "--formula", ROSENBROCK, "--domain", "-2", "2", "-1", "3",
                          "--optimizer", "gd", "--lr", "0.001", "--steps", "50", "--start", "-1.2", "1",
                          "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["surface"] == "formula" and d["formula"] == ROSENBROCK and d["domain"] == [-2, 2, -1, 3]
    code, out2, _ = _cli("run", "--surface", "rosenbrock", "--optimizer", "gd", "--lr", "0.001",
                         "--steps", "50", "--start", "-1.2", "1", "--json")
    np.testing.assert_allclose(d["points"], json.loads(out2)["points"], rtol=1e-12)
    code, out, err = _cli("run", "--formula", "log(x) + y**2", "--domain", "-2", "2", "-2", "2",
                          "--optimizer", "gd", "--lr", "0.3", "--start", "0.5", "1")
    assert code == 0 and "the formula is undefined" in out


@pytest.mark.parametrize("args,needle", [
    (["run", "--formula", "x + z", "--optimizer", "gd"], "unknown name 'z'"),
    (["run", "--formula", "__import__('os').system('id')", "--optimizer", "gd"], "column 1"),
    (["run", "--formula", "x", "--domain", "1", "0", "0", "1", "--optimizer", "gd"], "xmin < xmax"),
    (["run", "--formula", "x", "--domain", "1", "0", "--optimizer", "gd"], "--domain"),
    (["run", "--surface", "bowl", "--formula", "x", "--optimizer", "gd"], "drop --surface bowl"),
    (["run", "--optimizer", "gd"], "--surface NAME or --formula"),
    (["sweep", "--formula", "9**9**9", "--optimizer", "gd", "--lr-min", "0.1", "--lr-max", "1"], "exponent"),
    (["basins", "--formula", "x\u0445", "--optimizer", "gd"], "CYRILLIC"),
])
def test_cli_bad_formula_exits_2_with_one_line(args, needle):
    code, out, err = _cli(*args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_cli_other_subcommands_take_a_formula():
    code, out, err = _cli("theory", "--formula", "x**2 + 3*y**2", "--domain", "-2", "2", "-2", "2", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert (d["lambda_min"], d["lambda_max"]) == pytest.approx((2.0, 6.0))
    code, out, err = _cli("basins", "--formula", "(x**2 + y - 11)**2 + (x + y**2 - 7)**2", "--domain", "-5", "5",
                          "-5", "5", "--optimizer", "gd", "--lr", "0.01", "--steps", "300", "--resolution", "12",
                          "--json")
    assert code == 0, err
    assert len(json.loads(out)["minima"]) == 4


def test_cli_export_of_a_formula_link(tmp_path):
    out = tmp_path / "f.json"
    code, _, err = _cli("export", "--format", "json", "--out", str(out), "--link",
                        "surface=formula&f=x**2%2B3*y**2&domain=-1,1,-2,2&r1=gd&r1.lr=0.1&steps=20")
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["formula"] == "x**2+3*y**2" and data["domain"] == [-1, 1, -2, 2]


def test_app_shows_a_formula_surface_from_a_link_and_an_error_for_a_bad_one():
    from tests.test_app import assert_healthy, new_app

    at = new_app({"surface": "formula", "f": "log(x) + (y - 1)**2", "domain": "-2,2,-2,3",
                  "r1": "gd", "r1.lr": "0.2", "r2": "adam", "r2.lr": "0.05"})
    fig = assert_healthy(at, min_paths=2)
    assert at.title[0].value.startswith("Your own formula")
    assert at.text_input(key="formula").value == "log(x) + (y - 1)**2"
    assert [n.value for n in at.number_input][:4] == [-2.0, 2.0, -2.0, 3.0]
    assert not at.warning or all("undefined" in w.value for w in at.warning)
    surf = next(t for t in fig["data"] if t.get("type") == "surface")
    assert any(v is None for row in surf["z"] for v in row), "the undefined half is a gap"
    at.text_input(key="formula").set_value("sin(x) + cos(yy)").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("column 14" in e and "'yy'" in e for e in errors), errors
    at.text_input(key="formula").set_value("x**2 + 3*y**2").run()
    assert_healthy(at, min_paths=2)
    assert not at.error
    assert at.query_params["f"] in (["x**2 + 3*y**2"], "x**2 + 3*y**2")


def test_app_bad_formula_link_warns_and_shows_the_example():
    from tests.test_app import assert_healthy, new_app

    at = new_app({"surface": "formula", "f": "__import__('os').system('id')"})
    assert_healthy(at)
    assert any("Share link: formula at column 1" in w.value for w in at.warning)
    assert at.text_input(key="formula").value == F.DEFAULT_FORMULA


def test_app_keeps_the_typed_formula_across_a_surface_switch():
    from tests.test_app import assert_healthy, new_app

    at = new_app()
    at.selectbox(key="surface").set_value("formula").run()
    assert at.text_input(key="formula").value == F.DEFAULT_FORMULA
    at.text_input(key="formula").set_value("(x - 1)**2 + 10*(y + 0.5)**2").run()
    at.number_input(key="dom.x1").set_value(4.0).run()
    assert_healthy(at)
    assert at.session_state["lr.0"] == 0.08, "gd's suggested rate: 1.6 / curvature 20"
    at.selectbox(key="surface").set_value("bowl").run()
    assert not at.text_input
    at.selectbox(key="surface").set_value("formula").run()
    assert_healthy(at)
    assert at.text_input(key="formula").value == "(x - 1)**2 + 10*(y + 0.5)**2"
    assert [n.value for n in at.number_input][:4] == [-3.0, 4.0, -3.0, 3.0]


# --------------------------------------------------------------------------
# Hard limits: the symbolic work runs in a limited worker process
# --------------------------------------------------------------------------

def test_constant_towers_are_folded_before_sympy_sees_them():
    """SymPy evaluates pi's tower to ever more digits when it builds Max (a hang):
    constants are folded in floating point with overflow checks first."""
    import time

    F.build("x + y")  # the worker is running
    F._build_cached.cache_clear()
    F._compile_isolated.cache_clear()
    t0 = time.perf_counter()
    with pytest.raises(FormulaError, match="too large"):
        F.build("max(pi**pi**pi**pi**pi, x)")
    with pytest.raises(FormulaError, match="too large"):
        F.compile_formula("max(pi**pi**pi**pi**pi, x)")  # in this process as well: refused, no hang
    s = F.build("max(pi**pi**pi, x)")  # 1.34e18: a plain (finite) number
    assert float(s.f(np.array([0.0, 0.0]))) == pytest.approx(math.pi ** math.pi ** math.pi, rel=1e-12)
    assert time.perf_counter() - t0 < 10
    assert r"\pi" in F.build("2*pi*x + pi/2*y - e").latex, "pi and e stay symbols where they cost nothing"


def test_integer_literals_too_large_for_a_float_are_refused_with_a_message():
    text = "x+1" + "0" * 400
    with pytest.raises(FormulaError, match="too large") as info:
        F.build(text)
    assert info.value.column == 3 and "\n" not in str(info.value)
    import contextlib
    import io

    import cli

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(["run", "--formula", text, "--optimizer", "gd", "--lr", "0.01"])
    assert code == 2 and "too large" in err.getvalue() and "Traceback" not in err.getvalue()


def test_the_worker_stops_symbolic_work_at_its_cpu_limit():
    """A CPU timer inside the worker's child ends the work with a message (and
    RLIMIT_CPU / alarm() kill it if it does not return): nothing keeps computing."""
    from landscapes import worker

    text = "*".join(f"sin({k}*x + y)" for k in range(1, 11))  # ~0.7 s of symbolic work
    answer = worker.request(text, cpu=0.05)
    assert "too complex" in answer["error"] and "0.05 s" in answer["error"]
    assert "ok" in worker.request("x + y", cpu=0.5)
    assert "ok" in worker.request(text, cpu=100), "a request cannot raise the limits, only lower them" \
        if worker.CPU_SECONDS > 1.0 else True


def test_a_dead_worker_is_started_again():
    import os
    import signal

    from landscapes import worker

    F.build("x + y")
    pid, path = worker.server_pid(), worker._server["path"]
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    import shutil
    shutil.rmtree(os.path.dirname(path), ignore_errors=True)  # what the killed server could not clean
    F._build_cached.cache_clear()
    F._compile_isolated.cache_clear()
    assert F.build("x*y + 1").f(np.array([2.0, 3.0])) == 7.0
    assert worker.server_pid() != pid


def test_programs_from_the_worker_are_checked_against_the_table():
    good = F.Program([F.X * F.Y + sympy.sin(F.X)]).spec()
    assert F.Program.from_spec(good)(np.array([1.0]), np.array([2.0]))[0][0] == pytest.approx(2 + math.sin(1))
    bad = [
        {**good, "code": [["system", [0], None]] + good["code"][1:]},   # not in the table
        {**good, "code": [[good["code"][0][0], [99], None]] + good["code"][1:]},  # a slot not yet computed
        {**good, "outputs": [999]},
        {**good, "n": good["n"] + 1},
        {**good, "consts": [[2, float("inf")]]},
        {"code": "x"},
    ]
    for spec in bad:
        with pytest.raises(FormulaError, match="malformed"):
            F.Program.from_spec(spec)


def _minmax_trees():
    """Random nested min/max of smooth terms (SymPy flattens nested Min/Max to
    3 or more arguments: np.minimum's third argument would be ``out=``)."""
    terms = st.sampled_from(["x", "y", "2*x", "2*y", "x + y", "x - y", "x*y", "sin(x)", "cos(y)",
                             "x**2", "0.5*y**2 - x", "1", "-1.5"])
    return st.recursive(terms, lambda c: st.tuples(st.sampled_from(["min", "max"]), c, c).map(
        lambda t: f"{t[0]}({t[1]}, {t[2]})"), max_leaves=7)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_minmax_trees(), st.integers(0, 2**16))
def test_nested_min_max_gradients_match_finite_differences(text, seed):
    try:
        _, ev = F.compile_formula(text)
    except FormulaError as exc:
        assert "constant" in str(exc) or "finite" in str(exc) or "undefined" in str(exc), str(exc)
        return
    pts = np.random.default_rng(seed).uniform(-3, 3, (32, 2))
    h = 1e-6
    ex, ey = np.array([h, 0.0]), np.array([0.0, h])
    fd = np.stack([(ev.f(pts + ex) - ev.f(pts - ex)) / (2 * h), (ev.f(pts + ey) - ev.f(pts - ey)) / (2 * h)], -1)
    # away from kinks: the one-sided slopes agree there
    fwd = np.stack([(ev.f(pts + 2 * ex) - ev.f(pts)) / (2 * h), (ev.f(pts + 2 * ey) - ev.f(pts)) / (2 * h)], -1)
    back = np.stack([(ev.f(pts) - ev.f(pts - 2 * ex)) / (2 * h), (ev.f(pts) - ev.f(pts - 2 * ey)) / (2 * h)], -1)
    smooth = np.all(np.abs(fwd - back) < 1e-4, axis=-1)
    g = ev.grad(pts)
    np.testing.assert_allclose(g[smooth], fd[smooth], rtol=1e-5, atol=1e-5)
    if smooth.any():  # also through the worker process (the same program, sent as plain data)
        s = F.build(text) if np.isfinite(ev.f(pts)).mean() > 0.5 else None
        if s is not None:
            np.testing.assert_array_equal(s.grad(pts[smooth]), g[smooth])


def test_min_max_of_three_or_more_arguments_reduce_pairwise():
    s = F.build("min(x,min(y,min(2*x,2*y)))")
    np.testing.assert_array_equal(s.grad(np.array([2.0, 0.5])), [0.0, 1.0])
    s = F.build("min(x,min(y,min(2*x,min(2*y, x+y))))")
    assert float(s.f(np.array([2.0, 0.5]))) == 0.5


def test_an_empty_formula_in_a_link_says_so():
    state, warnings = links.from_query({"surface": "formula", "f": ""})
    assert state.run.surface == "formula" and state.run.formula == ""
    assert any("formula f is empty" in w for w in warnings), warnings
