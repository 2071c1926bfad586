"""mcpcore._jsonschema: keyword by keyword, on pydantic's schemas and the official MCP ones, and
against the ``jsonschema`` package as a second opinion on generated values."""

from __future__ import annotations

import copy
import enum
import json
import pickle
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from types import MappingProxyType, ModuleType
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from mcpcore._jsonschema import MAX_PATTERN_LENGTH, SchemaError, ValidationError, Validator, validate
from tests.spec import SPEC_DIR, needs_spec


def failure(schema: Any, instance: Any, **options: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Validator(schema, **options).validate(instance)
    return caught.value


# -- keyword by keyword -----------------------------------------------------------------------
# (schema, values it accepts, (value it rejects, the keyword that says so)...)

CASES: list[tuple[Any, list[Any], list[tuple[Any, str]]]] = [
    # type
    ({"type": "string"}, ["", "x"], [(1, "type"), (None, "type"), (["x"], "type")]),
    ({"type": "integer"}, [0, -3, 10**40, 1.0, -2.0, 1e300], [(1.5, "type"), (True, "type"), ("1", "type")]),
    (
        {"type": "number"},
        [0, 1.5, -1e300, 10**40],
        [(True, "type"), (False, "type"), ("1", "type"), (None, "type")],
    ),
    ({"type": "boolean"}, [True, False], [(0, "type"), (1, "type"), ("true", "type")]),
    ({"type": "null"}, [None], [(0, "type"), (False, "type"), ("", "type")]),
    ({"type": "array"}, [[], [1, "a"], (1, 2)], [({}, "type"), ("[]", "type")]),
    ({"type": "object"}, [{}, {"a": 1}], [([], "type"), (None, "type")]),
    ({"type": ["string", "null"]}, ["a", None], [(0, "type"), ([], "type")]),
    ({"type": ["integer", "boolean"]}, [1, 2.0, True], [(2.5, "type"), (None, "type")]),
    # enum and const: JSON equality
    (
        {"enum": [1, "a", None, [1, 2], {"k": 1}]},
        [1, 1.0, "a", None, [1, 2], [1.0, 2], {"k": 1.0}],
        [
            (True, "enum"),
            ("b", "enum"),
            ([2, 1], "enum"),
            ({"k": True}, "enum"),
            ([1, 2, 3], "enum"),
            (2, "enum"),
        ],
    ),
    ({"enum": [True]}, [True], [(1, "enum"), (1.0, "enum"), (False, "enum")]),
    ({"enum": [0, False]}, [0, 0.0, False], [(True, "enum"), (None, "enum"), ("0", "enum")]),
    ({"enum": [[0], [False]]}, [[0], [-0.0], [False]], [([True], "enum"), ([None], "enum")]),
    ({"const": 0}, [0, 0.0, -0.0], [(False, "const"), (None, "const"), ([0], "const")]),
    ({"const": None}, [None], [(0, "const"), (False, "const"), ("", "const")]),
    (
        {"const": {"a": [1, {"b": None}]}},
        [{"a": [1, {"b": None}]}, {"a": [1.0, {"b": None}]}],
        [
            ({"a": [1, {"b": False}]}, "const"),
            ({"a": [1, {"b": None, "c": 1}]}, "const"),
            ({"a": [1]}, "const"),
        ],
    ),
    # objects
    (
        {"properties": {"a": {"type": "integer"}, "b": {"type": "string"}}, "required": ["a"]},
        [{"a": 1}, {"a": 1, "b": "x", "c": None}, [], "not an object"],
        [({}, "required"), ({"a": "1"}, "type"), ({"a": 1, "b": 2}, "type")],
    ),
    (
        {"properties": {"a": True}, "additionalProperties": False},
        [{}, {"a": [1]}],
        [({"b": 1}, "additionalProperties"), ({"a": 1, "A": 1}, "additionalProperties")],
    ),
    (
        {"properties": {"a": {}}, "additionalProperties": {"type": "integer"}},
        [{"a": "x", "b": 1, "c": 2}],
        [({"b": "x"}, "type")],
    ),
    (
        {
            "patternProperties": {"^x-": {"type": "string"}, "[0-9]": {"minLength": 2}},
            "additionalProperties": False,
        },
        [{"x-a": "s"}, {"x-1": "ss"}, {"a1": "ss"}],
        [({"x-a": 1}, "type"), ({"x-1": "s"}, "minLength"), ({"y": 1}, "additionalProperties")],
    ),
    (
        {"propertyNames": {"pattern": "^[a-z]+$", "maxLength": 3}},
        [{}, {"abc": 1}, "not an object"],
        [({"abcd": 1}, "propertyNames"), ({"A": 1}, "propertyNames"), ({"": 1}, "propertyNames")],
    ),
    ({"propertyNames": False}, [{}], [({"a": 1}, "propertyNames")]),
    ({"minProperties": 1, "maxProperties": 2}, [{"a": 1}, {"a": 1, "b": 2}], [({}, "minProperties")]),
    ({"maxProperties": 1}, [{}, {"a": 1}], [({"a": 1, "b": 2}, "maxProperties")]),
    (
        {"dependentRequired": {"card": ["billing", "cvv"]}},
        [{}, {"billing": 1}, {"card": 1, "billing": 1, "cvv": 1}],
        [({"card": 1, "billing": 1}, "dependentRequired")],
    ),
    (
        {"dependentSchemas": {"card": {"required": ["billing"]}}},
        [{}, {"card": 1, "billing": 2}],
        [({"card": 1}, "required")],
    ),
    # arrays
    ({"items": {"type": "integer"}}, [[], [1, 2.0], "x"], [([1, "2"], "type"), ([None], "type")]),
    (
        {"prefixItems": [{"type": "integer"}, {"type": "string"}], "items": False},
        [[], [1], [1, "a"]],
        [(["a"], "type"), ([1, "a", None], "items")],
    ),
    (
        {"prefixItems": [{"type": "integer"}], "items": {"type": "string"}},
        [[1, "a", "b"]],
        [([1, "a", 2], "type"), (["a"], "type")],
    ),
    ({"contains": {"type": "string"}}, [["a"], [1, "a"], {}], [([], "contains"), ([1, 2], "contains")]),
    (
        {"contains": {"type": "string"}, "minContains": 2, "maxContains": 3},
        [["a", "b"], ["a", 1, "b", "c"]],
        [(["a", 1], "minContains"), (["a", "b", "c", "d"], "maxContains")],
    ),
    ({"contains": {"const": 1}, "minContains": 0}, [[], [2]], []),
    (
        {"contains": {"const": 1}, "minContains": 0, "maxContains": 1},
        [[], [1, 2]],
        [([1, 1.0], "maxContains")],
    ),
    ({"minItems": 1, "maxItems": 2}, [[1], [1, 2]], [([], "minItems"), ([1, 2, 3], "maxItems")]),
    (
        {"uniqueItems": True},
        [
            [],
            [1, True],
            [0, False],
            [[1], [True]],
            [{"a": 1}, {"a": 2}],
            ["1", 1],
            [{"a": 1}, {"a": 1, "b": 1}],
        ],
        [
            ([1, 1.0], "uniqueItems"),
            ([{"a": [1]}, {"a": [1.0]}], "uniqueItems"),
            ([None, None], "uniqueItems"),
        ],
    ),
    ({"uniqueItems": False}, [[1, 1]], []),
    # numbers
    ({"minimum": 1, "maximum": 2.5}, [1, 2.5, 1.0, "x"], [(0.999, "minimum"), (3, "maximum")]),
    (
        {"exclusiveMinimum": 0, "exclusiveMaximum": 1},
        [0.5, 1e-300],
        [(0, "exclusiveMinimum"), (1, "exclusiveMaximum")],
    ),
    ({"maximum": 2**64}, [2**64], [(2**64 + 1, "maximum")]),  # exact, not through floats
    (
        {"multipleOf": 3},
        [0, 9, -3, 6.0, 3 * 10**30],
        [(4, "multipleOf"), (4.5, "multipleOf"), (3 * 10**30 + 1, "multipleOf")],
    ),
    ({"multipleOf": 0.5}, [1, 1.5, -2.0], [(1.25, "multipleOf")]),
    ({"multipleOf": 0.1}, [0.3, 1.2, 3], [(0.35, "multipleOf")]),  # decimal, as written
    ({"multipleOf": 0.01}, [19.99, 0.07], [(0.005, "multipleOf")]),
    ({"multipleOf": 1e-308}, [1e308], []),
    # strings
    (
        {"minLength": 2, "maxLength": 3},
        ["ab", "abc", "😀😀", "é\u0301"],
        [("a", "minLength"), ("abcd", "maxLength")],
    ),
    ({"maxLength": 1}, ["😀", ""], [("😀😀", "maxLength")]),  # code points, not UTF-16 units
    ({"pattern": "b"}, ["abc", "b"], [("ac", "pattern")]),  # search, not match
    # ECMA-262 semantics: $ is the very end, \d and \w are ASCII
    ({"pattern": "^[a-z]+$"}, ["abc"], [("abc\n", "pattern"), ("ab1", "pattern")]),
    ({"pattern": r"^\d+$"}, ["0123"], [("\u0661\u0662\u0663", "pattern"), ("12a", "pattern")]),
    ({"pattern": r"^\w+$"}, ["a_1"], [("é", "pattern")]),
    ({"pattern": r"^[\d.]+$"}, ["1.2"], [("\u0661", "pattern")]),
    ({"pattern": r"^(?<y>[0-9]{4})-\k<y>$"}, ["2024-2024"], [("2024-2025", "pattern")]),
    ({"pattern": "^[^]$"}, ["\n", "a"], [("ab", "pattern")]),
    ({"pattern": "a[]"}, [], [("a", "pattern"), ("a[]", "pattern")]),
    ({"pattern": "^[[a]+$"}, ["[a["], [("b", "pattern")]),
    # in-place applicators
    (
        {"allOf": [{"type": "integer"}, {"minimum": 2}]},
        [2, 3],
        [(1, "minimum"), (2.5, "type")],
    ),
    (
        {"anyOf": [{"type": "integer"}, {"type": "string", "minLength": 2}]},
        [1, "ab"],
        [("a", "anyOf"), (None, "anyOf")],
    ),
    ({"oneOf": [{"type": "integer"}, {"minimum": 2}]}, [1, 2.5, "x"], [(3, "oneOf"), (1.5, "oneOf")]),
    ({"not": {"type": "string"}}, [1, None], [("a", "not")]),
    (
        {
            "if": {"properties": {"k": {"const": "a"}}, "required": ["k"]},
            "then": {"required": ["a"]},
            "else": {"required": ["b"]},
        },
        [{"k": "a", "a": 1}, {"k": "z", "b": 1}, {"b": 1}],
        [({"k": "a", "b": 1}, "required"), ({"a": 1}, "required")],
    ),
    ({"if": {"type": "string"}, "then": {"minLength": 2}}, ["ab", 1], [("a", "minLength")]),
    ({"if": {"type": "string"}, "else": {"type": "integer"}}, ["a", 1], [(1.5, "type")]),
    ({"then": False, "else": False}, [1], []),  # without "if" they do nothing
    # boolean schemas
    (True, [None, 1, "x", [], {}], []),
    (False, [], [(None, "false"), ({}, "false")]),
    ({"properties": {"a": False}}, [{}, {"b": 1}], [({"a": None}, "false")]),
    # unknown keywords and annotations are ignored
    (
        {"title": "t", "description": "d", "default": 1, "examples": [], "x-whatever": {"type": "string"}},
        [1],
        [],
    ),
    ({"format": "no-such-format"}, ["anything"], []),
]


@pytest.mark.parametrize(("schema", "good", "bad"), CASES, ids=[json.dumps(case[0])[:60] for case in CASES])
def test_each_keyword_accepts_and_rejects(schema: Any, good: list[Any], bad: list[tuple[Any, str]]) -> None:
    validator = Validator(schema)
    for instance in good:
        assert validator.is_valid(instance), instance
        validator.validate(instance)
    for instance, keyword in bad:
        assert not validator.is_valid(instance), instance
        with pytest.raises(ValidationError) as caught:
            validator.validate(instance)
        assert caught.value.keyword == keyword, (instance, str(caught.value))
        assert caught.value.message


def test_errors_say_where_and_why() -> None:
    schema = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
            "odd keys": {"properties": {"x-y": {"type": "integer"}}},
        },
        "$defs": {
            "item": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
        },
    }
    error = failure(schema, {"items": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": 3}]})
    assert error.path == ("items", 3, "name")
    assert error.keyword == "type"
    assert str(error) == "$.items[3].name: expected string, got integer"
    assert error.location == "$.items[3].name"

    error = failure(schema, {"items": [{}]})
    assert (error.path, error.keyword) == (("items", 0), "required")
    assert '"name"' in error.message

    error = failure(schema, {"odd keys": {"x-y": "1"}})
    assert error.location == '$["odd keys"]["x-y"]'

    error = failure({"type": "string"}, 5)
    assert (str(error), error.path) == ("$: expected string, got integer", ())
    assert isinstance(error, ValueError)
    copied = pickle.loads(pickle.dumps(error))
    assert (str(copied), copied.path, copied.keyword) == (str(error), error.path, error.keyword)


def test_an_anyof_failure_names_every_branch() -> None:
    schema = {"anyOf": [{"type": "null"}, {"properties": {"a": {"type": "integer"}}, "required": ["a"]}]}
    error = failure(schema, {"a": "x"})
    assert error.keyword == "anyOf"
    assert "[0] expected null, got object" in error.message
    assert "[1] .a: expected integer, got string" in error.message

    error = failure({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1)
    assert (error.keyword, "both match" in error.message) == ("oneOf", True)


def test_messages_stay_short_for_big_values() -> None:
    error = failure({"enum": ["a"]}, "x" * 100_000)
    assert len(str(error)) < 200
    error = failure({"const": 1}, 10**4000)
    assert len(str(error)) < 200


def test_the_convenience_function_compiles_and_validates() -> None:
    validate({"a": 1}, {"properties": {"a": {"type": "integer"}}})
    with pytest.raises(ValidationError):
        validate({"a": "1"}, {"properties": {"a": {"type": "integer"}}})
    with pytest.raises(ValidationError):
        validate("x", {"format": "uuid"}, check_formats=True)
    validate("x", {"format": "uuid"})


def test_python_containers_beyond_list_and_dict() -> None:
    schema = {"type": "object", "properties": {"t": {"type": "array", "prefixItems": [{"type": "integer"}]}}}
    validator = Validator(schema)
    assert validator.is_valid(MappingProxyType({"t": (1, 2)}))
    assert validator.is_valid(OrderedDict(t=[1]))
    assert not validator.is_valid({"t": ("1",)})
    error = failure({"type": "string"}, object())
    assert "not a JSON value" in error.message
    assert Validator({}).is_valid(object())
    assert not Validator({"enum": [1]}).is_valid(object())

    class Level(enum.IntEnum):
        LOW = 1

    class Name(enum.StrEnum):
        A = "a"

    assert Validator({"type": "integer", "enum": [1]}).is_valid(Level.LOW)
    assert Validator({"type": "string", "const": "a"}).is_valid(Name.A)


# -- format ------------------------------------------------------------------------------------

FORMATS: dict[str, tuple[list[str], list[str]]] = {
    "date-time": (
        ["2024-02-29T23:59:60Z", "1999-12-31t00:00:00.123+05:30", "2024-01-01T12:00:00-00:00"],
        [
            "2023-02-29T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01 12:00:00Z",
            "2024-01-01T12:00:00",
            "2024-1-1T1:0:0Z",
        ],
    ),
    "date": (
        ["2024-02-29", "2000-02-29", "0001-01-31"],
        ["1900-02-29", "2024-13-01", "2024-04-31", "24-01-01", "2024-01-0\u0661"],
    ),
    "time": (["23:59:59Z", "00:00:00.5+01:00"], ["24:00:00Z", "12:60:00Z", "12:00:00", "12:00:00+24:00"]),
    "email": (
        ["a@example.com", "first.last+tag@sub.example"],
        ["no-at-sign", "a@b@c", "@example.com", "a b@example.com"],
    ),
    "uri": (
        ["https://example.com/a?b=c#d", "urn:isbn:0451450523", "mailto:a@b.c", "file:///tmp/x%20y"],
        ["/relative/path", "no scheme", "http://exa mple.com", "https://example.com/%zz", "1http://x"],
    ),
    "uuid": (
        ["123e4567-e89b-12d3-a456-426614174000", "00000000-0000-0000-0000-000000000000"],
        [
            "123e4567e89b12d3a456426614174000",
            "123e4567-e89b-12d3-a456-42661417400g",
            "{123e4567-e89b-12d3-a456-426614174000}",
        ],
    ),
    "ipv4": (
        ["127.0.0.1", "0.0.0.0", "255.255.255.255"],
        ["256.0.0.1", "1.2.3", "01.2.3.4", "1.2.3.4.5", "\u0661.2.3.4", "a.b.c.d"],
    ),
    "ipv6": (
        ["::1", "fe80::1", "2001:db8::8a2e:370:7334", "::ffff:192.0.2.1"],
        ["fe80::1%eth0", "1:2:3:4:5:6:7:8:9", "12345::", "127.0.0.1"],
    ),
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_formats_are_checked_only_when_asked(name: str) -> None:
    good, bad = FORMATS[name]
    checking = Validator({"format": name}, check_formats=True)
    annotating = Validator({"format": name})
    for value in good:
        assert checking.is_valid(value), value
    for value in bad:
        assert not checking.is_valid(value), value
        assert annotating.is_valid(value)
        error = failure({"format": name}, value, check_formats=True)
        assert (error.keyword, name in error.message) == ("format", True)
    assert checking.is_valid(12)  # formats only concern strings
    assert Validator({"format": "hostname"}, check_formats=True).is_valid("not a host name!")


# -- dialects --------------------------------------------------------------------------------

DRAFT7 = "http://json-schema.org/draft-07/schema#"


def test_draft_07_reads_tuples_definitions_dependencies_and_lone_refs() -> None:
    tuple_schema = {
        "$schema": DRAFT7,
        "items": [{"type": "integer"}, {"type": "string"}],
        "additionalItems": False,
    }
    assert Validator(tuple_schema).is_valid([1, "a"])
    assert failure(tuple_schema, [1, "a", 2]).keyword == "additionalItems"
    assert failure(tuple_schema, ["a"]).path == (0,)

    schema = {
        "$schema": DRAFT7,
        "definitions": {"pos": {"type": "integer", "minimum": 0}},
        "properties": {
            # draft-07 ignores every keyword beside $ref
            "n": {"$ref": "#/definitions/pos", "maximum": 1},
            "prefix": {"prefixItems": [{"type": "string"}]},  # not a draft-07 keyword
        },
        "dependencies": {"a": ["b"], "c": {"required": ["d"]}},
    }
    validator = Validator(schema)
    assert validator.is_valid({"n": 5, "prefix": [1]})
    assert failure(schema, {"n": -1}).keyword == "minimum"
    assert failure(schema, {"a": 1}).keyword == "dependencies"
    assert failure(schema, {"c": 1}).keyword == "required"
    assert validator.is_valid({"a": 1, "b": 2, "c": 3, "d": 4})

    # dependentRequired, unevaluatedProperties and min/maxContains are later keywords: ignored
    later = {"$schema": DRAFT7, "dependentRequired": {"a": ["b"]}, "unevaluatedProperties": False,
             "contains": {"const": 1}, "maxContains": 1}  # fmt: skip
    assert Validator(later).is_valid([1, 1])
    assert Validator(later).is_valid({"a": 1})
    assert Validator({**later, "$schema": "http://json-schema.org/draft-06/schema"}).is_valid({"a": 1})


def test_2019_09_reads_items_arrays_and_refs_beside_keywords() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$defs": {"int": {"type": "integer"}},
        "items": [{"$ref": "#/$defs/int", "minimum": 1}],
        "additionalItems": {"type": "string"},
        "unevaluatedItems": False,
    }
    validator = Validator(schema)
    assert validator.is_valid([1, "a", "b"])
    assert failure(schema, [0]).keyword == "minimum"
    assert failure(schema, [1, 2]).keyword == "type"
    recursive = {"$schema": "https://json-schema.org/draft/2019-09/schema", "$recursiveAnchor": True,
                 "properties": {"next": {"$recursiveRef": "#"}, "v": {"type": "integer"}}}  # fmt: skip
    assert Validator(recursive).is_valid({"v": 1, "next": {"v": 2, "next": {}}})
    assert failure(recursive, {"next": {"next": {"v": "x"}}}).path == ("next", "next", "v")


def test_2020_12_is_the_default_and_items_arrays_are_read_as_tuples() -> None:
    assert Validator(
        {"$schema": "https://json-schema.org/draft/2020-12/schema#", "type": "integer"}
    ).is_valid(1)
    # invalid 2020-12, read the draft-07 way rather than refused
    lenient = {"items": [{"type": "integer"}], "additionalItems": False}
    assert Validator(lenient).is_valid([1])
    assert not Validator(lenient).is_valid([1, 2])
    assert not Validator(lenient).is_valid(["1"])
    # additionalItems means nothing beside a single items schema, nor in 2020-12 beside prefixItems
    assert Validator({"items": {"type": "integer"}, "additionalItems": False}).is_valid([1, 2])
    assert Validator({"prefixItems": [True], "additionalItems": False}).is_valid([1, 2])


@pytest.mark.parametrize(
    "dialect",
    ["http://json-schema.org/draft-04/schema#", "http://json-schema.org/draft-03/schema#",
     "https://example.com/my-meta-schema", "http://json-schema.org/schema#", 7],
)  # fmt: skip
def test_an_unsupported_dialect_is_refused(dialect: Any) -> None:
    with pytest.raises(SchemaError, match=r"dialect|\$schema"):
        Validator({"$schema": dialect, "type": "string"})


# -- references -------------------------------------------------------------------------------


def test_json_pointer_refs_with_escapes() -> None:
    schema = {
        "$defs": {
            "a/b": {"type": "integer"},
            "m~n": {"type": "string"},
            "with space": {"type": "boolean"},
            "%25": {"type": "null"},
            "list": [{"type": "array"}],
        },
        "properties": {
            "slash": {"$ref": "#/$defs/a~1b"},
            "tilde": {"$ref": "#/$defs/m~0n"},
            "space": {"$ref": "#/$defs/with%20space"},
            "percent": {"$ref": "#/$defs/%2525"},
            "index": {"$ref": "#/$defs/list/0"},
            "root": {"$ref": "#"},
            "deep": {"$ref": "#/properties/slash"},
        },
    }
    validator = Validator(schema)
    good = {
        "slash": 1,
        "tilde": "x",
        "space": True,
        "percent": None,
        "index": [],
        "root": {"slash": 2},
        "deep": 3,
    }
    assert validator.is_valid(good)
    for key, bad in [
        ("slash", "1"),
        ("tilde", 1),
        ("space", 1),
        ("percent", 0),
        ("index", {}),
        ("deep", "x"),
    ]:
        error = failure(schema, {key: bad})
        assert (error.path, error.keyword) == ((key,), "type")
    assert failure(schema, {"root": {"root": {"slash": "x"}}}).path == ("root", "root", "slash")


def test_refs_to_ids_and_anchors_in_the_same_document() -> None:
    schema = {
        "$id": "https://example.com/schemas/root.json",
        "$defs": {
            "name": {"$anchor": "name", "type": "string", "minLength": 1},
            "item": {
                "$id": "item.json",  # an embedded resource, with its own base
                "type": "object",
                "properties": {"name": {"$ref": "root.json#name"}, "sub": {"$ref": "#/$defs/inner"}},
                "$defs": {"inner": {"type": "integer"}},
            },
        },
        "properties": {
            "by_anchor": {"$ref": "#name"},
            "by_id": {"$ref": "item.json"},
            "by_absolute": {"$ref": "https://example.com/schemas/item.json#/$defs/inner"},
        },
    }
    validator = Validator(schema)
    assert validator.is_valid({"by_anchor": "a", "by_id": {"name": "b", "sub": 1}, "by_absolute": 2})
    assert failure(schema, {"by_anchor": ""}).keyword == "minLength"
    assert failure(schema, {"by_id": {"sub": "x"}}).path == ("by_id", "sub")
    assert failure(schema, {"by_id": {"name": ""}}).keyword == "minLength"
    assert failure(schema, {"by_absolute": "x"}).keyword == "type"

    draft7 = {
        "$schema": DRAFT7,
        "definitions": {"n": {"$id": "#num", "type": "number"}},
        "items": {"$ref": "#num"},
    }
    assert Validator(draft7).is_valid([1, 2.5])
    assert not Validator(draft7).is_valid(["1"])
    dynamic = {
        "$defs": {"d": {"$dynamicAnchor": "meta", "type": "integer"}},
        "items": {"$dynamicRef": "#meta"},
    }
    assert Validator(dynamic).is_valid([1])
    assert not Validator(dynamic).is_valid(["1"])


@pytest.mark.parametrize(
    "ref",
    [
        "https://json-schema.org/draft/2020-12/schema",
        "http://example.com/schema.json#/$defs/x",
        "file:///etc/passwd",
        "other.json",
        "../other.json#/x",
        "urn:example:thing",
        "//example.com/x",
    ],
)
def test_a_ref_outside_the_document_is_refused_not_fetched(ref: str) -> None:
    with pytest.raises(SchemaError, match="never fetched"):
        Validator({"properties": {"a": {"$ref": ref}}})


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"$ref": "#/$defs/missing"}, "leads nowhere"),
        ({"$defs": {"l": [True]}, "$ref": "#/$defs/l/1"}, "past the end"),
        ({"$defs": {"l": [True]}, "$ref": "#/$defs/l/01"}, "not an array index"),
        ({"$defs": {"s": "text"}, "$ref": "#/$defs/s/x"}, "leads nowhere"),
        ({"$defs": {"s": "text"}, "$ref": "#/$defs/s"}, "must be an object or a boolean"),
        ({"$ref": "#nope"}, "no anchor"),
        ({"$ref": 5}, "must be a string"),
    ],
)
def test_a_ref_that_leads_nowhere_is_a_schema_error(schema: dict[str, Any], problem: str) -> None:
    with pytest.raises(SchemaError, match=problem):
        Validator(schema)


