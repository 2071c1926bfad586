"""mcpcore.uritemplate: RFC 6570 expansion, template validation, and the matching rules."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import TypeVar

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mcpcore.uritemplate import (
    DEFAULT_MAX_LENGTH,
    MAX_EXPRESSIONS,
    UriTemplate,
    UriTemplateError,
    is_template,
)

# -- expansion: the examples of RFC 6570 section 3.2 --------------------------------------------

RFC_VALUES: dict[str, object] = {
    "count": ["one", "two", "three"],
    "dom": ["example", "com"],
    "dub": "me/too",
    "hello": "Hello World!",
    "half": "50%",
    "var": "value",
    "who": "fred",
    "base": "http://example.com/home/",
    "path": "/foo/bar",
    "list": ["red", "green", "blue"],
    "keys": {"semi": ";", "dot": ".", "comma": ","},
    "v": "6",
    "x": "1024",
    "y": "768",
    "empty": "",
    "empty_keys": {},
    "undef": None,
}

RFC_EXAMPLES = [
    # 3.2.1 variable expansion
    ("{count}", "one,two,three"),
    ("{count*}", "one,two,three"),
    ("{/count}", "/one,two,three"),
    ("{/count*}", "/one/two/three"),
    ("{;count}", ";count=one,two,three"),
    ("{;count*}", ";count=one;count=two;count=three"),
    ("{?count}", "?count=one,two,three"),
    ("{?count*}", "?count=one&count=two&count=three"),
    ("{&count*}", "&count=one&count=two&count=three"),
    # 3.2.2 simple string expansion
    ("{var}", "value"),
    ("{hello}", "Hello%20World%21"),
    ("{half}", "50%25"),
    ("O{empty}X", "OX"),
    ("O{undef}X", "OX"),
    ("{x,y}", "1024,768"),
    ("{x,hello,y}", "1024,Hello%20World%21,768"),
    ("?{x,empty}", "?1024,"),
    ("?{x,undef}", "?1024"),
    ("?{undef,y}", "?768"),
    ("{var:3}", "val"),
    ("{var:30}", "value"),
    ("{list}", "red,green,blue"),
    ("{list*}", "red,green,blue"),
    ("{keys}", "semi,%3B,dot,.,comma,%2C"),
    ("{keys*}", "semi=%3B,dot=.,comma=%2C"),
    # 3.2.3 reserved expansion
    ("{+var}", "value"),
    ("{+hello}", "Hello%20World!"),
    ("{+half}", "50%25"),
    ("{base}index", "http%3A%2F%2Fexample.com%2Fhome%2Findex"),
    ("{+base}index", "http://example.com/home/index"),
    ("O{+empty}X", "OX"),
    ("O{+undef}X", "OX"),
    ("{+path}/here", "/foo/bar/here"),
    ("here?ref={+path}", "here?ref=/foo/bar"),
    ("up{+path}{var}/here", "up/foo/barvalue/here"),
    ("{+x,hello,y}", "1024,Hello%20World!,768"),
    ("{+path,x}/here", "/foo/bar,1024/here"),
    ("{+path:6}/here", "/foo/b/here"),
    ("{+list}", "red,green,blue"),
    ("{+list*}", "red,green,blue"),
    ("{+keys}", "semi,;,dot,.,comma,,"),
    ("{+keys*}", "semi=;,dot=.,comma=,"),
    # 3.2.4 fragment expansion
    ("{#var}", "#value"),
    ("{#hello}", "#Hello%20World!"),
    ("{#half}", "#50%25"),
    ("foo{#empty}", "foo#"),
    ("foo{#undef}", "foo"),
    ("{#x,hello,y}", "#1024,Hello%20World!,768"),
    ("{#path,x}/here", "#/foo/bar,1024/here"),
    ("{#path:6}/here", "#/foo/b/here"),
    ("{#list}", "#red,green,blue"),
    ("{#list*}", "#red,green,blue"),
    ("{#keys}", "#semi,;,dot,.,comma,,"),
    ("{#keys*}", "#semi=;,dot=.,comma=,"),
    # 3.2.5 label expansion with dot-prefix
    ("{.who}", ".fred"),
    ("{.who,who}", ".fred.fred"),
    ("{.half,who}", ".50%25.fred"),
    ("www{.dom*}", "www.example.com"),
    ("X{.var}", "X.value"),
    ("X{.empty}", "X."),
    ("X{.undef}", "X"),
    ("X{.var:3}", "X.val"),
    ("X{.list}", "X.red,green,blue"),
    ("X{.list*}", "X.red.green.blue"),
    ("X{.keys}", "X.semi,%3B,dot,.,comma,%2C"),
    ("X{.keys*}", "X.semi=%3B.dot=..comma=%2C"),
    ("X{.empty_keys}", "X"),
    ("X{.empty_keys*}", "X"),
    # 3.2.6 path segment expansion
    ("{/who}", "/fred"),
    ("{/who,who}", "/fred/fred"),
    ("{/half,who}", "/50%25/fred"),
    ("{/who,dub}", "/fred/me%2Ftoo"),
    ("{/var}", "/value"),
    ("{/var,empty}", "/value/"),
    ("{/var,undef}", "/value"),
    ("{/var,x}/here", "/value/1024/here"),
    ("{/var:1,var}", "/v/value"),
    ("{/list}", "/red,green,blue"),
    ("{/list*}", "/red/green/blue"),
    ("{/list*,path:4}", "/red/green/blue/%2Ffoo"),
    ("{/keys}", "/semi,%3B,dot,.,comma,%2C"),
    ("{/keys*}", "/semi=%3B/dot=./comma=%2C"),
    # 3.2.7 path-style parameter expansion
    ("{;who}", ";who=fred"),
    ("{;half}", ";half=50%25"),
    ("{;empty}", ";empty"),
    ("{;v,empty,who}", ";v=6;empty;who=fred"),
    ("{;v,bar,who}", ";v=6;who=fred"),
    ("{;x,y}", ";x=1024;y=768"),
    ("{;x,y,empty}", ";x=1024;y=768;empty"),
    ("{;x,y,undef}", ";x=1024;y=768"),
    ("{;hello:5}", ";hello=Hello"),
    ("{;list}", ";list=red,green,blue"),
    ("{;list*}", ";list=red;list=green;list=blue"),
    ("{;keys}", ";keys=semi,%3B,dot,.,comma,%2C"),
    ("{;keys*}", ";semi=%3B;dot=.;comma=%2C"),
    # 3.2.8 form-style query expansion
    ("{?who}", "?who=fred"),
    ("{?half}", "?half=50%25"),
    ("{?x,y}", "?x=1024&y=768"),
    ("{?x,y,empty}", "?x=1024&y=768&empty="),
    ("{?x,y,undef}", "?x=1024&y=768"),
    ("{?var:3}", "?var=val"),
    ("{?list}", "?list=red,green,blue"),
    ("{?list*}", "?list=red&list=green&list=blue"),
    ("{?keys}", "?keys=semi,%3B,dot,.,comma,%2C"),
    ("{?keys*}", "?semi=%3B&dot=.&comma=%2C"),
    # 3.2.9 form-style query continuation
    ("{&who}", "&who=fred"),
    ("{&half}", "&half=50%25"),
    ("?fixed=yes{&x}", "?fixed=yes&x=1024"),
    ("{&x,y,empty}", "&x=1024&y=768&empty="),
    ("{&var:3}", "&var=val"),
    ("{&list}", "&list=red,green,blue"),
    ("{&list*}", "&list=red&list=green&list=blue"),
    ("{&keys}", "&keys=semi,%3B,dot,.,comma,%2C"),
    ("{&keys*}", "&semi=%3B&dot=.&comma=%2C"),
]


@pytest.mark.parametrize(("template", "expected"), RFC_EXAMPLES)
def test_rfc_expansion_examples(template: str, expected: str) -> None:
    assert UriTemplate(template).expand(RFC_VALUES) == expected


def _string_values_in(template: UriTemplate) -> dict[str, str | list[str]]:
    """The RFC values of the template's variables that survive expansion unambiguously."""
    out: dict[str, str | list[str]] = {}
    for name in template.variables:
        value = RFC_VALUES.get(name)
        if isinstance(value, str) and value:
            out[name] = value
    return out


