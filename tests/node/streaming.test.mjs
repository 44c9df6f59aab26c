// StreamingHub contract (examples/streaming), exercised with the official
// @microsoft/signalr client and, where the wire matters, a raw WebSocket.
//
// - Server-to-client streams: StreamCounter(count, delay), StreamStockPrices(symbols).
// - Client-to-server streams: UploadStream(stream), StreamingConcat(stream).
// - Client results: AskCaller(question) -> the caller's Confirm(question);
//   GET /api/ask/{connectionId}?question=... through the HubContext.
// - GET /api/streams/active counts the running stream producers: it is polled
//   (bounded deadline) to prove that cancelled streams and the streams of
//   clients that left really stop on the server.
//
// Nothing sleeps to wait for an event. The absence of a stream item is proven
// with a later event on the same connection (the server keeps per-connection
// order), and on the wire with a raw client.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";

import { EVENT_TIMEOUT_MS, TEST_TIMEOUT_MS, expectRejection, scope, signalR, withTimeout } from "./harness.mjs";

const opts = { timeout: TEST_TIMEOUT_MS };

/** How long a cancelled / orphaned producer may keep running on the server. */
const STOP_DEADLINE_MS = 2000;
/** Interval between two polls of GET /api/streams/active. */
const POLL_INTERVAL_MS = 10;

/** RFC 3339 date-time (with a 'T' or ' ' separator, fraction optional, offset required). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

// Texts the official client yields (see the report / README for their origin).
const ASK_FAILED = "An unexpected error occurred invoking 'AskCaller' on the server.";
const ASK_THREW = `${ASK_FAILED} HubException: Error: boom`;
const ASK_NO_HANDLER = `${ASK_FAILED} HubException: Client didn't provide a result.`;
const COUNTER_NOT_STREAMED =
  "The client attempted to invoke the streaming 'StreamCounter' method with a non-streaming invocation.";
const PRICES_NOT_STREAMED =
  "The client attempted to invoke the streaming 'StreamStockPrices' method with a non-streaming invocation.";
const UPLOAD_STREAMED =
  "The client attempted to invoke the non-streaming 'UploadStream' method with a streaming invocation.";
const uploadFailed = (method, message) =>
  `An unexpected error occurred invoking '${method}' on the server. HubException: ${message}`;
const COUNTER_BINDING_FAILED = "Failed to invoke 'StreamCounter' due to an error on the server.";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** Start a `streaming` server that is stopped after the test. */
function streamingServer(s, args = []) {
  return s.server({ example: "streaming", args });
}

/**
 * Connect a client to the streaming hub. `confirm`, if given, is registered as
 * the `Confirm` client-result handler before start().
 */
function connectStreaming(s, server, { label = "client", confirm, logLevel = signalR.LogLevel.Warning } = {}) {
  return s.connect(server, {
    label,
    logLevel,
    events: [],
    setup: confirm ? (connection) => connection.on("Confirm", confirm) : undefined,
  });
}

/** GET a URL with bounded waits; resolves with {status, text}. */
async function get(url) {
  const response = await withTimeout(fetch(url), EVENT_TIMEOUT_MS, `GET ${url}`);
  const text = await withTimeout(response.text(), EVENT_TIMEOUT_MS, `the body of GET ${url}`);
  return { status: response.status, text };
}

/** GET /api/streams/active as a number. */
async function activeStreams(server) {
  const { status, text } = await get(`${server.baseUrl}/api/streams/active`);
  assert.equal(status, 200, `GET /api/streams/active answered ${status}: ${text}`);
  assert.match(text.trim(), /^\d+$/, `GET /api/streams/active body ${JSON.stringify(text)} is a number`);
  return Number(text.trim());
}

/**
 * Poll GET /api/streams/active until it equals `expected`; fails after
 * `timeout` ms listing the values seen. Resolves with the elapsed time.
 */
async function waitForActive(server, expected, what, timeout = STOP_DEADLINE_MS) {
  const start = Date.now();
  const seen = [];
  for (;;) {
    const n = await activeStreams(server);
    if (seen[seen.length - 1] !== n) seen.push(n);
    if (n === expected) return Date.now() - start;
    if (Date.now() - start > timeout) {
      throw new Error(
        `GET /api/streams/active is still ${n} ${timeout} ms after ${what}, expected ${expected} (values seen: ${seen.join(" -> ")})`,
      );
    }
    await delay(POLL_INTERVAL_MS);
  }
}

/** GET /api/ask/{id}?question=... */
function ask(server, connectionId, question) {
  return get(`${server.baseUrl}/api/ask/${encodeURIComponent(connectionId)}?question=${encodeURIComponent(question)}`);
}

/**
 * Subscribes to a server stream and records everything, in order; tests wait
 * on it with bounded timeouts. Calls of the subscriber after dispose() are
 * recorded separately (there must be none).
 */
class StreamRecorder {
  constructor(label, connection, method, args) {
    this.label = `${label}: stream("${method}", ${args.map((a) => JSON.stringify(a)).join(", ")})`;
    this.items = [];
    this.arrivals = [];
    this.completed = false;
    this.error = undefined;
    this.disposed = false;
    this.afterDispose = [];
    this.waiters = new Set();
    this.startedAt = Date.now();
    this.subscription = connection.stream(method, ...args).subscribe({
      next: (item) => this.record("next", item, () => {
        this.items.push(item);
        this.arrivals.push(Date.now());
      }),
      complete: () => this.record("complete", undefined, () => {
        this.completed = true;
        this.endedAt = Date.now();
      }),
      error: (err) => this.record("error", err, () => {
        this.error = err ?? new Error("stream errored without an error");
        this.endedAt = Date.now();
      }),
    });
  }

