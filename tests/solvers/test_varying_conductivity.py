"""Conductivities that vary inside the cells: faces as exact resistances in series."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg

from scalebridge.solvers.boundaries import dirichlet, neumann, periodic, robin
from scalebridge.solvers.finite_volume import (
    SIDES,
    VaryingConductivity,
    diffusion_1d,
    diffusion_2d,
    diffusion_matrix_1d_sparse,
    diffusion_matrix_2d,
)
from scalebridge.solvers.grids import Grid1D, Grid2D

KAPPA, U_STAR, Z0 = 0.4, 0.5, 0.03  # von Karman constant; friction velocity m/s; roughness m


def _log_halves(centres: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Half-cell resistances of k = kappa u* (y + z0): integral of dy / k, in closed form."""

    def antiderivative(y: np.ndarray) -> np.ndarray:
        return np.log(y + Z0) / (KAPPA * U_STAR)

    return (antiderivative(centres) - antiderivative(centres - spacing / 2),
            antiderivative(centres + spacing / 2) - antiderivative(centres))


def test_constant_halves_are_the_harmonic_mean() -> None:
    grid = Grid1D(2.0, 5)
    k = np.array([1.0, 4.0, 0.5, 2.0, 3.0])
    halves = ((grid.dx / 2) / k, (grid.dx / 2) / k)
    varying = VaryingConductivity(k, (halves,))
    u = np.random.default_rng(1).uniform(size=5)
    for left, right in [(dirichlet(1.0), robin(3.0, 0.5)), (periodic(), periodic()),
                        (neumann(0.2), dirichlet(-1.0))]:
        assert diffusion_1d(u, varying, grid, left, right) == pytest.approx(
            diffusion_1d(u, k, grid, left, right), rel=1e-13)


@pytest.mark.parametrize("cells", [5, 20, 80])
def test_a_log_law_column_is_exact_on_a_uniform_grid(cells: int) -> None:
    """0 = d/dy(k du/dy) with k = kappa u* (y + z0), u = 0 at the ground and the stress u*^2
    at the top: the solution is the log law (u*/kappa) ln((y + z0)/z0), which the series
    resistances reproduce at every cell centre, however coarse the grid; the harmonic mean
    of the centre values misses it by tens of per cent near the ground."""
    grid = Grid1D(100.0, cells)
    y = grid.centres
    k = KAPPA * U_STAR * (y + Z0)
    varying = VaryingConductivity(k, (_log_halves(y, grid.dx),))
    exact = U_STAR / KAPPA * np.log((y + Z0) / Z0)
    ground, top = dirichlet(0.0), neumann(U_STAR**2)
    a, b = diffusion_matrix_1d_sparse(varying, grid, ground, top)
    u = scipy.sparse.linalg.spsolve(a.tocsc(), -b)
    assert u == pytest.approx(exact, rel=1e-12)
    assert diffusion_1d(exact, varying, grid, ground, top) == pytest.approx(0.0, abs=1e-12)
    a, b = diffusion_matrix_1d_sparse(k, grid, ground, top)
    sampled = scipy.sparse.linalg.spsolve(a.tocsc(), -b)
    assert abs(sampled[0] - exact[0]) / exact[0] > 0.2


def test_2d_varying_conductivity_matrix_matches_the_operator() -> None:
    grid = Grid2D(3.0, 2.0, 6, 5)
    X, Y = grid.mesh()
    k = 1.0 + X + Y**2
    rng = np.random.default_rng(3)
    halves = tuple((rng.uniform(0.1, 1.0, grid.shape), rng.uniform(0.1, 1.0, grid.shape))
                   for _ in range(2))
    varying = VaryingConductivity(k, halves)
    sides = {"left": dirichlet(1.0), "right": robin(2.0, 0.5), "bottom": neumann(0.3),
             "top": dirichlet(np.linspace(0.0, 1.0, 6))}
    u = rng.uniform(size=grid.shape)
    a, b = diffusion_matrix_2d(varying, grid, sides)
    assert a @ u.ravel() + b == pytest.approx(diffusion_2d(u, varying, grid, sides).ravel(),
                                              abs=1e-12)
    # the faces along y use the y halves: a field varying in y alone sees only those
    sides = {side: periodic() for side in SIDES}
    column = np.broadcast_to(np.sin(grid.centres_y), grid.shape)
    rate = diffusion_2d(column, varying, grid, sides)
    low, high = halves[1]
    faces = 1.0 / (high[:, :-1] + low[:, 1:])
    q = faces * np.diff(column, axis=1)
    wrap = 1.0 / (high[:, -1] + low[:, 0]) * (column[:, 0] - column[:, -1])
    expected = (np.concatenate([q, wrap[:, None]], axis=1)
                - np.concatenate([wrap[:, None], q], axis=1)) / grid.dy
    assert rate == pytest.approx(expected, abs=1e-12)


def test_half_cell_resistances_are_checked() -> None:
    with pytest.raises(ValueError, match="cells' shape"):
        VaryingConductivity(np.ones(3), ((np.ones(2), np.ones(3)),))
    with pytest.raises(ValueError, match="positive"):
        VaryingConductivity(np.ones(2), ((np.zeros(2), np.ones(2)),))
    infinite = VaryingConductivity(np.ones(2), ((np.array([np.inf, 1.0]), np.ones(2)),))
    # an insulating half cell closes the face next to it
    rate = diffusion_1d(np.zeros(2), infinite, Grid1D(1.0, 2), dirichlet(5.0), neumann(0.0))
    assert rate.tolist() == [0.0, 0.0]
