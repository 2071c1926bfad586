"""Regression tests for bugs a review found in the MCP layer (server, client, signatures, shapes).

Each test replays one reviewed scenario and asserts the behaviour the fix promised, so the bug
cannot come back unnoticed. They lean on races (two sessions at once, a notification right
behind an answer, a connection dropped under a broadcast): every wait is bounded with
``anyio.fail_after`` so a regression shows as a failure, never as a hung test run."""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import anyio
import pydantic
import pytest
from typing_extensions import TypedDict as ExtTypedDict

from mcpcore import content
from mcpcore._jsonschema import Validator
from mcpcore.content import text_of
from mcpcore.dispatcher import Dispatcher, RequestContext
from mcpcore.errors import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    RESOURCE_NOT_FOUND,
    McpError,
    RequestTimeout,
)
from mcpcore.server import Context, Server, SessionState, ToolResult
from mcpcore.wire import ErrorResponse, Notification, Request, Response
from tests.legacy import LegacyClient as Client
from tests.peers import RawPeer
from tests.schema_check import served
from tests.spec import needs_spec
from transports.memory import MemoryTransport, create_pair

pytestmark = pytest.mark.anyio

CLIENT_INFO = {"name": "raw", "version": "0"}
SERVER_INFO = {"name": "fake", "version": "0"}
WAIT = 10  # seconds any one scenario may take before it counts as hung


async def wait_until(predicate: Callable[[], bool], what: str) -> None:
    """Yield to the loop until ``predicate`` holds (bounded in time and in rounds)."""
    with anyio.fail_after(WAIT):
        for _ in range(10_000):
            if predicate():
                return
            await anyio.sleep(0.001)
    raise AssertionError(f"never happened: {what}")


def leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside ``exc``, exception groups flattened."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


# -- lifespan ---------------------------------------------------------------------------------


async def test_two_sessions_connecting_at_once_share_one_lifespan() -> None:
    events: list[str] = []
    entered = 0

    @contextlib.asynccontextmanager
    async def lifespan(server: Server) -> AsyncIterator[dict[str, int]]:
        nonlocal entered
        entered += 1
        me = entered
        events.append(f"enter {me}")
        await anyio.sleep(0.01)  # widens the window in which a second session arrives
        try:
            yield {"pool": me}
        finally:
            events.append(f"exit {me} with {len(server.sessions)} sessions left")

    server = Server("s", lifespan=lifespan)

    @server.tool()
    async def which(ctx: Context) -> str:
        return repr(ctx.lifespan)

    seen: list[str] = []
    both_called = anyio.Event()

    async def one() -> None:
        async with Client(server) as client:
            seen.append(text_of(await client.call_tool("which")))
            if len(seen) == 2:
                both_called.set()
            await both_called.wait()  # the two sessions overlap for sure

    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(one)
            tg.start_soon(one)
    assert seen == ["{'pool': 1}", "{'pool': 1}"]
    assert events == ["enter 1", "exit 1 with 0 sessions left"]
    assert server.sessions == set()


def task_group_lifespan(log: list[str]) -> Callable[[Server], contextlib.AbstractAsyncContextManager[Any]]:
    """A lifespan running background work in a task group, the usual reason to have one."""

    @contextlib.asynccontextmanager
    async def lifespan(server: Server) -> AsyncIterator[str]:
        async with anyio.create_task_group() as tg:
            tg.start_soon(anyio.sleep_forever)
            log.append("entered")
            yield "shared"
            log.append(f"leaving with {len(server.sessions)} sessions")
            tg.cancel_scope.cancel()
        log.append("exited cleanly")

    return lifespan


async def test_task_group_lifespan_with_one_session() -> None:
    log: list[str] = []
    with anyio.fail_after(WAIT):
        async with Client(Server("s", lifespan=task_group_lifespan(log), declare=["tools"])) as client:
            await client.ping()
    assert log == ["entered", "leaving with 0 sessions", "exited cleanly"]


