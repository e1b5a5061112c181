"""Conservation across interfaces: what leaves one place arrives in another, exactly once.

Rules, each reported under its own code:

* **CONSERVATION_PORT_JOINED_TWICE**: a port that two junctions or interfaces join (its flow
  would enter two flow balances).
* **CONSERVATION_INTERFACE_MISMATCH**: an sb:Interface must join ports of two different domains,
  and the balances of the fields they carry must conserve the same quantity (both declare the
  same sb:conserves, or neither does).  What leaves one domain then arrives in the other with the
  opposite sign, by the generated flow balance (:mod:`scalebridge.model.junctions`).
* **CONSERVATION_BUDGET_OPEN**: for each conserved quantity, the sb:Transfer terms written with
  an sb:expression inside the balances that conserve it must cancel when the balances are added.
  Terms are amount rates (the capacity carries the volume); each is evaluated in SI, every
  variable standing for its SI value and every unit literal for its SI scale, which for a formula
  of one unit is the formula times the SI scale of its measure, so a term in mg/h cancels its
  counterpart in g/h.  The sum is expanded with SymPy and a monomial counts as cancelled when
  its coefficients sum to less than 1e-9 of their magnitudes.  Sources, reactions and sinks are
  declared, diffusion and advection conserve by construction, and carrier transfers are
  generated; none of these enters the budget.  When the budget is open, every transfer term
  whose opposite appears in no other balance of the quantity is reported, with the residual
  (in SI units, kg s^-1 for mass).
* **CONSERVATION_CARRIER_IMBALANCE**: in the network of carrier flows (a port end stands for the
  port's domain) inflow equals outflow at every node.  Rates are evaluated in SI, parameters
  with values replaced by them and algebraic variables by their defining relations, so formulas
  of parameters compare symbolically; a node is balanced when the difference is below 1e-9 of
  the throughput.  The message gives inflow, outflow and imbalance in the unit of the flows
  (``arterial blood: inflow 390 L/h, outflow 370.5 L/h, imbalance 19.5 L/h ...``).
* **CONSERVATION_FLUX_NO_DESTINATION**: a flux whose receiving (or sending) field has no balance
  equation: a port of a junction, a carrier flow, or a standalone transfer (sb:from / sb:to);
  or a carrier flow whose receiving end holds no field that takes up what it carries.  A
  transfer written inside a balance is covered by the budget rule.
* **CONSERVATION_WEIGHTS**: an averaging bridge's weights, when given, are one per source and
  sum to one within 1e-9; a handshake's four weights (source then target, each at the blending
  start and end) sum to one at each end.
* **CONSERVATION_PROLONGATION**: a localization that declares sb:conserves hands a coarse value
  to a fine domain as a constant prolongation, u_fine = u_coarse, which preserves the integral
  only if the fine domain is exactly as large as one cell of the coarse domain:
  ``|D_fine| = |D_coarse| / cells``.  Sizes are volumes of compartments, lengths of intervals,
  areas of rectangles and sites x spacing of lattices, in SI, compared to 1e-9 relative; domains
  of different dimension cannot match.  Source and target must be fields on domains, for only
  they have integrals; sizes that are not constants cannot be checked statically and pass.

Example
-------
>>> import rdflib
>>> from scalebridge.model.build import build_model
>>> g = rdflib.Graph().parse(format="turtle", data='''
... @prefix sb: <https://w3id.org/scalebridge/ontology#> .
... @prefix : <https://example.org/c#> .
... :m a sb:Submodel ; sb:onDomain :a, :b .
... :a a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit "L" ] .
... :b a sb:Compartment ; sb:volume [ sb:value 1 ; sb:unit "L" ] .
... :in a sb:CarrierFlow ; sb:from :a ; sb:to :b ; sb:rate [ sb:value 90 ; sb:unit "L/h" ] .
... :out a sb:CarrierFlow ; sb:from :b ; sb:to :a ; sb:rate [ sb:value 70.5 ; sb:unit "L/h" ] .
... ''')
>>> for d in check_conservation(build_model(g)[0]):
...     print(d.message.split(" (")[0])
a: inflow 70.5 L/h, outflow 90 L/h, imbalance 19.5 L/h
b: inflow 90 L/h, outflow 70.5 L/h, imbalance 19.5 L/h
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sympy

from scalebridge.diagnostics import Code, Diagnostic
from scalebridge.model.analysis import balance_measure, measures, si_value
from scalebridge.model.dimensions import Dimension, Unit
from scalebridge.model.junctions import (
    balances,
    carrier_transfers,
    conserved_quantity,
    formula_expression,
    si_expression,
    variable_symbol,
)
from scalebridge.model.types import (
    IRI,
    BridgeKind,
    Domain,
    DomainKind,
    Equation,
    Model,
    QuantitySpec,
    Ref,
    RelationKind,
    ScaleBridge,
    Term,
    TermKind,
    VariableRole,
)
from scalebridge.ontology.vocab import SB

__all__ = ["check_conservation"]

_TOLERANCE = 1e-9
# Expanding a product of sums multiplies their lengths; past this many terms the budget is
# compared as written rather than expanded, so that no formula can make the check explode.
_MAX_EXPANDED_TERMS = 5000

Monomials = dict[sympy.Expr, float]


def check_conservation(model: Model) -> list[Diagnostic]:
    """Every conservation finding of ``model``, in a stable order."""
    found: list[Diagnostic] = []
    found += _ports_joined_twice(model)
    found += _interfaces(model)
    found += _budgets(model)
    found += _carrier_network(model)
    found += _destinations(model)
    found += _weights(model)
    found += _prolongations(model)
    return found


# -- names for messages ---------------------------------------------------------------------------


def _local(iri: IRI) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"), iri.rfind(":"))
    return iri[cut + 1 :] or iri


def _symbol(model: Model, iri: IRI) -> str:
    variable = model.variables.get(iri)
    return f"'{variable.symbol}'" if variable is not None else f"<{iri}>"


def _number(value: float) -> str:
    return f"{value:.6g}"


# -- polynomial comparison ------------------------------------------------------------------------


def _expansion_size(expr: sympy.Basic) -> int:
    """An upper bound (capped) on the number of terms ``sympy.expand(expr)`` yields."""
    cap = _MAX_EXPANDED_TERMS
    if expr.is_Add:
        return min(cap, sum(_expansion_size(a) for a in expr.args))
    if expr.is_Mul:
        size = 1
        for a in expr.args:
            size = min(cap, size * _expansion_size(a))
        return size
    if expr.is_Pow:
        base = _expansion_size(expr.base)
        exponent = expr.exp
        if exponent.is_Integer and int(exponent) > 1 and base > 1:
            if int(exponent) * math.log(base) >= math.log(cap):
                return cap
            power: int = base ** int(exponent)
            return min(cap, power)
        return 1 if _expansion_size(exponent) < cap and base < cap else cap
    if expr.args and any(_expansion_size(a) >= cap for a in expr.args):
        return cap
    return 1


def _monomials(expr: sympy.Expr) -> Monomials:
    """Monomial -> numeric coefficient of ``expr``, expanded when that is affordable."""
    if _expansion_size(expr) < _MAX_EXPANDED_TERMS:
        expr = sympy.expand(expr)
    out: Monomials = {}
    for monomial, coefficient in expr.as_coefficients_dict().items():
        key = monomial
        try:
            number = float(coefficient)
        except (TypeError, ValueError, OverflowError):
            number = math.nan
        if not math.isfinite(number):
            # A complex, infinite or huge coefficient stays part of the monomial.
            key, number = monomial * coefficient, 1.0
        out[key] = out.get(key, 0.0) + number
    return out


def _residual(parts: Iterable[Monomials]) -> Monomials:
    """The monomials of a sum that do not cancel (relative to the size of what was summed)."""
    total: dict[sympy.Expr, float] = defaultdict(float)
    magnitude: dict[sympy.Expr, float] = defaultdict(float)
    for part in parts:
        for monomial, coefficient in part.items():
            total[monomial] += coefficient
            magnitude[monomial] += abs(coefficient)
    return {
        m: c for m, c in total.items() if abs(c) > _TOLERANCE * magnitude[m] and magnitude[m] > 0
    }


def _cancel(a: Monomials, b: Monomials) -> bool:
    return not _residual((a, b))


def _format(monomials: Monomials, digits: int = 4) -> str:
    """A readable sum: coefficients to ``digits`` significant digits, monomials sorted."""
    if not monomials:
        return "0"
    pieces = []
    for monomial, coefficient in sorted(monomials.items(), key=lambda mc: sympy.sstr(mc[0])):
        sign = "-" if coefficient < 0 else "+"
        size = abs(coefficient)
        if monomial == 1:
            body = f"{size:.{digits}g}"
        elif math.isclose(size, 1.0, rel_tol=1e-12):
            body = sympy.sstr(monomial)
        else:
            body = f"{size:.{digits}g}*{sympy.sstr(monomial)}"
        pieces.append((sign, body))
    first_sign, first = pieces[0]
    text = ("-" if first_sign == "-" else "") + first
    for sign, body in pieces[1:]:
        text += f" {sign} {body}"
    return text


# -- ports and interfaces -------------------------------------------------------------------------


def _ports_joined_twice(model: Model) -> Iterable[Diagnostic]:
    joined: dict[IRI, list[IRI]] = defaultdict(list)
    for junction in model.junctions.values():
        for port in junction.ports:
            joined[port].append(junction.iri)
    for port in sorted(joined):
        junctions = sorted(joined[port])
        if len(junctions) < 2:
            continue
        names = ", ".join(f"<{j}>" for j in junctions)
        yield Diagnostic.make(
            Code.CONSERVATION_PORT_JOINED_TWICE,
            f"port <{port}> is joined by {len(junctions)} junctions ({names}); its flow would "
            f"enter {len(junctions)} flow balances and be counted {len(junctions)} times",
            subject=port,
            expected="one junction",
            actual=f"{len(junctions)} junctions",
            related=junctions,
        )


def _interfaces(model: Model) -> Iterable[Diagnostic]:
    balanced = balances(model)
    for junction in model.junctions.values():
        if not junction.interface:
            continue
        ports = [model.ports[p] for p in junction.ports if p in model.ports]
        if len(ports) < 2:
            continue
        domains = sorted({p.domain for p in ports})
        if len(domains) == 1:
            yield Diagnostic.make(
                Code.CONSERVATION_INTERFACE_MISMATCH,
                f"interface <{junction.iri}> joins ports of one domain <{domains[0]}> ("
                + ", ".join(f"<{p.iri}>" for p in ports)
                + "); an interface passes what leaves one domain into another",
                subject=junction.iri,
                path=str(SB.joins),
                expected="ports on two different domains",
                actual=f"both on <{domains[0]}>",
            )
            continue
        if not all(p.field in balanced for p in ports):
            continue  # a port whose field has no balance: reported as a flux without destination
        quantities = {p.iri: conserved_quantity(model, p.field) for p in ports}
        if len(set(quantities.values())) < 2:
            continue
        described = [
            f"<{p.iri}> carries {_symbol(model, p.field)}, whose balance "
            + (
                f"conserves {_local(q)}"
                if (q := quantities[p.iri]) is not None
                else "declares no conserved quantity"
            )
            for p in ports
        ]
        yield Diagnostic.make(
            Code.CONSERVATION_INTERFACE_MISMATCH,
            f"interface <{junction.iri}> joins balances of different conserved quantities: "
            + "; ".join(described)
            + ". What leaves one domain would arrive in the other as something else",
            subject=junction.iri,
            path=str(SB.joins),
            expected="one conserved quantity on both sides",
            actual=", ".join(
                _local(q) if q is not None else "none" for q in quantities.values()
            ),
        )


# -- transfer budgets -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _BudgetTerm:
    equation: Equation
    term: Term
    monomials: Monomials


def _budgets(model: Model) -> Iterable[Diagnostic]:
    groups: dict[IRI, list[_BudgetTerm]] = defaultdict(list)
    for equation in model.equations.values():
        if equation.conserves is None:
            continue
        for term in equation.terms:
            if term.kind is TermKind.TRANSFER and term.expression is not None:
                expr = formula_expression(model, term.expression)
                groups[equation.conserves].append(
                    _BudgetTerm(equation, term, _monomials(expr))
                )
    env = measures(model)
    for quantity in sorted(groups):
        terms = groups[quantity]
        residual = _residual(t.monomials for t in terms)
        if not residual:
            continue
        unit = balance_measure(model, terms[0].equation, env).dimension
        shown = f"{_format(residual)} ({unit.to_si_string() if unit else 'SI units'}, " \
            "each variable in SI units)"
        lonely = _unpaired(terms)
        for item in lonely:
            text = item.term.expression.text if item.term.expression else ""
            opposite = _format(_negated(item.monomials))
            yield Diagnostic.make(
                Code.CONSERVATION_BUDGET_OPEN,
                f"transfer term '{text}' in balance <{item.equation.iri}> has no counterpart: "
                f"no other balance conserving {_local(quantity)} has its opposite, {opposite} "
                f"in SI, so the transfers of {_local(quantity)} add up to {shown} instead of 0",
                subject=item.term.iri,
                path=str(SB.expression),
                expected="0",
                actual=_format(residual),
                related=[item.equation.iri],
            )
        if not lonely:
            first = terms[0].equation.iri
            yield Diagnostic.make(
                Code.CONSERVATION_BUDGET_OPEN,
                f"the transfer terms of the balances conserving {_local(quantity)} add up to "
                f"{shown} instead of 0",
                subject=first,
                expected="0",
                actual=_format(residual),
            )


def _unpaired(terms: list[_BudgetTerm]) -> list[_BudgetTerm]:
    """The terms left when each is paired with an opposite in another balance (greedily)."""
    partner: dict[int, int] = {}
    for i, a in enumerate(terms):
        if i in partner:
            continue
        for j in range(i + 1, len(terms)):
            b = terms[j]
            if j in partner or b.equation.iri == a.equation.iri:
                continue
            if _cancel(a.monomials, b.monomials):
                partner[i], partner[j] = j, i
                break
    # A term that is zero moves nothing and needs no counterpart.
    return [t for i, t in enumerate(terms) if i not in partner and _residual([t.monomials])]


# -- carrier networks -----------------------------------------------------------------------------


def _resolver(model: Model) -> dict[sympy.Symbol, sympy.Expr]:
    """Symbol -> what to put in its place: a constant's SI value or an algebraic definition."""
    definitions = {
        r.target: r
        for r in model.relations.values()
        if r.kind is RelationKind.ALGEBRAIC and r.target is not None
    }
    resolved: dict[IRI, sympy.Expr] = {}
    visiting: set[IRI] = set()

    def value_of(iri: IRI) -> sympy.Expr:
        if iri in resolved:
            return resolved[iri]
        symbol = variable_symbol(model, iri)
        variable = model.variables.get(iri)
        result: sympy.Expr = symbol
        if variable is not None and variable.role is VariableRole.PARAMETER:
            number = si_value(model, Ref(iri=iri))
            if number is not None:
                result = sympy.Float(number)
        elif (
            variable is not None
            and variable.role is VariableRole.ALGEBRAIC
            and iri in definitions
            and iri not in visiting
        ):
            visiting.add(iri)
            relation = definitions[iri]
            expr = formula_expression(model, relation.formula)
            result = expr.xreplace(
                {variable_symbol(model, v): value_of(v) for v in relation.formula.bindings.values()}
            )
            visiting.discard(iri)
        resolved[iri] = result
        return result

    return {variable_symbol(model, iri): value_of(iri) for iri in model.variables}


