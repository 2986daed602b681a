//! Whole-inventory tests: files on disk → hosts, groups, patterns and variables. The expected
//! values were taken from ansible-core 2.18 (`ansible -i … --list-hosts`, `ansible-inventory`)
//! on the same inputs, except where a comment says ferry differs on purpose.

use std::path::{Path, PathBuf};

use serde_json::{json, Value as Json};

use super::*;

/// Writes `files` (path → text) under a temp dir.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn load(dir: &Path, sources: &[&str], playbook: Option<&str>) -> Result<Inventory, LoadErrors> {
    // Host lists (`a,b`) are not paths.
    let sources: Vec<PathBuf> = sources
        .iter()
        .map(|s| {
            if s.contains(',') {
                PathBuf::from(s)
            } else {
                dir.join(s)
            }
        })
        .collect();
    let pb = playbook.map(|p| dir.join(p));
    Inventory::load(&sources, pb.as_deref())
}

/// The error text with the temp dir removed from paths.
fn error_text(dir: &Path, r: Result<Inventory, LoadErrors>) -> String {
    r.unwrap_err()
        .to_string()
        .replace(&format!("{}/", dir.display()), "")
}

const PATTERNS_INI: &str = "lonely\n[web]\nweb[01:03]\n[db]\ndb-a\ndb-b ansible_port=5432\n\
[prod:children]\nweb\ndb\n[stage]\nweb02\n10.0.0.1\n[web:vars]\nx=1\n";

#[test]
fn patterns_select_like_ansible() {
    let d = tree(&[("hosts", PATTERNS_INI)]);
    let i = load(d.path(), &["hosts"], None).unwrap();
    let all = "lonely web02 10.0.0.1 web01 web03 db-a db-b";
    for (pattern, want) in [
        ("all", all),
        ("*", all),
        ("ungrouped", "lonely"),
        ("prod", "web01 web02 web03 db-a db-b"),
        ("web:db", "web01 web02 web03 db-a db-b"),
        ("web,db", "web01 web02 web03 db-a db-b"),
        ("web db", "web01 web02 web03 db-a db-b"),
        ("web, db", "web01 web02 web03 db-a db-b"),
        ("db:web", "db-a db-b web01 web02 web03"),
        ("prod:!db", "web01 web02 web03"),
        ("prod:&db", "db-a db-b"),
        ("prod:&stage", "web02"),
        ("stage:prod", "web02 10.0.0.1 web01 web03 db-a db-b"),
        ("!web", "lonely 10.0.0.1 db-a db-b"),
        ("&db", "db-a db-b"),
        ("!web:!db", "lonely 10.0.0.1"),
        ("stage:&web:!web02", ""),
        ("web0*", "web01 web02 web03"),
        ("web0[!2]", "web01 web03"),
        ("db-?", "db-a db-b"),
        ("pro*", "web01 web02 web03 db-a db-b"),
        ("db[ab]", ""),
        ("~web0[12]", "web01 web02"),
        ("~db-[ab]", "db-a db-b"),
        ("~eb", ""),
        ("~(web|db)0?[1a]", "web01"),
        ("*:!~web.*", "lonely 10.0.0.1 db-a db-b"),
        ("10.0.0.1", "10.0.0.1"),
        ("10.0.0.*", "10.0.0.1"),
        ("all:!10.0.0.1", "lonely web02 web01 web03 db-a db-b"),
        ("web[0]", "web01"),
        ("web[-1]", "web03"),
        ("web[-3]", "web01"),
        ("web[0:1]", "web01 web02"),
        ("web[0-1]", "web01 web02"),
        ("web[1:]", "web02 web03"),
        ("web[0:0]", "web01"),
        ("web[2:1]", ""),
        ("p*[0]", "web01"),
        ("all[1]", "web02"),
        ("*[7]", "lonely"),
        ("*[8]", "web01"),
        ("web*[3]", "web01"),
        ("nothing", ""),
        ("nothing[0]", ""),
        ("web[x]", ""),
        ("WEB", ""),
        ("web01:22", ""),
        ("web:", "web01 web02 web03"),
        (":web", "web01 web02 web03"),
        ("web,,db", "web01 web02 web03 db-a db-b"),
        ("web]", "web01 web02 web03"),
        ("[", all),
        ("~[", all),
        ("ungrouped:web", "lonely web01 web02 web03"),
        ("web01:&web01", "web01"),
        ("localhost", "localhost"),
        ("::1", "::1"),
        ("localhost:web[0]", "localhost web01"),
        ("prod:localhost", "web01 web02 web03 db-a db-b localhost"),
    ] {
        assert_eq!(i.select(pattern).unwrap().join(" "), want, "{pattern}");
    }
    for (pattern, want) in [
        (
            "web[5]",
            "no hosts matched the subscripted pattern 'web[5]'",
        ),
        (
            "web[-4]",
            "no hosts matched the subscripted pattern 'web[-4]'",
        ),
        ("~(", "invalid host pattern '~(': unclosed group"),
        (
            "web:&",
            "invalid host pattern '&': '&' and '!' need a pattern after them",
        ),
    ] {
        assert_eq!(
            i.select(pattern).unwrap_err().to_string(),
            want,
            "{pattern}"
        );
    }
}

