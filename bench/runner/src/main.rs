//! The benchmark runner: one command runs every scenario against every server and writes the
//! results.
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -p runner -- [--quick] [--runs N]
//!     [--only SCENARIO,...] [--servers NAME,...] [--out DIR] [--no-build]
//! ```
//!
//! Each server runs pinned to core 0 (`taskset -c 0`), the load generators to core 1, and each
//! figure is the median of `--runs` (default 3) runs, the runs of all servers interleaved.
//! Servers are compared by work per server CPU-second (utime + stime from /proc/PID/stat), as
//! ratios to the raw baseline measured in the same run.
//!
//! The full run writes `bench/results/latest.json`, `docs/benchmarks.md` and the SVG charts in
//! `docs/benchmarks/`. `--quick` uses tiny counts, one run, and writes to
//! `bench/target/bench-quick/` instead: it only checks that everything works end to end.
//!
//! `--soak [--soak-minutes N] [--soak-connections N]` runs the soak test and the slow-client
//! regression cases instead (`soak.rs`): `bench/results/soak.json` and `docs/soak.md`.

mod charts;
mod procs;
mod redis;
mod report;
mod soak;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use procs::{Loadgen, Paths, Server};

/// One server under test.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    /// Short name used in results.
    pub name: &'static str,
    /// What the tables show.
    pub label: &'static str,
    /// Protocol the load generator speaks to it.
    pub proto: &'static str,
    program: PathBuf,
    args: Vec<String>,
    cwd: PathBuf,
    /// More arguments for its load generators.
    loadgen_extra: &'static [&'static str],
    /// Scenarios it takes part in (`None`: all).
    only: Option<&'static [&'static str]>,
    /// Why it sits out the others.
    pub skip_note: Option<&'static str>,
}

impl ServerSpec {
    fn runs(&self, scenario: &str) -> bool {
        self.only.is_none_or(|only| only.contains(&scenario))
    }
}

/// The settings of one run of the whole suite.
#[derive(Debug, Clone)]
pub struct Settings {
    pub quick: bool,
    pub runs: usize,
    pub idle_counts: Vec<usize>,
    pub per_process: usize,
    pub settle: Duration,
    pub echo_conns: usize,
    pub echo_warmup_ms: u64,
    pub echo_measure_ms: u64,
    pub latency_conns: usize,
    pub latency_rate: f64,
    pub latency_warmup_ms: u64,
    pub latency_measure_ms: u64,
    pub broadcast_subs: Vec<usize>,
    pub broadcast_window: u64,
    pub broadcast_warmup_ms: u64,
    pub broadcast_measure_ms: u64,
    /// Subscribers of the cross-node broadcasts (`redis_broadcast_N`).
    pub redis_subs: Vec<usize>,
    /// (groups, members of each).
    pub groups: Vec<(usize, usize)>,
    pub groups_window: u64,
    pub streams: Vec<usize>,
    pub stream_warmup_ms: u64,
    pub stream_measure_ms: u64,
}

impl Settings {
    fn full() -> Settings {
        Settings {
            quick: false,
            runs: 3,
            idle_counts: vec![10_000, 19_900],
            per_process: 10_000,
            settle: Duration::from_secs(5),
            echo_conns: 100,
            echo_warmup_ms: 1000,
            echo_measure_ms: 5000,
            latency_conns: 1000,
            latency_rate: 20.0,
            latency_warmup_ms: 2000,
            latency_measure_ms: 6000,
            broadcast_subs: vec![1000, 10_000],
            broadcast_window: 16,
            broadcast_warmup_ms: 1000,
            broadcast_measure_ms: 4000,
            redis_subs: vec![1000, 10_000],
            groups: vec![(100, 10), (10, 100)],
            groups_window: 64,
            streams: vec![1, 100],
            stream_warmup_ms: 1000,
            stream_measure_ms: 4000,
        }
    }

    fn quick() -> Settings {
        Settings {
            quick: true,
            runs: 1,
            // Two load processes even here, so the split across processes is exercised.
            idle_counts: vec![100, 200],
            per_process: 100,
            settle: Duration::from_millis(200),
            echo_conns: 10,
            echo_warmup_ms: 100,
            echo_measure_ms: 300,
            latency_conns: 50,
            latency_rate: 20.0,
            latency_warmup_ms: 100,
            latency_measure_ms: 400,
            broadcast_subs: vec![20, 50],
            broadcast_window: 16,
            broadcast_warmup_ms: 100,
            broadcast_measure_ms: 300,
            redis_subs: vec![20],
            groups: vec![(5, 4), (2, 10)],
            groups_window: 16,
            streams: vec![1, 5],
            stream_warmup_ms: 100,
            stream_measure_ms: 300,
        }
    }
}

/// What one scenario measures.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub about: String,
    kind: Kind,
    /// The servers that take part (`None`: every server that runs it).
    servers: Option<&'static [&'static str]>,
}

#[derive(Debug, Clone)]
enum Kind {
    Idle {
        counts: Vec<usize>,
    },
    Echo {
        payload: usize,
    },
    Latency,
    Broadcast {
        subs: usize,
    },
    /// The broadcast load on one node in memory, one on Redis and two on Redis (`redis.rs`).
    RedisBroadcast {
        subs: usize,
    },
    Groups {
        groups: usize,
        size: usize,
    },
    Stream {
        streams: usize,
    },
}

