// The stream adapters of the generated clients (hub-streams.ts), with stand-ins for the official
// client's streams: buffering, completion, errors, early exit, and uploads from async iterables.

import assert from "node:assert/strict";
import test from "node:test";

import { Subject, type IStreamResult, type IStreamSubscriber, type ISubscription } from "@microsoft/signalr";

import { hubStream, toStreamResult } from "../../../examples/clients/typescript/types/hub-streams.js";
import { withTimeout } from "./support.js";

/** A server stream stand-in: the test pushes items, and sees subscriptions and disposals. */
class FakeStream<T> implements IStreamResult<T> {
  subscriber: IStreamSubscriber<T> | undefined;
  subscriptions = 0;
  disposals = 0;

  subscribe(subscriber: IStreamSubscriber<T>): ISubscription<T> {
    this.subscriber = subscriber;
    this.subscriptions += 1;
    return { dispose: () => void (this.disposals += 1) };
  }

  get to(): IStreamSubscriber<T> {
    assert.ok(this.subscriber, "subscribed");
    return this.subscriber;
  }
}

test("items are buffered in order until the loop takes them; completion ends the loop", async () => {
  const fake = new FakeStream<number>();
  const stream = hubStream(fake);
  assert.equal(fake.subscriptions, 1, "hubStream subscribes at once");
  const iterator = stream[Symbol.asyncIterator]();
  fake.to.next(1);
  fake.to.next(2);
  assert.deepEqual(await iterator.next(), { done: false, value: 1 });
  const waiting = iterator.next();
  fake.to.complete();
  assert.deepEqual(await waiting, { done: false, value: 2 });
  assert.deepEqual(await iterator.next(), { done: true, value: undefined });
  assert.equal(fake.disposals, 0, "a completed stream is not cancelled");

  const items: number[] = [];
  const fake2 = new FakeStream<number>();
  const loop = (async () => {
    for await (const item of hubStream(fake2)) {
      items.push(item);
    }
  })();
  fake2.to.next(1);
  await Promise.resolve();
  fake2.to.next(2);
  fake2.to.complete();
  await withTimeout(loop, "the loop to end");
  assert.deepEqual(items, [1, 2]);
});

test("an error is thrown after the buffered items, once", async () => {
  const fake = new FakeStream<string>();
  const failure = new Error("server failed");
  const items: string[] = [];
  const loop = (async () => {
    for await (const item of hubStream(fake)) {
      items.push(item);
    }
  })();
  fake.to.next("a");
  fake.to.error(failure);
  fake.to.next("ignored");
  await assert.rejects(withTimeout(loop, "the loop to throw"), (err: unknown) => err === failure);
  assert.deepEqual(items, ["a"]);
  assert.equal(fake.disposals, 0);

  // An error while the loop waits.
  const fake2 = new FakeStream<string>();
  const iterator = hubStream(fake2)[Symbol.asyncIterator]();
  const waiting = iterator.next();
  fake2.to.error(failure);
  await assert.rejects(waiting, (err: unknown) => err === failure);
  assert.deepEqual(await iterator.next(), { done: true, value: undefined });
});

test("leaving the loop early disposes the subscription (cancelling the stream) once", async () => {
  const fake = new FakeStream<number>();
  const loop = (async () => {
    for await (const item of hubStream(fake)) {
      if (item === 2) {
        break;
      }
    }
  })();
  fake.to.next(1);
  fake.to.next(2);
  fake.to.next(3);
  await withTimeout(loop, "the loop to end");
  assert.equal(fake.disposals, 1);

  // A throw in the loop's body does too.
  const fake2 = new FakeStream<number>();
  const throwing = (async () => {
    for await (const item of hubStream(fake2)) {
      throw new Error(`stop at ${item}`);
    }
  })();
  fake2.to.next(1);
  await assert.rejects(throwing, /stop at 1/);
  assert.equal(fake2.disposals, 1);

  // A pending next() ends when the consumer returns.
  const fake3 = new FakeStream<number>();
  const iterator = hubStream(fake3)[Symbol.asyncIterator]();
  const waiting = iterator.next();
  await iterator.return?.();
  assert.deepEqual(await waiting, { done: true, value: undefined });
  assert.equal(fake3.disposals, 1);
  fake3.to.next(1);
  assert.deepEqual(await iterator.next(), { done: true, value: undefined });
});

