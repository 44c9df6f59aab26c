//! The TypeScript backend: see `docs/codegen.md`.
//!
//! The output is ES modules for `tsc --strict` (`module`/`moduleResolution` `NodeNext`), on top
//! of `@microsoft/signalr` (and `@microsoft/signalr-protocol-msgpack` with
//! [`Protocol::MessagePack`]); only the connection factories import values from them, the rest
//! imports types:
//!
//! - `types.ts`: every type of the manifest;
//! - one module per hub (`chat-hub.ts`): when the manifest gives the hub's path, the path
//!   (`CHAT_HUB_PATH`) and a connection factory (`createChatHubConnection(baseUrl, options?,
//!   configure?)`, which sets the MessagePack protocol for [`Protocol::MessagePack`]); the proxy
//!   class (`ChatHubProxy`, with fire-and-forget variants of the methods without a result in
//!   `send`), the receiver interface named after the hub's client trait (`ChatClient`) and its
//!   registration function (`registerChatClient`);
//! - `hub-streams.ts`, when a hub streams: `HubStream<T>` (an `IStreamResult<T>` that is also
//!   async iterable) and `HubStreamSource<T>` (what client-stream parameters accept);
//! - `index.ts`, re-exporting all of them.
//!
//! Naming: members, parameters and receiver methods are the camelCase of the wire and Rust
//! names (`SendMessage` → `sendMessage`, `group_name` → `groupName`); a hub method whose name
//! would be `connection`, `send`, `constructor` or `then`, and a parameter named after a reserved
//! word, get a trailing `_`. Names that would still collide are an [`Error`].

mod checks;
mod files;
mod generator;
mod hub;
mod names;
mod notes;
mod text;
mod types;

use crate::{Error, File, Model};
use checks::{check_exported_names, check_int64};
use files::{TYPES_FILE, file_names, index_file, streams_file};
use generator::Generator;

/// What to do with 64-bit integers whose range exceeds JavaScript's safe integers (2^53 - 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Int64 {
    /// Refuse to generate, naming the type and field (the default).
    #[default]
    Error,
    /// Map them to `number`, accepting that values beyond 2^53 lose precision.
    Number,
}

/// The hub protocol the clients use: the types of dates and bytes depend on it.
///
/// `hub_runtime::Timestamp` and `hub_runtime::Binary` (`"x-messagepack"` in their schemas) are
/// RFC 3339 and base64 strings in JSON, and MessagePack timestamps and bin in MessagePack, which
/// `@microsoft/signalr-protocol-msgpack` reads as `Date` and `Uint8Array`. Every other type is the
/// same in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// The JSON hub protocol, the official client's default (the default).
    #[default]
    Json,
    /// The MessagePack hub protocol (`withHubProtocol(new MessagePackHubProtocol())`).
    MessagePack,
}

/// TypeScript options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The 64-bit integer policy.
    pub int64: Int64,
    /// The hub protocol of the clients.
    pub protocol: Protocol,
}

/// The TypeScript files for `model`.
pub fn generate(model: &Model, options: &Options) -> Result<Vec<File>, Error> {
    if options.int64 == Int64::Error {
        check_int64(model)?;
    }
    let generator = Generator::new(model, options.protocol);
    let streams = model.hubs.iter().any(hub::streams);
    let hub_files = file_names(model)?;
    check_exported_names(model, streams)?;

    let mut files = vec![File {
        path: format!("{TYPES_FILE}.ts"),
        contents: generator.types_file()?,
    }];
    if streams {
        files.push(streams_file());
    }
    for (hub, file) in model.hubs.iter().zip(&hub_files) {
        files.push(File {
            path: format!("{file}.ts"),
            contents: generator.hub_file(hub)?,
        });
    }
    files.push(index_file(&hub_files, streams, &model.manifest_hash));
    Ok(files)
}
