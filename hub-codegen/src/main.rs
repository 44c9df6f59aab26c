//! `hub-codegen`: typed TypeScript and C# clients, and AsyncAPI documents, from a hub
//! manifest. See `--help` and `docs/codegen.md`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use hub_codegen::{File, Model, asyncapi, csharp, typescript};
use hub_schema::Manifest;

/// Exit status: the manifest maps to no faithful client (a type or field is named).
const EXIT_UNMAPPABLE: u8 = 1;
/// Exit status: the manifest could not be read, fetched or parsed.
const EXIT_INPUT: u8 = 3;
/// Exit status: the output could not be written.
const EXIT_OUTPUT: u8 = 4;
/// Exit status (`--check`): the files in the output directory differ from the manifest's.
const EXIT_STALE: u8 = 5;

#[derive(Parser)]
#[command(
    name = "hub-codegen",
    version,
    about = "Generates typed SignalR clients for hub servers from their manifest",
    long_about = "Generates typed SignalR clients for hub servers from their manifest.\n\n\
        The manifest is the JSON description of hubs, their methods and types that a hub server \
        writes (`ChatHub::manifest()`, or an example's `--print-manifest`) or serves \
        (`HubRouter::serve_manifest`, at `GET <hub path>/manifest`). See docs/manifest.md and \
        docs/codegen.md.",
    after_help = "Exit status: 0 written; 1 a type cannot be mapped faithfully (the message names \
        the type and field); 2 bad command line; 3 the manifest cannot be read, fetched or parsed; \
        4 the output cannot be written; 5 (--check) the files differ from what the manifest gives."
)]
struct Cli {
    #[command(subcommand)]
    language: Language,
}