#[test]
fn host_order_follows_the_group_tree() {
    for (name, text, all, groups) in [
        (
            "a.ini",
            "lonely\n[web]\nb\nlonely\n[db]\na\n[both:children]\ndb\nweb\n",
            "a b lonely",
            json!({"all": ["a", "b", "lonely"], "ungrouped": [], "web": ["b", "lonely"],
                   "db": ["a"], "both": ["a", "b", "lonely"]}),
        ),
        (
            // Ansible lists a group's grandchildren in hash order; ferry in definition order.
            "c.yml",
            "top:\n  hosts: {t1: }\n  children:\n    mid:\n      hosts: {m1: }\n      children:\n        leaf: {hosts: {l1: }}\n        leaf2: {hosts: {l2: }}\n    mid2:\n      children:\n        leafb: {hosts: {lb1: }}\nall:\n  children:\n    other: {hosts: {o1: }}\n  hosts:\n    h0:\n    t1:\n",
            "h0 t1 o1 m1 l1 l2 lb1",
            json!({"all": ["h0", "t1", "o1", "m1", "l1", "l2", "lb1"], "ungrouped": ["h0"],
                   "top": ["t1", "m1", "l1", "l2", "lb1"], "mid": ["m1", "l1", "l2"],
                   "leaf": ["l1"], "leaf2": ["l2"], "mid2": ["lb1"], "leafb": ["lb1"],
                   "other": ["o1"]}),
        ),
    ] {
        let d = tree(&[(name, text)]);
        let i = load(d.path(), &[name], None).unwrap();
        assert_eq!(i.hosts().collect::<Vec<_>>().join(" "), all, "{name}");
        assert_eq!(i.select("all").unwrap().join(" "), all, "{name}");
        assert_eq!(Json::Object(i.groups()), groups, "{name}");
    }
}

