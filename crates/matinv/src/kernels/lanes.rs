//! Tiny and small real matrices (n <= 8), a group of `L` at a time: lane `l` of every
//! vector holds matrix `l` of the group, so one SIMD instruction advances `L` inversions.
//!
//! It is the algorithm of [`super::unblocked`] (getf2's left-looking order, getri's inverse)
//! written lane-wise: every lane performs exactly the scalar kernel's operations in the same
//! order, so results are bit-for-bit the scalar ones. Pivoting differs between lanes, so row
//! and column interchanges are blends, and a lane that meets a zero pivot is only reported
//! (its garbage stays in its lane). Plain loops over `[f64; L]` are vectorised by LLVM in
//! whatever instruction set the caller was compiled for (see `batch.rs`'s dispatch).

use super::ZeroPivot;

/// The widest group any instruction set here uses (AVX-512: 8 f64 per register).
pub const MAX_L: usize = 8;

#[inline(always)]
fn map2<const L: usize>(x: &[f64; L], y: &[f64; L], f: impl Fn(f64, f64) -> f64) -> [f64; L] {
    let mut r = [0.0; L];
    for l in 0..L {
        r[l] = f(x[l], y[l]);
    }
    r
}

#[inline(always)]
fn add<const L: usize>(x: &[f64; L], y: &[f64; L]) -> [f64; L] {
    map2(x, y, |a, b| a + b)
}
#[inline(always)]
fn sub<const L: usize>(x: &[f64; L], y: &[f64; L]) -> [f64; L] {
    map2(x, y, |a, b| a - b)
}
#[inline(always)]
fn mul<const L: usize>(x: &[f64; L], y: &[f64; L]) -> [f64; L] {
    map2(x, y, |a, b| a * b)
}

/// Lane masks: all ones or all zeros, so that selects are bitwise and stay vectorised.

#[inline(always)]
fn mask<const L: usize>(f: impl Fn(usize) -> bool) -> [u64; L] {
    let mut r = [0u64; L];
    for l in 0..L {
        r[l] = (f(l) as u64).wrapping_neg();
    }
    r
}

/// `if m { x } else { y }` per lane.
#[inline(always)]
fn select<const L: usize>(m: &[u64; L], x: &[f64; L], y: &[f64; L]) -> [f64; L] {
    let mut r = [0.0; L];
    for l in 0..L {
        r[l] = f64::from_bits((x[l].to_bits() & m[l]) | (y[l].to_bits() & !m[l]));
    }
    r
}

#[inline(always)]
fn eq_index<const L: usize>(p: &[f64; L], i: usize) -> [u64; L] {
    mask(|l| p[l] == i as f64)
}

