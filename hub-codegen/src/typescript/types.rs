//! `types.ts`, and the spelling of types everywhere.

use super::Protocol;
use super::files::HEADER;
use super::generator::{Generator, Scope};
use super::names::{property_key, string_literal};
use super::notes::Notes;
use super::text::{jsdoc, line};
use crate::Error;
use crate::model::{EnumValue, Field, Ty, TypeDef, TypeKind, Variant, VariantData};

/// The second line of `types.ts` for MessagePack clients.
const MESSAGEPACK_NOTE: &str = "// For the MessagePack hub protocol (@microsoft/signalr-protocol-msgpack): hub_runtime::Timestamp and Binary values are Date and Uint8Array.\n";

/// An object type's property.
pub(super) struct Prop {
    key: String,
    optional: bool,
    doc: Vec<String>,
    ty: Shape,
}

/// A type as written: one line of text, or an object type laid out by [`Shape::render`].
pub(super) enum Shape {
    Text(String),
    Object(Vec<Prop>),
}

impl Shape {
    /// The type, its lines after the first indented as if it started at column `indent`.
    fn render(&self, indent: usize) -> String {
        let props = match self {
            Shape::Text(text) => return text.clone(),
            Shape::Object(props) if props.is_empty() => return String::from("{}"),
            Shape::Object(props) => props,
        };
        if props.iter().all(|prop| prop.doc.is_empty()) {
            let inline: Vec<String> = props
                .iter()
                .map(|prop| {
                    let optional = if prop.optional { "?" } else { "" };
                    format!("{}{optional}: {}", prop.key, prop.ty.render(0))
                })
                .collect();
            let text = format!("{{ {} }}", inline.join("; "));
            if !text.contains('\n') && indent + text.len() <= 90 {
                return text;
            }
        }
        let mut out = String::from("{\n");
        render_props(&mut out, props, indent + 2);
        out.extend(std::iter::repeat_n(' ', indent));
        out.push('}');
        out
    }
}

/// Properties, one per line (with their documentation), at `indent`.
fn render_props(out: &mut String, props: &[Prop], indent: usize) {
    for prop in props {
        jsdoc(out, indent, &prop.doc);
        line(
            out,
            indent,
            &format!(
                "{}{}: {};",
                prop.key,
                if prop.optional { "?" } else { "" },
                prop.ty.render(indent)
            ),
        );
    }
}

/// A description followed by notes, as documentation paragraphs.
fn doc(description: Option<&str>, notes: Notes) -> Vec<String> {
    description
        .map(str::to_owned)
        .into_iter()
        .chain(notes.text())
        .collect()
}

