// Error behaviour, with the texts ASP.NET Core SignalR sends (see README.md
// for where each one comes from in dotnet/aspnetcore).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { EVENT_TIMEOUT_MS, RS, TEST_TIMEOUT_MS, connectMany, expectRejection, scope, signalR } from "./harness.mjs";

const opts = { timeout: TEST_TIMEOUT_MS };
const DETAILED = ["--detailed-errors"];

const UNKNOWN_METHOD = "Failed to invoke 'Nope' due to an error on the server. HubException: Method does not exist.";
const ECHO_FAILED = "Failed to invoke 'Echo' due to an error on the server.";
const BINDING_FAILED =
  "InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked.";
const CLOSED_WITH_ERROR = "Connection closed with an error.";
const ON_CLOSE_PREFIX = "Server returned an error on close: ";
const maxSizeText = (bytes) =>
  `InvalidDataException: The maximum message size of ${bytes}B was exceeded. The message size can be configured in AddHubOptions.`;

/** invoke() that must be rejected; resolves with the error message. */
async function rejectedInvoke(client, method, ...args) {
  const err = await expectRejection(client.connection.invoke(method, ...args), `${client.label}: invoke("${method}")`);
  assert.ok(err instanceof Error, `rejected with an Error, got ${err}`);
  return err.message;
}

/** The connection must still work after a failed invocation. */
async function assertStillWorks(client) {
  assert.equal(await client.invoke("Echo", "still alive"), "still alive", `${client.label} still works`);
  assert.equal(client.connection.state, signalR.HubConnectionState.Connected);
}

for (const detailed of [false, true]) {
  const mode = detailed ? "with --detailed-errors" : "without detailed errors";
  const args = detailed ? DETAILED : [];

  describe(`hub invocation errors ${mode}`, () => {
    test("invoking an unknown method is rejected with 'Method does not exist.' and the connection survives", opts, async (t) => {
      const s = scope(t);
      const server = await s.server({ args });
      const [a] = await connectMany(s, server, 1);

      // HubException messages are sent whatever the detailed-errors setting.
      assert.equal(await rejectedInvoke(a, "Nope"), UNKNOWN_METHOD);
      assert.equal(await rejectedInvoke(a, "Nope", "with", 2, "args"), UNKNOWN_METHOD);
      await assertStillWorks(a);

      // A fire-and-forget send of an unknown method is ignored without closing the connection.
      await a.connection.send("Nope", "x");
      await assertStillWorks(a);
    });

    test("wrong argument count is rejected with the binding error", opts, async (t) => {
      const s = scope(t);
      const server = await s.server({ args });
      const [a, b] = await connectMany(s, server, 2);

      const tooMany = await rejectedInvoke(a, "Echo", "one", "two");
      const tooFew = await rejectedInvoke(a, "Echo");
      if (detailed) {
        assert.equal(tooMany, `${ECHO_FAILED} InvalidDataException: Invocation provides 2 argument(s) but target expects 1.`);
        assert.equal(tooFew, `${ECHO_FAILED} InvalidDataException: Invocation provides 0 argument(s) but target expects 1.`);
      } else {
        assert.equal(tooMany, ECHO_FAILED);
        assert.equal(tooFew, ECHO_FAILED);
      }

      const sendFailed = await rejectedInvoke(a, "SendMessage", "only user");
      assert.equal(
        sendFailed,
        detailed
          ? "Failed to invoke 'SendMessage' due to an error on the server. InvalidDataException: Invocation provides 1 argument(s) but target expects 2."
          : "Failed to invoke 'SendMessage' due to an error on the server.",
      );
      // The failed SendMessage must not have been delivered: the next message is b's first.
      await a.invoke("SendMessage", "alice", "marker");
      assert.deepEqual(await b.events.nth("ReceiveMessage", 1), ["alice", "marker"]);

      await assertStillWorks(a);
    });

    test("wrong argument type is rejected with the binding error", opts, async (t) => {
      const s = scope(t);
      const server = await s.server({ args });
      const [a] = await connectMany(s, server, 1);

      for (const bad of [42, true, { text: "x" }, ["x"]]) {
        const message = await rejectedInvoke(a, "Echo", bad);
        assert.equal(message, detailed ? `${ECHO_FAILED} ${BINDING_FAILED}` : ECHO_FAILED, `Echo(${JSON.stringify(bad)})`);
      }
      await assertStillWorks(a);
    });
  });
}

