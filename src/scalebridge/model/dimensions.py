"""Physical dimensions and units: the value types, and the only place scalebridge talks to pint.

Every field, parameter and value in a scalebridge model carries a unit, written either as a
QUDT unit IRI (``unit:W-PER-M-K``) or as a UCUM or pint string (``"mg/L"``, ``"W/(m.K)"``,
``"degC"``).  :func:`parse_unit` turns any of them into a :class:`Unit`: a :class:`Dimension`
(exponents of the seven SI base dimensions) and the affine map to SI, ``SI value = value *
scale + offset``.  Nothing from pint ever leaves this module.

How a unit text is read
-----------------------
1. A QUDT IRI (``http://qudt.org/vocab/unit/X`` or ``https://...``) or the CURIE
   ``unit:X``: the local name ``X`` is read with the QUDT grammar of
   :mod:`scalebridge.model.qudt_units`.  Any other IRI is refused.
2. Any other text is an expression in one grammar that accepts both UCUM and pint syntax,
   which do not clash: ``*``, ``.`` and whitespace multiply; ``/`` divides (left to right, a
   leading ``/`` means ``1/``); ``**`` and ``^`` raise to a power; an integer written right
   after a unit is its exponent (``m2``, ``s-1``, ``[ft_i]3``); ``[...]`` belongs to a UCUM
   unit name; ``{...}`` is a UCUM annotation and is dropped (alone it means 1); the UCUM
   power of ten ``10*N`` / ``10^N`` is a factor.  Any other number must be 1: ``"10 m"`` is a
   quantity, not a unit, and is refused.
3. Each unit name in the expression is looked up, first hit wins:

   a. names that UCUM and pint read differently are refused as ambiguous (``B``: bel or
      byte, ``kt``: kilotonne or knot, ``R``: roentgen or gas constant, ``hbar``: hectobar or
      Planck's constant, ``dpi``, ``ppt``); so are logarithmic and arbitrary units;
   b. the UCUM atom table (``Cel``, ``[degF]``, ``Ohm``, ``[in_i]``, ``%``, ``[ppm]``, ...,
      plus a few common spellings such as ``Eq`` and ``var``);
   c. pint's own names and aliases, unprefixed (``ft``, ``ha``, ``hr``, ``degC``, ``meter``);
   d. a UCUM prefix on a name of that table (``mg``, ``uL``, ``umol``, ``mCel``, ``kOhm``,
      ``k[lbf_av]``);
   e. a pint prefix on a pint name (``kilometer``, ``mmHg``, ``µs``).

   So ``ft`` is the foot (not UCUM's femtotonne) and ``ha`` the hectare (not the hectoyear).

Offset units (``degC``, ``Cel``, ``[degF]``, ``unit:DEG_C``) keep their offset only when they
stand alone; inside a compound (``W/(m.Cel)``) or with an exponent they count as differences,
as in QUDT and UCUM.  Logarithmic units (bel, decibel, neper, octave, decade, pH) are refused.

Example
-------
>>> u = parse_unit("unit:W-PER-M-K")
>>> u.dimension.to_si_string(), u.scale
('m kg s^-3 K^-1', 1.0)
>>> parse_unit("W/(m.K)").dimension == u.dimension
True
>>> parse_unit("degC").to_si(0.0)
273.15
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any, Final

import pint

from scalebridge.model.qudt_units import (
    DISPLAY_SYMBOLS,
    PINT_DEFINITIONS,
    UnitError,
    qudt_local_name_to_pint,
)

__all__ = [
    "BASE_DIMENSIONS",
    "Dimension",
    "Unit",
    "UnitError",
    "known_quantity_kinds",
    "parse_unit",
    "quantity_kind_dimension",
    "quantity_kind_label",
]

BASE_DIMENSIONS: Final[tuple[str, ...]] = ("L", "M", "T", "I", "Theta", "N", "J")
"""Base dimension names: length, mass, time, current, temperature, amount, luminous intensity."""

_SI_SYMBOLS: Final[tuple[str, ...]] = ("m", "kg", "s", "A", "K", "mol", "cd")
_MAX_TEXT: Final = 200
_MAX_EXPONENT: Final = 16
_MAX_DENOMINATOR: Final = 12
_MAX_TEN_POWER: Final = 30
_MAX_NESTING: Final = 32

QUDT_UNIT_NAMESPACE: Final = "http://qudt.org/vocab/unit/"
_QUDT_UNIT_PREFIXES: Final = (QUDT_UNIT_NAMESPACE, "https://qudt.org/vocab/unit/", "unit:")
_QUDT_KIND_PREFIXES: Final = (
    "http://qudt.org/vocab/quantitykind/",
    "https://qudt.org/vocab/quantitykind/",
    "quantitykind:",
)


def _fraction(value: int | Fraction) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise TypeError(f"a dimension exponent must be an int or a Fraction, not {value!r}")
    return Fraction(value)


def _format_exponent(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


@dataclass(frozen=True, slots=True, repr=False)
class Dimension:
    """Exponents of the seven SI base dimensions, in the order of :data:`BASE_DIMENSIONS`.

    Exponents are fractions because a few units (fracture toughness, Pa m^1/2) carry
    half-integer ones.  Build dimensions with :meth:`of` and combine them with ``*``, ``/``
    and ``**``.

    >>> pressure = Dimension.of(M=1, L=-1, T=-2)
    >>> str(pressure)
    'kg m^-1 s^-2'
    >>> pressure * Dimension.of(L=2) == Dimension.of(M=1, L=1, T=-2)
    True
    >>> (Dimension.of(L=1) ** Fraction(1, 2)).to_si_string()
    'm^1/2'
    """

    exponents: tuple[Fraction, ...]

    def __post_init__(self) -> None:
        values = tuple(_fraction(value) for value in self.exponents)
        if len(values) != len(BASE_DIMENSIONS):
            raise ValueError(f"a Dimension needs {len(BASE_DIMENSIONS)} exponents, got {values}")
        object.__setattr__(self, "exponents", values)

    @classmethod
    def dimensionless(cls) -> Dimension:
        """The dimension of pure numbers (all exponents zero).

        >>> Dimension.dimensionless().is_dimensionless
        True
        """
        return cls((Fraction(0),) * len(BASE_DIMENSIONS))

    @classmethod
    def of(cls, **exponents: int | Fraction) -> Dimension:
        """A dimension from keyword exponents named as in :data:`BASE_DIMENSIONS`.

        >>> Dimension.of(L=1, T=-1).to_si_string()
        'm s^-1'
        >>> Dimension.of(Theta=1)
        Dimension('K')
        """
        unknown = sorted(set(exponents) - set(BASE_DIMENSIONS))
        if unknown:
            raise TypeError(f"unknown base dimension(s) {unknown}; use {BASE_DIMENSIONS}")
        return cls(tuple(_fraction(exponents.get(name, 0)) for name in BASE_DIMENSIONS))

    @property
    def is_dimensionless(self) -> bool:
        """True when every exponent is zero.

        >>> Dimension.of(L=1).is_dimensionless
        False
        """
        return not any(self.exponents)

    def __mul__(self, other: object) -> Dimension:
        if not isinstance(other, Dimension):
            return NotImplemented
        return Dimension(tuple(a + b for a, b in zip(self.exponents, other.exponents, strict=True)))

    def __truediv__(self, other: object) -> Dimension:
        if not isinstance(other, Dimension):
            return NotImplemented
        return Dimension(tuple(a - b for a, b in zip(self.exponents, other.exponents, strict=True)))

    def __pow__(self, power: object) -> Dimension:
        if isinstance(power, bool) or not isinstance(power, int | Fraction):
            return NotImplemented
        return Dimension(tuple(a * power for a in self.exponents))

    def to_si_string(self) -> str:
        """The dimension as SI base units in ASCII, for messages to modellers.

        Units with positive exponents come first, then those with negative ones, each group in
        the order m kg s A K mol cd.  Exponents other than 1 follow ``^`` (``m^-3``,
        ``m^1/2``); a pure number is ``"1"``.

        >>> Dimension.of(M=1, L=2, T=-3, I=-1).to_si_string()
        'm^2 kg s^-3 A^-1'
        >>> Dimension.of(M=1, L=-3).to_si_string()
        'kg m^-3'
        >>> Dimension.dimensionless().to_si_string()
        '1'
        """
        pairs = list(zip(_SI_SYMBOLS, self.exponents, strict=True))
        # Positive exponents first (kg m^-1 s^-2 reads better than m^-1 kg s^-2).
        ordered = [pair for pair in pairs if pair[1] > 0] + [pair for pair in pairs if pair[1] < 0]
        parts = [
            symbol if exponent == 1 else f"{symbol}^{_format_exponent(exponent)}"
            for symbol, exponent in ordered
        ]
        return " ".join(parts) if parts else "1"

    def __str__(self) -> str:
        return self.to_si_string()

    def __repr__(self) -> str:
        return f"Dimension({self.to_si_string()!r})"


@dataclass(frozen=True, slots=True)
class Unit:
    """A resolved unit: its dimension and the affine map to SI base units.

    ``text`` is the unit exactly as the modeller wrote it, ``iri`` the QUDT unit IRI when it
    was given as one, ``symbol`` a short printable form.  A value ``v`` in this unit is
    ``v * scale + offset`` in SI base units (kg, m, s, A, K, mol, cd); ``offset`` is non-zero
    only for a lone offset temperature unit (degC, degF).

    >>> mg_per_l = parse_unit("mg/L")
    >>> mg_per_l.symbol, mg_per_l.dimension.to_si_string(), mg_per_l.to_si(1.0)
    ('mg/L', 'kg m^-3', 0.001)
    """

    text: str
    iri: str | None
    dimension: Dimension
    scale: float
    offset: float = 0.0
    symbol: str = field(default="")

    def __post_init__(self) -> None:
        if not self.symbol:
            object.__setattr__(self, "symbol", self.text)

    def to_si(self, value: float) -> float:
        """Convert ``value`` from this unit to SI base units.

        >>> parse_unit("degC").to_si(25.0)
        298.15
        >>> round(parse_unit("degF").to_si(212.0), 9)
        373.15
        """
        return value * self.scale + self.offset

    def from_si(self, value: float) -> float:
        """Convert ``value`` from SI base units to this unit.

        >>> parse_unit("km").from_si(1500.0)
        1.5
        """
        return (value - self.offset) / self.scale

    def same_dimension(self, other: Unit) -> bool:
        """True when ``other`` measures the same kind of quantity (equal dimensions).

        >>> parse_unit("L/h").same_dimension(parse_unit("unit:M3-PER-SEC"))
        True
        """
        return self.dimension == other.dimension

    def factor_to(self, other: Unit) -> float:
        """The factor that turns a value in this unit into a value in ``other``.

        Raises :class:`UnitError` when the dimensions differ, or when the units have different
        offsets (degC to K is affine, so no single factor converts it).

        >>> parse_unit("ms").factor_to(parse_unit("s"))
        0.001
        >>> parse_unit("mg").factor_to(parse_unit("kg"))
        1e-06
        """
        if self.dimension != other.dimension:
            raise UnitError(
                f"cannot convert {self.symbol} ({self.dimension}) to {other.symbol} "
                f"({other.dimension}): the dimensions differ"
            )
        if self.offset != other.offset:
            raise UnitError(
                f"converting {self.symbol} to {other.symbol} needs an offset, not a factor; "
                "convert values with to_si and from_si"
            )
        return self.scale / other.scale


# -- the pint registry ---------------------------------------------------------------------

_REGISTRY: pint.UnitRegistry[Any] | None = None
_REGISTRY_LOCK: Final = threading.Lock()

_PINT_BASE_DIMENSIONS: Final[dict[str, int]] = {
    "[length]": 0,
    "[mass]": 1,
    "[time]": 2,
    "[current]": 3,
    "[temperature]": 4,
    "[substance]": 5,
    "[luminosity]": 6,
}
_PINT_SI_UNITS: Final[dict[str, str]] = {
    "[length]": "meter",
    "[mass]": "kilogram",
    "[time]": "second",
    "[current]": "ampere",
    "[temperature]": "kelvin",
    "[substance]": "mole",
    "[luminosity]": "candela",
}

# pint prefix names, their factors and printed symbols; prefixes are applied here rather than
# by pint because pint refuses prefixed offset units (QUDT has millidegree Celsius).
_PINT_PREFIXES: Final[dict[str, tuple[float, str]]] = {
    "quecto": (1e-30, "q"),
    "ronto": (1e-27, "r"),
    "yocto": (1e-24, "y"),
    "zepto": (1e-21, "z"),
    "atto": (1e-18, "a"),
    "femto": (1e-15, "f"),
    "pico": (1e-12, "p"),
    "nano": (1e-9, "n"),
    "micro": (1e-6, "µ"),
    "milli": (1e-3, "m"),
    "centi": (1e-2, "c"),
    "deci": (1e-1, "d"),
    "deca": (1e1, "da"),
    "hecto": (1e2, "h"),
    "kilo": (1e3, "k"),
    "mega": (1e6, "M"),
    "giga": (1e9, "G"),
    "tera": (1e12, "T"),
    "peta": (1e15, "P"),
    "exa": (1e18, "E"),
    "zetta": (1e21, "Z"),
    "yotta": (1e24, "Y"),
    "ronna": (1e27, "R"),
    "quetta": (1e30, "Q"),
    "kibi": (2.0**10, "Ki"),
    "mebi": (2.0**20, "Mi"),
    "gibi": (2.0**30, "Gi"),
    "tebi": (2.0**40, "Ti"),
    "pebi": (2.0**50, "Pi"),
    "exbi": (2.0**60, "Ei"),
    "zebi": (2.0**70, "Zi"),
    "yobi": (2.0**80, "Yi"),
}

# pint defines these in CGS-Gaussian dimensions (mass**0.5 length**1.5 ...); a modeller who
# writes them means the SI equivalents that QUDT and UCUM use.
_PINT_SI_OVERRIDES: Final[dict[str, str]] = {
    "gauss": "gauss_SI",
    "maxwell": "maxwell_SI",
    "oersted": "oersted_SI",
    "franklin": "statcoulomb_SI",
    "statvolt": "statvolt_SI",
    "statampere": "statampere_SI",
    "statohm": "statohm_SI",
    "statfarad": "statfarad_SI",
    "statmho": "statmho_SI",
    "statweber": "statweber_SI",
    "stattesla": "stattesla_SI",
    "stathenry": "stathenry_SI",
}


def _registry() -> pint.UnitRegistry[Any]:
    """The module's pint registry, built on first use (building it takes a noticeable time)."""
    global _REGISTRY  # noqa: PLW0603 -- one lazily built registry shared by the module
    registry = _REGISTRY
    if registry is not None:
        return registry
    with _REGISTRY_LOCK:
        if _REGISTRY is None:
            # "raise" makes a clash between PINT_DEFINITIONS and pint's own names fail loudly.
            built: pint.UnitRegistry[Any] = pint.UnitRegistry(on_redefinition="raise")
            for definition in PINT_DEFINITIONS:
                built.define(definition)
            _REGISTRY = built
        return _REGISTRY


