"""The units check: each rule on small models, the cases it must leave alone, and its text output.

Dimensions in the expectations are worked out by hand in SI base units (mg/L/h is
kg m^-3 s^-1; W/m3 is kg m^-1 s^-3), never copied from the check's output.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import rdflib

from scalebridge.cli import main
from scalebridge.diagnostics import Code, Diagnostic, Severity
from scalebridge.model.build import build_model
from scalebridge.model.types import Model
from scalebridge.pipeline import validate_files
from scalebridge.validators.units import INTERCHANGEABLE_KINDS, check_units, kinds_interchangeable

REPO = Path(__file__).resolve().parents[2]
EX = "https://example.org/u#"
SB = "https://w3id.org/scalebridge/ontology#"
QK = "http://qudt.org/vocab/quantitykind/"

PREFIXES = """
@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix qk:   <http://qudt.org/vocab/quantitykind/> .
@prefix :     <https://example.org/u#> .
"""

# A compartment with a concentration C (mg/L) and a rate constant k (1/h): every term of the
# balance of C must be kg m^-3 s^-1.
BOX = """
:m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :decay .
:box a sb:Compartment ; sb:volume [ sb:value 2.0 ; sb:unit unit:L ] .
:C a sb:Field ; sb:on :box ; sb:unit unit:MilliGM-PER-L ; sb:initialValue 5.0 .
:k a sb:Parameter ; sb:value 0.1 ; sb:unit unit:PER-HR .
"""

# A steel rod: T (K), conductivity k, volumetric heat capacity rho_c; terms in W/m3.
ROD = """
:rod_model a sb:Submodel ; sb:onDomain :rod ; sb:hasEquation :heat .
:rod a sb:Interval ; sb:length [ sb:value 0.5 ; sb:unit unit:M ] ; sb:cells 20 .
:T a sb:Field ; sb:on :rod ; sb:unit unit:K ; sb:initialValue 293.15 .
:k a sb:Parameter ; sb:value 45.0 ; sb:unit unit:W-PER-M-K .
:rho_c a sb:Parameter ; sb:value 3.8e6 ; sb:unit unit:J-PER-M3-K .
:heat a sb:Equation ; sb:rateOf :T ; sb:capacity :rho_c ;
    sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k ] .
"""

RATE = "kg m^-3 s^-1"  # mg/L per hour, in SI base units
HEAT = "kg m^-1 s^-3"  # W/m3 = J/(m3 s) = kg m^2 s^-2 / (m^3 s)


def model_of(turtle: str) -> Model:
    model, _ = build_model(rdflib.Graph().parse(format="turtle", data=PREFIXES + turtle))
    return model


def units(turtle: str) -> list[Diagnostic]:
    return check_units(model_of(turtle))


def codes(turtle: str) -> list[Code]:
    return [d.code for d in units(turtle)]


def only(turtle: str, code: Code) -> Diagnostic:
    found = units(turtle)
    assert [d.code for d in found] == [code], [d.message for d in found]
    return found[0]


def box_with(term: str, extra: str = "") -> str:
    return BOX + extra + f":decay a sb:Equation ; sb:rateOf :C ; sb:hasTerm :t .\n:t {term} .\n"


# --- rule 1: every formula ------------------------------------------------------------------


def test_exp_of_a_temperature_points_at_the_term_and_quotes_the_argument() -> None:
    d = only(box_with('a sb:Reaction ; sb:expression "-k * exp(T - T_ref) * C"',
                      ":T a sb:Parameter ; sb:value 310.0 ; sb:unit unit:K .\n"
                      ":T_ref a sb:Parameter ; sb:value 298.0 ; sb:unit unit:K .\n"),
             Code.UNITS_FUNCTION_ARGUMENT)
    assert d.subject == EX + "t" and d.path == SB + "expression"
    assert '"-k * exp(T - T_ref) * C"' in d.message and "'T - T_ref'" in d.message
    assert (d.expected, d.actual) == ("1", "K")
    assert d.severity is Severity.ERROR


def test_an_arrhenius_factor_is_dimensionless() -> None:
    extra = (":E_a a sb:Parameter ; sb:value 5.0e4 ; sb:unit unit:J-PER-MOL .\n"
             ":R_gas a sb:Parameter ; sb:value 8.314 ; sb:unit unit:J-PER-MOL-K .\n"
             ":T a sb:Parameter ; sb:value 310.0 ; sb:unit unit:K .\n")
    assert codes(box_with('a sb:Reaction ; sb:expression "-k * exp(-E_a / (R_gas * T)) * C"',
                          extra)) == []


def test_a_dimensional_exponent_is_reported() -> None:
    d = only(box_with('a sb:Reaction ; sb:expression "-k * C * (C / C_ref)^n"',
                      ":C_ref a sb:Parameter ; sb:value 1.0 ; sb:unit unit:MilliGM-PER-L .\n"
                      ":n a sb:Parameter ; sb:value 2.0 ; sb:unit unit:HR .\n"),
             Code.UNITS_EXPONENT)
    assert d.actual == "s" and "'n'" in d.message


def test_a_variable_exponent_of_a_dimensional_base_is_reported() -> None:
    d = only(box_with('a sb:Reaction ; sb:expression "-k * C * C^n"',
                      ":n a sb:Parameter ; sb:value 2.0 ; sb:unit unit:UNITLESS .\n"),
             Code.UNITS_EXPONENT)
    assert "'C' has dimension kg m^-3" in d.message and "constant number" in d.message


def test_a_constant_power_of_a_ratio_passes() -> None:
    extra = ":C_ref a sb:Parameter ; sb:value 1.0 ; sb:unit unit:MilliGM-PER-L .\n"
    assert codes(box_with('a sb:Reaction ; sb:expression "-k * C * (C / C_ref)^2"', extra)) == []


def test_a_piecewise_with_branches_of_two_dimensions_is_reported_once() -> None:
    d = only(box_with('a sb:Reaction ; sb:expression "piecewise(C > C_sat, -k * C_sat, -k)"',
                      ":C_sat a sb:Parameter ; sb:value 3.0 ; sb:unit unit:MilliGM-PER-L .\n"),
             Code.UNITS_INHOMOGENEOUS)
    # the term is not judged against its balance a second time
    assert (d.expected, d.actual) == (RATE, "s^-1")


def test_a_sum_of_a_rate_and_an_amount_is_reported() -> None:
    d = only(box_with('a sb:Reaction ; sb:expression "-k * C + dose"',
                      ":dose a sb:Parameter ; sb:value 10.0 ; sb:unit unit:MilliGM .\n"),
             Code.UNITS_INHOMOGENEOUS)
    assert "'dose' is kg" in d.message


def test_an_inline_quantity_formula_is_analysed_at_its_own_node() -> None:
    found = units(ROD.replace(
        "sb:capacity :rho_c", 'sb:capacity [ sb:expression "rho_c + k" ]'))
    assert [d.code for d in found] == [Code.UNITS_INHOMOGENEOUS]
    assert found[0].subject is not None and found[0].subject.startswith("_:")
    assert found[0].path == SB + "expression"


def test_an_implicit_relation_whose_sides_differ_is_reported() -> None:
    turtle = BOX.replace("sb:hasEquation :decay", "sb:hasEquation :decay ; sb:hasRelation :r") + """
