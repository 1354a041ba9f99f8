//! `.npy` files, through the `npyz` crate.
//!
//! `npyz` parses headers and decodes every dtype in both byte orders, but it trusts the
//! header: it allocates as many header bytes as the header length field claims (up to
//! 4 GiB) and multiplies the shape without overflow checks. So before handing the bytes to
//! it, [`read`] checks the few things a lying header could abuse: the header length, the
//! nesting depth of its text (the literal parser recurses), that the element count fits a
//! `usize`, and that the file really holds the data the shape claims.

use crate::array::{fortran_to_c, shape_str, try_map, Array, Data};
use matinv::{c32, c64};
use npyz::{DType, NpyFile, Order, TypeChar, WriterBuilder};
use std::io;

/// The longest header we accept. numpy itself refuses headers over 10,000 bytes unless
/// told otherwise (`max_header_size`); 64 KiB leaves room for hand-made files.
pub const MAX_HEADER_LEN: usize = 1 << 16;

/// The deepest bracket nesting accepted in a header.
const MAX_NESTING: i32 = 4;

/// The magic string every `.npy` file starts with.
pub const MAGIC: &[u8] = b"\x93NUMPY";

/// Reads a whole `.npy` file held in memory.
pub fn read(bytes: &[u8]) -> Result<Array, String> {
    let (shape, data_start, native_at) = preflight(bytes)?;
    let corrupt = |e: io::Error| format!("corrupt .npy header: {e}");
    match native_at {
        None => decode(
            NpyFile::new(bytes).map_err(corrupt)?,
            bytes,
            shape,
            data_start,
        ),
        Some(at) => {
            // numpy writes '=' for native byte order, npyz reads only '<', '>' and '|':
            // the header as this machine's order spells it, then the data in place.
            let mut header = bytes[..data_start].to_vec();
            header[at] = if cfg!(target_endian = "big") {
                b'>'
            } else {
                b'<'
            };
            let reader = io::Read::chain(io::Cursor::new(header), &bytes[data_start..]);
            decode(
                NpyFile::new(reader).map_err(corrupt)?,
                bytes,
                shape,
                data_start,
            )
        }
    }
}

/// The array of `file`, the parsed header of `bytes` (whose data start at `data_start`).
fn decode<R: io::Read>(
    file: NpyFile<R>,
    bytes: &[u8],
    shape: Vec<usize>,
    data_start: usize,
) -> Result<Array, String> {
    let fortran = file.order() == Order::Fortran;
    let ts = match file.dtype() {
        DType::Plain(ts) => ts,
        other => {
            return Err(format!(
                "unsupported dtype {}: structured and sub-array dtypes cannot be inverted",
                other.descr()
            ))
        }
    };
    let item = ts.size_field();
    let kind = match (ts.type_char(), item) {
        (TypeChar::Bool, 1) => Kind::Bool,
        (TypeChar::Int, 1 | 2 | 4 | 8) => Kind::Int,
        (TypeChar::Uint, 1 | 2 | 4 | 8) => Kind::Uint,
        (TypeChar::Float, 4) => Kind::F32,
        (TypeChar::Float, 8) => Kind::F64,
        (TypeChar::Complex, 8) => Kind::C32,
        (TypeChar::Complex, 16) => Kind::C64,
        // numpy's own words for the float types its inv refuses.
        (TypeChar::Float, 2) => return Err("array type float16 is unsupported in linalg".into()),
        (TypeChar::Float, 16) => return Err("array type float128 is unsupported in linalg".into()),
        (TypeChar::Complex, 32) => {
            return Err("array type complex256 is unsupported in linalg".into())
        }
        _ => return Err(unsupported(&ts.to_string())),
    };
    // The data must all be there: a header may claim any shape.
    let count = shape.iter().product::<usize>();
    let need = count.checked_mul(item as usize);
    let have = bytes.len() - data_start;
    match need {
        Some(need) if need <= have => {}
        _ => {
            return Err(format!(
                "truncated: the header claims shape {} of {ts} ({} bytes of data), the file holds {have}",
                shape_str(&shape),
                need.map_or("more than 2^64".to_string(), |n| n.to_string()),
            ))
        }
    }
    let data = match kind {
        // Any nonzero byte is True, as numpy reads it (npyz refuses all but 0 and 1).
        Kind::Bool => Data::F64(try_map(
            &bytes[data_start..data_start + count],
            "the float64 copy",
            |b| f64::from(u8::from(b != 0)),
        )?),
        Kind::Int => Data::F64(match item {
            1 => convert(read_vec::<i8>(file)?, f64::from)?,
            2 => convert(read_vec::<i16>(file)?, f64::from)?,
            4 => convert(read_vec::<i32>(file)?, f64::from)?,
            _ => convert(read_vec::<i64>(file)?, |x| x as f64)?,
        }),
        Kind::Uint => Data::F64(match item {
            1 => convert(read_vec::<u8>(file)?, f64::from)?,
            2 => convert(read_vec::<u16>(file)?, f64::from)?,
            4 => convert(read_vec::<u32>(file)?, f64::from)?,
            _ => convert(read_vec::<u64>(file)?, |x| x as f64)?,
        }),
        Kind::F32 => Data::F32(read_vec::<f32>(file)?),
        Kind::F64 => Data::F64(read_vec::<f64>(file)?),
        Kind::C32 => Data::C32(read_vec::<c32>(file)?),
        Kind::C64 => Data::C64(read_vec::<c64>(file)?),
    };
    let data = if fortran {
        match data {
            Data::F32(v) => Data::F32(fortran_to_c(&v, &shape)?),
            Data::F64(v) => Data::F64(fortran_to_c(&v, &shape)?),
            Data::C32(v) => Data::C32(fortran_to_c(&v, &shape)?),
            Data::C64(v) => Data::C64(fortran_to_c(&v, &shape)?),
        }
    } else {
        data
    };
    Array::new(shape, data)
}