#[test]
fn ini_values_and_ports() {
    let text = "h1 a=\"[1, 2]\" b='yes' c=yes d=0755 e=1_000 f=\"'q'\" h=1.5 i=True j=\"a b\" \
l={'x':1} m=80,443 n=\\$HOME o=\"a\\$b\" p=None s=b'x' t=1e3 u='a'\"b\" v=-5 w=(1,) x=0x1f g=x#y z=1\n\
h2:2222 ansible_port=2300\nh3:2222\nh3\nh4\nh4:2200\nh5 ansible_port=1\nh5:2201\n\
[g]\nh1\n[g:vars]\nv1 = \"quoted\" # c\nv2=hello # comment\nv3='yes'\nv4 = [1, 'two']\nv5=\n\
v6=a=b\nv7=0755\nv8=1 # c\nv9 = a b\nv10=x#y\n";
    let d = tree(&[("hosts", text)]);
    let i = load(d.path(), &["hosts"], None).unwrap();
    let h1 = i.host_vars("h1");
    for (key, want) in [
        ("a", json!([1, 2])),
        ("b", json!("yes")),
        ("c", json!("yes")),
        ("d", json!("0755")),
        ("e", json!(1000)),
        ("f", json!("q")),
        ("h", json!(1.5)),
        ("i", json!(true)),
        ("j", json!("a b")),
        ("l", json!("{x:1}")),
        ("m", json!([80, 443])),
        ("n", json!("$HOME")),
        ("o", json!("a\\$b")),
        ("p", json!(null)),
        ("s", json!("bx")),
        ("t", json!(1000.0)),
        ("u", json!("ab")),
        ("v", json!(-5)),
        ("w", json!([1])),
        ("x", json!(31)),
        ("g", json!("x")),
        ("z", json!(null)),
        ("v1", json!("quoted")),
        ("v2", json!("hello # comment")),
        ("v3", json!("yes")),
        ("v4", json!([1, "two"])),
        ("v5", json!("")),
        ("v6", json!("a=b")),
        ("v7", json!("0755")),
        ("v8", json!(1)),
        ("v9", json!("a b")),
        ("v10", json!("x#y")),
    ] {
        assert_eq!(h1.get(key).cloned().unwrap_or(Json::Null), want, "{key}");
    }
    for (host, port) in [
        ("h1", Json::Null),
        ("h2", json!(2300)),
        ("h3", json!(2222)),
        ("h4", Json::Null),
        ("h5", json!(1)),
    ] {
        let v = i.host_vars(host);
        assert_eq!(
            v.get("ansible_port").cloned().unwrap_or(Json::Null),
            port,
            "{host}"
        );
    }
}

#[test]
fn magic_vars() {
    let d = tree(&[(
        "inv/hosts",
        "solo\n127.0.0.1\n[web]\nw1.example.com\n[web:vars]\ninventory_hostname=nope\n",
    )]);
    let i = load(d.path(), &["inv/../inv/hosts"], None).unwrap();
    let file = d.path().join("inv/hosts").display().to_string();
    let dir = d.path().join("inv").display().to_string();
    for (host, short, groups) in [
        ("solo", "solo", json!(["ungrouped"])),
        ("127.0.0.1", "127.0.0.1", json!(["ungrouped"])),
        ("w1.example.com", "w1", json!(["web"])),
    ] {
        let v = i.host_vars(host);
        assert_eq!(v["inventory_hostname"], host);
        assert_eq!(v["inventory_hostname_short"], short, "{host}");
        assert_eq!(v["group_names"], groups, "{host}");
        assert_eq!(
            (v["inventory_file"].as_str(), v["inventory_dir"].as_str()),
            (Some(file.as_str()), Some(dir.as_str()))
        );
    }
    // The inventory's 127.0.0.1 stands in for the implicit localhost.
    assert_eq!(i.select("localhost,::1").unwrap(), ["127.0.0.1"]);
}

