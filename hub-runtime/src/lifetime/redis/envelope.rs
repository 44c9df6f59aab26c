//! The payloads on the backplane's channels, byte for byte as ASP.NET Core's Redis backplane
//! (`Microsoft.AspNetCore.SignalR.StackExchangeRedis`, `RedisProtocol`) writes and reads them,
//! so that this server and ASP.NET servers can share one backplane:
//!
//! - **Invocation** (`:all`, `:connection:{id}`, `:group:{name}`, `:user:{id}`): an array of the
//!   excluded connection ids, a map from protocol name to the framed bytes that protocol's
//!   clients receive, and, for a client result, the invocation id and the channel the answer
//!   goes to.
//! - **Group command** (`:internal:groups`): id, server name, action (1 add, 2 remove), group,
//!   connection id. **Ack** (`:internal:ack:{server}`): the command's id.
//! - **Completion** (`:internal:return:{server}`): the protocol name and the framed Completion a
//!   client sent.
//!
//! ASP.NET reads the items it knows and ignores the rest. This server adds a third item to an
//! invocation without client result (an array of its own, [`Origin`]): the sending server's
//! name, so that a server skips what it published itself (it delivered to its own connections
//! already), and for a send to several groups, a sequence number and the groups, so that a
//! connection in two of them gets the message once. ASP.NET servers read only the first two.
//!
//! Reading never panics: anything malformed is an [`EnvelopeError`].

use std::fmt;

use rmp::decode::{self, RmpRead};
use rmp::encode;

const WRITE: &str = "writing to a Vec cannot fail";

/// A payload that does not read as the format says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvelopeError(String);

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn malformed(what: impl fmt::Display) -> EnvelopeError {
    EnvelopeError(what.to_string())
}

/// Reads MessagePack items from a payload.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader { rest: data }
    }

    /// An array header with at least `min` items; its length.
    fn array(&mut self, min: u32, what: &str) -> Result<u32, EnvelopeError> {
        let len = decode::read_array_len(&mut self.rest).map_err(malformed)?;
        if len < min {
            return Err(malformed(format!("Insufficient items in {what} array.")));
        }
        Ok(len)
    }

    fn map(&mut self) -> Result<u32, EnvelopeError> {
        decode::read_map_len(&mut self.rest).map_err(malformed)
    }

    fn int(&mut self) -> Result<u64, EnvelopeError> {
        decode::read_int(&mut self.rest).map_err(malformed)
    }

    fn take(&mut self, len: u32) -> Result<&'a [u8], EnvelopeError> {
        let len = len as usize;
        if self.rest.len() < len {
            return Err(malformed("a string or bin runs past the payload"));
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(taken)
    }

    fn str(&mut self) -> Result<&'a str, EnvelopeError> {
        let len = decode::read_str_len(&mut self.rest).map_err(malformed)?;
        std::str::from_utf8(self.take(len)?).map_err(malformed)
    }

    /// A string, or nil (which ASP.NET writes for a missing one).
    fn optional_str(&mut self) -> Result<Option<&'a str>, EnvelopeError> {
        if self.rest.first() == Some(&0xc0) {
            self.rest = &self.rest[1..];
            return Ok(None);
        }
        self.str().map(Some)
    }

    fn bin(&mut self) -> Result<&'a [u8], EnvelopeError> {
        let len = decode::read_bin_len(&mut self.rest).map_err(malformed)?;
        self.take(len)
    }

    fn strs(&mut self) -> Result<Vec<&'a str>, EnvelopeError> {
        let len = decode::read_array_len(&mut self.rest).map_err(malformed)?;
        // Each item takes a byte at least: a length beyond the payload is a lie.
        if len as usize > self.rest.len() {
            return Err(malformed("an array is longer than the payload"));
        }
        (0..len).map(|_| self.str()).collect()
    }

    /// Skips one item of any kind.
    fn skip(&mut self) -> Result<(), EnvelopeError> {
        let marker = decode::read_marker(&mut self.rest).map_err(|_| malformed("truncated"))?;
        use rmp::Marker as M;
        let skip = match marker {
            M::FixPos(_) | M::FixNeg(_) | M::Null | M::True | M::False | M::Reserved => 0,
            M::U8 | M::I8 => 1,
            M::U16 | M::I16 => 2,
            M::U32 | M::I32 | M::F32 => 4,
            M::U64 | M::I64 | M::F64 => 8,
            M::FixStr(len) => u32::from(len),
            M::Str8 | M::Bin8 => u32::from(self.rest.read_data_u8().map_err(malformed)?),
            M::Str16 | M::Bin16 => u32::from(self.rest.read_data_u16().map_err(malformed)?),
            M::Str32 | M::Bin32 => self.rest.read_data_u32().map_err(malformed)?,
            M::FixExt1 => 2,
            M::FixExt2 => 3,
            M::FixExt4 => 5,
            M::FixExt8 => 9,
            M::FixExt16 => 17,
            M::Ext8 => u32::from(self.rest.read_data_u8().map_err(malformed)?) + 1,
            M::Ext16 => u32::from(self.rest.read_data_u16().map_err(malformed)?) + 1,
            M::Ext32 => self.rest.read_data_u32().map_err(malformed)? + 1,
            M::FixArray(len) => return self.skip_items(u64::from(len)),
            M::Array16 => {
                let len = self.rest.read_data_u16().map_err(malformed)?;
                return self.skip_items(u64::from(len));
            }
            M::Array32 => {
                let len = self.rest.read_data_u32().map_err(malformed)?;
                return self.skip_items(u64::from(len));
            }
            M::FixMap(len) => return self.skip_items(2 * u64::from(len)),
            M::Map16 => {
                let len = self.rest.read_data_u16().map_err(malformed)?;
                return self.skip_items(2 * u64::from(len));
            }
            M::Map32 => {
                let len = self.rest.read_data_u32().map_err(malformed)?;
                return self.skip_items(2 * u64::from(len));
            }
        };
        self.take(skip).map(drop)
    }

    fn skip_items(&mut self, count: u64) -> Result<(), EnvelopeError> {
        if count > self.rest.len() as u64 {
            return Err(malformed("a container is longer than the payload"));
        }
        for _ in 0..count {
            // Nesting is bounded by the payload: every level takes a byte.
            self.skip()?;
        }
        Ok(())
    }
}

