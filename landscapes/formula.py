"""Your own surface: a typed formula of x and y, parsed safely, differentiated exactly.

The text goes through four gates before anything is computed:

1. characters: at most ``MAX_LENGTH`` plain-ASCII characters from a small set,
   parentheses nested at most ``MAX_PAREN_DEPTH`` deep;
2. syntax: ``ast.parse(text, mode="eval")`` (parsing only: Python never runs it);
3. a whitelist walk over the syntax tree: numbers, ``x``, ``y``, ``pi``, ``e``,
   ``+ - * / **``, unary minus (and plus), calls of ``FUNCTIONS`` with exactly
   their number of arguments (min/max: two), at most ``MAX_NODES`` nodes and
   ``MAX_DEPTH`` levels, powers with a variable exponent at most ``MAX_TOWER``
   high; every other node is rejected with its column;
4. building: a SymPy expression is built node by node from the validated tree
   (never ``sympify``, ``parse_expr``, ``eval`` or ``exec`` of the text).
   Every operation on constants (numbers, pi, e) is folded here in floating
   point with overflow checks, so SymPy never does exact arithmetic on huge
   numbers nor evaluates a constant to ever more digits (``max(pi**pi**pi**pi**pi, x)``);
   only pi, e and a number times or over one of them stay symbols. A numeric
   exponent larger than ``MAX_EXPONENT`` in size is rejected before any
   power is computed (``9**9**9``, ``x**1e9``); so is a literal beyond ±MAX_CONSTANT.

Steps 1-3 run in the calling process (fast, bounded by the text's length);
everything symbolic (building, differentiating, compiling) runs in a child of
``landscapes.worker`` under hard limits (CPU time, wall clock, memory: the
kernel stops it) and comes back as plain data (``Program.spec``), checked
against the closed table before use.

``f`` is evaluated from the expression exactly as typed (built with
SymPy's automatic evaluation off), so ``(x - x)*log(x)`` stays undefined where
x < 0 and ``x/x`` at x = 0; the derivatives come from the evaluated expression.
SymPy differentiates (``diff`` only, no ``simplify``); the size of the
first derivatives is checked before the second ones are taken (the step that
can blow up: a product of k factors has a k**3-term second derivative), and a
wall-clock budget is checked between the steps. At the kinks of abs, min and
max SymPy's second derivative holds DiracDelta; it is evaluated as 0 (the
value everywhere else), and the gradient exactly at a kink is the mean of the
two sides (sign(0) = 0, Heaviside(0) = 1/2).

Evaluation does not use ``lambdify``: lambdify generates Python source and
runs it with ``exec``. Instead a tiny compiler walks the SymPy expressions and
emits a flat list of NumPy calls from a closed table (``_OPS``); an expression
holding anything else is rejected. Equal sub-expressions are computed once
(SymPy expressions hash structurally), so f, the gradient and the Hessian share
their work. Nothing is generated as code, so nothing the user typed can run.

Where f or its gradient is not a finite real number (log of a negative
number, division by zero, sqrt at 0, overflow: beyond ±MAX_VALUE = 1e30) the
surface is *undefined*:
``f``, ``grad`` and ``hessian`` return NaN there, no NumPy warning escapes, the
map leaves that region blank and a run that enters it stops ("diverged").

Minima and saddle points are found numerically (multi-start Newton from a grid
over the domain, de-duplicated, classified by the Hessian's eigenvalues) and
carry ``found=True``: they are not published values.
"""
from __future__ import annotations

import ast
import math
import time
import unicodedata
from functools import lru_cache

import numpy as np
import sympy

from .base import StationaryPoint, Surface
from .registry import register

MAX_LENGTH = 500          # characters of formula text
MAX_PAREN_DEPTH = 12      # nested parentheses
MAX_NODES = 250           # syntax-tree nodes (numbers, names, operations, calls)
MAX_DEPTH = 100           # syntax-tree levels (a sum of n terms is n levels)
MAX_EXPONENT = 100        # |numeric exponent|
MAX_TOWER = 2             # powers with a variable exponent nested in each other (x**y**x)
MAX_CONSTANT = 1e300      # |any folded constant|
MAX_FIRST_DERIVATIVE = 1200   # tree nodes of df/dx + df/dy before taking the Hessian
SYMBOLIC_BUDGET = 2.0     # CPU seconds of differentiation before giving up (the worker's limits bound the rest)
MAX_ABS_DOMAIN = 1e6      # domain bounds, like start points
MIN_DEFINED_FRACTION = 0.1    # of the domain where f must be a finite number
MAX_LISTED = 12           # minima (and saddles) listed at most
MAX_VALUE = 1e30          # |f| or a gradient entry beyond this counts as overflow (figures draw float32)

DEFAULT_FORMULA = "sin(x)*cos(y) + 0.1*(x**2 + y**2)"
DEFAULT_DOMAIN = (-3.0, 3.0, -3.0, 3.0)

