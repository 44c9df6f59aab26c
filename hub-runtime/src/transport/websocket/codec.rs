//! RFC 6455 framing, server side: frame headers read from what a client sent, with every check
//! the RFC asks of a server, and written for what the server sends.
//!
//! No I/O here: [`WebSocketIo`](super::WebSocketIo) reads and writes, this reads and writes
//! bytes.

/// Status codes of Close frames (RFC 6455 section 7.4.1).
pub(crate) mod status {
    /// The purpose of the connection was fulfilled.
    pub(crate) const NORMAL: u16 = 1000;
    /// The peer broke the protocol.
    pub(crate) const PROTOCOL_ERROR: u16 = 1002;
    /// A text message that is not UTF-8, or a Close reason that is not.
    pub(crate) const INVALID_DATA: u16 = 1007;
}

/// Opcodes (RFC 6455 section 5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpCode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

impl OpCode {
    fn from_bits(bits: u8) -> Option<OpCode> {
        Some(match bits {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xA => OpCode::Pong,
            _ => return None,
        })
    }

    fn bits(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
        }
    }

    /// Close, Ping and Pong.
    pub(crate) fn is_control(self) -> bool {
        matches!(self, OpCode::Close | OpCode::Ping | OpCode::Pong)
    }
}

/// A client frame's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// The last frame of its message.
    pub(crate) fin: bool,
    pub(crate) opcode: OpCode,
    /// The masking key (every client frame has one).
    pub(crate) mask: [u8; 4],
    /// The header's own length.
    pub(crate) header_len: usize,
    /// The payload's length.
    pub(crate) payload_len: u64,
}

impl Header {
    /// The whole frame's length, header and payload (`None` beyond the address space).
    pub(crate) fn frame_len(&self) -> Option<usize> {
        usize::try_from(self.payload_len)
            .ok()?
            .checked_add(self.header_len)
    }
}

/// What the start of the input holds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// A frame header.
    Header(Header),
    /// Not a whole header yet: at least this many more bytes are needed.
    Incomplete(usize),
    /// A header no client may send: the connection fails with this status code.
    Invalid(u16),
}

/// Reads the frame header at the start of `input`, checking what RFC 6455 asks a server to
/// check: no reserved bits (no extension is negotiated), a known opcode, control frames whole
/// and at most 125 bytes, a mask on every frame, a length below 2^63.
pub(crate) fn parse_header(input: &[u8]) -> Parsed {
    let [first, second, ..] = *input else {
        return Parsed::Incomplete(2 - input.len());
    };
    if first & 0x70 != 0 {
        return Parsed::Invalid(status::PROTOCOL_ERROR);
    }
    let Some(opcode) = OpCode::from_bits(first & 0x0F) else {
        return Parsed::Invalid(status::PROTOCOL_ERROR);
    };
    let fin = first & 0x80 != 0;
    if second & 0x80 == 0 {
        // "The server MUST close the connection upon receiving a frame that is not masked."
        return Parsed::Invalid(status::PROTOCOL_ERROR);
    }
    let (length_len, short) = match second & 0x7F {
        126 => (2, None),
        127 => (8, None),
        short => (0, Some(u64::from(short))),
    };
    let header_len = 2 + length_len + 4;
    if input.len() < header_len {
        return Parsed::Incomplete(header_len - input.len());
    }
    let payload_len = match short {
        Some(short) => short,
        None => {
            let mut bytes = [0; 8];
            bytes[8 - length_len..].copy_from_slice(&input[2..2 + length_len]);
            u64::from_be_bytes(bytes)
        }
    };
    if payload_len >> 63 != 0 {
        return Parsed::Invalid(status::PROTOCOL_ERROR);
    }
    if opcode.is_control() && (!fin || payload_len > 125) {
        return Parsed::Invalid(status::PROTOCOL_ERROR);
    }
    let mut mask = [0; 4];
    mask.copy_from_slice(&input[header_len - 4..header_len]);
    Parsed::Header(Header {
        fin,
        opcode,
        mask,
        header_len,
        payload_len,
    })
}

/// Removes (or applies) a masking key, eight bytes at a time. `data` starts at the first byte
/// of a frame's payload.
pub(crate) fn unmask(data: &mut [u8], mask: [u8; 4]) {
    let wide = u64::from_ne_bytes([
        mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3],
    ]);
    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let word = u64::from_ne_bytes(<[u8; 8]>::try_from(&*chunk).expect("eight bytes")) ^ wide;
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    for (byte, key) in chunks.into_remainder().iter_mut().zip(mask.iter().cycle()) {
        *byte ^= key;
    }
}

/// The header of a server frame (never masked), and how many of its bytes are used.
pub(crate) fn server_header(opcode: OpCode, payload_len: usize) -> ([u8; 10], u8) {
    let mut header = [0; 10];
    header[0] = 0x80 | opcode.bits();
    let used = if payload_len < 126 {
        header[1] = payload_len as u8;
        2
    } else if let Ok(len) = u16::try_from(payload_len) {
        header[1] = 126;
        header[2..4].copy_from_slice(&len.to_be_bytes());
        4
    } else {
        header[1] = 127;
        header[2..10].copy_from_slice(&(payload_len as u64).to_be_bytes());
        10
    };
    (header, used)
}

