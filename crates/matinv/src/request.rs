//! What a call asks for, as plain data: an inverse [`Request`] and its [`InvOptions`],
//! the [`Structure`] of the matrices, [`Norm`] and [`Vectors`] for `cond` and `svd`. The
//! bottom layer: the drivers read these, nothing here calls a driver.

use crate::error::Error;
use crate::layout::StackView;
use crate::params::Params;
use crate::status::Status;

/// How to invert: what is known about the matrices, and the tuning parameters.
///
/// ```
/// use matinv::{InvOptions, Params, Structure};
///
/// let opts = InvOptions::default();
/// assert_eq!(opts.structure, Structure::General);
/// let opts = InvOptions::structured(Structure::UpperTriangular)
///     .with_params(Params::default().with_num_threads(1));
/// assert_eq!((opts.structure, opts.params.threads.num_threads), (Structure::UpperTriangular, 1));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvOptions {
    /// What is known about every matrix (scipy's `assume_a`); [`Structure::General`] by
    /// default: LU with partial pivoting, numpy's `inv`.
    pub structure: Structure,
    /// Tuning knobs (threads, kernel thresholds).
    pub params: Params,
    /// The arithmetic the inverses are computed in: [`Precision::Working`] (numpy's, the
    /// default) or [`Precision::Extended`] (double-double, for ill-conditioned matrices).
    pub precision: Precision,
}

impl InvOptions {
    /// The default options for matrices of a known structure.
    ///
    /// ```
    /// let opts = matinv::InvOptions::structured(matinv::Structure::Diagonal);
    /// assert_eq!(opts.structure, matinv::Structure::Diagonal);
    /// ```
    pub fn structured(structure: Structure) -> Self {
        Self::default().with_structure(structure)
    }

    /// These options with another structure.
    ///
    /// ```
    /// use matinv::{InvOptions, Structure};
    /// let opts = InvOptions::default().with_structure(Structure::Auto);
    /// assert_eq!(opts.structure, Structure::Auto);
    /// ```
    pub fn with_structure(mut self, structure: Structure) -> Self {
        self.structure = structure;
        self
    }

    /// These options with other tuning parameters.
    ///
    /// ```
    /// use matinv::{InvOptions, Params};
    /// let opts = InvOptions::default().with_params(Params::default().with_num_threads(2));
    /// assert_eq!(opts.params.threads.num_threads, 2);
    /// ```
    pub fn with_params(mut self, params: Params) -> Self {
        self.params = params;
        self
    }

    /// These options with another [`Precision`].
    ///
    /// ```
    /// use matinv::{InvOptions, Precision};
    /// let opts = InvOptions::default().with_precision(Precision::Extended);
    /// assert_eq!(opts.precision, Precision::Extended);
    /// ```
    pub fn with_precision(mut self, precision: Precision) -> Self {
        self.precision = precision;
        self
    }

    /// These options with `params.threads.num_threads = num_threads` (0: every core, 1:
    /// the calling thread only).
    ///
    /// ```
    /// let opts = matinv::InvOptions::default().with_num_threads(1);
    /// assert_eq!(opts.params.threads.num_threads, 1);
    /// ```
    pub fn with_num_threads(mut self, num_threads: usize) -> Self {
        self.params = self.params.with_num_threads(num_threads);
        self
    }
}

