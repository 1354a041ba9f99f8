//! Blocked Gauss-Jordan inversion for large matrices, in place, on a row-major matrix:
//! almost all of its 2 n^3 flops are one matrix product per block of columns with the
//! whole matrix as destination, the shape faer's GEMM runs fastest, split into column
//! chunks that run one per thread.
//!
//! Gauss-Jordan elimination with partial pivoting, `b` columns at a time. For the block of
//! columns `k0..k1`, write the block's columns as `[P0; P1; P2]` (rows above, on and below
//! its pivot rows `k0..k1`):
//!
//! 1. LU with partial pivoting of `[P1; P2]` (faer's recursive LU, on a column-major copy)
//!    chooses the pivots, as getrf would at this step; the row interchanges are applied to
//!    the whole rows.
//! 2. Eliminating the block turns its columns into `[-P0 inv(P1); inv(P1); -P2 inv(P1)]`,
//!    computed from the factors: `inv(P1) = inv(U1) inv(L1)`, `-P2 inv(P1) = -L2 inv(L1)`.
//! 3. Every other column `c` is multiplied by the same elimination matrix, which differs
//!    from the identity only in the block's columns (the new ones above): `A[:, c] +=
//!    A[:, k0..k1] A[k0..k1, c]` after the pivot rows `A[k0..k1, c]` are set aside and
//!    zeroed.
//!
//! Steps 1 and 2 of the next block need only its own columns, so with several threads they
//! run while the others do step 3 on the remaining columns (look-ahead).
//!
//! At the end `X = inv(P A)` for the row interchanges `P`, and `inv(A) = X P`: the
//! interchanges are undone on the columns, last first. The pivots (and so the exact zero
//! pivot that LAPACK calls singular) are those of right-looking blocked LU.

use crate::alloc::zeros;
use crate::crew::{Crew, SharedSlice};
use crate::element::Field;
use crate::kernels::ZeroPivot;
use crate::Error;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::factor as plu;
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::linalg::triangular_inverse;
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{Accum, MatMut, MatRef, Par};

/// The block width for order `n`: wide enough for the product to run near GEMM speed,
/// narrow enough that the panel work (`2 n^2 b` of the `2 n^3` flops, in thinner
/// products, partly on one thread) stays small. Measured best (or within noise of it) on
/// 2 cores, real and complex: 16 at n = 64, 32 at 128..256, 64 at 512, 128 at 1024, 256 at
/// 2048 (128 and 256 even at 4096).
pub fn default_block(n: usize) -> usize {
    match n {
        0..=95 => 16,
        96..=383 => 32,
        384..=767 => 64,
        768..=1535 => 128,
        _ => 256,
    }
}

/// Scratch for [`invert_with_crew`] on matrices of order `n` in blocks of `block` columns.
pub struct Workspace<F: Field> {
    n: usize,
    block: usize,
    factors: Factors<F>,
    /// A block's pivot rows set aside during its update, row-major `b x n`.
    rows: Vec<F>,
    /// LAPACK-style pivots: step `k` interchanged rows `k` and `pivots[k]`.
    pivots: Vec<usize>,
}

/// What steps 1 and 2 of a block work in.
struct Factors<F: Field> {
    /// The block's columns, column-major `n x b`: LU works on rows `k0..`.
    panel: Vec<F>,
    /// `inv(U1)` and `inv(L1)` (with its unit diagonal and zero upper triangle), column-major
    /// `b x b`.
    inv_u: Vec<F>,
    inv_l: Vec<F>,
    perm: Vec<usize>,
    perm_inv: Vec<usize>,
    /// Scratch to turn faer's permutation back into interchanges.
    position: Vec<usize>,
    at: Vec<usize>,
    stack: MemBuffer,
}

