"""The official Python MCP SDK as a benchmark peer, measured in the same run as our own workloads.

A figure for mcpcore means little on this kind of machine unless something well known is
measured beside it, seconds apart, under the same drift. The peer is the official SDK, pinned
to one release so that figures from different days compare. It cannot share our virtual
environment (it brings its own pins of pydantic, anyio and a dozen more, and the project allows
none of them as dependencies), so it lives in an environment of its own under the ignored
``.cache/`` folder, built once by :func:`ensure_peer_env` with pip, and each workload drives
one worker process in it (``_official_worker.py``) over a line protocol on its stdin/stdout:
``ready`` once set up, then ``run <n>`` answered by ``{"seconds": ...}``. Only the ``n``
calls are timed, inside the worker, so the pipe between the processes costs nothing measured.

The worker pairs the SDK's own client and server in one process the way its users are shown
to: an ``MCPServer`` with ``@server.tool()`` echo, and ``Client(server)``. For an in-process
server that client (in its default mode) calls the server's handlers directly, with no
JSON-RPC messages and no streams between them; :data:`LEGACY_WORKLOADS` force the
initialize handshake instead, which puts the SDK's JSON-RPC message objects on its in-memory
streams. Neither serialises to bytes, which our ``memory+codec`` workloads do: a ratio
against them flatters the peer, never us.

:data:`STDIO_WORKLOADS` put a process and real pipes between them, as ``benchmarks/stdio.py``
does for mcpcore: the worker's client is the SDK's stdio client (``Client(StdioServerParameters
(...))``, its default ``auto`` mode), spawning with the peer environment's Python the server
of ``_official_stdio_server.py``, an ``MCPServer`` with the same ``echo`` and ``flood`` tools
as ``examples/echo_server.py``. Each connect and each memory sample spawns a new server.

:data:`HTTP_WORKLOADS` do the same over Streamable HTTP: the worker's client is the SDK's own
(``Client(url)``), against ``_official_http_server.py`` (the ``echo`` tool of
``examples/echo_server.py`` in an ``MCPServer`` under uvicorn, on a free port of 127.0.0.1),
spawned once per workload session in one of two modes: ``sse``, the SDK's defaults (stateful
sessions, each POST answered with an SSE stream), and ``json`` (stateless, JSON bodies). The
client connects in ``legacy`` mode, the ``initialize`` handshake of 2025-11-25, which is what
mcpcore's client offers: in its default ``auto`` mode the SDK negotiates 2026-07-28 instead,
whose requests stand alone, so the server would hold no session and answer in JSON whatever
its mode, and neither the SSE responses nor the sessions would be measured. Connecting is
timed from ``Client(url)`` to the first ``tools/list`` answered, against the running server
(a new client, and so a new connection, each time; the SDK builds an HTTP client with a TLS
context for each). The memory of a session is the growth of the server's ``VmRSS`` while
``n`` sessions (initialized, one call made) are held open at once, over ``n``; each round's
worker spawns a fresh server for it. The SDK's server holds up to 10,000 sessions by default
and held the 1,000 of a round at ``--scale 1`` without refusing any.

The worker always runs on asyncio, whatever backend the harness is on, and says so in the
workload name: the SDK is built on anyio and could run on trio, but trio is not one of its
dependencies, and the peer environment holds the SDK as its users install it and nothing else.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import BinaryIO

import anyio
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from benchmarks.harness import Kind, Measure, Workload

PEER_VERSION = "2.3.0"
REQUIREMENT = f"mcp=={PEER_VERSION}"

REPO_ROOT = Path(__file__).resolve().parent.parent
# One environment per Python version: the peer must run on the interpreter we run on, or the
# ratio would compare two Pythons as much as two libraries.
_PY = f"py{sys.version_info.major}.{sys.version_info.minor}"
PEER_DIR = REPO_ROOT / ".cache" / "peers" / f"mcp-{PEER_VERSION}-{_PY}"
WORKER = Path(__file__).resolve().parent / "_official_worker.py"

# Written last by ensure_peer_env: without it the environment is taken as half-built and redone.
_STAMP = ".mcpcore-peer-ready"
_INSTALL_TIMEOUT = 900.0  # seconds for pip, which may have to download on a first run
_READY_TIMEOUT = 120.0  # the worker imports the SDK and makes one call before "ready"
_RUN_TIMEOUT = 600.0  # far above any round at --scale 1; only a hung worker reaches it
_EXIT_TIMEOUT = 10.0
_LINE_LIMIT = 1 << 16
_STDERR_TAIL = 4_000  # characters of the worker's or pip's output quoted in an error


def peer_python(env_dir: Path = PEER_DIR) -> Path:
    return env_dir / "bin" / "python"


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _STDERR_TAIL else "..." + text[-_STDERR_TAIL:]


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=_INSTALL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output = exc.output if isinstance(exc.output, str) else ""
        raise RuntimeError(f"{command[0]} timed out after {_INSTALL_TIMEOUT:g} s:\n{_tail(output)}") from exc
    if done.returncode != 0:
        raise RuntimeError(
            f"setting up the official MCP SDK peer failed (exit {done.returncode}) running "
            f"{' '.join(command)}:\n{_tail(done.stdout)}"
        )


def _stamped(stamp: Path) -> bool:
    return stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == REQUIREMENT


def ensure_peer_env(env_dir: Path = PEER_DIR) -> Path:
    """Build (once) the isolated environment holding the official SDK; return its directory.

    A missing registry is an error, never a skip: a benchmark that silently loses its peer
    produces ratios nobody can check.
    """
    stamp = env_dir / _STAMP
    if _stamped(stamp):
        return env_dir
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    # Two runs starting at once (a benchmark and the test suite) must not build it over each other.
    with open(env_dir.parent / f"{env_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _stamped(stamp):
            return env_dir
        print(
            f"installing the official MCP SDK {PEER_VERSION} into {env_dir}; once",
            file=sys.stderr,
            flush=True,
        )
        # --clear: whatever a broken earlier attempt left there is not to be trusted. venv run
        # from our interpreter builds on its base Python, so the peer shares no package with us.
        _run([sys.executable, "-m", "venv", "--clear", str(env_dir)])
        _run([str(peer_python(env_dir)), "-m", "pip", "install", "--disable-pip-version-check", REQUIREMENT])
        stamp.write_text(REQUIREMENT + "\n", encoding="utf-8")
    return env_dir


def _file_tail(log: BinaryIO) -> str:
    # pread leaves the offset alone: the worker, writing through the same open file, shares it.
    fd = log.fileno()
    size = os.fstat(fd).st_size
    start = max(0, size - _STDERR_TAIL)
    return _tail(os.pread(fd, size - start, start).decode("utf-8", "replace"))


class _Worker:
    def __init__(self, process: Process, stderr: BinaryIO, answer: str = "seconds") -> None:
        assert process.stdin is not None
        assert process.stdout is not None
        self._process = process
        self._stdin = process.stdin
        self._stdout = BufferedByteReceiveStream(process.stdout)
        self._stderr = stderr
        self._answer = answer  # the key of the figure in its answers: "seconds", or "value"

    def failure(self, what: str) -> RuntimeError:
        status = self._process.returncode
        exited = f" (worker exited with {status})" if status is not None else ""
        tail = _file_tail(self._stderr)
        quoted = f"; its stderr:\n{tail}" if tail else ""
        return RuntimeError(f"official SDK worker: {what}{exited}{quoted}")

    async def read_line(self, timeout: float) -> str:
        try:
            with anyio.fail_after(timeout):
                line = await self._stdout.receive_until(b"\n", _LINE_LIMIT)
        except TimeoutError:
            raise self.failure(f"no answer within {timeout:g} s") from None
        except (anyio.IncompleteRead, anyio.EndOfStream, anyio.BrokenResourceError):
            with anyio.move_on_after(_EXIT_TIMEOUT):
                await self._process.wait()  # for its exit status and its last words on stderr
            raise self.failure("closed its output") from None
        except anyio.DelimiterNotFound:
            raise self.failure(f"sent a line longer than {_LINE_LIMIT} bytes") from None
        return line.decode("utf-8", "replace")

    async def measure(self, n: int) -> float:
        try:
            await self._stdin.send(f"run {n}\n".encode())
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            raise self.failure("stopped reading its input") from None
        line = await self.read_line(_RUN_TIMEOUT)
        try:
            answer = json.loads(line)
        except ValueError:
            raise self.failure(f"answered {line!r}, not JSON") from None
        if isinstance(answer, dict):
            if "error" in answer:
                raise self.failure(f"run {n} failed: {answer['error']}")
            figure = answer.get(self._answer)
            if isinstance(figure, int | float) and not isinstance(figure, bool) and figure >= 0:
                return float(figure)
        raise self.failure(f"answered {line!r}, not {self._answer}")

    async def close(self) -> None:
        # End of input is the worker's signal to shut its client and server down and exit.
        with anyio.CancelScope(shield=True):
            try:
                await self._stdin.aclose()
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                pass
            with anyio.move_on_after(_EXIT_TIMEOUT):
                await self._process.wait()
            if self._process.returncode is None:
                self._process.kill()
                await self._process.wait()
            await self._process.aclose()


# Modes of the worker that answer a value (in the workload's unit) rather than seconds.
_VALUE_CALLS = ("rss", "sessions")


def peer_session(
    calls: str, connect: str, transport: str = "memory"
) -> Callable[[], AbstractAsyncContextManager[Measure]]:
    """A workload session: one worker making ``calls`` ("seq" or a count in flight; over stdio
    also "flood", "connect" or "rss"; over HTTP also "connect" or, over "http-sse", "sessions"),
    its client connected in the SDK's ``connect`` mode ("auto" or "legacy") over ``transport``
    ("memory", "stdio", "http-sse" or "http-json")."""

    @asynccontextmanager
    async def session() -> AsyncIterator[Measure]:
        env_dir = await anyio.to_thread.run_sync(ensure_peer_env)
        # -I: none of our PYTHONPATH or user site may leak into the peer's imports.
        command = [str(peer_python(env_dir)), "-I", str(WORKER), calls, "asyncio", connect, transport]
        answer = "value" if calls in _VALUE_CALLS else "seconds"
        # A file, not a pipe: nothing has to keep reading it for the worker never to block on it.
        # The stdio and HTTP servers the worker spawns write their stderr there too.
        with tempfile.TemporaryFile() as stderr:
            worker = _Worker(await anyio.open_process(command, stderr=stderr), stderr, answer)
            try:
                line = await worker.read_line(_READY_TIMEOUT)
                if line.strip() != "ready":
                    raise worker.failure(f"said {line!r} instead of 'ready'")
                yield worker.measure
            finally:
                await worker.close()

    return session


_IMPLEMENTATION = f"official SDK {PEER_VERSION}"
CONNECT_UNIT = "connects/s (1/latency)"  # as benchmarks/stdio.py says it; this module imports no mcpcore


def _workloads(connect: str, key: str, transport: str) -> list[Workload]:
    return [
        Workload(
            key=f"{key}-seq",
            name="tools/call, sequential (asyncio)",
            transport=transport,
            implementation=_IMPLEMENTATION,
            unit="calls/s",
            ops=2_000,
            session=peer_session("seq", connect),
        ),
        Workload(
            key=f"{key}-32",
            name="tools/call, 32 in flight (asyncio)",
            transport=transport,
            implementation=_IMPLEMENTATION,
            unit="calls/s",
            ops=4_000,
            session=peer_session("32", connect),
        ),
    ]


# ``Client(server)`` as its users get it: direct in-process dispatch, no JSON-RPC.
WORKLOADS = _workloads("auto", "official", "memory (direct)")
# ``Client(server, mode="legacy")``: the initialize handshake and JSON-RPC message objects on
# in-memory streams, the SDK's path closest to ours (still no bytes); opt-in, as it doubles the time.
LEGACY_WORKLOADS = _workloads("legacy", "official-legacy", "memory (JSON-RPC objects)")


def _stdio_workloads() -> list[Workload]:
    def workload(key: str, name: str, unit: str, ops: int, calls: str, kind: Kind = "rate") -> Workload:
        return Workload(
            key=f"official-stdio-{key}",
            name=f"{name} (asyncio)",
            transport="stdio",
            implementation=_IMPLEMENTATION,
            unit=unit,
            ops=ops,
            session=peer_session(calls, "auto", "stdio"),
            kind=kind,
        )

    # Fewer operations than ours: the same figures from rounds of a few seconds each.
    return [
        workload("seq", "tools/call, sequential", "calls/s", 1_000, "seq"),
        workload("32", "tools/call, 32 in flight", "calls/s", 2_000, "32"),
        workload("flood", "progress notifications of one call", "notifications/s", 10_000, "flood"),
        workload("connect", "spawn to first tools/list answered", CONNECT_UNIT, 5, "connect"),
        workload("idle-rss", "idle server memory", "MiB peak RSS", 1, "rss", kind="value"),
    ]


# The SDK's stdio client and server, in processes of their own (see benchmarks/stdio.py).
STDIO_WORKLOADS = _stdio_workloads()


SESSION_RSS_UNIT = "KiB RSS per session"


def _http_workloads() -> list[Workload]:
    def workload(
        key: str, name: str, transport: str, unit: str, ops: int, calls: str, kind: Kind = "rate"
    ) -> Workload:
        return Workload(
            key=f"official-http-{key}",
            name=f"{name} (asyncio)",
            transport=transport,
            implementation=_IMPLEMENTATION,
            unit=unit,
            ops=ops,
            session=peer_session(calls, "legacy", transport),
            kind=kind,
        )

    # A sequential call costs the SDK some 6 ms over HTTP here: these counts keep rounds to a
    # few seconds. A round of sessions takes a minute at --scale 1, most of it the clients'.
    def modern(key: str, name: str, ops: int, calls: str) -> Workload:
        # The SDK client's own default ("auto"), which speaks 2026-07-28 with its own server.
        return Workload(
            key=f"official-http-modern-{key}",
            name=f"{name}, 2026-07-28 (asyncio)",
            transport="http-modern",
            implementation=_IMPLEMENTATION,
            unit="calls/s",
            ops=ops,
            session=peer_session(calls, "auto", "http-sse"),
        )

    return [
        modern("seq", "tools/call, sequential", 500, "seq"),
        modern("32", "tools/call, 32 in flight", 1_000, "32"),
        workload("sse-seq", "tools/call, sequential", "http-sse", "calls/s", 500, "seq"),
        workload("sse-32", "tools/call, 32 in flight", "http-sse", "calls/s", 1_000, "32"),
        workload("json-seq", "tools/call, sequential", "http-json", "calls/s", 500, "seq"),
        workload("json-32", "tools/call, 32 in flight", "http-json", "calls/s", 1_000, "32"),
        workload("connect", "connect to first tools/list answered", "http-sse", CONNECT_UNIT, 10, "connect"),
        workload(
            "sessions-rss",
            "server memory per open session",
            "http-sse",
            SESSION_RSS_UNIT,
            1_000,
            "sessions",
            "value",
        ),
    ]


# The SDK's Streamable HTTP client and server (under uvicorn), in processes of their own. The
# transport names the server's mode: "http-sse" (sessions, SSE answers), "http-json" (stateless).
HTTP_WORKLOADS = _http_workloads()
