//! The bodies of the fuzz targets (yaml, playbook, template, inventory, vault): each takes any bytes and must return without panicking
//! (errors are fine). `fuzz/` drives them with libFuzzer; the test suite drives them for a
//! bounded time on every run (`tests/fuzz_smoke.rs`), so a crash found once stays fixed.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::template::Templar;
use crate::vars::Vars;

/// The YAML loader: a tree or an error with a position.
pub fn yaml(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let file = crate::error::SourceFile::new("fuzz.yml", text);
        if let Err(e) = crate::yaml::parse(file) {
            let _ = e.to_string();
        }
    }
}

/// The playbook loader: a playbook or load errors.
pub fn playbook(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = scratch("site.yml");
    if std::fs::write(&path, text).is_ok() {
        if let Err(e) = crate::playbook::load(&path) {
            let _ = e.to_string();
        }
    }
}

/// The templar: any text renders or fails, as a template and as a condition.
pub fn template(data: &[u8]) {
    static T: OnceLock<Templar> = OnceLock::new();
    let t = T.get_or_init(Templar::new);
    if let Ok(text) = std::str::from_utf8(data) {
        let vars: Vars = serde_json::json!({"a": 1, "s": "x", "l": [1, 2], "d": {"k": "v"}})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let _ = t.render_str(text, &vars);
        let _ = t.eval_condition(text, &vars);
    }
}

/// The inventory loader, as INI or YAML (the first byte chooses); patterns on what loads.
pub fn inventory(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let path = scratch(if kind % 2 == 0 {
        "hosts.ini"
    } else {
        "hosts.yml"
    });
    if std::fs::write(&path, text).is_err() {
        return;
    }
    match crate::inventory::Inventory::load(&[path], None) {
        Ok(inv) => {
            for pattern in ["all", "web*:!db", "~^h", "all[0:2]"] {
                let _ = inv.select(pattern);
            }
            let names: Vec<String> = inv.hosts().map(String::from).collect();
            for h in names {
                let _ = inv.host_vars(&h);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// The password the vault target decrypts with (its seeds are encrypted with it).
const VAULT_PASSWORD: &[u8] = b"fuzz";

/// The vault envelope: with an even first byte, the rest is read as a vaulted text (the
/// header, the wrapped hex, the salt/HMAC/ciphertext inside), and one that parses is
/// decrypted with [`VAULT_PASSWORD`] or refused (HMAC before padding); with an odd one, the
/// rest is encrypted (a 1.2 header naming an id for every other odd byte) and must read back
/// whole, with its id.
pub fn vault(data: &[u8]) {
    use crate::vault::cipher;
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        if let Ok(Ok(envelope)) = std::str::from_utf8(rest).map(cipher::parse) {
            let _ = envelope.decrypt(VAULT_PASSWORD);
        }
        return;
    }
    let id = (mode % 4 == 3).then_some("fuzz-id");
    let sealed = cipher::encrypt(rest, VAULT_PASSWORD, id);
    let envelope = cipher::parse(&sealed).expect("what ferry encrypts parses");
    assert_eq!(envelope.vault_id.as_deref(), id, "the vault id reads back");
    let opened = envelope
        .decrypt(VAULT_PASSWORD)
        .expect("the right password opens it");
    assert_eq!(opened, rest, "encrypted bytes read back whole");
}

/// A file of this process and thread in the temporary directory (targets may run in
/// parallel threads).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ferry-fuzz-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}
