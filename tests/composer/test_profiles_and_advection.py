"""Composed models with velocities and conductivities that vary in space, steady advection,
columns forcing a side as a profile, quasi-steady submodels in a coupled run, bridges that
read a table against the clock, and fields derived from a field: the generated module against
closed forms and against the interpreter."""

from __future__ import annotations

import math
from pathlib import Path

import numpy
import pytest

from scalebridge.composer import compose_files
from scalebridge.composer.interpret import interpret
from scalebridge.composer.ir import Method
from scalebridge.runner import load_solver

PREFIXES = """
@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix :     <https://example.org/profiles#> .
"""

# A steady column 0 = d/dx(kappa u* (x + z0) du/dx), u(0) = 0, kappa u* (x+z0) du/dx = u*^2 at
# the top: the log law (u*/kappa) ln((x + z0)/z0).
COLUMN = PREFIXES + """
:column_model a sb:Submodel ; sb:onDomain :column ; sb:hasEquation :stress .
:column a sb:Interval ; sb:length [ sb:value 100.0 ; sb:unit unit:M ] ; sb:cells 10 ;
    sb:boundary [ sb:at sb:Left ; sb:condition [ a sb:Dirichlet ; sb:boundaryValue :rest ] ],
                [ sb:at sb:Right ; sb:condition [ a sb:Neumann ;
                    sb:flux [ sb:expression "u_star^2" ; sb:unit unit:M2-PER-SEC2 ] ] ] .
:U a sb:Field ; sb:on :column ; sb:unit unit:M-PER-SEC ; sb:initialValue 0.0 .
:rest a sb:Parameter ; sb:value 0.0 ; sb:unit unit:M-PER-SEC .
:u_star a sb:Parameter ; sb:value 0.5 ; sb:unit unit:M-PER-SEC .
:z0 a sb:Parameter ; sb:value 0.03 ; sb:unit unit:M .
:kappa a sb:Parameter ; sb:value 0.4 ; sb:unit unit:UNITLESS .
:stress a sb:Equation ; sb:steadyStateOf :U ;
    sb:hasTerm [ a sb:Diffusion ; sb:coefficient [ sb:expression "kappa * u_star * (x + z0)" ;
                                                  sb:unit unit:M2-PER-SEC ] ] .
"""

# Steady advection-diffusion along a rod: 0 = -v du/dx + D d2u/dx2, u(0) = 0, u(L) = 1.
RIVER = PREFIXES + """
:river_model a sb:Submodel ; sb:onDomain :river ; sb:hasEquation :transport .
:river a sb:Interval ; sb:length [ sb:value 1.0 ; sb:unit unit:M ] ; sb:cells 40 ;
    sb:boundary [ sb:at sb:Left ; sb:condition [ a sb:Dirichlet ; sb:boundaryValue :low ] ],
                [ sb:at sb:Right ; sb:condition [ a sb:Dirichlet ; sb:boundaryValue :high ] ] .
:c a sb:Field ; sb:on :river ; sb:unit unit:UNITLESS ; sb:initialValue 0.0 .
:low a sb:Parameter ; sb:value 0.0 ; sb:unit unit:UNITLESS .
:high a sb:Parameter ; sb:value 1.0 ; sb:unit unit:UNITLESS .
:v a sb:Parameter ; sb:value 5.0 ; sb:unit unit:M-PER-SEC .
:D a sb:Parameter ; sb:value 1.0 ; sb:unit unit:M2-PER-SEC .
:transport a sb:Equation ; sb:steadyStateOf :c ;
    sb:hasTerm [ a sb:Advection ; sb:velocity :v ], [ a sb:Diffusion ; sb:coefficient :D ] .
"""

