//! The connections of one endpoint: how many tasks still run, and the shutdown that refuses
//! new ones and waits for the others.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// Shared by an endpoint's transports (which count connection tasks in and refuse new
/// connections once it shuts down) and by what runs on the connections (a hub's lifetime).
#[derive(Default)]
pub(crate) struct ConnectionTracker {
    shutting_down: AtomicBool,
    /// Connection tasks still running (handshaking, connected, or ending).
    live_tasks: AtomicUsize,
    drained: Notify,
    /// Woken when the shutdown begins.
    shutdown: Notify,
}

impl ConnectionTracker {
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// Counts a connection task in; the guard counts it out when dropped.
    pub(crate) fn task_started(self: &Arc<Self>) -> LiveTask {
        self.live_tasks.fetch_add(1, Ordering::AcqRel);
        LiveTask(self.clone())
    }

    /// How many connection tasks run.
    pub(crate) fn live_tasks(&self) -> usize {
        self.live_tasks.load(Ordering::Acquire)
    }

    /// Refuses new connections from now on and tells the connections that wait for it.
    pub(crate) fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
        self.shutdown.notify_waiters();
    }

    /// Resolves once the shutdown began.
    pub(crate) fn shutdown_signal(self: &Arc<Self>) -> impl Future<Output = ()> + Send + 'static {
        let tracker = self.clone();
        async move {
            loop {
                let notified = tracker.shutdown.notified();
                if tracker.is_shutting_down() {
                    return;
                }
                notified.await;
            }
        }
    }

    /// Waits until every connection task ended, or `timeout` passed; false on the timeout.
    pub(crate) async fn drained(&self, timeout: Duration) -> bool {
        let drained = async {
            loop {
                let drained = self.drained.notified();
                if self.live_tasks() == 0 {
                    return;
                }
                drained.await;
            }
        };
        tokio::time::timeout(timeout, drained).await.is_ok()
    }
}

/// Counts one live connection task; dropping it counts the task out.
pub(crate) struct LiveTask(Arc<ConnectionTracker>);

impl Drop for LiveTask {
    fn drop(&mut self) {
        if self.0.live_tasks.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.drained.notify_waiters();
        }
    }
}
