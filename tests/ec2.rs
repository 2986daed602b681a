//! Issue 7: EC2 instances found by tag, through a real EC2 API: moto's server on 127.0.0.1
//! (it answers DescribeInstances as AWS does, without checking signatures; the signatures
//! are checked against AWS's test vectors in src/inventory/ec2/sign.rs).

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value as Json;

use crate::support::moto::Moto;
use crate::support::{counts, Run, SshHosts};

/// Runs ferry with test credentials for moto (and none from the machine).
fn ferry(args: &[&str], cwd: &Path) -> Run {
    let home = cwd.join("home");
    fs::create_dir_all(&home).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .current_dir(cwd)
        .env("HOME", &home)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn list(dir: &Path, inventory: &str) -> Json {
    let run = ferry(&["inventory", "-i", inventory, "--list"], dir);
    assert_eq!(run.code, 0, "{}", run.all());
    serde_json::from_str(&run.stdout).unwrap()
}

fn hosts_of(list: &Json, group: &str) -> Vec<String> {
    list[group]["hosts"]
        .as_array()
        .map(|a| a.iter().map(|h| h.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn ec2_inventory_groups_hosts_by_tag_in_two_regions() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let eu = moto.run_instances(
        "eu-west-1",
        &[
            &[("Name", "web-1"), ("Role", "web"), ("Project", "cicd")],
            &[("Name", "web-2"), ("Role", "web"), ("Project", "cicd")],
            &[("Name", "db-1"), ("Role", "db"), ("Project", "cicd")],
            &[("Name", "other-1"), ("Role", "web"), ("Project", "other")],
            &[("Name", "gone-1"), ("Role", "web"), ("Project", "cicd")],
        ],
        &["gone-1"],
    );
    let us = moto.run_instances(
        "us-east-1",
        &[&[("Name", "web-3"), ("Role", "web"), ("Project", "cicd")]],
        &[],
    );
    let file = dir.path().join("prod.aws_ec2.yml");
    fs::write(
        &file,
        format!(
            "plugin: amazon.aws.aws_ec2\nregions: [eu-west-1, us-east-1]\nendpoint_url: {}\n\
             filters:\n  tag:Project: cicd\nkeyed_groups:\n  - key: tags.Role\n    prefix: role\n  \
             - key: placement.region\n    prefix: aws_region\n    parent_group: regions\n\
             hostnames:\n  - tag:Name\n  - private-ip-address\n\
             groups:\n  europe: \"placement.region.startswith('eu-')\"\n\
             compose:\n  ansible_host: private_ip_address\n  role: tags.Role | upper\n",
            moto.endpoint
        ),
    )
    .unwrap();
    let l = list(dir.path(), "prod.aws_ec2.yml");
    assert_eq!(
        hosts_of(&l, "role_web"),
        ["web-1", "web-2", "web-3"],
        "{l:#}"
    );
    assert_eq!(hosts_of(&l, "role_db"), ["db-1"]);
    assert_eq!(hosts_of(&l, "europe"), ["web-1", "web-2", "db-1"]);
    assert_eq!(hosts_of(&l, "aws_region_us-east-1"), ["web-3"]);
    assert_eq!(
        hosts_of(&l, "aws_ec2"),
        ["web-1", "web-2", "db-1", "web-3"],
        "other projects and terminated instances are left out: {l:#}"
    );
    assert_eq!(
        l["regions"]["children"],
        serde_json::json!(["aws_region_eu-west-1", "aws_region_us-east-1"])
    );
    let web1 = &l["_meta"]["hostvars"]["web-1"];
    assert_eq!(web1["ansible_host"], eu[0].private_ip.as_str());
    assert_eq!(web1["private_ip_address"], eu[0].private_ip.as_str());
    assert_eq!(web1["instance_id"], eu[0].id.as_str());
    assert_eq!(web1["role"], "WEB");
    assert_eq!(web1["tags"]["Project"], "cicd");
    assert_eq!(web1["state"]["name"], "running");
    assert_eq!(web1["placement"]["region"], "eu-west-1");
    assert_eq!(
        l["_meta"]["hostvars"]["web-3"]["instance_id"],
        us[0].id.as_str()
    );

    // include_filters adds instances, exclude_filters takes them away.
    fs::write(
        dir.path().join("mixed.aws_ec2.yml"),
        format!(
            "plugin: aws_ec2\nregions: [eu-west-1]\nendpoint_url: {}\n\
             filters:\n  tag:Role: web\n  tag:Project: cicd\n\
             include_filters:\n  - tag:Name: [other-1, db-1]\n\
             exclude_filters:\n  - tag:Name: web-2\n\
             hostnames:\n  - name: instance-id\n    prefix: aws\n    separator: '-'\n",
            moto.endpoint
        ),
    )
    .unwrap();
    let l = list(dir.path(), "mixed.aws_ec2.yml");
    let want: Vec<String> = [&eu[0], &eu[3], &eu[2]]
        .iter()
        .map(|i| format!("aws-{}", i.id))
        .collect();
    let mut got = hosts_of(&l, "aws_ec2");
    got.sort();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got, want_sorted, "{l:#}");

    // --graph and --host show the same inventory.
    let graph = ferry(
        &["inventory", "-i", "prod.aws_ec2.yml", "--graph", "role_web"],
        dir.path(),
    );
    assert_eq!(
        graph.stdout,
        "@role_web:\n  |--web-1\n  |--web-2\n  |--web-3\n",
        "{}",
        graph.all()
    );
    let host = ferry(
        &["inventory", "-i", "prod.aws_ec2.yml", "--host", "db-1"],
        dir.path(),
    );
    let db: Json = serde_json::from_str(&host.stdout).unwrap();
    assert_eq!(db["instance_id"], eu[2].id.as_str());
}

#[test]
fn a_play_runs_on_the_ec2_group_mapped_to_ssh_hosts() {
    let moto = Moto::start();
    let hosts = SshHosts::start(3);
    let roles = ["web", "web", "db"];
    for (h, role) in hosts.hosts.iter().zip(roles) {
        let port = h.port.to_string();
        let dir = h.dir.display().to_string();
        moto.run_instances(
            "eu-west-1",
            &[&[
                ("Name", h.name.as_str()),
                ("Role", role),
                ("Addr", h.addr.as_str()),
                ("Port", port.as_str()),
                ("Dir", dir.as_str()),
            ]],
            &[],
        );
    }
    let d = hosts.dir.path();
    fs::write(
        d.join("fleet.aws_ec2.yml"),
        format!(
            "plugin: aws_ec2\nregions: [eu-west-1]\nendpoint_url: {}\n\
             hostnames: [tag:Name]\nkeyed_groups:\n  - key: tags.Role\n    prefix: role\n\
             compose:\n  ansible_host: tags.Addr\n  ansible_port: tags.Port | int\n  host_dir: tags.Dir\n",
            moto.endpoint
        ),
    )
    .unwrap();
    // A static file of group vars for the EC2 group merges in, as in Ansible.
    fs::write(
        d.join("static.ini"),
        format!(
            "[aws_ec2:vars]\nansible_user=root\nansible_ssh_private_key_file={}\n",
            hosts.user_key.display()
        ),
    )
    .unwrap();
    fs::write(
        d.join("touch.yml"),
        "- hosts: role_web\n  gather_facts: no\n  tasks:\n    - command: touch {{ host_dir }}/deployed\n",
    )
    .unwrap();
    let kh = hosts.known_hosts.display().to_string();
    let run = ferry(
        &[
            "run",
            "touch.yml",
            "-i",
            "fleet.aws_ec2.yml",
            "-i",
            "static.ini",
            "--known-hosts",
            &kh,
        ],
        d,
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        counts(&run, "host1"),
        "ok=1 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"
    );
    let deployed: Vec<bool> = hosts
        .hosts
        .iter()
        .map(|h| h.dir.join("deployed").exists())
        .collect();
    assert_eq!(deployed, [true, true, false], "only the role_web instances");
}

#[test]
fn ec2_errors_name_the_file_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let closed = crate::support::sshd::free_port("127.0.0.1");
    fs::write(
        dir.path().join("down.aws_ec2.yml"),
        format!("plugin: aws_ec2\nregions: [eu-west-1]\nendpoint_url: http://127.0.0.1:{closed}\n"),
    )
    .unwrap();
    let run = ferry(
        &["inventory", "-i", "down.aws_ec2.yml", "--list"],
        dir.path(),
    );
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains(&format!(
            "down.aws_ec2.yml: cannot reach the EC2 API at http://127.0.0.1:{closed}"
        )),
        "{}",
        run.all()
    );

    // No credentials anywhere: the message says where ferry looked.
    let out = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["inventory", "-i", "down.aws_ec2.yml", "--list"])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr.contains("down.aws_ec2.yml: no AWS credentials found (looked in the environment"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: set AWS_ACCESS_KEY_ID"), "{stderr}");

    // A profile that is named must exist (even with keys in the environment).
    fs::write(
        dir.path().join("named.aws_ec2.yml"),
        "plugin: aws_ec2\nregions: [eu-west-1]\naws_profile: prod\n",
    )
    .unwrap();
    let run = ferry(
        &["inventory", "-i", "named.aws_ec2.yml", "--list"],
        dir.path(),
    );
    assert!(
        run.stderr
            .contains("named.aws_ec2.yml: the AWS profile 'prod' has no credentials"),
        "{}",
        run.all()
    );
}

/// A region name that looks right but has no endpoint: the message says so (this test
/// resolves a name under amazonaws.com and expects the lookup to fail, as it does without
/// internet access; with it, AWS's DNS answers NXDOMAIN for a region that does not exist).
#[test]
fn an_unknown_region_is_named() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("far.aws_ec2.yml"),
        "plugin: aws_ec2\nregions: [xx-nowhere-9]\n",
    )
    .unwrap();
    let run = ferry(
        &["inventory", "-i", "far.aws_ec2.yml", "--list"],
        dir.path(),
    );
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains(
            "far.aws_ec2.yml: the EC2 endpoint of region 'xx-nowhere-9' (https://ec2.xx-nowhere-9.amazonaws.com/) does not resolve: is 'xx-nowhere-9' a region name (such as eu-west-1)?"
        ),
        "{}",
        run.all()
    );
}
