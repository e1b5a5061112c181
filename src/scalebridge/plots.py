"""Pictures of a model: the scale separation map (SSM).

:func:`ssm_figure` is a pure function of the typed model and its timescale analysis
(:func:`scalebridge.model.timescales.analyse_timescales`) that returns a matplotlib
:class:`~matplotlib.figure.Figure`; :func:`write_ssm` draws it and writes a PNG atomically
(a temporary file beside the target, renamed over it only once complete, so a failed write
leaves any earlier file untouched).  No screen is needed: figures are rendered with the Agg
canvas and pyplot's global state is never touched.

The map puts time scale (s) on the horizontal axis and length scale (m) on the vertical one,
both logarithmic.  Each submodel is a box from its grain to its extent on both axes (its
declared ranges, else the estimated ones; a box with an unknown length range spans the
others' lengths and is drawn dashed).  Each coupling is an arrow between the centres of its
two boxes, coloured by its verdict: green accepted, orange accepted across adjacent time
scales, red rejected, grey unknown.  A one-way nesting points from the driving model to the
driven one; the others point both ways.  Every box carries the submodel's IRI as its ``gid``
and every arrow the coupling's, so the artists can be found again.

Example
-------
>>> import rdflib
>>> from scalebridge.model.build import build_model
>>> g = rdflib.Graph().parse(format="turtle", data='''
... @prefix sb: <https://w3id.org/scalebridge/ontology#> .
... @prefix : <https://example.org/p#> .
... :m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e ;
...    sb:timeScale [ sb:grain [ sb:value 1 ; sb:unit "s" ] ;
...                   sb:extent [ sb:value 1 ; sb:unit "h" ] ] .
... :box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "L" ] .
... :C a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
... :e a sb:Equation ; sb:rateOf :C .''')
>>> model, _ = build_model(g)
>>> figure = ssm_figure(model)
>>> [p.get_gid() for p in figure.axes[0].patches]
['https://example.org/p#m']
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Rectangle

from scalebridge.model.timescales import (
    CouplingVerdict,
    ScaleSpan,
    Separation,
    Status,
    TimescaleAnalysis,
    analyse_timescales,
)
from scalebridge.model.types import CouplingKind, Model

__all__ = ["VERDICT_COLOURS", "save_png", "ssm_figure", "verdict_colour", "write_ssm"]

VERDICT_COLOURS: dict[str, str] = {
    "accepted": "#2e7d32",
    "adjacent time scales": "#ef6c00",
    "rejected": "#c62828",
    "unknown": "#757575",
}
"""Legend label -> colour of the coupling arrows."""

_BOX_COLOUR = "#1565c0"
_DPI = 120


def verdict_colour(verdict: CouplingVerdict) -> str:
    """The legend label of a coupling's arrow (a key of :data:`VERDICT_COLOURS`)."""
    if verdict.status.is_error:
        return "rejected"
    if verdict.status is Status.UNKNOWN:
        return "unknown"
    if verdict.time.relation is Separation.ADJACENT:
        return "adjacent time scales"
    return "accepted"


def _widened(span: ScaleSpan) -> tuple[float, float]:
    """A range with some width on a log axis, for drawing a degenerate one."""
    if span.extent > span.grain * 1.05:
        return span.grain, span.extent
    return span.grain / 1.15, span.extent * 1.15


def _limits(values: list[float], fallback: tuple[float, float]) -> tuple[float, float]:
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    if not positive:
        return fallback
    low, high = min(positive), max(positive)
    return 10 ** (math.floor(math.log10(low)) - 0.5), 10 ** (math.ceil(math.log10(high)) + 0.5)


def ssm_figure(model: Model, analysis: TimescaleAnalysis | None = None) -> Figure:
    """The scale separation map of ``model`` as a figure (see the module docstring)."""
    analysis = analysis if analysis is not None else analyse_timescales(model)
    figure = Figure(figsize=(8.0, 6.0), dpi=_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("time scale (s)")
    axes.set_ylabel("length scale (m)")
    title = model.label or model.iri
    axes.set_title(f"Scale separation map: {title}" if title else "Scale separation map")

    placed = {iri: s for iri, s in analysis.submodels.items() if s.time is not None}
    known_lengths = [v for s in placed.values() if s.length for v in _widened(s.length)]
    # A box whose length range is unknown spans the lengths of the others.
    length_band = (
        (min(known_lengths), max(known_lengths)) if known_lengths else (1e-3, 1.0)
    )
    times = [v for s in placed.values() if s.time for v in _widened(s.time)]
    axes.set_xlim(*_limits(times, (1e-3, 1e3)))
    axes.set_ylim(*_limits(list(length_band), (1e-3, 1.0)))

    centres: dict[str, tuple[float, float]] = {}
    for iri, scales in placed.items():
        if scales.time is None:
            continue
        t0, t1 = _widened(scales.time)
        dashed = scales.length is None
        l0, l1 = _widened(scales.length) if scales.length is not None else length_band
        box = Rectangle(
            (t0, l0),
            t1 - t0,
            l1 - l0,
            facecolor=_BOX_COLOUR,
            alpha=0.18,
            edgecolor=_BOX_COLOUR,
            linewidth=1.5,
            linestyle="--" if dashed else "-",
            gid=iri,
        )
        axes.add_patch(box)
        centre = (math.sqrt(t0 * t1), math.sqrt(l0 * l1))
        centres[iri] = centre
        label = scales.name + ("\n(length unknown)" if dashed else "")
        if not scales.time.declared:
            label += "\n(estimated)"
        axes.text(*centre, label, ha="center", va="center", fontsize=9, color="#0d2a4d")

    for verdict in analysis.couplings.values():
        first, second = verdict.submodels
        if verdict.kind is CouplingKind.ONE_WAY_NESTING and verdict.driving and verdict.driven:
            first, second = verdict.driving, verdict.driven
        if first not in centres or second not in centres:
            continue
        start, end = centres[first], centres[second]
        if start == end:
            end = (end[0] * 1.3, end[1] * 1.3)
        style = "-|>" if verdict.kind is CouplingKind.ONE_WAY_NESTING else "<|-|>"
        arrow = FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=16,
            color=VERDICT_COLOURS[verdict_colour(verdict)],
            linewidth=2.0,
            shrinkA=6,
            shrinkB=6,
            gid=verdict.coupling,
        )
        axes.add_patch(arrow)

    handles = [
        Line2D([], [], color=colour, linewidth=2.0, label=label)
        for label, colour in VERDICT_COLOURS.items()
    ]
    axes.legend(handles=handles, title="coupling", loc="upper left", fontsize=8)
    missing = sorted(s.name for iri, s in analysis.submodels.items() if iri not in placed)
    if missing:
        figure.text(
            0.01, 0.01, "time scales unknown, not placed: " + ", ".join(missing), fontsize=8
        )
    axes.grid(True, which="major", alpha=0.3)
    figure.subplots_adjust(left=0.11, right=0.97, bottom=0.1, top=0.93)
    return figure


def save_png(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` as a PNG at ``path`` atomically; raises OSError when it cannot."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            figure.savefig(stream, format="png", dpi=_DPI)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target


def write_ssm(
    model: Model, path: str | Path, analysis: TimescaleAnalysis | None = None
) -> Path:
    """Draw the scale separation map of ``model`` and write it to ``path`` as a PNG."""
    return save_png(ssm_figure(model, analysis), path)