/// What a client's Close frame says: its status code if it has one (`Ok(None)` for an empty
/// payload), or the status code the connection fails with when the payload is not a valid
/// Close (a lone byte, a code no endpoint may send, a reason that is not UTF-8).
pub(crate) fn close_status(payload: &[u8]) -> Result<Option<u16>, u16> {
    match payload {
        [] => Ok(None),
        [_] => Err(status::PROTOCOL_ERROR),
        [high, low, reason @ ..] => {
            let code = u16::from_be_bytes([*high, *low]);
            // Codes an endpoint may send (section 7.4; 1012-1014 are registered since).
            let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            if !valid {
                return Err(status::PROTOCOL_ERROR);
            }
            if std::str::from_utf8(reason).is_err() {
                return Err(status::INVALID_DATA);
            }
            Ok(Some(code))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client frame: header, masking key and masked payload.
    fn client_frame(first: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut frame = vec![first];
        match payload.len() {
            len @ 0..126 => frame.push(0x80 | len as u8),
            len @ 126..=0xFFFF => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        let mut masked = payload.to_vec();
        unmask(&mut masked, mask);
        frame.extend_from_slice(&masked);
        frame
    }

    #[test]
    fn the_rfc_examples_are_read() {
        // RFC 6455 section 5.7: a masked text frame "Hello".
        let frame = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let Parsed::Header(header) = parse_header(&frame) else {
            panic!("a header");
        };
        assert_eq!(
            header,
            Header {
                fin: true,
                opcode: OpCode::Text,
                mask: [0x37, 0xfa, 0x21, 0x3d],
                header_len: 6,
                payload_len: 5,
            }
        );
        let mut payload = frame[6..].to_vec();
        unmask(&mut payload, header.mask);
        assert_eq!(payload, b"Hello");
        // A fragmented unmasked text frame is refused: clients always mask.
        assert_eq!(
            parse_header(&[0x01, 0x03, 0x48, 0x65, 0x6c]),
            Parsed::Invalid(status::PROTOCOL_ERROR)
        );
    }

    #[test]
    fn lengths_of_every_size_are_read() {
        for len in [0, 1, 125, 126, 127, 65_535, 65_536, 100_000] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let frame = client_frame(0x82, &payload, [1, 2, 3, 4]);
            let Parsed::Header(header) = parse_header(&frame) else {
                panic!("a header for {len}");
            };
            assert_eq!(header.payload_len, len as u64);
            assert_eq!(header.frame_len(), Some(frame.len()));
            let mut read = frame[header.header_len..].to_vec();
            unmask(&mut read, header.mask);
            assert_eq!(read, payload);
            // Any shorter prefix of the header asks for more.
            for cut in 0..header.header_len {
                assert!(
                    matches!(parse_header(&frame[..cut]), Parsed::Incomplete(n) if n > 0),
                    "{len} cut at {cut}"
                );
            }
        }
    }

    #[test]
    fn what_a_client_may_not_send_fails_the_connection() {
        let invalid = |frame: &[u8]| parse_header(frame) == Parsed::Invalid(status::PROTOCOL_ERROR);
        // Reserved bits, unknown opcodes.
        for first in [0xC1, 0xA1, 0x91, 0x83, 0x87, 0x8B, 0x8F] {
            assert!(invalid(&client_frame(first, b"x", [9; 4])), "{first:#x}");
        }
        // A fragmented control frame, a control frame over 125 bytes.
        assert!(invalid(&client_frame(0x09, b"", [9; 4])));
        assert!(invalid(&client_frame(0x89, &[0; 126], [9; 4])));
        assert!(!invalid(&client_frame(0x89, &[0; 125], [9; 4])));
        // A length with the top bit set.
        let mut huge = vec![0x82, 0xFF];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        huge.extend_from_slice(&[0; 4]);
        assert!(invalid(&huge));
    }

    #[test]
    fn unmasking_at_any_length_matches_the_bytewise_definition() {
        let mask = [0xA5, 0x01, 0x7E, 0xFF];
        for len in 0..40 {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut fast = data.clone();
            unmask(&mut fast, mask);
            let slow: Vec<u8> = data
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ mask[i % 4])
                .collect();
            assert_eq!(fast, slow, "{len}");
        }
    }

    #[test]
    fn server_headers_use_the_shortest_length() {
        assert_eq!(
            server_header(OpCode::Text, 5),
            ([0x81, 5, 0, 0, 0, 0, 0, 0, 0, 0], 2)
        );
        let (header, used) = server_header(OpCode::Binary, 300);
        assert_eq!(&header[..used as usize], &[0x82, 126, 1, 44]);
        let (header, used) = server_header(OpCode::Close, 70_000);
        assert_eq!(
            &header[..used as usize],
            &[0x88, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]
        );
    }

    #[test]
    fn close_payloads_are_checked() {
        assert_eq!(close_status(b""), Ok(None));
        assert_eq!(close_status(&[3]), Err(status::PROTOCOL_ERROR));
        assert_eq!(close_status(&[0x03, 0xE8]), Ok(Some(1000)));
        assert_eq!(close_status(b"\x0f\xa0bye"), Ok(Some(4000)));
        for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
            assert_eq!(
                close_status(&code.to_be_bytes()),
                Err(status::PROTOCOL_ERROR),
                "{code}"
            );
        }
        assert_eq!(close_status(b"\x03\xe8\xff"), Err(status::INVALID_DATA));
    }
}
