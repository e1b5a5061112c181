"""Lowering couplings: bridges as exchanges between submodels, and the coupled schedule."""

from __future__ import annotations

import math

import sympy

from scalebridge.composer.ir import (
    CouplingIR,
    DerivedIR,
    ExchangeIR,
    HandshakeIR,
    InputIR,
    Method,
    SubmodelIR,
    T,
    TabulationIR,
)
from scalebridge.composer.support import (
    declared_value,
    inline_derived,
    unit_parts,
    unsupported,
)
from scalebridge.composer.tables import table_symbol
from scalebridge.diagnostics import Diagnostic
from scalebridge.model.analysis import owners, si_value
from scalebridge.model.types import (
    BridgeKind,
    CouplingKind,
    Domain,
    DomainKind,
    Model,
    ScaleBridge,
    Variable,
    VariableRole,
)

__all__ = ["CELLS", "forced_input", "lower_couplings", "profile_positions"]

#: The suffix of the state a submodel shows for a field's cell values (a column read whole).
CELLS = "/cells"


def _centres(length: float, cells: int, start: float = 0.0) -> tuple[float, ...]:
    return tuple(start + (i + 0.5) * length / cells for i in range(cells))


def profile_positions(model: Model, bridge: ScaleBridge, domain: Domain, side: str
                      ) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """Where a boundary-forcing bridge's profile comes from and goes to (m), when it passes
    one: its source is a field on an interval (a column, at its cell centres from the
    interval's sb:origin) and it forces a side of a rectangle (at the side's face centres,
    along y on the left and right sides, along x on the bottom and top).  None for a bridge
    that passes a number."""
    if bridge.kind is not BridgeKind.BOUNDARY_FORCING or len(bridge.sources) != 1:
        return None
    source = model.variables.get(bridge.sources[0])
    column = model.domains.get(source.domain or "") if source is not None else None
    if (source is None or source.role is not VariableRole.FIELD or column is None
            or column.kind is not DomainKind.INTERVAL or domain.kind is not DomainKind.RECTANGLE):
        return None
    length = si_value(model, column.length)
    start = si_value(model, column.origin) if column.origin is not None else 0.0
    along = si_value(model, domain.height if side in ("left", "right") else domain.width)
    if length is None or start is None or along is None or len(domain.cells) != 2:
        return None
    faces = domain.cells[1] if side in ("left", "right") else domain.cells[0]
    return _centres(length, column.cells[0], start), _centres(along, faces)


def _forced_profile(model: Model, bridge: ScaleBridge
                    ) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """The positions of the profile a boundary-forcing bridge passes, from the side it forces."""
    for domain in model.domains.values():
        for boundary in domain.boundaries:
            if boundary.condition.forced_by == bridge.iri:
                return profile_positions(model, bridge, domain, boundary.side.value)
    return None


def _timed(model: Model, variable: Variable, derived: tuple[DerivedIR, ...]
           ) -> sympy.Expr | None:
    """The SI expression in t of a parameter or algebraic variable that varies in time by
    itself (a table against the model's clock); None for one that does not."""
    item = next((d for d in derived if d.iri == variable.iri), None)
    if item is None or item.expr is None:
        return None
    expr = inline_derived(item.expr, derived)
    return expr if T in expr.free_symbols else None


# -- couplings -------------------------------------------------------------------------------


def forced_input(bridge_name: str) -> str:
    """The name of the input that holds the value a bridge forces on a boundary."""
    return f"{bridge_name}_forcing"


_LOWERED_BRIDGES = {
    BridgeKind.HOMOGENIZATION, BridgeKind.AVERAGING, BridgeKind.LOCALIZATION,
    BridgeKind.PARAMETER_PASSING, BridgeKind.BOUNDARY_FORCING,
}


