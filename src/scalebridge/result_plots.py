"""Plots of a run's results: the fields and the conserved totals over time, tables a fine
model built, what an average over parameters is made of, and energy functionals' curves.

Values are shown in the units the model declared; time in seconds, minutes, hours or days,
whichever reads best for the run's duration.  Each figure is written atomically.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy
from matplotlib.figure import Figure
from numpy.typing import NDArray

from scalebridge.composer.ir import DerivedFieldIR, EnergyIR, SubmodelIR, TabulationIR
from scalebridge.files import write_atomic
from scalebridge.static_results import AverageProfile, ChaosResult

__all__ = [
    "local_name", "plot_average", "plot_derived_fields", "plot_energy_curves", "plot_sobol",
    "plot_submodel",
    "plot_table",
    "time_axis",
]

_TIME_UNITS = (
    (86400.0 * 2, 86400.0, "d"), (3600.0 * 2, 3600.0, "h"), (120.0, 60.0, "min"),
    (1.0, 1.0, "s"), (1e-3, 1e-3, "ms"), (1e-6, 1e-6, "µs"), (1e-9, 1e-9, "ns"),
    (1e-12, 1e-12, "ps"),
)


def time_axis(duration: float) -> tuple[float, str]:
    """(seconds per display unit, its symbol) for a run of ``duration`` seconds.

    >>> time_axis(86400.0), time_axis(2e-11)
    ((3600.0, 'h'), (1e-12, 'ps'))
    """
    for threshold, seconds, symbol in _TIME_UNITS:
        if duration >= threshold:
            return seconds, symbol
    return 1.0, "s"  # zero (a steady solution) or below a picosecond


def _save(figure: Figure, path: Path) -> Path:
    stream = io.BytesIO()
    figure.savefig(stream, format="png", dpi=110)
    plt.close(figure)
    write_atomic(path, stream.getvalue())
    return path


def local_name(iri: str) -> str:
    """The part of an IRI after its last '#' or '/' (the whole IRI if nothing follows)."""
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[cut + 1 :] or iri


def plot_submodel(
    directory: Path,
    submodel: SubmodelIR,
    result: tuple[NDArray[numpy.float64], Mapping[str, NDArray[numpy.float64]]],
    totals: Mapping[str, NDArray[numpy.float64]],
) -> list[Path]:
    """Write ``<submodel>_fields.png`` and, when there are totals, ``<submodel>_totals.png``."""
    times, states = result
    per, unit = time_axis(float(times[-1]) if len(times) else 0.0)
    shown = times / per
    written = []
    states_ir = {s.name: s for s in submodel.states}
    gridded = {f.state: f for f in submodel.fields}
    panels = len(states_ir)
    figure, axes = plt.subplots(panels, 1, figsize=(7.0, 2.8 * panels + 0.6), squeeze=False)
    figure.suptitle(f"{submodel.label}")
    for axis, (name, state) in zip(axes[:, 0], states_ir.items(), strict=True):
        values = (states[name] - state.offset) / state.scale
        problem = gridded.get(name)
        if submodel.motion is not None and name == submodel.motion.state:
            x = numpy.asarray(submodel.motion.positions)
            picks = sorted({0, len(times) // 4, len(times) // 2, len(times) - 1})
            for row in picks:
                axis.plot(x, values[row], label=f"t = {shown[row]:.3g} {unit}")
            axis.set_xlabel("x (m)")
        elif problem is None:
            axis.plot(shown, values, label=state.label)
            axis.set_xlabel(f"time ({unit})")
        elif len(problem.grid.cells) == 1:
            side, cells = problem.grid.sides[0], problem.grid.cells[0]
            x = (numpy.arange(cells) + 0.5) * (side / cells)
            picks = sorted({0, len(times) // 4, len(times) // 2, len(times) - 1})
            for row in picks:
                axis.plot(x, values[row], label=f"t = {shown[row]:.3g} {unit}")
            axis.set_xlabel("x (m)")
        else:
            image = axis.imshow(values[-1].T, origin="lower", aspect="auto",
                                extent=(0.0, problem.grid.sides[0], 0.0, problem.grid.sides[1]))
            figure.colorbar(image, ax=axis)
            axis.set_xlabel("x (m)")
            axis.set_ylabel("y (m)")
            axis.set_title(f"{state.label} at t = {shown[-1]:.3g} {unit} ({state.unit})")
            continue
        axis.set_ylabel(f"{name} ({state.unit})")
        axis.set_title(state.label)
        axis.legend(fontsize="small")
        axis.grid(alpha=0.3)
    figure.tight_layout()
    written.append(_save(figure, directory / f"{submodel.name}_fields.png"))
    if totals:
        figure, axis = plt.subplots(figsize=(7.0, 3.2))
        for quantity, values in totals.items():
            start = values[0] if values[0] != 0 else 1.0
            axis.plot(shown, values / start, label=local_name(quantity))
        axis.set_xlabel(f"time ({unit})")
        axis.set_ylabel("total / initial total")
        axis.set_title(f"{submodel.label}: conserved totals")
        axis.legend(fontsize="small")
        axis.grid(alpha=0.3)
        figure.tight_layout()
        written.append(_save(figure, directory / f"{submodel.name}_totals.png"))
    return written


def plot_faces(directory: Path, submodel: SubmodelIR, times: NDArray[numpy.float64],
               faces: Mapping[str, NDArray[numpy.float64]]) -> list[Path]:
    """Write ``<submodel>_faces.png``: the values its fields present at their ports over
    time (SI ``faces`` by variable, shown in their declared units); nothing without ports."""
    declared = {f.name: f for p in submodel.fields for f in p.faces if f.name in faces}
    if not declared:
        return []
    per, unit = time_axis(float(times[-1]) if len(times) else 0.0)
    figure, axis = plt.subplots(figsize=(7.0, 3.2))
    for name, face in declared.items():
        axis.plot(times / per, (faces[name] - face.offset) / face.scale,
                  label=f"{name} ({face.side} side, {face.unit})")
    axis.set_xlabel(f"time ({unit})")
    axis.set_title(f"{submodel.label}: values at its ports")
    axis.legend(fontsize="small")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return [_save(figure, directory / f"{submodel.name}_faces.png")]


def plot_derived_fields(
    directory: Path, submodel: SubmodelIR, times: NDArray[numpy.float64],
    fields: Mapping[str, tuple[DerivedFieldIR, NDArray[numpy.float64]]],
) -> Path:
    """Write ``<submodel>_derived.png``: each field derived from a grid field (an algebraic
    variable of it, such as a speed-up), in its declared unit, at the last output time (a map
    on a rectangle, a profile at four times on an interval)."""
    per, unit = time_axis(float(times[-1]) if len(times) else 0.0)
    shown = times / per
    grids = {d.name: f.grid for f in submodel.fields for d in f.derived_fields}
    figure, axes = plt.subplots(len(fields), 1, figsize=(7.0, 2.8 * len(fields) + 0.6),
                                squeeze=False)
    figure.suptitle(f"{submodel.label}: derived fields")
    for axis, (name, (derived, values)) in zip(axes[:, 0], fields.items(), strict=True):
        grid = grids[name]
        if len(grid.cells) == 2:
            image = axis.imshow(values[-1].T, origin="lower", aspect="auto",
                                extent=(0.0, grid.sides[0], 0.0, grid.sides[1]))
            figure.colorbar(image, ax=axis)
            axis.set_ylabel("y (m)")
            axis.set_title(f"{name} at t = {shown[-1]:.3g} {unit} ({derived.unit})")
        else:
            x = (numpy.arange(grid.cells[0]) + 0.5) * (grid.sides[0] / grid.cells[0])
            for row in sorted({0, len(times) // 4, len(times) // 2, len(times) - 1}):
                axis.plot(x, values[row], label=f"t = {shown[row]:.3g} {unit}")
            axis.set_ylabel(f"{name} ({derived.unit})")
            axis.legend(fontsize="small")
            axis.grid(alpha=0.3)
        axis.set_xlabel("x (m)")
    figure.tight_layout()
    return _save(figure, directory / f"{submodel.name}_derived.png")


def plot_table(directory: Path, table: TabulationIR, arguments: NDArray[numpy.float64],
               values: NDArray[numpy.float64]) -> Path:
    """Write ``<table>.png``: a table the fine model built, in the declared units."""
    figure, axis = plt.subplots(figsize=(7.0, 3.2))
    axis.plot(arguments, values, "o-")
    axis.set_xlabel(f"{table.argument} ({table.argument_unit[0]})")
    axis.set_ylabel(f"{table.output} ({table.value_unit[0]})")
    how = "evaluating" if table.static else "running"
    axis.set_title(f"bridge '{table.bridge}': table built by {how} '{table.submodel}'")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return _save(figure, directory / f"{table.name}.png")


def plot_average(directory: Path, profile: AverageProfile) -> Path:
    """Write ``average_<target>.png``: what an average over random parameters is made of, the
    source's conditional mean against each averaged parameter, with the average itself."""
    panels = len(profile.parameters)
    figure, axes = plt.subplots(1, panels, figsize=(3.4 * panels + 0.6, 3.2), squeeze=False,
                                sharey=True)
    figure.suptitle(f"{profile.target} = {profile.value:.6g} {profile.unit}: the average over "
                    + ", ".join(name for name, *_ in profile.parameters))
    for axis, (name, unit, nodes, conditional) in zip(axes[0], profile.parameters, strict=True):
        axis.plot(nodes, conditional, "o-", markersize=3, label="mean given this parameter")
        axis.axhline(profile.value, color="k", linestyle="--", linewidth=1, label="average")
        axis.set_xlabel(f"{name} ({unit})")
        axis.grid(alpha=0.3)
    axes[0, 0].set_ylabel(f"{profile.target} ({profile.unit})")
    axes[0, 0].legend(fontsize="small")
    figure.tight_layout()
    return _save(figure, directory / f"average_{profile.target}.png")