# Section 3.2 examples whose expansion the matcher reads back to exactly the defined values.
RFC_ROUND_TRIPS = [
    "{var}",
    "{hello}",
    "{half}",
    "{x,y}",
    "{x,hello,y}",
    "{+var}",
    "{+hello}",
    "{+half}",
    "{+base}index",
    "{base}index",
    "{+path}/here",
    "here?ref={+path}",
    "{+x,hello,y}",
    "{+path,x}/here",
    "{#var}",
    "{#hello}",
    "{#x,hello,y}",
    "{#path,x}/here",
    "{.who}",
    "{.who,who}",
    "{.half,who}",
    "X{.var}",
    "{/who}",
    "{/who,who}",
    "{/half,who}",
    "{/who,dub}",
    "{/var}",
    "{/var,x}/here",
    "{;who}",
    "{;half}",
    "{;x,y}",
    "{;v,bar,who}",
    "{?who}",
    "{?half}",
    "{?x,y}",
    "{&who}",
    "{&half}",
    "?fixed=yes{&x}",
]


@pytest.mark.parametrize("text", RFC_ROUND_TRIPS)
def test_rfc_examples_match_back(text: str) -> None:
    template = UriTemplate(text)
    assert template.match(template.expand(RFC_VALUES)) == _string_values_in(template)


