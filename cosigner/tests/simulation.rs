//! Deterministic simulation of a 2-of-3 withdrawal flow: the coordinator's real core
//! (`coordinator::core::step`) and its real check of submitted decisions (`decision_of`), three
//! cosigners deciding with their real pure parts (examination, velocity history from their own
//! chain view and their signed bindings, policy, signing), and a NIS-like chain, joined by a
//! seeded network that loses, duplicates and reorders messages; the coordinator and the
//! cosigners crash (losing everything in flight, keeping what they had recorded) and the
//! cosigners' clocks are skewed. After each schedule the network heals and the flow runs to
//! rest; then the invariants are checked: every proposal finishes, it is confirmed exactly when
//! it was paid, one wrapper per proposal, every signature the coordinator holds is a signed
//! binding of its cosigner on the same inner hash, no cosigner signs past its velocity limit.
//! The cosigner's one rule kept outside its pure parts (a proposal id is bound to the first
//! bytes it decided on) is restated here.
//!
//! `HANKO_SIM_SCHEDULES` (default 2,000) and `HANKO_SIM_SEED` (the first seed) reproduce any
//! run: a failure prints its seed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::collections::{HashMap, HashSet, VecDeque};

use common::*;
use coordinator::core::{self, Action, Answer, CosignerDecision, Event, ProposalRecord, State};
use cosigner::chain::ChainOutflow;
use cosigner::examine::{AccountFacts, Identity, Offer, check_facts, examine};
use cosigner::record::{Binding, Status};
use hanko_proto::v1 as pb;
use nem::tx::Body;
use nem::{Hash256, KeyPair, NemTimestamp, PublicKey, SignedTransaction, Transaction};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const LIMIT_XEM: u64 = 10_000;
const CAP_XEM: u64 = 3_000;

enum Msg {
    Offer {
        to: usize,
        id: String,
    },
    Answer {
        from: usize,
        req: pb::SubmitDecisionRequest,
    },
    Announce {
        id: String,
        tx: SignedTransaction,
        by: Option<PublicKey>,
    },
    Lookup {
        id: String,
    },
    Apply {
        id: String,
        event: Event,
    },
}

impl Msg {
    fn involves(&self, cosigner: usize) -> bool {
        matches!(self, Msg::Offer { to, .. } if *to == cosigner)
            || matches!(self, Msg::Answer { from, .. } if *from == cosigner)
    }
}

struct Cosigner {
    key: KeyPair,
    skew: i64,
    /// Durable: recorded before any answer leaves.
    bindings: HashMap<String, Binding>,
}

#[derive(Default)]
struct Chain {
    pending: HashMap<Hash256, (SignedTransaction, HashSet<PublicKey>)>,
    paid: HashMap<Hash256, (u64, Hash256)>,
    outflows: Vec<ChainOutflow>,
    paid_xem: u64,
}

impl Chain {
    /// NIS's answer to an announce, and inclusion once the wrapper has one cosignature.
    fn announce(&mut self, tx: &SignedTransaction, at: NemTimestamp) -> Answer {
        let decoded = Transaction::from_bytes(&tx.data).unwrap();
        if at > decoded.header.deadline {
            return Answer::Refused {
                code: 3,
                name: "FAILURE_PAST_DEADLINE".into(),
            };
        }
        let inner_hash = match &decoded.body {
            Body::Multisig(inner) => {
                let h = inner.hash().unwrap();
                if self.paid.contains_key(&h) {
                    return Answer::AlreadyKnown;
                }
                match self.pending.get(&h) {
                    Some((w, _)) if w.hash() == tx.hash() => return Answer::AlreadyKnown,
                    Some(_) => {
                        return Answer::Refused {
                            code: 10,
                            name: "FAILURE_ENTITY_UNUSABLE".into(),
                        };
                    }
                    None => {}
                }
                self.pending.insert(h, (tx.clone(), HashSet::new()));
                h
            }
            Body::MultisigSignature(s) => {
                if self.paid.contains_key(&s.other_hash) {
                    return Answer::AlreadyKnown;
                }
                let Some((_, cosigners)) = self.pending.get_mut(&s.other_hash) else {
                    return Answer::NoMatchingMultisig;
                };
                if !cosigners.insert(decoded.header.signer) {
                    return Answer::AlreadyKnown;
                }
                s.other_hash
            }
            _ => panic!("the coordinator announced a {:?}", decoded.kind()),
        };
        if let Some((wrapper, cosigners)) = self.pending.get(&inner_hash)
            && !cosigners.is_empty()
        {
            let w = Transaction::from_bytes(&wrapper.data).unwrap();
            let Body::Multisig(inner) = &w.body else {
                unreachable!()
            };
            // The block's time; the wrapper and one signature are paid around the inner fee.
            let block = at.to_timestamp();
            let outflows = policy::Outflow::of(inner, 300_000, None, block);
            self.paid_xem += inner.transfer().unwrap().amount.as_micro() / 1_000_000;
            self.outflows.push(ChainOutflow {
                inner_hash,
                at: block,
                outflows,
            });
            self.paid
                .insert(inner_hash, (self.paid.len() as u64 + 2, wrapper.hash()));
            self.pending.remove(&inner_hash);
        }
        Answer::Accepted
    }
}

