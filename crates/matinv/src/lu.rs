//! LU factorization with partial pivoting of one tall matrix, in place: the panel step of
//! a blocked inverse whose other blocks live elsewhere (`matinv.dask` factors one block
//! column per task with it). faer's recursive LU does the work, its flops in matrix
//! products; what is added here is LAPACK's `getrf` contract (row order, first zero
//! pivot) on a row-major buffer, and matinv's threads.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::factor::{lu_in_place as faer_lu, lu_in_place_scratch};
use faer::{MatMut, Par};

use crate::alloc::zeros;
use crate::element::{Element, Field, Widened};
use crate::error::Error;
use crate::params::Params;

/// LU factorization with partial pivoting of the `rows x cols` matrix `a` (row-major,
/// `rows >= cols`), in place, with the contract of LAPACK's `getrf`: afterwards `a` holds
/// `U` on and above its diagonal and the unit lower triangle of `L` below it, with
/// `P A = L U` where row `r` of `P A` is row `perm[r]` of the input. Returns `getrf`'s
/// `info`: the 1-based column of the first exact zero pivot, 0 if there is none (what
/// comes after a zero pivot is not meaningful: unlike `getrf`, the column under it is
/// divided by zero).
///
/// Pivots are the entries of largest `|re| + |im|` (LAPACK's choice), the first on ties.
/// `f32` and `c32` are factored in double precision and rounded back, so `a` then holds
/// rounded factors. `params` chooses the threads (`with_num_threads(1)`: the calling
/// thread only).
///
/// ```
/// let mut a = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]; // 3 x 2, row-major
/// let mut perm = [0; 3];
/// let info = matinv::lu_in_place(&mut a, 3, 2, &mut perm, &Default::default())?;
/// assert_eq!((info, perm), (0, [2, 0, 1])); // rows 4 5, then 0 1 (1 > 3 - 5/2), then 2 3
/// # Ok::<(), matinv::Error>(())
/// ```
///
/// # Errors
/// [`Error::Layout`] when `a` does not hold `rows * cols` elements, `perm` not `rows`, or
/// `rows < cols`; [`Error::TooLarge`] when the workspace cannot be had.
pub fn lu_in_place<T: Element>(
    a: &mut [T],
    rows: usize,
    cols: usize,
    perm: &mut [usize],
    params: &Params,
) -> Result<usize, Error> {
    T::lu_in_place(a, rows, cols, perm, params)
}

/// [`lu_in_place`]'s body, compiled for each element type in [`crate::instances`], with
/// its checks (`Drivers::lu_in_place` is reachable through any `T: Element`): single
/// precision factored in double and rounded back.
pub(crate) fn factor_elements<T: Widened>(
    a: &mut [T],
    rows: usize,
    cols: usize,
    perm: &mut [usize],
    params: &Params,
) -> Result<usize, Error> {
    if rows.checked_mul(cols) != Some(a.len()) || perm.len() != rows || rows < cols {
        return Err(Error::Layout(format!(
            "lu_in_place: {} elements and {} row indices for a {rows} x {cols} matrix \
             (rows >= cols)",
            a.len(),
            perm.len()
        )));
    }
    if let Some(own) = T::as_compute_mut(a) {
        return factor(own, rows, cols, perm, params);
    }
    let mut wide: Vec<T::Compute> = zeros(a.len())?;
    for (w, &x) in wide.iter_mut().zip(a.iter()) {
        *w = x.to_compute();
    }
    let info = factor(&mut wide, rows, cols, perm, params)?;
    for (x, &w) in a.iter_mut().zip(wide.iter()) {
        *x = T::from_compute(w);
    }
    Ok(info)
}

