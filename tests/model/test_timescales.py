"""Timescale estimates and the scale separation map, against hand-computed values.

Every expected number here is computed in the test from the model's parameters (with numpy for
eigenvalues), never copied from the code's output.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import rdflib

from scalebridge.model.build import build_model
from scalebridge.model.timescales import (
    ProcessKind,
    ScaleSpan,
    Separation,
    Status,
    Template,
    analyse_timescales,
    classify,
    estimate_submodel,
    format_length,
    format_ratio,
    format_time,
)
from scalebridge.model.types import Model

REPO = Path(__file__).resolve().parents[2]
NS = "https://example.org/t#"
HEAD = """
@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix :     <https://example.org/t#> .
"""


def _model(turtle: str) -> Model:
    model, report = build_model(rdflib.Graph().parse(data=HEAD + turtle, format="turtle"))
    assert report.codes == [], report.to_text()
    return model


def _example(name: str) -> Model:
    graph = rdflib.Graph().parse(REPO / "examples" / name / "model.ttl", format="turtle")
    return build_model(graph)[0]


def _seconds(model: Model, submodel: str, kind: ProcessKind) -> list[float]:
    return sorted(p.seconds for p in estimate_submodel(model, NS + submodel).process(kind))


def _span(grain: str, extent: str) -> str:
    """A Turtle scale range from two quantities written "value unit"."""
    (g, g_unit), (e, e_unit) = grain.split(" ", 1), extent.split(" ", 1)
    return (f'[ sb:grain [ sb:value {g} ; sb:unit "{g_unit}" ] ; '
            f'sb:extent [ sb:value {e} ; sb:unit "{e_unit}" ] ]')


# -- PDE estimates ----------------------------------------------------------------------------

ROD = """
:m a sb:Submodel ; sb:onDomain :rod ; sb:hasEquation :heat .
:rod a sb:Interval ; sb:length [ sb:value 0.5 ; sb:unit "m" ] ; sb:cells 50 .
:T a sb:Field ; sb:on :rod ; sb:unit "K" ; sb:initialValue 300.0 .
:k a sb:Parameter ; sb:value 45.0 ; sb:unit "W/(m.K)" .
:rho a sb:Parameter ; sb:value 7850.0 ; sb:unit "kg/m3" .
:c_p a sb:Parameter ; sb:value 490.0 ; sb:unit "J/(kg.K)" .
:heat a sb:Equation ; sb:rateOf :T ;
    sb:capacity [ sb:expression "rho * c_p" ; sb:unit "J/(m3.K)" ] ;
    sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k ] .
"""


def test_diffusion_times_on_an_interval_are_l2_over_d_and_dx2_over_d() -> None:
    model = _model(ROD)
    diffusivity = 45.0 / (7850.0 * 490.0)
    dx = 0.5 / 50
    assert _seconds(model, "m", ProcessKind.DIFFUSION_DOMAIN) == pytest.approx(
        [0.5**2 / diffusivity]
    )
    assert _seconds(model, "m", ProcessKind.DIFFUSION_CELL) == pytest.approx(
        [dx**2 / diffusivity]
    )


def test_a_coefficient_that_depends_on_the_field_is_taken_at_the_initial_state() -> None:
    # D = D0 * (1 + u/u_ref): at u = 3 mg/L and u_ref = 1 mg/L, D = 4 D0.
    model = _model("""
:m a sb:Submodel ; sb:onDomain :gel ; sb:hasEquation :spread .
:gel a sb:Interval ; sb:length [ sb:value 2.0 ; sb:unit "mm" ] ; sb:cells 20 .
:u a sb:Field ; sb:on :gel ; sb:unit "mg/L" ; sb:initialValue 3.0 .
:u_ref a sb:Parameter ; sb:value 1.0 ; sb:unit "mg/L" .
:D0 a sb:Parameter ; sb:value 1.0e-9 ; sb:unit "m2/s" .
:spread a sb:Equation ; sb:rateOf :u ;
    sb:hasTerm [ a sb:Diffusion ;
                 sb:coefficient [ sb:expression "D0 * (1 + u / u_ref)" ; sb:unit "m2/s" ] ] .
