//! Calls to hub methods: the [`HubCaller`] a connection implements, and the typed calls that
//! generated callers build.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use erased_serde::Serialize as ErasedSerialize;
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::CallError;
use crate::protocol::OwnedValue;

/// A future a [`HubCaller`] returns: it owns what it needs.
pub type CallFuture<T> = Pin<Box<dyn Future<Output = Result<T, CallError>> + Send + 'static>>;

/// One stream a client uploads to a hub method (a `ClientStream<T>` parameter), its items
/// type-erased.
pub type Upload = Pin<Box<dyn Stream<Item = Box<dyn ErasedSerialize + Send>> + Send + 'static>>;

/// The items of a server stream as they arrive, still encoded; dropping it cancels the stream.
pub type ItemStream = Pin<Box<dyn Stream<Item = Result<OwnedValue, CallError>> + Send + 'static>>;

/// One call to a hub method, as a [`HubCaller`] receives it.
#[non_exhaustive]
pub struct Call<'a> {
    /// The method's wire name (`SendMessage`).
    pub target: &'a str,
    /// The arguments, in order.
    pub arguments: &'a [&'a dyn ErasedSerialize],
    /// The streams uploaded to the method's `ClientStream` parameters, in order.
    pub uploads: Vec<Upload>,
}

impl<'a> Call<'a> {
    /// A call of `target` with `arguments` and `uploads`.
    pub fn new(
        target: &'a str,
        arguments: &'a [&'a dyn ErasedSerialize],
        uploads: Vec<Upload>,
    ) -> Self {
        Call {
            target,
            arguments,
            uploads,
        }
    }
}

impl fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("target", &self.target)
            .field("arguments", &self.arguments.len())
            .field("uploads", &self.uploads.len())
            .finish()
    }
}

/// What carries calls to a hub: the Rust client's `HubConnection` implements it. Generated
/// callers (`ChatHubCaller<C>`) call these methods; the encoding of the arguments happens in
/// the call itself (the returned futures own what they need).
pub trait HubCaller: Send + Sync {
    /// Invokes a method and waits for its Completion: the result, still encoded (JSON `null`
    /// for a method without result).
    fn invoke(&self, call: Call<'_>) -> CallFuture<OwnedValue>;

    /// Sends a method call without waiting for anything: completes once the call is queued.
    fn send(&self, call: Call<'_>) -> CallFuture<()>;

    /// Starts a streaming method; its items arrive on the returned stream, which ends with the
    /// stream's Completion. Dropping it cancels the stream (a CancelInvocation).
    fn stream(&self, call: Call<'_>) -> Result<ItemStream, CallError>;
}

impl<C: HubCaller + ?Sized> HubCaller for &C {
    fn invoke(&self, call: Call<'_>) -> CallFuture<OwnedValue> {
        (**self).invoke(call)
    }
    fn send(&self, call: Call<'_>) -> CallFuture<()> {
        (**self).send(call)
    }
    fn stream(&self, call: Call<'_>) -> Result<ItemStream, CallError> {
        (**self).stream(call)
    }
}

impl<C: HubCaller + ?Sized> HubCaller for Arc<C> {
    fn invoke(&self, call: Call<'_>) -> CallFuture<OwnedValue> {
        (**self).invoke(call)
    }
    fn send(&self, call: Call<'_>) -> CallFuture<()> {
        (**self).send(call)
    }
    fn stream(&self, call: Call<'_>) -> Result<ItemStream, CallError> {
        (**self).stream(call)
    }
}

/// The arguments of a call, as a tuple of the method's parameter types in order (`()` for none).
pub trait CallArguments {
    /// Each argument, in order.
    fn arguments(&self) -> Vec<&dyn ErasedSerialize>;
}

macro_rules! tuple_arguments {
    ($($name:ident . $index:tt),*) => {
        impl<$($name: Serialize),*> CallArguments for ($($name,)*) {
            fn arguments(&self) -> Vec<&dyn ErasedSerialize> {
                vec![$(&self.$index as &dyn ErasedSerialize),*]
            }
        }
    };
}

tuple_arguments!();
tuple_arguments!(A0.0);
tuple_arguments!(A0.0, A1.1);
tuple_arguments!(A0.0, A1.1, A2.2);
tuple_arguments!(A0.0, A1.1, A2.2, A3.3);
tuple_arguments!(A0.0, A1.1, A2.2, A3.3, A4.4);
tuple_arguments!(A0.0, A1.1, A2.2, A3.3, A4.4, A5.5);
tuple_arguments!(A0.0, A1.1, A2.2, A3.3, A4.4, A5.5, A6.6);
tuple_arguments!(A0.0, A1.1, A2.2, A3.3, A4.4, A5.5, A6.6, A7.7);
tuple_arguments!(A0.0, A1.1, A2.2, A3.3, A4.4, A5.5, A6.6, A7.7, A8.8);
tuple_arguments!(A0.0, A1.1, A2.2, A3.3, A4.4, A5.5, A6.6, A7.7, A8.8, A9.9);
tuple_arguments!(
    A0.0, A1.1, A2.2, A3.3, A4.4, A5.5, A6.6, A7.7, A8.8, A9.9, A10.10
);
tuple_arguments!(
    A0.0, A1.1, A2.2, A3.3, A4.4, A5.5, A6.6, A7.7, A8.8, A9.9, A10.10, A11.11
);

/// The streams a call uploads, as a tuple of streams in parameter order (`()` for none).
pub trait Uploads {
    /// Each stream, its items type-erased.
    fn into_uploads(self) -> Vec<Upload>;
}

fn upload<S>(stream: S) -> Upload
where
    S: Stream + Send + 'static,
    S::Item: Serialize + Send + 'static,
{
    Box::pin(stream.map(|item| Box::new(item) as Box<dyn ErasedSerialize + Send>))
}

macro_rules! tuple_uploads {
    ($($name:ident . $index:tt),*) => {
        impl<$($name),*> Uploads for ($($name,)*)
        where
            $($name: Stream + Send + 'static, $name::Item: Serialize + Send + 'static,)*
        {
            fn into_uploads(self) -> Vec<Upload> {
                vec![$(upload(self.$index)),*]
            }
        }
    };
}

impl Uploads for () {
    fn into_uploads(self) -> Vec<Upload> {
        Vec::new()
    }
}
tuple_uploads!(S0.0);
tuple_uploads!(S0.0, S1.1);
tuple_uploads!(S0.0, S1.1, S2.2);
tuple_uploads!(S0.0, S1.1, S2.2, S3.3);

/// A call of a hub method that completes with a value of type `R`: `.await` it to invoke the
/// method and get the result, or call [`send`](Invoke::send) to send it without waiting.
///
/// Built by generated callers (`ChatHubCaller::send_message`); `A` is the tuple of the
/// arguments, `U` the tuple of the uploaded streams. Nothing is sent until it is awaited.
#[must_use = "a call does nothing until it is awaited (`.await` invokes, `.send().await` sends)"]
pub struct Invoke<'c, C, A, R, U = ()> {
    caller: &'c C,
    target: &'static str,
    arguments: A,
    uploads: U,
    result: PhantomData<fn() -> R>,
}

impl<'c, C, A, R, U> Invoke<'c, C, A, R, U> {
    /// A call of `target` through `caller`.
    pub fn new(caller: &'c C, target: &'static str, arguments: A, uploads: U) -> Self {
        Invoke {
            caller,
            target,
            arguments,
            uploads,
            result: PhantomData,
        }
    }

    /// The method's wire name.
    pub fn target(&self) -> &'static str {
        self.target
    }
}

impl<C: HubCaller, A: CallArguments, R, U: Uploads> Invoke<'_, C, A, R, U> {
    /// Sends the call without waiting for its completion (SignalR's `send`): the future
    /// completes once the call is queued; the hub's result or error is not reported.
    pub fn send(self) -> CallFuture<()> {
        let arguments = self.arguments.arguments();
        self.caller.send(Call::new(
            self.target,
            &arguments,
            self.uploads.into_uploads(),
        ))
    }
}