fn factor<F: Field>(
    a: &mut [F],
    rows: usize,
    cols: usize,
    perm: &mut [usize],
    params: &Params,
) -> Result<usize, Error> {
    let mut run = |par: Par| -> Result<(), Error> {
        let scratch = lu_in_place_scratch::<usize, F>(rows, cols, par, Default::default());
        let mut buffer = MemBuffer::try_new(scratch).map_err(|_| Error::TooLarge)?;
        let mut inverse: Vec<usize> = zeros(rows)?;
        let matrix = MatMut::from_row_major_slice_mut(a, rows, cols);
        let stack = MemStack::new(&mut buffer);
        faer_lu(matrix, perm, &mut inverse, par, stack, Default::default());
        Ok(())
    };
    match crate::threads::team(params.threads.num_threads) {
        None => run(Par::Seq)?,
        Some(team) => team.install(|| run(Par::rayon(0)))?,
    }
    let zero_pivot = (0..cols).find(|&j| a[j * cols + j] == F::ZERO);
    Ok(zero_pivot.map_or(0, |j| j + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c64;

    /// `P A` rebuilt from the packed factors, against the rows of `a` in `perm`'s order.
    fn residual(a: &[f64], lu: &[f64], perm: &[usize], rows: usize, cols: usize) -> f64 {
        let mut worst = 0.0f64;
        for r in 0..rows {
            for c in 0..cols {
                let mut sum = 0.0;
                for k in 0..=r.min(c) {
                    let l = if k == r { 1.0 } else { lu[r * cols + k] };
                    sum += l * lu[k * cols + c];
                }
                worst = worst.max((sum - a[perm[r] * cols + c]).abs());
            }
        }
        worst
    }

    fn tall(rows: usize, cols: usize) -> Vec<f64> {
        // A fixed, non-symmetric, well-mixed matrix (no random crate in the core's tests).
        (0..rows * cols)
            .map(|i| ((i * 7919 + 13) % 1009) as f64 / 1009.0 - 0.5)
            .collect()
    }

    #[test]
    fn factors_tall_matrices_with_every_thread_count() {
        for (rows, cols) in [(1, 1), (5, 3), (40, 40), (300, 70), (700, 200)] {
            for threads in [1, 2] {
                let a = tall(rows, cols);
                let mut lu = a.clone();
                let mut perm = vec![0; rows];
                let params = Params::default().with_num_threads(threads);
                assert_eq!(lu_in_place(&mut lu, rows, cols, &mut perm, &params), Ok(0));
                let mut seen = perm.clone();
                seen.sort_unstable();
                assert_eq!(seen, (0..rows).collect::<Vec<_>>(), "perm is a permutation");
                assert!(residual(&a, &lu, &perm, rows, cols) < 1e-12 * cols as f64);
                // Partial pivoting: every multiplier at most 1 in magnitude.
                for r in 0..rows {
                    for c in 0..cols.min(r) {
                        assert!(lu[r * cols + c].abs() <= 1.0, "({r}, {c})");
                    }
                }
            }
        }
    }

    #[test]
    fn reports_the_first_zero_pivot_as_getrf() {
        let (rows, cols) = (6, 4);
        let mut a = tall(rows, cols);
        for r in 0..rows {
            a[r * cols + 2] = 0.0; // column 3 is zero: pivot 3 is exactly zero
        }
        let mut perm = vec![0; rows];
        let info = lu_in_place(&mut a, rows, cols, &mut perm, &Params::default()).unwrap();
        assert_eq!(info, 3);
    }

    #[test]
    fn single_precision_and_complex() {
        let a32: Vec<f32> = tall(30, 10).iter().map(|&x| x as f32).collect();
        let mut lu32 = a32.clone();
        let mut perm = vec![0; 30];
        assert_eq!(
            lu_in_place(&mut lu32, 30, 10, &mut perm, &Params::default()),
            Ok(0)
        );
        let wide: Vec<f64> = a32.iter().map(|&x| x as f64).collect();
        let back: Vec<f64> = lu32.iter().map(|&x| x as f64).collect();
        assert!(residual(&wide, &back, &perm, 30, 10) < 1e-5);

        let z: Vec<c64> = tall(20, 8)
            .iter()
            .zip(tall(8, 20).iter())
            .map(|(&re, &im)| c64::new(re, im))
            .collect();
        let mut lu = z.clone();
        let mut perm = vec![0; 20];
        assert_eq!(
            lu_in_place(&mut lu, 20, 8, &mut perm, &Params::default()),
            Ok(0)
        );
        for r in 0..20 {
            for c in 0..8 {
                let mut sum = c64::new(0.0, 0.0);
                for k in 0..=r.min(c) {
                    let l = if k == r {
                        c64::new(1.0, 0.0)
                    } else {
                        lu[r * 8 + k]
                    };
                    sum += l * lu[k * 8 + c];
                }
                assert!((sum - z[perm[r] * 8 + c]).norm() < 1e-12);
            }
        }
    }

    #[test]
    fn refuses_shapes_that_do_not_match() {
        let mut perm = vec![0; 3];
        for (len, rows, cols) in [(5, 3, 2), (6, 2, 3), (6, 3, 3)] {
            let mut a = vec![0.0f64; len];
            let r = lu_in_place(&mut a, rows, cols, &mut perm, &Params::default());
            assert!(matches!(r, Err(Error::Layout(_))), "{len} {rows} {cols}");
        }
    }
}
