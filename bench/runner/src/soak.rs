//! `--soak`: the soak test and the slow-client regression cases, against the bench hub.
//!
//! - `soak`: `--soak-connections` (10k) steady connections in load processes of at most 5,000,
//!   `--soak-minutes` (10) of mixed traffic with numbered messages (see `loadgen/src/soak.rs`),
//!   plus churning connections; the server's RSS (`VmRSS` of /proc/PID/status), open file
//!   descriptors (/proc/PID/fd) and CPU time sampled every 5 s. Messages lost and duplicated are
//!   summed over every process: a broadcast is due to every steady connection, a group message
//!   to every member of its group.
//! - `burst`: one WebSocket message of 1,100 or 2,000 fire-and-forget `SendMessage` invocations
//!   (MessagePack; 1,100 in JSON) with 8 bystanders reading; nobody may be dropped, everyone
//!   gets everything in order.
//! - `crowd`: 1,100 and 1,500 clients send one `SendMessage` each at the same moment; nobody may
//!   be dropped, everyone gets every message once.
//!
//! Writes `bench/results/soak.json` and `docs/soak.md` (with `--out DIR`: `DIR/soak.json` and
//! `DIR/soak.md`; with `--quick`: small counts, into `bench/target/soak-quick/`). A run of some
//! of the cases (`--only burst,crowd`) keeps the other sections of an existing `soak.json`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::procs::{self, Loadgen, Paths, Server};
use crate::report::fmt_value;
use crate::{Args, fmt_count};

pub const CASES: [&str; 3] = ["soak", "burst", "crowd"];

/// What the soak does; the per-connection rates are the loadgen's flags.
#[derive(Debug, Clone)]
struct Plan {
    quick: bool,
    connections: usize,
    duration: Duration,
    per_process: usize,
    group_size: usize,
    broadcasters: usize,
    echo_every_ms: u64,
    broadcast_every_ms: u64,
    group_every_ms: u64,
    stream_every_ms: u64,
    stream_items: u64,
    msgpack_every: usize,
    churn: usize,
    churn_every_ms: u64,
    sample_every: Duration,
    report_every_ms: u64,
    /// Bystanders of a burst; the bursts as (protocol, invocations).
    bystanders: usize,
    bursts: Vec<(&'static str, usize)>,
    crowds: Vec<usize>,
}

impl Plan {
    fn new(args: &Args) -> Plan {
        let quick = args.quick;
        let minutes = args.soak_minutes.unwrap_or(if quick { 0.25 } else { 10.0 });
        let connections = args
            .soak_connections
            .unwrap_or(if quick { 200 } else { 10_000 });
        let group_size = 10;
        Plan {
            quick,
            // Whole groups.
            connections: connections.max(group_size).div_ceil(group_size) * group_size,
            duration: Duration::from_secs_f64((minutes * 60.0).max(5.0)),
            // Two processes for 10k: each wake-up of a process costs a context switch on the
            // load core, and every broadcast wakes every process.
            per_process: if quick { 100 } else { 5_000 },
            group_size,
            broadcasters: 4,
            echo_every_ms: 4_000,
            broadcast_every_ms: 2_000,
            group_every_ms: 20_000,
            stream_every_ms: 30_000,
            stream_items: 20,
            msgpack_every: 4,
            churn: if quick { 4 } else { 20 },
            churn_every_ms: 1_000,
            sample_every: Duration::from_secs(if quick { 1 } else { 5 }),
            report_every_ms: if quick { 2_000 } else { 10_000 },
            bystanders: 8,
            bursts: vec![
                ("signalr-msgpack", 1_100),
                ("signalr-msgpack", 2_000),
                ("signalr", 1_100),
            ],
            crowds: if quick { vec![300] } else { vec![1_100, 1_500] },
        }
    }