def test_unreferenced_definitions_are_not_compiled() -> None:
    # Only what validation can reach must be usable; a bad spare definition does not matter.
    assert Validator({"$defs": {"unused": {"type": "nonsense"}}, "type": "integer"}).is_valid(3)


# -- loops and depth --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#"},
        {"allOf": [{"$ref": "#"}]},
        {"anyOf": [{"type": "string"}, {"$ref": "#"}]},
        {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"not": {"$ref": "#/$defs/a"}}}, "$ref": "#/$defs/a"},
        {
            "$defs": {"a": {"if": {"$ref": "#/$defs/a"}, "then": True}},
            "properties": {"x": {"$ref": "#/$defs/a"}},
        },
        {"dependentSchemas": {"a": {"$ref": "#"}}},
        {
            "$schema": DRAFT7,
            "definitions": {"a": {"$ref": "#/definitions/a"}},
            "items": {"$ref": "#/definitions/a"},
        },
    ],
)
def test_a_ref_loop_that_never_descends_is_a_schema_error(schema: dict[str, Any]) -> None:
    with pytest.raises(SchemaError, match="loop"):
        Validator(schema)


def test_recursion_through_the_value_is_fine_and_bounded_by_max_depth() -> None:
    tree = {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
            }
        },
        "$ref": "#/$defs/node",
    }
    value: dict[str, Any] = {}
    for _ in range(31):  # 31 nodes: 62 levels of nesting
        value = {"kids": [value]}
    assert Validator(tree).is_valid(value)
    value = {"kids": [value]}  # 64 levels
    assert Validator(tree).is_valid(value)
    value = {"kids": [value]}  # 66 levels
    error = failure(tree, value)
    assert error.keyword == "max_depth"
    assert len(error.path) == 65
    assert Validator(tree, max_depth=100).is_valid(value)
    bad = {"kids": [{"kids": [{"kids": 1}]}]}
    error = failure(tree, bad, max_depth=3)  # the error deeper down is never reached
    assert (error.path, error.keyword) == (("kids", 0, "kids", 0), "max_depth")


