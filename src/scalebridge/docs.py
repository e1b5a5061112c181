"""Generate the reference pages and the closed namespace from their single sources.

* ``docs/vocabulary.md`` from ``core.ttl`` (every class and property with its label, definition,
  domain, range and an example) plus the formula grammar;
* ``docs/diagnostics.md`` from :data:`scalebridge.diagnostics.CATALOGUE`;
* ``src/scalebridge/ontology/vocab.py``, a closed rdflib namespace of every ``sb:`` term, so that a
  misspelt term in scalebridge's own code fails at import rather than silently matching nothing.

Run ``python -m scalebridge.docs`` from the repository root to rewrite them, or with ``--check``
to fail when one is out of date (the test suite does this).

Example
-------
>>> "## sb:Field" in render_vocabulary()
True
"""

from __future__ import annotations

import argparse
import keyword
import sys
from collections.abc import Sequence
from pathlib import Path

import rdflib
from rdflib.term import Node, URIRef

from scalebridge.diagnostics import CATALOGUE, Code
from scalebridge.ontology.resources import ONTOLOGY_VERSION_IRI, SB_NAMESPACE, ontology_graph

__all__ = ["main", "render_diagnostics", "render_vocab_module", "render_vocabulary"]

SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
_KINDS = (
    (rdflib.OWL.Class, "class"),
    (rdflib.OWL.ObjectProperty, "object property"),
    (rdflib.OWL.DatatypeProperty, "datatype property"),
    (rdflib.OWL.AnnotationProperty, "annotation property"),
    (rdflib.OWL.NamedIndividual, "individual"),
)


def _curie(node: Node | None) -> str:
    if node is None:
        return "-"
    text = str(node)
    for prefix, namespace in (
        ("sb", SB_NAMESPACE),
        ("xsd", str(rdflib.XSD)),
        ("rdf", str(rdflib.RDF)),
        ("prov", "http://www.w3.org/ns/prov#"),
        ("owl", str(rdflib.OWL)),
    ):
        if text.startswith(namespace):
            return f"{prefix}:{text[len(namespace) :]}"
    return f"<{text}>"


def _terms() -> list[tuple[URIRef, str]]:
    graph = ontology_graph()
    found: dict[URIRef, str] = {}
    for cls, kind in _KINDS:
        for term in graph.subjects(rdflib.RDF.type, cls):
            if isinstance(term, URIRef) and str(term).startswith(SB_NAMESPACE):
                found.setdefault(term, kind)
    order = {kind: i for i, (_c, kind) in enumerate(_KINDS)}
    return sorted(found.items(), key=lambda tk: (order[tk[1]], str(tk[0]).lower()))


def _text(graph: rdflib.Graph, term: URIRef, prop: URIRef) -> str:
    value = graph.value(term, prop)
    return " ".join(str(value).split()) if value is not None else ""