    /// When the server's figures count as steady: once every connection has sent every kind of
    /// message at least once (the longest period, plus 10 s), at least a minute; at most half
    /// the run. A connection's first stream or group message allocates what it keeps for its
    /// life.
    fn warmup(&self) -> Duration {
        let longest = [
            self.echo_every_ms,
            self.broadcast_every_ms,
            self.group_every_ms,
            self.stream_every_ms,
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        let warmup = Duration::from_millis(longest + 10_000).max(Duration::from_secs(60));
        warmup.min(self.duration / 2)
    }

    fn json(&self) -> Value {
        json!({
            "connections": self.connections,
            "minutes": self.duration.as_secs_f64() / 60.0,
            "connections_per_load_process": self.per_process,
            "group_size": self.group_size,
            "broadcasters": self.broadcasters,
            "echo_every_ms": self.echo_every_ms,
            "broadcast_every_ms": self.broadcast_every_ms,
            "group_every_ms": self.group_every_ms,
            "stream_every_ms": self.stream_every_ms,
            "stream_items": self.stream_items,
            "messagepack_every": self.msgpack_every,
            "churn_connections": self.churn,
            "churn_every_ms": self.churn_every_ms,
            "sample_every_s": self.sample_every.as_secs_f64(),
            "warmup_s": self.warmup().as_secs_f64(),
        })
    }
}

/// Runs the cases `--only` names (all by default); the process's exit code.
pub fn main(args: &Args, paths: &Paths) -> i32 {
    let plan = Plan::new(args);
    let cases: Vec<&str> = CASES
        .into_iter()
        .filter(|c| {
            args.only
                .as_ref()
                .is_none_or(|only| only.iter().any(|o| o == c))
        })
        .collect();
    if cases.is_empty() {
        eprintln!("runner: --soak runs {}", CASES.join(", "));
        return 2;
    }
    let source = crate::report::source_state(paths);
    if args.build
        && let Err(err) = crate::build_bench(paths, &["loadgen", "hub-bench"])
    {
        eprintln!("runner: {err}");
        return 1;
    }
    let nofile = procs::raise_nofile();
    let (server_cpu, load_cpu) = if procs::cpus() >= 2 {
        (Some(0), Some(1))
    } else {
        (None, None)
    };
    if let Some(cpu) = load_cpu {
        procs::pin_self(cpu);
    }
    if nofile < plan.connections as u64 + plan.churn as u64 + 256 {
        eprintln!(
            "runner: warning: open-file limit {nofile} is low for a server with {} connections",
            plan.connections
        );
    }
    let hub = args
        .hub
        .clone()
        .unwrap_or_else(|| paths.bench_release.join("hub-bench"));
    let out = args.out.clone().unwrap_or_else(|| {
        if plan.quick {
            paths.bench.join("target/soak-quick")
        } else {
            paths.bench.join("results")
        }
    });
    let md_path = if args.out.is_some() || plan.quick {
        out.join("soak.md")
    } else {
        paths.repo.join("docs/soak.md")
    };
    std::fs::create_dir_all(&out).expect("output directory");
    let logs = paths.bench.join("target/bench-logs");
    std::fs::create_dir_all(&logs).expect("log directory");
    let env = Env {
        paths,
        hub: &hub,
        server_cpu,
        load_cpu,
        logs: &logs,
    };

    let json_path = out.join("soak.json");
    let mut document = std::fs::read_to_string(&json_path)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let mut failed = Vec::new();
    for case in cases {
        procs::drain_time_wait(Duration::from_secs(30));
        let started = Instant::now();
        let mut section = match case {
            "soak" => soak(&env, &plan),
            "burst" => bursts(&env, &plan),
            _ => crowds(&env, &plan),
        };
        let mut meta = crate::report::meta(
            paths,
            &crate::Settings::quick(),
            started.elapsed(),
            server_cpu.is_some(),
            &source,
        );
        meta["command"] = command_line().into();
        meta["hub"] = hub
            .strip_prefix(&paths.repo)
            .unwrap_or(&hub)
            .display()
            .to_string()
            .into();
        section["meta"] = meta;
        if section["pass"] != true {
            failed.push(case);
        }
        eprintln!(
            "runner: {case}: {} in {:.0} s",
            if section["pass"] == true {
                "pass"
            } else {
                "FAIL"
            },
            started.elapsed().as_secs_f64()
        );
        document[case] = section;
    }
    document["quick"] = plan.quick.into();
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&document).expect("json"),
    )
    .expect("write soak.json");
    let results = json_path
        .strip_prefix(&paths.repo)
        .unwrap_or(&json_path)
        .display()
        .to_string();
    let notes = std::fs::read_to_string(paths.bench.join("SOAK-NOTES.md")).ok();
    std::fs::write(&md_path, markdown(&document, &results, notes.as_deref()))
        .expect("write soak.md");
    eprintln!(
        "runner: wrote {} and {}",
        json_path.display(),
        md_path.display()
    );
    if failed.is_empty() {
        0
    } else {
        eprintln!("runner: failed: {}", failed.join(", "));
        1
    }
}

fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!(
        "cargo run --release --manifest-path bench/Cargo.toml -p runner -- {}",
        args.join(" ")
    )
}

/// Where things run.
struct Env<'a> {
    paths: &'a Paths,
    hub: &'a Path,
    server_cpu: Option<usize>,
    load_cpu: Option<usize>,
    logs: &'a Path,
}

impl Env<'_> {
    fn server(&self, name: &str) -> Result<Server, String> {
        let log = self.logs.join(format!("soak-{name}.log"));
        Server::start(self.hub, &[], &self.paths.bench, self.server_cpu, &log)
    }

    fn loadgen(
        &self,
        server: &Server,
        mode: &str,
        proto: &str,
        extra: &[(&str, String)],
    ) -> Result<Loadgen, String> {
        let mut args: Vec<String> = ["--proto", proto, "--server", &server.addr, "--mode", mode]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for (key, value) in extra {
            args.push((*key).to_owned());
            args.push(value.clone());
        }
        Loadgen::start(self.paths, self.load_cpu, &args)
    }
}

// ---------------------------------------------------------------------------------------------
// The soak.

/// One reading of the server.
#[derive(Debug, Clone, Copy)]
struct Reading {
    /// Seconds since the traffic started (negative while connecting).
    t: f64,
    rss_kib: f64,
    fds: f64,
    cpu_s: f64,
}

/// Reads the server every `every` on a thread of its own until stopped.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<(Instant, Reading)>>,
}

impl Sampler {
    fn start(pid: u32, every: Duration) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut readings = Vec::new();
            let mut next = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                if Instant::now() >= next {
                    let (Some(rss), Some(fds), Some(cpu)) = (
                        procs::rss_kib(pid),
                        procs::open_fds(pid),
                        procs::cpu_seconds(pid),
                    ) else {
                        break;
                    };
                    let reading = Reading {
                        t: 0.0,
                        rss_kib: rss,
                        fds: fds as f64,
                        cpu_s: cpu,
                    };
                    readings.push((Instant::now(), reading));
                    next += every;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            readings
        });
        Sampler { stop, thread }
    }

    /// The readings, timed from `origin`.
    fn finish(self, origin: Instant) -> Vec<Reading> {
        self.stop.store(true, Ordering::Relaxed);
        let readings = self.thread.join().unwrap_or_default();
        readings
            .into_iter()
            .map(|(at, reading)| Reading {
                t: if at >= origin {
                    at.duration_since(origin).as_secs_f64()
                } else {
                    -origin.duration_since(at).as_secs_f64()
                },
                ..reading
            })
            .collect()
    }
}

