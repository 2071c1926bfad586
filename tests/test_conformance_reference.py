"""The reference server and client pass both judges: our suite and the official npm suite.

These are the runs the README's main job prints, made into tests so that CI guards them:

* our suite against ``conformance.everything_server`` over stdio and over HTTP, at every
  revision it negotiates (all four handshake revisions), with every message validated against
  our models and, when ``../shared/spec`` is there, the official schemas: no failure, no
  warning;
* our suite against ``conformance.everything_client``, over both transports;
* the official suite (npm ``@modelcontextprotocol/conformance``, installed on first use into
  ``.cache/official`` with a Node.js 22 build from the npm registry when the machine's is
  older) against both: 0.1.16 ``server --suite all`` with no failure and no warning,
  0.2.0-alpha.12 ``server --suite all`` with every scenario of the revisions up to 2025-11-25
  passing, and every non-auth client scenario of those revisions in both versions.

The suites orchestrate processes; the stdio runs use asyncio and the HTTP runs trio, so the
suite itself is exercised on both back-ends.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from conformance._client_runner import run_client_suite
from conformance._model import HANDSHAKE, Status, client_scenarios, server_scenarios
from conformance._report import Summary, summarize, write_table
from conformance._runner import Options, ServerTarget, probe_revisions, run_server_suite
from conformance.official import OfficialReport, Verdict, run_official
from tests.spec import SPEC_DIR

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "official"
PYTHON = sys.executable
SERVER = "conformance.everything_server:server"
CLIENT = shlex.join([PYTHON, "-m", "conformance.everything_client"])

pytestmark = pytest.mark.timeout(900)


def _options() -> Options:
    schemas = None
    if SPEC_DIR.is_dir():
        from conformance._schema import SchemaSet

        schemas = SchemaSet(SPEC_DIR)
    return Options(timeout=20.0, jobs=4, schemas=schemas)


def _problems(summary: Summary) -> str:
    """The table of a failing run, for the assertion message."""
    import io

    out = io.StringIO()
    write_table(summary, out)
    return out.getvalue()[-8000:]


@pytest.fixture(scope="module")
def http_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The reference server over Streamable HTTP, in a child process on a free loopback port.
    Its stderr goes to a file, so that a chatty server can never fill a pipe nobody reads."""
    log = tmp_path_factory.mktemp("reference") / "stderr.txt"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "mcpcore.cli",
                "serve",
                SERVER,
                "--transport",
                "http",
                "--port",
                "0",
                "--no-access-log",
            ],
            cwd=ROOT,
            stderr=sink,
        )
    try:
        match = None
        for _ in range(600):  # the server prints its URL once it listens: 60 s at most
            match = re.search(r"at (http://\S+)", log.read_text())
            if match or process.poll() is not None:
                break
            time.sleep(0.1)
        assert match, f"the reference server did not start: {log.read_text()[-2000:]}"
        yield match.group(1)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _server_run(target: ServerTarget, backend: str) -> tuple[list[str], Summary]:
    async def main() -> tuple[list[str], Summary]:
        options = _options()
        revisions = await probe_revisions(target, options, HANDSHAKE)
        results = await run_server_suite(target, list(server_scenarios().values()), revisions, options)
        return revisions, summarize("server", str(target), target.transport, revisions, results, 0.0, None)

    return anyio.run(main, backend=backend)


def test_our_suite_passes_the_reference_server_over_stdio() -> None:
    command = shlex.join([PYTHON, "-m", "mcpcore.cli", "serve", SERVER])
    revisions, summary = _server_run(ServerTarget(command=command, cwd=str(ROOT)), "asyncio")
    assert revisions == list(HANDSHAKE)
    assert not summary.unexpected and not summary.count(Status.WARNING), _problems(summary)
    assert summary.count(Status.PASSED) > 500


def test_our_suite_passes_the_reference_server_over_http(http_url: str) -> None:
    revisions, summary = _server_run(ServerTarget(url=http_url), "trio")
    assert revisions == list(HANDSHAKE)
    assert not summary.unexpected and not summary.count(Status.WARNING), _problems(summary)
    assert summary.count(Status.PASSED) > 500


@pytest.mark.parametrize(("transport", "backend"), [("stdio", "asyncio"), ("http", "trio")])
def test_our_suite_passes_the_reference_client(transport: str, backend: str) -> None:
    async def main() -> Summary:
        results = await run_client_suite(
            CLIENT, transport, list(client_scenarios().values()), list(HANDSHAKE), _options(), 60.0
        )
        return summarize("client", CLIENT, transport, list(HANDSHAKE), results, 0.0, None)

    summary = anyio.run(main, backend=backend)
    assert summary.results
    assert not summary.unexpected and not summary.count(Status.WARNING), _problems(summary)


# -- the official suite -----------------------------------------------------------------------

