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
use ``to_dict()``; ``to_html()``/``to_json()`` work. One from ``prepare_stable``
(the app's charts) keeps its finished dict as the JSON the chart's message carries
(``encoded``), not as Python objects: the message is then built without encoding the
figure again, a cached race figure holds ~0.8 MB of bytes instead of ~2.8 MB of
dicts, lists and floats, and Python's garbage collector, which walks every live
list and dict again and again, no longer walks the caches' figures (see README
"Serving a large class"). ``to_dict()`` decodes it (a click, an export).
"""
from __future__ import annotations

import base64
import hashlib
import json
import pickle
import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np
import orjson
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.basevalidators import ImageUriValidator
from _plotly_utils.utils import to_typed_array_spec
from PIL import Image

from . import chart_theme

_URIS: OrderedDict[str, str] = OrderedDict()
MAX_URIS = 64   # PNG data URIs of contour pictures kept (about 30-60 kB each)


JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY   # with default=str: how the chart's message encodes a figure


def encode(obj, keep: bool = False) -> bytes:
    """``obj`` as the chart's message encodes it (``livechart.payload``). ``keep``: for
    bytes that stay in a cache, an exact-size copy (orjson's own holds the buffer it
    grew: ~4 kB for a 27-byte text, ~3x the length of a large one)."""
    out = orjson.dumps(obj, option=JSON_OPTIONS, default=str)
    return memoryview(out).tobytes() if keep else out


class Prepared(go.Figure):
    """A figure whose ``to_dict()`` is a stored, finished dict (not a copy:
    do not change it), or, built with ``encoded``, that dict's JSON (``to_dict()``
    decodes it, a new dict on every call)."""

    def __init__(self, spec: dict | None, dark: dict | None = None, *, encoded: bytes | None = None):
        super().__init__()
        if (spec is None) == (encoded is None):
            raise ValueError("a Prepared figure is a spec or its encoding, one of them")
        self._spec = spec
        self._dark = dark
        self._encoded = encoded

    def to_dict(self) -> dict:
        return self._spec if self._spec is not None else orjson.loads(self._encoded)

    def to_plotly_json(self) -> dict:
        return self.to_dict()

    @property
    def spec(self) -> dict:
        return self.to_dict()

    @property
    def encoded(self) -> bytes:
        """The figure's JSON as the chart's message carries it (kept, or encoded now)."""
        return self._encoded if self._encoded is not None else encode(self._spec)

    @property
    def dark(self) -> dict:
        """The layout entries that differ in the dark look (``prepare_stable``)."""
        return self._dark or {}

    @property
    def stable(self) -> bool:
        """Built by ``prepare_stable`` (for the chart component)."""
        return self._dark is not None


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
    return Prepared(_finished(fig))


def _finished(fig: dict, template: bool = True) -> dict:
    """``prepare``'s work on a plain figure dict: the finished dict itself
    (``template``: with plotly's default template filled in)."""
    spec = {"data": list(fig.get("data", [])), "layout": dict(fig.get("layout", {}))}
    if "frames" in fig:
        spec["frames"] = fig["frames"]
    layout = spec["layout"]
    if "images" in layout:
        layout["images"] = [dict(im, source=_image_uri(im["source"]))
                            if isinstance(im.get("source"), Image.Image) else im
                            for im in layout["images"]]
    if template and "template" not in layout and pio.templates.default:
        layout["template"] = _template(pio.templates.default)  # shared, read-only
    _encode_arrays(spec["data"])
    # the template is plotly's own JSON, and frames are JSON-ready as built (see
    # ``RaceFigure``): neither is walked
    _encode_arrays([v for k, v in layout.items() if k != "template"])
    return spec


PLAIN_LIMIT = 60_000   # numbers in the traces' arrays below which they are sent as JSON numbers


def array_of(v):
    """A trace's array as a NumPy array, whether NumPy or a base64 typed array
    (None if ``v`` is neither)."""
    if isinstance(v, np.ndarray):
        return v
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(n) for n in str(v["shape"]).split(",")]) if "shape" in v else a
    return None


