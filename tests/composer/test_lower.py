"""Lowering: SI parameters, generated exchange terms, linearity, schedules, and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

from scalebridge.composer import compose_files
from scalebridge.composer.ir import Method
from scalebridge.diagnostics import Code

REPO = Path(__file__).resolve().parents[2]


def _program(example: str):  # type: ignore[no-untyped-def]
    composition = compose_files([REPO / "examples" / example / "model.ttl"], reasoner=False)
    assert composition.program is not None, [d.message for d in composition.report]
    return composition.program


def test_parameters_are_converted_to_si_once() -> None:
    program = _program("two_compartment")
    values = {p.name: p for p in program.parameters}
    assert values["Q"].value == pytest.approx(60.0 / 1000 / 3600, rel=1e-15)
    assert values["dose"].value == pytest.approx(100e-6, rel=1e-15)
    assert values["Q"].declared == 60.0 and values["Q"].unit == "unit:L-PER-HR"


def test_carrier_flows_become_exchange_terms_and_the_system_is_linear() -> None:
    program = _program("two_compartment")
    (pk,) = program.submodels
    system = pk.compartments
    assert system is not None and system.linear
    assert pk.schedule.method is Method.PROPAGATOR
    c_b, c_t, q, kp, cl, v_b, v_t = sympy.symbols("C_b C_t Q Kp CL V_b V_t", real=True)
    expected_blood = (q * c_t / kp - q * c_b - cl * c_b) / v_b
    expected_tissue = (q * c_b - q * c_t / kp) / v_t
    assert sympy.simplify(system.rates[0] - expected_blood) == 0
    assert sympy.simplify(system.rates[1] - expected_tissue) == 0
    # amount leaving one compartment arrives in the other: capacity-weighted rates cancel
    # except for the elimination
    net = system.capacities[0] * system.rates[0] + system.capacities[1] * system.rates[1]
    assert sympy.simplify(net + cl * c_b) == 0


def test_a_rod_with_linear_diffusion_is_scheduled_implicitly() -> None:
    program = _program("heat_rod")
    (rod,) = program.submodels
    (problem,) = rod.fields
    assert rod.schedule.method is Method.IMPLICIT
    assert rod.schedule.step == pytest.approx(5.0)  # the declared time grain
    assert [b.kind for b in problem.boundaries] == ["dirichlet", "robin"]
    assert problem.grid.sides == (0.5,) and problem.grid.cells == (50,)


def test_a_nonlinear_compartment_model_gets_bdf_with_its_jacobian(tmp_path: Path) -> None:
    text = (REPO / "examples" / "two_compartment" / "model.ttl").read_text(encoding="utf-8")
    nonlinear = text.replace('sb:expression "CL * C_b"',
                             'sb:expression "CL * C_b / (1 + C_b / 1 [mg/L])"')
    assert nonlinear != text
    model = tmp_path / "model.ttl"
    model.write_text(nonlinear, encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert composition.program is not None, [d.message for d in composition.report]
    (pk,) = composition.program.submodels
    assert pk.compartments is not None and not pk.compartments.linear
    assert pk.schedule.method is Method.STIFF
    c_b = sympy.Symbol("C_b", real=True)
    assert c_b in pk.compartments.jacobian[0][0].free_symbols


def test_a_model_with_errors_is_not_composed(tmp_path: Path) -> None:
    text = (REPO / "examples" / "heat_rod" / "model.ttl").read_text(encoding="utf-8")
    model = tmp_path / "model.ttl"
    model.write_text(text.replace("unit:W-PER-M-K ;", "unit:W-PER-M-KK ;"), encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert not composition.ok and composition.source is None
    assert Code.UNITS_UNKNOWN in composition.report.codes


def test_a_tabulated_conductivity_makes_a_stiff_nonlinear_field(tmp_path: Path) -> None:
    text = (REPO / "examples" / "heat_rod" / "model.ttl").read_text(encoding="utf-8")
    tabulated = text.replace(
        "sb:value 45.0 ; sb:unit unit:W-PER-M-K ;",
        "sb:unit unit:W-PER-M-K ; sb:table [ a sb:Table ; sb:argument :T ; "
        "sb:argumentValues ( 300 900 ) ; sb:values ( 45 30 ) ] ;",
    )
    assert tabulated != text
    model = tmp_path / "model.ttl"
    model.write_text(tabulated, encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert composition.program is not None, [d.message for d in composition.report]
    (submodel,) = composition.program.submodels
    assert submodel.schedule.method is Method.STIFF
    assert submodel.fields[0].nonlinear_coefficients


def test_what_cannot_be_lowered_is_refused_with_a_diagnostic(tmp_path: Path) -> None:
    # A velocity that depends on the advected field (Burgers-like): valid, not lowered yet.
    text = (REPO / "examples" / "heat_rod" / "model.ttl").read_text(encoding="utf-8")
    burgers = text.replace(
        "sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k ] .",
        "sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k ] , [ a sb:Advection ; sb:velocity "
        '[ sb:expression "w_ref * T / T_air" ; sb:unit unit:M-PER-SEC ] ] .\n'
        ":w_ref a sb:Parameter ; sb:value 1.0e-6 ; sb:unit unit:M-PER-SEC .",
    )
    assert burgers != text
    model = tmp_path / "model.ttl"
    model.write_text(burgers, encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert not composition.validation.report.has_errors(), [
        d.message for d in composition.report]
    assert not composition.ok
    (refusal,) = [d for d in composition.report if d.code is Code.COMPOSE_UNSUPPORTED]
    assert "depends on the advected field" in refusal.message
    assert refusal.hint and refusal.line is not None


def test_a_submodel_without_a_duration_cannot_run(tmp_path: Path) -> None:
    text = (REPO / "examples" / "two_compartment" / "model.ttl").read_text(encoding="utf-8")
    timeless = text.replace("sb:duration [ sb:value 24.0 ; sb:unit unit:HR ] ;", "")
    timeless = timeless.replace("sb:extent [ sb:value 24.0 ; sb:unit unit:HR ]",
                                "sb:extent [ sb:value 1.0 ; sb:unit unit:HR ]")
    timeless = timeless.replace("sb:timeScale [", "rdfs:comment [")
    assert timeless != text
    model = tmp_path / "model.ttl"
    model.write_text(timeless, encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert composition.report.codes == [Code.COMPOSE_NO_DURATION]
    (finding,) = composition.report
    assert finding.subject == "https://w3id.org/scalebridge/examples/two_compartment#pk"
    assert finding.line == 25 and finding.source_file == str(model)


def test_a_long_rod_is_still_stepped_implicitly(tmp_path: Path) -> None:
    # A tridiagonal system factors at any size: only 2-D grids switch to explicit steps.
    text = (REPO / "examples" / "heat_rod" / "model.ttl").read_text(encoding="utf-8")
    long = text.replace("sb:cells 50 ;", "sb:cells 300000 ;")
    assert long != text
    model = tmp_path / "rod.ttl"
    model.write_text(long, encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert composition.program is not None, [d.message for d in composition.report]
    assert composition.program.submodels[0].schedule.method is Method.IMPLICIT