impl Scenario {
    /// Whether `server` takes part.
    fn has(&self, server: &ServerSpec) -> bool {
        server.runs(&self.id)
            && self
                .servers
                .is_none_or(|names| names.contains(&server.name))
    }
}

fn scenarios(settings: &Settings) -> Vec<Scenario> {
    let mut list = vec![Scenario {
        id: "idle".into(),
        title: "Idle memory per connection".into(),
        about: format!(
            "{} connections after the handshake, kept alive, then {} connections; server RSS after a {} s settle minus RSS before, per connection. Kernel side: `Slab` growth of /proc/meminfo per connection (client and server sockets together). Load split over processes of at most {} connections.",
            fmt_count(settings.idle_counts[0]),
            fmt_count(settings.idle_counts[1]),
            settings.settle.as_secs_f64(),
            fmt_count(settings.per_process),
        ),
        kind: Kind::Idle {
            counts: settings.idle_counts.clone(),
        },
        servers: None,
    }];
    for payload in [32usize, 2048] {
        list.push(Scenario {
            id: format!("echo_{payload}"),
            title: format!("Echo throughput, {} B payload", payload),
            about: format!(
                "{} connections, closed loop (one echo outstanding per connection), {} B payloads, JSON for SignalR (MessagePack for `hub-msgpack`; `hub-async` calls the asynchronous `EchoAsync`){}; {} ms measured after {} ms warm-up. Round trips per server CPU-second.",
                settings.echo_conns,
                payload,
                if payload == 32 {
                    "; `hub-sse` and `hub-longpolling` are the same hub over Server-Sent Events and long polling, each connection holding two HTTP/1.1 connections"
                } else {
                    ""
                },
                settings.echo_measure_ms,
                settings.echo_warmup_ms
            ),
            kind: Kind::Echo { payload },
            servers: None,
        });
    }
    list.push(Scenario {
        id: "latency".into(),
        title: "Latency under load".into(),
        about: format!(
            "{} connections x {} echo invocations/s each, open loop at a fixed rate with staggered starts; latency from the send time embedded in the payload, HDR histogram; the load generator's own lateness against its schedule is shown as send lag, {} ms measured after {} ms warm-up.",
            fmt_count(settings.latency_conns),
            settings.latency_rate,
            settings.latency_measure_ms,
            settings.latency_warmup_ms
        ),
        kind: Kind::Latency,
        servers: None,
    });
    for &subs in &settings.broadcast_subs {
        list.push(Scenario {
            id: format!("broadcast_{subs}"),
            title: format!("Broadcast to {} subscribers", fmt_count(subs)),
            about: format!(
                "{} connections; one of them sends broadcasts (32 B) to all (itself included), at most {} broadcasts undelivered at a time; {} ms measured after {} ms warm-up. Server CPU per delivery.",
                fmt_count(subs),
                settings.broadcast_window,
                settings.broadcast_measure_ms,
                settings.broadcast_warmup_ms
            ),
            kind: Kind::Broadcast { subs },
            servers: None,
        });
    }
    for &subs in &settings.redis_subs {
        list.push(Scenario {
            id: format!("redis_broadcast_{subs}"),
            title: format!("Cross-node broadcast to {} subscribers (Redis)", fmt_count(subs)),
            about: format!(
                "The load of the broadcast scenario ({} connections, one sending 32 B broadcasts to all, at most {} undelivered; {} ms measured after {} ms warm-up) three ways in each run, on a redis-server the runner starts (no persistence): one `hub-bench` in memory, one on the Redis backplane, and two `hub-bench` processes on Redis with the connections split between them in turn (the sender on the first, so every broadcast crosses Redis to the other's half). All servers and Redis share the server core. Server CPU per delivery is the sum over the `hub-bench` processes; the ratio is each run's 2-node figure over its 1-node in-memory figure; messages/s through Redis are broadcasts (one PUBLISH each); Redis's own CPU is reported apart. hub only.",
                fmt_count(subs),
                settings.broadcast_window,
                settings.broadcast_measure_ms,
                settings.broadcast_warmup_ms
            ),
            kind: Kind::RedisBroadcast { subs },
            servers: Some(&["hub"]),
        });
    }
    for &(groups, size) in &settings.groups {
        list.push(Scenario {
            id: format!("groups_{groups}x{size}"),
            title: format!("{groups} groups of {size}"),
            about: format!(
                "{} connections, each joining one of {groups} groups of {size} as it connects; one of them sends messages (32 B) to the groups in turn, at most {} messages undelivered at a time; {} ms measured after {} ms warm-up. Server CPU per delivery.",
                fmt_count(groups * size),
                settings.groups_window,
                settings.broadcast_measure_ms,
                settings.broadcast_warmup_ms
            ),
            kind: Kind::Groups { groups, size },
            servers: None,
        });
    }
    for &streams in &settings.streams {
        list.push(Scenario {
            id: format!("stream_{streams}"),
            title: format!(
                "Server stream items, {streams} stream{}",
                if streams == 1 { "" } else { "s" }
            ),
            about: format!(
                "{} connection{}, each running one endless server stream of integers (hub: a `Count` method returning a `Stream`; raw: the same StreamItem JSON text written in a loop, one WebSocket message per item), read as fast as the client can; {} ms measured after {} ms warm-up. Items per server CPU-second. Socket.IO has no stream primitive, so the peers sit out.",
                fmt_count(streams),
                if streams == 1 { "" } else { "s" },
                settings.stream_measure_ms,
                settings.stream_warmup_ms
            ),
            kind: Kind::Stream { streams },
            servers: Some(&["raw", "hub"]),
        });
    }
    list
}

