// Typed helpers of the end-to-end tests of the generated clients: example servers (through
// ../harness.mjs), connections (of the generated factories) that are stopped after each test, and
// bounded waits for events (never sleeps).

import { existsSync } from "node:fs";
import path from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

import { LogLevel, type HubConnection, type HubConnectionBuilder, type ILogger } from "@microsoft/signalr";

/** Bound of every single wait, in milliseconds. */
export const EVENT_TIMEOUT_MS = Number(process.env["CHAT_EVENT_TIMEOUT_MS"] ?? 5000);

/** A running example server (see `startServer` in ../harness.mjs). */
export interface Server {
  baseUrl: string;
  hubUrl: string;
  stop(): Promise<unknown>;
  output(): string;
}

interface Harness {
  startServer(options: { example: "chat" | "types"; args?: string[] }): Promise<Server>;
}

/** ../harness.mjs, found from wherever tsc put this file. */
function harnessUrl(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, "harness.mjs");
    if (existsSync(candidate)) {
      return pathToFileURL(candidate).href;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`harness.mjs not found above ${fileURLToPath(import.meta.url)}`);
    }
    dir = parent;
  }
}

const harness = (await import(harnessUrl())) as Harness;

/** Resolves or rejects like `promise`, or rejects after `ms` naming `what`. */
export function withTimeout<T>(promise: Promise<T>, what: string, ms: number = EVENT_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Items received in order (the calls of a receiver), with bounded waits for them.
 */
export class Inbox<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(readonly label: string) {}

  push(item: T): void {
    this.items.push(item);
    for (const waiter of [...this.waiters]) {
      waiter();
    }
  }

  /**
   * The first item at index `from` or later that `matches`; fails after `timeout` ms, listing
   * what was received. Resolves with the item and its index.
   */
  find(matches: (item: T) => boolean, what: string, from = 0, timeout = EVENT_TIMEOUT_MS): Promise<{ item: T; index: number }> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const index = this.items.findIndex((item, i) => i >= from && matches(item));
        const item = this.items[index];
        if (index < 0 || item === undefined) {
          return false;
        }
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve({ item, index });
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`Timed out after ${timeout} ms waiting for ${what} on ${this.label}; received: ${JSON.stringify(this.items)}`));
      }, timeout);
      this.waiters.add(check);
      check();
    });
  }
}

/** Everything a test starts, stopped after it (connections first), also when it fails. */
export class Scope {
  /** Errors the official client logged (a handler that threw, a result nobody expected...). */
  readonly clientErrors: string[] = [];
  private readonly cleanups: (() => Promise<unknown>)[] = [];

  constructor(t: TestContext) {
    t.after(async () => {
      for (const cleanup of this.cleanups.reverse()) {
        await cleanup().catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`));
      }
    });
  }

  async server(example: "chat" | "types"): Promise<Server> {
    const server = await harness.startServer({ example });
    this.cleanups.push(() => server.stop());
    return server;
  }

  /**
   * Builder settings for every test connection (the `configure` argument of the generated
   * connection factories): what the official client logs as errors goes to `clientErrors`.
   */
  readonly configure = (builder: HubConnectionBuilder): void => {
    const errors = this.clientErrors;
    const logger: ILogger = {
      log(level: LogLevel, message: string): void {
        if (level >= LogLevel.Error) {
          errors.push(message);
        }
      },
    };
    builder.configureLogging(logger);
  };

  /**
   * Starts `connection` (of a generated connection factory), stopped after the test; `setup`
   * runs before `start()` (to register receivers).
   */
  async start(connection: HubConnection, setup?: (connection: HubConnection) => void): Promise<HubConnection> {
    setup?.(connection);
    this.cleanups.push(() => connection.stop());
    await withTimeout(connection.start(), `a connection to ${connection.baseUrl}`);
    return connection;
  }
}
