"""TurtleIndex and SourceMap on hand-written Turtle: the line every node was written on."""

from __future__ import annotations

from typing import Any

import rdflib
from rdflib import BNode, Literal, URIRef

from scalebridge.ontology.sourcemap import SourceFileText, SourceMap, TurtleIndex, line_of_depth

BASE = "file:///models/m.ttl"
EX = "http://example.org/"
RDF_TYPE = str(rdflib.RDF.type)


def index(text: str, base: str = BASE) -> TurtleIndex:
    return TurtleIndex.build(text, base=base)


def source_map(
    text: str, base: str = BASE, display: str = "m.ttl"
) -> tuple[rdflib.Graph, SourceMap]:
    graph = rdflib.Graph().parse(data=text, format="turtle", publicID=base)
    return graph, SourceMap([SourceFileText(display, base, text, graph)])


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th appearance of ``needle``."""
    position = -1
    for _ in range(occurrence):
        position = text.index(needle, position + 1)
    return text[:position].count("\n") + 1


def bnode_with(graph: rdflib.Graph, predicate: str, value: object) -> BNode:
    """The one blank node that has ``predicate`` with the literal (or IRI) ``value``."""
    obj = value if isinstance(value, URIRef | Literal) else Literal(value)
    found = [s for s in graph.subjects(URIRef(predicate), obj) if isinstance(s, BNode)]
    assert len(found) == 1, found
    return found[0]


def decimal(text: str) -> Literal:
    return Literal(text, datatype=rdflib.XSD.decimal)


def locate_bnode(
    smap: SourceMap, node: BNode, path: str | None = None
) -> tuple[str | None, int | None]:
    return smap.locate("_:" + str(node), path)


# -- subjects and pairs -----------------------------------------------------------------------


def test_subjects_and_pairs_with_prefixed_names() -> None:
    text = (
        "@prefix ex: <http://example.org/> .\n"
        "\n"
        "ex:a ex:p 1 ;\n"
        "     ex:q 2 .\n"
        "ex:b ex:p 3 .\n"
    )
    idx = index(text)
    assert idx.subject_line(EX + "a") == 3
    assert idx.subject_line(EX + "b") == 5
    assert idx.pair_line(("iri", EX + "a"), EX + "p") == 3
    assert idx.pair_line(("iri", EX + "a"), EX + "q") == 4
    assert idx.pair_line(("iri", EX + "b"), EX + "p") == 5
    assert idx.pair_line(("iri", EX + "b"), EX + "q") is None


def test_full_iris_and_the_a_keyword() -> None:
    text = (
        "<http://example.org/a>\n"
        "    a <http://example.org/C> ;\n"
        "    <http://example.org/p> <http://example.org/b> .\n"
    )
    idx = index(text)
    assert idx.subject_line(EX + "a") == 1
    assert idx.pair_line(("iri", EX + "a"), RDF_TYPE) == 2
    assert idx.pair_line(("iri", EX + "a"), EX + "p") == 3
    # An IRI that is only ever an object is still found somewhere.
    assert idx.subject_line(EX + "b") == 3


def test_first_statement_about_a_subject_wins() -> None:
    text = "@prefix ex: <http://example.org/> .\nex:a ex:p 1 .\nex:b ex:p 1 .\nex:a ex:p 2 .\n"
    assert index(text).subject_line(EX + "a") == 2


def test_objects_lists_with_commas() -> None:
    text = "@prefix ex: <http://example.org/> .\nex:a ex:p ex:b ,\n    ex:c ;\n  ex:q ex:d .\n"
    idx = index(text)
    assert idx.pair_line(("iri", EX + "a"), EX + "p") == 2
    assert idx.pair_line(("iri", EX + "a"), EX + "q") == 4
    assert idx.subject_line(EX + "c") == 3


def test_sparql_style_prefix_and_base() -> None:
    text = (
        "PREFIX ex: <http://example.org/>\n"
        "prefix y: <http://other.org/>\n"
        "ex:a ex:p y:b .\n"
        "BASE <http://base.org/dir/>\n"
        "<rel> ex:p 1 .\n"
        "<http://example.org/c> ex:p 2 .\n"
    )
    idx = index(text)
    assert idx.subject_line(EX + "a") == 3
    assert idx.subject_line("http://other.org/b") == 3
    assert idx.subject_line("http://base.org/dir/rel") == 5
    assert idx.pair_line(("iri", "http://base.org/dir/rel"), EX + "p") == 5
    assert idx.subject_line(EX + "c") == 6


def test_sparql_prefix_followed_by_a_full_iri_subject() -> None:
    # The IRI after a SPARQL-style directive (which has no closing '.') is a subject.
    text = "PREFIX ex: <http://example.org/>\n<http://example.org/a> ex:p 1 .\nex:b ex:p 2 .\n"
    idx = index(text)
    assert idx.subject_line(EX + "a") == 2
    assert idx.pair_line(("iri", EX + "a"), EX + "p") == 2
    assert idx.subject_line(EX + "b") == 3
    assert idx.pair_line(("iri", EX + "p"), EX + "p") is None


def test_base_and_relative_iris() -> None:
    text = (
        "<a> <p> 1 .\n"
        "<#frag> <p> 2 .\n"
        "@base <http://example.org/dir/> .\n"
        "<b> <p> 3 .\n"
        "<../up> <p> 4 .\n"
    )
    idx = index(text, base="file:///models/m.ttl")
    assert idx.subject_line("file:///models/a") == 1
    assert idx.pair_line(("iri", "file:///models/a"), "file:///models/p") == 1
    assert idx.subject_line("file:///models/m.ttl#frag") == 2
    assert idx.subject_line(EX + "dir/b") == 4
    assert idx.subject_line(EX + "up") == 5


def test_relative_iris_resolve_like_rdflib() -> None:
    text = "<a> <p> 1 .\n@base <http://example.org/dir/> .\n<b> <p> 2 .\n<#f> <p> 3 .\n"
    graph, smap = source_map(text)
    for subject in graph.subjects():
        file, line = smap.locate(str(subject), None)
        assert file == "m.ttl"
        assert line is not None
    assert smap.locate(EX + "dir/b", None) == ("m.ttl", 3)
    assert smap.locate(EX + "dir/#f", None) == ("m.ttl", 4)


def test_prefix_with_a_dot_and_local_names_with_dots() -> None:
    text = (
        "@prefix ex.v1: <http://example.org/> .\n"
        "ex.v1:a.b ex.v1:p ex.v1:c.\n"
        "ex.v1:d ex.v1:p 1.\n"
    )
    idx = index(text)
    assert idx.subject_line(EX + "a.b") == 2
    assert idx.subject_line(EX + "d") == 3
    assert idx.pair_line(("iri", EX + "d"), EX + "p") == 3


def test_empty_prefix() -> None:
    text = "@prefix : <http://example.org/> .\n:a :p :b .\n"
    assert index(text).subject_line(EX + "a") == 2


# -- comments and strings do not confuse the scan --------------------------------------------


def test_comments_and_strings_with_punctuation() -> None:
    text = (
        "@prefix ex: <http://example.org/> .  # a comment with . ; [ ( \" and <x>\n"
        "# ex:fake ex:p 1 .\n"
        'ex:a ex:p "a # not a comment . ; [ ( ,", \'single . ; ] \' ;  # trailing [ \n'
        '     ex:q "escaped \\" quote . ;" .\n'
        "ex:b ex:p <http://example.org/x#frag> .\n"
    )
    idx = index(text)
    assert EX + "fake" not in idx.subjects
    assert idx.subject_line(EX + "a") == 3
    assert idx.pair_line(("iri", EX + "a"), EX + "q") == 4
    assert idx.subject_line(EX + "b") == 5
    assert set(idx.subjects) == {EX + "a", EX + "b"}


def test_long_strings_shift_later_lines() -> None:
    text = (
        "@prefix ex: <http://example.org/> .\n"
        'ex:a ex:p """first line . ;\n'
        "second line [ ( # not a comment\n"
        'with "quotes" and ""two"" ;\n'
        'end""" ;\n'
        "   ex:q '''another\n"
        "one''' .\n"
        "ex:b ex:p 1 .\n"
    )
    idx = index(text)
    assert idx.subject_line(EX + "a") == 2
    assert idx.pair_line(("iri", EX + "a"), EX + "q") == 6
    assert idx.subject_line(EX + "b") == 8
    graph, smap = source_map(text)
    assert len(graph) == 3
    assert smap.locate(EX + "b", EX + "p") == ("m.ttl", 8)


