"""Tests for the loss surfaces in ``landscapes``.

Most tests are parametrized over ``landscapes.names()`` so every surface that
gets registered later is checked automatically: the shape rule, analytic
derivatives against finite differences, the listed minima and saddles, the
global minimum against a fine grid, the absence of NumPy warnings and the
registry's validation. Surface-specific tests pin the definitions from the
brief's table and the published VLSE (sfu.ca/~ssurjano) values.
"""
from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import landscapes
from landscapes import Surface

NAMES = landscapes.names()

# Parameter variations for the parametrized surfaces (defaults are always tested).
PARAM_VARIANTS = {
    "rosenbrock": [{"a": 0.5, "b": 10.0}, {"a": 2.0, "b": 500.0}, {"a": 0.1, "b": 1.0}],
    "ravine": [{"a": 0.001, "b": 100.0}, {"a": 10.0, "b": 0.5}],
    "quadratic": [
        {"condition": 1.0, "angle": 0.0},
        {"condition": 100.0, "angle": -60.0},
        {"condition": 1000.0, "angle": 135.0},
        {"condition": 2.5, "angle": 180.0},
    ],
    "rastrigin": [{"A": 1.0}, {"A": 40.0}],
    "ackley": [{"a": 5.0, "b": 0.5, "c": 3.0}, {"a": 50.0, "b": 0.05, "c": 4 * math.pi}],
}


def _variant_id(name: str, params: dict) -> str:
    if not params:
        return name
    return name + "[" + ",".join(f"{k}={v:g}" for k, v in params.items()) + "]"


VARIANTS = [(n, {}) for n in NAMES] + [
    (n, p) for n, ps in PARAM_VARIANTS.items() if n in NAMES for p in ps
]
VARIANT_IDS = [_variant_id(n, p) for n, p in VARIANTS]

# Surfaces whose every value is a neural network evaluated on a whole data set
# (about 2,400 times the cost of a closed-form surface): the grid-wide checks
# use a coarser grid for them, so the suite stays around a minute.
COARSE_GRID = {"nn_slice": (201, 61)}  # (no point below the minimum, no warnings)

# Points where a surface is documented to be non-differentiable; skipped by the
# finite-difference checks only (they are still evaluated elsewhere).
SINGULAR = {"ackley": [(0.0, 0.0)]}


@pytest.fixture(params=VARIANTS, ids=VARIANT_IDS)
def surface(request) -> Surface:
    name, params = request.param
    return landscapes.get(name, **params)


