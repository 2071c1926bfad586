"""Form-mode elicitation: the schema a server sends, and the answer it gets back.

A tool that needs input from the user sends ``elicitation/create`` with a ``requestedSchema``.
The protocol allows only a small, flat corner of JSON Schema there (strings, numbers, booleans
and string enums, no nesting), and the corner differs by revision: 2025-06-18 knows plain
``enum`` lists (optionally with ``enumNames``) and a ``default`` on booleans only, while
2025-11-25 and later add titled single-select (``oneOf``), multi-select arrays, and a
``default`` on every kind. Clients render forms from this schema, so a schema that says less
than the server means would let the user submit answers the server then rejects; and a schema
outside the corner may not render at all.

So this module works in one direction only: it turns a pydantic model (or a hand-written dict)
into the requested schema for one revision, and refuses, naming the field, whatever it cannot
state faithfully instead of dropping it. The one thing it does drop is a ``default`` that
2025-06-18 has no place for, since a default only pre-fills a form and never changes which
answers are valid.

The answer is checked against the schema actually sent, never trusted: the client is another
program, and the spec asks servers to validate what comes back. :func:`validate_content` applies
the schema's own rules; :func:`parse_result` adds the action check and, for a model, pydantic's
validation on top (which also runs any validators the model has that no schema can carry).
"""

from __future__ import annotations

import datetime
import enum
import math
import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Generic, Literal, TypeVar, Union, get_args, get_origin, overload

import annotated_types as at
from pydantic import AnyUrl, BaseModel, EmailStr, ValidationError
from pydantic.fields import FieldInfo

from mcpcore import revisions

__all__ = [
    "ElicitationContentError",
    "ElicitationResult",
    "ElicitationSchemaError",
    "Titled",
    "parse_result",
    "requested_schema",
    "titled",
    "validate_content",
]

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

Action = Literal["accept", "decline", "cancel"]
_ACTIONS: Final = ("accept", "decline", "cancel")

# The first revision with elicitation, which is also the one with the narrow dialect.
_FIRST: Final = "2025-06-18"
_FORMATS: Final = ("email", "uri", "date", "date-time")


class ElicitationSchemaError(TypeError):
    """A schema that cannot be sent as a ``requestedSchema``; ``field`` names the property, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"field {field!r}: {message}" if field is not None else message)
        self.field = field


class ElicitationContentError(ValueError):
    """An elicitation answer that does not fit the schema sent; ``field`` names the property, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"field {field!r}: {message}" if field is not None else message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Titled:
    """Display titles for the values of a string (or list-of-string) field: see :func:`titled`."""

    options: tuple[tuple[str, str], ...]  # (value, title), in display order


def titled(options: Mapping[str, str]) -> Titled:
    """Mark a ``str`` or ``list[str]`` field as an enum whose values show with titles.

    Use it in ``Annotated``: ``color: Annotated[str, titled({"r": "Red", "g": "Green"})]``. On a
    ``Literal`` or ``Enum`` field the keys must be exactly its values.
    """
    if not isinstance(options, Mapping) or not options:
        raise ElicitationSchemaError("titled() needs a non-empty mapping of value -> title")
    for value, title in options.items():
        if not isinstance(value, str) or not isinstance(title, str):
            raise ElicitationSchemaError(
                f"titled() maps string values to string titles, got {value!r}: {title!r}"
            )
    return Titled(tuple(options.items()))


@dataclass(frozen=True, slots=True)
class ElicitationResult(Generic[T]):
    """What the user did, and on ``accept`` the validated answer (else ``content`` is None)."""

    action: Action
    content: T | None


# --- which dialect ------------------------------------------------------------------------


def _is_legacy(version: str) -> bool:
    """True for the 2025-06-18 dialect, False for the richer one; ValueError without elicitation."""
    known = list(revisions.REVISIONS)
    if version not in revisions.REVISIONS:
        raise ValueError(f"unknown protocol revision {version!r} (known: {', '.join(known)})")
    if known.index(version) < known.index(_FIRST):
        raise ValueError(f"protocol revision {version} has no elicitation; it arrived in {_FIRST}")
    return version == _FIRST


