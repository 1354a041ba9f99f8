use matinv::kernels::lanes::invert;
use std::time::Instant;

#[target_feature(enable = "avx2,fma")]
unsafe fn run<const N: usize, const L: usize>(groups: usize) -> f64 {
    let mut a = [[[0.0f64; L]; N]; N];
    for j in 0..N { for i in 0..N { for l in 0..L { a[j][i][l] = ((i * 7 + j * 3 + l) % 11) as f64 + if i == j { 20.0 } else { 0.0 }; } } }
    let mut sink = 0.0;
    for _ in 0..groups {
        let mut x = std::hint::black_box(a);
        let z = invert::<N, L>(&mut x);
        sink += x[0][0][0] + z[0].map_or(0.0, |v| v as f64);
    }
    sink
}

fn t<const N: usize, const L: usize>() {
    let g = std::env::var("G").map(|v| v.parse().unwrap()).unwrap_or(4_000_000 / N / L);
    let s = Instant::now();
    let r = unsafe { run::<N, L>(g) };
    println!("N={N} L={L}: {:.1} ns/matrix ({r})", s.elapsed().as_secs_f64() / (g * L) as f64 * 1e9);
}

fn main() {
    if let Some(a) = std::env::args().nth(1) { if a == "3" { t::<3, 4>(); } else { t::<2, 4>(); } return; }
    t::<2, 4>(); t::<2, 8>(); t::<2, 16>();
    t::<3, 4>(); t::<3, 8>(); t::<3, 16>(); t::<3, 32>();
    t::<4, 4>(); t::<4, 8>(); t::<4, 16>(); t::<4, 32>();
    t::<8, 4>(); t::<8, 8>(); t::<8, 16>();
}
