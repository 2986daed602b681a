//! The `docker_container` options that are one `docker create` flag each, in one table: the
//! argument name (and aliases), the flag, and how its value is written. What needs more than a
//! flag (`entrypoint`, `networks`, `mounts`, ...) is in `docker_container.rs`.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;

/// How an argument's value becomes flags.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// `--flag VALUE`.
    Value,
    /// `--flag` when true.
    Bool,
    /// `--flag` when false (`oom_killer: false` → `--oom-kill-disable`).
    NotBool,
    /// `--flag ITEM` per list item.
    List,
    /// `--flag KEY=VALUE` per mapping entry.
    Map,
    /// `--flag KEY:VALUE` per mapping entry (`etc_hosts`).
    ColonMap,
    /// `--flag PATH:RATE` per `{path, rate}` item (device limits).
    Rates,
    /// `--ulimit NAME=SOFT:HARD` per `NAME:SOFT:HARD` item.
    Ulimits,
    /// `--device HOST:CONTAINER:PERMS` per string or `{path_on_host, ...}` item.
    Devices,
}

macro_rules! flag_table {
    ($($field:ident $([$($alias:literal),*])? => $flag:literal $shape:ident,)*) => {
        /// The `docker_container` options that are one `docker create` flag each.
        #[derive(Debug, Default, Deserialize)]
        pub(crate) struct Flags {
            $( $($(#[serde(alias = $alias)])*)? $field: Option<Json>, )*
        }

        impl Flags {
            /// The given options with their flag and shape, in table order.
            fn given(&self) -> Vec<(&'static str, &'static str, Shape, &Json)> {
                let mut given = Vec::new();
                $( if let Some(v) = &self.$field {
                    given.push((stringify!($field), $flag, Shape::$shape, v));
                } )*
                given
            }
        }
    };
}

flag_table! {
    auto_remove => "--rm" Bool,
    blkio_weight => "--blkio-weight" Value,
    cap_drop => "--cap-drop" List,
    capabilities => "--cap-add" List,
    cgroup_parent => "--cgroup-parent" Value,
    cgroupns_mode => "--cgroupns" Value,
    cpu_period => "--cpu-period" Value,
    cpu_quota => "--cpu-quota" Value,
    cpu_shares => "--cpu-shares" Value,
    cpus => "--cpus" Value,
    cpuset_cpus => "--cpuset-cpus" Value,
    cpuset_mems => "--cpuset-mems" Value,
    device_cgroup_rules => "--device-cgroup-rule" List,
    device_read_bps => "--device-read-bps" Rates,
    device_read_iops => "--device-read-iops" Rates,
    device_write_bps => "--device-write-bps" Rates,
    device_write_iops => "--device-write-iops" Rates,
    devices => "--device" Devices,
    dns_opts => "--dns-option" List,
    dns_search_domains => "--dns-search" List,
    dns_servers => "--dns" List,
    domainname => "--domainname" Value,
    env_file => "--env-file" Value,
    etc_hosts => "--add-host" ColonMap,
    exposed_ports ["expose"] => "--expose" List,
    groups => "--group-add" List,
    hostname => "--hostname" Value,
    init => "--init" Bool,
    interactive => "--interactive" Bool,
    ipc_mode => "--ipc" Value,
    kernel_memory => "--kernel-memory" Value,
    labels => "--label" Map,
    links => "--link" List,
    log_driver => "--log-driver" Value,
    log_options ["log_opt"] => "--log-opt" Map,
    mac_address => "--mac-address" Value,
    memory => "--memory" Value,
    memory_reservation => "--memory-reservation" Value,
    memory_swap => "--memory-swap" Value,
    memory_swappiness => "--memory-swappiness" Value,
    oom_killer => "--oom-kill-disable" NotBool,
    oom_score_adj => "--oom-score-adj" Value,
    pid_mode => "--pid" Value,
    pids_limit => "--pids-limit" Value,
    platform => "--platform" Value,
    privileged => "--privileged" Bool,
    publish_all_ports => "--publish-all" Bool,
    read_only => "--read-only" Bool,
    runtime => "--runtime" Value,
    security_opts => "--security-opt" List,
    shm_size => "--shm-size" Value,
    stop_signal => "--stop-signal" Value,
    stop_timeout => "--stop-timeout" Value,
    storage_opts => "--storage-opt" Map,
    sysctls => "--sysctl" Map,
    tmpfs => "--tmpfs" List,
    tty => "--tty" Bool,
    ulimits => "--ulimit" Ulimits,
    user => "--user" Value,
    userns_mode => "--userns" Value,
    uts => "--uts" Value,
    volume_driver => "--volume-driver" Value,
    volumes_from => "--volumes-from" List,
    working_dir => "--workdir" Value,
}

/// A JSON scalar as the text docker takes.
pub(crate) fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn truthy(v: &Json) -> Result<bool, String> {
    match v {
        Json::Bool(b) => Ok(*b),
        Json::String(s) => {
            crate::text::ansible_bool(s).ok_or_else(|| format!("'{s}' is not a boolean"))
        }
        other => Err(format!("{other} is not a boolean")),
    }
}

impl Flags {
    /// The flags for the given options (appended to `cmd`), or what is wrong with a value.
    pub(crate) fn write(&self, cmd: &mut String) -> Result<(), String> {
        for (name, flag, shape, value) in self.given() {
            write_one(cmd, flag, shape, value).map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(())
    }

    /// The given options as one JSON object, for the configuration hash.
    pub(crate) fn asked(&self) -> Json {
        Json::Object(
            self.given()
                .into_iter()
                .map(|(name, _, _, v)| (name.to_string(), v.clone()))
                .collect(),
        )
    }
}

fn write_one(cmd: &mut String, flag: &str, shape: Shape, value: &Json) -> Result<(), String> {
    let items = || match value {
        Json::Array(items) => items.clone(),
        Json::Null => Vec::new(),
        one => vec![one.clone()],
    };
    let mut put = |v: String| {
        let _ = write!(cmd, " {flag} {}", quote(&v));
    };
    match shape {
        Shape::Value => put(text(value)),
        Shape::Bool if truthy(value)? => {
            let _ = write!(cmd, " {flag}");
        }
        Shape::NotBool if !truthy(value)? => {
            let _ = write!(cmd, " {flag}");
        }
        Shape::Bool | Shape::NotBool => {}
        Shape::List => items().iter().for_each(|i| put(text(i))),
        Shape::Map | Shape::ColonMap => {
            let Json::Object(map) = value else {
                return Err("must be a mapping".into());
            };
            let sep = if matches!(shape, Shape::Map) {
                "="
            } else {
                ":"
            };
            map.iter()
                .for_each(|(k, v)| put(format!("{k}{sep}{}", text(v))));
        }
        Shape::Rates => {
            for item in items() {
                let get = |k: &str| item.get(k).map(text).unwrap_or_default();
                put(format!("{}:{}", get("path"), get("rate")));
            }
        }
        Shape::Ulimits => {
            for item in items() {
                let t = text(&item);
                let (name, limits) = t.split_once(':').ok_or("is NAME:SOFT[:HARD]")?;
                put(format!("{name}={limits}"));
            }
        }
        Shape::Devices => {
            for item in items() {
                put(match &item {
                    Json::Object(d) => {
                        let get = |k: &str| d.get(k).map(text);
                        let host = get("path_on_host").unwrap_or_default();
                        let inside = get("path_in_container").unwrap_or_else(|| host.clone());
                        let perms = get("cgroup_permissions").unwrap_or_else(|| "rwm".into());
                        format!("{host}:{inside}:{perms}")
                    }
                    other => text(other),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_each_shape() {
        let flags: Flags = serde_json::from_value(serde_json::json!({
            "volumes_from": ["data", "logs:ro"],
            "privileged": "yes",
            "oom_killer": false,
            "labels": {"a": "b"},
            "etc_hosts": {"db": "10.0.0.2"},
            "ulimits": ["nofile:1024:2048"],
            "device_read_bps": [{"path": "/dev/sda", "rate": "1mb"}],
            "expose": [8080],
        }))
        .unwrap();
        let mut cmd = String::new();
        flags.write(&mut cmd).unwrap();
        assert_eq!(
            cmd,
            " --device-read-bps /dev/sda:1mb --add-host db:10.0.0.2 --expose 8080 --label a=b \
             --oom-kill-disable --privileged --ulimit nofile=1024:2048 --volumes-from data \
             --volumes-from logs:ro"
        );
    }
}
