"""A read-only dictionary index over a graph's triples, for the model builder's lookups.

The builder asks the graph about a hundred small questions per submodel ("the sb:unit of this
field", "is there an sb:rateOf"); rdflib's in-memory store answers each through a generator
that checks contexts, about 4 microseconds a question, which made lookups a third of building a
10,000-submodel model.  Building this index costs one pass over the graph; each lookup is then a
dictionary access.  It answers only the patterns the builder uses, with rdflib's meaning.

Example
-------
>>> g = rdflib.Graph().parse(format="turtle", data='''
... <urn:x:a> <urn:x:p> <urn:x:b>, <urn:x:c> .''')
>>> index = TripleIndex(g)
>>> sorted(index.objects(rdflib.URIRef("urn:x:a"), rdflib.URIRef("urn:x:p")))
[rdflib.term.URIRef('urn:x:b'), rdflib.term.URIRef('urn:x:c')]
>>> (rdflib.URIRef("urn:x:a"), None, None) in index
True
"""

from __future__ import annotations

from collections.abc import Iterator

import rdflib
from rdflib.term import BNode, Node

__all__ = ["TripleIndex"]

Pattern = tuple[Node | None, Node | None, Node | None]
_EMPTY: tuple[Node, ...] = ()


class TripleIndex:
    """The triples of ``graph``, indexed by subject, by predicate and by object.

    The graph must not change while the index is in use (the builder only reads it).
    """

    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = graph
        by_subject: dict[Node, dict[Node, list[Node]]] = {}
        by_predicate: dict[Node, dict[Node, list[Node]]] = {}
        by_object: dict[Node, list[Node]] = {}  # blank nodes only: see subjects()
        for s, p, o in graph:
            by_subject.setdefault(s, {}).setdefault(p, []).append(o)
            by_predicate.setdefault(p, {}).setdefault(o, []).append(s)
            if isinstance(o, BNode):
                by_object.setdefault(o, []).append(s)
        self._spo = by_subject
        self._pos = by_predicate
        self._os = by_object

    def __iter__(self) -> Iterator[tuple[Node, Node, Node]]:
        for s, by_predicate in self._spo.items():
            for p, objects in by_predicate.items():
                for o in objects:
                    yield s, p, o

    def __len__(self) -> int:
        return len(self.graph)

    def objects(self, subject: Node | None, predicate: Node) -> Iterator[Node]:
        """The objects of ``(subject, predicate, ?)``; every object of the predicate if
        ``subject`` is None (each once)."""
        if subject is None:
            return iter(self._pos.get(predicate, {}))
        return iter(self._spo.get(subject, {}).get(predicate, _EMPTY))

    def subjects(self, predicate: Node | None, obj: Node) -> Iterator[Node]:
        """The subjects of ``(?, predicate, obj)``; of ``(?, any, obj)`` if ``predicate`` is None
        (a subject that points at ``obj`` twice comes once; ``obj`` must then be a blank node,
        which is all the builder asks: who holds this blank node)."""
        if predicate is None:
            if not isinstance(obj, BNode):
                return iter(dict.fromkeys(self.graph.subjects(None, obj)))
            return iter(dict.fromkeys(self._os.get(obj, _EMPTY)))
        return iter(self._pos.get(predicate, {}).get(obj, _EMPTY))

    def value(self, subject: Node, predicate: Node) -> Node | None:
        """One object of ``(subject, predicate, ?)``, or None."""
        found = self._spo.get(subject, {}).get(predicate)
        return found[0] if found else None

    def __contains__(self, pattern: Pattern) -> bool:
        s, p, o = pattern
        if s is None or o is not None:
            return pattern in self.graph
        predicates = self._spo.get(s)
        if predicates is None:
            return False
        return p is None or p in predicates