  record(kind, value, apply) {
    if (this.disposed) this.afterDispose.push({ kind, value });
    else apply();
    for (const waiter of [...this.waiters]) waiter();
  }

  get ended() {
    return this.completed || this.error !== undefined;
  }

  describe() {
    const state = this.completed ? "completed" : this.error ? `errored (${this.error.message})` : "open";
    return `${this.items.length} item(s) ${JSON.stringify(this.items)}, ${state}`;
  }

  /** Wait until `predicate(this)` holds. */
  until(predicate, what, timeout = EVENT_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      let timer;
      const check = () => {
        if (predicate(this)) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(this);
        } else if (this.ended && !predicate(this)) {
          this.waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`${this.label} ended before ${what}: ${this.describe()}`));
        }
      };
      timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`Timed out after ${timeout} ms waiting for ${what} on ${this.label}; got ${this.describe()}`));
      }, timeout);
      this.waiters.add(check);
      check();
    });
  }

  /** Wait for at least `n` items. */
  atLeast(n, timeout = EVENT_TIMEOUT_MS) {
    return this.until((r) => r.items.length >= n, `${n} item(s)`, timeout);
  }

  /** Wait for the stream to complete; resolves with the items, rejects if it errored. */
  async done(timeout = EVENT_TIMEOUT_MS) {
    await this.until((r) => r.ended, "the end of the stream", timeout);
    if (this.error) throw new Error(`${this.label} errored: ${this.error.message} after ${JSON.stringify(this.items)}`);
    return this.items;
  }

  /** Wait for the stream to error; resolves with the error. */
  async failed(timeout = EVENT_TIMEOUT_MS) {
    await this.until((r) => r.ended, "the stream's error", timeout);
    assert.ok(!this.completed, `${this.label} completed instead of failing: ${this.describe()}`);
    return this.error;
  }

  /** Dispose the subscription (sends CancelInvocation); returns how many items had arrived. */
  dispose() {
    this.disposed = true;
    this.itemsAtDispose = this.items.length;
    this.subscription.dispose();
    return this.itemsAtDispose;
  }

  assertNothingAfterDispose() {
    assert.deepEqual(
      this.afterDispose,
      [],
      `${this.label}: the subscriber was called after dispose(): ${JSON.stringify(this.afterDispose)}`,
    );
  }
}

function record(client, method, ...args) {
  return new StreamRecorder(client.label, client.connection, method, args);
}

const range = (n) => Array.from({ length: n }, (_, i) => i);

/**
 * Push `items` into a Subject already passed to invoke()/send() (the client
 * subscribes to it then), and complete it unless told otherwise.
 */
function feed(subject, items, { complete = true } = {}) {
  for (const item of items) subject.next(item);
  if (complete) subject.complete();
}

/** invoke() that must be rejected; resolves with the error message. */
async function rejected(promise, what) {
  const err = await expectRejection(promise, what);
  assert.ok(err instanceof Error, `${what} rejected with an Error, got ${err}`);
  return err.message;
}

/** The connection is still usable: a short stream completes on it. */
async function assertStillWorks(client) {
  assert.equal(client.connection.state, signalR.HubConnectionState.Connected, `${client.label} is connected`);
  assert.deepEqual(await record(client, "StreamCounter", 2, 0).done(), [0, 1], `${client.label} still streams`);
}

/** A record of the raw client for `invocationId`, after the handshake. */
const recordsFor = (raw, invocationId) => raw.records.slice(1).filter((r) => r.invocationId === invocationId);

// ---------------------------------------------------------------------------
// Server-to-client streams
// ---------------------------------------------------------------------------

