//! `pause`: waits `seconds` or `minutes`, or until the operator answers `prompt` on the
//! terminal. Without a terminal on stdin a prompt is not waited for (the answer is empty)
//! and a timed pause just waits, as Ansible does. Returns Ansible's keys (`stdout`,
//! `user_input`, `start`, `stop`, `delta`, `echo`).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::{
    argnames, de_bool, typed, yes, ArgProblem, ModuleResult, ModuleSpec, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "pause",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    bypass_host_loop: true,
    run: |_ctx, args| Box::pin(typed("pause", args, run)),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    if args.contains_key("minutes") && args.contains_key("seconds") {
        return Err(ArgProblem {
            message: "parameters are mutually exclusive: minutes|seconds (module 'pause')".into(),
            hint: "give the pause in either minutes or seconds".into(),
        });
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default = "yes", deserialize_with = "de_bool")]
    echo: bool,
    minutes: Option<Json>,
    seconds: Option<Json>,
    prompt: Option<String>,
}

/// Python's `int()` of a YAML value: floats are truncated, text must be a whole number.
fn whole(name: &str, v: &Json) -> Result<i64, ModuleResult> {
    let n = match v {
        Json::Number(n) => n.as_f64().map(|f| f.trunc() as i64),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.ok_or_else(|| {
        ModuleResult::failed(format!(
            "argument '{name}' is of type {v} and we were unable to convert to int"
        ))
    })
}

async fn run(args: Args) -> ModuleResult {
    let (seconds, unit) = match (&args.minutes, &args.seconds) {
        (Some(m), _) => match whole("minutes", m) {
            Ok(m) => (Some(m * 60), "minutes"),
            Err(r) => return r,
        },
        (None, Some(s)) => match whole("seconds", s) {
            Ok(s) => (Some(s), "seconds"),
            Err(r) => return r,
        },
        (None, None) => (None, "minutes"),
    };
    let start = Instant::now();
    let started = now();
    let mut user_input = String::new();
    match seconds {
        Some(s) => tokio::time::sleep(Duration::from_secs(s.max(1) as u64)).await,
        None if std::io::stdin().is_terminal() => {
            let question = format!(
                "{}{}:",
                args.prompt
                    .as_deref()
                    .unwrap_or("Press enter to continue, Ctrl+C to interrupt"),
                if args.echo { "" } else { " (output is hidden)" }
            );
            let echo = args.echo;
            user_input = tokio::task::spawn_blocking(move || ask(&question, echo))
                .await
                .unwrap_or_default();
        }
        None => {}
    }
    let elapsed = start.elapsed().as_secs_f64();
    let shown = if unit == "minutes" {
        elapsed / 60.0
    } else {
        elapsed
    };
    let mut data = Vars::new();
    data.insert("rc".into(), 0.into());
    data.insert("stderr".into(), "".into());
    data.insert(
        "stdout".into(),
        format!("Paused for {} {unit}", py_round2(shown)).into(),
    );
    data.insert("start".into(), started.into());
    data.insert("stop".into(), now().into());
    data.insert("delta".into(), (elapsed as u64).into());
    data.insert("echo".into(), args.echo.into());
    data.insert("user_input".into(), user_input.into());
    ModuleResult::ok(data)
}

/// The local time as Python's `str(datetime.now())`.
fn now() -> String {
    chrono::Local::now()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string()
}

/// Python's `str(round(x, 2))`: `1.0`, `0.02`.
fn py_round2(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    if r.fract() == 0.0 {
        format!("{r:.1}")
    } else {
        format!("{r}")
    }
}

/// Asks on the terminal, one host at a time; the answer without its newline.
fn ask(question: &str, echo: bool) -> String {
    use std::io::Write;
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !echo {
        return rpassword::prompt_password(question).unwrap_or_default();
    }
    let mut err = std::io::stderr();
    let _ = err.write_all(question.as_bytes());
    let _ = err.flush();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    line.trim_end_matches(['\r', '\n']).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn rounds_as_python_prints() {
        for (x, want) in [(1.0, "1.0"), (1.004, "1.0"), (0.0166, "0.02"), (2.5, "2.5")] {
            assert_eq!(super::py_round2(x), want);
        }
    }
}
