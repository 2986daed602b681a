//! EC2 instances as inventory hosts, from a file in the format of Ansible's
//! amazon.aws.aws_ec2 inventory plugin (`plugin: aws_ec2`, or a name ending in
//! `aws_ec2.yml`).
//!
//! - `options.rs`: the file's options, checked before any request.
//! - `api.rs`: DescribeInstances (paginated, retried when throttled).
//! - `xml.rs`: the API's XML as JSON host variables named as Ansible names them.
//! - `hosts.rs`: host names, `compose`, `groups`, `keyed_groups`.
//! - `error.rs`: what can fail after the options are read, each failure with its cause.
//!
//! Credentials, signing and the HTTP call are the shared `aws` module's.
//!
//! Regions are queried at once, one thread each. Any failure fails the whole source, so a
//! run never starts with half an inventory.

mod api;
mod error;
mod hosts;
mod options;
mod xml;

use std::path::Path;

use serde_json::Value as Json;

use self::error::Ec2Error;
use crate::error::LoadError;
use crate::inventory::model::{Model, Origin};
use crate::yaml::Node;

/// True for a file Ansible's aws_ec2 plugin would read: a name ending in `aws_ec2.yml` or
/// `aws_ec2.yaml`, or a `plugin: aws_ec2` key.
pub(crate) fn is_source(path: &Path, root: &Node) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.ends_with("aws_ec2.yml")
        || name.ends_with("aws_ec2.yaml")
        || root.as_map().is_some_and(|m| {
            m.iter().any(|(k, v)| {
                k.as_str() == Some("plugin")
                    && matches!(v.as_str(), Some("aws_ec2" | "amazon.aws.aws_ec2"))
            })
        })
}

/// Reads the EC2 source `path` (parsed as `root`) into `model`.
pub(crate) fn load(
    path: &Path,
    root: &Node,
    origin: &Origin,
    model: &mut Model,
) -> Result<(), LoadError> {
    let o = options::read(root)?;
    let failed = |e: &dyn std::fmt::Display| LoadError::plain(format!("{}: {e}", path.display()));
    let creds = crate::aws::credentials::find(&o.creds, "the inventory file").map_err(|e| {
        failed(&e).with_hint(
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (or aws_profile in \
             the file) for a profile in ~/.aws/credentials",
        )
    })?;
    let endpoint = o.endpoint.clone();
    let per_region: Vec<Result<Vec<Json>, Ec2Error>> = std::thread::scope(|s| {
        let jobs: Vec<_> = o
            .regions
            .iter()
            .map(|region| {
                let (o, creds, endpoint) = (&o, &creds, endpoint.as_deref());
                s.spawn(move || region_instances(endpoint, region, creds, o))
            })
            .collect();
        jobs.into_iter()
            .map(|j| j.join().unwrap_or(Err(Ec2Error::Panicked)))
            .collect()
    });
    let mut instances = Vec::new();
    for r in per_region {
        instances.extend(r.map_err(|e| failed(&e))?);
    }
    let new_hosts = hosts::build(instances, &o).map_err(|e| failed(&e))?;
    for h in new_hosts {
        for (group, parent) in &h.groups {
            model
                .add_host(group, &h.name, None, origin)
                .map_err(|e| failed(&e))?;
            if let Some(p) = parent {
                model.add_child(p, group).map_err(|e| failed(&e))?;
            }
        }
        for (k, v) in h.vars {
            model.set_host_var(&h.name, &k, v);
        }
    }
    Ok(())
}

/// The instances of one region: those matching any include set and no exclude set.
fn region_instances(
    endpoint: Option<&str>,
    region: &str,
    creds: &crate::aws::Credentials,
    o: &options::Options,
) -> Result<Vec<Json>, Ec2Error> {
    let id = |i: &Json| {
        i.get("instance_id")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut out: Vec<Json> = Vec::new();
    for set in &o.include {
        for i in api::describe(endpoint, region, creds, set)? {
            if !out.iter().any(|o| id(o) == id(&i)) {
                out.push(i);
            }
        }
    }
    for set in &o.exclude {
        let excluded: Vec<String> = api::describe(endpoint, region, creds, set)?
            .iter()
            .map(id)
            .collect();
        out.retain(|i| !excluded.contains(&id(i)));
    }
    Ok(out)
}
