// The generated chat client (examples/clients/typescript/chat/) against the chat example: the
// connection factory (the URL it builds, the options it passes on), every hub method (invoked and
// sent) and every receiver, with two clients. Every connection comes from the factory.

import assert from "node:assert/strict";
import test from "node:test";

import type { HubConnection } from "@microsoft/signalr";

import {
  CHAT_HUB_PATH,
  ChatHubProxy,
  createChatHubConnection,
  registerChatClient,
  type ChatClient,
} from "../../../examples/clients/typescript/chat/index.js";
import { Inbox, Scope, withTimeout, type Server } from "./support.js";

/** One call of a receiver method: its name and arguments. */
type Call = { [K in keyof ChatClient]: { method: K; args: Parameters<ChatClient[K]> } }[keyof ChatClient];

/** A receiver that records every call. */
function recorder(label: string): { receiver: ChatClient; calls: Inbox<Call> } {
  const calls = new Inbox<Call>(label);
  const receiver: ChatClient = {
    receiveMessage: (...args) => calls.push({ method: "receiveMessage", args }),
    userJoined: (...args) => calls.push({ method: "userJoined", args }),
    userLeft: (...args) => calls.push({ method: "userLeft", args }),
    userConnected: (...args) => calls.push({ method: "userConnected", args }),
    userDisconnected: (...args) => calls.push({ method: "userDisconnected", args }),
    receiveNotification: (...args) => calls.push({ method: "receiveNotification", args }),
  };
  return { receiver, calls };
}

interface Client {
  connection: HubConnection;
  hub: ChatHubProxy;
  calls: Inbox<Call>;
  id: string;
}

async function client(scope: Scope, server: Server, label: string): Promise<Client> {
  const { receiver, calls } = recorder(label);
  const connection = await scope.start(createChatHubConnection(server.baseUrl, undefined, scope.configure), (connection) =>
    registerChatClient(connection, receiver),
  );
  const id = connection.connectionId;
  assert.ok(id, "a connection id");
  return { connection, hub: new ChatHubProxy(connection), calls, id };
}

/** Waits for the call `method(...args)` on `client`, from index `from`; resolves with its index. */
async function received(client: Client, method: Call["method"], args: unknown[], from = 0): Promise<number> {
  const found = await client.calls.find(
    (call) => call.method === method && JSON.stringify(call.args) === JSON.stringify(args),
    `${method}(${args.map((arg) => JSON.stringify(arg)).join(", ")})`,
    from,
  );
  return found.index;
}

/**
 * Proves that `client` received nothing from index `from` on but calls that `allowed` accepts:
 * sends a marker message to everybody (the server keeps each connection's order) and checks what
 * arrived before it.
 */
async function nothingElseSince(client: Client, from: number, allowed: (call: Call) => boolean = () => false): Promise<void> {
  const marker = `marker-${Math.random()}`;
  await client.hub.sendMessage("marker", marker);
  const index = await received(client, "receiveMessage", ["marker", marker], from);
  const unexpected = client.calls.items.slice(from, index).filter((call) => !allowed(call));
  assert.deepEqual(unexpected, [], `${client.calls.label} received calls meant for others`);
}

