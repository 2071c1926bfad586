"""The official example messages of 2026-07-28 as vectors for our typed models of that revision.

The specification ships 129 examples, each in a folder named after the schema definition it
illustrates (``examples/CallToolResult/*.json``). Each one here must

* be valid against that official definition, so that the vectors themselves are sound;
* pass our models (``conformance._models``): a whole JSON-RPC message through ``check_message``
  at 2026-07-28, a part of one (a result, params, a content block, a capability object...)
  through the model of its definition, without a problem;
* come back unchanged: decoded, validated into our model and dumped again, it is the same JSON.
  For a whole message that means the envelope and the payload (params, result or error), each
  through its own model.

An example that breaks a rule of the specification which its schema does not hold is listed in
``FLAWED`` with the reason and the exact problems we report, rather than skipped. Then the
negative cases: an example request without the revision in its ``_meta``, a result without
``resultType``, a cacheable result without its caching hints, each reported; and a property test
that whatever our models accept of a mutated example dumps back to exactly what was given.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance._models import RESULTS, Problem, Sender, check_message, check_value, model_of
from mcpcore.revisions import REVISIONS
from tests.spec import SPEC_DIR, definitions, needs_spec

MODERN = "2026-07-28"
EXAMPLES = SPEC_DIR / MODERN / "examples"
VERSION = "io.modelcontextprotocol/protocolVersion"
CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"

needs_examples = pytest.mark.skipif(
    not EXAMPLES.is_dir(),
    reason=f"the official examples of {MODERN} are not at {EXAMPLES} (they come with the spec "
    "folder, see tests/spec.py; set MCPCORE_SPEC_DIR to a copy of the spec repository's schema/ folder)",
)


def _examples() -> list[Path]:
    return sorted(EXAMPLES.rglob("*.json")) if EXAMPLES.is_dir() else []


PATHS = _examples()
IDS = [f"{path.parent.name}/{path.name}" for path in PATHS]

# Examples that break a rule of the specification that the schema does not encode: why, the
# problems (kind, path, text) our models report for them, and the definition their payload is
# round-tripped through instead of its own, which refuses it.
FLAWED: dict[str, tuple[str, list[tuple[str, str, str]], str]] = {
    "ReadResourceResultResponse/read-resource-result-response.json": (
        "a complete resources/read result without ttlMs and cacheScope, which server/utilities/"
        "caching.mdx says servers MUST include; the schema admits it only because its anyOf also "
        "offers InputRequiredResult, which asks for nothing but a string resultType",
        [
            ("stricter", "result.ttlMs", "is required"),
            ("stricter", "result.cacheScope", "is required"),
        ],
        "InputRequiredResult",  # the member of the schema's union that admits it
    ),
}

# The six cacheable results, which must carry ttlMs and cacheScope when complete.
CACHEABLE = (
    "DiscoverResult",
    "ListToolsResult",
    "ListPromptsResult",
    "ListResourcesResult",
    "ListResourceTemplatesResult",
    "ReadResourceResult",
)


def load(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def is_message(document: Any) -> bool:
    return isinstance(document, dict) and "jsonrpc" in document


def sender_of(definition: str) -> Sender:
    # The client sends requests and, of the notifications, only cancellation in this revision.
    return "client" if definition.endswith("Request") or definition == "CancelledNotification" else "server"


@cache
def answered_method(definition: str) -> str | None:
    """The method whose response ``definition`` (``CallToolResultResponse``) is, if it is one."""
    if not definition.endswith("ResultResponse"):
        return None
    by_result = {RESULTS[method]: method for method in REVISIONS[MODERN].client_requests}
    return by_result[definition.removesuffix("Response")]


def dump(definition: str, value: Any) -> Any:
    """``value`` validated into our model of ``definition`` and dumped back to JSON."""
    adapter = model_of(MODERN, definition)
    return adapter.dump_python(adapter.validate_python(value), mode="json", by_alias=True, exclude_unset=True)


def official_errors(definition: str, value: Any) -> list[str]:
    import jsonschema

    schema = {"$ref": f"#/$defs/{definition}", "$defs": definitions(MODERN)}
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]


def _ref(node: dict[str, Any]) -> str:
    return str(node["$ref"]).rsplit("/", 1)[-1]


def payload_definitions(definition: str, message: dict[str, Any]) -> list[tuple[str, str]]:
    """(member, our definition of it) for the payload of an example message, by the official
    definition of the message: its params, its result (an input-required one when it says so),
    or its error."""
    properties = definitions(MODERN)[definition]["properties"]
    if "params" in message:
        return [("params", _ref(properties["params"]))]
    if "result" in message:
        node = properties["result"]
        members = [_ref(member) for member in node.get("anyOf", [node])]
        wanted = "InputRequiredResult" if message["result"].get("resultType") == "input_required" else None
        chosen = [m for m in members if (m == "InputRequiredResult") == (wanted is not None)] or members
        return [("result", chosen[0])]
    return [("error", "Error")]


def envelope_of(message: dict[str, Any]) -> str:
    """The official definition of the message's envelope."""
    if "method" in message:
        return "JSONRPCRequest" if "id" in message else "JSONRPCNotification"
    return "JSONRPCResultResponse" if "result" in message else "JSONRPCErrorResponse"


