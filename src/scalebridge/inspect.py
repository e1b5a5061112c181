"""The model as plain-text tables: what ``scalebridge inspect`` prints.

:func:`render_inspection` is a pure function of the typed model (and, optionally, its timescale
analysis from :func:`scalebridge.model.timescales.analyse_timescales`) that returns one string:
a table per part of the model, in the order a modeller reads it.  Submodels (their domains,
equations and time and length scales), domains (kind, size, cells, boundaries with their
conditions), fields (unit, domain, initial value, IRI), parameters (value, unit, and where the
value comes from: a value, a table, a distribution or a scale bridge), equations as formulas,
relations, bridges and couplings (with the timescale verdict and the separation ratio).  Ports,
junctions, carrier flows, standalone transfers and algebraic variables get a table when the
model has any.

Names are the ones formulas use (a variable's symbol, an entity's name); numbers are shown as
written, in the unit they were written in.  A balance is shown as
``rate of field * capacity = sum of terms`` (``0 = sum of terms`` when steady), the exchanges
that carrier flows and standalone transfers generate included, with one line per term beneath
it naming the term's kind.  Columns are aligned; a long cell is wrapped within its column (its
words kept whole where they fit) and cut with ``…`` past :data:`MAX_CELL_LINES` lines.

Example
-------
>>> import rdflib
>>> from scalebridge.model.build import build_model
>>> g = rdflib.Graph().parse(format="turtle", data='''
... @prefix sb: <https://w3id.org/scalebridge/ontology#> .
... @prefix : <https://example.org/i#> .
... :m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e .
... :box a sb:Compartment ; sb:volume :V .
... :V a sb:Parameter ; sb:value 2.0 ; sb:unit "L" .
... :k a sb:Parameter ; sb:value 0.5 ; sb:unit "1/h" .
... :C a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
... :e a sb:Equation ; sb:rateOf :C ; sb:capacity :V ;
...    sb:hasTerm [ a sb:Sink ; sb:expression "k * V * C" ] .''')
>>> model, _ = build_model(g)
>>> equation_text(model, model.equations["https://example.org/i#e"])
"C' * V = -k * V * C"
>>> text = render_inspection(model)
>>> print(text[text.index("Parameters"):text.index("Equations")].strip())
Parameters (2)
==============
name  value  unit  source  description
----  -----  ----  ------  -----------
V     2      L     value
k     0.5    1/h   value
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from scalebridge.model.dimensions import Unit
from scalebridge.model.expressions import BinOp, UnaryOp
from scalebridge.model.junctions import Exchange, exchanges
from scalebridge.model.timescales import (
    AxisComparison,
    CouplingVerdict,
    TimescaleAnalysis,
    analyse_timescales,
    format_length,
    format_ratio,
    format_time,
)
from scalebridge.model.types import (
    IRI,
    BoundFormula,
    Condition,
    ConditionKind,
    CouplingKind,
    Domain,
    DomainKind,
    Equation,
    Expression,
    Model,
    QuantitySpec,
    Ref,
    RelationKind,
    ScaleRange,
    Side,
    Term,
    TermKind,
    Value,
    Variable,
    VariableRole,
)

__all__ = [
    "DEFAULT_WIDTH",
    "MAX_CELL_LINES",
    "coupling_kind_text",
    "domain_size",
    "equation_text",
    "format_table",
    "name_of",
    "quantity_text",
    "render_inspection",
]

DEFAULT_WIDTH = 100
"""The width, in characters, the tables are fitted to (the IRI column excepted)."""

MAX_CELL_LINES = 6
"""A wrapped cell longer than this many lines is cut, its last line ending in ``…``."""

_MIN_COLUMN = 10
_GAP = "  "
_NONE = "-"

Verdicts = TimescaleAnalysis | Mapping[IRI, CouplingVerdict]


# -- tables ----------------------------------------------------------------------------------


def _wrap(cell: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in cell.split("\n"):
        lines.extend(
            textwrap.wrap(
                paragraph,
                width,
                break_long_words=True,
                break_on_hyphens=False,
                subsequent_indent="  ",
            )
            or [""]
        )
    if len(lines) > MAX_CELL_LINES:
        lines = lines[:MAX_CELL_LINES]
        lines[-1] = lines[-1][: max(width - 1, 0)].rstrip() + "…"
    return lines


def format_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    width: int = DEFAULT_WIDTH,
    keep: Iterable[int] = (0,),
) -> str:
    """Rows under their headers, columns aligned and fitted to ``width`` characters.

    The columns whose indices are in ``keep`` keep their full width (names, IRIs; a kept last
    column does not count against ``width``); the others are narrowed, widest first, to no
    less than their header, ten characters or their longest word, and their cells wrapped
    (continued lines indented by two spaces).

    >>> print(format_table(["name", "note"], [["a", "one two three four"]], width=12))
    name  note
    ----  ----------
    a     one two
            three
            four
    """
    table = [[str(c) for c in row] for row in rows]
    count = len(headers)
    natural = [
        max([len(headers[i])] + [len(line) for row in table for line in row[i].split("\n")])
        for i in range(count)
    ]
    # A column is narrowed no further than its header, nor so far that a word must be split
    # (words longer than 24 characters excepted).
    floor = [
        max(
            len(headers[i]),
            min(natural[i], _MIN_COLUMN),
            min(24, max((len(w) for row in table for w in row[i].split()), default=0)),
        )
        for i in range(count)
    ]
    kept = set(keep)
    widths = list(natural)
    # A kept last column (an IRI) may run past the width: nothing to its right needs aligning.
    budgeted = count - 1 if count - 1 in kept else count
    total = sum(widths[:budgeted]) + len(_GAP) * (budgeted - 1)
    while total > width:
        narrowable = [i for i in range(budgeted) if i not in kept and widths[i] > floor[i]]
        if not narrowable:
            break
        widest = max(narrowable, key=lambda i: (widths[i], -i))
        widths[widest] -= 1
        total -= 1
    lines = [
        _GAP.join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
        _GAP.join("-" * w for w in widths),
    ]
    for row in table:
        cells = [
            row[i].split("\n") if i in kept else _wrap(row[i], widths[i]) for i in range(count)
        ]
        for n in range(max(len(c) for c in cells)):
            parts = [
                (c[n] if n < len(c) else "").ljust(w) for c, w in zip(cells, widths, strict=True)
            ]
            lines.append(_GAP.join(parts).rstrip())
    return "\n".join(lines)


def _section(title: str, count: int, table: str | None) -> str:
    heading = f"{title} ({count})"
    body = table if table is not None else "(none)"
    return f"{heading}\n{'=' * len(heading)}\n{body}"


# -- names and quantities --------------------------------------------------------------------


def _local(iri: IRI) -> str:
    if iri.startswith("_:"):
        return "(blank node)"
    cut = max(iri.rfind("#"), iri.rfind("/"), iri.rfind(":"))
    return iri[cut + 1 :] or iri


def name_of(model: Model, iri: IRI | None) -> str:
    """The name a modeller knows a node by: a variable's symbol, an entity's name."""
    if iri is None:
        return _NONE
    variable = model.variables.get(iri)
    if variable is not None:
        return variable.symbol
    for parts in (
        model.domains,
        model.submodels,
        model.equations,
        model.relations,
        model.ports,
        model.junctions,
        model.carrier_flows,
        model.bridges,
        model.couplings,
    ):
        entity = parts.get(iri)
        if entity is not None:
            return str(entity.name)
    return _local(iri)


def _names(model: Model, iris: Iterable[IRI]) -> str:
    return ", ".join(name_of(model, i) for i in iris) or _NONE


def _number(value: float) -> str:
    """A number as a modeller writes it.

    >>> [_number(v) for v in (5.0, 0.25, 373.15, 3.6e6, 1e-9, -2.5e-5, 1.1e-4)]
    ['5', '0.25', '373.15', '3.6e6', '1e-9', '-2.5e-5', '1.1e-4']
    """
    if value != 0 and math.isfinite(value) and not 1e-3 <= abs(value) < 1e6:
        return format(Decimal(repr(value)).normalize(), "e").replace("e+", "e")
    if math.isfinite(value) and value == int(value):
        return str(int(value))
    return repr(value)


def _unit(unit: Unit | None) -> str:
    return unit.symbol if unit is not None else _NONE


def _with_unit(value: float, unit: Unit | None) -> str:
    return f"{_number(value)} {unit.symbol}" if unit is not None else _number(value)


def quantity_text(model: Model, spec: QuantitySpec | None, *, resolve: bool = False) -> str:
    """A quantity as written: a name, a number with its unit, or a formula.

    With ``resolve``, a named parameter with a value is followed by it (``V_b = 5 L``).
    """
    if spec is None:
        return _NONE
    if isinstance(spec, Value):
        return _with_unit(spec.value, spec.unit)
    if isinstance(spec, Ref):
        name = name_of(model, spec.iri)
        variable = model.variables.get(spec.iri)
        if resolve and variable is not None and variable.value is not None:
            return f"{name} = {_with_unit(variable.value, variable.unit)}"
        return name
    text = spec.formula.text.strip()
    if resolve and spec.unit is not None:
        return f"{text} [{spec.unit.symbol}]"
    return text


def _enclosed(formula: BoundFormula) -> bool:
    """True when parentheses enclose the whole formula (its top node is shorter than it)."""
    node = formula.formula.ast
    return node.span[1] - node.span[0] < len(formula.formula.text.strip())


def _is_sum(formula: BoundFormula) -> bool:
    """True when the formula's top level is a sum or difference that no parentheses enclose."""
    node = formula.formula.ast
    return isinstance(node, BinOp) and node.op in "+-" and not _enclosed(formula)


