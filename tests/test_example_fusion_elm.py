"""Tungsten armour under a plasma heat load (examples/fusion_elm).

The validator's three decisions on the three coupling files; the steady profile against the
Kirchhoff transform of the k(T) table; the ELM's surface temperature against the semi-infinite
solution; the recrystallised fraction against integrations of its Arrhenius kinetics done here;
and parameter changes made in the Turtle against the same closed forms.  Every reference is
computed in this file, from the numbers the README lists.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy
import pytest
import scipy.integrate
import scipy.optimize

from scalebridge.diagnostics import Code
from scalebridge.pipeline import validate_files
from scalebridge.runner import run_files

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fusion_elm"
NS = "https://w3id.org/scalebridge/examples/fusion_elm#"
# tungsten.ttl
LENGTH, CELLS = 6.0e-3, 600  # m, cells
Q_SS, Q_ELM, TAU = 1.0e7, 2.0e9, 5.0e-4  # W/m^2, W/m^2, s
H_COOL, T_COOL = 1.0e5, 373.15  # W/(m^2 K), K
K_CONST, RHO, C_P = 121.13, 19250.0, 148.4  # W/(m K), kg/m^3, J/(kg K)
# microstructure.ttl
K_0, Q_RX, R_GAS, T_ANNEAL = 1.165e9, 356.0e3, 8.314462618, 1473.15  # 1/s, J/mol, J/(mol K), K
# conductivity.ttl: Milner, Karkos and Bowers (2024), NASA SNP-HDBK-0008, 55 K to 3653 K
B = (-3.679, 118.1, 58.79, 2.867)  # W/(m K)
C = (-0.02052, 0.4741)
ARGUMENTS = (300, 350, 400, 450, 500, 600, 700, 800, 900, 1000, 1200, 1400, 1600, 1800, 2000,
             2500, 3000, 3500)  # K (steady.ttl)
ELM_END, STEADY_END = 1.0e-3, 10.0  # s


def _conductivity(temperature: Any) -> Any:
    """The handbook's fit, W/(m K)."""
    th = numpy.asarray(temperature, dtype=float) / 1000.0
    return (B[0] + B[1] * th + B[2] * th**2 + B[3] * th**3) / (C[0] + C[1] * th + th**2)


def _copy(tmp_path: Path, **edits: dict[str, str]) -> Path:
    """The example in a folder of its own, with text replacements per file."""
    folder = tmp_path / "fusion_elm"
    shutil.copytree(EXAMPLE, folder)
    for name, replacements in edits.items():
        path = folder / f"{name}.ttl"
        text = path.read_text(encoding="utf-8")
        for old, new in replacements.items():
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return folder


def _run(model: Path) -> tuple[dict[str, Any], dict[str, numpy.ndarray]]:
    outcome = run_files([model], out=model.parent / f"out_{model.stem}", reasoner=False)
    assert outcome.directory is not None, [d.message for d in outcome.report]
    assert {str(d.code) for d in outcome.report} <= {"TIMESCALE_COUPLING_VERDICT"}
    assert any(f.suffix == ".png" for f in outcome.files)
    meta = json.loads((outcome.directory / "results.json").read_text(encoding="utf-8"))
    with numpy.load(outcome.directory / "results.npz") as arrays:
        return meta, {key: arrays[key] for key in arrays.files}


