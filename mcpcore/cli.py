"""The ``mcpcore`` command line.

* ``mcpcore serve TARGET``: run a :class:`~mcpcore.server.Server` over stdio (what a host's
  configuration names as the server command).
* ``mcpcore list|call|read|prompt``: look into a running server (``mcpcore._inspector``).
* ``mcpcore bench``: the benchmarks.
* ``mcpcore conformance``: the conformance suite (``conformance._cli`` parses the rest).

Hosts start stdio servers under a connect timeout, so building the parser imports nothing
heavy: each command loads what it needs when it runs. Exit status: 0 on success, 1 when the
command failed (with one line on stderr saying why), 2 for a malformed command line.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

import mcpcore
from mcpcore import _inspector

_SERVE_EXAMPLES = """\
TARGET names a Server object:
  package.module:attribute    an importable module (the working directory is searched first)
  path/to/file.py:attribute   a file; its directory is put first on sys.path for its imports
  path/to/file.py             the file's `server`, or its only Server

Only MCP messages are written to stdout: print() and logs go to stderr.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcpcore",
        description="mcpcore: a Model Context Protocol engine in pure Python.",
    )
    parser.add_argument("--version", action="version", version=f"mcpcore {mcpcore.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run an MCP server (a Server object in a module or file) over stdio or HTTP",
        description="Serve one MCP session on stdin/stdout until stdin closes or SIGTERM, or "
        "(--transport http) serve Streamable HTTP until interrupted.",
        epilog=_SERVE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("target", metavar="TARGET", help="module:attribute or file.py[:attribute]")
    serve.add_argument(
        "--transport",
        default="stdio",
        choices=("stdio", "http"),
        help="how clients connect: stdio (default) or http (Streamable HTTP)",
    )
    http = serve.add_argument_group("with --transport http")
    http.add_argument("--host", default="127.0.0.1", help="the address to bind (default: 127.0.0.1)")
    http.add_argument("--port", type=int, default=8000, help="the port to bind (default: 8000; 0 picks one)")
    http.add_argument("--path", default="/mcp", help="the MCP endpoint's path (default: /mcp)")
    http.add_argument("--stateless", action="store_true", help="no sessions: every POST stands alone")
    http.add_argument(
        "--json-response", action="store_true", help="answer requests with JSON bodies, never SSE streams"
    )
    http.add_argument(
        "--allow-origin",
        action="append",
        default=None,
        metavar="ORIGIN",
        help="accept requests from this browser Origin (repeatable; default: loopback origins only)",
    )
    http.add_argument(
        "--allow-host",
        action="append",
        default=None,
        metavar="HOST",
        help="accept this Host header (repeatable; default on loopback: loopback names only)",
    )
    http.add_argument(
        "--legacy-sse",
        action="store_true",
        help="also serve the deprecated 2024-11-05 HTTP+SSE transport at /sse and /messages",
    )
    http.add_argument(
        "--max-connections",
        type=int,
        default=1000,
        metavar="N",
        help="open connections at most (default: 1000; each session's GET stream holds one)",
    )
    http.add_argument("--no-access-log", action="store_true", help="do not log each request on stderr")
    serve.add_argument(
        "--backend", choices=_inspector.BACKENDS, default="asyncio", help="the event loop (default: asyncio)"
    )

    _inspector.add_commands(commands)

    # The suite's options are parsed by the suite itself, so that building this parser does not
    # import it (and `mcpcore serve` starts as fast as ever).
    conformance = commands.add_parser(
        "conformance",
        help="check an MCP server or client against the spec (mcpcore conformance --help)",
        add_help=False,
    )
    conformance.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    bench = commands.add_parser(
        "bench",
        help="measure message throughput, side by side with the floor",
        description="Run the benchmarks and print a table of medians (see benchmarks/).",
    )
    # Imported here so that `mcpcore --help` does not load the benchmarks.
    from benchmarks.cli import add_arguments

    add_arguments(bench)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from mcpcore import _target

    try:
        http_options = None
        if args.transport == "http":
            http_options = {
                "host": args.host,
                "port": args.port,
                "path": args.path,
                "stateless": args.stateless,
                "json_response": args.json_response,
                "allowed_origins": args.allow_origin,
                "allowed_hosts": args.allow_host,
                "legacy_sse": args.legacy_sse,
                "access_log": not args.no_access_log,
                "max_connections": args.max_connections,
            }
        _target.serve(args.target, transport=args.transport, backend=args.backend, http_options=http_options)
    except _target.TargetError as exc:
        first, _, rest = str(exc).partition("\n")
        sys.stderr.write(f"mcpcore serve: error: {first}\n" + (rest + "\n" if rest else ""))
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # The server itself failed (its lifespan, say): stderr gets the whole story.
        traceback.print_exc(file=sys.stderr)
        sys.stderr.write(f"mcpcore serve: error: the server stopped: {type(exc).__name__}: {exc}\n")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "serve":
        return _serve(args)
    if args.command in _inspector.COMMANDS:
        return _inspector.run(args)
    if args.command == "conformance":
        from conformance._cli import main as conformance_main

        return conformance_main(args.rest)
    if args.command == "bench":
        from benchmarks.cli import main as bench_main

        return bench_main(args)
    raise AssertionError(f"unhandled command {args.command!r}")  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
