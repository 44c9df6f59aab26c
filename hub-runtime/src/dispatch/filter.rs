//! Hub filters: code that runs around every hub method invocation and around connect and
//! disconnect (ASP.NET's `IHubFilter`): logging, authorization, rate limits.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::bound::{BoxCall, BoxFuture, MethodFuture, MethodOutcome, Reply};
use crate::lifetime::ConnectionHandle;
use crate::model::HubError;
use crate::protocol::OwnedValue;
use crate::stream::StreamFailure;

/// Runs around hub method invocations and around `on_connected` / `on_disconnected`, in the
/// order the filters were added ([`HubOptions::add_filter`](crate::HubOptions::add_filter)): the
/// first added runs first and sees the others' work as `next`.
///
/// A filter returns the future the runtime runs in place of `next`: `next` itself (the default),
/// a future that does something around awaiting `next`, or one that never awaits it (the call is
/// refused; the method does not run).
///
/// ```
/// use hub_runtime::{HubError, HubFilter, HubInvocation, InvocationResult, Next};
///
/// /// Logs every call and how long it took; refuses `Shutdown` to everybody.
/// struct Audit;
///
/// impl HubFilter for Audit {
///     fn invoke(&self, call: &HubInvocation, next: Next<InvocationResult>) -> Next<InvocationResult> {
///         if call.method() == "Shutdown" {
///             let text = format!("Failed to invoke '{}' because user is unauthorized", call.method());
///             return Next::ready(InvocationResult::failed(HubError::refused(text)));
///         }
///         let method = call.method();
///         Next::new(async move {
///             let started = std::time::Instant::now();
///             let result = next.await;
///             println!("{method} took {:?}, ok: {}", started.elapsed(), result.error().is_none());
///             result
///         })
///     }
/// }
/// ```
pub trait HubFilter: Send + Sync + 'static {
    /// Around one hub method invocation (for a server stream, around the whole stream).
    fn invoke(
        &self,
        invocation: &HubInvocation,
        next: Next<InvocationResult>,
    ) -> Next<InvocationResult> {
        let _ = invocation;
        next
    }

    /// Around `on_connected`; an error refuses the connection.
    fn on_connected(
        &self,
        connection: &ConnectionHandle,
        next: Next<Result<(), HubError>>,
    ) -> Next<Result<(), HubError>> {
        let _ = connection;
        next
    }

    /// Around `on_disconnected`.
    fn on_disconnected(
        &self,
        connection: &ConnectionHandle,
        error: Option<&HubError>,
        next: Next<()>,
    ) -> Next<()> {
        let _ = (connection, error);
        next
    }
}

/// The rest of the chain: the next filter, or the hub method itself. Await it to run it; a
/// filter returns it, or a `Next` of its own.
pub struct Next<T>(Inner<T>);

enum Inner<T> {
    Ready(Option<T>),
    Future(Pin<Box<dyn Future<Output = T> + Send + 'static>>),
    /// Built when first polled: the filters after this one run only if this one awaits it.
    Lazy(Option<Box<dyn FnOnce() -> Next<T> + Send + 'static>>),
}

impl<T> Next<T> {
    /// A future that runs in place of the rest of the chain.
    pub fn new(future: impl Future<Output = T> + Send + 'static) -> Self {
        Next(Inner::Future(Box::pin(future)))
    }

    /// A result at once: the rest of the chain does not run.
    pub fn ready(value: T) -> Self {
        Next(Inner::Ready(Some(value)))
    }

    fn lazy(make: impl FnOnce() -> Next<T> + Send + 'static) -> Self {
        Next(Inner::Lazy(Some(Box::new(make))))
    }
}

impl<T> fmt::Debug for Next<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Next")
    }
}

impl<T> Unpin for Next<T> {}

impl<T> Future for Next<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        loop {
            match &mut self.0 {
                Inner::Ready(value) => {
                    return Poll::Ready(value.take().expect("Next polled after completion"));
                }
                Inner::Future(future) => return future.as_mut().poll(cx),
                Inner::Lazy(make) => {
                    let make = make.take().expect("Next polled after completion");
                    *self = make();
                }
            }
        }
    }
}

/// One hub method invocation, as filters see it.
pub struct HubInvocation {
    method: &'static str,
    invocation_id: Option<Box<str>>,
    streaming: bool,
    connection: Arc<ConnectionHandle>,
    arguments: Vec<OwnedValue>,
}

impl fmt::Debug for HubInvocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubInvocation")
            .field("method", &self.method)
            .field("invocation_id", &self.invocation_id)
            .field("connection", &self.connection.id())
            .finish()
    }
}

impl HubInvocation {
    pub(crate) fn new(
        method: &'static str,
        invocation_id: Option<&str>,
        streaming: bool,
        connection: Arc<ConnectionHandle>,
        arguments: Vec<OwnedValue>,
    ) -> Self {
        HubInvocation {
            method,
            invocation_id: invocation_id.map(Box::from),
            streaming,
            connection,
            arguments,
        }
    }

    /// The method's wire name, as the hub declares it (`SendMessage`).
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The invocation id, absent for a fire-and-forget call.
    pub fn invocation_id(&self) -> Option<&str> {
        self.invocation_id.as_deref()
    }

    /// Whether the method returns a stream.
    pub fn is_stream(&self) -> bool {
        self.streaming
    }

    /// The calling connection.
    pub fn connection(&self) -> &ConnectionHandle {
        &self.connection
    }

    /// The arguments as the client sent them (upload streams excluded); each decodes into
    /// any type with [`OwnedValue::decode`].
    pub fn arguments(&self) -> &[OwnedValue] {
        &self.arguments
    }
}

