//! Attribute keys, in one place: `#[hub(client = X)]`, and `#[hub(rename = "...")]`,
//! `#[hub(skip)]`, `#[client(rename = "...")]` on methods.

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, LitStr, Path, Token};

use crate::errors::Errors;

mod kw {
    syn::custom_keyword!(client);
    syn::custom_keyword!(rename);
    syn::custom_keyword!(skip);
}

/// The arguments of `#[hub(...)]` on the impl block.
#[derive(Default)]
pub(crate) struct HubArgs {
    pub(crate) client: Option<Path>,
}

enum HubArg {
    Client(Path),
}

impl Parse for HubArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(kw::client) {
            input.parse::<kw::client>()?;
            input.parse::<Token![=]>()?;
            Ok(HubArg::Client(input.parse()?))
        } else {
            Err(input.error("unknown `hub` argument; expected `client = ClientTrait`"))
        }
    }
}

impl HubArgs {
    pub(crate) fn parse(tokens: proc_macro2::TokenStream, errors: &mut Errors) -> Self {
        let mut args = HubArgs::default();
        let parsed =
            syn::parse::Parser::parse2(Punctuated::<HubArg, Token![,]>::parse_terminated, tokens);
        match parsed {
            Ok(list) => {
                for arg in list {
                    match arg {
                        HubArg::Client(path) if args.client.is_some() => {
                            errors.spanned(path, "duplicate `client` argument");
                        }
                        HubArg::Client(path) => args.client = Some(path),
                    }
                }
            }
            Err(err) => errors.push(err),
        }
        args
    }
}

/// The options of one method, from its `#[hub(...)]` or `#[client(...)]` attributes.
#[derive(Default)]
pub(crate) struct MethodAttrs {
    pub(crate) rename: Option<LitStr>,
    pub(crate) skip: bool,
}

enum MethodArg {
    Rename(LitStr),
    Skip(kw::skip),
}

impl Parse for MethodArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(kw::rename) {
            input.parse::<kw::rename>()?;
            input.parse::<Token![=]>()?;
            Ok(MethodArg::Rename(input.parse()?))
        } else if input.peek(kw::skip) {
            Ok(MethodArg::Skip(input.parse()?))
        } else {
            Err(input.error(
                "unknown method attribute; expected `rename = \"WireName\"` (or `skip` in a hub)",
            ))
        }
    }
}

/// Takes the `#[namespace(...)]` attributes off `attrs` and reads them. `allow_skip` says
/// whether `skip` is a valid key here.
pub(crate) fn take_method_attrs(
    attrs: &mut Vec<Attribute>,
    namespace: &str,
    allow_skip: bool,
    errors: &mut Errors,
) -> MethodAttrs {
    let mut out = MethodAttrs::default();
    let expected = if allow_skip {
        "expected `rename = \"WireName\"` or `skip`"
    } else {
        "expected `rename = \"WireName\"`"
    };
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        if !attr.path().is_ident(namespace) {
            kept.push(attr);
            continue;
        }
        let parsed = attr.parse_args_with(Punctuated::<MethodArg, Token![,]>::parse_terminated);
        match parsed {
            Ok(list) => {
                for arg in list {
                    match arg {
                        MethodArg::Rename(lit) if out.rename.is_some() => {
                            errors.spanned(lit, "duplicate `rename`");
                        }
                        MethodArg::Rename(lit) => {
                            if !valid_wire_name(&lit.value()) {
                                errors.spanned(
                                    &lit,
                                    "a wire name is a non-empty name without whitespace",
                                );
                            }
                            out.rename = Some(lit);
                        }
                        MethodArg::Skip(skip) if !allow_skip => {
                            errors.spanned(
                                skip,
                                format!("unknown `{namespace}` method attribute; {expected}"),
                            );
                        }
                        MethodArg::Skip(skip) if out.skip => {
                            errors.spanned(skip, "duplicate `skip`");
                        }
                        MethodArg::Skip(_) => out.skip = true,
                    }
                }
            }
            Err(err) if err.to_string().starts_with("unknown method attribute") => {
                errors.push(syn::Error::new(
                    err.span(),
                    format!("unknown `{namespace}` method attribute; {expected}"),
                ))
            }
            Err(err) => errors.push(err),
        }
    }
    *attrs = kept;
    out
}

fn valid_wire_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(char::is_whitespace)
}
