//! Prepare's idempotency digest: what a retry under the same key must ask again. It is SHA-256
//! over a stable encoding of the request (a domain tag, then each field as a length and its
//! bytes), so it stays the same across versions of any dependency. Digests stored before it
//! (of Rust's `Debug` text of the fields) still match the same request.

use sha2::{Digest, Sha256};

/// Marks a digest of the stable encoding; a stored digest without it is of the older form.
const PREFIX: &str = "c1:";
const DOMAIN: &[u8] = b"hanko.coordinator.v1/prepare\0";

/// A Prepare request's digest, and the older form it may have been stored under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestDigest {
    pub canonical: String,
    pub legacy: String,
}

impl RequestDigest {
    pub fn of(
        account: &str,
        recipient: &str,
        amount: &str,
        mosaics: &[(String, u64)],
        message: &str,
    ) -> RequestDigest {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        field(account.as_bytes());
        field(recipient.as_bytes());
        field(amount.as_bytes());
        field(&(mosaics.len() as u64).to_le_bytes());
        for (id, quantity) in mosaics {
            field(id.as_bytes());
            field(&quantity.to_le_bytes());
        }
        field(message.as_bytes());
        let legacy = hex::encode(Sha256::digest(format!(
            "{:?}",
            (account, recipient, amount, mosaics, message)
        )));
        RequestDigest {
            canonical: format!("{PREFIX}{}", hex::encode(h.finalize())),
            legacy,
        }
    }
}

/// Whether `stored` is the digest `canonical` (or, stored in the older form, `legacy`).
pub fn same_request(stored: &str, canonical: &str, legacy: Option<&str>) -> bool {
    stored == canonical || (!stored.starts_with(PREFIX) && Some(stored) == legacy)
}

#[cfg(test)]
mod tests {
    use super::*;

    impl RequestDigest {
        fn matches(&self, stored: &str) -> bool {
            same_request(stored, &self.canonical, Some(&self.legacy))
        }
    }

    /// The stable encoding is pinned: a change of it would turn every retry into a conflict.
    #[test]
    fn the_encoding_is_pinned_and_the_older_form_still_matches() {
        let d = RequestDigest::of(
            "TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2",
            "TCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVFZOQCJ6",
            "12.5",
            &[("acme:coin".into(), 7)],
            "WD-000001",
        );
        assert_eq!(
            d.canonical,
            "c1:348a616c5e65b6d41d48b6caa3d23ccc0a754c00ff75cea4d92a208c16647f25"
        );
        let before = hex::encode(Sha256::digest(format!(
            "{:?}",
            (
                &"TDD2CT6LQLIYQ56KIXI3ENTM6EK3D44P5KZPFMK2".to_string(),
                &"TCQW2P5DNZ5BBXQVGS367DQ4AHC3RXOEVFZOQCJ6".to_string(),
                &"12.5".to_string(),
                &vec![("acme:coin".to_string(), 7u64)],
                &"WD-000001".to_string()
            )
        )));
        assert_eq!(d.legacy, before, "drafts stored before must still match");
        assert!(d.matches(&d.canonical));
        assert!(d.matches(&d.legacy));
        let other = RequestDigest::of("a", "b", "1", &[], "");
        assert!(!other.matches(&d.canonical));
        assert!(!other.matches(&d.legacy));
        // Fields run together differently are different requests.
        assert_ne!(
            RequestDigest::of("ab", "c", "1", &[], "").canonical,
            RequestDigest::of("a", "bc", "1", &[], "").canonical
        );
    }
}
