"""Face machinery shared by the finite-volume operators (internal).

Everything works along axis 0 of an array of shape ``(n, ...)``: a 1-D field, or a 2-D field
with the axis of interest moved to the front (x: ``u``, y: ``u.T``).  One code path thus
serves 1-D, x and y.  Lengths in metres; see :mod:`scalebridge.solvers.finite_volume`.

Example
-------
>>> import numpy as np
>>> harmonic(np.array([1.0, 0.0]), np.array([3.0, 0.0])).tolist()
[1.5, 0.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from scalebridge.solvers.boundaries import BoundaryCondition, check_periodic_pair

__all__ = [
    "SIDES",
    "AxisFaces",
    "Conductivity",
    "FloatArray",
    "VaryingConductivity",
    "axis_faces",
    "cell_values",
    "field_values",
    "gradient_fluxes",
    "harmonic",
    "inflows",
    "side_values",
    "sides_in_order",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class VaryingConductivity:
    """A conductivity that varies inside the cells (a k given as a function of position).

    ``cells`` holds its values at the cell centres; ``halves`` holds, per axis, the resistance
    of each half cell: ``(low, high)`` with ``low = integral of dx / k`` from the cell's low
    face to its centre and ``high`` from its centre to its high face (units of m / k, so that
    a face's conductance per unit area, k/m, is ``1 / (high[i] + low[i + 1])``), each of the
    cells' shape (the grid's shape, axes in their natural order).  A face between two cells
    then conducts like the resistances in series that k actually puts between the centres;
    with k constant in each cell this is the harmonic mean of the cell values, exactly.  A
    wall next to a boundary face sees the half cell's own resistance: a log-law wall
    (k proportional to the distance from a rough wall, k = kappa u* (y + z0)) is exact on a
    uniform grid.

    Example
    -------
    >>> k = VaryingConductivity(np.array([2.0]), ((np.array([0.25]), np.array([0.25])),))
    >>> k.cells.tolist()
    [2.0]
    """

    cells: FloatArray
    halves: tuple[tuple[FloatArray, FloatArray], ...]

    def __array__(self, dtype: object = None, copy: object = None) -> FloatArray:
        """Where an array is expected (a step limit, a plot) it is its cell values."""
        values: FloatArray = np.asarray(self.cells, dtype=dtype)  # type: ignore[call-overload]
        return values

    def __post_init__(self) -> None:
        shape = np.shape(self.cells)
        if len(self.halves) != len(shape):
            raise ValueError(f"give the half-cell resistances along each of the {len(shape)} "
                             "axes")
        for low, high in self.halves:
            for part in (low, high):
                if np.shape(part) != shape:
                    raise ValueError(f"half-cell resistances must have the cells' shape {shape}, "
                                     f"got {np.shape(part)}")
                if np.any(np.isnan(part)) or np.any(np.asarray(part) <= 0.0):
                    raise ValueError("half-cell resistances must be positive (infinite where "
                                     "k vanishes)")


Conductivity = float | FloatArray | VaryingConductivity

#: The sides of a 2-D domain: left (x = 0), right (x = W), bottom (y = 0), top (y = H).
SIDES = ("left", "right", "bottom", "top")


@dataclass(frozen=True)
class AxisFaces:
    """Diffusive face conductances along one axis (units of k/m).

    The gradient flux ``k du/dn`` at interior face f (between cells f-1 and f) is
    ``interior[f-1] * (u[f] - u[f-1])``.  At the two boundary faces the flux density *into* the
    domain is affine in the adjacent cell value: ``slope * u_cell + offset``.  For periodic
    pairs ``wrap`` is the conductance of the face joining the last cell to the first, and
    ``jump`` the increase of u over one period (the high side's level minus the low side's):
    across that face the first cell stands at ``u[0] + jump``.
    """

    interior: FloatArray  # (n - 1, ...)
    wrap: FloatArray | None  # (...) or None
    low_slope: FloatArray
    low_offset: FloatArray
    high_slope: FloatArray
    high_offset: FloatArray
    jump: FloatArray | float = 0.0


def harmonic(a: FloatArray, b: FloatArray) -> FloatArray:
    """Harmonic mean ``2ab/(a+b)`` of two cells' conductivities: the face conductivity that
    makes the flux continuous across a material jump (resistances in series)."""
    total = a + b
    # Two insulating cells (k = 0 on both sides) give a closed face rather than 0/0.
    safe = np.where(total > 0.0, total, 1.0)
    return np.where(total > 0.0, 2.0 * a * b / safe, 0.0)


def cell_values(k: Conductivity, shape: tuple[int, ...], name: str = "k") -> FloatArray:
    """``k`` as an array of cell values of ``shape``, checked finite and non-negative (the
    centre values of a :class:`VaryingConductivity`)."""
    if isinstance(k, VaryingConductivity):
        k = k.cells
    if np.shape(k) not in ((), shape):
        raise ValueError(f"{name} must be a float or an array of shape {shape}, got {np.shape(k)}")
    values = np.broadcast_to(np.asarray(k, dtype=np.float64), shape)
    if not np.all(np.isfinite(values)) or np.any(values < 0.0):
        raise ValueError(f"{name} must be finite and non-negative")
    return values


def field_values(u: FloatArray, shape: tuple[int, ...]) -> FloatArray:
    """The field ``u`` as float64, checked to have the grid's ``shape``."""
    array = np.asarray(u, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"the field must have shape {shape}, got {array.shape}")
    return array


