//! The Completion a call's outcome gives its client, with ASP.NET's error texts.

use serde::Serialize;

use crate::model::HubError;
use crate::protocol::Protocol;

/// The Completion of a call that ended with `outcome`, if its client waits for one (a
/// fire-and-forget call's failure is logged).
pub(crate) fn completion<T: Serialize + ?Sized>(
    protocol: Protocol,
    invocation_id: Option<&str>,
    method: &'static str,
    outcome: Result<Option<&T>, HubError>,
    detailed: bool,
) -> Option<Vec<u8>> {
    let Some(id) = invocation_id else {
        if let Err(err) = outcome {
            tracing::warn!(method, %err, "fire-and-forget hub method failed");
        }
        return None;
    };
    Some(match outcome {
        Ok(value) => result_completion(protocol, id, method, value, detailed),
        Err(error) => {
            if !error.is_hub_exception() {
                tracing::warn!(method, %error, "hub method failed");
            }
            protocol.completion_error(id, &error_text(&error, method, detailed))
        }
    })
}

/// The Completion of invocation `id`, which returned `value` (`None`: nothing); a value that
/// does not serialize gives an error Completion.
pub(crate) fn result_completion<T: Serialize + ?Sized>(
    protocol: Protocol,
    id: &str,
    method: &'static str,
    value: Option<&T>,
    detailed: bool,
) -> Vec<u8> {
    let Some(value) = value else {
        return protocol.completion_void(id);
    };
    match protocol.completion_result(id, value) {
        Ok(bytes) => bytes,
        Err(err) => {
            let error = HubError::internal("SerializationException", err);
            protocol.completion_error(id, &error_text(&error, method, detailed))
        }
    }
}

/// The error text for a failed call.
pub(crate) fn error_text(error: &HubError, method: &str, detailed: bool) -> String {
    error.client_text(
        &format!("An unexpected error occurred invoking '{method}' on the server."),
        detailed,
    )
}
