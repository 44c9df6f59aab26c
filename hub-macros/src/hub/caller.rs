//! Generates the typed caller of a hub (`ChatHubCaller<C>`): one method per hub method, with the
//! hub method's argument types and result type and the wire name dispatch matches, building a
//! call that a client connection (`hub_runtime::remote::HubCaller`) carries.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Type;

use super::{HubMethod, HubModel, Param, WireType};
use crate::types::{owned_form, result_types};

/// The caller's name: the hub type's last segment and `Caller`.
fn caller_ident(model: &HubModel) -> Option<syn::Ident> {
    match &model.self_ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .map(|segment| format_ident!("{}Caller", segment.ident)),
        _ => None,
    }
}

/// A parameter's name as an identifier (raw when it is a keyword).
fn param_ident(name: &str) -> syn::Ident {
    syn::parse_str::<syn::Ident>(name)
        .unwrap_or_else(|_| syn::Ident::new_raw(name, proc_macro2::Span::call_site()))
}

pub(super) fn generate(model: &HubModel) -> TokenStream {
    let Some(caller) = caller_ident(model) else {
        return TokenStream::new();
    };
    let krate = &model.krate;
    let self_ty = &model.self_ty;
    let hub_name = quote!(#self_ty).to_string().replace(' ', "");
    let doc = format!(
        "Calls the methods of [`{hub_name}`] from a client: one method per hub method, with its argument and result types and its wire name.\n\n\
         `{caller}::new(connection)` over any `HubCaller` (the Rust client's `HubConnection`). \
         Each method returns a call: `.await` it to invoke the method and get its result \
         (a stream for streaming methods), or, for other methods, `.send().await` to send it without waiting."
    );
    let methods = model
        .methods
        .iter()
        .map(|method| caller_method(krate, method));
    quote! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, ::core::fmt::Debug)]
        #[allow(dead_code, unreachable_pub, private_interfaces, private_bounds)]
        pub struct #caller<__C> {
            /// The connection the calls go through.
            pub caller: __C,
        }

        #[allow(dead_code, unreachable_pub, private_interfaces, private_bounds, clippy::too_many_arguments)]
        impl<__C> #caller<__C> {
            /// Calls the hub through `caller`.
            pub fn new(caller: __C) -> Self {
                #caller { caller }
            }
        }

        #[allow(dead_code, unreachable_pub, private_interfaces, private_bounds, clippy::too_many_arguments, clippy::type_complexity)]
        impl<__C: #krate::remote::HubCaller> #caller<__C> {
            #(#methods)*
        }
    }
}

fn caller_method(krate: &syn::Path, method: &HubMethod) -> TokenStream {
    let ident = &method.ident;
    let wire_name = &method.wire_name;
    let mut names = Vec::new();
    let mut types = Vec::new();
    let mut stream_names = Vec::new();
    let mut stream_generics = Vec::new();
    let mut stream_bounds = Vec::new();
    for param in &method.params {
        match param {
            Param::Arg(ty, name) => {
                names.push(param_ident(name));
                types.push(owned_form(ty));
            }
            Param::Upload(ty, name) => {
                let generic = format_ident!("__S{}", stream_generics.len());
                let item = match crate::types::client_stream_item(ty) {
                    Some(item) => quote! { #item },
                    None => quote! { <#ty as #krate::__private::StreamItem>::Item },
                };
                stream_bounds.push(quote! {
                    #generic: #krate::__private::Stream<Item = #item> + ::core::marker::Send + 'static
                });
                stream_names.push(param_ident(name));
                stream_generics.push(generic);
            }
            Param::Ctx | Param::Cancel => {}
        }
    }
    let result = match method.wire_result() {
        None => quote! { () },
        Some(WireType::Plain(ty)) => owned_form(&ty),
        Some(WireType::OkOf(ty)) => match result_types(&ty) {
            Some((ok, _)) => owned_form(ok),
            None => quote! { <#ty as #krate::__private::Fallible>::Ok },
        },
    };
    // The serde bounds a client needs, named through `Wire<__C>` so that they hold only where
    // a client calls the method (a server never encodes arguments or decodes results): a
    // missing one is reported at the call, with the type.
    let mut bounds: Vec<TokenStream> = types
        .iter()
        .map(|ty| quote! { #krate::remote::Wire<__C>: #krate::remote::Encode<#ty> })
        .collect();
    bounds.push(quote! { #krate::remote::Wire<__C>: #krate::remote::Decode<#result> });
    let docs = method.docs.iter();
    let (kind, call_doc) = if method.is_streaming() {
        (
            quote! { StreamCall },
            format!(
                "Streams `{wire_name}`: `.await` starts the stream; dropping the stream cancels it."
            ),
        )
    } else {
        (
            quote! { Invoke },
            format!(
                "Invokes `{wire_name}`: `.await` waits for its result; `.send().await` only sends it."
            ),
        )
    };
    let separator = method.docs.as_ref().map(|_| quote! { #[doc = ""] });
    quote! {
        #(#[doc = #docs])*
        #separator
        #[doc = #call_doc]
        pub fn #ident<#(#stream_generics),*>(
            &self,
            #(#names: #types,)*
            #(#stream_names: #stream_generics,)*
        ) -> #krate::remote::#kind<'_, __C, (#(#types,)*), #result, (#(#stream_generics,)*)>
        where
            #(#stream_bounds,)*
            #(#bounds,)*
        {
            #krate::remote::#kind::new(
                &self.caller,
                #wire_name,
                (#(#names,)*),
                (#(#stream_names,)*),
            )
        }
    }
}
