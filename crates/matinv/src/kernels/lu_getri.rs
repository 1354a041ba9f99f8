//! Unblocked LU with partial pivoting and getri's inverse, in place, for small matrices
//! stored column-major (every tiny size, unrolled through const generics, and complex mid
//! sizes up to [`crate::KernelParams::unblocked_max_n`]; real mid sizes go to
//! [`super::gauss_jordan`]). No allocation: the caller passes the matrix and
//! room for the pivots.
//!
//! The factorisation is left-looking (Crout), in the evaluation order of OpenBLAS's `getf2`,
//! the kernel numpy's LAPACK runs at these sizes: each entry is updated once, by subtracting
//! a dot product accumulated left to right, and multipliers are scaled by the pivot's
//! reciprocal. "Singular" is LAPACK's rule, an exact zero pivot, and evaluating in the same
//! order makes matrices that are singular in exact arithmetic (`[[1,2,3],[4,5,6],[7,8,9]]`)
//! meet their zero pivot where numpy does, instead of a 1e-16 residue: always in our tests
//! up to n = 5, in most cases up to 32. (numpy's own verdict depends on the SIMD summation
//! order of its BLAS build, which no portable kernel can copy exactly.)

use super::ZeroPivot;
use crate::element::Field;

/// Inverts the column-major `n x n` matrix `a` in place; `piv` needs `n` entries and `work`
/// `2 n`. On an exact zero pivot returns its column (and `a` holds garbage).
///
/// Every loop below runs down columns (contiguous, so it vectorises) while accumulating
/// each entry's dot product in the same order as the textbook row-by-row form: the results
/// are bit-for-bit those of getf2 / trti2 / getri evaluated without fused multiply-adds.
#[inline(always)]
pub fn invert_in_place<F: Field>(
    a: &mut [F],
    n: usize,
    piv: &mut [usize],
    work: &mut [F],
) -> Result<(), ZeroPivot> {
    let (acc, col) = work[..2 * n].split_at_mut(n);
    factor(a, n, piv, acc)?;
    invert_upper(a, n, acc);
    solve_lower(a, n, acc, col);
    // X = inv(U) inv(L) P: undo the row interchanges as column interchanges, last first.
    for j in (0..n).rev() {
        let p = piv[j];
        if p != j {
            for i in 0..n {
                a.swap(i + j * n, i + p * n);
            }
        }
    }
    Ok(())
}

/// `P A = L U` in place (unit `L` below the diagonal, `U` on and above), getf2's order:
/// column `j` is finished by subtracting, from each entry, its dot product with the
/// factors to the left, accumulated left to right (real matrices; complex ones in the
/// order of OpenBLAS's `zgetf2`, see [`complex_column`]).
///
/// Pivots are chosen, and treated, as numpy's LAPACK (OpenBLAS's `getf2`) does: the row
/// [`super::amax`] picks, singular at an exact zero; a NaN pivot is no zero, and getf2
/// neither interchanges the rows in the factored columns nor scales the multipliers for it
/// (the columns to its right still see the interchange); a pivot whose reciprocal is zero
/// (an infinite one) makes the multipliers zero (OpenBLAS's `scal` with a zero factor),
/// not `x * 0`. (getf2 also skips the interchange and the scaling for a subnormal pivot,
/// giving a wrong inverse: here the multipliers are divided by it instead.)
#[inline(always)]
fn factor<F: Field>(
    a: &mut [F],
    n: usize,
    piv: &mut [usize],
    acc: &mut [F],
) -> Result<(), ZeroPivot> {
    for j in 0..n {
        let (left, right) = a.split_at_mut(j * n);
        let b = &mut right[..n];
        if F::REAL {
            // U part of column j: b[k] is final once the first k products are in.
            acc[..j].fill(F::ZERO);
            for k in 0..j {
                let bk = b[k] - acc[k];
                b[k] = bk;
                let l = &left[k * n..(k + 1) * n];
                for (s, &lik) in acc[k + 1..j].iter_mut().zip(&l[k + 1..j]) {
                    *s += lik * bk;
                }
            }
            // Below: every row takes all j products, a plain matrix-vector product.
            gemv(left, n, j, &b[..j], &mut acc[j..n]);
            for (v, &s) in b[j..].iter_mut().zip(&acc[j..n]) {
                *v -= s;
            }
        } else {
            complex_column(left, n, j, b);
        }
        // i?amax: the first entry of largest |re| + |im| (NaN aside).
        let p = j + super::amax(n - j, !F::REAL, |i| b[j + i].abs1());
        piv[j] = p;
        let d = b[p];
        if d.is_zero() {
            return Err(j);
        }
        let normal = d.normal_pivot();
        let skip = !normal && d.any_nan();
        if p != j {
            for c in if skip { j + 1 } else { 0 }..n {
                a.swap(j + c * n, p + c * n);
            }
        }
        if skip {
            continue;
        }
        let below = &mut a[j * n + j + 1..(j + 1) * n];
        // getf2 scales by the reciprocal unless that would overflow; then this divides.
        if normal {
            let r = d.getf2_recip();
            if r.is_zero() {
                below.fill(F::ZERO);
            } else {
                below.iter_mut().for_each(|x| *x *= r);
            }
        } else {
            below.iter_mut().for_each(|x| *x = x.pivot_div(d));
        }
    }
    Ok(())
}

