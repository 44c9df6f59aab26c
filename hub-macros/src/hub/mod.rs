//! `#[hub]`: the model of a hub impl block, its checks, and the entry point.

mod caller;
mod expand;

pub(crate) use expand::option_str;

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, ImplItemFn, ItemImpl, Path, Type, Visibility};

use crate::attr::{Macro, MacroArgs, take_method_attrs};
use crate::authorize::{self, Requirement};
use crate::errors::Errors;
use crate::names::{collision_key, doc_text, pascal_case};
use crate::types::{
    Returns, borrowed_reference, contains_impl_trait, contains_reference, is_cancellation_token,
    is_client_stream, is_ctx_ref, is_misused_ctx, result_ok_type, returns, stream_item,
};

/// Said on a context parameter taken by value or by `&mut`.
const CTX_BY_REFERENCE: &str = "take the context by reference: `ctx: &Ctx<Self>`";

/// A hub, as the expansion needs it.
pub(crate) struct HubModel {
    /// The path of hub_runtime: every generated path starts with it.
    pub(crate) krate: Path,
    pub(crate) self_ty: Type,
    /// The proxy type of the client trait, or `None` for a hub that calls no client method.
    pub(crate) client_proxy: Option<Path>,
    /// The path of the client trait as the user wrote it.
    pub(crate) client_trait: Option<Path>,
    pub(crate) methods: Vec<HubMethod>,
    pub(crate) on_connected: Option<Hook>,
    pub(crate) on_disconnected: Option<Hook>,
    /// The `///` documentation of the impl block.
    pub(crate) docs: Option<String>,
    /// Its `#[authorize]` attributes.
    pub(crate) authorize: Vec<Requirement>,
}

pub(crate) struct HubMethod {
    pub(crate) ident: syn::Ident,
    pub(crate) wire_name: String,
    pub(crate) is_async: bool,
    pub(crate) params: Vec<Param>,
    pub(crate) returns: Returns,
    /// The `///` documentation.
    pub(crate) docs: Option<String>,
    /// Its `#[authorize]` attributes.
    pub(crate) authorize: Vec<Requirement>,
}

pub(crate) enum Param {
    Ctx,
    /// A plain argument: its type and name.
    Arg(Box<Type>, String),
    /// A `ClientStream<T>`: bound to one of the invocation's `streamIds`.
    Upload(Box<Type>, String),
    /// A `CancellationToken`: cancelled when the client cancels the stream (streaming
    /// methods) or the connection ends.
    Cancel,
}

impl HubMethod {
    pub(crate) fn arg_count(&self) -> usize {
        self.params
            .iter()
            .filter(|p| matches!(p, Param::Arg(..)))
            .count()
    }

    pub(crate) fn upload_count(&self) -> usize {
        self.params
            .iter()
            .filter(|p| matches!(p, Param::Upload(..)))
            .count()
    }

    pub(crate) fn is_streaming(&self) -> bool {
        matches!(self.returns, Returns::Stream { .. })
    }

    /// The type of what the method sends back on the wire: its result, or each item of its
    /// stream; `None` for a method without result. What the manifest describes and what a
    /// client's typed caller decodes.
    pub(crate) fn wire_result(&self) -> Option<WireType> {
        match &self.returns {
            Returns::Unit | Returns::FallibleUnit(_) => None,
            Returns::Value(ty) => Some(WireType::Plain(ty.clone())),
            Returns::FallibleValue(ty) => Some(WireType::OkOf(ty.clone())),
            Returns::Stream {
                ty,
                fallible_items,
                fallible_start,
            } => {
                let item = if *fallible_start {
                    result_ok_type(ty).and_then(stream_item)
                } else {
                    stream_item(ty)
                }?;
                Some(if *fallible_items {
                    WireType::OkOf(item.clone())
                } else {
                    WireType::Plain(item.clone())
                })
            }
        }
    }
}

/// A type on the wire, as [`HubMethod::wire_result`] finds it.
pub(crate) enum WireType {
    /// The type as written.
    Plain(Type),
    /// `T` of the `Result<T, E>` written (`<ty as Fallible>::Ok`).
    OkOf(Type),
}

/// `on_connected` / `on_disconnected`.
pub(crate) struct Hook {
    pub(crate) ident: syn::Ident,
    pub(crate) is_async: bool,
    pub(crate) params: Vec<HookParam>,
    /// The `Result<(), E>` of a fallible hook.
    pub(crate) fallible: Option<Type>,
}

