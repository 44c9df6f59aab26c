//! `#[authorize]`: on a `#[hub]` impl block and on its methods, read by `#[hub]`; and the
//! attribute macro of that name, for `#[authorize]` written above `#[hub]`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Item, LitStr, Path, Token};

use crate::errors::Errors;

mod kw {
    syn::custom_keyword!(roles);
    syn::custom_keyword!(role);
    syn::custom_keyword!(policy);
    syn::custom_keyword!(policies);
}

const EXPECTED: &str =
    "expected `roles = \"Admin\"`, `roles = [\"Admin\", \"Ops\"]` or `policy = \"name\"`";

/// One `#[authorize(...)]`: any of `roles` (none: any authenticated user), and every policy.
#[derive(Default)]
pub(crate) struct Requirement {
    pub(crate) roles: Vec<String>,
    pub(crate) policies: Vec<String>,
}

impl Requirement {
    /// `Requirement { roles: &[..], policies: &[..] }` of the runtime.
    pub(crate) fn tokens(&self, krate: &Path) -> TokenStream {
        let roles = &self.roles;
        let policies = &self.policies;
        quote! {
            #krate::__private::Requirement {
                roles: &[#(#roles),*],
                policies: &[#(#policies),*],
            }
        }
    }

    /// `manifest::Requirement { .. }`, for the manifest.
    pub(crate) fn manifest_tokens(&self, krate: &Path) -> TokenStream {
        let roles = &self.roles;
        let policies = &self.policies;
        quote! {
            #krate::manifest::Requirement {
                roles: ::std::vec![#(::std::string::String::from(#roles)),*],
                policies: ::std::vec![#(::std::string::String::from(#policies)),*],
            }
        }
    }
}

/// Whether `attr` is `#[authorize]` (or `#[some::path::authorize]`).
pub(crate) fn is_authorize(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "authorize")
}

/// Takes the `#[authorize]` attributes off `attrs` and reads them, one requirement each.
pub(crate) fn take(attrs: &mut Vec<Attribute>, errors: &mut Errors) -> Vec<Requirement> {
    let mut requirements = Vec::new();
    attrs.retain(|attr| {
        if !is_authorize(attr) {
            return true;
        }
        match parse(attr) {
            Ok(requirement) => requirements.push(requirement),
            Err(error) => errors.push(error),
        }
        false
    });
    requirements
}

enum Arg {
    Roles(Vec<LitStr>),
    Policies(Vec<LitStr>),
}

/// A string, or a bracketed list of strings.
fn strings(input: ParseStream<'_>) -> syn::Result<Vec<LitStr>> {
    if input.peek(syn::token::Bracket) {
        let content;
        syn::bracketed!(content in input);
        Ok(Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?
            .into_iter()
            .collect())
    } else {
        Ok(vec![input.parse()?])
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        let roles = if lookahead.peek(kw::roles) {
            input.parse::<kw::roles>()?;
            true
        } else if lookahead.peek(kw::role) {
            input.parse::<kw::role>()?;
            true
        } else if lookahead.peek(kw::policy) {
            input.parse::<kw::policy>()?;
            false
        } else if lookahead.peek(kw::policies) {
            input.parse::<kw::policies>()?;
            false
        } else {
            return Err(input.error(format!("unknown `authorize` argument; {EXPECTED}")));
        };
        input.parse::<Token![=]>()?;
        let values = strings(input)?;
        Ok(if roles {
            Arg::Roles(values)
        } else {
            Arg::Policies(values)
        })
    }
}

fn parse(attr: &Attribute) -> syn::Result<Requirement> {
    let mut requirement = Requirement::default();
    if matches!(attr.meta, syn::Meta::Path(_)) {
        return Ok(requirement);
    }
    let args = attr.parse_args_with(Punctuated::<Arg, Token![,]>::parse_terminated)?;
    for arg in args {
        match arg {
            // As ASP.NET's `Roles = "Admin,Ops"`: a comma separates roles.
            Arg::Roles(values) => {
                for value in values {
                    let roles = value.value();
                    let before = requirement.roles.len();
                    requirement.roles.extend(
                        roles
                            .split(',')
                            .map(str::trim)
                            .filter(|role| !role.is_empty())
                            .map(str::to_owned),
                    );
                    if requirement.roles.len() == before {
                        return Err(syn::Error::new(value.span(), "a role name is not empty"));
                    }
                }
            }
            Arg::Policies(values) => {
                for value in values {
                    if value.value().trim().is_empty() {
                        return Err(syn::Error::new(value.span(), "a policy name is not empty"));
                    }
                    requirement.policies.push(value.value());
                }
            }
        }
    }
    Ok(requirement)
}

/// The `#[authorize]` attribute macro: reached only when `#[authorize]` is written above
/// `#[hub]` (below it, or on a method, `#[hub]` reads and removes it). Moves itself below the
/// `#[hub]` attribute, where `#[hub]` reads it.
pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: Item = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => return misplaced(Span::call_site(), input),
    };
    let Item::Impl(mut item) = item else {
        return misplaced(Span::call_site(), input);
    };
    let Some(hub) = item.attrs.iter().position(|attr| {
        attr.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "hub")
    }) else {
        return misplaced(Span::call_site(), quote!(#item));
    };
    let attribute: Attribute = if args.is_empty() {
        syn::parse_quote!(#[authorize])
    } else {
        syn::parse_quote!(#[authorize(#args)])
    };
    item.attrs.insert(hub + 1, attribute);
    quote!(#item)
}

fn misplaced(span: Span, item: TokenStream) -> TokenStream {
    let error = syn::Error::new(
        span,
        "#[authorize] goes on a `#[hub]` impl block or on one of its methods",
    )
    .to_compile_error();
    quote!(#item #error)
}
