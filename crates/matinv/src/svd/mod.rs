//! Singular values and vectors of strided stacks, with `numpy.linalg.svd`'s contract:
//! `A = U diag(S) Vh` per matrix, singular values in nonincreasing order, results in the
//! input's precision (computed in double precision, like numpy), C-contiguous.
//!
//! faer does the decomposition (bidiagonalisation and divide and conquer for the general
//! case, tridiagonalisation for the Hermitian one); this module gathers each strided matrix,
//! scales it into a safe range as LAPACK's drivers do, runs faer one matrix per thread
//! (never threads inside one matrix, so that results do not depend on the thread count),
//! and lays the results out as numpy does.

mod hermitian;

use crate::alloc::zeros;
use crate::driver::{self, StackJob};
use crate::element::{Element, Field, Widened};
use crate::layout::{MatrixPtr, StackView};
use crate::params::Params;
use crate::plan::Threading;
use crate::request::{NonFinite, Vectors};
use crate::Error;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::evd::{self_adjoint_evd_scratch, ComputeEigenvectors};
use faer::linalg::svd::{svd_scratch, ComputeSvdVectors};
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{MatMut, Par};

/// The singular value decomposition of a stack, each part C-contiguous.
#[derive(Clone, Debug, PartialEq)]
pub struct Svd<T: Element> {
    /// Left singular vectors, shape `(..., m, m)` or `(..., m, k)`; empty without vectors.
    pub u: Vec<T>,
    /// Singular values, shape `(..., k)`, nonincreasing in each matrix.
    pub s: Vec<T::Real>,
    /// Conjugate-transposed right singular vectors, shape `(..., n, n)` or `(..., k, n)`;
    /// empty without vectors.
    pub vh: Vec<T>,
}

/// Shapes of one matrix's `U` and `Vh`: `(rows of U, cols of U, rows of Vh, cols of Vh)`.
/// The Hermitian path (square only) always gives square factors, as numpy's does.
pub fn factor_shapes(m: usize, n: usize, vectors: Vectors, hermitian: bool) -> [usize; 4] {
    let k = m.min(n);
    match vectors {
        Vectors::None => [0; 4],
        _ if hermitian => [n, n, n, n],
        Vectors::Thin => [m, k, k, n],
        Vectors::Full => [m, m, n, n],
    }
}

/// Computes the SVD of every matrix of `a`: singular values into `s` (`a.len() * k`
/// values), and with `uv = Some((u, vh))` the singular vectors (sizes from
/// [`factor_shapes`]). `hermitian` takes each matrix as Hermitian, reads its lower triangle
/// only and uses its eigendecomposition, as numpy's `svd(..., hermitian=True)` does.
///
/// Non-finite input behaves as with numpy's LAPACK: NaN fails with
/// [`Error::SvdNoConvergence`]; infinities (and, in the Hermitian path, NaN too) give NaN
/// singular values and vectors.
pub fn svd_into<T: Element>(
    a: &StackView<'_, T>,
    s: &mut [T::Real],
    uv: Option<(&mut [T], &mut [T])>,
    full_matrices: bool,
    hermitian: bool,
    params: &Params,
) -> Result<(), Error> {
    let vectors = match (&uv, full_matrices) {
        (None, _) => Vectors::None,
        (Some(_), true) => Vectors::Full,
        (Some(_), false) => Vectors::Thin,
    };
    T::svd(a, s, uv, vectors, hermitian, NonFinite::Fail, params)
}

