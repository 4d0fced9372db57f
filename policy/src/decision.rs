//! Decisions: the outcome and every rule that fired, with a readable reason.

use serde::{Deserialize, Serialize};

/// Deny beats needs-approval beats allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allow,
    NeedsApproval,
    Deny,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::NeedsApproval => "needs_approval",
            Outcome::Deny => "deny",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        match text {
            "allow" => Some(Outcome::Allow),
            "needs_approval" => Some(Outcome::NeedsApproval),
            "deny" => Some(Outcome::Deny),
            _ => None,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One rule's verdict on one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fired {
    /// The rule's name from the policy file (or a built-in name such as `network`).
    pub rule: String,
    /// The kind of rule: limit, velocity, destination, window, proposer, approval, safety, …
    pub kind: String,
    pub outcome: Outcome,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub outcome: Outcome,
    /// Operator approvals needed when the outcome is needs_approval.
    pub approvals_required: u32,
    /// Every rule that fired, denials first.
    pub fired: Vec<Fired>,
    /// The policy version (SHA-256 of the file) that decided.
    pub policy_hash: String,
}

impl Decision {
    pub fn from_fired(mut fired: Vec<Fired>, approvals: u32, policy_hash: &str) -> Decision {
        fired.sort_by_key(|f| std::cmp::Reverse(f.outcome));
        let outcome = fired
            .iter()
            .map(|f| f.outcome)
            .max()
            .unwrap_or(Outcome::Allow);
        Decision {
            outcome,
            approvals_required: if outcome == Outcome::NeedsApproval {
                approvals.max(1)
            } else {
                0
            },
            fired,
            policy_hash: policy_hash.to_string(),
        }
    }

    /// The rules that made the outcome (those that fired with it), denials first.
    pub fn deciding(&self) -> impl Iterator<Item = &Fired> {
        self.fired.iter().filter(|f| f.outcome == self.outcome)
    }

    /// The reasons for the outcome, one line each, for operators and proposers.
    pub fn reasons(&self) -> Vec<String> {
        self.deciding()
            .map(|f| format!("{} ({}): {}", f.rule, f.kind, f.reason))
            .collect()
    }
}
