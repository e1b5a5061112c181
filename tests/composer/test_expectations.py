"""Averages over random parameters: the lowering, the generated module and the interpreter."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import sympy

from scalebridge.composer import compose_files
from scalebridge.composer.expectations import Expectation, rule_tuple, rules_of
from scalebridge.composer.interpret import parameter_values
from scalebridge.diagnostics import Code
from scalebridge.runner import load_solver

TEXT = """
@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix :     <https://example.org/avg#> .

:fine a sb:Submodel ; sb:onDomain :cell ; sb:hasRelation :response ;
    sb:timeScale [ sb:grain [ sb:value 1.0e-9 ; sb:unit unit:SEC ] ;
                   sb:extent [ sb:value 1.0e-6 ; sb:unit unit:SEC ] ] .
:cell a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit unit:M3 ] .
:k0 a sb:Parameter ; sb:value 2.0 ; sb:unit unit:W-PER-M-K .
:angle a sb:Parameter ; sb:unit unit:DEG ;
    sb:distribution [ a sb:Uniform ; sb:lowerBound 0.0 ; sb:upperBound 360.0 ] .
:spread a sb:Parameter ; sb:unit unit:UNITLESS ;
    sb:distribution [ a sb:Normal ; sb:mean 1.0 ; sb:standardDeviation 0.2 ] .
:k_local a sb:AlgebraicVariable ; sb:unit unit:W-PER-M-K .
:response a sb:AlgebraicRelation ; sb:defines :k_local ;
    sb:expression "k0 * (1 + cos(angle)^2) * spread^2" .

:coarse a sb:Submodel ; sb:onDomain :block ; sb:hasRelation :use ;
    sb:timeScale [ sb:grain [ sb:value 1.0 ; sb:unit unit:SEC ] ;
                   sb:extent [ sb:value 100.0 ; sb:unit unit:SEC ] ] .
:block a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit unit:M3 ] .
:k_mean a sb:Parameter ; sb:unit unit:W-PER-M-K ; sb:providedBy :average .
:twice a sb:AlgebraicVariable ; sb:unit unit:W-PER-M-K .
:use a sb:AlgebraicRelation ; sb:defines :twice ; sb:expression "2 * k_mean" .

:average a sb:Averaging ; sb:source :k_local ; sb:target :k_mean ;
    sb:over ( :angle :spread ) .