async def test_task_group_lifespan_survives_the_first_session_leaving_first() -> None:
    log: list[str] = []
    server = Server("s", lifespan=task_group_lifespan(log))

    @server.tool()
    async def value(ctx: Context) -> str:
        return str(ctx.lifespan)

    a_in, b_in = anyio.Event(), anyio.Event()
    b_saw: list[str] = []

    async def a() -> None:  # first in; its session ends first
        async with Client(server) as client:
            await client.ping()
            a_in.set()
            await b_in.wait()

    async def b() -> None:  # second in; still working after A's session is gone
        await a_in.wait()
        async with Client(server) as client:
            b_in.set()
            await wait_until(lambda: len(server.sessions) == 1, "A's session ended")
            await client.ping()
            b_saw.append(text_of(await client.call_tool("value")))

    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(a)
            tg.start_soon(b)
    assert b_saw == ["shared"]
    assert log == ["entered", "leaving with 0 sessions", "exited cleanly"]


async def test_first_client_can_leave_while_a_later_one_stays_under_running() -> None:
    """The lifespan belongs to the task that entered it first. With clients that come and go
    in any order, a host holds ``server.running()`` around them (the stdio and HTTP hosts do);
    then the first client may leave while a later one stays."""
    log: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(server: Server) -> AsyncIterator[None]:
        log.append("entered")
        yield None
        log.append("exited")

    server = Server("s", lifespan=lifespan, declare=["tools"])
    a_in, b_in, a_done = anyio.Event(), anyio.Event(), anyio.Event()

    async def a() -> None:
        async with Client(server) as client:
            await client.ping()
            a_in.set()
            await b_in.wait()  # B shares the lifespan before A leaves
        a_done.set()

    async def b() -> None:
        await a_in.wait()
        async with Client(server) as client:
            b_in.set()
            await a_done.wait()  # the first client's `async with` has returned
            await client.ping()

    with anyio.fail_after(3):
        async with server.running(), anyio.create_task_group() as tg:
            tg.start_soon(a)
            tg.start_soon(b)
    assert log == ["entered", "exited"]


async def test_a_user_joining_as_the_last_one_leaves_gets_an_open_lifespan() -> None:
    # trio wakes the two tasks in a random order: try many times, so one bad order shows.
    outcomes = [await join_as_the_last_user_leaves() for _ in range(30)]
    assert all(outcomes), f"{outcomes.count(False)} of {len(outcomes)} joins got a closed lifespan"


async def join_as_the_last_user_leaves() -> bool:
    """Whether B, entering Server.running() just as A (its only user) leaves, sees it open.

    Every session enters Server.running(); driving it directly makes the race exact.
    """
    state = {"open": False}

    @contextlib.asynccontextmanager
    async def lifespan(server: Server) -> AsyncIterator[dict[str, bool]]:
        state["open"] = True
        try:
            yield state
        finally:
            state["open"] = False

    server = Server("s", lifespan=lifespan)
    a_in, release_a = anyio.Event(), anyio.Event()
    seen: list[bool] = []

    async def a() -> None:
        async with server.running():
            a_in.set()
            await release_a.wait()

    async def b() -> None:
        await a_in.wait()
        release_a.set()  # A leaves just as B arrives
        async with server.running() as value:
            seen.append(value["open"])

    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(a)
            tg.start_soon(b)
    assert state["open"] is False  # closed once everyone left
    return seen == [True]


async def test_lifespan_clean_up_runs_to_completion_when_an_in_memory_client_leaves() -> None:
    log: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(server: Server) -> AsyncIterator[None]:
        log.append("entered")
        try:
            yield None
        finally:
            log.append("clean-up started")
            await anyio.sleep(0.001)  # an awaited clean-up step, like closing a pool
            log.append("clean-up finished")

    with anyio.fail_after(WAIT):
        async with Client(Server("s", lifespan=lifespan, declare=["tools"])) as client:
            await client.ping()
    assert log == ["entered", "clean-up started", "clean-up finished"]


def unreachable_database() -> None:
    raise OSError("database unreachable")


@contextlib.asynccontextmanager
async def broken_lifespan(server: Server) -> AsyncIterator[None]:
    unreachable_database()
    yield


