//! AWS credentials, looked up as boto3 does: the keys the caller was given (an inventory
//! file's or a lookup's options); the profile it names (`aws_profile`), alone; else the environment, the shared credentials and config
//! files (profile `AWS_PROFILE`, else `default`), the container role (ECS/EKS), then the
//! instance role (IMDSv2). Each place tried is remembered, so "no credentials" can say where it looked.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value as Json;

use super::AwsError;

/// A key pair, with a session token for temporary credentials.
#[derive(Clone)]
pub(crate) struct Credentials {
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
    /// Where they came from (for messages; never the keys themselves).
    pub source: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials(from {})", self.source)
    }
}

/// What the caller (an inventory file, a lookup's options) says about credentials.
#[derive(Debug, Default, Clone)]
pub(crate) struct Given {
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub session_token: Option<String>,
    pub profile: Option<String>,
}

/// Finds credentials, or says where it looked.
/// `given_by` names where `given` came from ("the inventory file", "the lookup's options").
pub(crate) fn find(given: &Given, given_by: &str) -> Result<Credentials, AwsError> {
    let mut looked = Vec::new();
    if let (Some(a), Some(s)) = (&given.access_key, &given.secret_key) {
        return Ok(creds(a, s, given.session_token.clone(), given_by));
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let Some(profile) = &given.profile {
        // A profile the file names is used alone, as boto3 uses an explicit profile: falling
        // back to other credentials would query another account.
        return from_files(profile)?.ok_or_else(|| AwsError::Profile(profile.clone()));
    }
    let key = env("AWS_ACCESS_KEY_ID").or_else(|| env("AWS_ACCESS_KEY"));
    let secret = env("AWS_SECRET_ACCESS_KEY").or_else(|| env("AWS_SECRET_KEY"));
    if let (Some(a), Some(s)) = (&key, &secret) {
        let token = env("AWS_SESSION_TOKEN").or_else(|| env("AWS_SECURITY_TOKEN"));
        return Ok(creds(a, s, token, "the environment"));
    }
    looked.push("the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)".to_string());
    let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".into());
    match from_files(&profile) {
        Ok(Some(c)) => return Ok(c),
        Ok(None) => looked.push(format!(
            "profile '{profile}' in {} and {}",
            credentials_file().display(),
            config_file().display()
        )),
        Err(e) => return Err(e),
    }
    if env("AWS_PROFILE").is_some() {
        // A profile that was asked for by name must exist: falling back to a role would
        // query another account.
        return Err(AwsError::Profile(profile));
    }
    match from_container() {
        Some(Ok(c)) => return Ok(c),
        Some(Err(e)) => return Err(e),
        None => looked.push("the container role (AWS_CONTAINER_CREDENTIALS_*_URI)".into()),
    }
    if env("AWS_EC2_METADATA_DISABLED").as_deref() != Some("true") {
        if let Some(c) = from_instance() {
            return Ok(c);
        }
        looked.push("the instance role (IMDS at 169.254.169.254)".into());
    }
    Err(AwsError::NoCredentials { looked })
}

fn creds(a: &str, s: &str, token: Option<String>, source: &str) -> Credentials {
    Credentials {
        access_key: a.to_string(),
        secret_key: s.to_string(),
        session_token: token,
        source: source.to_string(),
    }
}

fn home() -> PathBuf {
    crate::paths::home_dir().unwrap_or_default()
}

fn credentials_file() -> PathBuf {
    std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".aws/credentials"))
}

fn config_file() -> PathBuf {
    std::env::var_os("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".aws/config"))
}

/// The profile's keys from the credentials file (`[name]`), else the config file
/// (`[profile name]`, or `[default]`).
fn from_files(profile: &str) -> Result<Option<Credentials>, AwsError> {
    let config_section = if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    };
    for (file, section) in [
        (credentials_file(), profile.to_string()),
        (config_file(), config_section),
    ] {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Some(keys) = ini_sections(&text).remove(&section) else {
            continue;
        };
        let get = |k: &str| keys.get(k).filter(|v| !v.is_empty()).cloned();
        match (get("aws_access_key_id"), get("aws_secret_access_key")) {
            (Some(a), Some(s)) => {
                let source = format!("profile '{profile}' in {}", file.display());
                return Ok(Some(creds(&a, &s, get("aws_session_token"), &source)));
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(AwsError::HalfKeyPair {
                    profile: profile.to_string(),
                    file,
                })
            }
            _ => {}
        }
    }
    Ok(None)
}

