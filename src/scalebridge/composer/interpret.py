"""An interpreter of the IR: the test oracle for the generated code.

It runs a :class:`~scalebridge.composer.ir.ProgramIR` without generating any code: SymPy
expressions are evaluated by walking their trees with NumPy (:func:`evaluate`), and the same
solvers are called as the generated module calls.  The generated module and this interpreter
share the IR and the solver library and nothing else (not the printer, not the generated
glue), so their agreement checks the code generator.

Example
-------
>>> x = sympy.Symbol("x", real=True)
>>> evaluate(sympy.exp(-x) * 2, {x: numpy.array([0.0, 1.0])}).round(6).tolist()
[2.0, 0.735759]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import numpy
import scipy.sparse
import scipy.special
import sympy
from numpy.typing import NDArray

from scalebridge.composer.couplings import CELLS
from scalebridge.composer.energies import energy_derivatives
from scalebridge.composer.expectations import Expectation, rules_of
from scalebridge.composer.ir import (
    BoundaryIR,
    CompartmentSystemIR,
    FieldProblemIR,
    Method,
    MotionIR,
    ProgramIR,
    SubmodelIR,
    T,
    X,
    Y,
    constant_derived,
)
from scalebridge.composer.tables import TableLookup, TableSlope
from scalebridge.solvers import (
    boundaries,
    finite_volume,
    grids,
    handshake,
    linear,
    quadrature,
    static,
    time_stepping,
)
from scalebridge.solvers.coupling import Component, Exchange, Table, Tabulation, drive
from scalebridge.solvers.errors import NumericalFailure

__all__ = ["evaluate", "interpret", "interpret_energies"]

Value = Any  # a float or a NumPy array
Env = Mapping[sympy.Symbol, Value]

_UNARY: dict[type, Callable[[Value], Value]] = {
    sympy.exp: numpy.exp,
    sympy.log: numpy.log,
    sympy.sin: numpy.sin,
    sympy.cos: numpy.cos,
    sympy.tan: numpy.tan,
    sympy.sinh: numpy.sinh,
    sympy.cosh: numpy.cosh,
    sympy.tanh: numpy.tanh,
    sympy.atan: numpy.arctan,
    sympy.erf: scipy.special.erf,
    sympy.erfc: scipy.special.erfc,
    sympy.Abs: numpy.abs,
    sympy.sign: numpy.sign,
}
_COMPARE: dict[str, Callable[[Value, Value], Value]] = {
    "<": numpy.less,
    "<=": numpy.less_equal,
    ">": numpy.greater,
    ">=": numpy.greater_equal,
    "==": numpy.equal,
    "!=": numpy.not_equal,
}


def evaluate(expr: Any, env: Env) -> Value:
    """The value of ``expr`` with NumPy, each symbol's value taken from ``env``."""
    if isinstance(expr, sympy.Symbol):
        return env[expr]
    if isinstance(expr, sympy.Number) or expr in (sympy.pi, sympy.E):
        return float(expr)
    if expr is sympy.true:
        return True
    if expr is sympy.false:
        return False
    args = expr.args
    if isinstance(expr, sympy.Add):
        total = evaluate(args[0], env)
        for arg in args[1:]:
            total = total + evaluate(arg, env)
        return total
    if isinstance(expr, sympy.Mul):
        product = evaluate(args[0], env)
        for arg in args[1:]:
            product = product * evaluate(arg, env)
        return product
    if isinstance(expr, sympy.Pow):
        base, exponent = evaluate(args[0], env), evaluate(args[1], env)
        return numpy.power(numpy.asarray(base, dtype=float), exponent)
    if isinstance(expr, sympy.Piecewise):
        conditions = [numpy.asarray(evaluate(c, env), dtype=bool) for _, c in args]
        values = [evaluate(v, env) for v, _ in args]
        return numpy.select(numpy.broadcast_arrays(*conditions), values, default=numpy.nan)
    if isinstance(expr, sympy.Min | sympy.Max):
        extreme: Callable[..., Value] = (
            numpy.minimum if isinstance(expr, sympy.Min) else numpy.maximum
        )
        found = evaluate(args[0], env)
        for arg in args[1:]:
            found = extreme(found, evaluate(arg, env))
        return found
    if isinstance(expr, sympy.Heaviside):
        at_zero = float(args[1]) if len(args) > 1 else 0.5
        return numpy.heaviside(evaluate(args[0], env), at_zero)
    if isinstance(expr, Expectation):
        rules = rules_of(expr)
        symbols = [rule.symbol for rule in rules]

        def integrand(*nodes: Value) -> Value:
            return evaluate(expr.args[0], {**env, **dict(zip(symbols, nodes, strict=True))})

        return quadrature.expectation(integrand, [
            quadrature.gauss_rule(r.kind, r.parameters, r.points, scale=r.scale,
                                  offset=r.offset)
            for r in rules])
    if isinstance(expr, TableLookup | TableSlope):
        table = evaluate(args[1], env)  # a coupling.Table, built at run time
        at = evaluate(args[0], env)
        return table(at) if isinstance(expr, TableLookup) else table.slope(at)
    if isinstance(expr, sympy.expint):
        order, argument = evaluate(args[0], env), evaluate(args[1], env)
        return scipy.special.exp1(argument) if order == 1 else scipy.special.expn(order, argument)
    if isinstance(expr, sympy.core.relational.Relational):
        return _COMPARE[expr.rel_op](evaluate(args[0], env), evaluate(args[1], env))
    if isinstance(expr, sympy.And | sympy.Or):
        combine: Callable[..., Value] = (
            numpy.logical_and if isinstance(expr, sympy.And) else numpy.logical_or
        )
        found = evaluate(args[0], env)
        for arg in args[1:]:
            found = combine(found, evaluate(arg, env))
        return found
    if isinstance(expr, sympy.Not):
        return numpy.logical_not(evaluate(args[0], env))
    for kind, unary in _UNARY.items():
        if isinstance(expr, kind):
            return unary(evaluate(args[0], env))
    raise TypeError(f"the interpreter cannot evaluate {type(expr).__name__}")


