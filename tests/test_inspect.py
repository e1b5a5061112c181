"""`scalebridge inspect`: the tables, their content, and the command's exit statuses."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import rdflib

from scalebridge.cli import main
from scalebridge.inspect import MAX_CELL_LINES, equation_text, format_table, render_inspection
from scalebridge.model.build import build_model
from scalebridge.model.timescales import analyse_timescales
from scalebridge.model.types import Model, VariableRole
from scalebridge.pipeline import validate_files

REPO = Path(__file__).resolve().parents[1]
HEAT_ROD = REPO / "examples" / "heat_rod" / "model.ttl"
TWO_COMPARTMENT = REPO / "examples" / "two_compartment" / "model.ttl"
TIMESCALES = REPO / "tests" / "resources" / "broken" / "timescales"
BROKEN = REPO / "tests" / "resources" / "broken"

COUPLED = """
@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix :     <https://example.org/coupled#> .

:organ a sb:Submodel ; sb:onDomain :slab ; sb:hasEquation :heat ;
    sb:timeScale [ sb:grain [ sb:value 1.0 ; sb:unit unit:SEC ] ;
                   sb:extent [ sb:value 1.0 ; sb:unit unit:HR ] ] .
:slab a sb:Interval ; sb:length [ sb:value 2.0 ; sb:unit unit:CentiM ] ; sb:cells 20 ;
    sb:boundary [ a sb:Boundary ; sb:at sb:Left ; sb:condition
                    [ a sb:Neumann ; sb:flux [ sb:value 10.0 ; sb:unit unit:W-PER-M2 ] ] ] ,
                [ a sb:Boundary ; sb:at sb:Right ;
                  sb:condition [ a sb:Dirichlet ; sb:boundaryValue :T_body ] ] .
:T a sb:Field ; rdfs:label "tissue temperature" ; sb:on :slab ; sb:unit unit:K ;
    sb:initialValue 310.0 .
:T_body a sb:Parameter ; sb:value 310.15 ; sb:unit unit:K .
:rho_c a sb:Parameter ; sb:unit unit:J-PER-M3-K ;
    sb:distribution [ a sb:Normal ; sb:mean 3.6e6 ; sb:standardDeviation 1.0e5 ] .
:k_eff a sb:Parameter ; sb:unit unit:W-PER-M-K ; sb:providedBy :voigt .
:heat a sb:Equation ; sb:rateOf :T ; sb:capacity :rho_c ;
    sb:hasTerm [ a sb:Diffusion ; sb:coefficient :k_eff ] .

:cell_model a sb:Submodel ; sb:onDomain :cell ; sb:hasEquation :cell_balance ;
    sb:hasRelation :contrast ;
    sb:timeScale [ sb:grain [ sb:value 1.0 ; sb:unit unit:MicroSEC ] ;
                   sb:extent [ sb:value 10.0 ; sb:unit unit:MilliSEC ] ] .
:cell a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit unit:MicroL ] .
:A a sb:Field ; sb:on :cell ; sb:unit unit:MilliGM-PER-L ; sb:initialValue 1.0 .
:k_cell a sb:Parameter ; sb:unit unit:PER-SEC ;
    sb:table [ a sb:Table ; sb:argument :T ; sb:argumentValues ( 300 310 320 ) ;
               sb:values ( 100 200 400 ) ] .
:k_fibre a sb:Parameter ; sb:value 0.5 ; sb:unit unit:W-PER-M-K .
:k_matrix a sb:Parameter ; sb:value 0.3 ; sb:unit unit:W-PER-M-K .
:ratio a sb:AlgebraicVariable ; sb:unit unit:UNITLESS .
:contrast a sb:AlgebraicRelation ; sb:defines :ratio ; sb:expression "k_fibre / k_matrix" .
:cell_balance a sb:Equation ; sb:rateOf :A ;
    sb:hasTerm [ a sb:Reaction ; sb:expression "-k_cell * A" ] .

:voigt a sb:Averaging ; sb:source :k_fibre, :k_matrix ; sb:target :k_eff ;
    sb:weights ( 0.6 0.4 ) .