/// One inversion: which matrices, where their inverses go, whether every matrix gets a
/// [`Status`], and how to invert them ([`InvOptions`]). Run it with [`invert`](crate::invert).
///
/// ```
/// use matinv::{invert, InvOptions, Request, StackView, Status, Structure};
///
/// // Into the caller's buffer, a stack read through negative strides.
/// let data = [2.0f32, 0.0, 0.0, 4.0, 1.0, 1.0, 0.0, 1.0];
/// let view = StackView::new(&data, &[2, 2, 2], &[4, -2, -1], 3)?;
/// let mut out = [0.0f32; 8];
/// invert(Request::new(&view, &mut out))?;
/// assert_eq!(out, [0.25, 0.0, 0.0, 0.5, 1.0, 0.0, -1.0, 1.0]);
///
/// // In place, with a status per matrix: the second one is singular.
/// let mut a = [4.0f64, 0.0, 0.0, 0.5, 1.0, 2.0, 2.0, 4.0];
/// let mut status = [Status::default(); 2];
/// invert(Request::in_place(&mut a, &[2, 2, 2]).with_status(&mut status))?;
/// assert_eq!(a[..4], [0.25, 0.0, 0.0, 2.0]);
/// assert_eq!(status, [Status::new(0, 0.125), Status::new(2, 0.0)]);
/// assert!(a[4..].iter().all(|x| x.is_nan()));
///
/// // Upper triangular: the strictly lower part is not read (here it holds junk).
/// let a = [2.0f64, 1.0, 99.0, 4.0];
/// let view = StackView::c_contiguous(&a, &[2, 2])?;
/// let mut x = [0.0; 4];
/// let upper = InvOptions::structured(Structure::UpperTriangular);
/// invert(Request::new(&view, &mut x).with_options(upper))?;
/// assert_eq!(x, [0.5, -0.125, 0.0, 0.25]);
/// # Ok::<(), matinv::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a request does nothing until `matinv::invert` runs it"]
pub struct Request<'r, T> {
    pub(crate) target: Target<'r, T>,
    pub(crate) status: Option<&'r mut [Status]>,
    pub(crate) options: InvOptions,
}

/// Where a request's matrices are and where their inverses go.
#[derive(Debug)]
pub(crate) enum Target<'r, T> {
    /// Read `a`, write the C-contiguous `out` (`a.len() * n * n` elements).
    Into {
        a: &'r StackView<'r, T>,
        out: &'r mut [T],
    },
    /// The C-contiguous stack `data` of shape `shape`, inverted in its own memory
    /// (scipy's `overwrite_a`).
    InPlace {
        data: &'r mut [T],
        shape: &'r [usize],
    },
}

impl<'r, T> Request<'r, T> {
    /// Invert every matrix of `a` into `out`, a C-contiguous buffer of `a.len() * n * n`
    /// elements (the layout numpy gives a fresh array of `a`'s shape); default options,
    /// the first failing matrix an error.
    pub fn new(a: &'r StackView<'r, T>, out: &'r mut [T]) -> Self {
        Self {
            target: Target::Into { a, out },
            status: None,
            options: InvOptions::default(),
        }
    }

    /// Invert every matrix of the C-contiguous stack `data` of shape `shape` in its own
    /// memory, so that a large matrix needs no second buffer of its size. The results
    /// are those of [`Request::new`], bit for bit.
    ///
    /// On an error, the matrices before the one reported hold their inverses, and that
    /// one and some of the following may hold intermediate values: `data` is to be
    /// discarded.
    pub fn in_place(data: &'r mut [T], shape: &'r [usize]) -> Self {
        Self {
            target: Target::InPlace { data, shape },
            status: None,
            options: InvOptions::default(),
        }
    }

    /// Never fail for singular matrices: every matrix gets its [`Status`] in `status`
    /// (one per matrix: LAPACK's `info` and the reciprocal condition number `rcond`),
    /// and failing ones an all-NaN inverse. Only shape and layout errors are returned.
    ///
    /// `info` is LAPACK's: LU's zero pivot (`getrf`) for general matrices, the first zero
    /// diagonal entry (`trtri`) for triangular and diagonal ones, the order of the first
    /// leading minor that is not positive definite (`potrf`) under
    /// [`Structure::PositiveDefinite`]. `rcond` is computed from the matrix the structure
    /// implies (a triangle and zeros, or a triangle and its mirror image).
    pub fn with_status(mut self, status: &'r mut [Status]) -> Self {
        self.status = Some(status);
        self
    }

    /// Invert with these options (structure, tuning parameters).
    pub fn with_options(mut self, options: InvOptions) -> Self {
        self.options = options;
        self
    }
}