def side_values(bc: BoundaryCondition, name: str, shape: tuple[int, ...], side: str) -> FloatArray:
    """The number ``name`` of ``bc`` on every face of a side (a float or a profile)."""
    number = np.asarray(getattr(bc, name), dtype=np.float64)
    try:
        return np.broadcast_to(number, shape)
    except ValueError:
        expected = f"shape {shape}" if shape else "a float"
        raise ValueError(
            f"the {side} boundary {name} must be {expected}, got shape {number.shape}"
        ) from None


def _boundary_face(
    bc: BoundaryCondition, k_cell: FloatArray, half: float, side: str
) -> tuple[FloatArray, FloatArray]:
    """``(slope, offset)`` of the flux density into the domain, ``slope * u_cell + offset``."""
    shape = np.shape(k_cell)
    if bc.kind == "dirichlet":
        # The face value is imposed half a cell away from the cell centre.
        conductance = k_cell / half
        return -conductance, conductance * side_values(bc, "value", shape, side)
    if bc.kind == "neumann":
        return np.zeros(shape), np.array(side_values(bc, "flux", shape, side))
    if bc.kind == "robin":
        # Resistances in series: film 1/h, then the half cell (dx/2)/k.  Eliminates u_face.
        h = side_values(bc, "coefficient", shape, side)
        denominator = k_cell + h * half
        safe = np.where(denominator > 0.0, denominator, 1.0)
        conductance = np.where(denominator > 0.0, h * k_cell / safe, 0.0)
        return -conductance, conductance * side_values(bc, "ambient", shape, side)
    raise AssertionError("periodic faces are handled by the caller")  # pragma: no cover


def boundary_face_value(
    bc: BoundaryCondition, u_cell: FloatArray, k_cell: FloatArray, half: float, side: str
) -> FloatArray:
    """The field's value on the boundary faces of a side (not periodic), from the side's
    condition and the cells next to it (values ``u_cell``, conductivities ``k_cell``, centres
    ``half`` a cell from the face): the imposed value at a Dirichlet side, else the cell value
    plus the flux into the domain times the half cell's resistance ``half / k``.  Where a
    cell does not conduct (k = 0) the face takes the cell's value."""
    shape = np.shape(u_cell)
    if bc.kind == "dirichlet":
        return np.array(side_values(bc, "value", shape, side))
    slope, offset = _boundary_face(bc, k_cell, half, side)
    inflow = slope * u_cell + offset
    safe = np.where(k_cell > 0.0, k_cell, 1.0)
    result: FloatArray = np.where(k_cell > 0.0, u_cell + inflow * half / safe, u_cell)
    return result