pub fn fmt_count(n: usize) -> String {
    if n >= 1000 && n.is_multiple_of(100) {
        let k = n as f64 / 1000.0;
        if n.is_multiple_of(1000) {
            format!("{}k", n / 1000)
        } else {
            format!("{k:.1}k")
        }
    } else {
        n.to_string()
    }
}

fn servers(paths: &Paths, node: bool) -> Vec<ServerSpec> {
    let mut list = vec![
        ServerSpec {
            name: "raw",
            label: "raw axum ws (baseline)",
            proto: "raw",
            program: paths.bench_release.join("raw-server"),
            args: vec![],
            cwd: paths.bench.clone(),
            loadgen_extra: &[],
            only: None,
            skip_note: None,
        },
        ServerSpec {
            name: "hub",
            label: "hub (hub-runtime)",
            proto: "signalr",
            program: paths.bench_release.join("hub-bench"),
            args: vec![],
            cwd: paths.bench.clone(),
            loadgen_extra: &[],
            only: None,
            skip_note: None,
        },
        ServerSpec {
            name: "chat",
            label: "hub examples/chat",
            proto: "signalr",
            program: paths.main_release.join("chat"),
            args: vec![],
            cwd: paths.repo.clone(),
            loadgen_extra: &[],
            only: Some(&["echo_32", "echo_2048", "latency"]),
            skip_note: Some(
                "examples/chat broadcasts UserConnected to everyone on each connect (O(N^2) deliveries while N clients connect), so it sits out the idle and broadcast scenarios; `hub` is the same hub without those hooks.",
            ),
        },
        ServerSpec {
            name: "hub-msgpack",
            label: "hub (hub-runtime), MessagePack",
            proto: "signalr-msgpack",
            program: paths.bench_release.join("hub-bench"),
            args: vec![],
            cwd: paths.bench.clone(),
            loadgen_extra: &[],
            only: Some(&["echo_32", "echo_2048", "latency"]),
            skip_note: Some(
                "the same server as `hub`, driven with the MessagePack hub protocol (binary frames); echo and latency only.",
            ),
        },
        ServerSpec {
            name: "hub-async",
            label: "hub (hub-runtime), async method",
            proto: "signalr",
            program: paths.bench_release.join("hub-bench"),
            args: vec![],
            cwd: paths.bench.clone(),
            loadgen_extra: &["--echo-target", "EchoAsync"],
            only: Some(&["echo_32", "echo_2048", "latency"]),
            skip_note: Some(
                "the same server as `hub`, its echo invocations calling `EchoAsync`, an `async fn` that yields to the scheduler once before returning; echo and latency only.",
            ),
        },
        ServerSpec {
            name: "hub-sse",
            label: "hub (hub-runtime), Server-Sent Events",
            proto: "signalr-sse",
            program: paths.bench_release.join("hub-bench"),
            args: vec![],
            cwd: paths.bench.clone(),
            loadgen_extra: &[],
            only: Some(&["echo_32"]),
            skip_note: Some(
                "the same server as `hub`, driven over Server-Sent Events (negotiated; a POST per invocation, the Completion on the event stream); echo (32 B) only.",
            ),
        },
        ServerSpec {
            name: "hub-longpolling",
            label: "hub (hub-runtime), long polling",
            proto: "signalr-longpolling",
            program: paths.bench_release.join("hub-bench"),
            args: vec![],
            cwd: paths.bench.clone(),
            loadgen_extra: &[],
            only: Some(&["echo_32"]),
            skip_note: Some(
                "the same server as `hub`, driven over long polling (negotiated; a POST per invocation, then a poll for the Completion); echo (32 B) only.",
            ),
        },
        ServerSpec {
            name: "socketioxide",
            label: "socketioxide 0.18",
            proto: "socketio",
            program: paths.bench_release.join("socketioxide-server"),
            args: vec![],
            cwd: paths.bench.clone(),
            loadgen_extra: &[],
            only: None,
            skip_note: None,
        },
    ];
    if node {
        list.push(ServerSpec {
            name: "socketio-node",
            label: "socket.io 4.8 (Node)",
            proto: "socketio",
            program: PathBuf::from("node"),
            args: vec!["server.js".into()],
            cwd: paths.bench.join("servers/socketio-node"),
            loadgen_extra: &[],
            only: None,
            skip_note: None,
        });
    }
    list
}

struct Args {
    quick: bool,
    runs: Option<usize>,
    only: Option<Vec<String>>,
    servers: Option<Vec<String>>,
    out: Option<PathBuf>,
    build: bool,
    /// `--soak`: the soak test and the slow-client cases instead of the benchmarks.
    soak: bool,
    soak_minutes: Option<f64>,
    soak_connections: Option<usize>,
    /// Another hub server binary for `--soak`.
    hub: Option<PathBuf>,
}

