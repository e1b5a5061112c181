"""Time and length scales of submodels, and where each coupling's pair lies on the scale
separation map (SSM).

This module is shared by the timescale check (:mod:`scalebridge.validators.timescales`), the
plot of the map (:mod:`scalebridge.plots`) and, later, the composer, which picks time steps
and the coupling schedule from it.  Everything is a pure function of the typed model, in SI
units: seconds on the time axis, metres on the length axis.

Estimates
---------
Every submodel is given a list of :class:`Process` estimates, each a named process with its
time in seconds and the IRI of the node it came from:

* **Compartment systems** (the transient balances of fields on compartments, with the
  algebraic relations that define the variables they use): the eigenvalues ``lambda`` of the
  Jacobian of the right-hand side ``sum(terms) / capacity``, taken symbolically with SymPy and
  evaluated at the initial state (parameters at their SI values, a random parameter at its
  mean, median or midpoint, fields at their initial values, ``t = 0``).  Exchanges carried by
  carrier flows (flow rate x the value leaving the source: the source port's potential or the
  source field) and standalone transfers are part of the right-hand side.  Steady balances of
  compartments are eliminated (Schur complement).  The fastest mode takes
  ``1/max|Re(lambda)|`` seconds, the slowest ``1/min|Re(lambda)|`` over the non-zero real
  parts (a zero eigenvalue is a conserved total, not a time scale).  Each mode names the
  balance whose field dominates its eigenvector.
* **Diffusion** on intervals and rectangles, ``D = coefficient / capacity`` in m^2/s (the
  coefficient and the capacity are evaluated at the initial state at the corners and the
  centre of the domain): across the domain ``L^2/D`` (``L`` the longest side, ``D`` the
  smallest value) and across one cell ``dx^2/D`` (``dx`` the smallest cell side, ``D`` the
  largest value).
* **Advection** on intervals and rectangles, velocity ``u`` in m/s: ``L/|u|`` across the
  domain and ``dx/|u|`` across one cell, per direction.
* **Reactions** (reaction, source, sink and transfer formulas) on intervals and rectangles:
  ``1/|k|`` with ``k = d(term / capacity)/d(field)`` at the initial state, which is the rate
  constant of a first-order reaction ``-k*u``.
* **Carrier flows**: the residence time ``V/Q`` of each compartment a flow leaves or enters
  (``V`` its volume in m^3, ``Q`` the flow in m^3/s).

Ranges
------
A submodel's *time range* on the map is its declared ``sb:timeScale`` (grain to extent) when
that is given and valid; else the estimated one: from the fastest process to the submodel's
``sb:duration`` (or the model's), or to the slowest process when no duration is given.  Its
*length range* is the declared ``sb:lengthScale``; else the smallest cell side to the longest
domain side (intervals, rectangles, lattices), or, for a model of compartments alone, the
smallest to the largest cube root of a compartment's volume (a lumped model resolves nothing
finer than its compartments).  A declared range is invalid when its grain or extent is not a
constant of the right dimension, the grain is not positive, or it is not below the extent; an
invalid declared range is not used for the verdict of a coupling.

Classification
--------------
Along each axis the two ranges of a coupling's pair are compared.  The *fast* (small) range is
the one with the smaller extent, the other is the *slow* (large) one, and the separation ratio
is ``slow grain / fast extent``:

============  =================================================================================
separated     ratio >= margin and ratio > 1: the fast model's whole extent fits below one
              grain of the slow model, with the margin to spare
adjacent      1 <= ratio < margin, or ratio = 1: the ranges touch or are disjoint, but not by
              the margin (touching ranges count as adjacent: a micro model that needs the
              whole macro step leaves no separation to exploit)
overlapping   ratio < 1: the ranges share a span of scales
============  =================================================================================

Ratios within a relative 1e-9 of 1 or of the margin count as equal to it.  The margin is the
coupling's ``sb:scaleSeparationMargin``, else the model's, else 1 (plain separation).

Coupling templates (MMSF)
-------------------------
The Multiscale Modelling and Simulation Framework (Borgdorff et al., J. Parallel Distrib.
Comput. 73 (2013) 465-483; Hoekstra et al., Phil. Trans. R. Soc. A 372 (2014) 20130377)
describes each submodel by its execution loop: initialisation ``f_init``, intermediate
observation ``O_i``, solving step ``S`` and final observation ``O_f``.  A coupling template
names which operators exchange messages, and the temporal relation on the SSM decides which
template is right:

=======================  ====================  ================================================
time scales              template              operators
=======================  ====================  ================================================
separated                call/release          slow ``O_i`` -> fast ``f_init`` (call), fast
                                              ``O_f`` -> slow ``S`` (release): the fast model
                                              runs to completion inside one slow step
adjacent, overlapping    interact              ``O_i`` -> ``S`` both ways, every step of the
                                              slower model
(one-way, no feedback)   dispatch              driving ``O_f`` -> driven ``f_init``: the
                                              driving model's output series drives the
                                              driven one, run after it
=======================  ====================  ================================================

scalebridge's couplings run these templates: ``sb:Hierarchical`` is call/release,
``sb:Concurrent`` is interact and ``sb:OneWayNesting`` is dispatch.  The spatial relation is
classified the same way and reported, but it does not change the template: whether the fast
model is a point of the slow one (single-domain, exchanging with ``S``) or borders it
(multi-domain, exchanging with the boundary) is a question of where the domains lie, which the
scale ranges do not say.

The verdict (:class:`Status`) of a coupling:

* hierarchical: *accepted* when the time scales are separated, else *not separated* (an
  error: the micro model outlives the macro step, so a concurrent coupling is needed);
* concurrent: *accepted*, and *separated concurrent* when the time scales are separated (a
  hierarchical coupling would do at lower cost);
* one-way nesting: the driving model (the one the coupling's bridges read from) must not be
  faster than the driven one (the one they write to): its time grain must not be finer than
  the driven model's, or the driven model could not follow the forcing it is given; *nesting
  inverted* (an error) otherwise, else *accepted*.  Separation is not required, since nothing
  flows back;
* *unknown* when either time range is unknown or declared invalid.

Example
-------
>>> classify(ScaleSpan(1e-3, 10.0), ScaleSpan(1.0, 3600.0), margin=1.0).relation
<Separation.OVERLAPPING: 'overlapping'>
>>> c = classify(ScaleSpan(1e-6, 1e-3), ScaleSpan(1.0, 3600.0), margin=100.0)
>>> c.relation.value, c.ratio
('separated', 1000.0)
>>> format_time(300.0), format_time(2.5e-4), format_length(0.01)
('5 min', '250 µs', '1 cm')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import numpy as np
import sympy

from scalebridge.model import numeric
from scalebridge.model.analysis import measures, owners, quantity_measure, si_value
from scalebridge.model.dimensional import Measure
from scalebridge.model.dimensions import Dimension, UnitError, parse_unit
from scalebridge.model.junctions import Exchange
from scalebridge.model.junctions import exchanges as model_exchanges
from scalebridge.model.types import (
    IRI,
    BoundFormula,
    CouplingKind,
    DistributionKind,
    Domain,
    DomainKind,
    Equation,
    Model,
    QuantitySpec,
    Ref,
    RelationKind,
    ScaleRange,
    Submodel,
    Term,
    TermKind,
    Value,
    Variable,
    VariableRole,
)

__all__ = [
    "MAX_STATES",
    "UNDERRESOLVED_FACTOR",
    "AxisComparison",
    "CouplingVerdict",
    "Process",
    "ProcessKind",
    "RangeProblem",
    "ScaleSpan",
    "Separation",
    "Status",
    "SubmodelScales",
    "Template",
    "TimescaleAnalysis",
    "analyse_timescales",
    "classify",
    "estimate_submodel",
    "format_length",
    "format_ratio",
    "format_time",
]

UNDERRESOLVED_FACTOR = 2.0
"""A process is under-resolved when it is faster than the declared time grain by more than this."""
MAX_STATES = 200
"""Largest compartment system whose Jacobian is taken (SymPy's cost grows with its size)."""

_TOLERANCE = 1e-9
_MAX_DEPTH = 16
_TIME = Dimension.of(T=1)
_LENGTH = Dimension.of(L=1)
_VOLUME = Dimension.of(L=3)
_FLOW = Dimension.of(L=3, T=-1)
_DIFFUSIVITY = Dimension.of(L=2, T=-1)
_VELOCITY = Dimension.of(L=1, T=-1)

_COORDINATES: Mapping[str, sympy.Symbol] = MappingProxyType(
    {marker: sympy.Symbol(marker, real=True) for marker in ("@t", "@x", "@y")}
)


# -- value types ----------------------------------------------------------------------------


class ProcessKind(StrEnum):
    """Where an estimate comes from."""

    MODE_FAST = "fastest_mode"
    MODE_SLOW = "slowest_mode"
    DIFFUSION_DOMAIN = "diffusion_domain"
    DIFFUSION_CELL = "diffusion_cell"
    ADVECTION_DOMAIN = "advection_domain"
    ADVECTION_CELL = "advection_cell"
    REACTION = "reaction"
    RESIDENCE = "residence"


@dataclass(frozen=True, slots=True)
class Process:
    """One estimated time scale: what it is, how long it takes, and the node it came from."""

    kind: ProcessKind
    name: str
    seconds: float
    source: IRI


@dataclass(frozen=True, slots=True)
class ScaleSpan:
    """A range on one axis of the map, from grain to extent, in SI units (s or m)."""

    grain: float
    extent: float
    declared: bool = True

    @property
    def centre(self) -> float:
        """The geometric centre, where the map puts the middle of a box."""
        return math.sqrt(self.grain * self.extent)


@dataclass(frozen=True, slots=True)
class RangeProblem:
    """Why a declared range cannot be used (``axis`` is "time" or "length")."""

    axis: str
    message: str
    expected: str
    actual: str
    hint: str = "Swap or correct sb:grain and sb:extent."


@dataclass(frozen=True, slots=True)
class SubmodelScales:
    """The scales of one submodel: estimates, declared ranges and the ranges used on the map.

    ``time`` and ``length`` are the ranges used (declared when valid, else estimated; None
    when unknown); ``problems`` lists invalid declared ranges; ``notes`` says why an estimate
    could not be made.
    """

    submodel: IRI
    name: str
    processes: tuple[Process, ...]
    eigenvalues: tuple[complex, ...]
    duration: float | None
    declared_time: ScaleSpan | None
    declared_length: ScaleSpan | None
    time: ScaleSpan | None
    length: ScaleSpan | None
    problems: tuple[RangeProblem, ...]
    notes: tuple[str, ...]

    def problem(self, axis: str) -> RangeProblem | None:
        """The problem of the declared range on ``axis``, if any."""
        return next((p for p in self.problems if p.axis == axis), None)

    def process(self, kind: ProcessKind) -> list[Process]:
        """The estimates of one kind."""
        return [p for p in self.processes if p.kind is kind]


class Separation(StrEnum):
    """How two ranges lie on one axis of the map."""

    SEPARATED = "separated"
    ADJACENT = "adjacent"
    OVERLAPPING = "overlapping"
    UNKNOWN = "unknown"


class Template(StrEnum):
    """MMSF coupling templates."""

    CALL_RELEASE = "call/release"
    INTERACT = "interact"
    DISPATCH = "dispatch"


class Status(StrEnum):
    """The timescale verdict of a coupling."""

    ACCEPTED = "accepted"
    SEPARATED_CONCURRENT = "separated_concurrent"
    NOT_SEPARATED = "not_separated"
    NESTING_INVERTED = "nesting_inverted"
    UNKNOWN = "unknown"

    @property
    def is_error(self) -> bool:
        """True for the verdicts that reject the coupling."""
        return self in (Status.NOT_SEPARATED, Status.NESTING_INVERTED)


@dataclass(frozen=True, slots=True)
class AxisComparison:
    """Two ranges compared along one axis: the relation, the ratio and which is fast.

    ``ratio`` is ``slow grain / fast extent``; ``fast`` and ``slow`` are submodel IRIs.
    """

    relation: Separation
    ratio: float | None = None
    fast: IRI | None = None
    slow: IRI | None = None


@dataclass(frozen=True, slots=True)
class CouplingVerdict:
    """A coupling placed on the map: its pair compared in time and space, and the verdict.

    ``template`` is what the coupling runs (its kind), ``implied`` what its time scales call
    for (None when unknown); ``driving`` and ``driven`` are set for a one-way nesting whose
    direction the bridges tell.
    """

    coupling: IRI
    name: str
    kind: CouplingKind
    submodels: tuple[IRI, IRI]
    margin: float
    time: AxisComparison
    space: AxisComparison
    template: Template
    implied: Template | None
    status: Status
    driving: IRI | None = None
    driven: IRI | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class TimescaleAnalysis:
    """The scales of every submodel and the verdict of every coupling, keyed by IRI."""

    submodels: Mapping[IRI, SubmodelScales]
    couplings: Mapping[IRI, CouplingVerdict]

    def coupled(self) -> dict[IRI, list[IRI]]:
        """Submodel -> the couplings that join it, for submodels in at least one coupling."""
        found: dict[IRI, list[IRI]] = {}
        for verdict in self.couplings.values():
            for submodel in verdict.submodels:
                found.setdefault(submodel, []).append(verdict.coupling)
        return found


# -- formatting -----------------------------------------------------------------------------

_TIME_UNITS: tuple[tuple[str, float], ...] = (
    ("yr", 365.25 * 86400.0),
    ("d", 86400.0),
    ("h", 3600.0),
    ("min", 60.0),
    ("s", 1.0),
    ("ms", 1e-3),
    ("µs", 1e-6),
    ("ns", 1e-9),
    ("ps", 1e-12),
    ("fs", 1e-15),
)
_LENGTH_UNITS: tuple[tuple[str, float], ...] = (
    ("km", 1e3),
    ("m", 1.0),
    ("cm", 1e-2),
    ("mm", 1e-3),
    ("µm", 1e-6),
    ("nm", 1e-9),
    ("pm", 1e-12),
    ("fm", 1e-15),
)


def _number(value: float) -> str:
    if value >= 1000.0 and value < 1e6:
        return f"{value:.0f}"
    return f"{value:.3g}"


def _readable(value: float, units: Sequence[tuple[str, float]]) -> str:
    for name, size in units:
        if value >= size * (1.0 - _TOLERANCE):
            return f"{_number(value / size)} {name}"
    name, size = units[-1]
    return f"{_number(value / size)} {name}"


def format_time(seconds: float) -> str:
    """A duration in a readable unit, three significant digits: ``"8.55 s"``, ``"5 min"``.

    >>> format_time(90.0), format_time(3 * 3600.0), format_time(0.0)
    ('1.5 min', '3 h', '0 s')
    """
    if not math.isfinite(seconds) or seconds <= 0.0:
        return f"{seconds:g} s"
    return _readable(seconds, _TIME_UNITS)


def format_length(metres: float) -> str:
    """A length in a readable unit: ``"1 cm"``, ``"0.142 nm"`` is ``"142 pm"``.

    >>> format_length(0.5), format_length(1500.0)
    ('50 cm', '1.5 km')
    """
    if not math.isfinite(metres) or metres <= 0.0:
        return f"{metres:g} m"
    return _readable(metres, _LENGTH_UNITS)


def format_ratio(ratio: float) -> str:
    """A separation ratio for messages: three significant digits.

    >>> format_ratio(0.1), format_ratio(3600.0), format_ratio(2.5e7)
    ('0.1', '3600', '2.5e+07')
    """
    return _number(ratio)


# -- classification -------------------------------------------------------------------------


def classify(
    a: ScaleSpan, b: ScaleSpan, margin: float, names: tuple[IRI, IRI] | None = None
) -> AxisComparison:
    """Compare two ranges along one axis (see the module docstring for the rules).

    ``names`` are the IRIs the ranges belong to, copied into ``fast`` and ``slow``.

    >>> classify(ScaleSpan(1.0, 10.0), ScaleSpan(10.0, 100.0), 1.0).relation.value
    'adjacent'
    >>> classify(ScaleSpan(1.0, 10.0), ScaleSpan(50.0, 100.0), 10.0).relation.value
    'adjacent'
    """
    first_fast = (a.extent, a.grain) <= (b.extent, b.grain)
    fast, slow = (a, b) if first_fast else (b, a)
    fast_name: IRI | None = None
    slow_name: IRI | None = None
    if names is not None:
        fast_name, slow_name = names if first_fast else (names[1], names[0])
    ratio = slow.grain / fast.extent if fast.extent > 0 else math.inf
    margin = max(margin, 1.0)
    touching = math.isclose(ratio, 1.0, rel_tol=_TOLERANCE)
    if ratio < 1.0 and not touching:
        relation = Separation.OVERLAPPING
    elif not touching and (ratio >= margin or math.isclose(ratio, margin, rel_tol=_TOLERANCE)):
        relation = Separation.SEPARATED
    else:
        relation = Separation.ADJACENT
    return AxisComparison(relation, ratio, fast_name, slow_name)


def _template(kind: CouplingKind) -> Template:
    return {
        CouplingKind.HIERARCHICAL: Template.CALL_RELEASE,
        CouplingKind.CONCURRENT: Template.INTERACT,
        CouplingKind.ONE_WAY_NESTING: Template.DISPATCH,
    }[kind]


def _implied(relation: Separation) -> Template | None:
    if relation is Separation.SEPARATED:
        return Template.CALL_RELEASE
    if relation in (Separation.ADJACENT, Separation.OVERLAPPING):
        return Template.INTERACT
    return None


# -- evaluation of formulas at the initial state --------------------------------------------

Point = tuple[tuple[str, float], ...]


def _real(expr: Any) -> float | None:
    """The value of a SymPy number as a finite float, or None."""
    try:
        value = complex(expr)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return None
    if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)) or not math.isfinite(value.real):
        return None
    return float(value.real)


