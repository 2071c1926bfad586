"""2026-07-28 against its official schema: the example vectors, and everything our two sides send.

* Every one of the official example messages and objects (``examples/<Definition>/*.json``)
  validates against its own definition, so the vectors and our reading of the schema agree.
* Every example *request* is served by our server (one with the tools, prompts and resources
  the examples name), and each answer validates strictly against the example's
  ``*ResultResponse`` definition: fields the revision lacks fail.
* Every example envelope is read by ``mcpcore.modern.read_envelope``; every example input
  request (inside ``InputRequests``, ``InputRequiredResult``, and the sampling, elicitation and
  roots requests) is answered by our client's handlers into a result its schema accepts; the
  example errors carry the codes of ``mcpcore.errors``.
* A whole modern session of our client with our server, input rounds, listen stream, logs and
  progress included, is captured and validated message by message (``tests.schema_check``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from mcpcore import errors, modern
from mcpcore.client import Client
from mcpcore.dispatcher import Dispatcher
from mcpcore.server import Completion, Context, Server
from mcpcore.wire import Notification
from tests.http_util import eventually
from tests.schema_check import Capture, Recording, check
from tests.spec import SPEC_DIR, needs_spec
from transports.memory import create_pair

pytestmark = needs_spec
REVISION = "2026-07-28"
EXAMPLES = SPEC_DIR / REVISION / "examples"


def _examples() -> list[Path]:
    return sorted(EXAMPLES.rglob("*.json")) if EXAMPLES.is_dir() else []


ALL = _examples()


def _load(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def _of(definition: str) -> list[Any]:
    return [_load(p) for p in ALL if p.parent.name == definition]


def test_there_are_example_vectors() -> None:
    assert len(ALL) >= 129


@pytest.mark.parametrize("path", ALL, ids=[f"{p.parent.name}/{p.name}" for p in ALL])
def test_an_example_validates_against_its_definition(path: Path) -> None:
    from tests.schema_check import _validator

    errors_found = list(_validator(REVISION, path.parent.name, False).iter_errors(_load(path)))
    assert not errors_found, [e.message for e in errors_found[:3]]


def test_every_example_envelope_is_read() -> None:
    requests = [_load(p) for p in ALL if p.parent.name.endswith("Request") and "jsonrpc" in _load(p)]
    with_envelope = [r for r in requests if modern.is_modern(r.get("params"))]
    assert len(with_envelope) >= 9
    for request in with_envelope:
        envelope = modern.read_envelope(request["params"], (REVISION,))
        meta = request["params"]["_meta"]
        assert envelope.revision.version == meta[modern.PROTOCOL_VERSION]
        assert envelope.capabilities == meta[modern.CLIENT_CAPABILITIES]


def test_the_example_errors_carry_our_codes() -> None:
    expected = {
        "HeaderMismatchError": errors.HEADER_MISMATCH,
        "MissingRequiredClientCapabilityError": errors.MISSING_REQUIRED_CLIENT_CAPABILITY,
        "UnsupportedProtocolVersionError": errors.UNSUPPORTED_PROTOCOL_VERSION,
        "MethodNotFoundError": errors.METHOD_NOT_FOUND,
        "InvalidParamsError": errors.INVALID_PARAMS,
        "ParseError": errors.PARSE_ERROR,
        "InternalError": errors.INTERNAL_ERROR,
    }
    for definition, code in expected.items():
        found = _of(definition)
        assert found, definition
        # Some examples are whole responses, some only the error object.
        assert {e.get("error", e)["code"] for e in found} == {code}, definition


# -- the example requests, served by our server -------------------------------------------------


def example_server() -> Server:
    """A server with what the example requests name (tool get_weather, prompt code_review...)."""
    server = Server("examples", "1.0.0", instructions="serves the example requests")

    @server.tool()
    def get_weather(location: str) -> str:
        return f"sunny in {location}"

    @server.prompt()
    def code_review(code: str, language: str = "python") -> str:
        return f"Review this {language} code:\n{code}"

    @server.completion(prompt="code_review", argument="language")
    def languages(value: str, arguments: dict[str, str]) -> Completion:
        return Completion([v for v in ("python", "pytorch") if v.startswith(value)], total=2)

    @server.resource("file:///project/src/main.rs", mime_type="text/x-rust")
    def main_rs() -> str:
        return "fn main() {}"

    @server.resource("file:///project/config.json", mime_type="application/json")
    def config() -> str:
        return "{}"

    return server


SERVED = [
    p
    for p in ALL
    if p.parent.name.endswith("Request")
    and "jsonrpc" in _load(p)
    and modern.is_modern(_load(p).get("params"))
    and p.parent.name != "SubscriptionsListenRequest"
]


@pytest.mark.anyio
@pytest.mark.parametrize("path", SERVED, ids=[p.parent.name for p in SERVED])
async def test_an_example_request_is_served_and_its_answer_validates(path: Path) -> None:
    request = _load(path)
    ours, theirs = create_pair()
    server = example_server()
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, theirs)
        async with Dispatcher(ours) as client:
            result = await client.request(request["method"], request["params"], timeout=10)
        group.cancel_scope.cancel()
    definition = path.parent.name.removesuffix("Request") + "ResultResponse"
    check(REVISION, definition, {"jsonrpc": "2.0", "id": request["id"], "result": result})


@pytest.mark.anyio
async def test_the_example_listen_request_is_acknowledged_and_ended_as_the_schema_says() -> None:
    (request,) = _of("SubscriptionsListenRequest")
    ours, theirs = create_pair()
    server = example_server()
    notes: list[Notification] = []
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, theirs)
        async with Dispatcher(ours) as client:
            for method in (
                "notifications/subscriptions/acknowledged",
                "notifications/tools/list_changed",
                "notifications/resources/updated",
            ):
                client.on_notification(method, notes.append)
            result: list[Any] = []

            async def listen() -> None:
                result.append(
                    await client.request(
                        "subscriptions/listen", request["params"], timeout=10, request_id=request["id"]
                    )
                )

            group.start_soon(listen)
            await eventually(lambda: notes)
            server.add_tool(lambda: 1, name="another")
            await server.notify_resource_updated("file:///project/config.json")
            await eventually(lambda: len(notes) >= 3)
            server.end_subscriptions()
            await eventually(lambda: result)
        group.cancel_scope.cancel()
    assert notes[0].method == "notifications/subscriptions/acknowledged"
    for note in notes:
        definition = {
            "notifications/subscriptions/acknowledged": "SubscriptionsAcknowledgedNotification",
            "notifications/tools/list_changed": "ToolListChangedNotification",
            "notifications/resources/updated": "ResourceUpdatedNotification",
        }[note.method]
        check(REVISION, definition, {"jsonrpc": "2.0", "method": note.method, "params": note.params})
        assert isinstance(note.params, dict)
        assert note.params["_meta"][modern.SUBSCRIPTION_ID] == request["id"]
    check(
        REVISION,
        "SubscriptionsListenResultResponse",
        {"jsonrpc": "2.0", "id": request["id"], "result": result[0]},
    )


# -- the example input requests, answered by our client ---------------------------------------


async def _sampled(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": {"type": "text", "text": "Paris"},
        "model": "m",
        "stopReason": "endTurn",
    }


async def _elicited(params: dict[str, Any]) -> dict[str, Any]:
    return {"action": "accept", "content": {"name": "octocat"}}


def _input_requests() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for value in _of("InputRequests"):
        found += value.values()
    for value in _of("InputRequiredResult"):
        found += (value.get("inputRequests") or {}).values()
    for definition in ("CreateMessageRequest", "ElicitRequest", "ListRootsRequest"):
        found += [{"method": r["method"], "params": r.get("params", {})} for r in _of(definition)]
    return found


@pytest.mark.anyio
async def test_every_example_input_request_is_answered_into_a_valid_result() -> None:
    client = Client(Server("unused"), sampling=_sampled, elicitation=_elicited, roots=["file:///project"])
    results = {
        "sampling/createMessage": "CreateMessageResult",
        "elicitation/create": "ElicitResult",
        "roots/list": "ListRootsResult",
    }
    requests = _input_requests()
    assert {r["method"] for r in requests} == set(results)
    for request in requests:
        answer = await client._answer_input(request)
        check(REVISION, results[request["method"]], answer)


# -- a whole modern session, captured --------------------------------------------------------------


@pytest.mark.anyio
async def test_a_modern_session_of_our_client_and_server_validates_message_by_message() -> None:
    server = example_server()

    @server.tool()
    async def interview(ctx: Context) -> str:
        await ctx.info("starting")
        await ctx.report_progress(1, 3, "asking the model")
        answer = await ctx.sample("Capital of France?", max_tokens=10)
        roots = await ctx.list_roots()
        person = await ctx.elicit("Who?", {"type": "object", "properties": {"name": {"type": "string"}}})
        return f"{answer['content']['text']} {len(roots)} {person.content}"

    capture = Capture()
    ours, theirs = create_pair()
    progress: list[float] = []
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, theirs)
        async with Client(
            Recording(ours, capture), sampling=_sampled, elicitation=_elicited, roots=["file:///project"]
        ) as client:
            await client.set_logging_level("debug")
            await client.list_tools()
            await client.list_prompts()
            await client.list_resources()
            await client.list_resource_templates()
            await client.read_resource("file:///project/src/main.rs")
            await client.get_prompt("code_review", {"code": "x = 1"})
            await client.complete({"type": "ref/prompt", "name": "code_review"}, "language", "py")
            await client.call_tool("get_weather", {"location": "Oslo"})
            await client.call_tool("interview", {}, progress=lambda p, t, m: progress.append(p))
            with pytest.raises(errors.McpError):
                await client.read_resource("file:///nowhere")
            async with client.listen(tools=True) as sub:
                server.add_tool(lambda: 1, name="later")
                with anyio.fail_after(5):
                    await sub.__anext__()
        group.cancel_scope.cancel()
    assert capture.validate(REVISION) >= 30
    assert progress
