"""Elicitation schemas and answers: what we send must be what each revision's schema allows, and
what comes back must fit what we sent.

The schema tests check our output against the official schema files with jsonschema (a test
dependency), both as whole ``elicitation/create`` requests and property by property against
the exact definition each kind of field should match.
"""

from __future__ import annotations

import datetime
import enum
import json
import math
import string
from functools import cache
from typing import Annotated, Any, Literal, Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import AfterValidator, AliasChoices, AnyUrl, BaseModel, Field, PositiveInt, conint

from mcpcore.elicitation import (
    ElicitationContentError,
    ElicitationResult,
    ElicitationSchemaError,
    Titled,
    parse_result,
    requested_schema,
    titled,
    validate_content,
)
from tests.spec import SPEC_DIR, needs_spec

LEGACY = "2025-06-18"
RICH = ("2025-11-25", "2026-07-28")
ALL = (LEGACY, *RICH)


# --- the official schemas -------------------------------------------------------------------


@cache
def _document(revision: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SPEC_DIR / revision / "schema.json").read_text(encoding="utf-8"))
    return loaded


def _validator(revision: str, definition: str) -> Any:
    jsonschema = pytest.importorskip(
        "jsonschema", reason="jsonschema (a test dependency) is needed to check against the official schemas"
    )
    document = _document(revision)
    key = "$defs" if "$defs" in document else "definitions"
    assert definition in document[key], f"{revision} has no {definition}"
    return jsonschema.validators.validator_for(document)({**document, "$ref": f"#/{key}/{definition}"})


def _definition_for(revision: str, prop: dict[str, Any]) -> str:
    """The one official definition that a property of this shape is meant to be."""
    kind = prop["type"]
    if kind in ("number", "integer"):
        return "NumberSchema"
    if kind == "boolean":
        return "BooleanSchema"
    if revision == LEGACY:
        return "EnumSchema" if "enum" in prop else "StringSchema"
    if kind == "array":
        return "TitledMultiSelectEnumSchema" if "anyOf" in prop["items"] else "UntitledMultiSelectEnumSchema"
    if "oneOf" in prop:
        return "TitledSingleSelectEnumSchema"
    if "enumNames" in prop:
        return "LegacyTitledEnumSchema"
    return "UntitledSingleSelectEnumSchema" if "enum" in prop else "StringSchema"


def _assert_official(revision: str, requested: dict[str, Any]) -> None:
    """``requested`` is a valid requestedSchema of ``revision``, every property in its own definition."""
    params: dict[str, Any] = {"message": "Please fill in the form", "requestedSchema": requested}
    if revision != LEGACY:
        params["mode"] = "form"
        _validator(revision, "ElicitRequestFormParams").validate(params)
    request = {"jsonrpc": "2.0", "id": 1, "method": "elicitation/create", "params": params}
    _validator(revision, "ElicitRequest").validate(request)
    key = "$defs" if revision != LEGACY else "definitions"
    for prop in requested["properties"].values():
        _validator(revision, "PrimitiveSchemaDefinition").validate(prop)
        name = _definition_for(revision, prop)
        _validator(revision, name).validate(prop)
        # The official definitions allow extra keys; we promise to send none of them.
        declared = _document(revision)[key][name]["properties"]
        assert set(prop) <= set(declared), (name, set(prop) - set(declared))
        if "items" in prop:
            assert set(prop["items"]) <= set(declared["items"]["properties"])


@needs_spec
def test_the_official_schema_check_bites() -> None:
    # A checker that accepts everything would make every test below pass for nothing.
    assert not _validator(LEGACY, "PrimitiveSchemaDefinition").is_valid({"type": "array", "items": {}})
    assert not _validator("2025-11-25", "PrimitiveSchemaDefinition").is_valid({"type": "object"})
    assert not _validator("2025-11-25", "StringSchema").is_valid({"type": "string", "minLength": "3"})
    with pytest.raises(AssertionError):
        _assert_official(LEGACY, {"type": "object", "properties": {"x": {"type": "string", "pattern": "a"}}})


# --- models covering every shape ------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Legacy(BaseModel):
    """Every shape 2025-06-18 can carry (the richer ones come out as their legacy forms)."""

    name: str = Field(min_length=2, max_length=30, title="Name", description="Your full name")
    email: str = Field(json_schema_extra={"format": "email"})
    homepage: AnyUrl | None = None
    birthday: datetime.date | None = None
    meeting: datetime.datetime = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    age: Annotated[int, Field(ge=0, le=150)] = 30
    count: PositiveInt = 1
    small: conint(lt=10) | None = None  # type: ignore[valid-type]
    ratio: float = Field(default=0.5, ge=0.0, le=1.0, description="A share")
    subscribe: bool = False
    size: Literal["s", "m", "l"] = "m"
    color: Color = Color.GREEN
    region: Annotated[str, titled({"eu": "Europe", "us": "United States"})] = "eu"
    shade: Annotated[Literal["d", "l"], titled({"l": "Light", "d": "Dark"})] | None = None


