// Bytes and dates through the official client, in both hub protocols: the types example's
// `Attachment` holds `hub_runtime::Binary` and `Timestamp` fields, which MessagePack carries as
// bin and timestamp extensions (`Uint8Array` and `Date` in JavaScript, as ASP.NET Core writes
// `byte[]` and `DateTime`) and JSON as base64 and RFC 3339 strings.
//
// `SampleAttachment` returns a value the server made, `IsSampleAttachment` says whether the
// argument the server read equals it, and `EchoAttachment` sends its argument back: so each
// direction is checked on its own, and the round trip too.
//
// Run: cargo build -p types && TYPES_BIN=target/debug/types node --test bytes-and-dates.test.mjs

import assert from "node:assert/strict";
import test from "node:test";

import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

import { TEST_TIMEOUT_MS, scope, signalR } from "./harness.mjs";

const opts = { timeout: TEST_TIMEOUT_MS };

/** 2000-01-01T00:00:00Z: 946684800 s, the 32-bit timestamp `d6 ff 38 6d 43 80`. */
const Y2K = Date.UTC(2000, 0, 1);

/** `Attachment::sample()` of the types example, as the MessagePack client reads it. */
const SAMPLE = {
  name: "sample.bin",
  data: new Uint8Array([1, 2, 3]),
  sentAt: new Date(Y2K),
  thumbnail: new Uint8Array([0xff, 0x00]),
  readAt: new Date(Y2K + 500),
};

/** The same as the JSON protocol carries it. */
const SAMPLE_JSON = {
  name: "sample.bin",
  data: "AQID",
  sentAt: "2000-01-01T00:00:00Z",
  thumbnail: "/wA=",
  readAt: "2000-01-01T00:00:00.500Z",
};

/** The MessagePack value bytes of the sample's fields. */
const WIRE = {
  data: [0xc4, 0x03, 0x01, 0x02, 0x03],
  thumbnail: [0xc4, 0x02, 0xff, 0x00],
  sentAt: [0xd6, 0xff, 0x38, 0x6d, 0x43, 0x80],
  // 64-bit: 500,000,000 ns in the upper 30 bits, 946,684,800 s in the lower 34.
  readAt: [0xd7, 0xff, ...bigEndian((500_000_000n << 34n) | 946_684_800n, 8)],
};

function bigEndian(value, length) {
  const bytes = [];
  for (let i = 0; i < length; i++) {
    bytes.unshift(Number(value & 0xffn));
    value >>= 8n;
  }
  return bytes;
}

/** The official MessagePack protocol, keeping a copy of every buffer it sends and parses. */
class RecordingMessagePackProtocol extends MessagePackHubProtocol {
  constructor() {
    super();
    this.sent = [];
    this.received = [];
  }

  parseMessages(input, logger) {
    this.received.push(new Uint8Array(input.slice(0)));
    return super.parseMessages(input, logger);
  }

  writeMessage(message) {
    const bytes = super.writeMessage(message);
    this.sent.push(new Uint8Array(bytes.slice(0)));
    return bytes;
  }
}

/** Whether one of `buffers` contains the byte sequence `needle`. */
function contains(buffers, needle) {
  return buffers.some((buffer) => {
    outer: for (let at = 0; at + needle.length <= buffer.length; at++) {
      for (let i = 0; i < needle.length; i++) {
        if (buffer[at + i] !== needle[i]) continue outer;
      }
      return true;
    }
    return false;
  });
}

