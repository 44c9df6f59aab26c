//! The hub model: what a hub is made of before anything runs. Errors and how they reach the
//! client, and the static description of hub methods that `#[hub]` generates.

mod authorize;
mod error;
mod method;

pub use authorize::{AuthorizationContext, MethodCall, Requirement};

pub use error::{ClientResultError, Converted, HubError, IntoHubError, LifetimeError, Message};
pub use method::MethodInfo;

pub(crate) use authorize::{Policies, authorize};
pub(crate) use method::{find_method, panic_message};
