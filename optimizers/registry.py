"""Name -> optimizer."""
from __future__ import annotations

from .base import Optimizer

REGISTRY: dict[str, Optimizer] = {}


def register(opt: Optimizer) -> Optimizer:
    REGISTRY[opt.name] = opt
    return opt


def names() -> list[str]:
    return list(REGISTRY)


def get(name: str) -> Optimizer:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown optimizer {name!r} (valid: {', '.join(REGISTRY)})") from None
