#![no_main]
//! Answers of a NIS node, as bytes: no answer panics Hanko's client types, and every
//! transaction accepted in NIS JSON survives Hanko's own NIS JSON unchanged.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(problem) = nem::testing::nis_answers(data) {
        panic!("{problem}");
    }
});
