//! Inverse of a triangular matrix (LAPACK `trtri`): n^3/3 flops, a third of LU's inverse.
//!
//! Both triangles are handled by one lower-triangular kernel: the upper triangle `U` of a
//! row-major matrix, read as column-major, is `U^T`, which is lower, and
//! `inv(U^T) = inv(U)^T` read back row-major is `inv(U)`: no transposition on either side.

use super::Workspace;
use crate::element::{Field, Widened};
use crate::kernels::ZeroPivot;
use crate::layout::MatrixPtr;
use crate::params::Params;
use crate::scaling::power_of_two_scale;
use crate::tiling::for_each_tile;
use faer::{MatMut, MatRef, Par};

/// Inverts the upper triangle of `m` (the lower one when `lower`) into the row-major
/// `dst`, with exact zeros in the other triangle. Singular at the first exact zero on the
/// diagonal (`trtri`'s info - 1), checked before anything is computed.
#[inline(always)]
pub(super) fn invert<T: Widened>(
    m: MatrixPtr<T>,
    n: usize,
    dst: &mut [T],
    ws: &mut Workspace<T>,
    lower: bool,
    par: Par,
    params: &Params,
) -> Result<(), ZeroPivot> {
    // SAFETY: i, j < n, inside the matrix.
    let get = |i: usize, j: usize| unsafe { m.get(i, j) }.to_compute();
    if let Some(k) = (0..n).find(|&k| get(k, k).is_zero()) {
        return Err(k);
    }
    let zero = <T::Compute as Field>::ZERO;
    // `a` (column-major) := the lower-triangular matrix to invert: `U^T` or `L`.
    let a = &mut ws.a[..n * n];
    for_each_tile(n, |i, j| {
        a[i + j * n] = if i < j {
            zero
        } else if lower {
            get(i, j)
        } else {
            get(j, i)
        };
    });
    let (r, s) = if n <= params.kernels.unblocked_max_n {
        invert_lower_in_place(a, n, &mut ws.work[..n]);
        (&ws.a[..n * n], 1.0)
    } else {
        // Entries near overflow or underflow are brought near 1 by a power of two (exact).
        let s = power_of_two_scale(a);
        if s != 1.0 {
            a.iter_mut().for_each(|x| *x = x.scale(s));
        }
        let x = &mut ws.x[..n * n];
        faer::linalg::triangular_inverse::invert_lower_triangular(
            MatMut::from_column_major_slice_mut(x, n, n),
            MatRef::from_column_major_slice(a, n, n),
            par,
        );
        (&ws.x[..n * n], s)
    };
    // `r` = inv(U^T) = inv(U)^T, whose column-major storage is inv(U) row-major; or inv(L),
    // to be transposed. Everything above r's diagonal is garbage: write zeros there.
    for_each_tile(n, |i, j| {
        let v = if i >= j { r[i + j * n].scale(s) } else { zero };
        let at = if lower { i * n + j } else { i + j * n };
        dst[at] = T::from_compute(v);
    });
    Ok(())
}

/// Inverts the lower triangle of the column-major `n x n` matrix `a` in place (`trti2`,
/// non-unit, lower: columns right to left, each a triangular matrix-vector product with
/// the part already inverted, run down columns). `acc` needs `n` entries. The diagonal
/// must be nonzero.
#[inline(always)]
pub(super) fn invert_lower_in_place<F: Field>(a: &mut [F], n: usize, acc: &mut [F]) {
    for j in (0..n).rev() {
        let xjj = a[j + j * n].pivot_recip();
        a[j + j * n] = xjj;
        // acc = X[j+1.., j+1..] * L[j+1.., j], with X the inverse of the trailing block.
        let acc = &mut acc[j + 1..n];
        acc.fill(F::ZERO);
        for k in j + 1..n {
            let t = a[k + j * n];
            let col = &a[k + k * n..(k + 1) * n];
            for (s, &x) in acc[k - j - 1..].iter_mut().zip(col) {
                *s += x * t;
            }
        }
        let minus_xjj = -xjj;
        for (x, &s) in a[j + 1 + j * n..(j + 1) * n].iter_mut().zip(acc.iter()) {
            *x = s * minus_xjj;
        }
    }
}