struct World {
    rng: StdRng,
    now: NemTimestamp,
    policy: policy::Policy,
    accounts: Vec<nem::Address>,
    records: Vec<ProposalRecord>,
    cosigners: Vec<Cosigner>,
    chain: Chain,
    net: VecDeque<Msg>,
    /// Every wrapper announced per proposal: must be one.
    wrappers: HashMap<String, HashSet<Hash256>>,
    delivered: usize,
}

impl World {
    fn index(&self, id: &str) -> usize {
        self.records.iter().position(|r| r.id == id).unwrap()
    }

    /// The coordinator: one event through the real core, then its actions as messages.
    fn apply(&mut self, id: &str, event: Event) {
        let i = self.index(id);
        let Ok((next, actions)) = core::step(&self.records[i], event, self.now) else {
            return;
        };
        self.records[i] = next.clone();
        for action in actions {
            match action {
                Action::Distribute => {
                    for (c, cos) in self.cosigners.iter().enumerate() {
                        if next.cosigners.contains(&cos.key.public_key()) {
                            self.net.push_back(Msg::Offer {
                                to: c,
                                id: id.into(),
                            });
                        }
                    }
                    self.net.push_back(Msg::Apply {
                        id: id.into(),
                        event: Event::Distributed,
                    });
                }
                Action::AnnounceWrapper { transaction, .. } => {
                    self.wrappers
                        .entry(id.into())
                        .or_default()
                        .insert(transaction.hash());
                    self.net.push_back(Msg::Announce {
                        id: id.into(),
                        tx: transaction,
                        by: None,
                    });
                }
                Action::AnnounceCosignature {
                    cosigner,
                    transaction,
                } => self.net.push_back(Msg::Announce {
                    id: id.into(),
                    tx: transaction,
                    by: Some(cosigner),
                }),
                Action::TrackConfirmation | Action::CheckChain => {
                    self.net.push_back(Msg::Lookup { id: id.into() })
                }
                Action::Notify | Action::Alert { .. } => {}
            }
        }
    }