def plot_energy_curves(directory: Path, energy: EnergyIR,
                       curves: Mapping[str, tuple[NDArray[numpy.float64],
                                                  NDArray[numpy.float64]]]) -> Path:
    """Write ``energy_<name>.png``: the stress dW/de_i against each strain e_i."""
    panels = len(curves)
    figure, axes = plt.subplots(1, panels, figsize=(3.4 * panels + 0.6, 3.2), squeeze=False)
    figure.suptitle(f"energy functional '{energy.name}': stress against strain")
    for axis, (strain, (strains, stresses)) in zip(axes[0], curves.items(), strict=True):
        unit = energy.stress_units[energy.strains.index(strain)]
        axis.plot(strains, stresses, "-")
        axis.set_xlabel(f"{strain}")
        axis.set_ylabel(f"dW/d{strain} ({unit})")
        axis.grid(alpha=0.3)
    figure.tight_layout()
    return _save(figure, directory / f"energy_{energy.name}.png")


def plot_sobol(directory: Path, chaos: ChaosResult) -> Path:
    """Write ``sobol_<target>.png``: each averaged parameter's first-order and total Sobol
    index, from the chaos expansion of the averaged quantity."""
    found = chaos.expansion
    names = list(chaos.parameters)
    positions = numpy.arange(len(names))
    figure, axis = plt.subplots(figsize=(1.2 * len(names) + 3.0, 3.2))
    axis.bar(positions - 0.2, found.first_order, width=0.4, label="first order")
    axis.bar(positions + 0.2, found.total, width=0.4, label="total")
    axis.set_xticks(positions, names)
    axis.set_ylim(0.0, 1.0)
    axis.set_ylabel("Sobol index")
    axis.set_title(f"{chaos.target}: mean {found.mean:.4g}, variance {found.variance:.4g} "
                   f"({chaos.unit}); order {found.order}")
    axis.legend(fontsize="small")
    axis.grid(alpha=0.3, axis="y")
    figure.tight_layout()
    return _save(figure, directory / f"sobol_{chaos.target}.png")
