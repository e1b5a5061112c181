"""The one exception the numerical library raises when a computation cannot be trusted.

:class:`NumericalFailure` carries *where* the failure happened (submodel, field, simulated time)
as attributes, so that a driver can report it, and renders them as a readable prefix.  It is a
:class:`scalebridge.errors.SolverError`, so callers that catch scalebridge's own errors see it.

Example
-------
>>> error = NumericalFailure("the solution is not finite", submodel="rod", field="T", time=12.5)
>>> str(error)
"submodel 'rod', field 'T', t = 12.5 s: the solution is not finite"
>>> error.time
12.5
"""

from __future__ import annotations

from typing import Any

from scalebridge.errors import SolverError

__all__ = ["NumericalFailure"]


# The name is fixed by the generated code's API, hence no Error suffix.
class NumericalFailure(SolverError):  # noqa: N818
    """A numerical failure: a non-finite state, a violated stability limit, no convergence.

    Parameters
    ----------
    message:
        What went wrong, in words.
    submodel, field:
        Names of the submodel and field concerned, when known.
    time:
        Simulated time of the failure in seconds, when known.

    Example
    -------
    >>> str(NumericalFailure("no root found", field="x"))
    "field 'x': no root found"
    """

    def __init__(
        self,
        message: str,
        *,
        submodel: str | None = None,
        field: str | None = None,
        time: float | None = None,
    ) -> None:
        self.message = message
        self.submodel = submodel
        self.field = field
        self.time = time
        super().__init__(self._render())

    def _render(self) -> str:
        parts: list[str] = []
        if self.submodel is not None:
            parts.append(f"submodel {self.submodel!r}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        if self.time is not None:
            parts.append(f"t = {self.time:.12g} s")
        if not parts:
            return self.message
        return f"{', '.join(parts)}: {self.message}"

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments are not in ``args``; without this, unpickling (for example
        # across a process pool) would lose the context or fail.
        return (_rebuild, (self.message, self.submodel, self.field, self.time))


def _rebuild(
    message: str, submodel: str | None, field: str | None, time: float | None
) -> NumericalFailure:
    return NumericalFailure(message, submodel=submodel, field=field, time=time)