def test_literals_with_language_and_datatype() -> None:
    text = (
        "@prefix ex: <http://example.org/> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        'ex:a ex:p "x"@en-GB ;\n'
        '   ex:q "1"^^xsd:int ;\n'
        '   ex:r "2"^^<http://www.w3.org/2001/XMLSchema#int> ;\n'
        "   ex:s true .\n"
        "ex:b ex:p -1.5e3 .\n"
    )
    idx = index(text)
    a = ("iri", EX + "a")
    assert [idx.pair_line(a, EX + p) for p in "pqrs"] == [3, 4, 5, 6]
    assert idx.subject_line(EX + "b") == 7
    # A datatype IRI is not a subject.
    assert "http://www.w3.org/2001/XMLSchema#int" not in idx.subjects


def test_crlf_line_endings() -> None:
    text = "@prefix ex: <http://example.org/> .\r\nex:a ex:p 1 .\r\n\r\nex:b ex:p 2 .\r\n"
    idx = index(text)
    assert idx.subject_line(EX + "b") == 4


# -- blank nodes ------------------------------------------------------------------------------


SEVERAL_TERMS = """\
@prefix sb: <https://w3id.org/scalebridge/ontology#> .
@prefix ex: <http://example.org/> .

ex:eq a sb:Equation ;
    sb:hasTerm [ a sb:Diffusion ;
                 sb:coefficient ex:k ] ;
    sb:rateOf ex:T ;
    sb:hasTerm [ a sb:Source ;
                 sb:expression "q * T" ] ;
    sb:hasTerm [ a sb:Sink ; sb:expression "c * T" ] .
"""
SB = "https://w3id.org/scalebridge/ontology#"


