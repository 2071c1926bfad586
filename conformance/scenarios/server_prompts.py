"""Server scenarios: prompts (listing, getting, message content, errors) and completion.

Completion lives here because its main subject is prompt arguments; it completes a resource
template's variables too, reading the templates the resources scenarios list.

Levels:

* ``prompts/list`` answers (MUST) when the server declares ``prompts``; a listed prompt without
  required arguments can be got (MUST: the server named it, and nothing is missing);
* a prompt with arguments is got with every argument set to ``conformance``; the prompt may
  reject values it did not choose, so that is SHOULD;
* message content: image and audio data are base64 with a valid MIME type, an embedded
  resource has a URI, a MIME type and text or base64 blob (MUST: the prompts page says so in
  those words), and each block is a kind the revision has (MUST);
* an unknown prompt and a missing required argument should get -32602 (SHOULD: the
  error-handling section);
* completion is tested when the server declares ``completions`` (from 2025-03-26; in 2024-11-05
  there was no capability, so the suite asks and skips on "method not found"). A completion
  for a listed prompt's argument or template's variable answers (MUST: the capability was
  declared and both were named by the server), with at most 100 values (MUST: "Maximum 100
  items per response"); ``total`` and ``hasMore`` should agree with the values (SHOULD); an
  unknown prompt or template should be an error (SHOULD, from 2025-03-26, whose error-handling
  section lists invalid prompt names; templates are not named there, so by analogy).
"""

from __future__ import annotations

from typing import Any

from conformance._model import server_scenario
from conformance._peer import Reply, Session
from conformance._runner import ServerTest
from conformance.scenarios.server_pagination import list_all
from conformance.scenarios.server_tools import block_problems
from mcpcore.uritemplate import UriTemplate, UriTemplateError

PROMPTS = "server/prompts"
COMPLETION = "server/utilities/completion"
ARGUMENT_VALUE = "conformance"
UNKNOWN_PROMPT = "mcp_conformance_no_such_prompt"
UNKNOWN_TEMPLATE = "mcp-conformance://missing/{thing}"
GENERIC_GETS = 3  # listed prompts without required arguments that are got, besides fixtures

# The official suite's conventional prompts: the check, the arguments, the block kind expected.
FIXTURES: dict[str, tuple[str, dict[str, str], str]] = {
    "test_simple_prompt": ("simple-prompt", {}, "text"),
    "test_prompt_with_arguments": ("prompt-arguments", {"arg1": "testValue1", "arg2": "testValue2"}, "text"),
    "test_prompt_with_embedded_resource": (
        "prompt-embedded-resource",
        {"resourceUri": "test://example-resource"},
        "resource",
    ),
    "test_prompt_with_image": ("prompt-image", {}, "image"),
}


def arguments_of(prompt: dict[str, Any]) -> list[dict[str, Any]]:
    arguments = prompt.get("arguments")
    return (
        [a for a in arguments if isinstance(a, dict) and isinstance(a.get("name"), str)] if arguments else []
    )


def required_of(prompt: dict[str, Any]) -> list[str]:
    return [a["name"] for a in arguments_of(prompt) if a.get("required") is True]


def messages_of(reply: Reply) -> list[dict[str, Any]]:
    messages = (reply.result or {}).get("messages")
    return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []


async def get(session: Session, name: str, arguments: dict[str, str] | None) -> Reply:
    params: dict[str, Any] = {"name": name}
    if arguments is not None:
        params["arguments"] = arguments
    return await session.request("prompts/get", params)


async def prompts_session(t: ServerTest, first_check: str, section: str) -> Session | None:
    session = await t.session()
    if not isinstance(session.server_capabilities.get("prompts"), dict):
        t.skip(first_check, section, "the server does not declare the prompts capability")
        return None
    return session