def _node_of(model: Model, end: IRI) -> IRI:
    port = model.ports.get(end)
    return port.domain if port is not None else end


def _unit_of(model: Model, spec: QuantitySpec) -> Unit | None:
    if isinstance(spec, Ref):
        variable = model.variables.get(spec.iri)
        return variable.unit if variable is not None else None
    return spec.unit


def _carrier_network(model: Model) -> Iterable[Diagnostic]:
    if not model.carrier_flows:
        return
    substitute = _resolver(model)
    inflows: dict[IRI, list[IRI]] = defaultdict(list)
    outflows: dict[IRI, list[IRI]] = defaultdict(list)
    rates: dict[IRI, Monomials] = {}
    for flow in model.carrier_flows.values():
        expr = si_expression(model, flow.rate)
        if expr is None:
            continue
        rates[flow.iri] = _monomials(expr.xreplace(substitute))
        outflows[_node_of(model, flow.source)].append(flow.iri)
        inflows[_node_of(model, flow.target)].append(flow.iri)
    for node in sorted(set(inflows) | set(outflows)):
        ins, outs = sorted(inflows[node]), sorted(outflows[node])
        inflow = _residual(rates[f] for f in ins)
        outflow = _residual(rates[f] for f in outs)
        if not _residual([inflow, _negated(outflow)]):
            continue
        unit = next(
            (u for f in ins + outs if (u := _unit_of(model, model.carrier_flows[f].rate))),
            None,
        )
        yield _imbalance(model, node, (ins, outs), (inflow, outflow), unit)


