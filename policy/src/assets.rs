//! The economic effect of a transaction: how much of which asset leaves the account.

use std::collections::BTreeMap;

use nem::Transaction;
use nem::tx::{Body, MosaicId};

/// Smallest units moved per asset. A v1 transfer (or v2 without mosaics) moves `amount`
/// micro-XEM; with mosaics, `amount` multiplies each quantity (÷ 1,000,000), and `nem:xem` as a
/// mosaic counts as XEM. Other transaction types move nothing here (policy refuses them by type).
pub fn effects(tx: &Transaction) -> BTreeMap<MosaicId, u128> {
    let mut out = BTreeMap::new();
    if let Body::Transfer(t) = &tx.body {
        if t.mosaics.is_empty() {
            if t.amount.as_micro() > 0 {
                out.insert(MosaicId::xem(), u128::from(t.amount.as_micro()));
            }
        } else {
            for m in &t.mosaics {
                let moved = u128::from(t.amount.as_micro()) * u128::from(m.quantity) / 1_000_000;
                *out.entry(m.id.clone()).or_insert(0) += moved;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use nem::tx::{Header, Mosaic, Transfer};
    use nem::{Address, Amount, NemTimestamp, Network, PublicKey};

    fn transfer(amount: u64, mosaics: Vec<Mosaic>) -> Transaction {
        let key = PublicKey([1; 32]);
        Transaction {
            header: Header {
                network: Network::Testnet,
                version: if mosaics.is_empty() { 1 } else { 2 },
                timestamp: NemTimestamp(1),
                signer: key,
                fee: Amount::ZERO,
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
    fn multiplier_applies_to_mosaics_and_xem_mosaic_counts_as_xem() {
        assert_eq!(effects(&transfer(5, vec![]))[&MosaicId::xem()], 5);
        let token = MosaicId {
            namespace: "acme".into(),
            name: "token".into(),
        };
        let fx = effects(&transfer(
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
        ));
        assert_eq!(fx[&token], 14);
        assert_eq!(fx[&MosaicId::xem()], 6_000_000);
    }
}
