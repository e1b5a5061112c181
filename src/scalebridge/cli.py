"""The ``scalebridge`` command line.

Exit status: 0 when no errors were found (under ``--strict``, no warnings either), 1 when the
model has findings, 2 for usage errors and files that cannot be read, 3 for an internal error
of scalebridge itself (set ``SCALEBRIDGE_DEBUG=1`` to see its traceback).

Example
-------
>>> main(["--version"])  # doctest: +ELLIPSIS
scalebridge ...
0
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from scalebridge import __version__
from scalebridge.diagnostics import Code, Report

__all__ = ["main"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
_IO_CODES = {Code.LOAD_FILE_UNREADABLE}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error returns exit status 2 through main() rather than exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise _UsageError(f"{self.prog}: error: {message}")


class _UsageError(Exception):
    pass


def _parser() -> _Parser:
    parser = _Parser(
        prog="scalebridge",
        description="Validate multiscale physics models written as RDF/OWL graphs in Turtle.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    validate = commands.add_parser(
        "validate",
        help="check models: structure (SHACL), names, formulas, units, OWL consistency",
        description="Check each model file (with its local imports) and report every finding.",
    )
    validate.add_argument(
        "models",
        nargs="+",
        metavar="MODEL",
        help="a model file (.ttl, .nt or .jsonld); each is checked on its own",
    )
    validate.add_argument(
        "--format",
        choices=("text", "json", "turtle"),
        default="text",
        help="text for people (default), json for tools, turtle for a SHACL validation report",
    )
    validate.add_argument(
        "--strict", action="store_true", help="treat warnings (such as a missing unit) as errors"
    )
    validate.add_argument(
        "--no-reasoner",
        action="store_true",
        help="skip the OWL consistency check (HermiT, needs Java)",
    )
    validate.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text report (auto: only on a terminal)",
    )
    plot = commands.add_parser(
        "plot",
        help="draw a picture of a model, such as its scale separation map",
        description="Validate a model, then draw a picture of it.",
    )
    kinds = plot.add_subparsers(dest="kind", metavar="KIND", parser_class=_Parser, required=True)
    ssm = kinds.add_parser(
        "ssm",
        help="the scale separation map: submodels as boxes, couplings as arrows",
        description="Validate MODEL, print the report, and draw its scale separation map: time "
        "scale (s) against length scale (m), both logarithmic, one box per submodel from grain "
        "to extent, one arrow per coupling coloured by its timescale verdict (green accepted, "
        "orange adjacent, red rejected, grey unknown). The map is drawn even when the model "
        "has errors, as long as it can be read; the exit status is then 1.",
    )
    ssm.add_argument("model", metavar="MODEL", help="the model file (.ttl, .nt or .jsonld)")
    ssm.add_argument(
        "-o",
        "--output",
        default="ssm.png",
        metavar="PNG",
        help="the PNG file to write (default: ssm.png); replaced only once complete",
    )
    ssm.add_argument(
        "--strict", action="store_true", help="treat warnings as errors for the exit status"
    )
    ssm.add_argument(
        "--no-reasoner",
        action="store_true",
        help="skip the OWL consistency check (HermiT, needs Java)",
    )
    _add_plot_model(kinds)
    _add_inspect(commands)
    _add_gallery(commands)
    from scalebridge.cli_solve import add_commands

    add_commands(commands)
    return parser


def _add_inspect(commands: argparse._SubParsersAction[_Parser]) -> None:
    inspect = commands.add_parser(
        "inspect",
        help="print a model as plain-text tables: submodels, fields, parameters, equations, ...",
        description="Validate MODEL, then print it as tables: submodels, domains, fields, "
        "parameters, equations as formulas, relations, bridges and couplings with their "
        "timescale verdicts. When the model has errors they are listed first and the exit "
        "status is 1.",
    )
    inspect.add_argument("model", metavar="MODEL", help="the model file (.ttl, .nt or .jsonld)")
    inspect.add_argument(
        "--reasoner",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="also run the OWL consistency check (HermiT, needs Java; off by default)",
    )


def _add_plot_model(kinds: argparse._SubParsersAction[_Parser]) -> None:
    model = kinds.add_parser(
        "model",
        help="the model as a modeller draws it: submodels, domains, fields, bridges, flows",
        description="Validate MODEL, print the report, and draw it: one box per submodel with "
        "its domains and their fields, arrows for bridges, carrier flows, transfers and "
        "junctions, lines for couplings labelled with their strategy and coloured by their "
        "timescale verdict. Drawn even when the model has errors, as long as it can be read; "
        "the exit status is then 1.",
    )
    model.add_argument("model", metavar="MODEL", help="the model file (.ttl, .nt or .jsonld)")
    model.add_argument(
        "-o",
        "--output",
        default="model.png",
        metavar="PNG",
        help="the PNG file to write (default: model.png); replaced only once complete",
    )
    model.add_argument(
        "--strict", action="store_true", help="treat warnings as errors for the exit status"
    )
    model.add_argument(
        "--reasoner",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="also run the OWL consistency check (HermiT, needs Java; off by default)",
    )


def _add_gallery(commands: argparse._SubParsersAction[_Parser]) -> None:
    gallery = commands.add_parser(
        "gallery",
        help="run every example and compare its headline results with their references",
        description="Run each examples/*/model.ttl (and every model a gallery.toml row names), "
                    "then print the table: example, result, reference, error.",
    )
    gallery.add_argument("examples", nargs="?", default="examples", metavar="EXAMPLES",
                         help="the folder of examples (default: examples)")
    gallery.add_argument("--out", default="results", metavar="DIR",
                         help="where the runs write their results (default: results)")


def _gallery(args: argparse.Namespace, out: TextIO) -> int:
    from pathlib import Path

    from scalebridge.gallery import format_table, run_gallery

    examples = Path(args.examples)
    if not examples.is_dir():
        print(f"scalebridge gallery: {examples} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    outcomes, failed = run_gallery(examples, Path(args.out),
                                   say=lambda line: print(line, file=out))
    print(file=out)
    print(format_table(outcomes), file=out)
    print(f"\nResults (arrays, units, provenance, plots) are in: {args.out}/", file=out)
    if failed:
        print("runs that failed: " + ", ".join(failed), file=out)
    return EXIT_OK if not failed and all(o.ok for o in outcomes) else EXIT_FINDINGS


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    out = stdout or sys.stdout
    try:
        args = _parser().parse_args(list(argv) if argv is not None else None)
    except _UsageError as err:
        print(str(err), file=sys.stderr)
        return EXIT_USAGE
    if args.version:
        print(f"scalebridge {__version__}", file=out)
        return EXIT_OK
    if args.command is None:
        _parser().print_help(out)
        return EXIT_USAGE
    try:
        if args.command in ("compose", "run"):
            from scalebridge.cli_solve import compose_command, run_command

            return (compose_command if args.command == "compose" else run_command)(args, out)
        if args.command == "inspect":
            return _inspect(args, out)
        if args.command == "gallery":
            return _gallery(args, out)
        if args.command == "plot" and args.kind == "model":
            return _plot_model(args, out)
        if args.command == "plot":
            return _plot(args, out)
        return _validate(args, out)
    except BrokenPipeError:
        # The reader went away (``scalebridge validate ... | head``): nothing left to say.
        sys.stderr.close()
        return EXIT_OK
    except Exception as err:
        if os.environ.get("SCALEBRIDGE_DEBUG"):
            raise
        print(
            f"scalebridge: internal error: {type(err).__name__}: {err}\n"
            "This is a bug in scalebridge, not in your model; run with SCALEBRIDGE_DEBUG=1 "
            "to see the traceback.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    from scalebridge.coupling_report import coupling_summary
    from scalebridge.pipeline import validate_files

    report = Report()
    summaries = []
    for model in args.models:
        validation = validate_files([model], strict=args.strict, reasoner=not args.no_reasoner)
        report = report + validation.report
        summary = coupling_summary(validation.model, validation.report)
        if summary:
            summaries.append(f"{model}: what the coupling adds\n{summary}\n")
    color = args.color == "always" or (
        args.color == "auto" and out.isatty() and not os.environ.get("NO_COLOR")
    )
    if args.format == "json":
        print(report.to_json(), file=out)
    elif args.format == "turtle":
        print(report.to_turtle(), file=out)
    else:
        for summary in summaries:  # a proposed coupling leads the report
            print(summary, file=out)
        print(report.to_text(color=color), file=out)
    if any(d.code in _IO_CODES for d in report):
        return EXIT_USAGE
    return EXIT_FINDINGS if report.has_errors(strict=args.strict) else EXIT_OK


def _plot(args: argparse.Namespace, out: TextIO) -> int:
    from scalebridge.pipeline import validate_files
    from scalebridge.plots import write_ssm

    validation = validate_files([args.model], strict=args.strict, reasoner=not args.no_reasoner)
    report = validation.report
    print(report.to_text(), file=out)
    if any(d.code in _IO_CODES for d in report):
        return EXIT_USAGE
    if validation.model is None:
        return EXIT_FINDINGS
    try:
        written = write_ssm(validation.model, args.output)
    except OSError as err:
        print(f"scalebridge: cannot write {args.output}: {err.strerror or err}", file=sys.stderr)
        return EXIT_USAGE
    print(f"scale separation map written to {written}", file=out)
    return EXIT_FINDINGS if report.has_errors(strict=args.strict) else EXIT_OK


def _inspect(args: argparse.Namespace, out: TextIO) -> int:
    from scalebridge.diagnostics import Severity
    from scalebridge.inspect import render_inspection
    from scalebridge.pipeline import validate_files

    validation = validate_files([args.model], reasoner=args.reasoner)
    report = validation.report
    if any(d.code in _IO_CODES for d in report) or validation.model is None:
        print(report.to_text(), file=out)
        return EXIT_USAGE if any(d.code in _IO_CODES for d in report) else EXIT_FINDINGS
    errors = report.has_errors()
    if errors:
        # The errors alone, then the summary line of the whole report.
        listed = Report(tuple(report.by_severity(Severity.ERROR))).to_text().splitlines()[:-1]
        print("\n".join([*listed, report.to_text().splitlines()[-1]]) + "\n", file=out)
    print(render_inspection(validation.model, source=args.model), end="", file=out)
    return EXIT_FINDINGS if errors else EXIT_OK


def _plot_model(args: argparse.Namespace, out: TextIO) -> int:
    from scalebridge.model_plot import write_model_plot
    from scalebridge.pipeline import validate_files

    validation = validate_files([args.model], strict=args.strict, reasoner=args.reasoner)
    report = validation.report
    print(report.to_text(), file=out)
    if any(d.code in _IO_CODES for d in report):
        return EXIT_USAGE
    if validation.model is None:
        return EXIT_FINDINGS
    try:
        written = write_model_plot(validation.model, args.output, title=args.model)
    except OSError as err:
        print(f"scalebridge: cannot write {args.output}: {err.strerror or err}", file=sys.stderr)
        return EXIT_USAGE
    print(f"model picture written to {written}", file=out)
    return EXIT_FINDINGS if report.has_errors(strict=args.strict) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
