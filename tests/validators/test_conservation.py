"""The conservation check: every rule on small models, with the cases that must not report."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import rdflib

from scalebridge.diagnostics import Code, Diagnostic
from scalebridge.model.build import build_model
from scalebridge.model.types import Model
from scalebridge.ontology.vocab import SB
from scalebridge.pipeline import validate_files
from scalebridge.validators.conservation import check_conservation

EX = "https://example.org/c#"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PREFIXES = """
@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix :     <https://example.org/c#> .
"""


def _model(body: str) -> Model:
    model, report = build_model(rdflib.Graph().parse(data=PREFIXES + body, format="turtle"))
    assert report.codes == [], report.to_text()
    return model


def _check(body: str) -> list[Diagnostic]:
    return check_conservation(_model(body))


def _codes(found: list[Diagnostic]) -> list[str]:
    return [str(d.code) for d in found]


# -- the examples -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["heat_rod", "two_compartment"])
def test_examples_are_conservative(name: str) -> None:
    model, _ = build_model(rdflib.Graph().parse(EXAMPLES / name / "model.ttl"))
    assert check_conservation(model) == []


def test_two_compartment_network_balances_at_60_litres_per_hour() -> None:
    model, _ = build_model(rdflib.Graph().parse(EXAMPLES / "two_compartment" / "model.ttl"))
    # blood -> tissue and tissue -> blood both at Q; an extra 1 L/h out of blood unbalances it.
    assert len(model.carrier_flows) == 2
    text = (EXAMPLES / "two_compartment" / "model.ttl").read_text()
    graph = rdflib.Graph().parse(data=text + """
:spill a sb:CarrierFlow ; sb:from :blood_out ; sb:to :tissue_in ;
    sb:rate [ sb:value 1.0 ; sb:unit "L/h" ] .
