"""Message framing for byte streams. Sans-IO: feed arbitrary chunks, get complete frames.

* :class:`LineFramer` cuts a byte stream into newline-delimited lines, as the stdio transport
  needs. It splits on ``\\n`` only: not on a lone ``\\r``, and never on U+2028/U+2029, which
  are legal inside JSON strings (their UTF-8 bytes contain no ``\\n``). A ``\\r`` before the
  ``\\n`` is dropped, for peers that write CRLF.
* :func:`encode_sse_event` / :class:`SSEDecoder` write and read Server-Sent Events as the
  WHATWG HTML standard ("Server-sent events", section 9.2) defines them: ``event``, ``id``,
  ``retry`` and multi-line ``data`` fields, comments, CRLF / LF / CR line ends and a leading
  byte order mark.

Both framers are bounded. A line (or an SSE event) longer than the limit is not buffered: the
framer reports one :class:`FrameTooLarge` in its place, skips to the end of that frame and
carries on, so the frames after it are not lost. The default limit, 32 MiB, is far above any
sane MCP message (a large image in base64 is a few MiB) yet keeps one hostile peer from taking
the process's memory; asyncio's own 64 KiB line limit is the opposite mistake, and breaks real
servers that return screenshots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "DEFAULT_MAX_FRAME_SIZE",
    "FrameTooLarge",
    "LineFramer",
    "SSEDecoder",
    "SSEEvent",
    "encode_sse_comment",
    "encode_sse_event",
]

DEFAULT_MAX_FRAME_SIZE: Final = 32 * 1024 * 1024

_BOM: Final = b"\xef\xbb\xbf"


class FrameTooLarge(ValueError):
    """A frame exceeded the framer's limit and was dropped. It is returned, not raised."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"frame exceeds the limit of {limit} bytes")
        self.limit = limit

    def __eq__(self, other: object) -> bool:
        return type(other) is FrameTooLarge and other.limit == self.limit

    def __hash__(self) -> int:
        return hash(self.limit)


def _check_limit(limit: int) -> int:
    if type(limit) is not int or limit < 1:
        raise ValueError(f"the frame size limit must be a positive integer, not {limit!r}")
    return limit


class LineFramer:
    """Splits a byte stream into lines.

    ``feed()`` returns, in stream order, every line completed by the new bytes (without its
    ``\\n`` or ``\\r\\n``) and a :class:`FrameTooLarge` for each line over ``max_line_size``
    bytes. Empty lines are skipped. Memory use stays under ``max_line_size`` plus one chunk,
    and the work is linear in the bytes fed, however the stream is chunked.
    """

    __slots__ = ("_buffer", "_discarding", "max_line_size")

    def __init__(self, max_line_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        self.max_line_size = _check_limit(max_line_size)
        self._buffer = bytearray()
        # True while skipping the rest of a line already reported as too large.
        self._discarding = False

    @property
    def buffered(self) -> int:
        """Bytes of an incomplete line held back until its newline arrives."""
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes | FrameTooLarge]:
        out: list[bytes | FrameTooLarge] = []
        limit = self.max_line_size
        parts = bytes(data).split(b"\n")
        tail = parts.pop()  # whatever follows the last newline: an incomplete line
        if not parts:  # no newline in this chunk
            if not self._discarding:
                self._buffer += tail
                if len(self._buffer) > limit:
                    out.append(FrameTooLarge(limit))
                    self._buffer.clear()
                    self._discarding = True
            return out
        if self._discarding:
            parts[0] = b""  # the end of the line being skipped
            self._discarding = False
        elif self._buffer:
            self._buffer += parts[0]
            parts[0] = bytes(self._buffer)
            self._buffer.clear()
        for line in parts:
            if len(line) > limit:
                out.append(FrameTooLarge(limit))
                continue
            if line.endswith(b"\r"):
                line = line[:-1]
            if line:
                out.append(line)
        if tail:
            if len(tail) > limit:
                out.append(FrameTooLarge(limit))
                self._discarding = True
            else:
                self._buffer += tail
        return out

    def end(self) -> list[bytes]:
        """The stream ended: return its last line if it had no newline, and reset."""
        line = bytes(self._buffer)
        self._buffer.clear()
        self._discarding = False
        if line.endswith(b"\r"):
            line = line[:-1]
        return [line] if line else []


# --------------------------------------------------------------------------------------------
# Server-Sent Events


@dataclass(slots=True, frozen=True)
class SSEEvent:
    """One dispatched event. ``id`` is the stream's last event id when it was dispatched."""

    data: str
    event: str = "message"
    id: str = ""


def _check_field(name: str, value: str) -> None:
    if "\n" in value or "\r" in value:
        raise ValueError(f"an SSE {name} must not contain a line break: {value!r}")


