//! Dates and times as Ansible's filters and globals give them: `to_datetime` (a datetime
//! with `year`, `month`, ... and `strftime()`), `strftime` on a format string, and `now()`.
//! Subtracting two datetimes gives a `timedelta` (through the `__sub` rewrite).

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Local, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use minijinja::value::{Kwargs, Object, ObjectRepr, Value};
use minijinja::{Environment, Error, State};

use super::values::err;

/// Registers the filters and the `now` global.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("to_datetime", to_datetime);
    env.add_filter("strftime", strftime);
    env.add_function("now", now);
    env.add_function("__sub", subtract);
}

/// `a - b` where the rewrite found datetimes: a timedelta for two datetimes, else numbers.
fn subtract(a: Value, b: Value) -> Result<Value, Error> {
    if let (Some(x), Some(y)) = (
        a.downcast_object_ref::<PyDateTime>(),
        b.downcast_object_ref::<PyDateTime>(),
    ) {
        return Ok(Value::from_object(TimeDelta(x.0 - y.0)));
    }
    match (a.as_i64(), b.as_i64()) {
        (Some(x), Some(y)) => Ok(Value::from(x - y)),
        _ => {
            let (x, y) = (f64::try_from(a.clone()), f64::try_from(b.clone()));
            match (x, y) {
                (Ok(x), Ok(y)) => Ok(Value::from(x - y)),
                _ => Err(err(format!("unsupported operand types for -: {a} and {b}"))),
            }
        }
    }
}

/// A Python `timedelta`: `days`, `seconds`, `microseconds`, `total_seconds()`.
#[derive(Debug)]
pub(crate) struct TimeDelta(chrono::TimeDelta);

impl TimeDelta {
    /// Python's normal form: whole days (may be negative), then 0 ≤ seconds < 86400.
    fn parts(&self) -> (i64, i64, i64) {
        let micros = self.0.num_microseconds().unwrap_or(0);
        let day = 86_400_000_000i64;
        let days = micros.div_euclid(day);
        let rest = micros.rem_euclid(day);
        (days, rest / 1_000_000, rest % 1_000_000)
    }
}

impl Object for TimeDelta {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let (days, seconds, micros) = self.parts();
        Some(Value::from(match key.as_str()? {
            "days" => days,
            "seconds" => seconds,
            "microseconds" => micros,
            _ => return None,
        }))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "total_seconds" => Ok(Value::from(
                self.0.num_microseconds().unwrap_or(0) as f64 / 1e6,
            )),
            other => Err(err(format!("timedelta has no method '{other}'"))),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, seconds, micros) = self.parts();
        if days != 0 {
            let unit = if days.abs() == 1 { "day" } else { "days" };
            write!(f, "{days} {unit}, ")?;
        }
        write!(
            f,
            "{}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )?;
        if micros != 0 {
            write!(f, ".{micros:06}")?;
        }
        Ok(())
    }
}

/// A Python `datetime` without a time zone.
#[derive(Debug)]
pub(crate) struct PyDateTime(NaiveDateTime);

impl Object for PyDateTime {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let t = &self.0;
        Some(Value::from(match key.as_str()? {
            "year" => t.year() as i64,
            "month" => t.month() as i64,
            "day" => t.day() as i64,
            "hour" => t.hour() as i64,
            "minute" => t.minute() as i64,
            "second" => t.second() as i64,
            "microsecond" => (t.nanosecond() / 1000) as i64,
            _ => return None,
        }))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "strftime" => {
                let fmt = args.first().and_then(Value::as_str).unwrap_or("");
                Ok(Value::from(format_time(&self.0, fmt)?))
            }
            "isoformat" => Ok(Value::from(
                self.0.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            )),
            "timestamp" => {
                let local = Local.from_local_datetime(&self.0).single();
                Ok(Value::from(
                    local.map(|t| t.timestamp() as f64).unwrap_or(0.0),
                ))
            }
            "weekday" => Ok(Value::from(self.0.weekday().num_days_from_monday() as i64)),
            other => Err(err(format!("datetime has no method '{other}'"))),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.nanosecond() == 0 {
            write!(f, "{}", self.0.format("%Y-%m-%d %H:%M:%S"))
        } else {
            write!(f, "{}", self.0.format("%Y-%m-%d %H:%M:%S%.6f"))
        }
    }
}

/// A `strftime` format applied, with an error for a directive chrono does not know.
fn format_time(t: &NaiveDateTime, fmt: &str) -> Result<String, Error> {
    use std::fmt::Write;
    let mut out = String::new();
    write!(out, "{}", t.format(fmt)).map_err(|_| err(format!("invalid date format '{fmt}'")))?;
    Ok(out)
}

/// `'2024-03-05 14:07:09' | to_datetime(format='%Y-%m-%d %H:%M:%S')`.
fn to_datetime(s: String, format: Option<String>) -> Result<Value, Error> {
    let fmt = format.unwrap_or_else(|| "%Y-%m-%d %H:%M:%S".into());
    let parsed = NaiveDateTime::parse_from_str(&s, &fmt)
        .or_else(|_| NaiveDate::parse_from_str(&s, &fmt).map(|d| d.and_time(Default::default())))
        .map_err(|e| {
            err(format!(
                "time data '{s}' does not match format '{fmt}': {e}"
            ))
        })?;
    Ok(Value::from_object(PyDateTime(parsed)))
}

/// `'%Y-%m-%d' | strftime(second=None, utc=False)`: the format applied to a time (now by
/// default).
fn strftime(
    fmt: String,
    second: Option<f64>,
    utc: Option<bool>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let second = second.or(kwargs.get("second")?);
    let utc = utc.or(kwargs.get("utc")?).unwrap_or(false);
    kwargs.assert_all_used()?;
    let at: DateTime<Utc> = match second {
        Some(s) => DateTime::from_timestamp(s.trunc() as i64, 0)
            .ok_or_else(|| err(format!("strftime: {s} is not a valid time")))?,
        None => Utc::now(),
    };
    let naive = if utc {
        at.naive_utc()
    } else {
        at.with_timezone(&Local).naive_local()
    };
    format_time(&naive, &fmt)
}

/// `now(utc=False, fmt=None)`: a datetime, or its text in `fmt`.
fn now(kwargs: Kwargs) -> Result<Value, Error> {
    let utc = kwargs.get::<Option<bool>>("utc")?.unwrap_or(false);
    let fmt: Option<String> = kwargs.get("fmt")?;
    kwargs.assert_all_used()?;
    let t = if utc {
        Utc::now().naive_utc()
    } else {
        Local::now().naive_local()
    };
    match fmt {
        Some(f) => Ok(Value::from(format_time(&t, &f)?)),
        None => Ok(Value::from_object(PyDateTime(t))),
    }
}
