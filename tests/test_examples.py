"""The examples validate clean, reasoner included and under --strict, and document themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalebridge.pipeline import validate_files

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.parent for p in (REPO / "examples").glob("*/model.ttl"))


def test_the_foundation_examples_exist() -> None:
    assert {p.name for p in EXAMPLES} >= {"heat_rod", "two_compartment"}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_validates_clean_under_strict(example: Path) -> None:
    validation = validate_files([example / "model.ttl"], strict=True)
    # A coupled example's only finding is the verdict on its coupling (information).
    codes = {c.value for c in validation.report.codes}
    assert codes <= {"TIMESCALE_COUPLING_VERDICT"}, validation.report.to_text()
    assert not validation.report.has_errors(strict=True)
    assert validation.ok(strict=True)
    model = validation.model
    assert model is not None and model.submodels
    for variable in model.variables.values():
        assert variable.unit is not None, variable.iri  # every quantity carries a unit


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_has_a_readme_with_equations_and_units(example: Path) -> None:
    readme = (example / "README.md").read_text(encoding="utf-8")
    assert "## Equations" in readme and "## Parameters" in readme
    assert "| Symbol |" in readme and "Unit" in readme
