"""First-order upwind advection: conservation and transport at the right speed."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg

from scalebridge.solvers.boundaries import dirichlet, neumann, periodic, robin
from scalebridge.solvers.finite_volume import (
    SIDES,
    advection_1d,
    advection_2d,
    advection_boundary_fluxes_1d,
    advection_boundary_fluxes_2d,
    advection_matrix_1d,
    advection_matrix_2d,
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


# -- velocities that vary in space ----------------------------------------------------------


def _mixed_sides(ny: int, nx: int) -> dict[str, object]:
    return {
        "left": dirichlet(np.linspace(1.0, 2.0, ny)),
        "right": neumann(np.linspace(-1.0, 0.5, ny)),
        "bottom": dirichlet(0.5),
        "top": neumann(-0.25),
    }


@pytest.mark.parametrize("periodic_x", [False, True])
def test_2d_matrix_is_the_operator_for_varying_velocities(periodic_x: bool) -> None:
    grid = Grid2D(2.0, 1.0, 7, 5)
    X, Y = grid.mesh()
    rng = np.random.default_rng(4)
    u = rng.uniform(size=grid.shape)
    # components that change sign inside the domain and on the sides
    vx = np.sin(3.0 * Y) - 0.3 + 0.2 * X
    vy = np.cos(2.0 * X) - 0.5 * Y
    sides = _mixed_sides(grid.ny, grid.nx)
    if periodic_x:
        sides["left"], sides["right"] = periodic(), periodic()
    A, b = advection_matrix_2d(vx, vy, grid, sides)
    direct = advection_2d(u, vx, vy, grid, sides).ravel()
    assert A @ u.ravel() + b == pytest.approx(direct, abs=1e-12)
    # conservative: the total changes by what crosses the sides
    fluxes = advection_boundary_fluxes_2d(u, vx, vy, grid, sides)
    assert direct.sum() * grid.cell_area == pytest.approx(sum(fluxes.values()), rel=1e-12)


def test_1d_matrix_is_the_operator_for_a_converging_flow() -> None:
    grid = Grid1D(1.0, 9)
    v = 0.5 - grid.centres  # flows in at both ends, towards the middle
    u = np.random.default_rng(5).uniform(size=9)
    left, right = dirichlet(2.0), neumann(-0.7)
    A, b = advection_matrix_1d(v, grid, left, right)
    assert A @ u + b == pytest.approx(advection_1d(u, v, grid, left, right), abs=1e-12)
    total = float(np.sum(advection_1d(u, v, grid, left, right)) * grid.dx)
    inflow = advection_boundary_fluxes_1d(u, v, grid, left, right)
    # a boundary face takes its cell's velocity
    assert inflow[0] == pytest.approx(v[0] * 2.0) and inflow[1] == pytest.approx(-0.7)
    assert total == pytest.approx(sum(inflow), rel=1e-12)
    # both ends take inflow: a robin end is refused, wherever it is
    with pytest.raises(ValueError, match="right face is an inflow face"):
        advection_1d(u, v, grid, left, robin(1.0, 0.0))


def test_a_profile_advected_by_a_sheared_wind_is_kept_exactly() -> None:
    """Steady transport by U(y) along x from an inflow profile g(y) on the left: the steady
    state is g(y) in every column, which upwinding reproduces to round-off."""
    grid = Grid2D(3.0, 1.0, 12, 8)
    _, Y = grid.mesh()
    wind = 0.2 + np.log1p(10.0 * Y)
    profile = np.cos(grid.centres_y) + grid.centres_y ** 2
    sides = {"left": dirichlet(profile), "right": neumann(0.0), "bottom": neumann(0.0),
             "top": neumann(0.0)}
    A, b = advection_matrix_2d(wind, 0.0, grid, sides)
    steady = scipy.sparse.linalg.spsolve(A.tocsc(), -b).reshape(grid.shape)
    assert steady == pytest.approx(np.broadcast_to(profile, grid.shape), rel=1e-13)


def test_upwind_converges_at_first_order_for_a_varying_velocity() -> None:
    """Manufactured steady solution of d(v u)/dx = s with v = 1 + x and u = exp(-x): the
    error at the outflow end halves with the cell size."""
    errors = []
    for cells in (40, 80, 160):
        grid = Grid1D(1.0, cells)
        x = grid.centres
        v = 1.0 + x
        source = np.exp(-x) - (1.0 + x) * np.exp(-x)  # d(v u)/dx
        A, b = advection_matrix_1d(v, grid, dirichlet(1.0), neumann(0.0))
        u = scipy.sparse.linalg.spsolve(A.tocsc(), -b - source)  # A u + b + s = 0
        errors.append(float(np.max(np.abs(u - np.exp(-x)))))
    assert errors[0] / errors[1] == pytest.approx(2.0, rel=0.1)
    assert errors[1] / errors[2] == pytest.approx(2.0, rel=0.1)


def test_step_limit_follows_the_fastest_cell() -> None:
    grid = Grid2D(1.0, 1.0, 20, 10)
    _, Y = grid.mesh()
    vx = 0.1 + 2.0 * Y  # fastest at the top
    limit = advection_step_limit([vx, 0.0], [grid.dx, grid.dy])
    assert limit == pytest.approx(grid.dx / float(vx.max()))
    sides = {"left": dirichlet(1.0), "right": neumann(0.0), "bottom": neumann(0.0),
             "top": neumann(0.0)}
    states = integrate_explicit(lambda _t, u: advection_2d(u, vx, 0.0, grid, sides),
                                np.zeros(grid.shape), 20.0, limit=limit, outputs=[20.0])
    # monotone: bounded by the inflow value, and filled everywhere by the end
    assert states[-1].max() <= 1.0 + 1e-12 and states[-1].min() >= 0.0
    assert states[-1].min() > 0.99
