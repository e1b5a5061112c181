"""A picture of the model as a modeller thinks of it: what ``scalebridge plot model`` draws.

:func:`model_figure` is a pure function of the typed model (and its timescale analysis, for the
coupling verdicts and the submodels' time ranges) that returns a matplotlib
:class:`~matplotlib.figure.Figure`; :func:`write_model_plot` writes it as a PNG atomically
(:func:`scalebridge.plots.save_png`: a failed write leaves any earlier file untouched).  No
screen is needed: the figure is rendered with the Agg canvas, and pyplot is never touched.

What is drawn:

* one box per submodel: its name, its label, its time range, and inside it one box per domain
  (name, kind, size, cells) listing the fields that live on it with their units;
* one arrow per carrier flow, standalone transfer and junction (or interface) between the boxes
  of the domains it joins, labelled with its name and rate (a junction's arrow has two heads
  and is dashed);
* one arrow per scale bridge from the submodel that owns its sources to the one that owns its
  target, labelled with its kind and ``sources -> target`` (and its weights);
* one thick line per coupling between its submodels, labelled with its strategy (hierarchical,
  concurrent, one-way nesting: then an arrow from the driving model to the driven one) and
  coloured by its timescale verdict as on the scale separation map
  (:data:`scalebridge.plots.VERDICT_COLOURS`).

A bridge, flow or transfer that stays inside one submodel box (or one domain) is listed in the
box instead.  Domains that no submodel lists go into a box of their own, ``(no submodel)``.

The submodel boxes are placed by :func:`networkx.spring_layout` with the fixed seed
:data:`LAYOUT_SEED` (the same model gives the same picture), then spread just far enough that
no two boxes overlap and the labels between them fit.  Box sizes are computed from their text in
a monospaced font, one data unit being one point of the drawing, so text never spills out of a
box.  Every box carries the IRI of its submodel or domain as its ``gid``, and every arrow the
IRI of its bridge, coupling, flow, transfer or junction.

Example
-------
>>> import rdflib
>>> from scalebridge.model.build import build_model
>>> g = rdflib.Graph().parse(format="turtle", data='''
... @prefix sb: <https://w3id.org/scalebridge/ontology#> .
... @prefix : <https://example.org/mp#> .
... :m a sb:Submodel ; sb:onDomain :box ; sb:hasEquation :e .
... :box a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit "L" ] .
... :C a sb:Field ; sb:on :box ; sb:unit "mg/L" ; sb:initialValue 1.0 .
... :e a sb:Equation ; sb:rateOf :C .''')
>>> model, _ = build_model(g)
>>> figure = model_figure(model)
>>> sorted(p.get_gid() for p in figure.axes[0].patches)
['https://example.org/mp#box', 'https://example.org/mp#m']
>>> "C [mg/L]" in [t.get_text() for t in figure.axes[0].texts]
True
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from scalebridge.inspect import coupling_kind_text, domain_size, name_of, quantity_text
from scalebridge.model.analysis import fields_by_domain, owners
from scalebridge.model.timescales import TimescaleAnalysis, analyse_timescales, format_time
from scalebridge.model.types import (
    IRI,
    CouplingKind,
    Domain,
    DomainKind,
    Model,
    ScaleBridge,
    Variable,
    VariableRole,
)
from scalebridge.plots import VERDICT_COLOURS, save_png, verdict_colour

__all__ = ["EDGE_COLOURS", "LAYOUT_SEED", "model_figure", "write_model_plot"]

LAYOUT_SEED = 7
"""The seed of the spring layout of the submodel boxes."""

EDGE_COLOURS: dict[str, str] = {
    "bridge": "#6a1b9a",
    "carrier flow": "#00838f",
    "transfer": "#8d6e63",
    "junction": "#455a64",
}
"""Kind of arrow -> colour (a coupling takes the colour of its verdict)."""

ORPHANS = ""
"""The key of the box of domains that no submodel lists."""

_FONT = 8.0  # points of the layout, before the figure is scaled
_SMALL = 7.0
_CHAR = 0.62  # the advance of DejaVu Sans Mono, in ems, with a little to spare
_STEP = 1.45  # the line step, in ems
_PAD = 8.0
_DPI = 120
_UPSCALE = 1.4  # a small drawing is enlarged this much
_MAX_POINTS = 40 * 72.0  # the longest side of the figure, in points
_FAMILY = "monospace"
_DOMAIN_FILL: Mapping[DomainKind, str] = {
    DomainKind.COMPARTMENT: "#fff8e1",
    DomainKind.INTERVAL: "#e8f5e9",
    DomainKind.RECTANGLE: "#e3f2fd",
    DomainKind.LATTICE: "#f3e5f5",
    DomainKind.PARTICLE_CHAIN: "#f3e5f5",
}
_SUBMODEL_FILL = "#eceff1"
_SUBMODEL_EDGE = "#37474f"


def _width(text: str, size: float) -> float:
    return len(text) * _CHAR * size


@dataclass(frozen=True, slots=True)
class _Line:
    """A line of text in a box: its text, size and weight or style."""

    text: str
    size: float = _FONT
    weight: str = "normal"
    style: str = "normal"

    @property
    def width(self) -> float:
        return _width(self.text, self.size)

    @property
    def height(self) -> float:
        return _STEP * self.size


def _height(lines: Sequence[_Line]) -> float:
    return sum(line.height for line in lines)


@dataclass(slots=True)
class _DomainBox:
    """A domain's box: its lines, size, and top-left corner relative to its submodel box's."""

    domain: Domain
    lines: list[_Line]
    width: float = 0.0
    height: float = 0.0
    dx: float = 0.0
    dy: float = 0.0  # downwards

    def __post_init__(self) -> None:
        self.width = max(line.width for line in self.lines) + 2 * _PAD * 0.75
        self.height = _height(self.lines) + 2 * _PAD * 0.6


@dataclass(slots=True)
class _SubmodelBox:
    """A submodel's box: header lines, domain boxes in a grid, footer lines; its centre."""

    key: IRI
    header: list[_Line]
    domains: list[_DomainBox]
    footer: list[_Line] = field(default_factory=list)
    gap: float = 36.0
    width: float = 0.0
    height: float = 0.0
    centre: tuple[float, float] = (0.0, 0.0)

    def arrange(self) -> None:
        """Size the box and place its domain boxes in a grid beneath the header."""
        columns = max(1, math.ceil(math.sqrt(len(self.domains))))
        rows = [self.domains[i : i + columns] for i in range(0, len(self.domains), columns)]
        column_widths = [
            max(row[c].width for row in rows if c < len(row)) for c in range(columns)
        ] if rows else []
        row_heights = [max(box.height for box in row) for row in rows]
        grid_width = sum(column_widths) + self.gap * max(len(column_widths) - 1, 0)
        grid_height = sum(row_heights) + self.gap * 0.6 * max(len(row_heights) - 1, 0)
        text_width = max((line.width for line in (*self.header, *self.footer)), default=0.0)
        self.width = max(grid_width, text_width) + 2 * _PAD
        top = _PAD + _height(self.header) + (_PAD * 0.5 if rows else 0.0)
        self.height = top + grid_height + _height(self.footer) + _PAD * (1.5 if rows else 1.0)
        left = (self.width - grid_width) / 2
        y = top
        for row, row_height in zip(rows, row_heights, strict=True):
            x = left
            for column, box in enumerate(row):
                box.dx = x + (column_widths[column] - box.width) / 2
                box.dy = y
                x += column_widths[column] + self.gap
            y += row_height + self.gap * 0.6

    @property
    def top_left(self) -> tuple[float, float]:
        return self.centre[0] - self.width / 2, self.centre[1] + self.height / 2


