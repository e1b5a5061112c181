"""Polynomial chaos: orthonormal bases, exact expansions of polynomials, Sobol indices."""

from __future__ import annotations

import math

import numpy
import pytest

from scalebridge.solvers.chaos import expand, orthonormal
from scalebridge.solvers.quadrature import expectation, gauss_rule

UNIFORM = ("uniform", {"lower": 2.0, "upper": 5.0})
NORMAL = ("normal", {"mean": 1.0, "sd": 0.5})
LOG_NORMAL = ("log_normal", {"median": 2.0, "log_sd": 0.3})


@pytest.mark.parametrize("distribution", [UNIFORM, NORMAL, LOG_NORMAL])
def test_the_bases_are_orthonormal_under_their_distribution(
        distribution: tuple[str, dict[str, float]]) -> None:
    kind, parameters = distribution
    nodes, weights = gauss_rule(kind, parameters, 12)
    basis = orthonormal(kind, parameters, nodes, 6)
    gram = (basis * weights) @ basis.T
    numpy.testing.assert_allclose(gram, numpy.eye(7), atol=1e-12)


def test_a_polynomial_is_expanded_exactly_with_its_variance_split_by_sobol() -> None:
    # f = x y + y^2 with x ~ U(2, 5), y ~ N(1, 0.5): every term a polynomial of degree <= 2
    rules = [gauss_rule(*UNIFORM, 4), gauss_rule(*NORMAL, 4)]
    x, y = numpy.meshgrid(rules[0][0], rules[1][0], indexing="ij")
    expansion = expand(x * y + y**2, rules, [UNIFORM, NORMAL], 2)
    mx, vx = 3.5, 9 / 12
    my, vy = 1.0, 0.25
    mean = mx * my + (vy + my**2)
    assert expansion.mean == pytest.approx(mean, rel=1e-13)
    # independent: Monte-Carlo-free variance of the same function by quadrature
    variance = expectation(lambda a, b: (a * b + b**2 - mean) ** 2, rules)
    assert expansion.variance == pytest.approx(variance, rel=1e-12)
    assert expansion.captured == pytest.approx(1.0, abs=1e-12)
    # first order of x: Var(E[f | x]) = Var(x my) = vx my^2
    assert expansion.first_order[0] == pytest.approx(vx * my**2 / variance, rel=1e-12)
    # total of x: E[Var(f | y)] = vx E[y^2]
    assert expansion.total[0] == pytest.approx(vx * (vy + my**2) / variance, rel=1e-12)
    assert expansion.total[1] >= expansion.first_order[1]


def test_a_truncated_expansion_says_how_much_variance_it_holds() -> None:
    rule = gauss_rule("uniform", {"lower": -math.pi, "upper": math.pi}, 20)
    low = expand(numpy.sin(rule[0]), [rule], [("uniform", {"lower": -math.pi,
                                                            "upper": math.pi})], 1)
    high = expand(numpy.sin(rule[0]), [rule], [("uniform", {"lower": -math.pi,
                                                             "upper": math.pi})], 11)
    assert low.captured < 0.95 < 1.0 - 1e-9 < high.captured
    assert high.variance == pytest.approx(0.5, rel=1e-9)  # Var(sin) on a full period


def test_mismatched_values_are_refused() -> None:
    rule = gauss_rule(*UNIFORM, 3)
    with pytest.raises(ValueError, match="do not match"):
        expand(numpy.zeros(4), [rule], [UNIFORM], 2)
    with pytest.raises(ValueError, match="no polynomials"):
        orthonormal("cauchy", {}, numpy.zeros(2), 2)
