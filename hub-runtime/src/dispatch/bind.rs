//! Binding an invocation: the method lookup, the checks in ASP.NET Core's order, the arguments,
//! and the error texts the SignalR clients expect.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;

use tokio::sync::mpsc;

use super::bound::{Bound, Now, Ran, Reply};
use super::call::{BoundCall, PendingCall};
use super::dispatcher::Dispatcher;
use super::filter::{Filters, HubInvocation, filter_call, filter_stream};
use crate::connection::Access;
use crate::lifetime::CallContext;
use crate::model::{HubError, MethodCall, Policies, authorize, find_method, panic_message};
use crate::protocol::{Invocation, Protocol};
use crate::stream::{ServerStream, StreamArgs, StreamInput};

/// Why an invocation was refused before it ran: the text of the Completion error.
pub(crate) struct Refusal {
    pub(crate) invocation_id: Option<Box<str>>,
    pub(crate) error: String,
}

/// The receivers of an invocation's upload streams, in order.
pub(crate) type UploadReceivers = VecDeque<mpsc::Receiver<StreamInput>>;

/// What [`bind`] needs of the connection, besides the message.
pub(crate) struct BindContext<'a> {
    pub(crate) dispatcher: &'a dyn Dispatcher,
    pub(crate) call: &'a CallContext,
    pub(crate) protocol: Protocol,
    pub(crate) detailed: bool,
    pub(crate) filters: &'a Filters,
    /// The named authorization policies.
    pub(crate) policies: &'a Policies,
    /// How many items of an upload stream may wait for the method.
    pub(crate) stream_capacity: usize,
    /// Whether the call may run at once: nothing waits before it and a slot is free.
    pub(crate) may_run_now: bool,
    /// Whether an invocation id is taken by a call or stream still running.
    pub(crate) id_in_use: &'a dyn Fn(&str) -> bool,
    /// How many server streams and upload streams the connection has open, and the most it
    /// may.
    pub(crate) open: OpenStreams,
    /// Opens the upload streams named by `streamIds`.
    pub(crate) open_uploads: &'a mut dyn FnMut(&[Cow<'_, str>]) -> UploadReceivers,
    /// Closes them again when binding fails.
    pub(crate) close_uploads: &'a mut dyn FnMut(&[Cow<'_, str>]),
}

/// The streams a connection has open, and its limits.
#[derive(Clone, Copy)]
pub(crate) struct OpenStreams {
    pub(crate) streams: usize,
    pub(crate) max_streams: usize,
    pub(crate) uploads: usize,
    pub(crate) max_uploads: usize,
}

/// What binding an invocation gave.
pub(crate) enum Binding {
    /// A synchronous method ran while it was bound: its Completion, if the client waits for one.
    Ran(Option<Vec<u8>>),
    /// A call or stream to run.
    Bound(BoundCall),
}

