"""Our own typed models of every MCP message of each handshake revision, for the suite's checks.

The conformance suite validates every message it captures. The official JSON schemas are the
authority, but we keep models of our own beside them because:

* the schemas are not shipped with the suite and ``jsonschema`` is an optional dependency, so
  without ``--schemas`` these models are the only message check there is;
* the published schemas leave almost every object open, so a field that a *later* revision
  introduced (``structuredContent`` sent to a 2025-03-26 client, a ``title`` on a 2024-11-05
  tool) passes them. A peer that does that has not fitted its messages to the revision it
  negotiated, which is what a conformance suite is there to notice;
* a schema knows nothing of direction (a server does not send ``tools/list``), of which result
  answers which request, or whether ``data``/``blob`` really is base64, and its anyOf errors
  are hard to read. These models say what is wrong and where (``result.tools[2].name``);
* they are compiled pydantic validators, built once per revision: thousands of messages a run.

The models are written once, in the shape of the newest revision, as a table of definitions.
What each revision lacks is derived from the project's own tables: ``mcpcore._shapes.GATED``
and the extra gates below name, per definition, the feature of ``mcpcore.revisions.FEATURES``
that a field needs; the revision table says which methods exist in which direction. A field
gated out of a revision is left out of its model, and its name, found in a message of that
revision, is reported as a name from a later revision. The tests compare these models with the
official schemas, field by field and message by message.

Problems come in three kinds: ``schema`` (the official schema refuses the message too),
``later`` (a name that only a later revision defines) and ``stricter`` (a rule of the
specification that the schema does not encode: base64 content, a method sent the wrong way, a
response with both a result and an error, an empty batch).
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, ClassVar, Final, Literal, TypeAlias, Union

import pydantic
from pydantic import BaseModel, ConfigDict, Discriminator, PlainValidator, Tag, TypeAdapter
from pydantic_core import PydanticCustomError

from mcpcore._shapes import GATED
from mcpcore.revisions import FEATURES, HANDSHAKE_VERSIONS, REVISIONS, Revision

__all__ = ["RESULTS", "Kind", "Problem", "RevisionError", "check_message", "validate_message"]

Kind: TypeAlias = Literal["schema", "later", "stricter"]
Sender: TypeAlias = Literal["client", "server"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a message: where (``params.content[0].text``; empty for the
    message itself), what, and of which kind (see the module docstring)."""

    path: str
    text: str
    kind: Kind = "schema"

    def __str__(self) -> str:
        return f"{self.path or 'message'}: {self.text}"


class RevisionError(ValueError):
    """The revision asked for is not a handshake revision that these models describe."""


def validate_message(
    revision: str, message: object, *, sender: Sender, method: str | None = None
) -> list[str]:
    """What is wrong with ``message`` under ``revision``, readably; empty when it is valid.

    ``message`` is one decoded JSON-RPC message (or a batch) that ``sender`` sent. A response
    does not name its method: pass the ``method`` of the request it answers to have its result
    checked (otherwise only the envelope is). Raises :class:`RevisionError` for a revision
    that is not a handshake revision.
    """
    return [str(problem) for problem in check_message(revision, message, sender=sender, method=method)]


def check_message(
    revision: str, message: object, *, sender: Sender, method: str | None = None
) -> list[Problem]:
    """Like :func:`validate_message`, with each problem's path and kind."""
    if sender not in ("client", "server"):
        raise ValueError(f"sender must be 'client' or 'server', not {sender!r}")
    models = _models(revision)
    if isinstance(message, list):
        return models.batch(message, sender)
    return models.message(message, sender, method, "")


# -- what each revision has ----------------------------------------------------------------------

# Differences between revisions that FEATURES does not name, because the engine never needs
# them: the first revision that has each.
_SINCE: Final = {
    "schema_dialect": "2025-11-25",  # "$schema" in tool input/output schemas and requested schemas
    # From 2025-11-25 the schema's request and notification definitions include the envelope
    # (jsonrpc, id), and the envelope's own params no longer type "_meta".
    "envelope_in_definitions": "2025-11-25",
}


def _features(revision: Revision) -> frozenset[str]:
    """The revision's features, plus the few that this module alone needs."""
    rank = HANDSHAKE_VERSIONS.index(revision.version)
    extra = {name for name, since in _SINCE.items() if HANDSHAKE_VERSIONS.index(since) <= rank}
    if "tasks/get" in revision.client_requests:
        extra.add("tasks")  # experimental tasks: their methods, fields and capabilities
    if revision.omits_unknown_error_id:
        extra.add("optional_error_id")  # an error response may lack an id
    return revision.features | extra


def _first(feature: str) -> str:
    """The first handshake revision that has ``feature``."""
    for version in HANDSHAKE_VERSIONS:
        if feature in _features(REVISIONS[version]):
            return version
    return FEATURES.get(feature, "a later revision")


# -- the definitions ----------------------------------------------------------------------------
#
# Each definition maps its fields to a type. A key ending in "?" is optional. Types: a scalar
# (see _SCALARS), a 'literal' or several joined by "|", another definition or alias by name,
# "T[]" an array, "{T}" an object whose values are T, and "A|B" a union (anyOf).