impl<F: Field> Workspace<F> {
    /// Room for order `n` in blocks of `block` columns; fails rather than aborting when
    /// the memory cannot be had, faer's packing buffer for the calling thread's matrix
    /// products included (threads of a pool that [`invert_with_crew`] is to use need
    /// theirs reserved too; the crate's drivers do it).
    pub fn new(n: usize, block: usize) -> Result<Self, Error> {
        crate::kernels::gemm_buffer::reserve(Par::Seq)?;
        let b = block.clamp(1, n.max(1));
        let nb = n.checked_mul(b).ok_or(Error::TooLarge)?;
        let req = plu::lu_in_place_scratch::<usize, F>(n, b, Par::Seq, Default::default());
        Ok(Self {
            n,
            block: b,
            factors: Factors {
                panel: zeros(nb)?,
                inv_u: zeros(b * b)?,
                inv_l: zeros(b * b)?,
                perm: zeros(n)?,
                perm_inv: zeros(n)?,
                position: zeros(n)?,
                at: zeros(n)?,
                stack: MemBuffer::try_new(req).map_err(|_| Error::TooLarge)?,
            },
            rows: zeros(nb)?,
            pivots: zeros(n)?,
        })
    }

    /// The order this workspace was made for.
    pub fn order(&self) -> usize {
        self.n
    }
}

/// [`invert_with_crew`] with a crew of its own, the threads of `par` (the unit tests'
/// entry; the drivers bring their crew).
#[cfg(test)]
fn invert_in_place<F: Field>(
    x: &mut [F],
    par: Par,
    ws: &mut Workspace<F>,
) -> Result<(), ZeroPivot> {
    let threads = par.degree();
    crate::crew::with_helpers(threads - 1, |crew| invert_with_crew(x, crew, threads, ws))
}

/// Inverts the row-major `n x n` matrix `x` in place (`n` as given to the workspace) on
/// the threads of `crew` (`threads` in all, which alone sets how the work is cut, and so
/// nothing of the result); on an exact zero pivot returns its column, and `x` holds
/// garbage. Per block of columns, the calling
/// thread interchanges, updates and prepares the next block's columns while the crew (it
/// too, once done) interchanges and updates the other columns, in column chunks.
pub(crate) fn invert_with_crew<F: Field>(
    x: &mut [F],
    crew: &Crew,
    threads: usize,
    ws: &mut Workspace<F>,
) -> Result<(), ZeroPivot> {
    let (n, b) = (ws.n, ws.block);
    if n == 0 {
        return Ok(());
    }
    let Workspace {
        factors,
        rows,
        pivots,
        ..
    } = ws;
    let x = &mut x[..n * n];
    let first = b.min(n);
    let (a, rows) = (
        Shared::new(MatMut::from_row_major_slice_mut(x, n, n)),
        Shared::new(MatMut::from_row_major_slice_mut(rows, b, n)),
    );
    // SAFETY: no step runs: the first block's columns are this thread's alone.
    let first_block = unsafe { a.cols(0, first) };
    prepare(first_block, 0, factors, &mut pivots[..first])?;
    let mut k0 = 0;
    while k0 < n {
        let k1 = (k0 + b).min(n);
        let k2 = (k1 + b).min(n);
        let (before, after) = pivots.split_at_mut(k1);
        let (block_pivots, next_pivots) = (&before[k0..], &mut after[..k2 - k1]);
        // Columns: [left | block k0..k1 | next k1..k2 | right]; the block's are only read
        // during the step.
        let chunks = ColumnChunks::new([(0, k0), (k2, n)], threads);
        let eliminate = |mut cols: MatMut<'_, F>, rows: MatMut<'_, F>, block: MatRef<'_, F>| {
            swap_rows(cols.rb_mut(), k0, block_pivots);
            update(block, k0, cols, rows.get_mut(..k1 - k0, ..));
        };
        let work = |i: usize| {
            let (c0, c1) = chunks.get(i);
            // SAFETY: chunk `i`'s columns are claimed once per step, disjoint from the
            // other chunks' and from the next block's (`ColumnChunks` cuts `0..k0` and
            // `k2..n`), and the block's columns `k0..k1` are only read in the step.
            let (cols, rows, block) =
                unsafe { (a.cols(c0, c1), rows.cols(c0, c1), a.cols_ref(k0, k1)) };
            eliminate(cols, rows, block);
        };
        let prepared = crew.run(chunks.count(), &work, || {
            if k1 == n {
                return Ok(());
            }
            // SAFETY: the next block's columns `k1..k2`, which no chunk touches; the
            // block's read only (as above).
            let (mut next, rows_next, block) =
                unsafe { (a.cols(k1, k2), rows.cols(k1, k2), a.cols_ref(k0, k1)) };
            eliminate(next.rb_mut(), rows_next, block);
            prepare(next, k1, factors, next_pivots)
        });
        prepared?;
        k0 = k1;
    }
    undo_interchanges(x, n, pivots, crew, threads);
    Ok(())
}

