"""mcpcore.roots: file URI conversion both ways, and containment checks on a real filesystem."""

from __future__ import annotations

import logging
import os
import re
import string
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mcpcore.roots import (
    Root,
    RootError,
    is_path_allowed,
    path_to_uri,
    resolve_in_roots,
    uri_to_path,
)


def _can_symlink() -> bool:
    # Windows grants symlink creation only to some accounts; elsewhere it always works.
    with tempfile.TemporaryDirectory() as tmp:
        try:
            os.symlink(tmp, os.path.join(tmp, "link"))
        except (OSError, NotImplementedError):
            return False
    return True


needs_symlinks = pytest.mark.skipif(
    not _can_symlink(), reason="this platform or account cannot create symbolic links"
)
posix_host = pytest.mark.skipif(os.name == "nt", reason="needs a POSIX host to make POSIX paths absolute")
not_windows_host = pytest.mark.skipif(
    os.name == "nt", reason="a Windows host can make a relative Windows path absolute"
)

# Everything RFC 3986 allows in a file URI we produce: unreserved characters, '/', ':' (drive
# letters) and percent escapes with upper-case hex.
URI_SHAPE = re.compile(r"file://[A-Za-z0-9._~-]*(/([A-Za-z0-9._~-]|%[0-9A-F]{2}|(?<=^file:///[A-Za-z]):)*)*")

# -- round trips --------------------------------------------------------------------------------


def segment_text(forbidden: str) -> st.SearchStrategy[str]:
    """Non-empty file names without the separators or NUL, and never a dot segment."""
    chars = st.characters(codec="utf-8", exclude_characters=forbidden + "\x00")
    return st.text(chars, min_size=1, max_size=12).filter(lambda s: s not in (".", ".."))


posix_paths = st.lists(segment_text("/"), min_size=0, max_size=6).map(lambda parts: "/" + "/".join(parts))


@given(posix_paths)
@example("/tmp/a b")
@example("/100%/#hash/?query/&;=+,$@:!'()*[]")
@example("/ünïcödé/日本語/😀🎉")
@example("/")
@example("/new\nline/tab\there")
def test_posix_path_round_trips(path: str) -> None:
    uri = path_to_uri(path, windows=False)
    assert URI_SHAPE.fullmatch(uri), uri
    assert uri_to_path(uri, windows=False) == path
    # The standard library's encoder escapes fewer characters; its URIs must decode the same.
    assert uri_to_path(PurePosixPath(path).as_uri(), windows=False) == path


@given(st.sampled_from(string.ascii_letters), st.lists(segment_text("/\\"), min_size=0, max_size=6))
@example("C", ["Users", "x"])
@example("d", ["Program Files (x86)", "100%", "#1", "ü😀"])
def test_windows_drive_path_round_trips(drive: str, parts: list[str]) -> None:
    path = drive + ":\\" + "\\".join(parts)
    uri = path_to_uri(path, windows=True)
    assert URI_SHAPE.fullmatch(uri), uri
    assert uri.startswith(f"file:///{drive}:/")
    assert uri_to_path(uri, windows=True) == path


hosts = st.text(string.ascii_letters + string.digits + "-.", min_size=1, max_size=12).filter(
    lambda h: h not in (".", "..", "?")
)


@given(hosts, st.lists(segment_text("/\\"), min_size=1, max_size=5))
def test_windows_unc_path_round_trips(host: str, parts: list[str]) -> None:
    path = "\\\\" + host + "\\" + "\\".join(parts)
    uri = path_to_uri(path, windows=True)
    assert uri.startswith((f"file://{host}/", f"file:////{host}/"))
    assert uri_to_path(uri, windows=True) == path