# Scenarios of 0.2.0-alpha.12 outside what mcpcore implements: the tasks and skills extensions.
# Everything else, the 2026-07-28 scenarios included, must pass.
_ALPHA_SERVER_OUT_OF_SCOPE = re.compile(r"^(tasks-|sep-2640-)")
_ALPHA_2026_SERVER = (
    "server-stateless",
    "caching",
    "http-header-validation",
    "http-custom-header-server-validation",
    "sep-2164-resource-not-found",
    "input-required-result-basic-elicitation",
    "input-required-result-basic-sampling",
    "input-required-result-basic-list-roots",
    "input-required-result-request-state",
    "input-required-result-multiple-input-requests",
    "input-required-result-multi-round",
    "input-required-result-missing-input-response",
    "input-required-result-non-tool-request",
    "input-required-result-result-type",
    "input-required-result-unsupported-methods",
    "input-required-result-tampered-state",
    "input-required-result-capability-check",
    "input-required-result-ignore-extra-params",
    "input-required-result-validate-input",
)


def _official_report(mode: str, target: str, version: str, **kwargs: Any) -> OfficialReport:
    return run_official(mode, target, version=version, cache_dir=CACHE, timeout=600.0, **kwargs)


def test_official_0_1_16_passes_the_reference_server_without_warnings(http_url: str) -> None:
    report = _official_report("server", http_url, "0.1.16", suite="all")
    verdicts = {result.name: result.verdict for result in report.scenarios}
    assert len(verdicts) >= 30, verdicts
    bad = {name: verdict for name, verdict in verdicts.items() if verdict is not Verdict.PASSED}
    assert not bad, report.summary_line() + f"\n{bad}"


def test_official_alpha_passes_the_reference_server_in_both_eras(http_url: str) -> None:
    report = _official_report("server", http_url, "0.2.0-alpha.12", suite="all")
    in_scope = [r for r in report.scenarios if not _ALPHA_SERVER_OUT_OF_SCOPE.match(r.name)]
    assert len(in_scope) >= 50, [r.name for r in report.scenarios]
    assert set(_ALPHA_2026_SERVER) <= {r.name for r in in_scope}
    bad = {r.name: r.verdict for r in in_scope if r.verdict is not Verdict.PASSED}
    assert not bad, report.summary_line() + f"\n{bad}"


_CLIENT_SCENARIOS = {
    "0.1.16": ["initialize", "tools_call", "elicitation-sep1034-client-defaults", "sse-retry"],
    "0.2.0-alpha.12": [
        "initialize",
        "tools_call",
        "elicitation-sep1034-client-defaults",
        "sse-retry",
        "json-schema-2020-12-preservation",
    ],
}


@pytest.mark.parametrize("version", sorted(_CLIENT_SCENARIOS))
def test_official_suite_passes_the_reference_client(version: str) -> None:
    report = _official_report("client", CLIENT, version, scenarios=_CLIENT_SCENARIOS[version], cwd=ROOT)
    verdicts = {result.name: result.verdict for result in report.scenarios}
    assert sorted(verdicts) == sorted(_CLIENT_SCENARIOS[version])
    bad = {name: verdict for name, verdict in verdicts.items() if verdict is not Verdict.PASSED}
    assert not bad, report.summary_line() + f"\n{bad}"


# Every client scenario of 0.2.0-alpha.12 at 2026-07-28 but the authorization ones.
_CLIENT_2026 = [
    "request-metadata",
    "sep-2322-client-request-state",
    "http-standard-headers",
    "http-custom-headers",
    "http-invalid-tool-headers",
    "json-schema-ref-no-deref",
    "json-schema-2020-12-preservation",
    "tools_call",
]


def test_official_alpha_passes_the_reference_client_at_2026_07_28() -> None:
    report = _official_report(
        "client", CLIENT, "0.2.0-alpha.12", scenarios=_CLIENT_2026, spec_version="2026-07-28", cwd=ROOT
    )
    verdicts = {result.name: result.verdict for result in report.scenarios}
    assert sorted(verdicts) == sorted(_CLIENT_2026)
    bad = {name: verdict for name, verdict in verdicts.items() if verdict is not Verdict.PASSED}
    assert not bad, report.summary_line() + f"\n{bad}"


def test_official_alpha_passes_the_reference_server_at_2026_07_28(http_url: str) -> None:
    # With --spec-version, the shared scenarios too run at 2026-07-28, on the stateless wire.
    report = _official_report("server", http_url, "0.2.0-alpha.12", suite="all", spec_version="2026-07-28")
    in_scope = [r for r in report.scenarios if not _ALPHA_SERVER_OUT_OF_SCOPE.match(r.name)]
    assert len(in_scope) >= 35, [r.name for r in report.scenarios]
    bad = {r.name: r.verdict for r in in_scope if r.verdict is not Verdict.PASSED}
    assert not bad, report.summary_line() + f"\n{bad}"
