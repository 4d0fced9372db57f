//! Time windows with their zones, days and holidays.

use std::collections::HashSet;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

use super::compiler::Compiler;
use crate::decision::Outcome;
use crate::model::Window;
use crate::problem::Path;
use crate::raw::RawPolicy;

pub(super) fn windows(c: &mut Compiler, raw: &RawPolicy, default_tz: &TimeZone) -> Vec<Window> {
    let p = Path::root;
    let mut windows = Vec::new();
    for (i, w) in raw.windows.iter().enumerate() {
        let path = p().key("window").index(i);
        let rule = Some(w.name.as_str());
        c.check_name(path.clone(), &w.name);
        let mut days = [false; 7];
        for (j, d) in w.days.iter().enumerate() {
            match ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                .iter()
                .position(|x| x == d)
            {
                Some(k) => days[k] = true,
                None => c.problem(
                    path.key("days").index(j),
                    rule,
                    format!("'{d}' is not mon, tue, wed, thu, fri, sat or sun"),
                ),
            }
        }
        let time = |c: &mut Compiler, key: &str, text: &str| match text.parse::<Time>() {
            Ok(t) => Some(t),
            Err(_) => {
                c.problem(
                    path.key(key),
                    rule,
                    format!("'{text}' is not a local time like 09:00"),
                );
                None
            }
        };
        let from = time(c, "from", &w.from);
        let to = time(c, "to", &w.to);
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            c.problem(
                path.key("to"),
                rule,
                format!("the window ends ({t}) before it starts ({f})"),
            );
        }
        let tz = match &w.time_zone {
            Some(name) => c.time_zone(path.key("time_zone"), rule, name),
            None => Some(default_tz.clone()),
        };
        let mut holidays = HashSet::new();
        for (j, h) in w.holidays.iter().enumerate() {
            match h.parse::<Date>() {
                Ok(d) => {
                    holidays.insert(d);
                }
                Err(_) => c.problem(
                    path.key("holidays").index(j),
                    rule,
                    format!("'{h}' is not a date like 2026-12-31"),
                ),
            }
        }
        let outside = c.outcome(
            path.key("outside"),
            rule,
            w.outside.as_deref(),
            Outcome::Deny,
            &[Outcome::Deny, Outcome::NeedsApproval],
        );
        if let (Some(from), Some(to), Some(time_zone)) = (from, to, tz) {
            windows.push(Window {
                name: w.name.clone(),
                days,
                from,
                to,
                time_zone,
                holidays,
                outside,
            });
        }
    }

    windows
}
