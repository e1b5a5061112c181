"""Algebraic (static) problems: scalar roots, nonlinear systems and minimisation.

Quasi-static submodels (an equilibrium temperature, a steady balance) are solved here rather
than integrated.  Each solver checks that SciPy really converged and otherwise raises
:class:`~scalebridge.solvers.errors.NumericalFailure` whose ``field`` is the ``name`` of the
unknown, so the report says what could not be solved.  Units are those of the caller's
functions.

Example
-------
>>> root = solve_scalar(lambda x: x**2 - 2.0, lower=0.0, upper=2.0, guess=None, name="x")
>>> round(root, 12)
1.414213562373
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import scipy.optimize
import scipy.sparse
import scipy.sparse.linalg
from numpy.typing import ArrayLike, NDArray

from scalebridge.solvers.errors import NumericalFailure

__all__ = ["minimise", "relax", "solve_linearised", "solve_scalar", "solve_system"]

FloatArray = NDArray[np.float64]

# A system solution is accepted only if the residual has fallen this far below the initial one
# (or below this absolute size when the initial residual is already small): hybr can stop on a
# stagnating iterate and still report success.
_RESIDUAL_REDUCTION = 1e-8


def solve_scalar(
    f: Callable[[float], float],
    *,
    lower: float | None = None,
    upper: float | None = None,
    guess: float | None = None,
    name: str,
    submodel: str | None = None,
    time: float | None = None,
) -> float:
    """A root of ``f``: Brent's method when ``[lower, upper]`` brackets one, else Newton.

    Newton (secant steps, since no derivative is given) starts from ``guess``; a root it finds
    outside the given bounds is refused.  Without a bracket or a guess, or when the iteration
    does not converge, :class:`NumericalFailure` names ``name``.

    Example
    -------
    >>> round(solve_scalar(lambda x: x**3 - 8.0, guess=1.0, name="x"), 10)
    2.0
    """

    def fail(why: str) -> NumericalFailure:
        return NumericalFailure(
            f"no root of the equation for {name!r}: {why}",
            submodel=submodel,
            field=name,
            time=time,
        )

    if lower is not None and upper is not None:
        if not lower < upper:
            raise ValueError(f"the bracket [{lower}, {upper}] is empty")
        f_lower, f_upper = f(lower), f(upper)
        if f_lower == 0.0:
            return float(lower)
        if f_upper == 0.0:
            return float(upper)
        if math.isfinite(f_lower * f_upper) and f_lower * f_upper < 0.0:
            root, result = scipy.optimize.brentq(
                f,
                lower,
                upper,
                xtol=1e-14,
                rtol=4.0 * np.finfo(float).eps,
                full_output=True,
                disp=False,
            )
            if not result.converged:
                raise fail(f"brentq stopped after {result.iterations} iterations ({result.flag})")
            return float(root)
    if guess is None:
        raise fail(
            f"[{lower}, {upper}] does not bracket a sign change and no starting guess was given"
        )
    root, result = scipy.optimize.newton(f, guess, maxiter=100, full_output=True, disp=False)
    value = float(root)
    if not result.converged or not math.isfinite(value):
        raise fail(f"Newton from {guess} did not converge ({result.flag})")
    if (lower is not None and value < lower) or (upper is not None and value > upper):
        raise fail(f"Newton converged to {value}, outside [{lower}, {upper}]")
    return value


def solve_system(
    F: Callable[[FloatArray], ArrayLike],  # noqa: N803 - the residual F(x) = 0
    J: Callable[[FloatArray], ArrayLike] | None,  # noqa: N803 - its Jacobian dF/dx
    x0: ArrayLike,
    *,
    name: str,
    submodel: str | None = None,
    time: float | None = None,
) -> FloatArray:
    """A solution of ``F(x) = 0`` by Powell's hybrid method (MINPACK ``hybrj``).

    ``J(x)`` is the Jacobian ``dF/dx`` (``None``: finite differences).  The result is refused,
    with :class:`NumericalFailure` naming ``name``, unless SciPy reports success and the
    residual has dropped by a factor 1e8 (or below 1e-8 in absolute terms).

    Example
    -------
    >>> import numpy as np
    >>> F = lambda x: np.array([x[0] + x[1] - 3.0, x[0] - x[1] - 1.0])
    >>> J = lambda x: np.array([[1.0, 1.0], [1.0, -1.0]])
    >>> solve_system(F, J, np.zeros(2), name="xy").round(12).tolist()
    [2.0, 1.0]
    """
    start = np.array(x0, dtype=np.float64).ravel()

    def residual(x: FloatArray) -> FloatArray:
        return np.asarray(F(x), dtype=np.float64).ravel()

    initial = float(np.max(np.abs(residual(start)), initial=0.0))
    result = scipy.optimize.root(residual, start, jac=J, method="hybr")
    solution = np.asarray(result.x, dtype=np.float64)
    final = np.max(np.abs(residual(solution)), initial=0.0)
    tolerance = _RESIDUAL_REDUCTION * max(initial, 1.0)
    if not (result.success and np.all(np.isfinite(solution)) and final <= tolerance):
        raise NumericalFailure(
            f"no solution of the system for {name!r}: {result.message} "
            f"(largest residual {final:.3g})",
            submodel=submodel,
            field=name,
            time=time,
        )
    return solution


def minimise(
    f: Callable[[FloatArray], float],
    grad: Callable[[FloatArray], ArrayLike] | None,
    x0: ArrayLike,
    *,
    name: str,
    bounds: ArrayLike | None = None,
    gtol: float = 1e-8,
    submodel: str | None = None,
    time: float | None = None,
) -> FloatArray:
    """A local minimiser of ``f`` by BFGS, or L-BFGS-B when ``bounds`` (an ``(n, 2)`` array of
    lower and upper limits, ``None`` entries allowed) are given.

    ``grad(x)`` is the gradient (``None``: finite differences); the run stops when its largest
    component is below ``gtol`` (units of f per unit of x; SciPy's default, 1e-5, leaves x
    accurate to only about 1e-6).  A run that does not converge
    raises :class:`NumericalFailure` naming ``name``; BFGS's "precision loss" stop is accepted
    when the gradient there is negligible, since that is how it usually ends at an optimum.

    Example
    -------
    >>> import numpy as np
    >>> f = lambda x: float((x[0] - 1.0) ** 2 + 10.0 * (x[1] + 2.0) ** 2)
    >>> g = lambda x: np.array([2.0 * (x[0] - 1.0), 20.0 * (x[1] + 2.0)])
    >>> minimise(f, g, np.zeros(2), name="p").round(6).tolist()
    [1.0, -2.0]
    """
    start = np.array(x0, dtype=np.float64).ravel()
    method = "BFGS" if bounds is None else "L-BFGS-B"
    result = scipy.optimize.minimize(
        f, start, jac=grad, method=method, bounds=bounds, options={"gtol": gtol}
    )
    solution = np.asarray(result.x, dtype=np.float64)
    accepted = bool(result.success)
    if not accepted and method == "BFGS" and result.status == 2 and grad is not None:
        gradient_norm = float(np.max(np.abs(np.asarray(grad(solution), dtype=np.float64))))
        accepted = gradient_norm <= math.sqrt(np.finfo(float).eps) * max(1.0, abs(result.fun))
    if not (accepted and np.all(np.isfinite(solution))):
        raise NumericalFailure(
            f"minimisation for {name!r} did not converge: {result.message}",
            submodel=submodel,
            field=name,
            time=time,
        )
    return solution


def relax(
    gradient: Callable[[FloatArray], ArrayLike],
    hessian: Callable[[FloatArray], ArrayLike],
    x0: ArrayLike,
    *,
    name: str,
    max_iterations: int = 100,
) -> FloatArray:
    """A stationary point of an energy from its gradient and Hessian: damped Newton steps.

    Relaxing internal variables (a sublattice shift at a given strain) is a small, smooth,
    badly scaled problem: gradients of 1e9 Pa against variables of 1e-3.  Newton's method is
    invariant to that scaling; each step is halved until the gradient's norm decreases.  It
    stops when a step changes no variable by more than 1e-13 of its size (or of 1e-12).  A
    failure raises :class:`NumericalFailure` naming ``name``.

    >>> relax(lambda x: 4 * x**3 - 4, lambda x: np.diag(12 * x**2), [2.0], name="quartic")
    array([1.])
    """
    x = np.array(x0, dtype=np.float64, ndmin=1)
    g = np.asarray(gradient(x), dtype=np.float64)
    for _ in range(max_iterations):
        h = np.atleast_2d(np.asarray(hessian(x), dtype=np.float64))
        try:
            step = np.linalg.solve(h, -g)
        except np.linalg.LinAlgError as error:
            raise NumericalFailure(f"the Hessian of '{name}' is singular: {error}",
                                   field=name) from None
        scale = 1.0
        for _halving in range(40):
            trial = x + scale * step
            g_trial = np.asarray(gradient(trial), dtype=np.float64)
            if np.all(np.isfinite(g_trial)) and np.linalg.norm(g_trial) <= np.linalg.norm(g):
                break
            scale /= 2.0
        else:
            raise NumericalFailure(f"no step of the relaxation of '{name}' reduces its gradient",
                                   field=name)
        x, g = trial, g_trial
        if np.all(np.abs(scale * step) <= np.maximum(1e-13 * np.abs(x), 1e-25)):
            return x
        if not np.any(g):
            return x
    raise NumericalFailure(f"the relaxation of '{name}' did not converge in {max_iterations} "
                           "Newton steps", field=name)


Linearisation = Callable[[FloatArray], tuple[scipy.sparse.sparray | scipy.sparse.spmatrix,
                                              FloatArray]]


def solve_linearised(
    linearised: Linearisation,
    guess: ArrayLike,
    *,
    tol: float = 1e-12,
    max_iter: int = 200,
    gauge: bool = False,
    linear: bool = False,
    submodel: str | None = None,
    field: str | None = None,
) -> FloatArray:
    """The ``u`` with ``A(u) u = r(u)``, by solving the linear system again at each iterate.

    ``linearised(u)`` returns the sparse matrix ``A`` and the right-hand side ``r`` of the
    problem linearised at ``u`` (a steady balance: the diffusion matrix with the coefficients
    at ``u``, the source's slope on the diagonal, the rest on the right).  A linear problem is
    solved exactly in the first step (the second confirms it; with ``linear``, which says that
    ``A`` and ``r`` do not depend on ``u``, there is no second); a coefficient k(u) makes this a
    Picard iteration, which stops when the update is below ``tol`` times the largest value.
    A singular system (only Neumann or periodic sides fix u up to a constant) or no
    convergence within ``max_iter`` steps raises :class:`NumericalFailure`.

    With ``gauge`` (only Neumann or periodic sides, no reaction: u is fixed up to a constant)
    the first unknown keeps its value from ``guess`` in place of its equation, which the others
    imply when the problem has a solution; a final check of every equation reports the case
    where it has none (sources and boundary fluxes that do not balance).

    Example
    -------
    >>> import scipy.sparse
    >>> step = lambda u: (scipy.sparse.csr_array([[2.0]]), np.array([4.0]))  # 2 u = 4
    >>> solve_linearised(step, [0.0]).tolist()
    [2.0]
    """
    u = np.array(guess, dtype=np.float64).ravel()
    level = float(u[0])
    for _ in range(max_iter):
        full, right = linearised(u)
        matrix = _pinned(full, 0) if gauge else full
        if gauge:
            right = np.array(right, dtype=np.float64)
            right[0] = level
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.sparse.linalg.MatrixRankWarning)
            try:
                found = np.asarray(
                    scipy.sparse.linalg.spsolve(scipy.sparse.csc_array(matrix), right),
                    dtype=np.float64).ravel()
            except RuntimeError:  # SuperLU: "Factor is exactly singular"
                found = np.full_like(u, np.nan)
        if not np.all(np.isfinite(found)):
            raise NumericalFailure(
                "the steady problem is singular or has no finite solution (with only Neumann "
                "or periodic sides a balance fixes its field only up to a constant)",
                submodel=submodel, field=field)
        change = float(np.max(np.abs(found - u), initial=0.0))
        u = found
        if linear or change <= tol * max(1.0, float(np.max(np.abs(u), initial=0.0))):
            if gauge:
                _check_balanced(full, linearised(u)[1], u, submodel, field)
            return u
    raise NumericalFailure(
        f"the steady problem did not converge in {max_iter} linearised steps (last change "
        f"{change:.3g})", submodel=submodel, field=field)


def _pinned(matrix: scipy.sparse.sparray | scipy.sparse.spmatrix, row: int
            ) -> scipy.sparse.csr_array:
    """``matrix`` with equation ``row`` replaced by ``u[row] = (its right-hand side)``."""
    entries = scipy.sparse.coo_array(matrix)
    keep = entries.row != row
    rows = np.concatenate([entries.row[keep], [row]])
    cols = np.concatenate([entries.col[keep], [row]])
    data = np.concatenate([entries.data[keep], [1.0]])
    return scipy.sparse.csr_array((data, (rows, cols)), shape=entries.shape)


def _check_balanced(matrix: scipy.sparse.sparray | scipy.sparse.spmatrix, right: FloatArray,
                    u: FloatArray, submodel: str | None, field: str | None) -> None:
    """Every equation, the replaced one included, must hold: else the problem has no steady
    state (what enters through sources and sides does not balance what leaves)."""
    residual = np.asarray(matrix @ u, dtype=np.float64).ravel() - right
    scale = float(np.max(np.abs(np.asarray(abs(matrix) @ np.abs(u)).ravel()), initial=0.0))
    scale = max(scale, float(np.max(np.abs(right), initial=0.0)), 1e-300)
    if float(np.max(np.abs(residual), initial=0.0)) > 1e-8 * scale:
        raise NumericalFailure(
            "the steady problem has no solution: with only Neumann or periodic sides the "
            "sources and the boundary fluxes must balance, and they do not",
            submodel=submodel, field=field)
