"""Conservation: the finite-volume operators move quantity between cells, never lose it.

Totals are compared to round-off (1e-12 relative), which only holds because every interior
face flux is added to one cell and subtracted from its neighbour.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from scalebridge.solvers.boundaries import BoundaryCondition, dirichlet, neumann, robin
from scalebridge.solvers.finite_volume import (
    SIDES,
    boundary_fluxes_1d,
    boundary_fluxes_2d,
    diffusion_1d,
    diffusion_2d,
    diffusion_matrix_1d,
)
from scalebridge.solvers.grids import Grid1D, Grid2D
from scalebridge.solvers.time_stepping import (
    diffusion_step_limit,
    integrate_explicit,
    integrate_theta,
)

# Three regions: steel, insulation, copper (k in W/(m K), rho*c_p in J/(m^3 K)).
GRID = Grid1D(0.3, 60)
REGION = np.digitize(GRID.centres, [0.1, 0.2])
K = np.array([45.0, 0.04, 400.0])[REGION]
CAPACITY = np.array([3.6e6, 5.0e4, 3.4e6])[REGION]
U0 = np.where(GRID.centres < 0.15, 600.0, 300.0) + 20.0 * np.sin(40.0 * GRID.centres)
INSULATED = neumann(0.0)


def energy(u: np.ndarray) -> np.ndarray:
    """J/m^2 for each state in a stack of states."""
    return np.sum(CAPACITY * u * GRID.dx, axis=-1)


def test_explicit_run_with_insulated_ends_conserves_energy() -> None:
    diffusivity = float(np.max(K / CAPACITY))
    limit = diffusion_step_limit(diffusivity, [GRID.dx])
    outputs = np.linspace(0.0, 2000.0 * limit, 11)
    states = integrate_explicit(
        lambda _t, u: diffusion_1d(u, K, GRID, INSULATED, INSULATED) / CAPACITY,
        U0,
        float(outputs[-1]),
        limit=limit,
        outputs=outputs,
    )
    # The run changed the field a lot ...
    assert np.abs(states[-1] - U0).max() > 10.0
    # ... and kept the total to round-off over ~2200 steps.
    assert energy(states) == pytest.approx(np.full(11, energy(U0)), rel=1e-12)


@pytest.mark.parametrize("theta", [1.0, 0.5])
def test_implicit_run_with_insulated_ends_conserves_energy(theta: float) -> None:
    ab, b = diffusion_matrix_1d(K, GRID, INSULATED, INSULATED)
    outputs = np.arange(0.0, 5001.0, 500.0)  # 1000 steps of 5 s
    states = integrate_theta(ab, b, CAPACITY, U0, 5.0, outputs, theta=theta)
    assert np.abs(states[-1] - U0).max() > 10.0
    assert energy(states) == pytest.approx(np.full(outputs.size, energy(U0)), rel=1e-12)


BOUNDARIES = [dirichlet(250.0), neumann(3.0e4), robin(80.0, 900.0)]


@pytest.mark.parametrize(("left", "right"), list(itertools.product(BOUNDARIES, BOUNDARIES)))
def test_rate_of_change_of_total_equals_boundary_inflow(
    left: BoundaryCondition, right: BoundaryCondition
) -> None:
    rate = diffusion_1d(U0, K, GRID, left, right)
    left_in, right_in = boundary_fluxes_1d(U0, K, GRID, left, right)
    scale = np.sum(np.abs(rate)) * GRID.dx
    assert np.sum(rate * GRID.dx) == pytest.approx(left_in + right_in, abs=1e-13 * scale)


def test_backward_euler_energy_balance_each_step_with_open_boundaries() -> None:
    # Backward Euler is conservative in the implicit sense: the change over a step equals dt
    # times the boundary inflow evaluated at the new state.
    left, right = robin(80.0, 900.0), dirichlet(250.0)
    ab, b = diffusion_matrix_1d(K, GRID, left, right)
    dt = 20.0
    outputs = np.arange(0.0, 200 * dt + 1.0, dt)
    states = integrate_theta(ab, b, CAPACITY, U0, dt, outputs, theta=1.0)
    totals = energy(states)
    inflow = np.array([sum(boundary_fluxes_1d(u, K, GRID, left, right)) for u in states[1:]])
    assert np.abs(np.diff(totals)).max() > 1e3  # energy really flows in and out
    assert np.diff(totals) == pytest.approx(dt * inflow, rel=1e-9, abs=1e-12 * totals.max())


def test_explicit_energy_balance_accumulates_to_round_off() -> None:
    left, right = neumann(5.0e3), robin(30.0, 280.0)
    dt = 0.9 * diffusion_step_limit(float(np.max(K / CAPACITY)), [GRID.dx])
    u = U0.copy()
    budget = energy(U0)
    for _ in range(500):
        budget += dt * sum(boundary_fluxes_1d(u, K, GRID, left, right))
        u = u + dt * diffusion_1d(u, K, GRID, left, right) / CAPACITY
    assert abs(energy(u) - energy(U0)) > 1e3
    assert energy(u) == pytest.approx(budget, rel=1e-12)


def test_2d_rate_of_change_of_total_equals_boundary_inflow() -> None:
    grid = Grid2D(0.5, 0.3, 9, 7)
    rng = np.random.default_rng(11)
    u = rng.normal(300.0, 20.0, size=grid.shape)
    k = rng.uniform(1.0, 50.0, size=grid.shape)
    sides: dict[str, BoundaryCondition] = {
        "left": dirichlet(np.linspace(250.0, 350.0, 7)),
        "right": robin(12.0, 280.0),
        "bottom": neumann(-400.0),
        "top": robin(np.linspace(1.0, 5.0, 9), 500.0),
    }
    rate = diffusion_2d(u, k, grid, sides)
    fluxes = boundary_fluxes_2d(u, k, grid, sides)
    assert set(fluxes) == set(SIDES)
    assert fluxes["bottom"] == pytest.approx(-400.0 * grid.width)
    scale = np.sum(np.abs(rate)) * grid.cell_area
    assert np.sum(rate) * grid.cell_area == pytest.approx(sum(fluxes.values()), abs=1e-13 * scale)


def test_2d_insulated_box_keeps_its_total() -> None:
    grid = Grid2D(1.0, 1.0, 12, 10)
    u = np.random.default_rng(5).normal(size=grid.shape)
    sides = {side: neumann(0.0) for side in SIDES}
    k = np.random.default_rng(6).uniform(0.5, 2.0, size=grid.shape)
    assert (
        abs(np.sum(diffusion_2d(u, k, grid, sides)))
        < 1e-12 * np.abs(diffusion_2d(u, k, grid, sides)).sum()
    )
