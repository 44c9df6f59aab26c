//! The Redis lifetime manager: this server's connections, groups and users as the in-memory
//! manager keeps them, and a Redis backplane to reach the connections of other servers.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::RedisBackplane;
use super::bus::{Bus, QueuedPublish, Receiver};
use super::channels::{Channel, Channels};
use super::envelope::{
    self, GroupAction, GroupCommand, Origin, PresenceKind, PresenceQuery, ResultRequest,
};
use crate::connection::{ConnectionId, Frame};
use crate::lifetime::future::LifetimeFuture;
use crate::lifetime::handle::{ClientReply, ConnectionHandle};
use crate::lifetime::local::LocalConnections;
use crate::lifetime::manager::HubLifetimeManager;
use crate::lifetime::memory::InMemoryLifetimeManager;
use crate::lifetime::message::{ProtocolSet, SerializedMessage};
use crate::lifetime::target::Target;
use crate::model::{ClientResultError, LifetimeError};
use crate::protocol::{OwnedValue, Protocol};

/// Sends to several groups remembered, per sending server, to deliver each once.
const RECENT_SENDS: usize = 4_096;
/// Client results of other servers this server's clients may owe at once.
const MAX_FORWARDED_RESULTS: usize = 100_000;
const NO_ONE: &[&str] = &[];
/// How often a client result awaited from another server checks that the connection is still
/// there.
const LIVENESS_EVERY: Duration = Duration::from_secs(1);

/// A [`HubLifetimeManager`] for several servers on one Redis, on ASP.NET Core SignalR's
/// backplane format, built by [`RedisBackplane::hub`].
///
/// - **Delivery.** A message is encoded once per protocol on the sending server, delivered to
///   its own connections at once, and published once per channel; other servers forward the
///   bytes to their connections without decoding them. A server listens on a group's channel
///   only while one of its connections is in the group, on a user's while that user has a
///   connection there.
/// - **Groups** of connections on other servers are changed with a command the owning server
///   acknowledges (an unknown connection is ignored at once).
/// - **Client results** reach a connection on another server and come back on this server's
///   return channel; a connection that leaves, or a server that goes, ends the wait with an
///   error rather than a timeout.
/// - **Presence** queries ask every server and add up the answers (one round trip through
///   Redis, answered by each server from memory).
/// - **Outages.** When Redis goes away, each server goes on serving its own connections;
///   messages for other servers published meanwhile are lost (Redis pub/sub keeps nothing), and
///   sends report [`LifetimeError::Unavailable`]. The subscriber reconnects with backoff and
///   subscribes again to every channel; delivery across servers resumes.
pub struct RedisLifetimeManager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisLifetimeManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLifetimeManager")
            .field("server", &self.inner.server)
            .field("connections", &self.inner.local.len())
            .finish()
    }
}

struct Inner {
    local: Arc<LocalConnections>,
    memory: InMemoryLifetimeManager,
    bus: Arc<Bus>,
    channels: Channels,
    server: Arc<str>,
    ack_timeout: Duration,
    presence_timeout: Duration,
    next_id: AtomicU32,
    next_send: AtomicU64,
    /// Group commands this server sent, waiting for their acknowledgement.
    acks: Mutex<HashMap<u32, oneshot::Sender<()>>>,
    /// Client results this server awaits from connections of other servers.
    results: Mutex<HashMap<Box<str>, oneshot::Sender<ClientReply>>>,
    /// Client results other servers await from this server's connections: where to send them.
    forwarded: Mutex<HashMap<Owed, String>>,
    /// Presence queries waiting for answers.
    presence: Mutex<HashMap<u32, mpsc::UnboundedSender<Answer>>>,
    recent: Mutex<RecentSends>,
}

/// A client result a connection of this server owes another server: connection and
/// invocation id.
type Owed = (Arc<str>, Box<str>);

/// One server's answer to a presence query: a count and names.
type Answer = (u64, Vec<String>);

