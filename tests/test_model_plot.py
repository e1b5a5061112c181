"""`scalebridge plot model`: the figure's boxes, texts and arrows, the PNG, the exit statuses."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest
import rdflib
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.transforms import Bbox

from scalebridge.cli import main
from scalebridge.model.build import build_model
from scalebridge.model.types import Model
from scalebridge.model_plot import EDGE_COLOURS, model_figure, write_model_plot
from scalebridge.pipeline import validate_files
from scalebridge.plots import VERDICT_COLOURS

REPO = Path(__file__).resolve().parents[1]
HEAT_ROD = REPO / "examples" / "heat_rod" / "model.ttl"
TWO_COMPARTMENT = REPO / "examples" / "two_compartment" / "model.ttl"
TIMESCALES = REPO / "tests" / "resources" / "broken" / "timescales"
BROKEN = REPO / "tests" / "resources" / "broken"
PC = "https://w3id.org/scalebridge/examples/two_compartment#"
TS = "https://example.org/broken/ts#"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DPI = 120


def _model(path: Path) -> Model:
    validation = validate_files([path], reasoner=False)
    assert validation.model is not None, validation.report.to_text()
    return validation.model


def _texts(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.axes[0].texts]


def _boxes(figure: Figure) -> dict[str, FancyBboxPatch]:
    return {p.get_gid(): p for p in figure.axes[0].patches if isinstance(p, FancyBboxPatch)}


def _arrows(figure: Figure) -> dict[str, list[FancyArrowPatch]]:
    found: dict[str, list[FancyArrowPatch]] = {}
    for p in figure.axes[0].patches:
        if isinstance(p, FancyArrowPatch):
            found.setdefault(p.get_gid(), []).append(p)
    return found


def _extent(box: FancyBboxPatch) -> tuple[float, float, float, float]:
    return (box.get_x(), box.get_y(), box.get_x() + box.get_width(),
            box.get_y() + box.get_height())


def _inside(inner: tuple[float, float, float, float],
            outer: tuple[float, float, float, float]) -> bool:
    return (outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2]
            and inner[3] <= outer[3])


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), stdout=out), out.getvalue()


# -- the figure ------------------------------------------------------------------------------


def test_the_heat_rod_submodel_holds_its_domain_and_field() -> None:
    figure = model_figure(_model(HEAT_ROD), title="rod.ttl")
    texts = _texts(figure)
    for expected in ("rod_model", "Steel rod, 1-D transient conduction", "rod: interval",
                     "length 0.5 m", "50 cells", "T [K]", "time 5 s to 3 h", "Model: rod.ttl"):
        assert expected in texts, expected
    boxes = _boxes(figure)
    rod_model = boxes["https://w3id.org/scalebridge/examples/heat_rod#rod_model"]
    rod = boxes["https://w3id.org/scalebridge/examples/heat_rod#rod"]
    assert _inside(_extent(rod), _extent(rod_model))
    assert _arrows(figure) == {}


def test_the_two_compartments_and_the_blood_flows_between_them() -> None:
    figure = model_figure(_model(TWO_COMPARTMENT))
    texts = _texts(figure)
    for expected in ("pk", "blood: compartment", "tissue: compartment", "volume V_b = 5 L",
                     "volume V_t = 25 L", "C_b [mg/L]", "C_t [mg/L]",
                     "arterial: Q = 60 L/h", "venous: Q = 60 L/h"):
        assert expected in texts, expected
    boxes = _boxes(figure)
    assert set(boxes) == {PC + "pk", PC + "blood", PC + "tissue"}
    for domain in ("blood", "tissue"):
        assert _inside(_extent(boxes[PC + domain]), _extent(boxes[PC + "pk"]))
    arrows = _arrows(figure)
    assert set(arrows) == {PC + "arterial", PC + "venous"}
    (arterial,), (venous,) = arrows[PC + "arterial"], arrows[PC + "venous"]
    assert to_hex(arterial.get_edgecolor()) == EDGE_COLOURS["carrier flow"]
    blood, tissue = _extent(boxes[PC + "blood"]), _extent(boxes[PC + "tissue"])
    (a0, _), (a1, _) = arterial._posA_posB  # the arrow runs from blood to tissue ...
    (v0, _), (v1, _) = venous._posA_posB  # ... and the venous one back
    assert blood[0] < a0 < blood[2] and tissue[0] < a1 < tissue[2]
    assert tissue[0] < v0 < tissue[2] and blood[0] < v1 < blood[2]
    assert arterial._posA_posB[0][1] != venous._posA_posB[0][1]  # side by side, not on top


def test_a_coupled_model_shows_the_coupling_strategy_and_the_bridge() -> None:
    figure = model_figure(_model(TIMESCALES / "hierarchical_accepted.ttl"))
    texts = _texts(figure)
    for expected in ("macro", "micro", "tank: compartment", "cell: compartment", "C [mg/L]",
                     "A [mg/L]", "c1: hierarchical\naccepted",
                     "rate_up: homogenization\nk_cell -> k"):
        assert expected in texts, expected
    arrows = _arrows(figure)
    assert set(arrows) == {TS + "c1", TS + "rate_up"}
    assert to_hex(arrows[TS + "c1"][0].get_edgecolor()) == VERDICT_COLOURS["accepted"]
    assert to_hex(arrows[TS + "rate_up"][0].get_edgecolor()) == EDGE_COLOURS["bridge"]
    boxes = _boxes(figure)
    # the bridge points from the micro model (k_cell) to the macro model (k)
    start, end = arrows[TS + "rate_up"][0]._posA_posB
    micro, macro = _extent(boxes[TS + "micro"]), _extent(boxes[TS + "macro"])
    assert micro[0] < start[0] < micro[2] and macro[0] < end[0] < macro[2]
    legend = figure.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["coupling: accepted", "bridge"]


def test_a_one_way_nesting_points_from_the_driving_model() -> None:
    figure = model_figure(_model(TIMESCALES / "nesting_inverted.ttl"))
    assert "c1: one-way nesting\nnesting inverted" in _texts(figure)
    (coupling,) = _arrows(figure)[TS + "c1"]
    assert to_hex(coupling.get_edgecolor()) == VERDICT_COLOURS["rejected"]
    boxes = _boxes(figure)
    start, end = coupling._posA_posB
    tank, film = _extent(boxes[TS + "tank_model"]), _extent(boxes[TS + "film_model"])
    assert tank[0] < start[0] < tank[2] and film[0] < end[0] < film[2]


@pytest.mark.parametrize(
    "path",
    [HEAT_ROD, TWO_COMPARTMENT, TIMESCALES / "hierarchical_accepted.ttl",
     TIMESCALES / "nesting_inverted.ttl", BROKEN / "conservation" / "port_joined_twice.ttl",
     BROKEN / "conservation" / "averaging_weights.ttl"],
    ids=lambda p: p.stem,
)
def test_boxes_do_not_overlap_and_hold_their_text(path: Path) -> None:
    figure = model_figure(_model(path))
    boxes = _boxes(figure)
    submodels = [b for b in boxes.values() if b.get_zorder() == 1]
    for a, b in itertools.combinations(submodels, 2):
        assert not Bbox.from_extents(*_extent(a)).overlaps(Bbox.from_extents(*_extent(b)))
    renderer = figure.canvas.get_renderer()
    for text in figure.axes[0].texts:
        if text.get_bbox_patch() is not None:
            continue  # an arrow's label
        extent = text.get_window_extent(renderer)
        holders = [b for b in boxes.values()
                   if b.get_window_extent(renderer).x0 <= extent.x0
                   and b.get_window_extent(renderer).y0 <= extent.y0 <= extent.y1
                   <= b.get_window_extent(renderer).y1]
        if not holders:
            continue  # the title
        assert any(extent.x1 <= b.get_window_extent(renderer).x1 for b in holders), (
            text.get_text()
        )


def test_the_layout_is_deterministic() -> None:
    model = _model(TIMESCALES / "hierarchical_accepted.ttl")
    first, second = model_figure(model), model_figure(model)
    assert {g: _extent(b) for g, b in _boxes(first).items()} == {
        g: _extent(b) for g, b in _boxes(second).items()
    }


def test_domains_of_no_submodel_get_a_box_of_their_own() -> None:
    model = build_model(rdflib.Graph().parse(format="turtle", data="""