@dataclass(frozen=True, slots=True)
class _Edge:
    """An arrow between two boxes (submodel keys or domain IRIs) with its label."""

    iri: IRI
    kind: str  # coupling, bridge, carrier flow, transfer, junction
    start: IRI
    end: IRI
    label: str
    colour: str
    arrowstyle: str = "-|>"
    linestyle: str = "-"
    linewidth: float = 1.3

    @property
    def label_size(self) -> tuple[float, float]:
        lines = self.label.split("\n")
        return (
            max(_width(line, _SMALL) for line in lines) + 6.0,
            len(lines) * _STEP * _SMALL + 4.0,
        )


# -- what goes where -------------------------------------------------------------------------


def _field_line(variable: Variable) -> _Line:
    unit = variable.unit.symbol if variable.unit is not None else "no unit"
    return _Line(f"{variable.symbol} [{unit}]")


def _domain_box(model: Model, domain: Domain, fields: Sequence[IRI]) -> _DomainBox:
    lines = [
        _Line(f"{domain.name}: {str(domain.kind).replace('_', ' ')}", weight="bold"),
        _Line(domain_size(model, domain), size=_SMALL),
    ]
    if domain.cells:
        unit = "sites" if domain.kind in (DomainKind.LATTICE, DomainKind.PARTICLE_CHAIN) else (
            "cells"
        )
        lines.append(_Line(f"{' x '.join(str(n) for n in domain.cells)} {unit}", size=_SMALL))
    lines.extend(_field_line(model.variables[f]) for f in fields)
    return _DomainBox(domain, lines)


