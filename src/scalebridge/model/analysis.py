"""Facts derived from the typed model, shared by the validators and the composer.

Everything here is a pure function of a :class:`~scalebridge.model.types.Model`:

* :func:`measures` gives every variable its :class:`~scalebridge.model.dimensional.Measure`
  (dimension and SI scale), plus time ``t`` and the coordinates ``x``, ``y``;
* :func:`formula_measure` and :func:`quantity_measure` analyse a bound formula or a quantity
  in that environment;
* :func:`balance_measure` is what every term of a balance must be: capacity x field / time;
* :func:`si_value` evaluates a constant quantity (a parameter, a number with its unit, or a
  formula of such) in SI units, for estimates such as time scales and flow balances;
* :func:`owners` says which submodels each variable belongs to.

Example
-------
>>> import rdflib
>>> from scalebridge.model.build import build_model
>>> g = rdflib.Graph().parse(format="turtle", data='''
... @prefix sb: <https://w3id.org/scalebridge/ontology#> .
... @prefix : <https://example.org/a#> .
... :box a sb:Compartment ; sb:volume :V .
... :V a sb:Parameter ; sb:value 2.0 ; sb:unit "L" .
... :C a sb:Field ; sb:on :box ; sb:unit "mg/L" .
... :e a sb:Equation ; sb:rateOf :C ; sb:capacity :V .''')
>>> model, _ = build_model(g)
>>> env = measures(model)
>>> balance_measure(model, model.equations["https://example.org/a#e"], env).describe()
'kg s^-1'
>>> si_value(model, model.domains["https://example.org/a#box"].volume)
0.002
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping

import sympy

from scalebridge.model.dimensional import DIMENSIONLESS, UNKNOWN, Analysis, Measure, analyse
from scalebridge.model.dimensions import Dimension, UnitError, parse_unit
from scalebridge.model.types import (
    COORDINATES,
    IRI,
    BoundFormula,
    Equation,
    Expression,
    Model,
    QuantitySpec,
    Ref,
    Term,
    Value,
    VariableRole,
)

__all__ = [
    "TIME",
    "balance_measure",
    "fields_by_domain",
    "formula_measure",
    "measures",
    "owners",
    "quantity_measure",
    "referenced_variables",
    "si_value",
]

TIME = Measure(Dimension.of(T=1))
_LENGTH = Measure(Dimension.of(L=1))
_COORDINATE_MEASURES: Mapping[str, Measure] = {"@t": TIME, "@x": _LENGTH, "@y": _LENGTH}


def measures(model: Model) -> dict[IRI, Measure]:
    """The measure of every variable, keyed by IRI, and of the coordinate markers."""
    env = {iri: Measure.of(v.unit) for iri, v in model.variables.items()}
    env.update(_COORDINATE_MEASURES)
    return env


def formula_measure(formula: BoundFormula, env: Mapping[IRI, Measure]) -> Analysis:
    """Dimensional analysis of a bound formula, its names looked up through its bindings."""
    names = {name: env.get(iri, UNKNOWN) for name, iri in formula.bindings.items()}
    return analyse(formula.formula, names)


def quantity_measure(
    model: Model, spec: QuantitySpec | None, env: Mapping[IRI, Measure]
) -> tuple[Measure, Analysis | None]:
    """The measure of a quantity and, for a formula, its analysis.

    A formula that declares a unit (``[ sb:expression "..." ; sb:unit ... ]``) is taken to be
    in that unit; whether the formula agrees with it is for the units check to say.
    """
    if spec is None:
        return UNKNOWN, None
    if isinstance(spec, Ref):
        return env.get(spec.iri, UNKNOWN), None
    if isinstance(spec, Value):
        return (Measure.of(spec.unit) if spec.unit is not None else UNKNOWN), None
    analysis = formula_measure(spec.formula, env)
    if spec.unit is not None:
        return Measure.of(spec.unit), analysis
    return analysis.measure, analysis


def balance_measure(model: Model, equation: Equation, env: Mapping[IRI, Measure]) -> Measure:
    """What each term of ``equation`` must measure: capacity x field / time.

    For a steady balance this is still the dimension the terms share (the rate they would
    have if the balance were transient).
    """
    field = env.get(equation.field, UNKNOWN)
    capacity = (
        quantity_measure(model, equation.capacity, env)[0]
        if equation.capacity is not None
        else DIMENSIONLESS
    )
    if field.dimension is None or capacity.dimension is None:
        return UNKNOWN
    return Measure(
        capacity.dimension * field.dimension / Dimension.of(T=1),
        capacity.scale * field.scale,
    )


def si_value(model: Model, spec: QuantitySpec | None, depth: int = 0) -> float | None:
    """The value of a constant quantity in SI units, or None when it is not a constant.

    A parameter with a value, an inline number with its unit, or a formula whose names are all
    such constants (resolved recursively, to a bounded depth) are constants; fields, tables,
    random parameters and coordinates are not.
    """
    if spec is None or depth > 16:
        return None
    if isinstance(spec, Value):
        return spec.si_value()
    if isinstance(spec, Ref):
        variable = model.variables.get(spec.iri)
        if variable is None or variable.role is not VariableRole.PARAMETER:
            return None
        if variable.value is None:
            return None
        return variable.unit.to_si(variable.value) if variable.unit else variable.value
    return _formula_value(model, spec, depth)


def _formula_value(model: Model, spec: Expression, depth: int) -> float | None:
    formula = spec.formula
    substitutions: dict[sympy.Symbol, float] = {}
    for name, iri in formula.bindings.items():
        if iri in COORDINATES.values():
            return None
        value = si_value(model, Ref(iri=iri), depth + 1)
        if value is None:
            return None
        substitutions[sympy.Symbol(name, real=True)] = value
    for symbol, text in formula.formula.unit_literals.items():
        try:
            substitutions[sympy.Symbol(symbol, positive=True)] = parse_unit(text).scale
        except UnitError:
            return None
    try:
        result = complex(formula.formula.expr.xreplace(substitutions).evalf())
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if result.imag != 0 or not math.isfinite(result.real):
        return None
    value = result.real
    # A formula made of numbers alone is written in the quantity's declared unit.
    if not formula.bindings and not formula.formula.unit_literals and spec.unit is not None:
        value = spec.unit.to_si(value)
    return value


def referenced_variables(model: Model, spec: QuantitySpec | BoundFormula | None) -> set[IRI]:
    """The variables a quantity or formula refers to (coordinates excluded)."""
    if spec is None or isinstance(spec, Value):
        return set()
    if isinstance(spec, Ref):
        return {spec.iri}
    formula = spec.formula if isinstance(spec, Expression) else spec
    return {iri for iri in formula.bindings.values() if iri in model.variables}


def _term_references(model: Model, term: Term) -> set[IRI]:
    found: set[IRI] = set()
    for spec in (term.coefficient, term.velocity, term.velocity_y, term.rate, term.expression):
        found |= referenced_variables(model, spec)
    found |= set(term.flux_variables)
    return found | {f for f in (term.source_field, term.target_field) if f}


def owners(model: Model) -> dict[IRI, set[IRI]]:
    """Variable IRI -> the submodels it belongs to.

    A field belongs to the submodels on whose domains it lives, and so do the flow and
    potential variables of the ports on those domains; every variable named by a submodel's
    equations, terms, relations, domains and boundary conditions belongs to that submodel too.
    A variable may belong to several (a shared parameter), or to none (one only a bridge or a
    coupling mentions).
    """
    found: dict[IRI, set[IRI]] = defaultdict(set)
    on_domain = fields_by_domain(model)
    for submodel in model.submodels.values():
        used: set[IRI] = set()
        for domain_iri in submodel.domains:
            used.update(on_domain.get(domain_iri, ()))
        for port in model.ports.values():
            if port.domain in submodel.domains:
                used |= {v for v in (port.flow_variable, port.potential_variable) if v}
        for iri in submodel.equations:
            equation = model.equations.get(iri)
            if equation is None:
                continue
            used.add(equation.field)
            used |= referenced_variables(model, equation.capacity)
            for term in equation.terms:
                used |= _term_references(model, term)
        for iri in submodel.relations:
            relation = model.relations.get(iri)
            if relation is None:
                continue
            used |= referenced_variables(model, relation.formula)
            used |= {v for v in (relation.target,) if v}
            used |= set(relation.strain_variables) | set(relation.internal_variables)
        for domain_iri in submodel.domains:
            domain = model.domains.get(domain_iri)
            if domain is None:
                continue
            for spec in (domain.length, domain.width, domain.height, domain.volume,
                         domain.spacing):
                used |= referenced_variables(model, spec)
            for boundary in domain.boundaries:
                c = boundary.condition
                for spec in (c.value, c.flux, c.coefficient, c.ambient):
                    used |= referenced_variables(model, spec)
        for iri in list(used):
            initial = model.variables[iri].initial if iri in model.variables else None
            if initial is not None and not isinstance(initial, float):
                used |= referenced_variables(model, initial)
        for iri in used:
            if iri in model.variables:
                found[iri].add(submodel.iri)
    return dict(found)


def fields_by_domain(model: Model) -> dict[IRI, list[IRI]]:
    """Domain IRI -> the fields living on it, sorted (one pass over the variables)."""
    found: dict[IRI, list[IRI]] = defaultdict(list)
    for variable in model.variables.values():
        if variable.role is VariableRole.FIELD and variable.domain is not None:
            found[variable.domain].append(variable.iri)
    return {domain: sorted(fields) for domain, fields in found.items()}