function hex(bytes) {
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

async function connect(s, server, protocol) {
  return s.connect(server, {
    label: protocol ? "msgpack client" : "json client",
    events: [],
    configure: protocol ? (builder) => builder.withHubProtocol(protocol) : undefined,
  });
}

test("MessagePack: the server's bytes and dates arrive as Uint8Array and Date (bin, timestamps)", opts, async (t) => {
  const s = scope(t);
  const server = await s.server({ example: "types" });
  const protocol = new RecordingMessagePackProtocol();
  const client = await connect(s, server, protocol);

  const sample = await client.invoke("SampleAttachment");
  assert.ok(sample.data instanceof Uint8Array, `data is ${Object.prototype.toString.call(sample.data)}`);
  assert.ok(sample.sentAt instanceof Date, `sentAt is ${Object.prototype.toString.call(sample.sentAt)}`);
  assert.deepEqual(sample, SAMPLE);
  assert.equal(sample.sentAt.toISOString(), "2000-01-01T00:00:00.000Z");
  assert.equal(sample.readAt.toISOString(), "2000-01-01T00:00:00.500Z");
  for (const [field, bytes] of Object.entries(WIRE)) {
    assert.ok(contains(protocol.received, bytes), `the server did not write ${field} as ${hex(bytes)}`);
  }
});

test("MessagePack: a Uint8Array and a Date from the client bind, and come back equal", opts, async (t) => {
  const s = scope(t);
  const server = await s.server({ example: "types" });
  const protocol = new RecordingMessagePackProtocol();
  const client = await connect(s, server, protocol);

  // The server read exactly the values it makes itself.
  assert.equal(await client.invoke("IsSampleAttachment", SAMPLE), true);
  assert.equal(await client.invoke("IsSampleAttachment", { ...SAMPLE, sentAt: new Date(Y2K + 1) }), false);
  for (const [field, bytes] of Object.entries(WIRE)) {
    assert.ok(contains(protocol.sent, bytes), `the client did not write ${field} as ${hex(bytes)}`);
  }

  // Round trips: the three timestamp layouts (before 1970 and after 2514 are 96-bit), bin 16.
  const values = [
    SAMPLE,
    {
      name: "big",
      data: Uint8Array.from({ length: 300 }, (_, i) => i % 256),
      sentAt: new Date(-1500),
      thumbnail: null,
      readAt: new Date(Date.UTC(2600, 0, 1, 12, 0, 0, 999)),
    },
    { name: "empty", data: new Uint8Array(), sentAt: new Date(0), thumbnail: new Uint8Array(), readAt: null },
  ];
  for (const value of values) {
    const echoed = await client.invoke("EchoAttachment", value);
    assert.ok(echoed.data instanceof Uint8Array && echoed.sentAt instanceof Date);
    assert.deepEqual(echoed, value);
  }
});

test("JSON: the same methods with base64 and RFC 3339 strings", opts, async (t) => {
  const s = scope(t);
  const server = await s.server({ example: "types" });
  const client = await connect(s, server, undefined);

  assert.deepEqual(await client.invoke("SampleAttachment"), SAMPLE_JSON);
  assert.equal(await client.invoke("IsSampleAttachment", SAMPLE_JSON), true);
  // A `Date` is sent as its `toJSON()` text, which is read too.
  assert.equal(await client.invoke("IsSampleAttachment", { ...SAMPLE_JSON, sentAt: new Date(Y2K) }), true);
  const value = { name: "x", data: "AAH+/w==", sentAt: "1969-12-31T23:59:58.500Z", thumbnail: null, readAt: null };
  assert.deepEqual(await client.invoke("EchoAttachment", value), value);
});

test("MessagePack: a plain chrono DateTime<Utc> (not wrapped) stays an RFC 3339 string", opts, async (t) => {
  const s = scope(t);
  const server = await s.server({ example: "types" });
  const client = await connect(s, server, new MessagePackHubProtocol());

  assert.equal(await client.invoke("EchoDate", "2000-01-01T00:00:00Z"), "2000-01-01T00:00:00Z");
  // A timestamp does not bind to it: wrap the field in `hub_runtime::Timestamp` for that.
  await assert.rejects(client.invoke("EchoDate", new Date(Y2K)), (err) => {
    assert.match(err.message, /Failed to invoke 'EchoDate' due to an error on the server/);
    return true;
  });
  assert.equal(client.connection.state, signalR.HubConnectionState.Connected);
});
