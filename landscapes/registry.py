"""Name -> surface factory, with validated parameters."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from registries import Registry, check_number
from .base import Param, Surface


@dataclass(frozen=True)
class SurfaceSpec:
    name: str
    build: Callable[..., Surface]
    params: dict[str, Param] = field(default_factory=dict)


REGISTRY: Registry[SurfaceSpec] = Registry("surface")


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
        out[key] = check_number(name, key, params.get(key, p.default), p.low, p.high, integer=p.integer)
    return out


def spec_of(name: str) -> SurfaceSpec:
    return REGISTRY.lookup(name)


def get(name: str, **params) -> Surface:
    """The surface ``name`` built with ``params`` (defaults for the rest)."""
    values = validate_params(name, params)
    return _build(name, tuple(sorted(values.items())))


@lru_cache(maxsize=256)
def _build(name: str, items: tuple) -> Surface:
    return REGISTRY[name].build(**dict(items))
