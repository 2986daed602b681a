//! What can go wrong reading an EC2 source, once the file's options are valid: credentials
//! and the call (`aws::AwsError`), the API's error codes, its XML, and the templates of
//! `compose`/`groups`/`keyed_groups`. Each error keeps its cause; `ec2/mod.rs` prefixes the
//! file's path when it becomes a load error.
//!
//! The option checks (`options.rs`) are not here: they point at the YAML and are load errors
//! from the start.

use crate::aws::AwsError;
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
    /// No answer from AWS, or no credentials to ask with.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// A `compose` expression failed (with `strict`).
    #[error("cannot set {var} for host {host}: {source}")]
    Compose {
        var: String,
        host: String,
        #[source]
        source: TemplateError,
    },
    /// A `groups` condition failed (with `strict`).
    #[error("cannot add host {host} to group {group}: {source}")]
    Group {
        host: String,
        group: String,
        #[source]
        source: TemplateError,
    },
    /// A `keyed_groups` key failed (with `strict`).
    #[error("cannot make a group for host {host} from {key}: {source}")]
    KeyedGroup {
        host: String,
        key: String,
        #[source]
        source: TemplateError,
    },
    /// A region's thread panicked.
    #[error("a region query panicked")]
    Panicked,
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
