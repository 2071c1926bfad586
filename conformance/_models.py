"""Our own typed models of every MCP message of each revision, for the suite's checks.

The conformance suite validates every message it captures. The official JSON schemas are the
authority, but we keep models of our own beside them because:

* the schemas are not shipped with the suite and ``jsonschema`` is an optional dependency, so
  without ``--schemas`` these models are the only message check there is;
* the published schemas leave almost every object open, so a field that another revision
  defines (``structuredContent`` sent to a 2025-03-26 client, a ``title`` on a 2024-11-05 tool,
  an ``elicitationId`` in 2026-07-28) passes them. A peer that does that has not fitted its
  messages to the revision it speaks, which is what a conformance suite is there to notice;
* a schema knows nothing of direction (a server does not send ``tools/list``), of which result
  answers which request, or whether ``data``/``blob`` really is base64, and its anyOf errors
  are hard to read. These models say what is wrong and where (``result.tools[2].name``);
* they are compiled pydantic validators, built once per revision: thousands of messages a run.

The models are written once, as a table of definitions that holds every field of every
revision, in the shape of the newest revision that has it. What each revision lacks is derived
from the project's own tables: ``mcpcore._shapes.GATED`` and the extra gates below name, per
definition, the feature of ``mcpcore.revisions.FEATURES`` (or of this module's ``_SPANS``) that
a field needs; the revision table says which methods exist in which direction. A field gated
out of a revision is left out of its model, and its name, found in a message of that revision,
is reported as a name of a later revision, or of an earlier one when the stateless revision
2026-07-28 dropped it (``elicitationId``, ``execution`` of a tool, the tasks capabilities).

Where the two eras disagree on one field the table says so explicitly rather than picking one:

* ``params._meta`` of a request is optional in the handshake revisions and required, with the
  revision and the client's capabilities in it, in 2026-07-28 (``_OPTIONAL_WITH``);
* so ``params`` itself is required on every request of 2026-07-28, whatever the method table
  says of the handshake revisions (:meth:`_Revision.params_required`);
* ``resultType`` is required on every result of 2026-07-28 and unknown before it;
* ``structuredContent`` is an object up to 2025-11-25 and any JSON value after (an alias that
  differs by feature), and ``properties``/``required`` of a tool's schemas are typed only
  while the revision types them;
* sampling, elicitation and roots requests are JSON-RPC requests of the server in the
  handshake revisions, and mere entries of an input-required result (no ``_meta``, no id) in
  2026-07-28: the entries have definitions of their own (``CreateMessageInput`` and so on).

Two more choices. The JSON objects of 2026-07-28 (capability settings, sampling metadata)
follow ``schema.ts``, the source of truth, whose values are any JSON value; the generated
``schema.json`` lets only integers of the numbers through and no null. And the era probe,
``server/discover``, which a client that speaks both eras sends before any handshake, is judged
by the revision it names, not by the handshake revision the session may settle on.

The tests compare these models with the official schemas, field by field and message by
message, and run the official example messages of 2026-07-28 through them.

Problems come in four kinds: ``schema`` (the official schema refuses the message too; also a
method that a handshake revision had and 2026-07-28 removed, which its method unions lack),
``later`` (a name that only a later revision defines), ``earlier`` (a name that only earlier
revisions define) and ``stricter`` (a rule of the specification that the schema does not
encode: base64 content, a method sent the wrong way, a response with both a result and an
error, an empty batch, an error code a revision retired).
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
from mcpcore.revisions import FEATURES, REVISIONS, VERSIONS, Revision

__all__ = [
    "ADVISORY",
    "RESULTS",
    "DefinitionError",
    "Kind",
    "Problem",
    "RevisionError",
    "Sender",
    "check_message",
    "check_value",
    "model_of",
    "validate_message",
]

Kind: TypeAlias = Literal["schema", "later", "earlier", "stricter"]
Sender: TypeAlias = Literal["client", "server"]

ADVISORY: Final[frozenset[Kind]] = frozenset({"later", "earlier"})
"""The kinds that no schema refuses: a name of another revision shows a message not fitted to its
revision, which deserves a warning rather than a failure."""


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
    """The revision asked for is not one that these models describe."""


class DefinitionError(ValueError):
    """The definition asked for has no model here (or, in that revision, is a whole message)."""


def validate_message(
    revision: str, message: object, *, sender: Sender, method: str | None = None
) -> list[str]:
    """What is wrong with ``message`` under ``revision``, readably; empty when it is valid.

    ``message`` is one decoded JSON-RPC message (or a batch) that ``sender`` sent. A response
    does not name its method: pass the ``method`` of the request it answers to have its result
    checked (otherwise only the envelope is). Raises :class:`RevisionError` for a revision
    that these models do not describe.
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


