//! The two Redis connections of one hub on one server: a multiplexed one that publishes (and asks
//! how many listen on a channel), reconnected by redis-rs's `ConnectionManager`, and a
//! subscriber this module keeps alive itself: it reconnects with backoff, subscribes again to
//! every channel the hub needs, and hands each message to the hub.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use redis::aio::{ConnectionManager, PubSubSink};
use tokio::sync::{Mutex, MutexGuard, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use crate::model::LifetimeError;

fn unavailable(error: impl std::fmt::Display) -> LifetimeError {
    LifetimeError::Unavailable(format!("Redis: {error}"))
}

/// How long one attempt to reach Redis may take.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the subscriber connection is checked with a PING, and how long the answer may take.
const PING_EVERY: Duration = Duration::from_secs(2);
const PING_TIMEOUT: Duration = Duration::from_secs(3);
/// Channels per SUBSCRIBE when subscribing again after a reconnect.
const SUBSCRIBE_BATCH: usize = 1_000;

/// The channels the hub listens on and, while the subscriber is connected, its command side.
#[derive(Default)]
pub(crate) struct Subscriptions {
    wanted: HashSet<String>,
    sink: Option<PubSubSink>,
}

impl Subscriptions {
    /// Listens on `channels` too; returns once Redis confirmed (or at once while disconnected:
    /// the subscriber subscribes to every wanted channel when it is back).
    pub(crate) async fn subscribe(&mut self, channels: &[String]) {
        let new: Vec<&String> = channels
            .iter()
            .filter(|channel| !self.wanted.contains(*channel))
            .collect();
        if new.is_empty() {
            return;
        }
        if let Some(sink) = &mut self.sink {
            match tokio::time::timeout(PING_TIMEOUT, sink.subscribe(&new)).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::warn!(%error, "Redis SUBSCRIBE failed; the subscriber reconnects");
                }
                Err(_) => tracing::warn!("Redis SUBSCRIBE timed out; the subscriber reconnects"),
            }
        }
        for channel in new {
            self.wanted.insert(channel.clone());
        }
    }

    /// Stops listening on `channels`.
    pub(crate) async fn unsubscribe(&mut self, channels: &[String]) {
        let old: Vec<&String> = channels
            .iter()
            .filter(|channel| self.wanted.contains(*channel))
            .collect();
        if old.is_empty() {
            return;
        }
        if let Some(sink) = &mut self.sink {
            if let Ok(Err(error)) = tokio::time::timeout(PING_TIMEOUT, sink.unsubscribe(&old)).await
            {
                tracing::debug!(%error, "Redis UNSUBSCRIBE failed");
            }
        }
        for channel in channels {
            self.wanted.remove(channel);
        }
    }
}

/// Receives the messages of the subscribed channels.
pub(crate) trait Receiver: Send + Sync + 'static {
    /// A message arrived on `channel`.
    fn receive(self: Arc<Self>, channel: &str, payload: &[u8]);
    /// The subscriber is connected (`true`, every wanted channel subscribed) or lost Redis.
    fn connection_changed(&self, connected: bool);
}

/// A message for Redis: a channel, a payload, and who waits for the count of servers that
/// received it (nobody, for a message sent without waiting).
pub(crate) struct Outgoing {
    channel: String,
    payload: Bytes,
    reply: Option<oneshot::Sender<Result<usize, LifetimeError>>>,
}

/// Messages waiting for the publisher at most; beyond, senders wait (backpressure).
const PUBLISH_QUEUE: usize = 16_384;
/// PUBLISH commands per pipeline at most.
const PUBLISH_BATCH: usize = 512;

/// One hub's Redis connections.
pub(crate) struct Bus {
    client: redis::Client,
    /// Every PUBLISH, in the order it was asked for: the publisher task sends them in
    /// pipelines on one connection, so a server's messages reach the others in order.
    outgoing: mpsc::Sender<Outgoing>,
    /// Whether the last pipeline reached Redis (cleared too when the subscriber loses Redis).
    publishing: AtomicBool,
    publisher: ConnectionManager,
    subscriptions: Mutex<Subscriptions>,
    /// Whether the subscriber is connected.
    connected: watch::Sender<bool>,
    stop: CancellationToken,
}

impl Drop for Bus {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Bus {
    /// Connects the publisher (an error when Redis cannot be reached) and starts the subscriber,
    /// which subscribes to `core` and hands messages to `receiver`.
    pub(crate) fn new(
        client: redis::Client,
        publisher: ConnectionManager,
        core: &[&str],
    ) -> Arc<Self> {
        let wanted = core.iter().map(|channel| (*channel).to_owned()).collect();
        let (outgoing, queue) = mpsc::channel(PUBLISH_QUEUE);
        let bus = Arc::new(Bus {
            client,
            outgoing,
            publishing: AtomicBool::new(true),
            publisher,
            subscriptions: Mutex::new(Subscriptions { wanted, sink: None }),
            connected: watch::Sender::new(false),
            stop: CancellationToken::new(),
        });
        tokio::spawn(publisher_task(Arc::downgrade(&bus), queue));
        bus
    }

