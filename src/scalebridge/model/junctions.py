"""The conservation laws at interfaces, generated from the model rather than written by hand.

Ports follow the through/across semantics of Modelica connectors.  Every port has a *flow*
(through) variable, the rate at which the balanced quantity enters its domain through the port,
and a *potential* (across) variable, the value the port presents.  For every sb:Junction (and
every sb:Interface, a junction of two ports) scalebridge generates

* one flow balance: the flow variables of the joined ports sum to zero, and
* one potential equality per port after the first: ``potential(p0) - potential(pi) = 0``.

A port's flow and potential are SymPy symbols named ``<port>_flow`` and ``<port>_potential``
from the port's Python-safe name, or the symbol of the sb:flowVariable / sb:potentialVariable it
declares.  What the potential equals (:attr:`PortVariables.value`) is the port's sb:potential
quantity when it has one (its formula, through its bindings), else the field it carries.

Exchanges (:func:`exchanges`, the one description every check and the composer use) move an
amount per unit time out of one field's balance and into another's.  A standalone sb:Transfer
moves its sb:rate (or the rate its formula gives).  A carrier flow (blood, gas, a river) from
an end A to an end B at volumetric rate Q moves ``Q x (value leaving A)``
(:func:`carrier_transfers` gives these as SymPy expressions).  The value leaving a port is its
potential; the value leaving a compartment is its field.  A compartment end moves every field
on the compartment, paired with the one field at the other end that conserves the same
quantity (or, when neither conserves a declared quantity, the one field of the same dimension;
or the only field there); a port end moves the field it carries.  A standalone sb:Transfer that
names the flow as its sb:carrier says explicitly which fields the flow moves, and then replaces
the pairing for that flow.

Symbols and units: every expression built here is to be evaluated with each variable in SI base
units.  A symbol is ``Symbol(variable.name, real=True)`` (the model-wide unique Python name),
time and the coordinates are ``t``, ``x`` and ``y``, an inline number is its SI value and a unit
literal in a formula is its SI scale.  A dimensionally consistent formula evaluated so gives its
result in SI, whatever units its parts were declared in (``Q*C`` with Q in L/h and C in mg/L
gives kg/s).

Example
-------
>>> import rdflib
>>> from scalebridge.model.build import build_model
>>> g = rdflib.Graph().parse(format="turtle", data='''
... @prefix sb: <https://w3id.org/scalebridge/ontology#> .
... @prefix : <https://example.org/j#> .
... :a a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit "L" ] .
... :b a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit "L" ] .
... :Ca a sb:Field ; sb:on :a ; sb:unit "mg/L" .
... :Cb a sb:Field ; sb:on :b ; sb:unit "mg/L" .
... :pa a sb:Port ; sb:portOf :a ; sb:carries :Ca .
... :pb a sb:Port ; sb:portOf :b ; sb:carries :Cb .
... :j a sb:Interface ; sb:joins :pa, :pb .
... :Q a sb:Parameter ; sb:value 2 ; sb:unit "L/h" .
... :f a sb:CarrierFlow ; sb:from :a ; sb:to :b ; sb:rate :Q .''')
>>> model, _ = build_model(g)
>>> (eqs,) = generate_junction_equations(model)
>>> eqs.flow_balance, eqs.potential_equalities
(pa_flow + pb_flow, (pa_potential - pb_potential,))
>>> [(t.rate, t.target_field) for t in carrier_transfers(model)]
[(Ca*Q, 'https://example.org/j#Cb')]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import sympy

from scalebridge.model.dimensions import UnitError, parse_unit
from scalebridge.model.types import (
    COORDINATES,
    IRI,
    BoundFormula,
    CarrierFlow,
    Expression,
    Model,
    QuantitySpec,
    Ref,
    Value,
    VariableRole,
)

__all__ = [
    "CarrierTransfer",
    "Exchange",
    "JunctionEquations",
    "PortVariables",
    "balances",
    "carrier_transfers",
    "conserved_quantity",
    "exchanges",
    "formula_expression",
    "generate_junction_equations",
    "port_variables",
    "si_expression",
    "variable_symbol",
]

_COORDINATE_NAMES: Mapping[IRI, str] = {marker: name for name, marker in COORDINATES.items()}


@dataclass(frozen=True, slots=True)
class PortVariables:
    """A port's through and across symbols, and what its potential equals."""

    port: IRI
    flow: sympy.Symbol
    potential: sympy.Symbol
    value: sympy.Expr

    @property
    def definition(self) -> sympy.Expr:
        """``potential - value``: zero when the port presents the value it should."""
        return self.potential - self.value


