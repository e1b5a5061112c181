"""A diffusion coefficient that depends on the field: k(T) lowered to a stiff method of lines."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy
import pytest

from scalebridge.composer import compose_files
from scalebridge.composer.interpret import interpret
from scalebridge.composer.ir import Method
from scalebridge.runner import load_solver, run_files

HERE = Path(__file__).resolve().parent
K0, BETA, T_COLD, T_HOT, LENGTH = 20.0, 0.005, 300.0, 600.0, 0.1


def _compose(tmp_path: Path, cells: int = 20):  # type: ignore[no-untyped-def]
    text = (HERE / "nonlinear.ttl").read_text(encoding="utf-8")
    model = tmp_path / f"nonlinear_{cells}.ttl"
    model.write_text(text.replace("sb:cells 20", f"sb:cells {cells}"), encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert composition.program is not None and composition.source is not None
    solver = tmp_path / f"solver_{cells}.py"
    solver.write_text(composition.source, encoding="utf-8")
    return composition.program, load_solver(solver)


def _kirchhoff(x: numpy.ndarray) -> numpy.ndarray:
    """The exact steady state: k0 (s + beta s^2 / 2) = theta_hot x / L with s = T - T_cold."""
    s_hot = T_HOT - T_COLD
    theta = (s_hot + BETA * s_hot**2 / 2.0) * x / LENGTH
    s = (-1.0 + numpy.sqrt(1.0 + 2.0 * BETA * theta)) / BETA
    return T_COLD + s


def test_a_field_dependent_conductivity_is_run_by_the_stiff_method(tmp_path: Path) -> None:
    program, _module = _compose(tmp_path)
    assert program.submodels[0].schedule.method is Method.STIFF
    assert program.submodels[0].fields[0].nonlinear_coefficients


def test_the_steady_state_is_the_kirchhoff_solution_at_second_order(tmp_path: Path) -> None:
    errors = []
    for cells in (20, 40, 80):
        _program, module = _compose(tmp_path, cells)
        _times, states = module.run()["rod_model"]
        x = (numpy.arange(cells) + 0.5) * LENGTH / cells
        errors.append(float(numpy.max(numpy.abs(states["T"][-1] - _kirchhoff(x)))))
    orders = [math.log2(a / b) for a, b in itertools.pairwise(errors)]
    assert errors[-1] < 0.05  # K, on a 300 K span
    # Harmonic face means of k(T) converge at second order (measured 1.87 then 1.93).
    assert all(order == pytest.approx(2.0, abs=0.2) for order in orders), (errors, orders)


def test_the_linear_rod_would_be_wrong_by_kelvins(tmp_path: Path) -> None:
    # The control: the straight line of constant k misses the curved profile by far more
    # than the discretisation error, so the test above does detect the nonlinearity.
    x = numpy.linspace(0.0, LENGTH, 41)
    straight = T_COLD + (T_HOT - T_COLD) * x / LENGTH
    assert numpy.max(numpy.abs(_kirchhoff(x) - straight)) > 15.0


def test_interpreter_and_generated_module_agree(tmp_path: Path) -> None:
    program, module = _compose(tmp_path)
    generated = module.run()["rod_model"][1]["T"]
    interpreted = interpret(program)["rod_model"][1]["T"]
    # Both difference the same Jacobian pattern through the same BDF, so they agree to the
    # round-off of evaluating k in two ways, amplified only by the step controller.
    assert numpy.max(numpy.abs(generated - interpreted)) <= 1e-9 * T_HOT


def test_energy_is_conserved_without_boundary_exchange(tmp_path: Path) -> None:
    # Insulated ends, a hot half and a cold half: the total energy (capacity x T, constant
    # capacity) is constant while k(T) redistributes it.
    text = (HERE / "nonlinear.ttl").read_text(encoding="utf-8")
    text = text.replace('sb:condition [ a sb:Dirichlet ; sb:boundaryValue :T_cold ]',
                        'sb:condition [ a sb:Neumann ; sb:flux [ sb:value 0.0 ; '
                        'sb:unit unit:W-PER-M2 ] ]')
    text = text.replace('sb:condition [ a sb:Dirichlet ; sb:boundaryValue :T_hot ]',
                        'sb:condition [ a sb:Neumann ; sb:flux [ sb:value 0.0 ; '
                        'sb:unit unit:W-PER-M2 ] ]')
    text = text.replace('sb:initialValue "T_cold"',
                        'sb:initialValue "piecewise(x < x_mid, T_cold, T_hot)"')
    text += ":x_mid a sb:Parameter ; sb:value 0.05 ; sb:unit unit:M .\n"
    model = tmp_path / "insulated.ttl"
    model.write_text(text, encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert composition.source is not None, composition.report
    solver = tmp_path / "insulated.py"
    solver.write_text(composition.source, encoding="utf-8")
    temperatures = load_solver(solver).run()["rod_model"][1]["T"]
    totals = temperatures.sum(axis=1)
    drift = numpy.max(numpy.abs(totals - totals[0])) / totals[0]
    assert drift <= 1e-12
    assert numpy.ptp(temperatures[-1]) < 1.0  # it did diffuse to near-uniform


def test_a_time_dependent_conductivity_uses_the_models_clock(tmp_path: Path) -> None:
    text = (HERE / "nonlinear.ttl").read_text(encoding="utf-8").replace(
        'sb:expression "k0 * (1 + beta * (T - T_cold))" .',
        'sb:expression "k0 * (1 + beta * (T - T_cold)) * (1 + t / tau_k)" .')
    text += ":tau_k a sb:Parameter ; sb:value 5000.0 ; sb:unit unit:SEC .\n"
    model = tmp_path / "timed.ttl"
    model.write_text(text, encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert composition.program is not None and composition.source is not None
    solver = tmp_path / "timed.py"
    solver.write_text(composition.source, encoding="utf-8")
    generated = load_solver(solver).run()["rod_model"][1]["T"]
    interpreted = interpret(composition.program)["rod_model"][1]["T"]
    assert numpy.max(numpy.abs(generated - interpreted)) <= 1e-9 * T_HOT


def test_a_boundary_coefficient_of_the_field_is_refused(tmp_path: Path) -> None:
    text = (HERE / "nonlinear.ttl").read_text(encoding="utf-8").replace(
        "sb:condition [ a sb:Dirichlet ; sb:boundaryValue :T_hot ]",
        "sb:condition [ a sb:Robin ; sb:coefficient [ sb:expression \"h0 * T / T_cold\" ; "
        "sb:unit unit:W-PER-M2-K ] ; sb:ambient :T_hot ]")
    text += ":h0 a sb:Parameter ; sb:value 100.0 ; sb:unit unit:W-PER-M2-K .\n"
    model = tmp_path / "robin.ttl"
    model.write_text(text, encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert composition.validation.ok() and not composition.ok
    assert any("depends on the field itself" in d.message for d in composition.report)


def test_no_total_is_reported_for_a_capacity_that_depends_on_the_field(tmp_path: Path) -> None:
    text = (HERE / "nonlinear.ttl").read_text(encoding="utf-8").replace(
        "sb:capacity :rho_c ;",
        "sb:capacity [ sb:expression \"rho_c * (1 + beta * (T - T_cold))\" ; "
        "sb:unit unit:J-PER-M3-K ] ;")
    model = tmp_path / "capacity.ttl"
    model.write_text(text, encoding="utf-8")
    outcome = run_files([model], out=tmp_path / "out", reasoner=False)
    assert outcome.directory is not None, [d.message for d in outcome.report]
    sidecar = json.loads((outcome.directory / "results.json").read_text(encoding="utf-8"))
    assert sidecar["submodels"]["rod_model"]["totals"] == {}  # C(T0) x T would be wrong