fn parse_args() -> Args {
    let mut args = Args {
        quick: false,
        runs: None,
        only: None,
        servers: None,
        out: None,
        build: true,
        soak: false,
        soak_minutes: None,
        soak_connections: None,
        hub: None,
    };
    let mut it = std::env::args().skip(1);
    let list = |v: Option<String>| -> Vec<String> {
        v.unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => args.quick = true,
            "--runs" => args.runs = it.next().and_then(|v| v.parse().ok()),
            "--only" => args.only = Some(list(it.next())),
            "--servers" => args.servers = Some(list(it.next())),
            "--out" => args.out = it.next().map(PathBuf::from),
            "--no-build" => args.build = false,
            "--soak" => args.soak = true,
            "--soak-minutes" => args.soak_minutes = it.next().and_then(|v| v.parse().ok()),
            "--soak-connections" => args.soak_connections = it.next().and_then(|v| v.parse().ok()),
            "--hub" => args.hub = it.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!(
                    "usage: runner [--quick] [--runs N] [--only idle,echo_32,echo_2048,latency,broadcast_1000,broadcast_10000,redis_broadcast_1000,redis_broadcast_10000,groups_100x10,groups_10x100,stream_1,stream_100] \
                     [--servers raw,hub,chat,hub-msgpack,hub-async,hub-sse,hub-longpolling,socketioxide,socketio-node] [--out DIR] [--no-build]\n\
                     \x20      runner --soak [--quick] [--soak-minutes 10] [--soak-connections 10000] [--only soak,burst,crowd] [--out DIR] [--hub PATH] [--no-build]\n\
                     (--soak writes bench/results/soak.json and docs/soak.md; with --out DIR or --quick, soak.json and soak.md there)"
                );
                std::process::exit(0);
            }
            other => {
                eprintln!("runner: unknown argument {other} (see --help)");
                std::process::exit(2);
            }
        }
    }
    args
}

/// `cargo build --release` of `packages` of the bench workspace, into `bench/target`.
fn build_bench(paths: &Paths, packages: &[&str]) -> Result<(), String> {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .current_dir(&paths.bench)
        .args(["build", "--release", "--manifest-path"])
        .arg(paths.bench.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(paths.bench.join("target"));
    for package in packages {
        command.args(["-p", package]);
    }
    procs::run_checked(
        command,
        &format!("cargo build --release (bench: {})", packages.join(", ")),
    )
}

fn build(paths: &Paths, node: bool) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    build_bench(
        paths,
        &["loadgen", "raw-server", "hub-bench", "socketioxide-server"],
    )?;
    let mut chat = Command::new(&cargo);
    chat.current_dir(&paths.repo)
        .args(["build", "--release", "-p", "chat", "--target-dir"])
        .arg(paths.repo.join("target"));
    procs::run_checked(chat, "cargo build --release -p chat (main workspace)")?;
    if node {
        let dir = paths.bench.join("servers/socketio-node");
        if !dir.join("node_modules/socket.io").exists() {
            let mut npm = Command::new("npm");
            npm.current_dir(&dir)
                .args(["ci", "--no-audit", "--no-fund"]);
            procs::run_checked(npm, "npm ci (bench/servers/socketio-node)")?;
        }
    }
    Ok(())
}

/// One measurement: metric name -> value, plus notes.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Which repetition of the suite it belongs to (ratios pair samples of the same run).
    pub run: usize,
    pub metrics: BTreeMap<String, f64>,
    pub notes: Vec<String>,
}

