//! The fuzz targets' seeds, checked on stable: every file of `fuzz/corpus/<target>/` goes
//! through the same checks as `cargo +nightly fuzz run <target>` (fuzz/src/lib.rs, included here),
//! so CI exercises them without nightly or libFuzzer.
#![allow(missing_docs)]

#[allow(
    unreachable_pub,
    reason = "the fuzz crate's public checks, used here privately"
)]
#[path = "../../fuzz/src/lib.rs"]
mod checks;

use std::path::Path;

#[test]
fn every_seed_passes_its_fuzz_target() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for &(target, check) in checks::TARGETS {
        let mut files: Vec<_> = std::fs::read_dir(corpus.join(target))
            .unwrap_or_else(|error| panic!("fuzz/corpus/{target}: {error}"))
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        assert!(
            files.len() >= 10,
            "fuzz/corpus/{target} has {} seeds",
            files.len()
        );
        for file in files {
            let input = std::fs::read(&file).unwrap();
            let result = std::panic::catch_unwind(|| check(&input));
            assert!(result.is_ok(), "{target} fails on {}", file.display());
        }
    }
}
