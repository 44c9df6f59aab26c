//! What the TypeScript output refuses: names `index.ts` would export twice, and (unless
//! allowed) 64-bit integers a `number` cannot hold exactly.

use std::collections::BTreeMap;

use super::files::STREAM_EXPORTS;
use super::hub::{factory_name, hub_path, path_constant_name, proxy_name, register_name};
use crate::model::{Param, Ty, TypeKind, VariantData};
use crate::{Error, Model};

/// The names `index.ts` exports must be distinct.
pub(super) fn check_exported_names(model: &Model, streams: bool) -> Result<(), Error> {
    let mut exported: BTreeMap<String, String> = BTreeMap::new();
    let mut claim = |name: String, what: String| -> Result<(), Error> {
        if let Some(previous) = exported.get(&name) {
            return Err(Error {
                location: name.clone(),
                message: format!(
                    "the generated TypeScript would export `{name}` twice ({previous}, and {what}): rename one (a type's schema name with `#[schemars(rename = \"...\")]`)"
                ),
            });
        }
        exported.insert(name, what);
        Ok(())
    };
    for def in &model.types {
        claim(def.name.clone(), format!("the type {}", def.name))?;
    }
    if streams {
        for name in STREAM_EXPORTS {
            claim((*name).to_owned(), String::from("a stream helper"))?;
        }
    }
    for hub in &model.hubs {
        if hub_path(hub).is_some() {
            claim(
                path_constant_name(hub),
                format!("the path constant of {}", hub.name),
            )?;
            claim(
                factory_name(hub),
                format!("the connection factory of {}", hub.name),
            )?;
        }
        claim(proxy_name(hub), format!("the proxy of {}", hub.name))?;
        if !hub.client_methods.is_empty() {
            claim(
                hub.client_name.clone(),
                format!("the receiver interface of {}", hub.name),
            )?;
            claim(
                register_name(hub),
                format!("the receiver registration of {}", hub.name),
            )?;
        }
    }
    Ok(())
}

/// Refuses 64-bit integers that a `number` cannot hold exactly, naming where they are.
pub(super) fn check_int64(model: &Model) -> Result<(), Error> {
    for def in &model.types {
        let name = &def.name;
        match &def.kind {
            TypeKind::Struct(fields) => {
                for field in fields {
                    check_ty(&field.ty, &format!("{name}.{}", field.name))?;
                }
            }
            TypeKind::Alias(ty) => check_ty(ty, name)?,
            TypeKind::StringEnum(_) => {}
            TypeKind::External(variants)
            | TypeKind::Internal { variants, .. }
            | TypeKind::Adjacent { variants, .. } => {
                for variant in variants {
                    check_variant(&variant.data, &format!("{name}::{}", variant.name))?;
                }
            }
            TypeKind::Untagged(variants) => {
                for (index, variant) in variants.iter().enumerate() {
                    check_variant(
                        &variant.data,
                        &format!("{name} (alternative {})", index + 1),
                    )?;
                }
            }
        }
    }
    for hub in &model.hubs {
        for method in &hub.methods {
            let at = format!("{}.{}", hub.name, method.name);
            check_signature(&at, &method.params, method.result.as_ref())?;
        }
        for method in &hub.client_methods {
            let at = format!("{} client method {}", hub.name, method.name);
            check_signature(&at, &method.params, method.result.as_ref())?;
        }
    }
    Ok(())
}

/// Refuses unsafe 64-bit integers in the parameters and result of the method at `at`.
fn check_signature(at: &str, params: &[Param], result: Option<&Ty>) -> Result<(), Error> {
    for param in params {
        check_ty(&param.ty, &format!("{at}({})", param.name))?;
    }
    if let Some(result) = result {
        check_ty(result, &format!("{at} result"))?;
    }
    Ok(())
}

/// Refuses unsafe 64-bit integers in a variant's data.
fn check_variant(data: &VariantData, at: &str) -> Result<(), Error> {
    match data {
        VariantData::Unit => Ok(()),
        VariantData::Newtype(ty) => check_ty(ty, at),
        VariantData::Tuple(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(index, ty)| check_ty(ty, &format!("{at}.{index}"))),
        VariantData::Struct(fields) => fields
            .iter()
            .try_for_each(|field| check_ty(&field.ty, &format!("{at}.{}", field.name))),
    }
}

/// Refuses unsafe 64-bit integers in `ty`.
fn check_ty(ty: &Ty, at: &str) -> Result<(), Error> {
    match ty {
        Ty::Int(int) if !int.js_safe => {
            let rust = if int.unsigned {
                "`u64`, `usize`"
            } else {
                "`i64`, `isize`"
            };
            Err(Error {
                location: at.to_owned(),
                message: format!(
                    "a 64-bit integer ({rust}) whose values may exceed JavaScript's safe integers, ±(2^53 - 1): a TypeScript `number` would silently lose precision beyond them. \
                     Choose one: declare the range the values stay in, within ±9007199254740991, with `#[schemars(range(min = .., max = ..))]` on the field \
                     (wrap a parameter or result in a newtype struct to annotate it); \
                     or serialize the value as a string (a `String`, or `#[serde_as(as = \"DisplayFromStr\")]` with `#[schemars(with = \"String\")]`); \
                     or generate with `--int64 number` (`Int64::Number`) to accept the precision loss"
                ),
            })
        }
        Ty::Array(item) => check_ty(item, &format!("{at}[]")),
        Ty::Map(value) => check_ty(value, &format!("{at}[key]")),
        Ty::Nullable(inner) => check_ty(inner, at),
        Ty::Tuple(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(index, ty)| check_ty(ty, &format!("{at}.{index}"))),
        _ => Ok(()),
    }
}
