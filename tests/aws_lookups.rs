//! Issue 17: the secret lookups `amazon.aws.ssm_parameter` and
//! `amazon.aws.secretsmanager_secret` against a real AWS API (moto's server on 127.0.0.1),
//! their values written to an sshd host, and never shown in any output.

use std::fs;
use std::path::Path;

use serde_json::Value as Json;

use crate::support::moto::Moto;
use crate::support::{counts, ferry_env, write, Run, SshHosts};

const DB_PASSWORD: &str = "ssm-Secure-8f3kQ2";
const SM_PASSWORD: &str = "sm-Pass-Zx81qW";
const TOKEN: &str = "tok-abcdef-9876";

/// `ferry run site.yml` on `hosts`, with moto as every AWS endpoint and test keys.
fn run(hosts: &SshHosts, moto: &Moto, extra: &[&str]) -> Run {
    let dir = hosts.dir.path();
    let (kh, inv) = (
        hosts.known_hosts.display().to_string(),
        hosts.inventory("").display().to_string(),
    );
    let mut args = vec!["run", "site.yml", "-i", &inv, "--known-hosts", &kh];
    args.extend_from_slice(extra);
    let home = dir.join("home");
    fs::create_dir_all(&home).unwrap();
    let env: [(&str, &Path); 6] = [
        ("HOME", &home),
        ("AWS_ACCESS_KEY_ID", Path::new("testing")),
        ("AWS_SECRET_ACCESS_KEY", Path::new("testing")),
        ("AWS_EC2_METADATA_DISABLED", Path::new("true")),
        ("AWS_ENDPOINT_URL", Path::new(&moto.endpoint)),
        ("AWS_REGION", Path::new("eu-west-1")),
    ];
    ferry_env(&args, dir, &env)
}

