"""The transport scenarios of the conformance suite (``server_stdio.py`` and ``server_http.py``).

Three things are shown here. The line analysis of the stdio scenario sorts any stdout into the
rules it breaks (property tests). Our own server passes every transport check, over stdio and
over HTTP in each of its modes (stateful, stateless, JSON answers), with nothing skipped where
our server has the feature. And every check can fail: a raw stdio fake
(``tests/conformance_fakes/transport_stdio.py``) and our HTTP app wrapped so that it breaks
one rule (``tests/conformance_fakes/transport_http.py``) each make exactly the checks aimed at
fail (MUST) or warn (SHOULD), and no other.

The HTTP servers run in the test's own event loop, on 127.0.0.1 at a free port.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance._model import Status, server_scenarios
from conformance._runner import Options, ServerTarget, run_server_suite, select
from conformance.scenarios.server_stdio import JSON_UTF8, analyse_lines, is_jsonrpc_message
from tests.conformance_fakes.transport_http import (
    BreakingApp,
    LeakyStore,
    RewindStore,
    fixture_server,
    serving,
)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FAKE = ROOT / "tests" / "conformance_fakes" / "transport_stdio.py"
OURS_STDIO = shlex.join([PYTHON, "-m", "mcpcore", "serve", str(ROOT / "examples" / "everything_server.py")])
HTTP_SCENARIOS = ["http-*"]

Outcome = dict[str, Status]


def outcome(results: list[Any]) -> Outcome:
    """``revision scenario/check`` -> status, for every check of a run."""
    return {f"{r.revision} {c.id}": c.status for r in results for c in r.checks}


def having(found: Outcome, status: Status) -> set[str]:
    return {key for key, value in found.items() if value is status}


async def run_stdio(command: str, patterns: list[str], revisions: list[str], timeout: float = 5.0) -> Outcome:
    scenarios = select(patterns, server_scenarios())
    options = Options(timeout=timeout, jobs=4)
    return outcome(await run_server_suite(ServerTarget(command=command), scenarios, revisions, options))


async def run_http(app: Any, patterns: list[str], revisions: list[str], timeout: float = 5.0) -> Outcome:
    scenarios = select(patterns, server_scenarios())
    async with serving(app) as url:
        options = Options(timeout=timeout, jobs=4)
        return outcome(await run_server_suite(ServerTarget(url=url), scenarios, revisions, options))


def our_app(**options: Any) -> Any:
    return fixture_server().asgi_app(access_log=False, **options)


# == the stdout line analysis ===================================================================

_text = st.text(st.characters(codec="utf-8"), max_size=12)
_ids = st.one_of(st.integers(-(2**53), 2**53), _text)
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _text,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_text, inner, max_size=2),
    max_leaves=4,
)
_objects = st.dictionaries(_text, _values, max_size=2)
_messages = st.one_of(
    st.builds(lambda i, m, p: {"jsonrpc": "2.0", "id": i, "method": m, "params": p}, _ids, _text, _objects),
    st.builds(lambda m, p: {"jsonrpc": "2.0", "method": m, "params": p}, _text, _objects),
    st.builds(lambda i, r: {"jsonrpc": "2.0", "id": i, "result": r}, _ids, _objects),
    st.builds(
        lambda i, c, t: {"jsonrpc": "2.0", "id": i, "error": {"code": c, "message": t}},
        st.one_of(st.none(), _ids),
        st.integers(-33000, 1000),
        _text,
    ),
)


# Drawing nested messages costs far more than analysing them: fewer, richer examples.
@settings(max_examples=50)
@given(st.lists(_messages, max_size=6))
def test_messages_one_per_line_break_no_rule(messages: list[dict[str, Any]]) -> None:
    framing = analyse_lines([orjson.dumps(m) for m in messages])
    assert framing.messages == len(messages)
    assert (framing.split, framing.garbage, framing.blank) == ([], [], [])
    assert (framing.not_jsonrpc, framing.batches, framing.not_utf8) == ([], [], [])


@settings(max_examples=50)
@given(st.lists(_messages, min_size=1, max_size=4))
def test_pretty_printed_messages_are_found_spread_over_lines(messages: list[dict[str, Any]]) -> None:
    lines: list[bytes] = []
    spread = 0
    for message in messages:
        text = json.dumps(message, indent=2, ensure_ascii=False)
        spread += "\n" in text
        lines += [line.encode() for line in text.split("\n")]
    framing = analyse_lines(lines)
    assert framing.messages == len(messages)
    assert len(framing.split) == spread
    assert framing.garbage == [] and framing.not_jsonrpc == []


@given(_messages, st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=12))
def test_a_raw_line_break_inside_a_string_is_found(message: dict[str, Any], tail: str) -> None:
    message = {**message, "note": f"first\n{tail}"}
    lines = json.dumps(message, ensure_ascii=False).replace("\\n", "\n").encode().split(b"\n")
    framing = analyse_lines(lines)
    assert framing.messages == 1
    assert [count for _, count in framing.split] == [len(lines)]


def test_the_analysis_names_each_kind_of_stray_output() -> None:
    ping = b'{"jsonrpc":"2.0","id":1,"result":{}}'
    lines = [
        b"server starting...",
        ping,
        b"",
        b'{"level":"info","msg":"hi"}',
        b"[" + ping + b"]",
        '{"jsonrpc":"2.0","id":2,"error":{"code":1,"message":"café"}}'.encode("latin-1"),
        ping + b"\r",
    ]
    framing = analyse_lines(lines)
    assert framing.garbage == [(1, "server starting...")]
    assert framing.blank == [3]
    assert framing.not_jsonrpc == [(4, '{"level":"info","msg":"hi"}')]
    assert framing.batches == [5]
    assert [number for number, _ in framing.not_utf8] == [6]
    assert framing.messages == 4  # the latin-1 line still reads as a message once decoded
    assert framing.split == []


def test_the_jsonrpc_envelope_test() -> None:
    assert is_jsonrpc_message({"jsonrpc": "2.0", "method": "x"})
    assert is_jsonrpc_message({"jsonrpc": "2.0", "id": None, "error": {}})
    assert not is_jsonrpc_message({"jsonrpc": "2.0", "id": 1, "result": {}, "error": {}})
    assert not is_jsonrpc_message({"jsonrpc": "1.0", "method": "x"})
    assert not is_jsonrpc_message({"jsonrpc": "2.0", "id": 1})
    assert not is_jsonrpc_message([])


def test_the_http_scenarios_start_at_2025_03_26_and_the_stdio_ones_apply_always() -> None:
    registry = server_scenarios()
    http = [s for name, s in registry.items() if name.startswith("http-")]
    stdio = [s for name, s in registry.items() if name.startswith("stdio-")]
    assert len(http) == 8 and len(stdio) == 2
    assert not any(s.applies("2024-11-05", "http") or s.applies("2025-11-25", "stdio") for s in http)
    assert all(s.applies(r, "stdio") and not s.applies(r, "http") for s in stdio for r in s.revisions)
    assert registry["http-protocol-version"].revisions == ("2025-06-18", "2025-11-25")


# == stdio ======================================================================================


def test_our_server_keeps_the_stdio_rules() -> None:
    found = anyio.run(run_stdio, OURS_STDIO, ["stdio-*"], ["2024-11-05", "2025-11-25"], 10.0)
    assert (
        having(found, Status.FAILED) | having(found, Status.WARNING) | having(found, Status.SKIPPED) == set()
    )
    assert {key for key in found if "stdio-framing" in key} >= {
        "2024-11-05 stdio-framing/newline-delimited",
        "2024-11-05 stdio-framing/stdout-only-mcp",
        "2024-11-05 stdio-framing/utf8",
        "2025-11-25 stdio-framing/individual-messages",
    }
    assert "2025-11-25 stdio-shutdown/exit-on-stdin-close" in found
    assert "2024-11-05 stdio-framing/individual-messages" not in found  # batches were allowed then


def fake(mode: str) -> str:
    return shlex.join([PYTHON, str(FAKE), mode])


STDIO_FAKES = [
    ("good", ["stdio-*"], "2025-11-25", set(), set()),
    ("noisy-stderr", ["stdio-*"], "2025-11-25", set(), set()),  # stderr is never held against a server
    (
        "banner",
        ["stdio-framing"],
        "2025-06-18",
        {"stdio-framing/stdout-only-mcp", "stdio-framing/framing"},
        set(),
    ),
    (
        "pretty",
        ["stdio-framing"],
        "2025-11-25",
        {"stdio-framing/newline-delimited", "stdio-framing/framing"},
        set(),
    ),
    (
        "raw-newline",
        ["stdio-framing"],
        "2025-03-26",
        {"stdio-framing/newline-delimited", "stdio-framing/framing"},
        set(),
    ),
    ("latin1", ["stdio-framing"], "2024-11-05", {"stdio-framing/utf8", "stdio-framing/framing"}, set()),
    ("latin1", ["stdio-framing"], "2025-11-25", {"stdio-framing/utf8", "stdio-framing/framing"}, set()),
    ("batch", ["stdio-framing"], "2025-06-18", {"stdio-framing/individual-messages"}, set()),
    ("batch", ["stdio-framing"], "2025-03-26", set(), set()),  # batches were still messages then
    ("linger", ["stdio-shutdown"], "2025-11-25", set(), {"stdio-shutdown/exit-on-stdin-close"}),
]


@pytest.mark.parametrize(("mode", "patterns", "revision", "failed", "warned"), STDIO_FAKES)
def test_each_stdio_rule_broken_fails_its_check(
    mode: str, patterns: list[str], revision: str, failed: set[str], warned: set[str]
) -> None:
    found = anyio.run(run_stdio, fake(mode), patterns, [revision], 1.5)
    assert found, "the scenarios recorded nothing"
    assert having(found, Status.FAILED) == {f"{revision} {check}" for check in failed}
    assert having(found, Status.WARNING) == {f"{revision} {check}" for check in warned}


def test_the_utf8_rule_cites_the_json_rfc_before_2025_03_26() -> None:
    async def main() -> list[Any]:
        scenarios = select(["stdio-framing"], server_scenarios())
        return await run_server_suite(
            ServerTarget(command=fake("latin1")),
            scenarios,
            ["2024-11-05", "2025-03-26"],
            Options(timeout=1.5),
        )

    results = anyio.run(main)
    cited = {r.revision: c.spec.url for r in results for c in r.checks if c.check == "utf8"}
    assert cited == {
        "2024-11-05": JSON_UTF8,
        "2025-03-26": "https://modelcontextprotocol.io/specification/2025-03-26/basic/transports",
    }


# == HTTP: our server ===========================================================================


@pytest.mark.anyio
async def test_our_stateful_server_keeps_every_http_rule() -> None:
    revisions = ["2025-03-26", "2025-06-18", "2025-11-25"]
    found = await run_http(our_app(), HTTP_SCENARIOS, revisions)
    assert (
        having(found, Status.FAILED) | having(found, Status.WARNING) | having(found, Status.SKIPPED) == set()
    )
    for check in (
        "http-post-messages/response-202",
        "http-sessions/deleted-session-404",
        "http-sse-streams/event-ids-unique",
        "http-sse-streams/related-messages",
        "http-resumability/resume-other-stream",
        "http-resumability/resume-after-id",
    ):
        assert found[f"2025-03-26 {check}"] is Status.PASSED
    for check in (
        "http-sse-streams/priming-event",
        "http-sse-streams/retry-before-close",
        "http-origin/invalid-origin-403",
    ):
        assert found[f"2025-11-25 {check}"] is Status.PASSED
    assert found["2025-06-18 http-protocol-version/invalid-version-400"] is Status.PASSED


def test_our_stateless_server_keeps_every_http_rule_it_can() -> None:
    found = anyio.run(run_http, our_app(stateless=True), HTTP_SCENARIOS, ["2025-06-18", "2025-11-25"])
    assert having(found, Status.FAILED) == set()
    # Without sessions there is nothing to resume: no event ids, so no priming event either.
    assert having(found, Status.WARNING) == {"2025-11-25 http-sse-streams/priming-event"}
    skipped = having(found, Status.SKIPPED)
    assert "2025-06-18 http-sessions/deleted-session-404" in skipped
    assert "2025-06-18 http-post-messages/response-202" in skipped  # no way back to the client
    assert found["2025-06-18 http-get-stream/get-sse-or-405"] is Status.PASSED
    assert found["2025-11-25 http-origin/invalid-origin-403"] is Status.PASSED


def test_our_json_response_server_keeps_every_http_rule() -> None:
    found = anyio.run(run_http, our_app(json_response=True), HTTP_SCENARIOS, ["2025-11-25"])
    assert having(found, Status.FAILED) | having(found, Status.WARNING) == set()
    assert found["2025-11-25 http-post-messages/response-202"] is Status.PASSED
    assert found["2025-11-25 http-sse-streams/response-delivered"] is Status.SKIPPED  # JSON bodies only


# == HTTP: each rule broken =====================================================================

HTTP_FAKES: list[tuple[tuple[str, ...], dict[str, Any], str, str, set[str], set[str]]] = [
    # rules, app options, scenarios, revision, failed, warned
    (("notification-200",), {}, "http-post-messages", "2025-06-18", {"notification-202"}, set()),
    (("response-200",), {}, "http-post-messages", "2025-06-18", {"response-202"}, set()),
    (("content-type-text",), {}, "http-post-messages", "2025-03-26", {"request-content-type"}, set()),
    (
        ("ignore-accept",),
        {"sse_after": 0},
        "http-media-types",
        "2025-11-25",
        set(),
        {"accept-unacceptable", "accept-json-only"},
    ),
    (("ignore-content-type",), {}, "http-media-types", "2025-11-25", set(), {"content-type-unsupported"}),
    (("get-404",), {}, "http-get-stream", "2025-03-26", {"get-sse-or-405"}, set()),
    (("get-response",), {}, "http-get-stream", "2025-11-25", {"get-no-responses"}, set()),
    (("session-id-space",), {}, "http-sessions", "2025-11-25", {"session-id-visible-ascii"}, set()),
    (("sessionless-ok",), {}, "http-sessions", "2025-11-25", set(), {"missing-session-id"}),
    (("unknown-session-400",), {}, "http-sessions", "2025-11-25", set(), {"unknown-session-id"}),
    (("delete-500",), {}, "http-sessions", "2025-11-25", set(), {"delete-session"}),
    (("delete-noop",), {}, "http-sessions", "2025-03-26", {"deleted-session-404"}, set()),
    (
        ("version-ignored",),
        {},
        "http-protocol-version",
        "2025-06-18",
        {"unsupported-version-400", "invalid-version-400"},
        set(),
    ),
    (("version-required",), {}, "http-protocol-version", "2025-11-25", set(), {"missing-version-accepted"}),
    (
        (),
        {"allowed_origins": ["*"], "allowed_hosts": ["*"]},
        "http-origin",
        "2025-11-25",
        {"invalid-origin-rejected", "invalid-origin-403"},
        {"foreign-host-rejected"},
    ),
    ((), {"allowed_origins": ["*"]}, "http-origin", "2025-03-26", {"invalid-origin-rejected"}, set()),
    (("origin-400",), {}, "http-origin", "2025-11-25", {"invalid-origin-403"}, set()),
    (("origin-400",), {}, "http-origin", "2025-06-18", set(), set()),  # 403 is a 2025-11-25 rule
    (("reject-origins",), {}, "http-origin", "2025-11-25", set(), {"local-origin-accepted"}),
    # Without the priming event, the polled stream of test_reconnection has no id to resume from.
    (("no-priming",), {}, "http-sse-streams", "2025-11-25", set(), {"priming-event", "response-delivered"}),
    (("no-retry",), {}, "http-sse-streams", "2025-11-25", set(), {"retry-before-close"}),
    (("stream-lingers",), {}, "http-sse-streams", "2025-06-18", set(), {"stream-ends-after-response"}),
    (("drop-answers",), {}, "http-sse-streams", "2025-03-26", set(), {"response-delivered"}),
    (("foreign-progress",), {}, "http-sse-streams", "2025-06-18", set(), {"related-messages"}),
    (("ids-repeat",), {}, "http-sse-streams", "2025-03-26", {"event-ids-unique"}, set()),
    ((), {"event_store": LeakyStore()}, "http-resumability", "2025-11-25", {"resume-other-stream"}, set()),
    ((), {"event_store": RewindStore()}, "http-resumability", "2025-03-26", set(), {"resume-after-id"}),
]


@pytest.mark.parametrize(("rules", "options", "scenario", "revision", "failed", "warned"), HTTP_FAKES)
def test_each_http_rule_broken_fails_its_check(
    rules: tuple[str, ...],
    options: dict[str, Any],
    scenario: str,
    revision: str,
    failed: set[str],
    warned: set[str],
) -> None:
    app = BreakingApp(our_app(**options), *rules)
    found = anyio.run(run_http, app, [scenario], [revision])
    assert found, "the scenario recorded nothing"
    assert having(found, Status.FAILED) == {f"{revision} {scenario}/{check}" for check in failed}
    assert having(found, Status.WARNING) == {f"{revision} {scenario}/{check}" for check in warned}


def test_a_server_without_event_ids_skips_resumption_rather_than_failing() -> None:
    found = anyio.run(
        run_http, our_app(event_store=None), ["http-resumability", "http-sse-streams"], ["2025-06-18"]
    )
    assert having(found, Status.FAILED) | having(found, Status.WARNING) == set()
    assert found["2025-06-18 http-resumability/resume-other-stream"] is Status.SKIPPED
    assert found["2025-06-18 http-sse-streams/event-ids-unique"] is Status.SKIPPED