fn soak(env: &Env, plan: &Plan) -> Value {
    let mut section = json!({ "settings": plan.json() });
    let result = run_soak(env, plan, &mut section);
    if let Err(err) = result {
        eprintln!("runner: soak: {err}");
        section["error"] = err.into();
        section["pass"] = false.into();
    }
    section
}

fn run_soak(env: &Env, plan: &Plan, section: &mut Value) -> Result<(), String> {
    let mut server = env.server("soak")?;
    let started = Instant::now();
    let sampler = Sampler::start(server.pid(), plan.sample_every);
    // Runs the load; the sampler is stopped and the server killed whatever happens.
    let mut go = None;
    let result = drive_soak(env, plan, &server, &mut go);
    let readings = sampler.finish(go.unwrap_or(started));
    let alive = server.alive();
    server.stop();
    let driven = result?;
    section["server_alive_at_end"] = alive.into();
    section["connect_s"] = driven.connect_s.into();
    section["load_processes"] = driven.processes.into();
    section["load_cpu_pct"] = driven.load_cpu_pct.into();
    analyse(plan, section, &readings, &driven.dones, &driven.ticks);
    section["server"]["rss_kib_at_go"] = driven.rss_kib_at_go.into();
    section["server"]["fds_at_go"] = driven.fds_at_go.into();
    if !alive {
        section["pass"] = false.into();
    }
    Ok(())
}

type Ticks = Vec<Vec<Value>>;

/// What the load processes reported.
struct Driven {
    connect_s: f64,
    processes: usize,
    /// CPU time of the load processes together, % of one core, from the start of the traffic.
    load_cpu_pct: f64,
    /// The server once every connection was up, as the traffic started.
    rss_kib_at_go: Option<f64>,
    fds_at_go: Option<usize>,
    /// Each process's `done` and `tick`s.
    dones: Vec<Value>,
    ticks: Ticks,
}

/// Starts the load processes, waits for every connection, starts the traffic and collects the
/// reports.
fn drive_soak(
    env: &Env,
    plan: &Plan,
    server: &Server,
    go: &mut Option<Instant>,
) -> Result<Driven, String> {
    let seconds = plan.duration.as_secs();
    let began = Instant::now();
    let mut loadgens = Vec::new();
    let mut offset = 0;
    while offset < plan.connections {
        let chunk = (plan.connections - offset).min(plan.per_process);
        let mut extra = vec![
            ("--conns", chunk.to_string()),
            ("--src-offset", offset.to_string()),
            ("--total-conns", plan.connections.to_string()),
            ("--group-size", plan.group_size.to_string()),
            ("--broadcasters", plan.broadcasters.to_string()),
            ("--echo-every-ms", plan.echo_every_ms.to_string()),
            ("--broadcast-every-ms", plan.broadcast_every_ms.to_string()),
            ("--group-every-ms", plan.group_every_ms.to_string()),
            ("--stream-every-ms", plan.stream_every_ms.to_string()),
            ("--stream-items", plan.stream_items.to_string()),
            ("--msgpack-every", plan.msgpack_every.to_string()),
            ("--report-every-ms", plan.report_every_ms.to_string()),
            ("--measure-ms", plan.duration.as_millis().to_string()),
            // Connecting, the run, the drain, and room to spare.
            ("--max-seconds", (seconds + 600).to_string()),
        ];
        if offset == 0 {
            extra.push(("--churn", plan.churn.to_string()));
            extra.push(("--churn-every-ms", plan.churn_every_ms.to_string()));
        }
        loadgens.push(env.loadgen(server, "soak", "signalr", &extra)?);
        offset += chunk;
    }
    let mut connected = 0;
    let mut first_error = Value::Null;
    for loadgen in &mut loadgens {
        let ready = loadgen.expect("ready", Duration::from_secs(300))?;
        connected += ready["connected"].as_u64().unwrap_or(0) as usize;
        if first_error.is_null() {
            first_error = ready["first_error"].clone();
        }
    }
    let connect_s = began.elapsed().as_secs_f64();
    if connected < plan.connections {
        return Err(format!(
            "{connected} of {} connected; first error: {first_error}",
            plan.connections
        ));
    }
    eprintln!(
        "runner: soak: {} connections in {connect_s:.1} s; running for {:.1} min",
        fmt_count(connected),
        plan.duration.as_secs_f64() / 60.0
    );
    let at = Instant::now();
    *go = Some(at);
    let at_go = (procs::rss_kib(server.pid()), procs::open_fds(server.pid()));
    let load_cpu = |loadgens: &[Loadgen]| -> f64 {
        loadgens
            .iter()
            .filter_map(|l| procs::cpu_seconds(l.pid()))
            .sum()
    };
    let load_cpu_at_go = load_cpu(&loadgens);
    for loadgen in &mut loadgens {
        loadgen.tell("go");
    }
    let deadline = at + plan.duration + Duration::from_secs(120);
    let mut dones: Vec<Option<Value>> = vec![None; loadgens.len()];
    let mut ticks: Ticks = vec![Vec::new(); loadgens.len()];
    let mut last_note = Instant::now();
    while dones.iter().any(Option::is_none) {
        if Instant::now() > deadline {
            return Err("the load processes did not finish in time".into());
        }
        for (i, loadgen) in loadgens.iter_mut().enumerate() {
            while dones[i].is_none()
                && let Some(line) = loadgen.next(Duration::from_millis(20))?
            {
                match line["event"].as_str() {
                    Some("tick") => ticks[i].push(line),
                    Some("done") => dones[i] = Some(line),
                    _ => {}
                }
            }
        }
        if last_note.elapsed() > Duration::from_secs(60) {
            last_note = Instant::now();
            eprintln!(
                "runner: soak: {:.0} s of {:.0}",
                at.elapsed().as_secs_f64(),
                plan.duration.as_secs_f64()
            );
        }
    }
    let processes = loadgens.len();
    // The processes have reported `done` and are closing; their CPU time until now.
    let load_cpu_pct = 100.0 * (load_cpu(&loadgens) - load_cpu_at_go) / at.elapsed().as_secs_f64();
    drop(loadgens);
    Ok(Driven {
        connect_s,
        processes,
        load_cpu_pct,
        rss_kib_at_go: at_go.0,
        fds_at_go: at_go.1,
        dones: dones.into_iter().flatten().collect(),
        ticks,
    })
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds")
}

