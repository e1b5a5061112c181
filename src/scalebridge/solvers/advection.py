"""First-order upwind advection, conservative by construction.

The advective flux density ``v * u_face`` is computed once per face, the face value taken from
the cell the flow comes from, and each cell gains what enters minus what leaves; the operators
return -div(v u) per cell in units of u/s, with velocities in m/s and lengths in metres.
Two-dimensional fields have shape ``(nx, ny)``.  They are re-exported by
:mod:`scalebridge.solvers.finite_volume`.

A velocity component is a number or an array of cell values (the grid's shape): a velocity
that varies in space, such as a wind profile U(y) advecting along x.  A face's velocity is then
the mean of its two cells' (a boundary face takes its cell's), the face is upwinded by its own
sign, and an inflow condition applies only on the boundary faces where the flow enters.  With a
velocity that varies along its own direction the operator is the conservative -d(v u)/dx, not
-v du/dx; the two agree when v does not vary along the direction it advects (U(y) along x).

:func:`advection_matrix_1d` and :func:`advection_matrix_2d` give the same operator as a sparse
matrix and a vector, ``-div(v u) = A u + b``, for implicit and steady solves.

Example
-------
>>> import numpy as np
>>> from scalebridge.solvers.boundaries import periodic
>>> from scalebridge.solvers.grids import Grid1D
>>> advection_1d(np.array([0.0, 1.0, 0.0]), 1.0, Grid1D(3.0, 3), periodic(), periodic()).tolist()
[0.0, -1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse
from numpy.typing import NDArray

from scalebridge.solvers._faces import FloatArray, field_values, side_values, sides_in_order
from scalebridge.solvers.boundaries import BoundaryCondition, check_periodic_pair
from scalebridge.solvers.grids import Grid1D, Grid2D

__all__ = [
    "Velocity",
    "advection_1d",
    "advection_2d",
    "advection_boundary_fluxes_1d",
    "advection_boundary_fluxes_2d",
    "advection_matrix_1d",
    "advection_matrix_2d",
]

#: A velocity component (m/s): a number, or one value per cell (an array of the grid's shape).
Velocity = float | FloatArray


def _cell_velocity(velocity: Velocity, shape: tuple[int, ...]) -> FloatArray:
    """``velocity`` as cell values of ``shape``, checked finite."""
    if np.shape(velocity) not in ((), shape):
        raise ValueError(f"a velocity must be a number or an array of shape {shape}, got "
                         f"{np.shape(velocity)}")
    values = np.broadcast_to(np.asarray(velocity, dtype=np.float64), shape)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"the velocity must be finite, got {velocity!r}")
    return values


def _face_velocities(v: FloatArray, periodic: bool) -> FloatArray:
    """Velocities on the faces along axis 0, shape ``(n + 1, ...)``: the mean of the two cells
    an interior face joins, the cell's own at a boundary face (the mean of the last and first
    cells at both ends of a periodic axis)."""
    faces = np.empty((v.shape[0] + 1, *v.shape[1:]))
    faces[1:-1] = 0.5 * (v[:-1] + v[1:])
    if periodic:
        faces[0] = faces[-1] = 0.5 * (v[-1] + v[0])
    else:
        faces[0], faces[-1] = v[0], v[-1]
    return faces


def _inflow(bc: BoundaryCondition, speed: FloatArray, entering: NDArray[np.bool_], side: str,
            shape: tuple[int, ...]) -> FloatArray:
    """Advective flux density into the domain through the boundary faces of a side where the
    flow enters (``entering``; zero elsewhere), units of v*u; ``speed`` is |v| on the faces."""
    if not np.any(entering):
        return np.zeros(shape)
    if bc.kind == "dirichlet":
        return np.where(entering, speed * side_values(bc, "value", shape, side), 0.0)
    if bc.kind == "neumann":
        return np.where(entering, side_values(bc, "flux", shape, side), 0.0)
    raise ValueError(
        f"the {side} face is an inflow face for advection and needs a dirichlet (inflow value) "
        f"or neumann (inflow flux) condition, not {bc.kind}"
    )


def _advective_fluxes(
    u: FloatArray,
    velocity: Velocity,
    low: BoundaryCondition,
    high: BoundaryCondition,
    names: tuple[str, str],
) -> FloatArray:
    """Advective flux density ``v * u_face`` along +axis at every face of axis 0."""
    v = _cell_velocity(velocity, u.shape)
    periodic = check_periodic_pair(low, high, names)
    vf = _face_velocities(v, periodic)
    flux = np.empty((u.shape[0] + 1, *u.shape[1:]))
    # Upwind: the face carries the value of the cell the flow comes from.
    flux[1:-1] = np.where(vf[1:-1] >= 0.0, vf[1:-1] * u[:-1], vf[1:-1] * u[1:])
    if periodic:
        if np.any(np.asarray(low.value) != np.asarray(high.value)):
            raise ValueError("advection needs a plainly periodic pair: the "
                             f"{names[0]} and {names[1]} levels differ")
        flux[0] = flux[-1] = np.where(vf[0] >= 0.0, vf[0] * u[-1], vf[0] * u[0])
        return flux
    side_shape = u.shape[1:]
    # The low face: inflow where v > 0, the cell's value carried out where v < 0.
    flux[0] = np.where(vf[0] < 0.0, vf[0] * u[0],
                       _inflow(low, np.abs(vf[0]), vf[0] > 0.0, names[0], side_shape))
    # The high face: the cell's value carried out where v > 0, inflow (along -axis) where v < 0.
    flux[-1] = np.where(vf[-1] > 0.0, vf[-1] * u[-1],
                        -_inflow(high, np.abs(vf[-1]), vf[-1] < 0.0, names[1], side_shape))
    return flux


def advection_1d(
    u: FloatArray,
    velocity: Velocity,
    grid: Grid1D,
    left: BoundaryCondition,
    right: BoundaryCondition,
) -> FloatArray:
    """-d(v u)/dx per cell by first-order upwinding, shape ``(n,)``, units of u/s.

    ``velocity`` is in m/s, a number or one value per cell, and may be negative.  On an inflow
    face a dirichlet condition gives the inflow value and a neumann condition the inflow flux
    density (units of v*u); a robin condition is refused there.  An outflow face carries the
    cell value out whatever its condition, since a hyperbolic problem takes no condition at an
    outflow.

    Example
    -------
    >>> import numpy as np
    >>> from scalebridge.solvers.boundaries import dirichlet
    >>> grid = Grid1D(1.0, 2)
    >>> advection_1d(np.array([1.0, 3.0]), 2.0, grid, dirichlet(0.0), dirichlet(0.0)).tolist()
    [-4.0, -8.0]
    """
    field = field_values(u, (grid.cells,))
    flux = _advective_fluxes(field, velocity, left, right, ("left", "right"))
    return (flux[:-1] - flux[1:]) / grid.dx


def advection_boundary_fluxes_1d(
    u: FloatArray,
    velocity: Velocity,
    grid: Grid1D,
    left: BoundaryCondition,
    right: BoundaryCondition,
) -> tuple[float, float]:
    """Advective flux densities *into* the domain at the left and right faces (v*u).

    Example
    -------
    >>> import numpy as np
    >>> from scalebridge.solvers.boundaries import dirichlet
    >>> grid = Grid1D(1.0, 2)
    >>> advection_boundary_fluxes_1d(np.ones(2), 2.0, grid, dirichlet(5.0), dirichlet(0.0))
    (10.0, -2.0)
    """
    field = field_values(u, (grid.cells,))
    flux = _advective_fluxes(field, velocity, left, right, ("left", "right"))
    return float(flux[0]), float(-flux[-1])


def _advective_fluxes_2d(
    u: FloatArray,
    vx: Velocity,
    vy: Velocity,
    grid: Grid2D,
    boundaries: Mapping[str, BoundaryCondition],
) -> tuple[FloatArray, FloatArray]:
    left, right, bottom, top = sides_in_order(boundaries)
    field = field_values(u, grid.shape)
    fx = _advective_fluxes(field, vx, left, right, ("left", "right"))
    vy_cells = _cell_velocity(vy, grid.shape)
    fy = _advective_fluxes(field.T, vy_cells.T, bottom, top, ("bottom", "top")).T
    return fx, fy


def advection_2d(
    u: FloatArray,
    vx: Velocity,
    vy: Velocity,
    grid: Grid2D,
    boundaries: Mapping[str, BoundaryCondition],
) -> FloatArray:
    """-div(v u) per cell by first-order upwinding, shape ``(nx, ny)``, units of u/s.

    ``vx`` and ``vy`` are velocity components in m/s, each a number or an ``(nx, ny)`` array
    of cell values; the boundary rules are those of :func:`advection_1d`, face by face.

    Example
    -------
    >>> import numpy as np
    >>> from scalebridge.solvers.boundaries import periodic
    >>> sides = {side: periodic() for side in ("left", "right", "bottom", "top")}
    >>> u = np.arange(6.0).reshape(3, 2)
    >>> float(advection_2d(u, 1.0, -2.0, Grid2D(1.0, 1.0, 3, 2), sides).sum())
    0.0
    """
    fx, fy = _advective_fluxes_2d(u, vx, vy, grid, boundaries)
    result: FloatArray = (fx[:-1] - fx[1:]) / grid.dx + (fy[:, :-1] - fy[:, 1:]) / grid.dy
    return result


def advection_boundary_fluxes_2d(
    u: FloatArray,
    vx: Velocity,
    vy: Velocity,
    grid: Grid2D,
    boundaries: Mapping[str, BoundaryCondition],
) -> dict[str, float]:
    """Total advective flux into the domain through each side, per unit depth (v*u*m).

    Example
    -------
    >>> import numpy as np
    >>> from scalebridge.solvers.boundaries import dirichlet, neumann
    >>> sides = {"left": dirichlet(1.0), "right": neumann(0.0),
    ...          "bottom": neumann(0.0), "top": neumann(0.0)}
    >>> fluxes = advection_boundary_fluxes_2d(np.zeros((2, 2)), 3.0, 0.0,
    ...                                       Grid2D(1.0, 2.0, 2, 2), sides)
    >>> fluxes["left"], fluxes["right"]
    (6.0, -0.0)
    """
    fx, fy = _advective_fluxes_2d(u, vx, vy, grid, boundaries)
    return {
        "left": float(np.sum(fx[0]) * grid.dy),
        "right": float(-np.sum(fx[-1]) * grid.dy),
        "bottom": float(np.sum(fy[:, 0]) * grid.dx),
        "top": float(-np.sum(fy[:, -1]) * grid.dx),
    }


# --------------------------------------------------------------------------------------------
# The same operators as matrices: -div(v u) = A u + b.
# --------------------------------------------------------------------------------------------


def _axis_entries(  # noqa: PLR0917 - the cells, their velocity and width, the two sides
    cells: NDArray[np.intp], velocity: FloatArray, spacing: float, low: BoundaryCondition,
    high: BoundaryCondition, names: tuple[str, str],
) -> tuple[list[tuple[NDArray[np.intp], NDArray[np.intp], FloatArray]], FloatArray]:
    """COO triplets of A and the vector b (the axis first, like ``cells``) along axis 0.

    Each face moves ``v_f u_up`` from its low cell to its high cell: the low cell's rate loses
    ``v_f u_up / h`` and the high cell's gains it, with ``u_up`` the low cell's value where
    v_f >= 0 and the high cell's where v_f < 0.  An inflow face's flux is known (b)."""
    periodic = check_periodic_pair(low, high, names)
    vf = _face_velocities(velocity, periodic)
    entries: list[tuple[NDArray[np.intp], NDArray[np.intp], FloatArray]] = []

    def face(a: NDArray[np.intp], c: NDArray[np.intp], v: FloatArray) -> None:
        """A face from cell a (its low side) to cell c, with velocity v along +axis."""
        up = np.where(v >= 0.0, a, c)
        g = v / spacing
        entries.append((a, up, -g))  # what leaves a
        entries.append((c, up, g))  # arrives in c

    face(cells[:-1], cells[1:], vf[1:-1])
    b = np.zeros(cells.shape)
    if periodic:
        if np.any(np.asarray(low.value) != np.asarray(high.value)):
            raise ValueError("advection needs a plainly periodic pair: the "
                             f"{names[0]} and {names[1]} levels differ")
        face(cells[-1], cells[0], vf[0])
        return entries, b
    side_shape = cells.shape[1:]
    out_low, out_high = vf[0] < 0.0, vf[-1] > 0.0
    # Outflow: the low face carries v u[0] along +axis into cell 0 (v < 0: out of it); the high
    # face carries v u[-1] out of the last cell.
    entries.append((cells[0], cells[0], np.where(out_low, vf[0], 0.0) / spacing))
    entries.append((cells[-1], cells[-1], -np.where(out_high, vf[-1], 0.0) / spacing))
    b[0] += _inflow(low, np.abs(vf[0]), vf[0] > 0.0, names[0], side_shape) / spacing
    b[-1] += _inflow(high, np.abs(vf[-1]), vf[-1] < 0.0, names[1], side_shape) / spacing
    return entries, b


def _csr(entries: list[tuple[NDArray[np.intp], NDArray[np.intp], FloatArray]], n: int
         ) -> scipy.sparse.csr_matrix:
    rows = np.concatenate([np.ravel(r) for r, _c, _g in entries])
    cols = np.concatenate([np.ravel(c) for _r, c, _g in entries])
    data = np.concatenate([np.ravel(np.broadcast_to(g, np.shape(r))) for r, _c, g in entries])
    return scipy.sparse.csr_matrix(scipy.sparse.coo_matrix((data, (rows, cols)), shape=(n, n)))


def advection_matrix_1d(
    velocity: Velocity, grid: Grid1D, left: BoundaryCondition, right: BoundaryCondition
) -> tuple[scipy.sparse.csr_matrix, FloatArray]:
    """``(A, b)``, CSR, with ``advection_1d(u) == A @ u + b`` (A in 1/s, b in u/s).

    Example
    -------
    >>> from scalebridge.solvers.boundaries import dirichlet
    >>> A, b = advection_matrix_1d(2.0, Grid1D(1.0, 2), dirichlet(3.0), dirichlet(0.0))
    >>> A.toarray().tolist(), b.tolist()
    ([[-4.0, 0.0], [4.0, -4.0]], [12.0, 0.0])
    """
    n = grid.cells
    v = _cell_velocity(velocity, (n,))
    entries, b = _axis_entries(np.arange(n), v, grid.dx, left, right, ("left", "right"))
    return _csr(entries, n), b


def advection_matrix_2d(
    vx: Velocity, vy: Velocity, grid: Grid2D, boundaries: Mapping[str, BoundaryCondition]
) -> tuple[scipy.sparse.csr_matrix, FloatArray]:
    """``(A, b)``, CSR of size nx*ny, with ``advection_2d(u).ravel() == A @ u.ravel() + b``.

    Flat index ``p = i * ny + j`` (C order of an ``(nx, ny)`` array), as for
    :func:`~scalebridge.solvers.finite_volume.diffusion_matrix_2d`.

    Example
    -------
    >>> from scalebridge.solvers.boundaries import dirichlet, neumann
    >>> sides = {"left": dirichlet(1.0), "right": neumann(0.0),
    ...          "bottom": neumann(0.0), "top": neumann(0.0)}
    >>> A, b = advection_matrix_2d(1.0, 0.0, Grid2D(2.0, 1.0, 2, 1), sides)
    >>> A.toarray().tolist(), b.tolist()
    ([[-1.0, 0.0], [1.0, -1.0]], [1.0, 0.0])
    """
    left, right, bottom, top = sides_in_order(boundaries)
    nx, ny = grid.shape
    index = np.arange(nx * ny).reshape(nx, ny)
    x_entries, bx = _axis_entries(index, _cell_velocity(vx, grid.shape), grid.dx, left, right,
                                  ("left", "right"))
    y_entries, by = _axis_entries(index.T, _cell_velocity(vy, grid.shape).T, grid.dy, bottom,
                                  top, ("bottom", "top"))
    return _csr(x_entries + y_entries, nx * ny), (bx + by.T).ravel()