:c1 a sb:Concurrent ; sb:between :cell_model, :organ ; sb:via :voigt .
"""


def _model(path: Path) -> Model:
    validation = validate_files([path], reasoner=False)
    assert validation.model is not None, validation.report.to_text()
    return validation.model


def _sections(text: str) -> dict[str, list[str]]:
    """Section title (without its count) -> the lines of its table, header included."""
    lines = text.splitlines()
    found: dict[str, list[str]] = {}
    for i, line in enumerate(lines[:-1]):
        if lines[i + 1] and set(lines[i + 1]) == {"="} and len(lines[i + 1]) == len(line):
            body = []
            for row in lines[i + 2 :]:
                if not row:
                    break
                body.append(row)
            found[re.sub(r" \(\d+\)$", "", line)] = body
    return found


def _row(section: list[str], name: str) -> str:
    """The first line of the row whose first column is ``name``."""
    rows = [line for line in section[2:] if line.split(" ", 1)[0] == name]
    assert len(rows) == 1, (name, section)
    return rows[0]


def _table(section: list[str]) -> dict[str, dict[str, str]]:
    """A table read back: first-column value -> header -> the cell's text, its wrapped lines
    joined (the columns are where the dashes under the headers are)."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", section[1])]
    headers = [section[0][a:b].strip() for a, b in spans]
    rows: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in section[2:]:
        cells = [line[a : (spans[i + 1][0] if i + 1 < len(spans) else None)].strip()
                 for i, (a, _) in enumerate(spans)]
        if cells[0]:
            current = rows[cells[0]] = dict(zip(headers, cells, strict=True))
        else:
            for header, cell in zip(headers, cells, strict=True):
                if cell:
                    current[header] = f"{current[header]} {cell}".strip()
    return rows


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), stdout=out), out.getvalue()


# -- the examples ----------------------------------------------------------------------------

HEAT_ROD_PARAMETERS = {
    "k": ("45", "W/(m·K)", "thermal conductivity"),
    "rho": ("7850", "kg/m³", "density"),
    "c_p": ("490", "J/(kg·K)", "specific heat capacity"),
    "h": ("25", "W/(m²·K)", "convective heat transfer coefficient"),
    "T_hot": ("373.15", "K", "hot-end temperature"),
    "T_air": ("293.15", "K", "air temperature"),
}
TWO_COMPARTMENT_PARAMETERS = {
    "V_b": ("5", "L", "blood volume"),
    "V_t": ("25", "L", "tissue volume"),
    "dose": ("100", "mg", "intravenous dose"),
    "Q": ("60", "L/h", "tissue blood flow"),
    "Kp": ("2", "1", "tissue:blood partition coefficient"),
    "CL": ("6", "L/h", "clearance from blood"),
}


@pytest.mark.parametrize(
    ("path", "fields", "parameters"),
    [
        (HEAT_ROD, {"T": ("K", "rod", "T_air")}, HEAT_ROD_PARAMETERS),
        (
            TWO_COMPARTMENT,
            {"C_b": ("mg/L", "blood", "dose / V_b"), "C_t": ("mg/L", "tissue", "0")},
            TWO_COMPARTMENT_PARAMETERS,
        ),
    ],
    ids=["heat_rod", "two_compartment"],
)
def test_every_field_and_parameter_of_the_examples_with_its_unit(
    path: Path,
    fields: dict[str, tuple[str, str, str]],
    parameters: dict[str, tuple[str, str, str]],
) -> None:
    model = _model(path)
    sections = _sections(render_inspection(model))
    # the expectations name every field and parameter of the model
    assert set(fields) == {v.symbol for v in model.variables.values()
                           if v.role is VariableRole.FIELD}
    assert set(parameters) == {v.symbol for v in model.variables.values()
                               if v.role is VariableRole.PARAMETER}
    for name, (unit, domain, initial) in fields.items():
        iri = next(v.iri for v in model.variables.values() if v.symbol == name)
        assert re.fullmatch(
            rf"{re.escape(name)}\s+{re.escape(unit)}\s+{domain}\s+{re.escape(initial)}\s+.*"
            rf"\s{re.escape(iri)}",
            _row(sections["Fields"], name),
        )
    for name, (value, unit, label) in parameters.items():
        assert re.fullmatch(
            rf"{re.escape(name)}\s+{re.escape(value)}\s+{re.escape(unit)}\s+value\s+"
            rf"{re.escape(label)}",
            _row(sections["Parameters"], name),
        )
    assert sections["Fields"][0].split() == [
        "name", "unit", "domain", "initial", "description", "IRI"
    ]