async def test_lifespan_that_fails_to_enter_closes_the_transport() -> None:
    ours, theirs = create_pair(codec=True)
    failures: list[BaseException] = []

    async def serve() -> None:
        try:
            await Server("s", lifespan=broken_lifespan).serve(theirs)
        except OSError as exc:
            failures.append(exc)

    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as tg:
            tg.start_soon(serve)
            # initialize_timeout is only a safety net: the client must fail long before it.
            with pytest.raises(McpError) as info:
                async with Client(ours, initialize_timeout=5):
                    pass
    assert not isinstance(info.value, (RequestTimeout, TimeoutError)), info.value
    assert [str(f) for f in failures] == ["database unreachable"]


async def test_lifespan_that_fails_to_enter_fails_an_in_memory_client() -> None:
    with anyio.fail_after(WAIT), pytest.raises(BaseException) as info:  # noqa: PT011
        async with Client(Server("s", lifespan=broken_lifespan), initialize_timeout=5):
            pass
    assert any(isinstance(e, OSError) and "unreachable" in str(e) for e in leaves(info.value)), info.value


# -- broadcasts and registry changes ----------------------------------------------------------


async def test_resource_updated_reaches_live_sessions_when_one_connection_dropped() -> None:
    server = Server("s")

    @server.resource("file:///r")
    def r() -> str:
        return "r"

    got: list[str] = []
    both = anyio.Event()

    def updated(name: str) -> Callable[[str], None]:
        def handler(uri: str) -> None:
            got.append(f"{name} {uri}")
            if {"c1 file:///r", "c2 file:///r"} <= set(got):
                both.set()

        return handler

    with anyio.fail_after(WAIT):
        async with contextlib.AsyncExitStack() as stack:
            for i in range(3):
                client = await stack.enter_async_context(
                    Client(server, name=f"c{i}", on_resource_updated=updated(f"c{i}"))
                )
                await client.subscribe("file:///r")
            (dropped,) = [s for s in server.sessions if s.client_info["name"] == "c0"]
            await dropped.dispatcher.transport.aclose()  # c0's connection drops under us
            await server.notify_resource_updated("file:///r")  # must not raise
            await both.wait()
    assert "c0 file:///r" not in got
    assert sorted(got) == ["c1 file:///r", "c2 file:///r"]


async def test_registering_a_tool_from_a_worker_thread_is_refused_without_changing_anything() -> None:
    server = Server("s")

    @server.tool()
    def a() -> str:
        return "a"

    def b() -> str:
        return "b"

    changed = anyio.Event()
    with anyio.fail_after(WAIT):
        async with Client(server, on_list_changed=lambda kind: changed.set()) as client:

            def register_in_thread() -> None:
                server.add_tool(b)

            with pytest.raises(RuntimeError, match="event loop"):
                await anyio.to_thread.run_sync(register_in_thread)
            assert [t["name"] for t in await client.list_tools()] == ["a"]
            assert not changed.is_set()

            # The way the error points to works, and the client hears of the change.
            def register_through_the_loop() -> None:
                anyio.from_thread.run_sync(functools.partial(server.add_tool, b))

            await anyio.to_thread.run_sync(register_through_the_loop)
            await changed.wait()
            assert [t["name"] for t in await client.list_tools()] == ["a", "b"]


# -- roots ------------------------------------------------------------------------------------


def roots_server() -> Server:
    server = Server("s")

    @server.tool()
    async def roots(ctx: Context) -> str:
        return ",".join(r["uri"] for r in await ctx.list_roots())

    return server


async def test_roots_are_cached_until_the_client_changes_them() -> None:
    asked = 0
    with anyio.fail_after(WAIT):
        async with Client(roots_server(), roots=["file:///old"]) as client:
            dispatcher = client._dispatcher  # the client's own handler, counted
            assert dispatcher is not None
            answer = client._on_roots

            async def counting(ctx: RequestContext) -> Any:
                nonlocal asked
                asked += 1
                return await answer(ctx)

            dispatcher.on_request("roots/list", counting)
            assert text_of(await client.call_tool("roots")) == "file:///old"
            assert text_of(await client.call_tool("roots")) == "file:///old"
            assert asked == 1
            await client.set_roots(["file:///new"])
            assert text_of(await client.call_tool("roots")) == "file:///new"
            assert asked == 2


