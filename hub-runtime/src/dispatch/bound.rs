//! The contract between the code `#[hub]` generates and the runtime: what binding a method's
//! arguments gives.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

use super::completion::completion;
use crate::model::{HubError, IntoHubError};
use crate::protocol::Protocol;
use crate::stream::StreamStart;

/// A future of a hub method, boxed so that every method of a hub has one type.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A hub method's result before encoding: nothing (void), a value, or an error.
pub type MethodOutcome = Result<Option<Box<dyn erased_serde::Serialize + Send>>, HubError>;

/// A hub method bound to its arguments, ready to run.
pub enum Bound {
    /// A method that returns one result.
    Call(BoxFuture<MethodOutcome>),
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
pub struct Now<'a> {
    pub(crate) protocol: Protocol,
    pub(crate) invocation_id: Option<&'a str>,
    pub(crate) method: &'static str,
    pub(crate) detailed: bool,
}

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
        Bound::Ran(Ran(completion(
            self.protocol,
            self.invocation_id,
            self.method,
            outcome,
            self.detailed,
        )))
    }
}
