//! Serializing results, and writing files whole or not at all.

use crate::array::Array;
use crate::formats::{mtx, npy, npz, text, Format};
use std::io::{self, Cursor, Write};
use std::path::Path;

/// The bytes of `arrays` in `format` (text with `precision` significant digits, if given).
pub fn serialize(
    arrays: &[(String, Array)],
    format: Format,
    precision: Option<usize>,
) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let multi = arrays.len() > 1;
    match format {
        Format::Npy => npy::write(&arrays[0].1, &mut buf)?,
        Format::Npz => {
            let mut cur = Cursor::new(&mut buf);
            npz::write(arrays, &mut cur)?;
        }
        Format::Mtx => mtx::write(&arrays[0].1, precision, &mut buf)?,
        Format::Csv | Format::Txt => {
            let delim = if format == Format::Csv {
                text::Delimiter::Comma
            } else {
                text::Delimiter::Whitespace
            };
            for (i, (name, a)) in arrays.iter().enumerate() {
                if i > 0 {
                    writeln!(buf)?;
                }
                text::write(
                    a,
                    multi.then_some(name.as_str()),
                    delim,
                    precision,
                    &mut buf,
                )?;
            }
        }
    }
    Ok(buf)
}

/// Writes `bytes` to `path` through a temporary file in the same directory, renamed over
/// `path` only once it is complete and synced: readers see the old file or the new one,
/// never half of one, and a failed run leaves no file behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".matinv-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // tempfile's default is 0600; an output file should be as readable as `cp` makes it.
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
