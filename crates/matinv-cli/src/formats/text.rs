//! Text matrices: one matrix per file, one row per line, fields separated by commas (CSV,
//! read with the `csv` crate) or by runs of spaces and tabs (split by hand: that is all
//! the format is, and `csv` wants exactly one delimiter byte). Lines starting with `#` are
//! comments, as in `numpy.savetxt` / `numpy.loadtxt`.

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
    let first = bytes
        .split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .find(|l| !l.is_empty() && !l.starts_with(b"#"));
    match first {
        Some(l) if l.contains(&b',') => Delimiter::Comma,
        _ => Delimiter::Whitespace,
    }
}

/// Reads one matrix. Every field must be a finite number; all rows as long as the first;
/// as many rows as columns.
pub fn read(bytes: &[u8], delimiter: Delimiter) -> Result<Array, String> {
    let mut rows = Rows::default();
    match delimiter {
        Delimiter::Comma => {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .comment(Some(b'#'))
                .from_reader(bytes);
            let mut record = csv::ByteRecord::new();
            loop {
                match rdr.read_byte_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) => return Err(format!("malformed CSV: {e}")),
                }
                let line = record.position().map_or(0, |p| p.line());
                // A line of only spaces reads as one empty field: treat it as blank.
                if record.len() == 1 && record[0].trim_ascii().is_empty() {
                    continue;
                }
                rows.push(line, record.iter())?;
            }
        }
        Delimiter::Whitespace => {
            for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
                let line = line.trim_ascii();
                if line.is_empty() || line.starts_with(b"#") {
                    continue;
                }
                let fields = line
                    .split(|b| b.is_ascii_whitespace())
                    .filter(|f| !f.is_empty());
                rows.push(i as u64 + 1, fields)?;
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
/// the output as `# array NAME` (for the members of an `.npz`).
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
        writeln!(out, "# array {name}")?;
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
}