""")
    diffusivity = 1.0e-9 * (1 + 3.0 / 1.0)
    assert _seconds(model, "m", ProcessKind.DIFFUSION_CELL) == pytest.approx(
        [(2e-3 / 20) ** 2 / diffusivity]
    )


def test_diffusion_on_a_rectangle_uses_the_longest_side_and_the_smallest_cell() -> None:
    model = _model("""
:m a sb:Submodel ; sb:onDomain :plate ; sb:hasEquation :e .
:plate a sb:Rectangle ; sb:width [ sb:value 4.0 ; sb:unit "cm" ] ;
    sb:height [ sb:value 1.0 ; sb:unit "cm" ] ; sb:cellsX 40 ; sb:cellsY 20 .
:u a sb:Field ; sb:on :plate ; sb:unit "mol/m3" ; sb:initialValue 0.0 .
:D a sb:Parameter ; sb:value 2.0e-9 ; sb:unit "m2/s" .
:e a sb:Equation ; sb:rateOf :u ; sb:hasTerm [ a sb:Diffusion ; sb:coefficient :D ] .
""")
    side, cell = 0.04, min(0.04 / 40, 0.01 / 20)
    assert _seconds(model, "m", ProcessKind.DIFFUSION_DOMAIN) == pytest.approx([side**2 / 2e-9])
    assert _seconds(model, "m", ProcessKind.DIFFUSION_CELL) == pytest.approx([cell**2 / 2e-9])


def test_advection_and_first_order_reaction_times() -> None:
    model = _model("""
:m a sb:Submodel ; sb:onDomain :pipe ; sb:hasEquation :e .
:pipe a sb:Interval ; sb:length [ sb:value 3.0 ; sb:unit "m" ] ; sb:cells 30 .
:c a sb:Field ; sb:on :pipe ; sb:unit "mol/m3" ; sb:initialValue 1.0 .
:v a sb:Parameter ; sb:value 6.0 ; sb:unit "cm/s" .
:k a sb:Parameter ; sb:value 0.2 ; sb:unit "1/min" .
:e a sb:Equation ; sb:rateOf :c ;
    sb:hasTerm [ a sb:Advection ; sb:velocity :v ] , [ a sb:Sink ; sb:expression "k * c" ] .
""")
    speed, rate = 0.06, 0.2 / 60
    assert _seconds(model, "m", ProcessKind.ADVECTION_DOMAIN) == pytest.approx([3.0 / speed])
    assert _seconds(model, "m", ProcessKind.ADVECTION_CELL) == pytest.approx([0.1 / speed])
    assert _seconds(model, "m", ProcessKind.REACTION) == pytest.approx([1 / rate])


def test_a_diffusion_coefficient_of_the_wrong_dimension_gives_no_estimate() -> None:
    model = _model(ROD.replace(':k a sb:Parameter ; sb:value 45.0 ; sb:unit "W/(m.K)" .',
                               ':k a sb:Parameter ; sb:value 45.0 ; sb:unit "W/K" .'))
    assert _seconds(model, "m", ProcessKind.DIFFUSION_CELL) == []


# -- compartments -----------------------------------------------------------------------------


def test_residence_times_of_the_two_compartment_example_are_v_over_q() -> None:
    model = _example("two_compartment")
    scales = estimate_submodel(model, "https://w3id.org/scalebridge/examples/two_compartment#pk")
    q = 60.0 / 3600 / 1000  # 60 L/h in m^3/s
    expected = sorted([5e-3 / q, 25e-3 / q] * 2)  # each flow leaves one and enters the other
    assert sorted(p.seconds for p in scales.process(ProcessKind.RESIDENCE)) == pytest.approx(
        expected
    )


def test_eigenvalues_of_the_two_compartment_example_include_the_carrier_flows() -> None:
    model = _example("two_compartment")
    scales = estimate_submodel(model, "https://w3id.org/scalebridge/examples/two_compartment#pk")
    q, cl, kp, vb, vt = 60 / 3.6e6, 6 / 3.6e6, 2.0, 5e-3, 25e-3
    jacobian = np.array([[-(q + cl) / vb, q / (kp * vb)], [q / vt, -q / (kp * vt)]])
    rates = np.abs(np.linalg.eigvals(jacobian).real)
    assert sorted(abs(e.real) for e in scales.eigenvalues) == pytest.approx(sorted(rates))
    fast = scales.process(ProcessKind.MODE_FAST)[0]
    slow = scales.process(ProcessKind.MODE_SLOW)[0]
    assert fast.seconds == pytest.approx(1 / rates.max())
    assert slow.seconds == pytest.approx(1 / rates.min())
    assert fast.source.endswith("#blood_balance")  # the fast mode lives mostly in the blood


LINEAR = """
:m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :ea, :eb .
:box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "L" ] .
:A a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
:B a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 0.0 .
:a a sb:Parameter ; sb:value 3.0 ; sb:unit "1/s" .
:b a sb:Parameter ; sb:value 0.5 ; sb:unit "1/s" .
:c a sb:Parameter ; sb:value 1.0 ; sb:unit "1/s" .
:d a sb:Parameter ; sb:value 0.25 ; sb:unit "1/s" .
:ea a sb:Equation ; sb:rateOf :A ; sb:hasTerm [ a sb:Reaction ; sb:expression "b * B - a * A" ] .
:eb a sb:Equation ; sb:rateOf :B ; sb:hasTerm [ a sb:Reaction ; sb:expression "c * A - d * B" ] .
"""


def test_eigenvalues_of_a_linear_two_by_two_system_match_numpy() -> None:
    scales = estimate_submodel(_model(LINEAR), NS + "m")
    expected = np.linalg.eigvals(np.array([[-3.0, 0.5], [1.0, -0.25]]))
    assert sorted(e.real for e in scales.eigenvalues) == pytest.approx(sorted(expected.real))
    times = sorted(p.seconds for p in scales.processes)
    assert times == pytest.approx(sorted(1 / np.abs(expected.real)))


def test_a_capacity_divides_the_right_hand_side() -> None:
    # V dC/dt = -CL * C with V = 2 L and CL = 0.5 L/s: the rate is CL / V.
    model = _model("""
