"""The ``mcpcore`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import mcpcore


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcpcore",
        description="mcpcore: a Model Context Protocol engine in pure Python.",
    )
    parser.add_argument("--version", action="version", version=f"mcpcore {mcpcore.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    bench = commands.add_parser(
        "bench",
        help="measure message throughput, side by side with the floor",
        description="Run the benchmarks and print a table of medians (see benchmarks/).",
    )
    # Imported here so that `mcpcore --help` does not load the benchmarks.
    from benchmarks.cli import add_arguments

    add_arguments(bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "bench":
        from benchmarks.cli import main as bench_main

        return bench_main(args)
    raise AssertionError(f"unhandled command {args.command!r}")  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
