"""Name -> optimizer; registering completes the factory's docstring."""
from __future__ import annotations

import inspect
import textwrap

from registries import Registry
from .base import Optimizer

REGISTRY: Registry[Optimizer] = Registry("optimizer")


def register(opt: Optimizer) -> Optimizer:
    REGISTRY[opt.name] = opt
    opt.factory.__doc__ = _docstring(opt)
    return opt


def names() -> list[str]:
    return list(REGISTRY)


def get(name: str) -> Optimizer:
    return REGISTRY.lookup(name)


def _docstring(opt: Optimizer) -> str:
    """The factory's own docstring (a summary, then ``Example``) with the rule,
    its arguments, the state and the reference inserted from the metadata the
    app shows, so ``help()`` and the app say the same thing."""
    own = inspect.cleandoc(opt.factory.__doc__ or "")
    summary, sep, example = own.partition("\nExample")
    wrap = lambda text: textwrap.fill(text, 88, break_on_hyphens=False, break_long_words=False)  # noqa: E731
    rule = (opt.latex.replace(r"\\", "\\\\\n    ").replace(r"\begin{aligned}", "\\begin{aligned}\n    ")
            .replace(r"\end{aligned}", "\n    \\end{aligned}"))
    args = []
    for key, h in opt.hyperparameters.items():
        kind = ("bool" if h.kind == "bool" else
                f"float or 1-D array (one value per trajectory) in {h.describe_range()}")
        args.append(f"{key} : {kind}, default {h.default!r}\n"
                    + textwrap.indent(wrap(h.doc), "    "))
    hessian = ", hessian" if opt.needs_hessian else ""
    parts = [
        summary.strip(),
        f"Update rule ({opt.title}; γ is the learning rate, g_t the gradient)::\n\n    {rule}",
        wrap(opt.description),
        wrap(f"Convention: {opt.convention}"),
        "Arguments\n---------\n" + ("\n".join(args) if args else "(none besides the learning rate)"),
        wrap(f"Returns a Transform: init(params) -> state, update(grads, state, params, lr{hessian}) "
             f"-> (params, state). The state holds 'step' (the number of updates taken) and "
             + (f"the arrays {', '.join(map(repr, opt.state_names))}" if opt.state_names else "no arrays")
             + f". The learning rate lr (a float or one value per trajectory) is given to every "
             f"update, so a schedule can set it; this optimizer's default is {opt.default_lr:g}."),
    ]
    if sep:
        parts.append("Example" + example.rstrip())
    parts.append(wrap(f"Reference: {opt.reference}"))
    return "\n\n".join(parts) + "\n"
