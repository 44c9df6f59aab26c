// Connection handlers without hubs: the chat example maps a plain echo handler at
// `/echo` (ASP.NET's MapConnectionHandler). The official client's HttpConnection,
// the connection class under every HubConnection, talks to it directly: negotiate,
// then WebSockets, Server-Sent Events or long polling, raw messages both ways, and a
// clean stop. HttpConnection is not re-exported from the package index, so it is
// imported from its own module of the package.
//
// Each case forces one transport and asserts the client really used it
// (`connection.transport.constructor.name`), so a silent fallback cannot pass.
// Nothing sleeps: every wait is bounded and event driven.

import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, test } from "node:test";

import { EVENT_TIMEOUT_MS, TEST_TIMEOUT_MS, scope, signalR, withTimeout } from "./harness.mjs";

const require = createRequire(import.meta.url);
const { HttpConnection } = require("@microsoft/signalr/dist/cjs/HttpConnection.js");

const opts = { timeout: TEST_TIMEOUT_MS };

const CASES = [
  { name: "WebSockets", type: signalR.HttpTransportType.WebSockets, className: "WebSocketTransport", formats: ["Text", "Binary"] },
  { name: "ServerSentEvents", type: signalR.HttpTransportType.ServerSentEvents, className: "ServerSentEventsTransport", formats: ["Text"] },
  { name: "LongPolling", type: signalR.HttpTransportType.LongPolling, className: "LongPollingTransport", formats: ["Text", "Binary"] },
];

/** An HttpConnection to `/echo` on one transport, whose received data and close are awaitable. */
function echoConnection(s, server, transport) {
  const connection = new HttpConnection(`${server.baseUrl}/echo`, {
    transport,
    logger: signalR.NullLogger.instance,
  });
  const received = [];
  let waiting = null;
  connection.onreceive = (data) => {
    received.push(data);
    if (waiting) waiting();
  };
  const closed = new Promise((resolve) => {
    connection.onclose = (error) => resolve({ error });
  });
  s.defer(() => withTimeout(connection.stop(), 5000, "the echo connection to stop"));
  return {
    connection,
    closed: () => withTimeout(closed, EVENT_TIMEOUT_MS, "the echo connection to close"),
    /** Resolves once the received data, joined, equals `expected` (sent in parts or at once). */
    async receive(expected) {
      const joined = () =>
        received.map((d) => (typeof d === "string" ? d : Buffer.from(d).toString("latin1"))).join("");
      const arrived = new Promise((resolve) => {
        const check = () => {
          if (joined().length >= expected.length) resolve();
        };
        waiting = check;
        check();
      });
      await withTimeout(arrived, EVENT_TIMEOUT_MS, `the echo of ${JSON.stringify(expected)}`);
      const data = joined();
      received.length = 0;
      return data;
    },
    received,
  };
}

describe("a plain connection handler at /echo, driven by the official HttpConnection", () => {
  for (const c of CASES) {
    for (const format of c.formats) {
      test(`${c.name} / ${format}: messages come back as sent, and stop() closes cleanly`, opts, async (t) => {
        const s = scope(t);
        const server = await s.server();
        const echo = echoConnection(s, server, c.type);
        await withTimeout(
          echo.connection.start(signalR.TransferFormat[format]),
          EVENT_TIMEOUT_MS,
          `HttpConnection over ${c.name} to start`,
        );
        assert.equal(echo.connection.transport.constructor.name, c.className);
        assert.ok(echo.connection.connectionId, "negotiate gave a connection id");

        if (format === "Text") {
          for (const text of ["hello", "ünïcödé ✓", "several\nlines\nof text"]) {
            await echo.connection.send(text);
            assert.equal(await echo.receive(text), text);
          }
        } else {
          const bytes = new Uint8Array([0, 1, 2, 254, 255, 30, 10, 13]);
          await echo.connection.send(bytes);
          const back = await echo.receive(Buffer.from(bytes).toString("latin1"));
          assert.deepEqual(Buffer.from(back, "latin1"), Buffer.from(bytes));
          assert.ok(
            echo.received.length === 0,
            "every received part was consumed by the comparison above",
          );
        }

        await withTimeout(echo.connection.stop(), EVENT_TIMEOUT_MS, "stop()");
        const { error } = await echo.closed();
        assert.equal(error, undefined, `closed without an error, got ${error}`);
      });
    }
  }

  test("the endpoint is not a hub: negotiate answers, and no hub handshake is expected", opts, async (t) => {
    const s = scope(t);
    const server = await s.server();
    const response = await fetch(`${server.baseUrl}/echo/negotiate?negotiateVersion=1`, { method: "POST" });
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.negotiateVersion, 1);
    assert.deepEqual(
      body.availableTransports.map((t) => t.transport),
      ["WebSockets", "ServerSentEvents", "LongPolling"],
    );
    // The first bytes of a hub client (a handshake) come straight back: no hub protocol here.
    const echo = echoConnection(s, server, signalR.HttpTransportType.WebSockets);
    await withTimeout(echo.connection.start(signalR.TransferFormat.Text), EVENT_TIMEOUT_MS, "start");
    const handshake = '{"protocol":"json","version":1}\x1e';
    await echo.connection.send(handshake);
    assert.equal(await echo.receive(handshake), handshake);
  });

  test("case-insensitive path: /ECHO reaches the handler mapped at /echo", opts, async (t) => {
    const s = scope(t);
    const server = await s.server();
    const connection = new HttpConnection(`${server.baseUrl}/ECHO`, {
      transport: signalR.HttpTransportType.LongPolling,
      logger: signalR.NullLogger.instance,
    });
    const received = new Promise((resolve) => {
      connection.onreceive = resolve;
    });
    s.defer(() => withTimeout(connection.stop(), 5000, "stop"));
    await withTimeout(connection.start(signalR.TransferFormat.Text), EVENT_TIMEOUT_MS, "start on /ECHO");
    await connection.send("upper");
    assert.equal(await withTimeout(received, EVENT_TIMEOUT_MS, "the echo"), "upper");
  });
});