/// The SVD of every matrix of `a`, in new C-contiguous buffers.
///
/// ```
/// use matinv::{svd, StackView, Vectors};
///
/// let a = [3.0f64, 0.0, 0.0, 0.0, -2.0, 0.0]; // 2 x 3
/// let d = svd(&StackView::c_contiguous(&a, &[2, 3])?, Vectors::Thin, false)?;
/// assert_eq!(d.s, [3.0, 2.0]);
/// // A = U diag(S) Vh
/// for i in 0..2 {
///     for j in 0..3 {
///         let x: f64 = (0..2).map(|l| d.u[i * 2 + l] * d.s[l] * d.vh[l * 3 + j]).sum();
///         assert!((x - a[i * 3 + j]).abs() < 1e-15);
///     }
/// }
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn svd<T: Element>(
    a: &StackView<'_, T>,
    vectors: Vectors,
    hermitian: bool,
) -> Result<Svd<T>, Error> {
    let (m, n) = (a.rows(), a.cols());
    if hermitian {
        a.order()?;
    }
    let [ur, uc, vr, vc] = factor_shapes(m, n, vectors, hermitian);
    let count = a.len();
    let mut s = zeros(count.checked_mul(m.min(n)).ok_or(Error::TooLarge)?)?;
    let size = |r: usize, c: usize| {
        count
            .checked_mul(r)
            .and_then(|x| x.checked_mul(c))
            .ok_or(Error::TooLarge)
    };
    let mut u = zeros::<T>(size(ur, uc)?)?;
    let mut vh = zeros::<T>(size(vr, vc)?)?;
    let uv = (vectors != Vectors::None).then_some((&mut u[..], &mut vh[..]));
    T::svd(
        a,
        &mut s,
        uv,
        vectors,
        hermitian,
        NonFinite::Fail,
        &Params::default(),
    )?;
    Ok(Svd { u, s, vh })
}

/// The singular values of every matrix of `a`, nonincreasing, `min(m, n)` per matrix.
///
/// ```
/// let a = [1.0f32, 2.0, 2.0, 4.0];
/// let s = matinv::svdvals(&matinv::StackView::c_contiguous(&a, &[2, 2])?)?;
/// assert!((s[0] - 5.0).abs() < 1e-6 && s[1].abs() < 1e-6);
/// # Ok::<(), matinv::Error>(())
/// ```
pub fn svdvals<T: Element>(a: &StackView<'_, T>) -> Result<Vec<T::Real>, Error> {
    Ok(svd(a, Vectors::None, false)?.s)
}

/// One task's share of the outputs: singular values and, optionally, vectors.
pub(crate) struct Factors<'o, T: Widened> {
    /// Matrices.
    count: usize,
    s: &'o mut [T::Real],
    uv: Option<(&'o mut [T], &'o mut [T])>,
}

/// Scratch for one matrix: the gathered input, faer's outputs and its workspace.
pub(crate) struct Workspace<F: Field> {
    a: Vec<F>,
    s: Vec<F>,
    u: Vec<F>,
    v: Vec<F>,
    order: Vec<usize>,
    stack: MemBuffer,
}

impl<F: Field> Workspace<F> {
    fn new(m: usize, n: usize, vectors: Vectors, hermitian: bool, par: Par) -> Result<Self, Error> {
        if m.max(n) >= 16 {
            // faer's SVD and eigensolver multiply with its packing buffer from a side of
            // 17 on (measured: 16 x 16 ran no such product, 17 x 17 did).
            crate::kernels::gemm_buffer::reserve(par)?;
        }
        let k = m.min(n);
        let (req, ul, vl) = if hermitian {
            let eig = if vectors == Vectors::None {
                ComputeEigenvectors::No
            } else {
                ComputeEigenvectors::Yes
            };
            let u = if vectors == Vectors::None { 0 } else { n * n };
            (
                self_adjoint_evd_scratch::<F>(n, eig, par, Default::default()),
                u,
                0,
            )
        } else {
            let (cu, cv, ul, vl) = match vectors {
                Vectors::None => (ComputeSvdVectors::No, ComputeSvdVectors::No, 0, 0),
                Vectors::Thin => (
                    ComputeSvdVectors::Thin,
                    ComputeSvdVectors::Thin,
                    m * k,
                    n * k,
                ),
                Vectors::Full => (
                    ComputeSvdVectors::Full,
                    ComputeSvdVectors::Full,
                    m * m,
                    n * n,
                ),
            };
            (
                svd_scratch::<F>(m, n, cu, cv, par, Default::default()),
                ul,
                vl,
            )
        };
        Ok(Self {
            a: zeros(m.checked_mul(n).ok_or(Error::TooLarge)?)?,
            s: zeros(k)?,
            u: zeros(ul)?,
            v: zeros(vl)?,
            order: zeros(k)?,
            stack: MemBuffer::try_new(StackReq::any_of(&[req])).map_err(|_| Error::TooLarge)?,
        })
    }
}

