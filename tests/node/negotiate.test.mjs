// Negotiation and transport setup: the official client with and without
// negotiation, and the raw HTTP/WebSocket rules of the connection layer.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  EVENT_TIMEOUT_MS,
  TEST_TIMEOUT_MS,
  negotiate,
  openWebSocket,
  rawConnect,
  scope,
  signalR,
  withTimeout,
} from "./harness.mjs";

const opts = { timeout: TEST_TIMEOUT_MS };

test("the official client connects with negotiation (default options) and exchanges messages", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const a = await s.connect(server, { label: "a" });
  const b = await s.connect(server, { label: "b", options: { transport: signalR.HttpTransportType.WebSockets } });

  assert.equal(typeof a.id, "string");
  assert.ok(a.id.length > 0, "negotiation gave the client a connection id");
  assert.notEqual(a.id, b.id);

  assert.equal(await a.invoke("Echo", "negotiated"), "negotiated");
  await a.invoke("SendMessage", "alice", "hi b");
  assert.deepEqual(await b.events.nth("ReceiveMessage", 1), ["alice", "hi b"]);
  await b.invoke("Broadcast", "hi a");
  assert.deepEqual(await a.events.nth("ReceiveMessage", 2), [b.id, "hi a"]);
});

test("the official client connects with skipNegotiation over WebSockets and exchanges messages", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const negotiated = await s.connect(server, { label: "negotiated" });
  const direct = await s.connect(server, {
    label: "skipNegotiation",
    options: { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets },
  });
  assert.equal(direct.connection.state, signalR.HubConnectionState.Connected);

  assert.equal(await direct.invoke("Echo", "no negotiate"), "no negotiate");
  assert.equal(await direct.invoke("echo", "still case-insensitive"), "still case-insensitive");

  // The server gave the direct connection an id, announced to everyone.
  const [directId] = await negotiated.events.first(
    "UserConnected",
    ([id]) => id !== negotiated.id,
    "for the skipNegotiation client",
  );
  assert.equal(typeof directId, "string");
  assert.ok(directId.length > 0);
  assert.deepEqual(await direct.events.first("UserConnected", ([id]) => id === directId, "for itself"), [directId]);

  // Messages both ways, with that id as the caller's id.
  await direct.invoke("Broadcast", "from direct");
  assert.deepEqual(await negotiated.events.nth("ReceiveMessage", 1), [directId, "from direct"]);
  await negotiated.invoke("Whisper", directId, "to direct");
  assert.deepEqual(await direct.events.nth("ReceiveMessage", 1), [negotiated.id, "to direct"]);
  await negotiated.invoke("SendMessage", "n", "to all");
  assert.deepEqual(await direct.events.nth("ReceiveMessage", 2), ["n", "to all"]);

  // And its departure is announced with the same id.
  await withTimeout(direct.connection.stop(), EVENT_TIMEOUT_MS, "the skipNegotiation client to stop");
  assert.deepEqual(
    await negotiated.events.first("UserDisconnected", ([id]) => id === directId, `for ${directId}`),
    [directId],
  );
});

test("POST negotiate?negotiateVersion=1 returns a connection id, a different token, and WebSockets with Text and Binary", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();

  const { status, headers, body, text } = await negotiate(server, 1);
  assert.equal(status, 200, text);
  assert.match(headers.get("content-type") ?? "", /^application\/json/, "content type");
  assert.ok(body && typeof body === "object", `JSON body: ${text}`);
  assert.equal(body.negotiateVersion, 1, text);
  assert.equal(typeof body.connectionId, "string", text);
  assert.ok(body.connectionId.length > 0, text);
  assert.equal(typeof body.connectionToken, "string", text);
  assert.ok(body.connectionToken.length > 0, text);
  assert.notEqual(body.connectionToken, body.connectionId, "the token is not the public id");
  assert.ok(Array.isArray(body.availableTransports), text);
  const ws = body.availableTransports.find((tr) => tr.transport === "WebSockets");
  assert.ok(ws, `WebSockets is offered: ${text}`);
  assert.ok(Array.isArray(ws.transferFormats), text);
  assert.ok(ws.transferFormats.includes("Text"), text);
  assert.ok(ws.transferFormats.includes("Binary"), text);

  // Every negotiation creates a new connection.
  const again = await negotiate(server, 1);
  assert.equal(again.status, 200);
  assert.notEqual(again.body.connectionId, body.connectionId);
  assert.notEqual(again.body.connectionToken, body.connectionToken);

  // The token connects; the protocol then works.
  const client = await s.raw(server, { id: body.connectionToken, label: "raw v1 client" });
  const completion = await client.invoke("Echo", ["v1"], "1");
  assert.deepEqual(completion, { type: 3, invocationId: "1", result: "v1" });
});

