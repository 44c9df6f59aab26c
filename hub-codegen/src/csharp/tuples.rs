//! Tuples: a class per shape (`TupleInt32String`), named after its items.

use std::collections::{BTreeSet, HashMap};

use super::names::{int_name, unique};
use crate::model::{Model, Ty, TypeDef, TypeKind, VariantData};

/// A tuple type's class.
#[derive(Debug)]
pub(super) struct Tuple {
    pub(super) name: String,
    pub(super) items: Vec<Ty>,
}

impl Tuple {
    /// The class's properties (`Item1`..) and their types.
    pub(super) fn properties(&self) -> Vec<(String, &Ty)> {
        self.items
            .iter()
            .enumerate()
            .map(|(index, ty)| (format!("Item{}", index + 1), ty))
            .collect()
    }
}

/// A class for every tuple shape, in order of first use (inside types, then hubs). Shapes are
/// told apart with newtypes replaced by what they wrap.
pub(super) fn tuples(model: &Model, defs: &HashMap<&str, &TypeDef>) -> Vec<Tuple> {
    let mut tuples = Vec::new();
    // One class per shape: aliases are their wrapped types.
    let mut keys: Vec<String> = Vec::new();
    let mut used: BTreeSet<String> = model.types.iter().map(|def| def.name.clone()).collect();
    for items in used_tuples(model) {
        let items: Vec<Ty> = items.iter().map(|ty| canonical(defs, ty)).collect();
        let key = format!("{items:?}");
        if keys.contains(&key) {
            continue;
        }
        keys.push(key);
        let name = unique(&tuple_tag(&items), &mut used);
        tuples.push(Tuple { name, items });
    }
    tuples
}

/// Every tuple type, in order of first use (inside types, then hubs), repeats included.
fn used_tuples(model: &Model) -> Vec<Vec<Ty>> {
    let mut found: Vec<Vec<Ty>> = Vec::new();
    let mut visit = |ty: &Ty| walk_tuples(ty, &mut found);
    for def in &model.types {
        match &def.kind {
            TypeKind::Struct(fields) => fields.iter().for_each(|field| visit(&field.ty)),
            TypeKind::Alias(ty) => visit(ty),
            TypeKind::StringEnum(_) => {}
            TypeKind::External(variants)
            | TypeKind::Internal { variants, .. }
            | TypeKind::Adjacent { variants, .. }
            | TypeKind::Untagged(variants) => {
                for variant in variants {
                    match &variant.data {
                        VariantData::Unit => {}
                        VariantData::Struct(fields) => {
                            fields.iter().for_each(|field| visit(&field.ty));
                        }
                        VariantData::Newtype(ty) => visit(ty),
                        VariantData::Tuple(items) => items.iter().for_each(&mut visit),
                    }
                }
            }
        }
    }
    for hub in &model.hubs {
        for method in &hub.methods {
            method.params.iter().for_each(|param| visit(&param.ty));
            method.result.iter().for_each(&mut visit);
        }
        for method in &hub.client_methods {
            method.params.iter().for_each(|param| visit(&param.ty));
            method.result.iter().for_each(&mut visit);
        }
    }
    found
}

/// Pushes the tuple types in `ty` to `found`, inner ones first.
fn walk_tuples(ty: &Ty, found: &mut Vec<Vec<Ty>>) {
    match ty {
        Ty::Array(inner) | Ty::Map(inner) | Ty::Nullable(inner) => walk_tuples(inner, found),
        Ty::Tuple(items) => {
            items.iter().for_each(|item| walk_tuples(item, found));
            found.push(items.clone());
        }
        _ => {}
    }
}

/// `ty` with every newtype replaced by what it wraps.
pub(super) fn canonical(defs: &HashMap<&str, &TypeDef>, ty: &Ty) -> Ty {
    match ty {
        Ty::Array(inner) => Ty::Array(Box::new(canonical(defs, inner))),
        Ty::Map(inner) => Ty::Map(Box::new(canonical(defs, inner))),
        Ty::Nullable(inner) => match canonical(defs, inner) {
            nullable @ (Ty::Nullable(_) | Ty::Unit | Ty::Any) => nullable,
            inner => Ty::Nullable(Box::new(inner)),
        },
        Ty::Tuple(items) => Ty::Tuple(items.iter().map(|ty| canonical(defs, ty)).collect()),
        Ty::Named(name) => match defs.get(name.as_str()).map(|def| &def.kind) {
            Some(TypeKind::Alias(inner)) => canonical(defs, inner),
            _ => ty.clone(),
        },
        other => other.clone(),
    }
}

/// A tuple's class name: `Tuple` and its items' parts.
fn tuple_tag(items: &[Ty]) -> String {
    std::iter::once(String::from("Tuple"))
        .chain(items.iter().map(tag))
        .collect()
}

/// A tuple item's part of the tuple class name.
fn tag(ty: &Ty) -> String {
    match ty {
        Ty::Any => String::from("JsonElement"),
        Ty::Unit => String::from("Unit"),
        Ty::Bool => String::from("Boolean"),
        Ty::Int(int) => String::from(int_name(*int).1),
        Ty::Float { single: true } => String::from("Single"),
        Ty::Float { single: false } => String::from("Double"),
        Ty::String => String::from("String"),
        Ty::DateTime { .. } => String::from("DateTimeOffset"),
        Ty::Bytes { .. } => String::from("Bytes"),
        Ty::Array(inner) => format!("List{}", tag(inner)),
        Ty::Map(inner) => format!("Map{}", tag(inner)),
        Ty::Nullable(inner) => format!("Nullable{}", tag(inner)),
        Ty::Tuple(items) => tuple_tag(items),
        Ty::Named(name) => name.clone(),
    }
}
