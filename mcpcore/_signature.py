"""Read a user function's signature once: its arguments model, JSON schemas, and result shape.

A tool, prompt or resource template is a plain function. At registration its parameters
become a pydantic model (the input schema, and the validator of incoming arguments), a
parameter annotated with the context class is noted and left out of both, and the return
annotation decides whether results carry ``structuredContent`` under an output schema. All of
it is built once, so a call costs one validation and one function call.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, get_args, get_origin, get_type_hints, is_typeddict

import pydantic
from pydantic import BaseModel, ConfigDict, TypeAdapter

__all__ = ["Output", "Signature", "read_signature"]

_EMPTY = inspect.Parameter.empty


@dataclasses.dataclass(slots=True)
class Output:
    """How a function's return value becomes ``structuredContent``."""

    schema: dict[str, Any]
    adapter: TypeAdapter[Any]
    wrapped: bool  # a non-object value, sent as {"result": value}

    def dump(self, value: Any) -> dict[str, Any]:
        checked = self.adapter.validate_python(value)
        data = self.adapter.dump_python(checked, mode="json")
        _check_finite(data)
        return {"result": data} if self.wrapped else typing.cast(dict[str, Any], data)


def _check_finite(data: Any, depth: int = 0) -> None:
    """JSON has no NaN or infinity (orjson would send null, which the schema then refuses)."""
    if type(data) is float:
        if not math.isfinite(data):
            raise ValueError(f"the result holds {data!r}, which JSON cannot carry")
    elif type(data) is dict:
        for item in data.values():
            _check_finite(item, depth + 1)
    elif type(data) is list:
        for item in data:
            _check_finite(item, depth + 1)


