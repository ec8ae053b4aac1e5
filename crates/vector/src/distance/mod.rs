//! Distance kernels on `&[f32]`: squared L2, L2, inner product and cosine distance.
//!
//! Each kernel exists as portable scalar code ([`scalar`]) and, on x86_64, as AVX2+FMA and
//! SSE code (the private `x86` module). The best level the CPU supports is detected once,
//! at first use, with `is_x86_feature_detected!`, and the public functions here call
//! through that table.
//! Other architectures use the scalar code, which the compiler auto-vectorises to some
//! degree (a NEON port is a small addition to [`kernels`]'s table when ARM matters).
//!
//! The kernels expect slices of equal length: callers check dimensions first (the index
//! does, and the SQL layer raises pgvector's `different vector dimensions` error). In
//! release builds a longer slice is silently truncated to the shorter; debug builds assert.
//!
//! Results of the SIMD kernels differ from the scalar ones only by floating-point
//! reassociation; the proptests at the end of this file bound that difference.

mod dispatch;
pub mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use dispatch::{available_levels, kernels, Kernels, SimdLevel};

/// Squared Euclidean distance `Σ (aᵢ − bᵢ)²`.
#[inline]
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    (kernels().l2_squared)(a, b)
}

/// Euclidean distance, pgvector's `<->` and `l2_distance`.
#[inline]
pub fn l2(a: &[f32], b: &[f32]) -> f32 {
    l2_squared(a, b).sqrt()
}

/// Inner (dot) product `Σ aᵢ·bᵢ`, pgvector's `inner_product`; `<#>` is its negation.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    (kernels().dot)(a, b)
}

/// Cosine distance `1 − a·b / (|a|·|b|)`, pgvector's `<=>` and `cosine_distance`.
///
/// As in pgvector, the result is NaN when either vector has zero length, and the cosine is
/// clamped to `[-1, 1]` so rounding never yields a distance outside `[0, 2]`.
#[inline]
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let (ab, aa, bb) = (kernels().dot_norms)(a, b);
    cosine_from_parts(ab, aa, bb)
}

/// `1 − ab / sqrt(aa·bb)` with pgvector's NaN and clamping rules.
#[inline]
pub(crate) fn cosine_from_parts(ab: f32, aa: f32, bb: f32) -> f32 {
    let similarity = (f64::from(ab) / (f64::from(aa) * f64::from(bb)).sqrt()) as f32;
    if similarity.is_nan() {
        return f32::NAN;
    }
    1.0 - similarity.clamp(-1.0, 1.0)
}

/// Euclidean norm `|v|`.
#[inline]
pub fn norm(v: &[f32]) -> f32 {
    dot(v, v).sqrt()
}

/// Scales `v` to unit length in place (pgvector's `l2_normalize`); a zero vector stays zero.
pub fn normalize(v: &mut [f32]) {
    let n = norm(v);
    if n > 0.0 {
        let inv = 1.0 / n;
        for x in v.iter_mut() {
            *x *= inv;
        }
    }
}

/// Hints the CPU to start loading the cache line at the start of `data`, so a distance
/// computed a moment later does not wait for memory (graph walks jump around in memory).
#[inline(always)]
pub(crate) fn prefetch<T>(data: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch is only a hint: it never faults, whatever the address, and
        // SSE, which provides it, is part of every x86_64 CPU.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(data.as_ptr().cast::<i8>()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn known_values() {
        let a = [1.0, 2.0, 3.0];
        let b = [4.0, 6.0, 3.0];
        assert_eq!(l2_squared(&a, &b), 25.0);
        assert_eq!(l2(&a, &b), 5.0);
        assert_eq!(dot(&a, &b), 25.0);
        assert!((cosine_distance(&[1.0, 0.0], &[0.0, 1.0]) - 1.0).abs() < 1e-7);
        assert!(cosine_distance(&[1.0, 1.0], &[2.0, 2.0]).abs() < 1e-7);
        assert!((cosine_distance(&[1.0, 0.0], &[-1.0, 0.0]) - 2.0).abs() < 1e-7);
        assert!(cosine_distance(&[0.0, 0.0], &[1.0, 0.0]).is_nan());
        let mut v = [3.0, 4.0];
        normalize(&mut v);
        assert_eq!(v, [0.6, 0.8]);
    }

    #[test]
    fn detects_at_least_scalar() {
        let levels = available_levels();
        assert_eq!(levels[0], SimdLevel::Scalar);
        assert!(levels.contains(&kernels().level));
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            assert_eq!(kernels().level, SimdLevel::Avx2Fma);
        }
    }

    /// Bound on the reassociation error of a sum whose terms have absolute sum `abs_sum`.
    fn tolerance(len: usize, abs_sum: f64) -> f64 {
        (len as f64 + 8.0) * f64::from(f32::EPSILON) * abs_sum + 1e-6
    }

    fn vec_pair() -> impl Strategy<Value = (Vec<f32>, Vec<f32>)> {
        (0usize..300).prop_flat_map(|n| {
            (
                proptest::collection::vec(-100.0f32..100.0, n),
                proptest::collection::vec(-100.0f32..100.0, n),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn simd_matches_scalar((a, b) in vec_pair()) {
            let n = a.len();
            let dot_abs: f64 = a.iter().zip(&b).map(|(x, y)| f64::from((x * y).abs())).sum();
            let l2_abs: f64 = a.iter().zip(&b).map(|(x, y)| f64::from((x - y) * (x - y))).sum();
            let aa_abs: f64 = a.iter().map(|x| f64::from(x * x)).sum();
            let bb_abs: f64 = b.iter().map(|x| f64::from(x * x)).sum();
            let s_dot = f64::from(scalar::dot(&a, &b));
            let s_l2 = f64::from(scalar::l2_squared(&a, &b));
            let (s_ab, s_aa, s_bb) = scalar::dot_norms(&a, &b);
            for level in available_levels() {
                let k = Kernels::for_level(level).expect("listed levels are available");
                let d = f64::from((k.dot)(&a, &b));
                prop_assert!((d - s_dot).abs() <= tolerance(n, dot_abs), "{level:?} dot {d} vs {s_dot}");
                let l = f64::from((k.l2_squared)(&a, &b));
                prop_assert!((l - s_l2).abs() <= tolerance(n, l2_abs), "{level:?} l2 {l} vs {s_l2}");
                let (ab, aa, bb) = (k.dot_norms)(&a, &b);
                prop_assert!((f64::from(ab) - f64::from(s_ab)).abs() <= tolerance(n, dot_abs));
                prop_assert!((f64::from(aa) - f64::from(s_aa)).abs() <= tolerance(n, aa_abs));
                prop_assert!((f64::from(bb) - f64::from(s_bb)).abs() <= tolerance(n, bb_abs));
            }
        }

        #[test]
        fn scalar_matches_f64_reference((a, b) in vec_pair()) {
            let exact: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
            let abs: f64 = a.iter().zip(&b).map(|(x, y)| (f64::from(*x) * f64::from(*y)).abs()).sum();
            prop_assert!((f64::from(scalar::dot(&a, &b)) - exact).abs() <= tolerance(a.len(), abs));
        }
    }
}