:x a sb:AlgebraicVariable ; sb:unit unit:M .
:r a sb:ImplicitRelation ; sb:solvesFor :x ; sb:expression "x = k" .
:decay a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Reaction ; sb:expression "-k * C" ] .
"""
    d = only(turtle, Code.UNITS_INHOMOGENEOUS)
    assert d.subject == EX + "r"


def test_a_term_listed_by_two_balances_is_analysed_once() -> None:
    turtle = BOX.replace("sb:hasEquation :decay", "sb:hasEquation :decay, :decay2") + """
:C2 a sb:Field ; sb:on :box ; sb:unit unit:MilliGM-PER-L ; sb:initialValue 1.0 .
:T a sb:Parameter ; sb:value 310.0 ; sb:unit unit:K .
:decay a sb:Equation ; sb:rateOf :C ; sb:hasTerm :shared .
:decay2 a sb:Equation ; sb:rateOf :C2 ; sb:hasTerm :shared .
:shared a sb:Reaction ; sb:expression "-k * log(T) * C" .
"""
    assert codes(turtle) == [Code.UNITS_FUNCTION_ARGUMENT]


def test_milliseconds_added_to_seconds_are_converted_and_noted() -> None:
    d = only(box_with('a sb:Reaction ; sb:expression "-C / (tau_ms + tau_s)"',
                      ":tau_ms a sb:Parameter ; sb:value 250.0 ; sb:unit unit:MilliSEC .\n"
                      ":tau_s a sb:Parameter ; sb:value 2.0 ; sb:unit unit:SEC .\n"),
             Code.UNITS_CONVERTED)
    assert d.severity is Severity.INFO
    assert "factor 1000" in d.message  # 1 s = 1000 ms


# --- rule 2: terms against their balance ----------------------------------------------------


def test_a_source_without_per_time_names_equation_term_and_both_dimensions() -> None:
    d = only(box_with('a sb:Source ; sb:expression "q"',
                      ":q a sb:Parameter ; sb:value 0.3 ; sb:unit unit:MilliGM-PER-L .\n"),
             Code.UNITS_TERM_MISMATCH)
    assert d.subject == EX + "t" and d.path == SB + "expression"
    assert "'decay'" in d.message and 'source term "q"' in d.message
    assert RATE in d.message and "kg m^-3" in d.message
    assert (d.expected, d.actual) == (RATE, "kg m^-3")


def test_a_first_order_reaction_in_one_per_hour_fits_a_concentration_balance() -> None:
    assert codes(box_with('a sb:Reaction ; sb:expression "-k * C"')) == []


def test_a_capacity_makes_the_terms_amounts_per_time() -> None:
    turtle = BOX.replace("sb:volume [ sb:value 2.0 ; sb:unit unit:L ]", "sb:volume :V") + """
:V a sb:Parameter ; sb:value 2.0 ; sb:unit unit:L .
:CL a sb:Parameter ; sb:value 6.0 ; sb:unit unit:L-PER-HR .
:decay a sb:Equation ; sb:rateOf :C ; sb:capacity :V ;
    sb:hasTerm [ a sb:Sink ; sb:expression "CL * C" ], :wrong .
