//! Serializing results, and writing them: regular files whole or not at all, FIFOs and
//! character devices (`/dev/null`, a terminal) written through, never replaced.

use crate::array::Array;
use crate::formats::{mtx, npy, npz, text, Format};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Cursor, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The bytes of `arrays` in `format` (text with `precision` significant digits, if given),
/// in memory. The command streams instead ([`write_file`], [`serialize_stream`]).
pub fn serialize(
    arrays: &[(String, Array)],
    format: Format,
    precision: Option<usize>,
) -> io::Result<Vec<u8>> {
    let mut cur = Cursor::new(Vec::new());
    serialize_into(arrays, format, precision, &mut cur)?;
    Ok(cur.into_inner())
}

/// Serializes into a seekable sink (a file: `.npz` is written in place).
pub fn serialize_into<W: Write + Seek>(
    arrays: &[(String, Array)],
    format: Format,
    precision: Option<usize>,
    out: &mut W,
) -> io::Result<()> {
    match format {
        Format::Npz => npz::write(arrays, out),
        _ => serialize_stream(arrays, format, precision, out),
    }
}

/// Serializes into a sink that cannot seek (stdout, a FIFO, a device), without holding
/// the output in memory. A zip archive needs to seek back, so `.npz` is built in an
/// anonymous temporary file (unlinked from the start: nothing is left behind even if the
/// process is killed) and copied out.
pub fn serialize_stream<W: Write>(
    arrays: &[(String, Array)],
    format: Format,
    precision: Option<usize>,
    out: &mut W,
) -> io::Result<()> {
    let multi = arrays.len() > 1;
    match format {
        Format::Npy => npy::write(&arrays[0].1, out)?,
        Format::Npz => {
            let mut tmp = BufWriter::new(tempfile::tempfile()?);
            npz::write(arrays, &mut tmp)?;
            let mut tmp = tmp.into_inner().map_err(|e| e.into_error())?;
            tmp.seek(SeekFrom::Start(0))?;
            io::copy(&mut tmp, out)?;
        }
        Format::Mtx => mtx::write(&arrays[0].1, precision, out)?,
        Format::Csv | Format::Txt => {
            let delim = if format == Format::Csv {
                text::Delimiter::Comma
            } else {
                text::Delimiter::Whitespace
            };
            for (i, (name, a)) in arrays.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                text::write(a, multi.then_some(name.as_str()), delim, precision, out)?;
            }
        }
    }
    Ok(())
}

/// What `-o PATH` names, once symbolic links are followed.
#[derive(Debug, PartialEq, Eq)]
pub enum Dest {
    /// A regular file, or nothing yet: replaced atomically at this path (the final target
    /// of any symbolic links, so that links stay links). `mode`: the permission bits of the
    /// file being replaced, kept on the new one.
    Replace {
        /// Where the new file goes.
        path: PathBuf,
        /// The permissions of the existing file, if there is one.
        mode: Option<u32>,
    },
    /// A FIFO or a character device: opened for writing and written, never replaced.
    Through(PathBuf),
}

/// Follows `path` through symbolic links (at most 40, as the kernel) to what it names.
/// A directory, a socket or a block device is an error.
pub fn resolve(path: &Path) -> io::Result<Dest> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        let meta = match fs::symlink_metadata(&p) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Dest::Replace {
                    path: p,
                    mode: None,
                })
            }
            Err(e) => return Err(e),
            Ok(m) => m,
        };
        let ft = meta.file_type();
        if ft.is_symlink() {
            let to = fs::read_link(&p)?;
            // A relative link is relative to the directory that holds it.
            p = match p.parent() {
                Some(dir) if to.is_relative() => dir.join(to),
                _ => to,
            };
            continue;
        }
        if ft.is_file() {
            return Ok(Dest::Replace {
                path: p,
                mode: file_mode(&meta),
            });
        }
        if ft.is_dir() {
            return Err(io::Error::other("is a directory"));
        }
        if writes_through(&ft) {
            return Ok(Dest::Through(p));
        }
        return Err(io::Error::other(
            "is neither a regular file, a FIFO nor a character device \
             (matinv writes no sockets or block devices)",
        ));
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