def encode_sse_event(
    data: str | bytes,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
) -> bytes:
    """One event, ending with its blank line. Line breaks in ``data`` become extra ``data:`` lines."""
    head = b""
    if event is not None:
        _check_field("event name", event)
        head += b"event: " + event.encode() + b"\n"
    if id is not None:
        _check_field("id", id)
        if "\0" in id:
            raise ValueError("an SSE id must not contain NUL: receivers ignore such ids")
        head += b"id: " + id.encode() + b"\n"
    if retry is not None:
        if type(retry) is not int or retry < 0:
            raise ValueError(f"an SSE retry must be a non-negative integer, not {retry!r}")
        head += b"retry: " + str(retry).encode() + b"\n"
    raw = data.encode() if isinstance(data, str) else bytes(data)
    if b"\n" not in raw and b"\r" not in raw:  # the common case: one JSON text
        return head + (b"data: " + raw if raw else b"data:") + b"\n\n"
    lines = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    body = b"".join(b"data: " + line + b"\n" if line else b"data:\n" for line in lines)
    return head + body + b"\n"


def encode_sse_comment(text: str = "") -> bytes:
    """A comment line (``: text``): ignored by receivers, used to keep idle streams alive."""
    if not text:
        return b":\n"
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "".join(f": {line}\n" for line in lines).encode()


class SSEDecoder:
    """Reads an event stream incrementally, as a browser's ``EventSource`` does.

    ``feed()`` returns the events completed by the new bytes, and a :class:`FrameTooLarge`
    in place of an event (or a line) over ``max_event_size`` bytes; the rest of that event is
    skipped. ``last_event_id`` and ``retry`` (milliseconds, or ``None`` until the stream sets
    it) are what a client needs to reconnect. An ``id`` takes effect at the blank line that
    ends its block, even a block without data, never before: a stream cut in the middle of a
    block must not claim an event that never fully arrived.
    """

    __slots__ = (
        "_buffer",
        "_data",
        "_data_size",
        "_discarding",
        "_event",
        "_id_buffer",
        "_skip_lf",
        "_started",
        "last_event_id",
        "max_event_size",
        "retry",
    )

    def __init__(self, max_event_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        self.max_event_size = _check_limit(max_event_size)
        self.last_event_id = ""
        self._id_buffer = ""  # the id of the block being read; becomes last_event_id at its end
        self.retry: int | None = None
        self._buffer = bytearray()  # an incomplete line (or, at the start, a partial BOM)
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self._started = False  # the byte order mark has been looked for
        self._skip_lf = False  # the last chunk ended in CR: a LF opening the next is its pair
        self._discarding = False  # skipping the rest of an oversized event

    def feed(self, data: bytes | bytearray | memoryview) -> list[SSEEvent | FrameTooLarge]:
        chunk = bytes(data)
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if not self._started:
            head = bytes(self._buffer) + chunk
            if len(head) < len(_BOM) and _BOM.startswith(head):
                self._buffer[:] = head  # could still become a BOM
                return []
            self._started = True
            self._buffer.clear()
            chunk = head[len(_BOM) :] if head.startswith(_BOM) else head
        out: list[SSEEvent | FrameTooLarge] = []
        if b"\n" not in chunk and b"\r" not in chunk:
            self._buffer += chunk
            if len(self._buffer) > self.max_event_size:
                self._buffer.clear()
                self._too_large(out)
            return out
        text = bytes(self._buffer) + chunk if self._buffer else chunk
        self._buffer.clear()
        self._skip_lf = text.endswith(b"\r")
        lines = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        tail = lines.pop()
        for line in lines:
            self._line(line, out)
        if len(tail) > self.max_event_size:
            self._too_large(out)
        else:
            self._buffer += tail
        return out

    def _too_large(self, out: list[SSEEvent | FrameTooLarge]) -> None:
        if not self._discarding:
            out.append(FrameTooLarge(self.max_event_size))
        self._discarding = True
        self._data.clear()
        self._data_size = 0
        self._event = ""

    def _line(self, raw: bytes, out: list[SSEEvent | FrameTooLarge]) -> None:
        if not raw:
            self.last_event_id = self._id_buffer
            if self._discarding:
                self._discarding = False
            elif self._data:
                out.append(SSEEvent("\n".join(self._data), self._event or "message", self.last_event_id))
            self._data.clear()
            self._data_size = 0
            self._event = ""
            return
        if self._discarding:
            return
        if len(raw) > self.max_event_size:
            self._too_large(out)
            return
        line = raw.decode("utf-8", "replace")
        name, colon, value = line.partition(":")
        if not colon:
            value = ""
        elif not name:
            return  # a comment
        elif value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data_size += len(raw) + 1
            if self._data_size > self.max_event_size:
                self._too_large(out)
                return
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)
        # Any other field name is ignored, as the standard says.