def parameter_values(program: ProgramIR, overrides: Mapping[str, float] | None = None
                     ) -> dict[sympy.Symbol, Value]:
    """SI values of the parameters, inputs and constant derived quantities, by symbol."""
    return _parameters(program, overrides)


def _parameters(program: ProgramIR, overrides: Mapping[str, float] | None) -> dict[sympy.Symbol,
                                                                                     Value]:
    values: dict[sympy.Symbol, Value] = {p.symbol: p.value for p in program.parameters}
    values.update({r.symbol: r.default for r in program.inputs})
    given = {p.name: p for p in program.parameters}
    for name, value in (overrides or {}).items():
        parameter = given[name]
        values[parameter.symbol] = float(value) * parameter.scale + parameter.offset
    for table in program.coupling.tabulations if program.coupling is not None else ():
        values[sympy.Symbol(table.name, real=True)] = Table()
    return _derive(program, values)


def _derive(program: ProgramIR, values: dict[sympy.Symbol, Value]) -> dict[sympy.Symbol, Value]:
    """Compute, in ``values``, the derived quantities of parameters and inputs alone."""
    for derived in constant_derived(program):
        if derived.expr is not None:
            values[derived.symbol] = evaluate(derived.expr, values)
            continue
        residual = derived.residual
        assert residual is not None

        def f(value: float, residual: sympy.Expr = residual, symbol: sympy.Symbol = derived.symbol
              ) -> float:
            return float(evaluate(residual, {**values, symbol: value}))

        values[derived.symbol] = static.solve_scalar(
            f, lower=derived.lower, upper=derived.upper, guess=derived.guess, name=derived.name
        )
    return values


def interpret(
    program: ProgramIR, overrides: Mapping[str, float] | None = None
) -> dict[str, tuple[NDArray[numpy.float64], dict[str, NDArray[numpy.float64]]]]:
    """Run every submodel of ``program``: {submodel: (times in s, {state: SI values})}."""
    env = _parameters(program, overrides)
    if program.coupling is not None and program.coupling.handshake is not None:
        return _handshake(program, env)
    if program.coupling is not None:
        return _coupled(program, env)
    return {s.name: _run(program, s, env) for s in program.submodels}


