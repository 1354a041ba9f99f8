//! [`Precision::Extended`](crate::Precision::Extended): every matrix inverted in
//! double-double arithmetic (`double_double.rs`, about 106 significant bits) and rounded
//! once, so that the result is the inverse of the *stored* matrix to nearly every bit of
//! the element type while `cond(A)` is below about 1e15, and keeps at least about
//! `30 - log10(cond)` correct digits beyond (the bound `tests/test_precision.py` asserts).
//!
//! Gauss-Jordan elimination with partial pivoting (`kernels/gauss_jordan_dd.rs`), compiled
//! per instruction set so that its double-double rows vectorise; for positive definite
//! structures, elimination without exchanges, which fails where Cholesky does. Triangular
//! and diagonal matrices take the pivoted path too: no row is ever exchanged, and the
//! zero pivots are the zero diagonal entries (`trtri`'s rule); a lower triangular one is
//! inverted as its transpose, which is upper triangular.
//!
//! The input may also be a pair of arrays `(hi, lo)` whose sums are the matrices
//! ([`crate::invert_pairs`]): an 80-bit `long double` splits exactly into two doubles,
//! and its inverse comes back as such a pair.

use crate::alloc::zeros;
use crate::double_double::{Dd, DoubleDouble};
use crate::driver::{self, Failure, Inverses, StackJob};
use crate::element::{Field, Widened};
use crate::kernels::gauss_jordan_dd::{self, Stop};
use crate::layout::{MatrixPtr, StackView};
use crate::params::Params;
use crate::plan::Threading;
use crate::request::Structure;
use crate::scaling::{magnitude_range, scale_for};
use crate::simd::{Isa, IsaRun};
use crate::status::{fill_nan, Status};
use crate::structured::detect::{classify, Class};
use crate::structured::{implied_entry, Implied};
use crate::Error;
use core::any::Any;
use faer::Par;

/// A double-double number of the kind of `T`'s compute type.
type Wide<T> = <<T as Widened>::Compute as Field>::Wide;

/// Orders from which one matrix gets every thread inside it.
const INSIDE_MIN_N: usize = 128;

/// How many times an `f64` flop a double-double one costs, about (for task sizes only).
const FLOP_COST: usize = 10;

/// Inverts every matrix of `a` (plus `lo`, when the matrices are the pairs `a + lo`) into
/// the C-contiguous `out` (and the rest of each rounded entry into `out_lo`), in
/// double-double arithmetic; the contract of [`crate::structured::invert_stack`].
pub(crate) fn invert_stack<T: Widened>(
    a: &StackView<'_, T>,
    lo: Option<&StackView<'_, T>>,
    out: &mut [T],
    out_lo: Option<&mut [T]>,
    mut status: Option<&mut [Status]>,
    structure: Structure,
    params: &Params,
) -> Result<(), Error> {
    let (count, n) = driver::check_outputs(a, out, status.as_deref_mut())?;
    if let Some(lo) = lo
        && lo.shape() != a.shape()
    {
        return Err(Error::Layout(format!(
            "the low parts have shape {:?}, the high parts {:?}",
            lo.shape(),
            a.shape()
        )));
    }
    if let Some(out_lo) = out_lo.as_deref() {
        driver::check_lengths(out_lo.len(), None, count, n)?;
    }
    if count * n == 0 {
        return Ok(());
    }
    // All threads inside each matrix (the rows of each elimination step shared) for stacks
    // of fewer large matrices than threads; else one matrix per thread.
    let threads = match params.threads.num_threads {
        0 => crate::threads::default_num_threads(),
        t => t,
    };
    let inside = n >= INSIDE_MIN_N && count < threads;
    let flops = (2 * n * n * n + 16).saturating_mul(FLOP_COST);
    let threading = Threading::inversion(count, flops, inside, params);
    let job = Extended {
        a,
        lo,
        n,
        structure,
        isa: Isa::selected(),
    };
    let out = Outputs {
        hi: Inverses { dst: out, status },
        lo: out_lo,
    };
    driver::run_stack(&job, out, count, threading)
}

/// The outputs of consecutive matrices: rounded inverses (and statuses), and the rest of
/// each entry when asked for.
struct Outputs<'o, T> {
    hi: Inverses<'o, T>,
    lo: Option<&'o mut [T]>,
}

