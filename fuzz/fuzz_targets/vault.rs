//! libFuzzer over `ferry::fuzzing::vault` (see src/fuzzing.rs): any bytes, no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ferry::fuzzing::vault(data));
