//! Seeded random structured matrices, judged by LAPACK's inversion criterion on the matrix
//! each structure implies, plus the exact properties (zeros, mirror images, info).

use super::*;
use crate::alloc::zeros as vec_of;
use crate::element::{c32, c64};
use crate::{InvOptions, KernelParams, ThreadParams};

// The entry points these tests were written against, through `InvOptions`.
fn inv_structured_into<T: Widened>(
    a: &StackView<'_, T>,
    out: &mut [T],
    structure: Structure,
    params: &Params,
) -> Result<(), Error> {
    let opts = InvOptions::structured(structure).with_params(*params);
    crate::invert(crate::Request::new(a, out).with_options(opts))
}

fn inv_ex_structured_into<T: Widened>(
    a: &StackView<'_, T>,
    out: &mut [T],
    status: &mut [Status],
    structure: Structure,
    params: &Params,
) -> Result<(), Error> {
    let opts = InvOptions::structured(structure).with_params(*params);
    crate::invert(
        crate::Request::new(a, out)
            .with_status(status)
            .with_options(opts),
    )
}

fn inv_ex_into<T: Widened>(
    a: &StackView<'_, T>,
    out: &mut [T],
    status: &mut [Status],
    params: &Params,
) -> Result<(), Error> {
    crate::invert(
        crate::Request::new(a, out)
            .with_status(status)
            .with_options(InvOptions::default().with_params(*params)),
    )
}

#[path = "../../tests/common/mod.rs"]
mod common;
use common::{norm1, widened_ratio as ratio, Rng};

/// The integration tests' elements, with the crate-private compute type the kernels need.
trait TestElement: common::TestElement + Widened {}
impl<T: common::TestElement + Widened> TestElement for T {}

/// A matrix of the kind `structure` expects, with junk where it must not read; and the
/// matrix it implies (row-major, widened).
fn make<T: TestElement>(rng: &mut Rng, n: usize, structure: Structure) -> (Vec<T>, Vec<c64>) {
    let complex = !T::Compute::REAL;
    let mut z = || c64::new(rng.next_f64(), if complex { rng.next_f64() } else { 0.0 });
    let mut a: Vec<c64> = (0..n * n).map(|_| z()).collect();
    let mut implied = a.clone();
    match structure {
        Structure::Diagonal | Structure::UpperTriangular | Structure::LowerTriangular => {
            for i in 0..n {
                // Diagonal of modulus in [1, 2]; off-diagonals scaled so the condition
                // number stays moderate.
                let d = a[i * n + i];
                a[i * n + i] = d / d.norm() * (1.5 + 0.5 * rng.next_f64());
                for j in 0..n {
                    if i != j {
                        a[i * n + j] /= (n as f64).sqrt();
                    }
                    let keep = match structure {
                        Structure::Diagonal => i == j,
                        Structure::UpperTriangular => i <= j,
                        _ => i >= j,
                    };
                    implied[i * n + j] = if keep {
                        a[i * n + j]
                    } else {
                        c64::new(0.0, 0.0)
                    };
                }
            }
        }
        Structure::PositiveDefinite { lower }
        | Structure::Symmetric { lower }
        | Structure::Hermitian { lower } => {
            let hermitian = !matches!(structure, Structure::Symmetric { .. }) || !complex;
            // B B^H + n I (positive definite) or B + B^T + 2n I (well conditioned).
            for i in 0..n {
                for j in 0..n {
                    let v = if matches!(structure, Structure::PositiveDefinite { .. }) {
                        let mut s = c64::new(if i == j { n as f64 } else { 0.0 }, 0.0);
                        for k in 0..n {
                            s += a[i * n + k] * a[j * n + k].conj();
                        }
                        s
                    } else {
                        // Indefinite (alternating signs on the diagonal), so that LU runs.
                        let t = if hermitian {
                            a[j * n + i].conj()
                        } else {
                            a[j * n + i]
                        };
                        let d = if i % 2 == 0 {
                            2.0 * n as f64
                        } else {
                            -2.0 * n as f64
                        };
                        a[i * n + j] + t + if i == j { d } else { 0.0 }
                    };
                    implied[i * n + j] = v;
                }
            }
            if hermitian {
                for i in 0..n {
                    implied[i * n + i].im = 0.0;
                }
            }
            for i in 0..n {
                for j in 0..n {
                    let stored = if lower { i >= j } else { i <= j };
                    a[i * n + j] = if stored {
                        implied[i * n + j]
                    } else {
                        c64::new(7.0, -3.0)
                    };
                    if i == j && hermitian && complex {
                        a[i * n + i].im = 0.5; // ignored
                    }
                }
            }
        }
        _ => {}
    }
    let stored = a.iter().map(|z| T::from_parts(z.re, z.im)).collect();
    // The implied matrix as the stored type holds it.
    let implied = implied
        .iter()
        .map(|z| T::from_parts(z.re, z.im).widen())
        .collect();
    (stored, implied)
}

