"""The formula language: a small, safe grammar for the formulas written in model graphs.

Algebraic relations, source terms, initial conditions and timescale estimates are stored in the
graph as strings.  This module turns such a string into an abstract syntax tree (AST) that keeps
the exact character span of every node, and into a SymPy expression built from that tree.

The text is never handed to Python or to SymPy's string parser: a hand-written tokenizer and a
precedence-climbing parser accept only the grammar below, and SymPy objects are constructed
directly from the tree.  Cost is bounded too (see *Limits*), so a hostile or careless formula
cannot hang or crash the tool; every rejected input raises :class:`FormulaError`.

Grammar (EBNF)
--------------
::

    formula    := expr [ '=' expr ]            (* '=' only with allow_equation=True *)
    expr       := or_expr
    or_expr    := and_expr ( 'or' and_expr )*
    and_expr   := not_expr ( 'and' not_expr )*
    not_expr   := 'not' not_expr | comparison
    comparison := additive [ ( '<' | '<=' | '>' | '>=' | '==' | '!=' ) additive ]
    additive   := term ( ( '+' | '-' ) term )*
    term       := unary ( ( '*' | '/' ) unary )*
    unary      := ( '-' | '+' ) unary | power
    power      := atom [ ( '^' | '**' ) unary ]  (* right-associative *)
    atom       := NUMBER [ '[' UNIT_TEXT ']' ]
                | NAME
                | NAME '(' [ expr ( ',' expr )* ] ')'
                | '(' expr ')'
    NUMBER     := digits [ '.' digits ] [ exponent ] | '.' digits [ exponent ]
    exponent   := ( 'e' | 'E' ) [ '+' | '-' ] digits
    NAME       := letter ( letter | digit | '_' )*   (* ASCII only *)
    UNIT_TEXT  := 1 to 64 printable characters other than '[' and ']'

Notes on the grammar:

* Whitespace (space, tab, newline, carriage return, form feed, vertical tab) is free between
  tokens.
* ``-x^2`` is ``-(x^2)``; ``2^3^2`` is ``2^(3^2)``; ``a/b/c`` is ``(a/b)/c``; ``2^-1`` is allowed.
* ``a < b < c`` is refused: write ``a < b and b < c``.
* ``and``, ``or`` and ``not`` are keywords, and Python's other reserved words (``lambda``,
  ``import``, ``if`` ...) are refused as names.  Names may not start with ``_``.
* ``pi`` is the constant pi, not a name.  Every other name is a real-valued symbol; a name such
  as ``E1`` or ``exp`` is a function only when it is followed by ``(``.
* A unit in brackets may follow a number only: ``3.5 [mg/L]``.  The parser does not interpret
  the unit text; it replaces the literal by ``3.5 * _u0`` and records ``_u0 -> "mg/L"`` in
  :attr:`Formula.unit_literals`, for a later stage to resolve.
* Conditions (comparisons, ``and``, ``or``, ``not``) are allowed only as conditions of
  ``piecewise`` or, with ``allow_boolean=True``, as the whole formula.  A condition used as a
  number, or a number used as a condition, is a syntax error.

SymPy expression
----------------
Names become ``Symbol(name, real=True)``, ``pi`` is :data:`sympy.pi`, integers are
:class:`sympy.Integer` and decimals :class:`sympy.Float`; ``a/b`` is ``a*b**-1`` as in SymPy.
SymPy evaluates as usual (``2^3`` is ``8``, ``x + x`` is ``2*x``), with one difference from
SymPy's binary operators: a chain such as ``a + b - c`` or ``2*(1+x)*pi`` is built as one
:class:`sympy.Add` or :class:`sympy.Mul`, so ``2*(1+x)*pi`` stays ``2*pi*(x + 1)`` where
``2*(1+x)`` alone becomes ``2*x + 2``.  The result is the same expression mathematically, and
a long sum costs one SymPy flatten instead of one per term.  An equation is an unevaluated
:class:`sympy.Eq`, so that ``x = x`` stays an equation.

Functions
---------
=====================  =========================================================================
``exp(x)``             :class:`sympy.exp`
``log(x)``             natural logarithm, :class:`sympy.log`
``log10(x)``           ``sympy.log(x, 10)`` (that is ``log(x)/log(10)``)
``sqrt(x)``            :func:`sympy.sqrt`
``sin cos tan``        trigonometric functions (one argument each)
``sinh cosh tanh``     hyperbolic functions (one argument each)
``atan(x)``            :class:`sympy.atan`
``erf(x) erfc(x)``     error functions
``expint(n, x)``       generalised exponential integral :class:`sympy.expint`; a numeric
                       order ``n`` must lie between -20 and 20
``E1(x)``              ``sympy.expint(1, x)``
``min(a, b, ...)``     :class:`sympy.Min` (two or more arguments)
``max(a, b, ...)``     :class:`sympy.Max` (two or more arguments)
``abs(x)``             :class:`sympy.Abs`
``heaviside(x)``       :class:`sympy.Heaviside` (value 1/2 at 0)
``piecewise(c1, v1,    "if c1 then v1 elif c2 then v2 ... else default": an odd number (at least
c2, v2, ..., d)``      three) of arguments, the default is mandatory; becomes
                       ``sympy.Piecewise((v1, c1), (v2, c2), ..., (d, True))``
=====================  =========================================================================

Limits
------
:data:`MAX_TEXT_LENGTH` characters, :data:`MAX_TOKENS` tokens, nesting depth
:data:`MAX_DEPTH` (parentheses, calls, signs, ``not`` and powers each add a level), integer
literals of at most :data:`MAX_INT_DIGITS` digits, finite floats only, unit texts of at most
:data:`MAX_UNIT_LENGTH` characters.

SymPy evaluates as it builds, and some of that evaluation is unbounded: ``9^9^9^9`` would be
computed digit by digit, ``sqrt`` of a long integer factored, and an exponential tower such as
``exp(exp(exp(9)))`` is built instantly but hangs whatever compares it, or prints a sum that
contains it.  The builder therefore refuses, before SymPy gets to it, any exact number of more
than :data:`MAX_NUMBER_DIGITS` digits, any constant whose value exceeds
``10**MAX_NUMBER_DIGITS`` (constants are approximated with mpmath as they are built), and
exact numbers under roots of more than :data:`MAX_RADICAL_DIGITS` digits.  ``min`` and
``max`` calls with many arguments are built unevaluated instead (see
:attr:`Formula.evaluated`).

Exceeding a limit raises a :class:`FormulaError` of kind ``"too_complex"``; a float literal
that overflows is a ``"syntax"`` error.

Constants must be finite real numbers: a constant subexpression such as ``sqrt(-1)``,
``log(-2)``, ``(-8)^(1/3)``, ``1/0`` or ``log(0)`` is refused as a ``"syntax"`` error (a
formula describes a real quantity, and SymPy's numeric evaluation of complex constants can
take exponential time).

Examples
--------
>>> f = parse_formula("k * T^2 / 2")
>>> f.expr
T**2*k/2
>>> sorted(f.names)
['T', 'k']
>>> f.ast.left.op, f.snippet(f.ast.left)
('*', 'k * T^2')
>>> g = parse_formula("3.5 [mg/L] * V")
>>> g.expr, dict(g.unit_literals)
(3.5*V*_u0, {'_u0': 'mg/L'})
>>> parse_formula("piecewise(x < 0, 0, x)").expr
Piecewise((0, x < 0), (x, True))
>>> parse_formula("dm = -k * m", allow_equation=True).expr
Eq(dm, -k*m)
>>> try:
...     parse_formula("__import__('os')")
... except FormulaError as err:
...     print(err.kind, err.position)
...     print(err)
syntax 0
name '__import__' is not allowed at column 1; names may not start with '_'
"""

