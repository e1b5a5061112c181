"""Summaries of a run's scalar states: each one's largest value, when it occurs, its integral.

For every state a run holds as one value per output time (a compartment's field), ``scalebridge
run`` writes into ``results.json``, under ``submodels.<submodel>.summary.<state>``:

``max``
    the largest value, in the state's declared unit (Cmax of a concentration);
``time_of_max``
    when it occurs, in seconds (tmax);
``integral``
    the integral of the state over the run, in the declared unit times seconds (the area under
    a concentration's curve, AUC; ``integral_unit`` names it);
``method``
    ``"exact"`` or ``"sampled"``.

**Exact** applies to a submodel whose compartments are linear with constant coefficients (the
ones the exact propagator runs, ``dy/dt = A y + b``) and take nothing from a coupling: its
states at the output times are exact, and so is what follows from them.  Over each output
interval of length h the integral is read off one matrix exponential (Van Loan 1978, IEEE
Trans. Autom. Control 23:395): with the augmented state ``w = [y; 1; z]``,
``dw/dt = M w``, ``M = [[A, b, 0], [0, 0, 0], [I, 0, 0]]``, the block of ``exp(M h)`` that maps
``[y_k; 1; 0]`` to ``z`` gives ``integral_{t_k}^{t_k+h} y dt`` for every state at once.  The
largest value is located between output times: the two intervals beside the largest output
value are searched on a finer grid (``SUBSTEPS`` points each, exact states), and the maximum
found there is refined to round-off where the exact derivative ``(A y + b)_i`` changes sign
(Brent's method).

**Sampled** applies to everything else (states a stiff integrator or a coupling with inputs
produced): the trapezoidal rule over the output times, and the largest output value; their
error is that of the output grid.

Example
-------
>>> import numpy
>>> times = numpy.linspace(0.0, 2.0, 3)
>>> found = sampled_summary(times, numpy.array([0.0, 2.0, 1.0]))
>>> (found.maximum, found.time_of_max, found.integral)
(2.0, 1.0, 2.5)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy
import scipy.linalg
import scipy.optimize
import sympy
from numpy.typing import NDArray

from scalebridge.composer.ir import Method, ProgramIR, SubmodelIR

__all__ = ["SUBSTEPS", "Summary", "exact_summaries", "sampled_summary", "state_summaries"]

FloatArray = NDArray[numpy.float64]

#: Points per output interval at which the exact states are evaluated, beside the largest
#: output value, before the maximum is refined: enough that a peak narrower than an output
#: interval is found on the side it lies.
SUBSTEPS = 16


@dataclass(frozen=True, slots=True)
class Summary:
    """One state's largest value and its time (s), and its integral over the run; SI."""

    maximum: float
    time_of_max: float
    integral: float
    method: str  # "exact" or "sampled"


def sampled_summary(times: FloatArray, values: FloatArray) -> Summary:
    """The largest output value, its time (s), and the trapezoidal integral (SI)."""
    index = int(numpy.argmax(values))
    integral = float(numpy.trapezoid(values, times)) if len(times) > 1 else 0.0
    return Summary(float(values[index]), float(times[index]), integral, "sampled")


def _interval_integrals(a: FloatArray, b: FloatArray, times: FloatArray, states: FloatArray
                        ) -> FloatArray:
    """integral over [t_k, t_k+1] of y, for every k (rows) and state (columns), SI."""
    n = a.shape[0]
    steps = numpy.diff(times)
    found = numpy.empty((len(steps), n))
    generator = numpy.zeros((2 * n + 1, 2 * n + 1))
    generator[:n, :n] = a
    generator[:n, n] = b
    generator[n + 1:, :n] = numpy.eye(n)
    # An output grid is evenly spaced up to rounding: one exponential per distinct step.
    keys = numpy.round(steps / max(float(numpy.max(steps)), 1e-300), 12)
    for key in numpy.unique(keys):
        rows = numpy.flatnonzero(keys == key)
        step = float(numpy.mean(steps[rows]))
        flow = scipy.linalg.expm(generator * step)
        found[rows] = states[rows] @ flow[n + 1:, :n].T + flow[n + 1:, n]
    return found


class _Flow:
    """The exact solution of ``dy/dt = a y + b`` from the output states: at any offset after an
    output time, and on the finer grid of an output interval (shared by every state)."""

    def __init__(self, a: FloatArray, b: FloatArray, times: FloatArray, states: FloatArray
                 ) -> None:
        n = a.shape[0]
        self.a, self.b, self.times, self.states, self.n = a, b, times, states, n
        self.generator = numpy.zeros((n + 1, n + 1))
        self.generator[:n, :n] = a
        self.generator[:n, n] = b
        self._grids: dict[int, FloatArray] = {}
        self._steps: dict[float, FloatArray] = {}

    def at(self, start: int, offset: float) -> FloatArray:
        """The state ``offset`` seconds after output ``start``."""
        flow = scipy.linalg.expm(self.generator * offset)
        value: FloatArray = flow[:self.n, :self.n] @ self.states[start] + flow[:self.n, self.n]
        return value

    def grid(self, start: int) -> FloatArray:
        """The states at SUBSTEPS + 1 evenly spaced offsets of interval ``start`` (rows)."""
        if start not in self._grids:
            width = float(self.times[start + 1] - self.times[start])
            step = self._steps.get(width)
            if step is None:
                step = self._steps[width] = scipy.linalg.expm(self.generator
                                                              * (width / SUBSTEPS))
            rows = numpy.empty((SUBSTEPS + 1, self.n + 1))
            rows[0, :self.n], rows[0, self.n] = self.states[start], 1.0
            for k in range(SUBSTEPS):
                rows[k + 1] = step @ rows[k]
            self._grids[start] = rows[:, :self.n]
        return self._grids[start]

    def slope(self, start: int, offset: float, column: int) -> float:
        return float((self.a @ self.at(start, offset) + self.b)[column])