def _factor(model: Model, spec: QuantitySpec | None) -> str:
    """A quantity written as a factor of a product: an operation, or a number with its unit,
    is parenthesised."""
    text = quantity_text(model, spec)
    if isinstance(spec, Ref) or spec is None:
        return text
    if isinstance(spec, Expression) and (
        not isinstance(spec.formula.formula.ast, BinOp | UnaryOp) or _enclosed(spec.formula)
    ):
        return text
    return f"({text})"


def _signed(sign: int, formula: BoundFormula) -> tuple[int, str]:
    """(sign, body) of a formula added with ``sign``: a leading minus moves into the sign."""
    text = formula.formula.text.strip()
    if _is_sum(formula):
        return sign, f"({text})"
    if text.startswith("-"):
        return -sign, text[1:].lstrip()
    return sign, text


# -- equations -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TermLine:
    """A term of a balance as shown: its kind, its sign and its body."""

    kind: str
    sign: int
    body: str


def _own_term(model: Model, field: str, term: Term) -> _TermLine:
    kind = str(term.kind)
    if term.kind is TermKind.DIFFUSION:
        coefficient = _factor(model, term.coefficient) if term.coefficient else "D"
        return _TermLine(kind, 1, f"div({coefficient} * grad({field}))")
    if term.kind is TermKind.ADVECTION:
        velocity = quantity_text(model, term.velocity)
        if term.velocity_y is not None:
            velocity = f"({velocity}, {quantity_text(model, term.velocity_y)})"
        elif term.velocity is not None and not isinstance(term.velocity, Ref):
            velocity = f"({velocity})"
        return _TermLine(kind, -1, f"div({velocity} * {field})")
    sign = -1 if term.kind is TermKind.SINK else 1
    if term.expression is not None:
        sign, body = _signed(sign, term.expression)
        return _TermLine(kind, sign, body)
    spec = term.rate or term.coefficient
    return _TermLine(kind, sign, _factor(model, spec) if spec is not None else "?")