/// Adds the `[value, count]` pairs a load process printed.
fn merge(hist: &mut Histogram<u64>, pairs: &Value) {
    for pair in pairs.as_array().into_iter().flatten() {
        if let (Some(value), Some(count)) = (pair[0].as_u64(), pair[1].as_u64()) {
            let _ = hist.record_n(value.max(1), count);
        }
    }
}

fn quantiles(hist: &Histogram<u64>) -> Value {
    if hist.is_empty() {
        return Value::Null;
    }
    json!({
        "count": hist.len(),
        "p50_us": hist.value_at_quantile(0.50),
        "p99_us": hist.value_at_quantile(0.99),
        "p999_us": hist.value_at_quantile(0.999),
        "max_us": hist.max(),
    })
}

/// The sum of a counter over the processes' reports.
fn total(reports: &[&Value], name: &str) -> u64 {
    reports
        .iter()
        .map(|r| r["counters"][name].as_u64().unwrap_or(0))
        .sum()
}

/// A least-squares line through `(t, value)`: (slope per second, mean).
fn trend(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    if points.len() < 2 {
        return (0.0, points.first().map_or(f64::NAN, |p| p.1));
    }
    let (mt, mv) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let num: f64 = points.iter().map(|p| (p.0 - mt) * (p.1 - mv)).sum();
    let den: f64 = points.iter().map(|p| (p.0 - mt).powi(2)).sum();
    (if den > 0.0 { num / den } else { 0.0 }, mv)
}

/// Min, max, first, last and the fitted change over the steady window of one series.
fn series(points: &[(f64, f64)]) -> Value {
    let (slope, mean) = trend(points);
    let span = match (points.first(), points.last()) {
        (Some(a), Some(b)) => b.0 - a.0,
        _ => 0.0,
    };
    let min = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let max = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    json!({
        "samples": points.len(),
        "first": points.first().map(|p| p.1),
        "last": points.last().map(|p| p.1),
        "min": min,
        "max": max,
        "mean": mean,
        "max_over_min": max / min,
        "slope_per_min": slope * 60.0,
        "fitted_change": slope * span,
        "fitted_change_pct": 100.0 * slope * span / mean,
    })
}

