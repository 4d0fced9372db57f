//! Scale: the coordinator's start-up time and memory with many stored proposals, and that
//! listing unfinished proposals costs the same whatever the history's size. The stored
//! proposals are imported into the stopped coordinator's own store as they end up after a
//! real withdrawal (three signed decisions, the wrapper announced, confirmed, six journal
//! entries, written through the store's own write path: its draft, its acceptance, its end), and moved to the history by
//! the coordinator's own archive passes as they would run meanwhile (one after every 10,000,
//! each closing the history again and checkpointing the main store). The real daemon is then started on it twice: first with
//! the whole import still in the main store's log (sled replays what was written since it was
//! last opened), then again; then one old proposal is read, which opens the history.

use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use coordinator::core::{Broadcast, CosignerDecision, SignedPair};
use coordinator::core::{ProposalRecord, State};
use coordinator::store::{Checkpointed, Draft, Keep, Store, Transition};
use hanko_cli::local::Local;
use hanko_proto::v1 as pb;
use nem::tx::{Body, Header, MultisigSignature, Transfer};
use nem::{
    Amount, Hash256, NemTimestamp, Network, PublicKey, Signature, SignedTransaction, Transaction,
};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Scale {
    pub stored_proposals: usize,
    /// Whether the import moved finished proposals to the history, and checkpointed the main
    /// store, as the coordinator does.
    pub history: bool,
    /// Checkpoints made during the import; the median and the longest (every use of the
    /// store waits), and the longest's steps.
    pub checkpoints: usize,
    pub checkpoint_ms_median: f64,
    pub checkpoint_ms_max: f64,
    pub longest_checkpoint: Checkpointed,
    pub unfinished: usize,
    pub import_seconds: f64,
    /// The first start after the import: sled replays everything written since it was last
    /// opened (with the history: the last 10,000, as a crash just before a checkpoint).
    pub startup_ms: f64,
    pub rss_mib: f64,
    /// The next start (kill -9, start again): sled's snapshot is as of the previous start.
    pub restart_ms: f64,
    pub restart_rss_mib: f64,
    /// The main store's files on disk, and the history's.
    pub store_mib: f64,
    pub history_mib: f64,
    /// After the next start: reading one old proposal (the history is opened for it), and the
    /// resident memory then.
    pub history_read_ms: f64,
    pub history_read_rss_mib: f64,
    /// Listing every unfinished proposal, before and after the import (median of 20).
    pub list_unfinished_ms_small_history: f64,
    pub list_unfinished_ms_large_history: f64,
}

fn header(signer: PublicKey) -> Header {
    Header {
        network: Network::Testnet,
        version: 1,
        timestamp: NemTimestamp(300_000_000),
        signer,
        fee: Amount::micro(50_000),
        deadline: NemTimestamp(300_003_600),
    }
}

fn record(local: &Local, i: usize, state: State) -> Result<ProposalRecord> {
    let l = &local.layout;
    let inner = Transaction {
        header: header(l.multisig),
        body: Body::Transfer(Transfer {
            recipient: l.context.customer,
            amount: Amount::from_micro(1 + i as u64)?,
            message: None,
            mosaics: vec![],
        }),
    }
    .to_bytes()?;
    Ok(ProposalRecord {
        id: format!("{i:032x}"),
        idempotency_key: format!("scale-{i}"),
        request_digest: String::new(),
        account: l.context.account,
        inner_hash: Hash256::of(&inner),
        inner,
        proposer: PublicKey([0; 32]),
        proposer_signature: Signature([0; 64]),
        deadline: NemTimestamp(300_003_600),
        cosigners: l.cosigners.iter().map(|c| c.public_key).collect(),
        required: 2,
        state,
        decisions: Default::default(),
        broadcast: Default::default(),
        confirmed_height: (state == State::Confirmed).then_some(1),
        reason: None,
    })
}

