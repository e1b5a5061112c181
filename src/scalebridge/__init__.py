"""scalebridge: multiscale physics models as RDF/OWL graphs, validated before anything runs.

The public API is deliberately short:

* :func:`validate_files` runs the whole validator on model files and returns a
  :class:`Validation` (the loaded graph, the typed model and the report);
* :func:`load_model` and :func:`build_model` are its first two stages;
* :class:`Diagnostic`, :class:`Report`, :class:`Code` and :class:`Severity` describe findings.

Example
-------
>>> import scalebridge
>>> scalebridge.Severity.ERROR.value
'error'
"""

from __future__ import annotations

__version__ = "0.1.0"

from scalebridge.diagnostics import Code, Diagnostic, Report, Severity
from scalebridge.model.build import build_model
from scalebridge.ontology.load import load_model
from scalebridge.pipeline import Validation, validate_files

__all__ = [
    "Code",
    "Diagnostic",
    "Report",
    "Severity",
    "Validation",
    "__version__",
    "build_model",
    "load_model",
    "validate_files",
]
