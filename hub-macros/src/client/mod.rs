//! `#[client]`: the model of a client trait, its checks, and the entry point.

mod expand;

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{FnArg, ItemTrait, Pat, Path, TraitItem, Type};

use crate::attr::{Macro, MacroArgs, take_method_attrs};
use crate::errors::Errors;
use crate::names::{collision_key, pascal_case};
use crate::types::is_unit;

pub(crate) struct ClientModel {
    /// The path of hub_runtime: every generated path starts with it.
    pub(crate) krate: Path,
    pub(crate) item: ItemTrait,
    pub(crate) methods: Vec<ClientMethod>,
}

pub(crate) struct ClientMethod {
    pub(crate) ident: syn::Ident,
    pub(crate) wire_name: String,
    pub(crate) params: Vec<(syn::Ident, Type)>,
    /// The result type of a client result; `None` for a fire-and-forget call.
    pub(crate) returns: Option<Type>,
    pub(crate) docs: Vec<syn::Attribute>,
}

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = MacroArgs::parse(args, Macro::Client, &mut errors);
    let mut item: ItemTrait = match syn::parse2(input) {
        Ok(item) => item,
        Err(err) => {
            return syn::Error::new(
                err.span(),
                "#[client] goes on a trait: `pub trait ChatClient { async fn receive_message(&self, text: String); }`",
            )
            .to_compile_error();
        }
    };
    let methods = parse_methods(&mut item, &mut errors);
    let model = ClientModel {
        krate: args.krate(),
        item,
        methods,
    };
    if !errors.is_empty() {
        let item = &model.item;
        let compile_errors = errors.to_compile_errors();
        return quote! { #item #compile_errors };
    }
    expand::generate(&model)
}

fn parse_methods(item: &mut ItemTrait, errors: &mut Errors) -> Vec<ClientMethod> {
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        errors.spanned(&item.generics, "client traits cannot be generic");
    }
    if !item.supertraits.is_empty() {
        errors.spanned(&item.supertraits, "client traits cannot have supertraits");
    }
    let mut methods = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for trait_item in &mut item.items {
        let TraitItem::Fn(method) = trait_item else {
            errors.spanned(
                &*trait_item,
                "client traits hold only `async fn` declarations",
            );
            continue;
        };
        let attrs = take_method_attrs(&mut method.attrs, "client", false, errors);
        let sig = &method.sig;
        if sig.asyncness.is_none() {
            errors.spanned(
                sig.fn_token,
                "client methods are `async fn`: calling a client sends a message",
            );
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            errors.spanned(&sig.generics, "client methods cannot be generic");
        }
        if let Some(body) = &method.default {
            errors.spanned(
                body,
                "client methods are declarations (the client implements them): remove the body",
            );
        }
        match sig.inputs.first() {
            Some(FnArg::Receiver(receiver))
                if receiver.reference.is_some() && receiver.mutability.is_none() => {}
            _ => errors.spanned(&sig.ident, "client methods take `&self` first"),
        }
        let returns = match &sig.output {
            syn::ReturnType::Type(_, ty) if !is_unit(ty) => Some((**ty).clone()),
            _ => None,
        };
        let mut params = Vec::new();
        for input in sig.inputs.iter().skip(1) {
            let FnArg::Typed(typed) = input else { continue };
            match &*typed.pat {
                Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                    params.push((pat.ident.clone(), (*typed.ty).clone()));
                }
                other => errors.spanned(other, "client method parameters are plain names"),
            }
        }
        let wire_name = attrs
            .rename
            .as_ref()
            .map_or_else(|| pascal_case(&sig.ident.to_string()), |lit| lit.value());
        let key = collision_key(&wire_name);
        if let Some(first) = seen.get(&key) {
            errors.spanned(
                &sig.ident,
                format!(
                    "wire name `{wire_name}` collides with `{first}`: SignalR clients match method names ignoring case"
                ),
            );
        } else {
            seen.insert(key, wire_name.clone());
        }
        let docs = method
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("doc"))
            .cloned()
            .collect();
        methods.push(ClientMethod {
            ident: sig.ident.clone(),
            wire_name,
            params,
            returns,
            docs,
        });
    }
    methods
}