def test_no_depth_ever_becomes_a_recursion_error() -> None:
    tree = {"type": "array", "items": {"$ref": "#"}}
    value: list[Any] = []
    for _ in range(20_000):
        value = [value]
    for max_depth in (64, 10**6):
        validator = Validator(tree, max_depth=max_depth)
        assert not validator.is_valid(value)
        with pytest.raises(ValidationError) as caught:
            validator.validate(value)
        assert caught.value.keyword == "max_depth"
    # a deep value under a schema that does not descend is never walked
    assert Validator({"type": "array"}).is_valid(value)
    # uniqueItems and const compare deep values without recursion trouble
    assert failure({"uniqueItems": True}, [value, value]).keyword == "max_depth"
    assert not Validator({"const": [[1]]}).is_valid(value)


def test_schemas_that_nest_or_chain_too_deeply_are_refused() -> None:
    nested: dict[str, Any] = {"type": "integer"}
    for _ in range(70):
        nested = {"items": nested}
    with pytest.raises(SchemaError, match="nests more than"):
        Validator(nested)
    assert Validator(nested, max_depth=100).is_valid([[[]]])

    links: dict[str, Any] = {f"d{i}": {"$ref": f"#/$defs/d{i + 1}"} for i in range(80)}
    links["d80"] = {"type": "integer"}
    chain = {"$defs": links, "$ref": "#/$defs/d0"}
    with pytest.raises(SchemaError, match="chain"):
        Validator(chain)
    assert Validator(chain, max_depth=100).is_valid(1)

    looped: dict[str, Any] = {"type": "object"}
    looped["properties"] = {"self": looped}  # a Python cycle, impossible in JSON text
    with pytest.raises(SchemaError, match="nests more than"):
        Validator(looped)


