"""``scalebridge run``: validate, compose, run, and write the results with their units.

A run writes, into its output directory (default ``results/<model file stem>``):

``solver.py``
    the generated solver module that was run;
``results.npz``
    NumPy arrays: ``<submodel>/time`` in seconds, ``<submodel>/<state>`` in the unit the model
    declared for the state (one row per output time; grid fields have the cell centres in
    ``<submodel>/x`` (and ``/y``), in metres), and ``<submodel>/total/<quantity>`` for each
    conserved quantity;
``results.json``
    the sidecar that says what every array is: unit, IRI, label, shape, and the parameters used;
``run.ttl``
    a PROV-O record: which model (its source hash), which solver (its hash), which parameter
    settings, which scalebridge, when;
``<submodel>_fields.png`` and ``<submodel>_totals.png``
    the fields over time and the conserved totals over time.

Everything is written into a staging directory first and moved into place at the end, so a
run that fails leaves the previous results as they were.  The generated module is loaded with
:mod:`importlib` from the file the code generator wrote: the only code scalebridge executes
that it did not ship.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.util
import json
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy
import rdflib
from numpy.typing import NDArray

from scalebridge.composer import Composition, compose_files, patch_test
from scalebridge.composer.ir import EnergyIR, ProgramIR, constant_derived
from scalebridge.diagnostics import Code, Diagnostic, Report
from scalebridge.files import replace_directory, staging_directory, write_atomic
from scalebridge.result_plots import local_name
from scalebridge.solvers.errors import NumericalFailure
from scalebridge.static_results import average_profiles, chaos_expansions, energy_curves
from scalebridge.summaries import Summary, state_summaries
from scalebridge.summaries import declared as declared_summary

__all__ = ["RunOutcome", "engineering_constants", "load_solver", "parse_overrides", "run_files"]

SB = rdflib.Namespace("https://w3id.org/scalebridge/ontology#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")

Results = dict[str, tuple[NDArray[numpy.float64], dict[str, NDArray[numpy.float64]]]]


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What a run did: its report, and where the results are when it succeeded."""

    report: Report
    directory: Path | None = None
    files: tuple[Path, ...] = ()
    composition: Composition | None = None
    seconds: Mapping[str, float] = field(default_factory=dict)
    derived: Mapping[str, tuple[float, str]] = field(default_factory=dict)
    energies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.directory is not None


def parse_overrides(items: Sequence[str]) -> tuple[dict[str, float], list[Diagnostic]]:
    """``["k=150", "h=30"]`` as {name: value in the declared unit}, and what is malformed."""
    found: dict[str, float] = {}
    problems: list[Diagnostic] = []
    for item in items:
        name, sep, text = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            value = float(text)
            if not numpy.isfinite(value):
                raise ValueError
        except ValueError:
            problems.append(Diagnostic.make(
                Code.COMPOSE_INVALID_OVERRIDE,
                f"--set {item!r} is not PARAM=NUMBER",
            ))
            continue
        found[name.strip()] = value
    return found, problems


