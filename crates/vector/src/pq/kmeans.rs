//! Lloyd's k-means with k-means++ seeding, a fixed number of iterations and a seedable RNG.

use crate::distance::l2_squared;
use crate::error::{Result, VectorError};
use crate::rng::SplitMix64;

/// Clusters the `n = data.len() / dim` points of `data` into `k` centroids, returned as one
/// `k × dim` array.
///
/// Seeding is k-means++ (Arthur & Vassilvitskii): each next seed is drawn with probability
/// proportional to its squared distance to the nearest seed so far. Then `iterations` rounds
/// of assign-to-nearest and move-to-mean; a centroid left without points is moved onto the
/// point currently farthest from its own centroid, so no centroid is wasted.
pub fn kmeans(
    data: &[f32],
    dim: usize,
    k: usize,
    iterations: usize,
    rng: &mut SplitMix64,
) -> Result<Vec<f32>> {
    if dim == 0 || k == 0 {
        return Err(VectorError::InvalidArgument("k-means needs dim > 0 and k > 0".into()));
    }
    let n = data.len() / dim;
    if n < k {
        return Err(VectorError::NotEnoughTrainingData { needed: k, got: n });
    }
    let point = |i: usize| &data[i * dim..(i + 1) * dim];

    // Distances from one new seed to every point, vectorised over points.
    let points_t = transpose(data, dim);
    let mut to_seed = vec![0f32; n];
    let mut centroids = Vec::with_capacity(k * dim);
    centroids.extend_from_slice(point(rng.below(n)));
    l2_to_all(&centroids[..dim], &points_t, &mut to_seed);
    let mut nearest = to_seed.clone();
    for c in 1..k {
        let total: f64 = nearest.iter().map(|d| f64::from(*d)).sum();
        let chosen = if total > 0.0 {
            let mut target = rng.next_f64() * total;
            let mut chosen = n - 1;
            for (i, d) in nearest.iter().enumerate() {
                target -= f64::from(*d);
                if target < 0.0 {
                    chosen = i;
                    break;
                }
            }
            chosen
        } else {
            // Every point coincides with a seed: duplicates are the best we can do.
            rng.below(n)
        };
        centroids.extend_from_slice(point(chosen));
        l2_to_all(&centroids[c * dim..(c + 1) * dim], &points_t, &mut to_seed);
        for (d, s) in nearest.iter_mut().zip(&to_seed) {
            *d = d.min(*s);
        }
    }

    let mut assignment = vec![0usize; n];
    let mut sums = vec![0f64; k * dim];
    let mut counts = vec![0usize; k];
    let mut dists = vec![0f32; k];
    for _ in 0..iterations {
        let t = transpose(&centroids, dim);
        for (i, a) in assignment.iter_mut().enumerate() {
            l2_to_all(point(i), &t, &mut dists);
            let (best, dist) = argmin(&dists);
            *a = best;
            nearest[i] = dist;
        }
        sums.iter_mut().for_each(|s| *s = 0.0);
        counts.iter_mut().for_each(|c| *c = 0);
        for (i, &a) in assignment.iter().enumerate() {
            counts[a] += 1;
            for (s, x) in sums[a * dim..(a + 1) * dim].iter_mut().zip(point(i)) {
                *s += f64::from(*x);
            }
        }
        for c in 0..k {
            let centroid = &mut centroids[c * dim..(c + 1) * dim];
            if counts[c] == 0 {
                let far = (0..n)
                    .max_by(|&a, &b| nearest[a].total_cmp(&nearest[b]))
                    .expect("n >= k >= 1 points");
                centroid.copy_from_slice(point(far));
                nearest[far] = 0.0;
                continue;
            }
            let inv = 1.0 / counts[c] as f64;
            for (x, s) in centroid.iter_mut().zip(&sums[c * dim..(c + 1) * dim]) {
                *x = (*s * inv) as f32;
            }
        }
    }
    Ok(centroids)
}

/// The `k × dim` centroids laid out dimension-major (`t[d·k + j]` is coordinate `d` of
/// centroid `j`), so distances from one vector to all centroids vectorise over centroids.
pub fn transpose(centroids: &[f32], dim: usize) -> Vec<f32> {
    let k = centroids.len() / dim;
    let mut t = vec![0f32; centroids.len()];
    for (j, c) in centroids.chunks_exact(dim).enumerate() {
        for (d, &x) in c.iter().enumerate() {
            t[d * k + j] = x;
        }
    }
    t
}

/// Lanes of the branch-free minimum search in [`argmin`].
const LANES: usize = 8;

/// Squared L2 distances from `v` to every centroid of the transposed array `t`, into
/// `out` (one per centroid). The inner loop runs over centroids, contiguous in `t`, so
/// it compiles to SIMD without intrinsics.
pub fn l2_to_all(v: &[f32], t: &[f32], out: &mut [f32]) {
    let k = out.len();
    out.fill(0.0);
    for (row, &x) in t.chunks_exact(k).zip(v) {
        for (o, &c) in out.iter_mut().zip(row) {
            let d = x - c;
            *o += d * d;
        }
    }
}