# -- unevaluatedProperties and unevaluatedItems ------------------------------------------------


UNEVALUATED: list[tuple[dict[str, Any], list[Any], list[Any]]] = [
    (
        {"allOf": [{"properties": {"a": True}}], "properties": {"b": True}, "unevaluatedProperties": False},
        [{"a": 1, "b": 2}, {}],
        [{"a": 1, "c": 3}],
    ),
    (
        {
            "anyOf": [
                {"properties": {"a": {"type": "integer"}}},
                {"properties": {"b": True}, "required": ["b"]},
            ],
            "unevaluatedProperties": False,
        },
        [{"a": 1}, {"b": 1}, {"a": 1, "b": 1}],
        [{"a": "x", "b": 1}, {"c": 1}],  # "a" is evaluated only by a branch that fails
    ),
    (
        {
            "if": {"properties": {"t": {"const": "x"}}, "required": ["t"]},
            "then": {"properties": {"x": True}},
            "else": {"properties": {"y": True}},
            "unevaluatedProperties": False,
        },
        [{"t": "x", "x": 1}, {"y": 1}],
        [{"t": "x", "y": 1}, {"t": "z"}],  # a failing "if" evaluates nothing
    ),
    (
        {
            "$defs": {"base": {"properties": {"id": {"type": "integer"}}}},
            "$ref": "#/$defs/base",
            "properties": {"name": True},
            "unevaluatedProperties": {"type": "string"},
        },
        [{"id": 1, "name": 2, "extra": "s"}],
        [{"extra": 1}],
    ),
    (
        {
            "patternProperties": {"^x-": True},
            "dependentSchemas": {"a": {"properties": {"a": True, "b": True}}},
            "unevaluatedProperties": False,
        },
        [{"x-1": 1}, {"a": 1, "b": 2}, {}],
        [{"b": 2}, {"x-1": 1, "c": 3}],  # "b" counts only while "a" is there
    ),
    (
        {"allOf": [{"additionalProperties": True}], "unevaluatedProperties": False},
        [{"anything": 1}],
        [],
    ),
    (
        {
            "allOf": [{"unevaluatedProperties": True}],
            "properties": {"a": {"type": "integer"}},
            "unevaluatedProperties": False,
        },
        [{"z": 1}],
        [{"a": "x"}],
    ),
    (
        {"not": {"properties": {"a": {"type": "string"}}, "required": ["a"]}, "unevaluatedProperties": False},
        [{}],
        [{"a": 1}],  # "not" contributes no annotations
    ),
    (
        {"allOf": [{"prefixItems": [True, True]}], "unevaluatedItems": False},
        [[], [1, 2]],
        [[1, 2, 3]],
    ),
    (
        {"prefixItems": [True], "contains": {"type": "string"}, "unevaluatedItems": False},
        [[1, "a", "b"]],
        [[1, "a", 2]],
    ),
    (
        {
            "oneOf": [{"items": {"type": "integer"}}, {"prefixItems": [{"type": "string"}]}],
            "unevaluatedItems": {"type": "boolean"},
        },
        [[1, 2], ["a", True]],
        [["a", 1]],
    ),
]


