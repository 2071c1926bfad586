"""A raw 2026-07-28 client for the modern client scenarios' tests: ``FAKE_FAULT`` names how it
misbehaves, ``sys.argv[1]`` is the test server (a URL, or a command line for stdio).

It carries out ``modern-tools-call`` and ``modern-input-required`` with the standard library
alone, so that each fault is exactly one broken rule:

* ``none``: it keeps every rule;
* ``no-capabilities``: its requests' envelope lacks ``clientCapabilities``;
* ``no-name-header``: over HTTP, ``tools/call`` goes without ``Mcp-Name``;
* ``plain-param``: over HTTP, ``Mcp-Param-Note`` carries the note's ASCII-folded text, not its
  base64 form (the test server refuses the call);
* ``session-id``: over HTTP, every POST carries an ``Mcp-Session-Id`` nobody issued;
* ``same-id``: each retry reuses the first attempt's id;
* ``state-altered``: each retry sends back a requestState other than the one it was given;
* ``state-elsewhere``: it also sends the requestState on a ``tools/list`` between rounds.

In ``era-modern`` and ``era-fallback`` it probes with ``server/discover`` and falls back to a
2025-11-25 handshake on any error; the faults there:

* ``no-probe``: it starts with ``initialize``, never probing;
* ``keyed-fallback``: it falls back only when the probe's error is -32601, else gives up;
* ``initialize-anyway``: it initializes even after a DiscoverResult;
* ``envelope-after-fallback``: after falling back it still stamps the modern envelope.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

FAULT = os.environ.get("FAKE_FAULT", "none")
TARGET = sys.argv[1]
REVISION = "2026-07-28"
LEGACY = "2025-11-25"
NAMED = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
TIMEOUT = 20.0  # seconds per request
MAX_ROUNDS = 5


class Channel:
    def __init__(self, target: str) -> None:
        self.http = target.startswith("http://")
        self.url = target
        self.process: subprocess.Popen[bytes] | None = None
        self.session: str | None = None  # over HTTP, once a legacy handshake issued one
        if not self.http:
            argv = shlex.split(target)
            self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def call(self, message: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        if self.http:
            return self._post(message, headers)
        assert self.process is not None and self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()
        for _ in range(1000):  # bounded: notifications may come before the answer
            line = self.process.stdout.readline()
            if not line:
                raise SystemExit("the server closed stdout")
            answer: dict[str, Any] = json.loads(line)
            if "method" not in answer and answer.get("id") == message["id"]:
                return answer
        raise SystemExit("no answer among 1000 messages")

    def notify(self, message: dict[str, Any], headers: dict[str, str]) -> None:
        if self.http:
            self._post(message, headers)
            return
        assert self.process is not None and self.process.stdin
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()

    def _post(self, message: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        if self.session is not None:
            headers = {**headers, "mcp-session-id": self.session}
        request = urllib.request.Request(
            self.url,
            data=json.dumps(message).encode(),
            method="POST",
            headers={
                "content-type": "application/json",
                "accept": "application/json, text/event-stream",
                **headers,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                body = response.read()
                kind = response.headers.get("content-type", "")
                self.session = response.headers.get("mcp-session-id") or self.session
        except urllib.error.HTTPError as exc:
            body, kind = exc.read(), exc.headers.get("content-type", "")
        if kind.startswith("text/event-stream"):
            for line in body.decode().splitlines():
                if line.startswith("data:"):
                    item = json.loads(line[5:])
                    if "method" not in item:
                        return dict(item)
            raise SystemExit("the stream ended without an answer")
        return dict(json.loads(body)) if body else {}

    def close(self) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=TIMEOUT)


def header_value(value: str) -> str:
    if value.isascii():
        return value
    return "=?base64?" + base64.b64encode(value.encode()).decode() + "?="


class Client:
    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.ids = 0
        self.param_headers: dict[str, dict[str, str]] = {}  # tool -> argument -> header name

    def request(self, method: str, params: dict[str, Any], request_id: int | None = None) -> dict[str, Any]:
        if request_id is None:
            self.ids += 1
            request_id = self.ids
        meta: dict[str, Any] = {
            "io.modelcontextprotocol/protocolVersion": REVISION,
            "io.modelcontextprotocol/clientInfo": {"name": "fake", "version": "0"},
        }
        if FAULT != "no-capabilities":
            meta["io.modelcontextprotocol/clientCapabilities"] = {"elicitation": {}, "sampling": {}}
        params = {**params, "_meta": meta}
        headers = {"mcp-protocol-version": REVISION, "mcp-method": method}
        field = NAMED.get(method)
        if field is not None and not (FAULT == "no-name-header" and method == "tools/call"):
            headers["mcp-name"] = header_value(params[field])
        if method == "tools/call":
            for argument, name in self.param_headers.get(params["name"], {}).items():
                value = params.get("arguments", {}).get(argument)
                if isinstance(value, str):
                    sent = value.encode("ascii", "replace").decode() if FAULT == "plain-param" else value
                    headers[f"mcp-param-{name}"] = header_value(sent)
        if FAULT == "session-id":
            headers["mcp-session-id"] = "not-issued"
        message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        return self.channel.call(message, headers if self.channel.http else {})

    def list_tools(self) -> None:
        result = self.request("tools/list", {}).get("result", {})
        for tool in result.get("tools", []):
            properties = tool.get("inputSchema", {}).get("properties", {})
            self.param_headers[tool["name"]] = {
                key: prop["x-mcp-header"] for key, prop in properties.items() if "x-mcp-header" in prop
            }


def answer(request: dict[str, Any]) -> dict[str, Any]:
    if request.get("method") == "elicitation/create":
        return {"action": "accept", "content": {"city": "Paris"}}
    return {"role": "assistant", "content": {"type": "text", "text": "Walk."}, "model": "fake"}


def detect_and_call(channel: Channel, client: Client, params: dict[str, Any]) -> int:
    """The era scenarios: probe, fall back on an error, then call the tool in the era found."""
    modern = False
    if FAULT != "no-probe":
        probe = client.request("server/discover", {})
        modern = "result" in probe
        code = probe.get("error", {}).get("code")
        if not modern and FAULT == "keyed-fallback" and code != -32601:
            return 1  # waits for "method not found" alone, and so never falls back here
    if modern and FAULT != "initialize-anyway":
        client.request("tools/call", params)
        return 0
    client.ids += 1
    handshake = {
        "jsonrpc": "2.0",
        "id": client.ids,
        "method": "initialize",
        "params": {
            "protocolVersion": LEGACY,
            "capabilities": {},
            "clientInfo": {"name": "fake", "version": "0"},
        },
    }
    headers = {"mcp-protocol-version": LEGACY}
    if "result" not in channel.call(handshake, {}):
        return 1
    channel.notify({"jsonrpc": "2.0", "method": "notifications/initialized"}, headers)
    if FAULT == "envelope-after-fallback":
        client.request("tools/call", params)
        return 0
    client.ids += 1
    call = {"jsonrpc": "2.0", "id": client.ids, "method": "tools/call", "params": params}
    return 0 if "result" in channel.call(call, headers) else 1


def main() -> int:
    scenario = os.environ["MCP_CONFORMANCE_SCENARIO"]
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT", "{}"))
    channel = Channel(TARGET)
    client = Client(channel)
    try:
        if scenario.startswith("era-"):
            return detect_and_call(
                channel, client, {"name": context["tool"], "arguments": context["arguments"]}
            )
        client.list_tools()
        params = {"name": context["tool"], "arguments": context.get("arguments", {})}
        if scenario == "modern-tools-call":
            client.request("tools/call", params)
            return 0
        first_id: int | None = None
        current = dict(params)
        for _ in range(MAX_ROUNDS):
            reply = client.request("tools/call", current, first_id if FAULT == "same-id" else None)
            first_id = first_id or client.ids
            result = reply.get("result", {})
            if result.get("resultType") != "input_required":
                return 0 if "result" in reply else 1
            current = dict(params)
            current["inputResponses"] = {key: answer(r) for key, r in result.get("inputRequests", {}).items()}
            if "requestState" in result:
                state = result["requestState"]
                current["requestState"] = state + "x" if FAULT == "state-altered" else state
                if FAULT == "state-elsewhere":
                    client.request("tools/list", {"requestState": state})
        return 1
    finally:
        channel.close()


if __name__ == "__main__":
    sys.exit(main())
