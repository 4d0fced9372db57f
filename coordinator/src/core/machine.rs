//! The proposal lifecycle: proposed → collecting → ready → announced → confirmed, with the exits
//! rejected, cancelled, expired and failed. Pure: (record, event, now) → (record, actions).
//!
//! Safety rules encoded here: the inner transaction is never re-signed or re-timed; one wrapper
//! only (the first signer's), then cosignatures from other signers; an announce is repeated
//! only with the same bytes; a proposal expires only after the chain was checked past its
//! deadline, and a confirmation seen later still wins.

use hanko_proto::reason::lines;
use nem::{Hash256, NemTimestamp, PublicKey, SignedTransaction};
use thiserror::Error;

use super::record::{CosignerDecision, ProposalRecord, State, Tally};

/// How long after the deadline the chain is checked before a proposal is called expired.
pub const EXPIRY_MARGIN_SECONDS: u32 = 120;
/// NIS repeats a pushed transaction's answer for 600 s.
pub const PUSH_CACHE_SECONDS: u32 = 600;
const MAX_BACKOFF_SECONDS: u32 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The proposal went out to the cosigners.
    Distributed,
    /// A cosigner's decision, verified by the driver.
    Decision {
        cosigner: PublicKey,
        decision: CosignerDecision,
    },
    /// The node's answer to announcing the initiator's wrapper.
    WrapperAnswer(Answer),
    /// The node's answer to announcing a cosigner's 0x1002.
    CosignatureAnswer {
        cosigner: PublicKey,
        answer: Answer,
    },
    /// The wrapper is in a block.
    Confirmed {
        height: u64,
        wrapper_hash: Hash256,
    },
    /// The driver looked at the chain after the deadline and did not find it.
    NotOnChain,
    Cancel {
        reason: String,
    },
    /// Time passed: expiry checks and retries.
    Tick,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// SUCCESS.
    Accepted,
    /// NEUTRAL: already known, which is as good.
    AlreadyKnown,
    /// 73: the node has no matching multisig transaction (yet).
    NoMatchingMultisig,
    /// Timeout, unreachable, 5xx, malformed answer: may pass.
    Transient(String),
    /// Any other validation failure: the node will not take these bytes.
    Refused { code: i32, name: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send the proposal to the cosigners of its account.
    Distribute,
    AnnounceWrapper {
        cosigner: PublicKey,
        transaction: SignedTransaction,
    },
    AnnounceCosignature {
        cosigner: PublicKey,
        transaction: SignedTransaction,
    },
    /// Look for the wrapper on the chain (outgoing transfers of the account).
    TrackConfirmation,
    /// Past the deadline: check the chain, then report `Confirmed` or `NotOnChain`.
    CheckChain,
    /// Tell watchers the state changed.
    Notify,
    /// A cosigner did something that must be looked at (e.g. a second, different signature).
    Alert {
        cosigner: PublicKey,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("proposal {id} is {state}: {event} is not possible any more")]
    Terminal {
        id: String,
        state: &'static str,
        event: &'static str,
    },
    #[error(
        "proposal {id} is already broadcast; it cannot be cancelled (it will confirm or expire)"
    )]
    AlreadyBroadcast { id: String },
    #[error("{cosigner} is not a cosignatory of {account}")]
    NotACosigner {
        cosigner: PublicKey,
        account: String,
    },
}

fn event_name(e: &Event) -> &'static str {
    match e {
        Event::Distributed => "distribution",
        Event::Decision { .. } => "a cosigner decision",
        Event::WrapperAnswer(_) | Event::CosignatureAnswer { .. } => "an announce answer",
        Event::Confirmed { .. } => "confirmation",
        Event::NotOnChain => "a chain check",
        Event::Cancel { .. } => "cancel",
        Event::Tick => "a timer",
    }
}

pub type Step = (ProposalRecord, Vec<Action>);

