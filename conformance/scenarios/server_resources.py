"""Server scenarios: resources (listing, reading, templates, unknown URIs, subscriptions).

Reading is the heart of the feature, so a resource the server itself listed must be readable
(MUST: the server declared ``resources`` and named the URI; the spec's only error cases are a
resource that is not found and internal failures). Everything else follows the text of each
revision:

* binary contents are base64 (MUST: "Binary data MUST be properly encoded");
* the contents carry the URI that was read (SHOULD: the page shows it, and says no more);
* ``resources/templates/list`` answers (MUST), except that a server answering "method not
  found" only gets a warning: the capability has no flag for templates, and a server with
  none may reasonably not route the method;
* a template is read by expanding every variable to ``123``, the value the official suite uses
  for its fixture; the server may reject a value it did not choose, so that read is SHOULD;
* an unknown URI should get the error -32002 (SHOULD, the error-handling section of every
  revision up to 2025-11-25; later drafts move to -32602, which is why this stays a warning);
* ``resources/subscribe`` and ``resources/unsubscribe`` answer (MUST) when the server declares
  ``subscribe: true``, as the official suite checks. The update notification can only be
  awaited when the server offers a way to change a resource: the suite knows two, tools named
  ``test_notify_resource_updated`` (its own reference server) and ``touch`` (mcpcore's demo
  server) taking the ``uri``; elsewhere that check is skipped. That notification is SHOULD: the
  page describes it without a requirement keyword.
"""

from __future__ import annotations

from typing import Any

from conformance._model import Level, server_scenario
from conformance._peer import HttpChannel, PeerError, Reply, Session
from conformance._runner import ServerTest
from conformance.scenarios.server_pagination import list_all
from conformance.scenarios.server_tools import is_base64
from mcpcore.uritemplate import UriTemplate, UriTemplateError

RESOURCES = "server/resources"
FIXTURE_TEXT = "test://static-text"
FIXTURE_BINARY = "test://static-binary"
FIXTURE_TEMPLATE = "test://template/{id}/data"
TEMPLATE_VALUE = "123"
UNKNOWN_URI = "mcp-conformance://missing/no-such-resource"
# Tools known to report a change of the resource named by their "uri" argument: the suite's own
# reference server's, and mcpcore's demo server's.
TRIGGER_TOOLS = ("test_notify_resource_updated", "touch")


async def resources_session(t: ServerTest, first_check: str, section: str) -> Session | None:
    session = await t.session()
    if not isinstance(session.server_capabilities.get("resources"), dict):
        t.skip(first_check, section, "the server does not declare the resources capability")
        return None
    return session


def contents_of(reply: Reply) -> list[dict[str, Any]]:
    contents = (reply.result or {}).get("contents")
    return [item for item in contents if isinstance(item, dict)] if isinstance(contents, list) else []


def _encoding_problems(uri: str, reply: Reply) -> list[str]:
    return [
        f"{uri}: the blob of {item.get('uri')!r} is not base64"
        for item in contents_of(reply)
        if "blob" in item and not is_base64(item.get("blob"))
    ]