""", format="turtle")
    found = check_conservation(build_model(graph)[0])
    messages = {d.subject.rsplit("#", 1)[-1]: d.message for d in found if d.subject}
    assert _codes(found) == ["CONSERVATION_CARRIER_IMBALANCE"] * 2
    assert messages["blood"].startswith("blood: inflow 60 L/h, outflow 61 L/h, imbalance 1 L/h")
    assert messages["tissue"].startswith("tissue: inflow 61 L/h, outflow 60 L/h")


# -- ports joined twice ---------------------------------------------------------------------------

LUMPS = """
:m a sb:Submodel ; sb:onDomain :A, :B, :C ; sb:hasEquation :eA, :eB, :eC .
:A a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
:B a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
:C a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
:TA a sb:Field ; sb:on :A ; sb:unit unit:K ; sb:initialValue 300 .
:TB a sb:Field ; sb:on :B ; sb:unit unit:K ; sb:initialValue 300 .
:TC a sb:Field ; sb:on :C ; sb:unit unit:K ; sb:initialValue 300 .
:eA a sb:Equation ; sb:rateOf :TA ; sb:conserves sb:Energy .
:eB a sb:Equation ; sb:rateOf :TB ; sb:conserves sb:Energy .
:eC a sb:Equation ; sb:rateOf :TC ; sb:conserves sb:Energy .
:pa a sb:Port ; sb:portOf :A ; sb:carries :TA .
:pb a sb:Port ; sb:portOf :B ; sb:carries :TB .
"""
PORT_C = ":pc a sb:Port ; sb:portOf :C ; sb:carries :TC .\n"


def test_a_port_joined_by_two_junctions_is_reported_once_with_both() -> None:
    found = _check(LUMPS + PORT_C + ":j1 a sb:Junction ; sb:joins :pa, :pb .\n"
                   ":j2 a sb:Junction ; sb:joins :pa, :pc .\n")
    assert _codes(found) == ["CONSERVATION_PORT_JOINED_TWICE"]
    assert found[0].subject == EX + "pa"
    assert found[0].related == (EX + "j1", EX + "j2")
    assert "2 junctions" in found[0].message


def test_one_junction_of_three_ports_is_fine() -> None:
    assert _check(LUMPS + PORT_C + ":j a sb:Junction ; sb:joins :pa, :pb, :pc .\n") == []


# -- interfaces -----------------------------------------------------------------------------------


def test_interface_on_one_domain() -> None:
    body = LUMPS.replace(":pb a sb:Port ; sb:portOf :B ; sb:carries :TB .", "")
    found = _check(body + ":pa2 a sb:Port ; sb:portOf :A ; sb:carries :TA .\n"
                   ":i a sb:Interface ; sb:joins :pa, :pa2 .\n")
    assert _codes(found) == ["CONSERVATION_INTERFACE_MISMATCH"]
    assert (found[0].subject, found[0].path) == (EX + "i", str(SB.joins))
    assert "one domain" in found[0].message


def test_interface_between_domains_of_one_quantity_is_fine() -> None:
    assert _check(LUMPS + ":i a sb:Interface ; sb:joins :pa, :pb .\n") == []


def test_interface_between_different_conserved_quantities() -> None:
    body = LUMPS.replace(":eB a sb:Equation ; sb:rateOf :TB ; sb:conserves sb:Energy .",
                         ":eB a sb:Equation ; sb:rateOf :TB ; sb:conserves sb:Mass .")
    found = _check(body + ":i a sb:Interface ; sb:joins :pa, :pb .\n")
    assert _codes(found) == ["CONSERVATION_INTERFACE_MISMATCH"]
    assert found[0].actual == "Energy, Mass"


def test_interface_where_only_one_side_declares_a_quantity() -> None:
    body = LUMPS.replace(":eB a sb:Equation ; sb:rateOf :TB ; sb:conserves sb:Energy .",
                         ":eB a sb:Equation ; sb:rateOf :TB .")
    found = _check(body + ":i a sb:Interface ; sb:joins :pa, :pb .\n")
    assert _codes(found) == ["CONSERVATION_INTERFACE_MISMATCH"]
    assert "declares no conserved quantity" in found[0].message


def test_interface_where_neither_side_declares_a_quantity_is_fine() -> None:
    body = LUMPS.replace(" ; sb:conserves sb:Energy .", " .")
    assert _check(body + ":i a sb:Interface ; sb:joins :pa, :pb .\n") == []


def test_a_junction_is_not_held_to_the_interface_rules() -> None:
    body = LUMPS + ":pa2 a sb:Port ; sb:portOf :A ; sb:carries :TA .\n"
    assert _check(body + ":j a sb:Junction ; sb:joins :pa, :pa2, :pb .\n") == []


# -- transfer budgets -----------------------------------------------------------------------------

GUT = """
:drug a sb:ConservedQuantity .
:m a sb:Submodel ; sb:onDomain :gut, :plasma, :tissue ; sb:hasEquation :g, :p, :t .
:gut a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
:plasma a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
:tissue a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
:ka a sb:Parameter ; sb:value 1.2 ; sb:unit unit:PER-HR .
:A_g a sb:Field ; sb:on :gut ; sb:unit unit:MilliGM ; sb:initialValue 100 .
:A_p a sb:Field ; sb:on :plasma ; sb:unit {plasma_unit} ; sb:initialValue 0 .
:A_t a sb:Field ; sb:on :tissue ; sb:unit unit:MilliGM ; sb:initialValue 0 .
:g a sb:Equation ; sb:rateOf :A_g ; sb:conserves :drug ; sb:hasTerm :tg .
:p a sb:Equation ; sb:rateOf :A_p ; sb:conserves :drug ; sb:hasTerm :tp .
:t a sb:Equation ; sb:rateOf :A_t ; sb:conserves :drug .
:tg a sb:Transfer ; sb:expression "{gut_term}" .
:tp a sb:Transfer ; sb:expression "{plasma_term}" .
"""


def _gut(gut_term: str, plasma_term: str, plasma_unit: str = "unit:MilliGM") -> str:
    return GUT.format(gut_term=gut_term, plasma_term=plasma_term, plasma_unit=plasma_unit)


@pytest.mark.parametrize(
    ("gut_term", "plasma_term", "plasma_unit"),
    [
        ("-ka * A_g", "ka * A_g", "unit:MilliGM"),
        ("-ka * (A_g - A_p)", "ka * A_g - ka * A_p", "unit:MilliGM"),
        # mg/h against g/h: equal once both are in SI.
        ("-500 [mg/h]", "0.5 [g/h]", "unit:GM"),
        ("-ka * A_g", "ka * A_g * 1e-3 [g/mg]", "unit:GM"),
        ("-ka * A_g", "ka * A_g * 1 [g] / 1000 [mg]", "unit:GM"),
    ],
)
def test_transfers_that_cancel_in_si_close_the_budget(
    gut_term: str, plasma_term: str, plasma_unit: str
) -> None:
    assert _check(_gut(gut_term, plasma_term, plasma_unit)) == []


def test_a_transfer_split_over_three_balances_closes_the_budget() -> None:
    body = _gut("-ka * (A_g - A_t)", "ka * A_g").replace(
        ":t a sb:Equation ; sb:rateOf :A_t ; sb:conserves :drug .",
        ':t a sb:Equation ; sb:rateOf :A_t ; sb:conserves :drug ;\n'
        '    sb:hasTerm [ a sb:Transfer ; sb:expression "-ka * A_t" ] .',
    )
    assert _check(body) == []


def test_a_transfer_without_counterpart_names_the_term_and_the_residual() -> None:
    found = _check(_gut("-ka * A_g", "0 * A_p"))
    assert _codes(found) == ["CONSERVATION_BUDGET_OPEN"]
    d = found[0]
    assert (d.subject, d.path) == (EX + "tg", str(SB.expression))
    assert d.related == (EX + "g",)
    assert d.actual == "-A_g*ka"
    assert "'-ka * A_g'" in d.message and "kg s^-1" in d.message


def test_a_counterpart_with_the_wrong_sign_reports_both_terms() -> None:
    found = _check(_gut("-ka * A_g", "-ka * A_g"))
    assert _codes(found) == ["CONSERVATION_BUDGET_OPEN"] * 2
    assert {d.subject for d in found} == {EX + "tg", EX + "tp"}
    assert {d.actual for d in found} == {"-2*A_g*ka"}


def test_mg_against_g_that_do_not_cancel_give_the_si_residual() -> None:
    found = _check(_gut("-ka * A_g", "ka * A_g * 1 [g/mg]", "unit:GM"))
    # 1 g/mg is 1e-3 kg / 1e-6 kg = 1000, so plasma gains 1000 ka A_g where gut loses 1.
    factor = 1e-3 / 1e-6 - 1
    assert _codes(found) == ["CONSERVATION_BUDGET_OPEN"] * 2
    assert {d.actual for d in found} == {f"{factor:.4g}*A_g*ka"}


def test_constant_transfers_that_differ_give_the_residual_in_si() -> None:
    found = _check(_gut("-500 [mg/h]", "0.4 [g/h]", "unit:GM"))
    residual = (-500e-6 + 0.4e-3) / 3600
    assert {d.actual for d in found} == {f"{residual:.4g}"}


def test_declared_sources_sinks_and_reactions_are_not_in_the_budget() -> None:
    body = _gut("-ka * A_g", "ka * A_g").replace(
        ":t a sb:Equation ; sb:rateOf :A_t ; sb:conserves :drug .",
        ':t a sb:Equation ; sb:rateOf :A_t ; sb:conserves :drug ;\n'
        '    sb:hasTerm [ a sb:Source ; sb:expression "2 [mg/h]" ],\n'
        '               [ a sb:Sink ; sb:expression "ka * A_t" ],\n'
        '               [ a sb:Reaction ; sb:expression "-ka * A_t" ] .',
    )
    assert _check(body) == []


def test_balances_that_conserve_nothing_are_not_budgeted() -> None:
    body = _gut("-ka * A_g", "0 * A_p").replace(" ; sb:conserves :drug", "")
    assert _check(body) == []


def test_budgets_are_kept_per_conserved_quantity() -> None:
    body = _gut("-ka * A_g", "ka * A_g").replace(
        ":p a sb:Equation ; sb:rateOf :A_p ; sb:conserves :drug",
        ":other a sb:ConservedQuantity .\n:p a sb:Equation ; sb:rateOf :A_p ; sb:conserves :other",
    )
    found = _check(body)
    assert _codes(found) == ["CONSERVATION_BUDGET_OPEN"] * 2
    assert {d.subject for d in found} == {EX + "tg", EX + "tp"}


def test_a_huge_power_is_compared_without_expanding_it() -> None:
    power = "(A_g + A_p + A_t + ka + 1)^60"
    start = time.perf_counter()
    assert _check(_gut(f"-ka * {power}", f"ka * {power}")) == []
    assert _codes(_check(_gut(f"-ka * {power}", "0 * A_p"))) == ["CONSERVATION_BUDGET_OPEN"]
    assert time.perf_counter() - start < 20


# -- carrier networks -----------------------------------------------------------------------------

LIVER = """
:drug a sb:ConservedQuantity .
:m a sb:Submodel ; sb:onDomain :art, :liver ; sb:hasEquation :ea, :el .
:art a sb:Compartment ; rdfs:label "arterial" ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
:liver a sb:Compartment ; sb:volume [ sb:value 1.8 ; sb:unit unit:L ] .
:Ca a sb:Field ; sb:on :art ; sb:unit unit:MilliGM-PER-L ; sb:initialValue 1 .
:Cl a sb:Field ; sb:on :liver ; sb:unit unit:MilliGM-PER-L ; sb:initialValue 0 .
:ea a sb:Equation ; sb:rateOf :Ca ; sb:conserves :drug .
:el a sb:Equation ; sb:rateOf :Cl ; sb:conserves :drug .
:in a sb:CarrierFlow ; sb:from :art ; sb:to :liver ; sb:rate {rate_in} .
:out a sb:CarrierFlow ; sb:from :liver ; sb:to :art ; sb:rate {rate_out} .
"""


def _liver(rate_in: str, rate_out: str, extra: str = "") -> str:
    return LIVER.format(rate_in=rate_in, rate_out=rate_out) + extra


def test_carrier_imbalance_names_the_node_and_the_size_in_the_flow_unit() -> None:
    found = _check(_liver("[ sb:value 90 ; sb:unit unit:L-PER-HR ]",
                          "[ sb:value 70.5 ; sb:unit unit:L-PER-HR ]"))
    by_node = {d.subject: d for d in found}
    assert _codes(found) == ["CONSERVATION_CARRIER_IMBALANCE"] * 2
    gap = 90 - 70.5
    liver = by_node[EX + "liver"].message
    assert liver.startswith(f"liver: inflow 90 L/h, outflow 70.5 L/h, imbalance {gap:g} L/h")
    assert "19.5 L/h" in liver
    assert by_node[EX + "art"].message.startswith("arterial: inflow 70.5 L/h, outflow 90 L/h")
    assert by_node[EX + "liver"].actual == "outflow 70.5 L/h"
    assert by_node[EX + "liver"].expected == "outflow equal to the inflow, 90 L/h"


def test_flows_in_different_units_are_compared_in_si() -> None:
    # 1.5 m^3/h is 25 L/min exactly.
    assert _check(_liver("[ sb:value 25 ; sb:unit \"L/min\" ]",
                         "[ sb:value 1.5 ; sb:unit \"m3/h\" ]")) == []


def test_a_difference_below_the_relative_tolerance_passes() -> None:
    assert _check(_liver("[ sb:value 1.0 ; sb:unit unit:L-PER-HR ]",
                         "[ sb:value 1.0000000000001 ; sb:unit unit:L-PER-HR ]")) == []
    found = _check(_liver("[ sb:value 1.0 ; sb:unit unit:L-PER-HR ]",
                          "[ sb:value 1.000001 ; sb:unit unit:L-PER-HR ]"))
    assert _codes(found) == ["CONSERVATION_CARRIER_IMBALANCE"] * 2


def test_rates_of_parameters_and_relations_are_compared_symbolically() -> None:
    extra = """
