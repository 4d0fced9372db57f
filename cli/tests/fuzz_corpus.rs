//! Replays the committed corpora of the request fuzz targets (proto/fuzz/corpus/*) through the
//! targets' checks, with the well-formed seeds they started from, so CI checks every input the
//! fuzzer kept without running a fuzzer. `HANKO_FUZZ_SEEDS=<dir>` also writes the seeds there
//! (to start a corpus).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use cosigner::testing as world;

fn replay(target: &str, seeds: Vec<Vec<u8>>, check: impl Fn(&[u8]) -> Result<(), String>) {
    if let Ok(out) = std::env::var("HANKO_FUZZ_SEEDS") {
        for (i, seed) in seeds.iter().enumerate() {
            std::fs::write(format!("{out}/{target}-seed-{i}"), seed).unwrap();
        }
    }
    for seed in &seeds {
        check(seed).unwrap_or_else(|e| panic!("{target} seed: {e}"));
    }
    let dir = format!(
        "{}/../proto/fuzz/corpus/{target}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        check(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        count += 1;
    }
    println!(
        "fuzz corpus {target}: {count} inputs and {} seeds replayed, 0 failures",
        seeds.len()
    );
    assert!(count >= 20, "{target}: only {count} inputs");
}

fn transfers() -> Vec<nem::Transaction> {
    [1, 10, 49_999]
        .into_iter()
        .map(world::inner_transfer)
        .collect()
}

#[test]
fn offers_corpus_replays_clean() {
    let seeds = transfers()
        .iter()
        .enumerate()
        .map(|(i, tx)| world::offer_bytes(&format!("P-{i}"), tx))
        .collect();
    replay("offers", seeds, world::examine_offer);
}

#[test]
fn decisions_corpus_replays_clean() {
    let tx = world::inner_transfer(10);
    let other = nem::KeyPair::from_private_key(&nem::PrivateKey::from_seed([5; 32]));
    let record = coordinator::testing::collecting(
        "P-1",
        world::account(),
        tx.to_bytes().unwrap(),
        vec![world::cosigner().public_key(), other.public_key()],
    );
    let key = world::cosigner().public_key();
    let seeds = vec![world::decision_bytes("P-1", &tx)];
    // The seed is a real signature the coordinator takes.
    assert!(matches!(
        coordinator::api::decision_of(
            &record,
            &key,
            prost::Message::decode(seeds[0].as_slice()).unwrap()
        ),
        Ok(coordinator::core::CosignerDecision::Signed(_))
    ));
    replay("decisions", seeds, |data| {
        coordinator::testing::submitted_decision(&record, &key, data)
    });
}
