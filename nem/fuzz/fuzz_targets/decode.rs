#![no_main]
//! The NIS1 transaction decoder: no input panics it, and whatever it accepts re-encodes to
//! the same bytes and survives the JSON round trip.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(problem) = nem::testing::decode_round_trip(data) {
        panic!("{problem}");
    }
});
