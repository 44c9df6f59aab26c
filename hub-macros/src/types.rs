//! Reading the shapes of parameter and return types.

use syn::{GenericArgument, PathArguments, ReturnType, Type};

/// What a method returns, as far as the wire is concerned.
pub(crate) enum Returns {
    /// `impl Stream<Item = T>` (or `Result<impl Stream<..>, E>`): a server-to-client stream.
    Stream {
        /// The whole return type.
        ty: Type,
        /// `Item = Result<T, E>`: an error ends the stream.
        fallible_items: bool,
        /// `Result<impl Stream, E>`: the method may fail before streaming.
        fallible_start: bool,
    },
    /// Nothing: a Completion without result.
    Unit,
    /// A value.
    Value(Type),
    /// `Result<(), E>`.
    FallibleUnit(Type),
    /// `Result<T, E>`.
    FallibleValue(Type),
}

pub(crate) fn returns(output: &ReturnType) -> Returns {
    let ty = match output {
        ReturnType::Default => return Returns::Unit,
        ReturnType::Type(_, ty) => strip_parens(ty),
    };
    if is_unit(ty) {
        return Returns::Unit;
    }
    if let Some(item) = stream_item(ty) {
        return Returns::Stream {
            ty: ty.clone(),
            fallible_items: result_ok_type(item).is_some(),
            fallible_start: false,
        };
    }
    if let Some(item) = result_ok_type(ty).and_then(stream_item) {
        return Returns::Stream {
            ty: ty.clone(),
            fallible_items: result_ok_type(item).is_some(),
            fallible_start: true,
        };
    }
    if let Some(ok) = result_ok_type(ty) {
        return if is_unit(ok) {
            Returns::FallibleUnit(ty.clone())
        } else {
            Returns::FallibleValue(ty.clone())
        };
    }
    Returns::Value(ty.clone())
}

fn strip_parens(ty: &Type) -> &Type {
    match ty {
        Type::Paren(inner) => strip_parens(&inner.elem),
        Type::Group(inner) => strip_parens(&inner.elem),
        other => other,
    }
}

pub(crate) fn is_unit(ty: &Type) -> bool {
    matches!(strip_parens(ty), Type::Tuple(tuple) if tuple.elems.is_empty())
}

/// `T` of a type whose last path segment is `Result<T, ..>` (`std::result::Result`,
/// `io::Result<T>`, `anyhow::Result<T>`...).
pub(crate) fn result_ok_type(ty: &Type) -> Option<&Type> {
    result_type_args(ty)?.next()
}

/// `T` and `E` of a type whose last path segment is `Result<T, E>` with exactly these two type
/// arguments; `None` for aliases such as `io::Result<T>`, whose error type is not written.
pub(crate) fn result_types(ty: &Type) -> Option<(&Type, &Type)> {
    let mut types = result_type_args(ty)?;
    match (types.next(), types.next(), types.next()) {
        (Some(ok), Some(err), None) => Some((ok, err)),
        _ => None,
    }
}

/// The type arguments of a type whose last path segment is `Result<..>`.
fn result_type_args(ty: &Type) -> Option<impl Iterator<Item = &Type>> {
    let Type::Path(path) = strip_parens(ty) else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    Some(args.args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    }))
}

/// `T` of `impl Stream<Item = T>` (any path ending in `Stream`, e.g. `futures::Stream`).
pub(crate) fn stream_item(ty: &Type) -> Option<&Type> {
    let Type::ImplTrait(bounds) = strip_parens(ty) else {
        return None;
    };
    bounds.bounds.iter().find_map(|bound| {
        let syn::TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let last = bound.path.segments.last()?;
        if last.ident != "Stream" {
            return None;
        }
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            GenericArgument::AssocType(assoc) if assoc.ident == "Item" => Some(&assoc.ty),
            _ => None,
        })
    })
}

/// Whether `ty` is `ClientStream<T>` (an upload stream parameter).
pub(crate) fn is_client_stream(ty: &Type) -> bool {
    let Type::Path(path) = strip_parens(ty) else {
        return false;
    };
    path.path
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "ClientStream")
}

/// Whether `ty` is `CancellationToken` (cancelled when the stream is cancelled or the
/// connection ends).
pub(crate) fn is_cancellation_token(ty: &Type) -> bool {
    let Type::Path(path) = strip_parens(ty) else {
        return false;
    };
    path.path
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "CancellationToken" && segment.arguments.is_empty())
}