test("what arrives before the loop starts is kept, the end included", async () => {
  const fake = new FakeStream<number>();
  const stream = hubStream(fake);
  fake.to.next(1);
  fake.to.next(2);
  fake.to.complete();
  await new Promise((resolve) => setImmediate(resolve));
  const items: number[] = [];
  for await (const item of stream) {
    items.push(item);
  }
  assert.deepEqual(items, [1, 2]);

  const failing = new FakeStream<number>();
  const failed = hubStream(failing);
  const failure = new Error("failed early");
  failing.to.next(1);
  failing.to.error(failure);
  const seen: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const item of failed) {
        seen.push(item);
      }
    })(),
    (err: unknown) => err === failure,
  );
  assert.deepEqual(seen, [1]);
});

test("subscribe: buffered items first (never from inside subscribe), then live ones; one consumer", async () => {
  const fake = new FakeStream<number>();
  const stream = hubStream(fake);
  fake.to.next(1);
  const seen: (number | "complete")[] = [];
  const done = new Promise<void>((resolve, reject) => {
    stream.subscribe({
      next: (item) => seen.push(item),
      error: reject,
      complete: () => {
        seen.push("complete");
        resolve();
      },
    });
  });
  assert.deepEqual(seen, [], "nothing is delivered from inside subscribe()");
  fake.to.next(2);
  await Promise.resolve();
  fake.to.next(3);
  fake.to.complete();
  await withTimeout(done, "the subscription to complete");
  assert.deepEqual(seen, [1, 2, 3, "complete"]);
  assert.throws(() => stream.subscribe({ next: () => undefined, error: () => undefined, complete: () => undefined }), /one consumer/);
  assert.throws(() => stream[Symbol.asyncIterator](), /one consumer/);
  assert.equal(fake.disposals, 0);

  // Disposing cancels the server's stream, once, and nothing more is delivered.
  const open = new FakeStream<number>();
  const calls: number[] = [];
  const subscription = hubStream(open).subscribe({ next: (item) => calls.push(item), error: () => undefined, complete: () => undefined });
  await Promise.resolve();
  open.to.next(1);
  subscription.dispose();
  subscription.dispose();
  open.to.next(2);
  assert.deepEqual(calls, [1]);
  assert.equal(open.disposals, 1);
});

test("uploads: a Subject is passed as is, an async iterable is read item by item", async () => {
  const subject = new Subject<number>();
  assert.equal(toStreamResult(subject), subject);

  async function* numbers(): AsyncGenerator<number> {
    yield 1;
    yield 2;
  }
  const seen: (number | "complete" | Error)[] = [];
  const done = new Promise<void>((resolve) => {
    toStreamResult(numbers()).subscribe({
      next: (item) => seen.push(item),
      error: (err: unknown) => {
        seen.push(err as Error);
        resolve();
      },
      complete: () => {
        seen.push("complete");
        resolve();
      },
    });
  });
  await withTimeout(done, "the upload to complete");
  assert.deepEqual(seen, [1, 2, "complete"]);

  const failure = new Error("broken source");
  async function* failing(): AsyncGenerator<number> {
    yield 1;
    throw failure;
  }
  const errors: unknown[] = [];
  await withTimeout(
    new Promise<void>((resolve) => {
      toStreamResult(failing()).subscribe({ next: () => undefined, error: (err: unknown) => (errors.push(err), resolve()), complete: resolve });
    }),
    "the upload to fail",
  );
  assert.deepEqual(errors, [failure]);
});
