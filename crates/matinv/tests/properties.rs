//! Property tests over sizes, element types and strided layouts: `inv(A) A ~ I` by LAPACK's
//! criterion, `inv(inv(A)) ~ A`, singular-by-construction matrices reported, input intact.

mod common;

use common::{lapack_ratio, random_matrix, Rng, TestElement};
use matinv::{c32, c64, inv, inv_ex, invert, Error, InvOptions, Request, StackView};
use proptest::prelude::*;

/// Lays the C-contiguous stack `a` (count matrices of order n) out in a bigger buffer with
/// the given layout and returns `(buffer, shape, strides, offset)` for a StackView.
fn relayout<T: Copy>(
    a: &[T],
    count: usize,
    n: usize,
    layout: u8,
    fill: T,
) -> (Vec<T>, Vec<usize>, Vec<isize>, usize) {
    let shape = vec![count, n, n];
    let (n_i, c_i) = (n as isize, count as isize);
    // (matrix stride, row stride, column stride) in a buffer of `pad` x the size.
    let (ms, rs, cs, pad): (isize, isize, isize, usize) = match layout % 4 {
        0 => (n_i * n_i, n_i, 1, 1),                 // C order
        1 => (n_i * n_i, 1, n_i, 1),                 // Fortran order within each matrix
        2 => (2 * n_i * n_i * 2, 2 * n_i * 2, 2, 8), // every other element, padded rows
        _ => (1, c_i * n_i, c_i, 1),                 // batch axis innermost
    };
    let len = (count * n * n * pad).max(1);
    let mut buf = vec![fill; len];
    let reverse = layout >= 4; // read rows backwards through negative strides
    let mut offset = 0isize;
    let rs = if reverse {
        offset += (n_i - 1) * rs;
        -rs
    } else {
        rs
    };
    for k in 0..count {
        for i in 0..n {
            for j in 0..n {
                let at = offset + k as isize * ms + i as isize * rs + j as isize * cs;
                buf[at as usize] = a[(k * n + i) * n + j];
            }
        }
    }
    (buf, shape, vec![ms, rs, cs], offset as usize)
}

