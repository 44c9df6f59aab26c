// Scale-out: three chat servers on one real redis-server (Debian's, started here on a free
// port), official @microsoft/signalr clients spread over them (JSON and MessagePack). Every
// message reaches exactly the right clients exactly once; a Redis restart is survived; a
// server killed takes its clients with it while the others go on; a server stopped tells the
// others its clients left.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";

import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

import { TEST_TIMEOUT_MS, scope, withTimeout, unique } from "./harness.mjs";

/** A free loopback port (closed again before it is used). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A redis-server of the test's own; `stop()` and `start()` again on the same port. */
async function redisServer(t) {
  const port = await freePort();
  let child;
  const redis = {
    url: `redis://127.0.0.1:${port}/`,
    async start() {
      child = spawn("redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no"], {
        stdio: "ignore",
      });
      const failed = new Promise((_, reject) =>
        child.once("error", (err) => reject(new Error(`redis-server is required (Debian package redis-server): ${err.message}`))),
      );
      const deadline = Date.now() + 10000;
      while (!(await Promise.race([canConnect(port), failed]))) {
        if (Date.now() > deadline) throw new Error("redis-server did not start within 10 s");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await withTimeout(exited, 5000, "redis-server to exit");
    },
  };
  await redis.start();
  t.after(() => redis.stop());
  return redis;
}

/** Waits until `check()` is true, retrying `attempt()` between checks: bounded. */
async function eventually(what, attempt, check, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await attempt();
    const waitUntil = Date.now() + 300;
    while (Date.now() < waitUntil) {
      if (check()) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

/**
 * Sends an end marker from each sender (one client on each server that sent something) and
 * returns, for each client, the messages (ReceiveMessage texts) it got before it had every
 * marker, sorted: messages from one server arrive in the order it sent them, those of
 * different servers may interleave.
 */
let round = 0;
async function settle(senders, clients) {
  round += 1;
  const ends = senders.map((sender) => `end ${round} ${sender.label}`);
  for (const [i, sender] of senders.entries()) await sender.invoke("SendMessage", sender.label, ends[i]);
  const received = [];
  for (const client of clients) {
    for (const end of ends) await client.events.first("ReceiveMessage", (args) => args[1] === end, end);
    const texts = client.events.of("ReceiveMessage").map((args) => args[1]);
    client.events.events = client.events.events.filter((e) => e.name !== "ReceiveMessage");
    received.push(texts.filter((text) => !ends.includes(text) && !text.startsWith("end ")).sort());
  }
  return received;
}

test("three chat servers on one Redis: every target reaches exactly its clients once, through a Redis restart, a killed and a stopped server", { timeout: TEST_TIMEOUT_MS * 3 }, async (t) => {
  const s = scope(t);
  const redis = await redisServer(t);
  const nodes = [];
  for (let i = 0; i < 3; i++) nodes.push(await s.server({ args: ["--redis", redis.url] }));

  // a, d on server 0; b on 1; c (MessagePack) on 2. Each later client is seen connecting by
  // the earlier ones: its server listens for it on Redis by then.
  const clients = [];
  const spec = [
    ["a", 0, false],
    ["b", 1, false],
    ["c", 2, true],
    ["d", 0, false],
  ];
  for (const [label, node, msgpack] of spec) {
    const client = await s.connect(nodes[node], {
      label,
      configure: msgpack ? (builder) => builder.withHubProtocol(new MessagePackHubProtocol()) : undefined,
    });
    for (const earlier of clients) {
      await earlier.events.first("UserConnected", (args) => args[0] === client.id, `${label} connecting`);
    }
    clients.push(client);
  }
  const [a, b, c, d] = clients;

  // Groups: a (server 0) and c (server 2) join g; both see both joins.
  const group = unique("g");
  await a.invoke("JoinGroup", group);
  await c.invoke("JoinGroup", group);
  await a.events.first("UserJoined", (args) => args[0] === c.id, "c joining");

  await b.invoke("SendMessage", "b", "all");
  await b.invoke("Broadcast", "others");
  await c.invoke("Whisper", d.id, "whisper");
  await b.invoke("SendMessageToGroup", group, "b", "group");
  assert.deepEqual(await settle([a, b, c], clients), [
    ["all", "group", "others"],
    ["all"],
    ["all", "group", "others"],
    ["all", "others", "whisper"],
  ]);

  // HubContext on a server none of these clients is connected to.
  const idle = await s.server({ args: ["--redis", redis.url] });
  const note = unique("note");
  const posted = await fetch(`${idle.baseUrl}/api/notifications/broadcast`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(note),
  });
  assert.equal(posted.status, 202);
  for (const client of clients) {
    const [notification] = await client.events.first("ReceiveNotification", (args) => args[0].message === note, note);
    assert.equal(notification.message, note);
  }
  for (const client of clients) {
    assert.equal(client.events.of("ReceiveNotification").filter((args) => args[0].message === note).length, 1);
  }

  // Redis restarts: each server keeps serving its own clients, and delivery across servers
  // comes back once the servers have subscribed again.
  await redis.stop();
  await a.invoke("SendMessage", "a", "during");
  await a.events.first("ReceiveMessage", (args) => args[1] === "during", "a's own message while Redis is down");
  await d.events.first("ReceiveMessage", (args) => args[1] === "during", "a message from d's own server while Redis is down");
  await redis.start();
  let probe = 0;
  await eventually(
    "messages across servers after the Redis restart",
    () => a.invoke("SendMessage", "a", `probe ${++probe}`),
    () =>
      [b, c].every((client) =>
        client.events.of("ReceiveMessage").some((args) => args[1] === `probe ${probe}`),
      ),
  );
  await c.invoke("SendMessage", "c", "resumed");
  for (const client of clients) {
    await client.events.first("ReceiveMessage", (args) => args[1] === "resumed", "resumed");
  }

  // Server 2 is killed: c's connection closes; the others go on, each message once.
  nodes[2].process.kill("SIGKILL");
  await c.closed("c's connection to close with its server", 10000);
  await settle([a, b], [a, b, d]);
  await b.invoke("SendMessage", "b", "after kill");
  await a.invoke("Broadcast", "from a");
  assert.deepEqual(await settle([a, b], [a, b, d]), [["after kill"], ["after kill", "from a"], ["after kill", "from a"]]);

  // Server 1 stops: b's disconnect is seen by a and d on server 0.
  const bId = b.id;
  await nodes[1].stop();
  for (const client of [a, d]) {
    await client.events.first("UserDisconnected", (args) => args[0] === bId, "b's disconnect", 10000);
  }
});
