"""Exceptions for problems in the *tool*, never for problems in a user's model.

A fault in a model file (bad syntax, a wrong unit, a missing reference) is data: it becomes a
:class:`scalebridge.diagnostics.Diagnostic` in a report.  The exceptions here signal that
scalebridge itself cannot go on: a stage was called on input it refuses (a model with errors
handed to the composer), or the environment is broken.

Example
-------
>>> from scalebridge.errors import LoadError, ScalebridgeError
>>> issubclass(LoadError, ScalebridgeError)
True
"""

from __future__ import annotations


class ScalebridgeError(Exception):
    """Base class of every exception that scalebridge raises on purpose."""


class LoadError(ScalebridgeError):
    """The loader was asked for something it cannot do (not a fault in the model's content)."""


class CompositionError(ScalebridgeError):
    """The composer was given a model it refuses, such as one whose report has errors."""


class CodegenError(ScalebridgeError):
    """The code generator met a construct it cannot print."""


class SolverError(ScalebridgeError):
    """A numerical failure: NaN, a violated stability limit, a solver that did not converge.

    The message names the submodel, the field and the simulated time.
    """
