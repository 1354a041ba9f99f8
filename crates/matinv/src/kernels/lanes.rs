//! Tiny and small real matrices (n <= 8), one SIMD group at a time: lane `l` of every
//! vector holds matrix `l` of the group, so one instruction advances a whole group of
//! inversions (4 with AVX2, 8 with AVX-512, 2 with NEON, 1 without SIMD).
//!
//! It is the algorithm of [`super::unblocked`] (getf2's left-looking order, getri's inverse)
//! written lane-wise: every lane performs exactly the scalar kernel's operations in the same
//! order (separate multiplies and adds, no FMA), so results are bit-for-bit the scalar ones.
//! Pivoting differs between lanes, so row and column interchanges are blends, and a lane
//! that meets a zero pivot is only reported (its garbage stays in its lane).
//!
//! The vector operations are pulp's (faer's SIMD layer): plain loops over arrays left LLVM
//! to vectorise the masks and blends, and it kept them in scalar registers and on the stack.

use pulp::{bytemuck, Simd};

/// The largest order this kernel takes: beyond it the matrices no longer fit in registers.
pub const MAX_N: usize = 8;

/// `for $i in 0..$n { $body }` written out in full (`$n <= 8`): LLVM does not unroll the
/// nested loops of the kernel by itself from 4x4 on, and then keeps the matrices on the
/// stack, addressed by index (4x4: 48 against 35 ns per matrix, 8x8: 430 against 330 ns).
macro_rules! unroll {
    ($i:ident < $n:expr, $body:block) => {
        unroll!(@each $i, $n, $body, 0 1 2 3 4 5 6 7)
    };
    (@each $i:ident, $n:expr, $body:block, $($k:literal)*) => {
        {$({
            let $i: usize = $k;
            if $i < $n $body
        })*}
    };
}

/// The widest group any instruction set here uses (AVX-512: 8 f64 per register).
pub const MAX_LANES: usize = 8;

/// The vector whose lane `l` is `f(l)`, built in registers: writing lanes one by one
/// through memory and reading the vector back stalls on store forwarding.
#[inline(always)]
pub fn from_fn<S: Simd>(f: impl Fn(usize) -> f64) -> S::f64s {
    match S::F64_LANES {
        1 => bytemuck::cast([f(0)]),
        2 => bytemuck::cast([f(0), f(1)]),
        4 => bytemuck::cast([f(0), f(1), f(2), f(3)]),
        8 => bytemuck::cast([f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7)]),
        lanes => unreachable!("no instruction set has {lanes} f64 lanes"),
    }
}

/// `N x N` matrices held lane-wise, column-major: `a[j][i]` holds entry `(i, j)` of every
/// matrix of the group.
pub type Group<S, const N: usize> = [[<S as Simd>::f64s; N]; N];