/// The latest sends to several groups, to deliver each once.
#[derive(Default)]
struct RecentSends {
    order: VecDeque<(Box<str>, u64)>,
    seen: HashSet<(Box<str>, u64)>,
}

impl RecentSends {
    /// Whether this send is new (and remembers it).
    fn first(&mut self, server: &str, sequence: u64) -> bool {
        let key = (Box::<str>::from(server), sequence);
        if !self.seen.insert(key.clone()) {
            return false;
        }
        self.order.push_back(key);
        if self.order.len() > RECENT_SENDS {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The protocol names and framed bytes of a message, for the backplane.
fn encoded(message: &SerializedMessage) -> Vec<(&'static str, &[u8])> {
    Protocol::ALL
        .iter()
        .filter_map(|&protocol| {
            message
                .get(protocol)
                .map(|frame| (protocol.name(), frame.as_bytes()))
        })
        .collect()
}

/// The frames of a message read from the backplane; protocols this build does not speak, and
/// JSON that is not UTF-8, are left out.
fn decoded(messages: &[(&str, &[u8])]) -> SerializedMessage {
    let mut message = SerializedMessage::default();
    for &(name, bytes) in messages {
        let Some(protocol) = Protocol::from_name(name) else {
            continue;
        };
        let frame = match protocol.transfer_format() {
            crate::protocol::TransferFormat::Text => match std::str::from_utf8(bytes) {
                Ok(text) => Frame::text(text),
                Err(_) => {
                    tracing::debug!(protocol = name, "backplane message is not UTF-8; dropped");
                    continue;
                }
            },
            crate::protocol::TransferFormat::Binary => Frame::binary(bytes.to_vec()),
        };
        message.set(protocol, frame);
    }
    message
}

fn push(message: &SerializedMessage) -> impl Fn(&ConnectionHandle) + '_ {
    move |handle| {
        if let Some(frame) = message.get(handle.protocol()) {
            handle.send(frame.clone());
        }
    }
}

impl RedisLifetimeManager {
    pub(super) fn new(
        backplane: &RedisBackplane,
        hub_name: &str,
        local: Arc<LocalConnections>,
    ) -> Self {
        let server = backplane.server_name.clone();
        let channels = Channels::new(&backplane.options.channel_prefix, hub_name, &server);
        let mut core: Vec<&str> = channels.core().to_vec();
        core.push(channels.own_presence_reply());
        let bus = Bus::new(backplane.client.clone(), backplane.publisher.clone(), &core);
        let inner = Arc::new(Inner {
            memory: InMemoryLifetimeManager::new(local.clone()),
            local,
            bus,
            channels,
            server,
            ack_timeout: backplane.options.ack_timeout,
            presence_timeout: backplane.options.presence_timeout,
            next_id: AtomicU32::new(1),
            next_send: AtomicU64::new(1),
            acks: Mutex::default(),
            results: Mutex::default(),
            forwarded: Mutex::default(),
            presence: Mutex::default(),
            recent: Mutex::default(),
        });
        let receiver: Weak<dyn Receiver> = Arc::downgrade(&inner) as Weak<dyn Receiver>;
        inner.bus.start(receiver);
        RedisLifetimeManager { inner }
    }

    /// Waits until the subscriber listens on Redis, up to `timeout`; whether it does. A server
    /// that publishes before it listens misses nothing of its own, but a test that starts
    /// servers and sends at once may want to wait for every one.
    pub async fn ready(&self, timeout: Duration) -> bool {
        self.inner.bus.connected(timeout).await
    }

    /// This server's name on the backplane.
    pub fn server_name(&self) -> &str {
        &self.inner.server
    }
}

impl Inner {
    fn next_id(&self) -> u32 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Queues one payload for each channel, behind everything this server published before.
    fn publish_all(
        &self,
        channels: Vec<String>,
        payload: Vec<u8>,
    ) -> LifetimeFuture<Result<(), LifetimeError>> {
        let payload = bytes::Bytes::from(payload);
        let mut outcome = Ok(());
        let mut waiting = Vec::new();
        for channel in channels {
            match self.bus.publish_queued(channel, payload.clone()) {
                QueuedPublish::Done(result) => {
                    if let Err(error) = result {
                        outcome = Err(error);
                    }
                }
                queued => waiting.push(queued),
            }
        }
        if waiting.is_empty() {
            return LifetimeFuture::ready(outcome);
        }
        LifetimeFuture::new(async move {
            for queued in waiting {
                queued.finish().await?;
            }
            outcome
        })
    }

    /// What `send` publishes for `target`: the channels and the payload.
    fn plan(&self, target: &Target, message: &SerializedMessage) -> Option<(Vec<String>, Vec<u8>)> {
        let messages = encoded(message);
        let origin = Origin {
            server: &self.server,
            groups: None,
        };
        let write = |excluded: &[Box<str>], origin: Option<&Origin<'_>>| {
            envelope::write_invocation(excluded, messages.iter().copied(), None, origin)
        };
        let distinct = |names: &[Box<str>]| -> Vec<Box<str>> {
            let mut seen = HashSet::new();
            names
                .iter()
                .filter(|name| seen.insert(&***name))
                .cloned()
                .collect()
        };
        Some(match target {
            Target::All => (
                vec![self.channels.all().to_owned()],
                write(&[], Some(&origin)),
            ),
            Target::AllExcept(except) => (
                vec![self.channels.all().to_owned()],
                write(except, Some(&origin)),
            ),
            Target::Connection(id) => {
                if self.local.with(id, |_| ()).is_some() {
                    return None;
                }
                (vec![self.channels.connection(id)], write(&[], None))
            }
            Target::Connections(ids) => {
                let remote: Vec<String> = distinct(ids)
                    .iter()
                    .filter(|id| self.local.with(id, |_| ()).is_none())
                    .map(|id| self.channels.connection(id))
                    .collect();
                if remote.is_empty() {
                    return None;
                }
                (remote, write(&[], None))
            }
            Target::Group(name) => (vec![self.channels.group(name)], write(&[], Some(&origin))),
            Target::GroupExcept(name, except) => (
                vec![self.channels.group(name)],
                write(except, Some(&origin)),
            ),
            Target::Groups(names) => {
                let names = distinct(names);
                let sequence = self.next_send.fetch_add(1, Ordering::Relaxed);
                let origin = Origin {
                    server: &self.server,
                    groups: Some((sequence, names.iter().map(|name| &**name).collect())),
                };
                let channels = names.iter().map(|name| self.channels.group(name)).collect();
                (channels, write(&[], Some(&origin)))
            }
            Target::User(user) => (vec![self.channels.user(user)], write(&[], Some(&origin))),
            Target::Users(users) => {
                let channels = distinct(users)
                    .iter()
                    .map(|user| self.channels.user(user))
                    .collect();
                (channels, write(&[], Some(&origin)))
            }
        })
    }

    /// Adds a connection of this server to a group, listening on the group's channel.
    async fn join(&self, connection_id: &str, group: &str) {
        let mut subscriptions = self.bus.subscriptions().await;
        self.memory.add(connection_id, group);
        if self.memory.local_group_size(group) > 0 {
            subscriptions.subscribe(&[self.channels.group(group)]).await;
        }
    }

    /// Removes a connection of this server from a group; the last one out stops listening.
    async fn leave(&self, connection_id: &str, group: &str) {
        let mut subscriptions = self.bus.subscriptions().await;
        self.memory.remove(connection_id, group);
        if self.memory.local_group_size(group) == 0 {
            subscriptions
                .unsubscribe(&[self.channels.group(group)])
                .await;
        }
    }

    /// Adds a connection of this server to a group, or removes it.
    async fn change_local_group(&self, connection_id: &str, group: &str, action: GroupAction) {
        match action {
            GroupAction::Add => self.join(connection_id, group).await,
            GroupAction::Remove => self.leave(connection_id, group).await,
        }
    }

    /// Changes the groups of a connection of this server at once, or of another server's
    /// through a group command.
    fn change_group(
        self: &Arc<Self>,
        connection_id: &str,
        group: &str,
        action: GroupAction,
    ) -> LifetimeFuture<Result<(), LifetimeError>> {
        let inner = self.clone();
        let (connection_id, group) = (connection_id.to_owned(), group.to_owned());
        LifetimeFuture::new(async move {
            if inner.local.with(&connection_id, |_| ()).is_some() {
                inner
                    .change_local_group(&connection_id, &group, action)
                    .await;
                return Ok(());
            }
            inner.group_command(&connection_id, &group, action).await
        })
    }

    /// The cluster-wide count of a presence question.
    fn count(
        self: &Arc<Self>,
        kind: PresenceKind,
        name: &str,
    ) -> LifetimeFuture<Result<usize, LifetimeError>> {
        let inner = self.clone();
        let name = name.to_owned();
        LifetimeFuture::new(async move {
            let (count, _) = inner.ask(kind, &name).await?;
            Ok(count as usize)
        })
    }

    /// Asks the server that has the connection to change its groups, and waits for its Ack.
    async fn group_command(
        &self,
        connection_id: &str,
        group: &str,
        action: GroupAction,
    ) -> Result<(), LifetimeError> {
        // Nobody listens on an unknown connection's channel: nothing to wait for.
        if self
            .bus
            .listeners(&self.channels.connection(connection_id))
            .await?
            == 0
        {
            return Ok(());
        }
        let id = self.next_id();
        let (sender, acked) = oneshot::channel();
        lock(&self.acks).insert(id, sender);
        let command = envelope::write_group_command(&GroupCommand {
            id,
            server: &self.server,
            action,
            group,
            connection_id,
        });
        let outcome = match self
            .bus
            .publish(self.channels.group_commands(), &command)
            .await
        {
            Err(error) => Err(error),
            Ok(_) => match tokio::time::timeout(self.ack_timeout, acked).await {
                Ok(Ok(())) => Ok(()),
                _ => Err(LifetimeError::Timeout),
            },
        };
        lock(&self.acks).remove(&id);
        outcome
    }

    /// Waits for the Completion of a client result from a connection of another server.
    async fn await_result(
        self: Arc<Self>,
        connection_id: String,
        invocation_id: Box<str>,
        payload: Vec<u8>,
        timeout: Duration,
    ) -> Result<OwnedValue, ClientResultError> {
        let (sender, mut reply) = oneshot::channel();
        lock(&self.results).insert(invocation_id.clone(), sender);
        let channel = self.channels.connection(&connection_id);
        let outcome = async {
            match self.bus.publish(&channel, &payload).await {
                Err(error) => return Err(ClientResultError::Unavailable(error.to_string())),
                Ok(0) => return Err(ClientResultError::NotConnected),
                Ok(_) => {}
            }
            let deadline = tokio::time::Instant::now() + timeout;
            loop {
                tokio::select! {
                    answer = &mut reply => return match answer {
                        Ok(Ok(value)) => Ok(value),
                        Ok(Err(error)) => Err(ClientResultError::Client(error)),
                        Err(_) => Err(ClientResultError::Disconnected),
                    },
                    () = tokio::time::sleep_until(deadline) => return Err(ClientResultError::Timeout),
                    () = tokio::time::sleep(LIVENESS_EVERY) => {
                        // The server with the connection went away, or the connection did.
                        if matches!(self.bus.listeners(&channel).await, Ok(0)) {
                            return Err(ClientResultError::Disconnected);
                        }
                    }
                }
            }
        }
        .await;
        lock(&self.results).remove(&invocation_id);
        outcome
    }

    /// Sends the answer to a client result another server asked for.
    fn forward_result(
        &self,
        handle: &ConnectionHandle,
        invocation_id: &str,
        channel: String,
        reply: ClientReply,
    ) {
        let protocol = handle.protocol();
        let message = match reply {
            Ok(value) => protocol
                .completion_encoded(invocation_id, &value)
                .unwrap_or_else(|error| protocol.completion_error(invocation_id, &error)),
            Err(error) => protocol.completion_error(invocation_id, &error),
        };
        self.publish_later(
            channel,
            envelope::write_completion(protocol.name(), &message),
        );
    }

    /// Tells the server waiting for `invocation_id` that the connection is gone.
    fn fail_forwarded(&self, protocol: Protocol, invocation_id: &str, channel: String) {
        let message = protocol.completion_error(invocation_id, "Connection disconnected.");
        self.publish_later(
            channel,
            envelope::write_completion(protocol.name(), &message),
        );
    }

    /// Publishes from a task of its own (for answers sent from the subscriber).
    fn publish_later(&self, channel: String, payload: Vec<u8>) {
        let bus = self.bus.clone();
        tokio::spawn(async move {
            if let Err(error) = bus.publish(&channel, &payload).await {
                tracing::warn!(%error, channel, "publishing to Redis failed");
            }
        });
    }

    /// Asks every server a presence question and collects the answers.
    async fn ask(
        &self,
        kind: PresenceKind,
        name: &str,
    ) -> Result<(u64, Vec<String>), LifetimeError> {
        let id = self.next_id();
        let (sender, mut answers) = mpsc::unbounded_channel();
        lock(&self.presence).insert(id, sender);
        let query = envelope::write_presence_query(&PresenceQuery {
            id,
            server: &self.server,
            kind,
            name,
        });
        let outcome = async {
            let servers = self.bus.publish(self.channels.presence(), &query).await?;
            let mut count = 0;
            let mut names = Vec::new();
            let deadline = tokio::time::Instant::now() + self.presence_timeout;
            for _ in 0..servers {
                match tokio::time::timeout_at(deadline, answers.recv()).await {
                    Ok(Some((n, more))) => {
                        count += n;
                        names.extend(more);
                    }
                    _ => return Err(LifetimeError::Timeout),
                }
            }
            Ok((count, names))
        }
        .await;
        lock(&self.presence).remove(&id);
        outcome
    }

    /// Answers a presence question from this server's connections.
    fn answer(&self, query: &PresenceQuery<'_>) {
        let (count, names): (u64, Vec<String>) = match query.kind {
            PresenceKind::GroupConnections => {
                let members = self.memory.members(query.name);
                (
                    members.len() as u64,
                    members.iter().map(|id| id.to_string()).collect(),
                )
            }
            PresenceKind::ConnectionGroups => {
                let groups = self
                    .local
                    .with(query.name, ConnectionHandle::groups)
                    .unwrap_or_default();
                (groups.len() as u64, groups)
            }
            PresenceKind::GroupSize => {
                (self.memory.local_group_size(query.name) as u64, Vec::new())
            }
            PresenceKind::UserConnectionCount => {
                (self.memory.local_user_count(query.name) as u64, Vec::new())
            }
        };
        let answer = envelope::write_presence_answer(query.id, count, &names);
        self.publish_later(self.channels.presence_reply(query.server), answer);
    }

    /// An invocation for one connection of this server (possibly a client result).
    fn to_connection(&self, id: &str, payload: &[u8]) -> Result<(), envelope::EnvelopeError> {
        let invocation = envelope::read_invocation(payload)?;
        let message = decoded(&invocation.messages);
        let Some(handle) = self.local.get(id) else {
            if let Some(request) = &invocation.result {
                let protocol = Protocol::ALL[0];
                self.fail_forwarded(
                    protocol,
                    request.invocation_id,
                    request.return_channel.to_owned(),
                );
            }
            return Ok(());
        };
        if let Some(ResultRequest {
            invocation_id,
            return_channel,
        }) = invocation.result
        {
            let protocol = handle.protocol();
            let refuse = |text: &str| {
                let message = protocol.completion_error(invocation_id, text);
                self.publish_later(
                    return_channel.to_owned(),
                    envelope::write_completion(protocol.name(), &message),
                );
            };
            if message.get(protocol).is_none() {
                refuse("The invocation was not encoded in the connection's protocol.");
                return Ok(());
            }
            let mut forwarded = lock(&self.forwarded);
            if forwarded.len() >= MAX_FORWARDED_RESULTS {
                drop(forwarded);
                refuse("Too many client results are awaited.");
                return Ok(());
            }
            forwarded.insert(
                (handle.id().shared().clone(), invocation_id.into()),
                return_channel.to_owned(),
            );
        }
        push(&message)(&handle);
        Ok(())
    }

    fn receive_checked(
        self: &Arc<Self>,
        channel: Channel<'_>,
        payload: &[u8],
    ) -> Result<(), envelope::EnvelopeError> {
        match channel {
            Channel::All => {
                let invocation = envelope::read_invocation(payload)?;
                if invocation
                    .origin
                    .as_ref()
                    .is_some_and(|o| *o.server == *self.server)
                {
                    return Ok(());
                }
                let message = decoded(&invocation.messages);
                let push = push(&message);
                if invocation.excluded.is_empty() {
                    // Without reading each connection's id, which is not on the cache lines a
                    // delivery reads ahead.
                    self.local.for_each(push);
                } else {
                    self.local.for_each(|handle| {
                        if !invocation.excluded.contains(&handle.id().as_str()) {
                            push(handle);
                        }
                    });
                }
            }
            Channel::Connection(id) => self.to_connection(id, payload)?,
            Channel::Group(group) => {
                let invocation = envelope::read_invocation(payload)?;
                let mut groups = vec![group];
                if let Some(origin) = &invocation.origin {
                    if *origin.server == *self.server {
                        return Ok(());
                    }
                    if let Some((sequence, names)) = &origin.groups {
                        if !lock(&self.recent).first(origin.server, *sequence) {
                            return Ok(());
                        }
                        groups.clone_from(names);
                    }
                }
                let message = decoded(&invocation.messages);
                self.memory
                    .for_groups(&groups, &invocation.excluded, push(&message));
            }
            Channel::User(user) => {
                let invocation = envelope::read_invocation(payload)?;
                if invocation
                    .origin
                    .as_ref()
                    .is_some_and(|o| *o.server == *self.server)
                {
                    return Ok(());
                }
                let message = decoded(&invocation.messages);
                self.memory.for_user(user, push(&message));
            }
            Channel::GroupCommands => {
                let command = envelope::read_group_command(payload)?;
                if self.local.with(command.connection_id, |_| ()).is_none() {
                    return Ok(());
                }
                let inner = self.clone();
                let (id, server) = (command.id, command.server.to_owned());
                let (group, connection) =
                    (command.group.to_owned(), command.connection_id.to_owned());
                let action = command.action;
                tokio::spawn(async move {
                    inner.change_local_group(&connection, &group, action).await;
                    let ack = envelope::write_ack(id);
                    if let Err(error) = inner.bus.publish(&inner.channels.ack(&server), &ack).await
                    {
                        tracing::warn!(%error, "acknowledging a group command failed");
                    }
                });
            }
            Channel::Ack => {
                let id = envelope::read_ack(payload)?;
                if let Some(sender) = lock(&self.acks).remove(&id) {
                    let _ = sender.send(());
                }
            }
            Channel::Return => {
                let completion = envelope::read_completion(payload)?;
                let Some(protocol) = Protocol::from_name(completion.protocol) else {
                    tracing::warn!(
                        protocol = completion.protocol,
                        "a client result in a protocol this server does not speak"
                    );
                    return Ok(());
                };
                match protocol.read_completion(completion.message) {
                    Ok((invocation_id, reply)) => {
                        if let Some(sender) = lock(&self.results).remove(invocation_id.as_str()) {
                            let _ = sender.send(reply);
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "an unreadable client result from the backplane")
                    }
                }
            }
            Channel::Presence => {
                let query = envelope::read_presence_query(payload)?;
                self.answer(&query);
            }
            Channel::PresenceReply => {
                let answer = envelope::read_presence_answer(payload)?;
                if let Some(sender) = lock(&self.presence).get(&answer.id) {
                    let names = answer.names.iter().map(|name| (*name).to_owned()).collect();
                    let _ = sender.send((answer.count, names));
                }
            }
        }
        Ok(())
    }
}

/// The subscriber hands messages over through a weak reference: the manager's end stops it.
impl Receiver for Inner {
    fn receive(self: Arc<Self>, channel: &str, payload: &[u8]) {
        let Some(parsed) = self.channels.parse(channel) else {
            return;
        };
        if let Err(error) = self.receive_checked(parsed, payload) {
            tracing::warn!(%error, channel, "an unreadable message from the backplane was dropped");
        }
    }