:wrong a sb:Reaction ; sb:expression "-k * C" .
"""
    d = only(turtle, Code.UNITS_TERM_MISMATCH)
    # capacity L x mg/L / s is an amount rate, kg s^-1; k * C is a concentration rate
    assert (d.subject, d.expected, d.actual) == (EX + "wrong", "kg s^-1", RATE)


def test_diffusion_with_a_conductivity_fits_a_heat_balance() -> None:
    assert codes(ROD) == []


def test_diffusion_with_a_diffusivity_does_not_fit_a_balance_with_a_capacity() -> None:
    d = only(ROD.replace("sb:coefficient :k", "sb:coefficient :alpha")
             + ":alpha a sb:Parameter ; sb:value 1.2e-5 ; sb:unit unit:M2-PER-SEC .\n",
             Code.UNITS_TERM_MISMATCH)
    assert d.path == SB + "coefficient"
    assert (d.expected, d.actual) == (HEAT, "K s^-1")  # m^2/s x K / m^2
    assert "diffusion term with coefficient alpha" in d.message


def test_diffusion_with_a_diffusivity_fits_a_balance_without_capacity() -> None:
    turtle = ROD.replace("sb:capacity :rho_c ;", "").replace("sb:coefficient :k",
                                                             "sb:coefficient :alpha")
    assert codes(turtle + ":alpha a sb:Parameter ; sb:value 1.2e-5 ; sb:unit unit:M2-PER-SEC .\n"
                 ) == []


def test_diffusion_on_a_compartment_is_left_to_the_structure_check() -> None:
    turtle = box_with("a sb:Diffusion ; sb:coefficient :D",
                      ":D a sb:Parameter ; sb:value 1.0 ; sb:unit unit:M .\n")
    assert codes(turtle) == []


ADVECTION = """
:m a sb:Submodel ; sb:onDomain :channel ; sb:hasEquation :transport .
:channel a sb:Interval ; sb:length [ sb:value 2.0 ; sb:unit unit:M ] ; sb:cells 40 .
:C a sb:Field ; sb:on :channel ; sb:unit unit:MilliGM-PER-L ; sb:initialValue 1.0 .
:transport a sb:Equation ; sb:rateOf :C ; sb:hasTerm :drift .
:drift a sb:Advection ; sb:velocity [ sb:value 0.01 ; sb:unit UNIT ] .
"""


def test_advection_at_a_velocity_passes() -> None:
    assert codes(ADVECTION.replace("UNIT", "unit:M-PER-SEC")) == []


def test_advection_at_a_length_is_reported() -> None:
    d = only(ADVECTION.replace("UNIT", "unit:M"), Code.UNITS_TERM_MISMATCH)
    assert (d.subject, d.path) == (EX + "drift", SB + "velocity")
    assert (d.expected, d.actual) == ("kg m^-3 s^-1", "kg m^-3")


def test_a_y_velocity_of_another_dimension_is_reported() -> None:
    turtle = ADVECTION.replace("UNIT", "unit:M-PER-SEC").replace(
        ":channel a sb:Interval ; sb:length [ sb:value 2.0 ; sb:unit unit:M ] ; sb:cells 40 .",
        ":channel a sb:Rectangle ; sb:width [ sb:value 2.0 ; sb:unit unit:M ] ; "
        "sb:height [ sb:value 1.0 ; sb:unit unit:M ] ; sb:cellsX 4 ; sb:cellsY 4 .")
    turtle += ":drift sb:velocityY [ sb:value 0.5 ; sb:unit unit:PER-SEC ] .\n"
    d = only(turtle, Code.UNITS_TERM_MISMATCH)
    assert d.path == SB + "velocityY" and (d.expected, d.actual) == ("m s^-1", "s^-1")


def test_a_steady_balance_is_checked_the_same_way() -> None:
    turtle = BOX.replace(":C a sb:Field ; sb:on :box ; sb:unit unit:MilliGM-PER-L ; "
                         "sb:initialValue 5.0 .", ":C a sb:Field ; sb:on :box ; "
                         "sb:unit unit:MilliGM-PER-L .") + """
:q a sb:Parameter ; sb:value 1.0 ; sb:unit unit:MilliGM .
:decay a sb:Equation ; sb:steadyStateOf :C ;
    sb:hasTerm [ a sb:Reaction ; sb:expression "-k * C" ], :s .
:s a sb:Source ; sb:expression "q" .
"""
    d = only(turtle, Code.UNITS_TERM_MISMATCH)
    assert d.subject == EX + "s" and d.actual == "kg"


def test_terms_in_one_per_ms_and_one_per_s_are_converted_by_1000() -> None:
    turtle = BOX + """
:k_fast a sb:Parameter ; sb:value 0.002 ; sb:unit unit:PER-MilliSEC .
:k_slow a sb:Parameter ; sb:value 0.5 ; sb:unit unit:PER-SEC .
:decay a sb:Equation ; sb:rateOf :C ; sb:hasTerm :fast, :slow .
:fast a sb:Reaction ; sb:expression "-k_fast * C" .
:slow a sb:Reaction ; sb:expression "-k_slow * C" .
"""
    d = only(turtle, Code.UNITS_CONVERTED)
    # 1/ms = 1000/s: the term in 1/ms is 1000 times the one in 1/s, which matches the balance
    assert d.subject == EX + "fast" and "factor 1000 " in d.message
    assert '"-k_slow * C"' in d.message and d.severity is Severity.INFO


def test_terms_at_one_scale_are_not_noted() -> None:
    turtle = BOX + """
:k2 a sb:Parameter ; sb:value 0.5 ; sb:unit unit:PER-HR .
:decay a sb:Equation ; sb:rateOf :C ;
    sb:hasTerm [ a sb:Reaction ; sb:expression "-k * C" ], [ a sb:Sink ; sb:expression "k2 * C" ] .
"""
    assert codes(turtle) == []


def test_a_quantity_without_unit_is_skipped() -> None:
    turtle = box_with('a sb:Source ; sb:expression "q"', ":q a sb:Parameter ; sb:value 0.3 .\n")
    assert codes(turtle) == []


# --- rule 3: boundary conditions ------------------------------------------------------------


def rod_with(condition: str, extra: str = "") -> str:
    return ROD.replace("sb:cells 20 .", "sb:cells 20 ; sb:boundary :end .") + extra + (
        f":end a sb:Boundary ; sb:at sb:Left ; sb:condition [ {condition} ] .\n")


@pytest.mark.parametrize("unit", ["unit:K", "unit:DEG_C"])
def test_a_dirichlet_temperature_passes(unit: str) -> None:
    assert codes(rod_with(f"a sb:Dirichlet ; sb:boundaryValue [ sb:value 373.15 ; sb:unit {unit} ]"
                          )) == []


def test_a_dirichlet_value_in_metres_is_reported() -> None:
    d = only(rod_with("a sb:Dirichlet ; sb:boundaryValue [ sb:value 373.15 ; sb:unit unit:M ]"),
             Code.UNITS_BOUNDARY_MISMATCH)
    assert d.path == SB + "boundaryValue" and (d.expected, d.actual) == ("K", "m")
    assert "Dirichlet" in d.message and "left" in d.message


def test_a_neumann_heat_flux_passes_and_a_temperature_does_not() -> None:
    assert codes(rod_with("a sb:Neumann ; sb:flux [ sb:value 1.0e4 ; sb:unit unit:W-PER-M2 ]")
                 ) == []
    d = only(rod_with("a sb:Neumann ; sb:flux [ sb:value 400.0 ; sb:unit unit:K ]"),
             Code.UNITS_BOUNDARY_MISMATCH)
    assert (d.path, d.expected, d.actual) == (SB + "flux", "kg s^-3", "K")  # W/m2 = kg s^-3


def test_a_neumann_flux_of_a_substance_is_an_amount_per_area_and_time() -> None:
    turtle = ADVECTION.replace("UNIT", "unit:M-PER-SEC").replace(
        "sb:cells 40 .", "sb:cells 40 ; sb:boundary :inlet .") + """