def model_of(revision: str, definition: str) -> TypeAdapter[Any]:
    """The validator of one part of a message (a result, params, a content block, a capability
    object...) of ``revision``, by its name in the official schema. Its ``validate_python``
    raises :class:`pydantic.ValidationError` on a value the definition refuses; what it returns
    dumps back (``by_alias=True, exclude_unset=True``) to the JSON it was given. Raises
    :class:`DefinitionError` for a name without a model here, such as a whole message (use
    :func:`check_message` for those)."""
    models = _models(revision)
    return models.adapter(models.definition(definition))


def check_value(revision: str, definition: str, value: object) -> list[Problem]:
    """What is wrong with ``value`` as the part ``definition`` of ``revision`` (see
    :func:`model_of`), with the same rules as :func:`check_message`; paths start at the value."""
    models = _models(revision)
    return _dedupe(models.validate(models.definition(definition), value, ""))


# -- what each revision has ----------------------------------------------------------------------

# Differences between revisions that FEATURES does not name, because the engine never needs them
# or knows them by era: each with the first revision that has it and the last (None: every
# revision after the first too). The table of definitions below gates fields on them.
_SPANS: Final[dict[str, tuple[str, str | None]]] = {
    "schema_dialect": ("2025-11-25", None),  # "$schema" in tool input/output schemas and requested schemas
    # From 2025-11-25 the schema's request and notification definitions include the envelope
    # (jsonrpc, id), and the envelope's own params no longer type "_meta".
    "envelope_in_definitions": ("2025-11-25", None),
    # The server sends JSON-RPC requests (sampling, roots, elicitation), whose params and results
    # carry "_meta" like any other; in 2026-07-28 the same objects are entries of an
    # input-required result and of the retried request, without "_meta".
    "server_requests": ("2024-11-05", "2025-11-25"),
    "roots_list_changed": ("2024-11-05", "2025-11-25"),  # ClientCapabilities.roots.listChanged
    "elicitation_ids": ("2025-11-25", "2025-11-25"),  # elicitationId, error -32042
    # The schema types "properties" and "required" of a tool's schemas, and an output schema is an
    # object schema; from 2026-07-28 any JSON Schema 2020-12 keyword may appear, untyped.
    "typed_schema_keywords": ("2024-11-05", "2025-11-25"),
    # The stateless revision. Every request's params carry "_meta" with the reserved keys of its
    # revision and client capabilities (and results may carry the server's identity there).
    "meta_envelope": ("2026-07-28", None),
    "result_type": ("2026-07-28", None),  # "resultType", required on every result
    "cache_hints": ("2026-07-28", None),  # "ttlMs" and "cacheScope" on the six cacheable results
    "input_required": ("2026-07-28", None),  # InputRequiredResult; inputResponses and requestState
    "subscriptions": ("2026-07-28", None),  # subscriptions/listen and its subscription id
    "extensions": ("2026-07-28", None),  # the "extensions" capability of either side
    "any_structured_content": ("2026-07-28", None),  # structuredContent: any JSON value
    "modern_errors": ("2026-07-28", None),  # -32020..-32022 defined, -32002 and -32042 retired
}


def _features(revision: Revision) -> frozenset[str]:
    """The revision's features, plus the few that this module alone needs."""
    rank = VERSIONS.index(revision.version)
    extra = {
        name
        for name, (first, last) in _SPANS.items()
        if VERSIONS.index(first) <= rank and (last is None or rank <= VERSIONS.index(last))
    }
    if "tasks/get" in revision.client_requests:
        extra.add("tasks")  # experimental tasks (2025-11-25): their methods, fields and capabilities
    if revision.omits_unknown_error_id:
        extra.add("optional_error_id")  # an error response may lack an id
    return revision.features | extra


@cache
def _span(feature: str) -> tuple[str | None, str | None]:
    """The first and the last revision that have ``feature`` (each span is unbroken)."""
    having = [version for version in VERSIONS if feature in _features(REVISIONS[version])]
    return (having[0], having[-1]) if having else (None, None)


# -- the definitions ----------------------------------------------------------------------------
#
# Each definition maps its fields to a type. A key ending in "?" is optional. Types: a scalar
# (see _SCALARS), a 'literal' or several joined by "|", an integer constant such as -32700,
# another definition or alias by name, "T[]" an array, "{T}" an object whose values are T, and
# "A|B" a union (anyOf).

_META: Final = {"_meta?": "object"}  # of entities, content blocks and input responses
# Of requests' params: required from 2026-07-28 (see _OPTIONAL_WITH). Before 2025-11-25 only the
# envelope types "_meta" (and ping's and roots/list's own definitions, which are the
# envelope's params: see RequestParams).
_REQUEST: Final = {"_meta": "ParamsMeta"}
_RESULT: Final = {"_meta?": "ResultMeta", "resultType": "str"}
_NOTE: Final = {"_meta?": "NotificationMeta"}  # of notifications' params
_INPUT: Final = {"inputResponses?": "InputResponses", "requestState?": "str"}  # of a retried request
_CACHE: Final = {"ttlMs": "ms", "cacheScope": "'public'|'private'"}
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
_LIST_RESULT: Final = {**_RESULT, "nextCursor?": "str"}
_SERVER_INFO: Final = "io.modelcontextprotocol/serverInfo"

