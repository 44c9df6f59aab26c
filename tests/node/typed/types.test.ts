// The generated types client (examples/clients/typescript/types/) against the types example: every
// construct of the type mapping round-trips, client results, server and client streams, errors,
// broadcasts and the fire-and-forget variant.

import assert from "node:assert/strict";
import test from "node:test";

import { Subject } from "@microsoft/signalr";

import {
  Color,
  TypesHubProxy,
  createTypesHubConnection,
  registerTypesClient,
  type Amount,
  type Attachment,
  type Event,
  type Everything,
  type Message,
  type Shape,
  type Tree,
  type TypesClient,
} from "../../../examples/clients/typescript/types/index.js";
import { Inbox, Scope, withTimeout, type Server } from "./support.js";

/** A value of `Everything` that uses every field (`motto`, which may be left out, included). */
const everything: Everything = {
  name: "Ada Lovelace",
  nickname: "ada",
  motto: "hello, world",
  small: 255,
  medium: -32768,
  count: -2147483648,
  flags: 4294967295,
  big: Number.MAX_SAFE_INTEGER,
  ratio: 0.5,
  precise: 0.1,
  active: true,
  initial: "λ",
  color: "sky-blue",
  palette: ["dark-red", "green", "sky-blue"],
  shape: { Circle: { radius: 2.5 } },
  event: { kind: "joined", user: "ada", room: null },
  message: { type: "Pair", data: [7, true] },
  amount: { min: 1, max: 2.5 },
  scores: { ada: 10, bob: -3 },
  byId: { "1": "one", "42": "forty-two" },
  pair: [-1, "minus one"],
  rgb: [255, 128, 0],
  address: { street: "12 St James's Square", postalCode: "SW1Y 4JH" },
  tree: {
    value: 1,
    children: [
      { value: 2, children: [{ value: 4, children: [] }] },
      { value: 3, children: [] },
    ],
  },
  extra: { list: [1, "two", null, { nested: true }], number: 1.5 },
  created: "2024-05-01T12:34:56Z",
  payload: [0, 1, 254, 255],
  attachment: {
    name: "a.bin",
    data: "AAH+/w==",
    sentAt: "2024-05-01T12:34:56.789Z",
    thumbnail: null,
    readAt: "1969-12-31T23:59:59.500Z",
  },
  legacy_code: "X-1",
  updatedBy: "bob",
  revision: 4294967295,
  distance: 12.75,
  maybeShape: { Line: [-1, 1] },
  sparse: [1, null, -1],
};

const SHAPES: Shape[] = ["Point", { Circle: { radius: 1.5 } }, { Label: "a label" }, { Line: [-3, 4] }];
const EVENTS: Event[] = [
  { kind: "started" },
  { kind: "joined", user: "ada", room: "lobby" },
  { kind: "joined", user: "bob", room: null },
  { kind: "moved", street: "Main 1", postalCode: "1000" },
];
const MESSAGES: Message[] = [
  { type: "Ping" },
  { type: "Text", data: "hi" },
  { type: "Move", data: { x: -1, y: 2 } },
  { type: "Pair", data: [255, false] },
];
const AMOUNTS: Amount[] = [1.5, "a lot", { min: -1, max: 1 }];

/** A receiver recording `ReceiveEverything` and answering `TransformShape` (circles doubled). */
function recorder(label: string): { receiver: TypesClient; received: Inbox<Everything>; asked: Inbox<Shape> } {
  const received = new Inbox<Everything>(`${label} ReceiveEverything`);
  const asked = new Inbox<Shape>(`${label} TransformShape`);
  const receiver: TypesClient = {
    receiveEverything: (value) => received.push(value),
    async transformShape(shape: Shape): Promise<Shape> {
      asked.push(shape);
      return typeof shape === "object" && "Circle" in shape ? { Circle: { radius: shape.Circle.radius * 2 } } : shape;
    },
  };
  return { receiver, received, asked };
}

async function connect(scope: Scope, server: Server, label: string) {
  const { receiver, received, asked } = recorder(label);
  const connection = await scope.start(createTypesHubConnection(server.baseUrl, undefined, scope.configure), (connection) =>
    registerTypesClient(connection, receiver),
  );
  return { connection, hub: new TypesHubProxy(connection), received, asked };
}

async function* generate<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) {
    await Promise.resolve();
    yield item;
  }
}

