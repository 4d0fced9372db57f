//! XEM amounts in micro-XEM (1 XEM = 1,000,000 micro-XEM), with checked arithmetic.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

pub const MICRO_PER_XEM: u64 = 1_000_000;

/// NIS stores amounts in a Java `long`; anything above this is negative there.
pub const MAX_MICRO: u64 = i64::MAX as u64;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    #[error("amount is empty")]
    Empty,
    #[error("amount '{0}' is not a decimal number like 12.5")]
    NotANumber(String),
    #[error("amount '{text}' has {decimals} decimal places; XEM has at most 6")]
    TooManyDecimals { text: String, decimals: usize },
    #[error("amount '{0}' is too large")]
    TooLarge(String),
    #[error("amount arithmetic overflowed")]
    Overflow,
}

/// An amount of micro-XEM. Always within a Java `long`, as NIS requires.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Amount(u64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub fn from_micro(micro: u64) -> Result<Amount, AmountError> {
        if micro > MAX_MICRO {
            return Err(AmountError::TooLarge(micro.to_string()));
        }
        Ok(Amount(micro))
    }

    /// For constants known to be in range.
    pub const fn micro(micro: u32) -> Amount {
        Amount(micro as u64)
    }

    pub fn from_xem(xem: u64) -> Result<Amount, AmountError> {
        xem.checked_mul(MICRO_PER_XEM)
            .ok_or(AmountError::Overflow)
            .and_then(Amount::from_micro)
    }

    pub fn as_micro(self) -> u64 {
        self.0
    }

    /// Whole XEM, rounded down (what NIS calls `getNumNem`).
    pub fn whole_xem(self) -> u64 {
        self.0 / MICRO_PER_XEM
    }

    pub fn checked_add(self, other: Amount) -> Result<Amount, AmountError> {
        self.0
            .checked_add(other.0)
            .filter(|v| *v <= MAX_MICRO)
            .map(Amount)
            .ok_or(AmountError::Overflow)
    }

    pub fn checked_sub(self, other: Amount) -> Result<Amount, AmountError> {
        self.0
            .checked_sub(other.0)
            .map(Amount)
            .ok_or(AmountError::Overflow)
    }

    pub fn checked_mul(self, factor: u64) -> Result<Amount, AmountError> {
        self.0
            .checked_mul(factor)
            .filter(|v| *v <= MAX_MICRO)
            .map(Amount)
            .ok_or(AmountError::Overflow)
    }

    /// The decimal XEM form: `1.5`, `0.000001`, `12`.
    pub fn to_xem_string(self) -> String {
        format_decimal(self.0, 6)
    }
}

/// Formats `value / 10^decimals` without trailing zeros.
pub fn format_decimal(value: u64, decimals: u32) -> String {
    let scale = 10u64.pow(decimals);
    let whole = value / scale;
    let frac = value % scale;
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:0width$}", width = decimals as usize);
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Parses a non-negative decimal with at most `decimals` places into integer units.
pub fn parse_decimal(text: &str, decimals: u32) -> Result<u64, AmountError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !all_digits(whole) || !all_digits(frac) {
        return Err(AmountError::NotANumber(text.to_string()));
    }
    if frac.len() > decimals as usize {
        return Err(AmountError::TooManyDecimals {
            text: text.to_string(),
            decimals: frac.len(),
        });
    }
    let too_large = || AmountError::TooLarge(text.to_string());
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_large())?
    };
    let mut frac_units: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| too_large())?
    };
    for _ in frac.len()..decimals as usize {
        frac_units *= 10;
    }
    whole
        .checked_mul(10u64.pow(decimals))
        .and_then(|w| w.checked_add(frac_units))
        .ok_or_else(too_large)
}

impl FromStr for Amount {
    type Err = AmountError;
    /// Parses XEM with at most six decimals: `12.5` → 12,500,000 micro-XEM.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let micro = parse_decimal(s, 6)?;
        Amount::from_micro(micro).map_err(|_| AmountError::TooLarge(s.trim().to_string()))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} XEM", self.to_xem_string())
    }
}

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let micro = <u64 as serde::Deserialize>::deserialize(d)?;
        Amount::from_micro(micro).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_xem() {
        assert_eq!("12.5".parse::<Amount>().unwrap().as_micro(), 12_500_000);
        assert_eq!("0.000001".parse::<Amount>().unwrap().as_micro(), 1);
        assert_eq!(".5".parse::<Amount>().unwrap().as_micro(), 500_000);
        assert_eq!("7".parse::<Amount>().unwrap().as_micro(), 7_000_000);
        assert_eq!(
            Amount::from_micro(1_500_000).unwrap().to_xem_string(),
            "1.5"
        );
        assert_eq!(Amount::from_micro(1).unwrap().to_xem_string(), "0.000001");
        assert_eq!(Amount::from_micro(2_000_000).unwrap().to_string(), "2 XEM");
    }

    #[test]
    fn refuses_bad_amounts() {
        assert!(matches!(
            "1.0000001".parse::<Amount>(),
            Err(AmountError::TooManyDecimals { decimals: 7, .. })
        ));
        for bad in ["", "-1", "1e6", "1,5", ".", "1.2.3", "+1", " 1 2"] {
            assert!(bad.parse::<Amount>().is_err(), "{bad:?} must be refused");
        }
        assert!(matches!(
            "99999999999999999999".parse::<Amount>(),
            Err(AmountError::TooLarge(_))
        ));
        assert!(Amount::from_micro(u64::MAX).is_err());
    }

    #[test]
    fn arithmetic_is_checked() {
        let max = Amount::from_micro(MAX_MICRO).unwrap();
        assert_eq!(
            max.checked_add(Amount::micro(1)),
            Err(AmountError::Overflow)
        );
        assert_eq!(
            Amount::ZERO.checked_sub(Amount::micro(1)),
            Err(AmountError::Overflow)
        );
        assert_eq!(Amount::micro(3).checked_mul(2).unwrap().as_micro(), 6);
    }
}
