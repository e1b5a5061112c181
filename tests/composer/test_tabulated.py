"""Hierarchical coupling through a table that the fine model builds, run first."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy
import pytest

from scalebridge.composer import compose_files
from scalebridge.composer.interpret import interpret
from scalebridge.diagnostics import Code
from scalebridge.runner import load_solver, run_files
from scalebridge.solvers.errors import NumericalFailure

HERE = Path(__file__).resolve().parent
ARGUMENTS = numpy.array([300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0])  # K
K_REF, T_REF, TAU, RUN = 100.0, 300.0, 0.5e-3, 10e-3  # W/(m K), K, s, s


def _compose(tmp_path: Path, text: str | None = None):  # type: ignore[no-untyped-def]
    model = tmp_path / "model.ttl"
    model.write_text(text or (HERE / "tabulated.ttl").read_text(encoding="utf-8"),
                     encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    return composition


def _module(tmp_path: Path, text: str | None = None):  # type: ignore[no-untyped-def]
    composition = _compose(tmp_path, text)
    assert composition.source is not None, [d.message for d in composition.report]
    solver = tmp_path / "solver.py"
    solver.write_text(composition.source, encoding="utf-8")
    return composition.program, load_solver(solver)


def _fine_alone(temperature: float) -> float:
    """The fine model's answer in closed form: k_m relaxes from k_ref towards k_eq(T)."""
    k_eq = K_REF * T_REF / temperature
    return k_eq + (K_REF - k_eq) * math.exp(-RUN / TAU)


def test_the_fine_model_runs_once_per_argument_and_fills_the_table(tmp_path: Path) -> None:
    program, module = _module(tmp_path)
    (tabulation,) = program.coupling.tabulations
    assert tabulation.submodel == "micro" and tabulation.input == "T_local"
    assert program.coupling.called == ()  # not called every macro step: tabulated once
    assert program.exchanges == ()  # the feeding bridge sets T_local per table entry instead
    p = module.parameters()
    results = module.run_coupled(p)
    assert set(results) == {"rod_model"}
    table = p[tabulation.name]
    numpy.testing.assert_array_equal(table.arguments, ARGUMENTS)
    expected = [_fine_alone(t) for t in ARGUMENTS]
    numpy.testing.assert_allclose(table.values, expected, rtol=1e-10)


def test_the_rod_uses_the_table_at_each_cells_temperature(tmp_path: Path) -> None:
    # The same rod given the same numbers as a fixed table (sb:values): the same solution.
    _program, module = _module(tmp_path)
    p = module.parameters()
    built = module.run_coupled(p)["rod_model"][1]["T"]
    values = " ".join(repr(v) for v in p["k_from_micro_table"].values)
    text = (HERE / "tabulated.ttl").read_text(encoding="utf-8").replace(
        "sb:argumentValues ( 300 400 500 600 700 800 900 ) ]",
        f"sb:argumentValues ( 300 400 500 600 700 800 900 ) ; sb:values ( {values} ) ]")
    static_dir = tmp_path / "static"
    static_dir.mkdir()
    program, fixed = _module(static_dir, text)
    assert program.coupling.tabulations == ()
    # the given table holds the fine model's answers: it is not run at every macro step
    assert program.coupling.called == () and program.coupling.idle == ("micro",)
    assert set(fixed.run()) == {"rod_model"}
    given = fixed.run()["rod_model"][1]["T"]
    assert numpy.max(numpy.abs(built - given)) <= 1e-8 * 900.0
    # and the table matters: a constant k = k_ref gives a different profile
    assert numpy.max(numpy.abs(built[-1] - numpy.linspace(300, 900, built.shape[1]))) > 5.0


def test_interpreter_and_generated_module_agree(tmp_path: Path) -> None:
    program, module = _module(tmp_path)
    generated = module.run()["rod_model"][1]["T"]
    interpreted = interpret(program)["rod_model"][1]["T"]
    assert numpy.max(numpy.abs(generated - interpreted)) <= 1e-9 * 900.0


def test_a_table_to_build_without_a_feeding_bridge_is_refused(tmp_path: Path) -> None:
    text = (HERE / "tabulated.ttl").read_text(encoding="utf-8")
    text = text.replace(":T_down a sb:Localization ; sb:source :T ; sb:target :T_local .", "")
    text = text.replace("sb:via :T_down, :k_from_micro", "sb:via :k_from_micro")
    text = text.replace("sb:providedBy :T_down", "")
    composition = _compose(tmp_path, text)
    assert not composition.ok
    (refusal,) = [d for d in composition.report if d.code is Code.COMPOSE_UNSUPPORTED]
    assert "must hand 'T' to a parameter of 'micro'" in refusal.message


