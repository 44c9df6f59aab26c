//! Handlers of the calls a hub makes on a client (`ReceiveMessage`, client results).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use erased_serde::Serialize as ErasedSerialize;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::protocol::OwnedValue;

/// The arguments of a call from the hub, still encoded.
#[derive(Debug, Clone, Default)]
pub struct ReceivedArguments {
    values: Vec<OwnedValue>,
}

impl ReceivedArguments {
    /// Arguments as they arrived.
    pub fn new(values: Vec<OwnedValue>) -> Self {
        ReceivedArguments { values }
    }

    /// How many arguments the hub sent.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the hub sent none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Decodes argument `index` into `T`; the error says which argument failed and why.
    pub fn decode<T: DeserializeOwned>(&self, index: usize) -> Result<T, String> {
        let value = self
            .values
            .get(index)
            .ok_or_else(|| format!("argument {index} is missing"))?;
        value
            .decode()
            .map_err(|detail| format!("argument {index}: {detail}"))
    }
}

/// What a handler gives back: `Ok(None)` for a handler without result, `Ok(Some(value))` for a
/// client result, `Err(text)` for a failure (sent to the hub as the Completion's error when it
/// waits for a result).
pub type HandlerResult = Result<Option<Box<dyn ErasedSerialize + Send>>, String>;

/// The future of one handler call.
pub type HandlerFuture = Pin<Box<dyn Future<Output = HandlerResult> + Send + 'static>>;

/// A handler of one client method.
pub type Handler = Arc<dyn Fn(ReceivedArguments) -> HandlerFuture + Send + Sync>;

/// Handlers by client method name (matched ignoring case, as the official clients do).
/// `#[client]` generates the handlers of a client trait's implementation
/// (`ClientHandlers::handlers`); [`Handlers::on`] adds one by hand.
#[derive(Clone, Default)]
pub struct Handlers {
    entries: Vec<(String, Handler)>,
}

impl Handlers {
    /// No handler.
    pub fn new() -> Self {
        Handlers::default()
    }

    /// Adds a handler of `method`.
    pub fn on<F, Fut>(&mut self, method: impl Into<String>, handler: F) -> &mut Self
    where
        F: Fn(ReceivedArguments) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |arguments| Box::pin(handler(arguments)));
        self.entries.push((method.into(), handler));
        self
    }

    /// Adds every handler of `other`.
    pub fn extend(&mut self, other: Handlers) -> &mut Self {
        self.entries.extend(other.entries);
        self
    }

    /// The handlers with their method names, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Handler)> {
        self.entries
            .iter()
            .map(|(name, handler)| (name.as_str(), handler))
    }

    /// How many handlers there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Debug for Handlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|(name, _)| name))
            .finish()
    }
}

/// Generated glue: `Wire<R>: Decode<T>` and `Encode<T>` name the serde bounds of a client
/// trait's types through the receiver type `R`, so that they are checked where the handlers of
/// a receiver are made, not where the trait is declared (a server never decodes what it sends
/// to clients).
#[doc(hidden)]
pub struct Wire<R>(PhantomData<fn() -> R>);

#[doc(hidden)]
pub trait Decode<T> {
    fn decode(arguments: &ReceivedArguments, index: usize) -> Result<T, String>;
}

impl<T: DeserializeOwned, R> Decode<T> for Wire<R> {
    fn decode(arguments: &ReceivedArguments, index: usize) -> Result<T, String> {
        arguments.decode(index)
    }
}

#[doc(hidden)]
pub trait Encode<T> {
    fn encode(value: T) -> HandlerResult;
}

impl<T: Serialize + Send + 'static, R> Encode<T> for Wire<R> {
    fn encode(value: T) -> HandlerResult {
        Ok(Some(Box::new(value)))
    }
}

/// Implemented by `#[client]` on the proxy type of a client trait (`ChatClientProxy`) for every
/// implementation `R` of the trait: the handlers that decode each method's arguments, call `R`
/// and return its client results.
pub trait ClientHandlers<R> {
    /// The handlers of every method of the trait, calling `receiver`.
    fn handlers(receiver: Arc<R>) -> Handlers;
}

impl Handlers {
    /// The handlers of a client trait implemented by `receiver`, the trait named by its proxy
    /// type: `Handlers::of::<ChatClientProxy, _>(MyClient)`.
    pub fn of<P: ClientHandlers<R>, R>(receiver: R) -> Self {
        P::handlers(Arc::new(receiver))
    }
}
