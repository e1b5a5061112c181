"""Scalar roots, nonlinear systems and minimisation, and how they fail."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.optimize

from scalebridge.solvers.errors import NumericalFailure
from scalebridge.solvers.static import minimise, solve_scalar, solve_system

DOTTIE = 0.7390851332151607  # the root of cos(x) = x


def test_bracketed_root_by_brent() -> None:
    root = solve_scalar(lambda x: math.cos(x) - x, lower=0.0, upper=1.0, guess=None, name="x")
    assert root == pytest.approx(DOTTIE, abs=1e-14)


def test_root_at_a_bracket_end_is_returned() -> None:
    assert solve_scalar(lambda x: x - 1.0, lower=1.0, upper=3.0, guess=None, name="x") == 1.0


def test_unbracketed_root_by_newton_from_the_guess() -> None:
    # Wallis's cubic x^3 - 2x - 5 = 0.
    root = solve_scalar(lambda x: x**3 - 2.0 * x - 5.0, lower=None, upper=None, guess=2.0, name="x")
    assert root == pytest.approx(2.0945514815423265, abs=1e-12)
    # A bracket without a sign change falls back to Newton when a guess is given.
    root = solve_scalar(lambda x: (x - 2.0) ** 2 - 1e-6, lower=0.0, upper=2.0, guess=1.5, name="x")
    assert root == pytest.approx(2.0 - 1e-3, abs=1e-10)


def test_equilibrium_temperature_of_a_radiating_plate() -> None:
    # Absorbed 800 W/m^2 = emitted sigma T^4 + convected 10 (T - 290).
    sigma = 5.670374419e-8

    def balance(t: float) -> float:
        return 800.0 - sigma * t**4 - 10.0 * (t - 290.0)

    t = solve_scalar(balance, lower=200.0, upper=600.0, guess=300.0, name="T_plate")
    assert balance(t) == pytest.approx(0.0, abs=1e-9)
    assert 290.0 < t < 600.0


def test_scalar_failures_name_the_unknown() -> None:
    with pytest.raises(NumericalFailure, match="'T_surface'") as caught:
        solve_scalar(
            lambda x: x * x + 1.0,
            lower=None,
            upper=None,
            guess=0.5,
            name="T_surface",
            submodel="wall",
            time=3.0,
        )
    assert caught.value.field == "T_surface"
    assert str(caught.value).startswith("submodel 'wall', field 'T_surface', t = 3 s:")
    with pytest.raises(NumericalFailure, match="does not bracket"):
        solve_scalar(lambda x: x * x + 1.0, lower=-1.0, upper=1.0, guess=None, name="p")
    with pytest.raises(NumericalFailure, match="outside"):
        solve_scalar(lambda x: x - 5.0, lower=None, upper=1.0, guess=0.0, name="p")


def test_system_solution_with_the_jacobian() -> None:
    # The unit circle meets the line y = 2x in the first quadrant at (1, 2)/sqrt(5).
    def F(v: np.ndarray) -> np.ndarray:
        return np.array([v[0] ** 2 + v[1] ** 2 - 1.0, v[1] - 2.0 * v[0]])

    def J(v: np.ndarray) -> np.ndarray:
        return np.array([[2.0 * v[0], 2.0 * v[1]], [-2.0, 1.0]])

    solution = solve_system(F, J, np.array([1.0, 1.0]), name="xy")
    assert solution == pytest.approx(np.array([1.0, 2.0]) / math.sqrt(5.0), abs=1e-12)


def test_system_failure_names_the_unknowns() -> None:
    def F(v: np.ndarray) -> np.ndarray:
        return np.array([v[0] ** 2 + 1.0, v[1]])

    def J(v: np.ndarray) -> np.ndarray:
        return np.array([[2.0 * v[0], 0.0], [0.0, 1.0]])

    with pytest.raises(NumericalFailure, match="'state'") as caught:
        solve_system(F, J, np.array([0.3, 1.0]), name="state")
    assert caught.value.field == "state"


def test_minimise_rosenbrock_and_a_bounded_problem() -> None:
    x = minimise(scipy.optimize.rosen, scipy.optimize.rosen_der, np.array([-1.2, 1.0]), name="p")
    assert x == pytest.approx([1.0, 1.0], abs=1e-8)
    bounded = minimise(
        scipy.optimize.rosen,
        scipy.optimize.rosen_der,
        np.array([0.0, 0.0]),
        name="p",
        bounds=[(None, 0.5), (None, None)],
    )
    assert bounded == pytest.approx([0.5, 0.25], abs=1e-6)


def test_minimise_failure_names_the_unknown() -> None:
    with pytest.raises(NumericalFailure, match="'q'"):
        minimise(lambda x: -float(x @ x), lambda x: -2.0 * x, np.array([1.0, 0.5]), name="q")


def test_relax_finds_the_minimum_of_a_badly_scaled_energy() -> None:
    from scalebridge.solvers.static import relax

    k1, k2, k3, e = 100e9, 300e9, 5e14, 0.01
    z = relax(lambda v: k1 * v - k2 * (e - v) + k3 * v**3,
              lambda v: np.diag(k1 + k2 + 3 * k3 * v**2), [0.0], name="shift")
    residual = k1 * z[0] - k2 * (e - z[0]) + k3 * z[0] ** 3
    assert abs(residual) <= 1e-6 * k2 * e and 0.0 < z[0] < k2 * e / (k1 + k2)


def test_relax_names_a_singular_hessian() -> None:
    from scalebridge.solvers.static import relax

    with pytest.raises(NumericalFailure, match="'flat'"):
        relax(lambda v: np.ones(1), lambda v: np.zeros((1, 1)), [0.0], name="flat")
