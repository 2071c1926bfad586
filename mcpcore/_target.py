"""Finding the server that ``mcpcore serve TARGET`` runs.

A target names a :class:`~mcpcore.server.Server` object the way people already refer to
Python objects: ``package.module:attribute`` for something importable, ``path/to/file.py:attribute``
for a script that is not part of a package. Without ``:attribute`` the module's ``server`` is
taken, or its only ``Server`` if it has exactly one.

Everything that can go wrong here (no such file, the module fails to import, the attribute is
missing or is not a ``Server``) becomes a :class:`TargetError` whose message says what to pass
instead, because the person reading it is usually configuring a host, not debugging Python.

Loading a target runs its code, and a module that prints at import time would otherwise write
into what will become the protocol stream: while a target loads, ``sys.stdout`` and file
descriptor 1 both point at stderr.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import re
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcpcore.server import Server

__all__ = ["TRANSPORTS", "TargetError", "load_server", "parse_target", "serve"]

# What `mcpcore serve --transport` accepts; the HTTP transport adds its name here when it lands.
TRANSPORTS = ("stdio", "http")

_EXAMPLE = "package.module:server or path/to/file.py:server"


class TargetError(ValueError):
    """A serve target that cannot be found, imported, or is not an mcpcore ``Server``."""


def parse_target(spec: str) -> tuple[str, str | None]:
    """Split a target into (module name or file path, attribute or ``None``).

    The split is at the last ``:`` followed by a dotted name, so that a Windows drive letter
    (``C:\\servers\\echo.py``) is not taken for an attribute.
    """
    if not spec.strip():
        raise TargetError(f"the target is empty: pass {_EXAMPLE}")
    left, colon, right = spec.rpartition(":")
    if colon and left:
        if not right:
            raise TargetError(f"nothing after ':' in {spec!r}: pass {_EXAMPLE}")
        if all(part.isidentifier() for part in right.split(".")):
            return left, right
    return spec, None


def _is_path(where: str) -> bool:
    return where.endswith(".py") or "/" in where or os.sep in where or Path(where).is_file()


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send whatever the target prints while it loads to stderr, at the Python and fd level."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    try:
        saved = os.dup(1)
    except OSError:  # no fd 1 at all (closed by the host): nothing to protect
        saved = -1
    else:
        os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if saved >= 0:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 1)
            os.close(saved)


def _summary(exc: BaseException, skip: str) -> str:
    """A traceback of the target's own frames, without importlib's and ours."""
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not frame.filename.startswith("<frozen ") and frame.filename != __file__
    ]
    # The exception itself heads the message, so it is not repeated under the frames.
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    return f"cannot import {skip}: {type(exc).__name__}: {exc}\n" + "".join(lines).rstrip("\n")


def _module_name(path: Path) -> str:
    # Unique per file, so two targets called server.py never share (or replace) a module.
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:10]
    stem = re.sub(r"\W", "_", path.stem)
    return f"_mcpcore_target_{stem}_{digest}"


def _load_file(where: str) -> ModuleType:
    path = Path(where).expanduser()
    if path.is_dir():
        raise TargetError(
            f"{where} is a directory: name a .py file in it, e.g. {where.rstrip('/')}/server.py"
        )
    if not path.is_file():
        raise TargetError(f"no such file: {where}")
    path = path.resolve()
    directory = str(path.parent)
    # First on sys.path, so that the file's sibling modules win over installed namesakes.
    if not sys.path or sys.path[0] != directory:
        sys.path.insert(0, directory)
    name = _module_name(path)
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    if spec is None:  # pragma: no cover - a SourceFileLoader always gives a spec
        raise TargetError(f"cannot load {where} as Python source")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as an import would: dataclasses and pydantic look a class's
    # module up in sys.modules to resolve its annotations.
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except BaseException as exc:
        del sys.modules[name]
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise TargetError(_summary(exc, where)) from exc
    return module


def _load_module(where: str) -> ModuleType:
    if not all(part.isidentifier() for part in where.split(".")):
        raise TargetError(f"{where!r} is neither a module name nor an existing file: pass {_EXAMPLE}")
    # `python -m mcpcore` puts the working directory on sys.path and the `mcpcore` script does
    # not; both should find a module that sits where the command is run.
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(where)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if where == missing or where.startswith(missing + "."):
            raise TargetError(
                f"no module named {missing!r} (searched sys.path, the working directory first): "
                f"check the name, or pass the file's path, e.g. path/to/{where.rsplit('.', 1)[-1]}.py:server"
            ) from exc
        raise TargetError(_summary(exc, where)) from exc
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise TargetError(_summary(exc, where)) from exc


def _servers_in(module: ModuleType) -> list[str]:
    from mcpcore.server import Server

    return [name for name, value in vars(module).items() if isinstance(value, Server)]


def _pick(module: ModuleType, where: str, attribute: str | None) -> Any:
    if attribute is None:
        servers = _servers_in(module)
        if "server" in servers:
            return module.server
        if len(servers) == 1:
            return getattr(module, servers[0])
        if not servers:
            raise TargetError(
                f"{where} defines no mcpcore Server at module level: pass {where}:ATTRIBUTE naming one"
            )
        raise TargetError(
            f"{where} defines several servers ({', '.join(servers)}): pass one, e.g. {where}:{servers[0]}"
        )
    value: Any = module
    for i, part in enumerate(attribute.split(".")):
        try:
            value = getattr(value, part)
        except AttributeError:
            owner = where if i == 0 else f"{where}:{'.'.join(attribute.split('.')[:i])}"
            servers = _servers_in(module)
            hint = f"; its servers: {', '.join(servers)}" if servers else ""
            raise TargetError(f"{owner} has no attribute {part!r}{hint}") from None
    return value


def load_server(spec: str) -> Server:
    """Import the target and return its :class:`~mcpcore.server.Server`; raises :class:`TargetError`."""
    from mcpcore.server import Server

    where, attribute = parse_target(spec)
    with _stdout_to_stderr():
        module = _load_file(where) if _is_path(where) else _load_module(where)
    value = _pick(module, where, attribute)
    if not isinstance(value, Server):
        kind = type(value).__name__
        raise TargetError(
            f"{spec} names an object of type {kind}, not an mcpcore Server: "
            f"name the Server object, e.g. {where}:server"
        )
    return value


def serve(
    spec: str,
    *,
    transport: str = "stdio",
    backend: str = "asyncio",
    http_options: dict[str, Any] | None = None,
) -> None:
    """Load the target and serve it (``mcpcore serve``): over stdio until the client leaves,
    or over Streamable HTTP (``http_options``: host, port, path, ...) until interrupted."""
    if transport not in TRANSPORTS:
        raise TargetError(f"unknown transport {transport!r}; use one of: {', '.join(TRANSPORTS)}")
    server = load_server(spec)
    import anyio

    if transport == "http":
        options = dict(http_options or {})

        async def main() -> None:
            from transports.http import serve_http

            async with anyio.create_task_group() as tg:
                http = await tg.start(functools.partial(serve_http, server, **options))
                path = options.get("path", "/mcp")
                sys.stderr.write(f"mcpcore: serving MCP over Streamable HTTP at {http.url}{path}\n")
                sys.stderr.flush()

        anyio.run(main, backend=backend)
        return
    from transports.stdio import serve_stdio

    anyio.run(serve_stdio, server, backend=backend)
