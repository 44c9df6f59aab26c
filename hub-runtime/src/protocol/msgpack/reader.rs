//! A cursor over one MessagePack message, and the errors it reports.

use std::borrow::Cow;

use crate::protocol::error::ProtocolError;

/// Nesting deeper than this is refused (a stack-safe bound for hostile input).
const MAX_DEPTH: usize = 64;

/// The error for bytes that are not a valid MessagePack hub message.
pub(super) fn invalid(detail: impl Into<String>) -> ProtocolError {
    ProtocolError::InvalidMessagePack(detail.into())
}

/// A cursor over one message.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn byte(&mut self) -> Result<u8, ProtocolError> {
        let byte = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| invalid("Unexpected end of message."))?;
        self.pos += 1;
        Ok(byte)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| invalid("Unexpected end of message."))?;
        let slice = &self.buf[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn uint(&mut self, n: usize) -> Result<u64, ProtocolError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    pub(super) fn array_len(&mut self) -> Result<usize, ProtocolError> {
        match self.byte()? {
            b @ 0x90..=0x9f => Ok((b & 0x0f) as usize),
            0xdc => Ok(self.uint(2)? as usize),
            0xdd => Ok(self.uint(4)? as usize),
            _ => Err(invalid("Expected an array.")),
        }
    }

    fn map_len(&mut self) -> Result<usize, ProtocolError> {
        match self.byte()? {
            b @ 0x80..=0x8f => Ok((b & 0x0f) as usize),
            0xde => Ok(self.uint(2)? as usize),
            0xdf => Ok(self.uint(4)? as usize),
            _ => Err(invalid("Expected a map.")),
        }
    }

    pub(super) fn int(&mut self) -> Result<i64, ProtocolError> {
        let value = match self.byte()? {
            b @ 0x00..=0x7f => i64::from(b),
            b @ 0xe0..=0xff => i64::from(b as i8),
            0xcc => self.uint(1)? as i64,
            0xcd => self.uint(2)? as i64,
            0xce => self.uint(4)? as i64,
            0xcf => i64::try_from(self.uint(8)?).map_err(|_| invalid("Integer out of range."))?,
            0xd0 => i64::from(self.uint(1)? as u8 as i8),
            0xd1 => i64::from(self.uint(2)? as u16 as i16),
            0xd2 => i64::from(self.uint(4)? as u32 as i32),
            0xd3 => self.uint(8)? as i64,
            _ => return Err(invalid("Expected an integer.")),
        };
        Ok(value)
    }

    pub(super) fn str(&mut self) -> Result<&'a str, ProtocolError> {
        let len = match self.byte()? {
            b @ 0xa0..=0xbf => (b & 0x1f) as usize,
            0xd9 => self.uint(1)? as usize,
            0xda => self.uint(2)? as usize,
            0xdb => self.uint(4)? as usize,
            _ => return Err(invalid("Expected a string.")),
        };
        std::str::from_utf8(self.take(len)?).map_err(|_| invalid("Invalid UTF-8 in a string."))
    }

    pub(super) fn nil_or_str(&mut self) -> Result<Option<&'a str>, ProtocolError> {
        if self.peek() == Some(0xc0) {
            self.pos += 1;
            return Ok(None);
        }
        self.str().map(Some)
    }

    pub(super) fn bool(&mut self) -> Result<bool, ProtocolError> {
        match self.byte()? {
            0xc2 => Ok(false),
            0xc3 => Ok(true),
            _ => Err(invalid("Expected a boolean.")),
        }
    }

    /// Headers: a map of strings, which the server does not use.
    pub(super) fn headers(&mut self) -> Result<(), ProtocolError> {
        let len = self.map_len()?;
        for _ in 0..len {
            self.str()?;
            self.str()?;
        }
        Ok(())
    }

    /// The bytes of the next value, whatever it is.
    pub(super) fn value(&mut self) -> Result<&'a [u8], ProtocolError> {
        let start = self.pos;
        self.skip(0)?;
        Ok(&self.buf[start..self.pos])
    }

    fn skip(&mut self, depth: usize) -> Result<(), ProtocolError> {
        if depth > MAX_DEPTH {
            return Err(invalid("Values are nested too deeply."));
        }
        let (items, bytes) = match self.byte()? {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, 0),
            b @ 0x80..=0x8f => (2 * (b & 0x0f) as usize, 0),
            b @ 0x90..=0x9f => ((b & 0x0f) as usize, 0),
            b @ 0xa0..=0xbf => (0, (b & 0x1f) as usize),
            0xc4 | 0xd9 => (0, self.uint(1)? as usize),
            0xc5 | 0xda => (0, self.uint(2)? as usize),
            0xc6 | 0xdb => (0, self.uint(4)? as usize),
            0xc7 => (0, self.uint(1)? as usize + 1),
            0xc8 => (0, self.uint(2)? as usize + 1),
            0xc9 => (0, self.uint(4)? as usize + 1),
            0xca => (0, 4),
            0xcb => (0, 8),
            0xcc | 0xd0 => (0, 1),
            0xcd | 0xd1 => (0, 2),
            0xce | 0xd2 => (0, 4),
            0xcf | 0xd3 => (0, 8),
            0xd4 => (0, 2),
            0xd5 => (0, 3),
            0xd6 => (0, 5),
            0xd7 => (0, 9),
            0xd8 => (0, 17),
            0xdc => (self.uint(2)? as usize, 0),
            0xdd => (self.uint(4)? as usize, 0),
            0xde => (2 * self.uint(2)? as usize, 0),
            0xdf => (2 * self.uint(4)? as usize, 0),
            0xc1 => return Err(invalid("Invalid MessagePack marker 0xc1.")),
        };
        self.take(bytes)?;
        // Every value takes at least one byte: a count beyond what is left is a lie.
        if items > self.buf.len() - self.pos {
            return Err(invalid("Unexpected end of message."));
        }
        for _ in 0..items {
            self.skip(depth + 1)?;
        }
        Ok(())
    }

    pub(super) fn id(&mut self) -> Result<Cow<'a, str>, ProtocolError> {
        self.str().map(Cow::Borrowed)
    }
}