test("every construct of the mapping round-trips", async (t) => {
  const scope = new Scope(t);
  const server = await scope.server("types");
  const { hub } = await connect(scope, server, "ada");

  assert.deepEqual(await hub.echoEverything(everything), everything);
  // A field that may be missing stays missing (and `null` stays `null`).
  const { motto: _, ...withoutMotto } = everything;
  const echoed = await hub.echoEverything({ ...withoutMotto, nickname: null, maybeShape: null });
  assert.deepEqual(echoed, { ...withoutMotto, nickname: null, maybeShape: null });
  assert.ok(!("motto" in echoed), "a missing `motto` came back");

  for (const shape of SHAPES) {
    assert.deepEqual(await hub.echoShape(shape), shape);
  }
  for (const event of EVENTS) {
    assert.deepEqual(await hub.echoEvent(event), event);
  }
  for (const message of MESSAGES) {
    assert.deepEqual(await hub.echoMessage(message), message);
  }
  for (const amount of AMOUNTS) {
    assert.deepEqual(await hub.echoAmount(amount), amount);
  }
  assert.deepEqual(Color, ["dark-red", "green", "sky-blue"]);
  for (const color of Color) {
    assert.equal(await hub.echoColor(color), color);
  }
  assert.equal(await hub.echoOptional(null), null);
  assert.equal(await hub.echoOptional("text"), "text");
  assert.deepEqual(await hub.echoPair(-7, "seven"), [-7, "seven"]);
  const deep: Tree = { value: 0, children: [everything.tree, { value: 5, children: [everything.tree] }] };
  assert.deepEqual(await hub.echoTree(deep), deep);
  const map = { home: [everything.address], empty: [] };
  assert.deepEqual(await hub.echoMap(map), map);
  const json = { a: [1, "b", null, true, { c: 1.5 }], d: "e" };
  assert.deepEqual(await hub.echoJson(json), json);
  assert.equal(await hub.echoJson(null), null);
  const date = "2024-05-01T12:34:56.789Z";
  const echoedDate = await hub.echoDate(date);
  assert.equal(echoedDate, date);
  assert.equal(new Date(echoedDate).getTime(), new Date(date).getTime());
  assert.deepEqual(scope.clientErrors, []);
});

/** `Attachment::sample()` of the types example, as JSON carries it. */
const SAMPLE: Attachment = {
  name: "sample.bin",
  data: "AQID",
  sentAt: "2000-01-01T00:00:00Z",
  thumbnail: "/wA=",
  readAt: "2000-01-01T00:00:00.500Z",
};

test("Attachment: bytes are base64 strings and dates RFC 3339 strings with JSON", async (t) => {
  const scope = new Scope(t);
  const server = await scope.server("types");
  const { hub } = await connect(scope, server, "ada");
  // Made by the server.
  assert.deepEqual(await hub.sampleAttachment(), SAMPLE);
  // Read by the server: equal to what it made.
  assert.equal(await hub.isSampleAttachment(SAMPLE), true);
  assert.equal(await hub.isSampleAttachment({ ...SAMPLE, data: "AQIE" }), false);
  // Other spellings of the same values are read too (JavaScript's 3 fraction digits, an offset).
  assert.equal(
    await hub.isSampleAttachment({ ...SAMPLE, sentAt: "2000-01-01T01:00:00.000+01:00", thumbnail: "/wA" }),
    true,
  );
  assert.deepEqual(await hub.echoAttachment(everything.attachment), everything.attachment);
  await assert.rejects(hub.echoAttachment({ ...SAMPLE, data: "not base64!" }), /Failed to invoke 'EchoAttachment' due to an error on the server/);
  assert.deepEqual(scope.clientErrors, []);
});

test("Checked: results, and the HubException message as the rejection", async (t) => {
  const scope = new Scope(t);
  const server = await scope.server("types");
  const { hub } = await connect(scope, server, "ada");
  assert.equal(await hub.checked(5, 10), 5);
  await assert.rejects(hub.checked(11, 10), (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.equal(err.message, "An unexpected error occurred invoking 'Checked' on the server. HubException: 11 exceeds 10");
    return true;
  });
  // The connection survives the error.
  assert.equal(await hub.checked(10, 10), 10);
});

test("TransformByCaller: the receiver's client result", async (t) => {
  const scope = new Scope(t);
  const server = await scope.server("types");
  const { hub, asked } = await connect(scope, server, "ada");
  assert.deepEqual(await hub.transformByCaller({ Circle: { radius: 2 } }), { Circle: { radius: 4 } });
  assert.deepEqual(await hub.transformByCaller({ Label: "same" }), { Label: "same" });
  assert.deepEqual(asked.items, [{ Circle: { radius: 2 } }, { Label: "same" }]);
  assert.deepEqual(scope.clientErrors, []);
});

