"""First-order upwind advection: conservation and transport at the right speed."""

from __future__ import annotations

import numpy as np
import pytest

from scalebridge.solvers.boundaries import dirichlet, neumann, periodic, robin
from scalebridge.solvers.finite_volume import (
    SIDES,
    advection_1d,
    advection_2d,
    advection_boundary_fluxes_1d,
    advection_boundary_fluxes_2d,
)
from scalebridge.solvers.grids import Grid1D, Grid2D
from scalebridge.solvers.time_stepping import advection_step_limit, integrate_explicit


def pulse(x: np.ndarray, centre: float, width: float = 0.04) -> np.ndarray:
    return np.exp(-(((x - centre) / width) ** 2))


@pytest.mark.parametrize("velocity", [0.7, -1.3])
def test_periodic_upwind_conserves_mass(velocity: float) -> None:
    grid = Grid1D(1.0, 100)
    u0 = pulse(grid.centres, 0.5) + 0.1
    limit = advection_step_limit([velocity], [grid.dx])
    outputs = np.linspace(0.0, 3.0, 7)  # several passes round the domain
    states = integrate_explicit(
        lambda _t, u: advection_1d(u, velocity, grid, periodic(), periodic()),
        u0,
        3.0,
        limit=limit,
        outputs=outputs,
    )
    assert np.abs(states[-1] - u0).max() > 0.1  # it did move (and smear)
    totals = states.sum(axis=1) * grid.dx
    assert totals == pytest.approx(np.full(7, u0.sum() * grid.dx), rel=1e-12)


@pytest.mark.parametrize(("velocity", "start"), [(0.5, 0.25), (-0.5, 0.75)])
def test_pulse_first_moment_moves_at_the_velocity(velocity: float, start: float) -> None:
    grid = Grid1D(1.0, 400)
    u0 = pulse(grid.centres, start)
    limit = advection_step_limit([velocity], [grid.dx])
    outputs = [0.0, 0.4, 0.8]
    inflow = dirichlet(0.0)
    states = integrate_explicit(
        lambda _t, u: advection_1d(u, velocity, grid, inflow, inflow),
        u0,
        0.8,
        limit=limit,
        outputs=outputs,
    )
    mass = states.sum(axis=1)
    centres = states @ grid.centres / mass
    # The pulse never reaches a boundary, so mass is kept and the centre of mass moves at v.
    assert mass == pytest.approx(np.full(3, mass[0]), rel=1e-12)
    assert centres == pytest.approx(start + velocity * np.asarray(outputs), abs=1e-9)
    # Upwinding smears the pulse (numerical diffusion) but never creates new extrema.
    assert states[-1].max() < u0.max()
    assert states[-1].min() >= 0.0


def test_inflow_value_and_outflow_carry() -> None:
    grid = Grid1D(2.0, 4)
    u = np.array([1.0, 2.0, 3.0, 4.0])
    rate = advection_1d(u, 2.0, grid, dirichlet(10.0), dirichlet(-99.0))
    # Face fluxes v*u: 20 in at the left, 2, 4, 6 between cells, 8 out at the right (the
    # outflow dirichlet value is ignored, a hyperbolic problem takes no outflow condition).
    assert rate.tolist() == pytest.approx([(20 - 2) / 0.5, -4.0, -4.0, -4.0])
    assert advection_boundary_fluxes_1d(u, 2.0, grid, dirichlet(10.0), dirichlet(0.0)) == (
        20.0,
        -8.0,
    )
    # Flow to the left: the right face is the inflow and a neumann condition gives its flux
    # (6 in); faces carry v*u of the cell to their right: -2, -4, -6, -8 from left to right.
    rate = advection_1d(u, -2.0, grid, dirichlet(0.0), neumann(6.0))
    assert rate.tolist() == pytest.approx([4.0, 4.0, 4.0, (6.0 - 8.0) / 0.5])
    assert np.sum(rate * grid.dx) == pytest.approx(
        sum(advection_boundary_fluxes_1d(u, -2.0, grid, dirichlet(0.0), neumann(6.0)))
    )


def test_robin_is_refused_only_on_an_inflow_face() -> None:
    grid = Grid1D(1.0, 3)
    u = np.ones(3)
    assert advection_1d(u, 1.0, grid, dirichlet(1.0), robin(5.0, 0.0)) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="left face is an inflow face"):
        advection_1d(u, 1.0, grid, robin(5.0, 0.0), dirichlet(0.0))


def test_zero_velocity_moves_nothing() -> None:
    grid = Grid1D(1.0, 5)
    u = np.arange(5.0)
    assert not advection_1d(u, 0.0, grid, robin(1.0, 1.0), robin(1.0, 1.0)).any()


def test_2d_periodic_upwind_conserves_mass() -> None:
    grid = Grid2D(1.0, 1.0, 32, 24)
    X, Y = grid.mesh()
    u0 = pulse(X, 0.3, 0.1) * pulse(Y, 0.4, 0.1)
    vx, vy = 0.9, -0.6
    sides = {side: periodic() for side in SIDES}
    limit = advection_step_limit([vx, vy], [grid.dx, grid.dy])
    states = integrate_explicit(
        lambda _t, u: advection_2d(u, vx, vy, grid, sides), u0, 2.0, limit=limit, outputs=[2.0]
    )
    assert np.abs(states[-1] - u0).max() > 0.1
    assert states[-1].sum() == pytest.approx(u0.sum(), rel=1e-12)


def test_2d_pulse_first_moments_move_at_the_velocity() -> None:
    grid = Grid2D(1.0, 1.0, 64, 64)
    X, Y = grid.mesh()
    u0 = pulse(X, 0.4, 0.05) * pulse(Y, 0.6, 0.05)
    vx, vy = 0.3, -0.2
    sides = {side: dirichlet(0.0) for side in SIDES}
    limit = advection_step_limit([vx, vy], [grid.dx, grid.dy])
    states = integrate_explicit(
        lambda _t, u: advection_2d(u, vx, vy, grid, sides), u0, 0.5, limit=limit, outputs=[0.5]
    )
    u = states[-1]
    assert u.sum() == pytest.approx(u0.sum(), rel=1e-12)
    assert float((u * X).sum() / u.sum()) == pytest.approx(0.4 + vx * 0.5, abs=1e-9)
    assert float((u * Y).sum() / u.sum()) == pytest.approx(0.6 + vy * 0.5, abs=1e-9)


def test_2d_total_changes_by_the_boundary_inflow() -> None:
    grid = Grid2D(1.0, 0.5, 6, 4)
    u = np.random.default_rng(2).uniform(size=grid.shape)
    sides = {
        "left": dirichlet(np.linspace(1.0, 2.0, 4)),
        "right": neumann(0.0),
        "bottom": dirichlet(0.0),
        "top": neumann(-3.0),
    }
    for vx, vy in [(1.5, 0.5), (-1.5, -0.5)]:
        rate = advection_2d(u, vx, vy, grid, sides)
        fluxes = advection_boundary_fluxes_2d(u, vx, vy, grid, sides)
        assert np.sum(rate) * grid.cell_area == pytest.approx(sum(fluxes.values()), rel=1e-12)
    fluxes = advection_boundary_fluxes_2d(u, -1.5, -0.5, grid, sides)
    assert fluxes["top"] == pytest.approx(-3.0 * grid.width)  # the neumann inflow flux
