//! The `sequence` plugin: numbers from `start` to `end` (or `count` of them) by `stride`,
//! each written with a printf-style `format` — from `key=value` terms or the shortcut
//! `[start-]end[/stride][:format]`.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value as Json;

use super::{text, Call, Fail, Found};
use crate::text::parse_free_form;
use crate::vars::Vars;

/// One term's settings.
struct Seq {
    start: i64,
    end: Option<i64>,
    count: Option<i64>,
    stride: i64,
    format: String,
}

/// `sequence`: the formatted numbers of every term.
pub(crate) fn sequence(call: &Call) -> Found {
    let mut out = Vec::new();
    for term in &call.terms {
        let mut seq = Seq {
            start: 1,
            end: None,
            count: None,
            stride: 1,
            format: "%d".into(),
        };
        apply_kv(&mut seq, &call.opts, false)?;
        let term = text(term);
        if !parse_shortcut(&mut seq, term.trim())? {
            let (params, _raw) = parse_free_form(&term, None);
            apply_kv(&mut seq, &params, true)?;
        }
        out.extend(generate(seq)?);
    }
    Ok(out)
}

/// Reads `start`, `end`, `count`, `stride`, `format`; with `strict`, other keys are an error.
fn apply_kv(seq: &mut Seq, params: &Vars, strict: bool) -> Result<(), Fail> {
    let unknown: Vec<String> = params
        .keys()
        .filter(|k| !matches!(k.as_str(), "start" | "end" | "count" | "stride" | "format"))
        .map(|k| format!("'{k}'"))
        .collect();
    if strict && !unknown.is_empty() {
        return Err(Fail::Soft(format!(
            "unrecognized arguments to with_sequence: [{}]",
            unknown.join(", ")
        )));
    }
    let int = |k: &str| -> Result<Option<i64>, Fail> {
        params
            .get(k)
            .map(|v| {
                text(v).trim().parse::<i64>().map_err(|_| {
                    Fail::Hard(format!(
                        "Invalid type for configuration option plugin_type: lookup plugin: sequence setting: {k}: {}",
                        text(v)
                    ))
                })
            })
            .transpose()
    };
    seq.start = int("start")?.unwrap_or(seq.start);
    seq.end = int("end")?.or(seq.end);
    seq.count = int("count")?.or(seq.count);
    seq.stride = int("stride")?.unwrap_or(seq.stride);
    if let Some(f) = params.get("format") {
        seq.format = text(f);
    }
    Ok(())
}

/// Reads the shortcut form; false if `term` is not one.
fn parse_shortcut(seq: &mut Seq, term: &str) -> Result<bool, Fail> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?i)^(?:(0?x?[0-9a-f]+)-)?(0?x?[0-9a-f]+)(?:/(0?x?[0-9a-f]+))?(?::(.+))?$")
            .expect("valid regex")
    });
    let Some(c) = re.captures(term) else {
        return Ok(false);
    };
    let num = |i: usize| c.get(i).map(|m| python_int(m.as_str())).transpose();
    if let Some(start) = num(1)? {
        seq.start = start;
    }
    seq.end = num(2)?;
    if let Some(stride) = num(3)? {
        seq.stride = stride;
    }
    if let Some(f) = c.get(4) {
        seq.format = f.as_str().to_string();
    }
    Ok(true)
}

/// A number of the shortcut form: ansible-core 2.18 reads it as a decimal integer option,
/// so `0x10` fails there too.
fn python_int(s: &str) -> Result<i64, Fail> {
    s.parse().map_err(|_| {
        Fail::Hard(format!(
            "Invalid type for configuration option plugin_type: lookup plugin: sequence setting: {s}"
        ))
    })
}

/// The numbers of one term, checked as Ansible checks them.
fn generate(mut seq: Seq) -> Result<Vec<Json>, Fail> {
    let soft = |m: &str| Err(Fail::Soft(m.to_string()));
    let end = match (seq.end, seq.count) {
        (None, None) => return soft("must specify count or end in with_sequence"),
        (Some(_), Some(_)) => return soft("can't specify both count and end in with_sequence"),
        (Some(end), None) => end,
        (None, Some(0)) => {
            seq.start = 0;
            seq.stride = 0;
            0
        }
        (None, Some(count)) => seq.start + count * seq.stride - 1,
    };
    if seq.stride > 0 && end < seq.start {
        return soft("to count backwards make stride negative");
    }
    if seq.stride < 0 && end > seq.start {
        return soft("to count forward don't make stride negative");
    }
    if seq.format.matches('%').count() != 1 {
        return Err(Fail::Soft(format!("bad formatting string: {}", seq.format)));
    }
    if seq.stride == 0 {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut i = seq.start;
    while (seq.stride > 0 && i <= end) || (seq.stride < 0 && i >= end) {
        out.push(Json::from(printf(&seq.format, i)?));
        i += seq.stride;
    }
    Ok(out)
}

/// Python's `format % n` for a format with one conversion.
fn printf(format: &str, n: i64) -> Result<String, Fail> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"%([-+ 0#]*)(\d*)(?:\.(\d+))?([diouxXeEfFgGsrc])").expect("valid regex")
    });
    let Some(c) = re.captures(format) else {
        return Err(Fail::Soft(format!(
            "problem formatting {n:?} with {format:?}"
        )));
    };
    let flags = &c[1];
    let width: usize = c[2].parse().unwrap_or(0);
    let prec: Option<usize> = c.get(3).and_then(|m| m.as_str().parse().ok());
    let body = match &c[4] {
        "x" => format!("{:x}", n),
        "X" => format!("{:X}", n),
        "o" => format!("{:o}", n),
        "f" | "F" => format!("{:.*}", prec.unwrap_or(6), n as f64),
        "e" | "E" => format!("{:.*e}", prec.unwrap_or(6), n as f64),
        "c" => char::from_u32(n as u32)
            .map(String::from)
            .unwrap_or_default(),
        _ => n.to_string(),
    };
    let body = if flags.contains('+') && n >= 0 {
        format!("+{body}")
    } else {
        body
    };
    let padded = if body.len() >= width {
        body
    } else if flags.contains('-') {
        format!("{body:<width$}")
    } else if flags.contains('0') {
        let (sign, digits) = body.split_at(usize::from(body.starts_with(['-', '+'])));
        format!("{sign}{}{digits}", "0".repeat(width - body.len()))
    } else {
        format!("{body:>width$}")
    };
    let m = c.get(0).map_or(0..0, |m| m.range());
    Ok(format!(
        "{}{padded}{}",
        &format[..m.start],
        &format[m.end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::printf;

    #[test]
    fn formats_as_python_percent() {
        for (f, n, want) in [
            ("%d", 7, "7"),
            ("host%02d", 3, "host03"),
            ("%5d", 1, "    1"),
            ("%-3d|", 1, "1  |"),
            ("%05.1f", 1, "001.0"),
            ("%x", 255, "ff"),
            ("%04d", -5, "-005"),
        ] {
            assert_eq!(printf(f, n).unwrap(), want, "{f}");
        }
    }
}
