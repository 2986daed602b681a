//! DescribeInstances over the EC2 Query API: a signed form POST per page, following
//! NextToken, retried with backoff when AWS throttles. Errors say what AWS said and what to do.

use serde_json::Value as Json;

use super::error::Ec2Error;
use super::xml;
use crate::aws::{Client, Credentials, Post, Service};

/// EC2, for the shared client.
pub(crate) const EC2: Service = Service {
    name: "ec2",
    env: "EC2",
    label: "EC2",
};

/// A DescribeInstances filter: `Name` and its values.
pub(crate) type Filter = (String, Vec<String>);

/// All instances in `region` matching `filters` (every filter must match).
pub(crate) fn describe(
    endpoint: Option<&str>,
    region: &str,
    creds: &Credentials,
    filters: &[Filter],
) -> Result<Vec<Json>, Ec2Error> {
    let client = Client::new(&EC2, region, endpoint, creds);
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let body = form(filters, token.as_deref());
        let post = Post {
            content_type: "application/x-www-form-urlencoded; charset=utf-8",
            headers: &[],
            body: &body,
            error: xml::error,
        };
        let text = client
            .post(&post)?
            .map_err(|f| api_error(&f.code, &f.message, region, client.creds()))?;
        let page = xml::instances(&text, region).map_err(|source| Ec2Error::Answer {
            url: client.url().to_string(),
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
