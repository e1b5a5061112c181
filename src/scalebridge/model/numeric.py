"""Floating-point values and gradients of parsed formulas, without building SymPy objects.

The timescale estimates need numbers (a rate at the initial state, the Jacobian of a few
compartment balances), not expressions.  Asking SymPy for them, ``diff`` then ``xreplace`` then
``evalf``, builds and simplifies new expression trees on every call and costs milliseconds per
balance, which a model of ten thousand submodels pays ten thousand times.  This module walks the
SymPy tree that :mod:`scalebridge.model.expressions` built and evaluates it in forward-mode
automatic differentiation: every node yields its value and its gradient with respect to chosen
symbols.  It is exact to rounding, like ``diff`` followed by ``evalf`` at double precision.

Only the node types the formula grammar produces are known; anything else raises
:class:`UnsupportedError`, and the caller falls back to SymPy.  A value outside a function's domain
(the logarithm of a negative number, a division by zero, an overflow) raises
:class:`UndefinedError`.

A symbol whose value is unknown (``lookup`` returns None) is NaN, and NaN means "unknown"
throughout: a derivative that does not depend on the unknown stays a number, as it would
symbolically (the derivative of ``k*(C - P)`` with respect to ``C`` is ``k`` whatever ``P``
is), because a zero partial derivative contributes zero whatever it multiplies.  A condition
or a min/max that depends on an unknown makes the whole result unknown.

Example
-------
>>> x, y = sympy.symbols("x y", real=True)
>>> gradient(x**2 * sympy.exp(y), {x: 3.0, y: 0.0}.__getitem__, (x, y))
(9.0, (6.0, 9.0))
>>> evaluate(sympy.Piecewise((1, x < 0), (x, True)), {x: 2.5}.__getitem__)
2.5
>>> gradient(x * (x - y), {x: 2.0}.get, (x,))
(nan, (nan,))
>>> gradient(3 * (x - y), {x: 2.0}.get, (x,))
(nan, (3.0,))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import sympy

__all__ = ["UndefinedError", "UnsupportedError", "evaluate", "gradient"]

Lookup = Callable[[sympy.Symbol], float | None]
Dual = tuple[float, tuple[float, ...]]


class UnsupportedError(Exception):
    """The expression has a node this evaluator does not know (SymPy must do it)."""


class UndefinedError(Exception):
    """The expression has no finite real value at the point (log of a negative, 1/0, ...)."""


def evaluate(expr: sympy.Basic, lookup: Lookup) -> float:
    """The value of ``expr`` (NaN if it depends on an unknown), ``lookup`` giving each symbol's
    value or None where it is unknown."""
    value, _ = _Walker(lookup, ()).walk(expr)
    return value


def gradient(
    expr: sympy.Basic, lookup: Lookup, wrt: Sequence[sympy.Symbol]
) -> tuple[float, tuple[float, ...]]:
    """The value of ``expr`` and its partial derivatives with respect to ``wrt``, in order
    (each NaN where it depends on an unknown)."""
    return _Walker(lookup, tuple(wrt)).walk(expr)


class _UnknownConditionError(Exception):
    """A condition compares an unknown value."""


def _finite(value: float) -> float:
    """``value``, which may be NaN (unknown) but not infinite."""
    if math.isinf(value):
        raise UndefinedError(value)
    return value


def _scaled(factor: float, grad: tuple[float, ...]) -> tuple[float, ...]:
    # A zero partial derivative stays zero, even against an unknown (NaN) factor.
    return tuple(factor * g if g != 0.0 else 0.0 for g in grad)


def _chain(value: float, slope: float, inner: Dual) -> Dual:
    """f(u) with f'(u) = ``slope``: value f(u), gradient slope * grad u."""
    return _finite(value), _scaled(slope, inner[1])


