"""mcpcore.revisions: the per-revision table, checked against the official schemas."""

from __future__ import annotations

import pytest

from mcpcore import revisions
from mcpcore.errors import INVALID_PARAMS, RESOURCE_NOT_FOUND
from mcpcore.revisions import REVISIONS, client_capability_for, get, server_capability_for
from tests.spec import definitions, needs_spec, union_methods

VERSIONS = list(REVISIONS)


def test_the_five_revisions_oldest_first() -> None:
    assert VERSIONS == ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]
    assert tuple(VERSIONS[:4]) == revisions.HANDSHAKE_VERSIONS
    assert (revisions.LATEST_HANDSHAKE, revisions.LATEST) == ("2025-11-25", "2026-07-28")
    assert get("2025-06-18") is REVISIONS["2025-06-18"]
    assert get("2024-10-07") is None
    assert str(REVISIONS["2026-07-28"]) == "2026-07-28"


@needs_spec
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("union", "attribute"),
    [
        ("ClientRequest", "client_requests"),
        ("ServerRequest", "server_requests"),
        ("ClientNotification", "client_notifications"),
        ("ServerNotification", "server_notifications"),
    ],
)
def test_method_sets_match_the_schema_unions(version: str, union: str, attribute: str) -> None:
    assert getattr(REVISIONS[version], attribute) == union_methods(version, union)


@needs_spec
@pytest.mark.parametrize("version", VERSIONS)
def test_whether_an_error_answer_may_omit_its_id_matches_the_schema(version: str) -> None:
    defs = definitions(version)
    error = defs.get("JSONRPCErrorResponse") or defs["JSONRPCError"]
    assert ("id" not in error["required"]) == REVISIONS[version].omits_unknown_error_id


@needs_spec
@pytest.mark.parametrize("version", VERSIONS)
def test_batches_exist_in_the_schema_only_where_they_must_be_received(version: str) -> None:
    assert ("JSONRPCBatchRequest" in definitions(version)) == REVISIONS[version].receives_batches


def test_eras_and_rules() -> None:
    modern = REVISIONS["2026-07-28"]
    assert modern.era == "modern" and not modern.server_requests
    assert not modern.client_may_send("initialize") and modern.client_may_send("server/discover")
    assert all(REVISIONS[v].era == "handshake" for v in VERSIONS[:4])
    assert [v for v in VERSIONS if REVISIONS[v].receives_batches] == ["2025-03-26"]
    assert modern.resource_not_found == INVALID_PARAMS
    assert {REVISIONS[v].resource_not_found for v in VERSIONS[:4]} == {RESOURCE_NOT_FOUND}
    assert REVISIONS["2025-06-18"].server_may_send("elicitation/create")
    assert not REVISIONS["2025-03-26"].server_may_send("elicitation/create")


def test_capability_gates() -> None:
    old, new = REVISIONS["2024-11-05"], REVISIONS["2025-03-26"]
    assert server_capability_for(old, "completion/complete") is None  # not gated before 2025-03-26
    assert server_capability_for(new, "completion/complete") == "completions"
    assert server_capability_for(new, "resources/subscribe") == "resources.subscribe"
    assert server_capability_for(new, "tools/call") == "tools"
    assert server_capability_for(new, "ping") is None
    assert client_capability_for("sampling/createMessage") == "sampling"
    assert client_capability_for("roots/list") == "roots"
    assert client_capability_for("ping") is None
