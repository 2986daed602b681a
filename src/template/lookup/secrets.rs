//! `amazon.aws.secretsmanager_secret` (and its old name `aws_secret`): secrets of AWS
//! Secrets Manager by name (a version by `version_id`/`version_stage`; a key path inside a
//! JSON secret with `nested`; all joined with `join`), or every secret whose name starts
//! with a prefix (`bypath`). Each value found is a secret (see `aws.rs`).

use base64::Engine;
use serde_json::{json, Map, Value as Json};

use super::aws::{self, OnAbsent};
use super::{text, Call, Fail, Found};
use crate::aws::{Client, Service};

const SECRETS_MANAGER: Service = Service {
    name: "secretsmanager",
    env: "SECRETS_MANAGER",
    label: "Secrets Manager",
};

const OPTIONS: &[&str] = &[
    "bypath",
    "join",
    "nested",
    "on_deleted",
    "on_denied",
    "on_missing",
    "version_id",
    "version_stage",
];

/// What to ask for and what to do when it is absent.
struct Ask {
    version_id: Option<String>,
    version_stage: Option<String>,
    nested: bool,
    on_missing: OnAbsent,
    on_denied: OnAbsent,
    on_deleted: OnAbsent,
}

/// `secretsmanager_secret`: each term's secret (absent ones left out), or with `bypath` one
/// mapping of name → secret.
pub(crate) fn secretsmanager_secret(call: &Call) -> Found {
    let plugin = "amazon.aws.secretsmanager_secret";
    aws::check_options(call, plugin, OPTIONS)?;
    let ask = Ask {
        version_id: call.opt_str("version_id").filter(|v| !v.is_empty()),
        version_stage: call.opt_str("version_stage").filter(|v| !v.is_empty()),
        nested: call.opt_bool("nested", false),
        on_missing: OnAbsent::read(call, "on_missing")?,
        on_denied: OnAbsent::read(call, "on_denied")?,
        on_deleted: OnAbsent::read(call, "on_deleted")?,
    };
    let found = aws::with_client(call, &SECRETS_MANAGER, plugin, |client| {
        if call.opt_bool("bypath", false) {
            return by_prefix(client, &ask, &call.terms);
        }
        let mut found = Vec::new();
        for t in &call.terms {
            if let Some(v) = value(client, &ask, &text(t))? {
                found.push(Json::from(v));
            }
        }
        Ok(found)
    })?;
    let found: Vec<Json> = found.into_iter().map(aws::secret).collect();
    if call.opt_bool("join", false) && !call.opt_bool("bypath", false) {
        let joined: String = found.iter().map(text).collect();
        return Ok(vec![Json::from(joined)]);
    }
    Ok(found)
}

/// One mapping of every secret whose name starts with one of `prefixes`.
fn by_prefix(client: &Client<'_>, ask: &Ask, prefixes: &[Json]) -> Found {
    let plain = Ask {
        version_id: None,
        version_stage: None,
        nested: false,
        ..*ask
    };
    let mut out = Map::new();
    for prefix in prefixes {
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({"Filters": [{"Key": "name", "Values": [text(prefix)]}]});
            if let Some(t) = &token {
                body["NextToken"] = Json::from(t.as_str());
            }
            let answer = aws::action(client, "secretsmanager.ListSecrets", &body)?
                .map_err(|f| Fail::Soft(format!("Failed to retrieve secret: {}", f.message)))?;
            let list = answer.get("SecretList").and_then(Json::as_array);
            for name in list.into_iter().flatten().filter_map(|s| s.get("Name")) {
                let name = text(name);
                let v = value(client, &plain, &name)?;
                out.insert(name, v.map_or(Json::Null, Json::from));
            }
            match answer.get("NextToken").and_then(Json::as_str) {
                Some(t) if !t.is_empty() && token.as_deref() != Some(t) => token = Some(t.into()),
                _ => break,
            }
        }
    }
    Ok(vec![Json::Object(out)])
}

/// One secret's value (the key path's with `nested`), or `None` when absent and allowed.
fn value(client: &Client<'_>, ask: &Ask, term: &str) -> Result<Option<String>, Fail> {
    let mut keys = term.split('.');
    let id = if ask.nested {
        if !term.contains('.') {
            return Err(Fail::Hard(
                "Nested query must use the following syntax: `aws_secret_name.<key_name>.<key_name>"
                    .into(),
            ));
        }
        keys.next().unwrap_or(term)
    } else {
        term
    };
    let mut body = json!({"SecretId": id});
    if let Some(v) = &ask.version_id {
        body["VersionId"] = Json::from(v.as_str());
    }
    if let Some(v) = &ask.version_stage {
        body["VersionStage"] = Json::from(v.as_str());
    }
    let answer = match aws::action(client, "secretsmanager.GetSecretValue", &body)? {
        Ok(answer) => answer,
        // AWS says "marked for deletion" (what amazon.aws looks for); moto "marked deleted".
        Err(f)
            if f.message.contains("marked for deletion")
                || f.message.contains("marked deleted") =>
        {
            let msg = format!("Failed to find secret {term} (marked for deletion)");
            let skip = format!("Skipping, did not find secret (marked for deletion) {term}");
            return ask.on_deleted.apply(msg, skip).map(|()| None);
        }
        Err(f) if f.code == "ResourceNotFoundException" => {
            let msg = format!("Failed to find secret {term} (ResourceNotFound)");
            let skip = format!("Skipping, did not find secret {term}");
            return ask.on_missing.apply(msg, skip).map(|()| None);
        }
        Err(f) if f.code == "AccessDeniedException" => {
            let msg = format!("Failed to access secret {term} (AccessDenied)");
            let skip = format!("Skipping, access denied for secret {term}");
            return ask.on_denied.apply(msg, skip).map(|()| None);
        }
        Err(f) => {
            return Err(Fail::Soft(format!(
                "Failed to retrieve secret: An error occurred ({}) when calling the \
                 GetSecretValue operation: {}",
                f.code, f.message
            )))
        }
    };
    if let Some(b) = answer.get("SecretBinary").and_then(Json::as_str) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b)
            .unwrap_or_default();
        return Ok(Some(String::from_utf8_lossy(&bytes).into_owned()));
    }
    let Some(secret) = answer.get("SecretString").and_then(Json::as_str) else {
        return Ok(None);
    };
    if !ask.nested {
        return Ok(Some(secret.to_string()));
    }
    nested(ask, secret, keys)
}

/// The value at the key path in a JSON secret, as Python's `str` writes it.
fn nested<'a>(
    ask: &Ask,
    secret: &str,
    keys: impl Iterator<Item = &'a str>,
) -> Result<Option<String>, Fail> {
    let mut at: Json = serde_json::from_str(secret).map_err(|e| {
        Fail::Soft(format!(
            "Failed to retrieve secret: the secret is not JSON: {e}"
        ))
    })?;
    let mut path = String::new();
    for key in keys {
        path = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        match at.get(key) {
            Some(v) => at = v.clone(),
            None => {
                let msg = format!(
                    "Successfully retrieved secret but there exists no key {path} in the secret"
                );
                if ask.on_missing != OnAbsent::Skip {
                    return ask
                        .on_missing
                        .apply(msg.clone(), format!("Skipping, {msg}"))
                        .map(|()| None);
                }
            }
        }
    }
    Ok(Some(match at {
        Json::String(s) => s,
        other => super::repr(&other),
    }))
}
