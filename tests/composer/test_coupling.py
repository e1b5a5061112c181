"""Coupled runs: two reusable tank submodels joined through bridges, composed from three files."""

from __future__ import annotations

from pathlib import Path

import numpy
import pytest

from scalebridge.composer import compose_files
from scalebridge.composer.interpret import interpret
from scalebridge.runner import load_solver

TANKS = Path(__file__).resolve().parents[2] / "examples" / "coupled_tanks"
PS, V = 0.1 / 60.0 / 1000.0, 1e-3  # m3/s and m3


def _compose(path: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    composition = compose_files([path], reasoner=False)
    assert composition.program is not None, [d.message for d in composition.report]
    assert composition.source is not None
    solver = tmp_path / "solver.py"
    solver.write_text(composition.source, encoding="utf-8")
    return composition.program, load_solver(solver)


def test_each_tank_runs_on_its_own_with_its_default(tmp_path: Path) -> None:
    for name, start in (("tank_a", 10.0), ("tank_b", 2.0)):
        _program, module = _compose(TANKS / f"{name}.ttl", tmp_path)
        ((times, states),) = module.run().values()
        (values,) = states.values()
        exact = start * 1e-3 * numpy.exp(-PS / V * times)  # drains into a solute-free bath
        numpy.testing.assert_allclose(values, exact, rtol=1e-10)


def test_the_coupled_tanks_exchange_solute_and_conserve_it_exactly(tmp_path: Path) -> None:
    program, module = _compose(TANKS / "model.ttl", tmp_path)
    assert program.coupling is not None and program.coupling.called == ()
    assert program.coupling.macro_step == 30.0
    assert {e.target for e in program.exchanges} == {"C_beyond_a", "C_beyond_b"}
    results = module.run()
    times, a = results["tank_a"][0], results["tank_a"][1]["C_a"]
    b = results["tank_b"][1]["C_b"]
    total = V * (a + b)
    assert numpy.max(numpy.abs(total / total[0] - 1.0)) <= 1e-12
    # Each tank sees the other's value of the last exchange: the difference follows
    # D_{n+1} = D_n (2 exp(-PS dt / V) - 1) exactly ...
    step = times[1] - times[0]
    factor = 2.0 * numpy.exp(-PS / V * step) - 1.0
    numpy.testing.assert_allclose(a - b, (a[0] - b[0]) * factor ** numpy.arange(len(times)),
                                  rtol=1e-10)
    # ... which is the monolithic solution exp(-2 PS t / V) to first order in the step.
    monolithic = (a[0] - b[0]) * numpy.exp(-2.0 * PS / V * times)
    assert numpy.max(numpy.abs(a - b - monolithic)) <= 0.02 * (a[0] - b[0])
    assert a[-1] == pytest.approx(b[-1], rel=1e-3)  # and they end up level


def test_interpreter_and_generated_code_agree_on_a_coupled_model(tmp_path: Path) -> None:
    program, module = _compose(TANKS / "model.ttl", tmp_path)
    generated = module.run()
    interpreted = interpret(program)
    for name, (times, states) in generated.items():
        numpy.testing.assert_array_equal(times, interpreted[name][0])
        for state, values in states.items():
            other = interpreted[name][1][state]
            assert numpy.max(numpy.abs(values - other)) <= 1e-12 * numpy.max(numpy.abs(values))


def test_a_hierarchical_coupling_calls_its_fine_model(tmp_path: Path) -> None:
    path = (Path(__file__).resolve().parents[1] / "resources" / "broken" / "timescales"
            / "hierarchical_accepted.ttl")
    program, module = _compose(path, tmp_path)
    assert program.coupling is not None and program.coupling.called == ("micro",)
    results = module.run()
    times, macro = results["macro"][0], results["macro"][1]["C"]
    # k = k_cell (100 /s) through the homogenisation bridge: C = C0 exp(-100 t)
    numpy.testing.assert_allclose(macro, 5e-3 * numpy.exp(-100.0 * times), atol=1e-15)
    # the micro model was run whole (0.1 s) at every macro step: its final value
    assert results["micro"][1]["A"][0] == pytest.approx(1e-3 * numpy.exp(-100.0 * 0.1),
                                                        rel=1e-9)


NESTING = Path(__file__).resolve().parent / "nesting.ttl"


def test_one_way_nesting_forces_the_fine_model_boundary(tmp_path: Path) -> None:
    program, module = _compose(NESTING, tmp_path)
    assert program.coupling is not None and program.coupling.called == ()
    assert [(e.kind, e.target) for e in program.exchanges] == [
        ("boundary_forcing", "nest_forcing")]
    results = module.run()
    times, tank = results["tank_model"][0], results["tank_model"][1]["C"]
    film = results["film_model"][1]["u"]
    numpy.testing.assert_allclose(tank, 5e-3 * numpy.exp(-1e-3 * times), rtol=1e-10)
    # The film's left face holds the tank's value of the last exchange (60 s earlier); the
    # film (diffusion time L^2/D = 100 s) follows it closely, from below at first...
    assert film[1][0] == pytest.approx(tank[0], rel=0.05)
    assert numpy.all(film[1] <= tank[0] * (1 + 1e-12))
    # ... and from above once the tank decays: the sealed face lags behind.
    assert film[-1][0] == pytest.approx(tank[-2], rel=0.02)
    assert film[-1][-1] > film[-1][0] > tank[-1]
    # Nothing flows back: the tank is what it would be alone.
    interpreted = interpret(program)
    for name, (_times, states) in results.items():
        for state, values in states.items():
            other = interpreted[name][1][state]
            assert numpy.max(numpy.abs(values - other)) <= 1e-12 * numpy.max(numpy.abs(values))


TANK_FILM = Path(__file__).resolve().parents[2] / "examples" / "tank_film"


def test_the_tank_film_example_nests_two_submodel_files(tmp_path: Path) -> None:
    _program, alone = _compose(TANK_FILM / "film.ttl", tmp_path)
    ((_times, states),) = alone.run().values()
    assert numpy.max(numpy.abs(states["u"])) == 0.0  # a clean film with a clean face
    program, module = _compose(TANK_FILM / "model.ttl", tmp_path)
    assert [(e.kind, e.target) for e in program.exchanges] == [("localization", "C_face")]
    results = module.run()
    times, tank = results["tank_model"][0], results["tank_model"][1]["C"]
    film = results["film_model"][1]["u"]
    numpy.testing.assert_allclose(tank, 5e-3 * numpy.exp(-1e-3 * times), rtol=1e-10)
    assert film[-1][0] == pytest.approx(tank[-2], rel=0.02)  # the face: last exchange's value
    assert film[-1][-1] > film[-1][0] > tank[-1]  # the sealed side lags further behind


def test_a_bridged_parameter_is_an_input_not_a_parameter_to_set(tmp_path: Path) -> None:
    from scalebridge.diagnostics import Code
    from scalebridge.runner import run_files

    program, module = _compose(TANKS / "model.ttl", tmp_path)
    assert "C_beyond_a" not in {p.name for p in program.parameters}
    assert {r.name: r.default for r in program.inputs} == {"C_beyond_a": 0.0, "C_beyond_b": 0.0}
    assert not hasattr(module, "run_0")  # coupled submodels run only as components
    outcome = run_files([TANKS / "model.ttl"], tmp_path / "out", reasoner=False,
                        overrides={"C_beyond_a": 1.0})
    assert not outcome.ok and Code.COMPOSE_INVALID_OVERRIDE in outcome.report.codes
