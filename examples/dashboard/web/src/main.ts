// The dashboard page: live charts of the topics it watches, "N watching" per topic, alerts with
// acknowledgements, on-call confirmations, and a connection badge. Every call to the hub goes
// through the client that hub-codegen generated from the metrics hub's manifest (./hub).
//
// Query parameters: `history=N` (points loaded per topic when it is watched, default 120).

import { HubConnectionState, LogLevel, type HubConnection } from "@microsoft/signalr";

import { createMetricsHubConnection, MetricsHubProxy, registerDashboardClient, type Alert, type MetricUpdate, type TopicInfo } from "./hub/index.js";

const params = new URLSearchParams(location.search);
const HISTORY_POINTS = Math.max(1, Math.min(600, Number(params.get("history") ?? 120) || 120));
/** Points drawn per chart. */
const CHART_POINTS = 120;
/** How long an on-call offer waits for an answer before it is declined. */
const OFFER_TIMEOUT_MS = 20_000;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing`);
  return found as T;
}

function make<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function clock(rfc3339: string): string {
  return new Date(rfc3339).toLocaleTimeString([], { hour12: false });
}

// ---------------------------------------------------------------------------------------------
// The connection badge
// ---------------------------------------------------------------------------------------------

type BadgeState = "connecting" | "connected" | "reconnecting" | "reconnected" | "disconnected";

function badge(state: BadgeState, detail?: string): void {
  const node = element("badge");
  node.dataset["state"] = state;
  node.textContent = detail ? `${state}: ${detail}` : state;
}

// ---------------------------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";

/** One topic's card: its points, its chart, whether this page watches it. */
class Chart {
  readonly card = make("div", "card");
  private readonly value = make("span", "value", "–");
  private readonly watchers = make("span", "watching", "0 watching");
  private readonly toggle = make("button", "toggle");
  private readonly svg = document.createElementNS(SVG, "svg");
  private readonly line = document.createElementNS(SVG, "polyline");
  private readonly threshold = document.createElementNS(SVG, "line");
  private points: MetricUpdate[] = [];
  /** Live updates received, across reconnects. */
  private updates = 0;
  /** Counts of watchers the server told (`watchersChanged`), across reconnects. */
  private told = 0;
  watching = false;

  constructor(
    readonly topic: TopicInfo,
    onToggle: (chart: Chart) => void,
  ) {
    this.card.dataset["topic"] = topic.name;
    const title = make("h2");
    title.append(make("span", "", `${topic.name} (${topic.unit})`), this.value);
    this.svg.setAttribute("viewBox", "0 0 100 100");
    this.svg.setAttribute("preserveAspectRatio", "none");
    this.svg.append(this.threshold, this.line);
    const meta = make("div", "meta");
    meta.append(this.watchers, this.toggle);
    this.card.append(title, this.svg, meta);
    this.toggle.addEventListener("click", () => onToggle(this));
    this.setWatching(false);
    this.setWatchers(topic.watching);
  }

  setWatching(watching: boolean): void {
    this.watching = watching;
    this.card.dataset["watching"] = String(watching);
    this.toggle.textContent = watching ? "Stop" : "Watch";
  }

  setWatchers(count: number): void {
    this.card.dataset["watchers"] = String(count);
    this.watchers.textContent = `${count} watching`;
  }

  /** A count the server told every page: the newest there is. */
  toldWatchers(count: number): void {
    this.told++;
    this.setWatchers(count);
  }

  /**
   * Shows the count a call answered (`subscribe`, `topics`...), unless the server told one since
   * the call began: a reply and a broadcast can cross, and the told count is then the newer.
   */
  answeredWatchers(count: number, toldBefore: number): void {
    if (this.told === toldBefore) this.setWatchers(count);
  }

  /** Marks the start of a call that answers a count, for `answeredWatchers`. */
  get toldSoFar(): number {
    return this.told;
  }

  /** Replaces the points with a topic's history. */
  load(history: MetricUpdate[]): void {
    this.points = history.slice(-CHART_POINTS);
    this.card.dataset["history"] = String(history.length);
    this.draw();
  }

  add(update: MetricUpdate): void {
    this.points.push(update);
    if (this.points.length > CHART_POINTS) this.points.shift();
    this.updates += 1;
    this.card.dataset["updates"] = String(this.updates);
    this.draw();
  }

  private draw(): void {
    this.card.dataset["points"] = String(this.points.length);
    const last = this.points[this.points.length - 1];
    this.value.textContent = last ? `${last.value.toFixed(1)}` : "–";
    const values = this.points.map((p) => p.value);
    // Scaled to the values shown, with a margin; the threshold line only when it is in range.
    const margin = Math.max(1, (Math.max(...values) - Math.min(...values)) * 0.15);
    const low = Math.min(...values) - margin;
    const high = Math.max(...values) + margin;
    const y = (v: number): number => 100 - ((v - low) / (high - low)) * 100;
    const step = 100 / Math.max(1, CHART_POINTS - 1);
    const offset = (CHART_POINTS - values.length) * step;
    this.line.setAttribute("points", values.map((v, i) => `${(offset + i * step).toFixed(2)},${y(v).toFixed(2)}`).join(" "));
    const t = y(this.topic.alertAbove).toFixed(2);
    this.threshold.style.display = this.topic.alertAbove < high ? "" : "none";
    for (const [name, value] of [["x1", "0"], ["x2", "100"], ["y1", t], ["y2", t]] as const) this.threshold.setAttribute(name, value);
  }
}

// ---------------------------------------------------------------------------------------------
// Alerts
// ---------------------------------------------------------------------------------------------

function alertItem(alert: Alert): HTMLLIElement {
  const existing = document.querySelector<HTMLLIElement>(`#alerts li[data-alert-id="${CSS.escape(alert.id)}"]`);
  if (existing) return existing;
  const item = make("li");
  item.dataset["alertId"] = alert.id;
  element("alerts").prepend(item);
  return item;
}

