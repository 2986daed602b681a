//! Any text given to the inventory loader, as an INI file or as a YAML file (the first byte
//! chooses), loads or gives load errors; a loaded inventory answers patterns; never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("ferry-fuzz-inv-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(if kind % 2 == 0 { "hosts.ini" } else { "hosts.yml" });
    if std::fs::write(&path, text).is_err() {
        return;
    }
    match ferry::inventory::Inventory::load(&[path], None) {
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
});