# -- resolving one unit name ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Atom:
    """One resolved unit name: ``key`` identifies it (prefix and pint name) for merging."""

    key: str
    dimension: Dimension
    scale: float
    offset: float
    symbol: str


# Symbols printed differently from pint's choice.
_PREFERRED_SYMBOLS: Final[dict[str, str]] = {"liter": "L", "rads": "rd"}

_DIMENSIONLESS_ATOM: Final = _Atom("1", Dimension.dimensionless(), 1.0, 0.0, "1")
_DIMENSIONLESS_WORDS: Final = frozenset({"dimensionless", "unitless"})


def _clean(value: float) -> float:
    return float(f"{value:.15g}")


def _pint_dimension(name: str, shown: str) -> tuple[Dimension, dict[str, float]]:
    """The dimension of a pint unit name, and its pint dimensionality."""
    dimensionality: dict[str, float] = {}
    for key, value in _registry().get_dimensionality(name).items():
        if not isinstance(value, int | float):
            raise UnitError(f"{shown!r} has a non-real exponent of {key}")
        dimensionality[key] = float(value)
    exponents = [Fraction(0)] * len(BASE_DIMENSIONS)
    for key, value in dimensionality.items():
        if key not in _PINT_BASE_DIMENSIONS:
            raise UnitError(f"{shown!r} has the dimension {key}, which is not an SI dimension")
        exponent = Fraction(value).limit_denominator(_MAX_DENOMINATOR)
        if exponent.denominator != 1:
            raise UnitError(f"{shown!r} is defined in CGS-Gaussian dimensions; use an SI unit")
        exponents[_PINT_BASE_DIMENSIONS[key]] = exponent
    return Dimension(tuple(exponents)), dimensionality


