//! Python's `difflib.unified_diff` over lines, as Ansible's callbacks call it to show a
//! module's diff: `SequenceMatcher` (longest matching blocks, with its "popular line" rule for
//! long texts) grouped into hunks with `n` lines of context. Another diff algorithm would pick
//! other hunks for the same texts, so `--diff` output would not be Ansible's.

use std::collections::HashMap;

/// One opcode: tag and the ranges `a[i1..i2]`, `b[j1..j2]`.
type Op = (Tag, usize, usize, usize, usize);

#[derive(Clone, Copy, PartialEq)]
enum Tag {
    Delete,
    Equal,
    Insert,
    Replace,
}

/// `difflib.unified_diff(a, b, fromfile, tofile, '', '', n)` joined: each line of `a` and `b`
/// keeps its own line ending; the header lines end in `\n`. Empty when the texts are equal.
pub(crate) fn unified_diff(a: &[&str], b: &[&str], from: &str, to: &str, n: usize) -> String {
    let mut out = String::new();
    for group in grouped_opcodes(a, b, n) {
        if out.is_empty() {
            out.push_str(&format!("--- {from}\n+++ {to}\n"));
        }
        let (first, last) = (group[0], group[group.len() - 1]);
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(first.1, last.2),
            range(first.3, last.4)
        ));
        for (tag, i1, i2, j1, j2) in group {
            if tag == Tag::Equal {
                a[i1..i2]
                    .iter()
                    .for_each(|l| out.push_str(&format!(" {l}")));
                continue;
            }
            if matches!(tag, Tag::Replace | Tag::Delete) {
                a[i1..i2]
                    .iter()
                    .for_each(|l| out.push_str(&format!("-{l}")));
            }
            if matches!(tag, Tag::Replace | Tag::Insert) {
                b[j1..j2]
                    .iter()
                    .for_each(|l| out.push_str(&format!("+{l}")));
            }
        }
    }
    out
}

/// difflib's `_format_range_unified`.
fn range(start: usize, stop: usize) -> String {
    let len = stop - start;
    match len {
        1 => format!("{}", start + 1),
        0 => format!("{start},0"),
        _ => format!("{},{len}", start + 1),
    }
}

/// `SequenceMatcher.get_grouped_opcodes(n)`.
fn grouped_opcodes(a: &[&str], b: &[&str], n: usize) -> Vec<Vec<Op>> {
    let mut codes = opcodes(a, b);
    if codes.is_empty() {
        codes.push((Tag::Equal, 0, 1, 0, 1));
    }
    if let Some(c) = codes.first_mut().filter(|c| c.0 == Tag::Equal) {
        *c = (
            c.0,
            c.1.max(c.2.saturating_sub(n)),
            c.2,
            c.3.max(c.4.saturating_sub(n)),
            c.4,
        );
    }
    if let Some(c) = codes.last_mut().filter(|c| c.0 == Tag::Equal) {
        *c = (c.0, c.1, c.2.min(c.1 + n), c.3, c.4.min(c.3 + n));
    }
    let mut groups = Vec::new();
    let mut group = Vec::new();
    for (tag, mut i1, i2, mut j1, j2) in codes {
        if tag == Tag::Equal && i2 - i1 > 2 * n {
            group.push((tag, i1, i2.min(i1 + n), j1, j2.min(j1 + n)));
            groups.push(std::mem::take(&mut group));
            i1 = i1.max(i2.saturating_sub(n));
            j1 = j1.max(j2.saturating_sub(n));
        }
        group.push((tag, i1, i2, j1, j2));
    }
    let lone_equal = group.len() == 1 && group[0].0 == Tag::Equal;
    if !group.is_empty() && !lone_equal {
        groups.push(group);
    }
    groups
}

/// `SequenceMatcher.get_opcodes()`.
fn opcodes(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::new();
    for (ai, bj, size) in matching_blocks(a, b) {
        let tag = match (i < ai, j < bj) {
            (true, true) => Some(Tag::Replace),
            (true, false) => Some(Tag::Delete),
            (false, true) => Some(Tag::Insert),
            (false, false) => None,
        };
        if let Some(tag) = tag {
            ops.push((tag, i, ai, j, bj));
        }
        (i, j) = (ai + size, bj + size);
        if size > 0 {
            ops.push((Tag::Equal, ai, i, bj, j));
        }
    }
    ops
}

