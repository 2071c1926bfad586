// Drive an MCP server over Streamable HTTP with the official TypeScript SDK's client; print what it saw.
//
// Run by tests/test_interop_http.py with node:
//   node ts_http_client.mjs --sdk DIR --url URL --mode stateful|stateless [--revision REV] [--timeout S]
// DIR is the installed @modelcontextprotocol/sdk package (tests/interop_npm.py installs it
// into .cache/npm, which is not on this script's module path, so its ES modules are imported
// by file URL). The script connects with StreamableHTTPClientTransport, walks the features of
// mcpcore's demo server (examples/everything_server.py), and prints one JSON document: what
// came back, what the server asked of the client's handlers, which errors were raised, and
// every HTTP exchange the transport made (through a recording fetch). Judging is the test's job.
//
// The SDK always offers its newest revision in initialize and has no option for another; with
// --revision the script rewrites the protocolVersion of the initialize request on its way into
// the transport, which is all a pinned client does differently. The SDK then sets the
// negotiated version header itself, from the server's answer.
//
// Every wait is bounded: the whole run by --timeout, each request by the SDK's own timeout,
// and each wait for a notification by a bounded poll.

import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    sdk: { type: "string" },
    url: { type: "string" },
    mode: { type: "string" },
    revision: { type: "string", default: "latest" },
    timeout: { type: "string", default: "60" },
  },
});
if (!args.sdk || !args.url || !["stateful", "stateless"].includes(args.mode)) {
  console.error("usage: ts_http_client.mjs --sdk DIR --url URL --mode stateful|stateless [--revision REV]");
  process.exit(2);
}

const esm = (path) => import(pathToFileURL(join(args.sdk, "dist", "esm", path)).href);
const { Client } = await esm("client/index.js");
const { StreamableHTTPClientTransport } = await esm("client/streamableHttp.js");
const types = await esm("types.js");

const ROOT_URI = "file:///tmp/interop-root";
const SAMPLED_TEXT = "Forty-two.";
const SAMPLED_MODEL = "ts-sdk-test-model";
const ELICITED = { name: "Ada", age: 36, newsletter: true };
const REQUEST_TIMEOUT_MS = 20_000;
const POLLS = 100; // a notification that trails a result gets 100 x 50 ms to arrive
const POLL_MS = 50;

const watchdog = setTimeout(() => {
  console.error(`ts_http_client: the run took more than ${args.timeout} s`);
  process.exit(3);
}, Number(args.timeout) * 1000);

// -- what the client sees -------------------------------------------------------------------------

const seen = { logs: [], sampling: [], elicitation: [], roots: 0, updated: [], errors: [] };
const exchanges = [];

function rpcKind(body) {
  // What a POST carried: a request's method (with the tool's name for tools/call),
  // "notification:<method>", or "response".
  let message;
  try {
    message = JSON.parse(body);
  } catch {
    return "unreadable";
  }
  if (Array.isArray(message)) return "batch";
  if (!("method" in message)) return "response";
  if (!("id" in message)) return `notification:${message.method}`;
  if (message.method === "tools/call") return `tools/call ${message.params.name}`;
  return message.method;
}

async function recordingFetch(url, init = {}) {
  const response = await fetch(url, init);
  const headers = new Headers(init.headers);
  const item = {
    method: init.method ?? "GET",
    status: response.status,
    content_type: (response.headers.get("content-type") ?? "").split(";")[0].trim(),
    session: headers.has("mcp-session-id"),
    version: headers.get("mcp-protocol-version"),
  };
  if (item.method === "POST") item.rpc = rpcKind(init.body);
  exchanges.push(item);
  return response;
}

async function attempt(promise) {
  try {
    return { result: await promise };
  } catch (error) {
    if (error instanceof types.McpError) return { error: { code: error.code, message: error.message } };
    return { exception: error?.constructor?.name ?? "Error", message: String(error?.message ?? error) };
  }
}

async function waitFor(condition) {
  for (let i = 0; i < POLLS && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return condition();
}

// -- the client ---------------------------------------------------------------------------------------

const client = new Client(
  { name: "ts-sdk-interop-driver", version: "1.0.0" },
  {
    capabilities: {
      sampling: {},
      elicitation: { form: {} },
      roots: { listChanged: true },
    },
  },
);
client.setRequestHandler(types.CreateMessageRequestSchema, async (request) => {
  seen.sampling.push(request.params);
  return {
    role: "assistant",
    content: { type: "text", text: SAMPLED_TEXT },
    model: SAMPLED_MODEL,
    stopReason: "endTurn",
  };
});
client.setRequestHandler(types.ElicitRequestSchema, async (request) => {
  seen.elicitation.push(request.params);
  return { action: "accept", content: { ...ELICITED } };
});
client.setRequestHandler(types.ListRootsRequestSchema, async () => {
  seen.roots += 1;
  return { roots: [{ uri: ROOT_URI, name: "interop" }] };
});
client.setNotificationHandler(types.LoggingMessageNotificationSchema, (notification) => {
  seen.logs.push(notification.params);
});
client.setNotificationHandler(types.ResourceUpdatedNotificationSchema, (notification) => {
  seen.updated.push(notification.params.uri);
});

const transport = new StreamableHTTPClientTransport(new URL(args.url), {
  fetch: recordingFetch,
  // One quick retry at most: a stream that breaks here is a failure to report, not to hide.
  reconnectionOptions: {
    initialReconnectionDelay: 100,
    maxReconnectionDelay: 1000,
    reconnectionDelayGrowFactor: 1.5,
    maxRetries: 1,
  },
});
transport.onerror = (error) => seen.errors.push(String(error?.message ?? error));
if (args.revision !== "latest") {
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    if (message.method === "initialize") {
      message = { ...message, params: { ...message.params, protocolVersion: args.revision } };
    }
    return send(message, options);
  };
}

