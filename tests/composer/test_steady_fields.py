"""Steady balances on grids: 0 = div(k grad u) + source, by repeated sparse solves."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy
import pytest

from scalebridge.composer import compose_files
from scalebridge.composer.interpret import interpret
from scalebridge.composer.ir import Method
from scalebridge.diagnostics import Code
from scalebridge.runner import load_solver, run_files

HERE = Path(__file__).resolve().parent
NONLINEAR = (HERE / "nonlinear.ttl").read_text(encoding="utf-8")
STEADY = NONLINEAR.replace("sb:rateOf :T ;", "sb:steadyStateOf :T ;")
K0, BETA, T_COLD, T_HOT, LENGTH = 20.0, 0.005, 300.0, 600.0, 0.1


def _module(tmp_path: Path, text: str, name: str = "model"):  # type: ignore[no-untyped-def]
    model = tmp_path / f"{name}.ttl"
    model.write_text(text, encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert composition.source is not None, [d.message for d in composition.report]
    solver = tmp_path / f"{name}.py"
    solver.write_text(composition.source, encoding="utf-8")
    return composition.program, load_solver(solver)


def test_a_steady_balance_is_solved_once_at_time_zero(tmp_path: Path) -> None:
    assert STEADY != NONLINEAR
    program, module = _module(tmp_path, STEADY)
    (submodel,) = program.submodels
    assert submodel.schedule.method is Method.STEADY
    times, states = module.run()["rod_model"]
    assert times.tolist() == [0.0] and states["T"].shape == (1, 20)


def test_it_is_the_steady_state_the_transient_run_approaches(tmp_path: Path) -> None:
    _program, steady = _module(tmp_path, STEADY, "steady")
    _program, transient = _module(tmp_path, NONLINEAR, "transient")
    direct = steady.run()["rod_model"][1]["T"][0]
    relaxed = transient.run()["rod_model"][1]["T"][-1]  # 20,000 s, many diffusion times
    assert numpy.max(numpy.abs(direct - relaxed)) <= 1e-6


def test_k_of_t_converges_at_second_order_to_the_kirchhoff_solution(tmp_path: Path) -> None:
    errors = []
    for cells in (20, 40, 80):
        _program, module = _module(tmp_path, STEADY.replace("sb:cells 20", f"sb:cells {cells}"),
                                   f"cells_{cells}")
        x = (numpy.arange(cells) + 0.5) * LENGTH / cells
        s_hot = T_HOT - T_COLD
        theta = (s_hot + BETA * s_hot**2 / 2.0) * x / LENGTH
        exact = T_COLD + (-1.0 + numpy.sqrt(1.0 + 2.0 * BETA * theta)) / BETA
        errors.append(float(numpy.max(numpy.abs(module.run()["rod_model"][1]["T"][0] - exact))))
    orders = [math.log2(a / b) for a, b in itertools.pairwise(errors)]
    assert all(order == pytest.approx(2.0, abs=0.2) for order in orders), (errors, orders)


def test_a_heat_source_gives_the_parabola(tmp_path: Path) -> None:
    # k constant (beta = 0), a uniform source q: T = linear + q x (L - x) / (2 k0).
    text = STEADY.replace(":beta a sb:Parameter ; sb:value 0.005 ;",
                          ":beta a sb:Parameter ; sb:value 0.0 ;")
    text = text.replace("sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k ] .",
                        "sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k ] , "
                        "[ a sb:Source ; sb:expression \"q\" ] .\n"
                        ":q a sb:Parameter ; sb:value 2.0e6 ; sb:unit unit:W-PER-M3 .")
    errors = []
    for cells in (10, 20, 40):
        program, module = _module(tmp_path, text.replace("sb:cells 20", f"sb:cells {cells}"),
                                  f"source_{cells}")
        x = (numpy.arange(cells) + 0.5) * LENGTH / cells
        exact = T_COLD + (T_HOT - T_COLD) * x / LENGTH + 2.0e6 * x * (LENGTH - x) / (2 * K0)
        found = module.run()["rod_model"][1]["T"][0]
        errors.append(float(numpy.max(numpy.abs(found - exact))))
        interpreted = interpret(program)["rod_model"][1]["T"][0]
        assert numpy.max(numpy.abs(found - interpreted)) <= 1e-12 * T_HOT
    # the half-cell at each Dirichlet face is second order (measured 1.25, 0.3125, 0.078 K)
    orders = [math.log2(a / b) for a, b in itertools.pairwise(errors)]
    assert all(order == pytest.approx(2.0, abs=0.05) for order in orders), errors


def _insulated(text: str) -> str:
    for side in ("T_cold", "T_hot"):
        text = text.replace(f"sb:condition [ a sb:Dirichlet ; sb:boundaryValue :{side} ]",
                            "sb:condition [ a sb:Neumann ; sb:flux [ sb:value 0.0 ; "
                            "sb:unit unit:W-PER-M2 ] ]")
    return text


def test_insulated_without_sources_keeps_its_level(tmp_path: Path) -> None:
    # Only Neumann sides: u is fixed up to a constant, which the initial value sets.
    _program, module = _module(tmp_path, _insulated(STEADY))
    numpy.testing.assert_allclose(module.run()["rod_model"][1]["T"][0], T_COLD, rtol=1e-12)


def test_insulated_with_a_source_has_no_steady_state_and_says_so(tmp_path: Path) -> None:
    text = _insulated(STEADY).replace(
        "sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k ] .",
        "sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k ] , [ a sb:Source ; sb:expression "
        "\"q\" ] .\n:q a sb:Parameter ; sb:value 1.0e3 ; sb:unit unit:W-PER-M3 .")
    model = tmp_path / "heated.ttl"
    model.write_text(text, encoding="utf-8")
    outcome = run_files([model], out=tmp_path / "out", reasoner=False)
    assert not outcome.ok
    (failure,) = [d for d in outcome.report if d.code is Code.RUN_NUMERICAL_FAILURE]
    assert "do not" in failure.message and "rod_model" in failure.message


CELL = """
@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix :     <https://example.org/cell#> .
:cell_model a sb:Submodel ; sb:onDomain :cell ; sb:hasEquation :conduction ;
    sb:hasRelation :layers .
