"""Structure: is every unknown determined exactly once, and does every part fit where it stands?

Rules, each reported under its own code:

* **STRUCTURE_NO_INITIAL**: a field whose rate a transient balance gives has no initial value.
* **STRUCTURE_UNDERDETERMINED**: a field that no equation balances, or an algebraic variable that
  no relation defines or solves for, and that no scale bridge supplies either.  The strain
  variables of an energy functional are its inputs and its internal variables are determined by
  minimising it, so both count as determined.
* **STRUCTURE_OVERDETERMINED**: a field balanced by two equations; an algebraic variable defined
  twice; a quantity that a relation (or a homogenising, localising or parameter-passing bridge)
  determines although it is also given a value.  Boundary forcing and handshakes act on a
  field that its own balance determines, so they do not count.
* **STRUCTURE_ALGEBRAIC_LOOP** (information): algebraic relations that depend on each other in a
  cycle (a strongly connected component of the relation dependency graph), which the composer
  will solve as one nonlinear block.
* **STRUCTURE_NESTING_CYCLE**: one-way nestings (directed from the submodel that owns a bridge's
  sources to the one that owns its target) that form a cycle.
* **STRUCTURE_BRIDGE_OUTSIDE_COUPLING**: a coupling's bridge must read from one of the two
  coupled submodels and write to the other.
* **STRUCTURE_OPERATOR_DOMAIN**: diffusion or advection on a domain that is not an interval or a
  rectangle; a y velocity on an interval; a diffusion term's flux variables not one algebraic
  variable per direction of its domain; a boundary or port on a side the domain does not have
  (an interval has only sb:Left and sb:Right); a boundary constraining a field of another
  domain.  A boundary on a domain with several balanced fields must name its field
  (SHAPE_MISSING_VALUE).
* **STRUCTURE_AVERAGE_OVER**: an average over random parameters (an averaging bridge with
  sb:over) needs exactly one source and no sb:weights; each averaged parameter must be a
  parameter of the source's submodel with an sb:distribution (a source that does not depend on
  some of them is fine: a fibre texture leaves the stiffness along the fibre unchanged); and the
  product rule (sb:quadratureNodes to the power of their count) may have at most a million
  points.
* **STRUCTURE_ORPHAN** (warning): an equation, relation or domain that no submodel lists.

Example
-------
>>> import rdflib
>>> from scalebridge.model.build import build_model
>>> g = rdflib.Graph().parse(format="turtle", data='''
... @prefix sb: <https://w3id.org/scalebridge/ontology#> .
... @prefix : <https://example.org/s#> .
... :m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e .
... :box a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit "L" ] .
... :C a sb:Field ; sb:on :box ; sb:unit "mg/L" .
... :e a sb:Equation ; sb:rateOf :C .''')
>>> [d.code.value for d in check_structure(build_model(g)[0])]
['STRUCTURE_NO_INITIAL']
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import networkx as nx

from scalebridge.diagnostics import Code, Diagnostic
from scalebridge.model.analysis import fields_by_domain, owners, referenced_variables
from scalebridge.model.types import (
    IRI,
    BridgeKind,
    CouplingKind,
    DomainKind,
    Model,
    RelationKind,
    Side,
    TermKind,
    VariableRole,
)
from scalebridge.ontology.vocab import SB
from scalebridge.solvers.quadrature import DEFAULT_NODES

__all__ = ["check_structure"]

_SIDES: dict[DomainKind, frozenset[Side]] = {
    DomainKind.INTERVAL: frozenset({Side.LEFT, Side.RIGHT}),
    DomainKind.PARTICLE_CHAIN: frozenset({Side.LEFT, Side.RIGHT}),
    DomainKind.LATTICE: frozenset({Side.LEFT, Side.RIGHT}),
    DomainKind.RECTANGLE: frozenset(Side),
    DomainKind.COMPARTMENT: frozenset(),
}
_SPATIAL = frozenset({DomainKind.INTERVAL, DomainKind.RECTANGLE})
_ROLE_WORD = {VariableRole.FIELD: "field", VariableRole.ALGEBRAIC: "algebraic variable"}


def _kind(kind: DomainKind) -> str:
    word = kind.value.replace("_", " ")
    return ("an " if word[0] in "aeiou" else "a ") + word
# Bridges whose target is thereby determined (boundary forcing and handshakes act on a field
# that its own balance determines).
_DETERMINING = frozenset({
    BridgeKind.AVERAGING, BridgeKind.HOMOGENIZATION, BridgeKind.LOCALIZATION,
    BridgeKind.PARAMETER_PASSING, BridgeKind.SURROGATE,
})


def check_structure(model: Model) -> list[Diagnostic]:
    """Every structural finding of ``model``, in a stable order."""
    found: list[Diagnostic] = []
    found += _initial_values(model)
    found += _determinedness(model)
    found += _algebraic_loops(model)
    owner = owners(model)
    found += _nesting_cycles(model, owner)
    found += _bridges_in_couplings(model, owner)
    found += _averages_over(model, owner)
    found += _operators_and_sides(model)
    found += _orphans(model)
    return found


def _label(model: Model, iri: IRI) -> str:
    variable = model.variables.get(iri)
    return f"'{variable.symbol}'" if variable is not None else f"<{iri}>"


def _initial_values(model: Model) -> Iterable[Diagnostic]:
    for equation in model.equations.values():
        field = model.variables.get(equation.field)
        if equation.steady or field is None or field.initial is not None:
            continue
        if (field.iri, str(SB.initialValue)) in model.faulty:
            continue  # written, but unreadable: reported where it was read
        yield Diagnostic.make(
            Code.STRUCTURE_NO_INITIAL,
            f"field {_label(model, field.iri)} evolves by the balance <{equation.iri}> but has "
            "no initial value",
            subject=field.iri,
            path=str(SB.initialValue),
        )


def _determinedness(model: Model) -> Iterable[Diagnostic]:
    balances: dict[IRI, list[IRI]] = defaultdict(list)
    for equation in model.equations.values():
        balances[equation.field].append(equation.iri)
    defined: dict[IRI, list[IRI]] = defaultdict(list)
    inputs: set[IRI] = set()
    for relation in model.relations.values():
        if relation.target is not None:
            defined[relation.target].append(relation.iri)
        if relation.kind is RelationKind.ENERGY:
            inputs |= set(relation.strain_variables) | set(relation.internal_variables)
    for equation in model.equations.values():
        for term in equation.terms:  # a diffusion term defines its flux variables
            for flux in term.flux_variables:
                defined[flux].append(term.iri)
    supplied: dict[IRI, list[IRI]] = defaultdict(list)
    for bridge in model.bridges.values():
        if bridge.target is not None and bridge.kind in _DETERMINING:
            supplied[bridge.target].append(bridge.iri)
    for iri, variable in model.variables.items():
        role = variable.role
        ways = balances.get(iri, []) + defined.get(iri, []) + supplied.get(iri, [])
        if role is VariableRole.PARAMETER:
            given = variable.value is not None or variable.table is not None or (
                variable.distribution is not None)
            # A bridge the parameter names in sb:providedBy replaces its value (the default of
            # a reusable submodel run alone); any other second definition is one too many.
            providing = [w for w in supplied.get(iri, []) if w != variable.provided_by]
            others = [f"<{w}>" for w in defined.get(iri, []) + providing]
            if given and others:
                yield _over(model, iri, ["its own value", *others])
            elif len(others) > 1:
                yield _over(model, iri, others)
            continue
        if role not in (VariableRole.FIELD, VariableRole.ALGEBRAIC):
            continue
        if len(ways) > 1:
            yield _over(model, iri, [f"<{w}>" for w in ways])
        elif not ways and iri not in inputs:
            what = "no equation balances it" if role is VariableRole.FIELD else (
                "no relation defines it")
            yield Diagnostic.make(
                Code.STRUCTURE_UNDERDETERMINED,
                f"{_ROLE_WORD[role]} {_label(model, iri)} is not determined: {what} and no "
                "scale bridge supplies it",
                subject=iri,
            )


def _over(model: Model, iri: IRI, ways: list[str]) -> Diagnostic:
    return Diagnostic.make(
        Code.STRUCTURE_OVERDETERMINED,
        f"{_label(model, iri)} is determined {len(ways)} times: by " + ", ".join(ways),
        subject=iri,
        related=[w.strip("<>") for w in ways if w.startswith("<")],
    )


def _algebraic_loops(model: Model) -> Iterable[Diagnostic]:
    graph: nx.DiGraph[IRI] = nx.DiGraph()
    definer = {
        r.target: r.iri for r in model.relations.values()
        if r.target is not None and r.kind is RelationKind.ALGEBRAIC
    }
    for relation in model.relations.values():
        if relation.kind is not RelationKind.ALGEBRAIC:
            continue
        graph.add_node(relation.iri)
        for used in referenced_variables(model, relation.formula):
            source = definer.get(used)
            if source is not None:
                graph.add_edge(source, relation.iri)
    for component in sorted(nx.strongly_connected_components(graph), key=min):
        members = sorted(component)
        if len(members) == 1 and not graph.has_edge(members[0], members[0]):
            continue
        names = ", ".join(f"<{m}>" for m in members)
        yield Diagnostic.make(
            Code.STRUCTURE_ALGEBRAIC_LOOP,
            f"the relations {names} depend on each other in a cycle; they are solved together "
            "as one nonlinear block",
            subject=members[0],
            related=members[1:],
        )


def _direction(model: Model, bridge_iris: Iterable[IRI],
               owner: dict[IRI, set[IRI]]) -> tuple[set[IRI], set[IRI]]:
    sources: set[IRI] = set()
    targets: set[IRI] = set()
    for iri in bridge_iris:
        bridge = model.bridges.get(iri)
        if bridge is None:
            continue
        for source in bridge.sources:
            sources |= owner.get(source, set())
        if bridge.target is not None:
            targets |= owner.get(bridge.target, set())
    return sources, targets


def _nesting_cycles(model: Model, owner: dict[IRI, set[IRI]]) -> Iterable[Diagnostic]:
    graph: nx.DiGraph[IRI] = nx.DiGraph()
    for coupling in model.couplings.values():
        if coupling.kind is not CouplingKind.ONE_WAY_NESTING:
            continue
        sources, targets = _direction(model, coupling.bridges, owner)
        for a in sources & set(coupling.submodels):
            for b in targets & set(coupling.submodels):
                if a != b:
                    graph.add_edge(a, b, coupling=coupling.iri)
    for component in sorted(nx.strongly_connected_components(graph), key=min):
        if len(component) < 2:
            continue
        cycle = nx.find_cycle(graph.subgraph(component))
        couplings = sorted({graph.edges[u, v]["coupling"] for u, v in cycle})
        path = " -> ".join(f"<{u}>" for u, _v in cycle) + f" -> <{cycle[0][0]}>"
        yield Diagnostic.make(
            Code.STRUCTURE_NESTING_CYCLE,
            f"one-way nestings form a cycle {path}; no submodel can run first",
            subject=couplings[0],
            related=couplings[1:],
        )


def _bridges_in_couplings(model: Model, owner: dict[IRI, set[IRI]]) -> Iterable[Diagnostic]:
    for coupling in model.couplings.values():
        pair = set(coupling.submodels)
        for iri in coupling.bridges:
            bridge = model.bridges.get(iri)
            if bridge is None:
                continue
            ends = [*bridge.sources, *([bridge.target] if bridge.target else [])]
            outside = [v for v in ends if not owner.get(v, set()) & pair]
            if outside:
                names = ", ".join(_label(model, v) for v in outside)
                yield Diagnostic.make(
                    Code.STRUCTURE_BRIDGE_OUTSIDE_COUPLING,
                    f"bridge <{iri}> of coupling <{coupling.iri}> reads or writes {names}, which "
                    "belong to neither of the submodels the coupling joins",
                    subject=iri,
                    related=[coupling.iri],
                )
                continue
            source_sides: set[IRI] = set()
            for source in bridge.sources:
                source_sides |= owner.get(source, set()) & pair
            target_sides = owner.get(bridge.target, set()) & pair if bridge.target else set()
            if source_sides and target_sides and not any(
                a != b for a in source_sides for b in target_sides
            ):
                yield Diagnostic.make(
                    Code.STRUCTURE_BRIDGE_OUTSIDE_COUPLING,
                    f"bridge <{iri}> of coupling <{coupling.iri}> reads and writes within one "
                    "submodel; a coupling's bridge passes information from one to the other",
                    subject=iri,
                    related=[coupling.iri],
                )


def _averages_over(model: Model, owner: dict[IRI, set[IRI]]) -> Iterable[Diagnostic]:
    for bridge in sorted(model.bridges.values(), key=lambda b: b.iri):
        if bridge.polynomial_order is not None and not bridge.over:
            yield Diagnostic.make(
                Code.STRUCTURE_AVERAGE_OVER,
                f"bridge <{bridge.iri}> asks for a chaos expansion (sb:polynomialOrder) but "
                "averages over no random parameters (sb:over)",
                subject=bridge.iri, path=str(SB.polynomialOrder))
        if not bridge.over:
            continue

        def refuse(why: str, bridge_iri: IRI = bridge.iri) -> Diagnostic:
            return Diagnostic.make(
                Code.STRUCTURE_AVERAGE_OVER,
                f"bridge <{bridge_iri}> cannot average over its parameters: {why}",
                subject=bridge_iri, path=str(SB.over))

        if bridge.kind is not BridgeKind.AVERAGING:
            yield refuse("only an sb:Averaging bridge averages over parameters")
            continue
        if len(bridge.sources) != 1 or bridge.weights is not None:
            yield refuse("an average over parameters has exactly one source and no sb:weights "
                         "(the distributions weight it)")
            continue
        source = bridge.sources[0]
        points = 1
        for iri in bridge.over:
            parameter = model.variables.get(iri)
            name = _label(model, iri)
            if parameter is None or parameter.role is not VariableRole.PARAMETER or (
                    parameter.distribution is None):
                yield refuse(f"{name} is not a parameter with an sb:distribution")
            elif parameter.provided_by is not None:
                yield refuse(f"{name} is supplied by a bridge, so it is not random")
            elif not owner.get(iri, set()) & owner.get(source, set()):
                yield refuse(f"{name} is not a parameter of the source's submodel")
            points *= bridge.nodes or DEFAULT_NODES

        order, nodes = bridge.polynomial_order, bridge.nodes or DEFAULT_NODES
        if order is not None and nodes <= order:
            yield refuse(f"a chaos expansion of degree {order} needs more Gauss points per "
                         f"parameter than its degree; sb:quadratureNodes is {nodes}")
        if len(set(bridge.over)) != len(bridge.over):
            yield refuse("a parameter is listed twice")
        if points > 1_000_000:
            yield refuse(f"the product rule has {points} points (at most a million); use "
                         "fewer sb:quadratureNodes")


def _operators_and_sides(model: Model) -> Iterable[Diagnostic]:
    for equation in model.equations.values():
        field = model.variables.get(equation.field)
        if field is None or field.domain is None:
            continue
        domain = model.domains.get(field.domain)
        if domain is None:
            continue
        for term in equation.terms:
            spatial_term = term.kind in (TermKind.DIFFUSION, TermKind.ADVECTION)
            if spatial_term and domain.kind not in _SPATIAL:
                yield Diagnostic.make(
                    Code.STRUCTURE_OPERATOR_DOMAIN,
                    f"a {term.kind.value} term needs space, but field {_label(model, field.iri)} "
                    f"lives on <{domain.iri}>, {_kind(domain.kind)}",
                    subject=term.iri,
                    path=str(SB.hasTerm),
                )
            elif term.flux_variables and (
                    len(term.flux_variables) != (2 if domain.kind is DomainKind.RECTANGLE else 1)
                    or any(model.variables[f].role is not VariableRole.ALGEBRAIC
                           for f in term.flux_variables if f in model.variables)):
                yield Diagnostic.make(
                    Code.STRUCTURE_OPERATOR_DOMAIN,
                    f"a diffusion term on <{domain.iri}>, {_kind(domain.kind)}, names one flux "
                    "variable per direction (x on an interval; x and y on a rectangle), each an "
                    f"sb:AlgebraicVariable; it names {len(term.flux_variables)}",
                    subject=term.iri,
                    path=str(SB.fluxVariables),
                )
            elif term.velocity_y is not None and domain.kind is not DomainKind.RECTANGLE:
                yield Diagnostic.make(
                    Code.STRUCTURE_OPERATOR_DOMAIN,
                    f"a y velocity needs a two-dimensional domain; <{domain.iri}> is "
                    f"{_kind(domain.kind)}",
                    subject=term.iri,
                    path=str(SB.velocityY),
                )
    balanced = {e.field for e in model.equations.values()}
    on_domain = fields_by_domain(model)
    for domain in model.domains.values():
        allowed = _SIDES[domain.kind]
        fields = [f for f in on_domain.get(domain.iri, ()) if f in balanced]
        for boundary in domain.boundaries:
            if boundary.side not in allowed:
                yield _side(domain.iri, domain.kind, boundary.side, boundary.iri, SB.at)
            if boundary.field is not None:
                on = model.variables[boundary.field].domain if boundary.field in model.variables \
                    else None
                if on != domain.iri:
                    yield Diagnostic.make(
                        Code.STRUCTURE_OPERATOR_DOMAIN,
                        f"the boundary constrains {_label(model, boundary.field)}, which does "
                        f"not live on <{domain.iri}>",
                        subject=boundary.iri,
                        path=str(SB.constrains),
                    )
            elif len(fields) > 1:
                names = ", ".join(_label(model, f) for f in fields)
                yield Diagnostic.make(
                    Code.SHAPE_MISSING_VALUE,
                    f"<{domain.iri}> carries several fields ({names}); say which one this "
                    "boundary constrains with sb:constrains",
                    subject=boundary.iri,
                    path=str(SB.constrains),
                )
    for port in model.ports.values():
        domain = model.domains.get(port.domain)
        if domain is not None and port.side is not None and port.side not in _SIDES[domain.kind]:
            yield _side(domain.iri, domain.kind, port.side, port.iri, SB.at)


def _side(domain: IRI, kind: DomainKind, side: Side, subject: IRI, path: object) -> Diagnostic:
    sides = ", ".join(f"sb:{s.value.capitalize()}" for s in sorted(_SIDES[kind])) or "none"
    return Diagnostic.make(
        Code.STRUCTURE_OPERATOR_DOMAIN,
        f"<{domain}> is {_kind(kind)}, which has no side "
        f"sb:{side.value.capitalize()} (its sides: {sides})",
        subject=subject,
        path=str(path),
    )


def _orphans(model: Model) -> Iterable[Diagnostic]:
    if not model.submodels:
        return
    listed_equations = {e for s in model.submodels.values() for e in s.equations}
    listed_relations = {r for s in model.submodels.values() for r in s.relations}
    listed_domains = {d for s in model.submodels.values() for d in s.domains}
    parts = [
        (model.equations, listed_equations, "equation", "sb:hasEquation"),
        (model.relations, listed_relations, "relation", "sb:hasRelation"),
        (model.domains, listed_domains, "domain", "sb:onDomain"),
    ]
    for mapping, listed, what, prop in parts:
        for iri in sorted(set(mapping) - listed):
            yield Diagnostic.make(
                Code.STRUCTURE_ORPHAN,
                f"the {what} <{iri}> is listed by no submodel ({prop}), so it would never be "
                "solved",
                subject=iri,
            )
