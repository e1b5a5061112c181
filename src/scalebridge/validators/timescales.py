"""Timescale separation: does each coupling fit where its submodels lie on the scale separation
map?

The estimates, the ranges and the classification of each coupling come from
:mod:`scalebridge.model.timescales` (its docstring gives the formulas, the rules of
classification and the mapping to MMSF coupling templates).  Times are compared in seconds,
lengths in metres; messages show them in readable units ("1 ms to 10 s").  The rules:

* ``TIMESCALE_RANGE_INVALID`` (error), on a submodel, path sb:timeScale or sb:lengthScale: a
  declared range whose grain or extent is not a constant (a random parameter, a field) of the
  axis's dimension (s, m), whose grain is not positive, or whose grain is not below its extent.
  (The units check reports a wrong dimension too, as ``UNITS_VALUE_MISMATCH`` on the quantity;
  this finding says that the range cannot be used.)
* ``TIMESCALE_UNDERRESOLVED`` (warning), on a submodel, path sb:timeScale: an estimated process
  is faster than the declared time grain by more than
  :data:`~scalebridge.model.timescales.UNDERRESOLVED_FACTOR` (2): ``grain / time > 2``.  One
  finding per submodel, naming the fastest such process (and how many others there are).
* ``TIMESCALE_UNKNOWN`` (warning), on a submodel, path sb:timeScale: a submodel that a
  coupling joins has no valid declared time range and no estimate.  Not given when its
  declared range is invalid (that is already an error).
* ``TIMESCALE_NOT_SEPARATED`` (error), on the coupling, path rdf:type: a hierarchical coupling
  whose time ranges are not separated (ratio ``slow grain / fast extent`` below the margin, or
  not above 1).  The message gives both time ranges and the ratio, and proposes sb:Concurrent.
* ``TIMESCALE_NESTING_INVERTED`` (error), on the coupling, path sb:between: a one-way nesting
  whose driving model (read by its bridges) has a finer time grain than the driven model
  (written by them).
* ``TIMESCALE_SEPARATED_CONCURRENT`` (information), on the coupling, path rdf:type: a
  concurrent coupling whose time ranges are separated by the margin.
* ``TIMESCALE_COUPLING_VERDICT`` (information), on the coupling, path sb:between: for every
  coupling that is not rejected and whose time scales are known, the classification in time
  and space and the MMSF template.

A submodel that no coupling joins gets no information and no ``TIMESCALE_UNKNOWN``; the
first two rules apply to every submodel.

Example
-------
>>> import rdflib
>>> from scalebridge.model.build import build_model
>>> g = rdflib.Graph().parse(format="turtle", data='''
... @prefix sb: <https://w3id.org/scalebridge/ontology#> .
... @prefix : <https://example.org/ts#> .
... :m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e ;
...    sb:timeScale [ sb:grain [ sb:value 2 ; sb:unit "h" ] ;
...                   sb:extent [ sb:value 1 ; sb:unit "h" ] ] .
... :box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "L" ] .
... :C a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
... :e a sb:Equation ; sb:rateOf :C .''')
>>> model, _ = build_model(g)
>>> [(d.code.value, d.message) for d in check_timescales(model)]  # doctest: +NORMALIZE_WHITESPACE
[('TIMESCALE_RANGE_INVALID',
  'the declared time scale of m has grain 2 h, not below its extent 1 h')]
"""

from __future__ import annotations

import rdflib

from scalebridge.diagnostics import Code, Diagnostic
from scalebridge.model.timescales import (
    UNDERRESOLVED_FACTOR,
    AxisComparison,
    CouplingVerdict,
    ScaleSpan,
    Separation,
    Status,
    SubmodelScales,
    TimescaleAnalysis,
    analyse_timescales,
    format_length,
    format_ratio,
    format_time,
)
from scalebridge.model.types import CouplingKind, Model
from scalebridge.ontology.vocab import SB

__all__ = ["check_timescales"]

