"""The conformance suite's framework: checks, runner, capture, baseline, reports, command line.

Scenarios are tested in their own files; here the machinery is, with small scenarios built in
the test (not registered, so they never leak into the real suite) and the raw fakes of
``tests/conformance_fakes/framework_server.py``, each breaking one rule.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import anyio
import pytest

from conformance._baseline import BaselineError, parse_baseline
from conformance._model import (
    HANDSHAKE,
    CheckResult,
    Level,
    Scenario,
    ScenarioResult,
    SpecRef,
    Status,
    client_scenarios,
    server_scenarios,
)
from conformance._report import as_json, summarize, write_json, write_junit
from conformance._runner import (
    Options,
    ServerTarget,
    ServerTest,
    SuiteError,
    probe_revisions,
    run_server_suite,
    select,
)
from tests.spec import SPEC_DIR

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FAKE = ROOT / "tests" / "conformance_fakes" / "framework_server.py"
EXAMPLE = ROOT / "examples" / "everything_server.py"


def fake(mode: str) -> ServerTarget:
    return ServerTarget(command=shlex.join([PYTHON, str(FAKE), mode]))


def scenario(run: Any, name: str = "probe-scenario") -> Scenario:
    return Scenario(name, "a scenario of the framework tests", run, HANDSHAKE, ("stdio", "http"), "server")


def ids(results: list[ScenarioResult], status: Status) -> set[str]:
    return {c.id for r in results for c in r.checks if c.status is status}


# -- checks -----------------------------------------------------------------------------------


async def _checks_of_every_kind(t: ServerTest) -> None:
    with t.check("passes", "basic") as c:
        c.expect(True, "never shown")
    with t.check("fails", "basic") as c:
        c.expect(len("one") == 2, "one is not two", {"offending": True})
    with t.should("warns", "basic") as c:
        c.equal("a", "b", "letters")
    with t.check("skips", "basic") as c:
        c.skip("not applicable here")
    with t.check("suite-error", "basic"):
        raise KeyError("a bug of the scenario")
    t.skip("skipped-outright", "basic", "the target lacks it")


async def test_check_outcomes_map_to_statuses() -> None:
    results = await run_server_suite(
        fake("good"), [scenario(_checks_of_every_kind)], ["2025-06-18"], Options(timeout=5)
    )
    (result,) = results
    by_name = {c.check: c for c in result.checks}
    assert by_name["passes"].status is Status.PASSED
    assert by_name["fails"].status is Status.FAILED
    assert by_name["fails"].message == "one is not two"
    assert by_name["fails"].offending == {"offending": True}
    assert by_name["warns"].status is Status.WARNING
    assert "expected 'b', got 'a'" in by_name["warns"].message
    assert by_name["skips"].status is Status.SKIPPED
    assert by_name["suite-error"].status is Status.FAILED
    assert "KeyError" in by_name["suite-error"].message
    assert by_name["skipped-outright"].status is Status.SKIPPED
    assert by_name["fails"].spec.url == "https://modelcontextprotocol.io/specification/2025-06-18/basic"


async def _ping_twice(t: ServerTest) -> None:
    session = await t.session()
    with t.check("ping", "basic/utilities/ping") as c:
        reply = await session.request("ping", timeout=1.0)
        c.expect(reply.result == {}, "ping gets {}", reply.message)


async def test_a_silent_server_fails_the_check_with_a_timeout_message() -> None:
    results = await run_server_suite(
        fake("silent-ping"), [scenario(_ping_twice)], ["2025-03-26"], Options(timeout=5)
    )
    (check,) = [c for c in results[0].checks if c.check == "ping"]
    assert check.status is Status.FAILED
    assert "no response to 'ping'" in check.message
    assert check.trace, "a failing check carries the trace of the exchange"


async def test_junk_on_stdout_fails_the_framing_check() -> None:
    results = await run_server_suite(fake("junk-stdout"), [scenario(_ping_twice)], ["2025-03-26"], Options())
    assert "probe-scenario/framing" in ids(results, Status.FAILED)
    (framing,) = [c for c in results[0].checks if c.check == "framing"]
    assert "starting up, hello!" in framing.message


async def _list_tools(t: ServerTest) -> None:
    session = await t.session()
    with t.check("listed", "server/tools#listing-tools") as c:
        reply = await session.request("tools/list")
        c.expect(reply.result is not None, "tools/list succeeds", reply.message)


@pytest.mark.skipif(not SPEC_DIR.is_dir(), reason="the official schemas live in ../shared/spec, absent here")
async def test_a_malformed_result_fails_the_schema_check() -> None:
    from conformance._schema import SchemaSet

    for schemas in (None, SchemaSet(SPEC_DIR)):
        results = await run_server_suite(
            fake("bad-result"), [scenario(_list_tools)], ["2025-06-18"], Options(schemas=schemas)
        )
        (schema_check,) = [c for c in results[0].checks if c.check == "schema"]
        assert schema_check.status is Status.FAILED, schemas
        assert "tools/list" in schema_check.message
        good = await run_server_suite(
            fake("good"), [scenario(_list_tools)], ["2025-06-18"], Options(schemas=schemas)
        )
        assert "probe-scenario/schema" in ids(good, Status.PASSED)


async def test_probe_finds_the_revisions_a_server_negotiates() -> None:
    assert await probe_revisions(fake("good"), Options()) == list(HANDSHAKE)
    # A server that always answers with another revision supports none of those asked.
    assert await probe_revisions(fake("wrong-version"), Options()) == []


async def test_the_lifecycle_scenario_catches_a_wrong_version_echo() -> None:
    chosen = select(["lifecycle-initialize"], server_scenarios())
    results = await run_server_suite(fake("wrong-version"), chosen, ["2025-06-18"], Options())
    failed = ids(results, Status.FAILED)
    assert "lifecycle-initialize/version-echo" in failed


async def test_a_scenario_that_overruns_its_time_fails() -> None:
    async def sleepy(t: ServerTest) -> None:
        await anyio.sleep(30)

    results = await run_server_suite(
        fake("good"), [scenario(sleepy)], ["2025-06-18"], Options(scenario_timeout=0.2)
    )
    (check,) = results[0].checks
    assert check.status is Status.FAILED and "did not finish within 0.2 s" in check.message


# -- selection and targets --------------------------------------------------------------------


def test_select_takes_patterns_and_refuses_unknown_names() -> None:
    registry = server_scenarios()
    chosen = select(["lifecycle-*"], registry)
    assert chosen and all(s.name.startswith("lifecycle-") for s in chosen)
    with pytest.raises(SuiteError, match="no scenario matches 'nope'"):
        select(["nope"], registry)


def test_a_target_needs_exactly_one_of_command_and_url() -> None:
    with pytest.raises(SuiteError):
        ServerTarget()
    with pytest.raises(SuiteError):
        ServerTarget(command="x", url="http://127.0.0.1:1/mcp")
    with pytest.raises(SuiteError, match="http:// or https://"):
        ServerTarget(url="ftp://127.0.0.1/mcp")


# -- baseline ---------------------------------------------------------------------------------


def _check(
    scenario: str, check: str, status: Status, revision: str = "2025-06-18", transport: str = "stdio"
) -> CheckResult:
    return CheckResult(
        scenario, check, status, SpecRef(revision, "basic"), Level.MUST, revision, transport, "why"
    )


def test_baseline_entries_cover_failures_and_report_stale_ones() -> None:
    baseline = parse_baseline(
        """
