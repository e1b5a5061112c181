"""Lowering balances: compartment rates (with generated exchange terms and their Jacobian) and
field problems on grids (diffusion, advection, pointwise sources, boundary conditions)."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from scalebridge.composer.couplings import forced_input, profile_positions
from scalebridge.composer.ir import (
    BoundaryIR,
    CompartmentSystemIR,
    DerivedFieldIR,
    DerivedIR,
    FaceIR,
    FieldProblemIR,
    FluxIR,
    GridIR,
    MotionIR,
    StateIR,
    T,
    X,
    Y,
)
from scalebridge.composer.motion import lower_motion
from scalebridge.composer.support import (
    initial_expression,
    inline_derived,
    symbol_of,
    unit_parts,
    unsupported,
)
from scalebridge.diagnostics import Diagnostic
from scalebridge.model.analysis import si_value
from scalebridge.model.junctions import (
    carrier_transfers,
    exchanges,
    formula_expression,
    si_expression,
)
from scalebridge.model.types import (
    IRI,
    ConditionKind,
    DomainKind,
    Equation,
    Model,
    Submodel,
    TermKind,
    VariableRole,
)

__all__ = ["Balances", "build_rates"]


# -- rates and field problems ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Balances:
    compartments: CompartmentSystemIR | None
    fields: tuple[FieldProblemIR, ...]
    states: tuple[StateIR, ...]
    motion: MotionIR | None = None


def _term_rate(model: Model, equation: Equation) -> tuple[sympy.Expr, list[Diagnostic]]:
    """The pointwise terms (sources, reactions, sinks) of a balance, in SI amount rates."""
    total: sympy.Expr = sympy.Integer(0)
    problems: list[Diagnostic] = []
    for term in equation.terms:
        if term.kind in (TermKind.DIFFUSION, TermKind.ADVECTION, TermKind.TRANSFER):
            continue
        if term.expression is None:
            problems.append(unsupported("a term without an sb:expression", term.iri))
            continue
        expr = formula_expression(model, term.expression)
        total += -expr if term.kind is TermKind.SINK else expr
    return total, problems


def _exchange_rates(model: Model, fields: set[IRI]) -> dict[IRI, sympy.Expr]:
    """Net amount rate into each field's balance from transfers and carrier flows (SI).

    Carried amounts (flow rate x value leaving) are the junctions module's own; a standalone
    transfer moves its rate."""
    moved: list[tuple[IRI, IRI | None, sympy.Expr]] = [
        (t.source_field, t.target_field, t.rate) for t in carrier_transfers(model)
    ]
    for exchange in exchanges(model):
        amount = si_expression(model, exchange.rate) if exchange.flow is None else None
        if amount is not None:
            moved.append((exchange.source, exchange.target, amount))
    net: dict[IRI, sympy.Expr] = {}
    for source, target, amount in moved:
        if source in fields:
            net[source] = net.get(source, sympy.Integer(0)) - amount
        if target is not None and target in fields:
            net[target] = net.get(target, sympy.Integer(0)) + amount
    return net


def _state(model: Model, equation: Equation, derived: tuple[DerivedIR, ...] = ()) -> StateIR:
    variable = model.variables[equation.field]
    text, scale, offset = unit_parts(variable)
    initial = initial_expression(model, variable.initial, scale, offset)
    # a quantity that varies in time (a table against the clock) is taken at t = 0
    timed = {d.symbol: inline_derived(d.expr, derived) for d in derived if d.expr is not None}
    timed = {symbol: expr for symbol, expr in timed.items() if T in expr.free_symbols}
    if initial.free_symbols & set(timed):
        initial = initial.xreplace(timed).xreplace({T: sympy.Integer(0)})
    return StateIR(variable.name, variable.iri, variable.label or variable.symbol, text, scale,
                   offset, initial, equation.conserves)


def build_rates(
    model: Model, submodel: Submodel, derived: tuple[DerivedIR, ...]
) -> tuple[Balances, list[Diagnostic]]:
    """The submodel's balances as a compartment system and field problems."""
    problems: list[Diagnostic] = []
    equations = [model.equations[i] for i in submodel.equations if i in model.equations]
    lumped: list[Equation] = []
    gridded: list[Equation] = []
    steady: list[Equation] = []
    motions: list[Equation] = []
    for equation in equations:
        variable = model.variables[equation.field]
        domain = model.domains.get(variable.domain or "")
        if equation.of_motion:
            motions.append(equation)
        elif domain is None:
            problems.append(unsupported("the field of this balance has no domain", equation.iri))
        elif domain.kind is DomainKind.COMPARTMENT:
            (steady if equation.steady else lumped).append(equation)
        elif domain.kind in (DomainKind.INTERVAL, DomainKind.RECTANGLE):
            gridded.append(equation)
        else:
            problems.append(
                unsupported(f"balances on a {domain.kind.value} are not lowered yet",
                             equation.iri)
            )
    if motions:
        if len(equations) > 1:
            problems.append(unsupported("a submodel with an equation of motion has that "
                                        "equation alone; put the others in submodels of their "
                                        "own", submodel.iri))
            return Balances(None, (), ()), problems
        state = _state(model, motions[0])
        motion, found = lower_motion(model, motions[0], state, derived)
        problems += found
        return Balances(None, (), (state,), motion), problems
    states = [_state(model, e, derived) for e in lumped + steady + gridded]
    compartments = None
    if lumped:
        compartments, found = _compartment_system(model, lumped, derived, steady)
        problems += found
    elif steady:
        problems.append(unsupported("a submodel of steady balances alone has nothing to "
                                    "integrate: write them as relations", steady[0].iri))
    fields = []
    for equation in gridded:
        problem, found = _field_problem(model, equation, derived)
        problems += found
        if problem is not None:
            fields.append(problem)
    return Balances(compartments, tuple(fields), tuple(states)), problems


