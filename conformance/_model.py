"""What the suite is made of: scenarios, checks, spec citations and results.

A *scenario* is an async function that drives a peer through one feature and records *checks*.
Each check has a stable name, a citation of the spec section it enforces (made concrete with
the revision under test, so the user can open the exact page), and a level:

* ``MUST`` checks fail the run when they fail;
* ``SHOULD`` checks only warn: the spec recommends the behaviour, or is ambiguous about it.

Scenarios register themselves with :func:`server_scenario` or :func:`client_scenario` when
their module is imported; the runner only iterates the registry. Adding a revision is adding
scenarios (or widening the ``revisions`` of existing ones), never changing the runner.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from mcpcore.revisions import HANDSHAKE_VERSIONS, REVISIONS

__all__ = [
    "ALL_REVISIONS",
    "HANDSHAKE",
    "CheckResult",
    "Level",
    "Scenario",
    "ScenarioResult",
    "SpecRef",
    "Status",
    "client_scenario",
    "client_scenarios",
    "server_scenario",
    "server_scenarios",
]

ALL_REVISIONS: tuple[str, ...] = tuple(REVISIONS)
"""Every revision the suite knows, oldest first."""
HANDSHAKE: tuple[str, ...] = tuple(HANDSHAKE_VERSIONS)
"""The revisions with ``initialize`` and sessions: a scenario's default."""

SPEC_SITE = "https://modelcontextprotocol.io/specification"
JSONRPC_SPEC = "https://www.jsonrpc.org/specification"

Transport: TypeAlias = Literal["stdio", "http"]
TRANSPORTS: tuple[Transport, ...] = ("stdio", "http")


class Level(enum.Enum):
    MUST = "must"  # a failure fails the run
    SHOULD = "should"  # a failure is a warning


class Status(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"  # a SHOULD check that failed
    SKIPPED = "skipped"  # not applicable to this target (say, a capability it lacks)


@dataclass(frozen=True, slots=True)
class SpecRef:
    """Where the spec says it: a page of one revision (``basic/lifecycle#initialization``),
    or an absolute URL for the texts MCP builds on (JSON-RPC, SSE, RFCs)."""

    revision: str
    section: str

    @property
    def url(self) -> str:
        if self.section.startswith(("http://", "https://")):
            return self.section
        return f"{SPEC_SITE}/{self.revision}/{self.section}"

    def __str__(self) -> str:
        if self.section.startswith(("http://", "https://")):
            return self.section
        return f"{self.revision} {self.section}"


@dataclass(slots=True)
class CheckResult:
    scenario: str
    check: str
    status: Status
    spec: SpecRef
    level: Level
    revision: str
    transport: str
    message: str = ""  # why it failed, warned or was skipped
    offending: Any = None  # the message (or HTTP exchange) that broke the rule
    trace: list[str] = field(default_factory=list)  # the exchange, for -v

    @property
    def id(self) -> str:
        """The identity used by baselines: ``scenario/check``."""
        return f"{self.scenario}/{self.check}"


@dataclass(slots=True)
class ScenarioResult:
    scenario: str
    revision: str
    transport: str
    checks: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: Status) -> int:
        return sum(1 for check in self.checks if check.status is status)

    @property
    def failed(self) -> bool:
        return any(check.status is Status.FAILED for check in self.checks)


ScenarioFunc: TypeAlias = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario: ``run(test)`` gets a ``ServerTest`` or a ``ClientTest``."""

    name: str
    summary: str
    run: ScenarioFunc
    revisions: tuple[str, ...]
    transports: tuple[Transport, ...]
    role: Literal["server", "client"]
    # Client scenarios: ``build(revision)`` makes the test server the client is run against
    # (it runs in the suite's process over HTTP, in a child process over stdio); ``context``
    # goes to the client as MCP_CONFORMANCE_CONTEXT.
    build: Callable[[str], Any] | None = None
    context: Mapping[str, Any] | None = None
    # Client scenarios of a modern revision: whether the client is told the revision
    # (MCP_CONFORMANCE_PROTOCOL_VERSION); era detection scenarios must leave it to find out.
    names_revision: bool = True

    def applies(self, revision: str, transport: str) -> bool:
        return revision in self.revisions and transport in self.transports


_SERVER: dict[str, Scenario] = {}
_CLIENT: dict[str, Scenario] = {}


def _register(
    registry: dict[str, Scenario],
    role: Literal["server", "client"],
    name: str,
    summary: str,
    revisions: Iterable[str] | None,
    transports: Iterable[Transport],
    build: Callable[[str], Any] | None = None,
    context: Mapping[str, Any] | None = None,
    names_revision: bool = True,
) -> Callable[[ScenarioFunc], ScenarioFunc]:
    chosen = HANDSHAKE if revisions is None else tuple(revisions)
    unknown = [revision for revision in chosen if revision not in ALL_REVISIONS]
    if unknown:
        raise ValueError(f"scenario {name!r} names unknown revisions {unknown}")
    kinds = tuple(transports)
    if not kinds or any(kind not in TRANSPORTS for kind in kinds):
        raise ValueError(f"scenario {name!r} names bad transports {kinds}")

    def decorate(func: ScenarioFunc) -> ScenarioFunc:
        if name in registry:
            raise ValueError(f"two {role} scenarios are named {name!r}")
        registry[name] = Scenario(name, summary, func, chosen, kinds, role, build, context, names_revision)
        return func

    return decorate


def server_scenario(
    name: str,
    summary: str,
    *,
    revisions: Iterable[str] | None = None,
    transports: Iterable[Transport] = TRANSPORTS,
) -> Callable[[ScenarioFunc], ScenarioFunc]:
    """Register a scenario that tests a server (``revisions=None``: every handshake revision)."""
    return _register(_SERVER, "server", name, summary, revisions, transports)


def client_scenario(
    name: str,
    summary: str,
    *,
    build: Callable[[str], Any],
    context: Mapping[str, Any] | None = None,
    revisions: Iterable[str] | None = None,
    transports: Iterable[Transport] = TRANSPORTS,
    names_revision: bool = True,
) -> Callable[[ScenarioFunc], ScenarioFunc]:
    """Register a scenario that tests a client: ``build(revision)`` returns the test server
    (an ``mcpcore.server.Server``); the decorated function checks what the client sent.
    ``names_revision=False`` keeps a modern revision from the client, which must detect it."""
    return _register(_CLIENT, "client", name, summary, revisions, transports, build, context, names_revision)


def _load() -> None:
    # The scenario modules register on import; importing the package imports them all.
    import conformance.scenarios  # noqa: F401


def server_scenarios() -> dict[str, Scenario]:
    _load()
    return dict(_SERVER)


def client_scenarios() -> dict[str, Scenario]:
    _load()
    return dict(_CLIENT)