class Everything(Legacy):
    """Plus the multi-selects of 2025-11-25."""

    toppings: list[Literal["cheese", "ham", "olives"]] = Field(default_factory=list, max_length=2)
    colors: list[Color] = Field(min_length=1)
    labels: Annotated[list[str], titled({"a": "Alpha", "b": "Beta"})] | None = None
    marks: list[Annotated[str, titled({"x": "Ex", "y": "Why"})]] = ["x"]


LEGACY_PROPERTIES: dict[str, Any] = {
    "name": {
        "type": "string",
        "title": "Name",
        "description": "Your full name",
        "minLength": 2,
        "maxLength": 30,
    },
    "email": {"type": "string", "format": "email"},
    "homepage": {"type": "string", "format": "uri"},
    "birthday": {"type": "string", "format": "date"},
    "meeting": {"type": "string", "format": "date-time", "default": "2025-01-02T03:04:05+00:00"},
    "age": {"type": "integer", "minimum": 0, "maximum": 150, "default": 30},
    "count": {"type": "integer", "minimum": 1, "default": 1},
    "small": {"type": "integer", "maximum": 9},
    "ratio": {"type": "number", "description": "A share", "minimum": 0.0, "maximum": 1.0, "default": 0.5},
    "subscribe": {"type": "boolean", "default": False},
    "size": {"type": "string", "enum": ["s", "m", "l"], "default": "m"},
    "color": {"type": "string", "enum": ["red", "green", "blue"], "default": "green"},
    "region": {
        "type": "string",
        "oneOf": [{"const": "eu", "title": "Europe"}, {"const": "us", "title": "United States"}],
        "default": "eu",
    },
    # The Literal's order wins over the titles' order.
    "shade": {"type": "string", "oneOf": [{"const": "d", "title": "Dark"}, {"const": "l", "title": "Light"}]},
}
EVERYTHING_PROPERTIES: dict[str, Any] = {
    **LEGACY_PROPERTIES,
    "toppings": {
        "type": "array",
        "items": {"type": "string", "enum": ["cheese", "ham", "olives"]},
        "maxItems": 2,
        "default": [],
    },
    "colors": {"type": "array", "items": {"type": "string", "enum": ["red", "green", "blue"]}, "minItems": 1},
    "labels": {
        "type": "array",
        "items": {"anyOf": [{"const": "a", "title": "Alpha"}, {"const": "b", "title": "Beta"}]},
    },
    "marks": {
        "type": "array",
        "items": {"anyOf": [{"const": "x", "title": "Ex"}, {"const": "y", "title": "Why"}]},
        "default": ["x"],
    },
}


@pytest.mark.parametrize("revision", RICH)
def test_model_schema_in_the_rich_dialect(revision: str) -> None:
    assert requested_schema(Everything, revision) == {
        "type": "object",
        "properties": EVERYTHING_PROPERTIES,
        "required": ["name", "email", "colors"],
    }


def test_model_schema_in_2025_06_18() -> None:
    # Titled single-selects become enum + enumNames; defaults survive on booleans only.
    expected = {
        name: {k: v for k, v in prop.items() if k != "default"} for name, prop in LEGACY_PROPERTIES.items()
    }
    expected["subscribe"]["default"] = False
    expected["region"] = {"type": "string", "enum": ["eu", "us"], "enumNames": ["Europe", "United States"]}
    expected["shade"] = {"type": "string", "enum": ["d", "l"], "enumNames": ["Dark", "Light"]}
    assert requested_schema(Legacy, LEGACY) == {
        "type": "object",
        "properties": expected,
        "required": ["name", "email"],
    }


@needs_spec
@pytest.mark.parametrize(("revision", "model"), [(LEGACY, Legacy), *((r, Everything) for r in RICH)])
def test_model_schemas_match_the_official_schema(revision: str, model: type[BaseModel]) -> None:
    _assert_official(revision, requested_schema(model, revision))


class Aliased(BaseModel):
    user_name: str = Field(alias="userName")


def test_aliases_name_the_properties() -> None:
    # The client answers with the names it was shown, and model_validate reads the alias.
    assert requested_schema(Aliased, LEGACY)["properties"] == {"userName": {"type": "string"}}
    requested = requested_schema(Aliased, LEGACY)
    result = parse_result({"action": "accept", "content": {"userName": "ada"}}, Aliased, requested)
    assert result.content is not None and result.content.user_name == "ada"


class Empty(BaseModel):
    pass


def test_a_model_without_fields_asks_for_a_bare_confirmation() -> None:
    assert requested_schema(Empty, "2025-11-25") == {"type": "object", "properties": {}}


# --- what a model cannot say ----------------------------------------------------------------


class Inner(BaseModel):
    x: int


class Nested(BaseModel):
    inner: Inner


class NestedList(BaseModel):
    inners: list[Inner]


class AnyUnion(BaseModel):
    value: str | int


class FreeTextList(BaseModel):
    tags: list[str]


class IntList(BaseModel):
    numbers: list[int]


class BareList(BaseModel):
    stuff: list  # type: ignore[type-arg]


class SetOfEnum(BaseModel):
    picks: set[Color]


class Mapping_(BaseModel):
    data: dict[str, str]


class Raw(BaseModel):
    blob: bytes