_GRAMMAR = """\
## Formulas

Formulas (sb:expression, sb:initialValue, quantity values) are strings in a small grammar. They
are parsed into SymPy by scalebridge's own parser and never run as code.

```
formula    := expr [ '=' expr ]          # '=' only in an sb:ImplicitRelation
expr       := or_expr
or_expr    := and_expr ( 'or' and_expr )*
and_expr   := not_expr ( 'and' not_expr )*
not_expr   := 'not' not_expr | comparison
comparison := additive [ ('<' | '<=' | '>' | '>=' | '==' | '!=') additive ]
additive   := term ( ('+' | '-') term )*
term       := unary ( ('*' | '/') unary )*
unary      := ('-' | '+') unary | power
power      := atom [ ('^' | '**') unary ]       # right-associative: 2^3^2 = 2^9; -x^2 = -(x^2)
atom       := NUMBER [ '[' UNIT ']' ] | NAME | NAME '(' [ expr (',' expr)* ] ')' | '(' expr ')'
```

* **Names** are the symbols of fields, parameters and variables (the local name of the IRI, or
  sb:symbol). A name is looked up first in the formula's own namespace, then in the whole model.
  `t` is time, `x` and `y` are the spatial coordinates, `pi` is π; these and the function names
  cannot be used as symbols.
* **Numbers** are dimensionless unless followed by a unit in brackets: `3.5 [mg/L]`,
  `2 [unit:W-PER-M2]`. A formula that is a single number (`"300.0"` as an initial value) is read
  in the unit of the quantity it gives.
* **Functions**: exp, log (natural), log10, sqrt, sin, cos, tan, sinh, cosh, tanh, atan, erf, erfc,
  expint(n, x), E1(x), min(a, b, ...), max(a, b, ...), abs, heaviside, and
  `piecewise(c1, v1, c2, v2, ..., default)`: v1 where c1 holds, else v2 where c2 holds, ..., else
  the default.
* **Limits**: 4,000 characters, 2,000 tokens, nesting depth 64.

## Units

`sb:unit` takes a QUDT unit IRI (`unit:W-PER-M-K`, `unit:MilliGM-PER-L`) or a string in UCUM or
pint syntax (`"W/(m.K)"`, `"mg/L"`, `"L/h"`, `"degC"`). Every number in a model has a unit;
dimensionless numbers use `unit:UNITLESS` (or `"1"`). Quantities of the same dimension but
different scale (mg and kg, ms and s) are converted automatically.
"""


