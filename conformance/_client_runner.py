"""Runs client scenarios: a test server per scenario, the client under test against it.

For each scenario, revision and transport the suite builds the scenario's test server, limited
to the revision under test (a client asking for a newer one is offered it, as the lifecycle
says), and runs ``CMD TARGET`` with ``MCP_CONFORMANCE_SCENARIO`` (and, when the scenario has
one, ``MCP_CONFORMANCE_CONTEXT``) in the environment:

* over HTTP, TARGET is the URL of the test server, which runs in the suite's process;
* over stdio, TARGET is a command line that starts the test server
  (``python -m conformance._client_server ...``), which the client launches as its server.

Everything that passes is captured (``conformance._capture``). When the client exits (or its
time is up) the scenario's checks read the capture; every message the client sent is also
validated against the schema of the negotiated revision.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import orjson

from conformance._capture import Capture, Recorder, RecordingApp, load_capture
from conformance._model import HANDSHAKE, Level, Scenario, ScenarioResult, SpecRef, Status
from conformance._report import Progress
from conformance._runner import Options, SuiteError, TestBase, own_problems
from mcpcore.modern import PROTOCOL_VERSION
from mcpcore.revisions import REVISIONS

__all__ = ["ClientRun", "ClientTest", "run_client_suite"]

_OUTPUT_LIMIT = 64 * 1024  # bytes of the client's stdout and stderr kept
_ROOT = str(Path(__file__).resolve().parent.parent)  # holds the conformance package


class ClientRun:
    """How the client process ended, and what it printed."""

    def __init__(self) -> None:
        self.exit_code: int | None = None
        self.timed_out = False
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.error: str | None = None  # the client could not be started

    def tail(self, limit: int = 800) -> str:
        text = bytes(self.stderr).decode("utf-8", "replace").strip()
        return text[-limit:]


class ClientTest(TestBase):
    """What a client scenario's checks get: the capture and how the client ended."""

    def __init__(
        self,
        revision: str,
        transport: str,
        result: ScenarioResult,
        options: Options,
        capture: Capture,
        run: ClientRun,
    ) -> None:
        super().__init__(revision, transport, result, options)
        self.capture = capture
        self.run = run
        self.trace = [_trace_line(record) for record in capture.records][-200:]


def _trace_line(record: dict[str, Any]) -> str:
    arrow = {"client": "->", "server": "<-"}.get(str(record.get("from")), "  ")
    value = record.get("message", record.get("http", record.get("undecodable")))
    return f"{arrow} {orjson.dumps(value, default=str).decode()[:1500]}"


async def _run_client(
    command: Sequence[str], target: str, env: dict[str, str], timeout: float, run: ClientRun
) -> None:
    try:
        process = await anyio.open_process([*command, target], env=env, start_new_session=True, stdin=None)
    except OSError as exc:
        run.error = f"cannot start the client {shlex.join(command)!r}: {exc}"
        return

    async def drain(stream: anyio.abc.ByteReceiveStream | None, into: bytearray) -> None:
        if stream is None:
            return
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            async for chunk in stream:
                into += chunk
                del into[:-_OUTPUT_LIMIT]

    async with process, anyio.create_task_group() as tg:
        tg.start_soon(drain, process.stdout, run.stdout)
        tg.start_soon(drain, process.stderr, run.stderr)
        with anyio.move_on_after(timeout) as scope:
            await process.wait()
        if scope.cancelled_caught:
            run.timed_out = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
            with anyio.move_on_after(3.0):
                await process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # the client's own children too
        with anyio.move_on_after(3.0):
            await process.wait()
        run.exit_code = process.returncode
        tg.cancel_scope.cancel()


async def _one(
    command: Sequence[str],
    transport: str,
    scenario: Scenario,
    revision: str,
    options: Options,
    client_timeout: float,
) -> ScenarioResult:
    from transports.http._server import HttpServer

    assert scenario.build is not None
    result = ScenarioResult(scenario.name, revision, transport)
    started = time.perf_counter()
    run = ClientRun()
    env = dict(os.environ)
    env["MCP_CONFORMANCE_SCENARIO"] = scenario.name
    if REVISIONS[revision].era == "modern" and scenario.names_revision:
        # Named, as the official suite does: a client may speak it without probing first. At a
        # handshake revision, and in the era detection scenarios, it is left out, so that the
        # negotiation or the detection itself is tested.
        env["MCP_CONFORMANCE_PROTOCOL_VERSION"] = revision
    else:
        env.pop("MCP_CONFORMANCE_PROTOCOL_VERSION", None)
    if scenario.context is not None:
        env["MCP_CONFORMANCE_CONTEXT"] = orjson.dumps(dict(scenario.context)).decode()
    else:
        env.pop("MCP_CONFORMANCE_CONTEXT", None)
    with tempfile.TemporaryDirectory(prefix="mcpcore-conformance-") as folder:
        path = Path(folder) / "capture.jsonl"
        if transport == "http":
            recorder = Recorder(path)
            try:
                app = RecordingApp(scenario.build(revision).asgi_app(access_log=False), recorder)
                http = HttpServer(app, host="127.0.0.1", port=0, shutdown_timeout=2.0)
                async with anyio.create_task_group() as tg:
                    await tg.start(http.serve)
                    await _run_client(command, f"http://127.0.0.1:{http.port}/mcp", env, client_timeout, run)
                    tg.cancel_scope.cancel()
            finally:
                recorder.close()
        else:
            # The suite's own package must be importable by the test server the client starts.
            root = _ROOT
            env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
            server_command = shlex.join(
                [sys.executable, "-m", "conformance._client_server", scenario.name, revision, str(path)]
            )
            await _run_client(command, server_command, env, client_timeout, run)
        capture = load_capture(path)
    test = ClientTest(revision, transport, result, options, capture, run)
    if run.error is not None:
        test.record("client-start", SpecRef(revision, "basic"), Status.FAILED, Level.MUST, run.error)
    else:
        try:
            await scenario.run(test)
        except Exception as exc:
            test.suite_error(exc)
        _generic_checks(test)
    result.seconds = time.perf_counter() - started
    return result