def test_several_blank_nodes_under_one_property_each_find_their_line() -> None:
    graph, smap = source_map(SEVERAL_TERMS)
    diffusion = bnode_with(graph, RDF_TYPE, URIRef(SB + "Diffusion"))
    source = bnode_with(graph, SB + "expression", "q * T")
    sink = bnode_with(graph, SB + "expression", "c * T")
    assert locate_bnode(smap, diffusion) == ("m.ttl", line_of(SEVERAL_TERMS, "sb:hasTerm", 1))
    assert locate_bnode(smap, source) == ("m.ttl", line_of(SEVERAL_TERMS, "sb:hasTerm", 2))
    assert locate_bnode(smap, sink) == ("m.ttl", line_of(SEVERAL_TERMS, "sb:hasTerm", 3))


def test_blank_node_property_lines() -> None:
    graph, smap = source_map(SEVERAL_TERMS)
    diffusion = bnode_with(graph, RDF_TYPE, URIRef(SB + "Diffusion"))
    source = bnode_with(graph, SB + "expression", "q * T")
    assert locate_bnode(smap, diffusion, SB + "coefficient") == ("m.ttl", 6)
    assert locate_bnode(smap, source, SB + "expression") == ("m.ttl", 9)
    # A property the block does not have falls back to the block's line.
    assert locate_bnode(smap, source, SB + "unit") == ("m.ttl", 8)


def test_blank_nodes_separated_by_commas() -> None:
    text = (
        "@prefix ex: <http://example.org/> .\n"
        "ex:a ex:p [ ex:v 1 ] ,\n"
        "          [ ex:v 2 ] ,\n"
        "\n"
        "          [ ex:v 3 ] .\n"
    )
    graph, smap = source_map(text)
    lines = [locate_bnode(smap, bnode_with(graph, EX + "v", n))[1] for n in (1, 2, 3)]
    assert lines == [2, 3, 5]


def test_same_content_under_different_parents() -> None:
    text = (
        "@prefix ex: <http://example.org/> .\n"
        "ex:a ex:p [ ex:v 1 ] .\n"
        "ex:b ex:p [ ex:v 1 ] .\n"
    )
    graph, smap = source_map(text)
    for parent, line in (("a", 2), ("b", 3)):
        (node,) = graph.objects(URIRef(EX + parent), URIRef(EX + "p"))
        assert isinstance(node, BNode)
        assert locate_bnode(smap, node) == ("m.ttl", line)