:inlet a sb:Boundary ; sb:at sb:Left ;
    sb:condition [ a sb:Neumann ; sb:flux [ sb:value 2.0 ; sb:unit UNIT ] ] .
"""
    # the balance is kg m^-3 s^-1; times a length, kg m^-2 s^-1
    assert codes(turtle.replace("UNIT", '"mg/(m2.s)"')) == []
    d = only(turtle.replace("UNIT", '"mg/(m3.s)"'), Code.UNITS_BOUNDARY_MISMATCH)
    assert d.expected == "kg m^-2 s^-1"


def test_robin_conditions() -> None:
    air = ":T_air a sb:Parameter ; sb:value 293.15 ; sb:unit unit:K .\n"
    good = ("a sb:Robin ; sb:ambient :T_air ; "
            "sb:coefficient [ sb:value 25 ; sb:unit unit:W-PER-M2-K ]")
    assert codes(rod_with(good, air)) == []
    d = only(rod_with(good.replace("W-PER-M2-K", "W-PER-M2"), air), Code.UNITS_BOUNDARY_MISMATCH)
    assert (d.path, d.expected, d.actual) == (SB + "coefficient", "kg s^-3 K^-1", "kg s^-3")
    d = only(rod_with(good.replace(":T_air", "[ sb:value 20 ; sb:unit unit:M ]")),
             Code.UNITS_BOUNDARY_MISMATCH)
    assert (d.path, d.expected, d.actual) == (SB + "ambient", "K", "m")


TWO_FIELDS = """
:m a sb:Submodel ; sb:onDomain :rod ; sb:hasEquation :heat, :spread .
:rod a sb:Interval ; sb:length [ sb:value 0.1 ; sb:unit unit:M ] ; sb:cells 10 ;
    sb:boundary [ sb:at sb:Left ; CONSTRAINS
                  sb:condition [ a sb:Dirichlet ;
                                 sb:boundaryValue [ sb:value 300.0 ; sb:unit unit:K ] ] ] .
:T a sb:Field ; sb:on :rod ; sb:unit unit:K ; sb:initialValue 280.0 .
:alpha a sb:Parameter ; sb:value 1.0e-5 ; sb:unit unit:M2-PER-SEC .
:heat a sb:Equation ; sb:rateOf :T ; sb:hasTerm [ a sb:Diffusion ; sb:coefficient :alpha ] .
:S a sb:Field ; sb:on :rod ; sb:unit unit:MOL-PER-M3 ; sb:initialValue 1.0 .
:D_S a sb:Parameter ; sb:value 1.0e-9 ; sb:unit unit:M2-PER-SEC .
:spread a sb:Equation ; sb:rateOf :S ; sb:hasTerm [ a sb:Diffusion ; sb:coefficient :D_S ] .
"""


def test_a_boundary_is_checked_against_the_field_it_constrains() -> None:
    assert codes(TWO_FIELDS.replace("CONSTRAINS", "sb:constrains :T ;")) == []
    d = only(TWO_FIELDS.replace("CONSTRAINS", "sb:constrains :S ;"), Code.UNITS_BOUNDARY_MISMATCH)
    assert (d.expected, d.actual) == ("mol m^-3", "K")


def test_a_boundary_of_an_unnamed_field_among_several_is_left_to_the_structure_check() -> None:
    assert codes(TWO_FIELDS.replace("CONSTRAINS", "")) == []


# --- rule 4: initial values -----------------------------------------------------------------

INITIAL = """
:m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :decay .
:box a sb:Compartment ; sb:volume :V .
:V a sb:Parameter ; sb:value 2.0 ; sb:unit unit:L .
:dose a sb:Parameter ; sb:value 100.0 ; sb:unit unit:MilliGM .
:C a sb:Field ; sb:on :box ; sb:unit unit:MilliGM-PER-L ; sb:initialValue "INITIAL" .
:k a sb:Parameter ; sb:value 0.1 ; sb:unit unit:PER-HR .
:decay a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Reaction ; sb:expression "-k * C" ] .
"""


@pytest.mark.parametrize("initial", ["dose / V", "300.0", "2 * 150", "5 [mg/L] + 0 * x"])
def test_initial_values_of_the_field_dimension_pass(initial: str) -> None:
    assert codes(INITIAL.replace("INITIAL", initial)) == []


def test_an_initial_value_of_another_dimension_is_reported_at_the_field() -> None:
    d = only(INITIAL.replace("INITIAL", "dose"), Code.UNITS_INITIAL_MISMATCH)
    assert (d.subject, d.path) == (EX + "C", SB + "initialValue")
    assert (d.expected, d.actual) == ("kg m^-3", "kg")


def test_an_initial_value_with_a_faulty_formula_is_reported_once() -> None:
    d = only(INITIAL.replace("INITIAL", "dose / V + dose"), Code.UNITS_INHOMOGENEOUS)
    assert (d.subject, d.path) == (EX + "C", SB + "initialValue")


# --- rule 5: declared units -----------------------------------------------------------------


def test_a_declared_unit_contradicting_its_formula_is_reported_once() -> None:
    d = only(ROD.replace("sb:capacity :rho_c", 'sb:capacity [ sb:expression "rho * c_p" ; '
                         "sb:unit unit:W-PER-M-K ]")
             + ":rho a sb:Parameter ; sb:value 7850.0 ; sb:unit unit:KiloGM-PER-M3 .\n"
             ':c_p a sb:Parameter ; sb:value 490.0 ; sb:unit "J/(kg.K)" .\n',
             Code.UNITS_DECLARED_MISMATCH)
    # J/(m3 K) = kg m^-1 s^-2 K^-1; W/(m K) = m kg s^-3 K^-1.  The diffusion term, whose balance
    # depends on this capacity, is not judged a second time.
    assert (d.expected, d.actual) == ("m kg s^-3 K^-1", "kg m^-1 s^-2 K^-1")
    assert d.path == SB + "unit"


def test_a_declared_unit_at_another_scale_is_noted() -> None:
    d = only(ROD.replace("sb:capacity :rho_c", 'sb:capacity [ sb:expression "rho * c_p" ; '
                         'sb:unit "kJ/(m3.K)" ]')
             + ":rho a sb:Parameter ; sb:value 7850.0 ; sb:unit unit:KiloGM-PER-M3 .\n"
             ':c_p a sb:Parameter ; sb:value 490.0 ; sb:unit "J/(kg.K)" .\n',
             Code.UNITS_CONVERTED)
    assert "factor 0.001" in d.message  # the formula is in J, the declared unit in kJ


# --- rule 6: places of a fixed dimension ----------------------------------------------------


@pytest.mark.parametrize(
    ("replace", "by", "path"),
    [
        ("sb:value 0.5 ; sb:unit unit:M ]", "sb:value 0.5 ; sb:unit unit:SEC ]", "length"),
        ("sb:hasEquation :heat .",
         "sb:hasEquation :heat ; sb:duration [ sb:value 1 ; sb:unit unit:M ] .", "duration"),
        ("sb:hasEquation :heat .",
         "sb:hasEquation :heat ; sb:timeStep [ sb:value 1 ; sb:unit unit:K ] .", "timeStep"),
        ("sb:hasEquation :heat .",
         "sb:hasEquation :heat ; sb:outputInterval [ sb:value 1 ; sb:unit unit:M ] .",
         "outputInterval"),
    ],
)
def test_places_of_the_rod(replace: str, by: str, path: str) -> None:
    d = only(ROD.replace(replace, by), Code.UNITS_VALUE_MISMATCH)
    assert d.path == SB + path and d.subject is not None and d.subject.startswith(EX)


def test_scale_ranges_of_time_and_length() -> None:
    good = ROD.replace("sb:hasEquation :heat .", """sb:hasEquation :heat ;
    sb:timeScale [ sb:grain [ sb:value 5.0 ; sb:unit unit:SEC ] ;
                   sb:extent [ sb:value 3.0 ; sb:unit unit:HR ] ] ;
    sb:lengthScale [ sb:grain [ sb:value 1.0 ; sb:unit unit:CentiM ] ;
                     sb:extent [ sb:value 0.5 ; sb:unit unit:M ] ] .""")
    assert codes(good) == []
    d = only(good.replace("sb:value 5.0 ; sb:unit unit:SEC", "sb:value 5.0 ; sb:unit unit:M"),
             Code.UNITS_VALUE_MISMATCH)
    assert (d.expected, d.actual) == ("s", "m") and "time-scale grain" in d.message
    d = only(good.replace("sb:value 0.5 ; sb:unit unit:M ] ] .",
                          "sb:value 0.5 ; sb:unit unit:SEC ] ] ."),
             Code.UNITS_VALUE_MISMATCH)
    assert (d.expected, d.actual) == ("m", "s") and "length-scale extent" in d.message


def test_a_compartment_volume_and_rectangle_and_lattice_sizes() -> None:
    d = only(box_with('a sb:Reaction ; sb:expression "-k * C"').replace(
        "sb:value 2.0 ; sb:unit unit:L ]", "sb:value 2.0 ; sb:unit unit:M2 ]"),
        Code.UNITS_VALUE_MISMATCH)
    assert (d.subject, d.path, d.expected, d.actual) == (EX + "box", SB + "volume", "m^3", "m^2")
    rect = model_of("""
