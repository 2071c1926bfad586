"""transports.http._ops: metrics exposition, token buckets, JSON access logs, request ids, bearer auth."""

from __future__ import annotations

import io
import json
import logging
import math
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transports.http._ops import (
    ACCESS_LOGGER_NAME,
    DURATION_BUCKETS,
    JsonFormatter,
    Metrics,
    RateLimiter,
    access_logger,
    parse_bearer,
    request_id,
    www_authenticate,
)

# ---------------------------------------------------------------------------------------------
# A small reader for the Prometheus text format, strict enough to catch malformed output
# ---------------------------------------------------------------------------------------------

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_UNESCAPE = {"\\": "\\", '"': '"', "n": "\n"}

Labels = tuple[tuple[str, str], ...]


@dataclass
class Exposition:
    help: dict[str, str] = field(default_factory=dict)
    type: dict[str, str] = field(default_factory=dict)
    samples: dict[tuple[str, Labels], float] = field(default_factory=dict)

    def value(self, name: str, **labels: str) -> float:
        return self.samples[(name, tuple(sorted(labels.items())))]

    def series(self, name: str) -> dict[Labels, float]:
        return {labels: v for (n, labels), v in self.samples.items() if n == name}


def _family(name: str, types: dict[str, str]) -> str | None:
    if name in types:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name.removesuffix(suffix)
        if base != name and types.get(base) == "histogram":
            return base
    return None