const options = { timeout: REQUEST_TIMEOUT_MS };
const out = {};
await client.connect(transport, options);
out.protocol_version = transport.protocolVersion;
out.server_info = client.getServerVersion();
out.server_capabilities = client.getServerCapabilities();
out.instructions = client.getInstructions();
out.session = transport.sessionId !== undefined;
out.ping = await attempt(client.ping(options));

// -- tools, resources, prompts, completion ----------------------------------------------------------

const tools = await client.listTools(undefined, options);
out.tools = Object.fromEntries(tools.tools.map((tool) => [tool.name, tool]));
const call = (name, toolArgs, more = {}) =>
  attempt(client.callTool({ name, arguments: toolArgs }, undefined, { ...options, ...more }));
out.calls = {
  echo: await call("echo", { text: "hello from the TypeScript SDK" }),
  red_pixel: await call("red_pixel", {}),
  weather: await call("weather", { city: "Lisbon" }),
  fail: await call("fail", { reason: "on purpose" }),
  no_such_tool: await call("no_such_tool", {}),
};

out.resources = (await client.listResources(undefined, options)).resources;
out.templates = (await client.listResourceTemplates(undefined, options)).resourceTemplates;
out.reads = {};
for (const uri of ["demo://readme", "demo://red-pixel.png", "greeting://Ada", "demo://missing"]) {
  out.reads[uri] = await attempt(client.readResource({ uri }, options));
}
out.prompts = (await client.listPrompts(undefined, options)).prompts;
out.get_prompt = await attempt(
  client.getPrompt({ name: "review_code", arguments: { code: "fn main() {}", language: "rust" } }, options),
);
out.complete = {
  language: await attempt(
    client.complete(
      { ref: { type: "ref/prompt", name: "review_code" }, argument: { name: "language", value: "py" } },
      options,
    ),
  ),
  name: await attempt(
    client.complete(
      { ref: { type: "ref/resource", uri: "greeting://{name}" }, argument: { name: "name", value: "a" } },
      options,
    ),
  ),
};

// -- logging and progress -----------------------------------------------------------------------------

out.set_level = await attempt(client.setLoggingLevel("info", options));
const progress = [];
const longTask = await call("long_task", { steps: 2 }, {
  onprogress: (p) => progress.push([p.progress, p.total ?? null, p.message ?? null]),
});
if (args.mode === "stateful") {
  // Notifications are handled apart from results: the last may trail the answer a little.
  await waitFor(() => seen.logs.some((log) => log.level === "warning") && progress.length >= 2);
}
out.long_task = { call: longTask, logs: [...seen.logs], progress };

// -- requests back to the client, cancellation, subscriptions (stateful only) ------------------------

out.ask_model = await call("ask_model", { question: "What is 6 x 7?" });
out.sign_up = await call("sign_up", {});
out.show_roots = await call("show_roots", {});

if (args.mode === "stateful") {
  await call("show_roots", {});
  out.roots_requests_before_change = seen.roots;
  await client.sendRootsListChanged();
  out.show_roots_after_change = await call("show_roots", {});

  // Cancel a slow call once it said it started: the SDK sends notifications/cancelled.
  const controller = new AbortController();
  let started = false;
  const slow = call("slow", {}, {
    signal: controller.signal,
    onprogress: () => {
      started = true;
      controller.abort("the interop test gives up");
    },
  });
  out.cancel = { call: await slow, started };
  let cancelled = [];
  for (let i = 0; i < POLLS; i++) {
    const result = await client.callTool({ name: "cancellations", arguments: {} }, undefined, options);
    cancelled = result.structuredContent?.cancelled ?? JSON.parse(result.content[0].text).cancelled;
    if (cancelled.length >= 1) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  out.cancel.cancelled = cancelled;
  out.cancel.after = await call("echo", { text: "still here" });

  out.subscribe = await attempt(client.subscribeResource({ uri: "demo://readme" }, options));
  out.touch = await call("touch", { uri: "demo://readme" });
  await waitFor(() => seen.updated.length >= 1);
  out.unsubscribe = await attempt(client.unsubscribeResource({ uri: "demo://readme" }, options));
}

out.seen = {
  sampling: seen.sampling,
  elicitation: seen.elicitation,
  roots: seen.roots,
  updated: seen.updated,
};
await transport.terminateSession();
await client.close();
out.errors = seen.errors;
out.http = exchanges;
clearTimeout(watchdog);
process.stdout.write(JSON.stringify(out) + "\n");
