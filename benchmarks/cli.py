"""``mcpcore bench``: run the benchmarks and print the table."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.harness import Workload

BACKENDS = ("asyncio", "trio")


PEERS = ("none", "official", "official-legacy")


def all_workloads(peer: str = "none") -> list[Workload]:
    """Our workloads, and (with ``peer``) the official SDK's, which are run side by side."""
    from benchmarks import engine, http, mcp, stdio

    workloads = [*engine.WORKLOADS, *mcp.WORKLOADS, *stdio.WORKLOADS, *http.WORKLOADS]
    if peer != "none":
        from benchmarks import official

        workloads += official.WORKLOADS + official.STDIO_WORKLOADS + official.HTTP_WORKLOADS
        if peer == "official-legacy":
            workloads += official.LEGACY_WORKLOADS
    return workloads


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rounds", type=int, default=5, help="rounds per workload (default: 5); figures are medians"
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply every workload's operations per round (default: 1.0)",
    )
    parser.add_argument("--quick", action="store_true", help="a short run: 3 rounds at scale 0.3")
    parser.add_argument(
        "--backend",
        choices=(*BACKENDS, "all"),
        default="asyncio",
        help="event loop to run on (default: asyncio)",
    )
    parser.add_argument(
        "--workload",
        action="append",
        metavar="KEY",
        help="run only this workload (repeatable); see --list. Baselines are added as needed",
    )
    parser.add_argument(
        "--peer",
        choices=PEERS,
        default="none",
        help="also run the official Python SDK (PyPI mcp 2.3.0, installed once into .cache/peers/) "
        "side by side, and report our speed-up over it; official-legacy adds its initialize-handshake "
        "mode (default: none)",
    )
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    parser.add_argument("--json", metavar="FILE", help="also write every sample and the environment to FILE")


def select(keys: list[str] | None, peer: str = "none") -> list[Workload]:
    workloads = all_workloads(peer)
    if not keys:
        return workloads
    by_key = {w.key: w for w in workloads}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise SystemExit(f"mcpcore bench: unknown workload {', '.join(unknown)} (see --list)")
    wanted = set(keys)
    for key in keys:
        for related in (by_key[key].baseline, by_key[key].peer):
            if related is not None and related in by_key:
                wanted.add(related)
    return [w for w in workloads if w.key in wanted]


def main(args: argparse.Namespace) -> int:
    from benchmarks.harness import Settings, run, stderr_if_tty, table, write_json

    if args.list:
        listed = all_workloads(args.peer)
        width = max(len(w.key) for w in listed)
        for w in listed:
            print(f"{w.key:<{width}} {w.name} [{w.transport}, {w.implementation}]")
        return 0
    if args.rounds < 1 or args.scale <= 0:
        raise SystemExit("mcpcore bench: --rounds must be at least 1 and --scale positive")
    settings = Settings(rounds=3, scale=0.3) if args.quick else Settings(rounds=args.rounds, scale=args.scale)
    backends = BACKENDS if args.backend == "all" else (args.backend,)
    if args.peer != "none":
        from benchmarks.official import ensure_peer_env

        ensure_peer_env()
    results = run(select(args.workload, args.peer), settings, backends, progress=stderr_if_tty())
    print(table(results, settings))
    if args.json:
        write_json(args.json, results, settings)
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0


def entry() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    add_arguments(parser)
    raise SystemExit(main(parser.parse_args()))
