// examples/auth with the official @microsoft/signalr client: JWT bearer tokens through
// `accessTokenFactory` over WebSockets, Server-Sent Events and long polling; the tokens the hub
// must refuse (401 on negotiate and on every transport's own request); roles on a method;
// messages to every connection of one user; connection tokens bound to their user (403); and
// connections closed when their token expires.
//
// The tests sign their own tokens with the secret they start the server with, so that they can
// also make the bad ones (another key, expired, another audience or issuer, `alg: none`).

import assert from "node:assert/strict";
import crypto from "node:crypto";
import { test } from "node:test";

import { EVENT_TIMEOUT_MS, TEST_TIMEOUT_MS, WebSocket, expectRejection, scope, signalR, withTimeout } from "./harness.mjs";

const opts = { timeout: TEST_TIMEOUT_MS };

const SECRET = crypto.randomBytes(32).toString("hex");
const ISSUER = "hub-auth-example";
const AUDIENCE = "hub-auth-example-clients";
const EVENTS = ["ReceiveMessage", "AdminMessage", "PrivateMessage"];

const TRANSPORTS = {
  WebSockets: signalR.HttpTransportType.WebSockets,
  ServerSentEvents: signalR.HttpTransportType.ServerSentEvents,
  LongPolling: signalR.HttpTransportType.LongPolling,
};

/** A compact JWS of `claims`, HS256 with `secret` (or unsigned with `alg: "none"`). */
function jwt(claims, { secret = SECRET, alg = "HS256" } = {}) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signed = `${encode({ alg, typ: "JWT" })}.${encode(claims)}`;
  if (alg === "none") return `${signed}.`;
  return `${signed}.${crypto.createHmac("sha256", secret).update(signed).digest("base64url")}`;
}

/** Valid claims for `sub`, with `changes` applied. */
function claims(sub, changes = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { sub, name: sub, roles: [], iss: ISSUER, aud: AUDIENCE, iat: now, nbf: now, exp: now + 600, ...changes };
}

/** Every kind of token the hub must refuse with 401. */
function badTokens() {
  const hourAgo = Math.floor(Date.now() / 1000) - 3600;
  return {
    "a bad signature": jwt(claims("mallory"), { secret: crypto.randomBytes(32).toString("hex") }),
    "an expired token": jwt(claims("mallory", { iat: hourAgo - 600, nbf: hourAgo - 600, exp: hourAgo })),
    "another audience": jwt(claims("mallory", { aud: "some-other-app" })),
    "another issuer": jwt(claims("mallory", { iss: "https://issuer.invalid" })),
    "alg none": jwt(claims("mallory"), { alg: "none" }),
    "no token": undefined,
  };
}

function server(s, args = []) {
  return s.server({ example: "auth", args: ["--secret", SECRET, ...args] });
}

