"""The official-SDK benchmark peer: its environment builds, and its workloads measure.

These tests start real worker processes under the peer's own environment, built by
``ensure_peer_env`` on first use. That first use needs the package registry; when it cannot be
reached the set-up fails, by the project's rule, rather than skipping: a peer that quietly
goes missing leaves the benchmark's ratios unchecked. Rates are asserted positive, never fast.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest

from benchmarks import harness, official
from benchmarks.harness import Measure, Settings

# Building the environment from the registry takes tens of seconds, far past the suite's
# default limit; every wait inside the workloads is bounded on its own.
pytestmark = pytest.mark.timeout(900)

TINY = Settings(rounds=1, scale=0.01)


@pytest.fixture(scope="module")
def peer_env() -> None:
    official.ensure_peer_env()


def test_the_environment_holds_the_pinned_sdk_and_not_ours(peer_env: None) -> None:
    probe = (
        "import importlib.metadata as m, importlib.util as u;"
        "print(m.version('mcp'), u.find_spec('mcpcore') is None, u.find_spec('benchmarks') is None)"
    )
    done = subprocess.run(
        [str(official.peer_python()), "-I", "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.split() == [official.PEER_VERSION, "True", "True"]


def test_ensure_peer_env_reuses_a_finished_environment(peer_env: None) -> None:
    python = official.peer_python()
    before = python.stat().st_mtime_ns
    assert official.ensure_peer_env() == official.PEER_DIR
    assert python.stat().st_mtime_ns == before


def test_workloads_are_named_as_the_table_needs() -> None:
    keys = [w.key for w in official.WORKLOADS]
    assert keys == ["official-seq", "official-32"]
    assert [w.key for w in official.LEGACY_WORKLOADS] == ["official-legacy-seq", "official-legacy-32"]
    for w in official.WORKLOADS + official.LEGACY_WORKLOADS:
        assert w.implementation == "official SDK 2.3.0"
        assert w.unit == "calls/s"
        assert "(asyncio)" in w.name  # the worker's loop, whatever the harness runs on


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_tiny_round_of_each_workload_measures_a_positive_rate(peer_env: None, backend: str) -> None:
    # The harness's own loop drives the worker process, so its plumbing is tried on both backends.
    results = harness.run(official.WORKLOADS, TINY, [backend])
    assert [r.workload.key for r in results] == ["official-seq", "official-32"]
    for result in results:
        assert result.backend == backend
        assert len(result.rates) == 1
        assert result.rates[0] > 0


def test_a_tiny_round_of_the_legacy_workloads_measures_a_positive_rate(peer_env: None) -> None:
    results = harness.run(official.LEGACY_WORKLOADS, TINY, ["asyncio"])
    assert [len(r.rates) for r in results] == [1, 1]
    assert all(r.rates[0] > 0 for r in results)


def _failing_session(session: Callable[[], AbstractAsyncContextManager[Measure]]) -> harness.Workload:
    return harness.Workload(
        key="broken",
        name="broken",
        transport="memory",
        implementation="official SDK",
        unit="calls/s",
        ops=10,
        session=session,
    )


def test_a_worker_that_cannot_start_fails_with_its_stderr(peer_env: None) -> None:
    broken = _failing_session(official.peer_session("seq", "no-such-mode"))
    with pytest.raises(RuntimeError, match="closed its output") as info:
        harness.run([broken], TINY, ["asyncio"])
    assert "exited with 2" in str(info.value)
    assert "no-such-mode" in str(info.value)  # the worker's own message, from its stderr


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the backends are covered above
async def test_a_refused_run_raises_and_the_session_still_closes(peer_env: None) -> None:
    async with official.WORKLOADS[0].session() as measure:
        with pytest.raises(RuntimeError, match="n must be 1"):
            await measure(0)
        assert await measure(3) >= 0  # the worker survives a refused command
