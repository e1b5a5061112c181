"""Polynomial chaos expansions on a tensor Gauss grid, and the Sobol indices they give.

Each random parameter has the orthonormal polynomials of its distribution (Askey scheme):
Legendre for a uniform one, probabilists' Hermite for a normal one and for the logarithm of a
log-normal one, normalised so that E[psi_j psi_k] = delta_jk.  A function sampled on the tensor
product of the parameters' Gauss rules (:mod:`scalebridge.solvers.quadrature`) is projected on
them: c_a = E[f psi_a], exact for the polynomial part up to the rule's degree.  Keeping the
total degree |a| <= p gives the expansion; its variance is the sum of c_a^2 over a != 0, and
Sobol's indices are sums of c_a^2 over sets of multi-indices (Sudret 2008): the first-order
index of X_i over the a that involve X_i alone, the total one over every a that involves it.

Example
-------
>>> import numpy as np
>>> from scalebridge.solvers.quadrature import gauss_rule
>>> rules = [gauss_rule("uniform", {"lower": -1.0, "upper": 1.0}, 4)] * 2
>>> x, y = np.meshgrid(rules[0][0], rules[1][0], indexing="ij")
>>> expansion = expand(x + 2 * y**2, rules, [("uniform", {"lower": -1.0, "upper": 1.0})] * 2, 3)
>>> round(expansion.mean, 12), round(expansion.variance, 12)   # 2/3, 1/3 + 4 * 4/45
(0.666666666667, 0.688888888889)
>>> [round(s, 6) for s in expansion.first_order]
[0.483871, 0.516129]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product

import numpy
from numpy.typing import NDArray

from scalebridge.solvers.quadrature import Rule

__all__ = ["Expansion", "expand", "orthonormal"]


def _standard(kind: str, parameters: Mapping[str, float], declared: NDArray[numpy.float64]
              ) -> NDArray[numpy.float64]:
    """The standard variable of a distribution at declared values: [-1, 1] for a uniform one,
    a standard normal for the others."""
    if kind == "uniform":
        lower, upper = parameters["lower"], parameters["upper"]
        return numpy.asarray(2.0 * (declared - lower) / (upper - lower) - 1.0)
    if kind == "normal":
        return numpy.asarray((declared - parameters["mean"]) / parameters["sd"])
    if kind == "log_normal":
        return numpy.asarray(numpy.log(declared / parameters["median"]) / parameters["log_sd"])
    raise ValueError(f"no polynomials for a '{kind}' distribution")


def orthonormal(kind: str, parameters: Mapping[str, float], declared: NDArray[numpy.float64],
                degree: int) -> NDArray[numpy.float64]:
    """psi_k at the declared values, k = 0..degree: rows are degrees, E[psi_j psi_k] = d_jk."""
    xi = _standard(kind, parameters, numpy.asarray(declared, dtype=float))
    rows = []
    for k in range(degree + 1):
        unit = numpy.zeros(k + 1)
        unit[k] = 1.0
        if kind == "uniform":
            rows.append(numpy.polynomial.legendre.legval(xi, unit) * math.sqrt(2 * k + 1))
        else:
            norm = math.sqrt(math.factorial(k))
            rows.append(numpy.polynomial.hermite_e.hermeval(xi, unit) / norm)
    return numpy.asarray(rows)


@dataclass(frozen=True)
class Expansion:
    """A polynomial chaos expansion of total degree ``order``: ``coefficients`` by multi-index,
    the mean and variance it gives, Sobol's ``first_order`` and ``total`` indices per
    parameter, and ``captured``: the share of the function's variance on the grid that the
    truncated expansion holds (1 when the order suffices)."""

    order: int
    coefficients: dict[tuple[int, ...], float]
    mean: float
    variance: float
    first_order: tuple[float, ...]
    total: tuple[float, ...]
    captured: float


def expand(values: NDArray[numpy.float64], rules: Sequence[Rule],
           distributions: Sequence[tuple[str, Mapping[str, float]]], order: int,
           declared_nodes: Sequence[NDArray[numpy.float64]] | None = None) -> Expansion:
    """The expansion of ``values`` (the function on the tensor grid of ``rules``, axis i for
    parameter i) in the polynomials of ``distributions`` (kind, parameters in declared units)
    up to total degree ``order``.  ``declared_nodes`` are the nodes in declared units (the
    rules' own nodes when None)."""
    d = len(rules)
    grid = numpy.asarray(values, dtype=float)
    if grid.shape != tuple(len(nodes) for nodes, _w in rules):
        raise ValueError(f"values of shape {grid.shape} do not match the rules")
    coefficients_full = grid
    for axis, ((nodes, weights), (kind, parameters)) in enumerate(
            zip(rules, distributions, strict=True)):
        declared = nodes if declared_nodes is None else declared_nodes[axis]
        basis = orthonormal(kind, parameters, declared, order) * weights  # (p + 1, n)
        coefficients_full = numpy.moveaxis(
            numpy.tensordot(basis, coefficients_full, axes=([1], [axis])), 0, axis)
    kept = {index: float(coefficients_full[index])
            for index in product(range(order + 1), repeat=d) if sum(index) <= order}
    zero = (0,) * d
    mean = kept[zero]
    variance = sum(c * c for index, c in kept.items() if index != zero)
    weight = numpy.ones((1,) * d)
    for axis, (_nodes, weights) in enumerate(rules):
        shape = [1] * d
        shape[axis] = len(weights)
        weight = weight * weights.reshape(shape)
    grid_variance = float(numpy.sum(weight * (grid - numpy.sum(weight * grid)) ** 2))
    first, total = [], []
    for i in range(d):
        alone = sum(c * c for index, c in kept.items()
                    if index[i] > 0 and all(index[j] == 0 for j in range(d) if j != i))
        involved = sum(c * c for index, c in kept.items() if index[i] > 0)
        first.append(alone / variance if variance > 0 else 0.0)
        total.append(involved / variance if variance > 0 else 0.0)
    return Expansion(order, kept, mean, variance, tuple(first), tuple(total),
                     variance / grid_variance if grid_variance > 0 else 1.0)
