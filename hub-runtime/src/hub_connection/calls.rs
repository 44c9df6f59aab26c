//! Invocations on a hub connection: binding them, starting them in order within the parallel
//! limit, and their Completions.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

use super::state::{HubConnection, SCANNED_CALLS};
use crate::connection::Frame;
use crate::dispatch::{self, BindContext, Binding, BoundCall, Finished, OpenStreams, PendingCall};
use crate::lifetime::frame;
use crate::protocol::Invocation;

impl HubConnection {
    /// Binds an Invocation or StreamInvocation and runs or queues it; a refused one gets its
    /// error Completion.
    pub(super) fn invoke(&mut self, invocation: &Invocation<'_>, streaming: bool) {
        self.runtime.metrics.invocations.increment(1);
        let options = &self.runtime.options;
        let capacity = options.stream_buffer_capacity;
        let may_run_now = self.connecting.is_none()
            && self.queued.is_empty()
            && self.limited_running < options.maximum_parallel_invocations_per_client;
        let streams_open = self.streams.as_ref().map_or(0, |streams| streams.open())
            + self
                .queued
                .iter()
                .filter(|bound| matches!(bound, BoundCall::Stream(_)))
                .count();
        let limits = self.call.lifetime.limits();
        let open_streams = OpenStreams {
            streams: streams_open,
            max_streams: limits.streams_per_connection,
            uploads: self.uploads.len(),
            max_uploads: limits.uploads_per_connection,
        };
        let HubConnection {
            runtime,
            call,
            uploads,
            ids,
            queued,
            running,
            ..
        } = self;
        let waiting = queued.len() + running.as_ref().map_or(0, |running| running.len());
        // A few calls are looked through; beyond that, `ids` holds every id (see `SCANNED_CALLS`).
        let id_in_use = |id: &str| {
            ids.contains(id)
                || (waiting <= SCANNED_CALLS
                    && (queued.iter().any(|bound| bound_id(bound) == Some(id))
                        || running
                            .iter()
                            .flat_map(|running| running.iter())
                            .any(|call| call.invocation_id() == Some(id))))
        };
        let bound = {
            let uploads = std::cell::RefCell::new(&mut *uploads);
            let mut open = |ids: &[Cow<'_, str>]| {
                let mut uploads = uploads.borrow_mut();
                ids.iter()
                    .map(|id| {
                        let (sender, receiver) = mpsc::channel(capacity);
                        uploads.insert(id.as_ref().into(), sender);
                        receiver
                    })
                    .collect::<VecDeque<_>>()
            };
            let mut close = |ids: &[Cow<'_, str>]| {
                let mut uploads = uploads.borrow_mut();
                for id in ids {
                    uploads.remove(id.as_ref());
                }
            };
            dispatch::bind(
                BindContext {
                    dispatcher: &*runtime.dispatcher,
                    call,
                    protocol: self.protocol,
                    detailed: runtime.options.detailed_errors,
                    filters: &runtime.options.filters,
                    policies: &runtime.options.policies,
                    stream_capacity: capacity,
                    may_run_now,
                    id_in_use: &id_in_use,
                    open: open_streams,
                    open_uploads: &mut open,
                    close_uploads: &mut close,
                },
                invocation,
                streaming,
            )
        };
        match bound {
            Ok(Binding::Ran(completion)) => {
                if let Some(bytes) = completion {
                    self.handle().push_own(frame(self.protocol, bytes));
                }
            }
            Ok(Binding::Bound(call)) => {
                // Stream ids always go in the set (streams are not looked through), call ids
                // once more than `SCANNED_CALLS` wait or run: then all of them.
                let waiting =
                    self.queued.len() + self.running.as_ref().map_or(0, |running| running.len());
                if waiting == SCANNED_CALLS {
                    let HubConnection {
                        ids,
                        queued,
                        running,
                        ..
                    } = self;
                    let calls = running
                        .iter()
                        .flat_map(|running| running.iter())
                        .filter_map(PendingCall::invocation_id);
                    for id in queued.iter().filter_map(bound_id).chain(calls) {
                        ids.insert(id);
                    }
                }
                if waiting >= SCANNED_CALLS || matches!(call, BoundCall::Stream(_)) {
                    if let Some(id) = bound_id(&call) {
                        self.ids.insert(id);
                    }
                }
                // Nothing waits before it: started without a trip through the queue.
                if self.queued.is_empty() && self.may_start(&call, false) {
                    self.start(call);
                } else {
                    self.queued.push_back(call);
                    self.start_queued();
                }
            }
            Err(refusal) => match refusal.invocation_id {
                Some(id) => {
                    let bytes = self.protocol.completion_error(&id, &refusal.error);
                    self.handle().push_own(frame(self.protocol, bytes));
                }
                None => {
                    tracing::debug!(connection_id = %self.handle().id(), error = %refusal.error, "refused a fire-and-forget invocation");
                }
            },
        }
    }

