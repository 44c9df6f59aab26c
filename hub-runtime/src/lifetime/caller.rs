//! A connection together with its hub: what hub code acting for that connection needs.

use std::sync::Arc;

use super::handle::ConnectionHandle;
use super::hub::HubLifetime;

/// One connection and the lifetime of its hub: what a [`Ctx`](crate::Ctx) wraps, and what the
/// runtime hands the generated binding code.
#[doc(hidden)]
#[derive(Clone)]
pub struct CallContext {
    pub(crate) connection: Arc<ConnectionHandle>,
    pub(crate) lifetime: Arc<HubLifetime>,
}

impl CallContext {
    pub(crate) fn new(connection: Arc<ConnectionHandle>, lifetime: Arc<HubLifetime>) -> Self {
        CallContext {
            connection,
            lifetime,
        }
    }

    /// The connection.
    pub(crate) fn connection(&self) -> &Arc<ConnectionHandle> {
        &self.connection
    }
}
