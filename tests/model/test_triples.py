"""TripleIndex answers the builder's patterns exactly as rdflib does."""

from __future__ import annotations

from pathlib import Path

import rdflib

from scalebridge.model.triples import TripleIndex

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_every_pattern_agrees_with_rdflib_on_the_examples() -> None:
    for path in sorted(EXAMPLES.glob("*/model.ttl")):
        graph = rdflib.Graph().parse(path)
        index = TripleIndex(graph)
        assert sorted(index) == sorted(graph) and len(index) == len(graph)
        subjects = set(graph.subjects())
        predicates = set(graph.predicates())
        objects = set(graph.objects())
        for s in subjects:
            assert (s, None, None) in index
            for p in predicates:
                assert sorted(index.objects(s, p)) == sorted(graph.objects(s, p))
                assert ((s, p, None) in index) == ((s, p, None) in graph)
                assert index.value(s, p) in ({None} | set(graph.objects(s, p)))
        for p in predicates:
            assert sorted(index.objects(None, p)) == sorted(set(graph.objects(None, p)))
            for o in objects:
                assert sorted(index.subjects(p, o)) == sorted(graph.subjects(p, o))
        for o in objects:
            assert sorted(index.subjects(None, o)) == sorted(set(graph.subjects(None, o)))
        assert (rdflib.URIRef("urn:nothing"), None, None) not in index
