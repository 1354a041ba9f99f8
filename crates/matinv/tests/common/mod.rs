//! Shared helpers for the integration tests and the crate's unit tests (which include this
//! file): a slow, obviously-correct residual in double precision, and a small seeded
//! generator (no extra dependency needed).
#![allow(dead_code)]

use matinv::{c32, c64, Element};

/// Elements the tests generate and measure, widened to c64 for the residual.
pub trait TestElement: Element {
    const EPS: f64;
    fn from_parts(re: f64, im: f64) -> Self;
    fn widen(self) -> c64;
}

impl TestElement for f64 {
    const EPS: f64 = f64::EPSILON;
    fn from_parts(re: f64, _: f64) -> Self {
        re
    }
    fn widen(self) -> c64 {
        c64::new(self, 0.0)
    }
}
impl TestElement for f32 {
    const EPS: f64 = f32::EPSILON as f64;
    fn from_parts(re: f64, _: f64) -> Self {
        re as f32
    }
    fn widen(self) -> c64 {
        c64::new(self as f64, 0.0)
    }
}
impl TestElement for c64 {
    const EPS: f64 = f64::EPSILON;
    fn from_parts(re: f64, im: f64) -> Self {
        c64::new(re, im)
    }
    fn widen(self) -> c64 {
        self
    }
}
impl TestElement for c32 {
    const EPS: f64 = f32::EPSILON as f64;
    fn from_parts(re: f64, im: f64) -> Self {
        c32::new(re as f32, im as f32)
    }
    fn widen(self) -> c64 {
        c64::new(self.re as f64, self.im as f64)
    }
}

/// xorshift64*: deterministic, good enough for test matrices.
pub struct Rng(pub u64);
impl Rng {
    /// A generator whose state is `seed` spread over the word (any seed, 0 included).
    pub fn seeded(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545F4914F6CDD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// The 1-norm (largest column sum of moduli) of the row-major `n x n` matrix `a`.
pub fn norm1(a: &[c64], n: usize) -> f64 {
    (0..n)
        .map(|j| (0..n).map(|i| a[i * n + j].norm()).sum::<f64>())
        .fold(0.0, f64::max)
}

/// LAPACK's inversion test ratio `||I - X A||_1 / (n ||A||_1 ||X||_1 eps)` for row-major
/// `a` and `x`, computed in double precision.
pub fn lapack_ratio<T: TestElement>(a: &[T], x: &[T], n: usize) -> f64 {
    let a: Vec<c64> = a.iter().map(|v| v.widen()).collect();
    let x: Vec<c64> = x.iter().map(|v| v.widen()).collect();
    widened_ratio(n, &a, &x, T::EPS)
}

/// [`lapack_ratio`] of matrices already widened, with the `eps` of the precision that
/// computed `x`.
pub fn widened_ratio(n: usize, a: &[c64], x: &[c64], eps: f64) -> f64 {
    let mut r = vec![c64::new(0.0, 0.0); n * n];
    for i in 0..n {
        for k in 0..n {
            let xik = x[i * n + k];
            for j in 0..n {
                r[i * n + j] += xik * a[k * n + j];
            }
        }
        r[i * n + i] -= 1.0;
    }
    norm1(&r, n) / (n as f64 * norm1(a, n) * norm1(x, n) * eps)
}

/// A random row-major `n x n` matrix with a boosted diagonal (well conditioned).
pub fn random_matrix<T: TestElement>(rng: &mut Rng, n: usize, diag_boost: f64) -> Vec<T> {
    (0..n * n)
        .map(|k| {
            let d = if k / n == k % n { diag_boost } else { 0.0 };
            T::from_parts(rng.next_f64() + d, rng.next_f64())
        })
        .collect()
}
