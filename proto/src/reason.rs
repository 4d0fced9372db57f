//! Why a cosigner refused or holds a proposal: the rule that fired, its kind and a sentence.
//! Reasons travel structured (`v1::Reason`, beside each reason as a line for text-only
//! readers), are stored structured on both sides, and read as one line `rule (kind): text`.

use serde::{Deserialize, Serialize};

use crate::v1 as pb;

/// The rule of a reason known only as a line that names none.
pub const OTHER: &str = "other";

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "Stored")]
pub struct Reason {
    /// The policy rule's name, or a built-in check's stable code.
    pub rule: String,
    /// limit, velocity, destination, window, proposer, approval, safety, examination, …
    pub kind: String,
    pub text: String,
}

/// A reason as stored: structured, or a line kept before reasons were structured.
#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    Fields {
        rule: String,
        kind: String,
        text: String,
    },
    Line(String),
}

impl From<Stored> for Reason {
    fn from(s: Stored) -> Reason {
        match s {
            Stored::Fields { rule, kind, text } => Reason { rule, kind, text },
            Stored::Line(line) => Reason::from_line(&line),
        }
    }
}

impl Reason {
    pub fn new(rule: impl Into<String>, kind: impl Into<String>, text: impl Into<String>) -> Self {
        Reason {
            rule: rule.into(),
            kind: kind.into(),
            text: text.into(),
        }
    }

    /// A reason known only as a line (stored or sent before reasons were structured): its
    /// rule and kind when it reads `rule (kind): text` with a plain rule name, else the rule
    /// `other` with the whole line as its text.
    pub fn from_line(line: &str) -> Reason {
        let parsed = line.split_once(" (").and_then(|(rule, rest)| {
            let (kind, text) = rest.split_once("): ")?;
            plain(rule).then(|| Reason::new(rule, kind, text))
        });
        parsed.unwrap_or_else(|| Reason::new(OTHER, "", line))
    }

    pub fn to_wire(&self) -> pb::Reason {
        pb::Reason {
            rule: self.rule.clone(),
            kind: self.kind.clone(),
            text: self.text.clone(),
        }
    }
}

/// Whether `name` could be a rule's name: short, letters, digits, `_`, `-` and `.` only.
pub fn plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl std::fmt::Display for Reason {
    /// `rule (kind): text`; a line read back without a rule (see [`Reason::from_line`]) reads
    /// as it was written.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.rule == OTHER && self.kind.is_empty() {
            return f.write_str(&self.text);
        }
        write!(f, "{} ({}): {}", self.rule, self.kind, self.text)
    }
}

/// Each reason as its line.
pub fn lines(reasons: &[Reason]) -> Vec<String> {
    reasons.iter().map(Reason::to_string).collect()
}

/// Reasons as sent: the structured ones, or, from a sender that sent only lines, read from
/// those.
pub fn from_wire(details: Vec<pb::Reason>, lines: Vec<String>) -> Vec<Reason> {
    if details.is_empty() {
        return lines.iter().map(|l| Reason::from_line(l)).collect();
    }
    details
        .into_iter()
        .map(|r| Reason::new(r.rule, r.kind, r.text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reasons stored as lines before they were structured read back with their rule; a line
    /// that does not name one is kept whole under `other`.
    #[test]
    fn lines_stored_before_read_back_with_their_rule() {
        let stored = r#"["daily-xem (velocity): 120 XEM in 24h, at most 100", "rejected by operator ann: no", {"rule":"r","kind":"k","text":"t"}]"#;
        let read: Vec<Reason> = serde_json::from_str(stored).unwrap();
        assert_eq!(
            read[0],
            Reason::new("daily-xem", "velocity", "120 XEM in 24h, at most 100")
        );
        assert_eq!(
            read[1],
            Reason::new("other", "", "rejected by operator ann: no")
        );
        assert_eq!(read[2], Reason::new("r", "k", "t"));
        let again: Vec<Reason> =
            serde_json::from_str(&serde_json::to_string(&read).unwrap()).unwrap();
        assert_eq!(again, read);
        assert_eq!(
            read[0].to_string(),
            "daily-xem (velocity): 120 XEM in 24h, at most 100"
        );
        assert_eq!(
            read[1].to_string(),
            "rejected by operator ann: no",
            "as it was written"
        );
    }

    /// The structured reasons win when a sender sends both.
    #[test]
    fn structured_reasons_win_over_lines() {
        let sent = from_wire(
            vec![Reason::new("a", "limit", "x").to_wire()],
            vec!["b (limit): y".into()],
        );
        assert_eq!(sent, vec![Reason::new("a", "limit", "x")]);
        let old = from_wire(vec![], vec!["b (limit): y".into()]);
        assert_eq!(old, vec![Reason::new("b", "limit", "y")]);
    }
}
