//! Charts as inline SVG, drawn on the server: no script, no third-party library, and the same
//! picture with the network cable pulled. Colours come from classes in `console.css`.

use maud::{Markup, html};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 8.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 22.0;

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

/// What was used over a window, as a rising line from the window's start (left) to now
/// (right), against the limit (a dashed line). `points` are (fraction of the window, used so
/// far), in order, in `unit`s; the line turns red once it is above `limit`. When what is used
/// is far below the limit, the scale is zoomed to it and the chart says the limit is above.
pub fn usage(
    points: &[(f64, f64)],
    limit: f64,
    unit: &str,
    start: &str,
    end: &str,
    caption: &str,
) -> Markup {
    let most = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let zoomed = most > 0.0 && most * 4.0 < limit;
    let top = if zoomed {
        most * 1.25
    } else {
        most.max(limit).max(1.0) * 1.1
    };
    let x = |f: f64| LEFT + f.clamp(0.0, 1.0) * (WIDTH - 2.0 * LEFT);
    let y = |v: f64| TOP + plot_height() * (1.0 - v / top);
    let mut path = String::new();
    let mut last = 0.0;
    for (i, (f, v)) in points.iter().enumerate() {
        // A step: flat until the next outflow, then up.
        if i > 0 {
            path.push_str(&format!(" L{:.1},{:.1}", x(*f), y(last)));
        }
        let verb = if i == 0 { "M" } else { "L" };
        path.push_str(&format!(" {verb}{:.1},{:.1}", x(*f), y(*v)));
        last = *v;
    }
    let over = points.iter().any(|p| p.1 > limit);
    let limit_y = format!("{:.1}", y(limit));
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(caption) {
                line.axis x1=(LEFT) y1=(y(0.0)) x2=(WIDTH - LEFT) y2=(y(0.0)) {}
                @if zoomed {
                    text.limit-label x=(WIDTH - LEFT) y=(TOP - 4.0) text-anchor="end" {
                        "limit " (plain(limit)) " " (unit) " is above this scale (0 to " (plain(top)) ")"
                    }
                } @else {
                    line.limit x1=(LEFT) y1=(limit_y) x2=(WIDTH - LEFT) y2=(limit_y) {}
                    text.limit-label x=(WIDTH - LEFT) y=(format!("{:.1}", y(limit) - 4.0)) text-anchor="end" { "limit " (plain(limit)) " " (unit) }
                }
                text.tick x=(LEFT) y=(TOP - 4.0) { (plain(top)) " " (unit) }
                path class=(if over { "used over" } else { "used" }) d=(path) {}
                text.tick x=(LEFT) y=(HEIGHT - 6.0) { (start) }
                text.tick x=(WIDTH - LEFT) y=(HEIGHT - 6.0) text-anchor="end" { (end) }
            }
            figcaption { (caption) }
        }
    }
}

