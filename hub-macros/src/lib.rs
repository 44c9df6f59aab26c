//! Procedural macros of hub (placeholder until the macro crate lands).
use proc_macro::TokenStream;
/// `#[hub]`
#[proc_macro_attribute]
pub fn hub(_a: TokenStream, i: TokenStream) -> TokenStream { i }
/// `#[client]`
#[proc_macro_attribute]
pub fn client(_a: TokenStream, i: TokenStream) -> TokenStream { i }
