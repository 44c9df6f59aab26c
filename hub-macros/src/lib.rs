//! Procedural macros of hub: `#[hub]` and `#[client]`. Use them through `hub_runtime`, which
//! re-exports them; their documentation lives there.
//!
//! Each macro is a pipeline: parse the item into a model, checking every rule and collecting
//! every mistake as a spanned error, then expand the model. On error the user's item is still
//! emitted beside the `compile_error!`s, so one mistake gives one message.

use proc_macro::TokenStream;

mod attr;
mod authorize;
mod client;
mod errors;
mod hub;
mod names;
mod runtime_path;
mod types;

/// Makes the `pub` methods of an impl block callable by SignalR clients.
///
/// ```text
/// pub struct ChatHub;
///
/// #[hub_runtime::hub(client = ChatClient)]
/// impl ChatHub {
///     pub async fn send_message(&self, ctx: &Ctx<Self>, user: String, message: String) {
///         ctx.clients().all().receive_message(user, message).await;
///     }
///     pub async fn divide(&self, a: i64, b: i64) -> Result<i64, String> {
///         if b == 0 { return Err("cannot divide by zero".into()) } // the client sees this text
///         Ok(a / b)
///     }
///     #[hub(rename = "Ping")]
///     pub fn ping(&self) -> &'static str { "pong" }
///     async fn on_connected(&self, ctx: &Ctx<Self>) { .. }
///     async fn on_disconnected(&self, ctx: &Ctx<Self>, error: Option<HubError>) { .. }
/// }
/// ```
///
/// Generates `impl hub_runtime::Hub for ChatHub`: the method table, argument decoding, result
/// encoding and the manifest entry of every method. Set `HUB_MACROS_DEBUG=1` at build time to
/// print the expansion.
///
/// # Which methods clients call
///
/// - Every `pub` method is a hub method; private methods are helpers the macro leaves alone.
/// - The wire name is the method name in PascalCase (`send_message` is `SendMessage`), matched
///   case-insensitively as ASP.NET Core does. `#[hub(rename = "Name")]` on a method picks
///   another name; `#[hub(skip)]` keeps a `pub` method away from clients. Two wire names that
///   differ only in case are a compile error.
/// - `on_connected` and `on_disconnected` (private or not) are the lifecycle hooks, called when
///   a connection has completed its handshake and when it has ended (`error` is `Some` when it
///   ended with an error). Both may take `ctx` and be `async`; `on_connected` may return
///   `Result<(), E>` to refuse the connection.
///
/// # Parameters
///
/// - The receiver is `&self`: one hub value serves every connection, so shared state lives in
///   it behind `Mutex`, atomics or channels. `&mut self` and `self` are compile errors.
/// - `ctx: &Ctx<Self>` (by reference, anywhere in the list) gives the caller's connection id,
///   user, request, groups and the typed client proxies.
/// - `CancellationToken` is cancelled when the client cancels a streaming method, or when the
///   connection ends.
/// - `ClientStream<T>` receives a stream the client uploads; stream parameters bind in order to
///   the invocation's `streamIds` and are not among its arguments.
/// - Every other parameter is an argument the client sends: an owned type implementing
///   `serde::Deserialize` and `schemars::JsonSchema`. Borrowed arguments, `impl Trait`
///   arguments and generic methods are compile errors.
///
/// # Return types
///
/// - Nothing (the client's `invoke` resolves with `null`), or an owned `Serialize +
///   JsonSchema` value; `&'static str` is accepted, other references are not.
/// - `impl Stream<Item = T>` or `impl Stream<Item = Result<T, E>>`: a streaming method, which
///   clients call with `stream` and which sends items as the stream yields them.
/// - `Result<T, E>` of any of these. The error `E` is:
///   - `HubError` (`HubError::new("text")` is an error raised on purpose, ASP.NET's
///     `HubException`: the client receives `text`);
///   - a message, `String` or `&'static str`, which is `HubError::new(message)`;
///   - any `std::error::Error + Send + Sync + 'static`, whose text the client receives only
///     when detailed errors are on (`HubOptions::detailed_errors(true)`).
///
/// A panicking method fails only its own invocation, with the generic error text.
///
/// # Arguments of the macro
///
/// Each at most once:
///
/// - `client = ChatClient`: the `#[client]` trait whose proxies `ctx.clients()` and
///   `HubContext::clients()` hand out. Without it those proxies have no client methods, and
///   calling one is a compile error that says to add `client = ...`.
/// - `crate = "path"`: where the generated code finds hub_runtime (`::hub_runtime` by default),
///   for a crate that re-exports it under another path, as serde's `#[serde(crate = "...")]`:
///
/// ```text
/// // `my_framework` depends on hub_runtime and re-exports it: `pub use hub_runtime as hub;`
/// #[my_framework::hub::hub(client = ChatClient, crate = "my_framework::hub")]
/// impl ChatHub { .. }
/// ```
///
/// # The client's side
///
/// Beside the dispatch, `#[hub]` generates `ChatHubCaller<C>`, what a Rust client calls the hub
/// through (`hub_runtime::client::HubConnection`, or any `hub_runtime::remote::HubCaller`):
///
/// ```text
/// pub struct ChatHubCaller<C> { pub caller: C }
/// impl<C: HubCaller> ChatHubCaller<C> {
///     pub fn send_message(&self, user: String, message: String)
///         -> Invoke<'_, C, (String, String), ()>;          // .await invokes, .send() sends
///     pub fn divide(&self, a: i64, b: i64) -> Invoke<'_, C, (i64, i64), i64>;
///     pub fn counter(&self, count: u32) -> StreamCall<'_, C, (u32,), u32>;
///     pub fn upload<S0: Stream<Item = String> + Send + 'static>(&self, items: S0)
///         -> Invoke<'_, C, (), usize, (S0,)>;             // a `ClientStream<String>` parameter
/// }
/// ```
///
/// Same argument and result types, same wire names; the context, cancellation tokens and
/// upload streams are not arguments. The serde bounds a client needs are checked where it
/// awaits a call.
///
/// # Mistakes
///
/// Every rule above is checked when the crate compiles, and each mistake is one error on the
/// offending token. The impl block is still emitted beside the errors, with its client proxies
/// typed, so one mistake does not cascade into errors elsewhere.
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
///     #[client(rename = "notify")]
///     async fn notify_user(&self, text: String);
///     async fn confirm(&self, question: String) -> bool; // a client result
/// }
/// ```
///
/// Keeps the trait and generates `ChatClientProxy<K>`, whose methods send the call to the clients
/// of a target (`ctx.clients().all()`, `.caller()`, `.group(name)`, `.user(id)`, ...). A call
/// names a method that exists with arguments of the right types, or the crate does not compile.
///
/// # Rules
///
/// - Every method is a declaration without a body, `async fn` taking `&self`, not generic; the
///   other parameters, plain names, are the arguments sent to the client: `Serialize +
///   JsonSchema` types.
/// - The wire name is the method name in PascalCase (`receive_message` is `ReceiveMessage`, the
///   name a JavaScript client registers with `connection.on`); `#[client(rename = "Name")]`
///   picks another.
/// - A method without a return type is fire-and-forget: the message is encoded once and queued
///   for every recipient when the proxy method is called. It returns a `#[must_use]` `Delivery`
///   that completes once every server took the message (at once in memory; with a backplane,
///   when published).
/// - A method with a return type `T: DeserializeOwned` is a client result: the server waits for
///   the client's answer and gets `Result<T, ClientResultError>`. Only proxies of one
///   connection offer it (`caller()`, `client(id)`): asking `all()` or a group for one answer
///   is a compile error.
///
/// # The client's side
///
/// The trait's `async fn`s are declared as `fn .. -> impl Future<Output = T> + Send`
/// (implementations still write `async fn`), and `ChatClientProxy` implements
/// `hub_runtime::remote::ClientHandlers<R>` for every `R: ChatClient + Send + Sync + 'static`:
/// the handlers a Rust client registers with `.receiver::<ChatClientProxy, _>(my_client)`,
/// which decode each method's arguments (a `&str` parameter from a `String`), call `R` and send
/// its client results back.
///
/// # Arguments of the macro
///
/// `crate = "path"`: where the generated code finds hub_runtime (`::hub_runtime` by default),
/// for a crate that re-exports it under another path:
///
/// ```text
/// #[my_framework::hub::client(crate = "my_framework::hub")]
/// pub trait ChatClient { .. }
/// ```
#[proc_macro_attribute]
pub fn client(args: TokenStream, input: TokenStream) -> TokenStream {
    debug_print("client", client::expand(args.into(), input.into())).into()
}

