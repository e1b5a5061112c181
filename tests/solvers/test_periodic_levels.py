"""Periodic sides with levels (a mean gradient on a periodic cell), and floating steady problems."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from scalebridge.solvers import boundaries, finite_volume, grids, static
from scalebridge.solvers.errors import NumericalFailure


def _layered_2d(nx: int = 20, ny: int = 16) -> tuple[grids.Grid2D, np.ndarray]:
    grid = grids.Grid2D(1.0, 0.8, nx, ny)
    x, _y = np.meshgrid(grid.centres_x, grid.centres_y, indexing="ij")
    return grid, np.where(x < 0.25, 2.0, 8.0)  # layers across x, uniform along y


def test_the_operator_and_its_matrix_agree_with_a_jump() -> None:
    grid, k = _layered_2d()
    sides = {"left": boundaries.periodic(0.0), "right": boundaries.periodic(3.0),
             "bottom": boundaries.periodic(1.0), "top": boundaries.periodic(-0.5)}
    u = np.random.default_rng(4).standard_normal(grid.shape)
    a, b = finite_volume.diffusion_matrix_2d(k, grid, sides)
    direct = finite_volume.diffusion_2d(u, k, grid, sides).ravel()
    assert np.max(np.abs(a @ u.ravel() + b - direct)) <= 1e-12 * np.max(np.abs(direct))


@pytest.mark.parametrize(("axis", "expected"), [
    ("x", 1.0 / (0.25 / 2.0 + 0.75 / 8.0)),  # across the layers: in series
    ("y", 0.25 * 2.0 + 0.75 * 8.0),  # along them: in parallel
])
def test_a_layered_cell_under_a_mean_gradient_has_the_series_or_parallel_conductivity(
        axis: str, expected: float) -> None:
    grid, k = _layered_2d()
    gradient = 5.0
    width = grid.width if axis == "x" else grid.height
    level = {"x": ("left", "right"), "y": ("bottom", "top")}[axis]
    sides = {side: boundaries.periodic(0.0) for side in ("left", "right", "bottom", "top")}
    sides[level[1]] = boundaries.periodic(gradient * width)

    def linearised(_u: np.ndarray) -> tuple[scipy.sparse.csr_array, np.ndarray]:
        a, b = finite_volume.diffusion_matrix_2d(k, grid, sides)
        return a, -b

    u = static.solve_linearised(linearised, np.zeros(k.size), gauge=True).reshape(grid.shape)
    # the flux into the cell through its high side (per unit depth), over the side's length
    # and the mean gradient: the effective conductivity
    inflow = finite_volume.boundary_fluxes_2d(u, k, grid, sides)[level[1]]
    side_length = grid.height if axis == "x" else grid.width
    assert inflow / side_length / gradient == pytest.approx(expected, rel=1e-10)


def test_a_floating_problem_whose_sources_do_not_balance_is_a_failure() -> None:
    grid = grids.Grid1D(1.0, 10)
    sides = (boundaries.neumann(0.0), boundaries.neumann(0.0))

    def linearised(_u: np.ndarray) -> tuple[scipy.sparse.csr_array, np.ndarray]:
        a, b = finite_volume.diffusion_matrix_1d_sparse(1.0, grid, *sides)
        return a, -(b + 1.0)  # a uniform source into an insulated rod: no steady state

    with pytest.raises(NumericalFailure, match="do not"):
        static.solve_linearised(linearised, np.zeros(10), gauge=True, field="u")


def test_cell_centred_fluxes_of_a_layered_periodic_cell_are_uniform() -> None:
    # Layers across x, a mean gradient along x by a level: the flux is the series flux in every
    # cell, whatever the jump in k, and there is no flux along y.
    width, cells, gradient = 1.0e-3, 20, 1000.0
    grid = grids.Grid2D(width, width, cells, 4)
    x, _y = grid.mesh()
    k = np.where(x < 0.3e-3, 1.0, 10.0)
    sides = {"left": boundaries.periodic(), "right": boundaries.periodic(gradient * width),
             "bottom": boundaries.periodic(), "top": boundaries.periodic()}
    a, b = finite_volume.diffusion_matrix_2d(k, grid, sides)
    theta = static.solve_linearised(lambda _u: (a, -b), np.zeros(grid.shape).ravel(),
                                    gauge=True, submodel="cell", field="theta")
    qx, qy = finite_volume.diffusive_fluxes_2d(theta.reshape(grid.shape), k, grid, sides)
    series = 1.0 / (0.3 / 1.0 + 0.7 / 10.0)
    np.testing.assert_allclose(qx, -series * gradient, rtol=1e-10)
    assert np.max(np.abs(qy)) <= 1e-10 * series * gradient