async def test_a_change_notice_right_behind_the_roots_answer_is_not_lost() -> None:
    with anyio.fail_after(WAIT):
        async with Client(roots_server(), roots=["file:///old"]) as client:
            dispatcher = client._dispatcher
            assert dispatcher is not None
            answer = client._on_roots
            changed = anyio.Event()

            async def change() -> None:
                await client.set_roots(["file:///new"])
                changed.set()

            async def racing(ctx: RequestContext) -> Any:
                result = await answer(ctx)
                # The user switches workspace just as the answer leaves: the notice follows it.
                dispatcher.start_soon(change)
                return result

            dispatcher.on_request("roots/list", racing)
            assert text_of(await client.call_tool("roots")) == "file:///old"
            await changed.wait()
            assert text_of(await client.call_tool("roots")) == "file:///new"


# -- what tools send --------------------------------------------------------------------------


def link_server() -> Server:
    server = Server("s")
    icon = {"src": "https://example.com/i.png"}

    @server.tool()
    async def link() -> list[Any]:
        return [content.resource_link("file:///a", "a", icons=[icon])]  # type: ignore[list-item]

    @server.prompt()
    def p() -> list[Any]:
        return [{"role": "user", "content": content.resource_link("file:///a", "a", icons=[icon])}]  # type: ignore[list-item]

    return server


@needs_spec
@pytest.mark.parametrize(("version", "has_icons"), [("2025-06-18", False), ("2025-11-25", True)])
async def test_resource_link_icons_only_reach_revisions_that_have_them(version: str, has_icons: bool) -> None:
    with anyio.fail_after(WAIT):
        async with served(link_server()) as (transport, capture), Client(transport, versions=[version]) as c:
            (block,) = (await c.call_tool("link"))["content"]
            message = (await c.get_prompt("p"))["messages"][0]
    assert block["type"] == "resource_link"
    assert ("icons" in block) is has_icons
    assert ("icons" in message["content"]) is has_icons
    assert capture.validate(version) > 0  # strict: a field the revision lacks fails


class Ids(pydantic.RootModel[list[int]]):
    pass


@needs_spec
async def test_a_root_model_of_a_list_gets_no_object_schema_confusion() -> None:
    server = Server("s")

    @server.tool()
    def ids() -> Ids:
        return Ids([1, 2])

    @server.tool(structured_output=True)
    def wrapped_ids() -> Ids:
        return Ids([3])

    with anyio.fail_after(WAIT):
        async with served(server) as (transport, capture), Client(transport) as client:
            tools = {t["name"]: t for t in await client.list_tools()}
            plain = await client.call_tool("ids")
            forced = await client.call_tool("wrapped_ids")
    schema = tools["ids"].get("outputSchema")
    if schema is None:
        assert "structuredContent" not in plain
        assert json.loads(text_of(plain)) == [1, 2]
    else:
        assert schema["type"] == "object"
        assert plain.get("structuredContent") == {"result": [1, 2]}
        Validator(schema).validate(plain["structuredContent"])
    forced_schema = tools["wrapped_ids"]["outputSchema"]
    assert forced_schema["type"] == "object"
    assert set(forced_schema["properties"]) == {"result"}
    assert forced.get("structuredContent") == {"result": [3]}
    Validator(forced_schema).validate(forced["structuredContent"])
    capture.validate()


async def test_plain_values_become_json_text() -> None:
    server = Server("s")

    @server.tool()
    def as_int() -> int:
        return 42

    @server.tool()
    def as_dict():  # type: ignore[no-untyped-def]  # no annotation: no output schema
        return {"a": 1, "b": [1, 2, 3]}

    @server.tool()
    def as_list() -> list[dict[str, int]]:
        return [{"a": i} for i in range(3)]

    with anyio.fail_after(WAIT):
        async with Client(server) as client:
            results = {name: await client.call_tool(name) for name in ("as_int", "as_dict", "as_list")}
            for _ in range(3):  # the same answer every time, not only the first
                assert await client.call_tool("as_dict") == results["as_dict"]
    assert text_of(results["as_int"]) == "42"
    assert json.loads(text_of(results["as_dict"])) == {"a": 1, "b": [1, 2, 3]}
    assert json.loads(text_of(results["as_list"])) == [{"a": 0}, {"a": 1}, {"a": 2}]
    for result in results.values():
        assert "structuredContent" not in result
        assert not result.get("isError")


