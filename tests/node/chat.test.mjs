// ChatHub contract, exercised with the official @microsoft/signalr client.
//
// Absence of a message is never proven by waiting: a later message that
// everyone gets is sent, and the client that must not have received the
// first one is checked to see the later one as its first (only) message.

import assert from "node:assert/strict";
import { test } from "node:test";

import { EVENT_TIMEOUT_MS, TEST_TIMEOUT_MS, connectMany, scope, signalR, unique, withTimeout } from "./harness.mjs";

const opts = { timeout: TEST_TIMEOUT_MS };

/** RFC 3339 date-time (with a 'T' or ' ' separator, fraction optional, offset required). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

test("SendMessage reaches every client, the caller included, with user and message", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b, c] = await connectMany(s, server, 3);

  await a.invoke("SendMessage", "alice", "hello everyone");

  for (const client of [a, b, c]) {
    const args = await client.events.nth("ReceiveMessage", 1);
    assert.deepEqual(args, ["alice", "hello everyone"], `${client.label} got the message`);
  }
});

test("SendMessage with connection.send (no completion) still reaches everyone, in order", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b] = await connectMany(s, server, 2);

  await withTimeout(a.connection.send("SendMessage", "alice", "one"), EVENT_TIMEOUT_MS, "send #1");
  await withTimeout(a.connection.send("SendMessage", "alice", "two"), EVENT_TIMEOUT_MS, "send #2");
  await withTimeout(b.connection.send("SendMessage", "bob", "three"), EVENT_TIMEOUT_MS, "send #3");

  // a's two messages arrive in the order they were sent, for both clients.
  for (const client of [a, b]) {
    await client.events.nth("ReceiveMessage", 3);
    const received = client.events.of("ReceiveMessage");
    const fromAlice = received.filter(([user]) => user === "alice");
    assert.deepEqual(fromAlice, [["alice", "one"], ["alice", "two"]], `${client.label}: order of alice's messages`);
    assert.deepEqual(
      received.filter(([user]) => user === "bob"),
      [["bob", "three"]],
      `${client.label}: bob's message`,
    );
  }
});

test("message arguments survive the JSON round trip unchanged (unicode, quotes, control characters)", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b] = await connectMany(s, server, 2);
  const user = 'Zoë "the\\user" \u00e9\u4e2d';
  const message = "line1\nline2\t\u2603 \ud83d\udc4b </script> \u0001 \u001e end";

  await a.invoke("SendMessage", user, message);

  assert.deepEqual(await b.events.nth("ReceiveMessage", 1), [user, message]);
  assert.equal(await a.invoke("Echo", message), message);
});

test("Echo returns its argument as the invocation result", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b] = await connectMany(s, server, 2);

  assert.equal(await a.invoke("Echo", "ping"), "ping");
  assert.equal(await b.invoke("Echo", ""), "");
  // Concurrent invocations are each answered with their own result.
  const words = Array.from({ length: 20 }, (_, i) => `word-${i}`);
  const results = await Promise.all(words.map((w) => a.invoke("Echo", w)));
  assert.deepEqual(results, words);
  // Echo is a plain invocation: nobody receives a client event for it.
  await a.invoke("SendMessage", "marker", "after echo");
  for (const client of [a, b]) {
    await client.events.nth("ReceiveMessage", 1);
    assert.deepEqual(client.events.of("ReceiveMessage"), [["marker", "after echo"]], client.label);
  }
});

test("hub method names are case-insensitive", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b] = await connectMany(s, server, 2);

  assert.equal(await a.invoke("echo", "lower"), "lower");
  assert.equal(await a.invoke("ECHO", "upper"), "upper");
  assert.equal(await a.invoke("eChO", "mixed"), "mixed");

  await a.invoke("sendmessage", "alice", "via lowercase name");
  assert.deepEqual(await b.events.nth("ReceiveMessage", 1), ["alice", "via lowercase name"]);
});

test("Broadcast reaches every other client with the caller's connection id, but not the caller", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b, c] = await connectMany(s, server, 3);

  await a.invoke("Broadcast", "to the others");

  assert.deepEqual(await b.events.nth("ReceiveMessage", 1), [a.id, "to the others"]);
  assert.deepEqual(await c.events.nth("ReceiveMessage", 1), [a.id, "to the others"]);

  // Prove the caller got nothing: a later message for everyone must be its first.
  await b.invoke("SendMessage", "bob", "marker");
  assert.deepEqual(await a.events.nth("ReceiveMessage", 1), ["bob", "marker"], "the caller's first message is the marker");
  assert.deepEqual(a.events.of("ReceiveMessage"), [["bob", "marker"]]);
  // And the others received exactly the broadcast, then the marker.
  for (const client of [b, c]) {
    await client.events.nth("ReceiveMessage", 2);
    assert.deepEqual(client.events.of("ReceiveMessage"), [
      [a.id, "to the others"],
      ["bob", "marker"],
    ]);
  }
});

test("Whisper reaches only the target, with the caller's connection id", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b, c] = await connectMany(s, server, 3);

  await a.invoke("Whisper", b.id, "psst");

  assert.deepEqual(await b.events.nth("ReceiveMessage", 1), [a.id, "psst"]);

  await c.invoke("SendMessage", "carol", "marker");
  for (const client of [a, c]) {
    assert.deepEqual(await client.events.nth("ReceiveMessage", 1), ["carol", "marker"], `${client.label} did not get the whisper`);
    assert.deepEqual(client.events.of("ReceiveMessage"), [["carol", "marker"]], client.label);
  }
  await b.events.nth("ReceiveMessage", 2);
  assert.deepEqual(b.events.of("ReceiveMessage"), [
    [a.id, "psst"],
    ["carol", "marker"],
  ]);
});

test("Whisper works in both directions and to oneself", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b] = await connectMany(s, server, 2);

  await b.invoke("Whisper", a.id, "back to a");
  assert.deepEqual(await a.events.nth("ReceiveMessage", 1), [b.id, "back to a"]);

  await a.invoke("Whisper", a.id, "note to self");
  assert.deepEqual(await a.events.nth("ReceiveMessage", 2), [a.id, "note to self"]);

  await a.invoke("SendMessage", "alice", "marker");
  assert.deepEqual(await b.events.nth("ReceiveMessage", 1), ["alice", "marker"], "b got neither whisper to a");
});

test("connection ids are distinct non-empty strings known to the client", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const clients = await connectMany(s, server, 3);
  const ids = clients.map((c) => c.id);
  for (const id of ids) {
    assert.equal(typeof id, "string");
    assert.ok(id.length > 0);
  }
  assert.equal(new Set(ids).size, ids.length, `ids must be distinct: ${ids.join(", ")}`);
});

test("UserConnected is sent to every client (the new one included) with the new connection's id", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const a = await s.connect(server, { label: "a" });
  // a sees its own arrival.
  assert.deepEqual(await a.events.first("UserConnected", ([id]) => id === a.id, `for a itself (${a.id})`), [a.id]);

  const b = await s.connect(server, { label: "b" });
  assert.deepEqual(await a.events.first("UserConnected", ([id]) => id === b.id, `for b (${b.id})`), [b.id]);
  assert.deepEqual(await b.events.first("UserConnected", ([id]) => id === b.id, `for b itself (${b.id})`), [b.id]);

  const c = await s.connect(server, { label: "c" });
  for (const client of [a, b, c]) {
    assert.deepEqual(await client.events.first("UserConnected", ([id]) => id === c.id, `for c (${c.id})`), [c.id]);
  }
  // a saw a, b, c arrive, in that order; b saw b and c; c saw only itself.
  assert.deepEqual(a.events.of("UserConnected"), [[a.id], [b.id], [c.id]]);
  assert.deepEqual(b.events.of("UserConnected"), [[b.id], [c.id]]);
  assert.deepEqual(c.events.of("UserConnected"), [[c.id]]);
});

test("UserDisconnected is sent to the remaining clients with the leaver's id", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b, c] = await connectMany(s, server, 3);
  const bId = b.id; // the client forgets its id once stopped

  await withTimeout(b.connection.stop(), EVENT_TIMEOUT_MS, "b to stop");
  assert.equal(b.connection.state, signalR.HubConnectionState.Disconnected);

  for (const client of [a, c]) {
    assert.deepEqual(
      await client.events.first("UserDisconnected", ([id]) => id === bId, `for b (${bId})`),
      [bId],
      client.label,
    );
  }
  // Nobody else was reported gone.
  assert.deepEqual(a.events.of("UserDisconnected"), [[bId]]);
  assert.deepEqual(c.events.of("UserDisconnected"), [[bId]]);

  // The remaining clients keep working, and the leaver no longer gets messages.
  await a.invoke("SendMessage", "alice", "still here");
  assert.deepEqual(await c.events.nth("ReceiveMessage", 1), ["alice", "still here"]);
  assert.deepEqual(b.events.of("ReceiveMessage"), []);

  const cId = c.id; // the client forgets its id once stopped
  await withTimeout(c.connection.stop(), EVENT_TIMEOUT_MS, "c to stop");
  assert.deepEqual(await a.events.nth("UserDisconnected", 2), [cId]);
});

test("JoinGroup notifies the group, the caller included, with UserJoined(connectionId, group)", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b, outsider] = await connectMany(s, server, 3);
  const group = unique("room");

  await a.invoke("JoinGroup", group);
  assert.deepEqual(await a.events.nth("UserJoined", 1), [a.id, group], "a sees its own join");

  await b.invoke("JoinGroup", group);
  assert.deepEqual(await b.events.nth("UserJoined", 1), [b.id, group], "b sees its own join");
  assert.deepEqual(await a.events.nth("UserJoined", 2), [b.id, group], "a sees b join");
  assert.deepEqual(b.events.of("UserJoined"), [[b.id, group]], "b joined after a: it does not see a's join");

  // The outsider saw none of it.
  await a.invoke("SendMessage", "alice", "marker");
  assert.deepEqual(await outsider.events.nth("ReceiveMessage", 1), ["alice", "marker"]);
  assert.deepEqual(outsider.events.of("UserJoined"), [], "the outsider got no UserJoined");
});

test("SendMessageToGroup reaches the group's members only", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b, outsider] = await connectMany(s, server, 3);
  const group = unique("room");

  await a.invoke("JoinGroup", group);
  await b.invoke("JoinGroup", group);

  await a.invoke("SendMessageToGroup", group, "alice", "group only");
  assert.deepEqual(await a.events.nth("ReceiveMessage", 1), ["alice", "group only"]);
  assert.deepEqual(await b.events.nth("ReceiveMessage", 1), ["alice", "group only"]);

  // A non-member may also send to the group; it does not receive it itself.
  await outsider.invoke("SendMessageToGroup", group, "olga", "from outside");
  assert.deepEqual(await a.events.nth("ReceiveMessage", 2), ["olga", "from outside"]);
  assert.deepEqual(await b.events.nth("ReceiveMessage", 2), ["olga", "from outside"]);

  await a.invoke("SendMessage", "alice", "everyone");
  assert.deepEqual(await outsider.events.nth("ReceiveMessage", 1), ["alice", "everyone"], "the outsider's first message is the one for everyone");
  assert.deepEqual(outsider.events.of("ReceiveMessage"), [["alice", "everyone"]]);
  for (const member of [a, b]) {
    await member.events.nth("ReceiveMessage", 3);
    assert.deepEqual(member.events.of("ReceiveMessage"), [
      ["alice", "group only"],
      ["olga", "from outside"],
      ["alice", "everyone"],
    ], member.label);
  }
});

test("groups are isolated from each other", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [red1, red2, blue1, blue2] = await connectMany(s, server, 4);
  const red = unique("red");
  const blue = unique("blue");

  await red1.invoke("JoinGroup", red);
  await red2.invoke("JoinGroup", red);
  await blue1.invoke("JoinGroup", blue);
  await blue2.invoke("JoinGroup", blue);

  await red1.invoke("SendMessageToGroup", red, "r", "for red");
  await blue1.invoke("SendMessageToGroup", blue, "b", "for blue");
  await red2.invoke("SendMessage", "all", "for all");

  for (const c of [red1, red2]) {
    await c.events.nth("ReceiveMessage", 2);
    assert.deepEqual(c.events.of("ReceiveMessage"), [["r", "for red"], ["all", "for all"]], c.label);
    assert.ok(c.events.of("UserJoined").every(([, g]) => g === red), `${c.label} only saw red joins: ${c.events.describe()}`);
  }
  for (const c of [blue1, blue2]) {
    await c.events.nth("ReceiveMessage", 2);
    assert.deepEqual(c.events.of("ReceiveMessage"), [["b", "for blue"], ["all", "for all"]], c.label);
    assert.ok(c.events.of("UserJoined").every(([, g]) => g === blue), `${c.label} only saw blue joins: ${c.events.describe()}`);
  }
});

test("a client can be in several groups; group names are case-sensitive", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b] = await connectMany(s, server, 2);
  const g1 = unique("Room");
  const g2 = unique("room");
  const upper = unique("CASE");

  await a.invoke("JoinGroup", g1);
  await a.invoke("JoinGroup", g2);
  await b.invoke("JoinGroup", upper);

  await b.invoke("SendMessageToGroup", g1, "bob", "to g1");
  await b.invoke("SendMessageToGroup", g2, "bob", "to g2");
  assert.deepEqual(await a.events.nth("ReceiveMessage", 2), ["bob", "to g2"]);
  assert.deepEqual(a.events.of("ReceiveMessage"), [["bob", "to g1"], ["bob", "to g2"]]);

  // `upper` lower-cased is a different group (ASP.NET group names are ordinal): b must not get it.
  await a.invoke("SendMessageToGroup", upper.toLowerCase(), "alice", "wrong case");
  await a.invoke("SendMessage", "alice", "marker");
  assert.deepEqual(await b.events.nth("ReceiveMessage", 1), ["alice", "marker"]);
  assert.deepEqual(b.events.of("ReceiveMessage"), [["alice", "marker"]]);
});

test("LeaveGroup notifies the remaining members with UserLeft and stops group delivery to the leaver", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b, c] = await connectMany(s, server, 3);
  const group = unique("room");

  for (const client of [a, b, c]) await client.invoke("JoinGroup", group);
  // Wait until everyone saw every join, so later checks see only new events.
  await a.events.nth("UserJoined", 3);
  await b.events.nth("UserJoined", 2);

  await b.invoke("LeaveGroup", group);
  for (const member of [a, c]) {
    assert.deepEqual(
      await member.events.first("UserLeft", ([id]) => id === b.id, `for b (${b.id})`),
      [b.id, group],
      member.label,
    );
    assert.deepEqual(member.events.of("UserLeft"), [[b.id, group]], member.label);
  }
  // (Whether b itself gets UserLeft is not part of the contract.)

  await a.invoke("SendMessageToGroup", group, "alice", "after leave");
  assert.deepEqual(await a.events.nth("ReceiveMessage", 1), ["alice", "after leave"]);
  assert.deepEqual(await c.events.nth("ReceiveMessage", 1), ["alice", "after leave"]);

  await c.invoke("SendMessage", "carol", "marker");
  assert.deepEqual(await b.events.nth("ReceiveMessage", 1), ["carol", "marker"], "the leaver no longer gets group messages");
  assert.deepEqual(b.events.of("ReceiveMessage"), [["carol", "marker"]]);

  // Rejoining works again.
  await b.invoke("JoinGroup", group);
  await a.invoke("SendMessageToGroup", group, "alice", "welcome back");
  assert.deepEqual(await b.events.nth("ReceiveMessage", 2), ["alice", "welcome back"]);
});

test("a disconnected member no longer receives group messages and others keep receiving them", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b] = await connectMany(s, server, 2);
  const group = unique("room");

  await a.invoke("JoinGroup", group);
  await b.invoke("JoinGroup", group);
  const bId = b.id;
  await withTimeout(b.connection.stop(), EVENT_TIMEOUT_MS, "b to stop");
  await a.events.first("UserDisconnected", ([id]) => id === bId, `for b (${bId})`);

  await a.invoke("SendMessageToGroup", group, "alice", "still a group");
  assert.deepEqual(await a.events.nth("ReceiveMessage", 1), ["alice", "still a group"]);
});

test("POST /api/notifications/broadcast sends ReceiveNotification({message, timestamp}) to every client", opts, async (t) => {
  const s = scope(t);
  const server = await s.server();
  const [a, b, c] = await connectMany(s, server, 3);
  const group = unique("room");
  await a.invoke("JoinGroup", group); // group membership must not matter

  const before = Date.now();
  const response = await withTimeout(
    fetch(`${server.baseUrl}/api/notifications/broadcast`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify("hello"),
    }),
    EVENT_TIMEOUT_MS,
    "POST /api/notifications/broadcast",
  );
  const responseBody = await response.text();
  assert.ok(response.ok, `status ${response.status}: ${responseBody}`);

  for (const client of [a, b, c]) {
    const args = await client.events.nth("ReceiveNotification", 1);
    assert.equal(args.length, 1, `${client.label}: one argument`);
    const [notification] = args;
    assert.equal(typeof notification, "object", `${client.label}: an object, got ${JSON.stringify(notification)}`);
    assert.deepEqual(Object.keys(notification).sort(), ["message", "timestamp"], JSON.stringify(notification));
    assert.equal(notification.message, "hello");
    assert.match(notification.timestamp, RFC3339, `${client.label}: timestamp ${notification.timestamp} is RFC 3339`);
    const when = Date.parse(notification.timestamp);
    assert.ok(Number.isFinite(when), `timestamp ${notification.timestamp} parses`);
    assert.ok(
      when >= before - 60_000 && when <= Date.now() + 60_000,
      `timestamp ${notification.timestamp} is close to now (${new Date().toISOString()})`,
    );
  }

  // A second notification is delivered too, after the first.
  const second = await withTimeout(
    fetch(`${server.baseUrl}/api/notifications/broadcast`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify('second "one" \u2603'),
    }),
    EVENT_TIMEOUT_MS,
    "the second POST",
  );
  assert.ok(second.ok, `status ${second.status}`);
  await second.arrayBuffer();
  const [n2] = await c.events.nth("ReceiveNotification", 2);
  assert.equal(n2.message, 'second "one" \u2603');
});
