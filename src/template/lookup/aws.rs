//! What amazon.aws's lookups share: the connection options (`region`, `profile`, the keys,
//! `endpoint_url`) and their aliases, the credentials and client they make, the JSON
//! protocol SSM and Secrets Manager speak, and `on_missing`/`on_denied`/`on_deleted`.
//! The plugins are `ssm.rs` and `secrets.rs`.
//!
//! Every value these lookups find is a secret: it is remembered by the vault mask
//! (`vault/mask.rs`) before it is returned, so no output shows it.

use serde_json::Value as Json;

use super::{text, Call, Fail};
use crate::aws::{Client, Credentials, Given, Post, Service};

/// The connection options of every amazon.aws lookup, with their aliases.
const CONNECTION: &[&str] = &[
    "access_key",
    "aws_access_key",
    "aws_access_key_id",
    "aws_endpoint_url",
    "aws_profile",
    "aws_region",
    "aws_secret_access_key",
    "aws_secret_key",
    "aws_security_token",
    "aws_session_token",
    "ec2_access_key",
    "ec2_region",
    "ec2_secret_key",
    "endpoint",
    "endpoint_url",
    "profile",
    "region",
    "secret_key",
    "security_token",
    "session_token",
];

/// What to do when a name is not there, is denied, or is deleted.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum OnAbsent {
    Error,
    Skip,
    Warn,
}

impl OnAbsent {
    /// The option `name` (default `error`), refused unless error, warn or skip.
    pub(super) fn read(call: &Call, name: &str) -> Result<Self, Fail> {
        match call.opt_str(name).map(|s| s.to_lowercase()).as_deref() {
            None | Some("error") => Ok(OnAbsent::Error),
            Some("skip") => Ok(OnAbsent::Skip),
            Some("warn") => Ok(OnAbsent::Warn),
            Some(other) => Err(Fail::Hard(format!(
                "\"{name}\" must be a string and one of \"error\", \"warn\" or \"skip\", not {other}"
            ))),
        }
    }

    /// `Err(message)` for `error`; else nothing is found, and `warn` shows Ansible's warning
    /// (`skipping`).
    pub(super) fn apply(self, message: String, skipping: String) -> Result<(), Fail> {
        match self {
            OnAbsent::Error => Err(Fail::Soft(message)),
            OnAbsent::Warn => {
                crate::template::warnings::push(skipping);
                Ok(())
            }
            OnAbsent::Skip => Ok(()),
        }
    }
}

/// Refuses an option that is neither the plugin's (`own`) nor a connection option.
pub(super) fn check_options(call: &Call, plugin: &str, own: &[&str]) -> Result<(), Fail> {
    for key in call.opts.keys() {
        if !own.contains(&key.as_str()) && !CONNECTION.contains(&key.as_str()) {
            let mut allowed: Vec<&str> = own.iter().chain(CONNECTION).copied().collect();
            allowed.sort_unstable();
            return Err(Fail::Hard(format!(
                "lookup {plugin}: unsupported option '{key}' (allowed: {})",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

/// The first of `names` given as an option.
fn first(call: &Call, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| call.opt_str(n))
        .filter(|v| !v.is_empty())
}

/// Credentials, region and endpoint from the options and the environment, then `f` with the
/// client of `service`.
pub(super) fn with_client<T>(
    call: &Call,
    service: &Service,
    plugin: &str,
    f: impl FnOnce(&Client<'_>) -> Result<T, Fail>,
) -> Result<T, Fail> {
    let given = Given {
        access_key: first(
            call,
            &[
                "access_key",
                "aws_access_key_id",
                "aws_access_key",
                "ec2_access_key",
            ],
        ),
        secret_key: first(
            call,
            &[
                "secret_key",
                "aws_secret_access_key",
                "aws_secret_key",
                "ec2_secret_key",
            ],
        ),
        session_token: first(
            call,
            &[
                "session_token",
                "aws_session_token",
                "security_token",
                "aws_security_token",
            ],
        ),
        profile: first(call, &["profile", "aws_profile"]),
    };
    let creds: Credentials = crate::aws::credentials::find(&given, "the lookup's options")
        .map_err(|e| Fail::Hard(format!("lookup {plugin}: {e}")))?;
    let region = first(call, &["region", "aws_region", "ec2_region"])
        .or_else(|| crate::aws::credentials::region(given.profile.as_deref()))
        .ok_or_else(|| {
            Fail::Hard(format!(
                "The {plugin} plugin requires a region and none was found in configuration, \
                 environment variables or botocore config files."
            ))
        })?;
    let endpoint = first(call, &["endpoint_url", "aws_endpoint_url", "endpoint"]);
    let client = Client::new(service, &region, endpoint.as_deref(), &creds);
    f(&client)
}

/// The answer to one JSON-protocol action (`target` as `AmazonSSM.GetParameter`), or AWS's
/// error code and message.
pub(super) fn action(
    client: &Client<'_>,
    target: &str,
    body: &Json,
) -> Result<Result<Json, crate::aws::Failure>, Fail> {
    let body = body.to_string();
    let post = Post {
        content_type: "application/x-amz-json-1.1",
        headers: &[("x-amz-target", target)],
        body: &body,
        error: json_error,
    };
    let answer = client.post(&post).map_err(|e| Fail::Soft(e.to_string()))?;
    Ok(match answer {
        Ok(text) => Ok(serde_json::from_str(&text).map_err(|e| {
            Fail::Soft(format!(
                "cannot read the answer to {target} from {}: {e}",
                client.url()
            ))
        })?),
        Err(failure) => Err(failure),
    })
}

/// `__type` (without its namespace) and `message` of a JSON error answer.
fn json_error(body: &str) -> Option<(String, String)> {
    let v: Json = serde_json::from_str(body).ok()?;
    let kind = v.get("__type").and_then(Json::as_str)?;
    let code = kind.rsplit('#').next().unwrap_or(kind).to_string();
    let message = ["message", "Message"]
        .iter()
        .find_map(|k| v.get(*k).map(text))
        .unwrap_or_default();
    Some((code, message))
}

/// `value`, remembered as a secret first.
pub(super) fn secret(value: Json) -> Json {
    crate::vault::mask::remember_json(&value);
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_give_the_short_code() {
        let body = r#"{"__type":"com.amazonaws.ssm#ParameterNotFound","message":"gone"}"#;
        assert_eq!(
            json_error(body),
            Some(("ParameterNotFound".into(), "gone".into()))
        );
        assert_eq!(json_error("<xml/>"), None);
    }
}