describe("server-to-client streams", () => {
  test("StreamCounter(5, 10) with subscribe() yields 0..4, then completes", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    const stream = record(c, "StreamCounter", 5, 10);
    assert.deepEqual(await stream.done(), [0, 1, 2, 3, 4]);
    assert.equal(stream.error, undefined);
    // The producer is gone once the stream completed.
    await waitForActive(server, 0, "StreamCounter completed");
  });

  test("StreamCounter waits `delay` ms between items", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    const stream = record(c, "StreamCounter", 4, 100);
    assert.deepEqual(await stream.done(), [0, 1, 2, 3]);
    // Item k is produced no earlier than k * delay after the call: the last one
    // (k = 3) cannot arrive before 300 ms.
    const elapsed = stream.endedAt - stream.startedAt;
    assert.ok(elapsed >= 290, `4 items with a 100 ms delay took only ${elapsed} ms`);
  });

  test("StreamCounter(0, ...) completes at once without items", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    assert.deepEqual(await record(c, "StreamCounter", 0, 1000).done(), []);
    await waitForActive(server, 0, "the empty stream completed");
  });

  test("StreamStockPrices: first batch at once, one {symbol, price, timestamp} per symbol, in order", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);
    const symbols = ["MSFT", "AAPL", "GOOG"];

    const before = Date.now();
    const stream = record(c, "StreamStockPrices", symbols);
    await stream.atLeast(symbols.length);
    const firstBatchAfter = stream.arrivals[symbols.length - 1] - stream.startedAt;
    const batch = stream.items.slice(0, symbols.length);
    stream.dispose();

    // "first batch at once": well before the next one-second tick.
    assert.ok(firstBatchAfter < 900, `the first batch took ${firstBatchAfter} ms`);
    assert.deepEqual(batch.map((q) => q.symbol), symbols, `one quote per symbol, in order: ${JSON.stringify(batch)}`);
    for (const quote of batch) {
      assert.equal(typeof quote, "object", JSON.stringify(quote));
      assert.deepEqual(Object.keys(quote).sort(), ["price", "symbol", "timestamp"], JSON.stringify(quote));
      assert.ok(symbols.includes(quote.symbol), `symbol ${quote.symbol} is one of ${symbols}`);
      assert.equal(typeof quote.price, "number", `price of ${JSON.stringify(quote)} is a number`);
      assert.ok(Number.isFinite(quote.price) && quote.price > 0, `price ${quote.price} is a positive number`);
      assert.equal(typeof quote.timestamp, "string");
      assert.match(quote.timestamp, RFC3339, `timestamp ${quote.timestamp} is RFC 3339`);
      const when = Date.parse(quote.timestamp);
      assert.ok(
        when >= before - 60_000 && when <= Date.now() + 60_000,
        `timestamp ${quote.timestamp} is close to now (${new Date().toISOString()})`,
      );
    }
    assert.equal(new Set(batch.map((q) => q.timestamp)).size, 1, `one timestamp per batch: ${JSON.stringify(batch)}`);

    await waitForActive(server, 0, "the price stream was disposed");
    stream.assertNothingAfterDispose();
  });

  test("StreamStockPrices: the next batch comes about one second later, with a later timestamp", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);
    const symbols = ["AAA", "BBB"];

    const stream = record(c, "StreamStockPrices", symbols);
    await stream.atLeast(2 * symbols.length);
    stream.dispose();
    const [first, second] = [stream.items.slice(0, 2), stream.items.slice(2, 4)];
    assert.deepEqual(second.map((q) => q.symbol), symbols, JSON.stringify(stream.items));
    const gap = stream.arrivals[2] - stream.arrivals[1];
    assert.ok(gap >= 500, `the second batch came only ${gap} ms after the first (one batch per second)`);
    assert.ok(
      Date.parse(second[0].timestamp) >= Date.parse(first[0].timestamp),
      `timestamps go forward: ${first[0].timestamp} then ${second[0].timestamp}`,
    );
    for (const q of second) assert.ok(Number.isFinite(q.price) && q.price > 0, JSON.stringify(q));
    await waitForActive(server, 0, "the price stream was disposed");
  });

  test("invoking a streaming method with invoke() is rejected with the ASP.NET Core text", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    assert.equal(await rejected(c.connection.invoke("StreamCounter", 5, 10), 'invoke("StreamCounter")'), COUNTER_NOT_STREAMED);
    assert.equal(
      await rejected(c.connection.invoke("StreamStockPrices", ["MSFT"]), 'invoke("StreamStockPrices")'),
      PRICES_NOT_STREAMED,
    );
    // No producer was started (or it is gone at once), and the connection works.
    await waitForActive(server, 0, "the refused invocations");
    await assertStillWorks(c);
  });

  test("stream() of the non-streaming UploadStream is rejected with the ASP.NET Core text", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    const subject = new signalR.Subject();
    const stream = record(c, "UploadStream", subject);
    feed(subject, ["a", "b"]);
    const err = await stream.failed();
    assert.equal(err.message, UPLOAD_STREAMED);
    assert.deepEqual(stream.items, []);
    await assertStillWorks(c);
  });

  test("stream arguments that do not bind are rejected like ASP.NET Core", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    for (const args of [[-1, 10], ["five", 10], [5]]) {
      const err = await record(c, "StreamCounter", ...args).failed();
      assert.equal(err.message, COUNTER_BINDING_FAILED, `StreamCounter(${args.map((a) => JSON.stringify(a))})`);
    }
    await waitForActive(server, 0, "the refused streams");
    await assertStillWorks(c);
  });
});

// ---------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------

