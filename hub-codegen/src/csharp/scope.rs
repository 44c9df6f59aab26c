//! What hides the names of types at some place in the generated code, and how a generated
//! type is written there.

use std::collections::BTreeSet;

use super::context::Ctx;

/// What hides names of the namespace's types and of framework types at some place: nested
/// types (in every context) and members (in expressions only, `JsonIgnoreCondition.WhenWritingNull`
/// in a class with a property `JsonIgnoreCondition`); and whether nullable reference annotations
/// are on there.
#[derive(Debug, Clone)]
pub(super) struct Scope {
    pub(super) types: BTreeSet<String>,
    pub(super) members: BTreeSet<String>,
    pub(super) annotate: bool,
}

impl Scope {
    /// Adds names that hide types everywhere (nested types; in method bodies, members too).
    pub(super) fn and(&self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let mut scope = self.clone();
        scope.types.extend(names.into_iter().map(Into::into));
        scope
    }

    /// Adds members, which hide types in expressions only.
    pub(super) fn members(&self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let mut scope = self.clone();
        scope.members.extend(names.into_iter().map(Into::into));
        scope
    }
}

/// Members every class has (`object`'s), which hide types in expressions.
const OBJECT_MEMBERS: &[&str] = &[
    "Equals",
    "GetHashCode",
    "GetType",
    "MemberwiseClone",
    "ReferenceEquals",
    "ToString",
    "Finalize",
];

impl Ctx<'_> {
    /// A generated top-level type's name, written in full where a nested name hides it.
    pub(super) fn gen_name(&self, name: &str, scope: &Scope) -> String {
        if scope.types.contains(name) {
            format!("global::{}.{name}", self.options.namespace)
        } else {
            name.to_owned()
        }
    }

    /// The scope at the namespace's top level: only generated types hide framework types.
    pub(super) fn top_scope(&self) -> Scope {
        Scope {
            types: BTreeSet::new(),
            members: BTreeSet::new(),
            annotate: self.options.nullable,
        }
    }

    /// The scope in the body of a class where `names` (members, nested types; `object`'s
    /// members too) hide types everywhere: for method bodies, where telling expressions from
    /// types is not worth it.
    pub(super) fn scope(&self, names: impl IntoIterator<Item = impl Into<String>>) -> Scope {
        self.top_scope()
            .and(OBJECT_MEMBERS.iter().copied())
            .and(names)
    }

    /// [`Ctx::scope`] in code under `#nullable disable` (converters, registrations): no
    /// annotations.
    pub(super) fn plain_scope(&self, names: impl IntoIterator<Item = impl Into<String>>) -> Scope {
        let mut scope = self.scope(names);
        scope.annotate = false;
        scope
    }
}
