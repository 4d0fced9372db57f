//! Durations written as "90s", "15m", "2h", "7d".

/// Seconds in a duration like "24h"; the unit is required.
pub fn parse_seconds(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration like 90s, 15m, 2h or 7d"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(format!("'{text}' needs a unit: s, m, h or d")),
    };
    n.checked_mul(scale)
        .filter(|s| *s > 0)
        .ok_or_else(|| format!("'{text}' must be positive and reasonable"))
}

pub fn format_seconds(s: u64) -> String {
    match s {
        s if s % 86_400 == 0 && s > 172_800 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_seconds("90s"), Ok(90));
        assert_eq!(parse_seconds("24h"), Ok(86_400));
        assert_eq!(parse_seconds("7d"), Ok(604_800));
        assert!(parse_seconds("24").is_err());
        assert!(parse_seconds("0h").is_err());
        assert!(parse_seconds("h").is_err());
        assert_eq!(format_seconds(7_200), "2h");
    }
}