/// inv(A) = inv(P A) P: the row interchanges become column interchanges, last first, in
/// chunks of rows on the crew.
fn undo_interchanges<F: Field>(
    x: &mut [F],
    n: usize,
    pivots: &[usize],
    crew: &Crew,
    threads: usize,
) {
    let pivots = &pivots[..n];
    // Matrices that needed no interchange (diagonally dominant ones, say) skip the pass
    // over the whole result (15 ms of 1.5 s at n = 4096).
    if pivots.iter().enumerate().all(|(k, &p)| p == k) {
        return;
    }
    let per_chunk = n.div_ceil(4 * threads).max(16);
    let x = SharedSlice::new(&mut x[..n * n]);
    let work = |i: usize| {
        let rows = i * per_chunk..((i + 1) * per_chunk).min(n);
        // SAFETY: chunk `i`'s rows, claimed once, disjoint from every other chunk's.
        let chunk = unsafe { x.range(rows.start * n..rows.end * n) };
        for row in chunk.chunks_exact_mut(n) {
            for k in (0..n).rev() {
                row.swap(k, pivots[k]);
            }
        }
    };
    crew.run(n.div_ceil(per_chunk), &work, || ());
}

/// A matrix whose column ranges the threads of a crew view at once (row-major or
/// column-major: any strides); see [`Shared::cols`].
#[derive(Clone, Copy)]
struct Shared<F> {
    ptr: *mut F,
    nrows: usize,
    ncols: usize,
    row_stride: isize,
    col_stride: isize,
}

// SAFETY: a `Shared` only carries the pointer of a matrix borrowed mutably for longer than
// the crew that uses it; every access goes through `cols`, whose callers keep the ranges
// they write disjoint.
unsafe impl<F: Send + Sync> Send for Shared<F> {}
// SAFETY: as above.
unsafe impl<F: Send + Sync> Sync for Shared<F> {}

impl<F: Field> Shared<F> {
    fn new(m: MatMut<'_, F>) -> Self {
        Self {
            nrows: m.nrows(),
            ncols: m.ncols(),
            row_stride: m.row_stride(),
            col_stride: m.col_stride(),
            ptr: m.as_ptr_mut(),
        }
    }

    /// Columns `c0..c1`, all rows.
    ///
    /// # Safety
    /// No other view of these columns may be used while this one is (nor written while a
    /// read-only use of this one lasts), and the matrix must outlive it.
    unsafe fn cols<'a>(self, c0: usize, c1: usize) -> MatMut<'a, F> {
        assert!(c0 <= c1 && c1 <= self.ncols);
        // SAFETY: in bounds (checked above; `ptr` is the matrix's first element, with its
        // strides), exclusive by the caller's contract.
        unsafe {
            MatMut::from_raw_parts_mut(
                self.ptr.wrapping_offset(c0 as isize * self.col_stride),
                self.nrows,
                c1 - c0,
                self.row_stride,
                self.col_stride,
            )
        }
    }

    /// Columns `c0..c1`, all rows, to read.
    ///
    /// # Safety
    /// Nothing may write these columns while this view is used, and the matrix must
    /// outlive it.
    unsafe fn cols_ref<'a>(self, c0: usize, c1: usize) -> MatRef<'a, F> {
        assert!(c0 <= c1 && c1 <= self.ncols);
        // SAFETY: in bounds (checked above), unwritten by the caller's contract.
        unsafe {
            MatRef::from_raw_parts(
                self.ptr.wrapping_offset(c0 as isize * self.col_stride),
                self.nrows,
                c1 - c0,
                self.row_stride,
                self.col_stride,
            )
        }
    }
}

/// Column chunks of two ranges of columns for `threads` threads, numbered, so that chunk
/// `i` is found without a list.
struct ColumnChunks {
    width: usize,
    /// (first column, columns, chunks) of each range.
    ranges: [(usize, usize, usize); 2],
}