def _imbalance(
    model: Model,
    node: IRI,
    flows: tuple[list[IRI], list[IRI]],
    totals: tuple[Monomials, Monomials],
    unit: Unit | None,
) -> Diagnostic:
    scale = unit.scale if unit is not None else 1.0
    symbol = unit.symbol if unit is not None else "m^3/s"
    # Shown in the flows' own unit, each variable in its declared unit.
    shown_in, shown_out = (_rescaled(model, t, scale) for t in totals)
    gap = _residual([shown_in, _negated(shown_out)])

    def show(monomials: Monomials) -> str:
        text = _format(monomials, digits=6)
        return f"{text} {symbol}" if len(monomials) <= 1 else f"({text}) {symbol}"

    domain = model.domains.get(node)
    label = domain.label if domain is not None and domain.label else _local(node)
    if all(m == 1 for m in gap):
        net = gap.get(sympy.Integer(1), 0.0)
        more = "in than out" if net > 0 else "out than in"
        imbalance = f"{_number(abs(net))} {symbol} (more flows {more}"
    else:
        imbalance = f"{show(gap)} (inflow minus outflow, each variable in its declared unit"
    ins, outs = flows
    listed = (
        f"; in: {', '.join(_local(f) for f in ins) or 'none'}"
        f"; out: {', '.join(_local(f) for f in outs) or 'none'})"
    )
    return Diagnostic.make(
        Code.CONSERVATION_CARRIER_IMBALANCE,
        f"{label}: inflow {show(shown_in)}, outflow {show(shown_out)}, imbalance {imbalance}"
        + listed,
        subject=node,
        expected=f"outflow equal to the inflow, {show(shown_in)}",
        actual=f"outflow {show(shown_out)}",
        related=ins + outs,
    )