:Q a sb:Parameter ; sb:value 60 ; sb:unit unit:L-PER-HR .
:f1 a sb:Parameter ; sb:unit unit:UNITLESS ;
    sb:distribution [ a sb:Uniform ; sb:lowerBound 0.1 ; sb:upperBound 0.3 ] .
:f2 a sb:AlgebraicVariable ; sb:unit unit:UNITLESS .
:r a sb:AlgebraicRelation ; sb:defines :f2 ; sb:expression "1 - f1" .
:m sb:hasRelation :r .
"""
    balanced = _liver('[ sb:expression "Q * f1 + Q * f2" ; sb:unit unit:L-PER-HR ]', ":Q", extra)
    assert _check(balanced) == []
    broken = _liver('[ sb:expression "Q * f1 + Q * f2 * f1" ; sb:unit unit:L-PER-HR ]', ":Q",
                    extra)
    found = _check(broken)
    by_node = {d.subject: d for d in found}
    # in - out at the liver = Q f1 + Q (1 - f1) f1 - Q = Q (2 f1 - f1^2 - 1), Q = 60 L/h.
    assert "imbalance (-60 + 120*f1 - 60*f1**2) L/h" in by_node[EX + "liver"].message


def test_port_ends_count_for_their_domain() -> None:
    extra = """
