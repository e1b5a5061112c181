"""Explicit 2-D diffusion-reaction on a structured grid: one forward-Euler step, and runs of many.

The equation is ``du/dt = D * lap(u) - k * u + s`` on a rectangle, discretised with the 5-point
Laplacian and one forward-Euler step of length ``dt``::

    u_new[i, j] = u[i, j] + dt * (D * lap(u)[i, j] - k * u[i, j] + s)
    lap(u)[i, j] = (u[i, j-1] - 2 u[i, j] + u[i, j+1]) / dx**2
                 + (u[i-1, j] - 2 u[i, j] + u[i+1, j]) / dy**2

Axis 0 (index ``i``, rows) runs along y with spacing ``dy``; axis 1 (index ``j``, columns) runs
along x with spacing ``dx``.  Units are any consistent set, SI by default: ``u`` in its own unit
[U] (e.g. mol/m^3), ``dt`` in s, ``diffusivity`` D in m^2/s, ``dx`` and ``dy`` in m, ``rate`` k in
1/s and ``source`` s in [U]/s.

Boundaries (the "halo": the ring of cells just outside the array):

``"dirichlet"``
    Every cell of the array is an unknown and the halo holds zero.  A grid of ``ny x nx`` cells
    thus stands for the open rectangle whose walls sit one spacing outside the first and last
    cells, e.g. x_j = (j + 1) * dx with u = 0 at x = 0 and x = (nx + 1) * dx.  No halo is stored:
    the missing neighbours are simply left out of the sums, which is the same as adding zero.
``"periodic"``
    The halo wraps around: the left neighbour of column 0 is column nx - 1, and likewise for
    rows.  Total mass ``sum(u) * dx * dy`` is then changed by the reaction and source only.

Two backends compute the same step: :func:`diffusion_reaction_step_numpy` (the reference, pure
NumPy with ``out=`` ufunc arguments and one block-sized scratch array) and
:func:`diffusion_reaction_step_numba` (a compiled, thread-parallel loop over rows; needs the
optional ``numba`` extra, ``pip install 'scalebridge[numba]'``).  :func:`diffusion_reaction_run`
takes many steps while holding two grid arrays that it swaps ("ping-pong").

Forward Euler is stable and keeps a non-negative field non-negative while
``dt <= max_stable_dt(diffusivity, dx, dy, rate)``.

Example
-------
>>> import numpy as np
>>> u0 = np.zeros((5, 5)); u0[2, 2] = 1.0
>>> u = diffusion_reaction_run(u0, 10, dt=0.1, diffusivity=1.0, dx=1.0, dy=1.0, rate=0.0,
...                            boundary="periodic", backend="numpy")
>>> float(round(u.sum(), 12))  # diffusion alone conserves mass on a periodic grid
1.0
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scalebridge.solvers.errors import NumericalFailure

__all__ = [
    "Backend",
    "Boundary",
    "diffusion_reaction_run",
    "diffusion_reaction_step_numba",
    "diffusion_reaction_step_numpy",
    "max_stable_dt",
    "numba_available",
]

Boundary = Literal["dirichlet", "periodic"]
Backend = Literal["auto", "numpy", "numba"]

FloatArray = NDArray[np.float64]

# The NumPy step works through the grid in blocks of whole rows of about this many bytes per
# array.  Each block is passed over several times (one ufunc call per term); a block this size
# keeps those passes in the processor's caches instead of streaming the whole grid from memory
# once per term (2.5x faster on a 4096 x 4096 grid), and is large enough that the per-call
# overhead of the ufuncs stays small.
_BLOCK_BYTES = 512 * 1024


def max_stable_dt(diffusivity: float, dx: float, dy: float, rate: float = 0.0) -> float:
    """Largest time step (s) for which the explicit step keeps every coefficient non-negative.

    With ``cx = dt*D/dx**2`` and ``cy = dt*D/dy**2`` the step is
    ``u_new = (1 - dt*k - 2*cx - 2*cy) * u + cx * (left + right) + cy * (up + down) + dt*s``;
    when all these weights are non-negative the step obeys a maximum principle: it is stable
    and cannot make a non-negative field negative.  A decaying reaction (k > 0) shortens the
    limit, a growing one (k < 0) does not lengthen it.

    Parameters are in consistent units: ``diffusivity`` in m^2/s, ``dx`` and ``dy`` in m,
    ``rate`` in 1/s; the result is in s (``inf`` when nothing limits the step).

    >>> max_stable_dt(1.0, 0.5, 0.5)  # dx**2 / (4 D)
    0.0625
    """
    _check_parameters(dt=0.0, diffusivity=diffusivity, dx=dx, dy=dy, rate=rate, source=0.0)
    bound = 2.0 * diffusivity * (1.0 / dx**2 + 1.0 / dy**2) + max(rate, 0.0)
    return math.inf if bound == 0.0 else 1.0 / bound


def numba_available() -> bool:
    """Whether the optional numba backend can be used (numba is installed and imports).

    >>> isinstance(numba_available(), bool)
    True
    """
    try:
        _numba_kernel()
    except ImportError:
        return False
    return True


def diffusion_reaction_step_numpy(
    u: FloatArray,
    out: FloatArray,
    *,
    dt: float,
    diffusivity: float,
    dx: float,
    dy: float,
    rate: float,
    source: float = 0.0,
    boundary: Boundary = "dirichlet",
) -> FloatArray:
    """One explicit step of 2-D diffusion-reaction with NumPy: writes ``u(t + dt)`` into ``out``.

    ``u`` and ``out`` are distinct float64 arrays of the same 2-D shape ``(ny, nx)`` that do not
    overlap; ``u`` is left unchanged.  Units and boundaries are described in the module
    docstring (``dt`` in s, ``diffusivity`` in m^2/s, ``dx``/``dy`` in m, ``rate`` in 1/s,
    ``source`` in [U]/s).  The only memory used besides ``u`` and ``out`` is one scratch array
    of about 512 KiB (a block of rows); every arithmetic operation writes through ``out=``.

    Returns ``out``.

    >>> import numpy as np
    >>> u = np.ones((3, 4)); out = np.empty_like(u)
    >>> step = diffusion_reaction_step_numpy(u, out, dt=0.1, diffusivity=1.0, dx=1.0, dy=1.0,
    ...                                      rate=0.5, boundary="periodic")
    >>> bool(np.allclose(step, 0.95))  # a uniform field only feels the reaction
    True
    """
    c0, cx, cy, s = _coefficients(
        u, out, dt=dt, diffusivity=diffusivity, dx=dx, dy=dy, rate=rate, source=source
    )
    periodic = _is_periodic(boundary)
    ny, nx = u.shape
    rows = max(1, min(ny, _BLOCK_BYTES // (8 * nx)))
    scratch = np.empty((rows, nx))
    for r0 in range(0, ny, rows):
        r1 = min(r0 + rows, ny)
        block, work = out[r0:r1], scratch[: r1 - r0]
        # The same grouping as the numba kernel, c0*u + cx*(l + r) + cy*(up + down) + s, so
        # that the two backends round alike.
        np.multiply(u[r0:r1], c0, out=block)
        # Left + right neighbours: the row pairs of the transposed block are its columns.
        _neighbour_sum(u[r0:r1].T, 0, nx, work.T, periodic)
        np.multiply(work, cx, out=work)
        np.add(block, work, out=block)
        _neighbour_sum(u, r0, r1, work, periodic)
        np.multiply(work, cy, out=work)
        np.add(block, work, out=block)
        if s != 0.0:
            np.add(block, s, out=block)
    return out


def _neighbour_sum(a: FloatArray, lo: int, hi: int, out: FloatArray, periodic: bool) -> None:
    """``out[i - lo] = a[i - 1] + a[i + 1]`` along axis 0 for ``lo <= i < hi``, with the halo
    either zero or wrapped around."""
    n = a.shape[0]
    # Lines whose two neighbours are both inside the array: one ufunc call.
    i0, i1 = max(lo, 1), min(hi, n - 1)
    if i1 > i0:
        np.add(a[i0 - 1 : i1 - 1], a[i0 + 1 : i1 + 1], out=out[i0 - lo : i1 - lo])
    # The first and last lines, when they are in the range, have a neighbour in the halo.
    for i in sorted({lo, hi - 1} & {0, n - 1}):
        below = a[i - 1] if i > 0 else (a[n - 1] if periodic else None)
        above = a[i + 1] if i < n - 1 else (a[0] if periodic else None)
        target = out[i - lo]
        if below is not None and above is not None:
            np.add(below, above, out=target)
        elif below is not None:
            np.copyto(target, below)
        elif above is not None:
            np.copyto(target, above)
        else:
            target.fill(0.0)


def diffusion_reaction_step_numba(
    u: FloatArray,
    out: FloatArray,
    *,
    dt: float,
    diffusivity: float,
    dx: float,
    dy: float,
    rate: float,
    source: float = 0.0,
    boundary: Boundary = "dirichlet",
) -> FloatArray:
    """One explicit step of 2-D diffusion-reaction, compiled with numba and parallel over rows.

    Same arguments, units, boundaries and result as :func:`diffusion_reaction_step_numpy`, to
    round-off: writes ``u(t + dt)`` into ``out`` and returns it.  Each cell is read from ``u``
    and written to ``out`` in one pass, with no scratch array.  The first call compiles the
    kernel (or loads it from numba's on-disk cache).  Raises :class:`ImportError` when numba
    is not installed.

    >>> import numpy as np
    >>> # numba is optional: fall back to the reference where it is missing.
    >>> step = (diffusion_reaction_step_numba if numba_available()
    ...         else diffusion_reaction_step_numpy)
    >>> u = np.ones((3, 4))
    >>> new = step(u, np.empty_like(u), dt=0.1, diffusivity=1.0, dx=1.0, dy=1.0, rate=0.5,
    ...            boundary="periodic")
    >>> bool(np.allclose(new, 0.95))  # a uniform field only feels the reaction
    True
    """
    kernel = _numba_kernel()
    c0, cx, cy, s = _coefficients(
        u, out, dt=dt, diffusivity=diffusivity, dx=dx, dy=dy, rate=rate, source=source
    )
    kernel(u, out, c0, cx, cy, s, _is_periodic(boundary))
    return out


@functools.cache
def _numba_kernel() -> Callable[..., None]:
    """Compile (once per process; numba caches the machine code on disk) the numba kernel."""
    # numba is an optional extra and takes about half a second to import: import it only when
    # the numba backend is asked for.
    try:
        import numba
    except ImportError as error:
        raise ImportError(
            "the numba backend needs numba: pip install 'scalebridge[numba]' "
            "(or use backend='numpy')"
        ) from error

    # fastmath=False: the result must match the NumPy reference to round-off, so no
    # reassociation; the loop vectorises without it (each cell is independent).
    @numba.njit(parallel=True, fastmath=False, cache=True)
    def kernel(  # noqa: PLR0917 - numba compiles positional parameters only
        u: FloatArray,
        out: FloatArray,
        c0: float,
        cx: float,
        cy: float,
        s: float,
        periodic: bool,
    ) -> None:  # pragma: no cover - runs compiled, where coverage cannot see it
        ny, nx = u.shape
        # The Dirichlet halo row: a row of zeros stands in for a missing neighbour row, so the
        # inner loop has no branches.
        halo = np.zeros(nx)
        for i in numba.prange(ny):
            if i > 0:
                up = u[i - 1]
            elif periodic:
                up = u[ny - 1]
            else:
                up = halo
            if i < ny - 1:
                down = u[i + 1]
            elif periodic:
                down = u[0]
            else:
                down = halo
            row = u[i]
            new = out[i]
            for j in range(1, nx - 1):
                new[j] = c0 * row[j] + cx * (row[j - 1] + row[j + 1]) + cy * (up[j] + down[j]) + s
            # The first and last columns (the same column when nx == 1).
            for j in (0, nx - 1):
                left = row[j - 1] if j > 0 else (row[nx - 1] if periodic else 0.0)
                right = row[j + 1] if j < nx - 1 else (row[0] if periodic else 0.0)
                new[j] = c0 * row[j] + cx * (left + right) + cy * (up[j] + down[j]) + s

    return kernel


def diffusion_reaction_run(
    u0: ArrayLike,
    steps: int,
    *,
    dt: float,
    diffusivity: float,
    dx: float,
    dy: float,
    rate: float,
    source: float = 0.0,
    boundary: Boundary = "dirichlet",
    backend: Backend = "auto",
) -> FloatArray:
    """Take ``steps`` explicit steps from ``u0`` (shape ``(ny, nx)``); return the final field.

    Arguments and units as in :func:`diffusion_reaction_step_numpy` (``dt`` in s, the field in
    its own unit [U]).  ``backend`` is ``"numpy"`` (the reference), ``"numba"`` (compiled,
    parallel; needs the numba extra) or ``"auto"`` (numba when it is installed, else NumPy).
    ``u0`` is not modified.  The run holds two grid-sized float64 arrays, which it swaps each
    step, plus the NumPy backend's block-sized scratch array; the result is one of the two.

    Raises :class:`~scalebridge.solvers.errors.NumericalFailure` when ``dt`` exceeds
    :func:`max_stable_dt`, :class:`ValueError` for malformed arguments, and
    :class:`ImportError` for ``backend="numba"`` without numba.

    The lowest sine mode of a Dirichlet grid (15 x 15 cells, walls at 0 and 1 m) decays by
    exactly ``1 + dt * D * lam`` per step, ``lam`` the discrete Laplacian's eigenvalue:

    >>> import numpy as np
    >>> h, dt = 1.0 / 16, 2e-4
    >>> mode = np.sin(np.pi * h * np.arange(1, 16))
    >>> u0 = np.outer(mode, mode)
    >>> u = diffusion_reaction_run(u0, 3, dt=dt, diffusivity=1.0, dx=h, dy=h, rate=0.0,
    ...                            backend="numpy")
    >>> lam = -8 / h**2 * np.sin(np.pi * h / 2) ** 2
    >>> bool(np.allclose(u, (1 + dt * lam) ** 3 * u0, rtol=1e-12, atol=0))
    True
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    limit = max_stable_dt(diffusivity, dx, dy, rate)
    if dt > limit:
        raise NumericalFailure(
            f"dt = {dt:g} s exceeds the explicit stability limit {limit:g} s "
            f"(D = {diffusivity:g} m^2/s, dx = {dx:g} m, dy = {dy:g} m, k = {rate:g} 1/s)",
            time=0.0,
        )
    step = _step_function(backend)
    current = np.array(u0, dtype=np.float64, order="C", copy=True)
    if current.ndim != 2 or current.size == 0:
        raise ValueError(f"u0 must be a non-empty 2-D array, got shape {current.shape}")
    following = np.empty_like(current)
    for _ in range(steps):
        step(
            current,
            following,
            dt=dt,
            diffusivity=diffusivity,
            dx=dx,
            dy=dy,
            rate=rate,
            source=source,
            boundary=boundary,
        )
        current, following = following, current
    return current


def _step_function(backend: Backend) -> Callable[..., FloatArray]:
    if backend == "numpy":
        return diffusion_reaction_step_numpy
    if backend == "numba":
        _numba_kernel()  # fail now, with the install hint, rather than inside the loop
        return diffusion_reaction_step_numba
    if backend == "auto":
        return diffusion_reaction_step_numba if numba_available() else diffusion_reaction_step_numpy
    raise ValueError(f"backend must be 'auto', 'numpy' or 'numba', got {backend!r}")


def _is_periodic(boundary: Boundary) -> bool:
    if boundary not in ("dirichlet", "periodic"):
        raise ValueError(f"boundary must be 'dirichlet' or 'periodic', got {boundary!r}")
    return boundary == "periodic"


def _check_parameters(
    *, dt: float, diffusivity: float, dx: float, dy: float, rate: float, source: float
) -> None:
    values = {
        "dt": dt,
        "diffusivity": diffusivity,
        "dx": dx,
        "dy": dy,
        "rate": rate,
        "source": source,
    }
    for name, value in values.items():
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value}")
    if dt < 0.0 or diffusivity < 0.0:
        raise ValueError(f"dt and diffusivity must be >= 0, got {dt} and {diffusivity}")
    if dx <= 0.0 or dy <= 0.0:
        raise ValueError(f"dx and dy must be > 0, got {dx} and {dy}")


def _coefficients(
    u: FloatArray,
    out: FloatArray,
    *,
    dt: float,
    diffusivity: float,
    dx: float,
    dy: float,
    rate: float,
    source: float,
) -> tuple[float, float, float, float]:
    """Check the arrays and parameters; return the step's weights (c0, cx, cy, dt*s)."""
    for name, array in (("u", u), ("out", out)):
        if not isinstance(array, np.ndarray) or array.dtype != np.float64 or array.ndim != 2:
            raise ValueError(f"{name} must be a 2-D float64 numpy array")
    if u.shape != out.shape or u.size == 0:
        raise ValueError(
            f"u and out must have the same non-empty shape, got {u.shape} and {out.shape}"
        )
    if np.may_share_memory(u, out):
        raise ValueError("out must not overlap u (the step reads neighbours it would overwrite)")
    _check_parameters(dt=dt, diffusivity=diffusivity, dx=dx, dy=dy, rate=rate, source=source)
    cx = dt * diffusivity / dx**2
    cy = dt * diffusivity / dy**2
    return 1.0 - dt * rate - 2.0 * cx - 2.0 * cy, cx, cy, dt * source
