//! Text matrices: one matrix per file, one row per line, fields separated by commas (CSV,
//! read with the `csv` crate) or by runs of spaces and tabs (split by hand: that is all
//! the format is, and `csv` wants exactly one delimiter byte). As in `numpy.loadtxt`, `#`
//! starts a comment that runs to the end of its line, and lines end with `\n`, `\r\n` or a
//! lone `\r`.

use super::number::{self, fmt_complex, fmt_real, Number};
use crate::array::{index_label, shape_str, try_map, Array, Data};
use matinv::c64;
use std::io::{self, Write};

/// How fields are separated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delimiter {
    /// `,` (CSV).
    Comma,
    /// Runs of spaces and tabs.
    Whitespace,
}

/// Guesses the delimiter from content (for stdin and unknown extensions): comma when the
/// first non-comment line has one.
pub fn sniff(bytes: &[u8]) -> Delimiter {
    let first = lines(bytes).map(|(_, l)| l).find(|l| !l.is_empty());
    match first {
        Some(l) if l.contains(&b',') => Delimiter::Comma,
        _ => Delimiter::Whitespace,
    }
}

/// The lines of `bytes` with their 1-based numbers, each without its comment (from `#`
/// on) and trimmed of spaces; a line ends at `\n`, `\r\n` or a lone `\r`.
fn lines(bytes: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let mut rest = bytes;
    let mut number = 0u64;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest.iter().position(|&b| b == b'\n' || b == b'\r');
        let (line, next) = match end {
            None => (rest, &rest[rest.len()..]),
            Some(e) if rest[e] == b'\r' && rest.get(e + 1) == Some(&b'\n') => {
                (&rest[..e], &rest[e + 2..])
            }
            Some(e) => (&rest[..e], &rest[e + 1..]),
        };
        rest = next;
        number += 1;
        let code = line.split(|&b| b == b'#').next().unwrap_or(line);
        Some((number, code.trim_ascii()))
    })
}

/// Reads one matrix. Every field must be a finite number; all rows as long as the first;
/// as many rows as columns.
pub fn read(bytes: &[u8], delimiter: Delimiter) -> Result<Array, String> {
    let mut rows = Rows::default();
    for (number, line) in lines(bytes) {
        if line.is_empty() {
            continue;
        }
        match delimiter {
            Delimiter::Comma => {
                // One line at a time: comments are already cut off, and a quoted field
                // cannot span lines in numpy's loadtxt either.
                let mut rdr = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(line);
                let mut record = csv::ByteRecord::new();
                if let Err(e) = rdr.read_byte_record(&mut record) {
                    return Err(format!("line {number}: malformed CSV: {e}"));
                }
                rows.push(number, record.iter())?;
            }
            Delimiter::Whitespace => {
                let fields = line
                    .split(|b| b.is_ascii_whitespace())
                    .filter(|f| !f.is_empty());
                rows.push(number, fields)?;
            }
        }
    }
    rows.finish()
}

#[derive(Default)]
struct Rows {
    values: Vec<Number>,
    width: Option<(usize, u64)>,
    count: usize,
    complex: bool,
}

impl Rows {
    fn push<'a>(
        &mut self,
        line: u64,
        fields: impl Iterator<Item = &'a [u8]>,
    ) -> Result<(), String> {
        let mut k = 0usize;
        for (j, f) in fields.enumerate() {
            let s = std::str::from_utf8(f)
                .map_err(|_| format!("line {line}, field {}: not UTF-8 text", j + 1))?;
            let v = number::parse(s).map_err(|e| format!("line {line}, field {}: {e}", j + 1))?;
            self.complex |= matches!(v, Number::Complex(_));
            if self.values.len() == self.values.capacity() {
                // Grow by doubling, as push would, but report a failure instead of aborting.
                let more = self.values.len().max(64);
                self.values.try_reserve(more).map_err(|_| {
                    format!(
                        "line {line}: Unable to allocate memory for more than {} numbers: \
                         out of memory",
                        self.values.len()
                    )
                })?;
            }
            self.values.push(v);
            k += 1;
        }
        match self.width {
            None => self.width = Some((k, line)),
            Some((w, first)) if w != k => {
                return Err(format!(
                    "line {line} has {k} fields, line {first} has {w} (ragged rows)"
                ))
            }
            Some(_) => {}
        }
        self.count += 1;
        Ok(())
    }

    fn finish(self) -> Result<Array, String> {
        let Some((w, _)) = self.width else {
            return Err("no numbers found (empty file)".into());
        };
        let shape = vec![self.count, w];
        let data = if self.complex {
            Data::C64(try_map(&self.values, "the matrix", |v| match v {
                Number::Real(x) => c64::new(x, 0.0),
                Number::Complex(z) => z,
            })?)
        } else {
            Data::F64(try_map(&self.values, "the matrix", |v| match v {
                Number::Real(x) => x,
                Number::Complex(z) => z.re,
            })?)
        };
        Array::new(shape, data)
    }
}