fn analyse(plan: &Plan, section: &mut Value, readings: &[Reading], dones: &[Value], ticks: &Ticks) {
    let reports: Vec<&Value> = dones.iter().collect();
    let n = plan.connections as u64;
    let count = |name: &str| total(&reports, name);

    // Messages by kind: sent, due, received first time, lost, duplicated.
    let echo = json!({
        "sent": count("echo_sent"),
        "received": count("echo_completed"),
        "lost": count("echo_lost"),
        "duplicated": count("echo_duplicated"),
        "wrong_result": count("echo_wrong_result"),
    });
    let broadcast_due = count("broadcast_sent") * n;
    let broadcast = json!({
        "sent": count("broadcast_sent"),
        "due": broadcast_due,
        "received": count("broadcast_received"),
        "lost": broadcast_due.saturating_sub(count("broadcast_received")),
        "gaps": count("broadcast_gaps"),
        "duplicated": count("broadcast_duplicated"),
    });
    let group_due = count("group_sent") * plan.group_size as u64;
    let group = json!({
        "sent": count("group_sent"),
        "due": group_due,
        "received": count("group_received"),
        "lost": group_due.saturating_sub(count("group_received")),
        "gaps": count("group_gaps"),
        "duplicated": count("group_duplicated"),
    });
    let stream = json!({
        "started": count("streams_started"),
        "completed": count("streams_completed"),
        "failed": count("streams_failed"),
        "unfinished": count("streams_unfinished"),
        "due": count("streams_started") * plan.stream_items,
        "received": count("stream_items"),
        "lost": count("stream_items_lost"),
        "duplicated": count("stream_items_duplicated"),
    });
    let sum = |key: &str| {
        [&echo, &broadcast, &group, &stream]
            .iter()
            .map(|kind| kind[key].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    let (lost, duplicated) = (sum("lost"), sum("duplicated"));
    section["messages"] = json!({
        "echo": echo,
        "broadcast": broadcast,
        "group": group,
        "stream": stream,
    });
    section["lost"] = lost.into();
    section["duplicated"] = duplicated.into();
    section["connections"] = json!({
        "wanted": plan.connections,
        "connected": count("connected"),
        "connect_failed": count("connect_failed"),
        "disconnected": count("disconnected"),
    });
    section["churn"] = json!({
        "cycles": count("churn_cycles"),
        "errors": count("churn_errors"),
    });
    section["unexpected_messages"] = count("unexpected").into();
    section["first_error"] = reports
        .iter()
        .find_map(|r| r["first_error"].as_str())
        .map_or(Value::Null, Value::from);
    section["seconds"] = reports
        .iter()
        .filter_map(|r| r["seconds"].as_f64())
        .fold(0.0, f64::max)
        .into();

    let mut echo_hist = new_histogram();
    let mut delivery_hist = new_histogram();
    let mut lag_hist = new_histogram();
    for report in &reports {
        merge(&mut echo_hist, &report["echo_us"]);
        merge(&mut delivery_hist, &report["delivery_us"]);
        merge(&mut lag_hist, &report["send_lag_us"]);
    }
    section["latency"] = json!({
        "echo": quantiles(&echo_hist),
        "delivery": quantiles(&delivery_hist),
        "loadgen_send_lag": quantiles(&lag_hist),
    });

    // The intervals of the load processes' ticks (all processes tick together).
    let rounds = ticks.iter().map(Vec::len).min().unwrap_or(0);
    let mut intervals = Vec::new();
    let mut before: Vec<&Value> = Vec::new();
    let mut t0 = 0.0;
    for k in 0..rounds {
        let now: Vec<&Value> = ticks.iter().map(|process| &process[k]).collect();
        let t = now
            .iter()
            .filter_map(|v| v["t"].as_f64())
            .fold(0.0, f64::max);
        let dt = (t - t0).max(1e-9);
        let delta = |name: &str| (total(&now, name) - total(&before, name)) as f64 / dt;
        let mut window = new_histogram();
        for tick in &now {
            merge(&mut window, &tick["echo_window_us"]);
        }
        intervals.push(json!({
            "t": t,
            "echo_per_s": delta("echo_completed"),
            "deliveries_per_s": delta("broadcast_received") + delta("group_received"),
            "stream_items_per_s": delta("stream_items"),
            "echo_p99_us": if window.is_empty() { Value::Null } else { window.value_at_quantile(0.99).into() },
        }));
        before = now;
        t0 = t;
    }
    section["intervals"] = intervals.into();

    // The server over time, and whether it stays flat after the warm-up.
    let warmup = plan.warmup().as_secs_f64();
    let end = plan.duration.as_secs_f64();
    let steady: Vec<&Reading> = readings
        .iter()
        .filter(|r| r.t >= warmup && r.t <= end)
        .collect();
    let rss: Vec<(f64, f64)> = steady.iter().map(|r| (r.t, r.rss_kib)).collect();
    let fds: Vec<(f64, f64)> = steady.iter().map(|r| (r.t, r.fds)).collect();
    let rss_series = series(&rss);
    let fd_series = series(&fds);
    // Flat: the fitted line grows by less than 5% of the mean RSS over the steady window, and
    // by fewer descriptors than there are churning connections.
    let rss_flat = rss_series["fitted_change_pct"]
        .as_f64()
        .is_some_and(|pct| pct < 5.0);
    let fds_flat = fd_series["fitted_change"]
        .as_f64()
        .is_some_and(|change| change < plan.churn.max(4) as f64);
    let cpu = match (steady.first(), steady.last()) {
        (Some(a), Some(b)) if b.t > a.t => 100.0 * (b.cpu_s - a.cpu_s) / (b.t - a.t),
        _ => f64::NAN,
    };
    section["server"] = json!({
        "rss_kib_at_start": readings.first().map(|r| r.rss_kib),
        "fds_at_start": readings.first().map(|r| r.fds),
        "rss_kib": rss_series,
        "fds": fd_series,
        "rss_flat": rss_flat,
        "fds_flat": fds_flat,
        "cpu_pct": cpu,
        "readings": readings
            .iter()
            .map(|r| json!([(r.t * 10.0).round() / 10.0, r.rss_kib, r.fds, (r.cpu_s * 100.0).round() / 100.0]))
            .collect::<Vec<_>>(),
        "readings_columns": ["t_s", "rss_kib", "fds", "cpu_s"],
    });
    let connections = &section["connections"];
    let pass = lost == 0
        && duplicated == 0
        && connections["connected"] == n
        && connections["disconnected"] == 0
        && section["messages"]["echo"]["wrong_result"] == 0
        && section["messages"]["stream"]["failed"] == 0
        && section["unexpected_messages"] == 0
        && section["churn"]["errors"] == 0
        && rss_flat
        && fds_flat;
    section["pass"] = pass.into();
}

// ---------------------------------------------------------------------------------------------
// The burst and crowd cases: a fresh server each, one load process.

fn regression_case(env: &Env, name: &str, proto: &str, extra: &[(&str, String)]) -> Value {
    let result = (|| {
        let mut server = env.server(name)?;
        let run = (|| {
            let mut loadgen = env.loadgen(&server, extra[0].1.as_str(), proto, &extra[1..])?;
            loadgen.expect("ready", Duration::from_secs(120))?;
            loadgen.expect("done", Duration::from_secs(180))
        })();
        let alive = server.alive();
        server.stop();
        let mut done = run?;
        done["server_alive_at_end"] = alive.into();
        Ok::<Value, String>(done)
    })();
    let mut value = result.unwrap_or_else(|err| json!({ "error": err }));
    if let Some(object) = value.as_object_mut() {
        object.remove("event");
    }
    value["pass"] = (value["dropped"] == 0
        && value["lost"] == 0
        && value["duplicated"] == 0
        && value["gaps"] == 0
        && value["error"].is_null())
    .into();
    value
}

fn bursts(env: &Env, plan: &Plan) -> Value {
    let cases: Vec<Value> = plan
        .bursts
        .iter()
        .map(|&(proto, invocations)| {
            eprintln!("runner: burst: {invocations} invocations, {proto}");
            regression_case(
                env,
                "burst",
                proto,
                &[
                    ("--mode", "burst".into()),
                    ("--conns", (plan.bystanders + 1).to_string()),
                    ("--burst", invocations.to_string()),
                    ("--measure-ms", "60000".into()),
                    ("--max-seconds", "200".into()),
                ],
            )
        })
        .collect();
    let pass = cases.iter().all(|c| c["pass"] == true);
    json!({ "bystanders": plan.bystanders, "cases": cases, "pass": pass })
}

fn crowds(env: &Env, plan: &Plan) -> Value {
    let cases: Vec<Value> = plan
        .crowds
        .iter()
        .map(|&clients| {
            eprintln!("runner: crowd: {clients} clients");
            regression_case(
                env,
                "crowd",
                "signalr",
                &[
                    ("--mode", "crowd".into()),
                    ("--conns", clients.to_string()),
                    ("--measure-ms", "120000".into()),
                    ("--max-seconds", "280".into()),
                ],
            )
        })
        .collect();
    let pass = cases.iter().all(|c| c["pass"] == true);
    json!({ "cases": cases, "pass": pass })
}

// ---------------------------------------------------------------------------------------------
// The Markdown report.

fn yes(value: &Value) -> &'static str {
    if *value == true { "yes" } else { "**no**" }
}

/// A figure: counts in full with thousands separators, other values as the benchmarks show them.
fn num(value: &Value) -> String {
    match (value.as_u64(), value.as_f64()) {
        (Some(n), _) if n < 10_000 => n.to_string(),
        (Some(n), _) => fmt_value(n as f64),
        (None, Some(v)) => fmt_value(v),
        _ => "–".to_owned(),
    }
}

fn header(md: &mut String, meta: &Value) {
    md.push_str(&format!(
        "Produced by `{}` on {} (commit {}{}) against `{}`, in {:.0} s.\n\n",
        meta["command"].as_str().unwrap_or("?"),
        meta["date"].as_str().unwrap_or("?"),
        meta["commit"].as_str().unwrap_or("?"),
        if meta["dirty"] == true {
            ", with uncommitted changes"
        } else {
            ""
        },
        meta["hub"].as_str().unwrap_or("?"),
        meta["elapsed_s"].as_f64().unwrap_or(0.0),
    ));
}

/// The report; `notes` (bench/SOAK-NOTES.md, hand-written) goes at its end.
pub fn markdown(document: &Value, results: &str, notes: Option<&str>) -> String {
    let mut md = String::from("# Soak test and slow-client regressions\n\n");
    md.push_str(
        "<!-- Written by the benchmark runner (`--soak`); the figures come from bench/results/soak.json. -->\n\n",
    );
    if document["quick"] == true {
        md.push_str("**Smoke run (`--quick`): small counts. These figures only show that every part works.**\n\n");
    }
    md.push_str(&format!(
        "Not part of the tests: the bench hub (`bench/servers/hub`, default `HubOptions`) under \
         long and adversarial load, every message numbered so that the load generator can tell a \
         message lost from one duplicated. Machine-readable results: `{results}`. Run it with\n\n\
         ```sh\n\
         cargo run --release --manifest-path bench/Cargo.toml -p runner -- --soak \\\n    \
         [--soak-minutes 10] [--soak-connections 10000] [--only soak,burst,crowd] [--out DIR] [--hub PATH]\n\
         ```\n\n\
         The server runs pinned to core 0, the load processes to core 1. `--hub` drives another \
         build of the bench hub (an older runtime, say). Everything ends by itself: the load \
         processes have deadlines, the runner waits for each step at most a few minutes past its \
         length.\n\n"
    ));
    soak_markdown(&mut md, &document["soak"]);
    burst_markdown(&mut md, &document["burst"]);
    crowd_markdown(&mut md, &document["crowd"]);
    if let Some(notes) = notes {
        md.push_str(notes.trim_end());
        md.push('\n');
    }
    md
}

fn soak_markdown(md: &mut String, soak: &Value) {
    if !section_start(md, "Soak", soak) {
        return;
    }
    let settings = &soak["settings"];
    md.push_str(&format!(
        "**Method.** {} steady connections (load processes of at most {}, client sockets bound \
         to 127.0.0.1 … 127.0.0.8 in turn), every {}th one speaking MessagePack, the rest JSON, \
         each in one of {} groups of {}, for {} minutes:\n\n\
         - every connection invokes `Echo(\"<n>@<time>\")` every {} s (ids `e0`, `e1`, …): the \
         Completions must come in order, each once, each with its own number back;\n\
         - connections 0–{} each broadcast `SendMessage(\"b<i>\", \"<n>@<time>\")` every {} s: \
         every connection checks the numbers from each broadcaster;\n\
         - every connection sends `SendToGroup(g, \"<i>.<n>@<time>\")` every {} s: every member \
         checks the numbers from each member;\n\
         - every connection starts a `Count({})` server stream every {} s: items `0 … {}` in \
         order, then the Completion;\n\
         - {} more connections churn beside them: connect, join a group, echo, read a 5-item \
         stream and leave (a WebSocket Close or a reset, in turn), one cycle a second each.\n\n\
         A number above the one expected counts the skipped ones as lost, a number at or below \
         one already received as duplicated; what is still unanswered after the drain is lost; \
         a broadcast is due to every steady connection and a group message to every member, so \
         the runner sums what every process sent and received (`lost = due − received`). The \
         server's RSS (`VmRSS`, /proc/PID/status), open file descriptors (/proc/PID/fd) and CPU \
         time are read every {} s; after a {} s warm-up (every connection has then sent every kind of \
         message, and allocated what it keeps for its life) they count as flat when the least-squares \
         line through them grows by less than 5% of the mean (RSS) and by fewer descriptors than \
         there are churning connections. Invocation latency is from the send time in the payload \
         to the Completion, on CLOCK_MONOTONIC, in HDR histograms merged across the load \
         processes; delivery latency is from the sender's send time to the receiver.\n\n",
        fmt_count(settings["connections"].as_u64().unwrap_or(0) as usize),
        fmt_count(
            settings["connections_per_load_process"]
                .as_u64()
                .unwrap_or(0) as usize
        ),
        settings["messagepack_every"],
        settings["connections"].as_u64().unwrap_or(0)
            / settings["group_size"].as_u64().unwrap_or(1),
        settings["group_size"],
        num(&settings["minutes"]),
        num(&(settings["echo_every_ms"].as_f64().unwrap_or(0.0) / 1000.0).into()),
        settings["broadcasters"]
            .as_u64()
            .unwrap_or(1)
            .saturating_sub(1),
        num(&(settings["broadcast_every_ms"].as_f64().unwrap_or(0.0) / 1000.0).into()),
        num(&(settings["group_every_ms"].as_f64().unwrap_or(0.0) / 1000.0).into()),
        settings["stream_items"],
        num(&(settings["stream_every_ms"].as_f64().unwrap_or(0.0) / 1000.0).into()),
        settings["stream_items"]
            .as_u64()
            .unwrap_or(1)
            .saturating_sub(1),
        settings["churn_connections"],
        num(&settings["sample_every_s"]),
        num(&settings["warmup_s"]),
    ));
    if let Some(error) = soak["error"].as_str() {
        md.push_str(&format!("**The run failed: {error}**\n\n"));
        return;
    }
    let connections = &soak["connections"];
    let server = &soak["server"];
    md.push_str(&format!(
        "**Result: {}.** {} of {} connections up in {} s, {} disconnected; {} messages lost, {} \
         duplicated; server RSS flat: {}, open files flat: {}; invocation p99 {} ms.\n\n",
        if soak["pass"] == true { "pass" } else { "FAIL" },
        num(&connections["connected"]),
        num(&connections["wanted"]),
        num(&soak["connect_s"]),
        num(&connections["disconnected"]),
        num(&soak["lost"]),
        num(&soak["duplicated"]),
        yes(&server["rss_flat"]),
        yes(&server["fds_flat"]),
        num(&(soak["latency"]["echo"]["p99_us"]
            .as_f64()
            .unwrap_or(f64::NAN)
            / 1000.0)
            .into()),
    ));
    md.push_str(
        "| messages | sent | due | received | lost | duplicated |\n|---|---|---|---|---|---|\n",
    );
    let messages = &soak["messages"];
    let rows = [
        (
            "`Echo` invocations (Completions)",
            &messages["echo"],
            "sent",
            "sent",
        ),
        (
            "broadcasts (deliveries)",
            &messages["broadcast"],
            "sent",
            "due",
        ),
        (
            "group messages (deliveries)",
            &messages["group"],
            "sent",
            "due",
        ),
        ("stream items", &messages["stream"], "due", "due"),
    ];
    for (label, kind, sent, due) in rows {
        md.push_str(&format!(
            "| {label} | {} | {} | {} | {} | {} |\n",
            num(&kind[sent]),
            num(&kind[due]),
            num(&kind["received"]),
            num(&kind["lost"]),
            num(&kind["duplicated"]),
        ));
    }
    md.push_str(&format!(
        "\nStreams: {} started, {} completed, {} failed, {} unfinished. Churn: {} cycles, {} \
         errors. Echo results that did not match their id: {}; messages nobody expected: {}.\n\n",
        num(&messages["stream"]["started"]),
        num(&messages["stream"]["completed"]),
        num(&messages["stream"]["failed"]),
        num(&messages["stream"]["unfinished"]),
        num(&soak["churn"]["cycles"]),
        num(&soak["churn"]["errors"]),
        num(&messages["echo"]["wrong_result"]),
        num(&soak["unexpected_messages"]),
    ));
    if let Some(error) = soak["first_error"].as_str() {
        md.push_str(&format!("First error reported: `{error}`.\n\n"));
    }
    md.push_str(
        "| latency | count | p50 ms | p99 ms | p99.9 ms | max ms |\n|---|---|---|---|---|---|\n",
    );
    for (label, key) in [
        ("`Echo` invocation → Completion", "echo"),
        ("broadcast / group delivery", "delivery"),
        (
            "load generator's lateness against its schedule",
            "loadgen_send_lag",
        ),
    ] {
        let q = &soak["latency"][key];
        let ms = |k: &str| num(&(q[k].as_f64().unwrap_or(f64::NAN) / 1000.0).into());
        md.push_str(&format!(
            "| {label} | {} | {} | {} | {} | {} |\n",
            num(&q["count"]),
            ms("p50_us"),
            ms("p99_us"),
            ms("p999_us"),
            ms("max_us"),
        ));
    }
    md.push_str(&format!(
        "\n{} load processes used {}% of one core together (the load core, which the runner and \
         anything else on the machine share). The latencies are measured at the client, so they \
         include the client's own queue: a broadcast is one message to every connection, which \
         the load core reads one after the other, and a Completion that arrives meanwhile waits \
         its turn. The load generator's lateness against its own schedule (above) shows how \
         far behind it ran.\n",
        num(&soak["load_processes"]),
        num(&soak["load_cpu_pct"]),
    ));
    let mib = |v: &Value| num(&(v.as_f64().unwrap_or(f64::NAN) / 1024.0).into());
    let (rss, fds) = (&server["rss_kib"], &server["fds"]);
    md.push_str(&format!(
        "\n**Server over time** (after the {} s warm-up, {} readings): RSS {} MiB at start, {} \
         MiB with every connection up, then {} → {} MiB (min {}, max {}, max/min {}), fitted \
         change {} MiB ({}% of the mean, {} KiB a minute); open files {} at start, {} with every \
         connection up, then {} → {} (min {}, max {}), fitted change {}; server CPU {}%.\n\n",
        num(&soak["settings"]["warmup_s"]),
        num(&rss["samples"]),
        mib(&server["rss_kib_at_start"]),
        mib(&server["rss_kib_at_go"]),
        mib(&rss["first"]),
        mib(&rss["last"]),
        mib(&rss["min"]),
        mib(&rss["max"]),
        num(&rss["max_over_min"]),
        mib(&rss["fitted_change"]),
        num(&rss["fitted_change_pct"]),
        num(&rss["slope_per_min"]),
        num(&server["fds_at_start"]),
        num(&server["fds_at_go"]),
        num(&fds["first"]),
        num(&fds["last"]),
        num(&fds["min"]),
        num(&fds["max"]),
        num(&fds["fitted_change"]),
        num(&server["cpu_pct"]),
    ));
    // One row a minute (or each interval of a shorter run): the server and the traffic.
    let intervals = soak["intervals"].as_array().cloned().unwrap_or_default();
    let readings = server["readings"].as_array().cloned().unwrap_or_default();
    let step = if soak["seconds"].as_f64().unwrap_or(0.0) > 150.0 {
        60.0
    } else {
        10.0
    };
    md.push_str("| t (s) | RSS MiB | open files | echoes/s | deliveries/s | stream items/s | echo p99 ms (interval) |\n|---|---|---|---|---|---|---|\n");
    let mut next = step;
    for interval in &intervals {
        let t = interval["t"].as_f64().unwrap_or(0.0);
        if t + 1e-6 < next {
            continue;
        }
        next = t + step - 1.0;
        let reading = readings.iter().min_by(|a, b| {
            let d = |r: &Value| (r[0].as_f64().unwrap_or(f64::MAX) - t).abs();
            d(a).total_cmp(&d(b))
        });
        md.push_str(&format!(
            "| {:.0} | {} | {} | {} | {} | {} | {} |\n",
            t,
            reading.map_or("–".into(), |r| mib(&r[1])),
            reading.map_or("–".into(), |r| num(&r[2])),
            num(&interval["echo_per_s"]),
            num(&interval["deliveries_per_s"]),
            num(&interval["stream_items_per_s"]),
            num(&(interval["echo_p99_us"].as_f64().unwrap_or(f64::NAN) / 1000.0).into()),
        ));
    }
    md.push('\n');
}

/// A section's title and who produced it; `false` when it has not been run.
fn section_start(md: &mut String, title: &str, section: &Value) -> bool {
    md.push_str(&format!("## {title}\n\n"));
    if section.is_null() {
        md.push_str("Not run yet.\n\n");
        return false;
    }
    header(md, &section["meta"]);
    true
}

fn verdict(section: &Value) -> &'static str {
    if section["pass"] == true {
        "Pass"
    } else {
        "FAIL"
    }
}