/// `re(a x), im(a x)` with the first product of each part fused, as GCC compiles
/// OpenBLAS's C loops (`a_r * x_r - a_i * x_i`) for CPUs with FMA.
#[inline(always)]
fn fused_product<F: Field>(a: F, x: F) -> (f64, f64) {
    (
        a.re().mul_add(x.re(), -(a.im() * x.im())),
        a.re().mul_add(x.im(), a.im() * x.re()),
    )
}

/// Column `j` of a complex LU before its pivot, in the order of numpy's `zgetf2`
/// (OpenBLAS 0.3.31 on x86-64 with AVX2, measured bit-for-bit identical to it on 150
/// random and integer matrices, n = 2..8): the U part by `ztrsv`, one `zaxpy` per column
/// to the left; the rest by `zgemv`, rows in blocks of 4 through its assembly kernel
/// (columns in groups of 4, 2, 1: real and imaginary parts of `x` as separate
/// fused-multiply-add chains, combined per group) and the last `(n - j) % 4` rows by its C
/// loop (a dot product of fused products). Exact singularity is decided by these
/// roundings: the plain dot-product order disagreed with numpy on 63 of 5,718 low-rank
/// integer 4x4 matrices.
#[inline(always)]
fn complex_column<F: Field>(left: &[F], n: usize, j: usize, b: &mut [F]) {
    // ztrsv: b[i] += (-b[k]) L[i, k] for i in k + 1..j (zaxpy's C loop below 16 entries).
    for k in 0..j {
        let alpha = F::from_parts(-b[k].re(), -b[k].im());
        let l = &left[k * n..(k + 1) * n];
        for (y, &x) in b[k + 1..j].iter_mut().zip(&l[k + 1..j]) {
            let (pr, pi) = fused_product(alpha, x);
            *y = F::from_parts(y.re() + pr, y.im() + pi);
        }
    }
    if j == 0 {
        return;
    }
    let (x, rows) = b.split_at_mut(j);
    let blocked = (n - j) - (n - j) % 4;
    for (r, y) in rows.iter_mut().enumerate() {
        let i = j + r;
        let (sr, si) = if r < blocked {
            // The assembly kernel: a running sum over groups of columns.
            let (mut yr, mut yi) = (0.0, 0.0);
            let mut c = 0;
            while c < j {
                let width = if j - c >= 4 {
                    4
                } else if (j - c) & 2 != 0 {
                    2
                } else {
                    1
                };
                let (a0, x0) = (left[c * n + i], x[c]);
                let (mut pr, mut pi) = (a0.re() * x0.re(), a0.im() * x0.re());
                let (mut qr, mut qi) = (a0.re() * x0.im(), a0.im() * x0.im());
                for cc in c + 1..c + width {
                    let (ac, xc) = (left[cc * n + i], x[cc]);
                    pr = ac.re().mul_add(xc.re(), pr);
                    pi = ac.im().mul_add(xc.re(), pi);
                    qr = ac.re().mul_add(xc.im(), qr);
                    qi = ac.im().mul_add(xc.im(), qi);
                }
                yr += pr - qi;
                yi += pi + qr;
                c += width;
            }
            (yr, yi)
        } else {
            let (mut tr, mut ti) = (0.0, 0.0);
            for c in 0..j {
                let (pr, pi) = fused_product(left[c * n + i], x[c]);
                tr += pr;
                ti += pi;
            }
            (tr, ti)
        };
        // y += alpha * s with alpha = -1 + 0i, as written there (0 * inf is NaN).
        *y = F::from_parts(y.re() + (-sr - 0.0 * si), y.im() + (-si + 0.0 * sr));
    }
}