_META: Final = {"_meta?": "object"}  # of results, notifications' params and (gated) entities
# Of requests' params: before 2025-11-25 only the envelope types "_meta" (and ping's and
# roots/list's own definitions, which are the envelope's params: see RequestParams).
_REQUEST: Final = {"_meta?": "ParamsMeta"}
_TASK: Final = {
    "taskId": "str",
    "status": "'working'|'input_required'|'completed'|'failed'|'cancelled'",
    "statusMessage?": "str",
    "createdAt": "str",
    "lastUpdatedAt": "str",
    "ttl": "int|null",
    "pollInterval?": "int",
}
_ENTITY: Final = {"title?": "str", "description?": "str", "icons?": "Icon[]", "_meta?": "object"}
_BLOCK: Final = {"annotations?": "Annotations", "_meta?": "object"}
_PRIMITIVE: Final = {"title?": "str", "description?": "str"}
_LIST_RESULT: Final = {**_META, "nextCursor?": "str"}

_DEFS: Final[dict[str, dict[str, str]]] = {
    # JSON-RPC
    "JSONRPCRequest": {"jsonrpc": "'2.0'", "id": "id", "method": "str", "params?": "EnvelopeRequestParams"},
    "JSONRPCNotification": {"jsonrpc": "'2.0'", "method": "str", "params?": "EnvelopeNotificationParams"},
    "JSONRPCResponse": {"jsonrpc": "'2.0'", "id": "id", "result": "Result"},
    "JSONRPCError": {"jsonrpc": "'2.0'", "id": "id", "error": "Error"},
    "Error": {"code": "int", "message": "str", "data?": "any"},
    "Result": _META,
    "RequestMeta": {"progressToken?": "id"},
    "RequestParams": {"_meta?": "RequestMeta"},
    "NotificationParams": _META,
    # entities
    "Icon": {"src": "str", "mimeType?": "str", "sizes?": "str[]", "theme?": "'light'|'dark'"},
    "Implementation": {
        "name": "str",
        "title?": "str",
        "version": "str",
        "description?": "str",
        "websiteUrl?": "str",
        "icons?": "Icon[]",
    },
    "Annotations": {"audience?": "Role[]", "priority?": "unit", "lastModified?": "str"},
    "ToolAnnotations": {
        "title?": "str",
        "readOnlyHint?": "bool",
        "destructiveHint?": "bool",
        "idempotentHint?": "bool",
        "openWorldHint?": "bool",
    },
    "ToolSchema": {"$schema?": "str", "type": "'object'", "properties?": "{object}", "required?": "str[]"},
    "ToolExecution": {"taskSupport?": "'forbidden'|'optional'|'required'"},
    "Tool": {
        "name": "str",
        **_ENTITY,
        "inputSchema": "ToolSchema",
        "outputSchema?": "ToolSchema",
        "annotations?": "ToolAnnotations",
        "execution?": "ToolExecution",
    },
    "Resource": {
        "uri": "str",
        "name": "str",
        **_ENTITY,
        "mimeType?": "str",
        "annotations?": "Annotations",
        "size?": "int",
    },
    "ResourceTemplate": {
        "uriTemplate": "str",
        "name": "str",
        **_ENTITY,
        "mimeType?": "str",
        "annotations?": "Annotations",
    },
    "PromptArgument": {"name": "str", "title?": "str", "description?": "str", "required?": "bool"},
    "Prompt": {"name": "str", **_ENTITY, "arguments?": "PromptArgument[]"},
    "PromptMessage": {"role": "Role", "content": "ContentBlock"},
    "Root": {"uri": "str", "name?": "str", "_meta?": "object"},
    # content
    "TextContent": {"type": "'text'", "text": "str", **_BLOCK},
    "ImageContent": {"type": "'image'", "data": "base64", "mimeType": "str", **_BLOCK},
    "AudioContent": {"type": "'audio'", "data": "base64", "mimeType": "str", **_BLOCK},
    "ResourceLink": {
        "type": "'resource_link'",
        "uri": "str",
        "name": "str",
        **_ENTITY,
        "mimeType?": "str",
        "annotations?": "Annotations",
        "size?": "int",
    },
    "EmbeddedResource": {"type": "'resource'", "resource": "ResourceContents", **_BLOCK},
    "TextResourceContents": {"uri": "str", "mimeType?": "str", "text": "str", "_meta?": "object"},
    "BlobResourceContents": {"uri": "str", "mimeType?": "str", "blob": "base64", "_meta?": "object"},
    "ToolUseContent": {"type": "'tool_use'", "id": "str", "name": "str", "input": "object", **_META},
    "ToolResultContent": {
        "type": "'tool_result'",
        "toolUseId": "str",
        "content": "ContentBlock[]",
        "structuredContent?": "object",
        "isError?": "bool",
        **_META,
    },
    # capabilities
    "ClientCapabilities": {
        "experimental?": "{object}",
        "roots?": "ListChangedCapability",
        "sampling?": "SamplingCapability",
        "elicitation?": "ElicitationCapability",
        "tasks?": "ClientTasksCapability",
    },
    "ServerCapabilities": {
        "experimental?": "{object}",
        "logging?": "object",
        "completions?": "object",
        "prompts?": "ListChangedCapability",
        "resources?": "ResourcesCapability",
        "tools?": "ListChangedCapability",
        "tasks?": "ServerTasksCapability",
    },
    "ListChangedCapability": {"listChanged?": "bool"},
    "ResourcesCapability": {"subscribe?": "bool", "listChanged?": "bool"},
    "SamplingCapability": {"context?": "object", "tools?": "object"},
    "ElicitationCapability": {"form?": "object", "url?": "object"},
    "ClientTasksCapability": {"cancel?": "object", "list?": "object", "requests?": "ClientTaskRequests"},
    "ClientTaskRequests": {"elicitation?": "ElicitationTaskRequests", "sampling?": "SamplingTaskRequests"},
    "ElicitationTaskRequests": {"create?": "object"},
    "SamplingTaskRequests": {"createMessage?": "object"},
    "ServerTasksCapability": {"cancel?": "object", "list?": "object", "requests?": "ServerTaskRequests"},
    "ServerTaskRequests": {"tools?": "ToolTaskRequests"},
    "ToolTaskRequests": {"call?": "object"},
    # requests' params
    "InitializeRequestParams": {
        **_REQUEST,
        "protocolVersion": "str",
        "capabilities": "ClientCapabilities",
        "clientInfo": "Implementation",
    },
    "PaginatedRequestParams": {**_REQUEST, "cursor?": "str"},
    "CallToolRequestParams": {**_REQUEST, "name": "str", "arguments?": "object", "task?": "TaskMetadata"},
    "ResourceRequestParams": {**_REQUEST, "uri": "str"},
    "GetPromptRequestParams": {**_REQUEST, "name": "str", "arguments?": "{str}"},
    "CompleteRequestParams": {
        **_REQUEST,
        "ref": "CompleteReference",
        "argument": "CompleteArgument",
        "context?": "CompleteContext",
    },
    "PromptReference": {"type": "'ref/prompt'", "name": "str", "title?": "str"},
    "ResourceTemplateReference": {"type": "'ref/resource'", "uri": "str"},
    "CompleteArgument": {"name": "str", "value": "str"},
    "CompleteContext": {"arguments?": "{str}"},
    "SetLevelRequestParams": {**_REQUEST, "level": "LoggingLevel"},
    "TaskIdParams": {"taskId": "str"},
    "TaskMetadata": {"ttl?": "int"},
    "CreateMessageRequestParams": {
        **_REQUEST,
        "messages": "SamplingMessage[]",
        "modelPreferences?": "ModelPreferences",
        "systemPrompt?": "str",
        "includeContext?": "'none'|'thisServer'|'allServers'",
        "temperature?": "num",
        "maxTokens": "int",
        "stopSequences?": "str[]",
        "metadata?": "object",
        "tools?": "Tool[]",
        "toolChoice?": "ToolChoice",
        "task?": "TaskMetadata",
    },
    "SamplingMessage": {"role": "Role", "content": "SamplingMessageContent", **_META},
    "ModelPreferences": {
        "hints?": "ModelHint[]",
        "costPriority?": "unit",
        "speedPriority?": "unit",
        "intelligencePriority?": "unit",
    },
    "ModelHint": {"name?": "str"},
    "ToolChoice": {"mode?": "'auto'|'none'|'required'"},
    "ElicitRequestFormParams": {
        **_REQUEST,
        "mode?": "'form'",
        "message": "str",
        "requestedSchema": "RequestedSchema",
        "task?": "TaskMetadata",
    },
    "ElicitRequestURLParams": {
        **_REQUEST,
        "mode": "'url'",
        "message": "str",
        "elicitationId": "str",
        "url": "str",
        "task?": "TaskMetadata",
    },
    "RequestedSchema": {
        "$schema?": "str",
        "type": "'object'",
        "properties": "{PrimitiveSchemaDefinition}",
        "required?": "str[]",
    },
    "StringSchema": {
        "type": "'string'",
        **_PRIMITIVE,
        "minLength?": "int",
        "maxLength?": "int",
        "format?": "'email'|'uri'|'date'|'date-time'",
        "default?": "str",
    },
    "NumberSchema": {
        "type": "'number'|'integer'",
        **_PRIMITIVE,
        "minimum?": "num",
        "maximum?": "num",
        "default?": "num",
    },
    "BooleanSchema": {"type": "'boolean'", **_PRIMITIVE, "default?": "bool"},
    # 2025-06-18 calls this one EnumSchema; 2025-11-25 adds "default" and the four below.
    "LegacyTitledEnumSchema": {
        "type": "'string'",
        **_PRIMITIVE,
        "enum": "str[]",
        "enumNames?": "str[]",
        "default?": "str",
    },
    "UntitledSingleSelectEnumSchema": {"type": "'string'", **_PRIMITIVE, "enum": "str[]", "default?": "str"},
    "TitledSingleSelectEnumSchema": {
        "type": "'string'",
        **_PRIMITIVE,
        "oneOf": "EnumOption[]",
        "default?": "str",
    },
    "UntitledMultiSelectEnumSchema": {
        "type": "'array'",
        **_PRIMITIVE,
        "minItems?": "int",
        "maxItems?": "int",
        "items": "UntitledEnumItems",
        "default?": "str[]",
    },
    "TitledMultiSelectEnumSchema": {
        "type": "'array'",
        **_PRIMITIVE,
        "minItems?": "int",
        "maxItems?": "int",
        "items": "TitledEnumItems",
        "default?": "str[]",
    },
    "EnumOption": {"const": "str", "title": "str"},
    "UntitledEnumItems": {"type": "'string'", "enum": "str[]"},
    "TitledEnumItems": {"anyOf": "EnumOption[]"},
    # notifications' params
    "CancelledNotificationParams": {**_META, "requestId": "id", "reason?": "str"},
    "ProgressNotificationParams": {
        **_META,
        "progressToken": "id",
        "progress": "num",
        "total?": "num",
        "message?": "str",
    },
    "LoggingMessageNotificationParams": {**_META, "level": "LoggingLevel", "logger?": "str", "data": "any"},
    "ResourceUpdatedNotificationParams": {**_META, "uri": "str"},
    "TaskStatusNotificationParams": {**_META, **_TASK},
    "ElicitationCompleteNotificationParams": {"elicitationId": "str"},
    # results
    "InitializeResult": {
        **_META,
        "protocolVersion": "str",
        "capabilities": "ServerCapabilities",
        "serverInfo": "Implementation",
        "instructions?": "str",
    },
    "ListToolsResult": {**_LIST_RESULT, "tools": "Tool[]"},
    "ListResourcesResult": {**_LIST_RESULT, "resources": "Resource[]"},
    "ListResourceTemplatesResult": {**_LIST_RESULT, "resourceTemplates": "ResourceTemplate[]"},
    "ListPromptsResult": {**_LIST_RESULT, "prompts": "Prompt[]"},
    "ListTasksResult": {**_LIST_RESULT, "tasks": "Task[]"},
    "ListRootsResult": {**_META, "roots": "Root[]"},
    "CallToolResult": {
        **_META,
        "content": "ContentBlock[]",
        "structuredContent?": "object",
        "isError?": "bool",
    },
    "ReadResourceResult": {**_META, "contents": "ResourceContents[]"},
    "GetPromptResult": {**_META, "description?": "str", "messages": "PromptMessage[]"},
    "CompleteResult": {**_META, "completion": "Completion"},
    "Completion": {"values": "str[]", "total?": "int", "hasMore?": "bool"},
    "CreateMessageResult": {
        **_META,
        "role": "Role",
        "content": "SamplingMessageContent",
        "model": "str",
        "stopReason?": "str",
    },
    "ElicitResult": {**_META, "action": "'accept'|'decline'|'cancel'", "content?": "{ElicitValue}"},
    "Task": _TASK,
    "TaskResult": {**_META, **_TASK},  # GetTaskResult and CancelTaskResult
    "CreateTaskResult": {**_META, "task": "Task"},
    "URLElicitationRequiredData": {"elicitations": "ElicitRequestURLParams[]"},
}

