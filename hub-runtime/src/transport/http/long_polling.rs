//! A long poll: whatever is buffered, or wait for data, the end, a newer poll or the timeout.

use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::state::HttpEndpoint;
use crate::connection::now_ms;
use crate::transport::endpoint::Endpoint;
use crate::transport::response::no_cache;

pub(super) async fn poll(endpoint: &Endpoint, http: &HttpEndpoint, token: &str) -> Response {
    let Some(state) = &http.poll else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let activity = &state.activity;
    activity.active.store(true, Ordering::Release);
    activity.last_ms.store(now_ms(), Ordering::Relaxed);
    let generation = {
        let mut buffer = state.buffer.lock().unwrap_or_else(|e| e.into_inner());
        buffer.generation += 1;
        buffer.generation
    };
    // An older poll still waiting returns 204 now.
    state.changed.notify_waiters();
    let timeout = tokio::time::sleep(endpoint.options.long_polling_timeout);
    tokio::pin!(timeout);
    let outcome = loop {
        let changed = state.changed.notified();
        {
            let mut buffer = state.buffer.lock().unwrap_or_else(|e| e.into_inner());
            if buffer.generation != generation {
                break PollOutcome::Replaced;
            }
            if !buffer.data.is_empty() {
                let data = std::mem::take(&mut buffer.data);
                state.drained.notify_waiters();
                break PollOutcome::Data(data);
            }
            if buffer.finished {
                break PollOutcome::Finished;
            }
        }
        tokio::select! {
            () = changed => {}
            () = &mut timeout => break PollOutcome::TimedOut,
        }
    };
    activity.last_ms.store(now_ms(), Ordering::Relaxed);
    if !matches!(outcome, PollOutcome::Replaced) {
        activity.active.store(false, Ordering::Release);
    }
    let mut response = match outcome {
        PollOutcome::Data(data) => {
            let mut response = Response::new(Body::from(data));
            // Room for this header and the three of `no_cache`, allocated once.
            response.headers_mut().reserve(4);
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            response
        }
        PollOutcome::TimedOut => StatusCode::OK.into_response(),
        PollOutcome::Replaced => StatusCode::NO_CONTENT.into_response(),
        PollOutcome::Finished => {
            endpoint.forget_token(token);
            StatusCode::NO_CONTENT.into_response()
        }
    };
    no_cache(&mut response);
    response
}

enum PollOutcome {
    Data(Vec<u8>),
    TimedOut,
    Replaced,
    Finished,
}
