//! The clock of keep-alive, timeout and activity stamps: milliseconds since the process first
//! asked, and a coarse copy updated by the heartbeats (a clock read per message would cost more
//! than the stamps it feeds need).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

static EPOCH: OnceLock<Instant> = OnceLock::new();
static COARSE_MS: AtomicU64 = AtomicU64::new(0);

/// Milliseconds since the clock's epoch.
pub(crate) fn now_ms() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// [`now_ms`] as of the last [`tick`]: at most one heartbeat tick behind.
pub(crate) fn coarse_now_ms() -> u64 {
    COARSE_MS.load(Ordering::Relaxed)
}

/// Advances the coarse clock to now; returns now.
pub(crate) fn tick() -> u64 {
    let now = now_ms();
    COARSE_MS.fetch_max(now, Ordering::Relaxed);
    now
}
