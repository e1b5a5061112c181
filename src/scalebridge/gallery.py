"""The gallery: run every example and compare its headline results with their references.

Each example folder may hold a ``gallery.toml`` naming, per row, the model file it comes from,
where the result is in that run's results, the reference value with its source, and the
tolerance the example claims::

    [[row]]
    model = "model.ttl"                 # in the example's folder
    label = "E (Hill), random texture"
    result = "derived.E_H.value"        # a path into results.json (dots; list indices)
    scale = 1e-9                        # result (declared unit) x scale = the shown value
    unit = "GPa"
    reference = 127.35
    source = "Hill (1952) closed form"
    tolerance = 1e-3                    # relative; or absolute_tolerance = ...

A result may also be ``npz:KEY`` (an array of results.npz; ``reduce`` = "mean", "max" or
"last", of its last row; or "drop", its first output less its last: what a conserved total
lost over the run, such as the gas a reservoir produced; of the means for a field).  With
``at = [x, y]`` (m; ``[x]`` on an interval) the row is instead the field's value at that point
of its last row, interpolated linearly between the cell centres ``<submodel>/x`` (and
``/y``): a probe, such as the wind 10 m above a hilltop.
``scalebridge gallery`` runs every ``examples/*/model.ttl`` and every other model a row names,
then prints the table: example, result, reference, error.

Example
-------
>>> value_at({"derived": {"k": {"value": 2.0}}, "m": [[1, 5]]}, "m.0.1")
5.0
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy
from numpy.typing import NDArray

__all__ = ["GalleryRow", "RowOutcome", "format_table", "load_rows", "probe", "run_gallery",
           "value_at"]


@dataclass(frozen=True)
class GalleryRow:
    """One headline result of an example and the reference it is compared with."""

    example: str
    model: str
    label: str
    result: str
    reference: float
    unit: str
    source: str
    scale: float = 1.0
    tolerance: float | None = None  # relative
    absolute_tolerance: float | None = None
    reduce: str = "mean"
    at: tuple[float, ...] | None = None  # a point (m): the field's value there

    @property
    def run_name(self) -> str:
        """The results folder of the run: the example's name, or example-stem for its other
        models (beside it: a run replaces its whole folder)."""
        return _run_name(self.example, self.model)


@dataclass(frozen=True)
class RowOutcome:
    """A row with the value its run gave (None when the run failed) and whether it passed."""

    row: GalleryRow
    value: float | None
    ok: bool

    @property
    def error(self) -> float | None:
        """Relative error (absolute when the row has an absolute tolerance)."""
        if self.value is None:
            return None
        if self.row.absolute_tolerance is not None or self.row.reference == 0:
            return self.value - self.row.reference
        return (self.value - self.row.reference) / abs(self.row.reference)


def _run_name(example: str, model: str) -> str:
    stem = Path(model).stem
    return example if stem == "model" else f"{example}-{stem}"


def load_rows(examples: Path) -> list[GalleryRow]:
    """Every row of every ``examples/*/gallery.toml``, in folder order."""
    rows = []
    for path in sorted(examples.glob("*/gallery.toml")):
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("row", [])
        for entry in entries:
            given = dict(entry)
            if "at" in given:
                given["at"] = tuple(float(c) for c in given["at"])
            rows.append(GalleryRow(example=path.parent.name, **given))
    return rows


def value_at(document: Mapping[str, Any], path: str) -> float:
    """The number at a dotted path (list indices as numbers) of a results.json document."""
    found: Any = document
    for part in path.split("."):
        found = found[int(part)] if isinstance(found, list) else found[part]
    return float(found)


def probe(field: NDArray[numpy.float64], centres: tuple[NDArray[numpy.float64], ...],
          at: tuple[float, ...]) -> float:
    """The value of a cell-centred ``field`` (one axis per coordinate) at the point ``at``,
    linear between the cell centres along each axis (constant beyond the outer ones).

    >>> probe(numpy.array([[0.0, 1.0], [2.0, 3.0]]), (numpy.array([0.5, 1.5]),
    ...       numpy.array([0.5, 1.5])), (1.0, 0.75))
    1.25
    """
    if len(at) != field.ndim or len(centres) != field.ndim:
        raise ValueError(f"a point needs one coordinate per axis of the field, {field.ndim}")
    value = numpy.asarray(field, dtype=float)
    for axis_centres, coordinate in zip(centres, at, strict=True):
        # along the first remaining axis: the two neighbouring centres, weighted linearly
        c = numpy.asarray(axis_centres, dtype=float)
        x = min(max(coordinate, float(c[0])), float(c[-1]))
        upper = int(numpy.clip(numpy.searchsorted(c, x), 1, len(c) - 1))
        weight = (x - c[upper - 1]) / (c[upper] - c[upper - 1]) if len(c) > 1 else 0.0
        value = (1.0 - weight) * value[upper - 1] + weight * value[min(upper, len(c) - 1)]
    return float(value)