/// The arithmetic an inverse is computed in.
///
/// ```
/// use matinv::Precision;
/// assert_eq!("extended".parse(), Ok(Precision::Extended));
/// assert_eq!(Precision::default(), Precision::Working);
/// let err = "quad".parse::<Precision>().unwrap_err();
/// assert_eq!(err.to_string(), "precision must be one of 'working', 'extended'; got 'quad'");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Precision {
    /// numpy's: double precision (single precision computed in double and rounded), the
    /// fast kernels.
    #[default]
    Working,
    /// Double-double arithmetic (about 106 significant bits), rounded once to the element
    /// type: the inverse of the stored matrix to nearly every bit while its condition
    /// number is below about 1e15, and with at least about `30 - log10(cond)` correct
    /// digits beyond. Gauss-Jordan elimination with partial pivoting (without exchanges,
    /// failing where Cholesky fails, for positive definite structures); a matrix is
    /// singular when a pivot is an exact zero in double-double arithmetic. Many times
    /// slower than [`Precision::Working`].
    Extended,
}

impl Precision {
    /// The names [`Precision::from_name`] accepts.
    pub const NAMES: [&'static str; 2] = ["working", "extended"];

    /// The precision called `name` (`"working"` or `"extended"`); others give
    /// [`Error::UnknownPrecision`].
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match name {
            "working" => Ok(Self::Working),
            "extended" => Ok(Self::Extended),
            _ => Err(Error::UnknownPrecision {
                name: name.to_string(),
            }),
        }
    }
}

impl core::str::FromStr for Precision {
    type Err = Error;

    /// [`Precision::from_name`].
    fn from_str(name: &str) -> Result<Self, Error> {
        Self::from_name(name)
    }
}

/// What is known about every matrix of a stack (scipy's `assume_a`).
///
/// ```
/// use matinv::Structure;
/// assert_eq!("upper triangular".parse(), Ok(Structure::UpperTriangular));
/// assert_eq!(Structure::from_name("pos", true), Ok(Structure::PositiveDefinite { lower: true }));
/// let err = Structure::from_name("foo", false).unwrap_err();
/// assert!(err.to_string().starts_with("assume_a must be one of 'general', 'diagonal'"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Structure {
    /// Any square matrix: LU with partial pivoting, numpy's `inv` (the default).
    #[default]
    General,
    /// Only the diagonal is read; the inverse is diagonal (exact zeros elsewhere).
    Diagonal,
    /// Only the upper triangle is read (the strictly lower part is taken as zero); the
    /// inverse is upper triangular, with exact zeros below the diagonal.
    UpperTriangular,
    /// Only the lower triangle is read; the inverse is lower triangular.
    LowerTriangular,
    /// Hermitian (real: symmetric) positive definite, read from one triangle (`lower`:
    /// the lower one, else the upper one); the imaginary part of the diagonal is ignored.
    /// Cholesky `L L^H` and `inv(L)^H inv(L)`: about half the work of LU. A matrix that is
    /// not positive definite fails with [`Error::NotPositiveDefinite`].
    PositiveDefinite {
        /// Read the lower triangle (else the upper one).
        lower: bool,
    },
    /// Symmetric (`A = A^T`, complex symmetric for complex types), read from one triangle.
    /// Real matrices with a positive diagonal try Cholesky first (whose inverse is exactly
    /// symmetric); otherwise, and when Cholesky fails, LU of the mirrored matrix, whose
    /// inverse is returned as LU computes it: symmetric up to rounding only (mirroring one
    /// triangle of it would break LAPACK's accuracy criterion for ill-conditioned
    /// matrices; an exactly symmetric indefinite inverse needs Bunch-Kaufman's `sytri`).
    Symmetric {
        /// Read the lower triangle (else the upper one).
        lower: bool,
    },
    /// Hermitian (`A = A^H`), read from one triangle, imaginary part of the diagonal
    /// ignored. Cholesky when the diagonal is positive and it succeeds (then `X == X^H`
    /// bit for bit), else LU of the mirrored matrix, as for [`Structure::Symmetric`].
    Hermitian {
        /// Read the lower triangle (else the upper one).
        lower: bool,
    },
    /// Detected per matrix from all its entries: diagonal when every off-diagonal entry
    /// is zero, else triangular when one strict triangle is zero, else, for complex
    /// matrices only, Cholesky when the matrix is exactly Hermitian with a positive real
    /// diagonal (LU if Cholesky fails; real symmetric matrices count as general, the
    /// general kernels being as fast or faster for them), else LU. General matrices get
    /// the bits [`Structure::General`] gives.
    Auto,
}