def _parse_value(text: str) -> float:
    special = {"+Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}
    return special[text] if text in special else float(text)


def parse_exposition(data: bytes) -> Exposition:
    text = data.decode("utf-8")
    assert text.endswith("\n"), "the exposition must end with a line break"
    out = Exposition()
    for line in text[:-1].split("\n"):
        assert line, "no blank lines expected"
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert _NAME.fullmatch(name) and name not in out.help
            out.help[name] = help_text.replace("\\n", "\n").replace("\\\\", "\\")
            continue
        if line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert kind in {"counter", "gauge", "histogram", "summary", "untyped"}
            assert name in out.help and name not in out.type, "TYPE follows HELP, once per family"
            out.type[name] = kind
            continue
        m = _NAME.match(line)
        assert m, line
        name, pos = m.group(), m.end()
        labels: list[tuple[str, str]] = []
        if line[pos] == "{":
            pos += 1
            while line[pos] != "}":
                lm = _LABEL_NAME.match(line, pos)
                assert lm and line[lm.end() : lm.end() + 2] == '="', line
                pos = lm.end() + 2
                value: list[str] = []
                while line[pos] != '"':
                    if line[pos] == "\\":
                        value.append(_UNESCAPE[line[pos + 1]])
                        pos += 2
                    else:
                        value.append(line[pos])
                        pos += 1
                labels.append((lm.group(), "".join(value)))
                pos += 1
                if line[pos] == ",":
                    pos += 1
            pos += 1
        assert line[pos] == " ", line
        assert _family(name, out.type) is not None, f"sample {name} before its TYPE"
        key = (name, tuple(sorted(labels)))
        assert key not in out.samples, f"duplicate sample {key}"
        out.samples[key] = _parse_value(line[pos + 1 :])
    return out


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


REQ = "mcpcore_http_requests_total"
ERR = "mcpcore_http_request_errors_total"
DUR = "mcpcore_http_request_duration_seconds"
LES = [repr(b) for b in DURATION_BUCKETS] + ["+Inf"]

# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------


def test_empty_metrics_declare_every_family_with_info_and_uptime() -> None:
    clock = FakeClock()
    metrics = Metrics(version="1.2.3", clock=clock)
    clock.advance(42.5)
    exp = parse_exposition(metrics.render())
    assert exp.type == {
        "mcpcore_info": "gauge",
        "mcpcore_uptime_seconds": "gauge",
        REQ: "counter",
        ERR: "counter",
        DUR: "histogram",
    }
    assert exp.value("mcpcore_info", version="1.2.3") == 1
    assert exp.value("mcpcore_uptime_seconds") == 42.5
    assert exp.series(REQ) == {} and exp.series(f"{DUR}_count") == {}
    assert Metrics.CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"


def test_version_defaults_to_the_package_version() -> None:
    from mcpcore import __version__

    exp = parse_exposition(Metrics().render())
    assert exp.value("mcpcore_info", version=__version__) == 1


def test_counters_by_method_and_status_and_errors() -> None:
    metrics = Metrics()
    for _ in range(3):
        metrics.observe_request("tools/call", 200, 0.01)
    metrics.observe_request("tools/call", 500, 0.02, error=True)
    metrics.observe_request("initialize", 200, 0.001)
    metrics.observe_request("DELETE", 404, 0.0001, error=True)
    exp = parse_exposition(metrics.render())
    assert exp.series(REQ) == {
        (("method", "tools/call"), ("status", "200")): 3,
        (("method", "tools/call"), ("status", "500")): 1,
        (("method", "initialize"), ("status", "200")): 1,
        (("method", "DELETE"), ("status", "404")): 1,
    }
    assert exp.series(ERR) == {(("method", "tools/call"),): 1, (("method", "DELETE"),): 1}
    assert exp.value(f"{DUR}_count", method="tools/call") == 4
    assert exp.value(f"{DUR}_sum", method="tools/call") == pytest.approx(0.05)


def test_histogram_buckets_are_cumulative_and_inf_equals_count() -> None:
    metrics = Metrics()
    durations = [0.0, 0.0004, 0.0005, 0.0006, 0.003, 0.2, 0.2, 1.0, 7.0, 10.0, 11.0, 3600.0]
    for seconds in durations:
        metrics.observe_request("ping", 200, seconds)
    exp = parse_exposition(metrics.render())
    buckets = [exp.value(f"{DUR}_bucket", method="ping", le=le) for le in LES]
    assert buckets == sorted(buckets), "cumulative counts never decrease"
    assert buckets[-1] == exp.value(f"{DUR}_count", method="ping") == len(durations)
    assert exp.value(f"{DUR}_sum", method="ping") == pytest.approx(sum(durations))
    # "le" is inclusive: a duration equal to a bound is counted in that bound's bucket.
    for le, cumulative in zip(LES[:-1], buckets[:-1], strict=True):
        assert cumulative == sum(1 for d in durations if d <= float(le)), le
    assert exp.value(f"{DUR}_bucket", method="ping", le="0.0005") == 3
    assert exp.value(f"{DUR}_bucket", method="ping", le="10.0") == 10


@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=1, max_size=50))
def test_histogram_matches_the_observations(durations: list[float]) -> None:
    metrics = Metrics()
    for seconds in durations:
        metrics.observe_request("m", 200, seconds)
    exp = parse_exposition(metrics.render())
    for le in LES:
        bound = math.inf if le == "+Inf" else float(le)
        assert exp.value(f"{DUR}_bucket", method="m", le=le) == sum(1 for d in durations if d <= bound)
    assert exp.value(f"{DUR}_count", method="m") == len(durations)


def test_negative_or_nan_durations_count_as_zero() -> None:
    metrics = Metrics()
    metrics.observe_request("m", 200, -1.0)
    metrics.observe_request("m", 200, math.nan)
    exp = parse_exposition(metrics.render())
    assert exp.value(f"{DUR}_bucket", method="m", le=LES[0]) == 2
    assert exp.value(f"{DUR}_sum", method="m") == 0.0


def test_label_values_are_escaped() -> None:
    nasty = 'a"b\\c\nd} x="y'
    metrics = Metrics(version='v"1\\\n')
    metrics.observe_request(nasty, 200, 0.1, error=True)
    raw = metrics.render().decode()
    assert 'method="a\\"b\\\\c\\nd} x=\\"y",status="200"' in raw
    assert 'mcpcore_info{version="v\\"1\\\\\\n"} 1' in raw
    exp = parse_exposition(raw.encode())
    assert exp.value(REQ, method=nasty, status="200") == 1
    assert exp.value(ERR, method=nasty) == 1
    assert exp.value("mcpcore_info", version='v"1\\\n') == 1


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=128))
def test_any_method_label_round_trips(method: str) -> None:
    metrics = Metrics()
    metrics.observe_request(method, 201, 0.5)
    exp = parse_exposition(metrics.render())
    assert exp.value(REQ, method=method, status="201") == 1
    assert exp.value(f"{DUR}_count", method=method) == 1


