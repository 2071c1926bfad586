"""What each MCP protocol revision contains: one table, so that code asks it, not version strings.

Each :class:`Revision` says which requests and notifications exist in each direction, which
capability gates a method, whether JSON-RPC batches must be received, and the few rules that
changed between revisions. The method sets follow the ``ClientRequest`` / ``ServerRequest`` /
``ClientNotification`` / ``ServerNotification`` unions of each revision's schema (the tests
compare them with the official schema files).

The handshake era (2024-11-05 to 2025-11-25) opens with ``initialize``; the modern era
(2026-07-28) has no session: every request carries its revision and capabilities in ``_meta``,
and the server sends no requests at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from mcpcore.errors import INVALID_PARAMS, RESOURCE_NOT_FOUND

__all__ = [
    "FEATURES",
    "HANDSHAKE_VERSIONS",
    "LATEST",
    "LATEST_HANDSHAKE",
    "MODERN_VERSIONS",
    "REVISIONS",
    "VERSIONS",
    "Revision",
    "client_capability_for",
    "get",
    "handshake_versions",
    "server_capability_for",
    "split_versions",
]


@dataclass(frozen=True, slots=True)
class Revision:
    version: str
    era: Literal["handshake", "modern"]
    client_requests: frozenset[str]  # client to server
    server_requests: frozenset[str]  # server to client
    client_notifications: frozenset[str]
    server_notifications: frozenset[str]
    receives_batches: bool  # 2025-03-26 only: receiving JSON-RPC batches is a MUST
    resource_not_found: int  # the error code of resources/read for an unknown URI
    omits_unknown_error_id: bool  # an error for an unreadable request has no "id" (else "id": null)
    features: frozenset[str] = frozenset()  # see FEATURES

    def __str__(self) -> str:
        return self.version

    def has(self, feature: str) -> bool:
        """Whether this revision has ``feature`` (a key of :data:`FEATURES`)."""
        return feature in self.features

    def client_may_send(self, method: str) -> bool:
        return method in self.client_requests or method in self.client_notifications

    def server_may_send(self, method: str) -> bool:
        return method in self.server_requests or method in self.server_notifications


# The server capability a client-to-server request needs; absent methods need none. In
# 2024-11-05 completion/complete was not gated yet (the "completions" capability came in
# 2025-03-26), which `server_capability_for` accounts for.
_SERVER_CAPABILITY: Final = {
    "tools/list": "tools",
    "tools/call": "tools",
    "prompts/list": "prompts",
    "prompts/get": "prompts",
    "resources/list": "resources",
    "resources/templates/list": "resources",
    "resources/read": "resources",
    "resources/subscribe": "resources.subscribe",
    "resources/unsubscribe": "resources.subscribe",
    "logging/setLevel": "logging",
    "completion/complete": "completions",
}

# The client capability a server-to-client request needs.
_CLIENT_CAPABILITY: Final = {
    "sampling/createMessage": "sampling",
    "roots/list": "roots",
    "elicitation/create": "elicitation",
}


def server_capability_for(revision: Revision, method: str) -> str | None:
    """The server capability (dotted path) that ``method`` needs under ``revision``, if any."""
    if method == "completion/complete" and revision.version == "2024-11-05":
        return None
    return _SERVER_CAPABILITY.get(method)


def client_capability_for(method: str) -> str | None:
    """The client capability that a server-to-client ``method`` needs, if any."""
    return _CLIENT_CAPABILITY.get(method)


_F = frozenset

FEATURES: Final[dict[str, str]] = {
    # feature: the first revision that has it. Code asks ``revision.has(feature)``; the tests
    # check each entry against the fields of the official schemas.
    "audio": "2025-03-26",  # AudioContent
    "tool_annotations": "2025-03-26",  # Tool.annotations
    "progress_message": "2025-03-26",  # ProgressNotification.message
    "completions_capability": "2025-03-26",  # ServerCapabilities.completions gates completion/complete
    "titles": "2025-06-18",  # title on tools, resources, templates, prompts, arguments, Implementation
    "structured_output": "2025-06-18",  # Tool.outputSchema, CallToolResult.structuredContent
    "resource_links": "2025-06-18",  # ResourceLink content blocks
    "meta_fields": "2025-06-18",  # _meta on entities, content blocks and contents
    "last_modified": "2025-06-18",  # Annotations.lastModified
    "completion_context": "2025-06-18",  # CompleteRequest.params.context
    "elicitation": "2025-06-18",  # elicitation/create
    "icons": "2025-11-25",  # icons on Implementation, tools, resources, templates, prompts
    "implementation_details": "2025-11-25",  # Implementation.description and websiteUrl
    "url_elicitation": "2025-11-25",  # elicitation mode "url", notifications/elicitation/complete
    "enum_schemas": "2025-11-25",  # titled and multi-select enums, defaults on every primitive
    "sampling_tools": "2025-11-25",  # CreateMessageRequest tools/toolChoice, tool_use content
    "tool_errors_in_result": "2025-11-25",  # bad tool arguments are an isError result (SEP-1303)
    # Transport rules of the prose (basic/transports.mdx), not of the schema:
    "protocol_version_header": "2025-06-18",  # MCP-Protocol-Version on every HTTP request after init
    "sse_polling": "2025-11-25",  # SSE priming event and retry field; the server may end a stream early
}
_ORDER: Final = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28")


def _features(version: str) -> frozenset[str]:
    rank = _ORDER.index(version)
    return frozenset(f for f, since in FEATURES.items() if _ORDER.index(since) <= rank)


# 2024-11-05, the first revision; the others are described by what they changed.
_CLIENT_REQUESTS_2024: Final = _F(
    {
        "initialize",
        "ping",
        "completion/complete",
        "logging/setLevel",
        "prompts/get",
        "prompts/list",
        "resources/list",
        "resources/read",
        "resources/subscribe",
        "resources/templates/list",
        "resources/unsubscribe",
        "tools/call",
        "tools/list",
    }
)
_SERVER_REQUESTS_2024: Final = _F({"ping", "roots/list", "sampling/createMessage"})
_CLIENT_NOTIFICATIONS_2024: Final = _F(
    {
        "notifications/cancelled",
        "notifications/initialized",
        "notifications/progress",
        "notifications/roots/list_changed",
    }
)
_SERVER_NOTIFICATIONS_2024: Final = _F(
    {
        "notifications/cancelled",
        "notifications/message",
        "notifications/progress",
        "notifications/prompts/list_changed",
        "notifications/resources/list_changed",
        "notifications/resources/updated",
        "notifications/tools/list_changed",
    }
)
# 2025-11-25 adds experimental tasks, in both directions.
_TASKS: Final = _F({"tasks/get", "tasks/result", "tasks/cancel", "tasks/list"})

_REVISIONS = (
    Revision(
        "2024-11-05",
        "handshake",
        _CLIENT_REQUESTS_2024,
        _SERVER_REQUESTS_2024,
        _CLIENT_NOTIFICATIONS_2024,
        _SERVER_NOTIFICATIONS_2024,
        receives_batches=False,
        resource_not_found=RESOURCE_NOT_FOUND,
        omits_unknown_error_id=False,
        features=_features("2024-11-05"),
    ),
    Revision(
        "2025-03-26",
        "handshake",
        _CLIENT_REQUESTS_2024,
        _SERVER_REQUESTS_2024,
        _CLIENT_NOTIFICATIONS_2024,
        _SERVER_NOTIFICATIONS_2024,
        receives_batches=True,
        resource_not_found=RESOURCE_NOT_FOUND,
        omits_unknown_error_id=False,
        features=_features("2025-03-26"),
    ),
    Revision(
        "2025-06-18",
        "handshake",
        _CLIENT_REQUESTS_2024,
        _SERVER_REQUESTS_2024 | {"elicitation/create"},
        _CLIENT_NOTIFICATIONS_2024,
        _SERVER_NOTIFICATIONS_2024,
        receives_batches=False,
        resource_not_found=RESOURCE_NOT_FOUND,
        omits_unknown_error_id=False,
        features=_features("2025-06-18"),
    ),
    Revision(
        "2025-11-25",
        "handshake",
        _CLIENT_REQUESTS_2024 | _TASKS,
        _SERVER_REQUESTS_2024 | {"elicitation/create"} | _TASKS,
        _CLIENT_NOTIFICATIONS_2024 | {"notifications/tasks/status"},
        _SERVER_NOTIFICATIONS_2024 | {"notifications/tasks/status", "notifications/elicitation/complete"},
        receives_batches=False,
        resource_not_found=RESOURCE_NOT_FOUND,
        omits_unknown_error_id=True,
        features=_features("2025-11-25"),
    ),
    Revision(
        "2026-07-28",
        "modern",
        # No session: initialize, ping and logging/setLevel are gone, subscriptions move to a
        # listen stream, and server/discover is new.
        (
            _CLIENT_REQUESTS_2024
            - {"initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"}
        )
        | {"server/discover", "subscriptions/listen"},
        _F(),  # sampling, roots and elicitation travel inside input-required results instead
        _F({"notifications/cancelled"}),
        _SERVER_NOTIFICATIONS_2024 | {"notifications/subscriptions/acknowledged"},
        receives_batches=False,
        resource_not_found=INVALID_PARAMS,  # -32002 is retired
        omits_unknown_error_id=True,
        features=_features("2026-07-28"),
    ),
)

REVISIONS: Final[dict[str, Revision]] = {r.version: r for r in _REVISIONS}
"""Every revision by its version string, oldest first."""

VERSIONS: Final = tuple(REVISIONS)
HANDSHAKE_VERSIONS: Final = tuple(r.version for r in _REVISIONS if r.era == "handshake")
MODERN_VERSIONS: Final = tuple(r.version for r in _REVISIONS if r.era == "modern")
LATEST_HANDSHAKE: Final = HANDSHAKE_VERSIONS[-1]
LATEST: Final = _REVISIONS[-1].version


def handshake_versions(versions: Iterable[str]) -> tuple[str, ...]:
    """``versions`` sorted oldest first, after checking each is a handshake revision we speak."""
    chosen = tuple(sorted(set(versions)))
    unknown = [v for v in chosen if v not in REVISIONS or REVISIONS[v].era != "handshake"]
    if unknown or not chosen:
        raise ValueError(
            f"versions must be some of the handshake revisions {HANDSHAKE_VERSIONS}, not {unknown}"
        )
    return chosen


def split_versions(versions: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``versions`` checked and split by era: (handshake, modern), each oldest first."""
    chosen = tuple(sorted(set(versions)))
    unknown = [v for v in chosen if v not in REVISIONS]
    if unknown or not chosen:
        raise ValueError(f"versions must be some of {VERSIONS}, not {unknown or 'nothing'}")
    return (
        tuple(v for v in chosen if REVISIONS[v].era == "handshake"),
        tuple(v for v in chosen if REVISIONS[v].era == "modern"),
    )


def get(version: str) -> Revision | None:
    """The revision named ``version``, or None for one this library does not speak."""
    return REVISIONS.get(version)