def load_solver(path: Path) -> ModuleType:
    """Import the generated module at ``path`` (under a name of its own, not cached)."""
    name = f"scalebridge_solver_{hashlib.sha256(str(path).encode()).hexdigest()[:12]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the generated solver {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_files(
    paths: Sequence[str | Path],
    out: Path | None = None,
    *,
    overrides: Mapping[str, float] | None = None,
    reasoner: bool = True,
    progress: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Validate, compose and run the model ``paths``; write results into ``out``."""
    say = progress or (lambda _message: None)

    def bar(name: str) -> Callable[[float], None] | None:
        return _ProgressBar(name) if progress is not None and sys.stderr.isatty() else None
    composition = compose_files(paths, reasoner=reasoner)
    if not composition.ok:
        return RunOutcome(composition.report, composition=composition)
    program = composition.program
    source = composition.source
    assert program is not None and source is not None
    overrides = dict(overrides or {})
    known = {p.name: p for p in program.parameters}
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        problems = [Diagnostic.make(Code.COMPOSE_INVALID_OVERRIDE,
                                    f"--set {name}: the model has no parameter '{name}' "
                                    f"(it has: {', '.join(sorted(known)) or 'none'})")
                    for name in unknown]
        return RunOutcome(Report((*composition.report, *problems)), composition=composition)
    if overrides:  # values the validation never saw: a handshake is checked again with them
        problems = patch_test(program, overrides=overrides)
        if problems:
            return RunOutcome(Report((*composition.report, *problems)), composition=composition)
    target = Path(out) if out is not None else Path("results") / Path(paths[0]).stem
    staging = staging_directory(target)
    try:
        solver_path = staging / "solver.py"
        write_atomic(solver_path, source)
        module = load_solver(solver_path)
        started = datetime.datetime.now(datetime.UTC)
        seconds: dict[str, float] = {}
        results: Results = {}
        p = module.parameters(overrides)
        if program.coupling is not None:
            if program.coupling.horizon > 0:
                say(f"running {len(program.submodels)} coupled submodels, exchanging every "
                    f"{program.coupling.macro_step:g} s up to {program.coupling.horizon:g} s")
            else:
                say(f"solving {len(program.submodels)} coupled steady submodels once")
            clock = time.perf_counter()
            results = module.run_coupled(p, progress=bar("coupled run"))
            seconds["coupled"] = time.perf_counter() - clock
            say(f"  done in {seconds['coupled']:.2f} s")
        for submodel in program.submodels if program.coupling is None else ():
            plan = submodel.schedule
            say(f"running {submodel.name!r}: {plan.method.value}, {plan.outputs} outputs "
                f"over {plan.duration:g} s")
            clock = time.perf_counter()
            results[submodel.name] = module.RUNNERS[submodel.name](
                p, progress=bar(submodel.name))
            seconds[submodel.name] = time.perf_counter() - clock
            say(f"  done in {seconds[submodel.name]:.2f} s")
        functions = getattr(module, "ENERGIES", {})
        energies = {name: function(p) for name, function in functions.items()}
        curves = {e.name: energy_curves(e, functions[e.name], p) for e in program.energies
                  if e.name in functions}
        ended = datetime.datetime.now(datetime.UTC)
        totals = _totals(module, program, p, results)
        fluxes = _fluxes(module, p, results)
        summaries = state_summaries(module, program, p, results)
        faces = _fluxes(module, p, results, "FACES")
        files = _write_results(staging, program, results, totals, overrides,
                               source, started, ended, Path(paths[0]), p, energies, curves,
                               fluxes, faces, summaries=summaries)
        replace_directory(staging, target)
    except NumericalFailure as failure:
        shutil.rmtree(staging, ignore_errors=True)
        problem = Diagnostic.make(Code.RUN_NUMERICAL_FAILURE, str(failure))
        return RunOutcome(Report((*composition.report, problem)), composition=composition)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    derived = {d.name: ((float(p[d.name]) - d.offset) / d.scale, d.unit)
               for d in constant_derived(program)}
    return RunOutcome(composition.report, target, tuple(target / f.name for f in files),
                      composition, seconds, derived, energies)


class _ProgressBar:
    """``name [#########...........]  45%`` redrawn on one line of a terminal."""

    def __init__(self, name: str, width: int = 30) -> None:
        self.name, self.width, self.shown = name, width, -1

    def __call__(self, fraction: float) -> None:
        percent = int(100 * min(max(fraction, 0.0), 1.0))
        if percent == self.shown:
            return
        self.shown = percent
        filled = self.width * percent // 100
        end = "\n" if percent == 100 else ""
        print(f"\r  {self.name} [{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}%",
              end=end, file=sys.stderr, flush=True)


# -- conserved totals ------------------------------------------------------------------------


def _fluxes(module: ModuleType, p: Mapping[str, float], results: Results,
            registry: str = "FLUXES") -> dict[str, dict[str, NDArray[numpy.float64]]]:
    """Per submodel, each flux variable at every output time (SI, one row per time); with
    ``registry="FACES"``, each value a field presents at a port (one value per time)."""
    out: dict[str, dict[str, NDArray[numpy.float64]]] = {}
    for submodel, by_field in getattr(module, registry, {}).items():
        if submodel not in results:
            continue
        times, states = results[submodel]
        rows: dict[str, list[NDArray[numpy.float64]]] = {}
        for state_name, function in by_field.items():
            for row, t in enumerate(times):
                for name, value in function(p, states[state_name][row], float(t)).items():
                    rows.setdefault(name, []).append(numpy.asarray(value, dtype=numpy.float64))
        out[submodel] = {name: numpy.stack(values) for name, values in rows.items()}
        # a coupled run records them as it goes, with the inputs of each output time
        out[submodel].update({name: numpy.asarray(states[name], dtype=numpy.float64)
                              for name in out[submodel] if name in states})
    return out


def _totals(module: ModuleType, program: ProgramIR, p: Mapping[str, float], results: Results
            ) -> dict[str, dict[str, NDArray[numpy.float64]]]:
    """Per submodel, the total of each conserved quantity over time (SI)."""
    out: dict[str, dict[str, NDArray[numpy.float64]]] = {}
    for index, submodel in enumerate(program.submodels):
        if submodel.name not in results:
            continue  # run only to build tables
        times, states = results[submodel.name]
        sums: dict[str, NDArray[numpy.float64]] = {}
        by_name = {s.name: s for s in submodel.states}
        if submodel.compartments is not None:
            capacities = getattr(module, f"capacities_{index}")(p)
            for position, name in enumerate(submodel.compartments.amounts):
                quantity = by_name[name].conserves
                if quantity is not None:
                    amount = capacities[position] * states[name]
                    sums[quantity] = sums.get(quantity, numpy.zeros_like(times)) + amount
        for position, problem in enumerate(submodel.fields):
            quantity = by_name[problem.state].conserves
            if quantity is None or by_name[problem.state].symbol in problem.capacity.free_symbols:
                continue  # a capacity C(u) holds integral C du, not C(u0) u: not reported
            grid, *_coords, setup = getattr(module, f"setup_{index}_{position}")(p)
            cell = grid.dx * grid.dy if len(problem.grid.cells) == 2 else grid.dx
            values = states[problem.state]
            amount = (values * setup["capacity"]).reshape(len(times), -1).sum(axis=1) * cell
            sums[quantity] = sums.get(quantity, numpy.zeros_like(times)) + amount
        out[submodel.name] = sums
    return out


# -- writing ---------------------------------------------------------------------------------


def _declared(values: NDArray[numpy.float64], scale: float, offset: float
              ) -> NDArray[numpy.float64]:
    return (values - offset) / scale


def _write_results(  # noqa: PLR0917 - everything a results directory records
    directory: Path, program: ProgramIR, results: Results,
    totals: Mapping[str, Mapping[str, NDArray[numpy.float64]]], overrides: Mapping[str, float],
    source: str, started: datetime.datetime, ended: datetime.datetime, model_file: Path,
    p_values: Mapping[str, float],
    energies: Mapping[str, Mapping[str, Any]],
    curves: Mapping[str, Mapping[str, tuple[NDArray[numpy.float64], NDArray[numpy.float64]]]],
    fluxes: Mapping[str, Mapping[str, NDArray[numpy.float64]]],
    faces: Mapping[str, Mapping[str, NDArray[numpy.float64]]] | None = None,
    summaries: Mapping[str, Mapping[str, Summary]] | None = None,
) -> list[Path]:
    arrays: dict[str, NDArray[numpy.float64]] = {}
    sidecar: dict[str, Any] = {
        "model": program.model_iri,
        "model_file": str(model_file),
        "source_sha256": program.source_sha256,
        "solver_sha256": hashlib.sha256(source.encode("utf-8")).hexdigest(),
        "scalebridge_version": program.version,
        "started": started.isoformat(),
        "ended": ended.isoformat(),
        "parameters": {
            p.name: {"value": overrides.get(p.name, p.declared), "unit": p.unit, "iri": p.iri,
                     "overridden": p.name in overrides}
            for p in program.parameters
        },
        "submodels": {},
        "derived": {},
        "energies": {},
    }
    for energy in program.energies:
        found = energies[energy.name]
        described: dict[str, Any] = {"iri": energy.iri, "strains": list(energy.strains),
                                     "internal_variables": list(energy.internals),
                                     "energy": found["energy"]}
        for part, unit in (("stiffness", [list(row) for row in energy.units]),
                           ("stress", list(energy.stress_units)),
                           ("internal", "SI")):
            key = f"energy/{energy.name}/{part}"
            arrays[key] = numpy.asarray(found[part], dtype=numpy.float64)
            described[part] = {"key": key, "unit": unit, "value": arrays[key].tolist()}
        described.update(engineering_constants(energy, arrays[f"energy/{energy.name}/stiffness"]))
        for strain, (strains, stresses) in curves.get(energy.name, {}).items():
            key = f"energy/{energy.name}/curve/{strain}"
            arrays[f"{key}/strain"], arrays[f"{key}/stress"] = strains, stresses
            unit = energy.stress_units[energy.strains.index(strain)]
            described.setdefault("curves", {})[strain] = {
                "strain": {"key": f"{key}/strain", "unit": "1"},
                "stress": {"key": f"{key}/stress", "unit": unit}}
        sidecar["energies"][energy.name] = described
    profiles = average_profiles(program, p_values)
    for profile in profiles:
        averaged: dict[str, Any] = {"value": profile.value, "unit": profile.unit, "over": {}}
        for name, unit, nodes, conditional in profile.parameters:
            key = f"average/{profile.target}/{name}"
            arrays[f"{key}/nodes"], arrays[f"{key}/conditional_mean"] = nodes, conditional
            averaged["over"][name] = {"nodes": {"key": f"{key}/nodes", "unit": unit},
                                   "conditional_mean": {"key": f"{key}/conditional_mean",
                                                        "unit": profile.unit}}
        sidecar.setdefault("averages", {})[profile.target] = averaged
    expansions = chaos_expansions(program, p_values)
    for chaos in expansions:
        expansion = chaos.expansion
        sidecar.setdefault("chaos", {})[chaos.target] = {
            "unit": chaos.unit, "order": expansion.order, "over": list(chaos.parameters),
            "mean": expansion.mean, "variance": expansion.variance,
            "variance_captured": expansion.captured,
            "first_order": dict(zip(chaos.parameters, expansion.first_order, strict=True)),
            "total": dict(zip(chaos.parameters, expansion.total, strict=True)),
            "coefficients": [{"degrees": list(index), "value": value}
                             for index, value in expansion.coefficients.items()
                             if abs(value) > 1e-14 * max(1.0, abs(expansion.mean))]}
    for derived in constant_derived(program):
        key = f"derived/{derived.name}"
        arrays[key] = numpy.asarray(_declared(numpy.asarray(p_values[derived.name]),
                                              derived.scale, derived.offset), dtype=numpy.float64)
        sidecar["derived"][derived.name] = {"key": key, "unit": derived.unit, "iri": derived.iri,
                                            "value": float(arrays[key])}
    tabulations = program.coupling.tabulations if program.coupling is not None else ()
    tables: dict[str, tuple[NDArray[numpy.float64], NDArray[numpy.float64]]] = {}
    for table in tabulations:
        built = p_values[table.name]  # a coupling.Table: SI arguments and values
        arguments = _declared(numpy.asarray(built.arguments, dtype=numpy.float64),  # type: ignore[attr-defined]
                              table.argument_unit[1], table.argument_unit[2])
        values = _declared(numpy.asarray(built.values, dtype=numpy.float64),  # type: ignore[attr-defined]
                           table.value_unit[1], table.value_unit[2])
        tables[table.name] = arguments, values
        arrays[f"table/{table.name}/argument"] = arguments
        arrays[f"table/{table.name}/values"] = values
        sidecar.setdefault("tables", {})[table.name] = {
            "bridge": table.iri, "built_by": table.submodel,
            "argument": {"key": f"table/{table.name}/argument", "variable": table.argument,
                         "unit": table.argument_unit[0], "value": arguments.tolist()},
            "values": {"key": f"table/{table.name}/values", "variable": table.output,
                       "unit": table.value_unit[0], "value": values.tolist()},
        }
    for submodel in program.submodels:
        if submodel.name not in results:
            continue  # a fine model run only to build tables (see "tables")
        times, states = results[submodel.name]
        entry: dict[str, Any] = {
            "iri": submodel.iri, "label": submodel.label,
            "method": submodel.schedule.method.value,
            "time": {"key": f"{submodel.name}/time", "unit": "s"},
            "states": {}, "totals": {},
        }
        arrays[f"{submodel.name}/time"] = times
        for state in submodel.states:
            key = f"{submodel.name}/{state.name}"
            arrays[key] = _declared(states[state.name], state.scale, state.offset)
            entry["states"][state.name] = {
                "key": key, "unit": state.unit, "iri": state.iri, "label": state.label,
                "shape": list(arrays[key].shape), "conserves": state.conserves,
            }
            summary = (summaries or {}).get(submodel.name, {}).get(state.name)
            if summary is not None:  # a scalar state's max, its time, and its integral
                entry.setdefault("summary", {})[state.name] = declared_summary(
                    summary, state.unit, state.scale, state.offset,
                    float(times[-1] - times[0]) if len(times) else 0.0)
        for problem in submodel.fields:
            axes = ("x", "y")[: len(problem.grid.cells)]
            for axis, side, cells in zip(axes, problem.grid.sides, problem.grid.cells,
                                         strict=True):
                key = f"{submodel.name}/{axis}"
                arrays[key] = numpy.asarray((numpy.arange(cells) + 0.5) * (side / cells),
                                            dtype=numpy.float64)
                entry.setdefault("coordinates", {})[axis] = {"key": key, "unit": "m"}
        for problem in submodel.fields:
            for flux in problem.fluxes:
                if flux.name not in fluxes.get(submodel.name, {}):
                    continue
                key = f"{submodel.name}/{flux.name}"
                arrays[key] = _declared(fluxes[submodel.name][flux.name], flux.scale, flux.offset)
                entry.setdefault("fluxes", {})[flux.name] = {
                    "key": key, "unit": flux.unit, "iri": flux.iri, "of": problem.state,
                    "axis": "xy"[flux.axis], "shape": list(arrays[key].shape),
                    "mean": float(numpy.mean(arrays[key][-1]))}
            for reported in problem.derived_fields:  # algebraic variables of the field
                if reported.name not in fluxes.get(submodel.name, {}):
                    continue
                key = f"{submodel.name}/{reported.name}"
                arrays[key] = _declared(fluxes[submodel.name][reported.name], reported.scale,
                                        reported.offset)
                entry.setdefault("derived_fields", {})[reported.name] = {
                    "key": key, "unit": reported.unit, "iri": reported.iri, "of": problem.state,
                    "shape": list(arrays[key].shape),
                    "mean": float(numpy.mean(arrays[key][-1]))}
            for face in problem.faces:
                if face.name not in (faces or {}).get(submodel.name, {}):
                    continue
                key = f"{submodel.name}/{face.name}"
                arrays[key] = _declared((faces or {})[submodel.name][face.name], face.scale,
                                        face.offset)
                entry.setdefault("faces", {})[face.name] = {
                    "key": key, "unit": face.unit, "iri": face.iri, "of": problem.state,
                    "side": face.side, "shape": list(arrays[key].shape),
                    "last": float(arrays[key][-1]), "max": float(numpy.max(arrays[key]))}
        if submodel.motion is not None:
            key = f"{submodel.name}/x"
            arrays[key] = numpy.asarray(submodel.motion.positions, dtype=numpy.float64)
            entry["coordinates"] = {"x": {"key": key, "unit": "m"}}
        for quantity, values in totals.get(submodel.name, {}).items():
            key = f"{submodel.name}/total/{local_name(quantity)}"
            arrays[key] = values
            entry["totals"][quantity] = {"key": key, "unit": "SI (amount of the quantity)"}
        sidecar["submodels"][submodel.name] = entry
    joint = program.coupling.handshake if program.coupling is not None else None
    if joint is not None:
        joint_energy = numpy.asarray(p_values[f"{joint.name}_energy"], dtype=numpy.float64)
        arrays[f"handshake/{joint.name}/energy"] = joint_energy
        # Relative to the energy the motion carries: the excess over the reference state.
        start = float(joint_energy[0]) if joint_energy.size else 0.0
        carried = start - float(p_values[f"{joint.name}_reference_energy"])
        drift = float(numpy.max(numpy.abs(joint_energy - start)) / carried) if carried else 0.0
        scheme = numpy.asarray(p_values[f"{joint.name}_scheme_energy"], dtype=numpy.float64)
        arrays[f"handshake/{joint.name}/scheme_energy"] = scheme
        sidecar["handshake"] = {joint.name: {
            "iri": joint.iri, "chain": joint.chain, "bar": joint.bar,
            "blend": {"start": joint.start, "end": joint.end, "unit": "m"},
            "energy": {"key": f"handshake/{joint.name}/energy", "unit": "J"},
            "scheme_energy": {"key": f"handshake/{joint.name}/scheme_energy", "unit": "J"},
            "relative_energy_oscillation": drift,  # of the energy above the reference
            "reflected_energy_fraction": float(p_values[f"{joint.name}_reflected"]),
            "relative_scheme_energy_drift": float(
                numpy.max(numpy.abs(scheme - scheme[0])) / carried) if carried else 0.0,
            "reference_energy": float(p_values[f"{joint.name}_reference_energy"]),
        }}
    written = [directory / "solver.py"]
    buffer = _npz_bytes(arrays)
    write_atomic(directory / "results.npz", buffer)
    write_atomic(directory / "results.json", json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
    write_atomic(directory / "run.ttl", _provenance(program, sidecar, overrides, started, ended,
                                                    model_file))
    written += [directory / "results.npz", directory / "results.json", directory / "run.ttl"]
    from scalebridge.result_plots import (
        plot_average,
        plot_derived_fields,
        plot_energy_curves,
        plot_faces,
        plot_sobol,
        plot_submodel,
        plot_table,
    )

    for submodel in program.submodels:
        if submodel.name in results:
            written += plot_submodel(directory, submodel, results[submodel.name],
                                     totals.get(submodel.name, {}))
            written += plot_faces(directory, submodel, results[submodel.name][0],
                                  (faces or {}).get(submodel.name, {}))
            shown = {d.name: (d, _declared(fluxes[submodel.name][d.name], d.scale, d.offset))
                     for problem in submodel.fields for d in problem.derived_fields
                     if d.name in fluxes.get(submodel.name, {})}
            if shown:
                written.append(plot_derived_fields(directory, submodel,
                                                   results[submodel.name][0], shown))
    for table in tabulations:
        written.append(plot_table(directory, table, *tables[table.name]))
    written += [plot_average(directory, profile) for profile in profiles]
    written += [plot_sobol(directory, chaos) for chaos in expansions]
    written += [plot_energy_curves(directory, energy, curves[energy.name])
                for energy in program.energies if curves.get(energy.name)]
    return written


def engineering_constants(energy: EnergyIR, stiffness: NDArray[numpy.float64]
                           ) -> dict[str, Any]:
    """Moduli 1/S_ii and contraction ratios -S_ij/S_ii of the compliance S = stiffness^-1:
    with Voigt strains, Young's moduli and Poisson's ratios (nothing when C is singular)."""
    if stiffness.ndim != 2 or stiffness.shape[0] != stiffness.shape[1] or not numpy.all(
            numpy.isfinite(stiffness)) or numpy.linalg.cond(stiffness) > 1e12:
        return {}
    compliance = numpy.linalg.inv(stiffness)
    diagonal = numpy.diag(compliance)
    return {
        "moduli": {"unit": [energy.units[i][i] for i in range(len(energy.strains))],
                   "value": (1.0 / diagonal).tolist()},
        "contraction_ratios": {"unit": [list(row) for row in energy.ratio_units],
                               "value": (-compliance / diagonal[:, None]).tolist()},
    }


def _npz_bytes(arrays: Mapping[str, NDArray[numpy.float64]]) -> bytes:
    import io

    stream = io.BytesIO()
    numpy.savez_compressed(stream, **arrays)  # type: ignore[arg-type]
    return stream.getvalue()


def _provenance(  # noqa: PLR0917 - the facts of one run
    program: ProgramIR, sidecar: Mapping[str, Any], overrides: Mapping[str, float],
                started: datetime.datetime, ended: datetime.datetime, model_file: Path) -> str:
    g = rdflib.Graph()
    g.bind("sb", SB)
    g.bind("prov", PROV)
    run = rdflib.URIRef(f"urn:uuid:{uuid.uuid4()}")
    result = rdflib.URIRef("results.npz")
    model = rdflib.URIRef(program.model_iri)
    xsd = rdflib.XSD
    g.add((run, rdflib.RDF.type, SB.Run))
    g.add((run, rdflib.RDFS.label, rdflib.Literal(f"run of {program.label or program.model_iri}")))
    g.add((run, PROV.used, model))
    g.add((run, PROV.startedAtTime, rdflib.Literal(started.isoformat(), datatype=xsd.dateTime)))
    g.add((run, PROV.endedAtTime, rdflib.Literal(ended.isoformat(), datatype=xsd.dateTime)))
    g.add((run, SB.sourceHash, rdflib.Literal(program.source_sha256)))
    g.add((run, SB.solverHash, rdflib.Literal(sidecar["solver_sha256"])))
    g.add((run, SB.scalebridgeVersion, rdflib.Literal(program.version)))
    units = {p.name: p.unit for p in program.parameters}
    for name, value in sorted(overrides.items()):
        g.add((run, SB.parameterSetting, rdflib.Literal(f"{name}={value:g} {units[name]}")))
    g.add((model, rdflib.RDFS.seeAlso, rdflib.Literal(str(model_file))))
    g.add((result, rdflib.RDF.type, SB.Result))
    g.add((result, PROV.wasGeneratedBy, run))
    g.add((rdflib.URIRef("solver.py"), PROV.wasDerivedFrom, model))
    g.add((run, PROV.used, rdflib.URIRef("solver.py")))
    text: str = g.serialize(format="turtle")
    return text