test("every chat method and receiver, with two clients", async (t) => {
  const scope = new Scope(t);
  const server = await scope.server("chat");
  const ada = await client(scope, server, "ada");
  await received(ada, "userConnected", [ada.id]);
  const bob = await client(scope, server, "bob");
  await received(ada, "userConnected", [bob.id]);
  await received(bob, "userConnected", [bob.id]);

  // SendMessage reaches everybody.
  await ada.hub.sendMessage("ada", "hello");
  await received(ada, "receiveMessage", ["ada", "hello"]);
  await received(bob, "receiveMessage", ["ada", "hello"]);

  // Echo answers.
  assert.equal(await ada.hub.echo("ping"), "ping");

  // Groups: JoinGroup tells the members, the caller included.
  await ada.hub.joinGroup("rust");
  await received(ada, "userJoined", [ada.id, "rust"]);
  await bob.hub.joinGroup("rust");
  await received(ada, "userJoined", [bob.id, "rust"]);
  await received(bob, "userJoined", [bob.id, "rust"]);
  await ada.hub.sendMessageToGroup("rust", "ada", "to the group");
  await received(ada, "receiveMessage", ["ada", "to the group"]);
  await received(bob, "receiveMessage", ["ada", "to the group"]);

  // LeaveGroup tells the remaining members; the group's messages stop reaching the leaver.
  const adaBeforeLeaving = ada.calls.items.length;
  await ada.hub.leaveGroup("rust");
  await received(bob, "userLeft", [ada.id, "rust"]);
  await ada.hub.sendMessageToGroup("rust", "ada", "only bob");
  await received(bob, "receiveMessage", ["ada", "only bob"]);
  await nothingElseSince(ada, adaBeforeLeaving);

  // Broadcast: everybody but the caller.
  const adaBeforeBroadcast = ada.calls.items.length;
  await ada.hub.broadcast("to the others");
  await received(bob, "receiveMessage", [ada.id, "to the others"]);
  await nothingElseSince(ada, adaBeforeBroadcast);

  // Whisper: one connection.
  const adaBeforeWhisper = ada.calls.items.length;
  await ada.hub.whisper(bob.id, "psst");
  await received(bob, "receiveMessage", [ada.id, "psst"]);
  await nothingElseSince(ada, adaBeforeWhisper);

  // ReceiveNotification, from the HTTP endpoint.
  const response = await fetch(`${server.baseUrl}/api/notifications/broadcast`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify("deploy done"),
  });
  assert.equal(response.status, 202);
  for (const someone of [ada, bob]) {
    const { item } = await someone.calls.find((call) => call.method === "receiveNotification", "a notification");
    assert.equal(item.method, "receiveNotification");
    const [notification] = item.method === "receiveNotification" ? item.args : [];
    assert.equal(notification?.message, "deploy done");
    assert.ok(!Number.isNaN(Date.parse(notification?.timestamp ?? "")), `an RFC 3339 timestamp: ${notification?.timestamp}`);
  }

  // UserDisconnected.
  await bob.connection.stop();
  await received(ada, "userDisconnected", [bob.id]);
  assert.deepEqual(scope.clientErrors, []);
});

test("the fire-and-forget variants in `send`", async (t) => {
  const scope = new Scope(t);
  const server = await scope.server("chat");
  const ada = await client(scope, server, "ada");
  const bob = await client(scope, server, "bob");

  await withTimeout(ada.hub.send.sendMessage("ada", "sent"), "send.sendMessage");
  await received(bob, "receiveMessage", ["ada", "sent"]);
  await ada.hub.send.joinGroup("rust");
  await received(ada, "userJoined", [ada.id, "rust"]);
  await bob.hub.send.joinGroup("rust");
  await received(ada, "userJoined", [bob.id, "rust"]);
  await ada.hub.send.sendMessageToGroup("rust", "ada", "group, sent");
  await received(bob, "receiveMessage", ["ada", "group, sent"]);
  await ada.hub.send.leaveGroup("rust");
  await received(bob, "userLeft", [ada.id, "rust"]);
  await ada.hub.send.broadcast("others, sent");
  await received(bob, "receiveMessage", [ada.id, "others, sent"]);
  await ada.hub.send.whisper(bob.id, "psst, sent");
  await received(bob, "receiveMessage", [ada.id, "psst, sent"]);
  // Echo returns a value: it has no fire-and-forget variant.
  assert.deepEqual(Object.keys(ada.hub.send), ["sendMessage", "sendMessageToGroup", "joinGroup", "leaveGroup", "broadcast", "whisper"]);
  // @ts-expect-error: no `send.echo`
  assert.equal(ada.hub.send.echo, undefined);
  // Every variant really was fire-and-forget: the connection is still in order.
  assert.equal(await ada.hub.echo("still there"), "still there");
  assert.deepEqual(scope.clientErrors, []);
});

