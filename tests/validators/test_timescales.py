"""The timescale check: each rule, its negatives, and what the text report shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib

from scalebridge.diagnostics import Code, Severity
from scalebridge.model.build import build_model
from scalebridge.model.types import Model
from scalebridge.ontology.vocab import SB
from scalebridge.pipeline import validate_files
from scalebridge.validators.timescales import check_timescales

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "resources" / "broken" / "timescales"
NS = "https://example.org/t#"
HEAD = """
@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix :     <https://example.org/t#> .
"""

PAIR = """
:macro a sb:Submodel ; sb:onDomain :tank ; sb:hasEquation :tank_balance {macro} .
:tank a sb:Compartment ; sb:volume [ sb:value 2.0 ; sb:unit "L" ] .
:C a sb:Field ; sb:on :tank ; sb:unit "mg/L" ; sb:initialValue 5.0 .
:k a sb:Parameter ; sb:unit "1/s" ; sb:providedBy :up .
:tank_balance a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Reaction ; sb:expression "-k * C" ] .
:micro a sb:Submodel ; sb:onDomain :cell ; sb:hasEquation :cell_balance {micro} .
:cell a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "uL" ] .
:A a sb:Field ; sb:on :cell ; sb:unit "mg/L" ; sb:initialValue 1.0 .
:k_cell a sb:Parameter ; sb:value {k_cell} ; sb:unit "1/s" .
:cell_balance a sb:Equation ; sb:rateOf :A ;
    sb:hasTerm [ a sb:Reaction ; sb:expression "-k_cell * A" ] .
:up a sb:Homogenization ; sb:source :k_cell ; sb:target :k .
"""


def _scale(grain: str, extent: str, prop: str = "sb:timeScale") -> str:
    (g, g_unit), (e, e_unit) = grain.split(" ", 1), extent.split(" ", 1)
    return (f'; {prop} [ sb:grain [ sb:value {g} ; sb:unit "{g_unit}" ] ; '
            f'sb:extent [ sb:value {e} ; sb:unit "{e_unit}" ] ]')


def _model(turtle: str) -> Model:
    model, report = build_model(rdflib.Graph().parse(data=HEAD + turtle, format="turtle"))
    assert report.codes == [], report.to_text()
    return model


def _pair(
    coupling: str | None,
    micro: str = _scale("1 ms", "10 s"),
    macro: str = _scale("1 s", "1 h"),
    k_cell: float = 100.0,
) -> Model:
    text = PAIR.format(micro=micro, macro=macro, k_cell=k_cell)
    if coupling is not None:
        text += f"\n:c1 a {coupling} ; sb:between :micro, :macro ; sb:via :up .\n"
    return _model(text)


def _codes(model: Model) -> list[Code]:
    return [d.code for d in check_timescales(model)]


# -- the examples and lone submodels ---------------------------------------------------------


@pytest.mark.parametrize("name", ["heat_rod", "two_compartment"])
def test_the_examples_have_no_timescale_findings(name: str) -> None:
    graph = rdflib.Graph().parse(REPO / "examples" / name / "model.ttl", format="turtle")
    assert check_timescales(build_model(graph)[0]) == []


def test_an_uncoupled_pair_gets_no_information_and_no_unknown() -> None:
    lone = _pair(None, micro="", macro="")  # no declared scales, macro not even estimable
    assert _codes(lone) == []


# -- declared ranges -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale", "path"),
    [
        (_scale("10 s", "1 s"), SB.timeScale),
        (_scale("0 s", "1 s"), SB.timeScale),
        ("; sb:timeScale [ sb:grain :dt ; sb:extent [ sb:value 1 ; sb:unit \"h\" ] ] .\n"
         ":dt a sb:Parameter ; sb:unit \"s\" ; "
         "sb:distribution [ a sb:Normal ; sb:mean 1.0 ; sb:standardDeviation 0.1 ] ",
         SB.timeScale),
        (_scale("5 cm", "1 cm", "sb:lengthScale"), SB.lengthScale),
    ],
)
def test_an_invalid_range_is_an_error_on_the_submodel(scale: str, path: rdflib.URIRef) -> None:
    found = check_timescales(_pair(None, micro=scale))
    assert [d.code for d in found] == [Code.TIMESCALE_RANGE_INVALID]
    assert found[0].subject == NS + "micro" and found[0].path == str(path)
    assert found[0].severity is Severity.ERROR


def test_a_range_of_the_wrong_dimension_cannot_be_used() -> None:
    found = check_timescales(_pair("sb:Hierarchical", micro=_scale("1 m", "1 s")))
    assert [d.code for d in found] == [Code.TIMESCALE_RANGE_INVALID]  # and no verdict
    assert "has dimension m" in found[0].message and found[0].expected == "grain: a time"


def test_a_valid_range_is_no_finding() -> None:
    assert _codes(_pair(None, micro=_scale("1 ms", "1 s") + _scale("1 um", "1 mm",
                                                                   "sb:lengthScale"))) == []


def test_an_invalid_range_of_a_coupled_submodel_gives_no_verdict_and_no_unknown() -> None:
    assert _codes(_pair("sb:Hierarchical", micro=_scale("10 s", "1 s"))) == [
        Code.TIMESCALE_RANGE_INVALID
    ]


# -- under-resolution ------------------------------------------------------------------------


def test_a_process_faster_than_half_the_grain_is_under_resolved() -> None:
    # 1/k_cell = 10 ms against a grain of 50 ms: five times faster.
    found = check_timescales(_pair(None, micro=_scale("50 ms", "10 s")))
    assert [d.code for d in found] == [Code.TIMESCALE_UNDERRESOLVED]
    d = found[0]
    assert d.subject == NS + "micro" and d.path == str(SB.timeScale)
    assert d.severity is Severity.WARNING
    assert "10 ms" in d.message and "50 ms" in d.message and "5 times" in d.message
    assert d.related == (NS + "cell_balance",)


@pytest.mark.parametrize("grain", ["20 ms", "15 ms", "1 ms"])
def test_a_process_within_a_factor_two_of_the_grain_is_fine(grain: str) -> None:
    assert _codes(_pair(None, micro=_scale(grain, "10 s"))) == []


def test_only_the_fastest_offending_process_is_reported_with_a_count() -> None:
    model = _model("""
