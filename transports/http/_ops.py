"""Operations toolkit for the HTTP endpoint: metrics, rate limiting, access logs, request ids, bearer auth.

These are the pieces an operator needs around a network-facing server and that have nothing to do
with MCP sessions, so they live apart from the endpoint and can be tested without sockets. Nothing
here does I/O except the access logger writing its records.

Every structure that grows with client input is bounded, because the client may be hostile:
the metrics keep at most ``max_methods`` method labels (the rest are counted as ``"other"``), the
rate limiter keeps at most ``max_keys`` buckets and drops the ones that refilled, a client's
request id is only echoed when it is short printable ASCII, and everything written to a log line
or a header is escaped so that no client string can forge another line or header.

The classes are meant to be used from one event loop: their methods never await, so calls from
different tasks cannot interleave, and they take no locks on the hot path.
"""

from __future__ import annotations

import bisect
import itertools
import json
import logging
import math
import re
import sys
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Final, TextIO

import orjson

from mcpcore import __version__

__all__ = [
    "ACCESS_LOGGER_NAME",
    "DURATION_BUCKETS",
    "JsonFormatter",
    "Metrics",
    "RateLimiter",
    "access_logger",
    "parse_bearer",
    "request_id",
    "www_authenticate",
]

_log = logging.getLogger("mcpcore.http")

# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------

#: Upper bounds (seconds) of the request duration histogram: from sub-millisecond in-memory tool
#: calls up to long-running ones; anything slower lands in ``+Inf`` only.
DURATION_BUCKETS: Final[tuple[float, ...]] = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
# A method name longer than this is not a real method but a client stuffing the label: keeping
# it would make each of the ``max_methods`` labels arbitrarily large.
_MAX_LABEL_LEN: Final = 128
_OTHER: Final = "other"

_REQUESTS = "mcpcore_http_requests_total"
_ERRORS = "mcpcore_http_request_errors_total"
_DURATION = "mcpcore_http_request_duration_seconds"
_UPTIME = "mcpcore_uptime_seconds"
_INFO = "mcpcore_info"
_BUILTIN_NAMES = frozenset({_REQUESTS, _ERRORS, _DURATION, _UPTIME, _INFO})


def _escape_label(value: str) -> str:
    # The exposition format's three escapes; everything else (UTF-8 included) is literal.
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    # HELP text is not quoted, so only the backslash and the line break need escaping.
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _format_value(value: float) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


class _Histogram:
    """Per-bucket (not yet cumulative) counts; cumulation happens at render time, off the hot path."""

    __slots__ = ("count", "counts", "total")

    def __init__(self, n_buckets: int) -> None:
        self.counts = [0] * (n_buckets + 1)  # the last slot is "above every bound"
        self.total = 0.0
        self.count = 0


