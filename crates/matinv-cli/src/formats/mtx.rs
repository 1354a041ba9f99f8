//! Matrix Market files in the dense `array` format.
//!
//! Hand-written on purpose: the format is a banner line, comments, a size line and one
//! number per line, and the Matrix Market crates we looked at read the sparse
//! `coordinate` format only, or come inside whole sparse-matrix libraries.

use super::number::{self, fmt_complex, fmt_real, Number};
use crate::array::{shape_str, try_map, try_vec, Array, Data};
use matinv::c64;
use std::io::{self, Write};

#[derive(Clone, Copy, PartialEq)]
enum Symmetry {
    General,
    Symmetric,
    Skew,
    Hermitian,
}

/// Reads a dense (`array`) Matrix Market file: `real`, `double`, `integer` or `complex`
/// entries, `general`, `symmetric`, `skew-symmetric` or `hermitian`.
pub fn read(bytes: &[u8]) -> Result<Array, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())?;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i as u64 + 1, l));
    let (_, banner) = lines.next().ok_or("empty file")?;
    let words: Vec<String> = banner
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    if words.first().map(String::as_str) != Some("%%matrixmarket") {
        return Err("line 1: not a Matrix Market file (no %%MatrixMarket banner)".into());
    }
    let word = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    if word(1) != "matrix" {
        return Err(format!(
            "line 1: unsupported object '{}' (expected 'matrix')",
            word(1)
        ));
    }
    match word(2) {
        "array" => {}
        "coordinate" => {
            return Err(
                "line 1: coordinate (sparse) Matrix Market files are not supported; \
                        matinv reads the dense 'array' format"
                    .into(),
            )
        }
        w => return Err(format!("line 1: unknown format '{w}'")),
    }
    let complex = match word(3) {
        "real" | "double" | "integer" => false,
        "complex" => true,
        w => {
            return Err(format!(
                "line 1: unsupported field '{w}' (real, integer or complex)"
            ))
        }
    };
    let symmetry = match word(4) {
        "general" => Symmetry::General,
        "symmetric" => Symmetry::Symmetric,
        "skew-symmetric" => Symmetry::Skew,
        "hermitian" => Symmetry::Hermitian,
        w => return Err(format!("line 1: unknown symmetry '{w}'")),
    };
    // Size line: the first line that is neither a comment nor blank.
    let (size_line, size) = lines
        .by_ref()
        .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('%'))
        .ok_or("no size line")?;
    let dims: Vec<&str> = size.split_whitespace().collect();
    let parse_dim = |s: &str| {
        s.parse::<usize>()
            .map_err(|_| format!("line {size_line}: bad size '{}'", number::shorten(s)))
    };
    let (m, n) = match dims.as_slice() {
        [m, n] => (parse_dim(m)?, parse_dim(n)?),
        _ => return Err(format!("line {size_line}: expected 'ROWS COLUMNS'")),
    };
    if m != n {
        return Err(format!(
            "Last 2 dimensions of the array must be square (shape {})",
            shape_str(&[m, n])
        ));
    }
    let expected = match symmetry {
        Symmetry::General => n.checked_mul(n),
        Symmetry::Symmetric | Symmetry::Hermitian => n.checked_mul(n + 1).map(|x| x / 2),
        Symmetry::Skew => n.checked_mul(n.saturating_sub(1)).map(|x| x / 2),
    }
    .ok_or_else(|| format!("line {size_line}: size {n} x {n} is too large"))?;
    let per_entry = if complex { 2 } else { 1 };
    // Every entry takes at least two bytes of text: a size line claiming more entries than
    // that cannot be honest, and we allocate nothing for it.
    if expected.saturating_mul(per_entry) > bytes.len() / 2 + 1 {
        return Err(format!(
            "truncated: the size line claims {n} x {n} ({expected} entries), \
             more than the file can hold"
        ));
    }
    let mut entries: Vec<c64> = try_vec(expected, "the entries")?;
    let mut pending: Option<f64> = None;
    for (ln, line) in lines {
        let line = line.trim();
        if line.is_empty() || line.starts_with('%') {
            continue;
        }
        for tok in line.split_whitespace() {
            if entries.len() == expected {
                return Err(format!(
                    "line {ln}: more entries than the {expected} expected"
                ));
            }
            let x = match number::parse(tok).map_err(|e| format!("line {ln}: {e}"))? {
                Number::Real(x) => x,
                Number::Complex(_) => {
                    return Err(format!(
                        "line {ln}: '{}' is not a number (complex entries are two numbers)",
                        number::shorten(tok)
                    ))
                }
            };
            if complex {
                match pending.take() {
                    None => pending = Some(x),
                    Some(re) => entries.push(c64::new(re, x)),
                }
            } else {
                entries.push(c64::new(x, 0.0));
            }
        }
        if pending.is_some() {
            return Err(format!("line {ln}: a complex entry needs two numbers"));
        }
    }
    if entries.len() < expected {
        return Err(format!(
            "truncated: {} of the {expected} entries of a {n} x {n} matrix",
            entries.len()
        ));
    }
    // Column-major entries into a row-major matrix.
    let mut a = try_vec(n * n, "the matrix")?;
    a.resize(n * n, c64::new(0.0, 0.0));
    let mut it = entries.into_iter();
    for j in 0..n {
        let first = match symmetry {
            Symmetry::General => 0,
            Symmetry::Symmetric | Symmetry::Hermitian => j,
            Symmetry::Skew => j + 1,
        };
        for i in first..n {
            let v = it.next().unwrap_or_default();
            a[i * n + j] = v;
            if i != j {
                a[j * n + i] = match symmetry {
                    Symmetry::General => a[j * n + i],
                    Symmetry::Symmetric => v,
                    Symmetry::Skew => -v,
                    Symmetry::Hermitian => v.conj(),
                };
            }
        }
    }
    let data = if complex {
        Data::C64(a)
    } else {
        Data::F64(try_map(&a, "the matrix", |z| z.re)?)
    };
    Array::new(vec![n, n], data)
}

