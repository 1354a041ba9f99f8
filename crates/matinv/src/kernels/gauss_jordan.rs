//! Gauss-Jordan elimination with partial pivoting, in place, for real matrices of mid size
//! (n = 17..64 by default: above the lanes kernel's 16, up to
//! [`crate::KernelParams::gauss_jordan_max_n`]) stored column-major.
//!
//! Each step is one rank-1 update of the whole matrix, column by column: long contiguous
//! vector loops (pulp's SIMD types, fused multiply-adds) where the LU-based kernel spends its
//! time in short, shrinking ones. Same 2 n^3 flops as getrf + getri. The elimination below
//! the diagonal is exactly right-looking LU's (multipliers scaled as getf2 scales them), so
//! the pivots, and LAPACK's singularity rule (an exact zero pivot), are those of getf2
//! evaluated right-looking. Its residuals `||I - X A||` measured no worse than numpy's
//! (LAPACK's criterion at condition numbers up to 1e16, n = 9..128).
//!
//! Row interchanges are not carried out: a map from each (interchanged) row to where it
//! is stored is kept instead, every step addresses its pivot rows through it, and the
//! caller reads the inverse's rows through it (its copy to the output reads across the
//! column-major matrix anyway). Every entry sees the same operations as with the rows
//! moved, so the bits are the same; what goes is a strided pass over the whole matrix per
//! step (stacks of Gaussian matrices, n = 24..64, which interchange at nearly every step,
//! took 1.14-1.25x the time of diagonally dominant ones that never do:
//! bench/results/issue28-gauss-jordan-row-map.txt).

use super::ZeroPivot;
use pulp::Simd;

/// `x / d` for the multipliers of pivot `d`: by the reciprocal unless that would overflow,
/// then by division (as getf2).
#[derive(Clone, Copy)]
struct Pivot {
    d: f64,
    r: f64,
    tiny: bool,
}

impl Pivot {
    #[inline(always)]
    fn new(d: f64) -> Self {
        Self {
            d,
            r: 1.0 / d,
            tiny: d.abs() < f64::MIN_POSITIVE,
        }
    }
    #[inline(always)]
    fn scale(self, x: f64) -> f64 {
        if self.tiny {
            x / self.d
        } else {
            x * self.r
        }
    }
}

/// i?amax below row `k`: the first entry of largest magnitude on or below the diagonal,
/// rows in their interchanged order, row `i` stored at `col[rows[i]]` (with a NaN among
/// them, [`super::amax`]'s choice; a NaN pivot is not a zero one).
#[inline(always)]
fn pivot_row(col: &[f64], rows: &[usize], k: usize) -> usize {
    k + super::amax(rows.len() - k, false, |i| col[rows[k + i]].abs())
}