def _negated(monomials: Monomials) -> Monomials:
    return {m: -c for m, c in monomials.items()}


def _rescaled(model: Model, monomials: Monomials, scale: float) -> Monomials:
    """SI monomials re-expressed with each variable in its declared unit, divided by ``scale``."""
    scales = {
        variable_symbol(model, v.iri): v.unit.scale
        for v in model.variables.values()
        if v.unit is not None and v.unit.scale != 1.0
    }
    expr = sympy.Add(*(c * m for m, c in monomials.items()))
    present = {s: s * sympy.Float(scales[s]) for s in expr.free_symbols if s in scales}
    return _residual([_monomials(expr.xreplace(present) / scale)])


# -- fluxes without a destination -----------------------------------------------------------------


def _destinations(model: Model) -> Iterable[Diagnostic]:
    balanced = balances(model)
    seen: set[tuple[IRI, str]] = set()

    def once(diagnostic: Diagnostic) -> Iterable[Diagnostic]:
        key = (diagnostic.subject or "", diagnostic.path or "")
        if key not in seen:
            seen.add(key)
            yield diagnostic

    for junction in model.junctions.values():
        for iri in junction.ports:
            port = model.ports.get(iri)
            if port is None or port.field in balanced:
                continue
            yield from once(
                Diagnostic.make(
                    Code.CONSERVATION_FLUX_NO_DESTINATION,
                    f"port <{iri}>, joined by <{junction.iri}>, carries "
                    f"{_symbol(model, port.field)}, which no balance equation governs: what "
                    "flows through the port is neither taken from nor added to anything",
                    subject=iri,
                    path=str(SB.carries),
                    related=[junction.iri],
                )
            )
    for transfer in carrier_transfers(model):
        if transfer.transfer is not None:
            continue  # a declared transfer: checked below with the other standalone transfers
        flow = model.carrier_flows[transfer.flow]
        moved = _symbol(model, transfer.source_field)
        if transfer.target_field is None:
            yield from once(
                Diagnostic.make(
                    Code.CONSERVATION_FLUX_NO_DESTINATION,
                    f"carrier flow <{flow.iri}> carries {moved} out of <{flow.source}> into "
                    f"<{flow.target}>, where no field takes it up: it leaves one balance and "
                    "enters none",
                    subject=flow.iri,
                    path=str(SB.to),
                    related=[flow.target],
                )
            )
        elif transfer.target_field not in balanced:
            yield from once(
                Diagnostic.make(
                    Code.CONSERVATION_FLUX_NO_DESTINATION,
                    f"carrier flow <{flow.iri}> carries {moved} into "
                    f"{_symbol(model, transfer.target_field)} on <{flow.target}>, which no "
                    "balance equation governs: what it delivers is lost",
                    subject=flow.iri,
                    path=str(SB.to),
                    related=[transfer.target_field],
                )
            )
        if transfer.source_field not in balanced:
            yield from once(
                Diagnostic.make(
                    Code.CONSERVATION_FLUX_NO_DESTINATION,
                    f"carrier flow <{flow.iri}> carries {moved} out of <{flow.source}>, but no "
                    f"balance equation governs {moved}: what it takes away is never removed",
                    subject=flow.iri,
                    path=str(SB["from"]),
                    related=[transfer.source_field],
                )
            )
    edges = list(model.transfers.values()) + [
        t
        for e in model.equations.values()
        for t in e.terms
        if t.kind is TermKind.TRANSFER and t.expression is None
    ]
    for term in sorted(edges, key=lambda t: t.iri):
        for field, path, role, fate in (
            (term.source_field, SB["from"], "takes its amount from", "is never removed"),
            (term.target_field, SB.to, "delivers its amount to", "goes nowhere"),
        ):
            if field is None or field in balanced:
                continue
            yield from once(
                Diagnostic.make(
                    Code.CONSERVATION_FLUX_NO_DESTINATION,
                    f"transfer <{term.iri}> {role} {_symbol(model, field)}, which no balance "
                    f"equation governs: the transferred amount {fate}",
                    subject=term.iri,
                    path=str(path),
                    related=[field],
                )
            )


