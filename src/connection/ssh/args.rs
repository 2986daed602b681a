//! The OpenSSH command-line options ansible.cfg's `ssh_args` / `ssh_common_args` /
//! `ssh_extra_args` and the host's `ansible_ssh_common_args` / `ansible_ssh_extra_args` carry.
//! ferry has no `ssh` process to hand them to, so each is checked here: what ferry honours is
//! passed to `ssh -G` (which resolves it with the ssh config, see `config.rs`); what only
//! tunes OpenSSH's own process (multiplexing, compression, logging) is dropped; anything
//! else is refused with its name, never silently ignored.

/// `-o` options ferry honours (lowercase, as `ssh -G` prints them).
const HONOURED: &[&str] = &[
    "connecttimeout",
    "hostname",
    "identitiesonly",
    "identityfile",
    "port",
    "proxycommand",
    "proxyjump",
    "serveralivecountmax",
    "serveraliveinterval",
    "stricthostkeychecking",
    "user",
    "userknownhostsfile",
];

/// `-o` options that only tune the OpenSSH client process, with nothing to do in ferry
/// (one connection per host already; no passwords asked; no terminal).
const NO_EFFECT: &[&str] = &[
    "addkeystoagent",
    "batchmode",
    "challengeresponseauthentication",
    "checkhostip",
    "compression",
    "controlmaster",
    "controlpath",
    "controlpersist",
    "gssapiauthentication",
    "hashknownhosts",
    "kbdinteractiveauthentication",
    "loglevel",
    "passwordauthentication",
    "preferredauthentications",
    "pubkeyauthentication",
    "requesttty",
    "tcpkeepalive",
    "updatehostkeys",
    "visualhostkey",
];

/// `-o` options that may be turned off (`no`) but whose feature ferry lacks.
const ONLY_OFF: &[(&str, &str)] = &[
    ("forwardagent", "agent forwarding"),
    ("forwardx11", "X11 forwarding"),
];

/// Flags without a value that change nothing in ferry.
const QUIET_FLAGS: &[&str] = &[
    "-C", "-q", "-T", "-t", "-tt", "-v", "-vv", "-vvv", "-x", "-n",
];

/// Flags with a value that `ssh -G` resolves like their `-o` forms.
const VALUE_FLAGS: &[&str] = &["-i", "-J", "-l", "-p"];

/// Checks the words of one setting (`source` names it in messages); returns the arguments
/// to give `ssh -G`.
pub(crate) fn check(text: &str, source: &str) -> Result<Vec<String>, String> {
    let words =
        shlex::split(text).ok_or_else(|| format!("{source} is not valid shell words: {text}"))?;
    let mut out = Vec::new();
    let mut it = words.into_iter();
    while let Some(word) = it.next() {
        let option = match word.as_str() {
            "-o" => it
                .next()
                .ok_or_else(|| format!("{source}: -o needs an option"))?,
            w if w.starts_with("-o") => w[2..].to_string(),
            w if QUIET_FLAGS.contains(&w) => continue,
            w if VALUE_FLAGS.contains(&w) => {
                let value = it
                    .next()
                    .ok_or_else(|| format!("{source}: {w} needs a value"))?;
                out.extend([word, value]);
                continue;
            }
            w => {
                return Err(format!(
                    "{source}: the ssh flag {w} is not supported by ferry; ferry honours -o with \
                     {}, and -i, -J, -l, -p",
                    HONOURED.join(", ")
                ))
            }
        };
        if let Some(o) = option_to_keep(&option, source)? {
            out.extend(["-o".to_string(), o]);
        }
    }
    Ok(out)
}

/// One `-o` option: kept for `ssh -G`, dropped, or refused.
fn option_to_keep(option: &str, source: &str) -> Result<Option<String>, String> {
    let (key, value) = option
        .split_once('=')
        .or_else(|| option.split_once(char::is_whitespace))
        .unwrap_or((option, ""));
    let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
    if HONOURED.contains(&key.as_str()) {
        return Ok(Some(option.to_string()));
    }
    if NO_EFFECT.contains(&key.as_str()) {
        return Ok(None);
    }
    if let Some((_, feature)) = ONLY_OFF.iter().find(|(k, _)| *k == key) {
        if matches!(value.to_ascii_lowercase().as_str(), "no" | "false") {
            return Ok(None);
        }
        return Err(format!(
            "{source}: -o {option} asks for {feature}, which ferry does not do; remove it"
        ));
    }
    Err(format!(
        "{source}: the ssh option -o {option} is not supported by ferry; it honours {}",
        HONOURED.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honoured_options_go_to_ssh_g_and_process_tuning_is_dropped() {
        let got = check(
            "-C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/k \
             -oStrictHostKeyChecking=no -p 2200 -o 'ProxyCommand ssh -W %h:%p b'",
            "ssh_args",
        )
        .unwrap();
        assert_eq!(
            got,
            [
                "-o",
                "UserKnownHostsFile=/k",
                "-o",
                "StrictHostKeyChecking=no",
                "-p",
                "2200",
                "-o",
                "ProxyCommand ssh -W %h:%p b"
            ]
        );
        assert_eq!(
            check("-o ForwardAgent=no", "x").unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn what_ferry_cannot_honour_is_refused_by_name() {
        for (args, needle) in [
            ("-o ForwardAgent=yes", "agent forwarding"),
            ("-A", "the ssh flag -A is not supported"),
            ("-o SendEnv=LANG", "-o SendEnv=LANG is not supported"),
            ("-o", "-o needs an option"),
            ("'unclosed", "not valid shell words"),
        ] {
            let err = check(args, "ansible_ssh_common_args").unwrap_err();
            assert!(err.contains(needle), "{args}: {err}");
            assert!(err.starts_with("ansible_ssh_common_args"), "{err}");
        }
    }
}