:m a sb:Submodel ; sb:onDomain :pipe ; sb:hasEquation :e
    ; sb:timeScale [ sb:grain [ sb:value 30 ; sb:unit "min" ] ;
                     sb:extent [ sb:value 1 ; sb:unit "d" ] ] .
:pipe a sb:Interval ; sb:length [ sb:value 3.0 ; sb:unit "m" ] ; sb:cells 30 .
:c a sb:Field ; sb:on :pipe ; sb:unit "mol/m3" ; sb:initialValue 1.0 .
:v a sb:Parameter ; sb:value 1.0 ; sb:unit "cm/s" .
:e a sb:Equation ; sb:rateOf :c ; sb:hasTerm [ a sb:Advection ; sb:velocity :v ] .
""")
    found = check_timescales(model)
    assert [d.code for d in found] == [Code.TIMESCALE_UNDERRESOLVED]
    # dx/u = 0.1 m / 0.01 m/s = 10 s; L/u = 300 s: both below 30 min
    assert "10 s" in found[0].message and "(and 1 other process)" in found[0].message


def test_estimated_ranges_are_never_under_resolved() -> None:
    assert _codes(_pair(None, micro="")) == []


# -- unknown time scales ---------------------------------------------------------------------


def test_a_coupled_submodel_without_time_scales_is_a_warning() -> None:
    found = check_timescales(_pair("sb:Concurrent", macro=""))
    assert [d.code for d in found] == [Code.TIMESCALE_UNKNOWN]
    assert found[0].subject == NS + "macro" and found[0].path == str(SB.timeScale)
    assert "no value is known for k" in found[0].message
    assert f"<{NS}c1>" in found[0].message


def test_an_estimable_coupled_submodel_is_not_unknown() -> None:
    found = _codes(_pair("sb:Concurrent", micro=""))  # micro estimated from 1/k_cell
    assert Code.TIMESCALE_UNKNOWN not in found and Code.TIMESCALE_COUPLING_VERDICT in found


# -- couplings -------------------------------------------------------------------------------


def test_a_hierarchical_coupling_of_overlapping_scales_is_an_error_with_ranges_and_ratio() -> None:
    found = check_timescales(_pair("sb:Hierarchical"))
    assert [d.code for d in found] == [Code.TIMESCALE_NOT_SEPARATED]
    d = found[0]
    assert d.subject == NS + "c1" and d.path == str(rdflib.RDF.type)
    assert "micro (1 ms to 10 s)" in d.message and "macro (1 s to 1 h)" in d.message
    assert "ratio of macro's grain to micro's extent 0.1" in d.message
    assert "sb:Concurrent" in d.message
    assert (d.expected, d.actual) == ("ratio > 1", "ratio 0.1")


def test_touching_ranges_are_not_separated() -> None:
    found = check_timescales(_pair("sb:Hierarchical", micro=_scale("1 ms", "1 s")))
    assert [d.code for d in found] == [Code.TIMESCALE_NOT_SEPARATED]
    assert "just fills one time grain" in found[0].message


def test_a_hierarchical_coupling_below_its_margin_is_an_error() -> None:
    text = PAIR.format(micro=_scale("1 ms", "100 ms"), macro=_scale("1 s", "1 h"), k_cell=100.0)
    loose = _model(text + ":c1 a sb:Hierarchical ; sb:between :micro, :macro ; sb:via :up .")
    assert _codes(loose) == [Code.TIMESCALE_COUPLING_VERDICT]
    strict = _model(text + ":c1 a sb:Hierarchical ; sb:between :micro, :macro ; sb:via :up ; "
                    "sb:scaleSeparationMargin 100 .")
    found = check_timescales(strict)
    assert [d.code for d in found] == [Code.TIMESCALE_NOT_SEPARATED]
    assert "ratio of macro's grain to micro's extent 10" in found[0].message
    assert "needs >= 100" in found[0].message


def test_an_accepted_hierarchical_coupling_gets_its_verdict() -> None:
    found = check_timescales(_pair("sb:Hierarchical", micro=_scale("1 us", "100 ms")))
    assert [d.code for d in found] == [Code.TIMESCALE_COUPLING_VERDICT]
    d = found[0]
    assert d.severity is Severity.INFO and d.subject == NS + "c1" and d.path == str(SB.between)
    assert "time separated" in d.message and "ratio 10" in d.message
    assert "space separated" in d.message and "call/release" in d.message


def test_a_concurrent_coupling_of_separated_scales_gets_advice_and_its_verdict() -> None:
    found = check_timescales(_pair("sb:Concurrent", micro=_scale("1 us", "100 ms")))
    assert [d.code for d in found] == [
        Code.TIMESCALE_SEPARATED_CONCURRENT,
        Code.TIMESCALE_COUPLING_VERDICT,
    ]
    assert all(d.severity is Severity.INFO for d in found)
    assert "sb:Hierarchical" in found[0].hint
    assert "would allow call/release" in found[1].message


def test_a_concurrent_coupling_of_overlapping_scales_gets_only_its_verdict() -> None:
    found = check_timescales(_pair("sb:Concurrent"))
    assert [d.code for d in found] == [Code.TIMESCALE_COUPLING_VERDICT]
    assert "time overlapping" in found[0].message and "interact" in found[0].message


def test_a_coupling_with_an_unknown_side_gets_no_verdict() -> None:
    assert Code.TIMESCALE_COUPLING_VERDICT not in _codes(_pair("sb:Hierarchical", macro=""))


NESTING = """
:driver a sb:Submodel ; sb:onDomain :tank ; sb:hasEquation :tank_balance {driver} .
:tank a sb:Compartment ; sb:volume [ sb:value 2.0 ; sb:unit "L" ] .
:C a sb:Field ; sb:on :tank ; sb:unit "mg/L" ; sb:initialValue 5.0 .
:k a sb:Parameter ; sb:value 1.0e-4 ; sb:unit "1/s" .
:tank_balance a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Reaction ; sb:expression "-k * C" ] .
:driven a sb:Submodel ; sb:onDomain :film ; sb:hasEquation :film_balance {driven} .
:film a sb:Interval ; sb:length [ sb:value 1.0 ; sb:unit "mm" ] ; sb:cells 10 ;
    sb:boundary [ a sb:Boundary ; sb:at sb:Left ;
                  sb:condition [ a sb:ForcedByBridge ; sb:forcedBy :nest ] ] .