/// Writes an array as text. A stack is written matrix after matrix, each after a
/// `# matrix INDEX` comment line and separated by a blank line; `name`, when given, heads
/// the output as `# array NAME` (for the members of an `.npz`; escaped as Rust's
/// `escape_default` does, so a name is one line whatever it holds).
pub fn write(
    a: &Array,
    name: Option<&str>,
    delimiter: Delimiter,
    precision: Option<usize>,
    out: &mut impl Write,
) -> io::Result<()> {
    let sep = match delimiter {
        Delimiter::Comma => ",",
        Delimiter::Whitespace => " ",
    };
    if let Some(name) = name {
        // One line whatever the name holds: a newline in it would start a data line.
        writeln!(out, "# array {}", name.escape_default())?;
    }
    let n = a.n();
    let stack = a.shape.len() > 2;
    if n == 0 && stack {
        // Empty matrices have no rows to write; one line for the whole stack, not one per
        // matrix (a tiny header can declare 10^18 of them).
        return writeln!(out, "# empty matrices, shape {}", shape_str(&a.shape));
    }
    for k in 0..a.count() {
        if stack {
            if k > 0 {
                writeln!(out)?;
            }
            writeln!(out, "# matrix {}", index_label(k, a.batch_shape()))?;
        }
        for i in 0..n {
            let base = (k * n + i) * n;
            let mut line = String::new();
            for j in 0..n {
                if j > 0 {
                    line.push_str(sep);
                }
                line.push_str(&element(&a.data, base + j, precision));
            }
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// Element `i` of `data` as text.
pub fn element(data: &Data, i: usize, precision: Option<usize>) -> String {
    match data {
        Data::F32(v) => fmt_real(v[i], precision),
        Data::F64(v) => fmt_real(v[i], precision),
        Data::C32(v) => fmt_complex(v[i].re, v[i].im, precision),
        Data::C64(v) => fmt_complex(v[i].re, v[i].im, precision),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_whitespace() {
        let a = read(b"1,2\n3,4\n", Delimiter::Comma).unwrap();
        assert_eq!(a.data, Data::F64(vec![1.0, 2.0, 3.0, 4.0]));
        let b = read(b"# c\n 1  2\t\n\n3 4", Delimiter::Whitespace).unwrap();
        assert_eq!(a, b);
        assert_eq!(sniff(b"# x,y\n1 2\n"), Delimiter::Whitespace);
        assert_eq!(sniff(b"1,2\n"), Delimiter::Comma);
    }

    #[test]
    fn errors_name_the_place() {
        let e = read(b"1,2\n3\n", Delimiter::Comma).unwrap_err();
        assert!(e.contains("line 2 has 1 fields, line 1 has 2"), "{e}");
        let e = read(b"1 2\n3 x\n", Delimiter::Whitespace).unwrap_err();
        assert!(e.starts_with("line 2, field 2: 'x' is not a number"), "{e}");
        let e = read(b"1 2\n3 nan\n", Delimiter::Whitespace).unwrap_err();
        assert!(
            e.contains("line 2, field 2") && e.contains("not finite"),
            "{e}"
        );
        let e = read(b"1 2 3\n3 4 5\n", Delimiter::Whitespace).unwrap_err();
        assert!(e.contains("must be square") && e.contains("(2, 3)"), "{e}");
        assert!(read(b"", Delimiter::Comma).is_err());
    }

    /// Regressions: CR-only line endings read as one long row ("must be square"), and a
    /// `#` comment after the numbers was refused; numpy.loadtxt accepts both.
    #[test]
    fn line_endings_and_trailing_comments_as_numpy_loadtxt() {
        let want = Data::F64(vec![1.0, 2.0, 3.0, 4.0]);
        for text in [
            &b"1 2\r3 4\r"[..],
            b"1 2\r\n3 4\r\n",
            b"1 2 # first row\n3 4# second\n# done\n",
            b"# head\r1 2\r\r3 4 #x\r",
        ] {
            let a = read(text, Delimiter::Whitespace).unwrap();
            assert_eq!(a.data, want, "{text:?}");
            assert_eq!(sniff(text), Delimiter::Whitespace, "{text:?}");
        }
        for text in [&b"1,2\r3,4"[..], b"1,2 # a comment, with a comma\r\n3,4\n"] {
            let a = read(text, Delimiter::Comma).unwrap();
            assert_eq!(a.data, want, "{text:?}");
            assert_eq!(sniff(text), Delimiter::Comma, "{text:?}");
        }
        // Line numbers count lone CRs too.
        let e = read(b"1 2\r3 x\r", Delimiter::Whitespace).unwrap_err();
        assert!(e.starts_with("line 2, field 2"), "{e}");
    }

    #[test]
    fn names_are_one_line() {
        let a = read(b"1 0\n0 1\n", Delimiter::Whitespace).unwrap();
        let mut out = Vec::new();
        write(&a, Some("x\ny"), Delimiter::Whitespace, None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("# array x\\ny\n"), "{text}");
    }
}
