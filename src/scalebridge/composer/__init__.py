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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy
import rdflib
from rdflib.compare import to_canonical_graph

from scalebridge.composer.generate import generate_module
from scalebridge.composer.ir import ProgramIR
from scalebridge.composer.lower import CompositionError, lower
from scalebridge.diagnostics import Code, Diagnostic, Report, Severity
from scalebridge.model.timescales import ProcessKind, analyse_timescales
from scalebridge.model.types import IRI, Model
from scalebridge.ontology.resources import shape_context
from scalebridge.ontology.vocab import SB
from scalebridge.pipeline import Validation, validate_files

__all__ = [
    "GHOST_FORCE_LIMIT", "Composition", "CompositionError", "compose_files", "patch_test",
    "source_digest",
]

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
    # The handshake patch test (patch_test) ran in the validation, which it passed.
    return Composition(validation, validation.report, program, generate_module(program))


#: Largest ghost force, relative to the bond force, that a handshake may leave (round-off).
GHOST_FORCE_LIMIT = 1e-10


def patch_test(program: ProgramIR, strain: float = 1e-3,
               overrides: Mapping[str, float] | None = None) -> list[Diagnostic]:
    """The handshake patch test: under a homogeneous ``strain`` every interior particle and
    node of a consistent handshake is in equilibrium; ghost forces above
    :data:`GHOST_FORCE_LIMIT` of the bond force are an error at the handshake bridge.
    ``overrides`` are parameter values in declared units (``run --set``)."""
    if program.coupling is None or program.coupling.handshake is None:
        return []
    from scalebridge.composer.interpret import handshake_system, parameter_values

    joint = program.coupling.handshake
    try:
        system = handshake_system(program, parameter_values(program, overrides))
        ghosts = numpy.abs(system.ghost_forces(strain))
    except ValueError as problem:  # the solver's checks of the geometry, masses and weights
        return [Diagnostic.make(
            Code.STRUCTURE_HANDSHAKE, f"handshake '{joint.name}' cannot be built: {problem}",
            subject=joint.iri, path=str(SB.blendingStart))]
    worst = float(ghosts.max(initial=0.0))
    if worst <= GHOST_FORCE_LIMIT:
        return []
    return [Diagnostic.make(
        Code.CONSERVATION_GHOST_FORCES,
        f"handshake '{joint.name}' fails the patch test: under a homogeneous strain of "
        f"{strain:g} the largest ghost force is {worst:.3g} of the bond force (at most "
        f"{GHOST_FORCE_LIMIT:g} allowed)",
        subject=joint.iri, path=str(SB.weights), expected=f"<= {GHOST_FORCE_LIMIT:g}",
        actual=f"{worst:.3g}")]


def _locate(validation: Validation, diagnostic: Diagnostic) -> Diagnostic:
    source_file, line = validation.loaded.sourcemap.locate(diagnostic.subject, diagnostic.path)
    if diagnostic.severity is Severity.ERROR and source_file is None and validation.loaded.files:
        source_file = validation.loaded.files[0].display
    return diagnostic.located(source_file, line)
