"""The grammar of QUDT unit local names, translated to pint expressions (pure string work).

A QUDT unit IRI such as ``http://qudt.org/vocab/unit/W-PER-M-K`` ends in a *local name* that
follows a regular grammar:

* factors are joined by ``-``; the word ``PER`` (at most once) starts the denominator:
  ``W-PER-M-K`` is W/(m*K), ``PER-SEC`` is 1/s;
* a factor is ``[prefix] symbol [exponent]``:

  - the prefix is a CamelCase SI or binary prefix word (``Kilo``, ``Milli``, ``Micro``,
    ``Kibi``, ...): ``KiloGM``, ``MilliGM``, ``MicroMOL``;
  - the symbol is an upper-case base symbol (``M``, ``GM``, ``SEC``, ``MOL``, ``PA``) or one
    of the irregular symbols, which carry underscores or mixed case (``DEG_C``, ``LB_F``,
    ``BTU_IT``, ``MI_US``, ``GAL_UK``, ``IN_HG``, ``HP_Metric``, ``YR_Sidereal``);
  - the exponent is a trailing integer (``M2``, ``M3``, ``SEC2``) or a decimal written with
    ``dot`` (``SEC0dot5`` is s**0.5).

:func:`qudt_local_name_to_pint` parses a local name with that grammar and the hand-written
tables below and returns a pint expression in pint's own syntax (``"watt / (meter * kelvin)"``).
It imports nothing from pint: :mod:`scalebridge.model.dimensions` is the only module that talks
to pint, and it loads :data:`PINT_DEFINITIONS` (the few units pint lacks, or defines
differently from QUDT, such as the international acre or the CGS-Gaussian units expressed in SI)
into its registry.

Units that are not multiplicative factors of SI units are refused with :class:`UnitError`:
currencies (``CCY_*``), logarithmic units (bel, neper, octave, decade, pH), scales and indices
(Beaufort, wire gauge, hydrometer degrees), units that depend on reference conditions
(standard cubic metres), substance-specific international units, obsolete photometric
standards and astronomical masses.

Example
-------
>>> qudt_local_name_to_pint("W-PER-M-K")
'watt / (meter * kelvin)'
>>> qudt_local_name_to_pint("KiloGM-PER-M3")
'kilogram / meter ** 3'
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "DISPLAY_SYMBOLS",
    "PINT_DEFINITIONS",
    "QUDT_PREFIXES",
    "UnitError",
    "qudt_local_name_to_pint",
]


class UnitError(ValueError):
    """A unit that cannot be resolved; the message is one line, written for the modeller.

    It lives in this lower-level module so that both the QUDT grammar and
    :mod:`scalebridge.model.dimensions` (which re-exports it) raise the same class.

    >>> issubclass(UnitError, ValueError)
    True
    """


# QUDT prefix words and the pint prefix each stands for.
QUDT_PREFIXES: Final[dict[str, str]] = {
    "Quetta": "quetta",
    "Ronna": "ronna",
    "Yotta": "yotta",
    "Zetta": "zetta",
    "Exa": "exa",
    "Peta": "peta",
    "Tera": "tera",
    "Giga": "giga",
    "Mega": "mega",
    "Kilo": "kilo",
    "Hecto": "hecto",
    "Deca": "deca",
    "Deci": "deci",
    "Centi": "centi",
    "Milli": "milli",
    "Micro": "micro",
    "Nano": "nano",
    "Pico": "pico",
    "Femto": "femto",
    "Atto": "atto",
    "Zepto": "zepto",
    "Yocto": "yocto",
    "Ronto": "ronto",
    "Quecto": "quecto",
    "Kibi": "kibi",
    "Mebi": "mebi",
    "Gibi": "gibi",
    "Tebi": "tebi",
    "Pebi": "pebi",
    "Exbi": "exbi",
    "Zebi": "zebi",
    "Yobi": "yobi",
}

# Units pint does not define, or defines differently from QUDT and NIST SP 811, in pint's
# definition syntax.  Every value is a definition (an exact relation or the published
# conventional value), never a number read off the QUDT data.
PINT_DEFINITIONS: Final[tuple[str, ...]] = (
    # pint keeps the CGS-Gaussian units in Gaussian dimensions (mass**0.5 ...); QUDT and UCUM
    # use their SI equivalents.  zeta = c / (cm/s).
    "statcoulomb_SI = 10 / zeta * coulomb",
    "statampere_SI = 10 / zeta * ampere",
    "statvolt_SI = zeta / 1e8 * volt",
    "statohm_SI = zeta ** 2 / 1e9 * ohm",
    "statfarad_SI = 1e9 / zeta ** 2 * farad",
    "statmho_SI = 1e9 / zeta ** 2 * siemens",
    "stathenry_SI = zeta ** 2 / 1e9 * henry",
    "statweber_SI = zeta / 1e8 * weber",
    "stattesla_SI = zeta / 1e4 * tesla",
    "gauss_SI = 1e-4 * tesla",
    "maxwell_SI = 1e-8 * weber",
    "oersted_SI = 1e3 / (4 * pi) * ampere / meter",
    # pint's acre, chain, rod, fathom and furlong are the US survey ones; QUDT's plain
    # names are the international (1959) ones.
    "acre_international = 43560 * foot ** 2",
    "chain_international = 66 * foot",
    "rod_international = 16.5 * foot",
    "fathom_international = 6 * foot",
    "furlong_international = 660 * foot",
    "volt_ampere_reactive = volt * ampere",
    "diopter = 1 / meter",
    # One Dobson unit is a 10 um layer of gas at 273.15 K and 1 atm.
    "dobson_unit = 1e-5 * meter * standard_atmosphere / (molar_gas_constant * 273.15 * kelvin)",
    "cord = 128 * foot ** 3",
    "clo = 0.155 * kelvin * meter ** 2 / watt",
    "footcandle = lumen / foot ** 2",
    "foot_lambert = candela / foot ** 2 / pi",
    "phot = lumen / centimeter ** 2",
    "rayl_cgs = dyne * second / centimeter ** 3",
    "rayl_mks = pascal * second / meter",
    "pound_mole = pound / gram * mole",
    "mobile_ohm = centimeter / (dyne * second)",
    "assay_ton = short_ton / troy_ounce * milligram",
    "register_ton = 100 * foot ** 3",
    "shipping_ton = 40 * foot ** 3",
    "petrograd_standard = 165 * foot ** 3",
    "barrel_UK_petroleum = 35 * imperial_gallon",
    "sidereal_hour = sidereal_day / 24",
    "sidereal_minute = sidereal_day / 1440",
    "mean_gregorian_month = gregorian_year / 12",
    "water_horsepower = 746.043 * watt",
    "quad_IT = 1e15 * international_british_thermal_unit",
    # NIST SP 811 values for the BTUs and calories measured at a stated temperature.
    "btu_39F = 1059.67 * joule",
    "btu_59F = 1054.80 * joule",
    "btu_60F = 1054.68 * joule",
    "btu_mean = 1055.87 * joule",
    "calorie_15C = 4.18580 * joule",
    "calorie_20C = 4.18190 * joule",
    "calorie_mean = 4.19002 * joule",
    "candlepower = candela",
    "boiler_horsepower_NIST = 9809.50 * watt",
    "inch_Hg_32F_NIST = 3386.38 * pascal",
    # Planck units from today's constants (pint already has length, mass, time,
    # temperature and current).
    "planck_charge = (4 * pi * vacuum_permittivity * hbar * speed_of_light) ** 0.5",
    "planck_area = planck_length ** 2",
    "planck_volume = planck_length ** 3",
    "planck_energy = planck_mass * speed_of_light ** 2",
    "planck_momentum = planck_mass * speed_of_light",
    "planck_force = planck_energy / planck_length",
    "planck_power = planck_energy / planck_time",
    "planck_pressure = planck_force / planck_area",
    "planck_density = planck_mass / planck_volume",
    "planck_frequency = 1 / planck_time",
    "planck_angular_frequency = radian / planck_time",
    "planck_impedance = 1 / (4 * pi * vacuum_permittivity * speed_of_light)",
    "planck_voltage = planck_energy / planck_charge",
    "planck_current_density = planck_current / planck_area",
    # Units of information (ISO 80000-13), with the natural unit as 1 as in QUDT; converting
    # between them is a plain factor even though information is a logarithmic measure.
    "natural_unit_of_information = 1",
    "shannon = 0.693147180559945309417 * natural_unit_of_information",
    "hartley = ln10 * natural_unit_of_information",
    "printers_point_traditional = 0.013837 * inch",
    "angular_mil = 2 * pi / 6400 * radian",
    "french_gauge = millimeter / 3",
    "brewster = 1e-12 / pascal",
    "perm_US = grain / (hour * foot ** 2 * inch_Hg)",
    "perm_metric = nanogram / (second * meter ** 2 * pascal)",
    "pfund = 0.5 * kilogram",
    "equivalent = mole",
    "osmole = mole",
    "dots_per_inch_count = 1 / inch",
    "flops = 1 / second",
    # Counting words and parts-per notations (dimensionless).
    "ten = 10",
    "hundred = 100",
    "thousand = 1000",
    "million = 1e6",
    "billion_short = 1e9",
    "billion_long = 1e12",
    "parts_per_thousand = 1e-3",
    "parts_per_ten_million = 1e-7",
    "parts_per_billion = 1e-9",
    "parts_per_trillion = 1e-12",
    "parts_per_quadrillion = 1e-15",
)

# Printable symbols for the names defined above (pint would print the long name).
DISPLAY_SYMBOLS: Final[dict[str, str]] = {
    "statcoulomb_SI": "statC",
    "statampere_SI": "statA",
    "statvolt_SI": "statV",
    "statohm_SI": "statΩ",
    "statfarad_SI": "statF",
    "statmho_SI": "statS",
    "stathenry_SI": "statH",
    "statweber_SI": "statWb",
    "stattesla_SI": "statT",
    "gauss_SI": "G",
    "maxwell_SI": "Mx",
    "oersted_SI": "Oe",
    "acre_international": "ac",
    "chain_international": "ch",
    "rod_international": "rd",
    "fathom_international": "fath",
    "furlong_international": "fur",
    "volt_ampere_reactive": "var",
    "diopter": "dpt",
    "dobson_unit": "DU",
    "cord": "cord",
    "clo": "clo",
    "footcandle": "fc",
    "foot_lambert": "fL",
    "phot": "ph",
    "rayl_cgs": "rayl",
    "rayl_mks": "rayl(MKS)",
    "pound_mole": "lbmol",
    "mobile_ohm": "mohm",
    "assay_ton": "AT",
    "register_ton": "RT",
    "shipping_ton": "shipping ton",
    "petrograd_standard": "standard",
    "barrel_UK_petroleum": "bbl(UK)",
    "sidereal_hour": "h(sidereal)",
    "sidereal_minute": "min(sidereal)",
    "mean_gregorian_month": "mo(Gregorian)",
    "water_horsepower": "hp(water)",
    "quad_IT": "quad",
    "btu_39F": "Btu(39°F)",
    "btu_59F": "Btu(59°F)",
    "btu_60F": "Btu(60°F)",
    "btu_mean": "Btu(mean)",
    "calorie_15C": "cal₁₅",
    "calorie_20C": "cal₂₀",
    "calorie_mean": "cal(mean)",
    "candlepower": "cp",
    "boiler_horsepower_NIST": "hp(boiler)",
    "inch_Hg_32F_NIST": "inHg(32°F)",
    "planck_length": "l_P",
    "planck_mass": "m_P",
    "planck_time": "t_P",
    "planck_temperature": "T_P",
    "planck_current": "I_P",
    "planck_charge": "q_P",
    "planck_area": "A_P",
    "planck_volume": "V_P",
    "planck_energy": "E_P",
    "planck_momentum": "p_P",
    "planck_force": "F_P",
    "planck_power": "P_P",
    "planck_pressure": "Π_P",
    "planck_density": "ρ_P",
    "planck_frequency": "f_P",
    "planck_angular_frequency": "ω_P",
    "planck_impedance": "Z_P",
    "planck_voltage": "U_P",
    "planck_current_density": "J_P",
    "natural_unit_of_information": "nat",
    "shannon": "Sh",
    "hartley": "Hart",
    "printers_point_traditional": "pt",
    "angular_mil": "mil",
    "french_gauge": "Fr",
    "brewster": "B(brewster)",
    "perm_US": "perm",
    "perm_metric": "perm(metric)",
    "pfund": "Pfund",
    "equivalent": "eq",
    "osmole": "osmol",
    "dots_per_inch_count": "dpi",
    "flops": "FLOPS",
    "ten": "ten",
    "hundred": "hundred",
    "thousand": "thousand",
    "million": "million",
    "billion_short": "billion",
    "billion_long": "billion(long)",
    "parts_per_thousand": "ppth",
    "parts_per_ten_million": "pptm",
    "parts_per_billion": "ppb",
    "parts_per_trillion": "ppt",
    "parts_per_quadrillion": "ppq",
}

# Base symbols (what is left of a factor once its prefix and exponent are removed) and the
# pint unit each names.  Irregular QUDT symbols (with underscores or mixed case) are listed
# here like the regular ones.
_SYMBOLS: Final[dict[str, str]] = {
    # SI base and coherent derived units
    "M": "meter",
    "GM": "gram",
    "SEC": "second",
    "A": "ampere",
    "K": "kelvin",
    "MOL": "mole",
    "CD": "candela",
    "RAD": "radian",
    "SR": "steradian",
    "HZ": "hertz",
    "N": "newton",
    "PA": "pascal",
    "J": "joule",
    "W": "watt",
    "C": "coulomb",
    "V": "volt",
    "FARAD": "farad",
    "OHM": "ohm",
    "S": "siemens",
    "MHO": "siemens",
    "WB": "weber",
    "T": "tesla",
    "H": "henry",
    "DEG_C": "degree_Celsius",
    "LM": "lumen",
    "LUX": "lux",
    "BQ": "becquerel",
    "GRAY": "gray",
    "SV": "sievert",
    "KAT": "katal",
    "VA": "volt_ampere",
    "VAR": "volt_ampere_reactive",
    # time
    "MIN": "minute",
    "HR": "hour",
    "DAY": "day",
    "WK": "week",
    "MO": "synodic_month",  # QUDT's "Month" is the synodic month
    "MO_Synodic": "synodic_month",
    "MO_MeanJulian": "month",
    "MO_MeanGREGORIAN": "mean_gregorian_month",
    "YR": "year",
    "YR_Metrology": "year",
    "YR_Common": "common_year",
    "YR_Sidereal": "sidereal_year",
    "YR_TROPICAL": "tropical_year",
    "DAY_Sidereal": "sidereal_day",
    "HR_Sidereal": "sidereal_hour",
    "MIN_Sidereal": "sidereal_minute",
    "SH": "shake",
    # angle
    "DEG": "degree",
    "ARCMIN": "arcminute",
    "MIN_Angle": "arcminute",
    "ARCSEC": "arcsecond",
    "GON": "gon",
    "GRAD": "gon",
    "REV": "revolution",
    "MIL_Angle": "angular_mil",
    # length
    "ANGSTROM": "angstrom",
    "FM": "fermi",
    "IN": "inch",
    "ZOLL": "inch",
    "FT": "foot",
    "FT_US": "survey_foot",
    "YD": "yard",
    "MI": "mile",
    "MI_UK": "mile",
    "MI_US": "survey_mile",
    "MI_N": "nautical_mile",
    "MIL_Length": "thou",
    "MilLength": "thou",
    "CHAIN": "chain_international",
    "CHAIN_US": "chain",
    "ROD": "rod_international",
    "FATH": "fathom_international",
    "FUR": "furlong_international",
    "AU": "astronomical_unit",
    "LY": "light_year",
    "PARSEC": "parsec",
    "PT": "printers_point_traditional",
    "PT_BIG": "big_point",
    "PCA": "pica",
    "GAUGE_FR": "french_gauge",
    "GA_Charriere": "french_gauge",
    # area
    "ARE": "are",
    "HA": "hectare",
    "AC": "acre_international",
    "BARN": "barn",
    "DARCY": "darcy",
    "MIL_Circ": "circular_mil",
    # volume
    "L": "liter",
    "STR": "stere",
    "CubicFT": "cubic_foot",
    "GAL_US": "gallon",
    "GAL_UK": "imperial_gallon",
    "GAL_IMP": "imperial_gallon",
    "GAL_US_DRY": "dry_gallon",
    "QT_US": "quart",
    "QT_UK": "imperial_quart",
    "QT_US_DRY": "dry_quart",
    "PINT_US": "pint",
    "PINT": "imperial_pint",
    "PINT_UK": "imperial_pint",
    "PINT_US_DRY": "dry_pint",
    "GI_US": "gill",
    "GI_UK": "imperial_gill",
    "CUP": "cup",
    "CUP_US": "cup",
    "OZ_VOL_US": "fluid_ounce",
    "OZ_VOL_UK": "imperial_fluid_ounce",
    "TBSP": "tablespoon",
    "TSP": "teaspoon",
    "BU_US": "bushel",
    "BU_US_DRY": "bushel",
    "BU_UK": "imperial_bushel",
    "PK_US_DRY": "peck",
    "PK_UK": "imperial_peck",
    "BBL": "oil_barrel",
    "BBL_US": "oil_barrel",
    "BBL_US_PET": "oil_barrel",
    "BBL_UK_PET": "barrel_UK_petroleum",
    "BBL_US_DRY": "dry_barrel",
    "CORD": "cord",
    "FBM": "board_foot",
    "TON_Register": "register_ton",
    "TON_SHIPPING_UK": "shipping_ton",
    "TON_SHIPPING_US": "shipping_ton",
    "STANDARD": "petrograd_standard",
    # mass
    "TONNE": "metric_ton",
    "TON_Metric": "metric_ton",
    "TON": "short_ton",
    "TON_SHORT": "short_ton",
    "TON_US": "short_ton",
    "TON_LONG": "long_ton",
    "TON_UK": "long_ton",
    "TON_Assay": "assay_ton",
    "LB": "pound",
    "LB_M": "pound",
    "LB_T": "troy_pound",
    "OZ": "ounce",
    "OZ_M": "ounce",
    "OZ_TROY": "troy_ounce",
    "GRAIN": "grain",
    "DRAM_US": "dram",
    "DRAM_UK": "apothecary_dram",
    "DWT": "pennyweight",
    "PENNYWEIGHT": "pennyweight",
    "CARAT": "carat",
    "SLUG": "slug",
    "Stone_UK": "stone",
    "Quarter_UK": "quarter",
    "CWT_LONG": "long_hundredweight",
    "Hundredweight_UK": "long_hundredweight",
    "CWT_SHORT": "hundredweight",
    "Hundredweight_US": "hundredweight",
    "PFUND": "pfund",
    "AMU": "unified_atomic_mass_unit",
    "U": "unified_atomic_mass_unit",
    "DA": "dalton",
    # A gram of carbon, of nitrogen or of dry matter is still a gram.
    "GM_Carbon": "gram",
    "GM_Nitrogen": "gram",
    "GM_DRY": "gram",
    # force
    "DYN": "dyne",
    "LB_F": "force_pound",
    "LB_F_Energy": "force_pound",
    "LB_F_Torque": "force_pound",
    "GM_F": "force_gram",
    "POND": "force_gram",
    "OZ_F": "force_ounce",
    "KIP_F": "kip",
    "TON_F_US": "force_ton",
    "PDL": "poundal",
    # pressure
    "BAR": "bar",
    "BAR_A": "bar",
    "PA_A": "pascal",
    "ATM": "atmosphere",
    "ATM_T": "technical_atmosphere",
    "TORR": "torr",
    "PSI": "pound_force_per_square_inch",
    "BARYE": "barye",
    "BARAD": "barye",
    "M_H2O": "meter_H2O",
    "M_H2O_4DEG_C": "meter_H2O_4C",
    "M_HG": "meter_Hg",
    "M_HGA": "meter_Hg",
    "M_HG_0DEG_C": "meter_Hg_0C",
    "IN_H2O": "inch_H2O",
    "IN_H2O_39dot2DEG_F": "inch_H2O_4C",
    "IN_H2O_60DEG_F": "inch_H2O_60F",
    "IN_HG": "inch_Hg",
    "IN_HG_32DEG_F": "inch_Hg_32F_NIST",
    "IN_HG_60DEG_F": "inch_Hg_60F",
    "FT_H2O": "foot_H2O",
    "FT_H2O_39dot2DEG_F": "foot_H2O_4C",
    "FT_HG": "foot_Hg",
    # energy and power
    "EV": "electron_volt",
    "ERG": "erg",
    "E_h": "hartree",
    "CAL": "calorie",
    "CAL_TH": "calorie",
    "CAL_IT": "international_calorie",
    "CAL_MEAN": "calorie_mean",
    "CAL_Mean": "calorie_mean",
    "CAL_15DEG_C": "calorie_15C",
    "CAL_20DEG_C": "calorie_20C",
    "BTU_IT": "international_british_thermal_unit",
    "BTU_TH": "thermochemical_british_thermal_unit",
    "BTU_MEAN": "btu_mean",
    "BTU_39DEG_F": "btu_39F",
    "BTU_59DEG_F": "btu_59F",
    "BTU_60DEG_F": "btu_60F",
    "THERM_EC": "therm",
    "THM_EEC": "therm",
    "THERM_US": "US_therm",
    "THM_US": "US_therm",
    "QUAD": "quad_IT",
    "TOE": "tonne_of_oil_equivalent",
    "TonEnergy": "ton_TNT",
    "LANGLEY": "langley",
    "HP": "horsepower",
    "HP_Brake": "horsepower",
    "HP_Electric": "electrical_horsepower",
    "HP_Metric": "metric_horsepower",
    "PFERDESTAERKE": "metric_horsepower",
    "HP_Boiler": "boiler_horsepower_NIST",
    "HP_H2O": "water_horsepower",
    "TON_FG": "refrigeration_ton",
    # electromagnetism (absolute and Gaussian systems expressed in SI)
    "AT": "ampere_turn",
    "BIOT": "biot",
    "A_Ab": "abampere",
    "C_Ab": "abcoulomb",
    "V_Ab": "abvolt",
    "OHM_Ab": "abohm",
    "FARAD_Ab": "abfarad",
    "H_Ab": "abhenry",
    "S_Ab": "absiemens",
    "T_Ab": "gauss_SI",
    "A_Stat": "statampere_SI",
    "C_Stat": "statcoulomb_SI",
    "FR": "statcoulomb_SI",
    "V_Stat": "statvolt_SI",
    "OHM_Stat": "statohm_SI",
    "FARAD_Stat": "statfarad_SI",
    "S_Stat": "statmho_SI",
    "MHO_Stat": "statmho_SI",
    "H_Stat": "stathenry_SI",
    "GAUSS": "gauss_SI",
    "MX": "maxwell_SI",
    "OERSTED": "oersted_SI",
    "GAMMA": "gamma",
    "GI": "gilbert",
    "UnitPole": "unit_pole",
    "DEBYE": "debye",
    "E": "elementary_charge",
    "ElementaryCharge": "elementary_charge",
    "F": "faraday",
    # other physics
    "G": "standard_gravity",
    "GALILEO": "galileo",
    "KN": "knot",
    "SpeedOfLight": "speed_of_light",
    "KY": "kayser",
    "DIOPTER": "diopter",
    "POISE": "poise",
    "RHE": "rhe",
    "ST": "stokes",
    "TEX": "tex",
    "DENIER": "denier",
    "DEG_F": "degree_Fahrenheit",
    "DEG_R": "degree_Rankine",
    "CI": "curie",
    "R": "roentgen",
    "RAD_R": "rads",
    "REM": "rem",
    "R_man": "rem",
    "CP": "candlepower",
    "LA": "lambert",
    "LA_FT": "foot_lambert",
    "FC": "footcandle",
    "PHOT": "phot",
    "STILB": "stilb",
    "CLO": "clo",
    "DU": "dobson_unit",
    "BREWSTER": "brewster",
    "RAYL": "rayl_cgs",
    "RAYL_MKS": "rayl_mks",
    "MOHM": "mobile_ohm",
    "PERM_US": "perm_US",
    "PERM_Metric": "perm_metric",
    # amount of substance and biochemistry
    "MOL_LB": "pound_mole",
    "EQ": "equivalent",
    "OSM": "osmole",
    "ENZ": "enzyme_unit",
    # information (counted, not logarithmic)
    "BIT": "bit",
    "BYTE": "byte",
    "OCTET": "byte",
    "BAUD": "baud",
    "FLOPS": "flops",
    "DPI": "dots_per_inch_count",
    # dimensionless ratios, counts and counting words
    "UNITLESS": "dimensionless",
    "ONE": "dimensionless",
    "FRACTION": "dimensionless",
    "SUSCEPTIBILITY_ELEC": "dimensionless",
    "SUSCEPTIBILITY_MAG": "dimensionless",
    "PERMEABILITY_EM_REL": "dimensionless",
    "PERCENT": "percent",
    "PERCENT_RH": "percent",
    "PERMILLE": "permille",
    "PPM": "ppm",
    "PPTH": "parts_per_thousand",
    "PPTM": "parts_per_ten_million",
    "PPB": "parts_per_billion",
    "PPT": "parts_per_trillion",
    "PPT_VOL": "parts_per_trillion",
    "PPQ": "parts_per_quadrillion",
    "NUM": "count",
    "COUNT": "count",
    "CYC": "count",
    "CASES": "count",
    "DEATHS": "count",
    "INDIV": "count",
    "BEAT": "count",
    "BREATH": "count",
    "FLIGHT": "count",
    "FRAME": "count",
    "SAMPLE": "count",
    "PIXEL_COUNT": "count",
    "BasePair": "count",
    "RPK": "count",
    "ERLANG": "count",
    "NAT": "natural_unit_of_information",
    "SHANNON": "shannon",
    "HART": "hartley",
    "BAN": "hartley",
    "PlanckLength": "planck_length",
    "PlanckMass": "planck_mass",
    "PlanckTime": "planck_time",
    "PlanckTemperature": "planck_temperature",
    "PlanckCurrent": "planck_current",
    "PlanckCharge": "planck_charge",
    "PlanckArea": "planck_area",
    "PlanckVolume": "planck_volume",
    "PlanckEnergy": "planck_energy",
    "PlanckMomentum": "planck_momentum",
    "PlanckForce": "planck_force",
    "PlanckPower": "planck_power",
    "PlanckPressure": "planck_pressure",
    "PlanckDensity": "planck_density",
    "PlanckFrequency": "planck_frequency",
    "PlanckFrequency_Ang": "planck_angular_frequency",
    "PlanckImpedance": "planck_impedance",
    "PlanckVolt": "planck_voltage",
    "PlanckCurrentDensity": "planck_current_density",
    "TEN": "ten",
    "HUNDRED": "hundred",
    "THOUSAND": "thousand",
    "MILLION": "million",
    "BILLION_Short": "billion_short",
    "BILLION_Long": "billion_long",
}

_LOGARITHMIC: Final = "is logarithmic; logarithmic units are not supported"
_NO_FACTOR: Final = "is a scale or index with no fixed conversion factor to SI"
_REFERENCE: Final = (
    "depends on reference conditions (temperature and pressure) and has no fixed factor"
)
_MEASURED: Final = "is an astronomical mass, a measured quantity rather than a defined unit"

# Base symbols that name something other than a multiplicative unit, with the reason given to
# the modeller.
_REFUSED: Final[dict[str, str]] = {
    "B": _LOGARITHMIC,
    "B_A": _LOGARITHMIC,
    "B_C": _LOGARITHMIC,
    "B_ISO": _LOGARITHMIC,
    "B_M": _LOGARITHMIC,
    "B_Z": _LOGARITHMIC,
    "NP": _LOGARITHMIC,
    "OCT": _LOGARITHMIC,
    "DECADE": _LOGARITHMIC,
    "PH": _LOGARITHMIC,
    "PHON": _LOGARITHMIC,
    "RichterMagnitude": _LOGARITHMIC,
    "AWG": _NO_FACTOR,
    "BFT": _NO_FACTOR,
    "DEGREE_API": _NO_FACTOR,
    "DEGREE_BALLING": _NO_FACTOR,
    "DEGREE_BAUME": _NO_FACTOR,
    "DEGREE_BAUME_US_HEAVY": _NO_FACTOR,
    "DEGREE_BAUME_US_LIGHT": _NO_FACTOR,
    "DEGREE_BRIX": _NO_FACTOR,
    "DEGREE_OECHSLE": _NO_FACTOR,
    "DEGREE_PLATO": _NO_FACTOR,
    "DEGREE_TWADDELL": _NO_FACTOR,
    "DEG_C_GROWING_CEREAL": _NO_FACTOR,
    "GR": _NO_FACTOR,
    "MACH": _NO_FACTOR,
    "MESH": _NO_FACTOR,
    "OKTA": _NO_FACTOR,
    "NTU": _NO_FACTOR,
    "PSU": _NO_FACTOR,
    "SPF": _NO_FACTOR,
    "Z": _NO_FACTOR,
    "SPIN_QUANTUM_NUMBER": _NO_FACTOR,
    "PIXEL_AREA": _NO_FACTOR,
    "FA": _NO_FACTOR,
    "SON": "is a perceptual loudness scale with no fixed conversion factor to SI",
    "IU": "is substance-specific (an international unit of one substance is not one of "
    "another); give the amount as a mass or an amount of substance",
    "CD_IT": "is an obsolete photometric standard with no fixed SI value",
    "HK": "is an obsolete photometric standard with no fixed SI value",
    "MOMME_Pearl": "is a trade unit that QUDT records inconsistently; use grams",
    "MOMME_Textile": "is an areal density of silk that QUDT records as a mass; use g/m2",
    "PERMEABILITY_REL": "is a ratio that QUDT gives a dimensional factor; use unit:UNITLESS",
    "PERMITTIVITY_REL": "is a ratio that QUDT gives a dimensional factor; use unit:UNITLESS",
    "SCF": _REFERENCE,
    "SCM": _REFERENCE,
    "SCM_1ATM_0DEG_C": _REFERENCE,
    "SCM_1ATM_15DEG_C_ISO": _REFERENCE,
    "SCM_1ATM_15DEG_C_NL": _REFERENCE,
    "NCM": _REFERENCE,
    "NCM_1ATM_0DEG_C_NL": _REFERENCE,
    "EarthMass": _MEASURED,
    "LunarMass": _MEASURED,
    "SolarMass": _MEASURED,
    "UNKNOWN": "is QUDT's placeholder for an unknown unit",
}

# Families of symbols refused for one reason.
_REFUSED_STARTS: Final[tuple[tuple[str, str], ...]] = (
    ("CCY_", "is a currency, not a physical unit"),
)

_LOCAL_NAME = re.compile(r"[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*")
_EXPONENT = re.compile(r"(?P<base>.*?[A-Za-z_])(?P<exp>\d+(?:dot\d+)?)")
_MAX_EXPONENT: Final = 16


def _refusal(symbol: str) -> str | None:
    """The reason a base symbol is refused, or None when it is not refused."""
    reason = _REFUSED.get(symbol)
    if reason is not None:
        return reason
    for start, why in _REFUSED_STARTS:
        if symbol.startswith(start):
            return why
    return None


def _lookup(symbol: str, prefix: str, local: str) -> str | None:
    """The pint name for ``prefix`` + ``symbol``, None when the symbol is unknown."""
    reason = _refusal(symbol)
    if reason is not None:
        raise UnitError(f"QUDT unit {local!r}: {symbol!r} {reason}")
    name = _SYMBOLS.get(symbol)
    if name is None:
        return None
    if prefix and name == "dimensionless":
        raise UnitError(f"QUDT unit {local!r}: the prefix {prefix!r} cannot apply to {symbol!r}")
    return QUDT_PREFIXES[prefix] + name if prefix else name


def _split_prefix(text: str) -> list[tuple[str, str]]:
    """Every reading of ``text`` as (prefix, rest): first without a prefix, then with one."""
    readings = [("", text)]
    for prefix in QUDT_PREFIXES:
        rest = text[len(prefix) :]
        if text.startswith(prefix) and rest and (rest[0].isupper() or rest[0] == "_"):
            readings.append((prefix, rest))
    return readings


def _exponent(text: str, local: str) -> str:
    """A QUDT exponent (``2``, ``0dot5``) as a pint number."""
    value = text.replace("dot", ".")
    if float(value) > _MAX_EXPONENT:
        raise UnitError(f"QUDT unit {local!r}: exponent {value} is too large")
    return value


def _factor(token: str, local: str) -> str:
    """One factor of a local name (``KiloGM``, ``M3``, ``SEC0dot5``) as a pint expression."""
    # The whole token is tried before splitting off an exponent, because some irregular
    # symbols contain digits (``IN_HG_60DEG_F``); prefixes are tried last.
    candidates: list[tuple[str, str | None]] = [(token, None)]
    match = _EXPONENT.fullmatch(token)
    if match is not None:
        candidates.append((match["base"], match["exp"]))
    for text, exponent in candidates:
        for prefix, symbol in _split_prefix(text):
            name = _lookup(symbol, prefix, local)
            if name is None:
                continue
            if exponent is None or exponent == "1":
                return name
            return f"{name} ** {_exponent(exponent, local)}"
    raise UnitError(f"QUDT unit {local!r}: unknown symbol {token!r}")


def _product(factors: list[str]) -> str:
    return " * ".join(factors)


def qudt_local_name_to_pint(local: str) -> str:
    """Translate a QUDT unit local name into a pint expression.

    ``local`` is the part of a QUDT unit IRI after ``http://qudt.org/vocab/unit/``.  The result
    uses pint's syntax and unit names (plus the names in :data:`PINT_DEFINITIONS`), with the
    numerator first and the denominator in parentheses when it has several factors.  Raises
    :class:`UnitError` when the name breaks the grammar, uses an unknown symbol or names a
    unit that is not a multiplicative factor of SI units (currencies, logarithmic units).

    >>> qudt_local_name_to_pint("MilliGM-PER-L")
    'milligram / liter'
    >>> qudt_local_name_to_pint("PER-SEC")
    '1 / second'
    >>> qudt_local_name_to_pint("J-PER-M2-SEC0dot5-K")
    'joule / (meter ** 2 * second ** 0.5 * kelvin)'
    >>> qudt_local_name_to_pint("DeciB")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    scalebridge.model.qudt_units.UnitError: QUDT unit 'DeciB': 'B' is logarithmic; ...
    """
    if len(local) > 200 or _LOCAL_NAME.fullmatch(local) is None:
        shown = local if len(local) <= 60 else local[:57] + "..."
        raise UnitError(f"{shown!r} is not a QUDT unit local name")
    tokens = local.split("-")
    if tokens.count("PER") > 1:
        raise UnitError(f"QUDT unit {local!r}: 'PER' may appear only once")
    if "PER" in tokens:
        where = tokens.index("PER")
        numerator, denominator = tokens[:where], tokens[where + 1 :]
        if not denominator:
            raise UnitError(f"QUDT unit {local!r}: nothing follows 'PER'")
    else:
        numerator, denominator = tokens, []
    top = [_factor(token, local) for token in numerator]
    bottom = [_factor(token, local) for token in denominator]
    text = _product(top) if top else "1"
    if len(bottom) == 1:
        text += f" / {bottom[0]}"
    elif bottom:
        text += f" / ({_product(bottom)})"
    return text
