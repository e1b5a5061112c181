"""First-order upwind advection, conservative by construction.

The advective flux density ``v * u_face`` is computed once per face, the face value taken from
the cell the flow comes from, and each cell gains what enters minus what leaves; the operators
return -div(v u) per cell in units of u/s, with velocities in m/s and lengths in metres.
Two-dimensional fields have shape ``(nx, ny)``.  They are re-exported by
:mod:`scalebridge.solvers.finite_volume`.

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

from scalebridge.solvers._faces import FloatArray, field_values, side_values, sides_in_order
from scalebridge.solvers.boundaries import BoundaryCondition, check_periodic_pair
from scalebridge.solvers.grids import Grid1D, Grid2D

__all__ = [
    "advection_1d",
    "advection_2d",
    "advection_boundary_fluxes_1d",
    "advection_boundary_fluxes_2d",
]


def _inflow_flux(
    bc: BoundaryCondition, velocity: float, side: str, shape: tuple[int, ...]
) -> FloatArray:
    """Advective flux density into the domain through an inflow face (units of v*u)."""
    if bc.kind == "dirichlet":
        return abs(velocity) * side_values(bc, "value", shape, side)
    if bc.kind == "neumann":
        return side_values(bc, "flux", shape, side)
    raise ValueError(
        f"the {side} face is an inflow face for advection and needs a dirichlet (inflow value) "
        f"or neumann (inflow flux) condition, not {bc.kind}"
    )


def _advective_fluxes(
    u: FloatArray,
    velocity: float,
    low: BoundaryCondition,
    high: BoundaryCondition,
    names: tuple[str, str],
) -> FloatArray:
    """Advective flux density ``v * u_face`` along +axis at every face of axis 0."""
    if not np.isfinite(velocity):
        raise ValueError(f"the velocity must be finite, got {velocity!r}")
    flux = np.empty((u.shape[0] + 1, *u.shape[1:]))
    # Upwind: the face carries the value of the cell the flow comes from.
    flux[1:-1] = velocity * (u[:-1] if velocity >= 0.0 else u[1:])
    if check_periodic_pair(low, high, names):
        if np.any(np.asarray(low.value) != np.asarray(high.value)):
            raise ValueError("advection needs a plainly periodic pair: the "
                             f"{names[0]} and {names[1]} levels differ")
        flux[0] = flux[-1] = velocity * (u[-1] if velocity >= 0.0 else u[0])
        return flux
    side_shape = u.shape[1:]
    if velocity > 0.0:
        flux[0] = _inflow_flux(low, velocity, names[0], side_shape)
        flux[-1] = velocity * u[-1]
    elif velocity < 0.0:
        flux[0] = velocity * u[0]
        flux[-1] = -_inflow_flux(high, velocity, names[1], side_shape)
    else:
        flux[0] = flux[-1] = 0.0
    return flux


def advection_1d(
    u: FloatArray,
    velocity: float,
    grid: Grid1D,
    left: BoundaryCondition,
    right: BoundaryCondition,
) -> FloatArray:
    """-d(v u)/dx per cell by first-order upwinding, shape ``(n,)``, units of u/s.

    ``velocity`` is in m/s and may be negative.  On the inflow face a dirichlet condition gives
    the inflow value and a neumann condition the inflow flux density (units of v*u); a robin
    condition is refused there.  The outflow face carries the cell value out whatever its
    condition, since a hyperbolic problem takes no condition at an outflow.

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
    velocity: float,
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
    vx: float,
    vy: float,
    grid: Grid2D,
    boundaries: Mapping[str, BoundaryCondition],
) -> tuple[FloatArray, FloatArray]:
    left, right, bottom, top = sides_in_order(boundaries)
    field = field_values(u, grid.shape)
    fx = _advective_fluxes(field, vx, left, right, ("left", "right"))
    fy = _advective_fluxes(field.T, vy, bottom, top, ("bottom", "top")).T
    return fx, fy


def advection_2d(
    u: FloatArray,
    vx: float,
    vy: float,
    grid: Grid2D,
    boundaries: Mapping[str, BoundaryCondition],
) -> FloatArray:
    """-div(v u) per cell by first-order upwinding, shape ``(nx, ny)``, units of u/s.

    ``vx`` and ``vy`` are uniform velocity components in m/s; the boundary rules are those of
    :func:`advection_1d`, side by side.

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
    vx: float,
    vy: float,
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