class Point(ExtTypedDict):
    x: int
    y: int


class Model(pydantic.BaseModel):
    a: int


async def test_typing_extensions_typed_dict_gets_an_output_schema() -> None:
    server = Server("s")

    @server.tool()
    def point() -> Point:
        return {"x": 1, "y": 2}

    with anyio.fail_after(WAIT):
        async with Client(server) as client:
            (tool,) = await client.list_tools()
            result = await client.call_tool("point")
    schema = tool.get("outputSchema")
    assert schema is not None
    assert schema["type"] == "object"
    assert set(schema["properties"]) == {"x", "y"}
    assert result.get("structuredContent") == {"x": 1, "y": 2}


async def test_tool_result_must_meet_the_declared_output_schema() -> None:
    server = Server("s")

    @server.tool()
    def nonconforming() -> Model:
        return ToolResult(content=[content.text("hi")], structured={"a": "not-int"})  # type: ignore[return-value]

    @server.tool()
    def missing() -> Model:
        return ToolResult(content=[content.text("hi")])  # type: ignore[return-value]

    @server.tool()
    def conforming() -> Model:
        return ToolResult(content=[content.text("hi")], structured={"a": 1})  # type: ignore[return-value]

    with anyio.fail_after(WAIT):
        async with Client(server) as client:
            bad = await client.call_tool("nonconforming")
            absent = await client.call_tool("missing")
            good = await client.call_tool("conforming")
    assert bad.get("isError") is True
    assert "output schema" in text_of(bad)
    assert "structuredContent" not in bad
    assert absent.get("isError") is True
    assert "structured content" in text_of(absent)
    assert not good.get("isError")
    assert good.get("structuredContent") == {"a": 1}


# -- odd functions ----------------------------------------------------------------------------


async def scale(x: int, factor: int) -> int:
    return x * factor


class Adder:
    offset: int = 0  # a class annotation, not a parameter

    def __init__(self, k: int) -> None:
        self.k = k

    async def __call__(self, x: int) -> int:
        return x + self.k


async def test_partials_and_callable_objects_are_tools() -> None:
    server = Server("s")
    server.add_tool(functools.partial(scale, factor=3), name="triple")
    server.add_tool(Adder(5), name="add5")
    with anyio.fail_after(WAIT):
        async with Client(server) as client:
            tools = {t["name"]: t for t in await client.list_tools()}
            tripled = await client.call_tool("triple", {"x": 2})
            added = await client.call_tool("add5", {"x": 1})
            refused = await client.call_tool("add5", {"x": "not an int"})
    assert set(tools) == {"triple", "add5"}
    assert tools["triple"]["inputSchema"]["required"] == ["x"]
    assert set(tools["add5"]["inputSchema"]["properties"]) == {"x"}
    assert text_of(tripled) == "6"
    assert text_of(added) == "6"
    assert refused.get("isError") is True
    assert "x" in text_of(refused)


def test_a_positional_only_context_is_refused_at_registration() -> None:
    def ctx_posonly(ctx: Context, /, x: int) -> str:
        return "x"

    server = Server("s")
    with pytest.raises(TypeError, match="ctx"):
        server.add_tool(ctx_posonly)
    assert server._tools == {}


def test_a_callable_parameter_is_refused_at_registration() -> None:
    def cb_default(cb: Callable[[], int] = lambda: 1) -> str:
        return "x"

    def cb_required(cb: Callable[[int], int]) -> str:
        return "x"

    server = Server("s")
    for fn in (cb_default, cb_required):
        with pytest.raises(TypeError, match="cannot become a schema"):
            server.add_tool(fn)
    assert server._tools == {}


