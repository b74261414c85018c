//! `phonecheck::fuzz_targets::page_token` under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| phonecheck::fuzz_targets::page_token(data));
