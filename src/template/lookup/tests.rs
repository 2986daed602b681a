//! What the parity harness cannot check against Ansible: stored passwords, the `groups`
//! variable, lookups in loops, and relative paths found in a role.

use serde_json::{json, Value as Json};

use crate::template::Templar;
use crate::vars::Vars;

fn vars(v: Json) -> Vars {
    match v {
        Json::Object(m) => m,
        _ => unreachable!("an object"),
    }
}

#[test]
fn a_password_is_stored_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let t = Templar::new();
    let scope = vars(json!({ "playbook_dir": dir.path().display().to_string() }));
    let tpl = "{{ lookup('password', 'creds/db length=16 chars=ascii_letters') }}";
    let first = t.render_str(tpl, &scope).unwrap();
    let again = t.render_str(tpl, &scope).unwrap();
    assert_eq!(first, again);
    assert_eq!(first.as_str().unwrap().len(), 16);
    let stored = std::fs::read_to_string(dir.path().join("creds/db")).unwrap();
    assert_eq!(stored, format!("{}\n", first.as_str().unwrap()));
}

#[test]
fn inventory_hostnames_reads_patterns_over_groups() {
    let t = Templar::new();
    let scope = vars(json!({ "groups": {
        "all": ["a1", "a2", "b1"], "web": ["a1", "a2"], "db": ["b1"], "ungrouped": []
    }}));
    for (pattern, want) in [
        ("all", json!(["a1", "a2", "b1"])),
        ("web", json!(["a1", "a2"])),
        ("web:db", json!(["a1", "a2", "b1"])),
        ("all:!db", json!(["a1", "a2"])),
        ("all:&web", json!(["a1", "a2"])),
        ("we*", json!(["a1", "a2"])),
        ("b1", json!(["b1"])),
    ] {
        let tpl = format!("{{{{ query('inventory_hostnames', '{pattern}') }}}}");
        assert_eq!(t.render_str(&tpl, &scope).unwrap(), want, "{pattern}");
    }
}

#[test]
fn loops_get_the_items_of_their_lookup() {
    let t = Templar::new();
    let scope = Vars::new();
    for (name, value, want) in [
        ("items", json!([1, [2, 3]]), json!([1, 2, 3])),
        ("list", json!([[1], 2]), json!([[1], 2])),
        ("dict", json!({"a": 1}), json!([{"key": "a", "value": 1}])),
        ("sequence", json!("start=1 end=3"), json!(["1", "2", "3"])),
        (
            "nested",
            json!([[1], ["a", "b"]]),
            json!([[1, "a"], [1, "b"]]),
        ),
        ("flattened", json!([1, [2, [3, [4]]]]), json!([1, 2, 3, 4])),
    ] {
        let got = t.loop_lookup(name, value, &scope, "files").unwrap();
        assert_eq!(Json::Array(got), want, "{name}");
    }
    let err = t
        .loop_lookup("nosuch", json!([]), &scope, "files")
        .unwrap_err();
    assert!(
        err.to_string().contains("lookup plugin (nosuch) not found"),
        "{err}"
    );
}

#[test]
fn relative_files_are_found_in_the_role_first() {
    let dir = tempfile::tempdir().unwrap();
    let role = dir.path().join("roles/r");
    std::fs::create_dir_all(role.join("files")).unwrap();
    std::fs::create_dir_all(dir.path().join("files")).unwrap();
    std::fs::write(role.join("files/x.txt"), "role\n").unwrap();
    std::fs::write(dir.path().join("files/x.txt"), "play\n").unwrap();
    std::fs::write(dir.path().join("y.txt"), "top\n").unwrap();
    let t = Templar::new();
    let mut scope = vars(json!({ "playbook_dir": dir.path().display().to_string() }));
    assert_eq!(
        t.render_str("{{ lookup('file', 'x.txt') }}", &scope)
            .unwrap(),
        "play"
    );
    assert_eq!(
        t.render_str("{{ lookup('file', 'y.txt') }}", &scope)
            .unwrap(),
        "top"
    );
    scope.insert("role_path".into(), role.display().to_string().into());
    assert_eq!(
        t.render_str("{{ lookup('file', 'x.txt') }}", &scope)
            .unwrap(),
        "role"
    );
}

/// Serves `body` with `status` to one HTTP request on a loopback port; the URL.
fn serve_once(status: &'static str, body: &'static str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/f.txt", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(reply.as_bytes());
        }
    });
    url
}

#[test]
fn url_gives_the_body_split_into_lines_or_the_http_error() {
    let t = Templar::new();
    let scope = Vars::new();
    let url = serve_once("200 OK", "l1\nl2\n");
    let tpl = format!("{{{{ lookup('url', '{url}') }}}}");
    assert_eq!(t.render_str(&tpl, &scope).unwrap(), "l1,l2");
    let url = serve_once("200 OK", "l1\nl2\n");
    let tpl = format!("{{{{ lookup('url', '{url}', split_lines=false) }}}}");
    assert_eq!(t.render_str(&tpl, &scope).unwrap(), "l1\nl2\n");
    let url = serve_once("404 Not Found", "");
    let tpl = format!("{{{{ lookup('url', '{url}') }}}}");
    let err = t.render_str(&tpl, &scope).unwrap_err().to_string();
    assert!(
        err.contains("Received HTTP error for") && err.contains("404"),
        "{err}"
    );
}