@server_scenario("prompts-get", "listed prompts can be got, with messages of valid content")
async def prompts_get(t: ServerTest) -> None:
    session = await prompts_session(t, "list-result", f"{PROMPTS}#listing-prompts")
    if session is None:
        return
    listing = await list_all(session, "prompts/list")
    with t.check("list-result", f"{PROMPTS}#listing-prompts") as c:
        c.expect(listing.ok, listing.problem(), listing.failed.message if listing.failed else None)
    if not listing.ok:
        return
    prompts = {p["name"]: p for p in listing.items if isinstance(p, dict) and isinstance(p.get("name"), str)}
    names = [key for key in listing.identifiers() if isinstance(key, str)]
    with t.should("names-unique", f"{PROMPTS}#prompt") as c:
        twice = sorted({name for name in names if names.count(name) > 1})
        c.expect(not twice, f"a prompt name identifies one prompt; listed more than once: {twice[:5]}")

    got: list[tuple[str, Reply]] = []
    for name, (check, arguments, kind) in FIXTURES.items():
        if name not in prompts:
            continue
        with t.should(check, f"{PROMPTS}#getting-a-prompt") as c:
            reply = await get(session, name, arguments or None)
            messages = messages_of(reply)
            c.expect(messages, f"getting the fixture {name} should give messages", reply.message)
            got.append((name, reply))
            kinds = {m.get("content", {}).get("type") for m in messages if isinstance(m.get("content"), dict)}
            c.expect(
                kind in kinds,
                f"the fixture {name} should give a {kind!r} message (the official suite's convention)",
                reply.message,
            )
            text = str(messages)
            missing = [value for value in arguments.values() if value not in text]
            c.expect(
                not missing, f"the fixture {name} should use its arguments; missing {missing}", reply.message
            )

    plain = [p for name, p in prompts.items() if name not in FIXTURES and not required_of(p)][:GENERIC_GETS]
    if plain:
        with t.check("get-listed", f"{PROMPTS}#getting-a-prompt") as c:
            for prompt in plain:
                reply = await get(session, prompt["name"], None)
                c.expect(
                    isinstance((reply.result or {}).get("messages"), list),
                    f"getting {prompt['name']!r}, which the server listed and which requires no "
                    "argument, must give its messages",
                    reply.message,
                )
                got.append((prompt["name"], reply))
    else:
        t.skip(
            "get-listed",
            f"{PROMPTS}#getting-a-prompt",
            "no listed prompt (besides fixtures) without arguments",
        )
    with_arguments = [p for name, p in prompts.items() if name not in FIXTURES and arguments_of(p)]
    if with_arguments:
        prompt = with_arguments[0]
        values = {a["name"]: ARGUMENT_VALUE for a in arguments_of(prompt)}
        with t.should("get-with-arguments", f"{PROMPTS}#getting-a-prompt") as c:
            reply = await get(session, prompt["name"], values)
            c.expect(
                isinstance((reply.result or {}).get("messages"), list),
                f"getting {prompt['name']!r} with every argument set to {ARGUMENT_VALUE!r} should give its "
                "messages (a prompt may refuse values it does not know, hence only a warning)",
                reply.message,
            )
            got.append((prompt["name"], reply))

    blocks = [(name, m.get("content")) for name, reply in got for m in messages_of(reply)]
    if not blocks:
        t.skip("messages-content", f"{PROMPTS}#promptmessage", "no prompt was got with messages")
        return
    with t.check("messages-content", f"{PROMPTS}#promptmessage") as c:
        bad = [f"{name}: {text}" for name, block in blocks for _, text in block_problems(block, t.revision)]
        c.expect(
            not bad,
            "image and audio data must be base64 with a valid MIME type; embedded resources must have a "
            "URI, a MIME type and text or a base64 blob; and only content kinds of the revision may appear: "
            + "; ".join(bad[:5]),
        )


@server_scenario("prompts-errors", "unknown prompts and missing required arguments are refused with -32602")
async def prompts_errors(t: ServerTest) -> None:
    section = f"{PROMPTS}#error-handling"
    session = await prompts_session(t, "unknown-prompt-error", section)
    if session is None:
        return
    listing = await list_all(session, "prompts/list")
    prompts = [p for p in listing.items if isinstance(p, dict) and isinstance(p.get("name"), str)]
    unknown = UNKNOWN_PROMPT
    while any(p["name"] == unknown for p in prompts):
        unknown += "_"
    await _expect_invalid_params(
        t, session, "unknown-prompt", {"name": unknown}, f"an unknown prompt ({unknown!r})"
    )
    needy = next((p for p in prompts if required_of(p)), None)
    if needy is None:
        for check in ("missing-argument-error", "missing-argument-code"):
            t.skip(check, section, "no listed prompt has a required argument")
        return
    await _expect_invalid_params(
        t,
        session,
        "missing-argument",
        {"name": needy["name"], "arguments": {}},
        f"{needy['name']!r} without its required argument(s) {required_of(needy)}",
    )


async def _expect_invalid_params(
    t: ServerTest, session: Session, check: str, params: dict[str, Any], what: str
) -> None:
    section = f"{PROMPTS}#error-handling"
    reply: Reply | None = None
    with t.should(f"{check}-error", section) as c:
        reply = await session.request("prompts/get", params)
        c.expect(reply.error is not None, f"getting {what} should get a JSON-RPC error", reply.message)
    if reply is None:
        return
    with t.should(f"{check}-code", section) as c:
        if reply.error is None:
            c.skip("no JSON-RPC error to read a code from")
        c.equal(reply.error_code, -32602, f"the error code for {what}", reply.message)


# -- completion ----------------------------------------------------------------------------------


def _completion(reply: Reply) -> dict[str, Any] | None:
    completion = (reply.result or {}).get("completion")
    return completion if isinstance(completion, dict) and isinstance(completion.get("values"), list) else None