_TIME_SCALE = str(SB.timeScale)
_LENGTH_SCALE = str(SB.lengthScale)
_BETWEEN = str(SB.between)
_TYPE = str(rdflib.RDF.type)
_KIND = {
    CouplingKind.HIERARCHICAL: "hierarchical",
    CouplingKind.CONCURRENT: "concurrent",
    CouplingKind.ONE_WAY_NESTING: "one-way nesting",
}


def check_timescales(model: Model) -> list[Diagnostic]:
    """Every timescale finding of ``model``: submodels in IRI order, then couplings."""
    analysis = analyse_timescales(model)
    found: list[Diagnostic] = []
    coupled = analysis.coupled()
    for iri, scales in analysis.submodels.items():
        found += _ranges(scales)
        found += _underresolved(scales)
        if iri in coupled and scales.time is None and scales.problem("time") is None:
            found.append(_unknown(scales, coupled[iri]))
    for verdict in analysis.couplings.values():
        found += _coupling(analysis, verdict)
    return found


def _ranges(scales: SubmodelScales) -> list[Diagnostic]:
    return [
        Diagnostic.make(
            Code.TIMESCALE_RANGE_INVALID,
            problem.message,
            subject=scales.submodel,
            path=_TIME_SCALE if problem.axis == "time" else _LENGTH_SCALE,
            expected=problem.expected,
            actual=problem.actual,
            hint=problem.hint,
        )
        for problem in scales.problems
    ]


def _underresolved(scales: SubmodelScales) -> list[Diagnostic]:
    declared = scales.declared_time
    if declared is None:
        return []
    faster = [p for p in scales.processes if p.seconds * UNDERRESOLVED_FACTOR < declared.grain]
    if not faster:
        return []
    fastest = min(faster, key=lambda p: p.seconds)
    others = len(faster) - 1
    more = f" (and {others} other process{'es' if others > 1 else ''})" if others else ""
    return [
        Diagnostic.make(
            Code.TIMESCALE_UNDERRESOLVED,
            f"in {scales.name}, the {fastest.name} takes {format_time(fastest.seconds)}, "
            f"{format_ratio(declared.grain / fastest.seconds)} times shorter than the declared "
            f"time grain {format_time(declared.grain)}{more}",
            subject=scales.submodel,
            path=_TIME_SCALE,
            expected=f"grain <= {format_time(UNDERRESOLVED_FACTOR * fastest.seconds)}",
            actual=f"grain {format_time(declared.grain)}",
            related=(fastest.source,),
        )
    ]


def _unknown(scales: SubmodelScales, couplings: list[str]) -> Diagnostic:
    why = "; ".join(scales.notes) or "no estimate applies"
    joined = ", ".join(f"<{c}>" for c in couplings)
    return Diagnostic.make(
        Code.TIMESCALE_UNKNOWN,
        f"{scales.name} is coupled by {joined}, but its time scales are neither declared "
        f"(sb:timeScale) nor estimable: {why}",
        subject=scales.submodel,
        path=_TIME_SCALE,
    )


def _span(analysis: TimescaleAnalysis, iri: str | None, axis: str) -> str:
    scales = analysis.submodels[iri] if iri is not None else None
    span: ScaleSpan | None = None
    if scales is not None:
        span = scales.time if axis == "time" else scales.length
    if scales is None or span is None:
        return "unknown"
    fmt = format_time if axis == "time" else format_length
    origin = "" if span.declared else ", estimated"
    shown = fmt(span.grain)
    if fmt(span.extent) != shown:
        shown += f" to {fmt(span.extent)}"
    return f"{scales.name} ({shown}{origin})"


def _needed(verdict: CouplingVerdict) -> str:
    return f">= {format_ratio(verdict.margin)}" if verdict.margin > 1 else "> 1"