def test_lone_surrogate_does_not_break_rendering() -> None:
    metrics = Metrics()
    metrics.observe_request("bad\udc80", 200, 0.1)
    exp = parse_exposition(metrics.render())
    assert exp.value(REQ, method="bad?", status="200") == 1


def test_method_cardinality_is_capped() -> None:
    metrics = Metrics(max_methods=3)
    for i in range(50):
        metrics.observe_request(f"m{i}", 200, 0.01, error=True)
    metrics.observe_request("m0", 200, 0.01)  # a method admitted early keeps its own label
    metrics.observe_request("x" * 129, 200, 0.01)  # over-long: never a label of its own
    exp = parse_exposition(metrics.render())
    methods = {dict(labels)["method"] for labels in exp.series(REQ)}
    assert methods == {"m0", "m1", "m2", "other"}
    assert exp.value(REQ, method="m0", status="200") == 2
    assert exp.value(REQ, method="other", status="200") == 48
    assert sum(exp.series(REQ).values()) == 52
    assert exp.value(ERR, method="other") == 47
    assert exp.value(f"{DUR}_count", method="other") == 48


def test_long_and_empty_methods_go_to_other_even_below_the_cap() -> None:
    metrics = Metrics()
    metrics.observe_request("y" * 10_000, 200, 0.01)
    metrics.observe_request("", 200, 0.01)
    metrics.observe_request("z" * 128, 200, 0.01)
    exp = parse_exposition(metrics.render())
    assert exp.value(REQ, method="other", status="200") == 2
    assert exp.value(REQ, method="z" * 128, status="200") == 1


def test_gauges_are_read_at_render_time() -> None:
    state = {"sessions": 2, "streams": 0}
    metrics = Metrics(gauges={"mcpcore_active_sessions": ("Open MCP sessions", lambda: state["sessions"])})
    metrics.add_gauge("mcpcore_active_streams", "Open\nstreams \\ now", lambda: state["streams"])
    exp = parse_exposition(metrics.render())
    assert exp.type["mcpcore_active_sessions"] == exp.type["mcpcore_active_streams"] == "gauge"
    assert exp.help["mcpcore_active_sessions"] == "Open MCP sessions"
    assert exp.help["mcpcore_active_streams"] == "Open\nstreams \\ now"
    assert exp.value("mcpcore_active_sessions") == 2
    assert exp.value("mcpcore_active_streams") == 0
    state.update(sessions=7, streams=3)
    exp = parse_exposition(metrics.render())
    assert exp.value("mcpcore_active_sessions") == 7
    assert exp.value("mcpcore_active_streams") == 3


def test_float_and_special_gauge_values() -> None:
    metrics = Metrics()
    metrics.add_gauge("g_float", "f", lambda: 0.25)
    metrics.add_gauge("g_inf", "i", lambda: math.inf)
    metrics.add_gauge("g_nan", "n", lambda: math.nan)
    raw = metrics.render().decode()
    assert "\ng_float 0.25\n" in raw and "\ng_inf +Inf\n" in raw and "\ng_nan NaN\n" in raw


