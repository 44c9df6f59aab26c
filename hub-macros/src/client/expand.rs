//! Generates the typed proxy of a client trait.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::{ClientMethod, ClientModel};
use crate::names::doc_text;
use crate::runtime_path;

pub(super) fn generate(model: &ClientModel) -> TokenStream {
    let krate = &model.krate;
    let item = &model.item;
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
        let output = method.returns.as_ref().map(|ty| quote! { -> #ty });
        quote! {
            async fn #ident(&self, #(_: #types),*) #output {
                ::core::unreachable!("no type implements `ClientDeclared`")
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