class _Walker:
    def __init__(self, lookup: Lookup, wrt: tuple[sympy.Symbol, ...]) -> None:
        self.lookup = lookup
        self.wrt = wrt
        self.zero = (0.0,) * len(wrt)
        self.memo: dict[sympy.Basic, Dual] = {}

    def constant(self, value: float) -> Dual:
        return _finite(value), self.zero

    def walk(self, expr: Any) -> Dual:
        found = self.memo.get(expr)
        if found is None:
            found = self._walk(expr)
            self.memo[expr] = found
        return found

    def _walk(self, expr: Any) -> Dual:
        if isinstance(expr, sympy.Symbol):
            grad = tuple(1.0 if s == expr else 0.0 for s in self.wrt)
            value = self.lookup(expr)
            return (math.nan if value is None else _finite(float(value))), grad
        if isinstance(expr, sympy.Number) or expr in (sympy.pi, sympy.E):
            try:
                return self.constant(float(expr))
            except (TypeError, OverflowError):  # zoo, nan, an integer too large for a float
                raise UndefinedError(str(expr)) from None
        if isinstance(expr, sympy.Add):
            parts = [self.walk(a) for a in expr.args]
            total = _finite(math.fsum(v for v, _ in parts))
            return total, tuple(math.fsum(col) for col in zip(*(g for _, g in parts), strict=True))
        if isinstance(expr, sympy.Mul):
            return self._product([self.walk(a) for a in expr.args])
        if isinstance(expr, sympy.Pow):
            return self._power(expr)
        if isinstance(expr, sympy.Piecewise):
            try:
                for branch, condition in expr.args:
                    if self.truth(condition):
                        return self.walk(branch)
            except _UnknownConditionError:
                return math.nan, (math.nan,) * len(self.wrt)
            raise UndefinedError("no branch of a piecewise expression applies")
        if isinstance(expr, sympy.Min | sympy.Max):
            parts = [self.walk(a) for a in expr.args]
            if any(math.isnan(v) for v, _ in parts):
                return math.nan, (math.nan,) * len(self.wrt)
            pick = min if isinstance(expr, sympy.Min) else max
            return pick(parts, key=lambda part: part[0])
        if isinstance(expr, sympy.Heaviside):
            u = self.walk(expr.args[0])[0]
            at_zero = float(expr.args[1]) if len(expr.args) > 1 else 0.5
            if math.isnan(u):
                return math.nan, self.zero
            return self.constant(1.0 if u > 0 else 0.0 if u < 0 else at_zero)
        if len(expr.args) != 1 or not isinstance(expr, sympy.Function):
            raise UnsupportedError(type(expr).__name__)
        return self._function(expr, self.walk(expr.args[0]))

    def _product(self, parts: list[Dual]) -> Dual:
        value = 1.0
        for v, _ in parts:
            value *= v
        grad = list(self.zero)
        for k, (_, g) in enumerate(parts):
            others = 1.0
            for m, (v, _) in enumerate(parts):
                if m != k:
                    others *= v
            for i, gi in enumerate(g):
                if gi != 0.0:
                    grad[i] += others * gi
        return _finite(value), tuple(grad)

    def _power(self, expr: sympy.Pow) -> Dual:
        b, db = self.walk(expr.base)
        if isinstance(expr.exp, sympy.Number):
            n = float(expr.exp)
            if b == 0.0 and n < 0:
                raise UndefinedError("division by zero")
            if b < 0 and not n.is_integer():
                raise UndefinedError("a fractional power of a negative number")
            try:
                value = b**n
                slope = n * b ** (n - 1.0) if n != 0.0 else 0.0
            except (OverflowError, ZeroDivisionError) as err:
                raise UndefinedError(str(err)) from None
            return _chain(value, slope if any(db) else 0.0, (b, db))
        e, de = self.walk(expr.exp)
        if b <= 0.0:
            raise UndefinedError("a variable power of a number that is not positive")
        try:
            value = b**e
        except OverflowError as err:
            raise UndefinedError(str(err)) from None
        log_b = math.log(b)
        grad = tuple(
            value * (dei * log_b + e * dbi / b) if dbi != 0.0 or dei != 0.0 else 0.0
            for dbi, dei in zip(db, de, strict=True)
        )
        return _finite(value), grad

    def _function(self, expr: sympy.Basic, inner: Dual) -> Dual:
        u = inner[0]
        try:
            if isinstance(expr, sympy.exp):
                value = math.exp(u)
                return _chain(value, value, inner)
            if isinstance(expr, sympy.log):
                if u <= 0.0:
                    raise UndefinedError("the logarithm of a number that is not positive")
                return _chain(math.log(u), 1.0 / u, inner)
            if isinstance(expr, sympy.sin):
                return _chain(math.sin(u), math.cos(u), inner)
            if isinstance(expr, sympy.cos):
                return _chain(math.cos(u), -math.sin(u), inner)
            if isinstance(expr, sympy.tan):
                t = math.tan(u)
                return _chain(t, 1.0 + t * t, inner)
            if isinstance(expr, sympy.sinh):
                return _chain(math.sinh(u), math.cosh(u), inner)
            if isinstance(expr, sympy.cosh):
                return _chain(math.cosh(u), math.sinh(u), inner)
            if isinstance(expr, sympy.tanh):
                t = math.tanh(u)
                return _chain(t, 1.0 - t * t, inner)
            if isinstance(expr, sympy.atan):
                return _chain(math.atan(u), 1.0 / (1.0 + u * u), inner)
            if isinstance(expr, sympy.erf | sympy.erfc):
                slope = 2.0 / math.sqrt(math.pi) * math.exp(-u * u)
                if isinstance(expr, sympy.erf):
                    return _chain(math.erf(u), slope, inner)
                return _chain(math.erfc(u), -slope, inner)
            if isinstance(expr, sympy.Abs):
                return _chain(abs(u), math.copysign(1.0, u) if u != 0.0 else 0.0, inner)
            if isinstance(expr, sympy.sign) and math.isnan(u):
                return math.nan, self.zero
            if isinstance(expr, sympy.sign):
                return self.constant(float((u > 0) - (u < 0)))
        except OverflowError as err:
            raise UndefinedError(str(err)) from None
        raise UnsupportedError(type(expr).__name__)

    def truth(self, condition: Any) -> bool:
        if condition is sympy.true:
            return True
        if condition is sympy.false:
            return False
        if isinstance(condition, sympy.And):
            return all(self.truth(c) for c in condition.args)
        if isinstance(condition, sympy.Or):
            return any(self.truth(c) for c in condition.args)
        if isinstance(condition, sympy.Not):
            return not self.truth(condition.args[0])
        if isinstance(condition, sympy.core.relational.Relational):
            left, right = self.walk(condition.lhs)[0], self.walk(condition.rhs)[0]
            if math.isnan(left) or math.isnan(right):
                raise _UnknownConditionError
            return bool(_COMPARE[condition.rel_op](left, right))
        raise UnsupportedError(type(condition).__name__)


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
