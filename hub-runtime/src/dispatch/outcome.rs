//! What the generated glue calls to turn a method's return value into its outcome.
//!
//! The error of a fallible method or hook is anything [`IntoHubError`] accepts; the type parameter
//! `M` of the functions below only tells its implementations apart and is always inferred.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde::Serialize;

use super::bound::{BoxCall, MethodFuture, MethodOutcome, Reply};
use crate::model::{HubError, IntoHubError};
use crate::stream::{StreamFailure, StreamSink};

/// A method's return value as [`call`] takes it: nothing (`None`), a value, or an error, with
/// the function that encodes the value. The functions below build it, and check there that the
/// value is `Serialize` (so that a type that is not is reported once, on the method's return
/// type).
pub struct Returned<T> {
    value: Result<Option<T>, HubError>,
    encode: Encode<T>,
}

/// Encodes a returned value as its invocation's Completion.
type Encode<T> = fn(&Reply<'_>, Option<&T>) -> Option<Vec<u8>>;

fn encode<T: Serialize>(reply: &Reply<'_>, value: Option<&T>) -> Option<Vec<u8>> {
    reply.result(value)
}

/// A method that returns one result: its future, which ends with the return value converted by
/// one of the functions below. The value is encoded when the future is ready, from its own type.
pub fn call<F, T>(future: F) -> BoxCall
where
    F: Future<Output = Returned<T>> + Send + 'static,
{
    Box::pin(Call { future })
}

pin_project_lite::pin_project! {
    /// A method's future whose value is encoded as it is returned.
    struct Call<F> {
        #[pin]
        future: F,
    }
}

impl<F, T> MethodFuture for Call<F>
where
    F: Future<Output = Returned<T>> + Send,
{
    fn poll_outcome(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        reply: &Reply<'_>,
    ) -> Poll<MethodOutcome> {
        self.project().future.poll(cx).map(|returned| {
            let encode = returned.encode;
            returned.value.map(|value| encode(reply, value.as_ref()))
        })
    }
}

/// A method that returns nothing.
pub fn unit(_: ()) -> Returned<()> {
    Returned {
        value: Ok(None),
        encode: encode::<()>,
    }
}

/// A method that returns a value.
pub fn value<T: Serialize + Send + 'static>(value: T) -> Returned<T> {
    Returned {
        value: Ok(Some(value)),
        encode: encode::<T>,
    }
}

/// A method that returns `Result<(), E>`.
pub fn fallible_unit<E: IntoHubError<M>, M>(result: Result<(), E>) -> Returned<()> {
    Returned {
        value: result.map(|()| None).map_err(E::into_hub_error),
        encode: encode::<()>,
    }
}

/// A method that returns `Result<T, E>`.
pub fn fallible_value<T: Serialize + Send + 'static, E: IntoHubError<M>, M>(
    result: Result<T, E>,
) -> Returned<T> {
    Returned {
        value: result.map(Some).map_err(E::into_hub_error),
        encode: encode::<T>,
    }
}

/// The future that forwards the items of a server stream. Boxed rather than `async fn`, so that an
/// unsatisfied bound of the functions below is reported once, on the type the generated code
/// names in their turbofish (an `async fn` repeats it on the call and on its `.await`).
pub type Forwarding<'a> = Pin<Box<dyn Future<Output = Result<(), StreamFailure>> + Send + 'a>>;

/// A method that returns `impl Stream<Item = T>`: forwards its items.
pub fn stream<'a, S, T>(stream: S, sink: StreamSink) -> Forwarding<'a>
where
    S: futures_util::Stream<Item = T> + Send + 'a,
    T: Serialize + Send + 'static,
{
    Box::pin(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = futures_util::StreamExt::next(&mut stream).await {
            if !sink.send(item).await {
                break;
            }
        }
        Ok(())
    })
}

/// A method that returns `impl Stream<Item = Result<T, E>>`: an error ends the stream.
pub fn fallible_stream<'a, S, T, E, M>(stream: S, sink: StreamSink) -> Forwarding<'a>
where
    S: futures_util::Stream<Item = Result<T, E>> + Send + 'a,
    T: Serialize + Send + 'static,
    E: IntoHubError<M>,
{
    Box::pin(async move {
        let mut stream = std::pin::pin!(stream);
        loop {
            // An error is converted at once, so it need not be `Send`.
            let item = match futures_util::StreamExt::next(&mut stream).await {
                None => break,
                Some(Ok(item)) => item,
                Some(Err(error)) => {
                    return Err(StreamFailure::new(error.into_hub_error(), true));
                }
            };
            if !sink.send(item).await {
                break;
            }
        }
        Ok(())
    })
}

/// A method that returns `Result<impl Stream<Item = T>, E>`.
pub fn started_stream<'a, S, T, E, M>(result: Result<S, E>, sink: StreamSink) -> Forwarding<'a>
where
    S: futures_util::Stream<Item = T> + Send + 'a,
    T: Serialize + Send + 'static,
    E: IntoHubError<M>,
{
    match result {
        Ok(items) => stream(items, sink),
        Err(error) => failed_start(error.into_hub_error()),
    }
}

/// A method that returns `Result<impl Stream<Item = Result<T, E2>>, E>`.
pub fn started_fallible_stream<'a, S, T, E, M, E2, M2>(
    result: Result<S, E>,
    sink: StreamSink,
) -> Forwarding<'a>
where
    S: futures_util::Stream<Item = Result<T, E2>> + Send + 'a,
    T: Serialize + Send + 'static,
    E: IntoHubError<M>,
    E2: IntoHubError<M2>,
{
    match result {
        Ok(items) => fallible_stream(items, sink),
        Err(error) => failed_start(error.into_hub_error()),
    }
}

/// A stream that failed to start: no item, and its error.
fn failed_start<'a>(error: HubError) -> Forwarding<'a> {
    Box::pin(std::future::ready(Err(StreamFailure::new(error, false))))
}

/// A lifecycle hook that returns nothing.
pub fn hook_unit(_: ()) -> Result<(), HubError> {
    Ok(())
}

/// A lifecycle hook that returns `Result<(), E>`.
pub fn hook_fallible<E: IntoHubError<M>, M>(result: Result<(), E>) -> Result<(), HubError> {
    result.map_err(E::into_hub_error)
}