# -- scale bridges --------------------------------------------------------------------------------


def _weights(model: Model) -> Iterable[Diagnostic]:
    for bridge in model.bridges.values():
        if bridge.weights is None:
            continue
        if bridge.kind is BridgeKind.HANDSHAKE:
            yield from _handshake_weights(bridge)
            continue
        count, sources = len(bridge.weights), len(bridge.sources)
        if count != sources:
            yield Diagnostic.make(
                Code.CONSERVATION_WEIGHTS,
                f"averaging bridge <{bridge.iri}> gives {count} weights for {sources} sources; "
                "it needs one weight per source",
                subject=bridge.iri,
                path=str(SB.weights),
                expected=f"{sources} weights",
                actual=f"{count} weights",
            )
            continue
        total = math.fsum(bridge.weights)
        if abs(total - 1.0) > _TOLERANCE:
            yield Diagnostic.make(
                Code.CONSERVATION_WEIGHTS,
                f"the weights of averaging bridge <{bridge.iri}> sum to {total:.12g}, not 1: "
                f"the average scales what it averages by {total:.12g}",
                subject=bridge.iri,
                path=str(SB.weights),
                expected="1",
                actual=f"{total:.12g}",
            )


def _handshake_weights(bridge: ScaleBridge) -> Iterable[Diagnostic]:
    """Declared handshake weights: (source at start, source at end, target at start, target
    at end); at each end of the blend the two descriptions' weights sum to one, or the region
    counts its energy more or less than once."""
    weights = bridge.weights or ()
    if len(weights) != 4:
        yield Diagnostic.make(
            Code.CONSERVATION_WEIGHTS,
            f"handshake <{bridge.iri}> gives {len(weights)} weights; it needs four: the "
            "source's at the blending start and end, then the target's",
            subject=bridge.iri, path=str(SB.weights), expected="4 weights",
            actual=f"{len(weights)} weights")
        return
    for end, total in (("start", weights[0] + weights[2]), ("end", weights[1] + weights[3])):
        if abs(total - 1.0) > _TOLERANCE:
            yield Diagnostic.make(
                Code.CONSERVATION_WEIGHTS,
                f"at the blending {end} of handshake <{bridge.iri}> the two descriptions' "
                f"weights sum to {total:.12g}, not 1: the overlap counts its energy "
                f"{total:.12g} times",
                subject=bridge.iri, path=str(SB.weights), expected="1",
                actual=f"{total:.12g}")


