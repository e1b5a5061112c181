"""Dimensional analysis of a formula: its dimension and scale, and every place it is inhomogeneous.

The walk follows the formula's syntax tree (never the simplified SymPy expression, which could
cancel a faulty term away), so each finding points at the exact piece of text at fault.  Each
subexpression gets a :class:`Measure`: a dimension and the SI scale factor of the units it was
written in (``mg/L`` has scale 1e-3).  Rules:

* ``+``, ``-``, comparisons, ``min``/``max`` arguments, ``piecewise`` values and the two sides of
  ``=`` must share a dimension; when they share it at different scales (``ms`` against ``s``)
  the combination is legal, the composer converts, and it is recorded as a *conversion*.
* Arguments of exp, log, log10, the trigonometric and hyperbolic functions, erf, erfc and the
  exponential integrals must be dimensionless; so must exponents, and an exponent of a
  dimensional base must be a constant (``L^2``, not ``L^n``).
* A number without a unit is dimensionless, except a bare ``0``, which fits any dimension.
* A name whose dimension is unknown (a quantity without a unit) makes everything above it
  unknown: it is reported once, where the unit is missing, not at every use.

Example
-------
>>> from scalebridge.model.dimensions import parse_unit
>>> from scalebridge.model.expressions import parse_formula
>>> env = {"k": Measure.of(parse_unit("1/ms")), "C": Measure.of(parse_unit("mg/L"))}
>>> result = analyse(parse_formula("-k * C + 2 [mg/(L.s)]"), env)
>>> str(result.measure.dimension), [i.kind for i in result.issues]
('kg m^-3 s^-1', ['conversion'])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from scalebridge.model.dimensions import Dimension, Unit, UnitError, parse_unit
from scalebridge.model.expressions import (
    BinOp,
    BoolOp,
    Call,
    Compare,
    Const,
    Equation,
    Formula,
    Name,
    Node,
    Not,
    Num,
    UnaryOp,
)

__all__ = ["ANY", "BOOLEAN", "Analysis", "DimensionIssue", "Measure", "analyse"]

IssueKind = Literal["mismatch", "not_dimensionless", "exponent", "conversion"]

_DIMENSIONLESS_ARGUMENT = frozenset(
    {"exp", "log", "log10", "sin", "cos", "tan", "sinh", "cosh", "tanh", "atan", "erf", "erfc",
     "E1"}
)
_SAME_AS_ARGUMENTS = frozenset({"min", "max"})
_REL_SCALE = 1e-9


@dataclass(frozen=True, slots=True)
class Measure:
    """The dimension of a value and the SI scale of the units it is written in.

    ``dimension`` None means unknown (a quantity without a unit); ``wildcard`` marks a bare
    zero, which fits any dimension; ``boolean`` marks a condition.
    """

    dimension: Dimension | None
    scale: float = 1.0
    wildcard: bool = False
    boolean: bool = False

    @classmethod
    def of(cls, unit: Unit | None) -> Measure:
        """The measure of a quantity declared in ``unit`` (unknown when there is none)."""
        if unit is None:
            return UNKNOWN
        return cls(unit.dimension, unit.scale)

    @property
    def known(self) -> bool:
        """True when the dimension is known (a wildcard counts as known)."""
        return self.dimension is not None or self.wildcard

    def describe_scaled(self) -> str:
        """The dimension with the scale of the units it is written in: 'm (x 0.001 to SI)'."""
        text = self.describe()
        if self.dimension is None or math.isclose(self.scale, 1.0, rel_tol=_REL_SCALE):
            return text
        return f"{text} (x {self.scale:.6g} to SI)"

    def describe(self) -> str:
        """The dimension in SI base units, for messages."""
        if self.wildcard:
            return "any (zero)"
        if self.dimension is None:
            return "unknown"
        return self.dimension.to_si_string()


DIMENSIONLESS = Measure(Dimension.dimensionless())
UNKNOWN = Measure(None)
ANY = Measure(None, wildcard=True)
BOOLEAN = Measure(Dimension.dimensionless(), boolean=True)


@dataclass(frozen=True, slots=True)
class DimensionIssue:
    """One finding: ``node`` is the offending piece of the formula (its text: ``snippet``)."""

    kind: IssueKind
    node: Node
    snippet: str
    message: str
    expected: str | None = None
    actual: str | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    """The measure of the whole formula and the issues found on the way."""

    measure: Measure
    issues: tuple[DimensionIssue, ...]

    @property
    def errors(self) -> tuple[DimensionIssue, ...]:
        """The issues that are dimensional errors (conversions are not)."""
        return tuple(i for i in self.issues if i.kind != "conversion")


def analyse(
    formula: Formula,
    env: Mapping[str, Measure],
    *,
    units: Callable[[str], Unit] = parse_unit,
) -> Analysis:
    """Dimension, scale and homogeneity findings of ``formula``.

    ``env`` maps each name of the formula to its measure (a missing name counts as unknown);
    ``units`` resolves the text of unit literals such as ``[mg/L]``.
    """
    walker = _Walker(formula, env, units)
    measure = walker.visit(formula.ast)
    return Analysis(measure, tuple(walker.issues))


class _Walker:
    def __init__(self, formula: Formula, env: Mapping[str, Measure],
                 units: Callable[[str], Unit]) -> None:
        self.formula = formula
        self.env = env
        self.units = units
        self.issues: list[DimensionIssue] = []

    def issue(self, kind: IssueKind, node: Node, message: str,
              expected: Measure | None = None, actual: Measure | None = None) -> None:
        # A conversion joins one dimension at two scales: show the scales, or both read alike.
        show = Measure.describe_scaled if kind == "conversion" else Measure.describe
        self.issues.append(DimensionIssue(
            kind, node, self.formula.snippet(node), message,
            show(expected) if expected is not None else None,
            show(actual) if actual is not None else None,
        ))

    # The trees are bounded in depth by the parser (64 levels) but a long sum is a left-leaning
    # chain of BinOps as deep as it has terms, so additive chains are walked iteratively.
    def visit(self, node: Node) -> Measure:
        if isinstance(node, Num):
            return self.number(node)
        if isinstance(node, Name):
            return self.env.get(node.id, UNKNOWN)
        if isinstance(node, Const):
            return DIMENSIONLESS
        if isinstance(node, UnaryOp):
            return self.visit(node.operand)
        if isinstance(node, BinOp):
            if node.op in "+-":
                return self.additive(node)
            return self.binary(node)
        if isinstance(node, Compare):
            self.same([node.left, node.right], node, "the two sides of a comparison")
            return BOOLEAN
        if isinstance(node, BoolOp):
            for operand in node.operands:
                self.visit(operand)
            return BOOLEAN
        if isinstance(node, Not):
            self.visit(node.operand)
            return BOOLEAN
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Equation):
            return self.same([node.lhs, node.rhs], node, "the two sides of the equation")
        raise TypeError(f"not a formula node: {node!r}")

    def number(self, node: Num) -> Measure:
        if node.unit is None:
            return ANY if node.value == 0 else DIMENSIONLESS
        try:
            unit = self.units(node.unit)
        except UnitError:
            return UNKNOWN  # reported where the formula was bound to the model
        return Measure(unit.dimension, unit.scale)

    def additive(self, node: BinOp) -> Measure:
        operands: list[Node] = []
        current: Node = node
        while isinstance(current, BinOp) and current.op in "+-":
            operands.append(current.right)
            current = current.left
        operands.append(current)
        operands.reverse()
        return self.same(operands, node, "the terms of a sum")

    def same(self, nodes: list[Node], parent: Node, what: str) -> Measure:
        """All of ``nodes`` must share one dimension; return the common measure."""
        measures = [(n, self.visit(n)) for n in nodes]
        reference: tuple[Node, Measure] | None = None
        for n, m in measures:
            if m.dimension is None:
                continue
            if reference is None:
                reference = (n, m)
                continue
            ref_node, ref = reference
            assert ref.dimension is not None
            if m.dimension != ref.dimension:
                self.issue(
                    "mismatch", parent,
                    f"{what} differ in dimension: '{self.formula.snippet(ref_node)}' is "
                    f"{ref.describe()} but '{self.formula.snippet(n)}' is {m.describe()}",
                    expected=ref, actual=m,
                )
            elif not math.isclose(m.scale, ref.scale, rel_tol=_REL_SCALE):
                self.issue(
                    "conversion", parent,
                    f"{what} share a dimension at different scales: "
                    f"'{self.formula.snippet(n)}' is converted by a factor "
                    f"{m.scale / ref.scale:.6g} to the units of "
                    f"'{self.formula.snippet(ref_node)}'",
                    expected=ref, actual=m,
                )
        if reference is not None:
            return reference[1]
        if any(m.wildcard for _, m in measures) and all(m.known for _, m in measures):
            return ANY
        return UNKNOWN

    def binary(self, node: BinOp) -> Measure:
        left = self.visit(node.left)
        if node.op == "^":
            return self.power(node, left)
        right = self.visit(node.right)
        if left.wildcard or right.wildcard:
            return ANY if node.op == "*" or left.wildcard else UNKNOWN
        if left.dimension is None or right.dimension is None:
            return UNKNOWN
        if node.op == "*":
            return Measure(left.dimension * right.dimension, left.scale * right.scale)
        return Measure(left.dimension / right.dimension, left.scale / right.scale)

    def power(self, node: BinOp, base: Measure) -> Measure:
        exponent = self.visit(node.right)
        if exponent.dimension is not None and not exponent.dimension.is_dimensionless:
            self.issue("exponent", node.right,
                       f"the exponent '{self.formula.snippet(node.right)}' must be "
                       f"dimensionless but is {exponent.describe()}",
                       expected=DIMENSIONLESS, actual=exponent)
            return UNKNOWN
        if base.wildcard:
            return ANY
        if base.dimension is None:
            return UNKNOWN
        if base.dimension.is_dimensionless:
            return DIMENSIONLESS
        value = _constant(node.right)
        if value is None:
            self.issue(
                "exponent", node,
                f"'{self.formula.snippet(node.left)}' has dimension {base.describe()}, so its "
                f"exponent '{self.formula.snippet(node.right)}' must be a constant number",
                actual=base,
            )
            return UNKNOWN
        power = Fraction(value).limit_denominator(1000)
        return Measure(base.dimension ** power, base.scale ** float(power))

    def call(self, node: Call) -> Measure:
        name = node.func
        if name == "piecewise":
            values = [a for i, a in enumerate(node.args) if i % 2 == 1 or i == len(node.args) - 1]
            for condition in node.args[:-1:2]:
                self.visit(condition)
            return self.same(values, node, "the values of the piecewise")
        if name in _SAME_AS_ARGUMENTS:
            return self.same(list(node.args), node, f"the arguments of {name}")
        if name == "abs":
            return self.visit(node.args[0])
        if name == "sqrt":
            inner = self.visit(node.args[0])
            if inner.dimension is None:
                return inner
            return Measure(inner.dimension ** Fraction(1, 2), math.sqrt(inner.scale))
        if name == "heaviside":
            self.visit(node.args[0])  # a step at zero: the sign of any quantity is meaningful
            return DIMENSIONLESS
        arguments = node.args[1:] if name == "expint" else node.args
        if name == "expint":
            self.require_dimensionless(node.args[0], name)
        for argument in arguments:
            self.require_dimensionless(argument, name)
        if name in _DIMENSIONLESS_ARGUMENT or name == "expint":
            return DIMENSIONLESS
        return UNKNOWN

    def require_dimensionless(self, argument: Node, function: str) -> None:
        measure = self.visit(argument)
        if measure.dimension is not None and not measure.dimension.is_dimensionless:
            self.issue("not_dimensionless", argument,
                       f"the argument of {function}, '{self.formula.snippet(argument)}', must be "
                       f"dimensionless but is {measure.describe()}",
                       expected=DIMENSIONLESS, actual=measure)
        elif measure.dimension is not None and not math.isclose(measure.scale, 1.0,
                                                                rel_tol=_REL_SCALE):
            self.issue("conversion", argument,
                       f"the argument of {function}, '{self.formula.snippet(argument)}', is a "
                       f"ratio of units with scale {measure.scale:.6g}; it is evaluated in SI",
                       expected=DIMENSIONLESS, actual=measure)


def _constant(node: Node) -> float | None:
    """The value of a constant exponent (numbers, pi, signs and arithmetic), else None."""
    if isinstance(node, Num) and node.unit is None:
        return float(node.value)
    if isinstance(node, Const):
        return math.pi
    if isinstance(node, UnaryOp):
        inner = _constant(node.operand)
        return None if inner is None else (-inner if node.op == "-" else inner)
    if isinstance(node, BinOp):
        left, right = _constant(node.left), _constant(node.right)
        if left is None or right is None:
            return None
        try:
            if node.op == "+":
                return left + right
            if node.op == "-":
                return left - right
            if node.op == "*":
                return left * right
            if node.op == "/":
                return left / right
            return float(left**right)
        except (ZeroDivisionError, OverflowError, ValueError, TypeError):
            return None
    return None
