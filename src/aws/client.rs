//! One AWS service endpoint and the signed POSTs made to it: the URL (given, from
//! `AWS_ENDPOINT_URL_<SERVICE>`/`AWS_ENDPOINT_URL`, else AWS's own), SigV4 headers, retries
//! with backoff while AWS throttles or fails, and the answer's body. What an error answer
//! means is the caller's business: it gets the code and message as a [`Failure`].

use std::time::{Duration, SystemTime};

use super::{sign, AwsError, Credentials};

/// Attempts for a throttled request, and the first pause (doubled each time).
const ATTEMPTS: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// Error codes that mean "try again later", whatever the service.
const THROTTLED: &[&str] = &[
    "InternalError",
    "InternalServerError",
    "RequestLimitExceeded",
    "ThrottledException",
    "Throttling",
    "ThrottlingException",
];

/// An AWS service: how its requests are signed, where its endpoint is, how it is named in
/// messages.
pub(crate) struct Service {
    /// The SigV4 signing name and endpoint prefix (`ec2`, `ssm`, `secretsmanager`).
    pub name: &'static str,
    /// The suffix of its `AWS_ENDPOINT_URL_<SERVICE>` variable (`EC2`, `SSM`, `SECRETS_MANAGER`).
    pub env: &'static str,
    /// Its name in messages (`EC2`, `SSM`, `Secrets Manager`).
    pub label: &'static str,
}

/// An error answer: AWS's error code and its message.
#[derive(Debug)]
pub(crate) struct Failure {
    pub code: String,
    pub message: String,
}

/// A service in one region, with the credentials that sign its requests.
pub(crate) struct Client<'a> {
    service: &'a Service,
    region: String,
    url: String,
    creds: &'a Credentials,
    agent: ureq::Agent,
}

/// One POST: its content type, headers beyond the signed `host`, body, and how to read the
/// error code and message out of an error answer.
pub(crate) struct Post<'a> {
    pub content_type: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a str,
    pub error: fn(&str) -> Option<(String, String)>,
}

impl<'a> Client<'a> {
    /// The client of `service` in `region`; `endpoint` overrides the URL (else the
    /// environment's, else AWS's).
    pub(crate) fn new(
        service: &'a Service,
        region: &str,
        endpoint: Option<&str>,
        creds: &'a Credentials,
    ) -> Self {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let url = endpoint
            .map(String::from)
            .or_else(|| env(&format!("AWS_ENDPOINT_URL_{}", service.env)))
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| format!("https://{}.{region}.amazonaws.com/", service.name));
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            service,
            region: region.to_string(),
            url,
            creds,
            agent,
        }
    }

    /// The endpoint's URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The credentials that sign the requests.
    pub(crate) fn creds(&self) -> &Credentials {
        self.creds
    }

    /// One signed POST, retried while AWS throttles or answers 5xx: the body of a 200
    /// answer, or the last error answer.
    pub(crate) fn post(&self, post: &Post<'_>) -> Result<Result<String, Failure>, AwsError> {
        let url = self.url.as_str();
        let host = host_of(url).ok_or_else(|| AwsError::NotHttp(url.to_string()))?;
        let mut signed_headers = vec![("host", host), ("content-type", post.content_type)];
        signed_headers.extend_from_slice(post.headers);
        let mut pause = FIRST_BACKOFF;
        for attempt in 1..=ATTEMPTS {
            let request = sign::Request {
                method: "POST",
                url,
                headers: &signed_headers,
                body: post.body.as_bytes(),
            };
            let signed = sign::headers(
                &request,
                self.creds,
                &self.region,
                self.service.name,
                SystemTime::now(),
            )
            .map_err(AwsError::Sign)?;
            let mut req = self.agent.post(url);
            for (k, v) in signed_headers.iter().skip(1) {
                req = req.header(*k, *v);
            }
            for (k, v) in &signed {
                req = req.header(k.as_str(), v.as_str());
            }
            let mut resp = req.send(post.body).map_err(|e| self.unreachable(e))?;
            let status = resp.status().as_u16();
            let text = resp
                .body_mut()
                .with_config()
                .limit(64 * 1024 * 1024)
                .read_to_string()
                .map_err(|source| AwsError::Read {
                    url: url.to_string(),
                    source,
                })?;
            if status == 200 {
                return Ok(Ok(text));
            }
            let (code, message) = (post.error)(&text)
                .unwrap_or_else(|| (format!("HTTP {status}"), text.chars().take(200).collect()));
            if (THROTTLED.contains(&code.as_str()) || status >= 500) && attempt < ATTEMPTS {
                std::thread::sleep(pause);
                pause *= 2;
                continue;
            }
            return Ok(Err(Failure { code, message }));
        }
        unreachable!("the last attempt returns")
    }

    fn unreachable(&self, source: ureq::Error) -> AwsError {
        let text = source.to_string();
        let source = Box::new(source);
        let (url, service) = (self.url.clone(), self.service.label);
        if url.contains(".amazonaws.com")
            && (text.contains("resolve") || text.contains("lookup") || text.contains("Dns"))
        {
            let region = self.region.clone();
            return AwsError::NoSuchRegion {
                service,
                region,
                url,
                source,
            };
        }
        AwsError::Unreachable {
            service,
            url,
            source,
        }
    }
}

fn host_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    Some(rest.split('/').next().unwrap_or(rest))
}
