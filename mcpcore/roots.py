"""Roots: the ``file://`` URIs a client exposes, and the check that keeps a server inside them.

A client tells a server which parts of its filesystem the server may work in by listing
roots (``roots/list``). A server that reads or writes files on a client's behalf should refuse
every path outside those roots, and that check is easy to get subtly wrong, so it lives here
once:

* **URIs and paths.** :func:`path_to_uri` and :func:`uri_to_path` convert between a local path
  and a ``file://`` URI, percent-encoding the UTF-8 bytes of each path segment (RFC 3986 and
  RFC 8089). The conversion is strict where leniency would let a URI say something other than
  what it looks like: a ``%2F`` inside a segment, a ``%00``, a query, a fragment or a control
  character is a :class:`RootError`, never silently dropped or reinterpreted.
* **Containment.** :func:`is_path_allowed` and :func:`resolve_in_roots` resolve both the
  candidate and every root with :func:`os.path.realpath` before comparing them, so ``..`` and
  symbolic links are judged by where they actually lead: a link inside a root that points
  elsewhere is refused, a link elsewhere that points into a root is accepted. The comparison
  is by whole path components (``/data2`` is not under ``/data``) and case-folded where the
  platform's paths are (:func:`os.path.normcase`).

Windows paths are handled on every platform when asked for (``windows=True``), so that a
server on Linux can still make sense of a Windows client's roots in tests and tools, and the
Windows forms can be tested anywhere.

What this is not: a sandbox against a hostile process on the same machine. A check followed by
an open leaves a window in which a directory can be swapped for a link; callers should open the
path :func:`resolve_in_roots` returns (already free of links) rather than the one they were
given, which narrows but does not close that window.
"""

from __future__ import annotations

import logging
import ntpath
import os
import posixpath
import re
from collections.abc import Iterable, Mapping
from pathlib import PurePath, PureWindowsPath
from typing import Any, NotRequired, Required, TypedDict
from urllib.parse import quote, unquote_to_bytes

__all__ = [
    "Root",
    "RootError",
    "is_path_allowed",
    "path_to_uri",
    "resolve_in_roots",
    "uri_to_path",
]

logger = logging.getLogger("mcpcore.roots")


class Root(TypedDict, total=False):
    """One root as it travels in a ``roots/list`` result."""

    uri: Required[str]
    name: NotRequired[str]
    _meta: NotRequired[dict[str, Any]]


class RootError(ValueError):
    """A path or URI that cannot be converted: the message names the value and the problem."""


# A drive as the first segment of a Windows file URI: ``C:``, or ``c%3A`` once decoded.
_DRIVE = re.compile(r"[A-Za-z]:")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _windows_default(windows: bool | None) -> bool:
    return os.name == "nt" if windows is None else windows


# -- path -> URI ------------------------------------------------------------------------------


def _quote_segment(segment: str, *, windows: bool) -> str:
    # POSIX file names are bytes; names that are not valid UTF-8 reach Python as lone
    # surrogates (surrogateescape), and encoding them back the same way lets such a file still
    # round-trip. Windows names are UTF-16 text, where a lone surrogate has no UTF-8 form.
    try:
        raw = segment.encode("utf-8", "strict" if windows else "surrogateescape")
    except UnicodeEncodeError as exc:
        raise RootError(f"path segment {segment!r} cannot be encoded as UTF-8") from exc
    # safe="" leaves only RFC 3986 unreserved characters as they are; everything else,
    # sub-delimiters included, is escaped, which any URI consumer decodes to the same bytes.
    return quote(raw, safe="")


def _posix_path_to_uri(text: str) -> str:
    if not text.startswith("/"):
        if os.name == "nt":
            raise RootError(f"POSIX path {text!r} is not absolute, and cannot be made so on this host")
        text = os.path.abspath(text)
    # Normalising removes "." and "..": a URI consumer would remove those dot segments anyway
    # (RFC 3986, section 5.2.4), so keeping them would only hide where the URI points.
    segments = [s for s in posixpath.normpath(text).split("/") if s]
    return "file:///" + "/".join(_quote_segment(s, windows=False) for s in segments)


def _windows_path_to_uri(text: str) -> str:
    text = text.replace("/", "\\")
    # Extended-length paths name the same file as their plain form; device paths name no file.
    if text.startswith("\\\\?\\UNC\\"):
        text = "\\\\" + text[8:]
    elif text.startswith("\\\\?\\"):
        text = text[4:]
    elif text.startswith("\\\\.\\"):
        raise RootError(f"Windows device path {text!r} has no file URI")
    drive, rest = ntpath.splitdrive(text)
    if drive.startswith("\\\\"):
        host, _, share = drive[2:].partition("\\")
        if not host or not share:
            raise RootError(f"UNC path {text!r} needs both a host and a share")
        # "file://localhost/..." means this machine's own paths, so a UNC path through the
        # localhost server takes the four-slash form, which keeps the host inside the path.
        authority = "//" if host.lower() == "localhost" else ""
        prefix = (
            f"file://{authority}{_quote_segment(host, windows=True)}/{_quote_segment(share, windows=True)}"
        )
    elif _DRIVE.fullmatch(drive) and rest.startswith("\\"):
        prefix = "file:///" + drive
    else:
        if os.name != "nt":
            raise RootError(f"Windows path {text!r} is not absolute, and cannot be made so on this host")
        return _windows_path_to_uri(ntpath.abspath(text))
    segments = [s for s in ntpath.normpath(rest or "\\").split("\\") if s]
    if not segments and not drive.startswith("\\\\"):
        return prefix + "/"
    return prefix + "".join("/" + _quote_segment(s, windows=True) for s in segments)