describe("cancelling a server stream", () => {
  test("dispose() mid-stream stops the StreamCounter producer and delivers nothing more", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    const stream = record(c, "StreamCounter", 1000, 20);
    await stream.atLeast(3);
    await waitForActive(server, 1, "StreamCounter(1000, 20) started");
    const delivered = stream.dispose();

    const took = await waitForActive(server, 0, "dispose()");
    t.diagnostic(`producer gone ${took} ms after dispose()`);
    // A later stream on the same connection spans several periods of the
    // cancelled one (3 items, 30 ms apart): nothing of the cancelled stream
    // reaches the subscriber meanwhile, and it neither completes nor errors.
    assert.deepEqual(await record(c, "StreamCounter", 3, 30).done(), [0, 1, 2]);
    stream.assertNothingAfterDispose();
    assert.equal(stream.items.length, delivered);
    assert.deepEqual(stream.items, range(delivered), "the items before dispose() were 0, 1, 2, ... in order");
    assert.ok(!stream.ended, "a disposed stream neither completes nor errors");
  });

  test("on the wire: after CancelInvocation the server sends one empty Completion and no more items", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const raw = await s.raw(server);

    await raw.send({ type: 4, invocationId: "counter", target: "StreamCounter", arguments: [1000, 20] });
    await raw.waitFor((r) => r.type === 2 && r.invocationId === "counter" && r.item === 2, "item 2 of the counter");
    const itemsBeforeCancel = recordsFor(raw, "counter").length;
    await raw.send({ type: 5, invocationId: "counter" });

    const completion = await raw.waitFor((r) => r.type === 3 && r.invocationId === "counter", "the counter's Completion");
    // ASP.NET Core (DefaultHubDispatcher.StreamAsync) ends a cancelled stream
    // with CompletionMessage.WithError(id, null): no error, no result.
    assert.deepEqual(completion, { type: 3, invocationId: "counter" });
    await waitForActive(server, 0, "CancelInvocation");

    // A later stream spanning several periods of the cancelled one.
    await raw.send({ type: 4, invocationId: "marker", target: "StreamCounter", arguments: [3, 30] });
    await raw.waitFor((r) => r.type === 3 && r.invocationId === "marker", "the marker's Completion");

    const counter = recordsFor(raw, "counter");
    const completionAt = counter.findIndex((r) => r.type === 3);
    assert.equal(completionAt, counter.length - 1, `nothing after the Completion: ${JSON.stringify(counter)}`);
    const items = counter.filter((r) => r.type === 2).map((r) => r.item);
    assert.deepEqual(items, range(items.length), "items in order");
    assert.ok(
      items.length - itemsBeforeCancel <= 2,
      `at most the items already in flight follow the cancel: ${itemsBeforeCancel} before, ${items.length} in all`,
    );
    assert.deepEqual(
      recordsFor(raw, "marker"),
      [
        { type: 2, invocationId: "marker", item: 0 },
        { type: 2, invocationId: "marker", item: 1 },
        { type: 2, invocationId: "marker", item: 2 },
        { type: 3, invocationId: "marker" },
      ],
    );
  });

  test("dispose() after the first prices stops StreamStockPrices (client side and on the wire)", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);
    const raw = await s.raw(server);
    const symbols = ["MSFT", "AAPL"];

    // With the official client.
    const stream = record(c, "StreamStockPrices", symbols);
    await stream.atLeast(1);
    stream.dispose();
    await waitForActive(server, 0, "dispose() of the price stream");
    for (const q of stream.items) {
      assert.ok(symbols.includes(q.symbol), JSON.stringify(q));
      assert.equal(typeof q.price, "number");
      assert.match(q.timestamp, RFC3339);
    }

    // On the wire: cancel after the first batch; a later stream that lasts
    // longer than one tick (1.1 s) completes and no further price arrived.
    await raw.send({ type: 4, invocationId: "prices", target: "StreamStockPrices", arguments: [symbols] });
    await raw.waitFor((r) => r.type === 2 && r.invocationId === "prices", "the first price");
    await raw.send({ type: 5, invocationId: "prices" });
    assert.deepEqual(
      await raw.waitFor((r) => r.type === 3 && r.invocationId === "prices", "the prices' Completion"),
      { type: 3, invocationId: "prices" },
    );
    await waitForActive(server, 0, "CancelInvocation of the price stream");
    await raw.send({ type: 4, invocationId: "marker", target: "StreamCounter", arguments: [2, 1100] });
    await raw.waitFor((r) => r.type === 3 && r.invocationId === "marker", "the marker's Completion", EVENT_TIMEOUT_MS);
    const prices = recordsFor(raw, "prices");
    assert.equal(prices[prices.length - 1].type, 3, `nothing after the Completion: ${JSON.stringify(prices)}`);
    assert.ok(prices.length - 1 <= symbols.length, `only the first batch was sent: ${JSON.stringify(prices)}`);

    // The official client's subscriber saw nothing after dispose() either.
    stream.assertNothingAfterDispose();
  });

  test("cancelling some of many streams stops exactly those; the others keep streaming", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    const streams = range(10).map(() => record(c, "StreamCounter", 1000, 20));
    await Promise.all(streams.map((st) => st.atLeast(1)));
    await waitForActive(server, 10, "10 streams started");

    const [cancelled, kept] = [streams.slice(0, 5), streams.slice(5)];
    for (const st of cancelled) st.dispose();
    await waitForActive(server, 5, "5 of 10 streams were disposed");
    // The kept ones go on: each gets at least 3 more items.
    const counts = kept.map((st) => st.items.length);
    await Promise.all(kept.map((st, i) => st.atLeast(counts[i] + 3)));
    for (const st of kept) {
      assert.deepEqual(st.items, range(st.items.length), `${st.label}: in order, without gaps`);
    }
    for (const st of cancelled) st.assertNothingAfterDispose();

    for (const st of kept) st.dispose();
    await waitForActive(server, 0, "the other 5 were disposed");
  });
});

// ---------------------------------------------------------------------------
// Client-to-server streams
// ---------------------------------------------------------------------------

