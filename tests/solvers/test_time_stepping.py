"""Stability limits, forward Euler, the theta scheme's bookkeeping and the stiff wrapper."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scalebridge.solvers.errors import NumericalFailure
from scalebridge.solvers.linear import LinearPropagator
from scalebridge.solvers.time_stepping import (
    advection_step_limit,
    diffusion_step_limit,
    integrate_explicit,
    integrate_stiff,
    integrate_theta,
    reaction_step_limit,
    stable_step,
)


def test_step_limits() -> None:
    assert diffusion_step_limit(2.0, [0.1]) == pytest.approx(0.01 / 4.0)
    assert diffusion_step_limit(1.0, [0.1, 0.2]) == pytest.approx(1.0 / (2.0 * (100.0 + 25.0)))
    assert diffusion_step_limit(0.0, [0.1]) == math.inf
    assert advection_step_limit([1.0, -2.0], [0.1, 0.5]) == pytest.approx(1.0 / (10.0 + 4.0))
    assert advection_step_limit([0.0], [0.1]) == math.inf
    assert reaction_step_limit(-50.0) == pytest.approx(0.02)
    assert reaction_step_limit(0.0) == math.inf
    assert stable_step(0.3, 0.1, math.inf) == pytest.approx(0.09)
    assert stable_step(0.3, 0.1, safety=0.5) == pytest.approx(0.05)
    assert stable_step(math.inf) == math.inf


@pytest.mark.parametrize(
    "call",
    [
        lambda: diffusion_step_limit(-1.0, [0.1]),
        lambda: diffusion_step_limit(1.0, [0.0]),
        lambda: advection_step_limit([1.0], [0.1, 0.1]),
        stable_step,  # no limits at all
        lambda: stable_step(0.1, safety=1.5),
        lambda: stable_step(0.0),
    ],
)
def test_step_limits_refuse_nonsense(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


def test_forward_euler_on_a_linear_system_matches_the_matrix_power() -> None:
    A = np.array([[-2.0, 1.0], [0.5, -1.0]])
    y0 = np.array([1.0, 2.0])
    dt = 0.01
    states = integrate_explicit(lambda _t, y: A @ y, y0, 1.0, limit=0.5, dt=dt, outputs=[0.5, 1.0])
    step = np.eye(2) + dt * A
    assert states[0] == pytest.approx(np.linalg.matrix_power(step, 50) @ y0, rel=1e-12)
    assert states[1] == pytest.approx(np.linalg.matrix_power(step, 100) @ y0, rel=1e-12)


def test_automatic_step_lands_on_every_output_time_under_the_limit() -> None:
    calls: list[float] = []

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        calls.append(t)
        return np.full_like(y, 2.0)  # dy/dt = 2: Euler is exact, so outputs are 2 t

    outputs = [0.0, 0.1, 0.25, 1.0 / 3.0, 1.0]
    states = integrate_explicit(rhs, np.zeros(3), 1.2, limit=0.07, outputs=outputs)
    assert states.shape == (5, 3)
    assert states[:, 0] == pytest.approx(2.0 * np.asarray(outputs), rel=1e-13, abs=1e-15)
    starts = np.array(calls)
    for t in (0.1, 0.25, 1.0 / 3.0, 1.0):
        assert np.min(np.abs(starts - t)) < 1e-12  # a step starts exactly at each output
    steps = np.diff(np.append(starts, 1.2))
    assert steps.max() <= 0.9 * 0.07 * (1.0 + 1e-9)
    assert steps.min() > 0.5 * 0.9 * 0.07  # the largest steps that fit, not tiny ones


def test_forced_step_is_kept_and_shortened_only_to_land_on_outputs() -> None:
    calls: list[float] = []

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        calls.append(t)
        return -y

    integrate_explicit(rhs, np.ones(1), 0.25, limit=1.0, dt=0.1, outputs=[0.25])
    assert calls == pytest.approx([0.0, 0.1, 0.2])


def test_forced_unstable_step_is_refused_with_the_limit_named() -> None:
    limit = diffusion_step_limit(1.0, [0.1])  # 0.005 s
    with pytest.raises(NumericalFailure) as caught:
        integrate_explicit(
            lambda _t, y: -y,
            np.ones(4),
            1.0,
            limit=limit,
            dt=0.01,
            outputs=[1.0],
            submodel="rod",
            field="T",
        )
    error = caught.value
    message = str(error)
    assert "stability limit 0.005 s" in message
    assert "dt = 0.01 s" in message
    assert message.startswith("submodel 'rod', field 'T'")
    assert (error.submodel, error.field) == ("rod", "T")


def test_blow_up_is_reported_with_the_time() -> None:
    # dy/dt = y^2 from y = 1 has the exact solution 1/(1 - t), which blows up at t = 1.
    with pytest.raises(NumericalFailure, match="not finite") as caught:
        integrate_explicit(
            lambda _t, y: y**2, np.ones(1), 2.0, limit=1.0, dt=1e-3, outputs=[2.0], field="y"
        )
    assert caught.value.time is not None
    assert 1.0 <= caught.value.time < 1.1
    assert caught.value.field == "y"


def test_nan_from_the_right_hand_side_is_reported_with_the_time() -> None:
    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        return np.full_like(y, np.nan) if t >= 0.3 else np.zeros_like(y)

    with pytest.raises(NumericalFailure) as caught:
        integrate_explicit(rhs, np.ones(2), 1.0, limit=0.1, dt=0.05, outputs=[1.0])
    assert caught.value.time == pytest.approx(0.35)
    assert "t = 0.35 s" in str(caught.value)


def test_explicit_refuses_outputs_after_t_end_or_descending() -> None:
    with pytest.raises(ValueError, match="after t_end"):
        integrate_explicit(lambda _t, y: y, np.ones(1), 1.0, limit=1.0, outputs=[2.0])
    with pytest.raises(ValueError, match="ascending"):
        integrate_explicit(lambda _t, y: y, np.ones(1), 1.0, limit=1.0, outputs=[0.5, 0.2])


def test_theta_scheme_with_time_varying_forcing_is_second_order_for_crank_nicolson() -> None:
    # 2 du/dt = -u + sin(t), u(0) = 0, with the forcing given as a callable b(t).
    capacity = 2.0

    def exact(t: float) -> float:
        return (math.sin(t) - 2.0 * math.cos(t)) / 5.0 + 0.4 * math.exp(-t / 2.0)

    ab = np.array([[0.0, 0.0, 0.0], [-1.0, -1.0, -1.0], [0.0, 0.0, 0.0]])  # three copies
    errors = []
    for steps in (20, 40, 80):
        dt = 4.0 / steps
        states = integrate_theta(
            ab, lambda t: np.full(3, math.sin(t)), capacity, np.zeros(3), dt, [4.0], theta=0.5
        )
        errors.append(abs(states[-1, 0] - exact(4.0)))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders > 1.9) & (orders < 2.1)), orders


def test_theta_outputs_must_be_whole_steps() -> None:
    ab = np.array([[0.0, 0.0, 0.0], [-1.0, -1.0, -1.0], [0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="whole number of steps"):
        integrate_theta(ab, None, 1.0, np.ones(3), 0.1, [0.25])
    states = integrate_theta(ab, None, 1.0, np.ones(3), 0.1, [0.0, 0.3, 0.3])
    assert states[1] == pytest.approx(states[2])


def test_theta_refuses_a_dense_square_matrix_and_reports_a_singular_system() -> None:
    with pytest.raises(ValueError, match="banded"):
        integrate_theta(-np.eye(4), None, 1.0, np.ones(4), 0.1, [0.1])
    # capacity/dt - A = 0: the implicit system is singular.
    ab = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0], [0.0, 0.0, 0.0]])
    with pytest.raises(NumericalFailure, match="singular") as caught:
        integrate_theta(ab, None, 1.0, np.ones(3), 0.1, [0.1], submodel="wall")
    assert caught.value.submodel == "wall"


def test_theta_reports_a_growing_solution_that_overflows() -> None:
    # du/dt = 1e100 u by forward Euler (theta = 0): 1e100, 1e200, 1e300, then overflow.
    ab = np.array([[0.0], [1e100], [0.0]])
    with pytest.raises(NumericalFailure, match="not finite") as caught:
        integrate_theta(ab, None, 1.0, np.ones(1), 1.0, [10.0], theta=0.0)
    assert caught.value.time == 4.0


STIFF = np.array([[-1000.0, 1.0, 0.0], [0.0, -1.0, 0.5], [0.0, 0.0, -0.01]])
FORCING = np.array([1.0, 0.0, 0.02])


@pytest.mark.parametrize("method", ["BDF", "LSODA", "Radau"])
def test_stiff_integration_matches_the_exact_linear_solution(method: str) -> None:
    y0 = np.array([1.0, 2.0, 3.0])
    outputs = [0.0, 0.5, 5.0, 50.0, 50.0]
    states = integrate_stiff(
        lambda _t, y: STIFF @ y + FORCING,
        lambda _t, _y: STIFF,
        y0,
        outputs,
        method=method,  # type: ignore[arg-type]
    )
    reference = LinearPropagator(STIFF, FORCING).propagate(y0, outputs)
    assert states.shape == (5, 3)
    assert states == pytest.approx(reference, rel=1e-6, abs=1e-8)


def test_stiff_failure_names_the_time_reached() -> None:
    with pytest.raises(NumericalFailure, match="BDF failed") as caught:
        integrate_stiff(
            lambda _t, y: y**2,
            lambda _t, y: np.diag(2.0 * y),
            np.ones(1),
            [0.5, 2.0],
            submodel="kinetics",
        )
    assert caught.value.submodel == "kinetics"
    assert caught.value.time is not None
    assert 0.99 < caught.value.time <= 1.0 + 1e-6