describe("oversize messages", () => {
  /**
   * Connect a victim and a bystander, make the victim invoke Echo with
   * `size` characters, and return the onclose error message and the
   * invoke() rejection message.
   */
  async function oversize(t, serverArgs, size) {
    const s = scope(t);
    const server = await s.server({ args: serverArgs });
    const victim = await s.connect(server, { label: "victim" });
    const bystander = await s.connect(server, { label: "bystander" });

    const pending = victim.connection.invoke("Echo", "x".repeat(size));
    const invokeError = await expectRejection(pending, "the oversize invoke()");
    const closeError = await victim.closed("the oversize sender's onclose");

    assert.equal(victim.connection.state, signalR.HubConnectionState.Disconnected);
    assert.ok(closeError instanceof Error, `onclose got an error: ${closeError}`);
    assert.ok(invokeError instanceof Error);

    // The other client is unaffected.
    await assertStillWorks(bystander);
    await bystander.invoke("SendMessage", "bob", "after the oversize message");
    assert.deepEqual(await bystander.events.nth("ReceiveMessage", 1), ["bob", "after the oversize message"]);
    return { closeMessage: closeError.message, invokeMessage: invokeError.message, s, server };
  }

  test("a message over the default 32 KB limit closes the connection with an error", opts, async (t) => {
    const { closeMessage, invokeMessage } = await oversize(t, [], 40 * 1024);
    assert.equal(closeMessage, `${ON_CLOSE_PREFIX}${CLOSED_WITH_ERROR}`);
    assert.equal(invokeMessage, closeMessage, "the pending invoke() is rejected with the close error");
  });

  test("with --detailed-errors the close error names the 32768 B limit", opts, async (t) => {
    const { closeMessage, invokeMessage } = await oversize(t, DETAILED, 40 * 1024);
    assert.equal(closeMessage, `${ON_CLOSE_PREFIX}${CLOSED_WITH_ERROR} ${maxSizeText(32768)}`);
    assert.equal(invokeMessage, closeMessage);
  });

  test("a message just under the default limit is accepted", opts, async (t) => {
    const s = scope(t);
    const server = await s.server();
    const [a] = await connectMany(s, server, 1);
    // {"type":1,"invocationId":"0","target":"Echo","arguments":["..."]} + RS stays under 32768 bytes.
    const text = "y".repeat(32 * 1024 - 200);
    assert.equal(await a.invoke("Echo", text), text);
  });

  test("--max-message-size sets the limit", opts, async (t) => {
    const s = scope(t);
    const server = await s.server({ args: [...DETAILED, "--max-message-size", "1024"] });
    const [a] = await connectMany(s, server, 1);
    const small = "z".repeat(800);
    assert.equal(await a.invoke("Echo", small), small, "a message under 1024 bytes is accepted");

    const pending = a.connection.invoke("Echo", "z".repeat(2000));
    const invokeError = await expectRejection(pending, "the invoke() over 1024 bytes");
    const closeError = await a.closed();
    assert.equal(closeError?.message, `${ON_CLOSE_PREFIX}${CLOSED_WITH_ERROR} ${maxSizeText(1024)}`);
    assert.equal(invokeError.message, closeError.message);

    // The server is still serving new connections.
    const b = await s.connect(server, { label: "b" });
    await assertStillWorks(b);
  });
});

