//! Invocation routing: method lookup, argument binding in ASP.NET Core's order, the error texts
//! the SignalR clients expect, the calls a connection runs, and the filters around them.
//!
//! The hub itself is reached through [`Dispatcher`], an object-safe trait, so that everything
//! here is compiled once for all hubs.

mod bind;
mod bound;
mod call;
mod completion;
mod dispatcher;
mod filter;
#[doc(hidden)]
pub mod outcome;

pub use filter::{HubFilter, HubInvocation, InvocationResult, Next};

pub(crate) use bind::{BindContext, Binding, OpenStreams, bind};
pub(crate) use call::{BoundCall, Finished, PendingCall};
pub(crate) use completion::completion;
pub(crate) use dispatcher::Dispatcher;
pub(crate) use filter::{Filters, filter_connected, filter_disconnected};

#[doc(hidden)]
pub use bound::{Bound, BoxCall, BoxFuture, MethodFuture, MethodOutcome, Now, Reply};