    fn connection_changed(&self, connected: bool) {
        if connected {
            tracing::debug!(server = %self.server, "backplane subscriber connected");
        }
    }
}

impl HubLifetimeManager for RedisLifetimeManager {
    fn on_connected(&self, connection: &Arc<ConnectionHandle>) -> LifetimeFuture<()> {
        // The in-memory manager's futures are ready at once.
        drop(self.inner.memory.on_connected(connection));
        let inner = self.inner.clone();
        let mut channels = vec![inner.channels.connection(connection.id().as_str())];
        if let Some(user) = connection.user_id() {
            channels.push(inner.channels.user(user));
        }
        LifetimeFuture::new(async move {
            inner.bus.subscriptions().await.subscribe(&channels).await;
        })
    }

    fn on_disconnected(&self, connection: &Arc<ConnectionHandle>) -> LifetimeFuture<()> {
        let groups = connection.groups();
        drop(self.inner.memory.on_disconnected(connection));
        let inner = self.inner.clone();
        let id = connection.id().shared().clone();
        let protocol = connection.protocol();
        let user = connection.user_id().map(str::to_owned);
        // Client results other servers wait for from this connection end now.
        let owed: Vec<(Box<str>, String)> = {
            let mut forwarded = lock(&inner.forwarded);
            let keys: Vec<(Arc<str>, Box<str>)> = forwarded
                .keys()
                .filter(|(connection, _)| *connection == id)
                .cloned()
                .collect();
            keys.into_iter()
                .filter_map(|key| forwarded.remove(&key).map(|channel| (key.1, channel)))
                .collect()
        };
        for (invocation_id, channel) in owed {
            inner.fail_forwarded(protocol, &invocation_id, channel);
        }
        LifetimeFuture::new(async move {
            let mut subscriptions = inner.bus.subscriptions().await;
            let mut channels = vec![inner.channels.connection(&id)];
            for group in groups {
                if inner.memory.local_group_size(&group) == 0 {
                    channels.push(inner.channels.group(&group));
                }
            }
            if let Some(user) = user {
                if inner.memory.local_user_count(&user) == 0 {
                    channels.push(inner.channels.user(&user));
                }
            }
            subscriptions.unsubscribe(&channels).await;
        })
    }

