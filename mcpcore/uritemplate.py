"""RFC 6570 URI templates, as MCP resource templates use them: validate, expand and match.

A server registers templates such as ``repo://{owner}/{repo}/blob/{+path}`` and must later
decide, for every ``resources/read``, which template a client's URI belongs to and with which
variable values. RFC 6570 only defines *expansion*; the inverse is left to implementations, so
this module fixes one set of rules, listed below. The URI is hostile input: matching never
raises, never backtracks, and costs time linear in the URI's length for a given template.

Templates
    The whole of RFC 6570 (levels 1 to 4) is accepted and anything else is refused with a
    :class:`UriTemplateError` naming the position: unclosed or nested braces, a stray ``}``,
    an empty expression, a reserved operator (``= , ! @ |``), a bad variable name, a prefix
    outside 1..9999 (or with a leading zero), a prefix combined with explode, characters a
    template literal may not hold (controls, space, ``" ' < > \\ ^ ` |``, a ``%`` that does not
    start an octet). A template longer than ``max_length`` or with more than
    :data:`MAX_EXPRESSIONS` expressions is refused too, so that a registry's cost is bounded.

Expansion
    Exactly as the RFC says. Values may be ``str``, ``int`` or ``float`` (written with
    ``str()``), a list or tuple of those (a list), a mapping of ``str`` to those (an associative
    array), or ``None``/absent (undefined). ``None`` members of lists and mappings are skipped.
    ``bool`` is refused with ``TypeError``: ``str(True)`` is a Python spelling, not a URI one.
    A prefix modifier on a list or mapping value is ignored, as the RFC deems it inapplicable.

Matching (our choices, where the RFC says nothing)
    * A URI matches if expanding the template with some values could have produced it, with
      three allowances: named parameters (``; ? &``) may come in any order, characters above
      U+007F may appear raw in values (IRIs), and percent-encoding may use either hex case.
    * Literal text must match exactly, in the form expansion writes it (non-ASCII literal
      characters percent-encoded).
    * A value may contain only the characters its operator leaves unencoded, plus
      percent-encoded octets: for ``{var}``, ``{.var}``, ``{/var}`` and the named operators
      that is the unreserved set, so ``{var}`` never spans ``/ ? # , & =``; ``{+var}`` and
      ``{#var}`` also allow the reserved characters, so ``file:///{+path}`` matches
      ``file:///a/b/c.txt``. Values are percent-decoded as UTF-8; a broken ``%`` escape or
      invalid UTF-8 means no match, not an error.
    * A variable is reported only when the URI shows that it was expanded. An expression that
      matched nothing leaves all its variables out of the result (undefined), whereas
      ``X{.var}`` against ``X.``, ``{?var}`` against ``?var=`` or ``{;var}`` against ``;var``
      report ``var`` as ``""``. Empty values therefore round-trip only where the operator
      leaves a trace.
    * Several variables in one unnamed expression (``{x,y}``, ``{/a,b}``) are filled from the
      left, one item each, as many as there are items; the last one takes any surplus items
      together with their separators if its character set allows the separator (``{+x,y}``
      and ``{.x,y}`` do, ``{x,y}`` and ``{/x,y}`` do not). An undefined variable therefore
      shifts the values after it: ``?{undef,y}`` expands to ``?768``, which comes back as
      ``undef="768"``. A list or mapping expanded without explode comes back as one string
      where its commas are value characters (``{+list}``) and does not match elsewhere.
    * An exploded variable is always a ``list[str]``. In ``{var*}``, ``{+var*}`` and
      ``{#var*}`` the items are split on ``,``; in ``{.var*}`` on ``.``; in ``{/var*}`` on
      ``/``; an exploded variable takes every item not needed to give each later variable of
      its expression one item, and an exploded associative array comes back as
      ``"key=value"`` strings. In the named forms, ``{?var*}`` collects the values of every
      ``var=`` pair into the list.
    * Named expressions (``{;a,b}``, ``{?a,b}``, ``{&a,b}``) accept their parameters in any
      order and any subset; a parameter whose name is not a variable of that expression, or a
      second occurrence of a non-exploded one, means no match (so an exploded associative
      array cannot be recovered from a named form). Adjacent ``{?a}{&b}`` (or ``{/a}{/b}``,
      ``{.a}{.b}``, ``{;a}{;b}``, ``{&a}{&b}``) are matched as one expression. ``?`` and
      ``&`` forms need ``name=value``; ``;`` writes an empty value as the bare name.
    * A prefixed variable ``{var:n}`` matches at most n characters after decoding. A variable
      named more than once must get the same value at every occurrence that matched
      something (a prefixed occurrence must be a prefix of it); if it only ever appears
      prefixed, the longest prefix is reported. An exploded variable named in two adjacent
      named expressions (``{?x*}{&x*}``) expands its whole list twice, so its pairs must
      split into equal halves (thirds, ...).
    * Where the boundary between two neighbouring parts is ambiguous, the matcher does not
      search. Parts are matched from both ends of the URI towards the middle, each
      expression taking the longest run of its characters wherever the next part cannot
      start with one of them. Only when both ends are ambiguous does the leftmost remaining
      expression stop at the last place where what follows can still fit: before the last
      occurrence of the next literal that leaves room for the literals after it, or before
      the last ``?`` (``#``, ``/``, ...; for ``{?...}`` a last ``&`` if there is no ``?``)
      that can open the next expression, or before nothing if that expression has no such
      character (``{a}{b}`` gives everything to ``a``). So
      ``files://{+dir}/{name}`` splits ``a/b/c`` into ``a/b`` and ``c``, ``{name}.{ext}``
      splits ``x.tar.gz`` into ``x.tar`` and ``gz``, and ``docs://{+path}{?v}`` sends
      everything after the last ``?`` to the query. If that one choice fails, the URI does not
      match; the price of never backtracking is that a few contrived templates miss URIs
      they could have produced.
    * A URI longer than ``max_length`` characters never matches.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypeAlias
from urllib.parse import quote, unquote

__all__ = ["DEFAULT_MAX_LENGTH", "MAX_EXPRESSIONS", "UriTemplate", "UriTemplateError", "is_template"]

DEFAULT_MAX_LENGTH: Final = 8192
MAX_EXPRESSIONS: Final = 64
_MAX_PREFIX: Final = 9999

_UNRESERVED: Final = frozenset(string.ascii_letters + string.digits + "-._~")
_RESERVED: Final = frozenset(":/?#[]@!$&'()*+,;=")
_HEX: Final = frozenset(string.hexdigits)
_VARCHARS: Final = frozenset(string.ascii_letters + string.digits + "_")
_FUTURE_OPERATORS: Final = frozenset("=,!@|")
# ASCII characters the RFC keeps out of literals, besides controls and the braces.
_LITERAL_FORBIDDEN: Final = frozenset(" \"'<>\\^`|")
_QUOTE_SAFE_RESERVED: Final = "".join(sorted(_RESERVED))
_PCT_TRIPLET: Final = re.compile(r"(%[0-9A-Fa-f]{2})")
_BROKEN_PCT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")


class UriTemplateError(ValueError):
    """A URI template is malformed. ``position`` is the 0-based offset of the problem."""

    def __init__(self, message: str, template: str, position: int) -> None:
        shown = template if len(template) <= 80 else template[:77] + "..."
        super().__init__(f"{message} at position {position} of URI template {shown!r}")
        self.template = template
        self.position = position


# -- character sets ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Chars:
    """A set of characters: some ASCII ones, and optionally everything above U+007F."""

    ascii: frozenset[str]
    wide: bool = False

    def __or__(self, other: _Chars | str) -> _Chars:
        if isinstance(other, str):
            return _Chars(self.ascii | frozenset(other), self.wide)
        return _Chars(self.ascii | other.ascii, self.wide or other.wide)

    def isdisjoint(self, other: _Chars) -> bool:
        return self.ascii.isdisjoint(other.ascii) and not (self.wide and other.wide)


@functools.lru_cache(maxsize=64)
def _run_pattern(chars: _Chars) -> re.Pattern[str]:
    # A single character class under a star: the regex engine walks it once, with nothing
    # after it to backtrack into, so both .match() and .fullmatch() are linear.
    body = "".join(re.escape(c) for c in sorted(chars.ascii))
    if chars.wide:
        body += "\u0080-\U0010ffff"
    return re.compile(f"[{body}]*")


_VALUE: Final = _Chars(_UNRESERVED | {"%"}, wide=True)
_VALUE_RESERVED: Final = _VALUE | _Chars(_RESERVED)


def _is_hex2(text: str, i: int) -> bool:
    return len(text) >= i + 2 and text[i] in _HEX and text[i + 1] in _HEX


# -- parsed form -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Operator:
    char: str
    first: str  # written before the first defined variable
    sep: str  # written between variables and between exploded items
    named: bool  # name=value pairs
    ifemp: str  # written after the name when the value is empty
    reserved: bool  # reserved characters and %XX triplets pass through unencoded


_OPERATORS: Final = {
    "": _Operator("", "", ",", False, "", False),
    "+": _Operator("+", "", ",", False, "", True),
    "#": _Operator("#", "#", ",", False, "", True),
    ".": _Operator(".", ".", ".", False, "", False),
    "/": _Operator("/", "/", "/", False, "", False),
    ";": _Operator(";", ";", ";", True, "", False),
    "?": _Operator("?", "?", "&", True, "=", False),
    "&": _Operator("&", "&", "&", True, "=", False),
}


@dataclass(frozen=True, slots=True)
class _VarSpec:
    name: str
    prefix: int | None
    explode: bool


@dataclass(frozen=True, slots=True)
class _Expression:
    op: _Operator
    specs: tuple[_VarSpec, ...]


def _parse(template: str) -> list[str | _Expression]:
    """Split a template into encoded literal text and expressions, or raise."""
    items: list[str | _Expression] = []
    literal: list[str] = []
    expressions = 0
    i, n = 0, len(template)
    while i < n:
        c = template[i]
        if c == "{":
            close = template.find("}", i + 1)
            nested = template.find("{", i + 1, close if close >= 0 else n)
            if nested >= 0:
                raise UriTemplateError("'{' inside an expression", template, nested)
            if close < 0:
                raise UriTemplateError("'{' is never closed", template, i)
            expressions += 1
            if expressions > MAX_EXPRESSIONS:
                raise UriTemplateError(f"more than {MAX_EXPRESSIONS} expressions", template, i)
            if literal:
                items.append(_encode("".join(literal), reserved=True))
                literal.clear()
            items.append(_parse_expression(template, i + 1, close))
            i = close + 1
            continue
        if c == "}":
            raise UriTemplateError("'}' without a matching '{'", template, i)
        if c == "%":
            if not _is_hex2(template, i + 1):
                raise UriTemplateError("'%' that does not start a percent-encoded octet", template, i)
            literal.append(template[i : i + 3])
            i += 3
            continue
        code = ord(c)
        if (
            code < 0x20
            or code == 0x7F
            or c in _LITERAL_FORBIDDEN
            or 0x80 <= code < 0xA0
            or 0xD800 <= code < 0xE000
        ):
            raise UriTemplateError(f"character {c!r} is not allowed in a URI template", template, i)
        literal.append(c)
        i += 1
    if literal:
        items.append(_encode("".join(literal), reserved=True))
    return items


def _parse_expression(template: str, start: int, end: int) -> _Expression:
    if start == end:
        raise UriTemplateError("empty expression", template, start - 1)
    c = template[start]
    if c in _FUTURE_OPERATORS:
        raise UriTemplateError(f"operator {c!r} is reserved for future extensions", template, start)
    op = _OPERATORS.get(c)
    if op is None:
        op = _OPERATORS[""]
    else:
        start += 1
    specs: list[_VarSpec] = []
    pos = start
    for raw in template[start:end].split(","):
        specs.append(_parse_varspec(template, raw, pos))
        pos += len(raw) + 1
    return _Expression(op, tuple(specs))


def _parse_varspec(template: str, raw: str, pos: int) -> _VarSpec:
    j, n = 0, len(raw)
    while j < n:
        c = raw[j]
        if c in _VARCHARS:
            j += 1
        elif c == "%":
            if not _is_hex2(raw, j + 1):
                raise UriTemplateError("'%' in a variable name must start an octet", template, pos + j)
            j += 3
        elif c == ".":
            if j == 0 or raw[j - 1] == "." or j + 1 == n or raw[j + 1] in ":*.":
                raise UriTemplateError("'.' must sit between two name characters", template, pos + j)
            j += 1
        else:
            break
    if j == 0:
        what = "empty variable name" if j == n or raw[j] in ":*" else f"character {raw[0]!r} in a name"
        raise UriTemplateError(what, template, pos)
    name, modifier = raw[:j], raw[j:]
    if not modifier:
        return _VarSpec(name, None, False)
    if modifier == "*":
        return _VarSpec(name, None, True)
    if (modifier[0] == "*" and modifier[1:2] == ":") or (modifier[0] == ":" and modifier.endswith("*")):
        raise UriTemplateError("a variable cannot have both a prefix and '*'", template, pos + j)
    if modifier[0] != ":":
        raise UriTemplateError(f"character {modifier[0]!r} in a variable name", template, pos + j)
    digits = modifier[1:]
    if not (digits.isascii() and digits.isdigit()) or digits[0] == "0" or int(digits) > _MAX_PREFIX:
        raise UriTemplateError(
            f"prefix length must be an integer from 1 to {_MAX_PREFIX} without leading zeros",
            template,
            pos + j + 1,
        )
    return _VarSpec(name, int(digits), False)


# -- expansion ---------------------------------------------------------------------------------


def _encode(text: str, *, reserved: bool) -> str:
    if not reserved:
        return quote(text, safe="")
    if "%" not in text:
        return quote(text, safe=_QUOTE_SAFE_RESERVED)
    # Reserved expansion passes existing %XX triplets through; a lone '%' is still encoded.
    pieces = _PCT_TRIPLET.split(text)
    return "".join(
        piece if k % 2 else quote(piece, safe=_QUOTE_SAFE_RESERVED) for k, piece in enumerate(pieces)
    )


def _scalar(value: object, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"URI template variable {name!r}: cannot expand a {type(value).__name__}")


def _truncate(value: str, length: int, reserved: bool) -> str:
    if not reserved or "%" not in value:
        return value[:length]
    # A %XX triplet that reserved expansion passes through counts as one character, so a
    # prefix never cuts one in half.
    out: list[str] = []
    i = 0
    while i < len(value) and len(out) < length:
        step = 3 if value[i] == "%" and _is_hex2(value, i + 1) else 1
        out.append(value[i : i + step])
        i += step
    return "".join(out)


def _expand_variable(op: _Operator, spec: _VarSpec, value: object) -> str | None:
    name, explode, reserved = spec.name, spec.explode, op.reserved
    if value is None:
        return None
    if isinstance(value, list | tuple):
        members = [_scalar(v, name) for v in value if v is not None]
        if not members:
            return None
        encoded = [_encode(v, reserved=reserved) for v in members]
        if not explode:
            joined = ",".join(encoded)
            return f"{name}={joined}" if op.named else joined
        if op.named:
            return op.sep.join(
                f"{name}={e}" if v else name + op.ifemp for v, e in zip(members, encoded, strict=True)
            )
        return op.sep.join(encoded)
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"URI template variable {name!r}: associative array keys must be str")
        pairs = [(k, _scalar(v, name)) for k, v in value.items() if v is not None]
        if not pairs:
            return None
        enc = [(_encode(k, reserved=reserved), v, _encode(v, reserved=reserved)) for k, v in pairs]
        if not explode:
            joined = ",".join(f"{k},{e}" for k, _, e in enc)
            return f"{name}={joined}" if op.named else joined
        if op.named:
            return op.sep.join(f"{k}={e}" if v else k + op.ifemp for k, v, e in enc)
        return op.sep.join(f"{k}={e}" for k, _, e in enc)
    text = _scalar(value, name)
    if spec.prefix is not None:
        text = _truncate(text, spec.prefix, reserved)
    if not op.named:
        return _encode(text, reserved=reserved)
    return f"{name}={_encode(text, reserved=reserved)}" if text else name + op.ifemp


def _expand_expression(expression: _Expression, values: Mapping[str, object]) -> str:
    op = expression.op
    pieces = [
        piece
        for spec in expression.specs
        if (piece := _expand_variable(op, spec, values.get(spec.name))) is not None
    ]
    return op.first + op.sep.join(pieces) if pieces else ""


# -- matching ----------------------------------------------------------------------------------

# One matched occurrence of a variable: name, value, and the prefix length if it had one.
_Capture: TypeAlias = tuple[str, str | list[str], int | None]


def _decode(raw: str, allowed: re.Pattern[str]) -> str | None:
    if allowed.fullmatch(raw) is None:
        return None
    if "%" not in raw:
        return raw
    if _BROKEN_PCT.search(raw) is not None:
        return None
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True, slots=True)
class _Literal:
    text: str  # as expansion writes it

    @property
    def first(self) -> _Chars:
        return _Chars(frozenset(self.text[0]))

    @property
    def last(self) -> _Chars:
        return _Chars(frozenset(self.text[-1]))


class _Group:
    """One expression, or adjacent ones that expand like a single expression, for matching."""

    __slots__ = (
        "by_name",
        "exploded_re",
        "exploders",
        "extent",
        "first",
        "item_re",
        "leads",
        "member_leads",
        "op",
        "run",
        "specs",
    )

    def __init__(self, members: list[_Expression]) -> None:
        op = members[0].op
        self.op = op
        self.specs = tuple((k, spec) for k, member in enumerate(members) for spec in member.specs)
        self.member_leads = tuple(member.op.first for member in members)
        # The characters that can open a non-empty expansion, in the order to look for them.
        self.leads = tuple(dict.fromkeys(lead for lead in self.member_leads if lead))
        value = _VALUE_RESERVED if op.reserved else _VALUE
        explodes = any(spec.explode for _, spec in self.specs)
        extent = value | "".join(self.leads)
        if len(self.specs) > 1 or explodes:
            extent |= op.sep
        if op.named or explodes:
            extent |= "="
        self.extent = extent
        self.run = _run_pattern(extent)
        self.first = _Chars(frozenset(self.leads)) if self.leads else extent
        self.item_re = _run_pattern(value)
        # Exploded associative arrays come out of the unnamed forms as "key=value" items.
        self.exploded_re = _run_pattern(value | "=")
        self.by_name: dict[str, list[int]] = {}
        self.exploders: dict[str, list[int]] = {}
        for index, (_, spec) in enumerate(self.specs):
            self.by_name.setdefault(spec.name, []).append(index)
            if spec.explode:
                self.exploders.setdefault(spec.name, []).append(index)

    def parse(self, text: str) -> list[_Capture] | None:
        if not text:
            return []
        return self._parse_named(text) if self.op.named else self._parse_items(text)

    def _parse_items(self, text: str) -> list[_Capture] | None:
        op = self.op
        if op.first:
            if text[0] != op.first:
                return None
            text = text[1:]
        items = text.split(op.sep)
        specs = [spec for _, spec in self.specs]
        counts = [1] * min(len(items), len(specs)) + [0] * (len(specs) - len(items))
        surplus = len(items) - len(specs)
        if surplus > 0:
            # The first exploded variable soaks up the surplus; without one, the last variable
            # takes it, separators included, and its character check decides if that is allowed.
            taker = next((k for k, spec in enumerate(specs) if spec.explode), len(specs) - 1)
            counts[taker] += surplus
        captures: list[_Capture] = []
        at = 0
        for spec, count in zip(specs, counts, strict=True):
            if not count:
                break
            chunk = items[at : at + count]
            at += count
            if spec.explode:
                values: list[str] = []
                for raw in chunk:
                    decoded = _decode(raw, self.exploded_re)
                    if decoded is None:
                        return None
                    values.append(decoded)
                captures.append((spec.name, values, None))
                continue
            decoded = _decode(op.sep.join(chunk), self.item_re)
            if decoded is None or (spec.prefix is not None and len(decoded) > spec.prefix):
                return None
            captures.append((spec.name, decoded, spec.prefix))
        return captures

    def _parse_named(self, text: str) -> list[_Capture] | None:
        op = self.op
        lead = text[0]
        if lead not in self.leads:
            return None
        filled: set[int] = set()
        members: set[int] = set()
        # An exploded variable named twice in the group expands once per occurrence, so its
        # values are collected by name and shared out evenly at the end.
        exploded: dict[str, list[str]] = {}
        captures: list[_Capture] = []
        for pair in text[1:].split(op.sep):
            name, equals, raw = pair.partition("=")
            candidates = self.by_name.get(name)
            if candidates is None:
                return None
            # Expansion writes ';name' for an empty value but '?name=' / '&name=', never the
            # other way round.
            if (not equals and op.ifemp) or (equals and not raw and not op.ifemp):
                return None
            decoded = _decode(raw, self.item_re)
            if decoded is None:
                return None
            index = next((k for k in candidates if not self.specs[k][1].explode and k not in filled), None)
            if index is None:
                if name not in self.exploders:
                    return None
                exploded.setdefault(name, []).append(decoded)
                continue
            member, spec = self.specs[index]
            if spec.prefix is not None and len(decoded) > spec.prefix:
                return None
            filled.add(index)
            members.add(member)
            captures.append((name, decoded, spec.prefix))
        for name, values in exploded.items():
            owners = self.exploders[name]
            share, left_over = divmod(len(values), len(owners))
            if left_over:
                return None
            for n, index in enumerate(owners):
                members.add(self.specs[index][0])
                captures.append((name, values[n * share : (n + 1) * share], None))
        if lead != self.member_leads[min(members)]:
            return None
        return captures


def _groups(items: list[str | _Expression]) -> list[_Literal | _Group]:
    parts: list[_Literal | _Group] = []
    pending: list[_Expression] = []
    for item in [*items, ""]:
        if isinstance(item, _Expression):
            if pending and not _continues(pending[-1].op, item.op):
                parts.append(_Group(pending))
                pending = []
            pending.append(item)
            continue
        if pending:
            parts.append(_Group(pending))
            pending = []
        if item:
            parts.append(_Literal(item))
    return parts


def _continues(before: _Operator, after: _Operator) -> bool:
    """Does ``{<before>a}{<after>b}`` expand exactly like one expression with both variables?"""
    if after.char and after.char in "./;&":
        return before.char == after.char or (before.char == "?" and after.char == "&")
    return False


_LEFT_LITERAL, _RIGHT_LITERAL, _WHOLE, _LEFT_RUN, _RIGHT_RUN, _LEFT_GUESS = range(6)


@dataclass(frozen=True, slots=True)
class _Step:
    kind: int
    literal: str = ""
    group: _Group | None = None
    # For _LEFT_GUESS: the literals that must still follow, the literal right after (if the
    # next part is one) and the characters that can open the next expression (if it is one).
    skeleton: tuple[str, ...] = ()
    next_literal: str | None = None
    leads: tuple[str, ...] = ()


def _first_of(parts: list[_Literal | _Group], start: int, stop: int) -> _Chars:
    """Characters that can begin what ``parts[start:stop]`` matches (expressions can be empty)."""
    chars = _Chars(frozenset())
    for part in parts[start:stop]:
        chars |= part.first
        if isinstance(part, _Literal):
            break
    return chars


def _last_of(parts: list[_Literal | _Group], start: int, stop: int) -> _Chars:
    chars = _Chars(frozenset())
    for part in reversed(parts[start:stop]):
        if isinstance(part, _Literal):
            return chars | part.last
        chars |= part.extent
    return chars


def _plan(parts: list[_Literal | _Group]) -> list[_Step]:
    """Decide, once per template, in which order the parts are matched and how each is cut.

    Literals at either end are anchored. An expression none of whose characters can begin
    what follows it must end exactly where its run of characters ends, so that cut is forced;
    the same holds from the right. Only when both ends are ambiguous does a _LEFT_GUESS step
    pick a cut by the module's rule. The decisions depend only on the template, so matching a
    URI is a straight walk over the resulting steps with no choice left to revisit.
    """
    steps: list[_Step] = []
    i, j = 0, len(parts)
    while i < j:
        left, right = parts[i], parts[j - 1]
        if isinstance(left, _Literal):
            steps.append(_Step(_LEFT_LITERAL, literal=left.text))
            i += 1
        elif isinstance(right, _Literal):
            steps.append(_Step(_RIGHT_LITERAL, literal=right.text))
            j -= 1
        elif i == j - 1:
            steps.append(_Step(_WHOLE, group=left))
            i += 1
        elif _first_of(parts, i + 1, j).isdisjoint(left.extent):
            steps.append(_Step(_LEFT_RUN, group=left))
            i += 1
        elif _last_of(parts, i, j - 1).isdisjoint(right.extent):
            steps.append(_Step(_RIGHT_RUN, group=right))
            j -= 1
        else:
            after = parts[i + 1]
            skeleton = tuple(p.text for p in parts[i + 1 : j] if isinstance(p, _Literal))
            if isinstance(after, _Literal):
                step = _Step(_LEFT_GUESS, group=left, skeleton=skeleton, next_literal=after.text)
            else:
                step = _Step(_LEFT_GUESS, group=left, skeleton=skeleton, leads=after.leads)
            steps.append(step)
            i += 1
    return steps


def _merge(captures: list[_Capture], order: tuple[str, ...]) -> dict[str, str | list[str]] | None:
    """Combine every occurrence of each variable, or None if they disagree."""
    full: dict[str, str | list[str]] = {}
    prefixes: dict[str, list[tuple[str, int]]] = {}
    for name, value, prefix in captures:
        if prefix is not None and isinstance(value, str):
            prefixes.setdefault(name, []).append((value, prefix))
        elif full.setdefault(name, value) != value:
            return None
    for name, seen in prefixes.items():
        base = full.get(name)
        if base is None:
            base = max((value for value, _ in seen), key=len)
        elif not isinstance(base, str):
            return None
        if any(base[:length] != value for value, length in seen):
            return None
        full[name] = base
    return {name: full[name] for name in order if name in full}


# -- public API --------------------------------------------------------------------------------


class UriTemplate:
    """A parsed RFC 6570 template. Read-only, and equal to another when their texts are equal."""

    __slots__ = ("_items", "_max_length", "_plan", "_reverse", "_template", "_variables")

    def __init__(self, template: str, *, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        if not isinstance(template, str):
            raise TypeError(f"a URI template must be a str, not {type(template).__name__}")
        if type(max_length) is not int or max_length < 1:
            raise ValueError(f"max_length must be a positive integer, not {max_length!r}")
        if len(template) > max_length:
            raise UriTemplateError(f"template longer than {max_length} characters", template, max_length)
        self._template = template
        self._max_length = max_length
        self._items = _parse(template)
        names = (spec.name for item in self._items if isinstance(item, _Expression) for spec in item.specs)
        self._variables = tuple(dict.fromkeys(names))
        self._plan = _plan(_groups(self._items))
        self._reverse = any(step.kind == _RIGHT_RUN for step in self._plan)

    @property
    def template(self) -> str:
        """The template text, as given."""
        return self._template

    @property
    def variables(self) -> tuple[str, ...]:
        """Variable names in order of first appearance, each once."""
        return self._variables

    @property
    def max_length(self) -> int:
        """The longest template this instance accepted, and the longest URI it will match."""
        return self._max_length

    def expand(self, values: Mapping[str, object]) -> str:
        """Expand the template; variables missing from ``values`` or ``None`` are undefined."""
        return "".join(
            item if isinstance(item, str) else _expand_expression(item, values) for item in self._items
        )

    def match(self, uri: str) -> dict[str, str | list[str]] | None:
        """The variables' values if ``uri`` fits the template (see the module rules), else None."""
        if not isinstance(uri, str) or len(uri) > self._max_length:
            return None
        lo, hi, size = 0, len(uri), len(uri)
        reverse = uri[::-1] if self._reverse else ""
        captures: list[_Capture] = []
        for step in self._plan:
            kind, group = step.kind, step.group
            if kind == _LEFT_LITERAL:
                if not uri.startswith(step.literal, lo, hi):
                    return None
                lo += len(step.literal)
                continue
            if kind == _RIGHT_LITERAL:
                if hi - lo < len(step.literal) or not uri.endswith(step.literal, lo, hi):
                    return None
                hi -= len(step.literal)
                continue
            assert group is not None
            start, end = lo, hi
            if kind == _LEFT_RUN:
                end = _run_end(group, uri, lo, hi)
            elif kind == _RIGHT_RUN:
                start = hi - (_run_end(group, reverse, size - hi, size - lo) - (size - hi))
            elif kind == _LEFT_GUESS:
                found = _guess_end(step, group, uri, lo, hi)
                if found is None:
                    return None
                end = found
            parsed = group.parse(uri[start:end])
            if parsed is None:
                return None
            captures += parsed
            if kind == _RIGHT_RUN:
                hi = start
            else:
                lo = end
        if lo != hi:
            return None
        return _merge(captures, self.variables)

    def __str__(self) -> str:
        return self.template

    def __repr__(self) -> str:
        return f"UriTemplate({self.template!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UriTemplate):
            return NotImplemented
        return self.template == other.template

    def __hash__(self) -> int:
        return hash(self.template)


