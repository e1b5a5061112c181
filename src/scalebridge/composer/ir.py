"""The intermediate representation between the typed model and the generated solver.

Everything here is in SI base units: a state is integrated in SI, a parameter's value is its SI
value, every expression is a SymPy expression to be evaluated with SI values.  Units come back
only at the edges: each quantity keeps its declared unit (``unit``, with ``scale`` and
``offset`` such that ``si = declared * scale + offset``) so that inputs given in declared units
are converted in, and results are converted out to the unit the model declared.

Symbols: a quantity's symbol is ``Symbol(name, real=True)`` with ``name`` the model-wide unique
Python name the builder derived; time and the coordinates are ``t``, ``x`` and ``y``.

Example
-------
>>> p = ParameterIR(name="k", iri="urn:x:k", unit="1/h", scale=1 / 3600, offset=0.0,
...                 value=2 / 3600, declared=2.0)
>>> p.symbol
k
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sympy

__all__ = [
    "BoundaryIR",
    "CompartmentSystemIR",
    "CouplingIR",
    "DerivedFieldIR",
    "DerivedIR",
    "EnergyIR",
    "ExchangeIR",
    "FaceIR",
    "FieldProblemIR",
    "FluxIR",
    "GridIR",
    "HandshakeIR",
    "InputIR",
    "Method",
    "MotionIR",
    "ParameterIR",
    "ProgramIR",
    "ScheduleIR",
    "StateIR",
    "SubmodelIR",
    "TabulationIR",
    "constant_derived",
]

T = sympy.Symbol("t", real=True)
X = sympy.Symbol("x", real=True)
Y = sympy.Symbol("y", real=True)


class Method(StrEnum):
    """How a submodel's states are advanced in time."""

    PROPAGATOR = "propagator"  # exact: linear constant-coefficient compartments
    STIFF = "stiff"  # SciPy BDF with the analytic Jacobian
    IMPLICIT = "implicit"  # theta method (backward Euler) on a linear field problem
    EXPLICIT = "explicit"  # forward Euler at a stable step
    VERLET = "verlet"  # velocity Verlet: an equation of motion (a chain, a bar)
    STEADY = "steady"  # a steady field: sparse solves, repeated while k(u) or the source bend


@dataclass(frozen=True, slots=True)
class ParameterIR:
    """A constant: SI ``value``; ``declared`` is the value in its declared ``unit``."""

    name: str
    iri: str
    unit: str
    scale: float
    offset: float
    value: float
    declared: float

    @property
    def symbol(self) -> sympy.Symbol:
        return sympy.Symbol(self.name, real=True)


@dataclass(frozen=True, slots=True)
class DerivedIR:
    """A quantity computed from others: ``expr`` (SI), or the root of ``residual`` in it.

    ``residual`` is set for an implicit relation: the value is the root of ``residual`` (an
    expression in the quantity's own symbol) between ``lower`` and ``upper`` or from ``guess``.
    """

    name: str
    iri: str
    unit: str
    scale: float
    offset: float
    expr: sympy.Expr | None
    residual: sympy.Expr | None = None
    lower: float | None = None
    upper: float | None = None
    guess: float | None = None

    @property
    def symbol(self) -> sympy.Symbol:
        return sympy.Symbol(self.name, real=True)


@dataclass(frozen=True, slots=True)
class StateIR:
    """A state variable (a field): its initial value ``initial`` as an SI expression."""

    name: str
    iri: str
    label: str
    unit: str
    scale: float
    offset: float
    initial: sympy.Expr
    conserves: str | None = None

    @property
    def symbol(self) -> sympy.Symbol:
        return sympy.Symbol(self.name, real=True)


@dataclass(frozen=True, slots=True)
class CompartmentSystemIR:
    """capacity_i * dy_i/dt = f_i(t, y): ``rates`` are dy_i/dt (SI), with their Jacobian.

    ``capacities`` are the SI expressions the balances were divided by (the amount in a
    compartment is capacity x state, which the conserved totals sum).  ``linear`` is true when
    the rates are affine in the states with constant coefficients: ``matrix`` and ``offset``
    then give dy/dt = A y + b exactly.
    """

    states: tuple[str, ...]
    rates: tuple[sympy.Expr, ...]
    jacobian: tuple[tuple[sympy.Expr, ...], ...]
    capacities: tuple[sympy.Expr, ...]
    linear: bool
    matrix: tuple[tuple[sympy.Expr, ...], ...] = ()
    offset: tuple[sympy.Expr, ...] = ()
    # Fields in quasi-steady state (sb:steadyStateOf): each an SI expression of the states,
    # eliminated from the rates and computed from the states at every output time.
    steady: tuple[tuple[str, sympy.Expr], ...] = ()
    steady_capacities: tuple[sympy.Expr, ...] = ()

    @property
    def amounts(self) -> tuple[str, ...]:
        """The fields whose amount is capacity x field: states, then quasi-steady fields (the
        order of the generated capacities function)."""
        return self.states + tuple(name for name, _expr in self.steady)


