//! Compile-time tests of `#[hub]` and `#[client]`: programs that must compile (`ui/pass`) and
//! mistakes that must be refused with a spanned error (`ui/fail`, expected output in `.stderr`).
//! See `ui/README.md` to regenerate the expected output.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