class _Evaluator:
    """SymPy expressions of quantities in per-variable symbols, evaluated at the initial state.

    Algebraic variables defined by an algebraic relation are expanded into their formulas
    (to a bounded depth, loops left as symbols); every other variable becomes a symbol whose
    value is its SI value: a parameter's constant (or the nominal value of its distribution), a
    field's initial value.
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        self.defining = {
            r.target: r
            for r in sorted(model.relations.values(), key=lambda r: r.iri, reverse=True)
            if r.kind is RelationKind.ALGEBRAIC and r.target is not None
        }
        self.symbols: dict[IRI, sympy.Symbol] = {}
        self.iris: dict[sympy.Symbol, IRI] = {}
        self._values: dict[tuple[IRI, Point], float | None] = {}
        self._expanding: set[IRI] = set()
        self._valuing: set[IRI] = set()

    def symbol(self, iri: IRI) -> sympy.Symbol:
        found = self.symbols.get(iri)
        if found is None:
            variable = self.model.variables.get(iri)
            found = sympy.Symbol(f"{variable.name if variable else 'v'}#{len(self.symbols)}",
                                 real=True)
            self.symbols[iri] = found
            self.iris[found] = iri
        return found

    def name(self, symbol: sympy.Symbol) -> str:
        iri = self.iris.get(symbol)
        variable = self.model.variables.get(iri) if iri is not None else None
        return variable.symbol if variable is not None else symbol.name.lstrip("@")

    def variable(self, iri: IRI, depth: int = 0) -> sympy.Expr | None:
        if iri in _COORDINATES:
            return _COORDINATES[iri]
        variable = self.model.variables.get(iri)
        relation = self.defining.get(iri)
        if (
            variable is not None
            and variable.role is VariableRole.ALGEBRAIC
            and relation is not None
            and iri not in self._expanding
            and depth < _MAX_DEPTH
        ):
            self._expanding.add(iri)
            try:
                return self.formula(relation.formula, depth + 1)
            finally:
                self._expanding.discard(iri)
        return self.symbol(iri)

    def formula(self, bound: BoundFormula, depth: int = 0) -> sympy.Expr | None:
        expr = bound.formula.expr
        if not isinstance(expr, sympy.Expr):
            return None  # an equation or a condition has no value
        mapping: dict[sympy.Basic, sympy.Basic] = {}
        for name, iri in bound.bindings.items():
            replacement = self.variable(iri, depth)
            if replacement is None:
                return None
            mapping[sympy.Symbol(name, real=True)] = replacement
        for symbol, text in bound.formula.unit_literals.items():
            try:
                mapping[sympy.Symbol(symbol, positive=True)] = sympy.Float(parse_unit(text).scale)
            except UnitError:
                return None
        return expr.xreplace(mapping)

    def quantity(self, spec: QuantitySpec | None, depth: int = 0) -> sympy.Expr | None:
        if spec is None:
            return None
        if isinstance(spec, Value):
            return sympy.Float(spec.si_value())
        if isinstance(spec, Ref):
            return self.variable(spec.iri, depth)
        return self._written(spec.formula, spec.unit, depth)

    def _written(self, bound: BoundFormula, unit: object, depth: int) -> sympy.Expr | None:
        formula = bound.formula
        if not bound.bindings and not formula.unit_literals:
            # A formula of numbers alone is written in the quantity's own unit.
            number = _real(formula.expr)
            if number is None:
                return None
            to_si = getattr(unit, "to_si", None)
            return sympy.Float(to_si(number) if to_si is not None else number)
        return self.formula(bound, depth)

    def value(self, iri: IRI, point: Point) -> float | None:
        """The SI value of a variable that stays a symbol, at ``point``; None when unknown."""
        key = (iri, point)
        if key in self._values:
            return self._values[key]
        if iri in self._valuing:
            return None
        self._valuing.add(iri)
        try:
            result = self._value(iri, point)
        finally:
            self._valuing.discard(iri)
        self._values[key] = result
        return result

    def _value(self, iri: IRI, point: Point) -> float | None:
        variable = self.model.variables.get(iri)
        if variable is None:
            return None
        if variable.role is VariableRole.PARAMETER:
            value = si_value(self.model, Ref(iri=iri))
            return value if value is not None else _nominal(variable)
        if variable.role is VariableRole.FIELD:
            initial = variable.initial
            if initial is None:
                return None
            if isinstance(initial, float):
                return variable.unit.to_si(initial) if variable.unit else initial
            expr = self._written(initial, variable.unit, 0)
            return self.evaluate(expr, point) if expr is not None else None
        return None

    def substitute(self, expr: sympy.Expr, point: Point) -> tuple[sympy.Expr, set[sympy.Symbol]]:
        """``expr`` with every known value put in, and the symbols whose value is unknown."""
        coordinates = dict(point)
        mapping: dict[sympy.Basic, sympy.Basic] = {}
        missing: set[sympy.Symbol] = set()
        for symbol in expr.free_symbols:
            if symbol.name in _COORDINATES:
                if symbol.name in coordinates:
                    mapping[symbol] = sympy.Float(coordinates[symbol.name])
                else:
                    missing.add(symbol)
                continue
            iri = self.iris.get(symbol)
            value = self.value(iri, point) if iri is not None else None
            if value is None:
                missing.add(symbol)
            else:
                mapping[symbol] = sympy.Float(value)
        return expr.xreplace(mapping), missing

    def lookup(self, point: Point) -> Callable[[sympy.Symbol], float | None]:
        """The value of a symbol at ``point`` (None when unknown), for the numeric walker."""
        coordinates = dict(point)

        def value_of(symbol: sympy.Symbol) -> float | None:
            if symbol.name in _COORDINATES:
                return coordinates.get(symbol.name)
            iri = self.iris.get(symbol)
            return self.value(iri, point) if iri is not None else None

        return value_of

    def evaluate(self, expr: sympy.Expr | None, point: Point) -> float | None:
        if expr is None:
            return None
        try:
            value = numeric.evaluate(expr, self.lookup(point))
            return None if math.isnan(value) else value
        except numeric.UndefinedError:
            return None
        except numeric.UnsupportedError:
            pass  # SymPy knows more functions (expint)
        try:
            substituted, missing = self.substitute(expr, point)
            if missing:
                return None
            return _real(substituted.evalf())
        except Exception:
            # SymPy fails in many ways on degenerate input; an estimate that cannot be
            # computed is simply absent.
            return None

    def gradient(
        self, expr: sympy.Expr, point: Point, wrt: Sequence[sympy.Symbol]
    ) -> tuple[float, ...] | None:
        """Partial derivatives of ``expr`` at ``point``; None when one has no finite value."""
        try:
            found = numeric.gradient(expr, self.lookup(point), wrt)[1]
            return None if any(math.isnan(g) for g in found) else found
        except numeric.UndefinedError:
            return None
        except numeric.UnsupportedError:
            pass
        present = expr.free_symbols
        partials: list[float] = []
        for symbol in wrt:
            if symbol not in present:
                partials.append(0.0)
                continue
            try:
                derivative = sympy.diff(expr, symbol)
            except Exception:  # as in evaluate
                return None
            value = self.evaluate(derivative, point)
            if value is None:
                return None
            partials.append(value)
        return tuple(partials)

    def missing(self, expr: sympy.Expr, point: Point) -> list[str]:
        """Names of the variables whose unknown values keep ``expr`` from a number."""
        try:
            _, missing = self.substitute(expr, point)
        except Exception:  # as in evaluate
            return []
        return sorted({self.name(s) for s in missing})


def _nominal(variable: Variable) -> float | None:
    """The nominal value of a random parameter: mean, median or midpoint, in SI."""
    distribution = variable.distribution
    if distribution is None:
        return None
    p = distribution.parameters
    if distribution.kind is DistributionKind.NORMAL:
        value = p.get("mean")
    elif distribution.kind is DistributionKind.LOG_NORMAL:
        value = p.get("median")
    else:
        lower, upper = p.get("lower"), p.get("upper")
        value = None if lower is None or upper is None else (lower + upper) / 2.0
    if value is None:
        return None
    return variable.unit.to_si(value) if variable.unit else value


_T0: Point = (("@t", 0.0),)


# -- right-hand sides -----------------------------------------------------------------------


def _domain_kind(model: Model, field: IRI) -> DomainKind | None:
    variable = model.variables.get(field)
    domain = model.domains.get(variable.domain) if variable and variable.domain else None
    return domain.kind if domain is not None else None


def _term_rate(ev: _Evaluator, term: Term, field: IRI) -> tuple[bool, sympy.Expr | None]:
    """(applies, expression) of a non-transport term in the balance of ``field``."""
    if term.kind in (TermKind.DIFFUSION, TermKind.ADVECTION):
        return False, None
    if term.expression is not None:
        expr = ev.formula(term.expression)
        if expr is None:
            return True, None
        return True, -expr if term.kind is TermKind.SINK else expr
    return False, None


def _exchange_rate(ev: _Evaluator, exchange: Exchange) -> sympy.Expr | None:
    if exchange.flow is None:
        return ev.quantity(exchange.rate)
    flow_rate = ev.quantity(exchange.flow.rate)
    leaving = (
        ev.quantity(exchange.leaving)
        if exchange.leaving is not None
        else ev.variable(exchange.source)
    )
    if flow_rate is None or leaving is None:
        return None
    return flow_rate * leaving


def _balance_rhs(
    ev: _Evaluator, equation: Equation, exchanges: Sequence[Exchange]
) -> tuple[sympy.Expr | None, str]:
    """The sum of the terms of ``equation`` other than transport, or (None, why)."""
    total: sympy.Expr = sympy.Integer(0)
    for term in equation.terms:
        applies, expr = _term_rate(ev, term, equation.field)
        if not applies:
            continue
        if expr is None:
            return None, f"a term of {_short(equation.iri)} cannot be evaluated"
        total += expr
    for exchange in exchanges:
        sign = (exchange.target == equation.field) - (exchange.source == equation.field)
        if sign == 0:
            continue
        expr = _exchange_rate(ev, exchange)
        if expr is None:
            return None, f"the exchange {_short(exchange.origin)} cannot be evaluated"
        total += sign * expr
    return total, ""


def _short(iri: IRI) -> str:
    if iri.startswith("_:"):
        return "a blank node"
    cut = max(iri.rfind("#"), iri.rfind("/"), iri.rfind(":"))
    return iri[cut + 1 :] or iri


# -- estimates ------------------------------------------------------------------------------


def _equations(model: Model, submodel: Submodel) -> list[Equation]:
    return [model.equations[i] for i in submodel.equations if i in model.equations]


def _compartment_modes(
    ev: _Evaluator, model: Model, submodel: Submodel, exchanges: Sequence[Exchange]
) -> tuple[list[Process], tuple[complex, ...], list[str]]:
    """Fastest and slowest modes of the submodel's compartment balances."""
    balances = [
        e for e in _equations(model, submodel)
        if _domain_kind(model, e.field) is DomainKind.COMPARTMENT
    ]
    dynamic = [e for e in balances if not e.steady]
    static = [e for e in balances if e.steady]
    if not dynamic:
        return [], (), []
    if len(balances) > MAX_STATES:
        return [], (), [f"more than {MAX_STATES} compartment balances: no eigenvalue estimate"]
    rows: list[sympy.Expr] = []
    for equation in dynamic + static:
        rhs, why = _balance_rhs(ev, equation, exchanges)
        if rhs is None:
            return [], (), [why]
        if not equation.steady and equation.capacity is not None:
            capacity = ev.quantity(equation.capacity)
            if capacity is None:
                return [], (), [f"the capacity of {_short(equation.iri)} cannot be evaluated"]
            rhs = rhs / capacity
        rows.append(rhs)
    states = [ev.symbol(e.field) for e in dynamic + static]
    size = len(states)
    jacobian = np.zeros((size, size))
    for i, row in enumerate(rows):
        derivatives = ev.gradient(row, _T0, states)
        if derivatives is None:
            names = ev.missing(row, _T0)
            why = (
                "no value is known for " + ", ".join(names)
                if names
                else "a derivative has no finite value at the initial state"
            )
            return [], (), [f"the Jacobian of the compartment balances: {why}"]
        jacobian[i, :] = derivatives
    n = len(dynamic)
    reduced = jacobian[:n, :n]
    if static:
        try:
            reduced = reduced - jacobian[:n, n:] @ np.linalg.solve(
                jacobian[n:, n:], jacobian[n:, :n]
            )
        except np.linalg.LinAlgError:
            return [], (), ["the steady compartment balances are singular"]
    if not np.all(np.isfinite(reduced)):
        return [], (), ["the Jacobian of the compartment balances is not finite"]
    values, vectors = np.linalg.eig(reduced)
    eigenvalues = tuple(complex(v) for v in values)
    rates = np.abs(values.real)
    largest = float(np.max(np.abs(values))) if size else 0.0
    nonzero = [k for k in range(n) if rates[k] > _TOLERANCE * largest and rates[k] > 0.0]
    if not nonzero:
        return [], eigenvalues, ["the compartment balances have no decaying or growing mode"]
    fast = max(nonzero, key=lambda k: (rates[k], -k))
    slow = min(nonzero, key=lambda k: (rates[k], k))

    def mode(k: int, kind: ProcessKind, which: str) -> Process:
        dominant = int(np.argmax(np.abs(vectors[:, k])))
        return Process(
            kind=kind,
            name=f"{which} mode of the compartment balances (eigenvalue "
            f"{values[k].real:.3g} 1/s)",
            seconds=1.0 / float(rates[k]),
            source=dynamic[dominant].iri,
        )

    found = [mode(fast, ProcessKind.MODE_FAST, "fastest")]
    if slow != fast and not math.isclose(rates[slow], rates[fast], rel_tol=_TOLERANCE):
        found.append(mode(slow, ProcessKind.MODE_SLOW, "slowest"))
    return found, eigenvalues, []