/// The shared driver: checks sizes, splits the outputs into tasks of whole matrices, and
/// runs them over the threads.
pub(crate) fn run<T: Widened>(
    a: &StackView<'_, T>,
    s: &mut [T::Real],
    uv: Option<(&mut [T], &mut [T])>,
    vectors: Vectors,
    hermitian: bool,
    nonfinite: NonFinite,
    params: &Params,
) -> Result<(), Error> {
    let (count, m, n) = (a.len(), a.rows(), a.cols());
    if hermitian {
        a.order()?;
    }
    let k = m.min(n);
    let [ur, uc, vr, vc] = factor_shapes(m, n, vectors, hermitian);
    let check = |got: usize, per: usize| {
        let expected = count * per;
        if got == expected {
            Ok(())
        } else {
            Err(Error::OutputLength { got, expected })
        }
    };
    check(s.len(), k)?;
    if let Some((u, vh)) = &uv {
        check(u.len(), ur * uc)?;
        check(vh.len(), vr * vc)?;
    }
    if count == 0 {
        return Ok(());
    }
    // The SVD costs some 10-20 m n k flops: one matrix per thread, in tasks of about
    // `task_flops` ([`Threading::per_matrix`]).
    let flops = 20 * m.max(n) * k * k + 64;
    let job = SvdJob {
        a,
        vectors,
        hermitian,
        nonfinite,
        k,
        sizes: [ur * uc, vr * vc],
    };
    let threading = Threading::per_matrix(count, flops, params);
    driver::run_stack(&job, Factors { count, s, uv }, count, threading)
}

/// The SVD path's job: a stack and what to compute of each matrix.
struct SvdJob<'r, 'v, T: Widened> {
    a: &'r StackView<'v, T>,
    vectors: Vectors,
    hermitian: bool,
    nonfinite: NonFinite,
    /// Singular values per matrix.
    k: usize,
    /// Elements of `U` and of `Vh` per matrix.
    sizes: [usize; 2],
}

impl<T: Widened> StackJob for SvdJob<'_, '_, T> {
    type Out<'o> = Factors<'o, T>;
    type Workspace = Workspace<T::Compute>;

    fn split<'o>(&self, out: Self::Out<'o>, matrices: usize) -> (Self::Out<'o>, Self::Out<'o>) {
        let (s_now, s_next) = out.s.split_at_mut(matrices * self.k);
        let (uv_now, uv_next) = match out.uv {
            None => (None, None),
            Some((u, vh)) => {
                let (u_now, u_next) = u.split_at_mut(matrices * self.sizes[0]);
                let (v_now, v_next) = vh.split_at_mut(matrices * self.sizes[1]);
                (Some((u_now, v_now)), Some((u_next, v_next)))
            }
        };
        (
            Factors {
                count: matrices,
                s: s_now,
                uv: uv_now,
            },
            Factors {
                count: out.count - matrices,
                s: s_next,
                uv: uv_next,
            },
        )
    }

    fn workspace(&self, _matrices: usize, par: Par) -> Result<Self::Workspace, Error> {
        let (m, n) = (self.a.rows(), self.a.cols());
        Workspace::new(m, n, self.vectors, self.hermitian, par)
    }

    fn run(
        &self,
        start: usize,
        out: Factors<'_, T>,
        ws: &mut Self::Workspace,
        par: Par,
    ) -> Result<(), Error> {
        run_task(self, start, out, ws, par)
    }
}

