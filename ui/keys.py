"""The widget keys: born and parsed here only.

Every widget of the page keeps its value in Streamlit's session state under a
key. The plain ones are single words ("surface", "steps", "x", "tab", …); the
structured ones, made here, carry what they belong to:

=====================  ==============================================
``opt.{i}``            racer i's optimizer (0-based)
``lr.{i}``             its learning rate
``hp.{i}.{opt}.{k}``   its hyperparameter k of optimizer opt
``sched.{i}``          its schedule
``schedp.{i}.{s}.{k}`` its schedule s's parameter k
``noise.{i}``          its gradient noise σ
``own_start.{i}``      whether it has its own start (``sx.{i}``, ``sy.{i}``)
``batch.{i}``          its batch size (data surfaces), ``droplast.{i}``
``net_batch.{i}``      its batch size in the training view (1 … N; N: the full batch)
``sp.{surface}.{k}``   surface parameter k
``dom.x0`` … ``dom.y1`` the typed formula's domain
=====================  ==============================================

A hyperparameter's and a schedule parameter's key name the optimizer or schedule,
so switching optimizer and back finds the values typed for each.
"""
from __future__ import annotations

# the per-racer keys' first part: ``load_into_widgets`` clears all of them
RACER_PARTS = ("opt", "lr", "hp", "sched", "schedp", "noise", "own_start", "sx", "sy", "batch", "droplast",
               "net_batch")
# the training view's settings (state.TrainingOptions), field: key
NET = {"task": "net_task", "width": "net_width", "layers": "net_layers", "steps": "net_steps"}
DOMAIN = ("dom.x0", "dom.x1", "dom.y0", "dom.y1")   # xmin, xmax, ymin, ymax
DOMAIN_LABELS = ("x min", "x max", "y min", "y max")


def opt(i: int) -> str:
    return f"opt.{i}"


def lr(i: int) -> str:
    return f"lr.{i}"


def hp(i: int, optimizer: str, k: str) -> str:
    return f"hp.{i}.{optimizer}.{k}"


def sched(i: int) -> str:
    return f"sched.{i}"


def schedp(i: int, schedule: str, k: str) -> str:
    return f"schedp.{i}.{schedule}.{k}"


def noise(i: int) -> str:
    return f"noise.{i}"


def own_start(i: int) -> str:
    return f"own_start.{i}"


def start(i: int, axis: str) -> str:
    """Racer i's own start coordinate, ``axis`` "x" or "y"."""
    return f"s{axis}.{i}"


def batch(i: int) -> str:
    return f"batch.{i}"


def droplast(i: int) -> str:
    return f"droplast.{i}"


def net_batch(i: int) -> str:
    return f"net_batch.{i}"


def surface_param(surface: str, k: str) -> str:
    return f"sp.{surface}.{k}"


def is_racer_or_surface_key(key) -> bool:
    """A per-racer or surface-parameter key (what loading a new state replaces)."""
    return isinstance(key, str) and key.split(".")[0] in (*RACER_PARTS, "sp")


def parse_param(key) -> tuple[str, int, str, str] | None:
    """``hp.{i}.{opt}.{k}`` -> ("hp", i, opt, k), ``schedp.{i}.{s}.{k}`` -> ("schedp", i, s, k);
    None for any other key."""
    if not isinstance(key, str) or key.count(".") < 3:
        return None
    part, i, owner, k = key.split(".", 3)
    if part not in ("hp", "schedp") or not i.isdigit() or not owner or not k:
        return None
    return part, int(i), owner, k


def racer_values(i: int, optimizer: str, values: dict) -> dict:
    """The keys that set racer i to ``optimizer`` with ``values`` (``lr`` and hyperparameters)."""
    out = {opt(i): optimizer}
    for k, v in values.items():
        out[lr(i) if k == "lr" else hp(i, optimizer, k)] = float(v)
    return out
