"""check_structure: determinedness, loops, nesting cycles, bridges, domains and orphans."""

from __future__ import annotations

import rdflib

from scalebridge.diagnostics import Code, Severity
from scalebridge.model.build import build_model
from scalebridge.validators.structure import check_structure

HEAD = """
@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix :     <https://example.org/t#> .
"""
BOX = """
:m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e ; sb:hasRelation :r .
:box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit unit:L ] .
:C a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
:k a sb:Parameter ; sb:value 0.1 ; sb:unit "1/s" .
:e a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Reaction ; sb:expression "-k_eff * C" ] .
:k_eff a sb:AlgebraicVariable ; sb:unit "1/s" .
:r a sb:AlgebraicRelation ; sb:defines :k_eff ; sb:expression "2 * k" .
"""
NS = "https://example.org/t#"


def _check(turtle: str) -> list[tuple[str, str | None]]:
    graph = rdflib.Graph().parse(data=HEAD + turtle, format="turtle")
    model, _ = build_model(graph)
    return [(d.code.value, d.subject) for d in check_structure(model)]


def test_a_determined_model_has_no_findings() -> None:
    assert _check(BOX) == []


def test_steady_fields_need_no_initial_value() -> None:
    text = BOX.replace("sb:rateOf :C", "sb:steadyStateOf :C").replace(" ; sb:initialValue 1.0", "")
    assert _check(text) == []


def test_an_unreadable_initial_value_is_not_reported_as_missing() -> None:
    text = BOX.replace("sb:initialValue 1.0", 'sb:initialValue "((("')
    assert _check(text) == []


def test_energy_functional_variables_count_as_determined() -> None:
    assert _check(BOX + """
    :m sb:hasRelation :W .
    :eps a sb:AlgebraicVariable ; sb:unit unit:UNITLESS .
    :u a sb:AlgebraicVariable ; sb:unit unit:UNITLESS .
    :W a sb:EnergyFunctional ; sb:expression "k * (eps - u)^2 + k * u^2" ;
        sb:strainVariables ( :eps ) ; sb:internalVariables ( :u ) .
    """) == []


def test_variable_defined_by_a_relation_and_supplied_by_a_bridge_is_overdetermined() -> None:
    found = _check(BOX + ":avg a sb:Averaging ; sb:source :k ; sb:target :k_eff .")
    assert found == [("STRUCTURE_OVERDETERMINED", NS + "k_eff")]


def test_boundary_forcing_does_not_overdetermine_the_field_it_forces() -> None:
    assert _check(BOX + ":f a sb:BoundaryForcing ; sb:source :k ; sb:target :C .") == []


def test_parameter_provided_by_a_bridge_is_determined() -> None:
    assert _check(BOX + """
    :kp a sb:Parameter ; sb:unit "1/s" ; sb:providedBy :pp .
    :pp a sb:ParameterPassing ; sb:target :kp ;
        sb:through [ a sb:Table ; sb:argument :C ; sb:argumentValues ( 0 1 ) ; sb:values ( 1 2 ) ] .
    """) == []


def test_self_referencing_algebraic_relation_is_a_loop() -> None:
    found = _check(BOX.replace('"2 * k"', '"k + k_eff / 2"'))
    assert found == [("STRUCTURE_ALGEBRAIC_LOOP", NS + "r")]


def test_implicit_relation_is_not_a_loop() -> None:
    text = BOX.replace(
        ':r a sb:AlgebraicRelation ; sb:defines :k_eff ; sb:expression "2 * k" .',
        ":r a sb:ImplicitRelation ; sb:solvesFor :k_eff ;"
        ' sb:expression "k_eff + k_eff^3 [s2] = k" .',
    )
    assert _check(text) == []


def test_severities() -> None:
    graph = rdflib.Graph().parse(data=HEAD + BOX.replace('"2 * k"', '"k + k_eff / 2"') + """
    :orphan a sb:Equation ; sb:rateOf :C2 .
    :C2 a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
    """, format="turtle")
    found = {d.code: d.severity for d in check_structure(build_model(graph)[0])}
    assert found == {Code.STRUCTURE_ALGEBRAIC_LOOP: Severity.INFO,
                     Code.STRUCTURE_ORPHAN: Severity.WARNING}