class Metrics:
    """Request counters, a duration histogram and gauges, rendered as Prometheus text (format 0.0.4).

    ``observe_request`` is called once per request and costs a few dict operations and a bisect;
    all formatting is deferred to :meth:`render`, which a scraper calls every few seconds at most.
    Gauges are read from callables at render time, so the endpoint never has to push them.
    """

    CONTENT_TYPE: ClassVar[str] = "text/plain; version=0.0.4; charset=utf-8"

    def __init__(
        self,
        *,
        version: str | None = None,
        gauges: Mapping[str, tuple[str, Callable[[], float]]] | None = None,
        max_methods: int = 200,
        buckets: Iterable[float] = DURATION_BUCKETS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_methods, bool) or not isinstance(max_methods, int) or max_methods < 1:
            raise ValueError(f"max_methods must be an integer >= 1, got {max_methods!r}")
        bounds = tuple(float(b) for b in buckets)
        if not bounds:
            raise ValueError("buckets must not be empty")
        if any(not math.isfinite(b) for b in bounds):
            raise ValueError(f"buckets must be finite (+Inf is implicit), got {bounds!r}")
        if any(a >= b for a, b in itertools.pairwise(bounds)):
            raise ValueError(f"buckets must be strictly increasing, got {bounds!r}")
        self._version = __version__ if version is None else version
        self._max_methods = max_methods
        self._buckets = bounds
        self._clock = clock
        self._started = clock()
        self._methods: set[str] = set()
        self._requests: dict[tuple[str, int], int] = {}
        self._errors: dict[str, int] = {}
        self._histograms: dict[str, _Histogram] = {}
        self._gauges: dict[str, tuple[str, Callable[[], float]]] = {}
        for name, (help_text, fn) in (gauges or {}).items():
            self.add_gauge(name, help_text, fn)

    def add_gauge(self, name: str, help: str, fn: Callable[[], float]) -> None:
        """Register a gauge whose value is ``fn()`` at each render."""
        if not _METRIC_NAME.fullmatch(name):
            raise ValueError(f"invalid metric name {name!r}")
        if name in _BUILTIN_NAMES or name in self._gauges:
            raise ValueError(f"metric {name!r} is already defined")
        if not callable(fn):
            raise TypeError(f"gauge {name!r} needs a callable, got {type(fn).__name__}")
        self._gauges[name] = (help, fn)

    def _label(self, method: str) -> str:
        # Only reached for a method not seen before, so the checks stay off the hot path.
        if len(self._methods) >= self._max_methods or not method or len(method) > _MAX_LABEL_LEN:
            return _OTHER
        self._methods.add(method)
        return method

    def observe_request(self, method: str, status: int, seconds: float, *, error: bool = False) -> None:
        """Count one finished request: ``method`` is the JSON-RPC method or an HTTP-level label."""
        label = method if method in self._methods else self._label(method)
        key = (label, status)
        requests = self._requests
        requests[key] = requests.get(key, 0) + 1
        if error:
            self._errors[label] = self._errors.get(label, 0) + 1
        if not seconds >= 0.0:  # negative or NaN: a clock glitch, not a duration
            seconds = 0.0
        hist = self._histograms.get(label)
        if hist is None:
            hist = self._histograms[label] = _Histogram(len(self._buckets))
        # bisect_left puts a value equal to a bound in that bound's bucket, as "le" requires.
        hist.counts[bisect.bisect_left(self._buckets, seconds)] += 1
        hist.total += seconds
        hist.count += 1

    def render(self) -> bytes:
        """The whole exposition, as UTF-8 bytes ready for a ``CONTENT_TYPE`` response."""
        lines: list[str] = []

        def header(name: str, help_text: str, kind: str) -> None:
            lines.append(f"# HELP {name} {_escape_help(help_text)}")
            lines.append(f"# TYPE {name} {kind}")

        header(_INFO, "mcpcore build information", "gauge")
        lines.append(f'{_INFO}{{version="{_escape_label(self._version)}"}} 1')
        header(_UPTIME, "Seconds since the metrics were created", "gauge")
        lines.append(f"{_UPTIME} {_format_value(max(0.0, self._clock() - self._started))}")

        # Snapshots first: a render must never see a dict change size under its iteration.
        requests = sorted(self._requests.items())
        errors = sorted(self._errors.items())
        histograms = sorted(self._histograms.items())

        header(_REQUESTS, "HTTP requests by MCP method (or HTTP method) and status", "counter")
        for (method, status), n in requests:
            lines.append(f'{_REQUESTS}{{method="{_escape_label(method)}",status="{status}"}} {n}')
        header(_ERRORS, "HTTP requests that ended in an error, by method", "counter")
        for method, n in errors:
            lines.append(f'{_ERRORS}{{method="{_escape_label(method)}"}} {n}')

        header(_DURATION, "HTTP request duration in seconds, by method", "histogram")
        les = [_format_value(b) for b in self._buckets]
        for method, hist in histograms:
            m = _escape_label(method)
            cumulative = 0
            # zip stops before the last count, which only the +Inf line includes.
            for le, n in zip(les, hist.counts, strict=False):
                cumulative += n
                lines.append(f'{_DURATION}_bucket{{method="{m}",le="{le}"}} {cumulative}')
            lines.append(f'{_DURATION}_bucket{{method="{m}",le="+Inf"}} {hist.count}')
            lines.append(f'{_DURATION}_sum{{method="{m}"}} {_format_value(hist.total)}')
            lines.append(f'{_DURATION}_count{{method="{m}"}} {hist.count}')

        for name, (help_text, fn) in list(self._gauges.items()):
            try:
                value = float(fn())
            except Exception:
                # One broken gauge must not take the whole scrape down with it.
                _log.exception("gauge %s failed; left out of this scrape", name)
                continue
            header(name, help_text, "gauge")
            lines.append(f"{name} {_format_value(value)}")

        lines.append("")
        # "replace": a lone surrogate in a label would otherwise make every later scrape fail.
        return "\n".join(lines).encode("utf-8", "replace")