:plate a sb:Rectangle ; sb:width [ sb:value 1 ; sb:unit unit:M ] ;
    sb:height [ sb:value 1 ; sb:unit unit:SEC ] ; sb:cellsX 2 ; sb:cellsY 2 .
:chain a sb:ParticleChain ; sb:sites 3 ; sb:spacing [ sb:value 0.25 ; sb:unit unit:NanoM ] .
:sheet a sb:Lattice ; sb:sites 3 ; sb:spacing [ sb:value 0.25 ; sb:unit unit:KiloGM ] .
""")
    found = {(d.subject, d.path) for d in check_units(rect)}
    assert found == {(EX + "plate", SB + "height"), (EX + "sheet", SB + "spacing")}


def test_handshake_blending_bounds_are_lengths() -> None:
    turtle = """
:u_a a sb:Parameter ; sb:value 1 ; sb:unit unit:NanoM .
:u_c a sb:Parameter ; sb:unit unit:M ; sb:providedBy :blend .
:blend a sb:Handshake ; sb:source :u_a ; sb:target :u_c ;
    sb:blendingStart [ sb:value 10 ; sb:unit unit:NanoM ] ;
    sb:blendingEnd [ sb:value 15 ; sb:unit UNIT ] .
"""
    # nm against m is one dimension at two scales: noted, not an error
    assert codes(turtle.replace("UNIT", "unit:NanoM")) == [Code.UNITS_CONVERTED]
    found = units(turtle.replace("UNIT", "unit:SEC"))
    assert [(d.code, d.path) for d in found if d.severity is Severity.ERROR] == [
        (Code.UNITS_VALUE_MISMATCH, SB + "blendingEnd")]


def test_a_table_argument_unit_must_have_the_argument_dimension() -> None:
    turtle = box_with('a sb:Reaction ; sb:expression "-k2 * C"', """
:T_env a sb:Parameter ; sb:value 300.0 ; sb:unit unit:K .
:k2 a sb:Parameter ; sb:unit unit:PER-HR ;
    sb:table [ a sb:Table ; sb:argument :T_env ; sb:argumentUnit UNIT ;
               sb:argumentValues ( 10.0 40.0 ) ; sb:values ( 0.1 0.2 ) ] .
