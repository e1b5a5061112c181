"""An atomistic chain and a finite-element bar joined by a handshake, from Turtle to results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy
import pytest

from scalebridge.composer import compose_files
from scalebridge.composer.interpret import interpret
from scalebridge.composer.ir import Method
from scalebridge.diagnostics import Code
from scalebridge.runner import load_solver, run_files

HERE = Path(__file__).resolve().parent
TEXT = (HERE / "handshake.ttl").read_text(encoding="utf-8")


def _compose(tmp_path: Path, text: str = TEXT):  # type: ignore[no-untyped-def]
    model = tmp_path / "model.ttl"
    model.write_text(text, encoding="utf-8")
    return compose_files([model], reasoner=False)


def _module(tmp_path: Path, text: str = TEXT):  # type: ignore[no-untyped-def]
    composition = _compose(tmp_path, text)
    assert composition.source is not None, [d.message for d in composition.report]
    solver = tmp_path / "solver.py"
    solver.write_text(composition.source, encoding="utf-8")
    return composition.program, load_solver(solver)


def test_the_chain_and_the_bar_are_lowered_as_one_handshake(tmp_path: Path) -> None:
    program, _ = _module(tmp_path)
    joint = program.coupling.handshake
    assert (joint.chain, joint.bar) == ("atoms", "continuum")
    assert joint.start == pytest.approx(12.5e-9) and joint.end == pytest.approx(15e-9)
    motions = {s.name: s.motion for s in program.submodels}
    assert motions["atoms"].kind == "chain" and motions["atoms"].points == 61
    assert motions["continuum"].kind == "bar" and motions["continuum"].points == 36
    assert all(s.schedule.method is Method.VERLET for s in program.submodels)


def test_a_consistent_handshake_passes_the_patch_test(tmp_path: Path) -> None:
    _program, module = _module(tmp_path)
    ghosts = module.ghost_forces(module.parameters())
    assert numpy.max(numpy.abs(ghosts)) <= 1e-10


def test_a_continuum_that_is_not_cauchy_born_fails_the_patch_test(tmp_path: Path) -> None:
    stiffer = TEXT.replace('sb:expression "k_bond * a" .', 'sb:expression "1.2 * k_bond * a" .')
    assert stiffer != TEXT
    composition = _compose(tmp_path, stiffer)
    assert not composition.ok
    (finding,) = [d for d in composition.report if d.code is Code.CONSERVATION_GHOST_FORCES]
    assert not composition.validation.ok()  # `validate` catches it already
    assert float(finding.actual or "0") > 1e-3
    assert finding.line is not None  # located at the handshake bridge


def test_weights_that_do_not_sum_to_one_are_refused_with_their_ghost_forces(tmp_path: Path) -> None:
    bad = TEXT.replace("sb:blendingEnd [ sb:value 15.0 ; sb:unit unit:NanoM ] .",
                       "sb:blendingEnd [ sb:value 15.0 ; sb:unit unit:NanoM ] ;\n"
                       "    sb:weights ( 1.0 0.0 0.5 1.0 ) .")
    assert bad != TEXT
    composition = _compose(tmp_path, bad)
    assert Code.CONSERVATION_WEIGHTS in composition.report.codes
    # and the patch test shows the ghost forces such a blend creates
    (ghosts,) = [d for d in composition.report if d.code is Code.CONSERVATION_GHOST_FORCES]
    assert float(ghosts.actual or "0") > 1e-3
    assert not composition.ok


def test_interpreter_and_generated_module_agree(tmp_path: Path) -> None:
    program, module = _module(tmp_path)
    generated = module.run()
    interpreted = interpret(program)
    for name, (times, states) in generated.items():
        numpy.testing.assert_array_equal(times, interpreted[name][0])
        for state, values in states.items():
            scale = numpy.max(numpy.abs(values))
            assert numpy.max(numpy.abs(values - interpreted[name][1][state])) <= 1e-12 * scale


def test_the_pulse_crosses_into_the_chain_and_energy_is_conserved(tmp_path: Path) -> None:
    _program, module = _module(tmp_path)
    p = module.parameters()
    results = module.run_coupled(p)
    energy, scheme = p["blend_energy"], p["blend_scheme_energy"]
    # velocity Verlet conserves its own (shadow) energy to round-off; the physical energy
    # oscillates by O(dt^2) about it without drifting
    assert numpy.max(numpy.abs(scheme - scheme[0])) <= 1e-12 * scheme[0]
    assert numpy.max(numpy.abs(energy - energy[0])) <= 1e-3 * energy[0]
    chain = results["atoms"][1]["u_a"]
    bar = results["continuum"][1]["u_b"]
    amplitude = 0.01e-9  # m
    assert numpy.max(numpy.abs(chain[0])) < 1e-6 * amplitude  # the pulse starts in the bar
    # the long-wave pulse arrives in the chain at its full amplitude and leaves the bar
    assert numpy.max(numpy.abs(chain[-1])) == pytest.approx(amplitude, rel=0.05)
    x_bar = 12.5e-9 + 0.5e-9 * numpy.arange(36)
    assert numpy.max(numpy.abs(bar[-1][x_bar > 15.5e-9])) < 0.05 * amplitude
    assert 0.0 <= p["blend_reflected"] < 1e-2  # a long wave crosses a handshake cleanly


def test_the_run_records_the_handshake_energy(tmp_path: Path) -> None:
    model = tmp_path / "model.ttl"
    model.write_text(TEXT, encoding="utf-8")
    outcome = run_files([model], out=tmp_path / "out", reasoner=False)
    assert outcome.directory is not None, [d.message for d in outcome.report]
    sidecar = json.loads((outcome.directory / "results.json").read_text(encoding="utf-8"))
    assert sidecar["handshake"]["blend"]["relative_scheme_energy_drift"] <= 1e-12
    assert sidecar["handshake"]["blend"]["relative_energy_oscillation"] <= 1e-3
    assert sidecar["submodels"]["atoms"]["coordinates"]["x"]["unit"] == "m"
    assert (outcome.directory / "atoms_fields.png").is_file()


def test_a_blend_outside_the_chain_is_a_diagnostic_not_a_crash(tmp_path: Path) -> None:
    apart = TEXT.replace("sb:blendingEnd [ sb:value 15.0 ; sb:unit unit:NanoM ]",
                         "sb:blendingEnd [ sb:value 16.0 ; sb:unit unit:NanoM ]")
    assert apart != TEXT
    composition = _compose(tmp_path, apart)
    (finding,) = [d for d in composition.report if d.code is Code.STRUCTURE_HANDSHAKE]
    assert "cannot be built" in finding.message and finding.line is not None


def test_declared_weights_are_read_source_first(tmp_path: Path) -> None:
    # The bar as the source: ( 0 1 1 0 ) is the bar rising from 0 to 1 and the chain falling,
    # the consistent blend, whichever side the chain is on.
    swapped = TEXT.replace(":blend a sb:Handshake ; sb:source :u_a ; sb:target :u_b ;",
                           ":blend a sb:Handshake ; sb:source :u_b ; sb:target :u_a ;")
    swapped = swapped.replace("sb:blendingEnd [ sb:value 15.0 ; sb:unit unit:NanoM ] .",
                              "sb:blendingEnd [ sb:value 15.0 ; sb:unit unit:NanoM ] ;\n"
                              "    sb:weights ( 0.0 1.0 1.0 0.0 ) .")
    program, module = _module(tmp_path, swapped)
    assert program.coupling.handshake.weights == (1.0, 0.0, 0.0, 1.0)  # chain first
    assert numpy.max(numpy.abs(module.ghost_forces(module.parameters()))) <= 1e-10


def test_a_boundary_on_a_moving_bar_is_refused(tmp_path: Path) -> None:
    fixed = TEXT.replace("sb:origin [ sb:value 12.5 ; sb:unit unit:NanoM ] .",
                         "sb:origin [ sb:value 12.5 ; sb:unit unit:NanoM ] ;\n"
                         "    sb:boundary [ a sb:Boundary ; sb:at sb:Right ; sb:condition "
                         "[ a sb:Dirichlet ; sb:boundaryValue [ sb:value 0.0 ; "
                         "sb:unit unit:NanoM ] ] ] .")
    assert fixed != TEXT
    composition = _compose(tmp_path, fixed)
    assert not composition.ok
    assert any("boundary conditions on the domain of an equation of motion" in d.message
               for d in composition.report)


def test_a_rod_at_rest_runs_and_reflects_nothing_measurable(tmp_path: Path) -> None:
    still = TEXT.replace(":A a sb:Parameter ; sb:value 0.01 ;",
                         ":A a sb:Parameter ; sb:value 0.0 ;")
    assert still != TEXT
    _program, module = _module(tmp_path, still)
    p = module.parameters()
    results = module.run_coupled(p)
    assert numpy.isnan(p["blend_reflected"])  # no energy carried: nothing to reflect
    assert numpy.max(numpy.abs(results["atoms"][1]["u_a"])) == 0.0


def test_an_initial_state_may_use_the_time(tmp_path: Path) -> None:
    timed = TEXT.replace('sb:initialValue "A * exp(-((x - x_0) / w)^2)"',
                         'sb:initialValue "A * exp(-((x - x_0) / w)^2) * (1 + t / tau_0)"')
    timed += ":tau_0 a sb:Parameter ; sb:value 1.0 ; sb:unit unit:PicoSEC .\n"
    assert timed.count("tau_0") == 2
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    program, module = _module(tmp_path / "a", timed)
    _, plain = _module(tmp_path / "b")
    numpy.testing.assert_array_equal(module.initial_1(module.parameters())[0],
                                     plain.initial_1(plain.parameters())[0])
    interpreted = interpret(program)["continuum"][1]["u_b"]
    generated = module.run()["continuum"][1]["u_b"]
    assert numpy.max(numpy.abs(interpreted - generated)) <= 1e-12 * numpy.max(numpy.abs(generated))


def test_results_named_like_a_variable_are_refused(tmp_path: Path) -> None:
    clash = TEXT.replace(":c_wave", ":blend_energy").replace("c_wave", "blend_energy")
    composition = _compose(tmp_path, clash)
    assert not composition.ok
    assert any("rename the bridge" in d.message for d in composition.report)
