//! The dashboard example: live metrics by topic at `/hubs/metrics`, pushed by a background
//! producer through `HubContext`, with alerts that one on-call client confirms (a client
//! result), and the web page (`web/`, written against the generated TypeScript client) that the
//! binary serves at `/`.
//!
//! - Topics are groups: `Subscribe(topic)` joins `topic:<name>`, and the producer pushes each
//!   topic's `MetricUpdate`s to its group only.
//! - "N watching": the producer asks presence (`group_size`) and tells every client when a
//!   topic's count changes.
//! - `History(topic, count)` streams the last points of a topic.
//! - An alert (a value above its topic's threshold, or `RaiseAlert` by hand) is first offered to
//!   the on-call client (`ConfirmAlert`, a client result), then sent to everybody;
//!   `Acknowledge(alertId)` tells the others.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use futures_util::{Stream, stream};
use hub_runtime::prelude::*;
use hub_runtime::{Hub, Timestamp};
use schemars::JsonSchema;
use serde::Serialize;

/// What the dashboard hub calls on its clients.
#[hub_runtime::client]
pub trait DashboardClient {
    /// A new value of a topic the client subscribed to.
    async fn metric_update(&self, update: MetricUpdate);
    /// How many connections watch `topic` now.
    async fn watchers_changed(&self, topic: String, watching: u32);
    /// An alert, after the on-call client (if any) answered whether it takes it.
    async fn alert_raised(&self, alert: Alert);
    /// Another client acknowledged an alert.
    async fn alert_acknowledged(&self, alert_id: String, by: String);
    /// Asks the on-call client whether it takes an alert: a client result.
    async fn confirm_alert(&self, alert: Alert) -> bool;
}

/// One value of a topic.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricUpdate {
    /// The topic, e.g. `cpu`.
    pub topic: String,
    /// The value, in the topic's unit.
    pub value: f64,
    /// When it was measured.
    pub at: Timestamp<SystemTime>,
}

/// A topic clients may subscribe to.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopicInfo {
    /// Its name, the argument of `Subscribe`.
    pub name: String,
    /// The unit of its values.
    pub unit: String,
    /// Values above this raise an alert.
    pub alert_above: f64,
    /// How many connections subscribed to it.
    pub watching: u32,
}

/// An alert on a topic.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Its id, the argument of `Acknowledge`.
    pub id: String,
    /// The topic it is about.
    pub topic: String,
    /// What happened.
    pub message: String,
    /// The value that raised it.
    pub value: f64,
    /// When it was raised.
    pub raised_at: Timestamp<SystemTime>,
    /// The connection that was on call and took it, if one did.
    pub taken_by: Option<String>,
}

/// A simulated metric.
#[derive(Debug, Clone, Copy)]
struct TopicSpec {
    name: &'static str,
    unit: &'static str,
    /// The value it drifts around.
    base: f64,
    /// How far one step may move it.
    step: f64,
    /// How often (per tick) it spikes.
    spike_chance: f64,
    alert_above: f64,
    min: f64,
    max: f64,
}

const TOPICS: &[TopicSpec] = &[
    TopicSpec {
        name: "cpu",
        unit: "%",
        base: 35.0,
        step: 6.0,
        spike_chance: 0.002,
        alert_above: 95.0,
        min: 0.0,
        max: 100.0,
    },
    TopicSpec {
        name: "memory",
        unit: "MiB",
        base: 2048.0,
        step: 40.0,
        spike_chance: 0.0,
        alert_above: 4000.0,
        min: 0.0,
        max: 4096.0,
    },
    TopicSpec {
        name: "requests",
        unit: "req/s",
        base: 120.0,
        step: 15.0,
        spike_chance: 0.002,
        alert_above: 400.0,
        min: 0.0,
        max: 1000.0,
    },
    TopicSpec {
        name: "latency",
        unit: "ms",
        base: 45.0,
        step: 5.0,
        spike_chance: 0.003,
        alert_above: 250.0,
        min: 1.0,
        max: 2000.0,
    },
];

/// How often the producer measures every topic.
pub const TICK: Duration = Duration::from_millis(500);
/// How many points of each topic are kept for `History`.
pub const HISTORY_CAPACITY: usize = 600;
/// How many points of each topic exist when the server starts (simulated past).
const BACKFILL: usize = 120;
/// How many alerts are kept for `Acknowledge`.
const ALERTS_KEPT: usize = 100;
/// The least time between two automatic alerts of one topic.
const ALERT_COOLDOWN: Duration = Duration::from_secs(60);