:cell a sb:Interval ; sb:length :W ; sb:cells 40 ;
    sb:boundary [ a sb:Boundary ; sb:at sb:Left ; sb:condition [ a sb:Periodic ] ] ,
                [ a sb:Boundary ; sb:at sb:Right ; sb:condition [ a sb:Periodic ;
                  sb:level [ sb:expression "G * W" ; sb:unit unit:K ] ] ] .
:theta a sb:Field ; sb:on :cell ; sb:unit unit:K ; sb:initialValue 0.0 .
:W a sb:Parameter ; sb:value 1.0e-3 ; sb:unit unit:M .
:G a sb:Parameter ; sb:value 1000.0 ; sb:unit unit:K-PER-M .
:k_a a sb:Parameter ; sb:value 1.0 ; sb:unit unit:W-PER-M-K .
:k_b a sb:Parameter ; sb:value 10.0 ; sb:unit unit:W-PER-M-K .
:x_ab a sb:Parameter ; sb:value 0.3e-3 ; sb:unit unit:M .
:rho_c a sb:Parameter ; sb:value 1.0e6 ; sb:unit unit:J-PER-M3-K .
:k a sb:AlgebraicVariable ; sb:unit unit:W-PER-M-K .
:layers a sb:AlgebraicRelation ; sb:defines :k ; sb:expression "piecewise(x < x_ab, k_a, k_b)" .
:conduction a sb:Equation ; sb:steadyStateOf :theta ; sb:capacity :rho_c ;
    sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k ] .
"""


def test_a_periodic_cell_under_a_mean_gradient_gives_the_series_conductivity(
        tmp_path: Path) -> None:
    # Two layers across the gradient: the flux is uniform and k_eff = W / sum(d_i / k_i).
    program, module = _module(tmp_path, CELL, "cell")
    theta = module.run()["cell_model"][1]["theta"][0]
    dx, gradient = 1.0e-3 / 40, 1000.0
    k = numpy.where((numpy.arange(40) + 0.5) * dx < 0.3e-3, 1.0, 10.0)
    face_k = 2 * k[:-1] * k[1:] / (k[:-1] + k[1:])
    flux = -face_k * numpy.diff(theta) / dx  # W/m^2 at the interior faces
    wrap = -(2 * k[-1] * k[0] / (k[-1] + k[0])) * (theta[0] + gradient * 1e-3 - theta[-1]) / dx
    assert numpy.ptp(numpy.append(flux, wrap)) <= 1e-9 * abs(wrap)  # divergence-free
    effective = -wrap / gradient
    assert effective == pytest.approx(1.0 / (0.3 / 1.0 + 0.7 / 10.0), rel=1e-12)
    interpreted = interpret(program)["cell_model"][1]["theta"][0]
    assert numpy.max(numpy.abs(theta - interpreted)) <= 1e-12
