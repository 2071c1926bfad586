"""The benchmark harness: workloads by transports by implementations, several runs, medians.

A :class:`Workload` knows how to set itself up (outside the timed part) and how to perform
``n`` operations, returning the seconds they took. The harness runs every workload once per
round, round after round, so a slow drift of the machine (this kind of machine varies by tens
of percent between passes) weighs on all of them alike; each figure is the median of its
rounds. A workload that names a ``baseline`` is also reported as a cost ratio against it,
computed round by round from measurements taken seconds apart: ratios from one run are the
only figures that mean something on a noisy machine.

Most workloads are rates (operations per second, higher is better). A few measure a state
rather than a speed, such as the memory an idle server holds: their ``kind`` is ``"value"``,
their measure returns the value itself (in the workload's unit, lower is better), and nothing
is warmed up first. Both kinds compare the same way, through their cost: ``1 / rate`` or the
value. The cost ratio is ours over the baseline's (lower is better); the speed-up is the peer's
cost over ours, "how many times better than the peer", so ``min_speedup`` reads alike for both.

Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

import anyio
from anyio.abc import Process

Measure = Callable[[int], Awaitable[float]]
"""Perform ``n`` operations, return the seconds they took (for a ``"value"`` workload: the value)."""

Kind = Literal["rate", "value"]


@dataclass(frozen=True)
class Workload:
    key: str  # unique and stable, for --workload and the JSON output
    name: str  # what is measured, for people
    transport: str
    implementation: str
    unit: str
    ops: int  # operations per round, before --scale
    session: Callable[[], AbstractAsyncContextManager[Measure]]
    baseline: str | None = None  # key of the workload this one's cost is compared to
    budget: float | None = None  # the most this may cost, in multiples of its baseline
    peer: str | None = None  # key of another implementation's workload this one is compared to
    min_speedup: float | None = None  # how many times the peer's rate this must reach
    kind: Kind = "rate"  # "rate": figures are n / seconds; "value": the measure's return value itself


def _cost(workload: Workload, figure: float) -> float:
    return figure if workload.kind == "value" else 1.0 / figure


@dataclass
class Result:
    workload: Workload
    backend: str
    # operations per second, one per round (for a "value" workload: the values, in its unit)
    rates: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # cost / baseline cost, one per round
    speedups: list[float] = field(default_factory=list)  # peer's cost / cost, one per round

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    @property
    def ratio(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None

    @property
    def speedup(self) -> float | None:
        return statistics.median(self.speedups) if self.speedups else None

    @property
    def meets_speedup(self) -> bool | None:
        speedup, target = self.speedup, self.workload.min_speedup
        if speedup is None or target is None:
            return None
        return speedup >= target

    @property
    def within_budget(self) -> bool | None:
        ratio, budget = self.ratio, self.workload.budget
        if ratio is None or budget is None:
            return None
        return ratio <= budget


@dataclass(frozen=True)
class Settings:
    rounds: int = 5
    scale: float = 1.0
    warmup: float = 0.1  # share of a round's operations run untimed first


def spread_over(in_flight: int, call: Callable[[], Awaitable[Any]]) -> Measure:
    """A measure that performs ``n`` calls from ``in_flight`` tasks at once."""

    async def caller(count: int) -> None:
        for _ in range(count):
            await call()

    async def measure(n: int) -> float:
        share, extra = divmod(n, in_flight)
        start = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for i in range(in_flight):
                tg.start_soon(caller, share + (1 if i < extra else 0))
        return time.perf_counter() - start

    return measure


def _ops(workload: Workload, settings: Settings) -> int:
    return max(1, int(workload.ops * settings.scale))


async def run_rounds(
    workloads: Sequence[Workload],
    settings: Settings,
    backend: str,
    progress: TextIO | None = None,
) -> list[Result]:
    results = {w.key: Result(w, backend) for w in workloads}
    for round_no in range(1, settings.rounds + 1):
        for workload in workloads:
            if progress is not None:
                print(
                    f"\r[{backend}] round {round_no}/{settings.rounds}: {workload.key:<40}",
                    end="",
                    file=progress,
                    flush=True,
                )
            n = _ops(workload, settings)
            async with workload.session() as measure:
                if workload.kind == "value":
                    figure = await measure(n)
                else:
                    await measure(max(1, int(n * settings.warmup)))
                    gc.collect()
                    figure = n / max(await measure(n), 1e-9)
            results[workload.key].rates.append(figure)
        for result in results.values():
            # From this round's figures: cost ratio = cost / baseline cost, speed-up = peer's cost / cost
            cost = _cost(result.workload, result.rates[-1])
            base_key = result.workload.baseline
            if base_key is not None and base_key in results:
                base = results[base_key]
                result.ratios.append(cost / _cost(base.workload, base.rates[-1]))
            peer_key = result.workload.peer
            if peer_key is not None and peer_key in results:
                peer = results[peer_key]
                result.speedups.append(_cost(peer.workload, peer.rates[-1]) / cost)
    if progress is not None:
        print("\r" + " " * 70 + "\r", end="", file=progress, flush=True)
    return list(results.values())


def run(
    workloads: Sequence[Workload],
    settings: Settings,
    backends: Sequence[str],
    progress: TextIO | None = None,
) -> list[Result]:
    results: list[Result] = []
    for backend in backends:
        results += anyio.run(run_rounds, workloads, settings, backend, progress, backend=backend)
    return results


def environment() -> dict[str, Any]:
    import orjson

    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "orjson": orjson.__version__,
        "anyio": _version("anyio"),
        "mcpcore": _version("mcpcore"),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


def _rate(value: float) -> str:
    # Three significant digits for small figures (connects per second, MiB), whole numbers above.
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def table(results: Sequence[Result], settings: Settings) -> str:
    env = environment()
    head = (
        f"Python {env['python']} on {env['platform']}, {env['cpus']} CPUs; "
        f"{settings.rounds} rounds, medians (spread: slowest-fastest round)"
    )
    rows = [
        ("workload", "transport", "implementation", "median", "unit", "spread", "cost vs baseline", "vs peer")
    ]
    for r in results:
        w = r.workload
        ratio = r.ratio
        if ratio is None:
            cost = ""
        else:
            cost = f"{ratio:.2f}x {w.baseline}"
            if w.budget is not None:
                verdict = "within" if r.within_budget else "OVER"
                cost += f" ({verdict} budget {w.budget:g}x)"
        spread = f"{_rate(min(r.rates))}-{_rate(max(r.rates))}"
        versus = ""
        if r.speedup is not None:
            if w.kind == "value":  # shown as the plain ratio of the values, ours over the peer's
                versus = f"{1 / r.speedup:.2f}x {w.peer}"
                if w.min_speedup is not None:
                    verdict = "meets" if r.meets_speedup else "ABOVE"
                    versus += f" ({verdict} target {1 / w.min_speedup:.2g}x)"
            else:
                versus = f"{r.speedup:.1f}x {w.peer}"
                if w.min_speedup is not None:
                    versus += f" ({'meets' if r.meets_speedup else 'BELOW'} target {w.min_speedup:g}x)"
        rows.append(
            (
                w.name,
                w.transport,
                f"{w.implementation} ({r.backend})",
                _rate(r.median),
                w.unit,
                spread,
                cost,
                versus,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {3, 5}
    lines = [head, ""]
    for index, row in enumerate(rows):
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def to_json(results: Sequence[Result], settings: Settings) -> dict[str, Any]:
    return {
        "environment": environment(),
        "settings": {"rounds": settings.rounds, "scale": settings.scale},
        "results": [
            {
                "key": r.workload.key,
                "name": r.workload.name,
                "transport": r.workload.transport,
                "implementation": r.workload.implementation,
                "backend": r.backend,
                "kind": r.workload.kind,
                "unit": r.workload.unit,
                "median": r.median,
                "rates": r.rates,
                "baseline": r.workload.baseline,
                "cost_ratio": r.ratio,
                "cost_ratios": r.ratios,
                "budget": r.workload.budget,
                "within_budget": r.within_budget,
                "peer": r.workload.peer,
                "speedup": r.speedup,
                "speedups": r.speedups,
                "min_speedup": r.workload.min_speedup,
                "meets_speedup": r.meets_speedup,
            }
            for r in results
        ],
    }


def write_json(path: str, results: Sequence[Result], settings: Settings) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(to_json(results, settings), f, indent=2)
        f.write("\n")


async def stop_child(process: Process, timeout: float = 5.0) -> None:
    """End a benchmark's child process: close its stdin (children exit at end of input), wait,
    then kill it; shielded, so a cancelled benchmark still leaves no process behind."""
    with anyio.CancelScope(shield=True):
        if process.stdin is not None:
            try:
                await process.stdin.aclose()
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                pass
        else:
            process.terminate()
        with anyio.move_on_after(timeout):
            await process.wait()
        if process.returncode is None:
            process.kill()
            await process.wait()
        await process.aclose()


def stderr_if_tty() -> TextIO | None:
    return sys.stderr if sys.stderr.isatty() else None