macro_rules! properties_for {
    ($modname:ident, $t:ty) => {
        mod $modname {
            use super::*;

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(48))]

                #[test]
                fn inverse_satisfies_lapack_criterion(
                    n in 1usize..40, count in 1usize..12, layout in 0u8..8, seed in any::<u64>()
                ) {
                    let mut rng = Rng(seed | 1);
                    let a: Vec<$t> = (0..count)
                        .flat_map(|_| random_matrix::<$t>(&mut rng, n, 0.0))
                        .collect();
                    let zero = <$t as TestElement>::from_parts(0.0, 0.0);
                    let (buf, shape, strides, offset) = relayout(&a, count, n, layout, zero);
                    let before = buf.clone();
                    let view = StackView::new(&buf, &shape, &strides, offset).unwrap();
                    let x = match inv(&view) {
                        Ok(x) => x,
                        // A random matrix with an exact zero pivot is possible only for n=1
                        // with a zero entry; anything else is a bug.
                        Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
                    };
                    prop_assert_eq!(&buf, &before);
                    for k in 0..count {
                        let m = k * n * n..(k + 1) * n * n;
                        let ratio = lapack_ratio(&a[m.clone()], &x[m], n);
                        prop_assert!(ratio < 30.0, "n={} k={} ratio={}", n, k, ratio);
                    }
                }

                #[test]
                fn inverse_of_inverse_is_the_matrix(n in 1usize..24, seed in any::<u64>()) {
                    let mut rng = Rng(seed | 1);
                    let a: Vec<$t> = random_matrix(&mut rng, n, 2.0 * n as f64);
                    let x = inv(&StackView::c_contiguous(&a, &[n, n]).unwrap()).unwrap();
                    let y = inv(&StackView::c_contiguous(&x, &[n, n]).unwrap()).unwrap();
                    let tol = 1e3 * <$t as TestElement>::EPS;
                    for (u, v) in a.iter().zip(&y) {
                        prop_assert!((u.widen() - v.widen()).norm() <= tol * (1.0 + u.widen().norm()));
                    }
                }

                #[test]
                fn inv_ex_reports_each_matrix(
                    n in 1usize..20, count in 1usize..12, bad in any::<u16>(), seed in any::<u64>()
                ) {
                    let mut rng = Rng(seed | 1);
                    let zero = <$t as TestElement>::from_parts(0.0, 0.0);
                    let mut a: Vec<$t> = (0..count)
                        .flat_map(|_| random_matrix::<$t>(&mut rng, n, 0.0))
                        .collect();
                    let is_bad = |k: usize| bad >> k & 1 == 1;
                    for k in (0..count).filter(|&k| is_bad(k)) {
                        let row = (seed as usize + k) % n;
                        (0..n).for_each(|j| a[k * n * n + row * n + j] = zero);
                    }
                    let view = StackView::c_contiguous(&a, &[count, n, n]).unwrap();
                    let (x, status) = inv_ex(&view, &InvOptions::default()).unwrap();
                    for k in 0..count {
                        let xs = &x[k * n * n..(k + 1) * n * n];
                        let one = &a[k * n * n..(k + 1) * n * n];
                        if is_bad(k) {
                            prop_assert!((1..=n as u32).contains(&status[k].info));
                            prop_assert_eq!(status[k].rcond, 0.0);
                            prop_assert!(xs.iter().all(|v| v.widen().re.is_nan()));
                        } else {
                            prop_assert_eq!(status[k].info, 0);
                            prop_assert!(status[k].rcond > 0.0 && status[k].rcond <= 1.0);
                            // The same bits as inverting the matrix alone.
                            let alone = inv(&StackView::c_contiguous(one, &[n, n]).unwrap()).unwrap();
                            prop_assert!(xs.iter().zip(&alone).all(|(u, v)| u.widen() == v.widen()));
                        }
                    }
                }

                #[test]
                fn singular_by_construction_is_reported(
                    n in 2usize..40, count in 1usize..12, bad in 0usize..12,
                    row in 0usize..40, kind in 0u8..2, seed in any::<u64>()
                ) {
                    let mut rng = Rng(seed | 1);
                    let bad = bad % count;
                    let row = row % n;
                    let mut a: Vec<$t> = (0..count)
                        .flat_map(|_| random_matrix::<$t>(&mut rng, n, 0.0))
                        .collect();
                    let m = &mut a[bad * n * n..(bad + 1) * n * n];
                    // A zero column or a zero row gives partial-pivoting LU an exact zero
                    // pivot in any evaluation order. (A repeated row does not: getf2 scales by
                    // the pivot's reciprocal, and d * (1/d) != 1 for some d; numpy agrees.)
                    let zero = <$t as TestElement>::from_parts(0.0, 0.0);
                    if kind % 2 == 0 {
                        (0..n).for_each(|i| m[i * n + row] = zero);
                    } else {
                        (0..n).for_each(|j| m[row * n + j] = zero);
                    }
                    let view = StackView::c_contiguous(&a, &[count, n, n]).unwrap();
                    let err = inv(&view).unwrap_err();
                    prop_assert!(
                        matches!(err, Error::Singular { matrix, pivot } if matrix == bad && (1..=n).contains(&pivot)),
                        "{:?}", err
                    );
                }
            }
        }
    };
}

properties_for!(f64_props, f64);
properties_for!(f32_props, f32);
properties_for!(c64_props, c64);
properties_for!(c32_props, c32);

