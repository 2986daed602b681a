//! Tests of the known_hosts reader. The hashed lines were made with `ssh-keygen -H`.

use super::*;

const K1: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKNv7/FxwQbOvZa8yzxuX14r2qm/aGmh59v590hN2jTh";
const K2: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDOJroYD4rhc1nd/o+fjCbWD7idpG7+uz5QYMC4pVyIB";
const K3: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEIpJD/7C+LP/1UkptDJgRt72FFdyd3jRTtgGlTG+lSK9yLDg5o2/mUrIEt4IVsT76rEbIC7RFxI+QojqXMlOxQ=";

/// `ssh-keygen -H` of `web1.example.com K1` and `[db.example.com]:2222 K2`.
const HASHED: &str = "\
|1|des9UH993pDNBMNLfuMuNTByF18=|bBasmR+zHUmQUrUU+dFQOVaA7m8= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKNv7/FxwQbOvZa8yzxuX14r2qm/aGmh59v590hN2jTh
|1|vJe96AUmJlluja4cSrBvA5SxzQw=|7ZLWxXqpgIUtHjPSoI/LBxncxc4= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDOJroYD4rhc1nd/o+fjCbWD7idpG7+uz5QYMC4pVyIB
";

fn key(openssh: &str) -> KeyData {
    PublicKey::from_openssh(openssh).unwrap().key_data().clone()
}

fn file(text: &str) -> KnownHostsFile {
    KnownHostsFile::parse(Path::new("/kh"), text)
}

fn changed(line: usize) -> Verdict {
    Verdict::Changed {
        file: "/kh".into(),
        line,
    }
}

fn revoked_at(line: usize) -> Verdict {
    Verdict::Revoked {
        file: "/kh".into(),
        line,
    }
}

#[test]
fn checks_keys_against_one_file() {
    let plain = format!(
        "# comment line\n\
         \n\
         web1,10.0.0.1\t{K1} comment words\n\
         [db]:2222 {K2}\n\
         *.example.com,!bad.example.com {K1}\n\
         [*.ex.org]:2200 {K2}\n\
         host? {K2}\n\
         UPPER.Example.NET {K1}\n\
         @cert-authority *.ca.test {K3}\n\
         @revoked * {K3}\n\
         @bogus-marker web1 {K2}\n\
         web1 ssh-ed25519 not-base64!!\n\
         lonely-host-without-key\n"
    );
    let cases: &[(&str, u16, &str, Verdict)] = &[
        ("web1", 22, K1, Verdict::Known),
        ("10.0.0.1", 22, K1, Verdict::Known),
        ("web1", 22, K2, changed(3)),
        ("web1", 2222, K1, Verdict::Unknown),
        ("db", 2222, K2, Verdict::Known),
        ("db", 22, K2, Verdict::Unknown),
        ("db", 2222, K1, changed(4)),
        ("www.example.com", 22, K1, Verdict::Known),
        ("a.b.example.com", 22, K1, Verdict::Known),
        ("bad.example.com", 22, K1, Verdict::Unknown),
        ("example.com", 22, K1, Verdict::Unknown),
        ("www.example.com", 2222, K1, Verdict::Unknown),
        ("x.ex.org", 2200, K2, Verdict::Known),
        ("x.ex.org", 22, K2, Verdict::Unknown),
        ("host1", 22, K2, Verdict::Known),
        ("host12", 22, K2, Verdict::Unknown),
        ("upper.example.net", 22, K1, Verdict::Known),
        ("Upper.EXAMPLE.net", 22, K1, Verdict::Known),
        // A CA line is not a host key; a different key type is not a changed key.
        ("k.ca.test", 22, K1, Verdict::Unknown),
        ("unlisted", 22, K1, Verdict::Unknown),
        ("anyhost", 22, K3, revoked_at(10)),
    ];
    let file = file(&plain);
    for (host, port, offered, expected) in cases {
        let name = lookup_name(host, *port);
        let got = check_key(std::slice::from_ref(&file), &name, &key(offered));
        assert_eq!(&got, expected, "{host}:{port} offering {offered:.20}");
    }
}

