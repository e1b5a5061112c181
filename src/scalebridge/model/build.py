"""From an RDF graph to the typed model: ``build_model(graph) -> (Model, Report)``.

One reader per rdf:type.  The builder never raises for a fault in the model: whatever it cannot
read becomes a diagnostic (or, for pure structure such as a missing property, is left to the
SHACL shapes, which report it), and the part is left out of the model.  It derives Python-safe
names once, parses units into dimension vectors and SI scale factors, parses formulas with the
safe grammar and binds every name in them to a variable.

Name scoping: a name in a formula refers to the variable with that symbol in the formula's own
namespace (the IRI up to its last '#' or '/', or that of the nearest named node above a blank
node); failing that, to the only variable with that symbol anywhere in the model.

Example
-------
>>> g = rdflib.Graph().parse(format="turtle", data='''
... @prefix sb: <https://w3id.org/scalebridge/ontology#> .
... @prefix : <https://example.org/m#> .
... :box a sb:Compartment ; sb:volume [ sb:value 2.0 ; sb:unit "L" ] .
... :C a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 5.0 .
... :k a sb:Parameter ; sb:value 0.1 ; sb:unit "1/h" .
... :decay a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Reaction ; sb:expression "-k*C" ] .
... :m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :decay .
... ''')
>>> model, report = build_model(g)
>>> [v.name for v in model.variables.values()], report.codes
(['C', 'k'], [])
"""

from __future__ import annotations

import itertools
import keyword
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import TypeVar

import rdflib
from rdflib.term import BNode, Literal, Node, URIRef

from scalebridge.diagnostics import Code, Diagnostic, Report
from scalebridge.model.dimensions import Unit, UnitError, parse_unit, quantity_kind_dimension
from scalebridge.model.expressions import FormulaError, parse_formula
from scalebridge.model.triples import TripleIndex
from scalebridge.model.types import (
    COORDINATES,
    IRI,
    Boundary,
    BoundFormula,
    BridgeKind,
    CarrierFlow,
    Condition,
    ConditionKind,
    Coupling,
    CouplingKind,
    Distribution,
    DistributionKind,
    Domain,
    DomainKind,
    Equation,
    Expression,
    Junction,
    Model,
    Port,
    QuantitySpec,
    Ref,
    Relation,
    RelationKind,
    ScaleBridge,
    ScaleRange,
    Side,
    Submodel,
    Table,
    Term,
    TermKind,
    Value,
    Variable,
    VariableRole,
)
from scalebridge.ontology.resources import SB_NAMESPACE, defined_terms, superclass_closure
from scalebridge.ontology.vocab import SB

__all__ = ["RESERVED_NAMES", "build_model", "iri_of", "named_ancestor", "namespace_of"]

RDF_TYPE = rdflib.RDF.type
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_NUMERIC = {
    rdflib.XSD.double,
    rdflib.XSD.decimal,
    rdflib.XSD.integer,
    rdflib.XSD.float,
    rdflib.XSD.int,
    rdflib.XSD.long,
    rdflib.XSD.short,
    rdflib.XSD.nonNegativeInteger,
    rdflib.XSD.positiveInteger,
    rdflib.XSD.negativeInteger,
    rdflib.XSD.nonPositiveInteger,
}
_MAX_LIST = 1_000_000

# Formula names that cannot be the symbol of a variable.
RESERVED_NAMES: frozenset[str] = frozenset(
    set(COORDINATES)
    | {"pi", "and", "or", "not"}
    | {
        "exp",
        "log",
        "log10",
        "sqrt",
        "sin",
        "cos",
        "tan",
        "sinh",
        "cosh",
        "tanh",
        "atan",
        "erf",
        "erfc",
        "expint",
        "E1",
        "min",
        "max",
        "abs",
        "heaviside",
        "piecewise",
    }
)

_T = TypeVar("_T")


def iri_of(node: Node) -> IRI:
    """The key of a node: its IRI, or ``_:id`` for a blank node."""
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def namespace_of(iri: str) -> str:
    """The namespace of an IRI: everything up to and including its last "#", "/" or ":"."""
    cut = max(iri.rfind("#"), iri.rfind("/"), iri.rfind(":"))
    return iri[: cut + 1] if cut >= 0 else ""


def named_ancestor(graph: rdflib.Graph | TripleIndex, node: Node) -> URIRef | None:
    """The node itself if it has an IRI, else the nearest named node that points at it."""
    current: Node = node
    for _ in range(64):
        if isinstance(current, URIRef):
            return current
        parents = sorted(graph.subjects(None, current), key=iri_of)
        if not parents:
            return None
        current = parents[0]
    return None