@dataclass(frozen=True, slots=True)
class _Grid:
    """Sides (m), cell sides (m) per direction, and the points where quantities are sampled."""

    sides: tuple[float, ...]
    cells: tuple[float, ...]
    points: tuple[Point, ...]


def _grid(model: Model, domain: Domain) -> _Grid | None:
    if domain.kind is DomainKind.INTERVAL:
        length = si_value(model, domain.length)
        if length is None or length <= 0 or not domain.cells:
            return None
        points: tuple[Point, ...] = tuple(
            (("@t", 0.0), ("@x", x)) for x in (0.0, length / 2, length)
        )
        return _Grid((length,), (length / domain.cells[0],), points)
    if domain.kind is DomainKind.RECTANGLE:
        width, height = si_value(model, domain.width), si_value(model, domain.height)
        if width is None or height is None or width <= 0 or height <= 0 or len(domain.cells) != 2:
            return None
        points = tuple(
            (("@t", 0.0), ("@x", x), ("@y", y))
            for x in (0.0, width / 2, width)
            for y in (0.0, height / 2, height)
        )
        return _Grid(
            (width, height), (width / domain.cells[0], height / domain.cells[1]), points
        )
    return None


def _sampled(ev: _Evaluator, expr: sympy.Expr | None, grid: _Grid) -> list[float]:
    if expr is None:
        return []
    values = [ev.evaluate(expr, p) for p in grid.points]
    return [v for v in values if v is not None]