@pytest.mark.parametrize(("schema", "good", "bad"), UNEVALUATED)
def test_unevaluated_keywords_see_what_the_subschemas_evaluated(
    schema: dict[str, Any], good: list[Any], bad: list[Any]
) -> None:
    validator = Validator(schema)
    for instance in good:
        assert validator.is_valid(instance), instance
    for instance in bad:
        assert not validator.is_valid(instance), instance


def test_unevaluated_failures_name_the_keyword_and_the_place() -> None:
    schema = {"properties": {"a": True}, "unevaluatedProperties": False}
    error = failure(schema, {"a": 1, "zz": 2})
    assert (error.keyword, '"zz"' in error.message) == ("unevaluatedProperties", True)
    error = failure({"prefixItems": [True], "unevaluatedItems": {"type": "string"}}, [0, "a", 2])
    assert (error.keyword, error.path) == ("type", (2,))


# -- schemas that cannot be used --------------------------------------------------------------


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "text"},
        {"type": 5},
        {"type": []},
        {"enum": "a"},
        {"properties": []},
        {"properties": {"a": 1}},
        {"properties": {"a": None}},
        {"required": "a"},
        {"required": [1]},
        {"required": True},
        {"minLength": -1},
        {"minLength": 1.5},
        {"maxItems": "3"},
        {"minimum": "0"},
        {"maximum": True},
        {"multipleOf": 0},
        {"multipleOf": -2},
        {"pattern": "("},
        {"pattern": 5},
        {"pattern": "a" * (MAX_PATTERN_LENGTH + 1)},
        {"patternProperties": {"[": True}},
        {"format": 1},
        {"uniqueItems": "yes"},
        {"allOf": []},
        {"anyOf": {}},
        {"oneOf": [1]},
        {"not": "x"},
        {"items": 1},
        {"prefixItems": {}},
        {"prefixItems": [True], "items": [True]},
        {"additionalProperties": []},
        {"dependentRequired": {"a": "b"}},
        {"dependentSchemas": {"a": 1}},
        {"$id": 1},
        {"$anchor": ""},
        {"$schema": None},
        [],
        "string",
        None,
        1,
    ],
    ids=repr,
)
def test_an_unusable_schema_is_a_schema_error(schema: Any) -> None:
    with pytest.raises(SchemaError) as caught:
        Validator(schema)
    assert str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_max_depth_must_be_positive() -> None:
    bad: Any
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="max_depth"):
            Validator({}, max_depth=bad)