    fn protocols(&self, target: &Target) -> ProtocolSet {
        if let Target::Connection(id) = target {
            if let Some(protocol) = self.inner.local.with(id, ConnectionHandle::protocol) {
                return ProtocolSet::only(protocol);
            }
        }
        ProtocolSet::all()
    }

    fn send(
        &self,
        target: &Target,
        message: &SerializedMessage,
    ) -> LifetimeFuture<Result<(), LifetimeError>> {
        self.inner.memory.deliver(target, message);
        let Some((channels, payload)) = self.inner.plan(target, message) else {
            return LifetimeFuture::ready(Ok(()));
        };
        self.inner.publish_all(channels, payload)
    }

    fn add_to_group(
        &self,
        connection_id: &str,
        group: &str,
    ) -> LifetimeFuture<Result<(), LifetimeError>> {
        self.inner
            .change_group(connection_id, group, GroupAction::Add)
    }

    fn remove_from_group(
        &self,
        connection_id: &str,
        group: &str,
    ) -> LifetimeFuture<Result<(), LifetimeError>> {
        self.inner
            .change_group(connection_id, group, GroupAction::Remove)
    }

    fn invoke_connection(
        &self,
        connection_id: &str,
        invocation_id: &str,
        message: &SerializedMessage,
        timeout: Duration,
    ) -> LifetimeFuture<Result<OwnedValue, ClientResultError>> {
        if self.inner.local.with(connection_id, |_| ()).is_some() {
            return self.inner.memory.invoke_connection(
                connection_id,
                invocation_id,
                message,
                timeout,
            );
        }
        let request = ResultRequest {
            invocation_id,
            return_channel: self.inner.channels.own_return(),
        };
        let payload =
            envelope::write_invocation(NO_ONE, encoded(message).into_iter(), Some(&request), None);
        LifetimeFuture::new(self.inner.clone().await_result(
            connection_id.to_owned(),
            invocation_id.into(),
            payload,
            timeout,
        ))
    }