def _dimension(model: Model, env: Mapping[IRI, Measure], spec: QuantitySpec | None) -> (
    Dimension | None
):
    if spec is None:
        return Dimension.dimensionless()
    return quantity_measure(model, spec, env)[0].dimension


def _transport_processes(
    ev: _Evaluator, model: Model, submodel: Submodel, env: Mapping[IRI, Measure]
) -> tuple[list[Process], list[str]]:
    """Diffusion, advection and reaction times of the balances on intervals and rectangles."""
    found: list[Process] = []
    notes: list[str] = []
    for equation in _equations(model, submodel):
        variable = model.variables.get(equation.field)
        domain = model.domains.get(variable.domain) if variable and variable.domain else None
        if equation.steady or domain is None:
            continue
        if domain.kind not in (DomainKind.INTERVAL, DomainKind.RECTANGLE):
            continue
        grid = _grid(model, domain)
        if grid is None:
            notes.append(f"the size or cells of {domain.name} are not known")
            continue
        capacity = ev.quantity(equation.capacity) if equation.capacity else sympy.Integer(1)
        capacities = _sampled(ev, capacity, grid)
        if not capacities or any(c == 0 for c in capacities):
            notes.append(f"the capacity of {equation.name} cannot be evaluated")
            continue
        cap_dim = _dimension(model, env, equation.capacity)
        for term in equation.terms:
            found += _term_processes(
                ev, model, env, equation=equation, term=term, grid=grid, capacity=capacity,
                cap_dim=cap_dim,
            )
    return found, notes