/** A token from the example's demo issuer. */
async function issued(server, user, roles = []) {
  const response = await fetch(`${server.baseUrl}/api/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user, roles }),
  });
  assert.equal(response.status, 200, "the demo issuer answers");
  const { token } = await response.json();
  assert.equal(typeof token, "string");
  return token;
}

function connect(s, server, label, token, transport = TRANSPORTS.WebSockets) {
  return s.connect(server, {
    label,
    events: EVENTS,
    options: { accessTokenFactory: () => token, transport },
  });
}

/** Negotiates as `token`'s user; the connection token. */
async function negotiate(server, token) {
  const response = await fetch(`${server.hubUrl}/negotiate?negotiateVersion=1`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 200, "negotiate with a valid token");
  return (await response.json()).connectionToken;
}

/** The status of a WebSocket upgrade to `url` (101 when it opened). */
function upgradeStatus(url, headers = {}) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.on("open", () => {
        socket.terminate();
        resolve(101);
      });
      socket.on("unexpected-response", (_request, response) => {
        resolve(response.statusCode);
        response.resume();
        socket.terminate();
      });
      socket.on("error", (err) => reject(err));
    }),
    EVENT_TIMEOUT_MS,
    `the WebSocket upgrade of ${url}`,
  );
}

/** The status each transport's own request gets for connection token `id` and `token` (as the browsers send it, in the query). */
async function transportStatuses(server, id, token) {
  const query = (more) => {
    const params = new URLSearchParams(more);
    if (token !== undefined) params.set("access_token", token);
    return `${server.hubUrl}?${params}`;
  };
  const webSockets = await upgradeStatus(query({ id }).replace(/^http/, "ws"));
  const sseResponse = await fetch(query({ id }), { headers: { accept: "text/event-stream" } });
  await sseResponse.body?.cancel();
  const pollResponse = await fetch(query({ id }));
  await pollResponse.body?.cancel();
  const postResponse = await fetch(query({ id }), { method: "POST", body: "{}\x1e" });
  await postResponse.body?.cancel();
  return {
    webSockets,
    serverSentEvents: sseResponse.status,
    longPolling: pollResponse.status,
    send: postResponse.status,
  };
}

test("a token of the demo issuer connects over every transport, and WhoAmI names its user", opts, async (t) => {
  const s = scope(t);
  const srv = await server(s);
  const token = await issued(srv, "ada", ["Admin", "Ops"]);
  for (const [name, transport] of Object.entries(TRANSPORTS)) {
    const client = await connect(s, srv, `ada over ${name}`, token, transport);
    assert.deepEqual(await client.invoke("WhoAmI"), { userId: "ada", name: "ada", roles: ["Admin", "Ops"] }, name);
  }
});

test("refused tokens get 401 from the official client's negotiate, over every transport", opts, async (t) => {
  const s = scope(t);
  const srv = await server(s);
  for (const [what, token] of Object.entries(badTokens())) {
    for (const [name, transport] of Object.entries(TRANSPORTS)) {
      const connection = new signalR.HubConnectionBuilder()
        .withUrl(srv.hubUrl, { transport, ...(token === undefined ? {} : { accessTokenFactory: () => token }) })
        .configureLogging(signalR.LogLevel.None)
        .build();
      const err = await expectRejection(connection.start(), `start() with ${what} over ${name}`);
      assert.match(String(err), /401/, `${what} over ${name}: ${err}`);
    }
  }
  // What the client saw: 401 with an empty body and the bearer challenge.
  const response = await fetch(`${srv.hubUrl}/negotiate?negotiateVersion=1`, { method: "POST" });
  assert.equal(response.status, 401);
  assert.equal(response.headers.get("www-authenticate"), "Bearer");
  assert.equal(await response.text(), "");
  const invalid = await fetch(`${srv.hubUrl}/negotiate?negotiateVersion=1`, {
    method: "POST",
    headers: { authorization: `Bearer ${badTokens()["a bad signature"]}` },
  });
  assert.equal(invalid.status, 401);
  assert.equal(invalid.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
});

test("refused tokens get 401 on each transport's own requests too, not only on negotiate", opts, async (t) => {
  const s = scope(t);
  const srv = await server(s);
  const id = await negotiate(srv, jwt(claims("ada")));
  for (const [what, token] of Object.entries(badTokens())) {
    assert.deepEqual(
      await transportStatuses(srv, id, token),
      { webSockets: 401, serverSentEvents: 401, longPolling: 401, send: 401 },
      what,
    );
  }
  // Without negotiating (the WebSocket transport's skipNegotiation) as well.
  for (const [what, token] of Object.entries(badTokens())) {
    const query = token === undefined ? "" : `?access_token=${token}`;
    assert.equal(await upgradeStatus(`${srv.hubUrl.replace(/^http/, "ws")}${query}`), 401, what);
  }
});

test("a connection token is bound to the user who negotiated it: another user's credentials get 403", opts, async (t) => {
  const s = scope(t);
  const srv = await server(s);
  const id = await negotiate(srv, jwt(claims("ada")));
  assert.deepEqual(await transportStatuses(srv, id, jwt(claims("bob"))), {
    webSockets: 403,
    serverSentEvents: 403,
    longPolling: 403,
    send: 403,
  });
  const removed = await fetch(`${srv.hubUrl}?id=${id}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${jwt(claims("bob"))}` },
  });
  assert.equal(removed.status, 403, "DELETE as another user");
  // The connection is still ada's to open.
  assert.equal(await upgradeStatus(`${srv.hubUrl.replace(/^http/, "ws")}?id=${id}&access_token=${jwt(claims("ada"))}`), 101);
});

test("SendAdminMessage: refused to a user without role Admin, whose connection stays up; sent for an Admin", opts, async (t) => {
  const s = scope(t);
  const srv = await server(s);
  for (const [name, transport] of Object.entries(TRANSPORTS)) {
    const admin = await connect(s, srv, `admin over ${name}`, await issued(srv, "root", ["Admin"]), transport);
    const member = await connect(s, srv, `member over ${name}`, await issued(srv, "bob", ["Member"]), transport);

    const err = await expectRejection(member.connection.invoke("SendAdminMessage", "hi"), `${member.label}: SendAdminMessage`);
    assert.equal(err.message, "Failed to invoke 'SendAdminMessage' because user is unauthorized", name);
    assert.equal(member.connection.state, signalR.HubConnectionState.Connected, `${name}: the refused caller stays connected`);
    assert.equal((await member.invoke("WhoAmI")).userId, "bob");

    await admin.invoke("SendAdminMessage", `announcement over ${name}`);
    for (const client of [admin, member]) {
      assert.deepEqual(await client.events.nth("AdminMessage", 1), [`announcement over ${name}`], client.label);
    }
    // The refused call sent nothing: the admin's message is everyone's only one.
    assert.equal(member.events.of("AdminMessage").length, 1);
    await admin.connection.stop();
    await member.connection.stop();
  }
});

test("SendPrivateMessage reaches every connection of the target user and nobody else", opts, async (t) => {
  const s = scope(t);
  const srv = await server(s);
  const adaToken = await issued(srv, "ada");
  const ada1 = await connect(s, srv, "ada over WebSockets", adaToken, TRANSPORTS.WebSockets);
  const ada2 = await connect(s, srv, "ada over ServerSentEvents", adaToken, TRANSPORTS.ServerSentEvents);
  const ada3 = await connect(s, srv, "ada over LongPolling", adaToken, TRANSPORTS.LongPolling);
  const bob = await connect(s, srv, "bob", await issued(srv, "bob"));
  const carol = await connect(s, srv, "carol", await issued(srv, "carol"));
  // A user whose id is a prefix of the target's, and one named like the group.
  const ad = await connect(s, srv, "ad", await issued(srv, "ad"));

  await bob.invoke("SendPrivateMessage", "ada", "for ada only");
  for (const client of [ada1, ada2, ada3]) {
    assert.deepEqual(await client.events.nth("PrivateMessage", 1), ["bob", "for ada only"], client.label);
  }
  // Then a message to everybody: whoever was not a target sees it as their first event.
  await carol.invoke("SendMessage", "after");
  for (const client of [ada1, ada2, ada3, bob, carol, ad]) {
    await client.events.nth("ReceiveMessage", 1);
  }
  for (const client of [bob, carol, ad]) {
    assert.deepEqual(
      client.events.events.map((e) => e.name),
      ["ReceiveMessage"],
      `${client.label} got only the broadcast: ${client.events.describe()}`,
    );
  }
  assert.deepEqual(await ada1.events.nth("ReceiveMessage", 1), ["carol", "after"]);
});

test("with --close-on-expiry a connection is closed when its token expires, with a message the client shows", opts, async (t) => {
  const s = scope(t);
  const srv = await server(s, ["--close-on-expiry"]);
  const now = Math.floor(Date.now() / 1000);
  for (const [name, transport] of Object.entries(TRANSPORTS)) {
    const token = jwt(claims("ada", { exp: now + 2 }));
    const client = await connect(s, srv, `ada over ${name}`, token, transport);
    const error = await client.closed(`${name}: the close at expiry`, 10000);
    assert.match(String(error), /Connection closed because its authentication expired\./, name);
  }
  // A token that lasts stays connected past them.
  const lasting = await connect(s, srv, "lasting", jwt(claims("bob")));
  assert.equal((await lasting.invoke("WhoAmI")).userId, "bob");
});
