//! Framework types: the namespaces the generated code uses, and the spelling of a framework
//! type at some place (its short name, or in full where something hides it).

use super::code::Code;
use super::context::Ctx;
use super::scope::Scope;

/// Framework types the generated code names, by short name.
const FRAMEWORK: &[(&str, &str)] = &[
    ("ArgumentNullException", "System"),
    ("DateTimeOffset", "System"),
    ("Func", "System"),
    ("IDisposable", "System"),
    ("Type", "System"),
    ("Dictionary", "System.Collections.Generic"),
    ("IAsyncEnumerable", "System.Collections.Generic"),
    ("List", "System.Collections.Generic"),
    ("CancellationToken", "System.Threading"),
    ("Interlocked", "System.Threading"),
    ("ChannelReader", "System.Threading.Channels"),
    ("Task", "System.Threading.Tasks"),
    ("JsonDocument", "System.Text.Json"),
    ("JsonElement", "System.Text.Json"),
    ("JsonException", "System.Text.Json"),
    ("JsonProperty", "System.Text.Json"),
    ("JsonSerializer", "System.Text.Json"),
    ("JsonSerializerOptions", "System.Text.Json"),
    ("JsonTokenType", "System.Text.Json"),
    ("JsonValueKind", "System.Text.Json"),
    ("Utf8JsonReader", "System.Text.Json"),
    ("Utf8JsonWriter", "System.Text.Json"),
    ("JsonConverter", "System.Text.Json.Serialization"),
    ("JsonIgnore", "System.Text.Json.Serialization"),
    ("JsonIgnoreCondition", "System.Text.Json.Serialization"),
    ("JsonPropertyName", "System.Text.Json.Serialization"),
    ("HubConnection", "Microsoft.AspNetCore.SignalR.Client"),
];

impl Ctx<'_> {
    /// The namespace-level `using` directives (placed inside the namespace, so that they win
    /// over types of enclosing namespaces of the user's project).
    pub(super) fn usings(&self, code: &mut Code) {
        let mut namespaces: Vec<&str> = FRAMEWORK.iter().map(|(_, ns)| *ns).collect();
        namespaces.sort_unstable();
        namespaces.dedup();
        // `System` first, as is customary.
        namespaces.sort_by_key(|ns| (!ns.starts_with("System"), *ns));
        for ns in namespaces {
            code.line(format!("using global::{ns};"));
        }
    }

    /// A framework type's name in a type context (a declaration, `new`, `typeof`), written in
    /// full where something hides its short name.
    pub(super) fn fw(&self, short: &str, scope: &Scope) -> String {
        self.framework(
            short,
            self.top.contains(short) || scope.types.contains(short),
        )
    }

    /// A framework type's name in an expression (`JsonIgnoreCondition.WhenWritingNull`).
    pub(super) fn fw_expr(&self, short: &str, scope: &Scope) -> String {
        self.framework(
            short,
            self.top.contains(short)
                || scope.types.contains(short)
                || scope.members.contains(short),
        )
    }

    /// `short`, or its full name when `qualify`.
    fn framework(&self, short: &str, qualify: bool) -> String {
        let namespace = FRAMEWORK
            .iter()
            .find(|(name, _)| *name == short)
            .map(|(_, ns)| *ns)
            .unwrap_or_else(|| panic!("{short} is not in FRAMEWORK"));
        if qualify {
            format!("global::{namespace}.{short}")
        } else {
            short.to_owned()
        }
    }
}
