//! The C# backend: see `docs/codegen.md`.
//!
//! Output (C# 7.3 syntax unless [`Options::nullable`], for .NET, .NET Framework and Unity):
//!
//! - `Dtos.cs`: the manifest's types: `sealed class` per struct, `enum` per unit-only enum,
//!   an abstract class with nested sealed variant classes per enum with data, a class per tuple
//!   type (`TupleInt32String`). Newtype structs are their wrapped type (the wire is the bare
//!   value).
//! - `JsonConverters.cs`: the System.Text.Json converters that give enums and tuples serde's
//!   exact wire form, and a small internal helper they share. Kept apart so `Dtos.cs` reads as
//!   plain data.
//! - `<Hub>.cs` per hub: `I<Hub>` and `<Hub>Proxy` (invocations, streams), `<Hub>Sender`
//!   (fire and forget), and the receiver side: `I<Client>` and the `Register<Client>`
//!   extension on `HubConnection`.
//!
//! Framework types are written with their short names and `using` directives placed inside the
//! namespace, except where a generated name would shadow one (a DTO called `Task`, a variant
//! called `Type`): there the name is written in full from `global::`.

mod code;
mod converters;
mod dtos;
mod hubs;
mod names;

use std::collections::{BTreeSet, HashMap};

use crate::model::{Field, Int, Ty, TypeDef, TypeKind, Variant, VariantData};
use crate::{Error, File, Model};

use names::{check_unique, identifier, unique_member};

/// C# options.
#[derive(Debug, Clone)]
pub struct Options {
    /// The namespace of the generated code (`Hub.Client`): dot-separated C# identifiers.
    pub namespace: String,
    /// Emit nullable reference annotations (`string?`, `#nullable enable`; C# 8+).
    pub nullable: bool,
}

/// The C# files for `model`: `Dtos.cs` and `JsonConverters.cs` when the hubs use types with a
/// name or tuples, and one file per hub (`ChatHub.cs`).
pub fn generate(model: &Model, options: &Options) -> Result<Vec<File>, Error> {
    let ctx = Ctx::new(model, options)?;
    let mut files = Vec::new();
    if ctx.has_dtos() {
        files.push(File {
            path: String::from(DTOS_FILE),
            contents: dtos::generate(&ctx),
        });
    }
    if ctx.has_converters() {
        files.push(File {
            path: String::from(CONVERTERS_FILE),
            contents: converters::generate(&ctx),
        });
    }
    for hub in &ctx.hubs {
        files.push(File {
            path: format!("{}.cs", hub.name),
            contents: hubs::generate(&ctx, hub),
        });
    }
    Ok(files)
}

const DTOS_FILE: &str = "Dtos.cs";
const CONVERTERS_FILE: &str = "JsonConverters.cs";
/// The internal class of helpers the converters share.
const HELPER: &str = "HubCodegenJson";

/// Framework types the generated code names, by short name.
const FRAMEWORK: &[(&str, &str)] = &[
    ("ArgumentNullException", "System"),
    ("DateTimeOffset", "System"),
    ("Func", "System"),
    ("IDisposable", "System"),
    ("Type", "System"),
    ("Dictionary", "System.Collections.Generic"),
    ("IAsyncEnumerable", "System.Collections.Generic"),
    ("List", "System.Collections.Generic"),
    ("CancellationToken", "System.Threading"),
    ("Interlocked", "System.Threading"),
    ("ChannelReader", "System.Threading.Channels"),
    ("Task", "System.Threading.Tasks"),
    ("JsonDocument", "System.Text.Json"),
    ("JsonElement", "System.Text.Json"),
    ("JsonException", "System.Text.Json"),
    ("JsonProperty", "System.Text.Json"),
    ("JsonSerializer", "System.Text.Json"),
    ("JsonSerializerOptions", "System.Text.Json"),
    ("JsonTokenType", "System.Text.Json"),
    ("JsonValueKind", "System.Text.Json"),
    ("Utf8JsonReader", "System.Text.Json"),
    ("Utf8JsonWriter", "System.Text.Json"),
    ("JsonConverter", "System.Text.Json.Serialization"),
    ("JsonIgnore", "System.Text.Json.Serialization"),
    ("JsonIgnoreCondition", "System.Text.Json.Serialization"),
    ("JsonPropertyName", "System.Text.Json.Serialization"),
    ("HubConnection", "Microsoft.AspNetCore.SignalR.Client"),
];

