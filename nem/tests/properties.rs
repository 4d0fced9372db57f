//! Codec properties: decode ∘ encode is the identity, every truncation is refused, and no
//! input panics the decoder or decodes to something that re-encodes differently.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use nem::tx::*;
use nem::{Address, Amount, Hash256, NemTimestamp, Network, PublicKey};
use proptest::prelude::*;

fn network() -> impl Strategy<Value = Network> {
    prop::sample::select(Network::ALL.to_vec())
}

fn public_key() -> impl Strategy<Value = PublicKey> {
    any::<[u8; 32]>().prop_map(PublicKey)
}

fn header(net: Network, version: u8) -> impl Strategy<Value = Header> {
    (
        0u32..=i32::MAX as u32,
        public_key(),
        0u64..=i64::MAX as u64,
        0u32..=i32::MAX as u32,
    )
        .prop_map(move |(ts, signer, fee, deadline)| Header {
            network: net,
            version,
            timestamp: NemTimestamp(ts),
            signer,
            fee: Amount::from_micro(fee).unwrap(),
            deadline: NemTimestamp(deadline),
        })
}

fn mosaic_id() -> impl Strategy<Value = MosaicId> {
    (
        "[a-z0-9][a-z0-9_-]{0,6}(\\.[a-z0-9][a-z0-9_-]{0,6}){0,2}",
        "[a-z0-9][a-z0-9'_-]{0,8}( [a-z0-9'_-]{1,5}){0,2}",
    )
        .prop_map(|(namespace, name)| MosaicId { namespace, name })
}

fn transfer(net: Network) -> impl Strategy<Value = Transaction> {
    (
        prop::bool::ANY,
        public_key(),
        0u64..=i64::MAX as u64,
        prop::option::of((prop::bool::ANY, prop::collection::vec(any::<u8>(), 1..64))),
        prop::collection::vec((mosaic_id(), 0u64..=i64::MAX as u64 / 16), 0..6),
    )
        .prop_flat_map(move |(v2, recipient_key, amount, message, mosaics)| {
            let version = if v2 { 2 } else { 1 };
            header(net, version).prop_map(move |header| {
                let mosaics = if v2 {
                    canonical_mosaics(
                        mosaics
                            .iter()
                            .map(|(id, q)| Mosaic {
                                id: id.clone(),
                                quantity: *q,
                            })
                            .collect(),
                    )
                    .unwrap()
                } else {
                    vec![]
                };
                Transaction {
                    header,
                    body: Body::Transfer(Transfer {
                        recipient: Address::from_public_key(&recipient_key, net),
                        amount: Amount::from_micro(amount).unwrap(),
                        message: message.clone().map(|(plain, payload)| Message {
                            kind: if plain {
                                MessageType::Plain
                            } else {
                                MessageType::Encrypted
                            },
                            payload,
                        }),
                        mosaics,
                    }),
                }
            })
        })
}

fn signature(net: Network) -> impl Strategy<Value = Transaction> {
    (header(net, 1), any::<[u8; 32]>(), public_key()).prop_map(move |(header, hash, account)| {
        Transaction {
            header,
            body: Body::MultisigSignature(MultisigSignature {
                other_hash: Hash256(hash),
                other_account: Address::from_public_key(&account, net),
            }),
        }
    })
}

fn modification(net: Network) -> impl Strategy<Value = Transaction> {
    (
        prop::bool::ANY,
        prop::collection::vec((prop::bool::ANY, public_key()), 0..5),
        prop::option::of(-5i32..5),
    )
        .prop_flat_map(move |(v2, mods, change)| {
            let version = if v2 { 2 } else { 1 };
            header(net, version).prop_map(move |header| {
                let mut modifications: Vec<CosignatoryModification> = mods
                    .iter()
                    .map(|(add, key)| CosignatoryModification {
                        kind: if *add {
                            ModificationType::Add
                        } else {
                            ModificationType::Delete
                        },
                        cosignatory: *key,
                    })
                    .collect();
                sort_modifications(&header, &mut modifications);
                Transaction {
                    header,
                    body: Body::MultisigModification(AggregateModification {
                        modifications,
                        min_cosignatories_change: if v2 { change } else { None },
                    }),
                }
            })
        })
}

fn importance(net: Network) -> impl Strategy<Value = Transaction> {
    (header(net, 1), prop::bool::ANY, public_key()).prop_map(|(header, on, remote)| Transaction {
        header,
        body: Body::ImportanceTransfer(ImportanceTransfer {
            mode: if on {
                ImportanceMode::Activate
            } else {
                ImportanceMode::Deactivate
            },
            remote,
        }),
    })
}

