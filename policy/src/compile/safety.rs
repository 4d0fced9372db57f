//! Safety bounds: fee cap, unconfirmed cap, deadline and clock skew, message rules.

use nem::Amount;
use regex::Regex;

use super::compiler::Compiler;
use crate::duration::parse_seconds;
use crate::model::Safety;
use crate::problem::Path;
use crate::raw::RawSafety;

pub(super) fn safety(c: &mut Compiler, s: RawSafety) -> Safety {
    let path = Path::root().key("safety");
    let mut xem = |key: &str, text: Option<&String>| {
        text.and_then(|t| match t.parse::<Amount>() {
            Ok(a) => Some(a),
            Err(e) => {
                c.problem(path.key(key), None, e.to_string());
                None
            }
        })
    };
    let fee_cap = xem("fee_cap", s.fee_cap.as_ref());
    let max_unconfirmed = xem("max_unconfirmed", s.max_unconfirmed.as_ref());
    let mut seconds = |key: &str, text: Option<&String>, default: u32, max: u32| -> u32 {
        let Some(text) = text else { return default };
        match parse_seconds(text) {
            Ok(s) if s <= u64::from(max) => s as u32,
            Ok(_) => {
                c.problem(
                    path.key(key),
                    None,
                    format!(
                        "'{text}' exceeds {}",
                        crate::duration::format_seconds(u64::from(max))
                    ),
                );
                default
            }
            Err(e) => {
                c.problem(path.key(key), None, e);
                default
            }
        }
    };
    let max_deadline_seconds = seconds(
        "max_deadline",
        s.max_deadline.as_ref(),
        7_200,
        nem::time::MAX_DEADLINE_SPAN_SECONDS,
    );
    let max_timestamp_skew_seconds = seconds(
        "max_timestamp_skew",
        s.max_timestamp_skew.as_ref(),
        60,
        3_600,
    );
    let m = s.message.unwrap_or_default();
    let message_pattern = m
        .require_pattern
        .as_ref()
        .and_then(|text| match Regex::new(text) {
            Ok(r) => Some(r),
            Err(e) => {
                c.problem(
                    path.key("message").key("require_pattern"),
                    None,
                    format!("not a valid regular expression: {e}"),
                );
                None
            }
        });
    let message_max_bytes = m.max_bytes.unwrap_or(nem::fees::MAX_MESSAGE_BYTES);
    if message_max_bytes > nem::fees::MAX_MESSAGE_BYTES {
        c.problem(
            path.key("message").key("max_bytes"),
            None,
            "NIS accepts at most 1024 bytes",
        );
    }
    Safety {
        fee_cap,
        max_unconfirmed,
        max_deadline_seconds,
        max_timestamp_skew_seconds,
        message_max_bytes,
        message_pattern,
        allow_encrypted: m.allow_encrypted,
    }
}