/// Sizes around every kernel boundary (4/5, lanes to Gauss-Jordan at 8/9, its steps per
/// pass at 64/65, blocked Gauss-Jordan from 97 with block widths 32 and 64 changing at 384
/// (16 below 96 when asked for), faer's LU
/// recursion at 16 inside a block, threads inside one matrix from 448) on well-,
/// moderately ill-conditioned and structured matrices.
#[test]
fn lapack_criterion_across_kernel_boundaries() {
    let mut rng = Rng(7);
    for n in [
        1, 2, 3, 4, 5, 6, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128, 129, 191,
        192, 193, 255, 256, 257, 383, 384, 385, 449,
    ] {
        let general: Vec<f64> = random_matrix(&mut rng, n, 0.0);
        let mut upper = random_matrix::<f64>(&mut rng, n, 0.0);
        let mut lower = upper.clone();
        let mut diag = vec![0.0; n * n];
        // Off-diagonals of order 1/n keep random triangular matrices well conditioned (with
        // O(1) entries their inverses grow exponentially with n); `lower` is `upper`'s transpose.
        for i in 0..n {
            for j in 0..n {
                if j < i {
                    upper[i * n + j] = 0.0;
                } else if j > i {
                    upper[i * n + j] /= n as f64;
                }
            }
            upper[i * n + i] = 1.0 + upper[i * n + i].abs();
            diag[i * n + i] = 10f64.powi((i % 13) as i32 - 6);
        }
        for i in 0..n {
            for j in 0..n {
                lower[i * n + j] = upper[j * n + i];
            }
        }
        for (name, a) in [
            ("general", &general),
            ("upper", &upper),
            ("lower", &lower),
            ("diag", &diag),
        ] {
            for scale in [1.0, 2f64.powi(-1000), 2f64.powi(1000)] {
                let a: Vec<f64> = a.iter().map(|v| v * scale).collect();
                let x = inv(&StackView::c_contiguous(&a, &[n, n]).unwrap()).unwrap();
                // The ratio is scale-invariant; undo the power-of-two scaling exactly to
                // keep the residual's own arithmetic away from overflow.
                let a1: Vec<f64> = a.iter().map(|v| v / scale).collect();
                let x1: Vec<f64> = x.iter().map(|v| v * scale).collect();
                let ratio = lapack_ratio(&a1, &x1, n);
                assert!(ratio < 30.0, "{name} n={n} scale={scale:e}: ratio {ratio}");
            }
        }
    }
}

#[test]
fn complex_scaled_near_overflow_and_underflow() {
    let mut rng = Rng(11);
    for n in [2, 3, 4, 7, 70, 200] {
        let a: Vec<c64> = random_matrix(&mut rng, n, 0.0);
        for scale in [2f64.powi(-1000), 2f64.powi(1000)] {
            let s: Vec<c64> = a.iter().map(|v| v * scale).collect();
            let x = inv(&StackView::c_contiguous(&s, &[n, n]).unwrap()).unwrap();
            let x1: Vec<c64> = x.iter().map(|v| v * scale).collect();
            assert!(
                x1.iter().all(|v| v.re.is_finite() && v.im.is_finite()),
                "n={n}"
            );
            let ratio = lapack_ratio(&a, &x1, n);
            assert!(ratio < 30.0, "n={n} scale={scale:e}: ratio {ratio}");
        }
    }
}

#[test]
fn empty_stacks_and_errors() {
    let none: [f64; 0] = [];
    let mut out: [f64; 0] = [];
    for shape in [[0usize, 0, 0], [3, 0, 0], [0, 4, 4]] {
        let v = StackView::new(&none, &shape, &[0, 0, 0], 0).unwrap();
        invert(Request::new(&v, &mut out).with_options(InvOptions::default())).unwrap();
    }
    let a = [1.0f64, 2.0, 3.0, 4.0];
    let v = StackView::c_contiguous(&a, &[2, 2]).unwrap();
    let mut short = [0.0; 3];
    assert_eq!(
        invert(Request::new(&v, &mut short).with_options(InvOptions::default())),
        Err(Error::OutputLength {
            got: 3,
            expected: 4
        })
    );
    assert_eq!(
        StackView::c_contiguous(&a, &[4]).unwrap_err().to_string(),
        "1-dimensional array given. Array must be at least two-dimensional"
    );
    assert_eq!(
        inv(&StackView::new(&a, &[1, 4], &[4, 1], 0).unwrap())
            .unwrap_err()
            .to_string(),
        "Last 2 dimensions of the array must be square"
    );
}