fn provision(net: Network) -> impl Strategy<Value = Transaction> {
    (
        header(net, 1),
        public_key(),
        0u64..=i64::MAX as u64,
        "[a-z0-9][a-z0-9_-]{0,15}",
        prop::option::of("[a-z0-9][a-z0-9_-]{0,9}(\\.[a-z0-9][a-z0-9_-]{0,9})?"),
    )
        .prop_map(move |(header, sink, fee, new_part, parent)| Transaction {
            header,
            body: Body::ProvisionNamespace(ProvisionNamespace {
                sink: Address::from_public_key(&sink, net),
                rental_fee: Amount::from_micro(fee).unwrap(),
                new_part,
                parent,
            }),
        })
}

fn definition(net: Network) -> impl Strategy<Value = Transaction> {
    (
        header(net, 1),
        mosaic_id(),
        "[a-zA-Z0-9 円é]{0,20}[a-z]",
        (0u8..=6, 0u64..=9_000_000_000, any::<bool>(), any::<bool>()),
        prop::option::of((
            any::<bool>(),
            public_key(),
            mosaic_id(),
            0u64..=i64::MAX as u64,
        )),
        (public_key(), 0u64..=i64::MAX as u64),
    )
        .prop_map(
            move |(
                header,
                id,
                description,
                (d, supply, mutable, transferable),
                levy,
                (sink, fee),
            )| {
                Transaction {
                    body: Body::MosaicDefinition(MosaicDefinitionCreation {
                        definition: MosaicDefinition {
                            creator: header.signer,
                            id,
                            description,
                            properties: MosaicProperties {
                                divisibility: d,
                                initial_supply: supply,
                                supply_mutable: mutable,
                                transferable,
                            },
                            levy: levy.map(|(absolute, to, mosaic, fee)| MosaicLevy {
                                kind: if absolute {
                                    LevyKind::Absolute
                                } else {
                                    LevyKind::Percentile
                                },
                                recipient: Address::from_public_key(&to, net),
                                mosaic,
                                fee,
                            }),
                        },
                        sink: Address::from_public_key(&sink, net),
                        creation_fee: Amount::from_micro(fee).unwrap(),
                    }),
                    header,
                }
            },
        )
}

fn supply(net: Network) -> impl Strategy<Value = Transaction> {
    (
        header(net, 1),
        mosaic_id(),
        any::<bool>(),
        1u64..=MAX_QUANTITY,
    )
        .prop_map(|(header, mosaic, create, delta)| Transaction {
            header,
            body: Body::MosaicSupplyChange(MosaicSupplyChange {
                mosaic,
                kind: if create {
                    SupplyKind::Create
                } else {
                    SupplyKind::Delete
                },
                delta,
            }),
        })
}

fn embeddable(net: Network) -> impl Strategy<Value = Transaction> {
    prop_oneof![
        transfer(net),
        modification(net),
        importance(net),
        provision(net),
        definition(net),
        supply(net)
    ]
}

