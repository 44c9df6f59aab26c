// Test harness for the end-to-end tests of the example servers (`chat`, `streaming`).
//
// - starts a fresh example process (`chat` by default, or `streaming`) on
//   127.0.0.1 port 0 and reads the real port from its single stdout line
//   `listening on http://127.0.0.1:PORT`;
// - builds connected HubConnections of the official @microsoft/signalr client;
// - records hub events in order and waits for them with bounded timeouts that
//   fail the test with a clear message (never sleeps, never hangs);
// - speaks the raw protocol (negotiate + WebSocket + handshake) with `ws` for
//   the tests that need to send bytes the official client would never send;
// - cleans everything up after each test (connections first, server last),
//   also when the test fails, and kills any server left over when the test
//   process exits.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import * as signalR from "@microsoft/signalr";
import WebSocket from "ws";

export { signalR, WebSocket };

/** Default bound for waiting on one event / one reply, in milliseconds. */
export const EVENT_TIMEOUT_MS = Number(process.env.CHAT_EVENT_TIMEOUT_MS ?? 5000);
/** Bound for the server process to print its `listening on` line. */
export const STARTUP_TIMEOUT_MS = Number(process.env.CHAT_STARTUP_TIMEOUT_MS ?? 15000);
/** A per-test safety net for node:test, above every individual bound. */
export const TEST_TIMEOUT_MS = 30000;

/** JSON protocol record separator. */
export const RS = "\x1e";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, "..", "..");

/**
 * The example servers the tests can start: binary name, the environment
 * variable that overrides its path, and the hub's path.
 */
export const EXAMPLES = {
  chat: { binary: "chat", env: "CHAT_BIN", hubPath: "/hubs/chat" },
  streaming: { binary: "streaming", env: "STREAMING_BIN", hubPath: "/hubs/streaming" },
  types: { binary: "types", env: "TYPES_BIN", hubPath: "/hubs/types" },
  auth: { binary: "auth", env: "AUTH_BIN", hubPath: "/hubs/secure" },
  dashboard: { binary: "dashboard", env: "DASHBOARD_BIN", hubPath: "/hubs/metrics" },
};

function exampleInfo(example) {
  const info = EXAMPLES[example];
  if (!info) throw new Error(`unknown example ${JSON.stringify(example)}; known: ${Object.keys(EXAMPLES).join(", ")}`);
  return info;
}

/**
 * Path of an example's binary: $<EXAMPLE>_BIN (e.g. $CHAT_BIN, $STREAMING_BIN),
 * else <repo>/target/debug/<example> (honouring CARGO_TARGET_DIR).
 */
export function exampleBinary(example = "chat") {
  const info = exampleInfo(example);
  if (process.env[info.env]) return path.resolve(process.env[info.env]);
  const targetDir = process.env.CARGO_TARGET_DIR
    ? path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR)
    : path.join(REPO_ROOT, "target");
  return path.join(targetDir, "debug", process.platform === "win32" ? `${info.binary}.exe` : info.binary);
}

/** Path of the chat server binary: $CHAT_BIN, else <repo>/target/debug/chat (honouring CARGO_TARGET_DIR). */
export function chatBinary() {
  return exampleBinary("chat");
}

// ---------------------------------------------------------------------------
// Generic helpers
// ---------------------------------------------------------------------------

/**
 * Resolve/reject like `promise`, or reject after `ms` with a message naming `what`.
 * The timer never keeps the process alive and is cleared when the promise settles.
 */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Await a promise that must reject; returns the rejection (fails clearly if it resolves or hangs). */
export async function expectRejection(promise, what, ms = EVENT_TIMEOUT_MS) {
  let value;
  try {
    value = await withTimeout(promise, ms, what);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(`Timed out after ${ms} ms waiting for ${what}`)) throw err;
    return err;
  }
  throw new Error(`Expected ${what} to be rejected, but it resolved with ${JSON.stringify(value)}`);
}