from __future__ import annotations

import dataclasses
import functools
import keyword
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Final, Literal, TypeAlias

import mpmath  # type: ignore[import-untyped, unused-ignore]
import sympy  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "ALLOWED_FUNCTIONS",
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "MAX_NUMBER_DIGITS",
    "MAX_RADICAL_DIGITS",
    "MAX_TEXT_LENGTH",
    "MAX_TOKENS",
    "MAX_UNIT_LENGTH",
    "BinOp",
    "BoolOp",
    "Call",
    "Compare",
    "Const",
    "Equation",
    "ErrorKind",
    "Formula",
    "FormulaError",
    "Name",
    "Node",
    "Not",
    "Num",
    "UnaryOp",
    "child_nodes",
    "formula_symbols",
    "iter_nodes",
    "parse_ast",
    "parse_formula",
    "unit_symbols",
]

MAX_TEXT_LENGTH: Final = 4000
"""Longest formula text accepted, in characters."""
MAX_TOKENS: Final = 2000
"""Most tokens (numbers, names, operators, brackets, units) in one formula."""
MAX_DEPTH: Final = 64
"""Deepest nesting of parentheses, calls, signs, ``not`` and powers."""
MAX_INT_DIGITS: Final = 30
"""Longest integer literal, in digits (larger values must be written as floats)."""
MAX_UNIT_LENGTH: Final = 64
"""Longest unit text between brackets, in characters."""

MAX_NUMBER_DIGITS: Final = 3000
"""Largest exact number (in digits) and largest value (``10**MAX_NUMBER_DIGITS``) evaluated."""
MAX_RADICAL_DIGITS: Final = 100
"""Most digits of exact numbers under non-integer powers (SymPy factors them)."""

# SymPy's Min/Max compare their arguments pairwise (milliseconds per pair): beyond these, calls
# are built unevaluated.
_MAX_MINMAX_ARGS: Final = 6
_MAX_MINMAX_EVALUATIONS: Final = 16
# Largest numeric order of expint (see _Builder._guard_expint_order).
_MAX_EXPINT_ORDER: Final = 20

ErrorKind: TypeAlias = Literal["syntax", "unknown_function", "too_complex"]
Span: TypeAlias = tuple[int, int]


class FormulaError(ValueError):
    """A formula that cannot be accepted.

    Attributes
    ----------
    kind:
        ``"syntax"`` (the text is not in the grammar, or mixes conditions and numbers),
        ``"unknown_function"`` (a call to a function outside the whitelist) or
        ``"too_complex"`` (a limit was exceeded).
    position:
        0-based character offset into the formula text where the problem was found.
    message:
        One line for the modeller, quoting the offending token; also ``str(err)``.
    """

    def __init__(self, kind: ErrorKind, position: int, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.position = position
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[FormulaError], tuple[ErrorKind, int, str]]:
        return (type(self), (self.kind, self.position, self.message))


# ---------------------------------------------------------------------------------------------
# AST
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Num:
    """A numeric literal, optionally with a unit in brackets (``3.5 [mg/L]``)."""

    value: int | float
    unit: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Name:
    """A reference to a quantity of the model."""

    id: str
    span: Span


@dataclass(frozen=True, slots=True)
class Const:
    """A mathematical constant; only ``pi``."""

    id: Literal["pi"]
    span: Span


@dataclass(frozen=True, slots=True)
class UnaryOp:
    """A sign: ``-x`` or ``+x``."""

    op: Literal["-", "+"]
    operand: Node
    span: Span


@dataclass(frozen=True, slots=True)
class BinOp:
    """An arithmetic operation; ``**`` in the text is recorded as ``^``."""

    op: Literal["+", "-", "*", "/", "^"]
    left: Node
    right: Node
    span: Span


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison of two numbers (a condition)."""

    op: Literal["<", "<=", ">", ">=", "==", "!="]
    left: Node
    right: Node
    span: Span


@dataclass(frozen=True, slots=True)
class BoolOp:
    """``a and b and ...`` or ``a or b or ...`` (a condition); chains are kept flat."""

    op: Literal["and", "or"]
    operands: tuple[Node, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Not:
    """``not c`` (a condition)."""

    operand: Node
    span: Span


@dataclass(frozen=True, slots=True)
class Call:
    """A call of a whitelisted function."""

    func: str
    args: tuple[Node, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Equation:
    """``lhs = rhs``; only at the top level, with ``allow_equation=True``."""

    lhs: Node
    rhs: Node
    span: Span


Node: TypeAlias = Num | Name | Const | UnaryOp | BinOp | Compare | BoolOp | Not | Call | Equation


def child_nodes(node: Node) -> tuple[Node, ...]:
    """The direct children of ``node``, in source order.

    >>> [type(n).__name__ for n in child_nodes(parse_formula("a + f0 * 2").ast)]
    ['Name', 'BinOp']
    """
    if isinstance(node, UnaryOp | Not):
        return (node.operand,)
    if isinstance(node, BinOp | Compare):
        return (node.left, node.right)
    if isinstance(node, BoolOp):
        return node.operands
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Equation):
        return (node.lhs, node.rhs)
    return ()


def iter_nodes(node: Node) -> Iterator[Node]:
    """All nodes of the tree under ``node`` (itself included), parents before children.

    Iterative, so safe on long chains: ``a+b+...`` with a thousand terms is a left-nested tree
    a thousand levels deep, which a naive recursive walk would not survive.

    >>> [type(n).__name__ for n in iter_nodes(parse_formula("-x^2").ast)]
    ['UnaryOp', 'BinOp', 'Name', 'Num']
    """
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(child_nodes(current)))


def _is_condition(node: Node) -> bool:
    return isinstance(node, Compare | BoolOp | Not)


# ---------------------------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------------------------

# name -> (least, most) number of arguments; most None means unbounded.
_ARITY: Final[Mapping[str, tuple[int, int | None]]] = MappingProxyType(
    {
        "exp": (1, 1),
        "log": (1, 1),
        "log10": (1, 1),
        "sqrt": (1, 1),
        "sin": (1, 1),
        "cos": (1, 1),
        "tan": (1, 1),
        "sinh": (1, 1),
        "cosh": (1, 1),
        "tanh": (1, 1),
        "atan": (1, 1),
        "erf": (1, 1),
        "erfc": (1, 1),
        "expint": (2, 2),
        "E1": (1, 1),
        "min": (2, None),
        "max": (2, None),
        "abs": (1, 1),
        "heaviside": (1, 1),
        "piecewise": (3, None),
    }
)

ALLOWED_FUNCTIONS: Final[tuple[str, ...]] = tuple(sorted(_ARITY, key=str.lower))
"""Names of the functions a formula may call."""

# SymPy classes of the one-argument functions that map one to one.
_SIMPLE_FUNCTIONS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "exp": sympy.exp,
        "log": sympy.log,
        "sin": sympy.sin,
        "cos": sympy.cos,
        "tan": sympy.tan,
        "sinh": sympy.sinh,
        "cosh": sympy.cosh,
        "tanh": sympy.tanh,
        "atan": sympy.atan,
        "erf": sympy.erf,
        "erfc": sympy.erfc,
        "abs": sympy.Abs,
        "heaviside": sympy.Heaviside,
    }
)

_COMPARISONS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "<": sympy.StrictLessThan,
        "<=": sympy.LessThan,
        ">": sympy.StrictGreaterThan,
        ">=": sympy.GreaterThan,
        "==": sympy.Eq,
        "!=": sympy.Ne,
    }
)

# ---------------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------------

_TokenKind: TypeAlias = Literal["number", "name", "keyword", "op", "unit", "eof"]

_WHITESPACE: Final = frozenset(" \t\n\r\f\v")
_DIGITS: Final = frozenset("0123456789")
_LETTERS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NAME_CHARS: Final = _LETTERS | _DIGITS | {"_"}
_TWO_CHAR_OPS: Final = frozenset({"**", "<=", ">=", "==", "!="})
_ONE_CHAR_OPS: Final = frozenset("+-*/^(),<>=")
_KEYWORDS: Final = frozenset({"and", "or", "not"})
_QUOTES: Final = frozenset("'\"`")

_PREC_OR: Final = 1
_PREC_AND: Final = 2
_PREC_NOT: Final = 3
_PREC_CMP: Final = 4
_PREC_ADD: Final = 5
_PREC_MUL: Final = 6
_PREC_UNARY: Final = 7
_PREC_POW: Final = 8

_INFIX_PREC: Final[Mapping[str, int]] = MappingProxyType(
    {
        "or": _PREC_OR,
        "and": _PREC_AND,
        "<": _PREC_CMP,
        "<=": _PREC_CMP,
        ">": _PREC_CMP,
        ">=": _PREC_CMP,
        "==": _PREC_CMP,
        "!=": _PREC_CMP,
        "+": _PREC_ADD,
        "-": _PREC_ADD,
        "*": _PREC_MUL,
        "/": _PREC_MUL,
        "^": _PREC_POW,
        "**": _PREC_POW,
    }
)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _TokenKind
    text: str
    start: int
    end: int
    value: int | float = 0


def _quote(text: str, limit: int = 40) -> str:
    """``text`` in quotes, control characters escaped and long texts shortened to one line."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)