#[test]
fn hashed_entries_match_their_names_only() {
    let cases: &[(&str, u16, &str, Verdict)] = &[
        ("web1.example.com", 22, K1, Verdict::Known),
        ("WEB1.example.com", 22, K1, Verdict::Known),
        ("web1.example.com", 22, K2, changed(1)),
        ("web1.example.com", 2222, K1, Verdict::Unknown),
        ("web2.example.com", 22, K1, Verdict::Unknown),
        ("db.example.com", 2222, K2, Verdict::Known),
        ("db.example.com", 22, K2, Verdict::Unknown),
    ];
    let file = file(HASHED);
    for (host, port, offered, expected) in cases {
        let name = lookup_name(host, *port);
        let got = check_key(std::slice::from_ref(&file), &name, &key(offered));
        assert_eq!(&got, expected, "{host}:{port}");
    }
}

#[test]
fn a_match_in_any_file_wins_over_a_change_in_another() {
    let files = [
        KnownHostsFile::parse(Path::new("/a"), &format!("web1 {K2}\n")),
        KnownHostsFile::parse(Path::new("/b"), &format!("web1 {K1}\n")),
    ];
    assert_eq!(check_key(&files, "web1", &key(K1)), Verdict::Known);
    assert_eq!(
        check_key(&files[..1], "web1", &key(K1)),
        Verdict::Changed {
            file: "/a".into(),
            line: 1
        }
    );
}

#[test]
fn revoked_keys_are_refused_even_when_also_listed() {
    let text = format!("web1 {K1}\n@revoked web1,web2 {K1}\n");
    let file = file(&text);
    let files = std::slice::from_ref(&file);
    assert_eq!(check_key(files, "web1", &key(K1)), revoked_at(2));
    assert_eq!(check_key(files, "web3", &key(K1)), Verdict::Unknown);
}

#[test]
fn finds_cert_authorities_for_a_host() {
    let text = format!("@cert-authority *.ca.test,!evil.ca.test {K3}\n{K1}\n");
    let file = file(&text);
    let files = std::slice::from_ref(&file);
    assert_eq!(
        authorities(files, "a.ca.test").collect::<Vec<_>>(),
        [&key(K3)]
    );
    assert_eq!(authorities(files, "evil.ca.test").count(), 0);
    assert_eq!(authorities(files, "[a.ca.test]:2222").count(), 0);
}

#[test]
fn missing_file_reads_as_empty() {
    let f = KnownHostsFile::read(Path::new("/nonexistent/ferry/known_hosts")).unwrap();
    assert_eq!(check_key(&[f], "web1", &key(K1)), Verdict::Unknown);
}

#[test]
fn globs() {
    let cases = [
        ("*", "", true),
        ("*", "anything", true),
        ("a*", "abc", true),
        ("*c", "abc", true),
        ("a*c", "ac", true),
        ("a*c", "abbbc", true),
        ("a*c", "abcd", false),
        ("a?c", "abc", true),
        ("a?c", "ac", false),
        ("*.*.com", "a.b.com", true),
        ("*.*.com", "ab.com", false),
        ("[*]:22?2", "[h]:2202", true),
        ("exact", "exact", true),
        ("exact", "exac", false),
        ("**x", "yyx", true),
    ];
    for (pattern, text, expected) in cases {
        assert_eq!(
            glob_match(pattern.as_bytes(), text.as_bytes()),
            expected,
            "{pattern:?} vs {text:?}"
        );
    }
}

#[test]
fn a_host_keeps_only_the_lines_that_can_speak_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known_hosts");
    let text = format!(
        "web1 {K1}\nweb2 {K2}\n*.example.com {K3}\n@revoked * {K2}\n{HASHED}[db.example.com]:2222 {K1}\n"
    );
    std::fs::write(&path, &text).unwrap();
    let whole = KnownHostsFile::parse(&path, &text);
    for name in [
        "web1",
        "web2",
        "web1.example.com",
        "[db.example.com]:2222",
        "other",
    ] {
        let mine = KnownHostsFile::for_host(&path, name).unwrap();
        assert!(mine.entries.len() < whole.entries.len(), "{name}");
        for k in [K1, K2, K3] {
            assert_eq!(
                check_key(std::slice::from_ref(&mine), name, &key(k)),
                check_key(std::slice::from_ref(&whole), name, &key(k)),
                "{name} {k}"
            );
        }
    }
    // A changed file is read again.
    std::fs::write(&path, format!("{text}other {K3}\n")).unwrap();
    let other = KnownHostsFile::for_host(&path, "other").unwrap();
    assert_eq!(
        check_key(std::slice::from_ref(&other), "other", &key(K3)),
        Verdict::Known
    );
}
