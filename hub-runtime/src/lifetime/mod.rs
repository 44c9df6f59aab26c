//! Who is connected, in which groups, as which user; and delivery of one frame to a target.
//!
//! This is the in-memory lifetime manager. Delivery only queues frames (never waits), so a
//! broadcast costs one reference-count increment and one queue push per recipient.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use tokio::sync::Notify;

use crate::connection::{CloseReason, ConnectionHandle, EncodedMessage, Frame};
use crate::options::HubOptions;
use crate::protocol::Protocol;

/// Whom a message is for.
#[derive(Clone, Debug)]
pub(crate) enum Target {
    All,
    AllExcept(Vec<Box<str>>),
    Connection(Box<str>),
    Connections(Vec<Box<str>>),
    Group(Box<str>),
    Groups(Vec<Box<str>>),
    GroupExcept(Box<str>, Vec<Box<str>>),
    User(Box<str>),
    Users(Vec<Box<str>>),
}

/// The registry of one hub's connections.
pub(crate) struct Lifetime {
    connections: DashMap<Arc<str>, Arc<ConnectionHandle>>,
    groups: DashMap<Arc<str>, HashSet<Arc<str>>>,
    users: DashMap<Arc<str>, Vec<Arc<str>>>,
    epoch: Instant,
    shutting_down: AtomicBool,
    /// Connection tasks still running (handshaking, connected, or running `on_disconnected`).
    live_tasks: AtomicUsize,
    drained: Notify,
    heartbeat_started: AtomicBool,
    /// How long `shutdown` waits for connection tasks, in milliseconds.
    shutdown_timeout_ms: AtomicU64,
    /// How long a client result is awaited, in milliseconds.
    client_result_timeout_ms: AtomicU64,
    /// Ids of the invocations the server sends for client results.
    next_invocation_id: AtomicU64,
    /// `now_ms` as of the heartbeat's last tick: a clock read per message would cost more than
    /// the activity stamps it feeds need.
    coarse_now_ms: AtomicU64,
    /// Connections per protocol: a broadcast encodes only for protocols someone speaks.
    protocol_counts: [AtomicUsize; 2],
}

impl Default for Lifetime {
    fn default() -> Self {
        Lifetime {
            connections: DashMap::new(),
            groups: DashMap::new(),
            users: DashMap::new(),
            epoch: Instant::now(),
            shutting_down: AtomicBool::new(false),
            live_tasks: AtomicUsize::new(0),
            drained: Notify::new(),
            heartbeat_started: AtomicBool::new(false),
            shutdown_timeout_ms: AtomicU64::new(5_000),
            client_result_timeout_ms: AtomicU64::new(30_000),
            next_invocation_id: AtomicU64::new(1),
            protocol_counts: [AtomicUsize::new(0), AtomicUsize::new(0)],
            coarse_now_ms: AtomicU64::new(0),
        }
    }
}

