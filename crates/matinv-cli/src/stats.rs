//! Inversion through the core crate, and the per-matrix numbers `--stats` reports.

use crate::array::{index_label, Array, Data};
use matinv::{c32, c64, Element, InvOptions, Request, StackView, Status};
use std::ops::{Add, Mul, Sub};

/// Inverts every matrix of `a` with [`matinv::invert`], `chunk` matrices per call,
/// calling `tick(done)` after each call (for the progress bar). Singular matrices get an
/// all-NaN inverse and `info > 0` in their [`Status`].
pub fn invert(
    a: &Array,
    opts: &InvOptions,
    chunk: usize,
    tick: &mut dyn FnMut(usize),
) -> Result<(Array, Vec<Status>), String> {
    let (count, n) = (a.count(), a.n());
    if n == 0 || count == 0 {
        // No elements: nothing to invert and no per-matrix status. A header may declare
        // any number of empty matrices (`(10**18, 0, 0)`), so nothing here may cost time
        // or memory in proportion to `count`.
        let data = match &a.data {
            Data::F32(_) => Data::F32(Vec::new()),
            Data::F64(_) => Data::F64(Vec::new()),
            Data::C32(_) => Data::C32(Vec::new()),
            Data::C64(_) => Data::C64(Vec::new()),
        };
        return Ok((Array::new(a.shape.clone(), data)?, Vec::new()));
    }
    let (data, status) = match &a.data {
        Data::F32(v) => {
            let (x, s) = invert_typed(v, opts, count, n, chunk, tick)?;
            (Data::F32(x), s)
        }
        Data::F64(v) => {
            let (x, s) = invert_typed(v, opts, count, n, chunk, tick)?;
            (Data::F64(x), s)
        }
        Data::C32(v) => {
            let (x, s) = invert_typed(v, opts, count, n, chunk, tick)?;
            (Data::C32(x), s)
        }
        Data::C64(v) => {
            let (x, s) = invert_typed(v, opts, count, n, chunk, tick)?;
            (Data::C64(x), s)
        }
    };
    Ok((Array::new(a.shape.clone(), data)?, status))
}

fn invert_typed<T: Element + Default>(
    data: &[T],
    opts: &InvOptions,
    count: usize,
    n: usize,
    chunk: usize,
    tick: &mut dyn FnMut(usize),
) -> Result<(Vec<T>, Vec<Status>), String> {
    let nn = n * n;
    let zero = T::default();
    let mut out = crate::array::try_vec(data.len(), "the inverse")?;
    out.resize(data.len(), zero);
    let mut status = crate::array::try_vec(count, "the status of every matrix")?;
    status.resize(count, Status::default());
    let chunk = chunk.max(1);
    let mut start = 0;
    while start < count {
        let c = chunk.min(count - start);
        let range = start * nn..(start + c) * nn;
        let view =
            StackView::c_contiguous(&data[range.clone()], &[c, n, n]).map_err(|e| e.to_string())?;
        matinv::invert(
            Request::new(&view, &mut out[range])
                .with_status(&mut status[start..start + c])
                .with_options(*opts),
        )
        .map_err(|e| e.to_string())?;
        start += c;
        tick(c);
    }
    Ok((out, status))
}

/// What `--stats` says about one matrix.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MatrixStats {
    /// Name of the array (`arr_0`, or the `.npz` member).
    pub array: String,
    /// Flat index of the matrix in the stack (C order).
    pub index: usize,
    /// The index as numpy writes it: `3`, `(1, 0)`.
    pub label: String,
    /// Order of the matrix.
    pub n: usize,
    /// Reciprocal condition number in the 1-norm (0 when singular; `null` in JSON when NaN).
    pub rcond: f64,
    /// `||I - X A||_1 / (n ||A||_1 ||X||_1 eps)`, `None` for singular matrices.
    pub residual: Option<f64>,
    /// True when LU met an exact zero pivot.
    pub singular: bool,
    /// LAPACK's 1-based zero-pivot column, when singular.
    pub pivot: Option<u32>,
    /// True when not singular but `rcond < eps` (or NaN): the inverse cannot be trusted.
    pub ill_conditioned: bool,
}

/// Per-matrix statistics of `x = inv(a)`; residuals only when `residuals` is set (they
/// cost a matrix product each). Empty matrices (`n = 0`) have none.
pub fn stats(
    name: &str,
    a: &Array,
    x: &Array,
    status: &[Status],
    residuals: bool,
) -> Vec<MatrixStats> {
    let mut out = Vec::new();
    let _ = each(name, a, x, status, residuals, false, &mut |m| {
        out.push(m);
        Ok::<(), ()>(())
    });
    out
}

/// The rcond below which an inverse of `a` cannot be trusted: its dtype's eps, or
/// double-double's (2^-104) for an `extended` inverse, which keeps digits far further.
pub fn trust_eps(a: &Array, extended: bool) -> f64 {
    match extended {
        true => 2f64.powi(-104),
        false => a.data.eps(),
    }
}

