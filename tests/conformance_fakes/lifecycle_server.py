"""A raw stdio MCP server for the lifecycle and JSON-RPC scenarios' tests.

Without faults it keeps every rule those scenarios check: JSON-RPC errors for text that is not
JSON (-32700) and for malformed envelopes (-32600, ``id`` null when unreadable), -32601 for
unknown methods, -32602 for bad params, batches under 2025-03-26 only, no answer to
notifications or to stray responses, requests refused before ``initialize``, a second
``initialize`` refused. It declares ``tools`` (one ``echo`` tool) and ``logging`` only.

``sys.argv[1]`` is a comma-separated list of faults, each breaking one rule (``good``: none):

* ``init-error``: initialize is answered with an error;
* ``wrong-version``: initialize answers 2024-11-05 (2025-03-26 when asked for 2024-11-05);
* ``bad-init-shape``: capabilities is a list, serverInfo has no version, instructions a number;
* ``reject-unknown-version`` / ``echo-any-version`` / ``offer-unsupported``: an unknown
  revision is refused / echoed / met with 2099-12-31, which the server then does not accept;
* ``silent-ping`` / ``no-ping-before-init``: ping is never answered / refused before initialize;
* ``serve-before-init``: requests before initialize are served;
* ``drop-before-initialized``: requests before notifications/initialized are dropped;
* ``tools-list-error``: tools/list always fails;
* ``second-init-silent`` / ``second-init-kills``: a second initialize is dropped / makes the
  server stop answering ping;
* ``serve-undeclared``: no capability is declared, yet tools, prompts, resources, completion
  and logging are served;
* ``set-level-error`` / ``accept-any-level``: logging/setLevel always fails / takes any level;
* ``answer-notifications``: every notification gets an error with id null;
* ``lax``: text that is not JSON, malformed envelopes, bad ids and empty batches are dropped;
* ``unknown-method-result`` / ``unknown-method-internal`` / ``bad-error-object``: an unknown
  method gets a result / -32603 / an error whose code is a string and without message;
* ``invalid-params-silent`` / ``invalid-params-internal``: tools/call without a name is
  dropped / gets -32603;
* ``big-ids-as-floats``: integer ids from 2**31 on are echoed as floats;
* ``mangle-string-ids``: non-ASCII characters of string ids are echoed as ``?``;
* ``duplicate-id-silent``: a request whose id was seen before is dropped;
* ``notification-as-request``: a notification method sent with an id gets a result;
* ``answer-responses``: a response to an unknown id gets an error back;
* ``no-batch`` / ``batch-unrolled`` / ``batch-empty-array`` / ``batch-always``: batches are
  dropped / answered line by line / notifications-only batches get ``[]`` / batches are
  served under every revision;
* ``echo-mangles``: the echo tool drops U+2028 and cuts its answer at 64 KiB.
"""

from __future__ import annotations

import json
import sys
from typing import Any

FAULTS = frozenset(
    part for part in (sys.argv[1] if len(sys.argv) > 1 else "good").split(",") if part != "good"
)
KNOWN = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
ECHO_TOOL = {
    "name": "echo",
    "description": "Say the message back.",
    "inputSchema": {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]},
}

state: dict[str, Any] = {"revision": None, "initialized": False, "seen": set(), "dead": False}


def fault(name: str) -> bool:
    return name in FAULTS


def write(message: Any) -> None:
    sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def result(key: Any, value: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": key, "result": value}


def error(key: Any, code: int, message: str) -> dict[str, Any]:
    if fault("bad-error-object"):
        return {"jsonrpc": "2.0", "id": key, "error": {"code": str(code)}}
    return {"jsonrpc": "2.0", "id": key, "error": {"code": code, "message": message}}


def valid_id(key: Any) -> bool:
    return isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool))


def envelope_problem(message: Any) -> str | None:
    if not isinstance(message, dict):
        return "a message must be an object"
    if message.get("jsonrpc") != "2.0":
        return 'jsonrpc must be "2.0"'
    if "method" in message and not isinstance(message["method"], str):
        return "method must be a string"
    if "id" in message and "method" in message and not valid_id(message["id"]):
        return "id must be a string or an integer"
    if "params" in message and not isinstance(message["params"], dict):
        return "params must be an object"
    return None


def initialize(key: Any, params: dict[str, Any]) -> dict[str, Any]:
    if state["revision"] is not None:
        return error(key, -32600, "already initialized")
    if fault("init-error"):
        return error(key, -32603, "initialize is broken")
    asked = params.get("protocolVersion")
    if asked in KNOWN:
        version = asked
    elif fault("reject-unknown-version"):
        return error(key, -32602, "unsupported protocol version")
    elif fault("echo-any-version"):
        version = asked
    elif fault("offer-unsupported"):
        version = "2099-12-31" if asked != "2099-12-31" else "2025-11-25"
    else:
        version = "2025-11-25"
    if fault("wrong-version"):
        version = "2025-03-26" if asked == "2024-11-05" else "2024-11-05"
    caps: Any = {"tools": {}, "logging": {}}
    info: dict[str, Any] = {"name": "lifecycle-fake", "version": "1.0.0"}
    answer: dict[str, Any] = {"protocolVersion": version, "capabilities": caps, "serverInfo": info}
    answer["instructions"] = "A fake for the lifecycle tests."
    if fault("serve-undeclared"):
        caps.clear()
    if fault("bad-init-shape"):
        answer["capabilities"] = ["tools"]
        del info["version"]
        answer["instructions"] = 42
    state["revision"] = version
    return result(key, answer)