fn main() {
    let args = parse_args();
    let paths = Paths::discover();
    if args.soak {
        std::process::exit(soak::main(&args, &paths));
    }
    let mut settings = if args.quick {
        Settings::quick()
    } else {
        Settings::full()
    };
    if let Some(runs) = args.runs {
        settings.runs = runs.max(1);
    }
    // What is measured: the source as built now, before anything else can change it.
    let source = report::source_state(&paths);
    let node = procs::have("node") && procs::have("npm");
    if !node {
        eprintln!("runner: node/npm not found: the socket.io (Node) peer is skipped");
    }
    if args.build
        && let Err(err) = build(&paths, node)
    {
        eprintln!("runner: {err}");
        std::process::exit(1);
    }
    let nofile = procs::raise_nofile();
    let cores = procs::cpus();
    let (server_cpu, load_cpu) = if cores >= 2 {
        (Some(0), Some(1))
    } else {
        (None, None)
    };
    if let Some(cpu) = load_cpu {
        procs::pin_self(cpu);
    }
    let out = args.out.clone().unwrap_or_else(|| {
        if settings.quick {
            paths.bench.join("target/bench-quick")
        } else {
            paths.bench.join("results")
        }
    });
    std::fs::create_dir_all(&out).expect("output directory");
    let logs = paths.bench.join("target/bench-logs");
    std::fs::create_dir_all(&logs).expect("log directory");

    let all_servers: Vec<ServerSpec> = servers(&paths, node)
        .into_iter()
        .filter(|s| {
            args.servers
                .as_ref()
                .is_none_or(|names| names.iter().any(|n| n == s.name))
        })
        .collect();
    let all_scenarios: Vec<Scenario> = scenarios(&settings)
        .into_iter()
        .filter(|s| args.only.as_ref().is_none_or(|only| only.contains(&s.id)))
        .collect();
    let max_conns = settings
        .idle_counts
        .iter()
        .chain(&settings.broadcast_subs)
        .copied()
        .chain([settings.latency_conns])
        .max()
        .unwrap_or(0);
    if nofile < (max_conns as u64).min(settings.per_process as u64) + 100 {
        eprintln!(
            "runner: warning: open-file limit {nofile} is low for {max_conns} connections per server"
        );
    }

    let started = Instant::now();
    eprintln!(
        "runner: {} run(s) of {} scenario(s) x {} server(s){}",
        settings.runs,
        all_scenarios.len(),
        all_servers.len(),
        if settings.quick { " (quick)" } else { "" }
    );
    // results[scenario][server] = samples
    let mut results: BTreeMap<String, BTreeMap<String, Vec<Sample>>> = BTreeMap::new();
    let mut failures = Vec::new();
    for run in 0..settings.runs {
        for scenario in &all_scenarios {
            for server in all_servers.iter().filter(|s| scenario.has(s)) {
                procs::drain_time_wait(Duration::from_secs(if settings.quick { 2 } else { 30 }));
                let begin = Instant::now();
                let log = logs.join(format!("{}-{}-{run}.log", scenario.id, server.name));
                let sample = run_one(
                    &paths, &settings, scenario, server, server_cpu, load_cpu, &log,
                );
                match sample {
                    Ok(mut sample) => {
                        sample.run = run;
                        eprintln!(
                            "runner: [{:>5.0}s] run {} {:<16} {:<14} {:.1}s {}",
                            started.elapsed().as_secs_f64(),
                            run + 1,
                            scenario.id,
                            server.name,
                            begin.elapsed().as_secs_f64(),
                            summary(&sample)
                        );
                        results
                            .entry(scenario.id.clone())
                            .or_default()
                            .entry(server.name.to_owned())
                            .or_default()
                            .push(sample);
                    }
                    Err(err) => {
                        eprintln!(
                            "runner: run {} {} {}: FAILED: {err}",
                            run + 1,
                            scenario.id,
                            server.name
                        );
                        failures.push(format!(
                            "run {} {} {}: {err}",
                            run + 1,
                            scenario.id,
                            server.name
                        ));
                    }
                }
            }
        }
    }
    let elapsed = started.elapsed();

    let json_path = out.join("latest.json");
    let mut meta = report::meta(&paths, &settings, elapsed, server_cpu.is_some(), &source);
    meta["results"] = json_path
        .strip_prefix(&paths.repo)
        .unwrap_or(&json_path)
        .display()
        .to_string()
        .into();
    let document = report::results_json(
        &meta,
        &settings,
        &all_scenarios,
        &all_servers,
        &results,
        &failures,
    );
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&document).expect("json"),
    )
    .expect("write results");
    let (md_path, charts_dir) = if settings.quick || args.out.is_some() {
        (out.join("benchmarks.md"), out.join("benchmarks"))
    } else {
        (
            paths.repo.join("docs/benchmarks.md"),
            paths.repo.join("docs/benchmarks"),
        )
    };
    std::fs::create_dir_all(&charts_dir).expect("charts directory");
    let charts = charts::render(&document, &all_scenarios, &all_servers, &charts_dir);
    let notes = std::fs::read_to_string(paths.bench.join("NOTES.md")).ok();
    let markdown = report::markdown(
        &document,
        &all_scenarios,
        &all_servers,
        &charts,
        &md_path,
        notes.as_deref(),
    );
    std::fs::write(&md_path, markdown).expect("write markdown");
    eprintln!(
        "runner: done in {:.0}s: {} and {}",
        elapsed.as_secs_f64(),
        json_path.display(),
        md_path.display()
    );
    for target in document["targets"].as_array().into_iter().flatten() {
        eprintln!(
            "runner: target {}: {}",
            target["status"].as_str().unwrap_or("?"),
            target["text"].as_str().unwrap_or("")
        );
    }
    if !failures.is_empty() {
        eprintln!("runner: {} run(s) failed", failures.len());
        std::process::exit(1);
    }
}

fn summary(sample: &Sample) -> String {
    let mut parts: Vec<String> = sample
        .metrics
        .iter()
        .map(|(k, v)| format!("{k}={}", report::fmt_value(*v)))
        .collect();
    parts.extend(sample.notes.iter().map(|n| format!("[{n}]")));
    parts.join(" ")
}