def _exchange_term(model: Model, field: IRI, exchange: Exchange) -> _TermLine | None:
    sign = (exchange.target == field) - (exchange.source == field)
    if sign == 0:
        return None
    direction = "in" if sign > 0 else "out"
    if exchange.flow is not None:
        leaving = (
            _factor(model, exchange.leaving)
            if exchange.leaving is not None
            else name_of(model, exchange.source)
        )
        body = f"{_factor(model, exchange.flow.rate)} * {leaving}"
        kind = f"carrier flow {exchange.flow.name} ({direction})"
        if exchange.origin != exchange.flow.iri:
            transfer = name_of(model, exchange.origin)
            kind = f"transfer {transfer} by {exchange.flow.name} ({direction})"
        return _TermLine(kind, sign, body)
    spec = exchange.rate
    kind = f"transfer {name_of(model, exchange.origin)} ({direction})"
    if isinstance(spec, Expression) and spec.unit is None:
        sign, body = _signed(sign, spec.formula)
        return _TermLine(kind, sign, body)
    return _TermLine(kind, sign, _factor(model, spec) if spec is not None else "?")


def _term_lines(
    model: Model, equation: Equation, exchange_list: Sequence[Exchange]
) -> list[_TermLine]:
    field = name_of(model, equation.field)
    lines = [_own_term(model, field, t) for t in equation.terms]
    for exchange in exchange_list:
        line = _exchange_term(model, equation.field, exchange)
        if line is not None:
            lines.append(line)
    return lines