SIGNIFICANT = 7   # digits every plotted float keeps, each relative to its own size


def significant(a: np.ndarray, digits: int = SIGNIFICANT) -> np.ndarray:
    """Each value of ``a`` rounded to ``digits`` significant digits of *its own*
    size (float64; non-finite values stay as they are). Rounding to the digits
    of the array's largest value instead turned a loss of 1e-12 beside one of
    25 into 0, and a log axis dropped it. Where the scale 10^k is exact
    (|k| <= 22), ``round(v * 10^k) / 10^k`` is the float nearest the rounded
    decimal, so it prints as that short decimal; beyond, the value is kept."""
    a = np.asarray(a, dtype=np.float64)
    out = a.copy()
    with np.errstate(all="ignore"):
        k = (digits - 1) - np.floor(np.log10(np.abs(a)))
        ok = np.isfinite(a) & (a != 0) & np.isfinite(k)
        up = ok & (k >= 0) & (k <= 22)
        down = ok & (k < 0) & (k >= -22)
        p = 10.0 ** np.abs(np.where(up | down, k, 0))
        out[up] = np.round(a[up] * p[up]) / p[up]
        out[down] = np.round(a[down] / p[down]) * p[down]
    return out


def _numbers(a: np.ndarray) -> list:
    """JSON numbers of an array: floats to ``SIGNIFICANT`` significant digits of
    each value (shorter text than a float32's 17 digits, and never a small
    value lost beside a large one), NaN as null (a gap)."""
    if a.dtype.kind != "f":
        return a.tolist()
    finite = np.isfinite(a)
    out = significant(a).tolist()
    if not finite.all():
        out = np.where(finite, np.asarray(out, dtype=object), None).tolist()
    return out


def _plain(obj):
    """``obj`` with its arrays as JSON lists (a copy; ``obj`` is untouched)."""
    a = array_of(obj)
    if a is not None:
        return _numbers(a)
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list) and obj and isinstance(obj[0], (dict, list, np.ndarray)):
        return [_plain(v) for v in obj]
    return obj


