//! Fuzz target: the npz reader must return Ok or Err on any bytes, never panic or
//! allocate without bound.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(arrays) = matinv_cli::formats::read(data, matinv_cli::formats::Format::Npz) {
        // Whatever was read must also serialize.
        let _ = matinv_cli::output::serialize(&arrays, matinv_cli::formats::Format::Npz, None);
    }
});
