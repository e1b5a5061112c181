"""Renderings of a :class:`~scalebridge.diagnostics.Report`: text for people, Turtle for tools.

Text follows the compiler convention ``file:line: severity CODE: message`` (editors make it
clickable), grouped by file and line, with the node, expected and actual values and the hint on
indented lines beneath.  Turtle is a W3C ``sh:ValidationReport``: each diagnostic a
``sh:ValidationResult`` whose ``sh:sourceConstraintComponent`` is the code's IRI in the
scalebridge diagnostics namespace, with file, line and hint as extra properties.

Example
-------
>>> from scalebridge.diagnostics import Code, Diagnostic, Report
>>> r = Report((Diagnostic.make(Code.UNITS_MISSING, "no unit", subject="urn:x", source_file="m.ttl",
...                             line=3),))
>>> print(report_to_text(r).splitlines()[0])
m.ttl:3: warning UNITS_MISSING: no unit
"""

from __future__ import annotations

import rdflib

from scalebridge.diagnostics import CATALOGUE, Diagnostic, Report, Severity
from scalebridge.ontology.resources import SB_NAMESPACE

__all__ = ["DIAGNOSTICS_NAMESPACE", "report_to_text", "report_to_turtle"]

DIAGNOSTICS_NAMESPACE = "https://w3id.org/scalebridge/diagnostics#"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
SBD = rdflib.Namespace(DIAGNOSTICS_NAMESPACE)

_COLOURS = {Severity.ERROR: "\033[31;1m", Severity.WARNING: "\033[33;1m", Severity.INFO: "\033[36m"}
_RESET = "\033[0m"
_SH_SEVERITY = {Severity.ERROR: SH.Violation, Severity.WARNING: SH.Warning, Severity.INFO: SH.Info}


_PREFIXES = (
    ("sb:", SB_NAMESPACE),
    ("rdf:", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs:", "http://www.w3.org/2000/01/rdf-schema#"),
    ("owl:", "http://www.w3.org/2002/07/owl#"),
)


def _node(iri: str) -> str:
    for prefix, namespace in _PREFIXES:
        if iri.startswith(namespace):
            return prefix + iri[len(namespace) :]
    if iri.startswith("_:"):
        return "a blank node"
    return f"<{iri}>"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def report_to_text(report: Report, *, color: bool = False) -> str:
    """Human-readable text; ``color`` adds ANSI colours (only for a terminal)."""
    lines: list[str] = []
    for d in report.sorted():
        where = d.source_file or "(model)"
        if d.line is not None:
            where += f":{d.line}"
        severity = str(d.severity)
        if color:
            severity = f"{_COLOURS[d.severity]}{severity}{_RESET}"
        lines.append(f"{where}: {severity} {d.code}: {d.message}")
        if d.subject:
            at = f"    at {_node(d.subject)}"
            if d.subject.startswith("_:") and d.related:
                at += f" inside {_node(d.related[0])}"
            if d.path:
                at += f" ({_node(d.path)})"
            lines.append(at)
        if d.expected is not None:
            lines.append(f"    expected: {d.expected}")
        if d.actual is not None:
            lines.append(f"    actual:   {d.actual}")
        if d.hint:
            lines.append(f"    hint: {d.hint}")
    counts = report.summary()
    files = {d.source_file for d in report if d.source_file}
    summary = ", ".join(
        [
            _plural(counts["errors"], "error"),
            _plural(counts["warnings"], "warning"),
            _plural(counts["infos"], "note"),
        ]
    )
    if files:
        summary += f" in {_plural(len(files), 'file')}"
    lines.append(summary)
    return "\n".join(lines)


def report_to_turtle(report: Report) -> str:
    """The report as a SHACL validation report in Turtle."""
    graph = report_graph(report)
    text: str = graph.serialize(format="turtle")
    return text


def report_graph(report: Report) -> rdflib.Graph:
    """The report as an RDF graph in the ``sh:ValidationReport`` vocabulary."""
    graph = rdflib.Graph()
    graph.bind("sh", SH)
    graph.bind("sbd", SBD)
    graph.bind("sb", rdflib.Namespace(SB_NAMESPACE))
    root = rdflib.BNode()
    graph.add((root, rdflib.RDF.type, SH.ValidationReport))
    graph.add((root, SH.conforms, rdflib.Literal(len(report) == 0)))
    for d in report.sorted():
        graph.add((root, SH.result, _result(graph, d)))
    return graph


def _result(graph: rdflib.Graph, d: Diagnostic) -> rdflib.BNode:
    node = rdflib.BNode()
    add = graph.add
    add((node, rdflib.RDF.type, SH.ValidationResult))
    if d.subject and d.subject.startswith("_:"):
        focus: rdflib.term.Node = rdflib.BNode(d.subject[2:])
    elif d.subject:
        focus = rdflib.URIRef(d.subject)
    else:
        focus = rdflib.URIRef(f"{DIAGNOSTICS_NAMESPACE}model")
    add((node, SH.focusNode, focus))
    add((node, SH.resultSeverity, _SH_SEVERITY[d.severity]))
    add((node, SH.resultMessage, rdflib.Literal(d.message)))
    add((node, SH.sourceConstraintComponent, SBD[str(d.code)]))
    if d.path:
        add((node, SH.resultPath, rdflib.URIRef(d.path)))
    add((node, SBD.code, rdflib.Literal(str(d.code))))
    add((node, SBD.title, rdflib.Literal(CATALOGUE[d.code].title)))
    if d.source_file:
        add((node, SBD.file, rdflib.Literal(d.source_file)))
    if d.line is not None:
        add((node, SBD.line, rdflib.Literal(d.line)))
    if d.hint:
        add((node, SBD.hint, rdflib.Literal(d.hint)))
    if d.expected is not None:
        add((node, SBD.expected, rdflib.Literal(d.expected)))
    if d.actual is not None:
        add((node, SBD.actual, rdflib.Literal(d.actual)))
    return node