def _domain_of(model: Model, end: IRI) -> IRI | None:
    """The domain a carrier flow's end (a port or a domain) or a field lies on."""
    if end in model.domains:
        return end
    port = model.ports.get(end)
    if port is not None:
        return port.domain
    variable = model.variables.get(end)
    return variable.domain if variable is not None else None


def _bridge_label(model: Model, bridge: ScaleBridge) -> str:
    sources = ", ".join(name_of(model, s) for s in bridge.sources) or "?"
    label = (
        f"{bridge.name}: {str(bridge.kind).replace('_', ' ')}\n"
        f"{sources} -> {name_of(model, bridge.target)}"
    )
    if bridge.weights is not None:
        label += "\nweights " + ", ".join(f"{w:g}" for w in bridge.weights)
    return label


@dataclass(slots=True)
class _Drawing:
    """Everything placed: the boxes, where each domain is drawn, the arrows, the notes."""

    boxes: dict[IRI, _SubmodelBox]
    home: dict[IRI, IRI]  # domain IRI -> the key of the submodel box it is drawn in
    edges: list[_Edge]
    notes: list[str]


def _collect(model: Model, analysis: TimescaleAnalysis) -> _Drawing:
    on_domain = fields_by_domain(model)
    home: dict[IRI, IRI] = {}
    for submodel in model.submodels.values():
        for domain in submodel.domains:
            if domain in model.domains:
                home.setdefault(domain, submodel.iri)
    for domain in model.domains:
        home.setdefault(domain, ORPHANS)
    belongs = owners(model)
    keys = [*model.submodels, *([ORPHANS] if ORPHANS in home.values() else [])]
    boxes: dict[IRI, _SubmodelBox] = {}
    for key in keys:
        boxes[key] = _submodel_box(
            model, analysis, key, home=home, on_domain=on_domain, belongs=belongs
        )
    edges: list[_Edge] = []
    notes: list[str] = []

    def note(keys: Sequence[IRI], text: str) -> None:
        if keys and keys[0] in boxes:
            boxes[keys[0]].footer.append(_Line(text, size=_SMALL))
        else:
            notes.append(text)

    for coupling in model.couplings.values():
        verdict = analysis.couplings.get(coupling.iri)
        pair = list(coupling.submodels)
        arrow = "-"
        if coupling.kind is CouplingKind.ONE_WAY_NESTING:
            arrow = "-|>"
            if verdict is not None and verdict.driving and verdict.driven:
                pair = [verdict.driving, verdict.driven]
        label = f"{coupling.name}: {coupling_kind_text(coupling.kind)}"
        colour = VERDICT_COLOURS["unknown"]
        if verdict is not None:
            label += f"\n{str(verdict.status).replace('_', ' ')}"
            colour = VERDICT_COLOURS[verdict_colour(verdict)]
        if len(pair) == 2 and pair[0] != pair[1] and all(p in boxes for p in pair):
            edges.append(
                _Edge(coupling.iri, "coupling", pair[0], pair[1], label, colour, arrow,
                      linewidth=3.0)
            )
        else:
            note(pair, label.replace("\n", ", "))

    colour = EDGE_COLOURS["bridge"]
    for bridge in model.bridges.values():
        label = _bridge_label(model, bridge)
        starts = sorted({k for s in bridge.sources for k in belongs.get(s, ())})
        ends = sorted(belongs.get(bridge.target, ())) if bridge.target else []
        pairs = [(a, b) for a in starts for b in ends if a != b and a in boxes and b in boxes]
        for a, b in pairs:
            edges.append(_Edge(bridge.iri, "bridge", a, b, label, colour))
        if not pairs:
            note(ends or starts, "bridge " + label.replace("\n", ", "))

    between: list[tuple[IRI, str, IRI | None, IRI | None, str]] = []
    for flow in model.carrier_flows.values():
        rate = quantity_text(model, flow.rate, resolve=True)
        between.append((flow.iri, "carrier flow", _domain_of(model, flow.source),
                        _domain_of(model, flow.target), f"{flow.name}: {rate}"))
    for transfer in model.transfers.values():
        if transfer.carrier is not None or transfer.source_field is None:
            continue  # a carried transfer is its carrier flow's arrow
        rate = (
            quantity_text(model, transfer.rate, resolve=True)
            if transfer.rate is not None
            else transfer.expression.text.strip() if transfer.expression is not None else "?"
        )
        start = _domain_of(model, transfer.source_field)
        end = _domain_of(model, transfer.target_field) if transfer.target_field else None
        between.append((transfer.iri, "transfer", start, end,
                        f"{name_of(model, transfer.iri)}: {rate}"))
    for iri, kind, start, end, label in between:
        if start in home and end in home and start != end:
            edges.append(_Edge(iri, kind, start, end, label, EDGE_COLOURS[kind]))
        else:
            note([home[d] for d in (start, end) if d in home], f"{kind} {label}")

    for junction in model.junctions.values():
        kind = "interface" if junction.interface else "junction"
        domains = [model.ports[p].domain for p in junction.ports if p in model.ports]
        first = domains[0] if domains else None
        drawn = False
        for other in domains[1:]:
            if first in home and other in home and first != other:
                edges.append(
                    _Edge(junction.iri, "junction", first, other, f"{junction.name} ({kind})",
                          EDGE_COLOURS["junction"], "<|-|>", "--")
                )
                drawn = True
        if not drawn:
            note([home[d] for d in domains if d in home], f"{kind} {junction.name}")
    return _Drawing(boxes, home, edges, notes)


