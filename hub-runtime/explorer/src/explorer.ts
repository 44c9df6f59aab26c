// The hub explorer: reads the hub's manifest (`<hub>/manifest`), lists its methods and client
// methods with their parameter types and docs, invokes methods with JSON arguments, runs server
// streams (and uploads, from a JSON array of items), and shows the client calls that arrive,
// answering client results with a JSON value. Served by `HubRouter::serve_explorer` at
// `<hub>/explorer`; everything it reaches is relative to that URL.

import { HubConnectionBuilder, LogLevel, Subject, type HubConnection, type ISubscription } from "@microsoft/signalr";

/** A JSON Schema, as the manifest carries them. */
type Schema = { [key: string]: unknown };
interface Param {
  name: string;
  schema: Schema;
  stream?: boolean;
}
interface Method {
  name: string;
  description?: string;
  kind?: "invoke" | "stream";
  params: Param[];
  result?: Schema;
}
interface HubManifest {
  name: string;
  path?: string;
  clientName?: string;
  description?: string;
  methods: Method[];
  clientMethods: Method[];
}
interface Manifest {
  hubs: HubManifest[];
  $defs?: { [name: string]: Schema };
}

const hubPath = location.pathname.replace(/\/explorer$/, "");
let defs: { [name: string]: Schema } = {};
let connection: HubConnection | undefined;

