"""Structure: run scalebridge's SHACL shapes with pySHACL and turn each result into a diagnostic.

The data graph is the model with the ontology's class hierarchy (so ``sh:targetClass sb:Term``
also reaches an ``sb:Diffusion``), validated without inference; graphs from the loader already
carry the hierarchy and are validated in place, without a copy.  A result's code comes from the
``sbsh:code`` of the shape that produced it, or else from its constraint component.  A reference
to a node that nothing describes becomes ``REF_DANGLING``; a result caused by a misspelt sb:
class (already reported as ``REF_UNKNOWN_TERM``) is dropped so that one typo gives one finding.

Example
-------
>>> g = rdflib.Graph().parse(format="turtle", data='''
... @prefix sb: <https://w3id.org/scalebridge/ontology#> .
... <urn:x:T> a sb:Field ; sb:unit "K" .''')
>>> sorted({d.code.value for d in check_shapes(g)})
['SHAPE_MISSING_VALUE']
"""

from __future__ import annotations

from collections.abc import Iterable

import pyshacl
import rdflib
from rdflib.term import Literal, Node, URIRef

from scalebridge.diagnostics import Code, Diagnostic, Severity
from scalebridge.ontology.resources import (
    SB_NAMESPACE,
    SHAPES_NAMESPACE,
    defined_terms,
    shape_context,
    shapes_graph,
    validation_shapes,
)

__all__ = ["check_shapes"]

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
SBSH = rdflib.Namespace(SHAPES_NAMESPACE)

_BY_COMPONENT: dict[str, Code] = {
    "MinCountConstraintComponent": Code.SHAPE_MISSING_VALUE,
    "MaxCountConstraintComponent": Code.SHAPE_TOO_MANY_VALUES,
    "ClassConstraintComponent": Code.SHAPE_WRONG_TYPE,
    "NodeKindConstraintComponent": Code.SHAPE_WRONG_TYPE,
    "InConstraintComponent": Code.SHAPE_WRONG_TYPE,
    "DatatypeConstraintComponent": Code.SHAPE_WRONG_DATATYPE,
    "MinInclusiveConstraintComponent": Code.SHAPE_VALUE_OUT_OF_RANGE,
    "MinExclusiveConstraintComponent": Code.SHAPE_VALUE_OUT_OF_RANGE,
    "MaxInclusiveConstraintComponent": Code.SHAPE_VALUE_OUT_OF_RANGE,
    "MaxExclusiveConstraintComponent": Code.SHAPE_VALUE_OUT_OF_RANGE,
}
_REFERENCE_COMPONENTS = {
    "ClassConstraintComponent",
    "NodeConstraintComponent",
    "OrConstraintComponent",
}
_SEVERITY = {SH.Violation: Severity.ERROR, SH.Warning: Severity.WARNING, SH.Info: Severity.INFO}


def check_shapes(graph: rdflib.Graph) -> list[Diagnostic]:
    """Validate ``graph`` (a model's own triples) against the shapes; one diagnostic per result."""
    context = shape_context()
    if all(triple in graph for triple in context):
        data = graph  # as the loader makes it: no copy needed
    else:
        data = rdflib.Graph()
        data += graph
        data += context
    shapes = shapes_graph()
    _conforms, results, _text = pyshacl.validate(
        data,
        shacl_graph=validation_shapes(),
        inference="none",
        advanced=False,
        allow_warnings=True,
        abort_on_first=False,
        meta_shacl=False,
    )
    assert isinstance(results, rdflib.Graph)
    found: list[Diagnostic] = []
    seen: set[tuple[Code, str, str | None]] = set()
    for result in _top_level_results(results):
        diagnostic = _diagnostic(graph, results, shapes, result)
        if diagnostic is None:
            continue
        key = (diagnostic.code, diagnostic.subject or "", diagnostic.path)
        if key not in seen:
            seen.add(key)
            found.append(diagnostic)
    return found


def _top_level_results(results: rdflib.Graph) -> Iterable[Node]:
    for report in results.subjects(rdflib.RDF.type, SH.ValidationReport):
        yield from sorted(results.objects(report, SH.result), key=str)


def _diagnostic(
    model: rdflib.Graph, results: rdflib.Graph, shapes: rdflib.Graph, result: Node
) -> Diagnostic | None:
    focus = results.value(result, SH.focusNode)
    path = results.value(result, SH.resultPath)
    value = results.value(result, SH.value)
    source = results.value(result, SH.sourceShape)
    component = str(results.value(result, SH.sourceConstraintComponent) or "").rsplit("#", 1)[-1]
    severity_node = results.value(result, SH.resultSeverity)
    severity = (
        _SEVERITY.get(severity_node, Severity.ERROR)
        if isinstance(severity_node, URIRef)
        else Severity.ERROR
    )
    message = str(results.value(result, SH.resultMessage) or "structural constraint violated")
    if value is not None and _misspelt_type(model, value):
        return None
    code = _code(shapes, source, component)
    if (
        component in _REFERENCE_COMPONENTS
        and isinstance(value, URIRef)
        and not _described(model, value)
    ):
        code = Code.REF_DANGLING
        message = f"{_curie(value)} is not described anywhere in the model or its imports"
        severity = Severity.ERROR
    elif value is not None and component not in ("MinCountConstraintComponent",):
        message = f"{message} (found: {_curie(value)})"
    subject = _key(focus) if focus is not None else None
    return Diagnostic.make(
        code,
        message,
        subject=subject,
        path=str(path) if isinstance(path, URIRef) else None,
        severity=severity,
        actual=_curie(value) if value is not None else None,
    )


def _code(shapes: rdflib.Graph, source: Node | None, component: str) -> Code:
    if source is not None:
        declared = shapes.value(source, SBSH.code)
        if isinstance(declared, Literal) and str(declared) in Code.__members__:
            return Code[str(declared)]
    if component == "NodeConstraintComponent" and source is not None:
        target = shapes.value(source, SH.node)
        if target == SBSH.Number:
            return Code.SHAPE_WRONG_DATATYPE
        return Code.SHAPE_WRONG_TYPE
    if component == "PatternConstraintComponent":
        return Code.SHAPE_VIOLATION
    return _BY_COMPONENT.get(component, Code.SHAPE_VIOLATION)


def _described(model: rdflib.Graph, node: URIRef) -> bool:
    return (node, None, None) in model or str(node) in defined_terms()


def _misspelt_type(model: rdflib.Graph, node: Node) -> bool:
    known = defined_terms()
    return any(
        str(t).startswith(SB_NAMESPACE) and str(t) not in known
        for t in model.objects(node, rdflib.RDF.type)
    )


def _key(node: Node) -> str:
    return f"_:{node}" if isinstance(node, rdflib.BNode) else str(node)


def _curie(node: Node) -> str:
    text = str(node)
    if isinstance(node, Literal):
        return f'"{text}"'
    if text.startswith(SB_NAMESPACE):
        return "sb:" + text[len(SB_NAMESPACE) :]
    if isinstance(node, rdflib.BNode):
        return "a blank node"
    return f"<{text}>"