_DEFS: Final[dict[str, dict[str, str]]] = {
    # JSON-RPC
    "JSONRPCRequest": {"jsonrpc": "'2.0'", "id": "id", "method": "str", "params?": "EnvelopeRequestParams"},
    "JSONRPCNotification": {"jsonrpc": "'2.0'", "method": "str", "params?": "EnvelopeNotificationParams"},
    "JSONRPCResponse": {"jsonrpc": "'2.0'", "id": "id", "result": "Result"},
    "JSONRPCError": {"jsonrpc": "'2.0'", "id": "id", "error": "Error"},
    "Error": {"code": "int", "message": "str", "data?": "any"},
    "ParseError": {"code": "-32700", "message": "str", "data?": "any"},
    "InvalidRequestError": {"code": "-32600", "message": "str", "data?": "any"},
    "MethodNotFoundError": {"code": "-32601", "message": "str", "data?": "any"},
    "InvalidParamsError": {"code": "-32602", "message": "str", "data?": "any"},
    "InternalError": {"code": "-32603", "message": "str", "data?": "any"},
    "Result": _RESULT,
    "RequestMeta": {
        "progressToken?": "id",
        "io.modelcontextprotocol/protocolVersion": "str",
        "io.modelcontextprotocol/clientCapabilities": "ClientCapabilities",
        "io.modelcontextprotocol/clientInfo?": "Implementation",
        "io.modelcontextprotocol/logLevel?": "LoggingLevel",
    },
    "ResultMeta": {f"{_SERVER_INFO}?": "Implementation"},
    "NotificationMeta": {"io.modelcontextprotocol/subscriptionId?": "id"},
    "RequestParams": {"_meta": "RequestMeta"},
    "NotificationParams": _NOTE,
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
    "OutputSchema": {"$schema?": "str", "type": "'object'", "properties?": "{object}", "required?": "str[]"},
    "ToolExecution": {"taskSupport?": "'forbidden'|'optional'|'required'"},
    "Tool": {
        "name": "str",
        **_ENTITY,
        "inputSchema": "ToolSchema",
        "outputSchema?": "OutputSchema",
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
        "structuredContent?": "StructuredContent",
        "isError?": "bool",
        **_META,
    },
    # capabilities
    "ClientCapabilities": {
        "experimental?": "{object}",
        "roots?": "RootsCapability",
        "sampling?": "SamplingCapability",
        "elicitation?": "ElicitationCapability",
        "tasks?": "ClientTasksCapability",
        "extensions?": "{object}",
    },
    "ServerCapabilities": {
        "experimental?": "{object}",
        "logging?": "object",
        "completions?": "object",
        "prompts?": "ListChangedCapability",
        "resources?": "ResourcesCapability",
        "tools?": "ListChangedCapability",
        "tasks?": "ServerTasksCapability",
        "extensions?": "{object}",
    },
    "ListChangedCapability": {"listChanged?": "bool"},
    "RootsCapability": {"listChanged?": "bool"},
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
    "CallToolRequestParams": {
        **_REQUEST,
        "name": "str",
        "arguments?": "object",
        "task?": "TaskMetadata",
        **_INPUT,
    },
    "ResourceRequestParams": {**_REQUEST, "uri": "str"},
    "ReadResourceRequestParams": {**_REQUEST, "uri": "str", **_INPUT},
    "GetPromptRequestParams": {**_REQUEST, "name": "str", "arguments?": "{str}", **_INPUT},
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
    "SubscriptionsListenRequestParams": {**_REQUEST, "notifications": "SubscriptionFilter"},
    "SubscriptionFilter": {
        "toolsListChanged?": "bool",
        "promptsListChanged?": "bool",
        "resourcesListChanged?": "bool",
        "resourceSubscriptions?": "str[]",
    },
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
    # The entries of an input-required result (2026-07-28): what the server would have sent as
    # a request in the handshake revisions, without jsonrpc and id.
    "CreateMessageInput": {"method": "'sampling/createMessage'", "params": "CreateMessageRequestParams"},
    "ElicitInput": {"method": "'elicitation/create'", "params": "ElicitRequestParams"},
    "ListRootsInput": {"method": "'roots/list'", "params?": "InputParams"},
    "InputParams": _META,
    # notifications' params
    "CancelledNotificationParams": {**_NOTE, "requestId": "id", "reason?": "str"},
    "ProgressNotificationParams": {
        **_NOTE,
        "progressToken": "id",
        "progress": "num",
        "total?": "num",
        "message?": "str",
    },
    "LoggingMessageNotificationParams": {**_NOTE, "level": "LoggingLevel", "logger?": "str", "data": "any"},
    "ResourceUpdatedNotificationParams": {**_NOTE, "uri": "str"},
    "TaskStatusNotificationParams": {**_NOTE, **_TASK},
    "ElicitationCompleteNotificationParams": {"elicitationId": "str"},
    "SubscriptionsAcknowledgedNotificationParams": {**_NOTE, "notifications": "SubscriptionFilter"},
    # results
    "InitializeResult": {
        **_RESULT,
        "protocolVersion": "str",
        "capabilities": "ServerCapabilities",
        "serverInfo": "Implementation",
        "instructions?": "str",
    },
    "DiscoverResult": {
        **_RESULT,
        "supportedVersions": "str[]",
        "capabilities": "ServerCapabilities",
        "instructions?": "str",
        **_CACHE,
    },
    "ListToolsResult": {**_LIST_RESULT, "tools": "Tool[]", **_CACHE},
    "ListResourcesResult": {**_LIST_RESULT, "resources": "Resource[]", **_CACHE},
    "ListResourceTemplatesResult": {**_LIST_RESULT, "resourceTemplates": "ResourceTemplate[]", **_CACHE},
    "ListPromptsResult": {**_LIST_RESULT, "prompts": "Prompt[]", **_CACHE},
    "ListTasksResult": {**_LIST_RESULT, "tasks": "Task[]"},
    "CallToolResult": {
        **_RESULT,
        "content": "ContentBlock[]",
        "structuredContent?": "StructuredContent",
        "isError?": "bool",
    },
    "ReadResourceResult": {**_RESULT, "contents": "ResourceContents[]", **_CACHE},
    "GetPromptResult": {**_RESULT, "description?": "str", "messages": "PromptMessage[]"},
    "CompleteResult": {**_RESULT, "completion": "Completion"},
    "Completion": {"values": "str[]", "total?": "int", "hasMore?": "bool"},
    "InputRequiredResult": {**_RESULT, "inputRequests?": "InputRequests", "requestState?": "str"},
    "SubscriptionsListenResult": {"_meta": "ListenResultMeta", "resultType": "str"},
    "ListenResultMeta": {
        f"{_SERVER_INFO}?": "Implementation",
        "io.modelcontextprotocol/subscriptionId": "id",
    },
    # Results of the server's requests in the handshake revisions, input responses in 2026-07-28:
    # never a resultType, and "_meta" only while they are JSON-RPC results (sampling's keeps it).
    "ListRootsResult": {**_META, "roots": "Root[]"},
    "CreateMessageResult": {
        **_META,
        "role": "Role",
        "content": "SamplingMessageContent",
        "model": "str",
        "stopReason?": "str",
    },
    "ElicitResult": {**_META, "action": "'accept'|'decline'|'cancel'", "content?": "{ElicitValue}"},
    "Task": _TASK,
    "TaskResult": {**_RESULT, **_TASK},  # GetTaskResult and CancelTaskResult
    "CreateTaskResult": {**_RESULT, "task": "Task"},
    # the data of errors with a definition of their own
    "URLElicitationRequiredData": {"elicitations": "ElicitRequestURLParams[]"},
    "MissingClientCapabilityData": {"requiredCapabilities": "ClientCapabilities"},
    "UnsupportedProtocolVersionData": {"supported": "str[]", "requested": "str"},
}

