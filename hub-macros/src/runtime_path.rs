//! The path generated code reaches hub_runtime through: `::hub_runtime`, or the path given in
//! `crate = "..."` for a crate that re-exports the runtime elsewhere.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{Path, parse_quote};

/// `::hub_runtime`, when no `crate` argument is given.
pub(crate) fn default() -> Path {
    parse_quote!(::hub_runtime)
}

/// `path` with every token at `span`, for a `quote_spanned!` block whose errors must point at
/// one user token (a runtime path keeps its own span otherwise, and splits the error's span).
pub(crate) fn at(path: &Path, span: Span) -> TokenStream {
    // A crate path is mod-style (`a::b`): no groups to descend into.
    path.to_token_stream()
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}

/// `path` as written in source, for an intra-doc link: `::hub_runtime`, `crate::framework::hub`.
pub(crate) fn doc_text(path: &Path) -> String {
    let segments: Vec<String> = path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    let leading = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };
    format!("{leading}{}", segments.join("::"))
}
