//! MessagePack's timestamp extension (type -1): 32-bit seconds, 64-bit (30-bit nanoseconds and
//! 34-bit seconds) or 96-bit (32-bit nanoseconds and signed 64-bit seconds), the smallest that
//! holds the time, as .NET and the JavaScript client write it.

use super::UnixTime;

/// The extension type of timestamps.
pub(super) const TIMESTAMP_TYPE: i8 = -1;

/// The name under which `rmp_serde` writes and reads an extension: a newtype struct of this name
/// around the tuple `(type: i8, data: bytes)`.
pub(super) const EXT_STRUCT_NAME: &str = "_ExtStruct";

/// The extension's data for `time`, in `out`.
pub(super) fn encode(time: UnixTime, out: &mut [u8; 12]) -> &[u8] {
    let UnixTime { seconds, nanos } = time;
    match u64::try_from(seconds) {
        Ok(seconds) if seconds >> 34 == 0 => {
            if nanos == 0 && seconds >> 32 == 0 {
                out[..4].copy_from_slice(&(seconds as u32).to_be_bytes());
                &out[..4]
            } else {
                out[..8].copy_from_slice(&((u64::from(nanos) << 34) | seconds).to_be_bytes());
                &out[..8]
            }
        }
        _ => {
            out[..4].copy_from_slice(&nanos.to_be_bytes());
            out[4..].copy_from_slice(&seconds.to_be_bytes());
            &out[..]
        }
    }
}

/// The time of an extension of type `kind` with `data`.
pub(super) fn decode(kind: i8, data: &[u8]) -> Result<UnixTime, String> {
    if kind != TIMESTAMP_TYPE {
        return Err(format!(
            "expected a timestamp (MessagePack extension type -1), found extension type {kind}"
        ));
    }
    let (seconds, nanos) = match *data {
        [a, b, c, d] => (i64::from(u32::from_be_bytes([a, b, c, d])), 0),
        [a, b, c, d, e, f, g, h] => {
            let value = u64::from_be_bytes([a, b, c, d, e, f, g, h]);
            ((value & ((1 << 34) - 1)) as i64, (value >> 34) as u32)
        }
        [a, b, c, d, ref seconds @ ..] => {
            let seconds: [u8; 8] = seconds
                .try_into()
                .map_err(|_| timestamp_length(data.len()))?;
            (
                i64::from_be_bytes(seconds),
                u32::from_be_bytes([a, b, c, d]),
            )
        }
        _ => return Err(timestamp_length(data.len())),
    };
    UnixTime::new(seconds, nanos)
}

fn timestamp_length(len: usize) -> String {
    format!("a timestamp has 4, 8 or 12 bytes of data, not {len}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(seconds: i64, nanos: u32) -> Vec<u8> {
        encode(UnixTime::new(seconds, nanos).unwrap(), &mut [0; 12]).to_vec()
    }

    #[test]
    fn the_smallest_form_that_holds_the_time() {
        // 2000-01-01T00:00:00Z: 32-bit seconds.
        assert_eq!(encoded(946_684_800, 0), [0x38, 0x6d, 0x43, 0x80]);
        // The last second of the 32-bit form, then the 64-bit form.
        assert_eq!(encoded(0xffff_ffff, 0), [0xff; 4]);
        assert_eq!(encoded(1 << 32, 0), [0, 0, 0, 1, 0, 0, 0, 0]);
        // 2000-01-01T00:00:00.5Z: nanoseconds, so 64 bits.
        assert_eq!(
            encoded(946_684_800, 500_000_000),
            ((500_000_000u64 << 34) | 946_684_800).to_be_bytes()
        );
        // 34-bit seconds are the 64-bit form's limit (the year 2514).
        assert_eq!(
            encoded((1 << 34) - 1, 999_999_999),
            ((999_999_999u64 << 34) | ((1 << 34) - 1)).to_be_bytes()
        );
        let mut beyond = vec![0, 0, 0, 0];
        beyond.extend((1i64 << 34).to_be_bytes());
        assert_eq!(encoded(1 << 34, 0), beyond);
        // Before 1970: 96 bits, signed seconds.
        assert_eq!(
            encoded(-1, 1),
            [0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
    }

    #[test]
    fn every_form_decodes() {
        for (seconds, nanos) in [
            (0, 0),
            (946_684_800, 0),
            (946_684_800, 500_000_000),
            (0xffff_ffff, 0),
            (1 << 32, 0),
            ((1 << 34) - 1, 999_999_999),
            (1 << 34, 0),
            (-1, 999_999_999),
            (-62_135_596_800, 0),
            (i64::MAX, 0),
            (i64::MIN, 0),
        ] {
            let data = encoded(seconds, nanos);
            assert_eq!(
                decode(-1, &data).unwrap(),
                UnixTime::new(seconds, nanos).unwrap(),
                "{data:02x?}"
            );
        }
        // The longer forms are read even where a shorter one would do.
        let mut long = vec![0, 0, 0, 0];
        long.extend(946_684_800i64.to_be_bytes());
        assert_eq!(decode(-1, &long).unwrap().seconds, 946_684_800);
        assert_eq!(
            decode(-1, &946_684_800u64.to_be_bytes()).unwrap().seconds,
            946_684_800
        );
    }

    #[cfg(feature = "messagepack")]
    #[test]
    fn the_extension_struct_is_rmp_serdes() {
        assert_eq!(EXT_STRUCT_NAME, rmp_serde::MSGPACK_EXT_STRUCT_NAME);
    }

    #[test]
    fn malformed_timestamps_are_errors() {
        assert!(decode(1, &[0; 4]).unwrap_err().contains("extension type 1"));
        for len in [0, 1, 5, 9, 13, 16] {
            assert!(
                decode(-1, &vec![0; len])
                    .unwrap_err()
                    .contains("4, 8 or 12 bytes"),
                "{len}"
            );
        }
        // Nanoseconds of a second at most.
        assert!(decode(-1, &(1_000_000_000u64 << 34).to_be_bytes()).is_err());
        let mut too_many = 1_000_000_000u32.to_be_bytes().to_vec();
        too_many.extend(0i64.to_be_bytes());
        assert!(decode(-1, &too_many).is_err());
    }
}