/// `accepted` as it is once confirmed: every cosigner signed (the signatures are placeholders
/// of the real size: nothing verifies an imported record), the first one's wrapper announced.
fn finished(local: &Local, accepted: &ProposalRecord) -> Result<ProposalRecord> {
    let mut r = accepted.clone();
    let inner = Transaction::from_bytes(&r.inner)?;
    for c in &local.layout.cosigners {
        let wrapper = Transaction {
            header: header(c.public_key),
            body: Body::Multisig(Box::new(inner.clone())),
        };
        let cosignature = Transaction {
            header: header(c.public_key),
            body: Body::MultisigSignature(MultisigSignature {
                other_hash: r.inner_hash,
                other_account: r.account,
            }),
        };
        let signed = |t: &Transaction| -> Result<SignedTransaction> {
            Ok(SignedTransaction {
                data: t.to_bytes()?,
                signature: Signature([1; 64]),
            })
        };
        let pair = SignedPair {
            wrapper: signed(&wrapper)?,
            cosignature: signed(&cosignature)?,
        };
        r.decisions
            .insert(c.public_key, CosignerDecision::Signed(pair));
    }
    let first = local.layout.cosigners[0].public_key;
    let wrapper_hash = r.pair(&first).map(|p| Hash256::of(&p.wrapper.data));
    r.broadcast = Broadcast {
        initiator: Some(first),
        wrapper_hash,
        wrapper_accepted: true,
        signatures_accepted: local.layout.cosigners[1..]
            .iter()
            .map(|c| c.public_key)
            .collect(),
        ..Broadcast::default()
    };
    r.state = State::Confirmed;
    r.confirmed_height = Some(1);
    Ok(r)
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Starts the stopped coordinator: milliseconds until it is ready, and its resident memory.
fn start_coordinator(local: &mut Local) -> Result<(f64, f64)> {
    let start = Instant::now();
    local.restart_coordinator().map_err(|e| anyhow!("{e}"))?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    Ok((ms, rss_mib(coordinator_pid(local))))
}

fn coordinator_pid(local: &Local) -> u32 {
    local
        .pids()
        .into_iter()
        .find(|(n, _)| n == "coordinator")
        .map_or(0, |(_, p)| p)
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => dir_bytes(&e.path()),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    })
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(0.0)
}

