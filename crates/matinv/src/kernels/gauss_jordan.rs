//! Gauss-Jordan elimination with partial pivoting, in place, for real matrices of mid size
//! (n = 17..96 by default: above the lanes kernel's 16, up to
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
use crate::crew::{Crew, SharedSlice};
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
/// `a[rows[i] + j * n]`). `piv` and `rows` need `n` entries, `work` `steps * n` doubles.
/// On an exact zero pivot returns its column (and `a` holds garbage).
///
/// Steps go `steps` (1 to [`MAX_STEPS`]) at a time: each next pivot column of the group is
/// brought up to date through the group's earlier steps first, then one pass over the
/// matrix applies all of the group's rank-1 updates (`x - f t - h u - ...`, one fused
/// multiply-add per step in the order of single steps, so the same bits whatever `steps`
/// is), which divides the loads and stores per flop by `steps`.
#[inline(always)]
pub fn invert_in_place<S: Simd>(
    simd: S,
    a: &mut [f64],
    n: usize,
    piv: &mut [usize],
    rows: &mut [usize],
    work: &mut [f64],
    steps: usize,
) -> Result<(), ZeroPivot> {
    let a = &mut a[..n * n];
    let rows = &mut rows[..n];
    rows.iter_mut().enumerate().for_each(|(i, r)| *r = i);
    let steps = steps.clamp(1, MAX_STEPS);
    let mut k = 0;
    while k < n {
        match (n - k).min(steps) {
            3 => group::<S, 3>(simd, a, n, k, piv, rows, work)?,
            2 => group::<S, 2>(simd, a, n, k, piv, rows, work)?,
            _ => group::<S, 1>(simd, a, n, k, piv, rows, work)?,
        }
        k += (n - k).min(steps);
    }
    interchange_columns(a, n, piv);
    Ok(())
}

/// [`invert_in_place`] on the threads of `crew` (`threads` in all, which sets how passes
/// are cut and nothing of the result: the bits are [`invert_in_place`]'s). `work` needs
/// `2 * steps * n` doubles: the multipliers of two groups.
///
/// Each pass is cut into one piece of columns per thread, the same for the same thread at
/// every pass; this thread leads: it brings the next group's columns up to date first,
/// finishes the group's own columns and chooses the next group's pivots (into the other
/// half of `work`), then does its own, smaller piece (and any piece no helper took). So
/// the steps that one thread must take in order overlap the pass, and the threads meet
/// once per group of steps (about 1 us each on an AMD EPYC Zen 4, which is why
/// [`crate::ThreadParams::gauss_jordan_parallel_min_n`] is off by default).
#[inline(always)]
#[allow(clippy::too_many_arguments)] // (invert_in_place's, and the crew)
pub fn invert_in_place_with_crew<S: Simd>(
    simd: S,
    a: &mut [f64],
    n: usize,
    piv: &mut [usize],
    rows: &mut [usize],
    work: &mut [f64],
    steps: usize,
    crew: &Crew,
    threads: usize,
) -> Result<(), ZeroPivot> {
    let a = &mut a[..n * n];
    let rows = &mut rows[..n];
    rows.iter_mut().enumerate().for_each(|(i, r)| *r = i);
    let steps = steps.clamp(1, MAX_STEPS);
    if n == 0 {
        return Ok(());
    }
    let (mut this, mut next) = work[..2 * steps * n].split_at_mut(steps * n);
    let mut group = Chosen::choose(steps.min(n), a, n, 0, piv, rows, this)?;
    let shared = SharedSlice::new(a);
    loop {
        let (k, len) = (group.k, group.len);
        let (lead, lead_len) = (k + len, steps.min(n - k - len));
        // The pass's columns (all but the group's own and the next group's, which the
        // leading thread takes), numbered without that gap: the same piece of them for
        // the same thread at every pass (so that each column stays in one core's cache),
        // this thread's the first, made shorter by the leading work (about LEAD_COST
        // columns' worth per step); each helper takes one of the others.
        let gap = len + lead_len;
        let others = n - gap;
        let share = (others + LEAD_COST * lead_len).div_ceil(threads);
        let mine = share
            .saturating_sub(LEAD_COST * lead_len)
            .next_multiple_of(4)
            .min(others);
        let width = (others - mine).div_ceil(threads.max(2) - 1).max(1);
        let (g, multipliers) = (&group, &*this);
        let piece = |v0: usize, v1: usize| {
            for (c0, c1) in [(v0.min(k), v1.min(k)), (v0.max(k) + gap, v1.max(k) + gap)] {
                if c0 < c1 {
                    // SAFETY: pieces are disjoint column ranges outside `k..lead +
                    // lead_len`, the only columns the leading work touches; `a`
                    // outlives the crew's step.
                    let cols = unsafe { shared.range(c0 * n..c1 * n) };
                    simd.vectorize(Pass {
                        cols,
                        n,
                        group: g,
                        multipliers,
                    });
                }
            }
        };
        let chunk = |i: usize| piece(mine + i * width, (mine + (i + 1) * width).min(others));
        let leading = || {
            // SAFETY: columns `k..lead + lead_len`, which no chunk touches.
            let cols = unsafe { shared.range(k * n..(lead + lead_len) * n) };
            let chosen = simd.vectorize(Lead {
                cols,
                n,
                group: g,
                multipliers,
                lead_len,
                piv: &mut *piv,
                rows: &mut *rows,
                next: &mut *next,
            });
            piece(0, mine);
            chosen
        };
        match crew.run((others - mine).div_ceil(width), &chunk, leading)? {
            Some(chosen) => {
                group = chosen;
                core::mem::swap(&mut this, &mut next);
            }
            None => break,
        }
    }
    // SAFETY: the crew is done with `a`; this is the only reference.
    let a = unsafe { shared.range(0..n * n) };
    interchange_columns(a, n, piv);
    Ok(())
}