/// The job of one call.
struct Extended<'r, 'v, T> {
    a: &'r StackView<'v, T>,
    lo: Option<&'r StackView<'v, T>>,
    n: usize,
    structure: Structure,
    isa: Isa,
}

/// Scratch for one task.
struct Workspace<T: Widened> {
    /// The matrix inverted (the implied one, `hi` parts), row-major: for `rcond`.
    stored: Vec<T::Compute>,
    /// Its `lo` parts, for pairs.
    stored_lo: Vec<T::Compute>,
    /// The scaled matrix (or its transpose), row-major, inverted in place.
    a: Vec<Wide<T>>,
    /// The kernel's row exchanges.
    perm: Vec<usize>,
    /// Real matrices: `a` as two planes of doubles (`hi`, then `lo`), which the real
    /// kernel vectorises; and its scratch.
    planes: Vec<f64>,
    pivot: Vec<f64>,
}

impl<T: Widened> StackJob for Extended<'_, '_, T> {
    type Out<'o> = Outputs<'o, T>;
    type Workspace = Workspace<T>;

    fn split<'o>(&self, out: Self::Out<'o>, matrices: usize) -> (Self::Out<'o>, Self::Out<'o>) {
        let (h0, h1) = out.hi.split(matrices, self.n);
        let (l0, l1) = match out.lo {
            None => (None, None),
            Some(lo) => {
                let (l0, l1) = lo.split_at_mut(matrices * self.n * self.n);
                (Some(l0), Some(l1))
            }
        };
        (Outputs { hi: h0, lo: l0 }, Outputs { hi: h1, lo: l1 })
    }

    fn workspace(&self, _matrices: usize, _par: Par) -> Result<Workspace<T>, Error> {
        let n = self.n;
        let nn = n.checked_mul(n).ok_or(Error::TooLarge)?;
        let mut a = Vec::new();
        a.try_reserve_exact(nn).map_err(|_| Error::TooLarge)?;
        a.resize(nn, <Wide<T> as DoubleDouble>::ZERO);
        Ok(Workspace {
            stored: zeros(nn)?,
            stored_lo: zeros(if self.lo.is_some() { nn } else { 0 })?,
            a,
            perm: zeros(n)?,
            planes: zeros(if T::Compute::REAL { 2 * nn } else { 0 })?,
            pivot: zeros(if T::Compute::REAL {
                gauss_jordan_dd::scratch_len(n)
            } else {
                0
            })?,
        })
    }

    fn run(
        &self,
        start: usize,
        out: Outputs<'_, T>,
        ws: &mut Workspace<T>,
        par: Par,
    ) -> Result<(), Error> {
        // The kernel inlined into one copy per instruction set: its rows vectorise, and
        // `mul_add` is one instruction where FMA is there.
        self.isa.run(Run {
            job: self,
            start,
            out,
            ws,
            threads: par != Par::Seq,
        })
    }
}

/// The arguments of one run, compiled per instruction set ([`IsaRun`]).
struct Run<'r, 'v, 'o, T: Widened> {
    job: &'r Extended<'r, 'v, T>,
    start: usize,
    out: Outputs<'o, T>,
    ws: &'r mut Workspace<T>,
    /// Share each matrix's rows among the threads of the current pool.
    threads: bool,
}

