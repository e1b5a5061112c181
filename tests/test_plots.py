"""The scale separation map: the figure's artists, the atomic PNG writer, and `scalebridge plot`."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
import rdflib
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from scalebridge.cli import main
from scalebridge.model.build import build_model
from scalebridge.model.timescales import (
    AxisComparison,
    CouplingVerdict,
    Separation,
    Status,
    Template,
)
from scalebridge.model.types import CouplingKind, Model
from scalebridge.plots import VERDICT_COLOURS, save_png, ssm_figure, verdict_colour, write_ssm

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "resources" / "broken" / "timescales"
BROKEN = REPO / "tests" / "resources" / "broken"
TS = "https://example.org/broken/ts#"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _load(path: Path) -> Model:
    return build_model(rdflib.Graph().parse(path, format="turtle"))[0]


def _boxes(figure: Figure) -> dict[str, Rectangle]:
    return {p.get_gid(): p for p in figure.axes[0].patches if isinstance(p, Rectangle)}


def _arrows(figure: Figure) -> dict[str, FancyArrowPatch]:
    return {p.get_gid(): p for p in figure.axes[0].patches if isinstance(p, FancyArrowPatch)}


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), stdout=out), out.getvalue()


# -- the figure ------------------------------------------------------------------------------


def test_one_box_per_submodel_from_grain_to_extent() -> None:
    figure = ssm_figure(_load(CASES / "hierarchical_overlap.ttl"))
    boxes = _boxes(figure)
    assert set(boxes) == {TS + "micro", TS + "macro"}
    micro = boxes[TS + "micro"]
    assert micro.get_x() == pytest.approx(1e-3)
    assert micro.get_x() + micro.get_width() == pytest.approx(10.0)
    macro = boxes[TS + "macro"]
    assert (macro.get_x(), macro.get_x() + macro.get_width()) == pytest.approx((1.0, 3600.0))
    assert figure.axes[0].get_xscale() == "log" and figure.axes[0].get_yscale() == "log"


def test_one_arrow_per_coupling_coloured_by_its_verdict() -> None:
    rejected = _arrows(ssm_figure(_load(CASES / "hierarchical_overlap.ttl")))
    accepted = _arrows(ssm_figure(_load(CASES / "hierarchical_accepted.ttl")))
    assert list(rejected) == [TS + "c1"] and list(accepted) == [TS + "c1"]
    assert to_hex(rejected[TS + "c1"].get_edgecolor()) == VERDICT_COLOURS["rejected"]
    assert to_hex(accepted[TS + "c1"].get_edgecolor()) == VERDICT_COLOURS["accepted"]


def test_the_arrow_joins_the_centres_of_the_two_boxes() -> None:
    figure = ssm_figure(_load(CASES / "nesting_inverted.ttl"))
    boxes, arrow = _boxes(figure), _arrows(figure)[TS + "c1"]

    def centre(box: Rectangle) -> tuple[float, float]:
        x0, y0 = box.get_x(), box.get_y()
        return (math.sqrt(x0 * (x0 + box.get_width())), math.sqrt(y0 * (y0 + box.get_height())))

    start, end = arrow._posA_posB  # the data coordinates the arrow was built with
    # a one-way nesting points from the driving model to the driven one
    assert start == pytest.approx(centre(boxes[TS + "tank_model"]))
    assert end == pytest.approx(centre(boxes[TS + "film_model"]))


def test_a_submodel_without_length_scales_spans_the_others_dashed() -> None:
    model = build_model(rdflib.Graph().parse(data="""
@prefix sb: <https://w3id.org/scalebridge/ontology#> .
@prefix : <https://example.org/p#> .
:m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e ;
   sb:timeScale [ sb:grain [ sb:value 1 ; sb:unit "s" ] ; sb:extent [ sb:value 1 ; sb:unit "h" ] ] .
:box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "L" ] .
:C a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
:e a sb:Equation ; sb:rateOf :C .
:n a sb:Submodel ; sb:hasRelation :r ; sb:onDomain :nowhere ;
   sb:timeScale [ sb:grain [ sb:value 1 ; sb:unit "ms" ] ;
                  sb:extent [ sb:value 1 ; sb:unit "s" ] ] .