def interpret_energies(
    program: ProgramIR, overrides: Mapping[str, float] | None = None
) -> dict[str, dict[str, Any]]:
    """Each energy functional relaxed, with its stiffness and stress (SI), as the oracle."""
    env = _parameters(program, overrides)
    found: dict[str, dict[str, Any]] = {}
    for energy in program.energies:
        strains = [sympy.Symbol(n, real=True) for n in energy.strains]
        internals = [sympy.Symbol(n, real=True) for n in energy.internals]
        values = {**env}
        for symbol, holder in zip(strains, energy.strain_values, strict=True):
            values[symbol] = env[sympy.Symbol(holder, real=True)] if holder else 0.0
        W = energy.energy  # noqa: N806 - the energy

        def at(z: NDArray[numpy.float64], base: dict[sympy.Symbol, Value] = values,
               names: list[sympy.Symbol] = internals) -> dict[sympy.Symbol, Value]:
            return {**base, **{s: float(v) for s, v in zip(names, z, strict=True)}}

        derivatives = energy_derivatives(energy)
        gradient, hessian = derivatives.gradient, derivatives.internal_hessian
        z = numpy.zeros(len(internals))
        def residual(v: NDArray[numpy.float64], g: list[sympy.Expr] = gradient
                     ) -> NDArray[numpy.float64]:
            return numpy.array([float(evaluate(e, at(v))) for e in g])

        def jacobian(v: NDArray[numpy.float64], h: list[list[sympy.Expr]] = hessian
                     ) -> NDArray[numpy.float64]:
            return numpy.array([[float(evaluate(e, at(v))) for e in row] for row in h])

        if internals:
            z = static.relax(residual, jacobian, z, name=energy.name)
        here = at(z)
        stiffness = numpy.array([[float(evaluate(e, here)) for e in row]
                                 for row in derivatives.strain_hessian])
        if internals:
            mixed = numpy.array([[float(evaluate(e, here)) for e in row]
                                 for row in derivatives.mixed])
            inner = numpy.array([[float(evaluate(e, here)) for e in row] for row in hessian])
            stiffness = stiffness - mixed @ numpy.linalg.solve(inner, mixed.T)
        found[energy.name] = {
            "stiffness": stiffness,
            "stress": numpy.array([float(evaluate(e, here)) for e in derivatives.stress]),
            "internal": z,
            "energy": float(evaluate(W, here)),
        }
    return found


def _coupled(
    program: ProgramIR, env: dict[sympy.Symbol, Value]
) -> dict[str, tuple[NDArray[numpy.float64], dict[str, NDArray[numpy.float64]]]]:
    coupling = program.coupling
    assert coupling is not None
    p: dict[str, Any] = {symbol.name: value for symbol, value in env.items()}

    def here(q: Mapping[str, Any]) -> dict[sympy.Symbol, Value]:
        return {sympy.Symbol(name, real=True): value for name, value in q.items()}

    def refresh(q: MutableMapping[str, Any]) -> None:
        q.update({symbol.name: value for symbol, value in _derive(program, here(q)).items()})

    def component(submodel: SubmodelIR) -> Component:
        system = submodel.compartments

        def initial(q: Mapping[str, Any]) -> dict[str, Any]:
            state: dict[str, Any] = {}
            values = here(q)
            if system is not None:
                y0 = _compartments(submodel, system, values, numpy.array([0.0, 0.0]))[0]
                state.update(zip(system.states, y0, strict=True))
                state.update(_steady(system, values, y0))
            for field in submodel.fields:
                state[field.state] = _field(submodel, field, values, numpy.array([0.0, 1.0]),
                                            only_initial=True)
                if field.faces:
                    state.update(field_faces(field, values, state[field.state], 0.0))
            return state

        def advance(q: Mapping[str, Any], state: dict[str, Any], t0: float, t1: float
                    ) -> dict[str, Any]:
            state = dict(state)
            values = here(q)
            span = numpy.array([0.0, t1 - t0])
            if system is not None:
                y = numpy.array([state[n] for n in system.states], dtype=float)
                found = _compartments(submodel, system, values, span, y0=y, start=t0)[-1]
                state.update(zip(system.states, found, strict=True))
                state.update(_steady(system, values, found))
            for field in submodel.fields:
                state[field.state] = _field(submodel, field, values, span,
                                            initial=state[field.state], start=t0)[-1]
                if field.faces:
                    state.update(field_faces(field, values, state[field.state], t1))
            return state

        def observe(q: Mapping[str, Any], state: Mapping[str, Any]) -> dict[str, Any]:
            seen: dict[str, Any] = {name: float(numpy.mean(value))
                                    for name, value in state.items()}
            for shown in columns.get(submodel.name, ()):  # a column read whole (a profile)
                seen[shown] = numpy.array(state[shown[:-len(CELLS)]], dtype=float)
            for field in submodel.fields:
                if field.fluxes or field.derived_fields:
                    fluxes = field_fluxes(field, here(q), state[field.state])
                    seen.update({n: float(numpy.mean(v)) for n, v in fluxes.items()})
            return seen

        def report(q: Mapping[str, Any], state: Mapping[str, Any]) -> dict[str, Any]:
            found: dict[str, Any] = {}
            for field in submodel.fields:
                if field.fluxes or field.derived_fields:
                    found.update(field_fluxes(field, here(q), state[field.state]))
            return found

        reported = any(f.fluxes or f.derived_fields for f in submodel.fields)
        return Component(submodel.name, initial, advance, observe,
                         duration=submodel.schedule.duration,
                         called=submodel.name in coupling.called + coupling.tabulated,
                         steps=submodel.schedule.outputs - 1,
                         steady=submodel.name in coupling.steady,
                         report=report if reported else None)

    columns: dict[str, set[str]] = {}
    for e in program.exchanges:
        for name, quantity in e.sources:
            if name and quantity.endswith(CELLS):
                columns.setdefault(name, set()).add(quantity)

    def clock(q: MutableMapping[str, Any], t: float) -> None:
        values = {**here(q), T: t}
        q.update({name: float(evaluate(expr, values)) for name, expr in coupling.timed})

    by_name = {s.name: component(s) for s in program.submodels}
    tabulations = [Tabulation(t.name, None if t.static else by_name[t.submodel], t.input,
                              t.arguments, t.output, static=t.submodel if t.static else "")
                   for t in coupling.tabulations]
    components = [c for name, c in by_name.items() if name not in coupling.offstage]
    exchanges = [Exchange(e.name, e.sources, e.target, e.weights, e.positions)
                 for e in program.exchanges]
    found = drive(components, exchanges, p, horizon=coupling.horizon,
                  macro_step=coupling.macro_step, tabulations=tabulations, refresh=refresh,
                  clock=clock if coupling.timed else None)
    env.update(here(p))  # the caller sees the tables built and the inputs last received
    results = {}
    for name, (times, states) in found.items():
        values = {key: numpy.array([s[key] for s in states]) for key in states[0]}
        results[name] = (numpy.array(times), values)
    return results


