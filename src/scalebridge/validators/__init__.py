"""The validator's checks, each a pure function yielding diagnostics.

``GRAPH_CHECKS`` read the RDF graph of the model; ``MODEL_CHECKS`` read the typed model.  The
OWL consistency check (:mod:`scalebridge.validators.consistency`) is run separately by the
pipeline because it can be switched off (it needs Java).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import rdflib

from scalebridge.diagnostics import Diagnostic
from scalebridge.model.types import Model
from scalebridge.validators.conservation import check_conservation
from scalebridge.validators.shapes import check_shapes
from scalebridge.validators.structure import check_structure
from scalebridge.validators.timescales import check_timescales
from scalebridge.validators.units import check_units

__all__ = ["GRAPH_CHECKS", "MODEL_CHECKS"]

GRAPH_CHECKS: tuple[Callable[[rdflib.Graph], Iterable[Diagnostic]], ...] = (check_shapes,)
MODEL_CHECKS: tuple[Callable[[Model], Iterable[Diagnostic]], ...] = (
    check_structure,
    check_units,
    check_conservation,
    check_timescales,
)
