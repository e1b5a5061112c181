"""The units check: every dimensional error of a model is a blocking error at its node.

libCellML and libSBML report unit errors as warnings, and OpenModelica's unit checker is off by
default; scalebridge refuses a model whose dimensions do not agree, names the node and the
property at fault, and gives both dimensions.  Dimensions are written in SI base units
(:meth:`~scalebridge.model.dimensional.Measure.describe`: ``kg m^-3 s^-1``).

Rules
-----
1. Every formula (term expressions, inline quantities ``[ sb:expression ... ]`` wherever they
   stand, initial-value formulas, relations) is analysed once with
   :func:`~scalebridge.model.analysis.formula_measure`: a sum, comparison, ``min``/``max`` or
   ``piecewise`` of different dimensions is ``UNITS_INHOMOGENEOUS``; a dimensional argument of
   exp, log, sin... is ``UNITS_FUNCTION_ARGUMENT``; a dimensional exponent, or a variable
   exponent of a dimensional base, is ``UNITS_EXPONENT``; one dimension at two scales (``ms``
   and ``s``) is ``UNITS_CONVERTED`` (information: the composer converts exactly).
2. Every term of a balance has the balance's measure, capacity x field / time
   (``UNITS_TERM_MISMATCH``).  A diffusion term measures coefficient x field / m^2, an
   advection term capacity x velocity x field / m (on intervals and rectangles; sb:velocityY
   has sb:velocity's dimension), a source, reaction, sink or transfer its formula.  Terms of
   one balance in one dimension at different scales are noted (``UNITS_CONVERTED``).
3. Boundary conditions (``UNITS_BOUNDARY_MISMATCH``) of the field a boundary constrains
   (sb:constrains, else the domain's one field that diffusion or advection transports): a
   Dirichlet value, a Robin ambient and a periodic side's level have the field's dimension; a
   Neumann flux has the
   balance's measure x m (amount per m^2 per s); a Robin coefficient x field has that flux's
   dimension.
4. An initial-value formula has the field's dimension (``UNITS_INITIAL_MISMATCH``); a formula
   of numbers alone ("300.0") is a number in the field's unit.
5. A formula with a declared sb:unit has that unit's dimension (``UNITS_DECLARED_MISMATCH``);
   at another scale it is noted (``UNITS_CONVERTED``).
6. Quantities in places of a fixed dimension (``UNITS_VALUE_MISMATCH``): length, width,
   height and spacing in m; volume in m^3; durations, time steps, output intervals and time
   grains and extents in s; length grains and extents and handshake blending bounds in m; a
   parameter's table's sb:argumentUnit in its argument's dimension.
7. The variable an algebraic relation defines has its formula's dimension
   (``UNITS_RELATION_MISMATCH``).
8. Averaging, localization, boundary forcing and handshake bridges map sources and target of
   one dimension (a general homogenization may derive a property of another dimension from a
   fine-scale solution), and the table of a bridge has its argument's dimension
   (``UNITS_BRIDGE_MISMATCH``; one dimension at two scales: ``UNITS_CONVERTED``).
9. Ports joined by a junction or interface present potentials of one dimension and carry
   fields whose balances share one dimension, and a port's declared sb:potentialVariable has
   the dimension of what the port presents (its sb:potential, else its field)
   (``UNITS_PORT_MISMATCH``).
10. A carrier flow moves rate x (potential at its start) out of the balance at its start and
    into the one at its end; a transfer's rate (or carrier rate x source field) leaves its
    sb:from balance and enters its sb:to balance: both must have those balances' measure, kg/s
    for a mass (``UNITS_FLOW_MISMATCH``).
11. A bridge or junction that connects two variables of one dimension but of quantity kinds
    that are not interchangeable (:data:`INTERCHANGEABLE_KINDS`) is a warning
    (``UNITS_KIND_CONFLICT``): Hz against Bq, a partition coefficient against a volume fraction.
12. An equation of motion (``UNITS_VALUE_MISMATCH`` for its mass, ``UNITS_RELATION_MISMATCH``
    for its stored energy): on a particle chain the mass is per particle (kg) and the energy
    per bond (J) of a stretch with the displacement's dimension; on an interval the mass is
    per unit length (kg/m) and the energy per unit length (J/m) of a dimensionless strain.
13. A quantity without a unit has an unknown measure and is skipped (the shapes report the
    missing unit where it is declared), and a formula or quantity found faulty by one rule is
    not judged again by another: each fault is reported once.

Example
-------
>>> import rdflib
>>> from scalebridge.model.build import build_model
>>> g = rdflib.Graph().parse(format="turtle", data='''
... @prefix sb: <https://w3id.org/scalebridge/ontology#> .
... @prefix : <https://example.org/u#> .
... :box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "L" ] .
... :C a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
... :k a sb:Parameter ; sb:value 0.1 ; sb:unit "1/h" .
... :T a sb:Parameter ; sb:value 300.0 ; sb:unit "K" .
... :decay a sb:Equation ; sb:rateOf :C ; sb:hasTerm :r .
... :r a sb:Reaction ; sb:expression "-k * C * exp(T)" .''')
>>> model, _ = build_model(g)
>>> [(str(d.code), d.actual) for d in check_units(model)]
[('UNITS_FUNCTION_ARGUMENT', 'K')]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

from scalebridge.diagnostics import Code, Diagnostic
from scalebridge.model.analysis import balance_measure, formula_measure, measures, quantity_measure
from scalebridge.model.dimensional import DIMENSIONLESS, UNKNOWN, Analysis, Measure
from scalebridge.model.dimensions import Dimension, Unit, quantity_kind_label
from scalebridge.model.junctions import exchanges
from scalebridge.model.types import (
    IRI,
    BoundFormula,
    BridgeKind,
    Condition,
    ConditionKind,
    Domain,
    DomainKind,
    Equation,
    Expression,
    Model,
    Port,
    QuantitySpec,
    Ref,
    RelationKind,
    Table,
    Term,
    TermKind,
    Value,
    VariableRole,
)
from scalebridge.ontology.vocab import SB

__all__ = ["INTERCHANGEABLE_KINDS", "check_units", "kinds_interchangeable"]

_LENGTH = Dimension.of(L=1)
_AREA = Dimension.of(L=2)
_VOLUME = Dimension.of(L=3)
_TIME = Dimension.of(T=1)
_MASS = Dimension.of(M=1)
_ENERGY = Dimension.of(M=1, L=2, T=-2)
_REL_SCALE = 1e-9

_QUDT_KIND_PREFIXES = (
    "http://qudt.org/vocab/quantitykind/",
    "https://qudt.org/vocab/quantitykind/",
    "quantitykind:",
    "qk:",
)

INTERCHANGEABLE_KINDS: tuple[frozenset[str], ...] = (
    frozenset({"Temperature", "ThermodynamicTemperature", "CelsiusTemperature"}),
    frozenset({"Length", "Distance", "Width", "Height", "Thickness", "Diameter", "Radius",
               "Depth", "Displacement"}),
    frozenset({"Volume", "LiquidVolume", "DryVolume"}),
    frozenset({"Time", "Period"}),
    frozenset({"Velocity", "Speed", "LinearVelocity"}),
    frozenset({"VolumeFlowRate", "VolumePerTime"}),
    frozenset({"MassFlowRate", "MassPerTime"}),
    frozenset({"Density", "MassDensity"}),
    frozenset({"Concentration", "AmountOfSubstanceConcentration"}),
    frozenset({"MoleFraction", "AmountOfSubstanceFraction"}),
    frozenset({"Strain", "LinearStrain"}),
    frozenset({"Pressure", "Stress", "NormalStress", "ForcePerArea"}),
    frozenset({"ModulusOfElasticity", "YoungsModulus"}),
    frozenset({"Energy", "Work", "ThermalEnergy", "Heat"}),
    frozenset({"Power", "HeatFlowRate"}),
    frozenset({"PowerPerArea", "HeatFluxDensity", "HeatFlowRatePerUnitArea"}),
    frozenset({"PowerPerVolume", "PowerDensity"}),
    frozenset({"SpecificHeatCapacity", "MassicHeatCapacity"}),
    frozenset({"DiffusionCoefficient", "Diffusivity"}),
    frozenset({"DynamicViscosity", "Viscosity"}),
    frozenset({"Voltage", "ElectricPotential", "ElectricPotentialDifference",
               "ElectromotiveForce"}),
    frozenset({"Resistance", "ElectricalResistance"}),
    frozenset({"Conductance", "ElectricalConductance"}),
    frozenset({"PlaneAngle", "Angle"}),
)
"""QUDT quantity kinds (local names) that name one quantity, so connecting them is no conflict.

