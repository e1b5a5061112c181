"""Every finding about a model is one :class:`Diagnostic`; a run of checks gives a :class:`Report`.

A diagnostic carries a stable :class:`Code`, a :class:`Severity`, a message, the IRI of the
offending node, the Turtle file and line where they can be known, and a one-line hint.  The
catalogue :data:`CATALOGUE` gives every code a title, a default severity and an explanation;
``docs/diagnostics.md`` is generated from it (``python -m scalebridge.docs``).

Checks are pure functions that yield diagnostics naming a subject IRI; the pipeline fills in file
and line afterwards (:func:`scalebridge.ontology.sourcemap.SourceMap.locate`), so no check ever
needs to know where a node was written.

Example
-------
>>> d = Diagnostic.make(Code.UNITS_UNKNOWN, "unit 'furlong-ish' is not known",
...                     subject="https://example.org/m#T")
>>> d.severity
<Severity.ERROR: 'error'>
>>> Report((d,)).has_errors()
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

__all__ = [
    "CATALOGUE",
    "Code",
    "CodeInfo",
    "Diagnostic",
    "Report",
    "Severity",
]


class Severity(StrEnum):
    """How bad a finding is.  Errors block composition; warnings do too under ``--strict``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for errors, 1 for warnings, 2 for information: sorts the worst first."""
        return {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}[self]


class Code(StrEnum):
    """Stable diagnostic codes; the prefix names the area of the check."""

    # loading files
    LOAD_FILE_UNREADABLE = "LOAD_FILE_UNREADABLE"
    LOAD_FILE_TOO_LARGE = "LOAD_FILE_TOO_LARGE"
    LOAD_NOT_TEXT = "LOAD_NOT_TEXT"
    LOAD_UNSUPPORTED_FORMAT = "LOAD_UNSUPPORTED_FORMAT"
    LOAD_SYNTAX_ERROR = "LOAD_SYNTAX_ERROR"
    LOAD_NESTING_TOO_DEEP = "LOAD_NESTING_TOO_DEEP"
    LOAD_REMOTE_CONTEXT_REFUSED = "LOAD_REMOTE_CONTEXT_REFUSED"
    LOAD_IMPORT_REFUSED = "LOAD_IMPORT_REFUSED"
    LOAD_IMPORT_NOT_FOUND = "LOAD_IMPORT_NOT_FOUND"
    LOAD_NOTHING_TO_VALIDATE = "LOAD_NOTHING_TO_VALIDATE"
    # structure, from the SHACL shapes
    SHAPE_MISSING_VALUE = "SHAPE_MISSING_VALUE"
    SHAPE_TOO_MANY_VALUES = "SHAPE_TOO_MANY_VALUES"
    SHAPE_WRONG_TYPE = "SHAPE_WRONG_TYPE"
    SHAPE_WRONG_DATATYPE = "SHAPE_WRONG_DATATYPE"
    SHAPE_VALUE_OUT_OF_RANGE = "SHAPE_VALUE_OUT_OF_RANGE"
    SHAPE_COUPLING_SELF = "SHAPE_COUPLING_SELF"
    SHAPE_VIOLATION = "SHAPE_VIOLATION"
    # references and names
    REF_DANGLING = "REF_DANGLING"
    REF_UNKNOWN_TERM = "REF_UNKNOWN_TERM"
    NAME_INVALID = "NAME_INVALID"
    NAME_DUPLICATE = "NAME_DUPLICATE"
    NAME_RESERVED = "NAME_RESERVED"
    # formulas
    FORMULA_SYNTAX = "FORMULA_SYNTAX"
    FORMULA_UNKNOWN_FUNCTION = "FORMULA_UNKNOWN_FUNCTION"
    FORMULA_UNKNOWN_NAME = "FORMULA_UNKNOWN_NAME"
    FORMULA_AMBIGUOUS_NAME = "FORMULA_AMBIGUOUS_NAME"
    FORMULA_TOO_COMPLEX = "FORMULA_TOO_COMPLEX"
    # units
    UNITS_MISSING = "UNITS_MISSING"
    UNITS_UNKNOWN = "UNITS_UNKNOWN"
    UNITS_MULTIPLE = "UNITS_MULTIPLE"
    UNITS_QUANTITY_KIND_MISMATCH = "UNITS_QUANTITY_KIND_MISMATCH"
    # values
    VALUE_INVALID = "VALUE_INVALID"
    VALUE_TABLE_MISMATCH = "VALUE_TABLE_MISMATCH"
    # ports and interfaces
    PORT_UNCONNECTED = "PORT_UNCONNECTED"
    # OWL reasoning
    OWL_INCONSISTENT = "OWL_INCONSISTENT"
    OWL_REASONER_UNAVAILABLE = "OWL_REASONER_UNAVAILABLE"
    # dimensional analysis
    UNITS_TERM_MISMATCH = "UNITS_TERM_MISMATCH"
    UNITS_INHOMOGENEOUS = "UNITS_INHOMOGENEOUS"
    UNITS_FUNCTION_ARGUMENT = "UNITS_FUNCTION_ARGUMENT"
    UNITS_EXPONENT = "UNITS_EXPONENT"
    UNITS_BOUNDARY_MISMATCH = "UNITS_BOUNDARY_MISMATCH"
    UNITS_INITIAL_MISMATCH = "UNITS_INITIAL_MISMATCH"
    UNITS_DECLARED_MISMATCH = "UNITS_DECLARED_MISMATCH"
    UNITS_VALUE_MISMATCH = "UNITS_VALUE_MISMATCH"
    UNITS_RELATION_MISMATCH = "UNITS_RELATION_MISMATCH"
    UNITS_BRIDGE_MISMATCH = "UNITS_BRIDGE_MISMATCH"
    UNITS_PORT_MISMATCH = "UNITS_PORT_MISMATCH"
    UNITS_FLOW_MISMATCH = "UNITS_FLOW_MISMATCH"
    UNITS_CONVERTED = "UNITS_CONVERTED"
    UNITS_KIND_CONFLICT = "UNITS_KIND_CONFLICT"
    # conservation
    CONSERVATION_BUDGET_OPEN = "CONSERVATION_BUDGET_OPEN"
    CONSERVATION_CARRIER_IMBALANCE = "CONSERVATION_CARRIER_IMBALANCE"
    CONSERVATION_FLUX_NO_DESTINATION = "CONSERVATION_FLUX_NO_DESTINATION"
    CONSERVATION_INTERFACE_MISMATCH = "CONSERVATION_INTERFACE_MISMATCH"
    CONSERVATION_PORT_JOINED_TWICE = "CONSERVATION_PORT_JOINED_TWICE"
    CONSERVATION_WEIGHTS = "CONSERVATION_WEIGHTS"
    CONSERVATION_PROLONGATION = "CONSERVATION_PROLONGATION"
    CONSERVATION_GHOST_FORCES = "CONSERVATION_GHOST_FORCES"
    # timescales
    TIMESCALE_NOT_SEPARATED = "TIMESCALE_NOT_SEPARATED"
    TIMESCALE_SEPARATED_CONCURRENT = "TIMESCALE_SEPARATED_CONCURRENT"
    TIMESCALE_COUPLING_VERDICT = "TIMESCALE_COUPLING_VERDICT"
    TIMESCALE_UNKNOWN = "TIMESCALE_UNKNOWN"
    TIMESCALE_RANGE_INVALID = "TIMESCALE_RANGE_INVALID"
    TIMESCALE_UNDERRESOLVED = "TIMESCALE_UNDERRESOLVED"
    TIMESCALE_NESTING_INVERTED = "TIMESCALE_NESTING_INVERTED"
    # structure
    STRUCTURE_NO_INITIAL = "STRUCTURE_NO_INITIAL"
    STRUCTURE_UNDERDETERMINED = "STRUCTURE_UNDERDETERMINED"
    STRUCTURE_OVERDETERMINED = "STRUCTURE_OVERDETERMINED"
    STRUCTURE_ALGEBRAIC_LOOP = "STRUCTURE_ALGEBRAIC_LOOP"
    STRUCTURE_NESTING_CYCLE = "STRUCTURE_NESTING_CYCLE"
    STRUCTURE_BRIDGE_OUTSIDE_COUPLING = "STRUCTURE_BRIDGE_OUTSIDE_COUPLING"
    STRUCTURE_OPERATOR_DOMAIN = "STRUCTURE_OPERATOR_DOMAIN"
    STRUCTURE_ORPHAN = "STRUCTURE_ORPHAN"
    STRUCTURE_HANDSHAKE = "STRUCTURE_HANDSHAKE"
    STRUCTURE_AVERAGE_OVER = "STRUCTURE_AVERAGE_OVER"
    COMPOSE_UNSUPPORTED = "COMPOSE_UNSUPPORTED"
    COMPOSE_NO_DURATION = "COMPOSE_NO_DURATION"
    COMPOSE_INVALID_OVERRIDE = "COMPOSE_INVALID_OVERRIDE"
    RUN_NUMERICAL_FAILURE = "RUN_NUMERICAL_FAILURE"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """What the catalogue says about one code: shown in ``docs/diagnostics.md``."""

    title: str
    severity: Severity
    explanation: str
    hint: str

    @property
    def anchor(self) -> str:
        """The fragment of the code's section in ``docs/diagnostics.md``."""
        return self.title.lower()


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