describe("client-to-server streams", () => {
  test("invoke('UploadStream', subject) returns the number of items", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    const three = new signalR.Subject();
    const counted = c.invoke("UploadStream", three);
    feed(three, ["a", "b", "c"]);
    assert.equal(await counted, 3);

    const empty = new signalR.Subject();
    const none = c.invoke("UploadStream", empty);
    feed(empty, []);
    assert.equal(await none, 0);

    // Many more items than the server's per-stream buffer (back-pressure).
    const many = new signalR.Subject();
    const all = c.invoke("UploadStream", many);
    feed(many, range(1000).map((i) => `item-${i}`));
    assert.equal(await all, 1000);
  });

  test("invoke('StreamingConcat', subject) returns the items concatenated, in order", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    const parts = ["Hello", ", ", "wörld ☃ 👋", "", '\n"quoted" \\ \u0001', "!"];
    const subject = new signalR.Subject();
    const joined = c.invoke("StreamingConcat", subject);
    feed(subject, parts);
    assert.equal(await joined, parts.join(""));

    const empty = new signalR.Subject();
    const nothing = c.invoke("StreamingConcat", empty);
    feed(empty, []);
    assert.equal(await nothing, "");

    // Items may trickle in, with round trips to the server in between.
    const slow = new signalR.Subject();
    const slowJoined = c.invoke("StreamingConcat", slow);
    for (const part of ["a", "b", "c"]) {
      slow.next(part);
      await activeStreams(server);
    }
    slow.complete();
    assert.equal(await slowJoined, "abc");
  });

  test("send('UploadStream', subject): fire-and-forget upload, handled without a reply", opts, async (t) => {
    // What is observable of a fire-and-forget upload: the send resolves, the
    // server never answers it (no Completion, checked on the wire below), it
    // does not disturb the connection, and its items are not mixed into an
    // upload invoked next to it (items of both interleaved on the wire).
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    const fireAndForget = new signalR.Subject();
    await withTimeout(c.connection.send("UploadStream", fireAndForget), EVENT_TIMEOUT_MS, 'send("UploadStream")');
    const invoked = new signalR.Subject();
    const joined = c.invoke("StreamingConcat", invoked);
    fireAndForget.next("x");
    invoked.next("a");
    fireAndForget.next("y");
    invoked.next("b");
    fireAndForget.complete();
    invoked.complete();
    assert.equal(await joined, "ab", "the invoked upload got exactly its own items");

    // A fire-and-forget StreamingConcat, and one whose client stream fails.
    const concat = new signalR.Subject();
    await withTimeout(c.connection.send("StreamingConcat", concat), EVENT_TIMEOUT_MS, 'send("StreamingConcat")');
    feed(concat, ["p", "q"]);
    const failing = new signalR.Subject();
    await withTimeout(c.connection.send("UploadStream", failing), EVENT_TIMEOUT_MS, 'send("UploadStream") #2');
    failing.next("z");
    failing.error(new Error("bad"));

    const after = new signalR.Subject();
    const count = c.invoke("UploadStream", after);
    feed(after, ["1", "2"]);
    assert.equal(await count, 2);
    await assertStillWorks(c);
  });

  test("on the wire: a fire-and-forget upload (no invocationId) gets no Completion, even when it fails", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const raw = await s.raw(server);

    await raw.send({ type: 1, target: "UploadStream", arguments: [], streamIds: ["up-ok"] });
    await raw.send({ type: 2, invocationId: "up-ok", item: "a" });
    await raw.send({ type: 2, invocationId: "up-ok", item: "b" });
    await raw.send({ type: 3, invocationId: "up-ok" });
    await raw.send({ type: 1, target: "StreamingConcat", arguments: [], streamIds: ["up-bad"] });
    await raw.send({ type: 2, invocationId: "up-bad", item: "c" });
    await raw.send({ type: 3, invocationId: "up-bad", error: "bad" });

    // A marker: an invoked upload, answered after both fire-and-forget ones.
    await raw.send({ type: 1, invocationId: "marker", target: "UploadStream", arguments: [], streamIds: ["m"] });
    await raw.send({ type: 2, invocationId: "m", item: "only" });
    await raw.send({ type: 3, invocationId: "m" });
    const marker = await raw.waitFor((r) => r.type === 3 && r.invocationId === "marker", "the marker's Completion");
    assert.deepEqual(marker, { type: 3, invocationId: "marker", result: 1 });

    const others = raw.records
      .slice(1)
      .filter((r) => r.type !== 6 && r.invocationId !== "marker");
    assert.deepEqual(others, [], `nothing but the replies to the invocations with an id: ${raw.describe()}`);
    assert.equal(raw.closeInfo, undefined, "the connection is still open");
  });

  test("an upload completed with an error rejects the invocation with the client's message", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    const upload = new signalR.Subject();
    const counted = c.connection.invoke("UploadStream", upload);
    upload.next("a");
    upload.error(new Error("bad"));
    const message = await rejected(counted, 'invoke("UploadStream") with a failed stream');
    t.diagnostic(`UploadStream: ${message}`);
    assert.ok(message.includes("bad"), message);
    // ASP.NET Core completes the server-side reader with a HubException of the client's text.
    assert.equal(message, uploadFailed("UploadStream", "bad"));

    const concat = new signalR.Subject();
    const joined = c.connection.invoke("StreamingConcat", concat);
    concat.error(new Error("bad concat"));
    assert.equal(await rejected(joined, 'invoke("StreamingConcat") with a failed stream'), uploadFailed("StreamingConcat", "bad concat"));

    await assertStillWorks(c);
  });

  test("several uploads on one connection, items interleaved, each gets only its own items", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    const n = 5;
    const subjects = range(n).map(() => new signalR.Subject());
    const results = subjects.map((subject, i) =>
      i % 2 === 0 ? c.invoke("StreamingConcat", subject) : c.invoke("UploadStream", subject),
    );
    // Round-robin items (fewer than the per-stream buffer of 10), then complete in start order.
    for (let round = 0; round < 4; round++) {
      subjects.forEach((subject, i) => subject.next(`${i}.${round};`));
    }
    subjects.forEach((subject) => subject.complete());
    const values = await Promise.all(results);
    values.forEach((value, i) => {
      if (i % 2 === 0) assert.equal(value, `${i}.0;${i}.1;${i}.2;${i}.3;`, `upload ${i}`);
      else assert.equal(value, 4, `upload ${i}`);
    });
  });

  test("an upload does not have to wait for an earlier upload that is still open (as in ASP.NET Core)", {
    ...opts,
  }, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    const first = new signalR.Subject();
    const firstCount = c.invoke("UploadStream", first);
    first.next("still open");
    const second = new signalR.Subject();
    const secondCount = c.invoke("UploadStream", second);
    feed(second, ["a", "b", "c"]);
    // ASP.NET Core runs invocations with stream parameters outside the
    // per-client invocation limit (DefaultHubDispatcher.ProcessInvocation).
    assert.equal(await secondCount, 3, "the second upload completed while the first is open");
    first.complete();
    assert.equal(await firstCount, 1);
  });

  test("on the wire: an upload with more items than the stream buffer, next to an open upload, does not stall the connection", {
    ...opts,
  }, async (t) => {
    // The raw client fixes the order on the wire: everything of the second
    // upload is sent before the first upload's completion. (With the official
    // client the order depends on its per-invocation send chains.)
    const s = scope(t);
    const server = await streamingServer(s);
    const raw = await s.raw(server);

    await raw.send({ type: 1, invocationId: "first", target: "UploadStream", arguments: [], streamIds: ["s1"] });
    await raw.send({ type: 2, invocationId: "s1", item: "x" });
    await raw.send({ type: 1, invocationId: "second", target: "UploadStream", arguments: [], streamIds: ["s2"] });
    for (let i = 0; i < 20; i++) await raw.send({ type: 2, invocationId: "s2", item: `item-${i}` });
    await raw.send({ type: 3, invocationId: "s1" });
    await raw.send({ type: 3, invocationId: "s2" });

    // Whatever order the server runs them in, both must finish.
    assert.deepEqual(
      await raw.waitFor((r) => r.type === 3 && r.invocationId === "first", "the first upload's Completion"),
      { type: 3, invocationId: "first", result: 1 },
    );
    assert.deepEqual(
      await raw.waitFor((r) => r.type === 3 && r.invocationId === "second", "the second upload's Completion"),
      { type: 3, invocationId: "second", result: 20 },
    );
  });
});