def _axis(analysis: TimescaleAnalysis, comparison: AxisComparison, axis: str) -> str:
    if comparison.relation is Separation.UNKNOWN or comparison.ratio is None:
        return f"{axis} unknown"
    return (
        f"{axis} {comparison.relation.value} ({_span(analysis, comparison.fast, axis)}; "
        f"{_span(analysis, comparison.slow, axis)}; ratio {format_ratio(comparison.ratio)})"
    )


def _coupling(analysis: TimescaleAnalysis, verdict: CouplingVerdict) -> list[Diagnostic]:
    if verdict.status is Status.UNKNOWN:
        return []
    time = verdict.time
    ratio = format_ratio(time.ratio) if time.ratio is not None else "unknown"
    if verdict.status is Status.NOT_SEPARATED:
        fast = analysis.submodels[time.fast].name if time.fast else "the fast model"
        slow = analysis.submodels[time.slow].name if time.slow else "the slow model"
        if time.relation is Separation.OVERLAPPING:
            how = "runs longer than one time grain of"
        elif time.ratio is not None and time.ratio > 1:
            how = "fits below one time grain, but by less than the margin, of"
        else:
            how = "just fills one time grain of"
        return [
            Diagnostic.make(
                Code.TIMESCALE_NOT_SEPARATED,
                f"hierarchical coupling of time scales that are not separated: "
                f"{_span(analysis, time.fast, 'time')} {how} "
                f"{_span(analysis, time.slow, 'time')}; ratio of {slow}'s grain to {fast}'s "
                f"extent {ratio}, separation needs {_needed(verdict)}; make the coupling "
                "concurrent (sb:Concurrent)",
                subject=verdict.coupling,
                path=_TYPE,
                expected=f"ratio {_needed(verdict)}",
                actual=f"ratio {ratio}",
            )
        ]
    if verdict.status is Status.NESTING_INVERTED:
        return [
            Diagnostic.make(
                Code.TIMESCALE_NESTING_INVERTED,
                f"one-way nesting driven by the faster model: the driving "
                f"{_span(analysis, verdict.driving, 'time')} resolves finer times than the "
                f"driven {_span(analysis, verdict.driven, 'time')}, which cannot follow the "
                "forcing it is given",
                subject=verdict.coupling,
                path=_BETWEEN,
                expected="driving grain >= driven grain",
                actual=f"driving grain {_grain(analysis, verdict.driving)}, driven grain "
                f"{_grain(analysis, verdict.driven)}",
            )
        ]
    found = []
    if verdict.status is Status.SEPARATED_CONCURRENT:
        found.append(
            Diagnostic.make(
                Code.TIMESCALE_SEPARATED_CONCURRENT,
                f"concurrent coupling of well-separated time scales: "
                f"{_span(analysis, time.fast, 'time')} lies below "
                f"{_span(analysis, time.slow, 'time')} (ratio {ratio}, needs {_needed(verdict)}); "
                "a hierarchical coupling (MMSF call/release) would give the same answer at lower "
                "cost",
                subject=verdict.coupling,
                path=_TYPE,
            )
        )
    template = verdict.template.value
    if verdict.implied is None or verdict.implied is verdict.template:
        runs = f"MMSF template {template}, as its time scales imply"
    elif verdict.kind is CouplingKind.ONE_WAY_NESTING:
        runs = f"MMSF template {template} (one-way, nothing flows back)"
    else:
        runs = f"MMSF template {template}; its time scales would allow {verdict.implied.value}"
    found.append(
        Diagnostic.make(
            Code.TIMESCALE_COUPLING_VERDICT,
            f"{_KIND[verdict.kind]} coupling, margin {format_ratio(verdict.margin)}: "
            f"{_axis(analysis, time, 'time')}; {_axis(analysis, verdict.space, 'space')}; "
            f"{runs}",
            subject=verdict.coupling,
            path=_BETWEEN,
        )
    )
    return found


def _grain(analysis: TimescaleAnalysis, iri: str | None) -> str:
    span = analysis.submodels[iri].time if iri is not None else None
    return format_time(span.grain) if span is not None else "unknown"