def lower_couplings(
    model: Model, submodels: tuple[SubmodelIR, ...], derived: tuple[DerivedIR, ...] = ()
) -> tuple[tuple[InputIR, ...], tuple[ExchangeIR, ...], CouplingIR | None, list[Diagnostic]]:
    """Bridges as exchanges between submodels, and the schedule of the coupled run.

    A bridge reads fields of submodels (each submodel shows the mean of its field) or
    parameters, and writes a parameter that names it in sb:providedBy, or the value of a
    boundary it forces.  A hierarchical coupling calls its finer submodel (the shorter run)
    whole whenever its results are needed; concurrent couplings and one-way nestings advance
    together, exchanging every macro step (the shortest output interval among them); a
    submodel of steady fields among them is solved again at every macro time.  A
    boundary-forcing bridge from a column (a field on an interval) to a side of a rectangle
    passes the column's profile, interpolated to the side's faces.  A source that varies in
    time by itself (a table against the model's clock) is evaluated at each exchange.
    """
    problems: list[Diagnostic] = []
    states = {s.name: sub.name for sub in submodels for s in sub.states}
    # a diffusion term's flux variables are observed like fields (their mean over the grid)
    states.update({flux.name: sub.name for sub in submodels for field in sub.fields
                   for flux in field.fluxes})
    # so are the values a field presents at its ports (the port's potential variable)
    states.update({face.name: sub.name for sub in submodels for field in sub.fields
                   for face in field.faces})
    variables_by_name = {v.name: v for v in model.variables.values()}
    inputs: list[InputIR] = []
    exchanges: list[ExchangeIR] = []
    timed: dict[str, sympy.Expr] = {}
    tabulations: list[TabulationIR] = []
    feeding: set[str] = set()  # bridges that hand a table's arguments to its fine model
    for bridge in sorted(model.bridges.values(), key=lambda b: b.iri):
        if bridge.table is None or not bridge.table.to_build:
            continue
        tabulation, feeder, found = _tabulation(model, bridge, submodels)
        problems += found
        if tabulation is not None and feeder is not None:
            tabulations.append(tabulation)
            feeding.add(feeder)
    handshakes: list[HandshakeIR] = []
    for bridge in sorted(model.bridges.values(), key=lambda b: b.iri):
        if bridge.kind is BridgeKind.HANDSHAKE:
            handshake, found = _handshake(model, bridge, submodels)
            problems += found
            if handshake is not None:
                handshakes.append(handshake)
            continue
        if bridge.table is not None and bridge.kind is BridgeKind.PARAMETER_PASSING:
            continue  # its target is the table at the argument (order_assignments)
        if bridge.over:
            continue  # its target is an expectation over parameters (order_assignments)
        if bridge.kind not in _LOWERED_BRIDGES or bridge.table is not None or bridge.through:
            problems.append(unsupported(
                f"a {bridge.kind.value.replace('_', ' ')} bridge through a surrogate or a "
                "blending region is not lowered yet", bridge.iri))
            continue
        sources: list[tuple[str, str]] = []
        positions = _forced_profile(model, bridge)
        for iri in bridge.sources:
            variable = model.variables.get(iri)
            if variable is None:
                continue
            if variable.name in states:
                shown = variable.name + (CELLS if positions is not None else "")
                sources.append((states[variable.name], shown))
            elif variable.role in (VariableRole.PARAMETER, VariableRole.ALGEBRAIC):
                sources.append(("", variable.name))
                expr = _timed(model, variable, derived)
                if expr is not None:
                    timed[variable.name] = expr
            else:
                problems.append(unsupported("a bridge source that is neither a field of a "
                                             "composed submodel nor a parameter", bridge.iri))
        target = model.variables.get(bridge.target or "")
        if target is not None and target.provided_by == bridge.iri:
            name, unit_of = target.name, target
        elif bridge.kind is BridgeKind.BOUNDARY_FORCING and target is not None:
            name, unit_of = forced_input(bridge.name), target
            if name in variables_by_name:
                problems.append(unsupported("a forced boundary's input clashes with a "
                                             "variable's name", bridge.iri))
                continue
        else:
            problems.append(unsupported("a bridge's target must be a parameter that names "
                                         "it in sb:providedBy, or a forced field",
                                         bridge.iri))
            continue
        text, scale, offset = unit_parts(unit_of)
        default = declared_value(unit_of) if unit_of is target and name == target.name else None
        inputs.append(InputIR(name, unit_of.iri, text, scale, offset,
                              math.nan if default is None else default * scale + offset))
        if bridge.iri not in feeding:  # a feeder's value is set per table entry instead
            exchanges.append(ExchangeIR(bridge.name, bridge.iri, bridge.kind.value,
                                        tuple(sources), name, bridge.weights, positions))
    coupling = None
    if model.couplings and submodels:
        by_iri = {s.iri: s for s in submodels}
        called: set[str] = set()
        given_tables: set[str] = set()  # fine models whose answers a given table holds
        listed = []
        for c in sorted(model.couplings.values(), key=lambda c: c.iri):
            members = [by_iri[i] for i in c.submodels if i in by_iri]
            listed.append((c.iri, c.kind.value, tuple(m.name for m in members)))
            if c.kind is CouplingKind.HIERARCHICAL and len(members) == 2:
                if any(t.iri in c.bridges for t in tabulations):
                    continue  # its fine model runs first, to build the tables
                fine = min(members, key=lambda m: (m.schedule.duration, m.name))
                called.add(fine.name)
                if any(b.table is not None and not b.table.to_build
                       for b in (model.bridges.get(i) for i in c.bridges) if b is not None):
                    given_tables.add(fine.name)
        tabulated = {t.submodel for t in tabulations}
        # A fine model whose answers reach the coarse model through a given table, and which
        # no exchange reads, need not run at all.
        read = {component for e in exchanges for component, _q in e.sources}
        idle = {name for name in called & given_tables if name not in read}
        called -= idle
        lockstep = [s for s in submodels if s.name not in called | tabulated | idle]
        if len(handshakes) > 1 or (handshakes and len(lockstep) != 2):
            problems.append(unsupported(
                "a handshake runs its two submodels as one system; a model with a handshake "
                "has those two submodels alone (and one handshake)", handshakes[0].iri))
        elif not lockstep:
            problems.append(unsupported("every submodel is the fine side of a hierarchical "
                                         "coupling: nothing drives them", None))
        else:
            # steady submodels are solved at each macro time: the others set the schedule
            moving = [s for s in lockstep if s.schedule.method is not Method.STEADY] or lockstep
            coupling = CouplingIR(
                couplings=tuple(listed),
                called=tuple(sorted(called)),
                horizon=max(s.schedule.duration for s in moving),
                macro_step=min(s.schedule.output_interval for s in moving),
                tabulations=tuple(tabulations),
                handshake=handshakes[0] if handshakes else None,
                idle=tuple(sorted(idle)),
                timed=tuple(sorted(timed.items())),
                steady=tuple(sorted(s.name for s in lockstep
                                    if s.schedule.method is Method.STEADY)),
            )
    return tuple(inputs), tuple(exchanges), coupling, problems


