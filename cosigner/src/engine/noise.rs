//! What a hostile coordinator or node can send without end (offers refused before policy,
//! known ids with other bytes, made-up outflows) is journaled and logged at a bounded rate,
//! each kind on its own budget: the first [`PER_MINUTE`] a minute one by one, the rest
//! counted by reason and written as one summary when the minute is over. The journal and the
//! log grow with time, not with the attacker's rate.

use std::collections::BTreeMap;

use crate::audit::Event;

/// Entries journaled one by one per minute.
pub const PER_MINUTE: u32 = 20;
/// Refusals by policy kept (bound and journaled) per minute: a proposer key in the wrong
/// hands cannot grow the store at the rate its coordinator sends. Beyond it a refusal is
/// answered, and counted in a summary.
pub const STORED_REFUSALS_PER_MINUTE: u32 = 600;

#[derive(Default)]
pub(crate) struct Noise {
    minute: i64,
    written: u32,
    /// Reason code → how many were not journaled one by one this minute.
    suppressed: BTreeMap<&'static str, u64>,
}

impl Noise {
    /// Whether an entry of `code` at `now_ms` is journaled one by one (otherwise it is
    /// counted), and the summary of the minute before to journal first, if one just ended.
    pub(crate) fn admit(
        &mut self,
        kind: &str,
        code: &'static str,
        per_minute: u32,
        now_ms: i64,
    ) -> (bool, Option<Event>) {
        let summary = self.roll(kind, now_ms);
        if self.written < per_minute {
            self.written += 1;
            (true, summary)
        } else {
            *self.suppressed.entry(code).or_insert(0) += 1;
            (false, summary)
        }
    }

    /// The summary of a minute that ended before `now_ms`, if anything was suppressed in it.
    pub(crate) fn roll(&mut self, kind: &str, now_ms: i64) -> Option<Event> {
        let minute = now_ms.div_euclid(60_000);
        if minute == self.minute {
            return None;
        }
        self.minute = minute;
        self.written = 0;
        if self.suppressed.is_empty() {
            return None;
        }
        let counts: Vec<String> = std::mem::take(&mut self.suppressed)
            .into_iter()
            .map(|(code, n)| format!("{code}: {n}"))
            .collect();
        tracing::warn!(kind, suppressed = %counts.join(", "), "repeated entries beyond the journal's rate, counted");
        Some(Event::new("summary", kind).detail(counts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_journaled_at_a_bounded_rate_and_summarised() {
        let mut noise = Noise::default();
        let admitted = (0..10_000)
            .filter(|i| {
                noise
                    .admit("examination", "oversized", PER_MINUTE, 60_000 + i)
                    .0
            })
            .count();
        assert_eq!(admitted, PER_MINUTE as usize);
        let (first, summary) = noise.admit("examination", "oversized", PER_MINUTE, 120_000);
        assert!(first, "a new minute starts over");
        let summary = summary.expect("the minute before is summarised");
        assert_eq!(
            summary.detail,
            [format!("oversized: {}", 10_000 - PER_MINUTE)]
        );
        assert!(
            noise.roll("examination", 180_001).is_none(),
            "nothing was suppressed since"
        );
    }
}