def _term_processes(
    ev: _Evaluator,
    model: Model,
    env: Mapping[IRI, Measure],
    *,
    equation: Equation,
    term: Term,
    grid: _Grid,
    capacity: sympy.Expr | None,
    cap_dim: Dimension | None,
) -> list[Process]:
    name = equation.name
    if term.kind is TermKind.DIFFUSION:
        coef_dim = _dimension(model, env, term.coefficient)
        if coef_dim is None or cap_dim is None or coef_dim / cap_dim != _DIFFUSIVITY:
            return []
        coefficient = ev.quantity(term.coefficient)
        if coefficient is None or capacity is None:
            return []
        values = [abs(v) for v in _sampled(ev, coefficient / capacity, grid) if v != 0]
        if not values:
            return []
        side, cell = max(grid.sides), min(grid.cells)
        return [
            Process(ProcessKind.DIFFUSION_DOMAIN, f"diffusion across the domain L^2/D in {name}",
                    side**2 / min(values), equation.iri),
            Process(ProcessKind.DIFFUSION_CELL, f"diffusion across one cell dx^2/D in {name}",
                    cell**2 / max(values), equation.iri),
        ]
    if term.kind is TermKind.ADVECTION:
        found = []
        for axis, spec in enumerate((term.velocity, term.velocity_y)):
            if spec is None or axis >= len(grid.sides):
                continue
            if _dimension(model, env, spec) != _VELOCITY:
                continue
            speeds = [abs(v) for v in _sampled(ev, ev.quantity(spec), grid) if v != 0]
            if not speeds:
                continue
            found += [
                Process(ProcessKind.ADVECTION_DOMAIN,
                        f"advection across the domain L/u in {name}",
                        grid.sides[axis] / min(speeds), equation.iri),
                Process(ProcessKind.ADVECTION_CELL, f"advection across one cell dx/u in {name}",
                        grid.cells[axis] / max(speeds), equation.iri),
            ]
        return found
    applies, rate = _term_rate(ev, term, equation.field)
    if not applies or rate is None or capacity is None:
        return []
    try:
        derivative = sympy.diff(rate / capacity, ev.symbol(equation.field))
    except Exception:  # as in _Evaluator.evaluate
        return []
    constants = [abs(v) for v in _sampled(ev, derivative, grid) if v != 0]
    if not constants:
        return []
    return [
        Process(ProcessKind.REACTION, f"first-order rate 1/k of a {term.kind.value} in {name}",
                1.0 / max(constants), equation.iri)
    ]