/// The row interchanges become column interchanges of the inverse, last first.
#[inline(always)]
fn interchange_columns(a: &mut [f64], n: usize, piv: &[usize]) {
    for k in (0..n).rev() {
        let p = piv[k];
        if p != k {
            let (lo, hi) = a.split_at_mut(p * n);
            lo[k * n..(k + 1) * n].swap_with_slice(&mut hi[..n]);
        }
    }
}

/// The leading work of a threaded pass, per step of the next group, in columns of the
/// pass: that column's update, choosing its pivot (a copy, the group's earlier steps, a
/// search, a scaling) and finishing it after its group.
const LEAD_COST: usize = 4;

/// A group of steps whatever its size (the last group may be short), for the threaded
/// elimination; its multipliers are the first `len` columns of a buffer.
#[derive(Clone, Copy)]
struct Chosen {
    k: usize,
    len: usize,
    r: [usize; MAX_STEPS],
    p: [Pivot; MAX_STEPS],
}

impl Chosen {
    /// [`choose`] for the `len` steps from `k`, multipliers into `work`.
    #[inline(always)]
    fn choose(
        len: usize,
        a: &[f64],
        n: usize,
        k: usize,
        piv: &mut [usize],
        rows: &mut [usize],
        work: &mut [f64],
    ) -> Result<Self, ZeroPivot> {
        match len {
            3 => Self::choose_by::<3>(a, n, k, piv, rows, work),
            2 => Self::choose_by::<2>(a, n, k, piv, rows, work),
            _ => Self::choose_by::<1>(a, n, k, piv, rows, work),
        }
    }

    #[inline(always)]
    fn choose_by<const M: usize>(
        a: &[f64],
        n: usize,
        k: usize,
        piv: &mut [usize],
        rows: &mut [usize],
        work: &mut [f64],
    ) -> Result<Self, ZeroPivot> {
        let mut bufs = work[..M * n].chunks_exact_mut(n);
        let mut bufs: [&mut [f64]; M] = core::array::from_fn(|_| bufs.next().unwrap());
        let (r, p) = choose(&a[..M * n], n, k, piv, rows, &mut bufs)?;
        let mut out = Self {
            k,
            len: M,
            r: [0; MAX_STEPS],
            p: [Pivot::new(1.0); MAX_STEPS],
        };
        out.r[..M].copy_from_slice(&r);
        out.p[..M].copy_from_slice(&p);
        Ok(out)
    }

