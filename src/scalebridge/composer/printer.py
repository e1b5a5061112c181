"""SymPy expressions printed as NumPy code for the generated solver.

:class:`SolverPrinter` is SymPy's NumPy printer in strict mode (an expression it cannot print
is an error, never half-printed code) with three changes:

* a symbol prints as the code that reads its value, from a mapping the generator gives
  (``p['k']``, ``y[0]``), so that a name taken from a graph only ever appears inside a quoted
  string literal;
* a float prints with ``repr`` (17 significant digits: the generated code computes with exactly
  the numbers the IR holds);
* error functions and exponential integrals print as their vectorised SciPy forms, min and max
  as nested ``numpy.minimum``/``numpy.maximum``.

Example
-------
>>> x = sympy.Symbol("x", real=True)
>>> SolverPrinter({x: "p['x']"}).doprint(sympy.exp(-x) + sympy.Float(0.1))
"0.1 + numpy.exp(-p['x'])"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import precedence

from scalebridge.composer.expectations import rules_of

__all__ = ["SolverPrinter"]


class SolverPrinter(NumPyPrinter):  # type: ignore[misc]
    """Prints SI expressions as NumPy code; ``names`` maps each symbol to the code reading it."""

    def __init__(self, names: Mapping[sympy.Symbol, str]) -> None:
        super().__init__({"strict": True, "fully_qualified_modules": True})
        self._names = dict(names)

    def names(self) -> dict[sympy.Symbol, str]:
        """A copy of the symbol-to-code mapping (to extend for a new printer)."""
        return dict(self._names)

    def _print_Symbol(self, expr: sympy.Symbol) -> str:  # noqa: N802 - SymPy's names
        code: str | None = self._names.get(expr)
        if code is None:
            raise ValueError(f"the generated code has no value for the symbol '{expr.name}'")
        return code

    def _print_TableLookup(self, expr: Any) -> str:  # noqa: N802 - SymPy's names
        argument, table = expr.args
        return f"{self._print(table)}({self._print(argument)})"

    def _print_TableSlope(self, expr: Any) -> str:  # noqa: N802 - SymPy's names
        argument, table = expr.args
        return f"{self._print(table)}.slope({self._print(argument)})"

    def _print_Expectation(self, expr: Any) -> str:  # noqa: N802 - SymPy's names
        rules = rules_of(expr)
        # fresh names past those an enclosing average already binds (a nested average)
        taken = sum(1 for code in self._names.values() if code.startswith("_x"))
        bound = {rule.symbol: f"_x{taken + i}" for i, rule in enumerate(rules)}
        inner = SolverPrinter({**self._names, **bound})
        calls = ", ".join(
            f"quadrature.gauss_rule({rule.kind!r}, {rule.parameters!r}, {rule.points}, "
            f"scale={rule.scale!r}, offset={rule.offset!r})" for rule in rules)
        return (f"quadrature.expectation(lambda {', '.join(bound.values())}: "
                f"{inner.doprint(expr.args[0])}, [{calls}])")

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:  # noqa: N802 - SymPy's names
        if expr.exp == -1:  # 1/x reads better than x**(-1.0)
            return f"1/{self.parenthesize(expr.base, precedence(expr))}"
        return str(super()._print_Pow(expr, rational))

    def _print_Float(self, expr: sympy.Float) -> str:  # noqa: N802 - SymPy's names
        return repr(float(expr))

    def _print_erf(self, expr: Any) -> str:
        return f"scipy.special.erf({self._print(expr.args[0])})"

    def _print_erfc(self, expr: Any) -> str:
        return f"scipy.special.erfc({self._print(expr.args[0])})"

    def _print_expint(self, expr: Any) -> str:
        order, argument = expr.args
        if order == 1:
            return f"scipy.special.exp1({self._print(argument)})"
        return f"scipy.special.expn({self._print(order)}, {self._print(argument)})"

    def _nested(self, function: str, args: tuple[Any, ...]) -> str:
        code = str(self._print(args[-1]))
        for arg in reversed(args[:-1]):
            code = f"{function}({self._print(arg)}, {code})"
        return code

    def _print_Min(self, expr: Any) -> str:  # noqa: N802 - SymPy's names
        return self._nested("numpy.minimum", expr.args)

    def _print_Max(self, expr: Any) -> str:  # noqa: N802 - SymPy's names
        return self._nested("numpy.maximum", expr.args)
