//! The `post_body` fuzz target: see `hub_fuzz::post_body` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hub_fuzz::post_body(data));
