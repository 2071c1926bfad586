"""Runs scenarios against a server under test and collects their checks.

For each revision the server supports (found by a handshake per revision, unless the user
names revisions), every scenario that applies to that revision and transport runs with a
fresh :class:`ServerTest`: its own sessions (a new process per session over stdio, a new
``Mcp-Session-Id`` over HTTP), its own trace, a time limit. When a scenario ends, every
message the server sent in it is validated against the negotiated revision's schema (the
official one with ``--schemas``) and against our own models, and the result is a scenario
check of its own, so a malformed message fails the scenario that provoked it.
"""

from __future__ import annotations

import contextlib
import fnmatch
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import anyio
import anyio.abc

from conformance._model import (
    HANDSHAKE,
    CheckResult,
    Level,
    Scenario,
    ScenarioResult,
    SpecRef,
    Status,
    server_scenarios,
)
from conformance._peer import HttpChannel, HttpInfo, PeerError, Session, StdioChannel, read_sse
from conformance._report import Progress
from conformance._schema import SchemaSet
from mcpcore.revisions import REVISIONS
from transports.http._pool import HttpClient, HttpError

__all__ = [
    "Check",
    "Options",
    "ServerTarget",
    "ServerTest",
    "SuiteError",
    "TestBase",
    "own_problems",
    "probe_revisions",
    "run_server_suite",
    "select",
]


class SuiteError(Exception):
    """The run cannot go on: a bad option, or a target that cannot be reached at all."""


@dataclass(frozen=True, slots=True)
class ServerTarget:
    """A server to test: a command that speaks stdio, or the URL of a Streamable HTTP endpoint."""

    command: str | None = None
    url: str | None = None
    env: Mapping[str, str] | None = None
    cwd: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.command is None) == (self.url is None):
            raise SuiteError("name the server with exactly one of --command (stdio) and --url (HTTP)")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise SuiteError(f"--url must be an http:// or https:// URL, not {self.url!r}")

    @property
    def transport(self) -> str:
        return "stdio" if self.command is not None else "http"

    def __str__(self) -> str:
        return self.command if self.command is not None else str(self.url)


@dataclass(slots=True)
class Options:
    timeout: float = 10.0  # seconds for one response
    scenario_timeout: float = 90.0  # seconds for a whole scenario
    jobs: int = 4  # scenarios at once
    schemas: SchemaSet | None = None
    verbose: bool = False


class _Failed(Exception):
    def __init__(self, message: str, offending: Any = None) -> None:
        super().__init__(message)
        self.offending = offending


class _Skipped(Exception):
    pass


class Check:
    """One named check, used as ``with test.check(name, section) as c:``.

    ``c.expect(condition, why)`` ends the check as failed when ``condition`` is false; leaving the
    block normally passes it. An error of the peer (:class:`PeerError`) inside the block fails
    it with its message; any other exception fails it as an error of the suite, with a trace.
    """

    def __init__(self, test: TestBase, name: str, spec: SpecRef, level: Level) -> None:
        self.test = test
        self.name = name
        self.spec = spec
        self.level = level
        self.notes: list[str] = []

    def __enter__(self) -> Check:
        return self

    def expect(self, condition: object, message: str, offending: Any = None) -> None:
        if not condition:
            raise _Failed(message, offending)

    def equal(self, actual: Any, expected: Any, what: str, offending: Any = None) -> None:
        if actual != expected:
            raise _Failed(f"{what}: expected {expected!r}, got {actual!r}", offending)

    def fail(self, message: str, offending: Any = None) -> None:
        raise _Failed(message, offending)

    def skip(self, reason: str) -> None:
        raise _Skipped(reason)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if exc is None:
            self.test.record(self.name, self.spec, Status.PASSED, self.level)
            return False
        if isinstance(exc, _Failed):
            status = Status.FAILED if self.level is Level.MUST else Status.WARNING
            self.test.record(self.name, self.spec, status, self.level, str(exc), exc.offending)
            return True
        if isinstance(exc, _Skipped):
            self.test.record(self.name, self.spec, Status.SKIPPED, self.level, str(exc))
            return True
        if isinstance(exc, PeerError):
            status = Status.FAILED if self.level is Level.MUST else Status.WARNING
            self.test.record(self.name, self.spec, status, self.level, str(exc))
            return True
        if isinstance(exc, Exception):
            where = "".join(traceback.format_exception(exc_type, exc, tb, limit=-3))
            self.test.record(
                self.name,
                self.spec,
                Status.FAILED,
                self.level,
                f"the check could not complete: {type(exc).__name__}: {exc}",
                where,
            )
            return True
        return False  # cancellation and interrupts go on up


