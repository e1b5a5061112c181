"""The 1-D heat equation against its series solution, with measured orders of convergence.

u_t = D u_xx on [0, L], u = 0 at both ends, u0 = sin(pi x/L) + 0.5 sin(3 pi x/L), whose exact
solution decays each mode at its own rate.  Sampled sine modes are exact eigenvectors of the
cell-centred operator (the Dirichlet half cell is an odd reflection), so the error is the
eigenvalue error O(dx^2) plus the time-stepping error.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from scalebridge.solvers.boundaries import dirichlet
from scalebridge.solvers.finite_volume import (
    diffusion_1d,
    diffusion_matrix_1d,
    diffusion_matrix_1d_sparse,
)
from scalebridge.solvers.grids import Grid1D
from scalebridge.solvers.linear import LinearPropagator
from scalebridge.solvers.time_stepping import (
    diffusion_step_limit,
    integrate_explicit,
    integrate_theta,
)

L = 2.0  # m
D = 1e-3  # m^2/s
RATE = D * (np.pi / L) ** 2  # 1/s, slowest mode
T_END = 0.5 / RATE  # s: the first mode has decayed to exp(-0.5)
WALL = dirichlet(0.0)
REFINEMENTS = (16, 32, 64, 128)


def exact(x: np.ndarray, t: float) -> np.ndarray:
    return np.exp(-RATE * t) * np.sin(np.pi * x / L) + 0.5 * np.exp(-9.0 * RATE * t) * np.sin(
        3.0 * np.pi * x / L
    )


def explicit_error(cells: int) -> float:
    grid = Grid1D(L, cells)
    limit = diffusion_step_limit(D, [grid.dx])  # dt ~ dx^2: time error O(dx^2) too
    states = integrate_explicit(
        lambda _t, u: diffusion_1d(u, D, grid, WALL, WALL),
        exact(grid.centres, 0.0),
        T_END,
        limit=limit,
        outputs=[T_END],
    )
    return float(np.abs(states[-1] - exact(grid.centres, T_END)).max())


def theta_error(cells: int, theta: float, steps: int) -> float:
    grid = Grid1D(L, cells)
    ab, b = diffusion_matrix_1d(D, grid, WALL, WALL)
    states = integrate_theta(
        ab, b, 1.0, exact(grid.centres, 0.0), T_END / steps, [T_END], theta=theta
    )
    return float(np.abs(states[-1] - exact(grid.centres, T_END)).max())


def observed_orders(errors: list[float]) -> np.ndarray:
    e = np.asarray(errors)
    return np.log2(e[:-1] / e[1:])


SCHEMES: dict[str, Callable[[int], float]] = {
    "explicit Euler, dt = 0.9 limit": explicit_error,
    # Backward Euler is first order in time: dt ~ dx^2 keeps its time error O(dx^2).
    "backward Euler, dt ~ dx^2": lambda n: theta_error(n, 1.0, n * n // 8),
    # Crank-Nicolson with a small fixed step: the spatial error dominates.
    "Crank-Nicolson, small dt": lambda n: theta_error(n, 0.5, 1000),
}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_second_order_convergence_in_space(scheme: str) -> None:
    errors = [SCHEMES[scheme](cells) for cells in REFINEMENTS]
    assert errors[-1] < 1e-4  # accurate, not just convergent
    orders = observed_orders(errors)
    assert np.all((orders > 1.8) & (orders < 2.2)), orders


def test_temporal_orders_of_backward_euler_and_crank_nicolson() -> None:
    # Against the exact solution of the semi-discrete system (LinearPropagator), so only the
    # time-stepping error remains.
    grid = Grid1D(L, 32)
    ab, b = diffusion_matrix_1d(D, grid, WALL, WALL)
    dense = np.diag(ab[1]) + np.diag(ab[0, 1:], 1) + np.diag(ab[2, :-1], -1)
    u0 = exact(grid.centres, 0.0)
    reference = LinearPropagator(dense, b).propagate(u0, [T_END])[-1]
    for theta, low, high in ((1.0, 0.9, 1.1), (0.5, 1.9, 2.1)):
        errors = [
            float(
                np.abs(
                    integrate_theta(ab, b, 1.0, u0, T_END / s, [T_END], theta=theta)[-1] - reference
                ).max()
            )
            for s in (10, 20, 40, 80)
        ]
        orders = observed_orders(errors)
        assert np.all((orders > low) & (orders < high)), (theta, orders)


def test_sparse_and_banded_operators_agree() -> None:
    grid = Grid1D(L, 20)
    u0 = exact(grid.centres, 0.0)
    ab, b = diffusion_matrix_1d(D, grid, WALL, dirichlet(0.3))
    A, b_sparse = diffusion_matrix_1d_sparse(D, grid, WALL, dirichlet(0.3))
    outputs = [0.0, 50.0, 100.0]
    for theta in (1.0, 0.5):
        banded = integrate_theta(ab, b, 2.0, u0, 5.0, outputs, theta=theta)
        sparse = integrate_theta(A, b_sparse, 2.0, u0, 5.0, outputs, theta=theta)
        assert banded.shape == (3, 20)
        assert banded[0] == pytest.approx(u0, abs=0.0)
        assert sparse == pytest.approx(banded, rel=1e-12, abs=1e-14)
