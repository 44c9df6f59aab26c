//! JSON framing: every message, and the handshake, ends with the record separator.

use crate::protocol::error::ProtocolError;
use crate::protocol::framing::SplitMessages;

/// The record separator that ends every JSON hub message and handshake message.
pub(crate) const RECORD_SEPARATOR: u8 = 0x1e;

/// The messages of `input` one by one, split at record separators: each complete message
/// (without separator), then the bytes of an unfinished message at the end as the rest.
///
/// A message that does not fit in `max_message_size` bytes with its separator is an error, as
/// in ASP.NET Core; so is an unfinished tail longer than that, so an unterminated flood is
/// refused before it is buffered.
#[derive(Debug)]
pub(crate) struct JsonMessages<'a> {
    rest: &'a [u8],
    max: Option<usize>,
    done: bool,
}

impl<'a> JsonMessages<'a> {
    pub(crate) fn new(input: &'a [u8], max: Option<usize>) -> Self {
        JsonMessages {
            rest: input,
            max,
            done: false,
        }
    }
}

impl<'a> SplitMessages<'a> for JsonMessages<'a> {
    fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for JsonMessages<'a> {
    type Item = Result<&'a [u8], ProtocolError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let Some(end) = memchr::memchr(RECORD_SEPARATOR, self.rest) else {
            self.done = true;
            let max = self.max.filter(|&max| self.rest.len() > max)?;
            return Some(Err(ProtocolError::MessageTooLarge { max }));
        };
        if let Some(max) = self.max.filter(|&max| end >= max) {
            self.done = true;
            return Some(Err(ProtocolError::MessageTooLarge { max }));
        }
        let message = &self.rest[..end];
        self.rest = &self.rest[end + 1..];
        Some(Ok(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_json_messages(
        input: &[u8],
        max_message_size: Option<usize>,
    ) -> (Vec<&[u8]>, &[u8], Option<ProtocolError>) {
        JsonMessages::new(input, max_message_size).collect_all()
    }

    #[test]
    fn split_keeps_partial_tail_and_limits_size() {
        let (msgs, rest, err) = split_json_messages(b"{\"type\":6}\x1e{\"type\":6}\x1e{\"ty", None);
        assert_eq!(msgs.len(), 2);
        assert_eq!(rest, b"{\"ty");
        assert!(err.is_none());

        let (msgs, _, err) = split_json_messages(b"1234\x1e12345\x1e", Some(5));
        assert_eq!(msgs, [b"1234"]);
        assert_eq!(err, Some(ProtocolError::MessageTooLarge { max: 5 }));

        let (_, _, err) = split_json_messages(b"123456", Some(5));
        assert!(err.is_some());
    }
}
