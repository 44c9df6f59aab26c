//! Stateful reconnect on the client's side: the numbering of the messages sent and received,
//! the buffer of what the server has not acknowledged, and the dropping of what arrives twice.
//! It follows ASP.NET's `MessageBuffer` (the JavaScript client's `MessageBuffer.ts`).

use std::collections::VecDeque;

use crate::protocol::{HubMessage, Protocol};

/// What to do with a message that arrived.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Receive {
    /// Handle it.
    Process,
    /// Drop it: a duplicate, or anything before the server's Sequence after a reconnect.
    Skip,
}

/// Why the server's messages cannot be followed.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct SequenceAhead;

/// The sequence state of one connection with stateful reconnect.
#[derive(Debug)]
pub(super) struct MessageBuffer {
    protocol: Protocol,
    /// The byte count from which sending waits for acknowledgements.
    limit: usize,
    /// What was sent and not acknowledged, with each message's sequence id.
    unacked: VecDeque<(u64, Vec<u8>)>,
    unacked_bytes: usize,
    /// How many sequenced messages were sent: the id of the last one.
    sent: u64,
    /// The id the next sequenced message received has.
    next_receiving: u64,
    /// The highest id received and processed.
    latest_received: u64,
    /// `latest_received` as last acknowledged to the server.
    acked_received: u64,
    /// After a reconnect, until the server's Sequence arrives.
    waiting_for_sequence: bool,
}

/// Whether a received message is one of those stateful reconnect numbers.
fn is_sequenced(message: &HubMessage<'_>) -> bool {
    matches!(
        message,
        HubMessage::Invocation(_)
            | HubMessage::StreamItem(_)
            | HubMessage::Completion(_)
            | HubMessage::StreamInvocation(_)
            | HubMessage::CancelInvocation { .. }
    )
}

impl MessageBuffer {
    pub(super) fn new(protocol: Protocol, limit: usize) -> Self {
        MessageBuffer {
            protocol,
            limit,
            unacked: VecDeque::new(),
            unacked_bytes: 0,
            sent: 0,
            next_receiving: 1,
            latest_received: 0,
            acked_received: 0,
            waiting_for_sequence: false,
        }
    }

    /// Records an encoded message about to be sent: a sequenced one is kept until the server
    /// acknowledges it.
    pub(super) fn sending(&mut self, encoded: &[u8]) {
        if !self.protocol.is_sequenced(encoded) {
            return;
        }
        self.sent += 1;
        self.unacked_bytes += encoded.len();
        self.unacked.push_back((self.sent, encoded.to_vec()));
    }

    /// Whether the unacknowledged messages fill the buffer: sending waits for an Ack.
    pub(super) fn is_full(&self) -> bool {
        self.unacked_bytes >= self.limit
    }

    /// The server received every message up to `sequence_id`.
    pub(super) fn ack(&mut self, sequence_id: u64) {
        while let Some((id, message)) = self.unacked.front() {
            if *id > sequence_id {
                break;
            }
            self.unacked_bytes -= message.len();
            self.unacked.pop_front();
        }
    }

    /// Whether to handle a received message; a Sequence resets the numbering.
    pub(super) fn receive(&mut self, message: &HubMessage<'_>) -> Result<Receive, SequenceAhead> {
        if let HubMessage::Sequence { sequence_id } = message {
            if *sequence_id > self.next_receiving {
                return Err(SequenceAhead);
            }
            self.next_receiving = *sequence_id;
            self.waiting_for_sequence = false;
            return Ok(Receive::Skip);
        }
        if self.waiting_for_sequence {
            return Ok(Receive::Skip);
        }
        if !is_sequenced(message) {
            return Ok(Receive::Process);
        }
        let current = self.next_receiving;
        self.next_receiving += 1;
        if current <= self.latest_received {
            return Ok(Receive::Skip);
        }
        self.latest_received = current;
        Ok(Receive::Process)
    }

    /// The Ack to send, when messages arrived since the last one.
    pub(super) fn pending_ack(&mut self) -> Option<Vec<u8>> {
        if self.latest_received == self.acked_received {
            return None;
        }
        self.acked_received = self.latest_received;
        Some(self.protocol.ack(self.latest_received))
    }