def _residence_processes(
    ev: _Evaluator, model: Model, submodel: Submodel, env: Mapping[IRI, Measure]
) -> list[Process]:
    """V/Q for every compartment of the submodel that a carrier flow leaves or enters."""
    found = []
    domains = set(submodel.domains)
    for flow in model.carrier_flows.values():
        if _dimension(model, env, flow.rate) != _FLOW:
            continue
        rate = ev.evaluate(ev.quantity(flow.rate), _T0)
        if rate is None or rate == 0:
            continue
        for end in (flow.source, flow.target):
            port = model.ports.get(end)
            compartment = model.domains.get(port.domain if port is not None else end)
            if (
                compartment is None
                or compartment.kind is not DomainKind.COMPARTMENT
                or compartment.iri not in domains
                or _dimension(model, env, compartment.volume) != _VOLUME
            ):
                continue
            volume = ev.evaluate(ev.quantity(compartment.volume), _T0)
            if volume is None or volume <= 0:
                continue
            found.append(
                Process(
                    ProcessKind.RESIDENCE,
                    f"residence time V/Q of {compartment.name} in the flow {flow.name}",
                    volume / abs(rate),
                    flow.iri,
                )
            )
    return found


# -- ranges ---------------------------------------------------------------------------------


def _constant(
    model: Model, env: Mapping[IRI, Measure], spec: QuantitySpec | None, dimension: Dimension
) -> tuple[float | None, str | None]:
    """(SI value, None), (None, why it is wrong), or (None, None) when its unit is unknown."""
    measure = quantity_measure(model, spec, env)[0]
    if measure.dimension is None:
        return None, None
    if measure.dimension != dimension:
        return None, f"has dimension {measure.describe()}"
    value = si_value(model, spec)
    if value is None:
        return None, "is not a constant"
    return value, None


