//! Talking to AWS, for every part of ferry that does: the EC2 inventory
//! (`inventory/ec2/`) and the SSM Parameter Store and Secrets Manager lookups
//! (`template/lookup/aws.rs`).
//!
//! - `credentials.rs`: the credential chain, as boto3 walks it.
//! - `sign.rs`: SigV4 signing with AWS's aws-sigv4 crate.
//! - `client.rs`: one service endpoint and its signed, retried POSTs.
//! - `error.rs`: what can fail before a service answers.
//!
//! What a service's answers mean (XML for EC2, JSON for SSM and Secrets Manager) stays with
//! the caller.

pub(crate) mod client;
pub(crate) mod credentials;
mod error;
mod sign;

pub(crate) use client::{Client, Failure, Post, Service};
pub(crate) use credentials::{Credentials, Given};
pub(crate) use error::AwsError;
