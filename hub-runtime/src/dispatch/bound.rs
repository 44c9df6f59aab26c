//! The contract between the code `#[hub]` generates and the runtime: what binding a method's
//! arguments gives.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde::Serialize;

use super::completion::{completion, result_completion};
use crate::model::{HubError, IntoHubError};
use crate::protocol::Protocol;
use crate::stream::StreamStart;

/// A future of a hub method, boxed so that every method of a hub has one type.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// How a hub method's call ended: the Completion of its result, already encoded for its caller
/// (`None` when nobody waits for one), or its error, which the runtime encodes (and logs).
pub type MethodOutcome = Result<Option<Vec<u8>>, HubError>;

/// A hub method's call, boxed so that every method of a hub has one type.
pub type BoxCall = Pin<Box<dyn MethodFuture>>;

/// A hub method's call, bound to its arguments: polled to its end, it encodes the method's
/// result from the returned value's own type, for the invocation its [`Reply`] names (no boxed
/// value, no erased serializer). Built by [`outcome::call`](super::outcome::call).
pub trait MethodFuture: Send {
    /// Polls the method; once it returned, its outcome.
    fn poll_outcome(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        reply: &Reply<'_>,
    ) -> Poll<MethodOutcome>;
}

/// What a call's result is encoded for: the connection's protocol and the invocation.
#[derive(Clone, Copy)]
pub struct Reply<'a> {
    pub(crate) protocol: Protocol,
    pub(crate) invocation_id: Option<&'a str>,
    pub(crate) method: &'static str,
    pub(crate) detailed: bool,
}

impl Reply<'_> {
    /// The Completion of a call that returned `value` (`None`: nothing), if its client waits for
    /// one.
    pub(crate) fn result<T: Serialize + ?Sized>(&self, value: Option<&T>) -> Option<Vec<u8>> {
        let id = self.invocation_id?;
        Some(result_completion(
            self.protocol,
            id,
            self.method,
            value,
            self.detailed,
        ))
    }

    /// The Completion of a call that ended with `outcome`, if its client waits for one (a
    /// fire-and-forget call's failure is logged).
    pub(crate) fn completion<T: Serialize + ?Sized>(
        &self,
        outcome: Result<Option<&T>, HubError>,
    ) -> Option<Vec<u8>> {
        completion(
            self.protocol,
            self.invocation_id,
            self.method,
            outcome,
            self.detailed,
        )
    }
}

/// A hub method bound to its arguments, ready to run.
pub enum Bound {
    /// A method that returns one result.
    Call(BoxCall),
    /// A method that returns a stream: the future that drives it, and its items.
    Stream(StreamStart),
    /// A synchronous method that ran while it was bound (see [`Now`]): its Completion.
    Ran(Ran),
}

/// The encoded Completion of a method that already ran, if its client waits for one.
pub struct Ran(pub(crate) Option<Vec<u8>>);

/// Lets a synchronous method run while it is bound, when nothing is queued before it and a
/// slot is free: its result is encoded at once, with no future, no task slot and no boxed
/// value. Given to the binding code only when every check that follows binding passed.
pub struct Now<'a>(pub(crate) Reply<'a>);

impl Now<'_> {
    /// A method that returned nothing.
    pub fn unit(self, (): ()) -> Bound {
        self.finish(Ok(None::<&()>))
    }

    /// A method that returned a value.
    pub fn value<T: Serialize + ?Sized>(self, value: &T) -> Bound {
        self.finish(Ok(Some(value)))
    }

    /// A method that returned `Result<(), E>`.
    pub fn fallible_unit<E: IntoHubError<M>, M>(self, result: Result<(), E>) -> Bound {
        self.finish(result.map(|()| None::<&()>).map_err(E::into_hub_error))
    }

    /// A method that returned `Result<T, E>`.
    pub fn fallible_value<T: Serialize, E: IntoHubError<M>, M>(
        self,
        result: Result<T, E>,
    ) -> Bound {
        match result {
            Ok(value) => self.value(&value),
            Err(error) => self.finish(Err::<Option<&()>, _>(error.into_hub_error())),
        }
    }

    fn finish<T: Serialize + ?Sized>(self, outcome: Result<Option<&T>, HubError>) -> Bound {
        Bound::Ran(Ran(self.0.completion(outcome)))
    }
}