def _declared(
    model: Model, env: Mapping[IRI, Measure], scale: ScaleRange | None, axis: str, owner: str
) -> tuple[ScaleSpan | None, RangeProblem | None]:
    if scale is None:
        return None, None
    dimension = _TIME if axis == "time" else _LENGTH
    fmt = format_time if axis == "time" else format_length
    expected_unit = "a time" if axis == "time" else "a length"
    values = []
    for role, spec in (("grain", scale.grain), ("extent", scale.extent)):
        value, wrong = _constant(model, env, spec, dimension)
        if wrong is not None:
            return None, RangeProblem(
                axis,
                f"the {role} of the declared {axis} scale of {owner} {wrong}, but must be "
                f"{expected_unit}",
                f"{role}: {expected_unit}",
                f"{role} {wrong}",
                f"Give sb:{role} a constant value with a unit of {axis} "
                f"({'s, min, h' if axis == 'time' else 'nm, mm, m'}).",
            )
        values.append(value)
    grain, extent = values
    if grain is None or extent is None:
        return None, None
    if grain <= 0:
        return None, RangeProblem(
            axis,
            f"the declared {axis} scale of {owner} has grain {fmt(grain)}, which is not "
            "positive",
            "grain > 0",
            f"grain {fmt(grain)}",
        )
    if extent <= grain or math.isclose(extent, grain, rel_tol=_TOLERANCE):
        return None, RangeProblem(
            axis,
            f"the declared {axis} scale of {owner} has grain {fmt(grain)}, not below its extent "
            f"{fmt(extent)}",
            "grain < extent",
            f"grain {fmt(grain)}, extent {fmt(extent)}",
        )
    return ScaleSpan(grain, extent, declared=True), None


def _estimated_length(model: Model, submodel: Submodel) -> ScaleSpan | None:
    grains: list[float] = []
    extents: list[float] = []
    cubes: list[float] = []
    for iri in submodel.domains:
        domain = model.domains.get(iri)
        if domain is None:
            continue
        grid = _grid(model, domain)
        if grid is not None:
            grains.append(min(grid.cells))
            extents.append(max(grid.sides))
        elif domain.kind in (DomainKind.LATTICE, DomainKind.PARTICLE_CHAIN):
            spacing = si_value(model, domain.spacing)
            if spacing is not None and spacing > 0 and domain.cells:
                grains.append(spacing)
                extents.append(spacing * max(domain.cells[0] - 1, 1))
        elif domain.kind is DomainKind.COMPARTMENT:
            volume = si_value(model, domain.volume)
            if volume is not None and volume > 0:
                cubes.append(volume ** (1.0 / 3.0))
    if grains:
        return ScaleSpan(min(grains), max(extents), declared=False)
    if cubes:
        return ScaleSpan(min(cubes), max(cubes), declared=False)
    return None


def _duration(model: Model, env: Mapping[IRI, Measure], submodel: Submodel) -> float | None:
    for spec in (submodel.duration, model.duration):
        if spec is None:
            continue
        value, _ = _constant(model, env, spec, _TIME)
        if value is not None and value > 0:
            return value
    return None


