//! The instruction sets the generic (non-pulp) kernels are compiled for, and the one place
//! that runs code under them.
//!
//! The scalar-written kernels (tiny and unblocked LU, the triangular and Cholesky
//! kernels, the gathers and scatters) are generic and inlined by force into one copy per
//! instruction set below, so LLVM vectorises them for each; one build runs on any x86-64.
//! None of them relies on fused multiply-adds being formed (Rust never contracts `a * b + c`,
//! and explicit `mul_add`s round the same with or without FMA), so every copy computes
//! the same bits. The kernels written with pulp's vector types (lanes, Gauss-Jordan) are
//! dispatched by pulp itself.

/// An instruction set that was detected on this CPU (only [`Isa::detect`] and
/// [`Isa::at_most`] make one, so holding one is proof that the CPU has it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Isa {
    /// No wider instruction set than the build's baseline.
    Baseline,
    /// AVX2 and FMA.
    Avx2,
    /// AVX-512 F and VL, with AVX2 and FMA.
    Avx512,
}

impl Isa {
    /// The widest of these this CPU has (`std` caches the detection: a load and a test).
    #[inline]
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 =
                std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
            if avx2
                && std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512vl")
            {
                return Self::Avx512;
            }
            if avx2 {
                return Self::Avx2;
            }
        }
        Self::Baseline
    }

    /// `self`, or `cap` when that is narrower (every wider set here includes the narrower
    /// ones, so the CPU has `cap` too).
    #[inline]
    pub(crate) fn at_most(self, cap: Self) -> Self {
        self.min(cap)
    }
}

/// Work compiled once per instruction set: [`Isa::run`] calls `run`, inlined into a
/// function with that set's target features.
pub(crate) trait IsaRun {
    /// What the work returns.
    type Output;
    /// Does the work; must be `#[inline(always)]`, or it runs without the features.
    fn run(self) -> Self::Output;
}

impl Isa {
    /// Runs `work` compiled for this instruction set.
    #[inline(always)]
    pub(crate) fn run<W: IsaRun>(self, work: W) -> W::Output {
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
            unsafe fn avx512<W: IsaRun>(work: W) -> W::Output {
                work.run()
            }
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2<W: IsaRun>(work: W) -> W::Output {
                work.run()
            }
            match self {
                // SAFETY: an `Isa` is only made by `detect` (or narrowed by `at_most`),
                // which found these features on this CPU.
                Isa::Avx512 => return unsafe { avx512(work) },
                // SAFETY: as above.
                Isa::Avx2 => return unsafe { avx2(work) },
                Isa::Baseline => {}
            }
        }
        work.run()
    }
}
