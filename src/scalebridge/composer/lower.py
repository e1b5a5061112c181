"""Lowering: the typed model becomes the IR, by small pure passes with verb names.

``lower(model, source_sha256)`` runs, in order:

* :func:`collect_parameters`: every parameter with a value, in SI (a random parameter takes
  its nominal value: mean, median or midpoint);
* :func:`order_assignments`: algebraic variables, each defined by an algebraic relation (its
  expression) or an implicit one (an equation, solved in closed form by SymPy when it has one
  solution, else left to a root finder), in an order where each comes after what it uses;
* :func:`build_rates`: per submodel, the balances of compartment fields become rates
  dy/dt = (terms + exchanges) / capacity, with generated exchange terms (transfers and carrier
  flows, from :func:`scalebridge.model.junctions.exchanges`) and the analytic Jacobian; the
  balances of fields on grids become field problems (diffusion, advection, pointwise source,
  boundary conditions);
* :func:`schedule`: the method (an exact propagator for linear compartments, BDF for
  nonlinear ones, an implicit step for linear field problems, a stable explicit one otherwise)
  and the time step, from the declared step, else the declared time grain, else the fastest
  time scale that the validator's timescale analysis estimated.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import sympy

from scalebridge import __version__
from scalebridge.composer.ir import (
    BoundaryIR,
    CompartmentSystemIR,
    CouplingIR,
    DerivedIR,
    EnergyIR,
    ExchangeIR,
    FieldProblemIR,
    GridIR,
    InputIR,
    Method,
    ParameterIR,
    ProgramIR,
    ScheduleIR,
    StateIR,
    SubmodelIR,
    T,
    X,
    Y,
)
from scalebridge.diagnostics import Code, Diagnostic
from scalebridge.model.analysis import formula_measure, measures, si_value
from scalebridge.model.dimensions import Dimension
from scalebridge.model.junctions import exchanges, formula_expression, si_expression
from scalebridge.model.types import (
    IRI,
    BridgeKind,
    ConditionKind,
    CouplingKind,
    DistributionKind,
    DomainKind,
    Equation,
    Model,
    RelationKind,
    Submodel,
    Table,
    TermKind,
    Variable,
    VariableRole,
)

__all__ = ["CompositionError", "lower"]


class CompositionError(Exception):
    """The model cannot be lowered; ``diagnostics`` say where and why."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("; ".join(d.message for d in self.diagnostics))


def _unsupported(message: str, subject: IRI | None, hint: str | None = None) -> Diagnostic:
    return Diagnostic.make(Code.COMPOSE_UNSUPPORTED, message, subject=subject, hint=hint)


_QUDT_UNIT = "http://qudt.org/vocab/unit/"


def _unit_parts(variable: Variable) -> tuple[str, float, float]:
    """(unit as written, shortened to unit:X for a QUDT IRI; SI scale; SI offset)."""
    unit = variable.unit
    if unit is None:
        return "1", 1.0, 0.0
    text = unit.text
    if text.startswith(_QUDT_UNIT):
        text = "unit:" + text[len(_QUDT_UNIT):]
    return text, unit.scale, unit.offset


def _symbol(variable: Variable) -> sympy.Symbol:
    return sympy.Symbol(variable.name, real=True)


# -- parameters ------------------------------------------------------------------------------


def collect_parameters(model: Model) -> tuple[tuple[ParameterIR, ...], list[Diagnostic]]:
    """Every parameter that has a value, in SI, sorted by name."""
    found: list[ParameterIR] = []
    problems: list[Diagnostic] = []
    for variable in model.variables.values():
        if variable.role is not VariableRole.PARAMETER or variable.provided_by is not None:
            continue  # a bridged parameter is an input (see lower_couplings)
        declared = _declared_value(variable)
        if declared is None:
            continue  # a table (see order_assignments)
        text, scale, offset = _unit_parts(variable)
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


