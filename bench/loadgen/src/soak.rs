//! The checking modes: every message numbered, every delivery checked, for the soak test and the
//! slow-client regression cases. They speak the SignalR hub protocols (JSON, and MessagePack on
//! some connections) to the bench hub (`Echo`, `SendMessage`, `JoinGroup`, `SendToGroup`,
//! `Count`) and decode every message (`hubmsg.rs`).
//!
//! - `soak`: `--conns` steady connections of `--total-conns` in all load processes (this one
//!   holds global indexes `--src-offset` …), each in group `g<global / --group-size>`, every
//!   `--msgpack-every`-th speaking MessagePack. After `go` on stdin, for `--measure-ms`, each
//!   connection invokes `Echo("<n>@<ns>")` every `--echo-every-ms` (ids `e0`, `e1`, … answered in
//!   order, the result checked against its id), sends `SendToGroup(g, "<global>.<n>@<ns>")`
//!   every `--group-every-ms` and starts a `Count(--stream-items)` stream (ids `s0`, `s1`, …)
//!   every `--stream-every-ms`; the first `--broadcasters` connections (global) also send
//!   `SendMessage("b<global>", "<n>@<ns>")` every `--broadcast-every-ms`. Every connection keeps,
//!   per source (its own completions, each broadcaster, each member of its group, each of its
//!   streams), the next number it expects: a number above it counts the skipped ones as gaps
//!   (lost), one below it as duplicated. `--churn` extra connections connect, join a group,
//!   echo, read a short stream and leave (gracefully or by reset, in turn), again and again,
//!   outside the accounting. The counters go out every `--report-every-ms` (`tick`, with the
//!   echo latencies of the interval as an HDR histogram's `[value, count]` pairs), and after a
//!   drain in `done`. Tail losses (a broadcast that never came) are found by the runner, which
//!   sums what every process sent and received: `expected = sent × recipients`.
//! - `burst`: connection 0 sends one WebSocket message of `--burst` fire-and-forget
//!   `SendMessage("", "<n>")` invocations in its protocol (`--proto`); the other connections
//!   (bystanders, JSON and MessagePack in turn) read. Every connection, the sender included,
//!   must receive `0 … n-1` in order and still answer an `Echo` afterwards.
//! - `crowd`: `--conns` connections each send one `SendMessage("c<i>", "<i>")` at the same
//!   moment; each must receive every one of them once and still answer an `Echo` afterwards.
//!
//! Timestamps are CLOCK_MONOTONIC nanoseconds, one clock for every process of the machine, so a
//! delivery's latency is read by whichever process receives it.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use crate::hubmsg::{self, Arg, HubMessage, INVOCATION, STREAM_INVOCATION};
use crate::{
    BoxError, CONNECT_CONCURRENCY, CONNECT_TIMEOUT, Config, Mode, Proto, SIGNALR_PING_EVERY, Ws,
    emit, lock, new_histogram, next_frame, open_ws, ping_request,
};

/// How long a client of a burst or a crowd waits for a message before it stops waiting.
const STALL: Duration = Duration::from_secs(10);

/// How long a soak keeps reading after the sending stopped, at least.
const DRAIN_AT_LEAST: Duration = Duration::from_secs(3);

/// The settings of the checking modes.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Steady connections in all load processes together.
    pub total: usize,
    pub broadcasters: usize,
    pub echo_every: Duration,
    pub broadcast_every: Duration,
    pub group_every: Duration,
    pub stream_every: Duration,
    pub stream_items: u64,
    /// Every n-th connection speaks MessagePack (0: none).
    pub msgpack_every: usize,
    /// Churning connections in this process.
    pub churn: usize,
    pub churn_every: Duration,
    pub report_every: Duration,
    /// The longest wait, after the sending stopped, for answers still due.
    pub drain: Duration,
    /// Invocations in the burst's one message.
    pub burst: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            total: 0,
            broadcasters: 4,
            echo_every: Duration::from_secs(4),
            broadcast_every: Duration::from_secs(2),
            group_every: Duration::from_secs(20),
            stream_every: Duration::from_secs(30),
            stream_items: 20,
            msgpack_every: 4,
            churn: 0,
            churn_every: Duration::from_secs(1),
            report_every: Duration::from_secs(10),
            drain: Duration::from_secs(30),
            burst: 1100,
        }
    }
}