# A column whose profile follows a table against the clock (nudged to it) forces the inflow of
# a steady 2-D field advected by a sheared wind with no diffusion: each row carries its inflow
# value unchanged, so the field is the column's profile in every column of cells.  The wind's
# scale w reaches the steady field from a table against the clock too.
NESTED = PREFIXES + """
:nested a sb:Model ; sb:hasSubmodel :coarse, :fine ; sb:hasCoupling :nesting .
:coarse a sb:Submodel ; sb:onDomain :column ; sb:hasEquation :nudge ;
    sb:hasRelation :clock_rel ;
    sb:duration [ sb:value 3.0 ; sb:unit unit:HR ] ;
    sb:outputInterval [ sb:value 1.0 ; sb:unit unit:HR ] ;
    sb:timeStep [ sb:value 60.0 ; sb:unit unit:SEC ] ;
    sb:timeScale [ sb:grain [ sb:value 60.0 ; sb:unit unit:SEC ] ;
                   sb:extent [ sb:value 3.0 ; sb:unit unit:HR ] ] .
:column a sb:Interval ; sb:length [ sb:value 10.0 ; sb:unit unit:M ] ; sb:cells 5 ;
    sb:boundary [ sb:at sb:Left ; sb:condition [ a sb:Neumann ; sb:flux :none ] ],
                [ sb:at sb:Right ; sb:condition [ a sb:Neumann ; sb:flux :none ] ] .
:none a sb:Parameter ; sb:value 0.0 ; sb:unit unit:M2-PER-SEC2 .
:C a sb:Field ; sb:on :column ; sb:unit unit:M-PER-SEC ; sb:initialValue "a * (1 + x / H)" .
:H a sb:Parameter ; sb:value 10.0 ; sb:unit unit:M .
:tau a sb:Parameter ; sb:value 1.0 ; sb:unit unit:SEC .
:hour a sb:AlgebraicVariable ; sb:unit unit:HR .
:clock_rel a sb:AlgebraicRelation ; sb:defines :hour ; sb:expression "t" .
:a a sb:Parameter ; sb:unit unit:M-PER-SEC ;
    sb:table [ a sb:Table ; sb:argument :hour ; sb:argumentValues ( 0 3 ) ;
               sb:values ( 2.0 5.0 ) ] .
:nudge a sb:Equation ; sb:rateOf :C ;
    sb:hasTerm [ a sb:Reaction ; sb:expression "(a * (1 + x / H) - C) / tau" ] .

:fine a sb:Submodel ; sb:onDomain :plane ; sb:hasEquation :carried ;
    sb:hasRelation :ratio_rel ;
    sb:timeScale [ sb:grain [ sb:value 1.0 ; sb:unit unit:SEC ] ;
                   sb:extent [ sb:value 10.0 ; sb:unit unit:SEC ] ] .
:plane a sb:Rectangle ; sb:width [ sb:value 20.0 ; sb:unit unit:M ] ;
    sb:height [ sb:value 10.0 ; sb:unit unit:M ] ; sb:cellsX 8 ; sb:cellsY 10 ;
    sb:boundary [ sb:at sb:Left ; sb:condition [ a sb:ForcedByBridge ; sb:forcedBy :inflow ] ],
                [ sb:at sb:Right ; sb:condition [ a sb:Neumann ; sb:flux :none ] ],
                [ sb:at sb:Bottom ; sb:condition [ a sb:Neumann ; sb:flux :none ] ],
                [ sb:at sb:Top ; sb:condition [ a sb:Neumann ; sb:flux :none ] ] .
:u a sb:Field ; sb:on :plane ; sb:unit unit:M-PER-SEC ; sb:initialValue 0.0 .
:w a sb:Parameter ; sb:unit unit:M-PER-SEC ; sb:providedBy :pass_w .
:carried a sb:Equation ; sb:steadyStateOf :u ;
    sb:hasTerm [ a sb:Advection ;
                 sb:velocity [ sb:expression "w * (1 + y / H)" ; sb:unit unit:M-PER-SEC ] ] .
:ratio a sb:AlgebraicVariable ; sb:unit unit:UNITLESS .
:ratio_rel a sb:AlgebraicRelation ; sb:defines :ratio ; sb:expression "u / w" .

:inflow a sb:BoundaryForcing ; sb:source :C ; sb:target :u .
:pass_w a sb:Localization ; sb:source :a ; sb:target :w .
:nesting a sb:OneWayNesting ; sb:between :coarse, :fine ; sb:via :inflow, :pass_w .
"""


