//! The dashboard example server: see the `dashboard` library.
//!
//! ```text
//! cargo run -p dashboard [-- --addr 127.0.0.1:5004]
//! ```
//!
//! Then open <http://127.0.0.1:5004/>. Once bound it prints `listening on http://ADDR`.

use std::process::ExitCode;
use std::sync::Arc;

use dashboard::Dashboard;
use example_support::ServerArgs;

#[tokio::main]
async fn main() -> ExitCode {
    let args = match ServerArgs::from_env("dashboard", 5004) {
        Ok(args) => args,
        Err(code) => return code,
    };
    example_support::init_logging();
    let metrics = example_support::install_metrics(&args);

    let state = Arc::new(Dashboard::new());
    let hub = dashboard::hub(state.clone(), args.hub_options());
    if args.print_manifest {
        print!("{}", hub.manifest().to_json_pretty());
        return ExitCode::SUCCESS;
    }
    let context = hub.context();
    tokio::spawn(dashboard::produce(state, context.clone()));
    let app = example_support::Metrics::route(metrics, dashboard::app(hub));
    example_support::serve("dashboard", args.addr, app, move || async move {
        context.shutdown().await
    })
    .await
}