# Fields that need a feature, beside those of mcpcore._shapes.GATED (merged per definition).
_GATES: Final[dict[str, dict[str, str]]] = {
    "Tool": {"execution": "tasks"},
    "ToolSchema": {"$schema": "schema_dialect"},
    "RequestedSchema": {"$schema": "schema_dialect"},
    "Root": {"_meta": "meta_fields"},
    "PromptReference": {"title": "titles"},
    "ClientCapabilities": {"elicitation": "elicitation", "tasks": "tasks"},
    "ServerCapabilities": {"completions": "completions_capability", "tasks": "tasks"},
    "SamplingCapability": {"context": "sampling_tools", "tools": "sampling_tools"},
    "ElicitationCapability": {"form": "url_elicitation", "url": "url_elicitation"},
    "CallToolRequestParams": {"task": "tasks"},
    "CompleteRequestParams": {"context": "completion_context"},
    "CreateMessageRequestParams": {
        "tools": "sampling_tools",
        "toolChoice": "sampling_tools",
        "task": "tasks",
    },
    "SamplingMessage": {"_meta": "sampling_tools"},
    "ElicitRequestFormParams": {"mode": "url_elicitation", "task": "tasks"},
    "StringSchema": {"default": "enum_schemas"},
    "NumberSchema": {"default": "enum_schemas"},
    "LegacyTitledEnumSchema": {"default": "enum_schemas"},
    "ProgressNotificationParams": {"message": "progress_message"},
}