def test_nested_blank_nodes() -> None:
    text = (
        "@prefix ex: <http://example.org/> .\n"
        "ex:a ex:scale [ ex:grain [ ex:value 5.0 ;\n"
        "                           ex:unit ex:SEC ] ;\n"
        "                ex:extent [ ex:value 3.0 ;\n"
        "                            ex:unit ex:HR ] ] ;\n"
        "     ex:other [ ex:grain [ ex:value 7.0 ] ] .\n"
    )
    graph, smap = source_map(text)
    grain = bnode_with(graph, EX + "value", decimal("5.0"))
    extent = bnode_with(graph, EX + "value", decimal("3.0"))
    other = bnode_with(graph, EX + "value", decimal("7.0"))
    (scale,) = graph.objects(URIRef(EX + "a"), URIRef(EX + "scale"))
    assert isinstance(scale, BNode)
    assert locate_bnode(smap, scale) == ("m.ttl", 2)
    assert locate_bnode(smap, grain) == ("m.ttl", 2)
    assert locate_bnode(smap, grain, EX + "unit") == ("m.ttl", 3)
    assert locate_bnode(smap, extent) == ("m.ttl", 4)
    assert locate_bnode(smap, extent, EX + "unit") == ("m.ttl", 5)
    assert locate_bnode(smap, other) == ("m.ttl", 6)


def test_heat_rod_style_scales_locate_to_their_blocks() -> None:
    text = (
        "@prefix sb: <https://w3id.org/scalebridge/ontology#> .\n"
        "@prefix unit: <http://qudt.org/vocab/unit/> .\n"
        "@prefix : <http://example.org/> .\n"
        ":m sb:duration [ sb:value 3.0 ; sb:unit unit:HR ] ;\n"
        "   sb:timeScale [ sb:grain  [ sb:value 5.0 ; sb:unit unit:SEC ] ;\n"
        "                  sb:extent [ sb:value 3.0 ; sb:unit unit:HR ] ] .\n"
    )
    graph, smap = source_map(text)
    (duration,) = graph.objects(URIRef(EX + "m"), URIRef(SB + "duration"))
    (scale,) = graph.objects(URIRef(EX + "m"), URIRef(SB + "timeScale"))
    (extent,) = graph.objects(scale, URIRef(SB + "extent"))
    assert isinstance(duration, BNode)
    assert isinstance(extent, BNode)
    # Same content (3.0 hours), different parents: each to its own line.
    assert locate_bnode(smap, duration) == ("m.ttl", 4)
    assert locate_bnode(smap, extent) == ("m.ttl", 6)


def test_list_of_literals_is_located_at_its_property() -> None:
    text = "@prefix ex: <http://example.org/> .\nex:a ex:q 1 ;\n  ex:values ( 1 2\n  3 ) .\n"
    graph, smap = source_map(text)
    idx = index(text)
    assert idx.pair_line(("iri", EX + "a"), EX + "values") == 3
    (head,) = graph.objects(URIRef(EX + "a"), URIRef(EX + "values"))
    assert isinstance(head, BNode)
    assert locate_bnode(smap, head) == ("m.ttl", 3)


def test_blank_node_inside_a_list_reports_the_property_holding_the_list() -> None:
    text = (
        "@prefix ex: <http://example.org/> .\n"
        "ex:a ex:first 0 ;\n"
        "     ex:items ( [ ex:v 1 ]\n"
        "                [ ex:v 2 ] ) ;\n"
        "     ex:after [ ex:v 3 ] .\n"
    )
    graph, smap = source_map(text)
    in_list = bnode_with(graph, EX + "v", 2)
    after = bnode_with(graph, EX + "v", 3)
    assert locate_bnode(smap, in_list) == ("m.ttl", 3)
    # The list does not upset the blocks after it.
    assert locate_bnode(smap, after) == ("m.ttl", 5)