test("with negotiateVersion=1 the public connectionId is not accepted as ?id= (404)", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const { body } = await negotiate(server, 1);
  const err = await openWebSocket(`${server.wsHubUrl}?id=${encodeURIComponent(body.connectionId)}`).then(
    (r) => {
      r.terminate();
      return undefined;
    },
    (e) => e,
  );
  assert.ok(err, "the upgrade must be refused");
  assert.equal(err.status, 404, err.message);
});

test("POST negotiate?negotiateVersion=0 returns no connectionToken and the WebSocket uses id=connectionId", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();

  const { status, body, text } = await negotiate(server, 0);
  assert.equal(status, 200, text);
  assert.ok(body && typeof body === "object", text);
  assert.ok(body.negotiateVersion === undefined || body.negotiateVersion === 0, `negotiateVersion: ${text}`);
  assert.equal(typeof body.connectionId, "string", text);
  assert.ok(body.connectionId.length > 0, text);
  assert.equal("connectionToken" in body, false, `no connectionToken in version 0: ${text}`);
  const ws = body.availableTransports?.find((tr) => tr.transport === "WebSockets");
  assert.ok(ws, `WebSockets is offered: ${text}`);

  const watcher = await s.connect(server, { label: "watcher" });
  const client = await s.raw(server, { id: body.connectionId, label: "raw v0 client" });
  // The server knows this connection under that same id.
  await watcher.events.first("UserConnected", ([id]) => id === body.connectionId, `for ${body.connectionId}`);
  const completion = await client.invoke("Echo", ["v0"], "7");
  assert.deepEqual(completion, { type: 3, invocationId: "7", result: "v0" });

  // Client events reach it too (type 1 invocations without an invocationId).
  await watcher.invoke("Whisper", body.connectionId, "hello v0");
  const whisper = await client.waitFor((r) => r.type === 1 && r.target === "ReceiveMessage", "the whisper");
  assert.deepEqual(whisper.arguments, [watcher.id, "hello v0"]);
  assert.equal(whisper.invocationId, undefined);
});

test("POST negotiate without negotiateVersion is version 0 (no connectionToken)", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const { status, body, text } = await negotiate(server, null);
  assert.equal(status, 200, text);
  assert.equal(typeof body?.connectionId, "string", text);
  assert.equal("connectionToken" in body, false, text);
});

test("a WebSocket to an unknown id is refused with 404", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const err = await openWebSocket(`${server.wsHubUrl}?id=this-id-was-never-negotiated`).then(
    (r) => {
      r.terminate();
      return undefined;
    },
    (e) => e,
  );
  assert.ok(err, "the upgrade must be refused");
  assert.equal(err.status, 404, err.message);

  // The server still works afterwards.
  const a = await s.connect(server, { label: "a" });
  assert.equal(await a.invoke("Echo", "fine"), "fine");
});

test("a second WebSocket for an already connected token is refused with 409 and the first keeps working", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const first = await s.raw(server, { label: "first raw client" });
  assert.equal((await first.invoke("Echo", ["before"], "1")).result, "before");

  const err = await openWebSocket(`${server.wsHubUrl}?id=${encodeURIComponent(first.token)}`).then(
    (r) => {
      r.terminate();
      return undefined;
    },
    (e) => e,
  );
  assert.ok(err, "the second upgrade must be refused");
  assert.equal(err.status, 409, err.message);

  assert.deepEqual(await first.invoke("Echo", ["after"], "2"), { type: 3, invocationId: "2", result: "after" });
  assert.equal(first.closeInfo, undefined, "the first socket is still open");
});

test("the JSON handshake is answered with an empty object and an unknown protocol is rejected", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();

  // rawConnect asserts the `{}` handshake response.
  const ok = await rawConnect(server, { label: "json client" });
  s.defer(() => ok.terminate());
  assert.deepEqual(ok.records[0], {});

  const { body } = await negotiate(server, 1);
  const { ws } = await openWebSocket(`${server.wsHubUrl}?id=${encodeURIComponent(body.connectionToken)}`);
  s.defer(() => ws.terminate());
  const received = [];
  const closed = new Promise((resolve) => ws.on("close", resolve));
  ws.on("message", (d) => received.push(d.toString("utf8")));
  ws.send(`{"protocol":"nope","version":1}\x1e`);
  await withTimeout(closed, EVENT_TIMEOUT_MS, "the server to close a connection with an unknown protocol");
  const records = received.join("").split("\x1e").filter(Boolean).map((r) => JSON.parse(r));
  assert.equal(records.length, 1, `one handshake response: ${received.join("")}`);
  assert.equal(typeof records[0].error, "string", JSON.stringify(records[0]));
  assert.ok(records[0].error.length > 0);
});