@dataclass(frozen=True, slots=True)
class GridIR:
    """A structured grid: sides (m) and cell counts, one entry per direction."""

    sides: tuple[float, ...]
    cells: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class BoundaryIR:
    """A boundary condition of a field problem, each value an SI expression (or None)."""

    side: str  # "left", "right", "bottom", "top"
    kind: str  # "dirichlet", "neumann", "robin", "periodic"
    value: sympy.Expr | None = None
    flux: sympy.Expr | None = None
    coefficient: sympy.Expr | None = None
    ambient: sympy.Expr | None = None
    # the value is a profile along the side (one number per boundary face), such as the
    # input a bridge forces from a coarse model's column
    profile: bool = False


@dataclass(frozen=True, slots=True)
class FluxIR:
    """A diffusion term's flux -k du/dx_i along ``axis`` (0: x, 1: y), held by the algebraic
    variable ``name``: cell-centred, SI, with ``coefficient`` the term's k (an SI expression);
    ``unit``, ``scale`` and ``offset`` give its declared unit."""

    name: str
    iri: str
    unit: str
    scale: float
    offset: float
    axis: int
    coefficient: sympy.Expr


@dataclass(frozen=True, slots=True)
class FaceIR:
    """The value a field presents at a port on a side of its grid (the port's potential
    variable ``name``): the value on the faces of that side, reconstructed from the side's
    condition and the cells next to it (their mean along a side of a rectangle).  SI;
    ``unit``, ``scale`` and ``offset`` give the variable's declared unit."""

    name: str
    iri: str
    unit: str
    scale: float
    offset: float
    side: str  # "left", "right", "bottom", "top"


@dataclass(frozen=True, slots=True)
class DerivedFieldIR:
    """An algebraic variable defined (by a relation) from a field on a grid, the coordinates
    and constants: ``expr`` (SI, in the field's symbol, ``x``, ``y`` and ``t``), evaluated in
    every cell at every output time and reported beside the field; ``unit``, ``scale`` and
    ``offset`` give its declared unit."""

    name: str
    iri: str
    unit: str
    scale: float
    offset: float
    expr: sympy.Expr


@dataclass(frozen=True, slots=True)
class FieldProblemIR:
    """capacity * du/dt = div(k grad u) - div(v u) + source(u, x, t) on a grid.

    ``diffusivity`` is k (None: no diffusion), ``velocity`` one expression per direction (None:
    no advection), ``source`` the pointwise sum of the other terms.  ``source_linear`` is true
    when the source is affine in u (then the implicit method applies).
    """

    state: str
    grid: GridIR
    capacity: sympy.Expr
    diffusivity: sympy.Expr | None
    velocity: tuple[sympy.Expr, ...] | None
    source: sympy.Expr
    boundaries: tuple[BoundaryIR, ...]
    source_linear: bool
    steady: bool = False  # 0 = div(k grad u) + source: no capacity, no time
    fluxes: tuple[FluxIR, ...] = ()  # flux variables of its diffusion terms
    # k varying smoothly in space: per axis the antiderivative of 1/k along that axis (SI),
    # whose differences give each half cell's resistance (exact series resistances)
    resistances: tuple[sympy.Expr, ...] | None = None
    derived_fields: tuple[DerivedFieldIR, ...] = ()  # algebraic variables of the field
    faces: tuple[FaceIR, ...] = ()  # potential variables of ports on its sides

    @property
    def timed_boundaries(self) -> bool:
        """True when a boundary condition varies in time (its value, flux or ambient depends
        on t): the solvers then evaluate it at each time they need it."""
        return any(T in e.free_symbols for b in self.boundaries
                   for e in (b.value, b.flux, b.coefficient, b.ambient) if e is not None)

    @property
    def timed_coefficients(self) -> bool:
        """True when k or the capacity varies in time (depends on t): a stiff integrator then
        re-evaluates them at every stage, as for k(u)."""
        k = self.diffusivity if self.diffusivity is not None else sympy.Integer(0)
        return T in k.free_symbols or T in self.capacity.free_symbols

    @property
    def nonlinear_coefficients(self) -> bool:
        """True when k or the capacity depends on the field itself (k(T), a gas's k(p) p):
        the coefficients are then re-evaluated from the state at every stage of a stiff
        integrator."""
        u = sympy.Symbol(self.state, real=True)
        k = self.diffusivity if self.diffusivity is not None else sympy.Integer(0)
        return u in k.free_symbols or u in self.capacity.free_symbols