/// What this server adds to an invocation (the third item, which ASP.NET ignores).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin<'a> {
    /// The name of the server that published it.
    pub(crate) server: &'a str,
    /// For a send to several groups: the sender's number for the send, and the groups.
    pub(crate) groups: Option<(u64, Vec<&'a str>)>,
}

/// A client-result request carried by an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResultRequest<'a> {
    pub(crate) invocation_id: &'a str,
    /// The channel the client's Completion is published on.
    pub(crate) return_channel: &'a str,
}

/// An invocation read from the backplane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invocation<'a> {
    pub(crate) excluded: Vec<&'a str>,
    /// Protocol name and framed message, for each protocol the sender encoded.
    pub(crate) messages: Vec<(&'a str, &'a [u8])>,
    pub(crate) result: Option<ResultRequest<'a>>,
    pub(crate) origin: Option<Origin<'a>>,
}

/// Writes an invocation: `messages` are the protocol names and framed bytes; `result` is set for
/// a client result (and then `origin` is not written: ASP.NET's layout has the result there).
pub(crate) fn write_invocation<'m>(
    excluded: &[impl AsRef<str>],
    messages: impl ExactSizeIterator<Item = (&'m str, &'m [u8])>,
    result: Option<&ResultRequest<'_>>,
    origin: Option<&Origin<'_>>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    let len = match (result, origin) {
        (Some(_), _) => 4,
        (None, Some(_)) => 3,
        (None, None) => 2,
    };
    encode::write_array_len(&mut out, len).expect(WRITE);
    encode::write_array_len(&mut out, excluded.len() as u32).expect(WRITE);
    for id in excluded {
        encode::write_str(&mut out, id.as_ref()).expect(WRITE);
    }
    encode::write_map_len(&mut out, messages.len() as u32).expect(WRITE);
    for (protocol, bytes) in messages {
        encode::write_str(&mut out, protocol).expect(WRITE);
        encode::write_bin(&mut out, bytes).expect(WRITE);
    }
    match (result, origin) {
        (Some(result), _) => {
            encode::write_str(&mut out, result.invocation_id).expect(WRITE);
            encode::write_str(&mut out, result.return_channel).expect(WRITE);
        }
        (None, Some(origin)) => {
            encode::write_array_len(&mut out, 3).expect(WRITE);
            encode::write_str(&mut out, origin.server).expect(WRITE);
            match &origin.groups {
                Some((sequence, groups)) => {
                    encode::write_uint(&mut out, *sequence).expect(WRITE);
                    encode::write_array_len(&mut out, groups.len() as u32).expect(WRITE);
                    for group in groups {
                        encode::write_str(&mut out, group).expect(WRITE);
                    }
                }
                None => {
                    encode::write_nil(&mut out).expect(WRITE);
                    encode::write_nil(&mut out).expect(WRITE);
                }
            }
        }
        (None, None) => {}
    }
    out
}