@lru_cache(maxsize=1024)
def _pint_atom(prefix: str, name: str, shown: str) -> _Atom:
    """Resolve pint's ``name`` with a pint ``prefix`` ("" for none); ``shown`` is for messages."""
    registry = _registry()
    name = _PINT_SI_OVERRIDES.get(name, name)
    if name in _DIMENSIONLESS_WORDS:
        base = _DIMENSIONLESS_ATOM
    else:
        dimension, dimensionality = _pint_dimension(name, shown)
        target = registry.Unit("dimensionless")
        for key, exponent in dimensionality.items():
            target = target * registry.Unit(_PINT_SI_UNITS[key]) ** exponent
        values = [
            float(registry.Quantity(value, name).to(target).magnitude) for value in (0.0, 1.0, 2.0)
        ]
        offset, scale = values[0], values[1] - values[0]
        # Logarithmic units are the only non-affine conversions pint offers.
        if not math.isclose(values[2] - values[1], scale, rel_tol=1e-9, abs_tol=0.0):
            raise UnitError(f"{shown!r} is logarithmic; logarithmic units are not supported")
        if offset and f"delta_{name}" in registry:
            # The difference of two conversions loses digits; pint's delta unit does not.
            scale = float(registry.Quantity(1.0, f"delta_{name}").to(target).magnitude)
        else:
            # pint chains float operations (foot = yard / 3); 15 significant digits drop
            # that noise.
            scale = _clean(scale)
        if not math.isfinite(scale) or scale <= 0.0:
            raise UnitError(f"{shown!r} has no usable conversion factor to SI")
        symbol = DISPLAY_SYMBOLS.get(name) or _PREFERRED_SYMBOLS.get(name)
        symbol = symbol or registry.get_symbol(name)
        base = _Atom(name, dimension, scale, offset, symbol)
    if not prefix:
        return base
    if prefix not in _PINT_PREFIXES or base is _DIMENSIONLESS_ATOM:
        raise UnitError(f"{shown!r}: the prefix {prefix!r} is not supported here")
    return _prefixed(prefix, base)


def _prefixed(prefix: str, base: _Atom) -> _Atom:
    """``base`` with a pint prefix; the factors multiply as exact decimals (n * g = 1e-12)."""
    factor, prefix_symbol = _PINT_PREFIXES[prefix]
    return _Atom(
        f"{prefix}{base.key}",
        base.dimension,
        float(Fraction(repr(base.scale)) * Fraction(repr(factor))),
        base.offset,
        prefix_symbol + base.symbol,
    )


def _pint_candidates(text: str) -> list[tuple[str, str]]:
    """pint's readings of ``text`` as (prefix, name), in pint's order of preference."""
    readings = _registry().parse_unit_name(text)
    return [(prefix, name) for prefix, name, _suffix in readings]


def _pint_name_atom(text: str, shown: str) -> _Atom | None:
    """Resolve ``text`` as a pint name, with or without a pint prefix; None if pint lacks it.

    An unprefixed reading wins (``ft`` is the foot, not a femtotonne); otherwise pint's first
    reading, which is the one pint itself would use.
    """
    candidates = _pint_candidates(text)
    if not candidates:
        return None
    exact = [reading for reading in candidates if reading[0] == ""]
    prefix, name = exact[0] if exact else candidates[0]
    return _pint_atom(prefix, name, shown)


