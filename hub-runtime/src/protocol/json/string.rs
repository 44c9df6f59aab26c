//! JSON strings: where one needs escaping, found eight bytes at a time, and those that need
//! none written as they are.

/// Where the text of a JSON string ends in `bytes` (what follows its opening quote): the first
/// `"`, `\` or control character. Eight bytes at a time: a byte that matches gets its high bit
/// set in `found`, and the lowest such bit is always a true match.
pub(super) fn string_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |word: u64| word.wrapping_sub(ONES) & !word;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let control = word.wrapping_sub(ONES * 0x20) & !word;
        let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
        let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
        let found = (control | quote | backslash) & HIGHS;
        if found != 0 {
            return Some(at + found.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = chunks.remainder();
    let len = tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    Some(at + len)
}

/// Writes `text` as a JSON string: as it is between quotes when nothing in it needs escaping
/// (ids and method names, nearly always), else escaped by serde_json.
pub(super) fn write_str(out: &mut Vec<u8>, text: &str) {
    if string_end(text.as_bytes()).is_none() {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(out, text).expect("a string always serializes");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for text in [
            "",
            "12",
            "Echo",
            "caf\u{e9} \u{1F600}",
            "a\"b",
            "a\\b",
            "tab\there",
            "\u{7f}\u{1f}",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn string_end_finds_the_first_quote_backslash_or_control_character() {
        let naive = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        };
        // Every length up to three words, every position of one special byte among ordinary
        // ASCII, UTF-8 and high bytes, and pseudo-random mixes.
        let fillers = [
            b'a',
            0x7f,
            0x80,
            0xc3,
            0xff,
            b'!',
            b'#',
            b'[',
            b']',
            b'!' + 1,
        ];
        let specials = [b'"', b'\\', 0x00, 0x1f, 0x0a];
        for len in 0..24 {
            for &filler in &fillers {
                let mut bytes = vec![filler; len];
                assert_eq!(string_end(&bytes), naive(&bytes), "{bytes:?}");
                for at in 0..len {
                    for &special in &specials {
                        bytes[at] = special;
                        assert_eq!(string_end(&bytes), naive(&bytes), "{bytes:?}");
                        bytes[at] = filler;
                    }
                }
            }
        }
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    let byte = (seed >> (i % 8 * 8)) as u8 ^ (i as u8).wrapping_mul(37);
                    // Mostly printable, sometimes special.
                    if byte % 7 == 0 { byte } else { byte | 0x20 }
                })
                .collect();
            assert_eq!(string_end(&bytes), naive(&bytes), "{bytes:?}");
        }
    }

    use proptest::prelude::*;

    /// Bytes rich in what ends a JSON string's text: quotes, backslashes, control characters,
    /// next to ASCII, UTF-8 and high bytes.
    fn string_bytes() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            4 => any::<u8>(),
            4 => b' '..=b'~',
            1 => prop::sample::select(vec![b'"', b'\\', 0x00, 0x1f, 0x20, 0x21, 0x22 ^ 0x80, 0x5c ^ 0x80, 0x7f, 0xff]),
        ];
        prop::collection::vec(byte, 0..48)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The word-at-a-time scan finds what a byte-by-byte one finds.
        #[test]
        fn string_end_agrees_with_a_plain_scan(bytes in string_bytes()) {
            let naive = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            prop_assert_eq!(string_end(&bytes), naive);
        }

        /// Any text is written as serde_json writes it.
        #[test]
        fn write_str_agrees_with_serde_json(
            text in prop_oneof![
                any::<String>(),
                string_bytes().prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
            ],
            head in "[a-z]{0,3}",
        ) {
            let mut out = head.clone().into_bytes();
            write_str(&mut out, &text);
            let mut expected = head.into_bytes();
            expected.extend(serde_json::to_vec(&text).unwrap());
            prop_assert_eq!(out, expected);
        }
    }
}