/// What a mode's messages carry as their send time.
fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Microseconds since a send time of [`now_ns`], at least 1 (the histograms' lowest value).
fn micros_since(sent_ns: u64) -> u64 {
    (now_ns().saturating_sub(sent_ns) / 1000).max(1)
}

/// `"<n>@<ns>"` and `"<sender>.<n>@<ns>"`, the numbered texts.
fn stamped(n: u64) -> String {
    format!("{n}@{}", now_ns())
}

fn parse_stamped(text: &str) -> Option<(u64, u64)> {
    let (n, ns) = text.split_once('@')?;
    Some((n.parse().ok()?, ns.parse().ok()?))
}

/// Index and suffix of an id or a name such as `e12` or `b3`.
fn numbered(text: &str, prefix: char) -> Option<u64> {
    text.strip_prefix(prefix)?.parse().ok()
}

/// The counters of a run, by name in the JSON.
#[derive(Clone, Copy)]
enum C {
    Connected,
    ConnectFailed,
    Disconnected,
    EchoSent,
    EchoCompleted,
    EchoLost,
    EchoDuplicated,
    EchoWrongResult,
    BroadcastSent,
    BroadcastReceived,
    BroadcastGaps,
    BroadcastDuplicated,
    GroupSent,
    GroupReceived,
    GroupGaps,
    GroupDuplicated,
    StreamsStarted,
    StreamsCompleted,
    StreamsFailed,
    StreamsUnfinished,
    StreamItems,
    StreamItemsLost,
    StreamItemsDuplicated,
    Unexpected,
    ChurnCycles,
    ChurnErrors,
}

const COUNTERS: [&str; 26] = [
    "connected",
    "connect_failed",
    "disconnected",
    "echo_sent",
    "echo_completed",
    "echo_lost",
    "echo_duplicated",
    "echo_wrong_result",
    "broadcast_sent",
    "broadcast_received",
    "broadcast_gaps",
    "broadcast_duplicated",
    "group_sent",
    "group_received",
    "group_gaps",
    "group_duplicated",
    "streams_started",
    "streams_completed",
    "streams_failed",
    "streams_unfinished",
    "stream_items",
    "stream_items_lost",
    "stream_items_duplicated",
    "unexpected",
    "churn_cycles",
    "churn_errors",
];

struct Counters([AtomicU64; COUNTERS.len()]);

impl Counters {
    fn new() -> Self {
        Counters(std::array::from_fn(|_| AtomicU64::new(0)))
    }

    fn add(&self, counter: C, n: u64) {
        if n > 0 {
            self.0[counter as usize].fetch_add(n, Ordering::Relaxed);
        }
    }

    fn get(&self, counter: C) -> u64 {
        self.0[counter as usize].load(Ordering::Relaxed)
    }

    fn json(&self) -> Value {
        COUNTERS
            .iter()
            .zip(&self.0)
            .map(|(name, value)| ((*name).to_owned(), value.load(Ordering::Relaxed).into()))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

/// A histogram as `[value, count]` pairs, which the runner merges across processes.
fn pairs(hist: &Histogram<u64>) -> Value {
    hist.iter_recorded()
        .map(|v| json!([v.value_iterated_to(), v.count_at_value()]))
        .collect()
}

fn quantiles(hist: &Histogram<u64>) -> Value {
    if hist.is_empty() {
        return Value::Null;
    }
    json!({
        "count": hist.len(),
        "p50": hist.value_at_quantile(0.50),
        "p99": hist.value_at_quantile(0.99),
        "p999": hist.value_at_quantile(0.999),
        "max": hist.max(),
    })
}

/// Where a run is; every connection watches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Connecting,
    Running,
    Draining,
    Closing,
}

struct Run {
    config: Config,
    phase: watch::Receiver<Phase>,
    counters: Counters,
    /// Echoes and streams sent and not yet answered.
    pending: AtomicU64,
    /// Echo round trips of the whole run and of the current report interval, µs.
    echo: std::sync::Mutex<Histogram<u64>>,
    echo_window: std::sync::Mutex<Histogram<u64>>,
    /// Broadcast and group deliveries, from the sender's send time, µs.
    delivery: std::sync::Mutex<Histogram<u64>>,
    /// How late scheduled sends went out, µs: a load generator behind its schedule shows here.
    send_lag: std::sync::Mutex<Histogram<u64>>,
    first_error: std::sync::Mutex<Option<String>>,
    permits: Semaphore,
}

impl Run {
    fn settings(&self) -> &Settings {
        &self.config.check
    }

    fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    fn error(&self, err: impl std::fmt::Display) {
        let mut first = lock(&self.first_error);
        if first.is_none() {
            *first = Some(err.to_string());
        }
    }

    fn first_error(&self) -> Value {
        lock(&self.first_error).clone().into()
    }

    fn record_echo(&self, micros: u64) {
        lock(&self.echo).saturating_record(micros);
        lock(&self.echo_window).saturating_record(micros);
    }

    /// Opens a connection (at most [`CONNECT_CONCURRENCY`] at a time, within
    /// [`CONNECT_TIMEOUT`]).
    async fn open(&self, proto: Proto, source: Ipv4Addr) -> Result<Ws, BoxError> {
        let _permit = self.permits.acquire().await?;
        let config = &self.config;
        tokio::time::timeout(
            CONNECT_TIMEOUT,
            open_ws(config.server, &config.path, proto, source),
        )
        .await
        .map_err(|_| "connect: timed out")?
    }
}

/// The protocol of connection `global`.
fn proto_of(settings: &Settings, global: usize) -> Proto {
    if settings.msgpack_every > 0 && global % settings.msgpack_every == settings.msgpack_every - 1 {
        Proto::SignalRMessagePack
    } else {
        Proto::SignalR
    }
}

/// A spread of start times: the fraction of a period connection `global` waits before its first
/// message of a kind, the same for every run.
fn phase_of(global: usize, kind: u64) -> f64 {
    let hash = (global as u64 + 1)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(kind.wrapping_mul(0xbf58_476d_1ce4_e5b9));
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

// ---------------------------------------------------------------------------------------------
// A steady connection of the soak.

/// What one steady connection sent and expects.
struct Steady {
    global: usize,
    proto: Proto,
    group: usize,
    group_size: usize,
    echo_sent: u64,
    echo_next: u64,
    broadcast_sent: u64,
    broadcast_next: Vec<u64>,
    group_sent: u64,
    group_next: Vec<u64>,
    streams_sent: u64,
    /// Open streams: id number and the next item expected.
    streams: Vec<(u64, u64)>,
    joined: bool,
}

impl Steady {
    fn new(settings: &Settings, global: usize, group_size: usize) -> Self {
        Steady {
            global,
            proto: proto_of(settings, global),
            group: global / group_size,
            group_size,
            echo_sent: 0,
            echo_next: 0,
            broadcast_sent: 0,
            broadcast_next: vec![0; settings.broadcasters],
            group_sent: 0,
            group_next: vec![0; group_size],
            streams_sent: 0,
            streams: Vec::new(),
            joined: false,
        }
    }

    fn group_name(&self) -> String {
        crate::group_name(self.group)
    }

    /// Checks one numbered message against what a source sent before: `Ok(true)` for the next
    /// one, gaps and duplicates counted.
    fn sequence(run: &Run, next: &mut u64, n: u64, gaps: C, duplicated: C) -> bool {
        if n < *next {
            run.counters.add(duplicated, 1);
            return false;
        }
        run.counters.add(gaps, n - *next);
        *next = n + 1;
        true
    }

    fn handle(&mut self, run: &Run, message: HubMessage) -> Result<(), BoxError> {
        let counters = &run.counters;
        match message {
            HubMessage::Invocation { target, arguments }
                if target.eq_ignore_ascii_case("ReceiveMessage") =>
            {
                let text = |i: usize| arguments.get(i).and_then(Value::as_str).unwrap_or("");
                let (user, message) = (text(0), text(1));
                if let Some(sender) = numbered(user, 'b')
                    && let Some(next) = self.broadcast_next.get_mut(sender as usize)
                    && let Some((n, sent_ns)) = parse_stamped(message)
                {
                    if Self::sequence(run, next, n, C::BroadcastGaps, C::BroadcastDuplicated) {
                        counters.add(C::BroadcastReceived, 1);
                        lock(&run.delivery).saturating_record(micros_since(sent_ns));
                    }
                } else if user == self.group_name()
                    && let Some((sender, stamped)) = message.split_once('.')
                    && let Some(member) = sender
                        .parse::<usize>()
                        .ok()
                        .and_then(|s| s.checked_sub(self.group * self.group_size))
                    && let Some(next) = self.group_next.get_mut(member)
                    && let Some((n, sent_ns)) = parse_stamped(stamped)
                {
                    if Self::sequence(run, next, n, C::GroupGaps, C::GroupDuplicated) {
                        counters.add(C::GroupReceived, 1);
                        lock(&run.delivery).saturating_record(micros_since(sent_ns));
                    }
                } else {
                    counters.add(C::Unexpected, 1);
                    run.error(format!("unexpected message: {user} {message}"));
                }
            }
            HubMessage::StreamItem { id, item } => {
                let open = numbered(&id, 's')
                    .and_then(|n| self.streams.iter_mut().find(|(open, _)| *open == n));
                match (open, item.as_u64()) {
                    (Some((_, next)), Some(item)) => {
                        if Self::sequence(
                            run,
                            next,
                            item,
                            C::StreamItemsLost,
                            C::StreamItemsDuplicated,
                        ) {
                            counters.add(C::StreamItems, 1);
                        }
                    }
                    _ => {
                        counters.add(C::Unexpected, 1);
                        run.error(format!("unexpected stream item: {id} {item}"));
                    }
                }
            }
            HubMessage::Completion { id, result, error } => {
                self.complete(run, &id, result, error);
            }
            HubMessage::Ping => {}
            HubMessage::Close { error } => {
                return Err(format!("closed by the server: {error:?}").into());
            }
            other => {
                counters.add(C::Unexpected, 1);
                run.error(format!("unexpected message: {other:?}"));
            }
        }
        Ok(())
    }

    fn complete(&mut self, run: &Run, id: &str, result: Option<Value>, error: Option<String>) {
        let counters = &run.counters;
        if id == "j" {
            self.joined = error.is_none();
            if let Some(error) = error {
                run.error(format!("JoinGroup: {error}"));
            }
        } else if let Some(n) = numbered(id, 'e')
            && n < self.echo_sent
        {
            if n < self.echo_next {
                counters.add(C::EchoDuplicated, 1);
                return;
            }
            // Echoes skipped are lost; this one and those are no longer awaited.
            counters.add(C::EchoLost, n - self.echo_next);
            run.pending
                .fetch_sub(n + 1 - self.echo_next, Ordering::Relaxed);
            self.echo_next = n + 1;
            match result
                .as_ref()
                .and_then(Value::as_str)
                .and_then(parse_stamped)
            {
                Some((echoed, sent_ns)) if echoed == n && error.is_none() => {
                    counters.add(C::EchoCompleted, 1);
                    run.record_echo(micros_since(sent_ns));
                }
                _ => {
                    counters.add(C::EchoWrongResult, 1);
                    run.error(format!("echo {id}: {result:?} {error:?}"));
                }
            }
        } else if let Some(n) = numbered(id, 's')
            && let Some(at) = self.streams.iter().position(|(open, _)| *open == n)
        {
            let (_, next) = self.streams.swap_remove(at);
            run.pending.fetch_sub(1, Ordering::Relaxed);
            counters.add(
                C::StreamItemsLost,
                run.settings().stream_items.saturating_sub(next),
            );
            if let Some(error) = error {
                counters.add(C::StreamsFailed, 1);
                run.error(format!("stream {id}: {error}"));
            } else {
                counters.add(C::StreamsCompleted, 1);
            }
        } else {
            counters.add(C::Unexpected, 1);
            run.error(format!("unexpected completion {id}"));
        }
    }

    /// What is still due when the run ends counts as lost.
    fn finish(&mut self, run: &Run) {
        let counters = &run.counters;
        let unanswered = self.echo_sent.saturating_sub(self.echo_next);
        counters.add(C::EchoLost, unanswered);
        run.pending.fetch_sub(unanswered, Ordering::Relaxed);
        self.echo_next = self.echo_sent;
        for (_, next) in self.streams.drain(..) {
            counters.add(C::StreamsUnfinished, 1);
            counters.add(
                C::StreamItemsLost,
                run.settings().stream_items.saturating_sub(next),
            );
            run.pending.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// The message of a kind of traffic that is due.
    fn next_request(&mut self, run: &Run, kind: Kind) -> Vec<u8> {
        let proto = self.proto;
        let counters = &run.counters;
        match kind {
            Kind::Echo => {
                let (id, text) = (format!("e{}", self.echo_sent), stamped(self.echo_sent));
                self.echo_sent += 1;
                counters.add(C::EchoSent, 1);
                run.pending.fetch_add(1, Ordering::Relaxed);
                hubmsg::record(proto, INVOCATION, Some(&id), "Echo", &[Arg::Str(&text)])
            }
            Kind::Broadcast => {
                let (user, text) = (format!("b{}", self.global), stamped(self.broadcast_sent));
                self.broadcast_sent += 1;
                counters.add(C::BroadcastSent, 1);
                let args = [Arg::Str(&user), Arg::Str(&text)];
                hubmsg::record(proto, INVOCATION, None, "SendMessage", &args)
            }
            Kind::Group => {
                let text = format!("{}.{}", self.global, stamped(self.group_sent));
                self.group_sent += 1;
                counters.add(C::GroupSent, 1);
                let group = self.group_name();
                let args = [Arg::Str(&group), Arg::Str(&text)];
                hubmsg::record(proto, INVOCATION, None, "SendToGroup", &args)
            }
            Kind::Stream => {
                let n = self.streams_sent;
                self.streams_sent += 1;
                self.streams.push((n, 0));
                counters.add(C::StreamsStarted, 1);
                run.pending.fetch_add(1, Ordering::Relaxed);
                let id = format!("s{n}");
                let args = [Arg::Int(run.settings().stream_items)];
                hubmsg::record(proto, STREAM_INVOCATION, Some(&id), "Count", &args)
            }
        }
    }
}

/// The kinds of traffic a steady connection sends.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Echo,
    Broadcast,
    Group,
    Stream,
}

/// When each kind of traffic is next due.
struct Schedule {
    due: Vec<(Kind, Duration, Instant)>,
}

impl Schedule {
    fn new(settings: &Settings, global: usize, start: Instant) -> Self {
        let mut kinds = vec![
            (Kind::Echo, settings.echo_every),
            (Kind::Group, settings.group_every),
            (Kind::Stream, settings.stream_every),
        ];
        if global < settings.broadcasters {
            kinds.push((Kind::Broadcast, settings.broadcast_every));
        }
        let due = kinds
            .into_iter()
            .filter(|(_, every)| !every.is_zero())
            .enumerate()
            .map(|(i, (kind, every))| {
                (
                    kind,
                    every,
                    start + every.mul_f64(phase_of(global, i as u64)),
                )
            })
            .collect();
        Schedule { due }
    }

    fn next(&self) -> Option<Instant> {
        self.due.iter().map(|&(_, _, at)| at).min()
    }

    /// The kinds due by `now`, each moved on by its period.
    fn take_due(&mut self, now: Instant) -> Vec<Kind> {
        let mut kinds = Vec::new();
        for (kind, every, at) in &mut self.due {
            if *at <= now {
                kinds.push(*kind);
                *at += *every;
                // A connection that fell behind does not send its backlog at once.
                if *at <= now {
                    *at = now + *every;
                }
            }
        }
        kinds
    }
}

async fn steady_task(run: Arc<Run>, index: usize) {
    let config = &run.config;
    let global = config.src_offset + index;
    let mut conn = Steady::new(run.settings(), global, config.group_size);
    let mut ws = match run
        .open(conn.proto, crate::source_address(config, index))
        .await
    {
        Ok(ws) => ws,
        Err(err) => {
            run.counters.add(C::ConnectFailed, 1);
            run.error(format!("connect: {err}"));
            return;
        }
    };
    let joined = tokio::time::timeout(CONNECT_TIMEOUT, join(&run, &mut ws, &mut conn)).await;
    if !matches!(joined, Ok(Ok(()))) {
        run.counters.add(C::ConnectFailed, 1);
        run.error(format!("join: {joined:?}"));
        return;
    }
    run.counters.add(C::Connected, 1);
    if let Err(err) = steady_loop(&run, &mut ws, &mut conn).await {
        run.counters.add(C::Disconnected, 1);
        run.error(format!("connection {global}: {err}"));
    }
    conn.finish(&run);
}

async fn join(run: &Run, ws: &mut Ws, conn: &mut Steady) -> Result<(), BoxError> {
    let group = conn.group_name();
    let request = hubmsg::record(
        conn.proto,
        INVOCATION,
        Some("j"),
        "JoinGroup",
        &[Arg::Str(&group)],
    );
    ws.send(hubmsg::message(conn.proto, request)).await?;
    while !conn.joined {
        for message in hubmsg::parse(&next_frame(ws).await?)? {
            conn.handle(run, message)?;
        }
    }
    Ok(())
}

/// Reads and checks everything, sends what is due while the run runs, keeps the connection
/// alive before and after; `Err` when the connection ended before the run did.
async fn steady_loop(run: &Run, ws: &mut Ws, conn: &mut Steady) -> Result<(), BoxError> {
    let settings = run.settings();
    let mut phase = run.phase.clone();
    let mut schedule: Option<Schedule> = None;
    let mut last_send = Instant::now();
    loop {
        let now_phase = *phase.borrow_and_update();
        match now_phase {
            Phase::Closing => return Ok(()),
            Phase::Running if schedule.is_none() => {
                schedule = Some(Schedule::new(settings, conn.global, Instant::now()));
            }
            Phase::Draining => schedule = None,
            _ => {}
        }
        let ping_at = last_send + SIGNALR_PING_EVERY;
        let wake = schedule
            .as_ref()
            .and_then(Schedule::next)
            .map_or(ping_at, |at| at.min(ping_at));
        tokio::select! {
            biased;
            changed = phase.changed() => changed?,
            frame = next_frame(ws) => {
                for message in hubmsg::parse(&frame?)? {
                    conn.handle(run, message)?;
                }
            }
            () = tokio::time::sleep_until(wake.into()) => {
                let now = Instant::now();
                if schedule.is_some() {
                    // How late the load generator is against its own schedule.
                    let late = now.saturating_duration_since(wake).as_micros() as u64;
                    lock(&run.send_lag).saturating_record(late.max(1));
                }
                let kinds = schedule.as_mut().map(|s| s.take_due(now)).unwrap_or_default();
                if kinds.is_empty() {
                    ws.send(ping_request(conn.proto)).await?;
                } else {
                    // Everything due goes in one WebSocket message.
                    let mut records = Vec::new();
                    for kind in kinds {
                        records.extend(conn.next_request(run, kind));
                    }
                    ws.send(hubmsg::message(conn.proto, records)).await?;
                }
                last_send = now;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Churning connections: connect, join, echo, a short stream, leave; again and again.

async fn churn_task(run: Arc<Run>, slot: usize) {
    let settings = run.settings();
    let mut phase = run.phase.clone();
    if phase.wait_for(|p| *p >= Phase::Running).await.is_err() {
        return;
    }
    tokio::time::sleep(settings.churn_every.mul_f64(phase_of(slot, 7))).await;
    let mut cycle = 0usize;
    while run.phase() == Phase::Running {
        let global = run.config.check.total + run.config.src_offset + slot;
        let proto = if cycle.is_multiple_of(2) {
            Proto::SignalR
        } else {
            Proto::SignalRMessagePack
        };
        let source = Ipv4Addr::new(127, 0, 0, 1 + (global % run.config.src_count) as u8);
        let result = tokio::time::timeout(
            CONNECT_TIMEOUT,
            churn_cycle(&run, proto, source, cycle % 4 < 2),
        )
        .await;
        match result {
            Ok(Ok(())) => run.counters.add(C::ChurnCycles, 1),
            Ok(Err(err)) => {
                run.counters.add(C::ChurnErrors, 1);
                run.error(format!("churn: {err}"));
            }
            Err(_) => {
                run.counters.add(C::ChurnErrors, 1);
                run.error("churn: a cycle timed out");
            }
        }
        cycle += 1;
        tokio::time::sleep(settings.churn_every).await;
    }
}

/// One life of a churning connection; `graceful` closes with a WebSocket Close, otherwise the
/// socket is reset (SO_LINGER 0).
async fn churn_cycle(
    run: &Run,
    proto: Proto,
    source: Ipv4Addr,
    graceful: bool,
) -> Result<(), BoxError> {
    const ITEMS: u64 = 5;
    let mut ws = run.open(proto, source).await?;
    let mut records = Vec::new();
    for (kind, id, target, arg) in [
        (INVOCATION, "j", "JoinGroup", Arg::Str("churn")),
        (INVOCATION, "e", "Echo", Arg::Str("churn")),
        (STREAM_INVOCATION, "s", "Count", Arg::Int(ITEMS)),
    ] {
        records.extend(hubmsg::record(proto, kind, Some(id), target, &[arg]));
    }
    ws.send(hubmsg::message(proto, records)).await?;
    let (mut joined, mut echoed, mut items, mut streamed) = (false, false, 0u64, false);
    while !(joined && echoed && streamed) {
        for message in hubmsg::parse(&next_frame(&mut ws).await?)? {
            match message {
                HubMessage::Completion { id, result, error } => {
                    if let Some(error) = error {
                        return Err(format!("{id}: {error}").into());
                    }
                    match id.as_str() {
                        "j" => joined = true,
                        "e" if result == Some(json!("churn")) => echoed = true,
                        "s" if items == ITEMS => streamed = true,
                        _ => return Err(format!("completion {id}: {result:?}").into()),
                    }
                }
                HubMessage::StreamItem { item, .. } if item.as_u64() == Some(items) => items += 1,
                HubMessage::Invocation { .. } | HubMessage::Ping => {}
                other => return Err(format!("unexpected: {other:?}").into()),
            }
        }
    }
    if graceful {
        ws.close(None).await?;
        // The server's Close (then the end of the stream) completes the handshake.
        let wait = async { while next_frame(&mut ws).await.is_ok() {} };
        let _ = tokio::time::timeout(Duration::from_secs(5), wait).await;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The soak: connect, `ready`, wait for `go`, run, drain, `done`.

pub async fn soak(config: Config) {
    // `go` on stdin starts every load process at once; anything else (or EOF) ends the run.
    let go = async {
        let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        matches!(lines.next_line().await, Ok(Some(line)) if line.trim() == "go")
    };
    run_soak(config, go, emit).await;
}

/// The soak, started when `go` says so (`false`: not at all), its reports given to `out`.
async fn run_soak(config: Config, go: impl Future<Output = bool>, mut out: impl FnMut(Value)) {
    let deadline = Instant::now() + Duration::from_secs(config.max_seconds);
    let (phase_tx, phase_rx) = watch::channel(Phase::Connecting);
    let run = Arc::new(Run {
        config: config.clone(),
        phase: phase_rx,
        counters: Counters::new(),
        pending: AtomicU64::new(0),
        echo: std::sync::Mutex::new(new_histogram()),
        echo_window: std::sync::Mutex::new(new_histogram()),
        delivery: std::sync::Mutex::new(new_histogram()),
        send_lag: std::sync::Mutex::new(new_histogram()),
        first_error: std::sync::Mutex::new(None),
        permits: Semaphore::new(CONNECT_CONCURRENCY),
    });
    let started = Instant::now();
    let mut tasks: Vec<JoinHandle<()>> = (0..config.conns)
        .map(|i| tokio::spawn(steady_task(run.clone(), i)))
        .collect();
    tasks.extend((0..config.check.churn).map(|slot| tokio::spawn(churn_task(run.clone(), slot))));
    let counters = &run.counters;
    while counters.get(C::Connected) + counters.get(C::ConnectFailed) < config.conns as u64
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    out(json!({
        "event": "ready",
        "connected": counters.get(C::Connected),
        "failed": counters.get(C::ConnectFailed),
        "connect_seconds": started.elapsed().as_secs_f64(),
        "first_error": run.first_error(),
    }));
    if tokio::time::timeout_at(deadline.into(), go).await == Ok(true) {
        let _ = phase_tx.send(Phase::Running);
        let begin = Instant::now();
        let end = (begin + config.measure).min(deadline);
        let mut tick = begin;
        while Instant::now() < end {
            tick = (tick + run.settings().report_every).min(end);
            tokio::time::sleep_until(tick.into()).await;
            let window = std::mem::replace(&mut *lock(&run.echo_window), new_histogram());
            out(json!({
                "event": "tick",
                "t": begin.elapsed().as_secs_f64(),
                "counters": counters.json(),
                "echo_window_us": pairs(&window),
                "echo_window_p99_us": window.value_at_quantile(0.99),
            }));
        }
        let _ = phase_tx.send(Phase::Draining);
        let drained = Instant::now();
        // A few seconds for deliveries in flight from other processes (each stopped sending at
        // its own clock's end, a few milliseconds apart); then until every echo and stream is
        // answered, or the drain limit.
        while drained.elapsed() < DRAIN_AT_LEAST
            || (run.pending.load(Ordering::Relaxed) > 0
                && drained.elapsed() < run.settings().drain
                && Instant::now() < deadline)
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = phase_tx.send(Phase::Closing);
        let all = futures_util::future::join_all(tasks.iter_mut());
        let _ = tokio::time::timeout(Duration::from_secs(5), all).await;
        out(json!({
            "event": "done",
            "seconds": end.duration_since(begin).as_secs_f64(),
            "drain_seconds": drained.elapsed().as_secs_f64(),
            "counters": counters.json(),
            "echo_us": pairs(&lock(&run.echo)),
            "echo_latency_us": quantiles(&lock(&run.echo)),
            "delivery_us": pairs(&lock(&run.delivery)),
            "delivery_latency_us": quantiles(&lock(&run.delivery)),
            "send_lag_us": pairs(&lock(&run.send_lag)),
            "first_error": run.first_error(),
        }));
    }
    let _ = phase_tx.send(Phase::Closing);
    for task in tasks {
        task.abort();
    }
}

// ---------------------------------------------------------------------------------------------
// The slow-client regression cases.

/// What one client of a burst or a crowd saw.
#[derive(Default)]
struct Outcome {
    /// Messages received for the first time.
    received: u64,
    /// Numbers skipped (burst: where the order broke).
    gaps: u64,
    duplicated: u64,
    /// Ended by the server (or an error) before it was done.
    dropped: bool,
    /// It had everything it waits for.
    finished: bool,
    /// Seconds from the start until it had everything (or gave up).
    seconds: f64,
    error: Option<String>,
}

/// Connects `n` clients (protocol of each from `proto_of_client`) for one case.
async fn connect_all(
    config: &Config,
    n: usize,
    proto_of_client: impl Fn(usize) -> Proto,
) -> Result<Vec<(Proto, Ws)>, BoxError> {
    let permits = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (proto, permits) = (proto_of_client(i), permits.clone());
            let (server, path) = (config.server, config.path.clone());
            let source = crate::source_address(config, i);
            tokio::spawn(async move {
                let _permit = permits.acquire().await?;
                let ws =
                    tokio::time::timeout(CONNECT_TIMEOUT, open_ws(server, &path, proto, source))
                        .await
                        .map_err(|_| "connect: timed out")??;
                Ok::<_, BoxError>((proto, ws))
            })
        })
        .collect();
    let mut clients = Vec::with_capacity(n);
    for task in tasks {
        clients.push(task.await??);
    }
    Ok(clients)
}

/// Reads until `check` marks the outcome finished, checking each `ReceiveMessage(user,
/// message)` with it, or until nothing came for [`STALL`]; then proves the connection alive with
/// an Echo round trip. Pings keep the client from being dropped for silence while it waits.
async fn read_all(
    mut ws: Ws,
    proto: Proto,
    start: Instant,
    limit: Duration,
    mut check: impl FnMut(&str, &str, &mut Outcome),
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut stalled = None;
    let read = async {
        let mut last = Instant::now();
        let mut ping = tokio::time::interval_at(
            tokio::time::Instant::now() + SIGNALR_PING_EVERY,
            SIGNALR_PING_EVERY,
        );
        while !outcome.finished {
            tokio::select! {
                frame = next_frame(&mut ws) => {
                    last = Instant::now();
                    for message in hubmsg::parse(&frame?)? {
                        match message {
                            HubMessage::Invocation { arguments, .. } => {
                                let text = |i: usize| arguments.get(i).and_then(Value::as_str);
                                check(text(0).unwrap_or(""), text(1).unwrap_or(""), &mut outcome);
                            }
                            HubMessage::Close { error } => {
                                return Err(format!("closed by the server: {error:?}").into());
                            }
                            _ => {}
                        }
                    }
                }
                _ = ping.tick() => ws.send(ping_request(proto)).await?,
                () = tokio::time::sleep_until((last + STALL).into()) => {
                    stalled = Some(format!("nothing more arrived for {STALL:?}"));
                    break;
                }
            }
        }
        outcome.seconds = start.elapsed().as_secs_f64();
        let echo = hubmsg::invocation(proto, INVOCATION, Some("alive"), "Echo", &[Arg::Str("?")]);
        ws.send(echo).await?;
        loop {
            for message in hubmsg::parse(&next_frame(&mut ws).await?)? {
                if let HubMessage::Completion { id, .. } = message
                    && id == "alive"
                {
                    return Ok::<(), BoxError>(());
                }
            }
        }
    };
    match tokio::time::timeout(limit, read).await {
        Ok(Ok(())) => outcome.error = stalled,
        Ok(Err(err)) => {
            outcome.dropped = true;
            outcome.error = Some(err.to_string());
        }
        Err(_) => outcome.error = Some(format!("not done within {limit:?}")),
    }
    if outcome.seconds == 0.0 {
        outcome.seconds = start.elapsed().as_secs_f64();
    }
    outcome
}

/// The results of a case's clients together.
fn summary(outcomes: &[Outcome], expected_each: u64) -> Value {
    let complete = outcomes
        .iter()
        .filter(|o| o.received == expected_each && o.gaps == 0 && o.duplicated == 0)
        .count();
    let received: u64 = outcomes.iter().map(|o| o.received).sum();
    json!({
        "clients": outcomes.len(),
        "dropped": outcomes.iter().filter(|o| o.dropped).count(),
        // Still connected but never had everything (a message never came).
        "stalled": outcomes.iter().filter(|o| !o.dropped && !o.finished).count(),
        "complete": complete,
        "expected": expected_each * outcomes.len() as u64,
        "received": received,
        "lost": (expected_each * outcomes.len() as u64).saturating_sub(received),
        "gaps": outcomes.iter().map(|o| o.gaps).sum::<u64>(),
        "duplicated": outcomes.iter().map(|o| o.duplicated).sum::<u64>(),
        "seconds": outcomes.iter().map(|o| o.seconds).fold(0.0, f64::max),
        "first_error": outcomes.iter().find_map(|o| o.error.clone()),
    })
}

/// Runs a burst or a crowd case and prints `ready`, then `done` with its summary.
pub async fn regression(config: Config) {
    let result = match config.mode {
        Mode::Burst => burst(&config, emit).await,
        _ => crowd(&config, emit).await,
    };
    match result {
        Ok(done) => emit(done),
        Err(err) => emit(json!({"event": "done", "error": err.to_string()})),
    }
}

/// The burst case; `ready` hears when every client is connected.
async fn burst(config: &Config, ready: impl FnOnce(Value)) -> Result<Value, BoxError> {
    let count = config.check.burst;
    // The sender speaks `--proto`; the bystanders JSON and MessagePack in turn.
    let clients = connect_all(config, config.conns.max(2), |i| match i {
        0 => config.proto,
        i if i % 2 == 1 => Proto::SignalR,
        _ => Proto::SignalRMessagePack,
    })
    .await?;
    ready(json!({"event": "ready", "connected": clients.len()}));
    let mut records = Vec::new();
    for n in 0..count {
        let n = n.to_string();
        // No user name: the smallest invocation, as many as fit in the WebSocket limit.
        let args = [Arg::Str(""), Arg::Str(&n)];
        records.extend(hubmsg::record(
            config.proto,
            INVOCATION,
            None,
            "SendMessage",
            &args,
        ));
    }
    let bytes = records.len();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (i, (proto, mut ws)) in clients.into_iter().enumerate() {
        if i == 0 {
            ws.send(hubmsg::message(proto, std::mem::take(&mut records)))
                .await?;
        }
        let limit = config.measure;
        let mut next = 0u64;
        tasks.push(tokio::spawn(read_all(
            ws,
            proto,
            start,
            limit,
            move |user, message, outcome| {
                match message.parse::<u64>() {
                    Ok(n) if user.is_empty() && n >= next => {
                        outcome.gaps += n - next;
                        outcome.received += 1;
                        next = n + 1;
                    }
                    Ok(_) if user.is_empty() => outcome.duplicated += 1,
                    _ => {}
                }
                // The last number ends the reading even when numbers before it went missing.
                outcome.finished = next == count as u64;
            },
        )));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await?);
    }
    let mut done = summary(&outcomes, count as u64);
    done["event"] = "done".into();
    done["invocations"] = count.into();
    done["bytes"] = bytes.into();
    done["proto"] = proto_name(config.proto).into();
    done["in_order"] = outcomes
        .iter()
        .all(|o| o.gaps == 0 && o.duplicated == 0)
        .into();
    Ok(done)
}

/// The crowd case; `ready` hears when every client is connected.
async fn crowd(config: &Config, ready: impl FnOnce(Value)) -> Result<Value, BoxError> {
    let n = config.conns;
    let clients = connect_all(config, n, |_| config.proto).await?;
    ready(json!({"event": "ready", "connected": clients.len()}));
    let (go_tx, go_rx) = watch::channel(false);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (i, (proto, mut ws)) in clients.into_iter().enumerate() {
        let mut go = go_rx.clone();
        let limit = config.measure;
        tasks.push(tokio::spawn(async move {
            // Every client sends in the same turn of the runtime, once all have their task.
            let sent = async {
                go.wait_for(|go| *go).await?;
                let (user, text) = (format!("c{i}"), i.to_string());
                let args = [Arg::Str(&user), Arg::Str(&text)];
                let request = hubmsg::invocation(proto, INVOCATION, None, "SendMessage", &args);
                ws.send(request).await?;
                Ok::<(), BoxError>(())
            };
            if let Err(err) = sent.await {
                return Outcome {
                    dropped: true,
                    error: Some(err.to_string()),
                    ..Outcome::default()
                };
            }
            let mut seen = vec![false; n];
            read_all(
                ws,
                proto,
                start,
                limit,
                move |user, _, outcome| match numbered(user, 'c')
                    .and_then(|s| seen.get_mut(s as usize))
                {
                    Some(seen) if *seen => outcome.duplicated += 1,
                    Some(seen) => {
                        *seen = true;
                        outcome.received += 1;
                        outcome.finished = outcome.received == n as u64;
                    }
                    None => {}
                },
            )
            .await
        }));
    }
    tokio::task::yield_now().await;
    let _ = go_tx.send(true);
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await?);
    }
    let mut done = summary(&outcomes, n as u64);
    done["event"] = "done".into();
    done["proto"] = proto_name(config.proto).into();
    Ok(done)
}

fn proto_name(proto: Proto) -> &'static str {
    match proto {
        Proto::SignalRMessagePack => "messagepack",
        _ => "json",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_server::start_server;

    /// A configuration of a checking mode against `server`.
    fn config(server: std::net::SocketAddr, mode: Mode, conns: usize) -> Config {
        Config {
            proto: Proto::SignalR,
            transport: None,
            mode,
            echo_target: "Echo".into(),
            server,
            servers: vec![server],
            path: "/hubs/chat".into(),
            conns,
            src_offset: 0,
            src_count: 8,
            payload: 32,
            warmup: Duration::ZERO,
            measure: Duration::from_secs(30),
            rate: 1.0,
            window: 1,
            group_size: 10,
            max_seconds: 60,
            check: Settings {
                total: conns,
                ..Settings::default()
            },
        }
    }

    /// A short soak at high rates: every kind of traffic, churn, both protocols; nothing lost,
    /// duplicated or unexpected.
    #[tokio::test]
    async fn a_short_soak_loses_nothing() {
        let server = start_server();
        let mut config = config(server.addr, Mode::Soak, 40);
        config.measure = Duration::from_secs(3);
        config.check = Settings {
            total: 40,
            broadcasters: 2,
            echo_every: Duration::from_millis(100),
            broadcast_every: Duration::from_millis(100),
            group_every: Duration::from_millis(200),
            stream_every: Duration::from_millis(500),
            churn: 2,
            churn_every: Duration::from_millis(100),
            report_every: Duration::from_secs(1),
            ..Settings::default()
        };
        let mut lines = Vec::new();
        run_soak(config, async { true }, |line| lines.push(line)).await;
        let done = lines.last().expect("lines");
        assert_eq!(done["event"], "done", "{lines:?}");
        let ticks = lines.iter().filter(|l| l["event"] == "tick").count();
        assert_eq!(ticks, 3);
        let counters = &done["counters"];
        let n = |name: &str| counters[name].as_u64().unwrap();
        assert_eq!(n("connected"), 40);
        assert!(n("echo_sent") >= 40 * 20, "{counters}");
        assert_eq!(n("echo_completed"), n("echo_sent"));
        assert_eq!(n("broadcast_received"), n("broadcast_sent") * 40);
        assert_eq!(n("group_received"), n("group_sent") * 10);
        assert_eq!(n("stream_items"), n("streams_started") * 20);
        assert_eq!(n("streams_completed"), n("streams_started"));
        assert!(n("churn_cycles") > 0);
        for name in COUNTERS {
            let must_be_zero = [
                "lost",
                "duplicated",
                "gaps",
                "wrong",
                "failed",
                "unfinished",
            ]
            .iter()
            .any(|bad| name.contains(bad))
                || [
                    "disconnected",
                    "unexpected",
                    "churn_errors",
                    "connect_failed",
                ]
                .contains(&name);
            if must_be_zero {
                assert_eq!(n(name), 0, "{name}: {done}");
            }
        }
        assert!(done["echo_latency_us"]["p99"].as_u64().is_some());
    }

    #[tokio::test]
    async fn a_burst_reaches_everyone_in_order() {
        let server = start_server();
        for proto in [Proto::SignalR, Proto::SignalRMessagePack] {
            let mut config = config(server.addr, Mode::Burst, 5);
            config.proto = proto;
            config.check.burst = 1_100;
            let done = burst(&config, drop).await.unwrap();
            assert_eq!(done["dropped"], 0, "{done}");
            assert_eq!(done["complete"], 5, "{done}");
            assert_eq!(done["received"], 5 * 1_100, "{done}");
            assert_eq!(done["in_order"], true, "{done}");
            assert!(done["bytes"].as_u64().unwrap() < 64 << 10, "{done}");
        }
    }

    #[tokio::test]
    async fn a_crowd_reaches_everyone_once() {
        let server = start_server();
        let config = config(server.addr, Mode::Crowd, 100);
        let done = crowd(&config, drop).await.unwrap();
        assert_eq!(done["dropped"], 0, "{done}");
        assert_eq!(done["complete"], 100, "{done}");
        assert_eq!(done["received"], 100 * 100, "{done}");
        assert_eq!(done["duplicated"], 0, "{done}");
    }

    #[test]
    fn stamps_round_trip() {
        let text = stamped(42);
        let (n, ns) = parse_stamped(&text).unwrap();
        assert_eq!(n, 42);
        assert!(ns > 0 && ns <= now_ns());
        assert_eq!(parse_stamped("x@1"), None);
        assert_eq!(numbered("e17", 'e'), Some(17));
        assert_eq!(numbered("s17", 'e'), None);
    }

    #[test]
    fn schedules_spread_and_move_on() {
        let settings = Settings {
            broadcasters: 1,
            ..Settings::default()
        };
        let start = Instant::now();
        let mut schedule = Schedule::new(&settings, 0, start);
        assert_eq!(schedule.due.len(), 4, "connection 0 broadcasts too");
        assert_eq!(Schedule::new(&settings, 1, start).due.len(), 3);
        let first = schedule.next().unwrap();
        assert!(first >= start && first < start + settings.echo_every.max(settings.stream_every));
        // Everything is due a period later; each kind once, then a period on.
        let later = start + Duration::from_secs(60);
        assert_eq!(schedule.take_due(later).len(), 4);
        assert!(schedule.next().unwrap() > later);
        assert!(schedule.take_due(later).is_empty());
        // Phases spread over [0, 1).
        let phases: Vec<f64> = (0..1000).map(|g| phase_of(g, 0)).collect();
        assert!(phases.iter().all(|p| (0.0..1.0).contains(p)));
        let below_half = phases.iter().filter(|&&p| p < 0.5).count();
        assert!((400..600).contains(&below_half), "{below_half}");
    }

    #[test]
    fn protocols_in_turn() {
        let settings = Settings::default();
        let msgpack = (0..8)
            .filter(|&g| proto_of(&settings, g) == Proto::SignalRMessagePack)
            .count();
        assert_eq!(msgpack, 2);
    }
}