def _two_submodels(coupling: str) -> str:
    parts = []
    for i in (1, 2, 3):
        parts.append(f"""
        :m{i} a sb:Submodel ; sb:onDomain :b{i} ; sb:hasEquation :e{i} .
        :b{i} a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit unit:L ] .
        :C{i} a sb:Field ; sb:on :b{i} ; sb:unit "mg/L" ; sb:initialValue 1.0 .
        :P{i} a sb:Parameter ; sb:unit "mg/L" ; sb:providedBy :to{i} .
        :e{i} a sb:Equation ; sb:rateOf :C{i} ;
            sb:hasTerm [ a sb:Reaction ; sb:expression "(P{i} - C{i}) / 1 [s]" ] .
        """)
    return "".join(parts) + coupling


def test_a_chain_of_nestings_is_not_a_cycle() -> None:
    assert _check(_two_submodels("""
    :to2 a sb:Localization ; sb:source :C1 ; sb:target :P2 .
    :to3 a sb:Localization ; sb:source :C2 ; sb:target :P3 .
    :to1 a sb:Localization ; sb:source :C3 ; sb:target :P1 .
    :n12 a sb:OneWayNesting ; sb:between :m1, :m2 ; sb:via :to2 .
    :n23 a sb:OneWayNesting ; sb:between :m2, :m3 ; sb:via :to3 .
    :c31 a sb:Concurrent ; sb:between :m3, :m1 ; sb:via :to1 .
    """)) == []


def test_a_three_cycle_of_nestings_is_found() -> None:
    found = _check(_two_submodels("""
    :to2 a sb:Localization ; sb:source :C1 ; sb:target :P2 .
    :to3 a sb:Localization ; sb:source :C2 ; sb:target :P3 .
    :to1 a sb:Localization ; sb:source :C3 ; sb:target :P1 .
    :n12 a sb:OneWayNesting ; sb:between :m1, :m2 ; sb:via :to2 .
    :n23 a sb:OneWayNesting ; sb:between :m2, :m3 ; sb:via :to3 .
    :n31 a sb:OneWayNesting ; sb:between :m3, :m1 ; sb:via :to1 .
    """))
    assert found == [("STRUCTURE_NESTING_CYCLE", NS + "n12")]


def test_a_bridge_within_one_submodel_is_outside_its_coupling() -> None:
    found = _check(_two_submodels("""
    :to1 a sb:Localization ; sb:source :C1 ; sb:target :P1 .
    :to2 a sb:Localization ; sb:source :C1 ; sb:target :P2 .
    :to3 a sb:Localization ; sb:source :C1 ; sb:target :P3 .
    :c a sb:Concurrent ; sb:between :m1, :m2 ; sb:via :to1, :to2 .
    """))
    assert found == [("STRUCTURE_BRIDGE_OUTSIDE_COUPLING", NS + "to1")]


def test_y_velocity_on_an_interval_and_a_port_on_a_missing_side() -> None:
    found = _check(BOX + """
    :m sb:onDomain :rod ; sb:hasEquation :heat .
    :rod a sb:Interval ; sb:length [ sb:value 1 ; sb:unit unit:M ] ; sb:cells 4 .
    :T a sb:Field ; sb:on :rod ; sb:unit unit:K ; sb:initialValue 300.0 .
    :heat a sb:Equation ; sb:rateOf :T ;
        sb:hasTerm :adv .
    :adv a sb:Advection ; sb:velocity [ sb:value 1 ; sb:unit "m/s" ] ;
        sb:velocityY [ sb:value 1 ; sb:unit "m/s" ] .
    :p a sb:Port ; sb:portOf :rod ; sb:at sb:Bottom ; sb:carries :T .
    """)
    assert found == [("STRUCTURE_OPERATOR_DOMAIN", NS + "adv"),
                     ("STRUCTURE_OPERATOR_DOMAIN", NS + "p")]


def test_boundary_must_constrain_a_field_of_its_own_domain() -> None:
    found = _check(BOX + """
    :m sb:onDomain :rod ; sb:hasEquation :heat .
    :rod a sb:Interval ; sb:length [ sb:value 1 ; sb:unit unit:M ] ; sb:cells 4 ;
        sb:boundary :left .
    :left sb:at sb:Left ; sb:constrains :C ;
        sb:condition [ a sb:Dirichlet ; sb:boundaryValue [ sb:value 1 ; sb:unit "mg/L" ] ] .
    :T a sb:Field ; sb:on :rod ; sb:unit unit:K ; sb:initialValue 300.0 .
    :heat a sb:Equation ; sb:rateOf :T .
    """)
    assert found == [("STRUCTURE_OPERATOR_DOMAIN", NS + "left")]