# Required fields that became optional with a feature.
_OPTIONAL_WITH: Final[dict[str, dict[str, str]]] = {
    "JSONRPCError": {"id": "optional_error_id"},
    "CancelledNotificationParams": {"requestId": "tasks"},  # a task is cancelled with tasks/cancel
}

# JSON Schema objects: "$schema" is typed only where the revision defines it, but any keyword
# may appear in them, so their fields are never reported as later-revision names.
_OPEN: Final = frozenset({"ToolSchema", "RequestedSchema"})

# Unions tagged by a field: name -> (the tag field, its default, {tag: (definition, feature)}).
_TAGGED: Final[dict[str, tuple[str, str | None, dict[str, tuple[str, str | None]]]]] = {
    "ContentBlock": (
        "type",
        None,
        {
            "text": ("TextContent", None),
            "image": ("ImageContent", None),
            "audio": ("AudioContent", "audio"),
            "resource_link": ("ResourceLink", "resource_links"),
            "resource": ("EmbeddedResource", None),
        },
    ),
    "SamplingContent": (
        "type",
        None,
        {
            "text": ("TextContent", None),
            "image": ("ImageContent", None),
            "audio": ("AudioContent", "audio"),
            "tool_use": ("ToolUseContent", "sampling_tools"),
            "tool_result": ("ToolResultContent", "sampling_tools"),
        },
    ),
    "CompleteReference": (
        "type",
        None,
        {"ref/prompt": ("PromptReference", None), "ref/resource": ("ResourceTemplateReference", None)},
    ),
    "ElicitRequestParams": (
        "mode",
        "form",
        {"form": ("ElicitRequestFormParams", None), "url": ("ElicitRequestURLParams", "url_elicitation")},
    ),
}

# Other unions: name -> [(members, the feature they need or "!feature" they need absent)].
_ALIASES: Final[dict[str, list[tuple[str, str | None]]]] = {
    "Role": [("'user'|'assistant'", None)],
    "LoggingLevel": [("'debug'|'info'|'notice'|'warning'|'error'|'critical'|'alert'|'emergency'", None)],
    "ResourceContents": [("TextResourceContents|BlobResourceContents", None)],
    "SamplingMessageContent": [("SamplingContent", None), ("SamplingContent[]", "sampling_tools")],
    "ElicitValue": [("str|int|bool", None), ("str[]", "enum_schemas")],
    "PrimitiveSchemaDefinition": [
        ("StringSchema|NumberSchema|BooleanSchema|LegacyTitledEnumSchema", None),
        (
            "UntitledSingleSelectEnumSchema|TitledSingleSelectEnumSchema"
            "|UntitledMultiSelectEnumSchema|TitledMultiSelectEnumSchema",
            "enum_schemas",
        ),
    ],
    "ParamsMeta": [("any", "!envelope_in_definitions"), ("RequestMeta", "envelope_in_definitions")],
    "EnvelopeRequestParams": [
        ("RequestParams", "!envelope_in_definitions"),
        ("object", "envelope_in_definitions"),
    ],
    "EnvelopeNotificationParams": [
        ("NotificationParams", "!envelope_in_definitions"),
        ("object", "envelope_in_definitions"),
    ],
}