def test_a_parameters_own_table_still_needs_its_values(tmp_path: Path) -> None:
    text = (HERE / "nonlinear.ttl").read_text(encoding="utf-8")
    text = text.replace(":k a sb:AlgebraicVariable ; sb:unit unit:W-PER-M-K .",
                        ":k a sb:Parameter ; sb:unit unit:W-PER-M-K ; sb:table [ a sb:Table ; "
                        "sb:argument :T ; sb:argumentValues ( 300 600 ) ] .")
    text = text.replace("sb:hasRelation :conductivity ;", "")
    text = text.replace(':conductivity a sb:AlgebraicRelation ; sb:defines :k ;\n'
                        '    sb:expression "k0 * (1 + beta * (T - T_cold))" .', "")
    composition = _compose(tmp_path, text)
    assert Code.SHAPE_MISSING_VALUE in composition.report.codes


def test_the_run_records_the_built_table_with_units(tmp_path: Path) -> None:
    model = tmp_path / "model.ttl"
    model.write_text((HERE / "tabulated.ttl").read_text(encoding="utf-8"), encoding="utf-8")
    outcome = run_files([model], out=tmp_path / "out", reasoner=False)
    assert outcome.directory is not None, [d.message for d in outcome.report]
    sidecar = json.loads((outcome.directory / "results.json").read_text(encoding="utf-8"))
    table = sidecar["tables"]["k_from_micro_table"]
    assert table["argument"]["unit"] == "unit:K" and table["values"]["unit"] == "unit:W-PER-M-K"
    assert table["values"]["value"] == pytest.approx([_fine_alone(t) for t in ARGUMENTS],
                                                     rel=1e-10)
    assert (outcome.directory / "k_from_micro_table.png").is_file()
    assert "micro" not in sidecar["submodels"]


def test_a_fine_model_that_builds_a_table_takes_no_other_bridge(tmp_path: Path) -> None:
    # It runs before the coupled run starts, so a second input would never arrive.
    text = (HERE / "tabulated.ttl").read_text(encoding="utf-8")
    text = text.replace(":c1 a sb:Hierarchical ; sb:between :rod_model, :micro ; sb:via :T_down, "
                        ":k_from_micro .",
                        ":f_local a sb:Parameter ; sb:value 1.0e6 ; sb:unit unit:J-PER-M3-K ; "
                        "sb:providedBy :F_down .\n"
                        ":F_down a sb:Localization ; sb:source :rho_c ; sb:target :f_local .\n"
                        ":c1 a sb:Hierarchical ; sb:between :rod_model, :micro ; "
                        "sb:via :T_down, :k_from_micro, :F_down .")
    text = text.replace('"(k_ref * T_ref / T_local - k_m) / tau"',
                        '"(k_ref * T_ref / T_local * f_local / rho_c - k_m) / tau"')
    composition = _compose(tmp_path, text)
    assert not composition.ok
    (refusal,) = [d for d in composition.report if d.code is Code.COMPOSE_UNSUPPORTED]
    assert "cannot receive the bridges ['F_down']" in refusal.message


def test_a_table_answer_that_depends_on_the_fine_state_is_refused(tmp_path: Path) -> None:
    text = (HERE / "tabulated.ttl").read_text(encoding="utf-8")
    text = text.replace(":k_from_micro a sb:ParameterPassing ; sb:source :k_m ;",
                        ":k_eff a sb:AlgebraicVariable ; sb:unit unit:W-PER-M-K .\n"
                        ":effective a sb:AlgebraicRelation ; sb:defines :k_eff ; "
                        'sb:expression "2 * k_m" .\n'
                        ":k_from_micro a sb:ParameterPassing ; sb:source :k_eff ;")
    text = text.replace(":micro a sb:Submodel ; sb:onDomain :grain ; sb:hasEquation :relaxation ;",
                        ":micro a sb:Submodel ; sb:onDomain :grain ; sb:hasEquation :relaxation ; "
                        "sb:hasRelation :effective ;")
    composition = _compose(tmp_path, text)
    assert not composition.ok
    assert any("must be one of its fields" in d.message for d in composition.report)