    /// A cosigner: the engine's binding rule around its real pure decision parts.
    fn decide(&mut self, c: usize, id: &str) -> pb::SubmitDecisionRequest {
        let r = &self.records[self.index(id)];
        let offer = Offer {
            proposal_id: r.id.clone(),
            account: r.account.to_string(),
            inner_transaction: r.inner.clone(),
            proposer: proposer().verifying_key().to_bytes().to_vec(),
            proposer_signature: r.proposer_signature.0.to_vec(),
        };
        let cos = &self.cosigners[c];
        let my_now = NemTimestamp((i64::from(self.now.0) + cos.skew) as u32);
        let me = Identity {
            key: cos.key.public_key(),
            network: nem::Network::Testnet,
            accounts: &self.accounts,
            proposers: None,
        };
        let status = match cos.bindings.get(id) {
            Some(b) if b.inner == offer.inner_transaction => b.status.clone(),
            Some(_) => panic!("the simulated coordinator offered new bytes"),
            None => {
                let x = examine(&offer, &me).unwrap();
                let facts = AccountFacts {
                    public_key: Some(nem_key(0).public_key()),
                    cosignatories: self.cosigners.iter().map(|c| c.key.public_key()).collect(),
                    required: 2,
                };
                check_facts(&x, &facts, &me).unwrap();
                let chain = std::sync::Arc::new(cosigner::chain::ChainHistory::of(
                    std::sync::Arc::new(self.chain.outflows.clone()),
                ));
                let snapshot = cosigner::chain::Snapshot {
                    facts: facts.clone(),
                    outflows: std::sync::Arc::new(self.chain.outflows.clone()),
                    history: chain.clone(),
                    incomplete: None,
                    read_at: std::time::Instant::now(),
                };
                // Every signature counts (a schedule is shorter than any window) unless the
                // chain counts it itself.
                let own = cos
                    .bindings
                    .values()
                    .filter(|b| !chain.on_chain.contains_key(&b.inner_hash))
                    .collect();
                let context = cosigner::decide::Context {
                    snapshot: &snapshot,
                    own,
                    now: my_now.to_timestamp(),
                };
                let decision = cosigner::decide::verdict(&self.policy, &x, &context);
                let status =
                    cosigner::decide::status(&decision, &x, &facts, vec![], my_now.to_timestamp());
                let binding = Binding::of(&x, &offer, 0, status.clone());
                self.cosigners[c].bindings.insert(id.into(), binding);
                status
            }
        };
        let cos = &self.cosigners[c];
        let outcome = match status {
            Status::Signed { .. } => {
                let tx = Transaction::from_bytes(&offer.inner_transaction).unwrap();
                let pair = cosigner::sign::cosign(&cos.key, &tx, r.account).unwrap();
                let signed = |t: &SignedTransaction| pb::SignedTransaction {
                    data: t.data.clone(),
                    signature: t.signature.0.to_vec(),
                };
                pb::cosigner_decision::Outcome::Signed(pb::SignedPair {
                    wrapper: Some(signed(&pair.wrapper)),
                    cosignature: Some(signed(&pair.cosignature)),
                })
            }
            Status::Refused {
                reasons,
                policy_hash,
            } => pb::cosigner_decision::Outcome::Refused(pb::Refusal {
                reasons: hanko_proto::reason::lines(&reasons),
                policy_hash,
                details: reasons.iter().map(|r| r.to_wire()).collect(),
            }),
            other => panic!("no approvals in this simulation: {other:?}"),
        };
        pb::SubmitDecisionRequest {
            proposal_id: id.into(),
            inner_hash: r.inner_hash.0.to_vec(),
            decision: Some(pb::CosignerDecision {
                cosigner: cos.key.public_key().0.to_vec(),
                outcome: Some(outcome),
            }),
        }
    }

    fn deliver(&mut self, msg: Msg) {
        self.delivered += 1;
        match msg {
            Msg::Offer { to, id } => {
                let req = self.decide(to, &id);
                self.net.push_back(Msg::Answer { from: to, req });
            }
            Msg::Answer { from, req } => {
                let id = req.proposal_id.clone();
                let key = self.cosigners[from].key.public_key();
                let record = &self.records[self.index(&id)];
                if let Ok(decision) = coordinator::api::decision_of(record, &key, req) {
                    self.apply(
                        &id,
                        Event::Decision {
                            cosigner: key,
                            decision,
                        },
                    );
                }
            }
            Msg::Announce { id, tx, by } => {
                let answer = self.chain.announce(&tx, self.now);
                let event = match by {
                    None => Event::WrapperAnswer(answer),
                    Some(cosigner) => Event::CosignatureAnswer { cosigner, answer },
                };
                self.net.push_back(Msg::Apply { id, event });
            }
            Msg::Lookup { id } => {
                let r = &self.records[self.index(&id)];
                let event = match self.chain.paid.get(&r.inner_hash) {
                    Some((height, wrapper_hash)) => Event::Confirmed {
                        height: *height,
                        wrapper_hash: *wrapper_hash,
                    },
                    None if self.now > r.deadline => Event::NotOnChain,
                    None => return,
                };
                self.net.push_back(Msg::Apply { id, event });
            }
            Msg::Apply { id, event } => self.apply(&id, event),
        }
    }

    /// A cosigner's link came up (again): the coordinator offers it every unfinished proposal
    /// it has not decided on for good, as `Subscribe` does.
    fn resubscribe(&mut self, c: usize) {
        let key = self.cosigners[c].key.public_key();
        for r in self.records.iter().filter(|r| !r.state.is_terminal()) {
            if !matches!(
                r.decisions.get(&key),
                Some(CosignerDecision::Signed(_) | CosignerDecision::Refused { .. })
            ) {
                self.net.push_back(Msg::Offer {
                    to: c,
                    id: r.id.clone(),
                });
            }
        }
    }