# UCUM atoms (https://ucum.org/ucum), and a few common non-UCUM spellings, with the pint name
# each stands for.  Any UCUM prefix may precede them: UCUM allows prefixes only on its
# "metric" atoms, but QUDT and modellers write k[lbf_av] and Ma, and since exact names are
# looked up first a prefixed reading can only replace an "unknown unit".
_UCUM_ATOMS: Final[dict[str, str]] = {
    "m": "meter",
    "s": "second",
    "g": "gram",
    "rad": "radian",
    "K": "kelvin",
    "C": "coulomb",
    "cd": "candela",
    "mol": "mole",
    "sr": "steradian",
    "Hz": "hertz",
    "N": "newton",
    "Pa": "pascal",
    "J": "joule",
    "W": "watt",
    "A": "ampere",
    "V": "volt",
    "F": "farad",
    "Ohm": "ohm",
    "S": "siemens",
    "mho": "siemens",
    "Wb": "weber",
    "Cel": "degree_Celsius",
    "T": "tesla",
    "H": "henry",
    "lm": "lumen",
    "lx": "lux",
    "Bq": "becquerel",
    "Gy": "gray",
    "Sv": "sievert",
    "l": "liter",
    "L": "liter",
    "ar": "are",
    "t": "metric_ton",
    "bar": "bar",
    "u": "unified_atomic_mass_unit",
    "eV": "electron_volt",
    "pc": "parsec",
    "AU": "astronomical_unit",
    "Ao": "angstrom",
    "b": "barn",
    "atm": "atmosphere",
    "att": "technical_atmosphere",
    "gf": "force_gram",
    "Ky": "kayser",
    "Gal": "galileo",
    "dyn": "dyne",
    "erg": "erg",
    "P": "poise",
    "St": "stokes",
    "Bi": "biot",
    "Mx": "maxwell_SI",
    "G": "gauss_SI",
    "Oe": "oersted_SI",
    "Gb": "gilbert",
    "sb": "stilb",
    "Lmb": "lambert",
    "ph": "phot",
    "Ci": "curie",
    "RAD": "rads",
    "REM": "rem",
    "cal": "calorie",
    "cal_th": "calorie",
    "cal_IT": "international_calorie",
    "cal_m": "calorie_mean",
    "cal_[15]": "calorie_15C",
    "cal_[20]": "calorie_20C",
    "[Cal]": "kilocalorie",
    "tex": "tex",
    "m[H2O]": "meter_H2O",
    "m[Hg]": "meter_Hg",
    "eq": "equivalent",
    "osm": "osmole",
    "kat": "katal",
    "U": "enzyme_unit",
    "bit": "bit",
    "By": "byte",
    "Bd": "baud",
    "st": "stere",
    "min": "minute",
    "h": "hour",
    "d": "day",
    "wk": "week",
    "a": "year",
    "a_j": "year",
    "a_t": "tropical_year",
    "a_g": "gregorian_year",
    "mo": "month",
    "mo_j": "month",
    "mo_g": "mean_gregorian_month",
    "mo_s": "synodic_month",
    "deg": "degree",
    "gon": "gon",
    "'": "arcminute",
    "''": "arcsecond",
    "%": "percent",
    "[ppth]": "parts_per_thousand",
    "[ppm]": "ppm",
    "[ppb]": "parts_per_billion",
    "[pptr]": "parts_per_trillion",
    "[c]": "speed_of_light",
    "[h]": "planck_constant",
    "[k]": "boltzmann_constant",
    "[e]": "elementary_charge",
    "[eps_0]": "vacuum_permittivity",
    "[mu_0]": "vacuum_permeability",
    "[m_e]": "electron_mass",
    "[m_p]": "proton_mass",
    "[G]": "gravitational_constant",
    "[g]": "standard_gravity",
    "[ly]": "light_year",
    "[S]": "svedberg",
    "[in_i]": "inch",
    "[ft_i]": "foot",
    "[yd_i]": "yard",
    "[mi_i]": "mile",
    "[fth_i]": "fathom_international",
    "[nmi_i]": "nautical_mile",
    "[kn_i]": "knot",
    "[sin_i]": "square_inch",
    "[sft_i]": "square_foot",
    "[syd_i]": "square_yard",
    "[cin_i]": "cubic_inch",
    "[cft_i]": "cubic_foot",
    "[cyd_i]": "cubic_yard",
    "[bf_i]": "board_foot",
    "[cr_i]": "cord",
    "[mil_i]": "thou",
    "[cml_i]": "circular_mil",
    "[hd_i]": "hand",
    "[ft_us]": "survey_foot",
    "[rd_us]": "rod",
    "[ch_us]": "chain",
    "[lk_us]": "link",
    "[fur_us]": "furlong",
    "[mi_us]": "survey_mile",
    "[acr_us]": "acre",
    "[gal_us]": "gallon",
    "[bbl_us]": "oil_barrel",
    "[qt_us]": "quart",
    "[pt_us]": "pint",
    "[gil_us]": "gill",
    "[foz_us]": "fluid_ounce",
    "[fdr_us]": "fluid_dram",
    "[min_us]": "minim",
    "[crd_us]": "cord",
    "[bu_us]": "bushel",
    "[gal_wi]": "dry_gallon",
    "[pk_us]": "peck",
    "[dqt_us]": "dry_quart",
    "[dpt_us]": "dry_pint",
    "[tbs_us]": "tablespoon",
    "[tsp_us]": "teaspoon",
    "[cup_us]": "cup",
    "[gal_br]": "imperial_gallon",
    "[pk_br]": "imperial_peck",
    "[bu_br]": "imperial_bushel",
    "[qt_br]": "imperial_quart",
    "[pt_br]": "imperial_pint",
    "[gil_br]": "imperial_gill",
    "[foz_br]": "imperial_fluid_ounce",
    "[gr]": "grain",
    "[lb_av]": "pound",
    "[oz_av]": "ounce",
    "[dr_av]": "dram",
    "[scwt_av]": "hundredweight",
    "[lcwt_av]": "long_hundredweight",
    "[ston_av]": "short_ton",
    "[lton_av]": "long_ton",
    "[stone_av]": "stone",
    "[pwt_tr]": "pennyweight",
    "[oz_tr]": "troy_ounce",
    "[lb_tr]": "troy_pound",
    "[sc_ap]": "scruple",
    "[dr_ap]": "apothecary_dram",
    "[oz_ap]": "apothecary_ounce",
    "[lb_ap]": "apothecary_pound",
    "[car_m]": "carat",
    "[lbf_av]": "force_pound",
    "[psi]": "pound_force_per_square_inch",
    "[degF]": "degree_Fahrenheit",
    "[degR]": "degree_Rankine",
    "[degRe]": "degree_Reaumur",
    "[Btu]": "thermochemical_british_thermal_unit",
    "[Btu_th]": "thermochemical_british_thermal_unit",
    "[Btu_IT]": "international_british_thermal_unit",
    "[Btu_m]": "btu_mean",
    "[Btu_39]": "btu_39F",
    "[Btu_59]": "btu_59F",
    "[Btu_60]": "btu_60F",
    "[HP]": "horsepower",
    "[in_i'H2O]": "inch_H2O",
    "[in_i'Hg]": "inch_Hg",
    "[ft_i'H2O]": "foot_H2O",
    "[ft_i'Hg]": "foot_Hg",
    "[mol_lb]": "pound_mole",
    "[ozf_av]": "force_ounce",
    "[stonf_av]": "force_ton",
    "[pnt]": "printers_point_traditional",
    "[diop]": "diopter",
    "[den]": "denier",
    "[Ch]": "french_gauge",
    "R": "roentgen",
    # Not UCUM, but common spellings in pharmacology, chemistry and power engineering.
    "Eq": "equivalent",
    "EQ": "equivalent",
    "osmol": "osmole",
    "Osmol": "osmole",
    "var": "volt_ampere_reactive",
    "ppb": "parts_per_billion",
    "ppth": "parts_per_thousand",
    "Torr": "torr",
}

_UCUM_PREFIXES: Final[dict[str, str]] = {
    "Y": "yotta",
    "Z": "zetta",
    "E": "exa",
    "P": "peta",
    "T": "tera",
    "G": "giga",
    "M": "mega",
    "k": "kilo",
    "h": "hecto",
    "da": "deca",
    "d": "deci",
    "c": "centi",
    "m": "milli",
    "u": "micro",
    "µ": "micro",
    "μ": "micro",
    "n": "nano",
    "p": "pico",
    "f": "femto",
    "a": "atto",
    "z": "zepto",
    "y": "yocto",
    "Ki": "kibi",
    "Mi": "mebi",
    "Gi": "gibi",
    "Ti": "tebi",
}

_LOGARITHMIC: Final = "is logarithmic; logarithmic units are not supported"

# Names refused as written: UCUM and pint (or common usage) read them differently.
_AMBIGUOUS: Final[dict[str, str]] = {
    "B": "is ambiguous (UCUM bel, a logarithmic unit, or pint byte); write 'By' or 'byte' "
    "for bytes",
    "kt": "is ambiguous (UCUM kilotonne or pint knot); write 'kilotonne' or 'knot'",
    "R": "is ambiguous (UCUM roentgen or pint molar gas constant); write 'roentgen'",
    "hbar": "is ambiguous (UCUM hectobar or pint reduced Planck constant); write 'hectobar'",
    "dpi": "is ambiguous (dots per inch or pint dry pint); write '1/[in_i]' or 'dry_pint'",
    "ppt": "is ambiguous (parts per thousand or per trillion); write '[ppth]' or '[pptr]'",
}

# Names refused with or without a prefix: logarithmic or substance-specific units.
_REFUSED_ATOMS: Final[dict[str, str]] = {
    "B": "is the bel, a logarithmic unit (logarithmic units are not supported); write 'By' "
    "or 'byte' for bytes",
    "Np": _LOGARITHMIC,
    "[pH]": _LOGARITHMIC,
    "B[SPL]": _LOGARITHMIC,
    "B[V]": _LOGARITHMIC,
    "B[mV]": _LOGARITHMIC,
    "B[uV]": _LOGARITHMIC,
    "B[10.nV]": _LOGARITHMIC,
    "B[W]": _LOGARITHMIC,
    "B[kW]": _LOGARITHMIC,
    "[IU]": "is substance-specific; give the amount as a mass or an amount of substance",
    "[iU]": "is substance-specific; give the amount as a mass or an amount of substance",
    "IU": "is substance-specific; give the amount as a mass or an amount of substance",
    "[arb'U]": "is an arbitrary unit with no conversion to SI",
}


def _refuse_atom(atom: str, name: str) -> None:
    reason = _REFUSED_ATOMS.get(atom)
    if reason is not None:
        raise UnitError(f"{name!r} {reason}" if atom == name else f"{name!r}: {atom!r} {reason}")


def _ucum_atom(name: str) -> _Atom:
    atom = _pint_name_atom(_UCUM_ATOMS[name], name)
    if atom is None:
        raise UnitError(f"the UCUM table names {_UCUM_ATOMS[name]!r}, which the registry lacks")
    return atom