async fn list_unfinished_ms(local: &Local) -> Result<f64> {
    let mut t = local.treasury().await.map_err(|e| anyhow!("{e}"))?;
    let mut samples = vec![];
    for _ in 0..20 {
        let start = Instant::now();
        let mut token = String::new();
        loop {
            let page = t
                .list(pb::ListRequest {
                    states: vec![pb::ProposalState::Collecting as i32],
                    account: String::new(),
                    page_size: 500,
                    page_token: token,
                })
                .await?
                .into_inner();
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        samples.push(start.elapsed().as_secs_f64() * 1e3);
    }
    Ok(median(samples))
}

/// Writes `r` as Prepare and Propose would (its draft, then its acceptance), then its move
/// to `done` if any, through the store's own write path; durable once the store's writes are.
async fn import(store: &Store, r: &ProposalRecord, done: Option<&ProposalRecord>) -> Result<()> {
    let draft = Draft {
        id: r.id.clone(),
        idempotency_key: r.idempotency_key.clone(),
        account: r.account,
        inner: r.inner.clone(),
        deadline: r.deadline,
        request_digest: r.request_digest.clone(),
        legacy_digest: None,
    };
    store.write_batch(&[], &[&draft]).await?;
    let step = "import";
    let mut moves = vec![Transition {
        old: None,
        new: r,
        step,
    }];
    if let Some(done) = done {
        moves.push(Transition {
            old: Some(r),
            new: done,
            step,
        });
    }
    store.write_updates(&moves).await?;
    Ok(())
}

/// Imports `stored` proposals, `unfinished` of them still collecting, into `local`'s
/// coordinator and measures it. Stops the cosigners first, so nothing acts on them.
pub fn run(
    local: &mut Local,
    runtime: &tokio::runtime::Runtime,
    stored: usize,
    unfinished: usize,
    archive: bool,
) -> Result<Scale> {
    for i in 0..local.layout.cosigners.len() {
        local.kill_cosigner(i);
    }
    let data = local.dir().join("coordinator").join("data");
    // A few unfinished ones first, with a small history: the baseline.
    local.kill_coordinator();
    let store = Store::open(&data)?;
    for i in 0..unfinished {
        runtime.block_on(import(&store, &record(local, i, State::Collecting)?, None))?;
    }
    runtime.block_on(store.durable(store.counted()))?;
    drop(store);
    local.restart_coordinator().map_err(|e| anyhow!("{e}"))?;
    let small = runtime.block_on(list_unfinished_ms(local))?;

    local.kill_coordinator();
    let store = Store::open(&data)?;
    let embedded = store
        .embedded()
        .ok_or_else(|| anyhow!("the scale figures are of the embedded store"))?;
    let start = Instant::now();
    let mut checkpoints = vec![];
    for i in unfinished..stored {
        let r = record(local, i, State::Collecting)?;
        runtime.block_on(import(&store, &r, Some(&finished(local, &r)?)))?;
        if (i + 1 - unfinished).is_multiple_of(10_000) || i + 1 == stored {
            runtime.block_on(store.durable(store.counted()))?;
            if archive {
                let keep = Keep::default();
                embedded.archive(&keep)?;
                embedded.close_history(Duration::ZERO)?;
                // As often as the coordinator would: its 100,000 writes are about 10,700
                // withdrawals (an imported proposal is written in three writes instead).
                // The last batch stays unchecked: the first start then replays what a crash
                // just before a checkpoint leaves, the worst case.
                if i + 1 < stored {
                    checkpoints.extend(embedded.checkpoint()?);
                }
            }
        }
    }
    let import_seconds = start.elapsed().as_secs_f64();
    drop(store);

    let (startup_ms, rss) = start_coordinator(local)?;
    let large = runtime.block_on(list_unfinished_ms(local))?;
    local.kill_coordinator();
    let (restart_ms, restart_rss) = start_coordinator(local)?;
    let old = format!("{unfinished:032x}");
    let start = Instant::now();
    let found = runtime.block_on(async {
        let mut t = local.treasury().await.map_err(|e| anyhow!("{e}"))?;
        let p = t
            .get(pb::GetRequest { id: old.clone() })
            .await?
            .into_inner();
        anyhow::Ok(p.id)
    })?;
    let history_read_ms = start.elapsed().as_secs_f64() * 1e3;
    if found != old {
        return Err(anyhow!("the oldest stored proposal {old} was not found"));
    }
    let history_read_rss = rss_mib(coordinator_pid(local));
    let history_bytes = dir_bytes(&coordinator::store::history::dir_in(&data));
    let longest = checkpoints
        .iter()
        .copied()
        .max_by(|a, b| a.total_ms().total_cmp(&b.total_ms()))
        .unwrap_or_default();
    Ok(Scale {
        stored_proposals: stored,
        history: archive,
        checkpoints: checkpoints.len(),
        checkpoint_ms_median: median(checkpoints.iter().map(Checkpointed::total_ms).collect()),
        checkpoint_ms_max: longest.total_ms(),
        longest_checkpoint: longest,
        unfinished,
        import_seconds,
        startup_ms,
        rss_mib: rss,
        restart_ms,
        restart_rss_mib: restart_rss,
        store_mib: dir_bytes(&data).saturating_sub(history_bytes) as f64 / (1024.0 * 1024.0),
        history_mib: history_bytes as f64 / (1024.0 * 1024.0),
        history_read_ms,
        history_read_rss_mib: history_read_rss,
        list_unfinished_ms_small_history: small,
        list_unfinished_ms_large_history: large,
    })
}