/// Reads an invocation.
pub(crate) fn read_invocation(data: &[u8]) -> Result<Invocation<'_>, EnvelopeError> {
    let mut reader = Reader::new(data);
    let len = reader.array(2, "Invocation")?;
    let excluded = reader.strs()?;
    let count = reader.map()?;
    if count as usize > data.len() {
        return Err(malformed("a map is longer than the payload"));
    }
    let mut messages = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let protocol = reader.str()?;
        let bytes = reader.bin()?;
        messages.push((protocol, bytes));
    }
    let mut result = None;
    let mut origin = None;
    if len > 3 {
        let invocation_id = reader.optional_str()?;
        let return_channel = reader.optional_str()?;
        if let (Some(invocation_id), Some(return_channel)) = (invocation_id, return_channel) {
            if !invocation_id.is_empty() && !return_channel.is_empty() {
                result = Some(ResultRequest {
                    invocation_id,
                    return_channel,
                });
            }
        }
    } else if len == 3 {
        origin = read_origin(&mut reader)?;
    }
    Ok(Invocation {
        excluded,
        messages,
        result,
        origin,
    })
}

/// This server's third item; anything else there is skipped.
fn read_origin<'a>(reader: &mut Reader<'a>) -> Result<Option<Origin<'a>>, EnvelopeError> {
    let mut probe = Reader { rest: reader.rest };
    let Ok(len) = probe.array(3, "Origin") else {
        reader.skip()?;
        return Ok(None);
    };
    *reader = probe;
    let server = reader.str()?;
    let groups = if reader.rest.first() == Some(&0xc0) {
        reader.skip()?;
        reader.skip()?;
        None
    } else {
        let sequence = reader.int()?;
        Some((sequence, reader.strs()?))
    };
    for _ in 3..len {
        reader.skip()?;
    }
    Ok(Some(Origin { server, groups }))
}

/// What a group command asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupAction {
    Add,
    Remove,
}

/// A request to the server that has a connection to add it to a group or remove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupCommand<'a> {
    pub(crate) id: u32,
    /// The server that waits for the Ack.
    pub(crate) server: &'a str,
    pub(crate) action: GroupAction,
    pub(crate) group: &'a str,
    pub(crate) connection_id: &'a str,
}

pub(crate) fn write_group_command(command: &GroupCommand<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + command.group.len() + command.connection_id.len());
    encode::write_array_len(&mut out, 5).expect(WRITE);
    encode::write_uint(&mut out, u64::from(command.id)).expect(WRITE);
    encode::write_str(&mut out, command.server).expect(WRITE);
    let action = match command.action {
        GroupAction::Add => 1,
        GroupAction::Remove => 2,
    };
    encode::write_uint(&mut out, action).expect(WRITE);
    encode::write_str(&mut out, command.group).expect(WRITE);
    encode::write_str(&mut out, command.connection_id).expect(WRITE);
    out
}