impl Generator<'_> {
    /// A type as TypeScript spells it.
    pub(super) fn ty(&self, scope: &Scope, ty: &Ty) -> String {
        match ty {
            Ty::Any => String::from("unknown"),
            Ty::Unit => String::from("null"),
            Ty::Bool => String::from("boolean"),
            Ty::Int(_) | Ty::Float { .. } => String::from("number"),
            Ty::String => String::from("string"),
            Ty::DateTime { timestamp: true } if self.protocol == Protocol::MessagePack => {
                self.global("Date")
            }
            Ty::Bytes { bin: true } if self.protocol == Protocol::MessagePack => {
                self.global("Uint8Array")
            }
            Ty::DateTime { .. } | Ty::Bytes { .. } => String::from("string"),
            Ty::Array(item) => match **item {
                Ty::Nullable(_) => format!("({})[]", self.ty(scope, item)),
                _ => format!("{}[]", self.ty(scope, item)),
            },
            Ty::Tuple(items) => {
                let items: Vec<String> = items.iter().map(|item| self.ty(scope, item)).collect();
                format!("[{}]", items.join(", "))
            }
            Ty::Map(value) if self.record_maps => {
                format!("Record<string, {}>", self.ty(scope, value))
            }
            Ty::Map(value) => format!("{{ [key: string]: {} }}", self.ty(scope, value)),
            Ty::Nullable(inner) => format!("{} | null", self.ty(scope, inner)),
            Ty::Named(name) => scope.name(name).to_owned(),
        }
    }

    fn props(&self, scope: &Scope, fields: &[Field]) -> Vec<Prop> {
        fields
            .iter()
            .map(|field| Prop {
                key: property_key(&field.name),
                optional: field.optional,
                doc: doc(
                    field.description.as_deref(),
                    Notes::of(&field.ty, self.protocol),
                ),
                ty: Shape::Text(self.ty(scope, &field.ty)),
            })
            .collect()
    }

    fn tuple(&self, scope: &Scope, items: &[Ty]) -> String {
        self.ty(scope, &Ty::Tuple(items.to_vec()))
    }

    /// `types.ts`.
    pub(super) fn types_file(&self) -> Result<String, Error> {
        let scope = Scope::default();
        let mut out = String::from(HEADER);
        if self.protocol == Protocol::MessagePack {
            out.push_str(MESSAGEPACK_NOTE);
        }
        if self.model.types.is_empty() {
            out.push_str("\nexport {};\n");
        }
        for def in &self.model.types {
            out.push('\n');
            self.type_def(&scope, def, &mut out)?;
        }
        Ok(out)
    }

    /// The declaration of a named type.
    fn type_def(&self, scope: &Scope, def: &TypeDef, out: &mut String) -> Result<(), Error> {
        let name = &def.name;
        let description = def.description.as_deref();
        match &def.kind {
            TypeKind::Struct(fields) => {
                jsdoc(out, 0, &doc(description, Notes::default()));
                if fields.is_empty() {
                    line(out, 0, &format!("export interface {name} {{}}"));
                } else {
                    line(out, 0, &format!("export interface {name} {{"));
                    render_props(out, &self.props(scope, fields), 2);
                    line(out, 0, "}");
                }
            }
            TypeKind::Alias(ty) => {
                jsdoc(out, 0, &doc(description, Notes::of(ty, self.protocol)));
                line(
                    out,
                    0,
                    &format!("export type {name} = {};", self.ty(scope, ty)),
                );
            }
            TypeKind::StringEnum(values) => string_enum(out, name, description, values),
            TypeKind::External(_)
            | TypeKind::Internal { .. }
            | TypeKind::Adjacent { .. }
            | TypeKind::Untagged(_) => {
                let members = self.variants(scope, def)?;
                union(out, name, doc(description, Notes::default()), members);
            }
        }
        Ok(())
    }

    /// The documentation and type of each variant of an enum with data.
    fn variants(&self, scope: &Scope, def: &TypeDef) -> Result<Vec<(Vec<String>, Shape)>, Error> {
        Ok(match &def.kind {
            TypeKind::External(variants) => variants
                .iter()
                .map(|variant| (self.variant_doc(variant), self.external(scope, variant)))
                .collect(),
            TypeKind::Internal { tag, variants } => variants
                .iter()
                .map(|variant| {
                    Ok((
                        self.variant_doc(variant),
                        self.internal(scope, &def.name, tag, variant)?,
                    ))
                })
                .collect::<Result<_, Error>>()?,
            TypeKind::Adjacent {
                tag,
                content,
                variants,
            } => variants
                .iter()
                .map(|variant| {
                    (
                        self.variant_doc(variant),
                        self.adjacent(scope, tag, content, variant),
                    )
                })
                .collect(),
            TypeKind::Untagged(variants) => variants
                .iter()
                .map(|variant| (self.variant_doc(variant), self.untagged(scope, variant)))
                .collect(),
            TypeKind::Struct(_) | TypeKind::Alias(_) | TypeKind::StringEnum(_) => {
                unreachable!("an enum with data")
            }
        })
    }

    /// `"Unit"` or `{ Variant: data }`.
    fn external(&self, scope: &Scope, variant: &Variant) -> Shape {
        let data = match &variant.data {
            VariantData::Unit => return Shape::Text(string_literal(&variant.name)),
            VariantData::Newtype(ty) => Shape::Text(self.ty(scope, ty)),
            VariantData::Tuple(items) => Shape::Text(self.tuple(scope, items)),
            VariantData::Struct(fields) => Shape::Object(self.props(scope, fields)),
        };
        Shape::Object(vec![Prop {
            key: property_key(&variant.name),
            optional: false,
            doc: Vec::new(),
            ty: data,
        }])
    }

    fn tag(tag: &str, variant: &Variant) -> Prop {
        Prop {
            key: property_key(tag),
            optional: false,
            doc: Vec::new(),
            ty: Shape::Text(string_literal(&variant.name)),
        }
    }

    /// `{ tag: "Variant", ...fields }`: the model only gives unit and struct variants.
    fn internal(
        &self,
        scope: &Scope,
        name: &str,
        tag: &str,
        variant: &Variant,
    ) -> Result<Shape, Error> {
        let mut props = vec![Self::tag(tag, variant)];
        match &variant.data {
            VariantData::Unit => {}
            VariantData::Struct(fields) => props.extend(self.props(scope, fields)),
            VariantData::Newtype(_) | VariantData::Tuple(_) => {
                return Err(Error {
                    location: format!("{name}::{}", variant.name),
                    message: String::from(
                        "an internally tagged variant must be a unit or hold fields: its data has nowhere to go beside the tag",
                    ),
                });
            }
        }
        Ok(Shape::Object(props))
    }

    /// `{ tag: "Variant", content: data }`.
    fn adjacent(&self, scope: &Scope, tag: &str, content: &str, variant: &Variant) -> Shape {
        let data = match &variant.data {
            VariantData::Unit => None,
            VariantData::Newtype(ty) => Some(Shape::Text(self.ty(scope, ty))),
            VariantData::Tuple(items) => Some(Shape::Text(self.tuple(scope, items))),
            VariantData::Struct(fields) => Some(Shape::Object(self.props(scope, fields))),
        };
        let mut props = vec![Self::tag(tag, variant)];
        props.extend(data.map(|ty| Prop {
            key: property_key(content),
            optional: false,
            doc: Vec::new(),
            ty,
        }));
        Shape::Object(props)
    }

    /// The variant's data alone.
    fn untagged(&self, scope: &Scope, variant: &Variant) -> Shape {
        match &variant.data {
            VariantData::Unit => Shape::Text(String::from("null")),
            VariantData::Newtype(ty) => Shape::Text(self.ty(scope, ty)),
            VariantData::Tuple(items) => Shape::Text(self.tuple(scope, items)),
            VariantData::Struct(fields) => Shape::Object(self.props(scope, fields)),
        }
    }
}