    /// As a group of `M` steps, its multipliers in `work`.
    #[inline(always)]
    fn group<'m, const M: usize>(&self, work: &'m [f64], n: usize) -> Group<'m, M> {
        let mut m = work.chunks_exact(n);
        Group {
            r: core::array::from_fn(|i| self.r[i]),
            p: core::array::from_fn(|i| self.p[i]),
            m: core::array::from_fn(|_| m.next().unwrap()),
        }
    }
}

/// A chunk of a pass: the group's updates on the columns `cols`.
struct Pass<'a> {
    cols: &'a mut [f64],
    n: usize,
    group: &'a Chosen,
    multipliers: &'a [f64],
}

impl pulp::WithSimd for Pass<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Pass {
            cols,
            n,
            group,
            multipliers: w,
        } = self;
        match group.len {
            3 => update(simd, cols, n, &group.group::<3>(w, n)),
            2 => update(simd, cols, n, &group.group::<2>(w, n)),
            _ => update(simd, cols, n, &group.group::<1>(w, n)),
        }
    }
}

/// The leading thread's part of a pass, on `cols` (the group's own columns, then the next
/// group's `lead_len`): the next group's columns updated, the group's own finished, and the
/// next group chosen (None after the last group).
struct Lead<'a> {
    cols: &'a mut [f64],
    n: usize,
    group: &'a Chosen,
    multipliers: &'a [f64],
    lead_len: usize,
    piv: &'a mut [usize],
    rows: &'a mut [usize],
    next: &'a mut [f64],
}

impl pulp::WithSimd for Lead<'_> {
    type Output = Result<Option<Chosen>, ZeroPivot>;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Self::Output {
        let Lead {
            cols,
            n,
            group,
            multipliers: w,
            lead_len,
            piv,
            rows,
            next,
        } = self;
        let (own, lead) = cols.split_at_mut(group.len * n);
        match group.len {
            3 => {
                let g = group.group::<3>(w, n);
                update(simd, lead, n, &g);
                finish(own, n, &g);
            }
            2 => {
                let g = group.group::<2>(w, n);
                update(simd, lead, n, &g);
                finish(own, n, &g);
            }
            _ => {
                let g = group.group::<1>(w, n);
                update(simd, lead, n, &g);
                finish(own, n, &g);
            }
        }
        if lead_len == 0 {
            return Ok(None);
        }
        let k = group.k + group.len;
        Chosen::choose(lead_len, lead, n, k, piv, rows, next).map(Some)
    }
}

/// The most pivot steps one pass applies. (Four, written the same way, were 1.0-1.65x
/// slower than two at n = 12..128 on an AMD EPYC Zen 4: their pass kept its pointers on
/// the stack; two columns at a time, no faster than three steps;
/// bench/results/issue29-gauss-jordan-steps.txt.)
pub const MAX_STEPS: usize = 3;

/// The steps per pass [`crate::KernelParams::gauss_jordan_steps`]' 0 picks for order `n`:
/// three (fewer passes through L2) once the matrix outgrows L1, two before.
pub fn default_steps(n: usize) -> usize {
    if n > 64 {
        3
    } else {
        2
    }
}

/// The `M` steps from `k`: their pivots, multipliers (in `work`, indexed as `a`'s columns
/// are, by where rows are stored) and rows, then one pass over the matrix.
#[inline(always)]
fn group<S: Simd, const M: usize>(
    simd: S,
    a: &mut [f64],
    n: usize,
    k: usize,
    piv: &mut [usize],
    rows: &mut [usize],
    work: &mut [f64],
) -> Result<(), ZeroPivot> {
    let mut bufs = work[..M * n].chunks_exact_mut(n);
    let mut bufs: [&mut [f64]; M] = core::array::from_fn(|_| bufs.next().unwrap());
    let (r, p) = choose(&a[k * n..(k + M) * n], n, k, piv, rows, &mut bufs)?;
    let g = Group {
        r,
        p,
        m: bufs.map(|b| -> &[f64] { b }),
    };
    update(simd, a, n, &g);
    finish(&mut a[k * n..(k + M) * n], n, &g);
    Ok(())
}