fn run_one(
    paths: &Paths,
    settings: &Settings,
    scenario: &Scenario,
    spec: &ServerSpec,
    server_cpu: Option<usize>,
    load_cpu: Option<usize>,
    log: &std::path::Path,
) -> Result<Sample, String> {
    if let Kind::RedisBroadcast { subs } = scenario.kind {
        return redis::broadcast(paths, settings, spec, subs, server_cpu, load_cpu, log);
    }
    let mut server = Server::start(&spec.program, &spec.args, &spec.cwd, server_cpu, log)?;
    let result = match &scenario.kind {
        Kind::RedisBroadcast { .. } => unreachable!("run above"),
        Kind::Idle { .. } => idle(paths, settings, spec, &mut server, load_cpu),
        Kind::Echo { payload } => {
            let args = loadgen_args(
                spec,
                &server.addr,
                "echo",
                settings.echo_conns,
                &[
                    ("--payload", payload.to_string()),
                    ("--warmup-ms", settings.echo_warmup_ms.to_string()),
                    ("--measure-ms", settings.echo_measure_ms.to_string()),
                ],
            );
            measured(
                paths,
                &Watched::one(&server),
                load_cpu,
                &args,
                settings.echo_conns,
                settings.quick,
            )
            .map(|(m, mut s)| {
                let cpu = m.server_cpu;
                s.metrics
                    .insert("round_trips_per_cpu_s".into(), m.completed / cpu);
                s.metrics
                    .insert("round_trips_per_s".into(), m.completed / m.seconds);
                s.metrics
                    .insert("server_cpu_pct".into(), 100.0 * cpu / m.seconds);
                if let Some(p99) = m.p99 {
                    s.metrics.insert("p99_us".into(), p99);
                }
                s
            })
        }
        Kind::Latency => {
            let args = loadgen_args(
                spec,
                &server.addr,
                "latency",
                settings.latency_conns,
                &[
                    ("--payload", "32".into()),
                    ("--rate", settings.latency_rate.to_string()),
                    ("--warmup-ms", settings.latency_warmup_ms.to_string()),
                    ("--measure-ms", settings.latency_measure_ms.to_string()),
                ],
            );
            measured(
                paths,
                &Watched::one(&server),
                load_cpu,
                &args,
                settings.latency_conns,
                settings.quick,
            )
            .map(|(m, mut s)| {
                if let (Some(p50), Some(p99)) = (m.p50, m.p99) {
                    s.metrics.insert("p50_us".into(), p50);
                    s.metrics.insert("p99_us".into(), p99);
                }
                if let Some(p999) = m.p999 {
                    s.metrics.insert("p999_us".into(), p999);
                }
                s.metrics
                    .insert("invocations_per_s".into(), m.completed / m.seconds);
                s.metrics
                    .insert("server_cpu_pct".into(), 100.0 * m.server_cpu / m.seconds);
                if let Some(lag) = m.send_lag_p99 {
                    s.metrics.insert("loadgen_send_lag_p99_us".into(), lag);
                    if lag > 5000.0 {
                        s.notes.push(format!(
                            "load generator behind its schedule: send lag p99 {lag:.0} µs"
                        ));
                    }
                }
                let expected = settings.latency_conns as f64 * settings.latency_rate;
                if m.completed / m.seconds < 0.95 * expected {
                    s.notes.push(format!(
                        "served {:.0}/s of {expected:.0}/s offered",
                        m.completed / m.seconds
                    ));
                }
                s
            })
        }
        Kind::Broadcast { .. } | Kind::Groups { .. } => {
            let (mode, conns, window, group_size) = match &scenario.kind {
                Kind::Groups { groups, size } => {
                    ("groups", groups * size, settings.groups_window, *size)
                }
                Kind::Broadcast { subs } => ("broadcast", *subs, settings.broadcast_window, 1),
                _ => unreachable!("matched above"),
            };
            let args = loadgen_args(
                spec,
                &server.addr,
                mode,
                conns,
                &[
                    ("--payload", "32".into()),
                    ("--group-size", group_size.to_string()),
                    ("--window", window.to_string()),
                    ("--warmup-ms", settings.broadcast_warmup_ms.to_string()),
                    ("--measure-ms", settings.broadcast_measure_ms.to_string()),
                ],
            );
            measured(
                paths,
                &Watched::one(&server),
                load_cpu,
                &args,
                conns,
                settings.quick,
            )
            .map(|(m, mut s)| {
                if m.delivered > 0.0 {
                    s.metrics
                        .insert("us_per_delivery".into(), 1e6 * m.server_cpu / m.delivered);
                }
                s.metrics
                    .insert("deliveries_per_s".into(), m.delivered / m.seconds);
                s.metrics
                    .insert("server_cpu_pct".into(), 100.0 * m.server_cpu / m.seconds);
                s
            })
        }
        Kind::Stream { streams } => {
            let args = loadgen_args(
                spec,
                &server.addr,
                "stream",
                *streams,
                &[
                    ("--warmup-ms", settings.stream_warmup_ms.to_string()),
                    ("--measure-ms", settings.stream_measure_ms.to_string()),
                ],
            );
            measured(
                paths,
                &Watched::one(&server),
                load_cpu,
                &args,
                *streams,
                settings.quick,
            )
            .map(|(m, mut s)| {
                s.metrics
                    .insert("items_per_cpu_s".into(), m.completed / m.server_cpu);
                s.metrics
                    .insert("items_per_s".into(), m.completed / m.seconds);
                s.metrics
                    .insert("server_cpu_pct".into(), 100.0 * m.server_cpu / m.seconds);
                s
            })
        }
    };
    let alive = server.alive();
    server.stop();
    let mut sample = result?;
    if !alive {
        sample.notes.push("server exited during the run".to_owned());
    }
    Ok(sample)
}

