//! A crate that reaches hub-runtime only through a re-export, as a framework built on it would.
//! hub-runtime is a dependency under the name `rt`, so `::hub_runtime` does not resolve here: this
//! crate compiles only if every path `#[hub]` and `#[client]` generate starts with the path given
//! in `crate = "..."`.

use futures_util::{Stream, StreamExt};

/// The framework's public face: hub-runtime under another path.
pub mod framework {
    pub use rt as hub;
}

use framework::hub::{CancellationToken, ClientResultError, ClientStream, Ctx, HubError};

/// What the server calls on clients.
#[framework::hub::client(crate = "crate::framework::hub")]
pub trait TallyClient {
    /// A new total, sent to every client.
    async fn total_changed(&self, total: u64);
    /// A client result: the client answers with a number.
    async fn pick(&self, limit: u32) -> u32;
}

/// Counts what clients send.
pub struct TallyHub;

/// A hub that uses every form of method the macro generates code for.
#[framework::hub::hub(client = TallyClient, crate = "crate::framework::hub")]
impl TallyHub {
    /// A plain method.
    pub fn double(&self, n: u64) -> u64 {
        n * 2
    }

    /// An async method that calls the clients.
    pub async fn add(&self, ctx: &Ctx<Self>, n: u64) -> Result<u64, HubError> {
        ctx.clients().all().total_changed(n).await;
        Ok(n)
    }

    /// A client result.
    pub async fn ask(&self, ctx: &Ctx<Self>) -> Result<u32, ClientResultError> {
        ctx.clients().caller().pick(10).await
    }

    /// A server stream.
    pub fn count(&self, to: u32, _cancel: CancellationToken) -> impl Stream<Item = u32> {
        futures_util::stream::iter(0..to)
    }

    /// An upload stream.
    pub async fn sum(&self, mut items: ClientStream<u64>) -> Result<u64, HubError> {
        let mut sum = 0;
        while let Some(item) = items.next().await {
            sum += item?;
        }
        Ok(sum)
    }

    async fn on_connected(&self, _ctx: &Ctx<Self>) {}

    async fn on_disconnected(&self, _ctx: &Ctx<Self>, _error: Option<HubError>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lists_the_hub_and_client_methods() {
        let manifest = <TallyHub as rt::Hub>::manifest();
        let hub = &manifest.hubs[0];
        let methods: Vec<&str> = hub.methods.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(methods, ["Double", "Add", "Ask", "Count", "Sum"]);
        let client: Vec<&str> = hub.client_methods.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(client, ["TotalChanged", "Pick"]);
    }
}