/** A short unique suffix so names used by one test never collide with another's. */
let uniqueCounter = 0;
export function unique(prefix) {
  uniqueCounter += 1;
  return `${prefix}-${process.pid}-${uniqueCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

// ---------------------------------------------------------------------------
// Server process
// ---------------------------------------------------------------------------

const liveChildren = new Set();
process.on("exit", () => {
  for (const child of liveChildren) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
});

const LISTENING_RE = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/;

/**
 * Start an example server: `<example> --addr 127.0.0.1:0 ...args` (`chat` by default).
 * Resolves once the `listening on http://127.0.0.1:PORT` line was read.
 * @param {{args?: string[], example?: "chat" | "streaming" | "types" | "auth" | "dashboard"}} [options]
 */
export async function startServer({ args = [], example = "chat" } = {}) {
  const info = exampleInfo(example);
  const bin = exampleBinary(example);
  if (!existsSync(bin)) {
    throw new Error(
      `${example} server binary not found at ${bin}: build it with \`cargo build -p ${info.binary}\` or point ${info.env} at it`,
    );
  }
  const argv = ["--addr", "127.0.0.1:0", ...args];
  const child = spawn(bin, argv, {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env },
  });
  liveChildren.add(child);

  let output = ""; // everything the server printed, for failure messages
  const remember = (stream) => (chunk) => {
    output += `[${stream}] ${chunk}`;
    if (output.length > 20000) output = output.slice(-20000);
    if (process.env.CHAT_TEST_VERBOSE) process.stderr.write(`[${example} ${stream}] ${chunk}`);
  };
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", remember("stderr"));

  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal });
    });
  });

  const describe = () => `${bin} ${argv.join(" ")}`;

  const listening = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    let first = true;
    lines.on("line", (line) => {
      output += `[stdout] ${line}\n`;
      if (process.env.CHAT_TEST_VERBOSE) process.stderr.write(`[${example} stdout] ${line}\n`);
      if (!first) return;
      first = false;
      const m = LISTENING_RE.exec(line.trim());
      if (!m) {
        reject(new Error(`first stdout line of \`${describe()}\` is ${JSON.stringify(line)}, expected "listening on http://127.0.0.1:PORT"`));
        return;
      }
      const port = Number(m[2]);
      if (!(port > 0 && port < 65536)) {
        reject(new Error(`\`${describe()}\` reported an invalid port in ${JSON.stringify(line)}`));
        return;
      }
      resolve({ baseUrl: m[1], port });
    });
    child.once("error", (err) => reject(new Error(`could not spawn \`${describe()}\`: ${err.message}`)));
    exited.then(({ code, signal }) =>
      reject(
        new Error(
          `\`${describe()}\` exited (code ${code}, signal ${signal}) before printing "listening on ..."\n${output}`,
        ),
      ),
    );
  });

  let started;
  try {
    started = await withTimeout(listening, STARTUP_TIMEOUT_MS, `\`${describe()}\` to print "listening on http://127.0.0.1:PORT"`);
  } catch (err) {
    child.kill("SIGKILL");
    await withTimeout(exited, 5000, "the server process to exit").catch(() => {});
    err.message += output && !err.message.includes(output) ? `\nserver output so far:\n${output}` : "";
    throw err;
  }

  const server = {
    baseUrl: started.baseUrl,
    port: started.port,
    example,
    hubUrl: `${started.baseUrl}${info.hubPath}`,
    wsHubUrl: `ws://127.0.0.1:${started.port}${info.hubPath}`,
    args,
    process: child,
    exited,
    output: () => output,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    async stop() {
      if (!server.running) return exited;
      child.kill("SIGTERM");
      try {
        return await withTimeout(exited, 3000, "the server to exit after SIGTERM");
      } catch {
        child.kill("SIGKILL");
        return withTimeout(exited, 3000, "the server to exit after SIGKILL");
      }
    },
  };
  return server;
}

// ---------------------------------------------------------------------------
// Event recording
// ---------------------------------------------------------------------------

/**
 * Records hub events (name + arguments) of one connection in arrival order,
 * and lets tests wait for them with a bounded timeout.
 */
export class EventLog {
  constructor(label) {
    this.label = label;
    /** @type {{name: string, args: any[]}[]} */
    this.events = [];
    this.waiters = new Set();
  }

  /** Subscribe to `names` on a HubConnection (call before start() to miss nothing). */
  attach(connection, names) {
    for (const name of names) {
      connection.on(name, (...args) => this.push(name, args));
    }
    return this;
  }