// ---------------------------------------------------------------------------
// Many streams on one connection
// ---------------------------------------------------------------------------

describe("many streams on one connection", () => {
  test("20 concurrent StreamCounter streams each receive exactly their items, in order", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    const specs = range(20).map((i) => ({ count: 3 + (i % 7), delay: 5 + (i % 4) * 5 }));
    const streams = specs.map(({ count, delay: d }) => record(c, "StreamCounter", count, d));
    const results = await Promise.all(streams.map((st) => st.done()));
    results.forEach((items, i) => assert.deepEqual(items, range(specs[i].count), streams[i].label));
    await waitForActive(server, 0, "20 streams completed");
  });

  test("streams, uploads and client results interleave on one connection", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server, { confirm: (q) => q.length % 2 === 0 });

    const long = record(c, "StreamCounter", 1000, 10);
    const prices = record(c, "StreamStockPrices", ["X"]);
    await long.atLeast(1);
    await prices.atLeast(1);

    const upload = new signalR.Subject();
    const count = c.invoke("UploadStream", upload);
    feed(upload, ["1", "2", "3"]);
    assert.equal(await count, 3);
    assert.equal(await c.invoke("AskCaller", "even"), true);
    assert.equal(await c.invoke("AskCaller", "odd"), false);
    const short = await record(c, "StreamCounter", 4, 0).done();
    assert.deepEqual(short, [0, 1, 2, 3]);

    // The long stream kept flowing meanwhile.
    const seen = long.items.length;
    await long.atLeast(seen + 2);
    assert.deepEqual(long.items, range(long.items.length));
    long.dispose();
    prices.dispose();
    await waitForActive(server, 0, "both long streams were disposed");
  });

  test("an upload and a stream invoked while AskCaller waits for the client run at once (as in ASP.NET Core)", {
    ...opts,
  }, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    let answer;
    const answered = new Promise((resolve) => {
      answer = resolve;
    });
    let asked;
    const wasAsked = new Promise((resolve) => {
      asked = resolve;
    });
    const c = await connectStreaming(s, server, {
      confirm: () => {
        asked();
        return answered;
      },
    });
    s.defer(() => answer(false)); // never leave the handler pending

    const pending = c.invoke("AskCaller", "wait for me");
    await withTimeout(wasAsked, EVENT_TIMEOUT_MS, "Confirm to be called");
    // ASP.NET Core runs invocations with stream parameters and streaming
    // invocations outside the per-client invocation limit
    // (DefaultHubDispatcher.ProcessInvocation): neither waits for the answer.
    const upload = new signalR.Subject();
    const joined = withTimeout(c.connection.invoke("StreamingConcat", upload), 2000, "StreamingConcat while AskCaller is pending");
    feed(upload, ["a", "b"]);
    const stream = record(c, "StreamCounter", 3, 0);
    try {
      assert.equal(await joined, "ab");
      assert.deepEqual(await stream.done(2000), [0, 1, 2]);
    } finally {
      answer(true);
    }
    assert.equal(await pending, true);
  });
});

