//! Stateful reconnect at the transport level (ASP.NET's `IStatefulReconnectFeature`): a
//! WebSocket connection whose socket is lost without a Close frame waits, for the disconnect
//! timeout, for its client to connect again with the same connection token; the new socket then
//! takes the old one's place under the same [`Connection`](super::Connection).

use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use super::frame::Frame;
use super::transport::{Closed, IoFuture, Received, TransportIo};

/// What a connection that may reconnect shares with its endpoint's token table.
#[derive(Default)]
pub(crate) struct Reattach(Mutex<State>);

#[derive(Default)]
struct State {
    /// The connection ended: no socket is welcome any more.
    ended: bool,
    /// A socket the client connected again with, not taken yet.
    offered: Option<Box<dyn TransportIo>>,
    /// The connection's task, to wake when one comes.
    waker: Option<Waker>,
}

impl Reattach {
    /// Hands the connection a new socket: the client connected again with its token, whether
    /// or not the server noticed yet that the old one is lost (the client only reconnects when
    /// it lost it). Gives it back when the connection ended.
    pub(crate) fn offer(&self, io: Box<dyn TransportIo>) -> Result<(), Box<dyn TransportIo>> {
        let mut state = self.0.lock().expect("the reattach lock");
        if state.ended {
            return Err(io);
        }
        state.offered = Some(io);
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
        Ok(())
    }

    /// Whether the connection ended.
    pub(crate) fn has_ended(&self) -> bool {
        self.0.lock().expect("the reattach lock").ended
    }

    /// The socket offered, if any; the task is woken when one comes.
    pub(super) fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Box<dyn TransportIo>> {
        let mut state = self.0.lock().expect("the reattach lock");
        match state.offered.take() {
            Some(io) => Poll::Ready(io),
            None => {
                if !state
                    .waker
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    state.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }

    pub(super) fn end(&self) {
        let mut state = self.0.lock().expect("the reattach lock");
        state.ended = true;
        state.offered = None;
        state.waker = None;
    }
}

/// The transport of a connection whose socket was lost: what is written meanwhile is dropped
/// (the hub layer keeps what it must send again), nothing is read.
pub(super) struct Detached;

impl TransportIo for Detached {
    fn poll_recv(&mut self, _cx: &mut Context<'_>) -> Poll<Received> {
        Poll::Pending
    }

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(&mut self, _frame: Frame) -> Result<(), Closed> {
        Ok(())
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        Poll::Ready(Ok(()))
    }

    fn close(&mut self, _drain: bool) -> IoFuture<'_, ()> {
        Box::pin(async {})
    }

    fn finish(&self) {}
}