@pytest.fixture(scope="module")
def elm(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    return _run(_copy(tmp_path_factory.mktemp("elm")) / "model.ttl")


@pytest.fixture(scope="module")
def steady(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    return _run(_copy(tmp_path_factory.mktemp("steady")) / "steady.ttl")


# -- closed forms ------------------------------------------------------------------------------


def _surface(t: Any, q_elm: float = Q_ELM, k: float = K_CONST, q_ss: float = Q_SS) -> Any:
    """The surface of a semi-infinite solid at T_cool, heated by q_ss + q_elm until TAU and
    by q_ss after (superposition of two constant-flux solutions), constant properties."""
    t = numpy.asarray(t, dtype=float)
    after = numpy.sqrt(numpy.clip(t - TAU, 0.0, None))
    scale = 2.0 / math.sqrt(math.pi * k * RHO * C_P)
    return T_COOL + scale * ((q_ss + q_elm) * numpy.sqrt(t) - q_elm * after)


def _kirchhoff_profile(x: Any, temperatures: Any, values: Any, q: float = Q_SS,
                       h: float = H_COOL) -> Any:
    """The steady profile for k(T) interpolated linearly in the table (constant beyond):
    theta(T) = integral of k dT is piecewise quadratic, and theta(T(x)) = theta(T_back) +
    q (L - x) with T_back = T_cool + q / h."""
    ts, ks = numpy.asarray(temperatures, float), numpy.asarray(values, float)

    def theta(temp: float) -> float:
        total = 0.0
        for i in range(len(ts) - 1):
            a, b = ts[i], min(ts[i + 1], temp)
            if b <= a:
                break
            slope = (ks[i + 1] - ks[i]) / (ts[i + 1] - ts[i])
            total += ks[i] * (b - a) + slope * (b - a) ** 2 / 2.0
        return total

    back = T_COOL + q / h
    return numpy.array([scipy.optimize.brentq(
        lambda temp, xi=xi: theta(temp) - theta(back) - q * (LENGTH - xi), ts[0], ts[-1],
        xtol=1e-12) for xi in numpy.atleast_1d(x)])


def _rate(temperature: Any, q_rx: float = Q_RX) -> Any:
    return K_0 * numpy.exp(-q_rx / (R_GAS * numpy.asarray(temperature, dtype=float)))


def _fraction_exchanged(times: Any, surface: Any, q_rx: float = Q_RX) -> float:
    """X at the end when the layer holds each exchanged surface temperature for one macro
    step (what a concurrent coupling passes): X' = 1 - (1 - X) exp(-rate dt), step by step."""
    fraction = 0.0
    for i in range(len(times) - 1):
        step = times[i + 1] - times[i]
        fraction = 1.0 - (1.0 - fraction) * math.exp(-float(_rate(surface[i], q_rx)) * step)
    return fraction


# -- the validator's decisions -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["tungsten", "microstructure", "conductivity"])
def test_each_submodel_file_is_valid_alone(name: str) -> None:
    report = validate_files([EXAMPLE / f"{name}.ttl"], strict=True, reasoner=False).report
    assert report.codes == [], report.to_text()


def test_the_steady_hierarchical_coupling_is_accepted_because_the_scales_separate() -> None:
    validation = validate_files([EXAMPLE / "steady.ttl"], strict=True)
    assert validation.ok(strict=True)
    (verdict,) = validation.report.diagnostics
    assert verdict.code is Code.TIMESCALE_COUPLING_VERDICT
    assert verdict.subject == NS + "conductivity_from_lattice"
    assert "hierarchical coupling" in verdict.message and "time separated" in verdict.message
    assert "ratio 100000" in verdict.message and "call/release" in verdict.message


def test_the_elm_hierarchical_coupling_is_rejected_with_a_proposal_to_couple_concurrently(
) -> None:
    validation = validate_files([EXAMPLE / "elm_hierarchical.ttl"], strict=True)
    assert not validation.ok(strict=True)
    (finding,) = validation.report.diagnostics
    assert finding.code is Code.TIMESCALE_NOT_SEPARATED
    assert finding.subject == NS + "surface_coupling"
    assert "armour (1 µs to 10 s)" in finding.message
    assert "grains (10 µs to 1 h)" in finding.message
    assert "ratio of grains's grain to armour's extent 1e-06" in finding.message
    assert "make the coupling concurrent (sb:Concurrent)" in finding.message
    assert finding.hint is not None and "sb:Concurrent" in finding.hint
    # and it is not run
    outcome = run_files([EXAMPLE / "elm_hierarchical.ttl"], out=None, reasoner=False)
    assert outcome.directory is None


def test_the_elm_concurrent_coupling_is_accepted() -> None:
    validation = validate_files([EXAMPLE / "model.ttl"], strict=True)
    assert validation.ok(strict=True)
    (verdict,) = validation.report.diagnostics
    assert verdict.code is Code.TIMESCALE_COUPLING_VERDICT
    assert verdict.subject == NS + "surface_coupling"
    assert "concurrent coupling" in verdict.message and "time overlapping" in verdict.message
    assert "MMSF template interact" in verdict.message


# -- steady exposure ---------------------------------------------------------------------------


def test_the_lattice_builds_the_table_of_the_handbook_fit(steady: Any) -> None:
    meta, _arrays = steady
    table = meta["tables"]["k_up_table"]
    assert table["argument"]["value"] == list(ARGUMENTS)
    numpy.testing.assert_allclose(table["values"]["value"], _conductivity(ARGUMENTS), rtol=1e-12)
    assert _conductivity(300.0) == pytest.approx(175.3, abs=0.05)  # the README's anchors
    assert _conductivity(1000.0) == pytest.approx(K_CONST, abs=0.005)


def test_the_steady_profile_is_the_kirchhoff_closed_form(steady: Any) -> None:
    _meta, arrays = steady
    x, profiles = arrays["armour/x"], arrays["armour/T"]
    assert arrays["armour/time"][-1] == pytest.approx(STEADY_END)
    assert numpy.max(numpy.abs(profiles[-1] - profiles[-2])) < 1e-5  # settled
    exact = _kirchhoff_profile(x, ARGUMENTS, _conductivity(ARGUMENTS))
    assert numpy.max(numpy.abs(profiles[-1] - exact)) < 1e-3  # K
    assert profiles[-1][0] == pytest.approx(909.692, abs=1e-3)  # the gallery's reference
    # the table's linear interpolation against the continuous fit: the surface differs by 0.34 K
    fit = scipy.integrate.quad

    def theta(temp: float) -> float:
        return fit(_conductivity, 300.0, temp)[0]

    back = T_COOL + Q_SS / H_COOL
    surface = scipy.optimize.brentq(lambda t: theta(t) - theta(back) - Q_SS * LENGTH, 300, 3000)
    table_surface = _kirchhoff_profile(0.0, ARGUMENTS, _conductivity(ARGUMENTS))[0]
    assert 0.1 < surface - table_surface < 0.5
    # with constant k the profile would be a line; k(T) bends it by tens of kelvin
    line = back + Q_SS * (LENGTH - x) / K_CONST
    assert numpy.max(numpy.abs(profiles[-1] - line)) > 20.0


# -- the ELM -----------------------------------------------------------------------------------


def test_the_surface_rise_is_the_semi_infinite_solution(elm: Any) -> None:
    meta, arrays = elm
    times, surface = arrays["armour/time"], arrays["armour/T_surface"]
    assert times[-1] == pytest.approx(ELM_END) and len(times) == 101
    exact = _surface(times)
    rise = surface[1:] - T_COOL
    late = times[1:] >= 5.0e-5  # from five cells' diffusion length on
    numpy.testing.assert_allclose(rise[late], (exact[1:] - T_COOL)[late], rtol=1e-3)
    numpy.testing.assert_allclose(rise, exact[1:] - T_COOL, rtol=5e-3)
    faces = meta["submodels"]["armour"]["faces"]["T_surface"]
    assert faces["side"] == "left" and faces["unit"] == "unit:K"
    assert faces["max"] == pytest.approx(float(_surface(TAU)), rel=1e-3)
    assert faces["max"] == pytest.approx(3099.48, rel=1e-3)  # below melting (3695 K)
    # the heat the armour took in: the flux's integral (the cooled face never warms in 1 ms)
    total = arrays["armour/total/Energy"]
    assert total[-1] - total[0] == pytest.approx(Q_SS * ELM_END + Q_ELM * TAU, rel=2e-3)


def test_the_recrystallised_fraction_follows_its_kinetics(elm: Any) -> None:
    _meta, arrays = elm
    times, surface, fraction = (arrays["armour/time"], arrays["armour/T_surface"],
                                arrays["grains/X"])
    numpy.testing.assert_array_equal(arrays["grains/time"], times)
    # exactly what the layer integrates from the temperatures the coupling passed it
    assert fraction[-1] == pytest.approx(_fraction_exchanged(times, surface), rel=1e-9)
    # against the continuous kinetics on the exact surface history, the exchange every 10 us
    # lags: the layer keeps the last exchanged (hotter, once cooling) temperature a step long
    solution = scipy.integrate.solve_ivp(
        lambda t, x: [float(_rate(_surface(t))) * (1.0 - x[0])], (0.0, ELM_END), [0.0],
        rtol=1e-10, atol=1e-14, max_step=1e-6)
    continuous = float(solution.y[0, -1])
    assert continuous == pytest.approx(0.08233, rel=1e-3)  # the gallery's reference
    assert 0.0 < fraction[-1] / continuous - 1.0 < 0.05
    # the pulse and the kinetics overlap: most of it happens while the surface is hottest
    during = fraction[numpy.searchsorted(times, TAU + 1e-12)]
    assert during > 0.9 * fraction[-1] and fraction[-1] > 0.05


def test_alone_the_layer_anneals_at_1200_c_for_an_hour(tmp_path: Path) -> None:
    outcome = run_files([EXAMPLE / "microstructure.ttl"], out=tmp_path / "alone",
                        reasoner=False)
    assert outcome.directory is not None
    with numpy.load(outcome.directory / "results.npz") as arrays:
        times, fraction = arrays["grains/time"], arrays["grains/X"]
    assert times[-1] == pytest.approx(3600.0)
    # constant temperature: X = 1 - exp(-k t), with k = 1/h at 1473.15 K by construction
    numpy.testing.assert_allclose(fraction, 1.0 - numpy.exp(-_rate(T_ANNEAL) * times),
                                  rtol=1e-8, atol=1e-12)
    assert fraction[-1] == pytest.approx(1.0 - math.exp(-1.0), rel=1e-3)


# -- changing parameters in the Turtle ---------------------------------------------------------


def test_a_weaker_elm_on_a_better_conductor_recrystallises_less(tmp_path: Path) -> None:
    folder = _copy(tmp_path, tungsten={
        "sb:value 2.0e9 ; sb:unit unit:W-PER-M2 .": "sb:value 1.6e9 ; sb:unit unit:W-PER-M2 .",
        "sb:value 121.13 ; sb:unit unit:W-PER-M-K .": "sb:value 150.0 ; sb:unit unit:W-PER-M-K ."},
        microstructure={"sb:value 356.0e3 ; sb:unit unit:J-PER-MOL .":
                        "sb:value 340.0e3 ; sb:unit unit:J-PER-MOL ."})
    meta, arrays = _run(folder / "model.ttl")
    times, surface = arrays["armour/time"], arrays["armour/T_surface"]
    exact = _surface(times, q_elm=1.6e9, k=150.0)
    late = times >= 5.0e-5
    numpy.testing.assert_allclose(surface[late] - T_COOL, exact[late] - T_COOL, rtol=1e-3)
    peak = meta["submodels"]["armour"]["faces"]["T_surface"]["max"]
    assert peak == pytest.approx(float(_surface(TAU, q_elm=1.6e9, k=150.0)), rel=1e-3)
    assert peak < 2700.0  # against 3099 K
    fraction = arrays["grains/X"][-1]
    assert fraction == pytest.approx(_fraction_exchanged(times, surface, q_rx=340.0e3), rel=1e-9)


def test_a_lighter_steady_load_on_a_weaker_cooling_moves_the_profile(tmp_path: Path) -> None:
    folder = _copy(tmp_path, tungsten={
        "sb:value 1.0e7 ; sb:unit unit:W-PER-M2 .": "sb:value 5.0e6 ; sb:unit unit:W-PER-M2 .",
        "sb:value 1.0e5 ; sb:unit unit:W-PER-M2-K .": "sb:value 5.0e4 ; sb:unit unit:W-PER-M2-K ."})
    _meta, arrays = _run(folder / "steady.ttl")
    profile = arrays["armour/T"][-1]
    exact = _kirchhoff_profile(arrays["armour/x"], ARGUMENTS, _conductivity(ARGUMENTS),
                               q=5.0e6, h=5.0e4)
    assert numpy.max(numpy.abs(profile - exact)) < 1e-3
    # the cooled face now sits q/h = 100 K above the water, the surface 200 K lower
    assert profile[-1] == pytest.approx(T_COOL + 100.0, abs=0.5)
    assert profile[0] < 909.692 - 150.0


def test_an_elm_on_a_conductivity_that_falls_with_temperature(tmp_path: Path) -> None:
    """The ELM file given the lattice's k(T) as well (a second, hierarchical coupling added to
    a copy): k falls from 164 W/(m K) at the water's temperature to about 92 at the peak, so
    the surface rises between the constant-property rises at those two conductivities."""
    folder = _copy(tmp_path, model={
        "owl:imports <tungsten.ttl>, <microstructure.ttl> .":
        "owl:imports <tungsten.ttl>, <microstructure.ttl>, <conductivity.ttl> .",
        "sb:hasSubmodel :armour, :grains ;": "sb:hasSubmodel :armour, :grains, :lattice ;",
        "sb:hasCoupling :surface_coupling ;":
        "sb:hasCoupling :surface_coupling, :conductivity_from_lattice ;"})
    steady_text = (folder / "steady.ttl").read_text(encoding="utf-8")
    bridges = steady_text[steady_text.index(":T_down a sb:Localization"):]
    with (folder / "model.ttl").open("a", encoding="utf-8") as model:
        model.write("\n" + bridges)
    _meta, arrays = _run(folder / "model.ttl")
    times, surface = arrays["armour/time"], arrays["armour/T_surface"]
    peak = float(surface[numpy.searchsorted(times, TAU - 1e-12)])
    low, high = float(_conductivity(T_COOL)), float(_conductivity(peak))
    assert float(_surface(TAU, k=low)) < peak < float(_surface(TAU, k=high))
    assert peak > float(_surface(TAU))  # hotter than with k at 1000 K throughout