describe("malformed frames over a raw WebSocket", () => {
  const BAD_FRAMES = [
    ["a truncated JSON object", `{"type":1,${RS}`],
    ["text that is not JSON", `not json${RS}`],
    ["a JSON array instead of an object", `[1,2,3]${RS}`],
    ["a message without a type", `{"invocationId":"1","target":"Echo","arguments":["x"]}${RS}`],
  ];

  for (const [name, frame] of BAD_FRAMES) {
    test(`${name} closes only that connection, with a Close message`, opts, async (t) => {
      const s = scope(t);
      const server = await s.server();
      const [a, b] = await connectMany(s, server, 2);
      const bad = await s.raw(server, { label: "bad raw client" });
      const badId = bad.negotiation.connectionId;
      // Make sure the raw client is fully connected before breaking it.
      await a.events.first("UserConnected", ([id]) => id === badId, `for the raw client (${badId})`);

      await bad.sendText(frame);

      const close = await bad.waitFor((r) => r.type === 7, "a Close message (type 7)");
      assert.equal(close.error, CLOSED_WITH_ERROR, `close message ${JSON.stringify(close)}`);
      // ASP.NET only clears AllowReconnect when the app calls Context.Abort(); a protocol error keeps it true.
      assert.equal(close.allowReconnect, true, `allowReconnect in ${JSON.stringify(close)}`);
      await bad.waitClosed();
      assert.equal(bad.malformed.length, 0, `server frames are valid JSON records: ${bad.malformed}`);

      // The other connections are unaffected and learn that the bad one left.
      await a.events.first("UserDisconnected", ([id]) => id === badId, `for the raw client (${badId})`);
      await a.invoke("SendMessage", "alice", "after the bad frame");
      assert.deepEqual(await b.events.nth("ReceiveMessage", 1), ["alice", "after the bad frame"]);
      assert.equal(await b.invoke("Echo", "ok"), "ok");

      // And a new raw connection works normally.
      const good = await s.raw(server, { label: "good raw client" });
      const completion = await good.invoke("Echo", ["raw ok"]);
      assert.deepEqual({ ...completion, invocationId: undefined }, { type: 3, invocationId: undefined, result: "raw ok" });
    });
  }

  test("with --detailed-errors the Close message carries the exception", opts, async (t) => {
    const s = scope(t);
    const server = await s.server({ args: DETAILED });
    const [a] = await connectMany(s, server, 1);

    const notJson = await s.raw(server, { label: "raw client 1" });
    await notJson.sendText(`not json${RS}`);
    const close1 = await notJson.waitFor((r) => r.type === 7, "a Close message (type 7)");
    assert.equal(close1.error, `${CLOSED_WITH_ERROR} InvalidDataException: Error reading JSON.`);
    await notJson.waitClosed();

    const noType = await s.raw(server, { label: "raw client 2" });
    await noType.sendText(`{"invocationId":"1","target":"Echo","arguments":["x"]}${RS}`);
    const close2 = await noType.waitFor((r) => r.type === 7, "a Close message (type 7)");
    assert.equal(close2.error, `${CLOSED_WITH_ERROR} InvalidDataException: Missing required property 'type'.`);
    await noType.waitClosed();

    await assertStillWorks(a);
  });

  test("a bad frame on one connection does not disturb an invocation in flight on another", opts, async (t) => {
    const s = scope(t);
    const server = await s.server();
    const [a] = await connectMany(s, server, 1);
    const bad = await s.raw(server, { label: "bad raw client" });

    const inFlight = Promise.all(Array.from({ length: 10 }, (_, i) => a.invoke("Echo", `m${i}`)));
    await bad.sendText(`{"type":1,${RS}`);
    assert.deepEqual(await inFlight, Array.from({ length: 10 }, (_, i) => `m${i}`));
    await bad.waitClosed(undefined, EVENT_TIMEOUT_MS);
    await assertStillWorks(a);
  });
});
