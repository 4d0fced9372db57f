//! Policy evaluation latency with 10,000 whitelist entries and a year of history.

use std::time::Instant;

use anyhow::{Result, anyhow};
use nem::tx::{Body, Header, Message, MessageType, MosaicId, Transfer};
use nem::{Address, Amount, KeyPair, NemTimestamp, Network, PrivateKey, PublicKey, Transaction};
use policy::{Outflow, Request, WindowedHistory, evaluate};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct PolicyFigures {
    pub whitelist_entries: usize,
    pub history_records: usize,
    pub evaluations: usize,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

fn address(i: u64) -> Address {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&i.to_le_bytes());
    Address::from_public_key(&PublicKey(key), Network::Testnet)
}

fn policy_text(treasury: &Address, whitelist: usize) -> String {
    let mut text = format!(
        "version = 1\nnetwork = \"testnet\"\naccounts = [\"{treasury}\"]\ntime_zone = \"Asia/Tokyo\"\n\
         [[limit]]\nname = \"per-tx\"\nasset = \"nem:xem\"\nmax = \"50000\"\n\
         [[velocity]]\nname = \"hourly\"\nasset = \"nem:xem\"\nmax = \"100000000\"\nwindow = \"1h\"\n\
         [[velocity]]\nname = \"daily\"\nasset = \"nem:xem\"\nmax = \"100000000\"\nwindow = \"24h\"\n\
         [[velocity]]\nname = \"weekly\"\nasset = \"nem:xem\"\nmax = \"100000000\"\nwindow = \"7d\"\n\
         [[velocity]]\nname = \"month\"\nasset = \"nem:xem\"\nmax = \"1000000000\"\nperiod = \"month\"\n\
         [[velocity]]\nname = \"per-destination\"\nasset = \"nem:xem\"\nmax = \"10000000\"\nperiod = \"day\"\nper = \"destination\"\n\
         [[window]]\nname = \"always\"\ndays = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"]\nfrom = \"00:00\"\nto = \"23:59\"\n\
         [[approval]]\nname = \"large\"\nasset = \"nem:xem\"\nabove = \"40000\"\n\
         [[proposer]]\nname = \"bench\"\nkey = \"{proposer}\"\n\
         [safety]\nmax_deadline = \"2h\"\n[destinations]\nunlisted = \"deny\"\n",
        proposer = PublicKey([2; 32])
    );
    for i in 0..whitelist as u64 {
        text.push_str(&format!(
            "[[destinations.whitelist]]\naddress = \"{}\"\nlabel = \"customer {i}\"\nactive_from = \"2025-01-01T00:00:00Z\"\n",
            address(i)
        ));
    }
    text
}

pub fn run(evaluations: usize) -> Result<PolicyFigures> {
    let multisig = KeyPair::from_private_key(&PrivateKey::from_nis_hex(
        "575DBB3062267EFF57C970A336EBBC8FBCFE12C5BD3ED7BC11EB0481D7704CED",
    )?);
    let treasury = Address::from_public_key(&multisig.public_key(), Network::Testnet);
    let whitelist = 10_000;
    let policy = policy::lint(&policy_text(&treasury, whitelist))
        .map_err(|p| anyhow!("benchmark policy does not lint: {p:?}"))?
        .policy;

    // A year of history: 100 withdrawals a day to whitelisted destinations.
    let now: jiff::Timestamp = "2026-11-24T01:00:00Z".parse()?;
    let mut history = WindowedHistory::new();
    let per_day = 100;
    for n in 0..365 * per_day {
        let at = now - jiff::SignedDuration::from_secs((n as i64 + 1) * 86_400 / per_day as i64);
        history.record(&Outflow {
            at,
            account: treasury,
            destination: Some(address((n % whitelist) as u64)),
            proposer: None,
            asset: MosaicId::xem(),
            amount: 1_000_000,
        });
    }
    let ts = NemTimestamp::from_timestamp(now).ok_or_else(|| anyhow!("time"))?;
    let mut samples = Vec::with_capacity(evaluations);
    for i in 0..evaluations {
        let tx = Transaction {
            header: Header {
                network: Network::Testnet,
                version: 1,
                timestamp: ts,
                signer: multisig.public_key(),
                fee: Amount::micro(100_000),
                deadline: NemTimestamp(ts.0 + 3_600),
            },
            body: Body::Transfer(Transfer {
                recipient: address((i * 7 % whitelist) as u64),
                amount: Amount::from_xem(1 + (i as u64 % 30_000))?,
                message: Some(Message {
                    kind: MessageType::Plain,
                    payload: b"WD-1".to_vec(),
                }),
                mosaics: vec![],
            }),
        };
        let minimum_fee = nem::fees::minimum_fee(&tx, &nem::fees::XemOnly)?;
        let req = Request {
            tx: &tx,
            proposer: PublicKey([2; 32]),
            now,
            minimum_fee,
            cosignatories: 3,
        };
        let start = Instant::now();
        let decision = evaluate(&policy, &req, &history);
        samples.push(start.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(decision);
    }
    samples.sort_by(f64::total_cmp);
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    Ok(PolicyFigures {
        whitelist_entries: policy.whitelist.len(),
        history_records: history.len(),
        evaluations,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        max_us: pct(1.0),
    })
}
