//! The `url` plugin: the body of each URL fetched from the control node (split into lines
//! by default), with `validate_certs`, `headers`, `username`/`password`, `timeout`,
//! `method` and `http_agent`.

use std::time::Duration;

use base64::Engine;
use serde_json::Value as Json;

use super::{text, Call, Fail, Found};

/// `url`: each URL's content.
pub(crate) fn url(call: &Call) -> Found {
    let agent = agent(call);
    let split = call.opt_bool("split_lines", true);
    let mut found = Vec::new();
    for t in &call.terms {
        let body = fetch(call, &agent, &text(t))?;
        if split {
            found.extend(body.lines().map(Json::from));
        } else {
            found.push(Json::from(body));
        }
    }
    Ok(found)
}

fn agent(call: &Call) -> ureq::Agent {
    let timeout = call
        .opts
        .get("timeout")
        .and_then(|t| text(t).parse::<f64>().ok())
        .unwrap_or(10.0);
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(!call.opt_bool("validate_certs", true))
        .build();
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs_f64(timeout.max(0.001))))
        .http_status_as_error(false)
        .tls_config(tls)
        .build()
        .into()
}

/// One URL's body, or Ansible's message for a failed fetch.
fn fetch(call: &Call, agent: &ureq::Agent, url: &str) -> Result<String, Fail> {
    let method = call
        .opt_str("method")
        .unwrap_or_else(|| "GET".into())
        .to_uppercase();
    let mut req = ureq::http::Request::builder()
        .method(method.as_str())
        .uri(url);
    let agent_name = call
        .opt_str("http_agent")
        .unwrap_or_else(|| "ansible-httpget".into());
    req = req.header("User-Agent", agent_name);
    if let Some(Json::Object(headers)) = call.opts.get("headers") {
        for (k, v) in headers {
            req = req.header(k.as_str(), text(v));
        }
    }
    if let Some(user) = call.opt_str("username") {
        let pass = call.opt_str("password").unwrap_or_default();
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        req = req.header("Authorization", format!("Basic {token}"));
    }
    let req = req
        .body(())
        .map_err(|e| Fail::Soft(format!("Failed lookup url for {url} : {e}")))?;
    let mut resp = agent
        .run(req)
        .map_err(|e| Fail::Soft(format!("Failed lookup url for {url} : {e}")))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(Fail::Soft(format!(
            "Received HTTP error for {url} : HTTP Error {}: {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )));
    }
    resp.body_mut()
        .read_to_string()
        .map_err(|e| Fail::Soft(format!("Failed lookup url for {url} : {e}")))
}
