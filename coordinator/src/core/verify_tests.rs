//! Garbage, duplicate and foreign signatures are refused and the culprit named; the proposer's
//! intent signature binds the proposal id and the exact inner bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::core::verify::{IntentError, check_inner_hash, verify_intent, verify_pair};
use crate::core::{ProposalRecord, SignedPair, State};
use ed25519_dalek::{Signer, SigningKey};
use nem::tx::{Body, Header, Message, MessageType, MultisigSignature, Transfer};
use nem::{
    Address, Amount, Hash256, KeyPair, NemTimestamp, Network, PrivateKey, PublicKey, Signature,
    Transaction,
};

const KEYS: [&str; 5] = [
    "575DBB3062267EFF57C970A336EBBC8FBCFE12C5BD3ED7BC11EB0481D7704CED",
    "5B0E3FA5D3B49A79022D7C1E121BA1CBBF4DB5821F47AB8C708EF88DEFC29BFE",
    "738BA9BB9110AEA8F15CAA353ACA5653B4BDFCA1DB9F34D0EFED2CE1325AEEDA",
    "E8BF9BC0F35C12D8C8BF94DD3A8B5B4034F1063948E3CC5304E55E31AA4B95A6",
    "A811CB7A80A7227AE61F6DA536534EE3C2744E3C7E4B85F3E0DF3C6A9C5613DF",
];

fn key(i: usize) -> KeyPair {
    KeyPair::from_private_key(&PrivateKey::from_nis_hex(KEYS[i]).unwrap())
}

fn header(signer: PublicKey, fee: u32) -> Header {
    Header {
        network: Network::Testnet,
        version: 1,
        timestamp: NemTimestamp(400_000_000),
        signer,
        fee: Amount::micro(fee),
        deadline: NemTimestamp(400_003_600),
    }
}

fn inner(amount: u64) -> Transaction {
    Transaction {
        header: header(key(0).public_key(), 100_000),
        body: Body::Transfer(Transfer {
            recipient: Address::from_public_key(&key(4).public_key(), Network::Testnet),
            amount: Amount::from_micro(amount).unwrap(),
            message: Some(Message {
                kind: MessageType::Plain,
                payload: b"WD-1".to_vec(),
            }),
            mosaics: vec![],
        }),
    }
}

fn multisig() -> Address {
    Address::from_public_key(&key(0).public_key(), Network::Testnet)
}

fn pair_for(
    signer: &KeyPair,
    inner_tx: &Transaction,
    hash: Hash256,
    account: Address,
    fee: u32,
) -> SignedPair {
    let wrapper = Transaction {
        header: header(signer.public_key(), fee),
        body: Body::Multisig(Box::new(inner_tx.clone())),
    };
    let cosig = Transaction {
        header: header(signer.public_key(), 150_000),
        body: Body::MultisigSignature(MultisigSignature {
            other_hash: hash,
            other_account: account,
        }),
    };
    SignedPair {
        wrapper: wrapper.sign(signer).unwrap(),
        cosignature: cosig.sign(signer).unwrap(),
    }
}

fn record() -> ProposalRecord {
    let tx = inner(1_000_000);
    ProposalRecord {
        id: "p-1".into(),
        idempotency_key: "k".into(),
        request_digest: String::new(),
        account: multisig(),
        inner: tx.to_bytes().unwrap(),
        inner_hash: tx.hash().unwrap(),
        proposer: PublicKey([9; 32]),
        proposer_signature: Signature([0; 64]),
        deadline: tx.header.deadline,
        cosigners: vec![
            key(1).public_key(),
            key(2).public_key(),
            key(3).public_key(),
        ],
        required: 2,
        state: State::Collecting,
        decisions: Default::default(),
        broadcast: Default::default(),
        confirmed_height: None,
        reason: None,
    }
}

#[test]
fn a_correct_pair_is_accepted() {
    let r = record();
    let a = key(1);
    assert_eq!(
        verify_pair(
            &r,
            &a.public_key(),
            &pair_for(&a, &inner(1_000_000), r.inner_hash, multisig(), 150_000)
        ),
        Ok(())
    );
}