async def test_reserved_parameter_names_next_to_the_internal_spelling() -> None:
    server = Server("s")

    @server.tool()
    def clash(json: str, arg0_: int) -> str:
        return f"json={json!r} arg0_={arg0_!r}"

    @server.tool()
    def reserved(model_config: str, schema: str) -> str:
        return f"{model_config}/{schema}"

    with anyio.fail_after(WAIT):
        async with Client(server) as client:
            tools = {t["name"]: t for t in await client.list_tools()}
            both = await client.call_tool("clash", {"json": "j", "arg0_": 7})
            sneaky = await client.call_tool("reserved", {"arg0_": "internal", "schema": "b"})
            ignored = await client.call_tool("reserved", {"model_config": "a", "arg0_": "x", "schema": "b"})
    clash_schema = tools["clash"]["inputSchema"]
    assert set(clash_schema["properties"]) == {"json", "arg0_"}
    assert sorted(clash_schema["required"]) == ["arg0_", "json"]
    assert set(tools["reserved"]["inputSchema"]["properties"]) == {"model_config", "schema"}
    assert not both.get("isError")
    assert text_of(both) == "json='j' arg0_=7"
    # The field name the server uses inside is not a way in for the peer.
    assert sneaky.get("isError") is True
    assert "model_config" in text_of(sneaky)
    assert not ignored.get("isError")
    assert text_of(ignored) == "a/b"


# -- prompts, templates, completion, errors ---------------------------------------------------


def test_a_prompt_with_a_list_parameter_is_refused_at_registration() -> None:
    def count(n: int, tags: list[str]) -> str:
        return "x"

    server = Server("s")
    with pytest.raises(TypeError, match="tags"):
        server.add_prompt(count)
    assert server._prompts == {}


def errors_server() -> Server:
    server = Server("s")

    @server.resource("items://{id}")
    def item(id: int) -> str:
        return f"item {id!r}"

    @server.resource("items://{name}")
    def named(name: str) -> str:
        return f"named {name!r}"

    @server.resource("files://{+path}")
    def missing_file(path: str) -> str:
        raise FileNotFoundError(path)

    @server.prompt()
    def count(n: int, flag: bool = False) -> str:
        return f"n={n!r}"

    @server.prompt()
    def broken_prompt() -> str:
        raise RuntimeError("template store down")

    @server.completion(prompt="count", argument="n")
    def boom(value: str, arguments: dict[str, str]) -> list[str]:
        raise RuntimeError("completion backend down")

    return server


async def test_a_later_template_takes_a_value_an_earlier_one_rejects() -> None:
    with anyio.fail_after(WAIT):
        async with Client(errors_server()) as client:
            number = await client.read_resource("items://5")
            word = await client.read_resource("items://abc")
            with pytest.raises(McpError) as info:
                await client.read_resource("nothing://here")
    assert [dict(c).get("text") for c in number["contents"]] == ["item 5"]
    assert [dict(c).get("text") for c in word["contents"]] == ["named 'abc'"]
    assert info.value.code == RESOURCE_NOT_FOUND


async def test_user_function_failures_have_precise_errors() -> None:
    with anyio.fail_after(WAIT):
        async with Client(errors_server()) as client:
            with pytest.raises(McpError) as not_found:
                await client.read_resource("files://x/y")
            with pytest.raises(McpError) as completion:
                await client.complete({"type": "ref/prompt", "name": "count"}, "n", "1")
            with pytest.raises(McpError) as prompt:
                await client.get_prompt("broken_prompt")
            # The session survives all three.
            (message,) = (await client.get_prompt("count", {"n": "3"}))["messages"]
            assert text_of([message["content"]]) == "n=3"
    assert not_found.value.code == RESOURCE_NOT_FOUND
    assert completion.value.code == INTERNAL_ERROR
    assert "'n'" in completion.value.message
    assert "completion backend down" in completion.value.message
    assert prompt.value.code == INTERNAL_ERROR
    assert "broken_prompt" in prompt.value.message


# -- the client against a fake server ---------------------------------------------------------

Handler = Callable[[RequestContext], Awaitable[Any]]