pub fn step(
    record: &ProposalRecord,
    event: Event,
    now: NemTimestamp,
) -> Result<Step, TransitionError> {
    let mut r = record.clone();
    let mut actions = Vec::new();
    let before = r.state;

    // The chain is the truth: a confirmation is taken in any state.
    if let Event::Confirmed {
        height,
        wrapper_hash,
    } = &event
    {
        if r.state != State::Confirmed {
            r.state = State::Confirmed;
            r.confirmed_height = Some(*height);
            r.broadcast.wrapper_hash = Some(*wrapper_hash);
            r.reason = None;
            actions.push(Action::Notify);
        }
        return Ok((r, actions));
    }
    if r.state.is_terminal() {
        return match event {
            // Late answers and ticks for a finished proposal are harmless.
            Event::Tick
            | Event::WrapperAnswer(_)
            | Event::CosignatureAnswer { .. }
            | Event::NotOnChain => Ok((r, actions)),
            Event::Decision { .. } => Ok((r, actions)),
            e => Err(TransitionError::Terminal {
                id: r.id.clone(),
                state: r.state.name(),
                event: event_name(&e),
            }),
        };
    }

    match event {
        Event::Distributed => {
            if r.state == State::Proposed {
                r.state = State::Collecting;
            }
        }
        Event::Decision { cosigner, decision } => {
            record_decision(&mut r, cosigner, decision, &mut actions)?
        }
        Event::WrapperAnswer(answer) => wrapper_answer(&mut r, answer, now),
        Event::CosignatureAnswer { cosigner, answer } => {
            cosignature_answer(&mut r, cosigner, answer, now)
        }
        Event::NotOnChain => {
            if now.0 >= r.deadline.0.saturating_add(EXPIRY_MARGIN_SECONDS) {
                r.state = State::Expired;
                r.reason = Some(format!(
                    "deadline {} passed and the chain does not have it; propose again",
                    r.deadline.0
                ));
            }
        }
        Event::Cancel { reason } => {
            if r.broadcast.wrapper_accepted {
                return Err(TransitionError::AlreadyBroadcast { id: r.id.clone() });
            }
            r.state = State::Cancelled;
            r.reason = Some(reason);
        }
        Event::Tick => {}
        Event::Confirmed { .. } => {}
    }

    if !r.state.is_terminal() {
        if now > r.deadline {
            // Never expire on the clock alone: it may have confirmed.
            actions.push(Action::CheckChain);
        } else {
            advance(&mut r, now, &mut actions);
        }
    }
    if r.state != before {
        actions.push(Action::Notify);
    }
    Ok((r, actions))
}

/// Whether a `Tick` would change nothing: no new record, no action (an announced proposal
/// waiting for its block, a proposal waiting for its cosigners). The ticker skips these
/// without the transition lock or a store read.
pub fn idle(record: &ProposalRecord, now: NemTimestamp) -> bool {
    // Without a copy of the record: announced, its cosignatures accepted, its deadline ahead.
    let b = &record.broadcast;
    if record.state == State::Announced
        && now <= record.deadline
        && b.initiator.is_some()
        && b.wrapper_accepted
        && cosignatures_missing(record) == 0
    {
        return true;
    }
    matches!(step(record, Event::Tick, now), Ok((next, actions)) if actions.is_empty() && next == *record)
}

fn record_decision(
    r: &mut ProposalRecord,
    cosigner: PublicKey,
    decision: CosignerDecision,
    actions: &mut Vec<Action>,
) -> Result<(), TransitionError> {
    if !r.cosigners.contains(&cosigner) {
        return Err(TransitionError::NotACosigner {
            cosigner,
            account: r.account.to_string(),
        });
    }
    match (r.decisions.get(&cosigner), &decision) {
        // A signature is final: a different one from the same cosigner is ignored and flagged.
        (Some(CosignerDecision::Signed(old)), CosignerDecision::Signed(new)) if old != new => {
            actions.push(Action::Alert {
                cosigner,
                message: "sent a second, different signature for the same proposal".into(),
            });
        }
        (Some(CosignerDecision::Signed(_)), _) => {}
        // A refusal is final too.
        (Some(CosignerDecision::Refused { .. }), _) => {}
        _ => {
            r.decisions.insert(cosigner, decision);
        }
    }
    Ok(())
}

fn wrapper_answer(r: &mut ProposalRecord, answer: Answer, now: NemTimestamp) {
    match answer {
        Answer::Accepted | Answer::AlreadyKnown => {
            r.broadcast.wrapper_accepted = true;
            r.broadcast.failures = 0;
            r.broadcast.next_attempt = None;
        }
        Answer::Transient(_) | Answer::NoMatchingMultisig => backoff(r, now),
        Answer::Refused { code, name } => {
            r.state = State::Failed;
            r.reason = Some(format!(
                "the node refused the multisig transaction: {name} ({code}); nothing was re-signed"
            ));
        }
    }
}