/// Dot products of `v` with every centroid of the transposed array `t`, into `out`.
pub fn dot_to_all(v: &[f32], t: &[f32], out: &mut [f32]) {
    let k = out.len();
    out.fill(0.0);
    for (row, &x) in t.chunks_exact(k).zip(v) {
        for (o, &c) in out.iter_mut().zip(row) {
            *o += x * c;
        }
    }
}

/// Position and value of the smallest element (the first on ties; NaN never wins).
pub fn argmin(values: &[f32]) -> (usize, f32) {
    // Per-lane minimums first (branch-free selects the compiler vectorises), then the
    // lanes; a lane only ever holds indices congruent to it, so ties keep the first.
    let mut best = [f32::INFINITY; LANES];
    let mut at = [0usize; LANES];
    let chunks = values.chunks_exact(LANES);
    let tail = chunks.remainder();
    for (i, chunk) in chunks.enumerate() {
        for l in 0..LANES {
            let better = chunk[l] < best[l];
            best[l] = if better { chunk[l] } else { best[l] };
            at[l] = if better { i * LANES + l } else { at[l] };
        }
    }
    let mut result = (0, f32::INFINITY);
    for l in 0..LANES {
        if best[l] < result.1 || (best[l] == result.1 && at[l] < result.0) {
            result = (at[l], best[l]);
        }
    }
    let base = values.len() - tail.len();
    for (i, &v) in tail.iter().enumerate() {
        if v < result.1 {
            result = (base + i, v);
        }
    }
    result
}

/// Index and squared distance of the centroid nearest to `v`.
pub fn nearest_centroid(centroids: &[f32], dim: usize, v: &[f32]) -> (usize, f32) {
    let mut best = (0, f32::INFINITY);
    for (c, centroid) in centroids.chunks_exact(dim).enumerate() {
        let d = l2_squared(v, centroid);
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_well_separated_clusters() {
        let mut rng = SplitMix64::new(3);
        let centers = [[0.0f32, 0.0], [10.0, 10.0], [-10.0, 10.0]];
        let mut data = Vec::new();
        for i in 0..300 {
            let c = centers[i % 3];
            data.push(c[0] + (rng.next_f64() as f32 - 0.5));
            data.push(c[1] + (rng.next_f64() as f32 - 0.5));
        }
        let centroids = kmeans(&data, 2, 3, 10, &mut SplitMix64::new(9)).expect("enough data");
        for c in centers {
            let (_, d) = nearest_centroid(&centroids, 2, &c);
            assert!(d < 0.1, "no centroid near {c:?}: {centroids:?}");
        }
        let again = kmeans(&data, 2, 3, 10, &mut SplitMix64::new(9)).expect("enough data");
        assert_eq!(centroids, again, "same seed, same result");
    }

    #[test]
    fn transposed_distances_match_direct_ones() {
        let mut rng = SplitMix64::new(4);
        let centroids: Vec<f32> = (0..7 * 3).map(|_| rng.next_f64() as f32).collect();
        let v = [0.3f32, -0.2, 0.9];
        let t = transpose(&centroids, 3);
        let (mut l2, mut dot) = (vec![0f32; 7], vec![0f32; 7]);
        l2_to_all(&v, &t, &mut l2);
        dot_to_all(&v, &t, &mut dot);
        for (j, c) in centroids.chunks_exact(3).enumerate() {
            assert!((l2[j] - l2_squared(&v, c)).abs() < 1e-6);
            assert!((dot[j] - crate::distance::dot(&v, c)).abs() < 1e-6);
        }
        assert_eq!(argmin(&l2).0, nearest_centroid(&centroids, 3, &v).0);
    }

    #[test]
    fn argmin_takes_the_first_minimum_and_ignores_nan() {
        let mut rng = SplitMix64::new(8);
        for len in [1usize, 7, 8, 9, 31, 256, 300] {
            let mut v: Vec<f32> = (0..len).map(|_| (rng.below(20) as f32) - 5.0).collect();
            v[len / 2] = f32::NAN;
            let expected = v
                .iter()
                .enumerate()
                .filter(|(_, x)| !x.is_nan())
                .fold((0, f32::INFINITY), |b, (i, &x)| if x < b.1 { (i, x) } else { b });
            assert_eq!(argmin(&v), expected, "len {len}: {v:?}");
        }
    }

    #[test]
    fn rejects_too_few_points() {
        let err = kmeans(&[1.0, 2.0], 1, 3, 5, &mut SplitMix64::new(1));
        assert!(matches!(err, Err(VectorError::NotEnoughTrainingData { needed: 3, got: 2 })));
    }
}