def call_tool(key: Any, params: dict[str, Any]) -> dict[str, Any] | None:
    name = params.get("name")
    if not isinstance(name, str):
        if fault("invalid-params-silent"):
            return None
        return error(key, -32603 if fault("invalid-params-internal") else -32602, "params.name is missing")
    if name != "echo":
        return error(key, -32602, f"unknown tool {name}")
    text = (params.get("arguments") or {}).get("message")
    if not isinstance(text, str):
        return error(key, -32602, "arguments.message must be a string")
    if fault("echo-mangles"):
        text = text.replace("\u2028", "")[: 64 * 1024]
    return result(key, {"content": [{"type": "text", "text": text}]})


def request(message: dict[str, Any]) -> dict[str, Any] | None:
    key, method = message["id"], message["method"]
    params = message.get("params") or {}
    if fault("duplicate-id-silent") and json.dumps(key) in state["seen"]:
        return None
    state["seen"].add(json.dumps(key))
    if method == "ping":
        if fault("silent-ping") or state["dead"]:
            return None
        if fault("no-ping-before-init") and state["revision"] is None:
            return error(key, -32600, "initialize first")
        return result(key, {})
    if method == "initialize":
        if state["revision"] is not None:
            if fault("second-init-silent"):
                return None
            if fault("second-init-kills"):
                state["dead"] = True
        return initialize(key, params)
    if state["revision"] is None and not fault("serve-before-init"):
        return error(key, -32600, "initialize first")
    if not state["initialized"] and fault("drop-before-initialized"):
        return None
    if method.startswith("notifications/"):
        if fault("notification-as-request"):
            return result(key, {})
        return error(key, -32601, f"no request named {method}")
    if method == "tools/list":
        if fault("tools-list-error"):
            return error(key, -32603, "tools/list is broken")
        return result(key, {"tools": [ECHO_TOOL]})
    if method == "tools/call":
        return call_tool(key, params)
    if method == "logging/setLevel" and (not fault("serve-undeclared") or fault("accept-any-level")):
        if fault("set-level-error"):
            return error(key, -32603, "logging is broken")
        if params.get("level") not in LEVELS and not fault("accept-any-level"):
            return error(key, -32602, "unknown level")
        return result(key, {})
    if fault("serve-undeclared"):
        served = {
            "prompts/list": {"prompts": []},
            "resources/list": {"resources": []},
            "completion/complete": {"completion": {"values": []}},
            "logging/setLevel": {},
        }
        if method in served:
            return result(key, served[method])
    if fault("unknown-method-result"):
        return result(key, {})
    return error(key, -32603 if fault("unknown-method-internal") else -32601, f"no method {method}")


def one(message: Any) -> dict[str, Any] | None:
    """The answer to one message (None: no answer)."""
    problem = envelope_problem(message)
    if problem is not None:
        if fault("lax"):
            return None
        key = message.get("id") if isinstance(message, dict) else None
        return error(key if valid_id(key) else None, -32600, problem)
    if "method" not in message:
        if fault("answer-responses"):
            return error(message.get("id"), -32600, "no request of mine has this id")
        return None
    if "id" not in message:
        if message["method"] == "notifications/initialized":
            state["initialized"] = True
        if fault("answer-notifications"):
            return error(None, -32601, f"no handler for {message['method']}")
        return None
    if isinstance(message["id"], int) and message["id"] >= 2**31 and fault("big-ids-as-floats"):
        answer = request(message)
        if answer is not None:
            answer["id"] = float(answer["id"])
        return answer
    if isinstance(message["id"], str) and fault("mangle-string-ids"):
        answer = request(message)
        if answer is not None:
            answer["id"] = message["id"].encode("ascii", "replace").decode()
        return answer
    return request(message)


def batch(messages: list[Any]) -> None:
    batches = state["revision"] == "2025-03-26" or fault("batch-always")
    if fault("no-batch") or (fault("lax") and not messages):
        return
    if not batches:
        write(error(None, -32600, "this revision has no batches"))
        return
    if not messages:
        write(error(None, -32600, "an empty batch"))
        return
    answers = [answer for answer in map(one, messages) if answer is not None]
    if fault("batch-unrolled"):
        for answer in answers:
            write(answer)
    elif answers or fault("batch-empty-array"):
        write(answers)


def main() -> None:
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            if not fault("lax"):
                write(error(None, -32700, "parse error"))
            continue
        if isinstance(message, list):
            batch(message)
            continue
        answer = one(message)
        if answer is not None:
            write(answer)


if __name__ == "__main__":
    main()
