// The dashboard example in a real browser (Debian's Chromium through playwright-core): two
// pages watch the topics, their charts grow, "N watching" comes from presence, an alert is
// offered to the on-call page (a client result) and acknowledged on the other, history returns
// the points asked for, and after the server restarts on the same port both pages reconnect,
// join their topics again and get updates again.
//
// The first test also takes the screenshot of docs/dashboard.md: written to
// docs/images/dashboard.png with UPDATE_SCREENSHOTS=1, else to the temporary directory.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { launchBrowser } from "./browser.mjs";
import { EVENT_TIMEOUT_MS, scope, TEST_TIMEOUT_MS } from "./harness.mjs";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const TOPICS = ["cpu", "memory", "requests", "latency"];
/** Points each page asks `History` for (the page's `?history=`); the server has 120 at start. */
const HISTORY = 100;
/** Bound for a reconnect after the server restarted (the page retries within 2 s). */
const RECONNECT_TIMEOUT_MS = 15000;

const badgeIs = (state) => document.getElementById("badge")?.dataset.state === state;

/** Opens the dashboard and waits until it is connected with every topic watched and loaded. */
async function openDashboard(browser, server, label) {
  const page = await browser.open(`${server.baseUrl}/?history=${HISTORY}`, label);
  await page.until(badgeIs, "connected", 'the badge to say "connected"');
  for (const topic of TOPICS) {
    const card = await page.dataset(`.card[data-topic="${topic}"]`);
    assert.equal(card.watching, "true", `${label} watches ${topic}`);
  }
  return page;
}

/** Waits until every topic card of `page` says `count` watching. */
function watchers(page, count, timeout) {
  return page.until(
    ({ topics, count }) => topics.every((t) => document.querySelector(`.card[data-topic="${t}"]`)?.dataset.watchers === String(count)),
    { topics: TOPICS, count },
    `every topic to show "${count} watching"`,
    timeout,
  );
}

/** The live updates a page's chart of `topic` received so far. */
async function updates(page, topic) {
  return Number((await page.dataset(`.card[data-topic="${topic}"]`)).updates ?? 0);
}

/** Waits until the chart of `topic` received more than `count` live updates. */
function updatesAbove(page, topic, count, timeout) {
  return page.until(
    ({ topic, count }) => Number(document.querySelector(`.card[data-topic="${topic}"]`)?.dataset.updates ?? 0) > count,
    { topic, count },
    `the ${topic} chart to get more than ${count} updates`,
    timeout,
  );
}

test("two dashboards: live charts, watchers, history, an on-call alert acknowledged on the other page", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const s = scope(t);
  const server = await s.server({ example: "dashboard" });
  const browser = await launchBrowser(s);
  const a = await openDashboard(browser, server, "page A");
  const b = await openDashboard(browser, server, "page B");

  // Presence: each page sees both watchers of every topic.
  await watchers(a, 2);
  await watchers(b, 2);

  // History returned exactly the points asked for, and the charts grow with live updates.
  for (const page of [a, b]) {
    for (const topic of TOPICS) {
      const card = await page.dataset(`.card[data-topic="${topic}"]`);
      assert.equal(card.history, String(HISTORY), `${page.label}: History(${topic}, ${HISTORY}) points`);
    }
    const before = await updates(page, "cpu");
    await updatesAbove(page, "cpu", before + 2);
    const card = await page.dataset('.card[data-topic="cpu"]');
    assert.ok(Number(card.points) > HISTORY, `${page.label}: the cpu chart grew past its history (${card.points} points)`);
  }

  // Page A goes on call; page B raises an alert, which is offered to A first.
  await a.page.locator("#on-call").check();
  await a.until(() => document.getElementById("on-call")?.dataset.server === "true", null, "the server to know A is on call");
  await b.page.locator("#alert-topic").selectOption("latency");
  await b.page.locator("#raise").click();
  const alertId = await b.until(() => document.getElementById("raise")?.dataset.lastAlert, null, "RaiseAlert to answer");
  const offer = await a.element(`.offer[data-alert-id="${alertId}"]`, `the on-call offer of ${alertId}`);
  await offer.locator("button.take").click();

  // Both pages list it, taken by A.
  const item = (id) => `#alerts li[data-alert-id="${id}"]`;
  await a.until((sel) => document.querySelector(sel)?.dataset.taken === "me", item(alertId), `${alertId} taken by this page`);
  await b.until((sel) => document.querySelector(sel)?.dataset.taken === "other", item(alertId), `${alertId} taken by the on-call page`);

  // B acknowledges it: A sees it acknowledged by another viewer.
  await b.page.locator(`${item(alertId)} button.ack`).click();
  await b.until((sel) => document.querySelector(sel)?.dataset.acknowledged === "me", item(alertId), `${alertId} acknowledged by this page`);
  await a.until((sel) => document.querySelector(sel)?.dataset.acknowledged === "other", item(alertId), `${alertId} acknowledged by the other page`);
  assert.equal(await a.page.locator(`${item(alertId)} button.ack`).count(), 0, "A's acknowledge button is gone");

  // The screenshot of the docs: page A with its charts and the alert.
  const shot = process.env.UPDATE_SCREENSHOTS
    ? path.join(REPO_ROOT, "docs", "images", "dashboard.png")
    : path.join(os.tmpdir(), `dashboard-${process.pid}.png`);
  mkdirSync(path.dirname(shot), { recursive: true });
  await a.page.setViewportSize({ width: 1200, height: 500 });
  await a.page.screenshot({ path: shot });
  assert.deepEqual(a.problems, [], "page A logged no error");
  assert.deepEqual(b.problems, [], "page B logged no error");
});