test("StreamShapes: for await, early exit and subscribe", async (t) => {
  const scope = new Scope(t);
  const server = await scope.server("types");
  const { hub } = await connect(scope, server, "ada");

  const items: Shape[] = [];
  await withTimeout(
    (async () => {
      for await (const shape of hub.streamShapes(SHAPES)) {
        items.push(shape);
      }
    })(),
    "the stream to complete",
  );
  assert.deepEqual(items, SHAPES);

  // Items that arrive before the loop starts are kept (the official Subject would drop them).
  const late = hub.streamShapes(SHAPES);
  assert.equal(await hub.echoColor("green"), "green"); // the stream's items arrived meanwhile
  const lateItems: Shape[] = [];
  for await (const shape of late) {
    lateItems.push(shape);
  }
  assert.deepEqual(lateItems, SHAPES);

  // An empty stream ends at once.
  for await (const shape of hub.streamShapes([])) {
    assert.fail(`unexpected ${JSON.stringify(shape)}`);
  }

  // Leaving the loop early disposes the subscription; the connection goes on.
  let first: Shape | undefined;
  for await (const shape of hub.streamShapes(SHAPES)) {
    first = shape;
    break;
  }
  assert.deepEqual(first, SHAPES[0]);
  assert.equal(await hub.echoColor("green"), "green");

  // The official subscribe still works.
  const subscribed = new Inbox<Shape>("subscribe");
  const completed = new Promise<void>((resolve, reject) => {
    hub.streamShapes(SHAPES).subscribe({ next: (shape) => subscribed.push(shape), error: reject, complete: resolve });
  });
  await withTimeout(completed, "the subscription to complete");
  assert.deepEqual(subscribed.items, SHAPES);
  assert.deepEqual(scope.clientErrors, []);
});

test("CollectShapes: client streams from a Subject and from async iterables", async (t) => {
  const scope = new Scope(t);
  const server = await scope.server("types");
  const { hub } = await connect(scope, server, "ada");

  const subject = new Subject<Shape>();
  const collected = hub.collectShapes(subject);
  for (const shape of SHAPES) {
    subject.next(shape);
  }
  subject.complete();
  assert.deepEqual(await withTimeout(collected, "CollectShapes of a Subject"), SHAPES);

  assert.deepEqual(await withTimeout(hub.collectShapes(generate(SHAPES)), "CollectShapes of a generator"), SHAPES);
  assert.deepEqual(await withTimeout(hub.collectShapes(generate([])), "CollectShapes of nothing"), []);

  // An iterable that throws fails the upload, and so the call, with its message.
  async function* failing(): AsyncGenerator<Shape> {
    yield "Point";
    throw new Error("the source broke");
  }
  await assert.rejects(withTimeout(hub.collectShapes(failing()), "a failed upload"), /the source broke/);
  assert.deepEqual(scope.clientErrors, []);
});

test("BroadcastEverything reaches every client's receiveEverything, invoked and sent", async (t) => {
  const scope = new Scope(t);
  const server = await scope.server("types");
  const ada = await connect(scope, server, "ada");
  const bob = await connect(scope, server, "bob");

  await ada.hub.broadcastEverything(everything);
  for (const someone of [ada, bob]) {
    const { item } = await someone.received.find(() => true, "ReceiveEverything");
    assert.deepEqual(item, everything);
  }
  const second: Everything = { ...everything, name: "sent", shape: "Point" };
  await bob.hub.send.broadcastEverything(second);
  for (const someone of [ada, bob]) {
    const { item } = await someone.received.find((value) => value.name === "sent", "the sent ReceiveEverything");
    assert.deepEqual(item, second);
  }
  assert.deepEqual(scope.clientErrors, []);
});

test("only methods without a result have a fire-and-forget variant", async (t) => {
  const scope = new Scope(t);
  const server = await scope.server("types");
  const { hub } = await connect(scope, server, "ada");
  // BroadcastEverything returns nothing; every other method returns a value or streams.
  assert.deepEqual(Object.keys(hub.send), ["broadcastEverything"]);
  // @ts-expect-error: EchoShape returns its argument: no variant would see it
  assert.equal(hub.send.echoShape, undefined);
  // @ts-expect-error: CollectShapes uploads, but returns what it collected
  assert.equal(hub.send.collectShapes, undefined);
  assert.deepEqual(scope.clientErrors, []);
});