def path_to_uri(path: str | os.PathLike[str], *, windows: bool | None = None) -> str:
    """The ``file://`` URI of ``path``, made absolute with :func:`os.path.abspath` first.

    ``windows`` picks the path syntax: ``None`` follows a :class:`~pathlib.PurePath`'s flavour
    when given one, else the host's. ``C:\\x\\y`` becomes ``file:///C:/x/y`` and
    ``\\\\host\\share\\x`` becomes ``file://host/share/x``, or ``file:////localhost/share/x``
    for the host ``localhost``, which the short form would read as this machine. The URI never
    ends with a slash except at a drive or filesystem root. A relative path that is foreign to
    the host (a Windows path on Linux, or the reverse) cannot be made absolute and raises
    :class:`RootError`, as do a NUL character and (on Windows) text that has no UTF-8 form.
    """
    if isinstance(path, PurePath):
        flavour_windows = isinstance(path, PureWindowsPath)
        if windows is None:
            windows = flavour_windows
        elif windows != flavour_windows:
            raise RootError(f"{path!r} is not a {'Windows' if windows else 'POSIX'} path")
    windows = _windows_default(windows)
    text = os.fspath(path)
    if not isinstance(text, str):
        raise TypeError(f"path must be str or os.PathLike[str], not {type(text).__name__}")
    if "\x00" in text:
        raise RootError(f"path {text!r} contains a NUL character")
    return _windows_path_to_uri(text) if windows else _posix_path_to_uri(text)


# -- URI -> path ------------------------------------------------------------------------------


def _split_file_uri(uri: str) -> tuple[str, str]:
    """Check ``uri`` is a plain ``file://`` URI and return its (authority, path), still encoded."""
    if not isinstance(uri, str):
        raise RootError(f"root URI must be a string, not {type(uri).__name__}")
    scheme, colon, rest = uri.partition(":")
    if not colon or scheme.lower() != "file":
        raise RootError(f"{uri!r} is not a file:// URI")
    if not rest.startswith("//"):
        raise RootError(f"{uri!r} lacks the '//' authority marker of a file:// URI")
    # urllib silently strips tabs and newlines from URIs; a root that is one path on screen
    # and another on disk is exactly what must not get through, so refuse instead.
    if _CONTROL.search(uri):
        raise RootError(f"{uri!r} contains a control character")
    if "\\" in uri:
        raise RootError(f"{uri!r} contains a backslash; a file URI separates segments with '/'")
    if "?" in uri or "#" in uri:
        raise RootError(f"{uri!r} has a query or fragment, which a file root cannot have")
    if _PERCENT.search(uri):
        raise RootError(f"{uri!r} has a '%' that does not start a two-digit hex escape")
    try:
        uri.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RootError(f"{uri!r} contains a lone surrogate") from exc
    authority, slash, path = rest[2:].partition("/")
    return authority, slash + path


def _decode_segment(segment: str, uri: str, *, windows: bool) -> str:
    raw = unquote_to_bytes(segment)
    if b"\x00" in raw:
        raise RootError(f"{uri!r} encodes a NUL character")
    if b"/" in raw or (windows and b"\\" in raw):
        # Decoding would turn one segment into two and change which directory is meant.
        raise RootError(f"{uri!r} encodes a path separator inside segment {segment!r}")
    try:
        return raw.decode("utf-8", "strict" if windows else "surrogateescape")
    except UnicodeDecodeError as exc:
        raise RootError(f"{uri!r} has segment {segment!r} that is not UTF-8") from exc


def _remove_dots(segments: list[str]) -> list[str]:
    # RFC 3986 dot-segment removal, applied after decoding so that "%2E%2E" counts as the ".."
    # the filesystem will take it for; ".." never climbs above the first segment kept.
    out: list[str] = []
    for segment in segments:
        if segment == "..":
            if out:
                out.pop()
        elif segment and segment != ".":
            out.append(segment)
    return out


def _decode_host(authority: str, uri: str) -> str:
    if "@" in authority:
        raise RootError(f"{uri!r} has user information, which a file URI cannot have")
    if authority.startswith("["):
        raise RootError(f"{uri!r} names an IP literal host, which has no local path")
    if ":" in authority:
        raise RootError(f"{uri!r} has a port, which a file URI cannot have")
    host = _decode_segment(authority, uri, windows=True)
    if not host.isprintable() or any(c in host for c in " /\\"):
        raise RootError(f"{uri!r} has a host name {host!r} that is not usable in a path")
    return host


