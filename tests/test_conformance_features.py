"""The tools, resources, prompts, completion and pagination scenarios of the conformance suite.

Two things are tested. Our servers pass them: the suite's reference server
(``conformance/everything_server.py``) at the newest revision, the demo server at the oldest.
And every check can fail: ``tests/conformance_fakes/features_fake.py`` is a raw stdio server
that behaves by default and misbehaves on demand, and each case below names the faults it
switches on and the exact checks that must then fail (MUST) or warn (SHOULD), no more and no
fewer. The checks the runner adds to every scenario (``schema``, ``framing``) belong to the
framework's tests and are left out of these comparisons.

Most cases run at one revision; those whose verdict depends on the revision run at two, to pin
the difference (input validation errors, binary content kinds, schema validity).
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pytest

from conformance._model import ScenarioResult, Status, server_scenarios
from conformance._runner import Options, ServerTarget, run_server_suite, select

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FAKE = ROOT / "tests" / "conformance_fakes" / "features_fake.py"

MINE = (
    "pagination",
    "tools-list",
    "tools-call",
    "tools-structured-output",
    "tools-errors",
    "resources-read",
    "resources-templates",
    "resources-unknown",
    "resources-subscribe",
    "prompts-get",
    "prompts-errors",
    "completion",
)
RUNNER_CHECKS = frozenset({"schema", "framing"})
# Seconds per answer from our servers: a bound, not a measure. Several start at once on a busy
# machine, and the first answer waits for the interpreter and its imports.
STARTUP = 30.0
LISTS = ("tools", "resources", "templates", "prompts")

# Every check of these scenarios, as the good fake records them at 2025-11-25.
ALL_CHECKS = frozenset(
    {f"pagination/{kind}-{check}" for kind in LISTS for check in ("pages", "end", "no-duplicates")}
    | {
        f"pagination/{kind}-{check}"
        for kind in LISTS
        for check in ("invalid-cursor-answered", "invalid-cursor")
    }
    | {f"tools-list/{check}" for check in ("list-result", "names-unique", "name-format", "schemas-valid")}
    | {
        f"tools-call/{check}"
        for check in (
            "simple-text",
            "image-content",
            "audio-content",
            "embedded-resource",
            "mixed-content",
            "resource-link",
            "error-is-result",
            "content-kinds",
            "binary-encoding",
            "mime-types",
        )
    }
    | {"tools-structured-output/structured-content", "tools-structured-output/structured-as-text"}
    | {
        f"tools-errors/{check}"
        for check in (
            "unknown-tool-refused",
            "unknown-tool-protocol-error",
            "unknown-tool-code",
            "missing-name-error",
            "bad-arguments-refused",
            "bad-arguments-tool-error",
        )
    }
    | {
        f"resources-read/{check}"
        for check in ("list-result", "uris-unique", "read-listed", "contents-encoding", "read-uri")
    }
    | {"resources-read/static-text", "resources-read/static-binary"}
    | {
        f"resources-templates/{check}"
        for check in (
            "templates-list",
            "templates-valid",
            "template-read",
            "contents-encoding",
            "template-substitution",
        )
    }
    | {"resources-unknown/unknown-resource-error", "resources-unknown/unknown-resource-code"}
    | {f"resources-subscribe/{check}" for check in ("subscribe", "updated-notification", "unsubscribe")}
    | {
        f"prompts-get/{check}"
        for check in (
            "list-result",
            "names-unique",
            "simple-prompt",
            "prompt-arguments",
            "prompt-embedded-resource",
            "prompt-image",
            "get-listed",
            "get-with-arguments",
            "messages-content",
        )
    }
    | {
        f"prompts-errors/{check}"
        for check in (
            "unknown-prompt-error",
            "unknown-prompt-code",
            "missing-argument-error",
            "missing-argument-code",
        )
    }
    | {
        f"completion/{check}"
        for check in (
            "prompt-argument",
            "template-argument",
            "values-limit",
            "counts-consistent",
            "unknown-prompt-ref",
            "unknown-template-ref",
        )
    }
)


def fake(*faults: str) -> ServerTarget:
    return ServerTarget(command=shlex.join([PYTHON, str(FAKE), ",".join(faults)]))


def ours(path: str) -> ServerTarget:
    return ServerTarget(command=shlex.join([PYTHON, "-m", "mcpcore", "serve", str(ROOT / path)]))


def run(
    target: ServerTarget, revision: str, scenarios: tuple[str, ...] = MINE, timeout: float = 5.0
) -> list[ScenarioResult]:
    chosen = select(list(scenarios), server_scenarios())
    # Most of a run is servers starting up, which overlaps well; the fakes start in a blink.
    options = Options(timeout=timeout, scenario_timeout=120, jobs=6)
    return anyio.run(run_server_suite, target, chosen, [revision], options)


def with_status(results: list[ScenarioResult], status: Status) -> set[str]:
    return {c.id for r in results for c in r.checks if c.status is status and c.check not in RUNNER_CHECKS}


def messages(results: list[ScenarioResult]) -> dict[str, str]:
    return {c.id: c.message for r in results for c in r.checks}


# -- our servers ---------------------------------------------------------------------------------


def test_our_reference_server_passes_at_the_newest_revision() -> None:
    results = run(ours("conformance/everything_server.py"), "2025-11-25", timeout=STARTUP)
    assert not with_status(results, Status.FAILED), messages(results)
    assert not with_status(results, Status.WARNING), messages(results)
    passed = with_status(results, Status.PASSED)
    # The fixtures it has exercise the checks a generic server leaves skipped.
    assert {
        "tools-structured-output/structured-content",
        "tools-structured-output/structured-as-text",
        "tools-call/resource-link",
        "tools-call/audio-content",
        "resources-subscribe/updated-notification",
        "resources-templates/template-substitution",
        "completion/template-argument",
        "prompts-get/prompt-embedded-resource",
    } <= passed


def test_our_demo_server_passes_at_the_oldest_revision() -> None:
    scenarios = ("tools-call", "tools-errors", "resources-subscribe", "completion")
    results = run(ours("examples/everything_server.py"), "2024-11-05", scenarios, timeout=STARTUP)
    assert not with_status(results, Status.FAILED), messages(results)
    assert not with_status(results, Status.WARNING), messages(results)
    passed = with_status(results, Status.PASSED)
    # 2024-11-05 has no completions capability: the suite asks anyway, and the demo answers.
    assert {"completion/prompt-argument", "resources-subscribe/updated-notification"} <= passed
    assert "tools-errors/bad-arguments-refused" in passed


# -- the good fake -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_good_fake_records_every_check_and_passes_them() -> None:
    chosen = select(list(MINE), server_scenarios())
    results = await run_server_suite(fake(), chosen, ["2025-11-25"], Options(timeout=5.0))
    recorded = {c.id for r in results for c in r.checks if c.check not in RUNNER_CHECKS}
    assert recorded == ALL_CHECKS
    assert with_status(results, Status.PASSED) == ALL_CHECKS, messages(results)


def test_the_oldest_revision_has_fewer_rules() -> None:
    results = run(fake(), "2024-11-05")
    assert not with_status(results, Status.FAILED) | with_status(results, Status.WARNING), messages(results)
    recorded = {c.id for r in results for c in r.checks}
    # No structured output, no tool-names section, no error handling for completion, and no
    # preference between the two ways of refusing bad arguments before 2025-11-25.
    assert not any(check.startswith("tools-structured-output/") for check in recorded)
    assert "tools-list/name-format" not in recorded
    assert "tools-errors/bad-arguments-tool-error" not in recorded
    assert "completion/unknown-prompt-ref" not in recorded
    skipped = with_status(results, Status.SKIPPED)
    assert {"tools-call/audio-content", "tools-call/resource-link"} <= skipped
    # Completion has no capability in 2024-11-05: the suite asked, and the fake answered.
    assert "completion/prompt-argument" in with_status(results, Status.PASSED)


@pytest.mark.parametrize("revision", ["2024-11-05", "2025-11-25"])
def test_completion_is_skipped_without_the_capability_or_the_method(revision: str) -> None:
    results = run(fake("no-completions"), revision, ("completion",))
    assert with_status(results, Status.SKIPPED) == {"completion/prompt-argument"}
    reason = messages(results)["completion/prompt-argument"]
    assert ("does not implement" if revision == "2024-11-05" else "does not declare") in reason


# -- every check can fail ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    faults: tuple[str, ...]
    revision: str
    scenarios: tuple[str, ...]
    failed: frozenset[str] = frozenset()
    warned: frozenset[str] = frozenset()
    skipped: frozenset[str] = field(default_factory=frozenset)  # at least these


TOOLS = ("tools-list", "tools-call", "tools-structured-output", "tools-errors")
RESOURCES = ("resources-read", "resources-templates", "resources-unknown", "resources-subscribe")
PROMPTS = ("prompts-get", "prompts-errors")


def each(template: str) -> frozenset[str]:
    return frozenset(template.format(kind=kind) for kind in LISTS)


CASES = [
    Case(
        "tools-broken-many-ways",
        (
            "unknown-tool-ok",
            "no-validation",
            "missing-name-ok",
            "error-fixture-rpc",
            "fixture-wrong-kind",
            "bad-base64",
            "bad-mime",
            "bad-tool-name",
            "bad-schema",
            "structured-mismatch",
        ),
        "2025-11-25",
        TOOLS,
        failed=frozenset(
            {
                "tools-list/schemas-valid",
                "tools-call/binary-encoding",
                "tools-structured-output/structured-content",
                "tools-errors/unknown-tool-refused",
                "tools-errors/bad-arguments-refused",
            }
        ),
        warned=frozenset(
            {
                "tools-list/name-format",
                "tools-call/simple-text",
                "tools-call/image-content",
                "tools-call/audio-content",
                "tools-call/embedded-resource",
                "tools-call/mixed-content",
                "tools-call/resource-link",
                "tools-call/error-is-result",
                "tools-call/mime-types",
                "tools-errors/unknown-tool-protocol-error",
                "tools-errors/missing-name-error",
                "tools-errors/bad-arguments-tool-error",
            }
        ),
        skipped=frozenset({"tools-errors/unknown-tool-code"}),
    ),
    Case(
        "tools-recommendations-2025-11-25",
        ("unknown-tool-code", "validation-protocol-error", "structured-no-text"),
        "2025-11-25",
        TOOLS,
        warned=frozenset(
            {
                "tools-errors/unknown-tool-code",
                "tools-errors/bad-arguments-tool-error",
                "tools-structured-output/structured-as-text",
            }
        ),
    ),
    Case(
        # Before 2025-11-25 a protocol error for bad arguments is as good as a tool error.
        "tools-recommendations-2025-06-18",
        ("unknown-tool-code", "validation-protocol-error", "structured-no-text"),
        "2025-06-18",
        TOOLS,
        warned=frozenset({"tools-errors/unknown-tool-code", "tools-structured-output/structured-as-text"}),
    ),
    Case(
        "tools-unknown-as-tool-error-and-schemas-before-2025-11-25",
        ("unknown-tool-iserror", "bad-schema"),
        "2025-06-18",
        ("tools-list", "tools-errors"),
        warned=frozenset({"tools-errors/unknown-tool-protocol-error", "tools-list/schemas-valid"}),
        skipped=frozenset({"tools-errors/unknown-tool-code"}),
    ),
    Case(
        "audio-in-2024-11-05",
        ("audio-early",),
        "2024-11-05",
        ("tools-call",),
        failed=frozenset({"tools-call/content-kinds"}),
    ),
    Case("audio-in-2025-03-26", ("audio-early",), "2025-03-26", ("tools-call",)),
    Case(
        "lists-with-duplicates-and-lax-cursors",
        ("duplicate-items", "invalid-cursor-ok"),
        "2025-11-25",
        ("pagination", "tools-list", "resources-read", "prompts-get"),
        warned=each("pagination/{kind}-no-duplicates")
        | each("pagination/{kind}-invalid-cursor")
        | {"tools-list/names-unique", "resources-read/uris-unique", "prompts-get/names-unique"},
    ),
    Case(
        "cursor-loop", ("cursor-loop",), "2025-11-25", ("pagination",), warned=each("pagination/{kind}-end")
    ),
    Case(
        "cursor-rejected",
        ("cursor-rejected",),
        "2025-11-25",
        ("pagination",),
        failed=each("pagination/{kind}-pages"),
    ),
    Case(
        # The first bogus cursor ends the server, so no list gets its answer.
        "invalid-cursor-crash",
        ("invalid-cursor-crash",),
        "2025-11-25",
        ("pagination",),
        failed=each("pagination/{kind}-invalid-cursor-answered"),
    ),
    Case(
        "lists-fail",
        ("list-error",),
        "2025-11-25",
        ("pagination", "tools-list", "resources-read", "resources-templates", "prompts-get"),
        failed=each("pagination/{kind}-pages")
        | {
            "tools-list/list-result",
            "resources-read/list-result",
            "resources-templates/templates-list",
            "prompts-get/list-result",
        },
    ),
    Case(
        "templates-not-routed",
        ("templates-unrouted",),
        "2025-11-25",
        ("resources-templates", "pagination"),
        warned=frozenset({"resources-templates/templates-list"}),
        skipped=frozenset({"pagination/templates-pages"}),
    ),
    Case(
        "resources-refused",
        ("read-error", "template-read-error", "subscribe-error", "unknown-resource-ok"),
        "2025-11-25",
        RESOURCES,
        failed=frozenset({"resources-read/read-listed", "resources-subscribe/subscribe"}),
        warned=frozenset({"resources-templates/template-read", "resources-unknown/unknown-resource-error"}),
        skipped=frozenset(
            {
                "resources-templates/contents-encoding",
                "resources-unknown/unknown-resource-code",
                "resources-subscribe/updated-notification",
            }
        ),
    ),
    Case(
        "resources-sloppy",
        (
            "bad-blob",
            "wrong-uri",
            "fixtures-swapped",
            "bad-template",
            "template-no-substitution",
            "template-bad-blob",
            "unknown-resource-code",
            "unsubscribe-error",
            "no-update",
        ),
        "2025-11-25",
        RESOURCES,
        failed=frozenset(
            {
                "resources-read/contents-encoding",
                "resources-templates/contents-encoding",
                "resources-subscribe/unsubscribe",
            }
        ),
        warned=frozenset(
            {
                "resources-read/read-uri",
                "resources-read/static-text",
                "resources-read/static-binary",
                "resources-templates/templates-valid",
                "resources-templates/template-substitution",
                "resources-unknown/unknown-resource-code",
                "resources-subscribe/updated-notification",
            }
        ),
    ),
    Case(
        "prompts-refused-and-wrong",
        (
            "prompt-get-error",
            "prompt-fixtures-wrong",
            "review-refuses",
            "unknown-prompt-ok",
            "missing-arg-ok",
        ),
        "2025-11-25",
        PROMPTS,
        failed=frozenset({"prompts-get/get-listed"}),
        warned=frozenset(
            {
                "prompts-get/simple-prompt",
                "prompts-get/prompt-arguments",
                "prompts-get/prompt-embedded-resource",
                "prompts-get/prompt-image",
                "prompts-get/get-with-arguments",
                "prompts-errors/unknown-prompt-error",
                "prompts-errors/missing-argument-error",
            }
        ),
        skipped=frozenset({"prompts-errors/unknown-prompt-code", "prompts-errors/missing-argument-code"}),
    ),
    Case(
        "prompt-image-and-error-codes",
        ("prompt-bad-image", "prompt-error-codes"),
        "2025-11-25",
        PROMPTS,
        failed=frozenset({"prompts-get/messages-content"}),
        warned=frozenset({"prompts-errors/unknown-prompt-code", "prompts-errors/missing-argument-code"}),
    ),
    Case(
        "prompt-embedded-resource-without-mime",
        ("prompt-embedded-no-mime",),
        "2024-11-05",
        ("prompts-get",),
        failed=frozenset({"prompts-get/messages-content"}),
    ),
    Case(
        "completion-broken",
        ("completion-error",),
        "2025-11-25",
        ("completion",),
        failed=frozenset({"completion/prompt-argument", "completion/template-argument"}),
        # An error arrives for the unknown prompt too, but -32603 where -32602 is recommended.
        warned=frozenset({"completion/unknown-prompt-ref"}),
    ),
    Case(
        "completion-sloppy",
        ("completion-too-many", "completion-bad-counts", "completion-unknown-ok"),
        "2025-03-26",
        ("completion",),
        failed=frozenset({"completion/values-limit"}),
        warned=frozenset(
            {
                "completion/counts-consistent",
                "completion/unknown-prompt-ref",
                "completion/unknown-template-ref",
            }
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_fault_fails_exactly_the_checks_that_guard_it(case: Case) -> None:
    results = run(fake(*case.faults), case.revision, case.scenarios)
    assert with_status(results, Status.FAILED) == case.failed, messages(results)
    assert with_status(results, Status.WARNING) == case.warned, messages(results)
    assert case.skipped <= with_status(results, Status.SKIPPED)


def test_every_check_can_fail() -> None:
    caught = set().union(*(case.failed | case.warned for case in CASES))
    assert caught >= ALL_CHECKS, sorted(ALL_CHECKS - caught)


def test_failures_explain_themselves() -> None:
    results = run(
        fake("structured-mismatch", "prompt-embedded-no-mime"),
        "2025-11-25",
        ("tools-structured-output", "prompts-get"),
    )
    said = messages(results)
    assert (
        "weather's structuredContent does not conform to its outputSchema"
        in said["tools-structured-output/structured-content"]
    )
    assert "$.temperature" in said["tools-structured-output/structured-content"]
    assert "has no mimeType" in said["prompts-get/messages-content"]
    for result in results:
        for check in result.checks:
            if check.status is Status.FAILED:
                assert check.spec.url.startswith(
                    "https://modelcontextprotocol.io/specification/2025-11-25/server/"
                )