def test_undecodable_posix_name_round_trips() -> None:
    # A POSIX file name is bytes; one that is not UTF-8 still gets a URI and comes back intact.
    path = os.fsdecode(b"/tmp/caf\xe9") if os.name != "nt" else "/tmp/caf\udce9"
    uri = path_to_uri(path, windows=False)
    assert uri == "file:///tmp/caf%E9"
    assert uri_to_path(uri, windows=False) == path
    with pytest.raises(RootError, match="not UTF-8"):
        uri_to_path(uri, windows=True)
    with pytest.raises(RootError, match="cannot be encoded as UTF-8"):
        path_to_uri("C:\\caf\udce9", windows=True)


# -- fixed forms --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("/tmp/a b", "file:///tmp/a%20b"),
        ("/", "file:///"),
        ("/home/user/projects/myproject", "file:///home/user/projects/myproject"),
        ("/a/100%/b#c?d", "file:///a/100%25/b%23c%3Fd"),
        ("/caf\u00e9", "file:///caf%C3%A9"),
    ],
)
def test_posix_forms(path: str, uri: str) -> None:
    assert path_to_uri(path, windows=False) == uri
    assert uri_to_path(uri, windows=False) == path


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("C:\\Users\\x", "file:///C:/Users/x"),
        ("C:\\", "file:///C:/"),
        ("d:\\a b\\\u00fc", "file:///d:/a%20b/%C3%BC"),
        ("\\\\server\\share\\dir\\f.txt", "file://server/share/dir/f.txt"),
        ("\\\\server\\share", "file://server/share"),
        ("\\\\localhost\\C$\\x", "file:////localhost/C%24/x"),  # not the local path /C$/x
    ],
)
def test_windows_forms(path: str, uri: str) -> None:
    assert path_to_uri(path, windows=True) == uri
    assert uri_to_path(uri, windows=True) == path


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("file:///c%3A/Users/x", "c:\\Users\\x"),  # drive colon escaped, as some editors write it
        ("file:///C:", "C:\\"),
        ("file:///C:/x/", "C:\\x"),
        ("file://localhost/C:/x", "C:\\x"),
        ("file://LOCALHOST/C:/x", "C:\\x"),
        ("file:////server/share/x", "\\\\server\\share\\x"),  # four-slash UNC form
        ("file:///C:/a/../../b", "C:\\b"),  # ".." stops at the drive
        ("file://server/share/../x", "\\\\server\\share\\x"),  # ... and at the share
    ],
)
def test_windows_uri_variants(uri: str, path: str) -> None:
    assert uri_to_path(uri, windows=True) == path


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("C:/x/y", "file:///C:/x/y"),
        ("C:\\a\\.\\b\\..\\c", "file:///C:/a/c"),
        ("\\\\?\\C:\\x", "file:///C:/x"),
        ("\\\\?\\UNC\\server\\share\\x", "file://server/share/x"),
    ],
)
def test_windows_path_variants(path: str, uri: str) -> None:
    assert path_to_uri(path, windows=True) == uri


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("file:///C:/x", "/C:/x"),  # a drive letter is just a directory name on POSIX
        ("file://localhost/etc/hosts", "/etc/hosts"),
        ("FILE:///x", "/x"),
        ("file:///x/", "/x"),
        ("file:////x", "/x"),
        ("file:///a/b/../c/./d", "/a/c/d"),
        ("file:///a/%2E%2E/%2e%2e/../x", "/x"),  # encoded dots are still dot segments
        ("file:///caf\u00e9/ a", "/caf\u00e9/ a"),  # unencoded non-ASCII and space are taken as written
    ],
)
def test_posix_uri_variants(uri: str, path: str) -> None:
    assert uri_to_path(uri, windows=False) == path


def test_pure_path_flavour_picks_the_syntax() -> None:
    assert path_to_uri(PureWindowsPath("C:/Users/x y")) == "file:///C:/Users/x%20y"
    assert path_to_uri(PurePosixPath("/srv/a b")) == "file:///srv/a%20b"
    with pytest.raises(RootError, match="is not a POSIX path"):
        path_to_uri(PureWindowsPath("C:/x"), windows=False)
    with pytest.raises(RootError, match="is not a Windows path"):
        path_to_uri(PurePosixPath("/x"), windows=True)