:m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e .
:box a sb:Compartment ; sb:volume :V .
:V a sb:Parameter ; sb:value 2.0 ; sb:unit "L" .
:CL a sb:Parameter ; sb:value 0.5 ; sb:unit "L/s" .
:C a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
:e a sb:Equation ; sb:rateOf :C ; sb:capacity :V ;
    sb:hasTerm [ a sb:Sink ; sb:expression "CL * C" ] .
""")
    assert _seconds(model, "m", ProcessKind.MODE_FAST) == pytest.approx([2.0 / 0.5])
    # a sink removes: the mode decays
    assert estimate_submodel(model, NS + "m").eigenvalues == pytest.approx((-0.5 / 2.0,))


def test_a_nonlinear_rate_is_linearised_at_the_initial_state_through_a_relation() -> None:
    # r = k * C^2 (an algebraic variable); d(-r)/dC = -2 k C0.
    model = _model("""
:m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e ; sb:hasRelation :rate_law .
:box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "L" ] .
:C a sb:Field ; sb:on :box ; sb:unit "mol/m3" ; sb:initialValue 4.0 .
:k a sb:Parameter ; sb:value 0.05 ; sb:unit "m3/(mol.s)" .
:r a sb:AlgebraicVariable ; sb:unit "mol/(m3.s)" .
:rate_law a sb:AlgebraicRelation ; sb:defines :r ; sb:expression "k * C^2" .
:e a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Sink ; sb:expression "r" ] .
""")
    assert _seconds(model, "m", ProcessKind.MODE_FAST) == pytest.approx([1 / (2 * 0.05 * 4.0)])


def test_a_steady_balance_is_eliminated() -> None:
    # dA/dt = -k1 A + k2 S ; 0 = k1 A - (k2 + k3) S  =>  dA/dt = (-k1 + k1 k2 / (k2 + k3)) A
    model = _model("""
:m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :ea, :es .
:box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "L" ] .
:A a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
:S a sb:Field ; sb:on :box ; sb:unit "mg/L" .
:k1 a sb:Parameter ; sb:value 2.0 ; sb:unit "1/s" .
:k2 a sb:Parameter ; sb:value 3.0 ; sb:unit "1/s" .
:k3 a sb:Parameter ; sb:value 1.0 ; sb:unit "1/s" .
:ea a sb:Equation ; sb:rateOf :A ; sb:hasTerm [ a sb:Reaction ; sb:expression "k2 * S - k1 * A" ] .
:es a sb:Equation ; sb:steadyStateOf :S ;
    sb:hasTerm [ a sb:Reaction ; sb:expression "k1 * A - (k2 + k3) * S" ] .
