"""Lowering: the typed model becomes the IR, by small pure passes with verb names.

``lower(model, source_sha256)`` runs, in order:

* :func:`collect_parameters`: every parameter with a value, in SI (a random parameter takes
  its nominal value: mean, median or midpoint);
* :func:`order_assignments`: algebraic variables, each defined by an algebraic relation (its
  expression) or an implicit one (an equation, solved in closed form by SymPy when it has one
  solution, else left to a root finder), in an order where each comes after what it uses
  (:func:`solve_algebraic_loops` solves a loop of them as one block);
* :func:`~scalebridge.composer.balances.build_rates`: per submodel, the balances of compartment
  fields become rates dy/dt = (terms + exchanges) / capacity, with generated exchange terms
  (transfers and carrier flows, from :func:`scalebridge.model.junctions.exchanges`) and the
  analytic Jacobian; the balances of fields on grids become field problems (diffusion,
  advection, pointwise source, boundary conditions);
* :func:`schedule`: the method (an exact propagator for linear compartments, BDF for
  nonlinear ones, an implicit step for linear field problems small enough to factor, a stable
  explicit one otherwise) and the time step, from the declared step, else the declared time
  grain, else the fastest time scale that the validator's timescale analysis estimated;
* :func:`~scalebridge.composer.couplings.lower_couplings`: bridges as exchanges between
  submodels, and the coupled schedule;
* :func:`~scalebridge.composer.energies.lower_energies`: energy functionals.

:mod:`scalebridge.composer.kernels` holds the passes on kernels the code generator applies
(common subexpressions, the stencil fast path).

Unit conversion: every value enters the IR in SI (``Unit.to_si``), and formulas are turned
into SI expressions by :mod:`scalebridge.model.junctions` (unit literals become their SI
factors), so that a model that mixes mg and kg, or minutes and hours, is converted once here.

What the composer cannot lower yet is refused with a ``COMPOSE_UNSUPPORTED`` diagnostic naming
the node, never run approximately.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable, Mapping

import networkx as nx
import sympy

from scalebridge import __version__
from scalebridge.composer.balances import Balances, build_rates
from scalebridge.composer.couplings import lower_couplings
from scalebridge.composer.energies import lower_energies
from scalebridge.composer.expectations import (
    DEFAULT_NODES,
    PARAMETER_NAMES,
    Expectation,
    rule_tuple,
)
from scalebridge.composer.ir import (
    DerivedIR,
    Method,
    ParameterIR,
    ProgramIR,
    ScheduleIR,
    SubmodelIR,
    T,
)
from scalebridge.composer.support import (
    declared_value,
    symbol_of,
    unit_parts,
    unsupported,
)
from scalebridge.composer.tables import table_lookup, table_symbol
from scalebridge.diagnostics import Code, Diagnostic
from scalebridge.model.analysis import owners, si_value
from scalebridge.model.junctions import formula_expression
from scalebridge.model.types import (
    IRI,
    Model,
    RelationKind,
    Submodel,
    Table,
    Variable,
    VariableRole,
)

__all__ = ["CompositionError", "lower"]


class CompositionError(Exception):
    """The model cannot be lowered; ``diagnostics`` say where and why."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("; ".join(d.message for d in self.diagnostics))


def collect_parameters(model: Model) -> tuple[tuple[ParameterIR, ...], list[Diagnostic]]:
    """Every parameter that has a value, in SI, sorted by name."""
    found: list[ParameterIR] = []
    problems: list[Diagnostic] = []
    for variable in model.variables.values():
        if variable.role is not VariableRole.PARAMETER or variable.provided_by is not None:
            continue  # a bridged parameter is an input (see lower_couplings)
        declared = declared_value(variable)
        if declared is None:
            continue  # a table (see order_assignments)
        text, scale, offset = unit_parts(variable)
        found.append(
            ParameterIR(
                name=variable.name,
                iri=variable.iri,
                unit=text,
                scale=scale,
                offset=offset,
                value=declared * scale + offset,
                declared=declared,
            )
        )
    return tuple(sorted(found, key=lambda p: p.name)), problems


# -- algebraic variables ---------------------------------------------------------------------