:art_out a sb:Port ; sb:portOf :art ; sb:carries :Ca .
:liver_in a sb:Port ; sb:portOf :liver ; sb:carries :Cl .
:extra a sb:CarrierFlow ; sb:from :art_out ; sb:to :liver_in ;
    sb:rate [ sb:value 5 ; sb:unit unit:L-PER-HR ] .
"""
    found = _check(_liver(":Q", ":Q", extra + ":Q a sb:Parameter ; sb:value 60 ; "
                                              "sb:unit unit:L-PER-HR .\n"))
    by_node = {d.subject: d for d in found}
    assert set(by_node) == {EX + "art", EX + "liver"}
    assert "imbalance 5 L/h" in by_node[EX + "liver"].message


# -- fluxes without a destination -----------------------------------------------------------------


def test_carrier_into_a_field_without_balance() -> None:
    body = _liver(":Q", ":Q", ":Q a sb:Parameter ; sb:value 60 ; sb:unit unit:L-PER-HR .\n"
                  ":K a sb:Parameter ; sb:value 0.8 ; sb:unit unit:UNITLESS .\n"
                  ":eq a sb:AlgebraicRelation ; sb:defines :Cl ; sb:expression \"K * Ca\" .\n"
                  ":m sb:hasRelation :eq .\n")
    body = body.replace(":el a sb:Equation ; sb:rateOf :Cl ; sb:conserves :drug .", "")
    body = body.replace("sb:hasEquation :ea, :el", "sb:hasEquation :ea")
    found = _check(body)
    assert _codes(found) == ["CONSERVATION_FLUX_NO_DESTINATION"] * 2
    where = {(d.subject, d.path) for d in found}
    assert where == {(EX + "in", str(SB.to)), (EX + "out", str(SB["from"]))}


def test_carrier_into_a_compartment_without_fields() -> None:
    body = _liver(":Q", ":Q", ":Q a sb:Parameter ; sb:value 60 ; sb:unit unit:L-PER-HR .\n"
                  ":sink a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .\n"
                  ":m sb:onDomain :sink .\n"
                  ":drain a sb:CarrierFlow ; sb:from :liver ; sb:to :sink ; sb:rate :Q .\n")
    found = [d for d in _check(body) if d.code is Code.CONSERVATION_FLUX_NO_DESTINATION]
    assert [(d.subject, d.path) for d in found] == [(EX + "drain", str(SB.to))]
    assert "no field takes it up" in found[0].message


def test_carrier_from_a_compartment_without_fields_brings_nothing_and_is_fine() -> None:
    body = _liver(":Q", ":Q", ":Q a sb:Parameter ; sb:value 60 ; sb:unit unit:L-PER-HR .\n"
                  ":water a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .\n"
                  ":m sb:onDomain :water .\n"
                  ":fresh a sb:CarrierFlow ; sb:from :water ; sb:to :art ; sb:rate :Q .\n"
                  ":back a sb:CarrierFlow ; sb:from :art ; sb:to :water ; sb:rate :Q .\n")
    found = _check(body)
    assert [(d.subject, d.path) for d in found] == [(EX + "back", str(SB.to))]


def test_junction_port_whose_field_has_no_balance() -> None:
    body = LUMPS.replace(":eC a sb:Equation ; sb:rateOf :TC ; sb:conserves sb:Energy .", "")
    body = body.replace("sb:hasEquation :eA, :eB, :eC", "sb:hasEquation :eA, :eB")
    found = _check(body + PORT_C + ":j a sb:Junction ; sb:joins :pa, :pb, :pc .\n")
    assert [(str(d.code), d.subject, d.path) for d in found] == [
        ("CONSERVATION_FLUX_NO_DESTINATION", EX + "pc", str(SB.carries))
    ]


def test_standalone_transfer_ends_need_balances() -> None:
    body = _gut("-ka * A_g", "ka * A_g") + """
