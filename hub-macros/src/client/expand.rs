//! Generates the typed proxy of a client trait.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::{ClientMethod, ClientModel};
use crate::names::doc_text;
use crate::runtime_path;
use crate::types::decodable_type;

pub(super) fn generate(model: &ClientModel) -> TokenStream {
    let krate = &model.krate;
    let item = &send_futures(&model.item);
    let vis = &item.vis;
    let trait_ident = &item.ident;
    let proxy = format_ident!("{}Proxy", trait_ident, span = trait_ident.span());
    let doc = format!(
        "Calls the [`{trait_ident}`] methods on connected clients: what `ctx.clients().all()` and the other targets return.\n\n\
         `{proxy}<Single>` reaches one connection, `{proxy}<Many>` any number."
    );
    let methods = model
        .methods
        .iter()
        .filter(|m| m.returns.is_none())
        .map(|method| proxy_method(krate, method));
    let result_methods = model
        .methods
        .iter()
        .filter(|m| m.returns.is_some())
        .map(|method| proxy_method(krate, method));
    let descriptions = model.methods.iter().map(|method| describe(krate, method));
    let no_client = no_client(model);
    let handlers = handlers(model, &proxy);
    // The client results are on every proxy under a bound that only `Single` proxies meet
    // (rather than on `Single` proxies alone): a call on a proxy of many is refused with the
    // bound's message, not "no method found".
    quote! {
        #[allow(async_fn_in_trait, dead_code)]
        #item

        #[doc = #doc]
        #vis struct #proxy<K = #krate::Many> {
            target: #krate::__private::TypedTarget<K>,
        }

        impl<K> ::core::clone::Clone for #proxy<K> {
            fn clone(&self) -> Self {
                #proxy { target: ::core::clone::Clone::clone(&self.target) }
            }
        }

        impl<K> #krate::__private::FromTarget for #proxy<K> {
            fn from_target(target: #krate::__private::ProxyTarget) -> Self {
                #proxy { target: #krate::__private::TypedTarget::new(target) }
            }
        }

        impl #krate::ClientProxy for #proxy {
            type Many = #proxy<#krate::Many>;
            type Single = #proxy<#krate::Single>;

            fn __describe(
                __builder: &mut #krate::manifest::ManifestBuilder,
            ) -> #krate::__private::Vec<#krate::manifest::ClientMethod> {
                #krate::__private::vec![#(#descriptions),*]
            }
        }

        // `__K`: these impls hold the user's parameter types, which may name a type `K`.
        impl<__K: #krate::TargetKind> #proxy<__K> {
            #(#methods)*
        }

        impl #krate::__private::SingleTarget for #proxy<#krate::Single> {}

        /// Client results: only a proxy of one connection (`caller()`, `client(id)`) can await them.
        impl<__K> #proxy<__K>
        where
            Self: #krate::__private::SingleTarget,
        {
            #(#result_methods)*
        }

        #no_client

        #handlers
    }
}