/// [`stats`] one matrix at a time, without collecting them: `f` gets each in turn, and
/// the first error it returns stops the walk. Memory stays O(1) whatever the count.
/// `extended`: the inverses were computed in double-double ([`trust_eps`]).
pub fn each<E>(
    name: &str,
    a: &Array,
    x: &Array,
    status: &[Status],
    residuals: bool,
    extended: bool,
    f: &mut dyn FnMut(MatrixStats) -> Result<(), E>,
) -> Result<(), E> {
    let eps = a.data.eps();
    let trust = trust_eps(a, extended);
    let n = a.n();
    status
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let singular = s.info > 0;
            let residual = (residuals && !singular).then(|| match (&a.data, &x.data) {
                (Data::F32(a), Data::F32(x)) => residual(mat(a, k, n), mat(x, k, n), n, eps),
                (Data::F64(a), Data::F64(x)) => residual(mat(a, k, n), mat(x, k, n), n, eps),
                (Data::C32(a), Data::C32(x)) => residual(mat(a, k, n), mat(x, k, n), n, eps),
                (Data::C64(a), Data::C64(x)) => residual(mat(a, k, n), mat(x, k, n), n, eps),
                _ => f64::NAN,
            });
            MatrixStats {
                array: name.to_string(),
                index: k,
                label: index_label(k, a.batch_shape()),
                n,
                rcond: s.rcond,
                residual,
                singular,
                pivot: singular.then_some(s.info),
                ill_conditioned: !singular && untrustworthy(s.rcond, trust),
            }
        })
        .try_for_each(f)
}

/// The rule for "untrustworthy": rcond below the dtype's eps, or NaN (NaN in the input).
pub fn untrustworthy(rcond: f64, eps: f64) -> bool {
    rcond.is_nan() || rcond < eps
}

fn mat<T>(v: &[T], k: usize, n: usize) -> &[T] {
    &v[k * n * n..(k + 1) * n * n]
}

/// An element type widened to double precision (`f64` or `c64`), for the residuals: the
/// few operations they need, on the element types the command reads.
pub trait Widen: Copy {
    /// `f64` for real types, `c64` for complex ones.
    type Wide: Copy
        + Default
        + Add<Output = Self::Wide>
        + Sub<Output = Self::Wide>
        + Mul<Output = Self::Wide>;
    /// The multiplicative identity.
    const ONE: Self::Wide;
    /// The value in double precision (exact).
    fn widen(self) -> Self::Wide;
    /// `|w|`.
    fn modulus(w: Self::Wide) -> f64;
}

macro_rules! widen {
    ($($t:ty => $w:ty, $one:expr, $to:expr, $abs:expr);*) => {$(
        impl Widen for $t {
            type Wide = $w;
            const ONE: $w = $one;
            fn widen(self) -> $w {
                $to(self)
            }
            fn modulus(w: $w) -> f64 {
                $abs(w)
            }
        }
    )*};
}

widen! {
    f32 => f64, 1.0, f64::from, f64::abs;
    f64 => f64, 1.0, |x| x, f64::abs;
    c32 => c64, c64::new(1.0, 0.0), |z: c32| c64::new(z.re.into(), z.im.into()), |w: c64| w.re.hypot(w.im);
    c64 => c64, c64::new(1.0, 0.0), |z| z, |w: c64| w.re.hypot(w.im)
}

// `Wide` has `+` but not `+=`.
#[allow(clippy::assign_op_pattern)]
/// LAPACK's inverse test ratio `||I - X A||_1 / (n ||A||_1 ||X||_1 eps)`, in double
/// precision (`f64` or `c64`) whatever the element type. About 1 for a good inverse;
/// LAPACK's tests accept up to 30.
pub fn residual<T: Widen>(a: &[T], x: &[T], n: usize, eps: f64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let zero = T::Wide::default();
    let one = T::ONE;
    let mut col = vec![0.0f64; n];
    let mut row = vec![zero; n];
    for i in 0..n {
        row.fill(zero);
        for k in 0..n {
            let xik = x[i * n + k].widen();
            for (r, ak) in row.iter_mut().zip(&a[k * n..(k + 1) * n]) {
                *r = *r + xik * ak.widen();
            }
        }
        for (j, r) in row.iter().enumerate() {
            let d = if i == j { one - *r } else { zero - *r };
            col[j] += T::modulus(d);
        }
    }
    let r = col
        .iter()
        .fold(0.0f64, |m, &c| if c.is_nan() || c > m { c } else { m });
    r / (n as f64 * norm1(a, n) * norm1(x, n) * eps)
}

fn norm1<T: Widen>(m: &[T], n: usize) -> f64 {
    (0..n)
        .map(|j| {
            (0..n)
                .map(|i| T::modulus(m[i * n + j].widen()))
                .sum::<f64>()
        })
        .fold(0.0, |a, c| if c.is_nan() || c > a { c } else { a })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residual_of_exact_inverse_is_zero() {
        let a = [1.0f64, 2.0, 3.0, 4.0];
        let x = [-2.0, 1.0, 1.5, -0.5];
        assert_eq!(residual(&a, &x, 2, f64::EPSILON), 0.0);
        let bad = [-2.0, 1.0, 1.5, -0.4];
        assert!(residual(&a, &bad, 2, f64::EPSILON) > 1e10);
    }

    #[test]
    fn chunks_give_the_same_result() {
        let data: Vec<f64> = (0..5 * 9)
            .map(|i| ((i * 7919) % 23) as f64 - 11.0)
            .collect();
        let a = Array::new(vec![5, 3, 3], Data::F64(data)).unwrap();
        let (whole, s1) = invert(&a, &InvOptions::default(), 5, &mut |_| {}).unwrap();
        let mut ticks = 0;
        let (parts, s2) = invert(&a, &InvOptions::default(), 2, &mut |c| ticks += c).unwrap();
        assert_eq!(ticks, 5);
        assert_eq!(whole.shape, parts.shape);
        assert_eq!(s1.len(), s2.len());
        let (Data::F64(w), Data::F64(p)) = (&whole.data, &parts.data) else {
            panic!()
        };
        for (x, y) in w.iter().zip(p) {
            assert!(x == y || (x.is_nan() && y.is_nan()));
        }
    }
}