/// Replaces `U` (on and above the diagonal) by `inv(U)`, column by column (trti2's order).
#[inline(always)]
fn invert_upper<F: Field>(a: &mut [F], n: usize, acc: &mut [F]) {
    for j in 0..n {
        let ujj = a[j * n + j].pivot_recip();
        a[j * n + j] = ujj;
        // Column j above the diagonal: -ujj * inv(U[..j, ..j]) * U[..j, j].
        let (left, right) = a.split_at_mut(j * n);
        let col = &mut right[..j];
        let acc = &mut acc[..j];
        upper_gemv(left, n, col, acc);
        // 0 - x rather than -x: no negative zeros where numpy has none.
        for (c, &s) in col.iter_mut().zip(acc.iter()) {
            *c = F::ZERO - s * ujj;
        }
    }
}

/// Solves `X L = inv(U)` for `X` in place, with the unit `L` below the diagonal
/// (getri's order: columns from the last to the first).
#[inline(always)]
fn solve_lower<F: Field>(a: &mut [F], n: usize, acc: &mut [F], l: &mut [F]) {
    for j in (0..n.saturating_sub(1)).rev() {
        // Column j of L moves out; columns right of j already hold X.
        for k in j + 1..n {
            l[k] = a[j * n + k];
            a[j * n + k] = F::ZERO;
        }
        let (left, right) = a.split_at_mut((j + 1) * n);
        gemv(right, n, 0, &l[j + 1..n], &mut acc[..n]);
        for (x, &s) in left[j * n..].iter_mut().zip(acc.iter()) {
            *x -= s;
        }
    }
}

/// `acc[i] = sum_{k >= i} u[k * n + i] * c[k]` for `i < acc.len() = c.len()`: the upper
/// triangle's matrix-vector product, each sum from zero in ascending `k`, rows in register
/// blocks as in [`gemv`] (a row joins the sum at its diagonal).
#[inline(always)]
fn upper_gemv<F: Field>(u: &[F], n: usize, c: &[F], acc: &mut [F]) {
    const B: usize = 8;
    let m = acc.len();
    let mut i0 = 0;
    while i0 + B <= m {
        let mut t = [F::ZERO; B];
        // Columns i0..i0+B: the triangle of the block, rows join one by one.
        for k in i0..i0 + B {
            let ck = c[k];
            let col = &u[k * n + i0..k * n + i0 + B];
            for r in 0..B {
                if i0 + r <= k {
                    t[r] += col[r] * ck;
                }
            }
        }
        for (k, &ck) in c.iter().enumerate().skip(i0 + B) {
            let col = &u[k * n + i0..k * n + i0 + B];
            for r in 0..B {
                t[r] += col[r] * ck;
            }
        }
        acc[i0..i0 + B].copy_from_slice(&t);
        i0 += B;
    }
    for (i, s) in acc.iter_mut().enumerate().skip(i0) {
        let mut t = F::ZERO;
        for (k, &ck) in c.iter().enumerate().skip(i) {
            t += u[k * n + i] * ck;
        }
        *s = t;
    }
}