@dataclass(frozen=True, slots=True)
class MotionIR:
    """mass * d2u/dt2 = -dE/du for a displacement field, SI throughout.

    ``kind`` is ``"chain"`` (``points`` particles ``spacing`` apart, ``mass`` per particle,
    ``energy`` per bond of the stretch ``strain``, a length) or ``"bar"`` (linear finite
    elements on ``points`` nodes, ``mass`` and ``energy`` per unit length, ``strain`` = du/dx).
    ``origin`` is the position of the first point; ``initial`` and ``velocity`` are SI
    expressions of the coordinate x.
    """

    state: str
    kind: str
    points: int
    origin: float
    spacing: float
    mass: sympy.Expr
    energy: sympy.Expr
    strain: str
    initial: sympy.Expr
    velocity: sympy.Expr

    @property
    def positions(self) -> tuple[float, ...]:
        """Where the particles or nodes are (m)."""
        return tuple(self.origin + self.spacing * i for i in range(self.points))


@dataclass(frozen=True, slots=True)
class ScheduleIR:
    """When a submodel runs: ``duration`` (s), results every ``output_interval`` (s), and the
    time step ``step`` (s) for the methods that take one (None: chosen by the solver)."""

    duration: float
    output_interval: float
    step: float | None
    method: Method

    @property
    def outputs(self) -> int:
        """How many output times, 0 included."""
        return round(self.duration / self.output_interval) + 1


@dataclass(frozen=True, slots=True)
class SubmodelIR:
    """One submodel: its states, how they change, and when it runs."""

    name: str
    iri: str
    label: str
    states: tuple[StateIR, ...]
    compartments: CompartmentSystemIR | None
    fields: tuple[FieldProblemIR, ...]
    schedule: ScheduleIR
    motion: MotionIR | None = None


@dataclass(frozen=True, slots=True)
class InputIR:
    """A value a submodel receives through a bridge (a parameter with sb:providedBy, or the
    value of a boundary forced by a bridge); set by the coupling driver, in SI."""

    name: str
    iri: str
    unit: str
    scale: float
    offset: float
    default: float = float("nan")  # SI; the value a reusable submodel has when run alone

    @property
    def symbol(self) -> sympy.Symbol:
        return sympy.Symbol(self.name, real=True)


@dataclass(frozen=True, slots=True)
class ExchangeIR:
    """A bridge as a message: ``target = sum(w * source)``, each source ``(submodel, name)``
    (submodel "" for a parameter); ``weights`` None means equal weights summing to one.

    ``positions`` = ``(at, to)`` makes it a profile: the sources are a column's cell values
    (the state ``<field>/cells`` a submodel shows) at the positions ``at`` (m), passed
    interpolated to the positions ``to`` (m), the faces of the side the target forces."""

    name: str
    iri: str
    kind: str
    sources: tuple[tuple[str, str], ...]
    target: str
    weights: tuple[float, ...] | None
    positions: tuple[tuple[float, ...], tuple[float, ...]] | None = None


@dataclass(frozen=True, slots=True)
class CouplingIR:
    """How submodels run together: ``called`` submodels (the fine side of a hierarchical
    coupling) run whole when their results are needed; the others advance together every
    ``macro_step`` seconds up to ``horizon``."""

    couplings: tuple[tuple[str, str, tuple[str, ...]], ...]  # (IRI, kind, submodel names)
    called: tuple[str, ...]
    horizon: float
    macro_step: float
    tabulations: tuple[TabulationIR, ...] = ()
    handshake: HandshakeIR | None = None
    idle: tuple[str, ...] = ()  # fine sides whose answers no exchange reads (a given table)
    # quantities that vary in time by themselves (a table against the model's clock) that
    # exchanges read: (name, SI expression in t), set at every exchange time
    timed: tuple[tuple[str, sympy.Expr], ...] = ()
    steady: tuple[str, ...] = ()  # lockstep submodels solved at every macro time

    @property
    def tabulated(self) -> tuple[str, ...]:
        """The submodels run only to build tables, before the others start."""
        return tuple(sorted({t.submodel for t in self.tabulations}))

    @property
    def offstage(self) -> tuple[str, ...]:
        """The submodels the coupled run does not drive: tabulated ones and idle ones."""
        return tuple(sorted({*self.tabulated, *self.idle}))