def _join(lines: Sequence[_TermLine]) -> str:
    if not lines:
        return "0"
    first, *rest = lines
    text = ("-" if first.sign < 0 else "") + first.body
    for line in rest:
        text += (" - " if line.sign < 0 else " + ") + line.body
    return text


def _left_side(model: Model, equation: Equation) -> str:
    if equation.steady:
        return "0"
    rate = f"{name_of(model, equation.field)}'"
    if equation.capacity is None:
        return rate
    return f"{rate} * {_factor(model, equation.capacity)}"


def equation_text(
    model: Model, equation: Equation, exchange_list: Sequence[Exchange] | None = None
) -> str:
    """A balance as a formula: ``C' * V = sum of terms`` (``0 = ...`` when steady).

    The exchanges that carrier flows and standalone transfers generate (``exchange_list``,
    by default :func:`scalebridge.model.junctions.exchanges` of the model) are terms too.
    """
    found = exchanges(model) if exchange_list is None else exchange_list
    return f"{_left_side(model, equation)} = {_join(_term_lines(model, equation, found))}"


# -- the sections ----------------------------------------------------------------------------


def _scale(
    model: Model, declared: ScaleRange | None, estimated: tuple[float, float] | None, axis: str
) -> str:
    if declared is not None:
        return f"{quantity_text(model, declared.grain)} to {quantity_text(model, declared.extent)}"
    if estimated is None:
        return _NONE
    show = format_time if axis == "time" else format_length
    low, high = show(estimated[0]), show(estimated[1])
    return f"{low} (estimated)" if low == high else f"{low} to {high} (estimated)"


def _submodels(model: Model, analysis: TimescaleAnalysis | None, width: int) -> str:
    rows = []
    for submodel in model.submodels.values():
        scales = analysis.submodels.get(submodel.iri) if analysis is not None else None
        time = (scales.time.grain, scales.time.extent) if scales and scales.time else None
        length = (
            (scales.length.grain, scales.length.extent) if scales and scales.length else None
        )
        label = submodel.label if submodel.label != submodel.name else ""
        rows.append(
            [
                submodel.name,
                label,
                _names(model, submodel.domains),
                _names(model, (*submodel.equations, *submodel.relations)),
                _scale(model, submodel.time_scale, time, "time"),
                _scale(model, submodel.length_scale, length, "length"),
                quantity_text(model, submodel.duration or model.duration),
            ]
        )
    headers = [
        "name",
        "label",
        "domains",
        "equations",
        "time scale",
        "length scale",
        "duration",
    ]
    return _section("Submodels", len(rows), format_table(headers, rows, width=width) if rows
                    else None)


def domain_size(model: Model, domain: Domain) -> str:
    """A domain's size as written: ``volume V_b = 5 L``, ``length 0.5 m``, ``1 m x 2 m``."""
    def q(spec: QuantitySpec | None) -> str:
        return quantity_text(model, spec, resolve=True)

    if domain.kind is DomainKind.COMPARTMENT:
        return f"volume {q(domain.volume)}"
    if domain.kind is DomainKind.INTERVAL:
        return f"length {q(domain.length)}"
    if domain.kind is DomainKind.RECTANGLE:
        return f"{q(domain.width)} x {q(domain.height)}"
    return f"spacing {q(domain.spacing)}"


def _cells(domain: Domain) -> str:
    if not domain.cells:
        return _NONE
    if domain.kind in (DomainKind.LATTICE, DomainKind.PARTICLE_CHAIN):
        return f"{domain.cells[0]} sites"
    return " x ".join(str(n) for n in domain.cells)


def _condition(model: Model, condition: Condition) -> str:
    def q(spec: QuantitySpec | None) -> str:
        return quantity_text(model, spec)

    kind = condition.kind
    if kind is ConditionKind.DIRICHLET:
        return f"dirichlet, value {q(condition.value)}"
    if kind is ConditionKind.NEUMANN:
        return f"neumann, flux {q(condition.flux)}"
    if kind is ConditionKind.ROBIN:
        return f"robin, coefficient {q(condition.coefficient)}, ambient {q(condition.ambient)}"
    if kind is ConditionKind.FORCED:
        return f"forced by bridge {name_of(model, condition.forced_by)}"
    return str(kind)


