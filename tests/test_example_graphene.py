"""Graphene by the Cauchy-Born rule: the generic energy functionals against a closed form."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import sympy

from scalebridge.runner import run_files

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "graphene_cauchy_born"
A, K_R, K_THETA = 1.42e-10, 742.0, 1.42e-18  # m, N/m, J/rad^2 (Chang and Gao 2003)


def _closed_form(relaxed: bool) -> tuple[float, float]:
    """E (N/m) and nu of the valence force field, derived here independently with SymPy."""
    e11, e22, g, z1, z2 = sympy.symbols("e11 e22 g z1 z2", real=True)
    f = sympy.Matrix([[1 + e11, g / 2], [g / 2, 1 + e22]])
    bonds = [sympy.Matrix([A, 0]), sympy.Matrix([-A / 2, A * sympy.sqrt(3) / 2]),
             sympy.Matrix([-A / 2, -A * sympy.sqrt(3) / 2])]
    r = [f * d + sympy.Matrix([z1, z2]) for d in bonds]
    lengths = [sympy.sqrt(v.dot(v)) for v in r]
    w = sum(K_R / 2 * (length - A) ** 2 for length in lengths)
    for i in range(3):
        for j in range(i + 1, 3):
            cosine = r[i].dot(r[j]) / (lengths[i] * lengths[j])
            w += K_THETA * (sympy.acos(cosine) - 2 * sympy.pi / 3) ** 2
    w = w / (3 * sympy.sqrt(3) * A**2 / 2)
    strains, internals = [e11, e22, g], [z1, z2]
    zero = dict.fromkeys(strains + internals, 0)
    # second derivatives as derivatives of first ones: sympy.diff(w, a, b) would tidy each
    # with factor_terms, which takes minutes here
    first = {v: sympy.diff(w, v) for v in strains + internals}

    def second(a: sympy.Symbol, b: sympy.Symbol) -> sympy.Expr:
        return sympy.diff(first[a], b).subs(zero)

    ee = sympy.Matrix(3, 3, lambda i, j: second(strains[i], strains[j]))
    stiffness = ee
    if relaxed:
        ez = sympy.Matrix(3, 2, lambda i, j: second(strains[i], internals[j]))
        zz = sympy.Matrix(2, 2, lambda i, j: second(internals[i], internals[j]))
        stiffness = ee - ez * zz.inv() * ez.T
    compliance = stiffness.evalf().inv()
    return float(1 / compliance[0, 0]), float(-compliance[0, 1] / compliance[0, 0])


def test_the_closed_forms_in_the_readme_are_the_derived_ones() -> None:
    e, nu = _closed_form(relaxed=True)
    assert e == pytest.approx(8 * math.sqrt(3) * K_R * K_THETA / (A**2 * K_R + 18 * K_THETA),
                              rel=1e-10)
    assert nu == pytest.approx((A**2 * K_R - 6 * K_THETA) / (A**2 * K_R + 18 * K_THETA),
                               rel=1e-10)


def test_the_model_gives_the_relaxed_and_unrelaxed_constants(tmp_path: Path) -> None:
    outcome = run_files([EXAMPLE / "model.ttl"], out=tmp_path / "out", reasoner=False)
    assert outcome.directory is not None, [d.message for d in outcome.report]
    energies = json.loads((outcome.directory / "results.json").read_text(
        encoding="utf-8"))["energies"]
    for name, relaxed in (("W", True), ("W_unrelaxed", False)):
        e, nu = _closed_form(relaxed)
        assert energies[name]["moduli"]["value"][0] == pytest.approx(e, rel=1e-9)
        assert energies[name]["contraction_ratios"]["value"][0][1] == pytest.approx(nu, rel=1e-9)
        assert energies[name]["moduli"]["unit"][0] == "kg s^-2"  # N/m
    relaxed_nu = energies["W"]["contraction_ratios"]["value"][0][1]
    assert 0.15 < relaxed_nu < 0.2  # the published range
    assert energies["W_unrelaxed"]["contraction_ratios"]["value"][0][1] < 0.13  # differs
    # isotropic in plane: the shear modulus is E / (2 (1 + nu))
    e = energies["W"]["moduli"]["value"][0]
    assert energies["W"]["moduli"]["value"][2] == pytest.approx(e / (2 * (1 + relaxed_nu)),
                                                                rel=1e-9)


def test_a_stiffer_angle_term_moves_e_and_nu_as_the_closed_form_says(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder)
    model = folder / "model.ttl"
    text = model.read_text(encoding="utf-8")
    assert "sb:value 1.42e-18" in text
    k_theta = 2.5 * K_THETA
    model.write_text(text.replace("sb:value 1.42e-18", f"sb:value {k_theta!r}"),
                     encoding="utf-8")
    outcome = run_files([model], out=tmp_path / "out", reasoner=False)
    assert outcome.directory is not None, [d.message for d in outcome.report]
    relaxed = json.loads((outcome.directory / "results.json").read_text(
        encoding="utf-8"))["energies"]["W"]
    e = 8 * math.sqrt(3) * K_R * k_theta / (A**2 * K_R + 18 * k_theta)
    nu = (A**2 * K_R - 6 * k_theta) / (A**2 * K_R + 18 * k_theta)
    assert relaxed["moduli"]["value"][0] == pytest.approx(e, rel=1e-9)
    assert relaxed["contraction_ratios"]["value"][0][1] == pytest.approx(nu, rel=1e-9)
    assert e > 360.29  # a stiffer bending term stiffens the sheet and lowers nu
    assert nu < 0.1589