# method: (the definition of its params, whether params are required)
_REQUESTS: Final[dict[str, tuple[str, bool]]] = {
    "initialize": ("InitializeRequestParams", True),
    "ping": ("RequestParams", False),
    "tools/list": ("PaginatedRequestParams", False),
    "tools/call": ("CallToolRequestParams", True),
    "resources/list": ("PaginatedRequestParams", False),
    "resources/templates/list": ("PaginatedRequestParams", False),
    "resources/read": ("ResourceRequestParams", True),
    "resources/subscribe": ("ResourceRequestParams", True),
    "resources/unsubscribe": ("ResourceRequestParams", True),
    "prompts/list": ("PaginatedRequestParams", False),
    "prompts/get": ("GetPromptRequestParams", True),
    "completion/complete": ("CompleteRequestParams", True),
    "logging/setLevel": ("SetLevelRequestParams", True),
    "tasks/get": ("TaskIdParams", True),
    "tasks/result": ("TaskIdParams", True),
    "tasks/cancel": ("TaskIdParams", True),
    "tasks/list": ("PaginatedRequestParams", False),
    "sampling/createMessage": ("CreateMessageRequestParams", True),
    "elicitation/create": ("ElicitRequestParams", True),
    "roots/list": ("RequestParams", False),
}
_NOTIFICATIONS: Final[dict[str, tuple[str, bool]]] = {
    "notifications/cancelled": ("CancelledNotificationParams", True),
    "notifications/initialized": ("NotificationParams", False),
    "notifications/progress": ("ProgressNotificationParams", True),
    "notifications/roots/list_changed": ("NotificationParams", False),
    "notifications/message": ("LoggingMessageNotificationParams", True),
    "notifications/prompts/list_changed": ("NotificationParams", False),
    "notifications/resources/list_changed": ("NotificationParams", False),
    "notifications/resources/updated": ("ResourceUpdatedNotificationParams", True),
    "notifications/tools/list_changed": ("NotificationParams", False),
    "notifications/tasks/status": ("TaskStatusNotificationParams", True),
    "notifications/elicitation/complete": ("ElicitationCompleteNotificationParams", True),
}
# The definition of each method's result, by the schemas' names (also used by ``_schema``).
RESULTS: Final[dict[str, str]] = {
    "initialize": "InitializeResult",
    "ping": "Result",
    "tools/list": "ListToolsResult",
    "tools/call": "CallToolResult",
    "resources/list": "ListResourcesResult",
    "resources/templates/list": "ListResourceTemplatesResult",
    "resources/read": "ReadResourceResult",
    "resources/subscribe": "Result",
    "resources/unsubscribe": "Result",
    "prompts/list": "ListPromptsResult",
    "prompts/get": "GetPromptResult",
    "completion/complete": "CompleteResult",
    "logging/setLevel": "Result",
    "tasks/get": "TaskResult",
    "tasks/result": "Result",  # the payload is the original request's result, unknown here
    "tasks/cancel": "TaskResult",
    "tasks/list": "ListTasksResult",
    "sampling/createMessage": "CreateMessageResult",
    "elicitation/create": "ElicitResult",
    "roots/list": "ListRootsResult",
}
# Requests that may be answered with a task instead of their result (2025-11-25).
_TASK_AUGMENTED: Final = frozenset({"tools/call", "sampling/createMessage", "elicitation/create"})
_URL_ELICITATION_REQUIRED: Final = -32042
_ENVELOPES: Final = ("JSONRPCRequest", "JSONRPCNotification", "JSONRPCResponse", "JSONRPCError")


# -- scalars ------------------------------------------------------------------------------------


def _scalar(check: Callable[[Any], bool], expected: str) -> Any:
    def validate(value: Any) -> Any:
        if check(value):
            return value
        raise PydanticCustomError("mcp_type", "should be {expected}", {"expected": expected})

    return Annotated[Any, PlainValidator(validate)]


def _is_int(value: Any) -> bool:
    # JSON Schema counts 1.0 as an integer; a bool is not one.
    return type(value) is int or (type(value) is float and value.is_integer())


def _is_num(value: Any) -> bool:
    return type(value) is int or type(value) is float


_SCALARS: Final[dict[str, Any]] = {
    "str": _scalar(lambda v: isinstance(v, str), "a string"),
    "base64": _scalar(lambda v: isinstance(v, str), "a base64 string"),
    "int": _scalar(_is_int, "an integer"),
    "num": _scalar(_is_num, "a number"),
    "unit": _scalar(lambda v: _is_num(v) and 0 <= v <= 1, "a number from 0 to 1"),
    "bool": _scalar(lambda v: type(v) is bool, "a boolean"),
    "object": _scalar(lambda v: isinstance(v, dict), "an object"),
    "null": _scalar(lambda v: v is None, "null"),
    "id": _scalar(lambda v: isinstance(v, str) or _is_int(v), "a string or an integer"),
    "any": Any,
}


