//! `phonecheck::fuzz_targets::check_request` under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| phonecheck::fuzz_targets::check_request(data));