def _compose(tmp_path: Path, text: str, name: str):  # type: ignore[no-untyped-def]
    model = tmp_path / f"{name}.ttl"
    model.write_text(text, encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert composition.source is not None, [d.message for d in composition.report]
    solver = tmp_path / f"{name}.py"
    solver.write_text(composition.source, encoding="utf-8")
    return composition.program, load_solver(solver), composition.source


def test_a_log_law_column_is_exact_with_a_conductivity_of_the_coordinate(tmp_path: Path
                                                                          ) -> None:
    program, module, source = _compose(tmp_path, COLUMN, "column")
    (field,) = program.submodels[0].fields
    assert field.resistances is not None  # k of x: half cells integrated in closed form
    assert "VaryingConductivity" in source and "linear=True" in source
    _times, states = module.run()["column_model"]
    x = (numpy.arange(10) + 0.5) * 10.0
    exact = 0.5 / 0.4 * numpy.log((x + 0.03) / 0.03)
    assert states["U"][0] == pytest.approx(exact, rel=1e-12)
    assert interpret(program)["column_model"][1]["U"][0] == pytest.approx(exact, rel=1e-12)


def test_a_piecewise_conductivity_keeps_the_harmonic_mean(tmp_path: Path) -> None:
    text = COLUMN.replace('"kappa * u_star * (x + z0)"',
                          '"kappa * u_star * piecewise(x < 1000 * z0, x + z0, 2 * (x + z0))"')
    program, _module, _source = _compose(tmp_path, text, "layers")
    assert program.submodels[0].fields[0].resistances is None


def test_steady_advection_diffusion_converges_to_the_exponential_profile(tmp_path: Path
                                                                         ) -> None:
    """0 = -v c' + D c'', c(0) = 0, c(1) = 1: c = (exp(Pe x) - 1)/(exp(Pe) - 1), Pe = 5; the
    upwind scheme converges at first order."""
    errors = []
    for cells in (40, 80, 160):
        program, module, source = _compose(
            tmp_path, RIVER.replace("sb:cells 40", f"sb:cells {cells}"), f"river_{cells}")
        assert program.submodels[0].schedule.method is Method.STEADY
        assert "advection_matrix_1d" in source
        found = module.run()["river_model"][1]["c"][0]
        assert interpret(program)["river_model"][1]["c"][0] == pytest.approx(found, abs=1e-12)
        x = (numpy.arange(cells) + 0.5) / cells
        exact = numpy.expm1(5.0 * x) / math.expm1(5.0)
        errors.append(float(numpy.max(numpy.abs(found - exact))))
    assert errors[0] < 0.05
    assert errors[0] / errors[1] == pytest.approx(2.0, rel=0.15)
    assert errors[1] / errors[2] == pytest.approx(2.0, rel=0.15)


def test_a_column_forces_a_side_as_a_profile_every_hour(tmp_path: Path) -> None:
    program, module, source = _compose(tmp_path, NESTED, "nested")
    coupling = program.coupling
    assert coupling is not None
    assert coupling.steady == ("fine",) and coupling.macro_step == 3600.0
    assert coupling.horizon == 10800.0
    assert [name for name, _expr in coupling.timed] == ["a"]
    (inflow,) = [e for e in program.exchanges if e.name == "inflow"]
    assert inflow.sources == (("coarse", "C/cells"),)
    assert inflow.positions is not None and len(inflow.positions[1]) == 10
    assert "def clock(p, t):" in source
    generated = module.run()
    interpreted = interpret(program)
    times, fine = generated["fine"]
    assert times.tolist() == [0.0, 3600.0, 7200.0, 10800.0]
    hours = times / 3600.0
    a = 2.0 + hours  # the table, read here
    y = (numpy.arange(10) + 0.5)  # the side's faces (m)
    for row in range(4):
        # the column (cells at 1, 3, ..., 9 m) interpolated to the faces, constant beyond
        column = generated["coarse"][1]["C"][row]
        expected = numpy.interp(y, (numpy.arange(5) + 0.5) * 2.0, column)
        assert fine["u"][row] == pytest.approx(numpy.broadcast_to(expected, (8, 10)),
                                               rel=1e-12)
        # the column is the table's profile, to its lag: backward Euler steps of a minute,
        # nudged in a second, trail a target rising 1/60 m/s a step by about a sixtieth of it
        assert column == pytest.approx(a[row] * (1 + (numpy.arange(5) + 0.5) * 2.0 / 10.0),
                                       rel=2e-4)
        # the derived field u/w, with the w of that hour
        assert fine["ratio"][row] == pytest.approx(fine["u"][row] / a[row], rel=1e-12)
    for name in ("coarse", "fine"):
        for key, values in generated[name][1].items():
            assert interpreted[name][1][key] == pytest.approx(values, rel=1e-12, abs=1e-12), key