def _submodel_box(
    model: Model,
    analysis: TimescaleAnalysis,
    key: IRI,
    *,
    home: Mapping[IRI, IRI],
    on_domain: Mapping[IRI, list[IRI]],
    belongs: Mapping[IRI, set[IRI]],
) -> _SubmodelBox:
    domains = [
        _domain_box(model, model.domains[d], on_domain.get(d, ()))
        for d in model.domains
        if home[d] == key
    ]
    submodel = model.submodels.get(key)
    if submodel is None:
        header = [_Line("(no submodel)", size=_FONT + 1.5, weight="bold")]
        loose = [
            v for v in model.variables.values()
            if v.role is VariableRole.FIELD and v.domain not in home and not belongs.get(v.iri)
        ]
    else:
        header = [_Line(submodel.name, size=_FONT + 1.5, weight="bold")]
        if submodel.label and submodel.label != submodel.name:
            header.append(_Line(submodel.label, style="italic"))
        scales = analysis.submodels.get(key)
        if scales is not None and scales.time is not None:
            span = f"time {format_time(scales.time.grain)} to {format_time(scales.time.extent)}"
            header.append(
                _Line(span + ("" if scales.time.declared else " (estimated)"), size=_SMALL)
            )
        loose = [
            v for v in model.variables.values()
            if v.role is VariableRole.FIELD and v.domain not in home and key in belongs.get(
                v.iri, ()
            )
        ]
    footer = [_Line("fields on no drawn domain:", size=_SMALL)] if loose else []
    footer.extend(_field_line(v) for v in loose)
    return _SubmodelBox(key, header, domains, footer)


# -- layout ----------------------------------------------------------------------------------


def _box_key(drawing: _Drawing, end: IRI) -> IRI:
    return drawing.home.get(end, end)