# known failures
server:
  - tools-call                      # the whole scenario
  - "ping/ping 2025-06-18 http"     # one check, one revision, one transport
  - resources/read
client: []
"""
    )
    checks = [
        _check("tools-call", "structured", Status.FAILED),
        _check("ping", "ping", Status.FAILED, transport="http"),
        _check("ping", "ping", Status.FAILED, transport="stdio"),
        _check("resources", "read", Status.PASSED),
    ]
    expected, stale = baseline.apply("server", checks)
    assert [c.id for c in expected] == ["tools-call/structured", "ping/ping"]
    assert expected[1].transport == "http"
    assert [entry.text for entry in stale] == ["resources/read"]
    assert baseline.for_role("client") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("servers:\n  - x\n", "expected 'server:' or 'client:'"),
        ("- x\n", "outside 'server:' or 'client:'"),
        ("server:\n  - x 2099-01-01\n", "neither a revision"),
        ("server:\n  - 'x\n", "unterminated"),
        ("server:\n  key: value\n", "cannot read"),
    ],
)
def test_baseline_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(BaselineError, match=message) as info:
        parse_baseline(text, "baseline.yml")
    assert "baseline.yml, line" in str(info.value)


# -- reports ----------------------------------------------------------------------------------


def _results() -> list[ScenarioResult]:
    result = ScenarioResult("tools-call", "2025-06-18", "stdio", seconds=0.5)
    result.checks = [
        _check("tools-call", "listed", Status.PASSED),
        _check("tools-call", "structured", Status.FAILED),
        _check("tools-call", "advice", Status.WARNING),
        _check("tools-call", "audio", Status.SKIPPED),
    ]
    return [result]


def test_summary_exit_status_follows_unexpected_failures_and_stale_entries() -> None:
    plain = summarize("server", "cmd", "stdio", ["2025-06-18"], _results(), 1.0, None)
    assert plain.exit_status() == 1 and len(plain.unexpected) == 1
    covered = summarize(
        "server",
        "cmd",
        "stdio",
        ["2025-06-18"],
        _results(),
        1.0,
        parse_baseline("server:\n  - tools-call/structured\n"),
    )
    assert covered.exit_status() == 0 and len(covered.expected) == 1
    stale = summarize(
        "server",
        "cmd",
        "stdio",
        ["2025-06-18"],
        _results(),
        1.0,
        parse_baseline("server:\n  - tools-call/structured\n  - tools-call/listed\n"),
    )
    assert stale.exit_status() == 1 and [e.text for e in stale.stale] == ["tools-call/listed"]


def test_json_and_junit_reports(tmp_path: Path) -> None:
    summary = summarize("server", "cmd", "stdio", ["2025-06-18"], _results(), 1.0, None)
    data = as_json([summary])
    assert data["ok"] is False
    (run,) = data["runs"]
    assert run["totals"] == {"passed": 1, "failed": 1, "expected_failures": 0, "warnings": 1, "skipped": 1}
    checks = run["scenarios"][0]["checks"]
    assert checks[1]["spec"]["url"].endswith("/2025-06-18/basic")
    write_json([summary], tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["runs"][0]["target"] == "cmd"
    write_junit([summary], tmp_path / "r.xml")
    root = ET.parse(tmp_path / "r.xml").getroot()
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("skipped") == "1"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert cases["structured"].find("failure") is not None
    assert cases["audio"].find("skipped") is not None
    out = cases["advice"].find("system-out")
    assert out is not None and (out.text or "").startswith("warning:")


# -- command line -----------------------------------------------------------------------------


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "mcpcore.cli", "conformance", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_cli_lists_the_scenarios() -> None:
    done = _cli("list")
    assert done.returncode == 0
    for name in list(server_scenarios())[:3] + list(client_scenarios())[:3]:
        assert name in done.stdout


def test_cli_server_run_writes_reports_and_honours_a_baseline(tmp_path: Path) -> None:
    command = shlex.join([PYTHON, str(FAKE), "wrong-version"])
    # The fake negotiates nothing, so naming a revision is the only way to test it.
    done = _cli(
        "server",
        "--command",
        command,
        "--revision",
        "2025-06-18",
        "--scenario",
        "lifecycle-initialize",
        "--json",
        str(tmp_path / "out.json"),
        "--junit",
        str(tmp_path / "out.xml"),
        "--quiet",
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL lifecycle-initialize/version-echo" in done.stdout
    assert (
        "see https://modelcontextprotocol.io/specification/2025-06-18/basic/lifecycle#version-negotiation"
        in done.stdout
    )
    assert "refused initialize (or server/discover) at 2025-06-18" in done.stdout
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["ok"] is False
    baseline = tmp_path / "baseline.yml"
    baseline.write_text("server:\n  - lifecycle-initialize\n")
    done = _cli(
        "server",
        "--command",
        command,
        "--revision",
        "2025-06-18",
        "--scenario",
        "lifecycle-initialize",
        "--expected-failures",
        str(baseline),
        "--quiet",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "EXPECTED FAILURE lifecycle-initialize/version-echo" in done.stdout


def test_cli_errors_are_one_line_with_status_2(tmp_path: Path) -> None:
    done = _cli("server", "--command", shlex.join([PYTHON, str(FAKE), "wrong-version"]), "--quiet")
    assert done.returncode == 2 and "answered initialize (or server/discover) at no revision" in done.stderr
    done = _cli(
        "server", "--url", "http://127.0.0.1:1/mcp", "--expected-failures", str(tmp_path / "missing.yml")
    )
    assert done.returncode == 2 and "cannot read the expected-failures file" in done.stderr
    done = _cli("server", "--url", "http://127.0.0.1:1/mcp", "--schemas", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "is not a folder" in done.stderr