def motion_model(motion: MotionIR, env: Mapping[sympy.Symbol, Value]
                 ) -> handshake.Chain | handshake.Bar:
    """The chain or bar of an equation of motion, its energy evaluated from the IR."""
    strain = sympy.Symbol(motion.strain, real=True)
    derivatives = [motion.energy, sympy.diff(motion.energy, strain),
                   sympy.diff(motion.energy, strain, 2)]

    def at(expr: sympy.Expr) -> Callable[[NDArray[numpy.float64]], NDArray[numpy.float64]]:
        def value(s: NDArray[numpy.float64]) -> NDArray[numpy.float64]:
            found = evaluate(expr, {**env, strain: s})
            return numpy.broadcast_to(numpy.asarray(found, dtype=float), numpy.shape(s))
        return value

    x = numpy.asarray(motion.positions)
    mass = float(evaluate(motion.mass, env))
    energy, force, stiffness = (at(e) for e in derivatives)
    if motion.kind == "chain":
        return handshake.Chain(x, mass, bond_energy=energy, bond_force=force,
                               bond_stiffness=stiffness)
    return handshake.Bar(x, mass, energy_density=energy, stress=force, modulus=stiffness)


def handshake_system(program: ProgramIR, env: Mapping[sympy.Symbol, Value]
                     ) -> handshake.Handshake:
    """The handshake of ``program`` (which must have one), built from the IR."""
    assert program.coupling is not None and program.coupling.handshake is not None
    joint = program.coupling.handshake
    by_name = {s.name: s for s in program.submodels}
    chain, bar = by_name[joint.chain].motion, by_name[joint.bar].motion
    assert chain is not None and bar is not None
    return handshake.Handshake(
        motion_model(chain, env), motion_model(bar, env),  # type: ignore[arg-type]
        handshake.Blend(joint.start, joint.end, joint.weights), submodel=joint.name)


