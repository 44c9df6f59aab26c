//! When to try again after a connection was lost.

use std::time::Duration;

use super::error::ClientError;

/// What a [`RetryPolicy`] decides from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RetryContext {
    /// How many attempts were made so far (0 before the first).
    pub previous_retry_count: u32,
    /// How long reconnecting has been going on.
    pub elapsed: Duration,
    /// Why the connection was lost, or why the last attempt failed.
    pub retry_reason: Option<ClientError>,
}

/// Decides the delays of automatic reconnect (the official clients' `IRetryPolicy`).
pub trait RetryPolicy: Send + Sync + 'static {
    /// The delay before the next attempt, or `None` to give up (the connection closes).
    fn next_retry_delay(&self, context: &RetryContext) -> Option<Duration>;
}

/// Retries after each delay of a list, then gives up: by default 0, 2, 10 and 30 seconds, as
/// the JavaScript and .NET clients do.
#[derive(Debug, Clone)]
pub struct DefaultRetryPolicy {
    delays: Vec<Duration>,
}

impl DefaultRetryPolicy {
    /// Retries after each of `delays`, then gives up.
    pub fn new(delays: impl Into<Vec<Duration>>) -> Self {
        DefaultRetryPolicy {
            delays: delays.into(),
        }
    }
}

impl Default for DefaultRetryPolicy {
    fn default() -> Self {
        DefaultRetryPolicy::new([0, 2, 10, 30].map(Duration::from_secs))
    }
}

impl RetryPolicy for DefaultRetryPolicy {
    fn next_retry_delay(&self, context: &RetryContext) -> Option<Duration> {
        self.delays
            .get(context.previous_retry_count as usize)
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_waits_0_2_10_30_seconds_then_gives_up() {
        let policy = DefaultRetryPolicy::default();
        let delays: Vec<_> = (0..5)
            .map(|count| {
                policy.next_retry_delay(&RetryContext {
                    previous_retry_count: count,
                    elapsed: Duration::ZERO,
                    retry_reason: None,
                })
            })
            .collect();
        assert_eq!(
            delays,
            [Some(0), Some(2), Some(10), Some(30), None].map(|s| s.map(Duration::from_secs))
        );
    }
}
