"""mcpcore.framing: the line framer and the SSE codec, under every chunking."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mcpcore.framing import (
    DEFAULT_MAX_FRAME_SIZE,
    FrameTooLarge,
    LineFramer,
    SSEDecoder,
    SSEEvent,
    encode_sse_comment,
    encode_sse_event,
)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    """Cut ``data`` at the given offsets (taken modulo its length, in order)."""
    if not data:
        return [data]
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


cuts = st.lists(st.integers(min_value=0, max_value=10_000), max_size=12)

# -- the line framer --------------------------------------------------------------------------

line_bytes = st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b""))


def feed_all(framer: LineFramer, pieces: list[bytes]) -> list[bytes | FrameTooLarge]:
    out: list[bytes | FrameTooLarge] = []
    for piece in pieces:
        out += framer.feed(piece)
    return out


@given(st.lists(line_bytes, max_size=10), cuts, st.booleans())
def test_lines_survive_any_chunking(lines: list[bytes], cut_at: list[int], crlf: bool) -> None:
    end = b"\r\n" if crlf else b"\n"
    data = b"".join(line + end for line in lines)
    framer = LineFramer()
    assert feed_all(framer, chunked(data, cut_at)) == [line for line in lines if line]
    assert framer.buffered == 0
    assert framer.end() == []


@given(st.lists(line_bytes, min_size=1, max_size=8), st.integers(0, 7), cuts, st.integers(5, 30))
def test_an_oversized_line_is_reported_in_place_and_the_rest_survive(
    lines: list[bytes], where: int, cut_at: list[int], limit: int
) -> None:
    lines = [line[:limit] for line in lines if line]
    if not lines:
        lines = [b"x"]
    index = where % (len(lines) + 1)
    stream = [*lines[:index], b"y" * (limit + 1 + where * 7), *lines[index:]]
    data = b"".join(line + b"\n" for line in stream)
    out = feed_all(LineFramer(max_line_size=limit), chunked(data, cut_at))
    assert out == [*lines[:index], FrameTooLarge(limit), *lines[index:]]


def test_a_line_at_the_limit_passes_and_one_byte_more_does_not() -> None:
    framer = LineFramer(max_line_size=4)
    assert framer.feed(b"abcd\nabcde\nok\n") == [b"abcd", FrameTooLarge(4), b"ok"]


def test_memory_stays_bounded_while_an_endless_line_streams_in() -> None:
    framer = LineFramer(max_line_size=1000)
    reported = []
    for _ in range(500):
        reported += framer.feed(b"z" * 333)
        assert framer.buffered <= 1000
    assert reported == [FrameTooLarge(1000)]  # one report per oversized line, not per chunk
    assert framer.feed(b"tail of it\nnext\n") == [b"next"]


def test_only_newline_splits() -> None:
    line_separator = "a\u2028b\u2029c".encode()
    framer = LineFramer()
    assert framer.feed(line_separator + b"\n") == [line_separator]
    assert framer.feed(b"lone\rcarriage\rreturns\n") == [b"lone\rcarriage\rreturns"]
    assert framer.feed(b"one\r\n\r\n\ntwo\n") == [b"one", b"two"]  # blank lines are skipped


def test_end_returns_an_unterminated_last_line() -> None:
    framer = LineFramer()
    assert framer.feed(b'{"a":1}\n{"b"') == [b'{"a":1}']
    assert framer.feed(b":2}") == []
    assert framer.end() == [b'{"b":2}']
    assert framer.end() == []


def test_default_limit_is_32_mib() -> None:
    assert LineFramer().max_line_size == DEFAULT_MAX_FRAME_SIZE == 32 * 1024 * 1024


@pytest.mark.parametrize("limit", [0, -1, 1.5, "10"])
def test_the_limit_must_be_a_positive_integer(limit: object) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        LineFramer(max_line_size=limit)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive integer"):
        SSEDecoder(max_event_size=limit)  # type: ignore[arg-type]


def test_framer_accepts_bytearray_and_memoryview() -> None:
    framer = LineFramer()
    assert framer.feed(bytearray(b"a\nb")) == [b"a"]
    assert framer.feed(memoryview(b"c\n")) == [b"bc"]


# -- SSE: a reference reading of the standard --------------------------------------------------


def reference_sse(stream: bytes) -> tuple[list[SSEEvent], str, int | None]:
    """The WHATWG event-stream interpretation, done on the whole stream at once."""
    text = stream.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = re.split(r"\r\n|\r|\n", text)
    lines.pop()  # the part after the last line end is not a complete line
    events: list[SSEEvent] = []
    data, event_type, id_buffer, last_id, retry = "", "", "", "", None
    for line in lines:
        if line == "":
            last_id = id_buffer  # the id counts once its block is complete
            if data:
                events.append(
                    SSEEvent(data[:-1] if data.endswith("\n") else data, event_type or "message", last_id)
                )
            data, event_type = "", ""
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data += value + "\n"
        elif name == "event":
            event_type = value
        elif name == "id" and "\0" not in value:
            id_buffer = value
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            retry = int(value)
    return events, last_id, retry


sse_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=15)
sse_line = st.one_of(
    st.builds(lambda v: f"data:{v}", sse_text),
    st.builds(lambda v: f"data: {v}", sse_text),
    st.builds(lambda v: f"event: {v}", sse_text),
    st.builds(lambda v: f"id: {v}", sse_text),
    st.builds(lambda v: f"retry: {v}", st.integers(0, 99999).map(str) | sse_text),
    st.builds(lambda v: f":{v}", sse_text),
    st.sampled_from(["", "", "data", "id", "event", "retry:", "bogus: field", "\ufeffdata: x", "id: a\0b"]),
)


@given(
    st.lists(
        st.tuples(sse_line.map(lambda s: re.sub(r"[\r\n]", "", s)), st.sampled_from(["\n", "\r\n", "\r"]))
    ),
    st.booleans(),
    cuts,
)
@example([("data: a", "\r"), ("", "\n")], False, [])  # CR, then LF: two line ends, not one
@example([("data: x", "\r\n"), ("", "\r\n")], True, [3, 9])
@example([("data: a", "\n"), ("", "\n"), ("id: 7", "\n"), ("data: cut", "\n")], False, [])  # cut mid-block
def test_sse_decoder_matches_the_reference_under_any_chunking(
    lines: list[tuple[str, str]], bom: bool, cut_at: list[int]
) -> None:
    stream = ("\ufeff" if bom else "").encode() + "".join(line + end for line, end in lines).encode()
    expected_events, expected_id, expected_retry = reference_sse(stream)
    decoder = SSEDecoder()
    events: list[SSEEvent | FrameTooLarge] = []
    for piece in chunked(stream, cut_at):
        events += decoder.feed(piece)
    assert events == expected_events
    assert decoder.last_event_id == expected_id
    assert decoder.retry == expected_retry


@given(
    st.lists(
        st.tuples(
            st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
            st.none() | sse_text.map(lambda s: re.sub(r"[\r\n]", "", s)).filter(bool),
            st.none() | sse_text.map(lambda s: re.sub(r"[\r\n\0]", "", s)),
            st.none() | st.integers(0, 10**6),
        ),
        max_size=6,
    ),
    cuts,
)
def test_sse_encode_then_decode(
    events: list[tuple[str, str | None, str | None, int | None]], cut_at: list[int]
) -> None:
    stream = b"".join(encode_sse_event(d, event=e, id=i, retry=r) for d, e, i, r in events)
    decoder = SSEDecoder()
    out: list[SSEEvent | FrameTooLarge] = []
    for piece in chunked(stream, cut_at):
        out += decoder.feed(piece)
    last_id = ""
    expected = []
    for data, event, event_id, _ in events:
        if event_id is not None:
            last_id = event_id
        # Line breaks in data come back as \n, whichever kind went in.
        expected.append(SSEEvent(re.sub(r"\r\n|\r", "\n", data), event or "message", last_id))
    assert out == expected
    retries = [r for *_, r in events if r is not None]
    assert decoder.retry == (retries[-1] if retries else None)


def test_sse_event_bytes() -> None:
    assert encode_sse_event(b'{"a":1}', event="message", id="s1-7") == (
        b'event: message\nid: s1-7\ndata: {"a":1}\n\n'
    )
    assert encode_sse_event("", id="prime", retry=1000) == b"id: prime\nretry: 1000\ndata:\n\n"
    assert encode_sse_event("a\nb\r\nc") == b"data: a\ndata: b\ndata: c\n\n"


def test_a_priming_event_with_empty_data_is_dispatched_and_sets_the_id() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 0\ndata:\n\n") == [SSEEvent("", "message", "0")]
    assert decoder.last_event_id == "0"


def test_an_event_without_data_is_not_dispatched_but_its_id_and_retry_count() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 42\nretry: 3000\nevent: ping\n\n") == []
    assert (decoder.last_event_id, decoder.retry) == ("42", 3000)
    assert decoder.feed(b"data: x\n\n") == [SSEEvent("x", "message", "42")]  # event type was reset


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"event": "a\nb"}, "line break"),
        ({"id": "a\rb"}, "line break"),
        ({"id": "a\0b"}, "NUL"),
        ({"retry": -1}, "non-negative"),
    ],
)
def test_sse_encoder_refuses_fields_that_would_break_the_stream(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        encode_sse_event("x", **kwargs)  # type: ignore[arg-type]


def test_comments() -> None:
    assert encode_sse_comment() == b":\n"
    assert encode_sse_comment("keep-alive") == b": keep-alive\n"
    assert encode_sse_comment("a\nb") == b": a\n: b\n"
    decoder = SSEDecoder()
    assert decoder.feed(b": keep-alive\n" + encode_sse_comment("x\ny") + b"data: after\n\n") == [
        SSEEvent("after", "message", "")
    ]


def test_bom_only_at_the_start_and_split_across_chunks() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef") == []
    assert decoder.feed(b"\xbb") == []
    assert decoder.feed(b"\xbfdata: a\n\n") == [SSEEvent("a")]
    # A second BOM is not a BOM any more: the line's field name starts with U+FEFF.
    assert decoder.feed(b"\xef\xbb\xbfdata: b\n\n") == []


def test_a_stream_that_starts_like_a_bom_but_is_not_one() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef") == []
    # Not a BOM: the stray byte decodes to U+FFFD and spoils the first field name.
    assert decoder.feed(b"data: x\n\ndata: y\n\n") == [SSEEvent("y")]
    decoder = SSEDecoder()
    assert decoder.feed(b"d") == []
    assert decoder.feed(b"ata: y\n\n") == [SSEEvent("y")]


def test_an_oversized_event_is_skipped_and_the_next_one_arrives() -> None:
    decoder = SSEDecoder(max_event_size=50)
    stream = b"data: " + b"a" * 30 + b"\ndata: " + b"b" * 30 + b"\n\n" + b"data: fine\n\n"
    assert decoder.feed(stream) == [FrameTooLarge(50), SSEEvent("fine")]
    decoder = SSEDecoder(max_event_size=50)
    out: list[SSEEvent | FrameTooLarge] = []
    for piece in [b"data: ", b"c" * 40, b"c" * 40, b"c" * 40, b"\n", b"data: more\n\n", b"data: ok\n\n"]:
        out += decoder.feed(piece)
    assert out == [FrameTooLarge(50), SSEEvent("ok")]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    assert SSEDecoder().feed(b"data: \xff\xfe\n\n") == [SSEEvent("\ufffd\ufffd")]
