"""What a run reports beyond time series, for the static parts of a model.

* An average over random parameters (an averaging bridge ``sb:over``): the source's
  conditional mean given each averaged parameter, at that parameter's Gauss nodes (what the
  average is made of: a grain's stiffness against its orientation, say).
* An average over random parameters with a polynomial order: its chaos expansion (mean,
  variance, Sobol's first-order and total indices of each averaged parameter).
* An energy functional with dimensionless strains: its stress against each strain from -2 % to
  +2 % with the other strains at their values (internal variables relaxed at every point), the
  nonlinearity the stiffness at one point does not show.

Values are in the declared units (the stresses in SI).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy
import sympy
from numpy.typing import NDArray

from scalebridge.composer.expectations import Expectation, RuleSpec, rules_of
from scalebridge.composer.interpret import evaluate
from scalebridge.composer.ir import EnergyIR, ProgramIR, constant_derived
from scalebridge.solvers import quadrature
from scalebridge.solvers.chaos import Expansion, expand

__all__ = [
    "AverageProfile", "ChaosResult", "average_profiles", "chaos_expansions", "energy_curves",
]

STRAIN_RANGE = 0.02  # the energy curves span -2 % to +2 % about each strain's value
STRAIN_POINTS = 21


@dataclass(frozen=True)
class AverageProfile:
    """An average over random parameters: ``value`` (declared ``unit``) and, for each averaged
    parameter ``(name, unit, nodes, conditional means)``, in declared units."""

    target: str
    unit: str
    value: float
    parameters: tuple[tuple[str, str, NDArray[numpy.float64], NDArray[numpy.float64]], ...]


def average_profiles(program: ProgramIR, p_values: Mapping[str, Any]) -> list[AverageProfile]:
    """The profile of every average over random parameters in ``program``."""
    env: dict[sympy.Symbol, Any] = {sympy.Symbol(name, real=True): value
                                    for name, value in p_values.items()
                                    if isinstance(value, int | float | numpy.floating)}
    declared = {p.name: p for p in program.parameters}
    found = []
    for derived in constant_derived(program):
        if not isinstance(derived.expr, Expectation):
            continue
        rules = rules_of(derived.expr)
        built = [quadrature.gauss_rule(r.kind, r.parameters, r.points, scale=r.scale,
                                  offset=r.offset)
                 for r in rules]
        d = len(rules)
        local = dict(env)
        weight = numpy.ones((1,) * d)
        for axis, (rule, (nodes, weights)) in enumerate(zip(rules, built, strict=True)):
            shape = [1] * d
            shape[axis] = len(nodes)
            local[rule.symbol] = nodes.reshape(shape)
            weight = weight * weights.reshape(shape)
        values = numpy.broadcast_to(numpy.asarray(evaluate(derived.expr.args[0], local),
                                                  dtype=float), weight.shape)
        values = (values - derived.offset) / derived.scale
        parameters = []
        for axis, (rule, (nodes, weights)) in enumerate(zip(rules, built, strict=True)):
            others = tuple(i for i in range(d) if i != axis)
            conditional = numpy.sum(weight * values, axis=others) / weights
            info = declared.get(rule.symbol.name)
            unit = info.unit if info is not None else "SI"
            parameters.append((rule.symbol.name, unit,
                               (nodes - rule.offset) / rule.scale, conditional))
        found.append(AverageProfile(derived.name, derived.unit,
                                    float(numpy.sum(weight * values)), tuple(parameters)))
    return found


def energy_curves(energy: EnergyIR, function: Callable[[dict[str, Any]], Mapping[str, Any]],
                  p: Mapping[str, Any]
                  ) -> dict[str, tuple[NDArray[numpy.float64], NDArray[numpy.float64]]]:
    """Stress against strain along each dimensionless strain that a parameter holds: the
    strain from its value - 2 % to + 2 %, the others at their values."""
    curves = {}
    for i, (strain, holder) in enumerate(zip(energy.strains, energy.strain_values,
                                             strict=True)):
        if holder is None or energy.stress_units[i] != energy.units[i][i]:
            continue  # not held by a parameter, or not dimensionless
        base = float(p[holder])
        strains = base + numpy.linspace(-STRAIN_RANGE, STRAIN_RANGE, STRAIN_POINTS)
        stresses = []
        for value in strains:
            found = function({**p, holder: float(value)})
            stresses.append(float(numpy.asarray(found["stress"], dtype=float)[i]))
        curves[strain] = (strains, numpy.asarray(stresses, dtype=numpy.float64))
    return curves


@dataclass(frozen=True)
class ChaosResult:
    """The chaos expansion of an averaged quantity: in the target's declared unit, with the
    averaged parameters' names in order."""

    target: str
    unit: str
    parameters: tuple[str, ...]
    expansion: Expansion


def chaos_expansions(program: ProgramIR, p_values: Mapping[str, Any]) -> list[ChaosResult]:
    """The expansion of every average the model asks one of (sb:polynomialOrder)."""
    orders = dict(program.expansions)
    found = []
    for derived in constant_derived(program):
        if derived.name not in orders or not isinstance(derived.expr, Expectation):
            continue
        rules = rules_of(derived.expr)
        built, local, declared = _grid(rules, p_values)
        values = numpy.broadcast_to(numpy.asarray(evaluate(derived.expr.args[0], local),
                                                  dtype=float),
                                    tuple(len(nodes) for nodes, _w in built))
        values = (values - derived.offset) / derived.scale
        expansion = expand(values, built, [(r.kind, r.parameters) for r in rules],
                           orders[derived.name], declared_nodes=declared)
        found.append(ChaosResult(derived.name, derived.unit,
                                 tuple(r.symbol.name for r in rules), expansion))
    return found


def _grid(rules: list[RuleSpec], p_values: Mapping[str, Any]
          ) -> tuple[list[quadrature.Rule], dict[sympy.Symbol, Any],
                     list[NDArray[numpy.float64]]]:
    """The rules built, the evaluation environment with the nodes broadcast along their axes,
    and the nodes in declared units."""
    env: dict[sympy.Symbol, Any] = {sympy.Symbol(name, real=True): value
                                    for name, value in p_values.items()
                                    if isinstance(value, int | float | numpy.floating)}
    built = [quadrature.gauss_rule(r.kind, r.parameters, r.points, scale=r.scale,
                                   offset=r.offset) for r in rules]
    d = len(rules)
    declared = []
    for axis, (rule, (nodes, _weights)) in enumerate(zip(rules, built, strict=True)):
        shape = [1] * d
        shape[axis] = len(nodes)
        env[rule.symbol] = nodes.reshape(shape)
        declared.append((nodes - rule.offset) / rule.scale)
    return built, env, declared