""")
    assert codes(turtle.replace("UNIT", "unit:DEG_C")) == []
    d = only(turtle.replace("UNIT", "unit:M"), Code.UNITS_VALUE_MISMATCH)
    assert (d.path, d.expected, d.actual) == (SB + "argumentUnit", "K", "m")


# --- rule 7: relations ----------------------------------------------------------------------

RELATION = BOX.replace("sb:hasEquation :decay", "sb:hasEquation :decay ; sb:hasRelation :rel") + """
:f a sb:Parameter ; sb:value 0.5 ; sb:unit UNIT .
:k_eff a sb:AlgebraicVariable ; sb:unit unit:PER-HR .
:rel a sb:AlgebraicRelation ; sb:defines :k_eff ; sb:expression "k * f" .
:decay a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Reaction ; sb:expression "-k_eff * C" ] .
"""


def test_a_relation_of_the_variable_dimension_passes() -> None:
    assert codes(RELATION.replace("UNIT", "unit:UNITLESS")) == []


def test_a_relation_whose_variable_has_another_dimension_is_reported() -> None:
    d = only(RELATION.replace("UNIT", "unit:M"), Code.UNITS_RELATION_MISMATCH)
    assert (d.subject, d.path, d.expected, d.actual) == (EX + "rel", SB + "defines", "s^-1",
                                                         "m s^-1")


# --- rule 8 and 11: bridges -----------------------------------------------------------------

BRIDGE = """
:src a sb:Parameter ; sb:value 1.0 ; sb:unit {src} {src_kind} .
:dst a sb:Parameter ; sb:unit {dst} {dst_kind} ; sb:providedBy :br .
:br a {kind} ; sb:source :src ; sb:target :dst .
"""


def bridge(kind: str, src: str, dst: str, src_kind: str = "", dst_kind: str = "") -> str:
    return BRIDGE.format(kind=kind, src=src, dst=dst, src_kind=src_kind, dst_kind=dst_kind)


@pytest.mark.parametrize("kind", ["sb:Localization", "sb:Averaging", "sb:BoundaryForcing",
                                  "sb:Handshake"])
def test_a_bridge_mapping_metres_onto_seconds_is_reported(kind: str) -> None:
    d = only(bridge(kind, "unit:M", "unit:SEC"), Code.UNITS_BRIDGE_MISMATCH)
    assert (d.subject, d.expected, d.actual) == (EX + "br", "s", "m")
    assert "src (m) onto dst (s)" in d.message


def test_a_bridge_of_one_dimension_passes_and_notes_a_scale_change() -> None:
    assert codes(bridge("sb:Localization", "unit:K", "unit:K")) == []
    d = only(bridge("sb:Averaging", "unit:MilliM", "unit:M"), Code.UNITS_CONVERTED)
    assert "factor 0.001" in d.message  # 1 mm = 0.001 m


def test_a_homogenization_may_derive_a_property_of_another_dimension() -> None:
    # An RVE's temperature field (K) gives an effective conductivity (W/(m K)).
    assert codes(bridge("sb:Homogenization", "unit:K", "unit:W-PER-M-K")) == []


def test_parameter_passing_may_change_dimension_but_its_table_argument_may_not() -> None:
    assert codes(bridge("sb:ParameterPassing", "unit:K", "unit:W-PER-M-K")) == []
    turtle = bridge("sb:ParameterPassing", "unit:K", "unit:W-PER-M-K").replace(
        "sb:target :dst .", """sb:target :dst ;
    sb:through [ a sb:Table ; sb:argument :src ; sb:argumentUnit unit:M ;
                 sb:argumentValues ( 300 600 ) ; sb:values ( 170 120 ) ] .""")
    d = only(turtle, Code.UNITS_BRIDGE_MISMATCH)
    assert (d.path, d.expected, d.actual) == (SB + "argumentUnit", "K", "m")


def test_hertz_onto_becquerel_is_a_kind_conflict() -> None:
    d = only(bridge("sb:Localization", "unit:HZ", "unit:BQ", "; sb:quantityKind qk:Frequency",
                    "; sb:quantityKind qk:Activity"), Code.UNITS_KIND_CONFLICT)
    assert d.severity is Severity.WARNING and "frequency" in d.message and "activity" in d.message


def test_interchangeable_kinds_do_not_conflict() -> None:
    assert codes(bridge("sb:Localization", "unit:K", "unit:K", "; sb:quantityKind qk:Temperature",
                        "; sb:quantityKind qk:ThermodynamicTemperature")) == []


def test_a_partition_coefficient_onto_a_volume_fraction_is_a_kind_conflict() -> None:
    found = codes(bridge("sb:ParameterPassing", "unit:UNITLESS", "unit:UNITLESS",
                         "; sb:quantityKind <https://example.org/kinds#PartitionCoefficient>",
                         "; sb:quantityKind qk:VolumeFraction"))
    assert found == [Code.UNITS_KIND_CONFLICT]


def test_kinds_table() -> None:
    assert kinds_interchangeable(QK + "Width", "quantitykind:Length")
    assert not kinds_interchangeable(QK + "Frequency", QK + "DecayConstant")
    assert not kinds_interchangeable(QK + "MassFraction", QK + "VolumeFraction")
    for group in INTERCHANGEABLE_KINDS:  # no kind in two groups: the relation is an equivalence
        assert all(not (group & other) for other in INTERCHANGEABLE_KINDS if other is not group)


# --- rule 9 and 11: ports -------------------------------------------------------------------

PORTS = """
:m a sb:Submodel ; sb:onDomain :box, :bath ; sb:hasEquation :decay, :other .
:box a sb:Compartment ; sb:volume [ sb:value 2.0 ; sb:unit unit:L ] .
:C a sb:Field ; sb:on :box ; sb:unit unit:MilliGM-PER-L ; sb:initialValue 5.0 KIND_C .
:k a sb:Parameter ; sb:value 0.1 ; sb:unit unit:PER-HR .
:decay a sb:Equation ; sb:rateOf :C ; sb:hasTerm [ a sb:Reaction ; sb:expression "-k * C" ] .
:bath a sb:Compartment ; sb:volume :V .
:V a sb:Parameter ; sb:value 1.0 ; sb:unit unit:L .
:D a sb:Field ; sb:on :bath ; sb:unit D_UNIT ; sb:initialValue 1.0 KIND_D .
:other a sb:Equation ; sb:rateOf :D CAPACITY ;
    sb:hasTerm [ a sb:Reaction ; sb:expression "-k * D CAPACITY_FACTOR" ] .
