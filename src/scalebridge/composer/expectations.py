"""Averages over random parameters: an averaging bridge ``sb:over`` parameters with
distributions lowers to the expectation of its source over them.

In the IR the bridge's target is ``Expectation(integrand, rules)``: ``integrand`` is the
source's SI expression in parameters alone (the relations it goes through inlined), ``rules``
one :class:`sympy.Tuple` per averaged parameter ``(symbol, kind, a, b, points, scale,
offset)`` naming the Gauss rule matched to its distribution (:mod:`scalebridge.solvers
.quadrature`; ``a``, ``b`` are its two numbers in the declared unit).  The averaged
parameters are bound inside it: they are not among its free symbols.

Example
-------
>>> phi, k = sympy.symbols("phi k", real=True)
>>> e = Expectation(k * sympy.cos(phi) ** 2, (rule_tuple(phi, "uniform", 0.0, 6.28, 8),))
>>> e.free_symbols == {k}
True
>>> [r.kind for r in rules_of(e)]
['uniform']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from scalebridge.solvers.quadrature import DEFAULT_NODES

__all__ = ["DEFAULT_NODES", "PARAMETER_NAMES", "Expectation", "RuleSpec", "rule_tuple", "rules_of"]

_KINDS = ("uniform", "normal", "log_normal")
PARAMETER_NAMES = {"uniform": ("lower", "upper"), "normal": ("mean", "sd"),
                    "log_normal": ("median", "log_sd")}


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One averaged parameter's Gauss rule: ``parameters`` in its declared unit, nodes to SI by
    ``si = declared * scale + offset``."""

    symbol: sympy.Symbol
    kind: str
    parameters: dict[str, float]
    points: int
    scale: float
    offset: float


def rule_tuple(symbol: sympy.Symbol, kind: str, a: float, b: float, points: int, *,
               scale: float = 1.0, offset: float = 0.0) -> sympy.Tuple:
    """The IR form of one averaged parameter's rule (see the module's docstring)."""
    if kind not in _KINDS:
        raise ValueError(f"no Gauss rule for a '{kind}' distribution")
    return sympy.Tuple(symbol, sympy.Integer(_KINDS.index(kind)), sympy.Float(a),
                       sympy.Float(b), sympy.Integer(points), sympy.Float(scale),
                       sympy.Float(offset))


class Expectation(sympy.Function):  # type: ignore[misc]
    """E[integrand] over the parameters its rules bind (independent, each its own rule)."""

    nargs = 2
    is_real = True

    @property
    def free_symbols(self) -> set[sympy.Basic]:
        integrand, rules = self.args
        bound = {rule[0] for rule in rules}
        return set(integrand.free_symbols) - bound

    def fdiff(self, argindex: int = 1) -> Any:
        raise sympy.ArgumentIndexError(self, argindex)  # an average of constants: no state

    def _eval_derivative(self, symbol: sympy.Symbol) -> Any:
        if symbol in self.free_symbols:
            integrand, rules = self.args
            return Expectation(sympy.diff(integrand, symbol), rules)
        return sympy.Integer(0)


def rules_of(expr: Expectation) -> list[RuleSpec]:
    """The rules of an expectation, one per averaged parameter, in order."""
    found = []
    for rule in expr.args[1]:
        symbol, kind, a, b, points, scale, offset = rule
        name = _KINDS[int(kind)]
        first, second = PARAMETER_NAMES[name]
        found.append(RuleSpec(symbol, name, {first: float(a), second: float(b)}, int(points),
                              float(scale), float(offset)))
    return found
