"""Expected failures: a YAML baseline of what is known to fail, so CI catches only news.

The file lists entries under ``server:`` and ``client:`` (the same shape the official suite
reads). An entry names a scenario, or one check of it, optionally narrowed to a revision and a
transport::

    server:
      - tools-call                              # any failure of the scenario
      - tools-call/structured-output            # one check
      - "resources/subscribe 2025-06-18 http"   # one check at one revision, over one transport
    client:
      - sampling

A failure an entry covers is *expected* and does not fail the run; an entry that covers no
failure is *stale* and does fail it, so the baseline shrinks as fixes land.

Only this subset of YAML is read (mappings of lists of plain or quoted strings, comments), by a
small parser of our own, so the suite needs no YAML library; anything else is an error that
names the line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from conformance._model import ALL_REVISIONS, TRANSPORTS, CheckResult, Status

__all__ = ["Baseline", "BaselineError", "Entry", "load_baseline", "parse_baseline"]


class BaselineError(ValueError):
    """The expected-failures file cannot be read."""


@dataclass(frozen=True, slots=True)
class Entry:
    text: str
    scenario: str
    check: str | None
    revision: str | None
    transport: str | None

    def covers(self, result: CheckResult) -> bool:
        return (
            result.scenario == self.scenario
            and (self.check is None or result.check == self.check)
            and (self.revision is None or result.revision == self.revision)
            and (self.transport is None or result.transport == self.transport)
        )


@dataclass(slots=True)
class Baseline:
    entries: dict[str, list[Entry]]

    def for_role(self, role: str) -> list[Entry]:
        return self.entries.get(role, [])

    def apply(self, role: str, checks: Iterable[CheckResult]) -> tuple[list[CheckResult], list[Entry]]:
        """Split failures: returns (the expected ones, the stale entries)."""
        entries = self.for_role(role)
        used: set[Entry] = set()
        expected: list[CheckResult] = []
        for check in checks:
            if check.status is not Status.FAILED:
                continue
            matching = [entry for entry in entries if entry.covers(check)]
            if matching:
                expected.append(check)
                used.update(matching)
        return expected, [entry for entry in entries if entry not in used]


def _entry(text: str, where: str) -> Entry:
    words = text.split()
    if not words:
        raise BaselineError(f"{where}: an empty entry")
    name, *rest = words
    scenario, _, check = name.partition("/")
    revision = transport = None
    for word in rest:
        if word in ALL_REVISIONS and revision is None:
            revision = word
        elif word in TRANSPORTS and transport is None:
            transport = word
        else:
            raise BaselineError(
                f"{where}: {word!r} is neither a revision ({', '.join(ALL_REVISIONS)}) "
                "nor a transport (stdio, http)"
            )
    return Entry(text, scenario, check or None, revision, transport)


def _scalar(raw: str, where: str) -> str:
    value = raw.strip()
    if value[:1] in ("'", '"'):
        quote = value[0]
        if len(value) < 2 or not value.endswith(quote):
            raise BaselineError(f"{where}: an unterminated quoted string")
        return value[1:-1]
    return value


def _strip_comment(line: str) -> str:
    quote: str | None = None
    for index, char in enumerate(line):
        if quote is not None:
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index]
    return line


def parse_baseline(text: str, source: str = "the baseline") -> Baseline:
    entries: dict[str, list[Entry]] = {}
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        where = f"{source}, line {number}"
        line = _strip_comment(raw).rstrip()
        if not line.strip() or line.strip() == "---":
            continue
        stripped = line.strip()
        if not raw[:1].isspace() and stripped.endswith(":") and not stripped.startswith("-"):
            current = stripped[:-1].strip()
            if current not in ("server", "client"):
                raise BaselineError(f"{where}: expected 'server:' or 'client:', not {current!r}")
            entries.setdefault(current, [])
            continue
        if stripped.endswith(": []") and not raw[:1].isspace():
            key = stripped[:-4].strip()
            if key not in ("server", "client"):
                raise BaselineError(f"{where}: expected 'server:' or 'client:', not {key!r}")
            entries.setdefault(key, [])
            current = None
            continue
        if stripped.startswith("- "):
            if current is None:
                raise BaselineError(f"{where}: a list item outside 'server:' or 'client:'")
            entries[current].append(_entry(_scalar(stripped[2:], where), where))
            continue
        raise BaselineError(
            f"{where}: cannot read {raw.strip()!r} (only 'server:'/'client:' lists of strings)"
        )
    return Baseline(entries)


def load_baseline(path: str | Path) -> Baseline:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot read the expected-failures file {path}: {exc.strerror or exc}") from None
    return parse_baseline(text, str(path))
