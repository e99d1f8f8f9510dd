//! RouterOS time values: `30m`, `1d`, `8h`, `1d2h30m`, `90s`, `500ms`, `1w`, whole seconds
//! (`3600`), and the `[Nd]hh:mm:ss` form that `print` shows (`1d02:30:00`).

use std::time::Duration;

/// What an error message lists as accepted for a time.
pub(crate) const ACCEPTED_TIME: &str =
    "a time such as \"30m\", \"8h\", \"1d2h30m\", \"90s\", \"00:30:00\" or whole seconds";

/// Parses a RouterOS time. Units may appear in any order but each at most once.
pub fn parse_time(text: &str) -> Option<Duration> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok().map(Duration::from_secs);
    }
    let mut millis: u64 = 0;
    let mut seen = [false; 6];
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        // `02:30:00` (after an optional `1d`): the clock form ends the value.
        if rest.as_bytes().get(digits) == Some(&b':') {
            millis = millis.checked_add(parse_clock(rest)?)?;
            return Some(Duration::from_millis(millis));
        }
        let number: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (slot, scale) = match &rest[..unit_len] {
            "w" => (0, 7 * 86_400_000),
            "d" => (1, 86_400_000),
            "h" => (2, 3_600_000),
            "m" => (3, 60_000),
            "s" => (4, 1_000),
            "ms" => (5, 1),
            _ => return None,
        };
        if std::mem::replace(&mut seen[slot], true) {
            return None;
        }
        millis = millis.checked_add(number.checked_mul(scale)?)?;
        rest = &rest[unit_len..];
    }
    Some(Duration::from_millis(millis))
}

/// `hh:mm:ss` or `hh:mm`, minutes and seconds below 60.
fn parse_clock(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let hours: u64 = parts[0].parse().ok()?;
    let minutes: u64 = parts[1].parse().ok()?;
    let seconds: u64 = parts.get(2).map_or(Some(0), |p| p.parse().ok())?;
    if minutes >= 60 || seconds >= 60 {
        return None;
    }
    hours
        .checked_mul(3_600_000)?
        .checked_add(minutes * 60_000 + seconds * 1_000)
}

/// Prints a time as RouterOS writes it in commands: `1d2h30m`, `30m`, `0s`, `500ms`.
pub fn format_time(d: Duration) -> String {
    let mut millis = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if millis == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, scale) in [
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if millis >= scale {
            out.push_str(&format!("{}{unit}", millis / scale));
            millis %= scale;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> Option<u64> {
        parse_time(s).map(|d| d.as_secs())
    }

    #[test]
    fn manual_forms() {
        assert_eq!(secs("30m"), Some(1800));
        assert_eq!(secs("1d"), Some(86_400));
        assert_eq!(secs("8h"), Some(28_800));
        assert_eq!(secs("1d2h30m"), Some(86_400 + 2 * 3600 + 1800));
        assert_eq!(secs("90s"), Some(90));
        assert_eq!(secs("3600"), Some(3600));
        assert_eq!(secs("0s"), Some(0));
        assert_eq!(secs("0"), Some(0));
        assert_eq!(secs("1w"), Some(7 * 86_400));
        assert_eq!(secs("00:30:00"), Some(1800));
        assert_eq!(secs("1d02:30:00"), Some(86_400 + 9000));
        assert_eq!(secs("12:30"), Some(45_000));
        assert_eq!(parse_time("1500ms"), Some(Duration::from_millis(1500)));
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "m",
            "30x",
            "1d1d",
            "-5",
            "1.5h",
            "30 m",
            "1:60:00",
            "1::",
            "99999999999999999999",
            "1h30",
        ] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
        assert_eq!(parse_time("9999999999999999w"), None, "overflow");
    }

    #[test]
    fn prints_like_routeros() {
        assert_eq!(format_time(Duration::from_secs(1800)), "30m");
        assert_eq!(format_time(Duration::from_secs(86_400 + 9000)), "1d2h30m");
        assert_eq!(format_time(Duration::ZERO), "0s");
        assert_eq!(format_time(Duration::from_millis(1500)), "1s500ms");
        for s in ["1w2d3h4m5s", "8h", "90s"] {
            assert_eq!(
                parse_time(&format_time(parse_time(s).unwrap_or_default())),
                parse_time(s)
            );
        }
    }
}
