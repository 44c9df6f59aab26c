//! Results: medians, ratios to the raw baseline, targets, JSON and Markdown.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::procs::{self, Paths};
use crate::{Sample, Scenario, ServerSpec, Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
}

#[derive(Debug, Clone)]
pub struct MetricSpec {
    pub key: String,
    pub label: String,
    pub better: Better,
    /// Whether tables show its ratio to the raw baseline.
    pub ratio: bool,
}

pub const BASELINE: &str = "raw";
pub const OURS: &str = "hub";

pub fn fmt_value(v: f64) -> String {
    if !v.is_finite() {
        "–".to_owned()
    } else if v.abs() >= 10_000.0 {
        let s = format!("{:.0}", v);
        // Thousands separators.
        let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}{out}")
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The commit and whether the tree differs from it, read before the build.
pub fn source_state(paths: &Paths) -> Value {
    json!({
        "commit": procs::output_of("git", &["rev-parse", "--short", "HEAD"], &paths.repo),
        "dirty": !procs::output_of("git", &["status", "--porcelain", "--untracked-files=no"], &paths.repo).is_empty(),
    })
}

pub fn meta(
    paths: &Paths,
    settings: &Settings,
    elapsed: Duration,
    pinned: bool,
    source: &Value,
) -> Value {
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_default();
    let mem_total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_default();
    let lock_version = |lock: &str, name: &str| -> String {
        let text = std::fs::read_to_string(paths.bench.join(lock)).unwrap_or_default();
        let needle = format!("name = \"{name}\"\nversion = \"");
        text.find(&needle)
            .map(|i| {
                text[i + needle.len()..]
                    .split('"')
                    .next()
                    .unwrap_or("")
                    .to_owned()
            })
            .unwrap_or_default()
    };
    let npm_lock =
        std::fs::read_to_string(paths.bench.join("servers/socketio-node/package-lock.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok());
    let socketio_version = npm_lock
        .as_ref()
        .and_then(|l| l["packages"]["node_modules/socket.io"]["version"].as_str())
        .unwrap_or("")
        .to_owned();
    json!({
        "date": procs::output_of("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"], &paths.repo),
        "commit": source["commit"],
        "dirty": source["dirty"],
        "command": if settings.quick {
            "cargo run --release --manifest-path bench/Cargo.toml -p runner -- --quick"
        } else {
            "cargo run --release --manifest-path bench/Cargo.toml -p runner"
        },
        "cpu": cpu_model,
        "cores": procs::cpus(),
        "memory": mem_total,
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
        "pinned": pinned,
        "rustc": procs::output_of("rustc", &["--version"], &paths.repo),
        "node": procs::output_of("node", &["--version"], &paths.repo),
        "versions": {
            "axum": lock_version("Cargo.lock", "axum"),
            "tungstenite": lock_version("Cargo.lock", "tungstenite"),
            "socketioxide": lock_version("Cargo.lock", "socketioxide"),
            "socket.io": socketio_version,
        },
        "elapsed_s": elapsed.as_secs_f64().round(),
    })
}

pub fn results_json(
    meta: &Value,
    settings: &Settings,
    scenarios: &[Scenario],
    servers: &[ServerSpec],
    results: &BTreeMap<String, BTreeMap<String, Vec<Sample>>>,
    failures: &[String],
) -> Value {
    let mut scenario_values = Vec::new();
    for scenario in scenarios {
        let specs = crate::primary(scenario);
        let per_server = results.get(&scenario.id);
        let medians = |server: &str| -> BTreeMap<String, f64> {
            let mut out = BTreeMap::new();
            let Some(samples) = per_server.and_then(|p| p.get(server)) else {
                return out;
            };
            let keys: std::collections::BTreeSet<&String> =
                samples.iter().flat_map(|s| s.metrics.keys()).collect();
            for key in keys {
                let mut values: Vec<f64> = samples
                    .iter()
                    .filter_map(|s| s.metrics.get(key).copied())
                    .filter(|v| v.is_finite())
                    .collect();
                out.insert(key.clone(), median(&mut values));
            }
            out
        };
        let mut server_values = serde_json::Map::new();
        for server in servers {
            let Some(samples) = per_server.and_then(|p| p.get(server.name)) else {
                continue;
            };
            let med = medians(server.name);
            // Each run's value over raw's in the same run, then the median of those ratios:
            // machine drift between runs cancels out.
            let raw_samples = per_server.and_then(|p| p.get(BASELINE));
            let mut ratios = serde_json::Map::new();
            for spec in &specs {
                let mut per_run: Vec<f64> = samples
                    .iter()
                    .filter_map(|s| {
                        let v = s.metrics.get(&spec.key)?;
                        let raw = raw_samples?
                            .iter()
                            .find(|r| r.run == s.run)?
                            .metrics
                            .get(&spec.key)?;
                        (raw.is_finite() && *raw != 0.0 && v.is_finite()).then(|| v / raw)
                    })
                    .collect();
                if !per_run.is_empty() {
                    ratios.insert(spec.key.clone(), json!(round(median(&mut per_run), 3)));
                }
            }
            let runs: Vec<Value> = samples
                .iter()
                .map(|s| {
                    let metrics: serde_json::Map<String, Value> = s
                        .metrics
                        .iter()
                        .map(|(k, v)| (k.clone(), num(*v)))
                        .collect();
                    json!({"run": s.run + 1, "metrics": metrics, "notes": s.notes})
                })
                .collect();
            let med_json: serde_json::Map<String, Value> =
                med.iter().map(|(k, v)| (k.clone(), num(*v))).collect();
            server_values.insert(
                server.name.to_owned(),
                json!({"median": med_json, "ratio_to_raw": ratios, "runs": runs}),
            );
        }
        scenario_values.push(json!({
            "id": scenario.id,
            "title": scenario.title,
            "about": scenario.about,
            "metrics": specs.iter().map(|m| json!({
                "key": m.key, "label": m.label,
                "better": if m.better == Better::Lower { "lower" } else { "higher" },
                "ratio_to_raw": m.ratio,
            })).collect::<Vec<_>>(),
            "servers": server_values,
        }));
    }
    let mut document = json!({
        "meta": meta,
        "settings": crate::settings_json(settings),
        "servers": servers.iter().map(|s| json!({
            "name": s.name, "label": s.label, "protocol": s.proto, "note": s.skip_note,
        })).collect::<Vec<_>>(),
        "scenarios": scenario_values,
        "failures": failures,
    });
    document["targets"] = Value::Array(targets(&document));
    document
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

fn num(v: f64) -> Value {
    if v.is_finite() {
        json!(round(v, 3))
    } else {
        Value::Null
    }
}

/// The ratio to raw (median of per-run ratios) of `metric` for `server` in scenario `id`.
pub fn ratio_of(document: &Value, id: &str, server: &str, metric: &str) -> Option<f64> {
    document["scenarios"]
        .as_array()?
        .iter()
        .find(|s| s["id"] == id)?["servers"][server]["ratio_to_raw"][metric]
        .as_f64()
}

/// The median of `metric` for `server` in scenario `id`.
pub fn median_of(document: &Value, id: &str, server: &str, metric: &str) -> Option<f64> {
    document["scenarios"]
        .as_array()?
        .iter()
        .find(|s| s["id"] == id)?["servers"][server]["median"][metric]
        .as_f64()
}

fn targets(document: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let status = |ok: Option<bool>| match ok {
        Some(true) => "met",
        Some(false) => "missed",
        None => "not measured",
    };
    let scenario_ids: Vec<String> = document["scenarios"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    // 1. Idle memory per connection: 6 KiB where raw takes 5.7, i.e. within ~5% of raw. Targets
    //    are ratios to the raw baseline of the same run, so the status is the ratio's.
    let idle_counts: Vec<usize> = document["settings"]["idle_counts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_u64().map(|c| c as usize))
        .collect();
    if scenario_ids.iter().any(|s| s == "idle") {
        for count in idle_counts {
            let key = format!("kib_per_conn_{}", crate::fmt_count(count));
            let ours = median_of(document, "idle", OURS, &key);
            let raw = median_of(document, "idle", BASELINE, &key);
            let ratio = ratio_of(document, "idle", OURS, &key);
            out.push(json!({
                "id": format!("idle_{}", crate::fmt_count(count)),
                "text": format!("idle memory at {} connections within 1.05x raw (6 KiB where raw takes 5.7): hub {} KiB = {}x raw ({} KiB)",
                    crate::fmt_count(count), opt(ours), opt(ratio), opt(raw)),
                "value": ours, "ratio": ratio, "limit": 1.05, "raw": raw,
                "status": status(ratio.map(|r| r <= 1.05)),
            }));
        }
    }
    // 2. Echo round trips per server CPU-second >= 0.9x raw and ahead of socketioxide.
    if scenario_ids.iter().any(|s| s == "echo_32") {
        let key = "round_trips_per_cpu_s";
        let ours = median_of(document, "echo_32", OURS, key);
        let raw = median_of(document, "echo_32", BASELINE, key);
        let sio = median_of(document, "echo_32", "socketioxide", key);
        let ratio = ratio_of(document, "echo_32", OURS, key);
        let sio_ratio = ratio_of(document, "echo_32", "socketioxide", key);
        out.push(json!({
            "id": "echo_vs_raw",
            "text": format!("echo (32 B) round trips per server CPU-s >= 0.9x raw: hub {} = {}x raw ({})",
                opt(ours), opt(ratio), opt(raw)),
            "value": ratio, "limit": 0.9,
            "status": status(ratio.map(|r| r >= 0.9)),
        }));
        out.push(json!({
            "id": "echo_vs_socketioxide",
            "text": format!("echo (32 B) round trips per server CPU-s ahead of socketioxide: hub {} ({}x raw) vs {} ({}x raw)",
                opt(ours), opt(ratio), opt(sio), opt(sio_ratio)),
            "value": ratio, "socketioxide": sio_ratio,
            "status": status(ratio.zip(sio_ratio).map(|(o, s)| o > s)),
        }));
    }
    // 3. Broadcast <= 5 us server CPU per delivery.
    for id in scenario_ids.iter().filter(|s| s.starts_with("broadcast_")) {
        let ours = median_of(document, id, OURS, "us_per_delivery");
        let raw = median_of(document, id, BASELINE, "us_per_delivery");
        let subs = id.trim_start_matches("broadcast_");
        out.push(json!({
            "id": id,
            "text": format!("broadcast to {} subscribers <= 5 µs server CPU per delivery: hub {} µs (raw {})",
                subs.parse::<usize>().map(crate::fmt_count).unwrap_or_default(), opt(ours), opt(raw)),
            "value": ours, "limit": 5.0, "raw": raw,
            "status": status(ours.map(|v| v <= 5.0)),
        }));
    }
    // 3b. Cross-node broadcast: server CPU per delivery with 2 nodes on Redis at most 1.5x that
    //     of 1 node in memory, measured in the same run.
    for id in scenario_ids
        .iter()
        .filter(|s| s.starts_with("redis_broadcast_"))
    {
        let get = |key: &str| median_of(document, id, OURS, key);
        let ratio = get("ratio_2_nodes");
        let subs = id.trim_start_matches("redis_broadcast_");
        out.push(json!({
            "id": id,
            "text": format!("cross-node broadcast to {} subscribers: 2 nodes on Redis <= 1.5x the server CPU per delivery of 1 node in memory: {}x ({} µs against {} µs; 1 node on Redis {}x), {} messages/s through Redis",
                subs.parse::<usize>().map(crate::fmt_count).unwrap_or_default(),
                opt(ratio), opt(get("us_per_delivery_redis_2")), opt(get("us_per_delivery_memory")),
                opt(get("ratio_1_node_redis")), opt(get("broadcasts_per_s_redis_2"))),
            "value": ratio, "limit": 1.5,
            "status": status(ratio.map(|r| r <= 1.5)),
        }));
    }
    // 4. p99 latency within 1.5x raw.
    if scenario_ids.iter().any(|s| s == "latency") {
        let ours = median_of(document, "latency", OURS, "p99_us");
        let raw = median_of(document, "latency", BASELINE, "p99_us");
        let ratio = ratio_of(document, "latency", OURS, "p99_us");
        out.push(json!({
            "id": "latency_p99",
            "text": format!("p99 latency under load within 1.5x raw: hub {} µs = {}x raw ({} µs)",
                opt(ours), opt(ratio), opt(raw)),
            "value": ratio, "limit": 1.5,
            "status": status(ratio.map(|r| r <= 1.5)),
        }));
    }
    out
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), fmt_value)
}

pub fn markdown(
    document: &Value,
    scenarios: &[Scenario],
    servers: &[ServerSpec],
    charts: &BTreeMap<String, Vec<String>>,
    md_path: &Path,
    notes: Option<&str>,
) -> String {
    let meta = &document["meta"];
    let quick = document["settings"]["quick"].as_bool().unwrap_or(false);
    let mut md = String::new();
    md.push_str("# Benchmarks\n\n");
    md.push_str(&format!(
        "<!-- Written by the benchmark runner ({}); edit bench/NOTES.md for the findings section, not this file. -->\n\n",
        md_path.file_name().and_then(|n| n.to_str()).unwrap_or("")
    ));
    if quick {
        md.push_str("**Smoke run (`--quick`): tiny counts, one run. These figures mean nothing; they only show that every part works.**\n\n");
    }
    md.push_str(&format!(
        "Produced by `{}` on {} (commit {}{}), in {:.0} s.\n\n",
        meta["command"].as_str().unwrap_or(""),
        meta["date"].as_str().unwrap_or("?"),
        meta["commit"].as_str().unwrap_or("?"),
        if meta["dirty"].as_bool().unwrap_or(false) {
            ", with uncommitted changes"
        } else {
            ""
        },
        meta["elapsed_s"].as_f64().unwrap_or(0.0),
    ));
    md.push_str(&format!(
        "Machine: {} core(s), {}, {}, Linux {}; {}, Node {}. Machine-readable results: `{}`.\n\n",
        meta["cores"],
        meta["cpu"].as_str().unwrap_or("?"),
        meta["memory"].as_str().unwrap_or("?"),
        meta["kernel"].as_str().unwrap_or("?"),
        meta["rustc"].as_str().unwrap_or("?"),
        meta["node"].as_str().unwrap_or("–"),
        meta["results"]
            .as_str()
            .unwrap_or("bench/results/latest.json"),
    ));
    md.push_str(&format!(
        "**Method.** Each server runs alone, pinned to core 0 (`taskset -c 0`); the load generator \
         (`bench/loadgen`, Rust, tokio-tungstenite, HDR histograms) is pinned to core 1. Over loopback \
         the client costs as much CPU as the server, so servers are compared by work per **server** \
         CPU-second: utime + stime of the server from `/proc/PID/stat` across the measured window. \
         Every figure is the median of {} run(s), the runs of all servers interleaved; a ratio (× raw) \
         is the median of each run's ratio to the raw baseline measured in that same run. Client sockets bind to 127.0.0.1 … 127.0.0.8 in \
         turn and close with SO_LINGER 0 (no TIME_WAIT left between runs).{}\n\n",
        document["settings"]["runs"],
        if meta["pinned"].as_bool().unwrap_or(false) {
            ""
        } else {
            " **This machine has one core: nothing was pinned, figures are unreliable.**"
        }
    ));

    md.push_str(
        "The soak test (10k connections, 10 minutes of numbered messages, none lost or duplicated, \
         the server's memory and open files over time) and the slow-client regression cases \
         (burst, crowd) have a report of their own: [soak.md](soak.md) (`--soak`).\n\n",
    );
    md.push_str(
        "## Servers\n\n| name | server | protocol spoken by the load generator |\n|---|---|---|\n",
    );
    for server in servers {
        let what = match server.name {
            "raw" => {
                "axum 0.8 WebSocket, `read_buffer_size(4096)`, echo; broadcast and groups via `tokio::sync::broadcast` (a channel per group); streams written in a loop (`bench/servers/raw`)"
            }
            "hub" => {
                "hub-runtime with default `HubOptions`: `Echo`, `SendMessage` to all, `JoinGroup`/`SendToGroup`, a `Count` server stream, no connect hooks (`bench/servers/hub`)"
            }
            "chat" => "`examples/chat` (release), the project's ChatHub",
            "hub-msgpack" | "hub-sse" | "hub-longpolling" => {
                "hub-runtime with default `HubOptions` (`bench/servers/hub`)"
            }
            "hub-async" => {
                "hub-runtime with default `HubOptions` (`bench/servers/hub`), echo through `EchoAsync` (`async fn`, one `yield_now`)"
            }
            "socketioxide" => {
                "socketioxide with defaults: `echo` with ack, `broadcast` via `io.emit`, rooms via `join` and `io.to(room).emit` (`bench/servers/socketioxide`)"
            }
            "socketio-node" => {
                "socket.io on Node with defaults: `echo` with ack, `broadcast` via `io.emit`, rooms via `join` and `io.to(room).emit` (`bench/servers/socketio-node`)"
            }
            _ => "",
        };
        let proto = match server.proto {
            "raw" => "plain WebSocket text",
            "signalr" => "SignalR JSON hub protocol (skipNegotiation WebSocket)",
            "signalr-msgpack" => {
                "SignalR MessagePack hub protocol (skipNegotiation WebSocket, binary frames)"
            }
            "signalr-sse" => {
                "SignalR JSON hub protocol over Server-Sent Events (hyper HTTP/1.1 client: event stream + keep-alive POSTs)"
            }
            "signalr-longpolling" => {
                "SignalR JSON hub protocol over long polling (hyper HTTP/1.1 client: polls + keep-alive POSTs)"
            }
            "socketio" => "Socket.IO v5 / engine.io v4 over WebSocket",
            p => p,
        };
        md.push_str(&format!(
            "| `{}` | {}{} | {} |\n",
            server.name,
            what,
            server
                .skip_note
                .map(|n| {
                    let mut chars = n.chars();
                    let first = chars.next().map(|c| c.to_uppercase().to_string());
                    format!(". {}{}", first.unwrap_or_default(), chars.as_str())
                })
                .unwrap_or_default(),
            proto
        ));
    }
    md.push('\n');

    md.push_str("## Targets\n\nFor `hub` (hub-runtime), from the benchmark issue.\n\n| | target | status |\n|---|---|---|\n");
    for (i, target) in document["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let status = target["status"].as_str().unwrap_or("?");
        let mark = match status {
            "met" => "✅ met",
            "missed" => "❌ missed",
            s => s,
        };
        md.push_str(&format!(
            "| {} | {} | {} |\n",
            i + 1,
            target["text"].as_str().unwrap_or(""),
            mark
        ));
    }
    md.push('\n');

    for scenario in scenarios {
        let Some(value) = document["scenarios"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["id"] == scenario.id.as_str()))
        else {
            continue;
        };
        let specs = crate::primary(scenario);
        md.push_str(&format!("## {}\n\n{}\n\n", scenario.title, scenario.about));
        for chart in charts.get(&scenario.id).into_iter().flatten() {
            md.push_str(&format!("![{}]({})\n\n", scenario.title, chart));
        }
        let mut header = String::from("| server |");
        let mut rule = String::from("|---|");
        for spec in &specs {
            header.push_str(&format!(" {} |", spec.label));
            rule.push_str("---:|");
            if spec.ratio {
                header.push_str(" × raw |");
                rule.push_str("---:|");
            }
        }
        header.push_str(" runs (first metric) |\n");
        rule.push_str("---|\n");
        md.push_str(&header);
        md.push_str(&rule);
        for server in servers {
            let entry = &value["servers"][server.name];
            if entry.is_null() {
                continue;
            }
            let mut row = format!("| `{}` |", server.name);
            for spec in &specs {
                row.push_str(&format!(
                    " {} |",
                    entry["median"][&spec.key]
                        .as_f64()
                        .map_or("–".into(), fmt_value)
                ));
                if spec.ratio {
                    row.push_str(&format!(
                        " {} |",
                        entry["ratio_to_raw"][&spec.key]
                            .as_f64()
                            .map_or("–".into(), |r| format!("{r:.2}"))
                    ));
                }
            }
            let runs: Vec<String> = entry["runs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    r["metrics"][&specs[0].key]
                        .as_f64()
                        .map_or("–".into(), fmt_value)
                })
                .collect();
            row.push_str(&format!(" {} |\n", runs.join(" / ")));
            md.push_str(&row);
        }
        let notes: Vec<String> = servers
            .iter()
            .flat_map(|server| {
                value["servers"][server.name]["runs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|r| r["notes"].as_array().into_iter().flatten())
                    .filter_map(|n| n.as_str())
                    .map(move |n| format!("`{}`: {n}", server.name))
            })
            .collect();
        if !notes.is_empty() {
            md.push_str("\nNotes from the runs:\n\n");
            let mut seen = std::collections::BTreeSet::new();
            for note in notes {
                let short: String = note.chars().take(300).collect();
                if seen.insert(short.clone()) {
                    md.push_str(&format!("- {short}\n"));
                }
            }
        }
        md.push('\n');
    }
    if let Some(failures) = document["failures"].as_array().filter(|f| !f.is_empty()) {
        md.push_str("## Failed runs\n\n");
        for failure in failures {
            md.push_str(&format!("- {}\n", failure.as_str().unwrap_or("")));
        }
        md.push('\n');
    }
    if let Some(notes) = notes {
        md.push_str(notes.trim_end());
        md.push('\n');
    }
    md
}
