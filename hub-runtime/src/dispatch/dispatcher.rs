//! The per-hub part of the connection loop, behind one object-safe trait: the loop, the
//! transports and dispatch are compiled once, not for every hub.

use crate::dispatch::bound::{Bound, BoxFuture, Now};
use crate::lifetime::CallContext;
use crate::model::{HubError, MethodInfo, Requirement};
use crate::protocol::{ArgumentError, Arguments};
use crate::stream::StreamArgs;

/// What the runtime needs of one hub: its methods, binding their arguments, its lifecycle
/// hooks. Implemented for every `Hub` by the hub API layer.
pub(crate) trait Dispatcher: Send + Sync + 'static {
    /// The methods clients may call, as `#[hub]` generated them.
    fn methods(&self) -> &'static [MethodInfo];

    /// What `#[authorize]` on the hub asks of every call.
    fn authorization(&self) -> &'static [Requirement];

    /// Decodes the arguments of method `index` and returns its future; with `now`, a
    /// synchronous method runs at once and returns its Completion instead.
    fn bind(
        &self,
        index: usize,
        call: &CallContext,
        arguments: &Arguments<'_>,
        streams: &mut StreamArgs<'_>,
        now: Option<Now<'_>>,
    ) -> Result<Bound, ArgumentError>;

    /// `on_connected`.
    fn on_connected(&self, call: &CallContext) -> BoxFuture<Result<(), HubError>>;

    /// `on_disconnected`.
    fn on_disconnected(&self, call: &CallContext, error: Option<HubError>) -> BoxFuture<()>;
}
