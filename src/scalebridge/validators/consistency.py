"""OWL consistency: the model plus the ontology, checked by HermiT (the reasoner owlready2 ships).

No user file ever reaches a reasoner: owlready2 cannot read Turtle (it silently loads an empty
ontology), it fetches ``owl:imports`` over HTTP even with ``only_local=True``, and an
annotation can make it import a Python module by name; HermiT's own OWL API would fetch imports
too.  The reasoner therefore gets a sanitised N-Triples export built here from a whitelist: the
ontology's logical axioms, and from the model only type assertions to scalebridge classes and
property assertions for scalebridge object and datatype properties, with blank nodes turned into
IRIs.  Nothing else (no imports, no annotations, no foreign vocabulary) reaches it.

HermiT is run with its consistency check alone (``--consistency``), on the Java runtime, with
the HermiT jar that owlready2 installs.  owlready2's ``sync_reasoner_hermit`` would also classify
every class and property and realise every individual: on a 1,000-submodel model that took 66 s
where the consistency check takes 5 s, and it answers nothing the validator asks.

HermiT reports only *that* the ontology is inconsistent; to name the individuals involved the
check also looks, in Python, for individuals whose asserted or implied types (through property
domains and ranges and superclasses) include two disjoint classes.

Example
-------
>>> g = rdflib.Graph().parse(format="turtle", data='''
... @prefix sb: <https://w3id.org/scalebridge/ontology#> .
... <urn:x:c> a sb:Hierarchical, sb:Concurrent .''')
>>> [d.code.value for d in check_consistency(g)]
['OWL_INCONSISTENT']
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import cast

import rdflib
from rdflib.term import BNode, Literal, Node, URIRef

from scalebridge.diagnostics import Code, Diagnostic
from scalebridge.ontology.resources import (
    SB_NAMESPACE,
    defined_terms,
    ontology_graph,
    superclass_closure,
)

__all__ = [
    "ConsistencyCheck",
    "check_consistency",
    "hermit_classpath",
    "sanitised_export",
    "summarise",
    "type_conflicts",
    "whitelisted_assertions",
]

_SKOLEM = "urn:scalebridge:bnode:"
_EXPORT_IRI = "urn:scalebridge:reasoner-input"
_XSD_OK = {
    rdflib.XSD.string,
    rdflib.XSD.double,
    rdflib.XSD.decimal,
    rdflib.XSD.integer,
    rdflib.XSD.boolean,
    rdflib.XSD.float,
    rdflib.XSD.dateTime,
}
_OWL = rdflib.OWL
_RDF_TYPE = rdflib.RDF.type


@cache
def _vocabulary() -> tuple[frozenset[URIRef], frozenset[URIRef], frozenset[URIRef]]:
    onto = ontology_graph()

    def declared(kind: URIRef) -> frozenset[URIRef]:
        return frozenset(s for s in onto.subjects(_RDF_TYPE, kind) if isinstance(s, URIRef))

    return declared(_OWL.Class), declared(_OWL.ObjectProperty), declared(_OWL.DatatypeProperty)


def _skolem(node: Node) -> Node:
    return URIRef(_SKOLEM + str(node)) if isinstance(node, BNode) else node


Assertion = tuple[Node, URIRef, Node]


def whitelisted_assertions(model: rdflib.Graph) -> list[Assertion]:
    """The model's statements a reasoner may see: sb: types, sb: object and datatype properties.

    Blank nodes become IRIs (owlready2 and the OWL API read a typed blank node as a class
    expression); literals keep only the standard XSD datatypes, well-typed.
    """
    classes, object_props, data_props = _vocabulary()
    sb_classes = {c for c in classes if str(c).startswith(SB_NAMESPACE)}
    found: list[Assertion] = []
    append = found.append
    for s, p, o in model:
        if p == _RDF_TYPE:
            if o in sb_classes:
                append((_skolem(s), _RDF_TYPE, o))
        elif p in object_props:
            if not isinstance(o, Literal):
                append((_skolem(s), cast(URIRef, p), _skolem(o)))
        elif p in data_props and isinstance(o, Literal) and o.language is None:
            literal = o if o.datatype is not None else Literal(str(o), datatype=rdflib.XSD.string)
            if literal.datatype in _XSD_OK and literal.ill_typed is not True:
                append((_skolem(s), cast(URIRef, p), literal))
    return found


@cache
def _ranged_data_properties() -> frozenset[URIRef]:
    _classes, _objects, data = _vocabulary()
    onto = ontology_graph()
    return frozenset(p for p in data if onto.value(p, rdflib.RDFS.range) is not None)


def summarise(assertions: list[Assertion]) -> list[Assertion]:
    """An equi-consistent ABox with one representative per kind of individual.

    The ontology is in a fragment where an individual's implied types follow from its own
    assertions alone: subclass and disjointness axioms, domains and ranges, nominals among the
    ontology's own individuals, datatype ranges; no existential or cardinality restrictions,
    no inverse, functional or chained properties, no property hierarchy (a test keeps it so).
    Under such axioms the model is consistent exactly when every individual is, and an
    individual's consistency depends only on its *signature*: its asserted types, the object
    properties it has and receives, and its data properties (with the literal's datatype where
    the property has a datatype range: the whitelist passes only well-typed literals of the
    standard datatypes, and the ontology's ranges are plain datatypes, so whether a literal
    fits a range depends on its datatype alone).  Individuals of one signature are checked
    once, through a representative whose edges lead to (and come from) fresh individuals of
    their own, so that the reasoner's work no longer grows with the size of the model.  The
    ontology's own individuals (sb:Left, sb:Energy) keep their identity and their real edges.
    """
    known = {URIRef(term) for term in defined_terms()}
    ranged = _ranged_data_properties()
    types: dict[Node, set[Node]] = defaultdict(set)
    # (property, target): target is kept for the ontology's own individuals, else None.
    out_edges: dict[Node, set[tuple[URIRef, Node | None]]] = defaultdict(set)
    in_edges: dict[Node, set[URIRef]] = defaultdict(set)
    # (property, datatype): the datatype is kept where the property has a datatype range.
    data: dict[Node, set[tuple[URIRef, URIRef | None]]] = defaultdict(set)
    samples: dict[tuple[Node, URIRef, URIRef | None], Literal] = {}
    nodes: set[Node] = set()
    summary: list[Assertion] = []
    for s, p, o in assertions:
        if s in known:
            summary.append((s, p, o))  # a statement about the ontology's own individual
            continue
        nodes.add(s)
        if p == _RDF_TYPE:
            types[s].add(o)
        elif isinstance(o, Literal):
            datatype = o.datatype if p in ranged else None
            data[s].add((p, datatype))
            samples.setdefault((s, p, datatype), o)
        elif o in known:
            out_edges[s].add((p, o))
        else:
            out_edges[s].add((p, None))
            nodes.add(o)
            in_edges[o].add(p)
    kinds: dict[tuple[frozenset[object], ...], Node] = {}
    for node in sorted(nodes, key=str):
        signature = (frozenset(types[node]), frozenset(out_edges[node]),
                     frozenset(in_edges[node]), frozenset(data[node]))
        kinds.setdefault(signature, node)
    fresh = iter(URIRef(f"urn:scalebridge:other:{k}") for k in itertools.count())
    for index, member in enumerate(kinds.values()):
        rep = URIRef(f"urn:scalebridge:kind:{index}")
        summary.append((rep, _RDF_TYPE, _OWL.NamedIndividual))
        summary += [(rep, _RDF_TYPE, kind) for kind in sorted(types[member], key=str)]
        for prop, known_target in sorted(out_edges[member], key=str):
            target: Node = known_target if known_target is not None else next(fresh)
            if known_target is None:
                summary.append((target, _RDF_TYPE, _OWL.NamedIndividual))
            summary.append((rep, prop, target))
        for prop in sorted(in_edges[member], key=str):
            source = next(fresh)
            summary += [(source, _RDF_TYPE, _OWL.NamedIndividual), (source, prop, rep)]
        for prop, datatype in sorted(data[member], key=str):
            summary.append((rep, prop, samples[(member, prop, datatype)]))
    return summary


def sanitised_export(model: rdflib.Graph, *, summarised: bool = True) -> bytes:
    """N-Triples for the reasoner: the ontology's axioms and the (summarised) model assertions.

    ``summarised=False`` keeps every whitelisted assertion as it is, which is what the tests
    compare the summary against.
    """
    lines = [f"<{_EXPORT_IRI}> <{_RDF_TYPE}> <{_OWL.Ontology}> ."]
    annotations = set(ontology_graph().subjects(_RDF_TYPE, _OWL.AnnotationProperty))
    annotations |= {rdflib.RDFS.label, rdflib.RDFS.comment}
    for s, p, o in ontology_graph():
        if p == _OWL.imports or p in annotations or (p == _RDF_TYPE and o == _OWL.Ontology):
            continue  # labels, definitions and examples say nothing a reasoner needs
        lines.append(f"{s.n3()} {p.n3()} {o.n3()} .")
    assertions = whitelisted_assertions(model)
    for s, p, o in summarise(assertions) if summarised else assertions:
        lines.append(f"{s.n3()} {p.n3()} {o.n3()} .")
    return ("\n".join(lines) + "\n").encode("utf-8")


def hermit_classpath() -> str:
    """The Java class path of the HermiT reasoner bundled with owlready2."""
    hermit = resources.files("owlready2").joinpath("hermit")
    return os.pathsep.join([str(hermit), str(hermit.joinpath("HermiT.jar"))])


def check_consistency(
    model: rdflib.Graph,
    *,
    java: str = "java",
    timeout: float = 600.0,
    memory: str = "1g",
    summarised: bool = True,
) -> list[Diagnostic]:
    """HermiT's verdict on the model plus the ontology, as diagnostics (none when consistent).

    ``java`` names the Java runtime; ``memory`` is its maximum heap (``-Xmx``); ``summarised``
    says whether HermiT sees the summary of the model's assertions (see :func:`summarise`).
    """
    with ConsistencyCheck(
        model, java=java, timeout=timeout, memory=memory, summarised=summarised
    ) as check:
        return check.result()


class ConsistencyCheck:
    """A HermiT run in the background: start it, do other work, then ask for its verdict.

    The Java process runs on another core while Python goes on with the other checks; on a
    small model its start-up (about 0.7 s) is most of the OWL check.  Use it as a context
    manager so that the process is stopped and its files removed whatever happens::

        with ConsistencyCheck(graph) as owl:
            ...  # other checks
            findings = owl.result()
    """

    def __init__(
        self,
        model: rdflib.Graph,
        *,
        java: str = "java",
        timeout: float = 600.0,
        memory: str = "1g",
        summarised: bool = True,
    ) -> None:
        self._model = model
        self._timeout = timeout
        self._started = time.monotonic()
        self._process: subprocess.Popen[str] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._verdict: list[Diagnostic] | None = None
        java_path = shutil.which(java)
        if java_path is None:
            self._verdict = [
                Diagnostic.make(
                    Code.OWL_REASONER_UNAVAILABLE,
                    "the OWL consistency check was skipped: no Java runtime was found",
                )
            ]
            return
        self._tmp = tempfile.TemporaryDirectory(prefix="scalebridge-owl-")
        path = Path(self._tmp.name) / "model.nt"
        path.write_bytes(sanitised_export(model, summarised=summarised))
        command = [java_path, f"-Xmx{memory}", "-cp", hermit_classpath(),
                   "org.semanticweb.HermiT.cli.CommandLine", "--consistency", path.as_uri()]
        try:
            self._process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        except OSError as err:
            self._verdict = [_unavailable(f"Java could not be started: {err}")]
            self.close()

    def __enter__(self) -> ConsistencyCheck:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop HermiT if it is still running and remove its input file."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.communicate()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def result(self) -> list[Diagnostic]:
        """Wait for HermiT (within the timeout, counted from the start) and return its verdict."""
        if self._verdict is not None:
            return self._verdict
        assert self._process is not None
        left = max(0.1, self._timeout - (time.monotonic() - self._started))
        try:
            stdout, stderr = self._process.communicate(timeout=left)
        except subprocess.TimeoutExpired:
            self._verdict = [_unavailable(f"HermiT did not finish within {self._timeout:.0f} s")]
            self.close()
            return self._verdict
        self.close()
        self._verdict = self._judge(self._process.returncode, stdout, stderr)
        return self._verdict

    def _judge(self, returncode: int, stdout: str, stderr: str) -> list[Diagnostic]:
        if "InconsistentOntologyException" in stderr or "is not satisfiable" in stdout:
            return _explain(self._model)
        if returncode == 0 and "is satisfiable" in stdout:
            return []
        lines = [line for line in stderr.splitlines() if line.strip()]
        return [_unavailable(lines[0][:200] if lines else f"exit status {returncode}")]


def _unavailable(reason: str) -> Diagnostic:
    return Diagnostic.make(
        Code.OWL_REASONER_UNAVAILABLE, f"the OWL consistency check could not run: {reason}"
    )


def _explain(model: rdflib.Graph) -> list[Diagnostic]:
    conflicts = type_conflicts(model)
    if not conflicts:
        return [
            Diagnostic.make(
                Code.OWL_INCONSISTENT,
                "the model contradicts the scalebridge ontology (HermiT found it "
                "inconsistent) but no single node could be singled out",
            )
        ]
    out = []
    for node, first, second in conflicts:
        out.append(
            Diagnostic.make(
                Code.OWL_INCONSISTENT,
                f"{_show(node)} would be both {_curie(first)} and {_curie(second)}, which the "
                "ontology "
                "declares disjoint",
                subject=f"_:{node}" if isinstance(node, BNode) else str(node),
                path=str(_RDF_TYPE),
            )
        )
    return out


def type_conflicts(model: rdflib.Graph) -> list[tuple[Node, URIRef, URIRef]]:
    """Nodes whose asserted and implied types include two disjoint classes."""
    onto = ontology_graph()
    supers = superclass_closure()
    disjoint = _disjoint_pairs(onto)
    domains: dict[Node, set[URIRef]] = defaultdict(set)
    ranges: dict[Node, set[URIRef]] = defaultdict(set)
    for prop, cls in onto.subject_objects(rdflib.RDFS.domain):
        if isinstance(cls, URIRef):
            domains[prop].add(cls)
    for prop, cls in onto.subject_objects(rdflib.RDFS.range):
        if isinstance(cls, URIRef) and str(cls).startswith(SB_NAMESPACE):
            ranges[prop].add(cls)
    implied: dict[Node, set[URIRef]] = defaultdict(set)
    for s, p, o in model:
        if p == _RDF_TYPE and isinstance(o, URIRef):
            implied[s].add(o)
        if p in domains:
            implied[s] |= domains[p]
        if p in ranges and not isinstance(o, Literal):
            implied[o] |= ranges[p]
    found = []
    for node in sorted(implied, key=str):
        closure = set().union(*(supers.get(c, {c}) for c in implied[node]))
        for a, b in itertools.combinations(sorted(closure, key=str), 2):
            if frozenset((a, b)) in disjoint:
                found.append((node, a, b))
                break
    return found


def _disjoint_pairs(onto: rdflib.Graph) -> set[frozenset[URIRef]]:
    pairs: set[frozenset[URIRef]] = set()
    for a, b in onto.subject_objects(_OWL.disjointWith):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            pairs.add(frozenset((a, b)))
    for group in onto.subjects(_RDF_TYPE, _OWL.AllDisjointClasses):
        members = _list(onto, onto.value(group, _OWL.members))
        for a, b in itertools.combinations(members, 2):
            pairs.add(frozenset((a, b)))
    return pairs


def _list(graph: rdflib.Graph, head: Node | None) -> list[URIRef]:
    out: list[URIRef] = []
    while head is not None and head != rdflib.RDF.nil and len(out) < 1000:
        first = graph.value(head, rdflib.RDF.first)
        if isinstance(first, URIRef):
            out.append(first)
        head = graph.value(head, rdflib.RDF.rest)
    return out


def _curie(iri: Iterable[str] | URIRef) -> str:
    text = str(iri)
    return "sb:" + text[len(SB_NAMESPACE) :] if text.startswith(SB_NAMESPACE) else f"<{text}>"


def _show(node: Node) -> str:
    return "a blank node" if isinstance(node, BNode) else f"<{node}>"
