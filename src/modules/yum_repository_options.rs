//! The options of a `yum_repository` section, as ansible.builtin.yum_repository takes them:
//! each becomes the key of the same name (the description becomes `name`), written as
//! Ansible writes it — booleans `1`/`0`, `baseurl`/`gpgkey` one per line, `exclude`/
//! `includepkgs` separated by spaces, anything else as its text.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::args::refuse_choice;
use crate::modules::ArgProblem;
use crate::vars::Vars;

/// How an option's value is written.
#[derive(Clone, Copy)]
enum Kind {
    /// `1` or `0`.
    Bool,
    /// Items one per line.
    Lines,
    /// Items separated by spaces.
    Words,
    /// Its text.
    Text,
}

/// Every option: its key, how it is written, and its value as the task gave it.
#[derive(Deserialize, Default)]
pub(crate) struct Options {
    bandwidth: Option<Json>,
    baseurl: Option<Json>,
    cost: Option<Json>,
    countme: Option<Json>,
    deltarpm_metadata_percentage: Option<Json>,
    deltarpm_percentage: Option<Json>,
    enabled: Option<Json>,
    enablegroups: Option<Json>,
    #[serde(alias = "excludepkgs")]
    exclude: Option<Json>,
    failovermethod: Option<Json>,
    gpgcakey: Option<Json>,
    gpgcheck: Option<Json>,
    gpgkey: Option<Json>,
    module_hotfixes: Option<Json>,
    http_caching: Option<Json>,
    include: Option<Json>,
    includepkgs: Option<Json>,
    ip_resolve: Option<Json>,
    keepalive: Option<Json>,
    keepcache: Option<Json>,
    metadata_expire: Option<Json>,
    metadata_expire_filter: Option<Json>,
    metalink: Option<Json>,
    mirrorlist: Option<Json>,
    mirrorlist_expire: Option<Json>,
    password: Option<Json>,
    priority: Option<Json>,
    protect: Option<Json>,
    proxy: Option<Json>,
    proxy_password: Option<Json>,
    proxy_username: Option<Json>,
    repo_gpgcheck: Option<Json>,
    retries: Option<Json>,
    s3_enabled: Option<Json>,
    skip_if_unavailable: Option<Json>,
    #[serde(alias = "ca_cert")]
    sslcacert: Option<Json>,
    ssl_check_cert_permissions: Option<Json>,
    #[serde(alias = "client_cert")]
    sslclientcert: Option<Json>,
    #[serde(alias = "client_key")]
    sslclientkey: Option<Json>,
    #[serde(alias = "validate_certs")]
    sslverify: Option<Json>,
    throttle: Option<Json>,
    timeout: Option<Json>,
    ui_repoid_vars: Option<Json>,
    username: Option<Json>,
    #[serde(rename = "async")]
    async_: Option<Json>,
}

impl Options {
    /// The options given, by key, in sorted order.
    fn given(&self) -> Vec<(&'static str, Kind, &Option<Json>)> {
        let mut all = vec![
            ("bandwidth", Kind::Text, &self.bandwidth),
            ("baseurl", Kind::Lines, &self.baseurl),
            ("cost", Kind::Text, &self.cost),
            ("countme", Kind::Bool, &self.countme),
            (
                "deltarpm_metadata_percentage",
                Kind::Text,
                &self.deltarpm_metadata_percentage,
            ),
            ("deltarpm_percentage", Kind::Text, &self.deltarpm_percentage),
            ("enabled", Kind::Bool, &self.enabled),
            ("enablegroups", Kind::Bool, &self.enablegroups),
            ("exclude", Kind::Words, &self.exclude),
            ("failovermethod", Kind::Text, &self.failovermethod),
            ("gpgcakey", Kind::Text, &self.gpgcakey),
            ("gpgcheck", Kind::Bool, &self.gpgcheck),
            ("gpgkey", Kind::Lines, &self.gpgkey),
            ("module_hotfixes", Kind::Bool, &self.module_hotfixes),
            ("http_caching", Kind::Text, &self.http_caching),
            ("include", Kind::Text, &self.include),
            ("includepkgs", Kind::Words, &self.includepkgs),
            ("ip_resolve", Kind::Text, &self.ip_resolve),
            ("keepalive", Kind::Bool, &self.keepalive),
            ("keepcache", Kind::Text, &self.keepcache),
            ("metadata_expire", Kind::Text, &self.metadata_expire),
            (
                "metadata_expire_filter",
                Kind::Text,
                &self.metadata_expire_filter,
            ),
            ("metalink", Kind::Text, &self.metalink),
            ("mirrorlist", Kind::Text, &self.mirrorlist),
            ("mirrorlist_expire", Kind::Text, &self.mirrorlist_expire),
            ("password", Kind::Text, &self.password),
            ("priority", Kind::Text, &self.priority),
            ("protect", Kind::Bool, &self.protect),
            ("proxy", Kind::Text, &self.proxy),
            ("proxy_password", Kind::Text, &self.proxy_password),
            ("proxy_username", Kind::Text, &self.proxy_username),
            ("repo_gpgcheck", Kind::Bool, &self.repo_gpgcheck),
            ("retries", Kind::Text, &self.retries),
            ("s3_enabled", Kind::Bool, &self.s3_enabled),
            ("skip_if_unavailable", Kind::Bool, &self.skip_if_unavailable),
            ("sslcacert", Kind::Text, &self.sslcacert),
            (
                "ssl_check_cert_permissions",
                Kind::Bool,
                &self.ssl_check_cert_permissions,
            ),
            ("sslclientcert", Kind::Text, &self.sslclientcert),
            ("sslclientkey", Kind::Text, &self.sslclientkey),
            ("sslverify", Kind::Bool, &self.sslverify),
            ("throttle", Kind::Text, &self.throttle),
            ("timeout", Kind::Text, &self.timeout),
            ("ui_repoid_vars", Kind::Text, &self.ui_repoid_vars),
            ("username", Kind::Text, &self.username),
            ("async", Kind::Bool, &self.async_),
        ];
        all.sort_by_key(|(k, _, _)| *k);
        all
    }

