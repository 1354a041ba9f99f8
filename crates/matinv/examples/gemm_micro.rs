use faer::{Mat, Par, Accum};
use std::time::Instant;
fn main() {
    for n in [512usize, 1024, 2048] {
        let a = Mat::<f64>::from_fn(n, n, |i, j| (i + j) as f64);
        let b = a.clone();
        let mut c = Mat::<f64>::zeros(n, n);
        for par in [Par::Seq, Par::rayon(0)] {
            faer::linalg::matmul::matmul(c.as_mut(), Accum::Replace, a.as_ref(), b.as_ref(), 1.0, par);
            let t = Instant::now();
            faer::linalg::matmul::matmul(c.as_mut(), Accum::Replace, a.as_ref(), b.as_ref(), 1.0, par);
            let e = t.elapsed().as_secs_f64();
            println!("gemm n={n} {par:?}: {:.1} ms {:.0} GF/s", e * 1e3, 2.0 * (n * n * n) as f64 / e / 1e9);
        }
    }
}