def _value(directory: Path, row: GalleryRow) -> float:
    if row.result.startswith("npz:") and row.at is not None:
        key = row.result[4:]
        submodel = key.split("/")[0]
        with numpy.load(directory / "results.npz") as arrays:
            array = numpy.asarray(arrays[key], dtype=float)
            centres = tuple(numpy.asarray(arrays[f"{submodel}/{axis}"], dtype=float)
                            for axis in ("x", "y")[: len(row.at)])
        return probe(array[-1], centres, row.at) * row.scale
    if row.result.startswith("npz:"):
        with numpy.load(directory / "results.npz") as arrays:
            array = numpy.asarray(arrays[row.result[4:]], dtype=float)
        if row.reduce == "drop":  # the first output less the last (of the means per row)
            series = array.reshape(array.shape[0], -1).mean(axis=1) if array.ndim > 1 else array
            return float(series[0] - series[-1]) * row.scale
        last = numpy.ravel(array[-1] if array.ndim > 1 else array)
        reduced = {"mean": numpy.mean(last), "max": numpy.max(last), "last": last[-1]}
        return float(reduced[row.reduce]) * row.scale
    document = json.loads((directory / "results.json").read_text(encoding="utf-8"))
    return value_at(document, row.result) * row.scale


def _passes(row: GalleryRow, value: float) -> bool:
    if not math.isfinite(value):
        return False
    if row.absolute_tolerance is not None:
        return abs(value - row.reference) <= row.absolute_tolerance
    tolerance = row.tolerance if row.tolerance is not None else 1e-2
    return abs(value - row.reference) <= tolerance * abs(row.reference)


def run_gallery(examples: Path, out: Path, say: Callable[[str], None] = print
                ) -> tuple[list[RowOutcome], list[str]]:
    """Run every example (``*/model.ttl`` and the models the rows name) into ``out`` and
    compare the rows; returns the outcomes and the runs that failed."""
    from scalebridge.runner import run_files

    rows = load_rows(examples)
    runs = {(p.parent.name, p.name) for p in examples.glob("*/model.ttl")}
    runs |= {(r.example, r.model) for r in rows}
    directories: dict[tuple[str, str], Path | None] = {}
    failed = []
    for example, model in sorted(runs):
        name = _run_name(example, model)
        say(f"-- {example}/{model}")
        outcome = run_files([examples / example / model], out=out / name, reasoner=False)
        directories[(example, model)] = outcome.directory
        if outcome.directory is None:
            failed.append(f"{example}/{model}")
            say("   failed: " + "; ".join(d.message for d in outcome.report
                                         if d.severity.value == "error"))
    found = []
    for row in rows:
        directory = directories.get((row.example, row.model))
        value = None
        if directory is not None:
            try:
                value = _value(directory, row)
            except (KeyError, IndexError, TypeError, ValueError) as err:
                say(f"   {row.run_name}: no result at '{row.result}' ({type(err).__name__}: "
                    f"{err})")
        found.append(RowOutcome(row, value, value is not None and _passes(row, value)))
    return found, failed


def format_table(outcomes: list[RowOutcome]) -> str:
    """The gallery table: example, result, value, reference, error, and whether it is within
    the example's stated tolerance."""
    header = ("example", "result", "value", "reference", "error", "")
    lines = [header]
    for outcome in outcomes:
        row = outcome.row
        value = "failed" if outcome.value is None else f"{outcome.value:.6g} {row.unit}".strip()
        error = outcome.error
        shown = "" if error is None else (
            f"{error:+.2g}" if row.absolute_tolerance is not None or row.reference == 0
            else f"{error:+.2%}")
        lines.append((row.run_name, row.label, value, f"{row.reference:.6g} {row.unit}".strip(),
                      shown, "ok" if outcome.ok else "OUT OF TOLERANCE"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
            for line in lines]
    text.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(text)