/// The group of a topic's subscribers.
fn group_of(topic: &str) -> String {
    format!("topic:{topic}")
}

fn spec(topic: &str) -> Result<&'static TopicSpec, HubError> {
    TOPICS
        .iter()
        .find(|spec| spec.name == topic)
        .ok_or_else(|| {
            let known: Vec<&str> = TOPICS.iter().map(|spec| spec.name).collect();
            HubError::new(format!(
                "Unknown topic '{topic}'; the topics are {}.",
                known.join(", ")
            ))
        })
}

/// What the hub and the producer share: the points of every topic, the alerts, who is on call.
pub struct Dashboard {
    history: Mutex<HashMap<&'static str, VecDeque<MetricUpdate>>>,
    alerts: Mutex<VecDeque<AlertState>>,
    next_alert: AtomicU64,
    on_call: Mutex<Option<String>>,
    /// The watcher counts last told to clients. Held while presence is asked and clients are
    /// told, so that counts go out in the order they were read: without it, a count read earlier
    /// could be told after a newer one and stay on the pages until the watchers change again.
    watching: tokio::sync::Mutex<HashMap<&'static str, u32>>,
    random: Mutex<Random>,
}

struct AlertState {
    alert: Alert,
    acknowledged: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Dashboard {
    /// A dashboard whose topics already have [`BACKFILL`] points of simulated past.
    pub fn new() -> Self {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |since| since.as_nanos() as u64);
        let dashboard = Dashboard {
            history: Mutex::default(),
            alerts: Mutex::default(),
            next_alert: AtomicU64::new(1),
            on_call: Mutex::default(),
            watching: tokio::sync::Mutex::default(),
            random: Mutex::new(Random(seed | 1)),
        };
        let now = SystemTime::now();
        for spec in TOPICS {
            let mut value = spec.base;
            let mut points = VecDeque::with_capacity(HISTORY_CAPACITY);
            for age in (1..=BACKFILL).rev() {
                value = dashboard.next_value(spec, value, false);
                points.push_back(MetricUpdate {
                    topic: spec.name.to_owned(),
                    value,
                    at: Timestamp(now - TICK * age as u32),
                });
            }
            lock(&dashboard.history).insert(spec.name, points);
        }
        dashboard
    }

    /// The next simulated value: drifts back towards the base, sometimes spikes.
    fn next_value(&self, spec: &TopicSpec, value: f64, spikes: bool) -> f64 {
        let mut random = lock(&self.random);
        let noise = random.unit() * 2.0 - 1.0;
        let mut next = value + (spec.base - value) * 0.15 + noise * spec.step;
        if spikes && random.unit() < spec.spike_chance {
            next = spec.alert_above * (1.05 + random.unit() * 0.2);
        }
        (next.clamp(spec.min, spec.max) * 100.0).round() / 100.0
    }

    fn last_value(&self, topic: &str) -> Option<f64> {
        lock(&self.history)
            .get(topic)
            .and_then(|points| points.back())
            .map(|point| point.value)
    }

    fn record(&self, update: MetricUpdate) {
        let mut history = lock(&self.history);
        if let Some(points) = TOPICS
            .iter()
            .find(|spec| spec.name == update.topic)
            .and_then(|spec| history.get_mut(spec.name))
        {
            if points.len() == HISTORY_CAPACITY {
                points.pop_front();
            }
            points.push_back(update);
        }
    }

    fn last_points(&self, topic: &str, count: usize) -> Vec<MetricUpdate> {
        let history = lock(&self.history);
        let Some(points) = history.get(topic) else {
            return Vec::new();
        };
        points
            .iter()
            .skip(points.len().saturating_sub(count))
            .cloned()
            .collect()
    }

    fn new_alert(&self, topic: &str, message: String, value: f64) -> Alert {
        let id = format!("A-{}", self.next_alert.fetch_add(1, Ordering::Relaxed));
        let alert = Alert {
            id,
            topic: topic.to_owned(),
            message,
            value,
            raised_at: Timestamp(SystemTime::now()),
            taken_by: None,
        };
        let mut alerts = lock(&self.alerts);
        if alerts.len() == ALERTS_KEPT {
            alerts.pop_front();
        }
        alerts.push_back(AlertState {
            alert: alert.clone(),
            acknowledged: false,
        });
        alert
    }

    fn taken(&self, id: &str, by: &str) {
        if let Some(state) = lock(&self.alerts).iter_mut().find(|s| s.alert.id == id) {
            state.alert.taken_by = Some(by.to_owned());
        }
    }

