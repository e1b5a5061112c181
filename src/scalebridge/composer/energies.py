"""Lowering energy functionals: strains, internal variables, and the units of the stiffness."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from scalebridge.composer.ir import (
    DerivedIR,
    EnergyIR,
)
from scalebridge.composer.support import (
    declared_value,
    inline_derived,
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

__all__ = ["EnergyDerivatives", "energy_derivatives", "lower_energies"]


# -- energy functionals ----------------------------------------------------------------------


def lower_energies(model: Model, derived: tuple[DerivedIR, ...] = ()
                   ) -> tuple[tuple[EnergyIR, ...], list[Diagnostic]]:
    """Each energy functional with its strains, internal variables and the SI units of its
    stiffness (energy over the product of two strains) and stress (energy over a strain).

    Algebraic variables the energy uses (a deformed bond's length, say) are replaced by their
    defining formulas, so that derivatives with respect to the strains go through them."""
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
        energy = inline_derived(formula_expression(model, relation.formula), derived)
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
            ratio_units=tuple(tuple(_ratio(b, a) for b in strains) for a in strains),
        ))
    return tuple(found), problems


def _ratio(numerator: Variable, denominator: Variable) -> str:
    """The SI unit of a contraction ratio -S_ij/S_ii: strain j per strain i."""
    if numerator.unit is None or denominator.unit is None:
        return "SI (unknown dimension)"
    return (numerator.unit.dimension / denominator.unit.dimension).to_si_string() or "1"


@dataclass(frozen=True)
class EnergyDerivatives:
    """First and second derivatives of an energy W(e, z): ``stress`` dW/de, ``gradient`` dW/dz,
    ``strain_hessian`` d2W/de2, ``mixed`` d2W/dedz and ``internal_hessian`` d2W/dz2."""

    stress: list[sympy.Expr]
    gradient: list[sympy.Expr]
    strain_hessian: list[list[sympy.Expr]]
    mixed: list[list[sympy.Expr]]
    internal_hessian: list[list[sympy.Expr]]


def energy_derivatives(energy: EnergyIR) -> EnergyDerivatives:
    """The derivatives the relaxation and the stiffness need, each second derivative taken as
    the derivative of a first one: SymPy's ``diff(W, a, b)`` tidies a second derivative with
    ``factor_terms``, which takes minutes on a lattice energy of a few bonds and angles."""
    strains = [sympy.Symbol(n, real=True) for n in energy.strains]
    internals = [sympy.Symbol(n, real=True) for n in energy.internals]
    stress = [sympy.diff(energy.energy, a) for a in strains]
    gradient = [sympy.diff(energy.energy, z) for z in internals]
    return EnergyDerivatives(
        stress=stress,
        gradient=gradient,
        strain_hessian=[[sympy.diff(d, b) for b in strains] for d in stress],
        mixed=[[sympy.diff(d, z) for z in internals] for d in stress],
        internal_hessian=[[sympy.diff(g, z) for z in internals] for g in gradient],
    )