pub(crate) enum HookParam {
    Ctx,
    Error,
}

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = MacroArgs::parse(args, Macro::Hub, &mut errors);
    let mut item: ItemImpl = match syn::parse2(input) {
        Ok(item) => item,
        Err(err) => {
            let err = syn::Error::new(
                err.span(),
                "#[hub] goes on an inherent impl block: `impl MyHub { .. }`",
            );
            return err.to_compile_error();
        }
    };
    let model = parse_model(&args, &mut item, &mut errors);
    if !errors.is_empty() {
        let compile_errors = errors.to_compile_errors();
        // A generic or trait impl has no single type to implement `Hub` for; without a valid
        // `crate` argument the runtime's path is unknown.
        let fallback =
            (item.trait_.is_none() && item.generics.params.is_empty() && !args.krate_invalid)
                .then(|| expand::fallback(&model));
        return quote! { #item #compile_errors #fallback };
    }
    let generated = expand::generate(&model);
    let caller = caller::generate(&model);
    quote! { #item #generated #caller }
}

fn parse_model(args: &MacroArgs, item: &mut ItemImpl, errors: &mut Errors) -> HubModel {
    if let Some((_, path, _)) = &item.trait_ {
        errors.spanned(
            path,
            "#[hub] goes on an inherent impl block (`impl MyHub`), not a trait impl",
        );
    }
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        errors.spanned(
            &item.generics,
            "#[hub] does not support generic hubs: make a concrete type the hub",
        );
    }
    let client_proxy = args.client.as_ref().map(|path| {
        let mut proxy = path.clone();
        if let Some(last) = proxy.segments.last_mut() {
            last.ident = syn::Ident::new(&format!("{}Proxy", last.ident), last.ident.span());
        }
        proxy
    });
    let mut model = HubModel {
        krate: args.krate(),
        self_ty: (*item.self_ty).clone(),
        client_proxy,
        client_trait: args.client.clone(),
        methods: Vec::new(),
        on_connected: None,
        on_disconnected: None,
        docs: doc_text(&item.attrs),
        authorize: authorize::take(&mut item.attrs, errors),
    };
    let mut seen: HashMap<String, (String, proc_macro2::Span)> = HashMap::new();
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let attrs = take_method_attrs(&mut method.attrs, "hub", true, errors);
        let authorize_attr = method
            .attrs
            .iter()
            .find(|attr| authorize::is_authorize(attr))
            .cloned();
        let requirements = authorize::take(&mut method.attrs, errors);
        let name = method.sig.ident.to_string();
        if name == "on_connected" || name == "on_disconnected" {
            if let Some(attr) = &authorize_attr {
                errors.spanned(
                    attr,
                    "#[authorize] on a lifecycle hook: put it on the impl block to authorize connections",
                );
            }
            if let Some(rename) = &attrs.rename {
                errors.spanned(rename, "lifecycle hooks have no wire name");
            }
            let hook = parse_hook(method, name == "on_disconnected", errors);
            if name == "on_connected" {
                model.on_connected = Some(hook);
            } else {
                model.on_disconnected = Some(hook);
            }
            continue;
        }
        let is_pub = matches!(method.vis, Visibility::Public(_));
        if attrs.skip || !is_pub {
            if let Some(attr) = &authorize_attr {
                errors.spanned(
                    attr,
                    "#[authorize] on a method clients cannot call: only `pub` hub methods are authorized",
                );
            }
            if !is_pub && (attrs.rename.is_some() || attrs.skip) {
                errors.spanned(
                    &method.sig.ident,
                    "only `pub` methods are hub methods; this one is not callable by clients anyway",
                );
            }
            continue;
        }
        let wire_name = attrs
            .rename
            .as_ref()
            .map_or_else(|| pascal_case(&name), |lit| lit.value());
        let span = attrs
            .rename
            .as_ref()
            .map_or_else(|| method.sig.ident.span(), |lit| lit.span());
        if let Some((first, _)) = seen.get(&collision_key(&wire_name)) {
            errors.push(syn::Error::new(
                span,
                format!(
                    "wire name `{wire_name}` collides with `{first}`: SignalR matches method names ignoring case"
                ),
            ));
        } else {
            seen.insert(collision_key(&wire_name), (wire_name.clone(), span));
        }
        if let Some(mut method) = parse_method(method, wire_name, errors) {
            method.authorize = requirements;
            model.methods.push(method);
        }
    }
    model
}

fn check_signature(method: &ImplItemFn, what: &str, errors: &mut Errors) {
    let sig = &method.sig;
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.spanned(
            &sig.generics,
            format!("{what} cannot be generic: clients send JSON, the server must know the concrete types"),
        );
    }
    match sig.inputs.first() {
        Some(FnArg::Receiver(receiver))
            if receiver.reference.is_some() && receiver.mutability.is_none() => {}
        Some(FnArg::Receiver(receiver)) => errors.spanned(
            receiver,
            format!("{what} take `&self`: one hub value serves every connection at once"),
        ),
        _ => errors.spanned(
            &sig.ident,
            format!("{what} take `&self` as their first parameter"),
        ),
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(variadic, format!("{what} cannot be variadic"));
    }
}