/// The pivots of the `M` steps from `k`, whose columns are `cols` (as the steps before
/// left them): each column brought up to date through the group's earlier steps, its pivot
/// row chosen (recorded in `piv`, `rows` interchanged), its multipliers left in `bufs`.
#[inline(always)]
fn choose<const M: usize>(
    cols: &[f64],
    n: usize,
    k: usize,
    piv: &mut [usize],
    rows: &mut [usize],
    bufs: &mut [&mut [f64]; M],
) -> Result<([usize; M], [Pivot; M]), ZeroPivot> {
    let mut r = [0usize; M];
    let mut p = [Pivot::new(1.0); M];
    for j in 0..M {
        let (done, rest) = bufs.split_at_mut(j);
        let v = &mut *rest[0];
        // Column k + j as the group's earlier steps leave it, its pivot, its multipliers
        // (scaled as LU scales them, rather than the pivot row, so that an overflow stays in
        // the rows whose inverse overflows; zero in the pivot row, which the pass leaves
        // alone).
        v.copy_from_slice(&cols[j * n..(j + 1) * n]);
        for i in 0..j {
            apply_step(v, &*done[i], r[i], p[i]);
        }
        let pr = pivot_row(v, rows, k + j);
        piv[k + j] = pr;
        rows.swap(k + j, pr);
        r[j] = rows[k + j];
        let d = v[r[j]];
        if d == 0.0 {
            return Err(k + j);
        }
        p[j] = Pivot::new(d);
        v.iter_mut().for_each(|x| *x = p[j].scale(*x));
        v[r[j]] = 0.0;
    }
    Ok((r, p))
}

/// The group's own columns `cols` after it: column k + j after its own step is
/// (-multipliers, 1/d in its pivot row); the group's later steps then update it as any
/// column. (What the pass left in them is overwritten.)
#[inline(always)]
fn finish<const M: usize>(cols: &mut [f64], n: usize, g: &Group<'_, M>) {
    for j in 0..M {
        let col = &mut cols[j * n..(j + 1) * n];
        for (x, &f) in col.iter_mut().zip(g.m[j]) {
            *x = 0.0 - f;
        }
        col[g.r[j]] = 1.0 / g.p[j].d;
        for i in j + 1..M {
            apply_step(col, g.m[i], g.r[i], g.p[i]);
        }
    }
}

/// One step (pivot row stored at `r`, multipliers `f`) on one column, as a single step
/// would apply it.
#[inline(always)]
fn apply_step(col: &mut [f64], f: &[f64], r: usize, p: Pivot) {
    let t = col[r];
    for (x, &m) in col.iter_mut().zip(f) {
        *x = (-m).mul_add(t, *x);
    }
    // The pivot row is scaled last (and 0 * inf would have made it NaN).
    col[r] = p.scale(t);
}

/// A group's pivot rows (where stored), pivots and multipliers.
struct Group<'m, const M: usize> {
    r: [usize; M],
    p: [Pivot; M],
    m: [&'m [f64]; M],
}

impl<const M: usize> Group<'_, M> {
    /// A column's pivot-row entries: `t[i]`, row `r[i]`'s entry before step `i` (what the
    /// step multiplies its multipliers by), and `fin[i]`, the same row after the group.
    #[allow(clippy::needless_range_loop)] // (indices into several small arrays at once)
    #[inline(always)]
    fn entries(&self, col: &[f64]) -> ([f64; M], [f64; M]) {
        let mut v = [0.0; M];
        for i in 0..M {
            v[i] = col[self.r[i]];
        }
        let mut t = [0.0; M];
        for i in 0..M {
            t[i] = v[i];
            for j in 0..M {
                if j != i {
                    v[j] = (-self.m[i][self.r[j]]).mul_add(t[i], v[j]);
                }
            }
            v[i] = self.p[i].scale(t[i]);
        }
        (t, v)
    }
}