def estimate_submodel(
    model: Model,
    submodel: IRI,
    *,
    _evaluator: _Evaluator | None = None,
    _exchange_list: Sequence[Exchange] | None = None,
    _env: Mapping[IRI, Measure] | None = None,
) -> SubmodelScales:
    """The scales of one submodel: every estimate, the declared and the effective ranges.

    >>> import rdflib
    >>> from scalebridge.model.build import build_model
    >>> g = rdflib.Graph().parse(format="turtle", data='''
    ... @prefix sb: <https://w3id.org/scalebridge/ontology#> .
    ... @prefix : <https://example.org/d#> .
    ... :box a sb:Compartment ; sb:volume [ sb:value 2.0 ; sb:unit "L" ] .
    ... :C a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 5.0 .
    ... :k a sb:Parameter ; sb:value 0.1 ; sb:unit "1/h" .
    ... :decay a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Reaction ; sb:expression "-k*C" ] .
    ... :m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :decay ;
    ...    sb:duration [ sb:value 2.0 ; sb:unit "d" ] .''')
    >>> model, _ = build_model(g)
    >>> scales = estimate_submodel(model, "https://example.org/d#m")
    >>> [format_time(p.seconds) for p in scales.processes]
    ['10 h']
    >>> format_time(scales.time.grain), format_time(scales.time.extent), scales.time.declared
    ('10 h', '2 d', False)
    """
    part = model.submodels[submodel]
    ev = _evaluator or _Evaluator(model)
    exchanges = _exchange_list if _exchange_list is not None else model_exchanges(model)
    env = _env if _env is not None else measures(model)
    modes, eigenvalues, notes = _compartment_modes(ev, model, part, exchanges)
    transport, transport_notes = _transport_processes(ev, model, part, env)
    processes = sorted(
        modes + transport + _residence_processes(ev, model, part, env),
        key=lambda p: (p.seconds, p.kind.value, p.source, p.name),
    )
    notes += transport_notes
    declared_time, time_problem = _declared(model, env, part.time_scale, "time", part.name)
    declared_length, length_problem = _declared(model, env, part.length_scale, "length", part.name)
    duration = _duration(model, env, part)
    time = declared_time
    if time is None and processes:
        fastest = processes[0].seconds
        extent = duration if duration is not None else processes[-1].seconds
        time = ScaleSpan(min(fastest, extent), extent, declared=False)
    if time is None and not processes and not notes:
        notes.append("no balance of it gives a time scale (no compartment balance, diffusion, "
                     "advection, reaction or carrier flow)")
    length = declared_length or _estimated_length(model, part)
    return SubmodelScales(
        submodel=submodel,
        name=part.name,
        processes=tuple(processes),
        eigenvalues=eigenvalues,
        duration=duration,
        declared_time=declared_time,
        declared_length=declared_length,
        time=time,
        length=length,
        problems=tuple(p for p in (time_problem, length_problem) if p is not None),
        notes=tuple(notes),
    )


# -- couplings ------------------------------------------------------------------------------


def _direction(model: Model, pair: tuple[IRI, IRI], bridges: Iterable[IRI],
               owned: Mapping[IRI, set[IRI]]) -> tuple[IRI, IRI] | None:
    """(driving, driven) as the coupling's bridges read and write; None when they do not say."""
    directions: set[tuple[IRI, IRI]] = set()
    members = set(pair)
    for iri in bridges:
        bridge = model.bridges.get(iri)
        if bridge is None:
            continue
        readers = {s for source in bridge.sources for s in owned.get(source, set())} & members
        writers = set(owned.get(bridge.target, set())) & members if bridge.target else set()
        for domain in model.domains.values():
            if any(b.condition.forced_by == iri for b in domain.boundaries):
                writers |= {s for s in members if domain.iri in model.submodels[s].domains}
        for reader in readers:
            for writer in writers - {reader}:
                directions.add((reader, writer))
    return directions.pop() if len(directions) == 1 else None


def _verdict(
    model: Model,
    iri: IRI,
    scales: Mapping[IRI, SubmodelScales],
    owned: Mapping[IRI, set[IRI]],
) -> CouplingVerdict:
    coupling = model.couplings[iri]
    pair = (coupling.submodels[0], coupling.submodels[1])
    margin = coupling.margin if coupling.margin is not None else model.margin
    margin = max(margin if margin is not None else 1.0, 1.0)
    first, second = scales[pair[0]], scales[pair[1]]

    def compare(axis: str) -> AxisComparison:
        a = first.time if axis == "time" else first.length
        b = second.time if axis == "time" else second.length
        if a is None or b is None or first.problem(axis) or second.problem(axis):
            return AxisComparison(Separation.UNKNOWN)
        return classify(a, b, margin, pair)

    time, space = compare("time"), compare("length")
    template = _template(coupling.kind)
    implied = _implied(time.relation)
    driving = driven = None
    if coupling.kind is CouplingKind.ONE_WAY_NESTING:
        direction = _direction(model, pair, coupling.bridges, owned)
        if direction is not None:
            driving, driven = direction
    reason = ""
    if time.relation is Separation.UNKNOWN:
        status = Status.UNKNOWN
        unknown = [s for s in (first, second) if s.time is None or s.problem("time")]
        reason = "the time scales of " + " and ".join(s.name for s in unknown) + " are unknown"
    elif coupling.kind is CouplingKind.HIERARCHICAL:
        status = (
            Status.ACCEPTED if time.relation is Separation.SEPARATED else Status.NOT_SEPARATED
        )
    elif coupling.kind is CouplingKind.CONCURRENT:
        status = (
            Status.SEPARATED_CONCURRENT
            if time.relation is Separation.SEPARATED
            else Status.ACCEPTED
        )
    else:
        status = Status.ACCEPTED
        if driving is not None and driven is not None:
            drive, follow = scales[driving].time, scales[driven].time
            if (
                drive is not None
                and follow is not None
                and drive.grain < follow.grain
                and not math.isclose(drive.grain, follow.grain, rel_tol=_TOLERANCE)
            ):
                status = Status.NESTING_INVERTED
    return CouplingVerdict(
        coupling=iri,
        name=coupling.name,
        kind=coupling.kind,
        submodels=pair,
        margin=margin,
        time=time,
        space=space,
        template=template,
        implied=implied,
        status=status,
        driving=driving,
        driven=driven,
        reason=reason,
    )


def analyse_timescales(model: Model) -> TimescaleAnalysis:
    """Estimate the scales of every submodel and classify every coupling."""
    ev = _Evaluator(model)
    exchanges = model_exchanges(model)
    env = measures(model)
    scales = {
        iri: estimate_submodel(model, iri, _evaluator=ev, _exchange_list=exchanges, _env=env)
        for iri in model.submodels
    }
    owned = owners(model) if model.couplings else {}
    verdicts = {
        iri: _verdict(model, iri, scales, owned)
        for iri, coupling in model.couplings.items()
        if all(s in scales for s in coupling.submodels)
    }
    return TimescaleAnalysis(MappingProxyType(scales), MappingProxyType(verdicts))