// ---------------------------------------------------------------------------
// Client results
// ---------------------------------------------------------------------------

describe("client results", () => {
  test("AskCaller returns the value a Confirm handler returns, with the question passed verbatim", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const questions = [];
    const c = await connectStreaming(s, server, {
      confirm: (question) => {
        questions.push(question);
        return question.startsWith("yes");
      },
    });

    assert.equal(await c.invoke("AskCaller", "yes, please?"), true);
    assert.equal(await c.invoke("AskCaller", "no thanks"), false);
    const odd = 'yes: "quoted" ünïcödé ☃ 👋 \n\t</script>';
    assert.equal(await c.invoke("AskCaller", odd), true);
    assert.deepEqual(questions, ["yes, please?", "no thanks", odd], "Confirm was called once per AskCaller");
  });

  test("AskCaller returns the value of a Promise returned by the Confirm handler", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server, {
      confirm: (question) =>
        new Promise((resolve) => {
          setImmediate(() => resolve(question === "approve?"));
        }),
    });

    assert.equal(await c.invoke("AskCaller", "approve?"), true);
    assert.equal(await c.invoke("AskCaller", "reject?"), false);
  });

  test("a Confirm handler that throws rejects AskCaller with the handler's error", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server, {
      logLevel: signalR.LogLevel.None, // the client logs the handler's error
      confirm: (question) => {
        if (question === "explode") throw new Error("boom");
        return true;
      },
    });

    assert.equal(await rejected(c.connection.invoke("AskCaller", "explode"), 'invoke("AskCaller") with a throwing handler'), ASK_THREW);
    // The connection and later client results are unaffected.
    assert.equal(await c.invoke("AskCaller", "fine?"), true);
  });

  test("AskCaller without a Confirm handler is rejected with 'Client didn't provide a result.'", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    // The client warns about the missing handler.
    const c = await connectStreaming(s, server, { logLevel: signalR.LogLevel.None });

    assert.equal(await rejected(c.connection.invoke("AskCaller", "anyone?"), 'invoke("AskCaller") without a handler'), ASK_NO_HANDLER);
    await assertStillWorks(c);
    // Registering the handler later makes it work.
    c.connection.on("Confirm", () => false);
    assert.equal(await c.invoke("AskCaller", "now?"), false);
  });

  test("a hub method awaiting its own caller's result does not deadlock (handler awaits before answering)", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server, {
      confirm: async (question) => {
        await new Promise((resolve) => process.nextTick(resolve));
        await new Promise((resolve) => setImmediate(resolve));
        if (question === "via http") {
          // The handler itself talks to the same server before answering.
          await activeStreams(server);
        }
        return question !== "no";
      },
    });

    assert.equal(await c.invoke("AskCaller", "yes"), true);
    assert.equal(await c.invoke("AskCaller", "no"), false);
    assert.equal(await c.invoke("AskCaller", "via http"), true);
  });

  test("concurrent AskCaller invocations each get their own answer", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server, {
      confirm: async (question) => {
        await new Promise((resolve) => setImmediate(resolve));
        return Number(question.split("-")[1]) % 3 === 0;
      },
    });

    const questions = range(12).map((i) => `q-${i}`);
    const answers = await Promise.all(questions.map((q) => c.invoke("AskCaller", q)));
    assert.deepEqual(answers, range(12).map((i) => i % 3 === 0));
  });

  test("GET /api/ask/{connectionId} answers 200 with the client's true/false, and 404 for an unknown connection", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const questions = [];
    const a = await connectStreaming(s, server, {
      label: "a",
      confirm: (question) => {
        questions.push(question);
        return question.includes("ok");
      },
    });
    const b = await connectStreaming(s, server, { label: "b", confirm: async () => false });

    assert.deepEqual(await ask(server, a.id, "is this ok?"), { status: 200, text: "true" });
    assert.deepEqual(await ask(server, a.id, "is this fine?"), { status: 200, text: "false" });
    const odd = "ok & more? =/ ünï ☃ 👋 +%20";
    assert.deepEqual(await ask(server, a.id, odd), { status: 200, text: "true" });
    assert.deepEqual(questions, ["is this ok?", "is this fine?", odd], "a's handler got each question verbatim");
    // Each connection is asked separately.
    assert.deepEqual(await ask(server, b.id, "ok?"), { status: 200, text: "false" });
    assert.equal(questions.length, 3, "a was not asked b's question");

    const unknown = await ask(server, "no-such-connection", "ok?");
    assert.equal(unknown.status, 404, `unknown connection: ${unknown.status} ${unknown.text}`);
    t.diagnostic(`404 body: ${unknown.text}`);

    // A connection that left is unknown too, once the server noticed it left
    // (right after stop() resolves it may still answer 504 "closed before it
    // answered"): poll, bounded, and never get a 200.
    const aId = a.id;
    await withTimeout(a.connection.stop(), EVENT_TIMEOUT_MS, "a to stop");
    const answers = [];
    const start = Date.now();
    for (;;) {
      const gone = await ask(server, aId, "ok?");
      answers.push(`${gone.status} ${gone.text}`);
      if (gone.status === 404) break;
      assert.equal(gone.status, 504, `asking a stopped connection: ${answers.join("; ")}`);
      assert.ok(Date.now() - start < STOP_DEADLINE_MS, `still no 404 for a stopped connection: ${answers.join("; ")}`);
      await delay(POLL_INTERVAL_MS);
    }
    assert.equal(questions.length, 3, "the stopped client was not asked");
  });

  test("GET /api/ask answers 504 when the client does not answer within --client-result-timeout-ms", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s, ["--client-result-timeout-ms", "300"]);
    const c = await connectStreaming(s, server, {
      confirm: (question) => (question === "hang" ? new Promise(() => {}) : true),
    });

    const started = Date.now();
    const timedOut = await ask(server, c.id, "hang");
    const took = Date.now() - started;
    assert.equal(timedOut.status, 504, `${timedOut.status} ${timedOut.text}`);
    t.diagnostic(`504 after ${took} ms, body: ${timedOut.text}`);
    assert.ok(took >= 250, `the 504 came after ${took} ms, before the 300 ms timeout`);

    // The connection is still usable afterwards, over HTTP and from the hub.
    assert.deepEqual(await ask(server, c.id, "still there?"), { status: 200, text: "true" });
    assert.equal(await c.invoke("AskCaller", "still there?"), true);
    // AskCaller with the same unanswered question fails after the timeout.
    const message = await rejected(c.connection.invoke("AskCaller", "hang"), 'invoke("AskCaller") unanswered');
    t.diagnostic(`unanswered AskCaller: ${message}`);
    assert.equal(message, ASK_FAILED);
    assert.equal(await c.invoke("AskCaller", "and now?"), true);
  });

  test("GET /api/ask fails promptly when the asked client disconnects before answering", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s); // default client result timeout: 30 s
    let asked;
    const wasAsked = new Promise((resolve) => {
      asked = resolve;
    });
    const c = await connectStreaming(s, server, {
      confirm: () => {
        asked();
        return new Promise(() => {});
      },
    });

    const pending = ask(server, c.id, "hang");
    await withTimeout(wasAsked, EVENT_TIMEOUT_MS, "Confirm to be called");
    await withTimeout(c.connection.stop(), EVENT_TIMEOUT_MS, "the client to stop");
    const answer = await pending; // bounded by EVENT_TIMEOUT_MS, far below the 30 s timeout
    t.diagnostic(`after the disconnect: ${answer.status} ${answer.text}`);
    assert.equal(answer.status, 504, `${answer.status} ${answer.text}`);
  });
});