Each set holds synonyms, or a kind and its narrower kinds that keep its meaning (a width is a
length; a thermodynamic temperature is a temperature).  Kinds of one dimension but of different
meaning stay apart: Frequency and Activity (Hz and Bq), DecayConstant, MassFraction and
VolumeFraction, Stress and ModulusOfElasticity, Energy and Torque, HalfLife and Time.
"""


def _kind_key(iri: str) -> str:
    for prefix in _QUDT_KIND_PREFIXES:
        if iri.startswith(prefix):
            return iri[len(prefix):]
    return iri


def kinds_interchangeable(first: str, second: str) -> bool:
    """True when two quantity kind IRIs name the same quantity (equal, or one set of
    :data:`INTERCHANGEABLE_KINDS`).

    >>> qk = "http://qudt.org/vocab/quantitykind/"
    >>> kinds_interchangeable(qk + "Temperature", qk + "ThermodynamicTemperature")
    True
    >>> kinds_interchangeable(qk + "Frequency", qk + "Activity")
    False
    """
    a, b = _kind_key(first), _kind_key(second)
    return a == b or any(a in group and b in group for group in INTERCHANGEABLE_KINDS)


def check_units(model: Model) -> list[Diagnostic]:
    """Every dimensional error of ``model`` (the rules are in the module docstring)."""
    return _UnitsCheck(model).run()


def _local(iri: str) -> str:
    if iri.startswith("_:"):
        return "(unnamed)"
    cut = max(iri.rfind("#"), iri.rfind("/"), iri.rfind(":"))
    return iri[cut + 1:]


def _unit(unit: Unit) -> str:
    """A unit as the modeller wrote it: unit:X for a QUDT IRI, else the text."""
    if unit.iri is not None:
        return "unit:" + unit.iri.rstrip("/").rsplit("/", 1)[-1]
    return unit.text


def _scaled(measure: Measure) -> str:
    return f"{measure.describe()}, x {measure.scale:.6g} to SI"


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _same_scale(a: Measure, b: Measure) -> bool:
    return math.isclose(a.scale, b.scale, rel_tol=_REL_SCALE)


def _comparable(measure: Measure) -> bool:
    """A measure with a definite dimension (neither unknown nor the wildcard zero)."""
    return measure.dimension is not None and not measure.wildcard


def _times(*factors: Measure) -> Measure:
    """The product of measures; unknown as soon as one factor is."""
    dimension = Dimension.dimensionless()
    scale = 1.0
    for factor in factors:
        if not _comparable(factor):
            return UNKNOWN
        assert factor.dimension is not None
        dimension = dimension * factor.dimension
        scale *= factor.scale
    return Measure(dimension, scale)


def _per(measure: Measure, dimension: Dimension) -> Measure:
    if not _comparable(measure):
        return UNKNOWN
    assert measure.dimension is not None
    return Measure(measure.dimension / dimension, measure.scale)


def _differ(found: Measure, expected: Measure) -> bool:
    """Both dimensions known, and different."""
    return _comparable(found) and _comparable(expected) and found.dimension != expected.dimension


def _pure_number(formula: BoundFormula) -> bool:
    """A formula of numbers alone: a number in the unit of the quantity it gives."""
    return not formula.formula.names and not formula.formula.unit_literals


_TERM_WORDS = {
    TermKind.DIFFUSION: "diffusion",
    TermKind.ADVECTION: "advection",
    TermKind.SOURCE: "source",
    TermKind.REACTION: "reaction",
    TermKind.SINK: "sink",
    TermKind.TRANSFER: "transfer",
}


class _UnitsCheck:
    """One pass over the model.

    ``formula_measures`` holds the measure of every formula analysed (unknown for one found at
    fault) and ``quantity_faults`` the inline quantities found at fault, so that no later rule
    judges them again.
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        self.env = measures(model)
        self.found: list[Diagnostic] = []
        self.analyses: dict[tuple[IRI, str], Analysis] = {}
        self.formula_measures: dict[tuple[IRI, str], Measure] = {}
        self.quantity_faults: set[IRI] = set()
        self.balances: dict[IRI, Equation] = {}
        for equation in sorted(model.equations.values(), key=lambda e: e.iri):
            self.balances.setdefault(equation.field, equation)

    def run(self) -> list[Diagnostic]:
        self.formulas()
        self.terms()
        self.boundaries()
        self.initial_values()
        self.places()
        self.relations()
        self.bridges()
        self.junctions()
        self.flows()
        self.motions()
        return self.found

    # -- rule 12: equations of motion -------------------------------------------------------

    def motions(self) -> None:
        """On a chain: mass in kg, bond energy in J of a stretch with the field's dimension; on
        an interval: mass in kg/m, energy in J/m of a dimensionless strain."""
        for equation in sorted(self.model.equations.values(), key=lambda e: e.iri):
            relation = self.model.relations.get(equation.stored_energy or "")
            variable = self.model.variables.get(equation.field)
            domain = self.model.domains.get(variable.domain or "") if variable else None
            if not equation.of_motion or relation is None or domain is None:
                continue
            field = self.env.get(equation.field, UNKNOWN)
            chain = domain.kind is DomainKind.PARTICLE_CHAIN
            per = Dimension.dimensionless() if chain else _LENGTH
            where = "a particle of a chain" if chain else "a unit length of a bar"
            self.place(f"the mass of '{_local(equation.iri)}' ({where})", equation.mass,
                       _MASS / per, equation.iri, str(SB.mass))
            found = self.formula(relation.iri, str(SB.expression))
            expected = Measure(_ENERGY / per)
            if _comparable(found) and found.dimension != expected.dimension:
                self.report(
                    Code.UNITS_RELATION_MISMATCH,
                    f"the stored energy '{_local(relation.iri)}' of '{_local(equation.iri)}' is "
                    f"{found.describe()}, but on {where} it must be {expected.describe()}",
                    relation.iri, str(SB.expression), expected=expected, actual=found)
            for strain in relation.strain_variables[:1]:
                measured = self.env.get(strain, UNKNOWN)
                wanted = field if chain else Measure(Dimension.dimensionless())
                if (_comparable(measured) and _comparable(wanted)
                        and measured.dimension != wanted.dimension):
                    what = ("the bond stretch, with the displacement's dimension" if chain
                            else "the strain du/dx, dimensionless")
                    self.report(
                        Code.UNITS_RELATION_MISMATCH,
                        f"the strain variable {self.symbol(strain)} of '{_local(relation.iri)}' "
                        f"is {measured.describe()}, but it is {what}",
                        relation.iri, str(SB.strainVariables), expected=wanted,
                        actual=measured)

    def report(self, code: Code, message: str, subject: IRI | None, path: str | None, *,
               expected: Measure | str | None = None,
               actual: Measure | str | None = None) -> None:
        self.found.append(Diagnostic.make(
            code, message, subject=subject, path=path,
            expected=expected.describe() if isinstance(expected, Measure) else expected,
            actual=actual.describe() if isinstance(actual, Measure) else actual))

    # -- names for messages ----------------------------------------------------------------

    def symbol(self, iri: IRI) -> str:
        variable = self.model.variables.get(iri)
        return variable.symbol if variable is not None else _local(iri)

    def show(self, spec: QuantitySpec) -> str:
        if isinstance(spec, Ref):
            return self.symbol(spec.iri)
        if isinstance(spec, Value):
            unit = f" {_unit(spec.unit)}" if spec.unit is not None else ""
            return f"{spec.value:g}{unit}"
        return f'"{_clip(spec.formula.text)}"'

    def show_term(self, term: Term) -> str:
        word = _TERM_WORDS[term.kind]
        if term.expression is not None:
            return f'{word} term "{_clip(term.expression.text)}"'
        if term.kind is TermKind.DIFFUSION and term.coefficient is not None:
            return f"{word} term with coefficient {self.show(term.coefficient)}"
        if term.kind is TermKind.ADVECTION and term.velocity is not None:
            return f"{word} term with velocity {self.show(term.velocity)}"
        return f"{word} term"

    # -- measures, faults excluded -----------------------------------------------------------

    def measure(self, spec: QuantitySpec | None) -> Measure:
        """A quantity's measure; unknown where a rule already found the quantity at fault."""
        if spec is None or spec.iri in self.quantity_faults:
            return UNKNOWN
        return quantity_measure(self.model, spec, self.env)[0]

    def formula(self, owner: IRI, path: str) -> Measure:
        return self.formula_measures.get((owner, path), UNKNOWN)

    def balance(self, field: IRI) -> tuple[Equation, Measure] | None:
        equation = self.balances.get(field)
        if equation is None:
            return None
        if equation.capacity is not None and equation.capacity.iri in self.quantity_faults:
            return None
        measure = balance_measure(self.model, equation, self.env)
        return (equation, measure) if _comparable(measure) else None

    # -- rule 1 and rule 5: every formula, once ----------------------------------------------

    def quantities(self) -> Iterator[QuantitySpec | None]:
        """Every quantity-valued property of the model."""
        m = self.model
        for equation in m.equations.values():
            yield equation.capacity
            for term in equation.terms:
                yield from (term.coefficient, term.velocity, term.velocity_y, term.rate)
        for term in m.transfers.values():
            yield from (term.coefficient, term.velocity, term.velocity_y, term.rate)
        for domain in m.domains.values():
            yield from (domain.length, domain.width, domain.height, domain.volume, domain.spacing)
            for boundary in domain.boundaries:
                c = boundary.condition
                yield from (c.value, c.flux, c.coefficient, c.ambient)
        yield from (port.potential for port in m.ports.values())
        yield from (flow.rate for flow in m.carrier_flows.values())
        for bridge in m.bridges.values():
            yield from (bridge.blending_start, bridge.blending_end)
        for submodel in m.submodels.values():
            for scale_range in (submodel.time_scale, submodel.length_scale):
                if scale_range is not None:
                    yield from (scale_range.grain, scale_range.extent)
            yield from (submodel.duration, submodel.time_step, submodel.output_interval)
        yield m.duration

    def formulas(self) -> None:
        seen: set[IRI] = set()
        for spec in self.quantities():
            if isinstance(spec, Expression) and spec.iri not in seen:
                seen.add(spec.iri)
                self.expression_quantity(spec)
        terms = [t for e in self.model.equations.values() for t in e.terms]
        for term in terms + list(self.model.transfers.values()):
            if term.expression is not None:
                self.analyse(term.iri, str(SB.expression), term.expression)
        for variable in self.model.variables.values():
            if isinstance(variable.initial, BoundFormula):
                self.analyse(variable.iri, str(SB.initialValue), variable.initial)
        for relation in self.model.relations.values():
            self.analyse(relation.iri, str(SB.expression), relation.formula)

    def analyse(self, owner: IRI, path: str, formula: BoundFormula) -> Analysis:
        """Report the formula's own inhomogeneities; remember its measure if it has none."""
        cached = self.analyses.get((owner, path))
        if cached is not None:
            return cached  # a node reached twice (a term listed by two balances) is judged once
        analysis = formula_measure(formula, self.env)
        self.analyses[(owner, path)] = analysis
        codes = {
            "mismatch": Code.UNITS_INHOMOGENEOUS,
            "not_dimensionless": Code.UNITS_FUNCTION_ARGUMENT,
            "exponent": Code.UNITS_EXPONENT,
            "conversion": Code.UNITS_CONVERTED,
        }
        for issue in analysis.issues:
            self.report(codes[issue.kind], f'in "{_clip(formula.text)}": {issue.message}',
                        owner, path, expected=issue.expected, actual=issue.actual)
        # A formula at fault has no trustworthy measure: the later rules skip it.
        self.formula_measures[(owner, path)] = UNKNOWN if analysis.errors else analysis.measure
        return analysis

    def expression_quantity(self, spec: Expression) -> None:
        analysis = self.analyse(spec.iri, str(SB.expression), spec.formula)
        if analysis.errors:
            self.quantity_faults.add(spec.iri)
            return
        found = analysis.measure
        if spec.unit is None or _pure_number(spec.formula) or not _comparable(found):
            return
        declared = Measure.of(spec.unit)
        if found.dimension != declared.dimension:
            self.quantity_faults.add(spec.iri)
            self.report(
                Code.UNITS_DECLARED_MISMATCH,
                f'the formula "{_clip(spec.formula.text)}" has dimension {found.describe()}, '
                f"but its declared unit {_unit(spec.unit)} has {declared.describe()}",
                spec.iri, str(SB.unit), expected=declared, actual=found)
        elif not _same_scale(found, declared):
            self.report(
                Code.UNITS_CONVERTED,
                f'the formula "{_clip(spec.formula.text)}" is computed in SI and is converted '
                f"by a factor {found.scale / declared.scale:.6g} to its declared unit "
                f"{_unit(spec.unit)}",
                spec.iri, str(SB.unit), expected=_scaled(declared), actual=_scaled(found))

    # -- rule 2: terms against their balance ----------------------------------------------

    def spatial_domain(self, field: IRI) -> Domain | None:
        variable = self.model.variables.get(field)
        domain = self.model.domains.get(variable.domain or "") if variable else None
        if domain is None or domain.kind not in (DomainKind.INTERVAL, DomainKind.RECTANGLE):
            return None  # diffusion elsewhere is the structure check's business
        return domain

    def term_measure(self, equation: Equation, term: Term) -> tuple[Measure, str]:
        """What the term measures, and the property it is written with."""
        field = self.env.get(equation.field, UNKNOWN)
        if term.kind is TermKind.DIFFUSION:
            if self.spatial_domain(equation.field) is None:
                return UNKNOWN, str(SB.coefficient)
            found = _per(_times(self.measure(term.coefficient), field), _AREA)
            return found, str(SB.coefficient)
        if term.kind is TermKind.ADVECTION:
            if self.spatial_domain(equation.field) is None:
                return UNKNOWN, str(SB.velocity)
            capacity = (self.measure(equation.capacity) if equation.capacity is not None
                        else DIMENSIONLESS)
            found = _per(_times(capacity, self.measure(term.velocity), field), _LENGTH)
            return found, str(SB.velocity)
        if term.expression is not None:
            return self.formula(term.iri, str(SB.expression)), str(SB.expression)
        return UNKNOWN, str(SB.expression)  # a transfer with a rate: see flows()

    def terms(self) -> None:
        for equation in self.model.equations.values():
            balance = self.balance(equation.field)
            expected = balance[1] if balance is not None else UNKNOWN
            field = self.symbol(equation.field)
            agreeing: list[tuple[Term, Measure]] = []
            for term in equation.terms:
                if term.kind is TermKind.ADVECTION:
                    self.velocity_components(equation, term)
                if term.kind is TermKind.DIFFUSION and term.flux_variables:
                    self.flux_variables(equation, term)
                found, path = self.term_measure(equation, term)
                if not (_comparable(found) and _comparable(expected)):
                    continue
                if found.dimension == expected.dimension:
                    agreeing.append((term, found))
                    continue
                self.report(
                    Code.UNITS_TERM_MISMATCH,
                    f"in equation '{_local(equation.iri)}' (the balance of {field}), the "
                    f"{self.show_term(term)} has dimension {found.describe()}, but every term "
                    f"must have {expected.describe()} (capacity x {field} / time)",
                    term.iri, path, expected=expected, actual=found)
            self.term_scales(equation, expected, agreeing)

    def flux_variables(self, equation: Equation, term: Term) -> None:
        """A diffusion term's flux variables hold -k du/dx: coefficient x field / length."""
        if self.spatial_domain(equation.field) is None:
            return
        field = self.env.get(equation.field, UNKNOWN)
        expected = _per(_times(self.measure(term.coefficient), field), _LENGTH)
        for iri in term.flux_variables:
            found = self.env.get(iri, UNKNOWN)
            if not (_comparable(found) and _comparable(expected)):
                continue
            if found.dimension != expected.dimension:
                self.report(
                    Code.UNITS_TERM_MISMATCH,
                    f"in equation '{_local(equation.iri)}', the diffusion term's flux variable "
                    f"{self.symbol(iri)} has dimension {found.describe()}, but a flux -k du/dx "
                    f"of {self.symbol(equation.field)} has {expected.describe()} (coefficient x "
                    "field / length)",
                    term.iri, str(SB.fluxVariables), expected=expected, actual=found)

    def velocity_components(self, equation: Equation, term: Term) -> None:
        vx, vy = self.measure(term.velocity), self.measure(term.velocity_y)
        if (term.velocity_y is not None and _comparable(vx) and _comparable(vy)
                and vx.dimension != vy.dimension):
            self.report(
                Code.UNITS_TERM_MISMATCH,
                f"in equation '{_local(equation.iri)}', the advection term's velocityY "
                f"{self.show(term.velocity_y)} has dimension {vy.describe()}, "
                f"but its velocity has {vx.describe()}",
                term.iri, str(SB.velocityY), expected=vx, actual=vy)

    def term_scales(self, equation: Equation, expected: Measure,
                    agreeing: Sequence[tuple[Term, Measure]]) -> None:
        if len(agreeing) < 2:
            return
        # Blank-node terms have no stable order; order them by what the modeller wrote.
        ordered = sorted(agreeing, key=lambda tm: (self.show_term(tm[0]), tm[0].iri))
        reference = next((tm for tm in ordered if _same_scale(tm[1], expected)), ordered[0])
        for term, found in ordered:
            if _same_scale(found, reference[1]):
                continue
            factor = found.scale / reference[1].scale
            self.report(
                Code.UNITS_CONVERTED,
                f"in equation '{_local(equation.iri)}', the {self.show_term(term)} is "
                f"converted by a factor {factor:.6g} to the units of the "
                f"{self.show_term(reference[0])} before they are summed",
                term.iri, self.term_measure(equation, term)[1],
                expected=_scaled(reference[1]), actual=_scaled(found))

    # -- rule 3: boundary conditions ----------------------------------------------------------

    def transported_fields(self, domain: Domain) -> list[IRI]:
        found = []
        for variable in self.model.variables.values():
            if variable.role is not VariableRole.FIELD or variable.domain != domain.iri:
                continue
            equation = self.balances.get(variable.iri)
            if equation is not None and any(
                    t.kind in (TermKind.DIFFUSION, TermKind.ADVECTION) for t in equation.terms):
                found.append(variable.iri)
        return sorted(found)

    def boundaries(self) -> None:
        for domain in self.model.domains.values():
            for boundary in domain.boundaries:
                fields = ([boundary.field] if boundary.field is not None
                          else self.transported_fields(domain))
                # Several candidates: the boundary must name its field, and the structure
                # check says so.
                if len(fields) == 1:
                    self.condition(domain, boundary.side.value, boundary.condition, fields[0])

    def condition(self, domain: Domain, side: str, c: Condition, field: IRI) -> None:
        u = self.env.get(field, UNKNOWN)
        balance = self.balance(field)
        flux = (_times(balance[1], Measure(_LENGTH)) if balance is not None else UNKNOWN)
        where = f"on the {side} side of '{_local(domain.iri)}'"
        name = self.symbol(field)
        checks: list[tuple[str, QuantitySpec | None, Measure, str, str]] = []
        if c.kind is ConditionKind.DIRICHLET:
            checks.append(("Dirichlet value", c.value, u, str(SB.boundaryValue),
                           f"the dimension of the field {name}"))
        elif c.kind is ConditionKind.PERIODIC:
            checks.append(("periodic level", c.value, u, str(SB.level),
                           f"the dimension of the field {name}"))
        elif c.kind is ConditionKind.NEUMANN:
            checks.append(("Neumann flux", c.flux, flux, str(SB.flux),
                           f"the balance of {name} per m^2 per time"))
        elif c.kind is ConditionKind.ROBIN:
            checks.append(("Robin ambient", c.ambient, u, str(SB.ambient),
                           f"the dimension of the field {name}"))
            coefficient = _per(flux, u.dimension) if u.dimension is not None else UNKNOWN
            checks.append(("Robin coefficient", c.coefficient, coefficient, str(SB.coefficient),
                           f"the flux of {name}'s balance per unit of {name}"))
        for what, spec, expected, path, why in checks:
            found = self.measure(spec)
            if spec is None or not (_comparable(found) and _comparable(expected)):
                continue
            if found.dimension != expected.dimension:
                self.report(
                    Code.UNITS_BOUNDARY_MISMATCH,
                    f"the {what} {self.show(spec)} {where} has dimension {found.describe()}, "
                    f"but it must have {expected.describe()} ({why})",
                    c.iri, path, expected=expected, actual=found)

    # -- rule 4: initial values -----------------------------------------------------------

    def initial_values(self) -> None:
        for variable in self.model.variables.values():
            initial = variable.initial
            if not isinstance(initial, BoundFormula) or _pure_number(initial):
                continue
            found = self.formula(variable.iri, str(SB.initialValue))
            expected = self.env.get(variable.iri, UNKNOWN)
            if _differ(found, expected):
                self.report(
                    Code.UNITS_INITIAL_MISMATCH,
                    f'the initial value "{_clip(initial.text)}" of {variable.symbol} has '
                    f"dimension {found.describe()}, but {variable.symbol} has "
                    f"{expected.describe()}",
                    variable.iri, str(SB.initialValue), expected=expected, actual=found)

    # -- rule 6: places of a fixed dimension ------------------------------------------------

    def places(self) -> None:
        m = self.model
        for domain in m.domains.values():
            name = f"{domain.kind.value} '{_local(domain.iri)}'"
            for what, spec, dimension, prop in (
                    ("length", domain.length, _LENGTH, SB.length),
                    ("width", domain.width, _LENGTH, SB.width),
                    ("height", domain.height, _LENGTH, SB.height),
                    ("volume", domain.volume, _VOLUME, SB.volume),
                    ("spacing", domain.spacing, _LENGTH, SB.spacing)):
                self.place(f"the {what} of {name}", spec, dimension, domain.iri, str(prop))
        for bridge in m.bridges.values():
            for what, spec, prop in (("start", bridge.blending_start, SB.blendingStart),
                                     ("end", bridge.blending_end, SB.blendingEnd)):
                self.place(f"the blending {what} of '{_local(bridge.iri)}'", spec, _LENGTH,
                           bridge.iri, str(prop))
        for submodel in m.submodels.values():
            name = f"'{_local(submodel.iri)}'"
            for axis, scale_range, dimension, prop in (
                    ("time", submodel.time_scale, _TIME, SB.timeScale),
                    ("length", submodel.length_scale, _LENGTH, SB.lengthScale)):
                if scale_range is None:
                    continue
                for end, spec in (("grain", scale_range.grain), ("extent", scale_range.extent)):
                    # The scale range node itself is not kept: point at the inline quantity.
                    subject, path = ((submodel.iri, str(prop)) if isinstance(spec, Ref)
                                     else (spec.iri, str(SB.unit)))
                    self.place(f"the {axis}-scale {end} of {name}", spec, dimension, subject, path)
            for what, spec, prop in (("duration", submodel.duration, SB.duration),
                                     ("time step", submodel.time_step, SB.timeStep),
                                     ("output interval", submodel.output_interval,
                                      SB.outputInterval)):
                self.place(f"the {what} of {name}", spec, _TIME, submodel.iri, str(prop))
        if m.iri is not None:
            self.place(f"the duration of '{_local(m.iri)}'", m.duration, _TIME, m.iri,
                       str(SB.duration))
        for variable in m.variables.values():
            if variable.table is not None:
                self.table(variable.table, Code.UNITS_VALUE_MISMATCH,
                           f"the table of {variable.symbol}")

    def place(self, what: str, spec: QuantitySpec | None, dimension: Dimension,
              subject: IRI, path: str) -> None:
        found = self.measure(spec)
        if spec is None or not _comparable(found) or found.dimension == dimension:
            return
        expected = Measure(dimension).describe()
        self.report(
            Code.UNITS_VALUE_MISMATCH,
            f"{what} is {self.show(spec)}, of dimension {found.describe()}, but it must be "
            f"{expected}",
            subject, path, expected=expected, actual=found)

    def table(self, table: Table, code: Code, what: str) -> None:
        if table.argument_unit is None:
            return  # the arguments are in the argument variable's own unit
        argument = self.env.get(table.argument, UNKNOWN)
        found = Measure.of(table.argument_unit)
        if _comparable(argument) and found.dimension != argument.dimension:
            self.report(
                code,
                f"{what} gives its arguments in {_unit(table.argument_unit)} "
                f"({found.describe()}), but its argument {self.symbol(table.argument)} has "
                f"dimension {argument.describe()}",
                table.iri, str(SB.argumentUnit), expected=argument, actual=found)

    # -- rule 7: relations ---------------------------------------------------------------

    def relations(self) -> None:
        for relation in self.model.relations.values():
            if relation.kind is not RelationKind.ALGEBRAIC or relation.target is None:
                continue
            found = self.formula(relation.iri, str(SB.expression))
            expected = self.env.get(relation.target, UNKNOWN)
            if _differ(found, expected):
                name = self.symbol(relation.target)
                self.report(
                    Code.UNITS_RELATION_MISMATCH,
                    f"relation '{_local(relation.iri)}' defines {name}, of dimension "
                    f"{expected.describe()}, as \"{_clip(relation.formula.text)}\", of dimension "
                    f"{found.describe()}",
                    relation.iri, str(SB.defines), expected=expected, actual=found)

    # -- rule 8 and rule 11: bridges ------------------------------------------------------

    # A general homogenization derives an effective property from a fine-scale solution (an
    # RVE's temperature field gives an effective conductivity), so it may change dimension; an
    # averaging, a localization, a boundary forcing and a handshake pass one quantity on.
    _SAME_DIMENSION = frozenset({BridgeKind.AVERAGING, BridgeKind.LOCALIZATION,
                                 BridgeKind.BOUNDARY_FORCING, BridgeKind.HANDSHAKE})

    def bridges(self) -> None:
        for bridge in self.model.bridges.values():
            name = f"{bridge.kind.value.replace('_', ' ')} bridge '{_local(bridge.iri)}'"
            if bridge.table is not None:
                self.table(bridge.table, Code.UNITS_BRIDGE_MISMATCH, f"the table of {name}")
            if bridge.target is None:
                continue
            target = self.env.get(bridge.target, UNKNOWN)
            for source in bridge.sources:
                found = self.env.get(source, UNKNOWN)
                if not (_comparable(found) and _comparable(target)):
                    continue
                pair = f"{self.symbol(source)} ({found.describe()}) onto " \
                       f"{self.symbol(bridge.target)} ({target.describe()})"
                if found.dimension != target.dimension:
                    if bridge.kind in self._SAME_DIMENSION:
                        self.report(
                            Code.UNITS_BRIDGE_MISMATCH,
                            f"{name} maps {pair}: a {bridge.kind.value.replace('_', ' ')} "
                            "passes one quantity between scales, in one dimension",
                            bridge.iri, str(SB.source), expected=target, actual=found)
                    continue
                if bridge.kind in self._SAME_DIMENSION and not _same_scale(found, target):
                    self.report(
                        Code.UNITS_CONVERTED,
                        f"{name} maps {pair} and converts by a factor "
                        f"{found.scale / target.scale:.6g}",
                        bridge.iri, str(SB.source), expected=_scaled(target),
                        actual=_scaled(found))
                self.kinds(name, source, bridge.target, bridge.iri, str(SB.target))

    def kinds(self, where: str, first: IRI, second: IRI, subject: IRI, path: str) -> None:
        a, b = self.model.variables.get(first), self.model.variables.get(second)
        if a is None or b is None or a.quantity_kind is None or b.quantity_kind is None:
            return
        if kinds_interchangeable(a.quantity_kind, b.quantity_kind):
            return
        self.report(
            Code.UNITS_KIND_CONFLICT,
            f"{where} connects {a.symbol} ({quantity_kind_label(a.quantity_kind)}) to "
            f"{b.symbol} ({quantity_kind_label(b.quantity_kind)}): one dimension, but "
            "quantities of different kinds",
            subject, path, expected=_kind_key(b.quantity_kind), actual=_kind_key(a.quantity_kind))

    # -- rule 9 and rule 11: junctions --------------------------------------------------------

    def potential(self, port: Port) -> Measure:
        if port.potential is not None:
            return self.measure(port.potential)
        return self.env.get(port.field, UNKNOWN)

    def junctions(self) -> None:
        for port in sorted(self.model.ports.values(), key=lambda p: p.iri):
            declared = self.env.get(port.potential_variable or "", UNKNOWN)
            presented = self.potential(port)
            if (port.potential_variable is not None and _comparable(declared)
                    and _comparable(presented) and declared.dimension != presented.dimension):
                self.report(
                    Code.UNITS_PORT_MISMATCH,
                    f"port '{_local(port.iri)}' presents {presented.describe()}, but its "
                    f"potential variable '{self.symbol(port.potential_variable)}' is declared "
                    f"in {declared.describe()}",
                    port.iri, str(SB.potentialVariable), expected=presented, actual=declared)
        for junction in self.model.junctions.values():
            ports = [self.model.ports[p] for p in junction.ports if p in self.model.ports]
            what = f"{'interface' if junction.interface else 'junction'} '{_local(junction.iri)}'"
            if self.joined(junction.iri, what, ports, "potential", self.potential):
                continue
            if self.joined(junction.iri, what, ports, "balance",
                           lambda p: b[1] if (b := self.balance(p.field)) else UNKNOWN):
                continue
            reference = ports[0] if ports else None
            for port in ports[1:]:
                assert reference is not None
                self.kinds(what, reference.field, port.field, junction.iri, str(SB.joins))

    def joined(self, subject: IRI, what: str, ports: Sequence[Port], aspect: str,
               measure_of: Callable[[Port], Measure]) -> bool:
        """Report the ports whose ``aspect`` differs in dimension from the first port's."""
        known = [(p, m) for p in ports if _comparable(m := measure_of(p))]
        if not known:
            return False
        reference, expected = known[0]
        odd = [(p, m) for p, m in known[1:] if m.dimension != expected.dimension]
        if odd:
            listed = ", ".join(f"that of '{_local(p.iri)}' is {m.describe()}" for p, m in odd)
            aspect_of = ("potential" if aspect == "potential"
                         else "balance of the carried field")
            self.report(
                Code.UNITS_PORT_MISMATCH,
                f"{what} joins ports of different dimensions: the {aspect_of} of "
                f"'{_local(reference.iri)}' is {expected.describe()}, but {listed}",
                subject, str(SB.joins), expected=expected, actual=odd[0][1])
            return True
        if aspect == "potential":
            for port, found in known[1:]:
                if not _same_scale(found, expected):
                    self.report(
                        Code.UNITS_CONVERTED,
                        f"{what} converts the potential of '{_local(port.iri)}' by a factor "
                        f"{found.scale / expected.scale:.6g} to the units of "
                        f"'{_local(reference.iri)}'",
                        subject, str(SB.joins), expected=_scaled(expected),
                        actual=_scaled(found))
        return False

    # -- rule 10: carrier flows and transfers ------------------------------------------------

    def flows(self) -> None:
        """Every exchange (a carrier flow or a standalone transfer) against both its balances."""
        for exchange in exchanges(self.model):
            flow = exchange.flow
            if flow is not None:
                leaving = (self.measure(exchange.leaving) if exchange.leaving is not None
                           else self.env.get(exchange.source, UNKNOWN))
                shown = (self.show(exchange.leaving) if exchange.leaving is not None
                         else self.symbol(exchange.source))
                moved = _times(self.measure(flow.rate), leaving)
                how = f"rate {self.show(flow.rate)} x {shown}"
                if exchange.origin == flow.iri:
                    what, path = f"carrier flow '{_local(flow.iri)}'", SB.rate
                else:
                    what, path = f"transfer '{_local(exchange.origin)}'", SB.carrier
            elif exchange.rate is not None:
                what = f"transfer '{_local(exchange.origin)}'"
                how = f"rate {self.show(exchange.rate)}"
                # A standalone transfer written with sb:expression has its formula as its rate.
                if isinstance(exchange.rate, Expression) and exchange.rate.iri == exchange.origin:
                    moved, path = self.formula(exchange.origin, str(SB.expression)), SB.expression
                else:
                    moved, path = self.measure(exchange.rate), SB.rate
            else:
                continue
            targets = [exchange.target] if exchange.target is not None else []
            self.moved(what, how, moved, source=exchange.source, targets=targets,
                       subject=exchange.origin, path=str(path))

    def moved(self, what: str, how: str, moved: Measure, *, source: IRI,
              targets: Sequence[IRI], subject: IRI, path: str) -> None:
        """``moved`` leaves ``source``'s balance and enters each of ``targets``'."""
        if not _comparable(moved):
            return
        wrong: list[tuple[str, Measure]] = []
        for field, verb in [(source, "leaves"), *((t, "enters") for t in targets)]:
            balance = self.balance(field)
            if balance is not None and balance[1].dimension != moved.dimension:
                wrong.append((f"the balance of {self.symbol(field)} it {verb} "
                              f"('{_local(balance[0].iri)}') needs {balance[1].describe()}",
                              balance[1]))
        if wrong:
            self.report(
                Code.UNITS_FLOW_MISMATCH,
                f"{what} moves {how}, of dimension {moved.describe()}, but "
                + " and ".join(w for w, _ in wrong),
                subject, path, expected=wrong[0][1], actual=moved)