def _quasi_steady(
    model: Model, steady: list[Equation], net: dict[IRI, sympy.Expr],
    derived: tuple[DerivedIR, ...], problems: list[Diagnostic],
) -> dict[sympy.Symbol, sympy.Expr] | None:
    """The fields in quasi-steady state solved from their balances (terms + exchanges = 0),
    in closed form, as expressions of the other states; None (reported) when SymPy finds no
    single solution."""
    unknowns = [symbol_of(model.variables[e.field]) for e in steady]
    residuals = []
    for equation in steady:
        terms, found = _term_rate(model, equation)
        problems += found
        residuals.append(inline_derived(terms + net.get(equation.field, sympy.Integer(0)),
                                        derived))
    try:
        solutions = sympy.solve(residuals, unknowns, dict=True)
    except (NotImplementedError, ValueError, TypeError):
        solutions = []
    found_one = [s for s in solutions if set(s) == set(unknowns)]
    if len(found_one) != 1 or any(v.has(sympy.I) for v in found_one[0].values()):
        problems.append(unsupported("the steady balances have no single closed-form solution "
                                    "for their fields", steady[0].iri))
        return None
    solution: dict[sympy.Symbol, sympy.Expr] = found_one[0]
    return solution


def _compartment_system(
    model: Model, lumped: list[Equation], derived: tuple[DerivedIR, ...],
    steady: list[Equation] | None = None,
) -> tuple[CompartmentSystemIR, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    steady = steady or []
    fields = {e.field for e in lumped + steady}
    net = _exchange_rates(model, fields)
    symbols = [symbol_of(model.variables[e.field]) for e in lumped]
    eliminated = _quasi_steady(model, steady, net, derived, problems) if steady else {}
    eliminated = eliminated or {}
    steady_capacity = {}
    for equation in steady:
        capacity = si_expression(model, equation.capacity)
        steady_capacity[symbol_of(model.variables[equation.field])] = inline_derived(
            sympy.Integer(1) if capacity is None else capacity, derived)
    rates: list[sympy.Expr] = []
    capacities: list[sympy.Expr] = []
    for equation in lumped:
        terms, found = _term_rate(model, equation)
        problems += found
        capacity = si_expression(model, equation.capacity)
        capacity = sympy.Integer(1) if capacity is None else capacity
        capacities.append(inline_derived(capacity, derived))
        total = terms + net.get(equation.field, sympy.Integer(0))
        rate = inline_derived(total / capacity, derived).xreplace(eliminated)
        rates.append(sympy.simplify(rate) if eliminated else rate)
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
            steady=tuple((symbol.name, expr) for symbol, expr in eliminated.items()),
            steady_capacities=tuple(steady_capacity[symbol] for symbol in eliminated),
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
        problems.append(unsupported("the domain's size must be a positive constant",
                                     domain.iri))
        return None, problems
    grid = GridIR(tuple(float(s) for s in sizes if s is not None), tuple(domain.cells))
    u = symbol_of(variable)
    diffusivity: sympy.Expr | None = None
    velocity: tuple[sympy.Expr, ...] | None = None
    fluxes: list[FluxIR] = []
    for term in equation.terms:
        if term.kind is TermKind.DIFFUSION:
            k = si_expression(model, term.coefficient)
            if k is None:
                problems.append(unsupported("a diffusion term needs sb:coefficient", term.iri))
                continue
            k = inline_derived(k, derived)
            diffusivity = k if diffusivity is None else diffusivity + k
            for axis, iri in enumerate(term.flux_variables[:len(sizes)]):
                flux = model.variables.get(iri)
                if flux is not None:
                    text, scale, offset = unit_parts(flux)
                    fluxes.append(FluxIR(flux.name, flux.iri, text, scale, offset, axis, k))
        elif term.kind is TermKind.ADVECTION:
            parts = [si_expression(model, term.velocity)]
            if len(sizes) == 2:
                parts.append(si_expression(model, term.velocity_y) or sympy.Integer(0))
            if parts[0] is None:
                problems.append(unsupported("an advection term needs sb:velocity", term.iri))
                continue
            velocity = tuple(inline_derived(p, derived) for p in parts if p is not None)
            if any(u in v.free_symbols for v in velocity):
                problems.append(unsupported("a velocity that depends on the advected field "
                                             "itself (Burgers-like) is not lowered yet",
                                             term.iri))
            if any(T in v.free_symbols for v in velocity):
                problems.append(unsupported("an advection velocity that varies in time is not "
                                            "lowered yet (it would be frozen at its start)",
                                            term.iri))
        elif term.kind is TermKind.TRANSFER:
            problems.append(unsupported("transfers into a field on a grid are not lowered "
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
                problems.append(unsupported("a forced boundary without its bridge",
                                             boundary.iri))
                continue
            profile = profile_positions(model, bridge, domain, boundary.side.value) is not None
            boundaries.append(BoundaryIR(side=boundary.side.value, kind="dirichlet",
                                         value=sympy.Symbol(forced_input(bridge.name),
                                                            real=True), profile=profile))
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
    if velocity is not None and any(b.kind == "periodic" and b.value is not None
                                    for b in boundaries):
        problems.append(unsupported("advection across periodic sides with levels (a jump) is "
                                    "not lowered", domain.iri))
    for found_boundary in boundaries:
        given = (found_boundary.value, found_boundary.flux, found_boundary.coefficient,
                 found_boundary.ambient)
        if any(e is not None and u in e.free_symbols for e in given):
            problems.append(unsupported("a boundary condition whose value or coefficient "
                                        "depends on the field itself is not lowered yet",
                                        domain.iri))
            break
    faces, found = _faces(model, equation, domain.iri, len(sizes))
    problems += found
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
            steady=equation.steady,
            fluxes=tuple(fluxes),
            resistances=series_resistances(diffusivity, u, len(sizes)),
            derived_fields=_derived_fields(model, variable.iri, derived),
            faces=faces,
        ),
        problems,
    )


def _faces(model: Model, equation: Equation, domain: IRI, dimensions: int
           ) -> tuple[tuple[FaceIR, ...], list[Diagnostic]]:
    """The potential variables of the ports on the sides of ``domain`` that carry the field
    of ``equation``: each presents the field's value on its side's faces."""
    faces: list[FaceIR] = []
    problems: list[Diagnostic] = []
    joined = {p for j in model.junctions.values() for p in j.ports}
    joined |= {e for f in model.carrier_flows.values() for e in (f.source, f.target)}
    sides = ("left", "right", "bottom", "top")[: 2 * dimensions]
    for port in sorted(model.ports.values(), key=lambda p: p.iri):
        if port.domain != domain or port.field != equation.field:
            continue
        if port.iri in joined:
            problems.append(unsupported("a port on a grid joined by a junction or a carrier "
                                        "flow is not lowered yet", port.iri))
            continue
        variable = model.variables.get(port.potential_variable or "")
        if port.side is None or port.side.value not in sides or variable is None:
            problems.append(unsupported("a port on a grid presents the field's value on a "
                                        "side: it needs sb:at and an sb:potentialVariable",
                                        port.iri))
            continue
        if port.potential is not None:
            problems.append(unsupported("a port on a grid presents the field's value on its "
                                        "side; an sb:potential formula is not lowered there",
                                        port.iri))
            continue
        text, scale, offset = unit_parts(variable)
        faces.append(FaceIR(variable.name, variable.iri, text, scale, offset,
                            port.side.value))
    return tuple(faces), problems


# Functions with a kink or a jump: a coefficient built with them is a material that changes
# abruptly, which the harmonic mean of the cell values models (the jump on a face).
_NOT_SMOOTH = (sympy.Piecewise, sympy.Heaviside, sympy.Min, sympy.Max, sympy.Abs, sympy.sign,
               sympy.floor, sympy.ceiling)
# What an antiderivative may use: the functions the formula grammar (and so the printer and
# the interpreter) knows.
_PRINTABLE = (sympy.exp, sympy.log, sympy.sin, sympy.cos, sympy.tan, sympy.sinh, sympy.cosh,
              sympy.tanh, sympy.atan, sympy.erf, sympy.erfc)


def series_resistances(k: sympy.Expr | None, u: sympy.Symbol, dimensions: int
                       ) -> tuple[sympy.Expr, ...] | None:
    """Per axis, an antiderivative of 1/k along that axis (SI): each half cell's resistance
    is then a difference of it, and each face conducts as the resistances in series that k
    puts between two cell centres, exactly.  Only for a k that varies smoothly with the
    coordinates (not with the field or the time, and without piecewise parts, which model
    materials meeting at a face: those keep the harmonic mean of the cell values) and whose
    reciprocal SymPy integrates in closed form; None otherwise.

    >>> a = sympy.Symbol("a", real=True)
    >>> along_x, along_y = series_resistances(a * (Y + 2), sympy.Symbol("u", real=True), 2)
    >>> along_x
    x/(a*(y + 2))
    >>> sympy.simplify(sympy.diff(along_y, Y) - 1 / (a * (Y + 2)))  # SymPy picks the constant
    0
    """
    coordinates = (X, Y)[:dimensions]
    if k is None or u in k.free_symbols or not (k.free_symbols & set(coordinates)):
        return None
    if T in k.free_symbols:
        return None  # a k(t) is evaluated afresh at each time; resistances are set up once
    if any(k.has(f) for f in _NOT_SMOOTH) or k.atoms(sympy.Function) - k.atoms(*_PRINTABLE):
        return None
    found = []
    for axis in coordinates:
        try:
            integral = sympy.integrate(1 / k, axis)
        except (NotImplementedError, ValueError, TypeError):  # pragma: no cover - SymPy's
            return None
        functions = integral.atoms(sympy.Function)
        if (integral.has(sympy.Integral) or any(integral.has(f) for f in _NOT_SMOOTH)
                or integral.has(sympy.I) or functions - integral.atoms(*_PRINTABLE)):
            return None
        found.append(integral)
    return tuple(found)


def _derived_fields(model: Model, field: IRI, derived: tuple[DerivedIR, ...]
                    ) -> tuple[DerivedFieldIR, ...]:
    """The algebraic variables defined from the field ``field`` (and the coordinates, time and
    constants, but no other field), reported beside it."""
    u = symbol_of(model.variables[field])
    others = {symbol_of(v) for v in model.variables.values()
              if v.role is VariableRole.FIELD and v.iri != field}
    # a value an implicit relation defines is known only at run time, and only where used
    others |= {d.symbol for d in derived if d.expr is None}
    found = []
    for item in derived:
        if item.expr is None or item.iri not in model.variables:
            continue
        if model.variables[item.iri].role is not VariableRole.ALGEBRAIC:
            continue
        expr = inline_derived(item.expr, derived)
        if u in expr.free_symbols and not expr.free_symbols & others:
            found.append(DerivedFieldIR(item.name, item.iri, item.unit, item.scale,
                                        item.offset, expr))
    return tuple(found)