def _literal(values: tuple[str, ...]) -> Any:
    expected = " or ".join(repr(v) for v in values)
    return _scalar(lambda v: isinstance(v, str) and v in values, expected)


# -- models -------------------------------------------------------------------------------------


class _Model(BaseModel):
    """A definition of one revision: open to unknown fields, like the schema's objects."""

    model_config = ConfigDict(extra="allow", strict=True)

    mcp_later: ClassVar[dict[str, str]] = {}  # field gated out of this revision: its first revision
    mcp_base64: ClassVar[tuple[str, ...]] = ()  # python names of base64 fields
    mcp_nested: ClassVar[tuple[str, ...]] = ()  # python names of fields that may hold models


_ListOf: Any = list
_DictOf: Any = dict
_Union: Any = Union
_Annotated: Any = Annotated


class _Revision:
    """The models of one revision, built on first use, and the checks that use them."""

    def __init__(self, revision: Revision) -> None:
        self.revision = revision
        self.version = revision.version
        self.features = _features(revision)
        self._types: dict[str, tuple[Any, bool]] = {}
        self._adapters: dict[str, TypeAdapter[Any]] = {}
        # Per tagged union: its tag field, the tags this revision has, and later ones.
        self.tags: dict[str, tuple[str, tuple[str, ...], dict[str, str]]] = {}
        methods = (
            revision.client_requests
            | revision.server_requests
            | revision.client_notifications
            | revision.server_notifications
        )
        self.later_methods: dict[str, str] = {}
        for version in HANDSHAKE_VERSIONS[HANDSHAKE_VERSIONS.index(self.version) + 1 :]:
            other = REVISIONS[version]
            for name in (
                other.client_requests
                | other.server_requests
                | other.client_notifications
                | other.server_notifications
            ):
                if name not in methods:
                    self.later_methods.setdefault(name, version)

    def has(self, feature: str) -> bool:
        if feature.startswith("!"):
            return feature[1:] not in self.features
        return feature in self.features

    # building

    def resolve(self, spec: str) -> tuple[Any, bool]:
        """The pydantic type of a type expression, and whether it may hold models."""
        found = self._types.get(spec)
        if found is None:
            found = self._types[spec] = self._build(spec)
        return found

    def _build(self, spec: str) -> tuple[Any, bool]:
        members = spec.split("|")
        if len(members) > 1:
            if all(m.startswith("'") for m in members):
                return _literal(tuple(m.strip("'") for m in members)), False
            built = [self.resolve(m) for m in members]
            labelled = [_Annotated[(t, Tag(f"<as {m}>"))] for m, (t, _) in zip(members, built, strict=True)]
            return _Union[tuple(labelled)], any(nested for _, nested in built)
        if spec.endswith("[]"):
            item, nested = self.resolve(spec[:-2])
            return _ListOf[item], nested
        if spec.startswith("{"):
            value, nested = self.resolve(spec[1:-1])
            return _DictOf[str, value], nested
        if spec.startswith("'"):
            return _literal((spec.strip("'"),)), False
        if spec in _SCALARS:
            return _SCALARS[spec], False
        if spec in _TAGGED:
            return self._tagged(spec)
        if spec in _ALIASES:
            members = [m for m, feature in _ALIASES[spec] if feature is None or self.has(feature)]
            return self.resolve("|".join(members))
        return self._model(spec), True

    def _model(self, name: str) -> type[_Model]:
        gates = {**GATED.get(name, {}), **_GATES.get(name, {})}
        optional_with = _OPTIONAL_WITH.get(name, {})
        fields: dict[str, Any] = {}
        later: dict[str, str] = {}
        base64: list[str] = []
        nested: list[str] = []
        for number, (key, spec) in enumerate(_DEFS[name].items()):
            optional = key.endswith("?")
            key = key.removesuffix("?")
            feature = gates.get(key)
            if feature is not None and not self.has(feature):
                if name not in _OPEN:
                    later[key] = _first(feature)
                continue
            if key in optional_with and self.has(optional_with[key]):
                optional = True
            kind, holds_models = self.resolve(spec)
            # Python names of their own: MCP names such as "_meta" or "$schema" cannot be fields.
            python = f"f{number}"
            default = None if optional else ...
            fields[python] = (kind, pydantic.Field(default, alias=key))
            if spec == "base64":
                base64.append(python)
            if holds_models:
                nested.append(python)
        model = pydantic.create_model(name, __base__=_Model, **fields)
        model.mcp_later = later
        model.mcp_base64 = tuple(base64)
        model.mcp_nested = tuple(nested)
        return model

    def _tagged(self, name: str) -> tuple[Any, bool]:
        key, default, members = _TAGGED[name]
        present = {
            tag: definition
            for tag, (definition, feature) in members.items()
            if feature is None or self.has(feature)
        }
        later = {
            tag: _first(feature) for tag, (_, feature) in members.items() if feature and not self.has(feature)
        }
        self.tags[name] = (key, tuple(present), later)
        if default is not None and len(present) == 1:
            # A default tag and nothing else to choose: the one definition, which then sees
            # (and reports) the tag field as a later-revision name if it lacks it.
            return self.resolve(present[default])

        def pick(value: Any) -> str | None:
            if isinstance(value, dict):
                tag = value.get(key, default)
                if isinstance(tag, str) and tag in present:
                    return f"={present[tag]}"
            return None

        choices = [_Annotated[(self.resolve(d)[0], Tag(f"={d}"))] for d in present.values()]
        union = _Union[tuple(choices)]
        discriminator = Discriminator(
            pick, custom_error_type=f"mcp_tag:{name}", custom_error_message="bad tag"
        )
        return _Annotated[(union, discriminator)], True

    def adapter(self, spec: str) -> TypeAdapter[Any]:
        found = self._adapters.get(spec)
        if found is None:
            found = self._adapters[spec] = TypeAdapter(self.resolve(spec)[0])
        return found

    # checking

    def validate(self, spec: str, value: Any, path: str, kind: Kind = "schema") -> list[Problem]:
        """``value`` checked against a type expression: its problems, with ``path`` before theirs."""
        try:
            validated = self.adapter(spec).validate_python(value)
        except pydantic.ValidationError as exc:
            return [Problem(_path(path, loc), text, kind) for loc, text in self._errors(exc)]
        return list(self._walk(validated, path))

    def _errors(self, exc: pydantic.ValidationError) -> Iterator[tuple[tuple[Any, ...], str]]:
        errors = _prune(exc.errors(include_url=False, include_context=True))
        seen: set[tuple[tuple[Any, ...], str]] = set()
        for error in errors:
            loc = tuple(error["loc"])
            item = (loc, self._text(error))
            if item not in seen:
                seen.add(item)
                yield item

    def _text(self, error: Any) -> str:
        kind = str(error["type"])
        value = error.get("input")
        if kind.startswith("mcp_tag:"):
            key, present, later = self.tags[kind.removeprefix("mcp_tag:")]
            if not isinstance(value, dict):
                return f"should be an object{_got(value)}"
            tag = value.get(key)
            if key not in value:
                return f"{key!r} is required"
            if isinstance(tag, str) and tag in later:
                return f"{key} {tag!r} is not defined in revision {self.version} (it comes with {later[tag]})"
            return f"{key} should be one of {', '.join(map(repr, present))}{_got(tag, always=True)}"
        if kind == "missing":
            return "is required"
        if kind in ("model_type", "dict_type"):
            return f"should be an object{_got(value)}"
        if kind == "list_type":
            return f"should be an array{_got(value)}"
        if kind == "mcp_type":
            return f"{error['msg']}{_got(value, always=True)}"
        return str(error["msg"]).replace("Input should", "should")

    def _walk(self, value: Any, path: str) -> Iterator[Problem]:
        """The rules the types cannot state: later-revision names and base64 content."""
        if isinstance(value, _Model):
            model = type(value)
            extra = value.__pydantic_extra__
            if extra and model.mcp_later:
                for key in extra:
                    since = model.mcp_later.get(key)
                    if since is not None:
                        yield Problem(
                            _path(path, (key,)),
                            f"is not defined in revision {self.version} (it comes with {since})",
                            "later",
                        )
            fields = type(value).model_fields
            for python in model.mcp_base64:
                data = getattr(value, python)
                if isinstance(data, str) and not _is_base64(data):
                    yield Problem(_path(path, (fields[python].alias,)), "is not valid base64", "stricter")
            for python in model.mcp_nested:
                inner = getattr(value, python)
                if inner is not None:
                    yield from self._walk(inner, _path(path, (fields[python].alias,)))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from self._walk(item, f"{path}[{index}]")
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from self._walk(item, _path(path, (key,)))

    # messages

    def batch(self, items: list[Any], sender: Sender) -> list[Problem]:
        if not self.revision.receives_batches:
            return [Problem("", f"JSON-RPC batches are not part of revision {self.version}")]
        if not items:
            return [Problem("", "an empty batch is not a valid JSON-RPC batch", "stricter")]
        problems: list[Problem] = []
        calls = [isinstance(item, dict) and "method" in item for item in items]
        if any(calls) and not all(calls):
            problems.append(Problem("", "a batch holds either requests and notifications or responses"))
        for index, item in enumerate(items):
            if isinstance(item, list):
                problems.append(Problem(f"[{index}]", "a batch cannot hold a batch"))
            else:
                problems.extend(self.message(item, sender, None, f"[{index}]"))
        return problems

    def message(self, message: Any, sender: Sender, method: str | None, path: str) -> list[Problem]:
        if not isinstance(message, dict):
            return [Problem(path, f"a JSON-RPC message must be an object{_got(message)}")]
        name = message.get("method")
        if isinstance(name, str):
            return _dedupe(self._call(message, name, sender, path))
        if "method" in message:
            intended = "JSONRPCRequest" if "id" in message else "JSONRPCNotification"
        elif "result" in message:
            intended = "JSONRPCResponse"
        elif "error" in message:
            intended = "JSONRPCError"
        else:
            return [
                Problem(path, "neither a request, a notification nor a response (no method, result or error)")
            ]
        problems = self._envelope(intended, message, path)
        if "result" in message and method is not None:
            problems.extend(self._result(method, message["result"], _path(path, ("result",))))
        if "result" in message and "error" in message:
            problems.append(Problem(path, "a response has either a result or an error, not both", "stricter"))
        elif intended == "JSONRPCError" and not problems and self.has("url_elicitation"):
            error = message["error"]
            if error.get("code") == _URL_ELICITATION_REQUIRED:
                where = _path(path, ("error", "data"))
                problems.extend(
                    self.validate("URLElicitationRequiredData", error.get("data"), where, "stricter")
                )
        return _dedupe(problems)

    def _envelope(
        self, intended: str, message: dict[str, Any], path: str, *, exact: bool = False
    ) -> list[Problem]:
        """The message checked as the JSON-RPC message it means to be. The schema accepts any of
        the four kinds (its objects being open, a request whose id is null passes as a
        notification), so when another kind accepts it, what JSON-RPC itself forbids is
        reported as stricter than the schema; ``exact`` when the schema's own definition of the
        method holds the envelope."""
        problems = self.validate(intended, message, path)
        if (
            problems
            and not exact
            and any(not self.validate(other, message, path) for other in _ENVELOPES if other != intended)
        ):
            problems = [Problem(p.path, p.text, "stricter") for p in problems]
        return problems

    def _call(self, message: dict[str, Any], name: str, sender: Sender, path: str) -> list[Problem]:
        revision = self.revision
        request = "id" in message
        requests = revision.client_requests | revision.server_requests
        notifications = revision.client_notifications | revision.server_notifications
        # From 2025-11-25 a request's own definition holds jsonrpc and id: then the schema
        # checks the id whatever the other kinds of message accept.
        exact = request and name in requests and self.has("envelope_in_definitions")
        problems = self._envelope(
            "JSONRPCRequest" if request else "JSONRPCNotification", message, path, exact=exact
        )
        table = _REQUESTS if name in requests else _NOTIFICATIONS if name in notifications else None
        if table is None:
            if name in self.later_methods:
                since = self.later_methods[name]
                problems.append(
                    Problem(
                        path,
                        f"method {name!r} is not defined in revision {self.version} (it comes with {since})",
                        "later",
                    )
                )
            return problems  # a method of the peer's own: only the envelope applies
        if sender == "client":
            own = revision.client_requests if request else revision.client_notifications
            peer = revision.server_requests if request else revision.server_notifications
        else:
            own = revision.server_requests if request else revision.server_notifications
            peer = revision.client_requests if request else revision.client_notifications
        if name in peer and name not in own:
            what = "request" if request else "notification"
            problems.append(
                Problem(path, f"{name!r} is a {what} that only the {_other(sender)} sends", "stricter")
            )
        elif request and name not in requests:
            problems.append(Problem(path, f"{name!r} is a notification: it must not have an id", "stricter"))
        elif not request and name not in notifications:
            kind: Kind = "schema" if self.has("envelope_in_definitions") else "stricter"
            problems.append(Problem(path, f"{name!r} is a request: it needs an id", kind))
        definition, required = table[name]
        where = _path(path, ("params",))
        if "params" not in message:
            if required:
                problems.append(Problem(where, "is required"))
            return problems
        params = message["params"]
        if isinstance(params, dict):
            problems.extend(self.validate(definition, params, where))
        else:
            problems.append(Problem(where, f"should be an object{_got(params)}"))
        return problems

    def _result(self, method: str, result: Any, path: str) -> list[Problem]:
        requests = self.revision.client_requests | self.revision.server_requests
        if method not in requests:
            return []  # a custom method, or one of a later revision: only the envelope applies
        definition = RESULTS[method]
        if method in _TASK_AUGMENTED and self.has("tasks") and isinstance(result, dict) and "task" in result:
            definition = f"{definition}|CreateTaskResult"
        return self.validate(definition, result, path)