function showAlert(alert: Alert, me: string | null, acknowledge: (id: string) => Promise<void>): void {
  const item = alertItem(alert);
  const taken = alert.takenBy === null ? "nobody on call took it" : alert.takenBy === me ? "taken by you (on call)" : "taken by the on-call viewer";
  item.dataset["taken"] = alert.takenBy === null ? "none" : alert.takenBy === me ? "me" : "other";
  item.replaceChildren(
    make("strong", "", `${alert.id} · ${alert.topic}`),
    make("div", "", alert.message),
    make("div", "state", `${clock(alert.raisedAt)} · ${taken}`),
  );
  const button = make("button", "ack", "Acknowledge");
  button.addEventListener("click", () => {
    button.disabled = true;
    acknowledge(alert.id).then(
      () => acknowledged(alert.id, "me"),
      (error: unknown) => {
        button.disabled = false;
        item.append(make("div", "state", `could not acknowledge: ${String(error)}`));
      },
    );
  });
  item.append(button);
}

function acknowledged(id: string, by: "me" | "other"): void {
  const item = document.querySelector<HTMLLIElement>(`#alerts li[data-alert-id="${CSS.escape(id)}"]`);
  if (!item || item.dataset["acknowledged"]) return;
  item.dataset["acknowledged"] = by;
  item.querySelector("button.ack")?.remove();
  item.append(make("div", "state", by === "me" ? "acknowledged by you" : "acknowledged by another viewer"));
}

