//! `phonecheck::fuzz_targets::keys_file` under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| phonecheck::fuzz_targets::keys_file(data));
