"""The Diagnostic type, the catalogue, and the three renderings of a report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import rdflib

from scalebridge.diagnostics import CATALOGUE, Code, Diagnostic, Report, Severity
from scalebridge.report_format import DIAGNOSTICS_NAMESPACE, report_graph

REPO = Path(__file__).resolve().parents[1]
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


def _sample() -> Report:
    return Report(
        (
            Diagnostic.make(
                Code.UNITS_MISSING, "no unit", subject="urn:x:k", source_file="b.ttl", line=9
            ),
            Diagnostic.make(
                Code.UNITS_UNKNOWN,
                "unknown unit",
                subject="urn:x:T",
                path="urn:p",
                source_file="a.ttl",
                line=4,
                expected="K",
                actual="m",
            ),
            Diagnostic.make(Code.OWL_REASONER_UNAVAILABLE, "no java"),
            Diagnostic.make(
                Code.REF_DANGLING, "dangling", subject="urn:x:C", source_file="a.ttl", line=2
            ),
        )
    )


def test_every_code_is_in_the_catalogue_with_title_hint_and_explanation() -> None:
    assert set(CATALOGUE) == set(Code)
    for code, info in CATALOGUE.items():
        assert info.title and info.explanation and info.hint, code
        assert code.value == code.name
        assert code.value.split("_")[0] in {
            "LOAD",
            "SHAPE",
            "REF",
            "NAME",
            "FORMULA",
            "UNITS",
            "VALUE",
            "PORT",
            "OWL",
            "CONSERVATION",
            "TIMESCALE",
            "STRUCTURE",
            "COMPOSE",
            "RUN",
        }


def test_make_takes_severity_and_hint_from_the_catalogue_unless_given() -> None:
    d = Diagnostic.make(Code.UNITS_MISSING, "m")
    assert d.severity is Severity.WARNING and d.hint == CATALOGUE[Code.UNITS_MISSING].hint
    e = Diagnostic.make(Code.UNITS_MISSING, "m", severity=Severity.ERROR, hint="h")
    assert e.severity is Severity.ERROR and e.hint == "h"


def test_located_keeps_known_positions() -> None:
    d = Diagnostic.make(Code.REF_DANGLING, "m", source_file="a.ttl", line=3)
    assert d.located("b.ttl", 7) == d
    assert Diagnostic.make(Code.REF_DANGLING, "m").located("b.ttl", 7).line == 7


def test_has_errors_respects_strict() -> None:
    warning_only = Report((Diagnostic.make(Code.UNITS_MISSING, "m"),))
    assert not warning_only.has_errors()
    assert warning_only.has_errors(strict=True)
    assert not Report((Diagnostic.make(Code.OWL_REASONER_UNAVAILABLE, "m"),)).has_errors(
        strict=True
    )


def test_sorted_groups_by_file_then_line_unlocated_last() -> None:
    order = [(d.source_file, d.line) for d in _sample().sorted()]
    assert order == [("a.ttl", 2), ("a.ttl", 4), ("b.ttl", 9), (None, None)]


def test_text_rendering_is_compiler_style_with_node_values_and_hint() -> None:
    text = _sample().to_text()
    assert "a.ttl:4: error UNITS_UNKNOWN: unknown unit" in text
    assert "    at <urn:x:T> (<urn:p>)" in text
    assert "    expected: K" in text and "    actual:   m" in text
    assert "hint: " + CATALOGUE[Code.UNITS_UNKNOWN].hint in text
    assert text.splitlines()[-1] == "2 errors, 1 warning, 1 note in 2 files"
    assert "\033[" not in text
    assert "\033[31;1merror\033[0m" in _sample().to_text(color=True)


def test_json_rendering_round_trips() -> None:
    data = json.loads(_sample().to_json())
    assert data["summary"] == {"errors": 2, "warnings": 1, "infos": 1}
    first = data["diagnostics"][0]
    assert first["code"] == "REF_DANGLING" and first["line"] == 2 and first["subject"] == "urn:x:C"
    assert all("hint" in d for d in data["diagnostics"])


def test_turtle_rendering_is_a_shacl_validation_report() -> None:
    graph = rdflib.Graph().parse(data=_sample().to_turtle(), format="turtle")
    reports = list(graph.subjects(rdflib.RDF.type, SH.ValidationReport))
    assert len(reports) == 1
    assert graph.value(reports[0], SH.conforms) == rdflib.Literal(False)
    results = list(graph.objects(reports[0], SH.result))
    assert len(results) == 4
    for result in results:
        for prop in (
            SH.focusNode,
            SH.resultSeverity,
            SH.resultMessage,
            SH.sourceConstraintComponent,
        ):
            assert graph.value(result, prop) is not None
    severities = {graph.value(r, SH.resultSeverity) for r in results}
    assert severities == {SH.Violation, SH.Warning, SH.Info}
    components = {str(graph.value(r, SH.sourceConstraintComponent)) for r in results}
    assert DIAGNOSTICS_NAMESPACE + "UNITS_UNKNOWN" in components


def test_empty_report_conforms() -> None:
    graph = report_graph(Report())
    assert (None, SH.conforms, rdflib.Literal(True)) in graph


def test_diagnostics_page_documents_every_code() -> None:
    page = (REPO / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="([a-z_]+)"></a>', page))
    assert anchors == {code.value.lower() for code in Code}
    for code, info in CATALOGUE.items():
        assert f"## {code.value}" in page and info.title in page
