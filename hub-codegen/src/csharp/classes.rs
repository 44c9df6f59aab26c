//! The C# class of each named type, and the names of its members.

use std::collections::{BTreeSet, HashMap};

use super::names::{check_case_insensitive, identifier, unique_member};
use crate::Error;
use crate::model::{Field, Model, Ty, TypeDef, TypeKind, Variant, VariantData};

/// A property of a generated class.
#[derive(Debug)]
pub(super) struct Prop<'a> {
    /// The C# name.
    pub(super) name: String,
    pub(super) field: &'a Field,
}

/// A generated named type.
#[derive(Debug)]
pub(super) enum Class<'a> {
    Struct(Vec<Prop<'a>>),
    /// A unit-only enum: C# member names, in order.
    Enum(Vec<String>),
    /// An enum with data.
    Union(Vec<Case<'a>>),
    /// A newtype: no class, the wrapped type.
    Alias,
}

/// A variant of an enum with data.
#[derive(Debug)]
pub(super) struct Case<'a> {
    /// The nested class's name.
    pub(super) name: String,
    pub(super) variant: &'a Variant,
    pub(super) data: CaseData<'a>,
}

#[derive(Debug)]
pub(super) enum CaseData<'a> {
    Unit,
    Struct(Vec<Prop<'a>>),
    /// The property's name (`Value`) and the type.
    Newtype(String, &'a Ty),
    /// Property names (`Item1`..) and types.
    Tuple(Vec<(String, &'a Ty)>),
}

/// The class of every named type (aliases included), in model order.
pub(super) fn classes<'a>(
    model: &'a Model,
    defs: &HashMap<&str, &TypeDef>,
) -> Result<Vec<(&'a TypeDef, Class<'a>)>, Error> {
    let mut classes = Vec::new();
    for def in &model.types {
        let class = class(defs, def)?;
        classes.push((def, class));
    }
    Ok(classes)
}

/// The class of `def`.
fn class<'a>(defs: &HashMap<&str, &TypeDef>, def: &'a TypeDef) -> Result<Class<'a>, Error> {
    let name = &def.name;
    Ok(match &def.kind {
        TypeKind::Struct(fields) => {
            let props = props(name, fields);
            check_case_insensitive(name, fields)?;
            Class::Struct(props)
        }
        TypeKind::Alias(ty) => {
            check_alias(defs, name, ty)?;
            Class::Alias
        }
        TypeKind::StringEnum(values) => {
            let mut used = BTreeSet::new();
            let members = values
                .iter()
                .map(|value| unique_member(&identifier(&value.value), name, &mut used))
                .collect();
            Class::Enum(members)
        }
        TypeKind::External(variants)
        | TypeKind::Adjacent { variants, .. }
        | TypeKind::Untagged(variants) => Class::Union(cases(name, variants)),
        TypeKind::Internal { variants, .. } => {
            check_internal(name, variants)?;
            Class::Union(cases(name, variants))
        }
    })
}

/// Refuses internally tagged variants other than unit and struct variants.
fn check_internal(name: &str, variants: &[Variant]) -> Result<(), Error> {
    if let Some(variant) = variants.iter().find(|variant| {
        matches!(
            variant.data,
            VariantData::Newtype(_) | VariantData::Tuple(_)
        )
    }) {
        return Err(Error {
            location: format!("{name}::{}", variant.name),
            message: String::from("an internally tagged variant must be a unit or struct variant"),
        });
    }
    Ok(())
}

/// The nested classes of enum `name`'s variants.
fn cases<'a>(name: &str, variants: &'a [Variant]) -> Vec<Case<'a>> {
    let mut used = BTreeSet::new();
    let mut cases = Vec::new();
    for variant in variants {
        let case_name = unique_member(&identifier(&variant.name), name, &mut used);
        let data = case_data(&case_name, &variant.data);
        cases.push(Case {
            name: case_name,
            variant,
            data,
        });
    }
    cases
}

/// A variant class's properties.
fn case_data<'a>(case_name: &str, data: &'a VariantData) -> CaseData<'a> {
    match data {
        VariantData::Unit => CaseData::Unit,
        VariantData::Struct(fields) => CaseData::Struct(props(case_name, fields)),
        VariantData::Newtype(ty) => {
            let mut used = BTreeSet::new();
            CaseData::Newtype(unique_member("Value", case_name, &mut used), ty)
        }
        VariantData::Tuple(items) => {
            let mut used = BTreeSet::new();
            CaseData::Tuple(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, ty)| {
                        let item = format!("Item{}", index + 1);
                        (unique_member(&item, case_name, &mut used), ty)
                    })
                    .collect(),
            )
        }
    }
}

/// Property names for `fields` of class `class`: PascalCase, unique, never the class's name.
fn props<'a>(class: &str, fields: &'a [Field]) -> Vec<Prop<'a>> {
    let mut used = BTreeSet::new();
    fields
        .iter()
        .map(|field| Prop {
            name: unique_member(&identifier(&field.name), class, &mut used),
            field,
        })
        .collect()
}

/// Refuses newtypes that wrap themselves (`$defs: {"A": {"$ref": "#/$defs/A"}}`).
fn check_alias(defs: &HashMap<&str, &TypeDef>, name: &str, ty: &Ty) -> Result<(), Error> {
    let mut seen = BTreeSet::from([name.to_owned()]);
    let mut current = ty;
    while let Ty::Named(next) = current {
        if !seen.insert(next.clone()) {
            return Err(Error {
                location: name.to_owned(),
                message: format!("the newtype refers to itself through `{next}`"),
            });
        }
        match defs.get(next.as_str()).map(|def| &def.kind) {
            Some(TypeKind::Alias(inner)) => current = inner,
            Some(_) => return Ok(()),
            None => {
                return Err(Error {
                    location: name.to_owned(),
                    message: format!("refers to `{next}`, which the model does not define"),
                });
            }
        }
    }
    Ok(())
}