function $(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing`);
  return found;
}

function make<K extends keyof HTMLElementTagNameMap>(tag: K, className = "", text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function status(state: string, detail = ""): void {
  const node = $("status");
  node.dataset["state"] = state;
  node.textContent = detail ? `${state}: ${detail}` : state;
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

// ---------------------------------------------------------------------------------------------
// Schemas: a type name to show, and a value to start editing from
// ---------------------------------------------------------------------------------------------

function refName(schema: Schema): string | undefined {
  const ref = schema["$ref"];
  return typeof ref === "string" ? ref.split("/").pop() : undefined;
}

function typeName(schema: Schema | undefined): string {
  if (!schema) return "void";
  const ref = refName(schema);
  if (ref) return ref;
  const union = (schema["anyOf"] ?? schema["oneOf"]) as Schema[] | undefined;
  if (Array.isArray(union)) return union.map(typeName).join(" | ");
  if (Array.isArray(schema["enum"])) return schema["enum"].map((v) => JSON.stringify(v)).join(" | ");
  if ("const" in schema) return JSON.stringify(schema["const"]);
  const type = schema["type"];
  if (Array.isArray(type)) return type.map((t) => typeName({ ...schema, type: t })).join(" | ");
  const format = typeof schema["format"] === "string" ? ` (${schema["format"]})` : "";
  switch (type) {
    case "array": {
      const tuple = schema["prefixItems"] as Schema[] | undefined;
      if (Array.isArray(tuple)) return `[${tuple.map(typeName).join(", ")}]`;
      const items = typeName(schema["items"] as Schema | undefined);
      return items.includes(" ") ? `(${items})[]` : `${items}[]`;
    }
    case "object": {
      const values = schema["additionalProperties"];
      return typeof values === "object" && values !== null ? `map<string, ${typeName(values as Schema)}>` : "object";
    }
    case undefined:
      return "any";
    default:
      return `${String(type)}${format}`;
  }
}

function example(schema: Schema | undefined, depth = 0): unknown {
  if (!schema || depth > 6) return null;
  const ref = refName(schema);
  if (ref) return example(defs[ref], depth + 1);
  if ("default" in schema) return schema["default"];
  if ("const" in schema) return schema["const"];
  if (Array.isArray(schema["enum"])) return schema["enum"][0] ?? null;
  const union = (schema["anyOf"] ?? schema["oneOf"]) as Schema[] | undefined;
  if (Array.isArray(union)) return example(union[0], depth + 1);
  const type = Array.isArray(schema["type"]) ? schema["type"].find((t) => t !== "null") : schema["type"];
  switch (type) {
    case "string":
      return schema["format"] === "date-time" ? new Date(0).toISOString() : "";
    case "integer":
    case "number":
      return typeof schema["minimum"] === "number" ? schema["minimum"] : 0;
    case "boolean":
      return false;
    case "array":
      return Array.isArray(schema["prefixItems"]) ? (schema["prefixItems"] as Schema[]).map((s) => example(s, depth + 1)) : [];
    case "object": {
      const value: { [key: string]: unknown } = {};
      const properties = (schema["properties"] ?? {}) as { [key: string]: Schema };
      const required = (schema["required"] ?? []) as string[];
      for (const name of required) value[name] = example(properties[name], depth + 1);
      return value;
    }
    default:
      return null;
  }
}

function signature(method: Method): string {
  const params = method.params.map((p) => `${p.name}: ${p.stream ? `stream<${typeName(p.schema)}>` : typeName(p.schema)}`);
  const result = method.kind === "stream" ? `stream<${typeName(method.result)}>` : typeName(method.result);
  return `${method.name}(${params.join(", ")}) → ${result}`;
}

// ---------------------------------------------------------------------------------------------
// Hub methods
// ---------------------------------------------------------------------------------------------

function parseArguments(text: string, method: Method): unknown[] {
  const parsed: unknown = JSON.parse(text || "[]");
  if (!Array.isArray(parsed)) throw new Error("the arguments must be a JSON array");
  if (parsed.length !== method.params.length) throw new Error(`${method.name} takes ${method.params.length} argument(s), the array has ${parsed.length}`);
  return parsed;
}

/** Arguments for the call: each uploaded parameter's JSON array becomes a Subject fed after the call starts. */
function withUploads(args: unknown[], method: Method): { args: unknown[]; upload: () => void } {
  const feeds: (() => void)[] = [];
  const sent = args.map((arg, i) => {
    if (!method.params[i]?.stream) return arg;
    if (!Array.isArray(arg)) throw new Error(`${method.params[i]?.name}: an uploaded stream is given as a JSON array of its items`);
    const subject = new Subject<unknown>();
    feeds.push(() => {
      for (const item of arg) subject.next(item);
      subject.complete();
    });
    return subject;
  });
  return { args: sent, upload: () => feeds.forEach((feed) => feed()) };
}

function methodCard(method: Method): HTMLElement {
  const card = make("section", "method");
  card.dataset["method"] = method.name;
  const head = make("div", "signature", signature(method));
  head.append(make("span", "kind", method.kind === "stream" ? "stream" : method.params.some((p) => p.stream) ? "upload" : "invoke"));
  const args = make("textarea", "args");
  args.rows = Math.min(6, Math.max(1, method.params.length));
  args.value = JSON.stringify(method.params.map((p) => (p.stream ? [example(p.schema)] : example(p.schema))));
  const run = make("button", "run", method.kind === "stream" ? "Stream" : "Invoke");
  const cancel = make("button", "cancel", "Cancel");
  cancel.hidden = true;
  const output = make("pre", "output");
  card.append(head);
  if (method.description) card.append(make("div", "doc", method.description));
  card.append(args, run, " ", cancel, output);

  let subscription: ISubscription<unknown> | undefined;
  const show = (state: string, text: string): void => {
    output.dataset["state"] = state;
    output.textContent = text;
  };
  cancel.addEventListener("click", () => {
    subscription?.dispose();
    subscription = undefined;
    cancel.hidden = true;
    output.dataset["state"] = "cancelled";
    output.append("\n(cancelled)");
  });
  run.addEventListener("click", () => {
    try {
      if (!connection) throw new Error("not connected");
      const { args: sent, upload } = withUploads(parseArguments(args.value, method), method);
      if (method.kind === "stream") {
        let items = 0;
        show("streaming", "");
        cancel.hidden = false;
        subscription = connection.stream<unknown>(method.name, ...sent).subscribe({
          next: (item) => {
            items += 1;
            output.dataset["items"] = String(items);
            output.append(`${output.textContent ? "\n" : ""}${JSON.stringify(item)}`);
          },
          complete: () => {
            cancel.hidden = true;
            output.dataset["state"] = "complete";
            output.append(`${output.textContent ? "\n" : ""}(complete: ${items} item${items === 1 ? "" : "s"})`);
          },
          error: (error) => {
            cancel.hidden = true;
            show("error", `Error: ${errorText(error)}`);
          },
        });
      } else {
        show("running", "…");
        connection.invoke<unknown>(method.name, ...sent).then(
          (result) => show("ok", result === undefined || result === null ? "(no result)" : JSON.stringify(result, null, 2)),
          (error: unknown) => show("error", `Error: ${errorText(error)}`),
        );
      }
      upload();
    } catch (error) {
      show("error", `Error: ${errorText(error)}`);
    }
  });
  return card;
}

// ---------------------------------------------------------------------------------------------
// Client methods
// ---------------------------------------------------------------------------------------------

function clientCard(method: Method): { card: HTMLElement; reply: HTMLTextAreaElement | undefined } {
  const card = make("section", "client-method");
  card.dataset["clientMethod"] = method.name;
  card.append(make("div", "signature", signature(method)));
  if (method.description) card.append(make("div", "doc", method.description));
  let reply: HTMLTextAreaElement | undefined;
  if (method.result) {
    reply = make("textarea", "reply");
    reply.rows = 1;
    reply.value = JSON.stringify(example(method.result));
    card.append(make("div", "doc", "A client result: the explorer answers with"), reply);
  }
  return { card, reply };
}

function logCall(name: string, args: unknown[]): void {
  const entry = make("li", "", `${new Date().toLocaleTimeString([], { hour12: false })} ${name}(${args.map((a) => JSON.stringify(a)).join(", ")})`);
  entry.dataset["clientMethod"] = name;
  const calls = $("calls");
  calls.prepend(entry);
  while (calls.childElementCount > 200) calls.lastElementChild?.remove();
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

async function connect(hub: HubManifest, replies: Map<string, HTMLTextAreaElement | undefined>): Promise<void> {
  await connection?.stop();
  const token = ($("token") as HTMLInputElement).value.trim();
  const next = new HubConnectionBuilder()
    .withUrl(hubPath, token ? { accessTokenFactory: () => token } : {})
    .withAutomaticReconnect()
    .configureLogging(LogLevel.Warning)
    .build();
  for (const method of hub.clientMethods) {
    const reply = replies.get(method.name);
    next.on(method.name, (...args: unknown[]) => {
      logCall(method.name, args);
      return reply ? (JSON.parse(reply.value) as unknown) : undefined;
    });
  }
  next.onreconnecting(() => status("reconnecting"));
  next.onreconnected(() => status("connected"));
  next.onclose((error) => status("disconnected", error ? errorText(error) : ""));
  connection = next;
  status("connecting");
  try {
    await next.start();
    status("connected");
  } catch (error) {
    status("disconnected", errorText(error));
  }
}

/** The hub, once its manifest was read, with the reply boxes of its client results. */
let loaded: { hub: HubManifest; replies: Map<string, HTMLTextAreaElement | undefined> } | undefined;

async function load(): Promise<void> {
  const token = (): string => ($("token") as HTMLInputElement).value.trim();
  const response = await fetch(`${hubPath}/manifest`, token() ? { headers: { Authorization: `Bearer ${token()}` } } : {});
  if (!response.ok) throw new Error(`GET ${hubPath}/manifest answered ${response.status}`);
  const manifest = (await response.json()) as Manifest;
  defs = manifest.$defs ?? {};
  const hub = manifest.hubs.find((h) => h.path === hubPath) ?? manifest.hubs[0];
  if (!hub) throw new Error("the manifest has no hub");
  document.title = `${hub.name} · hub explorer`;
  $("hub-name").textContent = `${hub.name} at ${hubPath}`;
  $("methods").append(...hub.methods.map(methodCard));
  const replies = new Map<string, HTMLTextAreaElement | undefined>();
  for (const method of hub.clientMethods) {
    const { card, reply } = clientCard(method);
    replies.set(method.name, reply);
    $("client-methods").append(card);
  }
  for (const [name, schema] of Object.entries(defs)) {
    const details = make("details");
    details.append(make("summary", "signature", name), make("pre", "", JSON.stringify(schema, null, 2)));
    $("types").append(details);
  }
  loaded = { hub, replies };
  $("error").textContent = "";
  await connect(hub, replies);
}

function start(): void {
  load().catch((error: unknown) => {
    status("disconnected");
    $("error").textContent = errorText(error);
  });
}

// Connect again (with the token given), or read the manifest first if that failed.
$("connect").addEventListener("click", () => (loaded ? void connect(loaded.hub, loaded.replies) : start()));
start();
