"""Where in a Turtle file a node was written: file and line for diagnostics.

rdflib keeps no positions, so this module reads the Turtle text a second time with a small
tokenizer of its own, used only to find lines (never to decide what the graph means), and
records where every subject, every (subject, property) pair and every ``[ ... ]`` block
starts.  Blank nodes, which rdflib renames, are matched to blocks by their parent and their
properties.  Indexes are built lazily, on the first question about a file, so a clean model
pays nothing.

Example
-------
>>> text = '@prefix : <http://e/> .\\n:a :p 1 ;\\n   :q [ :r 2 ] .\\n'
>>> index = TurtleIndex.build(text, base="file:///m.ttl")
>>> index.subject_line("http://e/a"), index.pair_line(("iri", "http://e/a"), "http://e/q")
(2, 3)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin

import rdflib
from rdflib.term import BNode, Literal, Node, URIRef

__all__ = ["SourceFileText", "SourceMap", "TurtleIndex", "line_of_depth", "line_of_stray"]

RDF_TYPE = str(rdflib.RDF.type)
_RDF_FIRST = rdflib.RDF.first
_RDF_REST = rdflib.RDF.rest

# Alternatives are ordered by how often they occur in a model (the scan spends half its time
# in this expression); no two alternatives start with the same character except where the
# first one listed must win (a number before the punctuation "." of ".5", a long string before
# a short one, a prefixed name before a bare word).
_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<pname>(?:[A-Za-z][\w\-]*(?:\.[\w\-]+)*)?:
               (?:(?:[\w\-:%]|\\.)(?:(?:[\w\-:%.]|\\.)*(?:[\w\-:%]|\\.))?)?)
  | (?P<word>[A-Za-z]+)
  | (?P<number>[+-]?(?:\d*\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+))
  | (?P<punct>[\[\]();,.])
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<lstring>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*''')
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<comment>\#[^\n]*)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<dtype>\^\^)
  | (?P<bnode>_:[A-Za-z0-9_](?:[\w.\-]*[\w\-])?)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

Key = tuple[str, str]  # ("iri", iri) | ("label", bnode label) | ("block", id)


@dataclass(slots=True)
class _Block:
    line: int
    parent: Key | None
    predicate: str | None
    pairs: set[tuple[str, str]] = field(default_factory=set)


@dataclass(slots=True)
class _Frame:
    kind: str  # "stmt", "block" or "list"
    subject: Key | None = None
    predicate: str | None = None
    expect: str = "subject"


class TurtleIndex:
    """Line numbers of subjects, (subject, property) pairs and blank-node blocks in one file."""

    def __init__(self) -> None:
        self.subjects: dict[str, int] = {}
        self.pairs: dict[tuple[Key, str], int] = {}
        self.anywhere: dict[str, int] = {}
        self.blocks: list[_Block] = []
        # Blank nodes written as a statement's subject ("_:x ..." or "[ ... ] ..."): they have
        # no parent block, so they are matched by their content alone.
        self.anonymous: dict[Key, set[tuple[str, str]]] = {}

    def subject_line(self, iri: str) -> int | None:
        """First line where ``iri`` stands as a subject (or anywhere, failing that)."""
        return self.subjects.get(iri, self.anywhere.get(iri))

    def pair_line(self, subject: Key, predicate: str) -> int | None:
        """First line where ``predicate`` is written for ``subject``."""
        return self.pairs.get((subject, predicate))

    @classmethod
    def build(cls, text: str, base: str) -> TurtleIndex:
        """Index ``text``; tolerant of errors (an unparsable file gets a partial index)."""
        index = cls()
        index._scan(text, base)
        return index

    # -- scanning -----------------------------------------------------------------------

    def _scan(self, text: str, base: str) -> None:
        prefixes: dict[str, str] = {}
        line = 1
        stack: list[_Frame] = [_Frame("stmt")]
        directive: str | None = None
        directive_prefix: str | None = None
        pending_literal = False
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup or "other"
            token = match.group()
            start_line = line
            line += token.count("\n")
            if kind in ("ws", "comment", "other"):
                continue
            if directive is not None:
                if directive == "prefix" and kind == "pname":
                    directive_prefix = token[:-1] if token.endswith(":") else token.split(":")[0]
                    continue
                # Only a directive still waiting for its IRI takes one: after a SPARQL-style
                # PREFIX/BASE (no closing '.'), the next IRI is the subject of a statement.
                if kind == "iri" and directive != "end":
                    iri = urljoin(base, token[1:-1])
                    if directive == "prefix" and directive_prefix is not None:
                        prefixes[directive_prefix] = iri
                    elif directive == "base":
                        base = iri
                    directive = "end"
                    continue
                if token == ".":
                    directive = None
                    continue
                directive = None  # SPARQL-style directives end without '.'
            if kind == "langtag" and token.lower() in ("@prefix", "@base"):
                directive, directive_prefix = token[1:].lower(), None
                continue
            if (kind == "word" and token.upper() in ("PREFIX", "BASE")
                    and stack[-1].expect == "subject"):
                directive, directive_prefix = token.lower(), None
                continue
            if kind == "dtype":
                pending_literal = True
                continue
            if kind == "langtag":
                continue
            if pending_literal:
                pending_literal = False
                if kind in ("iri", "pname"):
                    continue
            term = self._term(kind, token, prefixes, base)
            frame = stack[-1]
            if kind == "punct":
                self._punct(token, stack, start_line)
                continue
            if term is None:
                continue
            if kind in ("iri", "pname"):
                self.anywhere.setdefault(term[1], start_line)
            if frame.kind == "list":
                self._object(stack, term, start_line)
                continue
            if frame.expect == "subject":
                frame.subject = term
                frame.expect = "predicate"
                if term[0] == "iri":
                    self.subjects.setdefault(term[1], start_line)
                elif term[0] == "label":
                    self.subjects.setdefault("_:" + term[1], start_line)
                    self.anonymous.setdefault(term, set())
            elif frame.expect == "predicate":
                frame.predicate = RDF_TYPE if token == "a" and kind == "word" else term[1]
                frame.expect = "object"
                if frame.subject is not None:
                    self.pairs.setdefault((frame.subject, frame.predicate), start_line)
            elif frame.expect == "object":
                self._object(stack, term, start_line)

    def _term(self, kind: str, token: str, prefixes: dict[str, str], base: str) -> Key | None:
        if kind == "iri":
            return ("iri", urljoin(base, token[1:-1]))
        if kind == "pname":
            prefix, _, local = token.partition(":")
            namespace = prefixes.get(prefix)
            if namespace is None:
                return ("iri", token)
            if "\\" in local:
                local = re.sub(r"\\(.)", r"\1", local)
            return ("iri", namespace + local)
        if kind == "bnode":
            return ("label", token[2:])
        if kind in ("string", "lstring"):
            quote = 3 if kind == "lstring" else 1
            return ("literal", token[quote:-quote])
        if kind == "number":
            return ("literal", token)
        if kind == "word":
            if token == "a":
                return ("iri", RDF_TYPE)
            if token in ("true", "false"):
                return ("literal", token)
        return None

    def _object(self, stack: list[_Frame], term: Key, line: int) -> None:
        frame = stack[-1]
        if frame.kind == "block" and frame.predicate is not None and frame.subject is not None:
            block = self.blocks[int(frame.subject[1])]
            block.pairs.add((frame.predicate, term[1]))
        if frame.kind != "list" and frame.predicate is not None and frame.subject in self.anonymous:
            self.anonymous[frame.subject].add((frame.predicate, term[1]))
        if frame.kind != "list":
            frame.expect = "after_object"

    def _punct(self, token: str, stack: list[_Frame], line: int) -> None:
        frame = stack[-1]
        if token == "[":
            parent = frame.subject if frame.kind != "list" and frame.expect == "object" else None
            predicate = frame.predicate if parent is not None else None
            block_id = len(self.blocks)
            self.blocks.append(_Block(line, parent, predicate))
            if frame.kind != "list" and frame.expect == "object":
                frame.expect = "after_object"
            elif frame.kind == "stmt" and frame.expect == "subject":
                frame.subject = ("block", str(block_id))
                self.anonymous.setdefault(frame.subject, set())
                frame.expect = "after_block_subject"
            stack.append(_Frame("block", ("block", str(block_id)), None, "predicate"))
        elif token == "]":
            if len(stack) > 1 and stack[-1].kind == "block":
                stack.pop()
                outer = stack[-1]
                if outer.expect == "after_block_subject":
                    outer.expect = "predicate"
        elif token == "(":
            if frame.kind != "list" and frame.expect in ("object", "subject"):
                frame.expect = "after_object" if frame.expect == "object" else "predicate"
            stack.append(_Frame("list", None, None, "object"))
        elif token == ")":
            if len(stack) > 1 and stack[-1].kind == "list":
                stack.pop()
        elif token == ";":
            frame.expect = "predicate"
        elif token == ",":
            frame.expect = "object"
        elif token == ".":
            del stack[1:]
            stack[0] = _Frame("stmt")

    # -- blank nodes ----------------------------------------------------------------------

    def match_block(self, parent: Key, predicate: str, pairs: set[tuple[str, str]]) -> int | None:
        """The line of the ``[`` block under (parent, predicate) whose content best fits."""
        candidates = [
            (i, b)
            for i, b in enumerate(self.blocks)
            if b.parent == parent and b.predicate == predicate
        ]
        if not candidates:
            return None
        best = max(candidates, key=lambda ib: (len(ib[1].pairs & pairs), -ib[0]))
        return best[0]

    def match_anonymous(self, pairs: set[tuple[str, str]], labels_only: bool) -> Key | None:
        """The statement-subject blank node (label or block) whose content best fits, if any.

        A ``[ ... ]`` subject is the object of no triple, so ``labels_only`` for a node that is.
        """
        best: Key | None = None
        best_score = 0
        for key, content in self.anonymous.items():
            if labels_only and key[0] != "label":
                continue
            score = len(content & pairs)
            if score > best_score:
                best, best_score = key, score
        return best


def line_of_depth(text: str, depth: int) -> int | None:
    """The line on which brackets ``[`` and ``(`` first nest ``depth`` deep (strings ignored).

    >>> line_of_depth("a\\n[ [\\n[ ] ] ]", 3)
    3
    """
    line, level = 1, 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if match.lastgroup == "punct":
            if token in "[(":
                level += 1
                if level >= depth:
                    return line
            elif token in "])":
                level = max(level - 1, 0)
        line += token.count("\n")
    return None


def line_of_stray(text: str, char: str) -> int | None:
    """The line of the first ``char`` that is not inside an IRI, a string or a comment.

    >>> line_of_stray('<a?> <p> "?" . # ?\\n?x <p> 1 .', "?")
    2
    """
    line = 1
    for match in _TOKEN.finditer(text):
        token = match.group()
        if match.lastgroup == "other" and token == char:
            return line
        line += token.count("\n")
    return None


@dataclass(frozen=True, slots=True)
class SourceFileText:
    """One loaded file: its path as shown to users, its base IRI, its text and its triples."""

    display: str
    base: str
    text: str
    graph: rdflib.Graph


class SourceMap:
    """Answers "where was this node written?" over all files of a model.

    >>> g = rdflib.Graph().parse(data="<http://e/a> <http://e/p> 1 .", format="turtle")
    >>> text = "<http://e/a> <http://e/p> 1 ."
    >>> smap = SourceMap([SourceFileText("m.ttl", "file:///m.ttl", text, g)])
    >>> smap.locate("http://e/a", None)
    ('m.ttl', 1)
    """

    def __init__(self, files: Sequence[SourceFileText]) -> None:
        self._files = list(files)
        self._indexes: dict[int, TurtleIndex] = {}
        # _key results by (file, node, depth): a blank node with several blank parents, each
        # with several parents, was otherwise resolved once per path, exponentially often.
        self._keys: dict[tuple[int, Node, int], Key | None] = {}

    def _index(self, position: int) -> TurtleIndex:
        if position not in self._indexes:
            source = self._files[position]
            self._indexes[position] = TurtleIndex.build(source.text, source.base)
        return self._indexes[position]

    def _files_with(self, node: Node) -> Iterator[int]:
        for position, source in enumerate(self._files):
            if (node, None, None) in source.graph:
                yield position
        for position, source in enumerate(self._files):
            if (None, None, node) in source.graph:
                yield position

    def locate(self, subject: str | None, path: str | None) -> tuple[str | None, int | None]:
        """(file, line) of a node given as an IRI or ``_:id``; (None, None) when unknown."""
        if subject is None:
            return None, None
        node: Node = BNode(subject[2:]) if subject.startswith("_:") else URIRef(subject)
        for position in self._files_with(node):
            line = self._line(position, node, path)
            if line is not None:
                return self._files[position].display, line
        return None, None

    def _line(self, position: int, node: Node, path: str | None) -> int | None:
        index = self._index(position)
        graph = self._files[position].graph
        key = self._key(position, node, depth=0)
        if key is None:
            return None
        if path is not None:
            line = index.pair_line(key, path)
            if line is not None:
                return line
        if key[0] == "iri":
            return index.subject_line(key[1])
        if key[0] == "block":
            return index.blocks[int(key[1])].line
        if key[0] == "label":
            return index.subjects.get("_:" + key[1])
        # A blank node inside a list: report the property that holds the list.
        owner = self._list_owner(graph, node)
        if owner is not None:
            parent_key = self._key(position, owner[0], depth=1)
            if parent_key is not None:
                return index.pair_line(parent_key, str(owner[1]))
        return None

    def _key(self, position: int, node: Node, depth: int) -> Key | None:
        if isinstance(node, URIRef):
            return ("iri", str(node))
        if not isinstance(node, BNode) or depth > 32:
            return None
        memo = (position, node, depth)
        if memo not in self._keys:
            self._keys[memo] = self._bnode_key(position, node, depth)
        return self._keys[memo]

    def _bnode_key(self, position: int, node: BNode, depth: int) -> Key:
        graph = self._files[position].graph
        index = self._index(position)
        pairs = {
            (str(p), _lexical(o))
            for p, o in graph.predicate_objects(node)
            if not isinstance(o, BNode)
        }
        in_list = has_parent = False
        for parent, predicate in graph.subject_predicates(node):
            has_parent = True
            if predicate in (_RDF_FIRST, _RDF_REST):
                in_list = True
                continue
            parent_key = self._key(position, parent, depth + 1)
            if parent_key is None:
                continue
            block = index.match_block(parent_key, str(predicate), pairs)
            if block is not None:
                return ("block", str(block))
        # No block under a parent: perhaps the node was written as a statement's subject,
        # "_:x :p 1 ." or "[ :p 1 ] :q 2 ." (rdflib renames labels, so match by content).
        # List members keep the list owner's line (see _line).
        anonymous = None if in_list else index.match_anonymous(pairs, labels_only=has_parent)
        return anonymous if anonymous is not None else ("bnode", str(node))

    @staticmethod
    def _list_owner(graph: rdflib.Graph, node: Node) -> tuple[Node, Node] | None:
        current = node
        seen = {current}
        for _ in range(100_000):
            rests = [*graph.subjects(_RDF_REST, current), *graph.subjects(_RDF_FIRST, current)]
            # Stop at the head, or where a circular list (written with rdf:rest by hand) closes:
            # going round it up to the bound took a second per node.
            if not rests or rests[0] in seen:
                break
            current = rests[0]
            seen.add(current)
        for parent, predicate in graph.subject_predicates(current):
            return parent, predicate
        return None


def _lexical(term: Node) -> str:
    if isinstance(term, Literal):
        return str(term)
    return str(term)