def order_assignments(model: Model) -> tuple[tuple[DerivedIR, ...], list[Diagnostic]]:
    """Algebraic variables with their SI expressions, each after the ones it uses."""
    derived: dict[str, DerivedIR] = {}
    problems: list[Diagnostic] = []
    for variable in sorted(model.variables.values(), key=lambda v: v.iri):
        if variable.role is VariableRole.PARAMETER and variable.table is not None and (
            variable.provided_by is None and variable.value is None
        ):
            table = variable.table
            argument = model.variables.get(table.argument)
            if argument is None:
                continue
            text, scale, offset = unit_parts(variable)
            derived[variable.name] = DerivedIR(
                variable.name, variable.iri, text, scale, offset,
                expr=interpolate_table(table, symbol_of(argument), argument, scale, offset),
            )
    owned = owners(model)
    for bridge in sorted(model.bridges.values(), key=lambda b: b.iri):
        # A bridge through a table: its target is the table at the argument (a given table,
        # or one the fine model fills at run time; see lower_couplings).
        target = model.variables.get(bridge.target or "")
        argument = model.variables.get(bridge.table.argument) if bridge.table else None
        if (bridge.table is None or target is None or argument is None
                or target.provided_by != bridge.iri):
            continue
        if argument.role is not VariableRole.PARAMETER and not (
                owned.get(argument.iri, set()) & owned.get(target.iri, set())):
            problems.append(unsupported(
                f"the table of '{bridge.name}' is looked up at '{argument.name}', which is not "
                f"a variable of the submodel that uses '{target.name}'", bridge.iri))
            continue
        text, scale, offset = unit_parts(target)
        expr = (table_lookup(symbol_of(argument), table_symbol(bridge.name))
                if bridge.table.to_build
                else interpolate_table(bridge.table, symbol_of(argument), argument, scale, offset))
        derived[target.name] = DerivedIR(target.name, target.iri, text, scale, offset, expr=expr)
    averaged = _averages(model)
    for name, item in averaged.items():
        derived[name] = item
    for relation in sorted(model.relations.values(), key=lambda r: r.iri):
        target = model.variables.get(relation.target) if relation.target else None
        if relation.kind is RelationKind.ENERGY or target is None:
            continue  # energy functionals: see lower_energies
        text, scale, offset = unit_parts(target)
        expr = formula_expression(model, relation.formula)
        symbol = symbol_of(target)
        if relation.kind is RelationKind.ALGEBRAIC:
            derived[target.name] = DerivedIR(target.name, target.iri, text, scale, offset, expr)
            continue
        residual = expr.lhs - expr.rhs if isinstance(expr, sympy.Eq) else expr
        closed = _closed_form(residual, symbol)
        derived[target.name] = DerivedIR(
            target.name, target.iri, text, scale, offset,
            expr=closed,
            residual=None if closed is not None else residual,
            lower=_si_bound(target, relation.lower),
            upper=_si_bound(target, relation.upper),
            guess=_si_bound(target, relation.guess),
        )
    derived, found = solve_algebraic_loops(derived)
    problems += found
    if found:
        return (), problems
    parameters = {v.name for v in model.variables.values() if v.role is VariableRole.PARAMETER}
    derived, found = _inline_integrands(derived, set(averaged), parameters)
    problems += found
    if found:
        return (), problems
    graph = _dependencies(derived)
    return tuple(derived[name] for name in nx.lexicographical_topological_sort(graph)), problems


def _averages(model: Model) -> dict[str, DerivedIR]:
    """Each averaging bridge over random parameters: its target is the expectation of its
    source over them (the integrand is inlined later, see ``_inline_integrands``)."""
    found: dict[str, DerivedIR] = {}
    for bridge in sorted(model.bridges.values(), key=lambda b: b.iri):
        target = model.variables.get(bridge.target or "")
        if not bridge.over or target is None or len(bridge.sources) != 1:
            continue  # the validator reports a malformed one (STRUCTURE_AVERAGE_OVER)
        source = model.variables.get(bridge.sources[0])
        parameters = [model.variables.get(i) for i in bridge.over]
        if source is None or any(p is None or p.distribution is None for p in parameters):
            continue
        rules = []
        for parameter in parameters:
            assert parameter is not None and parameter.distribution is not None
            _text, scale, offset = unit_parts(parameter)
            kind = parameter.distribution.kind.value
            numbers = parameter.distribution.parameters
            first, second = (numbers[key] for key in PARAMETER_NAMES[kind])
            rules.append(rule_tuple(symbol_of(parameter), kind, first, second,
                                    bridge.nodes or DEFAULT_NODES, scale=scale,
                                    offset=offset))
        text, scale, offset = unit_parts(target)
        found[target.name] = DerivedIR(target.name, target.iri, text, scale, offset,
                                       expr=Expectation(symbol_of(source), sympy.Tuple(*rules)))
    return found


