//! `phonecheck::fuzz_targets::door_form` under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| phonecheck::fuzz_targets::door_form(data));