def _local_name(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"), iri.rfind(":"))
    return iri[cut + 1 :]


def build_model(graph: rdflib.Graph) -> tuple[Model, Report]:
    """Read the typed model out of ``graph`` (the model's own triples, without the ontology)."""
    builder = _Builder(graph)
    model = builder.build()
    return model, Report(tuple(builder.diagnostics))


class _Builder:
    def __init__(self, graph: rdflib.Graph) -> None:
        self.g = TripleIndex(graph)
        self.diagnostics: list[Diagnostic] = []
        self._reported: set[Diagnostic] = set()
        self.faulty: set[tuple[IRI, str]] = set()
        self._supers = superclass_closure()
        self._types: dict[Node, frozenset[URIRef]] = {}
        self._units: dict[str, Unit | UnitError] = {}
        self.symbols: dict[IRI, str] = {}
        self._by_symbol: dict[str, list[IRI]] = defaultdict(list)

    # -- small readers ----------------------------------------------------------------------

    def report(
        self,
        code: Code,
        message: str,
        node: Node | IRI | None,
        path: URIRef | None = None,
        **extra: str | None,
    ) -> None:
        subject = iri_of(node) if isinstance(node, Node) else node
        diagnostic = Diagnostic.make(
            code,
            message,
            subject=subject,
            path=str(path) if path else None,
            expected=extra.get("expected"),
            actual=extra.get("actual"),
        )
        # A node reached along two paths is read twice; its fault is reported once.
        if diagnostic not in self._reported:
            self._reported.add(diagnostic)
            self.diagnostics.append(diagnostic)
            if subject is not None and path is not None:
                self.faulty.add((subject, str(path)))

    def types(self, node: Node) -> frozenset[URIRef]:
        cached = self._types.get(node)
        if cached is None:
            found: set[URIRef] = set()
            for t in self.g.objects(node, RDF_TYPE):
                if isinstance(t, URIRef):
                    found |= self._supers.get(t, {t})
            cached = frozenset(found)
            self._types[node] = cached
        return cached

    def is_a(self, node: Node, cls: URIRef) -> bool:
        return cls in self.types(node)

    def instances(self, cls: URIRef) -> list[Node]:
        subclasses = [c for c, sup in self._supers.items() if cls in sup]
        found = {s for c in subclasses for s in self.g.subjects(RDF_TYPE, c)}
        return sorted(found, key=iri_of)

    def one(self, node: Node, prop: URIRef) -> Node | None:
        values = list(self.g.objects(node, prop))
        return values[0] if len(values) == 1 else None

    def label(self, node: Node) -> str:
        value = self.g.value(node, rdflib.RDFS.label)
        if isinstance(value, Literal):
            return str(value)
        return _local_name(iri_of(node)) if isinstance(node, URIRef) else ""

    def number(self, node: Node, prop: URIRef) -> float | None:
        """The one number under ``prop``; None (reported) when it is a literal of another type."""
        value = self.one(node, prop)
        if not isinstance(value, Literal):
            return None  # absent, repeated or a node: the shapes report it
        if value.datatype not in _NUMERIC:
            self.report(
                Code.SHAPE_WRONG_DATATYPE,
                f'expected a number, written without quotes (1.5 or 1.5e-3); found "{value}"',
                node,
                prop,
                actual=str(value),
            )
            return None
        return self._to_float(value, node, prop)

    def _to_float(self, value: Literal, node: Node, prop: URIRef) -> float | None:
        python = value.toPython()
        if isinstance(python, bool) or not isinstance(python, (int, float, Decimal, Fraction)):
            self.report(Code.VALUE_INVALID, f"'{value}' is not a valid number", node, prop)
            return None
        try:
            number = float(python)
        except (OverflowError, ValueError):
            number = math.inf
        if not math.isfinite(number):
            self.report(Code.VALUE_INVALID, f"'{value}' is not a finite number", node, prop)
            return None
        return number

    def integer(self, node: Node, prop: URIRef) -> int | None:
        value = self.one(node, prop)
        if isinstance(value, Literal) and value.datatype in _NUMERIC:
            python = value.toPython()
            if isinstance(python, int) and not isinstance(python, bool) and python >= 1:
                return python
        return None

    def ref(self, node: Node, prop: URIRef, cls: URIRef) -> IRI | None:
        value = self.one(node, prop)
        if value is None or isinstance(value, Literal) or not self.is_a(value, cls):
            return None
        return iri_of(value)

    def refs(self, node: Node, prop: URIRef, cls: URIRef) -> tuple[IRI, ...]:
        return tuple(
            sorted(
                iri_of(v)
                for v in self.g.objects(node, prop)
                if not isinstance(v, Literal) and self.is_a(v, cls)
            )
        )

    def items(self, node: Node, prop: URIRef) -> list[Node] | None:
        """The members of the Turtle list held by ``prop``; None when absent or malformed."""
        head = self.one(node, prop)
        if head is None or isinstance(head, Literal):
            return None
        members: list[Node] = []
        seen: set[Node] = set()
        current: Node = head
        while current != rdflib.RDF.nil:
            if current in seen or len(members) > _MAX_LIST:
                self.report(Code.VALUE_INVALID, "this list is malformed (it loops)", node, prop)
                return None
            seen.add(current)
            first = list(self.g.objects(current, rdflib.RDF.first))
            rest = list(self.g.objects(current, rdflib.RDF.rest))
            if len(first) != 1 or len(rest) != 1:
                self.report(Code.VALUE_INVALID, "expected a Turtle list ( a b c )", node, prop)
                return None
            members.append(first[0])
            current = rest[0]
        return members

    def numbers(self, node: Node, prop: URIRef) -> tuple[float, ...] | None:
        members = self.items(node, prop)
        if members is None:
            return None
        out: list[float] = []
        for member in members:
            if not isinstance(member, Literal) or member.datatype not in _NUMERIC:
                self.report(
                    Code.VALUE_INVALID,
                    f"list entry '{member}' is not a number (write numbers unquoted)",
                    node,
                    prop,
                )
                return None
            number = self._to_float(member, node, prop)
            if number is None:
                return None
            out.append(number)
        return tuple(out)

    def unit(self, node: Node, prop: URIRef = SB.unit) -> Unit | None:
        values = list(self.g.objects(node, prop))
        if len(values) != 1:
            return None  # missing or several: the shapes report both
        text = str(values[0])
        result = self._units.get(text)
        if result is None:
            try:
                result = parse_unit(text)
            except UnitError as err:
                result = err
            self._units[text] = result
        if isinstance(result, UnitError):
            shown = text if isinstance(values[0], Literal) else f"<{text}>"
            self.report(
                Code.UNITS_UNKNOWN, f"unknown unit {shown}: {result}", node, prop, actual=text
            )
            return None
        return result

    # -- names and formulas ---------------------------------------------------------------

    def scope(self, node: Node) -> str:
        owner = named_ancestor(self.g, node)
        return namespace_of(str(owner)) if owner is not None else ""

    def formula(
        self, node: Node, prop: URIRef, text: str, *, equation: bool = False, boolean: bool = False
    ) -> BoundFormula | None:
        try:
            parsed = parse_formula(text, allow_equation=equation, allow_boolean=boolean)
        except FormulaError as err:
            code = {
                "unknown_function": Code.FORMULA_UNKNOWN_FUNCTION,
                "too_complex": Code.FORMULA_TOO_COMPLEX,
            }.get(err.kind, Code.FORMULA_SYNTAX)
            self.report(code, f'in formula "{_clip(text)}": {err.message}', node, prop)
            return None
        scope = self.scope(node)
        bindings: dict[str, IRI] = {}
        ok = True
        for name in sorted(parsed.names):
            target = self.resolve(name, scope)
            if target is None:
                ok = False
                candidates = self._by_symbol.get(name, [])
                if candidates:
                    self.report(
                        Code.FORMULA_AMBIGUOUS_NAME,
                        f"in formula \"{_clip(text)}\": '{name}' could be any of "
                        + ", ".join(f"<{c}>" for c in candidates),
                        node,
                        prop,
                    )
                else:
                    self.report(
                        Code.FORMULA_UNKNOWN_NAME,
                        f'in formula "{_clip(text)}": no field, parameter or variable '
                        f"is named '{name}'",
                        node,
                        prop,
                    )
                continue
            bindings[name] = target
        for literal_unit in parsed.unit_literals.values():
            try:
                parse_unit(literal_unit)
            except UnitError as err:
                ok = False
                self.report(
                    Code.UNITS_UNKNOWN,
                    f'in formula "{_clip(text)}": unknown unit [{literal_unit}]: {err}',
                    node,
                    prop,
                    actual=literal_unit,
                )
        if not ok:
            return None
        return BoundFormula(formula=parsed, bindings=MappingProxyType(bindings), scope=scope)

    def resolve(self, name: str, scope: str) -> IRI | None:
        if name in COORDINATES:
            return COORDINATES[name]
        candidates = self._by_symbol.get(name, [])
        local = [c for c in candidates if namespace_of(c) == scope]
        if local:
            return local[0]
        if len(candidates) == 1:
            return candidates[0]
        return None

    def register_symbols(self, variables: list[tuple[Node, VariableRole]]) -> None:
        by_scope: dict[tuple[str, str], list[IRI]] = defaultdict(list)
        for node, _role in variables:
            iri = iri_of(node)
            explicit = self.g.value(node, SB.symbol)
            symbol = str(explicit) if isinstance(explicit, Literal) else _local_name(iri)
            if not isinstance(node, URIRef) and explicit is None:
                symbol = ""
            if not _NAME.match(symbol):
                if explicit is None:
                    self.report(
                        Code.NAME_INVALID,
                        f"'{symbol or iri}' cannot be used as a name in formulas",
                        node,
                        SB.symbol,
                    )
                continue  # an invalid explicit sb:symbol is reported by the shapes
            if symbol in RESERVED_NAMES:
                self.report(
                    Code.NAME_RESERVED,
                    f"the name '{symbol}' is reserved in formulas",
                    node,
                    SB.symbol,
                )
                continue
            self.symbols[iri] = symbol
            self._by_symbol[symbol].append(iri)
            by_scope[(namespace_of(iri), symbol)].append(iri)
        for (_scope, symbol), iris in sorted(by_scope.items()):
            if len(iris) > 1:
                for iri in iris[1:]:
                    self.report(
                        Code.NAME_DUPLICATE,
                        f"the name '{symbol}' is also used by <{iris[0]}>",
                        iri,
                        SB.symbol,
                    )

    # -- quantities -------------------------------------------------------------------------

    def described(self, node: Node) -> bool:
        """True when the model says anything about ``node`` (or the ontology defines it)."""
        return (node, None, None) in self.g or str(node) in defined_terms()

    def dangling(self, node: Node, owner: Node, prop: URIRef) -> bool:
        """Report and return True when ``node`` is an IRI that nothing describes (a typo)."""
        if isinstance(node, URIRef) and not self.described(node):
            self.report(
                Code.REF_DANGLING,
                f"<{node}> is not described anywhere in the model or its imports",
                owner,
                prop,
                actual=str(node),
            )
            return True
        return False

    def quantity(self, node: Node, prop: URIRef) -> QuantitySpec | None:
        """A quantity-valued property: a variable, an inline number with unit, or a formula."""
        target = self.one(node, prop)
        if target is None:
            return None  # absent or repeated: the shapes report it
        if isinstance(target, Literal):
            return None  # the shapes require a node here and report the literal
        if self.dangling(target, node, prop):
            return None
        if self.is_a(target, SB.Variable):
            return Ref(iri=iri_of(target))
        if (target, SB.value, None) in self.g:
            number = self.number(target, SB.value)
            if number is None:
                return None
            return Value(iri=iri_of(target), value=number, unit=self.unit(target))
        text = self.one(target, SB.expression)
        if isinstance(text, Literal):
            bound = self.formula(target, SB.expression, str(text))
            if bound is None:
                return None
            return Expression(iri=iri_of(target), formula=bound, unit=self.unit(target))
        if (target, SB.expression, None) not in self.g:
            self.report(
                Code.SHAPE_WRONG_TYPE,
                "expected a quantity: a parameter or variable, or a node with sb:value and "
                "sb:unit (or sb:expression)",
                node,
                prop,
                actual=_show(target),
            )
        return None

    def scale_range(self, node: Node, prop: URIRef) -> ScaleRange | None:
        target = self.one(node, prop)
        if target is None or isinstance(target, Literal):
            return None
        grain, extent = self.quantity(target, SB.grain), self.quantity(target, SB.extent)
        if grain is None or extent is None:
            return None
        return ScaleRange(grain=grain, extent=extent)

    # -- readers per type -------------------------------------------------------------------

    def build(self) -> Model:
        self.check_terms()
        roles = [
            (SB.Field, VariableRole.FIELD),
            (SB.Parameter, VariableRole.PARAMETER),
            (SB.AlgebraicVariable, VariableRole.ALGEBRAIC),
            (SB.FlowVariable, VariableRole.FLOW),
            (SB.PotentialVariable, VariableRole.POTENTIAL),
        ]
        seen: set[Node] = set()
        variable_nodes: list[tuple[Node, VariableRole]] = []
        for cls, role in roles:
            for node in self.instances(cls):
                if node not in seen:
                    seen.add(node)
                    variable_nodes.append((node, role))
        variable_nodes.sort(key=lambda nr: iri_of(nr[0]))
        self.register_symbols(variable_nodes)
        names = _Namer()
        variables = {}
        for node, role in variable_nodes:
            iri = iri_of(node)
            if iri not in self.symbols:
                continue
            variables[iri] = self.variable(node, role, names.variable(self.symbols[iri], iri))
        ports = {iri_of(n): p for n in self.instances(SB.Port) if (p := self.port(n, names))}
        junctions = {
            iri_of(n): j for n in self.instances(SB.Junction) if (j := self.junction(n, names))
        }
        flows = {
            iri_of(n): f
            for n in self.instances(SB.CarrierFlow)
            if (f := self.carrier_flow(n, names))
        }
        self.check_ports(ports, junctions, flows)
        in_equations = {o for o in self.g.objects(None, SB.hasTerm)}
        transfers = {
            iri_of(n): t
            for n in self.instances(SB.Transfer)
            if n not in in_equations and (t := self.term(n, None)) is not None
        }
        model_nodes = self.instances(SB.Model)
        model_node = model_nodes[0] if model_nodes else None
        model = Model(
            iri=iri_of(model_node) if model_node is not None else None,
            label=self.label(model_node) if model_node is not None else "",
            submodels=_map(self.instances(SB.Submodel), lambda n: self.submodel(n, names)),
            domains=_map(self.instances(SB.Domain), lambda n: self.domain(n, names)),
            variables=MappingProxyType(variables),
            equations=_map(self.instances(SB.Equation), lambda n: self.equation(n, names)),
            relations=_map(self.instances(SB.Relation), lambda n: self.relation(n, names)),
            transfers=MappingProxyType(transfers),
            ports=MappingProxyType(ports),
            junctions=MappingProxyType(junctions),
            carrier_flows=MappingProxyType(flows),
            bridges=_map(self.instances(SB.ScaleBridge), lambda n: self.bridge(n, names)),
            couplings=_map(self.instances(SB.Coupling), lambda n: self.coupling(n, names)),
            margin=self.number(model_node, SB.scaleSeparationMargin) if model_node else None,
            duration=self.quantity(model_node, SB.duration) if model_node else None,
            faulty=frozenset(self.faulty),
        )
        if not model_nodes and not model.submodels:
            self.report(
                Code.LOAD_NOTHING_TO_VALIDATE,
                "the graph declares no sb:Model and no sb:Submodel",
                None,
            )
        return model

    def check_terms(self) -> None:
        """Report sb: names that the ontology does not define (typos such as sb:Difusion)."""
        known = defined_terms()
        reported: set[str] = set()
        for s, p, o in self.g:
            for term in (p, o):
                text = str(term)
                if (
                    isinstance(term, URIRef)
                    and text.startswith(SB_NAMESPACE)
                    and text not in known
                    and text not in reported
                ):
                    reported.add(text)
                    suggestion = _closest(text[len(SB_NAMESPACE) :], known)
                    self.report(
                        Code.REF_UNKNOWN_TERM,
                        f"sb:{text[len(SB_NAMESPACE) :]} is not a scalebridge term"
                        + (f"; did you mean sb:{suggestion}?" if suggestion else ""),
                        s,
                        p if isinstance(p, URIRef) else None,
                    )

    def variable(self, node: Node, role: VariableRole, name: str) -> Variable:
        iri = iri_of(node)
        unit = self.unit(node)
        kind = self.one(node, SB.quantityKind)
        kind_iri = str(kind) if isinstance(kind, URIRef) else None
        if kind_iri is not None and unit is not None:
            expected = quantity_kind_dimension(kind_iri)
            if expected is not None and expected != unit.dimension:
                self.report(
                    Code.UNITS_QUANTITY_KIND_MISMATCH,
                    f"unit '{unit.text}' has dimension {unit.dimension.to_si_string()}, "
                    f"but {_local_name(kind_iri)} has {expected.to_si_string()}",
                    node,
                    SB.unit,
                    expected=expected.to_si_string(),
                    actual=unit.dimension.to_si_string(),
                )
        base = Variable(
            iri=iri,
            role=role,
            symbol=self.symbols[iri],
            name=name,
            label=self.label(node),
            unit=unit,
            quantity_kind=kind_iri,
        )
        if role is VariableRole.FIELD:
            return replace(
                base, domain=self.ref(node, SB.on, SB.Domain), initial=self.initial(node),
                initial_velocity=self.initial(node, SB.initialVelocity),
            )
        if role is VariableRole.PARAMETER:
            sources = [
                p for p in (SB.value, SB.table, SB.distribution)
                if (node, p, None) in self.g
            ]
            # A parameter a bridge provides may keep a value: the default of a reusable
            # submodel when it runs alone, replaced by the bridge when a coupling uses it.
            bridged = (node, SB.providedBy, None) in self.g
            if len(sources) > 1 or (not sources and not bridged):
                found = ", ".join("sb:" + _local_name(str(p)) for p in sources) or "none"
                self.report(
                    Code.SHAPE_VIOLATION,
                    "a parameter has exactly one of sb:value, sb:table or sb:distribution, or "
                    f"is sb:providedBy a bridge (found: {found})",
                    node,
                    sources[1] if len(sources) > 1 else SB.value,
                )
            return replace(
                base,
                value=self.number(node, SB.value),
                table=self.table(node, SB.table, unit),
                distribution=self.distribution(node),
                provided_by=self.ref(node, SB.providedBy, SB.ScaleBridge),
            )
        if role in (VariableRole.FLOW, VariableRole.POTENTIAL):
            prop = SB.flowVariable if role is VariableRole.FLOW else SB.potentialVariable
            owners = sorted(self.g.subjects(prop, node), key=iri_of)
            return replace(base, port=iri_of(owners[0]) if owners else None)
        return base

    def initial(self, node: Node, prop: URIRef = SB.initialValue) -> float | BoundFormula | None:
        value = self.one(node, prop)
        if not isinstance(value, Literal):
            return None
        if value.datatype in _NUMERIC:
            return self._to_float(value, node, prop)
        return self.formula(node, prop, str(value))

    def table(self, node: Node, prop: URIRef, owner_unit: Unit | None, *,
              to_build: bool = False) -> Table | None:
        """The table at ``node``'s ``prop``; with ``to_build`` (a bridge's table, which the
        composer fills by running the fine model) its values may be left out (empty)."""
        target = self.one(node, prop)
        if target is None or isinstance(target, Literal):
            return None
        argument = self.ref(target, SB.argument, SB.Variable)
        arguments = self.numbers(target, SB.argumentValues)
        values = self.numbers(target, SB.values)
        if to_build and values is None and (target, SB.values, None) not in self.g:
            values = ()
        if argument is None or arguments is None or values is None:
            return None
        problem = None
        if not arguments or (not to_build and not values) or (
                values and len(arguments) != len(values)):
            problem = (
                f"the table has {len(arguments)} argument values and {len(values)} values; "
                "both columns need the same, non-zero number of entries"
            )
        elif any(b <= a for a, b in itertools.pairwise(arguments)):
            problem = "the argument values must be strictly increasing"
        if problem:
            self.report(Code.VALUE_TABLE_MISMATCH, problem, target, SB.argumentValues)
            return None
        arg_unit = (
            self.unit(target, SB.argumentUnit)
            if (target, SB.argumentUnit, None) in self.g
            else None
        )
        return Table(
            iri=iri_of(target),
            argument=argument,
            arguments=arguments,
            values=values,
            argument_unit=arg_unit,
        )

    def distribution(self, node: Node) -> Distribution | None:
        target = self.one(node, SB.distribution)
        if target is None or isinstance(target, Literal):
            return None
        spec = [
            (SB.Normal, DistributionKind.NORMAL, (("mean", SB.mean), ("sd", SB.standardDeviation))),
            (
                SB.LogNormal,
                DistributionKind.LOG_NORMAL,
                (("median", SB.median), ("log_sd", SB.logStandardDeviation)),
            ),
            (
                SB.Uniform,
                DistributionKind.UNIFORM,
                (("lower", SB.lowerBound), ("upper", SB.upperBound)),
            ),
        ]
        for cls, kind, fields in spec:
            if self.is_a(target, cls):
                values = {key: self.number(target, prop) for key, prop in fields}
                if any(v is None for v in values.values()):
                    return None
                numbers = {k: float(v) for k, v in values.items() if v is not None}
                if kind is DistributionKind.UNIFORM and numbers["upper"] <= numbers["lower"]:
                    self.report(
                        Code.VALUE_INVALID,
                        "the upper bound must exceed the lower bound",
                        target,
                        SB.upperBound,
                    )
                    return None
                return Distribution(
                    iri=iri_of(target), kind=kind, parameters=MappingProxyType(numbers)
                )
        return None

    def domain(self, node: Node, names: _Namer) -> Domain | None:
        kinds = [
            (SB.ParticleChain, DomainKind.PARTICLE_CHAIN),
            (SB.Lattice, DomainKind.LATTICE),
            (SB.Interval, DomainKind.INTERVAL),
            (SB.Rectangle, DomainKind.RECTANGLE),
            (SB.Compartment, DomainKind.COMPARTMENT),
        ]
        kind = next((k for cls, k in kinds if self.is_a(node, cls)), None)
        if kind is None:
            return None  # a bare sb:Domain: nothing to solve on; the shapes say nothing more
        cells: tuple[int, ...] = ()
        if kind is DomainKind.INTERVAL:
            n = self.integer(node, SB.cells)
            cells = (n,) if n else ()
        elif kind is DomainKind.RECTANGLE:
            nx, ny = self.integer(node, SB.cellsX), self.integer(node, SB.cellsY)
            cells = (nx, ny) if nx and ny else ()
        elif kind in (DomainKind.LATTICE, DomainKind.PARTICLE_CHAIN):
            n = self.integer(node, SB.sites)
            cells = (n,) if n else ()
        boundaries = tuple(
            b
            for b in (
                self.boundary(t) for t in sorted(self.g.objects(node, SB.boundary), key=iri_of)
            )
            if b is not None
        )
        return Domain(
            iri=iri_of(node),
            name=names.entity(node),
            label=self.label(node),
            kind=kind,
            cells=cells,
            length=self.quantity(node, SB.length),
            width=self.quantity(node, SB.width),
            height=self.quantity(node, SB.height),
            volume=self.quantity(node, SB.volume),
            spacing=self.quantity(node, SB.spacing),
            origin=self.quantity(node, SB.origin),
            boundaries=boundaries,
        )

    def side(self, node: Node) -> Side | None:
        value = self.one(node, SB.at)
        sides = {SB.Left: Side.LEFT, SB.Right: Side.RIGHT, SB.Bottom: Side.BOTTOM, SB.Top: Side.TOP}
        return sides.get(value) if isinstance(value, URIRef) else None

    def boundary(self, node: Node) -> Boundary | None:
        if isinstance(node, Literal):
            return None
        side = self.side(node)
        target = self.one(node, SB.condition)
        if side is None or target is None or isinstance(target, Literal):
            return None
        kinds = [
            (SB.Dirichlet, ConditionKind.DIRICHLET),
            (SB.Neumann, ConditionKind.NEUMANN),
            (SB.Robin, ConditionKind.ROBIN),
            (SB.Periodic, ConditionKind.PERIODIC),
            (SB.ForcedByBridge, ConditionKind.FORCED),
        ]
        kind = next((k for cls, k in kinds if self.is_a(target, cls)), None)
        if kind is None:
            return None
        condition = Condition(
            iri=iri_of(target),
            kind=kind,
            value=self.quantity(target, SB.boundaryValue)
            if kind is ConditionKind.DIRICHLET
            else self.quantity(target, SB.level) if kind is ConditionKind.PERIODIC
            else None,
            flux=self.quantity(target, SB.flux) if kind is ConditionKind.NEUMANN else None,
            coefficient=self.quantity(target, SB.coefficient)
            if kind is ConditionKind.ROBIN
            else None,
            ambient=self.quantity(target, SB.ambient) if kind is ConditionKind.ROBIN else None,
            forced_by=self.ref(target, SB.forcedBy, SB.BoundaryForcing),
        )
        return Boundary(
            iri=iri_of(node),
            side=side,
            condition=condition,
            field=self.ref(node, SB.constrains, SB.Field),
        )

    def equation(self, node: Node, names: _Namer) -> Equation | None:
        has_rate = (node, SB.rateOf, None) in self.g
        has_steady = (node, SB.steadyStateOf, None) in self.g
        if has_rate and has_steady:
            self.report(
                Code.SHAPE_VIOLATION,
                "an equation balances one field: give either sb:rateOf (transient) or "
                "sb:steadyStateOf (static), not both; it is read as transient",
                node,
                SB.steadyStateOf,
            )
            has_steady = False  # read it as transient so that its field is not undetermined
        if not (has_rate or has_steady):
            self.report(
                Code.SHAPE_MISSING_VALUE,
                "an equation names the field it balances with sb:rateOf or sb:steadyStateOf",
                node,
                SB.rateOf,
            )
            return None
        transient = self.ref(node, SB.rateOf, SB.Field)
        steady = self.ref(node, SB.steadyStateOf, SB.Field) if has_steady else None
        if transient is None and steady is None:
            return None  # not a field: the shapes report it
        terms = tuple(
            t
            for t in (
                self.term(n, iri_of(node))
                for n in sorted(self.g.objects(node, SB.hasTerm), key=iri_of)
            )
            if t is not None
        )
        conserves = self.one(node, SB.conserves)
        motion = self.is_a(node, SB.EquationOfMotion)
        return Equation(
            iri=iri_of(node),
            name=names.entity(node),
            field=transient or steady or "",
            steady=steady is not None,
            capacity=self.quantity(node, SB.capacity),
            terms=terms,
            conserves=iri_of(conserves) if isinstance(conserves, URIRef) else None,
            mass=self.quantity(node, SB.mass) if motion else None,
            stored_energy=self.ref(node, SB.storedEnergy, SB.EnergyFunctional) if motion else None,
        )

    def term(self, node: Node, equation: IRI | None) -> Term | None:
        if isinstance(node, Literal):
            return None
        kinds = [
            (SB.Diffusion, TermKind.DIFFUSION),
            (SB.Advection, TermKind.ADVECTION),
            (SB.Reaction, TermKind.REACTION),
            (SB.Source, TermKind.SOURCE),
            (SB.Sink, TermKind.SINK),
            (SB.Transfer, TermKind.TRANSFER),
        ]
        kind = next((k for cls, k in kinds if self.is_a(node, cls)), None)
        if kind is None:
            return None
        if kind is TermKind.TRANSFER and not self.transfer_is_well_formed(node, equation):
            return None
        expression = None
        text = self.one(node, SB.expression)
        if isinstance(text, Literal):
            expression = self.formula(node, SB.expression, str(text))
            if expression is None:
                return None
        return Term(
            iri=iri_of(node),
            kind=kind,
            equation=equation,
            coefficient=self.quantity(node, SB.coefficient),
            velocity=self.quantity(node, SB.velocity),
            velocity_y=self.quantity(node, SB.velocityY),
            expression=expression,
            source_field=self.ref(node, SB["from"], SB.Field),
            target_field=self.ref(node, SB.to, SB.Field),
            rate=self.quantity(node, SB.rate),
            carrier=self.ref(node, SB.carrier, SB.CarrierFlow),
            flux_variables=tuple(iri_of(m) for m in self.items(node, SB.fluxVariables) or ()
                                 if not isinstance(m, Literal)),
        )

    def transfer_is_well_formed(self, node: Node, equation: IRI | None) -> bool:
        """A transfer is a formula inside a balance, or an edge with a rate or a carrier."""
        ways = [p for p in (SB.expression, SB.rate, SB.carrier) if (node, p, None) in self.g]
        if len(ways) != 1:
            found = ", ".join("sb:" + _local_name(str(p)) for p in ways) or "none"
            self.report(
                Code.SHAPE_VIOLATION,
                "a transfer is written either inside a balance with sb:expression, or once with "
                f"sb:from, sb:to and either sb:rate or sb:carrier (found: {found})",
                node,
                ways[1] if len(ways) > 1 else SB.expression,
            )
            return False
        if ways[0] != SB.expression and equation is not None:
            self.report(
                Code.SHAPE_VIOLATION,
                "inside a balance a transfer is written with sb:expression (its amount rate); "
                f"a transfer with sb:{_local_name(str(ways[0]))} is an edge between two fields "
                "and stands on its own, outside any equation",
                node,
                ways[0],
            )
            return False
        if ways[0] != SB.expression:
            for end in (SB["from"], SB.to):
                if (node, end, None) not in self.g:
                    self.report(
                        Code.SHAPE_MISSING_VALUE,
                        f"a transfer with sb:{_local_name(str(ways[0]))} names the fields it "
                        "moves between with sb:from and sb:to",
                        node,
                        end,
                    )
                    return False
        return True

    def relation(self, node: Node, names: _Namer) -> Relation | None:
        kinds = [
            (SB.AlgebraicRelation, RelationKind.ALGEBRAIC),
            (SB.ImplicitRelation, RelationKind.IMPLICIT),
            (SB.EnergyFunctional, RelationKind.ENERGY),
        ]
        kind = next((k for cls, k in kinds if self.is_a(node, cls)), None)
        text = self.one(node, SB.expression)
        if kind is None or not isinstance(text, Literal):
            return None
        bound = self.formula(node, SB.expression, str(text), equation=kind is RelationKind.IMPLICIT)
        if bound is None:
            return None
        target = (
            self.ref(node, SB.defines, SB.Variable)
            if kind is RelationKind.ALGEBRAIC
            else self.ref(node, SB.solvesFor, SB.Variable)
        )
        return Relation(
            iri=iri_of(node),
            name=names.entity(node),
            kind=kind,
            formula=bound,
            target=target,
            lower=self.number(node, SB.lowerBound),
            upper=self.number(node, SB.upperBound),
            guess=self.number(node, SB.initialGuess),
            strain_variables=self.variable_list(node, SB.strainVariables),
            internal_variables=self.variable_list(node, SB.internalVariables),
        )

    def variable_list(self, node: Node, prop: URIRef) -> tuple[IRI, ...]:
        members = self.items(node, prop)
        if members is None:
            return ()
        out = []
        for member in members:
            if isinstance(member, Literal) or not self.is_a(member, SB.Variable):
                self.report(
                    Code.REF_DANGLING,
                    f"list entry '{member}' is not a declared variable",
                    node,
                    prop,
                )
                return ()
            out.append(iri_of(member))
        return tuple(out)

    def port(self, node: Node, names: _Namer) -> Port | None:
        domain = self.ref(node, SB.portOf, SB.Domain)
        field = self.ref(node, SB.carries, SB.Field)
        if domain is None or field is None:
            return None
        return Port(
            iri=iri_of(node),
            name=names.entity(node),
            domain=domain,
            field=field,
            side=self.side(node),
            potential=self.quantity(node, SB.potential),
            flow_variable=self.ref(node, SB.flowVariable, SB.FlowVariable),
            potential_variable=self.ref(node, SB.potentialVariable, SB.PotentialVariable),
        )

    def junction(self, node: Node, names: _Namer) -> Junction | None:
        ports = self.refs(node, SB.joins, SB.Port)
        if len(ports) < 2:
            return None
        return Junction(
            iri=iri_of(node),
            name=names.entity(node),
            interface=self.is_a(node, SB.Interface),
            ports=ports,
        )

    def carrier_flow(self, node: Node, names: _Namer) -> CarrierFlow | None:
        ends = []
        for prop in (SB["from"], SB.to):
            value = self.one(node, prop)
            if value is None or isinstance(value, Literal):
                return None  # absent, repeated or a literal: the shapes report it
            if self.dangling(value, node, prop):
                return None
            if not (self.is_a(value, SB.Compartment) or self.is_a(value, SB.Port)):
                self.report(
                    Code.SHAPE_WRONG_TYPE,
                    f"a carrier flow runs between compartments or ports; {_show(value)} is "
                    "neither",
                    node,
                    prop,
                    actual=_show(value),
                )
                return None
            ends.append(iri_of(value))
        rate = self.quantity(node, SB.rate)
        if rate is None:
            return None
        return CarrierFlow(
            iri=iri_of(node), name=names.entity(node), source=ends[0], target=ends[1], rate=rate
        )

    def check_ports(
        self, ports: dict[IRI, Port], junctions: dict[IRI, Junction], flows: dict[IRI, CarrierFlow]
    ) -> None:
        used = {p for j in junctions.values() for p in j.ports}
        used |= {e for f in flows.values() for e in (f.source, f.target)}
        # A port whose potential (or flow) variable a scale bridge reads is observed: the
        # value it presents (a surface temperature, say) is passed to another submodel.
        read = {iri_of(o) for o in self.g.objects(None, SB.source) if not isinstance(o, Literal)}
        used |= {iri for iri, port in ports.items()
                 if {port.potential_variable, port.flow_variable} & read}
        for iri in sorted(set(ports) - used):
            self.report(
                Code.PORT_UNCONNECTED,
                f"port <{iri}> is not joined to anything: no junction, interface, carrier "
                "flow or scale bridge uses it",
                iri,
            )

    def bridge(self, node: Node, names: _Namer) -> ScaleBridge | None:
        kinds = [
            (SB.Averaging, BridgeKind.AVERAGING),
            (SB.Homogenization, BridgeKind.HOMOGENIZATION),
            (SB.Localization, BridgeKind.LOCALIZATION),
            (SB.SurrogateBridge, BridgeKind.SURROGATE),
            (SB.ParameterPassing, BridgeKind.PARAMETER_PASSING),
            (SB.BoundaryForcing, BridgeKind.BOUNDARY_FORCING),
            (SB.Handshake, BridgeKind.HANDSHAKE),
        ]
        kind = next((k for cls, k in kinds if self.is_a(node, cls)), None)
        if kind is None:
            return None
        target = self.ref(node, SB.target, SB.Variable)
        through = self.one(node, SB.through)
        table = None
        if (
            through is not None
            and not isinstance(through, Literal)
            and self.is_a(through, SB.Table)
        ):
            owner_unit = None
            if target is not None:
                owner_unit = self.unit(URIRef(target)) if not target.startswith("_:") else None
            table = self.table(node, SB.through, owner_unit, to_build=True)
        conserves = self.one(node, SB.conserves)
        return ScaleBridge(
            iri=iri_of(node),
            name=names.entity(node),
            kind=kind,
            sources=self.refs(node, SB.source, SB.Variable),
            target=target,
            weights=self.numbers(node, SB.weights) if (node, SB.weights, None) in self.g else None,
            through=iri_of(through)
            if through is not None and not isinstance(through, Literal)
            else None,
            table=table,
            conserves=iri_of(conserves) if isinstance(conserves, URIRef) else None,
            blending_start=self.quantity(node, SB.blendingStart),
            blending_end=self.quantity(node, SB.blendingEnd),
            over=tuple(iri_of(m) for m in self.items(node, SB.over) or ()
                       if not isinstance(m, Literal)),
            nodes=self.integer(node, SB.quadratureNodes),
            polynomial_order=self.integer(node, SB.polynomialOrder),
        )

    def coupling(self, node: Node, names: _Namer) -> Coupling | None:
        kinds = [
            (SB.Hierarchical, CouplingKind.HIERARCHICAL),
            (SB.Concurrent, CouplingKind.CONCURRENT),
            (SB.OneWayNesting, CouplingKind.ONE_WAY_NESTING),
        ]
        kind = next((k for cls, k in kinds if self.is_a(node, cls)), None)
        submodels = self.refs(node, SB.between, SB.Submodel)
        if kind is None or len(submodels) != 2:
            return None
        return Coupling(
            iri=iri_of(node),
            name=names.entity(node),
            kind=kind,
            submodels=submodels,
            bridges=self.refs(node, SB.via, SB.ScaleBridge),
            margin=self.number(node, SB.scaleSeparationMargin),
        )

    def submodel(self, node: Node, names: _Namer) -> Submodel:
        governed = (node, SB.hasEquation, None) in self.g or (node, SB.hasRelation, None) in self.g
        if not governed:
            self.report(
                Code.SHAPE_MISSING_VALUE,
                "a submodel needs at least one equation (sb:hasEquation) or relation "
                "(sb:hasRelation)",
                node,
                SB.hasEquation,
            )
        return Submodel(
            iri=iri_of(node),
            name=names.entity(node),
            label=self.label(node),
            domains=self.refs(node, SB.onDomain, SB.Domain),
            equations=self.refs(node, SB.hasEquation, SB.Equation),
            relations=self.refs(node, SB.hasRelation, SB.Relation),
            time_scale=self.scale_range(node, SB.timeScale),
            length_scale=self.scale_range(node, SB.lengthScale),
            duration=self.quantity(node, SB.duration),
            time_step=self.quantity(node, SB.timeStep),
            output_interval=self.quantity(node, SB.outputInterval),
        )


class _Namer:
    """Python-safe names, unique across the model, derived once."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def _claim(self, base: str) -> str:
        name = base
        counter = 2
        while name in self.taken or keyword.iskeyword(name) or name in RESERVED_NAMES:
            name = f"{base}_{counter}"
            counter += 1
        self.taken.add(name)
        return name

    def variable(self, symbol: str, iri: IRI) -> str:
        if symbol not in self.taken:
            return self._claim(symbol)
        prefix = _identifier(_local_name(namespace_of(iri).rstrip("#/")))
        return self._claim(f"{prefix}_{symbol}" if prefix else symbol)

    def entity(self, node: Node) -> str:
        base = _identifier(_local_name(str(node))) if isinstance(node, URIRef) else ""
        return self._claim(base or "node")


def _identifier(text: str) -> str:
    cleaned = re.sub(r"\W", "_", text, flags=re.ASCII).strip("_")
    if cleaned and cleaned[0].isdigit():
        cleaned = "n_" + cleaned
    return cleaned


def _map(nodes: Iterable[Node], read: Callable[[Node], _T | None]) -> Mapping[IRI, _T]:
    out: dict[IRI, _T] = {}
    for node in nodes:
        part = read(node)
        if part is not None:
            out[iri_of(node)] = part
    return MappingProxyType(out)


def _show(node: Node) -> str:
    return "a blank node" if isinstance(node, BNode) else f"<{node}>"


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _closest(name: str, known: Iterable[str]) -> str | None:
    import difflib

    locals_ = [k[len(SB_NAMESPACE) :] for k in known]
    match = difflib.get_close_matches(name, locals_, n=1, cutoff=0.75)
    return match[0] if match else None