@lru_cache(maxsize=4096)
def _text_atom(name: str) -> _Atom:
    """Resolve one unit name from a UCUM or pint string (rule 3 of the module docstring)."""
    if name in _AMBIGUOUS:
        raise UnitError(f"{name!r} {_AMBIGUOUS[name]}")
    _refuse_atom(name, name)
    if name in _DIMENSIONLESS_WORDS:
        return _DIMENSIONLESS_ATOM
    if name in _UCUM_ATOMS:
        return _ucum_atom(name)
    exact = [reading for reading in _pint_candidates(name) if reading[0] == ""]
    if exact:
        return _pint_atom(exact[0][0], exact[0][1], name)
    for prefix in sorted(_UCUM_PREFIXES, key=len, reverse=True):
        rest = name[len(prefix) :]
        if name.startswith(prefix) and (rest in _UCUM_ATOMS or rest in _REFUSED_ATOMS):
            _refuse_atom(rest, name)
            return _prefixed(_UCUM_PREFIXES[prefix], _ucum_atom(rest))
    atom = _pint_name_atom(name, name)
    if atom is None:
        raise UnitError(f"unknown unit {name!r}")
    return atom


def _qudt_atom(name: str) -> _Atom:
    """Resolve a pint name produced by the QUDT grammar."""
    if name in _DIMENSIONLESS_WORDS:
        return _DIMENSIONLESS_ATOM
    atom = _pint_name_atom(name, name)
    if atom is None:
        raise UnitError(f"the QUDT table names {name!r}, which the registry lacks")
    return atom


# -- the expression grammar ----------------------------------------------------------------

_SUPERSCRIPTS: Final = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPT_CHARS: Final = frozenset("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")
_NUMBER: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_TEN_POWER: Final = re.compile(r"10[*^]([+-]?[0-9]+)(?![0-9]|\.[0-9]|\*|\^)")
_ATTACHED_EXPONENT: Final = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "atom", "number", "ten", "one", "op", "pow", "sign", "(", ")"
    text: str
    position: int
    exponent: Fraction | None = None
    spaced: bool = False  # whitespace precedes the token


def _digit(char: str) -> bool:
    # ASCII only: str.isdigit() also accepts superscripts, which are exponents here.
    return "0" <= char <= "9"


def _atom_char(char: str) -> bool:
    return char.isalpha() or char == "_"


def _scan_atom(text: str, start: int) -> int:
    """The end of the unit name that starts at ``start``."""
    i, n = start, len(text)
    if text[i] in "%‰":
        return i + 1
    if text[i] == "°":
        i += 1
    while i < n:
        char = text[i]
        if _atom_char(char) or char == "'":
            i += 1
        elif char == "[":
            close = text.find("]", i)
            if close < 0:
                raise UnitError(f"unclosed '[' at position {i + 1}")
            i = close + 1
        elif _digit(char):
            # Digits belong to the name only when letters follow (mH2O); trailing digits are
            # an exponent (m2).
            j = i
            while j < n and _digit(text[j]):
                j += 1
            if j < n and (_atom_char(text[j]) or text[j] == "["):
                i = j
            else:
                break
        else:
            break
    return i


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    spaced = False
    while i < n:
        char = text[i]
        if char.isspace():
            spaced = True
            i += 1
            continue
        start = i
        if char in "()":
            tokens.append(_Token(char, char, start, spaced=spaced))
            i += 1
        elif text.startswith("**", i) or char == "^":
            width = 2 if char == "*" else 1
            tokens.append(_Token("pow", text[i : i + width], start, spaced=spaced))
            i += width
        elif char in "*/.·":
            tokens.append(_Token("op", "/" if char == "/" else "*", start, spaced=spaced))
            i += 1
        elif char in "+-":
            tokens.append(_Token("sign", char, start, spaced=spaced))
            i += 1
        elif char == "{":
            close = text.find("}", i)
            if close < 0:
                raise UnitError(f"unclosed '{{' at position {i + 1}")
            # An annotation right after a unit only comments on it; alone it stands for 1.
            attached = bool(tokens) and not spaced and tokens[-1].kind in ("atom", ")", "ten")
            if not attached:
                tokens.append(_Token("one", text[i : close + 1], start, spaced=spaced))
            i = close + 1
            # An exponent on an annotation ({#}-1) raises 1 and changes nothing.
            exponent_after = _ATTACHED_EXPONENT.match(text, i)
            if not attached and exponent_after is not None:
                i = exponent_after.end()
        elif _digit(char):
            ten = _TEN_POWER.match(text, i)
            if ten is not None:
                tokens.append(
                    _Token("ten", ten.group(0), start, Fraction(int(ten.group(1))), spaced)
                )
                i = ten.end()
            else:
                number = _NUMBER.match(text, i)
                assert number is not None  # a digit always starts a number
                if len(number.group(0)) > 20:
                    raise UnitError(f"the number at position {start + 1} is too long for a unit")
                tokens.append(_Token("number", number.group(0), start, spaced=spaced))
                i = number.end()
        elif _atom_char(char) or char in "[%‰°'":
            i = _scan_atom(text, i)
            if i == start:
                raise UnitError(f"unexpected {char!r} at position {start + 1}")
            name = text[start:i]
            exponent: Fraction | None = None
            written = _ATTACHED_EXPONENT.match(text, i)
            if written is not None:
                exponent = Fraction(int(written.group(0)))
                i = written.end()
            elif i < n and text[i] in _SUPERSCRIPT_CHARS:
                j = i
                while j < n and text[j] in _SUPERSCRIPT_CHARS:
                    j += 1
                digits = text[i:j].translate(_SUPERSCRIPTS)
                if _ATTACHED_EXPONENT.fullmatch(digits) is None:
                    raise UnitError(f"malformed exponent after {name!r}")
                exponent = Fraction(int(digits))
                i = j
            tokens.append(_Token("atom", name, start, exponent, spaced))
        else:
            raise UnitError(f"unexpected character {char!r} at position {start + 1}")
        spaced = False
    return tokens


@dataclass(slots=True)
class _Product:
    """A product of unit names with exponents and a power of ten."""

    factors: list[tuple[str, Fraction]] = field(default_factory=list)
    ten: int = 0

    def times(self, other: _Product, sign: int) -> _Product:
        return _Product(
            self.factors + [(name, exponent * sign) for name, exponent in other.factors],
            self.ten + sign * other.ten,
        )

    def power(self, exponent: Fraction) -> _Product:
        ten = self.ten * exponent
        if ten.denominator != 1:
            raise UnitError("a power of ten cannot be raised to a fractional power in a unit")
        return _Product([(name, value * exponent) for name, value in self.factors], int(ten))


def _check_exponent(value: Fraction, where: str) -> Fraction:
    if abs(value) > _MAX_EXPONENT or value.denominator > _MAX_DENOMINATOR:
        raise UnitError(
            f"exponent {_format_exponent(value)} {where} is out of range "
            f"(at most {_MAX_EXPONENT} in size)"
        )
    return value


