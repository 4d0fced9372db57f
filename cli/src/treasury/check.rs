//! The proposer's own check of what the coordinator prepared: the proposer signs only after
//! decoding the bytes here and finding exactly the withdrawal that was asked for.

use nem::tx::{Body, MessageType, Mosaic, MosaicId};
use nem::{Address, Amount, NemTimestamp, Network, Transaction};

/// What the proposer asked for, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub account: Address,
    pub recipient: Address,
    pub amount: Amount,
    pub mosaics: Vec<Mosaic>,
    pub message: String,
}

/// How far the prepared timestamp may be from this machine's clock.
pub const MAX_CLOCK_DIFFERENCE_SECONDS: u32 = 600;

impl Asked {
    pub fn parse(
        network: Network,
        account: &str,
        recipient: &str,
        amount: Option<&str>,
        mosaics: &[String],
        message: &str,
    ) -> Result<Asked, String> {
        let account =
            Address::parse_for(account, network).map_err(|e| format!("--account: {e}"))?;
        let recipient = Address::parse_for(recipient, network).map_err(|e| format!("--to: {e}"))?;
        let amount = match amount {
            None => Amount::ZERO,
            Some(a) => a.parse::<Amount>().map_err(|e| format!("--amount: {e}"))?,
        };
        let mosaics = mosaics
            .iter()
            .map(|m| parse_mosaic(m).map_err(|e| format!("--mosaic {m}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Asked {
            account,
            recipient,
            amount,
            mosaics,
            message: message.to_string(),
        })
    }
}

/// `namespace:name=quantity` (smallest units).
pub fn parse_mosaic(text: &str) -> Result<Mosaic, String> {
    let (id, quantity) = text
        .split_once('=')
        .ok_or("expected namespace:name=quantity, e.g. acme:token=100")?;
    let id: MosaicId = id.parse()?;
    let quantity: u64 = quantity
        .parse()
        .map_err(|_| format!("quantity '{quantity}' is not a whole number of units"))?;
    Ok(Mosaic { id, quantity })
}

fn differs(field: &str, asked: impl std::fmt::Display, got: impl std::fmt::Display) -> String {
    format!("the coordinator prepared {field} {got}, but {asked} was asked for; nothing was signed")
}

/// Decodes `inner` and checks it is the asked-for transfer from the multisig account, on
/// `network`, with the minimum fee and a sane timestamp and deadline (against `now`).
pub fn check_prepared(
    asked: &Asked,
    inner: &[u8],
    network: Network,
    now: NemTimestamp,
) -> Result<Transaction, String> {
    let tx = Transaction::from_bytes(inner)
        .map_err(|e| format!("the prepared transaction does not decode: {e}"))?;
    if tx.header.network != network {
        return Err(differs("network", network, tx.header.network));
    }
    if tx.signer_address() != asked.account {
        return Err(differs("account", asked.account, tx.signer_address()));
    }
    let Body::Transfer(t) = &tx.body else {
        return Err(format!(
            "the coordinator prepared a {} transaction, not a transfer; nothing was signed",
            tx.kind().name()
        ));
    };
    if t.recipient != asked.recipient {
        return Err(differs("recipient", asked.recipient, t.recipient));
    }
    if asked.mosaics.is_empty() {
        if !t.mosaics.is_empty() || t.amount != asked.amount {
            return Err(differs("amount", asked.amount, t.amount));
        }
    } else {
        let mut want = asked.mosaics.clone();
        let mut got = t.mosaics.clone();
        let key = |m: &Mosaic| (m.id.to_string(), m.quantity);
        want.sort_by_key(key);
        got.sort_by_key(key);
        if want != got || t.amount != Amount::micro(1_000_000) {
            return Err(format!(
                "the coordinator prepared other mosaics ({} × {got:?}) than were asked for ({want:?}); nothing was signed",
                t.amount
            ));
        }
    }
    let message = match &t.message {
        None => String::new(),
        Some(m) if m.kind == MessageType::Plain => String::from_utf8_lossy(&m.payload).into(),
        Some(_) => return Err("the coordinator prepared an encrypted message".into()),
    };
    if message != asked.message {
        return Err(differs("message", &asked.message, message));
    }
    if let Ok(minimum) = nem::fees::minimum_fee(&tx, &nem::fees::XemOnly)
        && tx.header.fee != minimum
    {
        return Err(differs("fee", minimum, tx.header.fee));
    }
    let (ts, deadline) = (tx.header.timestamp.0, tx.header.deadline.0);
    if deadline <= ts || deadline - ts > nem::time::MAX_DEADLINE_SPAN_SECONDS {
        return Err(format!(
            "the prepared deadline is {} s after the timestamp; NIS allows 1 s to 24 h",
            i64::from(deadline) - i64::from(ts)
        ));
    }
    if ts.abs_diff(now.0) > MAX_CLOCK_DIFFERENCE_SECONDS {
        return Err(format!(
            "the prepared timestamp is {} s from this machine's clock (at most {MAX_CLOCK_DIFFERENCE_SECONDS}); check both clocks",
            ts.abs_diff(now.0)
        ));
    }
    Ok(tx)
}