:nowhere a sb:Lattice .
:x a sb:AlgebraicVariable ; sb:unit "1" .
:r a sb:AlgebraicRelation ; sb:defines :x ; sb:expression "2" .
""", format="turtle"))[0]
    boxes = _boxes(ssm_figure(model))
    assert set(boxes) == {"https://example.org/p#m", "https://example.org/p#n"}
    unknown = boxes["https://example.org/p#n"]
    assert unknown.get_linestyle() == "--"
    assert boxes["https://example.org/p#m"].get_linestyle() == "-"


def test_a_submodel_whose_time_scales_are_unknown_is_named_but_not_placed() -> None:
    model = _load(CASES / "unknown_timescale.ttl")
    figure = ssm_figure(model)
    assert set(_boxes(figure)) == {TS + "macro"}
    assert _arrows(figure) == {}  # an arrow needs both ends
    assert any("micro" in t.get_text() for t in figure.texts)


@pytest.mark.parametrize(
    ("status", "relation", "label"),
    [
        (Status.ACCEPTED, Separation.OVERLAPPING, "accepted"),
        (Status.SEPARATED_CONCURRENT, Separation.SEPARATED, "accepted"),
        (Status.ACCEPTED, Separation.ADJACENT, "adjacent time scales"),
        (Status.NOT_SEPARATED, Separation.ADJACENT, "rejected"),
        (Status.NESTING_INVERTED, Separation.OVERLAPPING, "rejected"),
        (Status.UNKNOWN, Separation.UNKNOWN, "unknown"),
    ],
)
def test_arrow_colours_follow_the_verdict(status: Status, relation: Separation, label: str) -> None:
    verdict = CouplingVerdict(
        coupling="urn:c", name="c", kind=CouplingKind.CONCURRENT, submodels=("urn:a", "urn:b"),
        margin=1.0, time=AxisComparison(relation), space=AxisComparison(Separation.UNKNOWN),
        template=Template.INTERACT, implied=None, status=status,
    )
    assert verdict_colour(verdict) == label


def test_the_legend_names_every_verdict_colour() -> None:
    legend = ssm_figure(_load(CASES / "concurrent_overlapping.ttl")).axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == list(VERDICT_COLOURS)


# -- the writer ------------------------------------------------------------------------------


def test_write_ssm_writes_a_png(tmp_path: Path) -> None:
    target = write_ssm(_load(CASES / "hierarchical_accepted.ttl"), tmp_path / "map.png")
    data = target.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png"]


def test_a_failed_write_leaves_the_earlier_file_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "map.png"
    target.write_bytes(b"the earlier map")
    figure = ssm_figure(_load(CASES / "hierarchical_accepted.ttl"))

    def broken(self: Figure, stream: io.BufferedWriter, **_: object) -> None:
        stream.write(PNG_SIGNATURE + b"half a picture")
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(RuntimeError, match="renderer crashed"):
        save_png(figure, target)
    assert target.read_bytes() == b"the earlier map"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png"]  # no temporary file left


def test_writing_into_a_missing_directory_raises_os_error(tmp_path: Path) -> None:
    figure = ssm_figure(_load(CASES / "hierarchical_accepted.ttl"))
    with pytest.raises(OSError):
        save_png(figure, tmp_path / "missing" / "map.png")


# -- the command -----------------------------------------------------------------------------


def test_plot_ssm_of_a_clean_model_exits_zero(tmp_path: Path) -> None:
    target = tmp_path / "ssm.png"
    model = REPO / "examples" / "two_compartment" / "model.ttl"
    status, text = _run("plot", "ssm", str(model), "-o", str(target), "--no-reasoner")
    assert status == 0, text
    assert target.read_bytes().startswith(PNG_SIGNATURE)
    assert "0 errors, 0 warnings, 0 notes" in text and str(target) in text


def test_plot_ssm_of_a_model_with_errors_draws_it_and_exits_one(tmp_path: Path) -> None:
    target = tmp_path / "ssm.png"
    status, text = _run("plot", "ssm", str(CASES / "hierarchical_overlap.ttl"),
                        "--output", str(target), "--no-reasoner")
    assert status == 1
    assert "TIMESCALE_NOT_SEPARATED" in text
    assert target.read_bytes().startswith(PNG_SIGNATURE)


def test_plot_ssm_exits_one_on_warnings_only_under_strict(tmp_path: Path) -> None:
    model = str(CASES / "unknown_timescale.ttl")
    lenient = _run("plot", "ssm", model, "-o", str(tmp_path / "a.png"), "--no-reasoner")
    strict = _run("plot", "ssm", model, "-o", str(tmp_path / "b.png"), "--no-reasoner",
                  "--strict")
    assert (lenient[0], strict[0]) == (0, 1)
    assert (tmp_path / "a.png").exists() and (tmp_path / "b.png").exists()


def test_plot_ssm_of_an_unreadable_file_exits_two(tmp_path: Path) -> None:
    target = tmp_path / "ssm.png"
    status, text = _run("plot", "ssm", str(tmp_path / "nope.ttl"), "-o", str(target))
    assert status == 2 and "LOAD_FILE_UNREADABLE" in text
    assert not target.exists()


def test_plot_ssm_of_a_model_that_cannot_be_built_exits_one_without_a_picture(
    tmp_path: Path,
) -> None:
    target = tmp_path / "ssm.png"
    status, text = _run("plot", "ssm", str(BROKEN / "syntax_error.ttl"), "-o", str(target),
                        "--no-reasoner")
    assert status == 1 and "LOAD_SYNTAX_ERROR" in text
    assert not target.exists()


def test_plot_ssm_into_a_missing_directory_exits_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = REPO / "examples" / "heat_rod" / "model.ttl"
    status, _ = _run("plot", "ssm", str(model), "-o", str(tmp_path / "no" / "ssm.png"),
                     "--no-reasoner")
    assert status == 2
    assert "cannot write" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["plot"], ["plot", "ssm"], ["plot", "histogram", "m.ttl"]])
def test_plot_usage_errors_exit_two(argv: list[str]) -> None:
    assert _run(*argv)[0] == 2


def test_plot_is_listed_in_the_help() -> None:
    status, text = _run()
    assert status == 2 and "plot" in text
