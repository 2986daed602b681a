//! Timestamps in the form Ansible's command module reports them (`start`, `end`, `delta`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `2026-11-22 11:09:02.123456` (UTC).
pub(crate) fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, day) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{day:02} {:02}:{:02}:{:02}.{:06}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// `0:00:00.003021`.
pub(crate) fn delta(d: Duration) -> String {
    let s = d.as_secs();
    format!(
        "{}:{:02}:{:02}.{:06}",
        s / 3600,
        s % 3600 / 60,
        s % 60,
        d.subsec_micros()
    )
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = UNIX_EPOCH + Duration::from_micros(1_795_000_000_123_456);
        assert_eq!(timestamp(t), "2026-11-18 11:06:40.123456");
        assert_eq!(
            delta(Duration::from_micros(3_723_000_042)),
            "1:02:03.000042"
        );
    }
}
