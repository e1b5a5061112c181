"""The generated junction equations and carrier transfers (scalebridge.model.junctions)."""

from __future__ import annotations

from pathlib import Path

import rdflib
import sympy

from scalebridge.model.build import build_model
from scalebridge.model.junctions import (
    balances,
    carrier_transfers,
    conserved_quantity,
    formula_expression,
    generate_junction_equations,
    port_variables,
    si_expression,
    variable_symbol,
)
from scalebridge.model.types import Model

EX = "https://example.org/j#"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PREFIXES = """
@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix :     <https://example.org/j#> .
"""


def _model(body: str) -> Model:
    model, report = build_model(rdflib.Graph().parse(data=PREFIXES + body, format="turtle"))
    assert report.codes == [], report.to_text()
    return model


def _s(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


THREE_LUMPS = """
:m a sb:Submodel ; sb:onDomain :A, :B, :C ; sb:hasEquation :eA, :eB, :eC .
:A a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
:B a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
:C a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
:TA a sb:Field ; sb:on :A ; sb:unit unit:K ; sb:initialValue 300 .
:TB a sb:Field ; sb:on :B ; sb:unit unit:K ; sb:initialValue 300 .
:TC a sb:Field ; sb:on :C ; sb:unit unit:K ; sb:initialValue 300 .
:eA a sb:Equation ; sb:rateOf :TA .
:eB a sb:Equation ; sb:rateOf :TB .
:eC a sb:Equation ; sb:rateOf :TC .
:R a sb:Parameter ; sb:value 2.0 ; sb:unit unit:UNITLESS .
:qa a sb:FlowVariable ; sb:unit unit:W .
:Tb_port a sb:PotentialVariable ; sb:unit unit:K .
:pa a sb:Port ; sb:portOf :A ; sb:carries :TA ; sb:flowVariable :qa .
:pb a sb:Port ; sb:portOf :B ; sb:carries :TB ; sb:potentialVariable :Tb_port .
:pc a sb:Port ; sb:portOf :C ; sb:carries :TC ;
    sb:potential [ sb:expression "TC / R" ; sb:unit unit:K ] .
:mix a sb:Junction ; sb:joins :pa, :pb, :pc .
"""


def test_two_compartment_carrier_transfers_are_generated() -> None:
    graph = rdflib.Graph().parse(EXAMPLES / "two_compartment" / "model.ttl")
    model, _ = build_model(graph)
    ns = "https://w3id.org/scalebridge/examples/two_compartment#"
    found = {
        (t.flow[len(ns):], t.source_field[len(ns):], (t.target_field or "")[len(ns):]): t.rate
        for t in carrier_transfers(model)
    }
    q, c_b, c_t, kp = _s("Q"), _s("C_b"), _s("C_t"), _s("Kp")
    assert set(found) == {("arterial", "C_b", "C_t"), ("venous", "C_t", "C_b")}
    assert sympy.simplify(found["arterial", "C_b", "C_t"] - q * c_b) == 0
    assert sympy.simplify(found["venous", "C_t", "C_b"] - q * c_t / kp) == 0
    assert all(t.transfer is None for t in carrier_transfers(model))


def test_junction_of_three_ports_sums_flows_and_equates_potentials() -> None:
    model = _model(THREE_LUMPS)
    (equations,) = generate_junction_equations(model)
    assert equations.junction == EX + "mix"
    # Declared variables lend their symbols; the third port's are generated from its name.
    assert equations.flow_balance == _s("qa") + _s("pb_flow") + _s("pc_flow")
    assert equations.potential_equalities == (
        _s("pa_potential") - _s("Tb_port"),
        _s("pa_potential") - _s("pc_potential"),
    )
    values = {p.port[len(EX):]: p.value for p in equations.ports}
    assert values == {"pa": _s("TA"), "pb": _s("TB"), "pc": _s("TC") / _s("R")}
    # Two extra ports, two equalities; one flow balance; one definition per port.
    assert len(equations.equations) == 1 + 2 + 3
    assert _s("pc_potential") - _s("TC") / _s("R") in equations.equations


def test_port_symbols_never_take_a_variable_name() -> None:
    clash = ':pc_flow a sb:Parameter ; sb:value 1.0 ; sb:unit unit:W .\n:R a sb:Parameter'
    model = _model(THREE_LUMPS.replace(":R a sb:Parameter", clash))
    variables = port_variables(model, EX + "pc")
    assert variables.flow == _s("pc_flow_2")
    assert variables.flow != variable_symbol(model, EX + "pc_flow")


def test_potential_given_as_a_number_is_its_si_value() -> None:
    model = _model(
        THREE_LUMPS.replace('sb:potential [ sb:expression "TC / R" ; sb:unit unit:K ]',
                            "sb:potential [ sb:value 25.0 ; sb:unit unit:DEG_C ]")
    )
    value = port_variables(model, EX + "pc").value
    assert float(value) == 25.0 + 273.15


def test_formula_expression_puts_unit_literals_in_si() -> None:
    model = _model(THREE_LUMPS)
    relation_free = si_expression(model, model.ports[EX + "pc"].potential)
    assert relation_free == _s("TC") / _s("R")
    graph = rdflib.Graph().parse(data=PREFIXES + THREE_LUMPS + """
:eA sb:hasTerm [ a sb:Source ; sb:expression "3 [W] + 2 [mW] * R + 0 * t" ] .
""", format="turtle")
    model2, _ = build_model(graph)
    (term,) = model2.equations[EX + "eA"].terms
    assert term.expression is not None
    expr = formula_expression(model2, term.expression)
    # 3 W + 2 mW x R, in watts; time appears as the coordinate symbol t.
    assert sympy.simplify(expr - (3.0 + 0.002 * _s("R"))) == 0
    assert variable_symbol(model2, "@t") == _s("t")


def test_number_only_formula_is_read_in_its_declared_unit() -> None:
    model = _model(
        THREE_LUMPS.replace('sb:potential [ sb:expression "TC / R" ; sb:unit unit:K ]',
                            'sb:potential [ sb:expression "2 * 1000" ; sb:unit unit:MilliK ]')
    )
    assert float(port_variables(model, EX + "pc").value) == 2.0


NETWORK = """
:drug a sb:ConservedQuantity .
:met a sb:ConservedQuantity .
:m a sb:Submodel ; sb:onDomain :a, :b ; sb:hasEquation :da, :ma, :db, :mb .
:a a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
:b a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
:Da a sb:Field ; sb:on :a ; sb:unit unit:MilliGM-PER-L ; sb:initialValue 1 .
:Ma a sb:Field ; sb:on :a ; sb:unit unit:MilliGM-PER-L ; sb:initialValue 0 .
:Db a sb:Field ; sb:on :b ; sb:unit unit:MilliGM-PER-L ; sb:initialValue 0 .
:Mb a sb:Field ; sb:on :b ; sb:unit unit:MilliGM-PER-L ; sb:initialValue 0 .
:da a sb:Equation ; sb:rateOf :Da ; sb:conserves :drug .
:ma a sb:Equation ; sb:rateOf :Ma ; sb:conserves :met .
:db a sb:Equation ; sb:rateOf :Db ; sb:conserves :drug .
:mb a sb:Equation ; sb:rateOf :Mb ; sb:conserves :met .
:Q a sb:Parameter ; sb:value 3.0 ; sb:unit unit:L-PER-HR .
:ab a sb:CarrierFlow ; sb:from :a ; sb:to :b ; sb:rate :Q .
:ba a sb:CarrierFlow ; sb:from :b ; sb:to :a ; sb:rate [ sb:value 3.0 ; sb:unit unit:L-PER-HR ] .
"""


def test_compartment_ends_pair_fields_by_conserved_quantity() -> None:
    model = _model(NETWORK)
    pairs = {
        (t.flow[len(EX):], t.source_field[len(EX):], (t.target_field or "-")[len(EX):]): t.rate
        for t in carrier_transfers(model)
    }
    assert set(pairs) == {
        ("ab", "Da", "Db"), ("ab", "Ma", "Mb"), ("ba", "Db", "Da"), ("ba", "Mb", "Ma"),
    }
    assert pairs["ab", "Da", "Db"] == _s("Q") * _s("Da")
    # An inline rate is its SI value: 3 L/h = 3e-3 m^3 / 3600 s.
    rate = pairs["ba", "Mb", "Ma"] / _s("Mb")
    assert abs(float(rate) - 3e-3 / 3600) < 1e-18
    assert conserved_quantity(model, EX + "Ma") == EX + "met"
    assert balances(model)[EX + "Db"] == [EX + "db"]


def test_a_field_with_no_partner_has_no_target() -> None:
    model = _model(NETWORK.replace(":mb a sb:Equation ; sb:rateOf :Mb ; sb:conserves :met .",
                                   ":mb a sb:Equation ; sb:rateOf :Mb ; sb:conserves :drug ."))
    lost = {
        (t.flow[len(EX):], t.source_field[len(EX):])
        for t in carrier_transfers(model)
        if t.target_field is None
    }
    # From a to b: Ma (met) finds no met field in b, and Da two drug fields (ambiguous).
    # From b to a: Db and Mb (both drug) each find the one drug field Da.
    assert lost == {("ab", "Da"), ("ab", "Ma")}


def test_a_declared_transfer_replaces_the_pairing_and_uses_the_port_potential() -> None:
    model = _model(NETWORK + """
:out_a a sb:Port ; sb:portOf :a ; sb:carries :Da ;
    sb:potential [ sb:expression "Da / 2" ; sb:unit unit:MilliGM-PER-L ] .
:via a sb:CarrierFlow ; sb:from :out_a ; sb:to :b ; sb:rate :Q .
:moved a sb:Transfer ; sb:from :Da ; sb:to :Db ; sb:carrier :via .
""")
    via = [t for t in carrier_transfers(model) if t.flow == EX + "via"]
    assert len(via) == 1
    assert via[0].transfer == EX + "moved"
    assert (via[0].source_field, via[0].target_field) == (EX + "Da", EX + "Db")
    assert sympy.simplify(via[0].rate - _s("Q") * _s("Da") / 2) == 0