class IntLiteral(BaseModel):
    level: Literal[1, 2, 3]


class IntEnum(enum.IntEnum):
    ONE = 1


class IntEnumField(BaseModel):
    level: IntEnum


class FloatExclusive(BaseModel):
    share: float = Field(gt=0.0)


class MultipleOf(BaseModel):
    even: int = Field(multiple_of=2)


class Pattern(BaseModel):
    code: str = Field(pattern="^[A-Z]+$")


class TitledInt(BaseModel):
    level: Annotated[int, titled({"1": "One"})]


class TitledMismatch(BaseModel):
    size: Annotated[Literal["s", "m"], titled({"s": "Small", "l": "Large"})]


class TitledTwice(BaseModel):
    tags: Annotated[list[Annotated[str, titled({"a": "A"})]], titled({"a": "A"})]


class OptionalItems(BaseModel):
    tags: list[Literal["a"] | None]


class Choices(BaseModel):
    name: str = Field(validation_alias=AliasChoices("name", "fullName"))


class OtherExtra(BaseModel):
    name: str = Field(json_schema_extra={"examples": ["x"]})


class FormatOnEnum(BaseModel):
    size: Literal["s"] = Field(json_schema_extra={"format": "email"})


class LengthOnEnum(BaseModel):
    size: Literal["s", "m"] = Field(min_length=1)


class BoundOnString(BaseModel):
    name: Annotated[str, Field(ge=1)]


class BadDefault(BaseModel):
    count: int = Field(5, le=3)


REJECTED_MODELS = [
    (Nested, "inner", "nested"),
    (NestedList, "inners", "multi-select"),
    (AnyUnion, "value", "union"),
    (FreeTextList, "tags", "multi-select"),
    (IntList, "numbers", "multi-select"),
    (BareList, "stuff", "no elicitation schema"),
    (SetOfEnum, "picks", "no elicitation schema"),
    (Mapping_, "data", "no elicitation schema"),
    (Raw, "blob", "no elicitation schema"),
    (IntLiteral, "level", "strings"),
    (IntEnumField, "level", "strings"),
    (FloatExclusive, "share", "ge/le"),
    (MultipleOf, "even", "multiple_of"),
    (Pattern, "code", "pattern"),
    (TitledInt, "level", "titled()"),
    (TitledMismatch, "size", "exactly the values"),
    (TitledTwice, "tags", "both"),
    (OptionalItems, "tags", "None"),
    (Choices, "name", "AliasChoices"),
    (OtherExtra, "name", "json_schema_extra"),
    (FormatOnEnum, "size", "plain str"),
    (LengthOnEnum, "size", "length"),
    (BoundOnString, "name", "numeric bound"),
    (BadDefault, "count", "default"),
]


@pytest.mark.parametrize(
    ("model", "field", "why"), REJECTED_MODELS, ids=[m[0].__name__ for m in REJECTED_MODELS]
)
@pytest.mark.parametrize("revision", ALL)
def test_models_the_protocol_cannot_express_are_refused(
    model: type[BaseModel], field: str, why: str, revision: str
) -> None:
    with pytest.raises(ElicitationSchemaError) as caught:
        requested_schema(model, revision)
    assert isinstance(caught.value, TypeError)
    assert caught.value.field == field
    assert repr(field) in str(caught.value) and why in str(caught.value)


class OneMultiSelect(BaseModel):
    name: str
    picks: list[Literal["a", "b"]] = []


class OneTitledMultiSelect(BaseModel):
    picks: Annotated[list[str], titled({"a": "A"})]


@pytest.mark.parametrize("model", [OneMultiSelect, OneTitledMultiSelect])
def test_multi_select_needs_2025_11_25(model: type[BaseModel]) -> None:
    with pytest.raises(ElicitationSchemaError, match="2025-11-25") as caught:
        requested_schema(model, LEGACY)
    assert caught.value.field == "picks"
    assert requested_schema(model, "2025-11-25")["properties"]["picks"]["type"] == "array"


@pytest.mark.parametrize("revision", ["2024-11-05", "2025-03-26"])
def test_revisions_without_elicitation_are_refused(revision: str) -> None:
    with pytest.raises(ValueError, match="no elicitation"):
        requested_schema(Legacy, revision)
    with pytest.raises(ValueError, match="no elicitation"):
        requested_schema({"type": "object", "properties": {}}, revision)


def test_unknown_revisions_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown protocol revision"):
        requested_schema(Legacy, "2025-13-01")


def test_neither_model_nor_mapping_is_refused() -> None:
    with pytest.raises(ElicitationSchemaError, match="pydantic model class or a schema mapping"):
        requested_schema(Empty(), "2025-11-25")  # type: ignore[arg-type]


def test_titled_checks_its_options() -> None:
    assert titled({"a": "A", "b": "B"}) == Titled((("a", "A"), ("b", "B")))
    with pytest.raises(ElicitationSchemaError, match="non-empty"):
        titled({})
    with pytest.raises(ElicitationSchemaError, match="string"):
        titled({"a": 1})  # type: ignore[dict-item]


# --- dict schemas ----------------------------------------------------------------------------

