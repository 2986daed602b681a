//! Any text given to the playbook loader loads or gives load errors; never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let dir = std::env::temp_dir().join(format!("ferry-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("site.yml");
        if std::fs::write(&path, text).is_ok() {
            if let Err(e) = ferry::playbook::load(&path) {
                let _ = e.to_string();
            }
        }
    }
});
