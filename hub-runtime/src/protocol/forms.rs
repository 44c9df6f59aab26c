//! Which protocol is writing a value: [`Binary`](super::Binary) and
//! [`Timestamp`](super::Timestamp) take the protocol's own forms (bin, the timestamp extension)
//! only while the MessagePack protocol writes a message.
//!
//! Serde has no notion of the format it writes, and the MessagePack encoder's serializer says it
//! is human-readable (so that the types which choose their form by it, such as UUIDs and IP
//! addresses, are written as the official clients read them). So the encoder marks the time it
//! writes a value on its thread; serialization is synchronous, so nothing else runs meanwhile.

use std::cell::Cell;

thread_local! {
    static MESSAGEPACK: Cell<bool> = const { Cell::new(false) };
}

/// Runs `write` with the MessagePack forms chosen for the values it serializes.
#[cfg_attr(not(feature = "messagepack"), allow(dead_code))]
pub(crate) fn writing_messagepack<R>(write: impl FnOnce() -> R) -> R {
    /// Puts the previous mark back, also when `write` panics.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            MESSAGEPACK.set(self.0);
        }
    }
    let _restore = Restore(MESSAGEPACK.replace(true));
    write()
}

/// Whether a value serialized by `serializer` takes the binary forms (bin, the timestamp
/// extension) rather than the text ones (base64, RFC 3339): when the hub's MessagePack encoder
/// writes it, or when the serializer is not human-readable (such as `rmp_serde` with its
/// default configuration).
pub(crate) fn binary_forms<S: serde::Serializer>(serializer: &S) -> bool {
    !serializer.is_human_readable() || MESSAGEPACK.get()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_holds_while_writing_and_is_restored_after_a_panic() {
        let json = serde_json::value::Serializer;
        assert!(!binary_forms(&json));
        writing_messagepack(|| {
            assert!(binary_forms(&json));
            writing_messagepack(|| assert!(binary_forms(&json)));
            assert!(binary_forms(&json));
        });
        assert!(!binary_forms(&json));
        let panicked = std::panic::catch_unwind(|| writing_messagepack(|| panic!("in a value")));
        assert!(panicked.is_err());
        assert!(!binary_forms(&json));
    }
}
