//! What a withdrawal costs the multisig account: every asset that leaves it and every fee it
//! pays, by NIS's rules. Limits, velocity, approval tiers and proposer caps count this, so a
//! zero-amount transfer is not free and a namespace rental is not invisible.
//!
//! NIS debits the multisig account for the inner transaction's fee, the wrapper's fee and the
//! fee of every signature transaction attached (more than needed are accepted and all are
//! charged), plus the rental or creation fee a namespace or mosaic definition pays its sink.

use std::collections::BTreeMap;

use nem::fees::{MULTISIG_SIGNATURE_FEE, MULTISIG_WRAPPER_FEE};
use nem::tx::{Body, MosaicId};
use nem::{Address, Transaction};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cost {
    /// Smallest units per asset leaving the account; XEM includes every fee and rental.
    pub assets: BTreeMap<MosaicId, u128>,
    /// Where it goes: the recipient, or the sink of a rental; `None` when only fees are paid.
    pub destination: Option<Address>,
    /// Micro-XEM of fees: the inner transaction's, the wrapper's and the signatures'.
    pub fees: u128,
    /// Micro-XEM paid to a rental or creation fee sink.
    pub rental: u128,
}

/// What a multisig withdrawal costs beyond its inner transaction's own fee, at most: the
/// wrapper and a signature transaction from each of the other `cosignatories − 1`.
pub fn outer_fees(cosignatories: u32) -> u128 {
    u128::from(MULTISIG_WRAPPER_FEE.as_micro())
        + u128::from(cosignatories.saturating_sub(1))
            * u128::from(MULTISIG_SIGNATURE_FEE.as_micro())
}

impl Cost {
    /// The cost of `tx` (an inner transaction) with `outer_fees` micro-XEM paid around it
    /// (see [`outer_fees`]; for a confirmed one, the wrapper's and signatures' real fees).
    pub fn of(tx: &Transaction, outer_fees: u128) -> Cost {
        let mut cost = Cost {
            fees: u128::from(tx.header.fee.as_micro()).saturating_add(outer_fees),
            ..Cost::default()
        };
        match &tx.body {
            Body::Transfer(t) => {
                cost.destination = Some(t.recipient);
                if t.mosaics.is_empty() {
                    cost.add(MosaicId::xem(), u128::from(t.amount.as_micro()));
                } else {
                    for m in &t.mosaics {
                        let moved =
                            u128::from(t.amount.as_micro()) * u128::from(m.quantity) / 1_000_000;
                        cost.add(m.id.clone(), moved);
                    }
                }
            }
            Body::ProvisionNamespace(p) => {
                cost.destination = Some(p.sink);
                cost.rental = u128::from(p.rental_fee.as_micro());
            }
            Body::MosaicDefinition(d) => {
                cost.destination = Some(d.sink);
                cost.rental = u128::from(d.creation_fee.as_micro());
            }
            // Creating supply moves nothing out; destroying it destroys units the account
            // holds, which pays no one: a supply change costs its fee.
            Body::MosaicSupplyChange(_)
            | Body::MultisigModification(_)
            | Body::ImportanceTransfer(_)
            | Body::Multisig(_)
            | Body::MultisigSignature(_) => {}
        }
        cost.add(MosaicId::xem(), cost.fees.saturating_add(cost.rental));
        cost.assets.retain(|_, units| *units > 0);
        cost
    }

    fn add(&mut self, asset: MosaicId, units: u128) {
        let total = self.assets.entry(asset).or_insert(0);
        *total = total.saturating_add(units);
    }

    /// Smallest units of `asset` this costs.
    pub fn of_asset(&self, asset: &MosaicId) -> u128 {
        self.assets.get(asset).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nem::tx::{Header, Mosaic, Transfer};
    use nem::{Amount, NemTimestamp, Network, PublicKey};

    fn transfer(amount: u64, mosaics: Vec<Mosaic>) -> Transaction {
        let key = PublicKey([1; 32]);
        Transaction {
            header: Header {
                network: Network::Testnet,
                version: if mosaics.is_empty() { 1 } else { 2 },
                timestamp: NemTimestamp(1),
                signer: key,
                fee: Amount::from_micro(50_000).unwrap_or_default(),
                deadline: NemTimestamp(2),
            },
            body: Body::Transfer(Transfer {
                recipient: Address::from_public_key(&key, Network::Testnet),
                amount: Amount::from_micro(amount).unwrap_or_default(),
                message: None,
                mosaics,
            }),
        }
    }

    #[test]
    fn fees_count_as_xem_and_a_zero_transfer_is_not_free() {
        // 2-of-3: the wrapper and up to two signature transactions around the inner fee.
        assert_eq!(outer_fees(3), 450_000);
        let zero = Cost::of(&transfer(0, vec![]), outer_fees(3));
        assert_eq!(zero.fees, 500_000);
        assert_eq!(zero.of_asset(&MosaicId::xem()), 500_000);
        let five = Cost::of(&transfer(5_000_000, vec![]), outer_fees(3));
        assert_eq!(five.of_asset(&MosaicId::xem()), 5_500_000);
    }

    #[test]
    fn multiplier_applies_to_mosaics_and_xem_mosaic_counts_as_xem() {
        let token = MosaicId {
            namespace: "acme".into(),
            name: "token".into(),
        };
        let cost = Cost::of(
            &transfer(
                2_000_000,
                vec![
                    Mosaic {
                        id: token.clone(),
                        quantity: 7,
                    },
                    Mosaic {
                        id: MosaicId::xem(),
                        quantity: 3_000_000,
                    },
                ],
            ),
            0,
        );
        assert_eq!(cost.of_asset(&token), 14);
        assert_eq!(cost.of_asset(&MosaicId::xem()), 6_000_000 + 50_000);
    }
}