def test_a_failing_gauge_is_left_out_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> float:
        raise RuntimeError("boom")

    metrics = Metrics(gauges={"g_broken": ("b", broken), "g_ok": ("ok", lambda: 1)})
    with caplog.at_level(logging.ERROR, logger="mcpcore.http"):
        exp = parse_exposition(metrics.render())
    assert "g_broken" not in exp.type
    assert exp.value("g_ok") == 1
    assert any("g_broken" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("name", ["", "1abc", "a-b", "a b", "ä"])
def test_invalid_gauge_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid metric name"):
        Metrics().add_gauge(name, "h", lambda: 0)


def test_duplicate_gauge_names_are_refused() -> None:
    metrics = Metrics(gauges={"g": ("h", lambda: 0)})
    with pytest.raises(ValueError, match="already defined"):
        metrics.add_gauge("g", "h", lambda: 1)
    with pytest.raises(ValueError, match="already defined"):
        metrics.add_gauge(REQ, "h", lambda: 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_methods": 0}, "max_methods"),
        ({"buckets": ()}, "empty"),
        ({"buckets": (1.0, 1.0)}, "increasing"),
        ({"buckets": (2.0, 1.0)}, "increasing"),
        ({"buckets": (1.0, math.inf)}, "finite"),
    ],
)
def test_metrics_arguments_are_validated(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Metrics(**kwargs)  # type: ignore[arg-type]


def test_custom_buckets() -> None:
    metrics = Metrics(buckets=(1, 2))
    metrics.observe_request("m", 200, 1.5)
    exp = parse_exposition(metrics.render())
    assert exp.series(f"{DUR}_bucket") == {
        (("le", "1.0"), ("method", "m")): 0,
        (("le", "2.0"), ("method", "m")): 1,
        (("le", "+Inf"), ("method", "m")): 1,
    }


# ---------------------------------------------------------------------------------------------
# Rate limiter
# ---------------------------------------------------------------------------------------------


def test_burst_then_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2.0, 3, clock=clock)
    assert [limiter.check("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.check("a") == pytest.approx(0.5)
    assert limiter.check("b") == 0.0, "keys have separate buckets"


def test_refill_and_retry_seconds() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2.0, 2, clock=clock)
    assert limiter.check("a") == limiter.check("a") == 0.0
    clock.advance(0.25)
    assert limiter.check("a") == 0.25  # half a token refilled; the other half takes 0.25 s at 2/s
    clock.advance(0.25)
    assert limiter.check("a") == 0.0
    assert limiter.check("a") == pytest.approx(0.5)
    clock.advance(100.0)
    # The bucket never holds more than burst.
    assert [limiter.check("a") for _ in range(3)] == [0.0, 0.0, pytest.approx(0.5)]


def test_refused_checks_take_no_token() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1.0, 1, clock=clock)
    assert limiter.check("a") == 0.0
    for _ in range(5):
        assert limiter.check("a") == pytest.approx(1.0)
    clock.advance(1.0)
    assert limiter.check("a") == 0.0


def test_waiting_the_retry_time_is_enough() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3.0, 1, clock=clock)
    assert limiter.check("a") == 0.0
    clock.advance(0.1)
    wait = limiter.check("a")
    assert wait > 0 and math.ceil(wait) == 1
    clock.advance(wait * (1 + 1e-9))
    assert limiter.check("a") == 0.0


def test_full_buckets_are_forgotten() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1.0, 2, clock=clock)
    limiter.check("a")
    limiter.check("b")
    limiter.check("b")
    assert len(limiter) == 2
    clock.advance(1.0)  # "a" is full again, "b" is not
    limiter.check("c")
    assert "a" not in limiter and "b" in limiter and "c" in limiter
    clock.advance(5.0)
    limiter.check("d")
    assert len(limiter) == 1 and "d" in limiter


def test_least_recently_used_key_is_evicted_at_max_keys() -> None:
    clock = FakeClock()
    limiter = RateLimiter(0.001, 1, max_keys=2, clock=clock)
    assert limiter.check("a") == 0.0
    assert limiter.check("b") == 0.0
    assert limiter.check("a") > 0  # "a" is now the most recently used
    assert limiter.check("c") == 0.0
    assert len(limiter) == 2 and "b" not in limiter and "a" in limiter
    assert limiter.check("b") == 0.0, "an evicted key starts with a full bucket"
    assert "a" not in limiter


def test_forget() -> None:
    limiter = RateLimiter(1.0, 1, clock=FakeClock())
    assert limiter.check("a") == 0.0
    assert limiter.check("a") > 0
    limiter.forget("a")
    limiter.forget("never-seen")
    assert "a" not in limiter
    assert limiter.check("a") == 0.0


