"""The command line: formats, exit statuses, colour, and no traceback for bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import rdflib

from scalebridge import __version__
from scalebridge.cli import main

REPO = Path(__file__).resolve().parents[1]
HEAT_ROD = str(REPO / "examples" / "heat_rod" / "model.ttl")
BROKEN = REPO / "tests" / "resources" / "broken"


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(argv), stdout=out)
    return status, out.getvalue()


def test_version() -> None:
    assert _run("--version") == (0, f"scalebridge {__version__}\n")


def test_no_command_prints_help_and_is_a_usage_error() -> None:
    status, text = _run()
    assert status == 2 and "validate" in text


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("validate", "--frobnicate", HEAT_ROD)[0] == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_missing_model_argument_is_a_usage_error() -> None:
    assert _run("validate")[0] == 2


def test_clean_model_exits_zero_with_summary() -> None:
    status, text = _run("validate", "--no-reasoner", HEAT_ROD)
    assert status == 0
    assert text.strip() == "0 errors, 0 warnings, 0 notes"


def test_unreadable_file_exits_two() -> None:
    status, text = _run("validate", "--no-reasoner", str(BROKEN / "nope.ttl"))
    assert status == 2 and "LOAD_FILE_UNREADABLE" in text


def test_warnings_fail_only_under_strict() -> None:
    model = str(BROKEN / "missing_unit.ttl")
    assert _run("validate", "--no-reasoner", model)[0] == 0
    status, text = _run("validate", "--no-reasoner", "--strict", model)
    assert status == 1 and "error UNITS_MISSING" in text


def test_several_models_are_reported_together() -> None:
    status, text = _run(
        "validate",
        "--no-reasoner",
        HEAT_ROD,
        str(BROKEN / "unknown_unit.ttl"),
        str(BROKEN / "dangling_port.ttl"),
    )
    assert status == 1
    assert "UNITS_UNKNOWN" in text and "PORT_UNCONNECTED" in text
    assert text.splitlines()[-1] == "2 errors, 0 warnings, 0 notes in 2 files"


def test_json_format() -> None:
    status, text = _run(
        "validate", "--no-reasoner", "--format", "json", str(BROKEN / "unknown_unit.ttl")
    )
    data = json.loads(text)
    assert status == 1
    assert data["summary"]["errors"] == 1
    assert data["diagnostics"][0]["code"] == "UNITS_UNKNOWN"
    assert data["diagnostics"][0]["line"] == 11


def test_turtle_format_is_a_shacl_report() -> None:
    status, text = _run(
        "validate", "--no-reasoner", "--format", "turtle", str(BROKEN / "unknown_unit.ttl")
    )
    graph = rdflib.Graph().parse(data=text, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert status == 1
    assert (None, sh.conforms, rdflib.Literal(False)) in graph
    assert len(list(graph.subjects(rdflib.RDF.type, sh.ValidationResult))) == 1


def test_colour_only_when_asked_or_on_a_terminal() -> None:
    model = str(BROKEN / "unknown_unit.ttl")
    assert "\033[" not in _run("validate", "--no-reasoner", model)[1]
    assert "\033[31;1m" in _run("validate", "--no-reasoner", "--color", "always", model)[1]

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    main(["validate", "--no-reasoner", model], stdout=out)
    assert "\033[31;1m" in out.getvalue()
    out = Terminal()
    main(["validate", "--no-reasoner", "--color", "never", model], stdout=out)
    assert "\033[" not in out.getvalue()


def test_an_internal_error_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import scalebridge.pipeline

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(scalebridge.pipeline, "validate_files", explode)
    monkeypatch.delenv("SCALEBRIDGE_DEBUG", raising=False)
    assert _run("validate", HEAT_ROD)[0] == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err and "Traceback" not in err
