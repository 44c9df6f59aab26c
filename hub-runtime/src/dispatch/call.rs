//! A bound call waiting to run or running: its future, and how it ended.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::bound::{BoxFuture, MethodOutcome};
use crate::model::{HubError, panic_message};
use crate::stream::ServerStream;

/// A bound invocation, ready to run.
pub(crate) struct PendingCall {
    pub(crate) invocation_id: Option<Box<str>>,
    pub(crate) method: &'static str,
    /// Whether it counts toward `maximum_parallel_invocations_per_client`: calls with upload
    /// streams do not, as in ASP.NET Core (they wait on the client, which must not wait on them).
    pub(crate) limited: bool,
    pub(crate) future: BoxFuture<MethodOutcome>,
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

/// How a call ended, with what the client should receive if it waits for a Completion.
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
        // A panicking hub method fails its invocation, never the connection or the server.
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| this.future.as_mut().poll(cx)));
        let outcome = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(outcome)) => outcome,
            Err(panic) => {
                let message = panic_message(panic);
                tracing::error!(method = this.method, %message, "hub method panicked");
                // Later polls must not touch the panicked future again.
                this.future = Box::pin(std::future::pending());
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
