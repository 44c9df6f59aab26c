// Stateful reconnect (examples/chat --stateful-reconnect) with the official client's
// withStatefulReconnect(): a TCP proxy between the client and the server cuts the client's
// connection again and again while numbered messages flow both ways, from the client itself and
// from another connection to everybody and to a group; every message must arrive exactly once,
// in order, and the client keeps its connection (same id, no reconnecting event).

import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";

import { TEST_TIMEOUT_MS, scope, signalR, withTimeout } from "./harness.mjs";

const opts = { timeout: TEST_TIMEOUT_MS };

/** A TCP proxy on 127.0.0.1 to `port` that can cut every connection it carries. */
async function proxy(port) {
  const pairs = new Set();
  let connected = () => {};
  const server = net.createServer((client) => {
    connected();
    const upstream = net.connect(port, "127.0.0.1");
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Resolves with the next connection the proxy accepts. */
    nextConnection: () =>
      new Promise((resolve) => {
        connected = resolve;
      }),
    /** Drops every connection at once, as a network failure would (no WebSocket Close). */
    cut() {
      const count = pairs.size;
      for (const { client, upstream } of pairs) {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
      return count;
    },
    close: () =>
      new Promise((resolve) => {
        for (const { client, upstream } of pairs) {
          client.destroy();
          upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

/** The messages of `sender` among `events` (ReceiveMessage arguments), in arrival order. */
function from(events, sender) {
  return events.filter(([user]) => user === sender).map(([, message]) => message);
}

function numbered(prefix, count) {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
}

test("messages both ways survive repeated cuts exactly once and in order", opts, async (t) => {
  const s = scope(t);
  const server = await s.server({ args: ["--stateful-reconnect"] });
  const cutter = await proxy(server.port);
  t.after(() => cutter.close());

  let reconnecting = 0;
  const flaky = await s.connect(
    { hubUrl: `${cutter.url}/hubs/chat` },
    {
      label: "flaky",
      options: { transport: signalR.HttpTransportType.WebSockets },
      configure: (builder) => builder.withStatefulReconnect(),
      setup: (connection) => connection.onreconnecting(() => reconnecting++),
    },
  );
  const steady = await s.connect(server, { label: "steady" });
  const id = flaky.id;
  await flaky.invoke("JoinGroup", "room");
  await flaky.events.nth("UserJoined", 1);

  const count = 150;
  let cuts = 0;
  const sending = async (client, sender, send) => {
    for (const message of numbered(sender, count)) {
      await send(client, message);
      if (Math.random() < 0.2) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  // The client connects again once after each cut (a cut during that attempt would end the
  // connection, as the client is made): the next cut waits for it and some traffic.
  const cutting = (async () => {
    for (let i = 0; i < 8; i++) {
      const reconnected = cutter.nextConnection();
      await new Promise((resolve) => setTimeout(resolve, 30 + Math.random() * 40));
      cuts += cutter.cut() > 0 ? 1 : 0;
      await withTimeout(reconnected, 5000, "the client to connect again");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  await withTimeout(
    Promise.all([
      sending(flaky, "flaky", (c, m) => c.connection.send("SendMessage", "flaky", m)),
      sending(steady, "steady", (c, m) => c.connection.send("SendMessage", "steady", m)),
      sending(steady, "group", (c, m) => c.connection.send("SendMessageToGroup", "room", "group", m)),
      cutting,
    ]),
    20000,
    "the messages to be sent",
  );
  assert.ok(cuts >= 3, `the proxy cut the connection (${cuts} times)`);

  const all = (client, total) =>
    client.events.waitUntil(
      (events) => (events.filter((e) => e.name === "ReceiveMessage").length >= total ? true : undefined),
      `${total} messages`,
      20000,
    );
  await all(flaky, 3 * count);
  await all(steady, 2 * count);
  const flakyGot = flaky.events.of("ReceiveMessage");
  const steadyGot = steady.events.of("ReceiveMessage");
  assert.deepEqual(from(flakyGot, "flaky"), numbered("flaky", count), "the client's own messages, once each, in order");
  assert.deepEqual(from(flakyGot, "steady"), numbered("steady", count), "the other's messages to all");
  assert.deepEqual(from(flakyGot, "group"), numbered("group", count), "the other's messages to the group");
  assert.deepEqual(from(steadyGot, "flaky"), numbered("flaky", count), "what the flaky client sent reached the other once");
  assert.equal(flakyGot.length, 3 * count, "nothing more");

  // The same connection all along: no reconnect of the hub connection, the same id, still usable.
  assert.equal(reconnecting, 0);
  assert.equal(flaky.id, id);
  assert.equal(await flaky.invoke("Echo", "still here"), "still here");
});

test("without --stateful-reconnect the server does not offer it, and a cut ends the connection", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const cutter = await proxy(server.port);
  t.after(() => cutter.close());
  const negotiated = await fetch(`${server.hubUrl}/negotiate?negotiateVersion=1&useStatefulReconnect=true`, { method: "POST" });
  assert.equal((await negotiated.json()).useStatefulReconnect, undefined);

  const flaky = await s.connect(
    { hubUrl: `${cutter.url}/hubs/chat` },
    {
      label: "flaky",
      options: { transport: signalR.HttpTransportType.WebSockets },
      configure: (builder) => builder.withStatefulReconnect(),
    },
  );
  assert.ok(cutter.cut() >= 1);
  await flaky.closed("the connection to end after the cut");
});
