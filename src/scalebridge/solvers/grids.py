"""Uniform cell-centred grids in one and two dimensions.

Lengths are in metres.  Cells are numbered from the origin: cell ``i`` of a :class:`Grid1D` spans
``[i*dx, (i+1)*dx]`` and its unknown lives at the centre.  Two-dimensional fields have shape
``(nx, ny)`` and are indexed ``[i, j] = (x_i, y_j)``.

Example
-------
>>> grid = Grid1D(length=1.0, cells=4)
>>> grid.dx
0.25
>>> grid.centres.tolist()
[0.125, 0.375, 0.625, 0.875]
>>> Grid2D(width=2.0, height=1.0, nx=4, ny=2).cell_area
0.25
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Grid1D", "Grid2D"]


def _check_length(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{name} must be a positive finite length in metres, got {value!r}")


def _check_count(name: str, value: int) -> None:
    # operator.index accepts Python and NumPy integers but refuses floats such as 10.0.
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if operator.index(value) < 1:
        raise ValueError(f"{name} must be a positive number of cells, got {value!r}")


def _centres(length: float, cells: int) -> NDArray[np.float64]:
    return (np.arange(cells, dtype=np.float64) + 0.5) * (length / cells)


def _faces(length: float, cells: int) -> NDArray[np.float64]:
    faces = np.arange(cells + 1, dtype=np.float64) * (length / cells)
    faces[-1] = length  # exactly the domain end, not length/cells*cells rounded
    return faces


@dataclass(frozen=True)
class Grid1D:
    """A uniform grid of ``cells`` cells on ``[0, length]`` (metres).

    Example
    -------
    >>> Grid1D(1.0, 2).faces.tolist()
    [0.0, 0.5, 1.0]
    """

    length: float
    cells: int

    def __post_init__(self) -> None:
        _check_length("length", self.length)
        _check_count("cells", self.cells)

    @property
    def dx(self) -> float:
        """Cell width in metres."""
        return self.length / self.cells

    @property
    def centres(self) -> NDArray[np.float64]:
        """Cell-centre coordinates, shape ``(cells,)``, metres."""
        return _centres(self.length, self.cells)

    @property
    def faces(self) -> NDArray[np.float64]:
        """Face coordinates, shape ``(cells + 1,)``, metres, from 0 to ``length``."""
        return _faces(self.length, self.cells)

    @property
    def volumes(self) -> NDArray[np.float64]:
        """Cell volumes per unit cross-section (square metre), i.e. ``dx`` in metres."""
        return np.full(self.cells, self.dx)


@dataclass(frozen=True)
class Grid2D:
    """A uniform ``nx`` by ``ny`` grid on ``[0, width] x [0, height]`` (metres).

    Example
    -------
    >>> grid = Grid2D(1.0, 1.0, 2, 4)
    >>> grid.shape, grid.dx, grid.dy
    ((2, 4), 0.5, 0.25)
    """

    width: float
    height: float
    nx: int
    ny: int

    def __post_init__(self) -> None:
        _check_length("width", self.width)
        _check_length("height", self.height)
        _check_count("nx", self.nx)
        _check_count("ny", self.ny)

    @property
    def shape(self) -> tuple[int, int]:
        """The shape ``(nx, ny)`` of a cell field."""
        return (self.nx, self.ny)

    @property
    def dx(self) -> float:
        """Cell width along x in metres."""
        return self.width / self.nx

    @property
    def dy(self) -> float:
        """Cell height along y in metres."""
        return self.height / self.ny

    @property
    def centres_x(self) -> NDArray[np.float64]:
        """x coordinates of the cell centres, shape ``(nx,)``, metres."""
        return _centres(self.width, self.nx)

    @property
    def centres_y(self) -> NDArray[np.float64]:
        """y coordinates of the cell centres, shape ``(ny,)``, metres."""
        return _centres(self.height, self.ny)

    @property
    def faces_x(self) -> NDArray[np.float64]:
        """x coordinates of the vertical cell faces, shape ``(nx + 1,)``, metres."""
        return _faces(self.width, self.nx)

    @property
    def faces_y(self) -> NDArray[np.float64]:
        """y coordinates of the horizontal cell faces, shape ``(ny + 1,)``, metres."""
        return _faces(self.height, self.ny)

    @property
    def cell_area(self) -> float:
        """Area of one cell in square metres (its volume per unit depth)."""
        return self.dx * self.dy

    def mesh(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Cell-centre coordinate arrays ``(X, Y)``, each of shape ``(nx, ny)``.

        Example
        -------
        >>> X, Y = Grid2D(1.0, 1.0, 2, 3).mesh()
        >>> X.shape, float(X[1, 0]), float(Y[0, 2])
        ((2, 3), 0.75, 0.8333333333333333)
        """
        x, y = np.meshgrid(self.centres_x, self.centres_y, indexing="ij")
        return x, y
