//! Inversion in place in a C-contiguous stack (scipy's `overwrite_a`,
//! [`crate::Request::in_place`]), so that a large matrix needs no second buffer of its size.
//!
//! Large double-precision general matrices (those the general path gives to blocked
//! Gauss-Jordan with threads inside the matrix, or a single one) are inverted by the
//! general path in their own memory ([`general::invert_own_memory`]): the blocked kernel
//! already works in place on a row-major matrix. Every other stack, and every call that
//! asks for a [`Status`] per matrix, goes through the ordinary path (general or
//! structured) a slab of matrices at a time, from a copy of at most [`SLAB_BYTES`] (or one
//! matrix), written back over the slab; so do extended-precision calls. The results are those of an inversion into a new
//! buffer, bit for bit: the same kernel, scale, threads and order of operations.

use crate::driver;
use crate::element::{Field, Widened};
use crate::extended;
use crate::general;
use crate::layout::{stack_dims, StackView};
use crate::plan::threads_inside;
use crate::request::{InvOptions, Precision, Structure};
use crate::status::Status;
use crate::structured;
use crate::Error;

/// The most a slab copy holds (beyond one matrix): 4 MiB.
pub const SLAB_BYTES: usize = 4 << 20;

/// Inverts every matrix of the C-contiguous stack `data` of shape `shape` in place.
pub(crate) fn invert_in_place<T: Widened>(
    data: &mut [T],
    shape: &[usize],
    mut status: Option<&mut [Status]>,
    options: &InvOptions,
) -> Result<(), Error> {
    let (structure, params) = (options.structure, &options.params);
    let extended = options.precision == Precision::Extended;
    let (count, n) = stack_dims(shape)?;
    let nn = n.checked_mul(n).ok_or(Error::TooLarge)?;
    let expected = count.checked_mul(nn).ok_or(Error::TooLarge)?;
    driver::check_lengths(data.len(), status.as_deref_mut(), count, n)?;
    if expected == 0 {
        return Ok(());
    }
    if structure == Structure::General
        && !extended
        && status.is_none()
        && general::inverts_own_memory::<T::Compute>(count, n, params)
        && let Some(x) = T::as_compute_mut(data)
    {
        return general::invert_own_memory(x, count, n, params);
    }
    // Each slab keeps the threading of the whole stack: a short last slab, or a slab of
    // one large matrix, would otherwise get threads inside matrices that the whole stack
    // inverts one per thread (the count is what decides, `plan::threads_inside`).
    let mut slab_params = *params;
    if !threads_inside(count, n, T::Compute::REAL, params) {
        slab_params.threads.single_parallel_min_n = usize::MAX;
        slab_params.threads.gauss_jordan_parallel_min_n = usize::MAX;
    }
    let slab = (SLAB_BYTES / (nn * std::mem::size_of::<T>())).clamp(1, count);
    let mut copy: Vec<T> = Vec::new();
    copy.try_reserve_exact(slab * nn)
        .map_err(|_| Error::TooLarge)?;
    for (k, dst) in data.chunks_mut(slab * nn).enumerate() {
        copy.clear();
        copy.extend_from_slice(dst);
        let matrices = dst.len() / nn;
        let view = StackView::c_contiguous(&copy, &[matrices, n, n])?;
        let st = status
            .as_deref_mut()
            .map(|st| &mut st[k * slab..k * slab + matrices]);
        match extended {
            true => extended::invert_stack(&view, None, dst, None, st, structure, &slab_params),
            false => structured::invert_stack(&view, dst, st, structure, &slab_params),
        }
        .map_err(|e| e.in_stack_after(k * slab))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{invert, InvOptions, Params, Request, StackView, Status, Structure};

    /// Every structure, with and without status, across slab boundaries: in place gives
    /// the bits of an inversion into a new buffer, and the same error (matrix numbered in
    /// the whole stack).
    #[test]
    fn in_place_is_the_new_buffer_result_bit_for_bit() {
        let structures = [
            Structure::General,
            Structure::Diagonal,
            Structure::UpperTriangular,
            Structure::LowerTriangular,
            Structure::PositiveDefinite { lower: true },
            Structure::Symmetric { lower: false },
            Structure::Auto,
        ];
        // 600 matrices of 48 x 48 doubles: 11 MB, three slabs.
        let (count, n) = (600, 48);
        // Symmetric positive definite, so every structure inverts them.
        let mut a: Vec<f64> = (0..count)
            .flat_map(|k| positive_definite(n, k as u64, |re, _| re))
            .collect();
        // Matrix 450 (in the third slab) singular for every structure: a zero row and column.
        for i in 0..n {
            a[450 * n * n + i] = 0.0;
            a[450 * n * n + i * n] = 0.0;
        }
        let shape = [count, n, n];
        for structure in structures {
            for threads in [1, 2] {
                let opts = InvOptions::structured(structure)
                    .with_params(Params::default().with_num_threads(threads));
                let view = StackView::c_contiguous(&a, &shape).unwrap();
                let mut want = vec![0.0; a.len()];
                let mut want_st = vec![Status::default(); count];
                invert(
                    Request::new(&view, &mut want)
                        .with_status(&mut want_st)
                        .with_options(opts),
                )
                .unwrap();
                let mut got = a.clone();
                let mut got_st = vec![Status::default(); count];
                invert(
                    Request::in_place(&mut got, &shape)
                        .with_status(&mut got_st)
                        .with_options(opts),
                )
                .unwrap();
                assert_eq!(got_st, want_st, "{structure:?}");
                assert!(
                    got.iter()
                        .zip(&want)
                        .all(|(p, q)| p.to_bits() == q.to_bits()),
                    "{structure:?}, {threads} threads"
                );
                assert_ne!(got_st[450].info, 0);
                let mut want = vec![0.0; a.len()];
                let want_err = invert(Request::new(&view, &mut want).with_options(opts));
                let mut got = a.clone();
                let got_err = invert(Request::in_place(&mut got, &shape).with_options(opts));
                assert_eq!(got_err, want_err, "{structure:?}");
                assert!(
                    matches!(
                        got_err,
                        Err(crate::Error::Singular { matrix: 450, .. }
                            | crate::Error::NotPositiveDefinite { matrix: 450, .. })
                    ),
                    "{structure:?}: {got_err:?}"
                );
            }
        }
    }

    /// The blocked kernel in the matrix's own memory: one large matrix, with one thread
    /// and with threads inside it; and single precision, which goes through a copy.
    #[test]
    fn large_matrices_in_their_own_memory_match() {
        let n = 520;
        let a = crate::kernels::test_matrix(n, 7, 3.0);
        for threads in [1, 2] {
            let opts =
                InvOptions::default().with_params(Params::default().with_num_threads(threads));
            let want =
                crate::inv_with(&StackView::c_contiguous(&a, &[n, n]).unwrap(), &opts).unwrap();
            let mut got = a.clone();
            crate::inv_in_place(&mut got, &[n, n], &opts).unwrap();
            assert!(got
                .iter()
                .zip(&want)
                .all(|(p, q)| p.to_bits() == q.to_bits()));
            let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
            let want =
                crate::inv_with(&StackView::c_contiguous(&a32, &[n, n]).unwrap(), &opts).unwrap();
            let mut got = a32.clone();
            crate::inv_in_place(&mut got, &[n, n], &opts).unwrap();
            assert!(got
                .iter()
                .zip(&want)
                .all(|(p, q)| p.to_bits() == q.to_bits()));
        }
    }

    /// Slabs keep the whole stack's threads: 3 complex matrices of order 300 on 2 threads
    /// are inverted one per thread, and so is the last slab's single matrix (which on its
    /// own would get both threads inside it), for the structures whose kernels are faer's
    /// blocked ones at this order.
    #[test]
    fn the_last_short_slab_keeps_the_stacks_threads() {
        let (count, n) = (3, 300);
        // Hermitian positive definite: an antisymmetric imaginary part of 1/n per entry.
        let a: Vec<crate::c64> = (0..count)
            .flat_map(|k| positive_definite(n, 11 + k as u64, crate::c64::new))
            .collect();
        let shape = [count, n, n];
        for structure in [
            Structure::General,
            Structure::PositiveDefinite { lower: false },
            Structure::UpperTriangular,
        ] {
            let opts = InvOptions::structured(structure)
                .with_params(Params::default().with_num_threads(2));
            let view = StackView::c_contiguous(&a, &shape).unwrap();
            let mut want = vec![crate::c64::new(0.0, 0.0); a.len()];
            invert(Request::new(&view, &mut want).with_options(opts)).unwrap();
            let mut got = a.clone();
            invert(Request::in_place(&mut got, &shape).with_options(opts)).unwrap();
            assert!(
                got.iter()
                    .zip(&want)
                    .all(|(p, q)| p.re.to_bits() == q.re.to_bits()
                        && p.im.to_bits() == q.im.to_bits()),
                "{structure:?}"
            );
        }
    }

    /// `M M^T / n + I` for a seeded `M` (`test_matrix`), each entry `entry(re, im)` with
    /// `im` the antisymmetric `(M_ij - M_ji) / n` (0 on the diagonal), row-major.
    fn positive_definite<E>(n: usize, seed: u64, entry: impl Fn(f64, f64) -> E) -> Vec<E> {
        let m = crate::kernels::test_matrix(n, seed, 3.0);
        let mut a = Vec::with_capacity(n * n);
        for i in 0..n {
            for j in 0..n {
                let dot: f64 = (0..n).map(|l| m[i * n + l] * m[j * n + l]).sum();
                let re = dot / n as f64 + f64::from(u8::from(i == j));
                let im = (m[i * n + j] - m[j * n + i]) / n as f64;
                a.push(entry(re, im));
            }
        }
        a
    }

    #[test]
    fn wrong_lengths_are_refused() {
        let mut a = [1.0f64; 8];
        let err = crate::inv_in_place(&mut a, &[3, 2, 2], &InvOptions::default());
        assert_eq!(
            err,
            Err(crate::Error::OutputLength {
                got: 8,
                expected: 12
            })
        );
        let mut st = [Status::default(); 1];
        let err = invert(Request::in_place(&mut a, &[2, 2, 2]).with_status(&mut st));
        assert_eq!(
            err,
            Err(crate::Error::OutputLength {
                got: 1,
                expected: 2
            })
        );
        let err = crate::inv_in_place(&mut a, &[2, 4], &InvOptions::default());
        assert_eq!(err, Err(crate::Error::NotSquare));
    }
}
