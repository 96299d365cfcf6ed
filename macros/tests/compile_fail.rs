//! Compile-fail UI tests: each `tests/ui/*.rs` misuses a macro and its `.stderr` pins the
//! diagnostic (message and span). Regenerate with
//! `TRYBUILD=overwrite cargo test -p sluice-macros --test compile_fail`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