enum Kind {
    Bool,
    Int,
    Uint,
    F32,
    F64,
    C32,
    C64,
}

fn unsupported(descr: &str) -> String {
    format!(
        "unsupported dtype '{descr}': matinv inverts bool, integer, float32, float64, \
         complex64 and complex128 arrays"
    )
}

fn convert<S: Copy, T>(v: Vec<S>, f: impl Fn(S) -> T) -> Result<Vec<T>, String> {
    try_map(&v, "the float64 copy", f)
}

fn read_vec<T: npyz::Deserialize>(file: NpyFile<impl io::Read>) -> Result<Vec<T>, String> {
    // The length was checked against the file, so this allocation is backed by real bytes.
    let len = usize::try_from(file.len()).map_err(|_| "array too large".to_string())?;
    let mut out = crate::array::try_vec(len, "the array")?;
    let reader = file
        .data::<T>()
        .map_err(|e| format!("corrupt .npy data: {e}"))?;
    for x in reader {
        out.push(x.map_err(|e| format!("corrupt .npy data: {e}"))?);
    }
    Ok(out)
}

/// Checks the header before `npyz` sees it; returns the shape, where the data starts, and
/// where the descr's `=` (native byte order) is, if it has one.
fn preflight(bytes: &[u8]) -> Result<(Vec<usize>, usize, Option<usize>), String> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err("not a .npy file (no \\x93NUMPY magic string at the start)".into());
    }
    let (len, start) = match bytes.get(6) {
        Some(1) if bytes.len() >= 10 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        Some(2 | 3) if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        Some(1..=3) | None => return Err("truncated .npy header".into()),
        Some(v) => return Err(format!("unsupported .npy format version {v}")),
    };
    if len > MAX_HEADER_LEN {
        return Err(format!(
            "the header claims to be {len} bytes long (the limit is {MAX_HEADER_LEN})"
        ));
    }
    let end = start + len;
    let Some(text) = bytes.get(start..end) else {
        return Err(format!(
            "truncated: the header claims {len} bytes, the file holds {}",
            bytes.len() - start
        ));
    };
    // The literal parser (pest) backtracks on brackets, in time exponential in their
    // nesting (fuzzing found an 11-deep header taking minutes). A header of a dtype we can
    // invert nests two deep (the dict and the shape tuple); allow a little more.
    let mut depth = 0i32;
    for &b in text {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            _ => {}
        }
        if depth > MAX_NESTING {
            return Err("corrupt .npy header: nested too deeply".into());
        }
    }
    let text = std::str::from_utf8(text).map_err(|_| "corrupt .npy header: not text")?;
    let value: py_literal::Value = text
        .trim_end_matches(['\n', ' ', '\0'])
        .parse()
        .map_err(|_| "corrupt .npy header: not a Python dict literal".to_string())?;
    let py_literal::Value::Dict(items) = value else {
        return Err("corrupt .npy header: not a Python dict literal".into());
    };
    let get = |key: &str| {
        items
            .iter()
            .find(|(k, _)| matches!(k, py_literal::Value::String(s) if s == key))
            .map(|(_, v)| v)
    };
    let mut native_at = None;
    if let Some(py_literal::Value::String(d)) = get("descr") {
        if d.starts_with('=') {
            // The descr's one quoted string in the header: no other value is a string.
            native_at = [format!("'{d}'"), format!("\"{d}\"")]
                .iter()
                .find_map(|quoted| text.find(quoted.as_str()))
                .map(|at| start + at + 1);
        }
        // Object arrays are pickles: never loaded, say so plainly.
        if d.trim_start_matches(['<', '>', '|', '=']).starts_with('O') {
            return Err(
                "unsupported dtype 'object': object arrays cannot be inverted (and are never unpickled)"
                    .into(),
            );
        }
    }
    let dims = match get("shape") {
        Some(py_literal::Value::Tuple(d) | py_literal::Value::List(d)) => d,
        _ => return Err("corrupt .npy header: no shape tuple".into()),
    };
    let mut shape = Vec::with_capacity(dims.len().min(64));
    let mut product = 1usize;
    for d in dims {
        let d = match d {
            py_literal::Value::Integer(i) => {
                usize::try_from(i).map_err(|_| format!("corrupt .npy header: bad dimension {i}"))?
            }
            _ => return Err("corrupt .npy header: a dimension is not an integer".into()),
        };
        // Zero dimensions included as 1: npyz multiplies prefixes of the shape too.
        product = product
            .checked_mul(d.max(1))
            .ok_or_else(|| "the header claims a shape whose element count overflows".to_string())?;
        shape.push(d);
    }
    // Shape errors (numpy's messages) before dtype errors, as numpy does.
    matinv::stack_dims(&shape).map_err(|e| format!("{e} (shape {})", shape_str(&shape)))?;
    Ok((shape, end, native_at))
}