def test_the_heat_rod_tables() -> None:
    text = render_inspection(_model(HEAT_ROD), source="rod.ttl")
    sections = _sections(text)
    assert text.startswith("Model: rod.ttl\n")
    assert _table(sections["Submodels"])["rod_model"] == {
        "name": "rod_model",
        "label": "Steel rod, 1-D transient conduction",
        "domains": "rod",
        "equations": "heat",
        "time scale": "5 s to 3 h",
        "length scale": "1 cm to 0.5 m",
        "duration": "3 h",
    }
    domain = sections["Domains"]
    assert re.fullmatch(r"rod\s+interval\s+length 0.5 m\s+50\s+left: dirichlet, value T_hot",
                        _row(domain, "rod"))
    assert domain[3].strip() == "right: robin, coefficient h, ambient T_air"
    equations = sections["Equations"]
    assert re.fullmatch(
        r"heat\s+balance of Energy\s+T' \* \(rho \* c_p\) = div\(k \* grad\(T\)\)",
        _row(equations, "heat"),
    )
    assert equations[3].split() == ["diffusion", "+", "div(k", "*", "grad(T))"]
    for empty in ("Relations", "Bridges", "Couplings"):
        assert sections[empty] == ["(none)"]
    assert "Ports" not in sections and "Carrier flows" not in sections


def test_the_two_compartment_equations_include_the_carrier_flows() -> None:
    model = _model(TWO_COMPARTMENT)
    sections = _sections(render_inspection(model))
    equations = sections["Equations"]
    blood = _row(equations, "blood_balance")
    assert blood.endswith("C_b' * V_b = -CL * C_b - Q * C_b + Q * (C_t / Kp)")
    tissue = _row(equations, "tissue_balance")
    assert tissue.endswith("C_t' * V_t = Q * C_b - Q * (C_t / Kp)")
    terms = [line.split(None, 1)[0:2] for line in equations[2:] if line.startswith(" ")]
    assert [" ".join(t) for t in terms] == [
        "sink - CL * C_b",
        "carrier flow arterial (out)  - Q * C_b",
        "carrier flow venous (in)     + Q * (C_t / Kp)",
        "carrier flow arterial (in)   + Q * C_b",
        "carrier flow venous (out)    - Q * (C_t / Kp)",
    ]
    assert _table(sections["Submodels"])["pk"] == {
        "name": "pk",
        "label": "Blood and tissue compartments",
        "domains": "blood, tissue",
        "equations": "blood_balance, tissue_balance",
        "time scale": "1 min to 24 h",
        "length scale": "17.1 cm to 29.2 cm (estimated)",
        "duration": "24 h",
    }
    flows = sections["Carrier flows"]
    assert re.fullmatch(r"arterial\s+blood_out \(blood\) -> tissue_in \(tissue\)\s+Q = 60 L/h",
                        _row(flows, "arterial"))
    assert re.fullmatch(r"tissue_out\s+tissue\s+C_t\s+-\s+C_t / Kp",
                        _row(sections["Ports"], "tissue_out"))
    assert re.fullmatch(r"blood\s+compartment\s+volume V_b = 5 L\s+-\s+-",
                        _row(sections["Domains"], "blood"))
    equation = model.equations[
        "https://w3id.org/scalebridge/examples/two_compartment#tissue_balance"
    ]
    assert equation_text(model, equation) == "C_t' * V_t = Q * C_b - Q * (C_t / Kp)"


# -- couplings -------------------------------------------------------------------------------


def test_an_accepted_hierarchical_coupling_shows_its_verdict_and_ratio() -> None:
    model = _model(TIMESCALES / "hierarchical_accepted.ttl")
    sections = _sections(render_inspection(model))
    couplings = sections["Couplings"]
    assert re.fullmatch(r"c1\s+hierarchical\s+macro <-> micro\s+rate_up\s+accepted",
                        _row(couplings, "c1"))
    verdict = [line.strip() for line in couplings[3:]]
    assert verdict[:3] == [
        "time: separated, ratio 10 (margin 1)",
        "space: separated, ratio 126",
        "template: call/release",
    ]
    assert re.fullmatch(r"rate_up\s+homogenization\s+k_cell -> k", _row(sections["Bridges"],
                                                                         "rate_up"))
    assert re.fullmatch(r"k\s+-\s+1/s\s+bridge rate_up", _row(sections["Parameters"], "k"))
    assert re.fullmatch(r"micro\s+cell\s+cell_balance\s+1 µs to 100 ms\s+1 mm \(estimated\)\s+-",
                        _row(sections["Submodels"], "micro"))


