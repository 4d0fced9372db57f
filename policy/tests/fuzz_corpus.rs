//! Replays the committed fuzz corpus (policy/fuzz/corpus/lint) through the fuzz target's
//! checks, so CI checks every input the fuzzer kept without running a fuzzer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

#[test]
fn lint_corpus_replays_clean() {
    let dir = format!("{}/fuzz/corpus/lint", env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        if let Err(problem) = policy::testing::lint_and_evaluate(&data) {
            panic!("{}: {problem}", path.display());
        }
        count += 1;
    }
    println!("fuzz corpus lint: {count} inputs replayed, 0 failures");
    assert!(count >= 4, "only {count} inputs");
}
