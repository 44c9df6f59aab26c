//! The `argument_binding` fuzz target: see `hub_fuzz::argument_binding` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hub_fuzz::argument_binding(data));