    /// Marks an alert acknowledged; false when it was already.
    fn acknowledge(&self, id: &str) -> Result<bool, HubError> {
        let mut alerts = lock(&self.alerts);
        let state = alerts
            .iter_mut()
            .find(|state| state.alert.id == id)
            .ok_or_else(|| HubError::new(format!("Unknown alert '{id}'.")))?;
        Ok(!std::mem::replace(&mut state.acknowledged, true))
    }

    fn on_call(&self) -> Option<String> {
        lock(&self.on_call).clone()
    }
}

impl Default for Dashboard {
    fn default() -> Self {
        Self::new()
    }
}

/// A small xorshift generator: the simulation needs no better.
struct Random(u64);

impl Random {
    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The clients of the metrics hub, as hub methods and the producer reach them.
type Clients = HubClients<<MetricsHub as Hub>::Client>;

/// The metrics hub.
pub struct MetricsHub {
    dashboard: Arc<Dashboard>,
}

impl MetricsHub {
    /// A hub over `dashboard`, which the producer shares.
    pub fn new(dashboard: Arc<Dashboard>) -> Self {
        MetricsHub { dashboard }
    }
}

#[hub_runtime::hub(client = DashboardClient)]
impl MetricsHub {
    /// The topics, with how many connections watch each.
    pub async fn topics(&self, ctx: &Ctx<Self>) -> Result<Vec<TopicInfo>, HubError> {
        let mut topics = Vec::with_capacity(TOPICS.len());
        for spec in TOPICS {
            let watching = ctx.presence().group_size(group_of(spec.name)).await?;
            topics.push(TopicInfo {
                name: spec.name.to_owned(),
                unit: spec.unit.to_owned(),
                alert_above: spec.alert_above,
                watching: u32::try_from(watching).unwrap_or(u32::MAX),
            });
        }
        Ok(topics)
    }

    /// Subscribes the caller to a topic's updates; returns how many watch it now.
    pub async fn subscribe(&self, ctx: &Ctx<Self>, topic: String) -> Result<u32, HubError> {
        let spec = spec(&topic)?;
        ctx.groups()
            .add_to_group(ctx.connection_id(), group_of(spec.name))
            .await?;
        Ok(tell_watching(
            &self.dashboard,
            &ctx.clients().hub_clients(),
            ctx.presence(),
            spec,
        )
        .await?)
    }

    /// Stops the caller's updates of a topic; returns how many watch it now.
    pub async fn unsubscribe(&self, ctx: &Ctx<Self>, topic: String) -> Result<u32, HubError> {
        let spec = spec(&topic)?;
        ctx.groups()
            .remove_from_group(ctx.connection_id(), group_of(spec.name))
            .await?;
        Ok(tell_watching(
            &self.dashboard,
            &ctx.clients().hub_clients(),
            ctx.presence(),
            spec,
        )
        .await?)
    }

    /// The last `count` points of a topic (fewer when it has fewer), oldest first.
    pub fn history(
        &self,
        topic: String,
        count: u32,
    ) -> Result<impl Stream<Item = MetricUpdate> + use<>, HubError> {
        let spec = spec(&topic)?;
        let points = self.dashboard.last_points(spec.name, count as usize);
        Ok(stream::iter(points))
    }

    /// Acknowledges an alert: the other clients are told.
    pub async fn acknowledge(&self, ctx: &Ctx<Self>, alert_id: String) -> Result<(), HubError> {
        if self.dashboard.acknowledge(&alert_id)? {
            ctx.clients()
                .others()
                .alert_acknowledged(alert_id, ctx.connection_id().to_string())
                .await;
        }
        Ok(())
    }

    /// Puts the caller on call (or off): alerts are offered to the client on call first. The
    /// last one to go on call is.
    pub fn set_on_call(&self, ctx: &Ctx<Self>, on_call: bool) {
        let mut current = lock(&self.dashboard.on_call);
        let me = ctx.connection_id().to_string();
        if on_call {
            *current = Some(me);
        } else if current.as_deref() == Some(me.as_str()) {
            *current = None;
        }
    }

    /// Raises an alert on a topic by hand (a drill): it is offered to the client on call, then
    /// sent to everybody. Returns it as raised.
    pub fn raise_alert(
        &self,
        ctx: &Ctx<Self>,
        topic: String,
        message: String,
    ) -> Result<Alert, HubError> {
        let spec = spec(&topic)?;
        let value = self.dashboard.last_value(spec.name).unwrap_or(spec.base);
        let alert = self.dashboard.new_alert(spec.name, message, value);
        tokio::spawn(offer_alert(
            self.dashboard.clone(),
            ctx.clients().hub_clients(),
            alert.clone(),
        ));
        Ok(alert)
    }