_LENGTH = Dimension.of(L=1)


def _extent(model: Model, domain: Domain) -> tuple[float | None, int | None, Dimension]:
    """The domain's size in SI, its number of cells, and the dimension of the size."""
    kind = domain.kind
    if kind is DomainKind.COMPARTMENT:
        return si_value(model, domain.volume), 1, _LENGTH**3
    if kind is DomainKind.INTERVAL:
        cells = domain.cells[0] if domain.cells else None
        return si_value(model, domain.length), cells, _LENGTH
    if kind is DomainKind.RECTANGLE:
        width, height = si_value(model, domain.width), si_value(model, domain.height)
        size = width * height if width is not None and height is not None else None
        cells = domain.cells[0] * domain.cells[1] if domain.cells else None
        return size, cells, _LENGTH**2
    spacing = si_value(model, domain.spacing)
    sites = domain.cells[0] if domain.cells else None
    size = spacing * sites if spacing is not None and sites is not None else None
    return size, sites, _LENGTH


def _prolongations(model: Model) -> Iterable[Diagnostic]:
    for bridge in model.bridges.values():
        if bridge.kind is not BridgeKind.LOCALIZATION or bridge.conserves is None:
            continue
        quantity = _local(bridge.conserves)
        ends = [*bridge.sources[:1], *([bridge.target] if bridge.target else [])]
        if len(ends) != 2:
            continue
        domains = []
        for iri in ends:
            variable = model.variables.get(iri)
            domain = (
                model.domains.get(variable.domain)
                if variable is not None
                and variable.role is VariableRole.FIELD
                and variable.domain is not None
                else None
            )
            if domain is None:
                yield Diagnostic.make(
                    Code.CONSERVATION_PROLONGATION,
                    f"localization <{bridge.iri}> declares that it conserves {quantity}, but "
                    f"{_symbol(model, iri)} is not a field on a domain, so it has no integral "
                    "to preserve",
                    subject=bridge.iri,
                    path=str(SB.conserves),
                    related=[iri],
                )
                break
            domains.append(domain)
        if len(domains) != 2:
            continue
        yield from _compare_sizes(bridge.iri, quantity, domains[0], domains[1], model)


