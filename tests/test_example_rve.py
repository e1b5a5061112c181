"""The periodic RVE of a glass/epoxy composite: its effective conductivity against the bounds,
Rayleigh's square-array formula and Maxwell-Garnett, with refinement; the elastic bounds."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy
import pytest

from scalebridge.composer import compose_files
from scalebridge.composer.interpret import interpret
from scalebridge.runner import load_solver, run_files

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rve_homogenization"
K_F, K_M, F, G = 1.0, 0.2, 0.5, 1000.0  # W/(m K), W/(m K), 1, K/m (cell.ttl)
E_F, NU_F, E_M, NU_M = 72.0e9, 0.22, 3.5e9, 0.35  # Pa, 1 (model.ttl)


def _copy(tmp_path: Path, cells: int | None = None, **values: float) -> Path:
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder)
    cell = folder / "cell.ttl"
    text = cell.read_text(encoding="utf-8")
    if cells is not None:
        text = text.replace("sb:cellsX 128 ; sb:cellsY 128",
                            f"sb:cellsX {cells} ; sb:cellsY {cells}")
    for name, value in values.items():
        label = {"f": "fibre area (volume) fraction", "k_f": "fibre conductivity (E-glass)"}[name]
        old = f'rdfs:label "{label}" ; sb:value '
        assert text.count(old) == 1
        start = text.index(old) + len(old)
        end = text.index(" ;", start)
        text = text[:start] + repr(value) + text[end:]
    cell.write_text(text, encoding="utf-8")
    return folder / "model.ttl"


def _run(model: Path) -> tuple[dict[str, float], dict]:  # type: ignore[type-arg]
    outcome = run_files([model], out=model.parent / "out", reasoner=False)
    assert outcome.directory is not None, [d.message for d in outcome.report]
    assert {str(d.code) for d in outcome.report} <= {"TIMESCALE_COUPLING_VERDICT"}
    assert any(f.suffix == ".png" for f in outcome.files)
    sidecar = json.loads((outcome.directory / "results.json").read_text(encoding="utf-8"))
    return {n: e["value"] for n, e in sidecar["derived"].items()}, sidecar


def _rayleigh(k_f: float, k_m: float, f: float) -> float:
    """Rayleigh (1892), square array of cylinders, to the f^4 term."""
    beta = (k_f - k_m) / (k_f + k_m)
    return k_m * (1 + 2 * beta * f / (1 - beta * f - 0.305827 * beta**2 * f**4))


def _hashin_shtrikman_2d(k_f: float, k_m: float, f: float) -> tuple[float, float]:
    lower = k_m + f / (1 / (k_f - k_m) + (1 - f) / (2 * k_m))
    upper = k_f + (1 - f) / (1 / (k_m - k_f) + f / (2 * k_f))
    return lower, upper


def test_the_rve_lies_inside_the_bounds_and_on_rayleighs_formula(tmp_path: Path) -> None:
    found, sidecar = _run(_copy(tmp_path))
    lower, upper = _hashin_shtrikman_2d(K_F, K_M, F)
    assert found["k_hs_lower"] == pytest.approx(lower, rel=1e-12)
    assert found["k_hs_upper"] == pytest.approx(upper, rel=1e-12)
    wiener = (1 / (F / K_F + (1 - F) / K_M), F * K_F + (1 - F) * K_M)
    assert wiener[0] < lower < found["k_eff"] < upper < wiener[1]
    assert found["k_eff"] == pytest.approx(_rayleigh(K_F, K_M, F), rel=2e-3)  # README: 0.15 %
    # the flux fields: q_xx and q_yy carry the mean flux, the cross fluxes average to zero
    fluxes = sidecar["submodels"]["cell_model"]["fluxes"]
    assert fluxes["q_xx"]["mean"] == pytest.approx(-found["k_eff"] * G, rel=1e-12)
    assert fluxes["q_yy"]["mean"] == pytest.approx(fluxes["q_xx"]["mean"], rel=1e-9)  # symmetry
    assert abs(fluxes["q_xy"]["mean"]) < 1e-9 * abs(fluxes["q_xx"]["mean"])


def test_the_mean_flux_is_the_flow_through_every_section(tmp_path: Path) -> None:
    composition = compose_files([_copy(tmp_path, cells=32)], reasoner=False)
    assert composition.source is not None
    solver = tmp_path / "solver.py"
    solver.write_text(composition.source, encoding="utf-8")
    module = load_solver(solver)
    p = module.parameters()
    results = module.run_coupled(p)
    theta = results["cell_model"][1]["theta_x"][-1]
    q = module.FLUXES["cell_model"]["theta_x"](p, theta)["q_xx"]
    # conservation: the flux through each vertical section of faces is the same; the cells'
    # flux is the mean of their two faces, so every column of cells carries it too
    columns = q.mean(axis=1)
    assert numpy.ptp(columns) <= 1e-10 * abs(columns.mean())
    # the interpreter runs the same coupled static problem to the same numbers
    interpreted = interpret(composition.program)["cell_model"][1]["theta_x"][-1]
    assert numpy.max(numpy.abs(interpreted - theta)) <= 1e-12 * numpy.max(numpy.abs(theta))
    assert p["q_mean"] == pytest.approx(float(columns.mean()), rel=1e-9)


def test_the_conductivity_converges_with_refinement(tmp_path: Path) -> None:
    reference = _rayleigh(K_F, K_M, F)
    errors = []
    for cells in (16, 64, 256):
        found, _ = _run(_copy(tmp_path / str(cells), cells=cells))
        errors.append(abs(found["k_eff"] - reference) / reference)
    # a staircase circle: not monotone cell by cell, but a factor 4 in resolution gains
    # close to a factor 10 here
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 5e-4 and errors[0] > 5 * errors[2]


def test_dilute_fibres_follow_maxwell_garnett(tmp_path: Path) -> None:
    f = 0.05
    found, _ = _run(_copy(tmp_path, f=f))
    garnett = K_M * (K_F + K_M + f * (K_F - K_M)) / (K_F + K_M - f * (K_F - K_M))
    assert found["k_mg"] == pytest.approx(garnett, rel=1e-12)
    assert found["k_eff"] == pytest.approx(garnett, rel=1e-4)


@pytest.mark.parametrize("k_f", [5.0, 0.05])
def test_changing_the_fibre_conductivity_moves_k_eff_as_rayleigh_says(
        tmp_path: Path, k_f: float) -> None:
    found, _ = _run(_copy(tmp_path, k_f=k_f))
    # the staircase circle errs more as the contrast grows: 0.5 % here at 128 x 128
    assert found["k_eff"] == pytest.approx(_rayleigh(k_f, K_M, F), rel=1e-2)
    lower, upper = sorted(_hashin_shtrikman_2d(k_f, K_M, F))
    assert lower < found["k_eff"] < upper  # an insulating fibre swaps the bounds' roles


def test_elastic_bounds_of_the_phases(tmp_path: Path) -> None:
    found, _ = _run(_copy(tmp_path, cells=16))

    def bulk(e: float, nu: float) -> float:
        return e / (3 * (1 - 2 * nu))

    def shear(e: float, nu: float) -> float:
        return e / (2 * (1 + nu))

    kf, km, gf, gm = bulk(E_F, NU_F), bulk(E_M, NU_M), shear(E_F, NU_F), shear(E_M, NU_M)
    # Hashin and Shtrikman (1963), the stiffer phase the fibre
    k_lower = km + F / (1 / (kf - km) + 3 * (1 - F) / (3 * km + 4 * gm))
    k_upper = kf + (1 - F) / (1 / (km - kf) + 3 * F / (3 * kf + 4 * gf))
    g_lower = gm + F / (1 / (gf - gm) + 6 * (1 - F) * (km + 2 * gm) / (5 * gm * (3 * km + 4 * gm)))
    g_upper = gf + (1 - F) / (1 / (gm - gf) + 6 * F * (kf + 2 * gf) / (5 * gf * (3 * kf + 4 * gf)))
    expected = {"K_hs_lower": k_lower, "K_hs_upper": k_upper, "G_hs_lower": g_lower,
                "G_hs_upper": g_upper, "K_voigt": F * kf + (1 - F) * km,
                "K_reuss": 1 / (F / kf + (1 - F) / km), "G_voigt": F * gf + (1 - F) * gm,
                "G_reuss": 1 / (F / gf + (1 - F) / gm), "E_voigt": F * E_F + (1 - F) * E_M,
                "E_reuss": 1 / (F / E_F + (1 - F) / E_M)}
    for name, value in expected.items():
        assert found[name] == pytest.approx(value, rel=1e-12), name
    for modulus in ("K", "G"):
        assert (found[f"{modulus}_reuss"] < found[f"{modulus}_hs_lower"]
                < found[f"{modulus}_hs_upper"] < found[f"{modulus}_voigt"])
    assert math.isclose(found["E_voigt"] / 1e9, 37.75, rel_tol=1e-12)  # README