def _domains(model: Model, width: int) -> str:
    rows = []
    for domain in model.domains.values():
        boundaries = "\n".join(
            f"{b.side}"
            + (f" ({name_of(model, b.field)})" if b.field else "")
            + f": {_condition(model, b.condition)}"
            for b in sorted(domain.boundaries, key=lambda b: list(Side).index(b.side))
        )
        rows.append(
            [
                domain.name,
                str(domain.kind).replace("_", " "),
                domain_size(model, domain),
                _cells(domain),
                boundaries or _NONE,
            ]
        )
    headers = ["name", "kind", "size", "cells", "boundaries"]
    return _section("Domains", len(rows), format_table(headers, rows, width=width) if rows
                    else None)


def _of_role(model: Model, role: VariableRole) -> list[Variable]:
    return sorted(
        (v for v in model.variables.values() if v.role is role), key=lambda v: v.symbol
    )


def _initial(variable: Variable) -> str:
    if variable.initial is None:
        return _NONE
    if isinstance(variable.initial, float):
        return _number(variable.initial)
    return variable.initial.text.strip()


def _fields(model: Model, width: int) -> str:
    rows = [
        [v.symbol, _unit(v.unit), name_of(model, v.domain), _initial(v), v.label, v.iri]
        for v in _of_role(model, VariableRole.FIELD)
    ]
    headers = ["name", "unit", "domain", "initial", "description", "IRI"]
    table = format_table(headers, _described(rows), width=width, keep=(0, 5)) if rows else None
    return _section("Fields", len(rows), table)


def _described(rows: list[list[str]]) -> list[list[str]]:
    """Rows whose description (the label) only repeats the name show none."""
    for row in rows:
        if row[4] == row[0]:
            row[4] = ""
    return rows


def _parameter(model: Model, variable: Variable) -> tuple[str, str]:
    """(value, source) of a parameter."""
    values: list[str] = []
    sources: list[str] = []
    if variable.value is not None:
        values.append(_number(variable.value))
        sources.append("value")
    if variable.table is not None:
        table = variable.table
        argument = name_of(model, table.argument)
        if table.argument_unit is not None:
            argument += f" [{table.argument_unit.symbol}]"
        values.append(f"table of {len(table.values)} points in {argument}")
        sources.append("table")
    if variable.distribution is not None:
        numbers = ", ".join(
            f"{k}={_number(v)}" for k, v in variable.distribution.parameters.items()
        )
        values.append(f"{str(variable.distribution.kind).replace('_', ' ')}({numbers})")
        sources.append("distribution")
    if variable.provided_by is not None:
        sources.append(f"bridge {name_of(model, variable.provided_by)}")
    return ("; ".join(values) or _NONE, ", ".join(sources) or "none")


def _parameters(model: Model, width: int) -> str:
    rows = []
    for v in _of_role(model, VariableRole.PARAMETER):
        value, source = _parameter(model, v)
        rows.append([v.symbol, value, _unit(v.unit), source, v.label if v.label != v.symbol
                     else ""])
    headers = ["name", "value", "unit", "source", "description"]
    table = format_table(headers, rows, width=width) if rows else None
    return _section("Parameters", len(rows), table)


def _algebraic(model: Model, width: int) -> str | None:
    defined = {r.target: r.name for r in model.relations.values() if r.target}
    rows = [
        [v.symbol, _unit(v.unit), defined.get(v.iri, _NONE), v.label if v.label != v.symbol
         else ""]
        for v in _of_role(model, VariableRole.ALGEBRAIC)
    ]
    if not rows:
        return None
    headers = ["name", "unit", "defined by", "description"]
    return _section("Algebraic variables", len(rows), format_table(headers, rows, width=width))