:p1 a sb:Port ; sb:portOf :box ; sb:carries :C .
:p2 a sb:Port ; sb:portOf :bath ; sb:carries :D .
:link a sb:Junction ; sb:joins :p1, :p2 .
"""


def ports(d_unit: str, capacity: str = "", kind_c: str = "", kind_d: str = "") -> str:
    factor = "* V" if capacity else ""
    return (PORTS.replace("D_UNIT", d_unit).replace("CAPACITY_FACTOR", factor)
            .replace("CAPACITY", capacity)
            .replace("KIND_C", kind_c).replace("KIND_D", kind_d))


def test_ports_of_one_dimension_pass() -> None:
    assert codes(ports("unit:MilliGM-PER-L")) == []


def test_ports_presenting_a_temperature_and_a_concentration_are_reported_once() -> None:
    d = only(ports("unit:K"), Code.UNITS_PORT_MISMATCH)
    assert (d.subject, d.path) == (EX + "link", SB + "joins")
    assert {d.expected, d.actual} == {"K", "kg m^-3"}


def test_ports_whose_balances_differ_are_reported() -> None:
    # both present mg/L, but one balance is per volume (kg m^-3 s^-1), the other an amount (kg/s)
    d = only(ports("unit:MilliGM-PER-L", "; sb:capacity :V"), Code.UNITS_PORT_MISMATCH)
    assert "balance" in d.message and {d.expected, d.actual} == {"kg s^-1", RATE}


def test_a_port_potential_with_its_own_unit_is_used() -> None:
    # p2 carries a temperature but presents a concentration: the potentials agree, the
    # balances (kg m^-3 s^-1 against K s^-1) do not
    turtle = ports("unit:K").replace(
        ":p2 a sb:Port ; sb:portOf :bath ; sb:carries :D .",
        ":p2 a sb:Port ; sb:portOf :bath ; sb:carries :D ;\n"
        "    sb:potential [ sb:value 1 ; sb:unit unit:MilliGM-PER-L ] .")
    d = only(turtle, Code.UNITS_PORT_MISMATCH)
    assert "balance" in d.message and {d.expected, d.actual} == {RATE, "K s^-1"}


def test_joined_fields_of_different_kinds_warn() -> None:
    turtle = ports("unit:MilliGM-PER-L", "", "; sb:quantityKind qk:MassConcentration",
                   "; sb:quantityKind qk:Density")
    d = only(turtle, Code.UNITS_KIND_CONFLICT)
    assert d.subject == EX + "link"


# --- rule 10: carrier flows and transfers ---------------------------------------------------

PK = """
:pk a sb:Submodel ; sb:onDomain :blood, :tissue ; sb:hasEquation :blood_balance, :tissue_balance .
:blood a sb:Compartment ; sb:volume :V_b .
:tissue a sb:Compartment ; sb:volume :V_t .
:V_b a sb:Parameter ; sb:value 5.0 ; sb:unit unit:L .
:V_t a sb:Parameter ; sb:value 25.0 ; sb:unit unit:L .
:C_b a sb:Field ; sb:on :blood ; sb:unit unit:MilliGM-PER-L ; sb:initialValue 20.0 .
:C_t a sb:Field ; sb:on :tissue ; sb:unit unit:MilliGM-PER-L ; sb:initialValue 0.0 .
:blood_balance a sb:Equation ; sb:rateOf :C_b ; sb:capacity :V_b .
:tissue_balance a sb:Equation ; sb:rateOf :C_t ; sb:capacity :V_t .
:Q a sb:Parameter ; sb:value 60.0 ; sb:unit Q_UNIT .
"""
FLOWS = """
:blood_out a sb:Port ; sb:portOf :blood ; sb:carries :C_b .
:blood_in a sb:Port ; sb:portOf :blood ; sb:carries :C_b .
:tissue_in a sb:Port ; sb:portOf :tissue ; sb:carries :C_t .
:tissue_out a sb:Port ; sb:portOf :tissue ; sb:carries :C_t ;
    sb:potential [ sb:expression "C_t / Kp" ; sb:unit unit:MilliGM-PER-L ] .
:Kp a sb:Parameter ; sb:value 2.0 ; sb:unit unit:UNITLESS .
:arterial a sb:CarrierFlow ; sb:from :blood_out ; sb:to :tissue_in ; sb:rate :Q .
:venous a sb:CarrierFlow ; sb:from :tissue_out ; sb:to :blood_in ; sb:rate :Q .
"""


def test_carrier_flows_at_a_volume_flow_pass() -> None:
    assert codes(PK.replace("Q_UNIT", "unit:L-PER-HR") + FLOWS) == []


def test_carrier_flows_at_a_mass_flow_are_reported_at_each_flow() -> None:
    found = units(PK.replace("Q_UNIT", "unit:KiloGM-PER-HR") + FLOWS)
    assert [(d.code, d.subject) for d in found] == [
        (Code.UNITS_FLOW_MISMATCH, EX + "arterial"), (Code.UNITS_FLOW_MISMATCH, EX + "venous")]
    # kg/s x kg/m3 against the amount rate L x mg/L / s = kg/s of both balances
    assert all((d.expected, d.actual) == ("kg s^-1", "kg^2 m^-3 s^-1") for d in found)
    assert "blood_balance" in found[0].message and "tissue_balance" in found[0].message


def test_carrier_flows_between_compartments() -> None:
    between = """
:a2t a sb:CarrierFlow ; sb:from :blood ; sb:to :tissue ; sb:rate :Q .
:t2a a sb:CarrierFlow ; sb:from :tissue ; sb:to :blood ; sb:rate :Q .
"""
    assert codes(PK.replace("Q_UNIT", "unit:L-PER-HR") + between) == []
    assert codes(PK.replace("Q_UNIT", "unit:PER-HR") + between) == [Code.UNITS_FLOW_MISMATCH] * 2


def test_a_transfer_rate_must_be_an_amount_per_time() -> None:
    transfer = """
