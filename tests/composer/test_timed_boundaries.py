"""Boundary conditions that vary in time, and the values a field presents at its ports.

A rod is heated through its left face by a flux switched off at t_off (timed.ttl).  Every
method the composer picks for it (implicit, explicit, stiff, steady) evaluates the flux at
the time it needs it: the heat the rod holds at the end is q0 t_off, and the heated face
follows the semi-infinite solution.  Ports on the two sides present the face values, which
a probe reads through a concurrent coupling and the run records.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy
import pytest
import sympy

from scalebridge.composer import compose_files
from scalebridge.composer.interpret import interpret
from scalebridge.composer.ir import Method
from scalebridge.runner import load_solver, run_files

HERE = Path(__file__).resolve().parent
K, RHO_C, Q0, T_OFF, T0, LENGTH, CELLS = 20.0, 4.0e6, 1.0e6, 2.0, 300.0, 0.04, 400
DIFFUSION = "sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k ] ."
VARIANTS = {
    "implicit": DIFFUSION,
    # a reaction that is not affine in T (and negligible) takes the explicit path
    "explicit": DIFFUSION[:-2] + ', [ a sb:Reaction ; sb:expression "-1e-12 [W/(m^3*K^2)] '
                "* (T - T0)^2\" ] .",
    # a conductivity that depends on T takes the stiff path
    "stiff": 'sb:hasTerm [ a sb:Diffusion ; sb:coefficient [ sb:expression "k * T0 / T" ; '
             "sb:unit unit:W-PER-M-K ] ] .",
}
METHODS = {"implicit": Method.IMPLICIT, "explicit": Method.EXPLICIT, "stiff": Method.STIFF}


def _text(variant: str, coupled: bool) -> str:
    text = (HERE / "timed.ttl").read_text(encoding="utf-8")
    if not coupled:
        text = text.split("# -- the probe")[0]
    return text.replace(DIFFUSION, VARIANTS[variant])


def _compose(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    model = tmp_path / "timed.ttl"
    model.write_text(text, encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert composition.program is not None and composition.source is not None, [
        d.message for d in composition.report]
    solver = tmp_path / "solver.py"
    solver.write_text(composition.source, encoding="utf-8")
    return composition.program, load_solver(solver)


def _face_rise(t: numpy.ndarray) -> numpy.ndarray:
    """The left face's rise on a semi-infinite rod, the flux on until t_off (superposed)."""
    after = numpy.sqrt(numpy.clip(t - T_OFF, 0.0, None))
    return 2.0 * Q0 * (numpy.sqrt(t) - after) / math.sqrt(math.pi * K * RHO_C)


def _heat(profile: numpy.ndarray) -> float:
    """The heat the rod holds above T0 (J/m^2)."""
    return float(numpy.sum(profile - T0) * RHO_C * LENGTH / CELLS)


