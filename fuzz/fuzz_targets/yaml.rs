//! Any text given to the YAML loader returns a tree or an error with a position; never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let file = ferry::error::SourceFile::new("fuzz.yml", text);
        if let Err(e) = ferry::yaml::parse(file) {
            let _ = e.to_string();
        }
    }
});
