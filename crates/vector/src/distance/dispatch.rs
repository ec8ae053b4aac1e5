//! Run-time choice of the kernel set.

use std::sync::OnceLock;

use super::scalar;

/// An instruction-set level the kernels are written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SimdLevel {
    /// Portable Rust, no intrinsics.
    Scalar,
    /// x86_64 SSE (4 lanes, separate multiply and add).
    Sse,
    /// x86_64 AVX2 with fused multiply-add (8 lanes).
    Avx2Fma,
}

/// A kernel returning `(a·b, a·a, b·b)`.
pub type DotNormsFn = fn(&[f32], &[f32]) -> (f32, f32, f32);

/// One set of kernels, all for the same [`SimdLevel`].
#[derive(Clone, Copy, Debug)]
pub struct Kernels {
    /// The level these kernels use.
    pub level: SimdLevel,
    /// Squared Euclidean distance.
    pub l2_squared: fn(&[f32], &[f32]) -> f32,
    /// Inner product.
    pub dot: fn(&[f32], &[f32]) -> f32,
    /// `(a·b, a·a, b·b)`.
    pub dot_norms: DotNormsFn,
}

const SCALAR: Kernels = Kernels {
    level: SimdLevel::Scalar,
    l2_squared: scalar::l2_squared,
    dot: scalar::dot,
    dot_norms: scalar::dot_norms,
};

impl Kernels {
    /// The kernels of `level`, or `None` when this CPU cannot run them.
    pub fn for_level(level: SimdLevel) -> Option<Kernels> {
        match level {
            SimdLevel::Scalar => Some(SCALAR),
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Sse => super::x86::sse_kernels(),
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2Fma => super::x86::avx2_kernels(),
            #[cfg(not(target_arch = "x86_64"))]
            SimdLevel::Sse | SimdLevel::Avx2Fma => None,
        }
    }
}

/// Every level this CPU can run, lowest first (always starts with `Scalar`).
pub fn available_levels() -> Vec<SimdLevel> {
    [SimdLevel::Scalar, SimdLevel::Sse, SimdLevel::Avx2Fma]
        .into_iter()
        .filter(|l| Kernels::for_level(*l).is_some())
        .collect()
}

/// The best kernels for this CPU, detected once.
#[inline]
pub fn kernels() -> &'static Kernels {
    static BEST: OnceLock<Kernels> = OnceLock::new();
    BEST.get_or_init(|| {
        let best = available_levels().into_iter().next_back().unwrap_or(SimdLevel::Scalar);
        Kernels::for_level(best).unwrap_or(SCALAR)
    })
}
