//! The `websocket_frames` fuzz target: see `hub_fuzz::websocket_frames` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hub_fuzz::websocket_frames(data));
