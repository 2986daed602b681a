//! `k8s`'s kubectl line and definitions: the connection arguments as kubectl flags (and proxy
//! environment), the definition filled from `api_version`/`kind`/`name`/`namespace` as
//! kubernetes.core fills it, and the resource name kubectl takes for a kind and API version.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;

/// How kubectl reaches the cluster (kubernetes.core's connection arguments).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Conn {
    kubeconfig: Option<String>,
    context: Option<String>,
    host: Option<String>,
    api_key: Option<String>,
    username: Option<String>,
    password: Option<String>,
    #[serde(default, alias = "verify_ssl", deserialize_with = "de_opt_bool")]
    validate_certs: Option<bool>,
    #[serde(alias = "ssl_ca_cert")]
    ca_cert: Option<String>,
    #[serde(alias = "cert_file")]
    client_cert: Option<String>,
    #[serde(alias = "key_file")]
    client_key: Option<String>,
    proxy: Option<String>,
    no_proxy: Option<String>,
    /// kubectl writes refreshed credentials back itself.
    #[allow(dead_code)]
    persist_config: Option<Json>,
    impersonate_user: Option<String>,
    #[serde(default)]
    impersonate_groups: Vec<String>,
}

fn de_opt_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    crate::modules::de_bool(d).map(Some)
}

impl Conn {
    /// `kubectl` with the connection flags (proxies as environment before it).
    pub(crate) fn kubectl(&self) -> String {
        let mut cmd = String::new();
        for (var, value) in [("HTTPS_PROXY", &self.proxy), ("NO_PROXY", &self.no_proxy)] {
            if let Some(v) = value {
                let _ = write!(cmd, "{var}={} ", quote(v));
            }
        }
        cmd.push_str("kubectl");
        for (flag, value) in [
            ("--kubeconfig", &self.kubeconfig),
            ("--context", &self.context),
            ("--server", &self.host),
            ("--token", &self.api_key),
            ("--username", &self.username),
            ("--password", &self.password),
            ("--certificate-authority", &self.ca_cert),
            ("--client-certificate", &self.client_cert),
            ("--client-key", &self.client_key),
            ("--as", &self.impersonate_user),
        ] {
            if let Some(v) = value {
                let _ = write!(cmd, " {flag} {}", quote(v));
            }
        }
        for g in &self.impersonate_groups {
            let _ = write!(cmd, " --as-group {}", quote(g));
        }
        if self.validate_certs == Some(false) {
            cmd.push_str(" --insecure-skip-tls-verify");
        }
        cmd
    }
}

/// What a task says about the object besides its definition.
pub(crate) struct Ident<'a> {
    pub api_version: &'a str,
    pub kind: Option<&'a str>,
    pub name: Option<&'a str>,
    pub namespace: Option<&'a str>,
}

/// Fills what a definition (one object or a list of them) leaves out from the task:
/// `apiVersion`, `kind`, `metadata.name`, `metadata.namespace`.
pub(crate) fn fill(def: &mut Json, id: &Ident<'_>) {
    if let Json::Array(items) = def {
        items.iter_mut().for_each(|d| fill(d, id));
        return;
    }
    let Json::Object(obj) = def else { return };
    obj.entry("apiVersion")
        .or_insert_with(|| id.api_version.into());
    if let Some(kind) = id.kind {
        obj.entry("kind").or_insert_with(|| kind.into());
    }
    let meta = obj
        .entry("metadata")
        .or_insert_with(|| Json::Object(Default::default()));
    if let Json::Object(meta) = meta {
        if let Some(name) = id.name {
            meta.entry("name").or_insert_with(|| name.into());
        }
        if let Some(ns) = id.namespace {
            meta.entry("namespace").or_insert_with(|| ns.into());
        }
    }
}

/// The definition a task without `src`/`definition` means: its kind and name.
pub(crate) fn bare(id: &Ident<'_>) -> Option<Json> {
    let mut def = serde_json::json!({});
    id.kind?;
    fill(&mut def, id);
    Some(def)
}

/// The resource kubectl takes for a kind of an API version: `deployment.v1.apps` for
/// `apps/v1`, `namespace` for the core `v1`.
pub(crate) fn resource(kind: &str, api_version: &str) -> String {
    let kind = kind.to_lowercase();
    match api_version.split_once('/') {
        Some((group, version)) => format!("{kind}.{version}.{group}"),
        None => kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_definitions_and_names_resources() {
        let id = Ident {
            api_version: "apps/v1",
            kind: Some("Deployment"),
            name: Some("web"),
            namespace: Some("prod"),
        };
        let mut def = serde_json::json!({"spec": {}});
        fill(&mut def, &id);
        assert_eq!(
            def,
            serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "namespace": "prod"}, "spec": {}})
        );
        assert_eq!(resource("Deployment", "apps/v1"), "deployment.v1.apps");
        assert_eq!(resource("Namespace", "v1"), "namespace");
        let conn: Conn = serde_json::from_value(serde_json::json!(
            {"host": "https://k", "verify_ssl": "no", "proxy": "http://p"}
        ))
        .unwrap();
        assert_eq!(
            conn.kubectl(),
            "HTTPS_PROXY=http://p kubectl --server https://k --insecure-skip-tls-verify"
        );
    }
}
