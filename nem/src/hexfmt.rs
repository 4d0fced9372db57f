//! Hex parsing with errors that say what was wrong and where.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HexError {
    #[error("hex has odd length {0}: every byte takes two hex digits")]
    OddLength(usize),
    #[error("'{character}' at position {position} is not a hex digit (0-9, a-f, A-F)")]
    InvalidCharacter { character: char, position: usize },
    #[error("expected {expected} hex digits ({bytes} bytes), found {found}")]
    WrongLength {
        expected: usize,
        bytes: usize,
        found: usize,
    },
}

pub fn decode(s: &str) -> Result<Vec<u8>, HexError> {
    if let Some((position, character)) = s.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        return Err(HexError::InvalidCharacter {
            character,
            position,
        });
    }
    if !s.len().is_multiple_of(2) {
        return Err(HexError::OddLength(s.len()));
    }
    hex::decode(s).map_err(|_| HexError::OddLength(s.len()))
}

pub fn decode_fixed<const N: usize>(s: &str) -> Result<[u8; N], HexError> {
    let bytes = decode(s)?;
    bytes.try_into().map_err(|_| HexError::WrongLength {
        expected: N * 2,
        bytes: N,
        found: s.len(),
    })
}

/// Serialize a type as its `Display` string and deserialize it through `FromStr`,
/// so that an invalid value cannot be deserialized.
macro_rules! serde_via_str {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use serde_via_str;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(decode("abc"), Err(HexError::OddLength(3)));
        assert_eq!(
            decode("0g"),
            Err(HexError::InvalidCharacter {
                character: 'g',
                position: 1
            })
        );
        assert_eq!(
            decode_fixed::<2>("00"),
            Err(HexError::WrongLength {
                expected: 4,
                bytes: 2,
                found: 2
            })
        );
    }
}
