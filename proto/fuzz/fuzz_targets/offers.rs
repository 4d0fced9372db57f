#![no_main]
//! ProposalForSigning messages as bytes, as a hostile coordinator could send them: the
//! cosigner refuses them with a coded reason or accepts only bytes it rebuilt itself.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(problem) = cosigner::testing::examine_offer(data) {
        panic!("{problem}");
    }
});
