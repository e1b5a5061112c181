"""Strain gradient plasticity: the indentation size effect (a table the Taylor/GND model builds)
and a constrained layer in shear (a solved field), against closed forms written here."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy
import pytest

from scalebridge.composer import compose_files
from scalebridge.pipeline import validate_files
from scalebridge.runner import load_solver, run_files

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "strain_gradient_plasticity"
MODEL = (EXAMPLE / "model.ttl").read_text(encoding="utf-8")
LAYER = (EXAMPLE / "layer.ttl").read_text(encoding="utf-8")

# copper, as in model.ttl
MU, B, ALPHA, RHO_S, THETA = 42.0e9, 2.556e-10, 0.4825, 4.70e14, 0.34383  # Pa, m, 1, m^-2, rad
C_A, H_START, V_IND, DURATION = 24.5, 5.0e-8, 2.0e-8, 100.0  # 1, m, m/s, s
# the published fit for (111) copper (Nix and Gao 1998, data of McElhaney et al. 1998)
H0_FIT, H_STAR_FIT = 0.5836e9, 1.60e-6  # Pa, m
# the layer, as in layer.ttl
TAU, TAU_0, H_P, ELL = 60.0e6, 40.0e6, 210.0e6, 4.0e-6  # Pa, Pa, Pa, m
THICKNESSES = (1, 2, 5, 10, 20, 50)  # micrometres


def nix_gao(depth: numpy.ndarray | float, rho_s: float = RHO_S, theta: float = THETA,
            alpha: float = ALPHA) -> numpy.ndarray | float:
    """H = H0 sqrt(1 + h*/h), with H0 and h* from the Taylor constants (Nix and Gao 1998)."""
    h0 = 3.0 * math.sqrt(3.0) * alpha * MU * B * math.sqrt(rho_s)
    h_star = 81.0 / 2.0 * B * alpha**2 * math.tan(theta) ** 2 * (MU / h0) ** 2
    return h0 * numpy.sqrt(1.0 + h_star / numpy.asarray(depth))


def layer_mean(thickness: float, ell: float = ELL) -> float:
    """Mean plastic strain of the constrained layer: ((tau - tau_0)/H)(1 - (2l/h) tanh(h/2l))."""
    return (TAU - TAU_0) / H_P * (1.0 - 2.0 * ell / thickness * math.tanh(thickness / (2 * ell)))


def _module(tmp_path: Path, text: str, name: str):  # type: ignore[no-untyped-def]
    path = tmp_path / f"{name}.ttl"
    path.write_text(text, encoding="utf-8")
    composition = compose_files([path], reasoner=False)
    assert composition.source is not None, [d.message for d in composition.report]
    solver = tmp_path / f"{name}.py"
    solver.write_text(composition.source, encoding="utf-8")
    return load_solver(solver)


def _table(module) -> tuple[numpy.ndarray, numpy.ndarray]:  # type: ignore[no-untyped-def]
    p = module.parameters()
    module.run_coupled(p)
    table = p["hardness_up_table"]
    return numpy.asarray(table.arguments), numpy.asarray(table.values)


# --- the indentation size effect --------------------------------------------------------------


@pytest.fixture(scope="module")
def indentation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outcome = run_files([EXAMPLE / "model.ttl"], out=tmp_path_factory.mktemp("isf") / "out",
                        reasoner=False)
    assert outcome.directory is not None, [d.message for d in outcome.report]
    return outcome.directory


def test_the_closed_form_in_the_readme_is_the_taylor_law() -> None:
    # 3 sqrt(3) alpha mu b sqrt(rho_S + rho_G), rho_G = 3 tan^2(theta) / (2 b h), is
    # H0 sqrt(1 + h*/h): two ways of writing one law, checked at a few depths.
    for depth in (3e-8, 4e-7, 5e-6):
        rho_g = 3.0 * math.tan(THETA) ** 2 / (2.0 * B * depth)
        taylor = 3.0 * math.sqrt(3.0) * ALPHA * MU * B * math.sqrt(RHO_S + rho_g)
        assert float(nix_gao(depth)) == pytest.approx(taylor, rel=1e-12)


def test_the_table_the_plastic_zone_builds_is_the_nix_gao_law(indentation: Path) -> None:
    sidecar = json.loads((indentation / "results.json").read_text(encoding="utf-8"))
    table = sidecar["tables"]["hardness_up_table"]
    assert table["argument"]["unit"] == "unit:M" and table["values"]["unit"] == "unit:PA"
    depths = numpy.array(table["argument"]["value"])
    hardness = numpy.array(table["values"]["value"])
    numpy.testing.assert_allclose(hardness, nix_gao(depths), rtol=1e-10)
    # ... and the published fit for (111) copper, which the constants reproduce within 0.1 %
    fit = H0_FIT * numpy.sqrt(1.0 + H_STAR_FIT / depths)
    numpy.testing.assert_allclose(hardness, fit, rtol=1e-3)
    assert hardness[0] > 5.5 * H0_FIT and hardness[-1] < 1.4 * H0_FIT  # the size effect
    assert (indentation / "hardness_up_table.png").is_file()
    assert (indentation / "indenter_fields.png").is_file()


def test_the_indenter_reads_the_table_at_its_depth(indentation: Path) -> None:
    with numpy.load(indentation / "results.npz") as arrays:
        time = arrays["indenter/time"]
        depth = arrays["indenter/h"]
        load = arrays["indenter/P"]
        nodes = arrays["table/hardness_up_table/argument"]
    numpy.testing.assert_allclose(depth, H_START + V_IND * time, rtol=1e-9)
    assert time[-1] == pytest.approx(DURATION) and len(time) == 101
    # P = C_A h^2 H(h): exact where the depth is one of the table's, and within the error of
    # linear interpolation (0.2 % with its 37 depths, at most 14 % apart) between them
    expected = C_A * depth**2 * nix_gao(depth)
    numpy.testing.assert_allclose(load, expected, rtol=2e-3)
    on_nodes = numpy.isclose(depth[:, None], nodes[None, :], rtol=1e-12, atol=0.0).any(axis=1)
    assert on_nodes.sum() >= 5
    numpy.testing.assert_allclose(load[on_nodes], expected[on_nodes], rtol=1e-9)
    # at 2 um the load is about 80 mN; with the bulk hardness H0 alone it would be a quarter less
    assert load[-1] == pytest.approx(0.0802, rel=2e-3)
    assert load[-1] > 1.25 * C_A * depth[-1] ** 2 * H0_FIT


@pytest.mark.parametrize(("old", "new", "rho_s", "theta"), [
    # four times the stored dislocations: H0 doubles, h* falls fourfold
    ("sb:value 4.70e14 ; sb:unit unit:PER-M2", "sb:value 18.8e14 ; sb:unit unit:PER-M2",
     4 * RHO_S, THETA),
    # a cube-corner tip (face 47.72 deg off the surface): more GNDs, h* grows by tan^2
    ("sb:value 0.34383 ; sb:unit unit:RAD", "sb:value 0.83287 ; sb:unit unit:RAD",
     RHO_S, 0.83287),
], ids=["rho_S", "cube_corner"])
def test_changing_the_turtle_changes_the_table_as_the_law_says(
    tmp_path: Path, old: str, new: str, rho_s: float, theta: float
) -> None:
    assert old in MODEL
    depths, hardness = _table(_module(tmp_path, MODEL.replace(old, new), "changed"))
    numpy.testing.assert_allclose(hardness, nix_gao(depths, rho_s=rho_s, theta=theta),
                                  rtol=1e-10)
    # the change shows: the table moved away from the default law
    assert numpy.max(numpy.abs(hardness / nix_gao(depths) - 1.0)) > 0.3


# --- the constrained layer --------------------------------------------------------------------


def test_the_layer_file_validates_clean_under_strict() -> None:
    validation = validate_files([EXAMPLE / "layer.ttl"], strict=True)
    assert validation.report.codes == [], validation.report.to_text()
    assert validation.ok(strict=True)


@pytest.fixture(scope="module")
def layers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outcome = run_files([EXAMPLE / "layer.ttl"], out=tmp_path_factory.mktemp("layer") / "out",
                        reasoner=False)
    assert outcome.directory is not None, [d.message for d in outcome.report]
    return outcome.directory


def test_each_layers_mean_strain_is_the_closed_form(layers: Path) -> None:
    apparent = []
    with numpy.load(layers / "results.npz") as arrays:
        for n in THICKNESSES:
            gamma = arrays[f"layer_{n}/gamma_{n}"][0]
            centres = arrays[f"layer_{n}/x"]
            thickness = n * 1e-6
            assert centres[-1] + centres[0] == pytest.approx(thickness)  # the whole gap
            assert float(numpy.mean(gamma)) == pytest.approx(layer_mean(thickness), rel=2e-3)
            # the profile: (tau - tau_0)/H (1 - cosh((y - h/2)/l) / cosh(h/(2l)))
            exact = (TAU - TAU_0) / H_P * (1.0 - numpy.cosh((centres - thickness / 2) / ELL)
                                           / math.cosh(thickness / (2 * ELL)))
            assert numpy.max(numpy.abs(gamma - exact)) < 1e-3 * numpy.max(exact)
            apparent.append((TAU - TAU_0) / float(numpy.mean(gamma)))
            assert (layers / f"layer_{n}_fields.png").is_file()
    # the size effect: the thinner the layer, the stiffer it looks; thick ones approach H
    assert all(a > b for a, b in itertools.pairwise(apparent))
    assert apparent[0] > 100 * H_P and apparent[-1] < 1.2 * H_P


def test_the_mean_strain_converges_at_second_order(tmp_path: Path) -> None:
    errors = []
    for cells in (10, 20, 40):
        module = _module(tmp_path, LAYER.replace("sb:cells 40", f"sb:cells {cells}"),
                         f"cells_{cells}")
        gamma = module.run()["layer_5"][1]["gamma_5"][0]
        errors.append(abs(float(numpy.mean(gamma)) - layer_mean(5e-6)))
    orders = [math.log2(a / b) for a, b in itertools.pairwise(errors)]
    assert all(order == pytest.approx(2.0, abs=0.15) for order in orders), (errors, orders)


def test_changing_the_length_and_a_thickness_changes_the_strain_as_the_law_says(
    tmp_path: Path
) -> None:
    text = LAYER.replace("sb:value 4.0e-6 ; sb:unit unit:M .", "sb:value 2.0e-6 ; sb:unit unit:M .")
    text = text.replace("sb:length [ sb:value 10.0e-6 ;", "sb:length [ sb:value 3.0e-6 ;")
    assert text.count("2.0e-6") == 2 and "3.0e-6" in text  # one l, and the 2 um layer
    results = _module(tmp_path, text, "changed").run()
    for n, thickness in ((2, 2e-6), (10, 3e-6), (50, 50e-6)):
        mean = float(numpy.mean(results[f"layer_{n}"][1][f"gamma_{n}"][0]))
        assert mean == pytest.approx(layer_mean(thickness, ell=2e-6), rel=2e-3)
        assert abs(mean / layer_mean(thickness) - 1.0) > 0.03  # not the default answer


def test_the_viscoplastic_drag_does_not_move_the_steady_state(tmp_path: Path) -> None:
    text = LAYER.replace("sb:value 1.0e6 ; sb:unit unit:PA-SEC",
                         "sb:value 1.0e9 ; sb:unit unit:PA-SEC")
    assert text != LAYER
    slow = _module(tmp_path, text, "slow").run()["layer_5"][1]["gamma_5"][0]
    fast = _module(tmp_path, LAYER, "fast").run()["layer_5"][1]["gamma_5"][0]
    numpy.testing.assert_allclose(slow, fast, rtol=1e-10, atol=1e-14)