impl ColumnChunks {
    fn new(ranges: [(usize, usize); 2], threads: usize) -> Self {
        let total: usize = ranges.iter().map(|&(c0, c1)| c1 - c0).sum();
        // A few chunks per thread, so that a thread busy elsewhere at first (look-ahead)
        // still finds work when it comes back, and none wider than MAX_WIDTH, so that the
        // threads finish a block close together (n = 4096: 3 chunks per thread took
        // 1.80 s, chunks of at most 384 columns 1.66 s; n = 1024 was best with 3 per
        // thread, 36 against 40 ms with 6); one thread takes each range whole.
        let width = match threads {
            0 | 1 => total.max(1),
            _ => total.div_ceil(3 * threads).clamp(MIN_WIDTH, MAX_WIDTH),
        };
        // `width` columns while at least `width + MIN_WIDTH` remain, then the rest in one
        // chunk (no chunk narrower than MIN_WIDTH: GEMM libraries switch to other kernels,
        // with other summation orders, for products one column wide, and a column's bits
        // must not depend on how it was cut); none from an empty range.
        let chunks = |len: usize| match len {
            0 => 0,
            _ if len < width + MIN_WIDTH => 1,
            _ => (len - MIN_WIDTH) / width + 1,
        };
        let ranges = ranges.map(|(c0, c1)| (c0, c1 - c0, chunks(c1 - c0)));
        Self { width, ranges }
    }

    fn count(&self) -> usize {
        self.ranges.iter().map(|r| r.2).sum()
    }

    /// The columns `c0..c1` of chunk `i < count()`.
    fn get(&self, i: usize) -> (usize, usize) {
        let [first, second] = self.ranges;
        let ((start, len, chunks), i) = match i < first.2 {
            true => (first, i),
            false => (second, i - first.2),
        };
        let c0 = start + i * self.width;
        (
            c0,
            if i + 1 == chunks {
                start + len
            } else {
                c0 + self.width
            },
        )
    }
}

/// The block's row interchanges (`pivots[k]` for row `k0 + k`) on the columns `cols`.
fn swap_rows<F: Field>(mut cols: MatMut<'_, F>, k0: usize, pivots: &[usize]) {
    for (k, &p) in (k0..).zip(pivots) {
        if p != k {
            faer::perm::swap_rows_idx(cols.rb_mut(), k, p);
        }
    }
}

/// Steps 1 and 2 for the block of columns `cols` (all rows; the block starts at column and
/// row `k0`): its pivots (into `pivots`, absolute row numbers) and its new columns, written
/// over the old. The rows outside the block are not interchanged yet.
fn prepare<F: Field>(
    cols: MatMut<'_, F>,
    k0: usize,
    f: &mut Factors<F>,
    pivots: &mut [usize],
) -> Result<(), ZeroPivot> {
    let (n, w) = (cols.nrows(), cols.ncols());
    let m = n - k0;
    let mut panel = MatMut::from_column_major_slice_mut(&mut f.panel[..n * w], n, w);
    copy_transposed(cols.rb(), panel.rb_mut());
    // One thread: faer's threaded LU was slower on these thin panels (n = 512..2048).
    plu::lu_in_place(
        panel.rb_mut().get_mut(k0.., ..),
        &mut f.perm[..m],
        &mut f.perm_inv[..m],
        Par::Seq,
        MemStack::new(&mut f.stack),
        Default::default(),
    );
    if let Some(j) = (0..w).find(|&j| panel[(k0 + j, j)].is_zero()) {
        return Err(k0 + j);
    }
    interchanges(&f.perm[..m], pivots, &mut f.position[..m], &mut f.at[..m]);
    pivots.iter_mut().for_each(|p| *p += k0);

    let panel = panel.rb();
    let (p0, rest) = panel.split_at_row(k0);
    let (lu1, l2) = rest.split_at_row(w);
    let mut inv_u = MatMut::from_column_major_slice_mut(&mut f.inv_u[..w * w], w, w);
    let mut inv_l = MatMut::from_column_major_slice_mut(&mut f.inv_l[..w * w], w, w);
    triangular_inverse::invert_upper_triangular(inv_u.rb_mut(), lu1, Par::Seq);
    triangular_inverse::invert_unit_lower_triangular(inv_l.rb_mut(), lu1, Par::Seq);
    // inv(L1) whole, so that -L2 inv(L1) is a plain product (twice the flops of a
    // triangular one, but faer runs it at GEMM speed).
    for j in 0..w {
        for i in 0..=j {
            inv_l[(i, j)] = if i == j { F::ONE } else { F::ZERO };
        }
    }
    let (top, rest) = cols.split_at_row_mut(k0);
    let (mut mid, bottom) = rest.split_at_row_mut(w);
    // inv(P1) = inv(U1) inv(L1).
    triangular::matmul(
        mid.rb_mut(),
        BlockStructure::Rectangular,
        Accum::Replace,
        inv_u.rb(),
        BlockStructure::TriangularUpper,
        inv_l.rb(),
        BlockStructure::UnitTriangularLower,
        F::ONE,
        Par::Seq,
    );
    // -P0 inv(P1) above (rows LU did not touch), -P2 inv(P1) = -L2 U1 inv(U1) inv(L1) =
    // -L2 inv(L1) below, as products of the transposes (the row-major storage's natural
    // order for faer's GEMM).
    let products = [
        (top.transpose_mut(), mid.rb().transpose(), p0.transpose()),
        (
            bottom.transpose_mut(),
            inv_l.rb().transpose(),
            l2.transpose(),
        ),
    ];
    for (dst, lhs, rhs) in products {
        if dst.ncols() > 0 {
            matmul(dst, Accum::Replace, lhs, rhs, -F::ONE, Par::Seq);
        }
    }
    Ok(())
}