fn json_file(path: &Path) -> Json {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn ssm_parameters_by_name_and_path_reach_the_host() {
    let moto = Moto::start();
    moto.boto3(
        "eu-west-1",
        &format!(
            "ssm.put_parameter(Name='/app/db/host', Value='db.internal', Type='String')\n\
             ssm.put_parameter(Name='/app/db/password', Value='{DB_PASSWORD}', Type='SecureString')\n\
             ssm.put_parameter(Name='/app/db/replica/host', Value='replica.internal', Type='String')\n\
             ssm.put_parameter(Name='plain', Value='just-text', Type='String')\n"
        ),
    );
    let hosts = SshHosts::start(1);
    let ssm = "amazon.aws.ssm_parameter";
    write(
        &hosts,
        "site.yml",
        &format!(
            "- hosts: all\n  gather_facts: false\n  tasks:\n\
             \x20   - copy:\n        content: \"{{{{ lookup('{ssm}', '/app/db/password') }}}}\"\n        dest: \"{{{{ host_dir }}}}/password\"\n\
             \x20   - copy:\n        content: \"{{{{ lookup('aws_ssm', '/app/db/password', decrypt=false, region='eu-west-1', endpoint_url='{e}') }}}}\"\n        dest: \"{{{{ host_dir }}}}/encrypted\"\n\
             \x20   - copy:\n        content: \"{{{{ query('{ssm}', 'plain', '/app/db/host') | to_json }}}}\"\n        dest: \"{{{{ host_dir }}}}/names.json\"\n\
             \x20   - copy:\n        content: \"{{{{ lookup('{ssm}', '/app/db', bypath=true) | to_json }}}}\"\n        dest: \"{{{{ host_dir }}}}/level.json\"\n\
             \x20   - copy:\n        content: \"{{{{ lookup('{ssm}', '/app/db', bypath=true, recursive=true, shortnames=true) | to_json }}}}\"\n        dest: \"{{{{ host_dir }}}}/short.json\"\n\
             \x20   - copy:\n        content: \"{{{{ lookup('{ssm}', '/app/', bypath=true, recursive=true, droppath=true) | to_json }}}}\"\n        dest: \"{{{{ host_dir }}}}/dropped.json\"\n\
             \x20   - assert:\n        that:\n          - lookup('{ssm}', '/nope', on_missing='skip') is none\n          - query('{ssm}', '/nope/', bypath=true, on_missing='warn') == [{{}}]\n\
             \x20   - debug:\n        msg: \"{{{{ lookup('{ssm}', '/nope') }}}}\"\n      ignore_errors: true\n\
             \x20   - copy:\n        content: \"{{{{ lookup('{ssm}', 'plain', profile='lookups') }}}}\"\n        dest: \"{{{{ host_dir }}}}/by_profile\"\n\
             \x20   - debug:\n        msg: \"{{{{ lookup('{ssm}', 'plain', aws_profile='absent') }}}}\"\n      ignore_errors: true\n",
            e = moto.endpoint
        ),
    );
    write(
        &hosts,
        "home/.aws/credentials",
        "[lookups]\naws_access_key_id = AKIDLOOKUPS\naws_secret_access_key = lookups-secret\n",
    );
    let first = run(&hosts, &moto, &[]);
    assert_eq!(
        counts(&first, "host1"),
        "ok=10 changed=7 unreachable=0 failed=0 skipped=0 rescued=0 ignored=2",
        "{}",
        first.all()
    );
    for msg in [
        "Failed to find SSM parameter /nope (ResourceNotFound)",
        "lookup amazon.aws.ssm_parameter: the AWS profile 'absent' has no credentials",
    ] {
        assert!(first.all().contains(msg), "{msg} missing:\n{}", first.all());
    }
    let host = &hosts.hosts[0].dir;
    assert_eq!(
        fs::read_to_string(host.join("password")).unwrap(),
        DB_PASSWORD
    );
    let encrypted = fs::read_to_string(host.join("encrypted")).unwrap();
    assert_ne!(encrypted, DB_PASSWORD);
    assert!(!encrypted.is_empty());
    assert_eq!(
        json_file(&host.join("names.json")),
        serde_json::json!(["just-text", "db.internal"])
    );
    assert_eq!(
        json_file(&host.join("level.json")),
        serde_json::json!({"/app/db/host": "db.internal", "/app/db/password": DB_PASSWORD})
    );
    assert_eq!(
        json_file(&host.join("short.json")),
        serde_json::json!({"host": "replica.internal", "password": DB_PASSWORD})
    );
    assert_eq!(
        json_file(&host.join("dropped.json")),
        serde_json::json!({
            "db/host": "db.internal", "db/password": DB_PASSWORD,
            "db/replica/host": "replica.internal"
        })
    );
    assert!(!first.all().contains(DB_PASSWORD), "{}", first.all());
    let again = run(&hosts, &moto, &[]);
    assert_eq!(
        counts(&again, "host1"),
        "ok=10 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=2",
        "{}",
        again.all()
    );
}

#[test]
fn secretsmanager_secrets_nested_joined_and_by_prefix() {
    let moto = Moto::start();
    moto.boto3(
        "eu-west-1",
        &format!(
            "import json\n\
             sm.create_secret(Name='app/db', SecretString=json.dumps({{'user': 'admin', 'password': '{SM_PASSWORD}', 'tls': {{'port': 5432}}}}))\n\
             sm.create_secret(Name='app/token', SecretString='{TOKEN}')\n\
             sm.create_secret(Name='app/old', SecretString='old-value-123')\n\
             sm.delete_secret(SecretId='app/old', RecoveryWindowInDays=7)\n\
             sm.create_secret(Name='other', SecretString='other-value-456')\n"
        ),
    );
    let hosts = SshHosts::start(1);
    let sm = "amazon.aws.secretsmanager_secret";
    write(
        &hosts,
        "site.yml",
        &format!(
            "- hosts: all\n  gather_facts: false\n  tasks:\n\
             \x20   - copy:\n        content: \"{{{{ lookup('{sm}', 'app/db.password', nested=true) }}}}\"\n        dest: \"{{{{ host_dir }}}}/nested\"\n\
             \x20   - copy:\n        content: \"{{{{ lookup('aws_secret', 'app/db.tls.port', nested=true) }}}}\"\n        dest: \"{{{{ host_dir }}}}/port\"\n\
             \x20   - copy:\n        content: \"{{{{ lookup('{sm}', 'app/token', 'app/token', join=true) }}}}\"\n        dest: \"{{{{ host_dir }}}}/joined\"\n\
             \x20   - copy:\n        content: \"{{{{ lookup('{sm}', 'app/', bypath=true) | to_json }}}}\"\n        dest: \"{{{{ host_dir }}}}/prefix.json\"\n\
             \x20   - copy:\n        content: \"{{{{ lookup('{sm}', 'app/token', version_stage='AWSCURRENT') }}}}\"\n        dest: \"{{{{ host_dir }}}}/current\"\n\
             \x20   - assert:\n        that:\n          - query('{sm}', 'nope', on_missing='skip') == []\n          - query('{sm}', 'app/old', on_deleted='skip') == []\n          - query('{sm}', 'app/db.nokey', nested=true, on_missing='warn') == []\n\
             \x20   - debug:\n        msg: \"{{{{ lookup('{sm}', 'nope') }}}}\"\n      ignore_errors: true\n\
             \x20   - debug:\n        msg: \"{{{{ lookup('{sm}', 'app/old') }}}}\"\n      ignore_errors: true\n\
             \x20   - debug:\n        msg: \"{{{{ lookup('{sm}', 'app/token', colour='red') }}}}\"\n      ignore_errors: true\n"
        ),
    );
    let first = run(&hosts, &moto, &[]);
    let all = first.all();
    assert_eq!(
        counts(&first, "host1"),
        "ok=9 changed=5 unreachable=0 failed=0 skipped=0 rescued=0 ignored=3",
        "{all}"
    );
    for msg in [
        "Failed to find secret nope (ResourceNotFound)",
        "Failed to find secret app/old (marked for deletion)",
        "unsupported option 'colour'",
        // on_missing='warn' skips, and says so as amazon.aws does.
        "[WARNING]: Skipping, Successfully retrieved secret but there exists no key nokey in the secret",
    ] {
        assert!(all.contains(msg), "{msg} missing:\n{all}");
    }
    let host = &hosts.hosts[0].dir;
    let read = |n: &str| fs::read_to_string(host.join(n)).unwrap();
    assert_eq!(read("nested"), SM_PASSWORD);
    assert_eq!(read("port"), "5432");
    assert_eq!(read("joined"), format!("{TOKEN}{TOKEN}"));
    assert_eq!(read("current"), TOKEN);
    let prefix = json_file(&host.join("prefix.json"));
    assert_eq!(prefix["app/token"], TOKEN);
    assert!(prefix.get("other").is_none(), "{prefix}");
    assert!(!all.contains(SM_PASSWORD) && !all.contains(TOKEN), "{all}");
}

#[test]
fn looked_up_secrets_never_reach_any_output() {
    let moto = Moto::start();
    moto.boto3(
        "eu-west-1",
        &format!(
            "ssm.put_parameter(Name='/leak/pw', Value='{DB_PASSWORD}', Type='SecureString')\n\
             sm.create_secret(Name='leak/token', SecretString='{TOKEN}')\n"
        ),
    );
    let hosts = SshHosts::start(1);
    write(
        &hosts,
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  vars:\n\
         \x20   pw: \"{{ lookup('amazon.aws.ssm_parameter', '/leak/pw') }}\"\n\
         \x20   token: \"{{ lookup('amazon.aws.secretsmanager_secret', 'leak/token') }}\"\n  tasks:\n\
         \x20   - debug:\n        msg: \"{{ pw }} {{ token }}\"\n      no_log: true\n\
         \x20   - debug:\n        msg: \"shown {{ pw }} {{ token }}\"\n\
         \x20   - copy:\n        content: \"{{ pw }}/{{ token }}\"\n        dest: \"{{ host_dir }}/both\"\n\
         \x20   - command: /bin/false {{ pw }} {{ token }}\n",
    );
    let human = run(&hosts, &moto, &["-vvv", "--diff", "--junit", "junit.xml"]);
    assert_eq!(
        counts(&human, "host1"),
        "ok=3 changed=1 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0",
        "{}",
        human.all()
    );
    assert_eq!(
        fs::read_to_string(hosts.hosts[0].dir.join("both")).unwrap(),
        format!("{DB_PASSWORD}/{TOKEN}"),
        "masking must not change what reaches the host"
    );
    let json = run(&hosts, &moto, &["--output", "json"]);
    let junit = fs::read_to_string(hosts.dir.path().join("junit.xml")).unwrap();
    for (what, text) in [
        ("human -vvv --diff", human.all()),
        ("JSON events", json.all()),
        ("JUnit", junit),
    ] {
        assert!(text.contains("********"), "{what} masks nothing:\n{text}");
        for secret in [DB_PASSWORD, TOKEN] {
            assert!(!text.contains(secret), "{secret} in {what}:\n{text}");
        }
    }
}

/// The lookups of the other tests, through ansible-playbook with amazon.aws (from the pinned
/// `ansible` package, scripts/corpus.sh) and through ferry: the same values reach the host.
#[test]
fn lookups_give_what_amazon_aws_gives() {
    let moto = Moto::start();
    moto.boto3(
        "eu-west-1",
        &format!(
            "import json\n\
             ssm.put_parameter(Name='/c/db/host', Value='db.internal', Type='String')\n\
             ssm.put_parameter(Name='/c/db/password', Value='{DB_PASSWORD}', Type='SecureString')\n\
             ssm.put_parameter(Name='/c/db/replica/host', Value='replica.internal', Type='String')\n\
             sm.create_secret(Name='c/db', SecretString=json.dumps({{'password': '{SM_PASSWORD}', 'tls': {{'port': 5432}}}}))\n\
             sm.create_secret(Name='c/token', SecretString='{TOKEN}')\n"
        ),
    );
    let hosts = SshHosts::start(1);
    let (ssm, sm) = (
        "amazon.aws.ssm_parameter",
        "amazon.aws.secretsmanager_secret",
    );
    let cases = [
        format!("lookup('{ssm}', '/c/db/password')"),
        format!("query('{ssm}', '/c/db/host', '/c/db/password')"),
        format!("lookup('{ssm}', '/c/db', bypath=true)"),
        format!("lookup('{ssm}', '/c/db', bypath=true, recursive=true, shortnames=true)"),
        format!("lookup('{ssm}', '/c/', bypath=true, recursive=true, droppath=true)"),
        format!("lookup('{ssm}', '/nope', on_missing='skip') is none"),
        format!("lookup('{sm}', 'c/db.password', nested=true)"),
        format!("lookup('{sm}', 'c/db.tls.port', nested=true)"),
        format!("lookup('{sm}', 'c/token', 'c/token', join=true)"),
        format!("lookup('{sm}', 'c/', bypath=true)"),
        format!("query('{sm}', 'nope', on_missing='skip')"),
    ];
    let mut tasks = String::new();
    for (i, case) in cases.iter().enumerate() {
        tasks += &format!(
            "    - copy:\n        content: \"{{{{ {case} | to_json }}}}\"\n        dest: \"{{{{ host_dir }}}}/out/{i}.json\"\n"
        );
    }
    let playbook = write(
        &hosts,
        "site.yml",
        &format!("- hosts: all\n  gather_facts: false\n  tasks:\n    - file:\n        path: \"{{{{ host_dir }}}}/out\"\n        state: directory\n{tasks}"),
    );
    let read_out = |hosts: &SshHosts| -> Vec<Json> {
        (0..cases.len())
            .map(|i| json_file(&hosts.hosts[0].dir.join(format!("out/{i}.json"))))
            .collect()
    };
    let (corpus, _) = crate::corpus::corpus_dir();
    let mut cmd = crate::conformance::ansible_command(&hosts, &playbook);
    cmd.arg("-i")
        .arg(hosts.inventory(""))
        .env("ANSIBLE_COLLECTIONS_PATH", &corpus)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_DEFAULT_REGION", "eu-west-1")
        .env("HOME", hosts.dir.path().join("home"));
    let (code, out) = crate::conformance::run_command(cmd);
    assert_eq!(code, 0, "ansible-playbook failed:\n{out}");
    let theirs = read_out(&hosts);
    fs::remove_dir_all(hosts.hosts[0].dir.join("out")).unwrap();
    let ours = run(&hosts, &moto, &[]);
    assert_eq!(ours.code, 0, "{}", ours.all());
    let ours = read_out(&hosts);
    for (i, case) in cases.iter().enumerate() {
        assert_eq!(ours[i], theirs[i], "{case}");
    }
}
