//! `matinv demo`: the examples of numpy's `inv` page, inverted, with what their condition
//! numbers mean. Needs no file.

use crate::array::{Array, Data};
use crate::formats::text;
use crate::stats;
use std::io::{self, Write};

/// The examples: a title, a remark, and the matrix (or stack) as a shape and its entries.
const EXAMPLES: &[(&str, &str, &[usize], &[f64])] = &[
    (
        "numpy's example",
        "a = np.array([[1., 2.], [3., 4.]]); inv(a)",
        &[2, 2],
        &[1.0, 2.0, 3.0, 4.0],
    ),
    (
        "numpy's stack of two matrices",
        "inv(np.array([[[1., 2.], [3., 4.]], [[1, 3], [3, 5]]]))",
        &[2, 2, 2],
        &[1.0, 2.0, 3.0, 4.0, 1.0, 3.0, 3.0, 5.0],
    ),
    (
        "nearly singular",
        "the rows differ by 1e-10: an inverse exists, but with entries near 1e10",
        &[2, 2],
        &[1.0, 2.0, 1.0, 2.0 + 1e-10],
    ),
    (
        "numpy's ill-conditioned example",
        "[[2, 4, 6], [2, 0, 2], [6, 8, 14]]: singular in exact arithmetic; numpy raises no error",
        &[3, 3],
        &[2.0, 4.0, 6.0, 2.0, 0.0, 2.0, 6.0, 8.0, 14.0],
    ),
    (
        "singular",
        "[[1, 2], [2, 4]]: the second row is twice the first",
        &[2, 2],
        &[1.0, 2.0, 2.0, 4.0],
    ),
];

/// Prints the demo on stdout.
pub fn run() -> io::Result<u8> {
    let mut out = io::stdout().lock();
    write(&mut out)?;
    Ok(0)
}

/// Writes the demo to `out`.
pub fn write(out: &mut impl Write) -> io::Result<()> {
    let eps = f64::EPSILON;
    writeln!(
        out,
        "matinv demo: numpy.linalg.inv's examples, inverted by matinv (float64)"
    )?;
    writeln!(
        out,
        "rcond = 1 / (||A||_1 ||inv(A)||_1); the condition number is 1/rcond, and an inverse\n\
         loses about log10(condition number) of its ~16 significant digits.\n"
    )?;
    for (i, (title, remark, shape, values)) in EXAMPLES.iter().enumerate() {
        writeln!(out, "{}. {title}: {remark}", i + 1)?;
        let a = Array::new(shape.to_vec(), Data::F64(values.to_vec())).map_err(io::Error::other)?;
        let (x, status) = stats::invert(&a, &matinv::InvOptions::default(), a.count(), &mut |_| {})
            .map_err(io::Error::other)?;
        writeln!(out, "   A =")?;
        indent(&a, out)?;
        writeln!(out, "   inv(A) =")?;
        indent(&x, out)?;
        let st = stats::stats("demo", &a, &x, &status, true);
        for s in &st {
            let which = if st.len() > 1 {
                format!("matrix {}: ", s.label)
            } else {
                String::new()
            };
            let verdict = if s.singular {
                format!(
                    "singular: LU met an exact zero pivot in column {}; there is no inverse \
                     (numpy raises LinAlgError, `matinv inv` exits 1; --allow-singular writes NaN)",
                    s.pivot.unwrap_or(0)
                )
            } else if s.rcond < eps {
                format!(
                    "condition number {:.1e} > 1/eps: every digit of this inverse may be wrong \
                     (`matinv inv` warns and exits 1)",
                    1.0 / s.rcond
                )
            } else {
                let lost = (1.0 / s.rcond).log10().max(0.0);
                format!(
                    "condition number {:.2e}: about {:.0} of 16 digits lost, {:.0} correct",
                    1.0 / s.rcond,
                    lost.ceil(),
                    (16.0 - lost.ceil()).max(0.0)
                )
            };
            let residual = s
                .residual
                .map_or(String::new(), |r| format!(", residual {r:.2}"));
            writeln!(
                out,
                "   {which}rcond {:.2e}{residual}\n   -> {verdict}",
                s.rcond
            )?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "Invert your own: matinv inv FILE.npy -o INV.npy --stats  (see matinv inv --help)"
    )?;
    Ok(())
}

fn indent(a: &Array, out: &mut impl Write) -> io::Result<()> {
    let mut buf = Vec::new();
    text::write(a, None, text::Delimiter::Whitespace, None, &mut buf)?;
    for line in String::from_utf8_lossy(&buf).lines() {
        writeln!(out, "     {line}")?;
    }
    Ok(())
}