/// How an invocation ended, as filters see it: the method's result (already encoded for its
/// caller), the end of its stream, or an error.
pub struct InvocationResult(Outcome);

enum Outcome {
    Call(MethodOutcome),
    Stream(Result<(), StreamFailure>),
    Failed(HubError),
}

impl fmt::Debug for InvocationResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.error() {
            Some(error) => f.debug_tuple("InvocationResult::Err").field(error).finish(),
            None => f.write_str("InvocationResult::Ok"),
        }
    }
}

impl InvocationResult {
    /// A failed invocation: the client gets `error` as a method's own failure would give it
    /// ([`HubError::refused`] for a text of its own).
    pub fn failed(error: HubError) -> Self {
        InvocationResult(Outcome::Failed(error))
    }

    /// The error the invocation ended with, if it failed.
    pub fn error(&self) -> Option<&HubError> {
        match &self.0 {
            Outcome::Call(Err(error)) | Outcome::Failed(error) => Some(error),
            Outcome::Stream(Err(failure)) => Some(&failure.error),
            Outcome::Call(Ok(_)) | Outcome::Stream(Ok(())) => None,
        }
    }

    fn into_call(self) -> MethodOutcome {
        match self.0 {
            Outcome::Call(outcome) => outcome,
            Outcome::Failed(error) => Err(error),
            Outcome::Stream(_) => Err(HubError::internal(
                "InvalidOperationException",
                "a filter returned a stream's result for a call",
            )),
        }
    }

    fn into_stream(self) -> Result<(), StreamFailure> {
        match self.0 {
            Outcome::Stream(result) => result,
            Outcome::Failed(error) => Err(StreamFailure::new(error, false)),
            Outcome::Call(_) => Err(StreamFailure::new(
                HubError::internal(
                    "InvalidOperationException",
                    "a filter returned a call's result for a stream",
                ),
                false,
            )),
        }
    }
}

/// The filters of a hub, in the order they were added.
pub(crate) type Filters = Arc<[Arc<dyn HubFilter>]>;

/// Calls one hook of a filter with the rest of the chain.
type Wrap<T> = Arc<dyn Fn(&dyn HubFilter, Next<T>) -> Next<T> + Send + Sync>;

fn chain<T: Send + 'static>(
    filters: Filters,
    index: usize,
    core: Next<T>,
    wrap: Wrap<T>,
) -> Next<T> {
    let Some(filter) = filters.get(index).cloned() else {
        return core;
    };
    let rest = {
        let wrap = wrap.clone();
        Next::lazy(move || chain(filters, index + 1, core, wrap))
    };
    wrap(&*filter, rest)
}

/// A call's future run through the filters. Its result is encoded for `reply` when the method
/// returns, before the filters see how it ended.
pub(crate) fn filter_call(
    filters: &Filters,
    invocation: HubInvocation,
    mut call: BoxCall,
    reply: Reply<'_>,
) -> BoxCall {
    let invocation = Arc::new(invocation);
    let (protocol, detailed) = (reply.protocol, reply.detailed);
    let core = {
        let invocation = invocation.clone();
        Next::new(async move {
            let outcome = std::future::poll_fn(|cx| {
                let reply = Reply {
                    protocol,
                    invocation_id: invocation.invocation_id(),
                    method: invocation.method(),
                    detailed,
                };
                call.as_mut().poll_outcome(cx, &reply)
            })
            .await;
            InvocationResult(Outcome::Call(outcome))
        })
    };
    let wrap = Arc::new(move |filter: &dyn HubFilter, next| filter.invoke(&invocation, next));
    Box::pin(Filtered(chain(filters.clone(), 0, core, wrap)))
}

/// A call run through the filters: its result was encoded inside the chain.
struct Filtered(Next<InvocationResult>);

impl MethodFuture for Filtered {
    fn poll_outcome(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _: &Reply<'_>,
    ) -> Poll<MethodOutcome> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(InvocationResult::into_call)
    }
}

/// A server stream's driver run through the filters.
pub(crate) fn filter_stream(
    filters: &Filters,
    invocation: HubInvocation,
    driver: crate::stream::Driver,
) -> crate::stream::Driver {
    let invocation = Arc::new(invocation);
    let core = Next::new(async move { InvocationResult(Outcome::Stream(driver.await)) });
    let wrap = Arc::new(move |filter: &dyn HubFilter, next| filter.invoke(&invocation, next));
    let chained = chain(filters.clone(), 0, core, wrap);
    Box::pin(async move { chained.await.into_stream() })
}

/// `on_connected` run through the filters.
pub(crate) fn filter_connected(
    filters: &Filters,
    connection: Arc<ConnectionHandle>,
    hook: BoxFuture<Result<(), HubError>>,
) -> BoxFuture<Result<(), HubError>> {
    if filters.is_empty() {
        return hook;
    }
    let wrap = Arc::new(move |filter: &dyn HubFilter, next| filter.on_connected(&connection, next));
    Box::pin(chain(filters.clone(), 0, Next::new(hook), wrap))
}

/// `on_disconnected` run through the filters.
pub(crate) fn filter_disconnected(
    filters: &Filters,
    connection: Arc<ConnectionHandle>,
    error: Option<HubError>,
    hook: BoxFuture<()>,
) -> BoxFuture<()> {
    if filters.is_empty() {
        return hook;
    }
    let wrap = Arc::new(move |filter: &dyn HubFilter, next| {
        filter.on_disconnected(&connection, error.as_ref(), next)
    });
    Box::pin(chain(filters.clone(), 0, Next::new(hook), wrap))
}
