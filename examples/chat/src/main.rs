//! The chat example server: see the `chat` library.
//!
//! ```text
//! cargo run -p chat -- --addr 127.0.0.1:5000 [--detailed-errors] [--max-message-size BYTES]
//!     [--redis redis://127.0.0.1:6379/]
//! ```
//!
//! With `--redis URL` (or `HUB_REDIS_URL`) it runs as one server of a cluster on that Redis,
//! on ASP.NET Core SignalR's backplane format, the hub named `ChatSample.Hubs.ChatHub` there.
//!
//! Once bound it prints `listening on http://ADDR`.

use std::process::ExitCode;
use std::time::Duration;

use example_support::ServerArgs;
use hub_runtime::{RedisBackplane, RedisOptions};

#[tokio::main]
async fn main() -> ExitCode {
    let args = match ServerArgs::from_env("chat", 5000) {
        Ok(args) => args,
        Err(code) => return code,
    };
    example_support::init_logging();
    let metrics = example_support::install_metrics(&args);

    let mut hub = chat::hub(args.hub_options());
    if let (Some(url), false) = (args.redis_url(), args.print_manifest) {
        let options = RedisOptions::new(url).connect_retry(Duration::from_secs(10));
        match RedisBackplane::connect(options).await {
            Ok(redis) => hub = hub.lifetime_manager(redis.hub(chat::REDIS_HUB_NAME)),
            Err(error) => {
                eprintln!("chat: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    if args.print_manifest {
        print!("{}", hub.manifest().to_json_pretty());
        return ExitCode::SUCCESS;
    }
    let context = hub.context();
    let app = example_support::Metrics::route(metrics, chat::app(hub));
    example_support::serve("chat", args.addr, app, move || async move {
        context.shutdown().await
    })
    .await
}
