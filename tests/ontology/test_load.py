"""The loader's contract: every fault in a file is a diagnostic with file and line, never an
exception, and nothing is ever fetched over the network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rdflib

from scalebridge.diagnostics import Code, Diagnostic, Report, Severity
from scalebridge.ontology.load import LoadedModel, load_model
from scalebridge.ontology.resources import shape_context

PREFIXES = (
    "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
    "@prefix : <http://example.org/m#> .\n"
)
EX = "http://example.org/m#"
TRIPLE = '<http://example.org/a> <http://example.org/p> "x" .\n'
CATALOGUE_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
CATALOGUE_NS = "urn:oasis:names:tc:entity:xmlns:xml:catalog"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def only(loaded: LoadedModel, code: Code) -> Diagnostic:
    """The single diagnostic of the report, which must have ``code``."""
    assert loaded.report.codes == [code], [d.message for d in loaded.report]
    (diagnostic,) = loaded.report
    assert diagnostic.severity is Severity.ERROR
    assert diagnostic.message
    return diagnostic


def own_triples(loaded: LoadedModel) -> int:
    """How many triples the files read hold (the graph may add a few of the ontology's)."""
    context = shape_context()
    return sum(sum(1 for t in source.graph if t not in context) for source in loaded.files)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first occurrence of ``needle`` in ``text``."""
    assert needle in text
    return text[: text.index(needle)].count("\n") + 1


def importing(target: str, extra: str = "") -> str:
    return (
        PREFIXES
        + "<http://example.org/m> a owl:Ontology ;\n"
        + f"    owl:imports <{target}> .\n"
        + ":root :p 1 .\n"
        + extra
    )


def catalogue(*entries: tuple[str, str]) -> str:
    uris = "".join(
        f'    <uri id="e{i}" name="{name}" uri="{uri}"/>\n' for i, (name, uri) in enumerate(entries)
    )
    return f'{CATALOGUE_HEAD}<catalog prefer="public" xmlns="{CATALOGUE_NS}">\n{uris}</catalog>\n'


# -- files that load --------------------------------------------------------------------------


def test_valid_turtle_loads_with_an_empty_report(tmp_path: Path) -> None:
    path = write(tmp_path / "m.ttl", PREFIXES + ':a :p "x" ;\n   :q 1.5 .\n')
    loaded = load_model([path])
    assert isinstance(loaded.report, Report)
    assert len(loaded.report) == 0
    assert loaded.ok
    assert own_triples(loaded) == 2
    assert (rdflib.URIRef(EX + "a"), rdflib.URIRef(EX + "p"), rdflib.Literal("x")) in loaded.graph
    assert [f.display for f in loaded.files] == [str(path)]


def test_ntriples_file_loads(tmp_path: Path) -> None:
    second = '<http://example.org/b> <http://example.org/p> "y" .\n'
    path = write(tmp_path / "m.nt", TRIPLE + second)
    loaded = load_model([path])
    assert loaded.report.codes == []
    assert own_triples(loaded) == 2
    assert (rdflib.URIRef("http://example.org/b"), None, rdflib.Literal("y")) in loaded.graph


def test_jsonld_with_an_inline_context_loads(tmp_path: Path, network_attempts: list[Any]) -> None:
    document = {
        "@context": {"ex": "http://example.org/", "p": {"@id": "http://example.org/p"}},
        "@id": "ex:a",
        "p": "x",
    }
    path = write(tmp_path / "m.jsonld", json.dumps(document))
    loaded = load_model([path])
    assert loaded.report.codes == []
    assert (
        rdflib.URIRef("http://example.org/a"),
        rdflib.URIRef("http://example.org/p"),
        rdflib.Literal("x"),
    ) in loaded.graph
    assert network_attempts == []


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + PREFIXES.encode() + ':a :p "été" .\n'.encode()
    path = write(tmp_path / "m.ttl", data)
    loaded = load_model([path])
    assert loaded.report.codes == []
    assert (rdflib.URIRef(EX + "a"), rdflib.URIRef(EX + "p"), rdflib.Literal("été")) in loaded.graph


def test_a_root_given_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "m.ttl", TRIPLE)
    loaded = load_model([path, tmp_path / "." / "m.ttl"])
    assert loaded.report.codes == []
    assert len(loaded.files) == 1


# -- files that cannot be read ----------------------------------------------------------------


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "absent.ttl"
    diagnostic = only(load_model([path]), Code.LOAD_FILE_UNREADABLE)
    assert diagnostic.source_file == str(path)
    assert "does not exist" in diagnostic.message


def test_directory_is_unreadable(tmp_path: Path) -> None:
    directory = tmp_path / "model.ttl"
    directory.mkdir()
    loaded = load_model([directory])
    diagnostic = only(loaded, Code.LOAD_FILE_UNREADABLE)
    assert "directory" in diagnostic.message
    assert not loaded.ok
    assert loaded.files == ()


def test_file_over_max_bytes_is_too_large(tmp_path: Path) -> None:
    path = write(tmp_path / "m.ttl", TRIPLE)
    diagnostic = only(load_model([path], max_bytes=len(TRIPLE) - 1), Code.LOAD_FILE_TOO_LARGE)
    assert diagnostic.source_file == str(path)
    assert load_model([path], max_bytes=len(TRIPLE)).report.codes == []


def test_nul_bytes_are_not_text_with_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "m.ttl", TRIPLE.encode() * 2 + b"\n<http://e/a> \x00 .\n")
    diagnostic = only(load_model([path]), Code.LOAD_NOT_TEXT)
    assert diagnostic.line == 4
    assert "NUL" in diagnostic.message


def test_invalid_utf8_is_not_text_with_the_line(tmp_path: Path) -> None:
    data = TRIPLE.encode() * 4 + b'<http://e/a> <http://e/p> "caf\xe9" .\n'
    path = write(tmp_path / "m.ttl", data)
    diagnostic = only(load_model([path]), Code.LOAD_NOT_TEXT)
    assert diagnostic.line == 5
    assert "UTF-8" in diagnostic.message


def test_unknown_extension_is_unsupported(tmp_path: Path) -> None:
    path = write(tmp_path / "m.rdf", TRIPLE)
    diagnostic = only(load_model([path]), Code.LOAD_UNSUPPORTED_FORMAT)
    assert ".rdf" in diagnostic.message


def test_file_without_extension_is_unsupported(tmp_path: Path) -> None:
    path = write(tmp_path / "model", TRIPLE)
    only(load_model([path]), Code.LOAD_UNSUPPORTED_FORMAT)


# -- syntax errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("unterminated_string", PREFIXES + ':a :p "x" .\n:b :p "open .\n:c :p 1 .\n', 4),
        ("missing_dot", PREFIXES + ':a :p "x" .\n:b :p 1\n\n:c :p 2 .\n', 6),
        ("unknown_prefix", PREFIXES + ":a :p 1 .\n\n\nfoo:b :p 2 .\n", 6),
        ("unclosed_bracket", PREFIXES + ":a :p [ :q 1 .\n", 3),
        ("long_string_then_error", PREFIXES + ':a :p """one\ntwo\nthree""" .\n:b :p :c :d .\n', 6),
        # At the end of a file rdflib's own line count runs past the last line.
        ("cut_short_at_the_end", PREFIXES + ":a :p 1 .\n:b :p \n\n\n", 4),
        ("object_missing_at_the_end", PREFIXES + ":a :p 1 .\n:b :p :c\n\n\n", 4),
        ("truncated_inside_a_name", PREFIXES + ":a :p 1 .\n\n:b :p\n\n", 5),
        ("string_open_at_the_end", PREFIXES + ':a :p 1 .\n\n:b :p "open', 5),
        ("n3_variable", PREFIXES + ':a :p "?" .\n\n?x :p 1 .\n:b :p 2 .\n', 5),
    ],
)
def test_turtle_syntax_error_names_the_line(
    tmp_path: Path, name: str, text: str, line: int
) -> None:
    path = write(tmp_path / f"{name}.ttl", text)
    loaded = load_model([path])
    diagnostic = only(loaded, Code.LOAD_SYNTAX_ERROR)
    assert diagnostic.line == line
    assert diagnostic.source_file == str(path)
    assert loaded.files == ()


def test_ntriples_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "m.nt", TRIPLE * 2 + TRIPLE.replace(" .", "") + TRIPLE)
    diagnostic = only(load_model([path]), Code.LOAD_SYNTAX_ERROR)
    assert diagnostic.line == 3


def test_ntriples_error_line_is_not_read_from_the_quoted_text(tmp_path: Path) -> None:
    # The parser's message quotes the bad line; a number in it is not the position.
    path = write(tmp_path / "m.nt", TRIPLE + "\nline 99 is garbage\n" + TRIPLE)
    diagnostic = only(load_model([path]), Code.LOAD_SYNTAX_ERROR)
    assert diagnostic.line == 3


def test_jsonld_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "m.jsonld", '{\n  "@id": "http://e/a",\n  "p": \n}\n')
    diagnostic = only(load_model([path]), Code.LOAD_SYNTAX_ERROR)
    assert diagnostic.line == 4


@pytest.mark.parametrize("opening", ["[ :p ", "( "])
def test_deep_nesting_is_refused_with_a_line(tmp_path: Path, opening: str) -> None:
    closing = " ]" if opening.startswith("[") else " )"
    depth = 3000
    text = PREFIXES + ":a :p\n" + (opening + "\n") * 150 + opening * depth + "1" + closing * (
        depth + 150
    ) + " .\n"
    path = write(tmp_path / "deep.ttl", text)
    diagnostic = only(load_model([path]), Code.LOAD_NESTING_TOO_DEEP)
    # Fifty brackets deeper than the first 150, one per line from line 4.
    assert diagnostic.line == 4 + 150


# -- JSON-LD contexts -------------------------------------------------------------------------


REMOTE = "http://example.org/context.jsonld"


@pytest.mark.parametrize(
    "document",
    [
        pytest.param({"@context": REMOTE, "@id": "http://e/a"}, id="string"),
        pytest.param(
            {"@context": [{"p": "http://e/p"}, REMOTE], "@id": "http://e/a", "p": "x"},
            id="list-with-a-string",
        ),
        pytest.param({"@context": [[REMOTE]], "@id": "http://e/a"}, id="nested-list"),
        pytest.param(
            {
                "@context": {"p": "http://e/p"},
                "@id": "http://e/a",
                "p": {"@context": REMOTE, "@id": "http://e/b"},
            },
            id="nested-in-an-object",
        ),
        pytest.param(
            {"@context": {"p": {"@id": "http://e/p", "@context": REMOTE}}, "@id": "http://e/a"},
            id="scoped-context",
        ),
        pytest.param(
            {"@context": {"@import": REMOTE, "p": "http://e/p"}, "@id": "http://e/a"},
            id="import",
        ),
        pytest.param([{"@context": REMOTE, "@id": "http://e/a"}], id="top-level-list"),
        pytest.param({"@graph": [{"@context": REMOTE, "@id": "http://e/a"}]}, id="in-graph"),
    ],
)
def test_remote_jsonld_context_is_refused_without_network(
    tmp_path: Path, network_attempts: list[Any], document: Any
) -> None:
    path = write(tmp_path / "m.jsonld", json.dumps(document))
    loaded = load_model([path])
    diagnostic = only(loaded, Code.LOAD_REMOTE_CONTEXT_REFUSED)
    assert REMOTE in diagnostic.message
    assert diagnostic.source_file == str(path)
    assert loaded.files == ()
    assert network_attempts == []


# -- owl:imports ------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_http_import_is_refused_with_file_and_line(
    tmp_path: Path, network_attempts: list[Any], scheme: str
) -> None:
    text = importing(f"{scheme}://example.org/remote.ttl")
    path = write(tmp_path / "m.ttl", text)
    loaded = load_model([path])
    diagnostic = only(loaded, Code.LOAD_IMPORT_REFUSED)
    assert diagnostic.source_file == str(path)
    assert diagnostic.line == line_of(text, "owl:imports")
    assert diagnostic.subject == "http://example.org/m"
    assert f"{scheme}://example.org/remote.ttl" in diagnostic.message
    assert network_attempts == []
    # The model's own triples are still there.
    assert (rdflib.URIRef(EX + "root"), None, None) in loaded.graph


def test_relative_import_of_a_sibling_is_loaded(tmp_path: Path) -> None:
    root = write(tmp_path / "m.ttl", importing("lib.ttl"))
    lib = write(tmp_path / "lib.ttl", PREFIXES + ':lib :p "from lib" .\n')
    loaded = load_model([root])
    assert loaded.report.codes == []
    assert (rdflib.URIRef(EX + "lib"), rdflib.URIRef(EX + "p"), rdflib.Literal("from lib")) in (
        loaded.graph
    )
    assert len(loaded.files) == 2
    assert loaded.files[0].display == str(root)
    assert Path(loaded.files[1].display).resolve() == lib.resolve()


def test_relative_import_in_a_subdirectory_is_loaded(tmp_path: Path) -> None:
    root = write(tmp_path / "m.ttl", importing("parts/lib.ttl"))
    write(tmp_path / "parts" / "lib.ttl", PREFIXES + ":lib :p 1 .\n")
    loaded = load_model([root])
    assert loaded.report.codes == []
    assert (rdflib.URIRef(EX + "lib"), None, None) in loaded.graph


def test_import_of_the_scalebridge_ontology_loads_nothing(
    tmp_path: Path, network_attempts: list[Any]
) -> None:
    path = write(tmp_path / "m.ttl", importing("https://w3id.org/scalebridge/ontology"))
    loaded = load_model([path])
    assert loaded.report.codes == []
    assert len(loaded.files) == 1
    assert own_triples(loaded) == 3
    # The ontology itself is not read into the model's graph.
    ontology = rdflib.URIRef("https://w3id.org/scalebridge/ontology")
    assert (ontology, rdflib.RDF.type, rdflib.OWL.Ontology) not in loaded.graph
    assert network_attempts == []


def test_import_of_a_missing_local_file_is_not_found(tmp_path: Path) -> None:
    text = importing("absent.ttl")
    path = write(tmp_path / "m.ttl", text)
    diagnostic = only(load_model([path]), Code.LOAD_IMPORT_NOT_FOUND)
    assert diagnostic.source_file == str(path)
    assert diagnostic.line == line_of(text, "owl:imports")
    assert "absent.ttl" in diagnostic.message


@pytest.mark.parametrize("target", ["file:///etc/passwd", "../outside.ttl", "file:../outside.ttl"])
def test_import_outside_the_model_directory_is_refused(tmp_path: Path, target: str) -> None:
    write(tmp_path / "outside.ttl", PREFIXES + ":outside :p 1 .\n")
    path = write(tmp_path / "model" / "m.ttl", importing(target))
    loaded = load_model([path])
    only(loaded, Code.LOAD_IMPORT_REFUSED)
    assert len(loaded.files) == 1
    assert (rdflib.URIRef(EX + "outside"), None, None) not in loaded.graph


def test_symlink_leaving_the_model_directory_is_refused(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside.ttl", PREFIXES + ":outside :p 1 .\n")
    path = write(tmp_path / "model" / "m.ttl", importing("link.ttl"))
    (tmp_path / "model" / "link.ttl").symlink_to(outside)
    loaded = load_model([path])
    only(loaded, Code.LOAD_IMPORT_REFUSED)
    assert (rdflib.URIRef(EX + "outside"), None, None) not in loaded.graph


def test_import_cycle_terminates_and_loads_each_file_once(tmp_path: Path) -> None:
    a = write(tmp_path / "a.ttl", importing("b.ttl", ":in_a :p 1 .\n"))
    write(tmp_path / "b.ttl", importing("a.ttl", ":in_b :p 2 .\n").replace("/m>", "/b>"))
    loaded = load_model([a])
    assert loaded.report.codes == []
    assert len(loaded.files) == 2
    assert sorted(Path(f.display).name for f in loaded.files) == ["a.ttl", "b.ttl"]
    assert (rdflib.URIRef(EX + "in_a"), None, None) in loaded.graph
    assert (rdflib.URIRef(EX + "in_b"), None, None) in loaded.graph


def test_self_import_terminates(tmp_path: Path) -> None:
    path = write(tmp_path / "m.ttl", importing("m.ttl"))
    loaded = load_model([path])
    assert loaded.report.codes == []
    assert len(loaded.files) == 1


def test_import_chain_is_loaded_in_order(tmp_path: Path) -> None:
    a = write(tmp_path / "a.ttl", importing("b.ttl"))
    write(tmp_path / "b.ttl", importing("c.ttl").replace("/m>", "/b>"))
    write(tmp_path / "c.ttl", PREFIXES + ":in_c :p 3 .\n")
    loaded = load_model([a])
    assert loaded.report.codes == []
    assert [Path(f.display).name for f in loaded.files] == ["a.ttl", "b.ttl", "c.ttl"]


def test_broken_imported_file_is_reported_against_that_file(tmp_path: Path) -> None:
    root = write(tmp_path / "m.ttl", importing("lib.ttl"))
    write(tmp_path / "lib.ttl", PREFIXES + ":lib :p 1 .\n:lib :q\n")
    loaded = load_model([root])
    diagnostic = only(loaded, Code.LOAD_SYNTAX_ERROR)
    assert diagnostic.source_file is not None
    assert Path(diagnostic.source_file).name == "lib.ttl"
    assert (rdflib.URIRef(EX + "root"), None, None) in loaded.graph


def test_catalogue_beside_the_model_maps_an_http_iri(
    tmp_path: Path, network_attempts: list[Any]
) -> None:
    iri = "http://example.org/library"
    root = write(tmp_path / "m.ttl", importing(iri))
    write(tmp_path / "vendor" / "library.ttl", PREFIXES + ":lib :p 1 .\n")
    write(tmp_path / "catalog-v001.xml", catalogue((iri, "vendor/library.ttl")))
    loaded = load_model([root])
    assert loaded.report.codes == []
    assert (rdflib.URIRef(EX + "lib"), None, None) in loaded.graph
    assert len(loaded.files) == 2
    assert network_attempts == []


def test_files_beside_a_catalogue_target_may_be_imported_by_it(tmp_path: Path) -> None:
    iri = "https://example.org/library"
    model_dir, library_dir = tmp_path / "model", tmp_path / "shared-library"
    root = write(model_dir / "m.ttl", importing(iri))
    write(library_dir / "lib.ttl", PREFIXES + ":lib :p 1 .\n"
          "<http://example.org/lib> a owl:Ontology ; owl:imports <steel.ttl> .\n")
    write(library_dir / "steel.ttl", PREFIXES + ":steel :p 2 .\n")
    loaded = load_model([root], catalogue={iri: library_dir / "lib.ttl"})
    assert loaded.report.codes == []
    assert (rdflib.URIRef(EX + "steel"), None, None) in loaded.graph


def test_catalogue_entry_to_a_missing_file_is_not_found(tmp_path: Path) -> None:
    iri = "http://example.org/library"
    root = write(tmp_path / "m.ttl", importing(iri))
    write(tmp_path / "catalog-v001.xml", catalogue((iri, "library.ttl")))
    only(load_model([root]), Code.LOAD_IMPORT_NOT_FOUND)


def test_catalogue_with_a_remote_target_is_ignored(
    tmp_path: Path, network_attempts: list[Any]
) -> None:
    iri = "http://example.org/library"
    root = write(tmp_path / "m.ttl", importing(iri))
    write(tmp_path / "catalog-v001.xml", catalogue((iri, "http://example.org/library.ttl")))
    only(load_model([root]), Code.LOAD_IMPORT_REFUSED)
    assert network_attempts == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_catalogue_with_doctype_or_entities_is_refused(tmp_path: Path, encoding: str) -> None:
    iri = "http://example.org/library"
    root = write(tmp_path / "m.ttl", importing(iri))
    write(tmp_path / "library.ttl", PREFIXES + ":lib :p 1 .\n")
    xml = (
        f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n'
        '<!DOCTYPE catalog [<!ENTITY lib "library.ttl">]>\n'
        f'<catalog xmlns="{CATALOGUE_NS}">\n'
        f'    <uri name="{iri}" uri="&lib;"/>\n'
        "</catalog>\n"
    )
    write(tmp_path / "catalog-v001.xml", xml.encode(encoding))
    loaded = load_model([root])
    # The catalogue is refused (and so is the import it would have mapped); the entity is
    # never expanded, so the library is not loaded.
    assert loaded.report.codes == [Code.LOAD_SYNTAX_ERROR, Code.LOAD_IMPORT_REFUSED]
    assert "DOCTYPE" in loaded.report.diagnostics[0].message
    assert (rdflib.URIRef(EX + "lib"), None, None) not in loaded.graph


def test_malformed_catalogue_is_a_syntax_error(tmp_path: Path) -> None:
    root = write(tmp_path / "m.ttl", PREFIXES + ":a :p 1 .\n")
    write(tmp_path / "catalog-v001.xml", "<catalog><uri name='x'")
    loaded = load_model([root])
    assert loaded.report.codes == [Code.LOAD_SYNTAX_ERROR]
    assert own_triples(loaded) == 1


def test_catalogue_argument_maps_an_iri(tmp_path: Path, network_attempts: list[Any]) -> None:
    iri = "https://example.org/shared/materials"
    root = write(tmp_path / "model" / "m.ttl", importing(iri))
    library = write(tmp_path / "elsewhere" / "materials.ttl", PREFIXES + ":steel :p 1 .\n")
    loaded = load_model([root], catalogue={iri: library})
    assert loaded.report.codes == []
    assert (rdflib.URIRef(EX + "steel"), None, None) in loaded.graph
    assert len(loaded.files) == 2
    assert network_attempts == []
    # Without the mapping, the same import is refused.
    assert load_model([root]).report.codes == [Code.LOAD_IMPORT_REFUSED]


def test_catalogue_argument_accepts_a_string_path(tmp_path: Path) -> None:
    iri = "https://example.org/shared/materials"
    root = write(tmp_path / "m.ttl", importing(iri))
    library = write(tmp_path / "materials.ttl", PREFIXES + ":steel :p 1 .\n")
    loaded = load_model([root], catalogue={iri: str(library)})
    assert loaded.report.codes == []
    assert (rdflib.URIRef(EX + "steel"), None, None) in loaded.graph


def test_import_line_is_found_in_a_one_line_statement(tmp_path: Path) -> None:
    text = PREFIXES + "\n\n:a :p 1 .\n<http://example.org/m> owl:imports <http://example.org/x> .\n"
    path = write(tmp_path / "m.ttl", text)
    diagnostic = only(load_model([path]), Code.LOAD_IMPORT_REFUSED)
    assert diagnostic.line == 6


def test_every_refused_import_is_reported(tmp_path: Path) -> None:
    text = (
        PREFIXES
        + "<http://example.org/m> a owl:Ontology ;\n"
        + "    owl:imports <http://example.org/one> ,\n"
        + "                <ftp://example.org/two> .\n"
    )
    loaded = load_model([write(tmp_path / "m.ttl", text)])
    assert loaded.report.codes == [Code.LOAD_IMPORT_REFUSED] * 2