RICH_DICT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "Name", "minLength": 1, "maxLength": 9, "default": "Ada"},
        "when": {"type": "string", "format": "date-time", "description": "When"},
        "age": {"type": "integer", "minimum": 0, "maximum": 9, "default": 3},
        "share": {"type": "number", "minimum": 0.5, "default": 1.5},
        "ok": {"type": "boolean", "default": True},
        "size": {"type": "string", "enum": ["s", "m"], "default": "s"},
        "old": {"type": "string", "enum": ["a", "b"], "enumNames": ["A", "B"], "default": "b"},
        "hue": {"type": "string", "oneOf": [{"const": "r", "title": "Red"}], "default": "r"},
        "tags": {
            "type": "array",
            "items": {"type": "string", "enum": ["x", "y"]},
            "minItems": 1,
            "default": ["x"],
        },
        "marks": {"type": "array", "items": {"anyOf": [{"const": "p", "title": "P"}]}, "maxItems": 1},
    },
    "required": ["name", "tags"],
}


@pytest.mark.parametrize("revision", RICH)
def test_a_valid_dict_comes_back_as_an_equal_copy(revision: str) -> None:
    out = requested_schema(RICH_DICT, revision)
    assert out == RICH_DICT
    out["properties"]["name"]["title"] = "changed"
    assert RICH_DICT["properties"]["name"]["title"] == "Name"


def test_a_dict_is_narrowed_to_2025_06_18() -> None:
    single = {k: v for k, v in RICH_DICT["properties"].items() if k not in ("tags", "marks")}
    out = requested_schema({**RICH_DICT, "properties": single, "required": ["name"]}, LEGACY)
    assert out == {
        "type": "object",
        "properties": {
            "name": {"type": "string", "title": "Name", "minLength": 1, "maxLength": 9},
            "when": {"type": "string", "format": "date-time", "description": "When"},
            "age": {"type": "integer", "minimum": 0, "maximum": 9},
            "share": {"type": "number", "minimum": 0.5},
            "ok": {"type": "boolean", "default": True},
            "size": {"type": "string", "enum": ["s", "m"]},
            "old": {"type": "string", "enum": ["a", "b"], "enumNames": ["A", "B"]},
            "hue": {"type": "string", "enum": ["r"], "enumNames": ["Red"]},
        },
        "required": ["name"],
    }


@needs_spec
@pytest.mark.parametrize("revision", RICH)
def test_the_dict_matches_the_official_schema(revision: str) -> None:
    _assert_official(revision, requested_schema(RICH_DICT, revision))


@pytest.mark.parametrize("name", ["tags", "marks"])
def test_dict_multi_select_needs_2025_11_25(name: str) -> None:
    schema = {"type": "object", "properties": {name: RICH_DICT["properties"][name]}}
    with pytest.raises(ElicitationSchemaError, match="2025-11-25") as caught:
        requested_schema(schema, LEGACY)
    assert caught.value.field == name


def _one(prop: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {"f": prop}}


