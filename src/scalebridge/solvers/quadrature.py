"""Expectations over independent random parameters by tensor-product Gauss rules.

A rule is one parameter's nodes (SI) and weights (summing to one), matched to its
distribution: Gauss-Legendre for a uniform one, Gauss-Hermite (probabilists') for a normal one
and for the logarithm of a log-normal one.  An ``n``-point rule integrates polynomials of
degree ``2n - 1`` in the parameter (in its logarithm, for a log-normal one) exactly.

Example
-------
>>> rule = gauss_rule("uniform", {"lower": 0.0, "upper": 2.0}, 3)
>>> round(float(expectation(lambda x: x**2, [rule])), 12)   # E[x^2] for x ~ U(0, 2) is 4/3
1.333333333333
>>> normal = gauss_rule("normal", {"mean": 1.0, "sd": 0.5}, 4)
>>> round(float(expectation(lambda x, y: x * y**2, [normal, rule])), 12)  # 1 * 4/3
1.333333333333
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy
from numpy.typing import NDArray

__all__ = ["DEFAULT_NODES", "MAX_NODES", "Rule", "expectation", "gauss_rule"]

Rule = tuple[NDArray[numpy.float64], NDArray[numpy.float64]]

DEFAULT_NODES = 20  # Gauss points per parameter when a model does not say (sb:quadratureNodes)
MAX_NODES = 1_000_000  # points of a product rule: more is a design of experiments, not an average


def gauss_rule(kind: str, parameters: Mapping[str, float], points: int, *,
               scale: float = 1.0, offset: float = 0.0) -> Rule:
    """The ``points``-point Gauss rule of one distribution (``kind`` one of ``uniform``,
    ``normal``, ``log_normal``; ``parameters`` in the declared unit, as the model gives them),
    its nodes converted to SI by ``si = declared * scale + offset``."""
    if points < 1:
        raise ValueError("a Gauss rule needs at least one point")
    if kind == "uniform":
        x, w = numpy.polynomial.legendre.leggauss(points)
        lower, upper = parameters["lower"], parameters["upper"]
        declared = lower + (upper - lower) * (x + 1.0) / 2.0
        weights = w / 2.0
    elif kind in ("normal", "log_normal"):
        x, w = numpy.polynomial.hermite_e.hermegauss(points)
        weights = w / math.sqrt(2.0 * math.pi)
        if kind == "normal":
            declared = parameters["mean"] + parameters["sd"] * x
        else:
            declared = parameters["median"] * numpy.exp(parameters["log_sd"] * x)
    else:
        raise ValueError(f"no Gauss rule for a '{kind}' distribution")
    return (numpy.asarray(declared * scale + offset, dtype=float),
            numpy.asarray(weights / weights.sum(), dtype=float))


def expectation(function: Callable[..., object], rules: Sequence[Rule]) -> float:
    """E[function(X1, ..., Xd)] for independent Xi with the given rules: the function is
    called once, with the nodes as arrays broadcast against each other (axis i for Xi)."""
    count = math.prod(len(nodes) for nodes, _ in rules)
    if count > MAX_NODES:
        raise ValueError(f"a product rule of {count} points is too large (at most {MAX_NODES})")
    d = len(rules)
    args, weight = [], numpy.ones((1,) * d)
    for i, (nodes, weights) in enumerate(rules):
        shape = [1] * d
        shape[i] = len(nodes)
        args.append(nodes.reshape(shape))
        weight = weight * weights.reshape(shape)
    values = numpy.broadcast_to(numpy.asarray(function(*args), dtype=float), weight.shape)
    return float(numpy.sum(weight * values))
