"""Loss surfaces: plain NumPy functions with analytic gradients and Hessians.

>>> import landscapes
>>> s = landscapes.get("rosenbrock")
>>> float(s.f([1.0, 1.0]))
0.0
"""
from .base import StationaryPoint, Param, Surface
from .registry import REGISTRY, get, names, spec_of, validate_params
from . import classic  # noqa: F401  (registers the teaching surfaces)
from . import benchmarks  # noqa: F401  (registers the VLSE test functions)
from . import data  # noqa: F401  (registers the data losses)
from . import nn  # noqa: F401  (registers the neural-network slice)
from . import formula  # noqa: F401  (registers "formula": your own surface)
from .data import DATA_SURFACES, DataSurface, Dataset
from .formula import FormulaError

__all__ = ["DATA_SURFACES", "DataSurface", "Dataset", "FormulaError", "StationaryPoint", "Param", "Surface", "REGISTRY",
           "get", "names", "spec_of", "validate_params"]
