//! The hub protocols this build speaks: their handshake names and versions, and the transfer
//! format each needs.

/// A hub protocol the server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// The JSON hub protocol (`"json"`), text frames, messages ended by `0x1E`.
    Json,
    /// The MessagePack hub protocol (`"messagepack"`), binary frames, length-prefixed messages.
    #[cfg(feature = "messagepack")]
    MessagePack,
}

/// How a transport carries bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransferFormat {
    /// Text only (Server-Sent Events).
    Text,
    /// Any bytes.
    Binary,
}

impl TransferFormat {
    /// The name negotiate and the handshake errors use.
    pub fn name(self) -> &'static str {
        match self {
            TransferFormat::Text => "Text",
            TransferFormat::Binary => "Binary",
        }
    }
}

impl Protocol {
    /// Every protocol this build speaks.
    pub const ALL: &'static [Protocol] = &[
        Protocol::Json,
        #[cfg(feature = "messagepack")]
        Protocol::MessagePack,
    ];

    /// The name the handshake uses for this protocol.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Json => "json",
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => "messagepack",
        }
    }

    /// The highest protocol version the server accepts for this protocol.
    pub fn max_version(self) -> u32 {
        // Clients send 1; 2 is sent when stateful reconnect was negotiated.
        2
    }

    /// The transfer format the protocol needs.
    pub fn transfer_format(self) -> TransferFormat {
        match self {
            Protocol::Json => TransferFormat::Text,
            #[cfg(feature = "messagepack")]
            Protocol::MessagePack => TransferFormat::Binary,
        }
    }

    /// Looks a protocol up by its handshake name (case-sensitive, as in ASP.NET Core).
    pub fn from_name(name: &str) -> Option<Self> {
        Protocol::ALL.iter().copied().find(|p| p.name() == name)
    }
}