fn burst_markdown(md: &mut String, burst: &Value) {
    if !section_start(md, "Burst: one WebSocket message of many broadcasts", burst) {
        return;
    }
    md.push_str(&format!(
        "One client sends a single WebSocket message carrying that many fire-and-forget \
         `SendMessage(\"\", \"<n>\")` invocations (under the 64 KiB WebSocket limit of a hub with \
         default options) while {} bystanders (JSON and MessagePack in turn) read promptly. Every \
         client, the sender included, must receive `0 … n-1` in order and answer an `Echo` \
         afterwards; a client the server closes counts as dropped. A fresh server for each case. \
         **{}.**\n\n",
        burst["bystanders"],
        verdict(burst),
    ));
    md.push_str("| sender's protocol | invocations | message bytes | clients | dropped | everything in order | received / due | duplicated | seconds |\n|---|---|---|---|---|---|---|---|---|\n");
    for case in burst["cases"].as_array().into_iter().flatten() {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} of {} | {} / {} | {} | {} |\n",
            case["proto"].as_str().unwrap_or("?"),
            num(&case["invocations"]),
            num(&case["bytes"]),
            num(&case["clients"]),
            num(&case["dropped"]),
            num(&case["complete"]),
            num(&case["clients"]),
            num(&case["received"]),
            num(&case["expected"]),
            num(&case["duplicated"]),
            num(&case["seconds"]),
        ));
    }
    regression_errors(md, burst);
}

