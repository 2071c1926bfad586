"""The official TypeScript reference server and SDK, installed from npm, as peers for interop tests.

Our own client talking to our own server proves little about the wire: both sides share one
reading of the spec, so a misreading passes unnoticed. The reference server published by the
MCP project (``@modelcontextprotocol/server-everything``, built on the official TypeScript
SDK) is the second opinion. It is pinned to one release, so that a test failing on a new day
points at our code and not at a new upstream version, and installed once with npm into the
ignored ``.cache/npm/`` folder; a stamp file written last marks a finished install, and a lock
keeps two test runs starting together from installing over each other.

The official TypeScript SDK (``@modelcontextprotocol/sdk``) is installed beside it, into the
same prefix, for the tests that drive our server with the SDK's own client: pinned to the
release the reference server's dependency resolves to, so that the two peers share one SDK,
with a stamp of its own (:func:`ensure_typescript_sdk`).

A registry that cannot be reached is an error, never a skip: an interop suite that silently
loses its peer checks nothing while looking green. The error quotes the tail of npm's output.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = "@modelcontextprotocol/server-everything"
# The newest release on the registry when these tests were written (npm view ... version).
VERSION = "2026.8.31"
REQUIREMENT = f"{PACKAGE}@{VERSION}"

REPO_ROOT = Path(__file__).resolve().parent.parent
NPM_DIR = REPO_ROOT / ".cache" / "npm"
PACKAGE_DIR = NPM_DIR / "node_modules" / "@modelcontextprotocol" / "server-everything"
# The launcher: its first argument names the transport, and "stdio" is the one we drive.
ENTRY = PACKAGE_DIR / "dist" / "index.js"
# The Markdown files the server exposes as static resources, and reads its instructions from.
DOCS_DIR = PACKAGE_DIR / "dist" / "docs"

_STAMP = ".mcpcore-server-everything-ready"  # one per package: others may share the prefix

SDK_PACKAGE = "@modelcontextprotocol/sdk"
# The newest release on the registry when the HTTP interop tests were written, and the one the
# pinned server-everything's "^1.30.0" resolves to, so both peers run the same SDK.
SDK_VERSION = "1.32.2"
SDK_REQUIREMENT = f"{SDK_PACKAGE}@{SDK_VERSION}"
SDK_DIR = NPM_DIR / "node_modules" / "@modelcontextprotocol" / "sdk"
_SDK_STAMP = ".mcpcore-typescript-sdk-ready"
_INSTALL_TIMEOUT = 600.0  # seconds; a first install downloads about a hundred packages
_OUTPUT_TAIL = 4_000  # characters of npm's output quoted in an error


class NpmInstallError(RuntimeError):
    """npm could not install the reference server (no registry, no npm, a broken package)."""


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _OUTPUT_TAIL else "..." + text[-_OUTPUT_TAIL:]


def _package_dir(npm_dir: Path, package: str = PACKAGE) -> Path:
    return npm_dir / "node_modules" / package


def _entry(npm_dir: Path) -> Path:
    return _package_dir(npm_dir) / "dist" / "index.js"


def _installed_version(npm_dir: Path, package: str = PACKAGE) -> str | None:
    try:
        manifest = json.loads((_package_dir(npm_dir, package) / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return version if isinstance(version, str) else None


def _ready(npm_dir: Path) -> bool:
    # The stamp alone is not enough: someone may have emptied node_modules since.
    stamp = npm_dir / _STAMP
    return (
        stamp.is_file()
        and stamp.read_text(encoding="utf-8").strip() == REQUIREMENT
        and _entry(npm_dir).is_file()
        and _installed_version(npm_dir) == VERSION
    )


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise NpmInstallError(
            f"the interop tests need Node.js and npm on PATH to install {REQUIREMENT}; "
            f"node={shutil.which('node')!r}, npm={npm!r}"
        )
    return npm


def _run_npm_install(npm_dir: Path, requirement: str, *options: str) -> str:
    """``npm install`` one requirement into the prefix; npm's output (raises on failure)."""
    command = [_npm(), "install", "--prefix", str(npm_dir), "--no-audit", "--no-fund", *options, requirement]
    # npm's update check is a second network call whose notice only clutters the error text.
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
        raise NpmInstallError(
            f"npm install timed out after {_INSTALL_TIMEOUT:g} s:\n{_tail(output)}"
        ) from exc
    if done.returncode != 0:
        raise NpmInstallError(
            f"installing {requirement} failed (npm exited with {done.returncode}) running "
            f"{' '.join(command)}:\n{_tail(done.stdout)}"
        )
    return done.stdout


