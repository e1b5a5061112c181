"""Coupling drivers: submodels run as MMSF components, exchanging values through bridges.

Each submodel is a :class:`Component` shaped as the submodel execution loop of the Multiscale
Modelling and Simulation Framework (MMSF): ``initial`` (f_init), ``observe`` (O_i and O_f:
the values other submodels may receive), ``advance`` (S: one step with the inputs it has
received).  Bridges are :class:`Exchange` messages: a target parameter receives a weighted
sum of observed source values.  Because every message is explicit, a composed model maps onto
MUSCLE3 one component per submodel, each exchange a conduit.

:func:`drive` runs the components on a common macro time grid:

* lockstep components (concurrent couplings and one-way nesting) advance one macro step at a
  time; before each step every exchange is evaluated from the current observations (a
  concurrent coupling exchanges both ways, a nesting only from the driving model to the driven
  one, as its bridges say);
* called components (the fine side of a hierarchical coupling, whose whole run fits inside one
  macro step) are run from their initial state to their own duration whenever their results
  are needed, with the inputs they have then, and release their final observation (MMSF's
  call/release template);
* steady components (a field in a steady balance, in a coupling that runs in time) do not
  advance in time: at every macro time, once the others have advanced and the exchanges have
  been evaluated, they are solved again with the inputs of that time (quasi-steady);
* tabulated components (the fine side of a hierarchical coupling whose answers pass through a
  :class:`Tabulation`) are run first, once per argument value, before anything else: their
  answers become a :class:`Table` in ``p`` that the coarse model interpolates wherever it
  needs the value, at its own local argument (a temperature per cell, say).  A static fine
  model (relations alone, a constitutive law) has no component: its answer is its derived
  quantity recomputed with each argument.

Values are SI throughout.  A component's state is whatever its ``advance`` understands (a
vector, a grid).  An exchange passes a number, or a profile: the cell values of a column (a
1-D field) interpolated to the positions where the target needs them (the faces of the side of
a 2-D field that the column forces, say).  Quantities that vary in time by themselves (a
parameter tabulated against the model's clock) are set in ``p`` at each exchange time by the
``clock`` function given to :func:`drive`, so exchanges read them at that time.

Example
-------
>>> decay = Component("decay", initial=lambda p: 1.0,
...                   advance=lambda p, y, t0, t1: y * math.exp(-p["k"] * (t1 - t0)),
...                   observe=lambda p, y: {"y": y}, duration=1.0)
>>> times, states = drive([decay], [], {"k": 1.0}, horizon=1.0, macro_step=0.5)["decay"]
>>> [round(s, 6) for s in states]
[1.0, 0.606531, 0.367879]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from scalebridge.solvers.errors import NumericalFailure

__all__ = ["Component", "Exchange", "Table", "Tabulation", "drive", "tabulate"]

State = Any
Parameters = MutableMapping[str, Any]  # SI floats, and the tables built by tabulations


@dataclass(frozen=True)
class Component:
    """One submodel as an MMSF component.

    ``initial(p)`` gives the state at its start; ``advance(p, state, t0, t1)`` the state at
    ``t1``; ``observe(p, state)`` the scalar values (SI) other components may receive.
    ``duration`` (s) is how long one call runs, for a called component.
    """

    name: str
    initial: Callable[[Parameters], State]
    advance: Callable[[Parameters, State, float, float], State]
    observe: Callable[[Parameters, State], Mapping[str, Any]]
    duration: float
    called: bool = False
    steps: int = field(default=1)  # macro steps a called run is divided into (its outputs)
    steady: bool = False  # solved at each macro time with that time's inputs (quasi-steady)
    # what the submodel reports beside its state at each output time (flux variables, fields
    # derived from its fields), computed with the inputs of that time and recorded with it
    report: Callable[[Parameters, State], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class Exchange:
    """A bridge as a message: ``p[target] = sum(w * value of source)``.

    Each source is ``(component, quantity)``; an empty component name reads the parameter
    ``quantity`` from ``p`` instead.  ``weights`` default to equal weights summing to one.

    With ``positions`` = ``(at, to)`` the exchange passes a profile: each source is an array
    of values at the positions ``at`` (m, increasing: a column's cell centres), and the target
    receives their weighted sum interpolated linearly to the positions ``to`` (m: the faces of
    the side it forces), constant beyond the ends.

    Example
    -------
    >>> column = Exchange("inflow", (("meso", "U/cells"),), "u_in",
    ...                   positions=((5.0, 15.0), (0.0, 10.0, 20.0)))
    >>> column.value({"meso": {"U/cells": np.array([1.0, 3.0])}}, {}).tolist()
    [1.0, 2.0, 3.0]
    """

    name: str
    sources: tuple[tuple[str, str], ...]
    target: str
    weights: tuple[float, ...] | None = None
    positions: tuple[ArrayLike, ArrayLike] | None = None

    def value(self, observed: Mapping[str, Mapping[str, Any]], p: Mapping[str, Any]) -> Any:
        weights = self.weights or tuple(1.0 / len(self.sources) for _ in self.sources)
        total: Any = 0.0
        for (component, quantity), weight in zip(self.sources, weights, strict=True):
            value = p[quantity] if not component else observed[component][quantity]
            total = total + weight * np.asarray(value, dtype=np.float64)
        if self.positions is not None:
            at, to = self.positions
            return np.interp(np.asarray(to, dtype=np.float64), np.asarray(at, dtype=np.float64),
                             np.broadcast_to(total, np.shape(at)))
        return float(total)


@dataclass(frozen=True)
class Table:
    """A function of one argument known at points: linear between them, constant beyond.

    Arguments and values are SI.  A table with no points (not built yet) gives NaN, like an
    input no exchange has set.

    Example
    -------
    >>> Table((300.0, 900.0), (170.0, 110.0))(np.array([300.0, 600.0, 1200.0])).tolist()
    [170.0, 140.0, 110.0]
    """

    arguments: tuple[float, ...] = ()
    values: tuple[float, ...] = ()

    def __call__(self, x: ArrayLike) -> Any:
        if not self.arguments:
            return np.full(np.shape(x), np.nan) if np.ndim(x) else math.nan
        found = np.interp(np.asarray(x, dtype=np.float64), self.arguments, self.values)
        return found if np.ndim(found) else float(found)

    def slope(self, x: ArrayLike) -> Any:
        """d(value)/d(argument) at ``x``: the slope of the segment it falls in (0 beyond)."""
        if len(self.arguments) < 2:
            return np.zeros(np.shape(x)) if np.ndim(x) else 0.0
        xs, ys = np.asarray(self.arguments), np.asarray(self.values)
        slopes = np.concatenate([[0.0], np.diff(ys) / np.diff(xs), [0.0]])
        found = slopes[np.searchsorted(xs, x, side="right")]
        return found if np.ndim(found) else float(found)


@dataclass(frozen=True)
class Tabulation:
    """A bridge through a table that the fine ``component`` fills (hierarchical coupling).

    For each argument (SI) the component runs its whole duration with ``p[input]`` set to
    it (``refresh`` then recomputes what depends on its inputs); its answer is its observed
    ``output`` (a field's mean at the end) or, when it observes no such quantity, ``p[output]``.
    A ``component`` of None is a static fine model (relations alone, named ``static`` in
    messages): nothing runs, and the answer is ``p[output]`` as ``refresh`` recomputed it.
    The table lands in ``p[name]``.
    """

    name: str
    component: Component | None
    input: str
    arguments: tuple[float, ...]
    output: str
    static: str = ""


def tabulate(tabulation: Tabulation, p: Mapping[str, Any],
             refresh: Callable[[Parameters], None] | None = None) -> Table:
    """Run the fine component once per argument; the table of its answers.

    Example
    -------
    >>> fine = Component("fine", initial=lambda p: 0.0, advance=lambda p, y, t0, t1: y,
    ...                  observe=lambda p, y: {"y": 2.0 * p["x"]}, duration=1.0)
    >>> tabulate(Tabulation("t", fine, "x", (1.0, 2.0), "y"), {"x": 0.0}).values
    (2.0, 4.0)
    >>> def law(q): q["y"] = 3.0 * q["x"]       # a static fine model: its relations alone
    >>> tabulate(Tabulation("t", None, "x", (1.0, 2.0), "y"), {"x": 0.0}, law).values
    (3.0, 6.0)
    """
    values = []
    name = tabulation.component.name if tabulation.component is not None else tabulation.static
    for argument in tabulation.arguments:
        q: dict[str, Any] = dict(p)
        q[tabulation.input] = argument
        if refresh is not None:
            refresh(q)
        observed = ({} if tabulation.component is None
                    else _call(tabulation.component, q))
        value = float(observed[tabulation.output] if tabulation.output in observed
                      else q[tabulation.output])
        if not math.isfinite(value):
            raise NumericalFailure(
                f"building the table '{tabulation.name}': the fine model gave a value that "
                f"is not finite at {tabulation.input} = {argument:g} (SI)",
                submodel=name or None, field=tabulation.output)
        values.append(value)
    return Table(tuple(float(a) for a in tabulation.arguments), tuple(values))


def _call(component: Component, p: Parameters) -> Mapping[str, float]:
    """Run a called component over its own duration; its final observation."""
    state = component.initial(p)
    edges = [component.duration * k / component.steps for k in range(component.steps + 1)]
    for t0, t1 in itertools.pairwise(edges):
        state = component.advance(p, state, t0, t1)
    return component.observe(p, state)


def _observe(
    components: Sequence[Component], states: Mapping[str, State], p: Parameters
) -> dict[str, Mapping[str, Any]]:
    """What each component shows now (a called component is run to get it)."""
    return {
        c.name: _call(c, p) if c.called else c.observe(p, states[c.name])
        for c in components
        if c.called or c.name in states
    }


def _exchange(
    exchanges: Sequence[Exchange], observed: Mapping[str, Mapping[str, Any]], p: Parameters,
    time: float,
) -> None:
    """Evaluate every exchange whose sources can be observed now."""
    for exchange in exchanges:
        if any(c and c not in observed for c, _q in exchange.sources):
            continue
        value = exchange.value(observed, p)
        if not np.all(np.isfinite(value)):
            raise NumericalFailure(f"the bridge '{exchange.name}' passed a value that is not "
                                   "finite", field=exchange.target, time=time)
        p[exchange.target] = value


def drive(
    components: Sequence[Component],
    exchanges: Sequence[Exchange],
    p: Parameters,
    *,
    horizon: float,
    macro_step: float,
    progress: Callable[[float], None] | None = None,
    tabulations: Sequence[Tabulation] = (),
    refresh: Callable[[Parameters], None] | None = None,
    clock: Callable[[Parameters, float], None] | None = None,
) -> dict[str, tuple[list[float], list[State]]]:
    """Run ``components`` to ``horizon`` (s), exchanging every ``macro_step`` (s).

    A horizon of zero is a static run: the lockstep components (steady ones) are solved once
    and observed at t = 0, the called ones called once.

    Returns, for each lockstep component, the macro times and its state at each; for each
    called component, the same times and the final observation of the call made there.  ``p``
    is updated in place with the values the exchanges set.  Exchanges are evaluated in the
    order given, so an exchange may read a parameter an earlier one set.  ``progress``, when
    given, is called with the fraction of the horizon done after every macro step.
    ``tabulations`` are built first, into ``p``; ``refresh(p)``, when given, recomputes the
    values that depend on inputs (derived quantities) after every exchange; ``clock(p, t)``,
    when given, sets in ``p`` the quantities that vary in time by themselves, at the time t of
    each exchange.  Steady components (``steady``) are solved at t = 0 and again at every
    macro time once the others have advanced to it, with that time's inputs; they do not set
    the macro step.
    """
    if macro_step <= 0 or horizon < 0:
        raise ValueError("the macro step must be positive and the horizon not negative")
    count = max(1, math.ceil(horizon / macro_step - 1e-9))
    times = [horizon * k / count for k in range(count + 1)] if horizon > 0 else [0.0]
    lockstep = [c for c in components if not c.called]
    steady = [c for c in lockstep if c.steady]
    states: dict[str, State] = {}
    # what is observed: what the exchanges read, and the called components (their record)
    read = {name for e in exchanges for name, _q in e.sources if name}
    watched = [c for c in components if c.called or c.name in read]

    def exchange_at(t: float) -> dict[str, Mapping[str, Any]]:
        """Evaluate the exchanges at time t; what the components showed."""
        if clock is not None:
            clock(p, t)
        observed = _observe(watched, states, p)
        _exchange(exchanges, observed, p, t)
        if refresh is not None:
            refresh(p)
        return observed

    for tabulation in tabulations:  # the fine models' answers, before the coarse model starts
        p[tabulation.name] = tabulate(tabulation, p, refresh)
    if refresh is not None:
        refresh(p)
    # Inputs first: a component's initial state may depend on what it receives.
    if clock is not None:
        clock(p, 0.0)
    _exchange(exchanges, _observe(watched, states, p), p, 0.0)
    if refresh is not None:
        refresh(p)
    for component in lockstep:
        states[component.name] = component.initial(p)
        if horizon == 0:  # a static run: every lockstep component is steady, solved once
            states[component.name] = component.advance(p, states[component.name], 0.0, 0.0)
    if steady and horizon > 0:  # quasi-steady ones: solved with the inputs at t = 0
        exchange_at(0.0)
        for component in steady:
            states[component.name] = component.advance(p, states[component.name], 0.0, 0.0)
    results: dict[str, tuple[list[float], list[State]]] = {
        c.name: ([], []) for c in components
    }
    for index, t0 in enumerate(times):
        observed = exchange_at(t0)
        for component in components:
            record = results[component.name]
            record[0].append(t0)
            if component.called:
                record[1].append(observed[component.name])
            elif component.report is not None:
                state = states[component.name]
                record[1].append({**state, **component.report(p, state)})
            else:
                record[1].append(states[component.name])
        if index + 1 == len(times):
            break
        t1 = times[index + 1]
        for component in lockstep:
            if not component.steady:
                states[component.name] = component.advance(p, states[component.name], t0, t1)
        if steady:  # quasi-steady: solved with the inputs at t1
            exchange_at(t1)
        for component in steady:
            states[component.name] = component.advance(p, states[component.name], t1, t1)
        if progress is not None:
            progress(t1 / horizon)
    return results
