"""A raw stdio MCP server for the tests of the tools, resources, prompts, completion and
pagination scenarios.

With no argument it behaves: every list comes one item a page, the conventional fixtures answer
as the official suite expects, errors take the paths the spec recommends. ``sys.argv[1]`` is a
comma-separated set of faults, each breaking one rule so that a test can watch the check that
guards it fail (see ``FAULTS``). It is written by hand, with nothing but the standard library,
so that it misbehaves exactly as told and starts in a blink.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

FAULTS = frozenset(filter(None, sys.argv[1].split(","))) if len(sys.argv) > 1 else frozenset()
KNOWN_FAULTS = frozenset(
    {
        # lists and pagination
        "list-error",  # every list operation fails
        "templates-unrouted",  # resources/templates/list is "method not found"
        "duplicate-items",  # every list names its last item twice
        "cursor-rejected",  # the cursors it hands out are refused
        "cursor-loop",  # the second page points back at itself
        "invalid-cursor-ok",  # a cursor it never issued is taken for the start
        "invalid-cursor-crash",  # a cursor it never issued makes it exit without an answer
        # tools
        "bad-tool-name",
        "bad-schema",
        "unknown-tool-ok",
        "unknown-tool-iserror",
        "unknown-tool-code",
        "missing-name-ok",
        "no-validation",
        "validation-protocol-error",
        "error-fixture-rpc",
        "fixture-wrong-kind",
        "bad-base64",
        "bad-mime",
        "audio-early",
        "structured-mismatch",
        "structured-no-text",
        # resources
        "read-error",
        "bad-blob",
        "wrong-uri",
        "fixtures-swapped",
        "bad-template",
        "template-read-error",
        "template-no-substitution",
        "template-bad-blob",
        "unknown-resource-ok",
        "unknown-resource-code",
        "subscribe-error",
        "unsubscribe-error",
        "no-update",
        # prompts
        "prompt-get-error",
        "prompt-fixtures-wrong",
        "review-refuses",
        "prompt-bad-image",
        "prompt-embedded-no-mime",
        "unknown-prompt-ok",
        "missing-arg-ok",
        "prompt-error-codes",
        # completion
        "no-completions",
        "completion-error",
        "completion-too-many",
        "completion-bad-counts",
        "completion-unknown-ok",
    }
)
REVISIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
PAGE = 1  # one item a page: every list of the fake really is paginated
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
WAV = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA="
NOT_BASE64 = "%%% not base64 %%%"

revision = "2025-11-25"
subscriptions: set[str] = set()


class Failure(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def write(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")
    sys.stdout.flush()


def since(first: str) -> bool:
    return revision >= first


# -- lists ---------------------------------------------------------------------------------------

OBJECT: dict[str, Any] = {"type": "object"}


def string_arguments(*names: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: {"type": "string"} for name in names},
        "required": list(names),
    }


def tools() -> list[dict[str, Any]]:
    weather: dict[str, Any] = {
        "name": "weather",
        "description": "structured output",
        "inputSchema": string_arguments("city"),
    }
    if since("2025-03-26"):
        weather["annotations"] = {"readOnlyHint": True}
    if since("2025-06-18"):
        weather["outputSchema"] = {
            "type": "object",
            "properties": {"temperature": {"type": "number"}, "conditions": {"type": "string"}},
            "required": ["temperature", "conditions"],
        }
    listed = [
        {"name": "echo", "description": "says it back", "inputSchema": string_arguments("text")},
        weather,
        {"name": "touch", "description": "reports a change", "inputSchema": string_arguments("uri")},
    ]
    fixtures = ["test_simple_text", "test_image_content", "test_audio_content", "test_embedded_resource"]
    fixtures += ["test_multiple_content_types", "test_resource_link", "test_error_handling"]
    listed += [{"name": name, "inputSchema": OBJECT} for name in fixtures]
    if "bad-tool-name" in FAULTS:
        listed.append({"name": "bad name, with spaces", "inputSchema": OBJECT})
    if "bad-schema" in FAULTS:
        listed.append({"name": "broken_schema", "inputSchema": {"type": "object", "properties": 5}})
    return listed


RESOURCES = [
    {"uri": "demo://note", "name": "note", "mimeType": "text/plain"},
    {"uri": "test://static-text", "name": "static-text", "mimeType": "text/plain"},
    {"uri": "test://static-binary", "name": "static-binary", "mimeType": "image/png"},
]


def templates() -> list[dict[str, Any]]:
    first = "test://{oops" if "bad-template" in FAULTS else "demo://greeting/{name}"
    return [
        {"uriTemplate": first, "name": "greeting"},
        {"uriTemplate": "test://template/{id}/data", "name": "template", "mimeType": "application/json"},
        {"uriTemplate": "demo://files/{path}", "name": "files"},
    ]


def argument(name: str, required: bool = True) -> dict[str, Any]:
    return {"name": name, "required": required}


PROMPTS: list[dict[str, Any]] = [
    {"name": "test_simple_prompt"},
    {"name": "test_prompt_with_arguments", "arguments": [argument("arg1"), argument("arg2")]},
    {"name": "test_prompt_with_embedded_resource", "arguments": [argument("resourceUri")]},
    {"name": "test_prompt_with_image"},
    {"name": "greeting"},
    {"name": "review", "arguments": [argument("code"), argument("language", False)]},
]


def page(kind: str, items: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    if "list-error" in FAULTS:
        raise Failure(-32603, "the lists are broken today")
    if "duplicate-items" in FAULTS:
        items = [*items, items[-1]]
    cursor = params.get("cursor")
    offset = 0
    if cursor is not None:
        if "cursor-rejected" in FAULTS:
            raise Failure(-32602, "no cursors, please")
        found = re.fullmatch(rf"page-{re.escape(kind)}-(\d+)", cursor) if isinstance(cursor, str) else None
        if found is not None:
            offset = int(found.group(1))
        elif "invalid-cursor-crash" in FAULTS:
            sys.exit(3)
        elif "invalid-cursor-ok" not in FAULTS:
            raise Failure(-32602, "Invalid cursor", {"cursor": cursor})
    result: dict[str, Any] = {kind: items[offset : offset + PAGE]}
    if offset + PAGE < len(items):
        following = offset if "cursor-loop" in FAULTS and offset else offset + PAGE
        result["nextCursor"] = f"page-{kind}-{following}"
    return result


# -- tools ---------------------------------------------------------------------------------------


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def image() -> dict[str, Any]:
    return {
        "type": "image",
        "data": NOT_BASE64 if "bad-base64" in FAULTS else PNG,
        "mimeType": "png" if "bad-mime" in FAULTS else "image/png",
    }


def embedded(uri: str = "test://embedded", mime: bool = True) -> dict[str, Any]:
    resource: dict[str, Any] = {"uri": uri, "text": "embedded text"}
    if mime:
        resource["mimeType"] = "text/plain"
    return {"type": "resource", "resource": resource}


def call_tool(params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("name")
    arguments = params.get("arguments") or {}
    known = {tool["name"] for tool in tools()}
    if not isinstance(name, str):
        if "missing-name-ok" in FAULTS:
            return {"content": [text("called nothing")]}
        raise Failure(-32602, "tools/call needs a name")
    if name not in known:
        if "unknown-tool-ok" in FAULTS:
            return {"content": [text(f"pretended to call {name}")]}
        if "unknown-tool-iserror" in FAULTS:
            return {"content": [text(f"Unknown tool: {name}")], "isError": True}
        raise Failure(-32601 if "unknown-tool-code" in FAULTS else -32602, f"Unknown tool: {name}")
    if name in ("echo", "weather", "touch"):
        wanted = {"echo": "text", "weather": "city", "touch": "uri"}[name]
        if not isinstance(arguments.get(wanted), str) and "no-validation" not in FAULTS:
            if "validation-protocol-error" in FAULTS:
                raise Failure(-32602, f"{name} needs the string argument {wanted}")
            return {"content": [text(f"{name} needs the string argument {wanted}")], "isError": True}
    if name == "echo":
        return {"content": [text(str(arguments.get("text")))]}
    if name == "weather":
        structured: dict[str, Any] = {"temperature": 21.5, "conditions": "sunny"}
        if "structured-mismatch" in FAULTS:
            structured = {"temperature": "warm"}
        shown = "sunny and mild" if "structured-no-text" in FAULTS else json.dumps(structured)
        result: dict[str, Any] = {"content": [text(shown)]}
        if since("2025-06-18"):
            result["structuredContent"] = structured
        return result
    if name == "touch":
        uri = arguments["uri"]
        if uri in subscriptions and "no-update" not in FAULTS:
            write({"method": "notifications/resources/updated", "params": {"uri": uri}})
        return {"content": [text(f"touched {uri}")]}
    wrong = "fixture-wrong-kind" in FAULTS
    if name == "test_simple_text":
        blocks = [image()] if wrong else [text("This is a simple text response for testing.")]
        if "audio-early" in FAULTS:
            blocks.append({"type": "audio", "data": WAV, "mimeType": "audio/wav"})
        return {"content": blocks}
    if name == "test_image_content":
        return {"content": [text("no picture today")] if wrong else [image()]}
    if name == "test_audio_content":
        if wrong or not since("2025-03-26"):
            return {"content": [text("this revision has no audio")]}
        return {"content": [{"type": "audio", "data": WAV, "mimeType": "audio/wav"}]}
    if name == "test_embedded_resource":
        return {"content": [text("nothing embedded")] if wrong else [embedded()]}
    if name == "test_multiple_content_types":
        return {
            "content": [text("just text")]
            if wrong
            else [text("Multiple content types test:"), image(), embedded()]
        }
    if name == "test_resource_link":
        if wrong or not since("2025-06-18"):
            return {"content": [text("this revision has no resource links")]}
        return {"content": [{"type": "resource_link", "uri": "test://static-text", "name": "static-text"}]}
    if "error-fixture-rpc" in FAULTS:
        raise Failure(-32603, "the tool broke")
    return {"content": [text("This tool intentionally returns an error for testing")], "isError": True}


# -- resources -----------------------------------------------------------------------------------


def read(params: dict[str, Any]) -> dict[str, Any]:
    uri = params.get("uri")
    if not isinstance(uri, str):
        raise Failure(-32602, "resources/read needs a uri")
    shown = "demo://somewhere-else" if "wrong-uri" in FAULTS else uri
    item: dict[str, Any] = {"uri": shown, "mimeType": "text/plain"}
    if uri == "demo://note":
        if "read-error" in FAULTS:
            raise Failure(-32603, "the note is unreadable")
        if "bad-blob" in FAULTS:
            item["blob"] = NOT_BASE64
        else:
            item["text"] = "a note"
    elif uri == "test://static-text":
        if "fixtures-swapped" in FAULTS:
            item["blob"] = PNG
        else:
            item["text"] = "This is the content of the static text resource."
    elif uri == "test://static-binary":
        item["mimeType"] = "image/png"
        if "fixtures-swapped" in FAULTS:
            item["text"] = "not binary at all"
        else:
            item["blob"] = PNG
    elif found := re.fullmatch(
        r"(?:test://template/([^/]+)/data|demo://greeting/(.+)|demo://files/(.+))", uri
    ):
        if "template-read-error" in FAULTS:
            raise Failure(-32602, "no such item")
        value = next(group for group in found.groups() if group is not None)
        if "template-bad-blob" in FAULTS:
            item["blob"] = NOT_BASE64
        else:
            item["text"] = "some data" if "template-no-substitution" in FAULTS else f"data for {value}"
    else:
        if "unknown-resource-ok" in FAULTS:
            return {"contents": []}
        code = -32602 if "unknown-resource-code" in FAULTS else -32002
        raise Failure(code, "Resource not found", {"uri": uri})
    return {"contents": [item]}


def subscribe(method: str, params: dict[str, Any]) -> dict[str, Any]:
    uri = params.get("uri")
    if not isinstance(uri, str):
        raise Failure(-32602, f"{method} needs a uri")
    if method == "resources/subscribe":
        if "subscribe-error" in FAULTS:
            raise Failure(-32603, "subscriptions are down")
        subscriptions.add(uri)
    else:
        if "unsubscribe-error" in FAULTS:
            raise Failure(-32603, "you are stuck with it")
        subscriptions.discard(uri)
    return {}


# -- prompts and completion ----------------------------------------------------------------------


def user(content: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": content}


def get_prompt(params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("name")
    arguments = params.get("arguments") or {}
    prompt = next((p for p in PROMPTS if p["name"] == name), None)
    if prompt is None:
        if "unknown-prompt-ok" in FAULTS:
            return {"messages": [user(text("made up"))]}
        raise Failure(0 if "prompt-error-codes" in FAULTS else -32602, f"Unknown prompt: {name}")
    missing = [a["name"] for a in prompt.get("arguments", []) if a["required"] and a["name"] not in arguments]
    if missing and "missing-arg-ok" not in FAULTS:
        raise Failure(0 if "prompt-error-codes" in FAULTS else -32602, f"Missing arguments: {missing}")
    wrong = "prompt-fixtures-wrong" in FAULTS
    if name == "test_simple_prompt":
        content = (
            {"type": "image", "data": PNG, "mimeType": "image/png"} if wrong else text("A simple prompt.")
        )
    elif name == "test_prompt_with_arguments":
        content = (
            text("Arguments ignored.")
            if wrong
            else text(f"arg1={arguments.get('arg1')} arg2={arguments.get('arg2')}")
        )
    elif name == "test_prompt_with_embedded_resource":
        no_mime = "prompt-embedded-no-mime" in FAULTS
        content = (
            text("no resource") if wrong else embedded(str(arguments.get("resourceUri")), mime=not no_mime)
        )
    elif name == "test_prompt_with_image":
        data = NOT_BASE64 if "prompt-bad-image" in FAULTS else PNG
        content = text("no image") if wrong else {"type": "image", "data": data, "mimeType": "image/png"}
    elif name == "greeting":
        if "prompt-get-error" in FAULTS:
            raise Failure(-32603, "the greeting broke")
        content = text("Hello!")
    else:
        if "review-refuses" in FAULTS:
            raise Failure(-32602, "that is no code")
        content = text(f"Review this: {arguments.get('code')}")
    return {"messages": [user(content)]}


def complete(params: dict[str, Any]) -> dict[str, Any]:
    if "completion-error" in FAULTS:
        raise Failure(-32603, "completion is broken")
    ref = params.get("ref") or {}
    known_prompt = ref.get("type") == "ref/prompt" and any(p["name"] == ref.get("name") for p in PROMPTS)
    known_template = ref.get("type") == "ref/resource" and any(
        t["uriTemplate"] == ref.get("uri") for t in templates()
    )
    if not known_prompt and not known_template:
        if "completion-unknown-ok" not in FAULTS:
            raise Failure(-32602, f"nothing to complete for {ref}")
        values: list[str] = []
    elif "completion-too-many" in FAULTS:
        values = [f"value-{n}" for n in range(101)]
    else:
        values = ["alpha", "beta", "gamma"] if known_prompt else ["123", "456"]
    total = 1 if "completion-bad-counts" in FAULTS else len(values)
    return {"completion": {"values": values, "total": total, "hasMore": False}}


# -- the loop ------------------------------------------------------------------------------------


def initialize(params: dict[str, Any]) -> dict[str, Any]:
    global revision
    asked = params.get("protocolVersion")
    revision = asked if asked in REVISIONS else REVISIONS[-1]
    capabilities: dict[str, Any] = {
        "tools": {},
        "resources": {"subscribe": True},
        "prompts": {},
    }
    if since("2025-03-26") and "no-completions" not in FAULTS:
        capabilities["completions"] = {}
    return {
        "protocolVersion": revision,
        "capabilities": capabilities,
        "serverInfo": {"name": "fake", "version": "1"},
    }


def handle(method: str, params: dict[str, Any]) -> dict[str, Any]:
    if method == "initialize":
        return initialize(params)
    if method == "ping":
        return {}
    if method == "tools/list":
        return page("tools", tools(), params)
    if method == "tools/call":
        return call_tool(params)
    if method == "resources/list":
        return page("resources", RESOURCES, params)
    if method == "resources/templates/list":
        if "templates-unrouted" in FAULTS:
            raise Failure(-32601, "Method not found")
        return page("resourceTemplates", templates(), params)
    if method == "resources/read":
        return read(params)
    if method in ("resources/subscribe", "resources/unsubscribe"):
        return subscribe(method, params)
    if method == "prompts/list":
        return page("prompts", PROMPTS, params)
    if method == "prompts/get":
        return get_prompt(params)
    if method == "completion/complete" and "no-completions" not in FAULTS:
        return complete(params)
    raise Failure(-32601, "Method not found")


def main() -> None:
    unknown = FAULTS - KNOWN_FAULTS
    if unknown:
        sys.exit(f"features_fake: unknown faults {sorted(unknown)}")
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict) or "id" not in message or not isinstance(message.get("method"), str):
            continue
        params = message.get("params")
        try:
            result = handle(message["method"], params if isinstance(params, dict) else {})
        except Failure as failure:
            error: dict[str, Any] = {"code": failure.code, "message": failure.message}
            if failure.data is not None:
                error["data"] = failure.data
            write({"id": message["id"], "error": error})
        else:
            write({"id": message["id"], "result": result})


if __name__ == "__main__":
    main()