def _generic_checks(test: ClientTest) -> None:
    """What every client scenario checks: the client ended well, and sent only valid messages."""
    run, capture = test.run, test.capture
    with test.should("client-exit", "basic/lifecycle#shutdown") as c:
        c.expect(not run.timed_out, f"the client was still running after its time; stderr: {run.tail()}")
        c.expect(run.exit_code == 0, f"the client exited with status {run.exit_code}; stderr: {run.tail()}")
    section = "basic/transports#stdio" if test.transport == "stdio" else "basic/transports#streamable-http"
    if capture.undecodable:
        test.record(
            "framing",
            test.spec(section),
            Status.FAILED,
            Level.MUST,
            "the client sent something that is not a JSON-RPC message: " + "; ".join(capture.undecodable[:3]),
        )
    must: list[str] = []
    should: list[str] = []
    for message in capture.client_messages:
        revision = _enveloped_revision(message) or capture.negotiated or test.revision
        if isinstance(message, dict) and message.get("method") == "initialize":
            # The client's offer is written in the revision it offers, before any negotiation.
            offered = (message.get("params") or {}).get("protocolVersion")
            revision = offered if offered in HANDSHAKE else revision
        method = capture.method_of_response(message)
        label = method or (message.get("method") if isinstance(message, dict) else None) or "message"
        if test.options.schemas is not None:
            for problem in test.options.schemas.problems(revision, message, method):
                must.append(f"{label}: official schema: {problem}")
        for problem, advisory in own_problems(revision, message, method, sender="client"):
            (should if advisory else must).append(f"{label}: {problem}")
    if not capture.client_messages:
        return
    spec = test.spec("basic" if test.revision == "2024-11-05" else "basic#messages")
    if must:
        test.record("schema", spec, Status.FAILED, Level.MUST, "; ".join(must[:5]))
    elif should:
        test.record("schema", spec, Status.WARNING, Level.SHOULD, "; ".join(should[:5]))
    else:
        test.record(
            "schema", spec, Status.PASSED, Level.MUST, f"{len(capture.client_messages)} messages valid"
        )


def _enveloped_revision(message: Any) -> str | None:
    """The modern revision a request names in its envelope, if it names one we know: a client
    that probes before falling back to a handshake writes its probe in that revision."""
    params = message.get("params") if isinstance(message, dict) else None
    meta = params.get("_meta") if isinstance(params, dict) else None
    version = meta.get(PROTOCOL_VERSION) if isinstance(meta, dict) else None
    revision = REVISIONS.get(version) if isinstance(version, str) else None
    return version if revision is not None and revision.era == "modern" else None


async def run_client_suite(
    command: str,
    transport: str,
    scenarios: Sequence[Scenario],
    revisions: Sequence[str],
    options: Options,
    client_timeout: float = 30.0,
    progress: Progress | None = None,
) -> list[ScenarioResult]:
    """Run every scenario that applies, at each revision, over ``transport``."""
    argv = shlex.split(command)
    if not argv:
        raise SuiteError("--command is empty")
    plan = [(r, s) for r in revisions for s in scenarios if s.applies(r, transport)]
    results: list[ScenarioResult | None] = [None] * len(plan)
    limiter = anyio.CapacityLimiter(max(1, options.jobs))
    done = 0

    async def one(index: int, revision: str, scenario: Scenario) -> None:
        nonlocal done
        async with limiter:
            if progress is not None:
                progress(f"[{done}/{len(plan)}] client {revision} {transport} {scenario.name}")
            results[index] = await _one(argv, transport, scenario, revision, options, client_timeout)
            done += 1

    async with anyio.create_task_group() as tg:
        for index, (revision, scenario) in enumerate(plan):
            tg.start_soon(one, index, revision, scenario)
    return [r for r in results if r is not None]


def context_of(scenario: Scenario) -> dict[str, Any]:
    return dict(scenario.context or {})
