//! The authentication example server: see the `auth` library.
//!
//! ```text
//! cargo run -p auth -- --addr 127.0.0.1:5003 [--secret TEXT] [--token-lifetime-s SECONDS]
//!                      [--close-on-expiry] [the chat example's options]
//! ```
//!
//! Once bound it prints `listening on http://ADDR`.

use std::process::ExitCode;
use std::time::Duration;

use example_support::ServerArgs;

const USAGE: &str = "usage: auth [--secret TEXT] [--token-lifetime-s SECONDS] [--close-on-expiry] [--addr HOST:PORT] [...]\n\
\n\
\x20 --secret TEXT              the HS256 secret (32 bytes or more) of the demo issuer and of the hub (default: random at each start)\n\
\x20 --token-lifetime-s SECONDS how long the demo issuer's tokens are valid (default 3600)\n\
\x20 --close-on-expiry          close connections when their token expires\n\
\x20 --addr HOST:PORT           where to listen (default 127.0.0.1:5003)\n\
\x20 and every option of the chat example (--detailed-errors, --transports, --print-manifest, --metrics, ...)";

/// Takes the example's own options out of `args`, leaving the common ones.
fn parse(args: Vec<String>) -> Result<(auth::Settings, Vec<String>), String> {
    let mut settings = auth::Settings::random();
    let mut rest = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--secret" => {
                let secret = args.next().ok_or("--secret needs a value")?;
                if secret.len() < 32 {
                    return Err("--secret needs at least 32 bytes (HS256)".into());
                }
                settings.secret = secret.into_bytes();
            }
            "--token-lifetime-s" => {
                let seconds = args.next().ok_or("--token-lifetime-s needs a value")?;
                let seconds: u64 = seconds.parse().map_err(|_| {
                    format!("--token-lifetime-s: not a number of seconds: {seconds}")
                })?;
                settings.token_lifetime = Duration::from_secs(seconds);
            }
            "--close-on-expiry" => settings.close_on_expiry = true,
            _ => rest.push(arg),
        }
    }
    Ok((settings, rest))
}

#[tokio::main]
async fn main() -> ExitCode {
    let parsed = parse(std::env::args().skip(1).collect())
        .and_then(|(settings, rest)| Ok((settings, ServerArgs::parse(rest, 5003)?)));
    let (settings, args) = match parsed {
        Ok((settings, Some(args))) => (settings, args),
        Ok((_, None)) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("auth: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(code) = args.in_memory_only("auth") {
        return code;
    }
    example_support::init_logging();
    let metrics = example_support::install_metrics(&args);

    let hub = auth::hub(args.hub_options(), &settings);
    if args.print_manifest {
        print!("{}", hub.manifest().to_json_pretty());
        return ExitCode::SUCCESS;
    }
    let context = hub.context();
    let app = example_support::Metrics::route(metrics, auth::app(hub, settings));
    example_support::serve("auth", args.addr, app, move || async move {
        context.shutdown().await
    })
    .await
}
