"""Conservative cell-centred finite-volume operators: diffusion and upwind advection.

Every operator first computes one flux per face and then takes differences of face fluxes, so
whatever leaves a cell through an interior face enters its neighbour: the sum of ``rate * volume``
over the cells equals the flux through the domain's boundary to round-off, by construction.

Units: with a field u, a conductivity k (units of flux density per gradient, e.g. W/(m K)) and
lengths in metres, :func:`diffusion_1d` and :func:`diffusion_2d` return div(k grad u) per cell in
units of k*u/m^2 (W/m^3 for heat); the advection operators return -div(v u) in units of u/s.
Face conductivities are harmonic means of the two cell values, which keeps the flux continuous
across a jump in material.  Two-dimensional fields have shape ``(nx, ny)``; their matrices act
on ``u.ravel()`` (C order: flat index ``i * ny + j``).  The diffusion operators are defined here;
the upwind advection operators come from :mod:`scalebridge.solvers.advection` and are
re-exported.

Example
-------
>>> import numpy as np
>>> from scalebridge.solvers.boundaries import dirichlet
>>> from scalebridge.solvers.grids import Grid1D
>>> grid = Grid1D(1.0, 4)
>>> u = grid.centres ** 2  # u'' = 2, exact in the interior cells
>>> np.round(diffusion_1d(u, 1.0, grid, dirichlet(0.0), dirichlet(1.0)), 12).tolist()
[1.5, 2.0, 2.0, 1.5]

The boundary cells see a one-sided gradient over half a cell, a local error of O(1) that
still gives a second-order solution (the error is O(dx^2) everywhere once solved).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import scipy.sparse
from numpy.typing import ArrayLike, NDArray

from scalebridge.solvers._faces import (
    SIDES,
    AxisFaces,
    Conductivity,
    FloatArray,
    VaryingConductivity,
    axis_faces,
    boundary_face_value,
    cell_values,
    field_values,
    gradient_fluxes,
    inflows,
    sides_in_order,
)

# The advection operators live in their own module; they are re-exported so that generated code
# finds every finite-volume operator here.
from scalebridge.solvers.advection import (
    advection_1d,
    advection_2d,
    advection_boundary_fluxes_1d,
    advection_boundary_fluxes_2d,
    advection_matrix_1d,
    advection_matrix_2d,
)
from scalebridge.solvers.boundaries import BoundaryCondition
from scalebridge.solvers.grids import Grid1D, Grid2D

__all__ = [
    "SIDES",
    "Conductivity",
    "VaryingConductivity",
    "advection_1d",
    "advection_2d",
    "advection_boundary_fluxes_1d",
    "advection_boundary_fluxes_2d",
    "advection_matrix_1d",
    "advection_matrix_2d",
    "boundary_fluxes_1d",
    "boundary_fluxes_2d",
    "diffusion_1d",
    "diffusion_2d",
    "diffusion_matrix_1d",
    "diffusion_matrix_1d_sparse",
    "diffusion_matrix_2d",
    "diffusive_fluxes_1d",
    "diffusive_fluxes_2d",
    "half_cell_resistances",
    "side_value",
    "stencil_sparsity",
]


# --------------------------------------------------------------------------------------------
# Diffusion in 1-D.
# --------------------------------------------------------------------------------------------


def _faces_1d(
    k: Conductivity, grid: Grid1D, left: BoundaryCondition, right: BoundaryCondition
) -> AxisFaces:
    halves = _halves(k, (grid.cells,), 0)
    return axis_faces(cell_values(k, (grid.cells,)), grid.dx, left, right, ("left", "right"),
                      halves)


def half_cell_resistances(
    antiderivative: Callable[..., ArrayLike], coordinates: Sequence[FloatArray],
    spacing: float, axis: int,
) -> tuple[FloatArray, FloatArray]:
    """The resistances of the two halves of every cell along ``axis`` (m / k), from an
    antiderivative F of 1/k along that axis: F(centre) - F(low face) and F(high face) -
    F(centre), with ``coordinates`` the cell centres (one array per axis, the grid's shape)
    passed to F as arguments, in order, and ``spacing`` the cell size along ``axis`` (m).

    Example
    -------
    >>> import numpy as np
    >>> low, high = half_cell_resistances(lambda y: np.log(y), (np.array([1.5]),), 1.0, 0)
    >>> round(float(low[0]), 6), round(float(high[0]), 6)   # ln(1.5/1), ln(2/1.5): k = y
    (0.405465, 0.287682)
    """
    shape = np.shape(coordinates[0])

    def at(shift: float) -> FloatArray:
        moved = [c + shift if i == axis else c for i, c in enumerate(coordinates)]
        return np.broadcast_to(np.asarray(antiderivative(*moved), dtype=np.float64), shape)

    centre = at(0.0)
    return centre - at(-0.5 * spacing), at(0.5 * spacing) - centre


def _halves(k: Conductivity, shape: tuple[int, ...], axis: int
            ) -> tuple[FloatArray, FloatArray] | None:
    """The half-cell resistances of a varying conductivity along ``axis``, that axis first;
    None for a conductivity given by cell values."""
    if not isinstance(k, VaryingConductivity):
        return None
    if np.shape(k.cells) != shape:
        raise ValueError(f"k must have the grid's shape {shape}, got {np.shape(k.cells)}")
    low, high = k.halves[axis]
    return np.moveaxis(np.asarray(low, dtype=np.float64), axis, 0), np.moveaxis(
        np.asarray(high, dtype=np.float64), axis, 0)


def diffusion_1d(
    u: FloatArray,
    k: Conductivity,
    grid: Grid1D,
    left: BoundaryCondition,
    right: BoundaryCondition,
) -> FloatArray:
    """div(k grad u) per cell, shape ``(n,)``, in units of k*u/m^2.

    ``k`` is a float or an array of cell values of shape ``(n,)``; face values are harmonic
    means.  ``left`` is the face at x = 0 and ``right`` the face at x = L.

    Example
    -------
    >>> import numpy as np
    >>> from scalebridge.solvers.boundaries import neumann
    >>> grid = Grid1D(1.0, 2)
    >>> diffusion_1d(np.zeros(2), 2.0, grid, neumann(1.0), neumann(0.0)).tolist()
    [2.0, 0.0]
    """
    field = field_values(u, (grid.cells,))
    q = gradient_fluxes(field, _faces_1d(k, grid, left, right))
    return (q[1:] - q[:-1]) / grid.dx


def boundary_fluxes_1d(
    u: FloatArray,
    k: Conductivity,
    grid: Grid1D,
    left: BoundaryCondition,
    right: BoundaryCondition,
) -> tuple[float, float]:
    """Diffusive flux densities *into* the domain at the left and right faces (k*u/m).

    For pure diffusion ``d/dt sum(u * dx) == left_in + right_in`` to round-off.

    Example
    -------
    >>> import numpy as np
    >>> from scalebridge.solvers.boundaries import dirichlet
    >>> grid = Grid1D(1.0, 2)
    >>> boundary_fluxes_1d(np.zeros(2), 1.0, grid, dirichlet(1.0), dirichlet(0.0))
    (4.0, 0.0)
    """
    field = field_values(u, (grid.cells,))
    low, high = inflows(gradient_fluxes(field, _faces_1d(k, grid, left, right)))
    return float(low), float(high)


def _cell_centred(q: FloatArray) -> FloatArray:
    """The flux -k du/dn at cell centres from the face values ``q`` (k du/dn, axis 0): each
    cell's the mean of its two faces, so that the cells' mean is the faces' mean with the two
    boundary faces counted half (the mean flux through the domain, exactly)."""
    result: FloatArray = -0.5 * (q[1:] + q[:-1])
    return result


def diffusive_fluxes_1d(
    u: FloatArray,
    k: Conductivity,
    grid: Grid1D,
    left: BoundaryCondition,
    right: BoundaryCondition,
) -> FloatArray:
    """The diffusive flux -k du/dx at the cell centres, shape ``(n,)``, in units of k*u/m.

    Each value is the mean of the cell's two face fluxes (harmonic face conductivities, the
    boundary faces from the conditions), so a uniform flux is reproduced exactly across a
    jump in k, and ``mean(flux) * L`` is the flow through the bar.

    Example
    -------
    >>> import numpy as np
    >>> from scalebridge.solvers.boundaries import dirichlet
    >>> grid = Grid1D(1.0, 2)   # two layers in series, k = 1 and 3, ends at 1 and 0
    >>> u = np.array([0.625, 0.125])
    >>> diffusive_fluxes_1d(u, np.array([1.0, 3.0]), grid, dirichlet(1.0), dirichlet(0.0)).tolist()
    [1.5, 1.5]
    """
    field = field_values(u, (grid.cells,))
    return _cell_centred(gradient_fluxes(field, _faces_1d(k, grid, left, right)))


def diffusion_matrix_1d(
    k: Conductivity, grid: Grid1D, left: BoundaryCondition, right: BoundaryCondition
) -> tuple[FloatArray, FloatArray]:
    """``(ab, b)`` with ``diffusion_1d(u) == A @ u + b``; ``ab`` is A in banded form (3, n).

    The layout is that of :func:`scipy.linalg.solve_banded` with ``(l, u) = (1, 1)``: row 0 the
    super-diagonal (``ab[0, 0]`` unused, zero), row 1 the diagonal, row 2 the sub-diagonal
    (``ab[2, -1]`` unused, zero).  Units: A in k/m^2, b in k*u/m^2.  Periodic boundaries couple
    the first and last cells, which is not tridiagonal: use :func:`diffusion_matrix_1d_sparse`.

    Example
    -------
    >>> from scalebridge.solvers.boundaries import dirichlet
    >>> ab, b = diffusion_matrix_1d(1.0, Grid1D(1.0, 2), dirichlet(0.0), dirichlet(1.0))
    >>> ab.tolist(), b.tolist()
    ([[0.0, 4.0], [-12.0, -12.0], [4.0, 0.0]], [0.0, 8.0])
    """
    faces = _faces_1d(k, grid, left, right)
    if faces.wrap is not None:
        raise ValueError(
            "periodic boundaries make the matrix cyclic, not tridiagonal; "
            "use diffusion_matrix_1d_sparse"
        )
    return _banded(faces, grid.cells, grid.dx)


def _banded(faces: AxisFaces, n: int, dx: float) -> tuple[FloatArray, FloatArray]:
    g = faces.interior / dx
    ab = np.zeros((3, n))
    ab[0, 1:] = g  # A[i, i + 1]
    ab[2, :-1] = g  # A[i + 1, i]
    ab[1, :-1] -= g
    ab[1, 1:] -= g
    ab[1, 0] += faces.low_slope / dx
    ab[1, -1] += faces.high_slope / dx
    b = np.zeros(n)
    b[0] += faces.low_offset / dx
    b[-1] += faces.high_offset / dx
    return ab, b


def diffusion_matrix_1d_sparse(
    k: Conductivity, grid: Grid1D, left: BoundaryCondition, right: BoundaryCondition
) -> tuple[scipy.sparse.csr_matrix, FloatArray]:
    """``(A, b)`` as a CSR matrix with ``diffusion_1d(u) == A @ u + b``, every boundary kind.

    Example
    -------
    >>> from scalebridge.solvers.boundaries import periodic
    >>> A, b = diffusion_matrix_1d_sparse(1.0, Grid1D(1.0, 3), periodic(), periodic())
    >>> A.toarray().tolist()
    [[-18.0, 9.0, 9.0], [9.0, -18.0, 9.0], [9.0, 9.0, -18.0]]
    """
    n = grid.cells
    faces = _faces_1d(k, grid, left, right)
    index = np.arange(n)
    entries = _Triplets()
    entries.couple(index[:-1], index[1:], faces.interior / grid.dx)
    if faces.wrap is not None:
        entries.couple(index[-1:], index[:1], faces.wrap / grid.dx)
    entries.diagonal(index[:1], faces.low_slope / grid.dx)
    entries.diagonal(index[-1:], faces.high_slope / grid.dx)
    b = np.zeros(n)
    b[0] += faces.low_offset / grid.dx
    b[-1] += faces.high_offset / grid.dx
    if faces.wrap is not None:  # the first cell seen across the wrap face stands at u + jump
        b[0] -= faces.wrap * faces.jump / grid.dx
        b[-1] += faces.wrap * faces.jump / grid.dx
    return entries.csr(n), b


class _Triplets:
    """COO entries of a matrix being assembled face by face."""

    def __init__(self) -> None:
        self.rows: list[NDArray[np.intp]] = []
        self.cols: list[NDArray[np.intp]] = []
        self.data: list[FloatArray] = []

    def couple(self, a: NDArray[np.intp], c: NDArray[np.intp], g: FloatArray) -> None:
        """The face between cells a and c, with conductance over cell size g (k/m^2)."""
        a, c, g = a.ravel(), c.ravel(), np.ravel(g)
        self.rows += [a, a, c, c]
        self.cols += [a, c, c, a]
        self.data += [-g, g, -g, g]

    def diagonal(self, cells: NDArray[np.intp], values: FloatArray) -> None:
        self.rows.append(cells.ravel())
        self.cols.append(cells.ravel())
        self.data.append(np.ravel(values))

    def csr(self, n: int) -> scipy.sparse.csr_matrix:
        # COO sums duplicate entries, which is what two faces between the same pair of cells
        # need (a periodic direction with two cells).
        matrix = scipy.sparse.coo_matrix(
            (np.concatenate(self.data), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(n, n),
        )
        return scipy.sparse.csr_matrix(matrix)


# --------------------------------------------------------------------------------------------
# Diffusion in 2-D.
# --------------------------------------------------------------------------------------------


def _faces_2d(
    k: Conductivity, grid: Grid2D, boundaries: Mapping[str, BoundaryCondition]
) -> tuple[AxisFaces, AxisFaces]:
    left, right, bottom, top = sides_in_order(boundaries)
    k_cells = cell_values(k, grid.shape)
    x_faces = axis_faces(k_cells, grid.dx, left, right, ("left", "right"),
                         _halves(k, grid.shape, 0))
    # Along y the axis of interest is moved to the front: arrays are (ny, nx) there.
    y_faces = axis_faces(k_cells.T, grid.dy, bottom, top, ("bottom", "top"),
                         _halves(k, grid.shape, 1))
    return x_faces, y_faces


def diffusion_2d(
    u: FloatArray,
    k: Conductivity,
    grid: Grid2D,
    boundaries: Mapping[str, BoundaryCondition],
) -> FloatArray:
    """div(k grad u) per cell, shape ``(nx, ny)``, in units of k*u/m^2.

    ``boundaries`` maps "left" (x = 0), "right" (x = W), "bottom" (y = 0) and "top" (y = H)
    to conditions, whose numbers may be profiles along the side (shape ``(ny,)`` on left and
    right, ``(nx,)`` on bottom and top); ``k`` is a float or an ``(nx, ny)`` array.

    Example
    -------
    >>> from scalebridge.solvers.boundaries import dirichlet, neumann
    >>> grid = Grid2D(1.0, 1.0, 3, 2)
    >>> X, _ = grid.mesh()
    >>> sides = {"left": dirichlet(0.0), "right": dirichlet(1.0),
    ...          "bottom": neumann(0.0), "top": neumann(0.0)}
    >>> bool(abs(diffusion_2d(X, 1.0, grid, sides)).max() < 1e-12)
    True
    """
    field = field_values(u, grid.shape)
    x_faces, y_faces = _faces_2d(k, grid, boundaries)
    qx = gradient_fluxes(field, x_faces)
    qy = gradient_fluxes(field.T, y_faces).T
    result: FloatArray = (qx[1:] - qx[:-1]) / grid.dx + (qy[:, 1:] - qy[:, :-1]) / grid.dy
    return result


def boundary_fluxes_2d(
    u: FloatArray,
    k: Conductivity,
    grid: Grid2D,
    boundaries: Mapping[str, BoundaryCondition],
) -> dict[str, float]:
    """Total diffusive flux into the domain through each side, per unit depth (k*u).

    ``d/dt sum(u * cell_area)`` equals the sum of the four values for pure diffusion.

    Example
    -------
    >>> import numpy as np
    >>> from scalebridge.solvers.boundaries import neumann
    >>> sides = {side: neumann(2.0) for side in SIDES}
    >>> boundary_fluxes_2d(np.zeros((2, 2)), 1.0, Grid2D(3.0, 1.0, 2, 2), sides)
    {'left': 2.0, 'right': 2.0, 'bottom': 6.0, 'top': 6.0}
    """
    field = field_values(u, grid.shape)
    x_faces, y_faces = _faces_2d(k, grid, boundaries)
    left, right = inflows(gradient_fluxes(field, x_faces))
    bottom, top = inflows(gradient_fluxes(field.T, y_faces))
    return {
        "left": float(np.sum(left) * grid.dy),
        "right": float(np.sum(right) * grid.dy),
        "bottom": float(np.sum(bottom) * grid.dx),
        "top": float(np.sum(top) * grid.dx),
    }


def diffusive_fluxes_2d(
    u: FloatArray,
    k: Conductivity,
    grid: Grid2D,
    boundaries: Mapping[str, BoundaryCondition],
) -> tuple[FloatArray, FloatArray]:
    """The diffusive flux components (-k du/dx, -k du/dy) at the cell centres, each of shape
    ``(nx, ny)``, in units of k*u/m: each cell's the mean of its two faces along the axis.

    On a periodic cell under a mean gradient G (a level on the periodic sides) the mean of
    the x component is the effective conductivity times -G.

    Example
    -------
    >>> from scalebridge.solvers.boundaries import dirichlet, neumann
    >>> grid = Grid2D(2.0, 1.0, 4, 2)
    >>> X, _ = grid.mesh()
    >>> sides = {"left": dirichlet(0.0), "right": dirichlet(4.0),
    ...          "bottom": neumann(0.0), "top": neumann(0.0)}
    >>> qx, qy = diffusive_fluxes_2d(2 * X, 3.0, grid, sides)
    >>> bool(abs(qx + 6.0).max() < 1e-12 and abs(qy).max() < 1e-12)
    True
    """
    field = field_values(u, grid.shape)
    x_faces, y_faces = _faces_2d(k, grid, boundaries)
    qx = _cell_centred(gradient_fluxes(field, x_faces))
    qy = _cell_centred(gradient_fluxes(field.T, y_faces)).T
    return qx, qy


def diffusion_matrix_2d(
    k: Conductivity, grid: Grid2D, boundaries: Mapping[str, BoundaryCondition]
) -> tuple[scipy.sparse.csr_matrix, FloatArray]:
    """``(A, b)``, CSR of size nx*ny, with ``diffusion_2d(u).ravel() == A @ u.ravel() + b``.

    Flat index ``p = i * ny + j`` (C order of an ``(nx, ny)`` array).  Units: A in k/m^2, b in
    k*u/m^2.

    Example
    -------
    >>> from scalebridge.solvers.boundaries import neumann
    >>> sides = {side: neumann(0.0) for side in SIDES}
    >>> A, b = diffusion_matrix_2d(1.0, Grid2D(1.0, 1.0, 2, 2), sides)
    >>> A.shape, A.toarray().sum(axis=1).tolist(), b.tolist()
    ((4, 4), [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0])
    """
    x_faces, y_faces = _faces_2d(k, grid, boundaries)
    nx, ny = grid.shape
    index = np.arange(nx * ny).reshape(nx, ny)
    entries = _Triplets()
    b = np.zeros((nx, ny))
    for faces, cells, spacing in ((x_faces, index, grid.dx), (y_faces, index.T, grid.dy)):
        entries.couple(cells[:-1], cells[1:], faces.interior / spacing)
        # b is viewed with the axis of interest first, like ``cells``.
        view = b if cells is index else b.T
        if faces.wrap is not None:
            entries.couple(cells[-1], cells[0], faces.wrap / spacing)
            # the first cell seen across the wrap face stands at u + jump
            view[0] -= faces.wrap * faces.jump / spacing
            view[-1] += faces.wrap * faces.jump / spacing
            continue
        entries.diagonal(cells[0], faces.low_slope / spacing)
        entries.diagonal(cells[-1], faces.high_slope / spacing)
        view[0] += faces.low_offset / spacing
        view[-1] += faces.high_offset / spacing
    return entries.csr(nx * ny), b.ravel()


# --------------------------------------------------------------------------------------------
# The coupling pattern of the operators above.
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Values on a side.
# --------------------------------------------------------------------------------------------


def side_value(
    u: FloatArray,
    k: Conductivity,
    grid: Grid1D | Grid2D,
    boundaries: Mapping[str, BoundaryCondition],
    side: str,
) -> float:
    """The value of the field ``u`` on the boundary faces of ``side`` (units of u): what a
    port on that side presents, such as a surface temperature.

    At a Dirichlet side it is the imposed value; at a Neumann or Robin side the value of the
    cell next to the face plus the flux density into the domain times the half cell's
    resistance ``(dx/2) / k`` (the same reconstruction the diffusion operators use, so the
    value is second-order accurate); at a periodic side the mean of the two cells the face
    joins (the high side's level minus the low side's added across it).  On a rectangle the
    side's faces are of equal size and the value is their mean.  ``boundaries`` maps the
    sides (``left``, ``right`` on an interval; also ``bottom``, ``top`` on a rectangle) to
    their conditions; ``k`` is a float or cell values.

    Example
    -------
    >>> import numpy as np
    >>> from scalebridge.solvers.boundaries import dirichlet, neumann
    >>> grid = Grid1D(1.0, 4)   # k = 2, 1 W/m^2 in at x = 0, held at 0 at x = 1
    >>> u = np.array([0.4375, 0.3125, 0.1875, 0.0625])   # the exact line (1 - x) / 2
    >>> bcs = {"left": neumann(1.0), "right": dirichlet(0.0)}
    >>> side_value(u, 2.0, grid, bcs, "left"), side_value(u, 2.0, grid, bcs, "right")
    (0.5, 0.0)
    """
    if isinstance(grid, Grid2D):
        field = field_values(u, grid.shape)
        k_cells = cell_values(k, grid.shape)
        axis = 0 if side in ("left", "right") else 1
        spacing = grid.dx if axis == 0 else grid.dy
        names = ("left", "right") if axis == 0 else ("bottom", "top")
        field, k_cells = np.moveaxis(field, axis, 0), np.moveaxis(k_cells, axis, 0)
    else:
        field = field_values(u, (grid.cells,))
        k_cells = cell_values(k, (grid.cells,))
        spacing, names = grid.dx, ("left", "right")
    if side not in names:
        raise ValueError(f"no side {side!r} on this grid; it has {names}")
    low = side == names[0]
    bc = boundaries[side]
    if bc.kind == "periodic":
        low_bc, high_bc = boundaries[names[0]], boundaries[names[1]]
        shape = np.shape(field[0])
        jump = (np.asarray(high_bc.value, dtype=np.float64)
                - np.asarray(low_bc.value, dtype=np.float64))
        jump = np.broadcast_to(jump, shape)
        values = 0.5 * (field[0] + field[-1] + (-jump if low else jump))
    else:
        cell = 0 if low else -1
        values = boundary_face_value(bc, field[cell], k_cells[cell], 0.5 * spacing, side)
    return float(np.mean(values))


def stencil_sparsity(
    shape: tuple[int, ...], periodic: tuple[bool, ...] | None = None
) -> scipy.sparse.csr_array:
    """Which cells each cell's rate depends on, for the operators of this module: itself and
    its face neighbours (3 in 1-D, 5 in 2-D; a periodic axis joins its two ends).

    The pattern of the Jacobian of any right-hand side built from diffusion, upwind advection
    and pointwise terms on a grid of ``shape`` cells, in the row-major order of ``u.ravel()``;
    a stiff integrator differencing the Jacobian needs only a few evaluations with it.

    Example
    -------
    >>> stencil_sparsity((4,), (True,)).toarray().astype(int).tolist()[0]
    [1, 1, 0, 1]
    """
    wraps = periodic or (False,) * len(shape)
    if len(wraps) != len(shape) or len(shape) not in (1, 2):
        raise ValueError(f"a 1-D or 2-D grid with one periodic flag per axis, got {shape}")
    index = np.arange(int(np.prod(shape))).reshape(shape)
    rows, cols = [index.ravel()], [index.ravel()]
    for axis, wrap in enumerate(wraps):
        for step in (1, -1):
            neighbour = np.roll(index, -step, axis=axis)
            keep = np.ones(shape, dtype=bool)
            if not wrap:  # the roll wrapped the last row round to the first: not a face
                edge = [slice(None)] * len(shape)
                edge[axis] = slice(-1, None) if step == 1 else slice(0, 1)
                keep[tuple(edge)] = False
            rows.append(index[keep])
            cols.append(neighbour[keep])
    row, col = np.concatenate(rows), np.concatenate(cols)
    n = index.size
    pattern = scipy.sparse.csr_array((np.ones(row.size, dtype=bool), (row, col)), shape=(n, n))
    pattern.sum_duplicates()
    return pattern
