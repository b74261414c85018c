//! `phonecheck::fuzz_targets::mobile_number` under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| phonecheck::fuzz_targets::mobile_number(data));
