//! What the framings of both protocols share: input split into messages one at a time, and the
//! bytes left after them.

use super::error::ProtocolError;

/// The messages of some input, one by one, without collecting them.
pub(crate) trait SplitMessages<'a>:
    Iterator<Item = Result<&'a [u8], ProtocolError>> + Sized
{
    /// What follows the messages taken so far: an unfinished message, or the one that failed.
    fn rest(&self) -> &'a [u8];

    /// The complete messages, the unfinished rest, and the error that stopped the split.
    #[cfg(test)]
    fn collect_all(mut self) -> (Vec<&'a [u8]>, &'a [u8], Option<ProtocolError>) {
        let mut messages = Vec::new();
        for message in self.by_ref() {
            match message {
                Ok(message) => messages.push(message),
                Err(error) => return (messages, self.rest(), Some(error)),
            }
        }
        (messages, self.rest(), None)
    }
}
