//! Replays the committed fuzz corpora (nem/fuzz/corpus/*) through the fuzz targets' checks, so
//! CI checks every input the fuzzer kept without running a fuzzer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

fn replay(target: &str, check: fn(&[u8]) -> Result<(), String>, at_least: usize) {
    let dir = format!("{}/fuzz/corpus/{target}", env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        if let Err(problem) = check(&data) {
            panic!("{}: {problem}", path.display());
        }
        count += 1;
    }
    println!("fuzz corpus {target}: {count} inputs replayed, 0 failures");
    assert!(count >= at_least, "{target}: only {count} inputs");
}

#[test]
fn decode_corpus_replays_clean() {
    replay("decode", nem::testing::decode_round_trip, 40);
}

#[test]
fn nis_answers_corpus_replays_clean() {
    replay("nis_answers", nem::testing::nis_answers, 15);
}