def _refined_maximum(flow: _Flow, column: int) -> tuple[float, float]:
    """The largest value of state ``column`` of the exact solution, and its time (s)."""
    times, states = flow.times, flow.states
    best = int(numpy.argmax(states[:, column]))
    value, when = float(states[best, column]), float(times[best])
    if numpy.ptp(states[:, column]) == 0.0:
        return value, when  # constant (an empty compartment): nothing between the outputs
    for start in (best - 1, best):  # the output intervals beside the largest output value
        if start < 0 or start + 1 >= len(times):
            continue
        width = float(times[start + 1] - times[start])
        offsets = numpy.linspace(0.0, width, SUBSTEPS + 1)
        values = flow.grid(start)[:, column]
        peak = int(numpy.argmax(values))
        candidate, at = float(values[peak]), float(times[start] + offsets[peak])
        for left in (peak - 1, peak):  # refine where the derivative changes sign
            if left < 0 or left + 1 > SUBSTEPS:
                continue
            low, high = float(offsets[left]), float(offsets[left + 1])
            if flow.slope(start, low, column) > 0.0 > flow.slope(start, high, column):
                root = float(scipy.optimize.brentq(
                    lambda o, s=start: flow.slope(s, o, column), low, high,
                    xtol=1e-12 * max(width, 1e-300), rtol=4 * numpy.finfo(float).eps))
                refined = float(flow.at(start, root)[column])
                if refined >= candidate:
                    candidate, at = refined, float(times[start] + root)
                break
        if candidate > value:
            value, when = candidate, at
    return value, when


def exact_summaries(a: FloatArray, b: FloatArray, times: FloatArray, states: FloatArray
                    ) -> list[Summary]:
    """The summary of every state of ``dy/dt = a y + b`` whose exact values at ``times`` (s)
    are the rows of ``states`` (SI), in column order."""
    a = numpy.asarray(a, dtype=numpy.float64)
    b = numpy.asarray(b, dtype=numpy.float64)
    integrals = (_interval_integrals(a, b, times, states).sum(axis=0) if len(times) > 1
                 else numpy.zeros(a.shape[0]))
    flow = _Flow(a, b, times, states)
    found = []
    for column in range(a.shape[0]):
        maximum, when = _refined_maximum(flow, column)
        found.append(Summary(maximum, when, float(integrals[column]), "exact"))
    return found


def _takes_inputs(program: ProgramIR, submodel: SubmodelIR) -> bool:
    """True when the submodel's linear system reads a value a coupling sets (an input), also
    through a derived quantity."""
    system = submodel.compartments
    assert system is not None
    inputs = {i.name for i in program.inputs}
    definitions = {d.name: d.expr if d.expr is not None else d.residual
                   for d in program.derived}
    seen: set[str] = set()
    entries: list[sympy.Expr] = [*(x for row in system.matrix for x in row), *system.offset]
    todo = [s.name for e in entries for s in getattr(e, "free_symbols", set())]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in inputs:
            return True
        expr = definitions.get(name)
        if expr is not None:
            todo += [s.name for s in expr.free_symbols]
    return False


def _exact_applies(program: ProgramIR, submodel: SubmodelIR) -> bool:
    system = submodel.compartments
    return (system is not None and system.linear and bool(system.states)
            and submodel.schedule.method is Method.PROPAGATOR
            and not _takes_inputs(program, submodel))


def state_summaries(
    module: ModuleType, program: ProgramIR, p: Mapping[str, Any],
    results: Mapping[str, tuple[FloatArray, Mapping[str, FloatArray]]],
) -> dict[str, dict[str, Summary]]:
    """Per submodel that ran, the summary of each state with one value per output time (SI).

    ``module`` is the generated solver (its ``matrix_<i>`` gives A and b of an exact
    submodel), ``p`` the SI values the run used."""
    out: dict[str, dict[str, Summary]] = {}
    for index, submodel in enumerate(program.submodels):
        if submodel.name not in results:
            continue
        times, states = results[submodel.name]
        times = numpy.asarray(times, dtype=numpy.float64)
        found: dict[str, Summary] = {}
        system = submodel.compartments
        if _exact_applies(program, submodel) and system is not None:
            a, b = getattr(module, f"matrix_{index}")(p)
            matrix = numpy.column_stack([numpy.asarray(states[n], dtype=numpy.float64)
                                         for n in system.states])
            found.update(zip(system.states, exact_summaries(a, b, times, matrix), strict=True))
        for name, values in states.items():
            array = numpy.asarray(values, dtype=numpy.float64)
            if name in found or array.ndim != 1 or array.shape[0] != times.shape[0]:
                continue
            if len(times) and numpy.all(numpy.isfinite(array)):
                found[name] = sampled_summary(times, array)
        out[submodel.name] = found
    return out


def declared(summary: Summary, unit: str, scale: float, offset: float, duration: float
             ) -> dict[str, Any]:
    """A summary as results.json records it: in the declared unit (``declared = (si -
    offset) / scale``; the integral of the declared value over ``duration`` seconds)."""
    integral = (summary.integral - offset * duration) / scale
    return {
        "max": (summary.maximum - offset) / scale,
        "time_of_max": summary.time_of_max,
        "time_unit": "s",
        "integral": integral if math.isfinite(integral) else None,
        "integral_unit": f"({unit})*s",
        "method": summary.method,
    }