/// The region `AWS_REGION`/`AWS_DEFAULT_REGION` name, else the one the config file gives
/// `profile` (`AWS_PROFILE`, else `default`), as botocore finds it.
pub(crate) fn region(profile: Option<&str>) -> Option<String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let Some(r) = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")) {
        return Some(r);
    }
    let profile = profile
        .map(String::from)
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let section = if profile == "default" {
        profile
    } else {
        format!("profile {profile}")
    };
    let text = std::fs::read_to_string(config_file()).ok()?;
    ini_sections(&text)
        .remove(&section)?
        .remove("region")
        .filter(|r| !r.is_empty())
}

/// `[section]` → key → value, as the AWS files write them.
fn ini_sections(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut current = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name.trim().to_string());
            continue;
        }
        if let (Some(section), Some((k, v))) = (&current, line.split_once('=')) {
            out.entry(section.clone())
                .or_default()
                .insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    out
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into()
}

/// ECS/EKS task role: `None` when no container credentials are configured.
fn from_container() -> Option<Result<Credentials, AwsError>> {
    let url = match (
        std::env::var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
        std::env::var("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
    ) {
        (Ok(rel), _) => format!("http://169.254.170.2{rel}"),
        (_, Ok(full)) => full,
        _ => return None,
    };
    let token = std::env::var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        .ok()
        .and_then(|f| std::fs::read_to_string(f).ok())
        .or_else(|| std::env::var("AWS_CONTAINER_AUTHORIZATION_TOKEN").ok());
    let mut req = agent(Duration::from_secs(5)).get(&url);
    if let Some(t) = &token {
        req = req.header("Authorization", t.trim());
    }
    let call = |source| AwsError::ContainerCall {
        url: url.clone(),
        source,
    };
    let result = req
        .call()
        .and_then(|mut r| r.body_mut().read_to_string())
        .map_err(call)
        .and_then(|body| {
            role_json(&body, "the container role").ok_or(AwsError::ContainerAnswer {
                url: url.clone(),
                body,
            })
        });
    Some(result)
}

/// The instance role through IMDSv2; `None` when there is no metadata service.
fn from_instance() -> Option<Credentials> {
    let base = "http://169.254.169.254/latest";
    let agent = agent(Duration::from_secs(1));
    let token = agent
        .put(&format!("{base}/api/token"))
        .header("X-aws-ec2-metadata-token-ttl-seconds", "300")
        .send_empty()
        .ok()?
        .body_mut()
        .read_to_string()
        .ok()?;
    let get = |path: &str| -> Option<String> {
        let mut r = agent
            .get(&format!("{base}/meta-data/iam/security-credentials/{path}"))
            .header("X-aws-ec2-metadata-token", &token)
            .call()
            .ok()?;
        if r.status() != 200 {
            return None;
        }
        r.body_mut().read_to_string().ok()
    };
    let role = get("")?.lines().next()?.trim().to_string();
    role_json(&get(&role)?, "the instance role")
}

fn role_json(body: &str, source: &str) -> Option<Credentials> {
    let v: Json = serde_json::from_str(body).ok()?;
    let s = |k: &str| v.get(k).and_then(Json::as_str).map(String::from);
    Some(creds(
        &s("AccessKeyId")?,
        &s("SecretAccessKey")?,
        s("Token"),
        source,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_aws_ini_files() {
        let text = "[default]\naws_access_key_id = AK1\naws_secret_access_key=SK1\n\n# c\n[profile prod]\naws_access_key_id=AK2\n";
        let s = ini_sections(text);
        assert_eq!(s["default"]["aws_access_key_id"], "AK1");
        assert_eq!(s["default"]["aws_secret_access_key"], "SK1");
        assert_eq!(s["profile prod"]["aws_access_key_id"], "AK2");
    }

    #[test]
    fn keys_in_the_file_come_first() {
        let given = Given {
            access_key: Some("AK".into()),
            secret_key: Some("SK".into()),
            ..Given::default()
        };
        let c = find(&given, "the inventory file").unwrap();
        assert_eq!(
            (c.access_key.as_str(), c.source.as_str()),
            ("AK", "the inventory file")
        );
        assert_eq!(format!("{c:?}"), "Credentials(from the inventory file)");
    }
}