def test_a_given_table_looked_up_at_the_other_submodels_field_is_refused(tmp_path: Path) -> None:
    text = (HERE / "tabulated.ttl").read_text(encoding="utf-8").replace(
        "sb:through [ a sb:Table ; sb:argument :T ;\n"
        "                 sb:argumentValues ( 300 400 500 600 700 800 900 ) ]",
        "sb:through [ a sb:Table ; sb:argument :k_m ;\n"
        "                 sb:argumentValues ( 30 100 ) ; sb:values ( 30 100 ) ]")
    composition = _compose(tmp_path, text)
    assert not composition.ok
    assert any("not a variable of the submodel" in d.message for d in composition.report)


def test_a_parameters_table_with_an_empty_values_list_is_a_mismatch(tmp_path: Path) -> None:
    text = (HERE / "nonlinear.ttl").read_text(encoding="utf-8")
    text = text.replace(":k a sb:AlgebraicVariable ; sb:unit unit:W-PER-M-K .",
                        ":k a sb:Parameter ; sb:unit unit:W-PER-M-K ; sb:table [ a sb:Table ; "
                        "sb:argument :T ; sb:argumentValues ( 300 600 ) ; sb:values ( ) ] .")
    text = text.replace("sb:hasRelation :conductivity ;", "")
    text = text.replace(':conductivity a sb:AlgebraicRelation ; sb:defines :k ;\n'
                        '    sb:expression "k0 * (1 + beta * (T - T_cold))" .', "")
    composition = _compose(tmp_path, text)
    assert Code.VALUE_TABLE_MISMATCH in composition.report.codes


def _static_fine_model() -> str:
    """The same coupling with a fine model of relations alone: k_eq(T_local) as a law."""
    text = (HERE / "tabulated.ttl").read_text(encoding="utf-8")
    text = text.replace(":micro a sb:Submodel ; sb:onDomain :grain ; sb:hasEquation :relaxation ;",
                        ":micro a sb:Submodel ; sb:onDomain :grain ; sb:hasRelation :law ;")
    text = text.replace(":k_m a sb:Field ; sb:on :grain ; sb:unit unit:W-PER-M-K ; "
                        'sb:initialValue "k_ref" .',
                        ":k_eq a sb:AlgebraicVariable ; sb:unit unit:W-PER-M-K .\n"
                        ':law a sb:AlgebraicRelation ; sb:defines :k_eq ; '
                        'sb:expression "k_ref * T_ref / T_local" .')
    text = text.replace(":relaxation a sb:Equation ; sb:rateOf :k_m ;\n"
                        '    sb:hasTerm [ a sb:Reaction ; sb:expression "(k_ref * T_ref / T_local '
                        '- k_m) / tau" ] .', "")
    text = text.replace(":k_from_micro a sb:ParameterPassing ; sb:source :k_m ;",
                        ":k_from_micro a sb:ParameterPassing ; sb:source :k_eq ;")
    assert ":k_m" not in text and ":law" in text
    return text


def test_a_static_fine_model_builds_its_table_from_its_relations(tmp_path: Path) -> None:
    # A fine model of relations alone (a constitutive law) has nothing to run: each entry is
    # its answer recomputed with the argument, in the generated module and the interpreter.
    program, module = _module(tmp_path, _static_fine_model())
    (tabulation,) = program.coupling.tabulations
    assert tabulation.static and tabulation.submodel == "micro" and tabulation.output == "k_eq"
    assert [s.name for s in program.submodels] == ["rod_model"]
    p = module.parameters()
    generated = module.run_coupled(p)["rod_model"][1]["T"]
    numpy.testing.assert_allclose(p[tabulation.name].values, K_REF * T_REF / ARGUMENTS,
                                  rtol=1e-12)
    interpreted = interpret(program)["rod_model"][1]["T"]
    assert numpy.max(numpy.abs(generated - interpreted)) <= 1e-9 * 900.0
    # the table reaches the rod: far from the linear profile of a constant k
    assert numpy.max(numpy.abs(generated[-1] - numpy.linspace(300, 900, generated.shape[1]))) > 5.0


def test_a_static_fine_model_reports_a_bad_value_by_its_name(tmp_path: Path) -> None:
    text = _static_fine_model().replace('"k_ref * T_ref / T_local"',
                                        '"k_ref * sqrt(T_ref - T_local) / sqrt(T_ref)"')
    _program, module = _module(tmp_path, text)
    with numpy.errstate(invalid="ignore"), pytest.raises(NumericalFailure) as failure:
        module.run()
    assert failure.value.submodel == "micro" and "k_from_micro_table" in str(failure.value)