def _compare_sizes(
    bridge: IRI, quantity: str, coarse: Domain, fine: Domain, model: Model
) -> Iterable[Diagnostic]:
    coarse_size, cells, coarse_dim = _extent(model, coarse)
    fine_size, _fine_cells, fine_dim = _extent(model, fine)
    if coarse_size is None or cells is None or fine_size is None:
        return
    if coarse_size <= 0 or fine_size <= 0:
        return  # a size that is not positive is reported by the shapes
    cell = coarse_size / cells
    cell_text = f"{_number(cell)} {coarse_dim.to_si_string()}"
    fine_text = f"{_number(fine_size)} {fine_dim.to_si_string()}"
    of_what = (
        f"<{coarse.iri}> has {_number(coarse_size)} {coarse_dim.to_si_string()} in {cells} "
        f"cell{'s' if cells != 1 else ''}"
    )
    if coarse_dim != fine_dim:
        yield Diagnostic.make(
            Code.CONSERVATION_PROLONGATION,
            f"localization <{bridge}> conserves {quantity} but prolongs a cell of {cell_text} "
            f"({of_what}) onto <{fine.iri}> of {fine_text}: a constant prolongation between "
            "domains of different dimension cannot preserve the integral",
            subject=bridge,
            path=str(SB.conserves),
            expected=f"a fine domain of {cell_text}",
            actual=fine_text,
            related=[coarse.iri, fine.iri],
        )
        return
    if math.isclose(cell, fine_size, rel_tol=_TOLERANCE):
        return
    yield Diagnostic.make(
        Code.CONSERVATION_PROLONGATION,
        f"localization <{bridge}> conserves {quantity} but prolongs a cell of {cell_text} "
        f"({of_what}) onto <{fine.iri}> of {fine_text}: a constant prolongation multiplies the "
        f"integral by {_number(fine_size / cell)}",
        subject=bridge,
        path=str(SB.conserves),
        expected=f"a fine domain of {cell_text}",
        actual=fine_text,
        related=[coarse.iri, fine.iri],
    )