@server_scenario(
    "resources-read", "listed resources can be read, with their URI and properly encoded contents"
)
async def resources_read(t: ServerTest) -> None:
    session = await resources_session(t, "list-result", f"{RESOURCES}#listing-resources")
    if session is None:
        return
    listing = await list_all(session, "resources/list")
    with t.check("list-result", f"{RESOURCES}#listing-resources") as c:
        c.expect(listing.ok, listing.problem(), listing.failed.message if listing.failed else None)
    if not listing.ok:
        return
    uris = [uri for uri in listing.identifiers() if isinstance(uri, str)]
    with t.should("uris-unique", f"{RESOURCES}#resource") as c:
        twice = sorted({uri for uri in uris if uris.count(uri) > 1})
        c.expect(not twice, f"a resource URI identifies one resource; listed more than once: {twice[:5]}")

    targets = [uri for uri in uris if uri not in (FIXTURE_TEXT, FIXTURE_BINARY)][:1]
    targets += [uri for uri in (FIXTURE_TEXT, FIXTURE_BINARY) if uri in uris]
    if not targets:
        for check in ("read-listed", "contents-encoding", "read-uri"):
            t.skip(check, f"{RESOURCES}#reading-resources", "the server lists no resources")
        return
    reads: dict[str, Reply] = {}
    with t.check("read-listed", f"{RESOURCES}#reading-resources") as c:
        for uri in targets:
            reply = await session.request("resources/read", {"uri": uri})
            c.expect(
                isinstance((reply.result or {}).get("contents"), list),
                f"reading {uri!r}, which the server listed, must give its contents",
                reply.message,
            )
            reads[uri] = reply
    with t.check("contents-encoding", f"{RESOURCES}#security-considerations") as c:
        bad = [problem for uri, reply in reads.items() for problem in _encoding_problems(uri, reply)]
        c.expect(not bad, "binary data must be properly encoded (base64): " + "; ".join(bad[:5]))
    with t.should("read-uri", f"{RESOURCES}#reading-resources") as c:
        for uri, reply in reads.items():
            got = [item.get("uri") for item in contents_of(reply)]
            c.expect(
                uri in got,
                f"the contents read from {uri!r} should carry that uri; they carry {got[:5]}",
                reply.message,
            )

    if FIXTURE_TEXT in reads:
        with t.should("static-text", f"{RESOURCES}#text-content") as c:
            items = contents_of(reads[FIXTURE_TEXT])
            c.expect(
                any(isinstance(item.get("text"), str) and item["text"] for item in items),
                f"the fixture {FIXTURE_TEXT} should read as text (the official suite's convention)",
                reads[FIXTURE_TEXT].message,
            )
    if FIXTURE_BINARY in reads:
        with t.should("static-binary", f"{RESOURCES}#binary-content") as c:
            items = contents_of(reads[FIXTURE_BINARY])
            c.expect(
                any(isinstance(item.get("blob"), str) and item["blob"] for item in items),
                f"the fixture {FIXTURE_BINARY} should read as a blob (the official suite's convention)",
                reads[FIXTURE_BINARY].message,
            )


@server_scenario("resources-templates", "resource templates are listed and read through an expanded URI")
async def resources_templates(t: ServerTest) -> None:
    section = f"{RESOURCES}#resource-templates"
    session = await resources_session(t, "templates-list", section)
    if session is None:
        return
    listing = await list_all(session, "resources/templates/list")
    unrouted = listing.failed is not None and listing.failed.error_code == -32601
    with t.check("templates-list", section, level=Level.SHOULD if unrouted else Level.MUST) as c:
        if unrouted:
            c.fail(
                "the server declares resources but does not implement resources/templates/list; a server "
                "without templates should answer with an empty list",
                listing.failed.message if listing.failed else None,
            )
        c.expect(listing.ok, listing.problem(), listing.failed.message if listing.failed else None)
    if not listing.ok:
        return
    templates = [
        item for item in listing.items if isinstance(item, dict) and isinstance(item.get("uriTemplate"), str)
    ]
    if not templates:
        for check in ("templates-valid", "template-read", "contents-encoding"):
            t.skip(check, section, "the server lists no resource templates")
        return
    parsed: list[UriTemplate] = []
    with t.should("templates-valid", section) as c:
        bad: list[str] = []
        for item in templates:
            try:
                parsed.append(UriTemplate(item["uriTemplate"]))
            except UriTemplateError as exc:
                bad.append(f"{item['uriTemplate']!r}: {exc}")
        c.expect(not bad, "uriTemplate should be an RFC 6570 URI template: " + "; ".join(bad[:5]))
    if not parsed:
        return
    chosen = next((p for p in parsed if p.template == FIXTURE_TEMPLATE), parsed[0])
    uri = chosen.expand(dict.fromkeys(chosen.variables, TEMPLATE_VALUE))
    reply: Reply | None = None
    with t.should("template-read", section) as c:
        reply = await session.request("resources/read", {"uri": uri})
        c.expect(
            isinstance((reply.result or {}).get("contents"), list),
            f"reading {uri!r} (the template {chosen.template!r} with every variable set to "
            f"{TEMPLATE_VALUE!r}) should give its contents",
            reply.message,
        )
    if reply is None or reply.result is None:
        t.skip("contents-encoding", f"{RESOURCES}#security-considerations", "the template could not be read")
        return
    with t.check("contents-encoding", f"{RESOURCES}#security-considerations") as c:
        bad = _encoding_problems(uri, reply)
        c.expect(not bad, "binary data must be properly encoded (base64): " + "; ".join(bad[:5]))
    if chosen.template == FIXTURE_TEMPLATE:
        with t.should("template-substitution", section) as c:
            texts = [item.get("text") for item in contents_of(reply) if isinstance(item.get("text"), str)]
            c.expect(
                any(TEMPLATE_VALUE in text for text in texts if isinstance(text, str)),
                f"the fixture {FIXTURE_TEMPLATE} should mention the id it was read with ({TEMPLATE_VALUE})",
                reply.message,
            )