def test_clock_stepping_back_does_not_drain() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1.0, 2, clock=clock)
    assert limiter.check("a") == 0.0
    clock.advance(-10.0)
    assert limiter.check("a") == 0.0
    assert limiter.check("a") == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((0, 1), {}, ValueError, "rate"),
        ((-1.0, 1), {}, ValueError, "rate"),
        ((math.inf, 1), {}, ValueError, "rate"),
        ((math.nan, 1), {}, ValueError, "rate"),
        (("1", 1), {}, TypeError, "rate"),
        ((1.0, 0), {}, ValueError, "burst"),
        ((1.0, 1.5), {}, ValueError, "burst"),
        ((1.0, True), {}, ValueError, "burst"),
        ((1.0, 1), {"max_keys": 0}, ValueError, "max_keys"),
    ],
)
def test_rate_limiter_arguments_are_validated(
    args: tuple[object, ...], kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        RateLimiter(*args, **kwargs)  # type: ignore[arg-type]


@given(
    rate=st.floats(min_value=0.1, max_value=50),
    burst=st.integers(min_value=1, max_value=10),
    max_keys=st.integers(min_value=1, max_value=4),
    steps=st.lists(
        st.tuples(st.floats(min_value=0, max_value=2), st.sampled_from("abcdef")), min_size=1, max_size=60
    ),
)
def test_rate_limiter_bounds(rate: float, burst: int, max_keys: int, steps: list[tuple[float, str]]) -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(rate, burst, max_keys=max_keys, clock=clock)
    for dt, key in steps:
        clock.advance(dt)
        wait = limiter.check(key)
        assert len(limiter) <= max_keys
        assert key in limiter, "the key just checked is the most recently used, never the one evicted"
        # A refusal never asks for more than the time one token takes to refill.
        assert wait == 0.0 or 0.0 < wait <= 1.0 / rate * (1 + 1e-9)


@given(
    rate=st.floats(min_value=0.1, max_value=50),
    burst=st.integers(min_value=1, max_value=10),
    gaps=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=60),
)
def test_one_key_never_exceeds_burst_plus_rate(rate: float, burst: int, gaps: list[float]) -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(rate, burst, clock=clock)
    granted = 0
    for dt in gaps:
        clock.advance(dt)
        if limiter.check("k") == 0.0:
            granted += 1
    assert granted <= burst + rate * clock.now + 1e-6


# ---------------------------------------------------------------------------------------------
# JSON access logs
# ---------------------------------------------------------------------------------------------


def _record(msg: str = "request", *args: object, **attrs: object) -> logging.LogRecord:
    record = logging.LogRecord(ACCESS_LOGGER_NAME, logging.INFO, __file__, 1, msg, args or None, None)
    for k, v in attrs.items():
        setattr(record, k, v)
    return record


_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def test_json_formatter_writes_core_keys_and_fields() -> None:
    fields = {
        "method": "POST",
        "path": "/mcp",
        "status": 200,
        "duration_ms": 1.25,
        "bytes": 123,
        "request_id": "abc",
        "session": None,
        "client": "127.0.0.1:5000",
        "mcp_method": "tools/call",
        "user_agent": "t/1",
    }
    record = _record(fields=fields)
    record.created = 1_700_000_000.123456
    record.msecs = 123.456
    line = JsonFormatter().format(record)
    assert "\n" not in line
    out = json.loads(line)
    assert out == {
        "ts": "2023-11-14T22:13:20.123Z",
        "level": "INFO",
        "logger": ACCESS_LOGGER_NAME,
        "msg": "request",
        **fields,
    }
    assert list(out)[:4] == ["ts", "level", "logger", "msg"]


def test_json_formatter_timestamp_is_utc_with_milliseconds() -> None:
    record = _record()
    out = json.loads(JsonFormatter().format(record))
    assert _TS.fullmatch(out["ts"])
    assert out["ts"][:19] == time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))


def test_json_formatter_keeps_one_line_and_core_keys_win() -> None:
    record = _record("evil %s", 'x\n{"level": "ERROR"}', fields={"msg": "forged", "ts": "0", "path": "/a\nb"})
    line = JsonFormatter().format(record)
    assert "\n" not in line
    out = json.loads(line)
    assert out["msg"] == 'evil x\n{"level": "ERROR"}'
    assert out["level"] == "INFO" and _TS.fullmatch(out["ts"])
    assert out["path"] == "/a\nb"


def test_json_formatter_whitelisted_record_attributes() -> None:
    record = _record(request_id="r1", secret="s", fields={"status": 204})
    out = json.loads(JsonFormatter(keys=["request_id", "missing"]).format(record))
    assert out["request_id"] == "r1" and out["status"] == 204
    assert "secret" not in out and "missing" not in out


