//! A hostile coordinator (or proposer PC) tries to get a signature the cosigner must not give:
//! every field of the inner transaction changed after the proposer signed, undecodable and
//! non-canonical bytes, the wrong network or account, nested multisig, an aggregate
//! modification, fees and deadlines out of bounds, a reused proposal id, bad intents,
//! destinations policy refuses, unlisted proposers, oversized fields, and every other
//! transaction type: refused under a transfer-only policy, and under a policy that allows them
//! held for an operator (control changes) or refused (rentals to other sinks, levies to
//! refused recipients, rentals over the limit). Each is refused or held with the expected
//! reason; none is signed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use common::*;
use cosigner::engine::Answer;
use cosigner::examine::Offer;
use ed25519_dalek::SigningKey;
use nem::tx::other_types::{mosaic_sink, namespace_sink};
use nem::tx::*;
use nem::{Amount, NemTimestamp, Network, Transaction};

/// Byte offsets in a version-1 transfer (nem-protocol.md §4).
const VERSION: usize = 4;
const NETWORK: usize = 7;
const TIMESTAMP: usize = 8;
const SIGNER: usize = 16;
const FEE: usize = 48;
const DEADLINE: usize = 56;
const RECIPIENT: usize = 64;
const AMOUNT: usize = 104;
const MESSAGE_PAYLOAD: usize = 124;

fn base() -> Transaction {
    transfer(CUSTOMER, 1_000)
}

/// The proposer signed `base()`; then the coordinator changed `bytes` at `at`.
fn tampered(id: &str, at: usize, bytes: &[u8]) -> Offer {
    let mut offer = offer_for(id, &base());
    offer.inner_transaction[at..at + bytes.len()].copy_from_slice(bytes);
    offer
}

/// A transaction the proposer did sign, changed by `f` before signing.
fn proposed(id: &str, f: impl FnOnce(&mut Transaction)) -> Offer {
    let mut tx = base();
    f(&mut tx);
    offer_for(id, &tx)
}

fn with_fee(tx: &mut Transaction) {
    tx.header.fee = Amount::from_micro(tx.header.fee.as_micro() + 1).unwrap();
}

