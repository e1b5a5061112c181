"""numeric: forward-mode values and gradients agree with SymPy's diff and evalf."""

from __future__ import annotations

import math

import pytest
import sympy

from scalebridge.model.expressions import parse_formula
from scalebridge.model.numeric import UndefinedError, UnsupportedError, evaluate, gradient

POINT = {"x": 0.7, "y": -1.3, "k": 2.5, "C": 4.0}


def _symbols(expr: sympy.Basic) -> dict[sympy.Symbol, float]:
    return {s: sympy.Float(POINT[s.name]) for s in expr.free_symbols}


FORMULAS = [
    "-k*(C - x)",
    "k*C^2/(1 + C) - exp(-x*y)",
    "log(C)*sqrt(k) + log10(k*C)",
    "sin(x)*cos(y) + tan(x) - atan(y)",
    "sinh(x) + cosh(y)*tanh(x*y)",
    "erf(x) - erfc(y/2)",
    "abs(y)*x + heaviside(x)*C",
    "min(x, y, k) + max(C, k*x)",
    "piecewise(x < 0, C, x >= 0 and y < 0, k*x^3, 1)",
    "C^x + x^(y*y) + 2^(x*C)",
    "pi*x + C/k^3 - 1/(x*y)",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_values_and_gradients_match_sympy(text: str) -> None:
    expr = parse_formula(text).expr
    values = _symbols(expr)
    wrt = sorted(values, key=str)
    value, grad = gradient(expr, lambda s: float(values[s]), wrt)
    assert value == pytest.approx(float(expr.xreplace(values).evalf()), rel=1e-12)
    for symbol, partial in zip(wrt, grad, strict=True):
        expected = float(sympy.diff(expr, symbol).xreplace(values).evalf())
        assert partial == pytest.approx(expected, rel=1e-10, abs=1e-12), symbol
    assert evaluate(expr, lambda s: float(values[s])) == value


def test_a_derivative_that_does_not_depend_on_an_unknown_is_known() -> None:
    expr = parse_formula("-k*(C - P) + S").expr
    known = {"k": 2.0, "C": 3.0}
    k, c = sympy.Symbol("k", real=True), sympy.Symbol("C", real=True)
    value, (d_c, d_k) = gradient(expr, lambda s: known.get(s.name), (c, k))
    assert math.isnan(value) and d_c == -2.0 and math.isnan(d_k)


def test_a_condition_on_an_unknown_makes_everything_unknown() -> None:
    expr = parse_formula("piecewise(P > 0, x, 2*x)").expr
    x = sympy.Symbol("x", real=True)
    value, (d_x,) = gradient(expr, lambda s: 1.0 if s == x else None, (x,))
    assert math.isnan(value) and math.isnan(d_x)


@pytest.mark.parametrize("text", ["log(x - 1)", "1/(x - 0.7)", "(y)^0.5", "exp(x*2000)"])
def test_values_outside_the_domain_are_undefined(text: str) -> None:
    expr = parse_formula(text).expr
    with pytest.raises(UndefinedError):
        evaluate(expr, lambda s: POINT[s.name])


def test_functions_it_does_not_know_are_left_to_sympy() -> None:
    with pytest.raises(UnsupportedError):
        evaluate(parse_formula("expint(2, x)").expr, lambda s: POINT[s.name])
