"""Gauss rules matched to distributions, against closed-form moments."""

from __future__ import annotations

import math

import numpy
import pytest

from scalebridge.solvers.quadrature import MAX_NODES, expectation, gauss_rule


@pytest.mark.parametrize("points", [1, 2, 5, 16])
def test_a_rule_of_n_points_is_exact_to_degree_2n_minus_1(points: int) -> None:
    lower, upper = -0.5, 3.0
    rule = gauss_rule("uniform", {"lower": lower, "upper": upper}, points)
    assert rule[1].sum() == pytest.approx(1.0, abs=1e-15)
    degree = 2 * points - 1
    exact = (upper ** (degree + 1) - lower ** (degree + 1)) / ((degree + 1) * (upper - lower))
    assert expectation(lambda x: x**degree, [rule]) == pytest.approx(exact, rel=1e-12)
    if points > 5:
        return  # beyond, the error at one degree more is below round-off of the moment
    # one degree more is no longer exact (the rule's defining property, both ways)
    above = (upper ** (degree + 2) - lower ** (degree + 2)) / ((degree + 2) * (upper - lower))
    assert abs(expectation(lambda x: x ** (degree + 1), [rule]) - above) > 1e-9 * abs(above)


def test_normal_moments() -> None:
    mean, sd = 2.0, 0.3
    rule = gauss_rule("normal", {"mean": mean, "sd": sd}, 4)
    assert expectation(lambda x: x, [rule]) == pytest.approx(mean, rel=1e-14)
    assert expectation(lambda x: (x - mean) ** 2, [rule]) == pytest.approx(sd**2, rel=1e-12)
    assert expectation(lambda x: (x - mean) ** 4, [rule]) == pytest.approx(3 * sd**4, rel=1e-12)


def test_log_normal_mean_and_variance() -> None:
    median, s = 1.5, 0.4
    rule = gauss_rule("log_normal", {"median": median, "log_sd": s}, 16)
    mean = median * math.exp(s**2 / 2)
    assert expectation(lambda x: x, [rule]) == pytest.approx(mean, rel=1e-12)
    variance = (math.exp(s**2) - 1) * median**2 * math.exp(s**2)
    assert expectation(lambda x: (x - mean) ** 2, [rule]) == pytest.approx(variance, rel=1e-10)


def test_declared_units_are_converted_to_si() -> None:
    # a uniform angle in degrees, nodes in radians: E[cos^2] over a full turn is 1/2
    rule = gauss_rule("uniform", {"lower": 0.0, "upper": 360.0}, 16, scale=math.pi / 180)
    assert rule[0].max() < 2 * math.pi
    assert expectation(lambda a: numpy.cos(a) ** 2, [rule]) == pytest.approx(0.5, abs=1e-14)


def test_product_rules_of_independent_parameters() -> None:
    a = gauss_rule("uniform", {"lower": 0.0, "upper": 1.0}, 3)
    b = gauss_rule("normal", {"mean": 1.0, "sd": 2.0}, 3)
    c = gauss_rule("uniform", {"lower": -1.0, "upper": 1.0}, 3)
    # E[a^2 b^2 (1 + c^2)] = 1/3 * (1 + 4) * (1 + 1/3)
    found = expectation(lambda x, y, z: x**2 * y**2 * (1 + z**2), [a, b, c])
    assert found == pytest.approx(1 / 3 * 5 * 4 / 3, rel=1e-13)
    # a function that ignores a parameter broadcasts over it
    assert expectation(lambda x, y, z: 2.0 + 0 * y, [a, b, c]) == pytest.approx(2.0)


def test_too_large_and_unknown_rules_are_refused() -> None:
    rule = gauss_rule("uniform", {"lower": 0.0, "upper": 1.0}, 64)
    with pytest.raises(ValueError, match="too large"):
        expectation(lambda *x: 0.0, [rule] * 4)  # 64^4 > MAX_NODES
    assert MAX_NODES < 64**4
    with pytest.raises(ValueError, match="no Gauss rule"):
        gauss_rule("cauchy", {}, 4)
    with pytest.raises(ValueError, match="at least one point"):
        gauss_rule("uniform", {"lower": 0.0, "upper": 1.0}, 0)