#[cfg(unix)]
fn writes_through(ft: &fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    ft.is_fifo() || ft.is_char_device()
}

#[cfg(not(unix))]
fn writes_through(_: &fs::FileType) -> bool {
    false
}

#[cfg(unix)]
fn file_mode(meta: &fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    // The permission bits only: no set-user-ID or set-group-ID on a file matinv made.
    Some(meta.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn file_mode(_: &fs::Metadata) -> Option<u32> {
    None
}

/// Writes the output to `path` by [`resolve`]'s rule, `write` producing the bytes.
///
/// A regular file (or a new one) is written through a temporary file in the same
/// directory, renamed over it only once complete and synced: readers see the old file or
/// the new one, never half of one, and a failed run leaves no file behind. SIGINT, SIGTERM
/// and SIGHUP during the write remove the temporary file ([`crate::signals`]). A FIFO or
/// character device is opened (no create, no truncate) and written.
pub fn write_file(
    path: &Path,
    write: impl FnOnce(&mut dyn WriteSeek) -> io::Result<()>,
    stream: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    match resolve(path)? {
        Dest::Through(p) => {
            let f = OpenOptions::new().write(true).open(p)?;
            let mut w = BufWriter::new(f);
            stream(&mut w)?;
            w.flush()
        }
        Dest::Replace { path, mode } => write_atomic(&path, mode, write),
    }
}

/// A sink that can seek (a file), for [`write_file`].
pub trait WriteSeek: Write + Seek {}
impl<T: Write + Seek> WriteSeek for T {}

fn write_atomic(
    path: &Path,
    mode: Option<u32>,
    write: impl FnOnce(&mut dyn WriteSeek) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    crate::signals::install();
    // Dropped after `tmp` (declared before it): the path stays registered for the signal
    // handler until the file is renamed or deleted.
    let _registered = crate::signals::Registered;
    let tmp = tempfile::Builder::new()
        .prefix(".matinv-")
        .suffix(".tmp")
        .make_in(dir, |p| {
            // Registered before the file exists, so that no signal can come between its
            // creation and its registration.
            crate::signals::register(p);
            let f = create_new(p);
            if f.is_err() {
                crate::signals::unregister();
            }
            f
        })?;
    if let Some(mode) = mode {
        set_mode(tmp.as_file(), mode)?;
    }
    {
        let mut w = BufWriter::new(tmp.as_file());
        write(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn create_new(p: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // tempfile's default is 0600; a new output file should be as readable as `cp` makes it.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(p)
}

#[cfg(not(unix))]
fn create_new(p: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(p)
}

#[cfg(unix)]
fn set_mode(f: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &File, _: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn resolve_follows_links_to_the_file() {
        let dir = tempfile::TempDir::new().unwrap();
        let real = dir.path().join("real.npy");
        fs::write(&real, b"x").unwrap();
        std::os::unix::fs::symlink("real.npy", dir.path().join("l1")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("l1"), dir.path().join("l2")).unwrap();
        std::os::unix::fs::symlink("missing.npy", dir.path().join("dangling")).unwrap();
        match resolve(&dir.path().join("l2")).unwrap() {
            Dest::Replace { path, mode } => {
                assert_eq!(path, real);
                assert!(mode.is_some());
            }
            d => panic!("{d:?}"),
        }
        assert_eq!(
            resolve(&dir.path().join("dangling")).unwrap(),
            Dest::Replace {
                path: dir.path().join("missing.npy"),
                mode: None
            }
        );
        std::os::unix::fs::symlink("loop", dir.path().join("loop")).unwrap();
        assert!(resolve(&dir.path().join("loop")).is_err());
        assert!(resolve(dir.path()).is_err());
        assert_eq!(
            resolve(Path::new("/dev/null")).unwrap(),
            Dest::Through("/dev/null".into())
        );
    }
}