:c a sb:Hierarchical ; sb:between :fine, :coarse ; sb:via :average .
"""
# E[k0 (1 + cos^2) s^2] = k0 * 3/2 * (1 + 0.2^2): the default 20-point rules are exact in the
# spread and converged to round-off in cos^2 over a whole turn
EXPECTED = 2.0 * 1.5 * (1 + 0.04)


def _compose(tmp_path: Path, text: str = TEXT):  # type: ignore[no-untyped-def]
    model = tmp_path / "model.ttl"
    model.write_text(text, encoding="utf-8")
    return compose_files([model], reasoner=False)


def test_an_average_lowers_to_an_expectation_of_parameters(tmp_path: Path) -> None:
    composition = _compose(tmp_path)
    assert composition.program is not None, [d.message for d in composition.report]
    derived = {d.name: d for d in composition.program.derived}
    expectation = derived["k_mean"].expr
    assert isinstance(expectation, Expectation)
    # the relation is inlined: the integrand is in parameters, the averaged ones bound
    assert {s.name for s in expectation.free_symbols} == {"k0"}
    rules = rules_of(expectation)
    assert [(r.symbol.name, r.kind, r.points) for r in rules] == [
        ("angle", "uniform", 20), ("spread", "normal", 20)]
    assert rules[0].scale == pytest.approx(math.pi / 180)  # degrees to radians
    values = parameter_values(composition.program)
    assert float(values[sympy.Symbol("k_mean", real=True)]) == pytest.approx(EXPECTED, rel=1e-13)
    assert float(values[sympy.Symbol("twice", real=True)]) == pytest.approx(2 * EXPECTED)


def test_the_generated_module_agrees_with_the_interpreter(tmp_path: Path) -> None:
    composition = _compose(tmp_path)
    assert composition.source is not None
    assert "quadrature.expectation(lambda _x0, _x1:" in composition.source
    solver = tmp_path / "solver.py"
    solver.write_text(composition.source, encoding="utf-8")
    p = load_solver(solver).parameters()
    assert p["k_mean"] == pytest.approx(EXPECTED, rel=1e-13)
    # overriding a parameter the integrand uses moves the average with it
    assert load_solver(solver).parameters({"k0": 4.0})["k_mean"] == pytest.approx(2 * EXPECTED)


def test_an_average_of_a_solved_field_is_refused(tmp_path: Path) -> None:
    text = TEXT.replace(":k_local a sb:AlgebraicVariable ; sb:unit unit:W-PER-M-K .",
                        ":k_local a sb:Field ; sb:on :cell ; sb:unit unit:W-PER-M-K ; "
                        "sb:initialValue 1.0 .\n:rate a sb:Parameter ; sb:value 1.0 ; "
                        "sb:unit unit:PER-SEC .")
    text = text.replace(""":response a sb:AlgebraicRelation ; sb:defines :k_local ;
    sb:expression "k0 * (1 + cos(angle)^2) * spread^2" .""",
                        """:response a sb:Equation ; sb:rateOf :k_local ; sb:hasTerm [ a sb:Sink ;
    sb:expression "rate * (k_local - k0 * (1 + cos(angle)^2) * spread^2)" ] .""")
    text = text.replace("sb:hasRelation :response", "sb:hasEquation :response")
    composition = _compose(tmp_path, text)
    assert composition.source is None
    refused = [d for d in composition.report if d.code is Code.COMPOSE_UNSUPPORTED]
    assert refused and "not on parameters alone" in refused[0].message, [
        d.message for d in composition.report]


def test_an_expectation_differentiates_under_the_integral() -> None:
    k, phi = sympy.symbols("k phi", real=True)
    e = Expectation(k**2 * sympy.cos(phi) ** 2,
                    sympy.Tuple(rule_tuple(phi, "uniform", 0.0, 2 * math.pi, 8)))
    assert sympy.diff(e, k) == Expectation(2 * k * sympy.cos(phi) ** 2, e.args[1])
    assert sympy.diff(e, phi) == 0  # bound inside: not a variable of the average


def test_an_average_of_an_average_binds_fresh_names(tmp_path: Path) -> None:
    # k_mean (an average over angle and spread) feeds a coarse quantity that is averaged again,
    # over a third random parameter: the generated code nests one lambda in another
    text = TEXT.replace(":use a sb:AlgebraicRelation ; sb:defines :twice ; sb:expression "
                        "\"2 * k_mean\" .",
                        ":use a sb:AlgebraicRelation ; sb:defines :twice ; sb:expression "
                        "\"k_mean * load^2\" .\n"
                        ":load a sb:Parameter ; sb:unit unit:UNITLESS ;\n"
                        "    sb:distribution [ a sb:Uniform ; sb:lowerBound 0.0 ; "
                        "sb:upperBound 3.0 ] .\n"
                        ":top a sb:Submodel ; sb:onDomain :plant ; sb:hasRelation :report ;\n"
                        "    sb:timeScale [ sb:grain [ sb:value 1.0e3 ; sb:unit unit:SEC ] ;\n"
                        "      sb:extent [ sb:value 1.0e5 ; sb:unit unit:SEC ] ] .\n"
                        ":plant a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit unit:M3 ] .\n"
                        ":k_top a sb:Parameter ; sb:unit unit:W-PER-M-K ; sb:providedBy :again .\n"
                        ":shown a sb:AlgebraicVariable ; sb:unit unit:W-PER-M-K .\n"
                        ":report a sb:AlgebraicRelation ; sb:defines :shown ; "
                        "sb:expression \"k_top\" .\n"
                        ":again a sb:Averaging ; sb:source :twice ; sb:target :k_top ; "
                        "sb:over ( :load ) .\n"
                        ":c2 a sb:Hierarchical ; sb:between :coarse, :top ; sb:via :again .")
    composition = _compose(tmp_path, text)
    assert composition.source is not None, [d.message for d in composition.report]
    assert "lambda _x0:" in composition.source and "lambda _x1, _x2:" in composition.source
    solver = tmp_path / "solver.py"
    solver.write_text(composition.source, encoding="utf-8")
    p = load_solver(solver).parameters()
    assert p["k_top"] == pytest.approx(EXPECTED * 3.0, rel=1e-12)  # E[load^2] = 3
    values = parameter_values(composition.program)
    assert float(values[sympy.Symbol("k_top", real=True)]) == pytest.approx(p["k_top"],
                                                                            rel=1e-13)
