//! The chat example server: see the `chat` library.
//!
//! ```text
//! cargo run -p chat -- --addr 127.0.0.1:5000 [--detailed-errors] [--max-message-size BYTES]
//! ```
//!
//! Once bound it prints `listening on http://ADDR`.

use std::process::ExitCode;

use example_support::ServerArgs;

#[tokio::main]
async fn main() -> ExitCode {
    let args = match ServerArgs::from_env("chat", 5000) {
        Ok(args) => args,
        Err(code) => return code,
    };
    example_support::init_logging();
    let metrics = example_support::install_metrics(&args);

    let hub = chat::hub(args.hub_options());
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