    /// Whether Redis is reachable as far as this server knows: the last pipeline went through
    /// and the subscriber has not lost its connection since.
    pub(crate) fn is_up(&self) -> bool {
        self.publishing.load(Ordering::Relaxed)
    }

    /// Queues `payload` for `channel` behind everything queued before, without waiting for
    /// Redis; waits only while the queue is full. An error when Redis is known to be away (the
    /// message is still queued: it goes out if Redis is back before its turn).
    pub(crate) fn publish_queued(&self, channel: String, payload: Bytes) -> QueuedPublish {
        let message = Outgoing {
            channel,
            payload,
            reply: None,
        };
        let outcome = if self.is_up() {
            Ok(())
        } else {
            Err(LifetimeError::Unavailable(
                "Redis: not connected; messages for other servers are lost until it is back"
                    .to_owned(),
            ))
        };
        match self.outgoing.try_send(message) {
            Ok(()) => QueuedPublish::Done(outcome),
            Err(mpsc::error::TrySendError::Full(message)) => {
                QueuedPublish::Waiting(self.outgoing.clone(), message, outcome)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                QueuedPublish::Done(Err(unavailable("the publisher stopped")))
            }
        }
    }

    /// Starts the subscriber task.
    pub(crate) fn start(self: &Arc<Self>, receiver: Weak<dyn Receiver>) {
        tokio::spawn(subscriber(
            Arc::downgrade(self),
            self.stop.clone(),
            receiver,
        ));
    }

    /// The subscriptions, locked: changes to them are made one at a time, in order.
    pub(crate) async fn subscriptions(&self) -> MutexGuard<'_, Subscriptions> {
        self.subscriptions.lock().await
    }

    /// Waits until the subscriber is connected, up to `timeout`; whether it is.
    pub(crate) async fn connected(&self, timeout: Duration) -> bool {
        let mut connected = self.connected.subscribe();
        tokio::time::timeout(timeout, connected.wait_for(|up| *up))
            .await
            .is_ok_and(|result| result.is_ok())
    }

    /// Publishes `payload` on `channel`; how many subscribers (servers) received it.
    pub(crate) async fn publish(
        &self,
        channel: &str,
        payload: &[u8],
    ) -> Result<usize, LifetimeError> {
        let (reply, count) = oneshot::channel();
        let message = Outgoing {
            channel: channel.to_owned(),
            payload: Bytes::copy_from_slice(payload),
            reply: Some(reply),
        };
        if self.outgoing.send(message).await.is_err() {
            return Err(unavailable("the publisher stopped"));
        }
        count
            .await
            .unwrap_or_else(|_| Err(unavailable("the publisher stopped")))
    }

    /// Runs a command on the publisher. A command that finds the connection broken (Redis
    /// restarted since the last one) is tried once more on the connection the manager makes
    /// anew.
    async fn query<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> Result<T, LifetimeError> {
        let mut publisher = self.publisher.clone();
        match command.query_async::<T>(&mut publisher).await {
            Err(error) if error.is_connection_dropped() || error.is_io_error() => command
                .query_async::<T>(&mut publisher)
                .await
                .map_err(unavailable),
            other => other.map_err(unavailable),
        }
    }

    /// How many subscribers (servers) listen on `channel`.
    pub(crate) async fn listeners(&self, channel: &str) -> Result<usize, LifetimeError> {
        let command = redis::cmd("PUBSUB").arg("NUMSUB").arg(channel).clone();
        let (_, count): (String, usize) = self.query(&command).await?;
        Ok(count)
    }
}

/// A message queued with [`Bus::publish_queued`]: done, or waiting for room in the queue.
pub(crate) enum QueuedPublish {
    Done(Result<(), LifetimeError>),
    Waiting(mpsc::Sender<Outgoing>, Outgoing, Result<(), LifetimeError>),
}

impl QueuedPublish {
    /// Waits for room in the queue if there was none.
    pub(crate) async fn finish(self) -> Result<(), LifetimeError> {
        match self {
            QueuedPublish::Done(outcome) => outcome,
            QueuedPublish::Waiting(queue, message, outcome) => match queue.send(message).await {
                Ok(()) => outcome,
                Err(_) => Err(unavailable("the publisher stopped")),
            },
        }
    }
}

