"""The pipeline as its own outline: load, check structure, build the typed model, check it.

:func:`validate_files` keeps every intermediate product (:class:`Validation`) for inspection.
Checks come in two kinds: graph checks (SHACL shapes, OWL consistency) read the RDF graph; model
checks read the typed model.  All report through the one Diagnostic type; at the end every
diagnostic is given the file and line of its subject.

Example
-------
>>> import pathlib, tempfile
>>> model = pathlib.Path(tempfile.mkdtemp()) / "m.ttl"
>>> _ = model.write_text('''@prefix sb: <https://w3id.org/scalebridge/ontology#> .
... <urn:x:box> a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "L" ] .
... <urn:x:m> a sb:Submodel ; sb:onDomain <urn:x:box> ; sb:hasEquation <urn:x:e> .
... <urn:x:e> a sb:Equation ; sb:rateOf <urn:x:C> .
... <urn:x:C> a sb:Field ; sb:on <urn:x:box> ; sb:unit "mg/L" ; sb:initialValue 1.0 .''')
>>> v = validate_files([model], reasoner=False)
>>> v.ok(), v.report.codes
(True, [])
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import rdflib

from scalebridge.diagnostics import Code, Diagnostic, Report, Severity
from scalebridge.model.build import build_model, named_ancestor
from scalebridge.model.types import BridgeKind, Model
from scalebridge.ontology.load import DEFAULT_MAX_BYTES, LoadedModel, load_model
from scalebridge.validators import GRAPH_CHECKS, MODEL_CHECKS
from scalebridge.validators.consistency import ConsistencyCheck
from scalebridge.validators.handshake import check_handshakes

__all__ = ["Validation", "validate_files"]

# Faults after which nothing further can be checked in a root file.
_FATAL = {
    Code.LOAD_FILE_UNREADABLE,
    Code.LOAD_FILE_TOO_LARGE,
    Code.LOAD_NOT_TEXT,
    Code.LOAD_UNSUPPORTED_FORMAT,
    Code.LOAD_SYNTAX_ERROR,
    Code.LOAD_NESTING_TOO_DEEP,
    Code.LOAD_REMOTE_CONTEXT_REFUSED,
}


@dataclass(frozen=True, slots=True)
class Validation:
    """Everything validation produced: the loaded files, the typed model, the report."""

    loaded: LoadedModel
    model: Model | None
    report: Report

    def ok(self, *, strict: bool = False) -> bool:
        """True when the model may go on to the composer."""
        return self.model is not None and not self.report.has_errors(strict=strict)


def validate_files(
    paths: Sequence[str | Path],
    *,
    strict: bool = False,
    reasoner: bool = True,
    catalogue: Mapping[str, str | Path] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    java: str = "java",
    timings: dict[str, float] | None = None,
) -> Validation:
    """Load ``paths`` as one model and run every check on it.

    Under ``strict``, warnings are raised to errors.  ``reasoner=False`` skips the OWL
    consistency check (HermiT needs Java and about a second); ``java`` names the Java runtime.
    ``timings``, when given, receives the seconds each stage took (``parse``, ``shacl``,
    ``build``, one entry per model check, ``owl``, ``locate``).
    """
    clock = _Stopwatch(timings)
    with _collector_spares_the_model() as spare, ExitStack() as running:
        with clock("parse"):
            loaded = load_model(paths, catalogue=catalogue, max_bytes=max_bytes)
        spare()
        diagnostics = list(loaded.report)
        model: Model | None = None
        root_failed = any(d.code in _FATAL for d in loaded.report) and not loaded.files
        if not root_failed and len(loaded.graph) > 0:
            # HermiT runs on another core while the other checks go on.
            with clock("owl"):
                owl = (
                    running.enter_context(ConsistencyCheck(loaded.graph, java=java))
                    if reasoner
                    else None
                )
            for graph_check in GRAPH_CHECKS:
                with clock(_stage_name(graph_check)):
                    diagnostics.extend(graph_check(loaded.graph))
            with clock("build"):
                model, built = build_model(loaded.graph)
            spare()
            diagnostics.extend(built)
            # A node the structural stage already found in error is not reported again by the
            # checks that follow: one root cause, one finding (the second surfaces once it is
            # fixed).
            flagged = {
                d.subject for d in diagnostics if d.severity is Severity.ERROR and d.subject
            }
            for model_check in MODEL_CHECKS:
                with clock(_stage_name(model_check)):
                    diagnostics.extend(d for d in model_check(model) if d.subject not in flagged)
            # The patch test needs numbers, so it runs on a model that is otherwise sound; a
            # handshake's own weights not summing to one is the fault it then quantifies.
            blends = {b.iri for b in model.bridges.values() if b.kind is BridgeKind.HANDSHAKE}
            if not any(d.severity is Severity.ERROR and not (
                    d.code is Code.CONSERVATION_WEIGHTS and d.subject in blends)
                       for d in diagnostics):
                with clock("handshakes"):
                    diagnostics.extend(check_handshakes(model))
            if owl is not None:
                with clock("owl"):
                    diagnostics.extend(owl.result())
        elif not root_failed:
            diagnostics.append(
                Diagnostic.make(
                    Code.LOAD_NOTHING_TO_VALIDATE,
                    "the file holds no triples",
                    source_file=loaded.files[0].display if loaded.files else None,
                )
            )
        with clock("locate"):
            located = [_locate(loaded, d) for d in diagnostics]
    if strict:
        located = [
            replace(d, severity=Severity.ERROR) if d.severity is Severity.WARNING else d
            for d in located
        ]
    return Validation(loaded, model, Report(tuple(located)).sorted())


def _stage_name(check: Callable[..., object]) -> str:
    name = check.__name__.removeprefix("check_")
    return {"shapes": "shacl", "consistency": "owl"}.get(name, name)


class _Stopwatch:
    """Adds the seconds spent in each ``with clock(name):`` block to ``timings[name]``."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            if self.timings is not None:
                elapsed = time.perf_counter() - start
                self.timings[name] = self.timings.get(name, 0.0) + elapsed