# --- checking a requestedSchema -----------------------------------------------------------

_COMMON: Final = frozenset({"type", "title", "description", "default"})
_ALLOWED: Final = {
    "string": _COMMON | {"minLength", "maxLength", "format"},
    "enum": _COMMON | {"enum", "enumNames"},
    "oneOf": _COMMON | {"oneOf"},
    "number": _COMMON | {"minimum", "maximum"},
    "boolean": _COMMON,
    "array": _COMMON | {"items", "minItems", "maxItems"},
}
_TOP_KEYS: Final = frozenset({"type", "properties", "required", "$schema"})


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _count(name: str, prop: Mapping[str, Any], key: str) -> int | None:
    if key not in prop:
        return None
    value = prop[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ElicitationSchemaError(f"{key} must be a non-negative integer, got {value!r}", name)
    return value


def _bound(name: str, prop: Mapping[str, Any], key: str) -> int | float | None:
    if key not in prop:
        return None
    value = prop[key]
    if not _is_number(value) or not math.isfinite(value):
        raise ElicitationSchemaError(f"{key} must be a finite number, got {value!r}", name)
    return value  # type: ignore[no-any-return]


def _strings(name: str, value: object, what: str) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ElicitationSchemaError(f"{what} must be a list of strings, got {value!r}", name)
    return list(value)


def _choices(name: str, value: object, what: str) -> list[dict[str, str]]:
    """A ``oneOf`` / ``items.anyOf`` list of ``{"const": value, "title": title}`` options."""
    if not isinstance(value, list | tuple) or not value:
        raise ElicitationSchemaError(f"{what} must be a non-empty list of {{const, title}} options", name)
    out = []
    for option in value:
        if (
            not isinstance(option, Mapping)
            or set(option) != {"const", "title"}
            or not isinstance(option["const"], str)
            or not isinstance(option["title"], str)
        ):
            raise ElicitationSchemaError(
                f"each {what} option must be exactly {{'const': str, 'title': str}}, got {option!r}", name
            )
        out.append({"const": option["const"], "title": option["title"]})
    _unique(name, [o["const"] for o in out], what)
    return out


def _unique(name: str, values: list[str], what: str) -> None:
    if not values:
        raise ElicitationSchemaError(f"{what} offers no options", name)
    if len(set(values)) != len(values):
        raise ElicitationSchemaError(f"{what} lists a value twice: {values!r}", name)


def _check_property(name: str, prop: object) -> dict[str, Any]:
    """A clean copy of one property in the rich (2025-11-25) dialect, or ElicitationSchemaError."""
    if not isinstance(prop, Mapping):
        raise ElicitationSchemaError(f"a property schema must be an object, got {prop!r}", name)
    kind = prop.get("type")
    if kind == "string":
        shape = "oneOf" if "oneOf" in prop else "enum" if "enum" in prop else "string"
    elif kind in ("number", "integer"):
        shape = "number"
    elif kind in ("boolean", "array"):
        shape = kind
    elif kind == "object":
        raise ElicitationSchemaError("nested objects are not allowed; the schema must be flat", name)
    else:
        raise ElicitationSchemaError(
            f"type must be string, number, integer, boolean or array (of enum values), got {kind!r}", name
        )
    unknown = set(prop) - _ALLOWED[shape]
    if unknown:
        raise ElicitationSchemaError(
            f"keys {sorted(unknown)} are not part of the elicitation schema for this kind of field", name
        )
    out: dict[str, Any] = {"type": kind}
    for key in ("title", "description"):
        if key in prop:
            if not isinstance(prop[key], str):
                raise ElicitationSchemaError(f"{key} must be a string, got {prop[key]!r}", name)
            out[key] = prop[key]

    if shape == "string":
        low, high = _count(name, prop, "minLength"), _count(name, prop, "maxLength")
        _order(name, low, high, "minLength", "maxLength")
        if low is not None:
            out["minLength"] = low
        if high is not None:
            out["maxLength"] = high
        if "format" in prop:
            if prop["format"] not in _FORMATS:
                raise ElicitationSchemaError(
                    f"format must be one of {', '.join(_FORMATS)}, got {prop['format']!r}", name
                )
            out["format"] = prop["format"]
    elif shape == "enum":
        values = _strings(name, prop["enum"], "enum")
        _unique(name, values, "enum")
        out["enum"] = values
        if "enumNames" in prop:
            names = _strings(name, prop["enumNames"], "enumNames")
            if len(names) != len(values):
                raise ElicitationSchemaError(
                    f"enumNames has {len(names)} entries for {len(values)} enum values", name
                )
            out["enumNames"] = names
    elif shape == "oneOf":
        out["oneOf"] = _choices(name, prop["oneOf"], "oneOf")
    elif shape == "number":
        low_n, high_n = _bound(name, prop, "minimum"), _bound(name, prop, "maximum")
        _order(name, low_n, high_n, "minimum", "maximum")
        if low_n is not None:
            out["minimum"] = low_n
        if high_n is not None:
            out["maximum"] = high_n
    elif shape == "array":
        out["items"] = items = _check_items(name, prop.get("items"))
        low, high = _count(name, prop, "minItems"), _count(name, prop, "maxItems")
        _order(name, low, high, "minItems", "maxItems")
        options = len(items["enum"]) if "enum" in items else len(items["anyOf"])
        if low is not None and low > options:
            raise ElicitationSchemaError(f"minItems {low} exceeds the {options} options offered", name)
        if low is not None:
            out["minItems"] = low
        if high is not None:
            out["maxItems"] = high
    if "default" in prop:
        try:
            out["default"] = _check_value(name, out, prop["default"])
        except ElicitationContentError as exc:
            raise ElicitationSchemaError(f"default {prop['default']!r} does not fit: {exc}", name) from None
    return out


def _check_items(name: str, items: object) -> dict[str, Any]:
    if not isinstance(items, Mapping):
        raise ElicitationSchemaError(
            "an array field is a multi-select: items must be {type: string, enum: [...]} "
            "or {anyOf: [{const, title}, ...]}",
            name,
        )
    if "anyOf" in items:
        if set(items) != {"anyOf"}:
            raise ElicitationSchemaError(f"items with anyOf takes no other keys, got {sorted(items)}", name)
        return {"anyOf": _choices(name, items["anyOf"], "items.anyOf")}
    if set(items) != {"type", "enum"} or items["type"] != "string":
        raise ElicitationSchemaError(
            "arrays are allowed only as enum multi-selects: items must be {type: string, enum: [...]} "
            f"or {{anyOf: [...]}}, got {dict(items)!r}",
            name,
        )
    values = _strings(name, items["enum"], "items.enum")
    _unique(name, values, "items.enum")
    return {"type": "string", "enum": values}


def _order(name: str, low: float | None, high: float | None, low_key: str, high_key: str) -> None:
    if low is not None and high is not None and low > high:
        raise ElicitationSchemaError(f"{low_key} {low} is above {high_key} {high}", name)


def _check_schema(schema: object) -> dict[str, Any]:
    """A clean copy of a whole requestedSchema in the rich dialect, or ElicitationSchemaError."""
    if not isinstance(schema, Mapping):
        raise ElicitationSchemaError(f"a requestedSchema must be an object, got {schema!r}")
    if schema.get("type") != "object":
        raise ElicitationSchemaError(
            f'a requestedSchema must have "type": "object", got {schema.get("type")!r}'
        )
    unknown = set(schema) - _TOP_KEYS
    if unknown:
        raise ElicitationSchemaError(
            f"a requestedSchema takes only type, properties, required and $schema; got also {sorted(unknown)}"
        )
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        raise ElicitationSchemaError(f"a requestedSchema needs a properties object, got {properties!r}")
    out: dict[str, Any] = {"type": "object"}
    if "$schema" in schema:
        if not isinstance(schema["$schema"], str):
            raise ElicitationSchemaError(f"$schema must be a string, got {schema['$schema']!r}")
        out["$schema"] = schema["$schema"]
    checked: dict[str, Any] = {}
    for name, prop in properties.items():
        if not isinstance(name, str):
            raise ElicitationSchemaError(f"property names must be strings, got {name!r}")
        checked[name] = _check_property(name, prop)
    out["properties"] = checked
    required = schema.get("required", [])
    if not isinstance(required, list | tuple) or not all(isinstance(r, str) for r in required):
        raise ElicitationSchemaError(f"required must be a list of property names, got {required!r}")
    if len(set(required)) != len(required):
        raise ElicitationSchemaError(f"required lists a name twice: {list(required)!r}")
    for name in required:
        if name not in checked:
            raise ElicitationSchemaError("is required but has no schema in properties", name)
    if required:
        out["required"] = list(required)
    return out


def _for_revision(schema: dict[str, Any], legacy: bool) -> dict[str, Any]:
    """Express a checked rich-dialect schema in 2025-06-18 terms, or refuse what it cannot say."""
    if not legacy:
        return schema
    out: dict[str, Any] = {"type": "object", "properties": {}}
    for name, prop in schema["properties"].items():
        if prop["type"] == "array":
            raise ElicitationSchemaError(
                f"multi-select enums need protocol revision 2025-11-25 or later; {_FIRST} "
                "has single-select string enums only",
                name,
            )
        prop = dict(prop)
        # 2025-06-18 has `default` on booleans only; a default merely pre-fills the form.
        if prop["type"] != "boolean":
            prop.pop("default", None)
        if "oneOf" in prop:
            options = prop.pop("oneOf")
            prop["enum"] = [o["const"] for o in options]
            prop["enumNames"] = [o["title"] for o in options]
        out["properties"][name] = prop
    if "required" in schema:
        out["required"] = schema["required"]
    return out


# --- checking values ----------------------------------------------------------------------

_DATE: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATE_TIME: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?"
    r"(?:[Zz]|[+-]([0-9]{2}):([0-9]{2}))?"
)
# Loose on purpose: a user typed these into a form, and the spec names formats, not grammars.
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+")
_URI: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S*")