def _inline_integrands(derived: Mapping[str, DerivedIR], averaged: set[str],
                       parameters: set[str]) -> tuple[dict[str, DerivedIR], list[Diagnostic]]:
    """Each expectation's integrand in parameters alone: the derived quantities it uses are
    replaced by their expressions, so that the averaged parameters reach it."""
    out = dict(derived)
    problems: list[Diagnostic] = []
    closed = {d.symbol: d.expr for d in derived.values() if d.expr is not None}
    implicit = {d.symbol for d in derived.values() if d.expr is None}
    for name in sorted(averaged):
        item = derived[name]
        assert isinstance(item.expr, Expectation)
        integrand, rules = item.expr.args
        for _ in range(len(closed) + 1):
            uses = integrand.free_symbols & set(closed)
            if not uses:
                break
            integrand = integrand.xreplace({s: closed[s] for s in uses})
        if integrand.free_symbols & implicit or integrand.free_symbols & set(closed):
            problems.append(unsupported(
                f"the average '{name}' is of a quantity defined by an implicit relation or an "
                "algebraic loop, which an average over parameters does not lower yet",
                item.iri))
            continue
        states = sorted(s.name for s in integrand.free_symbols if s.name not in parameters)
        if states:
            problems.append(unsupported(
                f"the average '{name}' is of a quantity that depends on {', '.join(states)}, "
                "not on parameters alone; averaging a solved field over parameters (one run "
                "per quadrature point) is not lowered yet", item.iri))
            continue
        out[name] = dataclasses.replace(item, expr=Expectation(integrand, rules))
    return out, problems


def _dependencies(derived: Mapping[str, DerivedIR]) -> nx.DiGraph[str]:
    graph: nx.DiGraph[str] = nx.DiGraph()
    for name, item in derived.items():
        graph.add_node(name)
        uses = item.expr if item.expr is not None else item.residual
        assert uses is not None
        for symbol in uses.free_symbols:
            if symbol.name in derived and symbol.name != name:
                graph.add_edge(symbol.name, name)
    return graph


# Functions a closed form may use: those of the formula grammar, which the printer and both
# evaluators know (a solution in LambertW, say, is left to a numerical solve instead).
_GRAMMAR_FUNCTIONS = (
    sympy.exp, sympy.log, sympy.sin, sympy.cos, sympy.tan, sympy.sinh, sympy.cosh, sympy.tanh,
    sympy.atan, sympy.erf, sympy.erfc, sympy.Abs, sympy.Min, sympy.Max, sympy.Heaviside,
    sympy.sign,
)


def _printable(expr: sympy.Expr) -> bool:
    """A real expression in the grammar's functions only."""
    if expr.has(sympy.I):
        return False
    return all(isinstance(f, _GRAMMAR_FUNCTIONS) for f in expr.atoms(sympy.Function))


def solve_algebraic_loops(
    derived: Mapping[str, DerivedIR],
) -> tuple[dict[str, DerivedIR], list[Diagnostic]]:
    """Break each algebraic loop by solving its relations together, in closed form.

    A loop (relations that define each other, ``x = a - y/2`` and ``y = b + x/3``) is one
    block of equations; when SymPy solves the block for its unknowns with exactly one
    solution, each unknown gets its closed form and the loop is gone.  A block SymPy cannot
    solve that way is refused (a numerical block solve is not lowered yet).
    """
    solved = dict(derived)
    problems: list[Diagnostic] = []
    for block in nx.strongly_connected_components(_dependencies(solved)):
        if len(block) < 2:
            continue
        names = sorted(block)
        unknowns = [solved[n].symbol for n in names]
        equations = []
        for n in names:
            item = solved[n]
            equations.append(item.residual if item.expr is None else item.symbol - item.expr)
        try:
            solutions = sympy.solve(equations, unknowns, dict=True)
        except (NotImplementedError, ValueError, TypeError):
            solutions = []
        real = [s for s in solutions
                if set(s) == set(unknowns) and all(_printable(v) for v in s.values())]
        if len(real) != 1:
            problems.append(unsupported(
                "an algebraic loop (" + ", ".join(names) + ") that SymPy cannot solve in "
                "closed form needs a numerical block solve, which is not lowered yet",
                solved[names[0]].iri))
            continue
        for n, unknown in zip(names, unknowns, strict=True):
            solved[n] = dataclasses.replace(solved[n], expr=real[0][unknown], residual=None)
    return solved, problems