/// Inverts the matrices held in `a`. Returns per lane `-1.0`, or the 0-based column of its
/// first exact zero pivot (getrf's `info - 1`), as a float.
#[inline(always)]
pub fn invert<S: Simd, const N: usize>(simd: S, a: &mut Group<S, N>) -> S::f64s {
    // Every loop runs over the full constant range 0..N with a guard, never over j..N, and
    // is written out in full: the matrices then stay in registers.
    let splat = |x: f64| simd.splat_f64s(x);
    let mul_add = |acc, x, y| simd.add_f64s(acc, simd.mul_f64s(x, y));
    let mut zero = splat(-1.0);
    let mut piv = [splat(0.0); N];
    // 1 / U[j, j], needed by the factorisation and again by inv(U): divided once.
    let mut recip = [splat(0.0); N];

    // Factor: P A = L U, column by column.
    unroll!(j < N, {
        let mut acc = [splat(0.0); N];
        unroll!(k < N, {
            if k < j {
                let bk = simd.sub_f64s(a[j][k], acc[k]);
                a[j][k] = bk;
                unroll!(i < N, {
                    if i > k {
                        acc[i] = mul_add(acc[i], a[k][i], bk);
                    }
                });
            }
        });
        let mut best = splat(-1.0);
        let mut p = splat(j as f64);
        unroll!(i < N, {
            if i >= j {
                let v = simd.sub_f64s(a[j][i], acc[i]);
                a[j][i] = v;
                let av = simd.abs_f64s(v);
                let gt = simd.greater_than_f64s(av, best);
                best = simd.select_f64s(gt, av, best);
                let _ = best; // read by the next row only
                p = simd.select_f64s(gt, splat(i as f64), p);
            }
        });
        piv[j] = p;
        // Interchange rows j and p (per lane) across all columns.
        unroll!(i < N, {
            if i > j {
                let m = simd.equal_f64s(p, splat(i as f64));
                unroll!(c < N, {
                    let (x, y) = (a[c][j], a[c][i]);
                    a[c][j] = simd.select_f64s(m, y, x);
                    a[c][i] = simd.select_f64s(m, x, y);
                });
            }
        });
        let d = a[j][j];
        let first_zero = simd.and_m64s(
            simd.equal_f64s(d, splat(0.0)),
            simd.less_than_f64s(zero, splat(0.0)),
        );
        zero = simd.select_f64s(first_zero, splat(j as f64), zero);
        // getf2 scales by the reciprocal unless that would overflow, then divides.
        let r = simd.div_f64s(splat(1.0), d);
        recip[j] = r;
        let tiny = simd.less_than_f64s(simd.abs_f64s(d), splat(f64::MIN_POSITIVE));
        let any_tiny = simd.first_true_m64s(tiny) < S::F64_LANES;
        unroll!(i < N, {
            if i > j {
                let x = a[j][i];
                a[j][i] = if any_tiny {
                    simd.select_f64s(tiny, simd.div_f64s(x, d), simd.mul_f64s(x, r))
                } else {
                    simd.mul_f64s(x, r)
                };
            }
        });
    });

    // inv(U), column by column (trti2's order).
    unroll!(j < N, {
        let ujj = recip[j];
        a[j][j] = ujj;
        let mut t = [splat(0.0); N];
        unroll!(k < N, {
            if k < j {
                let ukj = a[j][k];
                unroll!(i < N, {
                    if i <= k {
                        t[i] = mul_add(t[i], a[k][i], ukj);
                    }
                });
            }
        });
        unroll!(i < N, {
            if i < j {
                a[j][i] = simd.sub_f64s(splat(0.0), simd.mul_f64s(t[i], ujj));
            }
        });
    });

    // X L = inv(U), columns from the last to the first (getri's order).
    unroll!(jj < N, {
        let j = N - 1 - jj;
        let mut lcol = [splat(0.0); N];
        unroll!(k < N, {
            if k > j {
                lcol[k] = a[j][k];
                a[j][k] = splat(0.0);
            }
        });
        let mut t = [splat(0.0); N];
        unroll!(k < N, {
            if k > j {
                unroll!(i < N, {
                    t[i] = mul_add(t[i], a[k][i], lcol[k]);
                });
            }
        });
        if j + 1 < N {
            unroll!(i < N, {
                a[j][i] = simd.sub_f64s(a[j][i], t[i]);
            });
        }
    });

    // Undo the row interchanges as column interchanges, last first.
    unroll!(jj < N, {
        let j = N - 1 - jj;
        unroll!(c < N, {
            if c > j {
                let m = simd.equal_f64s(piv[j], splat(c as f64));
                unroll!(i < N, {
                    let (x, y) = (a[j][i], a[c][i]);
                    a[j][i] = simd.select_f64s(m, y, x);
                    a[c][i] = simd.select_f64s(m, x, y);
                });
            }
        });
    });
    zero
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::unblocked;
    use pulp::bytemuck;

    fn check<S: Simd, const N: usize>(simd: S, seed: u64) {
        let lanes = S::F64_LANES;
        let mut s = seed;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) % 7) as f64 - 3.0 // small integers: many ties and exact zeros
        };
        let mut a: Group<S, N> = [[simd.splat_f64s(0.0); N]; N];
        let mut singles = vec![[[0.0f64; N]; N]; lanes];
        for (j, col) in a.iter_mut().enumerate() {
            for (i, v) in col.iter_mut().enumerate() {
                let v: &mut [f64] = bytemuck::cast_slice_mut(core::slice::from_mut(v));
                for (l, single) in singles.iter_mut().enumerate() {
                    v[l] = next();
                    single[j][i] = v[l];
                }
            }
        }
        let zero = invert::<S, N>(simd, &mut a);
        let zero: &[f64] = bytemuck::cast_slice(core::slice::from_ref(&zero));
        for (l, single) in singles.iter().enumerate() {
            let mut x = *single;
            let (mut piv, mut work) = ([0; N], vec![0.0; 2 * N]);
            let r = unblocked::invert_in_place(x.as_flattened_mut(), N, &mut piv, &mut work);
            let lane_zero = (zero[l] >= 0.0).then_some(zero[l] as usize);
            assert_eq!(r.err(), lane_zero, "lane {l}");
            if r.is_ok() {
                for j in 0..N {
                    for i in 0..N {
                        let got: &[f64] = bytemuck::cast_slice(core::slice::from_ref(&a[j][i]));
                        assert_eq!(got[l].to_bits(), x[j][i].to_bits(), "lane {l} ({i},{j})");
                    }
                }
            }
        }
    }

    fn check_all<S: Simd>(simd: S) {
        for seed in 0..200 {
            check::<S, 1>(simd, seed);
            check::<S, 2>(simd, seed);
            check::<S, 3>(simd, seed);
            check::<S, 4>(simd, seed);
            check::<S, 5>(simd, seed);
            check::<S, 8>(simd, seed);
        }
    }

    struct CheckAll;
    impl pulp::WithSimd for CheckAll {
        type Output = usize;
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) -> usize {
            check_all(simd);
            S::F64_LANES
        }
    }

    #[test]
    fn lanes_match_the_scalar_kernel_bit_for_bit() {
        // The widest instruction set this CPU has, and the portable fallback.
        let lanes = pulp::Arch::new().dispatch(CheckAll);
        assert!(lanes >= 1);
        check_all(pulp::Scalar::new());
    }
}