test("the function registerChatClient returns removes exactly its handlers", async (t) => {
  const scope = new Scope(t);
  const server = await scope.server("chat");
  const first = recorder("first");
  const second = recorder("second");
  let unregisterFirst: () => void = () => undefined;
  const connection = await scope.start(createChatHubConnection(server.baseUrl, undefined, scope.configure), (connection) => {
    unregisterFirst = registerChatClient(connection, first.receiver);
    registerChatClient(connection, second.receiver);
  });
  const hub = new ChatHubProxy(connection);

  await hub.sendMessage("ada", "both");
  await first.calls.find((call) => call.method === "receiveMessage", "the first message on the first receiver");
  await second.calls.find((call) => call.method === "receiveMessage", "the first message on the second receiver");

  unregisterFirst();
  const firstCount = first.calls.items.length;
  await hub.sendMessage("ada", "second only");
  // The handlers run in registration order: had the first still been registered, it would have
  // been called before the second.
  await second.calls.find(
    (call) => call.method === "receiveMessage" && call.args[1] === "second only",
    "the second message on the second receiver",
  );
  assert.equal(first.calls.items.length, firstCount, "the unregistered receiver was called");
  assert.deepEqual(scope.clientErrors, []);
});

test("createChatHubConnection: a base URL without trailing slashes, followed by the hub's path", () => {
  assert.equal(CHAT_HUB_PATH, "/hubs/chat");
  const cases: [base: string, url: string][] = [
    ["http://127.0.0.1:5000", "http://127.0.0.1:5000/hubs/chat"],
    ["http://127.0.0.1:5000/", "http://127.0.0.1:5000/hubs/chat"],
    ["http://127.0.0.1:5000//", "http://127.0.0.1:5000/hubs/chat"],
    // A path prefix is kept (where `new URL(CHAT_HUB_PATH, base)` would drop it).
    ["https://example.com/app", "https://example.com/app/hubs/chat"],
    ["https://example.com/app/", "https://example.com/app/hubs/chat"],
    ["https://example.com/nested/app/", "https://example.com/nested/app/hubs/chat"],
  ];
  for (const [base, url] of cases) {
    assert.equal(createChatHubConnection(base).baseUrl, url, base);
  }
  // `configure` runs first: a `withUrl` there does not change the hub's URL.
  const configured = createChatHubConnection("http://127.0.0.1:5000", undefined, (builder) => {
    builder.withUrl("http://elsewhere.example/other");
  });
  assert.equal(configured.baseUrl, "http://127.0.0.1:5000/hubs/chat");
});

test("a connection of createChatHubConnection, with HTTP options and builder settings, calls the hub", async (t) => {
  const scope = new Scope(t);
  const server = await scope.server("chat");
  let tokens = 0;
  const connection = createChatHubConnection(
    `${server.baseUrl}/`,
    {
      accessTokenFactory: () => {
        tokens += 1;
        return "a token";
      },
    },
    (builder) => {
      scope.configure(builder);
      builder.withServerTimeout(45_000);
    },
  );
  assert.equal(connection.baseUrl, server.hubUrl);
  assert.equal(connection.serverTimeoutInMilliseconds, 45_000, "the builder setting of `configure`");
  const { receiver, calls } = recorder("factory");
  await scope.start(connection, (connection) => registerChatClient(connection, receiver));
  assert.ok(tokens > 0, "the access token factory of `options` was asked");

  const hub = new ChatHubProxy(connection);
  assert.equal(await hub.echo("through the factory"), "through the factory");
  await hub.send.sendMessage("ada", "sent through the factory");
  await calls.find(
    (call) => call.method === "receiveMessage" && call.args[1] === "sent through the factory",
    "the message sent through the factory's connection",
  );
  assert.deepEqual(scope.clientErrors, []);
});
