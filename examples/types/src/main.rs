//! The types example server: see the `types` library.
//!
//! ```text
//! cargo run -p types -- --addr 127.0.0.1:5002
//! ```
//!
//! Once bound it prints `listening on http://ADDR`.

use std::process::ExitCode;

use axum::Router;
use example_support::ServerArgs;

#[tokio::main]
async fn main() -> ExitCode {
    let args = match ServerArgs::from_env("types", 5002) {
        Ok(args) => args,
        Err(code) => return code,
    };
    if let Err(code) = args.in_memory_only("types") {
        return code;
    }
    example_support::init_logging();
    let metrics = example_support::install_metrics(&args);

    let hub = types::hub(args.hub_options());
    if args.print_manifest {
        print!("{}", hub.manifest().to_json_pretty());
        return ExitCode::SUCCESS;
    }
    let context = hub.context();
    let app = example_support::Metrics::route(metrics, Router::new().merge(hub));
    example_support::serve("types", args.addr, app, move || async move {
        context.shutdown().await
    })
    .await
}
