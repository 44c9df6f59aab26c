//! Writing TypeScript text: lines, and JSDoc comments wrapped to a width.

/// Appends `indent` spaces and `text` and a newline.
pub(super) fn line(out: &mut String, indent: usize, text: &str) {
    if !text.is_empty() {
        out.extend(std::iter::repeat_n(' ', indent));
        out.push_str(text);
    }
    out.push('\n');
}

/// The width JSDoc lines are wrapped to, when they can be.
const WIDTH: usize = 100;

/// A JSDoc comment of these paragraphs (none: nothing). Prose lines are wrapped at [`WIDTH`];
/// fenced and indented code, tables and `@` tags are kept as they are.
pub(super) fn jsdoc(out: &mut String, indent: usize, paragraphs: &[String]) {
    let paragraphs: Vec<&String> = paragraphs.iter().filter(|p| !p.trim().is_empty()).collect();
    if paragraphs.is_empty() {
        return;
    }
    let width = WIDTH.saturating_sub(indent + 3).max(40);
    let mut lines: Vec<String> = Vec::new();
    for (index, paragraph) in paragraphs.iter().enumerate() {
        let tag = |text: &str| text.starts_with('@');
        if index > 0 && !(tag(paragraph) && tag(paragraphs[index - 1])) {
            lines.push(String::new());
        }
        let mut fenced = false;
        for text in paragraph.lines() {
            let text = text.trim_end().replace("*/", "*\\/");
            if text.trim_start().starts_with("```") {
                fenced = !fenced;
            }
            let verbatim = fenced || text.starts_with("    ") || text.starts_with('|');
            if verbatim || text.len() <= width {
                lines.push(text);
            } else {
                lines.extend(wrap(&text, width));
            }
        }
    }
    if let [only] = lines.as_slice() {
        if indent + only.len() + 7 <= WIDTH {
            line(out, indent, &format!("/** {only} */"));
            return;
        }
    }
    line(out, indent, "/**");
    for text in &lines {
        line(
            out,
            indent,
            &if text.is_empty() {
                String::from(" *")
            } else {
                format!(" * {text}")
            },
        );
    }
    line(out, indent, " */");
}

/// `text` in lines of at most `width` characters where spaces allow, continuation lines
/// indented like the first (plus two spaces after a list bullet or a tag).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let lead = text.len() - text.trim_start().len();
    let trimmed = text.trim_start();
    let hang = if trimmed.starts_with("- ") || trimmed.starts_with("* ") || trimmed.starts_with('@')
    {
        2
    } else {
        0
    };
    let mut lines = Vec::new();
    let mut current = text[..lead].to_owned();
    let mut empty = true;
    // `{@link Name}` stays on one line.
    let trimmed = trimmed.replace("{@link ", "{@link\u{0}");
    for word in trimmed.split(' ') {
        let word = word.replace('\u{0}', " ");
        if !empty && current.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut current));
            current = " ".repeat(lead + hang);
            empty = true;
        }
        if !empty {
            current.push(' ');
        }
        current.push_str(&word);
        empty = false;
    }
    lines.push(current);
    lines
}
