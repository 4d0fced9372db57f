//! Every daemon's audit journal: append-only and hash-chained. Each entry commits to the one
//! before it, so a deleted, reordered or edited entry breaks the chain at that point; the
//! stored head (sequence number and hash of the last entry) catches a truncated tail.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash that precedes the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// signed, refused, needs_approval, approved, rejected, conflict, freeze, unfreeze,
    /// policy_loaded, policy_refused, …
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_hash: Option<String>,
    /// Who caused it: "policy", an operator (uid), the coordinator.
    pub actor: String,
    pub detail: Vec<String>,
}

impl Event {
    pub fn new(kind: &str, actor: &str) -> Event {
        Event {
            kind: kind.into(),
            proposal: None,
            inner_hash: None,
            policy_hash: None,
            actor: actor.into(),
            detail: vec![],
        }
    }

    pub fn proposal(mut self, id: &str, inner_hash: Option<&impl std::fmt::Display>) -> Event {
        self.proposal = Some(id.into());
        self.inner_hash = inner_hash.map(|h| h.to_string());
        self
    }

    pub fn policy(mut self, hash: &str) -> Event {
        self.policy_hash = Some(hash.into());
        self
    }

    pub fn detail(mut self, lines: Vec<String>) -> Event {
        self.detail = lines;
        self
    }
}

/// One chained entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub at_ms: i64,
    pub prev: String,
    #[serde(flatten)]
    pub event: Event,
    pub hash: String,
}

fn digest(seq: u64, at_ms: i64, prev: &str, event: &Event) -> String {
    let body = serde_json::to_vec(&(seq, at_ms, prev, event)).unwrap_or_default();
    hex::encode(Sha256::digest(&body))
}

impl Entry {
    /// The entry after `prev_hash` (`GENESIS` for the first) with sequence number `seq`.
    pub fn chain(seq: u64, at_ms: i64, prev_hash: &str, event: Event) -> Entry {
        let hash = digest(seq, at_ms, prev_hash, &event);
        Entry {
            seq,
            at_ms,
            prev: prev_hash.into(),
            event,
            hash,
        }
    }
}

/// Where a journal stops being trustworthy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    #[error("entry {seq}: sequence gap (expected {expected})")]
    Gap { seq: u64, expected: u64 },
    #[error("entry {seq}: does not follow the previous entry's hash")]
    Unlinked { seq: u64 },
    #[error("entry {seq}: its content does not match its hash (edited)")]
    Edited { seq: u64 },
    #[error("entry {seq}: missing; the journal's head says it ends at entry {head} (truncated)")]
    Truncated { seq: u64, head: u64 },
    #[error("entry {seq}: not the head the journal recorded (replaced)")]
    NotHead { seq: u64 },
}

impl Broken {
    /// The sequence number of the first entry that cannot be trusted.
    pub fn first_bad(&self) -> u64 {
        match *self {
            Broken::Gap { expected, .. } => expected,
            Broken::Unlinked { seq }
            | Broken::Edited { seq }
            | Broken::Truncated { seq, .. }
            | Broken::NotHead { seq } => seq,
        }
    }
}

/// The last entry's sequence number and hash, kept beside the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

/// Checks a whole journal against its recorded head: chained, and not cut short.
pub fn verify_with_head<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    head: Option<&Head>,
) -> Result<u64, Broken> {
    let entries: Vec<&Entry> = entries.into_iter().collect();
    let count = verify(entries.iter().copied())?;
    check_tail(entries.last().copied(), head)?;
    Ok(count)
}

/// A journal kept in two parts, its older entries moved elsewhere: `older`, then the entries
/// of `newer` after the last of `older` (a move that a crash interrupted leaves entries in
/// both).
pub fn join(mut older: Vec<Entry>, newer: Vec<Entry>) -> Vec<Entry> {
    let after = older.last().map(|e| e.seq);
    older.extend(
        newer
            .into_iter()
            .filter(|e| after.is_none_or(|a| e.seq > a)),
    );
    older
}

/// Checks only the journal's last entry: its content matches its hash, and it is the head
/// recorded beside the journal. A journal cut short, or whose newest entry was edited or
/// replaced, shows here without reading the rest (what a daemon can afford at every start).
pub fn check_tail(last: Option<&Entry>, head: Option<&Head>) -> Result<(), Broken> {
    if let Some(e) = last
        && digest(e.seq, e.at_ms, &e.prev, &e.event) != e.hash
    {
        return Err(Broken::Edited { seq: e.seq });
    }
    match (head, last) {
        (None, _) => Ok(()),
        (Some(h), None) => Err(Broken::Truncated {
            seq: 0,
            head: h.seq,
        }),
        (Some(h), Some(last)) if last.seq < h.seq => Err(Broken::Truncated {
            seq: last.seq + 1,
            head: h.seq,
        }),
        (Some(h), Some(last)) if last.seq != h.seq || last.hash != h.hash => {
            Err(Broken::NotHead { seq: last.seq })
        }
        _ => Ok(()),
    }
}