def render_vocabulary() -> str:
    """The text of ``docs/vocabulary.md``."""
    graph = ontology_graph()
    lines = [
        "# The scalebridge vocabulary",
        "",
        "<!-- Generated from src/scalebridge/ontology/core.ttl by `python -m scalebridge.docs`;"
        " do not edit by hand. -->",
        "",
        f"Namespace `{SB_NAMESPACE}` (prefix `sb:`), version <{ONTOLOGY_VERSION_IRI}>.",
        "Units are QUDT unit IRIs (`@prefix unit: <http://qudt.org/vocab/unit/>`) or UCUM/pint "
        "strings; quantity kinds are QUDT quantity-kind IRIs "
        "(`@prefix qk: <http://qudt.org/vocab/quantitykind/>`).",
        "",
        _GRAMMAR,
    ]
    terms = _terms()
    for heading, kinds in (
        ("Classes", {"class"}),
        ("Properties", {"object property", "datatype property", "annotation property"}),
        ("Individuals", {"individual"}),
    ):
        lines += [f"## {heading}", ""]
        lines += [
            f"- [sb:{str(t)[len(SB_NAMESPACE) :]}](#sb{str(t)[len(SB_NAMESPACE) :].lower()})"
            for t, k in terms
            if k in kinds
        ]
        lines.append("")
        for term, kind in terms:
            if kind not in kinds:
                continue
            local = str(term)[len(SB_NAMESPACE) :]
            lines += [f'<a id="sb{local.lower()}"></a>', f"## sb:{local}", ""]
            lines.append(
                f"**{_text(graph, term, rdflib.RDFS.label)}** ({kind}). "
                f"{_text(graph, term, SKOS.definition)}"
            )
            lines.append("")
            facts = []
            if kind == "class":
                supers = sorted(_curie(o) for o in graph.objects(term, rdflib.RDFS.subClassOf))
                if supers:
                    facts.append(f"- Subclass of: {', '.join(supers)}")
            elif kind != "individual":
                facts.append(f"- Domain: {_curie(graph.value(term, rdflib.RDFS.domain))}")
                facts.append(f"- Range: {_curie(graph.value(term, rdflib.RDFS.range))}")
            else:
                types = sorted(
                    _curie(o)
                    for o in graph.objects(term, rdflib.RDF.type)
                    if o != rdflib.OWL.NamedIndividual
                )
                facts.append(f"- Instance of: {', '.join(types)}")
            lines += facts
            example = _text(graph, term, SKOS.example)
            if example:
                lines += ["", "```turtle", example, "```"]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_diagnostics() -> str:
    """The text of ``docs/diagnostics.md``."""
    lines = [
        "# Diagnostic codes",
        "",
        "<!-- Generated from scalebridge.diagnostics.CATALOGUE by `python -m scalebridge.docs`;"
        " do not edit by hand. -->",
        "",
        "Every finding of `scalebridge validate` carries one of these stable codes. The prefix "
        "names the area: LOAD (reading files), SHAPE (structure), REF and NAME (references and "
        "names), FORMULA, UNITS (dimensional analysis), VALUE, PORT, CONSERVATION, TIMESCALE, "
        "STRUCTURE, OWL. Severity is the default; `--strict` raises warnings to errors.",
        "",
        "| Code | Severity | Title |",
        "| --- | --- | --- |",
    ]
    for code in Code:
        info = CATALOGUE[code]
        lines.append(f"| [{code}](#{code.lower()}) | {info.severity} | {info.title} |")
    lines.append("")
    for code in Code:
        info = CATALOGUE[code]
        lines += [
            f'<a id="{code.lower()}"></a>',
            f"## {code}",
            "",
            f"**{info.title}** — default severity: {info.severity}.",
            "",
            info.explanation,
            "",
            f"*Hint:* {info.hint}",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def render_vocab_module() -> str:
    """The text of ``ontology/vocab.py``: a closed namespace of every sb: term."""
    names = sorted(str(t)[len(SB_NAMESPACE) :] for t, _k in _terms())
    plain = [n for n in names if n.isidentifier() and not keyword.iskeyword(n)]
    extras = [n for n in names if n not in plain]
    body = "\n".join(f"    {n}: URIRef" for n in plain)
    extra_text = ", ".join(f'"{n}"' for n in extras)
    return (
        '"""The closed ``sb:`` namespace: every term of core.ttl, and nothing else.\n\n'
        "Generated by ``python -m scalebridge.docs``; do not edit by hand.  Terms that are Python\n"
        'keywords are reached by indexing: ``SB["from"]``.\n\n'
        "Example\n-------\n>>> str(SB.Field)\n"
        f"'{SB_NAMESPACE}Field'\n"
        '"""\n\n'
        "# ruff: noqa: N815 - the names are the ontology's own (camelCase properties)\n\n"
        "from __future__ import annotations\n\n"
        "from rdflib import Namespace, URIRef\n"
        "from rdflib.namespace import DefinedNamespace\n\n"
        '__all__ = ["SB"]\n\n\n'
        "class SB(DefinedNamespace):\n"
        '    """scalebridge ontology terms."""\n\n'
        f'    _NS = Namespace("{SB_NAMESPACE}")\n'
        "    _fail = True\n"
        f"    _extras = [{extra_text}]  # noqa: RUF012 - rdflib's declared form\n\n"
        f"{body}\n\n\n"
        "# rdflib makes a new URIRef on every attribute access (through the metaclass's\n"
        "# __getattr__, a microsecond each, a million times for a large model); stored terms are\n"
        "# found by plain attribute lookup instead.\n"
        "for _name in SB.__annotations__:\n"
        "    setattr(SB, _name, SB._NS[_name])\n"
    )


def _targets(root: Path) -> dict[Path, str]:
    return {
        root / "docs" / "vocabulary.md": render_vocabulary(),
        root / "docs" / "diagnostics.md": render_diagnostics(),
        root / "src" / "scalebridge" / "ontology" / "vocab.py": render_vocab_module(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Write the generated files, or with ``--check`` report which are stale (exit 1)."""
    parser = argparse.ArgumentParser(prog="python -m scalebridge.docs")
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when stale")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository root")
    args = parser.parse_args(argv)
    stale = []
    for path, text in _targets(args.root).items():
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