def test_patterns_up_to_the_limit_are_accepted() -> None:
    assert Validator({"pattern": "a" * MAX_PATTERN_LENGTH}).is_valid("a" * MAX_PATTERN_LENGTH)


# -- pydantic's schemas -----------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")
    street: str = Field(min_length=1, max_length=100)
    zip: str = Field(pattern=r"^[0-9]{5}$")


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int = Field(ge=0, le=9)


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool = True


class Person(BaseModel):
    name: str
    age: int | None = Field(default=None, ge=0, lt=200)
    score: float = Field(gt=0, multiple_of=0.5)
    tags: list[str] = Field(default_factory=list, max_length=3)
    scores: dict[str, float] = {}
    home: Address | None = None
    addresses: list[Address] = []
    color: Color
    priority: Priority
    pet: Cat | Dog = Field(discriminator="kind")
    pair: tuple[int, str]
    ids: set[int]
    uid: uuid.UUID
    when: datetime
    mode: Literal["fast", "slow"] = "fast"


class Tree(BaseModel):
    value: int
    children: list[Tree] = []


def _person() -> Person:
    return Person(
        name="Ada",
        age=36,
        score=2.5,
        tags=["x"],
        scores={"a": 1.5},
        home=Address(street="Main St", zip="12345"),
        addresses=[Address(street="Side St", zip="54321")],
        color=Color.GREEN,
        priority=Priority.HIGH,
        pet=Cat(kind="cat", lives=7),
        pair=(1, "one"),
        ids={1, 2, 3},
        uid=uuid.UUID("123e4567-e89b-12d3-a456-426614174000"),
        when=datetime(2025, 11, 25, 12, 30, tzinfo=UTC),
    )


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


def _delete(key: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        del data[key]

    return mutate


MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], None], tuple[Any, ...], str]] = [
    ("missing name", _delete("name"), (), "required"),
    ("name not a string", _set(("name",), 7), ("name",), "type"),
    ("age negative", _set(("age",), -1), ("age",), "anyOf"),
    ("age too high", _set(("age",), 200), ("age",), "anyOf"),
    ("score zero", _set(("score",), 0), ("score",), "exclusiveMinimum"),
    ("score not a half", _set(("score",), 0.7), ("score",), "multipleOf"),
    ("too many tags", _set(("tags",), ["a", "b", "c", "d"]), ("tags",), "maxItems"),
    ("tag not a string", _set(("tags",), [1]), ("tags", 0), "type"),
    ("score map value", _set(("scores", "b"), "high"), ("scores", "b"), "type"),
    ("extra address field", _set(("addresses", 0, "floor"), 2), ("addresses", 0), "additionalProperties"),
    ("bad zip", _set(("addresses", 0, "zip"), "1234"), ("addresses", 0, "zip"), "pattern"),
    ("empty street", _set(("addresses", 0, "street"), ""), ("addresses", 0, "street"), "minLength"),
    ("bad optional model", _set(("home", "zip"), 12345), ("home",), "anyOf"),
    ("unknown color", _set(("color",), "blue"), ("color",), "enum"),
    ("unknown priority", _set(("priority",), 3), ("priority",), "enum"),
    ("cat with ten lives", _set(("pet", "lives"), 10), ("pet",), "oneOf"),
    ("unknown pet", _set(("pet",), {"kind": "fish"}), ("pet",), "oneOf"),
    ("pair wrong type", _set(("pair",), [1, 2]), ("pair", 1), "type"),
    ("pair too long", _set(("pair",), [1, "a", "b"]), ("pair",), "maxItems"),
    ("duplicate ids", _set(("ids",), [1, 1]), ("ids",), "uniqueItems"),
    ("bad uuid", _set(("uid",), "not-a-uuid"), ("uid",), "format"),
    ("bad date-time", _set(("when",), "yesterday"), ("when",), "format"),
    ("bad literal", _set(("mode",), "medium"), ("mode",), "enum"),
]


@pytest.fixture(scope="module")
def person_validator() -> Validator:
    return Validator(Person.model_json_schema(), check_formats=True)


def test_a_pydantic_dump_conforms_to_its_schema(person_validator: Validator) -> None:
    dumped = _person().model_dump(mode="json")
    person_validator.validate(dumped)
    schema = Person.model_json_schema()
    pristine = copy.deepcopy(schema)
    Validator(MappingProxyType(schema), check_formats=True).validate(dumped)
    assert schema == pristine  # compiling reads the schema, never changes it
    dog = (
        _person()
        .model_copy(update={"pet": Dog(kind="dog"), "home": None, "age": None})
        .model_dump(mode="json")
    )
    person_validator.validate(dog)
    for schema_mode in ("validation", "serialization"):
        Validator(Person.model_json_schema(mode=schema_mode), check_formats=True).validate(dumped)