:u a sb:Field ; sb:on :film ; sb:unit "mg/L" ; sb:initialValue 0.0 .
:D a sb:Parameter ; sb:value 1.0e-9 ; sb:unit "m2/s" .
:film_balance a sb:Equation ; sb:rateOf :u ; sb:hasTerm [ a sb:Diffusion ; sb:coefficient :D ] .
:nest a sb:BoundaryForcing ; sb:source :C ; sb:target :u .
:c1 a sb:OneWayNesting ; sb:between :driver, :driven ; sb:via :nest .
"""


def test_a_one_way_nesting_driven_by_the_faster_model_is_an_error() -> None:
    model = _model(NESTING.format(driver=_scale("1 ms", "1 h"), driven=_scale("1 s", "1 h")))
    found = check_timescales(model)
    assert [d.code for d in found] == [Code.TIMESCALE_NESTING_INVERTED]
    assert "driving driver (1 ms to 1 h)" in found[0].message
    assert "driven driven (1 s to 1 h)" in found[0].message


@pytest.mark.parametrize("driver", [_scale("1 s", "1 d"), _scale("1 min", "1 d")])
def test_a_one_way_nesting_driven_by_a_slower_or_equal_model_gets_its_verdict(
    driver: str,
) -> None:
    model = _model(NESTING.format(driver=driver, driven=_scale("1 s", "1 h")))
    found = check_timescales(model)
    assert [d.code for d in found] == [Code.TIMESCALE_COUPLING_VERDICT]
    assert "dispatch" in found[0].message


def test_findings_come_in_a_stable_order() -> None:
    model = _pair("sb:Concurrent", micro=_scale("50 ms", "100 ms"), macro="")
    first = check_timescales(model)
    assert first == check_timescales(model)
    assert [d.code for d in first] == [Code.TIMESCALE_UNKNOWN, Code.TIMESCALE_UNDERRESOLVED]


# -- through the pipeline: what the text report shows ---------------------------------------


def test_the_text_report_of_a_timescale_error_shows_both_ranges_and_the_ratio() -> None:
    report = validate_files([CASES / "hierarchical_overlap.ttl"], reasoner=False).report
    text = report.to_text()
    assert re.search(r"hierarchical_overlap\.ttl:28: error TIMESCALE_NOT_SEPARATED", text)
    assert "micro (1 ms to 10 s)" in text and "macro (1 s to 1 h)" in text
    assert "0.1" in text and "actual:   ratio 0.1" in text
