"""Property-based tests: whatever bytes, text or mutated model reaches the loader, the answer is a
report, never a traceback.

Random bytes and random text go into ``load_model``, ``validate_files`` and the command line;
the two examples and ``valid_base.ttl`` are mutated as text (spans deleted, lines duplicated or
swapped, tokens inserted, the file truncated) and as graphs (triples removed, added or changed).
Every diagnostic must have a code, a severity and a message, and a line that lies in the file.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Literal, URIRef

from scalebridge import cli
from scalebridge.diagnostics import Code, Report, Severity
from scalebridge.ontology.load import LoadedModel, load_model
from scalebridge.ontology.resources import SB_NAMESPACE, defined_terms
from scalebridge.pipeline import Validation, validate_files

REPO = Path(__file__).resolve().parents[1]
VALID_MODELS = (
    REPO / "examples" / "heat_rod" / "model.ttl",
    REPO / "examples" / "two_compartment" / "model.ttl",
    REPO / "tests" / "resources" / "broken" / "valid_base.ttl",
)
VALID_TEXTS = tuple(path.read_text(encoding="utf-8") for path in VALID_MODELS)

# Faults that stop the pipeline before any check of the graph.
LOAD_FAULTS = {
    Code.LOAD_FILE_UNREADABLE,
    Code.LOAD_FILE_TOO_LARGE,
    Code.LOAD_NOT_TEXT,
    Code.LOAD_UNSUPPORTED_FORMAT,
    Code.LOAD_SYNTAX_ERROR,
    Code.LOAD_NESTING_TOO_DEEP,
    Code.LOAD_REMOTE_CONTEXT_REFUSED,
}

PUNCTUATION = list("<>[]();,.\"'@:_#^\\{}!?=*+-/0123456789 \t\n")
TOKENS = [
    "sb:Field", "sb:Parameter", "sb:Submodel", "sb:Equation", "sb:Interval", "sb:Compartment",
    "sb:unit", "sb:value", "sb:on", "sb:hasTerm", "sb:expression", "sb:rateOf", "sb:cells",
    "sb:onDomain", "sb:boundary", "sb:Diffusion", "sb:Reaction", "sb:initialValue",
    "sb:Unknown", "sb:volume", "sb:symbol", "sb:between", "sb:Coupling", "sb:Port",
    "a", ":x", ":k", ":T", ":C", ":box", ":rod", "_:b", "unit:M", "unit:K", "unit:FURLONG",
    "qk:Length", "owl:imports", "<other.ttl>", "<http://example.org/x>",
    '"x"', '"k * T"', '"__import__(\'os\')"', '"exp(-k*t)"', '"m/s"', '"1e999"', '"NaN"',
    "1.5", "-3", "0", "1e308", "1e-400", "true", '""', "'''long\nstring'''", '"""a"""',
    "[", "]", "(", ")", ";", ",", ".", "@prefix", "@base", "PREFIX", "^^", "@en", "#", "\n",
]


def examples(count: int) -> settings:
    """Hypothesis settings for a test that writes files: ``count`` examples, no deadline."""
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


# -- helpers ----------------------------------------------------------------------------------


@contextmanager
def model_file(content: str | bytes, name: str = "model.ttl") -> Iterator[Path]:
    """A fresh file holding ``content``, alone in its own temporary directory."""
    with tempfile.TemporaryDirectory(prefix="sb-prop-") as directory:
        path = Path(directory) / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        yield path


def line_count(path: Path) -> int:
    return path.read_bytes().count(b"\n") + 1


def check_report(report: Any, path: Path) -> None:
    """Every diagnostic is well formed, and a line it names lies in the file it names."""
    assert isinstance(report, Report)
    lines = line_count(path)
    for diagnostic in report:
        assert isinstance(diagnostic.code, Code)
        assert isinstance(diagnostic.severity, Severity)
        assert isinstance(diagnostic.message, str)
        assert diagnostic.message.strip()
        if diagnostic.line is not None:
            assert diagnostic.line >= 1
            if diagnostic.source_file == str(path):
                assert diagnostic.line <= lines, diagnostic
        if diagnostic.code is Code.LOAD_SYNTAX_ERROR and path.suffix in (".ttl", ".nt"):
            assert diagnostic.line is not None, diagnostic
    # The renderings never fail either.
    assert report.to_text()
    assert report.to_json()


def check_loaded(loaded: Any, path: Path) -> None:
    assert isinstance(loaded, LoadedModel)
    check_report(loaded.report, path)
    # A file is either read (and listed) or reported.
    assert bool(loaded.files) or len(loaded.report) > 0


def check_validation(validation: Any, path: Path) -> None:
    assert isinstance(validation, Validation)
    check_report(validation.report, path)
    codes = set(validation.report.codes)
    if not codes & LOAD_FAULTS:
        # A file that parsed is checked: either a model was built or the file held nothing.
        assert validation.model is not None or Code.LOAD_NOTHING_TO_VALIDATE in codes


def run_cli(path: Path) -> tuple[int, str]:
    out = io.StringIO()
    status = cli.main(["validate", "--no-reasoner", str(path)], stdout=out)
    return status, out.getvalue()


# -- strategies -------------------------------------------------------------------------------

random_bytes = st.binary(max_size=3000)

turtle_like_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(PUNCTUATION),
        st.characters(codec="utf-8"),
    ),
    max_size=1500,
)

token_soup = st.lists(st.sampled_from(TOKENS), max_size=80).map(" ".join).map(
    lambda body: "@prefix sb: <https://w3id.org/scalebridge/ontology#> .\n"
    "@prefix unit: <http://qudt.org/vocab/unit/> .\n"
    "@prefix qk: <http://qudt.org/vocab/quantitykind/> .\n"
    "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
    "@prefix : <https://example.org/m#> .\n" + body
)


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    """A valid model with one to four text-level mutations."""
    text = draw(st.sampled_from(VALID_TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "truncate"]))
        if kind == "delete" and text:
            start = draw(st.integers(0, len(text) - 1))
            end = draw(st.integers(start, min(len(text), start + 80)))
            text = text[:start] + text[end:]
        elif kind in ("duplicate", "swap"):
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            if kind == "duplicate":
                lines.insert(i, lines[i])
            else:
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif kind == "insert":
            at = draw(st.integers(0, len(text)))
            token = draw(st.sampled_from(TOKENS))
            text = text[:at] + f" {token} " + text[at:]
        elif kind == "truncate":
            text = text[: draw(st.integers(0, len(text)))]
    return text


def _parse(path: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(path, format="turtle", publicID=path.as_uri())
    return graph


# Parsed once, so that blank-node ids (and so every drawn triple) are the same on every run.
VALID_GRAPHS = tuple(_parse(path) for path in VALID_MODELS)
SB_TERMS = sorted(defined_terms())
EXTRA_PREDICATES = [SB_NAMESPACE + "unknownProperty", str(rdflib.RDF.type), str(rdflib.OWL.imports)]

literal_objects = st.one_of(
    st.integers(-(10**6), 10**6).map(Literal),
    st.floats(allow_nan=True, allow_infinity=True).map(Literal),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(Literal),
    st.text(max_size=40).map(Literal),
    st.sampled_from(["k * T", "exp(", "__import__('os')", "T_air", "m/s", "W/(m.K)"]).map(Literal),
    st.booleans().map(Literal),
)


def _sorted_triples(graph: rdflib.Graph) -> list[tuple[Any, Any, Any]]:
    return sorted(graph, key=lambda triple: tuple(map(str, triple)))


def _nodes(graph: rdflib.Graph) -> list[Any]:
    found = {n for triple in graph for n in (triple[0], triple[2]) if not isinstance(n, Literal)}
    return sorted(found, key=str)


@st.composite
def mutated_graph(draw: st.DrawFn) -> str:
    """A valid model with one to four graph-level mutations, serialised as Turtle."""
    base = draw(st.sampled_from(VALID_GRAPHS))
    graph = rdflib.Graph()
    for prefix, namespace in base.namespaces():
        graph.bind(prefix, namespace)
    for triple in base:
        graph.add(triple)
    nodes = _nodes(base) + [URIRef(term) for term in SB_TERMS]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["remove", "add", "replace"]))
        triples = _sorted_triples(graph)
        if kind == "remove" and triples:
            graph.remove(draw(st.sampled_from(triples)))
        elif kind == "add":
            subject = draw(st.sampled_from(_nodes(graph) or nodes))
            predicate = URIRef(draw(st.sampled_from(SB_TERMS + EXTRA_PREDICATES)))
            obj = draw(
                st.one_of(
                    literal_objects,
                    st.sampled_from(nodes),
                    st.builds(BNode),
                )
            )
            graph.add((subject, predicate, obj))
        elif kind == "replace" and triples:
            subject, predicate, old = draw(st.sampled_from(triples))
            new = draw(st.one_of(literal_objects, st.sampled_from(nodes)))
            graph.remove((subject, predicate, old))
            graph.add((subject, predicate, new))
    return graph.serialize(format="turtle")


# -- random bytes -----------------------------------------------------------------------------


@examples(100)
@given(data=random_bytes)
def test_random_bytes_load_to_a_report(data: bytes, network_attempts: list[Any]) -> None:
    with model_file(data) as path:
        check_loaded(load_model([path]), path)
    assert network_attempts == []


@examples(40)
@given(data=random_bytes)
def test_random_bytes_validate_to_a_report(data: bytes) -> None:
    with model_file(data) as path:
        check_validation(validate_files([path], reasoner=False), path)


@examples(25)
@given(data=random_bytes)
def test_random_bytes_through_the_command_line(data: bytes) -> None:
    with model_file(data) as path:
        status, output = run_cli(path)
    assert status in (0, 1, 2)
    assert output.strip()


@examples(40)
@given(data=random_bytes, suffix=st.sampled_from([".nt", ".jsonld", ".json"]))
def test_random_bytes_in_other_formats_load_to_a_report(data: bytes, suffix: str) -> None:
    with model_file(data, name="model" + suffix) as path:
        check_loaded(load_model([path]), path)


# -- random text ------------------------------------------------------------------------------


@examples(100)
@given(text=turtle_like_text)
def test_random_text_loads_to_a_report(text: str, network_attempts: list[Any]) -> None:
    with model_file(text) as path:
        check_loaded(load_model([path]), path)
    assert network_attempts == []


@examples(40)
@given(text=turtle_like_text)
def test_random_text_validates_to_a_report(text: str) -> None:
    with model_file(text) as path:
        check_validation(validate_files([path], reasoner=False), path)


@examples(25)
@given(text=turtle_like_text)
def test_random_text_through_the_command_line(text: str) -> None:
    with model_file(text) as path:
        status, output = run_cli(path)
    assert status in (0, 1, 2)
    assert output.strip()


@examples(60)
@given(text=token_soup)
def test_turtle_token_soup_validates_to_a_report(text: str) -> None:
    with model_file(text) as path:
        check_validation(validate_files([path], reasoner=False), path)


@examples(40)
@given(text=turtle_like_text, suffix=st.sampled_from([".nt", ".jsonld"]))
def test_random_text_in_other_formats_validates_to_a_report(text: str, suffix: str) -> None:
    with model_file(text, name="model" + suffix) as path:
        check_validation(validate_files([path], reasoner=False), path)


# -- mutated models ---------------------------------------------------------------------------


def test_the_unmutated_models_are_clean() -> None:
    # The starting points of the mutations are valid, so a finding below comes from a mutation.
    for path in VALID_MODELS:
        validation = validate_files([path], reasoner=False)
        assert not validation.report.has_errors(), validation.report.to_text()
        assert validation.model is not None


@examples(60)
@given(text=mutated_text())
def test_text_mutations_of_valid_models_validate_to_a_report(
    text: str, network_attempts: list[Any]
) -> None:
    with model_file(text) as path:
        check_validation(validate_files([path], reasoner=False), path)
    assert network_attempts == []


@examples(25)
@given(text=mutated_text())
def test_text_mutations_through_the_command_line(text: str) -> None:
    with model_file(text) as path:
        status, output = run_cli(path)
    assert status in (0, 1, 2)
    assert output.strip()


@examples(40)
@given(text=mutated_graph())
def test_graph_mutations_of_valid_models_validate_to_a_report(text: str) -> None:
    with model_file(text) as path:
        validation = validate_files([path], reasoner=False)
        check_validation(validation, path)
    # rdflib wrote the file, so it parses.
    assert Code.LOAD_SYNTAX_ERROR not in validation.report.codes


@examples(5)
@given(text=st.one_of(mutated_text(), mutated_graph()))
def test_mutated_models_with_the_reasoner_validate_to_a_report(text: str) -> None:
    with model_file(text) as path:
        check_validation(validate_files([path], reasoner=True), path)