def _spread(drawing: _Drawing) -> None:
    """Place the submodel boxes: a seeded spring layout, spread until nothing overlaps."""
    keys = list(drawing.boxes)
    gaps: dict[frozenset[IRI], tuple[float, float]] = {}
    graph: nx.Graph[IRI] = nx.Graph()
    graph.add_nodes_from(keys)
    for edge in drawing.edges:
        a, b = _box_key(drawing, edge.start), _box_key(drawing, edge.end)
        if a == b:
            continue
        graph.add_edge(a, b)
        pair = frozenset((a, b))
        width, height = edge.label_size
        old = gaps.get(pair, (0.0, 0.0))
        gaps[pair] = (max(old[0], width), old[1] + height)
    if len(keys) < 2:
        return
    raw = nx.spring_layout(graph, seed=LAYOUT_SEED)
    positions = {k: (float(raw[k][0]), float(raw[k][1])) for k in keys}
    scale = 0.0
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            box_a, box_b = drawing.boxes[a], drawing.boxes[b]
            label_width, label_height = gaps.get(frozenset((a, b)), (0.0, 0.0))
            need_x = (box_a.width + box_b.width) / 2 + 40.0 + label_width
            need_y = (box_a.height + box_b.height) / 2 + 30.0 + label_height
            dx = abs(positions[a][0] - positions[b][0])
            dy = abs(positions[a][1] - positions[b][1])
            pair_scale = min(
                need_x / dx if dx > 1e-9 else math.inf, need_y / dy if dy > 1e-9 else math.inf
            )
            scale = max(scale, pair_scale)
    if not math.isfinite(scale):  # two boxes at one spot: fall back to a row
        x = 0.0
        for key in keys:
            box = drawing.boxes[key]
            box.centre = (x + box.width / 2, 0.0)
            x += box.width + 80.0
        return
    for key in keys:
        drawing.boxes[key].centre = (positions[key][0] * scale, positions[key][1] * scale)


def _across(normal: tuple[float, float], size: tuple[float, float]) -> float:
    """The extent of a box of ``size`` (width, height) along the unit vector ``normal``."""
    return abs(normal[0]) * size[0] + abs(normal[1]) * size[1]


def _offsets(
    edges: Sequence[_Edge],
    centres: Mapping[IRI, tuple[float, float]],
    sizes: Mapping[IRI, tuple[float, float]],
) -> list[tuple[tuple[float, float], float, float]]:
    """For each arrow: the unit normal of its pair of boxes, its label's offset along it, and
    the arrow's own offset (no further than well inside both boxes).

    Arrows between the same two boxes run parallel, their labels stacked side by side across
    them; a coupling runs through the centres, the others beside it.
    """
    groups: dict[frozenset[IRI], list[int]] = defaultdict(list)
    for index, edge in enumerate(edges):
        groups[frozenset((edge.start, edge.end))].append(index)
    placed: list[tuple[tuple[float, float], float, float]] = [((0.0, 1.0), 0.0, 0.0)] * len(
        edges
    )
    for pair, members in groups.items():
        first, second = sorted(pair)
        (x0, y0), (x1, y1) = centres[first], centres[second]
        distance = math.hypot(x1 - x0, y1 - y0) or 1.0
        normal = (-(y1 - y0) / distance, (x1 - x0) / distance)

        limit = 0.4 * min(_across(normal, sizes[first]), _across(normal, sizes[second]))
        gap = 4.0
        above = below = -gap / 2
        for order, index in enumerate(members):
            extent = _across(normal, edges[index].label_size)
            if order == 0 and (len(members) == 1 or edges[index].kind == "coupling"):
                offset = 0.0
                above = below = extent / 2
            elif above <= below:
                offset = above + gap + extent / 2
                above = offset + extent / 2
            else:
                offset = -(below + gap + extent / 2)
                below = -offset + extent / 2
            placed[index] = (normal, offset, max(-limit, min(limit, offset)))
    return placed


