"""Time integration: stability limits, forward Euler, the theta scheme and stiff ODE solvers.

Times are in seconds and every run starts at t = 0 from ``y0``.  ``outputs`` are the times at
which states are returned, ascending (repeats allowed), each in ``[0, t_end]``; the result has
shape ``(len(outputs),) + y0.shape``.

* :func:`diffusion_step_limit`, :func:`advection_step_limit`, :func:`reaction_step_limit` and
  :func:`stable_step` give the explicit stability limits (seconds).
* :func:`integrate_explicit` is forward Euler under such a limit.
* :func:`integrate_theta` solves ``capacity * du/dt = A u + b`` by backward Euler
  (``theta = 1``) or Crank-Nicolson (``theta = 0.5``), factoring the system matrix once.
* :func:`integrate_stiff` wraps :func:`scipy.integrate.solve_ivp` with an analytic Jacobian.

Any non-finite state, refused step or solver failure raises
:class:`~scalebridge.solvers.errors.NumericalFailure` naming the submodel, field and time.

Example
-------
>>> import numpy as np
>>> limit = reaction_step_limit(-2.0)  # du/dt = -2 u: stable for dt < 0.5 s
>>> states = integrate_explicit(lambda t, y: -2.0 * y, np.array([1.0]), 1.0,
...                             limit=limit, dt=1e-3, outputs=[0.0, 1.0])
>>> bool(abs(states[-1, 0] - np.exp(-2.0)) < 1e-3)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal, Protocol

import numpy as np
import scipy.integrate
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg
from numpy.typing import ArrayLike, NDArray
from scipy.linalg.lapack import dgttrf, dgttrs

from scalebridge.solvers.errors import NumericalFailure

__all__ = [
    "advection_step_limit",
    "diffusion_step_limit",
    "integrate_explicit",
    "integrate_stiff",
    "integrate_theta",
    "reaction_step_limit",
    "stable_step",
    "step_sizes",
]

FloatArray = NDArray[np.float64]
RightHandSide = Callable[[float, FloatArray], FloatArray]
Forcing = FloatArray | Callable[[float], FloatArray] | None

#: Default fraction of the stability limit that an automatically chosen step may use.
SAFETY = 0.9

# Relative slack when deciding that a time is a whole number of steps: absorbs the round-off
# of t / dt without letting a genuinely misaligned output through.
_ALIGNMENT_TOLERANCE = 1e-9


# --------------------------------------------------------------------------------------------
# Stability limits.
# --------------------------------------------------------------------------------------------


def _spacings(spacings: Sequence[float]) -> FloatArray:
    values = np.asarray(spacings, dtype=np.float64).ravel()
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0.0):
        raise ValueError(f"grid spacings must be positive and finite, got {list(spacings)}")
    return values


def diffusion_step_limit(diffusivity: float, spacings: Sequence[float]) -> float:
    """Forward-Euler limit for diffusion, ``1 / (2 D sum(1/h_i^2))`` in seconds.

    ``diffusivity`` D in m^2/s, ``spacings`` the grid spacings h_i in metres (one per
    dimension).  Zero diffusivity gives ``inf``.

    Example
    -------
    >>> diffusion_step_limit(1.0, [0.5])  # dx^2 / (2 D)
    0.125
    >>> diffusion_step_limit(1.0, [0.5, 0.5])  # halved in 2-D
    0.0625
    """
    if not (math.isfinite(diffusivity) and diffusivity >= 0.0):
        raise ValueError(f"the diffusivity must be finite and non-negative, got {diffusivity!r}")
    inverse_squares = float(np.sum(1.0 / _spacings(spacings) ** 2))
    if diffusivity == 0.0:
        return math.inf
    return 1.0 / (2.0 * diffusivity * inverse_squares)


def advection_step_limit(
    speeds: Sequence[float | FloatArray], spacings: Sequence[float]
) -> float:
    """Upwind (CFL) limit ``1 / max(sum(|v_i| / h_i))`` in seconds; ``inf`` when nothing moves.

    ``speeds`` are velocity components in m/s, one per spacing (metres): each a number or an
    array of cell values (a velocity that varies in space), the limit then taken at the cell
    where the flow crosses cells fastest.

    Example
    -------
    >>> advection_step_limit([2.0, -1.0], [0.1, 0.1])
    0.03333333333333333
    >>> import numpy as np
    >>> advection_step_limit([np.array([1.0, 4.0]), 0.0], [0.5, 1.0])
    0.125
    """
    h = _spacings(spacings)
    if len(speeds) != h.size:
        raise ValueError("give one finite speed per spacing")
    parts = [np.abs(np.asarray(v, dtype=np.float64)) / step for v, step in zip(speeds, h,
                                                                                 strict=True)]
    if not all(np.all(np.isfinite(part)) for part in parts):
        raise ValueError("give one finite speed per spacing")
    rate = float(np.max(sum(np.broadcast_arrays(*parts), start=np.zeros(()))))
    return math.inf if rate == 0.0 else 1.0 / rate


def reaction_step_limit(rate: float) -> float:
    """Limit ``1 / |rate|`` in seconds for a reaction with rate constant ``rate`` (1/s).

    Example
    -------
    >>> reaction_step_limit(-4.0), reaction_step_limit(0.0)
    (0.25, inf)
    """
    if not math.isfinite(rate):
        raise ValueError(f"the rate must be finite, got {rate!r}")
    return math.inf if rate == 0.0 else 1.0 / abs(rate)


def stable_step(*limits: float, safety: float = SAFETY) -> float:
    """``safety`` times the smallest of the given limits (seconds); ``inf`` if all are.

    Example
    -------
    >>> stable_step(0.01, 0.5, float("inf"))
    0.009000000000000001
    """
    if not limits:
        raise ValueError("stable_step needs at least one limit")
    if not 0.0 < safety <= 1.0:
        raise ValueError(f"the safety factor must lie in (0, 1], got {safety!r}")
    smallest = min(limits)
    if math.isnan(smallest) or smallest <= 0.0:
        raise ValueError(f"step limits must be positive, got {limits}")
    return safety * smallest


# --------------------------------------------------------------------------------------------
# Shared checks.
# --------------------------------------------------------------------------------------------


def _output_times(outputs: Sequence[float], t_end: float | None = None) -> FloatArray:
    times = np.asarray(outputs, dtype=np.float64).ravel()
    if times.size == 0:
        raise ValueError("give at least one output time")
    if not np.all(np.isfinite(times)) or times[0] < 0.0 or np.any(np.diff(times) < 0.0):
        raise ValueError("output times must be finite, non-negative and ascending from t = 0")
    if t_end is not None and times[-1] > t_end:
        raise ValueError(f"output time {times[-1]} s lies after t_end = {t_end} s")
    return times


def _check_finite(
    y: FloatArray, time: float, submodel: str | None, field: str | None, detail: str = ""
) -> None:
    if not np.all(np.isfinite(y)):
        raise NumericalFailure(
            f"the solution is not finite{detail}", submodel=submodel, field=field, time=time
        )


# --------------------------------------------------------------------------------------------
# Forward Euler.
# --------------------------------------------------------------------------------------------


def _segment_steps(span: float, max_step: float, forced: bool) -> list[float]:
    """Steps covering ``span`` exactly, none longer than ``max_step`` (beyond round-off).

    Chosen steps are equal (the largest that fit); a forced step is kept and only the last one
    shortened to land on the output time.
    """
    if span <= 0.0:
        return []
    count = max(1, math.ceil(span / max_step * (1.0 - _ALIGNMENT_TOLERANCE)))
    if not forced:
        return [span / count] * count
    return [max_step] * (count - 1) + [span - (count - 1) * max_step]


def step_sizes(span: float, max_step: float, *, forced: bool = False) -> list[float]:
    """The steps (s) :func:`integrate_explicit` takes over ``span`` seconds: the fewest equal
    ones no longer than ``max_step``, or with ``forced`` steps of ``max_step`` and a shorter
    last one.  A caller that steps with another kernel uses this to take exactly the same steps.

    >>> step_sizes(1.0, 0.3)
    [0.25, 0.25, 0.25, 0.25]
    """
    return _segment_steps(span, max_step, forced)


def integrate_explicit(
    rhs: RightHandSide,
    y0: ArrayLike,
    t_end: float,
    *,
    limit: float,
    dt: float | None = None,
    outputs: Sequence[float],
    submodel: str | None = None,
    field: str | None = None,
    progress: Callable[[float], None] | None = None,
) -> FloatArray:
    """Forward Euler for ``dy/dt = rhs(t, y)`` from t = 0 to ``t_end`` (seconds).

    ``progress``, when given, is called with the fraction of ``t_end`` done at every output
    time (for a progress bar).

    ``limit`` is the stability limit in seconds (see :func:`stable_step`).  With ``dt=None`` each
    interval between output times is cut into the fewest equal steps no longer than
    ``0.9 * limit``, so every output time is hit exactly.  A forced ``dt`` is used as given
    (the last step before each output shortened); a forced ``dt > limit`` is refused with
    :class:`NumericalFailure`, as is a state that stops being finite (the message gives the
    time).  Returns the states at ``outputs``, shape ``(len(outputs),) + y0.shape``.

    Example
    -------
    >>> import numpy as np
    >>> growth = lambda t, y: np.ones_like(y)  # dy/dt = 1
    >>> integrate_explicit(growth, np.zeros(2), 2.0, limit=0.3, outputs=[1.0, 2.0]).tolist()
    [[1.0, 1.0], [2.0, 2.0]]
    """
    y = np.array(y0, dtype=np.float64)  # a copy: the caller's array is never modified
    times = _output_times(outputs, t_end)
    if not limit > 0.0:
        raise ValueError(f"the stability limit must be positive, got {limit!r}")
    if dt is not None:
        if not (math.isfinite(dt) and dt > 0.0):
            raise ValueError(f"the time step must be positive and finite, got {dt!r}")
        if dt > limit:
            raise NumericalFailure(
                f"the step dt = {dt:.6g} s exceeds the explicit stability limit "
                f"{limit:.6g} s; use dt <= {SAFETY * limit:.6g} s or an implicit method",
                submodel=submodel,
                field=field,
                time=0.0,
            )
    max_step = dt if dt is not None else SAFETY * limit
    _check_finite(y, 0.0, submodel, field, " in the initial state")

    states = np.empty((times.size, *y.shape))
    t = 0.0
    stops = np.unique(np.append(times, t_end))
    # Overflow and NaN are caught below and reported with the time; NumPy's warnings would
    # only repeat them less usefully.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for stop in stops:
            for h in _segment_steps(float(stop) - t, max_step, forced=dt is not None):
                rate = np.asarray(rhs(t, y), dtype=np.float64)
                if rate.shape != y.shape:
                    raise ValueError(f"rhs returned shape {rate.shape}, expected {y.shape}")
                y = y + h * rate
                t += h
                _check_finite(y, t, submodel, field, f" after a step of dt = {h:.6g} s")
            t = float(stop)  # no drift from summing steps
            states[times == stop] = y
            if progress is not None and t_end > 0:
                progress(min(1.0, t / t_end))
    return states


# --------------------------------------------------------------------------------------------
# The theta scheme.
# --------------------------------------------------------------------------------------------


class _LinearSystem(Protocol):
    def apply(self, u: FloatArray) -> FloatArray: ...

    def solve(self, rhs: FloatArray) -> FloatArray: ...


class _Tridiagonal:
    """A banded (3, n) operator A and the factorisation of ``diag(shift) - theta * A``."""

    def __init__(self, ab: FloatArray, shift: FloatArray, theta: float) -> None:
        self.ab = ab
        n = ab.shape[1]
        diagonal = shift - theta * ab[1]
        upper, lower = -theta * ab[0, 1:], -theta * ab[2, :-1]
        self._dense: tuple[FloatArray, NDArray[np.int32]] | None = None
        if n < 3:
            # LAPACK's dgttrf wrapper refuses n < 3; a 2x2 dense LU is just as good.
            dense = np.diag(diagonal) + np.diag(upper, 1) + np.diag(lower, -1)
            self._dense = scipy.linalg.lu_factor(dense, check_finite=False)
            if np.any(np.diag(self._dense[0]) == 0.0):
                raise np.linalg.LinAlgError("singular")
            return
        *factors, info = dgttrf(lower, diagonal, upper)
        if info != 0:
            raise np.linalg.LinAlgError("singular")
        self._factors = factors

    def apply(self, u: FloatArray) -> FloatArray:
        result: FloatArray = self.ab[1] * u
        result[:-1] += self.ab[0, 1:] * u[1:]
        result[1:] += self.ab[2, :-1] * u[:-1]
        return result

    def solve(self, rhs: FloatArray) -> FloatArray:
        if self._dense is not None:
            solution: FloatArray = scipy.linalg.lu_solve(self._dense, rhs, check_finite=False)
            return solution
        x, info = dgttrs(*self._factors, rhs)
        if info != 0:  # pragma: no cover - only for malformed arguments
            raise np.linalg.LinAlgError(f"dgttrs failed with info = {info}")
        return np.asarray(x, dtype=np.float64)


class _Sparse:
    """A sparse operator A and the sparse LU of ``diag(shift) - theta * A``."""

    def __init__(self, matrix: scipy.sparse.sparray, shift: FloatArray, theta: float) -> None:
        self.matrix = scipy.sparse.csr_matrix(matrix)
        system = scipy.sparse.diags(shift) - theta * self.matrix
        try:
            self._lu = scipy.sparse.linalg.splu(scipy.sparse.csc_matrix(system))
        except RuntimeError as error:  # splu reports an exactly singular matrix this way
            raise np.linalg.LinAlgError(str(error)) from error

    def apply(self, u: FloatArray) -> FloatArray:
        return np.asarray(self.matrix @ u, dtype=np.float64)

    def solve(self, rhs: FloatArray) -> FloatArray:
        return np.asarray(self._lu.solve(rhs), dtype=np.float64)


def _step_indices(times: FloatArray, dt: float) -> NDArray[np.int64]:
    ratios = times / dt
    steps = np.rint(ratios)
    if np.any(np.abs(ratios - steps) > _ALIGNMENT_TOLERANCE * np.maximum(1.0, ratios)):
        raise ValueError(f"every output time must be a whole number of steps dt = {dt} s")
    return steps.astype(np.int64)


def _forcing(b: Forcing, n: int) -> Callable[[float], FloatArray]:
    if b is None:
        zero = np.zeros(n)
        return lambda _t: zero
    if callable(b):
        source = b

        def evaluate(t: float) -> FloatArray:
            value = np.asarray(source(t), dtype=np.float64)
            if value.shape != (n,):
                raise ValueError(f"b(t) returned shape {value.shape}, expected ({n},)")
            return value

        return evaluate
    constant = np.asarray(b, dtype=np.float64)
    if constant.shape != (n,):
        raise ValueError(f"b must have shape ({n},), got {constant.shape}")
    return lambda _t: constant


# A and six positional parameters are the API the generated code calls.
def integrate_theta(  # noqa: PLR0917
    A: FloatArray | scipy.sparse.sparray,  # noqa: N803
    b: Forcing,
    capacity: float | FloatArray,
    y0: ArrayLike,
    dt: float,
    outputs: Sequence[float],
    *,
    theta: float = 1.0,
    submodel: str | None = None,
    field: str | None = None,
    progress: Callable[[float], None] | None = None,
) -> FloatArray:
    """Solve ``capacity * du/dt = A u + b(t)`` by the theta scheme with a fixed step ``dt`` (s).

    ``A`` is either a banded ``(3, n)`` array in :func:`scipy.linalg.solve_banded` layout (a
    tridiagonal operator, as from ``diffusion_matrix_1d``; factored once by LAPACK ``dgttrf``
    and solved each step by ``dgttrs``) or a SciPy sparse matrix (factored once by ``splu``).
    A dense ``(n, n)`` array is not accepted: it would be read as banded.  ``b`` is ``None``,
    an ``(n,)`` array or a callable ``b(t)``; ``capacity`` a positive float or ``(n,)`` array
    (for heat, rho*c_p in J/(m^3 K) with A in W/(m^3 K)).  ``theta = 1`` is backward Euler,
    ``0.5`` Crank-Nicolson.  Every output time must be a whole number of steps (ValueError).
    ``progress``, when given, is called with the fraction done about a hundred times.

    Example
    -------
    >>> import numpy as np
    >>> ab = np.array([[0.0], [-1.0], [0.0]])  # du/dt = -u, one unknown
    >>> states = integrate_theta(ab, None, 1.0, [1.0], 0.01, [1.0], theta=0.5)
    >>> bool(abs(states[0, 0] - np.exp(-1.0)) < 1e-5)
    True
    """
    if not (math.isfinite(dt) and dt > 0.0):
        raise ValueError(f"the time step must be positive and finite, got {dt!r}")
    if not 0.0 <= theta <= 1.0:
        raise ValueError(f"theta must lie in [0, 1], got {theta!r}")
    y = np.array(y0, dtype=np.float64)
    n = y.size
    if y.shape != (n,):
        raise ValueError(f"y0 must be one-dimensional, got shape {y.shape}")
    heat = np.broadcast_to(np.asarray(capacity, dtype=np.float64), (n,))
    if not np.all(np.isfinite(heat)) or np.any(heat <= 0.0):
        raise ValueError("the capacity must be positive and finite")
    shift = heat / dt
    times = _output_times(outputs)
    steps = _step_indices(times, dt)
    forcing = _forcing(b, n)
    try:
        system = _system(A, n, shift, theta)
    except np.linalg.LinAlgError as error:
        raise NumericalFailure(
            f"the implicit system matrix is singular ({error})", submodel=submodel, field=field
        ) from error
    _check_finite(y, 0.0, submodel, field, " in the initial state")

    states = np.empty((times.size, n))
    states[steps == 0] = y
    b_now = forcing(0.0)
    with np.errstate(over="ignore", invalid="ignore"):  # reported below, with the time
        for step in range(1, int(steps[-1]) + 1):
            t_new = step * dt
            b_new = forcing(t_new)
            rhs = shift * y + theta * b_new
            if theta < 1.0:
                rhs += (1.0 - theta) * (system.apply(y) + b_now)
            y = system.solve(rhs)
            _check_finite(y, t_new, submodel, field)
            states[steps == step] = y
            b_now = b_new
            last = int(steps[-1])
            if progress is not None and (step % max(1, last // 100) == 0 or step == last):
                progress(step / last)
    return states


def _system(
    operator: FloatArray | scipy.sparse.sparray, n: int, shift: FloatArray, theta: float
) -> _LinearSystem:
    if scipy.sparse.issparse(operator):
        if operator.shape != (n, n):
            raise ValueError(f"A must have shape ({n}, {n}), got {operator.shape}")
        return _Sparse(operator, shift, theta)
    ab = np.asarray(operator, dtype=np.float64)
    if ab.shape != (3, n):
        raise ValueError(
            f"a dense A must be banded with shape (3, {n}); got {ab.shape} "
            "(pass a scipy.sparse matrix for a general operator)"
        )
    return _Tridiagonal(ab, shift, theta)


# --------------------------------------------------------------------------------------------
# Stiff systems.
# --------------------------------------------------------------------------------------------

Jacobian = Callable[[float, FloatArray], ArrayLike] | None


def integrate_stiff(
    rhs: RightHandSide,
    jac: Jacobian,
    y0: ArrayLike,
    outputs: Sequence[float],
    *,
    method: Literal["BDF", "LSODA", "Radau"] = "BDF",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    submodel: str | None = None,
    field: str | None = None,
    jac_sparsity: ArrayLike | scipy.sparse.sparray | None = None,
    progress: Callable[[float], None] | None = None,
) -> FloatArray:
    """Integrate a stiff ``dy/dt = rhs(t, y)`` from t = 0 with :func:`scipy.integrate.solve_ivp`.

    ``jac(t, y)`` is the analytic Jacobian d(rhs)/dy, shape ``(n, n)`` (``None`` lets SciPy
    difference it).  Without an analytic Jacobian, ``jac_sparsity`` (the pattern of the
    nonzero entries, e.g. a grid's stencil from
    :func:`scalebridge.solvers.finite_volume.stencil_sparsity`) lets SciPy difference a field
    of n cells in a handful of evaluations instead of n.  ``progress``, when given, is called
    with the fraction of the run done.  Returns states at ``outputs`` (seconds), shape
    ``(len(outputs), n)``.  A solver failure raises :class:`NumericalFailure` with the latest
    time the solver reached.

    Example
    -------
    >>> import numpy as np
    >>> rhs = lambda t, y: -1000.0 * (y - np.cos(t))  # stiff relaxation onto cos(t)
    >>> jac = lambda t, y: np.array([[-1000.0]])
    >>> states = integrate_stiff(rhs, jac, [1.0], [0.0, 1.0])
    >>> bool(abs(states[1, 0] - np.cos(1.0)) < 1e-2)
    True
    """
    y = np.array(y0, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"y0 must be one-dimensional, got shape {y.shape}")
    times = _output_times(outputs)
    _check_finite(y, 0.0, submodel, field, " in the initial state")
    if times[-1] == 0.0:
        return np.tile(y, (times.size, 1))
    stops, where = np.unique(times, return_inverse=True)
    # solve_ivp does not say how far it got before failing, so the right-hand side records it.
    reached = [0.0]

    end = float(times[-1])

    def tracked(t: float, state: FloatArray) -> FloatArray:
        if progress is not None and t > reached[0]:
            progress(min(1.0, float(t) / end))
        reached[0] = max(reached[0], float(t))
        return rhs(t, state)

    options = {} if jac_sparsity is None or method == "LSODA" else {"jac_sparsity": jac_sparsity}

    solution = scipy.integrate.solve_ivp(
        tracked,
        (0.0, float(times[-1])),
        y,
        method=method,
        t_eval=stops,
        jac=jac,
        rtol=rtol,
        atol=atol,
        **options,
    )
    if not solution.success:
        raise NumericalFailure(
            f"{method} failed: {solution.message}",
            submodel=submodel,
            field=field,
            time=reached[0],
        )
    states = np.asarray(solution.y, dtype=np.float64).T
    if not np.all(np.isfinite(states)):
        row = int(np.argmax(~np.all(np.isfinite(states), axis=1)))
        _check_finite(states[row], float(stops[row]), submodel, field)
    result: FloatArray = states[where]
    return result