/// Step 3 of the block whose new columns are `block` (pivot rows `k0..`) on the columns
/// `dst`: `rows` (the same columns of the row buffer) receives the pivot rows set aside.
fn update<F: Field>(
    block: MatRef<'_, F>,
    k0: usize,
    mut dst: MatMut<'_, F>,
    mut rows: MatMut<'_, F>,
) {
    let w = block.ncols();
    if dst.ncols() == 0 {
        return;
    }
    rows.copy_from(dst.rb().get(k0..k0 + w, ..));
    dst.rb_mut().get_mut(k0..k0 + w, ..).fill(F::ZERO);
    matmul(dst, Accum::Add, block, rows.rb(), F::ONE, Par::Seq);
}

/// No column chunk is cut narrower (see [`ColumnChunks`]).
const MIN_WIDTH: usize = 32;
/// No column chunk is cut wider (see [`ColumnChunks`]).
const MAX_WIDTH: usize = 384;

/// `dst := src` for a row-major `src` and a column-major `dst`, eight rows at a time so
/// that every cache line read or written is used whole (faer's `copy_from` went element by
/// element here, at a quarter of the speed).
fn copy_transposed<F: Field>(src: MatRef<'_, F>, mut dst: MatMut<'_, F>) {
    const ROWS: usize = 8;
    let (m, w) = (src.nrows(), src.ncols());
    for i0 in (0..m).step_by(ROWS) {
        let i1 = (i0 + ROWS).min(m);
        for j in 0..w {
            for i in i0..i1 {
                dst[(i, j)] = src[(i, j)];
            }
        }
    }
}