@dataclass(frozen=True, slots=True)
class HandshakeIR:
    """Two descriptions of one region sharing energy across the overlap [start, end] (m):
    the ``chain`` submodel's particles and the ``bar`` submodel's finite elements, run
    together.  ``weights`` (chain at start, chain at end, bar at start, bar at end) are the
    declared ones, None for complementary linear weights."""

    name: str
    iri: str
    chain: str
    bar: str
    start: float
    end: float
    weights: tuple[float, float, float, float] | None = None


@dataclass(frozen=True, slots=True)
class TabulationIR:
    """A parameter-passing bridge's table, built by running the fine ``submodel`` once per
    argument: ``p[input] = argument`` (SI), answer ``output`` (its observed mean, or a derived
    value), stored as the runtime table ``name`` that the target's expression looks up.

    ``argument`` is the coarse variable the table is looked up at; the ``*_unit`` triples
    (text, scale, offset) give the declared units the table is reported in.  A ``static``
    fine submodel (relations alone, a constitutive law) has nothing to run: its answer is the
    derived value ``output`` recomputed with each argument.
    """

    name: str
    bridge: str
    iri: str
    submodel: str
    input: str
    arguments: tuple[float, ...]
    output: str
    argument: str
    argument_unit: tuple[str, float, float]
    value_unit: tuple[str, float, float]
    static: bool = False


@dataclass(frozen=True, slots=True)
class EnergyIR:
    """A stored-energy density W (SI, J/m^3 or whatever the model's energy is) of strain-like
    variables and internal variables.  At the strains' values (a parameter's value, else 0)
    the internal variables are relaxed (dW/dz = 0) and the stiffness is the Hessian of the
    relaxed energy, d2W/de2 - W_ez W_zz^-1 W_ze; the stress is dW/de.  ``units[i][j]`` is the
    stiffness entry's SI unit, ``stress_units[i]`` the stress's.  From the compliance S (the
    inverse stiffness) a run reports the moduli 1/S_ii (in ``units[i][i]``: stress per strain i
    with the other stresses zero) and the contraction ratios -S_ij/S_ii (``ratio_units``),
    Young's moduli and Poisson's ratios when the strains are Voigt strains."""

    name: str
    iri: str
    energy: sympy.Expr
    strains: tuple[str, ...]
    internals: tuple[str, ...]
    strain_values: tuple[str | None, ...]  # the parameter holding each strain's value
    units: tuple[tuple[str, ...], ...]
    stress_units: tuple[str, ...]
    ratio_units: tuple[tuple[str, ...], ...] = ()  # of -S_ij/S_ii, S the compliance


def constant_derived(program: ProgramIR) -> tuple[DerivedIR, ...]:
    """The derived quantities that depend on parameters (and inputs) alone, in order: those
    computed once before a run.  The others depend on states and are inlined into the
    expressions that use them."""
    known = {p.symbol for p in program.parameters} | {r.symbol for r in program.inputs}
    if program.coupling is not None:
        known |= {sympy.Symbol(t.name, real=True) for t in program.coupling.tabulations}
    found = []
    for derived in program.derived:
        uses = derived.expr if derived.expr is not None else derived.residual
        assert uses is not None
        if uses.free_symbols - {derived.symbol} <= known:
            found.append(derived)
            known.add(derived.symbol)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class ProgramIR:
    """The whole model, lowered: parameters, derived quantities in evaluation order, submodels."""

    model_iri: str
    label: str
    source_sha256: str
    version: str
    parameters: tuple[ParameterIR, ...]
    derived: tuple[DerivedIR, ...]
    submodels: tuple[SubmodelIR, ...]
    inputs: tuple[InputIR, ...] = ()
    exchanges: tuple[ExchangeIR, ...] = ()
    coupling: CouplingIR | None = None
    energies: tuple[EnergyIR, ...] = ()
    # chaos expansions a run reports: (the averaged target, the total degree)
    expansions: tuple[tuple[str, int], ...] = ()