@pytest.mark.parametrize(
    ("template", "uri", "expected"),
    [
        ("{count*}", "one,two,three", {"count": ["one", "two", "three"]}),
        ("{/count*}", "/one/two/three", {"count": ["one", "two", "three"]}),
        ("{;count*}", ";count=one;count=two;count=three", {"count": ["one", "two", "three"]}),
        ("{?count*}", "?count=one&count=two&count=three", {"count": ["one", "two", "three"]}),
        ("{&count*}", "&count=one&count=two&count=three", {"count": ["one", "two", "three"]}),
        ("www{.dom*}", "www.example.com", {"dom": ["example", "com"]}),
        ("X{.list*}", "X.red.green.blue", {"list": ["red", "green", "blue"]}),
        ("{+list*}", "red,green,blue", {"list": ["red", "green", "blue"]}),
        ("{#list*}", "#red,green,blue", {"list": ["red", "green", "blue"]}),
        ("{keys*}", "semi=%3B,dot=.,comma=%2C", {"keys": ["semi=;", "dot=.", "comma=,"]}),
        ("{/keys*}", "/semi=%3B/dot=./comma=%2C", {"keys": ["semi=;", "dot=.", "comma=,"]}),
        ("{/list*,path:4}", "/red/green/blue/%2Ffoo", {"list": ["red", "green", "blue"], "path": "/foo"}),
        ("{/var:1,var}", "/v/value", {"var": "value"}),
        ("{+path:6}/here", "/foo/b/here", {"path": "/foo/b"}),
        ("{;hello:5}", ";hello=Hello", {"hello": "Hello"}),
        ("{?var:3}", "?var=val", {"var": "val"}),
        # Empty values leave a trace in these forms, so they come back as "".
        ("?{x,empty}", "?1024,", {"x": "1024", "empty": ""}),
        ("X{.empty}", "X.", {"empty": ""}),
        ("foo{#empty}", "foo#", {"empty": ""}),
        ("{/var,empty}", "/value/", {"var": "value", "empty": ""}),
        ("{;v,empty,who}", ";v=6;empty;who=fred", {"v": "6", "empty": "", "who": "fred"}),
        ("{;x,y,empty}", ";x=1024;y=768;empty", {"x": "1024", "y": "768", "empty": ""}),
        ("{?x,y,empty}", "?x=1024&y=768&empty=", {"x": "1024", "y": "768", "empty": ""}),
        ("{&x,y,empty}", "&x=1024&y=768&empty=", {"x": "1024", "y": "768", "empty": ""}),
        # ... and here they do not, so the variables are undefined.
        ("O{empty}X", "OX", {}),
        ("O{+empty}X", "OX", {}),
        ("foo{#undef}", "foo", {}),
        ("X{.undef}", "X", {}),
        # Undefined variables are filled from the left in unnamed forms.
        ("?{x,undef}", "?1024", {"x": "1024"}),
        ("?{undef,y}", "?768", {"undef": "768"}),
        # A list value expanded without explode cannot come back as a string.
        ("{list}", "red,green,blue", None),
        ("{;list}", ";list=red,green,blue", None),
        ("{?keys}", "?keys=semi,%3B,dot,.,comma,%2C", None),
        # An exploded associative array in a named form has foreign parameter names.
        ("{?keys*}", "?semi=%3B&dot=.&comma=%2C", None),
    ],
)
def test_rfc_expansions_match(template: str, uri: str, expected: dict[str, object] | None) -> None:
    assert UriTemplate(template).match(uri) == expected


# -- expansion beyond the RFC table ------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "values", "expected"),
    [
        ("{n}", {"n": 42}, "42"),
        ("{n}", {"n": -1.5}, "-1.5"),
        ("{?n*}", {"n": (1, 2)}, "?n=1&n=2"),
        ("{list}", {"list": ["a", None, "b"]}, "a,b"),
        ("{list}", {"list": [None]}, ""),
        ("X{.list*}", {"list": []}, "X"),
        ("{keys*}", {"keys": {"a": None, "b": "1"}}, "b=1"),
        ("{?keys*}", {"keys": {"a": None}}, ""),
        ("{?keys*}", {"keys": {"a": "", "b": 2}}, "?a=&b=2"),
        ("{;keys*}", {"keys": {"a": "", "b": "x y"}}, ";a;b=x%20y"),
        ("{;list*}", {"list": ["", "x"]}, ";list;list=x"),
        ("{?list*}", {"list": ["", "x"]}, "?list=&list=x"),
        ("{+keys*}", {"keys": {"a/b": "c/d"}}, "a/b=c/d"),
        ("{keys*}", {"keys": {"a/b": "c/d"}}, "a%2Fb=c%2Fd"),
        ("{var:2}", {"var": "é€x"}, "%C3%A9%E2%82%AC"),
        ("{+var}", {"var": "é"}, "%C3%A9"),
        ("{var}", {"var": "a~b-c_d.e"}, "a~b-c_d.e"),
        ("{+var}", {"var": "%41%4"}, "%41%254"),
        ("{+var:2}", {"var": "%41%42%43"}, "%41%42"),
        ("{+var:2}", {"var": "ab%43"}, "ab"),
        ("{+var:3}", {"var": "%4"}, "%254"),
        ("{var:2}", {"var": ["abc", "def"]}, "abc,def"),
        ("café/{x}", {"x": "1"}, "caf%C3%A9/1"),
        ("a%20b{x}", {"x": "1"}, "a%20b1"),
        ("{x}{y}", {}, ""),
        ("{?a}{&b}", {"b": "2"}, "&b=2"),
    ],
)
def test_expansion_details(template: str, values: Mapping[str, object], expected: str) -> None:
    assert UriTemplate(template).expand(values) == expected


