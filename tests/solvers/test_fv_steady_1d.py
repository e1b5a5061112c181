"""Steady 1-D conduction against closed-form linear (and piecewise-linear) profiles.

A cell-centred scheme reproduces a linear profile exactly, including at the half cells next to
Dirichlet and Robin faces, so these comparisons hold to round-off, not to a discretisation error.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from scalebridge.solvers.boundaries import BoundaryCondition, dirichlet, neumann, robin
from scalebridge.solvers.finite_volume import boundary_fluxes_1d, diffusion_matrix_1d
from scalebridge.solvers.grids import Grid1D

L = 0.4  # m
K = 15.0  # W/(m K)


def _steady(
    k: float | np.ndarray, grid: Grid1D, left: BoundaryCondition, right: BoundaryCondition
) -> np.ndarray:
    ab, b = diffusion_matrix_1d(k, grid, left, right)
    return np.asarray(scipy.linalg.solve_banded((1, 1), ab, -b))


@pytest.mark.parametrize("cells", [1, 2, 7, 50])
def test_neumann_inflow_and_dirichlet_outlet(cells: int) -> None:
    grid = Grid1D(L, cells)
    q, t_right = 2000.0, 300.0  # W/m^2 into the domain at x = 0, K at x = L
    u = _steady(K, grid, neumann(q), dirichlet(t_right))
    # -k u' = q everywhere, u(L) = t_right.
    expected = t_right + q * (L - grid.centres) / K
    assert u == pytest.approx(expected, rel=1e-12)
    left_in, right_in = boundary_fluxes_1d(u, K, grid, neumann(q), dirichlet(t_right))
    assert left_in == q
    assert right_in == pytest.approx(-q, rel=1e-10)


@pytest.mark.parametrize("cells", [1, 3, 40])
def test_dirichlet_and_robin(cells: int) -> None:
    grid = Grid1D(L, cells)
    t_left, h, ambient = 400.0, 25.0, 290.0
    u = _steady(K, grid, dirichlet(t_left), robin(h, ambient))
    # u = t_left + s x with k s = h (ambient - u(L)): resistances L/k and 1/h in series.
    slope = h * (ambient - t_left) / (K + h * L)
    assert u == pytest.approx(t_left + slope * grid.centres, rel=1e-12)
    left_in, right_in = boundary_fluxes_1d(u, K, grid, dirichlet(t_left), robin(h, ambient))
    assert left_in == pytest.approx(-K * slope, rel=1e-10)
    assert right_in == pytest.approx(K * slope, rel=1e-10)


def test_neumann_and_robin() -> None:
    grid = Grid1D(L, 12)
    q, h, ambient = 500.0, 40.0, 280.0
    u = _steady(K, grid, neumann(q), robin(h, ambient))
    # All of q leaves through the film: u(L) = ambient + q/h, then -k u' = q.
    expected = ambient + q / h + q * (L - grid.centres) / K
    assert u == pytest.approx(expected, rel=1e-12)


def test_robin_on_both_sides() -> None:
    grid = Grid1D(L, 9)
    h1, a1, h2, a2 = 10.0, 500.0, 30.0, 300.0
    u = _steady(K, grid, robin(h1, a1), robin(h2, a2))
    flux = (a1 - a2) / (1.0 / h1 + L / K + 1.0 / h2)  # W/m^2 along +x
    u_left_face = a1 - flux / h1
    assert u == pytest.approx(u_left_face - flux * grid.centres / K, rel=1e-12)


def test_two_material_wall_uses_series_resistances() -> None:
    # Layers of 0.1 m at k = 1 and 0.3 m at k = 50: the harmonic face mean gives the exact
    # series resistance, and the profile is piecewise linear with a kink at the interface.
    grid = Grid1D(L, 40)
    k = np.where(grid.centres < 0.1, 1.0, 50.0)
    t0, t1 = 350.0, 300.0
    u = _steady(k, grid, dirichlet(t0), dirichlet(t1))
    flux = (t0 - t1) / (0.1 / 1.0 + 0.3 / 50.0)
    x = grid.centres
    expected = np.where(x < 0.1, t0 - flux * x / 1.0, t1 + flux * (L - x) / 50.0)
    assert u == pytest.approx(expected, rel=1e-12)
    left_in, right_in = boundary_fluxes_1d(u, k, grid, dirichlet(t0), dirichlet(t1))
    assert left_in == pytest.approx(flux, rel=1e-10)
    assert right_in == pytest.approx(-flux, rel=1e-10)


def test_zero_robin_coefficient_is_insulated() -> None:
    grid = Grid1D(L, 5)
    u = _steady(K, grid, dirichlet(310.0), robin(0.0, 1000.0))
    assert u == pytest.approx(np.full(5, 310.0), rel=1e-14)