fn run_task<T: Widened>(
    job: &SvdJob<'_, '_, T>,
    start: usize,
    out: Factors<'_, T>,
    ws: &mut Workspace<T::Compute>,
    par: Par,
) -> Result<(), Error> {
    let SvdJob {
        a,
        vectors,
        hermitian,
        nonfinite,
        k,
        sizes: [us, vs],
    } = *job;
    let (m, n) = (a.rows(), a.cols());
    let [_, uc, vr, _] = factor_shapes(m, n, vectors, hermitian);
    let Factors { count, s, mut uv } = out;
    for (i, mat) in a.matrices(start).take(count).enumerate() {
        let s_out = &mut s[i * k..(i + 1) * k];
        let uv_out = uv
            .as_mut()
            .map(|(u, vh)| (&mut u[i * us..(i + 1) * us], &mut vh[i * vs..(i + 1) * vs]));
        let (finite, nan) = gather(mat, m, n, hermitian, &mut ws.a);
        if !finite {
            // numpy's LAPACK: NaN input makes the general SVD fail; infinities, or
            // anything non-finite in the Hermitian path, give NaN results.
            if nonfinite == NonFinite::Fail && nan && !hermitian {
                return Err(Error::SvdNoConvergence);
            }
            s_out.fill(T::real_from_f64(f64::NAN));
            if let Some((u, vh)) = uv_out {
                let nan = T::from_compute(<T::Compute as Field>::from_re(f64::NAN));
                u.fill(nan);
                vh.fill(nan);
            }
            continue;
        }
        let unscale = scale_into_range(&mut ws.a, m, n, hermitian);
        if hermitian {
            hermitian::one(n, ws, s_out, uv_out, par, unscale)?;
        } else {
            one(Dims { m, n, uc, vr }, ws, s_out, uv_out, par, unscale)?;
        }
    }
    Ok(())
}

/// Copies matrix `mat` column-major into `dst` (only its lower triangle when `lower_only`,
/// with the real part of the diagonal, as LAPACK's `heevd` reads a Hermitian matrix) and
/// says whether every copied element is finite, and whether one is NaN.
fn gather<T: Widened>(
    mat: MatrixPtr<T>,
    m: usize,
    n: usize,
    lower_only: bool,
    dst: &mut [T::Compute],
) -> (bool, bool) {
    let mut finite = true;
    for j in 0..n {
        let from = if lower_only { j } else { 0 };
        for i in from..m {
            // SAFETY: i < m, j < n: inside the matrix.
            let x = unsafe { mat.get(i, j) }.to_compute();
            let x = if lower_only && i == j {
                <T::Compute as Field>::from_re(x.re())
            } else {
                x
            };
            finite &= x.finite();
            dst[j * m + i] = x;
        }
    }
    let nan = !finite
        && (0..n).any(|j| {
            let from = if lower_only { j } else { 0 };
            (from..m).any(|i| dst[j * m + i].any_nan())
        });
    (finite, nan)
}

/// LAPACK's SVD drivers (`gesdd`, `gesvd`) scale a matrix whose largest entry lies
/// outside `[SMLNUM, BIGNUM]`, `SMLNUM = sqrt(safmin) / eps = 2^-459`, `BIGNUM = 1 / SMLNUM`,
/// into that range first, and its singular values back after: without it faer loses tiny
/// singular values to underflow and fails to converge on huge matrices.
const SMLNUM: f64 = f64::from_bits(((1023 - 459) as u64) << 52);
const BIGNUM: f64 = f64::from_bits(((1023 + 459) as u64) << 52);

/// `2^e`, exactly, for `-1022 <= e <= 1023`.
fn pow2(e: i32) -> f64 {
    debug_assert!((-1022..=1023).contains(&e));
    f64::from_bits(((e + 1023) as u64) << 52)
}

/// `floor(log2(x))` for finite `x > 0`, subnormals included.
fn exponent(x: f64) -> i32 {
    let biased = ((x.to_bits() >> 52) & 0x7ff) as i32;
    if biased == 0 {
        exponent(x * pow2(64)) - 64
    } else {
        biased - 1023
    }
}

/// Scales the matrix gathered in `a` (its lower triangle when `lower_only`) by a power of
/// two when its largest entry lies outside `[SMLNUM, BIGNUM]`, bringing that entry to just
/// inside the bound it crossed, as LAPACK does; the scaling is exact but for entries that
/// become subnormal. Returns the factor that takes the singular values (eigenvalues) back:
/// 1 for a matrix left alone. The singular vectors need none.
fn scale_into_range<F: Field>(a: &mut [F], m: usize, n: usize, lower_only: bool) -> f64 {
    let from = |j: usize| if lower_only { j.min(m) } else { 0 };
    let amax = (0..n)
        .flat_map(|j| (from(j)..m).map(move |i| j * m + i))
        .fold(0f64, |acc, p| acc.max(a[p].max_component()));
    let e = if amax == 0.0 || (SMLNUM..=BIGNUM).contains(&amax) {
        return 1.0;
    } else if amax < SMLNUM {
        // amax in [2^-1074, 2^-460): e in [1, 615].
        -459 - exponent(amax)
    } else {
        // amax in (2^459, 2^1024): e in [-565, -1].
        458 - exponent(amax)
    };
    let f = pow2(e);
    for j in 0..n {
        for x in &mut a[j * m + from(j)..(j + 1) * m] {
            *x = x.scale(f);
        }
    }
    pow2(-e)
}