# -- drawing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Canvas:
    """Collects the artists' extents before the figure exists, then draws them."""

    scale: float = 1.0
    patches: list[tuple[IRI, tuple[float, float], float, float, str, str, float]] = field(
        default_factory=list
    )
    texts: list[tuple[float, float, _Line, str]] = field(default_factory=list)
    labels: list[tuple[float, float, str, str]] = field(default_factory=list)
    bounds: list[tuple[float, float, float, float]] = field(default_factory=list)

    def box(self, gid: IRI, corner: tuple[float, float], size: tuple[float, float], *,
            colours: tuple[str, str], linewidth: float) -> None:
        width, height = size
        self.patches.append((gid, corner, width, height, *colours, linewidth))
        self.bounds.append((corner[0], corner[1], corner[0] + width, corner[1] + height))

    def lines(self, x: float, top: float, lines: Sequence[_Line], colour: str) -> float:
        for line in lines:
            self.texts.append((x, top, line, colour))
            top -= line.height
        return top

    def label(self, x: float, y: float, text: str, colour: str) -> None:
        self.labels.append((x, y, text, colour))
        lines = text.split("\n")
        width = max(_width(line, _SMALL) for line in lines) + 6.0
        height = len(lines) * _STEP * _SMALL + 4.0
        self.bounds.append((x - width / 2, y - height / 2, x + width / 2, y + height / 2))


def _place_boxes(drawing: _Drawing, canvas: _Canvas) -> dict[IRI, tuple[float, float]]:
    """Queue every box and its text; returns the centre of every box by key or domain IRI."""
    centres: dict[IRI, tuple[float, float]] = {}
    for key, box in drawing.boxes.items():
        left, top = box.top_left
        canvas.box(key, (left, top - box.height), (box.width, box.height),
                   colours=(_SUBMODEL_FILL, _SUBMODEL_EDGE), linewidth=1.4)
        centres[key] = box.centre
        canvas.lines(left + _PAD, top - _PAD, box.header, "#102027")
        lowest = top
        for inner in box.domains:
            x, y = left + inner.dx, top - inner.dy
            canvas.box(inner.domain.iri, (x, y - inner.height), (inner.width, inner.height),
                       colours=(_DOMAIN_FILL[inner.domain.kind], "#546e7a"), linewidth=1.0)
            canvas.lines(x + _PAD * 0.75, y - _PAD * 0.6, inner.lines, "#212121")
            centres[inner.domain.iri] = (x + inner.width / 2, y - inner.height / 2)
            lowest = min(lowest, y - inner.height)
        if box.footer:
            start = lowest - _PAD * 0.5 if box.domains else top - _PAD - _height(box.header)
            canvas.lines(left + _PAD, start, box.footer, "#37474f")
    return centres


def _empty_figure(title: str) -> Figure:
    figure = Figure(figsize=(5.0, 1.5), dpi=_DPI)
    FigureCanvasAgg(figure)
    figure.text(0.5, 0.65, title, ha="center", va="center", fontsize=11, fontweight="bold")
    figure.text(0.5, 0.3, "nothing to draw: no submodel and no domain", ha="center",
                va="center", fontsize=9)
    return figure


