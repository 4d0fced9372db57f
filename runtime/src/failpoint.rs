//! Crash points for the kill -9 tests. `HANKO_FAILPOINT=<daemon>.<point>` makes the daemon send
//! itself SIGKILL when it reaches that point: no destructors, no flush, exactly what a power cut
//! or `kill -9` leaves behind. Unset, a point costs one comparison. Arming a point gives whoever
//! sets the daemon's environment nothing they could not do by killing the process.
//!
//! [`CATALOGUE`] lists every point; the crash matrix (tests/e2e/crash.rs) reaches each one.

use std::sync::OnceLock;

/// Which daemon a point is in, its name, and the durable step it sits at.
pub struct Point {
    pub daemon: &'static str,
    pub name: &'static str,
    pub step: &'static str,
}

const fn point(daemon: &'static str, name: &'static str, step: &'static str) -> Point {
    Point { daemon, name, step }
}

/// Every crash point, in the order a withdrawal reaches them.
pub const CATALOGUE: &[Point] = &[
    point(
        "coordinator",
        "draft_written",
        "a prepared draft is written, not flushed",
    ),
    point(
        "coordinator",
        "draft_saved",
        "a prepared draft is flushed, Prepare not answered",
    ),
    point(
        "coordinator",
        "proposal_written",
        "an accepted proposal is written, not flushed",
    ),
    point(
        "coordinator",
        "proposal_saved",
        "an accepted proposal is flushed, not distributed",
    ),
    point(
        "coordinator",
        "proposal_answering",
        "Propose is about to answer the proposer",
    ),
    point(
        "coordinator",
        "distributed_written",
        "distribution is written, not flushed",
    ),
    point(
        "coordinator",
        "distributed_saved",
        "distribution is flushed",
    ),
    point(
        "coordinator",
        "decision_written",
        "a cosigner's decision is written, not flushed",
    ),
    point(
        "coordinator",
        "decision_saved",
        "a cosigner's decision is flushed, not acknowledged",
    ),
    point(
        "coordinator",
        "wrapper_announcing",
        "the wrapper is about to go to the node",
    ),
    point(
        "coordinator",
        "wrapper_announced",
        "the node answered the wrapper, answer not saved",
    ),
    point(
        "coordinator",
        "wrapper_answer_saved",
        "the wrapper's answer is flushed",
    ),
    point(
        "coordinator",
        "cosignature_announcing",
        "a cosignature is about to go to the node",
    ),
    point(
        "coordinator",
        "cosignature_announced",
        "the node answered a cosignature, not saved",
    ),
    point(
        "coordinator",
        "cosignature_answer_saved",
        "a cosignature's answer is flushed",
    ),
    point(
        "coordinator",
        "confirmed_written",
        "the confirmation is written, not flushed",
    ),
    point(
        "coordinator",
        "confirmed_saved",
        "the confirmation is flushed",
    ),
    point(
        "coordinator",
        "archive_copied",
        "finished work is on disk in the history, still in the main store",
    ),
    point(
        "coordinator",
        "archive_written",
        "finished work is removed from the main store, not flushed",
    ),
    point(
        "coordinator",
        "checkpoint_flushed",
        "a checkpoint flushed the main store, about to close and reopen it",
    ),
    point(
        "cosigner",
        "decision_recorded",
        "the decision is in the journal, not flushed",
    ),
    point(
        "cosigner",
        "decision_flushed",
        "the decision is flushed, nothing signed",
    ),
    point(
        "cosigner",
        "signature_made",
        "signed, the signature not sent",
    ),
    point(
        "cosigner",
        "answer_sending",
        "the answer is about to go to the coordinator",
    ),
    point(
        "cosigner",
        "answer_sent",
        "the coordinator has the answer, not acknowledged here",
    ),
    point(
        "cosigner",
        "approval_recorded",
        "an operator's approval is written, not flushed",
    ),
    point(
        "cosigner",
        "approval_flushed",
        "an operator's approval is flushed, not signed",
    ),
];

fn armed() -> Option<&'static str> {
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    ARMED
        .get_or_init(|| std::env::var("HANKO_FAILPOINT").ok())
        .as_deref()
}

fn is_armed(daemon: &str, name: &str, suffix: &str) -> bool {
    armed()
        .and_then(|a| a.strip_prefix(daemon))
        .and_then(|a| a.strip_prefix('.'))
        .and_then(|a| a.strip_prefix(name))
        .is_some_and(|rest| rest == suffix)
}

/// Kills this process with SIGKILL if `<daemon>.<name>` is the armed crash point.
pub fn hit(daemon: &str, name: &str) {
    hit_step(daemon, name, "");
}

/// As [`hit`], for the point named `<name><suffix>` (a step name and `_written`, say).
pub fn hit_step(daemon: &str, name: &str, suffix: &str) {
    if is_armed(daemon, name, suffix) {
        eprintln!("hanko: crash point {daemon}.{name}{suffix} reached: kill -9");
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
        // SIGKILL to oneself is delivered before kill(2) returns; nothing runs past here.
        loop {
            std::thread::park();
        }
    }
}

/// Whether `<daemon>.<name>` is the armed point where a write is made to fail, as a disk that
/// refuses writes would (for the fail-closed tests).
pub fn fails(daemon: &str, name: &str) -> bool {
    is_armed(daemon, name, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_names_each_point_once() {
        let mut names: Vec<String> = CATALOGUE
            .iter()
            .map(|p| format!("{}.{}", p.daemon, p.name))
            .collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
        assert!(count >= 20);
    }
}
