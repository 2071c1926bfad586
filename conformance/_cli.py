"""``mcpcore conformance``: run the suite from the command line.

* ``mcpcore conformance server --command "CMD ..."`` (stdio) or ``--url URL`` (Streamable HTTP)
* ``mcpcore conformance client --command "CMD ..."``: the suite starts its own test servers and
  runs ``CMD TARGET`` against each, TARGET being the URL of the test server (``--transport
  http``) or a command line that starts it over stdio (``--transport stdio``); the scenario's
  name is in ``MCP_CONFORMANCE_SCENARIO``.
* ``mcpcore conformance list``: the scenarios, with the revisions and transports of each.
* ``mcpcore conformance official ...``: the official npm suite as a second judge.

Exit status: 0 when nothing failed unexpectedly, 1 when something did (or the baseline is
stale), 2 for a malformed command line or a target that cannot be tested at all.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import anyio
import anyio.abc

from conformance._baseline import Baseline, BaselineError, load_baseline
from conformance._model import ALL_REVISIONS, HANDSHAKE, Status, client_scenarios, server_scenarios
from conformance._report import Summary, progress_line, summarize, write_json, write_junit, write_table
from conformance._runner import (
    Options,
    ServerTarget,
    SuiteError,
    probe_revisions,
    run_server_suite,
    select,
)
from conformance._schema import SchemaError, SchemaSet

__all__ = ["add_arguments", "main", "run"]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--revision",
        action="append",
        choices=ALL_REVISIONS,
        metavar="REVISION",
        help="test this revision (repeatable; default: every revision the target supports)",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help="run this scenario (repeatable; shell patterns work)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    parser.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML to FILE")
    parser.add_argument(
        "--expected-failures",
        metavar="FILE",
        help="a YAML baseline of known failures: listed failures pass, listed passes fail as stale",
    )
    parser.add_argument(
        "--schemas",
        metavar="DIR",
        help="also validate every message against the official JSON schemas in DIR/<revision>/schema.json "
        "(the spec repository's schema/ folder; needs the jsonschema package)",
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, metavar="S", help="seconds per response (default: 10)"
    )
    parser.add_argument("--jobs", type=int, default=4, metavar="N", help="scenarios run at once (default: 4)")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show the message trace of failing checks"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress line")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    modes = parser.add_subparsers(dest="mode", metavar="MODE")
    modes.required = True

    server = modes.add_parser(
        "server",
        help="test an MCP server over stdio (--command) or Streamable HTTP (--url)",
        description="Connect to a server as a client and check every rule of the spec it must keep.",
    )
    where = server.add_mutually_exclusive_group(required=True)
    where.add_argument("--command", metavar="CMD", help="start the server with this command (stdio)")
    where.add_argument("--url", metavar="URL", help="the server's Streamable HTTP endpoint")
    server.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="environment for --command"
    )
    server.add_argument("--cwd", metavar="DIR", help="working directory for --command")
    server.add_argument(
        "--header", action="append", default=[], metavar="NAME: VALUE", help="an HTTP header on every request"
    )
    _common(server)

    client = modes.add_parser(
        "client",
        help="test an MCP client: the suite serves each scenario and runs the client against it",
        description="Run `CMD TARGET` once per scenario, TARGET being the test server's URL (http) or "
        "a command line starting it (stdio); MCP_CONFORMANCE_SCENARIO names the scenario.",
    )
    client.add_argument("--command", required=True, metavar="CMD", help="the client command")
    client.add_argument(
        "--transport",
        action="append",
        choices=("stdio", "http"),
        help="which transports to test the client over (repeatable; default: both)",
    )
    client.add_argument(
        "--client-timeout", type=float, default=30.0, metavar="S", help="seconds per client run"
    )
    _common(client)

    reference = modes.add_parser(
        "reference",
        help="run the suite against the bundled reference server and client (stdio and HTTP)",
        description="The scorecard of conformance.everything_server (over stdio and over HTTP) and "
        "conformance.everything_client (against the suite's test servers over both transports).",
    )
    reference.add_argument(
        "--schemas", metavar="DIR", help="also validate against the official schemas in DIR"
    )
    reference.add_argument("--json", metavar="FILE", help="also write every run as JSON to FILE")
    reference.add_argument("--junit", metavar="FILE", help="also write every run as JUnit XML to FILE")
    reference.add_argument("-v", "--verbose", action="store_true", help="show traces of failing checks")
    reference.add_argument("--quiet", action="store_true", help="no progress line")
    reference.add_argument(
        "--jobs", type=int, default=4, metavar="N", help="scenarios run at once (default: 4)"
    )
    reference.add_argument("--timeout", type=float, default=10.0, metavar="S", help="seconds per response")

    listing = modes.add_parser("list", help="list the scenarios")
    listing.add_argument("role", nargs="?", choices=("server", "client"), help="only this side's scenarios")

    official = modes.add_parser(
        "official",
        help="run the official npm conformance suite (@modelcontextprotocol/conformance) as a second judge",
    )
    from conformance.official import add_arguments as add_official

    add_official(official)


def _env(pairs: Sequence[str]) -> dict[str, str] | None:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SuiteError(f"--env wants KEY=VALUE, not {pair!r}")
        env[key] = value
    return env or None


def _headers(pairs: Sequence[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition(":")
        if not sep or not name.strip():
            raise SuiteError(f"--header wants 'Name: value', not {pair!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def _options(args: argparse.Namespace) -> Options:
    if args.timeout <= 0:
        raise SuiteError("--timeout must be positive")
    if args.jobs < 1:
        raise SuiteError("--jobs must be at least 1")
    schemas = SchemaSet(args.schemas) if args.schemas else None
    return Options(timeout=args.timeout, jobs=args.jobs, schemas=schemas, verbose=args.verbose)


def _finish(summary: Summary, args: argparse.Namespace) -> int:
    write_table(summary, sys.stdout, verbose=args.verbose)
    if args.json:
        write_json([summary], args.json)
    if args.junit:
        write_junit([summary], args.junit)
    return summary.exit_status()


async def _server(args: argparse.Namespace, baseline: Baseline | None) -> int:
    target = ServerTarget(
        command=args.command, url=args.url, env=_env(args.env), cwd=args.cwd, headers=_headers(args.header)
    )
    options = _options(args)
    scenarios = select(args.scenario, server_scenarios())
    started = time.perf_counter()
    notes: list[str] = []
    with progress_line(not args.quiet) as progress:
        progress(f"probing which revisions {target} supports")
        supported = await probe_revisions(target, options, ALL_REVISIONS)
        if args.revision:
            revisions = list(args.revision)
            refused = [r for r in revisions if r not in supported and r in ALL_REVISIONS]
            if refused:
                notes.append(
                    f"the server refused initialize (or server/discover) at {', '.join(refused)}; "
                    "its scenarios will fail"
                )
        else:
            revisions = supported
            others = [r for r in ALL_REVISIONS if r not in supported]
            if others:
                notes.append(f"not tested (the server does not negotiate them): {', '.join(others)}")
        if not revisions:
            sys.stderr.write(
                f"mcpcore conformance: error: {target} answered initialize (or server/discover) at no "
                f"revision ({', '.join(ALL_REVISIONS)}); is it an MCP server?\n"
            )
            return 2
        results = await run_server_suite(target, scenarios, revisions, options, progress)
    summary = summarize(
        "server",
        str(target),
        target.transport,
        revisions,
        results,
        time.perf_counter() - started,
        baseline,
        notes,
    )
    return _finish(summary, args)


async def _client(args: argparse.Namespace, baseline: Baseline | None) -> int:
    from conformance._client_runner import run_client_suite

    options = _options(args)
    scenarios = select(args.scenario, client_scenarios())
    transports = args.transport or ["stdio", "http"]
    revisions = list(args.revision or HANDSHAKE)
    started = time.perf_counter()
    summaries = []
    with progress_line(not args.quiet) as progress:
        for transport in transports:
            results = await run_client_suite(
                args.command, transport, scenarios, revisions, options, args.client_timeout, progress
            )
            summaries.append(
                summarize(
                    "client",
                    args.command,
                    transport,
                    revisions,
                    results,
                    time.perf_counter() - started,
                    baseline,
                )
            )
    status = 0
    for summary in summaries:
        write_table(summary, sys.stdout, verbose=args.verbose)
        status = max(status, summary.exit_status())
    if args.json:
        write_json(summaries, args.json)
    if args.junit:
        write_junit(summaries, args.junit)
    return status


def _list(args: argparse.Namespace) -> int:
    for role, registry in (("server", server_scenarios()), ("client", client_scenarios())):
        if args.role not in (None, role):
            continue
        print(f"{role} scenarios:")
        for scenario in registry.values():
            print(
                f"  {scenario.name:<36} [{', '.join(scenario.revisions)}] ({'/'.join(scenario.transports)})"
                f"  {scenario.summary}"
            )
    return 0


async def _start_http_reference(stack: contextlib.AsyncExitStack) -> str:
    """Serve the reference server over HTTP in a child process; its URL."""
    process = await anyio.open_process(
        [
            sys.executable,
            "-m",
            "mcpcore.cli",
            "serve",
            _REFERENCE_SERVER,
            "--transport",
            "http",
            "--port",
            "0",
            "--no-access-log",
        ],
        stdin=None,
        stdout=None,
        cwd=_ROOT,
    )

    async def stop() -> None:
        with anyio.CancelScope(shield=True):
            from benchmarks.harness import stop_child

            await stop_child(process)

    stack.push_async_callback(stop)
    assert process.stderr is not None
    seen = bytearray()
    with anyio.move_on_after(30):
        async for chunk in process.stderr:
            seen += chunk
            match = re.search(rb"at (http://\S+)\n", seen)
            if match:
                stack.push_async_callback(_drain, process.stderr)
                return match.group(1).decode()
    raise SuiteError(f"the reference server did not start over HTTP: {seen.decode(errors='replace')[-500:]}")


async def _drain(stream: anyio.abc.ByteReceiveStream) -> None:
    with contextlib.suppress(Exception), anyio.move_on_after(0.1):
        async for _ in stream:
            pass


_REFERENCE_SERVER = "conformance.everything_server:server"
_ROOT = str(Path(__file__).resolve().parent.parent)  # where `conformance` imports from


async def _reference(args: argparse.Namespace) -> int:
    """The main job's scorecard: our suite against our reference server and client."""
    from conformance._client_runner import run_client_suite

    options = _options(args)
    summaries: list[Summary] = []
    started = time.perf_counter()
    with progress_line(not args.quiet) as progress:
        async with contextlib.AsyncExitStack() as stack:
            url = await _start_http_reference(stack)
            command = shlex.join([sys.executable, "-m", "mcpcore.cli", "serve", _REFERENCE_SERVER])
            for target in (ServerTarget(command=command, cwd=_ROOT), ServerTarget(url=url)):
                begun = time.perf_counter()
                revisions = await probe_revisions(target, options, ALL_REVISIONS)
                results = await run_server_suite(
                    target, list(server_scenarios().values()), revisions, options, progress
                )
                summaries.append(
                    summarize(
                        "server",
                        _label(target),
                        target.transport,
                        revisions,
                        results,
                        time.perf_counter() - begun,
                        None,
                    )
                )
        client = shlex.join([sys.executable, "-m", "conformance.everything_client"])
        for transport in ("stdio", "http"):
            begun = time.perf_counter()
            results = await run_client_suite(
                client,
                transport,
                list(client_scenarios().values()),
                list(ALL_REVISIONS),
                options,
                30.0,
                progress,
            )
            summaries.append(
                summarize(
                    "client",
                    "conformance.everything_client",
                    transport,
                    list(ALL_REVISIONS),
                    results,
                    time.perf_counter() - begun,
                    None,
                )
            )
    for summary in summaries:
        write_table(summary, sys.stdout, verbose=args.verbose)
    print("\nScorecard (reference implementations):")
    for summary in summaries:
        print(
            f"  {summary.role:<6} {summary.transport:<5} {len(summary.results):>4} scenario runs  "
            f"{summary.count(Status.PASSED):>5} passed  {len(summary.unexpected):>3} failed  "
            f"{summary.count(Status.WARNING):>3} warnings  {summary.count(Status.SKIPPED):>3} skipped"
        )
    print(f"  in {time.perf_counter() - started:.1f} s")
    if args.json:
        write_json(summaries, args.json)
    if args.junit:
        write_junit(summaries, args.junit)
    return max(summary.exit_status() for summary in summaries)


def _label(target: ServerTarget) -> str:
    return f"{_REFERENCE_SERVER} ({'stdio' if target.command else target.url})"


def run(args: argparse.Namespace) -> int:
    if args.mode == "list":
        return _list(args)
    if args.mode == "reference":
        try:
            return anyio.run(_reference, args)
        except (SuiteError, SchemaError) as exc:
            sys.stderr.write(f"mcpcore conformance: error: {exc}\n")
            return 2
    if args.mode == "official":
        from conformance.official import run as run_official

        return run_official(args)
    try:
        baseline = load_baseline(args.expected_failures) if args.expected_failures else None
        if args.mode == "server":
            return anyio.run(_server, args, baseline)
        return anyio.run(_client, args, baseline)
    except (SuiteError, BaselineError, SchemaError) as exc:
        sys.stderr.write(f"mcpcore conformance: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mcpcore conformance", description="The MCP conformance suite.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
