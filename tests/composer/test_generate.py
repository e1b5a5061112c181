"""The generated module: deterministic (golden files), standalone, and safe with hostile names."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from scalebridge.composer import compose_files

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = ("heat_rod", "two_compartment")


def _source(example: str) -> str:
    composition = compose_files([REPO / "examples" / example / "model.ttl"], reasoner=False)
    assert composition.ok, [d.message for d in composition.report]
    assert composition.source is not None
    return composition.source


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_generated_module_matches_its_golden_file(example: str) -> None:
    text = _source(example)
    golden = GOLDEN / f"{example}_solver.py"
    if os.environ.get("SCALEBRIDGE_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    assert text == _source(example)  # and composing twice gives the same bytes


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_module_imports_only_numpy_scipy_and_the_solvers(example: str) -> None:
    tree = ast.parse(_source(example))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.module is not None
            imported.add(node.module)
    assert imported <= {"numpy", "scipy", "scalebridge.solvers", "scalebridge.solvers.errors"}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not names & {"eval", "exec", "compile", "__import__", "open"}


def test_the_header_names_model_hash_and_version() -> None:
    text = _source("two_compartment")
    assert text.startswith('"""Solver for the model '
                           '<https://w3id.org/scalebridge/examples/two_compartment>')
    assert "SOURCE_SHA256 = '" in text and "SCALEBRIDGE_VERSION = '0.1.0'" in text
    assert "'C_b': ('pk', 'unit:MilliGM-PER-L'" in text
    assert "'Q': (60.0, 'unit:L-PER-HR', 2.7777777777777776e-07" in text


def test_names_from_the_graph_only_appear_inside_string_literals(tmp_path: Path) -> None:
    # A label and a symbol that would be code if pasted: they must stay data.
    text = (REPO / "examples" / "two_compartment" / "model.ttl").read_text(encoding="utf-8")
    payload = r"""rdfs:label "x'); import os; os.system('true') #\n\"\"\"" """
    hostile = text.replace('rdfs:label "drug concentration in blood"', payload)
    assert hostile != text
    model = tmp_path / "model.ttl"
    model.write_text(hostile, encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert composition.ok and composition.source is not None
    tree = ast.parse(composition.source)
    calls = {n.func.attr for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    assert "system" not in calls
    strings = [n.value for n in ast.walk(tree)
               if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    labels = [text for text in strings if "os.system" in text]
    assert labels  # the label is there, as a string
