//! Signing AWS API requests with AWS Signature Version 4, by AWS's own aws-sigv4 crate. The
//! local AWS APIs the tests use do not check signatures, so the unit tests here check the
//! crate's use against AWS's published SigV4 test vectors.

use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use super::Credentials;

/// One request to sign.
pub(crate) struct Request<'a> {
    pub method: &'a str,
    /// The full URL, already encoded.
    pub url: &'a str,
    /// Headers that take part in the signature (`host` among them).
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// The headers to add to `request` (`authorization`, `x-amz-date`, and
/// `x-amz-security-token` for temporary credentials).
pub(crate) fn headers(
    request: &Request<'_>,
    creds: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
) -> Result<Vec<(String, String)>, Box<dyn std::error::Error + Send + Sync>> {
    let identity = Identity::from(aws_credential_types::Credentials::new(
        creds.access_key.clone(),
        creds.secret_key.clone(),
        creds.session_token.clone(),
        None,
        "ferry",
    ));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()?
        .into();
    let signable = SignableRequest::new(
        request.method,
        request.url,
        request.headers.iter().copied(),
        SignableBody::Bytes(request.body),
    )?;
    let (instructions, _) = sign(signable, &params)?.into_parts();
    Ok(instructions
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// AWS's SigV4 test suite: `get-vanilla` and `get-vanilla-with-session-token`
    /// (credentials AKIDEXAMPLE, us-east-1, service "service", 2015-08-30T12:36:00Z).
    #[test]
    fn matches_awss_published_test_vectors() {
        let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let cases = [
            (
                None,
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, \
                 Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
            (
                Some("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"),
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date;x-amz-security-token, \
                 Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
            ),
        ];
        for (token, want) in cases {
            let creds = Credentials {
                access_key: "AKIDEXAMPLE".into(),
                secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
                session_token: token.map(String::from),
                source: "test".into(),
            };
            let request = Request {
                method: "GET",
                url: "https://example.amazonaws.com/",
                headers: &[("host", "example.amazonaws.com")],
                body: b"",
            };
            let got = headers(&request, &creds, "us-east-1", "service", time).unwrap();
            let find = |k: &str| {
                got.iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(k))
                    .map(|(_, v)| v.clone())
            };
            assert_eq!(find("x-amz-date").as_deref(), Some("20150830T123600Z"));
            assert_eq!(find("authorization").as_deref(), Some(want));
            assert_eq!(find("x-amz-security-token").as_deref(), token);
        }
    }
}
