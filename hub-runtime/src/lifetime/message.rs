//! A hub message encoded once for each protocol its recipients speak.

use crate::connection::Frame;
use crate::protocol::{Protocol, TransferFormat};

/// The frame that carries bytes an encoder of `protocol` wrote: text for JSON, binary for
/// MessagePack.
pub(crate) fn frame(protocol: Protocol, bytes: Vec<u8>) -> Frame {
    match protocol.transfer_format() {
        TransferFormat::Text => {
            Frame::text(String::from_utf8(bytes).expect("the JSON encoder writes UTF-8"))
        }
        TransferFormat::Binary => Frame::binary(bytes),
    }
}

fn slot(protocol: Protocol) -> usize {
    match protocol {
        Protocol::Json => 0,
        #[cfg(feature = "messagepack")]
        Protocol::MessagePack => 1,
    }
}

/// A hub message encoded once per protocol (ASP.NET's `SerializedHubMessage`): a broadcast
/// encodes each protocol's frame once and every recipient of that protocol shares its bytes.
#[derive(Clone, Debug, Default)]
pub struct SerializedMessage {
    frames: [Option<Frame>; 2],
}

impl SerializedMessage {
    /// Sets the frame of `protocol`.
    pub fn set(&mut self, protocol: Protocol, frame: Frame) {
        self.frames[slot(protocol)] = Some(frame);
    }

    /// The frame of `protocol`, if it was encoded.
    pub fn get(&self, protocol: Protocol) -> Option<&Frame> {
        self.frames[slot(protocol)].as_ref()
    }

    /// Whether no protocol's frame is set.
    pub fn is_empty(&self) -> bool {
        self.frames.iter().all(Option::is_none)
    }
}

/// A set of hub protocols: those a message must be encoded in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProtocolSet(u8);

impl ProtocolSet {
    /// No protocol.
    pub const EMPTY: ProtocolSet = ProtocolSet(0);

    /// Every protocol of this build.
    pub fn all() -> Self {
        Protocol::ALL.iter().copied().collect()
    }

    /// Only `protocol`.
    pub fn only(protocol: Protocol) -> Self {
        ProtocolSet(1 << slot(protocol))
    }

    /// Adds `protocol`.
    pub fn insert(&mut self, protocol: Protocol) {
        self.0 |= 1 << slot(protocol);
    }

    /// Whether `protocol` is in the set.
    pub fn contains(self, protocol: Protocol) -> bool {
        self.0 & (1 << slot(protocol)) != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The protocols in the set.
    pub fn iter(self) -> impl Iterator<Item = Protocol> {
        Protocol::ALL
            .iter()
            .copied()
            .filter(move |&protocol| self.contains(protocol))
    }
}

impl FromIterator<Protocol> for ProtocolSet {
    fn from_iter<I: IntoIterator<Item = Protocol>>(protocols: I) -> Self {
        let mut set = ProtocolSet::EMPTY;
        for protocol in protocols {
            set.insert(protocol);
        }
        set
    }
}
