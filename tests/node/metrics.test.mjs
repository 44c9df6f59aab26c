// The chat example with `--metrics` serves the runtime's metrics in the Prometheus text format
// at GET /metrics: a scraper sees the connections of the official client by transport, the
// messages and invocations of the hub, and how connections ended.

import assert from "node:assert/strict";
import { test } from "node:test";

import { TEST_TIMEOUT_MS, scope, signalR, withTimeout } from "./harness.mjs";

const opts = { timeout: TEST_TIMEOUT_MS };

async function scrape(server) {
  const response = await fetch(`${server.baseUrl}/metrics`);
  assert.equal(response.status, 200);
  return response.text();
}

/** The value of the sample `name{labels}` (labels in any order), or undefined. */
function sample(text, name, labels) {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const [key, value] = line.split(/\s+/);
    const found = key.slice(name.length + 1, -1).split(",");
    if (Object.entries(labels).every(([k, v]) => found.includes(`${k}="${v}"`))) return Number(value);
  }
  return undefined;
}

test("GET /metrics shows connections by transport, messages, invocations and endings", opts, async (t) => {
  const s = scope(t);
  const server = await s.server({ args: ["--metrics"] });
  const ws = await s.connect(server, { label: "ws", options: { transport: signalR.HttpTransportType.WebSockets } });
  const lp = await s.connect(server, { label: "lp", options: { transport: signalR.HttpTransportType.LongPolling } });
  assert.equal(await ws.invoke("Echo", "one"), "one");
  assert.equal(await lp.invoke("Echo", "two"), "two");

  let text = await scrape(server);
  assert.equal(sample(text, "signalr_server_active_connections", { signalr_transport: "web_sockets" }), 1, text);
  assert.equal(sample(text, "signalr_server_active_connections", { signalr_transport: "long_polling" }), 1, text);
  assert.ok(sample(text, "signalr_server_invocations", { signalr_hub: "/hubs/chat" }) >= 2, text);
  assert.ok(sample(text, "signalr_server_messages_received", { signalr_hub: "/hubs/chat" }) >= 2, text);
  assert.ok(sample(text, "signalr_server_messages_sent", { signalr_hub: "/hubs/chat" }) >= 2, text);

  await withTimeout(ws.connection.stop(), 5000, "ws to stop");
  // The server's side of the ending is counted once its connection task ended.
  for (let attempt = 0; ; attempt++) {
    text = await scrape(server);
    const closed = sample(text, "signalr_server_connections_closed", { signalr_hub: "/hubs/chat", reason: "client_closed" });
    if (closed === 1) break;
    assert.ok(attempt < 100, `no client_closed ending counted:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(sample(text, "signalr_server_active_connections", { signalr_transport: "web_sockets" }), 0, text);
  assert.ok(text.includes("signalr_server_connection_duration"), text);
});
