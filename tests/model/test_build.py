"""build_model: an RDF graph becomes frozen, IRI-keyed dataclasses; model faults never raise."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import rdflib
import sympy

from scalebridge.diagnostics import Code
from scalebridge.model.build import build_model, namespace_of
from scalebridge.model.types import (
    BridgeKind,
    ConditionKind,
    CouplingKind,
    DomainKind,
    Expression,
    Ref,
    RelationKind,
    Side,
    TermKind,
    Value,
    VariableRole,
)

REPO = Path(__file__).resolve().parents[2]
HEAD = """
@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix qk:   <http://qudt.org/vocab/quantitykind/> .
@prefix :     <https://example.org/m#> .
"""


def _build(turtle: str):  # type: ignore[no-untyped-def]
    graph = rdflib.Graph().parse(data=HEAD + turtle, format="turtle")
    return build_model(graph)


def _example(name: str):  # type: ignore[no-untyped-def]
    graph = rdflib.Graph().parse(REPO / "examples" / name / "model.ttl")
    return build_model(graph)


def test_heat_rod_reads_completely() -> None:
    model, report = _example("heat_rod")
    assert report.codes == []
    ns = "https://w3id.org/scalebridge/examples/heat_rod#"
    rod = model.domains[ns + "rod"]
    assert rod.kind is DomainKind.INTERVAL and rod.cells == (50,)
    assert isinstance(rod.length, Value) and rod.length.si_value() == pytest.approx(0.5)
    sides = {b.side: b.condition.kind for b in rod.boundaries}
    assert sides == {Side.LEFT: ConditionKind.DIRICHLET, Side.RIGHT: ConditionKind.ROBIN}
    robin = next(b.condition for b in rod.boundaries if b.side is Side.RIGHT)
    assert robin.coefficient == Ref(iri=ns + "h") and robin.ambient == Ref(iri=ns + "T_air")
    temperature = model.variables[ns + "T"]
    assert temperature.role is VariableRole.FIELD and temperature.domain == ns + "rod"
    assert temperature.unit is not None and temperature.unit.scale == 1.0
    assert temperature.initial is not None and not isinstance(temperature.initial, float)
    assert dict(temperature.initial.bindings) == {"T_air": ns + "T_air"}
    c_p = model.variables[ns + "c_p"]
    assert c_p.unit is not None and c_p.unit.text == "J/(kg.K)" and c_p.value == 490.0
    heat = model.equations[ns + "heat"]
    assert heat.field == ns + "T" and not heat.steady
    assert heat.conserves == "https://w3id.org/scalebridge/ontology#Energy"
    assert isinstance(heat.capacity, Expression)
    assert heat.capacity.formula.formula.expr == sympy.Symbol("rho", real=True) * sympy.Symbol(
        "c_p", real=True
    )
    assert [t.kind for t in heat.terms] == [TermKind.DIFFUSION]
    submodel = model.submodels[ns + "rod_model"]
    assert submodel.domains == (ns + "rod",) and submodel.equations == (ns + "heat",)
    assert submodel.time_scale is not None and isinstance(submodel.time_scale.extent, Value)
    assert submodel.time_scale.extent.si_value() == pytest.approx(3 * 3600)


def test_two_compartment_reads_ports_and_carrier_flows() -> None:
    model, report = _example("two_compartment")
    assert report.codes == []
    ns = "https://w3id.org/scalebridge/examples/two_compartment#"
    assert {d.kind for d in model.domains.values()} == {DomainKind.COMPARTMENT}
    assert set(model.ports) == {
        ns + p for p in ("blood_out", "blood_in", "tissue_in", "tissue_out")
    }
    venous = model.carrier_flows[ns + "venous"]
    assert (venous.source, venous.target, venous.rate) == (
        ns + "tissue_out",
        ns + "blood_in",
        Ref(iri=ns + "Q"),
    )
    outlet = model.ports[ns + "tissue_out"]
    assert isinstance(outlet.potential, Expression)
    assert set(outlet.potential.formula.bindings) == {"C_t", "Kp"}
    sink = model.equations[ns + "blood_balance"].terms[0]
    assert sink.kind is TermKind.SINK and sink.expression is not None
    assert model.variables[ns + "CL"].unit is not None
    assert model.variables[ns + "CL"].unit.scale == pytest.approx(1e-3 / 3600)


def test_parts_are_frozen() -> None:
    model, _ = _example("heat_rod")
    variable = next(iter(model.variables.values()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        variable.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        model.variables["x"] = variable  # type: ignore[index]


def test_names_are_python_safe_and_unique_across_namespaces() -> None:
    model, report = _build("""
    @prefix a: <https://example.org/a#> .
    @prefix b: <https://example.org/b#> .
    a:k a sb:Parameter ; sb:value 1 ; sb:unit unit:UNITLESS .
    b:k a sb:Parameter ; sb:value 2 ; sb:unit unit:UNITLESS .
    :lambda a sb:Parameter ; sb:value 3 ; sb:unit unit:UNITLESS .
    :m a sb:Submodel ; sb:onDomain :box ; sb:hasRelation :r .
    :box a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
    :y2 a sb:AlgebraicVariable ; sb:unit unit:UNITLESS .
    :r a sb:AlgebraicRelation ; sb:defines :y2 ; sb:expression "2" .
    """)
    names = {v.iri.rsplit("/", 1)[-1]: v.name for v in model.variables.values()}
    assert names["a#k"] == "k" and names["b#k"] == "b_k"
    assert names["m#lambda"] == "lambda_2"  # a model may call it lambda; Python may not
    assert all(n.isidentifier() for n in names.values())
    assert len(set(names.values())) == len(names)
    assert report.codes == []


def test_formula_names_resolve_in_their_own_namespace_first() -> None:
    model, report = _build("""
    @prefix other: <https://example.org/other#> .
    :k a sb:Parameter ; sb:value 1 ; sb:unit "1/s" .
    other:k a sb:Parameter ; sb:value 2 ; sb:unit "1/s" .
    :box a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
    :C a sb:Field ; sb:on :box ; sb:unit "mol/L" ; sb:initialValue 1.0 .
    :e a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Reaction ; sb:expression "-k*C" ] .
    :m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e .
    """)
    assert report.codes == []
    term = model.equations["https://example.org/m#e"].terms[0]
    assert term.expression is not None
    assert term.expression.bindings["k"] == "https://example.org/m#k"
    assert term.expression.scope == "https://example.org/m#"


def test_coordinates_bind_to_markers_not_variables() -> None:
    model, report = _build("""
    :L a sb:Parameter ; sb:value 1 ; sb:unit unit:M .
    :rod a sb:Interval ; sb:length :L ; sb:cells 4 .
    :T a sb:Field ; sb:on :rod ; sb:unit unit:K ;
        sb:initialValue "300 [K] + 10 [K] * sin(pi * x / L)" .
    :e a sb:Equation ; sb:rateOf :T .
    :m a sb:Submodel ; sb:onDomain :rod ; sb:hasEquation :e .
    """)
    assert report.codes == []
    initial = model.variables["https://example.org/m#T"].initial
    assert initial is not None and not isinstance(initial, float)
    assert initial.bindings["x"] == "@x" and initial.bindings["L"] == "https://example.org/m#L"
    assert set(initial.formula.unit_literals.values()) == {"K"}


def test_unknown_unit_inside_a_formula_is_reported() -> None:
    _model, report = _build("""
    :q a sb:Parameter ; sb:unit unit:W-PER-M2 ; sb:value 1.0 .
    :box a sb:Compartment ; sb:volume [ sb:expression "2 [litre-ish]" ] .
    """)
    assert Code.UNITS_UNKNOWN in report.codes


def test_table_distribution_and_bridges() -> None:
    model, report = _build("""
    :T a sb:Field ; sb:on :rod ; sb:unit unit:K ; sb:initialValue 300.0 .
    :rod a sb:Interval ; sb:length [ sb:value 1 ; sb:unit unit:M ] ; sb:cells 3 .
    :k a sb:Parameter ; sb:unit unit:W-PER-M-K ;
        sb:table [ a sb:Table ; sb:argument :T ; sb:argumentUnit unit:DEG_C ;
                   sb:argumentValues ( 0 100 200 ) ; sb:values ( 170 150 140 ) ] .
    :phi a sb:Parameter ; sb:unit unit:UNITLESS ;
        sb:distribution [ a sb:Uniform ; sb:lowerBound 0.1 ; sb:upperBound 0.3 ] .
    :k_eff a sb:Parameter ; sb:unit unit:W-PER-M-K ; sb:providedBy :avg .
    :avg a sb:Averaging ; sb:source :k, :phi ; sb:target :k_eff ; sb:weights ( 0.25 0.75 ) .
    """)
    k = model.variables["https://example.org/m#k"]
    assert k.table is not None and k.table.arguments == (0.0, 100.0, 200.0)
    assert k.table.argument_unit is not None and k.table.argument_unit.offset == pytest.approx(
        273.15
    )
    phi = model.variables["https://example.org/m#phi"]
    assert phi.distribution is not None and dict(phi.distribution.parameters) == {
        "lower": 0.1,
        "upper": 0.3,
    }
    avg = model.bridges["https://example.org/m#avg"]
    assert avg.kind is BridgeKind.AVERAGING and avg.weights == (0.25, 0.75)
    assert len(avg.sources) == 2
    assert model.variables["https://example.org/m#k_eff"].provided_by == avg.iri
    assert Code.LOAD_NOTHING_TO_VALIDATE in report.codes  # no submodel in this fragment


def test_relations_couplings_and_standalone_transfers() -> None:
    model, report = _build("""
    :Pe a sb:AlgebraicVariable ; sb:unit unit:UNITLESS .
    :Delta a sb:Parameter ; sb:value 0.1 ; sb:unit unit:UNITLESS .
    :iv a sb:ImplicitRelation ; sb:solvesFor :Pe ; sb:expression "Delta = Pe*exp(Pe)*E1(Pe)" ;
        sb:lowerBound 1e-6 ; sb:upperBound 10 .
    :a a sb:Submodel ; sb:onDomain :box ; sb:hasRelation :iv .
    :b a sb:Submodel ; sb:onDomain :box2 ; sb:hasEquation :e2 .
    :box a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
    :box2 a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit unit:L ] .
    :C1 a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
    :C2 a sb:Field ; sb:on :box2 ; sb:unit "mg/L" ; sb:initialValue 0.0 .
    :e2 a sb:Equation ; sb:rateOf :C2 .
    :x1 a sb:Transfer ; sb:from :C1 ; sb:to :C2 ; sb:rate [ sb:expression "1 [L/h] * C1" ] .
    :loc a sb:Localization ; sb:source :C1 ; sb:target :C2 .
    :c a sb:Concurrent ; sb:between :a, :b ; sb:via :loc .
    """)
    assert report.codes == []
    relation = model.relations["https://example.org/m#iv"]
    assert relation.kind is RelationKind.IMPLICIT and relation.formula.formula.is_equation
    assert (relation.lower, relation.upper) == (1e-6, 10.0)
    coupling = model.couplings["https://example.org/m#c"]
    assert coupling.kind is CouplingKind.CONCURRENT and len(coupling.submodels) == 2
    transfer = model.transfers["https://example.org/m#x1"]
    assert transfer.equation is None and transfer.source_field == "https://example.org/m#C1"


def test_builder_never_raises_on_a_graph_of_wrong_shapes() -> None:
    model, report = _build("""
    :m a sb:Submodel ; sb:onDomain "not a node" ; sb:hasEquation :e, 7 .
    :e a sb:Equation ; sb:rateOf :m ; sb:capacity "x" ; sb:hasTerm :e .
    :f a sb:Field ; sb:on :e ; sb:initialValue "((" ; sb:unit 5 .
    :p a sb:Parameter ; sb:value "abc"^^<http://www.w3.org/2001/XMLSchema#double> .
    :l a sb:Averaging ; sb:weights :loop ; sb:target :p .
    :loop <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> 1 ;
          <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> :loop .
    """)
    assert Code.FORMULA_SYNTAX in report.codes
    assert Code.VALUE_INVALID in report.codes
    assert model.bridges["https://example.org/m#l"].weights is None


def test_namespace_of() -> None:
    assert namespace_of("https://e.org/a#b") == "https://e.org/a#"
    assert namespace_of("https://e.org/a/b") == "https://e.org/a/"
    assert namespace_of("urn:x:C") == "urn:x:"


def _codes(turtle: str) -> list[tuple[str, str | None]]:
    _model, report = _build(
        turtle
        + """
    :m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e .
    :box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit unit:L ] .
    :C a sb:Field ; sb:on :box ; sb:unit "mol/L" ; sb:initialValue 1.0 .
    :e a sb:Equation ; sb:rateOf :C .
    """
    )
    return sorted((d.code.value, d.subject) for d in report)


def test_parameter_needs_exactly_one_source_of_value() -> None:
    assert _codes(":k a sb:Parameter ; sb:unit unit:K .") == [
        ("SHAPE_VIOLATION", "https://example.org/m#k")
    ]
    assert _codes(
        ":k a sb:Parameter ; sb:unit unit:K ; sb:value 1.0 ; "
        "sb:distribution [ a sb:Normal ; sb:mean 1.0 ; sb:standardDeviation 0.1 ] ."
    ) == [("SHAPE_VIOLATION", "https://example.org/m#k")]


def test_a_quoted_number_is_the_wrong_datatype() -> None:
    assert _codes(':k a sb:Parameter ; sb:unit unit:K ; sb:value "1.0" .') == [
        ("SHAPE_WRONG_DATATYPE", "https://example.org/m#k")
    ]


def test_a_quantity_must_be_a_variable_or_carry_a_value_or_formula() -> None:
    assert _codes(":rod a sb:Interval ; sb:length :L ; sb:cells 3 . :L a sb:Port .")[0] == (
        "SHAPE_WRONG_TYPE",
        "https://example.org/m#rod",
    )
    assert _codes(":rod a sb:Interval ; sb:length :nowhere ; sb:cells 3 .") == [
        ("REF_DANGLING", "https://example.org/m#rod")
    ]


def test_equation_balances_exactly_one_field() -> None:
    assert _codes(":e2 a sb:Equation ; sb:rateOf :C ; sb:steadyStateOf :C .") == [
        ("SHAPE_VIOLATION", "https://example.org/m#e2")
    ]
    assert _codes(":e2 a sb:Equation .") == [("SHAPE_MISSING_VALUE", "https://example.org/m#e2")]


def test_transfer_is_a_formula_or_an_edge() -> None:
    assert _codes(
        ':x a sb:Transfer ; sb:expression "1 [mol/s]" ; sb:rate :r .'
        ' :r a sb:Parameter ; sb:value 1 ; sb:unit "mol/s" .'
    ) == [("SHAPE_VIOLATION", "https://example.org/m#x")]
    assert _codes(
        ":x a sb:Transfer ; sb:from :C ; sb:rate :r ."
        ' :r a sb:Parameter ; sb:value 1 ; sb:unit "mol/s" .'
    ) == [("SHAPE_MISSING_VALUE", "https://example.org/m#x")]


def test_carrier_flow_ends_must_be_compartments_or_ports() -> None:
    assert _codes(
        ':f a sb:CarrierFlow ; sb:from :box ; sb:to :C ; sb:rate [ sb:value 1 ; sb:unit "L/h" ] .'
    ) == [("SHAPE_WRONG_TYPE", "https://example.org/m#f")]
    assert _codes(
        ":f a sb:CarrierFlow ; sb:from :box ; sb:to :nowhere ;"
        ' sb:rate [ sb:value 1 ; sb:unit "L/h" ] .'
    ) == [("REF_DANGLING", "https://example.org/m#f")]


def test_a_submodel_needs_an_equation_or_a_relation() -> None:
    assert _codes(":m2 a sb:Submodel ; sb:onDomain :box .") == [
        ("SHAPE_MISSING_VALUE", "https://example.org/m#m2")
    ]


def test_a_transfer_edge_may_not_stand_inside_a_balance() -> None:
    found = _codes(""":e sb:hasTerm [ a sb:Transfer ; sb:from :C ; sb:to :C ;
        sb:rate [ sb:value 1 ; sb:unit "mol/s" ] ] .""")
    assert [code for code, _ in found] == ["SHAPE_VIOLATION"]
