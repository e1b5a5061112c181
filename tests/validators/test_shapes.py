"""check_shapes: SHACL results become diagnostics with the right codes, once per problem."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import rdflib

from scalebridge.diagnostics import Code, Severity
from scalebridge.ontology.resources import shape_context, shapes_graph, validation_shapes
from scalebridge.ontology.vocab import SB
from scalebridge.validators.shapes import SBSH, check_shapes

HEAD = """
@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix :     <https://example.org/s#> .
:m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e .
:box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit unit:L ] .
:C a sb:Field ; sb:on :box ; sb:unit unit:MOL-PER-L ; sb:initialValue 1.0 .
:e a sb:Equation ; sb:rateOf :C .
"""


def _codes(turtle: str) -> list[tuple[str, str | None]]:
    graph = rdflib.Graph().parse(data=HEAD + turtle, format="turtle")
    return sorted((d.code.value, d.subject) for d in check_shapes(graph))


def test_a_valid_fragment_has_no_findings() -> None:
    assert _codes("") == []


def test_a_dangling_reference_is_not_also_a_wrong_type() -> None:
    assert _codes(":D a sb:Field ; sb:on :nowhere ; sb:unit unit:K .") == [
        ("REF_DANGLING", "https://example.org/s#D")
    ]


def test_a_misspelt_class_gives_no_consequential_shape_finding() -> None:
    # sb:Difusion is reported by the builder as REF_UNKNOWN_TERM; the shapes stay quiet about it.
    assert _codes(":e2 a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Difusion ] .") == []


def test_missing_unit_is_a_warning_once_even_when_two_shapes_notice_it() -> None:
    graph = rdflib.Graph().parse(data=HEAD + ":k a sb:Parameter ; sb:value 2.0 .", format="turtle")
    found = [d for d in check_shapes(graph) if d.code is Code.UNITS_MISSING]
    assert len(found) == 1 and found[0].severity is Severity.WARNING
    assert found[0].path == "https://w3id.org/scalebridge/ontology#unit"


def test_inline_quantity_must_be_a_quantity() -> None:
    found = _codes(":rod a sb:Interval ; sb:length 0.5 ; sb:cells 10 .")
    assert found == [("SHAPE_WRONG_TYPE", "https://example.org/s#rod")]


def test_side_must_be_one_of_the_four() -> None:
    found = _codes(
        ":box2 a sb:Interval ; sb:length [ sb:value 1 ; sb:unit unit:M ] ; sb:cells 3 ;"
        " sb:boundary [ sb:at sb:Left ; sb:condition [ a sb:Periodic ] ] ,"
        " [ sb:at :middle ; sb:condition [ a sb:Periodic ] ] ."
    )
    assert [code for code, _ in found] == ["SHAPE_WRONG_TYPE"]


def test_interface_joins_at_most_two_ports_and_carrier_flow_needs_a_rate() -> None:
    found = _codes("""
    :p1 a sb:Port ; sb:portOf :box ; sb:carries :C .
    :p2 a sb:Port ; sb:portOf :box ; sb:carries :C .
    :p3 a sb:Port ; sb:portOf :box ; sb:carries :C .
    :i a sb:Interface ; sb:joins :p1, :p2, :p3 .
    :f a sb:CarrierFlow ; sb:from :p1 ; sb:to :box .
    """)
    assert found == [
        ("SHAPE_MISSING_VALUE", "https://example.org/s#f"),
        ("SHAPE_TOO_MANY_VALUES", "https://example.org/s#i"),
    ]


def test_negative_standard_deviation_is_out_of_range() -> None:
    found = _codes(
        ":k a sb:Parameter ; sb:unit unit:K ; "
        "sb:distribution [ a sb:Normal ; sb:mean 1.0 ; sb:standardDeviation -0.1 ] ."
    )
    assert [code for code, _ in found] == ["SHAPE_VALUE_OUT_OF_RANGE"]


def _raw_results(data: rdflib.Graph, shapes: rdflib.Graph) -> set[tuple[str, ...]]:
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    _ok, results, _text = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    assert isinstance(results, rdflib.Graph)
    keys = (sh.focusNode, sh.resultPath, sh.sourceShape, sh.sourceConstraintComponent, sh.value)
    return {
        tuple(str(results.value(r, k)) for k in keys) for r in results.objects(None, sh.result)
    }


def test_the_flattened_shapes_give_the_same_results_as_the_authored_ones() -> None:
    broken = Path(__file__).resolve().parents[1] / "resources" / "broken"
    files = sorted(broken.glob("*.ttl")) + sorted(broken.glob("*/*.ttl"))
    compared = 0
    for path in files:
        try:
            data = rdflib.Graph().parse(path)
        except Exception:  # the corpus has files that do not parse on purpose
            continue
        data += shape_context()
        authored = _raw_results(data, shapes_graph())
        assert authored == _raw_results(data, validation_shapes()), path.name
        compared += bool(authored)
    assert compared >= 8  # enough of the corpus has shape findings to make the comparison count
    # and the flattening did change something: no targeted node shape keeps a property shape
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    flat = validation_shapes()
    assert (SBSH.Submodel, sh.property, None) not in flat
    assert (SBSH["Submodel-onDomain"], sh.targetClass, SB.Submodel) in flat
