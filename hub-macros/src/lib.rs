//! Procedural macros of hub: `#[hub]` and `#[client]`. Use them through `hub_runtime`, which
//! re-exports them; their documentation lives there.
//!
//! Each macro is a pipeline: parse the item into a model, checking every rule and collecting
//! every mistake as a spanned error, then expand the model. On error the user's item is still
//! emitted beside the `compile_error!`s, so one mistake gives one message.

use proc_macro::TokenStream;

mod attr;
mod client;
mod errors;
mod hub;
mod names;
mod runtime_path;
mod types;

/// Makes the `pub` methods of an impl block callable by SignalR clients.
///
/// ```text
/// #[hub_runtime::hub(client = ChatClient)]
/// impl ChatHub {
///     pub async fn send_message(&self, ctx: &Ctx<Self>, user: String, message: String) { .. }
///     #[hub(rename = "Ping")]
///     pub fn ping(&self) -> &'static str { "pong" }
///     async fn on_connected(&self, ctx: &Ctx<Self>) { .. }
///     async fn on_disconnected(&self, ctx: &Ctx<Self>, error: Option<HubError>) { .. }
/// }
/// ```
///
/// Generates `impl hub_runtime::Hub for ChatHub`: the method table (wire names in PascalCase,
/// matched case-insensitively), argument decoding and result encoding. Set
/// `HUB_MACROS_DEBUG=1` at build time to print the expansion.
///
/// A method returns nothing, an owned `Serialize` value (`&'static str` is fine, other references
/// are not), `impl Stream<Item = T>`, or a `Result` of these. The error of a `Result` (and of a
/// stream's `Result` items) is a `HubError`, any `std::error::Error + Send + Sync + 'static`, or a
/// message: `Err(text)` with a `String` or `&'static str` is `Err(HubError::new(text))`, whose
/// text the client receives. Lifecycle hooks may return `Result<(), E>` with the same errors.
///
/// Arguments, each at most once:
///
/// - `client = ChatClient`: the `#[client]` trait whose proxy `ctx.clients()` hands out.
/// - `crate = "path"`: where the generated code finds hub_runtime (`::hub_runtime` by default),
///   for a crate that re-exports it under another path, as serde's `#[serde(crate = "...")]`:
///
/// ```text
/// // `my_framework` depends on hub_runtime and re-exports it: `pub use hub_runtime as hub;`
/// #[my_framework::hub::hub(client = ChatClient, crate = "my_framework::hub")]
/// impl ChatHub { .. }
/// ```
#[proc_macro_attribute]
pub fn hub(args: TokenStream, input: TokenStream) -> TokenStream {
    debug_print("hub", hub::expand(args.into(), input.into())).into()
}

/// Declares the methods the server may call on clients, and generates their typed proxies.
///
/// ```text
/// #[hub_runtime::client]
/// pub trait ChatClient {
///     async fn receive_message(&self, user: String, message: String);
/// }
/// ```
///
/// Generates `ChatClientProxy<K>`, whose methods send `ReceiveMessage` to the proxy's target.
///
/// An optional argument, `crate = "path"`: where the generated code finds hub_runtime
/// (`::hub_runtime` by default), for a crate that re-exports it under another path:
///
/// ```text
/// #[my_framework::hub::client(crate = "my_framework::hub")]
/// pub trait ChatClient { .. }
/// ```
#[proc_macro_attribute]
pub fn client(args: TokenStream, input: TokenStream) -> TokenStream {
    debug_print("client", client::expand(args.into(), input.into())).into()
}

fn debug_print(name: &str, tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    if std::env::var_os("HUB_MACROS_DEBUG").is_some() {
        eprintln!("#[{name}] expands to:\n{tokens}");
    }
    tokens
}
