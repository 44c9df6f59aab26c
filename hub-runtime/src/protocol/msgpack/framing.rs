//! MessagePack framing: every message is prefixed by its length as a little-endian base-128
//! varint of at most five bytes.

use super::reader::invalid;
use crate::protocol::error::ProtocolError;
use crate::protocol::framing::SplitMessages;

/// The messages of `input` one by one, split at their length prefixes: each complete message
/// (without prefix), then the bytes of an unfinished message at the end as the rest.
#[derive(Debug)]
pub(crate) struct MessagePackMessages<'a> {
    rest: &'a [u8],
    max: Option<usize>,
    done: bool,
}

impl<'a> MessagePackMessages<'a> {
    pub(crate) fn new(input: &'a [u8], max: Option<usize>) -> Self {
        MessagePackMessages {
            rest: input,
            max,
            done: false,
        }
    }
}

impl<'a> SplitMessages<'a> for MessagePackMessages<'a> {
    fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a> Iterator for MessagePackMessages<'a> {
    type Item = Result<&'a [u8], ProtocolError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let (length, header) = match read_varint(self.rest) {
            Ok(Some(found)) => found,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(err) => {
                self.done = true;
                return Some(Err(err));
            }
        };
        if let Some(max) = self.max.filter(|&max| length > max) {
            self.done = true;
            return Some(Err(ProtocolError::MessageTooLarge { max }));
        }
        let Some(end) = header
            .checked_add(length)
            .filter(|&end| end <= self.rest.len())
        else {
            self.done = true;
            return None;
        };
        let message = &self.rest[header..end];
        self.rest = &self.rest[end..];
        Some(Ok(message))
    }
}

/// The length prefix: `Ok(None)` while incomplete, else the length and the prefix's size.
fn read_varint(input: &[u8]) -> Result<Option<(usize, usize)>, ProtocolError> {
    let mut length: usize = 0;
    for (i, &byte) in input.iter().enumerate().take(5) {
        length |= ((byte & 0x7f) as usize) << (7 * i);
        if byte & 0x80 == 0 {
            if i == 4 && byte > 0x07 {
                return Err(invalid("Messages over 2GB in size are not supported."));
            }
            return Ok(Some((length, i + 1)));
        }
    }
    if input.len() >= 5 {
        return Err(invalid("Messages over 2GB in size are not supported."));
    }
    Ok(None)
}

/// Writes `body` with its varint length prefix, into a `Vec` of exactly that size (frames become
/// `Bytes`, which need an extra allocation for a `Vec` with spare capacity).
pub(super) fn framed(body: Vec<u8>) -> Vec<u8> {
    let prefix = (usize::BITS - body.len().leading_zeros())
        .div_ceil(7)
        .max(1) as usize;
    let mut out = Vec::with_capacity(prefix + body.len());
    let mut length = body.len();
    loop {
        let byte = (length & 0x7f) as u8;
        length >>= 7;
        if length == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(&body);
    out
}
