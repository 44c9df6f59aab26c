// Uses the types client generated for the MessagePack protocol (`--protocol messagepack`),
// type-checked by `tsc --strict` (see ../tsconfig.json and hub-codegen's tests): `Timestamp` and
// `Binary` values are `Date` and `Uint8Array`, everything else is as in the JSON client.

import type { HubConnection } from "@microsoft/signalr";

import { TypesHubProxy, createTypesHubConnection, type Attachment } from "../types-messagepack/index.js";

export async function typesOverMessagePack(baseUrl: string): Promise<void> {
  // The factory of a MessagePack client connects with `MessagePackHubProtocol` itself.
  const connection: HubConnection = createTypesHubConnection(baseUrl, undefined, (builder) => builder.withAutomaticReconnect());
  const hub = new TypesHubProxy(connection);
  await connection.start();

  const attachment: Attachment = {
    name: "a.bin",
    data: new Uint8Array([1, 2, 3]),
    sentAt: new Date(Date.UTC(2000, 0, 1)),
    thumbnail: null,
    readAt: new Date(),
  };
  const echoed: Attachment = await hub.echoAttachment(attachment);
  const sample: Attachment = await hub.sampleAttachment();
  const sentAt: number = sample.sentAt.getTime();
  const length: number = echoed.data.byteLength;
  const same: boolean = await hub.isSampleAttachment(sample);
  await connection.stop();
  void [sentAt, length, same];
}

// What the types refuse.
export const refused: unknown[] = [
  // @ts-expect-error: with MessagePack, bytes are a Uint8Array
  { name: "a", data: "AQID", sentAt: new Date(), thumbnail: null, readAt: null } satisfies Attachment,
  // @ts-expect-error: with MessagePack, dates are a Date
  { name: "a", data: new Uint8Array(), sentAt: "2000-01-01T00:00:00Z", thumbnail: null, readAt: null } satisfies Attachment,
];