@contextlib.contextmanager
def strict():
    """Every NumPy floating-point event and every warning becomes an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            yield


def random_points(s: Surface, n: int = 200, seed: int = 0) -> np.ndarray:
    (x0, x1), (y0, y1) = s.domain
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def special_points(s: Surface) -> np.ndarray:
    pts = [(m.x, m.y) for m in s.minima + s.saddles] + [s.default_start]
    return np.array(pts, dtype=float).reshape(-1, 2)


def drop_singular(s: Surface, pts: np.ndarray) -> np.ndarray:
    keep = np.ones(len(pts), dtype=bool)
    for q in SINGULAR.get(s.name, []):
        keep &= ~np.all(pts == np.asarray(q), axis=-1)
    return pts[keep]


def fine_grid(s: Surface, resolution: int = 601) -> np.ndarray:
    (x0, x1), (y0, y1) = s.domain
    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y0, y1, resolution)
    return np.stack(np.meshgrid(xs, ys), axis=-1)


def fd_grad(fn, pts: np.ndarray, rel: float = 1e-6) -> np.ndarray:
    """Central differences of ``fn`` (values of shape (N, *k)) along x and y."""
    cols = []
    for j in range(2):
        h = rel * np.maximum(1.0, np.abs(pts[:, j]))
        plus, minus = pts.copy(), pts.copy()
        plus[:, j] += h
        minus[:, j] -= h
        step = plus[:, j] - minus[:, j]  # the step actually taken in floating point
        diff = np.asarray(fn(plus)) - np.asarray(fn(minus))
        cols.append(diff / step.reshape((-1,) + (1,) * (diff.ndim - 1)))
    return np.stack(cols, axis=-1)


# --------------------------------------------------------------------------
# Registry and metadata
# --------------------------------------------------------------------------

BRIEF_SURFACES = [
    "bowl", "rosenbrock", "saddle", "ravine", "quadratic",
    "himmelblau", "beale", "booth", "rastrigin", "ackley", "goldstein_price",
    "six_hump_camel", "styblinski_tang", "mccormick", "two_minima",
]


def test_at_least_fourteen_surfaces_registered():
    assert len(NAMES) >= 14
    assert len(set(NAMES)) == len(NAMES)
    missing = set(BRIEF_SURFACES) - set(NAMES)
    assert not missing, f"surfaces missing from the registry: {sorted(missing)}"


def test_unknown_surface_names_the_valid_choices():
    with pytest.raises(ValueError) as exc:
        landscapes.get("no_such_surface")
    msg = str(exc.value)
    assert "no_such_surface" in msg
    for name in NAMES:
        assert name in msg


@pytest.mark.parametrize("name", NAMES)
def test_unknown_parameter_names_the_valid_ones(name):
    spec = landscapes.spec_of(name)
    with pytest.raises(ValueError) as exc:
        landscapes.get(name, no_such_param=1.0)
    msg = str(exc.value)
    assert "no_such_param" in msg
    for key in spec.params:
        assert key in msg


PARAM_CASES = [
    (name, key) for name in NAMES for key in landscapes.spec_of(name).params
]


@pytest.mark.parametrize("name,key", PARAM_CASES, ids=[f"{n}.{k}" for n, k in PARAM_CASES])
@pytest.mark.parametrize(
    "bad", ["below", "above", math.nan, math.inf, -math.inf, "text", None],
    ids=["below", "above", "nan", "inf", "-inf", "text", "None"],
)
def test_bad_parameter_value_raises_with_its_range(name, key, bad):
    p = landscapes.spec_of(name).params[key]
    span = p.high - p.low
    if bad == "below":
        value = p.low - 0.5 * span - 1.0
    elif bad == "above":
        value = p.high + 0.5 * span + 1.0
    else:
        value = bad
    with pytest.raises(ValueError) as exc:
        landscapes.get(name, **{key: value})
    msg = str(exc.value)
    assert key in msg
    if isinstance(value, float):  # numbers out of range or non-finite: the range is named
        assert f"{p.low:g}" in msg and f"{p.high:g}" in msg


@pytest.mark.parametrize("name,key", PARAM_CASES, ids=[f"{n}.{k}" for n, k in PARAM_CASES])
def test_parameter_bounds_are_accepted(name, key):
    p = landscapes.spec_of(name).params[key]
    assert p.low <= p.default <= p.high
    for value in (p.low, p.high):
        s = landscapes.get(name, **{key: value})
        assert s.params[key] == value
        with strict():
            assert np.isfinite(s.f(np.asarray(s.default_start)))


def test_metadata(surface):
    spec = landscapes.spec_of(surface.name)
    assert surface.name in NAMES
    assert set(surface.params) == set(spec.params)
    for text in (surface.title, surface.latex, surface.lesson):
        assert isinstance(text, str) and text.strip()
    (x0, x1), (y0, y1) = surface.domain
    assert x0 < x1 and y0 < y1
    assert all(math.isfinite(v) for v in (x0, x1, y0, y1))


def test_default_start_inside_domain_and_not_at_a_minimum(surface):
    (x0, x1), (y0, y1) = surface.domain
    sx, sy = surface.default_start
    assert x0 <= sx <= x1 and y0 <= sy <= y1
    _, dist = surface.nearest_minimum(np.array([sx, sy]))
    assert dist > 1e-2
    with strict():
        assert np.isfinite(surface.f(np.array([sx, sy])))
        assert np.linalg.norm(surface.grad(np.array([sx, sy]))) > 1e-6


# --------------------------------------------------------------------------
# Shape rule
# --------------------------------------------------------------------------

def test_shapes_on_a_grid(surface):
    pts = fine_grid(surface, 5)[:4, :3]  # (H, W, 2) = (4, 3, 2)
    with strict():
        f, g, h = surface.f(pts), surface.grad(pts), surface.hessian(pts)
    assert np.shape(f) == (4, 3)
    assert np.shape(g) == (4, 3, 2)
    assert np.shape(h) == (4, 3, 2, 2)


def test_shapes_on_a_single_point(surface):
    p = np.asarray(surface.default_start, dtype=float)
    with strict():
        f, g, h = surface.f(p), surface.grad(p), surface.hessian(p)
        f_list = surface.f(list(surface.default_start))
    assert np.shape(f) == ()
    assert np.shape(g) == (2,)
    assert np.shape(h) == (2, 2)
    assert float(f_list) == float(f)


def test_batch_equals_row_by_row(surface):
    pts = random_points(surface, 25, seed=1)
    with strict():
        fb, gb, hb = surface.f(pts), surface.grad(pts), surface.hessian(pts)
        rows = [(surface.f(p), surface.grad(p), surface.hessian(p)) for p in pts]
    np.testing.assert_allclose(fb, [r[0] for r in rows], rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(gb, [r[1] for r in rows], rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(hb, [r[2] for r in rows], rtol=1e-13, atol=1e-12)


def _unit_points(max_size: int = 8):
    unit = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return st.lists(st.tuples(unit, unit), min_size=1, max_size=max_size)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=40, deadline=None)
@given(unit=_unit_points())
def test_property_batch_equals_single(name, unit):
    """Hypothesis: for any points in the domain (boundary included), a batch
    evaluation equals evaluating each point alone, and everything is finite."""
    s = landscapes.get(name)
    (x0, x1), (y0, y1) = s.domain
    u = np.array(unit, dtype=float)
    pts = np.column_stack([x0 + u[:, 0] * (x1 - x0), y0 + u[:, 1] * (y1 - y0)])
    with strict():
        fb, gb, hb = s.f(pts), s.grad(pts), s.hessian(pts)
        for i, p in enumerate(pts):
            np.testing.assert_allclose(s.f(p), fb[i], rtol=1e-13, atol=1e-13)
            np.testing.assert_allclose(s.grad(p), gb[i], rtol=1e-13, atol=1e-12)
            np.testing.assert_allclose(s.hessian(p), hb[i], rtol=1e-13, atol=1e-12)
    assert np.all(np.isfinite(fb)) and np.all(np.isfinite(gb)) and np.all(np.isfinite(hb))
    np.testing.assert_array_equal(hb, np.swapaxes(hb, -1, -2))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=40, deadline=None)
@given(unit=_unit_points(1), tenths=st.integers(0, 3599))
def test_property_grad_is_directional_derivative(name, unit, tenths):
    """Hypothesis: along a random direction, the slope of f matches grad·d."""
    s = landscapes.get(name)
    (x0, x1), (y0, y1) = s.domain
    (ux, uy), = unit
    p = np.array([x0 + ux * (x1 - x0), y0 + uy * (y1 - y0)])
    # A difference stencil that straddles a kink measures nothing useful.
    assume(all(np.linalg.norm(p - np.asarray(q)) > 1e-3 for q in SINGULAR.get(name, [])))
    # Whole tenths of a degree: no direction component is so tiny that the test
    # itself underflows (underflow is not a surface defect, but strict() raises it).
    t = math.radians(tenths / 10)
    d = np.array([math.cos(t), math.sin(t)])
    d[np.abs(d) < 1e-12] = 0.0
    h = 1e-6 * max(1.0, float(np.abs(p).max()))
    plus, minus = p + h * d, p - h * d
    with strict():
        slope = (s.f(plus) - s.f(minus)) / (2 * h)
        g = s.grad(p)
        fp = s.f(p)
    assert abs(slope - g @ d) <= 1e-5 * np.linalg.norm(g) + 1e-7 * (1 + abs(fp)) + 1e-6


# --------------------------------------------------------------------------
# Derivatives
# --------------------------------------------------------------------------

def test_gradient_matches_central_differences(surface):
    pts = drop_singular(surface, np.vstack([random_points(surface, 200), special_points(surface)]))
    with strict():
        g = surface.grad(pts)
        f = surface.f(pts)
        fd = fd_grad(surface.f, pts)
    tol = 1e-5 * np.linalg.norm(g, axis=-1, keepdims=True) + 1e-7 * (1 + np.abs(f))[:, None] + 1e-6
    err = np.abs(fd - g)
    worst = np.argmax((err / tol).max(axis=-1))
    assert np.all(err <= tol), f"at {pts[worst]}: analytic {g[worst]}, central diff {fd[worst]}"


def test_hessian_matches_differences_of_gradient(surface):
    pts = drop_singular(surface, np.vstack([random_points(surface, 200, seed=2), special_points(surface)]))
    with strict():
        h = surface.hessian(pts)
        g = surface.grad(pts)
        fd = fd_grad(surface.grad, pts)  # fd[n, i, j] = d g_i / d x_j
    scale = np.linalg.norm(h, axis=(-2, -1))[:, None, None]
    gscale = np.linalg.norm(g, axis=-1)[:, None, None]
    tol = 1e-5 * scale + 1e-7 * (1 + gscale) + 1e-6
    err = np.abs(fd - h)
    worst = np.argmax((err / tol).reshape(len(pts), -1).max(axis=-1))
    assert np.all(err <= tol), f"at {pts[worst]}: analytic {h[worst]}, differences {fd[worst]}"


def test_hessian_symmetric(surface):
    pts = np.vstack([random_points(surface, 200, seed=3), special_points(surface)])
    with strict():
        h = surface.hessian(pts)
    np.testing.assert_array_equal(h, np.swapaxes(h, -1, -2))


# --------------------------------------------------------------------------
# Minima and saddles
# --------------------------------------------------------------------------

def test_minima_are_well_formed(surface):
    kinds = [m.kind for m in surface.minima]
    assert set(kinds) <= {"global", "local"}
    if surface.minima:
        assert kinds[0] == "global"
        first_local = kinds.index("local") if "local" in kinds else len(kinds)
        assert all(k == "local" for k in kinds[first_local:]), "global minima must come first"
        g = surface.global_minimum
        assert g == min(m.value for m in surface.minima)
        for m in surface.minima:
            if m.kind == "global":
                assert m.value == pytest.approx(g, rel=1e-12, abs=1e-12)
            else:
                assert m.value > g
    assert all(m.kind == "saddle" for m in surface.saddles)
    (x0, x1), (y0, y1) = surface.domain
    pts = special_points(surface)[:-1]
    for x, y in pts:
        assert x0 <= x <= x1 and y0 <= y <= y1, f"({x}, {y}) outside the domain"
    if len(pts) > 1:
        d = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
        assert np.all(d[~np.eye(len(pts), dtype=bool)] > 1e-6), "duplicate stationary point"


def _stationary_cases():
    cases = []
    for name, params in VARIANTS:
        s = landscapes.get(name, **params)
        for i, m in enumerate(s.minima + s.saddles):
            cases.append(pytest.param(name, params, i, id=f"{_variant_id(name, params)}-{m.kind}{i}"))
    return cases


@pytest.mark.parametrize("name,params,index", _stationary_cases())
def test_listed_stationary_point(name, params, index):
    s = landscapes.get(name, **params)
    m = (s.minima + s.saddles)[index]
    p = np.array([m.x, m.y])
    with strict():
        f, g, h = float(s.f(p)), s.grad(p), s.hessian(p)
    hnorm = np.linalg.norm(h, 2)
    # p is the stationary point rounded to doubles: the gradient there is at most
    # |H|·|rounding error| plus rounding in evaluating the gradient itself.
    assert np.linalg.norm(g) <= 1e-13 * (1 + hnorm) * (1 + np.linalg.norm(p)), g
    assert f == pytest.approx(m.value, rel=1e-12, abs=1e-12)
    eig = np.linalg.eigvalsh(h)
    if m.kind == "saddle":
        assert eig[0] < 0 < eig[1], f"{m} is not a saddle: eigenvalues {eig}"
    else:
        assert eig[0] > 0, f"{m} is not a strict minimum: eigenvalues {eig}"


def test_no_grid_point_below_the_global_minimum(surface):
    if surface.global_minimum is None:
        pytest.skip("surface has no minimum")
    pts = fine_grid(surface, COARSE_GRID.get(surface.name, (601,))[0])
    with strict():
        z = surface.f(pts)
    g = surface.global_minimum
    assert np.all(np.isfinite(z))
    assert z.min() >= g - 1e-9 * (1 + abs(g)), f"grid value {z.min()} below the global minimum {g}"
    # ... and the grid's lowest point sits in the basin of a listed global minimum.
    k = np.unravel_index(np.argmin(z), z.shape)
    idx, _ = surface.nearest_minimum(pts[k])
    assert surface.minima[int(idx)].kind == "global"


def test_no_warnings_on_grid_and_minima(surface):
    # odd resolution: symmetric domains include 0
    pts = fine_grid(surface, COARSE_GRID.get(surface.name, (0, 201))[1])
    with strict():
        for fn in (surface.f, surface.grad, surface.hessian):
            out = fn(pts)
            assert np.all(np.isfinite(out))
            out = fn(special_points(surface))
            assert np.all(np.isfinite(out))


# --------------------------------------------------------------------------
# The table's teaching surfaces
# --------------------------------------------------------------------------

CLASSIC = {
    "bowl": (lambda x, y: x**2 + y**2, ((-2, 2), (-2, 2)), [(0, 0)], (-1.5, 1.5)),
    "rosenbrock": (
        lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, ((-2, 2), (-1, 3)), [(1, 1)], (-1.2, 1),
    ),
    "saddle": (lambda x, y: x**2 - y**2, ((-2, 2), (-2, 2)), [], (-1.5, 0.01)),
    "ravine": (lambda x, y: 0.1 * x**2 + 2 * y**2, ((-6, 6), (-3, 3)), [(0, 0)], (-5, -2)),
}


@pytest.mark.parametrize("name", list(CLASSIC))
def test_classic_definitions(name):
    fn, domain, minima, start = CLASSIC[name]
    s = landscapes.get(name)
    assert s.domain == domain
    assert [(m.x, m.y) for m in s.minima] == minima
    assert all(m.value == 0.0 and m.kind == "global" for m in s.minima)
    assert s.default_start == start
    pts = random_points(s, 100, seed=4)
    np.testing.assert_allclose(s.f(pts), fn(pts[:, 0], pts[:, 1]), rtol=1e-14, atol=1e-14)


def test_saddle_has_no_minimum_and_a_saddle_at_origin():
    s = landscapes.get("saddle")
    assert s.minima == () and s.global_minimum is None
    assert [(m.x, m.y, m.value, m.kind) for m in s.saddles] == [(0.0, 0.0, 0.0, "saddle")]
    idx, dist = s.nearest_minimum(np.zeros((3, 2)))
    assert np.all(idx == -1) and np.all(np.isinf(dist))


def test_rosenbrock_parameters_move_the_minimum():
    s = landscapes.get("rosenbrock", a=2.0, b=10.0)
    assert (s.minima[0].x, s.minima[0].y) == (2.0, 4.0)
    assert float(s.f([0.0, 0.0])) == 4.0


QUAD_CASES = [
    (10.0, 30.0), (1000.0, 135.0), (100.0, -60.0), (2.5, 180.0), (3.0, -180.0), (7.0, 90.0), (1.0, 45.0),
]


@pytest.mark.parametrize("condition,angle", QUAD_CASES)
def test_quadratic_condition_and_angle(condition, angle):
    s = landscapes.get("quadratic", condition=condition, angle=angle)
    pts = random_points(s, 5, seed=5)
    for h in s.hessian(pts):
        eig, vec = np.linalg.eigh(h)
        assert eig[1] / eig[0] == pytest.approx(condition, rel=1e-10)
        if condition > 1:
            v = vec[:, 0]  # the low-curvature (long) axis
            got = math.degrees(math.atan2(v[1], v[0]))
            diff = (got - angle) % 180.0
            assert min(diff, 180.0 - diff) < 1e-8, (got, angle)


# --------------------------------------------------------------------------
# Benchmark surfaces: published VLSE values
# --------------------------------------------------------------------------

def _globals(name):
    return [(m.x, m.y) for m in landscapes.get(name).minima if m.kind == "global"]


def _kinds(name):
    s = landscapes.get(name)
    return [m.kind for m in s.minima], [m.kind for m in s.saddles]


def _close_to_listed(name, point, tol, kind="global"):
    s = landscapes.get(name)
    return any(
        abs(m.x - point[0]) <= tol and abs(m.y - point[1]) <= tol for m in s.minima if m.kind == kind
    )


# VLSE truncates its printed locations, so they are compared to one unit in the
# last printed place.


def test_himmelblau_four_global_minima():
    s = landscapes.get("himmelblau")
    assert _kinds("himmelblau")[0] == ["global"] * 4
    vlse = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    for p in vlse:
        assert _close_to_listed("himmelblau", p, 1e-6)
    assert float(s.f([3.0, 2.0])) == 0.0
    with strict():
        vals = s.f(np.array(_globals("himmelblau")))
    assert np.all(np.abs(vals) < 1e-25)


def test_beale():
    s = landscapes.get("beale")
    assert _globals("beale") == [(3.0, 0.5)]
    assert float(s.f([3.0, 0.5])) == 0.0
    assert float(s.f([0.0, 1.0])) == 14.203125  # the saddle on x = 0
    assert s.log_levels


def test_booth():
    s = landscapes.get("booth")
    assert _globals("booth") == [(1.0, 3.0)]
    assert float(s.f([1.0, 3.0])) == 0.0
    assert float(s.f([0.0, 0.0])) == 74.0


def test_rastrigin():
    s = landscapes.get("rastrigin")
    minima, saddles = _kinds("rastrigin")
    assert minima == ["global"] + ["local"] * 8
    assert float(s.f([0.0, 0.0])) == 0.0
    m = 0.9949586376523348  # root of t + 10π sin 2πt near 1 (50-digit Newton)
    locs = np.array([(p.x, p.y) for p in s.minima[1:]])
    expect = np.array([(a * m, b * m) for a in (-1, 0, 1) for b in (-1, 0, 1) if (a, b) != (0, 0)])
    d = np.abs(locs[:, None, :] - expect[None, :, :]).max(-1)
    assert np.all(d.min(axis=1) < 1e-14) and np.all(d.min(axis=0) < 1e-14)
    assert s.minima[1].value == pytest.approx(0.9949590570932914, rel=1e-13)
    # Standard form 2A + Σ(t² − A cos 2πt) equals the implementation.
    pts = random_points(s, 50, seed=6)
    std = 20 + (pts**2 - 10 * np.cos(2 * np.pi * pts)).sum(-1)
    np.testing.assert_allclose(s.f(pts), std, rtol=1e-12, atol=1e-12)


def test_ackley_origin():
    s = landscapes.get("ackley")
    assert _globals("ackley") == [(0.0, 0.0)]
    origin = np.zeros(2)
    with strict():
        assert float(s.f(origin)) == 0.0
        g = s.grad(origin)
        h = s.hessian(origin)
        batch = np.array([[0.0, 0.0], [1e-12, 0.0], [0.0, -1e-9], [0.3, -0.2]])
        for fn in (s.f, s.grad, s.hessian):
            assert np.all(np.isfinite(fn(batch)))
        # Off the origin the cone's slope is a·b/√2 however close one gets.
        assert np.linalg.norm(s.grad(batch[1])) == pytest.approx(20 * 0.2 / math.sqrt(2), rel=1e-9)
    # Tiny and subnormal |p|: no overflow, division or invalid-value events
    # (squares of such numbers underflow, which NumPy ignores by default).
    with np.errstate(all="raise", under="ignore"):
        tiny = np.array([[1e-300, 0.0], [0.0, -1e-200], [1e-310, 0.0], [5e-324, 5e-324]])
        for fn in (s.f, s.grad, s.hessian):
            assert np.all(np.isfinite(fn(tiny)))
    np.testing.assert_array_equal(g, [0.0, 0.0])
    assert np.all(np.isfinite(h)) and np.linalg.eigvalsh(h)[0] > 0
    assert "origin" in s.note
    # Standard form equals the implementation.
    pts = random_points(s, 50, seed=7)
    x, y = pts[:, 0], pts[:, 1]
    std = (-20 * np.exp(-0.2 * np.sqrt(0.5 * (x**2 + y**2)))
           - np.exp(0.5 * (np.cos(2 * np.pi * x) + np.cos(2 * np.pi * y))) + 20 + np.e)
    np.testing.assert_allclose(s.f(pts), std, rtol=1e-12, atol=1e-12)


def test_goldstein_price():
    s = landscapes.get("goldstein_price")
    assert _globals("goldstein_price") == [(0.0, -1.0)]
    assert float(s.f([0.0, -1.0])) == 3.0
    assert [m.value for m in s.minima] == [3.0, 30.0, 84.0, 840.0]
    assert s.log_levels


def test_six_hump_camel():
    s = landscapes.get("six_hump_camel")
    minima, _ = _kinds("six_hump_camel")
    assert minima == ["global"] * 2 + ["local"] * 4
    for p in [(0.0898, -0.7126), (-0.0898, 0.7126)]:
        assert _close_to_listed("six_hump_camel", p, 1e-4)
    for x, y in _globals("six_hump_camel"):
        assert float(s.f([x, y])) == pytest.approx(-1.0316284535, abs=1e-10)
        assert float(s.f([x, y])) == pytest.approx(-1.0316, abs=5e-5)  # VLSE's rounding
    for p in [(-1.7036, 0.7961), (1.7036, -0.7961), (1.6071, 0.5686), (-1.6071, -0.5686)]:
        assert _close_to_listed("six_hump_camel", p, 1e-4, kind="local")


def test_styblinski_tang():
    s = landscapes.get("styblinski_tang")
    minima, saddles = _kinds("styblinski_tang")
    assert minima == ["global"] + ["local"] * 3
    assert _close_to_listed("styblinski_tang", (-2.903534, -2.903534), 1e-6)
    # VLSE prints -39.16599·d; the exact per-coordinate minimum is -39.16616570377142.
    assert s.global_minimum == pytest.approx(-39.16616570377142 * 2, rel=1e-14)
    assert s.global_minimum == pytest.approx(-39.16599 * 2, abs=1e-3)


def test_mccormick():
    s = landscapes.get("mccormick")
    assert _close_to_listed("mccormick", (-0.54719, -1.54719), 1e-5)
    assert s.global_minimum == pytest.approx(-1.913222954981037, abs=1e-14)
    assert s.global_minimum == pytest.approx(-1.9133, abs=1e-4)  # VLSE's rounding
    assert s.domain == ((-1.5, 4.0), (-3.0, 4.0))


def test_two_minima():
    s = landscapes.get("two_minima")
    minima, saddles = _kinds("two_minima")
    assert minima == ["global", "local"] and saddles == ["saddle"]
    glob, loc = s.minima
    sad = s.saddles[0]
    assert glob.value < loc.value < sad.value
    assert min(glob.x, loc.x) < sad.x < max(glob.x, loc.x)
    # The default start lies in the local (wrong) basin: the lesson of this surface.
    idx, _ = s.nearest_minimum(np.array(s.default_start))
    assert s.minima[int(idx)].kind == "local"
