//! What the client sends besides invocations: upload stream items, Completions (of upload
//! streams and of client results), cancellations of its server streams.

use tokio::sync::mpsc;

use super::input::Flow;
use super::state::HubConnection;
use crate::dispatch::BoundCall;
use crate::protocol::{Completion, CompletionBody, EncodedValue, OwnedValue};
use crate::stream::StreamInput;

impl HubConnection {
    /// An item of an upload stream: into its buffer, or wait for room.
    pub(super) fn upload_item(&mut self, stream_id: &str, item: EncodedValue<'_>) -> Flow {
        let Some(sender) = self.uploads.get(stream_id) else {
            tracing::debug!(connection_id = %self.handle().id(), stream_id, "item for an unknown stream ignored");
            return Flow::Continue;
        };
        match sender.try_send(StreamInput::Item(item.to_owned_value())) {
            Ok(()) => Flow::Continue,
            Err(mpsc::error::TrySendError::Full(input)) => {
                let sender = sender.clone();
                self.blocked = Some(Box::pin(async move {
                    let _ = sender.send(input).await;
                }));
                Flow::Blocked
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                // The hub method stopped reading this stream.
                self.uploads.remove(stream_id);
                Flow::Continue
            }
        }
    }

    /// A Completion from the client: the end of an upload stream, or a client result.
    pub(super) fn client_completion(&mut self, completion: Completion<'_>) -> Flow {
        let id = &*completion.invocation_id;
        if let Some(sender) = self.uploads.remove(id) {
            if let CompletionBody::Error(error) = completion.body {
                let input = StreamInput::Error(error.into_owned());
                if let Err(mpsc::error::TrySendError::Full(input)) = sender.try_send(input) {
                    self.blocked = Some(Box::pin(async move {
                        let _ = sender.send(input).await;
                    }));
                    return Flow::Blocked;
                }
            }
            return Flow::Continue;
        }
        let reply = match completion.body {
            CompletionBody::Result(value) => Ok(value.to_owned_value()),
            CompletionBody::Void => Ok(OwnedValue::null()),
            CompletionBody::Error(error) => Err(error.into_owned()),
        };
        let manager = self.call.lifetime.manager();
        if !manager.set_connection_result(self.handle(), id, reply) {
            tracing::debug!(connection_id = %self.handle().id(), invocation_id = id, "completion for an unknown invocation ignored");
        }
        Flow::Continue
    }

    /// The client cancelled one of its server streams.
    pub(super) fn cancel(&mut self, invocation_id: &str) {
        if let Some(streams) = &mut self.streams {
            streams.cancel(invocation_id);
        }
        for bound in self.queued.iter_mut() {
            if let BoundCall::Stream(stream) = bound {
                if &*stream.invocation_id == invocation_id {
                    stream.cancel();
                }
            }
        }
    }
}
