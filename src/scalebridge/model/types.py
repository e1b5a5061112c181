"""The typed, immutable in-memory model: frozen dataclasses keyed by IRI.

Everything the checks and the composer need is here, read once from the graph by
:func:`scalebridge.model.build.build_model`.  Nodes are identified by their IRI (``_:id`` for a
blank node).  Every variable has a ``symbol`` (the name formulas use) and a ``name`` (a Python
identifier unique in the model, derived once and reused by the code generator).  Units are
:class:`~scalebridge.model.dimensions.Unit` values: a dimension vector and an SI scale factor.

A quantity written in the graph is a :data:`QuantitySpec`: a reference to a named variable
(:class:`Ref`), an inline number with a unit (:class:`Value`), or an inline formula
(:class:`Expression`).

Example
-------
>>> from scalebridge.model.dimensions import parse_unit
>>> v = Value(iri="_:b0", value=0.5, unit=parse_unit("m"))
>>> v.si_value()
0.5
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from scalebridge.model.dimensions import Unit
from scalebridge.model.expressions import Formula

__all__ = [
    "COORDINATES",
    "BoundFormula",
    "Boundary",
    "BridgeKind",
    "CarrierFlow",
    "Condition",
    "ConditionKind",
    "Coupling",
    "CouplingKind",
    "Distribution",
    "DistributionKind",
    "Domain",
    "DomainKind",
    "Equation",
    "Expression",
    "Junction",
    "Model",
    "Port",
    "QuantitySpec",
    "Ref",
    "Relation",
    "RelationKind",
    "ScaleBridge",
    "ScaleRange",
    "Side",
    "Submodel",
    "Table",
    "Term",
    "TermKind",
    "Value",
    "Variable",
    "VariableRole",
]

IRI = str

# Names that formulas reserve: time and the spatial coordinates. They bind to these markers,
# never to a variable.
COORDINATES: Mapping[str, str] = MappingProxyType({"t": "@t", "x": "@x", "y": "@y"})


class DomainKind(StrEnum):
    """The kinds of domain (see sb:Compartment, sb:Interval, sb:Rectangle, sb:Lattice)."""

    COMPARTMENT = "compartment"
    INTERVAL = "interval"
    RECTANGLE = "rectangle"
    LATTICE = "lattice"
    PARTICLE_CHAIN = "particle_chain"


class Side(StrEnum):
    """The side of a domain on which a boundary or port lies."""

    LEFT = "left"
    RIGHT = "right"
    BOTTOM = "bottom"
    TOP = "top"


class ConditionKind(StrEnum):
    """Boundary condition kinds."""

    DIRICHLET = "dirichlet"
    NEUMANN = "neumann"
    ROBIN = "robin"
    PERIODIC = "periodic"
    FORCED = "forced_by_bridge"


class VariableRole(StrEnum):
    """What determines a variable: evolved (field), given (parameter), or computed."""

    FIELD = "field"
    PARAMETER = "parameter"
    ALGEBRAIC = "algebraic"
    FLOW = "flow"
    POTENTIAL = "potential"


class TermKind(StrEnum):
    """Terms of a balance's right-hand side."""

    DIFFUSION = "diffusion"
    ADVECTION = "advection"
    SOURCE = "source"
    REACTION = "reaction"
    SINK = "sink"
    TRANSFER = "transfer"


class RelationKind(StrEnum):
    """Static relations."""

    ALGEBRAIC = "algebraic"
    IMPLICIT = "implicit"
    ENERGY = "energy_functional"


class BridgeKind(StrEnum):
    """Scale bridge kinds; AVERAGING is a kind of HOMOGENIZATION, SURROGATE of PARAMETER_PASSING."""

    HOMOGENIZATION = "homogenization"
    AVERAGING = "averaging"
    LOCALIZATION = "localization"
    PARAMETER_PASSING = "parameter_passing"
    SURROGATE = "surrogate"
    BOUNDARY_FORCING = "boundary_forcing"
    HANDSHAKE = "handshake"


class CouplingKind(StrEnum):
    """Coupling strategies."""

    HIERARCHICAL = "hierarchical"
    CONCURRENT = "concurrent"
    ONE_WAY_NESTING = "one_way_nesting"


class DistributionKind(StrEnum):
    """Distributions of random parameters."""

    NORMAL = "normal"
    LOG_NORMAL = "log_normal"
    UNIFORM = "uniform"


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundFormula:
    """A parsed formula with each of its names bound to a variable IRI (or a coordinate marker).

    ``scope`` is the namespace in which names were looked up.
    """

    formula: Formula
    bindings: Mapping[str, IRI]
    scope: str

    @property
    def text(self) -> str:
        """The formula as written."""
        return self.formula.text


