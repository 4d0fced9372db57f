//! Replays the committed fuzz corpus (nem/fuzz/corpus/decode) through the fuzz target's checks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

#[test]
fn decode_corpus_replays_clean() {
    let dir = format!("{}/fuzz/corpus/decode", env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        if let Err(problem) = nem::testing::decode_round_trip(&data) {
            panic!("{}: {problem}", path.display());
        }
        count += 1;
    }
    println!("fuzz corpus: {count} inputs replayed, 0 failures");
    assert!(count >= 40);
}
