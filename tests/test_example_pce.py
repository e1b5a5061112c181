"""Polynomial chaos and Sobol indices: the Ishigami function against its analytic indices,
and the composite conductivity against a direct variance decomposition written here."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy
import pytest

from scalebridge.runner import run_files

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _chaos(model: Path, out: Path) -> dict:  # type: ignore[type-arg]
    outcome = run_files([model], out=out, reasoner=False)
    assert outcome.directory is not None, [d.message for d in outcome.report]
    assert list(outcome.report) == []  # strict-clean
    assert any(f.name.startswith("sobol_") for f in outcome.files)
    sidecar = json.loads((outcome.directory / "results.json").read_text(encoding="utf-8"))
    (found,) = sidecar["chaos"].values()
    return found  # type: ignore[no-any-return]


def _ishigami(a: float, b: float) -> dict[str, float]:
    """Mean, variance and Sobol indices of the Ishigami function (Sobol' and Levitan 1999)."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    variance = v1 + v2 + v13
    return {"mean": a / 2, "variance": variance, "S1": v1 / variance, "S2": v2 / variance,
            "S3": 0.0, "ST1": (v1 + v13) / variance, "ST2": v2 / variance,
            "ST3": v13 / variance}


@pytest.mark.parametrize("a", [7.0, 5.0])
def test_ishigami_indices_against_the_analytic_ones(tmp_path: Path, a: float) -> None:
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLES / "ishigami_sobol", folder)
    model = folder / "model.ttl"
    text = model.read_text(encoding="utf-8")
    assert 'rdfs:label "Ishigami a" ; sb:value 7.0 ;' in text
    model.write_text(text.replace('rdfs:label "Ishigami a" ; sb:value 7.0 ;',
                                  f'rdfs:label "Ishigami a" ; sb:value {a!r} ;'),
                     encoding="utf-8")
    found = _chaos(model, tmp_path / "out")
    expected = _ishigami(a, 0.1)
    assert found["mean"] == pytest.approx(expected["mean"], abs=1e-9)
    assert found["variance"] == pytest.approx(expected["variance"], rel=1e-8)
    for i in (1, 2, 3):
        # the issue asks 1e-3; a degree-14 expansion on a 20-point grid is far closer
        assert found["first_order"][f"x{i}"] == pytest.approx(expected[f"S{i}"], abs=1e-8)
        assert found["total"][f"x{i}"] == pytest.approx(expected[f"ST{i}"], abs=1e-8)
    assert found["variance_captured"] == pytest.approx(1.0, abs=1e-8)


def _direct_sobol() -> tuple[float, list[float], list[float]]:
    """The composite's Rayleigh conductivity over f ~ U(0.4, 0.6), k_f ~ N(1, 0.15),
    k_m ~ N(0.2, 0.02): variance and Sobol indices by a direct decomposition on a fine tensor
    Gauss grid (conditional means and variances), no polynomials."""
    x, wx = numpy.polynomial.legendre.leggauss(40)
    f_nodes, f_w = 0.5 + 0.1 * x, wx / 2
    h, wh = numpy.polynomial.hermite_e.hermegauss(40)
    wh = wh / wh.sum()
    kf_nodes, km_nodes = 1.0 + 0.15 * h, 0.2 + 0.02 * h
    f, kf, km = numpy.meshgrid(f_nodes, kf_nodes, km_nodes, indexing="ij")
    beta = (kf - km) / (kf + km)
    k = km * (1 + 2 * beta * f / (1 - beta * f - 0.305827 * beta**2 * f**4))
    w = f_w[:, None, None] * wh[None, :, None] * wh[None, None, :]
    mean = float(numpy.sum(w * k))
    variance = float(numpy.sum(w * (k - mean) ** 2))
    weights = [f_w, wh, wh]
    first, total = [], []
    for axis in range(3):
        others = tuple(i for i in range(3) if i != axis)
        conditional = numpy.sum(w * k, axis=others) / weights[axis]
        first.append(float(numpy.sum(weights[axis] * (conditional - mean) ** 2)) / variance)
        # total: E over the others of Var over this axis
        inner_mean = numpy.sum(w * k, axis=axis, keepdims=True) / numpy.sum(
            w, axis=axis, keepdims=True)
        total.append(float(numpy.sum(w * (k - inner_mean) ** 2)) / variance)
    return variance, first, total


def test_the_composite_sensitivity_against_a_direct_decomposition(tmp_path: Path) -> None:
    found = _chaos(EXAMPLES / "rve_homogenization" / "sensitivity.ttl", tmp_path / "out")
    variance, first, total = _direct_sobol()
    assert found["variance"] == pytest.approx(variance, rel=1e-5)
    for i, name in enumerate(("f", "k_f", "k_m")):
        assert found["first_order"][name] == pytest.approx(first[i], abs=1e-5), name
        assert found["total"][name] == pytest.approx(total[i], abs=1e-5), name
    # README: the fibre fraction drives it, then the matrix
    ranked = sorted(found["first_order"], key=found["first_order"].get, reverse=True)
    assert ranked == ["f", "k_m", "k_f"]