BAD_DICTS: list[tuple[str, Any, str | None, str]] = [
    ("not a mapping", ["type", "object"], None, "schema mapping"),
    ("not an object", {"type": "array", "properties": {}}, None, '"type": "object"'),
    ("no properties", {"type": "object"}, None, "properties object"),
    (
        "extra top-level key",
        {"type": "object", "properties": {}, "additionalProperties": False},
        None,
        "only type",
    ),
    ("required not a list", {"type": "object", "properties": {}, "required": "f"}, None, "list of property"),
    ("required twice", {**_one({"type": "string"}), "required": ["f", "f"]}, None, "twice"),
    ("required unknown", {**_one({"type": "string"}), "required": ["g"]}, "g", "no schema"),
    ("non-string $schema", {"$schema": 7, "type": "object", "properties": {}}, None, "$schema"),
    ("property not a mapping", _one("string"), "f", "must be an object"),
    ("nested object", _one({"type": "object", "properties": {}}), "f", "nested"),
    ("unknown type", _one({"type": "null"}), "f", "type must be"),
    ("no type", _one({"title": "x"}), "f", "type must be"),
    ("unknown key", _one({"type": "string", "pattern": "^a"}), "f", "pattern"),
    ("number key on string", _one({"type": "string", "minimum": 1}), "f", "minimum"),
    ("length on enum", _one({"type": "string", "enum": ["a"], "minLength": 1}), "f", "minLength"),
    ("title not a string", _one({"type": "string", "title": 3}), "f", "title"),
    ("bad format", _one({"type": "string", "format": "ipv4"}), "f", "format"),
    ("negative length", _one({"type": "string", "minLength": -1}), "f", "non-negative"),
    ("bool length", _one({"type": "string", "maxLength": True}), "f", "non-negative"),
    ("lengths crossed", _one({"type": "string", "minLength": 3, "maxLength": 2}), "f", "above"),
    ("bounds crossed", _one({"type": "number", "minimum": 3, "maximum": 2}), "f", "above"),
    ("string bound", _one({"type": "integer", "minimum": "1"}), "f", "finite number"),
    ("infinite bound", _one({"type": "number", "maximum": math.inf}), "f", "finite number"),
    ("empty enum", _one({"type": "string", "enum": []}), "f", "no options"),
    ("duplicate enum", _one({"type": "string", "enum": ["a", "a"]}), "f", "twice"),
    ("non-string enum", _one({"type": "string", "enum": ["a", 1]}), "f", "list of strings"),
    (
        "enumNames mismatch",
        _one({"type": "string", "enum": ["a", "b"], "enumNames": ["A"]}),
        "f",
        "enumNames",
    ),
    ("oneOf without title", _one({"type": "string", "oneOf": [{"const": "a"}]}), "f", "exactly"),
    (
        "oneOf extra key",
        _one({"type": "string", "oneOf": [{"const": "a", "title": "A", "x": 1}]}),
        "f",
        "exactly",
    ),
    ("oneOf twice", _one({"type": "string", "oneOf": [{"const": "a", "title": "A"}] * 2}), "f", "twice"),
    ("empty oneOf", _one({"type": "string", "oneOf": []}), "f", "non-empty"),
    (
        "oneOf and enum",
        _one({"type": "string", "oneOf": [{"const": "a", "title": "A"}], "enum": ["a"]}),
        "f",
        "enum",
    ),
    ("array of strings", _one({"type": "array", "items": {"type": "string"}}), "f", "multi-selects"),
    ("array of objects", _one({"type": "array", "items": {"type": "object"}}), "f", "multi-selects"),
    ("array without items", _one({"type": "array"}), "f", "multi-select"),
    ("items enum untyped", _one({"type": "array", "items": {"enum": ["a"]}}), "f", "multi-selects"),
    (
        "anyOf plus type",
        _one({"type": "array", "items": {"type": "string", "anyOf": []}}),
        "f",
        "no other keys",
    ),
    (
        "minItems over options",
        _one({"type": "array", "items": {"type": "string", "enum": ["a"]}, "minItems": 2}),
        "f",
        "exceeds",
    ),
    ("default wrong type", _one({"type": "integer", "default": "3"}), "f", "default"),
    ("default bool for integer", _one({"type": "integer", "default": True}), "f", "default"),
    ("default off the enum", _one({"type": "string", "enum": ["a"], "default": "b"}), "f", "default"),
    ("default too short", _one({"type": "string", "minLength": 2, "default": "a"}), "f", "default"),
    (
        "default off the multi-select",
        _one({"type": "array", "items": {"type": "string", "enum": ["a"]}, "default": ["b"]}),
        "f",
        "default",
    ),
]


@pytest.mark.parametrize(
    ("schema", "field", "why"), [b[1:] for b in BAD_DICTS], ids=[b[0] for b in BAD_DICTS]
)
@pytest.mark.parametrize("revision", ALL)
def test_bad_dict_schemas_are_refused(schema: Any, field: str | None, why: str, revision: str) -> None:
    with pytest.raises(ElicitationSchemaError) as caught:
        requested_schema(schema, revision)
    assert caught.value.field == field
    assert why in str(caught.value)


# --- validate_content, rule by rule ---------------------------------------------------------

REQUESTED: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 2, "maxLength": 4},
        "email": {"type": "string", "format": "email"},
        "site": {"type": "string", "format": "uri"},
        "day": {"type": "string", "format": "date"},
        "at": {"type": "string", "format": "date-time"},
        "count": {"type": "integer", "minimum": 1, "maximum": 10},
        "share": {"type": "number", "minimum": 0, "maximum": 1.5},
        "ok": {"type": "boolean"},
        "size": {"type": "string", "enum": ["s", "m"]},
        "old": {"type": "string", "enum": ["a", "b"], "enumNames": ["A", "B"]},
        "hue": {
            "type": "string",
            "oneOf": [{"const": "r", "title": "Red"}, {"const": "g", "title": "Green"}],
        },
        "tags": {
            "type": "array",
            "items": {"type": "string", "enum": ["x", "y", "z"]},
            "minItems": 1,
            "maxItems": 2,
        },
        "marks": {"type": "array", "items": {"anyOf": [{"const": "p", "title": "P"}]}},
    },
    "required": ["name"],
}

ACCEPTED = [
    ("name", "ab"),
    ("name", "abcd"),
    ("name", "é✓𝄞!"),  # lengths count characters, not bytes
    ("email", "ada@example.org"),
    ("email", "root@localhost"),
    ("site", "https://example.org/a?b=c"),
    ("site", "urn:isbn:0451450523"),
    ("day", "2024-02-29"),
    ("at", "2024-02-29T23:59:59Z"),
    ("at", "2024-02-29T23:59:59.123456+05:30"),
    ("at", "2024-02-29 23:59"),
    ("count", 1),
    ("count", 10),
    ("count", 7.0),
    ("share", 0),
    ("share", 1.5),
    ("share", 0.25),
    ("ok", True),
    ("ok", False),
    ("size", "m"),
    ("old", "b"),
    ("hue", "g"),
    ("tags", ["x"]),
    ("tags", ["z", "y"]),
    ("marks", []),
    ("marks", ["p"]),
]