@dataclasses.dataclass(slots=True)
class Signature:
    fn: Callable[..., Any]
    is_async: bool
    context_param: str | None  # the parameter that receives the context, if any
    params: tuple[str, ...]  # the other parameters, as the peer names them
    required: frozenset[str]
    model: type[BaseModel]
    renamed: dict[str, str]  # model field -> parameter, for names pydantic reserves
    descriptions: dict[str, str]
    output: Output | None
    doc: str | None
    name: str  # the function's own name, the default name of what it implements

    def input_schema(self) -> dict[str, Any]:
        schema = self.model.model_json_schema(by_alias=True)
        schema.pop("title", None)
        schema.setdefault("type", "object")
        schema.setdefault("properties", {})
        return schema

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments for the function; raises pydantic.ValidationError."""
        model = self.model.__pydantic_validator__.validate_python(arguments)
        values = dict(model.__dict__)
        if self.renamed:
            values = {self.renamed.get(k, k): v for k, v in values.items()}
        return values


def _is_context(annotation: Any, context_type: type) -> bool:
    if isinstance(annotation, type):
        return issubclass(annotation, context_type)
    origin = get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return any(_is_context(arg, context_type) for arg in get_args(annotation) if arg is not type(None))
    if origin is typing.Annotated:
        return _is_context(get_args(annotation)[0], context_type)
    return False


def _reserved(name: str) -> bool:
    return name.startswith(("model_", "_")) or hasattr(BaseModel, name)


def _may_be_object(annotation: Any) -> bool:
    """Whether ``annotation`` is a kind of type that usually serializes to a JSON object.

    The schema has the last word (a RootModel of a list is a model, yet not an object).
    TypedDicts are recognised by their shape: ``typing_extensions.TypedDict`` (which pydantic
    needs on Python 3.11) is not a ``typing`` TypedDict there.
    """
    if get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    if isinstance(annotation, type) and (
        issubclass(annotation, BaseModel)
        or dataclasses.is_dataclass(annotation)
        or is_typeddict(annotation)
        or (issubclass(annotation, dict) and hasattr(annotation, "__required_keys__"))
    ):
        return True
    return get_origin(annotation) in (dict, Mapping) or annotation is dict


def _schema_is_object(schema: Mapping[str, Any]) -> bool:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        schema = schema.get("$defs", {}).get(ref.rsplit("/", 1)[-1], {})
    return schema.get("type") == "object"


def _output(annotation: Any, structured: bool | None) -> Output | None:
    if structured is False or annotation is _EMPTY or annotation is Any:
        return None
    if structured is None and not _may_be_object(annotation):
        return None  # plain values become text content only, unless asked otherwise
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    inner = adapter.json_schema(mode="serialization")
    is_object = _schema_is_object(inner)
    if structured is None and not is_object:
        return None
    if is_object:
        schema = dict(inner)
        schema.pop("title", None)
        schema.setdefault("type", "object")
        return Output(schema, adapter, wrapped=False)
    defs = inner.pop("$defs", None)
    schema = {"type": "object", "properties": {"result": inner}, "required": ["result"]}
    if defs:
        schema["$defs"] = defs
    return Output(schema, adapter, wrapped=True)


@functools.cache
def _no_arguments() -> type[BaseModel]:
    """One model shared by every function without parameters: building a pydantic model costs
    milliseconds, and a server with many static resources would pay it for each at start-up."""
    return pydantic.create_model("NoArguments", __config__=ConfigDict(arbitrary_types_allowed=False))


def read_signature(
    fn: Callable[..., Any],
    *,
    context_type: type,
    structured_output: bool | None = None,
    what: str = "tool",
) -> Signature:
    """Inspect ``fn``; raises TypeError for a signature that cannot become a schema."""
    # What to read names, hints and the docstring from: the function under a partial, and
    # the __call__ method of a callable object.
    base: Any = inspect.unwrap(fn)
    while isinstance(base, functools.partial):
        base = base.func
    if not inspect.isroutine(base) and callable(base):
        base = type(base).__call__
    label = getattr(base, "__qualname__", None) or repr(fn)
    is_async = inspect.iscoroutinefunction(base) or inspect.iscoroutinefunction(fn)
    try:
        sig = inspect.signature(fn)
        hints = get_type_hints(base, include_extras=True)
    except Exception as exc:
        raise TypeError(f"cannot read the signature of {what} {label}: {exc}") from exc
    fields: dict[str, Any] = {}
    renamed: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    params: list[str] = []
    required: set[str] = set()
    context_param: str | None = None
    for index, (name, param) in enumerate(sig.parameters.items()):
        annotation = hints.get(name, Any)
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            raise TypeError(f"{what} {label}: parameter {name!r} must be usable as a keyword")
        if _is_context(annotation, context_type):
            context_param = name
            continue
        default = ... if param.default is _EMPTY else param.default
        if default is ...:
            required.add(name)
        field_name = name
        if _reserved(name):
            # pydantic reserves the name: the field gets another, the alias keeps the wire name.
            field_name = f"arg{index}_"
            while field_name in sig.parameters or field_name in renamed:
                field_name += "_"
            renamed[field_name] = name
            fields[field_name] = (annotation, pydantic.Field(default, alias=name, title=name))
        else:
            fields[name] = (annotation, default)
        params.append(name)
    try:
        if fields:
            model = pydantic.create_model(
                f"{getattr(base, '__name__', 'function')}Arguments",
                __config__=ConfigDict(arbitrary_types_allowed=False),
                **fields,
            )
            model.model_json_schema(by_alias=True)  # fail here, not at the first tools/list
        else:
            model = _no_arguments()
    except Exception as exc:
        raise TypeError(f"{what} {label}: its parameters cannot become a schema: {exc}") from exc
    for field_name, info in model.model_fields.items():
        if info.description:
            descriptions[renamed.get(field_name, field_name)] = info.description
    try:
        output = _output(hints.get("return", _EMPTY), structured_output)
    except Exception as exc:
        raise TypeError(f"{what} {label}: its return annotation cannot become a schema: {exc}") from exc
    return Signature(
        fn=fn,
        is_async=is_async,
        context_param=context_param,
        params=tuple(params),
        required=frozenset(required),
        model=model,
        renamed=renamed,
        descriptions=descriptions,
        output=output,
        doc=inspect.getdoc(base) if base is not type(fn).__call__ else inspect.getdoc(type(fn)),
        name=getattr(base, "__name__", None) or type(fn).__name__,
    )