class TestBase:
    """What every scenario gets: the revision and transport under test, and checks to record."""

    def __init__(self, revision: str, transport: str, result: ScenarioResult, options: Options) -> None:
        self.revision = revision
        self.transport = transport
        self.options = options
        self.timeout = options.timeout
        self.result = result
        self.trace: list[str] = []

    def spec(self, section: str, revision: str | None = None) -> SpecRef:
        return SpecRef(revision or self.revision, section)

    def check(
        self, name: str, section: str, *, level: Level = Level.MUST, revision: str | None = None
    ) -> Check:
        """A check citing ``section`` of the spec (of ``revision``, default the one under test)."""
        return Check(self, name, self.spec(section, revision), level)

    def should(self, name: str, section: str, *, revision: str | None = None) -> Check:
        """A check of a recommendation: failing it is a warning."""
        return self.check(name, section, level=Level.SHOULD, revision=revision)

    def skip(self, name: str, section: str, reason: str) -> None:
        self.record(name, self.spec(section), Status.SKIPPED, Level.MUST, reason)

    def suite_error(self, exc: Exception) -> None:
        """The scenario itself broke: a failure that says so, with where it happened."""
        self.record(
            "scenario",
            self.spec("basic"),
            Status.FAILED,
            Level.MUST,
            f"the scenario stopped on an error of the suite: {type(exc).__name__}: {exc}",
            "".join(traceback.format_exception(exc, limit=-4)),
        )

    def record(
        self,
        name: str,
        spec: SpecRef,
        status: Status,
        level: Level,
        message: str = "",
        offending: Any = None,
    ) -> None:
        trace = list(self.trace[-60:]) if status in (Status.FAILED, Status.WARNING) else []
        self.result.checks.append(
            CheckResult(
                self.result.scenario,
                name,
                status,
                spec,
                level,
                self.revision,
                self.transport,
                message,
                offending,
                trace,
            )
        )


