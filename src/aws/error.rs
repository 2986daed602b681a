//! What can fail talking to AWS, whatever the service: finding credentials, signing, reaching
//! the endpoint, reading its answer. What a service answers (an error code) is not here: each
//! caller reads its own codes from a [`super::client::Failure`].

use std::path::PathBuf;

/// A call to AWS that did not get an answer, or credentials that could not be found.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AwsError {
    /// The container credentials endpoint answered without a key pair.
    #[error("the container credentials endpoint {url} failed: {body}")]
    ContainerAnswer { url: String, body: String },
    /// The container credentials endpoint could not be called or read.
    #[error("the container credentials endpoint {url} failed: {source}")]
    ContainerCall {
        url: String,
        #[source]
        source: ureq::Error,
    },
    /// A profile file holds a key id without a secret, or a secret without a key id.
    #[error("profile '{profile}' in {} has only half a key pair", .file.display())]
    HalfKeyPair { profile: String, file: PathBuf },
    /// No place of the credential chain had credentials.
    #[error("no AWS credentials found (looked in {})", .looked.join(", "))]
    NoCredentials { looked: Vec<String> },
    /// The endpoint of an AWS region name that does not exist.
    #[error(
        "the {service} endpoint of region '{region}' ({url}) does not resolve: is '{region}' \
         a region name (such as eu-west-1)?"
    )]
    NoSuchRegion {
        service: &'static str,
        region: String,
        url: String,
        #[source]
        source: Box<ureq::Error>,
    },
    /// The endpoint is not an http(s) URL.
    #[error("'{0}' is not an http(s) URL")]
    NotHttp(String),
    /// A profile named by the caller or by `AWS_PROFILE` that has no credentials.
    #[error("the AWS profile '{0}' has no credentials")]
    Profile(String),
    /// The answer's body could not be read.
    #[error("cannot read the answer from {url}: {source}")]
    Read {
        url: String,
        #[source]
        source: ureq::Error,
    },
    /// The request could not be signed.
    #[error("cannot sign the request: {0}")]
    Sign(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The endpoint could not be reached.
    #[error("cannot reach the {service} API at {url}: {source}")]
    Unreachable {
        service: &'static str,
        url: String,
        #[source]
        source: Box<ureq::Error>,
    },
}
