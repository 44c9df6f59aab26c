//! What the generated glue calls to turn a method's return value into a [`MethodOutcome`].

use serde::Serialize;

use super::bound::MethodOutcome;
use crate::model::HubError;
use crate::stream::{StreamFailure, StreamSink};

/// A method that returns nothing.
pub fn unit(_: ()) -> MethodOutcome {
    Ok(None)
}

/// A method that returns a value.
pub fn value<T: Serialize + Send + 'static>(value: T) -> MethodOutcome {
    Ok(Some(Box::new(value)))
}

/// A method that returns `Result<(), E>`.
pub fn fallible_unit<E: Into<HubError>>(result: Result<(), E>) -> MethodOutcome {
    result.map(|()| None).map_err(Into::into)
}

/// A method that returns `Result<T, E>`.
pub fn fallible_value<T: Serialize + Send + 'static, E: Into<HubError>>(
    result: Result<T, E>,
) -> MethodOutcome {
    match result {
        Ok(value) => Ok(Some(Box::new(value))),
        Err(err) => Err(err.into()),
    }
}

/// A method that returns `impl Stream<Item = T>`: forwards its items.
pub async fn stream<S, T>(stream: S, sink: StreamSink) -> Result<(), StreamFailure>
where
    S: futures_util::Stream<Item = T> + Send,
    T: Serialize + Send + 'static,
{
    let mut stream = std::pin::pin!(stream);
    while let Some(item) = futures_util::StreamExt::next(&mut stream).await {
        if !sink.send(item).await {
            break;
        }
    }
    Ok(())
}

/// A method that returns `impl Stream<Item = Result<T, E>>`: an error ends the stream.
pub async fn fallible_stream<S, T, E>(stream: S, sink: StreamSink) -> Result<(), StreamFailure>
where
    S: futures_util::Stream<Item = Result<T, E>> + Send,
    T: Serialize + Send + 'static,
    E: Into<HubError>,
{
    let mut stream = std::pin::pin!(stream);
    while let Some(item) = futures_util::StreamExt::next(&mut stream).await {
        match item {
            Ok(item) => {
                if !sink.send(item).await {
                    break;
                }
            }
            Err(error) => return Err(StreamFailure::new(error.into(), true)),
        }
    }
    Ok(())
}

/// A method that returns `Result<impl Stream<Item = T>, E>`.
pub async fn started_stream<S, T, E>(
    result: Result<S, E>,
    sink: StreamSink,
) -> Result<(), StreamFailure>
where
    S: futures_util::Stream<Item = T> + Send,
    T: Serialize + Send + 'static,
    E: Into<HubError>,
{
    match result {
        Ok(items) => stream(items, sink).await,
        Err(error) => Err(StreamFailure::new(error.into(), false)),
    }
}

/// A method that returns `Result<impl Stream<Item = Result<T, E2>>, E>`.
pub async fn started_fallible_stream<S, T, E, E2>(
    result: Result<S, E>,
    sink: StreamSink,
) -> Result<(), StreamFailure>
where
    S: futures_util::Stream<Item = Result<T, E2>> + Send,
    T: Serialize + Send + 'static,
    E: Into<HubError>,
    E2: Into<HubError>,
{
    match result {
        Ok(items) => fallible_stream(items, sink).await,
        Err(error) => Err(StreamFailure::new(error.into(), false)),
    }
}

/// A lifecycle hook that returns nothing.
pub fn hook_unit(_: ()) -> Result<(), HubError> {
    Ok(())
}

/// A lifecycle hook that returns `Result<(), E>`.
pub fn hook_fallible<E: Into<HubError>>(result: Result<(), E>) -> Result<(), HubError> {
    result.map_err(Into::into)
}
