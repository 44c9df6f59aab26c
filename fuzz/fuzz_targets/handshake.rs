//! The `handshake` fuzz target: see `hub_fuzz::handshake` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hub_fuzz::handshake(data));