def _valid_date(year: str, month: str, day: str) -> bool:
    try:
        datetime.date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def _format_ok(fmt: str, value: str) -> bool:
    if fmt == "email":
        return _EMAIL.fullmatch(value) is not None
    if fmt == "uri":
        return _URI.fullmatch(value) is not None
    if fmt == "date":
        match = _DATE.fullmatch(value)
        return match is not None and _valid_date(*match.groups())
    match = _DATE_TIME.fullmatch(value)
    if match is None or not _valid_date(*match.group(1, 2, 3)):
        return False
    hour, minute, second, off_hour, off_minute = (int(g or 0) for g in match.group(4, 5, 6, 7, 8))
    # 60 seconds is a leap second, which RFC 3339 allows.
    return hour < 24 and minute < 60 and second <= 60 and off_hour < 24 and off_minute < 60


def _describe(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _options(prop: Mapping[str, Any]) -> list[str] | None:
    if "enum" in prop:
        return list(prop["enum"])
    if "oneOf" in prop:
        return [o["const"] for o in prop["oneOf"]]
    if "anyOf" in prop:
        return [o["const"] for o in prop["anyOf"]]
    return None


def _check_value(name: str, prop: Mapping[str, Any], value: object) -> Any:
    """``value`` if it fits the (checked) property schema ``prop``, else ElicitationContentError."""
    kind = prop["type"]
    if kind == "string":
        if not isinstance(value, str):
            raise ElicitationContentError(f"expected a string, got {_describe(value)}", name)
        options = _options(prop)
        if options is not None:
            if value not in options:
                raise ElicitationContentError(f"{value!r} is not one of {options!r}", name)
            return value
        if "minLength" in prop and len(value) < prop["minLength"]:
            raise ElicitationContentError(f"shorter than {prop['minLength']} characters", name)
        if "maxLength" in prop and len(value) > prop["maxLength"]:
            raise ElicitationContentError(f"longer than {prop['maxLength']} characters", name)
        if "format" in prop and not _format_ok(prop["format"], value):
            raise ElicitationContentError(f"{value!r} is not a valid {prop['format']}", name)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ElicitationContentError(f"expected a boolean, got {_describe(value)}", name)
        return value
    if kind in ("integer", "number"):
        # bool is an int to Python but not to JSON: true is not 1.
        if not _is_number(value):
            raise ElicitationContentError(f"expected {kind}, got {_describe(value)}", name)
        assert isinstance(value, int | float)
        if isinstance(value, float) and not math.isfinite(value):
            raise ElicitationContentError(f"{value!r} is not a finite number", name)
        if kind == "integer" and isinstance(value, float):
            # JSON Schema counts 3.0 as an integer; keep the value an int from here on.
            if not value.is_integer():
                raise ElicitationContentError(f"expected an integer, got {value!r}", name)
            value = int(value)
        if "minimum" in prop and value < prop["minimum"]:
            raise ElicitationContentError(f"{value!r} is below the minimum {prop['minimum']!r}", name)
        if "maximum" in prop and value > prop["maximum"]:
            raise ElicitationContentError(f"{value!r} is above the maximum {prop['maximum']!r}", name)
        return value
    # An array: a multi-select of enum values.
    if not isinstance(value, list | tuple):
        raise ElicitationContentError(f"expected a list of selected values, got {_describe(value)}", name)
    allowed = _options(prop["items"]) or []
    for item in value:
        if not isinstance(item, str) or item not in allowed:
            raise ElicitationContentError(f"{item!r} is not one of {allowed!r}", name)
    if "minItems" in prop and len(value) < prop["minItems"]:
        raise ElicitationContentError(f"fewer than {prop['minItems']} selected", name)
    if "maxItems" in prop and len(value) > prop["maxItems"]:
        raise ElicitationContentError(f"more than {prop['maxItems']} selected", name)
    return list(value)


def validate_content(requested: Mapping[str, Any], content: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``content`` if it answers ``requested`` (the schema sent), else ElicitationContentError.

    Integral floats for an ``integer`` field come back as ints. Absent optional fields stay
    absent: a ``default`` only pre-fills the form. A malformed ``requested`` raises
    :class:`ElicitationSchemaError`.
    """
    schema = _check_schema(requested)
    if not isinstance(content, Mapping):
        raise ElicitationContentError(f"content must be an object, got {_describe(content)}")
    properties: dict[str, Any] = schema["properties"]
    unknown = [key for key in content if key not in properties]
    if unknown:
        raise ElicitationContentError(f"unexpected fields {unknown!r}", str(unknown[0]))
    for name in schema.get("required", ()):
        if name not in content:
            raise ElicitationContentError("is required but missing", name)
    return {name: _check_value(name, properties[name], value) for name, value in content.items()}


# --- from a pydantic model ----------------------------------------------------------------

# pydantic settings that shape parsing but not which answers are valid.
_HARMLESS: Final = frozenset(
    {"strict", "allow_inf_nan", "strip_whitespace", "to_lower", "to_upper", "coerce_numbers_to_str"}
)


@dataclass
class _Constraints:
    min_len: int | None = None
    max_len: int | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    gt: int | float | None = None  # exclusive bounds, which only integers can restate
    lt: int | float | None = None
    titled: Titled | None = None
    unsupported: list[str] = field(default_factory=list)

    def tighten(self, name: str, value: Any, pick: Any) -> None:
        current = getattr(self, name)
        setattr(self, name, value if current is None else pick(current, value))


def _collect(meta: Iterable[object], into: _Constraints | None = None) -> _Constraints:
    c = into if into is not None else _Constraints()
    for item in meta:
        if item is None:
            continue
        if isinstance(item, Titled):
            if c.titled is not None:
                c.unsupported.append("two titled() markers")
            c.titled = item
        elif isinstance(item, FieldInfo):
            _collect(item.metadata, c)
        elif isinstance(item, at.MinLen):
            c.tighten("min_len", item.min_length, max)
        elif isinstance(item, at.MaxLen):
            c.tighten("max_len", item.max_length, min)
        elif isinstance(item, at.Ge):
            c.tighten("minimum", item.ge, max)
        elif isinstance(item, at.Le):
            c.tighten("maximum", item.le, min)
        elif isinstance(item, at.Gt):
            c.tighten("gt", item.gt, max)
        elif isinstance(item, at.Lt):
            c.tighten("lt", item.lt, min)
        elif isinstance(item, at.GroupedMetadata):
            _collect(item, c)
        elif isinstance(item, at.BaseMetadata):
            settings = getattr(item, "__dict__", None)
            if type(item).__module__.startswith("pydantic") and settings is not None:
                for key, value in settings.items():
                    if value is not None and key not in _HARMLESS:
                        c.unsupported.append(f"{key}={value!r}")
            else:
                c.unsupported.append(repr(item))
        # Anything else (validators, serializers, plain notes) is pydantic's business: it
        # either does not restrict values or runs in parse_result's model_validate.
    return c


def _unwrap(name: str, annotation: Any) -> tuple[Any, list[object], bool]:
    """Peel ``Annotated`` and ``X | None``: (the bare type, its metadata, whether None was allowed)."""
    meta: list[object] = []
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            meta.extend(extra)
        elif origin is Union or origin is types.UnionType:
            args = get_args(annotation)
            rest = [a for a in args if a is not type(None)]
            if len(rest) != 1 or len(rest) == len(args):
                raise ElicitationSchemaError(
                    f"unions are not allowed (only X | None, for an optional field), got {annotation!r}", name
                )
            annotation, optional = rest[0], True
        else:
            return annotation, meta, optional


def _enum_values(name: str, base: Any) -> list[str] | None:
    """The values of a ``Literal`` or ``Enum`` of strings; None for other types."""
    if get_origin(base) is Literal:
        values = list(get_args(base))
    elif isinstance(base, type) and issubclass(base, enum.Enum):
        values = [member.value for member in base]
    else:
        return None
    if not values or not all(isinstance(v, str) for v in values):
        raise ElicitationSchemaError(f"enum values must all be strings, got {values!r}", name)
    return values


def _choice_list(name: str, base: Any, marker: Titled | None) -> tuple[list[str], list[str] | None] | None:
    """(values, titles or None) for an enum-like type, or None when ``base`` is no enum."""
    values = _enum_values(name, base)
    if marker is None:
        return None if values is None else (values, None)
    titles = dict(marker.options)
    if values is None:
        if base is not str:
            raise ElicitationSchemaError(f"titled() applies to str or list[str] fields, not {base!r}", name)
        return list(titles), list(titles.values())
    if set(values) != set(titles):
        raise ElicitationSchemaError(
            f"titled() must name exactly the values {values!r}, got {list(titles)!r}", name
        )
    return values, [titles[v] for v in values]


def _no_extra(name: str, c: _Constraints, *, lengths: bool = False, bounds: bool = False) -> None:
    """Refuse constraints the field's kind cannot carry, instead of losing them."""
    found = list(c.unsupported)
    if not lengths and (c.min_len is not None or c.max_len is not None):
        found.append("a length limit")
    if not bounds and any(v is not None for v in (c.minimum, c.maximum, c.gt, c.lt)):
        found.append("a numeric bound")
    if found:
        raise ElicitationSchemaError(
            f"cannot express {', '.join(found)} in an elicitation schema for this field", name
        )


def _scalar(name: str, base: Any, c: _Constraints) -> dict[str, Any]:
    choices = _choice_list(name, base, c.titled)
    if choices is not None:
        _no_extra(name, c)
        values, titles = choices
        if titles is None:
            return {"type": "string", "enum": values}
        return {
            "type": "string",
            "oneOf": [{"const": v, "title": t} for v, t in zip(values, titles, strict=True)],
        }
    if base is bool:
        _no_extra(name, c)
        return {"type": "boolean"}
    if base is int or base is float:
        _no_extra(name, c, bounds=True)
        prop: dict[str, Any] = {"type": "integer" if base is int else "number"}
        low, high = c.minimum, c.maximum
        if c.gt is not None or c.lt is not None:
            if base is not int:
                raise ElicitationSchemaError(
                    "exclusive bounds (gt/lt) cannot be expressed for a float; use ge/le", name
                )
            # For integers an exclusive bound is an inclusive one a step inside.
            if c.gt is not None:
                step = math.floor(c.gt) + 1
                low = step if low is None else max(low, step)
            if c.lt is not None:
                step = math.ceil(c.lt) - 1
                high = step if high is None else min(high, step)
        if low is not None:
            prop["minimum"] = low
        if high is not None:
            prop["maximum"] = high
        return prop
    fmt = _string_format(base)
    if base is str or fmt is not None:
        _no_extra(name, c, lengths=True)
        prop = {"type": "string"}
        if c.min_len:
            prop["minLength"] = c.min_len
        if c.max_len is not None:
            prop["maxLength"] = c.max_len
        if fmt is not None:
            prop["format"] = fmt
        return prop
    if isinstance(base, type) and issubclass(base, BaseModel):
        raise ElicitationSchemaError(
            f"nested models are not allowed ({base.__name__}); the schema must be flat", name
        )
    raise ElicitationSchemaError(
        f"type {base!r} has no elicitation schema (use str, int, float, bool, date, datetime, "
        "a URL, Literal/Enum of strings, or a list of those enums)",
        name,
    )


def _string_format(base: Any) -> str | None:
    if base is EmailStr:
        return "email"
    if base is datetime.datetime:  # before date: a datetime is a date to issubclass
        return "date-time"
    if base is datetime.date:
        return "date"
    if isinstance(base, type) and issubclass(base, AnyUrl):
        return "uri"
    return None


def _multi(name: str, base: Any, c: _Constraints) -> dict[str, Any]:
    args = get_args(base)
    if not args:
        raise ElicitationSchemaError(
            "a bare list has no item type; use list[Literal[...]] or list[Enum]", name
        )
    item, item_meta, item_optional = _unwrap(name, args[0])
    inner = _collect(item_meta)
    if item_optional:
        raise ElicitationSchemaError("list items cannot be None", name)
    _no_extra(name, inner)
    if c.titled is not None and inner.titled is not None:
        raise ElicitationSchemaError("titled() given both on the list and on its items", name)
    marker = c.titled or inner.titled
    choices = _choice_list(name, item, marker)
    if choices is None:
        raise ElicitationSchemaError(
            f"arrays are allowed only as multi-selects of string enums, not of {item!r}", name
        )
    _no_extra(name, c, lengths=True)
    values, titles = choices
    items: dict[str, Any]
    if titles is None:
        items = {"type": "string", "enum": values}
    else:
        items = {"anyOf": [{"const": v, "title": t} for v, t in zip(values, titles, strict=True)]}
    prop: dict[str, Any] = {"type": "array", "items": items}
    if c.min_len:
        prop["minItems"] = c.min_len
    if c.max_len is not None:
        prop["maxItems"] = c.max_len
    return prop


def _json_value(value: object) -> object:
    """A model default as the JSON value a client would send for it."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.date):  # datetime too
        return value.isoformat()
    if isinstance(value, AnyUrl):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_value(v) for v in value]
    return value


def _field_key(name: str, info: FieldInfo) -> str:
    alias = info.validation_alias if info.validation_alias is not None else info.alias
    if alias is None:
        return name
    if not isinstance(alias, str):
        raise ElicitationSchemaError("AliasPath/AliasChoices aliases cannot name a schema property", name)
    return alias


def _field_property(name: str, info: FieldInfo) -> tuple[dict[str, Any], bool]:
    """(the rich-dialect property, whether the field accepts None) for one model field."""
    base, meta, optional = _unwrap(name, info.annotation)
    c = _collect([*info.metadata, *meta])
    prop = _multi(name, base, c) if get_origin(base) is list else _scalar(name, base, c)
    extra = info.json_schema_extra
    if extra is not None:
        # Only `format` has a meaning here: the way to ask for an email without email-validator.
        if callable(extra) or set(extra) != {"format"}:
            raise ElicitationSchemaError("json_schema_extra may only set format", name)
        if prop["type"] != "string" or "format" in prop or _options(prop) is not None:
            raise ElicitationSchemaError("json_schema_extra format applies to a plain str field", name)
        prop["format"] = extra["format"]
    described = {"type": prop.pop("type")}
    if info.title is not None:
        described["title"] = info.title
    if info.description is not None:
        described["description"] = info.description
    described.update(prop)
    if not info.is_required():
        default = info.get_default(call_default_factory=True, validated_data={})
        if default is not None:
            described["default"] = _json_value(default)
    return described, optional


def _from_model(model: type[BaseModel]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, info in model.model_fields.items():
        key = _field_key(name, info)
        prop, optional = _field_property(key, info)
        properties[key] = prop
        if info.is_required() and not optional:
            required.append(key)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


# --- the public entry points --------------------------------------------------------------


def requested_schema(schema: type[BaseModel] | Mapping[str, Any], version: str) -> dict[str, Any]:
    """The ``requestedSchema`` to send under protocol revision ``version``.

    ``schema`` is a pydantic model (its fields become the form's fields; ``X | None`` makes one
    optional) or a requestedSchema dict, which is checked and copied. Anything the revision
    cannot express raises :class:`ElicitationSchemaError` naming the field; a revision without
    elicitation raises ValueError.
    """
    legacy = _is_legacy(version)
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        rich = _check_schema(_from_model(schema))
    elif isinstance(schema, Mapping):
        rich = _check_schema(schema)
    else:
        raise ElicitationSchemaError(
            f"expected a pydantic model class or a schema mapping, got {type(schema).__name__}"
        )
    return _for_revision(rich, legacy)


def _fill_optional(model: type[BaseModel], content: dict[str, Any]) -> dict[str, Any]:
    """Absent ``X | None`` fields without a default are None: the form let the user skip them."""
    for name, info in model.model_fields.items():
        key = _field_key(name, info)
        if key not in content and info.is_required() and _unwrap(key, info.annotation)[2]:
            content[key] = None
    return content


@overload
def parse_result(
    result: Mapping[str, Any], schema: type[M], requested: Mapping[str, Any]
) -> ElicitationResult[M]: ...


@overload
def parse_result(
    result: Mapping[str, Any], schema: Mapping[str, Any], requested: Mapping[str, Any]
) -> ElicitationResult[dict[str, Any]]: ...


def parse_result(
    result: Mapping[str, Any], schema: type[BaseModel] | Mapping[str, Any], requested: Mapping[str, Any]
) -> ElicitationResult[Any]:
    """Check a client's ElicitResult against ``requested`` (the schema sent for ``schema``).

    On ``accept`` the content is validated and, for a model, turned into an instance; on
    ``decline`` and ``cancel`` any content is ignored. Bad answers raise
    :class:`ElicitationContentError`.
    """
    if not isinstance(result, Mapping):
        raise ElicitationContentError(f"an elicitation result must be an object, got {_describe(result)}")
    action = result.get("action")
    if action not in _ACTIONS:
        raise ElicitationContentError(f"action must be one of {', '.join(_ACTIONS)}, got {action!r}")
    if action != "accept":
        return ElicitationResult(action, None)
    content = result.get("content")
    # Accepting a form whose fields are all optional may come without content at all.
    checked = validate_content(requested, {} if content is None else content)
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        return ElicitationResult("accept", checked)
    try:
        return ElicitationResult("accept", schema.model_validate(_fill_optional(schema, checked)))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or None
        raise ElicitationContentError(first["msg"], where) from exc
