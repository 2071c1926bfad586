"""A bidirectional JSON-RPC 2.0 peer over any message transport. It knows nothing of MCP.

One :class:`Dispatcher` per connection. Either side sends requests and notifications and
answers the other's requests; the dispatcher keeps the correlation table for both directions
(ids it allocated for its own requests, ids the peer chose for the requests it is answering),
so nothing is ever matched across connections.

How a message travels:

* **Out**: :meth:`Dispatcher.request` allocates the next id of this connection, registers a
  waiter under it, hands the message to the transport and awaits the waiter. The transport
  writes messages in the order they are given, so a notification sent before a response
  arrives before it.
* **In**: the transport calls :meth:`Dispatcher.feed` with each decoded message, in order. A
  response resolves its waiter; a request starts its handler in a task of its own (bounded by
  ``max_concurrency``: at the bound, ``feed`` waits, which stops the transport reading:
  backpressure instead of an unbounded queue); a notification goes to its handler.

Ordering: requests and notifications take effect in arrival order. Async notification
handlers and async progress callbacks run one at a time in the dispatcher's own worker task,
never in the transport's; while one runs, later requests and notifications wait behind it in
a bounded queue, so a request that follows ``notifications/initialized`` starts after that
notification was handled. Sync handlers and callbacks are called at once when nothing is
queued. Answers to our own requests never wait in that queue (a notification handler may
itself make a request and wait for its answer), except behind the progress callbacks of the
same request: ``request()`` returns after the last of them ran.

Cancellation both ways, and progress, follow the MCP utilities (``notifications/cancelled``,
``notifications/progress`` with ``_meta.progressToken``), which are generic JSON-RPC patterns.
"""

from __future__ import annotations

import enum
import functools
import inspect
import logging
import math
import traceback
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol, TypeAlias

import anyio

from mcpcore._runtime import Cancellable, Runtime, Waiter, open_runtime
from mcpcore.errors import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    ConnectionClosed,
    McpError,
    RequestTimeout,
)
from mcpcore.wire import (
    Batch,
    DecodeError,
    EncodeError,
    ErrorResponse,
    Message,
    Notification,
    Params,
    Request,
    RequestId,
    Response,
    encode,
    is_request_id,
)

__all__ = [
    "CANCELLED",
    "DEFAULT",
    "PROGRESS",
    "Dispatcher",
    "Incoming",
    "NotificationHandler",
    "ProgressCallback",
    "Receiver",
    "RequestContext",
    "RequestHandler",
    "Transport",
]

_log = logging.getLogger("mcpcore.dispatcher")

CANCELLED: Final = "notifications/cancelled"
PROGRESS: Final = "notifications/progress"

Incoming: TypeAlias = Message | DecodeError | Batch
"""What a transport hands to :meth:`Dispatcher.feed`: the result of :func:`mcpcore.wire.decode`,
or the :class:`~mcpcore.wire.DecodeError` it raised."""


class Receiver(Protocol):
    async def feed(self, item: Incoming) -> None: ...


class Transport(Protocol):
    """What the dispatcher needs of a transport.

    ``send`` writes one message (or a batch) and keeps the order of calls; it may wait when
    the peer does not keep up (backpressure), and raises ``ConnectionClosed`` once the
    connection is gone;
    ``related_request_id`` names the incoming request a message belongs to (its response, or a
    notification or request sent while handling it), for transports that route by request,
    like Streamable HTTP. ``run`` delivers every incoming message to ``receiver.feed`` until
    the stream ends, then returns. ``aclose`` ends the connection.
    """

    async def send(
        self, message: Message | list[Message], related_request_id: RequestId | None = None
    ) -> None: ...

    async def run(self, receiver: Receiver) -> None: ...

    async def aclose(self) -> None: ...


class _Default(enum.Enum):
    DEFAULT = "default"


DEFAULT: Final = _Default.DEFAULT
"""Stands for "the dispatcher's configured value" in per-request options."""

RequestHandler: TypeAlias = Callable[["RequestContext"], Awaitable[Any]]
NotificationHandler: TypeAlias = Callable[[Notification], Awaitable[None] | None]
ProgressCallback: TypeAlias = Callable[[float, "float | None", "str | None"], Awaitable[None] | None]