def model_figure(
    model: Model, analysis: TimescaleAnalysis | None = None, *, title: str | None = None
) -> Figure:
    """The picture of ``model`` as a figure (see the module docstring).

    ``title`` names the drawing when the model has no label (the CLI passes the file name).
    """
    heading = f"Model: {model.label or title or model.iri or '(unnamed)'}"
    analysis = analysis if analysis is not None else analyse_timescales(model)
    drawing = _collect(model, analysis)
    if not drawing.boxes:
        return _empty_figure(heading)
    for box in drawing.boxes.values():
        internal = [
            e.label_size[0] for e in drawing.edges
            if e.start in drawing.home and e.end in drawing.home
            and drawing.home[e.start] == drawing.home[e.end] == box.key
        ]
        box.gap = max(36.0, max(internal, default=0.0) + 16.0)
        box.arrange()
    _spread(drawing)

    canvas = _Canvas()
    centres = _place_boxes(drawing, canvas)
    sizes = {gid: (width, height) for gid, _, width, height, *_ in canvas.patches}
    arrows: list[tuple[_Edge, tuple[float, float], tuple[float, float]]] = []
    for edge, (normal, label_offset, offset) in zip(
        drawing.edges, _offsets(drawing.edges, centres, sizes), strict=True
    ):
        (x0, y0), (x1, y1) = centres[edge.start], centres[edge.end]
        canvas.label((x0 + x1) / 2 + label_offset * normal[0],
                     (y0 + y1) / 2 + label_offset * normal[1], edge.label, edge.colour)
        shift = (offset * normal[0], offset * normal[1])
        arrows.append((edge, (x0 + shift[0], y0 + shift[1]), (x1 + shift[0], y1 + shift[1])))

    left = min(b[0] for b in canvas.bounds) - 2 * _PAD
    right = max(b[2] for b in canvas.bounds) + 2 * _PAD
    bottom = min(b[1] for b in canvas.bounds) - 2 * _PAD
    top = max(b[3] for b in canvas.bounds) + _PAD
    header = [_Line(heading, size=_FONT + 3, weight="bold")]
    header.extend(_Line(n, size=_SMALL) for n in drawing.notes)
    top += _height(header) + _PAD
    kinds = sorted({e.kind for e in drawing.edges if e.kind != "coupling"})
    verdicts = sorted({e.colour for e in drawing.edges if e.kind == "coupling"})
    if kinds or verdicts:
        bottom -= 2.5 * _STEP * _SMALL
    right = max(right, left + max(line.width for line in header) + 2 * _PAD)
    canvas.lines(left + _PAD, top - _PAD * 0.5, header, "#102027")

    scale = min(_UPSCALE, _MAX_POINTS / max(right - left, top - bottom))
    figure = Figure(figsize=((right - left) * scale / 72, (top - bottom) * scale / 72), dpi=_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axes.set_xlim(left, right)
    axes.set_ylim(bottom, top)
    axes.set_axis_off()
    _draw(axes, canvas, scale, drawing, arrows)
    _legend(axes, scale, kinds, verdicts)
    return figure


def _draw(
    axes: Axes,
    canvas: _Canvas,
    scale: float,
    drawing: _Drawing,
    arrows: Sequence[tuple[_Edge, tuple[float, float], tuple[float, float]]],
) -> None:
    patches: dict[IRI, FancyBboxPatch] = {}
    for gid, corner, width, height, fill, outline, linewidth in canvas.patches:
        patch = FancyBboxPatch(
            corner, width, height, boxstyle="round,pad=0,rounding_size=6", facecolor=fill,
            edgecolor=outline, linewidth=linewidth * scale, gid=gid,
            zorder=1 if gid in drawing.boxes else 2,
        )
        axes.add_patch(patch)
        patches[gid] = patch
    for x, y, line, colour in canvas.texts:
        axes.text(x, y, line.text, ha="left", va="top", fontsize=line.size * scale,
                  fontweight=line.weight, fontstyle=line.style, family=_FAMILY, color=colour,
                  zorder=3)
    for edge, start, end in arrows:
        axes.add_patch(
            FancyArrowPatch(
                start, end, arrowstyle=edge.arrowstyle, patchA=patches[edge.start],
                patchB=patches[edge.end], mutation_scale=11 * scale, shrinkA=1, shrinkB=1,
                color=edge.colour, linewidth=edge.linewidth * scale, linestyle=edge.linestyle,
                alpha=0.75 if edge.kind == "coupling" else 1.0, gid=edge.iri, zorder=4,
            )
        )
    for x, y, text, colour in canvas.labels:
        axes.text(x, y, text, ha="center", va="center", fontsize=_SMALL * scale, family=_FAMILY,
                  color="#212121", zorder=5, multialignment="center",
                  bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": colour,
                        "alpha": 0.92, "linewidth": 0.8 * scale})


def _legend(axes: Axes, scale: float, kinds: Sequence[str], verdicts: Sequence[str]) -> None:
    by_colour = {colour: label for label, colour in VERDICT_COLOURS.items()}
    handles = [
        Line2D([], [], color=colour, linewidth=3.0 * scale, alpha=0.75,
               label=f"coupling: {by_colour.get(colour, '?')}")
        for colour in verdicts
    ]
    handles.extend(
        Line2D([], [], color=EDGE_COLOURS[kind], linewidth=1.3 * scale,
               linestyle="--" if kind == "junction" else "-", label=kind)
        for kind in kinds
    )
    if handles:
        axes.legend(handles=handles, loc="lower center", ncols=len(handles), frameon=False,
                    prop={"family": _FAMILY, "size": _SMALL * scale}, handlelength=2.5)


def write_model_plot(
    model: Model,
    path: str | Path,
    analysis: TimescaleAnalysis | None = None,
    *,
    title: str | None = None,
) -> Path:
    """Draw ``model`` and write the picture to ``path`` as a PNG, atomically."""
    return save_png(model_figure(model, analysis, title=title), path)