def shown(problems: list[Problem]) -> list[tuple[str, str, str]]:
    return [(p.kind, p.path, p.text) for p in problems]


# -- the vectors ----------------------------------------------------------------------------------


@needs_spec
@needs_examples
def test_the_examples_are_all_there_and_name_official_definitions() -> None:
    folders = {path.parent.name for path in PATHS}
    assert len(PATHS) == 129
    assert len(folders) == 88
    assert folders <= set(definitions(MODERN))
    # Both kinds are there, and every whole message is of a kind the runner knows the sender of.
    messages = [path for path in PATHS if is_message(load(path))]
    assert 30 < len(messages) < len(PATHS)
    assert set(FLAWED) <= set(IDS)


@needs_spec
@needs_examples
@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_an_example_is_valid_against_its_official_definition(path: Path) -> None:
    assert official_errors(path.parent.name, load(path)) == []


@needs_examples
@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_an_example_passes_our_models(path: Path) -> None:
    definition, document = path.parent.name, load(path)
    if is_message(document):
        problems = check_message(
            MODERN,
            document,
            sender=sender_of(definition),
            method=answered_method(definition),
        )
    else:
        problems = check_value(MODERN, definition, document)
    reason, expected, _ = FLAWED.get(f"{definition}/{path.name}", ("", [], ""))
    assert shown(problems) == expected, reason or f"{definition}: {[str(p) for p in problems]}"


@needs_spec
@needs_examples
@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_an_example_comes_back_unchanged_through_our_models(path: Path) -> None:
    definition, raw = path.parent.name, path.read_bytes()
    original = orjson.loads(raw)
    if not is_message(original):
        assert dump(definition, orjson.loads(raw)) == original
        return
    assert dump(envelope_of(original), orjson.loads(raw)) == original
    flawed = FLAWED.get(f"{definition}/{path.name}")
    for member, inner in payload_definitions(definition, original):
        if flawed is not None:
            inner = flawed[2]  # its own definition refuses it: see FLAWED for why
        assert dump(inner, orjson.loads(raw)[member]) == original[member], f"{member} as {inner}"


# -- what must be reported ------------------------------------------------------------------------


def _requests() -> list[Path]:
    return [path for path in PATHS if path.parent.name.endswith("Request") and is_message(load(path))]


def _responses() -> list[Path]:
    return [path for path in PATHS if path.parent.name.endswith("ResultResponse")]


REQUESTS = _requests()
RESPONSES = _responses()


@needs_spec
@needs_examples
@pytest.mark.parametrize("key", [VERSION, CAPABILITIES])
@pytest.mark.parametrize("path", REQUESTS, ids=[p.parent.name for p in REQUESTS])
def test_a_request_without_its_revision_or_capabilities_is_reported(path: Path, key: str) -> None:
    message = load(path)
    del message["params"]["_meta"][key]
    problems = check_message(MODERN, message, sender="client")
    assert shown(problems) == [("schema", f"params._meta.{key}", "is required")]
    assert official_errors(path.parent.name, message) != []


@needs_examples
@pytest.mark.parametrize("path", REQUESTS, ids=[p.parent.name for p in REQUESTS])
def test_a_request_without_meta_or_params_is_reported(path: Path) -> None:
    message = load(path)
    del message["params"]["_meta"]
    assert shown(check_message(MODERN, message, sender="client")) == [
        ("schema", "params._meta", "is required")
    ]
    del message["params"]
    assert shown(check_message(MODERN, message, sender="client")) == [("schema", "params", "is required")]