class RequestContext:
    """What a request handler gets: the request, and a way to talk back about it.

    Messages sent through the context are tied to the request (``related_request_id``), which
    transports that route by request need.
    """

    __slots__ = ("_dispatcher", "_finished", "_last_progress", "request")

    def __init__(self, dispatcher: Dispatcher, request: Request) -> None:
        self._dispatcher = dispatcher
        self.request = request
        self._finished = False
        self._last_progress: float | None = None

    @property
    def id(self) -> RequestId:
        return self.request.id

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def params(self) -> Params | None:
        return self.request.params

    @property
    def dispatcher(self) -> Dispatcher:
        return self._dispatcher

    @property
    def progress_token(self) -> RequestId | None:
        """The ``_meta.progressToken`` the caller sent, if any (a string or an integer)."""
        params = self.request.params
        if type(params) is dict:
            meta = params.get("_meta")
            if type(meta) is dict:
                token = meta.get("progressToken")
                if is_request_id(token):
                    return token
        return None

    async def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> bool:
        """Send ``notifications/progress`` for this request.

        Returns False (and sends nothing) when the caller asked for no progress, or once the
        request has been answered: progress after the response would reference a finished
        request. ``progress`` must increase with every call (ValueError otherwise), as MCP
        requires, whether or not the caller asked for progress.
        """
        last = self._last_progress
        if last is not None and not progress > last:
            raise ValueError(f"progress must increase: {progress!r} after {last!r}")
        self._last_progress = progress
        token = self.progress_token
        if token is None or self._finished:
            return False
        params: dict[str, Any] = {"progressToken": token, "progress": progress}
        if total is not None:
            params["total"] = total
        if message is not None:
            params["message"] = message
        await self._dispatcher.notify(PROGRESS, params, related_request_id=self.request.id)
        return True

    async def notify(self, method: str, params: Params | None = None) -> None:
        await self._dispatcher.notify(method, params, related_request_id=self.request.id)

    async def send_request(self, method: str, params: Params | None = None, **options: Any) -> Any:
        """A request to the peer made on behalf of this one; options as for :meth:`Dispatcher.request`."""
        return await self._dispatcher.request(method, params, related_request_id=self.request.id, **options)


class _Outgoing:
    """A request we sent and whose answer we await."""

    __slots__ = (
        "answer",
        "deadline",
        "hard_deadline",
        "method",
        "on_progress",
        "progress_queue",
        "sent",
        "timeout",
        "waiter",
    )

    def __init__(
        self,
        waiter: Waiter[Any],
        method: str,
        on_progress: ProgressCallback | None,
        timeout: float | None,
        deadline: float,
        hard_deadline: float,
    ) -> None:
        self.waiter = waiter
        self.method = method
        self.on_progress = on_progress
        self.timeout = timeout  # seconds allowed between signs of life (the answer, or progress)
        self.deadline = deadline
        self.hard_deadline = hard_deadline
        # Async progress callbacks not run yet, in order, while a task of this request runs
        # them (None: no such task); and the answer when it arrived before they finished.
        self.progress_queue: deque[_ProgressStep] | None = None
        self.answer: Response | ErrorResponse | None = None
        self.sent = False  # the transport has taken it; until then its deadline is not judged


_ProgressStep: TypeAlias = "Callable[[], Awaitable[None] | None] | Awaitable[None]"
"""A progress callback to call, or the awaitable a callback already returned."""


class _Incoming:
    """A request of the peer's that we are answering."""

    __slots__ = ("batch", "cancelled", "started", "task")

    def __init__(self, batch: _Batch | None) -> None:
        self.batch = batch
        self.cancelled = False
        self.started = False
        self.task: Cancellable | None = None


class _Batch:
    """Answers to one received batch, sent together once every request in it has finished."""

    __slots__ = ("ids", "replies", "sealed", "waiting")

    def __init__(self) -> None:
        self.ids: set[RequestId] = set()  # two answers with one id could not be told apart
        self.replies: list[Message] = []
        self.waiting = 0  # requests of the batch not answered yet
        self.sealed = False  # every entry of the batch has been taken

    def complete(self) -> bool:
        return self.sealed and self.waiting == 0


_Work: TypeAlias = tuple[Callable[..., Awaitable[None] | None], tuple[Any, ...]]