/// Inverts the column-major `n x n` matrix `a` in place, but for the order of its rows:
/// on success row `i` of the inverse is row `rows[i]` of `a` (entry `(i, j)` at
/// `a[rows[i] + j * n]`). `piv` and `rows` need `n` entries, `work` `2 n` doubles. On an
/// exact zero pivot returns its column (and `a` holds garbage).
///
/// Steps go two at a time: the second step's pivot column is brought up to date first, then
/// one pass over the matrix applies both rank-1 updates (`x - f t - h u`, two fused
/// multiply-adds in the order of two single steps, so the same bits), which halves the
/// loads and stores per flop.
#[inline(always)]
pub fn invert_in_place<S: Simd>(
    simd: S,
    a: &mut [f64],
    n: usize,
    piv: &mut [usize],
    rows: &mut [usize],
    work: &mut [f64],
) -> Result<(), ZeroPivot> {
    let a = &mut a[..n * n];
    let rows = &mut rows[..n];
    rows.iter_mut().enumerate().for_each(|(i, r)| *r = i);
    // Below, `f` and `h` are indexed as `a`'s columns are, by where rows are stored.
    let (f, h) = work[..2 * n].split_at_mut(n);
    let mut k = 0;
    while k < n {
        let p = pivot_row(&a[k * n..(k + 1) * n], rows, k);
        piv[k] = p;
        rows.swap(k, p);
        let rk = rows[k];
        let d = a[rk + k * n];
        if d == 0.0 {
            return Err(k);
        }
        // The multipliers, scaled as LU scales them (rather than the pivot row, so that an
        // overflow stays in the rows whose inverse overflows), zero in the pivot row so
        // that the update leaves it alone.
        let pk = Pivot::new(d);
        f.copy_from_slice(&a[k * n..(k + 1) * n]);
        f.iter_mut().for_each(|x| *x = pk.scale(*x));
        f[rk] = 0.0;
        if k + 1 == n {
            single_step(simd, a, n, k, rk, pk, f);
            break;
        }
        // Column k + 1 after step k, its pivot, and step k + 1's multipliers.
        let k1 = k + 1;
        let t = a[rk + k1 * n];
        for ((g, &m), &x) in h.iter_mut().zip(f.iter()).zip(&a[k1 * n..(k1 + 1) * n]) {
            *g = (-m).mul_add(t, x);
        }
        h[rk] = pk.scale(t);
        let p1 = pivot_row(h, rows, k1);
        piv[k1] = p1;
        // Rows k + 1 and p1 (neither is row k) trade places.
        rows.swap(k1, p1);
        let rk1 = rows[k1];
        let d1 = h[rk1];
        if d1 == 0.0 {
            return Err(k1);
        }
        let pk1 = Pivot::new(d1);
        h.iter_mut().for_each(|x| *x = pk1.scale(*x));
        h[rk1] = 0.0;
        double_step(simd, a, n, [k, k1], [rk, rk1], [pk, pk1], f, h);
        k += 2;
    }
    // The row interchanges become column interchanges of the inverse, last first.
    for k in (0..n).rev() {
        let p = piv[k];
        if p != k {
            let (lo, hi) = a.split_at_mut(p * n);
            lo[k * n..(k + 1) * n].swap_with_slice(&mut hi[..n]);
        }
    }
    Ok(())
}

/// Step `k` alone (the last one when `n` is odd); its pivot row is stored at `rk`.
#[inline(always)]
fn single_step<S: Simd>(
    simd: S,
    a: &mut [f64],
    n: usize,
    k: usize,
    rk: usize,
    pk: Pivot,
    f: &[f64],
) {
    let (fv, ft) = S::as_simd_f64s(f);
    for col in a.chunks_exact_mut(n) {
        let t = col[rk];
        let tv = simd.splat_f64s(t);
        let (xv, xt) = S::as_mut_simd_f64s(col);
        for (x, &m) in xv.iter_mut().zip(fv) {
            *x = simd.negate_mul_add_f64s(m, tv, *x);
        }
        for (x, &m) in xt.iter_mut().zip(ft) {
            *x = (-m).mul_add(t, *x);
        }
        // The pivot row is scaled last (and 0 * inf would have made it NaN).
        col[rk] = pk.scale(t);
    }
    let col = &mut a[k * n..(k + 1) * n];
    for (x, &m) in col.iter_mut().zip(f) {
        *x = 0.0 - m;
    }
    col[rk] = 1.0 / pk.d;
}

