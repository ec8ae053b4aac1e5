//! x86_64 kernels: AVX2 with FMA (8 lanes, two accumulators) and SSE (4 lanes).
//!
//! Each `#[target_feature]` function is `unsafe` because calling it on a CPU without the
//! feature is undefined behaviour. The safe wrappers below are private and reach callers
//! only through the tables returned by [`avx2_kernels`] / [`sse_kernels`], which check the
//! CPU first; that check is what every `SAFETY` comment below relies on.

use std::arch::x86_64::*;

use super::dispatch::{Kernels, SimdLevel};
use super::scalar;

/// The AVX2+FMA kernels, if this CPU has both features.
pub(super) fn avx2_kernels() -> Option<Kernels> {
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        Some(Kernels {
            level: SimdLevel::Avx2Fma,
            l2_squared: l2_squared_avx2,
            dot: dot_avx2,
            dot_norms: dot_norms_avx2,
        })
    } else {
        None
    }
}

/// The SSE kernels, if this CPU has SSE (every x86_64 does; checked anyway).
pub(super) fn sse_kernels() -> Option<Kernels> {
    if is_x86_feature_detected!("sse") {
        Some(Kernels {
            level: SimdLevel::Sse,
            l2_squared: l2_squared_sse,
            dot: dot_sse,
            dot_norms: dot_norms_sse,
        })
    } else {
        None
    }
}

fn l2_squared_avx2(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: only reachable through `avx2_kernels`, which checked avx2 and fma.
    unsafe { avx2::l2_squared(a, b) }
}

fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: only reachable through `avx2_kernels`, which checked avx2 and fma.
    unsafe { avx2::dot(a, b) }
}

fn dot_norms_avx2(a: &[f32], b: &[f32]) -> (f32, f32, f32) {
    // SAFETY: only reachable through `avx2_kernels`, which checked avx2 and fma.
    unsafe { avx2::dot_norms(a, b) }
}

fn l2_squared_sse(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: only reachable through `sse_kernels`, which checked sse.
    unsafe { sse::l2_squared(a, b) }
}

fn dot_sse(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: only reachable through `sse_kernels`, which checked sse.
    unsafe { sse::dot(a, b) }
}

fn dot_norms_sse(a: &[f32], b: &[f32]) -> (f32, f32, f32) {
    // SAFETY: only reachable through `sse_kernels`, which checked sse.
    unsafe { sse::dot_norms(a, b) }
}

mod avx2 {
    use super::*;

    /// Sum of the 8 lanes.
    #[target_feature(enable = "avx2,fma")]
    fn hsum(v: __m256) -> f32 {
        let lo = _mm256_castps256_ps128(v);
        let hi = _mm256_extractf128_ps::<1>(v);
        let s = _mm_add_ps(lo, hi);
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps::<0b01>(s, s));
        _mm_cvtss_f32(s)
    }

    /// Loads 8 floats at `s[i..i + 8]`.
    ///
    /// # Safety
    /// `i + 8 <= s.len()` and the CPU has AVX2.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn load(s: &[f32], i: usize) -> __m256 {
        debug_assert!(i + 8 <= s.len());
        // SAFETY: the caller guarantees `i + 8 <= s.len()`; loadu has no alignment need.
        unsafe { _mm256_loadu_ps(s.as_ptr().add(i)) }
    }

    /// # Safety
    /// The CPU has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let mut i = 0;
        while i + 16 <= n {
            // SAFETY: i + 16 <= n <= both lengths.
            let (a0, b0, a1, b1) =
                unsafe { (load(a, i), load(b, i), load(a, i + 8), load(b, i + 8)) };
            let d0 = _mm256_sub_ps(a0, b0);
            let d1 = _mm256_sub_ps(a1, b1);
            acc0 = _mm256_fmadd_ps(d0, d0, acc0);
            acc1 = _mm256_fmadd_ps(d1, d1, acc1);
            i += 16;
        }
        if i + 8 <= n {
            // SAFETY: i + 8 <= n <= both lengths.
            let d = unsafe { _mm256_sub_ps(load(a, i), load(b, i)) };
            acc0 = _mm256_fmadd_ps(d, d, acc0);
            i += 8;
        }
        hsum(_mm256_add_ps(acc0, acc1)) + scalar::l2_squared(&a[i..n], &b[i..n])
    }

    /// # Safety
    /// The CPU has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let mut i = 0;
        while i + 16 <= n {
            // SAFETY: i + 16 <= n <= both lengths.
            let (a0, b0, a1, b1) =
                unsafe { (load(a, i), load(b, i), load(a, i + 8), load(b, i + 8)) };
            acc0 = _mm256_fmadd_ps(a0, b0, acc0);
            acc1 = _mm256_fmadd_ps(a1, b1, acc1);
            i += 16;
        }
        if i + 8 <= n {
            // SAFETY: i + 8 <= n <= both lengths.
            let (a0, b0) = unsafe { (load(a, i), load(b, i)) };
            acc0 = _mm256_fmadd_ps(a0, b0, acc0);
            i += 8;
        }
        hsum(_mm256_add_ps(acc0, acc1)) + scalar::dot(&a[i..n], &b[i..n])
    }

    /// # Safety
    /// The CPU has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot_norms(a: &[f32], b: &[f32]) -> (f32, f32, f32) {
        let n = a.len().min(b.len());
        let (mut ab, mut aa, mut bb) =
            (_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps());
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: i + 8 <= n <= both lengths.
            let (x, y) = unsafe { (load(a, i), load(b, i)) };
            ab = _mm256_fmadd_ps(x, y, ab);
            aa = _mm256_fmadd_ps(x, x, aa);
            bb = _mm256_fmadd_ps(y, y, bb);
            i += 8;
        }
        let (tab, taa, tbb) = scalar::dot_norms(&a[i..n], &b[i..n]);
        (hsum(ab) + tab, hsum(aa) + taa, hsum(bb) + tbb)
    }
}

