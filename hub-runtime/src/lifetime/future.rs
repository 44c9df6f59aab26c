//! The futures a lifetime manager returns: ready at once for the in-memory manager (no
//! allocation), boxed for one that waits on a backplane.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// What a [`HubLifetimeManager`](super::HubLifetimeManager) operation returns: a value ready
/// at once, or a boxed future.
pub struct LifetimeFuture<T>(Inner<T>);

enum Inner<T> {
    Ready(Option<T>),
    Boxed(Pin<Box<dyn Future<Output = T> + Send + 'static>>),
}

impl<T> LifetimeFuture<T> {
    /// A value ready at once.
    pub fn ready(value: T) -> Self {
        LifetimeFuture(Inner::Ready(Some(value)))
    }

    /// A future that runs on.
    pub fn new(future: impl Future<Output = T> + Send + 'static) -> Self {
        LifetimeFuture(Inner::Boxed(Box::pin(future)))
    }
}

impl<T> fmt::Debug for LifetimeFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Inner::Ready(_) => "LifetimeFuture::Ready",
            Inner::Boxed(_) => "LifetimeFuture::Boxed",
        })
    }
}

impl<T> Unpin for LifetimeFuture<T> {}

impl<T> Future for LifetimeFuture<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match &mut self.0 {
            Inner::Ready(value) => Poll::Ready(value.take().expect("polled after completion")),
            Inner::Boxed(future) => future.as_mut().poll(cx),
        }
    }
}