def _equations(model: Model, width: int) -> str:
    found = exchanges(model)
    rows = []
    for equation in model.equations.values():
        lines = _term_lines(model, equation, found)
        balance = f"{_left_side(model, equation)} = {_join(lines)}"
        note = "steady balance" if equation.steady else "balance"
        if equation.conserves:
            note += f" of {_local(equation.conserves)}"
        rows.append([equation.name, note, balance])
        for line in lines:
            rows.append(["", f"  {line.kind}", ("-" if line.sign < 0 else "+") + " " + line.body])
    headers = ["equation", "term", "formula"]
    table = format_table(headers, rows, width=width) if rows else None
    return _section("Equations", len(model.equations), table)


def _relations(model: Model, width: int) -> str:
    rows = []
    for relation in model.relations.values():
        text = relation.formula.text.strip()
        notes: list[str] = []
        if relation.kind is RelationKind.ALGEBRAIC:
            formula = f"{name_of(model, relation.target)} = {text}"
        elif relation.kind is RelationKind.IMPLICIT:
            formula = text if relation.formula.formula.is_equation else f"{text} = 0"
            if relation.target is not None:
                notes.append(f"solved for {name_of(model, relation.target)}")
        else:
            formula = f"W = {text}"
            if relation.strain_variables:
                notes.append(f"strain {_names(model, relation.strain_variables)}")
            if relation.internal_variables:
                notes.append(f"internal {_names(model, relation.internal_variables)}")
        if relation.lower is not None or relation.upper is not None:
            low = _number(relation.lower) if relation.lower is not None else "-inf"
            high = _number(relation.upper) if relation.upper is not None else "inf"
            notes.append(f"in [{low}, {high}]")
        if relation.guess is not None:
            notes.append(f"guess {_number(relation.guess)}")
        rows.append([relation.name, str(relation.kind).replace("_", " "), formula,
                     "; ".join(notes)])
    headers = ["name", "kind", "formula", "notes"]
    table = format_table(headers, rows, width=width) if rows else None
    return _section("Relations", len(rows), table)


def _transfers(model: Model, width: int) -> str | None:
    rows = []
    for term in model.transfers.values():
        if term.carrier is not None:
            how = f"carried by {name_of(model, term.carrier)}"
        elif term.rate is not None:
            how = quantity_text(model, term.rate)
        else:
            how = term.expression.text.strip() if term.expression is not None else _NONE
        rows.append(
            [
                name_of(model, term.iri),
                f"{name_of(model, term.source_field)} -> {name_of(model, term.target_field)}",
                how,
            ]
        )
    if not rows:
        return None
    headers = ["name", "from -> to", "rate"]
    return _section("Transfers", len(rows), format_table(headers, rows, width=width))


def _ports(model: Model, width: int) -> str | None:
    rows = [
        [
            p.name,
            name_of(model, p.domain),
            name_of(model, p.field),
            str(p.side) if p.side is not None else _NONE,
            quantity_text(model, p.potential if p.potential is not None else Ref(iri=p.field)),
        ]
        for p in model.ports.values()
    ]
    if not rows:
        return None
    headers = ["name", "domain", "carries", "side", "potential"]
    return _section("Ports", len(rows), format_table(headers, rows, width=width))


def _junctions(model: Model, width: int) -> str | None:
    rows = []
    for junction in model.junctions.values():
        ports = ", ".join(
            f"{name_of(model, p)} ({name_of(model, model.ports[p].domain)})"
            if p in model.ports
            else name_of(model, p)
            for p in junction.ports
        )
        rows.append([junction.name, "interface" if junction.interface else "junction", ports])
    if not rows:
        return None
    headers = ["name", "kind", "joins"]
    return _section("Junctions", len(rows), format_table(headers, rows, width=width))


def _end(model: Model, iri: IRI) -> str:
    port = model.ports.get(iri)
    if port is not None:
        return f"{port.name} ({name_of(model, port.domain)})"
    return name_of(model, iri)


def _carrier_flows(model: Model, width: int) -> str | None:
    rows = [
        [
            f.name,
            f"{_end(model, f.source)} -> {_end(model, f.target)}",
            quantity_text(model, f.rate, resolve=True),
        ]
        for f in model.carrier_flows.values()
    ]
    if not rows:
        return None
    headers = ["name", "from -> to", "rate"]
    return _section("Carrier flows", len(rows), format_table(headers, rows, width=width))