#[test]
fn precedence_across_sources_and_the_playbook() {
    let d = tree(&[
        (
            "inv1/hosts",
            "[web]\nw1\n[deep:children]\nweb\n[web:vars]\nprio=web\n[deep:vars]\nprio=deep\n",
        ),
        ("inv2/hosts", "[web]\nw1\n[all:vars]\nfromall=inv2\n"),
        ("inv1/group_vars/web.yml", "a: inv1_web\nb: inv1_web\n"),
        ("inv2/group_vars/deep.yml", "a: inv2_deep\nc: inv2_deep\n"),
        ("inv2/group_vars/all.yml", "b: inv2_all\nall_only: inv2\n"),
        ("inv1/group_vars/all.yml", "all_only: inv1\n"),
        ("inv1/host_vars/w1.yml", "h: inv1\n"),
        ("pb/group_vars/all.yml", "c: pb_all\n"),
        ("pb/host_vars/localhost.yml", "h: pb_local\n"),
    ]);
    for (sources, want) in [
        // group_vars apply source by source, each in group order: inv2's `deep` beats inv1's
        // `web` although `web` is deeper.
        (
            ["inv1/hosts", "inv2/hosts"],
            "inv2_deep inv1_web inv2_deep inv2 web inv2 inv1",
        ),
        (
            ["inv2/hosts", "inv1/hosts"],
            "inv1_web inv1_web inv2_deep inv1 web inv2 inv1",
        ),
    ] {
        let i = load(d.path(), &sources, Some("pb")).unwrap();
        let v = i.host_vars("w1");
        let got: Vec<&str> = ["a", "b", "c", "all_only", "prio", "fromall", "h"]
            .iter()
            .map(|k| v[*k].as_str().unwrap())
            .collect();
        assert_eq!(got.join(" "), want, "{sources:?}");
        // The implicit localhost gets the all group's vars and group_vars/all, not web's.
        let l = i.host_vars("localhost");
        assert_eq!(
            (
                &l["fromall"],
                &l["c"],
                &l["h"],
                &l["ansible_connection"],
                &l["group_names"]
            ),
            (
                &json!("inv2"),
                &json!("pb_all"),
                &json!("pb_local"),
                &json!("local"),
                &json!([])
            ),
        );
        assert!(!i.contains_host("localhost"));
    }
}

#[test]
fn group_priority_and_depth() {
    for (name, text, want) in [
        ("p.ini", "[a]\nh\n[b]\nh\n[a:vars]\nx=a\n[b:vars]\nx=b\n", "b"),
        ("p.ini", "[a]\nh\n[b]\nh\n[a:vars]\nx=a\nansible_group_priority=5\n[b:vars]\nx=b\n", "a"),
        ("p.yml", "a:\n  hosts: {h: }\n  vars: {x: a, ansible_group_priority: '3'}\nb:\n  hosts: {h: }\n  vars: {x: b}\n", "a"),
        ("p.ini", "[p]\nh\n[c]\nh\n[p:children]\nc\n[p:vars]\nx=p\n[c:vars]\nx=c\n", "c"),
        ("p.ini", "[all:vars]\nx=all\n[ungrouped]\nh\n", "all"),
    ] {
        let d = tree(&[(name, text)]);
        let v = load(d.path(), &[name], None).unwrap().host_vars("h");
        assert_eq!(v["x"], want, "{text}");
        assert!(v.get("ansible_group_priority").is_none());
    }
}

#[test]
fn yaml_shapes() {
    let text = "web:\n  hosts: single\n  children: kid\nkid:\n  hosts:\n    k[1:2]:2222:\n    \"k3:23\": {ansible_port: 24}\n    10.0.0.5:\n    \"[::1]:2200\":\n  vars:\n    port: 80\n";
    let d = tree(&[("y.yml", text)]);
    let i = load(d.path(), &["y.yml"], None).unwrap();
    assert_eq!(i.select("kid").unwrap().join(" "), "k1 k2 k3 10.0.0.5 ::1");
    assert_eq!(
        i.select("web").unwrap().join(" "),
        "single k1 k2 k3 10.0.0.5 ::1"
    );
    for (host, port) in [("k1", json!(2222)), ("k3", json!(24)), ("::1", json!(2200))] {
        assert_eq!(i.host_vars(host)["ansible_port"], port, "{host}");
    }
    assert_eq!(i.host_vars("k1")["port"], 80);
}

