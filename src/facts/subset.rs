//! The collectors and `gather_subset`: which collectors a list such as
//! `[all, "!hardware", network]` selects, with Ansible's rules (`min` always, `!all` leaves
//! `min`, an explicit name beats a negation, an unknown name is an error naming the allowed
//! ones), and the collectors they need gathered with them.

use std::collections::BTreeSet;

use crate::facts::{caps, env, hardware, local, network, system, virtual_, Collector};

/// Every collector, in the order facts are read (a collector's needs come first).
pub(crate) static ALL: &[&Collector] = &[
    &system::PLATFORM,
    &system::DISTRIBUTION,
    &system::LSB,
    &system::SELINUX,
    &system::APPARMOR,
    &system::CHROOT,
    &system::FIPS,
    &system::PYTHON,
    &caps::CAPS,
    &system::PKG_MGR,
    &system::SERVICE_MGR,
    &system::CMDLINE,
    &system::DATE_TIME,
    &env::ENV,
    &system::LOADAVG,
    &system::SSH_PUB_KEYS,
    &system::USER,
    &system::SYSTEMD,
    &local::LOCAL,
    &virtual_::VIRTUAL,
    &hardware::HARDWARE,
    &network::DNS,
    &network::FC_WWN,
    &network::NETWORK,
    &network::ISCSI,
    &network::NVME,
];

/// What `min` selects (the `setup` module's minimal subset).
const MIN: &[&str] = &[
    "apparmor",
    "caps",
    "cmdline",
    "date_time",
    "distribution",
    "dns",
    "env",
    "fips",
    "local",
    "lsb",
    "pkg_mgr",
    "platform",
    "python",
    "selinux",
    "service_mgr",
    "ssh_pub_keys",
    "user",
];

/// Words that are valid but gather nothing here (other fact sources).
const ELSEWHERE: &[&str] = &["facter", "ohai"];

/// The collectors `subset` selects, in gathering order.
pub(crate) fn collectors(subset: &[String]) -> Result<Vec<&'static Collector>, String> {
    let valid = valid_words();
    let all: BTreeSet<&str> = ALL
        .iter()
        .map(|c| c.name)
        .chain(ELSEWHERE.iter().copied())
        .collect();
    let min: BTreeSet<&str> = MIN.iter().copied().collect();
    let mut add: BTreeSet<&str> = min.clone();
    let mut exclude: BTreeSet<&str> = BTreeSet::new();
    let mut explicit: BTreeSet<&str> = BTreeSet::new();
    let subset: Vec<&str> = if subset.is_empty() {
        vec!["all"]
    } else {
        subset.iter().map(|s| s.trim()).collect()
    };
    for word in subset {
        match word {
            "min" => add.extend(&min),
            "all" => add.extend(&all),
            "!min" => exclude.extend(&min),
            "!all" => exclude.extend(all.difference(&min)),
            w if w.starts_with('!') => {
                let name = &w[1..];
                exclude.insert(owner(name).unwrap_or(name));
            }
            w => {
                if !valid.contains(w) {
                    return Err(format!(
                        "Bad subset '{w}' given to Ansible. gather_subset options allowed: all, {}",
                        valid.iter().copied().collect::<Vec<_>>().join(", ")
                    ));
                }
                let name = owner(w).unwrap_or(w);
                explicit.insert(name);
                add.insert(name);
            }
        }
    }
    let excluded: BTreeSet<&str> = exclude.difference(&explicit).copied().collect();
    let mut chosen: BTreeSet<&str> = add.difference(&excluded).copied().collect();
    // What a chosen collector needs is gathered too (Ansible's required_facts).
    for c in ALL.iter().rev() {
        if chosen.contains(c.name) {
            chosen.extend(c.needs.iter().copied());
        }
    }
    Ok(ALL
        .iter()
        .copied()
        .filter(|c| chosen.contains(c.name))
        .collect())
}

/// The collector a fact name (`devices`, `default_ipv4`) belongs to.
fn owner(word: &str) -> Option<&'static str> {
    ALL.iter()
        .find(|c| c.name == word || c.ids.contains(&word))
        .map(|c| c.name)
}

/// Every word `gather_subset` accepts besides `all` and `min`, sorted.
fn valid_words() -> BTreeSet<&'static str> {
    ALL.iter()
        .flat_map(|c| std::iter::once(c.name).chain(c.ids.iter().copied()))
        .chain(ELSEWHERE.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(subset: &[&str]) -> Vec<&'static str> {
        let subset: Vec<String> = subset.iter().map(|s| s.to_string()).collect();
        collectors(&subset)
            .unwrap()
            .iter()
            .map(|c| c.name)
            .collect()
    }

    #[test]
    fn subsets_select_as_ansible_selects() {
        let all = names(&["all"]);
        assert_eq!(all.len(), ALL.len());
        let no_hw = names(&["all", "!hardware"]);
        assert!(!no_hw.contains(&"hardware") && no_hw.contains(&"network"));
        // `!all` keeps the minimal set; an explicit name comes back.
        let min = names(&["!all"]);
        assert!(min.contains(&"distribution") && !min.contains(&"network"));
        let min_net = names(&["!all", "network"]);
        assert!(min_net.contains(&"network") && !min_net.contains(&"hardware"));
        // `!all,!min` and a fact id: only its collector and what that needs.
        assert_eq!(
            names(&["!all", "!min", "devices"]),
            ["platform", "hardware"]
        );
        assert_eq!(names(&["!all", "!min", "dns"]), ["dns"]);
        assert_eq!(names(&["!hardware"]).len(), MIN.len());
    }

    #[test]
    fn an_unknown_subset_names_the_allowed_ones() {
        let err = collectors(&["bogus".to_string()]).err().unwrap();
        assert!(err.starts_with("Bad subset 'bogus' given to Ansible. gather_subset options allowed: all, all_ipv4_addresses, all_ipv6_addresses, apparmor, architecture,"), "{err}");
        // Negating an unknown word is not an error (as in Ansible).
        assert!(collectors(&["!bogus".to_string()]).is_ok());
    }
}
