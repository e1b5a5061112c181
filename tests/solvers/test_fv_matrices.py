"""The matrix forms reproduce the operators exactly, for every boundary kind and coefficient."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from scalebridge.solvers.boundaries import BoundaryCondition, dirichlet, neumann, periodic, robin
from scalebridge.solvers.finite_volume import (
    SIDES,
    diffusion_1d,
    diffusion_2d,
    diffusion_matrix_1d,
    diffusion_matrix_1d_sparse,
    diffusion_matrix_2d,
)
from scalebridge.solvers.grids import Grid1D, Grid2D

NON_PERIODIC = [dirichlet(3.0), neumann(-2.5), robin(7.0, 4.0)]
PAIRS_1D = [*itertools.product(NON_PERIODIC, NON_PERIODIC), (periodic(), periodic())]
# Round-off relative to the size of the terms being summed.
RTOL = 1e-13


def _banded_to_dense(ab: np.ndarray) -> np.ndarray:
    return np.diag(ab[1]) + np.diag(ab[0, 1:], 1) + np.diag(ab[2, :-1], -1)


def _conductivities(shape: tuple[int, ...]) -> list[float | np.ndarray]:
    rng = np.random.default_rng(7)
    return [2.0, rng.uniform(0.1, 10.0, size=shape)]


def _scale(a: np.ndarray, u: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a) @ np.abs(u)) + np.max(np.abs(b)))


@pytest.mark.parametrize(("left", "right"), PAIRS_1D)
@pytest.mark.parametrize("cells", [1, 2, 3, 17])
def test_1d_sparse_matrix_identity(
    left: BoundaryCondition, right: BoundaryCondition, cells: int
) -> None:
    grid = Grid1D(1.7, cells)
    u = np.random.default_rng(cells).normal(size=cells)
    for k in _conductivities((cells,)):
        A, b = diffusion_matrix_1d_sparse(k, grid, left, right)
        dense = A.toarray()
        expected = diffusion_1d(u, k, grid, left, right)
        assert np.abs(A @ u + b - expected).max() <= RTOL * _scale(dense, u, b)


@pytest.mark.parametrize(("left", "right"), PAIRS_1D[:-1])
@pytest.mark.parametrize("cells", [1, 2, 5, 40])
def test_1d_banded_matrix_identity(
    left: BoundaryCondition, right: BoundaryCondition, cells: int
) -> None:
    grid = Grid1D(0.3, cells)
    u = np.random.default_rng(cells + 1).normal(size=cells)
    for k in _conductivities((cells,)):
        ab, b = diffusion_matrix_1d(k, grid, left, right)
        assert ab.shape == (3, cells)
        assert ab[0, 0] == 0.0
        assert ab[2, -1] == 0.0
        dense = _banded_to_dense(ab)
        sparse, b_sparse = diffusion_matrix_1d_sparse(k, grid, left, right)
        assert np.array_equal(dense, sparse.toarray())
        assert np.array_equal(b, b_sparse)
        expected = diffusion_1d(u, k, grid, left, right)
        assert np.abs(dense @ u + b - expected).max() <= RTOL * _scale(dense, u, b)


def test_banded_matrix_refuses_periodic() -> None:
    with pytest.raises(ValueError, match="diffusion_matrix_1d_sparse"):
        diffusion_matrix_1d(1.0, Grid1D(1.0, 4), periodic(), periodic())


def test_periodic_must_be_paired_in_1d() -> None:
    with pytest.raises(ValueError, match="pairs"):
        diffusion_1d(np.zeros(3), 1.0, Grid1D(1.0, 3), periodic(), dirichlet(0.0))


def test_symmetric_operator_with_insulated_ends_has_zero_row_and_column_sums() -> None:
    grid = Grid1D(1.0, 9)
    k = np.linspace(0.5, 5.0, 9)
    ab, b = diffusion_matrix_1d(k, grid, neumann(0.0), neumann(0.0))
    dense = _banded_to_dense(ab)
    assert np.array_equal(dense, dense.T)
    assert np.abs(dense.sum(axis=0)).max() <= 1e-12 * np.abs(dense).max()
    assert not b.any()


SIDE_CHOICES = [
    dirichlet(1.5),
    neumann(0.7),
    robin(4.0, -2.0),
]


def _boundary_sets(grid: Grid2D) -> list[dict[str, BoundaryCondition]]:
    profile_y = np.linspace(-1.0, 1.0, grid.ny)
    profile_x = np.linspace(2.0, 3.0, grid.nx)
    sets: list[dict[str, BoundaryCondition]] = []
    for x_pair in [("dirichlet", "robin"), ("neumann", "dirichlet"), ("periodic", "periodic")]:
        for y_pair in [("robin", "neumann"), ("dirichlet", "dirichlet"), ("periodic", "periodic")]:
            chosen: dict[str, BoundaryCondition] = {}
            for side, kind in zip(SIDES, (*x_pair, *y_pair), strict=True):
                if kind == "periodic":
                    chosen[side] = periodic()
                else:
                    chosen[side] = next(bc for bc in SIDE_CHOICES if bc.kind == kind)
            sets.append(chosen)
    # Profiles along the sides (a boundary forced by another model's field).
    sets.append(
        {
            "left": dirichlet(profile_y),
            "right": robin(np.full(grid.ny, 3.0), profile_y),
            "bottom": neumann(profile_x),
            "top": dirichlet(profile_x),
        }
    )
    return sets


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (6, 5)])
def test_2d_matrix_identity(shape: tuple[int, int]) -> None:
    grid = Grid2D(1.3, 0.6, *shape)
    u = np.random.default_rng(shape[0] * 10 + shape[1]).normal(size=shape)
    for boundaries in _boundary_sets(grid):
        for k in _conductivities(shape):
            A, b = diffusion_matrix_2d(k, grid, boundaries)
            assert A.shape == (u.size, u.size)
            expected = diffusion_2d(u, k, grid, boundaries).ravel()
            dense = A.toarray()
            assert np.abs(dense @ u.ravel() + b - expected).max() <= RTOL * _scale(
                dense, u.ravel(), b
            )


def test_2d_flat_index_is_c_order() -> None:
    # A single Dirichlet-heated cell at (i, j) = (0, 2) must show up at flat index 0 * ny + 2.
    grid = Grid2D(1.0, 1.0, 3, 4)
    sides = {side: neumann(0.0) for side in SIDES}
    sides["bottom"] = dirichlet(np.array([0.0, 0.0, 0.0]))
    sides["top"] = dirichlet(np.array([5.0, 0.0, 0.0]))
    _, b = diffusion_matrix_2d(1.0, grid, sides)
    assert np.flatnonzero(b).tolist() == [0 * 4 + 3]


def test_2d_layered_x_only_problem_matches_1d() -> None:
    # With insulated bottom and top, a field uniform in y is a 1-D problem along x.
    grid2 = Grid2D(2.0, 1.0, 8, 3)
    grid1 = Grid1D(2.0, 8)
    k1 = np.linspace(1.0, 4.0, 8)
    k2 = np.repeat(k1[:, None], 3, axis=1)
    u1 = np.random.default_rng(3).normal(size=8)
    u = np.repeat(u1[:, None], 3, axis=1)
    sides = {
        "left": dirichlet(1.0),
        "right": robin(2.0, 5.0),
        "bottom": neumann(0.0),
        "top": neumann(0.0),
    }
    rate2 = diffusion_2d(u, k2, grid2, sides)
    rate1 = diffusion_1d(u1, k1, grid1, dirichlet(1.0), robin(2.0, 5.0))
    for j in range(3):
        assert rate2[:, j] == pytest.approx(rate1, rel=1e-13, abs=1e-12)


def test_2d_refuses_bad_boundary_maps_and_profiles() -> None:
    grid = Grid2D(1.0, 1.0, 3, 4)
    u = np.zeros((3, 4))
    sides = {side: neumann(0.0) for side in SIDES}
    with pytest.raises(ValueError, match="missing"):
        diffusion_2d(u, 1.0, grid, {"left": dirichlet(0.0)})
    with pytest.raises(ValueError, match="left boundary value must be shape"):
        diffusion_2d(u, 1.0, grid, {**sides, "left": dirichlet(np.zeros(3))})
    with pytest.raises(ValueError, match="must be a float"):
        diffusion_1d(np.zeros(2), 1.0, Grid1D(1.0, 2), dirichlet(np.zeros(1)), dirichlet(0.0))
    with pytest.raises(ValueError, match="shape"):
        diffusion_2d(u, np.ones((4, 3)), grid, sides)