#[test]
fn sources() {
    let d = tree(&[
        ("dir/hosts", "[b]\nfrom_plain\n"),
        ("dir/hosts.ini", "[a]\nfrom_ini\n"),
        ("dir/sub/y.yml", "c:\n  hosts: {suby: }\n"),
        ("dir/sub/notes.txt", "not an inventory"),
        ("dir/old.bak", "[web]\nbad[\n"),
        ("dir/group_vars/c.yml", "gv: dir\n"),
        ("dir/sub/group_vars/c.yml", "gv: sub\n"),
        ("yamlish", "web:\n  hosts:\n    y1:\n"),
        ("inilike", "# comment\nh1\n[web]\nh2\n"),
        ("hosts.cfg", "[web]\nc1\n"),
    ]);
    for (sources, want) in [
        // Ansible skips .ini files inside an inventory directory.
        (&["dir"][..], "from_plain suby"),
        (&["yamlish"][..], "y1"),
        (&["inilike"][..], "h1 h2"),
        (&["hosts.cfg"][..], "c1"),
        (
            &["web1:2222, [::1]:23,web[1:2],web1"][..],
            "web1 ::1 web[1:2]",
        ),
        (&["yamlish", "inilike"][..], "h1 y1 h2"),
    ] {
        let i = load(d.path(), sources, None).unwrap();
        assert_eq!(i.hosts().collect::<Vec<_>>().join(" "), want, "{sources:?}");
    }
    let i = load(d.path(), &["dir"], None).unwrap();
    let v = i.host_vars("suby");
    assert_eq!(
        v["gv"], "dir",
        "a directory source's group_vars are at its top"
    );
    let sub = d.path().join("dir/sub");
    assert_eq!(v["inventory_dir"], sub.display().to_string());
    let list = Inventory::load(&[PathBuf::from("web1:2222,db")], None).unwrap();
    let w = list.host_vars("web1");
    assert_eq!(
        (&w["ansible_port"], &w["inventory_dir"], &w["group_names"]),
        (&json!(2222), &Json::Null, &json!(["ungrouped"]))
    );
}

#[test]
fn implicit_localhost_only() {
    let d = tree(&[("pb/group_vars/all.yml", "from_pb: 1\n")]);
    for i in [
        Inventory::implicit_localhost(),
        load(d.path(), &[], Some("pb")).unwrap(),
    ] {
        assert_eq!(i.select("all").unwrap(), Vec::<String>::new());
        assert_eq!(i.select("localhost").unwrap(), ["localhost"]);
        // Ansible would give one host: the implicit localhost takes the first name used.
        assert_eq!(
            i.select("127.0.0.1,localhost").unwrap(),
            ["127.0.0.1", "localhost"]
        );
        assert_eq!(i.hosts().count(), 0);
        assert_eq!(i.host_vars("localhost")["ansible_connection"], "local");
        assert_eq!(
            Json::Object(i.groups()),
            json!({"all": [], "ungrouped": []})
        );
    }
    let with_pb = load(d.path(), &[], Some("pb")).unwrap();
    assert_eq!(with_pb.host_vars("localhost")["from_pb"], 1);
}