def _run_end(group: _Group, text: str, lo: int, hi: int) -> int:
    match = group.run.match(text, lo, hi)
    assert match is not None  # a starred class always matches, if only the empty string
    return match.end()


def _guess_end(step: _Step, group: _Group, uri: str, lo: int, hi: int) -> int | None:
    """Where an expression ends when both ends of the remaining template are ambiguous."""
    room = hi
    # The latest place the rest can begin: its literals, placed as far right as they go.
    for literal in reversed(step.skeleton):
        room = uri.rfind(literal, lo, room)
        if room < 0:
            return None
    limit = min(_run_end(group, uri, lo, hi), room)
    if step.next_literal is not None:
        # Its last copy that starts within this expression's run and leaves room for the rest.
        found = uri.rfind(step.next_literal, lo, limit + len(step.next_literal))
        return found if found >= 0 else None
    # The next part is an expression: stop before the last character that can open it, or
    # give it nothing if none is in reach.
    for lead in step.leads:
        found = uri.rfind(lead, lo, min(limit + 1, hi))
        if found >= 0:
            return found
    return limit


def is_template(text: str) -> bool:
    """True if ``text`` holds at least one ``{...}`` with something inside; no full validation."""
    start = text.find("{")
    while start >= 0:
        close = text.find("}", start + 1)
        if close < 0:
            return False
        if close > text.rfind("{", start, close) + 1:
            return True
        start = text.find("{", close + 1)
    return False