pub(crate) fn read_group_command(data: &[u8]) -> Result<GroupCommand<'_>, EnvelopeError> {
    let mut reader = Reader::new(data);
    reader.array(5, "GroupCommand")?;
    let id = u32::try_from(reader.int()?).map_err(malformed)?;
    let server = reader.str()?;
    let action = match reader.int()? {
        1 => GroupAction::Add,
        2 => GroupAction::Remove,
        other => return Err(malformed(format!("unknown group action {other}"))),
    };
    let group = reader.str()?;
    let connection_id = reader.str()?;
    Ok(GroupCommand {
        id,
        server,
        action,
        group,
        connection_id,
    })
}

pub(crate) fn write_ack(id: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(6);
    encode::write_array_len(&mut out, 1).expect(WRITE);
    encode::write_uint(&mut out, u64::from(id)).expect(WRITE);
    out
}

pub(crate) fn read_ack(data: &[u8]) -> Result<u32, EnvelopeError> {
    let mut reader = Reader::new(data);
    reader.array(1, "Ack")?;
    u32::try_from(reader.int()?).map_err(malformed)
}

/// A client's Completion on its way to the server that asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompletionEnvelope<'a> {
    pub(crate) protocol: &'a str,
    /// The framed Completion, in that protocol.
    pub(crate) message: &'a [u8],
}

pub(crate) fn write_completion(protocol: &str, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + message.len());
    encode::write_array_len(&mut out, 2).expect(WRITE);
    encode::write_str(&mut out, protocol).expect(WRITE);
    encode::write_bin(&mut out, message).expect(WRITE);
    out
}

pub(crate) fn read_completion(data: &[u8]) -> Result<CompletionEnvelope<'_>, EnvelopeError> {
    let mut reader = Reader::new(data);
    reader.array(2, "CompletionMessage")?;
    let protocol = reader.str()?;
    let message = reader.bin()?;
    Ok(CompletionEnvelope { protocol, message })
}

/// A presence question to every server of the hub (this server's own channel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PresenceQuery<'a> {
    pub(crate) id: u32,
    /// The server that waits for the answers.
    pub(crate) server: &'a str,
    pub(crate) kind: PresenceKind,
    /// The group, connection or user asked about.
    pub(crate) name: &'a str,
}

/// What a presence question asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PresenceKind {
    GroupConnections = 1,
    ConnectionGroups = 2,
    GroupSize = 3,
    UserConnectionCount = 4,
}

pub(crate) fn write_presence_query(query: &PresenceQuery<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + query.server.len() + query.name.len());
    encode::write_array_len(&mut out, 4).expect(WRITE);
    encode::write_uint(&mut out, u64::from(query.id)).expect(WRITE);
    encode::write_str(&mut out, query.server).expect(WRITE);
    encode::write_uint(&mut out, query.kind as u64).expect(WRITE);
    encode::write_str(&mut out, query.name).expect(WRITE);
    out
}

pub(crate) fn read_presence_query(data: &[u8]) -> Result<PresenceQuery<'_>, EnvelopeError> {
    let mut reader = Reader::new(data);
    reader.array(4, "PresenceQuery")?;
    let id = u32::try_from(reader.int()?).map_err(malformed)?;
    let server = reader.str()?;
    let kind = match reader.int()? {
        1 => PresenceKind::GroupConnections,
        2 => PresenceKind::ConnectionGroups,
        3 => PresenceKind::GroupSize,
        4 => PresenceKind::UserConnectionCount,
        other => return Err(malformed(format!("unknown presence question {other}"))),
    };
    let name = reader.str()?;
    Ok(PresenceQuery {
        id,
        server,
        kind,
        name,
    })
}

/// One server's answer to a presence question: a count and names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PresenceAnswer<'a> {
    pub(crate) id: u32,
    pub(crate) count: u64,
    pub(crate) names: Vec<&'a str>,
}

pub(crate) fn write_presence_answer(id: u32, count: u64, names: &[impl AsRef<str>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + names.len() * 24);
    encode::write_array_len(&mut out, 3).expect(WRITE);
    encode::write_uint(&mut out, u64::from(id)).expect(WRITE);
    encode::write_uint(&mut out, count).expect(WRITE);
    encode::write_array_len(&mut out, names.len() as u32).expect(WRITE);
    for name in names {
        encode::write_str(&mut out, name.as_ref()).expect(WRITE);
    }
    out
}