def test_a_rejected_coupling_shows_why() -> None:
    couplings = _sections(
        render_inspection(_model(TIMESCALES / "hierarchical_overlap.ttl"))
    )["Couplings"]
    assert _row(couplings, "c1").endswith("not separated")
    assert "time: overlapping, ratio 0.1 (margin 1)" in [line.strip() for line in couplings]


def test_a_one_way_nesting_points_from_the_driving_model() -> None:
    couplings = _sections(
        render_inspection(_model(TIMESCALES / "nesting_inverted.ttl"))
    )["Couplings"]
    assert re.fullmatch(r"c1\s+one-way nesting\s+tank_model -> film_model\s+nest\s+"
                        r"nesting inverted", _row(couplings, "c1"))


def test_a_coupled_model_written_here(tmp_path: Path) -> None:
    path = tmp_path / "coupled.ttl"
    path.write_text(COUPLED, encoding="utf-8")
    model = _model(path)
    sections = _sections(render_inspection(model))
    couplings = sections["Couplings"]
    assert re.fullmatch(r"c1\s+concurrent\s+cell_model <-> organ\s+voigt\s+separated concurrent",
                        _row(couplings, "c1"))
    assert "time: separated, ratio 100 (margin 1)" in [line.strip() for line in couplings]
    parameters = sections["Parameters"]
    assert re.fullmatch(r"rho_c\s+normal\(mean=3.6e6, sd=100000\)\s+J/\(m³·K\)\s+distribution",
                        _row(parameters, "rho_c"))
    assert re.fullmatch(r"k_cell\s+table of 3 points in T\s+1/s\s+table",
                        _row(parameters, "k_cell"))
    assert re.fullmatch(r"k_eff\s+-\s+W/\(m·K\)\s+bridge voigt", _row(parameters, "k_eff"))
    assert re.fullmatch(r"voigt\s+averaging\s+k_fibre, k_matrix -> k_eff\s+0.6, 0.4",
                        _row(sections["Bridges"], "voigt"))
    assert re.fullmatch(r"contrast\s+algebraic\s+ratio = k_fibre / k_matrix",
                        _row(sections["Relations"], "contrast"))
    assert re.fullmatch(r"ratio\s+1\s+contrast", _row(sections["Algebraic variables"], "ratio"))
    assert re.fullmatch(r"slab\s+interval\s+length 2 cm\s+20\s+left: neumann, flux 10 W/m²",
                        _row(sections["Domains"], "slab"))
    assert _row(sections["Equations"], "heat").endswith("T' * rho_c = div(k_eff * grad(T))")
    assert _row(sections["Equations"], "cell_balance").endswith("A' = -k_cell * A")


def test_the_verdicts_alone_are_enough() -> None:
    model = _model(TIMESCALES / "concurrent_separated.ttl")
    analysis = analyse_timescales(model)
    sections = _sections(render_inspection(model, analysis.couplings))
    assert _row(sections["Couplings"], "c1").endswith("separated concurrent")
    # without the analysis, the undeclared length scales are not estimated
    assert re.fullmatch(r"macro\s+tank\s+tank_balance\s+1 s to 1 h\s+-\s+-",
                        _row(sections["Submodels"], "macro"))


def test_a_steady_balance_and_a_model_without_submodels() -> None:
    model = build_model(rdflib.Graph().parse(format="turtle", data="""
@prefix sb: <https://w3id.org/scalebridge/ontology#> .
@prefix : <https://example.org/s#> .
:box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "L" ] .
:C a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
:src a sb:Parameter ; sb:value 2.0 ; sb:unit "mg/(L.h)" .
:k a sb:Parameter ; sb:value 0.5 ; sb:unit "1/h" .
:e a sb:Equation ; sb:steadyStateOf :C ;
   sb:hasTerm [ a sb:Source ; sb:expression "src" ] , [ a sb:Sink ; sb:expression "k * C" ] .
"""))[0]
    sections = _sections(render_inspection(model))
    assert sections["Submodels"] == ["(none)"]
    row = _row(sections["Equations"], "e")
    assert re.fullmatch(r"e\s+steady balance\s+0 = (src - k \* C|-k \* C \+ src)", row)


