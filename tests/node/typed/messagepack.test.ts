// The types client generated for the MessagePack protocol (examples/clients/typescript/types-messagepack/,
// `hub-codegen typescript --protocol messagepack`) against the types example, connected by its
// factory, which sets `MessagePackHubProtocol`: the values its types call `Date` and `Uint8Array`
// arrive as such, and the server reads them back.

import assert from "node:assert/strict";
import test from "node:test";

import {
  TypesHubProxy,
  createTypesHubConnection,
  type Attachment,
  type Shape,
} from "../../../examples/clients/typescript/types-messagepack/index.js";
import { Scope } from "./support.js";

/** `Attachment::sample()` of the types example. */
const SAMPLE: Attachment = {
  name: "sample.bin",
  data: new Uint8Array([1, 2, 3]),
  sentAt: new Date(Date.UTC(2000, 0, 1)),
  thumbnail: new Uint8Array([0xff, 0x00]),
  readAt: new Date(Date.UTC(2000, 0, 1, 0, 0, 0, 500)),
};

test("Attachment: Date and Uint8Array values, as the generated types say", async (t) => {
  const scope = new Scope(t);
  const server = await scope.server("types");
  // The factory of the MessagePack client sets the protocol itself.
  const connection = await scope.start(createTypesHubConnection(server.baseUrl, undefined, scope.configure));
  const hub = new TypesHubProxy(connection);

  const sample: Attachment = await hub.sampleAttachment();
  assert.ok(sample.data instanceof Uint8Array);
  assert.ok(sample.sentAt instanceof Date);
  assert.ok(sample.thumbnail instanceof Uint8Array);
  assert.ok(sample.readAt instanceof Date);
  assert.deepEqual(sample, SAMPLE);
  const millis: number = sample.sentAt.getTime() + (sample.readAt?.getTime() ?? 0);
  assert.equal(millis, 2 * Date.UTC(2000, 0, 1) + 500);

  assert.equal(await hub.isSampleAttachment(SAMPLE), true);
  const mine: Attachment = { name: "mine", data: new Uint8Array([9]), sentAt: new Date(-1), thumbnail: null, readAt: null };
  assert.deepEqual(await hub.echoAttachment(mine), mine);

  // The rest of the mapping is the same as with JSON.
  const shape: Shape = { Line: [-1, 2] };
  assert.deepEqual(await hub.echoShape(shape), shape);
  assert.deepEqual(scope.clientErrors, []);
});