fn cosignature_answer(
    r: &mut ProposalRecord,
    cosigner: PublicKey,
    answer: Answer,
    now: NemTimestamp,
) {
    match answer {
        Answer::Accepted | Answer::AlreadyKnown => {
            r.broadcast.signatures_accepted.insert(cosigner);
            r.broadcast.blocked_until.remove(&cosigner);
            r.broadcast.failures = 0;
            r.broadcast.next_attempt = None;
        }
        Answer::NoMatchingMultisig => {
            // The node lost or has not seen the wrapper: announce the wrapper again (same bytes)
            // and give this cosignature time, as NIS repeats 73 for identical bytes.
            r.broadcast.wrapper_accepted = false;
            r.broadcast.blocked_until.insert(
                cosigner,
                NemTimestamp(now.0.saturating_add(PUSH_CACHE_SECONDS)),
            );
        }
        Answer::Transient(_) => backoff(r, now),
        Answer::Refused { code, name } => {
            // Another signer's cosignature may still do; block this one for good.
            r.broadcast
                .blocked_until
                .insert(cosigner, NemTimestamp(u32::MAX));
            if usable_cosigners(r, now).is_empty()
                && cosignatures_missing(r) > 0
                && !any_pending_decisions(r)
            {
                r.state = State::Failed;
                r.reason = Some(format!(
                    "the node refused cosignature transactions ({name}, {code}) and no other signer is left"
                ));
            }
        }
    }
}

fn backoff(r: &mut ProposalRecord, now: NemTimestamp) {
    r.broadcast.failures = r.broadcast.failures.saturating_add(1);
    let delay = (1u32 << r.broadcast.failures.min(6)).min(MAX_BACKOFF_SECONDS);
    r.broadcast.next_attempt = Some(NemTimestamp(now.0.saturating_add(delay)));
}

fn cosignatures_missing(r: &ProposalRecord) -> usize {
    r.required
        .saturating_sub(1)
        .saturating_sub(r.broadcast.signatures_accepted.len())
}

fn any_pending_decisions(r: &ProposalRecord) -> bool {
    r.cosigners.iter().any(|c| {
        !r.decisions.contains_key(c)
            || matches!(
                r.decisions.get(c),
                Some(CosignerDecision::NeedsApproval { .. })
            )
    })
}

/// Signers other than the initiator whose cosignature is not accepted and not blocked now.
fn usable_cosigners(r: &ProposalRecord, now: NemTimestamp) -> Vec<PublicKey> {
    r.signers()
        .filter(|k| Some(**k) != r.broadcast.initiator)
        .filter(|k| !r.broadcast.signatures_accepted.contains(k))
        .filter(|k| {
            r.broadcast
                .blocked_until
                .get(k)
                .is_none_or(|until| now >= *until)
        })
        .copied()
        .collect()
}

/// Moves the proposal forward as far as its decisions and the node allow.
fn advance(r: &mut ProposalRecord, now: NemTimestamp, actions: &mut Vec<Action>) {
    match r.state {
        State::Proposed => actions.push(Action::Distribute),
        State::Collecting => match r.tally() {
            Tally::Met => r.state = State::Ready,
            Tally::Impossible => {
                r.state = State::Rejected;
                let refusals: Vec<String> = r
                    .decisions
                    .iter()
                    .filter_map(|(k, d)| match d {
                        CosignerDecision::Refused { reasons } => {
                            Some(format!("{k}: {}", lines(reasons).join("; ")))
                        }
                        _ => None,
                    })
                    .collect();
                r.reason = Some(format!(
                    "too many cosigners refused to reach {} of {}: {}",
                    r.required,
                    r.cosigners.len(),
                    refusals.join(" | ")
                ));
                return;
            }
            Tally::Pending { .. } => return,
        },
        _ => {}
    }
    if !matches!(r.state, State::Ready | State::Announced) {
        return;
    }
    if r.broadcast.next_attempt.is_some_and(|t| now < t) {
        return;
    }
    if r.broadcast.initiator.is_none() {
        let first = r.signers().next().copied();
        r.broadcast.initiator = first;
    }
    let Some(initiator) = r.broadcast.initiator else {
        return;
    };
    if !r.broadcast.wrapper_accepted {
        if let Some(wrapper) = r.pair(&initiator).map(|p| p.wrapper.clone()) {
            r.broadcast.wrapper_hash = Some(wrapper.hash());
            actions.push(Action::AnnounceWrapper {
                cosigner: initiator,
                transaction: wrapper,
            });
        }
        return;
    }
    let missing = cosignatures_missing(r);
    if missing == 0 {
        if r.state != State::Announced {
            r.state = State::Announced;
            actions.push(Action::TrackConfirmation);
        }
        return;
    }
    for cosigner in usable_cosigners(r, now).into_iter().take(missing) {
        if let Some(pair) = r.pair(&cosigner) {
            actions.push(Action::AnnounceCosignature {
                cosigner,
                transaction: pair.cosignature.clone(),
            });
        }
    }
}
