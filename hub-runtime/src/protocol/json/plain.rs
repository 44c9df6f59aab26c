//! The common Invocation read by hand: faster than serde's derive, and exactly as strict.

use std::borrow::Cow;

use super::arguments::InlineArguments;
use super::string::string_end;
use crate::protocol::error::ProtocolError;
use crate::protocol::message::{ArgumentValue, ArgumentValues, Arguments, HubMessage, Invocation};

/// The common shape of an Invocation, read without serde's derive: the properties `type` (1 or
/// 4), `target`, `arguments` and optionally `invocationId`, once each and in any order, with
/// strings and names free of escapes. The arguments array itself is read by serde_json.
///
/// `None` for anything else (other properties or types, escapes, `null`s, malformed input): the
/// general parser then decides, so both accept and refuse exactly the same messages.
pub(crate) fn parse_plain_invocation(text: &str) -> Option<Result<HubMessage<'_>, ProtocolError>> {
    let bytes = text.as_bytes();
    let mut at = skip_whitespace(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    let (mut kind, mut invocation_id, mut target, mut arguments) = (None, None, None, None);
    loop {
        let (name, next) = plain_string(text, skip_whitespace(bytes, at + 1))?;
        at = skip_whitespace(bytes, next);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = skip_whitespace(bytes, at + 1);
        match name {
            "type" if kind.is_none() => {
                let (value, next) = small_integer(bytes, at)?;
                kind = Some(value);
                at = next;
            }
            "invocationId" if invocation_id.is_none() => {
                let (value, next) = plain_string(text, at)?;
                invocation_id = Some(value);
                at = next;
            }
            "target" if target.is_none() => {
                let (value, next) = plain_string(text, at)?;
                target = Some(value);
                at = next;
            }
            "arguments" if arguments.is_none() && bytes.get(at) == Some(&b'[') => {
                let (parsed, next) = match plain_arguments(text, at) {
                    Some(found) => found,
                    None => {
                        let mut values = serde_json::Deserializer::from_str(&text[at..])
                            .into_iter::<InlineArguments<'_>>();
                        let InlineArguments(parsed) = values.next()?.ok()?;
                        (parsed, at + values.byte_offset())
                    }
                };
                at = next;
                arguments = Some(parsed);
            }
            _ => return None,
        }
        at = skip_whitespace(bytes, at);
        match bytes.get(at) {
            Some(b',') => {}
            Some(b'}') => break,
            _ => return None,
        }
    }
    if skip_whitespace(bytes, at + 1) != bytes.len() {
        return None;
    }
    let streaming = match kind? {
        1 => false,
        4 => true,
        _ => return None,
    };
    let invocation = Invocation {
        invocation_id: invocation_id.map(Cow::Borrowed),
        target: Cow::Borrowed(target?),
        arguments: Arguments::new(arguments?),
        stream_ids: Vec::new(),
    };
    Some(invocation.into_message(streaming))
}

/// An arguments array at `at` (its `[`) of plain scalars only (strings without escapes,
/// integers, `true`, `false`, `null`): the text of each, and where the array ends. `None` for
/// anything else, which serde_json then reads.
fn plain_arguments(text: &str, at: usize) -> Option<(ArgumentValues<'_>, usize)> {
    let bytes = text.as_bytes();
    let mut values = ArgumentValues::new();
    let mut at = skip_whitespace(bytes, at + 1);
    if bytes.get(at) == Some(&b']') {
        return Some((values, at + 1));
    }
    loop {
        let end = match *bytes.get(at)? {
            b'"' => plain_string(text, at)?.1,
            b'-' | b'0'..=b'9' => plain_integer(bytes, at)?,
            b't' => literal(bytes, at, b"true")?,
            b'f' => literal(bytes, at, b"false")?,
            b'n' => literal(bytes, at, b"null")?,
            _ => return None,
        };
        // Every end found above is an ASCII byte, hence a character boundary.
        values.push(ArgumentValue::Json(&text[at..end]));
        at = skip_whitespace(bytes, end);
        match bytes.get(at)? {
            b',' => at = skip_whitespace(bytes, at + 1),
            b']' => return Some((values, at + 1)),
            _ => return None,
        }
    }
}

/// A JSON integer at `at` (`-?(0|[1-9][0-9]*)`, no fraction or exponent): where it ends.
fn plain_integer(bytes: &[u8], at: usize) -> Option<usize> {
    let start = at + usize::from(bytes[at] == b'-');
    let digits = bytes
        .get(start..)?
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || (digits > 1 && bytes[start] == b'0') {
        return None;
    }
    let end = start + digits;
    match bytes.get(end) {
        Some(b'.' | b'e' | b'E') => None,
        _ => Some(end),
    }
}

/// `word` at `at`: where it ends.
fn literal(bytes: &[u8], at: usize, word: &[u8]) -> Option<usize> {
    bytes[at..].starts_with(word).then_some(at + word.len())
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
        at += 1;
    }
    at
}

/// A JSON string at `at` without escapes or control characters: its text and where it ends.
fn plain_string(text: &str, at: usize) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let start = at + 1;
    let end = start + string_end(&bytes[start..])?;
    // Both ends are ASCII, so `text[start..end]` is on character boundaries.
    (bytes[end] == b'"').then(|| (&text[start..end], end + 1))
}

/// A non-negative JSON integer of at most three digits at `at`, not followed by a fraction or
/// an exponent.
fn small_integer(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let digits = bytes[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > 3 || (digits > 1 && bytes[at] == b'0') {
        return None;
    }
    if let Some(b'.' | b'e' | b'E') = bytes.get(at + digits) {
        return None;
    }
    let value = bytes[at..at + digits]
        .iter()
        .fold(0, |value, &b| value * 10 + u64::from(b - b'0'));
    Some((value, at + digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_of_plain_scalars_only_are_read_by_hand() {
        // Arrays of plain scalars are read without serde; anything else is left to it.
        let (values, end) = plain_arguments(r#"[1,"a", true ,null] "#, 0).unwrap();
        assert_eq!(
            format!("{values:?}"),
            r#"[Json("1"), Json("\"a\""), Json("true"), Json("null")]"#
        );
        assert_eq!(end, 19);
        assert!(plain_arguments(r#"[1,{"a":1}]"#, 0).is_none());
        assert!(plain_arguments(r#"["a\"b"]"#, 0).is_none());
        assert!(plain_arguments("[1.5]", 0).is_none());
    }
}