/// What hides names of the namespace's types and of framework types at some place: nested
/// types (in every context) and members (in expressions only, `JsonIgnoreCondition.WhenWritingNull`
/// in a class with a property `JsonIgnoreCondition`); and whether nullable reference annotations
/// are on there.
#[derive(Debug, Clone)]
struct Scope {
    types: BTreeSet<String>,
    members: BTreeSet<String>,
    annotate: bool,
}

impl Scope {
    /// Adds names that hide types everywhere (nested types; in method bodies, members too).
    fn and(&self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let mut scope = self.clone();
        scope.types.extend(names.into_iter().map(Into::into));
        scope
    }

    /// Adds members, which hide types in expressions only.
    fn members(&self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
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

/// A property of a generated class.
#[derive(Debug)]
struct Prop<'a> {
    /// The C# name.
    name: String,
    field: &'a Field,
}

/// A generated named type.
#[derive(Debug)]
enum Class<'a> {
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
struct Case<'a> {
    /// The nested class's name.
    name: String,
    variant: &'a Variant,
    data: CaseData<'a>,
}

#[derive(Debug)]
enum CaseData<'a> {
    Unit,
    Struct(Vec<Prop<'a>>),
    /// The property's name (`Value`) and the type.
    Newtype(String, &'a Ty),
    /// Property names (`Item1`..) and types.
    Tuple(Vec<(String, &'a Ty)>),
}

/// A tuple type's class.
#[derive(Debug)]
struct Tuple {
    name: String,
    items: Vec<Ty>,
}

/// A hub and the names of what is generated for it.
#[derive(Debug)]
struct HubNames<'a> {
    hub: &'a crate::model::Hub,
    /// `ChatHub`.
    name: String,
    /// C# method names, in model order (`SendMessage`).
    methods: Vec<String>,
    /// The receiver interface's base name (`ChatClient`), when there are client methods and
    /// this hub's file declares them (hubs sharing a client declare it once).
    client: Option<String>,
    /// C# names of the client methods.
    client_methods: Vec<String>,
}

struct Ctx<'a> {
    model: &'a Model,
    options: &'a Options,
    /// Named types by model name.
    defs: HashMap<&'a str, &'a TypeDef>,
    /// Classes by model name (aliases included), in model order.
    classes: Vec<(&'a TypeDef, Class<'a>)>,
    tuples: Vec<Tuple>,
    hubs: Vec<HubNames<'a>>,
    /// Every type declared at the namespace's top level.
    top: BTreeSet<String>,
}

impl<'a> Ctx<'a> {
    fn new(model: &'a Model, options: &'a Options) -> Result<Self, Error> {
        names::check_namespace(&options.namespace)?;
        let defs: HashMap<&str, &TypeDef> = model
            .types
            .iter()
            .map(|def| (def.name.as_str(), def))
            .collect();
        let mut ctx = Ctx {
            model,
            options,
            defs,
            classes: Vec::new(),
            tuples: Vec::new(),
            hubs: Vec::new(),
            top: BTreeSet::new(),
        };
        for def in &model.types {
            let class = ctx.class(def)?;
            ctx.classes.push((def, class));
        }
        ctx.collect_tuples();
        ctx.hubs = ctx.hub_names()?;
        ctx.top = ctx.check_top_level()?;
        Ok(ctx)
    }

    fn class(&self, def: &'a TypeDef) -> Result<Class<'a>, Error> {
        let name = &def.name;
        Ok(match &def.kind {
            TypeKind::Struct(fields) => {
                let props = self.props(name, fields);
                names::check_case_insensitive(name, fields)?;
                Class::Struct(props)
            }
            TypeKind::Alias(ty) => {
                self.check_alias(name, ty)?;
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
            | TypeKind::Internal { variants, .. }
            | TypeKind::Adjacent { variants, .. }
            | TypeKind::Untagged(variants) => {
                if let TypeKind::Internal { .. } = def.kind {
                    if let Some(variant) = variants.iter().find(|variant| {
                        matches!(
                            variant.data,
                            VariantData::Newtype(_) | VariantData::Tuple(_)
                        )
                    }) {
                        return Err(Error {
                            location: format!("{name}::{}", variant.name),
                            message: String::from(
                                "an internally tagged variant must be a unit or struct variant",
                            ),
                        });
                    }
                }
                let mut used = BTreeSet::new();
                let mut cases = Vec::new();
                for variant in variants {
                    let case_name = unique_member(&identifier(&variant.name), name, &mut used);
                    let data = match &variant.data {
                        VariantData::Unit => CaseData::Unit,
                        VariantData::Struct(fields) => {
                            CaseData::Struct(self.props(&case_name, fields))
                        }
                        VariantData::Newtype(ty) => {
                            let mut used = BTreeSet::new();
                            CaseData::Newtype(unique_member("Value", &case_name, &mut used), ty)
                        }
                        VariantData::Tuple(items) => {
                            let mut used = BTreeSet::new();
                            CaseData::Tuple(
                                items
                                    .iter()
                                    .enumerate()
                                    .map(|(index, ty)| {
                                        let item = format!("Item{}", index + 1);
                                        (unique_member(&item, &case_name, &mut used), ty)
                                    })
                                    .collect(),
                            )
                        }
                    };
                    cases.push(Case {
                        name: case_name,
                        variant,
                        data,
                    });
                }
                Class::Union(cases)
            }
        })
    }

    /// Property names for `fields` of class `class`: PascalCase, unique, never the class's name.
    fn props(&self, class: &str, fields: &'a [Field]) -> Vec<Prop<'a>> {
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
    fn check_alias(&self, name: &str, ty: &Ty) -> Result<(), Error> {
        let mut seen = BTreeSet::from([name.to_owned()]);
        let mut current = ty;
        while let Ty::Named(next) = current {
            if !seen.insert(next.clone()) {
                return Err(Error {
                    location: name.to_owned(),
                    message: format!("the newtype refers to itself through `{next}`"),
                });
            }
            match self.defs.get(next.as_str()).map(|def| &def.kind) {
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

    /// Every tuple type, in order of first use (inside types, then hubs).
    fn collect_tuples(&mut self) {
        let mut found: Vec<Vec<Ty>> = Vec::new();
        let mut visit = |ty: &Ty| walk_tuples(ty, &mut found);
        for def in &self.model.types {
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
        for hub in &self.model.hubs {
            for method in &hub.methods {
                method.params.iter().for_each(|param| visit(&param.ty));
                method.result.iter().for_each(&mut visit);
            }
            for method in &hub.client_methods {
                method.params.iter().for_each(|param| visit(&param.ty));
                method.result.iter().for_each(&mut visit);
            }
        }
        // One class per shape: aliases are their wrapped types.
        let mut keys: Vec<String> = Vec::new();
        let mut used: BTreeSet<String> = self
            .model
            .types
            .iter()
            .map(|def| def.name.clone())
            .collect();
        for items in found {
            let items: Vec<Ty> = items.iter().map(|ty| self.canonical(ty)).collect();
            let key = format!("{items:?}");
            if keys.contains(&key) {
                continue;
            }
            keys.push(key);
            let base: String = std::iter::once(String::from("Tuple"))
                .chain(items.iter().map(|ty| self.tag(ty)))
                .collect();
            let mut name = base.clone();
            let mut n = 2;
            while used.contains(&name) {
                name = format!("{base}{n}");
                n += 1;
            }
            used.insert(name.clone());
            self.tuples.push(Tuple { name, items });
        }
    }

    /// `ty` with every newtype replaced by what it wraps.
    fn canonical(&self, ty: &Ty) -> Ty {
        match ty {
            Ty::Array(inner) => Ty::Array(Box::new(self.canonical(inner))),
            Ty::Map(inner) => Ty::Map(Box::new(self.canonical(inner))),
            Ty::Nullable(inner) => match self.canonical(inner) {
                nullable @ (Ty::Nullable(_) | Ty::Unit | Ty::Any) => nullable,
                inner => Ty::Nullable(Box::new(inner)),
            },
            Ty::Tuple(items) => Ty::Tuple(items.iter().map(|ty| self.canonical(ty)).collect()),
            Ty::Named(name) => match self.defs.get(name.as_str()).map(|def| &def.kind) {
                Some(TypeKind::Alias(inner)) => self.canonical(inner),
                _ => ty.clone(),
            },
            other => other.clone(),
        }
    }

    /// A tuple item's part of the tuple class name.
    fn tag(&self, ty: &Ty) -> String {
        match ty {
            Ty::Any => String::from("JsonElement"),
            Ty::Unit => String::from("Unit"),
            Ty::Bool => String::from("Boolean"),
            Ty::Int(int) => String::from(int_name(*int).1),
            Ty::Float { single: true } => String::from("Single"),
            Ty::Float { single: false } => String::from("Double"),
            Ty::String => String::from("String"),
            Ty::DateTime => String::from("DateTimeOffset"),
            Ty::Array(inner) => format!("List{}", self.tag(inner)),
            Ty::Map(inner) => format!("Map{}", self.tag(inner)),
            Ty::Nullable(inner) => format!("Nullable{}", self.tag(inner)),
            Ty::Tuple(items) => std::iter::once(String::from("Tuple"))
                .chain(items.iter().map(|ty| self.tag(ty)))
                .collect(),
            Ty::Named(name) => name.clone(),
        }
    }

    fn hub_names(&self) -> Result<Vec<HubNames<'a>>, Error> {
        let mut hubs = Vec::new();
        let mut clients: Vec<(String, &crate::model::Hub)> = Vec::new();
        let mut hub_names = BTreeSet::new();
        for hub in &self.model.hubs {
            let name = identifier(&hub.name);
            if !hub_names.insert(name.to_ascii_lowercase()) {
                return Err(Error {
                    location: hub.name.clone(),
                    message: format!(
                        "two hubs are named `{name}` in C# (file names ignore case on some systems)"
                    ),
                });
            }
            let file = format!("{name}.cs").to_ascii_lowercase();
            if [DTOS_FILE, CONVERTERS_FILE]
                .iter()
                .any(|taken| taken.to_ascii_lowercase() == file)
            {
                return Err(Error {
                    location: hub.name.clone(),
                    message: format!("a hub cannot be named `{name}`: `{name}.cs` holds the types"),
                });
            }
            // Proxy members: `<Name>Async` for every method, `<Name>ChannelAsync` for streams.
            let methods: Vec<String> = hub.methods.iter().map(|m| identifier(&m.name)).collect();
            let mut members: Vec<(String, String)> = Vec::new();
            for (method, cs) in hub.methods.iter().zip(&methods) {
                members.push((format!("{cs}Async"), method.name.clone()));
                if method.kind == hub_schema::MethodKind::Stream {
                    members.push((format!("{cs}ChannelAsync"), method.name.clone()));
                }
            }
            check_unique(&hub.name, "hub methods", &members)?;
            let client_methods: Vec<String> = hub
                .client_methods
                .iter()
                .map(|m| identifier(&m.name))
                .collect();
            let client_members: Vec<(String, String)> = client_methods
                .iter()
                .zip(&hub.client_methods)
                .map(|(cs, method)| (cs.clone(), method.name.clone()))
                .collect();
            check_unique(&hub.name, "client methods", &client_members)?;
            let client = if hub.client_methods.is_empty() {
                None
            } else {
                let client = identifier(&hub.client_name);
                match clients.iter().find(|(name, _)| *name == client) {
                    Some((_, other)) if other.client_methods == hub.client_methods => None,
                    Some((_, other)) => {
                        return Err(Error {
                            location: hub.name.clone(),
                            message: format!(
                                "the client `{client}` of this hub and of `{}` differ: give them different client names",
                                other.name
                            ),
                        });
                    }
                    None => {
                        clients.push((client.clone(), hub));
                        Some(client)
                    }
                }
            };
            hubs.push(HubNames {
                hub,
                name,
                methods,
                client,
                client_methods,
            });
        }
        Ok(hubs)
    }

    /// Every top-level type name, checked for collisions.
    fn check_top_level(&self) -> Result<BTreeSet<String>, Error> {
        let mut names: Vec<(String, String)> = Vec::new();
        for (def, class) in &self.classes {
            match class {
                Class::Alias => {}
                Class::Struct(_) => names.push((def.name.clone(), format!("type `{}`", def.name))),
                Class::Enum(_) | Class::Union(_) => {
                    names.push((def.name.clone(), format!("type `{}`", def.name)));
                    names.push((
                        converter_name(&def.name),
                        format!("the converter of `{}`", def.name),
                    ));
                }
            }
        }
        for tuple in &self.tuples {
            names.push((tuple.name.clone(), String::from("a tuple class")));
            names.push((
                converter_name(&tuple.name),
                String::from("a tuple converter"),
            ));
        }
        if self.has_converters() {
            names.push((
                String::from(HELPER),
                String::from("the converters' helper class"),
            ));
        }
        for hub in &self.hubs {
            let of = format!("hub `{}`", hub.hub.name);
            names.push((format!("I{}", hub.name), format!("the interface of {of}")));
            names.push((format!("{}Proxy", hub.name), format!("the proxy of {of}")));
            names.push((format!("{}Sender", hub.name), format!("the sender of {of}")));
            if let Some(client) = &hub.client {
                names.push((
                    format!("I{client}"),
                    format!("the receiver interface of {of}"),
                ));
                names.push((
                    format!("{client}Registration"),
                    format!("the receiver registration of {of}"),
                ));
            }
        }
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for (name, what) in &names {
            if let Some(other) = seen.insert(name, what) {
                return Err(Error {
                    location: format!("C# type {name}"),
                    message: format!(
                        "{other} and {what} would both be named `{name}`: rename one of them"
                    ),
                });
            }
        }
        Ok(names.into_iter().map(|(name, _)| name).collect())
    }

    fn has_dtos(&self) -> bool {
        !self.tuples.is_empty()
            || self
                .classes
                .iter()
                .any(|(_, class)| !matches!(class, Class::Alias))
    }

    fn has_converters(&self) -> bool {
        !self.tuples.is_empty()
            || self
                .classes
                .iter()
                .any(|(_, class)| matches!(class, Class::Enum(_) | Class::Union(_)))
    }

    /// The namespace-level `using` directives (placed inside the namespace, so that they win
    /// over types of enclosing namespaces of the user's project).
    fn usings(&self, code: &mut code::Code) {
        let mut namespaces: Vec<&str> = FRAMEWORK.iter().map(|(_, ns)| *ns).collect();
        namespaces.sort_unstable();
        namespaces.dedup();
        // `System` first, as is customary.
        namespaces.sort_by_key(|ns| (!ns.starts_with("System"), *ns));
        for ns in namespaces {
            code.line(format!("using global::{ns};"));
        }
    }

    /// The file header; with nullable annotations, `#nullable enable` unless `plumbing` (code
    /// users do not call, compiled without annotations).
    fn header(&self, code: &mut code::Code, about: &str, plumbing: bool) {
        code.line("// <auto-generated>");
        code.line(
            "//     Generated by hub-codegen from a hub manifest. Do not edit: regenerate instead.",
        );
        code.line(format!("//     {about}"));
        if self.options.nullable {
            code.line("//     Needs C# 8 or later (nullable reference annotations).");
        } else {
            code.line("//     C# 7.3 syntax: .NET, .NET Framework and Unity.");
        }
        code.line("// </auto-generated>");
        code.blank();
        if self.options.nullable {
            code.line(if plumbing {
                "#nullable disable"
            } else {
                "#nullable enable"
            });
            code.blank();
        }
    }

    fn namespace(&self) -> &str {
        &self.options.namespace
    }

    /// A framework type's name in a type context (a declaration, `new`, `typeof`), written in
    /// full where something hides its short name.
    fn fw(&self, short: &str, scope: &Scope) -> String {
        self.framework(
            short,
            self.top.contains(short) || scope.types.contains(short),
        )
    }

    /// A framework type's name in an expression (`JsonIgnoreCondition.WhenWritingNull`).
    fn fw_expr(&self, short: &str, scope: &Scope) -> String {
        self.framework(
            short,
            self.top.contains(short)
                || scope.types.contains(short)
                || scope.members.contains(short),
        )
    }

    fn framework(&self, short: &str, qualify: bool) -> String {
        let namespace = FRAMEWORK
            .iter()
            .find(|(name, _)| *name == short)
            .map(|(_, ns)| *ns)
            .unwrap_or_else(|| panic!("{short} is not in FRAMEWORK"));
        if qualify {
            format!("global::{namespace}.{short}")
        } else {
            short.to_owned()
        }
    }

    /// A generated top-level type's name, written in full where a nested name hides it.
    fn gen_name(&self, name: &str, scope: &Scope) -> String {
        if scope.types.contains(name) {
            format!("global::{}.{name}", self.options.namespace)
        } else {
            name.to_owned()
        }
    }

    /// The scope at the namespace's top level: only generated types hide framework types.
    fn top_scope(&self) -> Scope {
        Scope {
            types: BTreeSet::new(),
            members: BTreeSet::new(),
            annotate: self.options.nullable,
        }
    }

    /// The scope in the body of a class where `names` (members, nested types; `object`'s
    /// members too) hide types everywhere: for method bodies, where telling expressions from
    /// types is not worth it.
    fn scope(&self, names: impl IntoIterator<Item = impl Into<String>>) -> Scope {
        self.top_scope()
            .and(OBJECT_MEMBERS.iter().copied())
            .and(names)
    }

    /// [`Ctx::scope`] in code under `#nullable disable` (converters, registrations): no
    /// annotations.
    fn plain_scope(&self, names: impl IntoIterator<Item = impl Into<String>>) -> Scope {
        let mut scope = self.scope(names);
        scope.annotate = false;
        scope
    }

    fn def(&self, name: &str) -> &'a TypeDef {
        self.defs
            .get(name)
            .unwrap_or_else(|| panic!("the model refers to `{name}`, which it does not define"))
    }

    /// Follows newtypes to the type on the wire.
    fn resolve<'t>(&self, ty: &'t Ty) -> &'t Ty
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
    fn is_value_type(&self, ty: &Ty) -> bool {
        match self.resolve(ty) {
            Ty::Bool | Ty::Int(_) | Ty::Float { .. } | Ty::DateTime | Ty::Any => true,
            Ty::Named(name) => matches!(self.def(name).kind, TypeKind::StringEnum(_)),
            _ => false,
        }
    }

    /// Whether the C# type of `ty` already holds `null`.
    fn holds_null(&self, ty: &Ty) -> bool {
        matches!(self.resolve(ty), Ty::Nullable(_) | Ty::Unit)
    }

    /// The C# type of `ty`.
    fn ty(&self, ty: &Ty, scope: &Scope) -> String {
        match ty {
            Ty::Any => self.fw("JsonElement", scope),
            Ty::Unit => self.reference_nullable(String::from("object"), scope),
            Ty::Bool => String::from("bool"),
            Ty::Int(int) => String::from(int_name(*int).0),
            Ty::Float { single: true } => String::from("float"),
            Ty::Float { single: false } => String::from("double"),
            Ty::String => String::from("string"),
            Ty::DateTime => self.fw("DateTimeOffset", scope),
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
    fn nullable_ty(&self, ty: &Ty, scope: &Scope) -> String {
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
    fn field_ty(&self, field: &Field, scope: &Scope) -> String {
        if field.optional {
            self.nullable_ty(&field.ty, scope)
        } else {
            self.ty(&field.ty, scope)
        }
    }

    /// Whether a property of this field needs `= null!;` under nullable annotations (a
    /// non-nullable reference type).
    fn needs_null_forgiving(&self, field: &Field) -> bool {
        self.options.nullable
            && !field.optional
            && !self.holds_null(&field.ty)
            && !self.is_value_type(&field.ty)
    }

    fn tuple_name(&self, items: &[Ty]) -> String {
        let canonical: Vec<Ty> = items.iter().map(|ty| self.canonical(ty)).collect();
        self.tuples
            .iter()
            .find(|tuple| tuple.items == canonical)
            .map(|tuple| tuple.name.clone())
            .expect("every tuple was collected")
    }

    /// The named type of a newtype's documentation, for remarks.
    fn alias_of(&self, ty: &Ty) -> Option<&'a TypeDef> {
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

    fn class_of(&self, name: &str) -> &Class<'a> {
        self.classes
            .iter()
            .find(|(def, _)| def.name == name)
            .map(|(_, class)| class)
            .expect("a class per type")
    }
}

/// The converter class of a generated type.
fn converter_name(ty: &str) -> String {
    format!("{ty}JsonConverter")
}

/// The C# keyword and .NET name of an integer type.
fn int_name(int: Int) -> (&'static str, &'static str) {
    match (int.bits, int.unsigned) {
        (8, false) => ("sbyte", "SByte"),
        (8, true) => ("byte", "Byte"),
        (16, false) => ("short", "Int16"),
        (16, true) => ("ushort", "UInt16"),
        (32, false) => ("int", "Int32"),
        (32, true) => ("uint", "UInt32"),
        (_, false) => ("long", "Int64"),
        (_, true) => ("ulong", "UInt64"),
    }
}

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