""")
    effective = 2.0 - 2.0 * 3.0 / (3.0 + 1.0)
    assert _seconds(model, "m", ProcessKind.MODE_FAST) == pytest.approx([1 / effective])


def test_a_random_parameter_is_taken_at_its_nominal_value() -> None:
    model = _model("""
:m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e .
:box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "L" ] .
:C a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
:k a sb:Parameter ; sb:unit "1/h" ;
    sb:distribution [ a sb:Uniform ; sb:lowerBound 1.0 ; sb:upperBound 3.0 ] .
:e a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Reaction ; sb:expression "-k * C" ] .
""")
    assert _seconds(model, "m", ProcessKind.MODE_FAST) == pytest.approx([3600.0 / 2.0])


def test_an_unknown_parameter_leaves_a_note_and_no_estimate() -> None:
    model = _model("""
:m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e .
:box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "L" ] .
:C a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
:k a sb:Parameter ; sb:unit "1/h" ; sb:providedBy :b .
:b a sb:ParameterPassing ; sb:source :C ; sb:target :k .
:e a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Reaction ; sb:expression "-k * C" ] .
""")
    scales = estimate_submodel(model, NS + "m")
    assert scales.processes == () and scales.time is None
    assert any("no value is known for k" in note for note in scales.notes)


def test_a_term_that_does_not_depend_on_the_unknown_parameter_is_still_estimated() -> None:
    model = _model("""
:m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e .
:box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "L" ] .
:C a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
:q a sb:Parameter ; sb:unit "mg/(L.s)" ; sb:providedBy :b .
:k a sb:Parameter ; sb:value 0.25 ; sb:unit "1/s" .
:b a sb:ParameterPassing ; sb:source :C ; sb:target :q .
:e a sb:Equation ; sb:rateOf :C ;
    sb:hasTerm [ a sb:Source ; sb:expression "q" ] , [ a sb:Reaction ; sb:expression "-k * C" ] .
""")
    assert _seconds(model, "m", ProcessKind.MODE_FAST) == pytest.approx([4.0])


def test_a_standalone_transfer_moves_between_two_balances() -> None:
    # V1 dA/dt = -PS (A - B), V2 dB/dt = PS (A - B): eigenvalues 0 and -PS (1/V1 + 1/V2).
    model = _model("""