// ---------------------------------------------------------------------------
// Clients leaving mid-stream
// ---------------------------------------------------------------------------

describe("clients leaving mid-stream", () => {
  test("connection.stop() during StreamStockPrices and a long StreamCounter stops both producers", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const leaver = await connectStreaming(s, server, { label: "leaver" });
    const stayer = await connectStreaming(s, server, { label: "stayer" });

    const prices = record(leaver, "StreamStockPrices", ["MSFT", "AAPL"]);
    const counter = record(leaver, "StreamCounter", 100000, 20);
    const other = record(stayer, "StreamCounter", 100000, 20);
    await Promise.all([prices.atLeast(1), counter.atLeast(2), other.atLeast(1)]);
    await waitForActive(server, 3, "three streams started");

    await withTimeout(leaver.connection.stop(), EVENT_TIMEOUT_MS, "leaver to stop");
    await waitForActive(server, 1, "the leaver stopped");

    // The other client's stream is unaffected.
    const seen = other.items.length;
    await other.atLeast(seen + 3);
    assert.deepEqual(other.items, range(other.items.length));
    other.dispose();
    await waitForActive(server, 0, "the stayer disposed its stream");
  });

  test("a connection dropped without a Close message (socket terminated) stops its producers", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const raw = await s.raw(server);

    await raw.send({ type: 4, invocationId: "p", target: "StreamStockPrices", arguments: [["ZZZ"]] });
    await raw.send({ type: 4, invocationId: "c", target: "StreamCounter", arguments: [100000, 20] });
    await raw.waitFor((r) => r.type === 2 && r.invocationId === "p", "a price");
    await raw.waitFor((r) => r.type === 2 && r.invocationId === "c" && r.item === 1, "counter item 1");
    await waitForActive(server, 2, "two raw streams started");

    raw.terminate();
    await waitForActive(server, 0, "the socket was terminated");
  });

  test("stopping a client with an open upload and a running stream leaves nothing behind", opts, async (t) => {
    const s = scope(t);
    const server = await streamingServer(s);
    const c = await connectStreaming(s, server);

    const counter = record(c, "StreamCounter", 100000, 20);
    await counter.atLeast(1);
    const upload = new signalR.Subject();
    const pending = c.connection.invoke("UploadStream", upload);
    upload.next("never completed");
    await waitForActive(server, 1, "the stream started");

    await withTimeout(c.connection.stop(), EVENT_TIMEOUT_MS, "the client to stop");
    const message = await rejected(pending, "the open upload after stop()");
    t.diagnostic(`open upload after stop(): ${message}`);
    await waitForActive(server, 0, "the client stopped");

    // The server still serves new clients.
    const next = await connectStreaming(s, server, { label: "next" });
    assert.deepEqual(await record(next, "StreamCounter", 3, 0).done(), [0, 1, 2]);
  });
});