impl Structure {
    /// The names [`Structure::from_name`] accepts, in scipy's spelling (scipy's alias
    /// `"gen"` for `"general"` is accepted too).
    pub const NAMES: [&'static str; 8] = [
        "general",
        "diagonal",
        "upper triangular",
        "lower triangular",
        "pos",
        "sym",
        "her",
        "auto",
    ];

    pub(crate) const NAMES_LIST: &'static str =
        "'general', 'diagonal', 'upper triangular', 'lower triangular', 'pos', 'sym', 'her', 'auto'";

    /// The structure scipy calls `name` (`assume_a`), reading the lower triangle when
    /// `lower` (used by `"pos"`, `"sym"` and `"her"` only, as in scipy). Unknown names give
    /// [`Error::UnknownStructure`], whose message lists the valid ones.
    pub fn from_name(name: &str, lower: bool) -> Result<Self, Error> {
        Ok(match name {
            "general" | "gen" => Self::General,
            "diagonal" => Self::Diagonal,
            "upper triangular" => Self::UpperTriangular,
            "lower triangular" => Self::LowerTriangular,
            "pos" => Self::PositiveDefinite { lower },
            "sym" => Self::Symmetric { lower },
            "her" => Self::Hermitian { lower },
            "auto" => Self::Auto,
            _ => {
                return Err(Error::UnknownStructure {
                    name: name.to_string(),
                })
            }
        })
    }
}

impl core::str::FromStr for Structure {
    type Err = Error;

    /// [`Structure::from_name`] with `lower = false`.
    fn from_str(name: &str) -> Result<Self, Error> {
        Self::from_name(name, false)
    }
}

/// The matrix norms of numpy's `cond` (its `p`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Norm {
    /// `p=None` or `p=2`: the largest singular value (the condition number is
    /// `s_max / s_min`).
    Two,
    /// `p=-2`: the smallest singular value (gives `s_min / s_max`).
    MinusTwo,
    /// `p=1`: the largest column sum of `|a_ij|`.
    One,
    /// `p=-1`: the smallest column sum.
    MinusOne,
    /// `p=inf`: the largest row sum.
    Inf,
    /// `p=-inf`: the smallest row sum.
    MinusInf,
    /// `p='fro'`: the Frobenius norm.
    Fro,
    /// `p='nuc'`: the nuclear norm (the sum of the singular values).
    Nuc,
}

impl core::str::FromStr for Norm {
    type Err = Error;

    /// numpy's spellings: `"2"`, `"-2"`, `"1"`, `"-1"`, `"inf"`, `"-inf"`, `"fro"`, `"nuc"`.
    fn from_str(p: &str) -> Result<Self, Error> {
        Ok(match p {
            "2" => Norm::Two,
            "-2" => Norm::MinusTwo,
            "1" => Norm::One,
            "-1" => Norm::MinusOne,
            "inf" => Norm::Inf,
            "-inf" => Norm::MinusInf,
            "fro" => Norm::Fro,
            "nuc" => Norm::Nuc,
            _ => return Err(Error::InvalidNorm),
        })
    }
}

/// Which singular vectors to compute, as numpy's `compute_uv` and `full_matrices` say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Vectors {
    /// Singular values only (`compute_uv=False`).
    None,
    /// `U` of shape `(m, k)` and `Vh` of shape `(k, n)`, `k = min(m, n)`
    /// (`full_matrices=False`).
    Thin,
    /// `U` of shape `(m, m)` and `Vh` of shape `(n, n)` (numpy's default).
    Full,
}

/// What to do with a matrix holding NaN or infinity.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NonFinite {
    /// Fail, as LAPACK's SVD does (numpy: "SVD did not converge").
    Fail,
    /// Give it NaN singular values (`cond` passes NaN through).
    Nan,
}
