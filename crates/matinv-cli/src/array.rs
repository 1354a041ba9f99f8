//! The in-memory array every reader produces and every writer takes: a C-ordered stack of
//! square matrices in one of the four element types the core crate inverts.

use matinv::{c32, c64};

/// Elements of an [`Array`], already in the type the inverse will have (numpy's rule: bool
/// and integers become `f64`; `f32`, `f64`, `c32`, `c64` stay as they are).
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    /// float32
    F32(Vec<f32>),
    /// float64
    F64(Vec<f64>),
    /// complex64
    C32(Vec<c32>),
    /// complex128
    C64(Vec<c64>),
}

impl Data {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::F64(v) => v.len(),
            Data::C32(v) => v.len(),
            Data::C64(v) => v.len(),
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// numpy's name of the element type.
    pub fn dtype_name(&self) -> &'static str {
        match self {
            Data::F32(_) => "float32",
            Data::F64(_) => "float64",
            Data::C32(_) => "complex64",
            Data::C64(_) => "complex128",
        }
    }

    /// Machine epsilon of the element type (the scale of "untrustworthy").
    pub fn eps(&self) -> f64 {
        match self {
            Data::F32(_) | Data::C32(_) => f32::EPSILON as f64,
            Data::F64(_) | Data::C64(_) => f64::EPSILON,
        }
    }
}

/// A C-ordered array of shape `(..., n, n)` (readers check the shape is a square stack).
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    /// Full shape, at least two dimensions, the last two equal.
    pub shape: Vec<usize>,
    /// The elements in C order.
    pub data: Data,
}

impl Array {
    /// Builds an array after checking that `shape` is a stack of square matrices holding
    /// exactly `data.len()` elements. The message is numpy's for shape errors.
    pub fn new(shape: Vec<usize>, data: Data) -> Result<Self, String> {
        matinv::stack_dims(&shape).map_err(|e| format!("{e} (shape {})", shape_str(&shape)))?;
        let len = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if len != Some(data.len()) {
            return Err(format!(
                "shape {} does not match {} elements",
                shape_str(&shape),
                data.len()
            ));
        }
        Ok(Self { shape, data })
    }

    /// The order of each matrix.
    pub fn n(&self) -> usize {
        self.shape[self.shape.len() - 1]
    }

    /// The number of matrices (product of the leading dimensions).
    pub fn count(&self) -> usize {
        self.shape[..self.shape.len() - 2].iter().product()
    }

    /// The leading (batch) dimensions.
    pub fn batch_shape(&self) -> &[usize] {
        &self.shape[..self.shape.len() - 2]
    }
}

/// A shape written as numpy prints it: `(3,)`, `(2, 2)`.
pub fn shape_str(shape: &[usize]) -> String {
    match shape {
        [d] => format!("({d},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The index of matrix `k` of a stack with batch shape `batch`, as numpy would write it:
/// `3` for a 1-D batch, `(1, 0)` for a 2-D one, `0` for a single matrix.
pub fn index_label(k: usize, batch: &[usize]) -> String {
    if batch.len() <= 1 {
        return k.to_string();
    }
    let mut idx = vec![0usize; batch.len()];
    let mut rest = k;
    for (i, &d) in idx.iter_mut().zip(batch).rev() {
        *i = rest % d.max(1);
        rest /= d.max(1);
    }
    format!(
        "({})",
        idx.iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// An empty vector with room for `len` elements, or numpy's kind of message when the
/// memory is not there (never an abort: every size here comes from an input file).
pub fn try_vec<T>(len: usize, what: &str) -> Result<Vec<T>, String> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| {
        format!(
            "Unable to allocate {} bytes for {what} ({len} elements): out of memory",
            len.saturating_mul(std::mem::size_of::<T>())
        )
    })?;
    Ok(v)
}

/// `v` mapped through `f` into a new vector allocated fallibly (see [`try_vec`]).
pub fn try_map<S: Copy, T>(v: &[S], what: &str, f: impl Fn(S) -> T) -> Result<Vec<T>, String> {
    let mut out = try_vec(v.len(), what)?;
    out.extend(v.iter().map(|&x| f(x)));
    Ok(out)
}

/// Reorders Fortran-ordered `data` of `shape` into C order (numpy writes `fortran_order`
/// files for F-contiguous arrays; everything downstream works on C order).
pub fn fortran_to_c<T: Copy>(data: &[T], shape: &[usize]) -> Result<Vec<T>, String> {
    let nd = shape.len();
    if nd < 2 || data.is_empty() {
        return try_map(data, "the C-ordered copy", |x| x);
    }
    // Fortran strides: the first axis is the fastest.
    let mut fstride = vec![1usize; nd];
    for k in 1..nd {
        fstride[k] = fstride[k - 1] * shape[k - 1];
    }
    let mut out = try_vec(data.len(), "the C-ordered copy")?;
    let mut idx = vec![0usize; nd];
    let mut off = 0usize;
    for _ in 0..data.len() {
        out.push(data[off]);
        // Advance the C-order multi-index (last axis fastest), keeping the F offset.
        for k in (0..nd).rev() {
            idx[k] += 1;
            off += fstride[k];
            if idx[k] < shape[k] {
                break;
            }
            off -= shape[k] * fstride[k];
            idx[k] = 0;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fortran_reorder() {
        // 2x3 matrix [[0,1,2],[3,4,5]] stored column-major.
        let f = [0, 3, 1, 4, 2, 5];
        assert_eq!(fortran_to_c(&f, &[2, 3]).unwrap(), vec![0, 1, 2, 3, 4, 5]);
        // A (2, 2, 2) stack: element (i, j, k) at i + 2j + 4k.
        let f: Vec<usize> = (0..8).collect();
        let c = fortran_to_c(&f, &[2, 2, 2]).unwrap();
        let mut want = vec![];
        for i in 0..2 {
            for j in 0..2 {
                for k in 0..2 {
                    want.push(i + 2 * j + 4 * k);
                }
            }
        }
        assert_eq!(c, want);
    }

    #[test]
    fn labels() {
        assert_eq!(index_label(3, &[5]), "3");
        assert_eq!(index_label(3, &[2, 2]), "(1, 1)");
        assert_eq!(shape_str(&[3]), "(3,)");
        assert_eq!(shape_str(&[2, 3]), "(2, 3)");
    }
}