/// The arguments of a load generator: `addr` is the server's address, or several separated by
/// commas (nodes of one cluster, connections spread over them in turn).
fn loadgen_args(
    spec: &ServerSpec,
    addr: &str,
    mode: &str,
    conns: usize,
    extra: &[(&str, String)],
) -> Vec<String> {
    let mut args: Vec<String> = [
        "--proto",
        spec.proto,
        "--server",
        addr,
        "--mode",
        mode,
        "--conns",
        &conns.to_string(),
        "--max-seconds",
        "300",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (k, v) in extra {
        args.push((*k).to_owned());
        args.push(v.clone());
    }
    args.extend(spec.loadgen_extra.iter().map(|s| s.to_string()));
    args
}

/// The processes whose CPU time a measurement reads at the window's edges.
pub struct Watched {
    /// The server processes: their CPU times add up to `Measured::server_cpu`.
    pub servers: Vec<u32>,
    /// Others read apart (`Measured::other_cpu`), such as a Redis the servers share.
    pub others: Vec<u32>,
}

impl Watched {
    fn one(server: &Server) -> Watched {
        Watched {
            servers: vec![server.pid()],
            others: Vec::new(),
        }
    }

    fn cpu(pids: &[u32]) -> Vec<f64> {
        pids.iter()
            .map(|&pid| procs::cpu_seconds(pid).unwrap_or(f64::NAN))
            .collect()
    }
}

pub struct Measured {
    pub seconds: f64,
    /// CPU seconds of the watched servers together in the window.
    pub server_cpu: f64,
    /// CPU seconds of each of the other watched processes in the window.
    pub other_cpu: Vec<f64>,
    completed: f64,
    pub delivered: f64,
    /// Deliveries to the connections of each server address, in the order given.
    pub delivered_by_server: Vec<f64>,
    /// Broadcasts (or group messages) sent in the window.
    pub broadcasts: f64,
    p50: Option<f64>,
    p99: Option<f64>,
    p999: Option<f64>,
    send_lag_p99: Option<f64>,
}

/// Runs a load generator that measures one window, reading the server's CPU time at the window's
/// edges.
fn measured(
    paths: &Paths,
    watched: &Watched,
    load_cpu: Option<usize>,
    args: &[String],
    conns: usize,
    quick: bool,
) -> Result<(Measured, Sample), String> {
    let mut sample = Sample::default();
    let mut loadgen = Loadgen::start(paths, load_cpu, args)?;
    let ready = loadgen.expect("ready", Duration::from_secs(180))?;
    let connected = ready["connected"].as_u64().unwrap_or(0) as usize;
    if connected < conns {
        return Err(format!(
            "{connected} of {conns} connected; first error: {}",
            ready["first_error"]
        ));
    }
    sample.metrics.insert(
        "connect_s".into(),
        ready["connect_seconds"].as_f64().unwrap_or(0.0),
    );
    loadgen.expect("measure_start", Duration::from_secs(60))?;
    let (servers0, others0) = (
        Watched::cpu(&watched.servers),
        Watched::cpu(&watched.others),
    );
    loadgen.expect("measure_end", Duration::from_secs(120))?;
    let (servers1, others1) = (
        Watched::cpu(&watched.servers),
        Watched::cpu(&watched.others),
    );
    let delta =
        |a: &[f64], b: &[f64]| -> Vec<f64> { b.iter().zip(a).map(|(b, a)| b - a).collect() };
    let done = loadgen.expect("done", Duration::from_secs(30))?;
    let errors = done["errors"].as_u64().unwrap_or(0);
    if errors > 0 {
        sample.notes.push(format!(
            "{errors} client error(s), first: {}",
            done["first_error"].as_str().unwrap_or("?")
        ));
    }
    let seconds = done["seconds"].as_f64().unwrap_or(f64::NAN);
    let latency = &done["latency_us"];
    let mut measured = Measured {
        seconds,
        server_cpu: delta(&servers0, &servers1).iter().sum(),
        other_cpu: delta(&others0, &others1),
        completed: done["completed"].as_f64().unwrap_or(0.0),
        delivered: done["delivered"].as_f64().unwrap_or(0.0),
        delivered_by_server: done["delivered_by_server"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| d.as_f64().unwrap_or(0.0))
            .collect(),
        broadcasts: done["broadcasts"].as_f64().unwrap_or(0.0),
        p50: latency["p50"].as_f64(),
        p99: latency["p99"].as_f64(),
        p999: latency["p999"].as_f64(),
        send_lag_p99: done["send_lag_us"]["p99"].as_f64(),
    };
    if measured.server_cpu <= 0.0 {
        if !quick {
            return Err("the server used no measurable CPU in the window".into());
        }
        // A smoke run's window can be shorter than the kernel's CPU accounting tick.
        measured.server_cpu = 1.0 / procs::clock_ticks();
        sample
            .notes
            .push("server CPU below one clock tick, counted as one".into());
    }
    Ok((measured, sample))
}

fn idle(
    paths: &Paths,
    settings: &Settings,
    spec: &ServerSpec,
    server: &mut Server,
    load_cpu: Option<usize>,
) -> Result<Sample, String> {
    let mut sample = Sample::default();
    std::thread::sleep(settings.settle.min(Duration::from_secs(1)));
    let rss0 = server.rss();
    let slab0 = procs::slab_kib().unwrap_or(f64::NAN);
    let mut loadgens: Vec<Loadgen> = Vec::new();
    let mut current = 0usize;
    let mut connect_s = 0.0;
    let result = (|| {
        for &target in &settings.idle_counts {
            let began = Instant::now();
            let mut new = Vec::new();
            while current < target {
                let chunk = (target - current).min(settings.per_process);
                let args = loadgen_args(
                    spec,
                    &server.addr,
                    "idle",
                    chunk,
                    &[("--src-offset", current.to_string())],
                );
                new.push(Loadgen::start(paths, load_cpu, &args)?);
                current += chunk;
            }
            let mut connected = 0usize;
            for loadgen in &mut new {
                let ready = loadgen.expect("ready", Duration::from_secs(180))?;
                connected += ready["connected"].as_u64().unwrap_or(0) as usize;
                if let Some(err) = ready["first_error"].as_str() {
                    sample.notes.push(format!("client error: {err}"));
                }
            }
            loadgens.extend(new);
            connect_s += began.elapsed().as_secs_f64();
            let wanted = target
                - settings
                    .idle_counts
                    .iter()
                    .copied()
                    .filter(|&c| c < target)
                    .max()
                    .unwrap_or(0);
            if connected < wanted {
                return Err(format!("only {connected} of {wanted} new connections"));
            }
            std::thread::sleep(settings.settle);
            let rss = server.rss();
            let slab = procs::slab_kib().unwrap_or(f64::NAN);
            let key = fmt_count(target);
            sample
                .metrics
                .insert(format!("kib_per_conn_{key}"), (rss - rss0) / target as f64);
            sample.metrics.insert(
                format!("kernel_slab_kib_per_conn_{key}"),
                (slab - slab0) / target as f64,
            );
            sample
                .metrics
                .insert(format!("rss_mib_{key}"), rss / 1024.0);
        }
        Ok(())
    })();
    sample.metrics.insert("connect_s".into(), connect_s);
    sample
        .metrics
        .insert("rss_mib_before".into(), rss0 / 1024.0);
    for loadgen in loadgens {
        loadgen.stop();
    }
    result.map(|()| sample)
}

/// Metric of a scenario that the tables, charts and targets revolve around.
pub fn primary(scenario: &Scenario) -> Vec<report::MetricSpec> {
    use report::{Better, MetricSpec};
    let m = |key: &str, label: &str, better: Better, ratio: bool| MetricSpec {
        key: key.to_owned(),
        label: label.to_owned(),
        better,
        ratio,
    };
    // `<what>_per_cpu_s` (the ratio that counts), `<what>_per_s`, server CPU %.
    let throughput = |key: &str, label: &str| {
        vec![
            m(
                &format!("{key}_per_cpu_s"),
                &format!("{label} per server CPU-s"),
                Better::Higher,
                true,
            ),
            m(
                &format!("{key}_per_s"),
                &format!("{label}/s"),
                Better::Higher,
                false,
            ),
            m("server_cpu_pct", "server CPU %", Better::Lower, false),
        ]
    };
    match &scenario.kind {
        Kind::Idle { counts } => {
            let keys: Vec<String> = counts.iter().map(|&c| fmt_count(c)).collect();
            let mut list = Vec::new();
            for id in &keys {
                list.push(m(
                    &format!("kib_per_conn_{id}"),
                    &format!("KiB/conn @{id}"),
                    Better::Lower,
                    true,
                ));
            }
            for id in &keys {
                list.push(m(
                    &format!("kernel_slab_kib_per_conn_{id}"),
                    &format!("kernel Slab KiB/conn @{id}"),
                    Better::Lower,
                    false,
                ));
            }
            list.push(m("connect_s", "connect time s", Better::Lower, false));
            list
        }
        Kind::Echo { .. } => {
            let mut list = throughput("round_trips", "round trips");
            list.push(m("p99_us", "p99 µs (closed loop)", Better::Lower, false));
            list
        }
        Kind::Latency => vec![
            m("p50_us", "p50 µs", Better::Lower, true),
            m("p99_us", "p99 µs", Better::Lower, true),
            m("p999_us", "p99.9 µs", Better::Lower, false),
            m("server_cpu_pct", "server CPU %", Better::Lower, true),
            m("invocations_per_s", "invocations/s", Better::Higher, false),
            m(
                "loadgen_send_lag_p99_us",
                "loadgen send lag p99 µs",
                Better::Lower,
                false,
            ),
        ],
        Kind::Stream { .. } => throughput("items", "items"),
        Kind::RedisBroadcast { .. } => vec![
            m(
                "ratio_2_nodes",
                "2 nodes on Redis ÷ 1 node in memory (µs/delivery)",
                Better::Lower,
                false,
            ),
            m(
                "us_per_delivery_memory",
                "µs/delivery, 1 node in memory",
                Better::Lower,
                false,
            ),
            m(
                "us_per_delivery_redis_1",
                "µs/delivery, 1 node on Redis",
                Better::Lower,
                false,
            ),
            m(
                "us_per_delivery_redis_2",
                "µs/delivery, 2 nodes on Redis",
                Better::Lower,
                false,
            ),
            m(
                "ratio_1_node_redis",
                "1 node on Redis ÷ in memory",
                Better::Lower,
                false,
            ),
            m(
                "broadcasts_per_s_redis_2",
                "messages/s through Redis (2 nodes)",
                Better::Higher,
                false,
            ),
            m(
                "redis_cpu_pct_redis_2",
                "Redis CPU % (2 nodes)",
                Better::Lower,
                false,
            ),
            m(
                "redis_us_per_broadcast_redis_2",
                "Redis µs CPU per message (2 nodes)",
                Better::Lower,
                false,
            ),
        ],
        Kind::Broadcast { .. } | Kind::Groups { .. } => vec![
            m(
                "us_per_delivery",
                "server µs CPU per delivery",
                Better::Lower,
                true,
            ),
            m("deliveries_per_s", "deliveries/s", Better::Higher, false),
            m("server_cpu_pct", "server CPU %", Better::Lower, false),
        ],
    }
}

/// The JSON value of the settings.
pub fn settings_json(settings: &Settings) -> Value {
    json!({
        "quick": settings.quick,
        "runs": settings.runs,
        "idle_counts": settings.idle_counts,
        "connections_per_load_process": settings.per_process,
        "settle_s": settings.settle.as_secs_f64(),
        "echo_connections": settings.echo_conns,
        "echo_measure_ms": settings.echo_measure_ms,
        "latency_connections": settings.latency_conns,
        "latency_rate_per_connection": settings.latency_rate,
        "latency_measure_ms": settings.latency_measure_ms,
        "broadcast_subscribers": settings.broadcast_subs,
        "broadcast_window": settings.broadcast_window,
        "broadcast_measure_ms": settings.broadcast_measure_ms,
        "redis_broadcast_subscribers": settings.redis_subs,
        "groups": settings.groups,
        "groups_window": settings.groups_window,
        "streams": settings.streams,
        "stream_measure_ms": settings.stream_measure_ms,
    })
}
