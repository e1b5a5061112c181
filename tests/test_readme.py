"""The README's claims stay true: its quickstart output and its command reference."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy
import pytest

from scalebridge.cli import main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_two_commands_are_documented() -> None:
    assert "make demo" in README and "make test" in README
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_quickstart_break_it_step_prints_what_the_readme_shows(tmp_path: Path) -> None:
    text = (REPO / "examples" / "heat_rod" / "model.ttl").read_text(encoding="utf-8")
    broken = text.replace("unit:W-PER-M-K ;", "unit:W-PER-M-KK ;")
    assert broken != text
    model = tmp_path / "rod.ttl"
    model.write_text(broken, encoding="utf-8")
    out = io.StringIO()
    status = main(["validate", str(model)], stdout=out)
    shown = out.getvalue().replace(str(tmp_path), "/tmp")
    assert status == 1
    for line in shown.splitlines():
        assert line in README, line


def test_every_cli_option_is_in_the_reference() -> None:
    for option in ("--format", "--strict", "--no-reasoner", "--color", "--version"):
        assert option in README


def test_the_deeper_checks_print_what_the_readme_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO / "tests" / "resources" / "broken")
    for relative in ("units/term_mismatch.ttl", "timescales/hierarchical_overlap.ttl"):
        out = io.StringIO()
        assert main(["validate", relative], stdout=out) == 1
        finding = [line for line in out.getvalue().splitlines()
                   if line and not line[:1].isdigit()]
        assert finding and finding[0].startswith(relative)
        for line in finding:
            assert line in README, line


def test_every_command_is_in_the_reference() -> None:
    for command in ("scalebridge validate MODEL", "scalebridge plot ssm MODEL", "-o PNG"):
        assert command in README


def test_the_run_step_of_the_quickstart_does_what_it_says(tmp_path: Path) -> None:
    assert "scalebridge run examples/two_compartment/model.ttl --out results/pk --set CL=3" in (
        README
    )
    out = io.StringIO()
    status = main(["run", str(REPO / "examples" / "two_compartment" / "model.ttl"), "--out",
                   str(tmp_path / "pk"), "--set", "CL=3", "--quiet"], stdout=out)
    assert status == 0, out.getvalue()
    meta = json.loads((tmp_path / "pk" / "results.json").read_text(encoding="utf-8"))
    blood = meta["submodels"]["pk"]["states"]["C_b"]
    assert blood["unit"] == "unit:MilliGM-PER-L" and meta["parameters"]["CL"]["value"] == 3.0
    with numpy.load(tmp_path / "pk" / "results.npz") as arrays:
        assert arrays[blood["key"]][0] == pytest.approx(20.0, rel=1e-14)
    for name in ("solver.py", "results.npz", "results.json", "run.ttl", "pk_fields.png"):
        assert (tmp_path / "pk" / name).is_file() and name in README