@dataclass(frozen=True, slots=True)
class JunctionEquations:
    """The generated equations of one junction, each an expression equal to zero.

    ``flow_balance`` is the sum of the joined ports' flows; ``potential_equalities`` equate the
    first port's potential with each other port's; ``ports`` give every port's symbols and the
    value its potential stands for (``PortVariables.definition``).
    """

    junction: IRI
    ports: tuple[PortVariables, ...]
    flow_balance: sympy.Expr
    potential_equalities: tuple[sympy.Expr, ...]

    @property
    def equations(self) -> tuple[sympy.Expr, ...]:
        """Every equation of the junction: flow balance, equalities, potential definitions."""
        definitions = tuple(p.definition for p in self.ports if p.definition != 0)
        return (self.flow_balance, *self.potential_equalities, *definitions)


@dataclass(frozen=True, slots=True)
class Exchange:
    """An amount moved per unit time out of the balance of ``source`` into that of ``target``.

    The amount rate is ``rate`` (a transfer's own rate, an amount per time) or, for a carried
    exchange, ``flow.rate`` times ``leaving`` (the value that leaves with the carrier: the source
    port's potential) or, when ``leaving`` is None, times the source field itself.  ``target``
    is None when nothing at the receiving end takes the amount up (a fault the conservation
    check reports).  ``origin`` is the sb:Transfer or sb:CarrierFlow that declared it.
    """

    origin: IRI
    source: IRI
    target: IRI | None
    rate: QuantitySpec | None = None
    flow: CarrierFlow | None = None
    leaving: QuantitySpec | None = None


@dataclass(frozen=True, slots=True)
class CarrierTransfer:
    """An amount rate moved by a carrier flow from one field's balance into another's.

    ``rate`` (flow rate x value leaving the source, in SI) leaves the balance of
    ``source_field`` and enters that of ``target_field``.  ``target_field`` is None when no field
    at the receiving end takes up what leaves (a fault the conservation check reports).
    ``transfer`` is the standalone sb:Transfer that declared the movement, when one did.
    """

    flow: IRI
    source_field: IRI
    target_field: IRI | None
    rate: sympy.Expr
    transfer: IRI | None = None


def variable_symbol(model: Model, iri: IRI) -> sympy.Symbol:
    """The symbol of a variable (its unique Python name) or of a coordinate marker."""
    if iri in _COORDINATE_NAMES:
        return sympy.Symbol(_COORDINATE_NAMES[iri], real=True)
    variable = model.variables.get(iri)
    name = variable.name if variable is not None else _fallback_name(iri)
    return sympy.Symbol(name, real=True)


def formula_expression(model: Model, formula: BoundFormula) -> sympy.Expr:
    """A bound formula as a SymPy expression in the model's symbols, unit literals in SI."""
    replacements: dict[sympy.Basic, sympy.Basic] = {
        sympy.Symbol(name, real=True): variable_symbol(model, iri)
        for name, iri in formula.bindings.items()
    }
    for symbol, text in formula.formula.unit_literals.items():
        try:
            scale = parse_unit(text).scale
        except UnitError:
            continue  # reported by the builder; the literal stays a symbol
        replacements[sympy.Symbol(symbol, positive=True)] = sympy.Float(scale)
    return formula.formula.expr.xreplace(replacements)


def si_expression(model: Model, spec: QuantitySpec | None) -> sympy.Expr | None:
    """A quantity as a SymPy expression to be evaluated in SI units (None when absent)."""
    if spec is None:
        return None
    if isinstance(spec, Ref):
        return variable_symbol(model, spec.iri)
    if isinstance(spec, Value):
        return sympy.Float(spec.si_value())
    return _expression_value(model, spec)


def _expression_value(model: Model, spec: Expression) -> sympy.Expr:
    expr = formula_expression(model, spec.formula)
    formula = spec.formula.formula
    # A formula of numbers alone is written in the quantity's declared unit (as si_value reads it).
    if not spec.formula.bindings and not formula.unit_literals and spec.unit is not None:
        return expr * sympy.Float(spec.unit.scale) + sympy.Float(spec.unit.offset)
    return expr


def balances(model: Model) -> dict[IRI, list[IRI]]:
    """Field IRI -> the equations that balance it (sorted)."""
    found: dict[IRI, list[IRI]] = defaultdict(list)
    for equation in model.equations.values():
        found[equation.field].append(equation.iri)
    return {field: sorted(eqs) for field, eqs in found.items()}


def conserved_quantity(model: Model, field: IRI) -> IRI | None:
    """The quantity the (first) balance of ``field`` conserves, or None."""
    for iri in balances(model).get(field, []):
        return model.equations[iri].conserves
    return None


