//! The instruction sets the generic (non-pulp) kernels are compiled for, and the one place
//! that runs code under them.
//!
//! The scalar-written kernels (tiny and unblocked LU, the triangular and Cholesky
//! kernels, the gathers and scatters) are generic and inlined by force into one copy per
//! instruction set below, so LLVM vectorises them for each; one build runs on any x86-64.
//! None of them relies on fused multiply-adds being formed (Rust never contracts `a * b + c`,
//! and explicit `mul_add`s round the same with or without FMA), so every copy computes
//! the same bits. The kernels written with pulp's vector types (lanes, Gauss-Jordan) are
//! dispatched through pulp, on the same instruction set ([`Isa::dispatch`]).
//!
//! `MATINV_ISA` (`baseline`, `avx2` or `avx512`, read once) caps the set on x86-64, so
//! that one machine can run, and the tests can compare, the copies its users on older CPUs
//! get. faer's own kernels (the matrix products of the blocked inverses, the SVD) dispatch
//! by themselves and are not capped. On other architectures the generic kernels run in one
//! baseline copy and the pulp-written ones on pulp's choice (NEON on aarch64), uncapped.

use std::sync::OnceLock;

/// The environment variable that caps the instruction set.
pub(crate) const ISA_VAR: &str = "MATINV_ISA";

/// An instruction set. One to run under comes only from [`Isa::detect`] or
/// [`Isa::selected`] (narrowed by [`Isa::at_most`], as the sets are nested), so holding it
/// is proof that the CPU has it; one made from a name or a constant serves only as
/// `at_most`'s cap.
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

    /// The set matinv's kernels run under: the detected one, capped by `MATINV_ISA`.
    #[inline]
    pub(crate) fn selected() -> Self {
        Self::detect().at_most(cap())
    }

    /// The set a `MATINV_ISA` value names (`scalar` is `baseline`'s other name), or None.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        // Python's `str.strip()` also strips the separators U+001C..U+001F: so does this,
        // so that the package warns about exactly the values ignored here.
        let name = name.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c));
        match name.to_ascii_lowercase().as_str() {
            "baseline" | "scalar" => Some(Self::Baseline),
            "avx2" => Some(Self::Avx2),
            "avx512" | "avx-512" => Some(Self::Avx512),
            _ => None,
        }
    }

    /// This set's name, as `MATINV_ISA` takes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Baseline => "baseline",
            Self::Avx2 => "avx2",
            Self::Avx512 => "avx512",
        }
    }

    /// Runs pulp-written `work` on the widest of pulp's types within this set: `V4`, `V3`
    /// or pulp's scalar one. pulp asks more of a CPU than [`Isa::detect`] (`V4` also AVX-512
    /// BW, CD and DQ; `V3` also BMI1, BMI2 and LZCNT), so where it refuses one the next
    /// narrower runs, as `pulp::Arch::new()` would pick it.
    #[inline(always)]
    pub(crate) fn dispatch<W: pulp::WithSimd>(self, work: W) -> W::Output {
        #[cfg(target_arch = "x86_64")]
        {
            use pulp::x86::{V3, V4};
            // `try_new` checks the CPU again (a cached load), so no type is used without it.
            let v4 = || V4::try_new().map(pulp::Arch::V4);
            let v3 = || V3::try_new().map(pulp::Arch::V3);
            let arch = match self {
                Isa::Avx512 => v4().or_else(v3),
                Isa::Avx2 => v3(),
                Isa::Baseline => None,
            };
            arch.unwrap_or(pulp::Arch::Scalar).dispatch(work)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = self;
            pulp::Arch::new().dispatch(work)
        }
    }

    /// `self`, or `cap` when that is narrower (every wider set here includes the narrower
    /// ones, so the CPU has `cap` too).
    #[inline]
    pub(crate) fn at_most(self, cap: Self) -> Self {
        self.min(cap)
    }
}