/// Looks the target up, checks the invocation kind and streams, binds the arguments.
pub(crate) fn bind(
    cx: BindContext<'_>,
    invocation: &Invocation<'_>,
    streaming: bool,
) -> Result<Binding, Refusal> {
    let refuse = |error: String| Refusal {
        invocation_id: invocation.invocation_id.as_deref().map(Box::from),
        error,
    };
    let binding_failure = |name: &str, detail: &str| {
        let prefix = format!("Failed to invoke '{name}' due to an error on the server.");
        refuse(if cx.detailed {
            format!("{prefix} InvalidDataException: {detail}")
        } else {
            prefix
        })
    };
    let Some((index, info)) = find_method(cx.dispatcher.methods(), &invocation.target) else {
        return Err(refuse(format!(
            "Failed to invoke '{}' due to an error on the server. HubException: Method does not exist.",
            invocation.target
        )));
    };
    let name = info.name;
    let invocation_id = invocation.invocation_id.as_deref();
    // `#[authorize]` on the hub and on the method. Checked before the arguments are bound, so
    // that a caller who may not call the method learns nothing of its parameters.
    let hub_requirements = cx.dispatcher.authorization();
    if !hub_requirements.is_empty() || !info.authorize.is_empty() {
        let request = cx.call.connection().request();
        let call = MethodCall::new(name, invocation.arguments.values());
        let user = request.user();
        let allowed = [hub_requirements, info.authorize]
            .iter()
            .all(|requirements| {
                authorize(requirements, cx.policies, user, request, Some(call)) == Access::Allowed
            });
        if !allowed {
            tracing::debug!(
                method = name,
                user = user.map(|u| u.id()),
                "hub method not authorized"
            );
            return Err(refuse(format!(
                "Failed to invoke '{}' because user is unauthorized",
                invocation.target
            )));
        }
    }
    // ASP.NET Core's order: arguments are bound while parsing (count and types), then the
    // dispatcher checks the invocation kind, the id and the streams. A method runs while it is
    // bound only when none of the later checks will refuse it (and no filter wraps it).
    let streams_match = invocation.stream_ids.len() == info.streams;
    let provided = invocation.arguments.len();
    let id_taken = invocation_id.is_some_and(cx.id_in_use);
    let reply = Reply {
        protocol: cx.protocol,
        invocation_id,
        method: name,
        detailed: cx.detailed,
    };
    let now = (cx.may_run_now
        && cx.filters.is_empty()
        && !streaming
        && !info.streaming
        && streams_match
        && provided == info.params
        && !id_taken)
        .then_some(Now(reply));
    // Limits of the connection: refused before anything is opened or decoded.
    let open = cx.open;
    if streaming && info.streaming && open.streams >= open.max_streams {
        return Err(refuse(format!(
            "Failed to invoke '{name}' because the connection has {} streams running, the most allowed.",
            open.streams
        )));
    }
    if open.uploads + invocation.stream_ids.len() > open.max_uploads {
        return Err(refuse(format!(
            "Failed to invoke '{name}' because the connection would have more than {} upload streams open.",
            open.max_uploads
        )));
    }
    let receivers = if streams_match {
        (cx.open_uploads)(&invocation.stream_ids)
    } else {
        VecDeque::new()
    };
    let mut uploads = StreamArgs::new(receivers, cx.stream_capacity, Some(cx.call.connection()));
    let close_uploads = cx.close_uploads;
    let count_mismatch = || {
        format!(
            "Invocation provides {provided} argument(s) but target expects {}.",
            info.params
        )
    };
    // A panicking hub method (or argument decoder) fails its invocation, never the connection.
    let bound = std::panic::catch_unwind(AssertUnwindSafe(|| {
        cx.dispatcher
            .bind(index, cx.call, &invocation.arguments, &mut uploads, now)
    }));
    let bound = match bound {
        Ok(bound) => bound,
        Err(panic) => {
            let message = panic_message(panic);
            tracing::error!(method = name, %message, "hub method panicked");
            if streams_match {
                close_uploads(&invocation.stream_ids);
            }
            let error = HubError::internal("Panic", message);
            return Ok(Binding::Ran(reply.completion(Err::<Option<&()>, _>(error))));
        }
    };
    let mut refuse_open = |refusal: Refusal| {
        if streams_match {
            close_uploads(&invocation.stream_ids);
        }
        Err(refusal)
    };
    let bound = match bound {
        // Arguments are bound in order: a wrong type before the end of what was sent is a
        // binding error, running out of arguments is a count error.
        Err(err) if err.index >= provided => {
            return refuse_open(binding_failure(name, &count_mismatch()));
        }
        Err(_) => {
            return refuse_open(binding_failure(
                name,
                "Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked.",
            ));
        }
        Ok(_) if provided != info.params => {
            return refuse_open(binding_failure(name, &count_mismatch()));
        }
        Ok(bound) => bound,
    };
    if streaming && !info.streaming {
        return refuse_open(refuse(format!(
            "The client attempted to invoke the non-streaming '{name}' method with a streaming invocation."
        )));
    }
    if !streaming && info.streaming {
        return refuse_open(refuse(format!(
            "The client attempted to invoke the streaming '{name}' method with a non-streaming invocation."
        )));
    }
    if id_taken {
        let id = invocation_id.unwrap_or_default();
        return refuse_open(refuse(format!("Invocation ID '{id}' is already in use.")));
    }
    if !streams_match {
        return Err(refuse(format!(
            "An unexpected error occurred invoking '{name}' on the server. HubException: Client sent {} stream(s), Hub method expects {}.",
            invocation.stream_ids.len(),
            info.streams
        )));
    }
    let filtered = |streaming| {
        HubInvocation::new(
            name,
            invocation_id,
            streaming,
            cx.call.connection().clone(),
            invocation.arguments.to_owned_values(),
        )
    };
    Ok(match bound {
        Bound::Ran(Ran(bytes)) => Binding::Ran(bytes),
        Bound::Call(mut future) => {
            if !cx.filters.is_empty() {
                future = filter_call(cx.filters, filtered(false), future, reply);
            }
            Binding::Bound(BoundCall::Call(PendingCall {
                invocation_id: invocation_id.map(Box::from),
                method: name,
                limited: info.streams == 0,
                protocol: cx.protocol,
                detailed: cx.detailed,
                future,
            }))
        }
        Bound::Stream(mut start) => {
            if !cx.filters.is_empty() {
                start.driver = filter_stream(cx.filters, filtered(true), start.driver);
            }
            let id = invocation_id.unwrap_or_default();
            Binding::Bound(BoundCall::Stream(ServerStream::new(id.into(), name, start)))
        }
    })
}
