"""The stdio benchmarks: every workload runs a tiny round over real pipes and measures something.

Each workload spawns real processes (the floor child, ``mcpcore serve`` of the echo example, the
official SDK's worker and its server), so these tests check the plumbing end to end: a workload
that cannot start, answers wrongly or loses a notification raises instead of producing a
figure. Figures are asserted positive and plausible, never fast. The official SDK's workloads
need its environment, built on first use from the registry; by the project's rule a missing
registry fails the set-up rather than skipping.

The harness's ``"value"`` kind (a figure that is not a rate, such as memory) is checked here
too, with fake sessions whose figures are known.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from benchmarks import harness, official, stdio
from benchmarks.cli import all_workloads, select
from benchmarks.harness import Kind, Measure, Settings, Workload

# The official SDK's environment may have to be built from the registry first (tens of seconds);
# every wait inside the workloads is bounded on its own.
pytestmark = pytest.mark.timeout(900)

TINY = Settings(rounds=1, scale=0.01)


def _by_key(results: list[harness.Result]) -> dict[str, harness.Result]:
    return {r.workload.key: r for r in results}


@pytest.mark.anyio
async def test_a_tiny_round_of_each_of_our_workloads_measures_a_positive_figure(anyio_backend: str) -> None:
    results = _by_key(await harness.run_rounds(stdio.WORKLOADS, TINY, anyio_backend))
    assert list(results) == [w.key for w in stdio.WORKLOADS]
    for result in results.values():
        assert len(result.rates) == 1
        assert result.rates[0] > 0, result.workload.key
    # Memory in MiB: more than nothing, less than any Python server could plausibly hold idle.
    for key in ("stdio-floor-idle-rss", "stdio-idle-rss"):
        assert 1 < results[key].rates[0] < 4096
    # Baselines are in the same run, so every cost ratio was computed, as a positive number.
    for key in ("stdio-seq", "stdio-32", "stdio-connect", "stdio-idle-rss"):
        assert len(results[key].ratios) == 1 and results[key].ratios[0] > 0
    # The peers were not run: no speed-up can have been made up.
    assert all(not r.speedups for r in results.values())


@pytest.fixture(scope="module")
def peer_env() -> None:
    official.ensure_peer_env()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the worker runs asyncio whatever the harness runs
async def test_a_tiny_round_of_each_official_stdio_workload_measures_a_positive_figure(
    peer_env: None, anyio_backend: str
) -> None:
    workloads = [*official.STDIO_WORKLOADS, *stdio.WORKLOADS]
    results = _by_key(await harness.run_rounds(workloads, TINY, anyio_backend))
    for workload in official.STDIO_WORKLOADS:
        assert len(results[workload.key].rates) == 1
        assert results[workload.key].rates[0] > 0, workload.key
    assert 1 < results["official-stdio-idle-rss"].rates[0] < 4096
    # Every one of ours that names an official peer got its speed-up from this round.
    for workload in stdio.WORKLOADS:
        if workload.peer is not None:
            assert results[workload.key].speedups and results[workload.key].speedups[0] > 0


def test_ours_and_the_peers_pair_up_by_unit_and_kind() -> None:
    ours = {w.key: w for w in stdio.WORKLOADS}
    theirs = {w.key: w for w in official.STDIO_WORKLOADS}
    assert set(theirs) == {f"official-{key}" for key in ("stdio-seq", "stdio-32", "stdio-flood")} | {
        "official-stdio-connect",
        "official-stdio-idle-rss",
    }
    for workload in ours.values():
        related = [workload.baseline, workload.peer]
        for key in related:
            if key is not None:
                other = ours.get(key) or theirs[key]
                assert (other.unit, other.kind) == (workload.unit, workload.kind), key
    assert ours["stdio-seq"].budget == 1.5 and ours["stdio-idle-rss"].budget == 1.5
    assert ours["stdio-connect"].min_speedup == 5.0
    assert all(w.implementation == "official SDK 2.3.0" and "(asyncio)" in w.name for w in theirs.values())


def test_the_cli_registers_ours_always_and_the_peers_with_peer_official() -> None:
    plain = {w.key for w in all_workloads()}
    assert {w.key for w in stdio.WORKLOADS} <= plain
    assert not any(key.startswith("official") for key in plain)
    with_peer = {w.key for w in all_workloads("official")}
    assert {w.key for w in official.STDIO_WORKLOADS} <= with_peer
    # Asking for one workload brings its baseline and, under --peer, its peer.
    assert {w.key for w in select(["stdio-idle-rss"], "official")} == {
        "stdio-idle-rss",
        "stdio-floor-idle-rss",
        "official-stdio-idle-rss",
    }
    assert {w.key for w in select(["stdio-seq"])} == {"stdio-seq", "stdio-floor-seq"}


def test_peak_rss_is_read_from_proc_and_a_missing_process_is_a_clear_error() -> None:
    assert 1 < stdio.peak_rss_mib(os.getpid()) < 1 << 20
    with pytest.raises(stdio.BenchmarkError, match="never started"):
        stdio.peak_rss_mib(None)
    with pytest.raises(stdio.BenchmarkError, match="/proc"):
        stdio.peak_rss_mib(2**22 + 12345)  # above any pid_max Linux allows


# -- the harness's "value" kind, with figures known in advance -----------------------------------


def _fixed(figure: float, calls: list[int]) -> Callable[[], AbstractAsyncContextManager[Measure]]:
    @asynccontextmanager
    async def session() -> AsyncIterator[Measure]:
        async def measure(n: int) -> float:
            calls.append(n)
            return figure

        yield measure

    return session


def _workload(
    key: str,
    figure: float,
    calls: list[int],
    *,
    kind: Kind = "value",
    baseline: str | None = None,
    budget: float | None = None,
    peer: str | None = None,
    min_speedup: float | None = None,
) -> Workload:
    return Workload(
        key=key,
        name=key,
        transport="-",
        implementation="test",
        unit="MiB",
        ops=40,
        session=_fixed(figure, calls),
        kind=kind,
        baseline=baseline,
        budget=budget,
        peer=peer,
        min_speedup=min_speedup,
    )


@pytest.mark.anyio
async def test_a_value_workload_records_its_value_unwarmed_and_compares_values(anyio_backend: str) -> None:
    calls: list[int] = []
    workloads = [
        _workload("floor", 10.0, []),
        _workload("peer", 60.0, []),
        _workload("ours", 30.0, calls, baseline="floor", budget=1.5, peer="peer", min_speedup=1.5),
    ]
    results = _by_key(await harness.run_rounds(workloads, Settings(rounds=2, scale=0.5), anyio_backend))
    ours = results["ours"]
    assert calls == [20, 20]  # one measure per round, of the scaled ops: no warm-up for a value
    assert ours.rates == [30.0, 30.0]  # the value itself, not n / value
    assert ours.ratio == pytest.approx(3.0)  # 30 / 10: lower is better, like any cost
    assert ours.within_budget is False
    assert ours.speedup == pytest.approx(2.0)  # the peer holds twice as much: ours is 2x better
    assert ours.meets_speedup is True
    table = harness.table(list(results.values()), Settings(rounds=2, scale=0.5))
    assert "3.00x floor (OVER budget 1.5x)" in table
    assert "0.50x peer (meets target 0.67x)" in table  # shown as ours / the peer's value
    assert harness.to_json(list(results.values()), Settings())["results"][2]["kind"] == "value"


@pytest.mark.anyio
async def test_a_rate_workload_is_still_warmed_up_and_timed(anyio_backend: str) -> None:
    calls: list[int] = []
    rate = _workload("rate", 2.0, calls, kind="rate")  # n operations in 2 seconds
    results = await harness.run_rounds([rate], Settings(rounds=1, scale=1.0), anyio_backend)
    assert calls == [4, 40]  # the warm-up share first, then the timed run
    assert results[0].rates == [pytest.approx(20.0)]