/// `acc[i] = sum_k cols[k * n + row0 + i] * c[k]`, each sum from zero in ascending `k`
/// (the order the row-by-row form uses), for `i < acc.len()`. Rows go in blocks held in
/// registers across the whole sum, so each column entry is loaded once and `acc` is
/// written once.
#[inline(always)]
fn gemv<F: Field>(cols: &[F], n: usize, row0: usize, c: &[F], acc: &mut [F]) {
    const B: usize = 8;
    let m = acc.len();
    let mut i0 = 0;
    while i0 + B <= m {
        let mut t = [F::ZERO; B];
        for (k, &ck) in c.iter().enumerate() {
            let col = &cols[k * n + row0 + i0..k * n + row0 + i0 + B];
            for r in 0..B {
                t[r] += col[r] * ck;
            }
        }
        acc[i0..i0 + B].copy_from_slice(&t);
        i0 += B;
    }
    for (i, s) in acc.iter_mut().enumerate().skip(i0) {
        let mut t = F::ZERO;
        for (k, &ck) in c.iter().enumerate() {
            t += cols[k * n + row0 + i] * ck;
        }
        *s = t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::element::c64;

    /// Inverts a row-major array through the column-major kernel.
    fn invert<F: Field, const N: usize>(a: [[F; N]; N]) -> Result<[[F; N]; N], ZeroPivot> {
        let mut x = [[F::ZERO; N]; N];
        for i in 0..N {
            for j in 0..N {
                x[j][i] = a[i][j];
            }
        }
        let (mut piv, mut work) = ([0; N], vec![F::ZERO; 2 * N]);
        invert_in_place(x.as_flattened_mut(), N, &mut piv, &mut work)?;
        let mut y = x;
        for i in 0..N {
            for j in 0..N {
                y[i][j] = x[j][i];
            }
        }
        Ok(y)
    }

    // Indices read as the formula `sum_k x[i][k] a[k][j] - delta_ij`.
    #[allow(clippy::needless_range_loop)]
    fn residual<const N: usize>(a: &[[f64; N]; N], x: &[[f64; N]; N]) -> f64 {
        let mut worst: f64 = 0.0;
        for i in 0..N {
            for j in 0..N {
                let mut s = if i == j { -1.0 } else { 0.0 };
                for k in 0..N {
                    s += x[i][k] * a[k][j];
                }
                worst = worst.max(s.abs());
            }
        }
        worst
    }

    #[test]
    fn inverts_a_matrix_that_needs_pivoting() {
        let a = [
            [0.0, 2.0, 1.0, 4.0],
            [1.0, 1.0, 0.0, 0.5],
            [3.0, 0.0, 1.0, 1.0],
            [0.0, 1.0, 7.0, 1.0],
        ];
        assert!(residual(&a, &invert(a).unwrap()) < 1e-15);
        let b = [[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0.0, 1.0]];
        assert!(residual(&b, &invert(b).unwrap()) < 1e-15);
    }

    #[test]
    fn reports_the_first_zero_pivot_like_getrf() {
        // Second column is twice the first: the pivot of column 1 is exactly zero.
        assert_eq!(
            invert([[1.0, 2.0, 0.0], [2.0, 4.0, 1.0], [3.0, 6.0, 5.0]]),
            Err(1)
        );
        assert_eq!(invert([[0.0f64; 2]; 2]), Err(0));
    }

    #[test]
    fn singular_in_exact_arithmetic_like_numpy() {
        // numpy raises for these: getf2's order meets an exact zero, not a 1e-16 residue.
        assert_eq!(
            invert([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),
            Err(2)
        );
        let mut m = [[0.0; 4]; 4];
        for (k, x) in m.as_flattened_mut().iter_mut().enumerate() {
            *x = (k + 1) as f64;
        }
        assert!(invert(m).is_err());
    }

    #[test]
    fn a_zero_determinant_is_not_always_a_zero_pivot() {
        // numpy's own near-singular example: det is 0 in exact arithmetic, but getrf meets
        // no exact zero pivot, so numpy returns a (huge) inverse. So must we.
        let x = invert([[2.0, 4.0, 6.0], [2.0, 0.0, 2.0], [6.0, 8.0, 14.0]]).unwrap();
        assert!(x[0][0].abs() > 1e14);
    }

    #[test]
    fn multipliers_use_the_pivot_reciprocal_like_getf2() {
        // 49 * (1/49) = 0.9999999999999999, so getf2 (and numpy) leave a tiny nonzero pivot
        // where exact division would give zero: this matrix is not "singular" in numpy.
        let x = invert([[49.0, 1.0], [49.0, 1.0]]).unwrap();
        assert!((x[1][0] - -9.007199254740991e15).abs() < 4.0, "{x:?}");
    }

    /// The textbook, row-by-row form of getf2 + trti2 + getri (row-major), slow and
    /// obviously in the order the kernel claims to follow.
    fn reference(a: &mut [f64], n: usize) -> Result<(), ZeroPivot> {
        let mut piv = vec![0; n];
        for j in 0..n {
            for i in 1..j {
                let s = (0..i).fold(0.0, |s, k| s + a[i * n + k] * a[k * n + j]);
                a[i * n + j] -= s;
            }
            let (mut p, mut best) = (j, -1.0);
            for i in j..n {
                let s = (0..j).fold(0.0, |s, k| s + a[i * n + k] * a[k * n + j]);
                a[i * n + j] -= s;
                if a[i * n + j].abs() > best {
                    best = a[i * n + j].abs();
                    p = i;
                }
            }
            piv[j] = p;
            if a[p * n + j] == 0.0 {
                return Err(j);
            }
            for c in 0..n {
                a.swap(j * n + c, p * n + c);
            }
            let r = 1.0 / a[j * n + j];
            for i in j + 1..n {
                a[i * n + j] *= r;
            }
        }
        for j in 0..n {
            let ujj = 1.0 / a[j * n + j];
            a[j * n + j] = ujj;
            for i in 0..j {
                a[i * n + j] = (i..j).fold(0.0, |s, k| s + a[i * n + k] * a[k * n + j]);
            }
            for i in 0..j {
                a[i * n + j] = 0.0 - a[i * n + j] * ujj;
            }
        }
        for j in (0..n.saturating_sub(1)).rev() {
            let work: Vec<f64> = (0..n)
                .map(|k| if k > j { a[k * n + j] } else { 0.0 })
                .collect();
            for k in j + 1..n {
                a[k * n + j] = 0.0;
            }
            for i in 0..n {
                let s = (j + 1..n).fold(0.0, |s, k| s + a[i * n + k] * work[k]);
                a[i * n + j] -= s;
            }
        }
        for j in (0..n).rev() {
            for i in 0..n {
                a.swap(i * n + j, i * n + piv[j]);
            }
        }
        Ok(())
    }

    #[test]
    fn column_kernel_is_bit_for_bit_the_textbook_order() {
        let mut seed = 12345u64;
        for n in [1, 2, 5, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40] {
            for _ in 0..4 {
                let mut rowmajor: Vec<f64> = (0..n * n)
                    .map(|_| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                        ((seed >> 11) as f64 / (1u64 << 53) as f64) - 0.5
                    })
                    .collect();
                let mut colmajor: Vec<f64> =
                    (0..n * n).map(|k| rowmajor[(k % n) * n + k / n]).collect();
                let (mut piv, mut work) = (vec![0; n], vec![0.0; 2 * n]);
                let got = invert_in_place(&mut colmajor, n, &mut piv, &mut work);
                assert_eq!(got, reference(&mut rowmajor, n));
                for i in 0..n {
                    for j in 0..n {
                        assert_eq!(
                            colmajor[i + j * n].to_bits(),
                            rowmajor[i * n + j].to_bits(),
                            "n={n} ({i},{j})"
                        );
                    }
                }
            }
        }
    }

    fn c(re: i32, im: i32) -> c64 {
        c64::new(re as f64, im as f64)
    }

    #[test]
    fn complex_singular_verdicts_are_numpys() {
        // The rank-3 4x4 as complex128: numpy's zgetf2 meets an exact zero pivot
        // (the plain dot-product order left -1.1e-16 there).
        let m = [
            [3, -5, -1, 1],
            [1, 6, -3, -1],
            [2, 2, -2, -2],
            [-1, 8, -2, -1],
        ]
        .map(|row| row.map(|v| c(v, 0)));
        assert_eq!(invert(m), Err(3));
        // Low-rank complex integer matrices where that order and numpy disagreed: these
        // raise in numpy (zgetrf's info > 0) ...
        assert!(invert([
            [c(12, 14), c(-8, -15), c(-1, 13), c(14, -12), c(11, -7)],
            [c(10, -10), c(-11, 7), c(10, 0), c(-10, -10), c(-6, -8)],
            [c(-14, -18), c(9, 19), c(2, -16), c(-18, 14), c(-14, 8)],
            [c(20, 0), c(-18, -4), c(10, 10), c(0, -20), c(2, -14)],
            [c(18, 16), c(-13, -18), c(1, 17), c(16, -18), c(13, -11)]
        ])
        .is_err());
        assert!(invert([
            [c(48, 0), c(-24, -32), c(26, -10), c(-51, 21), c(4, 0)],
            [c(-38, -2), c(4, 42), c(-10, 2), c(36, -14), c(-10, -18)],
            [c(10, 9), c(-41, -33), c(28, 39), c(-27, -10), c(23, -5)],
            [c(-30, 37), c(67, 18), c(0, -15), c(40, -39), c(22, 16)],
            [c(-13, 1), c(-28, 1), c(29, 25), c(7, 1), c(27, 7)]
        ])
        .is_err());
        assert!(invert([
            [c(4, 2), c(-3, 4), c(4, -2), c(-2, 5), c(4, -4)],
            [c(18, 4), c(-8, 19), c(14, -12), c(-3, 22), c(12, -20)],
            [c(-16, 2), c(1, -18), c(-8, 14), c(-4, -19), c(-4, 20)],
            [c(-18, 16), c(-14, -23), c(2, 24), c(-21, -20), c(12, 28)],
            [c(-22, 14), c(-11, -27), c(-2, 26), c(-19, -25), c(8, 32)]
        ])
        .is_err());
        // ... and these do not.
        assert!(invert([
            [c(10, 25), c(-31, -5), c(15, 23), c(9, 8)],
            [c(-15, 25), c(-16, -30), c(-10, 28), c(-1, 13)],
            [c(-5, 15), c(-12, -14), c(-2, 16), c(1, 7)],
            [c(15, 20), c(-29, 3), c(19, 17), c(10, 5)]
        ])
        .is_ok());
        assert!(invert([
            [c(-7, 1), c(4, 8), c(10, 0)],
            [c(-13, -1), c(4, 16), c(18, 4)],
            [c(0, 10), c(12, -4), c(2, -14)]
        ])
        .is_ok());
        assert!(invert([
            [c(-20, 12), c(7, -11), c(7, 23)],
            [c(12, -12), c(-3, 9), c(-9, -15)],
            [c(0, -12), c(3, 6), c(-12, -3)]
        ])
        .is_ok());
    }

    #[test]
    fn a_nan_pivot_is_not_a_zero_pivot() {
        // numpy: [[nan, nan], [0, 1]]; the NaN stays the pivot of column 0.
        let x = invert([[f64::NAN, 1.0], [0.0, 1.0]]).unwrap();
        assert!(x[0][0].is_nan() && x[0][1].is_nan());
        assert_eq!((x[1][0], x[1][1]), (0.0, 1.0));
        let n = c64::new(f64::NAN, 0.0);
        let x = invert([[n, c64::ONE], [c64::ZERO, c64::ONE]]).unwrap();
        assert_eq!((x[1][0], x[1][1]), (c64::ZERO, c64::ONE));
        // A zero pivot with a NaN below it is still singular (numpy raises).
        assert_eq!(invert([[0.0, 1.0], [f64::NAN, 1.0]]), Err(0));
    }

    #[test]
    fn an_infinite_pivot_gives_zero_multipliers() {
        // getf2 scales by 1/inf = 0 through `scal`, which writes zeros: numpy gives
        // inv([[inf, 0], [inf, 0]]) no NaN multiplier and raises at column 1.
        assert_eq!(invert([[f64::INFINITY, 0.0], [f64::INFINITY, 0.0]]), Err(1));
        let i = c64::new(f64::INFINITY, 0.0);
        assert_eq!(invert([[i, c64::ZERO], [i, c64::ZERO]]), Err(1));
    }

    #[test]
    fn complex_inverse() {
        let i = c64::new(0.0, 1.0);
        let o = c64::ONE;
        let x = invert([[o, i], [i, o]]).unwrap(); // inverse is [[1, -i], [-i, 1]] / 2
        assert!((x[0][1] - c64::new(0.0, -0.5)).norm() < 1e-16);
        assert!((x[1][1] - c64::new(0.5, 0.0)).norm() < 1e-16);
    }
}