impl Lifetime {
    /// Milliseconds since this hub started: the clock of the keep-alive and timeout checks.
    pub(crate) fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// The hub clock as of the last heartbeat tick (at most one tick behind `now_ms`).
    pub(crate) fn coarse_now_ms(&self) -> u64 {
        self.coarse_now_ms.load(Ordering::Relaxed)
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// Adds a connection that completed its handshake.
    pub(crate) fn add(&self, handle: &Arc<ConnectionHandle>) {
        self.protocol_count(handle.protocol)
            .fetch_add(1, Ordering::AcqRel);
        self.connections
            .insert(handle.id.shared().clone(), handle.clone());
        if let Some(user) = &handle.user {
            self.users
                .entry(user.clone())
                .or_default()
                .push(handle.id.shared().clone());
        }
        // A shutdown that began while this connection was handshaking did not see it.
        if self.is_shutting_down() {
            handle.close(CloseReason::Shutdown);
        }
    }

    /// Removes a connection from everything: the connection list, its groups and its user.
    pub(crate) fn remove(&self, handle: &ConnectionHandle) {
        handle.outbound.close();
        if self.connections.remove(handle.id.as_str()).is_some() {
            self.protocol_count(handle.protocol)
                .fetch_sub(1, Ordering::AcqRel);
        }
        handle.fail_results();
        let names = {
            let mut membership = handle.groups.lock().unwrap_or_else(|e| e.into_inner());
            membership.removed = true;
            std::mem::take(&mut membership.names)
        };
        for name in names {
            self.remove_from_group_map(&name, handle.id.as_str());
        }
        if let Some(user) = &handle.user {
            self.users.remove_if_mut(user, |_, ids| {
                ids.retain(|id| **id != *handle.id.as_str());
                ids.is_empty()
            });
        }
    }

    fn protocol_count(&self, protocol: Protocol) -> &AtomicUsize {
        match protocol {
            Protocol::Json => &self.protocol_counts[0],
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => &self.protocol_counts[1],
        }
    }

    /// The protocols a message for `target` must be encoded in.
    pub(crate) fn protocols_for(&self, target: &Target) -> Vec<Protocol> {
        if let Target::Connection(id) = target {
            return self
                .connections
                .get(&**id)
                .map(|handle| vec![handle.protocol])
                .unwrap_or_default();
        }
        Protocol::ALL
            .iter()
            .copied()
            .filter(|&protocol| self.protocol_count(protocol).load(Ordering::Acquire) > 0)
            .collect()
    }

    pub(crate) fn connection(&self, id: &str) -> Option<Arc<ConnectionHandle>> {
        self.connections.get(id).map(|entry| entry.value().clone())
    }

    pub(crate) fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// Adds a connection to a group; unknown connections are ignored, as in ASP.NET Core.
    pub(crate) fn add_to_group(&self, connection_id: &str, group: &str) {
        let Some(handle) = self.connection(connection_id) else {
            return;
        };
        let mut membership = handle.groups.lock().unwrap_or_else(|e| e.into_inner());
        if membership.removed || membership.names.iter().any(|name| **name == *group) {
            return;
        }
        let name: Arc<str> = group.into();
        membership.names.push(name.clone());
        self.groups
            .entry(name)
            .or_default()
            .insert(handle.id.shared().clone());
    }

    /// Removes a connection from a group; unknown connections and groups are ignored.
    pub(crate) fn remove_from_group(&self, connection_id: &str, group: &str) {
        let Some(handle) = self.connection(connection_id) else {
            return;
        };
        let mut membership = handle.groups.lock().unwrap_or_else(|e| e.into_inner());
        let before = membership.names.len();
        membership.names.retain(|name| **name != *group);
        if membership.names.len() != before {
            self.remove_from_group_map(group, connection_id);
        }
    }

    fn remove_from_group_map(&self, group: &str, connection_id: &str) {
        self.groups.remove_if_mut(group, |_, members| {
            members.remove(connection_id);
            members.is_empty()
        });
    }

    /// Queues `message` for every connection `target` names, each in its protocol. Never waits.
    pub(crate) fn deliver(&self, target: &Target, message: &EncodedMessage) {
        let push = |handle: &ConnectionHandle| {
            if let Some(frame) = message.get(handle.protocol) {
                handle.push(frame.clone());
            }
        };
        let to = |id: &str| {
            if let Some(handle) = self.connections.get(id) {
                push(&handle);
            }
        };
        let excluded = |id: &str, except: &[Box<str>]| except.iter().any(|e| **e == *id);
        match target {
            Target::All => {
                for entry in &self.connections {
                    push(&entry);
                }
            }
            Target::AllExcept(except) => {
                for entry in &self.connections {
                    if !excluded(entry.key(), except) {
                        push(&entry);
                    }
                }
            }
            Target::Connection(id) => to(id),
            Target::Connections(ids) => dedup(ids.iter().map(|id| &**id), to),
            Target::Group(name) => self.for_group(name, &[], to),
            Target::GroupExcept(name, except) => self.for_group(name, except, to),
            Target::Groups(names) => {
                let mut members: Vec<Arc<str>> = Vec::new();
                for name in names {
                    if let Some(group) = self.groups.get(&**name) {
                        members.extend(group.iter().cloned());
                    }
                }
                dedup(members.iter().map(|id| &**id), to);
            }
            Target::User(user) => self.for_users(std::slice::from_ref(user), to),
            Target::Users(users) => self.for_users(users, to),
        }
    }

    fn for_group(&self, name: &str, except: &[Box<str>], to: impl Fn(&str)) {
        if let Some(group) = self.groups.get(name) {
            for id in group.iter() {
                if !except.iter().any(|e| **e == **id) {
                    to(id);
                }
            }
        }
    }

    fn for_users(&self, users: &[Box<str>], to: impl Fn(&str)) {
        let mut ids: Vec<Arc<str>> = Vec::new();
        for user in users {
            if let Some(connections) = self.users.get(&**user) {
                ids.extend(connections.iter().cloned());
            }
        }
        dedup(ids.iter().map(|id| &**id), to);
    }

    /// Counts a connection task in; the guard counts it out when dropped.
    pub(crate) fn task_started(self: &Arc<Self>) -> LiveTask {
        self.live_tasks.fetch_add(1, Ordering::AcqRel);
        LiveTask(self.clone())
    }

    /// Starts the once-per-hub task that sends keep-alive pings and ends silent connections.
    pub(crate) fn ensure_heartbeat(
        self: &Arc<Self>,
        keep_alive: Duration,
        client_timeout: Duration,
    ) {
        if self.heartbeat_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let tick = (keep_alive.min(client_timeout) / 4)
            .clamp(Duration::from_millis(10), Duration::from_secs(1));
        tokio::spawn(heartbeat(
            Arc::downgrade(self),
            tick,
            keep_alive.as_millis() as u64,
            client_timeout.as_millis() as u64,
        ));
    }

    /// Takes the settings the lifetime manager needs from the hub's options.
    pub(crate) fn configure(&self, options: &HubOptions) {
        self.shutdown_timeout_ms.store(
            options.shutdown_timeout.as_millis() as u64,
            Ordering::Relaxed,
        );
        self.client_result_timeout_ms.store(
            options.client_result_timeout.as_millis() as u64,
            Ordering::Relaxed,
        );
    }

    pub(crate) fn client_result_timeout(&self) -> Duration {
        Duration::from_millis(self.client_result_timeout_ms.load(Ordering::Relaxed))
    }

    pub(crate) fn next_invocation_id(&self) -> String {
        self.next_invocation_id
            .fetch_add(1, Ordering::Relaxed)
            .to_string()
    }

    /// Sends Close (with `allowReconnect`) to every connection, refuses new ones, and waits until
    /// every connection task has ended, or the shutdown timeout passed.
    pub(crate) async fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
        for entry in &self.connections {
            entry.close(CloseReason::Shutdown);
        }
        let timeout = Duration::from_millis(self.shutdown_timeout_ms.load(Ordering::Relaxed));
        let drained = async {
            loop {
                let drained = self.drained.notified();
                if self.live_tasks.load(Ordering::Acquire) == 0 {
                    return;
                }
                drained.await;
            }
        };
        if tokio::time::timeout(timeout, drained).await.is_err() {
            tracing::warn!(
                tasks = self.live_tasks.load(Ordering::Acquire),
                "shutdown timeout: connections still running are left behind"
            );
        }
    }
}

/// Calls `to` once per distinct id.
fn dedup<'a>(ids: impl Iterator<Item = &'a str>, to: impl Fn(&str)) {
    let mut seen = HashSet::new();
    for id in ids {
        if seen.insert(id) {
            to(id);
        }
    }
}

/// Counts one live connection task; dropping it counts the task out.
pub(crate) struct LiveTask(Arc<Lifetime>);

impl Drop for LiveTask {
    fn drop(&mut self) {
        if self.0.live_tasks.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.drained.notify_waiters();
        }
    }
}

async fn heartbeat(lifetime: Weak<Lifetime>, tick: Duration, keep_alive_ms: u64, timeout_ms: u64) {
    let mut pings = EncodedMessage::default();
    for &protocol in Protocol::ALL {
        pings.set(protocol, Frame::encoded(protocol, protocol.ping()));
    }
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(lifetime) = lifetime.upgrade() else {
            return;
        };
        let now = lifetime.now_ms();
        lifetime.coarse_now_ms.store(now, Ordering::Relaxed);
        for entry in &lifetime.connections {
            if let Some(ping) = pings.get(entry.protocol) {
                entry.heartbeat(now, keep_alive_ms, timeout_ms, ping);
            }
        }
    }
}