fn parse_method(method: &ImplItemFn, wire_name: String, errors: &mut Errors) -> Option<HubMethod> {
    check_signature(method, "hub methods", errors);
    let sig = &method.sig;
    let mut params = Vec::new();
    let mut ctx_seen = false;
    for input in sig.inputs.iter().skip(1) {
        let FnArg::Typed(typed) = input else {
            continue;
        };
        let ty = &*typed.ty;
        let name = match &*typed.pat {
            syn::Pat::Ident(pat) => pat.ident.to_string(),
            _ => format!("arg{}", params.len()),
        };
        let name = name
            .trim_start_matches("r#")
            .trim_start_matches('_')
            .to_owned();
        if is_ctx_ref(ty) {
            if ctx_seen {
                errors.spanned(ty, "only one context parameter is allowed");
            }
            ctx_seen = true;
            params.push(Param::Ctx);
        } else if is_misused_ctx(ty) {
            errors.spanned(ty, CTX_BY_REFERENCE);
        } else if is_client_stream(ty) {
            params.push(Param::Upload(Box::new(ty.clone()), name));
        } else if is_cancellation_token(ty) {
            if params.iter().any(|param| matches!(param, Param::Cancel)) {
                errors.spanned(ty, "only one `CancellationToken` parameter is allowed");
            }
            params.push(Param::Cancel);
        } else if contains_impl_trait(ty) {
            errors.spanned(
                ty,
                "hub method parameters cannot be `impl Trait`: name a concrete type that implements `Deserialize`",
            );
        } else if contains_reference(ty) {
            errors.spanned(
                ty,
                "hub method parameters must be owned (`DeserializeOwned`): use `String` for `&str`, `Vec<T>` for `&[T]`",
            );
        } else {
            params.push(Param::Arg(Box::new(ty.clone()), name));
        }
    }
    let returns = returns(&sig.output);
    if let syn::ReturnType::Type(_, ty) = &sig.output {
        if contains_impl_trait(ty) && !matches!(returns, Returns::Stream { .. }) {
            errors.spanned(
                ty,
                "hub methods return a `Serialize` type, or `impl Stream<Item = T>` to stream; no other `impl Trait`",
            );
            return None;
        }
        check_owned_return(ty, "hub methods", errors);
    }
    Some(HubMethod {
        ident: sig.ident.clone(),
        wire_name,
        is_async: sig.asyncness.is_some(),
        params,
        returns,
        docs: doc_text(&method.attrs),
        authorize: Vec::new(),
    })
}

/// A returned value outlives the call (the runtime encodes it afterwards): it cannot borrow, but
/// `&'static` data is fine.
fn check_owned_return(ty: &Type, what: &str, errors: &mut Errors) {
    if let Some(reference) = borrowed_reference(ty) {
        errors.spanned(
            reference,
            format!("{what} return owned values: use `String` for `&str`, `Vec<T>` for `&[T]`"),
        );
    }
}

fn parse_hook(method: &ImplItemFn, disconnected: bool, errors: &mut Errors) -> Hook {
    check_signature(method, "lifecycle hooks", errors);
    let sig = &method.sig;
    let mut params = Vec::new();
    for input in sig.inputs.iter().skip(1) {
        let FnArg::Typed(typed) = input else {
            continue;
        };
        if is_ctx_ref(&typed.ty) {
            params.push(HookParam::Ctx);
        } else if is_misused_ctx(&typed.ty) {
            errors.spanned(&typed.ty, CTX_BY_REFERENCE);
        } else if disconnected && !params.iter().any(|p| matches!(p, HookParam::Error)) {
            params.push(HookParam::Error);
        } else {
            let expected = if disconnected {
                "`ctx: &Ctx<Self>` and `error: Option<HubError>`"
            } else {
                "`ctx: &Ctx<Self>`"
            };
            errors.push(syn::Error::new(
                typed.span(),
                format!("unexpected parameter: `{}` takes {expected}", sig.ident),
            ));
        }
    }
    let fallible = match returns(&sig.output) {
        Returns::Unit => None,
        Returns::FallibleUnit(ty) => {
            check_owned_return(&ty, "lifecycle hooks", errors);
            Some(ty)
        }
        Returns::Value(ty) | Returns::FallibleValue(ty) | Returns::Stream { ty, .. } => {
            errors.spanned(ty, "lifecycle hooks return `()` or `Result<(), E>`");
            None
        }
    };
    Hook {
        ident: sig.ident.clone(),
        is_async: sig.asyncness.is_some(),
        params,
        fallible,
    }
}
