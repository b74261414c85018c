//! `phonecheck::fuzz_targets::results_reply` under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| phonecheck::fuzz_targets::results_reply(data));