    async fn on_disconnected(&self, ctx: &Ctx<Self>, _error: Option<HubError>) {
        let mut on_call = lock(&self.dashboard.on_call);
        if on_call.as_deref() == Some(ctx.connection_id().as_str()) {
            *on_call = None;
        }
    }
}

/// Asks presence how many watch a topic, and tells every client when that changed. One call at
/// a time, so the last count told is the last one read.
async fn tell_watching(
    dashboard: &Dashboard,
    clients: &Clients,
    presence: Presence,
    spec: &'static TopicSpec,
) -> Result<u32, hub_runtime::lifetime::LifetimeError> {
    let mut told = dashboard.watching.lock().await;
    let size = presence.group_size(group_of(spec.name)).await?;
    let watching = u32::try_from(size).unwrap_or(u32::MAX);
    if told.insert(spec.name, watching) != Some(watching) {
        clients
            .all()
            .watchers_changed(spec.name.to_owned(), watching)
            .await;
    }
    Ok(watching)
}

/// Offers an alert to the client on call (a client result), then sends it to everybody.
async fn offer_alert(dashboard: Arc<Dashboard>, clients: Clients, mut alert: Alert) {
    if let Some(on_call) = dashboard.on_call() {
        match clients.client(&on_call).confirm_alert(alert.clone()).await {
            Ok(true) => {
                dashboard.taken(&alert.id, &on_call);
                alert.taken_by = Some(on_call);
            }
            Ok(false) => {}
            Err(error) => {
                tracing::info!(alert = %alert.id, %error, "the on-call client did not answer")
            }
        }
    }
    clients.all().alert_raised(alert).await;
}

/// Measures every topic each [`TICK`], pushes the values to the topics' groups, tells clients
/// when a topic's watchers change (a connection that went away leaves its groups), and raises
/// an alert when a value crosses its topic's threshold. Runs until the runtime stops.
pub async fn produce(dashboard: Arc<Dashboard>, context: HubContext<MetricsHub>) {
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_alert: HashMap<&'static str, tokio::time::Instant> = HashMap::new();
    let clients = context.clients();
    loop {
        ticks.tick().await;
        let now = SystemTime::now();
        for spec in TOPICS {
            let previous = dashboard.last_value(spec.name).unwrap_or(spec.base);
            let value = dashboard.next_value(spec, previous, true);
            let update = MetricUpdate {
                topic: spec.name.to_owned(),
                value,
                at: Timestamp(now),
            };
            dashboard.record(update.clone());
            clients
                .group(group_of(spec.name))
                .metric_update(update)
                .await;
            if let Err(error) = tell_watching(&dashboard, &clients, context.presence(), spec).await
            {
                tracing::warn!(%error, "presence is not answering");
            }
            let cooled = last_alert
                .get(spec.name)
                .is_none_or(|at| at.elapsed() >= ALERT_COOLDOWN);
            if value > spec.alert_above && cooled {
                last_alert.insert(spec.name, tokio::time::Instant::now());
                let message = format!(
                    "{} is {value} {}, above {} {}",
                    spec.name, spec.unit, spec.alert_above, spec.unit
                );
                let alert = dashboard.new_alert(spec.name, message, value);
                tokio::spawn(offer_alert(dashboard.clone(), clients.clone(), alert));
            }
        }
    }
}

/// The page, and its script: `web/dist/dashboard.js`, bundled from `web/src` by `npm run build`
/// in `web/` and committed, so that building the server needs no Node.js.
const INDEX_HTML: &str = include_str!("../web/index.html");
const DASHBOARD_JS: &str = include_str!("../web/dist/dashboard.js");

async fn index() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INDEX_HTML,
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        DASHBOARD_JS,
    )
}

/// The metrics hub at `/hubs/metrics` with `options`, serving its manifest and the hub explorer.
pub fn hub(dashboard: Arc<Dashboard>, options: HubOptions) -> HubRouter<MetricsHub> {
    HubRouter::new("/hubs/metrics", MetricsHub::new(dashboard))
        .options(options)
        .serve_manifest()
        .serve_explorer()
}

/// The page at `/` (and its script at `/dashboard.js`) and the hub.
pub fn app(hub: HubRouter<MetricsHub>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/dashboard.js", get(script))
        .merge(hub)
}
