"""Server scenario: cursor pagination of the four list operations.

Every list operation (``tools/list``, ``resources/list``, ``resources/templates/list``,
``prompts/list``) may come in pages: a page carries ``nextCursor`` when more follow, and the
client sends it back to get the next. The suite follows the cursors the server issues, never
builds or edits one (they are opaque), and stops after :data:`MAX_PAGES` pages, so a server
that hands out cursors forever cannot hold a run hostage.

Levels, from the pagination page of each revision:

* following a cursor the server issued must work (``*-pages``, MUST): the page format gives
  the client no other way to reach the rest of the list;
* the listing should end without handing back a cursor it already gave (``*-end``) and should
  list each item once (``*-no-duplicates``): the spec asks for stable cursors and calls names
  and URIs identifiers, but states neither as an obligation, so both are SHOULD;
* a cursor the server never issued must still be answered (``*-invalid-cursor-answered``,
  MUST: JSON-RPC answers every request), and the answer should be the error -32602 (SHOULD,
  the pagination page's error handling).

The listing helper :func:`list_all` is shared with the tools, resources and prompts scenarios,
which need whole lists too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance._model import JSONRPC_SPEC, server_scenario
from conformance._peer import Reply, Session
from conformance._runner import ServerTest

__all__ = ["LISTS", "MAX_PAGES", "ListKind", "Listing", "list_all"]

PAGINATION = "server/utilities/pagination"
MAX_PAGES = 100
"""Pages followed before the suite stops: far more than any test server needs, few enough to
end quickly against a server whose cursors never run out."""

INVALID_CURSOR = "mcp-conformance:this-cursor-was-never-issued"


@dataclass(frozen=True, slots=True)
class ListKind:
    """One list operation: its method, the result field holding the items, the field that
    identifies an item, the capability that announces it, and a short name for check ids."""

    method: str
    field: str
    key: str
    capability: str
    short: str


LISTS: tuple[ListKind, ...] = (
    ListKind("tools/list", "tools", "name", "tools", "tools"),
    ListKind("resources/list", "resources", "uri", "resources", "resources"),
    ListKind("resources/templates/list", "resourceTemplates", "uriTemplate", "resources", "templates"),
    ListKind("prompts/list", "prompts", "name", "prompts", "prompts"),
)
BY_METHOD = {kind.method: kind for kind in LISTS}


@dataclass(slots=True)
class Listing:
    """A whole list, as far as the server let the suite follow it."""

    kind: ListKind
    items: list[Any] = field(default_factory=list)
    pages: int = 0
    failed: Reply | None = None  # the page that came back as an error, or without its list
    repeated: str | None = None  # a cursor handed out twice: the listing would never end
    truncated: bool = False  # MAX_PAGES reached with cursors still coming

    @property
    def ok(self) -> bool:
        return self.failed is None

    def identifiers(self) -> list[Any]:
        return [item.get(self.kind.key) if isinstance(item, dict) else None for item in self.items]

    def duplicates(self) -> list[Any]:
        seen: set[str] = set()
        repeated: list[Any] = []
        for key in self.identifiers():
            marker = repr(key)
            if marker in seen and key not in repeated:
                repeated.append(key)
            seen.add(marker)
        return repeated

    def problem(self) -> str:
        reply = self.failed
        if reply is None:
            return ""
        where = "the first page" if self.pages == 0 else f"page {self.pages + 1} (following nextCursor)"
        if reply.error is not None:
            return f"{self.kind.method} answered {where} with an error: {reply.error}"
        if reply.http is not None and reply.http.status >= 400:
            return f"{self.kind.method} answered {where} with HTTP {reply.http.status}"
        return f"{self.kind.method} answered {where} without a {self.kind.field!r} array"


async def list_all(session: Session, method: str, *, max_pages: int = MAX_PAGES) -> Listing:
    """Every item of a list operation, following ``nextCursor`` for at most ``max_pages`` pages."""
    kind = BY_METHOD[method]
    listing = Listing(kind)
    cursors: set[str] = set()
    cursor: str | None = None
    while listing.pages < max_pages:
        reply = await session.request(method, {"cursor": cursor} if cursor is not None else None)
        result = reply.result
        items = result.get(kind.field) if result is not None else None
        if not isinstance(items, list):
            listing.failed = reply
            return listing
        listing.pages += 1
        listing.items.extend(items)
        following = result.get("nextCursor") if result is not None else None
        if not isinstance(following, str):
            return listing  # a missing (or null) nextCursor ends the list
        if following in cursors:
            listing.repeated = following
            return listing
        cursors.add(following)
        cursor = following
    listing.truncated = True
    return listing


def declared(session: Session, kind: ListKind) -> bool:
    return isinstance(session.server_capabilities.get(kind.capability), dict)


@server_scenario("pagination", "list operations page with opaque cursors, and refuse cursors never issued")
async def pagination(t: ServerTest) -> None:
    session = await t.session()
    offered = [kind for kind in LISTS if declared(session, kind)]
    if not offered:
        t.skip("pages", f"{PAGINATION}#response-format", "the server declares no tools, resources or prompts")
        return
    listed: list[ListKind] = []
    for kind in offered:
        name = kind.short
        listing = await list_all(session, kind.method)
        if kind.short == "templates" and listing.failed is not None and listing.failed.error_code == -32601:
            # Whether a resources server must offer templates at all is the resources
            # scenario's question; there is nothing to page through here.
            t.skip(
                f"{name}-pages", f"{PAGINATION}#request-format", "resources/templates/list is not implemented"
            )
            continue
        with t.check(f"{name}-pages", f"{PAGINATION}#request-format") as c:
            c.expect(listing.ok, listing.problem(), listing.failed.message if listing.failed else None)
        if not listing.ok:
            continue  # nothing listed, so nothing to learn from a bogus cursor either
        listed.append(kind)
        with t.should(f"{name}-end", f"{PAGINATION}#implementation-guidelines") as c:
            if listing.truncated:
                c.skip(f"still handing out cursors after {MAX_PAGES} pages; the suite stopped there")
            c.expect(
                listing.repeated is None,
                f"{kind.method} handed out the cursor {listing.repeated!r} twice: a client following "
                "nextCursor would never reach the end (cursors should be stable)",
            )
        with t.should(f"{name}-no-duplicates", f"{PAGINATION}#response-format") as c:
            twice = listing.duplicates()
            c.expect(
                not twice,
                f"{kind.method} listed the same {kind.key} more than once across {listing.pages} page(s): "
                f"{twice[:5]}",
            )
    # Bogus cursors last: a server that breaks on one must not spoil the listings above.
    for kind in listed:
        name = kind.short
        reply: Reply | None = None
        with t.check(f"{name}-invalid-cursor-answered", f"{JSONRPC_SPEC}#response_object") as c:
            reply = await session.request(kind.method, {"cursor": INVALID_CURSOR})
            c.expect(
                reply.message or reply.http is not None,
                f"{kind.method} with a cursor the server never issued got no answer",
            )
        if reply is None:
            continue
        with t.should(f"{name}-invalid-cursor", f"{PAGINATION}#error-handling") as c:
            if reply.result is not None:
                c.fail(
                    f"{kind.method} accepted a cursor it never issued ({INVALID_CURSOR!r}); an invalid "
                    "cursor should get the error -32602 (Invalid params)",
                    reply.message,
                )
            c.equal(
                reply.error_code,
                -32602,
                f"the error code for an invalid cursor in {kind.method}",
                reply.message,
            )