def _handshake(model: Model, bridge: ScaleBridge, submodels: tuple[SubmodelIR, ...]
               ) -> tuple[HandshakeIR | None, list[Diagnostic]]:
    """A handshake between the chain and the bar whose displacement fields it names."""
    by_state = {s.motion.state: s for s in submodels if s.motion is not None}
    ends = [model.variables[i] for i in (*bridge.sources, bridge.target or "")
            if i in model.variables]
    members = [by_state[v.name] for v in ends if v.name in by_state]
    kinds = sorted(m.motion.kind for m in members if m.motion is not None)
    if len(ends) != 2 or len(members) != 2 or kinds != ["bar", "chain"]:
        return None, [unsupported("a handshake joins the displacement field of a particle "
                                  "chain to that of a bar, each with its equation of motion",
                                  bridge.iri)]
    start = si_value(model, bridge.blending_start)
    end = si_value(model, bridge.blending_end)
    if start is None or end is None or not start < end:
        return None, [unsupported("a handshake needs constant sb:blendingStart < sb:blendingEnd",
                                  bridge.iri)]
    weights = bridge.weights
    if weights is not None and len(weights) != 4:
        return None, [unsupported("a handshake's sb:weights are four numbers: the chain's "
                                  "weight at the start and at the end, then the bar's",
                                  bridge.iri)]
    chain = next(m for m in members if m.motion is not None and m.motion.kind == "chain")
    bar = next(m for m in members if m is not chain)
    taken = {v.name for v in model.variables.values()}
    clashes = sorted(taken & {f"{bridge.name}_{suffix}" for suffix in _HANDSHAKE_RESULTS})
    if clashes:
        return None, [unsupported(f"the handshake's results would be named {clashes}, which "
                                  "the model already uses; rename the bridge", bridge.iri)]
    ordered = None
    if weights is not None:
        # Declared source first (sb:weights); the solver takes the chain's first.
        chain_is_source = chain.motion is not None and bridge.sources == tuple(
            v.iri for v in ends if v.name == chain.motion.state)
        ordered = ((weights[0], weights[1], weights[2], weights[3]) if chain_is_source
                   else (weights[2], weights[3], weights[0], weights[1]))
    return HandshakeIR(
        name=bridge.name, iri=bridge.iri, chain=chain.name, bar=bar.name,
        start=float(start), end=float(end), weights=ordered,
    ), []


def _depends_on_fields(model: Model, variable: Variable) -> bool:
    """True when an algebraic variable's definition reaches a field (a state)."""
    defining = {r.target: r for r in model.relations.values() if r.target is not None}
    seen: set[str] = set()
    todo = [variable.iri] if variable.role is VariableRole.ALGEBRAIC else []
    while todo:
        iri = todo.pop()
        if iri in seen:
            continue
        seen.add(iri)
        relation = defining.get(iri)
        for used in relation.formula.bindings.values() if relation is not None else ():
            other = model.variables.get(used)
            if other is None:
                continue
            if other.role is VariableRole.FIELD:
                return True
            if other.role is VariableRole.ALGEBRAIC:
                todo.append(used)
    return False