X, Y = sympy.symbols("x y", real=True)
NAMES = {"x": X, "y": Y, "pi": sympy.pi, "e": sympy.E}
# name -> (number of arguments, SymPy builder, float folding for plain numbers)
FUNCTIONS = {
    "sin": (1, sympy.sin, math.sin), "cos": (1, sympy.cos, math.cos),
    "tan": (1, sympy.tan, math.tan), "exp": (1, sympy.exp, math.exp),
    "log": (1, sympy.log, math.log), "sqrt": (1, sympy.sqrt, math.sqrt),
    "tanh": (1, sympy.tanh, math.tanh), "sinh": (1, sympy.sinh, math.sinh),
    "cosh": (1, sympy.cosh, math.cosh), "abs": (1, sympy.Abs, abs),
    "atan": (1, sympy.atan, math.atan),
    "min": (2, sympy.Min, min), "max": (2, sympy.Max, max),
}
_ALLOWED_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .+-*/(),\t")
_CHAR_HINTS = {
    "^": "write powers as ** (x**2), not ^", "'": "strings are not allowed",
    '"': "strings are not allowed", "[": "subscripts and lists are not allowed",
    "]": "subscripts and lists are not allowed", ":": "':' is not allowed (no lambdas, slices or :=)",
    "=": "'=' is not allowed (no keyword arguments, assignments or comparisons)",
    "_": "names with '_' are not allowed (only x, y, pi, e and the listed functions)",
    "{": "braces are not allowed", "}": "braces are not allowed",
    "%": "'%' is not allowed", "@": "'@' is not allowed", "<": "comparisons are not allowed",
    ">": "comparisons are not allowed", "!": "'!' is not allowed", "&": "'&' is not allowed",
    "|": "'|' is not allowed (write abs(x))", "~": "'~' is not allowed", ";": "';' is not allowed",
    "\\": "backslashes are not allowed", "#": "comments are not allowed",
}
_NODE_WORDS = {
    ast.Attribute: "attribute access (.name)", ast.Subscript: "subscripts ([])",
    ast.Lambda: "lambdas", ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "generator expressions",
    ast.JoinedStr: "f-strings", ast.NamedExpr: "the walrus operator (:=)",
    ast.Compare: "comparisons", ast.BoolOp: "and/or", ast.IfExp: "if/else",
    ast.Tuple: "tuples (a, b)", ast.List: "lists", ast.Dict: "dicts", ast.Set: "sets",
    ast.Starred: "starred arguments", ast.Await: "await", ast.Yield: "yield",
}
_OP_WORDS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
             ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^",
             ast.Not: "not", ast.Invert: "~"}


_NOT_COUNTED = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)


class FormulaError(ValueError):
    """A formula that cannot be used, with where: ``column`` (1-based, or None)
    and the offending ``snippet``. ``str()`` says both."""

    def __init__(self, problem: str, text: str = "", column: int | None = None, end: int | None = None):
        self.problem, self.column, self.end = problem, column, end
        self.snippet = ""
        where = ""
        if column is not None and text:
            end = end if end is not None and end > column else column
            self.snippet = text[column - 1:end - 1][:40] or text[column - 1:column]
            where = f" at column {column}" + (f" ({self.snippet!r})" if self.snippet else "")
        super().__init__(f"formula{where}: {problem}")


# --- 1-3: characters, syntax, whitelist -------------------------------------------

def _check_characters(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"too long ({len(text):,} characters; at most {MAX_LENGTH})")
    depth = 0
    for i, ch in enumerate(text, start=1):
        if ord(ch) > 127:
            name = unicodedata.name(ch, f"U+{ord(ch):04X}")
            raise FormulaError(f"non-ASCII character {name} (type plain x, y and digits)", text, i)
        if ch not in _ALLOWED_CHARS:
            hint = _CHAR_HINTS.get(ch, f"character {ch!r} is not allowed")
            raise FormulaError(hint, text, i)
        depth += ch == "("
        depth -= ch == ")"
        if depth > MAX_PAREN_DEPTH:
            raise FormulaError(f"parentheses nested more than {MAX_PAREN_DEPTH} deep", text, i)


def parse(text) -> ast.Expression:
    """The validated syntax tree of ``text``; FormulaError otherwise."""
    if not isinstance(text, str):
        raise FormulaError(f"must be text, got {type(text).__name__}")
    _check_characters(text)
    if not text.strip():
        raise FormulaError("empty: type a function of x and y, e.g. " + DEFAULT_FORMULA)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        col = exc.offset if exc.offset else None
        col = None if col is None else min(max(col + (len(text) - len(text.lstrip())), 1), len(text))
        raise FormulaError(f"not a valid expression ({exc.msg})", text, col) from None
    except (RecursionError, MemoryError, ValueError, OverflowError):
        raise FormulaError("too deeply nested to read") from None
    count = 0
    for node in ast.walk(tree):
        count += not isinstance(node, _NOT_COUNTED)
        if count > MAX_NODES:
            raise FormulaError(f"too large (more than {MAX_NODES} terms and operators)")
    _validate(tree.body, text, 1)
    _check_towers(tree.body, text, 0)
    return tree


def _has_variable(node) -> bool:
    return any(isinstance(n, ast.Name) and n.id in ("x", "y") for n in ast.walk(node))


