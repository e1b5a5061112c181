"""The composer: a validated model becomes a standalone Python solver module.

``compose_files(paths)`` validates the model (the composer refuses a model with errors), lowers
it to the IR (:mod:`scalebridge.composer.lower`), and prints the IR as a module
(:mod:`scalebridge.composer.generate`).  :mod:`scalebridge.composer.interpret` runs the IR
directly and is the oracle the generated code is tested against.

Example
-------
>>> from pathlib import Path
>>> root = Path(__file__).resolve().parents[3]
>>> composition = compose_files([root / "examples" / "two_compartment" / "model.ttl"],
...                             reasoner=False)
>>> composition.ok, "def run(overrides=None):" in composition.source
(True, True)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import rdflib
from rdflib.compare import to_canonical_graph

from scalebridge.composer.generate import generate_module
from scalebridge.composer.ir import ProgramIR
from scalebridge.composer.lower import CompositionError, lower
from scalebridge.diagnostics import Diagnostic, Report, Severity
from scalebridge.model.timescales import ProcessKind, analyse_timescales
from scalebridge.model.types import IRI, Model
from scalebridge.ontology.resources import shape_context
from scalebridge.pipeline import Validation, validate_files

__all__ = ["Composition", "CompositionError", "compose_files", "source_digest"]

# Cell-scale processes bound an explicit step, not the accuracy of an implicit one.
_CELL_SCALES = {ProcessKind.DIFFUSION_CELL, ProcessKind.ADVECTION_CELL}


@dataclass(frozen=True, slots=True)
class Composition:
    """What composing produced: the validation, and the IR and module text when it could."""

    validation: Validation
    report: Report
    program: ProgramIR | None = None
    source: str | None = None

    @property
    def ok(self) -> bool:
        """True when a solver module was produced."""
        return self.source is not None


def source_digest(graph: rdflib.Graph) -> str:
    """SHA-256 of the model's own triples, canonical (blank-node labels do not matter)."""
    own = rdflib.Graph()
    context = shape_context()
    for triple in graph:
        if triple not in context:
            own.add(triple)
    lines = sorted(to_canonical_graph(own).serialize(format="nt").splitlines())
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _model_iri(model: Model, graph: rdflib.Graph, root: Path) -> IRI:
    if model.iri:
        return model.iri
    ontologies = sorted(str(s) for s in graph.subjects(rdflib.RDF.type, rdflib.OWL.Ontology)
                        if isinstance(s, rdflib.URIRef))
    return ontologies[0] if ontologies else root.resolve().as_uri()


def _fastest(model: Model) -> dict[IRI, float]:
    found: dict[IRI, float] = {}
    for iri, scales in analyse_timescales(model).submodels.items():
        times = [p.seconds for p in scales.processes if p.kind not in _CELL_SCALES]
        if times:
            found[iri] = min(times)
    return found


def compose_files(
    paths: Sequence[str | Path], *, reasoner: bool = True, strict: bool = False
) -> Composition:
    """Validate ``paths`` as one model and, when it has no errors, compose its solver."""
    validation = validate_files(paths, reasoner=reasoner, strict=strict)
    model = validation.model
    if not validation.ok(strict=strict) or model is None:
        return Composition(validation, validation.report)
    graph = validation.loaded.graph
    try:
        program = lower(model, source_digest(graph), _fastest(model))
    except CompositionError as error:
        located = [_locate(validation, d) for d in error.diagnostics]
        return Composition(validation, Report((*validation.report, *located)).sorted())
    program = replace(program, model_iri=_model_iri(model, graph, Path(paths[0])),
                      label=program.label or model.label)
    return Composition(validation, validation.report, program, generate_module(program))


def _locate(validation: Validation, diagnostic: Diagnostic) -> Diagnostic:
    source_file, line = validation.loaded.sourcemap.locate(diagnostic.subject, diagnostic.path)
    if diagnostic.severity is Severity.ERROR and source_file is None and validation.loaded.files:
        source_file = validation.loaded.files[0].display
    return diagnostic.located(source_file, line)