@prefix sb: <https://example.org/never#> .
@prefix s: <https://w3id.org/scalebridge/ontology#> .
@prefix : <https://example.org/o#> .
:box a s:Compartment ; s:volume [ s:value 3.0 ; s:unit "mL" ] .
:C a s:Field ; s:on :box ; s:unit "mol/L" ; s:initialValue 1.0 .
"""))[0]
    figure = model_figure(model)
    assert {"(no submodel)", "box: compartment", "volume 3 mL", "C [mol/L]"} <= set(
        _texts(figure)
    )
    assert set(_boxes(figure)) == {"", "https://example.org/o#box"}


def test_a_model_with_nothing_to_draw_says_so() -> None:
    model = build_model(rdflib.Graph().parse(format="turtle", data="""
@prefix sb: <https://w3id.org/scalebridge/ontology#> .
<urn:x:k> a sb:Parameter ; sb:value 1.0 ; sb:unit "1/s" .
"""))[0]
    figure = model_figure(model, title="empty.ttl")
    assert [t.get_text() for t in figure.texts] == [
        "Model: empty.ttl", "nothing to draw: no submodel and no domain"
    ]


# -- the writer ------------------------------------------------------------------------------


def test_write_model_plot_writes_a_png_of_the_figure_size(tmp_path: Path) -> None:
    model = _model(TWO_COMPARTMENT)
    target = write_model_plot(model, tmp_path / "model.png", title="m")
    assert target.read_bytes().startswith(PNG_SIGNATURE)
    image = imread(target)
    width, height = model_figure(model, title="m").get_size_inches() * DPI
    assert image.shape[2] == 4
    assert abs(image.shape[1] - width) <= 1 and abs(image.shape[0] - height) <= 1
    assert image.shape[1] > 400 and image.shape[0] > 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.png"]


def test_a_failed_write_leaves_the_earlier_file_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model.png"
    target.write_bytes(b"the earlier picture")

    def broken(self: Figure, stream: io.BufferedWriter, **_: object) -> None:
        stream.write(PNG_SIGNATURE + b"half a picture")
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        write_model_plot(_model(HEAT_ROD), target)
    assert target.read_bytes() == b"the earlier picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.png"]


# -- the command -----------------------------------------------------------------------------


def test_plot_model_of_a_clean_model_exits_zero(tmp_path: Path) -> None:
    target = tmp_path / "model.png"
    status, text = _run("plot", "model", str(TWO_COMPARTMENT), "-o", str(target))
    assert status == 0, text
    assert "0 errors, 0 warnings, 0 notes" in text and str(target) in text
    data = target.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    height, width, _ = imread(target).shape
    assert width > 400 and height > 200


def test_plot_model_of_a_model_with_errors_draws_it_and_exits_one(tmp_path: Path) -> None:
    target = tmp_path / "model.png"
    status, text = _run("plot", "model", str(TIMESCALES / "hierarchical_overlap.ttl"),
                        "--output", str(target))
    assert status == 1 and "TIMESCALE_NOT_SEPARATED" in text
    assert target.read_bytes().startswith(PNG_SIGNATURE)


def test_plot_model_exits_one_on_warnings_only_under_strict(tmp_path: Path) -> None:
    model = str(TIMESCALES / "unknown_timescale.ttl")
    lenient = _run("plot", "model", model, "-o", str(tmp_path / "a.png"))
    strict = _run("plot", "model", model, "-o", str(tmp_path / "b.png"), "--strict")
    assert (lenient[0], strict[0]) == (0, 1)
    assert (tmp_path / "a.png").exists() and (tmp_path / "b.png").exists()


@pytest.mark.parametrize(("model", "status", "code"), [
    (BROKEN / "nope.ttl", 2, "LOAD_FILE_UNREADABLE"),
    (BROKEN / "syntax_error.ttl", 1, "LOAD_SYNTAX_ERROR"),
])
def test_a_model_that_cannot_be_read_leaves_the_previous_picture(
    tmp_path: Path, model: Path, status: int, code: str
) -> None:
    target = tmp_path / "model.png"
    target.write_bytes(b"the previous picture")
    result, text = _run("plot", "model", str(model), "-o", str(target))
    assert result == status and code in text
    assert target.read_bytes() == b"the previous picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.png"]


def test_plot_model_into_a_missing_directory_exits_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _ = _run("plot", "model", str(HEAT_ROD), "-o", str(tmp_path / "no" / "m.png"))
    assert status == 2
    assert "cannot write" in capsys.readouterr().err


def test_plot_model_writes_model_png_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _run("plot", "model", str(HEAT_ROD))[0] == 0
    assert (tmp_path / "model.png").read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("argv", [["plot", "model"], ["plot", "model", "a.ttl", "b.ttl"],
                                  ["plot", "model", "--frobnicate", "a.ttl"]])
def test_plot_model_usage_errors_exit_two(argv: list[str]) -> None:
    assert _run(*argv)[0] == 2


def test_plot_ssm_is_still_there(tmp_path: Path) -> None:
    target = tmp_path / "ssm.png"
    assert _run("plot", "ssm", str(HEAT_ROD), "-o", str(target), "--no-reasoner")[0] == 0
    assert target.read_bytes().startswith(PNG_SIGNATURE)