impl<C, A, R, U> IntoFuture for Invoke<'_, C, A, R, U>
where
    C: HubCaller,
    A: CallArguments,
    R: DeserializeOwned + Send + 'static,
    U: Uploads,
{
    type Output = Result<R, CallError>;
    type IntoFuture = CallFuture<R>;

    fn into_future(self) -> Self::IntoFuture {
        let arguments = self.arguments.arguments();
        let pending = self.caller.invoke(Call::new(
            self.target,
            &arguments,
            self.uploads.into_uploads(),
        ));
        Box::pin(async move { pending.await?.decode::<R>().map_err(CallError::Decode) })
    }
}

impl<C, A, R, U> fmt::Debug for Invoke<'_, C, A, R, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invoke")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// A call of a streaming hub method whose items are `T`: `.await` it to start the stream.
#[must_use = "a stream call does nothing until it is awaited"]
pub struct StreamCall<'c, C, A, T, U = ()> {
    caller: &'c C,
    target: &'static str,
    arguments: A,
    uploads: U,
    item: PhantomData<fn() -> T>,
}

impl<'c, C, A, T, U> StreamCall<'c, C, A, T, U> {
    /// A stream call of `target` through `caller`.
    pub fn new(caller: &'c C, target: &'static str, arguments: A, uploads: U) -> Self {
        StreamCall {
            caller,
            target,
            arguments,
            uploads,
            item: PhantomData,
        }
    }

    /// The method's wire name.
    pub fn target(&self) -> &'static str {
        self.target
    }
}

impl<C, A, T, U> IntoFuture for StreamCall<'_, C, A, T, U>
where
    C: HubCaller,
    A: CallArguments,
    T: DeserializeOwned + Send + 'static,
    U: Uploads,
{
    type Output = Result<HubStream<T>, CallError>;
    type IntoFuture = CallFuture<HubStream<T>>;

    fn into_future(self) -> Self::IntoFuture {
        let arguments = self.arguments.arguments();
        let started = self.caller.stream(Call::new(
            self.target,
            &arguments,
            self.uploads.into_uploads(),
        ));
        Box::pin(std::future::ready(started.map(HubStream::new)))
    }
}

impl<C, A, T, U> fmt::Debug for StreamCall<'_, C, A, T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamCall")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// The items of a server stream, decoded into `T`. It ends when the hub completes the stream
/// (an error completion is the last item, `Err(CallError::Hub(..))`); dropping it before cancels
/// the stream on the server.
pub struct HubStream<T> {
    items: ItemStream,
    item: PhantomData<fn() -> T>,
}

impl<T> HubStream<T> {
    /// Decodes the items of `items`.
    pub fn new(items: ItemStream) -> Self {
        HubStream {
            items,
            item: PhantomData,
        }
    }
}

impl<T: DeserializeOwned> Stream for HubStream<T> {
    type Item = Result<T, CallError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.items.as_mut().poll_next(cx).map(|item| {
            item.map(|item| item.and_then(|value| value.decode().map_err(CallError::Decode)))
        })
    }
}

impl<T> fmt::Debug for HubStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubStream").finish_non_exhaustive()
    }
}
