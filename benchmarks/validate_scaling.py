"""How validation scales: synthetic models of 100, 1,000 and 10,000 coupled submodels.

Each submodel is a compartment with one field, a rate constant and a balance; every pair of
submodels is joined by a concurrent coupling through a localization bridge into a parameter of
the second.  The model validates clean (only the couplings' timescale verdicts, which are
information).  Each model is validated exactly as ``scalebridge validate`` does it
(:func:`scalebridge.pipeline.validate_files`), and for each size the script prints the time of
every stage (parse, SHACL, building the typed model, each model check, the OWL check: its
export plus the wait for HermiT, which runs on the other core meanwhile, and locating the
diagnostics), the total, the fitted growth exponent of each stage (slope of log time against
log size), and the peak resident memory of this process and of its child processes (the Java
reasoner) together.

Times are printed, never asserted (the machine drifts by about 30% between runs); the test
suite runs this script at a tiny size only to keep it working.

Usage::

    python benchmarks/validate_scaling.py                 # 100, 1000, 10000
    python benchmarks/validate_scaling.py --sizes 50 200  # other sizes
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from scalebridge.diagnostics import Report, Severity
from scalebridge.pipeline import validate_files

HEAD = """@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix :     <https://example.org/scaling#> .
"""


def synthetic_model(submodels: int) -> str:
    """Turtle for ``submodels`` compartments, coupled pairwise (roughly 24 triples each)."""
    parts = [HEAD, ":model a sb:Model ; sb:hasSubmodel "
             + ", ".join(f":s{i}" for i in range(submodels)) + " ."]
    for i in range(submodels):
        coupled = i % 2 == 1
        law = f"-k{i} * (C{i} - P{i})" if coupled else f"-k{i} * C{i}"
        parts.append(
            f":s{i} a sb:Submodel ; sb:onDomain :d{i} ; sb:hasEquation :e{i} .\n"
            f":d{i} a sb:Compartment ; sb:volume [ sb:value 1.0 ; sb:unit unit:L ] .\n"
            f":C{i} a sb:Field ; sb:on :d{i} ; sb:unit unit:MilliGM-PER-L ; "
            f"sb:initialValue {1 + i % 7}.0 .\n"
            f":k{i} a sb:Parameter ; sb:value {0.1 + 0.01 * (i % 11):.2f} ; "
            "sb:unit unit:PER-SEC .\n"
            f':e{i} a sb:Equation ; sb:rateOf :C{i} ; '
            f'sb:hasTerm [ a sb:Reaction ; sb:expression "{law}" ] .'
        )
        if coupled:
            parts.append(
                f":P{i} a sb:Parameter ; sb:unit unit:MilliGM-PER-L ; sb:providedBy :b{i} .\n"
                f":b{i} a sb:Localization ; sb:source :C{i - 1} ; sb:target :P{i} .\n"
                f":c{i} a sb:Concurrent ; sb:between :s{i - 1}, :s{i} ; sb:via :b{i} ."
            )
    return "\n".join(parts) + "\n"


def measure(submodels: int, directory: Path) -> tuple[dict[str, float], int, Report]:
    """Validate one synthetic model as ``scalebridge validate`` does: (seconds per stage,
    triples, report)."""
    path = directory / f"model_{submodels}.ttl"
    path.write_text(synthetic_model(submodels), encoding="utf-8")
    stages: dict[str, float] = {}
    validation = validate_files([path], timings=stages)
    return stages, len(validation.loaded.graph), validation.report


def _peak_mib() -> float:
    # ru_maxrss is in KiB on Linux; children: the largest of the finished child processes.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    args = parser.parse_args(argv)
    results: list[tuple[int, dict[str, float], int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            stages, triples, report = measure(size, Path(tmp))
            errors = [d for d in report if d.severity is not Severity.INFO]
            if errors:
                print(f"synthetic model of {size} is not clean: {errors[0].message}")
                return 1
            results.append((size, stages, triples))
            total = sum(stages.values())
            print(f"{size:>6} submodels {triples:>8} triples  total {total:7.2f} s  "
                  f"peak RSS {_peak_mib():7.0f} MiB  "
                  + "  ".join(f"{k} {v:.2f}" for k, v in stages.items()), flush=True)
    if len(results) >= 2:
        sizes = np.log([float(s) for s, _, _ in results])
        print("growth exponent (log time / log size):")
        for stage in [*list(results[0][1]), "total"]:
            times = [sum(st.values()) if stage == "total" else st[stage] for _, st, _ in results]
            logs = np.log([max(t, 1e-6) for t in times])
            slope = float(np.polyfit(sizes, logs, 1)[0])
            print(f"  {stage:<12} {slope:5.2f}")
    print(f"peak resident memory, reasoner included: {_peak_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