def test_json_formatter_odd_values_never_lose_the_record() -> None:
    class Opaque:
        def __str__(self) -> str:
            return "opaque!"

    out = json.loads(JsonFormatter().format(_record(fields={"o": Opaque(), "n": 2**70})))
    assert out["o"] == "opaque!" and out["n"] == 2**70
    out = json.loads(JsonFormatter().format(_record(fields={"s": "bad\udc80"})))
    assert out["s"] == "bad\udc80"


def test_json_formatter_exception_text() -> None:
    try:
        raise ValueError("kaput")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    out = json.loads(line)
    assert out["level"] == "ERROR"
    assert out["exc"].startswith("Traceback") and "ValueError: kaput" in out["exc"]


@pytest.fixture
def clean_access_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger(ACCESS_LOGGER_NAME)
    saved = (list(logger.handlers), logger.level, logger.propagate, logger.disabled)
    yield logger
    for h in list(logger.handlers):
        logger.removeHandler(h)
    for h in saved[0]:
        logger.addHandler(h)
    logger.setLevel(saved[1])
    logger.propagate, logger.disabled = saved[2], saved[3]


def test_access_logger_writes_json_lines_and_is_idempotent(clean_access_logger: logging.Logger) -> None:
    first, second = io.StringIO(), io.StringIO()
    logger = access_logger(first)
    assert logger is clean_access_logger and logger.name == ACCESS_LOGGER_NAME
    assert logger.propagate is False
    logger.info("request", extra={"fields": {"status": 200, "path": "/mcp"}})
    assert access_logger(second) is logger
    assert access_logger(second) is logger
    assert len(logger.handlers) == 1
    logger.info("request", extra={"fields": {"status": 404}})
    lines = first.getvalue().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["path"] == "/mcp"
    (line,) = second.getvalue().splitlines()
    assert json.loads(line)["status"] == 404


def test_access_logger_defaults_to_stderr(
    clean_access_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    access_logger().info("hello", extra={"fields": {"k": "v"}})
    captured = capsys.readouterr()
    assert captured.out == ""
    out = json.loads(captured.err)
    assert out["msg"] == "hello" and out["k"] == "v"


def test_access_logger_does_not_propagate(
    clean_access_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    stream = io.StringIO()
    with caplog.at_level(logging.INFO):
        access_logger(stream).info("request")
    assert stream.getvalue() and not [r for r in caplog.records if r.name == ACCESS_LOGGER_NAME]


def test_access_logger_disabled(clean_access_logger: logging.Logger) -> None:
    stream = io.StringIO()
    logger = access_logger(stream, enabled=False)
    assert not logger.isEnabledFor(logging.INFO)
    logger.info("request")
    assert stream.getvalue() == ""
    access_logger(stream, enabled=True).info("request")
    assert json.loads(stream.getvalue())["msg"] == "request"


def test_access_logger_survives_a_closed_previous_stream(clean_access_logger: logging.Logger) -> None:
    old, new = io.StringIO(), io.StringIO()
    access_logger(old)
    old.close()
    access_logger(new).info("request")
    assert json.loads(new.getvalue())["msg"] == "request"


# ---------------------------------------------------------------------------------------------
# Request ids
# ---------------------------------------------------------------------------------------------

_VISIBLE = re.compile(r"[\x21-\x7e]{1,128}")


@pytest.mark.parametrize("incoming", ["a", "req-123", "x" * 128, "!~{}[]\"'\\", "0f" * 16])
def test_request_id_keeps_a_safe_client_id(incoming: str) -> None:
    assert request_id(incoming) == incoming


@pytest.mark.parametrize("incoming", [None, "", " ", "a b", "x" * 129, "é", "a\tb", "a\r\nX-Evil: 1", "\x7f"])
def test_request_id_mints_for_unsafe_input(incoming: str | None) -> None:
    minted = request_id(incoming)
    assert minted != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", minted)


def test_minted_request_ids_differ() -> None:
    assert len({request_id(None) for _ in range(100)}) == 100


@given(st.one_of(st.none(), st.text(max_size=200)))
def test_request_id_is_always_visible_ascii(incoming: str | None) -> None:
    result = request_id(incoming)
    assert _VISIBLE.fullmatch(result)
    if incoming is not None and _VISIBLE.fullmatch(incoming):
        assert result == incoming


# ---------------------------------------------------------------------------------------------
# Bearer tokens
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER abc", "abc"),
        ("BeArEr a-b.c_d~e+f/g", "a-b.c_d~e+f/g"),
        ("Bearer abc==", "abc=="),
        ("  Bearer   abc  ", "abc"),
        ("Bearer\tabc", "abc"),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"),
    ],
)
def test_parse_bearer_accepts(header: str, token: str) -> None:
    assert parse_bearer(header) == token


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearerabc",
        "Basic dXNlcjpwYXNz",
        "Bearer a b",
        "Bearer ab=c",
        "Bearer =abc",
        "Bearer äbc",
        "Bearer abc\n",
        "Bearer a,b",
        'Bearer "abc"',
        "Token abc",
        "Bearer\u00a0abc",
    ],
)
def test_parse_bearer_refuses(header: str | None) -> None:
    assert parse_bearer(header) is None


