"""scalebridge compose and run, end to end from the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy
import pytest
import rdflib

from scalebridge.cli import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SB = rdflib.Namespace("https://w3id.org/scalebridge/ontology#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main([*argv, "--no-reasoner"], stdout=out)
    return status, out.getvalue()


def test_compose_writes_the_solver_module(tmp_path: Path) -> None:
    target = tmp_path / "solver.py"
    status, out = _cli("compose", str(EXAMPLES / "heat_rod" / "model.ttl"), "-o", str(target))
    assert status == 0, out
    text = target.read_text(encoding="utf-8")
    assert text.startswith('"""Solver for the model <https://w3id.org/scalebridge/examples/heat')
    assert "def run(overrides=None):" in text and f"solver written to {target}" in out


def test_compose_refuses_a_model_with_errors_and_writes_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "rod.ttl"
    text = (EXAMPLES / "heat_rod" / "model.ttl").read_text(encoding="utf-8")
    broken.write_text(text.replace("unit:W-PER-M-K ;", "unit:W-PER-M-KK ;"), encoding="utf-8")
    target = tmp_path / "solver.py"
    status, out = _cli("compose", str(broken), "-o", str(target))
    assert status == 1 and "UNITS_UNKNOWN" in out
    assert not target.exists()


def test_run_writes_results_in_declared_units_with_provenance(tmp_path: Path) -> None:
    out_dir = tmp_path / "pk"
    status, out = _cli("run", str(EXAMPLES / "two_compartment" / "model.ttl"), "--out",
                       str(out_dir), "--quiet")
    assert status == 0, out
    names = {p.name for p in out_dir.iterdir()}
    assert {"solver.py", "results.npz", "results.json", "run.ttl", "pk_fields.png",
            "pk_totals.png"} <= names
    sidecar = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    state = sidecar["submodels"]["pk"]["states"]["C_b"]
    assert state["unit"] == "unit:MilliGM-PER-L"
    with numpy.load(out_dir / "results.npz") as arrays:
        blood = arrays[state["key"]]
        hours = arrays["pk/time"] / 3600.0
    assert blood[0] == pytest.approx(20.0, rel=1e-14)  # 100 mg into 5 L, in mg/L as declared
    assert hours[-1] == 24.0 and len(hours) == 97
    run = rdflib.Graph().parse(out_dir / "run.ttl")
    (activity,) = run.subjects(rdflib.RDF.type, SB.Run)
    assert (activity, PROV.used,
            rdflib.URIRef("https://w3id.org/scalebridge/examples/two_compartment")) in run
    assert str(run.value(activity, SB.sourceHash)) == sidecar["source_sha256"]
    assert len(str(run.value(activity, SB.solverHash))) == 64
    assert (out_dir / "pk_fields.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_set_overrides_a_parameter_in_its_declared_unit(tmp_path: Path) -> None:
    out_dir = tmp_path / "pk"
    status, out = _cli("run", str(EXAMPLES / "two_compartment" / "model.ttl"), "--out",
                       str(out_dir), "--set", "CL=0", "--quiet")
    assert status == 0, out
    sidecar = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    assert sidecar["parameters"]["CL"] == {
        "value": 0.0, "unit": "L/h", "overridden": True,
        "iri": "https://w3id.org/scalebridge/examples/two_compartment#CL"}
    with numpy.load(out_dir / "results.npz") as arrays:
        total = arrays["pk/total/drug"]
    assert numpy.max(numpy.abs(total / total[0] - 1)) < 1e-12  # nothing eliminated
    run = rdflib.Graph().parse(out_dir / "run.ttl")
    assert "CL=0 L/h" in {str(o) for o in run.objects(None, SB.parameterSetting)}


def test_an_unknown_parameter_is_refused(tmp_path: Path) -> None:
    status, out = _cli("run", str(EXAMPLES / "two_compartment" / "model.ttl"), "--out",
                       str(tmp_path / "x"), "--set", "nope=1", "--quiet")
    assert status == 1 and "COMPOSE_INVALID_OVERRIDE" in out and "nope" in out
    assert not (tmp_path / "x").exists()
    status, out = _cli("run", str(EXAMPLES / "two_compartment" / "model.ttl"), "--set", "CL")
    assert status == 2 and "PARAM=NUMBER" in out


def test_a_failed_run_names_where_and_leaves_earlier_results_intact(tmp_path: Path) -> None:
    out_dir = tmp_path / "rod"
    status, _ = _cli("run", str(EXAMPLES / "heat_rod" / "model.ttl"), "--out", str(out_dir),
                     "--quiet")
    assert status == 0
    before = (out_dir / "results.npz").read_bytes()
    # A nonlinear source makes the step explicit; a declared step 25 times the stability
    # limit (dx^2 / 2 alpha = 4.3 s) must be refused, naming the submodel and the field.
    text = (EXAMPLES / "heat_rod" / "model.ttl").read_text(encoding="utf-8")
    unstable = text.replace(
        "sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k ] .",
        'sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k ], '
        '[ a sb:Source ; sb:expression "1e-30 [W/(m3.K2)] * (T - T_air)^2" ] .',
    ).replace("sb:timeScale [", "sb:timeStep [ sb:value 100.0 ; sb:unit unit:SEC ] ;\n"
              "    sb:timeScale [")
    assert unstable.count("sb:timeStep") == 1 and "sb:Source" in unstable
    model = tmp_path / "unstable.ttl"
    model.write_text(unstable, encoding="utf-8")
    status, out = _cli("run", str(model), "--out", str(out_dir), "--quiet")
    assert status == 1, out
    assert "RUN_NUMERICAL_FAILURE" in out and "rod_model" in out and "'T'" in out
    assert (out_dir / "results.npz").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".rod.")]  # no staging left
