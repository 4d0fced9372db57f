//! Building inner transactions: every invalid request is refused naming the field; the node's
//! view of the account must match configuration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::core::build::{
    BuildConfig, ConfiguredAccount, WithdrawalRequest, build_inner, check_account,
};
use nem::fees::XemOnly;
use nem::{Address, KeyPair, NemTimestamp, Network, PrivateKey, PublicKey};

const TREASURY: &str = "TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2";
const CUSTOMER: &str = "TCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVFZOQCJ6";

fn public(hex: &str) -> PublicKey {
    KeyPair::from_private_key(&PrivateKey::from_nis_hex(hex).unwrap()).public_key()
}

fn accounts() -> Vec<ConfiguredAccount> {
    vec![ConfiguredAccount {
        public_key: public("575DBB3062267EFF57C970A336EBBC8FBCFE12C5BD3ED7BC11EB0481D7704CED"),
        cosigners: vec![
            public("5B0E3FA5D3B49A79022D7C1E121BA1CBBF4DB5821F47AB8C708EF88DEFC29BFE"),
            public("738BA9BB9110AEA8F15CAA353ACA5653B4BDFCA1DB9F34D0EFED2CE1325AEEDA"),
            public("E8BF9BC0F35C12D8C8BF94DD3A8B5B4034F1063948E3CC5304E55E31AA4B95A6"),
        ],
        required: 2,
    }]
}

fn cfg() -> BuildConfig {
    BuildConfig {
        network: Network::Testnet,
        deadline_seconds: 3_600,
        timestamp_lag_seconds: 5,
    }
}

fn req(amount: &str) -> WithdrawalRequest {
    WithdrawalRequest {
        account: TREASURY.into(),
        recipient: CUSTOMER.into(),
        amount: amount.into(),
        mosaics: vec![],
        message: "WD-000001".into(),
    }
}

#[test]
fn builds_a_minimum_fee_transfer_from_network_time() {
    let tx = build_inner(
        &req("12.5"),
        &cfg(),
        &accounts(),
        NemTimestamp(400_000_000),
        &XemOnly,
    )
    .unwrap();
    assert_eq!(tx.header.timestamp, NemTimestamp(399_999_995));
    assert_eq!(tx.header.deadline, NemTimestamp(400_003_595));
    assert_eq!(tx.header.fee.as_micro(), 100_000);
    assert_eq!(tx.signer_address().to_string(), TREASURY);
    assert_eq!(tx.transfer().unwrap().amount.as_micro(), 12_500_000);
    // Dashed, lower-case addresses are fine.
    let mut r = req("1");
    r.recipient = "tcqw2p-5dnz5b-bxqvgs-367dq4-ahc3rx-oevfzo-qcj6".into();
    assert!(build_inner(&r, &cfg(), &accounts(), NemTimestamp(400_000_000), &XemOnly).is_ok());
    let mut m = req("");
    m.mosaics = vec![("nem:xem".into(), 3_000_000)];
    let tx = build_inner(&m, &cfg(), &accounts(), NemTimestamp(400_000_000), &XemOnly).unwrap();
    assert_eq!((tx.header.version, tx.header.fee.as_micro()), (2, 100_000));
}

#[test]
fn every_bad_field_is_named() {
    let now = NemTimestamp(400_000_000);
    let cases: Vec<(WithdrawalRequest, &str, &str)> = vec![
        (
            WithdrawalRequest {
                account: "TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK3".into(),
                ..req("1")
            },
            "account",
            "checksum",
        ),
        (
            WithdrawalRequest {
                account: CUSTOMER.into(),
                ..req("1")
            },
            "account",
            "not a multisig account this coordinator serves",
        ),
        (
            WithdrawalRequest {
                recipient: "NDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5JFXJ4R4".into(),
                ..req("1")
            },
            "recipient",
            "testnet address",
        ),
        (
            WithdrawalRequest {
                recipient: TREASURY.into(),
                ..req("1")
            },
            "recipient",
            "itself",
        ),
        (req("1.0000001"), "amount", "7 decimal places"),
        (req("-5"), "amount", "not a decimal"),
        (req(""), "amount", "nothing to send"),
        (
            WithdrawalRequest {
                mosaics: vec![("acme:token".into(), 5)],
                ..req("")
            },
            "mosaics",
            "definition",
        ),
        (
            WithdrawalRequest {
                mosaics: vec![("Acme:token".into(), 5)],
                ..req("")
            },
            "mosaics[0]",
            "namespace",
        ),
        (
            WithdrawalRequest {
                mosaics: vec![("nem:xem".into(), 1), ("nem:xem".into(), 2)],
                ..req("")
            },
            "mosaics[1]",
            "twice",
        ),
        (
            WithdrawalRequest {
                mosaics: vec![("nem:xem".into(), 1)],
                ..req("5")
            },
            "amount",
            "nem:xem",
        ),
        (
            WithdrawalRequest {
                message: "x".repeat(1025),
                ..req("1")
            },
            "message",
            "at most 1024",
        ),
    ];
    for (r, field, text) in cases {
        let e = build_inner(&r, &cfg(), &accounts(), now, &XemOnly).unwrap_err();
        assert_eq!(e.field, field, "{e}");
        assert!(e.to_string().contains(text), "{e} should say {text}");
    }
    let mut long = cfg();
    long.deadline_seconds = 86_401;
    assert_eq!(
        build_inner(&req("1"), &long, &accounts(), now, &XemOnly)
            .unwrap_err()
            .field,
        "deadline"
    );
}

fn node_view(cosigners: &[PublicKey], count: u32, min: u32) -> nem::client::AccountMetaDataPair {
    let info = |k: &PublicKey| serde_json::json!({"address": Address::from_public_key(k, Network::Testnet).to_string(), "balance": 0, "publicKey": k.to_string(), "multisigInfo": {}});
    serde_json::from_value(serde_json::json!({
        "account": {"address": TREASURY, "balance": 1, "publicKey": accounts()[0].public_key.to_string(),
                    "multisigInfo": {"cosignatoriesCount": count, "minCosignatories": min}},
        "meta": {"cosignatories": cosigners.iter().map(info).collect::<Vec<_>>(), "cosignatoryOf": []}
    }))
    .unwrap()
}

#[test]
fn node_and_configuration_must_agree() {
    let a = &accounts()[0];
    assert_eq!(
        check_account(a, &node_view(&a.cosigners, 3, 2), Network::Testnet),
        Ok(())
    );
    let e = check_account(a, &node_view(&a.cosigners, 3, 3), Network::Testnet).unwrap_err();
    assert!(
        e.to_string().contains("3 of 3") && e.to_string().contains("stopped"),
        "{e}"
    );
    let swapped = [a.cosigners[0], a.cosigners[1], PublicKey([9; 32])];
    let e = check_account(a, &node_view(&swapped, 3, 2), Network::Testnet).unwrap_err();
    assert!(e.to_string().contains("cosignatories"), "{e}");
    let mut plain = node_view(&a.cosigners, 3, 2);
    plain.account.multisig_info = None;
    assert!(
        check_account(a, &plain, Network::Testnet)
            .unwrap_err()
            .to_string()
            .contains("not a multisig")
    );
}