def _handshake(
    program: ProgramIR, env: dict[sympy.Symbol, Value]
) -> dict[str, tuple[NDArray[numpy.float64], dict[str, NDArray[numpy.float64]]]]:
    coupling = program.coupling
    assert coupling is not None and coupling.handshake is not None
    joint = coupling.handshake
    by_name = {s.name: s for s in program.submodels}
    chain, bar = by_name[joint.chain], by_name[joint.bar]
    starts = []
    for submodel in (chain, bar):
        motion = submodel.motion
        assert motion is not None
        here = {**env, T: 0.0, X: numpy.asarray(motion.positions)}
        shape = (motion.points,)
        starts.append((_pointwise(motion.initial, here, shape),
                       _pointwise(motion.velocity, here, shape)))
    outputs = max(1, round(coupling.horizon / coupling.macro_step)) + 1
    times = numpy.linspace(0.0, coupling.horizon, outputs)
    found = handshake_system(program, env).run(
        starts[0][0], starts[1][0], starts[0][1], starts[1][1], times,
        dt=chain.schedule.step or bar.schedule.step)
    assert chain.motion is not None and bar.motion is not None
    return {chain.name: (times, {chain.motion.state: found["u_chain"]}),
            bar.name: (times, {bar.motion.state: found["u_bar"]})}


def _run(
    program: ProgramIR, submodel: SubmodelIR, env: dict[sympy.Symbol, Value]
) -> tuple[NDArray[numpy.float64], dict[str, NDArray[numpy.float64]]]:
    plan = submodel.schedule
    times = numpy.linspace(0.0, plan.duration, plan.outputs)
    states: dict[str, NDArray[numpy.float64]] = {}
    if submodel.compartments is not None:
        found = _compartments(submodel, submodel.compartments, env, times)
        columns = {**env}
        for column, name in enumerate(submodel.compartments.states):
            states[name] = found[:, column]
            columns[sympy.Symbol(name, real=True)] = found[:, column]
        for name, expr in submodel.compartments.steady:
            states[name] = numpy.broadcast_to(
                numpy.asarray(evaluate(expr, columns), dtype=float), times.shape).copy()
    for field in submodel.fields:
        states[field.state] = _field(submodel, field, env, times)
    for name, values in states.items():
        if not numpy.all(numpy.isfinite(values)):
            raise NumericalFailure("the solution is not finite", submodel=submodel.name,
                                   field=name)
    return times, states


def _steady(system: CompartmentSystemIR, env: Mapping[sympy.Symbol, Value],
            y: NDArray[numpy.float64]) -> dict[str, float]:
    """The quasi-steady fields of ``system`` at the state vector ``y``."""
    here = {**env, **{sympy.Symbol(n, real=True): float(v)
                      for n, v in zip(system.states, y, strict=True)}}
    return {name: float(evaluate(expr, here)) for name, expr in system.steady}


def _compartments(
    submodel: SubmodelIR, system: CompartmentSystemIR, env: dict[sympy.Symbol, Value],
    times: NDArray[numpy.float64], *, y0: NDArray[numpy.float64] | None = None,
    start: float = 0.0,
) -> NDArray[numpy.float64]:
    if y0 is None:
        initial = {s.name: s.initial for s in submodel.states}
        y0 = numpy.array([float(evaluate(initial[n], {**env, T: 0.0})) for n in system.states])
    symbols = [sympy.Symbol(n, real=True) for n in system.states]
    if submodel.schedule.method is Method.PROPAGATOR:
        a = numpy.array([[float(evaluate(e, env)) for e in row] for row in system.matrix])
        b = numpy.array([float(evaluate(e, env)) for e in system.offset])
        propagated: NDArray[numpy.float64] = linear.LinearPropagator(a, b).propagate(y0, times)
        return propagated

    def at(t: float, y: NDArray[numpy.float64]) -> dict[sympy.Symbol, Value]:
        return {**env, T: start + t, **{s: float(v) for s, v in zip(symbols, y, strict=True)}}

    def rates(t: float, y: NDArray[numpy.float64]) -> NDArray[numpy.float64]:
        here = at(t, y)
        return numpy.array([float(evaluate(e, here)) for e in system.rates])

    def jacobian(t: float, y: NDArray[numpy.float64]) -> NDArray[numpy.float64]:
        here = at(t, y)
        return numpy.array([[float(evaluate(e, here)) for e in row] for row in system.jacobian])

    return time_stepping.integrate_stiff(rates, jacobian, y0, times.tolist(), method="BDF",
                                         submodel=submodel.name)