/// `MATINV_ISA`'s cap, read once; unset or unknown values cap nothing (the Python package
/// warns about unknown ones at import).
fn cap() -> Isa {
    static CAP: OnceLock<Isa> = OnceLock::new();
    *CAP.get_or_init(|| {
        std::env::var(ISA_VAR)
            .ok()
            .and_then(|v| Isa::from_name(&v))
            .unwrap_or(Isa::Avx512)
    })
}

/// The instruction set matinv's own kernels run under on this machine: `"avx512"`,
/// `"avx2"` or `"baseline"` (x86-64's SSE2; on other architectures always `"baseline"`).
/// It is the widest the x86-64 CPU has, capped by the `MATINV_ISA` environment variable
/// (`baseline`, `avx2`, `avx512`; read once, the first time matinv picks a set: its first
/// inverse, or this function). The general path's generic kernels stop at AVX2 whatever
/// this says. Every set computes the same bits, NaN payloads aside (the test suite compares
/// the sets the CPU has), so the cap exists to test and to compare speed. faer's kernels,
/// which the blocked inverses of matrices above order 96 (real) or 32 (complex) by default
/// call for their matrix products, pick their own.
///
/// ```
/// assert!(["avx512", "avx2", "baseline"].contains(&matinv::instruction_set()));
/// ```
pub fn instruction_set() -> &'static str {
    Isa::selected().name()
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
                // SAFETY: an `Isa` run under comes only from `detect` or `selected`
                // (narrowed by `at_most`), which found these features on this CPU.
                Isa::Avx512 => return unsafe { avx512(work) },
                // SAFETY: as above.
                Isa::Avx2 => return unsafe { avx2(work) },
                Isa::Baseline => {}
            }
        }
        work.run()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::KernelPlan;
    use crate::Params;

    const CHILD: &str = "MATINV_SIMD_TEST_CHILD";
    const NAME: &str = "simd::tests::the_cap_reaches_the_plans_and_pulps_dispatch";

    /// pulp's lane count for f64 of the type `dispatch` hands over.
    struct Lanes;
    impl pulp::WithSimd for Lanes {
        type Output = usize;
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) -> usize {
            S::F64_LANES
        }
    }

    #[test]
    fn the_cap_reaches_the_plans_and_pulps_dispatch() {
        if let Ok(set) = std::env::var(CHILD) {
            // In a child with MATINV_ISA=set: what the kernels get, not only the name.
            let want = Isa::from_name(&set).unwrap();
            assert_eq!(Isa::selected(), want);
            let plan = KernelPlan::new(16, true, &Params::default());
            assert_eq!(plan.isa, want.at_most(Isa::Avx2));
            assert_eq!(plan.pulp_isa, want);
            let lanes = plan.pulp_isa.dispatch(Lanes);
            let widest = pulp::Arch::new().dispatch(Lanes);
            let expected = match want {
                Isa::Baseline => 1,
                Isa::Avx2 => 4.min(widest),
                Isa::Avx512 => widest,
            };
            assert_eq!(lanes, expected, "{set}");
            return;
        }
        let detected = Isa::detect();
        for set in [Isa::Baseline, Isa::Avx2, Isa::Avx512] {
            if set > detected {
                continue;
            }
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", NAME, "--test-threads=1"])
                .env(CHILD, set.name())
                .env(ISA_VAR, set.name())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "MATINV_ISA={}: {}{}",
                set.name(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    #[test]
    fn names_parse_as_the_python_package_checks_them() {
        for (name, want) in [
            ("baseline", Some(Isa::Baseline)),
            ("SCALAR", Some(Isa::Baseline)),
            (" avx2\t", Some(Isa::Avx2)),
            ("\x1favx-512\x1c", Some(Isa::Avx512)),
            ("avx512f", None),
            ("", None),
        ] {
            assert_eq!(Isa::from_name(name), want, "{name:?}");
        }
    }
}