/// Inverts the `L` column-major matrices held lane-wise in `a` (`a[j][i][l]` is entry
/// `(i, j)` of matrix `l`). Returns per lane `None`, or the column of its first zero pivot.
/// `L` should fill one vector register (2 for SSE2 and NEON, 4 for AVX2, 8 for AVX-512):
/// wider groups spill registers.
#[inline(always)]
pub fn invert<const N: usize, const L: usize>(a: &mut [[[f64; L]; N]; N]) -> [Option<ZeroPivot>; L] {
    // Every loop runs over the full constant range 0..N with a guard, never over j..N:
    // LLVM then unrolls all of them completely and keeps the matrices in registers.
    let mut zero = [-1.0; L];
    let mut piv = [[0.0; L]; N];

    // Factor: P A = L U, column by column.
    for j in 0..N {
        let mut acc = [[0.0; L]; N];
        for k in 0..N {
            if k < j {
                let bk = sub(&a[j][k], &acc[k]);
                a[j][k] = bk;
                for i in 0..N {
                    if i > k {
                        acc[i] = add(&acc[i], &mul(&a[k][i], &bk));
                    }
                }
            }
        }
        let mut best = [-1.0; L];
        let mut p = [j as f64; L];
        for i in 0..N {
            if i >= j {
                let v = sub(&a[j][i], &acc[i]);
                a[j][i] = v;
                let av = v.map(f64::abs);
                let gt = mask(|l| av[l] > best[l]);
                best = select(&gt, &av, &best);
                p = select(&gt, &[i as f64; L], &p);
            }
        }
        piv[j] = p;
        // Interchange rows j and p (per lane) across all columns.
        for i in 0..N {
            if i > j {
                let m = eq_index(&p, i);
                for c in 0..N {
                    let (x, y) = (a[c][j], a[c][i]);
                    a[c][j] = select(&m, &y, &x);
                    a[c][i] = select(&m, &x, &y);
                }
            }
        }
        let d = a[j][j];
        let first_zero = mask(|l| d[l] == 0.0 && zero[l] < 0.0);
        zero = select(&first_zero, &[j as f64; L], &zero);
        // getf2 scales by the reciprocal unless that would overflow, then divides.
        let r = d.map(|d| 1.0 / d);
        let tiny = mask(|l| d[l].abs() < f64::MIN_POSITIVE);
        let any_tiny = tiny.iter().fold(0, |acc, &t| acc | t) != 0;
        for i in 0..N {
            if i > j {
                let x = a[j][i];
                a[j][i] = if any_tiny {
                    select(&tiny, &map2(&x, &d, |x, d| x / d), &mul(&x, &r))
                } else {
                    mul(&x, &r)
                };
            }
        }
    }

    // inv(U), column by column (trti2's order).
    for j in 0..N {
        let ujj = a[j][j].map(|d| 1.0 / d);
        a[j][j] = ujj;
        let mut t = [[0.0; L]; N];
        for k in 0..N {
            if k < j {
                let ukj = a[j][k];
                for i in 0..N {
                    if i <= k {
                        t[i] = add(&t[i], &mul(&a[k][i], &ukj));
                    }
                }
            }
        }
        for i in 0..N {
            if i < j {
                a[j][i] = sub(&[0.0; L], &mul(&t[i], &ujj));
            }
        }
    }

    // X L = inv(U), columns from the last to the first (getri's order).
    for jj in 0..N {
        let j = N - 1 - jj;
        let mut lcol = [[0.0; L]; N];
        for k in 0..N {
            if k > j {
                lcol[k] = a[j][k];
                a[j][k] = [0.0; L];
            }
        }
        let mut t = [[0.0; L]; N];
        for k in 0..N {
            if k > j {
                for i in 0..N {
                    t[i] = add(&t[i], &mul(&a[k][i], &lcol[k]));
                }
            }
        }
        if j + 1 < N {
            for i in 0..N {
                a[j][i] = sub(&a[j][i], &t[i]);
            }
        }
    }

    // Undo the row interchanges as column interchanges, last first.
    for jj in 0..N {
        let j = N - 1 - jj;
        for c in 0..N {
            if c > j {
                let m = eq_index(&piv[j], c);
                for i in 0..N {
                    let (x, y) = (a[j][i], a[c][i]);
                    a[j][i] = select(&m, &y, &x);
                    a[c][i] = select(&m, &x, &y);
                }
            }
        }
    }
    zero.map(|z| (z >= 0.0).then_some(z as usize))
}

#[cfg(test)]
mod tests {
    use super::*;
    const LANES: usize = 4;
    use crate::kernels::unblocked;

    fn check<const N: usize>(seed: u64) {
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) % 7) as f64 - 3.0 // small integers: many ties and exact zeros
        };
        let mut a = [[[0.0; LANES]; N]; N];
        let mut singles = vec![[[0.0f64; N]; N]; LANES];
        for l in 0..LANES {
            for j in 0..N {
                for i in 0..N {
                    let v = next();
                    a[j][i][l] = v;
                    singles[l][j][i] = v;
                }
            }
        }
        let zero = invert::<N, LANES>(&mut a);
        for l in 0..LANES {
            let mut x = singles[l];
            let (mut piv, mut work) = ([0; N], vec![0.0; 2 * N]);
            let r = unblocked::invert_in_place(x.as_flattened_mut(), N, &mut piv, &mut work);
            assert_eq!(r.err(), zero[l], "lane {l}");
            if r.is_ok() {
                for j in 0..N {
                    for i in 0..N {
                        assert_eq!(a[j][i][l].to_bits(), x[j][i].to_bits(), "lane {l} ({i},{j})");
                    }
                }
            }
        }
    }

    #[test]
    fn lanes_match_the_scalar_kernel_bit_for_bit() {
        for seed in 0..200 {
            check::<1>(seed);
            check::<2>(seed);
            check::<3>(seed);
            check::<4>(seed);
            check::<5>(seed);
            check::<8>(seed);
        }
    }
}
