"""Run summaries: each scalar state's largest value, its time and its integral (Cmax, tmax, AUC).

Checked against closed forms: the Bateman function of first-order absorption and elimination
(exact on a coarse output grid, since the model is linear), a state that peaks between two
output times, a nonlinear model (sampled: the trapezoidal rule and the largest output value),
and the unit conversion into the declared unit.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy
import pytest

from scalebridge.runner import run_files
from scalebridge.summaries import SUBSTEPS, exact_summaries, sampled_summary

ORAL = """
@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix :     <https://example.org/oral#> .

:drug a sb:ConservedQuantity .
:pk a sb:Submodel ; sb:onDomain :gut, :body ; sb:hasEquation :gut_balance, :body_balance ;
    sb:duration [ sb:value 12.0 ; sb:unit unit:HR ] ;
    sb:outputInterval [ sb:value 30.0 ; sb:unit unit:MIN ] .
:gut a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit unit:L ] .
:body a sb:Compartment ; sb:volume :V .
:V a sb:Parameter ; sb:value 40.0 ; sb:unit unit:L .
:D a sb:Parameter ; sb:value 100.0 ; sb:unit unit:MilliGM .
:ka a sb:Parameter ; sb:value 1.5 ; sb:unit unit:PER-HR .
:CL a sb:Parameter ; sb:value 8.0 ; sb:unit unit:L-PER-HR .
:A a sb:Field ; sb:on :gut ; sb:unit unit:MilliGM ; sb:initialValue "D" .
:C a sb:Field ; sb:on :body ; sb:unit unit:MilliGM-PER-L ; sb:initialValue 0.0 .
:absorption a sb:Transfer ; sb:from :A ; sb:to :C ;
    sb:rate [ sb:expression "ka * A" ; sb:unit unit:MilliGM-PER-HR ] .
:gut_balance a sb:Equation ; sb:conserves :drug ; sb:rateOf :A .
:body_balance a sb:Equation ; sb:conserves :drug ; sb:rateOf :C ; sb:capacity :V ;
    sb:hasTerm [ a sb:Sink ; sb:expression "CL * C" ] .
"""


def _run(tmp_path: Path, text: str) -> dict:  # type: ignore[type-arg]
    model = tmp_path / "model.ttl"
    model.write_text(text, encoding="utf-8")
    outcome = run_files([model], out=tmp_path / "out", reasoner=False)
    assert outcome.directory is not None, [d.message for d in outcome.report]
    found: dict = json.loads(  # type: ignore[type-arg]
        (outcome.directory / "results.json").read_text(encoding="utf-8"))
    return found


def test_the_bateman_function_is_summarised_exactly_on_a_coarse_grid(tmp_path: Path) -> None:
    summary = _run(tmp_path, ORAL)["submodels"]["pk"]["summary"]
    d, v, ka, k, hours = 100.0, 40.0, 1.5, 8.0 / 40.0, 12.0
    tmax = math.log(ka / k) / (ka - k)  # h: 1.55, between the outputs at 1.5 h and 2 h

    def c(t: float) -> float:
        return d * ka / (v * (ka - k)) * (math.exp(-k * t) - math.exp(-ka * t))

    auc = d * ka / (v * (ka - k)) * ((1 - math.exp(-k * hours)) / k
                                     - (1 - math.exp(-ka * hours)) / ka)
    body = summary["C"]
    assert body["method"] == "exact"
    assert body["time_of_max"] == pytest.approx(tmax * 3600, rel=1e-9)
    assert body["max"] == pytest.approx(c(tmax), rel=1e-12)
    assert body["integral"] / 3600 == pytest.approx(auc, rel=1e-11)  # mg h/L
    assert body["integral_unit"] == "(unit:MilliGM-PER-L)*s" and body["time_unit"] == "s"
    # the trapezoidal rule on the half-hour grid would be off by about 1 %
    grid = numpy.linspace(0.0, hours, 25)
    trapezoid = float(numpy.trapezoid([c(t) for t in grid], grid))
    assert abs(trapezoid / auc - 1) > 5e-3
    gut = summary["A"]  # largest at the start, integral D (1 - e^(-ka T)) / ka
    assert gut["max"] == pytest.approx(d, rel=1e-14) and gut["time_of_max"] == 0.0
    assert gut["integral"] / 3600 == pytest.approx(d * (1 - math.exp(-ka * hours)) / ka,
                                                   rel=1e-11)


def test_a_nonlinear_model_is_summarised_from_its_outputs(tmp_path: Path) -> None:
    text = ORAL.replace('sb:expression "CL * C"', 'sb:expression "CL * C / (1 + C / Km)"')
    text += ":Km a sb:Parameter ; sb:value 1.0 ; sb:unit unit:MilliGM-PER-L .\n"
    sidecar = _run(tmp_path, text)
    body = sidecar["submodels"]["pk"]["summary"]["C"]
    assert body["method"] == "sampled"
    with numpy.load(tmp_path / "out" / "results.npz") as arrays:
        times, values = arrays["pk/time"], arrays["pk/C"]
    assert body["max"] == float(values.max())
    assert body["time_of_max"] == float(times[values.argmax()])
    assert body["integral"] == pytest.approx(float(numpy.trapezoid(values, times)), rel=1e-12)


def test_a_peak_between_two_outputs_is_found_and_located() -> None:
    # Bateman again, straight through the function: rates 1/s and 0.1/s, output every 10 s;
    # the peak at ln(10)/0.9 = 2.56 s lies between the outputs at 0 and 10 s.
    a = numpy.array([[-1.0, 0.0], [1.0, -0.1]])
    b = numpy.zeros(2)
    times = numpy.linspace(0.0, 50.0, 6)
    exact = numpy.array([[math.exp(-t), (math.exp(-0.1 * t) - math.exp(-t)) / 0.9]
                         for t in times])
    first, second = exact_summaries(a, b, times, exact)
    tmax = math.log(10.0) / 0.9
    assert second.time_of_max == pytest.approx(tmax, rel=1e-10)
    assert second.maximum == pytest.approx((math.exp(-0.1 * tmax) - math.exp(-tmax)) / 0.9,
                                           rel=1e-13)
    assert second.integral == pytest.approx(
        ((1 - math.exp(-5.0)) / 0.1 - (1 - math.exp(-50.0))) / 0.9, rel=1e-12)
    assert first.maximum == 1.0 and first.time_of_max == 0.0
    assert SUBSTEPS >= 8  # the finer search that found it


def test_sampled_summaries_are_the_trapezoid_and_the_largest_output() -> None:
    found = sampled_summary(numpy.array([0.0, 1.0, 3.0]), numpy.array([1.0, 3.0, 2.0]))
    assert (found.maximum, found.time_of_max, found.integral, found.method) == (
        3.0, 1.0, 2.0 + 5.0, "sampled")