/// Checks a whole journal in order; the number of entries verified.
pub fn verify<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Result<u64, Broken> {
    let mut prev = GENESIS.to_string();
    let mut expected = 0u64;
    for e in entries {
        if e.seq != expected {
            return Err(Broken::Gap {
                seq: e.seq,
                expected,
            });
        }
        if e.prev != prev {
            return Err(Broken::Unlinked { seq: e.seq });
        }
        if digest(e.seq, e.at_ms, &e.prev, &e.event) != e.hash {
            return Err(Broken::Edited { seq: e.seq });
        }
        prev = e.hash.clone();
        expected += 1;
    }
    Ok(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_in_two_parts_joins_once_each_in_order() {
        let mut all = vec![];
        for seq in 0..6 {
            let prev = all
                .last()
                .map_or(GENESIS.to_string(), |e: &Entry| e.hash.clone());
            all.push(Entry::chain(seq, 1, &prev, Event::new("freeze", "t")));
        }
        // Moved cleanly; a move cut short (entries 2 and 3 in both); nothing moved yet.
        for (older, newer) in [(0..2, 2..6), (0..4, 2..6), (0..0, 0..6)] {
            let joined = join(all[older.clone()].to_vec(), all[newer.clone()].to_vec());
            assert_eq!(joined, all, "{older:?} + {newer:?}");
        }
    }

    fn journal(n: u64) -> Vec<Entry> {
        let mut out: Vec<Entry> = vec![];
        for seq in 0..n {
            let prev = out.last().map_or(GENESIS.to_string(), |e| e.hash.clone());
            out.push(Entry::chain(
                seq,
                1_000 + seq as i64,
                &prev,
                Event::new("signed", "policy").proposal(&format!("p{seq}"), None::<&String>),
            ));
        }
        out
    }

    #[test]
    fn an_intact_journal_verifies() {
        assert_eq!(verify(&journal(5)), Ok(5));
    }

    #[test]
    fn edits_deletions_and_reordering_are_found() {
        let mut edited = journal(5);
        edited[2].event.kind = "refused".into();
        assert_eq!(verify(&edited), Err(Broken::Edited { seq: 2 }));

        let mut deleted = journal(5);
        deleted.remove(3);
        assert_eq!(
            verify(&deleted),
            Err(Broken::Gap {
                seq: 4,
                expected: 3
            })
        );

        let mut swapped = journal(5);
        swapped.swap(1, 2);
        assert_eq!(
            verify(&swapped),
            Err(Broken::Gap {
                seq: 2,
                expected: 1
            })
        );

        let mut relinked = journal(5);
        relinked[3].prev = GENESIS.into();
        assert_eq!(verify(&relinked), Err(Broken::Unlinked { seq: 3 }));
    }

    fn head_of(j: &[Entry]) -> Head {
        let last = &j[j.len() - 1];
        Head {
            seq: last.seq,
            hash: last.hash.clone(),
        }
    }

    /// Many random journals, each tampered once (an edited field, a deleted, swapped or
    /// replaced entry, a cut-off tail): every one is caught, at exactly the first bad entry.
    #[test]
    fn random_tampering_is_always_found_at_the_first_bad_entry() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let (mut trials, mut found) = (0u32, 0u32);
        for _ in 0..2_000 {
            let n = 2 + next(60);
            let original = journal(n);
            let head = head_of(&original);
            let mut j = original.clone();
            let k = next(n) as usize;
            let expected = match next(5) {
                0 => {
                    match next(4) {
                        0 => j[k].event.kind.push('x'),
                        1 => j[k].event.actor = "someone else".into(),
                        2 => j[k].at_ms += 1,
                        _ => j[k].event.detail.push("added".into()),
                    }
                    k as u64
                }
                1 => {
                    j.remove(k);
                    k as u64
                }
                2 => {
                    let k = k.min(n as usize - 2);
                    j.swap(k, k + 1);
                    k as u64
                }
                3 => {
                    // Replaced by a well-formed entry chained to its predecessor.
                    let prev = if k == 0 {
                        GENESIS.to_string()
                    } else {
                        j[k - 1].hash.clone()
                    };
                    j[k] = Entry::chain(k as u64, 7, &prev, Event::new("approved", "intruder"));
                    (k as u64 + 1).min(n - 1)
                }
                _ => {
                    let keep = next(n);
                    j.truncate(keep as usize);
                    keep
                }
            };
            trials += 1;
            match verify_with_head(&j, Some(&head)) {
                Err(b) if b.first_bad() == expected => found += 1,
                other => panic!("tampering at {expected} in {n}: {other:?}"),
            }
        }
        println!("audit tampering: {found} of {trials} trials found at the exact entry");
        assert_eq!(found, trials);
    }

    #[test]
    fn the_tail_alone_shows_an_edited_cut_or_replaced_newest_entry() {
        let j = journal(5);
        let head = Head {
            seq: 4,
            hash: j[4].hash.clone(),
        };
        assert_eq!(check_tail(j.last(), Some(&head)), Ok(()));
        assert_eq!(check_tail(None, None), Ok(()));
        let mut edited = j[4].clone();
        edited.event.kind = "approved".into();
        assert_eq!(
            check_tail(Some(&edited), Some(&head)),
            Err(Broken::Edited { seq: 4 })
        );
        assert_eq!(
            check_tail(Some(&j[3]), Some(&head)),
            Err(Broken::Truncated { seq: 4, head: 4 })
        );
        assert_eq!(
            check_tail(None, Some(&head)),
            Err(Broken::Truncated { seq: 0, head: 4 })
        );
        let replaced = Entry::chain(4, 7, &j[3].hash, Event::new("approved", "intruder"));
        assert_eq!(
            check_tail(Some(&replaced), Some(&head)),
            Err(Broken::NotHead { seq: 4 })
        );
    }
}
