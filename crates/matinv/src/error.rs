//! The one error type of the crate. Its messages are numpy's, word for word, so that
//! bindings can pass them through unchanged.

/// Everything that can go wrong when inverting a stack of matrices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer than two dimensions (numpy: `LinAlgError`).
    #[error("{ndim}-dimensional array given. Array must be at least two-dimensional")]
    TooFewDimensions {
        /// The number of dimensions that was given.
        ndim: usize,
    },
    /// The last two dimensions differ (numpy: `LinAlgError`).
    #[error("Last 2 dimensions of the array must be square")]
    NotSquare,
    /// A matrix is singular (numpy: `LinAlgError`): partial-pivoting LU met an exact zero
    /// pivot, or a triangular or diagonal matrix has an exact zero on its diagonal.
    #[error("Singular matrix")]
    Singular {
        /// Index of the (first found) singular matrix in the flattened stack.
        matrix: usize,
        /// 1-based column of its first zero pivot (or zero diagonal entry), as LAPACK's
        /// `info` reports it.
        pivot: usize,
    },
    /// The SVD did not converge, or its input holds NaN or infinity (numpy: `LinAlgError`).
    #[error("SVD did not converge")]
    SvdNoConvergence,
    /// The Hermitian eigensolver did not converge, or its input holds NaN or infinity
    /// (numpy: `LinAlgError`).
    #[error("Eigenvalues did not converge")]
    EigNoConvergence,
    /// `cond` of matrices with no element (numpy: `LinAlgError`).
    #[error("cond is not defined on empty arrays")]
    EmptyCond,
    /// A norm order numpy's `cond` does not know (numpy: `ValueError`).
    #[error("Invalid norm order for matrices.")]
    InvalidNorm,
    /// Cholesky factorisation (`assume_a='pos'`) met a leading minor that is not positive
    /// definite (numpy's `cholesky`: `LinAlgError`).
    #[error("Matrix is not positive definite")]
    NotPositiveDefinite {
        /// Index of the (first found) failing matrix in the flattened stack.
        matrix: usize,
        /// Order of the failing leading minor, as LAPACK's `potrf` reports it in `info`.
        minor: usize,
    },
    /// An unknown structure name (scipy's `assume_a`); the message lists the valid ones.
    #[error(
        "assume_a must be one of {}; got '{name}'",
        crate::request::Structure::NAMES_LIST
    )]
    UnknownStructure {
        /// The name that was given.
        name: String,
    },
    /// An unknown precision name; the message lists the valid ones.
    #[error("precision must be one of 'working', 'extended'; got '{name}'")]
    UnknownPrecision {
        /// The name that was given.
        name: String,
    },
    /// A strided view does not fit inside its buffer, or its strides do not match its shape.
    #[error("invalid layout: {0}")]
    Layout(String),
    /// The output buffer does not have room for exactly the result.
    #[error("output buffer has {got} elements, the result needs {expected}")]
    OutputLength {
        /// Elements in the buffer that was given.
        got: usize,
        /// Elements the result needs.
        expected: usize,
    },
    /// Memory for a result or a workspace could not be had: a size that overflows `usize`,
    /// or a failed allocation; an error, never an abort (numpy: `MemoryError`).
    #[error("array is too big")]
    TooLarge,
}

impl Error {
    /// This error of a sub-stack whose first matrix is matrix `first` of the whole stack:
    /// the failing matrix renumbered in the whole stack.
    pub(crate) fn in_stack_after(self, first: usize) -> Self {
        match self {
            Self::Singular { matrix, pivot } => Self::Singular {
                matrix: first + matrix,
                pivot,
            },
            Self::NotPositiveDefinite { matrix, minor } => Self::NotPositiveDefinite {
                matrix: first + matrix,
                minor,
            },
            e => e,
        }
    }
}