def _series(a: FloatArray, b: FloatArray | float) -> FloatArray:
    """The conductance 1 / (a + b) of two resistances in series (0 where one is infinite)."""
    with np.errstate(divide="ignore"):
        result: FloatArray = 1.0 / (np.asarray(a) + np.asarray(b))
    return result


def axis_faces(  # noqa: PLR0917 - the cells, their width, the two sides, their names
    k_cells: FloatArray,
    spacing: float,
    low: BoundaryCondition,
    high: BoundaryCondition,
    names: tuple[str, str],
    halves: tuple[FloatArray, FloatArray] | None = None,
) -> AxisFaces:
    """The faces along axis 0 of cells with conductivities ``k_cells`` and width ``spacing``.

    ``halves``, when given, are the half-cell resistances along this axis (the low and the
    high half of each cell, axis first; see :class:`VaryingConductivity`), which then set the
    face conductances instead of the harmonic means of the cell values."""
    half = 0.5 * spacing
    if halves is not None:
        r_low, r_high = halves
        interior = _series(r_high[:-1], r_low[1:])
        # the half cell next to each boundary face as a cell of constant k over half a cell
        k_low, k_high = half * _series(r_low[0], 0.0), half * _series(r_high[-1], 0.0)
    else:
        interior = harmonic(k_cells[:-1], k_cells[1:]) / spacing
        k_low, k_high = k_cells[0], k_cells[-1]
    if check_periodic_pair(low, high, names):
        wrap = (_series(halves[1][-1], halves[0][0]) if halves is not None
                else harmonic(k_cells[-1], k_cells[0]) / spacing)
        zero = np.zeros_like(k_cells[0])
        shape = np.shape(k_cells[0])
        jump = (side_values(high, "value", shape, names[1])
                - side_values(low, "value", shape, names[0]))
        return AxisFaces(interior, wrap, zero, zero, zero, zero, jump)
    low_slope, low_offset = _boundary_face(low, k_low, half, names[0])
    high_slope, high_offset = _boundary_face(high, k_high, half, names[1])
    return AxisFaces(interior, None, low_slope, low_offset, high_slope, high_offset)


def gradient_fluxes(u: FloatArray, faces: AxisFaces) -> FloatArray:
    """``k du/dn`` at every face along axis 0, shape ``(n + 1, ...)``."""
    q = np.empty((u.shape[0] + 1, *u.shape[1:]))
    q[1:-1] = faces.interior * (u[1:] - u[:-1])
    if faces.wrap is not None:
        q[0] = q[-1] = faces.wrap * (u[0] + faces.jump - u[-1])
    else:
        # At the low face the inflow runs along +n, so k du/dn = -(flux into the domain);
        # at the high face the inflow runs along -n, so k du/dn = +(flux into the domain).
        q[0] = -(faces.low_slope * u[0] + faces.low_offset)
        q[-1] = faces.high_slope * u[-1] + faces.high_offset
    return q


def inflows(q: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Flux densities into the domain at the low and high faces from face fluxes ``q``."""
    return -q[0], q[-1]


def sides_in_order(boundaries: Mapping[str, BoundaryCondition]) -> tuple[BoundaryCondition, ...]:
    """The four conditions in the order of :data:`SIDES`, refusing missing or unknown keys."""
    missing = [side for side in SIDES if side not in boundaries]
    extra = sorted(set(boundaries) - set(SIDES))
    if missing or extra:
        raise ValueError(
            f"2-D boundaries need exactly the keys {SIDES}; missing {missing}, unexpected {extra}"
        )
    return tuple(boundaries[side] for side in SIDES)