@cache
def _models(version: str) -> _Revision:
    revision = REVISIONS.get(version)
    if revision is None or revision.era != "handshake":
        raise RevisionError(f"no models of revision {version!r}; these are: {', '.join(HANDSHAKE_VERSIONS)}")
    return _Revision(revision)


# -- helpers ------------------------------------------------------------------------------------


_RANK: Final[dict[Kind, int]] = {"schema": 0, "later": 1, "stricter": 2}


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """Each problem once (the envelope and the payload may both see one), at its gravest kind."""
    best: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        key = (problem.path, problem.text)
        if key not in best or _RANK[problem.kind] < _RANK[best[key].kind]:
            best[key] = problem
    return list(best.values())


def _other(sender: Sender) -> str:
    return "server" if sender == "client" else "client"


def _is_base64(text: str) -> bool:
    try:
        binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _got(value: Any, *, always: bool = False) -> str:
    """`` (got ...)``: the value when short and scalar, else its JSON type."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        shown = repr(value) if not isinstance(value, str) or len(value) <= 40 else f"{value[:37]!r}..."
        return f" (got {shown})" if always or value is None else f" (got {_json_type(value)} {shown})"
    return f" (got {_json_type(value)})"


def _path(prefix: str, loc: tuple[Any, ...]) -> str:
    """A readable path: ``result.tools[0].name``; union members show as ``(as X)``."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _is_label(part):
            out += f" (as {part[4:-1]})"
        elif isinstance(part, str) and part.startswith("="):
            continue  # the member of a tagged union: its tag already says which
        else:
            out += f".{part}" if out else str(part)
    return out


_TYPE_ERRORS: Final = frozenset({"model_type", "dict_type", "list_type", "mcp_type"})


def _is_label(part: Any) -> bool:
    return isinstance(part, str) and part.startswith("<as ")


def _prune(errors: list[Any]) -> list[Any]:
    """Keep, of a failed union, the members that came close: a member whose type did not even
    match, or whose "type" constant differs, only adds noise when another member matched."""
    members: dict[tuple[Any, ...], dict[str, bool]] = {}  # union location: {member: was it off?}
    for error in errors:
        loc = tuple(error["loc"])
        for index, part in enumerate(loc):
            if _is_label(part):
                off = (len(loc) == index + 1 and error["type"] in _TYPE_ERRORS) or (
                    len(loc) == index + 2 and loc[index + 1] == "type" and error["type"] == "mcp_type"
                )
                slot = members.setdefault(loc[:index], {})
                slot[part] = slot.get(part, False) or off

    def dropped(loc: tuple[Any, ...]) -> bool:
        for index, part in enumerate(loc):
            if _is_label(part):
                slot = members[loc[:index]]
                if slot[part] and not all(slot.values()):
                    return True
        return False

    return [error for error in errors if not dropped(tuple(error["loc"]))]
