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


def test_only_neumann_sides_are_a_clear_failure_not_a_crash(tmp_path: Path) -> None:
    text = STEADY.replace("sb:condition [ a sb:Dirichlet ; sb:boundaryValue :T_cold ]",
                          "sb:condition [ a sb:Neumann ; sb:flux [ sb:value 0.0 ; "
                          "sb:unit unit:W-PER-M2 ] ]")
    text = text.replace("sb:condition [ a sb:Dirichlet ; sb:boundaryValue :T_hot ]",
                        "sb:condition [ a sb:Neumann ; sb:flux [ sb:value 0.0 ; "
                        "sb:unit unit:W-PER-M2 ] ]")
    model = tmp_path / "floating.ttl"
    model.write_text(text, encoding="utf-8")
    outcome = run_files([model], out=tmp_path / "out", reasoner=False)
    assert not outcome.ok
    (failure,) = [d for d in outcome.report if d.code is Code.RUN_NUMERICAL_FAILURE]
    assert "singular" in failure.message and "rod_model" in failure.message
