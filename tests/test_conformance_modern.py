"""The 2026-07-28 scenarios: our server and client pass them, and each fault fails its own checks.

Server side: the server under test is our own, served in-process over HTTP (and once over
stdio); each fault is one rule of the revision broken by patching the server for the length
of a test. Client side: the raw client of ``tests/conformance_fakes/modern_client.py`` breaks
one rule per run (``FAKE_FAULT``). Each test asserts the exact ``scenario/check`` ids that fail.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from conformance._client_runner import run_client_suite
from conformance._model import Status, client_scenarios, server_scenarios
from conformance._peer import HttpChannel
from conformance._runner import Options, ServerTarget, probe_revisions, run_server_suite, select
from conformance.scenarios import server_modern
from mcpcore import modern
from mcpcore import server as server_module
from mcpcore.errors import McpError
from mcpcore.revisions import HANDSHAKE_VERSIONS
from tests.http_util import http_app
from transports.http import _app

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
MODERN = "2026-07-28"
SCENARIOS = [name for name, s in server_scenarios().items() if s.revisions == (MODERN,)]


def reference() -> Any:
    from conformance.everything_server import server

    return server


async def flagged(target: ServerTarget, scenarios: list[str] | None = None) -> dict[str, Status]:
    chosen = select(scenarios or SCENARIOS, server_scenarios())
    results = await run_server_suite(target, chosen, [MODERN], Options(timeout=10))
    assert results
    return {
        check.id: check.status
        for result in results
        for check in result.checks
        if check.status in (Status.FAILED, Status.WARNING)
    }


def test_the_modern_scenarios_are_registered() -> None:
    assert set(SCENARIOS) >= {
        "discover",
        "envelope",
        "result-fields",
        "removed-methods",
        "input-required",
        "listen-ack",
        "no-log-without-level",
        "routing-headers",
        "listen-updates",
        "param-headers",
    }


async def test_the_reference_server_passes_them_over_http() -> None:
    async with http_app(reference()) as (url, _):
        target = ServerTarget(url=url)
        assert MODERN in await probe_revisions(target, Options(timeout=10), [MODERN])
        assert await flagged(target) == {}


async def test_the_reference_server_passes_them_over_stdio() -> None:
    command = shlex.join(
        [sys.executable, "-m", "mcpcore", "serve", "conformance/everything_server.py:server"]
    )
    assert await flagged(ServerTarget(command=command, cwd=str(ROOT))) == {}


async def test_a_legacy_only_server_is_not_probed_as_modern() -> None:
    server = reference()
    saved = server.modern_versions
    server.modern_versions = ()
    try:
        async with http_app(server) as (url, _):
            assert await probe_revisions(ServerTarget(url=url), Options(timeout=10), [MODERN]) == []
    finally:
        server.modern_versions = saved


def _dropping(key: str) -> Callable[[pytest.MonkeyPatch], None]:
    """A fault: every modern result loses ``key`` on its way out."""
    finish = server_module._finish

    def patched(scope: Any, method: str, result: Any) -> Any:
        out = finish(scope, method, result)
        if isinstance(out, dict):
            out.pop(key, None)
        return out

    return lambda mp: mp.setattr(server_module, "_finish", patched)


# A field the schema requires, missing, also fails the schema check of every scenario whose
# traffic carries such a result (each run's answers are read at the revision their request
# named in its envelope).
_SCHEMA_CHECKS = {
    f"{name}/schema"
    for name in (
        "discover",
        "result-fields",
        "input-required",
        "listen-ack",
        "listen-updates",
        "no-log-without-level",
        "param-headers",
    )
}

FAULTS: dict[str, tuple[Callable[[pytest.MonkeyPatch], None], set[str]]] = {
    "no cache hints": (
        _dropping("ttlMs"),
        {
            "discover/cache-hints",
            "result-fields/tools-list-cache-hints",
            "result-fields/prompts-list-cache-hints",
            "result-fields/resources-list-cache-hints",
            "result-fields/resources-templates-list-cache-hints",
            "result-fields/resources-read-cache-hints",
            *_SCHEMA_CHECKS,
        },
    ),
    "no resultType": (
        _dropping("resultType"),
        {
            "discover/result-type",
            "result-fields/tools-list-result-type",
            "result-fields/prompts-list-result-type",
            "result-fields/resources-list-result-type",
            "result-fields/resources-templates-list-result-type",
            "result-fields/resources-read-result-type",
            *_SCHEMA_CHECKS,
        },
    ),
    "headers not checked": (
        lambda mp: mp.setattr(_app.StreamableHttpApp, "_check_routing_headers", lambda *a: None),
        {
            "routing-headers/missing-method-header",
            "routing-headers/method-mismatch",
            "routing-headers/version-mismatch",
            "routing-headers/name-mismatch",
            "param-headers/missing-refused",
            "param-headers/mismatch-refused",
            "param-headers/bad-base64-refused",
        },
    ),
    "param headers not checked": (
        lambda mp: mp.setattr(modern, "header_matches", lambda *a: True),
        {
            "param-headers/missing-refused",
            "param-headers/mismatch-refused",
            "param-headers/bad-base64-refused",
        },
    ),
    "base64 not decoded": (
        lambda mp: mp.setattr(modern, "decode_header_value", lambda value: value),
        {"param-headers/base64-accepted"},
    ),
    "listen hears everything": (
        lambda mp: mp.setattr(server_module._Listener, "changed", _unfiltered),
        {"listen-updates/only-requested"},
    ),
    "listen updates untagged": (
        lambda mp: mp.setattr(server_module, "SUBSCRIPTION_ID", "subscriptionId"),
        {"listen-ack/ack-first", "listen-updates/update-tagged"},
    ),
    "state not verified": (
        lambda mp: mp.setattr(
            modern.StateSealer,
            "open",
            lambda self, state, method, params, principal=None: modern.RoundState({}, ("user_name",), 1),
        ),
        {"input-required/tampered-state"},
    ),
    "logs without a level": (
        lambda mp: mp.setattr(
            server_module.ModernRequest,
            "__init__",
            _loud(server_module.ModernRequest.__init__),
        ),
        {"no-log-without-level/silent"},
    ),
}


def _unfiltered(self: Any, kind: str) -> None:
    # A listener that tells of every list change, asked for or not.
    self.pending[(f"notifications/{kind}/list_changed", "")] = None
    self.wake.set()


def _loud(init: Callable[..., None]) -> Callable[..., None]:
    def patched(self: Any, *args: Any) -> None:
        init(self, *args)
        self.log_level = self.log_level or "debug"  # as if every request had asked for logs

    return patched


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_each_fault_fails_exactly_its_checks(fault: str, monkeypatch: pytest.MonkeyPatch) -> None:
    apply, expected = FAULTS[fault]
    apply(monkeypatch)
    async with http_app(reference()) as (url, _):
        found = await flagged(ServerTarget(url=url))
    assert set(found) == expected, found
    assert all(status is Status.FAILED for status in found.values())


async def test_an_unsupported_version_error_that_lists_nothing_fails() -> None:
    original = modern.read_envelope

    def stingy(params: Any, supported: Any) -> Any:
        try:
            return original(params, supported)
        except McpError as exc:
            if exc.code == -32022:
                exc.data = {"requested": exc.data["requested"]}
            raise

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(server_module, "read_envelope", stingy)
        mp.setattr(modern, "read_envelope", stingy)  # the HTTP app reads it from the module
        async with http_app(reference()) as (url, _):
            found = await flagged(ServerTarget(url=url), ["envelope"])
    # The schema of the error (UnsupportedProtocolVersionError: data.supported is required)
    # finds it too.
    assert found == {"envelope/unsupported-version": Status.FAILED, "envelope/schema": Status.FAILED}


def test_routing_headers_mirror_the_body() -> None:
    class Fake:
        channel = object.__new__(HttpChannel)

    params = {"_meta": server_modern.envelope(MODERN), "name": "echo"}
    headers = server_modern.routing_headers(Fake(), "tools/call", params)  # type: ignore[arg-type]
    assert headers == {"mcp-method": "tools/call", "mcp-protocol-version": MODERN, "mcp-name": "echo"}
    assert HANDSHAKE_VERSIONS[-1] != MODERN


# -- client scenarios ------------------------------------------------------------------------------

CLIENT_FAKE = ROOT / "tests" / "conformance_fakes" / "modern_client.py"
TOOLS_CALL, INPUT = "modern-tools-call", "modern-input-required"
ERA_MODERN, ERA_FALLBACK = "era-modern", "era-fallback"
# fault -> (transport, scenarios, the checks that fail). A refused request also fails what
# depended on its answer (the call, the rounds), and a client that gives up exits with 1 (a
# warning).
CLIENT_FAULTS: dict[str, tuple[str, tuple[str, ...], set[str]]] = {
    "none, stdio": ("stdio", (TOOLS_CALL, INPUT), set()),
    "none, http": ("http", (TOOLS_CALL, INPUT), set()),
    "no-capabilities": (
        "stdio",
        (TOOLS_CALL,),
        {f"{TOOLS_CALL}/envelope", f"{TOOLS_CALL}/tool-called", f"{TOOLS_CALL}/schema"},
    ),
    "same-id": ("stdio", (INPUT,), {f"{INPUT}/new-id"}),
    "state-altered": (
        "stdio",
        (INPUT,),
        {f"{INPUT}/state-echoed", f"{INPUT}/completed", f"{INPUT}/two-rounds", f"{INPUT}/client-exit"},
    ),
    "state-elsewhere": ("stdio", (INPUT,), {f"{INPUT}/state-stays-put"}),
    "no-name-header": (
        "http",
        (TOOLS_CALL,),
        {f"{TOOLS_CALL}/standard-headers", f"{TOOLS_CALL}/tool-called"},
    ),
    "plain-param": ("http", (TOOLS_CALL,), {f"{TOOLS_CALL}/param-header", f"{TOOLS_CALL}/tool-called"}),
    "session-id": ("http", (TOOLS_CALL,), {f"{TOOLS_CALL}/no-session-traffic"}),
    # Era detection: the fake probes with server/discover and falls back on any error.
    "none, era over stdio": ("stdio", (ERA_MODERN, ERA_FALLBACK), set()),
    "none, era over http": ("http", (ERA_MODERN, ERA_FALLBACK), set()),
    "no-probe": (
        "stdio",
        (ERA_MODERN, ERA_FALLBACK),
        {f"{ERA_MODERN}/probe-first", f"{ERA_FALLBACK}/probe-first"},
    ),
    "keyed-fallback": (
        "stdio",
        (ERA_FALLBACK,),
        {f"{ERA_FALLBACK}/fell-back", f"{ERA_FALLBACK}/tool-called", f"{ERA_FALLBACK}/client-exit"},
    ),
    "initialize-anyway": ("http", (ERA_MODERN,), {f"{ERA_MODERN}/stays-modern"}),
    # A handshake server refuses a request in an era it does not speak (-32022).
    "envelope-after-fallback": (
        "http",
        (ERA_FALLBACK,),
        {f"{ERA_FALLBACK}/legacy-after-fallback", f"{ERA_FALLBACK}/tool-called"},
    ),
}


@pytest.mark.parametrize("case", sorted(CLIENT_FAULTS))
def test_each_client_fault_fails_exactly_its_checks(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    transport, names, expected = CLIENT_FAULTS[case]
    monkeypatch.setenv("FAKE_FAULT", case.partition(",")[0])
    chosen = [client_scenarios()[name] for name in names]
    command = shlex.join([sys.executable, str(CLIENT_FAKE)])

    async def main() -> dict[str, Status]:
        results = await run_client_suite(command, transport, chosen, [MODERN], Options(timeout=10), 30.0)
        assert len(results) == len(names)
        return {
            f"{result.scenario}/{check.check}": check.status
            for result in results
            for check in result.checks
            if check.status in (Status.FAILED, Status.WARNING)
        }

    # One backend per transport keeps the matrix small; both run across the cases.
    found = anyio.run(main, backend="asyncio" if transport == "stdio" else "trio")
    assert set(found) == expected, found


@pytest.mark.parametrize(("transport", "backend"), [("stdio", "trio"), ("http", "asyncio")])
def test_the_reference_client_passes_them(transport: str, backend: str) -> None:
    chosen = [s for s in client_scenarios().values() if s.revisions == (MODERN,)]
    assert {s.name for s in chosen} == {TOOLS_CALL, INPUT, ERA_MODERN, ERA_FALLBACK}
    command = shlex.join([sys.executable, "-m", "conformance.everything_client"])

    async def main() -> list[Any]:
        return await run_client_suite(command, transport, chosen, [MODERN], Options(timeout=10), 60.0)

    results = anyio.run(main, backend=backend)
    problems = [
        (r.scenario, c.check, c.message) for r in results for c in r.checks if c.status is not Status.PASSED
    ]
    assert results and not problems, problems