/// Writes one matrix as a `general` `array` file (`real` or `complex`), column-major.
/// Stacks have no Matrix Market form: callers check for them first.
pub fn write(a: &Array, precision: Option<usize>, out: &mut impl Write) -> io::Result<()> {
    if a.shape.len() != 2 {
        return Err(io::Error::other(
            "Matrix Market holds one matrix, not a stack",
        ));
    }
    let n = a.n();
    let field = match a.data {
        Data::F32(_) | Data::F64(_) => "real",
        Data::C32(_) | Data::C64(_) => "complex",
    };
    writeln!(out, "%%MatrixMarket matrix array {field} general")?;
    writeln!(out, "% inverse written by matinv ({})", a.data.dtype_name())?;
    writeln!(out, "{n} {n}")?;
    for j in 0..n {
        for i in 0..n {
            let k = i * n + j;
            let s = match &a.data {
                Data::F32(v) => fmt_real(v[k], precision),
                Data::F64(v) => fmt_real(v[k], precision),
                Data::C32(v) => spaced(fmt_complex(v[k].re, v[k].im, precision)),
                Data::C64(v) => spaced(fmt_complex(v[k].re, v[k].im, precision)),
            };
            writeln!(out, "{s}")?;
        }
    }
    Ok(())
}

/// `re+imj` as Matrix Market's `re im`.
fn spaced(s: String) -> String {
    let body = s.strip_suffix('j').unwrap_or(&s);
    let split = number::sign_split(body).unwrap_or(body.len());
    let (re, im) = body.split_at(split);
    format!("{re} {}", im.trim_start_matches('+'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_general_and_symmetric() {
        let a = read(b"%%MatrixMarket matrix array real general\n% c\n2 2\n1\n3\n2\n4\n").unwrap();
        assert_eq!(a.data, Data::F64(vec![1.0, 2.0, 3.0, 4.0]));
        let s = read(b"%%MatrixMarket matrix array real symmetric\n2 2\n1\n2\n4\n").unwrap();
        assert_eq!(s.data, Data::F64(vec![1.0, 2.0, 2.0, 4.0]));
        let k = read(b"%%MatrixMarket matrix array real skew-symmetric\n2 2\n5\n").unwrap();
        assert_eq!(k.data, Data::F64(vec![0.0, -5.0, 5.0, 0.0]));
        let c = read(b"%%MatrixMarket matrix array complex general\n1 1\n1.5 -2\n").unwrap();
        assert_eq!(c.data, Data::C64(vec![c64::new(1.5, -2.0)]));
    }

    #[test]
    fn round_trip() {
        let a = Array::new(
            vec![2, 2],
            Data::C64(vec![
                c64::new(1.0, -1e-30),
                c64::new(2.0, 0.5),
                c64::new(0.1, 3.0),
                c64::new(-4.0, -2.0),
            ]),
        )
        .unwrap();
        let mut buf = Vec::new();
        write(&a, None, &mut buf).unwrap();
        assert_eq!(read(&buf).unwrap(), a);
    }

    #[test]
    fn lying_sizes() {
        let e = read(b"%%MatrixMarket matrix array real general\n100000 100000\n1\n").unwrap_err();
        assert!(e.contains("truncated"), "{e}");
        let e = read(b"%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n").unwrap_err();
        assert!(e.contains("truncated: 3 of the 4"), "{e}");
        assert!(read(b"%%MatrixMarket matrix array real general\n2 3\n")
            .unwrap_err()
            .contains("square"));
    }
}
