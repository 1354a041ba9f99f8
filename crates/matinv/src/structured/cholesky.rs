//! Inverse of a Hermitian positive definite matrix from its Cholesky factor (LAPACK
//! `potrf` + `potri`): `H = L L^H`, `inv(H) = inv(L)^H inv(L)`, n^3 flops in all, half of
//! LU's inverse.
//!
//! The matrix factored is `G = H^T` (= conj(H), also positive definite): the upper
//! triangle of a row-major `H`, read as column-major, is the lower triangle of `G`, so the
//! default (upper) case gathers with a plain copy; and the lower triangle of `inv(G)`,
//! stored column-major, is the upper triangle of `inv(H)` row-major.

use super::triangular::invert_lower_in_place;
use super::{conj, Workspace};
use crate::element::{Field, Widened};
use crate::layout::MatrixPtr;
use crate::params::Params;
use crate::scaling::power_of_two_scale;
use crate::tiling::for_each_tile;
use faer::dyn_stack::{MemStack, StackReq};
use faer::linalg::cholesky::llt::{factor, inverse};
use faer::{MatMut, MatRef, Par};

/// faer's scratch for the blocked factor and inverse of order `n`.
pub(super) fn scratch<F: Field>(n: usize, par: Par) -> StackReq {
    StackReq::any_of(&[
        factor::cholesky_in_place_scratch::<F>(n, par, Default::default()),
        inverse::inverse_scratch::<F>(n, par),
    ])
}

/// Inverts the Hermitian matrix whose upper triangle (lower when `lower`) `m` holds, into
/// the row-major `dst`, mirrored exactly (real diagonal, `X == X^H`). On a pivot that is
/// not positive and finite returns its 0-based index (`potrf`'s info - 1); `dst` is then
/// untouched.
#[inline(always)]
pub(super) fn invert<T: Widened>(
    m: MatrixPtr<T>,
    n: usize,
    dst: &mut [T],
    ws: &mut Workspace<T>,
    lower: bool,
    par: Par,
    params: &Params,
) -> Result<(), usize> {
    // SAFETY: i, j < n, inside the matrix.
    let get = |i: usize, j: usize| unsafe { m.get(i, j) }.to_compute();
    let zero = <T::Compute as Field>::ZERO;
    let a = &mut ws.a[..n * n];
    // G[i, j] = H[j, i] for i >= j; only the real part of the diagonal is read.
    for_each_tile(n, |i, j| {
        a[i + j * n] = if i < j {
            zero
        } else if i == j {
            <T::Compute as Field>::from_re(get(i, i).re())
        } else if lower {
            conj(get(i, j))
        } else {
            get(j, i)
        };
    });
    if n <= params.kernels.unblocked_max_n {
        factor_in_place(a, n, &mut ws.work[..n])?;
        invert_lower_in_place(a, n, &mut ws.work[..n]);
        // V = inv(L)^H, upper triangular, then X = V V^H = inv(G), column by column.
        let v = &mut ws.x[..n * n];
        for k in 0..n {
            for i in 0..=k {
                v[i + k * n] = conj(a[k + i * n]);
            }
        }
        upper_product_in_place(v, n, &mut ws.work[..n]);
        // v's upper triangle is inv(G) = inv(H)^T: column-major, inv(H)'s lower triangle
        // row-major. Round it, then mirror the rounded value.
        for j in 0..n {
            for i in 0..j {
                let t = T::from_compute(v[i + j * n]);
                dst[i + j * n] = t;
                dst[j + i * n] = T::from_compute(conj(t.to_compute()));
            }
            dst[j + j * n] = T::from_compute(<T::Compute as Field>::from_re(v[j + j * n].re()));
        }
        return Ok(());
    }
    let (r, s) = {
        // Entries near overflow or underflow are brought near 1 by a power of two (exact):
        // inv(H) = s inv(s H).
        let s = power_of_two_scale(a);
        if s != 1.0 {
            a.iter_mut().for_each(|x| *x = x.scale(s));
        }
        let stack = MemStack::new(&mut ws.stack);
        let l = MatMut::from_column_major_slice_mut(a, n, n);
        factor::cholesky_in_place(l, Default::default(), par, stack, Default::default()).map_err(
            |e| match e {
                factor::LltError::NonPositivePivot { index } => index,
            },
        )?;
        let x = &mut ws.x[..n * n];
        inverse::inverse(
            MatMut::from_column_major_slice_mut(x, n, n),
            MatRef::from_column_major_slice(&ws.a[..n * n], n, n),
            par,
            stack,
        );
        (&ws.x[..n * n], s)
    };
    // r's lower triangle is inv(G) = inv(H)^T: column-major, that is inv(H)'s upper
    // triangle row-major. Round it, then mirror the rounded value.
    for_each_tile(n, |i, j| {
        if i > j {
            let v = T::from_compute(r[i + j * n].scale(s));
            dst[i + j * n] = v;
            dst[i * n + j] = T::from_compute(conj(v.to_compute()));
        } else if i == j {
            dst[i + i * n] = T::from_compute(<T::Compute as Field>::from_re(r[i + i * n].re() * s));
        }
    });
    Ok(())
}

/// Cholesky `G = L L^H` of the lower triangle of the column-major `a`, in place
/// (left-looking, `potf2`'s order; each column's updates run down the column). `acc` needs
/// `n` entries. Fails at the first pivot that is not positive and finite (NaN included).
#[inline(always)]
fn factor_in_place<F: Field>(a: &mut [F], n: usize, acc: &mut [F]) -> Result<(), usize> {
    for j in 0..n {
        let (left, right) = a.split_at_mut(j * n);
        let col = &mut right[j..n];
        let acc = &mut acc[j..n];
        acc.fill(F::ZERO);
        for k in 0..j {
            let lk = &left[k * n + j..(k + 1) * n];
            let c = conj(lk[0]);
            for (s, &l) in acc.iter_mut().zip(lk) {
                *s += l * c;
            }
        }
        let d = col[0].re() - acc[0].re();
        if !(d > 0.0 && d.is_finite()) {
            return Err(j);
        }
        let ljj = d.sqrt();
        col[0] = F::from_re(ljj);
        let r = 1.0 / ljj;
        for (x, &s) in col[1..].iter_mut().zip(&acc[1..]) {
            *x = (*x - s).scale(r);
        }
    }
    Ok(())
}

/// The upper triangle of `V V^H` for the upper-triangular `V` in the column-major `v`, in
/// place (`lauum`): column `j` is `sum_{k >= j} conj(V[j, k]) V[0..=j, k]`, a sum of
/// columns (contiguous, so it vectorises); it reads only columns `>= j`, so columns left
/// to right never read what they overwrote. `acc` needs `n` entries.
#[inline(always)]
fn upper_product_in_place<F: Field>(v: &mut [F], n: usize, acc: &mut [F]) {
    for j in 0..n {
        let acc = &mut acc[..=j];
        acc.fill(F::ZERO);
        for k in j..n {
            let t = conj(v[j + k * n]);
            for (s, &x) in acc.iter_mut().zip(&v[k * n..k * n + j + 1]) {
                *s += x * t;
            }
        }
        v[j * n..j * n + j + 1].copy_from_slice(acc);
    }
}