fn variants() -> Vec<(&'static str, Offer, &'static str)> {
    let other_signer = nem_key(5).public_key();
    let le = |v: u32| v.to_le_bytes();
    let t = now().0;
    let v: Vec<(&'static str, Offer, &'static str)> = vec![
        (
            "recipient changed after signing",
            tampered("h01", RECIPIENT, DENYLISTED.as_bytes()),
            "proposer_signature",
        ),
        (
            "amount changed after signing",
            tampered("h02", AMOUNT, &2_000_000_000u64.to_le_bytes()),
            "proposer_signature",
        ),
        (
            "fee changed after signing",
            tampered("h03", FEE, &20_000_000u64.to_le_bytes()),
            "proposer_signature",
        ),
        (
            "timestamp changed after signing",
            tampered("h04", TIMESTAMP, &le(t - 30)),
            "proposer_signature",
        ),
        (
            "deadline changed after signing",
            tampered("h05", DEADLINE, &le(t + 7_000)),
            "proposer_signature",
        ),
        (
            "message changed after signing",
            tampered("h06", MESSAGE_PAYLOAD, b"X"),
            "proposer_signature",
        ),
        (
            "signer changed after signing",
            tampered("h07", SIGNER, other_signer.as_bytes()),
            "inner_transaction.signer",
        ),
        (
            "network byte changed after signing",
            tampered("h08", NETWORK, &[0x68]),
            "inner_transaction.network",
        ),
        (
            "version changed after signing",
            tampered("h09", VERSION, &[2]),
            "inner_transaction:",
        ),
        (
            "truncated inner bytes",
            {
                let mut o = offer_for("h10", &base());
                o.inner_transaction.truncate(90);
                o
            },
            "truncated",
        ),
        (
            "trailing byte",
            {
                let mut o = offer_for("h11", &base());
                o.inner_transaction.push(0);
                o
            },
            "trailing",
        ),
        (
            "hash-only request (no inner bytes)",
            {
                let mut o = offer_for("h12", &base());
                o.inner_transaction = base().hash().unwrap().0.to_vec();
                o
            },
            "inner_transaction:",
        ),
        (
            "empty inner transaction",
            signed_offer("h13", TREASURY, vec![], &proposer()),
            "inner_transaction:",
        ),
        (
            "wrong network, properly proposed",
            {
                let mut o = proposed("h14", |tx| tx.header.network = Network::Mainnet);
                o.account = TREASURY.into();
                o
            },
            "inner_transaction.network",
        ),
        (
            "an account this cosigner does not serve",
            {
                let mut tx = base();
                tx.header.signer = nem_key(4).public_key();
                offer_for("h15", &tx)
            },
            "not an account this cosigner serves",
        ),
        (
            "served account whose cosignatories do not include this cosigner",
            offer_for(
                "h16",
                &transfer_from(&nem_key(5), CUSTOMER, 1_000_000, b"WD-000001"),
            ),
            "is not a cosignatory",
        ),
        (
            "offer names another account than the bytes",
            {
                let mut o = offer_for("h17", &base());
                o.account =
                    nem::Address::from_public_key(&nem_key(5).public_key(), Network::Testnet)
                        .to_string();
                o
            },
            "inner_transaction.signer",
        ),
        (
            "aggregate modification (0x1001) inside the wrapper",
            proposed("h18", |tx| {
                tx.header.fee = Amount::from_micro(500_000).unwrap();
                tx.body = Body::MultisigModification(AggregateModification {
                    modifications: vec![CosignatoryModification {
                        kind: ModificationType::Add,
                        cosignatory: nem_key(5).public_key(),
                    }],
                    min_cosignatories_change: None,
                });
            }),
            "multisig_aggregate_modification transactions are not allowed",
        ),
        (
            "a multisig wrapper (0x1004) as the inner transaction",
            {
                let inner = base();
                let mut wrapper = inner.clone();
                wrapper.header.fee = Amount::from_micro(150_000).unwrap();
                wrapper.body = Body::Multisig(Box::new(inner));
                offer_for("h19", &wrapper)
            },
            "cannot be the inner transaction",
        ),
        ("fee above the minimum", proposed("h20", with_fee), "fee"),
        (
            "deadline 23 h out",
            proposed("h21", |tx| {
                tx.header.deadline = NemTimestamp(tx.header.timestamp.0 + 23 * 3_600)
            }),
            "max_deadline",
        ),
        (
            "timestamp 10 minutes in the future",
            proposed("h22", |tx| {
                tx.header.timestamp = NemTimestamp(t + 600);
                tx.header.deadline = NemTimestamp(t + 1_800);
            }),
            "max_timestamp_skew",
        ),
        (
            "deadline already passed",
            proposed("h23", |tx| {
                tx.header.timestamp = NemTimestamp(t - 4_000);
                tx.header.deadline = NemTimestamp(t - 400);
            }),
            "has passed",
        ),
        (
            "unsigned intent",
            {
                let mut o = offer_for("h24", &base());
                o.proposer_signature = vec![];
                o
            },
            "proposer_signature: expected 64 bytes",
        ),
        (
            "intent signed by another key",
            {
                let mut o = offer_for("h25", &base());
                let other = SigningKey::from_bytes(&[7; 32]);
                o.proposer_signature =
                    signed_offer("h25", TREASURY, o.inner_transaction.clone(), &other)
                        .proposer_signature;
                o
            },
            "proposer_signature: does not verify",
        ),
        (
            "intent signed for another proposal id",
            {
                let mut o = offer_for("h26", &base());
                o.proposer_signature = offer_for("h26-other", &base()).proposer_signature;
                o
            },
            "proposer_signature: does not verify",
        ),
        (
            "malleated intent signature (S + L)",
            {
                let mut o = offer_for("h27", &base());
                let mut sig = [0u8; 64];
                sig.copy_from_slice(&o.proposer_signature);
                o.proposer_signature = nem::testing::non_canonical_twin(&nem::Signature(sig))
                    .0
                    .to_vec();
                o
            },
            "proposer_signature",
        ),
        (
            "proposer key of the wrong length",
            {
                let mut o = offer_for("h28", &base());
                o.proposer = vec![1; 31];
                o
            },
            "proposer: expected 32 bytes",
        ),
        (
            "look-alike of a whitelisted address",
            proposed("h29", |tx| {
                if let Body::Transfer(t) = &mut tx.body {
                    // Same first and last four characters as the customer's address.
                    t.recipient = lookalike();
                }
            }),
            "resembles whitelisted",
        ),
        (
            "denylisted destination",
            proposed("h30", |tx| {
                if let Body::Transfer(t) = &mut tx.body {
                    t.recipient = DENYLISTED.parse().unwrap();
                }
            }),
            "denylist",
        ),
        (
            "over the per-withdrawal limit",
            offer_for("h31", &transfer(CUSTOMER, 50_001)),
            "per-withdrawal-xem",
        ),
        (
            "encrypted message",
            proposed("h32", |tx| {
                if let Body::Transfer(t) = &mut tx.body {
                    t.message = Some(Message {
                        kind: MessageType::Encrypted,
                        payload: vec![1; 48],
                    });
                }
                tx.header.fee = nem::fees::minimum_fee(tx, &nem::fees::XemOnly).unwrap();
            }),
            "encrypted",
        ),
        (
            "a mosaic the policy does not declare",
            proposed("h33", |tx| {
                tx.header.version = 2;
                if let Body::Transfer(t) = &mut tx.body {
                    t.amount = Amount::from_micro(1_000_000).unwrap();
                    t.mosaics = vec![Mosaic {
                        id: "acme:gold".parse::<MosaicId>().unwrap(),
                        quantity: 5,
                    }];
                }
            }),
            "acme:gold",
        ),
        (
            "bad proposal id",
            {
                let mut o = offer_for("h34", &base());
                o.proposal_id = "../../etc/passwd".into();
                o
            },
            "proposal_id",
        ),
        (
            "garbage account",
            {
                let mut o = offer_for("h35", &base());
                o.account = "TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK3".into();
                o
            },
            "account:",
        ),
    ];
    v
}