test("after the server restarts on the same port, both dashboards reconnect, watch again and get updates", { timeout: TEST_TIMEOUT_MS * 2 }, async (t) => {
  const s = scope(t);
  const first = await s.server({ example: "dashboard" });
  const browser = await launchBrowser(s);
  const a = await openDashboard(browser, first, "page A");
  const b = await openDashboard(browser, first, "page B");
  await watchers(a, 2);
  await watchers(b, 2);

  // A graceful stop closes the connections with allowReconnect: the pages start reconnecting.
  await first.stop();
  await a.until(badgeIs, "reconnecting", 'the badge to say "reconnecting"');
  await b.until(badgeIs, "reconnecting", 'the badge to say "reconnecting"');
  const counts = { a: await updates(a, "cpu"), b: await updates(b, "cpu") };

  // The same port again: the pages' URL does not change.
  const second = await s.server({ example: "dashboard", args: ["--addr", `127.0.0.1:${first.port}`] });
  assert.equal(second.port, first.port);
  // Each page retries on its own schedule: both are back before either can count two watchers.
  for (const page of [a, b]) {
    await page.until(badgeIs, "reconnected", 'the badge to say "reconnected"', RECONNECT_TIMEOUT_MS);
  }
  for (const [page, count] of [[a, counts.a], [b, counts.b]]) {
    // The new server knows both pages' subscriptions (presence), and updates flow again. The
    // pages subscribe again and reload their history after reconnecting: the same bound.
    await watchers(page, 2, RECONNECT_TIMEOUT_MS);
    await updatesAbove(page, "cpu", count + 2, RECONNECT_TIMEOUT_MS);
    for (const topic of TOPICS) {
      const card = await page.dataset(`.card[data-topic="${topic}"]`);
      assert.equal(card.watching, "true", `${page.label} watches ${topic} again`);
      assert.equal(card.history, String(HISTORY), `${page.label} reloaded the history of ${topic}`);
    }
  }
});

test("watchers counts are told in the order they were read: after concurrent subscribes, every client's last count is the true one", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const s = scope(t);
  const server = await s.server({ example: "dashboard" });
  const clients = [];
  for (const label of ["one", "two", "three", "four"]) clients.push(await s.connect(server, { label, events: ["WatchersChanged"] }));
  const lastTold = (client) => client.events.of("WatchersChanged").filter(([topic]) => topic === "latency").at(-1)?.[1];

  // Every client joins and leaves at once, over and over; the first two end subscribed. Each
  // call tells everybody the count it read, so the counts of different calls cross.
  const ROUNDS = 40;
  await Promise.all(
    clients.map(async (client, i) => {
      for (let round = 0; round < ROUNDS; round++) {
        await client.invoke("Subscribe", "latency");
        if (round < ROUNDS - 1 || i >= 2) await client.invoke("Unsubscribe", "latency");
      }
    }),
  );
  const topics = await clients[0].invoke("Topics");
  assert.equal(topics.find((topic) => topic.name === "latency").watching, 2);
  // Each client's last count told is 2: a count read earlier and told later would stay, as the
  // server tells only changes.
  for (const client of clients) {
    await client.events.waitUntil(() => (lastTold(client) === 2 ? true : undefined), 'the last "latency" count told to be 2', EVENT_TIMEOUT_MS);
  }
});