def _declared_value(variable: Variable) -> float | None:
    if variable.value is not None:
        return variable.value
    distribution = variable.distribution
    if distribution is None:
        return None
    p = distribution.parameters
    if distribution.kind is DistributionKind.NORMAL:
        return p.get("mean")
    if distribution.kind is DistributionKind.LOG_NORMAL:
        return p.get("median")
    lower, upper = p.get("lower"), p.get("upper")
    return None if lower is None or upper is None else (lower + upper) / 2.0


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
            text, scale, offset = _unit_parts(variable)
            derived[variable.name] = DerivedIR(
                variable.name, variable.iri, text, scale, offset,
                expr=interpolate_table(table, _symbol(argument), argument, scale, offset),
            )
    for relation in sorted(model.relations.values(), key=lambda r: r.iri):
        target = model.variables.get(relation.target) if relation.target else None
        if relation.kind is RelationKind.ENERGY or target is None:
            continue  # energy functionals: see lower_energies
        text, scale, offset = _unit_parts(target)
        expr = formula_expression(model, relation.formula)
        symbol = _symbol(target)
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
    graph = _dependencies(derived)
    return tuple(derived[name] for name in nx.lexicographical_topological_sort(graph)), problems


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
            problems.append(_unsupported(
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


def inline_derived(expr: sympy.Expr, derived: Iterable[DerivedIR]) -> sympy.Expr:
    """``expr`` with every closed-form derived quantity replaced by its expression."""
    closed = {d.symbol: d.expr for d in derived if d.expr is not None}
    for _ in range(len(closed) + 1):
        replaced = expr.xreplace(closed)
        if replaced == expr:
            return expr
        expr = replaced
    return expr


# -- rates and field problems ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Balances:
    compartments: CompartmentSystemIR | None
    fields: tuple[FieldProblemIR, ...]
    states: tuple[StateIR, ...]


def _term_rate(model: Model, equation: Equation) -> tuple[sympy.Expr, list[Diagnostic]]:
    """The pointwise terms (sources, reactions, sinks) of a balance, in SI amount rates."""
    total: sympy.Expr = sympy.Integer(0)
    problems: list[Diagnostic] = []
    for term in equation.terms:
        if term.kind in (TermKind.DIFFUSION, TermKind.ADVECTION, TermKind.TRANSFER):
            continue
        if term.expression is None:
            problems.append(_unsupported("a term without an sb:expression", term.iri))
            continue
        expr = formula_expression(model, term.expression)
        total += -expr if term.kind is TermKind.SINK else expr
    return total, problems


def _exchange_rates(model: Model, fields: set[IRI]) -> dict[IRI, sympy.Expr]:
    """Net amount rate into each field's balance from transfers and carrier flows (SI)."""
    net: dict[IRI, sympy.Expr] = {}
    for exchange in exchanges(model):
        if exchange.flow is not None:
            rate = si_expression(model, exchange.flow.rate)
            leaving = si_expression(model, exchange.leaving)
            if leaving is None:
                leaving = _symbol(model.variables[exchange.source])
            amount = None if rate is None else rate * leaving
        else:
            amount = si_expression(model, exchange.rate)
        if amount is None:
            continue
        if exchange.source in fields:
            net[exchange.source] = net.get(exchange.source, sympy.Integer(0)) - amount
        if exchange.target is not None and exchange.target in fields:
            net[exchange.target] = net.get(exchange.target, sympy.Integer(0)) + amount
    return net


def _state(model: Model, equation: Equation) -> StateIR:
    variable = model.variables[equation.field]
    text, scale, offset = _unit_parts(variable)
    initial: sympy.Expr
    if isinstance(variable.initial, float):
        initial = sympy.Float(variable.initial * scale + offset)
    elif variable.initial is None:
        initial = sympy.Integer(0)
    else:
        expr = formula_expression(model, variable.initial)
        formula = variable.initial.formula
        if not variable.initial.bindings and not formula.unit_literals:
            expr = expr * sympy.Float(scale) + sympy.Float(offset)  # numbers: declared unit
        initial = expr
    return StateIR(variable.name, variable.iri, variable.label or variable.symbol, text, scale,
                   offset, initial, equation.conserves)


def build_rates(
    model: Model, submodel: Submodel, derived: tuple[DerivedIR, ...]
) -> tuple[_Balances, list[Diagnostic]]:
    """The submodel's balances as a compartment system and field problems."""
    problems: list[Diagnostic] = []
    equations = [model.equations[i] for i in submodel.equations if i in model.equations]
    lumped: list[Equation] = []
    gridded: list[Equation] = []
    for equation in equations:
        if equation.steady:
            problems.append(_unsupported("steady balances are not lowered yet", equation.iri))
            continue
        variable = model.variables[equation.field]
        domain = model.domains.get(variable.domain or "")
        if domain is None:
            problems.append(_unsupported("the field of this balance has no domain", equation.iri))
        elif domain.kind is DomainKind.COMPARTMENT:
            lumped.append(equation)
        elif domain.kind in (DomainKind.INTERVAL, DomainKind.RECTANGLE):
            gridded.append(equation)
        else:
            problems.append(
                _unsupported(f"balances on a {domain.kind.value} are not lowered yet",
                             equation.iri)
            )
    states = [_state(model, e) for e in lumped + gridded]
    compartments = None
    if lumped:
        compartments, found = _compartment_system(model, lumped, derived)
        problems += found
    fields = []
    for equation in gridded:
        problem, found = _field_problem(model, equation, derived)
        problems += found
        if problem is not None:
            fields.append(problem)
    return _Balances(compartments, tuple(fields), tuple(states)), problems


def _compartment_system(
    model: Model, lumped: list[Equation], derived: tuple[DerivedIR, ...]
) -> tuple[CompartmentSystemIR, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    fields = {e.field for e in lumped}
    net = _exchange_rates(model, fields)
    symbols = [_symbol(model.variables[e.field]) for e in lumped]
    rates: list[sympy.Expr] = []
    capacities: list[sympy.Expr] = []
    for equation in lumped:
        terms, found = _term_rate(model, equation)
        problems += found
        capacity = si_expression(model, equation.capacity)
        capacity = sympy.Integer(1) if capacity is None else capacity
        capacities.append(inline_derived(capacity, derived))
        total = terms + net.get(equation.field, sympy.Integer(0))
        rates.append(inline_derived(total / capacity, derived))
    jacobian = tuple(tuple(sympy.diff(rate, s) for s in symbols) for rate in rates)
    state_set = set(symbols) | {T}
    linear = all(not (entry.free_symbols & state_set) for row in jacobian for entry in row)
    offset: tuple[sympy.Expr, ...] = ()
    if linear:
        zero = dict.fromkeys(symbols, sympy.Integer(0))
        offset = tuple(rate.xreplace(zero) for rate in rates)
        linear = all(T not in o.free_symbols for o in offset)
    return (
        CompartmentSystemIR(
            states=tuple(s.name for s in symbols),
            rates=tuple(rates),
            jacobian=jacobian,
            capacities=tuple(capacities),
            linear=linear,
            matrix=jacobian if linear else (),
            offset=offset if linear else (),
        ),
        problems,
    )


_SIDES = {"left", "right", "bottom", "top"}


def _field_problem(
    model: Model, equation: Equation, derived: tuple[DerivedIR, ...]
) -> tuple[FieldProblemIR | None, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    variable = model.variables[equation.field]
    domain = model.domains[variable.domain or ""]
    if domain.kind is DomainKind.INTERVAL:
        sizes = [si_value(model, domain.length)]
    else:
        sizes = [si_value(model, domain.width), si_value(model, domain.height)]
    if any(s is None or s <= 0 for s in sizes) or len(domain.cells) != len(sizes):
        problems.append(_unsupported("the domain's size must be a positive constant",
                                     domain.iri))
        return None, problems
    grid = GridIR(tuple(float(s) for s in sizes if s is not None), tuple(domain.cells))
    u = _symbol(variable)
    diffusivity: sympy.Expr | None = None
    velocity: tuple[sympy.Expr, ...] | None = None
    for term in equation.terms:
        if term.kind is TermKind.DIFFUSION:
            k = si_expression(model, term.coefficient)
            if k is None:
                problems.append(_unsupported("a diffusion term needs sb:coefficient", term.iri))
                continue
            k = inline_derived(k, derived)
            if u in k.free_symbols:
                problems.append(_unsupported("a diffusivity that depends on the field itself "
                                             "(nonlinear diffusion) is not lowered yet",
                                             term.iri))
            diffusivity = k if diffusivity is None else diffusivity + k
        elif term.kind is TermKind.ADVECTION:
            parts = [si_expression(model, term.velocity)]
            if len(sizes) == 2:
                parts.append(si_expression(model, term.velocity_y) or sympy.Integer(0))
            if parts[0] is None:
                problems.append(_unsupported("an advection term needs sb:velocity", term.iri))
                continue
            velocity = tuple(inline_derived(p, derived) for p in parts if p is not None)
        elif term.kind is TermKind.TRANSFER:
            problems.append(_unsupported("transfers into a field on a grid are not lowered "
                                         "yet", term.iri))
    source, found = _term_rate(model, equation)
    problems += found
    source = inline_derived(source, derived)
    capacity = si_expression(model, equation.capacity)
    capacity = inline_derived(sympy.Integer(1) if capacity is None else capacity, derived)
    slope = sympy.diff(source, u)
    source_linear = u not in slope.free_symbols
    boundaries: list[BoundaryIR] = []
    for boundary in domain.boundaries:
        if boundary.field is not None and boundary.field != equation.field:
            continue
        condition = boundary.condition
        if condition.kind is ConditionKind.FORCED:
            bridge = model.bridges.get(condition.forced_by or "")
            if bridge is None:
                problems.append(_unsupported("a forced boundary without its bridge",
                                             boundary.iri))
                continue
            boundaries.append(BoundaryIR(side=boundary.side.value, kind="dirichlet",
                                         value=sympy.Symbol(forced_input(bridge.name),
                                                            real=True)))
            continue

        def si(spec: object) -> sympy.Expr | None:
            expr = si_expression(model, spec)  # type: ignore[arg-type]
            return None if expr is None else inline_derived(expr, derived)

        boundaries.append(
            BoundaryIR(
                side=boundary.side.value,
                kind=condition.kind.value,
                value=si(condition.value),
                flux=si(condition.flux),
                coefficient=si(condition.coefficient),
                ambient=si(condition.ambient),
            )
        )
    return (
        FieldProblemIR(
            state=variable.name,
            grid=grid,
            capacity=capacity,
            diffusivity=diffusivity,
            velocity=velocity,
            source=source,
            boundaries=tuple(sorted(boundaries, key=lambda b: b.side)),
            source_linear=source_linear,
        ),
        problems,
    )


# -- energy functionals ----------------------------------------------------------------------


def lower_energies(model: Model) -> tuple[tuple[EnergyIR, ...], list[Diagnostic]]:
    """Each energy functional with its strains, internal variables and the SI units of its
    stiffness (energy over the product of two strains) and stress (energy over a strain)."""
    found: list[EnergyIR] = []
    problems: list[Diagnostic] = []
    env = measures(model)
    for relation in sorted(model.relations.values(), key=lambda r: r.iri):
        if relation.kind is not RelationKind.ENERGY:
            continue
        strains = [model.variables[i] for i in relation.strain_variables if i in model.variables]
        internals = [model.variables[i] for i in relation.internal_variables
                     if i in model.variables]
        if not strains:
            problems.append(_unsupported("an energy functional needs sb:strainVariables",
                                         relation.iri))
            continue
        energy = formula_expression(model, relation.formula)
        allowed = {_symbol(v) for v in model.variables.values()
                   if v.role in (VariableRole.PARAMETER, VariableRole.ALGEBRAIC)}
        if not energy.free_symbols <= allowed | {_symbol(v) for v in strains + internals}:
            problems.append(_unsupported("an energy functional of fields (a state) is not "
                                         "lowered yet", relation.iri))
            continue
        measure = formula_measure(relation.formula, env).measure.dimension

        def per(dimension: Dimension | None, *divisors: Variable) -> str:
            if dimension is None:
                return "SI (unknown dimension)"
            for divisor in divisors:
                if divisor.unit is None:
                    return "SI (unknown dimension)"
                dimension = dimension / divisor.unit.dimension
            return dimension.to_si_string() or "1"

        found.append(EnergyIR(
            name=relation.name,
            iri=relation.iri,
            energy=energy,
            strains=tuple(v.name for v in strains),
            internals=tuple(v.name for v in internals),
            strain_values=tuple(
                v.name if v.role is VariableRole.PARAMETER and _declared_value(v) is not None
                else None for v in strains),
            units=tuple(tuple(per(measure, a, b) for b in strains) for a in strains),
            stress_units=tuple(per(measure, a) for a in strains),
        ))
    return tuple(found), problems


# -- kernels ---------------------------------------------------------------------------------


def uses_stencil_kernel(problem: FieldProblemIR, method: Method) -> bool:
    """True when an explicit 2-D problem is the constant-coefficient periodic
    diffusion-reaction that :mod:`scalebridge.solvers.stencil` computes (with a compiled,
    parallel kernel when numba is installed): no advection, diffusivity and capacity free of
    the field, the coordinates and time, a source affine in the field with such coefficients,
    and periodic sides all round.  The finite-volume operators and the stencil give the same
    5-point Laplacian there, so the choice changes speed, not results.
    """
    if method is not Method.EXPLICIT or len(problem.grid.cells) != 2:
        return False
    if problem.velocity is not None or not problem.source_linear:
        return False
    if {b.kind for b in problem.boundaries} != {"periodic"} or len(problem.boundaries) != 4:
        return False
    varying = {X, Y, T, sympy.Symbol(problem.state, real=True)}
    u = sympy.Symbol(problem.state, real=True)
    parts = [problem.capacity, problem.diffusivity or sympy.Integer(0),
             sympy.diff(problem.source, u), problem.source.xreplace({u: sympy.Integer(0)})]
    return all(not (part.free_symbols & varying) for part in parts)


# -- common subexpressions -------------------------------------------------------------------


def eliminate_common_subexpressions(
    exprs: Sequence[sympy.Expr], prefix: str = "_t"
) -> tuple[list[tuple[sympy.Symbol, sympy.Expr]], list[sympy.Expr]]:
    """Temporaries ``[(symbol, expression), ...]`` and ``exprs`` rewritten to use them.

    A subexpression that occurs more than once (a volume times a flow, ``Q/Kp``) is computed
    once; the temporaries' names start with ``prefix`` (``_t0``, ``_t1``...), which no name
    from a model can (names may not start with an underscore).

    >>> a, b = sympy.symbols("a b", real=True)
    >>> eliminate_common_subexpressions([(a + b) ** 2, 1 / (a + b)])
    ([(_t0, a + b)], [_t0**2, 1/_t0])
    """
    temporaries, reduced = sympy.cse(
        list(exprs), symbols=sympy.numbered_symbols(prefix, real=True), optimizations=None
    )
    return list(temporaries), list(reduced)


# -- schedule --------------------------------------------------------------------------------


# The largest 2-D grid (cells) an implicit step factors: a sparse LU of a 2-D Laplacian grows
# like N^1.5 in memory, about 1 GB at 512 x 512; beyond it explicit steps are the only
# affordable ones (and their stability limit is then small anyway).  A 1-D grid is tridiagonal
# and always factors.
_LARGEST_LU = 512 * 512


def schedule(model: Model, submodel: Submodel, balances: _Balances,
             fastest: float | None) -> tuple[ScheduleIR | None, list[Diagnostic]]:
    """Duration, output interval, step and method of a submodel."""
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
    if balances.fields:
        implicit = all(
            f.velocity is None and f.source_linear
            and (len(f.grid.cells) == 1 or math.prod(f.grid.cells) <= _LARGEST_LU)
            for f in balances.fields
        )
        method = Method.IMPLICIT if implicit else Method.EXPLICIT
        step = declared_step or grain or fastest
        if method is Method.IMPLICIT:
            step = step if step is not None and step > 0 else interval / 10.0
            step = interval / max(1, math.ceil(interval / step - 1e-9))
        elif declared_step is None:
            step = None  # the solver takes the largest stable step
    else:
        linear = balances.compartments is not None and balances.compartments.linear
        method = Method.PROPAGATOR if linear else Method.STIFF
        step = None
    return ScheduleIR(duration, interval, step, method), []


# -- couplings -------------------------------------------------------------------------------


def forced_input(bridge_name: str) -> str:
    """The name of the input that holds the value a bridge forces on a boundary."""
    return f"{bridge_name}_forcing"


_LOWERED_BRIDGES = {
    BridgeKind.HOMOGENIZATION, BridgeKind.AVERAGING, BridgeKind.LOCALIZATION,
    BridgeKind.PARAMETER_PASSING, BridgeKind.BOUNDARY_FORCING,
}


def lower_couplings(
    model: Model, submodels: tuple[SubmodelIR, ...]
) -> tuple[tuple[InputIR, ...], tuple[ExchangeIR, ...], CouplingIR | None, list[Diagnostic]]:
    """Bridges as exchanges between submodels, and the schedule of the coupled run.

    A bridge reads fields of submodels (each submodel shows the mean of its field) or
    parameters, and writes a parameter that names it in sb:providedBy, or the value of a
    boundary it forces.  A hierarchical coupling calls its finer submodel (the shorter run)
    whole whenever its results are needed; concurrent couplings and one-way nestings advance
    together, exchanging every macro step (the shortest output interval among them).
    """
    problems: list[Diagnostic] = []
    states = {s.name: sub.name for sub in submodels for s in sub.states}
    variables_by_name = {v.name: v for v in model.variables.values()}
    inputs: list[InputIR] = []
    exchanges: list[ExchangeIR] = []
    for bridge in sorted(model.bridges.values(), key=lambda b: b.iri):
        if bridge.kind not in _LOWERED_BRIDGES or bridge.table is not None or bridge.through:
            problems.append(_unsupported(
                f"a {bridge.kind.value.replace('_', ' ')} bridge through a table, a surrogate "
                "or a blending region is not lowered yet", bridge.iri))
            continue
        sources: list[tuple[str, str]] = []
        for iri in bridge.sources:
            variable = model.variables.get(iri)
            if variable is None:
                continue
            if variable.name in states:
                sources.append((states[variable.name], variable.name))
            elif variable.role in (VariableRole.PARAMETER, VariableRole.ALGEBRAIC):
                sources.append(("", variable.name))
            else:
                problems.append(_unsupported("a bridge source that is neither a field of a "
                                             "composed submodel nor a parameter", bridge.iri))
        target = model.variables.get(bridge.target or "")
        if target is not None and target.provided_by == bridge.iri:
            name, unit_of = target.name, target
        elif bridge.kind is BridgeKind.BOUNDARY_FORCING and target is not None:
            name, unit_of = forced_input(bridge.name), target
            if name in variables_by_name:
                problems.append(_unsupported("a forced boundary's input clashes with a "
                                             "variable's name", bridge.iri))
                continue
        else:
            problems.append(_unsupported("a bridge's target must be a parameter that names "
                                         "it in sb:providedBy, or a forced field",
                                         bridge.iri))
            continue
        text, scale, offset = _unit_parts(unit_of)
        default = _declared_value(unit_of) if unit_of is target and name == target.name else None
        inputs.append(InputIR(name, unit_of.iri, text, scale, offset,
                              math.nan if default is None else default * scale + offset))
        exchanges.append(ExchangeIR(bridge.name, bridge.iri, bridge.kind.value, tuple(sources),
                                    name, bridge.weights))
    coupling = None
    if model.couplings and submodels:
        by_iri = {s.iri: s for s in submodels}
        called: set[str] = set()
        listed = []
        for c in sorted(model.couplings.values(), key=lambda c: c.iri):
            members = [by_iri[i] for i in c.submodels if i in by_iri]
            listed.append((c.iri, c.kind.value, tuple(m.name for m in members)))
            if c.kind is CouplingKind.HIERARCHICAL and len(members) == 2:
                fine = min(members, key=lambda m: (m.schedule.duration, m.name))
                called.add(fine.name)
        lockstep = [s for s in submodels if s.name not in called]
        if not lockstep:
            problems.append(_unsupported("every submodel is the fine side of a hierarchical "
                                         "coupling: nothing drives them", None))
        else:
            coupling = CouplingIR(
                couplings=tuple(listed),
                called=tuple(sorted(called)),
                horizon=max(s.schedule.duration for s in lockstep),
                macro_step=min(s.schedule.output_interval for s in lockstep),
            )
    return tuple(inputs), tuple(exchanges), coupling, problems


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
            problems.append(_unsupported("a submodel with both compartments and grids needs a "
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
                       balances.states, balances.compartments, balances.fields, plan)
        )
    inputs, exchanges, coupling, found = lower_couplings(model, tuple(submodels))
    problems += found
    energies, found = lower_energies(model)
    problems += found
    if problems:
        raise CompositionError(problems)
    return ProgramIR(
        inputs=inputs,
        exchanges=exchanges,
        coupling=coupling,
        energies=energies,
        model_iri=model.iri or "",
        label=model.label,
        source_sha256=source_sha256,
        version=__version__,
        parameters=parameters,
        derived=derived,
        submodels=tuple(submodels),
    )
