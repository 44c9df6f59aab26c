//! Stateful reconnect in the hub protocol (version 2; ASP.NET's `MessageBuffer`): sequence
//! numbers on the invocation family of messages, in both directions; what was sent kept until
//! the client acknowledges it (within a byte budget, beyond which nothing more is taken from the
//! connection's queue until an Ack), acknowledgements about once a second, and after the client
//! connected again a Sequence message and everything unacknowledged sent again, while its own
//! messages are ignored until its Sequence message and its duplicates dropped.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

use crate::connection::Frame;
use crate::lifetime::frame;
use crate::protocol::{HubMessage, Protocol, ProtocolError};

/// How often what arrived is acknowledged (ASP.NET's timer).
const ACK_INTERVAL: Duration = Duration::from_secs(1);

pub(super) struct Sequencing {
    /// The budget of unacknowledged bytes (`stateful_reconnect_buffer_size`).
    limit: usize,
    /// The sequence id of the last message sent.
    sent: u64,
    /// Sent and not acknowledged, with their sequence ids.
    unacked: VecDeque<(u64, Frame)>,
    unacked_bytes: usize,
    /// Written before anything queued: Acks, and after a reconnect the Sequence message and
    /// what is sent again.
    direct: VecDeque<Frame>,
    /// The sequence id the client's next message has.
    next_received: u64,
    /// The highest sequence id handled.
    latest_received: u64,
    /// The highest sequence id acknowledged.
    acked: u64,
    /// Until the client sent its first message (the JS client's Ping, sent once it counts
    /// messages) or [`START_DELAY`] passed, nothing is taken from the queue.
    started: bool,
    start: Option<Pin<Box<tokio::time::Sleep>>>,
    timer: Pin<Box<tokio::time::Interval>>,
}

/// How long a statefully reconnecting connection waits, after its handshake, for the client's
/// first message before it sends hub messages. The JS client starts counting the messages it
/// receives only after it processed the handshake response; a message that reaches it in the
/// same network read would not be counted, and would come twice after a reconnect. It sends a
/// Ping as soon as it counts; other clients count from the handshake on and wait at most this.
const START_DELAY: Duration = Duration::from_millis(250);

/// What to do with a message the client sent.
pub(super) enum Inbound {
    /// Handle it.
    Handle,
    /// Drop it: a duplicate, or sent before the client's Sequence message.
    Skip,
}

impl Sequencing {
    pub(super) fn new(limit: usize) -> Self {
        let mut timer =
            tokio::time::interval_at(tokio::time::Instant::now() + ACK_INTERVAL, ACK_INTERVAL);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Sequencing {
            limit,
            sent: 0,
            unacked: VecDeque::new(),
            unacked_bytes: 0,
            direct: VecDeque::new(),
            next_received: 1,
            latest_received: 0,
            acked: 0,
            started: false,
            start: Some(Box::pin(tokio::time::sleep(START_DELAY))),
            timer: Box::pin(timer),
        }
    }

    /// Whether the unacknowledged bytes are over the budget: nothing more is taken from the
    /// queue until an Ack.
    pub(super) fn is_full(&self) -> bool {
        !self.started || self.unacked_bytes > self.limit
    }

    /// The next frame to write before the queue's.
    pub(super) fn next_direct(&mut self) -> Option<Frame> {
        self.direct.pop_front()
    }

    pub(super) fn has_direct(&self) -> bool {
        !self.direct.is_empty()
    }

    /// A frame of the queue about to be written: numbered and kept if it is of the invocation
    /// family.
    pub(super) fn sending(&mut self, protocol: Protocol, frame: &Frame) {
        if protocol.is_sequenced(frame.as_bytes()) {
            self.sent += 1;
            self.unacked_bytes += frame.as_bytes().len();
            self.unacked.push_back((self.sent, frame.clone()));
        }
    }

    /// A message from the client: Ack and Sequence are taken here, the others numbered. After
    /// a reconnect, messages before the client's Sequence message count on from where the old
    /// socket left off (as ASP.NET since its fix for a race there).
    pub(super) fn received(&mut self, message: &HubMessage<'_>) -> Result<Inbound, ProtocolError> {
        self.started = true;
        self.start = None;
        match message {
            HubMessage::Ack { sequence_id } => {
                self.ack(*sequence_id);
                Ok(Inbound::Skip)
            }
            HubMessage::Sequence { sequence_id } => {
                if *sequence_id > self.next_received {
                    return Err(ProtocolError::SequenceAhead);
                }
                self.next_received = *sequence_id;
                Ok(Inbound::Skip)
            }
            HubMessage::Invocation(_)
            | HubMessage::StreamInvocation(_)
            | HubMessage::StreamItem(_)
            | HubMessage::Completion(_)
            | HubMessage::CancelInvocation { .. } => {
                let id = self.next_received;
                self.next_received += 1;
                if id <= self.latest_received {
                    return Ok(Inbound::Skip);
                }
                self.latest_received = id;
                Ok(Inbound::Handle)
            }
            HubMessage::Ping | HubMessage::Close(_) => Ok(Inbound::Handle),
        }
    }

    fn ack(&mut self, sequence_id: u64) {
        while let Some((id, frame)) = self.unacked.front() {
            if *id > sequence_id {
                break;
            }
            self.unacked_bytes -= frame.as_bytes().len();
            self.unacked.pop_front();
        }
    }

    /// The client connected again: the Sequence message and every unacknowledged message go
    /// out first.
    pub(super) fn reconnected(&mut self, protocol: Protocol) {
        // An Ack sent while the socket was lost never arrived: acknowledge again.
        self.acked = 0;
        self.direct.clear();
        let first = self.unacked.front().map_or(self.sent + 1, |(id, _)| *id);
        self.direct
            .push_back(frame(protocol, protocol.sequence(first)));
        self.direct
            .extend(self.unacked.iter().map(|(_, frame)| frame.clone()));
    }

    /// About once a second, an Ack of what arrived since the last one.
    pub(super) fn poll_ack(&mut self, cx: &mut Context<'_>, protocol: Protocol) -> bool {
        let mut queued = false;
        if let Some(start) = &mut self.start {
            if start.as_mut().poll(cx).is_ready() {
                self.started = true;
                self.start = None;
                queued = true;
            }
        }
        while self.timer.as_mut().poll_tick(cx).is_ready() {
            if self.latest_received > self.acked {
                self.acked = self.latest_received;
                self.direct
                    .push_back(frame(protocol, protocol.ack(self.latest_received)));
                queued = true;
            }
        }
        queued
    }
}