@dataclass(frozen=True, slots=True, kw_only=True)
class Ref:
    """A quantity given by naming a variable (a parameter, field or algebraic variable)."""

    iri: IRI


@dataclass(frozen=True, slots=True, kw_only=True)
class Value:
    """An inline number with its unit (``unit`` is None when the modeller gave none)."""

    iri: IRI
    value: float
    unit: Unit | None

    def si_value(self) -> float:
        """The value in SI base units (as given when there is no unit)."""
        return self.unit.to_si(self.value) if self.unit is not None else self.value


@dataclass(frozen=True, slots=True, kw_only=True)
class Expression:
    """An inline formula, with the unit the modeller expects it in (if declared)."""

    iri: IRI
    formula: BoundFormula
    unit: Unit | None


QuantitySpec = Ref | Value | Expression


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """A tabulated function of one argument, interpolated linearly.

    ``arguments`` are in ``argument_unit`` (the argument variable's unit unless the table names
    its own), ``values`` in the owner's unit.  A parameter-passing bridge's table may have no
    values (empty): the composer builds them by running the fine model at each argument.
    """

    iri: IRI
    argument: IRI
    arguments: tuple[float, ...]
    values: tuple[float, ...]
    argument_unit: Unit | None

    @property
    def to_build(self) -> bool:
        """True when the values are to be computed by the fine model (none are given)."""
        return not self.values


