//! A hub seen from the other side of the wire: the calls a client makes to a hub, and the
//! handlers through which a hub calls the client.
//!
//! `#[hub]` generates, beside the server's dispatch, a typed caller (`ChatHubCaller<C>`) whose
//! methods mirror the hub's: the same argument and return types, the same wire names. Its
//! methods build an [`Invoke`] or a [`StreamCall`], which a [`HubCaller`] (the Rust client's
//! `HubConnection`, with the `client` feature) carries to the server. `#[client]` generates the
//! other direction: [`Handlers`] that decode the arguments of each client method and call an
//! implementation of the client trait. This layer knows nothing of sockets: it is what the
//! generated code targets, so that any connection can carry typed calls.

mod call;
mod error;
mod handlers;

pub use call::{
    Call, CallArguments, CallFuture, HubCaller, HubStream, Invoke, ItemStream, StreamCall, Upload,
    Uploads,
};
pub use error::CallError;
pub use handlers::{
    ClientHandlers, Handler, HandlerFuture, HandlerResult, Handlers, ReceivedArguments,
};

#[doc(hidden)]
pub use handlers::{Decode, Encode, Wire};
