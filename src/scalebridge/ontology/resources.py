"""The package's own Turtle files: the ontology and the SHACL shapes, parsed once and cached.

These are read from the installed package (never from the network) and are the only entries of
the built-in import catalogue.

Example
-------
>>> from scalebridge.ontology.resources import ONTOLOGY_IRI, ontology_graph
>>> (rdflib.URIRef(ONTOLOGY_IRI), rdflib.RDF.type, rdflib.OWL.Ontology) in ontology_graph()
True
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import rdflib

__all__ = [
    "BUILTIN_IMPORTS",
    "ONTOLOGY_IRI",
    "ONTOLOGY_VERSION_IRI",
    "SB_NAMESPACE",
    "SHAPES_IRI",
    "SHAPES_NAMESPACE",
    "core_ttl_text",
    "defined_terms",
    "ontology_graph",
    "shape_context",
    "shapes_graph",
    "superclass_closure",
    "validation_shapes",
]

SB_NAMESPACE = "https://w3id.org/scalebridge/ontology#"
SHAPES_NAMESPACE = "https://w3id.org/scalebridge/shapes#"
ONTOLOGY_IRI = "https://w3id.org/scalebridge/ontology"
ONTOLOGY_VERSION_IRI = "https://w3id.org/scalebridge/ontology/0.1.0"
SHAPES_IRI = "https://w3id.org/scalebridge/shapes"

# IRIs a model may owl:import that resolve to files shipped inside the package.
BUILTIN_IMPORTS: frozenset[str] = frozenset(
    {ONTOLOGY_IRI, ONTOLOGY_IRI + "#", ONTOLOGY_VERSION_IRI, SHAPES_IRI, SHAPES_IRI + "#"}
)


def _read(name: str) -> str:
    return resources.files("scalebridge.ontology").joinpath(name).read_text(encoding="utf-8")


def core_ttl_text() -> str:
    """The text of ``core.ttl``, the OWL ontology."""
    return _read("core.ttl")


@cache
def ontology_graph() -> rdflib.Graph:
    """The OWL ontology as an rdflib graph (parsed once; do not modify it)."""
    graph = rdflib.Graph()
    graph.parse(data=core_ttl_text(), format="turtle", publicID=ONTOLOGY_IRI)
    return graph


@cache
def shapes_graph() -> rdflib.Graph:
    """The SHACL shapes as an rdflib graph (parsed once; do not modify it)."""
    graph = rdflib.Graph()
    graph.parse(data=_read("shapes.ttl"), format="turtle", publicID=SHAPES_IRI)
    return graph


_SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
_TARGETS = (_SH.targetClass, _SH.targetNode, _SH.targetSubjectsOf, _SH.targetObjectsOf)
# Places where a shape is used by reference rather than through its own targets.
_SHAPE_REFERENCES = (_SH.node, _SH.qualifiedValueShape, _SH["not"], _SH["and"], _SH["or"],
                     _SH.xone)


@cache
def validation_shapes() -> rdflib.Graph:
    """The shapes as pySHACL should run them: targeted property shapes instead of nested ones.

    Equivalent to :func:`shapes_graph` (same results, same source shapes): each property shape of
    a node shape that has targets, and is not referenced from another shape, takes over the node
    shape's targets and is detached from it.  pySHACL validates a nested property shape once per
    focus node, rebuilding its constraint components each time (85,000 calls for a
    2,000-submodel model, 14 s); a targeted property shape is validated once for all its focus
    nodes.
    """
    authored = shapes_graph()
    graph = rdflib.Graph()
    graph += authored
    referenced = {o for p in _SHAPE_REFERENCES for o in authored.objects(None, p)}
    for node_shape in set(authored.subjects(_SH.property, None)):
        targets = [(p, o) for p in _TARGETS for o in authored.objects(node_shape, p)]
        if not targets or node_shape in referenced:
            continue
        for prop in list(authored.objects(node_shape, _SH.property)):
            if prop in referenced:
                continue
            graph.remove((node_shape, _SH.property, prop))
            for p, o in targets:
                graph.add((prop, p, o))
    return graph


@cache
def defined_terms() -> frozenset[str]:
    """Every IRI in the ``sb:`` namespace that the ontology defines."""
    graph = ontology_graph()
    return frozenset(
        str(s)
        for s in graph.subjects()
        if isinstance(s, rdflib.URIRef) and str(s).startswith(SB_NAMESPACE)
    )


@cache
def superclass_closure() -> dict[rdflib.URIRef, frozenset[rdflib.URIRef]]:
    """Every class of the ontology mapped to itself and all its superclasses."""
    graph = ontology_graph()
    direct: dict[rdflib.URIRef, set[rdflib.URIRef]] = {}
    for sub, sup in graph.subject_objects(rdflib.RDFS.subClassOf):
        if isinstance(sub, rdflib.URIRef) and isinstance(sup, rdflib.URIRef):
            direct.setdefault(sub, set()).add(sup)
    classes = {
        c for c in graph.subjects(rdflib.RDF.type, rdflib.OWL.Class) if isinstance(c, rdflib.URIRef)
    }
    closure: dict[rdflib.URIRef, frozenset[rdflib.URIRef]] = {}
    for cls in classes | set(direct):
        found, stack = {cls}, [cls]
        while stack:
            for sup in direct.get(stack.pop(), ()):
                if sup not in found:
                    found.add(sup)
                    stack.append(sup)
        closure[cls] = frozenset(found)
    return closure


@cache
def shape_context() -> rdflib.Graph:
    """What SHACL needs of the ontology inside a data graph, and nothing more.

    ``sh:targetClass`` and ``sh:class`` follow rdfs:subClassOf, and look up the types of the
    ontology's own individuals (sb:Energy, sb:Left), in the *data* graph.  The loader adds these
    few statements to every model graph rather than copying the model into a graph with the
    whole ontology.
    """
    graph = rdflib.Graph()
    ontology = ontology_graph()
    for s, p, o in ontology.triples((None, rdflib.RDFS.subClassOf, None)):
        if isinstance(s, rdflib.URIRef) and isinstance(o, rdflib.URIRef):
            graph.add((s, p, o))
    for individual in ontology.subjects(rdflib.RDF.type, rdflib.OWL.NamedIndividual):
        for cls in ontology.objects(individual, rdflib.RDF.type):
            if str(cls).startswith(SB_NAMESPACE):
                graph.add((individual, rdflib.RDF.type, cls))
    return graph