@contextmanager
def _collector_spares_the_model() -> Iterator[Callable[[], None]]:
    """Keep Python's cyclic garbage collector off the model's long-lived objects.

    A model of 10,000 submodels is millions of objects that live as long as the validation
    (rdflib terms and triples, the typed model, SymPy trees).  Every full collection walks all
    of them, and allocation keeps triggering collections, so validation grew quadratically (the
    timescale check took 7 s at 10,000 submodels where 2,000 took 0.5 s).  The collector is off
    while the files are parsed (parsing makes no cyclic garbage worth collecting), and what
    exists after parsing and after building is frozen (:func:`gc.freeze`): collections skip it.
    Everything is unfrozen at the end, so that it is collected as usual once it is garbage.
    """
    was_enabled = gc.isenabled()

    def spare() -> None:
        """Freeze everything that exists now; the collector (if it was on) resumes."""
        gc.freeze()
        if was_enabled:
            gc.enable()

    gc.disable()
    try:
        yield spare
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def _locate(loaded: LoadedModel, diagnostic: Diagnostic) -> Diagnostic:
    subject = diagnostic.subject
    if subject is not None and subject.startswith("_:") and not diagnostic.related:
        # A blank node has no name to show; name the node it belongs to instead.
        owner = named_ancestor(loaded.graph, rdflib.BNode(subject[2:]))
        if owner is not None:
            diagnostic = replace(diagnostic, related=(str(owner),))
    if diagnostic.source_file is not None and diagnostic.line is not None:
        return diagnostic
    source_file, line = loaded.sourcemap.locate(subject, diagnostic.path)
    if source_file is None and loaded.files and subject is None:
        source_file = loaded.files[0].display
    return diagnostic.located(source_file, line)
