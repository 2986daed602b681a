//! `amazon.aws.ssm_parameter` (and its old name `aws_ssm`): parameters of AWS Systems
//! Manager's Parameter Store by name, or every parameter under a path (`bypath`,
//! `recursive`), SecureStrings decrypted unless `decrypt=false`. Each value found is a
//! secret (see `aws.rs`).

use serde_json::{json, Map, Value as Json};

use super::aws::{self, OnAbsent};
use super::{text, Call, Fail, Found};
use crate::aws::{Client, Failure, Service};

const SSM: Service = Service {
    name: "ssm",
    env: "SSM",
    label: "SSM",
};

const OPTIONS: &[&str] = &[
    "bypath",
    "decrypt",
    "droppath",
    "on_denied",
    "on_missing",
    "recursive",
    "shortnames",
];

/// How the parameters are looked up, from the options.
struct Ask {
    decrypt: bool,
    recursive: bool,
    shortnames: bool,
    droppath: bool,
    on_missing: OnAbsent,
    on_denied: OnAbsent,
}

/// `ssm_parameter`: each term's value (`None` when skipped), or with `bypath` a mapping of
/// name → value for each path.
pub(crate) fn ssm_parameter(call: &Call) -> Found {
    aws::check_options(call, "amazon.aws.ssm_parameter", OPTIONS)?;
    let ask = Ask {
        decrypt: call.opt_bool("decrypt", true),
        recursive: call.opt_bool("recursive", false),
        shortnames: call.opt_bool("shortnames", false),
        droppath: call.opt_bool("droppath", false),
        on_missing: OnAbsent::read(call, "on_missing")?,
        on_denied: OnAbsent::read(call, "on_denied")?,
    };
    if ask.shortnames && ask.droppath {
        return Err(Fail::Hard(
            "shortnames and droppath are mutually exclusive. They cannot both be set to true."
                .into(),
        ));
    }
    let bypath = call.opt_bool("bypath", false);
    aws::with_client(call, &SSM, "amazon.aws.ssm_parameter", |client| {
        call.terms
            .iter()
            .map(|t| {
                let term = text(t);
                let found = if bypath {
                    by_path(client, &ask, &term)?
                } else {
                    by_name(client, &ask, &term)?
                };
                Ok(aws::secret(found))
            })
            .collect()
    })
}

fn exception(f: &Failure, action: &str) -> Fail {
    Fail::Soft(format!(
        "SSM lookup exception: An error occurred ({}) when calling the {action} operation: {}",
        f.code, f.message
    ))
}

/// One parameter's value, or `null` when it is missing or denied and that is not an error.
fn by_name(client: &Client<'_>, ask: &Ask, name: &str) -> Result<Json, Fail> {
    let body = json!({"Name": name, "WithDecryption": ask.decrypt});
    match aws::action(client, "AmazonSSM.GetParameter", &body)? {
        Ok(answer) => Ok(answer
            .pointer("/Parameter/Value")
            .cloned()
            .unwrap_or(Json::Null)),
        Err(f) if f.code == "ParameterNotFound" => {
            ask.on_missing.apply(
                format!("Failed to find SSM parameter {name} (ResourceNotFound)"),
                format!("Skipping, did not find SSM parameter {name}"),
            )?;
            Ok(Json::Null)
        }
        Err(f) if f.code == "AccessDeniedException" => {
            ask.on_denied.apply(
                format!("Failed to access SSM parameter {name} (AccessDenied)"),
                format!("Skipping, access denied for SSM parameter {name}"),
            )?;
            Ok(Json::Null)
        }
        Err(f) => Err(exception(&f, "GetParameter")),
    }
}

/// Every parameter under `path` (one level, or all with `recursive`) as name → value.
fn by_path(client: &Client<'_>, ask: &Ask, path: &str) -> Result<Json, Fail> {
    let mut out = Map::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({
            "Path": path, "Recursive": ask.recursive, "WithDecryption": ask.decrypt
        });
        if let Some(t) = &token {
            body["NextToken"] = Json::from(t.as_str());
        }
        let answer = match aws::action(client, "AmazonSSM.GetParametersByPath", &body)? {
            Ok(answer) => answer,
            Err(f) if f.code == "AccessDeniedException" => {
                ask.on_denied.apply(
                    format!("Failed to access SSM parameter path {path} (AccessDenied)"),
                    format!("Skipping, access denied for SSM parameter path {path}"),
                )?;
                return Ok(Json::Object(Map::new()));
            }
            Err(f) => return Err(exception(&f, "GetParametersByPath")),
        };
        let params = answer.get("Parameters").and_then(Json::as_array);
        for p in params.into_iter().flatten() {
            let name = p.get("Name").map(text).unwrap_or_default();
            let value = p.get("Value").cloned().unwrap_or(Json::Null);
            out.insert(short_name(ask, path, &name), value);
        }
        match answer.get("NextToken").and_then(Json::as_str) {
            Some(t) if !t.is_empty() && token.as_deref() != Some(t) => token = Some(t.into()),
            _ => break,
        }
    }
    if out.is_empty() {
        ask.on_missing.apply(
            format!("Failed to find SSM parameter path {path} (ResourceNotFound)"),
            format!("Skipping, did not find SSM parameter path {path}"),
        )?;
    }
    Ok(Json::Object(out))
}

/// The name as `shortnames` (last segment) or `droppath` (the path removed) gives it.
fn short_name(ask: &Ask, path: &str, name: &str) -> String {
    if ask.shortnames {
        name.rsplit('/').next().unwrap_or(name).to_string()
    } else if ask.droppath {
        name.replace(path, "")
    } else {
        name.to_string()
    }
}