    fn tick_all(&mut self) {
        let ids: Vec<String> = self
            .records
            .iter()
            .filter(|r| !r.state.is_terminal())
            .map(|r| r.id.clone())
            .collect();
        for id in ids {
            // As the driver's ticker: announced proposals are looked up on chain every tick.
            if self.records[self.index(&id)].state == State::Announced {
                self.net.push_back(Msg::Lookup { id: id.clone() });
            }
            self.apply(&id, Event::Tick);
        }
    }
}

fn start() -> NemTimestamp {
    NemTimestamp::from_timestamp("2026-06-02T10:00:00Z".parse().unwrap()).unwrap()
}

/// Odd seeds run under `safety.max_unconfirmed`, even seeds without it.
fn capped(seed: u64) -> bool {
    seed % 2 == 1
}

fn world(seed: u64) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut text = policy_text(LIMIT_XEM, "");
    if capped(seed) {
        text = text.replace(
            "max_timestamp_skew = \"60s\"",
            &format!("max_timestamp_skew = \"60s\"\nmax_unconfirmed = \"{CAP_XEM}\""),
        );
    }
    let policy = policy::lint(&text).unwrap().policy;
    assert_eq!(policy.safety.max_unconfirmed.is_some(), capped(seed));
    let cosigners = (1..=3)
        .map(|i| Cosigner {
            key: nem_key(i),
            skew: rng.random_range(-50..=50),
            bindings: HashMap::new(),
        })
        .collect::<Vec<_>>();
    let keys: Vec<PublicKey> = cosigners.iter().map(|c| c.key.public_key()).collect();
    let count = rng.random_range(2..=6);
    let mut records = vec![];
    for k in 0..count {
        let xem = rng.random_range(500..=4_000u64);
        let id = format!("p{k}");
        let mut tx = transfer_from(&nem_key(0), CUSTOMER, xem * 1_000_000, id.as_bytes());
        // A fixed time, so a seed replays the same bytes whenever it runs.
        tx.header.timestamp = start();
        tx.header.deadline = NemTimestamp(start().0 + 3_600);
        let offer = offer_for(&id, &tx);
        let mut r = coordinator::testing::collecting(
            &id,
            TREASURY.parse().unwrap(),
            offer.inner_transaction,
            keys.clone(),
        );
        r.state = State::Proposed;
        r.proposer = PublicKey(proposer().verifying_key().to_bytes());
        r.proposer_signature = nem::Signature(offer.proposer_signature.try_into().unwrap());
        records.push(r);
    }
    let now = records
        .iter()
        .map(|r| Transaction::from_bytes(&r.inner).unwrap().header.timestamp)
        .max()
        .unwrap();
    World {
        rng,
        now: NemTimestamp(now.0 + 5),
        policy,
        accounts: vec![TREASURY.parse().unwrap()],
        records,
        cosigners,
        chain: Chain::default(),
        net: VecDeque::new(),
        wrappers: HashMap::new(),
        delivered: 0,
    }
}

