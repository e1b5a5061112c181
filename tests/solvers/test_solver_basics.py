"""NumericalFailure, the grids and the boundary-condition records."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from scalebridge.errors import SolverError
from scalebridge.solvers.boundaries import (
    BoundaryCondition,
    check_periodic_pair,
    dirichlet,
    neumann,
    periodic,
    robin,
)
from scalebridge.solvers.errors import NumericalFailure
from scalebridge.solvers.grids import Grid1D, Grid2D


def test_failure_message_names_every_known_part() -> None:
    error = NumericalFailure("the solution is not finite", submodel="rod", field="T", time=12.5)
    assert str(error) == "submodel 'rod', field 'T', t = 12.5 s: the solution is not finite"
    assert (error.submodel, error.field, error.time) == ("rod", "T", 12.5)
    assert error.message == "the solution is not finite"


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({}, "boom"),
        ({"field": "T"}, "field 'T': boom"),
        ({"submodel": "rod", "time": 0.0}, "submodel 'rod', t = 0 s: boom"),
    ],
)
def test_failure_message_omits_unknown_parts(context: dict[str, object], expected: str) -> None:
    assert str(NumericalFailure("boom", **context)) == expected  # type: ignore[arg-type]


def test_failure_is_a_solver_error_and_survives_pickling() -> None:
    error = NumericalFailure("no root", submodel="a", field="x", time=1.0)
    assert isinstance(error, SolverError)
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error)
    assert (copy.submodel, copy.field, copy.time) == ("a", "x", 1.0)


def test_grid_1d_geometry() -> None:
    grid = Grid1D(length=3.0, cells=6)
    assert grid.dx == 0.5
    assert grid.centres == pytest.approx(np.arange(6) * 0.5 + 0.25)
    assert grid.faces[0] == 0.0
    assert grid.faces[-1] == 3.0
    assert np.diff(grid.faces) == pytest.approx(np.full(6, 0.5))
    assert grid.volumes.sum() == pytest.approx(3.0)


def test_grid_2d_geometry() -> None:
    grid = Grid2D(width=2.0, height=1.0, nx=4, ny=5)
    assert (grid.dx, grid.dy, grid.cell_area) == pytest.approx((0.5, 0.2, 0.1))
    assert grid.centres_x == pytest.approx([0.25, 0.75, 1.25, 1.75])
    assert grid.centres_y[-1] == pytest.approx(0.9)
    x, y = grid.mesh()
    assert x.shape == y.shape == (4, 5)
    assert x[2, 3] == grid.centres_x[2]
    assert y[2, 3] == grid.centres_y[3]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Grid1D(0.0, 4),
        lambda: Grid1D(-1.0, 4),
        lambda: Grid1D(float("inf"), 4),
        lambda: Grid1D(1.0, 0),
        lambda: Grid2D(1.0, 1.0, 3, 0),
        lambda: Grid2D(1.0, -2.0, 3, 3),
    ],
)
def test_grids_refuse_non_positive_sizes(make: object) -> None:
    with pytest.raises(ValueError, match="positive"):
        make()  # type: ignore[operator]


def test_grid_refuses_a_float_cell_count() -> None:
    with pytest.raises(TypeError):
        Grid1D(1.0, 4.0)  # type: ignore[arg-type]


def test_boundary_constructors() -> None:
    assert dirichlet(2.0) == BoundaryCondition("dirichlet", value=2.0)
    assert neumann(-3.0) == BoundaryCondition("neumann", flux=-3.0)
    assert robin(10.0, 300.0) == BoundaryCondition("robin", coefficient=10.0, ambient=300.0)
    assert periodic().kind == "periodic"
    # The driver of a forced boundary replaces the value each step.
    assert dataclasses.replace(dirichlet(1.0), value=5.0).value == 5.0


def test_boundary_profiles_are_frozen_copies_with_value_equality() -> None:
    profile = np.array([1.0, 2.0, 3.0])
    condition = dirichlet(profile)
    profile[0] = 99.0
    assert isinstance(condition.value, np.ndarray)
    assert condition.value[0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        condition.value[0] = 5.0
    assert condition == dirichlet([1.0, 2.0, 3.0])  # type: ignore[arg-type]
    assert condition != dirichlet([1.0, 2.0, 4.0])  # type: ignore[arg-type]
    assert hash(condition) == hash(dirichlet(np.array([1.0, 2.0, 3.0])))
    assert hash(dirichlet(0.0)) == hash(dirichlet(-0.0))


@pytest.mark.parametrize(
    "make",
    [
        lambda: BoundaryCondition("outflow"),  # type: ignore[arg-type]
        lambda: dirichlet(float("nan")),
        lambda: robin(-1.0, 0.0),
        lambda: neumann(np.ones((2, 2))),
    ],
)
def test_boundary_refuses_bad_numbers(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


def test_periodic_pairs() -> None:
    assert check_periodic_pair(periodic(), periodic())
    assert not check_periodic_pair(dirichlet(0.0), robin(1.0, 2.0))
    with pytest.raises(ValueError, match="pairs: bottom is periodic, top is neumann"):
        check_periodic_pair(periodic(), neumann(0.0), ("bottom", "top"))
