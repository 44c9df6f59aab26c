// The hub explorer (`HubRouter::serve_explorer`) in a real browser (Debian's Chromium through
// playwright-core), on the dashboard and chat examples: it lists every method and client method
// of the manifest with its types and docs, invokes a method and shows its result, shows a
// HubException's message, runs a server stream, shows the client calls that arrive and answers
// a client result with the value given on the page.
//
// The first test also takes the screenshot of the docs: written to docs/images/explorer.png with
// UPDATE_SCREENSHOTS=1, else to the temporary directory.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { launchBrowser } from "./browser.mjs";
import { EVENT_TIMEOUT_MS, scope, TEST_TIMEOUT_MS, withTimeout } from "./harness.mjs";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

async function manifestOf(server) {
  const response = await withTimeout(fetch(`${server.hubUrl}/manifest`), EVENT_TIMEOUT_MS, "GET manifest");
  assert.equal(response.status, 200);
  return (await response.json()).hubs[0];
}

async function openExplorer(s, server) {
  const browser = await launchBrowser(s);
  const page = await browser.open(`${server.hubUrl}/explorer`, "explorer");
  await page.until(() => document.getElementById("status")?.dataset.state === "connected", null, "the explorer to connect");
  return page;
}

/** Fills a method's arguments, runs it and waits until its output reaches one of `states`. */
async function run(page, method, args, states) {
  const card = `.method[data-method="${method}"]`;
  await page.page.locator(`${card} textarea.args`).fill(JSON.stringify(args));
  await page.page.locator(`${card} button.run`).click();
  await page.until(
    ({ card, states }) => states.includes(document.querySelector(`${card} .output`)?.dataset.state),
    { card, states },
    `${method}'s output to be ${states.join(" or ")}`,
  );
  return {
    state: await page.page.locator(`${card} .output`).getAttribute("data-state"),
    items: await page.page.locator(`${card} .output`).getAttribute("data-items"),
    text: await page.page.locator(`${card} .output`).textContent(),
  };
}

/** Waits for a client call `name` whose text contains `fragment`; resolves with its text. */
function call(page, name, fragment) {
  return page.until(
    ({ name, fragment }) =>
      [...document.querySelectorAll(`#calls li[data-client-method="${name}"]`)].map((li) => li.textContent).find((text) => text.includes(fragment)),
    { name, fragment },
    `a ${name} call with ${fragment}`,
  );
}

test("the dashboard's explorer: methods from the manifest, a result, a HubException, a stream, client calls and a client result", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const s = scope(t);
  const server = await s.server({ example: "dashboard" });
  const hub = await manifestOf(server);
  const page = await openExplorer(s, server);

  // Every hub method and client method of the manifest is listed, with its types and docs.
  for (const method of hub.methods) {
    const text = await page.page.locator(`.method[data-method="${method.name}"]`).textContent();
    assert.ok(text.includes(method.description), `${method.name} shows its docs: ${text}`);
  }
  for (const method of hub.clientMethods) {
    const text = await page.page.locator(`.client-method[data-client-method="${method.name}"]`).textContent();
    assert.ok(text.includes(method.description), `${method.name} shows its docs: ${text}`);
  }
  assert.equal(await page.page.locator(".method").count(), hub.methods.length);
  assert.equal(await page.page.locator(".client-method").count(), hub.clientMethods.length);
  const history = await page.page.locator('.method[data-method="History"] .signature').textContent();
  assert.ok(history.startsWith("History(topic: string, count: integer (uint32)) → stream<MetricUpdate>"), history);

  // A result: the explorer is the topic's one watcher.
  const subscribed = await run(page, "Subscribe", ["cpu"], ["ok", "error"]);
  assert.deepEqual([subscribed.state, subscribed.text], ["ok", "1"]);
  // Client calls arrive: the watcher count, then the topic's updates.
  await call(page, "WatchersChanged", '"cpu", 1');
  await call(page, "MetricUpdate", '"topic":"cpu"');

  // A HubException's message.
  const refused = await run(page, "Subscribe", ["nope"], ["ok", "error"]);
  assert.equal(refused.state, "error");
  assert.ok(refused.text.includes("Unknown topic 'nope'; the topics are cpu, memory, requests, latency."), refused.text);
  const wrongCount = await run(page, "Subscribe", [], ["ok", "error"]);
  assert.equal(wrongCount.state, "error");
  assert.ok(wrongCount.text.includes("Subscribe takes 1 argument(s), the array has 0"), wrongCount.text);

  // A server stream: its items, then its completion.
  const streamed = await run(page, "History", ["memory", 3], ["complete", "error"]);
  assert.equal(streamed.state, "complete", streamed.text);
  assert.equal(streamed.items, "3");
  assert.equal(streamed.text.split("\n").filter((line) => line.includes('"topic":"memory"')).length, 3, streamed.text);

  // A client result: the explorer goes on call and answers ConfirmAlert with `true`.
  await page.page.locator('.client-method[data-client-method="ConfirmAlert"] textarea.reply').fill("true");
  assert.equal((await run(page, "SetOnCall", [true], ["ok", "error"])).state, "ok");
  const raised = await run(page, "RaiseAlert", ["latency", "a drill"], ["ok", "error"]);
  assert.equal(raised.state, "ok", raised.text);
  const alertId = JSON.parse(raised.text).id;
  await call(page, "ConfirmAlert", `"id":"${alertId}"`);
  const taken = await call(page, "AlertRaised", `"id":"${alertId}"`);
  assert.match(taken, /"takenBy":"[^"]+"/, `the alert was taken by the explorer: ${taken}`);

  const shot = process.env.UPDATE_SCREENSHOTS
    ? path.join(REPO_ROOT, "docs", "images", "explorer.png")
    : path.join(os.tmpdir(), `explorer-${process.pid}.png`);
  mkdirSync(path.dirname(shot), { recursive: true });
  await page.page.setViewportSize({ width: 1280, height: 1000 });
  await page.page.evaluate(() => window.scrollTo(0, 0));
  await page.page.screenshot({ path: shot });
  assert.deepEqual(page.problems, [], "the explorer logged no error");
});

test("the chat example's explorer: Echo's result and a ReceiveMessage call", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const s = scope(t);
  const server = await s.server({ example: "chat" });
  const hub = await manifestOf(server);
  const page = await openExplorer(s, server);
  const names = await page.page.locator(".method").evaluateAll((cards) => cards.map((card) => card.dataset.method));
  assert.deepEqual(names, hub.methods.map((method) => method.name));
  const echoed = await run(page, "Echo", ["ping"], ["ok", "error"]);
  assert.deepEqual([echoed.state, echoed.text], ["ok", '"ping"']);
  const sent = await run(page, "SendMessage", ["ada", "hello from the explorer"], ["ok", "error"]);
  assert.deepEqual([sent.state, sent.text], ["ok", "(no result)"]);
  await call(page, "ReceiveMessage", '"ada", "hello from the explorer"');
  assert.deepEqual(page.problems, [], "the explorer logged no error");
});
