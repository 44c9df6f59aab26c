//! The JSON kinds a variant's data can have: the untagged converter tries a variant only for
//! these.

use crate::csharp::classes::{Case, CaseData, Class};
use crate::csharp::context::Ctx;
use crate::model::{Ty, TypeKind};

/// The JSON kinds (`JsonValueKind` members) a variant's data can have, `None` for any: the
/// untagged converter tries a variant only for these.
pub(super) fn json_kinds(ctx: &Ctx<'_>, case: &Case<'_>) -> Option<Vec<&'static str>> {
    match &case.data {
        CaseData::Unit => Some(vec!["Null"]),
        CaseData::Struct(_) => Some(vec!["Object"]),
        CaseData::Tuple(_) => Some(vec!["Array"]),
        CaseData::Newtype(_, ty) => ty_kinds(ctx, ty),
    }
}

/// The JSON kinds of a value of `ty`, `None` for any.
fn ty_kinds(ctx: &Ctx<'_>, ty: &Ty) -> Option<Vec<&'static str>> {
    Some(match ctx.resolve(ty) {
        Ty::Any => return None,
        Ty::Unit => vec!["Null"],
        Ty::Bool => vec!["True", "False"],
        Ty::Int(_) | Ty::Float { .. } => vec!["Number"],
        Ty::String | Ty::DateTime { .. } | Ty::Bytes { .. } => vec!["String"],
        Ty::Array(_) | Ty::Tuple(_) => vec!["Array"],
        Ty::Map(_) => vec!["Object"],
        Ty::Nullable(inner) => {
            let mut kinds = ty_kinds(ctx, inner)?;
            kinds.push("Null");
            kinds
        }
        Ty::Named(name) => match ctx.class_of(name) {
            Class::Struct(_) => vec!["Object"],
            Class::Enum(_) => vec!["String"],
            Class::Union(cases) => match &ctx.def(name).kind {
                TypeKind::External(_) => {
                    let mut kinds = Vec::new();
                    if cases.iter().any(|case| matches!(case.data, CaseData::Unit)) {
                        kinds.push("String");
                    }
                    if cases
                        .iter()
                        .any(|case| !matches!(case.data, CaseData::Unit))
                    {
                        kinds.push("Object");
                    }
                    kinds
                }
                TypeKind::Internal { .. } | TypeKind::Adjacent { .. } => vec!["Object"],
                _ => return None,
            },
            Class::Alias => unreachable!("resolved"),
        },
    })
}