#[test]
fn errors_have_positions() {
    for (name, text, want) in [
        ("h.ini", "[web\nx\n", "h.ini:1:1: malformed section header '[web'"),
        ("h.ini", "[a b]\nx\n", "h.ini:1:1: invalid section header '[a b]'"),
        (
            "h.ini",
            "[web:kids]\nx\n",
            "h.ini:1:1: unknown section type ':kids' in '[web:kids]'\n   |\n 1 | [web:kids]\n   | ^\n   = hint: a section is [group], [group:vars] or [group:children]",
        ),
        (
            "h.ini",
            "[web:var]\nx\n",
            "h.ini:1:1: unknown section type ':var' in '[web:var]'\n   |\n 1 | [web:var]\n   | ^\n   = hint: did you mean '[web:vars]'?",
        ),
        ("h.ini", "[web]\nw\n[web:vars]\nnovalue\n", "h.ini:4:1: expected key=value in [web:vars], found 'novalue'"),
        ("h.ini", "[web]\n  w1 port\n", "h.ini:2:6: expected key=value after the host, found 'port'"),
        ("h.ini", "[web]\nw1 a='open\n", "h.ini:2:1: cannot read host line: no closing quotation"),
        ("h.ini", "[web]\nweb[3:1]\n", "h.ini:2:1: bad host range in 'web[3:1]': the begin is after the end"),
        ("h.ini", "[web]\nweb[1]\n", "h.ini:2:1: bad host range in 'web[1]': a range is [begin:end] or [begin:end:step]"),
        ("h.ini", "[web]\nw1:\n", "h.ini:2:1: host 'w1:' ends with ':'"),
        ("h.ini", "---\nall:\n", "h.ini:1:1: '---' is not a host name"),
        ("h.ini", "[web:children]\ndb extra\n", "h.ini:2:1: expected a group name in [web:children], found 'db extra'"),
        (
            "h.ini",
            "[p:children]\nc\n",
            "h.ini:2:1: [p:children] names group 'c', which is never declared\n   |\n 2 | c\n   | ^\n   = hint: declare it with a [c] or [c:children] section",
        ),
        ("h.ini", "[c:vars]\nx=1\n[p:children]\nc\n", "h.ini:1:1: [c:vars] is for a group that is never declared"),
        ("h.ini", "[a:children]\nb\n[b:children]\na\n", "h.ini:4:1: adding group 'a' as a child of 'b' makes a loop: a -> b -> a"),
        ("h.ini", "[a:children]\na\n", "h.ini:2:1: group 'a' cannot be a child of itself"),
        ("h.ini", "[a]\nh\n[a:vars]\nansible_group_priority=x\n", "h.ini:4:1: ansible_group_priority must be an integer, found \"x\""),
        (
            "i.yml",
            "all:\n  hostz: {}\n",
            "i.yml:2:3: unknown key 'hostz' in group 'all'\n   |\n 2 |   hostz: {}\n   |   ^\n   = hint: did you mean 'hosts'?",
        ),
        ("i.yml", "web:\n  hosts: [a, b]\n", "i.yml:2:10: 'hosts' of group 'web' must be a mapping, found a list"),
        ("i.yml", "web:\n  hosts:\n    10:\n", "i.yml:3:5: a host name must be a string, found an integer '10'"),
        ("i.yml", "web: [a]\n", "i.yml:1:6: group 'web' must be a mapping of hosts, vars and children, found a list"),
        ("i.yml", "web:\n  hosts:\n    w1: 5\n", "i.yml:3:9: the vars of host 'w1' must be a mapping, found an integer"),
        ("i.yml", "a:\n  children:\n    b:\n      children:\n        a:\n", "i.yml:3:5: adding group 'b' as a child of 'a' makes a loop: b -> a -> b"),
        ("i.yml", "- a\n", "i.yml:1:1: a YAML inventory must be a mapping of groups, found a list"),
        ("cloud.yml", "plugin: amazon.aws.aws_ec2\nregions: [narnia]\n", "cloud.yml:2:10: 'narnia' is not an AWS region name"),
        ("prod.aws_ec2.yml", "regions: [eu-west-1]\nhostname: [tag:Name]\n", "prod.aws_ec2.yml:2:1: unknown aws_ec2 option 'hostname'\n   |\n 2 | hostname: [tag:Name]\n   | ^\n   = hint: did you mean 'hostnames'?"),
        ("prod.aws_ec2.yml", "plugin: aws_ec2\n", "prod.aws_ec2.yml:1:1: the aws_ec2 inventory names no regions"),
        ("k.yml", "plugin: constructed\n", "k.yml:1:1: inventory plugin 'constructed' is not supported"),
        ("missing", "", "inventory source missing does not exist"),
    ] {
        let d = if name == "missing" { tree(&[]) } else { tree(&[(name, text)]) };
        let e = error_text(d.path(), load(d.path(), &[name], None));
        assert!(e.starts_with(want), "{e}\nwant: {want}");
    }
}

#[test]
fn all_errors_of_a_file_are_reported() {
    let d = tree(&[("h.ini", "[web]\nw1 x\nw2 y\n[p:children]\nnope\n")]);
    let e = load(d.path(), &["h.ini"], None).unwrap_err();
    let lines: Vec<String> =
        e.0.iter()
            .map(|e| e.span.as_ref().unwrap().line.to_string())
            .collect();
    assert_eq!(lines, ["2", "3", "5"]);
}

