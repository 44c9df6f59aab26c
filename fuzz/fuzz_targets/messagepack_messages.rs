//! The `messagepack_messages` fuzz target: see `hub_fuzz::messagepack_messages` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hub_fuzz::messagepack_messages(data));