def _size(obj) -> int:
    a = array_of(obj)
    if a is not None:
        return a.size
    if isinstance(obj, dict):
        return sum(_size(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(_size(v) for v in obj if isinstance(v, (dict, list, np.ndarray)))
    return 0


def prepare_stable(fig: dict | go.Figure) -> Prepared:
    """The finished dict of a figure for the app's chart component
    (``livechart``), which keeps a mounted chart and updates it with
    ``Plotly.react``, built so that Plotly redraws only what changed:

    * each trace has a ``uid``, a digest of the trace: the browser hands an
      unchanged trace back to Plotly as the object it already holds, so Plotly
      finds it unchanged (it compares arrays by identity);
    * ``layout.datarevision``, a digest of all the traces;
    * the light look in the layout and no ``layout.template``, with the dark
      look's differences in ``Prepared.dark`` (see ``chart_theme.themed``);
    * the traces' arrays as JSON numbers, not base64, unless there are more than
      ``PLAIN_LIMIT`` numbers (the largest races, which stay within their
      payload budget in base64);
    * each trace's ``meta`` as a JSON string; read it with ``trace_meta``;
    * point clicks as events (``clickmode``) and dragging as panning.

    ``fig`` is a plain figure dict (as ``prepare`` takes it), a finished dict
    or a ``go.Figure``."""
    if isinstance(fig, go.Figure):
        fig = fig.to_dict()
    plain = sum(_size(t) for t in fig.get("data", [])) <= PLAIN_LIMIT
    base = _finished({k: v for k, v in fig.items() if k != "data"} if plain else fig, template=False)
    data, uids = [], []
    for i, t in enumerate(fig.get("data", []) if plain else base["data"]):
        trace, digest = _stable_trace(t, plain)
        uid = f"{i}-{digest[:16]}"
        uids.append(uid)
        data.append(_with_uid(trace, uid))
    layout, dark = chart_theme.themed({k: v for k, v in base["layout"].items() if k != "template"})
    layout.setdefault("clickmode", "event")
    layout.setdefault("dragmode", "pan")
    layout["datarevision"] = hashlib.md5("".join(uids).encode(), usedforsecurity=False).hexdigest()
    spec = {"data": data, "layout": layout}
    if "frames" in base:
        spec["frames"] = base["frames"]
    return Prepared(None, dark, encoded=encode(spec, keep=True))


# --- the traces of stable figures, kept by content ----------------------------------
# A new learning rate changes one racer's traces; the click grid, the 3-D surface, the
# minima and the other racers' paths come back unchanged, and so do they in every
# session of a class on one surface. Each trace's finished form (arrays as JSON numbers,
# meta as a string: as JSON, with its digest) is kept under a digest of the trace as
# given (its pickle: NumPy arrays by dtype, shape and bytes, a tuple not a list, a float32
# not a float), so a trace met before costs a pickle and a look-up instead of the
# rounding, the lists and the digest (~8 ms of the default race figure's ~14 ms).

TRACE_ENTRIES, TRACE_BYTES = 512, 48_000_000   # bounds: entries and bytes of JSON kept
_TRACES: OrderedDict[bytes, tuple[bytes, str]] = OrderedDict()
_TRACES_LOCK = threading.Lock()
_trace_bytes = 0


def _stable_trace(t: dict, plain: bool) -> tuple[bytes | dict, str]:
    """Trace ``t`` as ``prepare_stable`` sends it, without its ``uid`` (its JSON,
    or a dict for a trace that has a ``uid`` of its own), and its digest."""
    try:
        key = hashlib.blake2b(pickle.dumps((plain, t), protocol=5), digest_size=20).digest()
    except Exception:  # noqa: BLE001 - something pickle cannot take: no keeping, the same result
        key = None
    if key is not None:
        with _TRACES_LOCK:
            hit = _TRACES.get(key)
            if hit is not None:
                _TRACES.move_to_end(key)
                return hit
    done = _plain(t) if plain else t
    if isinstance(done.get("meta"), dict):
        done = dict(done, meta=json.dumps(done["meta"], separators=(",", ":")))
    digest = _digest(done)
    if "uid" in done or not done:   # the uid replaces its own: not spliced (see ``_with_uid``)
        return done, digest
    out = (encode(done, keep=True), digest)
    if key is not None:
        _keep_trace(key, out)
    return out


def _keep_trace(key: bytes, entry: tuple[bytes, str]) -> None:
    global _trace_bytes
    with _TRACES_LOCK:
        if key in _TRACES:
            return
        _TRACES[key] = entry
        _trace_bytes += len(entry[0])
        while _TRACES and (len(_TRACES) > TRACE_ENTRIES or _trace_bytes > TRACE_BYTES):
            _trace_bytes -= len(_TRACES.popitem(last=False)[1][0])


def _with_uid(trace: bytes | dict, uid: str):
    """``dict(trace, uid=uid)``; for a trace kept as JSON, that dict's JSON spliced
    (orjson writes ``{...,"uid":"..."}`` for it: the same bytes)."""
    if isinstance(trace, dict):
        return dict(trace, uid=uid)
    return orjson.Fragment(trace[:-1] + b',"uid":"' + uid.encode("ascii") + b'"}')


def _digest(trace: dict) -> str:
    return hashlib.md5(orjson.dumps({k: v for k, v in trace.items() if k != "uid"}, default=_jsonable,
                                    option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY),
                       usedforsecurity=False).hexdigest()


def _jsonable(v):
    return np.asarray(v).tolist() if isinstance(v, (np.ndarray, np.generic)) else str(v)


def trace_meta(trace: dict) -> dict:
    """A trace's ``meta`` as a dict, whether the figure carries it as a dict or
    (``prepare_stable``) as a JSON string."""
    meta = trace.get("meta")
    if isinstance(meta, str):
        try:
            meta = json.loads(meta)
        except ValueError:
            return {}
    return meta if isinstance(meta, dict) else {}


def nbytes(fig: Prepared) -> int:
    """Size of the figure's JSON: what one cached copy costs, to within the
    Python objects' overhead."""
    return len(json.dumps(fig.spec, default=lambda a: np.asarray(a).tolist()))