@pytest.mark.parametrize(("field", "value"), ACCEPTED)
def test_validate_content_accepts(field: str, value: Any) -> None:
    content = {"name": "ok", field: value}
    out = validate_content(REQUESTED, content)
    assert out == content
    assert type(out[field]) is (int if field == "count" else type(value))


REJECTED = [
    ("name", "a", "shorter than 2"),
    ("name", "abcde", "longer than 4"),
    ("name", 12, "expected a string, got int"),
    ("name", None, "got null"),
    ("email", "ada.example.org", "valid email"),
    ("email", "a@b@c", "valid email"),
    ("email", "a b@c", "valid email"),
    ("site", "example.org", "valid uri"),
    ("site", "https://exa mple.org", "valid uri"),
    ("day", "2023-02-29", "valid date"),
    ("day", "20240101", "valid date"),
    ("day", "2024-01-01T00:00:00Z", "valid date"),
    ("day", "\uff12\uff10\uff12\uff14-01-01", "valid date"),  # fullwidth digits are not ASCII digits
    ("at", "2024-01-01", "valid date-time"),
    ("at", "2024-01-01T24:00:00Z", "valid date-time"),
    ("at", "2024-01-01T10:00:00+25:00", "valid date-time"),
    ("count", 0, "below the minimum"),
    ("count", 11, "above the maximum"),
    ("count", 2.5, "expected an integer"),
    ("count", True, "expected integer, got bool"),
    ("count", "3", "expected integer, got str"),
    ("share", -0.1, "below the minimum"),
    ("share", 2, "above the maximum"),
    ("share", False, "expected number, got bool"),
    ("share", math.nan, "finite"),
    ("share", math.inf, "finite"),
    ("ok", 1, "expected a boolean, got int"),
    ("ok", "true", "expected a boolean, got str"),
    ("size", "l", "not one of"),
    ("old", "A", "not one of"),  # a title is not a value
    ("hue", "Red", "not one of"),
    ("tags", "x", "list of selected values"),
    ("tags", [], "fewer than 1"),
    ("tags", ["x", "y", "z"], "more than 2"),
    ("tags", ["w"], "not one of"),
    ("tags", [1], "not one of"),
    ("marks", ["P"], "not one of"),
]


@pytest.mark.parametrize(("field", "value", "why"), REJECTED)
def test_validate_content_rejects(field: str, value: Any, why: str) -> None:
    with pytest.raises(ElicitationContentError, match=why) as caught:
        validate_content(REQUESTED, {"name": "ok", field: value})
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == field
    assert repr(field) in str(caught.value)


def test_validate_content_requires_required_fields() -> None:
    with pytest.raises(ElicitationContentError, match="required") as caught:
        validate_content(REQUESTED, {"ok": True})
    assert caught.value.field == "name"


def test_validate_content_rejects_unknown_fields() -> None:
    with pytest.raises(ElicitationContentError, match="unexpected") as caught:
        validate_content(REQUESTED, {"name": "ok", "nickname": "x"})
    assert caught.value.field == "nickname"


def test_validate_content_needs_an_object() -> None:
    with pytest.raises(ElicitationContentError, match="must be an object"):
        validate_content(REQUESTED, ["name"])  # type: ignore[arg-type]


def test_validate_content_needs_a_sane_requested_schema() -> None:
    with pytest.raises(ElicitationSchemaError):
        validate_content({"type": "object", "properties": {"f": {"type": "object"}}}, {})


def test_validate_content_returns_a_copy() -> None:
    content = {"name": "ok", "tags": ["x"]}
    out = validate_content(REQUESTED, content)
    out["tags"].append("y")
    out["name"] = "changed"
    assert content == {"name": "ok", "tags": ["x"]}


# --- validate_content, by property ----------------------------------------------------------

_labels = st.text(max_size=8)
_options = st.lists(st.text(max_size=6), min_size=1, max_size=5, unique=True)
_FORMAT_VALUES = {
    "email": st.emails(),
    "uri": st.from_regex(r"\A[a-z][a-z0-9+.-]{0,5}:[!-~]{0,20}\Z"),
    "date": st.dates().map(datetime.date.isoformat),
    "date-time": st.datetimes(
        timezones=st.sampled_from(
            [None, datetime.UTC, datetime.timezone(datetime.timedelta(hours=5, minutes=30))]
        )
    ).map(datetime.datetime.isoformat),
}


