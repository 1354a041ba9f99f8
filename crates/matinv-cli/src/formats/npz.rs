//! `.npz` archives: a zip file of `.npy` members (`numpy.savez`, `numpy.savez_compressed`),
//! through the `zip` crate (stored and deflated members) and [`super::npy`].

use crate::array::{Array, Data};
use std::io::{self, Cursor, Read};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// Reads every array of an `.npz` archive held in memory, in archive order, named as numpy
/// names them (the member name without `.npy`).
pub fn read(bytes: &[u8]) -> Result<Vec<(String, Array)>, String> {
    let mut zip = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not a valid .npz (zip) file: {e}"))?;
    // The zip crate keeps one entry per name: two members named alike would lose one.
    let written = central_directory_names(bytes, zip.central_directory_start());
    if written.len() > zip.len() {
        let mut seen = std::collections::HashSet::new();
        let twice = written
            .iter()
            .find(|n| !seen.insert(**n))
            .copied()
            .unwrap_or(b"?");
        let twice = String::from_utf8_lossy(twice);
        return Err(duplicate(twice.strip_suffix(".npy").unwrap_or(&twice)));
    }
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
        if member.compressed_size() > bytes.len() as u64 {
            return Err(format!(
                "member '{raw_name}': claims {} compressed bytes, the archive holds {}",
                member.compressed_size(),
                bytes.len()
            ));
        }
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
        // Honest sizes can still exceed the memory there is: ask first, fail cleanly.
        let mut buf = crate::array::try_vec::<u8>(
            usize::try_from(declared).unwrap_or(usize::MAX),
            &format!("member '{raw_name}'"),
        )?;
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
        // `a` and `a.npy` are one array to numpy's NpzFile too.
        if out.iter().any(|(seen, _)| *seen == name) {
            return Err(duplicate(&name));
        }
        let a = super::npy::read(&buf).map_err(|e| format!("member '{raw_name}': {e}"))?;
        out.push((name, a));
    }
    if out.is_empty() {
        return Err("the .npz archive holds no arrays".into());
    }
    Ok(out)
}

fn duplicate(name: &str) -> String {
    format!(
        "two members named '{name}': the archive is ambiguous (numpy.load would keep only \
         one of them)"
    )
}

/// The member names of the central directory that starts at `start` in `bytes`, as
/// written (duplicates included), walked up to the first record that is not a central
/// file header or does not fit.
fn central_directory_names(bytes: &[u8], start: u64) -> Vec<&[u8]> {
    const SIGNATURE: &[u8] = b"PK\x01\x02";
    const FIXED: usize = 46;
    let mut names = Vec::new();
    let Ok(mut at) = usize::try_from(start) else {
        return names;
    };
    let u16_at = |i: usize| usize::from(u16::from_le_bytes([bytes[i], bytes[i + 1]]));
    while let Some(header) = at.checked_add(FIXED).and_then(|end| bytes.get(at..end)) {
        if &header[..4] != SIGNATURE {
            break;
        }
        let (name_len, extra_len, comment_len) =
            (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32));
        let Some(name) = bytes.get(at + FIXED..at + FIXED + name_len) else {
            break;
        };
        names.push(name);
        at += FIXED + name_len + extra_len + comment_len;
    }
    names
}

/// Writes arrays as an uncompressed `.npz` (what `numpy.savez` makes), members `NAME.npy`.
pub fn write(arrays: &[(String, Array)], out: &mut (impl io::Write + io::Seek)) -> io::Result<()> {
    let mut zip = ZipWriter::new(out);
    for (name, a) in arrays {
        // Streamed into the archive, never buffered whole. The size is only needed to
        // decide on zip64, so an upper bound does (data plus the longest header).
        let item = match a.data {
            Data::F32(_) => 4,
            Data::F64(_) | Data::C32(_) => 8,
            Data::C64(_) => 16,
        };
        let bound = (a.data.len() as u64)
            .saturating_mul(item)
            .saturating_add(2 * super::npy::MAX_HEADER_LEN as u64 + 4096);
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .large_file(bound >= u32::MAX as u64);
        zip.start_file(format!("{name}.npy"), options)
            .map_err(io::Error::other)?;
        super::npy::write(a, &mut zip)?;
    }
    zip.finish().map_err(io::Error::other)?;
    Ok(())
}
