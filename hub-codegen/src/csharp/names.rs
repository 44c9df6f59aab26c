//! C# names: identifiers from wire and Rust names, the checks that keep them valid, and the
//! names of generated files and classes.

use std::collections::{BTreeSet, HashMap};

use crate::Error;
use crate::model::{Field, Int};

pub(super) use crate::model::identifier;

/// The file of the data types.
pub(super) const DTOS_FILE: &str = "Dtos.cs";
/// The file of the converters.
pub(super) const CONVERTERS_FILE: &str = "JsonConverters.cs";
/// The internal class of helpers the converters share.
pub(super) const HELPER: &str = "HubCodegenJson";

/// The converter class of a generated type.
pub(super) fn converter_name(ty: &str) -> String {
    format!("{ty}JsonConverter")
}

/// The C# keyword and .NET name of an integer type.
pub(super) fn int_name(int: Int) -> (&'static str, &'static str) {
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

/// C# keywords: a parameter with one of these names is written `@name`.
const KEYWORDS: &[&str] = &[
    "abstract",
    "as",
    "base",
    "bool",
    "break",
    "byte",
    "case",
    "catch",
    "char",
    "checked",
    "class",
    "const",
    "continue",
    "decimal",
    "default",
    "delegate",
    "do",
    "double",
    "else",
    "enum",
    "event",
    "explicit",
    "extern",
    "false",
    "finally",
    "fixed",
    "float",
    "for",
    "foreach",
    "goto",
    "if",
    "implicit",
    "in",
    "int",
    "interface",
    "internal",
    "is",
    "lock",
    "long",
    "namespace",
    "new",
    "null",
    "object",
    "operator",
    "out",
    "override",
    "params",
    "private",
    "protected",
    "public",
    "readonly",
    "ref",
    "return",
    "sbyte",
    "sealed",
    "short",
    "sizeof",
    "stackalloc",
    "static",
    "string",
    "struct",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "uint",
    "ulong",
    "unchecked",
    "unsafe",
    "ushort",
    "using",
    "virtual",
    "void",
    "volatile",
    "while",
];

/// `@name` for keywords.
pub(super) fn escape_keyword(name: &str) -> String {
    if KEYWORDS.contains(&name) {
        format!("@{name}")
    } else {
        name.to_owned()
    }
}

/// Parameter names: camelCase of the Rust snake_case names (`group_name` gives `groupName`,
/// `r#type` gives `type`), unique, never `reserved` (the proxy's `cancellationToken`), keywords
/// escaped (`@event`).
pub(super) fn parameters<'n>(
    names: impl IntoIterator<Item = &'n str>,
    reserved: &[&str],
) -> Vec<String> {
    let mut used: BTreeSet<String> = reserved.iter().map(|name| (*name).to_owned()).collect();
    let mut out = Vec::new();
    for (index, name) in names.into_iter().enumerate() {
        let name = name.strip_prefix("r#").unwrap_or(name);
        let mut camel = String::new();
        let mut upper = false;
        for ch in name.chars() {
            if ch.is_ascii_alphanumeric() {
                if camel.is_empty() {
                    camel.push(ch.to_ascii_lowercase());
                } else if upper {
                    camel.push(ch.to_ascii_uppercase());
                } else {
                    camel.push(ch);
                }
                upper = false;
            } else {
                upper = !camel.is_empty();
            }
        }
        if camel.is_empty() || camel.starts_with(|ch: char| ch.is_ascii_digit()) {
            camel = format!("arg{}", index + 1);
        }
        let unique = unique(&camel, &mut used);
        out.push(escape_keyword(&unique));
    }
    out
}

/// A member name unique among `used`, never the name of its class (C# forbids that): `Tree`
/// in class `Tree` becomes `TreeValue`, a second `Name` becomes `Name2`.
pub(super) fn unique_member(base: &str, class: &str, used: &mut BTreeSet<String>) -> String {
    let base = if base == class {
        format!("{base}Value")
    } else {
        base.to_owned()
    };
    let name = numbered(&base, |name| used.contains(name) || name == class);
    used.insert(name.clone());
    name
}

/// `base`, or `base` with a number appended (from 2) when `used` has it; added to `used`.
pub(super) fn unique(base: &str, used: &mut BTreeSet<String>) -> String {
    let name = numbered(base, |name| used.contains(name));
    used.insert(name.clone());
    name
}

/// `base`, or `base` with the first number from 2 appended that is not `taken`.
fn numbered(base: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut name = base.to_owned();
    let mut n = 2;
    while taken(&name) {
        name = format!("{base}{n}");
        n += 1;
    }
    name
}

/// Refuses two wire names that give the same C# member: `(C# name, wire name)` pairs.
pub(super) fn check_unique(
    location: &str,
    what: &str,
    names: &[(String, String)],
) -> Result<(), Error> {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (cs, wire) in names {
        if let Some(other) = seen.insert(cs, wire) {
            return Err(Error {
                location: location.to_owned(),
                message: format!(
                    "the {what} `{other}` and `{wire}` would both be `{cs}` in C#: rename one of them"
                ),
            });
        }
    }
    Ok(())
}

/// Refuses struct fields whose wire names differ only in case: SignalR's System.Text.Json
/// options read property names ignoring case (`PropertyNameCaseInsensitive`), and then reject
/// such a class at run time ("The JSON property name ... collides with another property").
pub(super) fn check_case_insensitive(class: &str, fields: &[Field]) -> Result<(), Error> {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for field in fields {
        if let Some(other) = seen.insert(field.name.to_lowercase(), &field.name) {
            return Err(Error {
                location: format!("{class}.{}", field.name),
                message: format!(
                    "the fields `{other}` and `{}` differ only in case: SignalR's .NET client reads property names ignoring case and rejects such a class; rename one of them",
                    field.name
                ),
            });
        }
    }
    Ok(())
}

/// Refuses a namespace that is not dot-separated C# identifiers.
pub(super) fn check_namespace(namespace: &str) -> Result<(), Error> {
    let valid = !namespace.is_empty()
        && namespace.split('.').all(|part| {
            part.chars()
                .next()
                .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
                && part
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                && !KEYWORDS.contains(&part)
                && part != "global"
        });
    if valid {
        Ok(())
    } else {
        Err(Error {
            location: String::from("C# namespace"),
            message: format!(
                "`{namespace}` is not a C# namespace: use dot-separated identifiers such as `MyApp.Hubs`"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names() {
        assert_eq!(
            parameters(
                [
                    "group_name",
                    "event",
                    "r#type",
                    "_x",
                    "cancellation_token",
                    "9",
                    "a",
                    "a"
                ],
                &["cancellationToken"],
            ),
            [
                "groupName",
                "@event",
                "type",
                "x",
                "cancellationToken2",
                "arg6",
                "a",
                "a2"
            ]
        );
    }

    #[test]
    fn members_never_name_their_class() {
        let mut used = BTreeSet::new();
        assert_eq!(unique_member("Tree", "Tree", &mut used), "TreeValue");
        assert_eq!(unique_member("Name", "Tree", &mut used), "Name");
        assert_eq!(unique_member("Name", "Tree", &mut used), "Name2");
    }

    #[test]
    fn namespaces() {
        assert!(check_namespace("Hub.Client").is_ok());
        assert!(check_namespace("_A.b2").is_ok());
        for bad in ["", "A..B", "1A", "A.class", "A-B", "global"] {
            assert!(check_namespace(bad).is_err(), "{bad}");
        }
    }
}
