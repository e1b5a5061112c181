"""Lowering energy functionals: strains, internal variables, and the units of the stiffness."""

from __future__ import annotations

from scalebridge.composer.ir import (
    EnergyIR,
)
from scalebridge.composer.support import (
    declared_value,
    symbol_of,
    unsupported,
)
from scalebridge.diagnostics import Diagnostic
from scalebridge.model.analysis import formula_measure, measures
from scalebridge.model.dimensions import Dimension
from scalebridge.model.junctions import formula_expression
from scalebridge.model.types import (
    Model,
    RelationKind,
    Variable,
    VariableRole,
)

__all__ = ["lower_energies"]


# -- energy functionals ----------------------------------------------------------------------


def lower_energies(model: Model) -> tuple[tuple[EnergyIR, ...], list[Diagnostic]]:
    """Each energy functional with its strains, internal variables and the SI units of its
    stiffness (energy over the product of two strains) and stress (energy over a strain)."""
    found: list[EnergyIR] = []
    problems: list[Diagnostic] = []
    env = measures(model)
    for relation in sorted(model.relations.values(), key=lambda r: r.iri):
        if relation.kind is not RelationKind.ENERGY:
            continue
        strains = [model.variables[i] for i in relation.strain_variables if i in model.variables]
        internals = [model.variables[i] for i in relation.internal_variables
                     if i in model.variables]
        if not strains:
            problems.append(unsupported("an energy functional needs sb:strainVariables",
                                         relation.iri))
            continue
        energy = formula_expression(model, relation.formula)
        allowed = {symbol_of(v) for v in model.variables.values()
                   if v.role in (VariableRole.PARAMETER, VariableRole.ALGEBRAIC)}
        if not energy.free_symbols <= allowed | {symbol_of(v) for v in strains + internals}:
            problems.append(unsupported("an energy functional of fields (a state) is not "
                                         "lowered yet", relation.iri))
            continue
        measure = formula_measure(relation.formula, env).measure.dimension

        def per(dimension: Dimension | None, *divisors: Variable) -> str:
            if dimension is None:
                return "SI (unknown dimension)"
            for divisor in divisors:
                if divisor.unit is None:
                    return "SI (unknown dimension)"
                dimension = dimension / divisor.unit.dimension
            return dimension.to_si_string() or "1"

        found.append(EnergyIR(
            name=relation.name,
            iri=relation.iri,
            energy=energy,
            strains=tuple(v.name for v in strains),
            internals=tuple(v.name for v in internals),
            strain_values=tuple(
                v.name if v.role is VariableRole.PARAMETER and declared_value(v) is not None
                else None for v in strains),
            units=tuple(tuple(per(measure, a, b) for b in strains) for a in strains),
            stress_units=tuple(per(measure, a) for a in strains),
        ))
    return tuple(found), problems
