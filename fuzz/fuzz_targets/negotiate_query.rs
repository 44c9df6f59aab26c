//! The `negotiate_query` fuzz target: see `hub_fuzz::negotiate_query` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hub_fuzz::negotiate_query(data));
