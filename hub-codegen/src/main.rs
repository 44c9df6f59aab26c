//! `hub-codegen`: see `--help`.

fn main() {}
