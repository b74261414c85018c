//! `phonecheck::fuzz_targets::list_file` under libFuzzer.
//!
//! libFuzzer's panic hook aborts on any panic. A panic in the thread that reads a workbook
//! (named `workbook`) is `calamine` failing on a damaged file, which the reader catches and
//! reports as that file's error (`lists/workbook.rs`, and its test on the input that found it):
//! that one is let through to be caught, so the search goes on past such files. Any other
//! panic still aborts.
#![no_main]

use std::sync::Once;

static HOOK: Once = Once::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    HOOK.call_once(|| {
        let aborting = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some("workbook") {
                aborting(info);
            }
        }));
    });
    phonecheck::fuzz_targets::list_file(data);
});