@server_scenario("resources-unknown", "reading a URI the server does not have is an error")
async def resources_unknown(t: ServerTest) -> None:
    section = f"{RESOURCES}#error-handling"
    session = await resources_session(t, "unknown-resource-error", section)
    if session is None:
        return
    reply: Reply | None = None
    with t.should("unknown-resource-error", section) as c:
        reply = await session.request("resources/read", {"uri": UNKNOWN_URI})
        c.expect(
            reply.error is not None,
            f"reading a resource that does not exist ({UNKNOWN_URI!r}) should get a JSON-RPC error",
            reply.message,
        )
    if reply is None:
        return
    with t.should("unknown-resource-code", section) as c:
        if reply.error is None:
            c.skip("no JSON-RPC error to read a code from")
        c.equal(
            reply.error_code,
            -32002,
            f"the error code for a resource that is not found, in {t.revision}",
            reply.message,
        )


@server_scenario(
    "resources-subscribe", "resources/subscribe and unsubscribe work when subscriptions are declared"
)
async def resources_subscribe(t: ServerTest) -> None:
    section = f"{RESOURCES}#subscriptions"
    session = await resources_session(t, "subscribe", section)
    if session is None:
        return
    resources = session.server_capabilities.get("resources")
    if not isinstance(resources, dict) or resources.get("subscribe") is not True:
        t.skip("subscribe", section, "the server does not declare subscribe: true")
        return
    listing = await list_all(session, "resources/list")
    uris = [uri for uri in listing.identifiers() if isinstance(uri, str)]
    if not uris:
        t.skip("subscribe", section, "the server lists no resource to subscribe to")
        return
    uri = uris[0]
    subscribed = False
    with t.check("subscribe", section) as c:
        reply = await session.request("resources/subscribe", {"uri": uri})
        c.expect(reply.result is not None, f"subscribing to {uri!r} must succeed", reply.message)
        subscribed = True

    trigger = await _trigger_tool(session) if subscribed else None
    if not subscribed:
        t.skip("updated-notification", section, "the subscription failed")
    elif trigger is None:
        t.skip("updated-notification", section, "the server offers no known way to change a resource")
    else:
        if isinstance(session.channel, HttpChannel):
            # Notifications outside any request travel on the GET stream; a server without
            # one (405) sends them on the POST stream of the triggering call instead.
            try:
                await session.channel.open_get_stream()
            except PeerError:
                pass
        with t.should("updated-notification", section) as c:
            mark = len(session.received)
            await session.request("tools/call", {"name": trigger, "arguments": {"uri": uri}})
            await session.wait_for(
                lambda m: (
                    isinstance(m, dict)
                    and m.get("method") == "notifications/resources/updated"
                    and isinstance(m.get("params"), dict)
                    and m["params"].get("uri") == uri
                ),
                after=mark,
                what=f"notifications/resources/updated for {uri!r}",
            )

    with t.check("unsubscribe", section) as c:
        reply = await session.request("resources/unsubscribe", {"uri": uri})
        c.expect(reply.result is not None, f"unsubscribing from {uri!r} must succeed", reply.message)


async def _trigger_tool(session: Session) -> str | None:
    if not isinstance(session.server_capabilities.get("tools"), dict):
        return None
    listing = await list_all(session, "tools/list")
    return trigger_among(listing.items)


def trigger_among(tools: Any) -> str | None:
    """The first of ``tools`` (a tools/list page) known to change the resource its ``uri``
    argument names."""
    for tool in tools if isinstance(tools, list) else []:
        if not isinstance(tool, dict) or tool.get("name") not in TRIGGER_TOOLS:
            continue
        schema = tool.get("inputSchema")
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if isinstance(properties, dict) and "uri" in properties:
            return str(tool["name"])
    return None