@dataclass(frozen=True, slots=True, kw_only=True)
class Distribution:
    """A probability distribution; its numbers are in the parameter's unit (log s.d. excepted)."""

    iri: IRI
    kind: DistributionKind
    parameters: Mapping[str, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class Variable:
    """A named quantity: a field, parameter, algebraic variable or port variable.

    Role-specific attributes are None when they do not apply.  ``initial`` is a number in the
    field's unit or a formula; ``value`` a parameter's constant, in its unit.
    """

    iri: IRI
    role: VariableRole
    symbol: str
    name: str
    label: str
    unit: Unit | None
    quantity_kind: str | None = None
    domain: IRI | None = None
    initial: float | BoundFormula | None = None
    initial_velocity: float | BoundFormula | None = None
    value: float | None = None
    table: Table | None = None
    distribution: Distribution | None = None
    provided_by: IRI | None = None
    port: IRI | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """A boundary condition; which attributes are set depends on ``kind``."""

    iri: IRI
    kind: ConditionKind
    value: QuantitySpec | None = None
    flux: QuantitySpec | None = None
    coefficient: QuantitySpec | None = None
    ambient: QuantitySpec | None = None
    forced_by: IRI | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Boundary:
    """A side of a domain with its condition, and the field it constrains (None: the domain's
    only field)."""

    iri: IRI
    side: Side
    condition: Condition
    field: IRI | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Domain:
    """A domain.  ``cells`` is (n,) for an interval, (nx, ny) for a rectangle, (sites,) for a
    lattice and () for a compartment; the size quantities that apply are set."""

    iri: IRI
    name: str
    label: str
    kind: DomainKind
    cells: tuple[int, ...] = ()
    length: QuantitySpec | None = None
    width: QuantitySpec | None = None
    height: QuantitySpec | None = None
    volume: QuantitySpec | None = None
    spacing: QuantitySpec | None = None
    boundaries: tuple[Boundary, ...] = ()
    origin: QuantitySpec | None = None

    @property
    def dimension(self) -> int:
        """Spatial dimension: 0 for compartments and lattices' sites count as 1-D chains."""
        return {
            DomainKind.COMPARTMENT: 0,
            DomainKind.INTERVAL: 1,
            DomainKind.RECTANGLE: 2,
            DomainKind.LATTICE: 1,
            DomainKind.PARTICLE_CHAIN: 1,
        }[self.kind]


@dataclass(frozen=True, slots=True, kw_only=True)
class Term:
    """A term of a balance, or a standalone transfer (``equation`` is None for those)."""

    iri: IRI
    kind: TermKind
    equation: IRI | None = None
    coefficient: QuantitySpec | None = None
    velocity: QuantitySpec | None = None
    velocity_y: QuantitySpec | None = None
    expression: BoundFormula | None = None
    source_field: IRI | None = None
    target_field: IRI | None = None
    rate: QuantitySpec | None = None
    carrier: IRI | None = None
    flux_variables: tuple[IRI, ...] = ()  # a diffusion term's flux, one variable per direction


@dataclass(frozen=True, slots=True, kw_only=True)
class Equation:
    """capacity * d(field)/dt = sum(terms)   (or 0 = sum(terms) when ``steady``)."""

    iri: IRI
    name: str
    field: IRI
    steady: bool
    capacity: QuantitySpec | None
    terms: tuple[Term, ...]
    conserves: IRI | None = None
    mass: QuantitySpec | None = None
    stored_energy: IRI | None = None

    @property
    def of_motion(self) -> bool:
        """True for an equation of motion (sb:EquationOfMotion): mass x acceleration = force
        from the stored energy, second order in time."""
        return self.stored_energy is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Relation:
    """An algebraic relation, an implicit relation, or an energy functional."""

    iri: IRI
    name: str
    kind: RelationKind
    formula: BoundFormula
    target: IRI | None = None
    lower: float | None = None
    upper: float | None = None
    guess: float | None = None
    strain_variables: tuple[IRI, ...] = ()
    internal_variables: tuple[IRI, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Port:
    """A connector of a domain carrying a field, with its through and across variables."""

    iri: IRI
    name: str
    domain: IRI
    field: IRI
    side: Side | None = None
    potential: QuantitySpec | None = None
    flow_variable: IRI | None = None
    potential_variable: IRI | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Junction:
    """Ports joined so that flows sum to zero and potentials are equal (an interface: two)."""

    iri: IRI
    name: str
    interface: bool
    ports: tuple[IRI, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CarrierFlow:
    """A volumetric flow of a carrier from a compartment or port to another."""

    iri: IRI
    name: str
    source: IRI
    target: IRI
    rate: QuantitySpec


@dataclass(frozen=True, slots=True, kw_only=True)
class ScaleBridge:
    """A map from source variables to a target variable across scales."""

    iri: IRI
    name: str
    kind: BridgeKind
    sources: tuple[IRI, ...]
    target: IRI | None
    weights: tuple[float, ...] | None = None
    through: IRI | None = None
    table: Table | None = None
    conserves: IRI | None = None
    blending_start: QuantitySpec | None = None
    blending_end: QuantitySpec | None = None
    # An average over random parameters (sb:over): the expectation of the source over their
    # distributions, by a Gauss rule of ``nodes`` points per parameter (None: the default).
    over: tuple[IRI, ...] = ()
    nodes: int | None = None
    polynomial_order: int | None = None  # a chaos expansion of the source over ``over``


@dataclass(frozen=True, slots=True, kw_only=True)
class ScaleRange:
    """Grain and extent of a submodel along one axis of the scale separation map."""

    grain: QuantitySpec
    extent: QuantitySpec


@dataclass(frozen=True, slots=True, kw_only=True)
class Coupling:
    """A coupling strategy between two submodels and the bridges it uses."""

    iri: IRI
    name: str
    kind: CouplingKind
    submodels: tuple[IRI, ...]
    bridges: tuple[IRI, ...]
    margin: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Submodel:
    """A single-scale model: its domains, equations and relations, and its scales."""

    iri: IRI
    name: str
    label: str
    domains: tuple[IRI, ...]
    equations: tuple[IRI, ...]
    relations: tuple[IRI, ...]
    time_scale: ScaleRange | None = None
    length_scale: ScaleRange | None = None
    duration: QuantitySpec | None = None
    time_step: QuantitySpec | None = None
    output_interval: QuantitySpec | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Model:
    """A whole model: every part, keyed by IRI, in a stable (sorted) order.

    ``iri`` is the sb:Model node, or None when the graph holds only submodels (a library file).
    ``faulty`` holds the (node, property) pairs that were written but could not be read (the
    builder reported each), so that later checks do not report their absence a second time.
    """

    iri: IRI | None
    label: str
    submodels: Mapping[IRI, Submodel]
    domains: Mapping[IRI, Domain]
    variables: Mapping[IRI, Variable]
    equations: Mapping[IRI, Equation]
    relations: Mapping[IRI, Relation]
    transfers: Mapping[IRI, Term]
    ports: Mapping[IRI, Port]
    junctions: Mapping[IRI, Junction]
    carrier_flows: Mapping[IRI, CarrierFlow]
    bridges: Mapping[IRI, ScaleBridge]
    couplings: Mapping[IRI, Coupling]
    margin: float | None = None
    duration: QuantitySpec | None = None
    faulty: frozenset[tuple[IRI, str]] = frozenset()

    def variable_by_name(self, name: str) -> Variable | None:
        """The variable whose Python name is ``name``."""
        return next((v for v in self.variables.values() if v.name == name), None)