@st.composite
def _property(draw: st.DrawFn) -> dict[str, Any]:
    """Any property schema of the rich dialect, without defaults."""
    kind = draw(st.sampled_from(["text", "format", "integer", "number", "boolean", "enum", "multi"]))
    prop: dict[str, Any]
    if kind == "text":
        prop = {"type": "string"}
        if draw(st.booleans()):
            prop["minLength"] = draw(st.integers(0, 4))
        if draw(st.booleans()):
            prop["maxLength"] = draw(st.integers(prop.get("minLength", 0), 12))
    elif kind == "format":
        prop = {"type": "string", "format": draw(st.sampled_from(sorted(_FORMAT_VALUES)))}
    elif kind in ("integer", "number"):
        prop = {"type": kind}
        if draw(st.booleans()):
            prop["minimum"] = draw(st.integers(-100, 0) | st.floats(-100, 0))
        if draw(st.booleans()):
            prop["maximum"] = draw(st.integers(1, 100) | st.floats(1, 100))
    elif kind == "boolean":
        prop = {"type": "boolean"}
    else:
        values = draw(_options)
        shape = draw(st.sampled_from(["plain", "titled", "legacy"]))
        titles = [draw(_labels) for _ in values]
        if kind == "enum":
            prop = {"type": "string"}
            if shape == "titled":
                prop["oneOf"] = [{"const": v, "title": t} for v, t in zip(values, titles, strict=True)]
            else:
                prop["enum"] = values
                if shape == "legacy":
                    prop["enumNames"] = titles
        else:
            items: dict[str, Any] = {"type": "string", "enum": values}
            if shape == "titled":
                items = {"anyOf": [{"const": v, "title": t} for v, t in zip(values, titles, strict=True)]}
            prop = {"type": "array", "items": items}
            if draw(st.booleans()):
                prop["minItems"] = draw(st.integers(0, len(values)))
            if draw(st.booleans()):
                prop["maxItems"] = draw(st.integers(prop.get("minItems", 0), len(values) + 2))
    if draw(st.booleans()):
        prop["title"] = draw(_labels)
    return prop