class _Parser:
    """Recursive descent over the tokens of one unit expression."""

    def __init__(self, tokens: list[_Token], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.index = 0
        self.depth = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise UnitError("the unit ends too early")
        self.index += 1
        return token

    def parse(self) -> _Product:
        product = self.expression()
        token = self.peek()
        if token is not None:
            raise UnitError(f"unexpected {token.text!r} at position {token.position + 1}")
        return product

    def expression(self) -> _Product:
        first = self.peek()
        if first is not None and first.kind == "op" and first.text == "/":
            self.take()
            product = _Product().times(self.term(), -1)
        else:
            product = self.term()
        while True:
            token = self.peek()
            if token is None or token.kind == ")":
                return product
            if token.kind == "op":
                self.take()
                product = product.times(self.term(), -1 if token.text == "/" else 1)
            elif token.kind in ("atom", "number", "ten", "one", "("):
                product = product.times(self.term(), 1)
            else:
                raise UnitError(f"unexpected {token.text!r} at position {token.position + 1}")

    def term(self) -> _Product:
        product = self.factor()
        token = self.peek()
        if token is not None and token.kind == "pow":
            self.take()
            product = product.power(_check_exponent(self.exponent(), "after '**'"))
        for _name, value in product.factors:
            _check_exponent(value, "in the unit")
        if abs(product.ten) > _MAX_TEN_POWER:
            raise UnitError(f"the power of ten 10^{product.ten} is out of range")
        return product

    def exponent(self) -> Fraction:
        token = self.take()
        sign = 1
        if token.kind == "sign":
            sign = -1 if token.text == "-" else 1
            token = self.take()
        if token.kind == "number":
            return sign * Fraction(token.text)
        if token.kind == "(":
            value = self.exponent()
            following = self.take()
            if following.kind == "op" and following.text == "/":
                denominator = self.take()
                if denominator.kind != "number" or Fraction(denominator.text) == 0:
                    raise UnitError("malformed fractional exponent")
                value = value / Fraction(denominator.text)
                following = self.take()
            if following.kind != ")":
                raise UnitError("malformed exponent; write m**2, m^-1 or m**(1/2)")
            return sign * value
        raise UnitError(f"expected an exponent at position {token.position + 1}")

    def factor(self) -> _Product:
        token = self.take()
        if token.kind == "atom":
            exponent = token.exponent if token.exponent is not None else Fraction(1)
            return _Product([(token.text, _check_exponent(exponent, f"on {token.text!r}"))])
        if token.kind == "number":
            if Fraction(token.text) != 1:
                raise UnitError(
                    f"{self.text!r} contains the number {token.text}; a unit carries no "
                    "magnitude (put the number in the value)"
                )
            return _Product()
        if token.kind == "ten":
            assert token.exponent is not None  # set by the tokenizer for "ten" tokens
            return _Product(ten=int(token.exponent))
        if token.kind == "one":
            return _Product()
        if token.kind == "(":
            self.depth += 1
            if self.depth > _MAX_NESTING:
                raise UnitError("the unit is nested too deeply")
            product = self.expression()
            closing = self.take()
            if closing.kind != ")":
                raise UnitError(f"expected ')' at position {closing.position + 1}")
            self.depth -= 1
            return product
        raise UnitError(f"unexpected {token.text!r} at position {token.position + 1}")


def _superscript(value: Fraction) -> str:
    if value.denominator != 1:
        return f"^({_format_exponent(value)})"
    if value == 1:
        return ""
    return str(value.numerator).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))


def _symbol(factors: list[tuple[_Atom, Fraction]], ten: int) -> str:
    top = [f"{atom.symbol}{_superscript(value)}" for atom, value in factors if value > 0]
    bottom = [f"{atom.symbol}{_superscript(-value)}" for atom, value in factors if value < 0]
    if ten:
        top.insert(0, f"10{_superscript(Fraction(ten))}" if ten != 1 else "10")
    numerator = "·".join(top) if top else "1"
    if not bottom:
        return numerator
    denominator = bottom[0] if len(bottom) == 1 else "(" + "·".join(bottom) + ")"
    return f"{numerator}/{denominator}"


def _build(text: str, iri: str | None, product: _Product, bare: bool, qudt: bool) -> Unit:
    merged: dict[str, tuple[_Atom, Fraction]] = {}
    for name, exponent in product.factors:
        atom = _qudt_atom(name) if qudt else _text_atom(name)
        if atom is _DIMENSIONLESS_ATOM:
            continue
        previous = merged.get(atom.key)
        total = exponent + (previous[1] if previous else 0)
        merged[atom.key] = (atom, _check_exponent(total, "in the unit"))
    factors = [(atom, value) for atom, value in merged.values() if value != 0]
    dimension = Dimension.dimensionless()
    # Integer powers are multiplied as exact decimals, so mg/L is 0.001 and not 0.0009999...
    exact = Fraction(10) ** product.ten
    rest = 1.0
    for atom, value in factors:
        dimension = dimension * atom.dimension**value
        if value.denominator == 1:
            exact *= Fraction(repr(atom.scale)) ** value.numerator
        else:
            rest *= atom.scale ** float(value)
    scale = float(exact) * rest
    if not math.isfinite(scale) or scale <= 0.0:
        raise UnitError(f"{text!r} has a scale factor outside the floating-point range")
    # An offset unit keeps its offset only when it stands alone (degC); in a compound it
    # measures a difference (W/(m.degC)), as in QUDT and UCUM.
    offset = factors[0][0].offset if bare and len(factors) == 1 else 0.0
    return Unit(text, iri, dimension, scale, offset, _symbol(factors, product.ten))


def _is_bare(tokens: list[_Token]) -> bool:
    return len(tokens) == 1 and tokens[0].kind == "atom" and tokens[0].exponent is None


def _read_expression(text: str, source: str, iri: str | None, qudt: bool) -> Unit:
    tokens = _tokenize(source)
    if not tokens:
        raise UnitError("the unit is empty; write '1' for a dimensionless quantity")
    product = _Parser(tokens, source).parse()
    return _build(text, iri, product, _is_bare(tokens), qudt)


def _qudt_local(text: str) -> str | None:
    for prefix in _QUDT_UNIT_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return None


@lru_cache(maxsize=4096)
def _parse_unit(text: str) -> Unit:
    stripped = text.strip()
    local = _qudt_local(stripped)
    if local is not None:
        expression = qudt_local_name_to_pint(local)
        return _read_expression(text, expression, QUDT_UNIT_NAMESPACE + local, qudt=True)
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", stripped):
        raise UnitError(
            f"{stripped!r} is an IRI but not a QUDT unit IRI (expected {QUDT_UNIT_NAMESPACE}...)"
        )
    return _read_expression(text, stripped, None, qudt=False)


def parse_unit(text: str) -> Unit:
    """Resolve a unit written as a QUDT IRI or CURIE, a UCUM string or a pint string.

    The reading rules are in the module docstring.  Raises :class:`UnitError`, and nothing
    else, with a one-line message when the text is not a unit scalebridge can use: unknown,
    ambiguous, logarithmic, carrying a number other than 1 (``"10 m"``), with an exponent
    larger than 16, or longer than 200 characters.  Results are cached.

    >>> parse_unit("http://qudt.org/vocab/unit/MilliGM-PER-L").scale
    0.001
    >>> parse_unit("ug/mL").symbol
    'µg/mL'
    >>> parse_unit("kg*m**2/s**2").dimension
    Dimension('m^2 kg s^-2')
    >>> parse_unit("10 m")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    scalebridge.model.qudt_units.UnitError: '10 m' contains the number 10; a unit carries no ...
    """
    if not isinstance(text, str):
        raise UnitError(f"a unit must be text, not {type(text).__name__}")
    if len(text) > _MAX_TEXT:
        raise UnitError(f"the unit text is {len(text)} characters long (at most {_MAX_TEXT})")
    try:
        return _parse_unit(text)
    except UnitError:
        raise
    except Exception as error:
        # A failure inside pint (or an arithmetic corner) must reach the modeller as a
        # diagnostic about the unit, never as a crash.
        raise UnitError(f"cannot interpret the unit {text!r} ({type(error).__name__})") from error


# -- quantity kinds --------------------------------------------------------------------------


def _k(**exponents: int | Fraction) -> Dimension:
    return Dimension.of(**exponents)


_ONE: Final = Dimension.dimensionless()
_HALF: Final = Fraction(1, 2)

