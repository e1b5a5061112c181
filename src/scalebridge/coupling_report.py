"""What a coupling adds, in words: the summary ``scalebridge validate`` leads with.

Proposing a coupling between two valid submodels is the everyday multiscale task, so for a
model with couplings the report opens with one paragraph per coupling: the submodels it joins
and how, each bridge with its source and target quantities and their units (and whether the
dimensions agree), the findings about its bridges and interfaces (units, conservation), and
the timescale verdict with the MMSF template it implies.

Example
-------
>>> from pathlib import Path
>>> from scalebridge.pipeline import validate_files
>>> root = Path(__file__).resolve().parents[2]
>>> v = validate_files([root / "examples" / "coupled_tanks" / "model.ttl"], reasoner=False)
>>> print(coupling_summary(v.model, v.report).splitlines()[0])
coupling 'membrane' (concurrent): tank_a <-> tank_b
"""

from __future__ import annotations

from scalebridge.diagnostics import Report, Severity
from scalebridge.model.timescales import analyse_timescales
from scalebridge.model.types import IRI, CouplingKind, Model, Variable

__all__ = ["coupling_summary"]

_JOIN = {
    CouplingKind.CONCURRENT: "<->",
    CouplingKind.ONE_WAY_NESTING: "->",
}


def _name(model: Model, iri: IRI) -> str:
    for table in (model.submodels, model.variables, model.bridges, model.couplings):
        item = table.get(iri)
        if item is not None:
            return str(getattr(item, "symbol", None) or getattr(item, "name", iri))
    return iri.rsplit("#", 1)[-1]


def _unit(variable: Variable | None) -> str:
    if variable is None or variable.unit is None:
        return "no unit"
    return variable.unit.text.replace("http://qudt.org/vocab/unit/", "unit:")


def coupling_summary(model: Model | None, report: Report) -> str:
    """One paragraph per coupling of ``model`` (empty when it has none)."""
    if model is None or not model.couplings:
        return ""
    verdicts = analyse_timescales(model).couplings
    lines: list[str] = []
    for coupling in sorted(model.couplings.values(), key=lambda c: c.iri):
        members = [_name(model, s) for s in coupling.submodels]
        verdict = verdicts.get(coupling.iri)
        join = f" {_JOIN.get(coupling.kind, '--')} ".join(members)
        if (coupling.kind is CouplingKind.HIERARCHICAL and verdict is not None
                and verdict.time.fast and verdict.time.slow):
            join = f"{_name(model, verdict.time.slow)} calls {_name(model, verdict.time.fast)}"
        if (coupling.kind is CouplingKind.ONE_WAY_NESTING and verdict is not None
                and verdict.driving and verdict.driven):
            join = f"{_name(model, verdict.driving)} drives {_name(model, verdict.driven)}"
        lines.append(f"coupling '{coupling.name}' ({coupling.kind.value.replace('_', ' ')}): "
                     f"{join}")
        for iri in coupling.bridges:
            bridge = model.bridges.get(iri)
            if bridge is None:
                continue
            target = model.variables.get(bridge.target or "")
            sources = ", ".join(
                f"{_name(model, s)} [{_unit(model.variables.get(s))}]" for s in bridge.sources
            )
            agree = ""
            source_vars = [model.variables.get(s) for s in bridge.sources]
            if target is not None and target.unit is not None and all(
                v is not None and v.unit is not None for v in source_vars
            ):
                same = all(v.unit.same_dimension(target.unit)  # type: ignore[union-attr]
                           for v in source_vars)
                agree = "; same dimension" if same else "; DIFFERENT dimensions"
            lines.append(f"  bridge '{bridge.name}' ({bridge.kind.value.replace('_', ' ')}): "
                         f"{sources} -> {_name(model, bridge.target or '')} "
                         f"[{_unit(target)}]{agree}")
        involved = {coupling.iri, *coupling.bridges}
        findings = [d for d in report if d.subject in involved and d.severity is not Severity.INFO]
        if findings:
            codes = ", ".join(sorted({d.code.value for d in findings}))
            lines.append(f"  findings on its bridges: {codes} (see below)")
        else:
            lines.append("  units and conservation across its bridges: no findings")
        if verdict is not None:
            implied = verdict.implied.value if verdict.implied is not None else "unknown"
            ratio = f", ratio {verdict.time.ratio:.3g}" if verdict.time.ratio is not None else ""
            lines.append(f"  timescales: {verdict.time.relation.value}{ratio}; runs as "
                         f"{verdict.template.value}, its scales imply {implied} "
                         f"({verdict.status.value.replace('_', ' ')})")
    return "\n".join(lines)