def uri_to_path(uri: str, *, windows: bool | None = None) -> str:
    """The local path a ``file://`` URI names; the inverse of :func:`path_to_uri`.

    ``windows`` picks the path syntax (``None``: the host's).

    * POSIX: ``file:///tmp/a%20b`` is ``/tmp/a b``. A drive letter means nothing here, so
      ``file:///C:/x`` is the path ``/C:/x``. A URI naming another host is a
      :class:`RootError`, since that host's files are not on this machine.
    * Windows: paths come back with backslashes, the native separator. ``file:///C:/x`` and
      the encoded drive ``file:///c%3A/x`` are ``C:\\x`` and ``c:\\x``;
      ``file://host/share/x`` and ``file:////host/share/x`` are ``\\\\host\\share\\x``. A
      local URI without a drive letter is a :class:`RootError`: on Windows it would name a
      path relative to whichever drive is current.

    The host may be empty or ``localhost``. Dot segments are removed as RFC 3986 says, after
    decoding, and a trailing slash is dropped. Everything else that could make the path differ
    from what the URI appears to say is a :class:`RootError`: another scheme, a query or
    fragment, user information or a port, an encoded NUL or separator inside a segment, a raw
    backslash or control character, a malformed escape, or (on Windows) bytes that are not UTF-8.
    Non-ASCII characters written unencoded are accepted as themselves.
    """
    windows = _windows_default(windows)
    authority, encoded_path = _split_file_uri(uri)
    host = "" if authority == "" else _decode_host(authority, uri)
    if host.lower() == "localhost":
        host = ""
    if not encoded_path:
        raise RootError(f"{uri!r} has no path")
    segments = [_decode_segment(s, uri, windows=windows) for s in encoded_path.split("/")[1:]]
    if not windows:
        if host:
            raise RootError(f"{uri!r} names host {host!r}; only local file URIs have a POSIX path")
        return "/" + "/".join(_remove_dots(segments))
    if not host and encoded_path.startswith("//"):
        # The four-slash form some Windows tools write for UNC paths: file:////host/share/x.
        host = _decode_host(encoded_path[2:].partition("/")[0], uri)
        segments = segments[2:]
    if host:
        share, *rest = segments or [""]
        if not share or share in (".", ".."):
            raise RootError(f"{uri!r} names host {host!r} but no share")
        return "\\\\" + host + "\\" + share + "".join("\\" + s for s in _remove_dots(rest))
    if not segments or not _DRIVE.fullmatch(segments[0]):
        raise RootError(f"{uri!r} has no drive letter, which a local Windows path needs")
    return segments[0] + "\\" + "\\".join(_remove_dots(segments[1:]))


# -- containment ------------------------------------------------------------------------------


def _root_paths(roots: Iterable[Root | str]) -> list[str]:
    """The resolved, case-normalised path of each usable root; the others are logged and skipped."""
    paths: list[str] = []
    for root in roots:
        uri: object = root.get("uri") if isinstance(root, Mapping) else root
        if not isinstance(uri, str):
            logger.debug("skipping root without a string uri: %r", root)
            continue
        if uri[:5].lower() != "file:":
            logger.debug("ignoring non-file root %r", uri)
            continue
        try:
            path = os.path.realpath(uri_to_path(uri))
        except (ValueError, OSError) as exc:
            logger.debug("skipping unusable root %r: %s", uri, exc)
            continue
        paths.append(os.path.normcase(path))
    return paths


def _within(candidate: str, root: str) -> bool:
    if candidate == root:
        return True
    # Both sides are realpath() output, hence normalised: a prefix that ends at a separator is
    # a whole-component prefix. A filesystem root already ends with one.
    prefix = root if root.endswith(os.sep) else root + os.sep
    return candidate.startswith(prefix)


def resolve_in_roots(path: str | os.PathLike[str], roots: Iterable[Root | str]) -> str:
    """``path`` with links and ``..`` resolved, if that lies within one of ``roots``.

    Roots are :class:`Root` dicts or bare URI strings; ones that are not ``file://`` URIs, or
    cannot be parsed, are skipped. A path that does not exist yet is judged by where it would
    be created. Raises :class:`PermissionError` when the path is outside every root (or there
    are none), naming the path.
    """
    shown = os.fspath(path)
    try:
        resolved = os.path.realpath(path)
    except (ValueError, OSError) as exc:
        raise PermissionError(
            f"{shown!r} cannot be resolved ({exc}), so it is outside the client's roots"
        ) from exc
    candidate = os.path.normcase(resolved)
    if any(_within(candidate, root) for root in _root_paths(roots)):
        return resolved
    raise PermissionError(f"{shown!r} is outside the client's roots")


def is_path_allowed(path: str | os.PathLike[str], roots: Iterable[Root | str]) -> bool:
    """Whether ``path`` lies within one of ``roots``, as :func:`resolve_in_roots` judges it.

    Never raises for a bad root or an unresolvable path: either simply does not allow anything.
    """
    try:
        resolve_in_roots(path, roots)
    except PermissionError:
        return False
    return True
