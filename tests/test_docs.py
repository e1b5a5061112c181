"""The generated pages and the closed namespace are up to date with their sources."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from scalebridge import docs
from scalebridge.ontology.resources import SB_NAMESPACE, defined_terms, ontology_graph
from scalebridge.ontology.vocab import SB

REPO = Path(__file__).resolve().parents[1]


def test_generated_files_are_current() -> None:
    assert docs.main(["--check", "--root", str(REPO)]) == 0


def test_check_mode_notices_a_stale_page(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "vocabulary.md").write_text("old\n")
    assert docs.main(["--check", "--root", str(tmp_path)]) == 1
    assert (tmp_path / "docs" / "vocabulary.md").read_text() == "old\n"
    assert docs.main(["--root", str(tmp_path)]) == 0
    assert docs.main(["--check", "--root", str(tmp_path)]) == 0


def test_vocabulary_page_has_every_term_with_definition_domain_range_and_example() -> None:
    page = docs.render_vocabulary()
    graph = ontology_graph()
    skos = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    for term in defined_terms():
        local = term[len(SB_NAMESPACE) :]
        section = page.split(f"## sb:{local}\n", 1)[1].split("\n## ", 1)[0]
        definition = " ".join(str(graph.value(rdflib.URIRef(term), skos.definition)).split())
        assert definition in section
        assert "```turtle" in section
        if (rdflib.URIRef(term), rdflib.RDF.type, rdflib.OWL.ObjectProperty) in graph:
            assert "- Domain:" in section and "- Range:" in section


def test_vocabulary_page_documents_the_formula_grammar() -> None:
    page = docs.render_vocabulary()
    assert "## Formulas" in page and "piecewise" in page and "never run as code" in page


def test_closed_namespace_refuses_unknown_terms() -> None:
    assert str(SB.Field) == SB_NAMESPACE + "Field"
    assert str(SB["from"]) == SB_NAMESPACE + "from"
    with pytest.raises(AttributeError):
        _ = SB.Fiedl
