//! Distance-kernel throughput at every SIMD level this CPU supports, against the scalar
//! code (the ratio is what SIMD buys). `cargo bench -p helios-vector --bench kernels`.

use std::hint::black_box;
use std::time::Instant;

use helios_vector::distance::{available_levels, Kernels};
use helios_vector::rng::SplitMix64;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mut rng = SplitMix64::new(1);
    for dim in [128usize, 384, 1536] {
        // 1 000 vectors: 1.5 MB at 384 dims, in L2/L3 cache like a graph's hot region.
        let n = 1000;
        let data: Vec<f32> = (0..n * dim).map(|_| rng.next_f64() as f32 - 0.5).collect();
        let query: Vec<f32> = (0..dim).map(|_| rng.next_f64() as f32 - 0.5).collect();
        let rounds = 400_000_000 / (n * dim);
        println!("\ndim {dim}: {} distances per kernel and level", rounds * n);
        println!("| level | L2² ns | dot ns | dot+norms ns | L2² vs scalar |");
        println!("|---|---:|---:|---:|---:|");
        let mut scalar_l2 = f64::NAN;
        for level in available_levels() {
            let k = Kernels::for_level(level).expect("listed levels are available");
            let time = |f: &dyn Fn(&[f32], &[f32]) -> f32| {
                let start = Instant::now();
                let mut acc = 0f32;
                for _ in 0..rounds {
                    for v in data.chunks_exact(dim) {
                        acc += f(black_box(&query), black_box(v));
                    }
                }
                black_box(acc);
                start.elapsed().as_secs_f64() * 1e9 / (rounds * n) as f64
            };
            let l2 = time(&|a, b| (k.l2_squared)(a, b));
            let dot = time(&|a, b| (k.dot)(a, b));
            let cos = time(&|a, b| (k.dot_norms)(a, b).0);
            if scalar_l2.is_nan() {
                scalar_l2 = l2;
            }
            println!("| {level:?} | {l2:.1} | {dot:.1} | {cos:.1} | {:.1}× |", scalar_l2 / l2);
        }
    }
}
