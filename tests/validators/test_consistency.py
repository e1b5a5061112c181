"""check_consistency: HermiT on a sanitised export, and the explanation that names the node."""

from __future__ import annotations

from pathlib import Path

import rdflib

from scalebridge.diagnostics import Code, Severity
from scalebridge.ontology.resources import SB_NAMESPACE, ontology_graph
from scalebridge.ontology.vocab import SB
from scalebridge.validators.consistency import (
    ConsistencyCheck,
    check_consistency,
    sanitised_export,
    summarise,
    type_conflicts,
    whitelisted_assertions,
)

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
    kept = whitelisted_assertions(graph)
    assert (rdflib.URIRef("https://example.org/c#c"), rdflib.RDF.type, SB.Concurrent) in kept
    assert {p for _s, p, _o in kept} == {rdflib.RDF.type, SB.between, SB.scaleSeparationMargin}
    # The model's blank node becomes an IRI (owlready2 would read a typed blank node as a class
    # expression); only the ontology's own axioms keep blank nodes.
    submodels = [s for s, p, o in kept if p == rdflib.RDF.type and o == SB.Submodel]
    assert len(submodels) == 1 and str(submodels[0]).startswith("urn:scalebridge:bnode:")
    for summarised in (True, False):
        text = sanitised_export(graph, summarised=summarised).decode()
        assert "evil.example" not in text and "python_module" not in text and "foaf" not in text
        exported = rdflib.Graph().parse(data=text, format="nt")
        assert (None, rdflib.OWL.imports, None) not in exported
        assert (None, rdflib.RDF.type, SB.Concurrent) in exported


def test_summary_keeps_one_representative_per_signature() -> None:
    rows = "\n".join(
        f":s{i} a sb:Submodel ; sb:onDomain :d{i} . :d{i} a sb:Interval ." for i in range(50)
    )
    graph = _graph(rows + "\n:odd a sb:Submodel .")
    summary = summarise(whitelisted_assertions(graph))
    reps = {
        s
        for s, p, _o in summary
        if p == rdflib.RDF.type and str(s).startswith("urn:scalebridge:kind:")
    }
    # three kinds: a submodel with a domain, a domain of a submodel, a submodel without one
    assert len(reps) == 3
    assert len(summary) < len(whitelisted_assertions(graph)) / 5


# The predicates and classes an ontology in the summarisable fragment may use: see summarise().
_FRAGMENT_PREDICATES = {
    rdflib.RDF.type,
    rdflib.RDF.first,
    rdflib.RDF.rest,
    rdflib.RDFS.subClassOf,
    rdflib.RDFS.domain,
    rdflib.RDFS.range,
    rdflib.OWL.members,
    rdflib.OWL.distinctMembers,
    rdflib.OWL.oneOf,
    rdflib.OWL.disjointWith,
    rdflib.OWL.versionIRI,
    rdflib.OWL.versionInfo,
}
_FRAGMENT_TYPES = {
    rdflib.OWL.Class,
    rdflib.OWL.ObjectProperty,
    rdflib.OWL.DatatypeProperty,
    rdflib.OWL.AllDisjointClasses,
    rdflib.OWL.NamedIndividual,
    rdflib.OWL.AnnotationProperty,
    rdflib.OWL.Ontology,
    rdflib.OWL.AllDifferent,
}


def test_the_ontology_stays_in_the_fragment_the_summary_is_sound_for() -> None:
    onto = ontology_graph()
    annotations = set(onto.subjects(rdflib.RDF.type, rdflib.OWL.AnnotationProperty))
    logical = {p for _s, p, _o in onto} - annotations
    logical -= {rdflib.RDFS.label, rdflib.RDFS.comment}
    # sb: individuals may be typed with sb: classes (sb:Left a sb:BoundarySide)
    foreign = {p for p in logical if not str(p).startswith(SB_NAMESPACE)} - _FRAGMENT_PREDICATES
    assert foreign == set(), "an axiom outside the fragment: summarise() would be unsound"
    assert not {p for p in logical if str(p).startswith(SB_NAMESPACE)}
    types = {o for o in onto.objects(None, rdflib.RDF.type) if not str(o).startswith(SB_NAMESPACE)}
    assert types <= _FRAGMENT_TYPES, types - _FRAGMENT_TYPES
    # datatype ranges are named datatypes (no facets), so a literal fits by its datatype alone
    for prop in onto.subjects(rdflib.RDF.type, rdflib.OWL.DatatypeProperty):
        for target in onto.objects(prop, rdflib.RDFS.range):
            assert str(target).startswith(str(rdflib.XSD)), (prop, target)


def _owl_cases() -> list[Path]:
    broken = REPO / "tests" / "resources" / "broken"
    named = (
        "field_on_parameter",
        "hierarchical_and_concurrent",
        "valid_base",
        "coupling_self",
        "string_number",
    )
    cases = [broken / f"{name}.ttl" for name in named]
    cases += sorted((broken / "conservation").glob("*.ttl"))[:6]
    return cases + sorted((REPO / "examples").glob("*/model.ttl"))


def test_the_summary_and_the_full_export_get_the_same_verdict() -> None:
    cases = _owl_cases()
    assert len(cases) >= 4
    verdicts = set()
    for path in cases:
        graph = rdflib.Graph().parse(path)
        full = [d.code for d in check_consistency(graph, summarised=False)]
        short = [d.code for d in check_consistency(graph)]
        assert full == short, path
        verdicts.add(bool(short))
    assert verdicts == {True, False}  # both consistent and inconsistent models were compared


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


def test_a_background_check_that_is_abandoned_leaves_no_process_behind() -> None:
    graph = _graph(":c a sb:Hierarchical, sb:Concurrent .")
    with ConsistencyCheck(graph) as check:
        process = check._process
        assert process is not None
    assert process.poll() is not None  # stopped on leaving the block, verdict never asked for
    with ConsistencyCheck(graph) as check:
        first = check.result()
        assert check.result() is first  # asked twice, run once
    assert [d.code for d in first] == [Code.OWL_INCONSISTENT]


def test_a_reasoner_that_takes_too_long_is_reported_not_waited_for() -> None:
    graph = _graph(":c a sb:Concurrent .")
    found = check_consistency(graph, timeout=0.01)
    assert [d.code for d in found] == [Code.OWL_REASONER_UNAVAILABLE]
    assert "did not finish within" in found[0].message
