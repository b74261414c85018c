//! `phonecheck::fuzz_targets::webhook_signature` under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| phonecheck::fuzz_targets::webhook_signature(data));