/// Sends the queued messages in order, in pipelines of what is queued at the time.
async fn publisher_task(bus: Weak<Bus>, mut queue: mpsc::Receiver<Outgoing>) {
    let mut batch = Vec::with_capacity(PUBLISH_BATCH);
    let mut reported = false;
    while queue.recv_many(&mut batch, PUBLISH_BATCH).await > 0 {
        let Some(bus) = bus.upgrade() else {
            return;
        };
        let mut pipeline = redis::pipe();
        for message in &batch {
            pipeline
                .cmd("PUBLISH")
                .arg(&message.channel)
                .arg(&message.payload[..]);
        }
        let mut publisher = bus.publisher.clone();
        let mut result = pipeline.query_async::<Vec<usize>>(&mut publisher).await;
        if let Err(error) = &result {
            // A connection Redis dropped since the last pipeline: once more on a new one.
            if error.is_connection_dropped() || error.is_io_error() {
                result = pipeline.query_async::<Vec<usize>>(&mut publisher).await;
            }
        }
        match result {
            Ok(counts) => {
                if reported {
                    tracing::info!("publishing to Redis again");
                    reported = false;
                }
                bus.publishing.store(true, Ordering::Relaxed);
                for (message, count) in batch.drain(..).zip(counts) {
                    if let Some(reply) = message.reply {
                        let _ = reply.send(Ok(count));
                    }
                }
            }
            Err(error) => {
                if !reported {
                    tracing::warn!(%error, "publishing to Redis failed; messages for other servers are lost until it is back");
                    reported = true;
                }
                bus.publishing.store(false, Ordering::Relaxed);
                for message in batch.drain(..) {
                    if let Some(reply) = message.reply {
                        let _ = reply.send(Err(unavailable(&error)));
                    }
                }
            }
        }
        batch.clear();
    }
}

/// Keeps a subscriber connection: connects, subscribes to every wanted channel, hands messages
/// to the receiver until the connection fails, and starts again with backoff.
async fn subscriber(bus: Weak<Bus>, stop: CancellationToken, receiver: Weak<dyn Receiver>) {
    let mut backoff = Duration::from_millis(100);
    let mut reported = false;
    loop {
        let Some(strong) = bus.upgrade() else {
            return;
        };
        let client = strong.client.clone();
        drop(strong);
        let attempt = tokio::select! {
            () = stop.cancelled() => return,
            attempt = tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_pubsub()) => attempt,
        };
        let pubsub = match attempt {
            Ok(Ok(pubsub)) => pubsub,
            Ok(Err(error)) => {
                if !reported {
                    tracing::warn!(%error, "cannot reach Redis; retrying with backoff");
                    reported = true;
                }
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
            Err(_) => {
                if !reported {
                    tracing::warn!("connecting to Redis timed out; retrying with backoff");
                    reported = true;
                }
                continue;
            }
        };
        let (mut sink, mut messages) = pubsub.split();
        let Some(strong) = bus.upgrade() else {
            return;
        };
        let subscribed = {
            let mut subscriptions = strong.subscriptions.lock().await;
            let wanted: Vec<String> = subscriptions.wanted.iter().cloned().collect();
            let mut ok = true;
            for batch in wanted.chunks(SUBSCRIBE_BATCH) {
                match tokio::time::timeout(CONNECT_TIMEOUT, sink.subscribe(batch)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "subscribing to Redis channels failed");
                        ok = false;
                        break;
                    }
                    Err(_) => {
                        tracing::warn!("subscribing to Redis channels timed out");
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                subscriptions.sink = Some(sink.clone());
            }
            ok.then_some(wanted.len())
        };
        let Some(count) = subscribed else {
            continue;
        };
        if reported {
            tracing::info!(
                channels = count,
                "connected to Redis again; subscriptions restored"
            );
        } else {
            tracing::debug!(channels = count, "subscribed to Redis");
        }
        backoff = Duration::from_millis(100);
        strong.connected.send_replace(true);
        strong.publishing.store(true, Ordering::Relaxed);
        if let Some(receiver) = receiver.upgrade() {
            receiver.connection_changed(true);
        }
        drop(strong);

        let mut ping = tokio::time::interval(PING_EVERY);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping.tick().await;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                message = messages.next() => {
                    let Some(message) = message else { break };
                    let Some(receiver) = receiver.upgrade() else { return };
                    receiver.receive(message.get_channel_name(), message.get_payload_bytes());
                }
                _ = ping.tick() => {
                    let alive = tokio::time::timeout(PING_TIMEOUT, sink.ping::<String>()).await;
                    if !matches!(alive, Ok(Ok(_))) {
                        break;
                    }
                }
            }
        }
        tracing::warn!("lost the Redis subscriber connection; reconnecting");
        reported = true;
        // Ends the connection's task, so that commands still waiting on it fail.
        drop(messages);
        let Some(strong) = bus.upgrade() else {
            return;
        };
        strong.subscriptions.lock().await.sink = None;
        strong.connected.send_replace(false);
        strong.publishing.store(false, Ordering::Relaxed);
        if let Some(receiver) = receiver.upgrade() {
            receiver.connection_changed(false);
        }
    }
}