:m a sb:Submodel ; sb:onDomain :one, :two ; sb:hasEquation :ea, :eb .
:one a sb:Compartment ; sb:volume :V1 .
:two a sb:Compartment ; sb:volume :V2 .
:V1 a sb:Parameter ; sb:value 1.0 ; sb:unit "L" .
:V2 a sb:Parameter ; sb:value 4.0 ; sb:unit "L" .
:PS a sb:Parameter ; sb:value 2.0 ; sb:unit "L/min" .
:A a sb:Field ; sb:on :one ; sb:unit "mg/L" ; sb:initialValue 1.0 .
:B a sb:Field ; sb:on :two ; sb:unit "mg/L" ; sb:initialValue 0.0 .
:ea a sb:Equation ; sb:rateOf :A ; sb:capacity :V1 .
:eb a sb:Equation ; sb:rateOf :B ; sb:capacity :V2 .
:x a sb:Transfer ; sb:from :A ; sb:to :B ; sb:rate [ sb:expression "PS * (A - B)" ] .
""")
    ps = 2e-3 / 60
    expected = ps * (1 / 1e-3 + 1 / 4e-3)
    scales = estimate_submodel(model, NS + "m")
    assert [p.seconds for p in scales.processes] == pytest.approx([1 / expected])
    assert sorted(e.real for e in scales.eigenvalues) == pytest.approx([-expected, 0.0])


# -- ranges -----------------------------------------------------------------------------------


def test_the_estimated_time_range_runs_from_the_fastest_process_to_the_duration() -> None:
    with_duration = _model(LINEAR.replace(
        ":m a sb:Submodel ;", ':m a sb:Submodel ; sb:duration [ sb:value 2 ; sb:unit "h" ] ;'))
    rates = np.abs(np.linalg.eigvals(np.array([[-3.0, 0.5], [1.0, -0.25]])).real)
    time = estimate_submodel(with_duration, NS + "m").time
    assert time is not None and not time.declared
    assert (time.grain, time.extent) == pytest.approx((1 / rates.max(), 7200.0))
    without = estimate_submodel(_model(LINEAR), NS + "m").time
    assert without is not None
    assert (without.grain, without.extent) == pytest.approx((1 / rates.max(), 1 / rates.min()))


def test_a_declared_range_wins_over_the_estimates() -> None:
    model = _model(ROD.replace(
        ":m a sb:Submodel ;",
        f":m a sb:Submodel ; sb:timeScale {_span('2 ms', '3 min')} ; "
        f"sb:lengthScale {_span('1 mm', '1 m')} ;"))
    scales = estimate_submodel(model, NS + "m")
    assert scales.time == ScaleSpan(2e-3, 180.0, declared=True)
    assert scales.length == ScaleSpan(1e-3, 1.0, declared=True)
    assert scales.processes  # the estimates are still made, for the under-resolution check


@pytest.mark.parametrize(
    ("grain", "extent", "fragment"),
    [
        ("5 s", "1 s", "not below its extent"),
        ("1 s", "1 s", "not below its extent"),
        ("-1 s", "1 s", "not positive"),
        ("1 m", "1 s", "has dimension m"),
    ],
)
def test_invalid_declared_ranges_are_problems(grain: str, extent: str, fragment: str) -> None:
    model = _model(ROD.replace(":m a sb:Submodel ;",
                               f":m a sb:Submodel ; sb:timeScale {_span(grain, extent)} ;"))
    scales = estimate_submodel(model, NS + "m")
    problem = scales.problem("time")
    assert problem is not None and fragment in problem.message
    assert scales.declared_time is None
    assert scales.time is not None and not scales.time.declared  # the estimates stand in


def test_estimated_lengths_of_intervals_and_compartments() -> None:
    rod = estimate_submodel(_model(ROD), NS + "m").length
    assert rod is not None and (rod.grain, rod.extent) == pytest.approx((0.01, 0.5))
    boxes = estimate_submodel(_example("two_compartment"),
                              "https://w3id.org/scalebridge/examples/two_compartment#pk").length
    assert boxes is not None
    assert (boxes.grain, boxes.extent) == pytest.approx((5e-3 ** (1 / 3), 25e-3 ** (1 / 3)))


def test_the_examples_are_not_under_resolved_by_a_factor_two() -> None:
    for name in ("heat_rod", "two_compartment"):
        model = _example(name)
        for scales in analyse_timescales(model).submodels.values():
            assert scales.declared_time is not None
            assert all(2 * p.seconds >= scales.declared_time.grain for p in scales.processes)


# -- classification ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "margin", "relation", "ratio"),
    [
        ((1e-3, 10.0), (1.0, 3600.0), 1.0, Separation.OVERLAPPING, 0.1),
        ((1e-6, 0.1), (1.0, 3600.0), 1.0, Separation.SEPARATED, 10.0),
        ((1e-6, 0.1), (1.0, 3600.0), 10.0, Separation.SEPARATED, 10.0),
        ((1e-6, 0.1), (1.0, 3600.0), 100.0, Separation.ADJACENT, 10.0),
        ((1e-3, 1.0), (1.0, 3600.0), 1.0, Separation.ADJACENT, 1.0),
        ((1.0, 3600.0), (1e-3, 1.0), 1.0, Separation.ADJACENT, 1.0),  # order does not matter
        ((1e-3, 3600.0), (1.0, 10.0), 1.0, Separation.OVERLAPPING, 1e-4),  # one inside the other
        ((1e-6, 0.1), (1.0, 3600.0), 0.5, Separation.SEPARATED, 10.0),  # margins below 1 are 1
    ],
)
def test_classification_table(
    a: tuple[float, float],
    b: tuple[float, float],
    margin: float,
    relation: Separation,
    ratio: float,
) -> None:
    result = classify(ScaleSpan(*a), ScaleSpan(*b), margin, ("A", "B"))
    assert result.relation is relation
    assert result.ratio == pytest.approx(ratio)
    fast = "A" if a[1] <= b[1] else "B"
    assert (result.fast, result.slow) == (fast, "B" if fast == "A" else "A")


def test_a_ratio_equal_to_the_margin_within_rounding_is_separated() -> None:
    result = classify(ScaleSpan(1e-3, 0.1), ScaleSpan(1.0 + 1e-13, 10.0), 10.0)
    assert result.relation is Separation.SEPARATED


# -- couplings --------------------------------------------------------------------------------

PAIR = """
:macro a sb:Submodel ; sb:onDomain :tank ; sb:hasEquation :tank_balance ; sb:timeScale {macro} .
:tank a sb:Compartment ; sb:volume [ sb:value 2.0 ; sb:unit "L" ] .
:C a sb:Field ; sb:on :tank ; sb:unit "mg/L" ; sb:initialValue 5.0 .
:k a sb:Parameter ; sb:unit "1/s" ; sb:providedBy :up .
:tank_balance a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Reaction ; sb:expression "-k * C" ] .
:micro a sb:Submodel ; sb:onDomain :cell ; sb:hasEquation :cell_balance ; sb:timeScale {micro} .
:cell a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "uL" ] .
:A a sb:Field ; sb:on :cell ; sb:unit "mg/L" ; sb:initialValue 1.0 .
:k_cell a sb:Parameter ; sb:value 100.0 ; sb:unit "1/s" .
:cell_balance a sb:Equation ; sb:rateOf :A ;
    sb:hasTerm [ a sb:Reaction ; sb:expression "-k_cell * A" ] .
