"""The ``compose`` and ``run`` commands of the command line (wired in :mod:`scalebridge.cli`).

``scalebridge compose MODEL [MORE ...] -o solver.py`` validates the model and writes its
generated solver module (atomically).  ``scalebridge run MODEL [MORE ...] [--out DIR]
[--set PARAM=VALUE ...]`` validates, composes and runs it, and writes the results (see
:mod:`scalebridge.runner`).  Exit status: 0 done, 1 the model has errors, cannot be composed,
or failed numerically (the message names the submodel, the field and the time), 2 usage and
I/O errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from scalebridge.diagnostics import Code, Report

__all__ = ["add_commands", "compose_command", "run_command"]

_IO_CODES = {Code.LOAD_FILE_UNREADABLE}
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def add_commands(commands: Any) -> None:
    """Add ``compose`` and ``run`` to the command line's sub-parsers."""
    compose = commands.add_parser(
        "compose",
        help="write the generated solver module of a model",
        description="Validate the model (a coupling file may import submodel files beside it) "
        "and write its solver: a standalone, readable Python module that imports only numpy, "
        "scipy and scalebridge.solvers.",
    )
    compose.add_argument("models", nargs="+", metavar="MODEL",
                         help="the model file, and any more files of the same model")
    compose.add_argument("-o", "--output", default="solver.py", metavar="PY",
                         help="the module to write (default: solver.py); replaced only once "
                         "complete")
    compose.add_argument("--no-reasoner", action="store_true",
                         help="skip the OWL consistency check (HermiT, needs Java)")
    run = commands.add_parser(
        "run",
        help="validate, compose and run a model; write results, provenance and plots",
        description="Validate, compose and run the model, then write into DIR: solver.py, "
        "results.npz (arrays in the units the model declared) with results.json saying what "
        "each array is, run.ttl (PROV-O provenance) and PNG plots. A failed run leaves "
        "earlier results in DIR untouched.",
    )
    run.add_argument("models", nargs="+", metavar="MODEL",
                     help="the model file, and any more files of the same model")
    run.add_argument("--out", metavar="DIR", default=None,
                     help="where to write the results (default: results/<model name>)")
    run.add_argument("--set", dest="settings", action="append", default=[],
                     metavar="PARAM=VALUE",
                     help="override a parameter, in its declared unit (repeatable)")
    run.add_argument("--no-reasoner", action="store_true",
                     help="skip the OWL consistency check (HermiT, needs Java)")
    run.add_argument("--quiet", action="store_true", help="no progress messages")


def _exit_for(report: Report) -> int:
    if any(d.code in _IO_CODES for d in report):
        return EXIT_USAGE
    return EXIT_FINDINGS if report.has_errors() else EXIT_OK


def compose_command(args: argparse.Namespace, out: TextIO) -> int:
    """``scalebridge compose``."""
    from scalebridge.composer import compose_files
    from scalebridge.files import write_atomic

    composition = compose_files(args.models, reasoner=not args.no_reasoner)
    print(composition.report.to_text(), file=out)
    if not composition.ok or composition.source is None:
        status = _exit_for(composition.report)
        return status if status != EXIT_OK else EXIT_FINDINGS
    try:
        write_atomic(Path(args.output), composition.source)
    except OSError as err:
        print(f"scalebridge: cannot write {args.output}: {err.strerror or err}", file=sys.stderr)
        return EXIT_USAGE
    print(f"solver written to {args.output}", file=out)
    return EXIT_OK


def run_command(args: argparse.Namespace, out: TextIO) -> int:
    """``scalebridge run``."""
    from scalebridge.runner import engineering_constants, parse_overrides, run_files

    overrides, problems = parse_overrides(args.settings)
    if problems:
        print(Report(tuple(problems)).to_text(), file=out)
        return EXIT_USAGE

    def progress(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    try:
        outcome = run_files(args.models, Path(args.out) if args.out else None,
                            overrides=overrides, reasoner=not args.no_reasoner, progress=progress)
    except OSError as err:
        print(f"scalebridge: cannot write the results: {err.strerror or err}", file=sys.stderr)
        return EXIT_USAGE
    print(outcome.report.to_text(), file=out)
    if not outcome.ok:
        status = _exit_for(outcome.report)
        return status if status != EXIT_OK else EXIT_FINDINGS
    if outcome.derived:
        print("derived quantities:", file=out)
        width = max(len(name) for name in outcome.derived)
        for name, (value, unit) in outcome.derived.items():
            print(f"  {name:<{width}} = {value:.6g} {unit}", file=out)
    program = outcome.composition.program if outcome.composition is not None else None
    described = {e.name: e for e in program.energies} if program is not None else {}
    for name, found in outcome.energies.items():
        print(f"energy functional {name}: stiffness (SI)", file=out)
        for row in found["stiffness"]:
            print("  " + "  ".join(f"{value:12.6g}" for value in row), file=out)
        constants = (engineering_constants(described[name], found["stiffness"])
                     if name in described else {})
        if constants:
            strains = described[name].strains
            moduli = ", ".join(f"{s} {v:.6g} {u}" for s, v, u in zip(
                strains, constants["moduli"]["value"], constants["moduli"]["unit"],
                strict=True))
            print(f"  moduli 1/S_ii: {moduli}", file=out)
            ratios = constants["contraction_ratios"]["value"]
            pairs = ", ".join(f"{strains[i]}->{strains[j]} {ratios[i][j]:.6g}"
                              for i in range(len(strains)) for j in range(len(strains))
                              if i != j and abs(ratios[i][j]) > 1e-12)
            if pairs:
                print(f"  contraction ratios -S_ij/S_ii: {pairs}", file=out)
    print(f"results written to {outcome.directory}:", file=out)
    for path in outcome.files:
        print(f"  {path.name}", file=out)
    return EXIT_OK
