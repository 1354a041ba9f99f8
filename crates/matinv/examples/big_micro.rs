use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::{Mat, Par};
use matinv::kernels::lu::{factor, inverse};
use std::time::Instant;

fn main() {
    for n in [512usize, 1024, 2048] {
        let a = Mat::<f64>::from_fn(n, n, |i, j| ((i * 7 + j * 13) % 17) as f64 / 17.0 + if i == j { n as f64 } else { 0.0 });
        for par in [Par::Seq, Par::rayon(0)] {
            let mut lu = a.clone();
            let (mut p, mut pi) = (vec![0usize; n], vec![0usize; n]);
            let mut buf = MemBuffer::new(StackReq::any_of(&[factor::scratch::<f64>(n, par), inverse::scratch::<f64>(n, par)]));
            let t = Instant::now();
            factor::factor(lu.as_mut(), &mut p, &mut pi, par, MemStack::new(&mut buf)).unwrap();
            let tf = t.elapsed().as_secs_f64();
            let mut out = Mat::<f64>::zeros(n, n);
            let t = Instant::now();
            inverse::inverse(out.as_mut(), lu.as_ref(), &p, &pi, par, MemStack::new(&mut buf));
            let ti = t.elapsed().as_secs_f64();
            let f = (n * n * n) as f64;
            println!("n={n} {par:?}: factor {:.1} ms ({:.0} GF/s), inverse {:.1} ms ({:.0} GF/s)", tf * 1e3, 2.0 / 3.0 * f / tf / 1e9, ti * 1e3, 4.0 / 3.0 * f / ti / 1e9);
        }
    }
}