pub(crate) fn read_presence_answer(data: &[u8]) -> Result<PresenceAnswer<'_>, EnvelopeError> {
    let mut reader = Reader::new(data);
    reader.array(3, "PresenceAnswer")?;
    let id = u32::try_from(reader.int()?).map_err(malformed)?;
    let count = reader.int()?;
    let names = reader.strs()?;
    Ok(PresenceAnswer { id, count, names })
}

#[cfg(test)]
mod tests {
    //! The vectors of ASP.NET Core's own tests of its Redis protocol
    //! (src/SignalR/server/StackExchangeRedis/test/RedisProtocolTests.cs), both ways.

    use super::*;

    const NONE: &[&str] = &[];

    #[test]
    fn acks_match_aspnet() {
        let vectors: &[(u32, &[u8])] = &[
            (0, &[0x91, 0x00]),
            (42, &[0x91, 0x2A]),
            (180, &[0x91, 0xCC, 0xB4]),
            (384, &[0x91, 0xCD, 0x01, 0x80]),
            (70_000, &[0x91, 0xCE, 0x00, 0x01, 0x11, 0x70]),
        ];
        for &(id, bytes) in vectors {
            assert_eq!(write_ack(id), bytes, "write {id}");
            assert_eq!(read_ack(bytes), Ok(id), "read {id}");
        }
    }

    #[test]
    fn group_commands_match_aspnet() {
        for (action, byte) in [(GroupAction::Add, 0x01), (GroupAction::Remove, 0x02)] {
            let command = GroupCommand {
                id: 42,
                server: "S",
                action,
                group: "G",
                connection_id: "C",
            };
            let bytes = [0x95, 0x2A, 0xA1, b'S', byte, 0xA1, b'G', 0xA1, b'C'];
            assert_eq!(write_group_command(&command), bytes);
            assert_eq!(read_group_command(&bytes), Ok(command));
        }
    }

    fn messages_p1_p2() -> Vec<(&'static str, &'static [u8])> {
        vec![("p1", &[0x2A][..]), ("p2", &[0x2A][..])]
    }

    #[test]
    fn invocations_match_aspnet() {
        let tail = [
            0x82, 0xA2, b'p', b'1', 0xC4, 0x01, 0x2A, 0xA2, b'p', b'2', 0xC4, 0x01, 0x2A,
        ];
        let cases: &[(&[&str], &[u8])] = &[
            (NONE, &[0x92, 0x90]),
            (&["a"], &[0x92, 0x91, 0xA1, b'a']),
            (
                &["a", "b", "c", "d", "e", "f"],
                &[
                    0x92, 0x96, 0xA1, b'a', 0xA1, b'b', 0xA1, b'c', 0xA1, b'd', 0xA1, b'e', 0xA1,
                    b'f',
                ],
            ),
        ];
        for &(excluded, head) in cases {
            let bytes = [head, &tail[..]].concat();
            let written = write_invocation(excluded, messages_p1_p2().into_iter(), None, None);
            assert_eq!(written, bytes, "{excluded:?}");
            let read = read_invocation(&bytes).unwrap();
            assert_eq!(read.excluded, excluded);
            assert_eq!(read.messages, messages_p1_p2());
            assert_eq!(read.result, None);
            assert_eq!(read.origin, None);
        }
    }

    #[test]
    fn completions_match_aspnet() {
        let json = br#"{"type":3,"invocationId":"1","result":1}"#;
        let mut json_bytes = vec![0x92, 0xA4, b'j', b's', b'o', b'n', 0xC4, 0x28];
        json_bytes.extend_from_slice(json);
        let msgpack = [0x95, 0x03, 0x80, 0xA3, b'x', b'y', b'z', 0x03, 0x2A];
        let mut msgpack_bytes = vec![0x92, 0xAB];
        msgpack_bytes.extend_from_slice(b"messagepack");
        msgpack_bytes.extend_from_slice(&[0xC4, 0x09]);
        msgpack_bytes.extend_from_slice(&msgpack);
        for (protocol, message, bytes) in [
            ("json", &json[..], json_bytes),
            ("messagepack", &msgpack[..], msgpack_bytes),
        ] {
            assert_eq!(write_completion(protocol, message), bytes);
            assert_eq!(
                read_completion(&bytes),
                Ok(CompletionEnvelope { protocol, message })
            );
        }
    }

