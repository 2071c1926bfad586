"""The lifecycle and JSON-RPC scenarios of the conformance suite (``server_lifecycle.py``,
``server_jsonrpc.py``).

Our demo server passes them, over HTTP (served in the test's own event loop) and over stdio. And
every check can fail: the raw stdio fake of ``tests/conformance_fakes/lifecycle_server.py``
keeps every rule until told to break some, and each case below names the faults, the scenarios
run and the exact ``scenario/check`` ids that must then fail (MUST) or warn (SHOULD). The two
rules that only show over HTTP are broken by the wrapper of ``lifecycle_http.py``.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import anyio
import pytest

from conformance._model import CheckResult, Status, server_scenarios
from conformance._runner import Options, ServerTarget, run_server_suite, select
from conformance.scenarios.server_jsonrpc import answer_to, messages_section, same_id
from tests.conformance_fakes.lifecycle_http import FaultyApp, our_app
from tests.conformance_fakes.transport_http import serving

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FAKE = ROOT / "tests" / "conformance_fakes" / "lifecycle_server.py"
OURS_STDIO = shlex.join([PYTHON, "-m", "mcpcore", "serve", str(ROOT / "examples" / "everything_server.py")])
MINE = ["lifecycle-*", "jsonrpc-*", "ping"]


def checks(results: list[object]) -> list[CheckResult]:
    return [check for result in results for check in getattr(result, "checks", [])]


def having(found: list[CheckResult], status: Status) -> set[str]:
    return {check.id for check in found if check.status is status}


async def run(
    target: ServerTarget, patterns: list[str], revisions: list[str], timeout: float
) -> list[CheckResult]:
    scenarios = select(patterns, server_scenarios())
    options = Options(timeout=timeout, scenario_timeout=60, jobs=4)
    return checks(list(await run_server_suite(target, scenarios, revisions, options)))


async def run_http(app: object, patterns: list[str], revisions: list[str]) -> list[CheckResult]:
    async with serving(app) as url:  # type: ignore[arg-type]
        return await run(ServerTarget(url=url), patterns, revisions, timeout=5.0)


def fake(faults: str) -> ServerTarget:
    return ServerTarget(command=shlex.join([PYTHON, str(FAKE), faults]))


# -- the registry -----------------------------------------------------------------------------------


def test_batch_scenarios_follow_the_revisions_that_have_batches() -> None:
    registry = server_scenarios()
    assert registry["jsonrpc-batch"].revisions == ("2025-03-26",)
    assert registry["jsonrpc-batch-refused"].revisions == ("2025-06-18", "2025-11-25")
    assert registry["lifecycle-initialize"].revisions == (
        "2024-11-05",
        "2025-03-26",
        "2025-06-18",
        "2025-11-25",
    )


def test_message_sections_follow_the_pages_of_each_revision() -> None:
    assert messages_section("2024-11-05", "requests") == "basic/messages#requests"
    assert messages_section("2024-11-05", "error-responses") == "basic/messages#responses"
    assert messages_section("2025-06-18", "error-responses") == "basic#responses"
    assert messages_section("2025-11-25", "error-responses") == "basic#error-responses"
    assert messages_section("2025-03-26", "notifications") == "basic#notifications"


def test_ids_match_by_value_and_json_type() -> None:
    assert same_id(7, 7) and same_id("7", "7")
    assert not same_id(7, "7") and not same_id(1, True) and not same_id(7, 7.0)
    strict, loose = answer_to(7), answer_to(7, strict=False)
    answer = {"jsonrpc": "2.0", "id": 7.0, "result": {}}
    assert not strict(answer) and loose(answer)  # found, so that the changed type can be judged
    assert not loose({"jsonrpc": "2.0", "id": 7, "method": "ping"})  # a request is no answer


# -- our server -------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_our_server_passes_over_http() -> None:
    found = await run_http(our_app(), MINE, ["2024-11-05", "2025-03-26", "2025-11-25"])
    assert having(found, Status.FAILED) == set(), [c for c in found if c.status is Status.FAILED]
    assert having(found, Status.WARNING) == set(), [c for c in found if c.status is Status.WARNING]
    passed = having(found, Status.PASSED)
    assert {"jsonrpc-batch/batch-of-requests", "jsonrpc-batch/batch-of-notifications"} <= passed
    assert {"jsonrpc-batch-refused/batch-refused", "jsonrpc-string-round-trip/large-string"} <= passed


def test_our_server_passes_over_stdio() -> None:
    # The framing of batch answers and of parse errors is what stdio changes.
    found = anyio.run(
        run, ServerTarget(command=OURS_STDIO), ["jsonrpc-batch", "jsonrpc-parse-error"], ["2025-03-26"], 10.0
    )
    assert having(found, Status.FAILED) == set(), [c for c in found if c.status is Status.FAILED]
    assert having(found, Status.WARNING) == set()
    assert {"jsonrpc-batch/batch-response-array", "jsonrpc-parse-error/parse-error"} <= having(
        found, Status.PASSED
    )


# -- every check can fail ---------------------------------------------------------------------------


def _ids(scenario: str, *names: str) -> set[str]:
    return {f"{scenario}/{name}" for name in names}


INIT = "lifecycle-initialize"
NEGOTIATION = "lifecycle-version-negotiation"
BEFORE = "lifecycle-before-initialized"
SECOND = "lifecycle-second-initialize"
GATING = "lifecycle-capability-gating"
LOGGING = "lifecycle-logging-set-level"

# (faults, scenarios, revision, failed, warned)
CASES: list[tuple[str, list[str], str, set[str], set[str]]] = [
    (
        "init-error",
        [INIT],
        "2025-11-25",
        _ids(INIT, "initialize-result", "version-echo", "capabilities-object", "server-info"),
        set(),
    ),
    (
        "bad-init-shape",
        [INIT],
        "2025-11-25",
        _ids(INIT, "capabilities-object", "server-info", "instructions", "schema"),
        set(),
    ),
    ("wrong-version", [INIT], "2025-06-18", _ids(INIT, "version-echo"), set()),
    (
        "silent-ping",
        [INIT, "ping"],
        "2025-11-25",
        {f"{INIT}/ping-after-initialized", "ping/ping"},
        {"ping/ping-before-initialize"},
    ),
    (
        "answer-notifications",
        [INIT, "jsonrpc-notifications"],
        "2025-11-25",
        {
            f"{INIT}/initialized-not-answered",
            f"{INIT}/schema",
            "jsonrpc-notifications/no-response-to-notifications",
        },
        set(),
    ),
    (
        "reject-unknown-version",
        [NEGOTIATION],
        "2025-11-25",
        set(),
        _ids(NEGOTIATION, "counter-offer-not-error"),
    ),
    ("echo-any-version", [NEGOTIATION], "2025-11-25", _ids(NEGOTIATION, "unsupported-version"), set()),
    ("offer-unsupported", [NEGOTIATION], "2025-11-25", _ids(NEGOTIATION, "counter-offer-supported"), set()),
    ("no-ping-before-init", ["ping"], "2025-11-25", set(), {"ping/ping-before-initialize"}),
    ("serve-before-init", [BEFORE], "2025-11-25", set(), _ids(BEFORE, "request-before-initialize")),
    ("drop-before-initialized", [BEFORE], "2025-11-25", _ids(BEFORE, "answered-before-initialized"), set()),
    ("tools-list-error", [BEFORE], "2025-11-25", _ids(BEFORE, "request-after-initialized"), set()),
    ("second-init-silent", [SECOND], "2025-11-25", _ids(SECOND, "second-initialize-answered"), set()),
    ("second-init-kills", [SECOND], "2025-11-25", set(), _ids(SECOND, "usable-after-second-initialize")),
    (
        "serve-undeclared",
        [GATING],
        "2025-11-25",
        set(),
        _ids(
            GATING,
            "undeclared-tools",
            "undeclared-prompts",
            "undeclared-resources",
            "undeclared-logging",
            "undeclared-completions",
        ),
    ),
    (
        "set-level-error",
        [LOGGING],
        "2025-11-25",
        _ids(LOGGING, "set-level"),
        _ids(LOGGING, "set-level-invalid"),
    ),
    ("accept-any-level", [LOGGING], "2025-11-25", set(), _ids(LOGGING, "set-level-invalid")),
    (
        "lax",
        ["jsonrpc-parse-error", "jsonrpc-invalid-request", "jsonrpc-request-ids", "jsonrpc-batch"],
        "2025-03-26",
        set(),
        {"jsonrpc-parse-error/parse-error", "jsonrpc-batch/empty-batch"}
        | _ids(
            "jsonrpc-invalid-request",
            "missing-jsonrpc",
            "wrong-jsonrpc-version",
            "method-not-string",
            "params-not-structured",
            "params-array",
        )
        | _ids("jsonrpc-request-ids", "null-id-refused", "boolean-id-refused", "fractional-id-refused"),
    ),
    (
        "unknown-method-result",
        ["jsonrpc-unknown-method"],
        "2025-11-25",
        {"jsonrpc-unknown-method/unknown-method-error"},
        set(),
    ),
    (
        "bad-error-object",
        ["jsonrpc-unknown-method"],
        "2025-11-25",
        _ids("jsonrpc-unknown-method", "error-object", "schema"),
        _ids("jsonrpc-unknown-method", "unknown-method-code"),
    ),
    (
        "invalid-params-silent",
        ["jsonrpc-invalid-params"],
        "2025-11-25",
        {"jsonrpc-invalid-params/invalid-params-answered"},
        set(),
    ),
    (
        "invalid-params-internal",
        ["jsonrpc-invalid-params"],
        "2025-11-25",
        set(),
        {"jsonrpc-invalid-params/invalid-params-code"},
    ),
    (
        "big-ids-as-floats,mangle-string-ids,duplicate-id-silent",
        ["jsonrpc-request-ids"],
        "2025-11-25",
        _ids("jsonrpc-request-ids", "string-id-echoed", "integer-id-echoed"),
        _ids("jsonrpc-request-ids", "duplicate-id-answered"),
    ),
    (
        "notification-as-request",
        ["jsonrpc-notifications"],
        "2025-11-25",
        set(),
        {"jsonrpc-notifications/notification-with-id"},
    ),
    (
        "answer-responses",
        ["jsonrpc-unknown-response"],
        "2025-11-25",
        set(),
        {"jsonrpc-unknown-response/unknown-response-ignored"},
    ),
    (
        "no-batch",
        ["jsonrpc-batch"],
        "2025-03-26",
        {"jsonrpc-batch/batch-of-requests"},
        {"jsonrpc-batch/empty-batch"},
    ),
    ("batch-unrolled", ["jsonrpc-batch"], "2025-03-26", set(), {"jsonrpc-batch/batch-response-array"}),
    ("batch-empty-array", ["jsonrpc-batch"], "2025-03-26", {"jsonrpc-batch/batch-of-notifications"}, set()),
    ("no-batch", ["jsonrpc-batch-refused"], "2025-06-18", set(), {"jsonrpc-batch-refused/batch-refused"}),
    ("batch-always", ["jsonrpc-batch-refused"], "2025-11-25", set(), {"jsonrpc-batch-refused/batch-refused"}),
    (
        "echo-mangles",
        ["jsonrpc-string-round-trip"],
        "2025-11-25",
        set(),
        _ids("jsonrpc-string-round-trip", "unicode-string", "large-string"),
    ),
]


@pytest.mark.parametrize(
    ("faults", "patterns", "revision", "failed", "warned"),
    CASES,
    ids=[f"{case[0]}-{case[2]}" for case in CASES],
)
def test_each_fault_fails_exactly_its_checks(
    faults: str, patterns: list[str], revision: str, failed: set[str], warned: set[str]
) -> None:
    found = anyio.run(run, fake(faults), patterns, [revision], 2.0)
    assert having(found, Status.FAILED) == failed
    assert having(found, Status.WARNING) == warned


def test_the_fake_keeps_every_rule_and_every_check_is_broken_by_some_case() -> None:
    found = anyio.run(run, fake("good"), MINE, ["2024-11-05", "2025-03-26", "2025-11-25"], 3.0)
    assert having(found, Status.FAILED) == set(), [c for c in found if c.status is Status.FAILED]
    assert having(found, Status.WARNING) == set(), [c for c in found if c.status is Status.WARNING]
    # A check that only fails over HTTP is broken by the HTTP cases below.
    over_http = {f"{SECOND}/second-initialize-id"}
    broken = set().union(*(case[3] | case[4] for case in CASES)) | over_http
    every = {check.id for check in found if not check.id.endswith(("/schema", "/framing"))}
    assert every - broken == set()


@pytest.mark.anyio
async def test_an_http_refusal_of_a_second_initialize_must_name_its_request() -> None:
    found = await run_http(FaultyApp(our_app(), "second-init-null-id"), [SECOND], ["2025-06-18"])
    assert having(found, Status.FAILED) >= {f"{SECOND}/second-initialize-id"}
    assert having(found, Status.FAILED) <= {f"{SECOND}/second-initialize-id", f"{SECOND}/schema"}


@pytest.mark.anyio
async def test_an_http_batch_of_notifications_must_get_202() -> None:
    found = await run_http(FaultyApp(our_app(), "batch-notifications-200"), ["jsonrpc-batch"], ["2025-03-26"])
    assert having(found, Status.FAILED) == {"jsonrpc-batch/batch-of-notifications"}
    check = next(c for c in found if c.id == "jsonrpc-batch/batch-of-notifications")
    assert "202" in check.message