# Fields that need a feature wherever they appear.
_KEY_GATES: Final[dict[str, str]] = {
    "resultType": "result_type",
    "ttlMs": "cache_hints",
    "cacheScope": "cache_hints",
    "inputRequests": "input_required",
    "inputResponses": "input_required",
    "requestState": "input_required",
    "extensions": "extensions",
}
_SCHEMA_KEYWORDS: Final = {"properties": "typed_schema_keywords", "required": "typed_schema_keywords"}
_SERVER_REQUEST_META: Final = {"_meta": "server_requests"}

# Fields that need a feature, beside those of mcpcore._shapes.GATED (merged per definition).
_GATES: Final[dict[str, dict[str, str]]] = {
    "RequestMeta": {
        "io.modelcontextprotocol/protocolVersion": "meta_envelope",
        "io.modelcontextprotocol/clientCapabilities": "meta_envelope",
        "io.modelcontextprotocol/clientInfo": "meta_envelope",
        "io.modelcontextprotocol/logLevel": "meta_envelope",
    },
    "ResultMeta": {_SERVER_INFO: "meta_envelope"},
    "NotificationMeta": {"io.modelcontextprotocol/subscriptionId": "subscriptions"},
    "Tool": {"execution": "tasks"},
    "ToolSchema": {"$schema": "schema_dialect", **_SCHEMA_KEYWORDS},
    "OutputSchema": {"$schema": "schema_dialect", "type": "typed_schema_keywords", **_SCHEMA_KEYWORDS},
    "RequestedSchema": {"$schema": "schema_dialect"},
    "Root": {"_meta": "meta_fields"},
    "PromptReference": {"title": "titles"},
    "ClientCapabilities": {"elicitation": "elicitation", "tasks": "tasks"},
    "ServerCapabilities": {"completions": "completions_capability", "tasks": "tasks"},
    "RootsCapability": {"listChanged": "roots_list_changed"},
    "SamplingCapability": {"context": "sampling_tools", "tools": "sampling_tools"},
    "ElicitationCapability": {"form": "url_elicitation", "url": "url_elicitation"},
    "CallToolRequestParams": {"task": "tasks"},
    "CompleteRequestParams": {"context": "completion_context"},
    "CreateMessageRequestParams": {
        **_SERVER_REQUEST_META,
        "tools": "sampling_tools",
        "toolChoice": "sampling_tools",
        "task": "tasks",
    },
    "SamplingMessage": {"_meta": "sampling_tools"},
    "ElicitRequestFormParams": {**_SERVER_REQUEST_META, "mode": "url_elicitation", "task": "tasks"},
    "ElicitRequestURLParams": {**_SERVER_REQUEST_META, "elicitationId": "elicitation_ids", "task": "tasks"},
    "ElicitResult": _SERVER_REQUEST_META,
    "ListRootsResult": _SERVER_REQUEST_META,
    "StringSchema": {"default": "enum_schemas"},
    "NumberSchema": {"default": "enum_schemas"},
    "LegacyTitledEnumSchema": {"default": "enum_schemas"},
    "ProgressNotificationParams": {"message": "progress_message"},
}