def test_brackets_inside_strings_do_not_open_blocks() -> None:
    text = (
        "@prefix ex: <http://example.org/> .\n"
        'ex:a ex:label "[ ( not a block" ;\n'
        "     ex:p [ ex:v 1 ] ;\n"
        '     ex:p [ ex:v 2 ; ex:label "]) still text" ] .\n'
    )
    graph, smap = source_map(text)
    idx = index(text)
    assert len(idx.blocks) == 2
    assert locate_bnode(smap, bnode_with(graph, EX + "v", 1)) == ("m.ttl", 3)
    assert locate_bnode(smap, bnode_with(graph, EX + "v", 2)) == ("m.ttl", 4)


def test_blocks_record_parent_predicate_and_line() -> None:
    text = "@prefix ex: <http://example.org/> .\nex:a ex:p\n  [ ex:v 1 ; a ex:C ] .\n"
    (block,) = index(text).blocks
    assert block.line == 3
    assert block.parent == ("iri", EX + "a")
    assert block.predicate == EX + "p"
    assert block.pairs == {(EX + "v", "1"), (RDF_TYPE, EX + "C")}


def test_blank_node_written_as_a_subject_block() -> None:
    text = (
        "@prefix ex: <http://example.org/> .\n"
        "ex:a ex:p [ ex:v 1 ] .\n"
        "\n"
        "[ ex:v 2 ; a ex:C ]\n"
        "    ex:w 3 .\n"
    )
    graph, smap = source_map(text)
    node = bnode_with(graph, EX + "v", 2)
    assert locate_bnode(smap, node) == ("m.ttl", 4)
    assert locate_bnode(smap, node, EX + "w") == ("m.ttl", 5)
    assert locate_bnode(smap, bnode_with(graph, EX + "v", 1)) == ("m.ttl", 2)


def test_labelled_blank_nodes_are_located() -> None:
    text = (
        "@prefix ex: <http://example.org/> .\n"
        "ex:a ex:p _:first .\n"
        "_:first ex:v 1 ;\n"
        "    ex:w 2 .\n"
        "\n"
        "_:second ex:v 3 .\n"
    )
    graph, smap = source_map(text)
    first = bnode_with(graph, EX + "v", 1)
    second = bnode_with(graph, EX + "v", 3)
    # rdflib renames the labels; the nodes are found by what they say.
    assert str(first) != "first"
    assert locate_bnode(smap, first) == ("m.ttl", 3)
    assert locate_bnode(smap, first, EX + "w") == ("m.ttl", 4)
    assert locate_bnode(smap, second) == ("m.ttl", 6)


class CountingGraph(rdflib.Graph):
    """A graph that counts the lookups the source map makes."""

    lookups = 0

    def subject_predicates(self, *args: Any, **kwargs: Any) -> Any:
        CountingGraph.lookups += 1
        return super().subject_predicates(*args, **kwargs)

    def subjects(self, *args: Any, **kwargs: Any) -> Any:
        CountingGraph.lookups += 1
        return super().subjects(*args, **kwargs)


def counting_map(text: str) -> tuple[rdflib.Graph, SourceMap]:
    graph = CountingGraph().parse(data=text, format="turtle", publicID=BASE)
    CountingGraph.lookups = 0
    return graph, SourceMap([SourceFileText("m.ttl", BASE, text, graph)])


def test_blank_node_with_many_paths_to_the_top_is_located_in_linear_time() -> None:
    # Two blank nodes per layer, each pointing at both of the layer below: 2**12 paths from
    # the top to the bottom node (2**40 with 40 layers, a hang).  Each node must be resolved
    # once, not once per path.
    layers = 12
    lines = ["@prefix ex: <http://example.org/> ."]
    for i in range(layers):
        lines += [f"_:x{i + 1} ex:p _:x{i}, _:y{i} .", f"_:y{i + 1} ex:p _:x{i}, _:y{i} ."]
    lines.append("_:x0 ex:v 1 .")
    text = "\n".join(lines) + "\n"
    graph, smap = counting_map(text)
    assert locate_bnode(smap, bnode_with(graph, EX + "v", 1)) == ("m.ttl", len(lines))
    assert CountingGraph.lookups < 10 * layers


