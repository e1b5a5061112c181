"""Lowering couplings: bridges as exchanges between submodels, and the coupled schedule."""

from __future__ import annotations

import math

from scalebridge.composer.ir import (
    CouplingIR,
    ExchangeIR,
    InputIR,
    SubmodelIR,
)
from scalebridge.composer.support import (
    declared_value,
    unit_parts,
    unsupported,
)
from scalebridge.diagnostics import Diagnostic
from scalebridge.model.types import (
    BridgeKind,
    CouplingKind,
    Model,
    VariableRole,
)

__all__ = ["forced_input", "lower_couplings"]


# -- couplings -------------------------------------------------------------------------------


def forced_input(bridge_name: str) -> str:
    """The name of the input that holds the value a bridge forces on a boundary."""
    return f"{bridge_name}_forcing"


_LOWERED_BRIDGES = {
    BridgeKind.HOMOGENIZATION, BridgeKind.AVERAGING, BridgeKind.LOCALIZATION,
    BridgeKind.PARAMETER_PASSING, BridgeKind.BOUNDARY_FORCING,
}


def lower_couplings(
    model: Model, submodels: tuple[SubmodelIR, ...]
) -> tuple[tuple[InputIR, ...], tuple[ExchangeIR, ...], CouplingIR | None, list[Diagnostic]]:
    """Bridges as exchanges between submodels, and the schedule of the coupled run.

    A bridge reads fields of submodels (each submodel shows the mean of its field) or
    parameters, and writes a parameter that names it in sb:providedBy, or the value of a
    boundary it forces.  A hierarchical coupling calls its finer submodel (the shorter run)
    whole whenever its results are needed; concurrent couplings and one-way nestings advance
    together, exchanging every macro step (the shortest output interval among them).
    """
    problems: list[Diagnostic] = []
    states = {s.name: sub.name for sub in submodels for s in sub.states}
    variables_by_name = {v.name: v for v in model.variables.values()}
    inputs: list[InputIR] = []
    exchanges: list[ExchangeIR] = []
    for bridge in sorted(model.bridges.values(), key=lambda b: b.iri):
        if bridge.kind not in _LOWERED_BRIDGES or bridge.table is not None or bridge.through:
            problems.append(unsupported(
                f"a {bridge.kind.value.replace('_', ' ')} bridge through a table, a surrogate "
                "or a blending region is not lowered yet", bridge.iri))
            continue
        sources: list[tuple[str, str]] = []
        for iri in bridge.sources:
            variable = model.variables.get(iri)
            if variable is None:
                continue
            if variable.name in states:
                sources.append((states[variable.name], variable.name))
            elif variable.role in (VariableRole.PARAMETER, VariableRole.ALGEBRAIC):
                sources.append(("", variable.name))
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
        exchanges.append(ExchangeIR(bridge.name, bridge.iri, bridge.kind.value, tuple(sources),
                                    name, bridge.weights))
    coupling = None
    if model.couplings and submodels:
        by_iri = {s.iri: s for s in submodels}
        called: set[str] = set()
        listed = []
        for c in sorted(model.couplings.values(), key=lambda c: c.iri):
            members = [by_iri[i] for i in c.submodels if i in by_iri]
            listed.append((c.iri, c.kind.value, tuple(m.name for m in members)))
            if c.kind is CouplingKind.HIERARCHICAL and len(members) == 2:
                fine = min(members, key=lambda m: (m.schedule.duration, m.name))
                called.add(fine.name)
        lockstep = [s for s in submodels if s.name not in called]
        if not lockstep:
            problems.append(unsupported("every submodel is the fine side of a hierarchical "
                                         "coupling: nothing drives them", None))
        else:
            coupling = CouplingIR(
                couplings=tuple(listed),
                called=tuple(sorted(called)),
                horizon=max(s.schedule.duration for s in lockstep),
                macro_step=min(s.schedule.output_interval for s in lockstep),
            )
    return tuple(inputs), tuple(exchanges), coupling, problems