/// An address with the customer's first five and last four characters (a valid checksum,
/// nobody's key: an attacker only needs the address to look right).
fn lookalike() -> nem::Address {
    use data_encoding::BASE32_NOPAD;
    use sha3::{Digest, Keccak256};
    let mut raw = [0u8; 25];
    BASE32_NOPAD
        .decode_mut(CUSTOMER.as_bytes(), &mut raw)
        .unwrap();
    for i in 0u32.. {
        raw[10..14].copy_from_slice(&i.to_le_bytes());
        let sum = Keccak256::digest(&raw[..21]);
        raw[21..].copy_from_slice(&sum[..4]);
        let text = BASE32_NOPAD.encode(&raw);
        if text[36..] == CUSTOMER[36..] && text != CUSTOMER {
            return text.parse().unwrap();
        }
    }
    unreachable!()
}

/// An inner transaction of another type from the treasury, with its fixed minimum fee.
fn other(body: Body) -> Transaction {
    let mut tx = base();
    tx.body = body;
    tx.header.fee = nem::fees::fixed_fee(tx.kind());
    tx
}

fn importance() -> Body {
    Body::ImportanceTransfer(ImportanceTransfer {
        mode: ImportanceMode::Activate,
        remote: nem_key(5).public_key(),
    })
}

fn provision(sink: nem::Address, xem: u64) -> Body {
    Body::ProvisionNamespace(ProvisionNamespace {
        sink,
        rental_fee: Amount::from_xem(xem).unwrap(),
        new_part: "treasury".into(),
        parent: None,
    })
}

fn definition(levy_to: Option<&str>, sink: nem::Address) -> Body {
    Body::MosaicDefinition(MosaicDefinitionCreation {
        definition: MosaicDefinition {
            creator: nem_key(0).public_key(),
            id: "treasury:coin".parse().unwrap(),
            description: "treasury coin".into(),
            properties: MosaicProperties {
                divisibility: 0,
                initial_supply: 1_000,
                supply_mutable: true,
                transferable: true,
            },
            levy: levy_to.map(|to| MosaicLevy {
                kind: LevyKind::Absolute,
                recipient: to.parse().unwrap(),
                mosaic: MosaicId::xem(),
                fee: 1_000_000,
            }),
        },
        sink,
        creation_fee: Amount::from_xem(10).unwrap(),
    })
}

fn supply() -> Body {
    Body::MosaicSupplyChange(MosaicSupplyChange {
        mosaic: "treasury:coin".parse().unwrap(),
        kind: SupplyKind::Create,
        delta: 5,
    })
}