const STRUCTURES: [Structure; 9] = [
    Structure::Diagonal,
    Structure::UpperTriangular,
    Structure::LowerTriangular,
    Structure::PositiveDefinite { lower: false },
    Structure::PositiveDefinite { lower: true },
    Structure::Symmetric { lower: false },
    Structure::Symmetric { lower: true },
    Structure::Hermitian { lower: false },
    Structure::Hermitian { lower: true },
];

fn check_type<T: TestElement>(params: &Params, sizes: &[usize]) {
    for (s, &structure) in STRUCTURES.iter().enumerate() {
        for &n in sizes {
            let mut rng = Rng::seeded((s * 1000 + n) as u64);
            let (a, implied) = make::<T>(&mut rng, n, structure);
            let view = StackView::c_contiguous(&a, &[n, n]).unwrap();
            let mut x = vec_of::<T>(n * n).unwrap();
            let mut st = [Status::default()];
            inv_ex_structured_into(&view, &mut x, &mut st, structure, params).unwrap();
            assert_eq!(st[0].info, 0, "{structure:?} n={n}");
            let xw: Vec<c64> = x.iter().map(|v| v.widen()).collect();
            let r = ratio(n, &implied, &xw, T::EPS);
            assert!(r < 30.0, "{} {structure:?} n={n}: ratio {r}", T::DTYPE);
            // rcond from the implied matrix.
            let want = 1.0 / (norm1(&implied, n) * norm1(&xw, n));
            assert!(
                (st[0].rcond - want.min(1.0)).abs() <= 1e-12 * want,
                "{structure:?} rcond"
            );
            // The exact shape of the result.
            for i in 0..n {
                for j in 0..n {
                    let v = xw[i * n + j];
                    match structure {
                        Structure::Diagonal if i != j => assert_eq!(v, c64::new(0.0, 0.0)),
                        Structure::UpperTriangular if i > j => assert_eq!(v, c64::new(0.0, 0.0)),
                        Structure::LowerTriangular if i < j => assert_eq!(v, c64::new(0.0, 0.0)),
                        // (The indefinite 'sym' and 'her' matrices here go through LU,
                        // whose inverse is symmetric up to rounding only.)
                        Structure::PositiveDefinite { .. } => {
                            assert_eq!(v, xw[j * n + i].conj());
                        }
                        _ => {}
                    }
                }
            }
            // Without status: the same bits.
            let mut y = vec_of::<T>(n * n).unwrap();
            inv_structured_into(&view, &mut y, structure, params).unwrap();
            assert!(x.iter().zip(&y).all(|(p, q)| p.widen() == q.widen()));
        }
    }
}

const SIZES: [usize; 13] = [1, 2, 3, 4, 5, 8, 9, 16, 31, 32, 33, 64, 100];

#[test]
fn every_structure_meets_lapack_criterion() {
    let params = Params::default();
    check_type::<f64>(&params, &SIZES);
    check_type::<f32>(&params, &SIZES);
    check_type::<c64>(&params, &SIZES);
    check_type::<c32>(&params, &SIZES);
}

#[test]
fn blocked_kernels_on_small_matrices() {
    // faer's blocked Cholesky and triangular inverse from n = 3 on.
    let params = Params {
        kernels: KernelParams {
            unblocked_max_n: 2,
            ..KernelParams::default()
        },
        ..Params::default()
    };
    check_type::<f64>(&params, &[3, 4, 7, 17, 40]);
    check_type::<c64>(&params, &[3, 4, 7, 17, 40]);
    check_type::<f32>(&params, &[5, 40]);
}