@pytest.mark.parametrize(("name", "mutate", "path", "keyword"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_a_mutated_pydantic_dump_fails_where_it_was_changed(
    person_validator: Validator,
    name: str,
    mutate: Callable[[dict[str, Any]], None],
    path: tuple[Any, ...],
    keyword: str,
) -> None:
    data = _person().model_dump(mode="json")
    mutate(data)
    with pytest.raises(ValidationError) as caught:
        person_validator.validate(data)
    assert (caught.value.path, caught.value.keyword) == (path, keyword), str(caught.value)
    if name == "duplicate ids":
        return  # pydantic reads a JSON array into a set without complaint
    # pydantic agrees that the data is wrong
    with pytest.raises(ValueError):  # noqa: PT011 - pydantic's own error type varies by field
        Person.model_validate_json(json.dumps(data))


def test_a_recursive_pydantic_model() -> None:
    validator = Validator(Tree.model_json_schema())
    tree = Tree(value=0)
    for i in range(1, 20):
        tree = Tree(value=i, children=[tree, Tree(value=-i)])
    validator.validate(tree.model_dump(mode="json"))
    data = tree.model_dump(mode="json")
    data["children"][0]["children"][1]["value"] = "x"
    error = failure(Tree.model_json_schema(), data)
    assert (error.path, error.keyword) == (("children", 0, "children", 1, "value"), "type")
    for _ in range(40):
        tree = Tree(value=0, children=[tree])
    assert failure(Tree.model_json_schema(), tree.model_dump(mode="json")).keyword == "max_depth"


# -- the official MCP schemas -----------------------------------------------------------------


def _document(revision: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SPEC_DIR / revision / "schema.json").read_text(encoding="utf-8"))
    return loaded


def _revisions() -> list[str]:
    return sorted(path.parent.name for path in SPEC_DIR.glob("*/schema.json")) if SPEC_DIR.is_dir() else []


@needs_spec
@pytest.mark.parametrize("revision", _revisions())
def test_every_definition_of_every_official_schema_compiles(revision: str) -> None:
    document = _document(revision)
    key = "$defs" if "$defs" in document else "definitions"
    assert len(document[key]) > 50
    for name in document[key]:
        Validator({**document, "$ref": f"#/{key}/{name}"})


@needs_spec
def test_the_official_examples_conform_to_their_definitions() -> None:
    revision = "2026-07-28"
    document = _document(revision)
    examples = sorted((SPEC_DIR / revision / "examples").rglob("*.json"))
    assert len(examples) > 50
    validators: dict[str, Validator] = {}
    for path in examples:
        name = path.parent.name
        if name not in validators:
            validators[name] = Validator({**document, "$ref": f"#/$defs/{name}"}, check_formats=True)
        instance = json.loads(path.read_text(encoding="utf-8"))
        validators[name].validate(instance)
        if isinstance(instance, dict) and instance:
            # and an example stripped of all its properties no longer does, where any are required
            required = document["$defs"][name].get("required")
            assert validators[name].is_valid({}) == (not required), path


# -- a second opinion: the jsonschema package -------------------------------------------------

KEYS = ["a", "b", "c", "k", "name", "kids", "x-1", ""]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-4, 12)
    | st.integers()
    | st.sampled_from([0.0, -0.0, 1.0, 1.5, 2.5, 3.0, 1e20])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet="abcA1 -_", max_size=5)
    | st.text(max_size=4)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.sampled_from(KEYS), children, max_size=5)
    ),
    max_leaves=16,
)

# Each schema comes with values close to its edge, so that both answers come up often; the
# generated values around them cover the rest.
SECOND_OPINION: list[tuple[Any, list[Any]]] = [
    ({"type": ["integer", "string"]}, [1, 1.0, 1.5, "1", True]),
    (
        {"type": "number", "minimum": -1.5, "exclusiveMaximum": 7, "multipleOf": 0.5},
        [-1.5, -2, 6.5, 7, 7.0, 0.25, 3, True],
    ),
    (
        {"type": "integer", "multipleOf": 3, "exclusiveMinimum": -10, "maximum": 1e15},
        [-9, -12, 999999999999999, 6.0, 3e15],
    ),
    (
        {"enum": [1, "a", None, True, [1, 2], {"a": 1}, 1.5]},
        [1.0, True, 1, False, [1.0, 2], {"a": True}, 1.5, "A"],
    ),
    (
        {"const": {"a": [0, False]}},
        [{"a": [0.0, False]}, {"a": [False, 0]}, {"a": [0, 0]}, {"a": [0, False], "b": 1}],
    ),
    ({"const": 0}, [0, -0.0, False, None, [0]]),
    (
        {"type": "string", "minLength": 1, "maxLength": 3, "pattern": "^[a-c]"},
        ["a", "abc", "abcd", "", "da", "b\n"],
    ),
    (
        {
            "properties": {"a": {"type": "integer"}, "b": {"type": "array", "items": {"type": "string"}}},
            "required": ["a"],
            "additionalProperties": False,
        },
        [{"a": 1, "b": ["x", "y"]}, {"a": 1, "b": [1]}, {"a": 1.0}, {"b": []}, {"a": 1, "c": 1}],
    ),
    (
        {
            "patternProperties": {"^[a-c]$": {"type": "integer"}},
            "additionalProperties": {"type": "string"},
            "propertyNames": {"maxLength": 3},
            "minProperties": 1,
            "maxProperties": 3,
        },
        [{"a": 1, "k": "s"}, {"a": "s"}, {"name": "s"}, {}, {"a": 1, "b": 2, "c": 3, "k": "x"}],
    ),
    (
        {
            "type": "array",
            "prefixItems": [{"type": "integer"}, {"type": "string"}],
            "items": False,
            "minItems": 1,
        },
        [[1, "a"], [1], [], [1, "a", "b"], ["a", 1]],
    ),
    (
        {"items": {"type": ["integer", "null"]}, "uniqueItems": True, "maxItems": 3},
        [[1, None], [1, 1.0], [None, None], [1, 2, 3, 4]],
    ),
    ({"uniqueItems": True}, [[1, True], [[1], [True]], [{"a": 1}, {"a": 1.0}], [0, False, None, "0"]]),
    (
        {"contains": {"type": "string"}, "minContains": 2, "maxContains": 3},
        [["a", 1, "b"], ["a"], ["a", "b", "c", "d"]],
    ),
    ({"contains": {"const": 1}, "minContains": 0, "maxContains": 1}, [[], [1], [1, 1.0], [True, True]]),
    (
        {
            "allOf": [{"type": "object"}, {"required": ["a"]}],
            "anyOf": [{"required": ["b"]}, {"maxProperties": 1}],
        },
        [{"a": 1}, {"a": 1, "b": 2}, {"a": 1, "c": 2}, {"b": 1}],
    ),
    (
        {"oneOf": [{"type": "integer"}, {"minimum": 2}, {"type": "array", "maxItems": 1}]},
        [1, 2, 2.5, [], [1, 2], "x"],
    ),
    ({"not": {"type": ["array", "string"]}}, [[], "", None]),
    (
        {
            "if": {"properties": {"k": {"const": "a"}}, "required": ["k"]},
            "then": {"required": ["a"]},
            "else": {"properties": {"b": {"type": "null"}}},
        },
        [{"k": "a", "a": None}, {"k": "a", "b": None}, {"k": "b", "b": 1}, {"b": None}],
    ),
    (
        {
            "dependentRequired": {"a": ["b"]},
            "dependentSchemas": {"b": {"properties": {"c": {"type": "string"}}}},
        },
        [{"a": 1, "b": 2}, {"a": 1}, {"b": 1, "c": 1}, {"b": 1, "c": "s"}],
    ),
    (
        {
            "$defs": {
                "node": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                    },
                    "required": ["name"],
                }
            },
            "$ref": "#/$defs/node",
        },
        [
            {"name": "n", "kids": [{"name": "m", "kids": []}, {"name": "o"}]},
            {"name": "n", "kids": [{"kids": []}]},
        ],
    ),
    (
        {"allOf": [{"properties": {"a": True}}], "properties": {"b": True}, "unevaluatedProperties": False},
        [{"a": 1, "b": 2}, {"a": 1, "c": 2}, {}],
    ),
    (
        {
            "anyOf": [{"properties": {"a": {"type": "integer"}}}, {"properties": {"b": {"type": "string"}}}],
            "if": {"required": ["k"]},
            "then": {"properties": {"c": True}},
            "unevaluatedProperties": {"type": "boolean"},
        },
        [{"a": 1, "b": 1}, {"a": "x", "b": "y"}, {"k": True, "c": 1}, {"c": 1}, {"a": "x", "b": 1}],
    ),
    (
        {
            "allOf": [{"prefixItems": [{"type": "integer"}]}],
            "contains": {"type": "string"},
            "unevaluatedItems": False,
        },
        [[1, "a"], [1, "a", 2], ["a"], ["a", "b"]],
    ),
    (
        {"$ref": "#/$defs/a~1b", "$defs": {"a/b": {"type": "object", "additionalProperties": {"$ref": "#"}}}},
        [{"a": {"b": {}}}, {"a": {"b": 1}}],
    ),
    (
        {"properties": {"a": False, "b": True}, "propertyNames": {"not": {"const": "c"}}},
        [{"b": 1}, {"a": 1}, {"c": 1}],
    ),
    (
        {
            "anyOf": [{"$ref": "#/$defs/m"}, {"type": "null"}],
            "$defs": {"m": {"type": "object", "properties": {"a": {"type": "number", "maximum": 3}}}},
        },
        [None, {"a": 3}, {"a": 3.5}, {"a": None}],
    ),
    (
        {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}, "propertyNames": False},
        [{}, {"a": 1}],
    ),
    (
        {"items": {"enum": [[], {}, [0], {"a": None}]}},
        [[[], {}], [[0.0]], [[False]], [{"a": None}, {"a": 0}]],
    ),
]