CATALOGUE: dict[Code, CodeInfo] = {
    Code.LOAD_FILE_UNREADABLE: CodeInfo(
        "File cannot be read",
        _E,
        "The file does not exist, is a directory, or cannot be opened for reading.",
        "Check the path and the file's permissions.",
    ),
    Code.LOAD_FILE_TOO_LARGE: CodeInfo(
        "File too large",
        _E,
        "The file is larger than the loader's limit (64 MiB by default). The limit protects "
        "the validator from inputs that would exhaust memory.",
        "Split the model into submodel files joined by owl:imports, or raise the limit.",
    ),
    Code.LOAD_NOT_TEXT: CodeInfo(
        "File is not text",
        _E,
        "The file contains NUL bytes or is not valid UTF-8, so it cannot be Turtle.",
        "Save the model as UTF-8 text.",
    ),
    Code.LOAD_UNSUPPORTED_FORMAT: CodeInfo(
        "Unsupported file format",
        _E,
        "Models are read from Turtle (.ttl), N-Triples (.nt) or JSON-LD (.jsonld) files.",
        "Give the file one of the extensions .ttl, .nt or .jsonld.",
    ),
    Code.LOAD_SYNTAX_ERROR: CodeInfo(
        "Syntax error",
        _E,
        "The RDF parser rejected the file; the diagnostic gives the line it stopped at.",
        "Look at the line named (and the one before it) for a missing '.', ';' or quote.",
    ),
    Code.LOAD_NESTING_TOO_DEEP: CodeInfo(
        "Nesting too deep",
        _E,
        "Blank nodes or collections are nested more deeply than the parser can follow.",
        "Give deeply nested nodes their own IRIs.",
    ),
    Code.LOAD_REMOTE_CONTEXT_REFUSED: CodeInfo(
        "Remote JSON-LD context refused",
        _E,
        "A JSON-LD document names its @context by URL. scalebridge never fetches anything "
        "over the network while loading a model.",
        "Inline the @context object in the document.",
    ),
    Code.LOAD_IMPORT_REFUSED: CodeInfo(
        "Import refused",
        _E,
        "An owl:imports names an IRI that is neither scalebridge's own ontology, nor a file "
        "beside the model, nor an entry of a local catalogue (catalog-v001.xml). Models are "
        "never fetched over the network.",
        "Download the imported file next to the model and import it by its relative path.",
    ),
    Code.LOAD_IMPORT_NOT_FOUND: CodeInfo(
        "Imported file not found",
        _E,
        "An owl:imports names a local file that does not exist.",
        "Check the relative path in owl:imports against the model's directory.",
    ),
    Code.LOAD_NOTHING_TO_VALIDATE: CodeInfo(
        "No model in the file",
        _E,
        "The graph contains no sb:Model and no sb:Submodel, so there is nothing to check.",
        "Declare the top node with 'a sb:Model' (or 'a sb:Submodel' for a library file).",
    ),
    Code.SHAPE_MISSING_VALUE: CodeInfo(
        "Required property missing",
        _E,
        "A SHACL shape requires a property that the node does not have.",
        "Add the property named in the message.",
    ),
    Code.SHAPE_TOO_MANY_VALUES: CodeInfo(
        "Too many values",
        _E,
        "A property that takes one value (or a bounded number) has more.",
        "Keep one value; a second triple with the same subject and property adds a value "
        "rather than replacing the first.",
    ),
    Code.SHAPE_WRONG_TYPE: CodeInfo(
        "Value of the wrong kind",
        _E,
        "A property points at a node of the wrong class, or at a literal where a node is "
        "expected (or the reverse).",
        "Point the property at a node of the class named in the message.",
    ),
    Code.SHAPE_WRONG_DATATYPE: CodeInfo(
        "Literal of the wrong datatype",
        _E,
        "A literal has a datatype the property does not accept (a string where a number is "
        "expected, say).",
        "Write numbers without quotes: 1.5 or 1.5e-3.",
    ),
    Code.SHAPE_VALUE_OUT_OF_RANGE: CodeInfo(
        "Value out of range",
        _E,
        "A number is outside the range the property allows (a negative length, zero cells).",
        "Use a value inside the range named in the message.",
    ),
    Code.SHAPE_COUPLING_SELF: CodeInfo(
        "Coupling joins a submodel to itself",
        _E,
        "A coupling must name two different submodels with sb:between. Naming one submodel "
        "twice leaves a single value, since RDF keeps a set of triples.",
        "Name the two submodels that the coupling joins.",
    ),
    Code.SHAPE_VIOLATION: CodeInfo(
        "Structural constraint violated",
        _E,
        "A SHACL constraint of scalebridge's shapes is violated; the message says which.",
        "Follow the message; docs/vocabulary.md lists what every class expects.",
    ),
    Code.REF_DANGLING: CodeInfo(
        "Dangling reference",
        _E,
        "A property points at a node that nothing in the model (or its imports) describes, "
        "usually a typo in a name.",
        "Check the spelling of the name, or describe the node.",
    ),
    Code.REF_UNKNOWN_TERM: CodeInfo(
        "Unknown scalebridge term",
        _E,
        "The model uses a class or property in the scalebridge namespace that the ontology "
        "does not define, usually a typo such as sb:Difusion.",
        "See docs/vocabulary.md for the terms that exist.",
    ),
    Code.NAME_INVALID: CodeInfo(
        "No usable name",
        _E,
        "Formulas refer to variables by a name: the local part of the IRI, or sb:symbol. "
        "That name must be a letter followed by letters, digits or '_'.",
        'Give the variable an sb:symbol such as "k_eff".',
    ),
    Code.NAME_DUPLICATE: CodeInfo(
        "Name used twice",
        _E,
        "Two variables in the same namespace have the same formula name, so formulas could "
        "not tell them apart.",
        "Rename one of them or give it its own sb:symbol.",
    ),
    Code.NAME_RESERVED: CodeInfo(
        "Reserved name",
        _E,
        "The name of a variable is reserved in formulas (t, x, y, pi, or a function name).",
        "Give the variable an sb:symbol that is not reserved.",
    ),
    Code.FORMULA_SYNTAX: CodeInfo(
        "Formula syntax error",
        _E,
        "A formula does not follow scalebridge's formula grammar (numbers, names, + - * / ^, "
        "parentheses, comparisons and a short list of functions). Formulas are never run as "
        "code.",
        "See the formula grammar in docs/vocabulary.md.",
    ),
    Code.FORMULA_UNKNOWN_FUNCTION: CodeInfo(
        "Unknown function in formula",
        _E,
        "A formula calls a function that is not on the whitelist.",
        "Use one of exp, log, sqrt, sin, cos, tan, tanh, erf, expint, E1, min, max, abs, "
        "piecewise.",
    ),
    Code.FORMULA_UNKNOWN_NAME: CodeInfo(
        "Unknown name in formula",
        _E,
        "A formula uses a name that is not the name of any field, parameter or variable of "
        "the model.",
        "Check the spelling, or declare the parameter with its unit.",
    ),
    Code.FORMULA_AMBIGUOUS_NAME: CodeInfo(
        "Ambiguous name in formula",
        _E,
        "A formula uses a name that several variables in different namespaces carry, and "
        "none of them is in the formula's own namespace.",
        "Give the intended variable a distinct sb:symbol.",
    ),
    Code.FORMULA_TOO_COMPLEX: CodeInfo(
        "Formula too long or too deeply nested",
        _E,
        "A formula exceeds the parser's limits on length or nesting depth.",
        "Split the formula into algebraic relations.",
    ),
    Code.UNITS_MISSING: CodeInfo(
        "Unit missing: cannot verify",
        _W,
        "A quantity has no unit, so its dimensions cannot be verified. It is a warning, and "
        "an error under --strict.",
        'Add sb:unit with a QUDT unit IRI (unit:M) or a UCUM/pint string ("mg/L").',
    ),
    Code.UNITS_UNKNOWN: CodeInfo(
        "Unknown unit",
        _E,
        "A unit is neither a QUDT unit IRI that scalebridge can resolve nor a UCUM/pint string.",
        'Use a QUDT unit IRI such as unit:W-PER-M-K, or a string such as "W/(m*K)".',
    ),
    Code.UNITS_MULTIPLE: CodeInfo(
        "More than one unit",
        _E,
        "A quantity declares two or more units.",
        "Keep exactly one sb:unit.",
    ),
    Code.UNITS_QUANTITY_KIND_MISMATCH: CodeInfo(
        "Unit does not fit the quantity kind",
        _E,
        "The declared quantity kind and the unit have different dimensions (a temperature "
        "in metres).",
        "Correct the unit or the quantity kind.",
    ),
    Code.VALUE_INVALID: CodeInfo(
        "Invalid value",
        _E,
        "A number is not finite, or is not allowed where it stands.",
        "Give a finite number of the kind the property expects.",
    ),
    Code.VALUE_TABLE_MISMATCH: CodeInfo(
        "Table columns do not match",
        _E,
        "A table's argument column and value column differ in length, are empty, or the "
        "argument column is not strictly increasing.",
        "Give both columns the same number of entries, arguments increasing.",
    ),
    Code.PORT_UNCONNECTED: CodeInfo(
        "Unconnected port",
        _E,
        "A port belongs to a domain but no junction, interface or carrier flow uses it, and "
        "no scale bridge reads its potential or flow variable: whatever flows through it "
        "would go nowhere.",
        "Join the port to another with an sb:Junction or sb:Interface, read its potential "
        "variable with a scale bridge (sb:source), or remove it.",
    ),
    Code.OWL_INCONSISTENT: CodeInfo(
        "Model contradicts the ontology",
        _E,
        "The OWL reasoner (HermiT) found the model together with the ontology inconsistent, "
        "for instance a node typed with two disjoint classes.",
        "Look at the types of the nodes named in the message.",
    ),
    Code.OWL_REASONER_UNAVAILABLE: CodeInfo(
        "OWL reasoner unavailable",
        _I,
        "The OWL consistency check was skipped because Java (needed by HermiT) was not found.",
        "Install a Java runtime (17 or newer) to enable the OWL consistency check.",
    ),
    Code.UNITS_TERM_MISMATCH: CodeInfo(
        "Term has the wrong dimension for its balance", _E,
        "Every term of a balance must have the dimension of the capacity times the field per "
        "unit time (for a heat balance rho*c_p*dT/dt, W/m3). The message names the equation, the "
        "term, the dimension expected and the dimension found, in SI base units.",
        "Check the units of the term's coefficients, or the capacity of the equation."),
    Code.UNITS_INHOMOGENEOUS: CodeInfo(
        "Formula adds or compares different dimensions", _E,
        "The terms of a sum, the two sides of a comparison or of '=', the arguments of min and "
        "max and the values of a piecewise must share one dimension.",
        "Check the units of the parts named in the message; a number needs a unit in brackets "
        "to be more than a pure number: 2 [K]."),
    Code.UNITS_FUNCTION_ARGUMENT: CodeInfo(
        "Function of a dimensional quantity", _E,
        "exp, log, log10, the trigonometric and hyperbolic functions, erf, erfc and the "
        "exponential integrals take dimensionless arguments.",
        "Divide the argument by a reference quantity: exp(-E_a / (R * T)), log(p / p_ref)."),
    Code.UNITS_EXPONENT: CodeInfo(
        "Exponent with a dimension, or variable exponent of a dimensional base", _E,
        "An exponent must be dimensionless, and the exponent of a quantity with a dimension must "
        "be a constant number, or the result has no definite dimension.",
        "Make the base dimensionless (x / x_ref)^n, or use a constant exponent."),
    Code.UNITS_BOUNDARY_MISMATCH: CodeInfo(
        "Boundary condition with the wrong dimension", _E,
        "A Dirichlet value and a Robin ambient have the field's dimension; a Neumann flux has "
        "the balanced quantity per area and time; a Robin coefficient times the field is that "
        "flux.",
        "Check the units of the boundary values against the field and its balance."),
    Code.UNITS_INITIAL_MISMATCH: CodeInfo(
        "Initial value with the wrong dimension", _E,
        "A field's initial value formula must have the field's dimension.",
        "Check the units of the names in the initial value, or give a number in the field's "
        "unit."),
    Code.UNITS_DECLARED_MISMATCH: CodeInfo(
        "Formula disagrees with its declared unit", _E,
        "A quantity written as a formula with an sb:unit must evaluate to that unit's "
        "dimension.",
        "Correct the formula or the declared unit."),
    Code.UNITS_VALUE_MISMATCH: CodeInfo(
        "Quantity with the wrong dimension for its place", _E,
        "A domain's length or volume, a scale's grain and extent, a duration or time step, or a "
        "table's argument column has a dimension other than the place requires (a length in "
        "seconds).",
        "Give the quantity a unit of the dimension named in the message."),
    Code.UNITS_RELATION_MISMATCH: CodeInfo(
        "Relation with different dimensions on its two sides", _E,
        "The variable an algebraic relation defines must have the dimension of its formula.",
        "Correct the unit of the defined variable or the formula."),
    Code.UNITS_BRIDGE_MISMATCH: CodeInfo(
        "Scale bridge between different dimensions", _E,
        "A scale bridge passes a quantity between scales; its sources and its target must share "
        "a dimension (a bridge must not map metres onto seconds), and its table's argument must "
        "have the argument variable's dimension.",
        "Point the bridge at the quantities it really connects, or correct their units."),
    Code.UNITS_PORT_MISMATCH: CodeInfo(
        "Joined ports of different dimensions", _E,
        "Ports joined by a junction or interface must present potentials of one dimension and "
        "carry fields whose balances have one dimension; a port's declared potential variable "
        "must have the dimension of what the port presents.",
        "Join ports that carry the same kind of quantity, and declare a potential variable in "
        "the unit of the field the port carries."),
    Code.UNITS_FLOW_MISMATCH: CodeInfo(
        "Flow or transfer with the wrong dimension", _E,
        "A carrier flow's rate times the concentration it carries, or a transfer's rate, must "
        "have the dimension of the balances it moves the quantity between (amount per time).",
        "Check the unit of the flow rate (a volume per time) and of the fields at both ends."),
    Code.UNITS_CONVERTED: CodeInfo(
        "Units of one dimension at different scales", _I,
        "Two quantities of the same dimension but different units (mg and kg, ms and s) meet; "
        "scalebridge computes in SI and converts them exactly. This note says where, so that an "
        "unintended factor of 1000 is never silent.",
        "Nothing to do if the units are intended."),
    Code.UNITS_KIND_CONFLICT: CodeInfo(
        "Different quantity kinds of one dimension connected", _W,
        "Two quantities are connected whose QUDT quantity kinds differ in meaning although "
        "their dimensions agree (a frequency in Hz and an activity in Bq; a partition "
        "coefficient and a volume fraction).",
        "Check that the bridge or junction connects what it should."),
    Code.CONSERVATION_BUDGET_OPEN: CodeInfo(
        "Conserved quantity not conserved by its transfers", _E,
        "The transfer terms written in the balances of a conserved quantity must cancel when the "
        "balances are added up: what leaves one compartment or cell arrives in another. Terms "
        "are compared in SI units, so mg/h in one balance meets g/h in another correctly. The "
        "message gives the symbolic residual and the terms without a counterpart.",
        "Give every transfer term its opposite in the balance it moves the quantity into, or "
        "declare it as a sb:Source or sb:Sink."),
    Code.CONSERVATION_CARRIER_IMBALANCE: CodeInfo(
        "Carrier inflow and outflow differ", _E,
        "In a network carried by a flow (blood, gas, a river), as much carrier must enter every "
        "compartment as leaves it. The message names the node and the size of the imbalance.",
        "Correct the flow rates into or out of the node named."),
    Code.CONSERVATION_FLUX_NO_DESTINATION: CodeInfo(
        "Flux that goes nowhere", _E,
        "A flux leaves a domain (through a port, a carrier flow or a transfer) but no balance "
        "receives it at the other end.",
        "Give the receiving field a balance equation, or join the port to one that has."),
    Code.CONSERVATION_INTERFACE_MISMATCH: CodeInfo(
        "Interface that does not pass its flux on", _E,
        "What leaves one domain through an interface must arrive in the other with the "
        "opposite sign: the two ports must be on different domains and the balances of the "
        "fields they carry must conserve the same quantity.",
        "Join ports of two different domains whose balances conserve the same quantity."),
    Code.CONSERVATION_PORT_JOINED_TWICE: CodeInfo(
        "Port joined twice", _E,
        "A port is joined by more than one junction or interface, so its flow would be counted "
        "twice.",
        "Join several ports in one sb:Junction instead."),
    Code.CONSERVATION_WEIGHTS: CodeInfo(
        "Averaging weights do not sum to one", _E,
        "The weights of an averaging bridge must be one per source and sum to one, or the "
        "average creates or destroys the averaged quantity.",
        "Normalise the weights."),
    Code.CONSERVATION_PROLONGATION: CodeInfo(
        "Prolongation does not preserve the integral", _E,
        "A localization that declares sb:conserves must hand down as much of the quantity as "
        "the coarse value holds. A constant prolongation (fine value = coarse cell value) does "
        "so only when the fine domain is exactly as large as one cell of the coarse domain "
        "(volume, length or area, compared in SI); source and target must be fields.",
        "Match the fine domain's extent to the coarse cell, or drop sb:conserves."),
    Code.CONSERVATION_GHOST_FORCES: CodeInfo(
        "Handshake fails the patch test", _E,
        "Under a homogeneous strain a consistent handshake is in equilibrium: every interior "
        "particle and node feels no net force. Forces that remain (ghost forces, measured "
        "relative to the bond force and reported when above 1e-10) mean the blend counts "
        "energy inconsistently, and they would launch waves that are not physical.",
        "Use complementary weights (drop sb:weights), or a continuum energy that is the "
        "Cauchy-Born energy of the bonds."),
    Code.TIMESCALE_NOT_SEPARATED: CodeInfo(
        "Hierarchical coupling of scales that are not separated", _E,
        "A hierarchical (sequential, MMSF call/release) coupling runs the fine model to "
        "completion inside one step of the coarse model, so it is valid only when the fine "
        "model's time extent lies below the coarse model's time grain, by the required margin "
        "(sb:scaleSeparationMargin of the coupling, else of the model, else 1). Ranges that "
        "overlap or merely touch are not separated. The message gives both time ranges and the "
        "ratio coarse grain / fine extent.",
        "Use a concurrent coupling (sb:Concurrent), which exchanges at every macro step."),
    Code.TIMESCALE_SEPARATED_CONCURRENT: CodeInfo(
        "Concurrent coupling of well-separated scales", _I,
        "The coupled submodels' time scales are separated by at least the margin; a "
        "hierarchical coupling would give the same answer at lower cost.",
        "Consider sb:Hierarchical."),
    Code.TIMESCALE_COUPLING_VERDICT: CodeInfo(
        "Timescale verdict of a coupling", _I,
        "Where the two coupled submodels lie on the scale separation map (separated, adjacent "
        "or overlapping in time and in space, with the separation ratios) and the MMSF coupling "
        "template that the coupling runs and that its time scales imply. Given for every "
        "coupling that is not rejected and whose time scales are known.",
        "Nothing to do; see `scalebridge plot ssm` for the map."),
    Code.TIMESCALE_UNKNOWN: CodeInfo(
        "Time scales of a coupled submodel unknown", _W,
        "Neither declared time scales (sb:timeScale) nor an estimate from the submodel's "
        "equations (compartment eigenvalues, diffusion, advection and reaction times, "
        "residence times V/Q) are available, so its coupling cannot be checked for scale "
        "separation. The message says why no estimate could be made.",
        "Declare sb:timeScale with sb:grain and sb:extent."),
    Code.TIMESCALE_RANGE_INVALID: CodeInfo(
        "Scale range with grain not below extent", _E,
        "A declared scale range (sb:timeScale, sb:lengthScale) must have a grain and an extent "
        "that are constants (not random parameters or fields) of the axis's dimension (a time, "
        "a length), with the grain positive and smaller than the extent; otherwise the range "
        "cannot be placed on the scale separation map.",
        "Swap or correct sb:grain and sb:extent."),
    Code.TIMESCALE_UNDERRESOLVED: CodeInfo(
        "Process faster than the declared grain", _W,
        "A process of the submodel (a diffusion time dx^2/D, a rate 1/k, a residence time V/Q, "
        "an eigenvalue of the Jacobian) is faster than the declared time grain by more than a "
        "factor 2, so the declared scale range misrepresents it.",
        "Lower sb:grain to the estimate named, or check the parameters of that process."),
    Code.TIMESCALE_NESTING_INVERTED: CodeInfo(
        "One-way nesting driven by the faster model", _E,
        "In a one-way nesting (MMSF dispatch) the driving model's output series forces the "
        "driven model. The driving model (the one the coupling's bridges read from) must not "
        "resolve finer times than the driven one (the one they write to): a forcing that "
        "varies faster than the driven model's time grain cannot be followed by it.",
        "Nest the other way round, or couple the two concurrently (sb:Concurrent)."),
    Code.STRUCTURE_NO_INITIAL: CodeInfo(
        "State without an initial value", _E,
        "Every field whose rate a transient balance gives needs an sb:initialValue.",
        "Add sb:initialValue to the field."),
    Code.STRUCTURE_UNDERDETERMINED: CodeInfo(
        "Unknown not determined", _E,
        "A field no equation balances, or an algebraic variable no relation defines, is used "
        "but never determined. The message lists them by name.",
        "Add the missing equation or relation, or make the quantity a parameter."),
    Code.STRUCTURE_OVERDETERMINED: CodeInfo(
        "Unknown determined twice", _E,
        "A quantity is determined more than once: two balances of one field, two relations "
        "defining one variable, or a parameter that a relation or a bridge also sets.",
        "Keep one definition."),
    Code.STRUCTURE_ALGEBRAIC_LOOP: CodeInfo(
        "Algebraic loop", _I,
        "Algebraic relations depend on each other in a cycle; the composer solves them together "
        "as one block (in closed form where SymPy finds a unique solution).",
        "Nothing to do unless the loop is unintended."),
    Code.STRUCTURE_NESTING_CYCLE: CodeInfo(
        "One-way nestings form a cycle", _E,
        "One-way nesting sends output from a coarse model to a fine one and nothing back; a "
        "cycle of nestings has no first model to run.",
        "Break the cycle, or make the coupling concurrent."),
    Code.STRUCTURE_BRIDGE_OUTSIDE_COUPLING: CodeInfo(
        "Bridge between quantities outside its coupling", _E,
        "A coupling's bridge must read from one of the two coupled submodels and write to the "
        "other.",
        "Point the bridge at quantities of the two submodels the coupling joins."),
    Code.STRUCTURE_OPERATOR_DOMAIN: CodeInfo(
        "Operator or boundary that does not fit its domain", _E,
        "Diffusion and advection need a spatial domain; a boundary side must exist on its "
        "domain (an interval has no top); a port's side likewise.",
        "Move the operator to a spatial domain, or use a side the domain has."),
    Code.STRUCTURE_HANDSHAKE: CodeInfo(
        "Handshake that cannot be built", _E,
        "A handshake joins a chain and a bar that lie on opposite sides of an overlap inside "
        "both: the chain's last particle at the overlap's far end, positive masses and "
        "stiffnesses, weights between 0 and 1. The message says which of these fails.",
        "Place the domains with sb:origin so that the blending region lies inside both."),
    Code.STRUCTURE_AVERAGE_OVER: CodeInfo(
        "Average over parameters that cannot be taken", _E,
        "An average over random parameters (sb:over) is an averaging bridge with one source "
        "and no sb:weights, over parameters of the source's submodel that each have an "
        "sb:distribution, with a product rule of at most a million points; a chaos expansion "
        "(sb:polynomialOrder) needs sb:over and more Gauss points than its degree. The message "
        "says which of these fails.",
        "Give each averaged parameter an sb:distribution, and average one source without "
        "sb:weights."),
    Code.STRUCTURE_ORPHAN: CodeInfo(
        "Part not used by any submodel", _W,
        "An equation, relation or domain is declared but no submodel lists it, so it would "
        "never be solved.",
        "List it in a submodel (sb:hasEquation, sb:hasRelation, sb:onDomain) or remove it."),
    Code.COMPOSE_UNSUPPORTED: CodeInfo(
        "Construct the composer cannot lower yet", _E,
        "The model is valid, but the composer has no solver for this construct yet; it refuses "
        "rather than run something else.",
        "Run the submodels that can be lowered from files of their own, or follow the project's "
        "issues for the construct."),
    Code.COMPOSE_NO_DURATION: CodeInfo(
        "Submodel without a duration", _E,
        "A time-dependent submodel needs to know how long to run: sb:duration on the submodel "
        "or on the model.",
        "Add sb:duration [ sb:value 1.0 ; sb:unit unit:HR ] to the submodel."),
    Code.COMPOSE_INVALID_OVERRIDE: CodeInfo(
        "Parameter override that does not apply", _E,
        "A --set PARAM=VALUE names a parameter the model does not have, or a value that is not "
        "a number.",
        "Use the parameter's name as `scalebridge inspect` lists it, and a plain number in its "
        "declared unit."),
    Code.RUN_NUMERICAL_FAILURE: CodeInfo(
        "Numerical failure", _E,
        "A solver produced a value that is not finite, was asked for an unstable step, or did "
        "not converge; the message names the submodel, the field and the time.",
        "Check the parameters and initial values near that time, or declare a smaller "
        "sb:timeStep."),
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: what is wrong, where, and how to fix it.

    ``subject`` is the IRI of the offending node (``_:label`` for a blank node), ``path``
    the IRI of the property involved, ``expected``/``actual`` hold values where they exist
    (for units: dimensions in SI base units).  ``source_file`` and ``line`` are filled by the
    pipeline from the source map.
    """

    code: Code
    severity: Severity
    message: str
    subject: str | None = None
    path: str | None = None
    source_file: str | None = None
    line: int | None = None
    hint: str = ""
    expected: str | None = None
    actual: str | None = None
    related: tuple[str, ...] = ()

    @classmethod
    def make(
        cls,
        code: Code,
        message: str,
        *,
        subject: str | None = None,
        path: str | None = None,
        severity: Severity | None = None,
        hint: str | None = None,
        expected: str | None = None,
        actual: str | None = None,
        related: Iterable[str] = (),
        source_file: str | None = None,
        line: int | None = None,
    ) -> Diagnostic:
        """Build a diagnostic, taking severity and hint from the catalogue unless given."""
        info = CATALOGUE[code]
        return cls(
            code=code,
            severity=severity if severity is not None else info.severity,
            message=message,
            subject=subject,
            path=path,
            source_file=source_file,
            line=line,
            hint=hint if hint is not None else info.hint,
            expected=expected,
            actual=actual,
            related=tuple(related),
        )

    def located(self, source_file: str | None, line: int | None) -> Diagnostic:
        """A copy with file and line set (kept where already known)."""
        return replace(
            self,
            source_file=self.source_file or source_file,
            line=self.line if self.line is not None else line,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping; keys with no value are left out."""
        out: dict[str, Any] = {
            "code": str(self.code),
            "severity": str(self.severity),
            "message": self.message,
        }
        for key in ("subject", "path", "source_file", "line", "hint", "expected", "actual"):
            value = getattr(self, key)
            if value not in (None, ""):
                out[key] = value
        if self.related:
            out["related"] = list(self.related)
        return out


@dataclass(frozen=True, slots=True)
class Report:
    """An ordered, immutable collection of diagnostics with the three renderings.

    >>> r = Report() + [Diagnostic.make(Code.UNITS_MISSING, "no unit", subject="urn:x")]
    >>> (r.has_errors(), r.has_errors(strict=True))
    (False, True)
    """

    diagnostics: tuple[Diagnostic, ...] = field(default_factory=tuple)

    def __add__(self, more: Iterable[Diagnostic]) -> Report:
        extra = more.diagnostics if isinstance(more, Report) else tuple(more)
        return Report(self.diagnostics + extra)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.diagnostics)

    def __len__(self) -> int:
        return len(self.diagnostics)

    @property
    def codes(self) -> list[Code]:
        """The codes in report order (with repeats)."""
        return [d.code for d in self.diagnostics]

    def by_severity(self, severity: Severity) -> list[Diagnostic]:
        """The diagnostics of one severity."""
        return [d for d in self.diagnostics if d.severity is severity]

    def has_errors(self, *, strict: bool = False) -> bool:
        """True when an error was found (or, under ``strict``, also a warning)."""
        blocking = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
        return any(d.severity in blocking for d in self.diagnostics)

    def sorted(self) -> Report:
        """Grouped by file and line, the worst first within a line; unlocated ones last."""

        def key(d: Diagnostic) -> tuple[int, str, int, int, str]:
            return (
                d.source_file is None,
                d.source_file or "",
                d.line if d.line is not None else 1 << 30,
                d.severity.rank,
                str(d.code),
            )

        return Report(tuple(sorted(self.diagnostics, key=key)))

    def summary(self) -> dict[str, int]:
        """Counts of errors, warnings and information."""
        return {
            "errors": len(self.by_severity(Severity.ERROR)),
            "warnings": len(self.by_severity(Severity.WARNING)),
            "infos": len(self.by_severity(Severity.INFO)),
        }

    # The renderings live in scalebridge.report_format to keep this module free of rdflib;
    # these thin methods are the public face.
    def to_text(self, *, color: bool = False) -> str:
        """Human-readable text, grouped by file and line."""
        from scalebridge.report_format import report_to_text

        return report_to_text(self, color=color)

    def to_json(self) -> str:
        """A JSON document: ``{"summary": {...}, "diagnostics": [...]}``."""
        return json.dumps(
            {"summary": self.summary(), "diagnostics": [d.to_dict() for d in self.sorted()]},
            indent=2,
            ensure_ascii=False,
        )

    def to_turtle(self) -> str:
        """A W3C SHACL ``sh:ValidationReport`` in Turtle, readable by SHACL tools."""
        from scalebridge.report_format import report_to_turtle

        return report_to_turtle(self)
