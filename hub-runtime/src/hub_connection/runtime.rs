//! What every connection of one hub shares: the hub behind its dispatcher, the hub's lifetime,
//! and its options.

use std::sync::Arc;

use crate::connection::HubMetrics;
use crate::dispatch::Dispatcher;
use crate::lifetime::HubLifetime;
use crate::options::HubOptions;

/// One hub, as its connections run it.
pub(crate) struct HubRuntime {
    pub(crate) dispatcher: Arc<dyn Dispatcher>,
    pub(crate) lifetime: Arc<HubLifetime>,
    pub(crate) options: HubOptions,
    pub(crate) metrics: HubMetrics,
}
