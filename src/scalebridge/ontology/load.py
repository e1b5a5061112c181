"""Read model files into one RDF graph, safely and without ever touching the network.

rdflib is the only parser of user files, and it only ever sees bytes that this module opened
itself: never a URL.  ``owl:imports`` are resolved through a local catalogue: scalebridge's own
ontology, files beside the model (a relative IRI such as ``<tungsten_slab.ttl>``), entries of a
Protégé-style ``catalog-v001.xml`` next to the root model, and mappings passed by the caller.
Any other import is refused with a diagnostic.  Every fault in a file (unreadable, too large,
not text, bad syntax, nesting too deep, a remote JSON-LD context) is a diagnostic with file and
line, never an exception.

Example
-------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "m.ttl").write_text('<http://e/a> <http://e/p> "x" .')
>>> loaded = load_model([d / "m.ttl"])
>>> [str(o) for o in loaded.graph.objects(None, URIRef("http://e/p"))], loaded.report.codes
(['x'], [])
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from xml.etree import ElementTree
from xml.parsers import expat

import rdflib
from rdflib.term import URIRef

from scalebridge.diagnostics import Code, Diagnostic, Report
from scalebridge.ontology.resources import BUILTIN_IMPORTS, shape_context
from scalebridge.ontology.sourcemap import SourceFileText, SourceMap, line_of_depth, line_of_stray

__all__ = ["DEFAULT_MAX_BYTES", "LoadedModel", "load_model"]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
CATALOGUE_FILE = "catalog-v001.xml"
_MAX_CATALOGUE_BYTES = 1024 * 1024
# rdflib's recursive parser gives up somewhere above this depth; the line shown is where the
# nesting passes it.
_MAX_DEPTH = 200

_FORMATS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".jsonld": "json-ld",
    ".json": "json-ld",
}


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """The union graph of a model's files, where each node came from, and the load report.

    ``graph`` holds the model's own triples plus the ontology's subclass statements and the types
    of its individuals (which SHACL class targets need in the data graph; adding them here spares
    copying the model), but never the rest of the ontology; ``files`` the files read, root
    files first, then imports in the order they were resolved, each with its own triples only,
    except that a model read from a single file shares that file's graph with ``graph``
    (context included).
    """

    graph: rdflib.Graph
    files: tuple[SourceFileText, ...]
    sourcemap: SourceMap
    report: Report

    @property
    def ok(self) -> bool:
        """True when every file was read and parsed."""
        return not self.report.has_errors()


def load_model(
    paths: Sequence[str | Path],
    *,
    catalogue: Mapping[str, str | Path] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> LoadedModel:
    """Parse the model files ``paths`` and everything they import locally.

    Parameters
    ----------
    paths:
        One or more model files (Turtle, N-Triples or JSON-LD).
    catalogue:
        Extra import mappings, IRI to local file.
    max_bytes:
        Files larger than this are refused (``LOAD_FILE_TOO_LARGE``).
    """
    loader = _Loader(catalogue or {}, max_bytes)
    roots = [Path(p) for p in paths]
    allowed_dirs = {_resolve(p).parent for p in roots}
    for root in roots:
        loader.catalogue.update(_read_catalogue(_resolve(root).parent, loader))
    for root in roots:
        loader.read(root, shown=str(root), allowed=allowed_dirs)
    files = tuple(loader.files)
    if len(files) == 1:
        # The union of one file is that file: add the context to its graph rather than copy
        # it (a copy of a 250,000-triple graph costs seconds and doubles the memory).
        graph = files[0].graph
        graph += shape_context()
    else:
        graph = rdflib.Graph()
        graph += shape_context()
        for source in files:
            graph += source.graph
    return LoadedModel(graph, files, SourceMap(files), Report(tuple(loader.diagnostics)))


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


class _Loader:
    def __init__(self, catalogue: Mapping[str, str | Path], max_bytes: int) -> None:
        self.catalogue: dict[str, Path] = {iri: Path(p) for iri, p in catalogue.items()}
        self.max_bytes = max_bytes
        self.files: list[SourceFileText] = []
        self.diagnostics: list[Diagnostic] = []
        self.seen: set[Path] = set()

    def fail(self, code: Code, message: str, shown: str, line: int | None = None,
             subject: str | None = None) -> None:
        self.diagnostics.append(
            Diagnostic.make(code, message, source_file=shown, line=line, subject=subject)
        )

    def read(self, path: Path, shown: str, allowed: set[Path]) -> None:
        real = _resolve(path)
        if real in self.seen:
            return
        self.seen.add(real)
        data = self._bytes(path, shown)
        if data is None:
            return
        fmt = _FORMATS.get(path.suffix.lower())
        if fmt is None:
            self.fail(Code.LOAD_UNSUPPORTED_FORMAT,
                      f"cannot read '{shown}': unknown file type '{path.suffix or '(none)'}'",
                      shown)
            return
        text = self._text(data, shown)
        if text is None:
            return
        base = real.as_uri()
        graph = self._parse(text, fmt, base, shown)
        if graph is None:
            return
        source = SourceFileText(shown, base, text, graph)
        self.files.append(source)
        self._follow_imports(source, real.parent, allowed)

    def _bytes(self, path: Path, shown: str) -> bytes | None:
        try:
            if not path.is_file():
                reason = "is a directory" if path.is_dir() else "does not exist"
                self.fail(Code.LOAD_FILE_UNREADABLE, f"cannot read '{shown}': the file {reason}",
                          shown)
                return None
            size = path.stat().st_size
            if size > self.max_bytes:
                self.fail(Code.LOAD_FILE_TOO_LARGE,
                          f"'{shown}' is {size:,} bytes, over the limit of {self.max_bytes:,}",
                          shown)
                return None
            with path.open("rb") as handle:
                data = handle.read(self.max_bytes + 1)
        except OSError as err:
            self.fail(Code.LOAD_FILE_UNREADABLE, f"cannot read '{shown}': {err.strerror or err}",
                      shown)
            return None
        if len(data) > self.max_bytes:
            self.fail(Code.LOAD_FILE_TOO_LARGE,
                      f"'{shown}' is over the limit of {self.max_bytes:,} bytes", shown)
            return None
        return data

    def _text(self, data: bytes, shown: str) -> str | None:
        if b"\x00" in data:
            line = data[: data.index(b"\x00")].count(b"\n") + 1
            self.fail(Code.LOAD_NOT_TEXT, f"'{shown}' contains NUL bytes: it is not a text file",
                      shown, line)
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            self.fail(Code.LOAD_NOT_TEXT,
                      f"'{shown}' is not valid UTF-8 (byte {err.start}: {err.reason})", shown, line)
            return None
        return text.removeprefix("\ufeff")

    def _parse(self, text: str, fmt: str, base: str, shown: str) -> rdflib.Graph | None:
        if fmt == "json-ld" and not self._json_ld_is_local(text, shown):
            return None
        graph = rdflib.Graph()
        try:
            graph.parse(data=text, format=fmt, publicID=base)
        except RecursionError:
            self.fail(Code.LOAD_NESTING_TOO_DEEP,
                      f"'{shown}' nests blank nodes or lists more than {_MAX_DEPTH} deep",
                      shown, line_of_depth(text, _MAX_DEPTH))
            return None
        except Exception as err:
            # rdflib's N-Triples errors carry no position (see _nt_error_line).
            line = _nt_error_line(text) if fmt == "nt" else _error_line(err, text, fmt)
            self.fail(Code.LOAD_SYNTAX_ERROR, f"syntax error in '{shown}': {_error_reason(err)}",
                      shown, line)
            return None
        return graph

    def _json_ld_is_local(self, text: str, shown: str) -> bool:
        try:
            document = json.loads(text)
        except RecursionError:
            self.fail(Code.LOAD_NESTING_TOO_DEEP, f"'{shown}' nests JSON too deeply", shown)
            return False
        except json.JSONDecodeError as err:
            self.fail(Code.LOAD_SYNTAX_ERROR, f"syntax error in '{shown}': {err.msg}", shown,
                      err.lineno)
            return False
        remote = _remote_contexts(document)
        if remote:
            self.fail(Code.LOAD_REMOTE_CONTEXT_REFUSED,
                      f"'{shown}' names a remote JSON-LD context ({remote[0]}); contexts must be "
                      "inline", shown)
            return False
        return True

    def _follow_imports(self, source: SourceFileText, here: Path, allowed: set[Path]) -> None:
        imports = sorted(source.graph.subject_objects(rdflib.OWL.imports), key=str)
        where = SourceMap([source])  # one line index per file, however many imports it has
        for ontology, target in imports:
            iri = str(target)
            if iri in BUILTIN_IMPORTS:
                continue
            subject = str(ontology) if isinstance(ontology, URIRef) else None
            line = where.locate(subject, str(rdflib.OWL.imports))[1] if subject else None
            local = self._local_file(iri, allowed)
            if local is None:
                self.fail(Code.LOAD_IMPORT_REFUSED,
                          f"owl:imports <{iri}> is not a local file or a catalogue entry; "
                          "scalebridge never fetches imports over the network",
                          source.display, line, subject)
                continue
            if not local.is_file():
                self.fail(Code.LOAD_IMPORT_NOT_FOUND,
                          f"owl:imports <{iri}>: the file '{local}' does not exist",
                          source.display, line, subject)
                continue
            shown = _display(local, here)
            # A catalogue entry is trusted, and so are the files beside it that it imports.
            trusted = allowed | {local.parent} if iri in self.catalogue else allowed
            self.read(local, shown, trusted)

    def _local_file(self, iri: str, allowed: set[Path]) -> Path | None:
        if iri in self.catalogue:
            return self.catalogue[iri]
        parsed = urlparse(iri)
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            return None
        path = _resolve(Path(unquote(parsed.path)))
        if any(path.is_relative_to(d) for d in allowed):
            return path
        return None


def _display(path: Path, here: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read_catalogue(directory: Path, loader: _Loader) -> dict[str, Path]:
    """Entries ``<uri name="IRI" uri="file"/>`` of a Protégé catalogue beside the model."""
    path = directory / CATALOGUE_FILE
    if not path.is_file():
        return {}
    shown = str(path)
    try:
        if path.stat().st_size > _MAX_CATALOGUE_BYTES:
            loader.fail(Code.LOAD_FILE_TOO_LARGE, f"catalogue '{shown}' is too large", shown)
            return {}
        data = path.read_bytes()
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data or _declares_dtd(data):
            # Entity declarations are how XML files attack their parsers; a catalogue needs none.
            loader.fail(Code.LOAD_SYNTAX_ERROR,
                        f"catalogue '{shown}' declares a DOCTYPE or entities, which are refused",
                        shown)
            return {}
        root = ElementTree.fromstring(data)
    except (OSError, ElementTree.ParseError) as err:
        loader.fail(Code.LOAD_SYNTAX_ERROR, f"cannot read catalogue '{shown}': {err}", shown)
        return {}
    entries: dict[str, Path] = {}
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "uri":
            continue
        name, target = element.get("name"), element.get("uri")
        if not name or not target or urlparse(target).scheme not in ("", "file"):
            continue
        local = Path(unquote(urlparse(target).path))
        entries[name] = _resolve(local if local.is_absolute() else directory / local)
    return entries


class _DtdFoundError(Exception):
    pass


def _declares_dtd(data: bytes) -> bool:
    """True when the XML declares a DOCTYPE or an entity, whatever its encoding.

    The byte search above misses a catalogue written in UTF-16 (or another encoding that
    expat reads), whose entities ElementTree would then expand; expat itself sees every
    declaration, and parsing stops at the first one, before anything is expanded.
    """

    def found(*_: object) -> None:
        raise _DtdFoundError

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = found
    parser.EntityDeclHandler = found
    try:
        parser.Parse(data, True)
    except _DtdFoundError:
        return True
    except (expat.ExpatError, ValueError, LookupError):
        return False  # not well-formed: ElementTree reports it below
    return False


def _remote_contexts(document: Any) -> list[str]:
    """Every string-valued (remote) ``@context`` or ``@import`` anywhere in a JSON document."""
    found: list[str] = []
    stack: list[Any] = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in ("@context", "@import"):
                    # rdflib flattens nested lists of contexts ([["http://..."]]) and fetches
                    # every string it finds there, so look into lists at any depth.
                    values = [value]
                    while values:
                        v = values.pop()
                        if isinstance(v, list):
                            values.extend(v)
                        elif isinstance(v, str):
                            found.append(v)
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found


_LINE = re.compile(r"at line (\d+)|line (\d+)", re.IGNORECASE)
_NT_EOL = re.compile(r"\r\n|\r|\n")


def _nt_error_line(text: str) -> int | None:
    """The first line of an N-Triples text that rdflib rejects.

    rdflib's N-Triples error names no line; it quotes the rest of the bad line, so reading a
    number out of the message gave no line, or a wrong one ("Invalid line: line 99 ...").
    N-Triples has one statement per line, so the shortest failing prefix of lines ends at the
    bad one: found by bisection, in a few parses even for a large file.  A lone CR ends an
    N-Triples line too; the line returned is counted in LF, like every other line number.
    """
    lines = _NT_EOL.split(text)
    starts = [0, *(eol.end() for eol in _NT_EOL.finditer(text))]

    def fails(count: int) -> bool:
        try:
            rdflib.Graph().parse(data="\n".join(lines[:count]), format="nt")
        except Exception:
            return True
        return False

    low, high = 1, len(lines)
    if not fails(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if fails(middle):
            high = middle
        else:
            low = middle + 1
    return text[: starts[low - 1]].count("\n") + 1


def _error_line(err: BaseException, text: str, fmt: str) -> int | None:
    # rdflib's Turtle errors (BadSyntax) keep the text they read and the offset of the error:
    # count lines there.  Their ``lines`` is wrong at the end of a file, where the parser
    # counts the trailing newlines again for each alternative it tries (a 3-line file with a
    # statement cut short got "line 5").
    argstr, offset = getattr(err, "_str", None), getattr(err, "_i", None)
    if isinstance(argstr, bytes) and isinstance(offset, int):
        parsed = argstr.decode("utf-8", errors="replace")
        # An error at the end of the text (offset -1, or past the last word) belongs to its
        # last non-blank line.
        end = len(parsed.rstrip())
        return parsed[: end if offset < 0 else min(offset, end)].count("\n") + 1
    if fmt == "turtle" and isinstance(err, IndexError | AssertionError):
        # rdflib's Turtle parser runs off the end of a text that stops inside a statement
        # ("string index out of range") or inside a string ("Quote expected in string"): the
        # fault is on the last line that says anything.
        return text.rstrip().count("\n") + 1
    if fmt == "turtle" and "newUniversal" in str(err):
        # An N3 variable ("?x", a SPARQL habit) trips rdflib's Turtle parser with no position.
        return line_of_stray(text, "?")
    lines = getattr(err, "lines", None)
    if isinstance(lines, int):
        return lines + 1 if lines >= 0 else None
    match = _LINE.search(str(err))
    if match:
        return int(match.group(1) or match.group(2))
    return None


def _error_reason(err: BaseException) -> str:
    why = getattr(err, "_why", None)
    if isinstance(why, str) and why:
        return why
    text = str(err).strip().splitlines()
    fallback = text[0] if text else type(err).__name__
    reason = next((line for line in text if "Bad syntax" in line), fallback)
    return reason.strip()[:300]


def iter_import_targets(graph: rdflib.Graph) -> Iterable[str]:
    """The IRIs a graph imports (for tools that list a model's dependencies)."""
    return (str(o) for o in graph.objects(None, rdflib.OWL.imports))
