//! Fuzz target: the text readers (CSV and whitespace) must return Ok or Err on any bytes,
//! and what they read must print and read back the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matinv_cli::formats::{read, Format};

fuzz_target!(|data: &[u8]| {
    for format in [Format::Csv, Format::Txt] {
        if let Ok(arrays) = read(data, format) {
            let text = matinv_cli::output::serialize(&arrays, format, None).expect("serialize");
            let back = read(&text, format).expect("read back what we wrote");
            assert_eq!(back, arrays, "text round trip");
        }
    }
});
