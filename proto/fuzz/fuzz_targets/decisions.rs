#![no_main]
//! SubmitDecision messages as bytes, as a hostile cosigner could send them: the coordinator
//! refuses them saying why, or takes a decision that carries exactly the stored inner bytes.

use std::sync::OnceLock;

use coordinator::core::ProposalRecord;
use cosigner::testing as world;
use libfuzzer_sys::fuzz_target;

fn record() -> &'static ProposalRecord {
    static RECORD: OnceLock<ProposalRecord> = OnceLock::new();
    RECORD.get_or_init(|| {
        let inner = world::inner_transfer(10).to_bytes().unwrap_or_default();
        let other = nem::KeyPair::from_private_key(&nem::PrivateKey::from_seed([5; 32]));
        coordinator::testing::collecting(
            "P-1",
            world::account(),
            inner,
            vec![world::cosigner().public_key(), other.public_key()],
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let key = world::cosigner().public_key();
    if let Err(problem) = coordinator::testing::submitted_decision(record(), &key, data) {
        panic!("{problem}");
    }
});
