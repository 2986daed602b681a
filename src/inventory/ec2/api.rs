//! DescribeInstances over the EC2 Query API: a signed form POST per page, following
//! NextToken, retried with backoff when AWS throttles. Errors say what AWS said and what to do.

use std::time::{Duration, SystemTime};

use serde_json::Value as Json;

use super::credentials::Credentials;
use super::error::Ec2Error;
use super::{sign, xml};

/// A DescribeInstances filter: `Name` and its values.
pub(crate) type Filter = (String, Vec<String>);

/// Attempts for a throttled request, and the first pause (doubled each time).
const ATTEMPTS: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// All instances in `region` matching `filters` (every filter must match).
pub(crate) fn describe(
    endpoint: Option<&str>,
    region: &str,
    creds: &Credentials,
    filters: &[Filter],
) -> Result<Vec<Json>, Ec2Error> {
    let url = match endpoint {
        Some(e) => e.to_string(),
        None => format!("https://ec2.{region}.amazonaws.com/"),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let body = form(filters, token.as_deref());
        let text = call(&agent, &url, region, creds, &body)?;
        let page = xml::instances(&text, region).map_err(|source| Ec2Error::Answer {
            url: url.clone(),
            source,
        })?;
        out.extend(page.instances);
        match page.next_token {
            Some(t) if token.as_deref() != Some(t.as_str()) => token = Some(t),
            _ => return Ok(out),
        }
    }
}

/// The form body of one DescribeInstances page.
fn form(filters: &[Filter], token: Option<&str>) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    f.append_pair("Action", "DescribeInstances");
    f.append_pair("Version", "2016-11-15");
    for (i, (name, values)) in filters.iter().enumerate() {
        f.append_pair(&format!("Filter.{}.Name", i + 1), name);
        for (j, v) in values.iter().enumerate() {
            f.append_pair(&format!("Filter.{}.Value.{}", i + 1, j + 1), v);
        }
    }
    if let Some(t) = token {
        f.append_pair("NextToken", t);
    }
    f.finish()
}

/// One signed POST; retried while AWS throttles or answers 5xx.
fn call(
    agent: &ureq::Agent,
    url: &str,
    region: &str,
    creds: &Credentials,
    body: &str,
) -> Result<String, Ec2Error> {
    let host = host_of(url).ok_or_else(|| Ec2Error::NotHttp(url.to_string()))?;
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let mut pause = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        let request = sign::Request {
            method: "POST",
            url,
            headers: &[("host", host), ("content-type", content_type)],
            body: body.as_bytes(),
        };
        let signed = sign::headers(&request, creds, region, "ec2", SystemTime::now())
            .map_err(Ec2Error::Sign)?;
        let mut req = agent.post(url).header("content-type", content_type);
        for (k, v) in &signed {
            req = req.header(k.as_str(), v.as_str());
        }
        let mut resp = req.send(body).map_err(|e| unreachable(url, region, e))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|source| Ec2Error::Read {
                url: url.to_string(),
                source,
            })?;
        if status == 200 {
            return Ok(text);
        }
        let (code, message) = xml::error(&text)
            .unwrap_or_else(|| (format!("HTTP {status}"), text.chars().take(200).collect()));
        let throttled = matches!(
            code.as_str(),
            "RequestLimitExceeded" | "Throttling" | "ThrottlingException" | "InternalError"
        ) || status >= 500;
        if throttled && attempt < ATTEMPTS {
            std::thread::sleep(pause);
            pause *= 2;
            continue;
        }
        return Err(api_error(&code, &message, region, creds));
    }
    unreachable!("the last attempt returns")
}

fn host_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    Some(rest.split('/').next().unwrap_or(rest))
}

fn unreachable(url: &str, region: &str, source: ureq::Error) -> Ec2Error {
    let text = source.to_string();
    let url = url.to_string();
    if url.contains(".amazonaws.com")
        && (text.contains("resolve") || text.contains("lookup") || text.contains("Dns"))
    {
        let region = region.to_string();
        return Ec2Error::NoSuchRegion {
            region,
            url,
            source,
        };
    }
    Ec2Error::Unreachable { url, source }
}

/// AWS's error codes, with what to do about them.
fn api_error(code: &str, message: &str, region: &str, creds: &Credentials) -> Ec2Error {
    let hint = match code {
        "AuthFailure" | "InvalidClientTokenId" | "SignatureDoesNotMatch" => Some(format!(
            "the credentials from {} were refused: check the key pair",
            creds.source
        )),
        "RequestExpired" | "ExpiredToken" | "ExpiredTokenException" => Some(format!(
            "the credentials from {} have expired: renew the session (aws sso login, \
             or new temporary keys)",
            creds.source
        )),
        "UnauthorizedOperation" | "AccessDenied" => Some(
            "the credentials may not call ec2:DescribeInstances: grant it to the role or user"
                .to_string(),
        ),
        "OptInRequired" => Some(format!("region '{region}' is not enabled for this account")),
        "InvalidParameterValue" | "InvalidFilter" => Some(
            "check the filters: names as DescribeInstances takes them (tag:Key, instance-state-name, ...)"
                .to_string(),
        ),
        _ => None,
    };
    Ec2Error::Api {
        region: region.to_string(),
        code: code.to_string(),
        message: message.to_string(),
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_numbers_filters_and_values() {
        let filters = vec![
            (
                "tag:Role".to_string(),
                vec!["web".to_string(), "db".to_string()],
            ),
            (
                "instance-state-name".to_string(),
                vec!["running".to_string()],
            ),
        ];
        assert_eq!(
            form(&filters, Some("t/1")),
            "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3ARole&\
             Filter.1.Value.1=web&Filter.1.Value.2=db&Filter.2.Name=instance-state-name&\
             Filter.2.Value.1=running&NextToken=t%2F1"
        );
    }

    #[test]
    fn expired_tokens_say_what_to_do() {
        let creds = Credentials {
            access_key: "AK".into(),
            secret_key: "SK".into(),
            session_token: None,
            source: "the environment".into(),
        };
        let msg = api_error(
            "RequestExpired",
            "Request has expired.",
            "eu-west-1",
            &creds,
        )
        .to_string();
        assert_eq!(
            msg,
            "EC2 DescribeInstances in eu-west-1 failed: RequestExpired: Request has expired. \
             (the credentials from the environment have expired: renew the session (aws sso \
             login, or new temporary keys))"
        );
    }
}