def initialize_with(result: Any) -> Handler:
    async def initialize(ctx: RequestContext) -> Any:
        return result

    return initialize


def ready(*capabilities: str) -> Handler:
    return initialize_with(
        {
            "protocolVersion": "2025-11-25",
            "capabilities": {c: {} for c in capabilities},
            "serverInfo": SERVER_INFO,
        }
    )


@contextlib.asynccontextmanager
async def fake_server(handlers: Mapping[str, Handler]) -> AsyncIterator[MemoryTransport]:
    """A transport to a bare dispatcher that answers ``handlers`` and nothing else."""
    ours, theirs = create_pair(codec=True)
    dispatcher = Dispatcher(theirs)
    dispatcher.on_request("ping", initialize_with({}))
    for method, handler in handlers.items():
        dispatcher.on_request(method, handler)
    async with dispatcher:
        yield ours


async def test_structured_content_of_an_unlisted_tool_lists_tools_at_most_once() -> None:
    counts = {"tools/list": 0, "tools/call": 0}

    async def tools_list(ctx: RequestContext) -> Any:
        counts["tools/list"] += 1
        return {"tools": [{"name": f"t{i}", "inputSchema": {"type": "object"}} for i in range(1000)]}

    async def tools_call(ctx: RequestContext) -> Any:
        counts["tools/call"] += 1
        return {"content": [], "structuredContent": {"x": 1}}

    handlers = {"initialize": ready("tools"), "tools/list": tools_list, "tools/call": tools_call}
    with anyio.fail_after(WAIT):
        async with fake_server(handlers) as transport, Client(transport) as client:
            for _ in range(10):
                result = await client.call_tool("dynamic")
                assert result["structuredContent"] == {"x": 1}
    assert counts["tools/call"] == 10
    assert counts["tools/list"] <= 1


async def test_a_failing_listing_does_not_fail_a_tool_call() -> None:
    async def tools_list(ctx: RequestContext) -> Any:
        raise McpError(INTERNAL_ERROR, "listing is down")

    async def tools_call(ctx: RequestContext) -> Any:
        return {"content": [content.text("ok")], "structuredContent": {"x": 1}}

    handlers = {"initialize": ready("tools"), "tools/list": tools_list, "tools/call": tools_call}
    with anyio.fail_after(WAIT):
        async with fake_server(handlers) as transport, Client(transport) as client:
            result = await client.call_tool("dynamic")
    assert result["structuredContent"] == {"x": 1}
    assert text_of(result) == "ok"


async def test_a_listing_beyond_max_pages_does_not_fail_a_tool_call() -> None:
    server = Server("s", page_size=1)
    for i in range(10):
        server.add_tool(lambda: "filler", name=f"t{i}")

    @server.tool()
    def last() -> dict[str, int]:
        return {"v": 1}

    with anyio.fail_after(WAIT):
        async with Client(server, max_pages=5) as client:
            result = await client.call_tool("last")
    assert not result.get("isError")
    assert result.get("structuredContent") == {"v": 1}


@pytest.mark.parametrize(
    ("method", "answer", "call"),
    [
        ("resources/read", {"contents": "nope"}, lambda c: c.read_resource("file:///x")),
        ("prompts/get", 42, lambda c: c.get_prompt("p")),
    ],
    ids=["resources/read", "prompts/get"],
)
async def test_malformed_results_raise_mcp_error(
    method: str, answer: Any, call: Callable[[Client], Awaitable[Any]]
) -> None:
    handlers = {"initialize": ready("resources", "prompts"), method: initialize_with(answer)}
    with anyio.fail_after(WAIT):
        async with fake_server(handlers) as transport, Client(transport) as client:
            with pytest.raises(McpError, match=method):
                await call(client)
            await client.ping()  # a bad answer is the server's fault, not the session's end


@pytest.mark.parametrize("result", [[1, 2], "hello", 42])
async def test_an_initialize_result_that_is_not_an_object(result: Any) -> None:
    with anyio.fail_after(WAIT):
        async with fake_server({"initialize": initialize_with(result)}) as transport:
            with pytest.raises(McpError, match="initialize result is not an object"):
                async with Client(transport, initialize_timeout=5):
                    pass