@pytest.mark.parametrize("coupled", [False, True], ids=["alone", "coupled"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_flux_is_switched_off_at_its_time(tmp_path: Path, variant: str,
                                             coupled: bool) -> None:
    program, module = _compose(tmp_path, _text(variant, coupled))
    rod = next(s for s in program.submodels if s.name == "rod_model")
    assert rod.schedule.method is METHODS[variant]
    assert rod.fields[0].timed_boundaries
    generated = module.run()
    interpreted = interpret(program)
    for name, (_times, states) in generated.items():
        for state, values in states.items():
            other = interpreted[name][1][state]
            assert numpy.max(numpy.abs(values - other)) <= 1e-9 * numpy.max(numpy.abs(values))
    times, states = generated["rod_model"]
    # the rod holds what entered while the flux was on: q0 t_off, not q0 times the run
    tolerance = 1e-9 if variant == "implicit" else 2e-3
    assert _heat(states["T"][-1]) == pytest.approx(Q0 * T_OFF, rel=tolerance)
    assert _heat(states["T"][numpy.searchsorted(times, 1.0)]) == pytest.approx(
        Q0 * 1.0, rel=tolerance)


def test_the_ports_present_the_face_values_and_the_run_records_them(tmp_path: Path) -> None:
    program, module = _compose(tmp_path, _text("implicit", coupled=True))
    (field,) = next(s for s in program.submodels if s.name == "rod_model").fields
    assert [(f.name, f.side) for f in field.faces] == [("T_end", "right"), ("T_face", "left")]
    times, states = module.run()["rod_model"]
    # the held end presents its value; the heated face follows the semi-infinite solution
    numpy.testing.assert_array_equal(states["T_end"], numpy.full(times.shape, T0))
    rise = _face_rise(times[1:])
    numpy.testing.assert_allclose(states["T_face"][1:] - T0, rise, rtol=3e-3)
    # the face value is the first cell's plus the flux over half a cell's resistance
    on = times <= T_OFF
    first = states["T"][:, 0]
    numpy.testing.assert_allclose(states["T_face"][on], first[on] + Q0 * LENGTH / CELLS / 2 / K)
    numpy.testing.assert_allclose(states["T_face"][~on], first[~on])
    probe = module.run()["probe_model"][1]
    assert probe["Z"] == pytest.approx(numpy.full(times.shape, T0))  # it read the held end
    assert probe["Y"][-1] > T0 + 10.0  # and the heated face
    result = run_files([tmp_path / "timed.ttl"], tmp_path / "out", reasoner=False)
    assert result.ok, result.report.to_text()
    meta = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    face = meta["submodels"]["rod_model"]["faces"]["T_face"]
    assert face["side"] == "left" and face["unit"] == "unit:K"
    with numpy.load(tmp_path / "out" / "results.npz") as arrays:
        numpy.testing.assert_allclose(arrays[face["key"]], states["T_face"])


def test_a_steady_field_takes_its_boundaries_at_the_start(tmp_path: Path) -> None:
    text = _text("implicit", coupled=False).replace("sb:rateOf :T", "sb:steadyStateOf :T")
    program, module = _compose(tmp_path, text)
    assert program.submodels[0].schedule.method is Method.STEADY
    x = (numpy.arange(CELLS) + 0.5) * LENGTH / CELLS
    profile = module.run()["rod_model"][1]["T"][-1]
    numpy.testing.assert_allclose(profile, T0 + Q0 * (LENGTH - x) / K, rtol=1e-10)
    numpy.testing.assert_allclose(interpret(program)["rod_model"][1]["T"][-1], profile,
                                  rtol=1e-12)


def _scaled(text: str, factor: str) -> str:
    """k, the capacity and the heating flux all times the same f(t)."""
    text = text.replace(DIFFUSION, 'sb:hasTerm [ a sb:Diffusion ; sb:coefficient [ '
                        f'sb:expression "k * ({factor})" ; sb:unit unit:W-PER-M-K ] ] .')
    text = text.replace("sb:capacity :rho_c ;", "sb:capacity [ sb:expression "
                        f'"rho_c * ({factor})" ; sb:unit unit:J-PER-M3-K ] ;')
    return text.replace('"piecewise(t <= t_off, q0, 0 [W/m^2])"',
                        f'"piecewise(t <= t_off, q0 * ({factor}), 0 [W/m^2])"')


def test_coefficients_that_vary_in_time_are_not_frozen_at_the_start(tmp_path: Path) -> None:
    # With k, the capacity and the flux all scaled by f(t) = 1 + t/t_off, the heat equation
    # f C T_t = f k T_xx with -f k T_x = f q0 is the constant problem exactly: the same
    # temperatures.  A k(t) or C(t) frozen at t = 0 would heat the rod twice as slowly at the
    # end of the pulse; this ran on the implicit path with k frozen before.
    original = (HERE / "timed.ttl").read_text(encoding="utf-8").split("# -- the probe")[0]
    (tmp_path / "scaled").mkdir()
    (tmp_path / "plain").mkdir()
    program, module = _compose(tmp_path / "scaled", _scaled(original, "1 + t / t_off"))
    rod = program.submodels[0]
    assert rod.fields[0].timed_coefficients and rod.schedule.method is Method.STIFF
    scaled = module.run()["rod_model"][1]["T"]
    # the same problem with f = 1 to round-off, on the same (stiff) path
    _program, reference_module = _compose(tmp_path / "plain",
                                          _scaled(original, "1 + 1e-12 * t / t_off"))
    reference = reference_module.run()["rod_model"][1]["T"]
    rise = numpy.max(reference - T0)
    assert numpy.max(numpy.abs(scaled - reference)) <= 1e-6 * rise  # 5e-10 found
    interpreted = interpret(program)["rod_model"][1]["T"]
    assert numpy.max(numpy.abs(interpreted - scaled)) <= 1e-6 * rise


def test_a_velocity_that_varies_in_time_is_refused(tmp_path: Path) -> None:
    text = (HERE / "timed.ttl").read_text(encoding="utf-8").split("# -- the probe")[0]
    text = text.replace(DIFFUSION, DIFFUSION[:-2] + ', [ a sb:Advection ; sb:velocity [ '
                        'sb:expression "1e-6 [m/s] * t / t_off" ; sb:unit unit:M-PER-SEC ] ] .')
    model = tmp_path / "moving.ttl"
    model.write_text(text, encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert composition.source is None
    assert any("varies in time" in d.message for d in composition.report)


def test_a_conductivity_of_space_and_time_keeps_the_face_means() -> None:
    # resistances integrated in space are set up once; a k(y, t) must be evaluated afresh
    from scalebridge.composer.balances import series_resistances
    from scalebridge.composer.ir import T, Y

    u = sympy.Symbol("u", real=True)
    assert series_resistances(2 * (Y + 1), u, 2) is not None
    assert series_resistances(2 * (Y + 1) * (1 + T), u, 2) is None
