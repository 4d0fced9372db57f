#![no_main]
//! Policy files as bytes: the linter never panics, places every problem inside the text, and
//! whatever it accepts lints the same twice and decides on a withdrawal without panicking.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(problem) = policy::testing::lint_and_evaluate(data) {
        panic!("{problem}");
    }
});