  push(name, args) {
    this.events.push({ name, args });
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Arguments of every received `name` event, in order. */
  of(name) {
    return this.events.filter((e) => e.name === name).map((e) => e.args);
  }

  /** Every received event, in order, as `name(args...)` lines (for messages). */
  describe() {
    if (this.events.length === 0) return "(none)";
    return this.events.map((e) => `${e.name}(${e.args.map((a) => JSON.stringify(a)).join(", ")})`).join("; ");
  }

  /**
   * Wait until `find(events)` returns something other than undefined; resolves with it.
   * Fails after `timeout` ms with a message listing what was received.
   */
  waitUntil(find, what, timeout = EVENT_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      let timer;
      const check = () => {
        let found;
        try {
          found = find(this.events);
        } catch (err) {
          this.waiters.delete(check);
          clearTimeout(timer);
          reject(err);
          return;
        }
        if (found !== undefined) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `Timed out after ${timeout} ms waiting for ${what} on ${this.label}; events received so far: ${this.describe()}`,
          ),
        );
      }, timeout);
      this.waiters.add(check);
      check();
    });
  }

  /** Wait for the n-th (1-based) `name` event; resolves with its arguments array. */
  nth(name, n = 1, timeout = EVENT_TIMEOUT_MS) {
    return this.waitUntil(
      (events) => {
        const matching = events.filter((e) => e.name === name);
        return matching.length >= n ? matching[n - 1].args : undefined;
      },
      `event #${n} of "${name}"`,
      timeout,
    );
  }

  /** Wait for the first `name` event whose arguments satisfy `predicate`; resolves with its arguments. */
  first(name, predicate, what, timeout = EVENT_TIMEOUT_MS) {
    return this.waitUntil(
      (events) => events.find((e) => e.name === name && predicate(e.args))?.args,
      `"${name}" ${what}`,
      timeout,
    );
  }
}

/** Every client-side method of the ChatHub contract. */
export const CHAT_EVENTS = [
  "ReceiveMessage",
  "UserJoined",
  "UserLeft",
  "UserConnected",
  "UserDisconnected",
  "ReceiveNotification",
];

// ---------------------------------------------------------------------------
// Per-test scope: servers and connections that are cleaned up after the test
// ---------------------------------------------------------------------------

/**
 * Create a scope bound to a node:test context: everything created through it
 * is torn down after the test, in reverse order (connections before servers),
 * whether the test passed or failed.
 */
