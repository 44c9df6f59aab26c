//! One connection's life: handshake, read loop, invocations, outbound queue, close.

mod handle;
mod queue;
mod run;
mod streams;

pub use handle::ConnectionId;
pub(crate) use handle::{
    ClientReply, CloseReason, ConnectionHandle, EncodedMessage, Frame, random_token,
};
pub(crate) use run::run_connection;
