import type { IStreamResult, IStreamSubscriber, ISubscription } from "@microsoft/signalr";

/**
 * A server-to-client stream: the official {@link IStreamResult} (`subscribe`), which is also
 * async iterable (`for await (const item of stream)`).
 *
 * - It subscribes to the server's stream at once and buffers what arrives until it is consumed,
 *   so nothing is lost if the loop (or `subscribe`) starts later.
 * - The loop ends when the server completes the stream, and throws the server's error (an
 *   `Error` whose message is the server's) when it fails.
 * - Leaving the loop early (`break`, `return`, a throw) disposes the subscription, which cancels
 *   the stream on the server; so does disposing the subscription of `subscribe`.
 *
 * Consume it once: iterate it or subscribe to it (a second consumer throws). A stream nobody
 * consumes or disposes keeps running, and its items are kept.
 */
export interface HubStream<T> extends IStreamResult<T> {
  [Symbol.asyncIterator](): AsyncIterator<T, undefined>;
}

/**
 * What a client-to-server stream parameter accepts: an {@link IStreamResult} such as the
 * official `Subject` (call `next(item)`, then `complete()` or `error(err)`), or any async
 * iterable (an async generator, a Node.js readable in object mode...), whose items are sent as
 * they come; the upload completes when the iteration ends, and fails with the error's message
 * when it throws.
 */
export type HubStreamSource<T> = IStreamResult<T> | AsyncIterable<T>;

/** A server stream of `connection.stream()` as a {@link HubStream}. */
export function hubStream<T>(result: IStreamResult<T>): HubStream<T> {
  return new BufferedStream(result);
}

/** A {@link HubStreamSource} as the `IStreamResult` that `connection.invoke/send/stream` upload. */
export function toStreamResult<T>(source: HubStreamSource<T>): IStreamResult<T> {
  if (isStreamResult(source)) {
    return source;
  }
  return { subscribe: (subscriber: IStreamSubscriber<T>): ISubscription<T> => pump(source, subscriber) };
}

function isStreamResult<T>(source: HubStreamSource<T>): source is IStreamResult<T> {
  return "subscribe" in source && typeof source.subscribe === "function";
}

/** How the server ended a stream. */
type End = { completed: true } | { completed: false; error: unknown };

class BufferedStream<T> implements HubStream<T> {
  readonly #items: T[] = [];
  #end: End | undefined;
  #consumer: IStreamSubscriber<T> | undefined;
  #consumed = false;
  #disposed = false;
  readonly #subscription: ISubscription<T>;

  constructor(result: IStreamResult<T>) {
    this.#subscription = result.subscribe({
      next: (item: T): void => {
        if (this.#end || this.#disposed) {
          return;
        }
        if (this.#consumer) {
          this.#consumer.next(item);
        } else {
          this.#items.push(item);
        }
      },
      error: (error: unknown): void => {
        if (!this.#end) {
          this.#end = { completed: false, error };
          this.#consumer?.error(error);
        }
      },
      complete: (): void => {
        if (!this.#end) {
          this.#end = { completed: true };
          this.#consumer?.complete();
        }
      },
    });
  }

  subscribe(subscriber: IStreamSubscriber<T>): ISubscription<T> {
    if (this.#consumed) {
      throw new Error("A HubStream has one consumer: iterate it or subscribe to it, once.");
    }
    this.#consumed = true;
    // What arrived so far is delivered on a microtask, never from inside subscribe().
    void Promise.resolve().then(() => {
      if (this.#disposed) {
        return;
      }
      for (const item of this.#items.splice(0)) {
        subscriber.next(item);
      }
      this.#consumer = subscriber;
      if (this.#end?.completed === true) {
        subscriber.complete();
      } else if (this.#end) {
        subscriber.error(this.#end.error);
      }
    });
    return { dispose: (): void => this.#dispose() };
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return iterate(this);
  }

  #dispose(): void {
    if (this.#disposed) {
      return;
    }
    this.#disposed = true;
    this.#consumer = undefined;
    this.#items.length = 0;
    if (!this.#end) {
      this.#subscription.dispose();
    }
  }
}

interface Waiter<T> {
  resolve(result: IteratorResult<T, undefined>): void;
  reject(error: unknown): void;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

function iterate<T>(result: IStreamResult<T>): AsyncIterator<T, undefined> {
  const items: T[] = [];
  const waiters: Waiter<T>[] = [];
  // "open" until the server completes ("completed") or fails ("failed": the error is still
  // to be thrown), or the consumer leaves ("closed").
  let state: "open" | "completed" | "failed" | "closed" = "open";
  let failure: unknown;
  const subscription = result.subscribe({
    next(item: T): void {
      if (state !== "open") {
        return;
      }
      const waiter = waiters.shift();
      if (waiter) {
        waiter.resolve({ done: false, value: item });
      } else {
        items.push(item);
      }
    },
    error(error: unknown): void {
      if (state !== "open") {
        return;
      }
      const waiter = waiters.shift();
      if (waiter) {
        state = "closed";
        waiter.reject(error);
        for (const other of waiters.splice(0)) {
          other.resolve(DONE);
        }
      } else {
        state = "failed";
        failure = error;
      }
    },
    complete(): void {
      if (state !== "open") {
        return;
      }
      state = "completed";
      for (const waiter of waiters.splice(0)) {
        waiter.resolve(DONE);
      }
    },
  });
  return {
    next(): Promise<IteratorResult<T, undefined>> {
      if (items.length > 0) {
        return Promise.resolve({ done: false, value: items.shift() as T });
      }
      if (state === "failed") {
        state = "closed";
        return Promise.reject(failure);
      }
      if (state !== "open") {
        return Promise.resolve(DONE);
      }
      return new Promise<IteratorResult<T, undefined>>((resolve, reject) => {
        waiters.push({ resolve, reject });
      });
    },
    return(): Promise<IteratorResult<T, undefined>> {
      if (state === "open") {
        subscription.dispose();
      }
      state = "closed";
      items.length = 0;
      for (const waiter of waiters.splice(0)) {
        waiter.resolve(DONE);
      }
      return Promise.resolve(DONE);
    },
  };
}

function pump<T>(source: AsyncIterable<T>, subscriber: IStreamSubscriber<T>): ISubscription<T> {
  let disposed = false;
  void (async (): Promise<void> => {
    try {
      for await (const item of source) {
        if (disposed) {
          return;
        }
        subscriber.next(item);
      }
      if (!disposed) {
        subscriber.complete();
      }
    } catch (error: unknown) {
      if (!disposed) {
        subscriber.error(error);
      }
    }
  })();
  return {
    dispose(): void {
      disposed = true;
    },
  };
}