def _install(npm_dir: Path) -> None:
    output = _run_npm_install(npm_dir, REQUIREMENT)
    found = _installed_version(npm_dir)
    if not _entry(npm_dir).is_file() or found != VERSION:
        raise NpmInstallError(
            f"npm install reported success but {_entry(npm_dir)} is missing or not version {VERSION} "
            f"(found {found!r}):\n{_tail(output)}"
        )


def ensure_server_everything(npm_dir: Path = NPM_DIR) -> Path:
    """Install (once) the pinned reference server under ``npm_dir``; return its launcher script.

    Raises :class:`NpmInstallError`, quoting npm, when it cannot be installed.
    """
    entry = _entry(npm_dir)
    if _ready(npm_dir):
        return entry
    npm_dir.mkdir(parents=True, exist_ok=True)
    # The lock sits beside the prefix, not in it: npm may rewrite the prefix's contents.
    with open(npm_dir.parent / f"{npm_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _ready(npm_dir):
            return entry
        print(f"installing {REQUIREMENT} into {npm_dir}; once", file=sys.stderr, flush=True)
        (npm_dir / _STAMP).unlink(missing_ok=True)
        _install(npm_dir)
        (npm_dir / _STAMP).write_text(REQUIREMENT + "\n", encoding="utf-8")
    return entry


def _sdk_ready(npm_dir: Path) -> bool:
    stamp = npm_dir / _SDK_STAMP
    return (
        stamp.is_file()
        and stamp.read_text(encoding="utf-8").strip() == SDK_REQUIREMENT
        and _installed_version(npm_dir, SDK_PACKAGE) == SDK_VERSION
    )


def ensure_typescript_sdk(npm_dir: Path = NPM_DIR) -> Path:
    """Install (once) the pinned TypeScript SDK under ``npm_dir``; return its package folder.

    Its ES modules are ``dist/esm/...`` under that folder. Raises :class:`NpmInstallError`,
    quoting npm, when it cannot be installed.
    """
    package_dir = _package_dir(npm_dir, SDK_PACKAGE)
    if _sdk_ready(npm_dir):
        return package_dir
    npm_dir.mkdir(parents=True, exist_ok=True)
    with open(npm_dir.parent / f"{npm_dir.name}.lock", "w") as lock:  # the server's lock: one prefix
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _sdk_ready(npm_dir):
            return package_dir
        print(f"installing {SDK_REQUIREMENT} into {npm_dir}; once", file=sys.stderr, flush=True)
        (npm_dir / _SDK_STAMP).unlink(missing_ok=True)
        # Saved exact: a later install of the server into this prefix must not move it.
        output = _run_npm_install(npm_dir, SDK_REQUIREMENT, "--save-exact")
        found = _installed_version(npm_dir, SDK_PACKAGE)
        if found != SDK_VERSION:
            raise NpmInstallError(
                f"npm install reported success but {package_dir} is missing or not version "
                f"{SDK_VERSION} (found {found!r}):\n{_tail(output)}"
            )
        (npm_dir / _SDK_STAMP).write_text(SDK_REQUIREMENT + "\n", encoding="utf-8")
    return package_dir


def server_args(entry: Path | None = None) -> list[str]:
    """The arguments to give ``node`` to run the reference server on stdio."""
    return [str(entry or ENTRY), "stdio"]