/// `SequenceMatcher.get_matching_blocks()`, ending with `(len(a), len(b), 0)`.
fn matching_blocks(a: &[&str], b: &[&str]) -> Vec<(usize, usize, usize)> {
    let b2j = index_of_b(b);
    let mut queue = vec![(0, a.len(), 0, b.len())];
    let mut blocks = Vec::new();
    while let Some((alo, ahi, blo, bhi)) = queue.pop() {
        let (i, j, k) = longest_match(a, b, &b2j, (alo, ahi, blo, bhi));
        if k > 0 {
            blocks.push((i, j, k));
            if alo < i && blo < j {
                queue.push((alo, i, blo, j));
            }
            if i + k < ahi && j + k < bhi {
                queue.push((i + k, ahi, j + k, bhi));
            }
        }
    }
    blocks.sort_unstable();
    let mut merged = Vec::new();
    let (mut i1, mut j1, mut k1) = (0, 0, 0);
    for (i2, j2, k2) in blocks {
        if i1 + k1 == i2 && j1 + k1 == j2 {
            k1 += k2;
        } else {
            if k1 > 0 {
                merged.push((i1, j1, k1));
            }
            (i1, j1, k1) = (i2, j2, k2);
        }
    }
    if k1 > 0 {
        merged.push((i1, j1, k1));
    }
    merged.push((a.len(), b.len(), 0));
    merged
}

/// Where each line of `b` is, leaving out "popular" lines (autojunk: in a text of 200 lines
/// or more, a line seen more than 1% of the time).
fn index_of_b<'a>(b: &[&'a str]) -> HashMap<&'a str, Vec<usize>> {
    let mut b2j: HashMap<&str, Vec<usize>> = HashMap::new();
    for (j, line) in b.iter().enumerate() {
        b2j.entry(line).or_default().push(j);
    }
    if b.len() >= 200 {
        let most = b.len() / 100 + 1;
        b2j.retain(|_, js| js.len() <= most);
    }
    b2j
}

/// `SequenceMatcher.find_longest_match(alo, ahi, blo, bhi)` (no junk function).
fn longest_match(
    a: &[&str],
    b: &[&str],
    b2j: &HashMap<&str, Vec<usize>>,
    (alo, ahi, blo, bhi): (usize, usize, usize, usize),
) -> (usize, usize, usize) {
    let (mut besti, mut bestj, mut best) = (alo, blo, 0);
    let mut j2len: HashMap<usize, usize> = HashMap::new();
    for (i, line) in a.iter().enumerate().take(ahi).skip(alo) {
        let mut next: HashMap<usize, usize> = HashMap::new();
        for &j in b2j.get(line).map(Vec::as_slice).unwrap_or_default() {
            if j < blo {
                continue;
            }
            if j >= bhi {
                break;
            }
            let k = j
                .checked_sub(1)
                .and_then(|p| j2len.get(&p))
                .copied()
                .unwrap_or(0)
                + 1;
            next.insert(j, k);
            if k > best {
                (besti, bestj, best) = (i + 1 - k, j + 1 - k, k);
            }
        }
        j2len = next;
    }
    while besti > alo && bestj > blo && a[besti - 1] == b[bestj - 1] {
        (besti, bestj, best) = (besti - 1, bestj - 1, best + 1);
    }
    while besti + best < ahi && bestj + best < bhi && a[besti + best] == b[bestj + best] {
        best += 1;
    }
    (besti, bestj, best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(a: &str, b: &str, n: usize) -> String {
        let lines = |t: &'static str| t.split_inclusive('\n').collect::<Vec<_>>();
        unified_diff(&lines(leak(a)), &lines(leak(b)), "a", "b", n)
    }

    fn leak(s: &str) -> &'static str {
        Box::leak(s.to_string().into_boxed_str())
    }

    /// Expected texts from Python 3.11's `''.join(difflib.unified_diff(...))`.
    #[test]
    fn hunks_are_pythons() {
        let cases: &[(&str, &str, usize, &str)] = &[
            ("", "a\n", 3, "--- a\n+++ b\n@@ -0,0 +1 @@\n+a\n"),
            ("a\n", "a\n", 3, ""),
            (
                "a\nb\nc\n",
                "a\nc\n",
                3,
                "--- a\n+++ b\n@@ -1,3 +1,2 @@\n a\n-b\n c\n",
            ),
            (
                "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
                "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\nX\n",
                1,
                "--- a\n+++ b\n@@ -1 +1,2 @@\n+0\n 1\n@@ -9,2 +10,2 @@\n 9\n-10\n+X\n",
            ),
            (
                "x\ny\nx\n",
                "y\nx\ny\n",
                3,
                "--- a\n+++ b\n@@ -1,3 +1,3 @@\n+y\n x\n y\n-x\n",
            ),
        ];
        for (a, b, n, want) in cases {
            assert_eq!(diff(a, b, *n), *want, "{a:?} -> {b:?}");
        }
    }
}
