//! TypeScript names: camelCase members, kebab-case file names, quoted property keys.

/// Words that cannot name a parameter or a local in strict-mode ES modules (plus `arguments`
/// and `eval`, which cannot be bound there either).
const RESERVED: &[&str] = &[
    "arguments",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// The words of a name: runs of ASCII letters and digits, split at `_`, `-` and other
/// separators and where the case changes (`SendMessage`, `send_message` and `HTTPGet` give
/// `send message`, `send message` and `http get`).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &ch) in chars.iter().enumerate() {
        if !ch.is_ascii_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        if ch.is_ascii_uppercase() && !word.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                words.push(std::mem::take(&mut word));
            }
        }
        word.push(ch.to_ascii_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// camelCase: `SendMessage` and `send_message` give `sendMessage`, `HTTPGet` gives `httpGet`.
/// A name that would start with a digit (or be empty) starts with `_`.
pub(crate) fn camel(name: &str) -> String {
    let mut out = String::new();
    for (i, word) in words(name).iter().enumerate() {
        if i == 0 {
            out.push_str(word);
        } else {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_uppercase());
                out.extend(chars);
            }
        }
    }
    if out.is_empty() || out.starts_with(|ch: char| ch.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// SCREAMING_SNAKE_CASE, for constants: `ChatHub` gives `CHAT_HUB`. A name that would start
/// with a digit (or be empty) starts with `_`; no reserved word is in capitals.
pub(crate) fn constant(name: &str) -> String {
    let mut out = words(name).join("_").to_ascii_uppercase();
    if out.is_empty() || out.starts_with(|ch: char| ch.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// kebab-case: `ChatHub` gives `chat-hub`.
pub(crate) fn kebab(name: &str) -> String {
    let out = words(name).join("-");
    if out.is_empty() {
        String::from("hub")
    } else {
        out
    }
}

/// A binding name (parameter, local): camelCase, with `_` appended to reserved words and to
/// the names in `taken`.
pub(crate) fn binding(name: &str, taken: &[&str]) -> String {
    let mut out = camel(name);
    while RESERVED.contains(&out.as_str()) || taken.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// An ASCII JavaScript identifier.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_' || ch == '$')
        && chars.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '$')
}

/// A string literal: JSON's escapes are JavaScript's.
pub(crate) fn string_literal(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// A property key: the name itself when it is an identifier, else a string literal.
pub(crate) fn property_key(name: &str) -> String {
    if is_identifier(name) {
        name.to_owned()
    } else {
        string_literal(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case() {
        let cases = [
            ("SendMessage", "sendMessage"),
            ("send_message", "sendMessage"),
            ("to_connection_id", "toConnectionId"),
            ("Echo", "echo"),
            ("HTTPGet", "httpGet"),
            ("ECHO", "echo"),
            ("get-v2-items", "getV2Items"),
            ("Get2Items", "get2Items"),
            ("_private", "private"),
            ("9lives", "_9lives"),
            ("__", "_"),
        ];
        for (name, expected) in cases {
            assert_eq!(camel(name), expected, "{name}");
        }
    }

    #[test]
    fn kebab_case_constants_and_bindings() {
        assert_eq!(kebab("ChatHub"), "chat-hub");
        assert_eq!(kebab("HTTPHub"), "http-hub");
        assert_eq!(kebab("Types"), "types");
        assert_eq!(constant("ChatHub"), "CHAT_HUB");
        assert_eq!(constant("HTTPHub"), "HTTP_HUB");
        assert_eq!(constant("Hub2Go"), "HUB2_GO");
        assert_eq!(constant("9Lives"), "_9_LIVES");
        assert_eq!(binding("class", &[]), "class_");
        assert_eq!(binding("receiver", &["receiver"]), "receiver_");
        assert_eq!(binding("group_name", &[]), "groupName");
    }

    #[test]
    fn property_keys() {
        assert_eq!(property_key("legacy_code"), "legacy_code");
        assert_eq!(property_key("$ref"), "$ref");
        assert_eq!(property_key("a-b"), "\"a-b\"");
        assert_eq!(property_key("1st"), "\"1st\"");
        assert_eq!(property_key("class"), "class");
        assert_eq!(property_key("quote\"d"), "\"quote\\\"d\"");
    }
}
