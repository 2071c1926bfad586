"""The shapes of MCP entities as they travel: typed dictionaries, not models.

MCP messages are JSON, and the engine hands them around as the dicts orjson gives. These
``TypedDict`` classes type those dicts for editors and mypy at no run-time cost: the server
builds them, the client returns them, and nothing is copied into model objects on the way.
(pydantic is used where validation matters: tool arguments, output schemas, elicitation.)

Each class lists the fields of the newest handshake revision; a field that a revision lacks is
removed before it is sent to a peer that negotiated that revision (see ``mcpcore._shapes``).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, Required, TypeAlias, TypedDict

__all__ = [
    "LOGGING_LEVELS",
    "Annotations",
    "AudioContent",
    "BlobResourceContents",
    "CallToolResult",
    "Completion",
    "ContentBlock",
    "CreateMessageResult",
    "EmbeddedResource",
    "GetPromptResult",
    "Icon",
    "ImageContent",
    "Implementation",
    "LoggingLevel",
    "Prompt",
    "PromptArgument",
    "PromptMessage",
    "ReadResourceResult",
    "Resource",
    "ResourceContents",
    "ResourceLink",
    "ResourceTemplate",
    "Role",
    "TextContent",
    "TextResourceContents",
    "Tool",
    "ToolAnnotations",
]

Role: TypeAlias = Literal["user", "assistant"]
LoggingLevel: TypeAlias = Literal[
    "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"
]
LOGGING_LEVELS: tuple[LoggingLevel, ...] = (
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
)
"""The syslog severities (RFC 5424) in increasing order."""


class Icon(TypedDict, total=False):
    src: Required[str]
    mimeType: str
    sizes: list[str]
    theme: Literal["light", "dark"]


class Implementation(TypedDict, total=False):
    name: Required[str]
    version: Required[str]
    title: str
    description: str
    websiteUrl: str
    icons: list[Icon]


class Annotations(TypedDict, total=False):
    audience: list[Role]
    priority: float
    lastModified: str


class ToolAnnotations(TypedDict, total=False):
    title: str
    readOnlyHint: bool
    destructiveHint: bool
    idempotentHint: bool
    openWorldHint: bool


class TextContent(TypedDict):
    type: Literal["text"]
    text: str
    annotations: NotRequired[Annotations]
    _meta: NotRequired[dict[str, Any]]


class ImageContent(TypedDict):
    type: Literal["image"]
    data: str  # base64
    mimeType: str
    annotations: NotRequired[Annotations]
    _meta: NotRequired[dict[str, Any]]


class AudioContent(TypedDict):
    type: Literal["audio"]
    data: str  # base64
    mimeType: str
    annotations: NotRequired[Annotations]
    _meta: NotRequired[dict[str, Any]]


class TextResourceContents(TypedDict):
    uri: str
    text: str
    mimeType: NotRequired[str]
    _meta: NotRequired[dict[str, Any]]


class BlobResourceContents(TypedDict):
    uri: str
    blob: str  # base64
    mimeType: NotRequired[str]
    _meta: NotRequired[dict[str, Any]]


ResourceContents: TypeAlias = TextResourceContents | BlobResourceContents


class EmbeddedResource(TypedDict):
    type: Literal["resource"]
    resource: ResourceContents
    annotations: NotRequired[Annotations]
    _meta: NotRequired[dict[str, Any]]


class Resource(TypedDict, total=False):
    uri: Required[str]
    name: Required[str]
    title: str
    description: str
    mimeType: str
    annotations: Annotations
    size: int
    icons: list[Icon]
    _meta: dict[str, Any]


class ResourceLink(Resource):
    type: Required[Literal["resource_link"]]


ContentBlock: TypeAlias = TextContent | ImageContent | AudioContent | ResourceLink | EmbeddedResource


class ResourceTemplate(TypedDict, total=False):
    uriTemplate: Required[str]
    name: Required[str]
    title: str
    description: str
    mimeType: str
    annotations: Annotations
    icons: list[Icon]
    _meta: dict[str, Any]


class Tool(TypedDict, total=False):
    name: Required[str]
    inputSchema: Required[dict[str, Any]]
    title: str
    description: str
    outputSchema: dict[str, Any]
    annotations: ToolAnnotations
    icons: list[Icon]
    _meta: dict[str, Any]


class CallToolResult(TypedDict, total=False):
    content: Required[list[ContentBlock]]
    structuredContent: dict[str, Any]
    isError: bool
    _meta: dict[str, Any]


class PromptArgument(TypedDict, total=False):
    name: Required[str]
    title: str
    description: str
    required: bool


class Prompt(TypedDict, total=False):
    name: Required[str]
    title: str
    description: str
    arguments: list[PromptArgument]
    icons: list[Icon]
    _meta: dict[str, Any]


class PromptMessage(TypedDict):
    role: Role
    content: ContentBlock


class GetPromptResult(TypedDict, total=False):
    messages: Required[list[PromptMessage]]
    description: str
    _meta: dict[str, Any]


class ReadResourceResult(TypedDict, total=False):
    contents: Required[list[ResourceContents]]
    _meta: dict[str, Any]


class Completion(TypedDict, total=False):
    values: Required[list[str]]
    total: int
    hasMore: bool


class CreateMessageResult(TypedDict, total=False):
    role: Required[Role]
    content: Required[Any]  # a content block, or (2025-11-25) a list of them
    model: Required[str]
    stopReason: str
    _meta: dict[str, Any]