@needs_spec
@needs_examples
@pytest.mark.parametrize("path", RESPONSES, ids=[f"{p.parent.name}/{p.name}" for p in RESPONSES])
def test_a_result_without_its_type_is_reported(path: Path) -> None:
    message = load(path)
    del message["result"]["resultType"]
    method = answered_method(path.parent.name)
    problems = check_message(MODERN, message, sender="server", method=method)
    assert ("schema", "result.resultType", "is required") in shown(problems)
    assert official_errors(path.parent.name, message) != []
    # Without the method, the envelope alone still wants it: every result of the revision has one.
    assert shown(check_message(MODERN, message, sender="server")) == [
        ("schema", "result.resultType", "is required")
    ]


def _cacheable() -> list[Path]:
    return [path for path in PATHS if path.parent.name in CACHEABLE]


@needs_spec
@needs_examples
@pytest.mark.parametrize("key", ["ttlMs", "cacheScope"])
@pytest.mark.parametrize("path", _cacheable(), ids=[p.parent.name for p in _cacheable()])
def test_a_cacheable_result_without_its_caching_hints_is_reported(path: Path, key: str) -> None:
    definition, result = path.parent.name, load(path)
    assert set(CACHEABLE) == {p.parent.name for p in _cacheable()}  # an example of each
    del result[key]
    assert shown(check_value(MODERN, definition, result)) == [("schema", key, "is required")]
    assert official_errors(definition, result) != []
    # As the answer to its request: refused by the schema, except where the request may also be
    # answered with an input-required result, whose schema admits it: stricter than the schema.
    method = answered_method(f"{definition}Response")
    assert method is not None
    problems = check_message(
        MODERN, {"jsonrpc": "2.0", "id": 1, "result": result}, sender="server", method=method
    )
    kind = "stricter" if method == "resources/read" else "schema"
    assert shown(problems) == [(kind, f"result.{key}", "is required")]
    with_response = {"jsonrpc": "2.0", "id": 1, "result": result}
    assert (official_errors(f"{definition}Response", with_response) == []) == (kind == "stricter")


@needs_examples
@pytest.mark.parametrize("path", _cacheable(), ids=[p.parent.name for p in _cacheable()])
def test_caching_hints_of_the_wrong_kind_are_reported(path: Path) -> None:
    result = {**load(path), "ttlMs": -1, "cacheScope": "shared"}
    assert shown(check_value(MODERN, path.parent.name, result)) == [
        ("schema", "ttlMs", "should be a non-negative integer (got -1)"),
        ("schema", "cacheScope", "should be 'public' or 'private' (got 'shared')"),
    ]


@needs_examples
def test_a_handshake_revisions_name_in_an_example_is_reported_as_earlier() -> None:
    (path,) = [p for p in PATHS if p.parent.name == "ElicitRequestURLParams"]
    params = {**load(path), "elicitationId": "e-1"}
    assert shown(check_value(MODERN, "ElicitRequestURLParams", params)) == [
        (
            "earlier",
            "elicitationId",
            "is not defined in revision 2026-07-28 (it was dropped after 2025-11-25)",
        )
    ]
    assert check_value("2025-11-25", "ElicitRequestURLParams", params) == []


# -- property: what is accepted comes back as it was -------------------------------------------------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


def _objects(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of every object within ``value``."""
    found = [at] if isinstance(value, dict) else []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found.extend(_objects(item, (*at, key)))
    return found


_PARTS = [path for path in PATHS if not is_message(load(path))]


@st.composite
def mutated_parts(draw: st.DrawFn) -> tuple[str, Any]:
    """An example part with one key of an object set to any JSON value: a new key, or one of
    the object's own keys given another value."""
    path = draw(st.sampled_from(_PARTS))
    value = copy.deepcopy(load(path))
    where = draw(st.sampled_from(_objects(value)))
    target = value
    for part in where:
        target = target[part]
    keys = [*sorted(target), "x-extra"]
    target[draw(st.sampled_from(keys) | st.text(max_size=5))] = draw(_json)
    return path.parent.name, value


@needs_examples
@settings(max_examples=300)
@given(case=mutated_parts())
def test_whatever_our_models_accept_dumps_back_to_what_was_given(case: tuple[str, Any]) -> None:
    definition, value = case
    problems = check_value(MODERN, definition, value)
    assert all(isinstance(p, Problem) and p.text for p in problems)
    if not any(p.kind == "schema" for p in problems):
        assert dump(definition, value) == value