_TOKEN68 = st.from_regex(r"[A-Za-z0-9\-._~+/]+=*", fullmatch=True)


@given(
    token=_TOKEN68,
    scheme=st.sampled_from(["Bearer", "bearer", "BEARER", "bEaReR"]),
    lead=st.sampled_from(["", " ", "\t "]),
    gap=st.sampled_from([" ", "  ", "\t"]),
    trail=st.sampled_from(["", " ", "\t"]),
)
def test_parse_bearer_round_trip(token: str, scheme: str, lead: str, gap: str, trail: str) -> None:
    assert parse_bearer(f"{lead}{scheme}{gap}{token}{trail}") == token


# ---------------------------------------------------------------------------------------------
# WWW-Authenticate challenges
# ---------------------------------------------------------------------------------------------

_PARAM = re.compile(r'\s*([A-Za-z_]+)="((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def parse_challenge(header: str) -> dict[str, str]:
    """Read back a Bearer challenge made only of quoted auth-params (what we emit)."""
    scheme, _, rest = header.partition(" ")
    assert scheme == "Bearer"
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        assert m, rest[pos:]
        params[m.group(1)] = re.sub(r"\\(.)", r"\1", m.group(2))
        pos = m.end()
    return params


def test_www_authenticate_default() -> None:
    assert www_authenticate() == 'Bearer realm="mcp"'


def test_www_authenticate_full_challenge() -> None:
    header = www_authenticate(
        "example",
        error="insufficient_scope",
        description="Need more",
        scope=["files:read", "files:write"],
        resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource",
    )
    assert header == (
        'Bearer realm="example", error="insufficient_scope", error_description="Need more", '
        'scope="files:read files:write", '
        'resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource"'
    )


def test_www_authenticate_without_realm() -> None:
    assert (
        www_authenticate(None, error="invalid_token", scope="a b")
        == 'Bearer error="invalid_token", scope="a b"'
    )
    assert www_authenticate(None) == "Bearer"


def test_www_authenticate_escapes_quotes_and_backslashes() -> None:
    header = www_authenticate('r"1', error="invalid_token", description='bad "token" \\ here')
    assert (
        header == 'Bearer realm="r\\"1", error="invalid_token", error_description="bad \\"token\\" \\\\ here"'
    )
    assert parse_challenge(header) == {
        "realm": 'r"1',
        "error": "invalid_token",
        "error_description": 'bad "token" \\ here',
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"realm": "a\r\nSet-Cookie: x=1"},
        {"description": "line\nbreak"},
        {"description": "caf\u00e9"},
        {"resource_metadata": "https://x/\x00"},
        {"error": ""},
        {"scope": ["a", "b\n"]},
    ],
)
def test_www_authenticate_refuses_unsafe_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"realm|error|scope|resource_metadata"):
        www_authenticate(**kwargs)  # type: ignore[arg-type]


@given(
    realm=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
    description=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60),
    metadata=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60),
)
def test_www_authenticate_round_trip(realm: str, description: str, metadata: str) -> None:
    header = www_authenticate(
        realm, error="invalid_token", description=description, resource_metadata=metadata
    )
    assert "\r" not in header and "\n" not in header
    assert parse_challenge(header) == {
        "realm": realm,
        "error": "invalid_token",
        "error_description": description,
        "resource_metadata": metadata,
    }