def port_variables(model: Model, port: IRI) -> PortVariables:
    """The flow and potential symbols of ``port`` and the value its potential equals."""
    p = model.ports[port]
    taken = {v.name for v in model.variables.values()}
    flow = (
        variable_symbol(model, p.flow_variable)
        if p.flow_variable is not None
        else sympy.Symbol(_free_name(f"{p.name}_flow", taken), real=True)
    )
    potential = (
        variable_symbol(model, p.potential_variable)
        if p.potential_variable is not None
        else sympy.Symbol(_free_name(f"{p.name}_potential", taken), real=True)
    )
    value = si_expression(model, p.potential)
    if value is None:
        value = variable_symbol(model, p.field)
    return PortVariables(port=port, flow=flow, potential=potential, value=value)


def generate_junction_equations(model: Model) -> tuple[JunctionEquations, ...]:
    """The equations of every junction and interface, in IRI order."""
    out = []
    for junction in model.junctions.values():
        ports = tuple(port_variables(model, p) for p in junction.ports if p in model.ports)
        if len(ports) < 2:
            continue
        first = ports[0].potential
        out.append(
            JunctionEquations(
                junction=junction.iri,
                ports=ports,
                flow_balance=sympy.Add(*(p.flow for p in ports)),
                potential_equalities=tuple(first - p.potential for p in ports[1:]),
            )
        )
    return tuple(out)


def exchanges(model: Model) -> tuple[Exchange, ...]:
    """Every exchange of the model: standalone transfers first, then implied carrier flows."""
    out: list[Exchange] = []
    named: set[IRI] = set()
    for term in model.transfers.values():
        if term.source_field is None:
            continue
        if term.carrier is not None:
            flow = model.carrier_flows.get(term.carrier)
            if flow is None:
                continue
            named.add(flow.iri)
            port = model.ports.get(flow.source)
            own = port is not None and port.field == term.source_field
            leaving = port.potential if port is not None and own else None
            out.append(Exchange(term.iri, term.source_field, term.target_field, flow=flow,
                                leaving=leaving))
        elif term.rate is not None:
            out.append(Exchange(term.iri, term.source_field, term.target_field, rate=term.rate))
        elif term.expression is not None:
            rate = Expression(iri=term.iri, formula=term.expression, unit=None)
            out.append(Exchange(term.iri, term.source_field, term.target_field, rate=rate))
    quantities = {e.field: e.conserves for e in model.equations.values()}
    for flow in model.carrier_flows.values():
        if flow.iri in named:
            continue
        sources = _end_fields(model, flow.source)
        targets = [field for field, _leaving in _end_fields(model, flow.target)]
        for field, leaving in sources:
            partner = _partner(model, quantities, field, targets, len(sources))
            out.append(Exchange(flow.iri, field, partner, flow=flow, leaving=leaving))
    return tuple(out)


def carrier_transfers(model: Model) -> tuple[CarrierTransfer, ...]:
    """The carried exchanges as SymPy amount rates in SI (see the module docstring)."""
    out: list[CarrierTransfer] = []
    for exchange in exchanges(model):
        flow = exchange.flow
        if flow is None:
            continue
        rate = si_expression(model, flow.rate)
        if rate is None:
            continue
        leaving = si_expression(model, exchange.leaving)
        if leaving is None:
            leaving = variable_symbol(model, exchange.source)
        out.append(
            CarrierTransfer(
                flow=flow.iri,
                source_field=exchange.source,
                target_field=exchange.target,
                rate=rate * leaving,
                transfer=exchange.origin if exchange.origin != flow.iri else None,
            )
        )
    return tuple(out)


def _end_fields(model: Model, end: IRI) -> list[tuple[IRI, QuantitySpec | None]]:
    """The fields an end of a carrier flow moves, each with the value leaving through it."""
    port = model.ports.get(end)
    if port is not None:
        return [(port.field, port.potential)]
    return [
        (v.iri, None)
        for v in model.variables.values()
        if v.role is VariableRole.FIELD and v.domain == end
    ]


def _partner(
    model: Model, quantities: Mapping[IRI, IRI | None], field: IRI, targets: list[IRI],
    sources: int,
) -> IRI | None:
    if sources == 1 and len(targets) == 1:
        return targets[0]
    quantity = quantities.get(field)
    if quantity is not None:
        same = [t for t in targets if quantities.get(t) == quantity]
    else:
        unit = model.variables[field].unit
        same = [
            t
            for t in targets
            if quantities.get(t) is None
            and unit is not None
            and (other := model.variables[t].unit) is not None
            and other.dimension == unit.dimension
        ]
    return same[0] if len(same) == 1 else None


def _free_name(base: str, taken: set[str]) -> str:
    name, counter = base, 2
    while name in taken:
        name = f"{base}_{counter}"
        counter += 1
    return name


def _fallback_name(iri: IRI) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"), iri.rfind(":"))
    text = "".join(c if c.isalnum() or c == "_" else "_" for c in iri[cut + 1 :])
    return text if text and not text[0].isdigit() else f"v_{text}"
