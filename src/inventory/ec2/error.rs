//! What can go wrong reading an EC2 source, once the file's options are valid: credentials,
//! the API call, its XML, and the templates of `compose`/`groups`/`keyed_groups`. Each error
//! keeps its cause; `ec2/mod.rs` prefixes the file's path when it becomes a load error.
//!
//! The option checks (`options.rs`) are not here: they point at the YAML and are load errors
//! from the start.

use std::path::PathBuf;

use crate::template::TemplateError;

/// An EC2 source that cannot be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Ec2Error {
    /// A 200 answer that is not a DescribeInstances page.
    #[error("cannot read the EC2 answer from {url}: {source}")]
    Answer {
        url: String,
        #[source]
        source: XmlError,
    },
    /// AWS answered with an error code (after the retries for throttling).
    #[error(
        "EC2 DescribeInstances in {region} failed: {code}: {message}{}",
        .hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default()
    )]
    Api {
        region: String,
        code: String,
        message: String,
        /// What to do about `code`, when ferry knows.
        hint: Option<String>,
    },
    /// A `compose` expression failed (with `strict`).
    #[error("cannot set {var} for host {host}: {source}")]
    Compose {
        var: String,
        host: String,
        #[source]
        source: TemplateError,
    },
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
    /// A `groups` condition failed (with `strict`).
    #[error("cannot add host {host} to group {group}: {source}")]
    Group {
        host: String,
        group: String,
        #[source]
        source: TemplateError,
    },
    /// A profile file holds a key id without a secret, or a secret without a key id.
    #[error("profile '{profile}' in {} has only half a key pair", .file.display())]
    HalfKeyPair { profile: String, file: PathBuf },
    /// A `keyed_groups` key failed (with `strict`).
    #[error("cannot make a group for host {host} from {key}: {source}")]
    KeyedGroup {
        host: String,
        key: String,
        #[source]
        source: TemplateError,
    },
    /// No place of the credential chain had credentials.
    #[error("no AWS credentials found (looked in {})", .looked.join(", "))]
    NoCredentials { looked: Vec<String> },
    /// The endpoint of an AWS region name that does not exist.
    #[error(
        "the EC2 endpoint of region '{region}' ({url}) does not resolve: is '{region}' \
         a region name (such as eu-west-1)?"
    )]
    NoSuchRegion {
        region: String,
        url: String,
        #[source]
        source: ureq::Error,
    },
    /// The endpoint is not an http(s) URL.
    #[error("'{0}' is not an http(s) URL")]
    NotHttp(String),
    /// A region's thread panicked.
    #[error("a region query panicked")]
    Panicked,
    /// A profile named in the file or by `AWS_PROFILE` that has no credentials.
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
    #[error("cannot reach the EC2 API at {url}: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: ureq::Error,
    },
}

/// An API answer that is not the XML expected.
#[derive(Debug, thiserror::Error)]
pub(crate) enum XmlError {
    /// No element at all.
    #[error("empty XML")]
    Empty,
    /// Another root element than the one asked for.
    #[error("expected DescribeInstancesResponse, got <{0}>")]
    Root(String),
    /// Not well-formed.
    #[error("bad XML at byte {at}: {source}")]
    Syntax {
        at: u64,
        #[source]
        source: quick_xml::Error,
    },
    /// An end tag without its start.
    #[error("unbalanced XML")]
    Unbalanced,
}