/// The shape of one matrix and of its factors: `m x n`, `U` with `uc` columns, `Vh`
/// with `vr` rows.
#[derive(Clone, Copy)]
struct Dims {
    m: usize,
    n: usize,
    uc: usize,
    vr: usize,
}

/// The SVD of the gathered `m x n` matrix in `ws.a`, written out as numpy lays it out;
/// the singular values are multiplied by `unscale` (see [`scale_into_range`]).
fn one<T: Widened>(
    Dims { m, n, uc, vr }: Dims,
    ws: &mut Workspace<T::Compute>,
    s_out: &mut [T::Real],
    uv_out: Option<(&mut [T], &mut [T])>,
    par: Par,
    unscale: f64,
) -> Result<(), Error> {
    let k = m.min(n);
    if k == 0 {
        // No singular value; the full factors of an empty matrix are identities (numpy's
        // and LAPACK's convention).
        if let Some((u, vh)) = uv_out {
            identity(u, m, uc);
            identity(vh, vr, n);
        }
        return Ok(());
    }
    let a = MatMut::from_column_major_slice_mut(&mut ws.a, m, n);
    let mut s = MatMut::from_column_major_slice_mut(&mut ws.s, k, 1);
    let stack = MemStack::new(&mut ws.stack);
    let result = match uv_out {
        None => faer::linalg::svd::svd(
            a.rb(),
            s.rb_mut().col_mut(0).as_diagonal_mut(),
            None,
            None,
            par,
            stack,
            Default::default(),
        ),
        Some((u_out, vh_out)) => {
            // faer builds the full U of a tall matrix on top of what the buffer holds: it
            // must start from zeros, not from the previous matrix's vectors.
            ws.u.fill(<T::Compute as Field>::ZERO);
            ws.v.fill(<T::Compute as Field>::ZERO);
            let u = MatMut::from_column_major_slice_mut(&mut ws.u, m, uc);
            let v = MatMut::from_column_major_slice_mut(&mut ws.v, n, vr);
            let r = faer::linalg::svd::svd(
                a.rb(),
                s.rb_mut().col_mut(0).as_diagonal_mut(),
                Some(u),
                Some(v),
                par,
                stack,
                Default::default(),
            );
            // U (column-major m x uc) to row-major; V (n x vr) to Vh = V^H, row-major.
            for i in 0..m {
                for j in 0..uc {
                    u_out[i * uc + j] = T::from_compute(ws.u[j * m + i]);
                }
            }
            for i in 0..vr {
                for j in 0..n {
                    vh_out[i * n + j] = T::from_compute(ws.v[i * n + j].conjugate());
                }
            }
            r
        }
    };
    result.map_err(|_| Error::SvdNoConvergence)?;
    for (o, x) in s_out.iter_mut().zip(&ws.s) {
        *o = T::real_from_f64(x.re() * unscale);
    }
    Ok(())
}