/// Whether `ty` is `&Ctx<..>` (the context parameter).
pub(crate) fn is_ctx_ref(ty: &Type) -> bool {
    let Type::Reference(reference) = strip_parens(ty) else {
        return false;
    };
    reference.mutability.is_none() && is_ctx_path(&reference.elem)
}

/// Whether `ty` is the context taken other than by shared reference: `Ctx<Self>` by value, or
/// `&mut Ctx<Self>`.
pub(crate) fn is_misused_ctx(ty: &Type) -> bool {
    match strip_parens(ty) {
        Type::Reference(reference) => {
            reference.mutability.is_some() && is_ctx_path(&reference.elem)
        }
        // By value, only with its type argument: a user type named `Ctx` stays an argument.
        Type::Path(path) => path.path.segments.last().is_some_and(|segment| {
            segment.ident == "Ctx" && matches!(segment.arguments, PathArguments::AngleBracketed(_))
        }),
        _ => false,
    }
}

fn is_ctx_path(ty: &Type) -> bool {
    let Type::Path(path) = strip_parens(ty) else {
        return false;
    };
    path.path
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "Ctx")
}

/// Whether `ty` mentions `impl Trait` anywhere.
pub(crate) fn contains_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    syn::visit::visit_type(&mut finder, ty);
    finder.0
}

/// The first reference in `ty` that is not `&'static`: what a returned value cannot hold, since
/// the runtime sends it after the call.
pub(crate) fn borrowed_reference(ty: &Type) -> Option<&syn::TypeReference> {
    first_reference(ty, |reference| {
        reference
            .lifetime
            .as_ref()
            .is_none_or(|lifetime| lifetime.ident != "static")
    })
}

/// Whether `ty` borrows (a reference anywhere in it).
pub(crate) fn contains_reference(ty: &Type) -> bool {
    first_reference(ty, |_| true).is_some()
}

/// The first reference in `ty` that `wanted` accepts.
fn first_reference(
    ty: &Type,
    wanted: impl Fn(&syn::TypeReference) -> bool,
) -> Option<&syn::TypeReference> {
    struct Finder<'ast, F>(Option<&'ast syn::TypeReference>, F);
    impl<'ast, F: Fn(&syn::TypeReference) -> bool> syn::visit::Visit<'ast> for Finder<'ast, F> {
        fn visit_type_reference(&mut self, reference: &'ast syn::TypeReference) {
            if self.0.is_none() && (self.1)(reference) {
                self.0 = Some(reference);
            }
            syn::visit::visit_type_reference(self, reference);
        }
    }
    let mut finder = Finder(None, wanted);
    syn::visit::visit_type(&mut finder, ty);
    finder.0
}

/// `T` of `ClientStream<T>`, as written.
pub(crate) fn client_stream_item(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = strip_parens(ty) else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "ClientStream" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// The owned type a value of the top-level reference `ty` decodes into (`String` for `&str`,
/// `Vec<T>` for `&[T]`, `T` for `&T`), when that type borrows nothing; `ty` itself when it is
/// not a reference and borrows nothing; `None` otherwise.
pub(crate) fn decodable_type(ty: &Type) -> Option<(Type, bool)> {
    let (owned, borrowed) = match strip_parens(ty) {
        Type::Reference(reference) => {
            let owned: Type = match &*reference.elem {
                Type::Path(path) if path.path.is_ident("str") => {
                    syn::parse_quote!(::std::string::String)
                }
                Type::Slice(slice) => {
                    let elem = &slice.elem;
                    syn::parse_quote!(::std::vec::Vec<#elem>)
                }
                other => other.clone(),
            };
            (owned, true)
        }
        other => (other.clone(), false),
    };
    (!contains_reference(&owned)).then_some((owned, borrowed))
}

/// The owned type a client decodes a value of `ty` into: `String` for `&'static str`, `Vec<T>`
/// for `&'static [T]`, `T` for `&'static T`; `ty` itself otherwise.
pub(crate) fn owned_form(ty: &Type) -> proc_macro2::TokenStream {
    match strip_parens(ty) {
        Type::Reference(reference) => match &*reference.elem {
            Type::Path(path) if path.path.is_ident("str") => {
                quote::quote! { ::std::string::String }
            }
            Type::Slice(slice) => {
                let elem = owned_form(&slice.elem);
                quote::quote! { ::std::vec::Vec<#elem> }
            }
            other => owned_form(other),
        },
        other => quote::quote! { #other },
    }
}