#[derive(Subcommand)]
enum Language {
    /// TypeScript on `@microsoft/signalr`: DTO types, a typed proxy per hub, typed receivers.
    Typescript {
        #[command(flatten)]
        common: Common,
        /// 64-bit integers whose declared range exceeds JavaScript's safe integers (2^53 - 1):
        /// `error` refuses them, naming the field; `number` accepts that larger values lose
        /// precision.
        #[arg(long, value_enum, default_value_t = Int64Policy::Error)]
        int64: Int64Policy,
        /// The hub protocol the client connects with: `json` (the official client's default)
        /// or `messagepack` (`withHubProtocol(new MessagePackHubProtocol())`). Values of
        /// `hub_runtime::Timestamp` and `Binary` are RFC 3339 and base64 strings with `json`,
        /// `Date` and `Uint8Array` with `messagepack`; every other type is the same.
        #[arg(long, value_enum, default_value_t = ProtocolName::Json)]
        protocol: ProtocolName,
    },
    /// C# (7.3 syntax, Unity and .NET Framework included) on `Microsoft.AspNetCore.SignalR.Client`.
    Csharp {
        #[command(flatten)]
        common: Common,
        /// The namespace of the generated code.
        #[arg(long, default_value = "Hub.Client")]
        namespace: String,
        /// Emit nullable reference annotations (`#nullable enable`, `string?`): needs C# 8.
        #[arg(long)]
        nullable: bool,
    },
    /// An AsyncAPI 3.0 document of the hubs (`asyncapi.json`): a channel per hub, hub methods
    /// as `receive` operations with their replies, client methods as `send` operations.
    Asyncapi {
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Args)]
struct Common {
    /// The manifest: a file path, `-` for standard input, or the http:// URL of a running
    /// server that serves it (`http://127.0.0.1:5000/hubs/chat/manifest`).
    #[arg(long, value_name = "FILE_OR_URL")]
    manifest: String,
    /// The directory to write to (created if missing). Files of the same names are replaced;
    /// nothing else in it is touched.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Write nothing: exit with status 5 when a file in `--out` differs from what the manifest
    /// gives or is missing (for a project's CI: the committed clients are current).
    #[arg(long)]
    check: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Int64Policy {
    Error,
    Number,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProtocolName {
    Json,
    Messagepack,
}

/// A backend with its options.
type Generator = Box<dyn Fn(&Manifest) -> Result<Vec<File>, hub_codegen::Error>>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (common, generate): (&Common, Generator) = match &cli.language {
        Language::Typescript {
            common,
            int64,
            protocol,
        } => {
            let options = typescript::Options {
                int64: match int64 {
                    Int64Policy::Error => typescript::Int64::Error,
                    Int64Policy::Number => typescript::Int64::Number,
                },
                protocol: match protocol {
                    ProtocolName::Json => typescript::Protocol::Json,
                    ProtocolName::Messagepack => typescript::Protocol::MessagePack,
                },
            };
            (
                common,
                Box::new(move |manifest| {
                    typescript::generate(&Model::from_manifest(manifest)?, &options)
                }),
            )
        }
        Language::Csharp {
            common,
            namespace,
            nullable,
        } => {
            let options = csharp::Options {
                namespace: namespace.clone(),
                nullable: *nullable,
            };
            (
                common,
                Box::new(move |manifest| {
                    csharp::generate(&Model::from_manifest(manifest)?, &options)
                }),
            )
        }
        Language::Asyncapi { common } => (
            common,
            Box::new(|manifest| Ok(vec![asyncapi::generate(manifest)])),
        ),
    };
    let manifest = match read_manifest(&common.manifest) {
        Ok(manifest) => manifest,
        Err(message) => {
            eprintln!("hub-codegen: {message}");
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let files = match generate(&manifest) {
        Ok(files) => files,
        Err(err) => {
            eprintln!("hub-codegen: cannot generate a faithful client: {err}");
            return ExitCode::from(EXIT_UNMAPPABLE);
        }
    };
    if common.check {
        let stale = stale_files(&common.out, &files);
        if stale.is_empty() {
            eprintln!("{} current", common.out.display());
            return ExitCode::SUCCESS;
        }
        for path in &stale {
            eprintln!("hub-codegen: {path} differs from what the manifest gives");
        }
        return ExitCode::from(EXIT_STALE);
    }
    match write_files(&common.out, &files) {
        Ok(()) => {
            for file in &files {
                eprintln!("wrote {}", common.out.join(&file.path).display());
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("hub-codegen: {message}");
            ExitCode::from(EXIT_OUTPUT)
        }
    }
}

fn read_manifest(source: &str) -> Result<Manifest, String> {
    let json = if source.starts_with("http://") {
        fetch(source)?
    } else if source.starts_with("https://") {
        return Err(format!(
            "{source}: only http:// URLs are fetched (a development server); download the manifest first, e.g. `curl -o manifest.json {source}`"
        ));
    } else if source == "-" {
        std::io::read_to_string(std::io::stdin())
            .map_err(|err| format!("cannot read the manifest from standard input: {err}"))?
    } else {
        std::fs::read_to_string(source)
            .map_err(|err| format!("cannot read the manifest {source}: {err}"))?
    };
    Manifest::from_json(&json).map_err(|err| format!("{source}: {err}"))
}

fn fetch(url: &str) -> Result<String, String> {
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut response = agent
        .get(url)
        .header("Accept", "application/json")
        .call()
        .map_err(|err| format!("cannot fetch the manifest from {url}: {err}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!(
            "cannot fetch the manifest from {url}: HTTP {status} (does the server call `HubRouter::serve_manifest`?)"
        ));
    }
    response
        .body_mut()
        .read_to_string()
        .map_err(|err| format!("cannot read the manifest from {url}: {err}"))
}

/// The files of `files` whose copy in `out` is missing or different.
fn stale_files(out: &Path, files: &[File]) -> Vec<String> {
    files
        .iter()
        .map(|file| out.join(&file.path))
        .zip(files)
        .filter(|(path, file)| {
            std::fs::read_to_string(path).ok().as_deref() != Some(&file.contents)
        })
        .map(|(path, _)| path.display().to_string())
        .collect()
}

fn write_files(out: &Path, files: &[File]) -> Result<(), String> {
    for file in files {
        let path = out.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
        }
        std::fs::write(&path, &file.contents)
            .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    }
    Ok(())
}