/// The group's rank-1 updates on every column (its own columns too, overwritten by the
/// caller), `C` columns at a time so that each vector of multipliers is loaded once for
/// `C` columns: four when their `4 M` pivot-row entries fit the registers with the
/// multipliers (always with AVX-512's 32), else two.
#[inline(always)]
fn update<S: Simd, const M: usize>(simd: S, a: &mut [f64], n: usize, g: &Group<'_, M>) {
    if M <= 2 || core::mem::size_of::<S::f64s>() >= 64 {
        update_by::<S, M, 4>(simd, a, n, g);
    } else {
        update_by::<S, M, 2>(simd, a, n, g);
    }
}

#[allow(clippy::needless_range_loop)] // (indices into several small arrays at once)
#[inline(always)]
fn update_by<S: Simd, const M: usize, const C: usize>(
    simd: S,
    a: &mut [f64],
    n: usize,
    g: &Group<'_, M>,
) {
    // Every slice cut to the same lengths, so that the loops' indexing needs no checks.
    let (lv, lt) = (n / S::F64_LANES, n % S::F64_LANES);
    let fv: [&[S::f64s]; M] = g.m.map(|m| &S::as_simd_f64s(m).0[..lv]);
    let ft: [&[f64]; M] = g.m.map(|m| &S::as_simd_f64s(m).1[..lt]);
    let mut blocks = a.chunks_exact_mut(C * n);
    for block in &mut blocks {
        let mut cols = block.chunks_exact_mut(n);
        let mut cols: [&mut [f64]; C] = core::array::from_fn(|_| cols.next().unwrap());
        // (Plain loops, not `array::from_fn` or `map`: a closure compiled outside pulp's
        // target features would call libm's fma and pass vectors through memory.)
        let mut e = [([0.0; M], [0.0; M]); C];
        let mut t = [[simd.splat_f64s(0.0); M]; C];
        for c in 0..C {
            e[c] = g.entries(&*cols[c]);
            for s in 0..M {
                t[c][s] = simd.splat_f64s(e[c].0[s]);
            }
        }
        {
            let mut parts = cols.each_mut().map(|c| S::as_mut_simd_f64s(c));
            let xv = parts.each_mut().map(|(v, _)| &mut v[..lv]);
            for i in 0..lv {
                let mut f = [simd.splat_f64s(0.0); M];
                for s in 0..M {
                    f[s] = fv[s][i];
                }
                for c in 0..C {
                    let x = &mut xv[c][i];
                    for s in 0..M {
                        *x = simd.negate_mul_add_f64s(f[s], t[c][s], *x);
                    }
                }
            }
            let xt = parts.each_mut().map(|(_, v)| &mut v[..lt]);
            for i in 0..lt {
                for c in 0..C {
                    let x = &mut xt[c][i];
                    for s in 0..M {
                        *x = (-ft[s][i]).mul_add(e[c].0[s], *x);
                    }
                }
            }
        }
        for c in 0..C {
            for s in 0..M {
                cols[c][g.r[s]] = e[c].1[s];
            }
        }
    }
    for col in blocks.into_remainder().chunks_exact_mut(n) {
        let (t, fin) = g.entries(col);
        let mut tv = [simd.splat_f64s(0.0); M];
        for s in 0..M {
            tv[s] = simd.splat_f64s(t[s]);
        }
        let (xv, xt) = S::as_mut_simd_f64s(col);
        for (i, x) in xv[..lv].iter_mut().enumerate() {
            for s in 0..M {
                *x = simd.negate_mul_add_f64s(fv[s][i], tv[s], *x);
            }
        }
        for (i, x) in xt[..lt].iter_mut().enumerate() {
            for s in 0..M {
                *x = (-ft[s][i]).mul_add(t[s], *x);
            }
        }
        for s in 0..M {
            col[g.r[s]] = fin[s];
        }
    }
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

    /// The inverse, its rows read through the kernel's row map, `steps` steps per pass.
    fn invert_by<S: Simd>(
        simd: S,
        a: &[f64],
        n: usize,
        steps: usize,
    ) -> Result<Vec<f64>, ZeroPivot> {
        let (mut x, mut f) = (a.to_vec(), vec![0.0; steps * n]);
        let (mut piv, mut rows) = (vec![0; n], vec![0; n]);
        invert_in_place(simd, &mut x, n, &mut piv, &mut rows, &mut f, steps)?;
        Ok((0..n * n).map(|e| x[rows[e % n] + e / n * n]).collect())
    }

    /// [`invert_by`] on a crew of `helpers` threads beside this one, passes cut for
    /// `threads`.
    fn invert_threaded<S: Simd>(
        simd: S,
        a: &[f64],
        n: usize,
        steps: usize,
        helpers: usize,
        threads: usize,
    ) -> Result<Vec<f64>, ZeroPivot> {
        let (mut x, mut f) = (a.to_vec(), vec![0.0; 2 * steps * n]);
        let (mut piv, mut rows) = (vec![0; n], vec![0; n]);
        crate::crew::with_helpers(helpers, |crew| {
            invert_in_place_with_crew(
                simd, &mut x, n, &mut piv, &mut rows, &mut f, steps, crew, threads,
            )
        })?;
        Ok((0..n * n).map(|e| x[rows[e % n] + e / n * n]).collect())
    }

    /// A result's bits. NaN is NaN: which of two NaN operands an instruction passes on (and
    /// so a NaN's sign) is the compiler's choice of operand order, not the arithmetic's.
    fn bits(r: &Result<Vec<f64>, ZeroPivot>) -> Result<Vec<u64>, ZeroPivot> {
        r.as_ref()
            .map(|x| {
                x.iter()
                    .map(|v| if v.is_nan() { f64::NAN } else { *v }.to_bits())
                    .collect()
            })
            .map_err(|&k| k)
    }

    /// The inverse with the most steps per pass, after checking that every other number of
    /// steps per pass, and the threaded elimination (crews of one to three threads, passes
    /// cut for two to five), give the same bits (or the same zero pivot).
    fn invert<S: Simd>(simd: S, a: &[f64], n: usize) -> Result<Vec<f64>, ZeroPivot> {
        let x = invert_by(simd, a, n, MAX_STEPS);
        for steps in 1..=MAX_STEPS {
            if steps < MAX_STEPS {
                let y = invert_by(simd, a, n, steps);
                assert_eq!(bits(&x), bits(&y), "n = {n}: {steps} steps per pass differ");
            }
            for (helpers, threads) in [(0, 2), (1, 2), (1, 5), (2, 3)] {
                let y = invert_threaded(simd, a, n, steps, helpers, threads);
                assert_eq!(
                    bits(&x),
                    bits(&y),
                    "n = {n}, {steps} steps: threaded ({helpers} helpers, {threads}) differs"
                );
            }
        }
        x
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
        // Special entries, ties and exact cancellations, with stops at every place in a
        // group of steps: every number of steps per pass gives the same bits or stops at
        // the same step (`invert` checks), whatever the values.
        for n in [3, 6, 9, 17, 24] {
            for seed in 0..24u64 {
                let mut a = matrix(n, seed + 10, if seed % 3 == 0 { 0.0 } else { 2.0 });
                // Small integers (exact arithmetic, ties, exact zero pivots), rank-deficient
                // by a column that sums two others.
                if seed % 4 == 1 {
                    a.iter_mut().for_each(|v| *v = (*v * 3.0).round());
                    let (c, d) = ((seed as usize) % n, (seed as usize / 2 + 1) % n);
                    let e = (c + d + 1) % n;
                    if c != e && d != e {
                        for i in 0..n {
                            a[i + e * n] = a[i + c * n] + a[i + d * n];
                        }
                    }
                }
                let at = |i: u64| {
                    (seed.wrapping_mul(2654435761).wrapping_add(i * 40503)) as usize % (n * n)
                };
                match seed % 6 {
                    0 => a[at(1)] = f64::NAN,
                    2 => a[at(2)] = f64::INFINITY,
                    3 => a[at(3)] = -0.0,
                    4 => a[at(4)] = 1e-310,
                    _ => {}
                }
                let _ = invert(simd, &a, n);
            }
        }
        // A zero column is an exact zero pivot at its step (getrf's info - 1), at every
        // place in a group of three steps and of two.
        for (n, zero) in [
            (9, 0),
            (9, 4),
            (20, 19),
            (33, 7),
            (9, 1),
            (13, 2),
            (10, 5),
            (11, 6),
        ] {
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