/// Restricts a hub, or one of its methods, to authenticated users, optionally in given roles
/// or allowed by named policies (ASP.NET's `[Authorize]`).
///
/// ```text
/// #[hub_runtime::hub(client = ChatClient)]
/// #[authorize]                                  // every connection: an authenticated user
/// impl SecureHub {
///     pub async fn send_message(&self, ctx: &Ctx<Self>, message: String) { .. }
///
///     #[authorize(roles = "Admin")]            // and for this method: role Admin
///     pub async fn send_admin_message(&self, ctx: &Ctx<Self>, message: String) { .. }
///
///     #[authorize(roles = ["Admin", "Ops"], policy = "business-hours")]
///     pub async fn restart(&self) { .. }
/// }
/// ```
///
/// - `#[authorize]` on the impl block (below `#[hub]`, or above it) applies to the connection:
///   negotiate and connect without valid credentials are answered 401 (with
///   `WWW-Authenticate: Bearer`), a user who does not meet it 403. It applies to every method
///   call too.
/// - On a method, it applies to calls of that method (and streams, and client-to-server
///   streams): a caller who does not meet it gets the Completion error `Failed to invoke 'X'
///   because user is unauthorized`, and the connection stays open.
/// - `roles = "A"`, `roles = "A,B"` or `roles = ["A", "B"]`: the user has one of them.
///   `policy = "name"` (or `policies = [..]`): the policy registered with
///   `HubOptions::policy("name", ..)` allows; mounting a hub whose policy is not registered
///   panics. Several `#[authorize]` attributes must all be met.
/// - The user is the one the hub's authenticator (`HubOptions::authenticate`) or a layer of the
///   app put in the request (`hub_runtime::User`). The manifest records each requirement, and
///   the generated TypeScript and C# clients mention them in their doc comments.
#[proc_macro_attribute]
pub fn authorize(args: TokenStream, input: TokenStream) -> TokenStream {
    debug_print("authorize", authorize::expand(args.into(), input.into())).into()
}

fn debug_print(name: &str, tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    if std::env::var_os("HUB_MACROS_DEBUG").is_some() {
        eprintln!("#[{name}] expands to:\n{tokens}");
    }
    tokens
}