class ServerTest(TestBase):
    """What a server scenario gets: besides checks, sessions to open and raw HTTP for the
    transport rules."""

    def __init__(
        self,
        target: ServerTarget,
        revision: str,
        result: ScenarioResult,
        options: Options,
        tg: anyio.abc.TaskGroup,
        http: HttpClient | None,
    ) -> None:
        super().__init__(revision, target.transport, result, options)
        self.target = target
        self.sessions: list[Session] = []
        self._tg = tg
        self._http = http

    # -- peers -----------------------------------------------------------------------------------

    @property
    def http(self) -> HttpClient:
        if self._http is None:
            raise SuiteError("raw HTTP is only there when the server is tested over HTTP")
        return self._http

    @property
    def url(self) -> str:
        if self.target.url is None:
            raise SuiteError("this target has no URL: it is tested over stdio")
        return self.target.url

    def channel(self) -> StdioChannel | HttpChannel:
        if self.target.command is not None:
            return StdioChannel(self.target.command, env=self.target.env, cwd=self.target.cwd)
        return HttpChannel(self.url, self.http, headers=self.target.headers)

    async def session(
        self,
        *,
        initialize: bool = True,
        protocol_version: str | None = None,
        capabilities: dict[str, Any] | None = None,
        initialized: bool = True,
    ) -> Session:
        """A new session (a new process over stdio), by default past the handshake at the
        revision under test. A failed handshake raises :class:`PeerError`."""
        channel = self.channel()
        session = Session(channel, self._tg, timeout=self.timeout, trace=self.trace)
        self.sessions.append(session)
        await channel.start(session._deliver, self._tg)
        if initialize:
            version = protocol_version or self.revision
            reply = await session.initialize(version, capabilities=capabilities, initialized=initialized)
            if reply.result is None:
                raise PeerError(f"initialize at {version} was refused: {reply.message}")
            if session.revision != version:
                raise PeerError(f"initialize at {version} negotiated {session.revision!r} instead")
        return session

    async def raw(
        self, method: str, *, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> HttpInfo:
        """One HTTP request to the endpoint, exactly as given; the body is read whole unless it
        is an event stream, of which the events present within a second are read."""
        try:
            response = await self.http.request(method, self.url, headers=dict(headers or {}), body=body)
        except HttpError as exc:
            raise PeerError(f"{method} {self.url} failed: {exc}") from None
        info = HttpInfo(method, response.status, response.headers)
        self.trace.append(f"-> {method} {body[:500]!r} {dict(headers or {})}")
        try:
            if info.content_type == "text/event-stream":
                with anyio.move_on_after(1.0):
                    await read_sse(info, response)
            else:
                info.body = await response.read()
        except HttpError as exc:
            raise PeerError(f"{method} {self.url}: the response broke off: {exc}") from None
        finally:
            await response.aclose()
        self.trace.append(f"<- {info} {info.body[:500]!r} {info.events[:5]}")
        return info

    async def close(self) -> None:
        for session in self.sessions:
            await session.close()


def select(names: Sequence[str] | None, registry: Mapping[str, Scenario]) -> list[Scenario]:
    """The scenarios named (shell patterns allowed), in registry order."""
    if not names:
        return list(registry.values())
    chosen: list[Scenario] = []
    for pattern in names:
        matched = [s for name, s in registry.items() if fnmatch.fnmatchcase(name, pattern)]
        if not matched:
            raise SuiteError(f"no scenario matches {pattern!r} (mcpcore conformance list shows them)")
        chosen.extend(s for s in matched if s not in chosen)
    order = list(registry.values())
    return sorted(chosen, key=order.index)


async def probe_revisions(
    target: ServerTarget, options: Options, revisions: Sequence[str] = HANDSHAKE
) -> list[str]:
    """The revisions a server accepts: it answers ``initialize`` at each with that revision, or,
    for a revision of the modern era, lists it in its ``server/discover`` result."""
    supported: list[str] = []
    async with contextlib.AsyncExitStack() as stack:
        http = None
        if target.url is not None:
            http = await stack.enter_async_context(HttpClient(read_timeout=options.timeout))
        for revision in revisions:
            result = ScenarioResult("probe", revision, target.transport)
            async with anyio.create_task_group() as tg:
                test = ServerTest(target, revision, result, options, tg, http)
                try:
                    with anyio.fail_after(options.timeout + 5):
                        if REVISIONS[revision].era == "modern":
                            await _discover(test, revision)
                        else:
                            await test.session(initialized=False)
                except (PeerError, TimeoutError):
                    pass
                else:
                    supported.append(revision)
                finally:
                    await test.close()
                    tg.cancel_scope.cancel()
    return supported


async def _discover(test: ServerTest, revision: str) -> None:
    """Raise PeerError unless ``server/discover`` at ``revision`` lists ``revision``."""
    from conformance.scenarios.server_modern import envelope, routing_headers

    session = await test.session(initialize=False)
    params = {"_meta": envelope(revision)}
    reply = await session.request(
        "server/discover", params, headers=routing_headers(session, "server/discover", params)
    )
    versions = (reply.result or {}).get("supportedVersions")
    if not isinstance(versions, list) or revision not in versions:
        raise PeerError(f"server/discover at {revision} did not list it: {reply.message}")


async def run_server_suite(
    target: ServerTarget,
    scenarios: Sequence[Scenario],
    revisions: Sequence[str],
    options: Options,
    progress: Progress | None = None,
) -> list[ScenarioResult]:
    """Run every scenario that applies at each revision; results in a stable order."""
    plan = [
        (revision, s) for revision in revisions for s in scenarios if s.applies(revision, target.transport)
    ]
    results: list[ScenarioResult | None] = [None] * len(plan)
    limiter = anyio.CapacityLimiter(max(1, options.jobs))
    done = 0

    async with contextlib.AsyncExitStack() as stack:
        http = None
        if target.url is not None:
            http = await stack.enter_async_context(
                HttpClient(read_timeout=options.timeout, max_connections=max(8, 4 * options.jobs))
            )

        async def one(index: int, revision: str, scenario: Scenario) -> None:
            nonlocal done
            async with limiter:
                if progress is not None:
                    progress(f"[{done}/{len(plan)}] {revision} {target.transport} {scenario.name}")
                results[index] = await _run_one(target, scenario, revision, options, http)
                done += 1
                if progress is not None:
                    progress(f"[{done}/{len(plan)}] {revision} {target.transport} {scenario.name}")

        async with anyio.create_task_group() as tg:
            for index, (revision, scenario) in enumerate(plan):
                tg.start_soon(one, index, revision, scenario)
    return [result for result in results if result is not None]


async def _run_one(
    target: ServerTarget, scenario: Scenario, revision: str, options: Options, http: HttpClient | None
) -> ScenarioResult:
    result = ScenarioResult(scenario.name, revision, target.transport)
    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        test = ServerTest(target, revision, result, options, tg, http)
        try:
            with anyio.fail_after(options.scenario_timeout):
                await scenario.run(test)
        except TimeoutError:
            test.record(
                "scenario",
                SpecRef(revision, "basic"),
                Status.FAILED,
                Level.MUST,
                f"the scenario did not finish within {options.scenario_timeout:g} s",
            )
        except PeerError as exc:
            test.record("scenario", SpecRef(revision, "basic"), Status.FAILED, Level.MUST, str(exc))
        except Exception as exc:
            test.suite_error(exc)
        finally:
            with anyio.CancelScope(shield=True):
                await test.close()
            tg.cancel_scope.cancel()
    _validate_capture(test, options)
    result.seconds = time.perf_counter() - started
    return result


def _validate_capture(test: ServerTest, options: Options) -> None:
    """The scenario's schema check: every message the server sent, at the negotiated revision."""
    must: list[str] = []
    should: list[str] = []
    checked = 0
    framing: list[str] = []
    for session in test.sessions:
        framing.extend(session.channel.violations)
        revisions = _revisions_of(session)
        for traffic in session.capture:
            if traffic.sent:
                continue
            revision = revisions.get(_id_of(traffic.message), revisions.get(None))
            if revision is None:
                continue
            checked += 1
            message, method = traffic.message, traffic.method
            label = method or (message.get("method") if isinstance(message, dict) else None) or "message"
            if options.schemas is not None:
                for problem in options.schemas.problems(revision, message, method):
                    must.append(f"{label}: official schema: {problem}")
            for problem, advisory in own_problems(revision, message, method):
                (should if advisory else must).append(f"{label}: {problem}")
    if framing:
        section = (
            "basic/transports#stdio" if test.transport == "stdio" else "basic/transports#streamable-http"
        )
        test.record("framing", test.spec(section), Status.FAILED, Level.MUST, "; ".join(framing[:5]))
    if not checked:
        return
    spec = test.spec(_MESSAGES.get(test.revision, "basic#messages"))
    if must:
        test.record("schema", spec, Status.FAILED, Level.MUST, "; ".join(must[:5]) + _more(must))
    elif should:
        test.record("schema", spec, Status.WARNING, Level.SHOULD, "; ".join(should[:5]) + _more(should))
    else:
        test.record("schema", spec, Status.PASSED, Level.MUST, f"{checked} messages valid")


_VERSION_KEY = "io.modelcontextprotocol/protocolVersion"


def _id_of(message: Any) -> Any:
    """The id of a response (what it answers); None for anything else."""
    if isinstance(message, dict) and "method" not in message:
        key = message.get("id")
        if isinstance(key, (str, int)) and not isinstance(key, bool):
            return key
    return None


def _revisions_of(session: Session) -> dict[Any, str]:
    """At which revision to read what the server sent: by our request id, and (None) otherwise.

    A handshake session has one revision. In the modern era each request names its own in
    its envelope; its answer is read at that revision, and anything else the server sent at
    the modern revision the session's requests used (none, if they used several). A request
    naming a revision we do not know (a scenario probing the version error) gives no key: its
    answer is read at that default.
    """
    if session.revision is not None:
        return {None: session.revision}
    by_id: dict[Any, str] = {}
    for traffic in session.capture:
        message = traffic.message
        if not traffic.sent or not isinstance(message, dict) or "method" not in message:
            continue
        params = message.get("params")
        meta = params.get("_meta") if isinstance(params, dict) else None
        version = meta.get(_VERSION_KEY) if isinstance(meta, dict) else None
        if not isinstance(version, str) or version not in REVISIONS or REVISIONS[version].era != "modern":
            continue
        key = message.get("id")
        if isinstance(key, (str, int)) and not isinstance(key, bool):
            by_id[key] = version
    used = set(by_id.values())
    if len(used) == 1:
        by_id[None] = used.pop()
    return by_id


def own_problems(
    revision: str, message: Any, method: str | None, *, sender: str = "server"
) -> list[tuple[str, bool]]:
    """What our own models of ``revision`` find wrong: (problem, advisory) pairs."""
    from conformance import _models

    try:
        problems = _models.check_message(revision, message, sender=sender, method=method)  # type: ignore[arg-type]
    except _models.RevisionError:
        return []  # a revision the models do not describe: the official schemas alone judge it
    # A name of another revision breaks no schema (objects are open) but shows a message not
    # fitted to the revision in use: a warning, not a failure.
    return [(str(problem), problem.kind in _models.ADVISORY) for problem in problems]


# Where each revision defines its messages (2024-11-05 has no "Messages" heading).
_MESSAGES = {"2024-11-05": "basic"}


def _more(items: list[str]) -> str:
    return f" (and {len(items) - 5} more)" if len(items) > 5 else ""


def all_server_scenarios() -> dict[str, Scenario]:
    return server_scenarios()
