"""The QUDT grammar, and agreement of the resolver with the QUDT reference data.

The reference data (``../shared/data/qudt/units.ttl``, or the file named by the environment
variable ``SCALEBRIDGE_QUDT_UNITS``) is read here only; it is not part of the project.  Run with
``pytest -s`` to see the coverage and the refusals.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from scalebridge.model.dimensions import (
    Dimension,
    UnitError,
    known_quantity_kinds,
    parse_unit,
    quantity_kind_dimension,
)
from scalebridge.model.qudt_units import QUDT_PREFIXES, qudt_local_name_to_pint

QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = "http://qudt.org/vocab/unit/"
KIND = "http://qudt.org/vocab/quantitykind/"
DEFAULT_UNITS_FILE = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "qudt" / "units.ttl"
)


# -- the grammar ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "expression"),
    [
        ("W-PER-M-K", "watt / (meter * kelvin)"),
        ("MilliGM-PER-L", "milligram / liter"),
        ("KiloGM-PER-M3", "kilogram / meter ** 3"),
        ("J-PER-M3-K", "joule / (meter ** 3 * kelvin)"),
        ("M2-PER-SEC", "meter ** 2 / second"),
        ("PER-SEC", "1 / second"),
        ("MOL-PER-M3", "mole / meter ** 3"),
        ("DEG_C", "degree_Celsius"),
        ("LB_F", "force_pound"),
        ("BTU_IT", "international_british_thermal_unit"),
        ("MI_US", "survey_mile"),
        ("GAL_UK", "imperial_gallon"),
        ("IN_HG", "inch_Hg"),
        ("KiloGM_F", "kiloforce_gram"),
        ("HP_Metric", "metric_horsepower"),
        ("KibiBYTE", "kibibyte"),
        ("MicroMOL2-PER-M4-SEC2", "micromole ** 2 / (meter ** 4 * second ** 2)"),
        ("SEC0dot5", "second ** 0.5"),
        ("CentiM_H2O_4DEG_C", "centimeter_H2O_4C"),
        ("IN_HG_60DEG_F", "inch_Hg_60F"),
        ("UNITLESS", "dimensionless"),
    ],
)
def test_local_names(local: str, expression: str) -> None:
    assert qudt_local_name_to_pint(local) == expression


@pytest.mark.parametrize(
    ("local", "fragment"),
    [
        ("", "not a QUDT unit local name"),
        ("W--K", "not a QUDT unit local name"),
        ("W PER K", "not a QUDT unit local name"),
        ("W-PER-M-PER-K", "only once"),
        ("W-PER", "nothing follows 'PER'"),
        ("FOO", "unknown symbol 'FOO'"),
        ("KiloFOO", "unknown symbol 'KiloFOO'"),
        ("M99", "too large"),
        ("CCY_USD", "currency"),
        ("MegaCCY_USD-PER-YR", "currency"),
        ("DeciB", "logarithmic units are not supported"),
        ("B-PER-M", "logarithmic units are not supported"),
        ("NP", "logarithmic units are not supported"),
        ("OCT", "logarithmic units are not supported"),
        ("DECADE", "logarithmic units are not supported"),
        ("KiloUNITLESS", "prefix"),
        ("A" * 201, "not a QUDT unit local name"),
    ],
)
def test_local_name_refusals(local: str, fragment: str) -> None:
    with pytest.raises(UnitError) as info:
        qudt_local_name_to_pint(local)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


# -- reading the reference data ---------------------------------------------------------------


@dataclass(frozen=True)
class QudtUnit:
    local: str
    multiplier: float
    offset: float | None
    dimension: Dimension | None
    ucum: tuple[str, ...]


_VECTOR = re.compile(
    r"A(?P<A>-?[0-9dot]+)E(?P<E>-?[0-9dot]+)L(?P<L>-?[0-9dot]+)I(?P<I>-?[0-9dot]+)"
    r"M(?P<M>-?[0-9dot]+)H(?P<H>-?[0-9dot]+)T(?P<T>-?[0-9dot]+)D[0-9]+"
)


def qudt_dimension(node: object) -> Dimension | None:
    """A QUDT dimension vector (``qkdv:A0E0L-1I0M1H0T-2D0``) as a Dimension; the D flag is
    ignored.  A=amount, E=current, L=length, I=luminous intensity, M=mass, H=temperature,
    T=time.  None for ``qkdv:NotApplicable``."""
    match = _VECTOR.fullmatch(str(node).rsplit("/", 1)[-1])
    if match is None:
        return None
    value = {key: Fraction(text.replace("dot", ".")) for key, text in match.groupdict().items()}
    return Dimension.of(
        L=value["L"],
        M=value["M"],
        T=value["T"],
        I=value["E"],
        Theta=value["H"],
        N=value["A"],
        J=value["I"],
    )


def _units_file() -> Path:
    override = os.environ.get("SCALEBRIDGE_QUDT_UNITS")
    return Path(override) if override else DEFAULT_UNITS_FILE


@pytest.fixture(scope="module")
def qudt_graph() -> Graph:
    path = _units_file()
    if not path.is_file():
        pytest.fail(
            f"the QUDT reference data is missing: {path} does not exist.  Put the QUDT units "
            "extract there or name it with the environment variable SCALEBRIDGE_QUDT_UNITS.",
            pytrace=False,
        )
    graph = Graph()
    graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def qudt_units(qudt_graph: Graph) -> list[QudtUnit]:
    units = []
    for node in qudt_graph.subjects(RDF.type, QUDT.Unit):
        if not isinstance(node, URIRef) or not str(node).startswith(UNIT):
            continue
        multiplier = qudt_graph.value(node, QUDT.conversionMultiplier)
        offset = qudt_graph.value(node, QUDT.conversionOffset)
        vector = qudt_graph.value(node, QUDT.hasDimensionVector)
        units.append(
            QudtUnit(
                local=str(node)[len(UNIT) :],
                multiplier=float(str(multiplier)) if multiplier is not None else 0.0,
                offset=float(str(offset)) if offset is not None else None,
                dimension=qudt_dimension(vector) if vector is not None else None,
                ucum=tuple(sorted(str(code) for code in qudt_graph.objects(node, QUDT.ucumCode))),
            )
        )
    assert len(units) > 2000, f"only {len(units)} units read from {_units_file()}"
    return sorted(units, key=lambda unit: unit.local)


def factor_symbols(local: str) -> set[str]:
    """The base symbols of a local name (prefix and exponent removed from each factor)."""
    symbols = set()
    for factor in local.split("-"):
        token = re.sub(r"(?<=[A-Za-z_])\d+(dot\d+)?$", "", factor)
        for prefix in QUDT_PREFIXES:
            rest = token[len(prefix) :]
            if token.startswith(prefix) and rest and (rest[0].isupper() or rest[0] == "_"):
                symbols.add(rest)
        symbols.add(token)
    return symbols


# -- agreement with QUDT ----------------------------------------------------------------------

# Units where QUDT's own value is not right by the definition of the unit.  The resolver follows
# the definition; for these the test checks what QUDT does get right.
#   symbol: (what QUDT gets wrong, relative tolerance for the scale or None when QUDT has
#            no usable value, why)
QUDT_QUIRKS: dict[str, tuple[str, float | None, str]] = {
    "J-PER-M2-SEC0dot5-K": ("dimension", 1e-6, "QUDT's vector for effusivity adds E-2 L2"),
    "BAUD": ("dimension", 1e-6, "QUDT makes the baud dimensionless; it is one symbol per second"),
    "S_Ab": ("dimension", 1e-6, "QUDT gives this conductance unit the conductivity's m^-3"),
    "S_Stat": ("dimension", 1e-6, "QUDT gives this conductance unit the conductivity's m^-3"),
    "MHO_Stat": ("dimension", 1e-6, "QUDT gives this conductance unit the conductivity's m^-3"),
    "OSM": ("scale", None, "QUDT records multiplier 0; an osmole counts moles of particles"),
    "SpeedOfLight": ("scale", None, "QUDT records multiplier 0; c is 299 792 458 m/s"),
    "ENZ": ("scale", 1e-4, "QUDT rounds 1 umol/min = 1.666667e-8 mol/s to 1.6667e-8"),
    "FC": ("scale", 1e-4, "QUDT rounds 1 lm/ft2 = 10.76391 lx to 10.764"),
    "PCA": ("scale", 1e-4, "QUDT rounds the pica (1/6 in = 4.233333 mm) to 4.2333 mm"),
    "STANDARD": ("scale", 1e-3, "QUDT rounds 165 ft3 = 4.672280 m3 to 4.672"),
    "TON_SHIPPING_UK": ("scale", 1e-3, "QUDT rounds 40 ft3 = 1.132674 m3 to 1.1326"),
    "TON_SHIPPING_US": ("scale", 1e-3, "QUDT rounds 40 ft3 = 1.132674 m3 to 1.1326"),
    "CAL_MEAN": ("scale", 1e-4, "QUDT rounds the mean calorie (4.19002 J, NIST SP 811) to 4.19"),
    "CAL_Mean": ("scale", 1e-4, "QUDT rounds the mean calorie (4.19002 J, NIST SP 811) to 4.19"),
    "BBL_US_DRY": ("scale", 1e-4, "QUDT uses 105 dry quarts; the law says 7056 in3 (15 USC 234)"),
    "M_H2O_4DEG_C": ("scale", 1e-4, "QUDT uses 1000 kg/m3 for water at 4 C (it is 999.972)"),
    "FT_H2O_39dot2DEG_F": ("scale", 1e-4, "QUDT uses 1000 kg/m3 for water at 4 C (999.972)"),
    # QUDT's Planck units come from the 2006 CODATA G, given to 4-7 digits, and its
    # PlanckVolume is 5e-4 away from its own PlanckLength cubed; pint uses CODATA 2018.
    "Planck": ("scale", 1e-3, "QUDT uses old constants for the Planck units"),
}


def quirk_for(local: str) -> tuple[str, float | None, str] | None:
    if local in QUDT_QUIRKS:
        return QUDT_QUIRKS[local]
    for symbol in factor_symbols(local):
        if symbol in QUDT_QUIRKS:
            return QUDT_QUIRKS[symbol]
        if symbol.startswith("Planck"):
            return QUDT_QUIRKS["Planck"]
    return None


def test_resolver_agrees_with_qudt(qudt_units: list[QudtUnit]) -> None:
    disagreements: list[str] = []
    refused: Counter[str] = Counter()
    accepted = 0
    for reference in qudt_units:
        try:
            unit = parse_unit(UNIT + reference.local)
        except UnitError:
            refused[reference.local.split("-")[0]] += 1
            continue
        accepted += 1
        quirk = quirk_for(reference.local)
        wrong_in_qudt = quirk[0] if quirk else None
        tolerance = quirk[1] if quirk else 1e-6
        if wrong_in_qudt != "dimension" and unit.dimension != reference.dimension:
            disagreements.append(
                f"{reference.local}: dimension {unit.dimension}, QUDT {reference.dimension}"
            )
        expected = reference.multiplier
        if tolerance is not None and abs(unit.scale - expected) > tolerance * abs(expected):
            disagreements.append(f"{reference.local}: scale {unit.scale!r}, QUDT {expected!r}")
        # QUDT's offset is in the unit itself: SI = (value + offset) * multiplier.
        offset = (reference.offset or 0.0) * reference.multiplier
        if abs(unit.offset - offset) > 1e-9 * max(abs(offset), 1.0):
            disagreements.append(f"{reference.local}: offset {unit.offset!r}, QUDT {offset!r}")
    coverage = accepted / len(qudt_units)
    print(f"\nQUDT units: {accepted} of {len(qudt_units)} resolved, coverage {coverage:.1%}")
    currencies = sum(count for token, count in refused.items() if "CCY_" in token)
    print(f"refused: {sum(refused.values())}, of which currencies: {currencies}")
    for token, count in sorted(refused.items(), key=lambda item: (-item[1], item[0])):
        if "CCY_" not in token:
            print(f"  {token}: {count}")
    assert not disagreements, "\n".join(["disagreements with QUDT:", *disagreements])
    assert coverage >= 0.90, f"coverage {coverage:.1%} is below 90%"


def test_offset_temperatures_agree_with_qudt(qudt_units: list[QudtUnit]) -> None:
    with_offset = [unit for unit in qudt_units if unit.offset]
    assert {unit.local for unit in with_offset} >= {"DEG_C", "DEG_F"}
    for reference in with_offset:
        unit = parse_unit(UNIT + reference.local)
        assert unit.offset == pytest.approx((reference.offset or 0.0) * reference.multiplier)


@pytest.mark.parametrize("local", ["B", "DeciB", "NP", "OCT", "DECADE"])
def test_qudt_logarithmic_units_are_refused(local: str) -> None:
    with pytest.raises(UnitError, match="logarithmic units are not supported"):
        parse_unit(UNIT + local)


def test_refusals_are_one_line_and_name_the_unit(qudt_units: list[QudtUnit]) -> None:
    for reference in qudt_units:
        try:
            parse_unit(UNIT + reference.local)
        except UnitError as error:
            message = str(error)
            assert "\n" not in message
            assert reference.local in message or "ambiguous" in message, message


# QUDT records some UCUM codes that UCUM reads as a different unit than the IRI.
UCUM_QUIRKS: dict[str, str] = {
    "MO": "QUDT's month is synodic; UCUM mo is the mean Julian month",
    "FUR": "QUDT's furlong is international; UCUM [fur_us] is the survey furlong",
    "CubicFT": "UCUM reads k[ft_i]3 as (1000 ft)^3, not 1000 ft^3",
    "PERMEABILITY_EM_REL": "UCUM [mu_0] is the magnetic constant, not a ratio",
    "REV": "UCUM {#} is a count, not a revolution of 2 pi rad",
}


def test_ucum_codes_agree_with_qudt_iris(qudt_units: list[QudtUnit]) -> None:
    agreed = 0
    disagreements = []
    for reference in qudt_units:
        if not reference.ucum or factor_symbols(reference.local) & set(UCUM_QUIRKS):
            continue
        try:
            from_iri = parse_unit(UNIT + reference.local)
        except UnitError:
            continue
        for code in reference.ucum:
            try:
                from_code = parse_unit(code)
            except UnitError:
                continue
            same = (
                from_code.dimension == from_iri.dimension
                and from_code.scale == pytest.approx(from_iri.scale, rel=1e-9)
                and from_code.offset == pytest.approx(from_iri.offset, rel=1e-9)
            )
            if same:
                agreed += 1
            else:
                disagreements.append(
                    f"{reference.local} vs {code!r}: {from_iri.scale!r} {from_iri.dimension} / "
                    f"{from_code.scale!r} {from_code.dimension}"
                )
    assert not disagreements, "\n".join(disagreements)
    assert agreed > 2000


# -- quantity kinds ---------------------------------------------------------------------------

# Kinds of the table that the units extract does not describe, with a unit to check them by.
KINDS_BY_UNIT = {
    "AmountOfSubstanceConcentration": "MOL-PER-M3",
    "BulkModulus": "PA",
    "Depth": "M",
    "Diameter": "M",
    "Diffusivity": "M2-PER-SEC",
    "Displacement": "M",
    "ElectromotiveForce": "V",
    "Enthalpy": "J",
    "GibbsEnergy": "J",
    "Heat": "J",
    "HeatFlowRatePerUnitArea": "W-PER-M2",
    "HeatFluxDensity": "W-PER-M2",
    "Height": "M",
    "HelmholtzEnergy": "J",
    "Illuminance": "LUX",
    "InternalEnergy": "J",
    "KineticEnergy": "J",
    "LinearDensity": "KiloGM-PER-M",
    "LinearStrain": "UNITLESS",
    "NormalStress": "PA",
    "PotentialEnergy": "J",
    "Pressure": "PA",
    "Radius": "M",
    "ShearModulus": "PA",
    "ShearStrain": "UNITLESS",
    "ShearStress": "PA",
    "SoundPressure": "PA",
    "Strain": "UNITLESS",
    "Stress": "PA",
    "SurfaceTension": "N-PER-M",
    "Thickness": "M",
    "Wavelength": "M",
    "Weight": "N",
    "Width": "M",
    "Work": "J",
    "YoungsModulus": "PA",
}


def test_quantity_kinds_agree_with_qudt(qudt_graph: Graph) -> None:
    qudt_kinds = {
        str(node)[len(KIND) :]: qudt_dimension(qudt_graph.value(node, QUDT.hasDimensionVector))
        for node in qudt_graph.subjects(RDF.type, QUDT.QuantityKind)
        if str(node).startswith(KIND)
    }
    disagreements = []
    unchecked = []
    checked = 0
    for iri in known_quantity_kinds():
        local = iri[len(KIND) :]
        ours = quantity_kind_dimension(iri)
        if local in qudt_kinds:
            expected = qudt_kinds[local]
        elif local in KINDS_BY_UNIT:
            expected = parse_unit(UNIT + KINDS_BY_UNIT[local]).dimension
        else:
            unchecked.append(local)
            continue
        checked += 1
        if ours != expected:
            disagreements.append(f"{local}: ours {ours}, QUDT {expected}")
    print(f"\nquantity kinds: {checked} checked, {len(known_quantity_kinds())} in the table")
    assert not unchecked, f"kinds with nothing to check them against: {unchecked}"
    assert not disagreements, "\n".join(disagreements)


def test_quantity_kinds_unknown_to_the_table(qudt_graph: Graph) -> None:
    unknown = URIRef(KIND + "Unknown")
    assert (unknown, RDF.type, QUDT.QuantityKind) in qudt_graph
    assert quantity_kind_dimension(str(unknown)) is None