fn any_transaction() -> impl Strategy<Value = Transaction> {
    network().prop_flat_map(|net| {
        let plain = prop_oneof![signature(net), embeddable(net)];
        let inner = embeddable(net);
        let wrapped = (header(net, 1), inner).prop_map(|(header, inner)| Transaction {
            header,
            body: Body::Multisig(Box::new(inner)),
        });
        prop_oneof![plain, wrapped]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn decode_of_encode_is_identity(tx in any_transaction()) {
        let bytes = tx.to_bytes().unwrap();
        let decoded = Transaction::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&decoded, &tx);
        prop_assert_eq!(decoded.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn every_truncation_and_extension_is_refused(tx in any_transaction(), extra in 1usize..4) {
        let bytes = tx.to_bytes().unwrap();
        for len in 0..bytes.len() {
            prop_assert!(Transaction::from_bytes(&bytes[..len]).is_err(), "prefix of {} bytes accepted", len);
        }
        let mut longer = bytes.clone();
        longer.extend(std::iter::repeat_n(0u8, extra));
        let err = Transaction::from_bytes(&longer).unwrap_err();
        prop_assert!(matches!(err.kind, DecodeErrorKind::TrailingBytes(_)) || err.offset < longer.len());
    }

    #[test]
    fn mutations_never_decode_to_a_different_encoding(tx in any_transaction(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = tx.to_bytes().unwrap();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        if let Ok(decoded) = Transaction::from_bytes(&bytes) {
            prop_assert_eq!(decoded.to_bytes().unwrap(), bytes);
        }
    }

    #[test]
    fn nis_json_round_trips(tx in any_transaction(), sig in any::<[u8; 32]>()) {
        let signature = nem::Signature([sig, sig].concat().try_into().unwrap());
        let nis = nem::nis_json::NisTransaction { transaction: tx, signature: Some(signature), cosignatures: vec![] };
        let json = nem::nis_json::to_nis_json(&nis);
        prop_assert_eq!(nem::nis_json::from_nis_json(&json).unwrap(), nis);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(decoded) = Transaction::from_bytes(&bytes) {
            prop_assert_eq!(decoded.to_bytes().unwrap(), bytes);
        }
    }
}

#[test]
fn decode_errors_name_field_and_offset() {
    let inner = hex::decode("010100000100009800A3E11120000000C5F54BA980FCBB657DBAAA42700539B207873E134D2375EFEAB5F1AB52F87844A08601000000000010B1E1112800000054425A364A4B35594F435536555053535A354433473237554841504854593548445143445335594160E31600000000000D000000010000000500000068656C6C6F").unwrap();

    let err = Transaction::from_bytes(&inner[..100]).unwrap_err();
    assert_eq!(err.field, "recipient");
    assert_eq!(err.offset, 64);
    assert!(err.to_string().contains("at byte 64"), "{err}");

    let mut unknown = inner.clone();
    unknown[0] = 0x99;
    let err = Transaction::from_bytes(&unknown).unwrap_err();
    assert_eq!((err.field, err.offset), ("type", 0));
    assert_eq!(err.kind, DecodeErrorKind::UnknownType(0x0199));

    let mut wrong_network = inner.clone();
    wrong_network[7] = 0x99;
    assert_eq!(
        Transaction::from_bytes(&wrong_network).unwrap_err().kind,
        DecodeErrorKind::UnknownNetwork(0x99)
    );

    let mut version3 = inner.clone();
    version3[4] = 3;
    assert!(matches!(
        Transaction::from_bytes(&version3).unwrap_err().kind,
        DecodeErrorKind::InvalidVersion { .. }
    ));

    let mut lower_case_recipient = inner.clone();
    lower_case_recipient[65] = b'b';
    let err = Transaction::from_bytes(&lower_case_recipient).unwrap_err();
    assert_eq!((err.field, err.offset), ("recipient", 64));

    // An empty message written as an 8-byte envelope (symbol-sdk's form) is not canonical.
    let mut empty_envelope = inner[..112].to_vec();
    empty_envelope.extend_from_slice(&[8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    let err = Transaction::from_bytes(&empty_envelope).unwrap_err();
    assert!(
        matches!(err.kind, DecodeErrorKind::NonCanonical(_)),
        "{err}"
    );

    let mut trailing = inner.clone();
    trailing.push(0);
    let err = Transaction::from_bytes(&trailing).unwrap_err();
    assert_eq!(
        (err.offset, err.kind),
        (129, DecodeErrorKind::TrailingBytes(1))
    );
}

#[test]
fn unsorted_mosaics_are_refused_both_ways() {
    let key = PublicKey([7; 32]);
    let mosaics = vec![
        Mosaic {
            id: MosaicId::xem(),
            quantity: 1,
        },
        Mosaic {
            id: MosaicId {
                namespace: "alice".into(),
                name: "token".into(),
            },
            quantity: 1,
        },
    ];
    let tx = |mosaics: Vec<Mosaic>| Transaction {
        header: Header {
            network: Network::Testnet,
            version: 2,
            timestamp: NemTimestamp(1),
            signer: key,
            fee: Amount::ZERO,
            deadline: NemTimestamp(2),
        },
        body: Body::Transfer(Transfer {
            recipient: Address::from_public_key(&key, Network::Testnet),
            amount: Amount::from_micro(1_000_000).unwrap(),
            message: None,
            mosaics,
        }),
    };
    assert!(tx(mosaics.clone()).to_bytes().is_err());
    let sorted = tx(canonical_mosaics(mosaics.clone()).unwrap())
        .to_bytes()
        .unwrap();
    // Swap the two mosaic structures in the sorted encoding: the decoder must refuse it.
    let count_at = 60 + 4 + 40 + 8 + 4;
    let first_len =
        u32::from_le_bytes(sorted[count_at + 4..count_at + 8].try_into().unwrap()) as usize + 4;
    let (a, b) = sorted[count_at + 4..].split_at(first_len);
    let mut swapped = sorted[..count_at + 4].to_vec();
    swapped.extend_from_slice(b);
    swapped.extend_from_slice(a);
    assert!(matches!(
        Transaction::from_bytes(&swapped).unwrap_err().kind,
        DecodeErrorKind::NonCanonical(_)
    ));
}

fn a_definition() -> Transaction {
    let signer = PublicKey([7; 32]);
    Transaction {
        header: Header {
            network: Network::Testnet,
            version: 1,
            timestamp: NemTimestamp(100),
            signer,
            fee: Amount::from_micro(150_000).unwrap(),
            deadline: NemTimestamp(200),
        },
        body: Body::MosaicDefinition(MosaicDefinitionCreation {
            definition: MosaicDefinition {
                creator: signer,
                id: "treasury:coin".parse().unwrap(),
                description: "coin".into(),
                properties: MosaicProperties {
                    divisibility: 3,
                    initial_supply: 1_000,
                    supply_mutable: false,
                    transferable: true,
                },
                levy: None,
            },
            sink: other_types::mosaic_sink(Network::Testnet),
            creation_fee: other_types::MOSAIC_CREATION_FEE,
        }),
    }
}

/// NIS re-serializes a mosaic definition's properties in its own order and text: any other
/// order, spelling or set would fail its signature check, so the decoder refuses it.
#[test]
fn mosaic_properties_must_be_as_nis_writes_them() {
    let bytes = a_definition().to_bytes().unwrap();
    let entry = |name: &str, value: &str| {
        let mut e = vec![];
        let inner_len = 8 + name.len() + value.len();
        e.extend((inner_len as u32).to_le_bytes());
        e.extend((name.len() as u32).to_le_bytes());
        e.extend(name.as_bytes());
        e.extend((value.len() as u32).to_le_bytes());
        e.extend(value.as_bytes());
        e
    };
    let (a, b) = (entry("divisibility", "3"), entry("initialSupply", "1000"));
    let at = bytes.windows(a.len()).position(|w| w == a).unwrap();
    let mut swapped = bytes.clone();
    let pair: Vec<u8> = [b.clone(), a.clone()].concat();
    swapped.splice(at..at + a.len() + b.len(), pair);
    let err = Transaction::from_bytes(&swapped).unwrap_err();
    assert!(
        matches!(err.kind, DecodeErrorKind::NonCanonical(_)),
        "{err}"
    );
    assert_eq!(err.field, "properties");

    let mut spelled = bytes.clone();
    let b2 = entry("initialSupply", "01000");
    spelled.splice(at + a.len()..at + a.len() + b.len(), b2);
    // The definition's length grew by one byte: fix it up so only the spelling is wrong.
    let def_len_at = 60;
    let len = u32::from_le_bytes(spelled[def_len_at..def_len_at + 4].try_into().unwrap()) + 1;
    spelled[def_len_at..def_len_at + 4].copy_from_slice(&len.to_le_bytes());
    let err = Transaction::from_bytes(&spelled).unwrap_err();
    assert!(
        matches!(err.kind, DecodeErrorKind::NonCanonical(_)),
        "{err}"
    );
}

#[test]
fn a_mosaic_created_for_someone_else_is_refused() {
    let mut tx = a_definition();
    if let Body::MosaicDefinition(d) = &mut tx.body {
        d.definition.creator = PublicKey([8; 32]);
    }
    let err = tx.to_bytes().unwrap_err();
    assert!(err.reason.contains("creator"), "{err}");
}

#[test]
fn namespace_parts_follow_nis_lengths() {
    let tx = |new_part: &str, parent: Option<&str>| Transaction {
        body: Body::ProvisionNamespace(ProvisionNamespace {
            sink: other_types::namespace_sink(Network::Testnet),
            rental_fee: other_types::ROOT_NAMESPACE_RENTAL,
            new_part: new_part.into(),
            parent: parent.map(str::to_string),
        }),
        ..a_definition()
    };
    assert!(tx(&"a".repeat(16), None).to_bytes().is_ok());
    assert!(tx(&"a".repeat(17), None).to_bytes().is_err());
    assert!(tx(&"a".repeat(64), Some("root")).to_bytes().is_ok());
    assert!(tx(&"a".repeat(65), Some("root")).to_bytes().is_err());
    assert!(tx("leaf", Some("a.b.c")).to_bytes().is_err(), "4 levels");
    let bytes = tx("leaf", None).to_bytes().unwrap();
    assert_eq!(
        &bytes[bytes.len() - 4..],
        [0xFF; 4],
        "a root's parent is NIS's null"
    );
}