@posix_host
def test_relative_posix_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    expected = path_to_uri(str(tmp_path) + "/sub dir/f", windows=False)
    assert path_to_uri("sub dir/f", windows=False) == expected
    assert path_to_uri("./x/../sub dir/f", windows=False) == expected
    assert path_to_uri(Path("sub dir/f")) == expected


@not_windows_host
@pytest.mark.parametrize("path", ["x\\y", "C:x", "\\x"])
def test_relative_windows_path_cannot_be_made_absolute_here(path: str) -> None:
    with pytest.raises(RootError, match="is not absolute"):
        path_to_uri(path, windows=True)


@pytest.mark.parametrize(
    ("path", "windows", "message"),
    [
        ("/a\x00b", False, "NUL"),
        ("C:\\a\x00b", True, "NUL"),
        ("\\\\.\\pipe\\x", True, "device path"),
        ("\\\\server", True, "host and a share"),
    ],
)
def test_unconvertible_paths(path: str, windows: bool, message: str) -> None:
    with pytest.raises(RootError, match=message):
        path_to_uri(path, windows=windows)


# -- rejection ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "windows", "message"),
    [
        ("http://example.com/x", False, "not a file:// URI"),
        ("/tmp/x", False, "not a file:// URI"),
        ("", False, "not a file:// URI"),
        ("file:/tmp/x", False, "'//' authority"),
        ("file:///tmp/x?y=1", False, "query or fragment"),
        ("file:///tmp/x#frag", False, "query or fragment"),
        ("file:///tmp/x?", False, "query or fragment"),
        ("file:///tmp/a%00b", False, "NUL"),
        ("file:///tmp/a%2Fb", False, "separator inside segment"),
        ("file:///tmp/a%2fb", False, "separator inside segment"),
        ("file:///C:/a%5Cb", True, "separator inside segment"),
        ("file:///tmp/a%zzb", False, "two-digit hex escape"),
        ("file:///tmp/a%2", False, "two-digit hex escape"),
        ("file:///tmp/a\nb", False, "control character"),
        ("file:///tmp/a\tb", False, "control character"),
        ("file:///C:\\x", True, "backslash"),
        ("file://server/share/x", False, "names host 'server'"),
        ("file://user@localhost/x", False, "user information"),
        ("file://localhost:8080/x", False, "port"),
        ("file://[::1]/x", True, "IP literal"),
        ("file://", False, "has no path"),
        ("file:///Users/x", True, "no drive letter"),
        ("file:///", True, "no drive letter"),
        ("file://server/", True, "no share"),
        ("file:///C:/caf%E9", True, "not UTF-8"),
        ("file:///tmp/\udce9", False, "lone surrogate"),
    ],
)
def test_bad_uris_are_refused(uri: str, windows: bool, message: str) -> None:
    with pytest.raises(RootError, match=message) as caught:
        uri_to_path(uri, windows=windows)
    assert isinstance(caught.value, ValueError)
    assert repr(uri) in str(caught.value)


@given(st.text(max_size=40), st.booleans())
@example("%2F", False)
@example("//h/%5C/x", True)
def test_uri_parser_only_ever_raises_root_error(tail: str, windows: bool) -> None:
    try:
        path = uri_to_path("file://" + tail, windows=windows)
    except RootError:
        return
    assert "\x00" not in path
    if windows:
        assert re.match(r"[A-Za-z]:\\|\\\\[^\\]+\\[^\\]+", path), path
        assert "/" not in path
    else:
        assert path.startswith("/") and "//" not in path
        assert ".." not in path.split("/")