@server_scenario(
    "completion", "completion/complete suggests at most 100 values for prompt and template arguments"
)
async def completion(t: ServerTest) -> None:
    capability = t.revision >= "2025-03-26"
    first = f"{COMPLETION}#requesting-completions"
    session = await t.session()
    caps = session.server_capabilities
    if capability and not isinstance(caps.get("completions"), dict):
        t.skip("prompt-argument", first, "the server does not declare the completions capability")
        return

    prompts: list[dict[str, Any]] = []
    if isinstance(caps.get("prompts"), dict):
        prompts = [p for p in (await list_all(session, "prompts/list")).items if isinstance(p, dict)]
    templates: list[dict[str, Any]] = []
    if isinstance(caps.get("resources"), dict):
        listing = await list_all(session, "resources/templates/list")
        templates = [
            x for x in listing.items if isinstance(x, dict) and isinstance(x.get("uriTemplate"), str)
        ]

    answers: list[tuple[str, Reply]] = []
    target = next(
        (p for p in prompts if p.get("name") == "test_prompt_with_arguments" and arguments_of(p)), None
    )
    target = target or next((p for p in prompts if isinstance(p.get("name"), str) and arguments_of(p)), None)
    if target is None:
        t.skip("prompt-argument", first, "no listed prompt has arguments to complete")
    else:
        argument = arguments_of(target)[0]["name"]
        params = {
            "ref": {"type": "ref/prompt", "name": target["name"]},
            "argument": {"name": argument, "value": ""},
        }
        reply = await session.request("completion/complete", params)
        if not capability and reply.error_code == -32601:
            t.skip(
                "prompt-argument",
                first,
                f"the server does not implement completion/complete ({t.revision} has "
                "no capability to declare it)",
            )
            return
        with t.check("prompt-argument", first) as c:
            c.expect(
                _completion(reply) is not None,
                f"completing argument {argument!r} of the listed prompt {target['name']!r} must give a "
                "completion with values",
                reply.message,
            )
        answers.append((f"prompt {target['name']}", reply))

    variable: tuple[str, str] | None = None
    for item in templates:
        try:
            names = UriTemplate(item["uriTemplate"]).variables
        except UriTemplateError:
            continue
        if names:
            variable = (item["uriTemplate"], names[0])
            break
    if variable is None:
        t.skip("template-argument", first, "no listed resource template has a variable to complete")
    else:
        uri, name = variable
        params = {"ref": {"type": "ref/resource", "uri": uri}, "argument": {"name": name, "value": ""}}
        with t.check("template-argument", first) as c:
            reply = await session.request("completion/complete", params)
            if not capability and reply.error_code == -32601:
                c.skip(f"the server does not implement completion/complete ({t.revision} has no capability)")
            c.expect(
                _completion(reply) is not None,
                f"completing variable {name!r} of the listed template {uri!r} must give completion values",
                reply.message,
            )
            answers.append((f"template {uri}", reply))

    completions = [(what, comp) for what, reply in answers if (comp := _completion(reply)) is not None]
    if completions:
        with t.check("values-limit", f"{COMPLETION}#completion-results") as c:
            for what, comp in completions:
                c.expect(len(comp["values"]) <= 100, f"{what}: {len(comp['values'])} values, more than 100")
        with t.should("counts-consistent", f"{COMPLETION}#completion-results") as c:
            for what, comp in completions:
                count, total, more = len(comp["values"]), comp.get("total"), comp.get("hasMore")
                if isinstance(total, int) and not isinstance(total, bool):
                    c.expect(
                        total >= count, f"{what}: total {total} is less than the {count} values sent", comp
                    )
                    c.expect(
                        not (total > count and more is False),
                        f"{what}: total {total} exceeds the {count} values sent, yet hasMore is false",
                        comp,
                    )

    if not capability:
        return  # 2024-11-05 says nothing of errors for completion
    section = f"{COMPLETION}#error-handling"
    with t.should("unknown-prompt-ref", section) as c:
        unknown = {
            "ref": {"type": "ref/prompt", "name": UNKNOWN_PROMPT},
            "argument": {"name": "x", "value": ""},
        }
        reply = await session.request("completion/complete", unknown)
        c.expect(
            reply.error is not None,
            "completing an argument of an unknown prompt should be an error",
            reply.message,
        )
        c.equal(reply.error_code, -32602, "the error code for an unknown prompt", reply.message)
    with t.should("unknown-template-ref", section) as c:
        unknown = {
            "ref": {"type": "ref/resource", "uri": UNKNOWN_TEMPLATE},
            "argument": {"name": "thing", "value": ""},
        }
        reply = await session.request("completion/complete", unknown)
        c.expect(
            reply.error is not None,
            "completing a variable of an unknown template should be an error, as for an unknown prompt",
            reply.message,
        )