:loose a sb:Field ; sb:on :tissue ; sb:unit unit:MilliGM .
:leak a sb:Transfer ; sb:from :A_t ; sb:to :loose ; sb:rate [ sb:value 1 ; sb:unit "mg/h" ] .
:feed a sb:Transfer ; sb:from :loose ; sb:to :A_t ; sb:rate [ sb:value 1 ; sb:unit "mg/h" ] .
:fine a sb:Transfer ; sb:from :A_g ; sb:to :A_t ; sb:rate [ sb:value 1 ; sb:unit "mg/h" ] .
"""
    found = _check(body)
    assert [(d.subject, d.path) for d in found] == [
        (EX + "feed", str(SB["from"])),
        (EX + "leak", str(SB.to)),
    ]


# -- averaging weights ----------------------------------------------------------------------------

BRIDGE = """
:m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e .
:box a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
:T a sb:Field ; sb:on :box ; sb:unit unit:K ; sb:initialValue 300 .
:e a sb:Equation ; sb:rateOf :T .
:k1 a sb:Parameter ; sb:value 1 ; sb:unit unit:W-PER-M-K .
:k2 a sb:Parameter ; sb:value 2 ; sb:unit unit:W-PER-M-K .
:k3 a sb:Parameter ; sb:value 3 ; sb:unit unit:W-PER-M-K .
:k a sb:Parameter ; sb:providedBy :avg ; sb:unit unit:W-PER-M-K .
:avg a sb:Averaging ; sb:source {sources} ; sb:target :k {weights} .
"""


def _bridge(sources: str, weights: str) -> str:
    return BRIDGE.format(sources=sources, weights=weights)


def test_weights_summing_to_0_9_are_reported_with_their_sum() -> None:
    found = _check(_bridge(":k1, :k2", "; sb:weights ( 0.5 0.4 )"))
    assert _codes(found) == ["CONSERVATION_WEIGHTS"]
    total = 0.5 + 0.4
    assert found[0].actual == f"{total:g}" == "0.9"
    assert "sum to 0.9, not 1" in found[0].message
    assert (found[0].subject, found[0].path) == (EX + "avg", str(SB.weights))


def test_one_weight_per_source() -> None:
    found = _check(_bridge(":k1, :k2", "; sb:weights ( 0.2 0.3 0.5 )"))
    assert _codes(found) == ["CONSERVATION_WEIGHTS"]
    assert "3 weights for 2 sources" in found[0].message


@pytest.mark.parametrize(
    "weights",
    [
        "; sb:weights ( 0.6 0.4 )",
        "",  # cell volumes are used
    ],
)
def test_weights_that_sum_to_one_or_are_absent_are_fine(weights: str) -> None:
    assert _check(_bridge(":k1, :k2", weights)) == []


def test_rounding_in_the_weights_is_tolerated() -> None:
    third = 0.3333333333333
    assert 0 < abs(3 * third - 1.0) < 1e-9
    assert _check(_bridge(":k1, :k2, :k3", f"; sb:weights ( {third} {third} {third} )")) == []
    assert _codes(_check(_bridge(":k1, :k2, :k3", "; sb:weights ( 0.1 0.2 0.700001 )"))) == [
        "CONSERVATION_WEIGHTS"
    ]


# -- prolongation ---------------------------------------------------------------------------------

PROLONG = """
:coarse_m a sb:Submodel ; sb:onDomain :slab ; sb:hasEquation :heat .
:fine_m a sb:Submodel ; sb:onDomain :grain ; sb:hasRelation :r .
:slab a sb:Interval ; sb:length [ sb:value 0.5 ; sb:unit unit:M ] ; sb:cells 50 .
{grain}
:k a sb:Parameter ; sb:value 45 ; sb:unit unit:W-PER-M-K .
:T a sb:Field ; sb:on :slab ; sb:unit unit:K ; sb:initialValue 300 .
:T_loc a sb:Field ; sb:on :grain ; sb:unit unit:K .
:dT a sb:AlgebraicVariable ; sb:unit unit:K .
:r a sb:AlgebraicRelation ; sb:defines :dT ; sb:expression "T_loc - 300 [K]" .
:heat a sb:Equation ; sb:rateOf :T ; sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k ] .
:down a sb:Localization ; sb:source :T ; sb:target {target} {conserves} .
"""


def _prolong(
    grain: str, target: str = ":T_loc", conserves: str = "; sb:conserves sb:Energy"
) -> str:
    return PROLONG.format(grain=grain, target=target, conserves=conserves)


def test_prolongation_onto_a_domain_of_one_coarse_cell_conserves() -> None:
    grain = ":grain a sb:Interval ; sb:length [ sb:value 1 ; sb:unit unit:CentiM ] ; sb:cells 8 ."
    assert _check(_prolong(grain)) == []


def test_prolongation_onto_a_larger_domain_reports_the_factor() -> None:
    grain = ":grain a sb:Interval ; sb:length [ sb:value 3 ; sb:unit unit:CentiM ] ; sb:cells 8 ."
    found = _check(_prolong(grain))
    assert _codes(found) == ["CONSERVATION_PROLONGATION"]
    cell, fine = 0.5 / 50, 0.03
    assert found[0].expected == f"a fine domain of {cell:g} m"
    assert found[0].actual == f"{fine:g} m"
    assert f"multiplies the integral by {fine / cell:g}" in found[0].message
    assert (found[0].subject, found[0].path) == (EX + "down", str(SB.conserves))


def test_prolongation_without_conserves_is_not_checked() -> None:
    grain = ":grain a sb:Interval ; sb:length [ sb:value 3 ; sb:unit unit:CentiM ] ; sb:cells 8 ."
    assert _check(_prolong(grain, conserves="")) == []


def test_prolongation_between_domains_of_different_dimension() -> None:
    grain = (":grain a sb:Rectangle ; sb:width [ sb:value 1 ; sb:unit unit:CentiM ] ;"
             " sb:height [ sb:value 1 ; sb:unit unit:CentiM ] ; sb:cellsX 4 ; sb:cellsY 4 .")
    found = _check(_prolong(grain))
    assert _codes(found) == ["CONSERVATION_PROLONGATION"]
    assert "different dimension" in found[0].message
    assert found[0].actual == f"{0.01 * 0.01:g} m^2"


def test_prolongation_between_compartments_compares_volumes() -> None:
    same = ":grain a sb:Compartment ; sb:volume [ sb:value 10 ; sb:unit unit:MilliL ] ."
    body = _prolong(same).replace(
        ':slab a sb:Interval ; sb:length [ sb:value 0.5 ; sb:unit unit:M ] ; sb:cells 50 .',
        ":slab a sb:Compartment ; sb:volume [ sb:value 0.01 ; sb:unit unit:L ] .",
    ).replace(" ; sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k ]", "")
    assert _check(body) == []
    assert _codes(_check(body.replace("sb:value 10 ; sb:unit unit:MilliL",
                                      "sb:value 11 ; sb:unit unit:MilliL"))) == [
        "CONSERVATION_PROLONGATION"
    ]


def test_conserving_prolongation_onto_a_parameter_has_no_integral() -> None:
    grain = ":grain a sb:Interval ; sb:length [ sb:value 1 ; sb:unit unit:CentiM ] ; sb:cells 8 ."
    body = _prolong(grain, target=":T_par") + ":T_par a sb:Parameter ; sb:providedBy :down ; " \
        "sb:unit unit:K .\n"
    found = _check(body)
    assert _codes(found) == ["CONSERVATION_PROLONGATION"]
    assert "'T_par' is not a field" in found[0].message


def test_sizes_that_are_not_constants_cannot_be_checked_and_pass() -> None:
    grain = (":grain a sb:Interval ; sb:length :L_g ; sb:cells 8 .\n"
             ":L_g a sb:Parameter ; sb:unit unit:M ;"
             " sb:distribution [ a sb:Uniform ; sb:lowerBound 0.01 ; sb:upperBound 0.03 ] .")
    assert _check(_prolong(grain)) == []


# -- through the pipeline -------------------------------------------------------------------------


def test_the_pipeline_locates_a_budget_fault_at_the_term(tmp_path: Path) -> None:
    path = tmp_path / "model.ttl"
    path.write_text(PREFIXES + _gut("-ka * A_g", "0 * A_p"))
    report = validate_files([path], reasoner=False).report
    (fault,) = [d for d in report if d.code is Code.CONSERVATION_BUDGET_OPEN]
    assert fault.line is not None
    assert path.read_text().splitlines()[fault.line - 1].startswith(":tg a sb:Transfer")


def test_findings_come_in_a_stable_order() -> None:
    body = _liver("[ sb:value 90 ; sb:unit unit:L-PER-HR ]",
                  "[ sb:value 70.5 ; sb:unit unit:L-PER-HR ]")
    first, second = _check(body), _check(body)
    assert first == second
    assert [d.subject for d in first] == [EX + "art", EX + "liver"]
