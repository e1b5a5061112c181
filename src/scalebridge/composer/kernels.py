"""Passes on the kernels a solver computes: common subexpressions, and the stencil fast path."""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from scalebridge.composer.ir import (
    FieldProblemIR,
    Method,
    T,
    X,
    Y,
)

__all__ = ["eliminate_common_subexpressions", "uses_stencil_kernel"]


# -- kernels ---------------------------------------------------------------------------------


def uses_stencil_kernel(problem: FieldProblemIR, method: Method) -> bool:
    """True when an explicit 2-D problem is the constant-coefficient periodic
    diffusion-reaction that :mod:`scalebridge.solvers.stencil` computes (with a compiled,
    parallel kernel when numba is installed): no advection, diffusivity and capacity free of
    the field, the coordinates and time, a source affine in the field with such coefficients,
    and periodic sides all round.  The finite-volume operators and the stencil give the same
    5-point Laplacian there, so the choice changes speed, not results.
    """
    if method is not Method.EXPLICIT or len(problem.grid.cells) != 2:
        return False
    if problem.velocity is not None or not problem.source_linear:
        return False
    if {b.kind for b in problem.boundaries} != {"periodic"} or len(problem.boundaries) != 4 or any(
            b.value is not None for b in problem.boundaries):  # levels: periodic up to a jump
        return False
    varying = {X, Y, T, sympy.Symbol(problem.state, real=True)}
    u = sympy.Symbol(problem.state, real=True)
    parts = [problem.capacity, problem.diffusivity or sympy.Integer(0),
             sympy.diff(problem.source, u), problem.source.xreplace({u: sympy.Integer(0)})]
    return all(not (part.free_symbols & varying) for part in parts)


# -- common subexpressions -------------------------------------------------------------------


def eliminate_common_subexpressions(
    exprs: Sequence[sympy.Expr], prefix: str = "_t"
) -> tuple[list[tuple[sympy.Symbol, sympy.Expr]], list[sympy.Expr]]:
    """Temporaries ``[(symbol, expression), ...]`` and ``exprs`` rewritten to use them.

    A subexpression that occurs more than once (a volume times a flow, ``Q/Kp``) is computed
    once; the temporaries' names start with ``prefix`` (``_t0``, ``_t1``...), which no name
    from a model can (names may not start with an underscore).

    >>> a, b = sympy.symbols("a b", real=True)
    >>> eliminate_common_subexpressions([(a + b) ** 2, 1 / (a + b)])
    ([(_t0, a + b)], [_t0**2, 1/_t0])
    """
    temporaries, reduced = sympy.cse(
        list(exprs), symbols=sympy.numbered_symbols(prefix, real=True), optimizations=None
    )
    return list(temporaries), list(reduced)
