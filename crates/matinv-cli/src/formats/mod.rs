//! File formats, one module each, and the choice between them.
//!
//! Every reader takes the whole input as bytes (already bounded by the real size of the
//! file or stream) and returns `Err(message)` for anything it cannot read; none panics.
//! The fuzz targets in `crates/matinv-cli/fuzz` call them directly.

pub mod mtx;
pub mod npy;
pub mod npz;
pub mod number;
pub mod text;

use crate::array::Array;
use std::path::Path;

/// A file format, for input or output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// numpy `.npy`
    Npy,
    /// numpy `.npz` (every array)
    Npz,
    /// Matrix Market dense `array` (`.mtx`)
    Mtx,
    /// comma-separated rows (`.csv`)
    Csv,
    /// whitespace-separated rows (`.txt`, `.tsv`, `.dat`)
    Txt,
}

impl Format {
    /// The format an extension stands for, if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "npy" => Format::Npy,
            "npz" => Format::Npz,
            "mtx" => Format::Mtx,
            "csv" => Format::Csv,
            "txt" | "tsv" | "dat" => Format::Txt,
            _ => return None,
        })
    }

    /// Guesses a format from the first bytes (stdin, unknown extensions).
    pub fn sniff(bytes: &[u8]) -> Format {
        if bytes.starts_with(npy::MAGIC) {
            Format::Npy
        } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            Format::Npz
        } else if bytes.len() >= 14 && bytes[..14].eq_ignore_ascii_case(b"%%MatrixMarket") {
            Format::Mtx
        } else if text::sniff(bytes) == text::Delimiter::Comma {
            Format::Csv
        } else {
            Format::Txt
        }
    }

    /// True for the binary formats (not for a terminal).
    pub fn binary(self) -> bool {
        matches!(self, Format::Npy | Format::Npz)
    }

    /// The usual file extension, with its dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Npy => ".npy",
            Format::Npz => ".npz",
            Format::Mtx => ".mtx",
            Format::Csv => ".csv",
            Format::Txt => ".txt",
        }
    }

    /// True for the formats that hold one matrix only.
    pub fn single_matrix(self) -> bool {
        matches!(self, Format::Mtx)
    }
}

/// Reads `bytes` in `format`: named arrays (one, `arr_0`, except for `.npz`).
pub fn read(bytes: &[u8], format: Format) -> Result<Vec<(String, Array)>, String> {
    let one = |a: Array| vec![("arr_0".to_string(), a)];
    match format {
        Format::Npy => npy::read(bytes).map(one),
        Format::Npz => npz::read(bytes),
        Format::Mtx => mtx::read(bytes).map(one),
        Format::Csv => text::read(bytes, text::Delimiter::Comma).map(one),
        Format::Txt => text::read(bytes, text::Delimiter::Whitespace).map(one),
    }
}
