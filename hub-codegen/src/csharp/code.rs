//! Writing C# source: indentation, and XML documentation comments from the manifest's Markdown.

use std::fmt::Write as _;

/// C# source being written, four spaces per level.
#[derive(Debug, Default)]
pub(super) struct Code {
    out: String,
    indent: usize,
}

impl Code {
    /// One line at the current indentation (an empty line has no trailing spaces).
    pub(super) fn line(&mut self, text: impl AsRef<str>) {
        let text = text.as_ref();
        if !text.is_empty() {
            for _ in 0..self.indent {
                self.out.push_str("    ");
            }
            self.out.push_str(text);
        }
        self.out.push('\n');
    }

    /// An empty line.
    pub(super) fn blank(&mut self) {
        self.out.push('\n');
    }

    /// `{` and one level deeper.
    pub(super) fn open(&mut self) {
        self.line("{");
        self.indent += 1;
    }

    /// One level up and `}`.
    pub(super) fn close(&mut self) {
        self.indent -= 1;
        self.line("}");
    }

    /// A documentation comment.
    pub(super) fn doc(&mut self, doc: &Doc) {
        for line in doc.lines() {
            self.line(line);
        }
    }

    pub(super) fn finish(self) -> String {
        debug_assert_eq!(self.indent, 0, "unbalanced braces");
        self.out
    }
}

/// An XML documentation comment: `<summary>` and `<remarks>` paragraphs, already XML.
#[derive(Debug, Default, Clone)]
pub(super) struct Doc {
    summary: Vec<String>,
    remarks: Vec<Vec<String>>,
}

impl Doc {
    /// The manifest's description (Markdown) when there is one, else `fallback` (XML): the first
    /// paragraph is the summary, the others are remarks.
    pub(super) fn new(description: Option<&str>, fallback: &str) -> Self {
        let mut paragraphs = description.map(paragraphs).unwrap_or_default();
        if paragraphs.is_empty() {
            paragraphs.push(vec![fallback.to_owned()]);
        }
        let summary = paragraphs.remove(0);
        Doc {
            summary,
            remarks: paragraphs,
        }
    }

    /// Adds a remark paragraph (XML).
    pub(super) fn remark(mut self, xml: impl Into<String>) -> Self {
        self.remarks.push(vec![xml.into()]);
        self
    }

    /// Adds a remark paragraph of one line of Markdown.
    pub(super) fn remark_markdown(self, markdown: &str) -> Self {
        self.remark(inline(markdown))
    }

    /// The summary as one line of XML.
    pub(super) fn summary_text(&self) -> String {
        self.summary.join(" ")
    }

    fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.summary.len() == 1 && self.remarks.is_empty() {
            lines.push(format!("/// <summary>{}</summary>", self.summary[0]));
            return lines;
        }
        lines.push(String::from("/// <summary>"));
        lines.extend(self.summary.iter().map(|line| format!("/// {line}")));
        lines.push(String::from("/// </summary>"));
        if !self.remarks.is_empty() {
            lines.push(String::from("/// <remarks>"));
            for paragraph in &self.remarks {
                if paragraph.len() == 1 {
                    lines.push(format!("/// <para>{}</para>", paragraph[0]));
                } else {
                    lines.push(String::from("/// <para>"));
                    lines.extend(paragraph.iter().map(|line| format!("/// {line}")));
                    lines.push(String::from("/// </para>"));
                }
            }
            lines.push(String::from("/// </remarks>"));
        }
        lines
    }
}

/// Markdown paragraphs as XML lines: inline code becomes `<c>`, fenced code `<code>`.
fn paragraphs(markdown: &str) -> Vec<Vec<String>> {
    let mut paragraphs: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut fence: Option<Vec<String>> = None;
    for line in markdown.lines() {
        let trimmed = line.trim();
        if let Some(code) = fence.as_mut() {
            if trimmed.starts_with("```") {
                let code = fence.take().expect("in a fence");
                let mut block = vec![String::from("<code>")];
                block.extend(code);
                block.push(String::from("</code>"));
                paragraphs.push(block);
            } else {
                code.push(escape(line));
            }
            continue;
        }
        if trimmed.starts_with("```") {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
            fence = Some(Vec::new());
        } else if trimmed.is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
        } else {
            current.push(inline(trimmed));
        }
    }
    if let Some(code) = fence {
        // An unterminated fence: keep its text.
        current.extend(code);
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs
}

/// One line of Markdown as XML text: escaped, `` `code` `` as `<c>code</c>`, the brackets of
/// rustdoc links around code (`` [`Type`] ``) dropped.
fn inline(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('`') {
        out.push_str(&escape(&rest[..start]));
        let after = &rest[start..];
        let ticks = after.len() - after.trim_start_matches('`').len();
        let body = &after[ticks..];
        let closing = "`".repeat(ticks);
        match body.find(&closing) {
            Some(end) => {
                let _ = write!(out, "<c>{}</c>", escape(body[..end].trim()));
                rest = &body[end + ticks..];
            }
            None => {
                out.push_str(&escape(after));
                rest = "";
            }
        }
    }
    out.push_str(&escape(rest));
    out.replace("[<c>", "<c>").replace("</c>]", "</c>")
}

/// XML text escapes.
pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A C# string literal.
pub(super) fn literal(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            ch if (ch as u32) < 0x20 || ch == '\u{2028}' || ch == '\u{2029}' || ch == '\u{85}' => {
                let _ = write!(out, "\\u{:04x}", ch as u32);
            }
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_xml() {
        assert_eq!(
            inline("Sends `value` to [`Hub::x`] if a < b & c"),
            "Sends <c>value</c> to <c>Hub::x</c> if a &lt; b &amp; c"
        );
        assert_eq!(inline("``a ` b``"), "<c>a ` b</c>");
        assert_eq!(inline("open `tick"), "open `tick");
        let doc = Doc::new(
            Some("First\nline.\n\nSecond.\n```\nlet x = 1 < 2;\n```"),
            "x",
        );
        assert_eq!(
            doc.lines(),
            [
                "/// <summary>",
                "/// First",
                "/// line.",
                "/// </summary>",
                "/// <remarks>",
                "/// <para>Second.</para>",
                "/// <para>",
                "/// <code>",
                "/// let x = 1 &lt; 2;",
                "/// </code>",
                "/// </para>",
                "/// </remarks>",
            ]
        );
        assert_eq!(
            Doc::new(None, "Fallback.").lines(),
            ["/// <summary>Fallback.</summary>"]
        );
    }

    #[test]
    fn literals_escape() {
        assert_eq!(literal("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }
}