:up a sb:Homogenization ; sb:source :k_cell ; sb:target :k .
:c1 a {kind} ; sb:between :micro, :macro ; sb:via :up {extra} .
"""


def _pair(kind: str, micro: tuple[str, str], macro: tuple[str, str], extra: str = "",
          model: str = "") -> Model:
    return _model(model + PAIR.format(kind=kind, micro=_span(*micro), macro=_span(*macro),
                                      extra=extra))


@pytest.mark.parametrize(
    ("kind", "micro", "status", "template", "implied"),
    [
        ("sb:Hierarchical", ("1 ms", "10 s"), Status.NOT_SEPARATED, Template.CALL_RELEASE,
         Template.INTERACT),
        ("sb:Hierarchical", ("1 us", "100 ms"), Status.ACCEPTED, Template.CALL_RELEASE,
         Template.CALL_RELEASE),
        ("sb:Concurrent", ("1 us", "100 ms"), Status.SEPARATED_CONCURRENT, Template.INTERACT,
         Template.CALL_RELEASE),
        ("sb:Concurrent", ("1 ms", "10 s"), Status.ACCEPTED, Template.INTERACT,
         Template.INTERACT),
    ],
)
def test_coupling_verdicts(
    kind: str, micro: tuple[str, str], status: Status, template: Template, implied: Template
) -> None:
    verdict = analyse_timescales(_pair(kind, micro, ("1 s", "1 h"))).couplings[NS + "c1"]
    assert (verdict.status, verdict.template, verdict.implied) == (status, template, implied)
    assert verdict.time.fast == NS + "micro" and verdict.time.slow == NS + "macro"


def test_the_margin_comes_from_the_coupling_else_the_model_else_one() -> None:
    micro, macro = ("1 us", "100 ms"), ("1 s", "1 h")  # ratio 10
    plain = analyse_timescales(_pair("sb:Hierarchical", micro, macro)).couplings[NS + "c1"]
    assert plain.margin == 1.0 and plain.status is Status.ACCEPTED
    on_model = ':whole a sb:Model ; sb:hasSubmodel :micro, :macro ; sb:hasCoupling :c1 ; ' \
               'sb:scaleSeparationMargin 100.0 .\n'
    strict = analyse_timescales(_pair("sb:Hierarchical", micro, macro, model=on_model))
    assert strict.couplings[NS + "c1"].margin == 100.0
    assert strict.couplings[NS + "c1"].status is Status.NOT_SEPARATED
    relaxed = analyse_timescales(_pair("sb:Hierarchical", micro, macro,
                                       extra="; sb:scaleSeparationMargin 5.0", model=on_model))
    assert relaxed.couplings[NS + "c1"].margin == 5.0
    assert relaxed.couplings[NS + "c1"].status is Status.ACCEPTED


def test_space_is_classified_from_the_length_ranges() -> None:
    model = _pair("sb:Hierarchical", ("1 us", "100 ms"), ("1 s", "1 h"))
    space = analyse_timescales(model).couplings[NS + "c1"].space
    cell, tank = (1e-9) ** (1 / 3), (2e-3) ** (1 / 3)
    assert space.relation is Separation.SEPARATED
    assert space.ratio == pytest.approx(tank / cell)


NESTING = """
:driver a sb:Submodel ; sb:onDomain :tank ; sb:hasEquation :tank_balance ; sb:timeScale {driver} .
:tank a sb:Compartment ; sb:volume [ sb:value 2.0 ; sb:unit "L" ] .
:C a sb:Field ; sb:on :tank ; sb:unit "mg/L" ; sb:initialValue 5.0 .
:k a sb:Parameter ; sb:value 1.0e-4 ; sb:unit "1/s" .
:tank_balance a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Reaction ; sb:expression "-k * C" ] .
:driven a sb:Submodel ; sb:onDomain :film ; sb:hasEquation :film_balance ; sb:timeScale {driven} .
:film a sb:Interval ; sb:length [ sb:value 1.0 ; sb:unit "mm" ] ; sb:cells 10 ;
    sb:boundary [ a sb:Boundary ; sb:at sb:Left ;
                  sb:condition [ a sb:ForcedByBridge ; sb:forcedBy :nest ] ] .