# Required fields that are optional in some revisions: the feature (or "!feature", its absence)
# under which they are.
_OPTIONAL_WITH: Final[dict[str, dict[str, str]]] = {
    "JSONRPCError": {"id": "optional_error_id"},
    "CancelledNotificationParams": {"requestId": "tasks"},  # a task is cancelled with tasks/cancel
    # A request's params must carry "_meta" (its revision and its client's capabilities) only
    # in the stateless revision; before it "_meta" was optional.
    **{
        name: {"_meta": "!meta_envelope"}
        for name, fields in _DEFS.items()
        if fields.get("_meta") in ("ParamsMeta", "RequestMeta")
    },
}

# JSON Schema objects: "$schema" is typed only where the revision defines it, but any keyword
# may appear in them, so their fields are never reported as names of another revision.
_OPEN: Final = frozenset({"ToolSchema", "OutputSchema", "RequestedSchema"})

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
    "InputRequest": (
        "method",
        None,
        {
            "sampling/createMessage": ("CreateMessageInput", None),
            "elicitation/create": ("ElicitInput", None),
            "roots/list": ("ListRootsInput", None),
        },
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
    "StructuredContent": [("object", "!any_structured_content"), ("any", "any_structured_content")],
    "InputRequests": [("{InputRequest}", None)],
    "InputResponse": [("CreateMessageResult|ListRootsResult|ElicitResult", None)],
    "InputResponses": [("{InputResponse}", None)],
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

# The official names of definitions that have another name here, and where (None: everywhere).
_OFFICIAL_NAMES: Final[dict[str, tuple[str, str | None]]] = {
    # In 2026-07-28 these are entries of an input-required result; before, whole requests.
    "CreateMessageRequest": ("CreateMessageInput", "input_required"),
    "ElicitRequest": ("ElicitInput", "input_required"),
    "ListRootsRequest": ("ListRootsInput", "input_required"),
    "SamplingMessageContentBlock": ("SamplingContent", None),
    "JSONRPCResultResponse": ("JSONRPCResponse", None),
    "JSONRPCErrorResponse": ("JSONRPCError", None),
    "EmptyResult": ("Result", None),
    "GetTaskResult": ("TaskResult", None),
    "CancelTaskResult": ("TaskResult", None),
    "EnumSchema": ("LegacyTitledEnumSchema", "!enum_schemas"),  # 2025-06-18's name
    "ResourceReference": ("ResourceTemplateReference", None),  # before 2025-06-18
    "RequestMetaObject": ("RequestMeta", None),
    "ResultMetaObject": ("ResultMeta", None),
    "NotificationMetaObject": ("NotificationMeta", None),
    "SubscriptionsListenResultMetaObject": ("ListenResultMeta", None),
}

# method: (the definition of its params, whether params are required in the handshake revisions;
# every request of 2026-07-28 needs them, see _Revision.params_required)
_REQUESTS: Final[dict[str, tuple[str, bool]]] = {
    "initialize": ("InitializeRequestParams", True),
    "ping": ("RequestParams", False),
    "server/discover": ("RequestParams", True),
    "tools/list": ("PaginatedRequestParams", False),
    "tools/call": ("CallToolRequestParams", True),
    "resources/list": ("PaginatedRequestParams", False),
    "resources/templates/list": ("PaginatedRequestParams", False),
    "resources/read": ("ReadResourceRequestParams", True),
    "resources/subscribe": ("ResourceRequestParams", True),
    "resources/unsubscribe": ("ResourceRequestParams", True),
    "subscriptions/listen": ("SubscriptionsListenRequestParams", True),
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
    "notifications/subscriptions/acknowledged": ("SubscriptionsAcknowledgedNotificationParams", True),
}
# The definition of each method's result, by the schemas' names (also used by ``_schema``).
RESULTS: Final[dict[str, str]] = {
    "initialize": "InitializeResult",
    "ping": "Result",
    "server/discover": "DiscoverResult",
    "tools/list": "ListToolsResult",
    "tools/call": "CallToolResult",
    "resources/list": "ListResourcesResult",
    "resources/templates/list": "ListResourceTemplatesResult",
    "resources/read": "ReadResourceResult",
    "resources/subscribe": "Result",
    "resources/unsubscribe": "Result",
    "subscriptions/listen": "SubscriptionsListenResult",
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
# Requests that may be answered with an input-required result instead (2026-07-28).
_INPUT_METHODS: Final = frozenset({"tools/call", "prompts/get", "resources/read"})
# The server's requests of the handshake revisions that 2026-07-28 turned into input requests.
_INPUT_REQUESTS: Final = frozenset({"sampling/createMessage", "elicitation/create", "roots/list"})
# The experimental tasks of 2025-11-25 live on in 2026-07-28 as an extension
# (io.modelcontextprotocol/tasks) that reuses some of their names: whether such a message is
# right is for that extension to say, so these are never reported as removed methods.
_EXTENSION_METHODS: Final = frozenset(
    {"tasks/get", "tasks/result", "tasks/cancel", "tasks/list", "notifications/tasks/status"}
)
# A client that speaks both eras probes with this before any handshake (in the revision the probe
# names), so it is no sign of a peer that mixes revisions.
_ERA_PROBE: Final = "server/discover"
# Error codes whose data has a definition: code -> (the definition, the feature it needs).
_ERROR_DATA: Final[dict[int, tuple[str, str]]] = {
    -32042: ("URLElicitationRequiredData", "elicitation_ids"),
    -32021: ("MissingClientCapabilityData", "modern_errors"),
    -32022: ("UnsupportedProtocolVersionData", "modern_errors"),
}
# 2026-07-28 reserves -32020..-32099 for codes the specification defines, and retires two codes.
_SPEC_CODES: Final = range(-32099, -32019)
_DEFINED_CODES: Final = frozenset({-32020, -32021, -32022})
_RETIRED_CODES: Final = {-32002: "resource not found is -32602 now", -32042: "it was 2025-11-25's alone"}
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
    "ms": _scalar(lambda v: _is_int(v) and v >= 0, "a non-negative integer"),
    "bool": _scalar(lambda v: type(v) is bool, "a boolean"),
    "object": _scalar(lambda v: isinstance(v, dict), "an object"),
    "null": _scalar(lambda v: v is None, "null"),
    "id": _scalar(lambda v: isinstance(v, str) or _is_int(v), "a string or an integer"),
    "any": Any,
}


def _literal(values: tuple[str, ...]) -> Any:
    expected = " or ".join(repr(v) for v in values)
    return _scalar(lambda v: isinstance(v, str) and v in values, expected)


def _constant(number: int) -> Any:
    return _scalar(lambda v: _is_int(v) and v == number, f"the integer {number}")


def _is_constant(spec: str) -> bool:
    return spec.removeprefix("-").isdigit()


# -- models -------------------------------------------------------------------------------------


class _Model(BaseModel):
    """A definition of one revision: open to unknown fields, like the schema's objects."""

    model_config = ConfigDict(extra="allow", strict=True)

    # Fields gated out of this revision: ("later", the first revision with it) or ("earlier",
    # the last revision with it).
    mcp_absent: ClassVar[dict[str, tuple[Kind, str]]] = {}
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
        self.rank = VERSIONS.index(revision.version)
        self.features = _features(revision)
        self._types: dict[str, tuple[Any, bool]] = {}
        self._adapters: dict[str, TypeAdapter[Any]] = {}
        # Per tagged union: its tag field, the tags this revision has, and those it lacks.
        self.tags: dict[str, tuple[str, tuple[str, ...], dict[str, tuple[Kind, str]]]] = {}
        self.methods = methods = _methods(revision)
        # Methods of other revisions: the first later revision that has each, the last earlier.
        self.later_methods: dict[str, str] = {}
        for version in VERSIONS[self.rank + 1 :]:
            for name in _methods(REVISIONS[version]) - methods - {_ERA_PROBE}:
                self.later_methods.setdefault(name, version)
        self.removed_methods: dict[str, str] = {}
        for version in VERSIONS[: self.rank]:
            for name in _methods(REVISIONS[version]) - methods - _EXTENSION_METHODS:
                self.removed_methods[name] = version

    def has(self, feature: str) -> bool:
        if feature.startswith("!"):
            return feature[1:] not in self.features
        return feature in self.features

    def absent(self, feature: str) -> tuple[Kind, str]:
        """Why this revision lacks ``feature``: it comes with a later revision (the first one),
        or an earlier revision was the last to have it."""
        first, last = _span(feature)
        if first is None or last is None:
            return "later", FEATURES.get(feature, "a later revision")
        if VERSIONS.index(first) > self.rank:
            return "later", first
        return "earlier", last

    def absent_text(self, kind: Kind, version: str) -> str:
        if kind == "later":
            return f"is not defined in revision {self.version} (it comes with {version})"
        return f"is not defined in revision {self.version} (it was dropped after {version})"

    def params_required(self, method: str) -> bool:
        """Whether a message of ``method`` (a key of the method tables) must have params. The
        tables say so for the handshake revisions; in 2026-07-28 every request carries its
        revision and its client's capabilities in ``params._meta``, so no request goes without."""
        if method in _REQUESTS:
            return _REQUESTS[method][1] or self.has("meta_envelope")
        return _NOTIFICATIONS[method][1]

    def definition(self, name: str) -> str:
        """Our type expression for the official definition ``name`` (see :func:`model_of`)."""
        renamed = _OFFICIAL_NAMES.get(name)
        if renamed is not None and (renamed[1] is None or self.has(renamed[1])):
            return renamed[0]
        if name in _DEFS or name in _TAGGED or name in _ALIASES:
            return name
        raise DefinitionError(
            f"no model of {name!r} in revision {self.version}: the messages of a method are checked with"
            " check_message, their parts by the names of the official schema (CallToolResult, Tool, ...)"
        )

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
        if _is_constant(spec):
            return _constant(int(spec)), False
        if spec in _SCALARS:
            return _SCALARS[spec], False
        if spec in _TAGGED:
            return self._tagged(spec)
        if spec in _ALIASES:
            members = [m for m, feature in _ALIASES[spec] if feature is None or self.has(feature)]
            return self.resolve("|".join(members))
        return self._model(spec), True

    def _model(self, name: str) -> type[_Model]:
        gates = {**_KEY_GATES, **GATED.get(name, {}), **_GATES.get(name, {})}
        optional_with = _OPTIONAL_WITH.get(name, {})
        fields: dict[str, Any] = {}
        absent: dict[str, tuple[Kind, str]] = {}
        base64: list[str] = []
        nested: list[str] = []
        for number, (key, spec) in enumerate(_DEFS[name].items()):
            optional = key.endswith("?")
            key = key.removesuffix("?")
            feature = gates.get(key)
            if feature is not None and not self.has(feature):
                if name not in _OPEN:
                    absent[key] = self.absent(feature)
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
        model.mcp_absent = absent
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
        absent = {
            tag: self.absent(feature)
            for tag, (_, feature) in members.items()
            if feature and not self.has(feature)
        }
        self.tags[name] = (key, tuple(present), absent)
        if default is not None and len(present) == 1:
            # A default tag and nothing else to choose: the one definition, which then sees
            # (and reports) the tag field as another revision's name if it lacks it.
            return self.resolve(present[default])

        def pick(value: Any) -> str | None:
            if isinstance(value, dict):
                tag = value.get(key, default)
                if isinstance(tag, str) and tag in present:
                    return f"={present[tag]}"
            elif isinstance(value, _Model):
                # Dumping a validated value: its model is named after its definition.
                return f"={type(value).__name__}"
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
            key, present, absent = self.tags[kind.removeprefix("mcp_tag:")]
            if not isinstance(value, dict):
                return f"should be an object{_got(value)}"
            tag = value.get(key)
            if key not in value:
                return f"{key!r} is required"
            if isinstance(tag, str) and tag in absent:
                return f"{key} {tag!r} {self.absent_text(*absent[tag])}"
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
        """The rules the types cannot state: other revisions' names and base64 content."""
        if isinstance(value, _Model):
            model = type(value)
            extra = value.__pydantic_extra__
            if extra and model.mcp_absent:
                for key in extra:
                    found = model.mcp_absent.get(key)
                    if found is not None:
                        yield Problem(_path(path, (key,)), self.absent_text(*found), found[0])
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
        probe = self._probe(name, method, message)
        if probe is not None:
            return probe.message(message, sender, method, path)
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
        elif intended == "JSONRPCError" and not problems:
            problems.extend(self._error(message["error"], _path(path, ("error",))))
        return _dedupe(problems)

    def _probe(self, name: Any, method: str | None, message: dict[str, Any]) -> _Revision | None:
        """The revision that judges an era probe (``server/discover``) seen in a revision that
        lacks it, as a client that speaks both eras sends before any handshake: the revision
        the probe names in its envelope, or for the answer, the newest that has the method."""
        if _ERA_PROBE in self.methods or _ERA_PROBE not in (name, method):
            return None
        if name != _ERA_PROBE:
            return _models(next(v for v in reversed(VERSIONS) if _ERA_PROBE in _methods(REVISIONS[v])))
        params = message.get("params")
        meta = params.get("_meta") if isinstance(params, dict) else None
        named = meta.get("io.modelcontextprotocol/protocolVersion") if isinstance(meta, dict) else None
        if isinstance(named, str) and named in REVISIONS and _ERA_PROBE in _methods(REVISIONS[named]):
            return _models(named)
        return None

    def _error(self, error: dict[str, Any], path: str) -> Iterator[Problem]:
        """What the schema's message union cannot hold of an error (it admits any code with any
        data): the data of the errors that have a definition of their own, and the codes that
        2026-07-28 keeps for itself or retired."""
        code = int(error["code"])  # the envelope has checked that it is an integer
        entry = _ERROR_DATA.get(code)
        if entry is not None and self.has(entry[1]):
            where = _path(path, ("data",))
            if "data" in error:
                yield from self.validate(entry[0], error["data"], where, "stricter")
            else:
                yield Problem(where, f"is required with code {code}", "stricter")
        if self.has("modern_errors"):
            where = _path(path, ("code",))
            if code in _RETIRED_CODES:
                reason = _RETIRED_CODES[code]
                yield Problem(where, f"{code} is retired in revision {self.version} ({reason})", "stricter")
            elif code in _SPEC_CODES and code not in _DEFINED_CODES:
                yield Problem(
                    where,
                    f"{code} lies in -32099..-32020, which revision {self.version} keeps for the codes"
                    " it defines (-32020, -32021, -32022)",
                    "stricter",
                )

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
            any(p.kind == "schema" for p in problems)
            and not exact
            and any(self._admits(other, message) for other in _ENVELOPES if other != intended)
        ):
            problems = [Problem(p.path, p.text, "stricter") if p.kind == "schema" else p for p in problems]
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
            elif name in self.removed_methods:
                # Not a method of the peer's own but one that this revision removed: its
                # unions of client and server messages lack it, so the schema refuses it.
                text = (
                    f"method {name!r} is not part of revision {self.version}"
                    f" (it was dropped after {self.removed_methods[name]})"
                )
                if name in _INPUT_REQUESTS and self.has("input_required"):
                    text += "; a server asks for it as an entry of an input-required result instead"
                problems.append(Problem(path, text))
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
        definition = table[name][0]
        where = _path(path, ("params",))
        if "params" not in message:
            if self.params_required(name):
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
        if method in _INPUT_METHODS and self.has("input_required") and isinstance(result, dict):
            return self._input_or(definition, result, path)
        return self.validate(definition, result, path)

    def _input_or(self, definition: str, result: dict[str, Any], path: str) -> list[Problem]:
        """A result of a request that may be answered with an input-required result instead.
        The schema admits either (anyOf), and an input-required result is little more than a
        string ``resultType``: we check the result as the one its ``resultType`` names, and what
        the other one admits is stricter than the schema."""
        either = f"InputRequiredResult|{definition}"
        kind = result.get("resultType")
        if kind == "input_required":
            problems = self.validate("InputRequiredResult", result, path)
            if not problems and "inputRequests" not in result and "requestState" not in result:
                text = "an input-required result needs inputRequests, requestState or both"
                problems.append(Problem(path, text, "stricter"))
        elif kind == "complete" or not isinstance(kind, str):
            problems = self.validate(definition, result, path)
        else:
            # Another type (an extension's, such as the tasks extension's "task"): the union is
            # all that can be said of it.
            return self.validate(either, result, path)
        if any(p.kind == "schema" for p in problems) and self._admits(either, result):
            problems = [Problem(p.path, p.text, "stricter") if p.kind == "schema" else p for p in problems]
        return problems

    def _admits(self, spec: str, value: Any) -> bool:
        """Whether the schema's own types accept ``value`` as ``spec``."""
        return not any(p.kind == "schema" for p in self.validate(spec, value, ""))


def _methods(revision: Revision) -> frozenset[str]:
    return (
        revision.client_requests
        | revision.server_requests
        | revision.client_notifications
        | revision.server_notifications
    )


@cache
def _models(version: str) -> _Revision:
    revision = REVISIONS.get(version)
    if revision is None:
        raise RevisionError(f"no models of revision {version!r}; these are: {', '.join(VERSIONS)}")
    return _Revision(revision)


# -- helpers ------------------------------------------------------------------------------------


_RANK: Final[dict[Kind, int]] = {"schema": 0, "later": 1, "earlier": 1, "stricter": 2}


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