# ---------------------------------------------------------------------------------------------
# Rate limiting
# ---------------------------------------------------------------------------------------------


class RateLimiter:
    """Per-key token bucket: ``burst`` requests at once, then ``rate`` requests per second.

    A key whose bucket has refilled is indistinguishable from a key never seen, so it is dropped;
    the buckets kept in memory are only those of recently active keys. They are held in least
    recently used order, which makes that sweep cheap (the stalest entries are at the front) and
    gives the eviction victim when ``max_keys`` is reached. An evicted key starts again with a full
    bucket: a client able to present ``max_keys`` fresh keys can thus reset others' buckets, which is
    the price of bounded memory; size ``max_keys`` well above the number of legitimate clients.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, int | float):
            raise TypeError(f"rate must be a number, got {type(rate).__name__}")
        if not (rate > 0 and math.isfinite(rate)):
            raise ValueError(f"rate must be a finite number of tokens per second > 0, got {rate!r}")
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ValueError(f"burst must be an integer >= 1, got {burst!r}")
        if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
            raise ValueError(f"max_keys must be an integer >= 1, got {max_keys!r}")
        self.rate = float(rate)
        self.burst = burst
        self.max_keys = max_keys
        self._clock = clock
        # key -> [tokens, time of last update]; order = least recently used first.
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def __contains__(self, key: object) -> bool:
        return key in self._buckets

    def check(self, key: str) -> float:
        """Take a token for ``key``: 0.0 if granted, else the seconds until one is available."""
        now = self._clock()
        buckets = self._buckets
        self._sweep(now)
        entry = buckets.get(key)
        if entry is None:
            if len(buckets) >= self.max_keys:
                buckets.popitem(last=False)
            entry = buckets[key] = [float(self.burst), now]
        else:
            buckets.move_to_end(key)
            # max(): a clock that steps back must not drain the bucket.
            elapsed = max(0.0, now - entry[1])
            entry[0] = min(float(self.burst), entry[0] + elapsed * self.rate)
            entry[1] = now
        if entry[0] >= 1.0:
            entry[0] -= 1.0
            return 0.0
        return (1.0 - entry[0]) / self.rate

    def _sweep(self, now: float) -> None:
        # Stops at the first bucket still refilling; each key is dropped at most once per insertion,
        # so the cost is amortised O(1) per check.
        buckets = self._buckets
        burst = float(self.burst)
        rate = self.rate
        while buckets:
            key, (tokens, last) = next(iter(buckets.items()))
            if tokens + max(0.0, now - last) * rate < burst:
                return
            del buckets[key]

    def forget(self, key: str) -> None:
        """Drop ``key``'s bucket (it starts full next time); unknown keys are ignored."""
        self._buckets.pop(key, None)


# ---------------------------------------------------------------------------------------------
# Access logs
# ---------------------------------------------------------------------------------------------

