//! NIS1 keys and Ed25519-with-Keccak-512 signatures.
//!
//! NIS1 differs from RFC 8032 only in the hash: every SHA-512 is Keccak-512. Private keys are
//! shown as the big-endian hex of the seed integer, so the bytes are reversed before use.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::VerifyingKey;
use ed25519_dalek::hazmat::{self, ExpandedSecretKey};
use sha3::Keccak512;
use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

use crate::hash::keccak512;
use crate::hexfmt::{self, HexError};

/// The order of the Ed25519 base point, little-endian.
pub(crate) const GROUP_ORDER_LE: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
];

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    #[error("private key has {0} hex digits; NIS1 private keys have 64, or 66 starting with '00'")]
    PrivateKeyLength(usize),
    #[error("66-digit private key must start with '00' (found '{0}')")]
    PrivateKeyPrefix(String),
    #[error("private key is not hex: {0}")]
    PrivateKeyHex(HexError),
    #[error("public key: {0}")]
    PublicKeyHex(HexError),
    #[error("signature: {0}")]
    SignatureHex(HexError),
}

/// Why a signature was refused. NIS refuses the same cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SignatureError {
    #[error("public key is all zeros")]
    ZeroPublicKey,
    #[error("public key is not a point on the curve")]
    PublicKeyNotOnCurve,
    #[error("signature S is zero")]
    ZeroS,
    #[error("signature S is not canonical (S >= L)")]
    NonCanonicalS,
    #[error("signature does not match the data and public key")]
    Mismatch,
}

/// A 32-byte Ed25519 seed. Zeroized on drop; never printed.
#[derive(Clone, Zeroize, zeroize::ZeroizeOnDrop)]
pub struct PrivateKey([u8; 32]);

impl PrivateKey {
    /// Parses the NIS1 hex form (64 digits, or 66 with a leading `00`), reversing the bytes.
    pub fn from_nis_hex(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let digits = match text.len() {
            64 => text,
            66 if text.starts_with("00") => &text[2..],
            66 => return Err(KeyError::PrivateKeyPrefix(text.chars().take(2).collect())),
            n => return Err(KeyError::PrivateKeyLength(n)),
        };
        let mut seed = Zeroizing::new([0u8; 32]);
        if let Some((position, character)) =
            digits.char_indices().find(|(_, c)| !c.is_ascii_hexdigit())
        {
            let position = position + text.len() - digits.len();
            return Err(KeyError::PrivateKeyHex(HexError::InvalidCharacter {
                character,
                position,
            }));
        }
        hex::decode_to_slice(digits, seed.as_mut_slice())
            .map_err(|_| KeyError::PrivateKeyLength(text.len()))?;
        seed.reverse();
        Ok(PrivateKey(*seed))
    }

    /// Builds a key from seed bytes as the signing algorithm uses them (already reversed).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        PrivateKey(seed)
    }

    /// The NIS1 hex form (64 upper-case digits), for key export only.
    pub fn to_nis_hex(&self) -> Zeroizing<String> {
        let mut reversed = Zeroizing::new(self.0);
        reversed.reverse();
        Zeroizing::new(hex::encode_upper(reversed.as_slice()))
    }

    pub fn seed(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// A 32-byte Ed25519 public key in its standard encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        hexfmt::decode_fixed::<32>(s.trim())
            .map(PublicKey)
            .map_err(KeyError::PublicKeyHex)
    }
}

hexfmt::serde_via_str!(PublicKey);

/// A 64-byte `R ‖ S` signature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

impl Signature {
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

impl FromStr for Signature {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        hexfmt::decode_fixed::<64>(s.trim())
            .map(Signature)
            .map_err(KeyError::SignatureHex)
    }
}

hexfmt::serde_via_str!(Signature);

/// A signing key: the expanded secret (zeroized on drop by ed25519-dalek) and its public key.
pub struct KeyPair {
    secret: ExpandedSecretKey,
    verifying: VerifyingKey,
}

impl KeyPair {
    pub fn from_private_key(key: &PrivateKey) -> Self {
        let expanded = Zeroizing::new(keccak512(key.seed()));
        let secret = ExpandedSecretKey::from_bytes(&expanded);
        let verifying = VerifyingKey::from(&secret);
        KeyPair { secret, verifying }
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.verifying.to_bytes())
    }

    pub fn sign(&self, message: &[u8]) -> Signature {
        let signature = hazmat::raw_sign::<Keccak512>(&self.secret, message, &self.verifying);
        Signature(signature.to_bytes())
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KeyPair {{ public: {}, secret: <redacted> }}",
            self.public_key()
        )
    }
}