# QUDT quantity kinds (local names) and their dimensions, written by hand for the kinds that
# physics, materials, transport and pharmacology models use most.
_QUANTITY_KINDS: Final[dict[str, Dimension]] = {
    # geometry
    "Length": _k(L=1),
    "Distance": _k(L=1),
    "Width": _k(L=1),
    "Height": _k(L=1),
    "Thickness": _k(L=1),
    "Diameter": _k(L=1),
    "Radius": _k(L=1),
    "Depth": _k(L=1),
    "Wavelength": _k(L=1),
    "Displacement": _k(L=1),
    "Area": _k(L=2),
    "Volume": _k(L=3),
    "LiquidVolume": _k(L=3),
    "DryVolume": _k(L=3),
    "InverseLength": _k(L=-1),
    "Wavenumber": _k(L=-1),
    "AngularWavenumber": _k(L=-1),
    "Curvature": _k(L=-1),
    "InverseArea": _k(L=-2),
    "InverseVolume": _k(L=-3),
    "SecondMomentOfArea": _k(L=4),
    "SectionModulus": _k(L=3),
    "PlaneAngle": _ONE,
    "Angle": _ONE,
    "SolidAngle": _ONE,
    # time and kinematics
    "Time": _k(T=1),
    "Period": _k(T=1),
    "HalfLife": _k(T=1),
    "MeanLifetime": _k(T=1),
    "RelaxationTime": _k(T=1),
    "Frequency": _k(T=-1),
    "AngularFrequency": _k(T=-1),
    "AngularVelocity": _k(T=-1),
    "RotationalFrequency": _k(T=-1),
    "DecayConstant": _k(T=-1),
    "AngularAcceleration": _k(T=-2),
    "Velocity": _k(L=1, T=-1),
    "Speed": _k(L=1, T=-1),
    "LinearVelocity": _k(L=1, T=-1),
    "Acceleration": _k(L=1, T=-2),
    "LinearAcceleration": _k(L=1, T=-2),
    "VolumeFlowRate": _k(L=3, T=-1),
    "VolumePerTime": _k(L=3, T=-1),
    "VolumetricFlux": _k(L=1, T=-1),
    "MassFlowRate": _k(M=1, T=-1),
    "MassPerTime": _k(M=1, T=-1),
    "MolarFlowRate": _k(N=1, T=-1),
    "AreaPerTime": _k(L=2, T=-1),
    # mechanics
    "Mass": _k(M=1),
    "Density": _k(M=1, L=-3),
    "MassDensity": _k(M=1, L=-3),
    "SpecificVolume": _k(L=3, M=-1),
    "MassPerLength": _k(M=1, L=-1),
    "LinearDensity": _k(M=1, L=-1),
    "MassPerArea": _k(M=1, L=-2),
    "SurfaceDensity": _k(M=1, L=-2),
    "MassPerAreaTime": _k(M=1, L=-2, T=-1),
    "MomentOfInertia": _k(M=1, L=2),
    "Momentum": _k(M=1, L=1, T=-1),
    "LinearMomentum": _k(M=1, L=1, T=-1),
    "Impulse": _k(M=1, L=1, T=-1),
    "AngularMomentum": _k(M=1, L=2, T=-1),
    "Action": _k(M=1, L=2, T=-1),
    "Force": _k(M=1, L=1, T=-2),
    "Weight": _k(M=1, L=1, T=-2),
    "ForcePerLength": _k(M=1, T=-2),
    "SurfaceTension": _k(M=1, T=-2),
    "Torque": _k(M=1, L=2, T=-2),
    "MomentOfForce": _k(M=1, L=2, T=-2),
    "Pressure": _k(M=1, L=-1, T=-2),
    "Stress": _k(M=1, L=-1, T=-2),
    "NormalStress": _k(M=1, L=-1, T=-2),
    "ShearStress": _k(M=1, L=-1, T=-2),
    "ForcePerArea": _k(M=1, L=-1, T=-2),
    "VapourPressure": _k(M=1, L=-1, T=-2),
    "SoundPressure": _k(M=1, L=-1, T=-2),
    "ModulusOfElasticity": _k(M=1, L=-1, T=-2),
    "YoungsModulus": _k(M=1, L=-1, T=-2),
    "ShearModulus": _k(M=1, L=-1, T=-2),
    "BulkModulus": _k(M=1, L=-1, T=-2),
    "StressIntensityFactor": _k(M=1, L=-_HALF, T=-2),
    "Compressibility": _k(M=-1, L=1, T=2),
    "IsothermalCompressibility": _k(M=-1, L=1, T=2),
    "InversePressure": _k(M=-1, L=1, T=2),
    "SpecificWeight": _k(M=1, L=-2, T=-2),
    "Strain": _ONE,
    "LinearStrain": _ONE,
    "ShearStrain": _ONE,
    "VolumeStrain": _ONE,
    "PoissonRatio": _ONE,
    "HydraulicPermeability": _k(L=2),
    "DynamicViscosity": _k(M=1, L=-1, T=-1),
    "Viscosity": _k(M=1, L=-1, T=-1),
    "KinematicViscosity": _k(L=2, T=-1),
    "Fluidity": _k(M=-1, L=1, T=1),
    "StandardGravitationalParameter": _k(L=3, T=-2),
    # energy and power
    "Energy": _k(M=1, L=2, T=-2),
    "Work": _k(M=1, L=2, T=-2),
    "KineticEnergy": _k(M=1, L=2, T=-2),
    "PotentialEnergy": _k(M=1, L=2, T=-2),
    "ThermalEnergy": _k(M=1, L=2, T=-2),
    "Heat": _k(M=1, L=2, T=-2),
    "Enthalpy": _k(M=1, L=2, T=-2),
    "InternalEnergy": _k(M=1, L=2, T=-2),
    "GibbsEnergy": _k(M=1, L=2, T=-2),
    "HelmholtzEnergy": _k(M=1, L=2, T=-2),
    "Power": _k(M=1, L=2, T=-3),
    "HeatFlowRate": _k(M=1, L=2, T=-3),
    "EnergyDensity": _k(M=1, L=-1, T=-2),
    "SpecificEnergy": _k(L=2, T=-2),
    "EnergyPerArea": _k(M=1, T=-2),
    "PowerPerArea": _k(M=1, T=-3),
    "HeatFluxDensity": _k(M=1, T=-3),
    "HeatFlowRatePerUnitArea": _k(M=1, T=-3),
    "Irradiance": _k(M=1, T=-3),
    "PowerPerVolume": _k(M=1, L=-1, T=-3),
    "PowerDensity": _k(M=1, L=-1, T=-3),
    "SpecificPower": _k(L=2, T=-3),
    # thermal
    "ThermodynamicTemperature": _k(Theta=1),
    "Temperature": _k(Theta=1),
    "CelsiusTemperature": _k(Theta=1),
    "TemperatureDifference": _k(Theta=1),
    "TemperatureGradient": _k(Theta=1, L=-1),
    "TemperaturePerTime": _k(Theta=1, T=-1),
    "InverseTemperature": _k(Theta=-1),
    "ThermalExpansionCoefficient": _k(Theta=-1),
    "LinearExpansionCoefficient": _k(Theta=-1),
    "ThermalConductivity": _k(M=1, L=1, T=-3, Theta=-1),
    "ThermalConductance": _k(M=1, L=2, T=-3, Theta=-1),
    "ThermalResistance": _k(M=-1, L=-2, T=3, Theta=1),
    "ThermalInsulance": _k(M=-1, T=3, Theta=1),
    "CoefficientOfHeatTransfer": _k(M=1, T=-3, Theta=-1),
    "HeatCapacity": _k(M=1, L=2, T=-2, Theta=-1),
    "Entropy": _k(M=1, L=2, T=-2, Theta=-1),
    "SpecificHeatCapacity": _k(L=2, T=-2, Theta=-1),
    "SpecificEntropy": _k(L=2, T=-2, Theta=-1),
    "MassicHeatCapacity": _k(L=2, T=-2, Theta=-1),
    "MolarHeatCapacity": _k(M=1, L=2, T=-2, Theta=-1, N=-1),
    "MolarEntropy": _k(M=1, L=2, T=-2, Theta=-1, N=-1),
    "VolumetricHeatCapacity": _k(M=1, L=-1, T=-2, Theta=-1),
    "ThermalDiffusivity": _k(L=2, T=-1),
    # chemistry, transport and pharmacology
    "AmountOfSubstance": _k(N=1),
    "Concentration": _k(N=1, L=-3),
    "AmountOfSubstanceConcentration": _k(N=1, L=-3),
    "EquivalentConcentration": _k(N=1, L=-3),
    "MolarMass": _k(M=1, N=-1),
    "MolarVolume": _k(L=3, N=-1),
    "MolarEnergy": _k(M=1, L=2, T=-2, N=-1),
    "MolalityOfSolute": _k(N=1, M=-1),
    "AmountOfSubstancePerMass": _k(N=1, M=-1),
    "MassConcentration": _k(M=1, L=-3),
    "MassFraction": _ONE,
    "MoleFraction": _ONE,
    "AmountOfSubstanceFraction": _ONE,
    "VolumeFraction": _ONE,
    "MassRatio": _ONE,
    "DiffusionCoefficient": _k(L=2, T=-1),
    "Diffusivity": _k(L=2, T=-1),
    "MolarFluxDensity": _k(N=1, L=-2, T=-1),
    "CatalyticActivity": _k(N=1, T=-1),
    "CatalyticActivityConcentration": _k(N=1, L=-3, T=-1),
    "SecondOrderReactionRateConstant": _k(L=3, N=-1, T=-1),
    "MolarConductivity": _k(M=-1, T=3, I=2, N=-1),
    "SpecificSurfaceArea": _k(L=2, M=-1),
    "MassAttenuationCoefficient": _k(L=2, M=-1),
    "HeartRate": _k(T=-1),
    "RespiratoryRate": _k(T=-1),
    "BodyMassIndex": _k(M=1, L=-2),
    "BloodGlucoseLevel": _k(N=1, L=-3),
    "MassBasedBloodGlucoseLevel": _k(M=1, L=-3),
    # radiation
    "Activity": _k(T=-1),
    "SpecificActivity": _k(T=-1, M=-1),
    "ActivityConcentration": _k(T=-1, L=-3),
    "AbsorbedDose": _k(L=2, T=-2),
    "AbsorbedDoseRate": _k(L=2, T=-3),
    "DoseEquivalent": _k(L=2, T=-2),
    "DoseEquivalentRate": _k(L=2, T=-3),
    "Kerma": _k(L=2, T=-2),
    "KermaRate": _k(L=2, T=-3),
    # electromagnetism
    "ElectricCurrent": _k(I=1),
    "ElectricCharge": _k(I=1, T=1),
    "Voltage": _k(M=1, L=2, T=-3, I=-1),
    "ElectricPotential": _k(M=1, L=2, T=-3, I=-1),
    "ElectricPotentialDifference": _k(M=1, L=2, T=-3, I=-1),
    "ElectromotiveForce": _k(M=1, L=2, T=-3, I=-1),
    "Resistance": _k(M=1, L=2, T=-3, I=-2),
    "ElectricalResistance": _k(M=1, L=2, T=-3, I=-2),
    "Impedance": _k(M=1, L=2, T=-3, I=-2),
    "Reactance": _k(M=1, L=2, T=-3, I=-2),
    "Conductance": _k(M=-1, L=-2, T=3, I=2),
    "ElectricalConductance": _k(M=-1, L=-2, T=3, I=2),
    "Admittance": _k(M=-1, L=-2, T=3, I=2),
    "Resistivity": _k(M=1, L=3, T=-3, I=-2),
    "ElectricConductivity": _k(M=-1, L=-3, T=3, I=2),
    "Capacitance": _k(M=-1, L=-2, T=4, I=2),
    "Inductance": _k(M=1, L=2, T=-2, I=-2),
    "Permittivity": _k(M=-1, L=-3, T=4, I=2),
    "Permeability": _k(M=1, L=1, T=-2, I=-2),
    "ElectromagneticPermeability": _k(M=1, L=1, T=-2, I=-2),
    "MagneticFlux": _k(M=1, L=2, T=-2, I=-1),
    "MagneticFluxDensity": _k(M=1, T=-2, I=-1),
    "MagneticField": _k(M=1, T=-2, I=-1),
    "MagneticFieldStrength": _k(I=1, L=-1),
    "ElectricFieldStrength": _k(M=1, L=1, T=-3, I=-1),
    "ElectricField": _k(M=1, L=1, T=-3, I=-1),
    "ElectricCurrentDensity": _k(I=1, L=-2),
    "ElectricChargeDensity": _k(I=1, T=1, L=-3),
    "ElectricChargeVolumeDensity": _k(I=1, T=1, L=-3),
    "ElectricChargePerArea": _k(I=1, T=1, L=-2),
    "ElectricDipoleMoment": _k(I=1, T=1, L=1),
    "ElectricPower": _k(M=1, L=2, T=-3),
    "ApparentPower": _k(M=1, L=2, T=-3),
    # light and radiometry
    "LuminousIntensity": _k(J=1),
    "LuminousFlux": _k(J=1),
    "Illuminance": _k(J=1, L=-2),
    "Luminance": _k(J=1, L=-2),
    "LuminousEfficacy": _k(J=1, M=-1, L=-2, T=3),
    "Radiance": _k(M=1, T=-3),
    "RadiantIntensity": _k(M=1, L=2, T=-3),
    # dimensionless numbers
    "Dimensionless": _ONE,
    "DimensionlessRatio": _ONE,
    "Count": _ONE,
    "Efficiency": _ONE,
    "RefractiveIndex": _ONE,
    "ReynoldsNumber": _ONE,
    "RelativeHumidity": _ONE,
}


