//! Wire names: Rust `send_message` is the SignalR target `SendMessage`, as in .NET.

/// `send_message` -> `SendMessage`; `r#type` -> `Type`.
pub(crate) fn pascal_case(ident: &str) -> String {
    let ident = ident.strip_prefix("r#").unwrap_or(ident);
    let mut out = String::with_capacity(ident.len());
    let mut upper = true;
    for ch in ident.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// The key two wire names collide on: ASP.NET Core matches method names ignoring case.
pub(crate) fn collision_key(name: &str) -> String {
    name.to_uppercase()
}

/// The text of the `///` comments among `attrs`, as rustdoc shows it (one leading space removed),
/// or `None` without documentation.
pub(crate) fn doc_text(attrs: &[syn::Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(meta) = &attr.meta {
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) = &meta.value
            {
                let text = text.value();
                for line in text.split('\n') {
                    lines.push(line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned());
                }
            }
        }
    }
    let start = lines.iter().position(|line| !line.is_empty())?;
    let end = lines.iter().rposition(|line| !line.is_empty())? + 1;
    Some(lines[start..end].join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal() {
        assert_eq!(pascal_case("send_message"), "SendMessage");
        assert_eq!(pascal_case("echo"), "Echo");
        assert_eq!(pascal_case("r#type"), "Type");
        assert_eq!(pascal_case("get_v2_data"), "GetV2Data");
        assert_eq!(pascal_case("_private"), "Private");
    }
}