#[test]
fn bad_vars_files_are_errors() {
    let d = tree(&[
        ("hosts", "[web]\nw1\n"),
        ("group_vars/web.yml", "a: [1\n"),
        ("host_vars/w1.yml", "- x\n"),
    ]);
    let e = error_text(d.path(), load(d.path(), &["hosts"], None));
    assert!(e.contains("group_vars/web.yml:1:4: invalid YAML"), "{e}");
    assert!(
        e.contains("host_vars/w1.yml:1:1: a vars file must hold a mapping"),
        "{e}"
    );
}

#[cfg(unix)]
#[test]
fn inventory_scripts_run_with_list_and_host() {
    use std::os::unix::fs::PermissionsExt;
    let d = tree(&[
        (
            "meta.sh",
            "#!/bin/sh\n[ \"$1\" = --list ] || exit 3\necho '{\"web\": {\"hosts\": [\"w1\", \"w2\"], \"vars\": {\"tier\": \"front\"}}, \"prod\": {\"children\": [\"web\"]}, \"db\": [\"d1\"], \"_meta\": {\"hostvars\": {\"w1\": {\"ansible_host\": \"10.0.0.1\"}}}}'\n",
        ),
        (
            "nometa.sh",
            "#!/bin/sh\ncase \"$1\" in --list) echo '{\"app\": [\"a1\"]}';; --host) echo \"{\\\"asked\\\": \\\"$2\\\"}\";; esac\n",
        ),
        ("broken.sh", "#!/bin/sh\necho 'no credentials' >&2\nexit 2\n"),
        ("notjson.sh", "#!/bin/sh\necho hello\n"),
        ("exec.ini", "[web]\nw1\n"),
    ]);
    for name in [
        "meta.sh",
        "nometa.sh",
        "broken.sh",
        "notjson.sh",
        "exec.ini",
    ] {
        let p = d.path().join(name);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let i = load(d.path(), &["meta.sh"], None).unwrap();
    assert_eq!(i.select("prod").unwrap(), ["w1", "w2"]);
    assert_eq!(i.select("db").unwrap(), ["d1"]);
    let w1 = i.host_vars("w1");
    assert_eq!(w1["ansible_host"], "10.0.0.1");
    assert_eq!(w1["tier"], "front");
    let i = load(d.path(), &["nometa.sh"], None).unwrap();
    assert_eq!(i.host_vars("a1")["asked"], "a1");
    let e = error_text(d.path(), load(d.path(), &["broken.sh"], None));
    assert!(
        e.starts_with(
            "broken.sh: the inventory script failed with exit 2 on --list: no credentials"
        ),
        "{e}"
    );
    let e = error_text(d.path(), load(d.path(), &["notjson.sh"], None));
    assert!(
        e.starts_with("notjson.sh: the inventory script's --list output is not JSON"),
        "{e}"
    );
    // An executable file without #! is read as usual (Ansible's script plugin fails, INI reads it).
    assert!(load(d.path(), &["exec.ini"], None)
        .unwrap()
        .contains_host("w1"));
}

#[test]
fn warnings() {
    let d = tree(&[(
        "h.ini",
        "web\nlocalhost\n127.0.0.1\n[web]\nx\nansible_user=root\n",
    )]);
    let i = load(d.path(), &["h.ini"], None).unwrap();
    let w: Vec<String> = i
        .warnings()
        .iter()
        .map(|w| w.replace(&format!("{}/", d.path().display()), ""))
        .collect();
    assert_eq!(
        w,
        [
            "a duplicate localhost-like entry was found (127.0.0.1); the first was localhost",
            "h.ini:6:1: host 'ansible_user=root' in [web] looks like a variable; variables of a group go in [web:vars]",
            "found both a group and a host named 'web'",
        ]
    );
}