@pytest.mark.parametrize(
    "value", [True, object(), b"bytes", ["ok", object()], {"k": [1]}, {1: "v"}, [["nested"]]]
)
def test_expansion_refuses_other_types(value: object) -> None:
    with pytest.raises(TypeError, match="'v'"):
        UriTemplate("{v}").expand({"v": value})


# -- template syntax ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "position", "problem"),
    [
        ("file:///{path", 8, "never closed"),
        ("{", 0, "never closed"),
        ("a{}b", 1, "empty expression"),
        ("{a{b}}", 2, "inside an expression"),
        ("{a{b", 2, "inside an expression"),
        ("a}b", 1, "without a matching"),
        ("{a}}", 3, "without a matching"),
        ("{+}", 2, "empty variable name"),
        ("{a,}", 3, "empty variable name"),
        ("{a,,b}", 3, "empty variable name"),
        ("{*}", 1, "empty variable name"),
        ("{:3}", 1, "empty variable name"),
        ("{-a}", 1, "character '-'"),
        ("{a-b}", 2, "character '-'"),
        ("{a b}", 2, "character ' '"),
        ("{a$}", 2, "character '$'"),
        ("{.}", 2, "empty variable name"),  # '.' is the operator here
        ("{+.a}", 2, "between two name characters"),
        ("{.a.}", 3, "between two name characters"),
        ("{a..b}", 2, "between two name characters"),
        ("{a.:3}", 2, "between two name characters"),
        ("{.a}", 2, None),  # not an error: '.' is the operator
        ("{a%2}", 2, "must start an octet"),
        ("{a%zz}", 2, "must start an octet"),
        ("{var:0}", 5, "prefix length"),
        ("{var:01}", 5, "prefix length"),
        ("{var:10000}", 5, "prefix length"),
        ("{var:}", 5, "prefix length"),
        ("{var:x}", 5, "prefix length"),
        ("{var:٣}", 5, "prefix length"),
        ("{var:3*}", 4, "both a prefix and"),
        ("{var*:3}", 4, "both a prefix and"),
        ("{var**}", 4, "character '*'"),
        ("{=a}", 1, "reserved for future"),
        ("{,a}", 1, "reserved for future"),
        ("{!a}", 1, "reserved for future"),
        ("{@a}", 1, "reserved for future"),
        ("{|a}", 1, "reserved for future"),
        ("a b{x}", 1, "not allowed"),
        ("{x}<", 3, "not allowed"),
        ("say'{x}'", 3, "not allowed"),
        ("a\nb", 1, "not allowed"),
        ("a\x7f", 1, "not allowed"),
        ("a\x85", 1, "not allowed"),
        ("a\ud800", 1, "not allowed"),
        ("50%", 2, "percent-encoded octet"),
        ("50%2x{a}", 2, "percent-encoded octet"),
    ],
)
def test_template_syntax_errors(template: str, position: int, problem: str | None) -> None:
    if problem is None:
        UriTemplate(template)
        return
    with pytest.raises(UriTemplateError, match=re.escape(problem)) as caught:
        UriTemplate(template)
    assert caught.value.position == position
    assert f"at position {position}" in str(caught.value)
    assert caught.value.template == template
    assert isinstance(caught.value, ValueError)


def test_template_limits() -> None:
    at_limit = "".join(f"{{v{k}}}" for k in range(MAX_EXPRESSIONS))
    assert len(UriTemplate(at_limit).variables) == MAX_EXPRESSIONS
    with pytest.raises(UriTemplateError, match=f"more than {MAX_EXPRESSIONS} expressions"):
        UriTemplate(at_limit + "{extra}")
    with pytest.raises(UriTemplateError, match="longer than 10 characters") as caught:
        UriTemplate("x" * 11, max_length=10)
    assert caught.value.position == 10
    long_template = "x" * 100 + "{"
    with pytest.raises(UriTemplateError, match=r"'x{77}\.\.\.'"):
        UriTemplate(long_template)
    with pytest.raises(ValueError, match="max_length"):
        UriTemplate("x", max_length=0)
    with pytest.raises(ValueError, match="max_length"):
        UriTemplate("x", max_length=True)
    with pytest.raises(TypeError, match="must be a str"):
        UriTemplate(b"x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("template", "variables"),
    [
        ("file:///readme.md", ()),
        ("{a}{b}", ("a", "b")),
        ("{b}/{a}/{b}{?a,c}", ("b", "a", "c")),
        ("{/var:1,var}", ("var",)),
        ("{?a.b,a%20b,_1}", ("a.b", "a%20b", "_1")),
        ("{+path}{#frag}", ("path", "frag")),
    ],
)
def test_variables_in_order_without_duplicates(template: str, variables: tuple[str, ...]) -> None:
    parsed = UriTemplate(template)
    assert parsed.variables == variables
    assert parsed.template == template