/** Shows an on-call offer; resolves with the answer (declined after a while). */
function offer(alert: Alert): Promise<boolean> {
  return new Promise((resolve) => {
    const box = make("div", "offer");
    box.dataset["alertId"] = alert.id;
    const take = make("button", "take", "Take it");
    const decline = make("button", "decline", "Decline");
    box.append(make("div", "", `On call: ${alert.id} on ${alert.topic}: ${alert.message}`), take, " ", decline);
    element("offers").append(box);
    const answer = (yes: boolean): void => {
      clearTimeout(timer);
      box.remove();
      resolve(yes);
    };
    const timer = setTimeout(() => answer(false), OFFER_TIMEOUT_MS);
    take.addEventListener("click", () => answer(true));
    decline.addEventListener("click", () => answer(false));
  });
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const connection: HubConnection = createMetricsHubConnection("", {}, (builder) =>
    builder.configureLogging(LogLevel.Warning).withAutomaticReconnect({
      // Right away, then every second or two, for five minutes.
      nextRetryDelayInMilliseconds: (retry) => (retry.elapsedMilliseconds > 300_000 ? null : retry.previousRetryCount === 0 ? 0 : Math.min(500 * retry.previousRetryCount, 2000)),
    }),
  );
  const hub = new MetricsHubProxy(connection);
  const charts = new Map<string, Chart>();
  const acknowledge = (id: string): Promise<void> => hub.acknowledge(id);

  registerDashboardClient(connection, {
    metricUpdate: (update) => {
      const chart = charts.get(update.topic);
      if (chart?.watching) chart.add(update);
    },
    watchersChanged: (topic, watching) => charts.get(topic)?.toldWatchers(watching),
    alertRaised: (alert) => showAlert(alert, connection.connectionId, acknowledge),
    alertAcknowledged: (alertId) => acknowledged(alertId, "other"),
    confirmAlert: (alert) => offer(alert),
  });

  /** Subscribes to a topic and loads its history into the chart. */
  const watch = async (chart: Chart): Promise<void> => {
    chart.setWatching(true);
    const told = chart.toldSoFar;
    chart.answeredWatchers(await hub.subscribe(chart.topic.name), told);
    const history: MetricUpdate[] = [];
    for await (const point of hub.history(chart.topic.name, HISTORY_POINTS)) history.push(point);
    chart.load(history);
  };
  const toggle = (chart: Chart): void => {
    const told = chart.toldSoFar;
    const done = chart.watching
      ? hub.unsubscribe(chart.topic.name).then((count) => {
          chart.setWatching(false);
          chart.answeredWatchers(count, told);
        })
      : watch(chart);
    done.catch((error: unknown) => console.error(`${chart.topic.name}: ${String(error)}`));
  };

  const onCall = element<HTMLInputElement>("on-call");
  // `data-server` is what the server was last told.
  onCall.addEventListener("change", () => {
    const checked = onCall.checked;
    hub.setOnCall(checked).then(
      () => (onCall.dataset["server"] = String(checked)),
      (error: unknown) => console.error(String(error)),
    );
  });
  const raise = element<HTMLButtonElement>("raise");
  const alertTopic = element<HTMLSelectElement>("alert-topic");
  raise.addEventListener("click", () => {
    hub.raiseAlert(alertTopic.value, `Test alert on ${alertTopic.value}, raised from the dashboard`).then(
      (alert) => (raise.dataset["lastAlert"] = alert.id),
      (error: unknown) => console.error(String(error)),
    );
  });

  connection.onreconnecting(() => badge("reconnecting"));
  connection.onreconnected(async () => {
    // A new connection: its groups are empty. Join the watched topics again.
    try {
      if (onCall.checked) await hub.setOnCall(true);
      const told = new Map([...charts].map(([name, chart]) => [name, chart.toldSoFar]));
      for (const topic of await hub.topics()) charts.get(topic.name)?.answeredWatchers(topic.watching, told.get(topic.name) ?? 0);
      await Promise.all([...charts.values()].filter((chart) => chart.watching).map(watch));
      badge("reconnected");
    } catch (error) {
      badge("reconnecting", String(error));
    }
  });
  connection.onclose((error) => badge("disconnected", error ? error.message : "reload the page"));

  for (let attempt = 1; connection.state !== HubConnectionState.Connected; attempt++) {
    try {
      await connection.start();
    } catch (error) {
      if (attempt >= 30) {
        badge("disconnected", String(error));
        return;
      }
      badge("connecting", `attempt ${attempt} failed`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  for (const topic of await hub.topics()) {
    const chart = new Chart(topic, toggle);
    charts.set(topic.name, chart);
    element("charts").append(chart.card);
    alertTopic.append(new Option(topic.name, topic.name));
  }
  await Promise.all([...charts.values()].map(watch));
  badge("connected");
}

main().catch((error: unknown) => badge("disconnected", String(error)));
