//! The C# types of model types.

use super::context::Ctx;
use super::names::int_name;
use super::scope::Scope;
use super::tuples::canonical;
use crate::model::{Field, Ty, TypeDef, TypeKind};

impl<'a> Ctx<'a> {
    /// Follows newtypes to the type on the wire.
    pub(super) fn resolve<'t>(&self, ty: &'t Ty) -> &'t Ty
    where
        'a: 't,
    {
        let mut current = ty;
        while let Ty::Named(name) = current {
            match &self.def(name).kind {
                TypeKind::Alias(inner) => current = inner,
                _ => break,
            }
        }
        current
    }

    /// A C# value type (`int`, `JsonElement`, an enum): `T?` is `Nullable<T>`.
    pub(super) fn is_value_type(&self, ty: &Ty) -> bool {
        match self.resolve(ty) {
            Ty::Bool | Ty::Int(_) | Ty::Float { .. } | Ty::DateTime { .. } | Ty::Any => true,
            Ty::Named(name) => matches!(self.def(name).kind, TypeKind::StringEnum(_)),
            _ => false,
        }
    }

    /// Whether the C# type of `ty` already holds `null`.
    pub(super) fn holds_null(&self, ty: &Ty) -> bool {
        matches!(self.resolve(ty), Ty::Nullable(_) | Ty::Unit)
    }

    /// The C# type of `ty`.
    pub(super) fn ty(&self, ty: &Ty, scope: &Scope) -> String {
        match ty {
            Ty::Any => self.fw("JsonElement", scope),
            Ty::Unit => self.reference_nullable(String::from("object"), scope),
            Ty::Bool => String::from("bool"),
            Ty::Int(int) => String::from(int_name(*int).0),
            Ty::Float { single: true } => String::from("float"),
            Ty::Float { single: false } => String::from("double"),
            Ty::String => String::from("string"),
            Ty::DateTime { .. } => self.fw("DateTimeOffset", scope),
            // System.Text.Json reads and writes `byte[]` as a base64 string.
            Ty::Bytes { .. } => String::from("byte[]"),
            Ty::Array(inner) => format!("{}<{}>", self.fw("List", scope), self.ty(inner, scope)),
            Ty::Map(inner) => format!(
                "{}<string, {}>",
                self.fw("Dictionary", scope),
                self.ty(inner, scope)
            ),
            Ty::Tuple(items) => self.gen_name(&self.tuple_name(items), scope),
            Ty::Nullable(inner) => self.nullable_ty(inner, scope),
            Ty::Named(name) => match &self.def(name).kind {
                TypeKind::Alias(inner) => self.ty(inner, scope),
                _ => self.gen_name(name, scope),
            },
        }
    }

    /// The C# type of `ty` or `null`: `int?`; `string` (`string?` with nullable annotations).
    pub(super) fn nullable_ty(&self, ty: &Ty, scope: &Scope) -> String {
        let inner = self.ty(ty, scope);
        if self.holds_null(ty) {
            inner
        } else if self.is_value_type(ty) {
            format!("{inner}?")
        } else {
            self.reference_nullable(inner, scope)
        }
    }

    fn reference_nullable(&self, ty: String, scope: &Scope) -> String {
        if scope.annotate { format!("{ty}?") } else { ty }
    }

    /// The C# type of a field: nullable when it may be missing.
    pub(super) fn field_ty(&self, field: &Field, scope: &Scope) -> String {
        if field.optional {
            self.nullable_ty(&field.ty, scope)
        } else {
            self.ty(&field.ty, scope)
        }
    }

    /// Whether a property of this field needs `= null!;` under nullable annotations (a
    /// non-nullable reference type).
    pub(super) fn needs_null_forgiving(&self, field: &Field) -> bool {
        self.options.nullable
            && !field.optional
            && !self.holds_null(&field.ty)
            && !self.is_value_type(&field.ty)
    }

    pub(super) fn tuple_name(&self, items: &[Ty]) -> String {
        let canonical: Vec<Ty> = items.iter().map(|ty| canonical(&self.defs, ty)).collect();
        self.tuples
            .iter()
            .find(|tuple| tuple.items == canonical)
            .map(|tuple| tuple.name.clone())
            .expect("every tuple was collected")
    }

    /// The named type of a newtype's documentation, for remarks.
    pub(super) fn alias_of(&self, ty: &Ty) -> Option<&'a TypeDef> {
        let mut current = ty;
        if let Ty::Nullable(inner) = current {
            current = inner;
        }
        match current {
            Ty::Named(name) => {
                let def = self.def(name);
                matches!(def.kind, TypeKind::Alias(_)).then_some(def)
            }
            _ => None,
        }
    }
}
