//! Attribute keys, in one place: `#[hub(client = X, crate = "path")]`, `#[client(crate = "path")]`,
//! and `#[hub(rename = "...")]`, `#[hub(skip)]`, `#[client(rename = "...")]` on methods.

use proc_macro2::TokenTree;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Path, Token};

use crate::errors::Errors;
use crate::runtime_path;

mod kw {
    syn::custom_keyword!(client);
    syn::custom_keyword!(rename);
    syn::custom_keyword!(skip);
}

/// Which macro's arguments are parsed: each accepts its own keys.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Macro {
    /// `#[hub(client = X, crate = "path")]` on the impl block.
    Hub,
    /// `#[client(crate = "path")]` on the trait.
    Client,
}

impl Macro {
    fn name(self) -> &'static str {
        match self {
            Macro::Hub => "hub",
            Macro::Client => "client",
        }
    }

    /// The accepted keys, as the "unknown argument" error lists them.
    fn expected(self) -> &'static str {
        match self {
            Macro::Hub => "expected `client = ClientTrait` or `crate = \"path::to::hub_runtime\"`",
            Macro::Client => "expected `crate = \"path::to::hub_runtime\"`",
        }
    }
}

/// The arguments of `#[hub(...)]` on the impl block or `#[client(...)]` on the trait.
#[derive(Default)]
pub(crate) struct MacroArgs {
    /// `client = ClientTrait` (`#[hub]` only).
    pub(crate) client: Option<Path>,
    /// `crate = "path"`: where the generated code reaches hub_runtime.
    krate: Option<Path>,
    /// A `crate` argument was given but is not a path: the runtime's path is unknown.
    pub(crate) krate_invalid: bool,
}

enum MacroArg {
    Client(kw::client, Path),
    Crate(Token![crate], LitStr),
    /// A key neither macro knows; its value is skipped so that the next keys are still read.
    Unknown(Ident),
}

impl Parse for MacroArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(kw::client) {
            let key = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(MacroArg::Client(key, input.parse()?))
        } else if input.peek(Token![crate]) {
            let key = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(MacroArg::Crate(key, input.parse()?))
        } else {
            let key = input.call(Ident::parse_any)?;
            while !input.is_empty() && !input.peek(Token![,]) {
                input.parse::<TokenTree>()?;
            }
            Ok(MacroArg::Unknown(key))
        }
    }
}

/// The comma-separated arguments that parse, and an error for each that does not: one malformed
/// argument loses neither the others nor their own checks (a hub keeps its `client = X`).
struct MacroArgList {
    args: Vec<MacroArg>,
    errors: Vec<syn::Error>,
}

impl Parse for MacroArgList {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut list = MacroArgList {
            args: Vec::new(),
            errors: Vec::new(),
        };
        while !input.is_empty() {
            let parsed = input.parse::<MacroArg>().and_then(|arg| {
                if !input.is_empty() {
                    input.parse::<Token![,]>()?;
                }
                Ok(arg)
            });
            match parsed {
                Ok(arg) => list.args.push(arg),
                Err(err) => {
                    list.errors.push(err);
                    // Skip to the next argument.
                    while !input.is_empty() && !input.peek(Token![,]) {
                        input.parse::<TokenTree>()?;
                    }
                    if !input.is_empty() {
                        input.parse::<Token![,]>()?;
                    }
                }
            }
        }
        Ok(list)
    }
}

impl MacroArgs {
    pub(crate) fn parse(
        tokens: proc_macro2::TokenStream,
        which: Macro,
        errors: &mut Errors,
    ) -> Self {
        let mut args = MacroArgs::default();
        let list = match syn::parse2::<MacroArgList>(tokens) {
            Ok(list) => list,
            Err(err) => {
                errors.push(err);
                return args;
            }
        };
        for error in list.errors {
            errors.push(error);
        }
        let list = list.args;
        let unknown = |errors: &mut Errors, key: proc_macro2::Span, name: &str| {
            let message = format!(
                "unknown `{}` argument `{name}`; {}",
                which.name(),
                which.expected()
            );
            errors.push(syn::Error::new(key, message));
        };
        for arg in list {
            match arg {
                MacroArg::Client(key, _) if which != Macro::Hub => {
                    unknown(errors, key.span, "client");
                }
                MacroArg::Client(key, _) if args.client.is_some() => {
                    errors.spanned(key, "duplicate `client` argument");
                }
                MacroArg::Client(_, path) => args.client = Some(path),
                MacroArg::Crate(key, _) if args.krate.is_some() || args.krate_invalid => {
                    errors.spanned(key, "duplicate `crate` argument");
                }
                MacroArg::Crate(_, lit) => match lit.parse_with(Path::parse_mod_style) {
                    Ok(path) => args.krate = Some(path),
                    Err(_) => {
                        errors.spanned(
                            &lit,
                            "`crate` takes the path of hub_runtime as a string: `crate = \"my_framework::hub\"`",
                        );
                        args.krate_invalid = true;
                    }
                },
                MacroArg::Unknown(key) => unknown(errors, key.span(), &key.to_string()),
            }
        }
        args
    }

    /// The path the generated code reaches hub_runtime through: `::hub_runtime` unless a
    /// `crate` argument says otherwise.
    pub(crate) fn krate(&self) -> Path {
        self.krate.clone().unwrap_or_else(runtime_path::default)
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