    #[test]
    fn a_client_result_request_is_the_third_and_fourth_items() {
        let request = ResultRequest {
            invocation_id: "inv",
            return_channel: "Hub:internal:return:S",
        };
        let bytes = write_invocation(NONE, messages_p1_p2().into_iter(), Some(&request), None);
        assert_eq!(bytes[0], 0x94);
        let read = read_invocation(&bytes).unwrap();
        assert_eq!(read.result, Some(request));
        assert_eq!(read.messages, messages_p1_p2());
    }

    #[test]
    fn the_origin_item_reads_back_and_leaves_aspnets_items_as_they_are() {
        for origin in [
            Origin {
                server: "node-a",
                groups: None,
            },
            Origin {
                server: "node-a",
                groups: Some((7, vec!["g1", "g2"])),
            },
        ] {
            let bytes = write_invocation(&["x"], messages_p1_p2().into_iter(), None, Some(&origin));
            assert_eq!(bytes[0], 0x93);
            let read = read_invocation(&bytes).unwrap();
            assert_eq!(read.origin, Some(origin));
            assert_eq!(read.excluded, ["x"]);
            // ASP.NET reads the first two items and stops: they are the plain layout's.
            let plain = write_invocation(&["x"], messages_p1_p2().into_iter(), None, None);
            assert_eq!(bytes[1..plain.len()], plain[1..]);
        }
        // An item this server does not know is skipped.
        let mut bytes = write_invocation(NONE, messages_p1_p2().into_iter(), None, None);
        bytes[0] = 0x93;
        bytes.extend_from_slice(&[0x81, 0xA1, b'k', 0x92, 0x01, 0xC0]);
        assert_eq!(read_invocation(&bytes).unwrap().origin, None);
    }

    #[test]
    fn malformed_payloads_are_errors_never_panics() {
        let good = write_invocation(
            &["a"],
            messages_p1_p2().into_iter(),
            None,
            Some(&Origin {
                server: "s",
                groups: Some((1, vec!["g"])),
            }),
        );
        for cut in 0..good.len() {
            assert!(read_invocation(&good[..cut]).is_err(), "cut at {cut}");
        }
        let huge_array = [0x92, 0xDD, 0xFF, 0xFF, 0xFF, 0xFF];
        assert!(read_invocation(&huge_array).is_err());
        let huge_map = [0x92, 0x90, 0xDF, 0xFF, 0xFF, 0xFF, 0xFF];
        assert!(read_invocation(&huge_map).is_err());
        assert!(
            read_group_command(&[0x95, 0x01, 0xA1, b'S', 0x07, 0xA1, b'G', 0xA1, b'C']).is_err()
        );
        assert!(read_ack(&[0x91, 0xCF, 0xFF, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(read_completion(&[0x92, 0xA1, 0xFF, 0xC4, 0x00]).is_err());
        let query = PresenceQuery {
            id: 3,
            server: "s",
            kind: PresenceKind::GroupSize,
            name: "g",
        };
        let bytes = write_presence_query(&query);
        assert_eq!(read_presence_query(&bytes), Ok(query));
        let answer = write_presence_answer(3, 2, &["a", "b"]);
        assert_eq!(
            read_presence_answer(&answer),
            Ok(PresenceAnswer {
                id: 3,
                count: 2,
                names: vec!["a", "b"]
            })
        );
        for cut in 0..bytes.len() {
            assert!(read_presence_query(&bytes[..cut]).is_err());
        }
        for cut in 0..answer.len() {
            assert!(read_presence_answer(&answer[..cut]).is_err());
        }
        // Every byte string of up to two bytes, and a few thousand longer ones.
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let _ = read_invocation(&[a, b]);
                let _ = read_group_command(&[a, b]);
            }
        }
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..5_000 {
            let mut bytes = good.clone();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed as usize) % bytes.len();
            bytes[at] = (seed >> 32) as u8;
            let _ = read_invocation(&bytes);
        }
    }
}
