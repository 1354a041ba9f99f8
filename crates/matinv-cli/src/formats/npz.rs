//! `.npz` archives: a zip file of `.npy` members (`numpy.savez`, `numpy.savez_compressed`),
//! through the `zip` crate (stored and deflated members) and [`super::npy`].

use crate::array::Array;
use std::io::{self, Cursor, Read};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// Reads every array of an `.npz` archive held in memory, in archive order, named as numpy
/// names them (the member name without `.npy`).
pub fn read(bytes: &[u8]) -> Result<Vec<(String, Array)>, String> {
    let mut zip = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not a valid .npz (zip) file: {e}"))?;
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut member = zip
            .by_index(i)
            .map_err(|e| format!("corrupt .npz member {i}: {e}"))?;
        let raw_name = member.name().to_string();
        let name = raw_name
            .strip_suffix(".npy")
            .unwrap_or(&raw_name)
            .to_string();
        // The declared size may lie; never read (or inflate) more than it, nor more than
        // a deflate stream of this many compressed bytes could honestly hold.
        let declared = member.size();
        let ceiling = member
            .compressed_size()
            .saturating_mul(1032)
            .saturating_add(1024);
        if declared > ceiling {
            return Err(format!(
                "member '{raw_name}': claims {declared} bytes from {} compressed",
                member.compressed_size()
            ));
        }
        let mut buf = Vec::new();
        (&mut member)
            .take(declared)
            .read_to_end(&mut buf)
            .map_err(|e| format!("member '{raw_name}': {e}"))?;
        if (buf.len() as u64) < declared {
            return Err(format!(
                "member '{raw_name}': truncated ({} of {declared} bytes)",
                buf.len()
            ));
        }
        let a = super::npy::read(&buf).map_err(|e| format!("member '{raw_name}': {e}"))?;
        out.push((name, a));
    }
    if out.is_empty() {
        return Err("the .npz archive holds no arrays".into());
    }
    Ok(out)
}

/// Writes arrays as an uncompressed `.npz` (what `numpy.savez` makes), members `NAME.npy`.
pub fn write(arrays: &[(String, Array)], out: &mut (impl io::Write + io::Seek)) -> io::Result<()> {
    let mut zip = ZipWriter::new(out);
    for (name, a) in arrays {
        let mut buf = Vec::new();
        super::npy::write(a, &mut buf)?;
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .large_file(buf.len() as u64 >= u32::MAX as u64);
        zip.start_file(format!("{name}.npy"), options)
            .map_err(io::Error::other)?;
        io::Write::write_all(&mut zip, &buf)?;
    }
    zip.finish().map_err(io::Error::other)?;
    Ok(())
}