impl Generator<'_> {
    fn variant_doc(&self, variant: &Variant) -> Vec<String> {
        let notes = match &variant.data {
            VariantData::Newtype(ty) => Notes::of(ty, self.protocol),
            VariantData::Tuple(items) => Notes::of_all(items, self.protocol),
            VariantData::Unit | VariantData::Struct(_) => Notes::default(),
        };
        doc(variant.description.as_deref(), notes)
    }

    /// A global type (`Date`), through `globalThis` where a type of the manifest has its name.
    fn global(&self, name: &str) -> String {
        if self.model.type_def(name).is_some() {
            format!("globalThis.{name}")
        } else {
            String::from(name)
        }
    }
}

/// `export type Name = | A | B;`, each member with its documentation.
fn union(out: &mut String, name: &str, type_doc: Vec<String>, members: Vec<(Vec<String>, Shape)>) {
    if members.is_empty() {
        jsdoc(out, 0, &type_doc);
        line(out, 0, &format!("export type {name} = never;"));
        return;
    }
    if let [(member_doc, member)] = members.as_slice() {
        let mut paragraphs = type_doc;
        paragraphs.extend(member_doc.iter().cloned());
        jsdoc(out, 0, &paragraphs);
        line(
            out,
            0,
            &format!("export type {name} = {};", member.render(0)),
        );
        return;
    }
    jsdoc(out, 0, &type_doc);
    line(out, 0, &format!("export type {name} ="));
    let count = members.len();
    for (index, (member_doc, member)) in members.iter().enumerate() {
        jsdoc(out, 2, member_doc);
        let end = if index + 1 == count { ";" } else { "" };
        line(out, 2, &format!("| {}{end}", member.render(4)));
    }
}

/// A unit-only enum: a union of string literals, and the array of every value.
fn string_enum(out: &mut String, name: &str, description: Option<&str>, values: &[EnumValue]) {
    let members: Vec<(Vec<String>, Shape)> = values
        .iter()
        .map(|value| {
            (
                doc(value.description.as_deref(), Notes::default()),
                Shape::Text(string_literal(&value.value)),
            )
        })
        .collect();
    union(out, name, doc(description, Notes::default()), members);
    let literals: Vec<String> = values
        .iter()
        .map(|value| string_literal(&value.value))
        .collect();
    out.push('\n');
    jsdoc(
        out,
        0,
        &[format!(
            "Every value of {{@link {name}}}, in declaration order."
        )],
    );
    line(
        out,
        0,
        &format!("export const {name} = [{}] as const;", literals.join(", ")),
    );
}