def _kind_local(iri: str) -> str | None:
    for prefix in _QUDT_KIND_PREFIXES:
        if iri.startswith(prefix):
            return iri[len(prefix) :]
    return None


def quantity_kind_dimension(iri: str) -> Dimension | None:
    """The dimension of a QUDT quantity kind, or None when the kind is not in the table.

    Accepts ``http://qudt.org/vocab/quantitykind/X``, the ``https`` form or the CURIE
    ``quantitykind:X``.

    >>> quantity_kind_dimension("http://qudt.org/vocab/quantitykind/ThermalConductivity")
    Dimension('m kg s^-3 K^-1')
    >>> quantity_kind_dimension("quantitykind:NoSuchKind") is None
    True
    """
    local = _kind_local(iri)
    return None if local is None else _QUANTITY_KINDS.get(local)


def known_quantity_kinds() -> tuple[str, ...]:
    """The IRIs of every quantity kind :func:`quantity_kind_dimension` knows, sorted.

    >>> "http://qudt.org/vocab/quantitykind/Pressure" in known_quantity_kinds()
    True
    """
    return tuple(f"{_QUDT_KIND_PREFIXES[0]}{name}" for name in sorted(_QUANTITY_KINDS))


_CAMEL_WORDS: Final = re.compile(r"[A-Z]+\d*(?=[A-Z][a-z])|[A-Z]?[a-z]+\d*|[A-Z]+\d*|\d+")


def quantity_kind_label(iri: str) -> str:
    """A readable label for a quantity kind IRI, from its CamelCase local name.

    Works for any IRI (kinds outside the table too); acronyms keep their capitals.

    >>> quantity_kind_label("http://qudt.org/vocab/quantitykind/ThermodynamicTemperature")
    'thermodynamic temperature'
    >>> quantity_kind_label("quantitykind:APIGravity")
    'API gravity'
    """
    local = _kind_local(iri)
    if local is None:
        local = re.split(r"[/#:]", iri.rstrip("/#"))[-1]
    words = _CAMEL_WORDS.findall(local)
    if not words:
        return local
    return " ".join(word if word.isupper() or word.isdigit() else word.lower() for word in words)
