"""Second-opinion tests: the event-stream parsing rules of the WHATWG HTML standard (9.2.5/9.2.6).

Every stream is fed to a fresh :class:`SSEDecoder` in several ways (all at once, one byte at a
time, in small odd-sized pieces) and must give the same events each way. The expected events
are what a browser's ``EventSource`` would fire: ``SSEEvent.id`` stands for the event's
``lastEventId`` and ``SSEDecoder.last_event_id`` for the source's last event ID string (the
value a reconnection would send as ``Last-Event-ID``).

These tests were written from the specification alone, not from the project's own tests.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mcpcore.framing import FrameTooLarge, SSEDecoder, SSEEvent, encode_sse_event

Output = list[SSEEvent | FrameTooLarge]
Feeder = Callable[[SSEDecoder, bytes], Output]


def feed_whole(decoder: SSEDecoder, stream: bytes) -> Output:
    return decoder.feed(stream)


def feed_bytewise(decoder: SSEDecoder, stream: bytes) -> Output:
    out: Output = []
    for i in range(len(stream)):
        out += decoder.feed(stream[i : i + 1])
    return out


def feed_odd_pieces(decoder: SSEDecoder, stream: bytes) -> Output:
    out: Output = []
    sizes = (3, 1, 2, 5)
    i = k = 0
    while i < len(stream):
        size = sizes[k % len(sizes)]
        out += decoder.feed(stream[i : i + size])
        i += size
        k += 1
    return out


@pytest.fixture(params=[feed_whole, feed_bytewise, feed_odd_pieces], ids=["whole", "bytewise", "pieces"])
def feed(request: pytest.FixtureRequest) -> Feeder:
    feeder: Feeder = request.param
    return feeder


def parse(feed: Feeder, stream: bytes) -> tuple[Output, SSEDecoder]:
    decoder = SSEDecoder()
    return feed(decoder, stream), decoder


def msg(data: str, event: str = "message", id: str = "") -> SSEEvent:
    return SSEEvent(data, event, id)


# --------------------------------------------------------------------------------------------
# The examples of the standard.


def test_example_multiline_stock_quote(feed: Feeder) -> None:
    events, _ = parse(feed, b"data: YHOO\ndata: +2\ndata: 10\n\n")
    assert events == [msg("YHOO\n+2\n10")]


def test_example_introduction_messages(feed: Feeder) -> None:
    stream = (
        b"data: This is the first message.\n\n"
        b"data: This is the second message, it\n"
        b"data: has two lines.\n\n"
        b"data: This is the third message.\n\n"
    )
    events, _ = parse(feed, stream)
    assert events == [
        msg("This is the first message."),
        msg("This is the second message, it\nhas two lines."),
        msg("This is the third message."),
    ]


def test_example_event_types(feed: Feeder) -> None:
    stream = b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n"
    events, _ = parse(feed, stream)
    assert events == [msg("73857293", "add"), msg("2153", "remove"), msg("113411", "add")]


FOUR_BLOCKS = b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n"


def test_example_comment_ids_and_leading_space(feed: Feeder) -> None:
    events, decoder = parse(feed, FOUR_BLOCKS)
    # The last block has no blank line after it yet: the end of the input does not dispatch it.
    assert events == [msg("first event", id="1"), msg("second event", id="")]
    assert decoder.last_event_id == ""


def test_example_comment_ids_and_leading_space_completed(feed: Feeder) -> None:
    events, decoder = parse(feed, FOUR_BLOCKS + b"\n")
    assert events == [msg("first event", id="1"), msg("second event", id=""), msg(" third event", id="")]
    assert decoder.last_event_id == ""


def test_example_id_is_remembered_between_blocks(feed: Feeder) -> None:
    _, decoder = parse(feed, b": test stream\n\ndata: first event\nid: 1\n\n")
    assert decoder.last_event_id == "1"


def test_example_empty_data(feed: Feeder) -> None:
    stream = b"data\n\ndata\ndata\n\ndata:"
    events, decoder = parse(feed, stream)
    assert events == [msg(""), msg("\n")]
    # The unfinished last block fires like the first once its blank line comes.
    assert feed(decoder, b"\n\n") == [msg("")]


def test_example_space_after_colon_is_optional(feed: Feeder) -> None:
    events, _ = parse(feed, b"data:test\n\ndata: test\n\n")
    assert events == [msg("test"), msg("test")]


# --------------------------------------------------------------------------------------------
# Line ends and the byte order mark.


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_end(feed: Feeder, eol: bytes) -> None:
    stream = eol.join([b"event: quote", b"data: YHOO", b"data: +2", b"", b"data: next", b"", b""])
    events, _ = parse(feed, stream)
    assert events == [msg("YHOO\n+2", "quote"), msg("next")]


def test_mixed_line_ends(feed: Feeder) -> None:
    events, _ = parse(feed, b"data: a\rdata: b\r\ndata: c\n\r\ndata: d\r\rdata: e\n\n")
    assert events == [msg("a\nb\nc"), msg("d"), msg("e")]


@pytest.mark.parametrize(
    "stream",
    [b"data: x\r\n\r\n", b"data: x\r\r", b"data: x\n\n", b"data: x\n\r", b"data: x\r\n\n", b"data: x\n\r\n"],
)
def test_crlf_is_one_line_end(feed: Feeder, stream: bytes) -> None:
    events, decoder = parse(feed, stream)
    assert events == [msg("x")]
    # Whatever the line end, the block is closed: the next one starts clean.
    assert feed(decoder, b"data: y\n\n") == [msg("y")]


def test_cr_then_lf_is_not_two_blank_lines(feed: Feeder) -> None:
    # "a" CR LF "b" CR LF CR LF: one event with two lines, not one event per line.
    events, _ = parse(feed, b"data: a\r\ndata: b\r\n\r\n")
    assert events == [msg("a\nb")]


def test_leading_bom_is_skipped(feed: Feeder) -> None:
    events, _ = parse(feed, b"\xef\xbb\xbfdata: x\n\n")
    assert events == [msg("x")]


def test_only_one_leading_bom_is_skipped(feed: Feeder) -> None:
    # The second BOM becomes part of the field name, which is then unknown and ignored.
    events, _ = parse(feed, b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\ndata: y\n\n")
    assert events == [msg("y")]


def test_bom_later_in_the_stream_is_not_skipped(feed: Feeder) -> None:
    events, _ = parse(feed, b"data: a\n\n\xef\xbb\xbfdata: b\n\ndata: c\n\n")
    assert events == [msg("a"), msg("c")]


def test_partial_bom_prefix_is_not_eaten(feed: Feeder) -> None:
    # Bytes that only start like a BOM belong to the stream (here they decode to U+FFFD).
    events, _ = parse(feed, b"\xef\xbbdata: x\n\ndata: y\n\n")
    assert events == [msg("y")]


# --------------------------------------------------------------------------------------------
# Fields.


def test_comments_are_ignored_anywhere(feed: Feeder) -> None:
    events, _ = parse(feed, b":\n: keep-alive\ndata: a\n:comment inside\ndata: b\n\n:tail\n\n")
    assert events == [msg("a\nb")]


def test_unknown_fields_are_ignored(feed: Feeder) -> None:
    events, _ = parse(feed, b"foo: bar\ndata: a\nDATA: no\nData: no\nevent : no\n data: no\n\n")
    assert events == [msg("a")]


def test_line_without_colon_is_a_field_with_empty_value(feed: Feeder) -> None:
    events, _ = parse(feed, b"event: x\nevent\ndata\n\n")
    assert events == [msg("")]


def test_only_first_colon_separates(feed: Feeder) -> None:
    events, _ = parse(feed, b"data: a:b: c\n\ndata::x\n\n")
    assert events == [msg("a:b: c"), msg(":x")]


def test_only_one_space_is_removed(feed: Feeder) -> None:
    events, _ = parse(feed, b"data:   x  \n\ndata:\tx\n\nevent:  sp\ndata: y\n\n")
    assert events == [msg("  x  "), msg("\tx"), msg("y", " sp")]


def test_data_lines_keep_empty_ones(feed: Feeder) -> None:
    events, _ = parse(feed, b"data: a\ndata:\ndata: b\ndata:\n\n")
    assert events == [msg("a\n\nb\n")]


def test_blank_lines_without_data_fire_nothing(feed: Feeder) -> None:
    events, _ = parse(feed, b"\n\n\n\r\n\r\r")
    assert events == []


def test_event_type_resets_after_dispatch(feed: Feeder) -> None:
    events, _ = parse(feed, b"event: one\ndata: a\n\ndata: b\n\n")
    assert events == [msg("a", "one"), msg("b")]


def test_event_type_resets_even_without_data(feed: Feeder) -> None:
    events, _ = parse(feed, b"event: lost\n\ndata: b\n\n")
    assert events == [msg("b")]


def test_empty_event_type_means_message(feed: Feeder) -> None:
    events, _ = parse(feed, b"event:\ndata: a\n\n")
    assert events == [msg("a")]


def test_last_event_type_wins(feed: Feeder) -> None:
    events, _ = parse(feed, b"event: a\nevent: b\ndata: x\n\n")
    assert events == [msg("x", "b")]


# --------------------------------------------------------------------------------------------
# The last event id.


def test_id_persists_across_events(feed: Feeder) -> None:
    events, decoder = parse(feed, b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\ndata: d\n\n")
    assert events == [msg("a", id="1"), msg("b", id="1"), msg("c", id="2"), msg("d", id="2")]
    assert decoder.last_event_id == "2"


def test_id_after_data_in_same_block_applies(feed: Feeder) -> None:
    events, _ = parse(feed, b"data: a\nid: 7\n\n")
    assert events == [msg("a", id="7")]


@pytest.mark.parametrize("reset", [b"id\n", b"id:\n", b"id: \n"], ids=["bare", "colon", "colon-space"])
def test_empty_id_resets(feed: Feeder, reset: bytes) -> None:
    events, decoder = parse(feed, b"id: 1\ndata: a\n\n" + reset + b"data: b\n\n")
    assert events == [msg("a", id="1"), msg("b", id="")]
    assert decoder.last_event_id == ""


@pytest.mark.parametrize("value", [b"\x00", b"x\x00", b"\x00x", b"x\x00x", b" \x00"])
def test_id_with_nul_is_ignored(feed: Feeder, value: bytes) -> None:
    events, decoder = parse(feed, b"id: keep\ndata: a\n\nid: " + value + b"\ndata: b\n\n")
    assert events == [msg("a", id="keep"), msg("b", id="keep")]
    assert decoder.last_event_id == "keep"


def test_id_only_block_sets_last_event_id(feed: Feeder) -> None:
    # No data, so no event; the source's last event ID is still updated at the blank line.
    events, decoder = parse(feed, b"id: 5\n\n")
    assert events == []
    assert decoder.last_event_id == "5"
    assert feed(decoder, b"data: x\n\n") == [msg("x", id="5")]


def test_id_of_an_unfinished_block_is_not_yet_the_last_event_id(feed: Feeder) -> None:
    # The id field fills a buffer; the source's last event ID is only set when the block is
    # dispatched. A reconnection after a block cut short must not claim its id.
    events, decoder = parse(feed, b"retry:1000\ndata:test1\n\nid:test\ndata:test2")
    assert events == [msg("test1")]
    assert decoder.last_event_id == ""


# --------------------------------------------------------------------------------------------
# The reconnection time.


def test_retry_sets_reconnection_time_without_an_event(feed: Feeder) -> None:
    events, decoder = parse(feed, b"retry: 3000\n")
    assert events == []
    assert decoder.retry == 3000
    assert feed(decoder, b"\n") == []


@pytest.mark.parametrize(
    "value",
    [b"", b" ", b"30a", b"-1", b"+5", b"1.5", b" 10", b"10 ", b"1e3", "\u0663".encode(), "\uff11".encode()],
    ids=repr,
)
def test_bogus_retry_is_ignored(feed: Feeder, value: bytes) -> None:
    events, decoder = parse(feed, b"retry: 500\n\nretry: " + value + b"\ndata: a\n\n")
    assert events == [msg("a")]
    assert decoder.retry == 500


def test_retry_before_anything_is_unset(feed: Feeder) -> None:
    _, decoder = parse(feed, b"data: a\n\n")
    assert decoder.retry is None


def test_retry_bare_and_zero(feed: Feeder) -> None:
    _, decoder = parse(feed, b"retry: 7\nretry\n")
    assert decoder.retry == 7
    feed(decoder, b"retry:0\n")
    assert decoder.retry == 0


# --------------------------------------------------------------------------------------------
# Text decoding and the end of the stream.


def test_utf8_split_anywhere(feed: Feeder) -> None:
    text = "h\u00e9llo \u20ac \U0001f600 \u2028 \u0085 end"
    events, _ = parse(feed, ("data: " + text + "\n\n").encode())
    assert events == [msg(text)]


def test_invalid_utf8_becomes_replacement_character(feed: Feeder) -> None:
    events, _ = parse(feed, b"data: a\xffb\n\nevent: \xc3\ndata: c\n\n")
    assert events == [msg("a\ufffdb"), msg("c", "\ufffd")]


def test_unfinished_block_is_not_dispatched(feed: Feeder) -> None:
    events, _ = parse(feed, b"data: a\n\ndata: b\n")
    assert events == [msg("a")]


def test_unfinished_line_is_held(feed: Feeder) -> None:
    events, decoder = parse(feed, b"data: par")
    assert events == []
    assert feed(decoder, b"tial\n\n") == [msg("partial")]


def test_nul_in_data_is_kept(feed: Feeder) -> None:
    events, _ = parse(feed, b"data: a\x00b\n\n")
    assert events == [msg("a\x00b")]


# --------------------------------------------------------------------------------------------
# Writing: what encode_sse_event produces reads back as the same event.


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("{}", "{}"),
        ("", ""),
        (" leading space", " leading space"),
        ("  two", "  two"),
        (":colon first", ":colon first"),
        ("a\nb", "a\nb"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("trailing\n", "trailing\n"),
        ("\n", "\n"),
        ("\u2028 is not a line end", "\u2028 is not a line end"),
    ],
)
def test_encode_round_trip(feed: Feeder, data: str, expected: str) -> None:
    events, _ = parse(feed, encode_sse_event(data))
    assert events == [msg(expected)]


def test_encode_round_trip_bytes_data(feed: Feeder) -> None:
    events, _ = parse(feed, encode_sse_event(b'{"a": "\xe2\x82\xac"}'))
    assert events == [msg('{"a": "\u20ac"}')]


def test_encode_fields_round_trip(feed: Feeder) -> None:
    stream = encode_sse_event("x", event="note", id="42", retry=1500) + encode_sse_event("y")
    events, decoder = parse(feed, stream)
    assert events == [msg("x", "note", "42"), msg("y", id="42")]
    assert decoder.retry == 1500
    assert decoder.last_event_id == "42"


def test_encoded_events_concatenate(feed: Feeder) -> None:
    stream = b"".join(encode_sse_event(f"m{i}", id=str(i)) for i in range(5))
    events, _ = parse(feed, stream)
    assert events == [msg(f"m{i}", id=str(i)) for i in range(5)]


@pytest.mark.parametrize(
    "kwargs",
    [{"event": "a\nb"}, {"event": "a\rb"}, {"id": "1\n"}, {"id": "a\x00"}, {"retry": -1}],
    ids=repr,
)
def test_encode_refuses_unrepresentable_fields(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="SSE"):
        encode_sse_event("x", **kwargs)  # type: ignore[arg-type]