export function scope(t) {
  const cleanups = [];
  t.after(async () => {
    const errors = [];
    while (cleanups.length > 0) {
      const cleanup = cleanups.pop();
      try {
        await cleanup();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) {
      // Cleanup problems must not hide the test's own failure; just report them.
      process.stderr.write(`cleanup problems: ${errors.map((e) => e.message).join("; ")}\n`);
    }
  });

  const s = {
    /** Start a server that is stopped after the test. */
    async server(options) {
      const server = await startServer(options);
      cleanups.push(() => server.stop());
      return server;
    },

    /**
     * Build and start a HubConnection to `server` with the official client, as in
     * the official samples. Handlers for every event in `events` (by default every
     * ChatHub event) are registered before start(), so nothing sent on connect is
     * missed; `setup(connection)` runs before start() too (e.g. to register
     * client-result handlers with `connection.on`). `configure(builder)` runs on the
     * HubConnectionBuilder before build() (e.g. `withHubProtocol`, `withAutomaticReconnect`).
     * @param {object} server
     * @param {{label?: string, options?: object, logLevel?: number, events?: string[], setup?: (connection: signalR.HubConnection) => void, configure?: (builder: signalR.HubConnectionBuilder) => void}} [opts]
     */
    async connect(
      server,
      { label = "client", options, logLevel = signalR.LogLevel.Warning, events: eventNames = CHAT_EVENTS, setup, configure } = {},
    ) {
      const builder = new signalR.HubConnectionBuilder();
      (options ? builder.withUrl(server.hubUrl, options) : builder.withUrl(server.hubUrl)).configureLogging(logLevel);
      if (configure) configure(builder);
      const connection = builder.build();
      const events = new EventLog(label).attach(connection, eventNames);
      if (setup) setup(connection);
      let resolveClosed;
      const closed = new Promise((resolve) => {
        resolveClosed = resolve;
      });
      connection.onclose((error) => resolveClosed(error));
      cleanups.push(() => withTimeout(connection.stop(), 5000, `${label} to stop`));
      await withTimeout(connection.start(), EVENT_TIMEOUT_MS, `${label} to connect to ${server.hubUrl}`);
      assertConnected(connection, label);
      return {
        label,
        connection,
        events,
        /** Resolves with the onclose error (or undefined) once the connection closed. */
        closed: (what = `${label} to be closed`, timeout = EVENT_TIMEOUT_MS) => withTimeout(closed, timeout, what),
        invoke: (method, ...args) =>
          withTimeout(connection.invoke(method, ...args), EVENT_TIMEOUT_MS, `${label}: invoke("${method}") to complete`),
        get id() {
          return connection.connectionId;
        },
      };
    },

    /** Open a raw protocol client (negotiate + WebSocket + handshake). */
    async raw(server, opts = {}) {
      const client = await rawConnect(server, opts);
      cleanups.push(() => client.terminate());
      return client;
    },

    /** Open a WebSocket and resolve on open / reject with the HTTP status; closed after the test. */
    async openWebSocket(url) {
      const result = await openWebSocket(url);
      cleanups.push(() => result.terminate());
      return result;
    },

    /** Register an extra cleanup. */
    defer(fn) {
      cleanups.push(fn);
    },
  };
  return s;
}

function assertConnected(connection, label) {
  if (connection.state !== signalR.HubConnectionState.Connected) {
    throw new Error(`${label} is ${connection.state} after start() resolved`);
  }
}

/** Connect `n` clients labelled `${prefix}1..n` one after another. */
export async function connectMany(s, server, n, prefix = "client") {
  const clients = [];
  for (let i = 1; i <= n; i++) clients.push(await s.connect(server, { label: `${prefix}${i}` }));
  return clients;
}

// ---------------------------------------------------------------------------
// Raw protocol access
// ---------------------------------------------------------------------------

/** POST <hub>/negotiate[?negotiateVersion=v]; resolves with {status, body, text}. */
export async function negotiate(server, negotiateVersion = 1) {
  const url =
    negotiateVersion === null
      ? `${server.hubUrl}/negotiate`
      : `${server.hubUrl}/negotiate?negotiateVersion=${negotiateVersion}`;
  const response = await withTimeout(fetch(url, { method: "POST" }), EVENT_TIMEOUT_MS, `POST ${url}`);
  const text = await withTimeout(response.text(), EVENT_TIMEOUT_MS, `the body of POST ${url}`);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/**
 * Open a WebSocket. Resolves with {ws, messages} once open; rejects with an
 * Error carrying `.status` if the server answered the upgrade with an HTTP
 * status instead of 101.
 */
export function openWebSocket(url) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.on("unexpected-response", (_req, res) => {
        const err = new Error(`WebSocket upgrade to ${url} answered HTTP ${res.statusCode}`);
        err.status = res.statusCode;
        res.resume();
        ws.terminate();
        reject(err);
      });
      ws.on("error", (err) => reject(err));
      ws.on("open", () => resolve({ ws, terminate: () => ws.terminate() }));
    }),
    EVENT_TIMEOUT_MS,
    `a WebSocket to ${url} to open`,
  );
}

/**
 * A raw client that speaks the JSON hub protocol over a WebSocket it opened
 * itself: every record received is parsed and kept in order.
 */
export class RawClient {
  constructor(ws, label) {
    this.ws = ws;
    this.label = label;
    this.buffer = "";
    /** Parsed records, in order (the first one is the handshake response). */
    this.records = [];
    this.malformed = [];
    this.waiters = new Set();
    this.closeInfo = undefined;
    ws.on("message", (data) => {
      this.buffer += data.toString("utf8");
      let i;
      while ((i = this.buffer.indexOf(RS)) >= 0) {
        const record = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        try {
          this.records.push(JSON.parse(record));
        } catch {
          this.malformed.push(record);
        }
      }
      this.notify();
    });
    this.closed = new Promise((resolve) => {
      ws.on("close", (code, reason) => {
        this.closeInfo = { code, reason: reason.toString("utf8") };
        this.notify();
        resolve(this.closeInfo);
      });
    });
    ws.on("error", () => {
      // surfaced through `closed`
    });
  }