    /// Whether a source is given (`baseurl`, `mirrorlist` or `metalink`).
    pub(crate) fn has_source(&self) -> bool {
        [&self.baseurl, &self.mirrorlist, &self.metalink]
            .iter()
            .any(|v| !matches!(v, None | Some(Json::Null)))
    }

    /// The section's keys and values, sorted by key, with `name` the description.
    pub(crate) fn settings(&self, description: Option<&str>) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .given()
            .into_iter()
            .filter_map(|(key, kind, v)| match v {
                None | Some(Json::Null) => None,
                Some(v) => Some((key.to_string(), written(kind, v))),
            })
            .collect();
        if let Some(d) = description {
            out.push(("name".into(), d.to_string()));
        }
        out.sort();
        out
    }
}

/// A value as Ansible writes it.
fn written(kind: Kind, v: &Json) -> String {
    let text = |v: &Json| match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    let items = |v: &Json| match v {
        Json::Array(items) => items.iter().map(text).collect::<Vec<_>>(),
        Json::String(s) => s.split(',').map(|p| p.trim().to_string()).collect(),
        other => vec![text(other)],
    };
    match kind {
        Kind::Bool => {
            let on = match v {
                Json::Bool(b) => *b,
                Json::String(s) => crate::text::ansible_bool(s).unwrap_or(false),
                Json::Number(n) => n.as_f64() != Some(0.0),
                _ => false,
            };
            if on { "1" } else { "0" }.to_string()
        }
        Kind::Lines => items(v).join("\n"),
        Kind::Words => items(v).join(" "),
        Kind::Text => text(v),
    }
}

/// The options with a fixed set of values, refused at load when written otherwise.
pub(crate) fn check(args: &Vars) -> Result<(), ArgProblem> {
    let m = "yum_repository";
    refuse_choice(args, m, &["failovermethod"], &["roundrobin", "priority"])?;
    refuse_choice(args, m, &["http_caching"], &["all", "packages", "none"])?;
    refuse_choice(
        args,
        m,
        &["ip_resolve"],
        &["4", "6", "IPv4", "IPv6", "whatever"],
    )?;
    refuse_choice(args, m, &["keepcache"], &["0", "1"])?;
    let filters = [
        "never",
        "read-only:past",
        "read-only:present",
        "read-only:future",
    ];
    refuse_choice(args, m, &["metadata_expire_filter"], &filters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_written_as_ansible_writes_them() {
        let o: Options = serde_json::from_value(serde_json::json!({
            "baseurl": ["file:///a", "file:///b"], "enabled": "yes", "gpgcheck": false,
            "excludepkgs": "x, y", "cost": 10, "validate_certs": true,
        }))
        .unwrap();
        let s = o.settings(Some("Test"));
        let pairs: Vec<String> = s.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            pairs,
            [
                "baseurl=file:///a\nfile:///b",
                "cost=10",
                "enabled=1",
                "exclude=x y",
                "gpgcheck=0",
                "name=Test",
                "sslverify=1"
            ]
        );
    }
}