/// A number as amounts are written elsewhere on the pages: no separators, at most 6
/// decimals, no trailing zeros.
fn plain(v: f64) -> String {
    let text = format!("{:.6}", v.max(0.0));
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A horizontal gauge: `used` of `limit`, red when over.
pub fn gauge(used: f64, limit: f64) -> Markup {
    let share = if limit > 0.0 { used / limit } else { 1.0 };
    let width = (share.clamp(0.0, 1.0) * 100.0).round();
    let class = match share {
        s if s > 1.0 => "fill over",
        s if s >= 0.8 => "fill near",
        _ => "fill",
    };
    html! {
        svg.gauge viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label=(format!("{:.1}% of the limit", share * 100.0)) {
            rect.track x="0" y="0" width="100" height="8" {}
            rect class=(class) x="0" y="0" width=(width) height="8" {}
        }
        " " span.muted data-share { (format!("{:.1}%", share * 100.0)) }
    }
}

/// One bar per group, stacked from its parts (class, count); `legend` names each class.
pub fn bars(
    groups: &[(String, Vec<(&'static str, u64)>)],
    legend: &[(&str, &str)],
    caption: &str,
) -> Markup {
    let top = groups
        .iter()
        .map(|(_, parts)| parts.iter().map(|p| p.1).sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = (WIDTH - 2.0 * LEFT) / groups.len().max(1) as f64;
    let bar = (slot * 0.7).clamp(1.0, 48.0);
    let floor = TOP + plot_height();
    let mut rects = Vec::new();
    let mut ticks = Vec::new();
    let every = (groups.len() / 8).max(1);
    for (i, (label, parts)) in groups.iter().enumerate() {
        let left = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let mut base = floor;
        for (class, count) in parts {
            let h = plot_height() * *count as f64 / top;
            base -= h;
            rects.push((*class, left, base, h, format!("{label}: {count} {class}")));
        }
        if groups.len() <= 16 || i % every == 0 {
            ticks.push((left + bar / 2.0, label.as_str()));
        }
    }
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(caption) {
                line.axis x1=(LEFT) y1=(floor) x2=(WIDTH - LEFT) y2=(floor) {}
                @for (class, x, y, h, title) in &rects {
                    rect class=(class) x=(format!("{x:.1}")) y=(format!("{y:.1}")) width=(format!("{bar:.1}")) height=(format!("{h:.1}")) {
                        title { (title) }
                    }
                }
                @for (x, label) in &ticks {
                    text.tick x=(format!("{x:.1}")) y=(HEIGHT - 6.0) text-anchor="middle" { (label) }
                }
            }
            figcaption {
                (caption)
                @for (class, name) in legend { " " span class=(format!("key {class}")) { "■" } " " (name) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_usage_line_turns_red_only_above_the_limit() {
        let under = usage(
            &[(0.0, 0.0), (0.5, 10.0), (1.0, 40.0)],
            50.0,
            "XEM",
            "start",
            "now",
            "c",
        )
        .into_string();
        assert!(
            under.contains("class=\"used\"") && !under.contains("used over"),
            "{under}"
        );
        assert!(under.contains("limit 50 XEM"), "{under}");
        let over = usage(&[(0.0, 0.0), (1.0, 60.0)], 50.0, "XEM", "s", "now", "c").into_string();
        assert!(over.contains("used over"), "{over}");
    }

    #[test]
    fn little_used_of_a_large_limit_is_drawn_zoomed_and_says_so() {
        let svg = usage(
            &[(0.0, 0.0), (1.0, 1800.8)],
            100_000.0,
            "XEM",
            "s",
            "now",
            "c",
        )
        .into_string();
        assert!(
            svg.contains("limit 100000 XEM is above this scale (0 to 2251)"),
            "{svg}"
        );
        assert!(!svg.contains("class=\"limit\""), "{svg}");
        // Nothing used: the limit is drawn, there is nothing to zoom to.
        let none = usage(&[(0.0, 0.0), (1.0, 0.0)], 100.0, "XEM", "s", "now", "c").into_string();
        assert!(none.contains("class=\"limit\""), "{none}");
    }

    #[test]
    fn a_gauge_says_its_share_and_warns_near_and_over() {
        assert!(gauge(10.0, 100.0).into_string().contains("10.0%"));
        assert!(gauge(85.0, 100.0).into_string().contains("fill near"));
        assert!(gauge(120.0, 100.0).into_string().contains("fill over"));
        // No limit: shown as full, never a division by zero.
        assert!(gauge(1.0, 0.0).into_string().contains("100.0%"));
    }

    #[test]
    fn bars_stack_their_parts_and_escape_labels() {
        let groups = vec![
            ("<b>".to_string(), vec![("replayed", 2), ("now-deny", 1)]),
            ("day 2".to_string(), vec![("replayed", 3)]),
        ];
        let svg = bars(&groups, &[("replayed", "unchanged")], "caption").into_string();
        assert_eq!(svg.matches("<rect").count(), 3, "{svg}");
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"), "{svg}");
    }

    #[test]
    fn numbers_are_written_as_amounts_are() {
        assert_eq!(plain(100000.0), "100000");
        assert_eq!(plain(1800.8), "1800.8");
        assert_eq!(plain(0.000001), "0.000001");
    }
}