def _location(text: str, position: int) -> str:
    if "\n" not in text:
        return f"column {position + 1}"
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"line {line}, column {column}"


def _describe(token: _Token) -> str:
    if token.kind == "eof":
        return "the end of the formula"
    if token.kind == "number":
        return f"number {_quote(token.text)}"
    if token.kind == "name":
        return f"name {_quote(token.text)}"
    if token.kind == "keyword":
        return f"keyword {_quote(token.text)}"
    if token.kind == "unit":
        return f"unit {_quote('[' + token.text + ']')}"
    return _quote(token.text)


class _Lexer:
    """Produces tokens on demand, so the first problem in reading order is the one reported."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.count = 0
        self._peeked: _Token | None = None
        self.last: _Token | None = None

    def error(self, kind: ErrorKind, position: int, head: str, hint: str = "") -> FormulaError:
        message = f"{head} at {_location(self.text, position)}"
        if hint:
            message += f"; {hint}"
        return FormulaError(kind, position, message)

    def peek(self) -> _Token:
        if self._peeked is None:
            self._peeked = self._scan()
        return self._peeked

    def advance(self) -> _Token:
        token = self.peek()
        self._peeked = None
        self.last = token
        return token

    def _scan(self) -> _Token:
        text = self.text
        n = len(text)
        pos = self.pos
        while pos < n and text[pos] in _WHITESPACE:
            pos += 1
        self.pos = pos
        if pos >= n:
            return _Token("eof", "", n, n)
        self.count += 1
        if self.count > MAX_TOKENS:
            raise self.error("too_complex", pos, f"the formula has more than {MAX_TOKENS} tokens")
        char = text[pos]
        if char in _DIGITS or (char == "." and pos + 1 < n and text[pos + 1] in _DIGITS):
            return self._number(pos)
        if char in _LETTERS:
            return self._name(pos)
        if char == "_":
            end = self._name_end(pos)
            raise self.error(
                "syntax",
                pos,
                f"name {_quote(text[pos:end])} is not allowed",
                "names may not start with '_'",
            )
        if char == "[":
            return self._unit(pos)
        if char == "]":
            raise self.error("syntax", pos, "unmatched ']'")
        two = text[pos : pos + 2]
        if two in _TWO_CHAR_OPS:
            self.pos = pos + 2
            return _Token("op", two, pos, pos + 2)
        if char in _ONE_CHAR_OPS:
            self.pos = pos + 1
            return _Token("op", char, pos, pos + 1)
        if char == ".":
            raise self.error(
                "syntax",
                pos,
                "unexpected '.'",
                "attribute access is not part of the formula language",
            )
        if char in _QUOTES:
            raise self.error(
                "syntax", pos, f"unexpected quote {_quote(char)}", "strings are not allowed"
            )
        raise self.error("syntax", pos, f"unexpected character {_quote(char)}")

    def _name_end(self, pos: int) -> int:
        text = self.text
        end = pos
        while end < len(text) and text[end] in _NAME_CHARS:
            end += 1
        return end

    def _name(self, pos: int) -> _Token:
        end = self._name_end(pos)
        word = self.text[pos:end]
        self.pos = end
        if word in _KEYWORDS:
            return _Token("keyword", word, pos, end)
        if keyword.iskeyword(word):
            raise self.error(
                "syntax",
                pos,
                f"{_quote(word)} is a reserved word",
                "it cannot be used as a name",
            )
        return _Token("name", word, pos, end)

    def _digits_end(self, pos: int) -> int:
        text = self.text
        while pos < len(text) and text[pos] in _DIGITS:
            pos += 1
        return pos

    def _number(self, start: int) -> _Token:
        text = self.text
        n = len(text)
        pos = self._digits_end(start)
        is_float = False
        if pos < n and text[pos] == ".":
            after = self._digits_end(pos + 1)
            if after == pos + 1:
                raise self.error(
                    "syntax",
                    start,
                    f"malformed number {_quote(text[start : pos + 1])}",
                    "a '.' must be followed by digits",
                )
            pos = after
            is_float = True
        if pos < n and text[pos] in "eE":
            mark = pos + 1
            if mark < n and text[mark] in "+-":
                mark += 1
            after = self._digits_end(mark)
            if after > mark:
                pos = after
                is_float = True
            elif mark > pos + 1 or mark >= n or text[mark] not in _NAME_CHARS:
                # '1e', '1e+', '1e-x': an exponent was started but has no digits.
                raise self.error(
                    "syntax",
                    start,
                    f"malformed number {_quote(text[start:mark])}",
                    "an exponent needs digits, e.g. 1e-3",
                )
        literal = text[start:pos]
        self.pos = pos
        if not is_float:
            significant = literal.lstrip("0")
            if len(significant) > MAX_INT_DIGITS:
                raise self.error(
                    "too_complex",
                    start,
                    f"integer {_quote(literal)} has {len(significant)} digits",
                    f"at most {MAX_INT_DIGITS} are allowed; write large values as floats, "
                    "e.g. 1.5e40",
                )
            return _Token("number", literal, start, pos, int(literal or "0"))
        value = float(literal)
        if not math.isfinite(value):
            raise self.error(
                "syntax",
                start,
                f"number {_quote(literal)} is out of range",
                "floats must be below about 1.8e308",
            )
        return _Token("number", literal, start, pos, value)

    def _unit(self, start: int) -> _Token:
        text = self.text
        n = len(text)
        pos = start + 1
        while pos < n and text[pos] != "]":
            char = text[pos]
            if char == "[":
                raise self.error("syntax", pos, "unexpected '[' inside a unit")
            if not (char.isprintable() or char == " "):
                raise self.error(
                    "syntax", pos, f"unexpected character {_quote(char)} inside a unit"
                )
            if pos - start > MAX_UNIT_LENGTH:
                raise self.error(
                    "too_complex",
                    start,
                    "unit text is too long",
                    f"at most {MAX_UNIT_LENGTH} characters are allowed between brackets",
                )
            pos += 1
        if pos >= n:
            raise self.error(
                "syntax",
                n,
                "missing ']'",
                f"the unit opened at {_location(text, start)} is not closed",
            )
        unit = text[start + 1 : pos].strip()
        if not unit:
            raise self.error("syntax", start, "empty unit '[]'")
        self.pos = pos + 1
        return _Token("unit", unit, start, pos + 1)


# ---------------------------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------------------------


class _Parser:
    """Precedence climbing over the grammar of the module docstring.

    Each level of nesting costs two or three Python frames, so :data:`MAX_DEPTH` keeps the
    recursion far from Python's limit.
    """

    def __init__(self, text: str, allow_equation: bool, allow_boolean: bool) -> None:
        self.text = text
        self.lexer = _Lexer(text)
        self.allow_equation = allow_equation
        self.allow_boolean = allow_boolean
        self.depth = 0

    # -- helpers --------------------------------------------------------------------------

    def _error(self, kind: ErrorKind, position: int, head: str, hint: str = "") -> FormulaError:
        return self.lexer.error(kind, position, head, hint)

    def _snippet(self, node: Node) -> str:
        return _quote(self.text[node.span[0] : node.span[1]])

    def _enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._error(
                "too_complex",
                token.start,
                f"the formula is nested more than {MAX_DEPTH} levels deep",
                "parentheses, calls, signs, 'not' and powers each add a level",
            )

    def _leave(self) -> None:
        self.depth -= 1

    def _number(self, node: Node, context: str) -> Node:
        if _is_condition(node):
            raise self._error(
                "syntax",
                node.span[0],
                f"the condition {self._snippet(node)} cannot be used as a number ({context})",
                "conditions are only allowed inside piecewise(...)",
            )
        return node

    def _condition(self, node: Node, context: str) -> Node:
        if not _is_condition(node):
            raise self._error(
                "syntax",
                node.span[0],
                f"expected a condition {context}, found the number expression "
                f"{self._snippet(node)}",
                "a condition is a comparison, or conditions joined with 'and', 'or', 'not'",
            )
        return node

    def _missing_value(self, token: _Token) -> FormulaError:
        last = self.lexer.last
        if token.kind == "eof":
            if last is None:
                return self._error("syntax", 0, "the formula is empty")
            return self._error(
                "syntax",
                token.start,
                f"expected a value after {_describe(last)}, found the end of the formula",
            )
        if token.kind == "unit":
            return self._error(
                "syntax",
                token.start,
                f"unexpected {_describe(token)}",
                "a unit in brackets must directly follow a number, e.g. 3.5 [mg/L]; "
                "indexing is not allowed",
            )
        if token.kind == "keyword":
            return self._error(
                "syntax",
                token.start,
                f"unexpected keyword {_quote(token.text)}",
                "it needs a condition on its left",
            )
        if token.text == ")":
            return self._error("syntax", token.start, "expected a value before ')'")
        return self._error("syntax", token.start, f"expected a value, found {_describe(token)}")

    def _unexpected(self, token: _Token) -> FormulaError:
        if token.text == ")" and token.kind == "op":
            return self._error("syntax", token.start, "unmatched ')'")
        if token.text == "=" and token.kind == "op":
            if self.allow_equation:
                return self._error(
                    "syntax",
                    token.start,
                    "unexpected '='",
                    "an equation has exactly one '=', at the top level",
                )
            return self._error(
                "syntax",
                token.start,
                "'=' is not allowed here",
                "this formula is an expression, not an equation; use '==' to compare",
            )
        if token.kind == "unit":
            return self._error(
                "syntax",
                token.start,
                f"unexpected {_describe(token)}",
                "brackets hold the unit of a number, e.g. 3.5 [mg/L]; indexing is not allowed",
            )
        if token.kind in ("number", "name") or token.text == "(":
            return self._error(
                "syntax",
                token.start,
                f"unexpected {_describe(token)}",
                "is an operator missing?",
            )
        return self._error("syntax", token.start, f"unexpected {_describe(token)}")

    # -- grammar --------------------------------------------------------------------------

    def parse(self) -> Node:
        lexer = self.lexer
        node = self._expr(_PREC_OR)
        token = lexer.peek()
        if token.kind == "op" and token.text == "=" and self.allow_equation:
            lexer.advance()
            lhs = self._number(node, "left side of '='")
            rhs = self._number(self._expr(_PREC_OR), "right side of '='")
            node = Equation(lhs, rhs, (lhs.span[0], rhs.span[1]))
            token = lexer.peek()
        if token.kind != "eof":
            raise self._unexpected(token)
        if _is_condition(node) and not self.allow_boolean:
            raise self._error(
                "syntax",
                node.span[0],
                f"the formula is the condition {self._snippet(node)}, but a number is expected",
                "conditions are only allowed inside piecewise(...)",
            )
        return node

    def _expr(self, min_prec: int) -> Node:
        lexer = self.lexer
        left = self._prefix()
        while True:
            token = lexer.peek()
            if token.kind not in ("op", "keyword"):
                break
            prec = _INFIX_PREC.get(token.text)
            if prec is None or prec < min_prec:
                break
            op = token.text
            if prec in (_PREC_OR, _PREC_AND):
                operands = [self._condition(left, f"before {_quote(op)}")]
                while (nxt := lexer.peek()).kind == "keyword" and nxt.text == op:
                    lexer.advance()
                    operand = self._expr(prec + 1)
                    operands.append(self._condition(operand, f"after {_quote(op)}"))
                left = BoolOp(
                    "and" if op == "and" else "or",
                    tuple(operands),
                    (operands[0].span[0], operands[-1].span[1]),
                )
            elif prec == _PREC_CMP:
                lexer.advance()
                self._number(left, f"left of {_quote(op)}")
                right = self._number(self._expr(_PREC_CMP + 1), f"right of {_quote(op)}")
                left = Compare(_cmp_op(op), left, right, (left.span[0], right.span[1]))
                nxt = lexer.peek()
                if nxt.kind == "op" and _INFIX_PREC.get(nxt.text) == _PREC_CMP:
                    raise self._error(
                        "syntax",
                        nxt.start,
                        f"comparisons cannot be chained ({_quote(nxt.text)} after a comparison)",
                        "write 'a < b and b < c'",
                    )
            elif prec == _PREC_POW:
                lexer.advance()
                self._enter(token)
                right = self._expr(_PREC_UNARY)
                self._leave()
                self._number(left, "base of a power")
                self._number(right, "exponent of a power")
                left = BinOp("^", left, right, (left.span[0], right.span[1]))
            else:
                lexer.advance()
                self._number(left, f"left of {_quote(op)}")
                right = self._number(self._expr(prec + 1), f"right of {_quote(op)}")
                left = BinOp(_arith_op(op), left, right, (left.span[0], right.span[1]))
        return left

    def _prefix(self) -> Node:
        lexer = self.lexer
        token = lexer.peek()
        if token.kind == "number":
            lexer.advance()
            unit: str | None = None
            end = token.end
            if lexer.peek().kind == "unit":
                unit_token = lexer.advance()
                unit = unit_token.text
                end = unit_token.end
            return Num(token.value, unit, (token.start, end))
        if token.kind == "name":
            lexer.advance()
            nxt = lexer.peek()
            if nxt.kind == "op" and nxt.text == "(":
                return self._call(token)
            if token.text == "pi":
                return Const("pi", (token.start, token.end))
            return Name(token.text, (token.start, token.end))
        if token.kind == "op" and token.text == "(":
            lexer.advance()
            self._enter(token)
            inner = self._expr(_PREC_OR)
            close = lexer.peek()
            if close.kind != "op" or close.text != ")":
                if close.kind == "eof":
                    raise self._error(
                        "syntax",
                        close.start,
                        "missing ')'",
                        f"the '(' at {_location(self.text, token.start)} is not closed",
                    )
                raise self._unexpected(close)
            lexer.advance()
            self._leave()
            return replace(inner, span=(token.start, close.end))
        if token.kind == "op" and token.text in ("-", "+"):
            lexer.advance()
            self._enter(token)
            operand = self._number(self._expr(_PREC_UNARY), f"after {_quote(token.text)}")
            self._leave()
            sign: Literal["-", "+"] = "-" if token.text == "-" else "+"
            return UnaryOp(sign, operand, (token.start, operand.span[1]))
        if token.kind == "keyword" and token.text == "not":
            lexer.advance()
            self._enter(token)
            operand = self._condition(self._expr(_PREC_NOT), "after 'not'")
            self._leave()
            return Not(operand, (token.start, operand.span[1]))
        raise self._missing_value(token)

    def _call(self, name: _Token) -> Node:
        lexer = self.lexer
        func = name.text
        arity = _ARITY.get(func)
        if arity is None:
            if func == "pi":
                raise self._error("syntax", name.start, "'pi' is a constant, not a function")
            raise self._error(
                "unknown_function",
                name.start,
                f"unknown function {_quote(func)}",
                f"allowed: {', '.join(ALLOWED_FUNCTIONS)}",
            )
        opening = lexer.advance()
        self._enter(opening)
        args: list[Node] = []
        if (token := lexer.peek()).kind == "op" and token.text == ")":
            close = lexer.advance()
        else:
            while True:
                args.append(self._expr(_PREC_OR))
                token = lexer.peek()
                if token.kind == "op" and token.text == ",":
                    lexer.advance()
                    continue
                if token.kind == "op" and token.text == ")":
                    close = lexer.advance()
                    break
                if token.kind == "eof":
                    raise self._error(
                        "syntax",
                        token.start,
                        "missing ')'",
                        f"the call of {_quote(func)} at {_location(self.text, name.start)} "
                        "is not closed",
                    )
                raise self._error(
                    "syntax",
                    token.start,
                    f"expected ',' or ')' in the call of {_quote(func)}, found {_describe(token)}",
                )
        self._leave()
        self._check_arguments(name, args)
        return Call(func, tuple(args), (name.start, close.end))

    def _check_arguments(self, name: _Token, args: list[Node]) -> None:
        func = name.text
        least, most = _ARITY[func]
        count = len(args)
        if func == "piecewise":
            if count < least or count % 2 == 0:
                raise self._error(
                    "syntax",
                    name.start,
                    f"piecewise needs an odd number of arguments, at least 3, got {count}",
                    "write piecewise(condition1, value1, condition2, value2, ..., default); "
                    "the default value is mandatory",
                )
            for index, arg in enumerate(args):
                if index % 2 == 0 and index < count - 1:
                    self._condition(arg, f"as argument {index + 1} of piecewise")
                else:
                    self._number(arg, f"argument {index + 1} of piecewise")
            return
        if count < least or (most is not None and count > most):
            if most is None:
                wanted = f"at least {least} arguments"
            else:
                wanted = f"{least} argument" + ("s" if least != 1 else "")
            raise self._error(
                "syntax",
                name.start,
                f"function {_quote(func)} takes {wanted}, got {count}",
            )
        for index, arg in enumerate(args):
            self._number(arg, f"argument {index + 1} of {func}")


def _cmp_op(op: str) -> Literal["<", "<=", ">", ">=", "==", "!="]:
    if op == "<":
        return "<"
    if op == "<=":
        return "<="
    if op == ">":
        return ">"
    if op == ">=":
        return ">="
    if op == "==":
        return "=="
    return "!="


def _arith_op(op: str) -> Literal["+", "-", "*", "/", "^"]:
    if op == "+":
        return "+"
    if op == "-":
        return "-"
    if op == "*":
        return "*"
    if op == "/":
        return "/"
    return "^"


# ---------------------------------------------------------------------------------------------
# Bounding the cost of SymPy's automatic evaluation
# ---------------------------------------------------------------------------------------------

_LN10: Final = math.log(10.0)
_LOG10_2: Final = math.log10(2.0)
_MAX_LN: Final = MAX_NUMBER_DIGITS * _LN10  # ln v for the largest value allowed
_MAX_BITS: Final = math.ceil(MAX_NUMBER_DIGITS / _LOG10_2) + 1  # log2 of it, rounded up
_WORK_PRECISION: Final = 256  # bits, for the approximations of constants
_LARGE_ARGUMENT: Final = 1000  # beyond it, erf, erfc and expint are 0, 1 or 2 to 256 bits


class _ValueTooLargeError(Exception):
    """A value beyond ``10**MAX_NUMBER_DIGITS`` (``digits`` is about ``log10|v|``), or, if
    ``exact``, an exact number of more than :data:`MAX_NUMBER_DIGITS` digits."""

    def __init__(self, digits: float, exact: bool = False) -> None:
        super().__init__(digits)
        self.digits = digits
        self.exact = exact


class _NotRealError(Exception):
    """A constant that is not a finite real number (``sqrt(-1)``, ``1/0``)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class _Measure:
    """What the cost guards need to know about a SymPy expression.

    ``digits`` sums the decimal digits of the exact rationals in it (numerators and
    denominators), ``radical_digits`` those of the numbers under non-integer powers (which SymPy
    factors).  For a constant (no symbols), ``value`` is an mpmath approximation, or ``None``
    where it is unknown (infinities, NaN, unevaluated conditions, unsupported functions).
    """

    constant: bool
    digits: float
    radical_digits: float
    value: Any