ACCESS_LOGGER_NAME: Final = "mcpcore.http.access"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``msg``, then the record's fields.

    Fields come from ``record.fields`` (a dict passed as ``extra={"fields": {...}}``) and from any
    record attribute named in ``keys``. The four core keys cannot be overwritten by a field, so a
    client-influenced value can never pass for the message or the timestamp. JSON escaping keeps
    every record on one line whatever the message contains.
    """

    _CORE: ClassVar[frozenset[str]] = frozenset({"ts", "level", "logger", "msg", "exc", "stack"})

    def __init__(self, keys: Iterable[str] = ()) -> None:
        super().__init__()
        self._keys = tuple(keys)

    def format(self, record: logging.LogRecord) -> str:
        created = record.created
        ms = int(record.msecs)
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{ms:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            for k, v in fields.items():
                name = str(k)
                if name not in self._CORE:
                    out[name] = v
        for name in self._keys:
            if name not in self._CORE and hasattr(record, name):
                out[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        try:
            return orjson.dumps(out, default=str).decode()
        except TypeError:
            # orjson refuses integers beyond 64 bits and lone surrogates; the standard library takes
            # both (ensure_ascii escapes the surrogates), so the record is never lost.
            return json.dumps(out, default=str, ensure_ascii=True, separators=(",", ":"))


class _AccessHandler(logging.StreamHandler[TextIO]):
    """Marks the handler :func:`access_logger` installed, so repeated calls find and reuse it."""


def access_logger(stream: TextIO | None = None, *, enabled: bool = True) -> logging.Logger:
    """The ``mcpcore.http.access`` logger, writing JSON lines to ``stream`` (stderr by default).

    Idempotent: a second call reuses the one handler and points it at the stream of that call.
    The logger does not propagate, so access lines never end up duplicated in the application's
    own log. When ``enabled`` is false the logger is disabled, which makes ``info()`` a cheap no-op
    and lets the caller skip building the fields (``logger.isEnabledFor(logging.INFO)``).
    """
    logger = logging.getLogger(ACCESS_LOGGER_NAME)
    target = stream if stream is not None else sys.stderr
    handler = next((h for h in logger.handlers if isinstance(h, _AccessHandler)), None)
    if handler is None:
        handler = _AccessHandler(target)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    elif handler.stream is not target:
        handler.acquire()
        try:
            old = handler.stream
            handler.stream = target
        finally:
            handler.release()
        try:
            old.flush()
        except (OSError, ValueError):
            pass  # the previous stream may be closed already; nothing left to save
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.disabled = not enabled
    return logger


# ---------------------------------------------------------------------------------------------
# Request ids
# ---------------------------------------------------------------------------------------------

_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")


def request_id(incoming: str | None) -> str:
    """The client's ``X-Request-ID`` when it is safe to echo and log, else a fresh random id.

    Safe means 1 to 128 visible ASCII characters: short enough not to bloat every log line,
    with nothing that could break a header or a log parser.
    """
    if incoming is not None and _REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


# ---------------------------------------------------------------------------------------------
# Bearer tokens (RFC 6750)
# ---------------------------------------------------------------------------------------------

# b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=". ASCII classes are spelt
# out because \w and \s would let Unicode letters and spaces in.
_BEARER = re.compile(r"[ \t]*(?i:bearer)[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*")


def parse_bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, or None if it is not one."""
    if authorization is None:
        return None
    m = _BEARER.fullmatch(authorization)
    return m.group(1) if m else None


def _quoted(param: str, value: str) -> str:
    # A header value must not carry control characters (CR/LF would split the header) and should be
    # ASCII; inside a quoted-string only the backslash and the double quote need escaping.
    for ch in value:
        if not (" " <= ch <= "~" or ch == "\t"):
            raise ValueError(f"{param} contains a character not allowed in a header: {ch!r}")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{param}="{escaped}"'


def www_authenticate(
    realm: str | None = "mcp",
    *,
    error: str | None = None,
    description: str | None = None,
    scope: str | Iterable[str] | None = None,
    resource_metadata: str | None = None,
) -> str:
    """A ``WWW-Authenticate`` Bearer challenge (RFC 6750 section 3, RFC 9728 section 5.1).

    ``scope`` may be a space-separated string or an iterable of scopes; ``resource_metadata`` is
    the URL of the protected resource metadata document that MCP clients use for discovery. Values
    are quoted and escaped; one holding a control or non-ASCII character raises ValueError.
    """
    params: list[str] = []
    if realm is not None:
        params.append(_quoted("realm", realm))
    if error is not None:
        if not error:
            raise ValueError("error must not be empty")
        params.append(_quoted("error", error))
    if description is not None:
        params.append(_quoted("error_description", description))
    if scope is not None:
        scopes = scope if isinstance(scope, str) else " ".join(scope)
        params.append(_quoted("scope", scopes))
    if resource_metadata is not None:
        params.append(_quoted("resource_metadata", resource_metadata))
    return "Bearer " + ", ".join(params) if params else "Bearer"
