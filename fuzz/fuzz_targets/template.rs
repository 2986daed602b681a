//! Any template text renders, or fails with an error; conditions too; never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static T: OnceLock<ferry::template::Templar> = OnceLock::new();
    let t = T.get_or_init(ferry::template::Templar::new);
    if let Ok(text) = std::str::from_utf8(data) {
        let vars: ferry::vars::Vars = serde_json::json!({"a": 1, "s": "x", "l": [1, 2], "d": {"k": "v"}})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let _ = t.render_str(text, &vars);
        let _ = t.eval_condition(text, &vars);
    }
});