/// Writes the `r x c` identity, row-major, into `dst`.
fn identity<T: Widened>(dst: &mut [T], r: usize, c: usize) {
    for i in 0..r {
        for j in 0..c {
            let x = if i == j {
                <T::Compute as Field>::ONE
            } else {
                <T::Compute as Field>::ZERO
            };
            dst[i * c + j] = T::from_compute(x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c64;

    fn reconstruct(m: usize, n: usize, d: &Svd<c64>) -> Vec<c64> {
        let k = m.min(n);
        let uc = d.u.len() / m;
        let mut x = vec![c64::new(0.0, 0.0); m * n];
        for i in 0..m {
            for j in 0..n {
                for l in 0..k {
                    x[i * n + j] += d.u[i * uc + l] * d.s[l] * d.vh[l * n + j];
                }
            }
        }
        x
    }

    #[test]
    fn complex_rectangular_stacks_reconstruct() {
        for (m, n) in [(3, 5), (5, 3), (4, 4), (1, 6), (40, 7)] {
            let count = 3;
            let a: Vec<c64> = (0..count * m * n)
                .map(|i| {
                    c64::new(
                        ((i * 7919) % 13) as f64 - 6.0,
                        ((i * 104729) % 11) as f64 - 5.0,
                    )
                })
                .collect();
            for vectors in [Vectors::Thin, Vectors::Full] {
                let view = StackView::c_contiguous(&a, &[count, m, n]).unwrap();
                let d = svd(&view, vectors, false).unwrap();
                let k = m.min(n);
                let [ur, uc, vr, vc] = factor_shapes(m, n, vectors, false);
                assert_eq!(
                    (d.u.len(), d.vh.len(), d.s.len()),
                    (count * ur * uc, count * vr * vc, count * k)
                );
                for c in 0..count {
                    let one = Svd {
                        u: d.u[c * ur * uc..(c + 1) * ur * uc].to_vec(),
                        s: d.s[c * k..(c + 1) * k].to_vec(),
                        vh: d.vh[c * vr * vc..(c + 1) * vr * vc].to_vec(),
                    };
                    assert!(one.s.windows(2).all(|w| w[0] >= w[1]));
                    // U has orthonormal columns, all of them (regression: the full U of
                    // the second tall matrix of a stack was built on stale vectors).
                    for p in 0..uc {
                        for q in 0..uc {
                            let dot: c64 = (0..m)
                                .map(|i| one.u[i * uc + p].conj() * one.u[i * uc + q])
                                .sum();
                            let want = if p == q { 1.0 } else { 0.0 };
                            assert!(
                                (dot - want).norm() < 1e-13,
                                "{m}x{n} {vectors:?} U column {p}.{q}"
                            );
                        }
                    }
                    let x = reconstruct(m, n, &one);
                    let scale = one.s[0];
                    for (got, want) in x.iter().zip(&a[c * m * n..(c + 1) * m * n]) {
                        assert!((got - want).norm() < 1e-13 * scale * (m + n) as f64);
                    }
                }
            }
        }
    }

    #[test]
    fn nonfinite_input_fails_like_lapack() {
        let a = [1.0, f64::NAN, 1.0, 1.0];
        let v = StackView::c_contiguous(&a, &[2, 2]).unwrap();
        assert_eq!(svdvals(&v), Err(Error::SvdNoConvergence));
        let b = [1.0, f64::INFINITY, 1.0, 1.0];
        let s = svdvals(&StackView::c_contiguous(&b, &[2, 2]).unwrap()).unwrap();
        assert!(s.iter().all(|x| x.is_nan()));
        // The Hermitian path reads the lower triangle only: the NaN above is ignored.
        let d = svd(&v, Vectors::Full, true).unwrap();
        assert_eq!(d.s, [2.0, 0.0]);
    }

    #[test]
    fn powers_of_two_and_exponents_are_exact() {
        assert_eq!(SMLNUM, f64::MIN_POSITIVE.sqrt() / f64::EPSILON);
        assert_eq!(BIGNUM, 1.0 / SMLNUM);
        for e in [-1022, -459, -1, 0, 1, 459, 1023] {
            assert_eq!(pow2(e), 2f64.powi(e));
            assert_eq!(exponent(pow2(e)), e);
            assert_eq!(exponent(pow2(e) * 1.75), e);
        }
        assert_eq!(exponent(f64::from_bits(1)), -1074);
        assert_eq!(exponent(f64::MIN_POSITIVE / 3.0), -1024);
        assert_eq!(exponent(f64::MAX), 1023);
    }

    #[test]
    fn matrices_at_the_ends_of_the_range_are_scaled() {
        // A rotation times s: both singular values are s (faer alone gave zeros at 1e-308
        // and failed to converge from about 1e155 up).
        let (c, sn) = (0.6f64, 0.8f64);
        for s in [1e-308f64, 3e-308, 1e-300, 1e-200, 1e155, 1e300, 8e307] {
            let a = [c * s, -sn * s, sn * s, c * s];
            let v = StackView::c_contiguous(&a, &[2, 2]).unwrap();
            let tol = if s < 1e-307 { 1e-12 } else { 1e-15 };
            for got in [
                svdvals(&v).unwrap(),
                svd(&v, Vectors::Full, false).unwrap().s,
            ] {
                for x in got {
                    assert!((x - s).abs() <= tol * s, "{s:e}: {x:e}");
                }
            }
            // Hermitian: diag(s, -s) has singular values s, s.
            let h: [f64; 4] = [s, 0.0, 0.0, -s];
            let hv = StackView::c_contiguous(&h, &[2, 2]).unwrap();
            let d = svd(&hv, Vectors::Full, true).unwrap();
            assert_eq!(d.s, [s, s]);
            // U diag(S) Vh = diag(s, -s), with unit-modulus factors.
            assert!(d
                .u
                .iter()
                .chain(&d.vh)
                .all(|x: &f64| [0.0, 1.0].contains(&x.abs())));
            for (i, want) in [(0, 1.0), (1, 0.0), (2, 0.0), (3, -1.0)] {
                let (r, c) = (i / 2, i % 2);
                let x: f64 = (0..2).map(|l| d.u[r * 2 + l] * d.vh[l * 2 + c]).sum();
                assert_eq!(x, want, "{s:e}");
            }
        }
        // A stack scales each matrix on its own; a zero matrix stays zero.
        let a = [
            1e-308, 0.0, 0.0, 1e-308, 1e300, 0.0, 0.0, 1e300, 0.0, 0.0, 0.0, 0.0,
        ];
        let v = StackView::c_contiguous(&a, &[3, 2, 2]).unwrap();
        assert_eq!(
            svdvals(&v).unwrap(),
            [1e-308, 1e-308, 1e300, 1e300, 0.0, 0.0]
        );
        let z = c64::new(1e308, 0.0);
        let zero = c64::new(0.0, 0.0);
        let e = [z, zero, zero, z];
        let ev = StackView::c_contiguous(&e, &[2, 2]).unwrap();
        assert_eq!(svd(&ev, Vectors::Full, true).unwrap().s, [1e308, 1e308]);
    }

    #[test]
    fn hermitian_path_ignores_the_imaginary_diagonal() {
        let c = c64::new;
        // Row-major lower triangles (the upper ones are never read), n = 2 and n = 3.
        let a2 = [c(2.0, 5.0), c(7.0, 7.0), c(0.0, 1.0), c(-1.0, 3.0)];
        let b2 = [c(2.0, 0.0), c(7.0, 7.0), c(0.0, 1.0), c(-1.0, 0.0)];
        let x = c(9.0, 9.0);
        let a3 = [
            c(1.0, 4.0),
            x,
            x,
            c(2.0, -1.0),
            c(-3.0, 2.0),
            x,
            c(0.5, 0.5),
            c(1.0, -2.0),
            c(2.0, -7.0),
        ];
        let mut b3 = a3;
        for i in 0..3 {
            b3[i * 4].im = 0.0;
        }
        let s = |x: &[c64], n: usize| {
            let v = StackView::c_contiguous(x, &[n, n]).unwrap();
            (
                svd(&v, Vectors::Full, true).unwrap(),
                svd(&v, Vectors::None, true).unwrap().s,
            )
        };
        assert_eq!(s(&a2, 2), s(&b2, 2));
        assert_eq!(s(&a3, 3), s(&b3, 3));
        // [[2, -i], [i, -1]] has eigenvalues (1 +- sqrt(13)) / 2.
        let want = [(1.0 + 13f64.sqrt()) / 2.0, (13f64.sqrt() - 1.0) / 2.0];
        for (x, w) in s(&a2, 2).1.iter().zip(want) {
            assert!((x - w).abs() < 1e-15 * w, "{x} {w}");
        }
    }

    #[test]
    fn empty_matrices_give_identity_factors() {
        let none: [f64; 0] = [];
        let d = svd(
            &StackView::c_contiguous(&none, &[4, 0]).unwrap(),
            Vectors::Full,
            false,
        )
        .unwrap();
        assert!(d.s.is_empty() && d.vh.is_empty());
        assert_eq!(d.u.len(), 16);
        assert!((0..4).all(|i| d.u[i * 5] == 1.0) && d.u.iter().sum::<f64>() == 4.0);
    }
}