def _bridges(model: Model, width: int) -> str:
    rows = []
    for bridge in model.bridges.values():
        weights = (
            ", ".join(_number(w) for w in bridge.weights) if bridge.weights is not None else ""
        )
        notes: list[str] = []
        if bridge.through is not None:
            notes.append(f"through {name_of(model, bridge.through)}")
        if bridge.table is not None:
            notes.append(f"table of {len(bridge.table.values)} points")
        if bridge.conserves is not None:
            notes.append(f"conserves {_local(bridge.conserves)}")
        if bridge.blending_start is not None or bridge.blending_end is not None:
            notes.append(
                f"blending {quantity_text(model, bridge.blending_start)} to "
                f"{quantity_text(model, bridge.blending_end)}"
            )
        rows.append(
            [
                bridge.name,
                str(bridge.kind).replace("_", " "),
                f"{_names(model, bridge.sources)} -> {name_of(model, bridge.target)}",
                weights,
                "; ".join(notes),
            ]
        )
    headers = ["name", "kind", "sources -> target", "weights", "notes"]
    table = format_table(headers, rows, width=width) if rows else None
    return _section("Bridges", len(rows), table)


def coupling_kind_text(kind: CouplingKind) -> str:
    """A coupling strategy as a modeller says it: ``one-way nesting``."""
    return "one-way nesting" if kind is CouplingKind.ONE_WAY_NESTING else str(kind)


def _axis(comparison: AxisComparison) -> str:
    text = str(comparison.relation)
    if comparison.ratio is not None:
        text += f", ratio {format_ratio(comparison.ratio)}"
    return text


def _verdict(verdict: CouplingVerdict | None) -> str:
    """The timescale verdict of a coupling, one line per part."""
    if verdict is None:
        return "not analysed"
    status = str(verdict.status).replace("_", " ")
    if verdict.reason:
        status += f": {verdict.reason}"
    template = str(verdict.template)
    if verdict.implied is not None and verdict.implied != verdict.template:
        template += f" (the time scales imply {verdict.implied})"
    return "\n".join(
        [
            status,
            f"time: {_axis(verdict.time)} (margin {_number(verdict.margin)})",
            f"space: {_axis(verdict.space)}",
            f"template: {template}",
        ]
    )


def _couplings(model: Model, verdicts: Mapping[IRI, CouplingVerdict], width: int) -> str:
    rows = []
    for coupling in model.couplings.values():
        verdict = verdicts.get(coupling.iri)
        pair = " <-> ".join(name_of(model, s) for s in coupling.submodels)
        if verdict is not None and verdict.driving and verdict.driven:
            pair = f"{name_of(model, verdict.driving)} -> {name_of(model, verdict.driven)}"
        rows.append(
            [
                coupling.name,
                coupling_kind_text(coupling.kind),
                pair,
                _names(model, coupling.bridges),
                _verdict(verdict),
            ]
        )
    headers = ["name", "kind", "submodels", "bridges", "timescale verdict"]
    table = format_table(headers, rows, width=width) if rows else None
    return _section("Couplings", len(rows), table)


def render_inspection(
    model: Model,
    verdicts: Verdicts | None = None,
    *,
    width: int = DEFAULT_WIDTH,
    source: str | None = None,
) -> str:
    """The model as plain-text tables (see the module docstring).

    ``verdicts`` is the model's timescale analysis, or just its coupling verdicts keyed by
    coupling IRI; by default it is computed.  With the verdicts alone, a submodel whose scales
    are not declared shows none (the estimates are part of the analysis).  ``source`` (the
    file read) is named in the first line.
    """
    if verdicts is None:
        verdicts = analyse_timescales(model)
    analysis = verdicts if isinstance(verdicts, TimescaleAnalysis) else None
    coupling_verdicts = verdicts.couplings if isinstance(verdicts, TimescaleAnalysis) else verdicts
    title = f"Model: {model.label or source or model.iri or '(unnamed)'}"
    if model.iri and model.label:
        title += f" <{model.iri}>"
    if source and model.label:
        title += f" ({source})"
    sections = [
        title,
        _submodels(model, analysis, width),
        _domains(model, width),
        _fields(model, width),
        _parameters(model, width),
        _algebraic(model, width),
        _equations(model, width),
        _relations(model, width),
        _transfers(model, width),
        _ports(model, width),
        _junctions(model, width),
        _carrier_flows(model, width),
        _bridges(model, width),
        _couplings(model, coupling_verdicts, width),
    ]
    return "\n\n".join(s for s in sections if s is not None) + "\n"