:PS a sb:Parameter ; sb:value 2.0 ; sb:unit PS_UNIT .
:uptake a sb:Transfer ; sb:from :C_b ; sb:to :C_t ; sb:rate [ sb:expression "PS * (C_b - C_t)" ] .
"""
    base = PK.replace("Q_UNIT", "unit:L-PER-HR")
    assert codes(base + transfer.replace("PS_UNIT", "unit:L-PER-HR")) == []
    d = only(base + transfer.replace("PS_UNIT", "unit:PER-HR"), Code.UNITS_FLOW_MISMATCH)
    assert (d.subject, d.path, d.expected, d.actual) == (EX + "uptake", SB + "rate", "kg s^-1",
                                                         RATE)


def test_a_transfer_carried_by_a_flow_uses_the_flow_rate_times_the_source_field() -> None:
    carried = """
:hepatic a sb:CarrierFlow ; sb:from :blood ; sb:to :tissue ; sb:rate :Q .
:back a sb:CarrierFlow ; sb:from :tissue ; sb:to :blood ; sb:rate :Q .
:to_tissue a sb:Transfer ; sb:from :C_b ; sb:to :C_t ; sb:carrier :hepatic .
"""
    assert codes(PK.replace("Q_UNIT", "unit:L-PER-HR") + carried) == []
    found = units(PK.replace("Q_UNIT", "unit:KiloGM-PER-HR") + carried)
    assert {(d.subject, d.path) for d in found if d.subject == EX + "to_tissue"} == {
        (EX + "to_tissue", SB + "carrier")}


# --- the whole pipeline and the command line ------------------------------------------------


@pytest.mark.parametrize("example", ["heat_rod", "two_compartment"])
def test_the_examples_give_no_units_finding(example: str) -> None:
    validation = validate_files([REPO / "examples" / example / "model.ttl"], reasoner=False,
                                strict=True)
    assert validation.model is not None
    assert check_units(validation.model) == []
    assert validation.report.codes == []


def test_the_check_is_deterministic() -> None:
    model = model_of(PK.replace("Q_UNIT", "unit:KiloGM-PER-HR") + FLOWS)
    assert check_units(model) == check_units(model)


def _validate(tmp_path: Path, turtle: str, *options: str) -> tuple[int, str]:
    path = tmp_path / "model.ttl"
    path.write_text(PREFIXES + turtle, encoding="utf-8")
    out = io.StringIO()
    status = main(["validate", "--no-reasoner", *options, str(path)], stdout=out)
    return status, out.getvalue()


def test_text_output_shows_equation_term_and_both_dimensions(tmp_path: Path) -> None:
    status, text = _validate(tmp_path, box_with(
        'a sb:Source ; sb:expression "q"',
        ":q a sb:Parameter ; sb:value 0.3 ; sb:unit unit:MilliGM-PER-L .\n"))
    assert status == 1
    line = next(x for x in text.splitlines() if "UNITS_TERM_MISMATCH" in x)
    assert line.startswith(str(tmp_path / "model.ttl") + ":")
    assert "'decay'" in line and '"q"' in line and RATE in line and "has dimension kg m^-3," in line
    assert f"expected: {RATE}" in text and "actual:   kg m^-3" in text
    assert f"<{EX}t>" in text


def test_text_output_of_ms_against_s_shows_the_factor_and_exits_0(tmp_path: Path) -> None:
    status, text = _validate(tmp_path, BOX + """
:k_fast a sb:Parameter ; sb:value 0.002 ; sb:unit unit:PER-MilliSEC .
:k_slow a sb:Parameter ; sb:value 0.5 ; sb:unit unit:PER-SEC .
:decay a sb:Equation ; sb:rateOf :C ; sb:hasTerm :fast, :slow .
:fast a sb:Reaction ; sb:expression "-k_fast * C" .
:slow a sb:Reaction ; sb:expression "-k_slow * C" .
""", "--strict")
    assert status == 0
    assert "info UNITS_CONVERTED" in text and "factor 1000" in text


def test_a_kind_conflict_blocks_only_under_strict() -> None:
    path = REPO / "tests" / "resources" / "broken" / "units" / "kind_conflict.ttl"
    out = io.StringIO()
    assert main(["validate", "--no-reasoner", str(path)], stdout=out) == 0
    assert "warning UNITS_KIND_CONFLICT" in out.getvalue()
    out = io.StringIO()
    assert main(["validate", "--no-reasoner", "--strict", str(path)], stdout=out) == 1
    assert "error UNITS_KIND_CONFLICT" in out.getvalue()


# -- rule 12: equations of motion ------------------------------------------------------------

_HANDSHAKE = (Path(__file__).resolve().parents[1] / "composer" / "handshake.ttl").read_text(
    encoding="utf-8")


def _motion_codes(text: str) -> list[tuple[str, str | None]]:
    model, _ = build_model(rdflib.Graph().parse(data=text, format="turtle"))
    return [(str(d.code), d.subject) for d in check_units(model)
            if d.code in (Code.UNITS_RELATION_MISMATCH, Code.UNITS_VALUE_MISMATCH)]


def test_a_consistent_chain_and_bar_have_no_motion_findings() -> None:
    assert _motion_codes(_HANDSHAKE) == []


def test_a_bond_energy_per_length_on_a_chain_is_refused() -> None:
    text = _HANDSHAKE.replace('sb:expression "k_bond * s^2 / 2"', 'sb:expression "k_bond * s / 2"')
    assert (str(Code.UNITS_RELATION_MISMATCH), "https://example.org/handshake#bond") in \
        _motion_codes(text)


def test_a_bar_with_a_mass_per_particle_is_refused() -> None:
    text = _HANDSHAKE.replace("sb:mass :rho_l", "sb:mass :m_atom")
    assert (str(Code.UNITS_VALUE_MISMATCH), "https://example.org/handshake#bar_motion") in \
        _motion_codes(text)


def test_a_bar_strain_with_a_length_is_refused() -> None:
    text = _HANDSHAKE.replace(":eps a sb:Parameter ; sb:value 0.0 ; sb:unit unit:UNITLESS .",
                              ":eps a sb:Parameter ; sb:value 0.0 ; sb:unit unit:M .")
    text = text.replace('sb:expression "EA * eps^2 / 2"', 'sb:expression "EA * eps^2 / 2 / a^2"')
    assert (str(Code.UNITS_RELATION_MISMATCH), "https://example.org/handshake#strain_energy") in \
        _motion_codes(text)