/// Steps `k` and `k + 1` (`[k, k1]`) in one pass: their pivot rows are stored at
/// `[rk, rk1]`, `f`, `h` are their multipliers (zero in their own pivot rows).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn double_step<S: Simd>(
    simd: S,
    a: &mut [f64],
    n: usize,
    [k, k1]: [usize; 2],
    [rk, rk1]: [usize; 2],
    [pk, pk1]: [Pivot; 2],
    f: &[f64],
    h: &[f64],
) {
    let (fv, ft) = S::as_simd_f64s(f);
    let (hv, ht) = S::as_simd_f64s(h);
    // Each column's two pivot-row entries: row k's, and row k + 1's after step k.
    let pair = |col: &[f64]| {
        let t = col[rk];
        (t, (-f[rk1]).mul_add(t, col[rk1]))
    };
    // The pivot rows' final values (and 0 * inf in the pass would have made them NaN).
    let finish = |col: &mut [f64], (t, u): (f64, f64)| {
        col[rk] = (-h[rk]).mul_add(u, pk.scale(t));
        col[rk1] = pk1.scale(u);
    };
    // Every column, columns k and k + 1 included (overwritten below), four at a time so
    // that each vector of multipliers is loaded once for four columns (two at a time, the
    // loop made 4 loads and 2 stores per 4 fused multiply-adds).
    let mut blocks = a.chunks_exact_mut(4 * n);
    for block in &mut blocks {
        let (c01, c23) = block.split_at_mut(2 * n);
        let (c0, c1) = c01.split_at_mut(n);
        let (c2, c3) = c23.split_at_mut(n);
        let p = [pair(c0), pair(c1), pair(c2), pair(c3)];
        let t = p.map(|(t, _)| simd.splat_f64s(t));
        let u = p.map(|(_, u)| simd.splat_f64s(u));
        let (x0, y0) = S::as_mut_simd_f64s(c0);
        let (x1, y1) = S::as_mut_simd_f64s(c1);
        let (x2, y2) = S::as_mut_simd_f64s(c2);
        let (x3, y3) = S::as_mut_simd_f64s(c3);
        let xs = x0
            .iter_mut()
            .zip(x1.iter_mut())
            .zip(x2.iter_mut())
            .zip(x3.iter_mut());
        for (((((x0, x1), x2), x3), &fm), &hm) in xs.zip(fv).zip(hv) {
            let step = |x: &mut S::f64s, c: usize| {
                *x = simd.negate_mul_add_f64s(hm, u[c], simd.negate_mul_add_f64s(fm, t[c], *x));
            };
            step(x0, 0);
            step(x1, 1);
            step(x2, 2);
            step(x3, 3);
        }
        let ys = y0
            .iter_mut()
            .zip(y1.iter_mut())
            .zip(y2.iter_mut())
            .zip(y3.iter_mut());
        for (((((x0, x1), x2), x3), &fm), &hm) in ys.zip(ft).zip(ht) {
            let step =
                |x: &mut f64, c: usize| *x = (-hm).mul_add(p[c].1, (-fm).mul_add(p[c].0, *x));
            step(x0, 0);
            step(x1, 1);
            step(x2, 2);
            step(x3, 3);
        }
        finish(c0, p[0]);
        finish(c1, p[1]);
        finish(c2, p[2]);
        finish(c3, p[3]);
    }
    for col in blocks.into_remainder().chunks_exact_mut(n) {
        let p0 = pair(col);
        let (t0, u0) = (simd.splat_f64s(p0.0), simd.splat_f64s(p0.1));
        let (x0, y0) = S::as_mut_simd_f64s(col);
        for ((x0, &fm), &hm) in x0.iter_mut().zip(fv).zip(hv) {
            *x0 = simd.negate_mul_add_f64s(hm, u0, simd.negate_mul_add_f64s(fm, t0, *x0));
        }
        for ((x0, &fm), &hm) in y0.iter_mut().zip(ft).zip(ht) {
            *x0 = (-hm).mul_add(p0.1, (-fm).mul_add(p0.0, *x0));
        }
        finish(col, p0);
    }
    // Column k after step k is (-f, 1/d in row k); step k + 1 then updates it as any column.
    let u = 0.0 - f[rk1];
    let col = &mut a[k * n..(k + 1) * n];
    for (i, (x, (&fm, &hm))) in col.iter_mut().zip(f.iter().zip(h)).enumerate() {
        let e = if i == rk { 1.0 / pk.d } else { 0.0 - fm };
        *x = (-hm).mul_add(u, e);
    }
    col[rk1] = pk1.scale(u);
    // Column k + 1 is step k + 1's own: (-h, 1/d in row k + 1).
    let col = &mut a[k1 * n..(k1 + 1) * n];
    for (x, &hm) in col.iter_mut().zip(h) {
        *x = 0.0 - hm;
    }
    col[rk1] = 1.0 / pk1.d;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::lu_getri;

    use crate::kernels::test_matrix as matrix;

    /// LAPACK's criterion `||I - X A||_1 / (n ||A||_1 ||X||_1 eps)`.
    fn criterion(a: &[f64], x: &[f64], n: usize) -> f64 {
        let norm1 = |m: &[f64]| {
            m.chunks_exact(n)
                .map(|c| c.iter().map(|v| v.abs()).sum::<f64>())
                .fold(0.0, f64::max)
        };
        let mut r = vec![0.0; n * n];
        for j in 0..n {
            for i in 0..n {
                let s: f64 = (0..n).map(|k| x[i + k * n] * a[k + j * n]).sum();
                r[i + j * n] = if i == j { 1.0 - s } else { -s };
            }
        }
        norm1(&r) / (n as f64 * norm1(a) * norm1(x) * f64::EPSILON)
    }

    /// The inverse, its rows read through the kernel's row map.
    fn invert<S: Simd>(simd: S, a: &[f64], n: usize) -> Result<Vec<f64>, ZeroPivot> {
        let (mut x, mut f) = (a.to_vec(), vec![0.0; 2 * n]);
        let (mut piv, mut rows) = (vec![0; n], vec![0; n]);
        invert_in_place(simd, &mut x, n, &mut piv, &mut rows, &mut f)?;
        Ok((0..n * n).map(|e| x[rows[e % n] + e / n * n]).collect())
    }

    struct Check;
    impl pulp::WithSimd for Check {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) {
            check(simd);
        }
    }

    fn check<S: Simd>(simd: S) {
        // Every block shape (4 columns and remainders, whole vectors and tails), from well
        // to badly conditioned (a small diagonal shift makes random matrices ill-conditioned).
        for n in [1, 2, 5, 9, 12, 13, 31, 32, 33, 64, 97] {
            for (seed, diag) in [(1, 4.0), (2, 0.0), (3, 1e-9), (4, 0.5)] {
                let a = matrix(n, seed, diag);
                let x = invert(simd, &a, n).unwrap();
                let c = criterion(&a, &x, n);
                assert!(c < 30.0, "n = {n}, seed {seed}: criterion {c}");
                // And close to the LU-based kernel's inverse (same pivots, other order).
                let (mut y, mut piv, mut work) = (a.clone(), vec![0; n], vec![0.0; 2 * n]);
                lu_getri::invert_in_place(&mut y, n, &mut piv, &mut work).unwrap();
                let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                let diff = x
                    .iter()
                    .zip(&y)
                    .fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
                assert!(
                    diff <= 1e-6 * scale,
                    "n = {n}: differs by {diff} (scale {scale})"
                );
            }
        }
        // A zero column is an exact zero pivot at its step (getrf's info - 1).
        for (n, zero) in [(9, 0), (9, 4), (20, 19), (33, 7)] {
            let mut a = matrix(n, 7, 4.0);
            a[zero * n..(zero + 1) * n].fill(0.0);
            assert_eq!(invert(simd, &a, n), Err(zero), "n = {n}");
        }
        // A pivot whose reciprocal overflows (1e-310) is divided by, as getf2 does: the
        // multipliers below it stay finite (x / d, not x * inf), so the inverse is infinite
        // only where the LU-based kernel's is, and finite entries agree.
        let n = 10;
        let mut a = matrix(n, 9, 4.0);
        a[..n].iter_mut().for_each(|v| *v *= 1e-310);
        let x = invert(simd, &a, n).unwrap();
        let (mut y, mut piv, mut work) = (a.clone(), vec![0; n], vec![0.0; 2 * n]);
        lu_getri::invert_in_place(&mut y, n, &mut piv, &mut work).unwrap();
        assert!(x.iter().any(|v| v.is_finite()) && x.iter().any(|v| !v.is_finite()));
        for (p, q) in x.iter().zip(&y) {
            assert_eq!(p.is_finite(), q.is_finite());
            if p.is_finite() {
                assert!((p - q).abs() <= 1e-12 * q.abs().max(1.0), "{p} against {q}");
            }
        }
    }

    #[test]
    fn inverts_accurately_on_every_instruction_set() {
        pulp::Arch::new().dispatch(Check);
        check(pulp::Scalar::new());
    }
}
