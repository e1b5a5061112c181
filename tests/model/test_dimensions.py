"""Tests of the value types (Dimension, Unit) and of parse_unit on pint, UCUM and QUDT text."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalebridge.model.dimensions import (
    BASE_DIMENSIONS,
    Dimension,
    Unit,
    UnitError,
    known_quantity_kinds,
    parse_unit,
    quantity_kind_dimension,
    quantity_kind_label,
)

PRESSURE = Dimension.of(M=1, L=-1, T=-2)
CONDUCTIVITY = Dimension.of(M=1, L=1, T=-3, Theta=-1)
DENSITY = Dimension.of(M=1, L=-3)
MOLAR = Dimension.of(N=1, L=-3)
FLOW = Dimension.of(L=3, T=-1)
RATE = Dimension.of(T=-1)
ONE = Dimension.dimensionless()


# -- Dimension ------------------------------------------------------------------------------


def test_base_dimensions_order() -> None:
    assert BASE_DIMENSIONS == ("L", "M", "T", "I", "Theta", "N", "J")


def test_of_builds_exponents_in_base_order() -> None:
    assert Dimension.of(L=1, T=-1).exponents == tuple(map(Fraction, (1, 0, -1, 0, 0, 0, 0)))
    assert all(isinstance(value, Fraction) for value in Dimension.of(L=1).exponents)


def test_dimensionless() -> None:
    assert ONE.is_dimensionless
    assert Dimension.of() == ONE
    assert not PRESSURE.is_dimensionless


def test_arithmetic() -> None:
    force = Dimension.of(M=1, L=1, T=-2)
    area = Dimension.of(L=2)
    assert force / area == PRESSURE
    assert PRESSURE * area == force
    assert Dimension.of(L=1) ** 3 == Dimension.of(L=3)
    assert Dimension.of(L=2) ** Fraction(1, 2) == Dimension.of(L=1)
    assert PRESSURE**0 == ONE
    assert PRESSURE / PRESSURE == ONE


def test_equality_and_hash() -> None:
    assert Dimension.of(L=1) == Dimension.of(L=Fraction(1))
    assert hash(Dimension.of(L=1)) == hash(Dimension.of(L=Fraction(2, 2)))
    assert len({Dimension.of(L=1), Dimension.of(L=1), Dimension.of(M=1)}) == 2
    assert Dimension.of(L=1) != Dimension.of(M=1)


def test_unsupported_operands() -> None:
    with pytest.raises(TypeError):
        _ = Dimension.of(L=1) ** 0.5
    with pytest.raises(TypeError):
        _ = Dimension.of(L=1) * 2
    with pytest.raises(TypeError):
        Dimension.of(X=1)
    with pytest.raises(ValueError, match="7 exponents"):
        Dimension((Fraction(1),))


@pytest.mark.parametrize(
    ("dimension", "text"),
    [
        (PRESSURE, "kg m^-1 s^-2"),
        (ONE, "1"),
        (Dimension.of(L=1), "m"),
        (DENSITY, "kg m^-3"),
        (CONDUCTIVITY, "m kg s^-3 K^-1"),
        (Dimension.of(M=1, L=Fraction(-1, 2), T=-2), "kg m^-1/2 s^-2"),
        (Dimension.of(L=Fraction(1, 2)), "m^1/2"),
        (Dimension.of(I=1, N=1, J=1, Theta=1), "A K mol cd"),
        (Dimension.of(Theta=-1), "K^-1"),
    ],
)
def test_to_si_string(dimension: Dimension, text: str) -> None:
    assert dimension.to_si_string() == text
    assert str(dimension) == text
    assert text in repr(dimension)
    assert text.isascii()


# -- parse_unit on pint strings ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dimension", "scale"),
    [
        ("mg/L", DENSITY, 1e-3),
        ("W/(m*K)", CONDUCTIVITY, 1.0),
        ("kg*m**2/s**2", Dimension.of(M=1, L=2, T=-2), 1.0),
        ("1/s", RATE, 1.0),
        ("dimensionless", ONE, 1.0),
        ("1", ONE, 1.0),
        ("kg m^-1 s^-2", PRESSURE, 1.0),
        ("m**(1/2)", Dimension.of(L=Fraction(1, 2)), 1.0),
        ("kilometer / hour", Dimension.of(L=1, T=-1), 1000 / 3600),
        ("mmHg", PRESSURE, 133.322387415),
        ("psi", PRESSURE, 6894.757293168361),
        ("ft", Dimension.of(L=1), 0.3048),
        ("ha", Dimension.of(L=2), 1e4),
        ("hr", Dimension.of(T=1), 3600.0),
        ("µm", Dimension.of(L=1), 1e-6),
        ("m²", Dimension.of(L=2), 1.0),
        ("s⁻¹", RATE, 1.0),
        ("gauss", Dimension.of(M=1, T=-2, I=-1), 1e-4),
        ("percent", ONE, 0.01),
        ("M", MOLAR, 1000.0),
    ],
)
def test_pint_strings(text: str, dimension: Dimension, scale: float) -> None:
    unit = parse_unit(text)
    assert unit.dimension == dimension
    assert unit.scale == pytest.approx(scale, rel=1e-12)
    assert unit.offset == 0.0
    assert unit.text == text
    assert unit.iri is None


# -- parse_unit on UCUM strings ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dimension", "scale"),
    [
        ("mg/L", DENSITY, 1e-3),
        ("W/(m.K)", CONDUCTIVITY, 1.0),
        ("m2", Dimension.of(L=2), 1.0),
        ("s-1", RATE, 1.0),
        ("ug/mL", DENSITY, 1e-3),
        ("mL/min", FLOW, 1e-6 / 60),
        ("umol/L", MOLAR, 1e-3),
        ("1/h", RATE, 1 / 3600),
        ("/h", RATE, 1 / 3600),
        ("%", ONE, 0.01),
        ("[ppm]", ONE, 1e-6),
        ("10*9/L", Dimension.of(L=-3), 1e12),
        ("10^3", ONE, 1e3),
        ("{cells}/uL", Dimension.of(L=-3), 1e9),
        ("mg{creat}/dL", DENSITY, 1e-2),
        ("mm[Hg]", PRESSURE, 133.322387415),
        ("[in_i]", Dimension.of(L=1), 0.0254),
        ("[ft_i]3", Dimension.of(L=3), 0.028316846592),
        ("[lb_av]", Dimension.of(M=1), 0.45359237),
        ("[psi]", PRESSURE, 6894.757293168361),
        ("meq/L", MOLAR, 1.0),
        ("mEq/L", MOLAR, 1.0),
        ("kcal/mol", Dimension.of(M=1, L=2, T=-2, N=-1), 4184.0),
        ("cP", Dimension.of(M=1, L=-1, T=-1), 1e-3),
        ("J/(kg.K)", Dimension.of(L=2, T=-2, Theta=-1), 1.0),
        ("W.m-2.K-1", Dimension.of(M=1, T=-3, Theta=-1), 1.0),
        ("mol/(L.h)", Dimension.of(N=1, L=-3, T=-1), 1e3 / 3600),
        ("L/h", FLOW, 1e-3 / 3600),
        ("kOhm", Dimension.of(M=1, L=2, T=-3, I=-2), 1e3),
        ("G", Dimension.of(M=1, T=-2, I=-1), 1e-4),
        ("mR", Dimension.of(I=1, T=1, M=-1), 2.58e-7),
        ("k[lbf_av]", Dimension.of(M=1, L=1, T=-2), 4448.2216152605),
        ("m''", ONE, math.pi / 180 / 3600 / 1000),
        ("a", Dimension.of(T=1), 365.25 * 86400),
        ("mo", Dimension.of(T=1), 365.25 * 86400 / 12),
    ],
)
def test_ucum_strings(text: str, dimension: Dimension, scale: float) -> None:
    unit = parse_unit(text)
    assert unit.dimension == dimension
    assert unit.scale == pytest.approx(scale, rel=1e-9)
    assert unit.offset == 0.0


@pytest.mark.parametrize(
    ("pint_text", "ucum_text"),
    [
        ("W/(m*K)", "W/(m.K)"),
        ("m**2", "m2"),
        ("1/s", "s-1"),
        ("degC", "Cel"),
        ("degF", "[degF]"),
        ("inch", "[in_i]"),
        ("microgram/milliliter", "ug/mL"),
        ("mmHg", "mm[Hg]"),
    ],
)
def test_pint_and_ucum_spellings_agree(pint_text: str, ucum_text: str) -> None:
    a, b = parse_unit(pint_text), parse_unit(ucum_text)
    assert a.dimension == b.dimension
    assert a.scale == pytest.approx(b.scale, rel=1e-12)
    assert a.offset == pytest.approx(b.offset, rel=1e-12)


def test_exact_decimal_scales() -> None:
    # Integer powers multiply as exact decimals, so the common units carry no float noise.
    assert parse_unit("mg/L").scale == 0.001
    assert parse_unit("ug/mL").scale == 0.001
    assert parse_unit("10*9/L").scale == 1e12
    assert parse_unit("ft").scale == 0.3048


# -- QUDT IRIs and CURIEs ---------------------------------------------------------------------


def test_qudt_iri_and_curie_forms() -> None:
    iri = "http://qudt.org/vocab/unit/W-PER-M-K"
    full, secure, curie = (
        parse_unit(iri),
        parse_unit("https://qudt.org/vocab/unit/W-PER-M-K"),
        parse_unit("unit:W-PER-M-K"),
    )
    for unit in (full, secure, curie):
        assert unit.dimension == CONDUCTIVITY
        assert unit.scale == 1.0
        assert unit.iri == iri
        assert unit.symbol == "W/(m·K)"
    assert curie.text == "unit:W-PER-M-K"
    assert secure.text == "https://qudt.org/vocab/unit/W-PER-M-K"


@pytest.mark.parametrize(
    ("curie", "dimension", "scale"),
    [
        ("unit:MilliGM-PER-L", DENSITY, 1e-3),
        ("unit:KiloGM-PER-M3", DENSITY, 1.0),
        ("unit:J-PER-M3-K", Dimension.of(M=1, L=-1, T=-2, Theta=-1), 1.0),
        ("unit:M2-PER-SEC", Dimension.of(L=2, T=-1), 1.0),
        ("unit:PER-SEC", RATE, 1.0),
        ("unit:MOL-PER-M3", MOLAR, 1.0),
        ("unit:L-PER-HR", FLOW, 1e-3 / 3600),
        ("unit:MicroGM-PER-MilliL", DENSITY, 1e-3),
        ("unit:UNITLESS", ONE, 1.0),
        ("unit:NUM", ONE, 1.0),
        ("unit:PERCENT", ONE, 0.01),
        ("unit:FRACTION", ONE, 1.0),
        ("unit:RAD", ONE, 1.0),
        ("unit:SR", ONE, 1.0),
        ("unit:BTU_IT-PER-LB-DEG_F", Dimension.of(L=2, T=-2, Theta=-1), 4186.8),
        ("unit:PA-M0dot5", Dimension.of(M=1, L=Fraction(-1, 2), T=-2), 1.0),
        ("unit:MilliM_HG", PRESSURE, 133.322387415),
    ],
)
def test_qudt_units(curie: str, dimension: Dimension, scale: float) -> None:
    unit = parse_unit(curie)
    assert unit.dimension == dimension
    assert unit.scale == pytest.approx(scale, rel=1e-9)


# -- affine temperatures ---------------------------------------------------------------------


def test_celsius_is_affine() -> None:
    celsius = parse_unit("degC")
    assert celsius.to_si(0.0) == 273.15
    assert celsius.from_si(273.15) == 0.0
    assert parse_unit("Cel").to_si(0.0) == 273.15
    assert parse_unit("unit:DEG_C").to_si(0.0) == 273.15


def test_fahrenheit_is_affine() -> None:
    for text in ("degF", "[degF]", "unit:DEG_F"):
        unit = parse_unit(text)
        assert unit.to_si(32.0) == pytest.approx(273.15, rel=1e-14)
        assert unit.to_si(212.0) == pytest.approx(373.15, rel=1e-14)
        assert unit.from_si(unit.to_si(98.6)) == pytest.approx(98.6, rel=1e-14)


def test_prefixed_celsius_keeps_the_offset() -> None:
    milli = parse_unit("unit:MilliDEG_C")
    assert milli.scale == pytest.approx(1e-3)
    assert milli.to_si(0.0) == 273.15
    assert parse_unit("mCel").to_si(1000.0) == pytest.approx(274.15)


@pytest.mark.parametrize("text", ["W/(m.Cel)", "degC/s", "unit:DEG_C-PER-HR", "Cel2", "degC**1"])
def test_offset_units_in_compounds_are_differences(text: str) -> None:
    assert parse_unit(text).offset == 0.0


def test_celsius_in_compound_matches_kelvin() -> None:
    assert parse_unit("W/(m.Cel)").scale == parse_unit("W/(m.K)").scale
    assert parse_unit("unit:W-PER-M-DEG_C").dimension == CONDUCTIVITY


# -- factor_to, to_si, from_si ----------------------------------------------------------------


def test_factor_to() -> None:
    assert parse_unit("mg").factor_to(parse_unit("kg")) == pytest.approx(1e-6)
    assert parse_unit("ms").factor_to(parse_unit("s")) == pytest.approx(1e-3)
    assert parse_unit("L/h").factor_to(parse_unit("unit:M3-PER-SEC")) == pytest.approx(1 / 3.6e6)
    assert parse_unit("degC").factor_to(parse_unit("Cel")) == 1.0


def test_factor_to_refuses_other_dimensions() -> None:
    with pytest.raises(UnitError, match=r"kg m\^-3.*m\^3 s\^-1"):
        parse_unit("mg/L").factor_to(parse_unit("L/h"))


def test_factor_to_refuses_affine_conversions() -> None:
    with pytest.raises(UnitError, match="offset"):
        parse_unit("degC").factor_to(parse_unit("K"))


def test_to_si_and_back() -> None:
    unit = parse_unit("mL/min")
    assert unit.from_si(unit.to_si(3.0)) == pytest.approx(3.0)
    assert unit.same_dimension(parse_unit("unit:M3-PER-SEC"))
    assert not unit.same_dimension(parse_unit("kg"))


def test_unit_holds_no_pint_objects() -> None:
    unit = parse_unit("unit:KiloGM-PER-M3")
    assert type(unit.scale) is float
    assert type(unit.offset) is float
    assert type(unit.symbol) is str
    assert isinstance(unit.dimension, Dimension)
    assert all(type(value) is Fraction for value in unit.dimension.exponents)


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        ("W/(m.K)", "W/(m·K)"),
        ("mg/L", "mg/L"),
        ("unit:KiloGM-PER-M3", "kg/m³"),
        ("unit:DEG_C", "°C"),
        ("1/s", "1/s"),
        ("%", "%"),
        ("kg*m**2/s**2", "kg·m²/s²"),
    ],
)
def test_symbols(text: str, symbol: str) -> None:
    assert parse_unit(text).symbol == symbol


def test_unit_symbol_defaults_to_text() -> None:
    assert Unit("x", None, ONE, 1.0).symbol == "x"


def test_results_are_cached() -> None:
    assert parse_unit("mg/L") is parse_unit("mg/L")


# -- refusals ---------------------------------------------------------------------------------


def _refusal(text: str) -> str:
    with pytest.raises(UnitError) as info:
        parse_unit(text)
    message = str(info.value)
    assert message
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("foo", "unknown unit 'foo'"),
        ("m/", "ends too early"),
        ("(m", "ends too early"),
        ("m)", "unexpected ')'"),
        ("kg^^2", "exponent"),
        ("m**(1/0)", "exponent"),
        ("m$", "unexpected character '$'"),
        ("10 m", "contains the number 10"),
        ("2*m", "contains the number 2"),
        ("1e-3 m", "contains the number 1e-3"),
        ("1e5", "contains the number 1e5"),
        ("1" * 30, "too long"),
        ("m**99999999999", "out of range"),
        ("m99999999999", "out of range"),
        ("((m**16)**16)", "out of range"),
        ("10^99", "out of range"),
        ("x" * 10000, "at most 200"),
        ("m" * 201, "at most 200"),
        ("http://example.org/unit/m", "not a QUDT unit IRI"),
        ("unit:NOPE", "unknown symbol 'NOPE'"),
        ("unit:", "not a QUDT unit local name"),
        ("unit:CCY_EUR", "currency"),
        ("unit:IU-PER-L", "substance-specific"),
        ("B", "ambiguous"),
        ("kt", "ambiguous"),
        ("R", "ambiguous"),
        ("hbar", "ambiguous"),
        ("[IU]", "substance-specific"),
        ("(" * 60 + "m" + ")" * 60, "nested too deeply"),
    ],
)
def test_refusals(text: str, fragment: str) -> None:
    assert fragment in _refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        "unit:B",
        "unit:DeciB",
        "unit:NP",
        "unit:OCT",
        "unit:DECADE",
        "unit:DeciB-PER-M",
        "dB",
        "Np",
        "mNp",
        "kB",
        "decibel",
        "neper",
        "octave",
        "decade",
        "[pH]",
        "B[SPL]",
    ],
)
def test_logarithmic_units_are_refused(text: str) -> None:
    assert "logarithmic units are not supported" in _refusal(text)


def test_non_text_is_refused() -> None:
    with pytest.raises(UnitError, match="must be text"):
        parse_unit(cast(str, 5))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_random_text_gives_a_unit_or_a_unit_error(text: str) -> None:
    try:
        unit = parse_unit(text)
    except UnitError as error:
        assert "\n" not in str(error)
    else:
        assert isinstance(unit, Unit)
        assert math.isfinite(unit.scale)
        assert unit.scale > 0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="mkgsKLCWJNPah()*/.^0123456789-+[]{}_ %'µ°", max_size=30))
def test_unit_like_text_gives_a_unit_or_a_unit_error(text: str) -> None:
    try:
        unit = parse_unit(text)
    except UnitError as error:
        assert "\n" not in str(error)
    else:
        assert unit.from_si(unit.to_si(2.5)) == pytest.approx(2.5)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["unit:", "http://qudt.org/vocab/unit/"]), st.text(max_size=40))
def test_random_qudt_names_give_a_unit_or_a_unit_error(prefix: str, local: str) -> None:
    try:
        parse_unit(prefix + local)
    except UnitError as error:
        assert "\n" not in str(error)


# -- quantity kinds ---------------------------------------------------------------------------


def test_quantity_kind_dimension_forms() -> None:
    expected = Dimension.of(Theta=1)
    for iri in (
        "http://qudt.org/vocab/quantitykind/ThermodynamicTemperature",
        "https://qudt.org/vocab/quantitykind/ThermodynamicTemperature",
        "quantitykind:ThermodynamicTemperature",
    ):
        assert quantity_kind_dimension(iri) == expected


@pytest.mark.parametrize(
    ("kind", "dimension"),
    [
        ("Pressure", PRESSURE),
        ("ThermalConductivity", CONDUCTIVITY),
        ("MassConcentration", DENSITY),
        ("Concentration", MOLAR),
        ("VolumeFlowRate", FLOW),
        ("DiffusionCoefficient", Dimension.of(L=2, T=-1)),
        ("HydraulicPermeability", Dimension.of(L=2)),
        ("Permeability", Dimension.of(M=1, L=1, T=-2, I=-2)),
        ("PoissonRatio", ONE),
        ("Activity", RATE),
        ("SpecificHeatCapacity", Dimension.of(L=2, T=-2, Theta=-1)),
    ],
)
def test_quantity_kinds(kind: str, dimension: Dimension) -> None:
    assert quantity_kind_dimension(f"http://qudt.org/vocab/quantitykind/{kind}") == dimension


def test_unknown_quantity_kinds() -> None:
    assert quantity_kind_dimension("http://qudt.org/vocab/quantitykind/NoSuchKind") is None
    assert quantity_kind_dimension("http://example.org/Pressure") is None


def test_known_quantity_kinds() -> None:
    kinds = known_quantity_kinds()
    assert len(kinds) >= 150
    assert list(kinds) == sorted(kinds)
    assert all(quantity_kind_dimension(iri) is not None for iri in kinds)


@pytest.mark.parametrize(
    ("iri", "label"),
    [
        (
            "http://qudt.org/vocab/quantitykind/ThermodynamicTemperature",
            "thermodynamic temperature",
        ),
        ("quantitykind:APIGravity", "API gravity"),
        ("quantitykind:Length", "length"),
        ("quantitykind:CO2Equivalent", "CO2 equivalent"),
        ("quantitykind:Log10Ratio", "log10 ratio"),
        ("http://example.org/kinds#MassFlowRate", "mass flow rate"),
    ],
)
def test_quantity_kind_label(iri: str, label: str) -> None:
    assert quantity_kind_label(iri) == label
