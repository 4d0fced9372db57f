//! The newest alerts this coordinator raised, kept in memory for `Admin.Status` (and the
//! consoles that show it). The audit journal keeps every alert; this keeps the last few.

use std::collections::VecDeque;
use std::sync::Mutex;

/// How many are kept.
pub const KEPT: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub at_ms: i64,
    pub kind: String,
    pub critical: bool,
    pub account: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Recent(Mutex<VecDeque<Note>>);

impl Recent {
    pub fn push(&self, kind: &str, critical: bool, account: String, message: String) {
        let note = Note {
            at_ms: jiff::Timestamp::now().as_millisecond(),
            kind: kind.to_string(),
            critical,
            account,
            message,
        };
        let mut notes = self.0.lock().unwrap_or_else(|p| p.into_inner());
        notes.push_front(note);
        notes.truncate(KEPT);
    }

    /// Newest first.
    pub fn list(&self) -> Vec<Note> {
        let notes = self.0.lock().unwrap_or_else(|p| p.into_inner());
        notes.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_first_and_no_more_than_kept() {
        let recent = Recent::default();
        for i in 0..(KEPT + 5) {
            recent.push("unknown_outflow", true, String::new(), format!("alert {i}"));
        }
        let list = recent.list();
        assert_eq!(list.len(), KEPT);
        assert_eq!(list[0].message, format!("alert {}", KEPT + 4));
    }
}