#[test]
fn nan_and_inf_do_not_hang_or_panic() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        for n in [1, 2, 3, 4, 5, 20, 200] {
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                a[i * n + i] = 1.0;
            }
            a[n * n / 2] = bad;
            match inv(&StackView::c_contiguous(&a, &[n, n]).unwrap()) {
                Ok(x) => assert_eq!(x.len(), n * n),
                Err(e) => assert!(matches!(e, Error::Singular { .. })),
            }
        }
    }
}

#[test]
fn broadcast_stack_reads_one_matrix_many_times() {
    let a = [4.0f64, 7.0, 2.0, 6.0];
    let v = StackView::new(&a, &[1000, 2, 2], &[0, 2, 1], 0).unwrap();
    let x = inv(&v).unwrap();
    for m in x.chunks_exact(4) {
        for (got, want) in m.iter().zip([0.6, -0.7, -0.2, 0.4]) {
            assert!((got - want).abs() < 1e-15, "{m:?}");
        }
    }
}

#[test]
fn singular_stack_names_a_singular_matrix() {
    let mut a = vec![0.0f64; 50 * 9];
    for k in 0..50 {
        for i in 0..3 {
            a[k * 9 + i * 4] = 1.0 + k as f64;
        }
    }
    a[37 * 9 + 8] = 0.0;
    let err = inv(&StackView::c_contiguous(&a, &[50, 3, 3]).unwrap()).unwrap_err();
    assert_eq!(
        err,
        Error::Singular {
            matrix: 37,
            pivot: 3
        }
    );
}

/// One matrix whose Gauss-Jordan passes are cut among threads (asked for with
/// `gauss_jordan_parallel_min_n = 0`) gets the one-thread bits (NaN as NaN), and stops at
/// the same zero pivot; float32 and float64, NaN and inf entries, and from inside a pool of
/// four threads (so four threads whatever the cores: the crew led by a worker).
#[test]
fn threaded_gauss_jordan_gives_one_threads_bits() {
    use matinv::{Params, ThreadParams};
    fn run<T: TestElement>(
        a: &[T],
        n: usize,
        threads: usize,
        inside: bool,
    ) -> Result<Vec<u64>, String> {
        let mut t = ThreadParams::default();
        t.num_threads = threads;
        t.gauss_jordan_parallel_min_n = if inside { 0 } else { usize::MAX };
        let opts = InvOptions::default().with_params(Params::default().with_threads(t));
        let mut out = a.to_vec();
        let v = StackView::c_contiguous(a, &[n, n]).unwrap();
        invert(Request::new(&v, &mut out).with_options(opts))
            .map(|_| {
                out.iter()
                    .map(|x| {
                        let c = x.widen();
                        match c.re.is_nan() {
                            true => u64::MAX,
                            false => c.re.to_bits(),
                        }
                    })
                    .collect()
            })
            .map_err(|e| format!("{e:?}"))
    }
    fn check<T: TestElement>(rng: &mut Rng, n: usize, special: usize) {
        let mut a: Vec<T> = random_matrix(rng, n, 0.0);
        match special {
            // A zero column partway: the same zero pivot, however the passes are cut.
            1 => (0..n).for_each(|i| a[i * n + n / 2] = T::from_parts(0.0, 0.0)),
            2 => a[n + 3] = T::from_parts(f64::NAN, 0.0),
            3 => a[2 * n + 1] = T::from_parts(f64::INFINITY, 0.0),
            _ => {}
        }
        let one = run(&a, n, 1, false);
        let two = run(&a, n, 0, true);
        assert_eq!(one, two, "n = {n}, case {special}: two threads");
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let four = pool.install(|| run(&a, n, 0, true));
        assert_eq!(one, four, "n = {n}, case {special}: four threads");
    }
    let mut rng = Rng(29);
    for n in [17, 18, 33, 64, 65, 67, 96] {
        for special in 0..4 {
            check::<f64>(&mut rng, n, special);
            check::<f32>(&mut rng, n, special);
        }
    }
}
