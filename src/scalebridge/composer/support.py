"""Small helpers the lowering passes share: refusals, units, symbols, declared values."""

from __future__ import annotations

from collections.abc import Iterable

import sympy

from scalebridge.composer.ir import (
    DerivedIR,
)
from scalebridge.diagnostics import Code, Diagnostic
from scalebridge.model.junctions import formula_expression
from scalebridge.model.types import (
    IRI,
    BoundFormula,
    DistributionKind,
    Model,
    Variable,
)

__all__ = [
    "QUDT_UNIT",
    "declared_value",
    "initial_expression",
    "inline_derived",
    "symbol_of",
    "unit_parts",
    "unsupported",
]


def unsupported(message: str, subject: IRI | None, hint: str | None = None) -> Diagnostic:
    return Diagnostic.make(Code.COMPOSE_UNSUPPORTED, message, subject=subject, hint=hint)


QUDT_UNIT = "http://qudt.org/vocab/unit/"


def unit_parts(variable: Variable) -> tuple[str, float, float]:
    """(unit as written, shortened to unit:X for a QUDT IRI; SI scale; SI offset)."""
    unit = variable.unit
    if unit is None:
        return "1", 1.0, 0.0
    text = unit.text
    if text.startswith(QUDT_UNIT):
        text = "unit:" + text[len(QUDT_UNIT):]
    return text, unit.scale, unit.offset


def symbol_of(variable: Variable) -> sympy.Symbol:
    return sympy.Symbol(variable.name, real=True)


# -- parameters ------------------------------------------------------------------------------


def declared_value(variable: Variable) -> float | None:
    if variable.value is not None:
        return variable.value
    distribution = variable.distribution
    if distribution is None:
        return None
    p = distribution.parameters
    if distribution.kind is DistributionKind.NORMAL:
        return p.get("mean")
    if distribution.kind is DistributionKind.LOG_NORMAL:
        return p.get("median")
    lower, upper = p.get("lower"), p.get("upper")
    return None if lower is None or upper is None else (lower + upper) / 2.0


def inline_derived(expr: sympy.Expr, derived: Iterable[DerivedIR]) -> sympy.Expr:
    """``expr`` with every closed-form derived quantity replaced by its expression."""
    closed = {d.symbol: d.expr for d in derived if d.expr is not None}
    for _ in range(len(closed) + 1):
        replaced = expr.xreplace(closed)
        if replaced == expr:
            return expr
        expr = replaced
    return expr


def initial_expression(model: Model, given: float | BoundFormula | None, scale: float,
                       offset: float) -> sympy.Expr:
    """An initial value (or velocity) as an SI expression: a number, or a formula of numbers
    alone, is in the declared unit (``scale``, ``offset``); a formula with names is SI already;
    absent is zero."""
    if given is None:
        return sympy.Integer(0)
    if isinstance(given, float):
        return sympy.Float(given * scale + offset)
    expr = formula_expression(model, given)
    if not given.bindings and not given.formula.unit_literals:
        expr = expr * sympy.Float(scale) + sympy.Float(offset)
    return expr