def _values(prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that fit ``prop``."""
    kind = prop["type"]
    options = prop.get("enum") or [o["const"] for o in prop.get("oneOf", [])]
    if kind == "string" and options:
        return st.sampled_from(options)
    if kind == "string" and "format" in prop:
        return _FORMAT_VALUES[prop["format"]]
    if kind == "string":
        return st.text(min_size=prop.get("minLength", 0), max_size=prop.get("maxLength", 20))
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        items = prop["items"]
        choices = items.get("enum") or [o["const"] for o in items["anyOf"]]
        return st.lists(
            st.sampled_from(choices),
            min_size=prop.get("minItems", 0),
            max_size=prop.get("maxItems", len(choices) + 2),
        )
    low, high = prop.get("minimum"), prop.get("maximum")
    ints = st.integers(
        None if low is None else math.ceil(low),
        None if high is None else math.floor(high),
    )
    if kind == "integer":
        return ints
    return ints | st.floats(low, high, allow_nan=False, allow_infinity=False)


_names = st.text(string.ascii_letters + "_", min_size=1, max_size=8)


@st.composite
def _schema_and_content(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    properties = draw(st.dictionaries(_names, _property(), max_size=5))
    required = [name for name in properties if draw(st.booleans())]
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    content = {
        name: draw(_values(prop))
        for name, prop in properties.items()
        if name in required or draw(st.booleans())
    }
    return schema, content


@given(_schema_and_content())
def test_content_that_fits_is_accepted_unchanged(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    schema, content = case
    assert requested_schema(schema, "2025-11-25") == schema
    assert validate_content(schema, content) == content


@needs_spec
@given(_schema_and_content())
def test_generated_dict_schemas_match_the_official_schema(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    schema, _ = case
    _assert_official("2025-11-25", requested_schema(schema, "2025-11-25"))
    single = {k: v for k, v in schema["properties"].items() if v["type"] != "array"}
    narrowed = {"type": "object", "properties": single}
    _assert_official(LEGACY, requested_schema(narrowed, LEGACY))


@given(_schema_and_content(), _names)
def test_a_field_not_asked_for_is_rejected(case: tuple[dict[str, Any], dict[str, Any]], extra: str) -> None:
    schema, content = case
    if extra in schema["properties"]:
        return
    with pytest.raises(ElicitationContentError) as caught:
        validate_content(schema, {**content, extra: "x"})
    assert caught.value.field == extra


@given(_schema_and_content(), st.data())
def test_a_missing_required_field_is_rejected(
    case: tuple[dict[str, Any], dict[str, Any]], data: st.DataObject
) -> None:
    schema, content = case
    if not schema.get("required"):
        return
    missing = data.draw(st.sampled_from(schema["required"]))
    with pytest.raises(ElicitationContentError, match="required") as caught:
        validate_content(schema, {k: v for k, v in content.items() if k != missing})
    assert caught.value.field == missing


@given(st.sampled_from(["integer", "number"]), st.booleans())
def test_a_bool_is_never_a_number(kind: str, value: bool) -> None:
    with pytest.raises(ElicitationContentError, match="got bool"):
        validate_content(_one({"type": kind}), {"f": value})


@given(st.integers(-50, 50), st.integers(-50, 50), st.integers() | st.floats())
def test_number_bounds_are_inclusive(low: int, high: int, value: int | float) -> None:
    if low > high:
        low, high = high, low
    schema = _one({"type": "number", "minimum": low, "maximum": high})
    fits = math.isfinite(value) and low <= value <= high
    if fits:
        assert validate_content(schema, {"f": value}) == {"f": value}
    else:
        with pytest.raises(ElicitationContentError):
            validate_content(schema, {"f": value})


@given(st.text(max_size=12), st.integers(0, 6), st.integers(0, 6))
def test_string_lengths_count_characters(value: str, low: int, extra: int) -> None:
    schema = _one({"type": "string", "minLength": low, "maxLength": low + extra})
    if low <= len(value) <= low + extra:
        assert validate_content(schema, {"f": value}) == {"f": value}
    else:
        with pytest.raises(ElicitationContentError, match="characters"):
            validate_content(schema, {"f": value})


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@given(_schema_and_content(), st.dictionaries(_names, _json, max_size=5))
def test_arbitrary_content_fails_only_with_a_content_error(
    case: tuple[dict[str, Any], dict[str, Any]], content: dict[str, Any]
) -> None:
    schema, _ = case
    try:
        out = validate_content(schema, content)
    except ElicitationContentError as exc:
        assert exc.field is None or exc.field in content or exc.field in schema["properties"]
    else:
        assert set(out) == set(content) <= set(schema["properties"])


# --- parse_result ---------------------------------------------------------------------------


def _even(value: int) -> int:
    if value % 2:
        raise ValueError("must be even")
    return value


class Booking(BaseModel):
    guest: str = Field(min_length=1)
    nights: Annotated[int, Field(ge=1), AfterValidator(_even)] = 2
    arrival: datetime.date
    room: Color = Color.RED
    note: Optional[str]  # noqa: UP045 - an Optional without a default, on purpose
    extras: list[Literal["breakfast", "parking"]] = []
    newsletter: bool = False


BOOKING = requested_schema(Booking, "2025-11-25")


def test_booking_schema_marks_only_the_needed_fields_required() -> None:
    assert BOOKING["required"] == ["guest", "arrival"]


def test_parse_result_builds_the_model() -> None:
    content = {"guest": "Ada", "arrival": "2025-03-01", "room": "blue", "extras": ["parking"], "nights": 4.0}
    result = parse_result({"action": "accept", "content": content}, Booking, BOOKING)
    assert result == ElicitationResult(
        "accept",
        Booking(
            guest="Ada",
            nights=4,
            arrival=datetime.date(2025, 3, 1),
            room=Color.BLUE,
            note=None,  # skipped in the form, so None rather than a missing-field error
            extras=["parking"],
        ),
    )


@pytest.mark.parametrize("action", ["decline", "cancel"])
def test_parse_result_ignores_content_unless_accepted(action: Literal["decline", "cancel"]) -> None:
    result = parse_result({"action": action, "content": {"junk": 1}}, Booking, BOOKING)
    assert result == ElicitationResult(action, None)


@pytest.mark.parametrize("action", [None, "ACCEPT", "ok", 1])
def test_parse_result_refuses_unknown_actions(action: object) -> None:
    with pytest.raises(ElicitationContentError, match="action"):
        parse_result({"action": action}, Booking, BOOKING)


def test_parse_result_refuses_a_non_object() -> None:
    with pytest.raises(ElicitationContentError, match="must be an object"):
        parse_result("accept", Booking, BOOKING)  # type: ignore[call-overload]


def test_parse_result_checks_the_schema_first() -> None:
    with pytest.raises(ElicitationContentError, match="got bool") as caught:
        parse_result(
            {"action": "accept", "content": {"guest": "Ada", "arrival": "2025-03-01", "nights": True}},
            Booking,
            BOOKING,
        )
    assert caught.value.field == "nights"


def test_parse_result_runs_the_models_own_validators() -> None:
    with pytest.raises(ElicitationContentError, match="must be even") as caught:
        parse_result(
            {"action": "accept", "content": {"guest": "Ada", "arrival": "2025-03-01", "nights": 3}},
            Booking,
            BOOKING,
        )
    assert caught.value.field == "nights"


def test_parse_result_accept_without_content() -> None:
    with pytest.raises(ElicitationContentError, match="required"):
        parse_result({"action": "accept"}, Booking, BOOKING)

    class AllOptional(BaseModel):
        note: str | None = None

    result = parse_result({"action": "accept"}, AllOptional, requested_schema(AllOptional, LEGACY))
    assert result == ElicitationResult("accept", AllOptional())


def test_parse_result_with_a_dict_schema() -> None:
    requested = requested_schema(REQUESTED, "2025-11-25")
    result = parse_result(
        {"action": "accept", "content": {"name": "Ada", "count": 3.0}}, REQUESTED, requested
    )
    assert result == ElicitationResult("accept", {"name": "Ada", "count": 3})
    assert type(result.content and result.content["count"]) is int


def test_bool_and_int_do_not_mix() -> None:
    class Flags(BaseModel):
        level: int
        on: bool

    requested = requested_schema(Flags, LEGACY)
    for content, field in (({"level": True, "on": True}, "level"), ({"level": 1, "on": 1}, "on")):
        with pytest.raises(ElicitationContentError) as caught:
            parse_result({"action": "accept", "content": content}, Flags, requested)
        assert caught.value.field == field
    ok = parse_result({"action": "accept", "content": {"level": 1, "on": True}}, Flags, requested)
    assert ok.content == Flags(level=1, on=True)


def test_the_result_is_frozen() -> None:
    result: ElicitationResult[int] = ElicitationResult("decline", None)
    with pytest.raises(AttributeError):
        result.action = "accept"  # type: ignore[misc]