fn crowd_markdown(md: &mut String, crowd: &Value) {
    if !section_start(md, "Crowd: many clients broadcasting at once", crowd) {
        return;
    }
    md.push_str(&format!(
        "That many ordinary clients (JSON), all reading promptly, each send one \
         `SendMessage(\"c<i>\", \"<i>\")` at the same moment: every client must receive every \
         client's message once, and answer an `Echo` afterwards; a client the server closes \
         counts as dropped. Older runtimes were seen dropping 112 of 1,100 and 639 of 1,500; the \
         findings below hold a run against the runtime just before the outbound queue was bounded \
         in bytes. A fresh server for each case. **{}.**\n\n",
        verdict(crowd),
    ));
    md.push_str("| clients | dropped | clients with everything | deliveries received / due | duplicated | seconds |\n|---|---|---|---|---|---|\n");
    for case in crowd["cases"].as_array().into_iter().flatten() {
        md.push_str(&format!(
            "| {} | {} | {} | {} / {} | {} | {} |\n",
            num(&case["clients"]),
            num(&case["dropped"]),
            num(&case["complete"]),
            num(&case["received"]),
            num(&case["expected"]),
            num(&case["duplicated"]),
            num(&case["seconds"]),
        ));
    }
    regression_errors(md, crowd);
}

fn regression_errors(md: &mut String, section: &Value) {
    md.push('\n');
    for case in section["cases"].as_array().into_iter().flatten() {
        if let Some(error) = case["first_error"].as_str().or(case["error"].as_str()) {
            md.push_str(&format!("First error: `{error}`.\n\n"));
        }
    }
}
