"""check_consistency: HermiT on a sanitised export, and the explanation that names the node."""

from __future__ import annotations

from pathlib import Path

import rdflib

from scalebridge.diagnostics import Code, Severity
from scalebridge.ontology.vocab import SB
from scalebridge.validators.consistency import check_consistency, sanitised_export, type_conflicts

REPO = Path(__file__).resolve().parents[2]
OWLREADY = "http://www.lesfleursdunormal.fr/static/_downloads/owlready_ontology.owl#"


def _graph(turtle: str) -> rdflib.Graph:
    return rdflib.Graph().parse(
        data="""
    @prefix sb: <https://w3id.org/scalebridge/ontology#> .
    @prefix owl: <http://www.w3.org/2002/07/owl#> .
    @prefix : <https://example.org/c#> .
    """
        + turtle,
        format="turtle",
    )


def test_the_examples_are_consistent() -> None:
    for name in ("heat_rod", "two_compartment"):
        graph = rdflib.Graph().parse(REPO / "examples" / name / "model.ttl")
        assert check_consistency(graph) == []


def test_export_keeps_only_whitelisted_statements() -> None:
    graph = _graph(f"""
    <https://example.org/c> a owl:Ontology ; owl:imports <http://evil.example/x.owl> .
    :c a sb:Concurrent ; sb:between :a, [ a sb:Submodel ] .
    :c <{OWLREADY}python_module> "os" .
    :c <http://xmlns.com/foaf/0.1/name> "c" .
    :c sb:scaleSeparationMargin 10 .
    """)
    exported = rdflib.Graph().parse(data=sanitised_export(graph).decode(), format="nt")
    text = sanitised_export(graph).decode()
    assert "evil.example" not in text and "python_module" not in text and "foaf" not in text
    assert (rdflib.URIRef("https://example.org/c#c"), rdflib.RDF.type, SB.Concurrent) in exported
    # The model's blank node becomes an IRI (owlready2 would read a typed blank node as a class
    # expression); only the ontology's own axioms keep blank nodes.
    submodels = set(exported.subjects(rdflib.RDF.type, SB.Submodel))
    assert len(submodels) == 1
    assert all(str(s).startswith("urn:scalebridge:bnode:") for s in submodels)
    assert (None, rdflib.OWL.imports, None) not in exported


def test_disjoint_types_are_inconsistent_and_the_node_is_named() -> None:
    found = check_consistency(_graph(":c a sb:Hierarchical, sb:Concurrent ."))
    assert [d.code for d in found] == [Code.OWL_INCONSISTENT]
    assert found[0].subject == "https://example.org/c#c"
    assert "sb:Concurrent" in found[0].message and "sb:Hierarchical" in found[0].message


def test_types_implied_by_a_property_range_are_taken_into_account() -> None:
    graph = _graph(":f a sb:Field ; sb:on :p . :p a sb:Parameter .")
    conflicts = type_conflicts(graph)
    assert [(str(n), str(a), str(b)) for n, a, b in conflicts] == [
        ("https://example.org/c#p", str(SB.Domain), str(SB.Quantity))
    ]
    assert [d.code for d in check_consistency(graph)] == [Code.OWL_INCONSISTENT]


def test_missing_java_skips_the_check_with_information() -> None:
    found = check_consistency(
        _graph(":c a sb:Hierarchical, sb:Concurrent ."), java="no-such-java-runtime"
    )
    assert [(d.code, d.severity) for d in found] == [(Code.OWL_REASONER_UNAVAILABLE, Severity.INFO)]
