//! What a hub connection reads: bytes split into hub messages, each handed to what handles
//! its type.

use super::ending::End;
use super::sequence::Inbound;
use super::state::{HubConnection, MAX_HANDSHAKE_SIZE};
use crate::protocol::{HubMessage, Messages, Protocol, parse_json_text};

/// Whether the messages after this one can be handled now.
pub(super) enum Flow {
    Continue,
    /// An upload stream's buffer is full: stop until it has room.
    Blocked,
}

impl HubConnection {
    /// Handles `data` after what is left of earlier frames: complete messages now, the rest
    /// later. Stops early, keeping the remaining bytes, when an upload stream is full.
    pub(super) fn receive(&mut self, data: &[u8]) -> Result<(), End> {
        if self.input.is_empty() {
            return self.handle_input(data, None);
        }
        self.input.extend_from_slice(data);
        let buffered = std::mem::take(&mut self.input);
        self.handle_input(&buffered, None)
    }

    /// [`receive`](Self::receive) for a WebSocket text message: when nothing is buffered, its
    /// JSON messages are parsed without checking their UTF-8 again.
    pub(super) fn receive_text(&mut self, text: &str) -> Result<(), End> {
        if !self.input.is_empty() || self.protocol != Protocol::Json {
            return self.receive(text.as_bytes());
        }
        self.handle_input(text.as_bytes(), Some(text))
    }

    /// Handles the complete messages of `bytes` (also given as `text` when known to be UTF-8)
    /// and keeps the rest in `self.input`, which is empty on entry: an unfinished message, or
    /// what follows a message that blocked or used up this poll's budget.
    fn handle_input(&mut self, bytes: &[u8], text: Option<&str>) -> Result<(), End> {
        let max = self.runtime.options.maximum_receive_message_size;
        let mut messages = self.protocol.messages(bytes, max);
        self.input_pending = false;
        let budget = self.budget;
        let handled = self.handle_messages(&mut messages, bytes, text);
        self.runtime
            .metrics
            .received
            .increment((budget - self.budget) as u64);
        handled?;
        self.input.extend_from_slice(messages.rest());
        if self.input.is_empty() && self.input.capacity() > 4 * MAX_HANDSHAKE_SIZE {
            self.input = Vec::new();
        }
        Ok(())
    }

    /// Handles messages until the input, or this poll's budget, runs out, or one blocks.
    fn handle_messages<'a>(
        &mut self,
        messages: &mut Messages<'a>,
        bytes: &'a [u8],
        text: Option<&'a str>,
    ) -> Result<(), End> {
        loop {
            if self.budget == 0 {
                // The rest waits for the next poll of the task.
                self.input_pending = !messages.rest().is_empty();
                break;
            }
            let Some(raw) = messages.next() else {
                break;
            };
            self.budget -= 1;
            let raw = raw.map_err(End::Protocol)?;
            // A message of `text` lies between record separators (ASCII), on character
            // boundaries.
            let start = raw.as_ptr() as usize - bytes.as_ptr() as usize;
            let parsed = match text.and_then(|text| text.get(start..start + raw.len())) {
                Some(raw) => parse_json_text(raw),
                None => self.protocol.parse(raw),
            }
            .map_err(End::Protocol)?;
            if let Some(message) = parsed {
                if let Some(sequencing) = &mut self.sequencing {
                    if let Inbound::Skip = sequencing.received(&message).map_err(End::Protocol)? {
                        continue;
                    }
                }
                if let Flow::Blocked = self.handle_message(message)? {
                    // Keep what follows this message for later.
                    break;
                }
            }
        }
        Ok(())
    }

    fn handle_message(&mut self, message: HubMessage<'_>) -> Result<Flow, End> {
        match message {
            HubMessage::Invocation(invocation) => self.invoke(&invocation, false),
            HubMessage::StreamInvocation(invocation) => self.invoke(&invocation, true),
            HubMessage::StreamItem(item) => {
                return Ok(self.upload_item(&item.invocation_id, item.item));
            }
            HubMessage::Completion(completion) => return Ok(self.client_completion(completion)),
            HubMessage::CancelInvocation { invocation_id } => self.cancel(&invocation_id),
            HubMessage::Close(close) => return Err(End::ClientClosed(close.error)),
            HubMessage::Ping | HubMessage::Ack { .. } | HubMessage::Sequence { .. } => {}
        }
        Ok(Flow::Continue)
    }
}
