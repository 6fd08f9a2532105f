"""Name -> surface factory, with validated parameters."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from .base import Param, Surface


@dataclass(frozen=True)
class SurfaceSpec:
    name: str
    build: Callable[..., Surface]
    params: dict[str, Param] = field(default_factory=dict)


REGISTRY: dict[str, SurfaceSpec] = {}


def register(name: str, **params: Param):
    """Decorator: register ``build(**params) -> Surface`` under ``name``."""

    def deco(build: Callable[..., Surface]) -> Callable[..., Surface]:
        REGISTRY[name] = SurfaceSpec(name, build, dict(params))
        return build

    return deco


def names() -> list[str]:
    return list(REGISTRY)


def validate_params(name: str, params: dict) -> dict[str, float]:
    """Fill defaults and check bounds; ValueError with a clear message otherwise."""
    spec = spec_of(name)
    out = {}
    for key in params:
        if key not in spec.params:
            valid = ", ".join(spec.params) or "none"
            raise ValueError(f"surface {name!r} has no parameter {key!r} (valid: {valid})")
    for key, p in spec.params.items():
        value = params.get(key, p.default)
        if isinstance(value, bool):  # true/false is not a number (the same rule for every registry)
            raise ValueError(f"{name}.{key} must be a number, got {value!r}")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name}.{key} must be a number, got {value!r}") from None
        if not math.isfinite(value) or not (p.low <= value <= p.high):
            raise ValueError(f"{name}.{key} must be in [{p.low:g}, {p.high:g}], got {value!r}")
        if p.integer and value != int(value):
            raise ValueError(f"{name}.{key} must be a whole number in [{p.low:g}, {p.high:g}], "
                             f"got {value!r}")
        out[key] = value
    return out


def spec_of(name: str) -> SurfaceSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown surface {name!r} (valid: {', '.join(REGISTRY)})") from None


def get(name: str, **params) -> Surface:
    """The surface ``name`` built with ``params`` (defaults for the rest)."""
    values = validate_params(name, params)
    return _build(name, tuple(sorted(values.items())))


@lru_cache(maxsize=256)
def _build(name: str, items: tuple) -> Surface:
    return REGISTRY[name].build(**dict(items))