class Dispatcher:
    """A JSON-RPC peer bound to one transport. Use it as an async context manager.

    Limits, all per connection:

    * ``request_timeout``: seconds a request waits for its answer (``None``: forever). A
      progress notification for the request restarts the clock, but never beyond
      ``max_request_timeout`` seconds from the start. Time spent waiting for the transport to
      take the request (backpressure) counts too.
    * ``max_concurrency``: requests of the peer handled at once. At the bound the dispatcher
      stops taking messages from the transport until a handler finishes.
    * ``max_queued_notifications``: requests and notifications held in order behind a running
      notification handler before the transport is made to wait.
    * ``debug``: put the exception and traceback of a failing handler into the error sent
      to the peer; off by default, since they can reveal internals.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        request_timeout: float | None = 60.0,
        max_request_timeout: float | None = 600.0,
        max_concurrency: int = 64,
        max_queued_notifications: int = 1024,
        debug: bool = False,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if max_queued_notifications < 1:
            raise ValueError("max_queued_notifications must be at least 1")
        self.transport = transport
        self.request_timeout = request_timeout
        self.max_request_timeout = max_request_timeout
        self.max_concurrency = max_concurrency
        self.max_queued_notifications = max_queued_notifications
        self.debug = debug

        self._request_handlers: dict[str, RequestHandler] = {}
        self.omit_unknown_error_id = False
        """Leave the id out of an error about a message whose id could not be read, instead
        of sending ``"id": null`` (MCP 2025-11-25 and later; set by the protocol layer)."""
        self.admission: Callable[[Request], None] | None = None
        """Called at once, in arrival order, for each request about to start its handler;
        raising :class:`McpError` refuses the request with that error. A protocol layer
        keeps its state machine here, so that a request is judged in the state its arrival
        found, not in the state its task later starts in."""
        self._notification_handlers: dict[str, NotificationHandler] = {}

        # The correlation table, both directions: our requests by the ids we allocated, the
        # peer's requests by the ids it chose. Keys are ids as sent: 1 and "1" differ.
        self._outgoing: dict[RequestId, _Outgoing] = {}
        self._incoming: dict[RequestId, _Incoming] = {}
        self._next_id = 1
        # Ids we gave up on (timeout, cancellation): a late answer to one is expected, not odd.
        self._abandoned: deque[RequestId] = deque(maxlen=256)

        self._active = 0  # handler tasks running
        self._idle_waiters: list[Waiter[None]] = []  # wait_idle() callers
        self._capacity_waiters: deque[Waiter[None]] = deque()

        # Ordered work behind a running notification handler (see the module docstring).
        self._queue: deque[_Work] = deque()
        self._draining = False  # the worker has work, or is running some
        self._worker_wakeup: Waiter[None] | None = None
        self._space_waiters: deque[Waiter[None]] = deque()

        # One timer for all our requests, armed at the earliest deadline (see _sweep).
        self._timer: Cancellable | None = None
        self._timer_at = math.inf

        self._rt: Runtime | None = None
        self._closed: str | None = None  # why the connection ended, once it has
        self._closed_waiters: list[Waiter[None]] = []

    # -- registration -------------------------------------------------------------------------

    def on_request(self, method: str, handler: RequestHandler) -> None:
        """Answer the peer's ``method`` requests with ``await handler(context)``.

        The handler's return value is the result. Raising :class:`McpError` answers with that
        error; any other exception answers ``-32603 Internal error``.
        """
        self._request_handlers[method] = handler

    def on_notification(self, method: str, handler: NotificationHandler) -> None:
        """Call ``handler(notification)`` for each ``method`` notification (sync or async)."""
        self._notification_handlers[method] = handler

    # -- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> Dispatcher:
        if self._rt is not None:
            raise RuntimeError("a Dispatcher can be entered only once")
        self._rt = await open_runtime()
        self._rt.spawn(self._read)
        self._rt.spawn(self._drain)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
        rt, self._rt = self._rt, None
        if rt is not None:
            await rt.aclose()

    @property
    def closed(self) -> bool:
        return self._closed is not None

    def _closed_error(self) -> ConnectionClosed:
        # A fresh exception each time: one shared instance would pile up tracebacks, and keep
        # every frame it passed through alive as long as the dispatcher.
        return ConnectionClosed(self._closed or "Connection closed")

    async def wait_closed(self) -> None:
        """Return once the connection has ended (closed by either side)."""
        if self._closed is not None:
            return
        waiter: Waiter[None] = self._runtime().new_waiter()
        self._closed_waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self._closed_waiters:
                self._closed_waiters.remove(waiter)

    async def aclose(self) -> None:
        """End the connection: pending requests fail, handlers are cancelled and waited for.

        It may be called at any time, from any task (a handler too); leaving the ``async with``
        block calls it.
        """
        self._close("Connection closed")
        with anyio.CancelScope(shield=True):
            try:
                await self.transport.aclose()
            except Exception:  # the transport may already be broken; closing must not fail
                _log.debug("error while closing the transport", exc_info=True)
        if self._rt is not None:
            await self._rt.join()

    async def wait_idle(self) -> None:
        """Return once none of the peer's requests is being handled (or the connection ended).

        A transport that reached the end of its input calls it (bounded by its own deadline)
        so that requests already read can still be answered before the connection closes.
        """
        while self._active and self._closed is None:
            waiter: Waiter[None] = self._runtime().new_waiter()
            self._idle_waiters.append(waiter)
            await waiter

    def start_soon(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run ``await fn(*args)`` in a task of this connection, cancelled when it closes.

        For work that must not hold up its caller (a notification to send from sync code, say);
        an exception is logged, not raised (``ConnectionClosed`` quietly).
        """
        self._runtime().spawn(_run_logged, fn, args)

    def _runtime(self) -> Runtime:
        if self._rt is None:
            if self._closed is not None:
                raise self._closed_error()
            raise RuntimeError("use the Dispatcher as an async context manager first")
        return self._rt

    async def _read(self) -> None:
        try:
            await self.transport.run(self)
        except Exception as exc:
            _log.debug("transport failed", exc_info=True)
            self._close(f"Connection lost: {exc.message if isinstance(exc, McpError) else exc}")
        else:
            self._close("Connection closed by peer")

    def _close(self, reason: str) -> None:
        """Fail what waits, stop every task but the caller's; the joining is aclose()'s."""
        if self._closed is not None:
            return
        self._closed = reason
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        outgoing, self._outgoing = self._outgoing, {}
        for out in outgoing.values():
            if not out.waiter.done():
                out.waiter.set_exception(self._closed_error())
        for entry in self._incoming.values():
            entry.cancelled = True  # nothing may be answered any more
        while self._queue:  # work that will not run now
            _close_coroutines(self._queue.popleft()[1])
        for waiters in (self._capacity_waiters, self._space_waiters):
            while waiters:
                waiter = waiters.popleft()
                if not waiter.done():
                    waiter.set_exception(self._closed_error())
        for waiter in self._closed_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._closed_waiters.clear()
        _wake_all(self._idle_waiters)
        if self._worker_wakeup is not None and not self._worker_wakeup.done():
            self._worker_wakeup.set_result(None)
        if self._rt is not None:
            self._rt.cancel_all()  # handlers, the worker, the reader: all but the caller

    # -- sending ------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        params: Params | None = None,
        *,
        timeout: float | _Default | None = DEFAULT,
        max_timeout: float | _Default | None = DEFAULT,
        on_progress: ProgressCallback | None = None,
        related_request_id: RequestId | None = None,
        announce_cancel: bool = True,
        request_id: RequestId | None = None,
    ) -> Any:
        """Send a request and return its result, or raise the peer's error as :class:`McpError`.

        ``request_id`` sends it under an id taken earlier with :meth:`reserve_id` (for a caller
        that must know the id before the answer, to tell the request's notifications apart).

        ``on_progress(progress, total, message)`` (sync or async) receives the peer's progress
        notifications for this request, in order; asking for it adds ``_meta.progressToken``
        to ``params``. Raises :class:`RequestTimeout` after ``timeout`` seconds without an
        answer (progress restarts the clock, up to ``max_timeout`` in all) and
        :class:`ConnectionClosed` if the connection ends first; in both cases, and when the
        caller is cancelled, the peer is sent ``notifications/cancelled`` (unless
        ``announce_cancel`` is false: MCP forbids cancelling ``initialize``).
        """
        if self._closed is not None:
            raise self._closed_error()
        rt = self._runtime()
        rid: RequestId
        if request_id is None:
            rid = next_id = self._next_id
            self._next_id = next_id + 1
        elif request_id in self._outgoing:
            raise ValueError(f"request id {request_id!r} is already in use")
        else:
            rid = request_id
        if on_progress is not None:
            params = _with_progress_token(params, rid)
        limit = self.request_timeout if timeout is DEFAULT else timeout
        if limit is None:
            out = _Outgoing(rt.new_waiter(), method, on_progress, None, math.inf, math.inf)
        else:
            now = rt.now()
            hard = self.max_request_timeout if max_timeout is DEFAULT else max_timeout
            hard_deadline = math.inf if hard is None else now + hard
            deadline = now + limit
            if deadline > hard_deadline:
                deadline = hard_deadline
            out = _Outgoing(rt.new_waiter(), method, on_progress, limit, deadline, hard_deadline)
        self._outgoing[rid] = out
        try:
            await self.transport.send(Request(rid, method, params), related_request_id)
            out.sent = True
        except BaseException as exc:
            self._outgoing.pop(rid, None)
            _forget(out.waiter)  # closing may have failed it meanwhile; nobody will await it now
            if isinstance(exc, anyio.get_cancelled_exc_class()):
                # Cancelled while the transport held the request back: it may have got
                # through, so tell the peer, and expect a late answer.
                self._abandoned.append(rid)
                if announce_cancel:
                    await self._send_cancel(rid, "Request cancelled by the caller", related_request_id)
            raise
        if out.deadline < self._timer_at:  # the timer judges requests once they are sent
            self._arm_timer(out.deadline)
        try:
            return await out.waiter
        except BaseException as exc:
            if self._outgoing.pop(rid, None) is not None:
                # We gave up before the answer: tell the peer, so it can stop working on it.
                self._abandoned.append(rid)
                reason = "timed out" if isinstance(exc, RequestTimeout) else "cancelled by the caller"
                if announce_cancel:
                    await self._send_cancel(rid, f"Request {reason}", related_request_id)
            raise

    def reserve_id(self) -> int:
        """An id no request of ours uses, for :meth:`request`'s ``request_id``."""
        rid = self._next_id
        self._next_id = rid + 1
        return rid

    async def notify(
        self, method: str, params: Params | None = None, *, related_request_id: RequestId | None = None
    ) -> None:
        """Send a notification."""
        if self._closed is not None:
            raise self._closed_error()
        await self.transport.send(Notification(method, params), related_request_id)

    # Timeouts. Arming a timer per request and cancelling it when the answer comes costs more
    # than the rest of a round trip, and nearly every request is answered long before its
    # deadline. So one timer serves the whole connection: it is armed at the earliest deadline
    # it knows of, and when it fires it fails what has expired and re-arms for the earliest
    # deadline left. A request whose deadline is later than the armed one costs a comparison.
    # Progress moves a deadline by plain assignment; the sweep reads it when it comes.

    def _arm_timer(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._runtime().call_at(when, self._sweep)
        self._timer_at = when

    def _sweep(self) -> None:
        self._timer = None
        self._timer_at = math.inf
        rt = self._rt
        if rt is None or self._closed is not None:
            return
        now = rt.now()
        nearest = math.inf
        for rid, out in self._outgoing.items():
            # Answered: not late. Not sent yet: the caller's own scope bounds a blocked send, and
            # a timeout set now would be an exception nobody retrieves if it is abandoned.
            if out.waiter.done() or out.answer is not None or not out.sent:
                continue
            if out.deadline <= now:
                if out.deadline >= out.hard_deadline:
                    reason = "reached its maximum time"
                else:
                    reason = f"got no answer within {out.timeout:g} s"
                # The entry stays: the caller removes it, and sends notifications/cancelled.
                out.waiter.set_exception(
                    RequestTimeout(f"Request {out.method!r} {reason}", {"method": out.method, "id": rid})
                )
            elif out.deadline < nearest:
                nearest = out.deadline
        if nearest < math.inf:
            self._arm_timer(nearest)

    async def _send_cancel(self, rid: RequestId, reason: str, related: RequestId | None) -> None:
        if self._closed is not None:
            return
        note = Notification(CANCELLED, {"requestId": rid, "reason": reason})
        # Shielded and bounded: the caller may be under cancellation, and a stuck transport must
        # not keep it from unwinding.
        with anyio.move_on_after(5, shield=True):
            try:
                await self.transport.send(note, related)
            except Exception:
                _log.debug("could not send %s for request %r", CANCELLED, rid, exc_info=True)

    # -- receiving ----------------------------------------------------------------------------

    async def feed(self, item: Incoming) -> None:
        """Take one incoming message (or batch, or decode error) from the transport, in order.

        Returns once the message has taken effect (an answer delivered, a handler started),
        or has been queued behind a running notification handler. Waits while the peer has
        ``max_concurrency`` requests running, or the queue is full: backpressure.
        """
        if self._closed is not None:
            return
        if isinstance(item, Response):
            self._answer(item)
            return
        if (
            isinstance(item, Request)
            and not self._draining
            and self._active < self.max_concurrency
            and not self._capacity_waiters
        ):
            # The request of a round trip takes effect without awaiting anything.
            handler = self._request_handlers.get(item.method)
            if handler is not None and item.id not in self._incoming:
                refusal = self._refused(item)
                if refusal is None:
                    self._start(item, handler, None)
                else:
                    await self._reject(refusal, None)
                return
        await self._take(item, None)

    def _refused(self, request: Request) -> ErrorResponse | None:
        admission = self.admission
        if admission is None:
            return None
        try:
            admission(request)
        except McpError as exc:
            return ErrorResponse.from_error(request.id, exc)
        return None

    async def _take(self, item: Incoming, batch: _Batch | None) -> None:
        """Apply one incoming item: answers and errors at once, the rest in arrival order."""
        if isinstance(item, (Response, ErrorResponse)):
            self._answer(item)
        elif isinstance(item, list):
            await self._batch(item)
        elif isinstance(item, DecodeError):
            await self._invalid(item, batch)
        else:
            if isinstance(item, Request):
                if batch is not None:
                    batch.waiting += 1
                    if item.id in batch.ids:
                        reason = f"request id {item.id!r} appears twice in the batch"
                        await self._reject(
                            ErrorResponse(item.id, INVALID_REQUEST, "Invalid Request", reason), batch
                        )
                        return
                    batch.ids.add(item.id)
            elif item.method == PROGRESS and self._own_progress(item):
                return
            if self._draining:
                await self._enqueue(self._apply, item, batch)
            else:
                await self._apply(item, batch, inline=True)

    async def _apply(self, item: Request | Notification, batch: _Batch | None, inline: bool = False) -> None:
        if isinstance(item, Request):
            await self._admit(item, batch)
        else:
            if item.method == CANCELLED:
                self._cancelled(item.params)
            handler = self._notification_handlers.get(item.method)
            if handler is not None:
                await self._callback(item.method, handler, (item,), inline)
            elif item.method != CANCELLED:
                _log.debug("no handler for notification %r", item.method)

    async def _callback(
        self, what: str, fn: Callable[..., Awaitable[None] | None], args: tuple[Any, ...], inline: bool
    ) -> None:
        """Run a notification handler; an exception is logged, never raised.

        From the transport (``inline``), an async one goes to the worker instead: it must not
        run in the transport's task, nor be cancelled with it.
        """
        if inline and _is_async(fn):
            await self._enqueue(self._callback, what, fn, args, False)
            return
        try:
            result = fn(*args)
        except Exception:
            _log.exception("%s handler failed", what)
            return
        if result is not None:
            if inline:  # an async callable that did not look like one
                await self._enqueue(_await_logged, what, result)
                return
            await _await_logged(what, result)

    def _answer(self, response: Response | ErrorResponse) -> None:
        rid = response.id
        out = None if rid is None else self._outgoing.pop(rid, None)
        if out is None:
            self._unmatched(response)
        elif out.progress_queue is not None:
            # Progress callbacks of this request are still running: answer after them.
            self._outgoing[rid] = out  # type: ignore[index]  # not None when out was found
            if out.answer is None:
                out.answer = response
            else:
                _log.warning("dropping a second answer for request %r", rid)
        elif not out.waiter.done():
            if isinstance(response, Response):
                out.waiter.set_result(response.result)
            else:
                out.waiter.set_exception(response.to_error())

    def _unmatched(self, response: Response | ErrorResponse) -> None:
        rid = response.id
        if rid in self._abandoned:
            _log.debug("dropping the late answer to abandoned request %r", rid)
        elif isinstance(response, ErrorResponse) and rid is None:
            _log.warning("the peer reported an error: %s", response.to_error())
        else:
            _log.warning("dropping an answer for unknown request id %r", rid)

    async def _admit(self, request: Request, batch: _Batch | None) -> None:
        """Start the handler of a request, waiting for a free slot; or answer why not."""
        handler = self._request_handlers.get(request.method)
        if handler is None:
            error = ErrorResponse(
                request.id, METHOD_NOT_FOUND, "Method not found", {"method": request.method}
            )
            await self._reject(error, batch)
            return
        if self._active >= self.max_concurrency or self._capacity_waiters:
            await self._wait_turn(self._capacity_waiters, self._has_capacity)
        if request.id in self._incoming:
            reason = f"request id {request.id!r} is already in use"
            await self._reject(ErrorResponse(request.id, INVALID_REQUEST, "Invalid Request", reason), batch)
            return
        refusal = self._refused(request)
        if refusal is not None:
            await self._reject(refusal, batch)
            return
        self._start(request, handler, batch)

    def _has_capacity(self) -> bool:
        return self._active < self.max_concurrency

    def _start(self, request: Request, handler: RequestHandler, batch: _Batch | None) -> None:
        entry = _Incoming(batch)
        self._incoming[request.id] = entry
        self._active += 1
        entry.task = task = self._runtime().spawn(self._handle, request, handler, entry)
        if entry.cancelled and self._closed is None:
            # The peer cancelled it while it started eagerly (Python 3.12+), before the task
            # was known. (Closing marks entries too, but spares the task that closed.)
            task.cancel()

    async def _handle(self, request: Request, handler: RequestHandler, entry: _Incoming) -> None:
        rid = request.id
        entry.started = True
        ctx = RequestContext(self, request)
        try:
            if entry.cancelled:  # cancelled before it could start
                return
            try:
                reply: Message = Response(rid, await handler(ctx))
            except McpError as exc:
                reply = ErrorResponse(rid, exc.code, exc.message, exc.data)
            except Exception as exc:
                reply = self._internal_error(rid, exc, f"handler for {request.method!r} failed")
            ctx._finished = True
            if not entry.cancelled:
                if entry.batch is None:
                    await self._send_reply(reply, rid)
                else:
                    entry.batch.replies.append(reply)
        finally:
            ctx._finished = True  # also when cancelled: no progress after the end
            self._active -= 1
            if self._capacity_waiters:
                _wake_one(self._capacity_waiters)
            if not self._active and self._idle_waiters:
                _wake_all(self._idle_waiters)
            if entry.batch is not None:
                await self._batch_done(entry.batch)
            # Last: while its entry is in the table, the task counts as running.
            del self._incoming[rid]

    def _internal_error(self, rid: RequestId | None, exc: Exception, what: str) -> ErrorResponse:
        _log.error("%s", what, exc_info=exc)
        if self.debug:
            detail = "".join(traceback.format_exception(exc))
            return ErrorResponse(rid, INTERNAL_ERROR, f"Internal error: {exc!r}", detail)
        return ErrorResponse(rid, INTERNAL_ERROR, "Internal error")

    async def _reject(self, error: ErrorResponse, batch: _Batch | None) -> None:
        """Answer a request of the peer's that will not run."""
        if batch is None:
            await self._send_reply(error, error.id)
        else:
            batch.replies.append(error)
            await self._batch_done(batch)

    async def _send_reply(self, reply: Message | list[Message], related: RequestId | None) -> None:
        try:
            try:
                await self.transport.send(reply, related)
            except EncodeError as exc:
                # Something JSON cannot carry: answer with what it can, so that no caller
                # waits in vain (in a batch, entry by entry).
                if isinstance(reply, list):
                    await self.transport.send([self._encodable(r, exc) for r in reply], related)
                else:
                    await self.transport.send(self._encodable(reply, exc), related)
        except Exception:
            if self._closed is None:
                _log.warning("could not send a reply", exc_info=True)

    def _encodable(self, reply: Message, exc: EncodeError) -> Message:
        """``reply`` itself if JSON can carry it; else the same error without its data; else -32603."""
        try:
            encode(reply)
            return reply
        except EncodeError:
            pass
        rid = reply.id if isinstance(reply, (Response, ErrorResponse)) else None
        if isinstance(reply, ErrorResponse):
            without_data = ErrorResponse(rid, reply.code, reply.message)
            try:
                encode(without_data)
                return without_data
            except EncodeError:
                pass
        return self._internal_error(rid, exc, "a reply cannot be encoded")

    async def _batch_done(self, batch: _Batch) -> None:
        batch.waiting -= 1
        if batch.complete() and self._closed is None:
            # This task may be under cancellation (the peer cancelled this request); the
            # other answers of the batch must still go out.
            with anyio.CancelScope(shield=True):
                await self._flush(batch)

    async def _flush(self, batch: _Batch) -> None:
        # JSON-RPC: answer a batch with one array of the responses, or with nothing at all if
        # it held only notifications.
        if batch.replies:
            replies, batch.replies = batch.replies, []
            await self._send_reply(replies, None)

    def _cancelled(self, params: Params | None) -> None:
        # Malformed or unknown cancellations are ignored, as MCP says: the request may well
        # have finished already.
        if type(params) is not dict:
            return
        rid = params.get("requestId")
        entry = self._incoming.get(rid) if is_request_id(rid) else None
        if entry is None or entry.cancelled:
            return
        _log.debug("peer cancelled request %r: %s", rid, params.get("reason"))
        entry.cancelled = True
        # A task that has not started sees the flag when it does; cancelling it now could
        # keep its clean-up from ever running.
        if entry.started and entry.task is not None:
            entry.task.cancel()

    def _own_progress(self, note: Notification) -> bool:
        """Deliver progress for one of our requests, at once; False if it is not one of ours.

        Progress does not wait in the ordered queue: a notification handler running there may
        be waiting for this very request. Its deadline moves on arrival. A sync callback is
        called at once; async ones run one after another in a task of their own for this
        request, and the answer is held until they have all run.
        """
        params = note.params
        token = params.get("progressToken") if type(params) is dict else None
        if not is_request_id(token):
            return False
        out = self._outgoing.get(token)
        if out is None or out.on_progress is None:
            return token in self._abandoned  # progress of a request we gave up on: dropped
        assert type(params) is dict
        progress, total, message = params.get("progress"), params.get("total"), params.get("message")
        if not _is_number(progress) or (total is not None and not _is_number(total)):
            _log.debug("ignoring malformed progress notification %r", params)
            return True
        if out.timeout is not None and self._rt is not None:
            out.deadline = min(self._rt.now() + out.timeout, out.hard_deadline)
        callback = out.on_progress
        args: tuple[Any, ...] = (progress, total, message if type(message) is str else None)
        if out.progress_queue is None and not _is_async(callback):
            try:
                result = callback(*args)
            except Exception:
                _log.exception("progress callback failed")
                return True
            if result is None:
                return True
            self._queue_progress(out, result)  # an async callable that did not look like one
        else:
            self._queue_progress(out, functools.partial(callback, *args))
        return True

    def _queue_progress(self, out: _Outgoing, step: _ProgressStep) -> None:
        if out.progress_queue is None:
            out.progress_queue = deque([step])
            self._runtime().spawn(self._run_progress, out)
        else:
            out.progress_queue.append(step)

    async def _run_progress(self, out: _Outgoing) -> None:
        queue = out.progress_queue
        assert queue is not None
        try:
            while queue and not out.waiter.done():  # nobody listens once the caller is gone
                step = queue.popleft()
                try:
                    result = step() if callable(step) else step
                    if result is not None:
                        await result
                except Exception:
                    _log.exception("progress callback failed")
        finally:
            _close_coroutines(tuple(queue))  # steps that will not run now
            out.progress_queue = None
            answer, out.answer = out.answer, None
            if answer is not None:
                self._answer(answer)

    async def _batch(self, items: Batch) -> None:
        batch = _Batch()
        for item in items:
            await self._take(item, batch)
        batch.sealed = True
        if batch.complete():
            await self._flush(batch)

    async def _invalid(self, error: DecodeError, batch: _Batch | None) -> None:
        if not error.is_response:
            _log.debug("answering an invalid message: %s", error)
            reply = error.to_response()
            if reply.id is None and self.omit_unknown_error_id:
                reply.omit_id = True
            if batch is None:
                await self._send_reply(reply, None)
            else:
                batch.replies.append(reply)
            return
        # Never answer a response, valid or not: two peers could bounce errors forever. But
        # do not leave the request it was meant for waiting until it times out.
        out = self._outgoing.pop(error.id, None) if error.id is not None else None
        _log.warning("the peer sent an invalid response: %s", error.data)
        if out is not None and not out.waiter.done():
            out.waiter.set_exception(McpError(INVALID_REQUEST, "Invalid response from peer", error.data))

    # -- the ordered queue --------------------------------------------------------------------

    async def _wait_turn(self, waiters: deque[Waiter[None]], has_room: Callable[[], bool]) -> None:
        """Wait in line until there is room. A turn given to a task that is cancelled before
        it could use it goes to the next in line, so no wake-up is ever lost."""
        while True:
            waiter: Waiter[None] = self._runtime().new_waiter()
            waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter in waiters:
                    waiters.remove(waiter)
                if has_room():
                    _wake_one(waiters)
                raise
            if has_room():
                return

    def _has_queue_space(self) -> bool:
        return len(self._queue) < self.max_queued_notifications

    async def _enqueue(self, fn: Callable[..., Awaitable[None] | None], *args: Any) -> None:
        """Queue work for the worker. Work that can no longer run is dropped, and a coroutine
        it carries is closed, so that nothing is left never awaited."""
        try:
            if not self._has_queue_space() or self._space_waiters:
                await self._wait_turn(self._space_waiters, self._has_queue_space)
        except BaseException:
            _close_coroutines(args)
            raise
        if self._closed is not None:
            _close_coroutines(args)
            return
        self._queue.append((fn, args))
        if not self._draining:
            self._draining = True
            wakeup = self._worker_wakeup
            if wakeup is not None and not wakeup.done():
                wakeup.set_result(None)

    async def _drain(self) -> None:
        queue = self._queue
        while self._closed is None:
            while queue:
                fn, args = queue.popleft()
                if self._space_waiters:
                    _wake_one(self._space_waiters)
                try:
                    result = fn(*args)
                    if result is not None:
                        await result
                except Exception:
                    if self.closed:
                        return
                    _log.exception("processing a queued message failed")
            self._draining = False
            if self.closed:  # closed by a handler it ran: nobody will wake it
                return
            self._worker_wakeup = self._runtime().new_waiter()
            await self._worker_wakeup


async def _run_logged(fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
    try:
        await fn(*args)
    except ConnectionClosed:
        pass
    except Exception:
        _log.exception("background task %r failed", fn)


async def _await_logged(what: str, work: Awaitable[None]) -> None:
    try:
        await work
    except Exception:
        _log.exception("%s handler failed", what)


def _close_coroutines(args: tuple[Any, ...]) -> None:
    for arg in args:
        if inspect.iscoroutine(arg):
            arg.close()


def _forget(waiter: Waiter[Any]) -> None:
    """Mark a failed waiter's exception as seen (asyncio warns about unseen ones when it collects)."""
    if waiter.done():
        exception = getattr(waiter, "exception", None)
        if exception is not None:
            try:
                exception()
            except BaseException:  # a cancelled future raises here instead
                pass


def _is_async(fn: Callable[..., Any]) -> bool:
    """A coroutine function, or an object whose ``__call__`` is one."""
    call = getattr(type(fn), "__call__", None)  # noqa: B004 - looking for the method, not testing callability
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)


def _wake_all(waiters: list[Waiter[None]]) -> None:
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(None)
    waiters.clear()


def _wake_one(waiters: deque[Waiter[None]]) -> None:
    while waiters:
        waiter = waiters.popleft()
        if not waiter.done():  # a waiter whose task gave up is skipped
            waiter.set_result(None)
            return


def _is_number(value: object) -> bool:
    t = type(value)
    return t is int or t is float


def _with_progress_token(params: Params | None, token: RequestId) -> dict[str, Any]:
    if params is None:
        return {"_meta": {"progressToken": token}}
    if type(params) is not dict:
        raise TypeError("progress needs object params: a progress token lives in params._meta")
    meta = params.get("_meta")
    meta = dict(meta) if type(meta) is dict else {}
    meta["progressToken"] = token
    return {**params, "_meta": meta}