def test_circular_list_is_not_walked_round_and_round() -> None:
    text = (
        "@prefix ex: <http://example.org/> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        "_:a rdf:first [ ex:v 1 ] ; rdf:rest _:b .\n"
        "_:b rdf:first 2 ; rdf:rest _:a .\n"
    )
    graph, smap = counting_map(text)
    assert locate_bnode(smap, bnode_with(graph, EX + "v", 1)) == (None, None)
    assert CountingGraph.lookups < 100


# -- SourceMap.locate -------------------------------------------------------------------------


def test_locate_subject_and_pair() -> None:
    text = "@prefix ex: <http://example.org/> .\n\nex:a ex:p 1 ;\n   ex:q 2 .\n"
    _, smap = source_map(text)
    assert smap.locate(EX + "a", None) == ("m.ttl", 3)
    assert smap.locate(EX + "a", EX + "q") == ("m.ttl", 4)
    # A property the subject does not have: the subject's line.
    assert smap.locate(EX + "a", EX + "zzz") == ("m.ttl", 3)


def test_locate_unknown_subject_is_none() -> None:
    _, smap = source_map("@prefix ex: <http://example.org/> .\nex:a ex:p 1 .\n")
    assert smap.locate(EX + "nowhere", None) == (None, None)
    assert smap.locate(EX + "nowhere", EX + "p") == (None, None)
    assert smap.locate("_:nope", None) == (None, None)
    assert smap.locate(None, EX + "p") == (None, None)


def test_locate_a_node_that_is_only_an_object() -> None:
    _, smap = source_map("@prefix ex: <http://example.org/> .\nex:a ex:p\n   ex:b .\n")
    assert smap.locate(EX + "b", None) == ("m.ttl", 3)


def test_locate_across_files() -> None:
    first = "@prefix ex: <http://example.org/> .\nex:a ex:p 1 .\n"
    second = "@prefix ex: <http://example.org/> .\n\n\nex:b ex:p [ ex:v 9 ] .\n"
    files = []
    for name, text in (("one.ttl", first), ("two.ttl", second)):
        base = f"file:///models/{name}"
        graph = rdflib.Graph().parse(data=text, format="turtle", publicID=base)
        files.append(SourceFileText(name, base, text, graph))
    smap = SourceMap(files)
    assert smap.locate(EX + "a", None) == ("one.ttl", 2)
    assert smap.locate(EX + "b", EX + "p") == ("two.ttl", 4)
    node = bnode_with(files[1].graph, EX + "v", 9)
    assert locate_bnode(smap, node) == ("two.ttl", 4)


def test_subject_in_one_file_is_preferred_to_an_object_in_another() -> None:
    first = "@prefix ex: <http://example.org/> .\nex:x ex:refers ex:b .\n"
    second = "@prefix ex: <http://example.org/> .\n\nex:b ex:p 1 .\n"
    files = []
    for name, text in (("one.ttl", first), ("two.ttl", second)):
        base = f"file:///models/{name}"
        graph = rdflib.Graph().parse(data=text, format="turtle", publicID=base)
        files.append(SourceFileText(name, base, text, graph))
    assert SourceMap(files).locate(EX + "b", None) == ("two.ttl", 3)


def test_index_is_tolerant_of_broken_text() -> None:
    text = (
        "@prefix ex: <http://example.org/> .\n"
        'ex:a ex:p [ ( ] ) "open\n'
        "]]]]) . ;\n"
        "ex:b ex:p 1 .\n"
    )
    idx = index(text)
    assert idx.subject_line(EX + "a") == 2


# -- line_of_depth ----------------------------------------------------------------------------


def test_line_of_depth() -> None:
    assert line_of_depth("a\n[ [\n[ ] ] ]", 3) == 3
    assert line_of_depth("[ [ ] ]\n[ [ ] ]", 3) is None
    assert line_of_depth("(\n(\n[\n", 3) == 3
    assert line_of_depth("x", 1) is None


def test_line_of_depth_ignores_brackets_in_strings_and_comments() -> None:
    text = '"[[[[" # [[[[\n[ """\n[[[[\n""" [\n'
    assert line_of_depth(text, 2) == 4
    assert line_of_depth(text, 3) is None


def test_line_of_depth_closing_brackets_lower_the_level() -> None:
    text = "[ ]\n[ ]\n[ ]\n[ [\n"
    assert line_of_depth(text, 2) == 4