def test_identity_and_text() -> None:
    a = UriTemplate("repo://{owner}/{repo}")
    b = UriTemplate("repo://{owner}/{repo}", max_length=100)
    c = UriTemplate("repo://{owner}/{name}")
    assert str(a) == "repo://{owner}/{repo}"
    assert repr(a) == "UriTemplate('repo://{owner}/{repo}')"
    assert a == b
    assert hash(a) == hash(b)
    assert a != c
    assert a != "repo://{owner}/{repo}"
    assert len({a, b, c}) == 2
    assert b.max_length == 100
    assert a.max_length == DEFAULT_MAX_LENGTH
    with pytest.raises(AttributeError):
        a.template = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("file:///{path}", True),
        ("{x}", True),
        ("a{{b}", True),
        ("{bad syntax!}", True),
        ("file:///readme", False),
        ("{}", False),
        ("a{", False),
        ("a}b{", False),
        ("{a{}", False),
        ("}{", False),
        ("", False),
    ],
)
def test_is_template(text: str, expected: bool) -> None:
    assert is_template(text) is expected


# -- matching ----------------------------------------------------------------------------------

MATCH_CASES: list[tuple[str, str, dict[str, str | list[str]] | None]] = [
    # Simple expansion stays within one segment and never spans reserved characters.
    ("file:///{path}", "file:///notes.txt", {"path": "notes.txt"}),
    ("file:///{path}", "file:///a/b/c.txt", None),
    ("file:///{path}", "file:///a?b", None),
    ("file:///{path}", "file:///a#b", None),
    ("file:///{path}", "file:///a,b", None),
    ("file:///{path}", "file:///", {}),
    ("file:///{path}", "file://", None),
    ("file:///{path}", "http:///x", None),
    # Reserved expansion spans them.
    ("file:///{+path}", "file:///a/b/c.txt", {"path": "a/b/c.txt"}),
    ("file:///{+path}", "file:///a/b?c=d#e", {"path": "a/b?c=d#e"}),
    ("file:///{+path}", "file:///a%20b/c", {"path": "a b/c"}),
    ("file:///{+path}", "file:///a b", None),
    ("file:///{+path}", 'file:///a"b', None),
    (
        "repo://{owner}/{repo}/blob/{+path}",
        "repo://me/proj/blob/src/x.py",
        {"owner": "me", "repo": "proj", "path": "src/x.py"},
    ),
    ("repo://{owner}/{repo}/blob/{+path}", "repo://me/proj/tree/src/x.py", None),
    ("repo://{owner}/{repo}/blob/{+path}", "repo://me/a/b/blob/x", None),
    ("scheme://{a}/{b*}", "scheme://x/1,2,3", {"a": "x", "b": ["1", "2", "3"]}),
    ("scheme://{a}/{b*}", "scheme://x/1", {"a": "x", "b": ["1"]}),
    ("scheme://{a}/{b*}", "scheme://x/", {"a": "x"}),
    ("scheme://{a}/{b*}", "scheme://x/1/2", None),
    ("scheme://{a}/{b*}", "scheme://x/1,,2", {"a": "x", "b": ["1", "", "2"]}),
    ("users://{id}/profile", "users://42/profile", {"id": "42"}),
    ("users://{id}/profile", "users://42/profile/x", None),
    ("users://{id}/profile", "users://42/profil", None),
    ("users://{id}/profile", "users:///profile", {}),
    # Query forms: any order, any subset, nothing foreign, name=value.
    ("search://q{?query,limit}", "search://q?query=cats&limit=5", {"query": "cats", "limit": "5"}),
    ("search://q{?query,limit}", "search://q?limit=5&query=cats", {"query": "cats", "limit": "5"}),
    ("search://q{?query,limit}", "search://q?limit=5", {"limit": "5"}),
    ("search://q{?query,limit}", "search://q", {}),
    ("search://q{?query,limit}", "search://q?query=", {"query": ""}),
    ("search://q{?query,limit}", "search://q?", None),
    ("search://q{?query,limit}", "search://q?query", None),
    ("search://q{?query,limit}", "search://q?query=a&query=b", None),
    ("search://q{?query,limit}", "search://q?query=a&page=2", None),
    ("search://q{?query,limit}", "search://q&query=a", None),
    ("search://q{?query,limit}", "search://q?query=a=b", None),
    ("search://q{?query,limit}", "search://q?query=a%3Db%26c", {"query": "a=b&c"}),
    ("search://q{?query,limit}", "search://q?query=a+b", None),
    ("search://q{?query,limit}", "search://qx", None),
    ("search://{?tags*}", "search://?tags=a&tags=b", {"tags": ["a", "b"]}),
    ("search://{?tags*,page}", "search://?tags=a&page=2&tags=b", {"tags": ["a", "b"], "page": "2"}),
    ("x{;a,b}", "x;b=1;a", {"a": "", "b": "1"}),
    ("x{;a,b}", "x;a=", None),
    ("x{;a,b}", "x;a=1&b=2", None),
    ("?fixed=yes{&x}", "?fixed=yes&x=1", {"x": "1"}),
    ("?fixed=yes{&x}", "?fixed=no&x=1", None),
    # Adjacent query expressions are one: the lead must fit the first variable present.
    ("{?a}{&b}", "?a=1&b=2", {"a": "1", "b": "2"}),
    ("{?a}{&b}", "?b=2&a=1", {"a": "1", "b": "2"}),
    ("{?a}{&b}", "&b=2", {"b": "2"}),
    ("{?a}{&b}", "?b=2", None),
    ("{?a}{&b}", "&a=1", None),
    ("{?a}{&b}", ";a=1", None),
    ("{/a}{/b}", "/x/y", {"a": "x", "b": "y"}),
    ("{.a}{.b}", ".x", {"a": "x"}),
    # Ambiguous boundaries: see the module's rules.
    ("docs://{+path}{?version}", "docs://a/b?version=2", {"path": "a/b", "version": "2"}),
    ("docs://{+path}{?version}", "docs://a/b", {"path": "a/b"}),
    ("docs://{+path}{?version}", "docs://a?b?version=2", {"path": "a?b", "version": "2"}),
    ("docs://{+path}{?version}", "docs://a/b?v=2", None),
    ("page://{+path}{#section}", "page://a/b#intro", {"path": "a/b", "section": "intro"}),
    ("files://{+dir}/{name}", "files://a/b/c.txt", {"dir": "a/b", "name": "c.txt"}),
    ("files://{+dir}/{name}", "files://c.txt", None),
    ("{name}.{ext}", "x.tar.gz", {"name": "x.tar", "ext": "gz"}),
    ("{a}.{b}.{c}", "x.y.z.w", {"a": "x.y", "b": "z", "c": "w"}),
    ("{a}.{b}.{c}", "x.y", None),
    ("{+a}/{b}/{c}", "x/y/z/w", {"a": "x/y", "b": "z", "c": "w"}),
    ("{+a}/m/{+b}", "x/m/y/m/z", {"a": "x/m/y", "b": "z"}),
    ("{+a}/{+b}/{c}", "p/q/r/s", {"a": "p/q", "b": "r", "c": "s"}),
    ("{a}{b}", "xyz", {"a": "xyz"}),
    ("{+a}{/b}", "x/y/z", {"a": "x/y", "b": "z"}),
    ("{+a}{/b}", "xyz", {"a": "xyz"}),
    ("{+a}{/b}x", "p/qx", {"a": "p", "b": "q"}),
    ("{+a}{/b}x{c}", "p/qxr", {"a": "p", "b": "q", "c": "r"}),
    ("{+a}{/b}/x", "p/q/x", {"a": "p", "b": "q"}),
    ("{a}.{+b}", "x.y/z", {"a": "x", "b": "y/z"}),
    ("{a}-{+b}", "x-y-z/w", {"a": "x-y", "b": "z/w"}),
    ("{+a}.x{b}", "p.x", {"a": "p"}),
    ("up{+path}{var}/here", "up/foo/barvalue/here", {"path": "/foo/barvalue"}),
    ("{+a}{?q}{#f}", "x?q=1#y", {"a": "x", "q": "1", "f": "y"}),
    # Unnamed lists: items filled from the left; surplus to the exploded or the last variable.
    ("{x,y}", "1,2,3", None),
    ("{+x,y}", "1,2,3", {"x": "1", "y": "2,3"}),
    ("{.x,y}", ".1.2.3", {"x": "1", "y": "2.3"}),
    ("{/x,y}", "/1/2/3", None),
    ("{/x,y*}", "/1/2/3", {"x": "1", "y": ["2", "3"]}),
    ("{/x*,y}", "/1/2/3", {"x": ["1", "2"], "y": "3"}),
    ("{/x*,y}", "/1", {"x": ["1"]}),
    ("{/x}", "x", None),
    ("{#x}", "x", None),
    ("{/x}", "/a=b", None),
    ("{/x*}", "/a=b", {"x": ["a=b"]}),
    ("{/x*}", "/a?b", None),
    # Prefixes.
    ("x{var:3}", "xval", {"var": "val"}),
    ("x{var:3}", "xvalu", None),
    ("x{var:3}", "x%C3%A9%C3%A9", {"var": "éé"}),
    ("{?q:2}", "?q=abc", None),
    # Repeated variables must agree.
    ("{x}/{x}", "a/a", {"x": "a"}),
    ("{x}/{x}", "a/b", None),
    ("{x}/{x}", "a/", {"x": "a"}),
    ("{x:2}/{x}", "ab/abc", {"x": "abc"}),
    ("{x:2}/{x}", "ab/xbc", None),
    ("{x:2}/{x:3}", "ab/abc", {"x": "abc"}),
    ("{x:3}/{x:2}", "ab/ab", {"x": "ab"}),
    ("{x:3}/{x:2}", "a/ab", None),
    ("{x:2}/{x*}", "ab/ab", None),
    ("{x}/{x*}", "ab/ab", None),
    ("{?x}{&x}", "?x=1&x=2", None),
    ("{?x*}{&x*}", "?x=1&x=2", None),  # each occurrence expands the whole list
    ("{?x*}{&x*}", "?x=1&x=2&x=1&x=2", {"x": ["1", "2"]}),
    ("{?x*}{&x*}", "?x=1&x=2&x=1", None),
    ("{?x,x*}", "?x=1&x=1", None),  # a str and a list can never be the same value
    ("{?x,x}", "?x=1&x=1", {"x": "1"}),
    # No expressions at all.
    ("file:///readme", "file:///readme", {}),
    ("file:///readme", "file:///readme2", None),
    ("caf%C3%A9/{x}", "caf%C3%A9/1", {"x": "1"}),
    ("café/{x}", "caf%C3%A9/1", {"x": "1"}),
    ("café/{x}", "café/1", None),
]


