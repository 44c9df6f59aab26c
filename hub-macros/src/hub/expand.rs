//! Generates `impl hub_runtime::Hub` from a [`HubModel`]: a few lines of glue per method that
//! call generic runtime code. Every path into the runtime starts with the model's `krate`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::{Hook, HookParam, HubMethod, HubModel, Param, WireType};
use crate::runtime_path;
use crate::types::{Returns, result_ok_type, result_types, stream_item};

/// `Hub::Client`: the proxy of the client trait, or `NoClient`.
fn client_proxy(model: &HubModel) -> TokenStream {
    let krate = &model.krate;
    match &model.client_proxy {
        Some(proxy) => quote! { #proxy },
        None => quote! { #krate::NoClient },
    }
}

pub(super) fn generate(model: &HubModel) -> TokenStream {
    let krate = &model.krate;
    let self_ty = &model.self_ty;
    let client = client_proxy(model);
    let client_check = model.client_trait.as_ref().map(|path| {
        quote_spanned! {path.span()=>
            const _: () = {
                fn __hub_client_must_be_a_client_trait<__T: ?::core::marker::Sized + #path>() {}
            };
        }
    });
    let infos = model.methods.iter().map(|method| {
        let name = &method.wire_name;
        let params = method.arg_count();
        let streams = method.upload_count();
        let streaming = method.is_streaming();
        let authorize = method.authorize.iter().map(|r| r.tokens(krate));
        quote! {
            #krate::__private::MethodInfo {
                name: #name,
                params: #params,
                streams: #streams,
                streaming: #streaming,
                authorize: &[#(#authorize),*],
            }
        }
    });
    let arms = model
        .methods
        .iter()
        .enumerate()
        .map(|(index, method)| bind_arm(krate, self_ty, index, method));
    let on_connected = model
        .on_connected
        .as_ref()
        .map(|hook| hook_fn(krate, self_ty, hook, false));
    let on_disconnected = model
        .on_disconnected
        .as_ref()
        .map(|hook| hook_fn(krate, self_ty, hook, true));
    let describe = describe(model);
    let hub_authorize = model.authorize.iter().map(|r| r.tokens(krate));
    quote! {
        #client_check

        impl #krate::Hub for #self_ty {
            type Client = #client;

            const METHODS: &'static [#krate::__private::MethodInfo] = &[#(#infos),*];

            const AUTHORIZE: &'static [#krate::__private::Requirement] = &[#(#hub_authorize),*];

            fn __bind(
                self: &#krate::__private::Arc<Self>,
                __index: usize,
                __call: &#krate::__private::CallContext,
                __args: &#krate::__private::Arguments<'_>,
                __streams: &mut #krate::__private::StreamArgs<'_>,
                __now: ::core::option::Option<#krate::__private::Now<'_>>,
            ) -> ::core::result::Result<
                #krate::__private::Bound,
                #krate::__private::ArgumentError,
            > {
                match __index {
                    #(#arms)*
                    _ => ::core::unreachable!("the runtime passes indexes of Hub::METHODS only"),
                }
            }

            #describe

            #on_connected
            #on_disconnected
        }
    }
}

/// `Hub::describe`: the hub's part of the manifest, with the schema of every type it uses.
fn describe(model: &HubModel) -> TokenStream {
    let krate = &model.krate;
    let hub_name = match &model.self_ty {
        syn::Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(String::new, |segment| segment.ident.to_string()),
        other => quote!(#other).to_string(),
    };
    let hub_docs = option_str(krate, model.docs.as_deref());
    let hub_authorize = model.authorize.iter().map(|r| r.manifest_tokens(krate));
    let client_name = option_str(
        krate,
        model
            .client_trait
            .as_ref()
            .and_then(|path| path.segments.last())
            .map(|segment| segment.ident.to_string())
            .as_deref(),
    );
    let client_methods = match &model.client_proxy {
        Some(proxy) => quote! {
            <#proxy as #krate::ClientProxy>::__describe(__builder)
        },
        None => quote! { #krate::__private::Vec::new() },
    };
    let methods = model.methods.iter().map(|method| {
        let name = &method.wire_name;
        let rust_name = method.ident.to_string();
        let rust_name = rust_name.trim_start_matches("r#");
        let docs = option_str(krate, method.docs.as_deref());
        let authorize = method.authorize.iter().map(|r| r.manifest_tokens(krate));
        let params = method.params.iter().filter_map(|param| match param {
            Param::Ctx | Param::Cancel => None,
            Param::Arg(ty, name) => {
                let krate = runtime_path::at(krate, ty.span());
                Some(quote_spanned! {ty.span()=>
                    #krate::manifest::Param {
                        name: #krate::__private::text(#name),
                        schema: __builder.schema::<#ty>(),
                        stream: false,
                    }
                })
            }
            Param::Upload(ty, name) => {
                let krate = runtime_path::at(krate, ty.span());
                Some(quote_spanned! {ty.span()=>
                    #krate::manifest::Param {
                        name: #krate::__private::text(#name),
                        schema: __builder.schema::<<#ty as #krate::__private::StreamItem>::Item>(),
                        stream: true,
                    }
                })
            }
        });
        // Stream parameters follow the plain ones on the wire.
        let mut params: Vec<_> = params.collect();
        let uploads = method
            .params
            .iter()
            .filter(|param| !matches!(param, Param::Ctx | Param::Cancel))
            .map(|param| matches!(param, Param::Upload(..)));
        let mut ordered = Vec::new();
        let mut streams = Vec::new();
        for (param, upload) in params.drain(..).zip(uploads) {
            if upload {
                streams.push(param);
            } else {
                ordered.push(param);
            }
        }
        ordered.extend(streams);
        let kind = if method.is_streaming() {
            quote! { Stream }
        } else {
            quote! { Invoke }
        };
        let result = method.wire_result().map(|wire| match wire {
            WireType::Plain(ty) => quote_spanned! {ty.span()=> #ty },
            WireType::OkOf(ty) => {
                let krate = runtime_path::at(krate, ty.span());
                quote_spanned! {ty.span()=> <#ty as #krate::__private::Fallible>::Ok }
            }
        });
        let result = match result {
            Some(ty) => quote! { ::core::option::Option::Some(__builder.schema::<#ty>()) },
            None => quote! { ::core::option::Option::None },
        };
        quote! {
            #krate::manifest::HubMethod {
                name: #krate::__private::text(#name),
                rust_name: #krate::__private::text(#rust_name),
                description: #docs,
                kind: #krate::manifest::MethodKind::#kind,
                params: #krate::__private::vec![#(#ordered),*],
                result: #result,
                authorize: #krate::__private::vec![#(#authorize),*],
            }
        }
    });
    quote! {
        fn describe(
            __builder: &mut #krate::manifest::ManifestBuilder,
        ) -> #krate::manifest::HubManifest {
            #krate::manifest::HubManifest {
                name: #krate::__private::text(#hub_name),
                path: ::core::option::Option::None,
                description: #hub_docs,
                client_name: #client_name,
                methods: #krate::__private::vec![#(#methods),*],
                client_methods: #client_methods,
                authorize: #krate::__private::vec![#(#hub_authorize),*],
            }
        }
    }
}

/// `Option<String>` from a literal known at expansion.
pub(crate) fn option_str(krate: &syn::Path, text: Option<&str>) -> TokenStream {
    match text {
        Some(text) => quote! {
            ::core::option::Option::Some(#krate::__private::text(#text))
        },
        None => quote! { ::core::option::Option::None },
    }
}

fn bind_arm(
    krate: &syn::Path,
    self_ty: &syn::Type,
    index: usize,
    method: &HubMethod,
) -> TokenStream {
    let ident = &method.ident;
    let mut decode = Vec::new();
    let mut call_args = Vec::new();
    let mut arg_index = 0usize;
    for param in &method.params {
        match param {
            Param::Ctx => call_args.push(quote! { &__ctx }),
            Param::Arg(ty, _) => {
                let var = format_ident!("__a{}", arg_index);
                // Spanned on the parameter type: "`T: Deserialize` is not satisfied" lands there.
                decode.push(quote_spanned! {ty.span()=>
                    let #var = __args.decode::<#ty>(#arg_index)?;
                });
                call_args.push(quote! { #var });
                arg_index += 1;
            }
            Param::Upload(ty, _) => {
                let var = format_ident!("__s{}", call_args.len());
                decode.push(quote_spanned! {ty.span()=>
                    let #var: #ty = __streams.take();
                });
                call_args.push(quote! { #var });
            }
            Param::Cancel => {
                let var = format_ident!("__c{}", call_args.len());
                let token = if method.is_streaming() {
                    quote! { __streams.stream_cancellation() }
                } else {
                    quote! { __streams.connection_cancellation() }
                };
                decode.push(quote! { let #var = #token; });
                call_args.push(quote! { #var });
            }
        }
    }
    let call = quote! { <#self_ty>::#ident(&*__this, #(#call_args),*) };
    let call = if method.is_async {
        quote! { #call.await }
    } else {
        call
    };
    // The types of the value and the error go in the turbofish as the user wrote them, so that
    // "`T: Serialize` is not satisfied" or "`E` cannot be the error of a hub method" lands on
    // them.
    let outcome = match &method.returns {
        Returns::Unit => quote! { #krate::__private::outcome::unit(__ret) },
        Returns::Value(ty) => {
            let krate = runtime_path::at(krate, ty.span());
            quote_spanned! {ty.span()=> #krate::__private::outcome::value::<#ty>(__ret) }
        }
        Returns::FallibleUnit(ty) => {
            let krate = runtime_path::at(krate, ty.span());
            let (_, err) = result_args(ty);
            quote_spanned! {ty.span()=>
                #krate::__private::outcome::fallible_unit::<#err, _>(__ret)
            }
        }
        Returns::FallibleValue(ty) => {
            let krate = runtime_path::at(krate, ty.span());
            let (ok, err) = result_args(ty);
            quote_spanned! {ty.span()=>
                #krate::__private::outcome::fallible_value::<#ok, #err, _>(__ret)
            }
        }
        Returns::Stream {
            ty,
            fallible_items,
            fallible_start,
        } => {
            // `Result<impl Stream<Item = Result<T, E2>>, E>`: the generic parameters are
            // `S, T`, then `E, M` for a fallible start, then `E2, M2` for fallible items.
            let stream = if *fallible_start {
                result_ok_type(ty).unwrap_or(ty)
            } else {
                ty
            };
            let item = stream_item(stream).unwrap_or(stream);
            let mut args = Vec::new();
            let item_err = if *fallible_items {
                let (ok, err) = result_args(item);
                args.push(ok);
                Some(err)
            } else {
                args.push(quote! { #item });
                None
            };
            if *fallible_start {
                args.push(result_args(ty).1);
                args.push(quote! { _ });
            }
            if let Some(item_err) = item_err {
                args.push(item_err);
                args.push(quote! { _ });
            }
            let convert = match (fallible_start, fallible_items) {
                (false, false) => quote! { stream },
                (false, true) => quote! { fallible_stream },
                (true, false) => quote! { started_stream },
                (true, true) => quote! { started_fallible_stream },
            };
            let krate = runtime_path::at(krate, ty.span());
            quote_spanned! {ty.span()=>
                #krate::__private::outcome::#convert::<_, #(#args),*>(__ret, __sink).await
            }
        }
    };
    // The context of the caller, when the method takes one: the future owns it.
    let ctx = method
        .params
        .iter()
        .any(|param| matches!(param, Param::Ctx))
        .then(|| {
            quote! {
                let __ctx = #krate::Ctx::<Self>::__new(__call);
            }
        });
    // The future owns the hub.
    let owned = quote! {
        let __this = <#krate::__private::Arc<Self> as ::core::clone::Clone>::clone(self);
    };
    let bound = if method.is_streaming() {
        // The driver owns the hub and the context, so the stream may borrow them.
        quote! {
            #owned
            #krate::__private::Bound::Stream(__streams.server_stream(move |__sink| async move {
                let __ret = #call;
                #outcome
            }))
        }
    } else {
        // The value is encoded when the future returns it, from its own type.
        quote! {
            #owned
            #krate::__private::Bound::Call(#krate::__private::outcome::call(async move {
                let __ret = #call;
                #outcome
            }))
        }
    };
    // A synchronous method runs at once when the runtime allows it: no future, no clones.
    let now = (!method.is_async && !method.is_streaming()).then(|| {
        let finish = match &method.returns {
            Returns::Unit => quote! { __now.unit(__ret) },
            Returns::Value(ty) => quote_spanned! {ty.span()=> __now.value::<#ty>(&__ret) },
            Returns::FallibleUnit(ty) => {
                let (_, err) = result_args(ty);
                quote_spanned! {ty.span()=> __now.fallible_unit::<#err, _>(__ret) }
            }
            Returns::FallibleValue(ty) => {
                let (ok, err) = result_args(ty);
                quote_spanned! {ty.span()=> __now.fallible_value::<#ok, #err, _>(__ret) }
            }
            Returns::Stream { .. } => unreachable!("streaming methods are excluded above"),
        };
        quote! {
            if let ::core::option::Option::Some(__now) = __now {
                let __ret = <#self_ty>::#ident(&**self, #(#call_args),*);
                return ::core::result::Result::Ok(#finish);
            }
        }
    });
    quote! {
        #index => {
            #(#decode)*
            #ctx
            #now
            ::core::result::Result::Ok({ #bound })
        }
    }
}

/// The `T` and `E` of a `Result` return type as turbofish arguments: the types as written, where
/// the compiler reports an unsatisfied bound; `_` (reported at the whole type) for an alias such
/// as `io::Result<T>`, whose types are not written.
fn result_args(ty: &syn::Type) -> (TokenStream, TokenStream) {
    match result_types(ty) {
        Some((ok, err)) => (quote! { #ok }, quote! { #err }),
        None => {
            let infer = quote_spanned! {ty.span()=> _ };
            (infer.clone(), infer)
        }
    }
}

fn hook_fn(krate: &syn::Path, self_ty: &syn::Type, hook: &Hook, disconnected: bool) -> TokenStream {
    let ident = &hook.ident;
    let ctx = hook
        .params
        .iter()
        .any(|param| matches!(param, HookParam::Ctx))
        .then(|| quote! { let __ctx = #krate::Ctx::<Self>::__new(__call); });
    let args = hook.params.iter().map(|param| match param {
        HookParam::Ctx => quote! { &__ctx },
        HookParam::Error => quote! { __error },
    });
    let call = quote! { <#self_ty>::#ident(&*__this, #(#args),*) };
    let call = if hook.is_async {
        quote! { #call.await }
    } else {
        call
    };
    let fallible = hook.fallible.as_ref().map(|ty| {
        let (_, err) = result_args(ty);
        let krate = runtime_path::at(krate, ty.span());
        quote_spanned! {ty.span()=> #krate::__private::outcome::hook_fallible::<#err, _>(__ret) }
    });
    if disconnected {
        let finish = if let Some(fallible) = fallible {
            quote! {
                if let ::core::result::Result::Err(__err) = #fallible {
                    #krate::__private::log_hook_error("on_disconnected", &__err);
                }
            }
        } else {
            quote! { let () = __ret; }
        };
        quote! {
            fn __on_disconnected(
                self: &#krate::__private::Arc<Self>,
                __call: &#krate::__private::CallContext,
                __error: ::core::option::Option<#krate::HubError>,
            ) -> #krate::__private::BoxFuture<()> {
                let __this = <#krate::__private::Arc<Self> as ::core::clone::Clone>::clone(self);
                #ctx
                #krate::__private::Box::pin(async move {
                    let __ret = #call;
                    #finish
                })
            }
        }
    } else {
        let outcome =
            fallible.unwrap_or_else(|| quote! { #krate::__private::outcome::hook_unit(__ret) });
        quote! {
            fn __on_connected(
                self: &#krate::__private::Arc<Self>,
                __call: &#krate::__private::CallContext,
            ) -> #krate::__private::BoxFuture<::core::result::Result<(), #krate::HubError>> {
                let __this = <#krate::__private::Arc<Self> as ::core::clone::Clone>::clone(self);
                #ctx
                #krate::__private::Box::pin(async move {
                    let __ret = #call;
                    #outcome
                })
            }
        }
    }
}

/// Emitted beside the errors of a hub whose impl block is otherwise fine, so that uses of the hub
/// elsewhere (`HubRouter::new`) do not add "`Hub` is not implemented" errors to the real one. Its
/// client proxy is the real one: the hub's calls to its clients (`ctx.clients().all().x()`, in the
/// hub or through `HubContext`) still type-check, and add no errors either.
pub(super) fn fallback(model: &HubModel) -> TokenStream {
    let krate = &model.krate;
    let self_ty = &model.self_ty;
    let client = client_proxy(model);
    quote! {
        impl #krate::Hub for #self_ty {
            type Client = #client;
            const METHODS: &'static [#krate::__private::MethodInfo] = &[];
            fn __bind(
                self: &#krate::__private::Arc<Self>,
                _: usize,
                _: &#krate::__private::CallContext,
                _: &#krate::__private::Arguments<'_>,
                _: &mut #krate::__private::StreamArgs<'_>,
                _: ::core::option::Option<#krate::__private::Now<'_>>,
            ) -> ::core::result::Result<
                #krate::__private::Bound,
                #krate::__private::ArgumentError,
            > {
                ::core::unreachable!("a hub that failed to compile has no methods")
            }
            fn describe(
                _: &mut #krate::manifest::ManifestBuilder,
            ) -> #krate::manifest::HubManifest {
                ::core::unreachable!("a hub that failed to compile has no manifest")
            }
        }
    }
}