def _pointwise(expr: sympy.Expr, env: Mapping[sympy.Symbol, Value], shape: tuple[int, ...]
               ) -> NDArray[numpy.float64]:
    return numpy.broadcast_to(numpy.asarray(evaluate(expr, env), dtype=float), shape).copy()


def _condition(boundary: BoundaryIR, env: Mapping[sympy.Symbol, Value]
               ) -> boundaries.BoundaryCondition:
    def value(expr: sympy.Expr | None) -> Any:
        if expr is not None and boundary.profile:  # one value per face of the side
            return numpy.asarray(evaluate(expr, env), dtype=float)
        return 0.0 if expr is None else float(evaluate(expr, env))

    if boundary.kind == "dirichlet":
        return boundaries.dirichlet(value(boundary.value))
    if boundary.kind == "neumann":
        return boundaries.neumann(value(boundary.flux))
    if boundary.kind == "robin":
        return boundaries.robin(value(boundary.coefficient), value(boundary.ambient))
    if boundary.value is not None:
        return boundaries.periodic(value(boundary.value))
    return boundaries.periodic()


def _located(field: FieldProblemIR, env: Mapping[sympy.Symbol, Value]
             ) -> tuple[Any, NDArray[numpy.float64], dict[sympy.Symbol, Value]]:
    """The field's grid, its x cell centres, and ``env`` with the coordinates of the cells."""
    if len(field.grid.cells) == 2:
        grid = grids.Grid2D(field.grid.sides[0], field.grid.sides[1], *field.grid.cells)
        x, y = numpy.meshgrid(grid.centres_x, grid.centres_y, indexing="ij")
        return grid, x, {**env, X: x, Y: y}
    line = grids.Grid1D(field.grid.sides[0], field.grid.cells[0])
    return line, line.centres, {**env, X: line.centres}


def field_fluxes(field: FieldProblemIR, env: Mapping[sympy.Symbol, Value],
                 u: NDArray[numpy.float64], t: float = 0.0) -> dict[str, NDArray[numpy.float64]]:
    """The field's flux variables (SI, -k du/dx_i at the cell centres) for the values ``u``."""
    two = len(field.grid.cells) == 2
    grid, x, here = _located(field, {**env, T: t})
    here[sympy.Symbol(field.state, real=True)] = u
    conditions = {b.side: _condition(b, here) for b in field.boundaries}
    found = {}
    for flux in field.fluxes:
        k: Any = _pointwise(flux.coefficient, here, x.shape)
        if field.resistances is not None and flux.coefficient == field.diffusivity:
            k = varying_conductivity(field, k, here, grid)
        if two:
            found[flux.name] = finite_volume.diffusive_fluxes_2d(u, k, grid, conditions)[flux.axis]
        else:
            found[flux.name] = finite_volume.diffusive_fluxes_1d(u, k, grid, conditions["left"],
                                                                 conditions["right"])
    for derived in field.derived_fields:
        found[derived.name] = _pointwise(derived.expr, here, x.shape)
    return found


def varying_conductivity(field: FieldProblemIR, k: NDArray[numpy.float64],
                         env: Mapping[sympy.Symbol, Value], grid: Any
                         ) -> finite_volume.VaryingConductivity:
    """The cell values ``k`` with each half cell's resistance, from the antiderivatives of
    1/k along each axis that the field problem holds."""
    assert field.resistances is not None
    coordinates = (X, Y)[: len(field.grid.cells)]
    centres = tuple(env[c] for c in coordinates)
    spacings = (grid.dx, grid.dy) if len(coordinates) == 2 else (grid.dx,)
    halves = []
    for axis, antiderivative in enumerate(field.resistances):
        def integral(*at: Value, expr: sympy.Expr = antiderivative) -> Value:
            return evaluate(expr, {**env, **dict(zip(coordinates, at, strict=True))})

        halves.append(finite_volume.half_cell_resistances(integral, centres, spacings[axis],
                                                          axis))
    return finite_volume.VaryingConductivity(k, tuple(halves))


def field_faces(field: FieldProblemIR, env: Mapping[sympy.Symbol, Value],
                u: NDArray[numpy.float64], t: float = 0.0) -> dict[str, float]:
    """The values the field presents at its ports (SI): each its value on its side's faces at
    time ``t`` (s), for the cell values ``u``."""
    grid, x, here = _located(field, {**env, T: t})
    here[sympy.Symbol(field.state, real=True)] = u
    conditions = {b.side: _condition(b, here) for b in field.boundaries}
    k = _pointwise(field.diffusivity if field.diffusivity is not None else sympy.Integer(0),
                   here, x.shape)
    return {face.name: finite_volume.side_value(u, k, grid, conditions, face.side)
            for face in field.faces}