mod sse {
    use super::*;

    /// Sum of the 4 lanes.
    #[target_feature(enable = "sse")]
    fn hsum(v: __m128) -> f32 {
        let s = _mm_add_ps(v, _mm_movehl_ps(v, v));
        let s = _mm_add_ss(s, _mm_shuffle_ps::<0b01>(s, s));
        _mm_cvtss_f32(s)
    }

    /// Loads 4 floats at `s[i..i + 4]`.
    ///
    /// # Safety
    /// `i + 4 <= s.len()` and the CPU has SSE.
    #[target_feature(enable = "sse")]
    unsafe fn load(s: &[f32], i: usize) -> __m128 {
        debug_assert!(i + 4 <= s.len());
        // SAFETY: the caller guarantees `i + 4 <= s.len()`; loadu has no alignment need.
        unsafe { _mm_loadu_ps(s.as_ptr().add(i)) }
    }

    /// # Safety
    /// The CPU has SSE.
    #[target_feature(enable = "sse")]
    pub(super) unsafe fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let mut acc = _mm_setzero_ps();
        let mut i = 0;
        while i + 4 <= n {
            // SAFETY: i + 4 <= n <= both lengths.
            let d = unsafe { _mm_sub_ps(load(a, i), load(b, i)) };
            acc = _mm_add_ps(acc, _mm_mul_ps(d, d));
            i += 4;
        }
        hsum(acc) + scalar::l2_squared(&a[i..n], &b[i..n])
    }

    /// # Safety
    /// The CPU has SSE.
    #[target_feature(enable = "sse")]
    pub(super) unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let mut acc = _mm_setzero_ps();
        let mut i = 0;
        while i + 4 <= n {
            // SAFETY: i + 4 <= n <= both lengths.
            let (x, y) = unsafe { (load(a, i), load(b, i)) };
            acc = _mm_add_ps(acc, _mm_mul_ps(x, y));
            i += 4;
        }
        hsum(acc) + scalar::dot(&a[i..n], &b[i..n])
    }

    /// # Safety
    /// The CPU has SSE.
    #[target_feature(enable = "sse")]
    pub(super) unsafe fn dot_norms(a: &[f32], b: &[f32]) -> (f32, f32, f32) {
        let n = a.len().min(b.len());
        let (mut ab, mut aa, mut bb) = (_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps());
        let mut i = 0;
        while i + 4 <= n {
            // SAFETY: i + 4 <= n <= both lengths.
            let (x, y) = unsafe { (load(a, i), load(b, i)) };
            ab = _mm_add_ps(ab, _mm_mul_ps(x, y));
            aa = _mm_add_ps(aa, _mm_mul_ps(x, x));
            bb = _mm_add_ps(bb, _mm_mul_ps(y, y));
            i += 4;
        }
        let (tab, taa, tbb) = scalar::dot_norms(&a[i..n], &b[i..n]);
        (hsum(ab) + tab, hsum(aa) + taa, hsum(bb) + tbb)
    }
}