@pytest.fixture(scope="module")
def jsonschema() -> ModuleType:
    module: ModuleType = pytest.importorskip(
        "jsonschema", reason="jsonschema (a test dependency) is the second opinion on generated values"
    )
    return module


@pytest.mark.parametrize(
    ("schema", "near"), SECOND_OPINION, ids=[json.dumps(s)[:50] for s, _ in SECOND_OPINION]
)
@given(data=st.data())
def test_the_jsonschema_package_agrees_on_generated_values(
    jsonschema: ModuleType, schema: Any, near: list[Any], data: st.DataObject
) -> None:
    instance = data.draw(st.sampled_from(near) | scalars | json_values, label="instance")
    theirs = jsonschema.Draft202012Validator(schema)
    ours = Validator(schema)
    expected = theirs.is_valid(instance)
    assert ours.is_valid(instance) == expected, list(theirs.iter_errors(instance))[:1]
    if not expected:
        # and the reported path really leads into the value
        with pytest.raises(ValidationError) as caught:
            ours.validate(instance)
        target: Any = instance
        for step in caught.value.path:
            target = target[step]


# Generated schemas too: leaves of assertion keywords, nested under every applicator.
_keys = st.sampled_from(KEYS)
_counts = st.integers(0, 3)
_bounds = st.sampled_from([0, 1, 2, 3, -1, 0.5, 1.5, 2.0])
_leaf_schemas: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["null", "boolean", "integer", "number", "string", "array", "object"])
        | st.lists(
            st.sampled_from(["null", "integer", "string", "array", "object"]),
            min_size=1,
            max_size=3,
            unique=True,
        ),
        "enum": st.lists(scalars, min_size=1, max_size=3),
        "const": scalars,
        "minimum": _bounds,
        "maximum": _bounds,
        "exclusiveMinimum": _bounds,
        "exclusiveMaximum": _bounds,
        "multipleOf": st.sampled_from([1, 2, 3, 0.5, 0.25]),
        "minLength": _counts,
        "maxLength": _counts,
        "pattern": st.sampled_from(["a", "^b", "[0-9]", "^.$", "c|d"]),
        "minItems": _counts,
        "maxItems": _counts,
        "uniqueItems": st.booleans(),
        "required": st.lists(_keys, max_size=2, unique=True),
        "minProperties": _counts,
        "maxProperties": _counts,
        "dependentRequired": st.dictionaries(_keys, st.lists(_keys, max_size=2, unique=True), max_size=2),
    },
)


def _applicators(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    some = st.lists(children, min_size=1, max_size=2)
    return _leaf_schemas | st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["array", "object"]),
            "properties": st.dictionaries(_keys, children, max_size=2),
            "patternProperties": st.dictionaries(st.sampled_from(["^a", "b", "^x-"]), children, max_size=2),
            "additionalProperties": children,
            "propertyNames": children,
            "items": children,
            "prefixItems": some,
            "contains": children,
            "minContains": _counts,
            "maxContains": _counts,
            "allOf": some,
            "anyOf": some,
            "oneOf": some,
            "not": children,
            "if": children,
            "then": children,
            "else": children,
            "dependentSchemas": st.dictionaries(_keys, children, max_size=2),
            "unevaluatedProperties": children,
            "unevaluatedItems": children,
        },
    )


generated_schemas = st.recursive(st.booleans() | _leaf_schemas, _applicators, max_leaves=8)


@given(schema=generated_schemas, values=st.lists(json_values, min_size=1, max_size=6))
def test_the_jsonschema_package_agrees_on_generated_schemas(
    jsonschema: ModuleType, schema: Any, values: list[Any]
) -> None:
    theirs = jsonschema.Draft202012Validator(schema)
    ours = Validator(schema)
    for value in values:
        assert ours.is_valid(value) == theirs.is_valid(value), value


def test_the_near_values_fall_on_both_sides(jsonschema: ModuleType) -> None:
    for schema, near in SECOND_OPINION:
        answers = {Validator(schema).is_valid(value) for value in near}
        assert answers == {True, False}, schema


def test_the_schemas_here_are_valid_2020_12(jsonschema: ModuleType) -> None:
    # (format_checker=None: jsonschema would read "pattern" as a Python regular expression)
    for schema, _ in SECOND_OPINION:
        jsonschema.Draft202012Validator.check_schema(schema, format_checker=None)
    for schema, _, _ in CASES:
        jsonschema.Draft202012Validator.check_schema(schema, format_checker=None)
