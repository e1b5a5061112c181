"""The benchmarks still run (at a tiny size; their times are printed, never asserted)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from scalebridge.ontology.resources import shape_context

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_validate_scaling_runs_and_its_synthetic_models_are_clean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    scaling = _load("validate_scaling")
    assert scaling.main(["--sizes", "4", "12"]) == 0  # 1 if a synthetic model had a finding
    out = capsys.readouterr().out
    assert "growth exponent" in out and "peak resident memory" in out
    for stage in ("parse", "shacl", "build", "units", "timescales", "owl", "locate"):
        assert f"  {stage} " in out, stage
    # About 25 triples per submodel, as the docstring says (plus the ontology's context).
    match = re.search(r"12 submodels\s+(\d+) triples", out)
    assert match is not None
    own = int(match.group(1)) - len(shape_context())
    assert 20 * 12 <= own <= 30 * 12
