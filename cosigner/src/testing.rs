//! The invariants the offer fuzz target checks (shared with the corpus replay test, so CI
//! checks the committed corpus without a fuzzer), and a fixed world to check them in: one
//! multisig account served by one cosigner key, and one proposer.

use ed25519_dalek::Signer;
use hanko_proto::v1 as pb;
use nem::tx::{Body, Header, Message, MessageType, Transfer};
use nem::{Address, Amount, KeyPair, NemTimestamp, Network, PrivateKey, Transaction};
use prost::Message as _;

use crate::examine::{Identity, examine};

pub const NETWORK: Network = Network::Testnet;

pub fn multisig() -> KeyPair {
    KeyPair::from_private_key(&PrivateKey::from_seed([1; 32]))
}

pub fn cosigner() -> KeyPair {
    KeyPair::from_private_key(&PrivateKey::from_seed([2; 32]))
}

pub fn proposer() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[3; 32])
}

pub fn account() -> Address {
    Address::from_public_key(&multisig().public_key(), NETWORK)
}

/// A withdrawal of `xem` from the fixed multisig account, as the coordinator prepares it.
pub fn inner_transfer(xem: u64) -> Transaction {
    let at = NemTimestamp(300_000_000);
    Transaction {
        header: Header {
            network: NETWORK,
            version: 1,
            timestamp: at,
            signer: multisig().public_key(),
            fee: Amount::from_micro(100_000).unwrap_or(Amount::ZERO),
            deadline: NemTimestamp(at.0 + 3_600),
        },
        body: Body::Transfer(Transfer {
            recipient: Address::from_public_key(
                &KeyPair::from_private_key(&PrivateKey::from_seed([4; 32])).public_key(),
                NETWORK,
            ),
            amount: Amount::from_xem(xem).unwrap_or(Amount::ZERO),
            message: Some(Message {
                kind: MessageType::Plain,
                payload: b"WD-1".to_vec(),
            }),
            mosaics: vec![],
        }),
    }
}

/// A well-formed offer of `tx` under `id`, signed by the proposer: a seed for the fuzzer.
pub fn offer_bytes(id: &str, tx: &Transaction) -> Vec<u8> {
    let inner = tx.to_bytes().unwrap_or_default();
    let p = proposer();
    pb::ProposalForSigning {
        proposal_id: id.into(),
        account: account().to_string(),
        proposer_signature: p.sign(&hanko_proto::intent(id, &inner)).to_bytes().to_vec(),
        proposer: p.verifying_key().to_bytes().to_vec(),
        inner_transaction: inner,
        required_signatures: 2,
    }
    .encode_to_vec()
}

/// For any bytes as an offer from the coordinator: the cosigner either refuses it with a
/// coded reason, or accepts exactly the bytes it decoded and rebuilt itself, from the account
/// it serves, on its network, under the hash of those bytes.
pub fn examine_offer(data: &[u8]) -> Result<(), String> {
    let Ok(o) = pb::ProposalForSigning::decode(data) else {
        return Ok(());
    };
    let Ok(offer) = crate::examine::Offer::from_wire(o) else {
        return Ok(());
    };
    let accounts = [account()];
    let me = Identity {
        key: cosigner().public_key(),
        network: NETWORK,
        accounts: &accounts,
        proposers: None,
    };
    let x = match examine(&offer, &me) {
        Ok(x) => x,
        Err(refusal) => {
            let _ = (refusal.code(), refusal.to_string());
            return Ok(());
        }
    };
    let rebuilt =
        x.tx.to_bytes()
            .map_err(|e| format!("accepted bytes do not encode: {e}"))?;
    if rebuilt != offer.inner_transaction {
        return Err("accepted bytes that it does not rebuild exactly".into());
    }
    if x.inner_hash != nem::Hash256(nem::hash::keccak256(&offer.inner_transaction)) {
        return Err("accepted under another hash than the bytes'".into());
    }
    if x.account != account() || x.tx.header.network != NETWORK {
        return Err("accepted for an account or network it does not serve".into());
    }
    Ok(())
}

/// This cosigner's signed answer on `tx` under `id`, as it submits it: a seed for the
/// coordinator's decision fuzzer.
pub fn decision_bytes(id: &str, tx: &Transaction) -> Vec<u8> {
    let signed = |t: &nem::SignedTransaction| pb::SignedTransaction {
        data: t.data.clone(),
        signature: t.signature.0.to_vec(),
    };
    let outcome = crate::sign::cosign(&cosigner(), tx, account())
        .ok()
        .map(|c| {
            pb::cosigner_decision::Outcome::Signed(pb::SignedPair {
                wrapper: Some(signed(&c.wrapper)),
                cosignature: Some(signed(&c.cosignature)),
            })
        });
    pb::SubmitDecisionRequest {
        proposal_id: id.into(),
        inner_hash: tx.hash().map(|h| h.0.to_vec()).unwrap_or_default(),
        decision: Some(pb::CosignerDecision {
            cosigner: cosigner().public_key().0.to_vec(),
            outcome,
        }),
    }
    .encode_to_vec()
}
