//! The exact arguments of a run as the report and the history keep them: the command line with
//! every `-e` value replaced by the names it sets (a value may be a password), and any text that
//! came out of a vault masked.

use crate::report::model::RunArgs;

/// What an `-e` value shows: `@file` as it is, otherwise the variable names it sets.
fn extra_names(value: &str) -> Vec<String> {
    let value = value.trim();
    if value.starts_with('@') {
        return vec![value.to_string()];
    }
    let vars = if value.starts_with('{') {
        let file = crate::error::SourceFile::new("<extra-vars>", value);
        match crate::yaml::parse(file).map(|n| n.to_json()) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => return vec!["(unreadable)".into()],
        }
    } else {
        crate::text::parse_free_form(value, None).0
    };
    vars.keys().cloned().collect()
}

fn shown(value: &str) -> String {
    let value = value.trim();
    if value.starts_with('@') {
        return value.to_string();
    }
    let names: Vec<String> = extra_names(value)
        .into_iter()
        .map(|n| format!("{n}=***"))
        .collect();
    names.join(" ")
}

/// `argv` with `-e` values masked: `-e`/`--extra-vars` followed by a value, `-eVALUE` and
/// `--extra-vars=VALUE`.
pub fn masked_argv(argv: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut next_is_value = false;
    for arg in argv {
        if next_is_value {
            out.push(shown(arg));
            next_is_value = false;
        } else if arg == "-e" || arg == "--extra-vars" {
            out.push(arg.clone());
            next_is_value = true;
        } else if let Some(v) = arg.strip_prefix("--extra-vars=") {
            out.push(format!("--extra-vars={}", shown(v)));
        } else if let Some(v) = arg.strip_prefix("-e").filter(|_| !arg.starts_with("--")) {
            out.push(format!("-e{}", shown(v)));
        } else {
            // A state URL (`--state`, `--history`) keeps its user and host, not its password.
            out.push(crate::state::postgres::redact(&crate::vault::mask::text(
                arg,
            )));
        }
    }
    out
}

/// The names of the variables the `-e` values set (files by their `@path`).
pub fn extra_var_names(values: &[String]) -> Vec<String> {
    values.iter().flat_map(|v| extra_names(v)).collect()
}

/// This process's arguments, masked, with the other fields taken from the parsed flags.
pub fn of_process(common: &crate::cli::CommonArgs) -> RunArgs {
    let mut argv: Vec<String> = std::env::args().collect();
    // The program as the user knows it, not the path it was started from.
    if let Some(first) = argv.first_mut() {
        if let Some(name) = std::path::Path::new(first.as_str()).file_name() {
            *first = name.to_string_lossy().into_owned();
        }
    }
    RunArgs {
        argv: masked_argv(&argv),
        extra_vars: extra_var_names(&common.extra_vars),
        check: common.check,
        diff: common.diff,
        ..Default::default()
    }
}

/// A run's title: its playbooks.
pub fn titled(playbooks: &[std::path::PathBuf]) -> String {
    let names: Vec<String> = playbooks.iter().map(|p| p.display().to_string()).collect();
    names.join(" ")
}

/// The commit and branch of the git checkout `dir` is in (empty when it is in none).
pub fn git(dir: &std::path::Path) -> (String, String) {
    let dir = if dir.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        dir
    };
    let ask = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    (
        ask(&["rev-parse", "HEAD"]),
        ask(&["rev-parse", "--abbrev-ref", "HEAD"]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_var_values_never_show() {
        let cases: &[(&[&str], &[&str])] = &[
            (
                &[
                    "ferry",
                    "run",
                    "-e",
                    "db_password=hunter2 user=x",
                    "site.yml",
                ],
                &["ferry", "run", "-e", "db_password=*** user=***", "site.yml"],
            ),
            (
                &["ferry", "-e{\"token\": \"s3cret\"}"],
                &["ferry", "-etoken=***"],
            ),
            (
                &[
                    "ferry",
                    "--extra-vars=pw=hunter2",
                    "--extra-vars",
                    "@vars.yml",
                ],
                &["ferry", "--extra-vars=pw=***", "--extra-vars", "@vars.yml"],
            ),
            (&["ferry", "--limit", "web"], &["ferry", "--limit", "web"]),
            (
                &["ferry", "--state", "postgres://ci:hunter2@db/ferry"],
                &["ferry", "--state", "postgres://ci:***@db/ferry"],
            ),
            (
                &["ferry", "--history=postgres://db/f?password=hunter2"],
                &["ferry", "--history=postgres://db/f?password=***"],
            ),
        ];
        for (argv, want) in cases {
            let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
            assert_eq!(masked_argv(&argv), *want);
        }
        let names = extra_var_names(&["a=1 b=2".into(), "{\"c\": 3}".into()]);
        assert_eq!(names, ["a", "b", "c"]);
    }
}
