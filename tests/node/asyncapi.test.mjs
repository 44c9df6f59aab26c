// `hub-codegen asyncapi`: the AsyncAPI 3.0 document of each example's hub, validated by the
// AsyncAPI project's own parser (@asyncapi/parser), with the operations and replies each hub
// method and client method must have; and `--check`, which tells a current output directory
// from a stale one.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";

import { Parser } from "@asyncapi/parser";

import { TEST_TIMEOUT_MS, exampleBinary } from "./harness.mjs";

const opts = { timeout: TEST_TIMEOUT_MS };

/** hub-codegen, next to the examples' binaries. */
function codegenBinary() {
  return path.join(path.dirname(exampleBinary("chat")), "hub-codegen");
}

/** Writes the example's manifest and its AsyncAPI document into a fresh directory. */
function generate(t, example) {
  const dir = mkdtempSync(path.join(tmpdir(), `asyncapi-${example}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const manifest = path.join(dir, "manifest.json");
  writeFileSync(manifest, execFileSync(exampleBinary(example), ["--print-manifest"]));
  const out = path.join(dir, "out");
  execFileSync(codegenBinary(), ["asyncapi", "--manifest", manifest, "--out", out], { stdio: "pipe" });
  return { manifest, out, document: path.join(out, "asyncapi.json") };
}

async function parse(file) {
  const { document, diagnostics } = await new Parser().parse(readFileSync(file, "utf8"));
  // Severity 0 is an error, 1 a warning; 2 and 3 are hints (such as a newer AsyncAPI version).
  const problems = diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.message} at ${d.path.join(".")}`);
  assert.deepEqual(problems, [], `the parser's errors and warnings for ${file}`);
  assert.ok(document, "a parsed document");
  return document;
}

function operation(document, id) {
  const found = document.operations().get(id);
  assert.ok(found, `operation ${id} among ${document.operations().all().map((o) => o.id()).join(", ")}`);
  return found;
}

for (const example of ["chat", "streaming", "types", "auth"]) {
  test(`the AsyncAPI document of examples/${example} is valid`, opts, async (t) => {
    await parse(generate(t, example).document);
  });
}

test("hub methods are received with their replies, client methods sent", opts, async (t) => {
  const document = await parse(generate(t, "chat").document);
  const channel = document.channels().get("ChatHub");
  assert.equal(channel.address(), "/hubs/chat");
  const echo = operation(document, "ChatHub.Echo");
  assert.equal(echo.action(), "receive");
  const echoCall = echo.messages().all()[0].payload().json();
  assert.equal(echoCall.properties.target.const, "Echo");
  assert.equal(echoCall.properties.arguments.maxItems, 1);
  const completion = echo.reply().messages().all()[0].payload().json();
  assert.equal(completion.properties.type.const, 3);
  assert.equal(completion.properties.result.type, "string");
  const receive = operation(document, "ChatHub.client.ReceiveMessage");
  assert.equal(receive.action(), "send");
  assert.equal(receive.messages().all()[0].payload().json().properties.arguments.maxItems, 2);
});

test("streams and client results are said in extensions", opts, async (t) => {
  const document = await parse(generate(t, "streaming").document);
  const counter = operation(document, "StreamingHub.StreamCounter");
  assert.equal(counter.json()["x-signalr-stream"], "server");
  assert.equal(counter.messages().all()[0].payload().json().properties.type.const, 4);
  assert.equal(counter.reply().messages().all()[0].payload().json().properties.type.const, 2);
  const upload = operation(document, "StreamingHub.UploadStream");
  assert.equal(upload.json()["x-signalr-stream"], "client");
  const confirm = operation(document, "StreamingHub.client.Confirm");
  assert.equal(confirm.json()["x-signalr-client-result"], true);
  assert.ok(confirm.reply(), "a client result has a reply");
});

test("authorization is said where the manifest has it", opts, async (t) => {
  const document = await parse(generate(t, "auth").document);
  assert.deepEqual(operation(document, "SecureHub.SendAdminMessage").json()["x-signalr-authorize"], [
    { roles: ["Admin"] },
  ]);
  assert.ok(document.channels().get("SecureHub").json()["x-signalr-authorize"]);
});

test("--check exits 0 for a current directory and 5 for a stale or missing file", opts, async (t) => {
  const { manifest, out, document } = generate(t, "chat");
  const check = () => spawnSync(codegenBinary(), ["asyncapi", "--manifest", manifest, "--out", out, "--check"]);
  assert.equal(check().status, 0);
  writeFileSync(document, readFileSync(document, "utf8").replace("ChatHub", "ChatHubs"));
  const stale = check();
  assert.equal(stale.status, 5);
  assert.match(stale.stderr.toString(), /asyncapi\.json differs/);
  rmSync(document);
  assert.equal(check().status, 5);
});
