//! One message on a connection: text or binary.

use bytes::Bytes;
use tungstenite::Utf8Bytes;

/// One message written to or read from a connection: a text frame or a binary frame on
/// WebSockets, one event on Server-Sent Events, part of a poll's body on long polling.
///
/// Cloning a frame clones a reference count, so one frame can be sent to many connections.
#[derive(Clone, Debug)]
pub struct Frame(Inner);

#[derive(Clone, Debug)]
enum Inner {
    Text(Utf8Bytes),
    Binary(Bytes),
}

impl Frame {
    /// A text frame.
    pub fn text(text: impl Into<String>) -> Self {
        Frame(Inner::Text(text.into().into()))
    }

    /// A text frame from text that is already shared.
    pub(crate) fn from_utf8_bytes(text: Utf8Bytes) -> Self {
        Frame(Inner::Text(text))
    }

    /// A binary frame.
    pub fn binary(bytes: impl Into<Bytes>) -> Self {
        Frame(Inner::Binary(bytes.into()))
    }

    /// Whether it is a text frame.
    pub fn is_text(&self) -> bool {
        matches!(self.0, Inner::Text(_))
    }

    /// The text of a text frame.
    pub fn as_text(&self) -> Option<&str> {
        match &self.0 {
            Inner::Text(text) => Some(text.as_str()),
            Inner::Binary(_) => None,
        }
    }

    /// The frame's bytes (the UTF-8 of a text frame).
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Inner::Text(text) => text.as_bytes(),
            Inner::Binary(bytes) => bytes,
        }
    }

    /// The frame's bytes, shared.
    pub fn into_bytes(self) -> Bytes {
        match self.0 {
            Inner::Text(text) => Bytes::from(text),
            Inner::Binary(bytes) => bytes,
        }
    }
}

impl PartialEq for Frame {
    fn eq(&self, other: &Frame) -> bool {
        self.is_text() == other.is_text() && self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Frame {}

impl From<String> for Frame {
    fn from(text: String) -> Self {
        Frame::text(text)
    }
}

impl From<&str> for Frame {
    fn from(text: &str) -> Self {
        Frame::text(text)
    }
}

impl From<Bytes> for Frame {
    fn from(bytes: Bytes) -> Self {
        Frame::binary(bytes)
    }
}

impl From<Vec<u8>> for Frame {
    fn from(bytes: Vec<u8>) -> Self {
        Frame::binary(bytes)
    }
}