/// Verifies as NIS does: reject a zero public key, S = 0 and S >= L, then compare the
/// recomputed R with the signature's R byte for byte (cofactorless).
pub fn verify(
    public_key: &PublicKey,
    message: &[u8],
    signature: &Signature,
) -> Result<(), SignatureError> {
    if public_key.0 == [0u8; 32] {
        return Err(SignatureError::ZeroPublicKey);
    }
    let s: [u8; 32] = signature.0[32..]
        .try_into()
        .map_err(|_| SignatureError::Mismatch)?;
    if s == [0u8; 32] {
        return Err(SignatureError::ZeroS);
    }
    if !scalar_is_canonical(&s) {
        return Err(SignatureError::NonCanonicalS);
    }
    let verifying =
        VerifyingKey::from_bytes(&public_key.0).map_err(|_| SignatureError::PublicKeyNotOnCurve)?;
    let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
    hazmat::raw_verify::<Keccak512>(&verifying, message, &signature)
        .map_err(|_| SignatureError::Mismatch)
}

/// S < L, comparing little-endian integers from the most significant byte.
fn scalar_is_canonical(s: &[u8; 32]) -> bool {
    for (a, l) in s.iter().rev().zip(GROUP_ORDER_LE.iter().rev()) {
        if a != l {
            return a < l;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY0: &str = "575DBB3062267EFF57C970A336EBBC8FBCFE12C5BD3ED7BC11EB0481D7704CED";

    #[test]
    fn reverses_private_key_bytes() {
        let key = PrivateKey::from_nis_hex(KEY0).unwrap();
        assert_eq!(
            hex::encode_upper(key.seed()),
            "ED4C70D78104EB11BCD73EBDC512FEBC8FBCEB36A370C957FF7E266230BB5D57"
        );
        assert_eq!(key.to_nis_hex().as_str(), KEY0);
    }

    #[test]
    fn accepts_66_digit_form_and_rejects_bad_prefix() {
        let with_prefix = format!("00{KEY0}");
        let a = PrivateKey::from_nis_hex(&with_prefix).unwrap();
        let b = PrivateKey::from_nis_hex(KEY0).unwrap();
        assert_eq!(a.seed(), b.seed());
        let bad = format!("01{KEY0}");
        assert_eq!(
            PrivateKey::from_nis_hex(&bad).unwrap_err(),
            KeyError::PrivateKeyPrefix("01".into())
        );
        assert_eq!(
            PrivateKey::from_nis_hex("abcd").unwrap_err(),
            KeyError::PrivateKeyLength(4)
        );
    }

    #[test]
    fn debug_is_redacted() {
        let key = PrivateKey::from_nis_hex(KEY0).unwrap();
        let text = format!("{key:?} {:?}", KeyPair::from_private_key(&key));
        assert!(!text.to_lowercase().contains(&KEY0[..16].to_lowercase()));
        assert!(text.contains("redacted"));
    }

    #[test]
    fn nem_sdk_signing_vector() {
        // nem-sdk test/crypto/keyPair_spec.js
        let key = PrivateKey::from_nis_hex(
            "abf4cf55a2b3f742d7543d9cc17f50447b969e6e06f5ea9195d428ab12b7318d",
        )
        .unwrap();
        let pair = KeyPair::from_private_key(&key);
        assert_eq!(
            pair.public_key().to_string(),
            "8a558c728c21c126181e5e654b404a45b4f0137ce88177435a69978cc6bec1f4"
        );
        let data = hex::decode(
            "8ce03cd60514233b86789729102ea09e867fc6d964dea8c2018ef7d0a2e0e24bf7e348e917116690b9",
        )
        .unwrap();
        let signature = pair.sign(&data);
        assert_eq!(
            signature.to_string(),
            "d9cec0cc0e3465fab229f8e1d6db68ab9cc99a18cb0435f70deb6100948576cd5c0aa1feb550bdd8693ef81eb10a556a622db1f9301986827b96716a7134230c"
        );
        assert_eq!(verify(&pair.public_key(), &data, &signature), Ok(()));
    }

    #[test]
    fn verification_rejects_what_nis_rejects() {
        let pair = KeyPair::from_private_key(&PrivateKey::from_nis_hex(KEY0).unwrap());
        let message = b"hanko";
        let good = pair.sign(message);
        let public = pair.public_key();

        let mut zero_s = good;
        zero_s.0[32..].fill(0);
        assert_eq!(
            verify(&public, message, &zero_s),
            Err(SignatureError::ZeroS)
        );

        let s_plus_l = crate::testing::non_canonical_twin(&good);
        assert_eq!(
            verify(&public, message, &s_plus_l),
            Err(SignatureError::NonCanonicalS)
        );

        assert_eq!(
            verify(&PublicKey([0; 32]), message, &good),
            Err(SignatureError::ZeroPublicKey)
        );
        assert_eq!(
            verify(&public, b"hanko!", &good),
            Err(SignatureError::Mismatch)
        );
        let mut flipped = good;
        flipped.0[0] ^= 1;
        assert_eq!(
            verify(&public, message, &flipped),
            Err(SignatureError::Mismatch)
        );
    }
}