/// One schedule; the figures it adds to, or the broken invariant.
fn run(seed: u64, totals: &mut [usize; 7]) -> Result<(), String> {
    let mut w = world(seed);
    let (loss, dup) = (w.rng.random_range(0..30), w.rng.random_range(0..20));
    for _ in 0..w.rng.random_range(20..200) {
        match w.rng.random_range(0..100) {
            0..=59 if !w.net.is_empty() => {
                let at = w.rng.random_range(0..w.net.len());
                let msg = w.net.remove(at).unwrap();
                if w.rng.random_range(0..100) < loss {
                    // A lost message on a cosigner's link is a broken link: it reconnects.
                    totals[1] += 1;
                    if let Msg::Offer { to: c, .. } | Msg::Answer { from: c, .. } = msg {
                        w.resubscribe(c);
                    }
                    continue;
                }
                if w.rng.random_range(0..100) < dup
                    && let Msg::Offer { to, id } = &msg
                {
                    totals[2] += 1;
                    w.net.push_back(Msg::Offer {
                        to: *to,
                        id: id.clone(),
                    });
                }
                w.deliver(msg);
            }
            60..=79 => w.tick_all(),
            80..=92 => w.now = NemTimestamp(w.now.0 + w.rng.random_range(0..3)),
            93..=96 => {
                // The coordinator crashes: what was in flight is gone; its records stay.
                totals[3] += 1;
                w.net.clear();
                for c in 0..3 {
                    w.resubscribe(c);
                }
            }
            _ => {
                // A cosigner crashes: its messages are gone; its bindings stay.
                totals[3] += 1;
                let c = w.rng.random_range(0..3);
                w.net.retain(|m| !m.involves(c));
                w.resubscribe(c);
            }
        }
    }
    // The network heals: run to rest.
    for _ in 0..200 {
        w.tick_all();
        while let Some(msg) = w.net.pop_front() {
            w.deliver(msg);
        }
        if w.records.iter().all(|r| r.state.is_terminal()) {
            break;
        }
        // Time runs on, past the deadline if it must: everything ends confirmed or expired.
        w.now = NemTimestamp(w.now.0 + 30);
    }
    totals[0] += w.delivered;
    totals[4] += w.chain.paid.len();

    // Invariants.
    for r in &w.records {
        if !r.state.is_terminal() {
            return Err(format!(
                "{} never finished: {:?} {:?} pending on chain: {:?}",
                r.id,
                r.state,
                r.broadcast,
                w.chain.pending.get(&r.inner_hash).map(|(_, c)| c.len())
            ));
        }
        let paid = w.chain.paid.contains_key(&r.inner_hash);
        if paid != (r.state == State::Confirmed) {
            return Err(format!("{} is {:?}, paid on chain: {paid}", r.id, r.state));
        }
        if w.wrappers.get(&r.id).is_some_and(|s| s.len() > 1) {
            return Err(format!("{}: two different wrappers announced", r.id));
        }
        for (key, d) in &r.decisions {
            let CosignerDecision::Signed(_) = d else {
                continue;
            };
            let c = w
                .cosigners
                .iter()
                .find(|c| c.key.public_key() == *key)
                .unwrap();
            match c.bindings.get(&r.id).map(|b| (&b.status, b.inner_hash)) {
                Some((Status::Signed { .. }, h)) if h == r.inner_hash => {}
                other => return Err(format!("{}: a signature with no binding: {other:?}", r.id)),
            }
        }
    }
    // Each cosigner counts its own signatures and what it sees on chain, so none signs past the
    // limit. A coordinator that collects signatures from different pairs at once, before any
    // confirms, is bounded only by n / m × the limit (1.5 × here): see `worst` below.
    if capped(seed) && w.chain.paid_xem > LIMIT_XEM {
        return Err(format!(
            "{} XEM paid past the {LIMIT_XEM} XEM limit under safety.max_unconfirmed",
            w.chain.paid_xem
        ));
    }
    if w.chain.paid_xem * 2 > LIMIT_XEM * 3 {
        return Err(format!(
            "{} XEM paid: past 1.5 × the {LIMIT_XEM} XEM limit",
            w.chain.paid_xem
        ));
    }
    let slot = if capped(seed) { 6 } else { 5 };
    totals[slot] = totals[slot].max(w.chain.paid_xem as usize);
    for c in &w.cosigners {
        let signed: u64 = c
            .bindings
            .values()
            .filter(|b| matches!(b.status, Status::Signed { .. }))
            .map(|b| {
                Transaction::from_bytes(&b.inner)
                    .unwrap()
                    .transfer()
                    .unwrap()
                    .amount
                    .as_micro()
                    / 1_000_000
            })
            .sum();
        if signed > LIMIT_XEM {
            return Err(format!(
                "a cosigner signed {signed} XEM against {LIMIT_XEM}"
            ));
        }
    }
    Ok(())
}

#[test]
fn seeded_schedules_of_loss_duplication_reordering_crashes_and_skew_keep_every_invariant() {
    let count: u64 = std::env::var("HANKO_SIM_SCHEDULES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000);
    let first: u64 = std::env::var("HANKO_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut totals = [0usize; 7];
    for seed in first..first + count {
        if let Err(broken) = run(seed, &mut totals) {
            panic!("seed {seed} (HANKO_SIM_SEED={seed} HANKO_SIM_SCHEDULES=1): {broken}");
        }
    }
    println!(
        "simulation: {count} schedules from seed {first}, {} messages delivered, {} lost, {} duplicated, {} crashes, {} payments; 0 invariants broken; no cosigner signed past its limit; the most paid in one schedule: {:.2} × the limit without safety.max_unconfirmed (signatures gathered from different pairs at once), {:.2} × with it",
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        totals[4],
        totals[5] as f64 / LIMIT_XEM as f64,
        totals[6] as f64 / LIMIT_XEM as f64
    );
}
