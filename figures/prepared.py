"""A figure prepared once for serving: Plotly's JSON-ready dict, kept.

``st.plotly_chart`` asks a figure for ``to_dict()`` (a deep copy of every trace,
frame and slider step, then a walk that base64-encodes the arrays) and
serializes that. For an animated figure with 200 frames that costs more than
the rest of a rerun. A ``Prepared`` figure does that work once: it holds the
finished dict (arrays as base64 typed arrays, the picture as a PNG data URI,
the default template filled in, as ``go.Figure.to_dict()`` would give) and
answers ``to_dict()`` with it, so a cached figure costs a rerun only the JSON
encoding. Built from a plain figure dict it also skips plotly's
attribute-by-attribute validation (~90% of building the animated figure); the
figure functions' output is validated by the tests, which build ``go.Figure``s.

A ``Prepared`` figure is read-only: its ``data``/``layout`` attributes are empty,
use ``to_dict()``; ``to_html()``/``to_json()`` work.
"""
from __future__ import annotations

import base64
import hashlib
import json
from collections import OrderedDict
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.basevalidators import ImageUriValidator
from _plotly_utils.utils import to_typed_array_spec
from PIL import Image

_URIS: OrderedDict[str, str] = OrderedDict()
MAX_URIS = 64   # PNG data URIs of contour pictures kept (about 30-60 kB each)


class Prepared(go.Figure):
    """A figure whose ``to_dict()`` is a stored, finished dict (not a copy:
    do not change it)."""

    def __init__(self, spec: dict):
        super().__init__()
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec

    def to_plotly_json(self) -> dict:
        return self._spec

    @property
    def spec(self) -> dict:
        return self._spec


@lru_cache(maxsize=4)
def _template(name: str) -> dict:
    return go.Figure(layout=dict(template=name)).to_dict()["layout"].get("template", {})


def _image_uri(img: Image.Image) -> str:
    """PNG data URI of a picture; the same picture is encoded once."""
    key = hashlib.md5(img.tobytes(), usedforsecurity=False).hexdigest() + f"{img.size}{img.mode}"
    uri = _URIS.get(key)
    if uri is None:
        uri = _URIS[key] = ImageUriValidator.pil_image_to_uri(img)
        while len(_URIS) > MAX_URIS:
            _URIS.popitem(last=False)
    else:
        _URIS.move_to_end(key)
    return uri


_SKIPPED = frozenset(("geojson", "layer", "layers", "range"))  # as plotly's convert_to_base64
_SHORT = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
          "float32": "f4", "float64": "f8"}   # plotly's plotlyjsShortTypes


def typed_array(v: np.ndarray):
    """``to_typed_array_spec(v)``, the same dict, without its copy of the array
    for the types the figures use (a tenth of the time)."""
    short = _SHORT.get(v.dtype.name)
    if short is None or v.size == 0:
        return to_typed_array_spec(v)
    spec = {"dtype": short, "bdata": base64.b64encode(np.ascontiguousarray(v)).decode("ascii")}
    if v.ndim > 1:
        spec["shape"] = str(v.shape)[1:-1]
    return spec


def _encode_arrays(obj) -> None:
    """NumPy arrays -> base64 typed arrays, in place: what ``go.Figure.to_dict()``
    does, in a walk that only descends into dicts and lists (about 10x faster
    for a figure with hundreds of frames)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, np.ndarray):
                if k not in _SKIPPED:
                    obj[k] = typed_array(v)
            elif isinstance(v, (dict, list, tuple)):
                _encode_arrays(v)
    else:
        for v in obj:
            if isinstance(v, (dict, list, tuple)):
                _encode_arrays(v)


def prepare(fig: dict | go.Figure) -> Prepared:
    """The finished dict of a figure given as a plain dict (its arrays NumPy
    arrays or lists, layout images PIL images or URIs; its frames, if any,
    plain JSON already, as ``trajectory_figure`` builds them) or as a ``go.Figure``."""
    if isinstance(fig, Prepared):
        return fig
    if isinstance(fig, go.Figure):
        return Prepared(fig.to_dict())
    spec = {"data": list(fig.get("data", [])), "layout": dict(fig.get("layout", {}))}
    if "frames" in fig:
        spec["frames"] = fig["frames"]
    layout = spec["layout"]
    if "images" in layout:
        layout["images"] = [dict(im, source=_image_uri(im["source"]))
                            if isinstance(im.get("source"), Image.Image) else im
                            for im in layout["images"]]
    if "template" not in layout and pio.templates.default:
        layout["template"] = _template(pio.templates.default)  # shared, read-only
    _encode_arrays(spec["data"])
    # the template is plotly's own JSON, and frames are JSON-ready as built (see
    # ``RaceFigure``): neither is walked
    _encode_arrays([v for k, v in layout.items() if k != "template"])
    return Prepared(spec)


def nbytes(fig: Prepared) -> int:
    """Size of the figure's JSON: what one cached copy costs, to within the
    Python objects' overhead."""
    return len(json.dumps(fig.spec, default=lambda a: np.asarray(a).tolist()))
