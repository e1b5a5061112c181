"""The gallery: every example's headline results against the references it states."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy
import pytest

from scalebridge.cli import main
from scalebridge.gallery import (
    GalleryRow,
    RowOutcome,
    _value,
    format_table,
    load_rows,
    value_at,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_every_row_names_a_model_of_its_example_and_states_a_source() -> None:
    rows = load_rows(EXAMPLES)
    gallery = {"graphene_cauchy_born", "rve_homogenization", "polycrystal_texture",
               "strain_gradient_plasticity", "atomistic_continuum_handshake"}
    assert gallery <= {r.example for r in rows}  # issue 5's five examples are in the table
    for row in rows:
        assert (EXAMPLES / row.example / row.model).is_file(), row
        assert row.source and row.label
        assert (row.tolerance is None) != (row.absolute_tolerance is None) or (
            row.tolerance is None and row.absolute_tolerance is None)


def test_value_at_and_the_table() -> None:
    assert value_at({"a": {"b": [1.0, {"c": 3}]}}, "a.b.1.c") == 3.0
    with pytest.raises(KeyError):
        value_at({"a": {}}, "a.missing")
    row = GalleryRow(example="x", model="other.ttl", label="k", result="derived.k.value",
                     reference=2.0, unit="W", source="s", tolerance=0.01)
    table = format_table([RowOutcome(row, 2.03, False), RowOutcome(row, None, False)])
    assert "x-other" in table and "+1.50%" in table and "OUT OF TOLERANCE" in table
    assert "failed" in table


def _one_example(tmp_path: Path, reference: float) -> Path:
    examples = tmp_path / "examples"
    shutil.copytree(EXAMPLES / "heat_rod", examples / "heat_rod")
    (examples / "heat_rod" / "gallery.toml").write_text(f"""
[[row]]
model = "model.ttl"
label = "conductivity"
result = "parameters.k.value"
unit = "W/(m K)"
reference = {reference!r}
source = "the model's own value"
tolerance = 1e-12
""", encoding="utf-8")
    return examples


@pytest.mark.parametrize(("reference", "status"), [(None, 0), (1.0e3, 1)])
def test_the_command_runs_the_examples_and_judges_the_rows(
        tmp_path: Path, reference: float | None, status: int) -> None:
    examples = _one_example(tmp_path, 45.0 if reference is None else reference)  # steel
    out = io.StringIO()
    code = main(["gallery", str(examples), "--out", str(tmp_path / "results")], stdout=out)
    text = out.getvalue()
    assert code == status, text
    assert (tmp_path / "results" / "heat_rod" / "results.json").is_file()
    assert ("OUT OF TOLERANCE" in text) == (status == 1)


def test_the_whole_gallery_is_within_its_stated_tolerances(tmp_path: Path) -> None:
    out = io.StringIO()
    code = main(["gallery", str(EXAMPLES), "--out", str(tmp_path / "results")], stdout=out)
    assert code == 0, out.getvalue()
    assert "OUT OF TOLERANCE" not in out.getvalue()


def test_a_row_that_names_no_result_fails_without_a_traceback(tmp_path: Path) -> None:
    examples = _one_example(tmp_path, 45.0)
    toml = examples / "heat_rod" / "gallery.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("parameters.k.value",
                                                             "parameters.nothing.value"),
                    encoding="utf-8")
    out = io.StringIO()
    code = main(["gallery", str(examples), "--out", str(tmp_path / "results")], stdout=out)
    assert code == 1
    assert "no result at 'parameters.nothing.value'" in out.getvalue()
    assert "failed" in out.getvalue()


def test_a_drop_is_the_first_output_less_the_last(tmp_path: Path) -> None:
    # What a conserved total lost over the run (the gas a reservoir produced), and for a
    # field the fall of its mean.
    numpy.savez(tmp_path / "results.npz", total=numpy.array([10.0, 7.0, 4.5]),
                field=numpy.array([[2.0, 4.0], [1.0, 2.0]]))
    row = GalleryRow(example="x", model="model.ttl", label="lost", result="npz:total",
                     reference=5.5, unit="kg", source="s", reduce="drop", scale=2.0)
    assert _value(tmp_path, row) == 11.0
    field = GalleryRow(example="x", model="model.ttl", label="fall", result="npz:field",
                       reference=1.5, unit="", source="s", reduce="drop")
    assert _value(tmp_path, field) == 1.5