# -- the table writer ------------------------------------------------------------------------


def test_columns_are_aligned_and_long_cells_wrapped() -> None:
    rows = [["a", "short", "x"], ["bb", "a rather long cell " * 3, "y"]]
    text = format_table(["name", "note", "z"], rows, width=30)
    lines = text.splitlines()
    assert all(len(line) <= 30 for line in lines)
    z = lines[0].index("z")
    assert lines[2][z] == "x" and lines[3][z] == "y"
    assert lines[4].startswith("      ") and "cell" in lines[4]  # a continued line
    assert " ".join(line[6:z].strip() for line in lines[3:]).split() == (
        "a rather long cell " * 3
    ).split()


def test_a_very_long_cell_is_cut() -> None:
    text = format_table(["name", "note"], [["a", "word " * 200]], width=30)
    lines = text.splitlines()[2:]
    assert len(lines) == MAX_CELL_LINES and lines[-1].endswith("…")


def test_a_kept_last_column_is_never_wrapped() -> None:
    iri = "https://example.org/a/very/long/iri/that/must/stay/whole#name"
    text = format_table(["name", "note", "IRI"], [["a", "word " * 20, iri]], width=40,
                        keep=(0, 2))
    assert text.splitlines()[2].endswith(iri)


# -- the command -----------------------------------------------------------------------------


def test_inspect_a_clean_model_exits_zero_and_prints_only_the_tables() -> None:
    status, text = _run("inspect", str(TWO_COMPARTMENT))
    assert status == 0
    assert text.startswith(f"Model: {TWO_COMPARTMENT}\n")
    assert "errors" not in text
    assert "C_b' * V_b = -CL * C_b - Q * C_b + Q * (C_t / Kp)" in text


def test_inspect_a_model_with_errors_lists_them_first_and_exits_one() -> None:
    status, text = _run("inspect", str(TIMESCALES / "hierarchical_overlap.ttl"))
    assert status == 1
    before, tables = text.split("\nModel: ", 1)
    assert "error TIMESCALE_NOT_SEPARATED" in before
    assert before.rstrip().endswith("1 error, 0 warnings, 0 notes in 1 file")
    assert "info" not in before  # only the errors are listed
    assert "Couplings (1)" in tables and "not separated" in tables


def test_inspect_lists_errors_but_not_warnings(tmp_path: Path) -> None:
    status, text = _run("inspect", str(BROKEN / "missing_unit.ttl"))
    assert status == 0
    assert text.startswith("Model: ") and "UNITS_MISSING" not in text


def test_inspect_an_unreadable_file_exits_two() -> None:
    status, text = _run("inspect", str(BROKEN / "nope.ttl"))
    assert status == 2 and "LOAD_FILE_UNREADABLE" in text and "Model:" not in text


def test_inspect_a_file_that_cannot_be_built_exits_one() -> None:
    status, text = _run("inspect", str(BROKEN / "syntax_error.ttl"))
    assert status == 1 and "LOAD_SYNTAX_ERROR" in text and "Model:" not in text


@pytest.mark.parametrize("argv", [["inspect"], ["inspect", "a.ttl", "b.ttl"],
                                  ["inspect", "--frobnicate", "a.ttl"]])
def test_inspect_usage_errors_exit_two(argv: list[str]) -> None:
    assert _run(*argv)[0] == 2


@pytest.mark.parametrize(("flags", "expected"), [((), False), (("--reasoner",), True),
                                                  (("--no-reasoner",), False)])
def test_the_reasoner_is_off_unless_asked_for(
    monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...], expected: bool
) -> None:
    import scalebridge.pipeline

    seen: list[bool] = []
    real = scalebridge.pipeline.validate_files

    def spy(paths: list[str], **options: bool) -> scalebridge.pipeline.Validation:
        seen.append(options["reasoner"])
        return real(paths, reasoner=False)

    monkeypatch.setattr(scalebridge.pipeline, "validate_files", spy)
    assert _run("inspect", str(HEAT_ROD), *flags)[0] == 0
    assert seen == [expected]


def test_inspect_is_listed_in_the_help() -> None:
    status, text = _run()
    assert status == 2 and "inspect" in text
