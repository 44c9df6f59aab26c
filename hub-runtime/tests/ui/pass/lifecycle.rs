//! Lifecycle hooks, sync and async, infallible and fallible.

use hub_runtime::prelude::*;

#[hub_runtime::client]
pub trait PresenceClient {
    async fn joined(&self, id: String);
    async fn left(&self, id: String);
}

pub struct AsyncHooks;

#[hub_runtime::hub(client = PresenceClient)]
impl AsyncHooks {
    async fn on_connected(&self, ctx: &Ctx<Self>) {
        ctx.clients().others().joined(ctx.connection_id().to_string()).await;
    }

    async fn on_disconnected(&self, ctx: &Ctx<Self>, error: Option<HubError>) {
        let _ = error.map(|e| e.message().to_owned());
        ctx.clients().others().left(ctx.connection_id().to_string()).await;
    }
}

pub struct FallibleHooks;

#[hub_runtime::hub(client = PresenceClient)]
impl FallibleHooks {
    pub fn echo(&self, text: String) -> String {
        text
    }

    async fn on_connected(&self, ctx: &Ctx<Self>) -> Result<(), HubError> {
        if ctx.user_id().is_none() {
            return Err(HubError::new("sign in first"));
        }
        Ok(())
    }

    async fn on_disconnected(
        &self,
        _ctx: &Ctx<Self>,
        _error: Option<HubError>,
    ) -> Result<(), HubError> {
        Ok(())
    }
}

pub struct SyncHooks;

#[hub_runtime::hub]
impl SyncHooks {
    fn on_connected(&self, ctx: &Ctx<Self>) -> Result<(), std::io::Error> {
        let _ = ctx.connection_id();
        Ok(())
    }

    fn on_disconnected(&self, _ctx: &Ctx<Self>, _error: Option<HubError>) {}
}

fn main() {
    let _ = HubRouter::new("/a", AsyncHooks);
    let _ = HubRouter::new("/b", FallibleHooks);
    let _ = HubRouter::new("/c", SyncHooks);
}