    fn set_connection_result(
        &self,
        connection: &ConnectionHandle,
        invocation_id: &str,
        reply: ClientReply,
    ) -> bool {
        let key = (
            connection.id().shared().clone(),
            Box::<str>::from(invocation_id),
        );
        let channel = lock(&self.inner.forwarded).remove(&key);
        match channel {
            Some(channel) => {
                self.inner
                    .forward_result(connection, invocation_id, channel, reply);
                true
            }
            None => self
                .inner
                .memory
                .set_connection_result(connection, invocation_id, reply),
        }
    }

    fn group_connections(
        &self,
        group: &str,
    ) -> LifetimeFuture<Result<Vec<ConnectionId>, LifetimeError>> {
        let inner = self.inner.clone();
        let group = group.to_owned();
        LifetimeFuture::new(async move {
            let (_, names) = inner.ask(PresenceKind::GroupConnections, &group).await?;
            Ok(names
                .into_iter()
                .map(|id| ConnectionId::from(id.as_str()))
                .collect())
        })
    }

    fn connection_groups(
        &self,
        connection_id: &str,
    ) -> LifetimeFuture<Result<Vec<String>, LifetimeError>> {
        if let Some(groups) = self
            .inner
            .local
            .with(connection_id, ConnectionHandle::groups)
        {
            return LifetimeFuture::ready(Ok(groups));
        }
        let inner = self.inner.clone();
        let id = connection_id.to_owned();
        LifetimeFuture::new(async move {
            let (_, names) = inner.ask(PresenceKind::ConnectionGroups, &id).await?;
            Ok(names)
        })
    }

    fn group_size(&self, group: &str) -> LifetimeFuture<Result<usize, LifetimeError>> {
        self.inner.count(PresenceKind::GroupSize, group)
    }

    fn user_connection_count(&self, user_id: &str) -> LifetimeFuture<Result<usize, LifetimeError>> {
        self.inner.count(PresenceKind::UserConnectionCount, user_id)
    }

    fn shutdown(&self) -> LifetimeFuture<()> {
        let inner = self.inner.clone();
        LifetimeFuture::new(async move {
            // Behind everything queued: once Redis answers it, all of it went out.
            let last = inner.channels.own_flush();
            if let Err(error) = inner.bus.publish(last, &[]).await {
                tracing::warn!(%error, "messages for other servers may be lost at shutdown");
            }
        })
    }
}
