"""The scorecard: a table per scenario for people, JSON and JUnit XML for machines.

Every output says the same thing: for each scenario (at a revision, over a transport) the
checks that passed, failed, warned or were skipped, and for each failure the spec section it
enforces, the reason and the offending message. The exit status is 0 only when nothing failed
unexpectedly and the baseline holds no stale entry.
"""

from __future__ import annotations

import contextlib
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import orjson

from conformance._baseline import Baseline, Entry
from conformance._model import CheckResult, ScenarioResult, Status

__all__ = ["Progress", "Summary", "progress_line", "summarize", "write_json", "write_junit", "write_table"]


@dataclass(slots=True)
class Summary:
    role: str
    target: str
    transport: str
    revisions: list[str]
    results: list[ScenarioResult]
    seconds: float
    expected: list[CheckResult] = field(default_factory=list)
    stale: list[Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. revisions the target refused

    def checks(self) -> list[CheckResult]:
        return [check for result in self.results for check in result.checks]

    def count(self, status: Status) -> int:
        return sum(result.count(status) for result in self.results)

    @property
    def unexpected(self) -> list[CheckResult]:
        expected = {id(check) for check in self.expected}
        return [c for c in self.checks() if c.status is Status.FAILED and id(c) not in expected]

    @property
    def ok(self) -> bool:
        return not self.unexpected and not self.stale

    def exit_status(self) -> int:
        return 0 if self.ok else 1


def summarize(
    role: str,
    target: str,
    transport: str,
    revisions: list[str],
    results: list[ScenarioResult],
    seconds: float,
    baseline: Baseline | None,
    notes: list[str] | None = None,
) -> Summary:
    summary = Summary(role, target, transport, revisions, results, seconds, notes=list(notes or []))
    if baseline is not None:
        summary.expected, summary.stale = baseline.apply(role, summary.checks())
    return summary


def _offending(value: Any, limit: int = 600) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = orjson.dumps(value, default=str).decode()
        except TypeError:
            text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def write_table(summary: Summary, out: TextIO, *, verbose: bool = False) -> None:
    expected = {id(check) for check in summary.expected}
    out.write(
        f"\nmcpcore conformance: {summary.role} over {summary.transport}: {summary.target}\n"
        f"revisions: {', '.join(summary.revisions) or '(none)'}\n"
    )
    for note in summary.notes:
        out.write(f"note: {note}\n")
    groups: dict[tuple[str, str], list[ScenarioResult]] = {}
    for result in summary.results:
        groups.setdefault((result.revision, result.transport), []).append(result)
    width = max([len(r.scenario) for r in summary.results] + [8])
    for (revision, transport), results in groups.items():
        out.write(f"\n{revision} · {transport}\n")
        out.write(f"  {'scenario':<{width}}  passed  failed  warnings  skipped\n")
        for result in results:
            mark = (
                "x"
                if any(c.status is Status.FAILED and id(c) not in expected for c in result.checks)
                else " "
            )
            out.write(
                f"{mark} {result.scenario:<{width}}  {result.count(Status.PASSED):>6}  "
                f"{result.count(Status.FAILED):>6}  {result.count(Status.WARNING):>8}  "
                f"{result.count(Status.SKIPPED):>7}\n"
            )
        for result in results:
            for check in result.checks:
                if check.status not in (Status.FAILED, Status.WARNING) and not (
                    verbose and check.status is Status.SKIPPED
                ):
                    continue
                label = {
                    Status.FAILED: "EXPECTED FAILURE" if id(check) in expected else "FAIL",
                    Status.WARNING: "WARN",
                    Status.SKIPPED: "SKIP",
                }[check.status]
                out.write(f"  {label} {check.id}  [{check.spec}]\n")
                out.write(f"       {check.message}\n")
                out.write(f"       see {check.spec.url}\n")
                if check.offending is not None:
                    out.write(f"       offending: {_offending(check.offending)}\n")
                if verbose and check.trace:
                    out.write("       trace:\n")
                    for line in check.trace:
                        out.write(f"         {line[:400]}\n")
    for entry in summary.stale:
        out.write(f"\nSTALE baseline entry {entry.text!r}: it no longer fails; remove it from the baseline\n")
    extra = f", {len(summary.expected)} expected failures" if summary.expected else ""
    out.write(
        f"\nTotal: {summary.count(Status.PASSED)} passed, {len(summary.unexpected)} failed, "
        f"{summary.count(Status.WARNING)} warnings, {summary.count(Status.SKIPPED)} skipped{extra} "
        f"in {len(summary.results)} scenario runs, {summary.seconds:.2f} s\n"
    )


def _check_json(check: CheckResult, expected: bool) -> dict[str, Any]:
    return {
        "scenario": check.scenario,
        "check": check.check,
        "id": check.id,
        "status": check.status.value,
        "expected_failure": expected,
        "level": check.level.value,
        "revision": check.revision,
        "transport": check.transport,
        "spec": {"revision": check.spec.revision, "section": check.spec.section, "url": check.spec.url},
        "message": check.message,
        "offending": check.offending if _jsonable(check.offending) else _offending(check.offending),
        "trace": check.trace,
    }


def _jsonable(value: Any) -> bool:
    try:
        orjson.dumps(value)
    except TypeError:
        return False
    return True


def as_json(summaries: Sequence[Summary]) -> dict[str, Any]:
    runs = []
    for summary in summaries:
        expected = {id(check) for check in summary.expected}
        runs.append(
            {
                "role": summary.role,
                "target": summary.target,
                "transport": summary.transport,
                "revisions": summary.revisions,
                "notes": summary.notes,
                "seconds": round(summary.seconds, 3),
                "totals": {
                    "passed": summary.count(Status.PASSED),
                    "failed": len(summary.unexpected),
                    "expected_failures": len(summary.expected),
                    "warnings": summary.count(Status.WARNING),
                    "skipped": summary.count(Status.SKIPPED),
                },
                "stale_baseline_entries": [entry.text for entry in summary.stale],
                "scenarios": [
                    {
                        "scenario": result.scenario,
                        "revision": result.revision,
                        "transport": result.transport,
                        "seconds": round(result.seconds, 3),
                        "checks": [_check_json(c, id(c) in expected) for c in result.checks],
                    }
                    for result in summary.results
                ],
            }
        )
    return {"ok": all(summary.ok for summary in summaries), "runs": runs}


def write_json(summaries: Sequence[Summary], path: str | Path) -> None:
    Path(path).write_bytes(orjson.dumps(as_json(summaries), option=orjson.OPT_INDENT_2))


def write_junit(summaries: Sequence[Summary], path: str | Path) -> None:
    """One <testsuite> per scenario run, one <testcase> per check. JUnit has no warnings: a
    warning is a passing test case whose system-out says why."""
    root = ET.Element("testsuites", name="mcpcore conformance")
    for summary in summaries:
        expected = {id(check) for check in summary.expected}
        for result in summary.results:
            failures = sum(1 for c in result.checks if c.status is Status.FAILED and id(c) not in expected)
            suite = ET.SubElement(
                root,
                "testsuite",
                name=f"{summary.role}.{result.transport}.{result.revision}.{result.scenario}",
                tests=str(len(result.checks)),
                failures=str(failures),
                skipped=str(result.count(Status.SKIPPED)),
                time=f"{result.seconds:.3f}",
            )
            for check in result.checks:
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=f"{summary.role}.{result.transport}.{result.revision}.{result.scenario}",
                    name=check.check,
                )
                detail = f"{check.message}\nspec: {check.spec} ({check.spec.url})"
                if check.offending is not None:
                    detail += f"\noffending: {_offending(check.offending, 4000)}"
                if check.status is Status.FAILED and id(check) not in expected:
                    failure = ET.SubElement(case, "failure", message=check.message[:500])
                    failure.text = detail
                elif check.status is Status.SKIPPED:
                    ET.SubElement(case, "skipped", message=check.message[:500])
                elif check.status is Status.WARNING or id(check) in expected:
                    out = ET.SubElement(case, "system-out")
                    kind = "expected failure" if id(check) in expected else "warning"
                    out.text = f"{kind}: {detail}"
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


Progress = Callable[[str], None]


@contextlib.contextmanager
def progress_line(enabled: bool) -> Iterator[Progress]:
    """A one-line status on stderr, rewritten in place on a terminal."""
    tty = enabled and sys.stderr.isatty()
    last = [0.0]

    def show(text: str) -> None:
        if not enabled:
            return
        if tty:
            sys.stderr.write("\r\x1b[2K" + text[:150])
            sys.stderr.flush()
        else:
            now = time.monotonic()
            if now - last[0] >= 5.0:  # a log file gets a line every few seconds, not a flood
                last[0] = now
                sys.stderr.write(text + "\n")

    try:
        yield show
    finally:
        if tty:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