/// Turns faer's row permutation of a block's LU (`perm[i]`: the row now at `i`) into
/// LAPACK-style interchanges relative to the block's first row (`pivots[i]`: step `i`
/// interchanged rows `i` and `pivots[i]`): faer made it from such interchanges, which
/// this replays. `position` and `at` are scratch of `perm`'s length.
fn interchanges(perm: &[usize], pivots: &mut [usize], position: &mut [usize], at: &mut [usize]) {
    for i in 0..perm.len() {
        position[i] = i;
        at[i] = i;
    }
    for (i, pivot) in pivots.iter_mut().enumerate() {
        // Original row perm[i] is now at position p >= i; bring it to i.
        let p = position[perm[i]];
        *pivot = p;
        let (ri, rp) = (at[i], at[p]);
        at.swap(i, p);
        position[ri] = p;
        position[rp] = i;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::test_matrix as matrix;

    /// LAPACK's criterion `||I - X A||_1 / (n ||A||_1 ||X||_1 eps)`, row-major.
    fn criterion(a: &[f64], x: &[f64], n: usize) -> f64 {
        let norm1 = |m: &[f64]| {
            (0..n)
                .map(|j| (0..n).map(|i| m[i * n + j].abs()).sum::<f64>())
                .fold(0.0, f64::max)
        };
        let mut r = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                let s: f64 = (0..n).map(|k| x[i * n + k] * a[k * n + j]).sum();
                r[i * n + j] = if i == j { 1.0 - s } else { -s };
            }
        }
        norm1(&r) / (n as f64 * norm1(a) * norm1(x) * f64::EPSILON)
    }

    fn invert(a: &[f64], n: usize, block: usize, par: Par) -> Result<Vec<f64>, ZeroPivot> {
        let mut ws = Workspace::new(n, block).unwrap();
        let mut x = a.to_vec();
        invert_in_place(&mut x, par, &mut ws).map(|()| x)
    }

    #[test]
    fn inverts_accurately_across_block_edges() {
        // Sizes straddling the block width, from one block to many, well and badly
        // conditioned (a small diagonal shift leaves random matrices ill-conditioned).
        for (n, block) in [(1, 4), (5, 4), (8, 4), (9, 4), (33, 8), (64, 16), (100, 32)] {
            for (seed, diag) in [(1, 4.0), (2, 0.0), (3, 1e-9)] {
                let a = matrix(n, seed, diag);
                let seq = invert(&a, n, block, Par::Seq).unwrap();
                let c = criterion(&a, &seq, n);
                assert!(c < 30.0, "n = {n}, b = {block}, seed {seed}: criterion {c}");
                // Threads change who computes what, never the result.
                let par = invert(&a, n, block, Par::rayon(2)).unwrap();
                assert!(seq == par, "n = {n}, b = {block}: threads changed the bits");
            }
        }
    }

    #[test]
    fn bits_do_not_depend_on_the_number_of_threads() {
        // The thread count alone sets the chunk widths (whatever the cores): sizes and
        // counts that leave remainders of every kind, beside one thread's result.
        for (n, block) in [(449, 64), (513, 64), (300, 32), (200, 16)] {
            let a = matrix(n, 11, 0.5);
            let seq = invert(&a, n, block, Par::Seq).unwrap();
            for threads in [2, 3, 4, 5, 7, 8, 11, 16] {
                let par = invert(&a, n, block, Par::rayon(threads)).unwrap();
                assert!(seq == par, "n = {n}, b = {block}, {threads} threads");
            }
        }
    }

    #[test]
    fn column_chunks_cover_each_range_in_order_none_narrower_than_min_width() {
        for threads in [1, 2, 3, 4, 8, 16] {
            for (left, right) in [(0, 0), (0, 40), (448, 0), (64, 384), (31, 33), (700, 3000)] {
                let chunks = ColumnChunks::new([(0, left), (left, left + right)], threads);
                let cut: Vec<_> = (0..chunks.count()).map(|i| chunks.get(i)).collect();
                let mut at = 0;
                for &(c0, c1) in &cut {
                    // Contiguous, in order, never across the two ranges.
                    assert_eq!(c0, at, "{left} + {right}, {threads} threads: {cut:?}");
                    assert!(c1 > c0 && (c1 <= left || c0 >= left), "{cut:?}");
                    at = c1;
                    let range = if c0 < left { left } else { right };
                    match threads {
                        1 => assert_eq!(c1 - c0, range, "one thread: whole ranges"),
                        _ => assert!(c1 - c0 >= MIN_WIDTH.min(range), "{cut:?}"),
                    }
                    assert!(c1 - c0 < MAX_WIDTH + MIN_WIDTH || threads == 1, "{cut:?}");
                }
                assert_eq!(at, left + right);
            }
        }
    }

    #[test]
    fn reports_the_first_exact_zero_pivot() {
        // A zero column is an exact zero pivot at its step, inside a block or at its edge.
        for (n, block, zero) in [(9, 4, 0), (9, 4, 4), (20, 8, 19), (33, 8, 7), (33, 8, 8)] {
            let mut a = matrix(n, 7, 4.0);
            for i in 0..n {
                a[i * n + zero] = 0.0;
            }
            for par in [Par::Seq, Par::rayon(2)] {
                assert_eq!(invert(&a, n, block, par), Err(zero), "n = {n}");
            }
        }
    }
}
