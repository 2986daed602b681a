//! `file`'s `modification_time` and `access_time`: `now`, `preserve`, or a time written in
//! `*_format` (Python's strptime codes, the host's local time), set with `touch -d` only when
//! the file's time differs (to the nanosecond, as Ansible compares them).

use chrono::{NaiveDate, NaiveDateTime};

use crate::connection::quote;
use crate::modules::host;
use crate::modules::{ModuleCtx, ModuleResult};

/// What one of a file's times should be.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stamp {
    /// Kept as it is.
    Preserve,
    /// The time the task runs.
    Now,
    /// A local time on the host.
    At(NaiveDateTime),
}

impl Stamp {
    /// Reads `value` (or the state's default: `now` for `touch`, else `preserve`) in `format`.
    pub(crate) fn read(
        value: Option<&str>,
        format: &str,
        state: &str,
    ) -> Result<Stamp, ModuleResult> {
        let value = value.unwrap_or(if state == "touch" { "now" } else { "preserve" });
        match value {
            "preserve" => Ok(Stamp::Preserve),
            "now" => Ok(Stamp::Now),
            text => parse(text, format).map(Stamp::At).ok_or_else(|| {
                ModuleResult::failed(format!(
                    "Error while obtaining timestamp for time {text} using format {format}: \
                     time data '{text}' does not match format '{format}'"
                ))
            }),
        }
    }

    /// A shell expression for the wanted time as `seconds.nanoseconds`; `current` is the
    /// variable holding the file's own.
    fn shell(&self, current: &str) -> String {
        match self {
            Stamp::Preserve => format!("${current}"),
            Stamp::Now => "$(date +%s.%N)".into(),
            Stamp::At(t) => {
                let local = t.format("%Y-%m-%d %H:%M:%S").to_string();
                format!("$(date -d {} +%s.000000000)", quote(&local))
            }
        }
    }
}

/// Python's strptime for a whole text; fields not in the format are 1900-01-01 00:00:00.
fn parse(text: &str, format: &str) -> Option<NaiveDateTime> {
    if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
        return Some(t);
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, format) {
        return d.and_hms_opt(0, 0, 0);
    }
    let with_date = format!("1900-01-01 {text}");
    NaiveDateTime::parse_from_str(&with_date, &format!("%Y-%m-%d {format}")).ok()
}

/// Sets `path`'s modification and access times as asked; true if they changed (or would,
/// under `--check`).
pub(crate) async fn apply(
    ctx: &ModuleCtx<'_>,
    path: &str,
    mtime: &Stamp,
    atime: &Stamp,
) -> Result<bool, ModuleResult> {
    if (mtime, atime) == (&Stamp::Preserve, &Stamp::Preserve) {
        return Ok(false);
    }
    let p = quote(path);
    if (mtime, atime) == (&Stamp::Now, &Stamp::Now) {
        if !ctx.check_mode {
            host::run(ctx, &format!("touch -- {p}")).await?;
        }
        return Ok(true);
    }
    let set = if ctx.check_mode {
        String::new()
    } else {
        format!("touch -m -d \"@$wm\" -- {p} && touch -a -d \"@$wa\" -- {p} && ")
    };
    let script = format!(
        "cm=$(stat -c %.9Y -- {p}) && ca=$(stat -c %.9X -- {p}) && wm={} && wa={} && \
         if [ \"$wm\" != \"$cm\" ] || [ \"$wa\" != \"$ca\" ]; then {set}echo changed; fi",
        mtime.shell("cm"),
        atime.shell("ca"),
    );
    Ok(host::run(ctx, &script).await?.trim() == "changed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_times_in_python_formats() {
        let at = |y, mo, d, h, mi, s| {
            Stamp::At(
                NaiveDate::from_ymd_opt(y, mo, d)
                    .unwrap()
                    .and_hms_opt(h, mi, s)
                    .unwrap(),
            )
        };
        for (text, format, want) in [
            ("202001021304.05", "%Y%m%d%H%M.%S", at(2020, 1, 2, 13, 4, 5)),
            ("2021-03-04", "%Y-%m-%d", at(2021, 3, 4, 0, 0, 0)),
            ("12:30", "%H:%M", at(1900, 1, 1, 12, 30, 0)),
        ] {
            assert_eq!(
                Stamp::read(Some(text), format, "file").unwrap(),
                want,
                "{text}"
            );
        }
        assert_eq!(Stamp::read(None, "", "touch").unwrap(), Stamp::Now);
        assert_eq!(Stamp::read(None, "", "file").unwrap(), Stamp::Preserve);
        assert!(Stamp::read(Some("x"), "%Y", "file").is_err());
    }
}