fn modification(add: bool, change: Option<i32>) -> Body {
    Body::MultisigModification(AggregateModification {
        modifications: if add {
            vec![CosignatoryModification {
                kind: ModificationType::Add,
                cosignatory: nem_key(5).public_key(),
            }]
        } else {
            vec![]
        },
        min_cosignatories_change: change,
    })
}

/// The same transaction with its bytes changed by `f`, signed by the proposer as changed.
fn raw(id: &str, tx: &Transaction, f: impl FnOnce(&mut Vec<u8>)) -> Offer {
    let mut bytes = tx.to_bytes().unwrap();
    f(&mut bytes);
    signed_offer(id, TREASURY, bytes, &proposer())
}

/// Variants added with the policy hardening: proposers, sizes, other types, fees, canonical
/// forms. All refused by the transfer-only test policy.
fn hardening_variants() -> Vec<(&'static str, Offer, &'static str)> {
    let t = now().0;
    let unlisted = |id: &str, key: u8| {
        signed_offer(
            id,
            TREASURY,
            base().to_bytes().unwrap(),
            &SigningKey::from_bytes(&[key; 32]),
        )
    };
    let with_id = |id: String| {
        let mut o = offer_for("x", &base());
        o.proposal_id = id;
        o
    };
    let mosaics = |a: &str, b: &str| {
        let mut tx = base();
        tx.header.version = 2;
        if let Body::Transfer(x) = &mut tx.body {
            x.amount = Amount::from_micro(1_000_000).unwrap();
            x.mosaics = canonical_mosaics(vec![
                Mosaic {
                    id: a.parse().unwrap(),
                    quantity: 1,
                },
                Mosaic {
                    id: b.parse().unwrap(),
                    quantity: 1,
                },
            ])
            .unwrap();
        }
        tx
    };
    vec![
        (
            "an unlisted proposer key",
            unlisted("n01", 7),
            "not a proposer this cosigner's policy lists",
        ),
        (
            "another unlisted proposer key",
            unlisted("n02", 9),
            "not a proposer this cosigner's policy lists",
        ),
        (
            "a 3.9 MiB proposal id",
            with_id("x".repeat(3_900 * 1024)),
            "proposal_id",
        ),
        (
            "a 65-character proposal id",
            with_id("a".repeat(65)),
            "proposal_id",
        ),
        (
            "control characters in the proposal id",
            with_id(
                "a
b"
                .into(),
            ),
            "proposal_id",
        ),
        (
            "an empty proposal id",
            with_id(String::new()),
            "proposal_id",
        ),
        (
            "a 64 KiB inner transaction",
            signed_offer("n07", TREASURY, vec![0; 64 * 1024], &proposer()),
            "inner_transaction: 65536 bytes",
        ),
        (
            "a 4,097-byte inner transaction",
            signed_offer("n08", TREASURY, vec![1; 4_097], &proposer()),
            "at most 4096",
        ),
        (
            "a 65-byte proposer signature",
            {
                let mut o = offer_for("n09", &base());
                o.proposer_signature.push(0);
                o
            },
            "proposer_signature: 65 bytes",
        ),
        (
            "a 33-byte proposer key",
            {
                let mut o = offer_for("n10", &base());
                o.proposer.push(0);
                o
            },
            "proposer: expected 32 bytes",
        ),
        (
            "an importance transfer under a transfer-only policy",
            offer_for("n11", &other(importance())),
            "transaction_types",
        ),
        (
            "a namespace provision under a transfer-only policy",
            offer_for(
                "n12",
                &other(provision(namespace_sink(Network::Testnet), 100)),
            ),
            "transaction_types",
        ),
        (
            "a mosaic definition under a transfer-only policy",
            offer_for(
                "n13",
                &other(definition(None, mosaic_sink(Network::Testnet))),
            ),
            "transaction_types",
        ),
        (
            "a supply change under a transfer-only policy",
            offer_for("n14", &other(supply())),
            "transaction_types",
        ),
        (
            "mosaics out of NIS's order",
            raw("n15", &mosaics("acme:gold", "acme:silver"), |b| {
                // Swap the two mosaic entries, the last bytes of a version 2 transfer. An entry
                // is its length, the id's length, "acme" with its length, then the name's
                // length and the name: the name starts 20 bytes in.
                let first = b.windows(4).position(|w| w == b"gold").unwrap();
                let second = b.windows(6).position(|w| w == b"silver").unwrap();
                let entry_start = |name_at: usize| name_at - 20;
                let (a, c) = (entry_start(first), entry_start(second));
                let tail = b.split_off(a);
                let (one, two) = tail.split_at(c - a);
                b.extend_from_slice(two);
                b.extend_from_slice(one);
            }),
            "canonical",
        ),
        (
            "an empty message envelope",
            raw(
                "n16",
                &transfer_from(&nem_key(0), CUSTOMER, 1_000_000, b""),
                |b| {
                    // Message length 0 becomes an 8-byte envelope of type 1 with no payload.
                    let at = b.len() - 4;
                    b.truncate(at);
                    b.extend_from_slice(&[8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
                },
            ),
            "canonical",
        ),
        (
            "a fee below the NIS minimum",
            proposed("n17", |tx| {
                tx.header.fee = Amount::from_micro(50_000).unwrap()
            }),
            "below the NIS minimum",
        ),
        (
            "a zero fee",
            proposed("n18", |tx| tx.header.fee = Amount::ZERO),
            "below the NIS minimum",
        ),
        (
            "a message longer than the policy allows",
            proposed("n19", |tx| {
                if let Body::Transfer(x) = &mut tx.body {
                    x.message = Some(Message {
                        kind: MessageType::Plain,
                        payload: vec![b'W'; 65],
                    });
                }
                tx.header.fee = nem::fees::minimum_fee(tx, &nem::fees::XemOnly).unwrap();
            }),
            "message",
        ),
        (
            "a deadline before the timestamp",
            proposed("n20", |tx| {
                tx.header.deadline = NemTimestamp(tx.header.timestamp.0 - 1)
            }),
            "deadline",
        ),
        (
            "a timestamp 61 s ahead",
            proposed("n21", |tx| {
                tx.header.timestamp = NemTimestamp(t + 61);
                tx.header.deadline = NemTimestamp(t + 1_000);
            }),
            "max_timestamp_skew",
        ),
        (
            "XEM as a mosaic over the per-withdrawal limit",
            proposed("n22", |tx| {
                tx.header.version = 2;
                if let Body::Transfer(x) = &mut tx.body {
                    x.amount = Amount::from_micro(1_000_000).unwrap();
                    x.mosaics = vec![Mosaic {
                        id: MosaicId::xem(),
                        quantity: 60_000_000_000,
                    }];
                }
                tx.header.fee = nem::fees::minimum_fee(tx, &nem::fees::XemOnly).unwrap();
            }),
            "per-withdrawal-xem",
        ),
        (
            "a withdrawal within the limit only without its fees",
            offer_for(
                "n23",
                &transfer_from(&nem_key(0), CUSTOMER, 49_999_900_000, b"WD-000001"),
            ),
            "per-withdrawal-xem",
        ),
        (
            "the multisig account paying itself",
            offer_for(
                "n24",
                &transfer_from(&nem_key(0), TREASURY, 1_000_000, b"WD-000001"),
            ),
            "not on the whitelist",
        ),
        (
            "a transfer to NEM's namespace sink",
            offer_for(
                "n25",
                &transfer_from(
                    &nem_key(0),
                    namespace_sink(Network::Testnet).as_str(),
                    1_000_000,
                    b"WD-000001",
                ),
            ),
            "not on the whitelist",
        ),
        (
            "an all-zero proposer signature",
            {
                let mut o = offer_for("n26", &base());
                o.proposer_signature = vec![0; 64];
                o
            },
            "proposer_signature",
        ),
        (
            "a zero-amount transfer to a denylisted address",
            offer_for(
                "n27",
                &transfer_from(&nem_key(0), DENYLISTED, 0, b"WD-000001"),
            ),
            "denylist",
        ),
    ]
}

/// Under a policy that allows every type: what changes control waits for an operator, and
/// what pays elsewhere or too much is refused.
fn typed_variants() -> Vec<(&'static str, Offer, Expect)> {
    let sink = namespace_sink(Network::Testnet);
    let mosaic = mosaic_sink(Network::Testnet);
    vec![
        (
            "an aggregate modification adding the attacker's key",
            offer_for("t01", &other(modification(true, None))),
            Expect::Held("operator_approval"),
        ),
        (
            "an aggregate modification lowering the threshold",
            offer_for("t02", &{
                let mut tx = other(modification(false, Some(-1)));
                tx.header.version = 2;
                tx
            }),
            Expect::Held("operator_approval"),
        ),
        (
            "an importance transfer to the attacker's remote key",
            offer_for("t03", &other(importance())),
            Expect::Held("operator_approval"),
        ),
        (
            "a namespace rental paid to a sink that is not NEM's",
            offer_for("t04", &other(provision(DENYLISTED.parse().unwrap(), 100))),
            Expect::Refused("rental_sink"),
        ),
        (
            "a namespace rental of 60,000 XEM",
            offer_for("t05", &other(provision(sink, 60_000))),
            Expect::Refused("per-withdrawal-xem"),
        ),
        (
            "a mosaic whose levy goes to a denylisted address",
            offer_for("t06", &other(definition(Some(DENYLISTED), mosaic))),
            Expect::Refused("denylist"),
        ),
        (
            "a mosaic whose levy goes to an unlisted address",
            offer_for("t07", &other(definition(Some(TREASURY), mosaic))),
            Expect::Refused("not on the whitelist"),
        ),
        (
            "a mosaic creation fee paid to another sink",
            offer_for("t08", &other(definition(None, sink))),
            Expect::Refused("rental_sink"),
        ),
    ]
}

enum Expect {
    Refused(&'static str),
    Held(&'static str),
}

/// The answer's verdict against what was expected; counts signatures in `signed`.
fn judge(
    name: &str,
    answer: Result<Answer, cosigner::engine::Deferred>,
    expect: &Expect,
    signed: &mut usize,
) -> Option<String> {
    match (answer, expect) {
        (Ok(Answer::Refused { reasons, .. }), Expect::Refused(e))
        | (Ok(Answer::NeedsApproval { reasons, .. }), Expect::Held(e)) => {
            let text = hanko_proto::reason::lines(&reasons).join(" | ");
            (!text.contains(e)).then(|| format!("{name}: expected '{e}' in: {text}"))
        }
        (Ok(Answer::Signed(_)), _) => {
            *signed += 1;
            Some(format!("{name}: SIGNED"))
        }
        (other, _) => Some(format!("{name}: {other:?}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_offers_get_no_signature() {
    let node = devnode().await;
    let h = engine(&node, 2, &policy_text(250_000, ""));
    // First a legitimate proposal under id "known", then the same id with other bytes.
    let known = offer_for("known", &base());
    assert!(matches!(
        h.engine.decide(known).await.unwrap(),
        Answer::Signed(_)
    ));
    let mut all = variants();
    all.push((
        "known proposal id with a new hash",
        offer_for("known", &transfer(CUSTOMER, 999)),
        "AlreadyExists",
    ));
    all.extend(hardening_variants());
    let typed = typed_variants();

    let mut signed = 0;
    let mut wrong = vec![];
    for (name, offer, expected) in &all {
        let answer = h.engine.decide(offer.clone()).await;
        wrong.extend(judge(name, answer, &Expect::Refused(expected), &mut signed));
    }
    let every_type = policy_text(250_000, "").replace(
        "allow = [\"transfer\"]",
        "allow = [\"transfer\", \"multisig_aggregate_modification\", \"importance_transfer\", \"provision_namespace\", \"mosaic_definition_creation\", \"mosaic_supply_change\"]",
    );
    let lenient = engine(&node, 3, &every_type);
    for (name, offer, expected) in &typed {
        let answer = lenient.engine.decide(offer.clone()).await;
        wrong.extend(judge(name, answer, expected, &mut signed));
    }
    let count = all.len() + typed.len();
    println!("{count} hostile variants, {signed} policy-violating signatures");
    assert!(count >= 60, "{count} variants");
    assert_eq!(signed, 0);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // Refusals are in the audit journal (those before policy at a bounded rate), which still
    // verifies.
    let journal = h.engine.store().audit().unwrap();
    assert_eq!(
        cosigner::audit::verify(&journal).unwrap() as usize,
        journal.len()
    );
    assert!(journal.iter().filter(|e| e.event.kind == "refused").count() >= 20);
    assert!(journal.iter().any(|e| e.event.kind == "conflict"));
    assert!(
        h.engine
            .alerts()
            .iter()
            .any(|a| a.contains("AlreadyExists"))
    );
    node.stop().await;
}