# -- closing a client from elsewhere ----------------------------------------------------------


@pytest.mark.parametrize("in_memory", [True, False], ids=["in-memory", "transport"])
async def test_aclose_from_another_task(in_memory: bool) -> None:
    server = Server("s")
    started = anyio.Event()

    @server.tool()
    async def stuck() -> str:
        started.set()
        await anyio.sleep(30)
        return "late"

    ours, theirs = create_pair(codec=True)
    failures: list[BaseException] = []
    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as outer:
            if not in_memory:
                outer.start_soon(server.serve, theirs)
            async with Client(server if in_memory else ours) as client:
                closed = anyio.Event()

                async def watchdog() -> None:
                    await started.wait()
                    await client.aclose()  # give up on the session
                    closed.set()

                async with anyio.create_task_group() as tg:
                    tg.start_soon(watchdog)
                    try:
                        await client.call_tool("stuck")
                    except McpError as exc:
                        failures.append(exc)
                    await closed.wait()
                assert client.state is SessionState.CLOSED
                with pytest.raises(RuntimeError, match="closed"):
                    await client.ping()
            outer.cancel_scope.cancel()
    assert len(failures) == 1


# -- the server's lifecycle, from a raw peer --------------------------------------------------


@contextlib.asynccontextmanager
async def raw_session(server: Server) -> AsyncIterator[RawPeer]:
    ours, theirs = create_pair(codec=True)
    peer = RawPeer(ours)
    try:
        with anyio.fail_after(WAIT):
            async with anyio.create_task_group() as tg:
                tg.start_soon(ours.run, peer)
                tg.start_soon(server.serve, theirs)
                yield peer
                tg.cancel_scope.cancel()
    finally:
        peer.close()


INIT = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": CLIENT_INFO}


async def test_initialized_sent_right_behind_initialize_makes_the_session_ready() -> None:
    server = Server("s", declare=["tools"])
    async with raw_session(server) as peer:
        await peer.send(Request(1, "initialize", INIT))
        await peer.send(Notification("notifications/initialized"))  # before the answer is read
        assert isinstance(await peer.receive(), Response)
        (session,) = server.sessions
        assert await peer.request(2, "tools/list") == Response(2, {"tools": []})
        assert session.state is SessionState.READY


@pytest.mark.parametrize("await_init_answer", [True, False], ids=["answered", "pipelined"])
async def test_tools_list_before_initialized_is_refused_whatever_the_scheduling(
    await_init_answer: bool,
) -> None:
    server = Server("s", declare=["tools"])
    async with raw_session(server) as peer:
        await peer.send(Request(1, "initialize", INIT))
        replies = []
        if await_init_answer:
            replies.append(await peer.receive())
        await peer.send(Request(2, "tools/list"))  # too early: initialized follows it
        await peer.send(Notification("notifications/initialized"))
        while len(replies) < 2:
            replies.append(await peer.receive())
        by_id = {getattr(r, "id", None): r for r in replies}
        assert isinstance(by_id[1], Response)
        refused = by_id[2]
        assert isinstance(refused, ErrorResponse), refused
        assert refused.code == INVALID_REQUEST
        assert "notifications/initialized" in refused.message
        assert await peer.request(3, "tools/list") == Response(3, {"tools": []})


# -- listing ----------------------------------------------------------------------------------


async def test_listing_a_thousand_tools_page_by_page() -> None:
    server = Server("s", page_size=10)
    for i in range(1000):
        server.add_tool(lambda x=0: x, name=f"t{i}", title="T")
    expected = [f"t{i}" for i in range(1000)]
    with anyio.fail_after(WAIT * 3):
        async with Client(server, versions=["2025-03-26"]) as client:
            everything = await client.list_tools()
            pages = [page async for page in client.list_tools().pages()]
    assert [t["name"] for t in everything] == expected
    assert len(pages) == 100
    assert all(len(page) == 10 for page in pages)
    assert [t["name"] for page in pages for t in page] == expected
    # Each page is fitted to the revision: 2025-03-26 has no tool titles.
    assert not any("title" in t for t in everything)