def _field(
    submodel: SubmodelIR, field: FieldProblemIR, env: dict[sympy.Symbol, Value],
    times: NDArray[numpy.float64], *, initial: NDArray[numpy.float64] | None = None,
    start: float = 0.0, only_initial: bool = False,
) -> NDArray[numpy.float64]:
    u = sympy.Symbol(field.state, real=True)
    two = len(field.grid.cells) == 2
    grid, x, here = _located(field, {**env, T: 0.0})
    shape = x.shape
    state = next(s for s in submodel.states if s.name == field.state)
    if initial is None:
        initial = _pointwise(state.initial, here, shape)
    if only_initial:
        return initial
    if field.nonlinear_coefficients:
        here = {**here, u: initial}  # k and the capacity at the start (the stiff path updates)
    k: Any = _pointwise(field.diffusivity if field.diffusivity is not None else sympy.Integer(0),
                        here, shape)
    if field.resistances is not None:  # k varies inside the cells
        k = varying_conductivity(field, k, here, grid)
    capacity = _pointwise(field.capacity, here, shape)
    conditions = {b.side: _condition(b, here) for b in field.boundaries}
    timed = field.timed_boundaries

    def conditions_at(t: float) -> dict[str, boundaries.BoundaryCondition]:
        """The conditions at the model's time t: they vary in time when ``timed``."""
        if not timed:
            return conditions
        return {b.side: _condition(b, {**here, T: t}) for b in field.boundaries}

    plan = submodel.schedule
    if plan.method is Method.IMPLICIT:
        assert plan.step is not None
        h = float(times[1] - times[0])
        dt = h / numpy.ceil(h / plan.step - 1e-9)
        slope = _pointwise(sympy.diff(field.source, u), here, shape)
        offset = _pointwise(field.source.xreplace({u: sympy.Integer(0)}), here, shape)
        periodic = conditions["left"].kind == "periodic"

        def assemble(c: Mapping[str, boundaries.BoundaryCondition]) -> tuple[Any, Any]:
            if two:
                return finite_volume.diffusion_matrix_2d(k, grid, c)
            if periodic:  # cyclic: not tridiagonal
                return finite_volume.diffusion_matrix_1d_sparse(k, grid, c["left"], c["right"])
            return finite_volume.diffusion_matrix_1d(k, grid, c["left"], c["right"])

        matrix, b0 = assemble(conditions)
        forcing: Any = b0 + offset.ravel()
        if timed:
            def forcing(t: float) -> NDArray[numpy.float64]:
                found: NDArray[numpy.float64] = assemble(conditions_at(start + t))[1]
                return found + offset.ravel()
        free = field.source.xreplace({u: sympy.Integer(0)})
        if T in free.free_symbols:  # the source varies in time: taken at every step
            fixed = forcing

            def forcing(t: float) -> NDArray[numpy.float64]:
                part = fixed(t) if callable(fixed) else fixed
                now = _pointwise(free, {**here, T: start + t}, shape).ravel()
                result: NDArray[numpy.float64] = part - offset.ravel() + now
                return result
        if two:
            a2 = (matrix + scipy.sparse.diags(slope.ravel())).tocsr()
            found = time_stepping.integrate_theta(
                a2, forcing, capacity.ravel(), initial.ravel(), dt,
                times.tolist(), theta=1.0, submodel=submodel.name, field=field.state)
            return found.reshape((len(times), *shape))
        if periodic:
            return time_stepping.integrate_theta(
                (matrix + scipy.sparse.diags(slope)).tocsr(), forcing, capacity, initial, dt,
                times.tolist(), theta=1.0, submodel=submodel.name, field=field.state)
        a1 = matrix.copy()
        a1[1] += slope
        return time_stepping.integrate_theta(
            a1, forcing, capacity, initial, dt, times.tolist(),
            theta=1.0, submodel=submodel.name, field=field.state)
    velocity = (tuple(_pointwise(v, here, shape) for v in field.velocity)
                if field.velocity is not None else None)

    def source(t: float, values: NDArray[numpy.float64]) -> NDArray[numpy.float64]:
        return _pointwise(field.source, {**here, T: start + t, u: values}, values.shape)

    def transport(values: NDArray[numpy.float64], k: NDArray[numpy.float64],
                  conditions: Mapping[str, boundaries.BoundaryCondition] = conditions,
                  ) -> NDArray[numpy.float64]:
        """div(k grad u) - div(v u) per cell."""
        if two:
            total: NDArray[numpy.float64] = finite_volume.diffusion_2d(values, k, grid, conditions)
            if velocity is not None:
                total = total + finite_volume.advection_2d(values, velocity[0], velocity[1],
                                                           grid, conditions)
            return total
        sides = (conditions["left"], conditions["right"])
        total = finite_volume.diffusion_1d(values, k, grid, *sides)
        if velocity is not None:
            total = total + finite_volume.advection_1d(values, velocity[0], grid, *sides)
        return total

    def rhs(t: float, values: NDArray[numpy.float64]) -> NDArray[numpy.float64]:
        result: NDArray[numpy.float64] = (
            transport(values, k, conditions_at(start + t)) + source(t, values)) / capacity
        return result

    if plan.method is Method.STEADY:
        coefficient = field.diffusivity if field.diffusivity is not None else sympy.Integer(0)
        derivative = sympy.diff(field.source, u)

        def linearised(flat: NDArray[numpy.float64]
                       ) -> tuple[scipy.sparse.csr_matrix, NDArray[numpy.float64]]:
            values = flat.reshape(shape)
            at = {**here, T: start, u: values}
            slope_now = _pointwise(derivative, at, shape)
            rest = _pointwise(field.source, at, shape) - slope_now * values
            k_now = k if field.resistances is not None else _pointwise(coefficient, at, shape)
            now = conditions_at(start)
            if two:
                a, b = finite_volume.diffusion_matrix_2d(k_now, grid, now)
            else:
                a, b = finite_volume.diffusion_matrix_1d_sparse(
                    k_now, grid, now["left"], now["right"])
            if velocity is not None:  # upwind advection, by the velocity of each face
                moved, inflow = (
                    finite_volume.advection_matrix_2d(velocity[0], velocity[1], grid, now)
                    if two else finite_volume.advection_matrix_1d(velocity[0], grid,
                                                                  now["left"], now["right"]))
                a, b = a + moved, b + inflow
            return a + scipy.sparse.diags(slope_now.ravel()), -(b + rest.ravel())

        floating = (all(b.kind in ("neumann", "periodic") for b in field.boundaries)
                    and u not in field.source.free_symbols)
        solution = static.solve_linearised(linearised, initial.ravel(), gauge=floating,
                                           linear=field.source_linear
                                           and not field.nonlinear_coefficients,
                                           submodel=submodel.name, field=field.state)
        return numpy.broadcast_to(solution.reshape(shape), (len(times), *shape)).copy()
    if plan.method is Method.STIFF:
        diffusivity = field.diffusivity if field.diffusivity is not None else sympy.Integer(0)

        def nonlinear(t: float, flat: NDArray[numpy.float64]) -> NDArray[numpy.float64]:
            values = flat.reshape(shape)
            at = {**here, T: start + t, u: values}
            total = transport(values, _pointwise(diffusivity, at, shape),
                              conditions_at(start + t))
            rate: NDArray[numpy.float64] = (
                (total + source(t, values)) / _pointwise(field.capacity, at, shape)).ravel()
            return rate

        wraps = tuple(conditions[side].kind == "periodic"
                      for side in (("left", "bottom") if two else ("left",)))
        found = time_stepping.integrate_stiff(
            nonlinear, None, initial.ravel(), times.tolist(),
            jac_sparsity=finite_volume.stencil_sparsity(shape, wraps),
            submodel=submodel.name, field=field.state)
        return found.reshape((len(times), *shape))
    spacings = (grid.dx, grid.dy) if two else (grid.dx,)
    limits = [time_stepping.diffusion_step_limit(float(numpy.max(k / capacity)), spacings)]
    if velocity is not None:
        limits.append(time_stepping.advection_step_limit(velocity, spacings))
    slope = _pointwise(sympy.diff(field.source, u), {**here, u: initial}, shape)
    limits.append(time_stepping.reaction_step_limit(float(numpy.max(numpy.abs(slope) / capacity))))
    return time_stepping.integrate_explicit(
        rhs, initial, float(times[-1]), limit=min(limits), dt=plan.step, outputs=times.tolist(),
        submodel=submodel.name, field=field.state)
