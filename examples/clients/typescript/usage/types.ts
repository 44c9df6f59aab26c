// Uses every API of the generated types client, type-checked by `tsc --strict` (see ../tsconfig.json
// and hub-codegen's tests); tests/node/typed/ runs them against the types example.

import { Subject, type HubConnection, type IStreamResult } from "@microsoft/signalr";

import {
  Color,
  TypesHubProxy,
  createTypesHubConnection,
  registerTypesClient,
  type Address,
  type Amount,
  type Attachment,
  type Event,
  type Everything,
  type HubStream,
  type HubStreamSource,
  type Message,
  type Meters,
  type Shape,
  type Tree,
  type TypesClient,
} from "../types/index.js";

export const everything: Everything = {
  name: "ada",
  nickname: null,
  motto: "hello", // may be left out; `nickname` may not
  small: 255,
  medium: -32768,
  count: 7,
  flags: 4294967295,
  big: Number.MAX_SAFE_INTEGER,
  ratio: 0.5,
  precise: 0.1,
  active: true,
  initial: "a",
  color: "sky-blue",
  palette: [...Color],
  shape: { Circle: { radius: 1.5 } },
  event: { kind: "joined", user: "ada", room: null },
  message: { type: "Move", data: { x: 1, y: -1 } },
  amount: { min: 1, max: 2 },
  scores: { ada: 1 },
  byId: { "1": "one" },
  pair: [1, "one"],
  rgb: [1, 2, 3],
  address: { street: "Main 1", postalCode: "1000" },
  tree: { value: 1, children: [{ value: 2, children: [] }] },
  extra: { any: ["json", 1, null] },
  created: new Date(0).toISOString(),
  payload: [0, 255],
  // JSON: bytes are base64 strings, dates RFC 3339 strings (see types-messagepack.ts for MessagePack).
  attachment: { name: "a.bin", data: "AQID", sentAt: "2000-01-01T00:00:00Z", thumbnail: null, readAt: null },
  legacy_code: "x",
  updatedBy: "bob",
  revision: 3,
  distance: 12.5,
  maybeShape: null,
  sparse: [1, null],
};

// Every variant of every enum.
export const shapes: Shape[] = ["Point", { Circle: { radius: 1 } }, { Label: "a" }, { Line: [1, 2] }];
export const events: Event[] = [
  { kind: "started" },
  { kind: "joined", user: "ada", room: "lobby" },
  { kind: "moved", street: "Main 1", postalCode: "1000" },
];
export const messages: Message[] = [
  { type: "Ping" },
  { type: "Text", data: "hi" },
  { type: "Move", data: { x: 1, y: 2 } },
  { type: "Pair", data: [1, true] },
];
export const amounts: Amount[] = [1.5, "a lot", { min: 1, max: 2 }];

/** Narrowing on the tags works as for any discriminated union. */
export function describe(shape: Shape, event: Event, message: Message): string {
  const s = typeof shape === "string" ? shape : "Circle" in shape ? `r=${shape.Circle.radius}` : "Label" in shape ? shape.Label : `${shape.Line[0]}`;
  const e = event.kind === "joined" ? event.user : event.kind === "moved" ? event.postalCode : "started";
  const m = message.type === "Pair" ? `${message.data[0]} ${message.data[1]}` : message.type;
  return `${s} ${e} ${m}`;
}

export async function types(baseUrl: string): Promise<void> {
  const connection: HubConnection = createTypesHubConnection(baseUrl);
  const hub = new TypesHubProxy(connection);

  // A receiver with a client result (`transformShape`): its return value goes back to the server.
  const receiver: TypesClient = {
    receiveEverything(value: Everything): void {
      void value.name;
    },
    async transformShape(shape: Shape): Promise<Shape> {
      return typeof shape === "object" && "Circle" in shape ? { Circle: { radius: shape.Circle.radius * 2 } } : shape;
    },
  };
  const unregister = registerTypesClient(connection, receiver);
  await connection.start();

  const value: Everything = await hub.echoEverything(everything);
  const shape: Shape = await hub.echoShape("Point");
  const event: Event = await hub.echoEvent({ kind: "started" });
  const message: Message = await hub.echoMessage({ type: "Ping" });
  const amount: Amount = await hub.echoAmount(1);
  const color: Color = await hub.echoColor("dark-red");
  const optional: string | null = await hub.echoOptional(null);
  const pair: [number, string] = await hub.echoPair(1, "one");
  const tree: Tree = await hub.echoTree({ value: 1, children: [] });
  const map: Record<string, Address[]> = await hub.echoMap({ home: [everything.address] });
  const json: unknown = await hub.echoJson({ nested: [1, "two"] });
  const date: string = await hub.echoDate(new Date().toISOString());
  const attachment: Attachment = await hub.echoAttachment(everything.attachment);
  const sample: Attachment = await hub.sampleAttachment();
  const isSample: boolean = await hub.isSampleAttachment(sample);
  const checked: number = await hub.checked(1, 10);
  await hub.broadcastEverything(everything);
  const transformed: Shape = await hub.transformByCaller({ Circle: { radius: 1 } });

  // A server stream: `for await`, or the official `subscribe`.
  const stream: HubStream<Shape> = hub.streamShapes(shapes);
  for await (const item of stream) {
    if (item === "Point") {
      break; // cancels the stream on the server
    }
  }
  const subscribable: IStreamResult<Shape> = hub.streamShapes(shapes);
  const subscription = subscribable.subscribe({
    next: (item: Shape) => void item,
    error: (err: unknown) => void err,
    complete: () => undefined,
  });
  subscription.dispose();

  // A client stream: a Subject, or any async iterable.
  const subject = new Subject<Shape>();
  const collected: Promise<Shape[]> = hub.collectShapes(subject);
  subject.next("Point");
  subject.complete();
  await collected;
  async function* generate(): AsyncGenerator<Shape> {
    yield* shapes;
  }
  const source: HubStreamSource<Shape> = generate();
  const uploaded: Shape[] = await hub.collectShapes(source);

  // The fire-and-forget variant of the one method without a result (a method that returns a
  // value, a server stream, or an upload with a result has none).
  await hub.send.broadcastEverything(everything);

  unregister();
  await connection.stop();
  const distance: Meters = value.distance;
  const bytes: string = attachment.data;
  void [shape, event, message, amount, color, optional, pair, tree, map, json, date, isSample, bytes, checked, transformed, uploaded, distance];
}

// What the types refuse.
export const refused: unknown[] = [
  // @ts-expect-error: `nickname` may be null but not missing
  { ...everything, nickname: undefined } satisfies Everything,
  // @ts-expect-error: not a colour
  "red" satisfies Color,
  // @ts-expect-error: a variant's data must match
  { Circle: { radius: "big" } } satisfies Shape,
  // @ts-expect-error: an unknown tag
  { kind: "left" } satisfies Event,
  // @ts-expect-error: adjacent content is required
  { type: "Text" } satisfies Message,
  // @ts-expect-error: with JSON, bytes are base64 strings
  { ...everything.attachment, data: new Uint8Array([1]) } satisfies Attachment,
  // @ts-expect-error: server streams have no fire-and-forget variant
  (hub: TypesHubProxy) => hub.send.streamShapes([]),
  // @ts-expect-error: nor have methods with a result
  (hub: TypesHubProxy) => hub.send.echoShape("Point"),
  // @ts-expect-error: uploads with a result included
  (hub: TypesHubProxy) => hub.send.collectShapes(new Subject<Shape>()),
];