def interpolate_table(
    table: Table, argument: sympy.Symbol, variable: Variable, scale: float, offset: float
) -> sympy.Expr:
    """A table as a SymPy expression in SI: linear between the points, constant beyond them.

    The argument values are in the table's own argument unit (or the argument variable's), the
    values in the owner's unit; both are converted to SI here, once.

    >>> from scalebridge.model.dimensions import parse_unit
    >>> from scalebridge.model.types import Table, Variable, VariableRole
    >>> T = Variable(iri="urn:x:T", role=VariableRole.FIELD, symbol="T", name="T", label="",
    ...              unit=parse_unit("K"))
    >>> t = Table(iri="_:t", argument="urn:x:T", arguments=(300.0, 600.0), values=(10.0, 40.0),
    ...           argument_unit=None)
    >>> x = sympy.Symbol("T", real=True)
    >>> e = interpolate_table(t, x, T, 1.0, 0.0)
    >>> [float(e.subs(x, v)) for v in (200.0, 450.0, 900.0)]
    [10.0, 25.0, 40.0]
    """
    unit = table.argument_unit or variable.unit
    xs = [unit.to_si(a) if unit is not None else a for a in table.arguments]
    ys = [v * scale + offset for v in table.values]
    if len(xs) == 1:
        return sympy.Float(ys[0])
    pieces: list[tuple[sympy.Expr, sympy.Basic]] = [(sympy.Float(ys[0]), argument < xs[0])]
    for (x0, y0), (x1, y1) in itertools.pairwise(zip(xs, ys, strict=True)):
        slope = (y1 - y0) / (x1 - x0)
        pieces.append((sympy.Float(y0) + sympy.Float(slope) * (argument - sympy.Float(x0)),
                       argument < x1))
    pieces.append((sympy.Float(ys[-1]), sympy.true))
    return sympy.Piecewise(*pieces)


