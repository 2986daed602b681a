//! Debian version ordering (`dpkg --compare-versions`): epoch, upstream version and revision,
//! each compared part by part with `~` before everything, letters before other characters.
//! The apt module compares installed and candidate versions without a round trip.

use std::cmp::Ordering;

/// Orders two Debian versions as dpkg does.
pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| compare_part(ua, ub))
        .then_with(|| compare_part(ra, rb))
}

/// `[epoch:]upstream[-revision]`.
fn split(v: &str) -> (u64, &str, &str) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, rest)) if e.bytes().all(|b| b.is_ascii_digit()) => (e.parse().unwrap_or(0), rest),
        _ => (0, v),
    };
    match rest.rsplit_once('-') {
        Some((upstream, revision)) => (epoch, upstream, revision),
        None => (epoch, rest, ""),
    }
}

/// The weight of a character in the non-digit runs: `~` lowest, then the end, then letters,
/// then everything else.
fn weight(c: Option<u8>) -> i32 {
    match c {
        Some(b'~') => -1,
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

fn compare_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        while a.first().is_some_and(|c| !c.is_ascii_digit())
            || b.first().is_some_and(|c| !c.is_ascii_digit())
        {
            let (wa, wb) = (weight(a.first().copied()), weight(b.first().copied()));
            if wa != wb {
                return wa.cmp(&wb);
            }
            a = a.get(1..).unwrap_or_default();
            b = b.get(1..).unwrap_or_default();
        }
        let (na, ra) = digits(a);
        let (nb, rb) = digits(b);
        match na.cmp(&nb) {
            Ordering::Equal => {}
            other => return other,
        }
        (a, b) = (ra, rb);
    }
    Ordering::Equal
}

/// The leading digits without leading zeros (compared by length, then text), and the rest.
fn digits(s: &[u8]) -> (NumText<'_>, &[u8]) {
    let end = s
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    let run = &s[..end];
    let start = run.iter().position(|c| *c != b'0').unwrap_or(run.len());
    (NumText(&run[start..]), &s[end..])
}

/// A run of digits compared as a number of any size.
#[derive(PartialEq, Eq)]
struct NumText<'a>(&'a [u8]);

impl Ord for NumText<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(other.0))
    }
}

impl PartialOrd for NumText<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_as_dpkg() {
        for (a, b, want) in [
            ("1.0", "1.0", Ordering::Equal),
            ("1.0", "1.1", Ordering::Less),
            ("1.10", "1.9", Ordering::Greater),
            ("1.0~rc1", "1.0", Ordering::Less),
            ("1.0", "1.0+b1", Ordering::Less),
            ("1:0.9", "2.0", Ordering::Greater),
            ("2.10-3", "2.10-2", Ordering::Greater),
            ("2.10-3", "2.10-3+b1", Ordering::Less),
            ("1.0a", "1.0", Ordering::Greater),
            ("1.0a", "1.0+", Ordering::Less),
            ("007", "7", Ordering::Equal),
            ("1.2.3-1~deb12u1", "1.2.3-1", Ordering::Less),
        ] {
            assert_eq!(compare(a, b), want, "{a} vs {b}");
            assert_eq!(compare(b, a), want.reverse(), "{b} vs {a}");
        }
    }
}
