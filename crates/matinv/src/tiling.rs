//! Loops over a matrix in cache-sized tiles, for copies between row- and column-major
//! layouts (the general, triangular and Cholesky gathers and scatters).

/// Calls `f(i, j)` for every `i, j < n`, in square tiles that fit in L1 together with their
/// transpose, so that copies between row- and column-major layouts stay cache-friendly.
#[inline(always)]
pub(crate) fn for_each_tile(n: usize, mut f: impl FnMut(usize, usize)) {
    const TILE: usize = 32;
    for j0 in (0..n).step_by(TILE) {
        for i0 in (0..n).step_by(TILE) {
            for j in j0..(j0 + TILE).min(n) {
                for i in i0..(i0 + TILE).min(n) {
                    f(i, j);
                }
            }
        }
    }
}