impl<T: Widened> IsaRun for Run<'_, '_, '_, T> {
    type Output = Result<(), Error>;

    #[inline(always)]
    fn run(self) -> Result<(), Error> {
        let Run {
            job,
            start,
            out,
            ws,
            threads,
        } = self;
        let n = job.n;
        let Outputs { hi, mut lo } = out;
        let Inverses { dst, mut status } = hi;
        let mut lows = job.lo.map(|lo| lo.matrices(start));
        for ((i, d), m) in dst
            .chunks_exact_mut(n * n)
            .enumerate()
            .zip(job.a.matrices(start))
        {
            let m_lo = lows.as_mut().and_then(Iterator::next);
            let d_lo = lo
                .as_deref_mut()
                .map(|l| &mut l[i * n * n..(i + 1) * n * n]);
            let result = invert_one(m, m_lo, d, d_lo, ws, n, job.structure, threads);
            match status.as_deref_mut() {
                None => {
                    result.map_err(|f| f.error(start + i))?;
                }
                Some(st) => {
                    st[i] = match result {
                        Ok(()) => Status::inverted_by(n, |r, c| ws.stored[r * n + c], d),
                        Err(f) => {
                            fill_nan(d);
                            f.status()
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// How one matrix is inverted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    /// Partial pivoting, on the matrix or (`transpose`) on its transpose.
    Lu { transpose: bool },
    /// No pivoting, positive pivots (Cholesky's condition); when that fails, partial
    /// pivoting (`or_lu`) or the failure.
    Cholesky { or_lu: bool },
}

/// The matrix inverted and the method, for a structure (and the class `Auto` finds).
fn plan<T: Widened>(m: MatrixPtr<T>, n: usize, structure: Structure) -> (Implied, Method) {
    const LU: Method = Method::Lu { transpose: false };
    const LU_T: Method = Method::Lu { transpose: true };
    // SAFETY: i < n, inside the matrix.
    let positive_diagonal = || (0..n).all(|i| unsafe { m.get(i, i) }.to_compute().re() > 0.0);
    let cholesky_or_lu = |implied| match positive_diagonal() {
        true => (implied, Method::Cholesky { or_lu: true }),
        false => (implied, LU),
    };
    match structure {
        Structure::General => (Implied::Stored, LU),
        Structure::Diagonal => (Implied::Diagonal, LU),
        Structure::UpperTriangular => (Implied::Upper, LU),
        Structure::LowerTriangular => (Implied::Lower, LU_T),
        Structure::PositiveDefinite { lower } => (
            Implied::Hermitian { lower },
            Method::Cholesky { or_lu: false },
        ),
        Structure::Symmetric { lower } if T::Compute::REAL => {
            cholesky_or_lu(Implied::Hermitian { lower })
        }
        Structure::Symmetric { lower } => (Implied::Symmetric { lower }, LU),
        Structure::Hermitian { lower } => cholesky_or_lu(Implied::Hermitian { lower }),
        _ => match classify(m, n, true) {
            Class::Diagonal | Class::Upper | Class::General => (Implied::Stored, LU),
            Class::Lower => (Implied::Stored, LU_T),
            Class::Hermitian => (Implied::Stored, Method::Cholesky { or_lu: true }),
        },
    }
}

/// Inverts one matrix (`m`, plus `m_lo` for pairs) into the row-major `d` (and the rest
/// of each entry into `d_lo`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn invert_one<T: Widened>(
    m: MatrixPtr<T>,
    m_lo: Option<MatrixPtr<T>>,
    d: &mut [T],
    d_lo: Option<&mut [T]>,
    ws: &mut Workspace<T>,
    n: usize,
    structure: Structure,
    threads: bool,
) -> Result<(), Failure> {
    let (implied, method) = plan(m, n, structure);
    for i in 0..n {
        for j in 0..n {
            ws.stored[i * n + j] = implied_entry(m, implied, i, j);
            if let Some(m_lo) = m_lo {
                ws.stored_lo[i * n + j] = implied_entry(m_lo, implied, i, j);
            }
        }
    }
    // Entries near overflow or underflow are brought near 1 by a power of two (exact):
    // inv(A) = s inv(s A).
    let (big, small) = magnitude_range(&ws.stored);
    let s = scale_for(big, small);
    let (transpose, mirror) = match method {
        Method::Lu { transpose } => {
            eliminate(ws, n, s, transpose, true, threads).map_err(failure)?;
            (transpose, false)
        }
        Method::Cholesky { or_lu } => match eliminate(ws, n, s, false, false, threads) {
            Ok(()) => (false, true),
            Err(stop) if !or_lu => return Err(failure(stop)),
            Err(_) => {
                eliminate(ws, n, s, false, true, threads).map_err(failure)?;
                (false, false)
            }
        },
    };
    write(ws, n, s, transpose, mirror, d, d_lo);
    // The structure's zeros stay exact zeros.
    let zero = T::from_compute(T::Compute::ZERO);
    let keep = |i: usize, j: usize| match implied {
        Implied::Diagonal => i == j,
        Implied::Upper => i <= j,
        Implied::Lower => i >= j,
        _ => true,
    };
    for i in 0..n {
        for j in 0..n {
            if !keep(i, j) {
                d[i * n + j] = zero;
            }
        }
    }
    Ok(())
}

/// The failure of a matrix whose elimination stopped.
fn failure(stop: Stop) -> Failure {
    match stop {
        Stop::ZeroPivot(k) => Failure::ZeroPivot(k),
        Stop::NotPositive(k) => Failure::NotPositiveDefinite(k),
    }
}

/// Loads `s A` (or its transpose) widened into `ws.a` and inverts it there: real
/// matrices through the planes kernel (the same bits, vectorised), complex ones through
/// the generic one.
#[inline(always)]
fn eliminate<T: Widened>(
    ws: &mut Workspace<T>,
    n: usize,
    s: f64,
    transpose: bool,
    pivoting: bool,
    threads: bool,
) -> Result<(), Stop> {
    for i in 0..n {
        for j in 0..n {
            let k = if transpose { j * n + i } else { i * n + j };
            let lo = ws.stored_lo.get(k).copied().unwrap_or(T::Compute::ZERO);
            ws.a[i * n + j] = T::Compute::wide_scale(T::Compute::widen(ws.stored[k], lo), s);
        }
    }
    let Workspace {
        a,
        perm,
        planes,
        pivot,
        ..
    } = ws;
    let Some(a) = (a as &mut dyn Any).downcast_mut::<Vec<Dd>>() else {
        return gauss_jordan_dd::invert(a, n, perm, pivoting);
    };
    let (hi, lo) = planes.split_at_mut(n * n);
    for ((h, l), x) in hi.iter_mut().zip(lo.iter_mut()).zip(a.iter()) {
        (*h, *l) = (x.hi, x.lo);
    }
    let result = gauss_jordan_dd::invert_real(hi, lo, n, perm, pivot, pivoting, threads);
    for ((&hi, &lo), x) in hi.iter().zip(lo.iter()).zip(a.iter_mut()) {
        *x = Dd { hi, lo };
    }
    result
}

/// Writes `s inv(s A)` from `ws.a` into the row-major `d` (rounded) and `d_lo` (the rest):
/// transposed back when the transpose was inverted; with `mirror`, the lower triangle
/// mirrored after rounding, so that the result is exactly Hermitian, with a real diagonal.
#[inline(always)]
fn write<T: Widened>(
    ws: &Workspace<T>,
    n: usize,
    s: f64,
    transpose: bool,
    mirror: bool,
    d: &mut [T],
    mut d_lo: Option<&mut [T]>,
) {
    let single = T::as_compute_mut(&mut []).is_none();
    for i in 0..n {
        for j in 0..n {
            let (r, c) = match (mirror && i < j) || transpose {
                true => (j, i),
                false => (i, j),
            };
            let (hi, lo) = T::Compute::narrow(T::Compute::wide_scale(ws.a[r * n + c], s));
            let (hi, lo) = match mirror {
                true if i < j => (hi.conjugate(), lo.conjugate()),
                true if i == j => (T::Compute::from_re(hi.re()), T::Compute::from_re(lo.re())),
                _ => (hi, lo),
            };
            // Single precision: rounded once from the double-double value (through
            // rounding to odd); double: `hi` is that rounding already.
            let rounded = match single {
                true => T::from_compute(T::Compute::round_to_odd(hi, lo)),
                false => T::from_compute(hi),
            };
            d[i * n + j] = rounded;
            if let Some(d_lo) = d_lo.as_deref_mut() {
                // For single precision, the rest of the rounding to it too.
                d_lo[i * n + j] = T::from_compute((hi - rounded.to_compute()) + lo);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        invert, invert_pairs, InvOptions, Precision, Request, StackView, Status, Structure,
    };

    fn extended() -> InvOptions {
        InvOptions::default().with_precision(Precision::Extended)
    }

    #[test]
    fn in_place_gives_the_bits_of_a_new_buffer() {
        let a: Vec<f64> = (0..3 * 5 * 5)
            .map(|k| ((k * 7919) % 97) as f64 / 13.0)
            .collect();
        let view = StackView::c_contiguous(&a, &[3, 5, 5]).unwrap();
        let mut x = vec![0.0; a.len()];
        invert(Request::new(&view, &mut x).with_options(extended())).unwrap();
        let mut b = a.clone();
        invert(Request::in_place(&mut b, &[3, 5, 5]).with_options(extended())).unwrap();
        assert_eq!(b, x);
    }

    #[test]
    fn pairs_keep_what_doubles_drop() {
        // [[1, 1], [1, 1 + 2^-60]] is singular in doubles, not as a pair: its inverse is
        // 2^60 [[1 + 2^-60, -1], [-1, 1]].
        let hi = [1.0, 1.0, 1.0, 1.0];
        let lo = [0.0, 0.0, 0.0, 2f64.powi(-60)];
        let (h, l) = (
            StackView::c_contiguous(&hi, &[2, 2]).unwrap(),
            StackView::c_contiguous(&lo, &[2, 2]).unwrap(),
        );
        let (mut x, mut x_lo) = ([0.0; 4], [0.0; 4]);
        invert_pairs(&h, &l, &mut x, &mut x_lo, None, &InvOptions::default()).unwrap();
        let p = 2f64.powi(60);
        assert_eq!(x, [p, -p, -p, p]);
        assert_eq!(x_lo, [1.0, 0.0, 0.0, 0.0]);
        // Without the low parts: singular.
        let err = invert(Request::new(&h, &mut x).with_options(extended()));
        assert_eq!(
            err,
            Err(crate::Error::Singular {
                matrix: 0,
                pivot: 2
            })
        );
    }

    #[test]
    fn pairs_of_other_shapes_are_refused() {
        let a = [1.0f64; 4];
        let b = [0.0f64; 2];
        let h = StackView::c_contiguous(&a, &[2, 2]).unwrap();
        let l = StackView::c_contiguous(&b, &[1, 2]).unwrap();
        let (mut x, mut y) = ([0.0; 4], [0.0; 4]);
        let err = invert_pairs(&h, &l, &mut x, &mut y, None, &InvOptions::default());
        assert!(matches!(err, Err(crate::Error::Layout(_))), "{err:?}");
        let mut short = [0.0; 3];
        let err = invert_pairs(&h, &h, &mut x, &mut short, None, &InvOptions::default());
        assert!(
            matches!(err, Err(crate::Error::OutputLength { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn non_finite_input_gives_nan_not_a_panic() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let a = [1.0, bad, 2.0, 3.0];
            let view = StackView::c_contiguous(&a, &[2, 2]).unwrap();
            let mut x = [0.0; 4];
            let mut st = [Status::default()];
            let r = invert(
                Request::new(&view, &mut x)
                    .with_status(&mut st)
                    .with_options(extended()),
            );
            assert!(r.is_ok());
            assert!(
                x.iter().any(|v| v.is_nan()) || st[0].info != 0,
                "{bad}: {x:?}"
            );
        }
    }

    #[test]
    fn empty_stacks_and_orders() {
        let a: [f64; 0] = [];
        for shape in [[0usize, 3, 3], [2, 0, 0]] {
            let view = StackView::c_contiguous(&a, &shape).unwrap();
            let mut st = vec![Status::default(); shape[0]];
            invert(
                Request::new(&view, &mut [])
                    .with_status(&mut st)
                    .with_options(extended()),
            )
            .unwrap();
        }
    }

    #[test]
    fn complex_lower_triangular_keeps_its_zeros() {
        use crate::c64;
        let a = [
            c64::new(2.0, 1.0),
            c64::new(9.0, 9.0),
            c64::new(1.0, -1.0),
            c64::new(0.0, 3.0),
        ];
        let view = StackView::c_contiguous(&a, &[2, 2]).unwrap();
        let mut x = [c64::new(0.0, 0.0); 4];
        let opts = extended().with_structure(Structure::LowerTriangular);
        invert(Request::new(&view, &mut x).with_options(opts)).unwrap();
        assert_eq!(x[1], c64::new(0.0, 0.0));
        // x = inv(L): x00 = 1/(2+i), x11 = 1/(3i), x10 = -l10 x00 x11.
        let x00 = c64::new(1.0, 0.0) / c64::new(2.0, 1.0);
        let x11 = c64::new(1.0, 0.0) / c64::new(0.0, 3.0);
        assert!((x[0] - x00).norm() < 1e-16 && (x[3] - x11).norm() < 1e-16);
        assert!((x[2] + c64::new(1.0, -1.0) * x00 * x11).norm() < 1e-15);
    }
}
