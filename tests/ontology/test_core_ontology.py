"""The ontology (core.ttl) and the shapes (shapes.ttl) as artefacts: they load, they are
consistent, SHACL-for-SHACL accepts the shapes, and every term is documented."""

from __future__ import annotations

import io
import itertools
from importlib import resources
from pathlib import Path

import owlready2
import pyshacl
import pytest
import rdflib

from scalebridge.diagnostics import Code
from scalebridge.ontology.resources import (
    ONTOLOGY_IRI,
    ONTOLOGY_VERSION_IRI,
    SB_NAMESPACE,
    defined_terms,
    ontology_graph,
    shapes_graph,
)
from scalebridge.ontology.vocab import SB

SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
SBSH = rdflib.Namespace("https://w3id.org/scalebridge/shapes#")


def test_ontology_has_its_own_namespace_and_version_iri() -> None:
    graph = ontology_graph()
    onto = rdflib.URIRef(ONTOLOGY_IRI)
    assert (onto, rdflib.RDF.type, rdflib.OWL.Ontology) in graph
    assert graph.value(onto, rdflib.OWL.versionIRI) == rdflib.URIRef(ONTOLOGY_VERSION_IRI)
    assert len(defined_terms()) > 100


def test_every_term_has_label_definition_and_example() -> None:
    graph = ontology_graph()
    missing = [
        (term, prop)
        for term in sorted(defined_terms())
        for prop in (rdflib.RDFS.label, SKOS.definition, SKOS.example)
        if graph.value(rdflib.URIRef(term), prop) is None
    ]
    assert missing == []


@pytest.mark.parametrize(
    "term",
    [
        "Model",
        "Submodel",
        "Compartment",
        "Interval",
        "Rectangle",
        "ParticleChain",
        "Lattice",
        "Dirichlet",
        "Neumann",
        "Robin",
        "Periodic",
        "ForcedByBridge",
        "Field",
        "Parameter",
        "TimeDerivative",
        "Diffusion",
        "Advection",
        "Reaction",
        "Source",
        "Transfer",
        "AlgebraicRelation",
        "ImplicitRelation",
        "EnergyFunctional",
        "Equation",
        "ConservedQuantity",
        "Port",
        "FlowVariable",
        "PotentialVariable",
        "Junction",
        "Interface",
        "Homogenization",
        "Averaging",
        "Localization",
        "ParameterPassing",
        "BoundaryForcing",
        "Handshake",
        "SurrogateBridge",
        "Hierarchical",
        "Concurrent",
        "OneWayNesting",
        "ScaleRange",
        "Run",
        "Result",
        "Table",
        "Distribution",
    ],
)
def test_the_issue_asks_for_this_class(term: str) -> None:
    assert (SB[term], rdflib.RDF.type, rdflib.OWL.Class) in ontology_graph()


def test_run_and_result_are_prov_activity_and_entity() -> None:
    graph = ontology_graph()
    prov = rdflib.Namespace("http://www.w3.org/ns/prov#")
    assert (SB.Run, rdflib.RDFS.subClassOf, prov.Activity) in graph
    assert (SB.Result, rdflib.RDFS.subClassOf, prov.Entity) in graph


def _disjoint(a: rdflib.URIRef, b: rdflib.URIRef) -> bool:
    graph = ontology_graph()
    for group in graph.subjects(rdflib.RDF.type, rdflib.OWL.AllDisjointClasses):
        members = list(rdflib.collection.Collection(graph, graph.value(group, rdflib.OWL.members)))
        if a in members and b in members:
            return True
    return False


def test_coupling_strategies_are_pairwise_disjoint() -> None:
    for a, b in itertools.combinations([SB.Hierarchical, SB.Concurrent, SB.OneWayNesting], 2):
        assert _disjoint(a, b)


def test_boundary_conditions_and_bridge_kinds_are_disjoint() -> None:
    assert _disjoint(SB.Dirichlet, SB.Neumann)
    assert _disjoint(SB.Localization, SB.Homogenization)
    assert not _disjoint(SB.Averaging, SB.Homogenization)  # averaging is a homogenization


def test_ontology_loads_in_owlready2_and_hermit_finds_it_consistent() -> None:
    nt = ontology_graph().serialize(format="nt", encoding="utf-8")
    world = owlready2.World()
    onto = world.get_ontology("urn:scalebridge:ontology-test").load(
        fileobj=io.BytesIO(nt), format="ntriples"
    )
    classes = {c.iri for c in onto.classes()}
    assert SB_NAMESPACE + "Field" in classes and SB_NAMESPACE + "Handshake" in classes
    with onto:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []
    world.close()


def test_an_individual_of_two_disjoint_classes_is_inconsistent_for_hermit() -> None:
    graph = rdflib.Graph()
    graph += ontology_graph()
    individual = rdflib.URIRef("urn:x:c")
    graph.add((individual, rdflib.RDF.type, SB.Hierarchical))
    graph.add((individual, rdflib.RDF.type, SB.Concurrent))
    world = owlready2.World()
    onto = world.get_ontology("urn:scalebridge:bad").load(
        fileobj=io.BytesIO(graph.serialize(format="nt", encoding="utf-8")), format="ntriples"
    )
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError), onto:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    world.close()


def test_shapes_pass_shacl_for_shacl() -> None:
    meta = Path(str(resources.files("pyshacl").joinpath("assets/shacl-shacl.ttl")))
    conforms, _graph, text = pyshacl.validate(
        shapes_graph(), shacl_graph=rdflib.Graph().parse(meta), inference="none"
    )
    assert conforms, text


def test_pyshacl_meta_validation_accepts_the_shapes() -> None:
    conforms, _graph, text = pyshacl.validate(
        rdflib.Graph(), shacl_graph=shapes_graph(), meta_shacl=True, inference="none"
    )
    assert conforms, text


def test_shapes_use_core_constraints_only() -> None:
    graph = shapes_graph()
    assert not list(graph.subject_objects(SH.sparql))
    assert not list(graph.subject_objects(SH.select))


def test_every_property_shape_has_a_message_and_every_declared_code_exists() -> None:
    graph = shapes_graph()
    for shape in graph.subjects(rdflib.RDF.type, SH.PropertyShape):
        assert graph.value(shape, SH.message) is not None, shape
    for code in graph.objects(None, SBSH.code):
        assert str(code) in Code.__members__, code


def test_shapes_only_mention_defined_terms() -> None:
    known = defined_terms()
    used = {
        str(term)
        for triple in shapes_graph()
        for term in triple
        if isinstance(term, rdflib.URIRef) and str(term).startswith(SB_NAMESPACE)
    }
    assert used - known == set()
