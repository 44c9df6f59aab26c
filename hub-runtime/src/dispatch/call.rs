//! A bound call waiting to run or running: its future, and how it ended.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::bound::{BoxCall, MethodOutcome, Reply};
use super::outcome;
use crate::model::{HubError, panic_message};
use crate::protocol::Protocol;
use crate::stream::ServerStream;

/// A bound invocation, ready to run.
pub(crate) struct PendingCall {
    pub(crate) invocation_id: Option<Box<str>>,
    pub(crate) method: &'static str,
    /// Whether it counts toward `maximum_parallel_invocations_per_client`: calls with upload
    /// streams do not, as in ASP.NET Core (they wait on the client, which must not wait on them).
    pub(crate) limited: bool,
    /// The connection's protocol and whether its error texts are detailed: what the result is
    /// encoded with.
    pub(crate) protocol: Protocol,
    pub(crate) detailed: bool,
    pub(crate) future: BoxCall,
}

impl PendingCall {
    pub(crate) fn invocation_id(&self) -> Option<&str> {
        self.invocation_id.as_deref()
    }
}

/// A bound invocation: a call, or a server-to-client stream.
pub(crate) enum BoundCall {
    Call(PendingCall),
    Stream(ServerStream),
}

/// How a call ended: its result's Completion if its client waits for one, or its error.
pub(crate) struct Finished {
    pub(crate) invocation_id: Option<Box<str>>,
    pub(crate) method: &'static str,
    pub(crate) limited: bool,
    pub(crate) outcome: MethodOutcome,
}

impl Future for PendingCall {
    type Output = Finished;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Finished> {
        let this = &mut *self;
        let reply = Reply {
            protocol: this.protocol,
            invocation_id: this.invocation_id.as_deref(),
            method: this.method,
            detailed: this.detailed,
        };
        let future = &mut this.future;
        // A panicking hub method fails its invocation, never the connection or the server.
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| {
            future.as_mut().poll_outcome(cx, &reply)
        }));
        let outcome = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(outcome)) => outcome,
            Err(panic) => {
                let message = panic_message(panic);
                tracing::error!(method = this.method, %message, "hub method panicked");
                // Later polls must not touch the panicked future again.
                this.future = outcome::call(std::future::pending::<outcome::Returned<()>>());
                Err(HubError::internal("Panic", message))
            }
        };
        Poll::Ready(Finished {
            invocation_id: this.invocation_id.take(),
            method: this.method,
            limited: this.limited,
            outcome,
        })
    }
}