  notify() {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Send a string as one text frame, exactly as given. */
  sendText(text) {
    return new Promise((resolve, reject) => this.ws.send(text, { binary: false }, (err) => (err ? reject(err) : resolve())));
  }

  /** Send one hub protocol message (object) followed by the record separator. */
  send(message) {
    return this.sendText(JSON.stringify(message) + RS);
  }

  describe() {
    return this.records.length === 0 ? "(none)" : this.records.map((r) => JSON.stringify(r)).join(" ");
  }

  /** Wait for the first record (after the handshake response) matching `predicate`. */
  waitFor(predicate, what, timeout = EVENT_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      let timer;
      const check = () => {
        const found = this.records.slice(1).find(predicate);
        if (found !== undefined) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `Timed out after ${timeout} ms waiting for ${what} on ${this.label}; records received: ${this.describe()}` +
              (this.closeInfo ? `; socket closed with ${this.closeInfo.code}` : ""),
          ),
        );
      }, timeout);
      this.waiters.add(check);
      check();
    });
  }

  /** Invoke a hub method and resolve with its completion record. */
  async invoke(target, args, invocationId) {
    const id = invocationId ?? unique("inv");
    await this.send({ type: 1, invocationId: id, target, arguments: args });
    return this.waitFor((r) => r.type === 3 && r.invocationId === id, `the completion of ${target} (${id})`);
  }

  waitClosed(what = `${this.label}'s WebSocket to be closed by the server`, timeout = EVENT_TIMEOUT_MS) {
    return withTimeout(this.closed, timeout, what);
  }

  terminate() {
    this.ws.terminate();
  }
}

/**
 * Negotiate (unless `id` is given), open the WebSocket with `?id=` and perform
 * the JSON protocol handshake. Resolves with a RawClient whose first record is
 * the (successful) handshake response.
 * @param {object} server
 * @param {{negotiateVersion?: number, id?: string, label?: string}} [opts]
 */
export async function rawConnect(server, { negotiateVersion = 1, id, label = "raw client" } = {}) {
  let negotiation;
  let token = id;
  if (token === undefined) {
    negotiation = await negotiate(server, negotiateVersion);
    if (negotiation.status !== 200 || !negotiation.body) {
      throw new Error(`negotiate answered ${negotiation.status}: ${negotiation.text}`);
    }
    token = negotiateVersion >= 1 ? negotiation.body.connectionToken : negotiation.body.connectionId;
  }
  const { ws } = await openWebSocket(`${server.wsHubUrl}?id=${encodeURIComponent(token)}`);
  const client = new RawClient(ws, label);
  client.negotiation = negotiation?.body;
  client.token = token;
  await client.sendText(JSON.stringify({ protocol: "json", version: 1 }) + RS);
  const handshake = await new Promise((resolve, reject) => {
    let timer;
    const check = () => {
      if (client.records.length > 0 || client.malformed.length > 0 || client.closeInfo) {
        client.waiters.delete(check);
        clearTimeout(timer);
        if (client.records.length > 0) resolve(client.records[0]);
        else if (client.malformed.length > 0) reject(new Error(`malformed handshake response ${JSON.stringify(client.malformed[0])}`));
        else reject(new Error(`socket closed (${client.closeInfo.code}) before the handshake response`));
      }
    };
    timer = setTimeout(() => {
      client.waiters.delete(check);
      reject(new Error(`Timed out after ${EVENT_TIMEOUT_MS} ms waiting for the handshake response on ${label}`));
    }, EVENT_TIMEOUT_MS);
    client.waiters.add(check);
    check();
  }).catch((err) => {
    client.terminate();
    throw err;
  });
  if (handshake.error !== undefined || Object.keys(handshake).length !== 0) {
    client.terminate();
    throw new Error(`handshake failed: ${JSON.stringify(handshake)}`);
  }
  return client;
}