def _closed_form(residual: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr | None:
    """The one solution of residual = 0 for ``symbol``, when SymPy finds exactly one."""
    try:
        solutions = sympy.solve(residual, symbol, dict=False)
    except (NotImplementedError, ValueError, TypeError):
        return None
    real = [s for s in solutions if _printable(s)]
    return real[0] if len(real) == 1 else None


def _si_bound(variable: Variable, value: float | None) -> float | None:
    if value is None:
        return None
    return variable.unit.to_si(value) if variable.unit is not None else value


# -- schedule --------------------------------------------------------------------------------


# The largest 2-D grid (cells) an implicit step factors: a sparse LU of a 2-D Laplacian grows
# like N^1.5 in memory, about 1 GB at 512 x 512; beyond it explicit steps are the only
# affordable ones (and their stability limit is then small anyway).  A 1-D grid is tridiagonal
# and always factors.
_LARGEST_LU = 512 * 512


def schedule(model: Model, submodel: Submodel, balances: Balances,
             fastest: float | None) -> tuple[ScheduleIR | None, list[Diagnostic]]:
    """Duration, output interval, step and method of a submodel."""
    if balances.fields and all(f.steady for f in balances.fields):
        return ScheduleIR(0.0, 1.0, None, Method.STEADY), []  # one solution, at t = 0
    if any(f.steady for f in balances.fields):
        return None, [unsupported("a submodel mixes steady and transient fields; put the "
                                  "steady ones in a submodel of their own", submodel.iri)]
    duration = si_value(model, submodel.duration) or si_value(model, model.duration)
    if duration is None and submodel.time_scale is not None:
        duration = si_value(model, submodel.time_scale.extent)  # one run of a fine model
    if duration is None or duration <= 0:
        return None, [
            Diagnostic.make(
                Code.COMPOSE_NO_DURATION,
                f"submodel '{submodel.name}' has no sb:duration (nor a declared time extent), "
                "so it cannot be run",
                subject=submodel.iri,
            )
        ]
    interval = si_value(model, submodel.output_interval) or duration / 100.0
    interval = duration / max(1, round(duration / interval))
    declared_step = si_value(model, submodel.time_step)
    grain = (
        si_value(model, submodel.time_scale.grain) if submodel.time_scale is not None else None
    )
    if balances.motion is not None:
        return ScheduleIR(duration, interval, declared_step, Method.VERLET), []
    if balances.fields:
        implicit = all(
            f.velocity is None and f.source_linear
            and (len(f.grid.cells) == 1 or math.prod(f.grid.cells) <= _LARGEST_LU)
            # a Robin coefficient that varies in time would change the factored matrix
            and not any(b.coefficient is not None and T in b.coefficient.free_symbols
                        for b in f.boundaries)
            for f in balances.fields
        )
        method = Method.IMPLICIT if implicit else Method.EXPLICIT
        if any(f.nonlinear_coefficients or f.timed_coefficients for f in balances.fields):
            # k(u): an explicit step limit taken from the initial state could be broken
            # later, so a stiff integrator (which also controls its error) takes the run;
            # k(t) or C(t) likewise, which a factored matrix or a fixed step would freeze.
            method = Method.STIFF
        step = declared_step or grain or fastest
        if method is Method.STIFF:
            step = None
        elif method is Method.IMPLICIT:
            step = step if step is not None and step > 0 else interval / 10.0
            step = interval / max(1, math.ceil(interval / step - 1e-9))
        elif declared_step is None:
            step = None  # the solver takes the largest stable step
    else:
        linear = balances.compartments is not None and balances.compartments.linear
        method = Method.PROPAGATOR if linear else Method.STIFF
        step = None
    return ScheduleIR(duration, interval, step, method), []


# -- the whole -------------------------------------------------------------------------------


def lower(
    model: Model, source_sha256: str, fastest: Mapping[IRI, float] | None = None
) -> ProgramIR:
    """The IR of ``model``; raises :class:`CompositionError` for what cannot be lowered.

    ``fastest`` maps a submodel to the fastest time scale (s) that the timescale analysis
    estimated for it, used for the step of implicit methods when none is declared.
    """
    parameters, problems = collect_parameters(model)
    derived, found = order_assignments(model)
    problems += found
    submodels: list[SubmodelIR] = []
    for submodel in sorted(model.submodels.values(), key=lambda s: s.iri):
        balances, found = build_rates(model, submodel, derived)
        problems += found
        if balances.compartments is not None and balances.fields:
            problems.append(unsupported("a submodel with both compartments and grids needs a "
                                         "coupling of its own parts; split it", submodel.iri))
            continue
        if not balances.states:
            continue  # a static submodel: its relations are evaluated with the parameters
        plan, found = schedule(model, submodel, balances, (fastest or {}).get(submodel.iri))
        problems += found
        if plan is None:
            continue
        submodels.append(
            SubmodelIR(submodel.name, submodel.iri, submodel.label or submodel.name,
                       balances.states, balances.compartments, balances.fields, plan,
                       balances.motion)
        )
    inputs, exchanges, coupling, found = lower_couplings(model, tuple(submodels), derived)
    problems += found
    if coupling is None or coupling.handshake is None:
        problems += [unsupported("an equation of motion runs inside a handshake (a chain or a "
                                 "bar on its own is not lowered yet)", s.iri)
                     for s in submodels if s.motion is not None]
    energies, found = lower_energies(model, derived)
    problems += found
    if problems:
        raise CompositionError(problems)
    return ProgramIR(
        inputs=inputs,
        exchanges=exchanges,
        coupling=coupling,
        energies=energies,
        expansions=tuple(sorted(
            (model.variables[b.target].name, b.polynomial_order)
            for b in model.bridges.values()
            if b.over and b.polynomial_order is not None and b.target is not None
            and b.target in model.variables)),
        model_iri=model.iri or "",
        label=model.label,
        source_sha256=source_sha256,
        version=__version__,
        parameters=parameters,
        derived=derived,
        submodels=tuple(submodels),
    )