/// Serializes an array as a C-ordered `.npy` file of its element type, little-endian.
pub fn write(a: &Array, out: &mut impl io::Write) -> io::Result<()> {
    let shape: Vec<u64> = a.shape.iter().map(|&d| d as u64).collect();
    match &a.data {
        Data::F32(v) => write_typed(v, &shape, out),
        Data::F64(v) => write_typed(v, &shape, out),
        Data::C32(v) => write_typed(v, &shape, out),
        Data::C64(v) => write_typed(v, &shape, out),
    }
}

fn write_typed<T: npyz::AutoSerialize + Copy>(
    v: &[T],
    shape: &[u64],
    out: &mut impl io::Write,
) -> io::Result<()> {
    let mut w = npyz::WriteOptions::<T>::new()
        .default_dtype()
        .shape(shape)
        .writer(out)
        .begin_nd()?;
    w.extend(v.iter().copied())?;
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, data: &[u8]) -> Vec<u8> {
        let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (2, 2), }}");
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((dict.len() as u16).to_le_bytes());
        bytes.extend(dict.as_bytes());
        bytes.extend(data);
        bytes
    }

    /// Regression: bool bytes other than 0 and 1 were refused; numpy reads them as True.
    #[test]
    fn any_nonzero_bool_byte_is_true() {
        let a = read(&npy("|b1", &[2, 0, 0, 255])).unwrap();
        assert_eq!(a.data, Data::F64(vec![1.0, 0.0, 0.0, 1.0]));
    }

    /// Regression: '=f8' (native order, which numpy accepts) was refused.
    #[test]
    fn native_byte_order_descrs_are_read() {
        let data: Vec<u8> = [2.0f64, 0.0, 0.0, 4.0]
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect();
        let a = read(&npy("=f8", &data)).unwrap();
        assert_eq!(a.data, Data::F64(vec![2.0, 0.0, 0.0, 4.0]));
        let a = read(&npy(
            "=i4",
            &[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0],
        ))
        .unwrap();
        assert_eq!(a.data, Data::F64(vec![1.0, 0.0, 0.0, 3.0]));
    }

    #[test]
    fn nested_headers_are_refused_fast() {
        let t = std::time::Instant::now();
        for depth in 1..=12 {
            let dict = format!(
                "{{'descr': '<f8', 'fortran_order': False,{} 'shape': (2, 2), }}",
                "{".repeat(depth)
            );
            let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
            bytes.extend((dict.len() as u16).to_le_bytes());
            bytes.extend(dict.as_bytes());
            assert!(read(&bytes).is_err());
        }
        assert!(t.elapsed().as_secs_f64() < 2.0, "{:?}", t.elapsed());
    }
}