    /// Starts queued calls while a slot is free (streams don't take one), once `on_connected`
    /// finished.
    pub(super) fn start_queued(&mut self) {
        if self.connecting.is_some() {
            return;
        }
        let mut index = 0;
        let mut plain_waiting = false;
        while index < self.queued.len() {
            if !self.may_start(&self.queued[index], plain_waiting) {
                plain_waiting = true;
                index += 1;
                continue;
            }
            if let Some(bound) = self.queued.remove(index) {
                self.start(bound);
            }
        }
    }

    /// Whether a bound call or stream may start (once `on_connected` finished), with plain calls
    /// waiting before it or not: streams and calls with upload streams start at once, plain calls
    /// in order, while a slot is free.
    fn may_start(&self, bound: &BoundCall, plain_waiting: bool) -> bool {
        let limit = self.runtime.options.maximum_parallel_invocations_per_client;
        self.connecting.is_none()
            && match bound {
                BoundCall::Stream(_) => true,
                BoundCall::Call(call) if !call.limited => true,
                BoundCall::Call(_) => !plain_waiting && self.limited_running < limit,
            }
    }

    fn start(&mut self, bound: BoundCall) {
        let mut call = match bound {
            BoundCall::Stream(stream) => {
                self.streams.get_or_insert_default().push(stream);
                return;
            }
            BoundCall::Call(call) => call,
        };
        // Most hub methods finish on their first poll: finish those here, without a task in
        // the running set. The Completion joins this connection's queue, after whatever the
        // call sent to its caller. A call still pending is polled again, with the connection
        // task's waker, after this turn's reading (`poll_started`).
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        if let Poll::Ready(finished) = Pin::new(&mut call).poll(&mut cx) {
            if let Some(frame) = self.completion(finished) {
                self.handle().push_own(frame);
            }
            return;
        }
        if call.limited {
            self.limited_running += 1;
        }
        self.running.get_or_insert_default().started.push_back(call);
    }

    /// The Completion of a finished call, if its client waits for one; its id is free again.
    pub(super) fn completion(&mut self, finished: Finished) -> Option<Frame> {
        if let Some(id) = &finished.invocation_id {
            self.ids.remove(id);
        }
        // A result was encoded when the method returned; an error is encoded here.
        let bytes = match finished.outcome {
            Ok(bytes) => bytes,
            Err(error) => dispatch::completion(
                self.protocol,
                finished.invocation_id.as_deref(),
                finished.method,
                Err::<Option<&()>, _>(error),
                self.runtime.options.detailed_errors,
            ),
        }?;
        Some(frame(self.protocol, bytes))
    }
}

/// The invocation id of a bound call or stream, if it has one.
fn bound_id(bound: &BoundCall) -> Option<&str> {
    match bound {
        BoundCall::Call(call) => call.invocation_id(),
        BoundCall::Stream(stream) => Some(&*stream.invocation_id),
    }
}
