// Browser helpers of the end-to-end tests of the web pages (the dashboard, the hub explorer):
// Debian's Chromium driven by playwright-core, pages closed after each test, and bounded waits
// on the page's state that fail with what the page logged.

import { existsSync } from "node:fs";

import { chromium } from "playwright-core";

import { EVENT_TIMEOUT_MS, withTimeout } from "./harness.mjs";

/** The Chromium binary: $CHROMIUM_BIN, else Debian's (`apt-get install chromium`). */
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

/** Bound for Chromium to start. */
const LAUNCH_TIMEOUT_MS = 30000;

/**
 * Starts Chromium (headless) for the test of scope `s`; it is closed after the test. Fails,
 * never skips, when Chromium is missing.
 */
export async function launchBrowser(s) {
  if (!existsSync(CHROMIUM_BIN)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_BIN}: install Debian's chromium package (scripts/test-all.sh does) or point CHROMIUM_BIN at a Chromium binary`,
    );
  }
  const browser = await withTimeout(
    chromium.launch({
      executablePath: CHROMIUM_BIN,
      // As root (CI) Chromium's sandbox cannot start; /dev/shm may be small in containers.
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    }),
    LAUNCH_TIMEOUT_MS,
    `Chromium (${CHROMIUM_BIN}) to start`,
  );
  s.defer(() => withTimeout(browser.close(), 10000, "Chromium to close"));
  return {
    browser,
    /** Opens `url` in a page of its own (its own cookies and storage); `label` names it in failures. */
    async open(url, label, viewport = { width: 1280, height: 720 }) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      const problems = [];
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning") problems.push(`console ${message.type()}: ${message.text()}`);
      });
      await page.goto(url, { timeout: EVENT_TIMEOUT_MS });
      return new BrowserPage(page, label, problems);
    },
  };
}

/** A page with bounded waits that name what they waited for. */
export class BrowserPage {
  constructor(page, label, problems) {
    this.page = page;
    this.label = label;
    this.problems = problems;
  }

  describe() {
    return this.problems.length === 0 ? "" : `; the page logged: ${this.problems.join(" | ")}`;
  }

  /** Waits until `fn(arg)`, run in the page, returns a truthy value; resolves with it. */
  async until(fn, arg, what, timeout = EVENT_TIMEOUT_MS) {
    try {
      const handle = await this.page.waitForFunction(fn, arg, { timeout, polling: 50 });
      return await handle.jsonValue();
    } catch (error) {
      throw new Error(`${this.label}: waiting for ${what} failed after ${timeout} ms: ${error.message.split("\n")[0]}${this.describe()}`);
    }
  }

  /** Waits for an element matching `selector` to be visible; resolves with its locator. */
  async element(selector, what = selector, timeout = EVENT_TIMEOUT_MS) {
    const locator = this.page.locator(selector);
    try {
      await locator.first().waitFor({ state: "visible", timeout });
    } catch (error) {
      throw new Error(`${this.label}: waiting for ${what} (${selector}) failed after ${timeout} ms: ${error.message.split("\n")[0]}${this.describe()}`);
    }
    return locator;
  }

  /** The `data-*` attributes of the first element matching `selector`. */
  dataset(selector) {
    return this.page.evaluate((sel) => ({ ...document.querySelector(sel)?.dataset }), selector);
  }
}