#: What a run leaves in p for a handshake named h: h_energy, h_scheme_energy, ...
_HANDSHAKE_RESULTS = ("energy", "scheme_energy", "reference_energy", "reflected")


def _tabulation(
    model: Model, bridge: ScaleBridge, submodels: tuple[SubmodelIR, ...]
) -> tuple[TabulationIR | None, str | None, list[Diagnostic]]:
    """The table a parameter-passing bridge builds by running its fine model, and the bridge
    that feeds the table's argument to that model (whose IRI is returned second).

    The fine model owns the bridge's source; the feeder is the bridge of the same hierarchical
    coupling that reads the table's argument and writes a parameter of the fine model.  A
    static fine model (relations alone, no balance to run: a constitutive law) builds its
    table by evaluating its relations at each argument.
    """
    table = bridge.table
    assert table is not None
    problems: list[Diagnostic] = []
    coupling = next((c for c in model.couplings.values() if bridge.iri in c.bridges), None)
    if coupling is None or coupling.kind is not CouplingKind.HIERARCHICAL:
        return None, None, [unsupported(
            "a table without values is built by running the fine model first, which needs "
            "the bridge to belong to a hierarchical coupling (or give the table its sb:values)",
            bridge.iri)]
    owner = owners(model)
    by_iri: dict[str, tuple[str, str]] = {s.iri: (s.iri, s.name) for s in submodels}
    static = {s.iri: (s.iri, s.name) for s in model.submodels.values()
              if not s.equations and s.iri not in by_iri}
    source = model.variables.get(bridge.sources[0]) if len(bridge.sources) == 1 else None
    fine = [(by_iri | static)[i] for i in sorted(owner.get(source.iri, set()) if source else set())
            if i in by_iri | static and i in coupling.submodels]
    argument = model.variables.get(table.argument)
    target = model.variables.get(bridge.target or "")
    if source is None or len(fine) != 1 or argument is None or target is None:
        return None, None, [unsupported(
            "a table built by the fine model needs one source that belongs to one submodel of "
            "its coupling, an argument variable and a target", bridge.iri)]
    feeders = []
    for other in model.bridges.values():
        receiver = model.variables.get(other.target or "")
        if (other.iri != bridge.iri and other.iri in coupling.bridges
                and other.sources == (argument.iri,) and receiver is not None
                and receiver.provided_by == other.iri
                and fine[0][0] in owner.get(receiver.iri, set())):
            feeders.append((other, receiver))
    if len(feeders) != 1:
        return None, None, [unsupported(
            f"the table of '{bridge.name}' is tabulated against '{argument.name}', so exactly "
            f"one bridge of its coupling must hand '{argument.name}' to a parameter of "
            f"'{fine[0][1]}' (sb:source {argument.name} ; sb:target its input), found "
            f"{len(feeders)}", bridge.iri)]
    feeder, receiver = feeders[0]
    others = sorted(b.name for b in model.bridges.values()
                    if b.iri not in (bridge.iri, feeder.iri) and b.target is not None
                    and fine[0][0] in owner.get(b.target, set()))
    if others:
        return None, None, [unsupported(
            f"the fine model '{fine[0][1]}' that builds the table of '{bridge.name}' runs "
            f"before the coupled run starts, so it cannot receive the bridges {others} too",
            bridge.iri)]
    if _depends_on_fields(model, source):
        return None, None, [unsupported(
            f"the answer '{source.name}' of a table-building fine model must be one of its "
            "fields (its mean at the end of the run) or a quantity of its parameters alone",
            bridge.iri)]
    unit = table.argument_unit or argument.unit
    arguments = tuple(unit.to_si(a) if unit is not None else a for a in table.arguments)
    name = table_symbol(bridge.name).name
    if name in {v.name for v in model.variables.values()}:
        problems.append(unsupported("a built table's name clashes with a variable's name",
                                    bridge.iri))
        return None, None, problems
    tabulation = TabulationIR(
        name=name, bridge=bridge.name, iri=bridge.iri, submodel=fine[0][1],
        input=receiver.name, arguments=arguments, output=source.name,
        argument=argument.name, argument_unit=unit_parts(argument),
        value_unit=unit_parts(target), static=fine[0][0] in static,
    )
    return tabulation, feeder.iri, problems