@pytest.mark.parametrize(("template", "uri", "expected"), MATCH_CASES)
def test_match(template: str, uri: str, expected: dict[str, str | list[str]] | None) -> None:
    assert UriTemplate(template).match(uri) == expected


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("x/a%20b", "a b"),
        ("x/%E2%82%AC", "€"),
        ("x/%e2%82%ac", "€"),
        ("x/caf%C3%A9", "café"),
        ("x/café", "café"),  # a raw IRI character is accepted as is
        ("x/%25", "%"),
        ("x/%2F", "/"),
        ("x/%", None),
        ("x/%4", None),
        ("x/%G1", None),
        ("x/%C3", None),  # truncated UTF-8
        ("x/%FF", None),  # never valid UTF-8
        ("x/%C3%28", None),
    ],
)
def test_percent_decoding(uri: str, expected: str | None) -> None:
    result = UriTemplate("x/{v}").match(uri)
    assert result == (None if expected is None else {"v": expected})


def test_non_string_uri_and_length_limit() -> None:
    template = UriTemplate("x{v}", max_length=10)
    assert template.match("x" * 10) == {"v": "x" * 9}
    assert template.match("x" * 11) is None
    assert template.match(b"xa") is None  # type: ignore[arg-type]


ADVERSARIAL_TEMPLATES = [
    "".join(f"{{v{k}}}" for k in range(MAX_EXPRESSIONS)),
    "/".join(f"{{v{k}}}" for k in range(MAX_EXPRESSIONS)),
    "".join(f"{{+v{k}}}/" for k in range(MAX_EXPRESSIONS)),
    "".join(f"{{v{k}}}a" for k in range(MAX_EXPRESSIONS)),
    "".join(f"{{+v{k}}}aa" for k in range(MAX_EXPRESSIONS)),
    "".join(f"{{?v{k}}}" for k in range(MAX_EXPRESSIONS)),
    "".join(f"{{/v{k}*}}{{+w{k}}}" for k in range(MAX_EXPRESSIONS // 2)),
    "{a}." * 63 + "{z}",
    "x{" + ",".join(f"v{k}" for k in range(500)) + "}",
    "x{?" + ",".join(f"v{k}*" for k in range(500)) + "}",
]

ADVERSARIAL_URIS = [
    "a" * DEFAULT_MAX_LENGTH,
    "a" * (DEFAULT_MAX_LENGTH - 1) + "/",
    "/" * DEFAULT_MAX_LENGTH,
    "a/" * (DEFAULT_MAX_LENGTH // 2),
    "a." * (DEFAULT_MAX_LENGTH // 2),
    "%" * DEFAULT_MAX_LENGTH,
    "%4" * (DEFAULT_MAX_LENGTH // 2),
    "?v0=" + "&" * (DEFAULT_MAX_LENGTH - 4),
    "x" + ",a" * (DEFAULT_MAX_LENGTH // 2 - 1),
    "aa" * (DEFAULT_MAX_LENGTH // 2),
]


@pytest.mark.parametrize("template", ADVERSARIAL_TEMPLATES)
def test_adversarial_inputs_return(template: str) -> None:
    # Only that every call returns (None or a dict) is asserted; speed belongs to benchmarks.
    parsed = UriTemplate(template)
    for uri in ADVERSARIAL_URIS:
        result = parsed.match(uri)
        assert result is None or set(result) <= set(parsed.variables)
    assert parsed.match("a" * (DEFAULT_MAX_LENGTH + 1)) is None


def test_adversarial_known_answers() -> None:
    many = UriTemplate("".join(f"{{v{k}}}" for k in range(MAX_EXPRESSIONS)))
    assert many.match("a" * DEFAULT_MAX_LENGTH) == {"v0": "a" * DEFAULT_MAX_LENGTH}
    slashed = UriTemplate("/".join(f"{{v{k}}}" for k in range(MAX_EXPRESSIONS)))
    assert slashed.match("a" * DEFAULT_MAX_LENGTH) is None
    segments = "/".join(str(k) for k in range(MAX_EXPRESSIONS))
    assert slashed.match(segments) == {f"v{k}": str(k) for k in range(MAX_EXPRESSIONS)}
    dotted = UriTemplate("{a}." * 63 + "{z}")
    assert dotted.match("a." * (DEFAULT_MAX_LENGTH // 2)) is None
    assert dotted.match("a." * 63 + "b") == {"a": "a", "z": "b"}


# -- properties ----------------------------------------------------------------------------------

T = TypeVar("T")

UNRESERVED = string.ascii_letters + string.digits + "-._~"
SAFE = string.ascii_letters + string.digits + "-_~"  # no '.', for templates that cut on it

word = st.text(UNRESERVED, min_size=1, max_size=12)
safe_word = st.text(SAFE, min_size=1, max_size=12)
any_word = st.text(UNRESERVED, max_size=12)
path = st.text(UNRESERVED + "/", min_size=1, max_size=24)
words = st.lists(word, min_size=1, max_size=5)


def optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


def defined(**values: object) -> dict[str, object]:
    return {k: v for k, v in values.items() if v is not None}


ROUND_TRIP_CASES: list[tuple[str, st.SearchStrategy[dict[str, object]]]] = [
    ("file:///{+path}", st.builds(defined, path=path)),
    ("file:///{path}", st.builds(defined, path=word)),
    ("repo://{owner}/{repo}/blob/{+path}", st.builds(defined, owner=word, repo=word, path=path)),
    ("scheme://{a}/{b*}", st.builds(defined, a=word, b=words)),
    ("search://q{?query,limit}", st.builds(defined, query=optional(any_word), limit=optional(word))),
    ("docs://{+path}{?version}", st.builds(defined, path=path, version=optional(any_word))),
    ("files://{+dir}/{name}", st.builds(defined, dir=path, name=word)),
    ("img://{name}.{ext}", st.builds(defined, name=word, ext=safe_word)),
    ("tree://{/segments*}{?depth}", st.builds(defined, segments=words, depth=optional(word))),
    ("x{;id,tags*}", st.builds(defined, id=optional(any_word), tags=optional(words))),
    ("x{?a}{&b*}", st.builds(defined, a=optional(any_word), b=optional(words))),
    ("{#frag}", st.builds(defined, frag=path)),
    ("doc://{id}{#section}", st.builds(defined, id=word, section=optional(path))),
    ("v{.major,minor}", st.builds(defined, major=safe_word, minor=word)),
    ("{/a,b*}/end", st.builds(defined, a=word, b=words)),
    ("{+base}/{file}.{ext}", st.builds(defined, base=path, file=word, ext=safe_word)),
    ("t{var:5}", st.builds(defined, var=st.text(UNRESERVED, min_size=1, max_size=5))),
    ("{x,y}", st.builds(defined, x=word, y=word)),
]


@pytest.mark.parametrize(("template", "values"), ROUND_TRIP_CASES, ids=[t for t, _ in ROUND_TRIP_CASES])
@given(data=st.data())
def test_round_trip(template: str, values: st.SearchStrategy[dict[str, object]], data: st.DataObject) -> None:
    parsed = UriTemplate(template)
    chosen = data.draw(values)
    assert parsed.match(parsed.expand(chosen)) == chosen


MATCH_FUZZ_TEMPLATES = [
    "file:///{path}",
    "search://q{?query,limit}",
    "scheme://{a}/{b*}",
    "x{;id,tags*}",
    "x{?a}{&b*}",
    "{name}.{ext}",
    "{/x*,y}",
    "v{.major,minor}",
    "{x:2}/{x}",
    "{a}{b}",
    "{keys*}",
    "{?x*}{&x*}",
]

uri_text = st.text(alphabet="ab.,/?&=;#%2Fx:*-é~", max_size=24)


@pytest.mark.parametrize("template", MATCH_FUZZ_TEMPLATES)
@given(uri=uri_text)
@example(uri="%2F")
@example(uri="a.b")
def test_match_is_total_and_stable(template: str, uri: str) -> None:
    # No input raises, and whatever a match returns expands to a URI that matches the same way.
    parsed = UriTemplate(template)
    result = parsed.match(uri)
    if result is not None:
        assert set(result) <= set(parsed.variables)
        assert parsed.match(parsed.expand(result)) == result


@given(uri=st.text(max_size=40))
def test_match_never_raises_on_any_text(uri: str) -> None:
    for template in ("file:///{+path}", "{+a}{/b}x{c}", "{a}.{b}{?c}{#d}"):
        result = UriTemplate(template).match(uri)
        assert result is None or isinstance(result, dict)
