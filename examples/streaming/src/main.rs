//! The streaming example server: see the `streaming` library.
//!
//! ```text
//! cargo run -p streaming -- --addr 127.0.0.1:5001 [--client-result-timeout-ms MS]
//! ```
//!
//! `GET /api/streams/active` answers how many stream producers are running: with it one can see
//! that a cancelled stream, or the stream of a client that left, stops at once.

use std::process::ExitCode;

use example_support::ServerArgs;

#[tokio::main]
async fn main() -> ExitCode {
    let args = match ServerArgs::from_env("streaming", 5001) {
        Ok(args) => args,
        Err(code) => return code,
    };
    if let Err(code) = args.in_memory_only("streaming") {
        return code;
    }
    example_support::init_logging();
    let metrics = example_support::install_metrics(&args);

    let hub_value = streaming::StreamingHub::default();
    let producers = hub_value.producers();
    let hub = streaming::hub(hub_value, args.hub_options());
    if args.print_manifest {
        print!("{}", hub.manifest().to_json_pretty());
        return ExitCode::SUCCESS;
    }
    let context = hub.context();
    let app = example_support::Metrics::route(metrics, streaming::app(hub, producers));
    example_support::serve("streaming", args.addr, app, move || async move {
        context.shutdown().await
    })
    .await
}