#[test]
fn every_kind_of_garbage_is_refused_and_named() {
    let r = record();
    let (a, b) = (key(1), key(2));
    let good = pair_for(&a, &inner(1_000_000), r.inner_hash, multisig(), 150_000);
    let mut cases: Vec<(&str, PublicKey, SignedPair, &str)> = Vec::new();

    let mut bad_sig = good.clone();
    bad_sig.wrapper.signature.0[5] ^= 1;
    cases.push((
        "flipped wrapper signature",
        a.public_key(),
        bad_sig,
        "signature",
    ));
    let mut bad_cosig = good.clone();
    bad_cosig.cosignature.signature.0[40] ^= 1;
    cases.push((
        "flipped cosignature signature",
        a.public_key(),
        bad_cosig,
        "signature",
    ));
    cases.push((
        "another inner transaction",
        a.public_key(),
        pair_for(&a, &inner(9_000_000), r.inner_hash, multisig(), 150_000),
        "different inner",
    ));
    cases.push((
        "B's pair sent as A's",
        a.public_key(),
        pair_for(&b, &inner(1_000_000), r.inner_hash, multisig(), 150_000),
        "instead",
    ));
    cases.push((
        "wrong hash",
        a.public_key(),
        pair_for(&a, &inner(1_000_000), Hash256([7; 32]), multisig(), 150_000),
        "signs hash",
    ));
    let other_account = Address::from_public_key(&key(4).public_key(), Network::Testnet);
    cases.push((
        "wrong account",
        a.public_key(),
        pair_for(&a, &inner(1_000_000), r.inner_hash, other_account, 150_000),
        "names account",
    ));
    cases.push((
        "fee above the minimum",
        a.public_key(),
        pair_for(&a, &inner(1_000_000), r.inner_hash, multisig(), 5_000_000),
        "not the minimum",
    ));
    let stranger = key(4);
    cases.push((
        "not a cosignatory",
        stranger.public_key(),
        pair_for(
            &stranger,
            &inner(1_000_000),
            r.inner_hash,
            multisig(),
            150_000,
        ),
        "not a cosignatory",
    ));
    let mut garbage = good.clone();
    garbage.wrapper.data = vec![1, 2, 3];
    cases.push(("garbage bytes", a.public_key(), garbage, "cannot decode"));
    let mut swapped = good.clone();
    std::mem::swap(&mut swapped.wrapper, &mut swapped.cosignature);
    cases.push((
        "transactions swapped",
        a.public_key(),
        swapped,
        "not a multisig wrapper",
    ));
    let mut retimed = inner(1_000_000);
    retimed.header.deadline = NemTimestamp(400_003_601);
    let mut wrong_deadline = good.clone();
    let w = Transaction {
        header: Header {
            deadline: NemTimestamp(400_003_000),
            ..header(a.public_key(), 150_000)
        },
        body: Body::Multisig(Box::new(inner(1_000_000))),
    };
    wrong_deadline.wrapper = w.sign(&a).unwrap();
    cases.push((
        "wrapper deadline differs",
        a.public_key(),
        wrong_deadline,
        "deadline",
    ));

    let mut refused = 0;
    for (name, cosigner, pair, expect) in &cases {
        match verify_pair(&r, cosigner, pair) {
            Ok(()) => panic!("{name}: accepted"),
            Err(culprit) => {
                assert_eq!(culprit.cosigner, *cosigner, "{name}: culprit named");
                assert!(culprit.to_string().contains(expect), "{name}: {culprit}");
                refused += 1;
            }
        }
    }
    println!(
        "garbage pairs: {} cases, {refused} refused, 0 accepted",
        cases.len()
    );
    assert!(check_inner_hash(&r, &a.public_key(), &Hash256([1; 32])).is_err());
    assert!(check_inner_hash(&r, &a.public_key(), &r.inner_hash).is_ok());
}

#[test]
fn the_intent_binds_id_and_bytes() {
    let proposer = SigningKey::from_bytes(&[7; 32]);
    let public = PublicKey(proposer.verifying_key().to_bytes());
    let bytes = inner(1_000_000).to_bytes().unwrap();
    let sig = Signature(
        proposer
            .sign(&hanko_proto::intent("p-1", &bytes))
            .to_bytes(),
    );
    assert_eq!(verify_intent("p-1", &bytes, &public, &sig), Ok(()));
    assert_eq!(
        verify_intent("p-2", &bytes, &public, &sig),
        Err(IntentError::BadSignature)
    );
    let other = inner(2_000_000).to_bytes().unwrap();
    assert_eq!(
        verify_intent("p-1", &other, &public, &sig),
        Err(IntentError::BadSignature)
    );
    assert!(
        verify_intent("p-1", &bytes, &PublicKey([8; 32]), &sig).is_err(),
        "another key"
    );
    // A NEM (Keccak) signature of the same intent is not an identity signature.
    let nem_key = key(1);
    let nem_sig = nem_key.sign(&hanko_proto::intent("p-1", &bytes));
    assert!(verify_intent("p-1", &bytes, &nem_key.public_key(), &nem_sig).is_err());
}
