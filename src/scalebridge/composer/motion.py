"""Lowering equations of motion: a chain of particles or a bar of finite elements.

An sb:EquationOfMotion says ``mass * d2u/dt2 = -dE/du`` for a displacement field u, with E
the sum of its stored energy over the chain's bonds (E per bond, of the stretch
u[i+1] - u[i]) or over the bar's length (E per unit length, of the strain du/dx).  The
lowering keeps the energy symbolic (SI) in its one strain variable; the generated code
differentiates it with SymPy for the force and the stiffness, and hands the pieces to
:mod:`scalebridge.solvers.handshake`.

The units of the mass and the energy (per particle and bond on a chain, per unit length on a
bar) are the validator's rule 12 (:mod:`scalebridge.validators.units`).
"""

from __future__ import annotations

import sympy

from scalebridge.composer.ir import DerivedIR, MotionIR, StateIR, T, X, Y
from scalebridge.composer.support import (
    initial_expression,
    inline_derived,
    symbol_of,
    unsupported,
)
from scalebridge.diagnostics import Diagnostic
from scalebridge.model.analysis import si_value
from scalebridge.model.junctions import formula_expression, si_expression
from scalebridge.model.types import DomainKind, Equation, Model, RelationKind, Variable

__all__ = ["lower_motion"]


def lower_motion(
    model: Model, equation: Equation, state: StateIR, derived: tuple[DerivedIR, ...]
) -> tuple[MotionIR | None, list[Diagnostic]]:
    """The equation of motion ``equation`` of the field ``state``, lowered; or the reasons
    it cannot be."""
    variable = model.variables[equation.field]
    domain = model.domains.get(variable.domain or "")
    relation = model.relations.get(equation.stored_energy or "")
    if domain is None or relation is None or relation.kind is not RelationKind.ENERGY:
        return None, [unsupported("an equation of motion needs a domain and an energy "
                                  "functional (sb:storedEnergy)", equation.iri)]
    strains = [model.variables[i] for i in relation.strain_variables if i in model.variables]
    if len(strains) != 1 or relation.internal_variables:
        return None, [unsupported("the stored energy of an equation of motion is a function of "
                                  "one strain variable (and no internal variables)",
                                  relation.iri)]
    if domain.boundaries:
        return None, [unsupported("boundary conditions on the domain of an equation of motion "
                                  "are not lowered yet (its ends are free)", domain.iri)]
    origin = si_value(model, domain.origin) if domain.origin is not None else 0.0
    if domain.kind is DomainKind.PARTICLE_CHAIN:
        kind, points = "chain", domain.cells[0] if domain.cells else 0
        spacing = si_value(model, domain.spacing)
    elif domain.kind is DomainKind.INTERVAL and domain.cells:
        kind, points = "bar", domain.cells[0] + 1
        length = si_value(model, domain.length)
        spacing = None if length is None else length / domain.cells[0]
    else:
        return None, [unsupported("an equation of motion lives on a particle chain or an "
                                  "interval", equation.iri)]
    if origin is None or spacing is None or spacing <= 0 or points < 2:
        return None, [unsupported("the domain of an equation of motion needs a constant "
                                  "spacing (or length), an origin and at least two points",
                                  domain.iri)]
    mass = si_expression(model, equation.mass)
    assert mass is not None  # the shapes require sb:mass
    mass = inline_derived(mass, derived)
    energy = inline_derived(formula_expression(model, relation.formula), derived)
    strain = symbol_of(strains[0])
    fields = {symbol_of(v) for v in model.variables.values() if v.domain is not None}
    fields |= {T, X, Y}  # nor of position or time: one mass and one law for every point
    if (mass.free_symbols | (energy.free_symbols - {strain})) & fields:
        return None, [unsupported("the mass and stored energy of an equation of motion are "
                                  "constants and a function of the strain alone",
                                  equation.iri)]
    return MotionIR(
        state=state.name, kind=kind, points=points, origin=float(origin),
        spacing=float(spacing), mass=mass, energy=energy, strain=strains[0].name,
        initial=state.initial, velocity=_velocity(model, variable, state),
    ), []


def _velocity(model: Model, variable: Variable, state: StateIR) -> sympy.Expr:
    """The initial velocity (SI expression of x); numbers are in the field's unit per second
    (a rate of change: the unit's scale applies, its offset does not)."""
    return initial_expression(model, variable.initial_velocity, state.scale, 0.0)
