"""The broken-model manifests: every case yields exactly its codes, at its line and node.

Each case of every ``tests/resources/broken/**/manifest.ttl`` (one per area: the foundation's
in the top folder, then units, conservation, timescales, structure) is validated through the
pipeline and through the command line (in process, and a few as a real subprocess); the command
must exit with the expected status, print the node and the line, and never a traceback.
"""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib

from scalebridge.cli import main
from scalebridge.diagnostics import Code
from scalebridge.pipeline import validate_files

BROKEN = Path(__file__).resolve().parents[1] / "resources" / "broken"
MF = rdflib.Namespace("https://w3id.org/scalebridge/test-manifest#")


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    expect: frozenset[str]
    line: int | None
    node: str | None
    strict: bool
    exit: int
    max_bytes: int | None
    java: str | None

    @property
    def plain(self) -> bool:
        """A case the command line can reproduce (no test-only options)."""
        return self.max_bytes is None and self.java is None


def _cases() -> list[Case]:
    cases = []
    for manifest in sorted(BROKEN.rglob("manifest.ttl")):
        cases += _cases_in(manifest)
    return cases


def _cases_in(manifest: Path) -> list[Case]:
    graph = rdflib.Graph().parse(manifest)
    cases = []
    for node in sorted(graph.subjects(rdflib.RDF.type, MF.Case), key=str):

        def one(prop: rdflib.URIRef, node: rdflib.term.Node = node) -> object:
            value = graph.value(node, prop)
            return value.toPython() if isinstance(value, rdflib.Literal) else None

        cases.append(
            Case(
                name=f"{manifest.parent.name}/{str(node).rsplit('#', 1)[-1]}",
                path=manifest.parent / str(one(MF.file)),
                expect=frozenset(str(v) for v in graph.objects(node, MF.expect)),
                line=one(MF.line),  # type: ignore[arg-type]
                node=one(MF.node),  # type: ignore[arg-type]
                strict=bool(one(MF.strict)),
                exit=1 if one(MF.exit) is None else int(one(MF.exit)),  # type: ignore[call-overload]
                max_bytes=one(MF.maxBytes),  # type: ignore[arg-type]
                java=one(MF.java),  # type: ignore[arg-type]
            )
        )
    return cases


CASES = _cases()


def _validate(case: Case):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {"strict": case.strict}
    if case.max_bytes is not None:
        options["max_bytes"] = case.max_bytes
    if case.java is not None:
        options["java"] = case.java
    return validate_files([case.path], **options)  # type: ignore[arg-type]


def test_manifest_is_large_enough() -> None:
    assert len(CASES) >= 15
    assert len({c.path for c in CASES}) >= 15


def test_every_code_is_exercised_by_a_broken_model() -> None:
    exercised = set().union(*(c.expect for c in CASES))
    # COMPOSE_ and RUN_ codes come from compose and run, not validate (tests/composer has them).
    validating = {str(code) for code in Code if not code.value.startswith(("COMPOSE_", "RUN_"))}
    assert exercised == validating


def test_the_base_model_of_the_broken_cases_is_clean() -> None:
    report = validate_files([BROKEN / "valid_base.ttl"]).report
    assert report.codes == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_yields_exactly_its_codes(case: Case, network_attempts: list[object]) -> None:
    report = _validate(case).report
    assert {str(c) for c in report.codes} == case.expect, report.to_text()
    matching = [d for d in report if str(d.code) in case.expect]
    if case.line is not None:
        assert case.line in {d.line for d in matching}, report.to_text()
    if case.node is not None:
        named = {d.subject for d in matching} | {r for d in matching for r in d.related}
        assert case.node in named, report.to_text()
    assert all(d.message and d.hint for d in report)
    assert network_attempts == []


@pytest.mark.parametrize("case", [c for c in CASES if c.plain], ids=lambda c: c.name)
def test_cli_exit_status_names_node_and_line(
    case: Case, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    argv = ["validate", str(case.path)] + (["--strict"] if case.strict else [])
    if not any(code.startswith("OWL_") for code in case.expect):
        argv.append("--no-reasoner")  # the pipeline test above already ran the reasoner on it
    status = main(argv, stdout=out)
    text = out.getvalue()
    assert status == case.exit, text
    assert "Traceback" not in text + capsys.readouterr().err
    for code in case.expect:
        assert code in text
    if case.line is not None:
        assert f":{case.line}: " in text
    if case.node is not None:
        assert f"<{case.node}>" in text


def test_formula_injection_executes_nothing(tmp_path: Path) -> None:
    marker = Path("/tmp/scalebridge-pwned")
    marker.unlink(missing_ok=True)
    report = validate_files([BROKEN / "formula_injection.ttl"], reasoner=False).report
    assert [str(c) for c in report.codes] == ["FORMULA_SYNTAX"]
    assert "__import__" in report.diagnostics[0].message
    assert not marker.exists()


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("import_http.ttl", 1),
        ("syntax_error.ttl", 1),
        ("binary_garbage.ttl", 1),
        ("does_not_exist.ttl", 2),
    ],
)
def test_real_command_never_prints_a_traceback(name: str, status: int) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "scalebridge.cli", "validate", "--no-reasoner", str(BROKEN / name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == status, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
    assert name in completed.stdout
