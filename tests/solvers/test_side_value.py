"""The value a field presents on a side: exact for the linear profiles each condition holds."""

from __future__ import annotations

import numpy
import pytest

from scalebridge.solvers.boundaries import dirichlet, neumann, periodic, robin
from scalebridge.solvers.finite_volume import side_value
from scalebridge.solvers.grids import Grid1D, Grid2D


def test_a_robin_side_presents_the_value_between_the_cell_and_the_ambient() -> None:
    # k = 4, h = 2, ambient 10, held at 0 at x = 0: steady flux q = (10 - u(1)) * 2 = 4 u(1),
    # so u(1) = 10/3 and u(x) = 10 x / 3, a line that the cell values hold exactly.
    grid = Grid1D(1.0, 5)
    u = 10.0 * grid.centres / 3.0
    bcs = {"left": dirichlet(0.0), "right": robin(2.0, 10.0)}
    assert side_value(u, 4.0, grid, bcs, "right") == pytest.approx(10.0 / 3.0, rel=1e-14)
    assert side_value(u, 4.0, grid, bcs, "left") == 0.0


def test_a_neumann_side_of_a_layered_bar_uses_the_conductivity_of_its_own_cell() -> None:
    grid = Grid1D(1.0, 2)  # k = 1 then 3, 3 W/m^2 in at the left, held at 0 at the right
    # exact: slope -3 in the first cell, -1 in the second; u(1) = 0, u(0.5) = 0.5, u(0) = 2
    u = numpy.array([2.0 - 3.0 * 0.25, 0.5 - 0.25])
    bcs = {"left": neumann(3.0), "right": dirichlet(0.0)}
    assert side_value(u, numpy.array([1.0, 3.0]), grid, bcs, "left") == pytest.approx(2.0)


def test_a_side_of_a_rectangle_presents_the_mean_of_its_faces() -> None:
    grid = Grid2D(2.0, 1.0, 4, 3)
    x, y = numpy.meshgrid(grid.centres_x, grid.centres_y, indexing="ij")
    u = 3.0 * x + 5.0 * y  # with k = 1, the flux into the domain is k du/dn inward:
    bcs = {"left": dirichlet(7.0), "right": neumann(3.0), "bottom": neumann(-5.0),
           "top": neumann(5.0)}
    assert side_value(u, 1.0, grid, bcs, "left") == 7.0
    assert side_value(u, 1.0, grid, bcs, "right") == pytest.approx(6.0 + 2.5)  # mean of 5 y
    assert side_value(u, 1.0, grid, bcs, "bottom") == pytest.approx(3.0)  # mean of 3 x
    assert side_value(u, 1.0, grid, bcs, "top") == pytest.approx(3.0 + 5.0)


def test_a_periodic_side_with_levels_presents_the_mean_across_the_jump() -> None:
    grid = Grid1D(1.0, 4)
    u = 2.0 * grid.centres  # periodic up to a jump of 2 over the period
    bcs = {"left": periodic(0.0), "right": periodic(2.0)}
    assert side_value(u, 1.0, grid, bcs, "left") == pytest.approx(0.0, abs=1e-14)
    assert side_value(u, 1.0, grid, bcs, "right") == pytest.approx(2.0)


def test_an_unknown_side_is_refused() -> None:
    with pytest.raises(ValueError, match="no side 'top'"):
        side_value(numpy.zeros(3), 1.0, Grid1D(1.0, 3), {"left": dirichlet(0.0),
                                                          "right": dirichlet(0.0)}, "top")