#[test]
fn zero_diagonal_and_not_positive_definite() {
    let a = [1.0f64, 2.0, 3.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0];
    let view = StackView::c_contiguous(&a, &[3, 3]).unwrap();
    let mut x = [0.0; 9];
    let p = Params::default();
    for s in [Structure::UpperTriangular, Structure::Diagonal] {
        let e = inv_structured_into(&view, &mut x, s, &p).unwrap_err();
        assert_eq!(
            e,
            Error::Singular {
                matrix: 0,
                pivot: 2
            },
            "{s:?}"
        );
    }
    // Lower: reads [[1,0,0],[0,0,0],[0,0,0]]; first zero on the diagonal at 2 as well.
    let mut st = [Status::default()];
    inv_ex_structured_into(&view, &mut x, &mut st, Structure::LowerTriangular, &p).unwrap();
    assert_eq!(
        st[0],
        Status {
            info: 2,
            rcond: 0.0
        }
    );
    assert!(x.iter().all(|v| v.is_nan()));
    // Indefinite at the leading minor of order 3 (small and blocked kernels agree).
    let a = [4.0f64, 2.0, 0.0, 2.0, 5.0, 3.0, 0.0, 3.0, 1.0];
    let view = StackView::c_contiguous(&a, &[3, 3]).unwrap();
    for params in [
        p,
        Params {
            kernels: KernelParams {
                unblocked_max_n: 1,
                ..p.kernels
            },
            ..p
        },
    ] {
        let e = inv_structured_into(
            &view,
            &mut x,
            Structure::PositiveDefinite { lower: false },
            &params,
        );
        assert_eq!(
            e,
            Err(Error::NotPositiveDefinite {
                matrix: 0,
                minor: 3
            })
        );
        inv_ex_structured_into(
            &view,
            &mut x,
            &mut st,
            Structure::PositiveDefinite { lower: true },
            &params,
        )
        .unwrap();
        assert_eq!(
            st[0],
            Status {
                info: 3,
                rcond: 0.0
            }
        );
        // 'sym' falls back to LU: an inverse.
        inv_ex_structured_into(
            &view,
            &mut x,
            &mut st,
            Structure::Symmetric { lower: false },
            &params,
        )
        .unwrap();
        assert_eq!(st[0].info, 0);
        assert!(st[0].rcond > 0.01);
    }
    // NaN on the diagonal is not positive definite (potrf's rule).
    let a = [f64::NAN, 0.0, 0.0, 1.0];
    let view = StackView::c_contiguous(&a, &[2, 2]).unwrap();
    let mut x = [0.0; 4];
    let e = inv_structured_into(
        &view,
        &mut x,
        Structure::PositiveDefinite { lower: false },
        &p,
    );
    assert_eq!(
        e,
        Err(Error::NotPositiveDefinite {
            matrix: 0,
            minor: 1
        })
    );
}

#[test]
fn auto_detects_and_matches_general_bits() {
    let n = 6;
    let mut rng = Rng::seeded(7);
    let mut data = Vec::new();
    let kinds = [
        Structure::Auto, // general
        Structure::Diagonal,
        Structure::UpperTriangular,
        Structure::LowerTriangular,
        Structure::PositiveDefinite { lower: false },
        Structure::Auto,
        Structure::Auto,
        Structure::Auto,
        Structure::Auto,
    ];
    for &k in &kinds {
        if k == Structure::Auto {
            data.extend((0..n * n).map(|_| rng.next_f64()));
        } else {
            let (_, implied) = make::<f64>(&mut rng, n, k);
            data.extend(implied.iter().map(|z| z.re));
        }
    }
    let count = kinds.len();
    let view = StackView::c_contiguous(&data, &[count, n, n]).unwrap();
    let p = Params::default();
    let mut general = vec![0.0; count * n * n];
    let mut gs = vec![Status::default(); count];
    inv_ex_into(&view, &mut general, &mut gs, &p).unwrap();
    let mut auto = vec![0.0; count * n * n];
    let mut st = vec![Status::default(); count];
    inv_ex_structured_into(&view, &mut auto, &mut st, Structure::Auto, &p).unwrap();
    for (k, kind) in kinds.iter().enumerate() {
        let (g, x) = (&general[k * n * n..][..n * n], &auto[k * n * n..][..n * n]);
        if *kind == Structure::Auto {
            assert_eq!(g, x, "general matrix {k}: same bits");
            assert_eq!(gs[k], st[k]);
        } else {
            let a: Vec<c64> = data[k * n * n..][..n * n]
                .iter()
                .map(|&v| c64::new(v, 0.0))
                .collect();
            let xw: Vec<c64> = x.iter().map(|&v| c64::new(v, 0.0)).collect();
            assert!(ratio(n, &a, &xw, f64::EPSILON) < 30.0, "{kind:?}");
        }
    }
    // An all-general stack: the general path itself (lanes included), bit for bit.
    let data: Vec<f64> = (0..100 * 16).map(|_| rng.next_f64()).collect();
    let view = StackView::c_contiguous(&data, &[100, 4, 4]).unwrap();
    let (mut x, mut y) = (vec![0.0; 1600], vec![0.0; 1600]);
    crate::invert(crate::Request::new(&view, &mut x).with_options(InvOptions::default())).unwrap();
    inv_structured_into(&view, &mut y, Structure::Auto, &p).unwrap();
    assert_eq!(x, y);
    // Detection.
    let classify = |v: &[f64], hermitian| {
        detect::classify(
            StackView::c_contiguous(v, &[2, 2]).unwrap().matrix(0),
            2,
            hermitian,
        )
    };
    let m = |v: &[f64]| classify(v, true);
    // Not looked for: general.
    assert_eq!(classify(&[1.0, 3.0, 3.0, 2.0], false), Class::General);
    assert_eq!(classify(&[1.0, 3.0, 0.0, 2.0], false), Class::Upper);
    assert_eq!(m(&[1.0, 0.0, 0.0, 2.0]), Class::Diagonal);
    assert_eq!(m(&[1.0, 3.0, 0.0, 2.0]), Class::Upper);
    assert_eq!(m(&[1.0, 0.0, 3.0, 2.0]), Class::Lower);
    assert_eq!(m(&[1.0, 3.0, 3.0, 2.0]), Class::Hermitian);
    assert_eq!(m(&[-1.0, 3.0, 3.0, 2.0]), Class::General);
    assert_eq!(m(&[1.0, 3.0, 3.5, 2.0]), Class::General);
}