# -- containment --------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``data`` is the root; ``data2`` shares its prefix; ``outside`` holds a secret."""
    base = tmp_path.resolve()
    (base / "data" / "inner").mkdir(parents=True)
    (base / "data" / "inner" / "file.txt").write_text("in")
    (base / "data2").mkdir()
    (base / "data2" / "file.txt").write_text("sibling")
    (base / "outside").mkdir()
    (base / "outside" / "secret").write_text("secret")
    return base


def root_of(path: Path) -> Root:
    return {"uri": path_to_uri(path), "name": path.name}


def test_inside_and_root_itself_are_allowed(tree: Path) -> None:
    roots = [root_of(tree / "data")]
    assert is_path_allowed(tree / "data" / "inner" / "file.txt", roots)
    assert is_path_allowed(tree / "data" / "inner", roots)
    assert is_path_allowed(tree / "data", roots)
    assert resolve_in_roots(tree / "data" / "inner" / "file.txt", roots) == str(
        tree / "data" / "inner" / "file.txt"
    )


def test_sibling_with_common_prefix_is_refused(tree: Path) -> None:
    roots = [root_of(tree / "data")]
    assert not is_path_allowed(tree / "data2", roots)
    assert not is_path_allowed(tree / "data2" / "file.txt", roots)
    assert not is_path_allowed(tree, roots)
    with pytest.raises(PermissionError, match="is outside the client's roots") as caught:
        resolve_in_roots(tree / "data2" / "file.txt", roots)
    assert "data2" in str(caught.value)


def test_dot_dot_is_judged_by_where_it_leads(tree: Path) -> None:
    roots = [root_of(tree / "data")]
    assert not is_path_allowed(str(tree / "data") + "/../data2/file.txt", roots)
    assert not is_path_allowed(str(tree / "data") + "/inner/../../outside/secret", roots)
    assert is_path_allowed(str(tree / "data") + "/inner/../inner/file.txt", roots)
    assert resolve_in_roots(str(tree / "data") + "/inner/../x", roots) == str(tree / "data" / "x")


@needs_symlinks
def test_symlink_inside_root_pointing_outside_is_refused(tree: Path) -> None:
    (tree / "data" / "escape").symlink_to(tree / "outside" / "secret")
    (tree / "data" / "escape_dir").symlink_to(tree / "outside", target_is_directory=True)
    roots = [root_of(tree / "data")]
    assert not is_path_allowed(tree / "data" / "escape", roots)
    assert not is_path_allowed(tree / "data" / "escape_dir" / "secret", roots)
    # Not even a file that does not exist yet may be created through the link.
    assert not is_path_allowed(tree / "data" / "escape_dir" / "new.txt", roots)
    with pytest.raises(PermissionError, match="outside the client's roots"):
        resolve_in_roots(tree / "data" / "escape", roots)


@needs_symlinks
def test_symlink_outside_pointing_inside_is_allowed(tree: Path) -> None:
    (tree / "outside" / "shortcut").symlink_to(tree / "data" / "inner", target_is_directory=True)
    roots = [root_of(tree / "data")]
    assert is_path_allowed(tree / "outside" / "shortcut" / "file.txt", roots)
    assert resolve_in_roots(tree / "outside" / "shortcut" / "file.txt", roots) == str(
        tree / "data" / "inner" / "file.txt"
    )


@needs_symlinks
def test_root_that_is_a_symlink_covers_its_target(tree: Path) -> None:
    (tree / "alias").symlink_to(tree / "data", target_is_directory=True)
    roots = [root_of(tree / "alias")]
    assert is_path_allowed(tree / "data" / "inner" / "file.txt", roots)
    assert is_path_allowed(tree / "alias" / "inner" / "file.txt", roots)
    assert not is_path_allowed(tree / "outside" / "secret", roots)


@needs_symlinks
def test_symlink_loop_inside_root_does_not_raise(tree: Path) -> None:
    (tree / "data" / "loop").symlink_to(tree / "data" / "loop")
    roots = [root_of(tree / "data")]
    # realpath leaves a loop unresolved; whatever it decides, the answer is a plain bool.
    assert isinstance(is_path_allowed(tree / "data" / "loop" / "x", roots), bool)


