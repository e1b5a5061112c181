"""Tables that exist only at run time: a parameter-passing bridge's table built by running the
fine model once per argument value (hierarchical coupling).

In the IR the bridge's target is ``table_lookup(argument, table)``: ``table`` is a symbol
naming the runtime table (SI arguments to SI values, linear between the points, constant
beyond them), which the generated module keeps in ``p`` and the interpreter in its
environment; both call it.  Its derivative is the table's slope, so Jacobians stay symbolic.

Example
-------
>>> import sympy
>>> T, table = sympy.symbols("T k_from_micro_table", real=True)
>>> expr = table_lookup(T, table)
>>> expr.free_symbols == {T, table}
True
>>> sympy.diff(expr, T)
TableSlope(T, k_from_micro_table)
"""

from __future__ import annotations

from typing import Any

import sympy

__all__ = ["TableLookup", "TableSlope", "table_lookup", "table_symbol"]


class TableSlope(sympy.Function):  # type: ignore[misc]
    """d(table)/d(argument) at the first argument: the slope of the segment it falls in."""

    nargs = 2
    is_real = True

    def fdiff(self, argindex: int = 1) -> Any:
        return sympy.Integer(0)  # piecewise linear: the slope is constant on each segment


class TableLookup(sympy.Function):  # type: ignore[misc]
    """The runtime table named by the second argument, interpolated at the first."""

    nargs = 2
    is_real = True

    def fdiff(self, argindex: int = 1) -> Any:
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        return TableSlope(*self.args)


def table_lookup(argument: sympy.Expr, table: sympy.Symbol) -> sympy.Expr:
    """``table(argument)``, SI in and out."""
    return TableLookup(argument, table)


def table_symbol(bridge_name: str) -> sympy.Symbol:
    """The symbol (and the key in ``p``) of the table a bridge builds."""
    return sympy.Symbol(f"{bridge_name}_table", real=True)