/// The trait with each `async fn` declared as a `fn` returning `impl Future + Send` (what
/// `trait_variant` does): implementations still write `async fn`, and a client connection can
/// run their futures on any thread.
fn send_futures(item: &syn::ItemTrait) -> syn::ItemTrait {
    let mut item = item.clone();
    for trait_item in &mut item.items {
        let syn::TraitItem::Fn(method) = trait_item else {
            continue;
        };
        if method.sig.asyncness.take().is_none() {
            continue;
        }
        let output = match &method.sig.output {
            syn::ReturnType::Default => quote! { () },
            syn::ReturnType::Type(_, ty) => quote! { #ty },
        };
        method.sig.output = syn::parse_quote! {
            -> impl ::core::future::Future<Output = #output> + ::core::marker::Send
        };
    }
    item
}

/// `ClientHandlers<R>` for the proxy: the handlers that decode each method's arguments and call
/// an implementation `R` of the trait. The serde bounds of the trait's types are named through
/// `Wire<R>`, so they are checked where a receiver's handlers are made (a server never decodes
/// the arguments it sends).
fn handlers(model: &ClientModel, proxy: &syn::Ident) -> TokenStream {
    let krate = &model.krate;
    let trait_ident = &model.item.ident;
    let arc = quote! { <#krate::__private::Arc<__R> as ::core::clone::Clone>::clone };
    let mut bounds = Vec::new();
    let mut entries = Vec::new();
    for method in &model.methods {
        let ident = &method.ident;
        let wire_name = &method.wire_name;
        let mut decode = Vec::new();
        let mut args = Vec::new();
        for (index, (_, ty)) in method.params.iter().enumerate() {
            // A parameter that borrows inside (`Option<&str>`) cannot be decoded into: such a
            // trait has no handlers (the server can still call clients with it).
            let Some((owned, borrowed)) = decodable_type(ty) else {
                return TokenStream::new();
            };
            let var = format_ident!("__a{}", index);
            decode.push(quote! {
                let #var = <#krate::remote::Wire<__R> as #krate::remote::Decode<#owned>>::decode(&__args, #index)?;
            });
            bounds.push(quote! { #krate::remote::Wire<__R>: #krate::remote::Decode<#owned> });
            args.push(if borrowed {
                quote! { &#var }
            } else {
                quote! { #var }
            });
        }
        let finish = match &method.returns {
            Some(ty) => {
                bounds.push(quote! { #krate::remote::Wire<__R>: #krate::remote::Encode<#ty> });
                quote! { <#krate::remote::Wire<__R> as #krate::remote::Encode<#ty>>::encode(__ret) }
            }
            None => quote! {
                let () = __ret;
                ::core::result::Result::Ok(::core::option::Option::None)
            },
        };
        entries.push(quote! {
            {
                let __receiver = #arc(&__receiver);
                __handlers.on(#wire_name, move |__args: #krate::remote::ReceivedArguments| {
                    let __receiver = #arc(&__receiver);
                    async move {
                        #(#decode)*
                        let __ret = <__R as #trait_ident>::#ident(&*__receiver, #(#args),*).await;
                        #finish
                    }
                });
            }
        });
    }
    quote! {
        impl<__R> #krate::remote::ClientHandlers<__R> for #proxy
        where
            __R: #trait_ident + ::core::marker::Send + ::core::marker::Sync + 'static,
            #(#bounds,)*
        {
            fn handlers(__receiver: #krate::__private::Arc<__R>) -> #krate::remote::Handlers {
                let mut __handlers = #krate::remote::Handlers::new();
                #(#entries)*
                __handlers
            }
        }
    }
}

/// The client trait, implemented for `NoClient` (the proxy of a hub without `client = ...`) under
/// a bound that never holds: a call to one of its methods through such a hub is refused with the
/// bound's message, which says to add `client = ...`, instead of "no method found".
fn no_client(model: &ClientModel) -> TokenStream {
    let krate = &model.krate;
    let trait_ident = &model.item.ident;
    let methods = model.methods.iter().map(|method| {
        let ident = &method.ident;
        let types = method.params.iter().map(|(_, ty)| ty);
        let output = match &method.returns {
            Some(ty) => quote! { #ty },
            None => quote! { () },
        };
        // Never called: no type implements `ClientDeclared`.
        quote! {
            fn #ident(&self, #(_: #types),*)
                -> impl ::core::future::Future<Output = #output> + ::core::marker::Send
            {
                ::core::future::pending()
            }
        }
    });
    quote! {
        #[doc(hidden)]
        impl<__K> #trait_ident for #krate::NoClient<__K>
        where
            Self: #krate::__private::ClientDeclared,
        {
            #(#methods)*
        }
    }
}

fn proxy_method(krate: &syn::Path, method: &ClientMethod) -> TokenStream {
    let ident = &method.ident;
    let wire_name = &method.wire_name;
    let docs = &method.docs;
    let names: Vec<_> = method.params.iter().map(|(name, _)| name).collect();
    let types = method.params.iter().map(|(_, ty)| ty);
    // Each argument is coerced on its own, spanned on its type: "`T: Serialize` is not
    // satisfied" lands on the parameter.
    let arguments = method.params.iter().map(|(name, ty)| {
        let krate = runtime_path::at(krate, ty.span());
        quote_spanned! {ty.span()=>
            &#name as &dyn #krate::__private::ErasedSerialize
        }
    });
    match &method.returns {
        None => {
            let call_doc = format!(
                "Sends `{wire_name}` to the target's clients at once; the returned [`Delivery`]({}::Delivery) completes when every server took it.",
                runtime_path::doc_text(krate)
            );
            quote! {
                #(#docs)*
                #[doc = ""]
                #[doc = #call_doc]
                pub fn #ident(&self, #(#names: #types),*) -> #krate::Delivery {
                    self.target.target.send(#wire_name, &[#(#arguments),*])
                }
            }
        }
        Some(ret) => {
            let call_doc = format!(
                "Calls `{wire_name}` on the target connection and waits for the value its handler returns."
            );
            let invoke = quote_spanned! {ret.span()=>
                self.target.target.invoke::<#ret>(#wire_name, &[#(#arguments),*])
            };
            quote! {
                #(#docs)*
                #[doc = ""]
                #[doc = #call_doc]
                pub async fn #ident(
                    &self,
                    #(#names: #types),*
                ) -> ::core::result::Result<#ret, #krate::ClientResultError> {
                    let __pending = #invoke;
                    __pending.await
                }
            }
        }
    }
}

/// A client method's part of the manifest.
fn describe(krate: &syn::Path, method: &ClientMethod) -> TokenStream {
    let name = &method.wire_name;
    let rust_name = method.ident.to_string();
    let rust_name = rust_name.trim_start_matches("r#");
    let docs = crate::hub::option_str(krate, doc_text(&method.docs).as_deref());
    let params = method.params.iter().map(|(ident, ty)| {
        let param = ident.to_string();
        let param = param.trim_start_matches("r#").trim_start_matches('_');
        let krate = runtime_path::at(krate, ty.span());
        quote_spanned! {ty.span()=>
            #krate::manifest::Param {
                name: #krate::__private::text(#param),
                schema: __builder.schema::<#ty>(),
                stream: false,
            }
        }
    });
    let result = match &method.returns {
        Some(ty) => quote_spanned! {ty.span()=>
            ::core::option::Option::Some(__builder.schema::<#ty>())
        },
        None => quote! { ::core::option::Option::None },
    };
    quote! {
        #krate::manifest::ClientMethod {
            name: #krate::__private::text(#name),
            rust_name: #krate::__private::text(#rust_name),
            description: #docs,
            params: #krate::__private::vec![#(#params),*],
            result: #result,
        }
    }
}
