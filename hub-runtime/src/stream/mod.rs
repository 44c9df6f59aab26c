//! Streams both ways: hub methods that return a `Stream` (server-to-client, `server`),
//! [`ClientStream`] parameters that receive what the client uploads (client-to-server,
//! `upload`), and the scheduler that polls a connection's server streams (`scheduler`).

mod buffer;
mod scheduler;
mod server;
mod upload;

pub use upload::ClientStream;

pub(crate) use scheduler::ServerStreams;
pub(crate) use server::{Driver, ServerStream, StreamEvent};
pub(crate) use upload::StreamInput;

#[doc(hidden)]
pub use server::{StreamFailure, StreamSink, StreamStart};
#[doc(hidden)]
pub use upload::StreamArgs;