:u a sb:Field ; sb:on :film ; sb:unit "mg/L" ; sb:initialValue 0.0 .
:D a sb:Parameter ; sb:value 1.0e-9 ; sb:unit "m2/s" .
:film_balance a sb:Equation ; sb:rateOf :u ; sb:hasTerm [ a sb:Diffusion ; sb:coefficient :D ] .
:nest a sb:BoundaryForcing ; sb:source :C ; sb:target :u .
:c1 a sb:OneWayNesting ; sb:between :driven, :driver ; sb:via :nest .
"""


@pytest.mark.parametrize(
    ("driver", "status"),
    [(("1 ms", "1 h"), Status.NESTING_INVERTED), (("1 min", "1 d"), Status.ACCEPTED)],
)
def test_one_way_nesting_is_directed_by_its_bridge(driver: tuple[str, str], status: Status) -> None:
    model = _model(NESTING.format(driver=_span(*driver), driven=_span("1 s", "1 h")))
    verdict = analyse_timescales(model).couplings[NS + "c1"]
    assert (verdict.driving, verdict.driven) == (NS + "driver", NS + "driven")
    assert verdict.template is Template.DISPATCH
    assert verdict.status is status


def test_a_coupling_with_unknown_time_scales_has_an_unknown_verdict() -> None:
    model = _model(PAIR.format(kind="sb:Concurrent", micro=_span("1 ms", "1 s"),
                               macro=_span("1 s", "1 h"), extra="")
                   .replace(" ; sb:timeScale " + _span("1 s", "1 h"), ""))
    verdict = analyse_timescales(model).couplings[NS + "c1"]
    assert verdict.status is Status.UNKNOWN and verdict.implied is None
    assert "macro" in verdict.reason


# -- formatting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1e-3, "1 ms"), (10.0, "10 s"), (8.547, "8.55 s"), (300.0, "5 min"), (10800.0, "3 h"),
     (2 * 86400.0, "2 d"), (2.5e-7, "250 ns"), (59.0, "59 s")],
)
def test_format_time(seconds: float, text: str) -> None:
    assert format_time(seconds) == text


def test_format_length_and_ratio() -> None:
    assert (format_length(0.01), format_length(1.42e-10), format_length(2.0)) == (
        "1 cm", "142 pm", "2 m")
    assert (format_ratio(0.1667), format_ratio(1000.0), format_ratio(math.pi)) == (
        "0.167", "1000", "3.14")