    /// The socket was lost: incoming messages wait for the server's Sequence.
    pub(super) fn disconnected(&mut self) {
        self.waiting_for_sequence = true;
    }

    /// What to send on the new socket: a Sequence with the first unacknowledged id, then the
    /// unacknowledged messages.
    pub(super) fn resend(&self) -> Vec<Vec<u8>> {
        let first = self.unacked.front().map_or(self.sent + 1, |(id, _)| *id);
        let mut messages = Vec::with_capacity(self.unacked.len() + 1);
        messages.push(self.protocol.sequence(first));
        messages.extend(self.unacked.iter().map(|(_, message)| message.clone()));
        messages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(protocol: Protocol, encoded: &[u8]) -> HubMessage<'_> {
        let mut messages = protocol.messages(encoded, None);
        let raw = messages.next().unwrap().unwrap();
        protocol.parse(raw).unwrap().unwrap()
    }

    #[test]
    fn numbers_what_it_sends_and_keeps_it_until_acknowledged() {
        for &protocol in Protocol::ALL {
            let mut buffer = MessageBuffer::new(protocol, 1_000);
            let ping = protocol.ping();
            let first = protocol.completion_void("1");
            let second = protocol.completion_void("2");
            buffer.sending(&ping);
            buffer.sending(&first);
            buffer.sending(&second);
            let resend = buffer.resend();
            assert_eq!(resend.len(), 3, "{protocol:?}");
            assert_eq!(resend[0], protocol.sequence(1));
            assert_eq!(resend[1], first);
            buffer.ack(1);
            let resend = buffer.resend();
            assert_eq!(resend, vec![protocol.sequence(2), second.clone()]);
            buffer.ack(2);
            assert_eq!(buffer.resend(), vec![protocol.sequence(3)]);
        }
    }

    #[test]
    fn is_full_from_the_limit_until_an_ack() {
        let protocol = Protocol::Json;
        let message = protocol.completion_void("1");
        let mut buffer = MessageBuffer::new(protocol, message.len() * 2);
        buffer.sending(&message);
        assert!(!buffer.is_full());
        buffer.sending(&message);
        assert!(buffer.is_full());
        buffer.ack(1);
        assert!(!buffer.is_full());
    }

    #[test]
    fn drops_duplicates_after_a_reconnect_and_waits_for_the_sequence() {
        let protocol = Protocol::Json;
        let item = |n: u32| protocol.stream_item("1", &n).unwrap();
        let mut buffer = MessageBuffer::new(protocol, 1_000);
        for n in 1..=3 {
            assert_eq!(
                buffer.receive(&parse(protocol, &item(n))),
                Ok(Receive::Process)
            );
        }
        assert_eq!(buffer.pending_ack(), Some(protocol.ack(3)));
        assert_eq!(buffer.pending_ack(), None);
        buffer.disconnected();
        // Before the Sequence everything is dropped, pings included.
        assert_eq!(
            buffer.receive(&parse(protocol, &item(9))),
            Ok(Receive::Skip)
        );
        assert_eq!(
            buffer.receive(&parse(protocol, &protocol.ping())),
            Ok(Receive::Skip)
        );
        // The server resends from 2: 2 and 3 are duplicates, 4 is new.
        let sequence = protocol.sequence(2);
        assert_eq!(
            buffer.receive(&parse(protocol, &sequence)),
            Ok(Receive::Skip)
        );
        assert_eq!(
            buffer.receive(&parse(protocol, &item(2))),
            Ok(Receive::Skip)
        );
        assert_eq!(
            buffer.receive(&parse(protocol, &item(3))),
            Ok(Receive::Skip)
        );
        assert_eq!(
            buffer.receive(&parse(protocol, &item(4))),
            Ok(Receive::Process)
        );
        assert_eq!(
            buffer.receive(&parse(protocol, &protocol.ping())),
            Ok(Receive::Process)
        );
        // A Sequence beyond what arrived cannot be followed.
        let ahead = protocol.sequence(9);
        assert_eq!(buffer.receive(&parse(protocol, &ahead)), Err(SequenceAhead));
    }
}