def test_missing_file_inside_root_is_allowed(tree: Path) -> None:
    roots = [root_of(tree / "data")]
    assert is_path_allowed(tree / "data" / "new.txt", roots)
    assert is_path_allowed(tree / "data" / "not" / "yet" / "there.txt", roots)
    assert not is_path_allowed(tree / "data2" / "new.txt", roots)


def test_roots_as_strings_dicts_and_one_shot_iterables(tree: Path) -> None:
    path = tree / "data" / "inner" / "file.txt"
    uri = path_to_uri(tree / "data")
    assert is_path_allowed(path, [uri])
    assert is_path_allowed(path, [{"uri": uri}])
    assert is_path_allowed(path, [uri + "/"])

    def once() -> Iterator[str]:
        yield path_to_uri(tree / "outside")
        yield uri

    assert is_path_allowed(path, once())
    assert is_path_allowed(str(path), [path_to_uri(tree / "outside"), uri])


def test_tricky_root_names(tmp_path: Path) -> None:
    root = tmp_path.resolve() / "my data%20 #1 ü😀"
    (root / "sub").mkdir(parents=True)
    assert is_path_allowed(root / "sub", [path_to_uri(root)])
    # The literal "%20" in the name must not be taken for an escaped space.
    assert not is_path_allowed(tmp_path.resolve() / "my data  #1 ü😀" / "sub", [path_to_uri(root)])


def test_filesystem_root_allows_everything(tree: Path) -> None:
    fs_root = Path(tree.anchor)
    assert is_path_allowed(tree / "outside" / "secret", [path_to_uri(fs_root)])


def test_relative_candidate_resolves_against_cwd(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    roots = [root_of(tree / "data")]
    monkeypatch.chdir(tree / "data")
    assert is_path_allowed("inner/file.txt", roots)
    assert not is_path_allowed("../outside/secret", roots)


def test_no_roots_allows_nothing(tree: Path) -> None:
    assert not is_path_allowed(tree / "data", [])
    with pytest.raises(PermissionError, match="outside the client's roots"):
        resolve_in_roots(tree / "data", [])


def test_unresolvable_candidate_is_refused(tree: Path) -> None:
    roots = [root_of(tree / "data")]
    assert not is_path_allowed(str(tree / "data") + "/a\x00b", roots)
    with pytest.raises(PermissionError, match="cannot be resolved"):
        resolve_in_roots(str(tree / "data") + "/a\x00b", roots)


def test_broken_and_foreign_roots_are_skipped(tree: Path, caplog: pytest.LogCaptureFixture) -> None:
    broken: list[Any] = [
        "https://example.com/data",
        "git://example.com/repo",
        "file:///tmp/x%00",
        "file://otherhost/share",
        "file:///a?b",
        "not a uri",
        "",
        42,
        None,
        {"name": "no uri"},
        {"uri": 7},
    ]
    target = tree / "data" / "inner" / "file.txt"
    with caplog.at_level(logging.DEBUG, logger="mcpcore.roots"):
        assert not is_path_allowed(target, broken)
        assert is_path_allowed(target, [*broken, root_of(tree / "data")])
    messages = [r.getMessage() for r in caplog.records if r.name == "mcpcore.roots"]
    assert any("non-file root" in m and "https://example.com/data" in m for m in messages)
    assert any("unusable root" in m and "NUL" in m for m in messages)
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == "mcpcore.roots")


def test_case_is_folded_where_the_platform_folds_it(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    roots = [root_of(tree / "data")]
    shouting = str(tree / "DATA" / "new.txt")
    if os.path.normcase("A") == "A":
        assert not is_path_allowed(shouting, roots)
        # Pretend to be a platform whose paths are case-insensitive, as Windows is.
        monkeypatch.setattr(os.path, "normcase", str.lower)
    assert is_path_allowed(shouting, roots)