#[test]
fn strided_stacks_and_threads() {
    // A transposed (Fortran-order) stack of 300 lower-triangular matrices read as upper
    // triangular ones, on several threads: same bits as one by one.
    let n = 12;
    let count = 300;
    let mut rng = Rng::seeded(3);
    let mut data = Vec::new();
    for _ in 0..count {
        let (a, _) = make::<f64>(&mut rng, n, Structure::PositiveDefinite { lower: false });
        data.extend(a);
    }
    let strides = [(n * n) as isize, 1, n as isize];
    let view = StackView::new(&data, &[count, n, n], &strides, 0).unwrap();
    for structure in STRUCTURES {
        let mut one = vec![0.0; count * n * n];
        let mut many = vec![0.0; count * n * n];
        let single = Params::default().with_num_threads(1);
        let multi = Params {
            threads: ThreadParams {
                num_threads: 2,
                task_flops: 1 << 12,
                ..ThreadParams::default()
            },
            ..Params::default()
        };
        let mut st1 = vec![Status::default(); count];
        let mut st2 = vec![Status::default(); count];
        inv_ex_structured_into(&view, &mut one, &mut st1, structure, &single).unwrap();
        inv_ex_structured_into(&view, &mut many, &mut st2, structure, &multi).unwrap();
        assert_eq!(one, many, "{structure:?}");
        assert_eq!(st1, st2);
        // Matrix 17 against the contiguous copy of it.
        let k = 17;
        let copy: Vec<f64> = (0..n * n).map(|p| view.get(k, p / n, p % n)).collect();
        let mut x = vec![0.0; n * n];
        let cv = StackView::c_contiguous(&copy, &[n, n]).unwrap();
        let mut s = [Status::default()];
        inv_ex_structured_into(&cv, &mut x, &mut s, structure, &single).unwrap();
        assert_eq!(&one[k * n * n..][..n * n], &x[..], "{structure:?}");
    }
}

#[test]
fn scaled_near_overflow_and_underflow() {
    for e in [-1000, 1000] {
        let s = 2f64.powi(e);
        for &structure in &STRUCTURES[1..4] {
            for n in [5, 40] {
                let mut rng = Rng::seeded(n as u64);
                let (a, implied) = make::<f64>(&mut rng, n, structure);
                let a: Vec<f64> = a.iter().map(|v| v * s).collect();
                let view = StackView::c_contiguous(&a, &[n, n]).unwrap();
                let mut x = vec![0.0; n * n];
                inv_structured_into(&view, &mut x, structure, &Params::default()).unwrap();
                let xw: Vec<c64> = x.iter().map(|&v| c64::new(v * s, 0.0)).collect();
                let r = ratio(n, &implied, &xw, f64::EPSILON);
                assert!(r < 30.0, "{structure:?} n={n} 2^{e}: ratio {r}");
            }
        }
    }
}

#[test]
fn names() {
    for name in Structure::NAMES {
        assert!(Structure::from_name(name, false).is_ok());
    }
    assert_eq!(Structure::from_name("gen", true), Ok(Structure::General));
    assert_eq!(
        Structure::from_name("foo", false).unwrap_err().to_string(),
        "assume_a must be one of 'general', 'diagonal', 'upper triangular', \
         'lower triangular', 'pos', 'sym', 'her', 'auto'; got 'foo'"
    );
}