def _check_towers(node, text: str, level: int) -> None:
    """Power towers with variable exponents have Hessians that grow fast with
    the height (x**x**...**x, 12 high, takes seconds to differentiate)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and _has_variable(node.right):
        level += 1
        if level > MAX_TOWER:
            _fail(f"powers with a variable exponent are nested more than {MAX_TOWER} deep", node, text)
    for child in ast.iter_child_nodes(node):
        _check_towers(child, text, level)


def _col(node, text: str) -> tuple[int, int]:
    off = len(text) - len(text.lstrip())
    start = getattr(node, "col_offset", 0) + 1 + off
    end = getattr(node, "end_col_offset", None)
    return start, (end + 1 + off if end is not None else start + 1)


def _fail(problem: str, node, text: str):
    start, end = _col(node, text)
    raise FormulaError(problem, text, start, end)


def _validate(node, text: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        _fail(f"nested more than {MAX_DEPTH} levels deep", node, text)
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            _fail(f"only numbers are allowed as constants, not {type(v).__name__}", node, text)
        if not (abs(v) <= MAX_CONSTANT if isinstance(v, int) else math.isfinite(v) and abs(v) <= MAX_CONSTANT):
            _fail(f"the number is not a finite real number here: too large (at most {MAX_CONSTANT:g} "
                  "in size)", node, text)
        return
    if isinstance(node, ast.Name):
        if node.id in NAMES:
            return
        if node.id in FUNCTIONS:
            _fail(f"{node.id} is a function: write {node.id}(...)", node, text)
        _fail(f"unknown name {node.id!r} (allowed: x, y, pi, e and the functions "
              f"{', '.join(FUNCTIONS)})", node, text)
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
            _fail(f"operator {_OP_WORDS.get(type(node.op), type(node.op).__name__)} is not allowed "
                  "(use + - * / **)", node, text)
        _validate(node.left, text, depth + 1)
        _validate(node.right, text, depth + 1)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            _fail(f"operator {_OP_WORDS.get(type(node.op), type(node.op).__name__)} is not allowed",
                  node, text)
        _validate(node.operand, text, depth + 1)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            what = node.func.id if isinstance(node.func, ast.Name) else "this"
            _fail(f"{what!s} is not an allowed function (allowed: {', '.join(FUNCTIONS)})", node.func, text)
        if node.keywords:
            _fail("keyword arguments are not allowed", node.keywords[0], text)
        n = FUNCTIONS[node.func.id][0]
        if len(node.args) != n:
            _fail(f"{node.func.id} takes exactly {n} argument{'s' if n > 1 else ''}, "
                  f"got {len(node.args)}", node, text)
        for a in node.args:
            _validate(a, text, depth + 1)
        return
    word = _NODE_WORDS.get(type(node), type(node).__name__)
    _fail(f"{word} not allowed", node, text)


# --- 4: build the SymPy expression --------------------------------------------------

def _number(v: float, node, text: str) -> sympy.Expr:
    if isinstance(v, complex) or not math.isfinite(v) or abs(v) > MAX_CONSTANT:
        _fail("gives a number that is not a finite real number (or is too large)", node, text)
    if float(v).is_integer() and abs(v) < 2**53:
        return sympy.Integer(int(v))
    return sympy.Float(float(v))


def _fold(fn, args: list, node, text: str) -> float:
    """``fn`` on plain numbers in floating point, checked: a finite real number
    within ±MAX_CONSTANT, else FormulaError pointing at node."""
    try:
        v = fn(*args)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        _fail("not a finite real number", node, text)
    if isinstance(v, complex) or not math.isfinite(v) or abs(v) > MAX_CONSTANT:
        _fail("gives a number that is not a finite real number (or is too large)", node, text)
    return float(v)


def _symbolic_constant(e: sympy.Expr) -> bool:
    """pi, e, a number, or a number times/over one of them (2*pi, -pi/2): kept
    as typed (for the formula's display); every other constant is folded to a
    float, so SymPy never evaluates a constant (``pi**pi**pi**pi``) to ever more
    digits when it compares or simplifies."""
    if e.is_Number or e in (sympy.pi, sympy.E):
        return True
    if isinstance(e, sympy.Mul) or isinstance(e, sympy.Pow) and e.exp == -1:
        parts = e.args if isinstance(e, sympy.Mul) else (e.base,)
        named = [a for a in parts if not a.is_Number]
        return len(named) <= 1 and all(a in (sympy.pi, sympy.E) or
                                       isinstance(a, sympy.Pow) and a.exp == -1 and a.base.is_Number
                                       for a in named)
    return False


def build_expression(tree: ast.Expression, text: str) -> sympy.Expr:
    """The SymPy expression of a validated tree, built node by node."""
    return _build(tree.body, text)[0]


def _build(node, text: str) -> tuple[sympy.Expr, float | None]:
    """(the SymPy expression of ``node``, its float value if it holds no variable).

    Every operation on constants is computed here in floating point with
    overflow checks, before SymPy sees it (see ``_symbolic_constant``)."""
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, int) and abs(v) < 2**53:
            return sympy.Integer(v), float(v)
        return _number(float(v), node, text), float(v)
    if isinstance(node, ast.Name):
        e = NAMES[node.id]
        return e, (None if node.id in ("x", "y") else float(e))
    if isinstance(node, ast.UnaryOp):
        a, va = _build(node.operand, text)
        if isinstance(node.op, ast.UAdd):
            return a, va
        return -a, (None if va is None else -va)
    if isinstance(node, ast.Call):
        _, sym, num = FUNCTIONS[node.func.id]
        built = [_build(a, text) for a in node.args]
        if all(v is not None for _, v in built):
            v = _fold(num, [v for _, v in built], node, text)
            return _number(v, node, text), v
        return sym(*[e for e, _ in built]), None
    (a, fa), (b, fb) = _build(node.left, text), _build(node.right, text)
    op = node.op
    if isinstance(op, ast.Pow) and fb is not None and abs(fb) > MAX_EXPONENT:
        _fail(f"exponent {fb:g} is too large (at most {MAX_EXPONENT} in size)", node, text)
    if isinstance(op, ast.Div) and fb == 0:
        _fail("divides by zero", node, text)
    if fa is not None and fb is not None:
        fn = {ast.Add: lambda p, q: p + q, ast.Sub: lambda p, q: p - q,
              ast.Mult: lambda p, q: p * q, ast.Div: lambda p, q: p / q,
              ast.Pow: math.pow}[type(op)]
        v = _fold(fn, [fa, fb], node, text)
        if isinstance(op, (ast.Mult, ast.Div)) and _symbolic_constant(a) and _symbolic_constant(b) \
                and (a.is_Number or b.is_Number):
            e = a * b if isinstance(op, ast.Mult) else a / b
            if _symbolic_constant(e):
                return e, v
        return _number(v, node, text), v
    if isinstance(op, ast.Add):
        return a + b, None
    if isinstance(op, ast.Sub):
        return a - b, None
    if isinstance(op, ast.Mult):
        return a * b, None
    if isinstance(op, ast.Div):
        return a / b, None
    return a ** b, None


# --- the NumPy evaluator --------------------------------------------------------------

def _sum(*a):
    out = a[0]
    for v in a[1:]:
        out = out + v
    return out


def _prod(*a):
    out = a[0]
    for v in a[1:]:
        out = out * v
    return out


# The closed table: an instruction names one of these (and a number for "pow").
# min and max take exactly two arguments (np.minimum's third is ``out=``): SymPy's
# Min/Max of n arguments is compiled to n - 1 of them.
OPS = {
    "add": _sum, "mul": _prod, "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp,
    "log": np.log, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh, "atan": np.arctan,
    "abs": np.abs, "sign": np.sign, "min": np.minimum, "max": np.maximum, "power": np.power,
    "sqrt": np.sqrt, "recip": lambda b: 1.0 / b, "heaviside": lambda a: np.heaviside(a, 0.5),
    "zero": lambda a: a * 0.0,  # DiracDelta: the second derivative of abs/min/max, 0 almost everywhere
}
_ARITY = {"min": 2, "max": 2, "power": 2, "add": None, "mul": None}   # None: any number >= 1; else 1
_SYMPY_OPS = {
    sympy.Add: "add", sympy.Mul: "mul", sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan",
    sympy.exp: "exp", sympy.log: "log", sympy.tanh: "tanh", sympy.sinh: "sinh", sympy.cosh: "cosh",
    sympy.atan: "atan", sympy.Abs: "abs", sympy.sign: "sign", sympy.Min: "min", sympy.Max: "max",
    sympy.Heaviside: "heaviside", sympy.DiracDelta: "zero",
}


def _op(name: str, param):
    if name != "pow":
        return OPS[name]
    if param == 0.5:
        return np.sqrt
    if param == -1.0:
        return OPS["recip"]
    return lambda b: b ** param


class Program:
    """SymPy expressions compiled to a flat list of NumPy calls.

    Slot 0 is x, slot 1 is y; each instruction ``(name, argument slots, number)``
    appends one slot. Built only from the closed table ``OPS``: an expression
    holding anything else raises FormulaError. Evaluating runs no generated code.
    ``spec()`` is the program as plain data (names, slots and numbers), and
    ``Program.from_spec`` checks such data against the table before using it:
    the formula worker process sends programs this way.
    """

    def __init__(self, exprs: list[sympy.Expr] | None = None):
        self.consts: dict[int, float] = {}
        self.code: list[tuple[str, tuple[int, ...], float | None]] = []
        self.slots: dict[sympy.Expr, int] = {X: 0, Y: 1}
        self.n = 2
        self.outputs = [self._emit(e) for e in exprs or ()]
        self._link()

    def _link(self) -> None:
        self.calls = []
        slot = 2
        for name, args, param in self.code:
            while slot in self.consts:
                slot += 1
            self.calls.append((slot, _op(name, param), args))
            slot += 1

    def _new(self, name: str, args, param=None) -> int:
        # a slot per instruction and per constant, in the order they are made
        self.code.append((name, tuple(args), param))
        self.n += 1
        return self.n - 1

    def _emit(self, e: sympy.Expr) -> int:
        if e in self.slots:
            return self.slots[e]
        if e.is_Number or e in (sympy.pi, sympy.E):
            v = float(e)
            if not math.isfinite(v):
                raise FormulaError("not a finite real number anywhere")
            slot = self.n
            self.consts[slot] = v
            self.n += 1
        elif isinstance(e, sympy.Pow):
            if e.exp.is_Number:
                slot = self._new("pow", [self._emit(e.base)], float(e.exp))
            else:
                slot = self._new("power", [self._emit(e.base), self._emit(e.exp)])
        elif e.func in _SYMPY_OPS:
            name = _SYMPY_OPS[e.func]
            # Heaviside(a, 1/2) and DiracDelta(a, k): only a is evaluated (see the table)
            args = [self._emit(a) for a in (e.args[:1] if name in ("heaviside", "zero") else e.args)]
            if name in ("min", "max"):  # pairwise: np.minimum(a, b, c) would write into c
                slot = args[0]
                for b in args[1:]:
                    slot = self._new(name, [slot, b])
            else:
                if _ARITY.get(name, 1) not in (None, len(args)):
                    raise FormulaError(f"cannot evaluate {type(e).__name__} with {len(args)} arguments")
                slot = self._new(name, args)
        else:
            raise FormulaError(f"cannot evaluate {type(e).__name__} (the formula leaves the real numbers)")
        self.slots[e] = slot
        return slot

    def spec(self) -> dict:
        return {"consts": sorted(self.consts.items()), "code": [list(c) for c in self.code],
                "outputs": list(self.outputs), "n": self.n}

    @classmethod
    def from_spec(cls, spec: dict) -> "Program":
        """A program from plain data (``spec()``), every name, slot and number checked."""
        p = cls()
        try:
            n = int(spec["n"])
            p.consts = {int(k): float(v) for k, v in spec["consts"]}
            p.code = [(str(name), tuple(int(a) for a in args), None if param is None else float(param))
                      for name, args, param in spec["code"]]
            p.outputs = [int(o) for o in spec["outputs"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise FormulaError(f"the formula worker sent a malformed program ({exc})") from None
        if n != 2 + len(p.consts) + len(p.code) or not p.outputs:
            raise FormulaError("the formula worker sent a malformed program")
        p.n = n
        seen = {0, 1} | set(p.consts)
        slots = iter(sorted(set(range(2, n)) - set(p.consts)))
        for name, args, param in p.code:
            arity = _ARITY.get(name, 1)
            if (name not in OPS and name != "pow") or (name == "pow") != (param is not None) \
                    or not all(a in seen for a in args) or (arity is not None and len(args) != arity) \
                    or not args or (param is not None and not math.isfinite(param)):
                raise FormulaError("the formula worker sent a malformed program")
            seen.add(next(slots))
        if not all(math.isfinite(v) for v in p.consts.values()) or not all(o in seen for o in p.outputs) \
                or not set(p.consts) <= set(range(2, n)):
            raise FormulaError("the formula worker sent a malformed program")
        p._link()
        return p

    def __call__(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        vals: list = [None] * self.n
        vals[0], vals[1] = x, y
        for slot, v in self.consts.items():
            vals[slot] = v
        with np.errstate(all="ignore"):
            for slot, fn, args in self.calls:
                vals[slot] = fn(*[vals[i] for i in args])
        shape = np.shape(x)
        return [np.broadcast_to(np.asarray(vals[i], dtype=float), shape) for i in self.outputs]


# --- symbolic derivatives with bounds ----------------------------------------------

def _size(e: sympy.Expr, cap: int) -> int:
    """Tree nodes of ``e``, counting stops just above ``cap``."""
    n = 0
    for _ in sympy.preorder_traversal(e):
        n += 1
        if n > cap:
            break
    return n


def derivatives(expr: sympy.Expr, budget: float = SYMBOLIC_BUDGET) -> tuple[sympy.Expr, ...]:
    """``(f, fx, fy, fxx, fxy, fyy)`` by SymPy's ``diff`` (no simplification).

    Bounded: the first derivatives must stay within MAX_FIRST_DERIVATIVE tree
    nodes before the second ones are taken, and this thread's CPU time is checked
    against ``budget`` seconds after every step."""
    t0 = time.thread_time()

    def check(stage: str):
        if time.thread_time() - t0 > budget:
            raise FormulaError(f"too complex to differentiate within {budget:g} s ({stage})")

    fx = sympy.diff(expr, X)
    fy = sympy.diff(expr, Y)
    check("gradient")
    if _size(fx, MAX_FIRST_DERIVATIVE) + _size(fy, MAX_FIRST_DERIVATIVE) > MAX_FIRST_DERIVATIVE:
        raise FormulaError("too complex: its gradient has more than "
                           f"{MAX_FIRST_DERIVATIVE} terms and factors")
    fxx = sympy.diff(fx, X)
    check("Hessian")
    fxy = sympy.diff(fx, Y)
    check("Hessian")
    fyy = sympy.diff(fy, Y)
    check("Hessian")
    return expr, fx, fy, fxx, fxy, fyy


# --- the surface ----------------------------------------------------------------------

def parse_domain(values) -> tuple[float, float, float, float]:
    """``(xmin, xmax, ymin, ymax)`` from four numbers or "x0,x1,y0,y1"; ValueError otherwise."""
    if isinstance(values, str):
        values = values.split(",")
    values = list(values)
    if len(values) != 4:
        raise ValueError(f"domain takes four numbers xmin, xmax, ymin, ymax, got {len(values)}")
    out = []
    for name, v in zip(("xmin", "xmax", "ymin", "ymax"), values):
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"domain {name} must be a number, got {v!r}") from None
        if not math.isfinite(f) or abs(f) > MAX_ABS_DOMAIN:
            raise ValueError(f"domain {name} must be a finite number within ±{MAX_ABS_DOMAIN:g}, got {v!r}")
        out.append(f)
    x0, x1, y0, y1 = out
    for lo, hi, axis in ((x0, x1, "x"), (y0, y1, "y")):
        if not hi - lo > 1e-6 * max(1.0, abs(lo), abs(hi)):
            raise ValueError(f"domain needs {axis}min < {axis}max (and not equal), got {lo:g} and {hi:g}")
    return x0, x1, y0, y1


def _defined(f, gx, gy) -> np.ndarray:
    """Where f and its gradient are finite and within ±MAX_VALUE."""
    with np.errstate(invalid="ignore"):
        return (np.abs(f) <= MAX_VALUE) & (np.abs(gx) <= MAX_VALUE) & (np.abs(gy) <= MAX_VALUE)


class _Evaluator:
    """f, grad and hessian over ``(..., 2)`` points: NaN wherever f or its
    gradient is not finite (the formula is undefined there)."""

    def __init__(self, derivs=None, programs: tuple[Program, Program] | None = None):
        self.first, self.second = programs if programs is not None else (
            Program(list(derivs[:3])), Program(list(derivs)))
        self._last = None  # (points, results): the engine asks f, then grad, at the same points

    def _first(self, p):
        """f, gx, gy and where all three are finite; the last result is reused
        when asked again at equal points (one tuple: safe across threads)."""
        p = np.asarray(p, dtype=float)
        last = self._last
        if last is not None and last[0].shape == p.shape and np.array_equal(last[0], p):
            return last[1]
        p = p.copy()  # results may be views of the points: keep them ours
        f, gx, gy = self.first(p[..., 0], p[..., 1])
        out = (_defined(f, gx, gy), f, gx, gy)
        self._last = (p, out)
        return out

    @staticmethod
    def _xy(p):
        p = np.asarray(p, dtype=float)
        return p[..., 0], p[..., 1]

    def f(self, p):
        ok, f, _, _ = self._first(p)
        return np.where(ok, f, np.nan)

    def grad(self, p):
        ok, _, gx, gy = self._first(p)
        out = np.stack([gx, gy], axis=-1)
        out[~ok] = np.nan
        return out

    def hessian(self, p):
        f, gx, gy, hxx, hxy, hyy = self.second(*self._xy(p))
        ok = _defined(f, gx, gy)
        out = np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)
        out[~ok] = np.nan
        return out

    def all(self, p):
        """f, grad, hessian in one pass (for the minimum search)."""
        f, gx, gy, hxx, hxy, hyy = self.second(*self._xy(p))
        ok = _defined(f, gx, gy)
        g = np.stack([gx, gy], -1)
        h = np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)
        return np.where(ok, f, np.nan), np.where(ok[..., None], g, np.nan), \
            np.where(ok[..., None, None], h, np.nan)


def _newton(ev: _Evaluator, starts: np.ndarray, domain, saddle_free: bool, iters: int = 40):
    """Vectorized (damped) Newton from every start; returns candidate stationary
    points inside the domain (``|H|`` instead of ``H`` when ``saddle_free``:
    that step always goes downhill, so it finds minima)."""
    (x0, x1), (y0, y1) = domain
    diag = math.hypot(x1 - x0, y1 - y0)
    lo = np.array([x0, y0]) - 1e-9 * diag
    hi = np.array([x1, y1]) + 1e-9 * diag
    p = starts.copy()
    with np.errstate(all="ignore"):
        for it in range(iters):
            _, g, h = ev.all(p)
            w, v = np.linalg.eigh(np.nan_to_num(h))
            scale = np.maximum(np.abs(w).max(axis=-1, keepdims=True), 1e-300)
            w = np.abs(w) if saddle_free else w
            w = np.where(np.abs(w) < 1e-10 * scale, np.copysign(1e-10, w) * scale, w)
            gv = np.einsum("bij,bi->bj", v, np.nan_to_num(g))
            step = -np.einsum("bij,bj->bi", v, gv / w)
            n = np.linalg.norm(step, axis=-1, keepdims=True)
            step = np.where(n > 0.1 * diag, step * (0.1 * diag / np.maximum(n, 1e-300)), step)
            p = p + step
            if len(n) and float(n.max()) < 1e-13 * diag:  # every start has settled
                break
            bad = ~np.all(np.isfinite(g), -1) | ~np.all((p >= lo) & (p <= hi), -1)
            p = p[~bad]
            if not len(p):
                break
    return p


def find_stationary(ev: _Evaluator, domain, resolution: int = 12):
    """Minima and saddle points found by multi-start Newton from a grid."""
    (x0, x1), (y0, y1) = domain
    xs = x0 + (np.arange(resolution) + 0.5) / resolution * (x1 - x0)
    ys = y0 + (np.arange(resolution) + 0.5) / resolution * (y1 - y0)
    starts = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
    diag = math.hypot(x1 - x0, y1 - y0)
    found = []
    for saddle_free in (True, False):
        p = _newton(ev, starts, domain, saddle_free)
        if len(p):
            p = _newton(ev, p, domain, False, iters=4)  # plain Newton polish: quadratic convergence
        if not len(p):
            continue
        f, g, h = ev.all(p)
        hn = np.linalg.norm(np.nan_to_num(h), axis=(-2, -1))
        ok = np.isfinite(f) & (np.linalg.norm(g, axis=-1) <= 1e-9 * (1 + hn) * (1 + np.linalg.norm(p, axis=-1)))
        for q, fv, hv in zip(p[ok], f[ok], h[ok]):
            eig = np.linalg.eigvalsh(hv)
            tol = 1e-8 * max(1.0, np.abs(eig).max())
            kind = "min" if eig[0] > tol else ("saddle" if eig[0] < -tol < tol < eig[1] else None)
            if kind:
                found.append((kind, float(q[0]), float(q[1]), float(fv)))
    minima, saddles = [], []
    for kind, x, y, v in sorted(found, key=lambda t: t[3]):
        same = minima if kind == "min" else saddles
        if all(math.hypot(x - a.x, y - a.y) > 1e-4 * diag for a in same):
            same.append(StationaryPoint(x, y, v, "local" if kind == "min" else "saddle", found=True))
    return minima[:MAX_LISTED], saddles[:MAX_LISTED]


def _classify(minima: list[StationaryPoint], zmin: float) -> tuple[StationaryPoint, ...]:
    """Global = the lowest found, and only if no grid point lies lower (else
    the surface falls lower somewhere on the domain's edge: all local)."""
    if not minima:
        return ()
    low = minima[0].value
    if zmin < low - 1e-9 * (1 + abs(low)):
        return tuple(minima)
    tol = 1e-10 * (1 + abs(low))
    glob = [m._replace(kind="global", value=low if abs(m.value - low) <= tol else m.value)
            for m in minima if abs(m.value - low) <= tol]
    return tuple(glob + [m for m in minima if abs(m.value - low) > tol])


def _default_start(ev: _Evaluator, domain, minima) -> tuple[float, float]:
    (x0, x1), (y0, y1) = domain
    w, h = x1 - x0, y1 - y0
    fracs = [(0.15, 0.85), (0.85, 0.85), (0.15, 0.15), (0.85, 0.15), (0.3, 0.7), (0.7, 0.3)]
    fracs += [(a, b) for a in np.linspace(0.05, 0.95, 10) for b in np.linspace(0.95, 0.05, 10)]
    cands = np.array([(x0 + a * w, y0 + b * h) for a, b in fracs])
    f, g, _ = ev.all(cands)
    defined = np.isfinite(f)
    for c, ok, gv in zip(cands, defined, g):  # defined, sloping, away from the minima
        if ok and np.linalg.norm(gv) > 1e-6 and all(math.hypot(c[0] - m.x, c[1] - m.y) > 1e-2 for m in minima):
            return float(c[0]), float(c[1])
    c = cands[int(np.argmax(defined))]  # else at least defined (a flat surface)
    return float(c[0]), float(c[1])


def build(text: str = DEFAULT_FORMULA, domain=None) -> Surface:
    """The surface of a typed formula over ``domain`` (xmin, xmax, ymin, ymax);
    FormulaError (a ValueError) with the offending part otherwise. Cached."""
    if not isinstance(text, str):
        raise FormulaError(f"must be text, got {type(text).__name__}")
    dom = DEFAULT_DOMAIN if domain is None else parse_domain(domain)
    return _build_cached(text, dom)


def compile_formula(text: str) -> tuple[sympy.Expr, "_Evaluator"]:
    """The input-dependent part of :func:`build`: parse, build the SymPy
    expression, differentiate and compile. Returns the (evaluated) expression
    and the NumPy evaluator with ``f``, ``grad``, ``hessian``."""
    tree = parse(text)
    expr = build_expression(tree, text)
    with sympy.evaluate(False):  # f exactly as typed: (x - x)*log(x) stays undefined for x < 0
        typed = build_expression(tree, text)
    for e in (expr, typed):
        if e.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan, sympy.I):
            raise FormulaError("not a finite real number")
    return expr, _Evaluator((typed,) + derivatives(expr)[1:])


# The cost of one optimizer step on a formula, in units of a step on Rosenbrock's
# surface (loss and gradient at every point, plus the optimizer's own work): measured
# with gd on 16,384 starts (bench/bench_formula.py --cost), fitted over formulas from
# x**2 + y**2 (0.95) to nested sin/cos/tan/exp (20): a fixed part, plus each
# instruction of the f-and-gradient program (transcendental ones ~12x an add).
STEP_COST_BASE = 0.25
STEP_COST_ARITHMETIC = 0.06
STEP_COST_TRANSCENDENTAL = 0.7
_TRANSCENDENTAL = {"sin", "cos", "tan", "exp", "log", "tanh", "sinh", "cosh", "atan", "power", "sqrt"}


def step_cost(program: Program) -> float:
    """One step's cost on the surface of ``program`` (f and its gradient), in Rosenbrock steps."""
    cost = STEP_COST_BASE
    for name, _, param in program.code:
        heavy = name in _TRANSCENDENTAL or name == "pow" and param not in (2.0, 3.0, -1.0, 0.5)
        cost += STEP_COST_TRANSCENDENTAL if heavy else STEP_COST_ARITHMETIC
    return max(1.0, round(cost, 2))


def compile_spec(text: str) -> dict:
    """:func:`compile_formula` as plain data (the worker process sends this):
    the expression's LaTeX and the evaluator's two programs (``Program.spec``)."""
    expr, ev = compile_formula(text)
    return {"latex": sympy.latex(expr), "first": ev.first.spec(), "second": ev.second.spec()}


@lru_cache(maxsize=256)
def _compile_isolated(text: str) -> tuple:
    """The worker's answer for ``text`` (cached, refusals included: a formula
    that ran out of time is not tried again on every rerun)."""
    from . import worker

    try:
        answer = worker.request(text)
    except worker.WorkerError as exc:
        return ("error", str(exc), None, None)
    if "ok" in answer:
        return ("ok", answer["ok"])
    return ("error", str(answer.get("error")), answer.get("column"), answer.get("end"))


ISOLATED = True   # the symbolic work in the limited worker process (landscapes.worker)


def compile_limited(text: str) -> tuple[str, "_Evaluator"]:
    """``(LaTeX, evaluator)`` of ``text``, its symbolic work done under the
    worker's hard limits (CPU time, wall clock, memory); FormulaError otherwise.
    The text's characters, syntax and whitelist are checked here first (fast,
    with the offending column), so only valid formulas reach the worker."""
    parse(text)
    if not ISOLATED:
        expr, ev = compile_formula(text)
        return sympy.latex(expr), ev
    answer = _compile_isolated(text)
    if answer[0] == "error":
        _, problem, column, end = answer
        raise FormulaError(problem, text, column, end)
    spec = answer[1]
    return str(spec["latex"]), _Evaluator(programs=(Program.from_spec(spec["first"]),
                                                    Program.from_spec(spec["second"])))


@lru_cache(maxsize=64)
def _build_cached(text: str, dom: tuple[float, float, float, float]) -> Surface:
    latex, ev = compile_limited(text)
    x0, x1, y0, y1 = dom
    domain = ((x0, x1), (y0, y1))
    xs, ys = np.linspace(x0, x1, 97), np.linspace(y0, y1, 97)
    z = ev.f(np.stack(np.meshgrid(xs, ys), -1))
    defined = np.isfinite(z)
    if defined.mean() < MIN_DEFINED_FRACTION:
        raise FormulaError(f"undefined (not a finite number) on more than {1 - MIN_DEFINED_FRACTION:.0%} "
                           "of the domain: choose another domain or formula")
    with np.errstate(all="ignore"):
        minima, saddles = find_stationary(ev, domain)
    zmin = float(z[defined].min())
    minima = _classify(minima, zmin)
    zd = z[defined]
    lo = min(zmin, minima[0].value) if minima else zmin
    q02, q98 = np.quantile(zd - lo, [0.02, 0.98])
    log_levels = bool(minima and minima[0].kind == "global" and q98 > 80 * max(q02, 1e-300))
    undefined = ("the formula is undefined (f or its gradient is not a finite number: "
                 "log of a negative number, division by zero, a square root at 0, overflow…)")
    note = ("Minima and saddle points were found numerically (multi-start Newton from a "
            "12 × 12 grid), not taken from a publication; the gradient and Hessian are exact "
            "(SymPy).")
    if not defined.all():
        note += f" f is undefined on {1 - defined.mean():.0%} of the domain: that region is blank."
    return Surface(
        name="formula",
        title="Your own formula",
        latex=r"f(x, y) = " + latex,
        f=ev.f, grad=ev.grad, hessian=ev.hessian,
        domain=domain,
        minima=minima,
        saddles=tuple(saddles),
        default_start=_default_start(ev, domain, minima),
        lesson=f"Your own surface, `f(x, y) = {text.strip()}`. Minima marked on the map were found "
        "numerically, not published.",
        log_levels=log_levels,
        note=note,
        formula=text.strip(),
        undefined=undefined,
        step_cost=step_cost(ev.first),
    )


@register("formula")
def formula_example() -> Surface:
    """The registry's entry: the example formula over the default domain. A
    typed formula is built with :func:`build` (``RunConfig.get_surface`` does)."""
    return build(DEFAULT_FORMULA, DEFAULT_DOMAIN)