_SYMBOLIC: Final = _Measure(False, 0.0, 0.0, None)


def _log10_int(value: int) -> float:
    value = abs(value)
    return math.log10(value) if value > 1 else 0.0


@functools.cache
def _measuring_context() -> Any:
    """One private mpmath context at the working precision (building one costs a millisecond,
    which a model of ten thousand formulas would pay ten thousand times)."""
    ctx = mpmath.MPContext()
    ctx.prec = _WORK_PRECISION
    return ctx


class _Measurer:
    """Measures SymPy expressions bottom-up, memoised, with a private mpmath context.

    The numeric values are what stop exponential towers: SymPy builds ``exp(exp(exp(9)))``
    instantly, but comparing it, or merely printing a sum that contains it, evaluates it with
    mpmath and never finishes.  Every constant subexpression is therefore approximated here, at
    a fixed precision, and one whose value exceeds ``10**MAX_NUMBER_DIGITS`` is refused before
    anything is built on it.  A value that the working precision cannot resolve (a sum that
    cancels beyond it, as ``pi*10**k - n`` may; the sine of a huge number) is unknown, and an
    exponential of an unknown constant is refused.
    """

    def __init__(self) -> None:
        self.ctx = _measuring_context()
        self.memo: dict[Any, _Measure] = {}

    def __call__(self, expr: Any) -> _Measure:
        return self._walk(expr)

    def _walk(self, expr: Any) -> _Measure:
        memo = self.memo
        found = memo.get(expr)
        if found is not None:
            return found
        stack: list[tuple[Any, bool]] = [(expr, False)]
        while stack:
            current, ready = stack.pop()
            if current in memo:
                continue
            if ready:
                memo[current] = self._measure(current, [memo[arg] for arg in current.args])
            else:
                stack.append((current, True))
                stack.extend((arg, False) for arg in current.args if arg not in memo)
        return memo[expr]

    def _measure(self, expr: Any, children: list[_Measure]) -> _Measure:
        ctx = self.ctx
        if isinstance(expr, sympy.Rational):
            digits = _log10_int(int(expr.p)) + _log10_int(int(expr.q))
            if digits > MAX_NUMBER_DIGITS:
                raise _ValueTooLargeError(digits, exact=True)
            return _Measure(True, digits, 0.0, ctx.mpf(int(expr.p)) / int(expr.q))
        if isinstance(expr, sympy.Float):
            return self._checked(_Measure(True, 0.0, 0.0, ctx.make_mpf(expr._mpf_)))
        if isinstance(expr, sympy.Symbol):
            return _SYMBOLIC
        if not children:
            return _Measure(True, 0.0, 0.0, self._constant(expr))
        digits = sum(child.digits for child in children)
        radical_digits = sum(child.radical_digits for child in children)
        if (
            isinstance(expr, sympy.Pow)
            and isinstance(expr.exp, sympy.Rational)
            and not isinstance(expr.exp, sympy.Integer)
        ):
            radical_digits += children[0].digits
        if not all(child.constant for child in children):
            return _Measure(False, digits, radical_digits, None)
        value = self._evaluate(expr, [child.value for child in children])
        return self._checked(_Measure(True, digits, radical_digits, value))

    def _checked(self, measure: _Measure) -> _Measure:
        value = measure.value
        if value is None:
            return measure
        if self.ctx.im(value) != 0:
            # Formulas are real-valued; complex constants are also where SymPy's numeric
            # evaluation turns exponential (log(log(log(log(log(log(2))))))).
            raise _NotRealError("not a real number")
        if value != 0 and self.ctx.isfinite(value):
            # mag() is an integer, about log2|v| rounded up, and may be far beyond a float.
            bits = int(self.ctx.mag(value))
            if bits > _MAX_BITS:
                raise _ValueTooLargeError(bits * _LOG10_2 if bits.bit_length() < 1000 else math.inf)
        return measure

    def _constant(self, expr: Any) -> Any:
        ctx = self.ctx
        if expr is sympy.I:
            raise _NotRealError("not a real number")
        if expr in (sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
            raise _NotRealError("not a finite number (is there a division by zero?)")
        known = {
            sympy.pi: ctx.pi,
            sympy.E: ctx.e,
            sympy.EulerGamma: ctx.euler,
            sympy.GoldenRatio: ctx.phi,
            sympy.Catalan: ctx.catalan,
        }
        # Infinities, NaN and boolean atoms have no useful value.
        return known.get(expr)

    def _evaluate(self, expr: Any, values: list[Any]) -> Any:
        """The value of ``expr`` from its arguments' values, refusing exponential blow-ups."""
        ctx = self.ctx
        growing = isinstance(expr, sympy.exp | sympy.sinh | sympy.cosh | sympy.expint)
        if isinstance(expr, sympy.Pow):
            base, exponent = values
            if exponent is None or (base is None and not _small_exponent(expr.exp)):
                raise _ValueTooLargeError(math.nan)
            if base is None:
                return None
            if base == 0:
                return None
            growth = ctx.re(exponent * ctx.log(base))
            if growth > _MAX_LN:
                raise _ValueTooLargeError(float(growth) / _LN10)
            return ctx.power(base, exponent)
        if any(value is None for value in values):
            if growing:
                # An exponential of a constant that cannot be bounded: refuse, to be safe.
                raise _ValueTooLargeError(math.nan)
            return None
        try:
            if isinstance(expr, sympy.Add):
                total = ctx.fsum(values)
                largest = max(ctx.mag(value) for value in values)
                if total == 0 or ctx.mag(total) < largest - _WORK_PRECISION + 32:
                    return None  # cancelled beyond the working precision
                return total
            if isinstance(expr, sympy.Mul):
                return ctx.fprod(values)
            if growing:
                argument = values[-1]
                reach = ctx.re(argument)
                if isinstance(expr, sympy.expint):
                    reach = -reach
                elif not isinstance(expr, sympy.exp):
                    reach = abs(reach)
                if reach > _MAX_LN:
                    raise _ValueTooLargeError(float(reach) / _LN10)
                if isinstance(expr, sympy.exp):
                    return ctx.exp(argument)
                if isinstance(expr, sympy.sinh):
                    return ctx.sinh(argument)
                if isinstance(expr, sympy.cosh):
                    return ctx.cosh(argument)
                order = values[0]
                if abs(order) > _MAX_EXPINT_ORDER or reach < -_LARGE_ARGUMENT:
                    return None  # tiny (mpmath would sum a series for long)
                return ctx.expint(order, argument)
            (argument,) = values
            if isinstance(expr, sympy.sin | sympy.cos | sympy.tan):
                if abs(ctx.im(argument)) > _MAX_LN:
                    raise _ValueTooLargeError(float(abs(ctx.im(argument))) / _LN10)
                if ctx.mag(argument) > _WORK_PRECISION - 64:
                    return None  # the argument is not known to within a period
                function = ctx.sin if isinstance(expr, sympy.sin) else ctx.cos
                if isinstance(expr, sympy.tan):
                    function = ctx.tan
                return function(argument)
            if isinstance(expr, sympy.erf | sympy.erfc):
                if ctx.im(argument) ** 2 > _MAX_LN:
                    raise _ValueTooLargeError(math.inf)
                if abs(argument) > _LARGE_ARGUMENT:
                    # erf is +-1 there, erfc 0 or 2 (mpmath would take long to say so).
                    if isinstance(expr, sympy.erf):
                        return ctx.mpf(1 if argument > 0 else -1)
                    return None if argument > 0 else ctx.mpf(2)
                return ctx.erf(argument) if isinstance(expr, sympy.erf) else ctx.erfc(argument)
            if isinstance(expr, sympy.log):
                return ctx.log(argument) if argument != 0 else None
            if isinstance(expr, sympy.tanh):
                return ctx.tanh(argument) if abs(ctx.re(argument)) < _MAX_LN else None
            if isinstance(expr, sympy.atan):
                return ctx.atan(argument)
            if isinstance(expr, sympy.Abs):
                return abs(argument)
        except (ArithmeticError, ValueError):
            # A pole (atan(I), tan(pi/2) at this precision) or a domain error: no value.
            return None
        return None


def _small_exponent(exponent: Any) -> bool:
    return isinstance(exponent, sympy.Rational) and abs(exponent) <= 3


def _coefficient_magnitude(number: Any) -> float:
    """``|number|`` as a float (numerator for a rational), infinite when too big."""
    if isinstance(number, sympy.Rational):
        numerator = abs(int(number.p))
        return float(numerator) if numerator.bit_length() < 1000 else math.inf
    value = abs(float(number))
    return value if math.isfinite(value) else math.inf


# ---------------------------------------------------------------------------------------------
# SymPy construction
# ---------------------------------------------------------------------------------------------


class _Builder:
    """Builds the SymPy expression of a checked AST, bottom-up, with the cost guards."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.unit_literals: dict[str, str] = {}
        self.minmax_budget = _MAX_MINMAX_EVALUATIONS
        self.evaluated = True
        self.measure = _Measurer()

    def build(self, node: Node) -> Any:
        try:
            expr = self._build(node)
            self.measure(expr)
        except FormulaError:
            raise
        except _NotRealError as exc:
            raise self._error(
                node, f"the value of {self._snippet(node)} is {exc.problem}", kind="syntax"
            ) from None
        except _ValueTooLargeError as exc:
            if exc.exact:
                raise self._digits_error(node, exc.digits) from None
            if math.isnan(exc.digits):
                raise self._error(
                    node,
                    f"the value of {self._snippet(node)} cannot be bounded",
                    "it is an exponential or power of a constant that cancels to (nearly) "
                    "zero or cannot be evaluated",
                ) from None
            size = (
                "astronomically large"
                if math.isinf(exc.digits)
                else f"about 10^{_count(exc.digits)}"
            )
            raise self._error(
                node,
                f"the value of {self._snippet(node)} is too large to evaluate ({size})",
                f"values up to 10^{MAX_NUMBER_DIGITS} are accepted",
            ) from None
        except RecursionError:
            raise self._error(
                node, f"{self._snippet(node)} is too deeply nested to evaluate"
            ) from None
        except Exception as exc:  # SymPy raises TypeError/ValueError on e.g. comparing I > 0
            detail = " ".join(str(exc).split())[:120] or type(exc).__name__
            raise self._error(
                node, f"cannot evaluate {self._snippet(node)}: {detail}", kind="syntax"
            ) from None
        return expr

    def _snippet(self, node: Node) -> str:
        return _quote(self.text[node.span[0] : node.span[1]])

    def _error(
        self, node: Node, head: str, hint: str = "", kind: ErrorKind = "too_complex"
    ) -> FormulaError:
        position = node.span[0]
        message = f"{head} at {_location(self.text, position)}"
        if hint:
            message += f"; {hint}"
        return FormulaError(kind, position, message)

    def _digits_error(self, node: Node, digits: float) -> FormulaError:
        size = "astronomically many" if math.isinf(digits) else f"about {_count(digits)}"
        return self._error(
            node,
            f"the exact numbers in {self._snippet(node)} would grow to {size} digits",
            f"at most {MAX_NUMBER_DIGITS} are allowed; write large values as floats",
        )

    def _guard_digits(self, node: Node, digits: float) -> None:
        if digits > MAX_NUMBER_DIGITS:
            raise self._digits_error(node, digits)

    def _guard_radicals(self, node: Node, digits: float) -> None:
        if digits > MAX_RADICAL_DIGITS:
            raise self._error(
                node,
                f"the exact numbers under roots in {self._snippet(node)} have "
                f"{round(digits)} digits",
                f"at most {MAX_RADICAL_DIGITS} are allowed; write them as floats",
            )

    def _build(self, node: Node) -> Any:
        if isinstance(node, Num):
            return self._num(node)
        if isinstance(node, Name):
            return sympy.Symbol(node.id, real=True)
        if isinstance(node, Const):
            return sympy.pi
        if isinstance(node, UnaryOp):
            operand = self.build(node.operand)
            return operand if node.op == "+" else sympy.Mul(sympy.S.NegativeOne, operand)
        if isinstance(node, BinOp):
            if node.op in ("+", "-"):
                return self._chain(node, ("+", "-"))
            if node.op in ("*", "/"):
                return self._chain(node, ("*", "/"))
            return self._power(node, self.build(node.left), self.build(node.right))
        if isinstance(node, Compare):
            left, right = self.build(node.left), self.build(node.right)
            return _COMPARISONS[node.op](left, right)
        if isinstance(node, BoolOp):
            operands = [self.build(operand) for operand in node.operands]
            return (sympy.And if node.op == "and" else sympy.Or)(*operands)
        if isinstance(node, Not):
            return sympy.Not(self.build(node.operand))
        if isinstance(node, Call):
            return self._call(node)
        # Unevaluated on purpose: 'x = x' must stay an equation rather than become True.
        return sympy.Eq(self.build(node.lhs), self.build(node.rhs), evaluate=False)

    def _num(self, node: Num) -> Any:
        value = node.value
        number = sympy.Integer(value) if isinstance(value, int) else sympy.Float(value)
        if node.unit is None:
            return number
        name = f"_u{len(self.unit_literals)}"
        self.unit_literals[name] = node.unit
        return sympy.Mul(number, sympy.Symbol(name, positive=True))

    def _chain(self, node: BinOp, ops: tuple[str, str]) -> Any:
        """A left-nested chain such as ``a - b + c`` or ``a / b * c``, built at once.

        One SymPy flatten for the whole chain instead of one per operator, and a shallow
        recursion however long the sum.
        """
        pending: list[tuple[str, Node]] = []
        current: Node = node
        while isinstance(current, BinOp) and current.op in ops:
            pending.append((current.op, current.right))
            current = current.left
        pending.append((ops[0], current))
        pending.reverse()
        operands = [(op, self.build(operand)) for op, operand in pending]
        measures = [self.measure(expr) for _, expr in operands]
        # A product has as many digits as its operands together.  A sum of fractions has about
        # that many in its numerator and again in its denominator, except that the largest
        # operand (an integer, say) counts once.
        digits = sum(measure.digits for measure in measures)
        if ops[0] == "+":
            digits = 2.0 * digits - max(measure.digits for measure in measures)
        self._guard_digits(node, digits)
        if ops[0] == "+":
            terms = [expr if op == "+" else sympy.Mul(-1, expr) for op, expr in operands]
            return sympy.Add(*terms)
        # SymPy merges numeric radicals of a product (sqrt(a)*sqrt(b) -> sqrt(a*b)).
        self._guard_radicals(node, sum(measure.radical_digits for measure in measures))
        factors = [expr if op == "*" else sympy.Pow(expr, -1) for op, expr in operands]
        return sympy.Mul(*factors)

    def _power(self, node: Node, base: Any, exponent: Any) -> Any:
        if isinstance(exponent, sympy.Rational):
            # (c*x)**n evaluates c**n: about digits(c)*n digits.
            digits = self.measure(base).digits
            self._guard_digits(node, _scaled(digits, _coefficient_magnitude(exponent)))
            if not isinstance(exponent, sympy.Integer) and self.measure(base).constant:
                # A radical of a number: SymPy factors it to pull out perfect powers.
                self._guard_radicals(node, digits)
        # Bound the value first: SymPy computes float powers on the spot.
        self.measure(sympy.Pow(base, exponent, evaluate=False))
        return sympy.Pow(base, exponent)

    def _call(self, node: Call) -> Any:
        func = node.func
        args = [self.build(arg) for arg in node.args]
        if func == "sqrt":
            return self._power(node, args[0], sympy.S.Half)
        if func == "log10":
            return sympy.log(args[0], 10)
        if func == "expint":
            self._guard_expint_order(node, args[0], args[1])
            return sympy.expint(args[0], args[1])
        if func == "E1":
            return sympy.expint(1, args[0])
        if func == "piecewise":
            pairs = [(args[i + 1], args[i]) for i in range(0, len(args) - 1, 2)]
            return sympy.Piecewise(*pairs, (args[-1], sympy.true))
        if func in ("min", "max"):
            return self._minmax(func, args)
        function = _SIMPLE_FUNCTIONS[func]
        if func in ("exp", "sinh", "cosh"):
            self._guard_digits(node, self._extracted_digits(args[0]))
            # Bound the value first: SymPy computes exp of a float on the spot.
            self.measure(function(args[0], evaluate=False))
        return function(args[0])

    def _guard_expint_order(self, node: Node, order: Any, argument: Any) -> None:
        """Keep expint(n, x) cheap for a numeric order n.

        SymPy writes it out in closed form, about |n| terms long, for n = 0, -1, -2, ... and
        for half-integers, and mpmath needs seconds (or, at the low precision SymPy uses to
        compare, forever) for large orders.
        """
        if not isinstance(order, sympy.Rational | sympy.Float):
            return
        if abs(float(order)) > _MAX_EXPINT_ORDER:
            raise self._error(
                node,
                f"the order of {self._snippet(node)} is too large",
                f"a numeric order must be between -{_MAX_EXPINT_ORDER} and {_MAX_EXPINT_ORDER}",
            )
        twice = 2 * order
        if isinstance(twice, sympy.Integer) and not (order.is_integer and order > 0):
            terms = abs(int(twice.p)) // 2 + 1
            digits = self.measure(argument).digits + math.log10(terms)
            self._guard_digits(node, _scaled(digits, float(terms)))

    def _extracted_digits(self, argument: Any) -> float:
        """Digits of the powers that ``exp(argument)`` evaluates: exp(n*log(b)) is b**n."""
        total = 0.0
        for term in sympy.Add.make_args(argument):
            coefficient, rest = term.as_coeff_Mul()
            if isinstance(rest, sympy.log):
                digits = self.measure(rest.args[0]).digits
                total += _scaled(digits, _coefficient_magnitude(coefficient))
        return total

    def _minmax(self, func: str, args: list[Any]) -> Any:
        cls = sympy.Min if func == "min" else sympy.Max
        # SymPy flattens nested calls of the same kind, then compares all pairs of arguments.
        flat = sum(len(arg.args) if isinstance(arg, cls) else 1 for arg in args)
        if flat <= _MAX_MINMAX_ARGS and self.minmax_budget > 0:
            self.minmax_budget -= 1
            return cls(*args)
        self.evaluated = False
        return cls(*args, evaluate=False)


def _count(number: float) -> str:
    """A large count for a message: exact up to a million, then in scientific notation."""
    return str(round(number)) if number < 1e6 else f"({number:.2g})"


def _scaled(size: float, factor: float) -> float:
    """``size * factor``, where a zero size stays zero even for an infinite factor."""
    if size == 0.0:
        return 0.0
    if math.isinf(factor):
        return math.inf
    return size * factor


# ---------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    """A parsed formula.

    Attributes
    ----------
    text:
        The source text, unchanged; node spans index into it.
    ast:
        The syntax tree, faithful to the text (no simplification).
    expr:
        The SymPy expression built from the tree; a :class:`sympy.Eq` for an equation, a SymPy
        boolean for a condition.  Names are ``Symbol(name, real=True)``, unit literals
        ``Symbol("_u<i>", positive=True)``.
    names:
        The user names referenced (not function names, not ``pi``, not unit symbols).
    unit_literals:
        Unit symbol name -> unit text, numbered in order of appearance.
    is_equation:
        Whether the formula is ``lhs = rhs``.
    evaluated:
        ``False`` when a ``min`` or ``max`` call was built unevaluated to bound the cost of
        comparing its arguments (more than six arguments, or more than sixteen calls).
    """

    text: str
    ast: Node
    expr: sympy.Basic
    names: frozenset[str]
    unit_literals: Mapping[str, str] = field(hash=False)
    is_equation: bool
    evaluated: bool = True

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        # A mappingproxy cannot be pickled; rebuild it from a plain dict.
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["unit_literals"] = dict(self.unit_literals)
        return (_restore_formula, (fields,))

    def snippet(self, node: Node) -> str:
        """The source text of ``node``, parentheses around it included.

        >>> f = parse_formula("(a + b) * c")
        >>> f.snippet(f.ast.left), f.snippet(f.ast.right)
        ('(a + b)', 'c')
        """
        start, end = node.span
        return self.text[start:end]


def _restore_formula(fields: dict[str, Any]) -> Formula:
    fields["unit_literals"] = MappingProxyType(fields["unit_literals"])
    return Formula(**fields)


def parse_ast(text: str, *, allow_equation: bool = False, allow_boolean: bool = False) -> Node:
    """Only the syntax tree of ``text``, without building SymPy (same checks as the parser of
    :func:`parse_formula`, none of the evaluation guards); raises :class:`FormulaError`.

    >>> tree = parse_ast("a + b*c")
    >>> tree.op, tree.right.op, tree.right.span
    ('+', '*', (4, 7))
    """
    _check_length(text)
    try:
        return _Parser(text, allow_equation, allow_boolean).parse()
    except FormulaError:
        raise
    except RecursionError:
        raise FormulaError(
            "too_complex", 0, "the formula is too deeply nested to be processed"
        ) from None
    except Exception as exc:  # a safety net: callers are promised FormulaError only
        raise FormulaError(
            "syntax", 0, f"the formula could not be processed ({type(exc).__name__})"
        ) from None


def _check_length(text: str) -> None:
    if len(text) > MAX_TEXT_LENGTH:
        raise FormulaError(
            "too_complex",
            MAX_TEXT_LENGTH,
            f"the formula is {len(text)} characters long; at most {MAX_TEXT_LENGTH} are allowed",
        )


def parse_formula(
    text: str, *, allow_equation: bool = False, allow_boolean: bool = False
) -> Formula:
    """Parse ``text`` with the grammar of this module.

    ``allow_equation`` accepts one top-level ``lhs = rhs``; ``allow_boolean`` accepts a
    condition (comparison, ``and``, ``or``, ``not``) as the whole formula.  Raises
    :class:`FormulaError`, and only that, for any text it refuses.

    >>> parse_formula("-x^2 + 2^3^2").expr
    512 - x**2
    >>> parse_formula("x > 0 and not y <= 1", allow_boolean=True).expr
    (x > 0) & (y > 1)
    """
    ast = parse_ast(text, allow_equation=allow_equation, allow_boolean=allow_boolean)
    try:
        builder = _Builder(text)
        expr = builder.build(ast)
        names = frozenset(node.id for node in iter_nodes(ast) if isinstance(node, Name))
    except FormulaError:
        raise
    except RecursionError:
        raise FormulaError(
            "too_complex", 0, "the formula is too deeply nested to be processed"
        ) from None
    except Exception as exc:  # a safety net: callers are promised FormulaError only
        raise FormulaError(
            "syntax", 0, f"the formula could not be processed ({type(exc).__name__})"
        ) from None
    return Formula(
        text=text,
        ast=ast,
        expr=expr,
        names=names,
        unit_literals=MappingProxyType(dict(builder.unit_literals)),
        is_equation=isinstance(ast, Equation),
        evaluated=builder.evaluated,
    )


def formula_symbols(formula: Formula) -> dict[str, sympy.Symbol]:
    """Name -> the SymPy symbol that stands for it in ``formula.expr``, sorted by name.

    >>> formula_symbols(parse_formula("k*T"))
    {'T': T, 'k': k}
    """
    return {name: sympy.Symbol(name, real=True) for name in sorted(formula.names)}


def unit_symbols(formula: Formula) -> dict[str, sympy.Symbol]:
    """Unit symbol -> its SymPy symbol in ``formula.expr``, for substituting resolved units.

    >>> unit_symbols(parse_formula("2 [K] + 1 [degC]"))
    {'_u0': _u0, '_u1': _u1}
    """
    return {name: sympy.Symbol(name, positive=True) for name in formula.unit_literals}
