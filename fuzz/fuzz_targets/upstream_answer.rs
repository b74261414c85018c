//! `phonecheck::fuzz_targets::upstream_answer` under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| phonecheck::fuzz_targets::upstream_answer(data));
