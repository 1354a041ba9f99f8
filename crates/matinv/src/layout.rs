//! Strided stacks of matrices: shape `(..., m, n)` with arbitrary element strides
//! (negative and zero included), as numpy arrays describe them. Inversion needs square
//! matrices and checks for them; the SVD and `cond` take any shape.

use crate::Error;
use core::marker::PhantomData;

/// Checks that `shape` is a stack of square matrices, as numpy's `inv` does, in numpy's
/// order (dimension count first, then squareness). Returns `(matrix count, n)`.
///
/// ```
/// use matinv::{stack_dims, Error};
/// assert_eq!(stack_dims(&[5, 3, 3]), Ok((5, 3)));
/// assert_eq!(stack_dims(&[3]), Err(Error::TooFewDimensions { ndim: 1 }));
/// assert_eq!(stack_dims(&[2, 3]), Err(Error::NotSquare));
/// ```
pub fn stack_dims(shape: &[usize]) -> Result<(usize, usize), Error> {
    let ndim = shape.len();
    if ndim < 2 {
        return Err(Error::TooFewDimensions { ndim });
    }
    let (n, m) = (shape[ndim - 2], shape[ndim - 1]);
    if n != m {
        return Err(Error::NotSquare);
    }
    let mut count = 1usize;
    for &d in &shape[..ndim - 2] {
        count = count.checked_mul(d).ok_or(Error::TooLarge)?;
    }
    count
        .checked_mul(n)
        .and_then(|c| c.checked_mul(n))
        .ok_or(Error::TooLarge)?;
    Ok((count, n))
}

/// Checks that `shape` is a stack of matrices (at least two dimensions, an element count
/// that fits in `usize`). Returns `(matrix count, rows, columns)`.
///
/// ```
/// use matinv::{matrix_dims, Error};
/// assert_eq!(matrix_dims(&[5, 2, 3]), Ok((5, 2, 3)));
/// assert_eq!(matrix_dims(&[3]), Err(Error::TooFewDimensions { ndim: 1 }));
/// ```
pub fn matrix_dims(shape: &[usize]) -> Result<(usize, usize, usize), Error> {
    let ndim = shape.len();
    if ndim < 2 {
        return Err(Error::TooFewDimensions { ndim });
    }
    let (m, n) = (shape[ndim - 2], shape[ndim - 1]);
    let mut count = 1usize;
    for &d in &shape[..ndim - 2] {
        count = count.checked_mul(d).ok_or(Error::TooLarge)?;
    }
    count
        .checked_mul(m)
        .and_then(|c| c.checked_mul(n))
        .ok_or(Error::TooLarge)?;
    Ok((count, m, n))
}

/// A read-only view of a stack of `m x n` matrices with element strides. Inversion takes
/// square stacks only (and says [`Error::NotSquare`] otherwise).
///
/// Matrix `k` of the stack is the `k`-th in C order over the leading (batch) dimensions.
///
/// ```
/// use matinv::StackView;
/// // Two 2x2 matrices stored transposed (Fortran order within each matrix).
/// let data = [1.0, 3.0, 2.0, 4.0, 1.0, 0.0, 0.0, 1.0];
/// let view = StackView::new(&data, &[2, 2, 2], &[4, 1, 2], 0).unwrap();
/// assert_eq!(view.get(0, 0, 1), 2.0);
/// assert_eq!(view.len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct StackView<'a, T> {
    ptr: *const T,
    batch_shape: Vec<usize>,
    batch_strides: Vec<isize>,
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
    count: usize,
    _data: PhantomData<&'a [T]>,
}

// SAFETY: a StackView is a shared borrow of `T`s; it is as thread-safe as `&[T]`.
unsafe impl<T: Sync> Send for StackView<'_, T> {}
// SAFETY: as for Send.
unsafe impl<T: Sync> Sync for StackView<'_, T> {}

impl<'a, T: Copy> StackView<'a, T> {
    /// A view of `data` with the given shape and element strides, starting at `offset`.
    /// Fails unless every element the view can reach lies inside `data`.
    pub fn new(
        data: &'a [T],
        shape: &[usize],
        strides: &[isize],
        offset: usize,
    ) -> Result<Self, Error> {
        if strides.len() != shape.len() {
            return Err(Error::Layout(format!(
                "{} strides for {} dimensions",
                strides.len(),
                shape.len()
            )));
        }
        matrix_dims(shape)?;
        if shape.iter().all(|&d| d > 0) {
            let (mut lo, mut hi) = (offset as i128, offset as i128);
            for (&d, &s) in shape.iter().zip(strides) {
                let reach = (d as i128 - 1) * s as i128;
                if reach < 0 {
                    lo += reach;
                } else {
                    hi += reach;
                }
            }
            if lo < 0 || hi >= data.len() as i128 {
                return Err(Error::Layout(format!(
                    "view reaches elements {lo}..={hi} of a buffer of {}",
                    data.len()
                )));
            }
        }
        // SAFETY: every reachable element was just checked to lie inside `data`; an empty
        // stack reaches none (and `offset` may then be anything, so we do not apply it).
        unsafe {
            let base = if shape.contains(&0) {
                data.as_ptr()
            } else {
                data.as_ptr().add(offset)
            };
            Self::from_raw_parts(base, shape, strides)
        }
    }

    /// A view of a C-contiguous buffer, as numpy lays out a fresh array.
    ///
    /// ```
    /// let a = [4.0, 7.0, 2.0, 6.0];
    /// let view = matinv::StackView::c_contiguous(&a, &[2, 2]).unwrap();
    /// assert_eq!(view.n(), 2);
    /// ```
    pub fn c_contiguous(data: &'a [T], shape: &[usize]) -> Result<Self, Error> {
        let strides = c_strides(shape);
        let len: usize = shape.iter().product();
        if len != data.len() {
            return Err(Error::Layout(format!(
                "shape {shape:?} needs {len} elements, buffer has {}",
                data.len()
            )));
        }
        Self::new(data, shape, &strides, 0)
    }

    /// A view from a raw pointer, for bindings that hold foreign arrays (numpy's).
    ///
    /// # Safety
    /// For the lifetime `'a`, every element `ptr + sum(i_k * strides[k])` with
    /// `0 <= i_k < shape[k]` must be readable, aligned and not written to.
    pub unsafe fn from_raw_parts(
        ptr: *const T,
        shape: &[usize],
        strides: &[isize],
    ) -> Result<Self, Error> {
        let (count, rows, cols) = matrix_dims(shape)?;
        if strides.len() != shape.len() {
            return Err(Error::Layout("strides and shape differ in length".into()));
        }
        let nd = shape.len();
        Ok(Self {
            ptr,
            batch_shape: shape[..nd - 2].to_vec(),
            batch_strides: strides[..nd - 2].to_vec(),
            rows,
            cols,
            row_stride: strides[nd - 2],
            col_stride: strides[nd - 1],
            count,
            _data: PhantomData,
        })
    }

    /// The order of each matrix of a square stack (its number of rows).
    pub fn n(&self) -> usize {
        self.rows
    }

    /// Rows of each matrix.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns of each matrix.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The order of the matrices, or [`Error::NotSquare`] when they are not square.
    pub fn order(&self) -> Result<usize, Error> {
        if self.rows == self.cols {
            Ok(self.rows)
        } else {
            Err(Error::NotSquare)
        }
    }

    /// The number of matrices in the stack.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when the stack holds no element: no matrix, or empty matrices.
    pub fn is_empty(&self) -> bool {
        self.count == 0 || self.rows == 0 || self.cols == 0
    }

    /// The batch dimensions (the shape without its last two dimensions).
    pub fn batch_shape(&self) -> &[usize] {
        &self.batch_shape
    }

    /// The full shape `(..., m, n)`.
    pub fn shape(&self) -> Vec<usize> {
        let mut s = self.batch_shape.clone();
        s.extend([self.rows, self.cols]);
        s
    }

    /// Element `(i, j)` of matrix `k`. Panics when out of range.
    pub fn get(&self, k: usize, i: usize, j: usize) -> T {
        assert!(
            k < self.count && i < self.rows && j < self.cols,
            "index out of range"
        );
        // SAFETY: indices were checked; the view's invariant covers every in-range element.
        unsafe { self.matrix(k).get(i, j) }
    }

    /// The first element, when the whole stack is C-contiguous (matrices back to back, each
    /// row-major): then matrix `k` starts `k * rows * cols` elements further on.
    pub(crate) fn c_contiguous_start(&self) -> Option<*const T> {
        let mut expected = (self.rows * self.cols) as isize;
        let rows_ok = self.rows <= 1 || self.row_stride == self.cols as isize;
        let cols_ok = self.cols <= 1 || self.col_stride == 1;
        for (&d, &s) in self.batch_shape.iter().zip(&self.batch_strides).rev() {
            if d > 1 && s != expected {
                return None;
            }
            expected *= d as isize;
        }
        (rows_ok && cols_ok).then_some(self.ptr)
    }

    /// The strided matrix `k` of the stack (C order over the batch dimensions).
    pub(crate) fn matrix(&self, k: usize) -> MatrixPtr<T> {
        debug_assert!(k < self.count);
        self.matrices(k).next().expect("endless iterator")
    }
}

impl<T: Copy> StackView<'_, T> {
    /// The matrices `start, start + 1, ...` in order, walking the batch dimensions with a
    /// running offset (no division per matrix).
    pub(crate) fn matrices(&self, start: usize) -> Matrices<'_, T> {
        let mut index = vec![0usize; self.batch_shape.len()];
        let mut rest = start;
        let mut offset = 0isize;
        for ((i, &d), &s) in index
            .iter_mut()
            .zip(&self.batch_shape)
            .zip(&self.batch_strides)
            .rev()
        {
            *i = rest % d.max(1);
            offset += *i as isize * s;
            rest /= d.max(1);
        }
        Matrices {
            view: self,
            index,
            offset,
        }
    }
}

/// Iterator of [`StackView::matrices`].
pub(crate) struct Matrices<'v, T> {
    view: &'v StackView<'v, T>,
    index: Vec<usize>,
    offset: isize,
}

impl<T: Copy> Iterator for Matrices<'_, T> {
    type Item = MatrixPtr<T>;

    #[inline]
    fn next(&mut self) -> Option<MatrixPtr<T>> {
        let v = self.view;
        let m = MatrixPtr {
            // wrapping: in bounds by the view's invariant for every matrix the caller asks
            // for (callers zip this endless iterator with the matrices they own).
            ptr: v.ptr.wrapping_offset(self.offset),
            rs: v.row_stride,
            cs: v.col_stride,
        };
        // Advance the multi-index, last dimension fastest.
        for ((i, &d), &s) in self
            .index
            .iter_mut()
            .zip(&v.batch_shape)
            .zip(&v.batch_strides)
            .rev()
        {
            *i += 1;
            self.offset += s;
            if *i < d {
                break;
            }
            self.offset -= d as isize * s;
            *i = 0;
        }
        Some(m)
    }
}

/// One strided matrix inside a [`StackView`].
#[derive(Clone, Copy)]
pub(crate) struct MatrixPtr<T> {
    ptr: *const T,
    rs: isize,
    cs: isize,
}

// SAFETY: a MatrixPtr only reads the elements of the StackView it came from (and is used
// within that view's borrow): it is as thread-safe as `&[T]`.
unsafe impl<T: Sync> Send for MatrixPtr<T> {}
// SAFETY: as for Send.
unsafe impl<T: Sync> Sync for MatrixPtr<T> {}

impl<T: Copy> MatrixPtr<T> {
    /// # Safety
    /// `(i, j)` must be inside the matrix this pointer came from.
    #[inline(always)]
    pub(crate) unsafe fn get(&self, i: usize, j: usize) -> T {
        // SAFETY: by the caller's contract and the view's invariant.
        unsafe {
            *self
                .ptr
                .wrapping_offset(i as isize * self.rs + j as isize * self.cs)
        }
    }
}

impl<T: Copy> MatrixPtr<T> {
    /// A row-major `n x n` matrix at `ptr`.
    ///
    /// # Safety
    /// `ptr` must be matrix of a [`StackView`] (whose borrow outlives every use).
    pub(crate) unsafe fn row_major(ptr: *const T, n: usize) -> Self {
        Self {
            ptr,
            rs: n as isize,
            cs: 1,
        }
    }

    /// Copies rows `rows` of the first `n x n` block into the row-major `dst` (which holds
    /// just those rows), converting each element with `f`, in the order that reads memory
    /// best: along rows when they are the contiguous direction (C order), in square tiles
    /// otherwise (Fortran order, other strides).
    ///
    /// # Safety
    /// The matrix must be at least `n x n`, and `rows` within it.
    #[inline(always)]
    pub(crate) unsafe fn gather_row_major<U>(
        &self,
        n: usize,
        rows: core::ops::Range<usize>,
        dst: &mut [U],
        f: impl Fn(T) -> U,
    ) {
        let dst = &mut dst[..rows.len() * n];
        if self.cs == 1 {
            for (i, row) in rows.zip(dst.chunks_exact_mut(n)) {
                let p = self.ptr.wrapping_offset(i as isize * self.rs);
                // SAFETY: row i of the matrix: n contiguous elements, by the contract.
                let src = unsafe { core::slice::from_raw_parts(p, n) };
                for (d, &s) in row.iter_mut().zip(src) {
                    *d = f(s);
                }
            }
            return;
        }
        const TILE: usize = 32;
        for i0 in rows.clone().step_by(TILE) {
            for j0 in (0..n).step_by(TILE) {
                for j in j0..(j0 + TILE).min(n) {
                    for i in i0..(i0 + TILE).min(rows.end) {
                        // SAFETY: i, j < n, inside the matrix by the contract.
                        dst[(i - rows.start) * n + j] = f(unsafe { self.get(i, j) });
                    }
                }
            }
        }
    }
}

impl<T> MatrixPtr<T> {
    /// Asks the CPU to start loading the first `n x n` block of the matrix into cache.
    #[inline(always)]
    pub(crate) fn prefetch(&self, n: usize) {
        for i in 0..n {
            // Every 8th element of each row and its last: every line of a contiguous row.
            for j in (0..n).step_by(8).chain([n.saturating_sub(1)]) {
                prefetch_line(
                    self.ptr
                        .wrapping_offset(i as isize * self.rs + j as isize * self.cs),
                );
            }
        }
    }
}

/// Asks the CPU to start loading `len` elements from `p` into cache.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T, len: usize) {
    let bytes = len * core::mem::size_of::<T>();
    for offset in (0..bytes).step_by(64) {
        prefetch_line(p.cast::<u8>().wrapping_add(offset));
    }
}

/// A hint (x86-64 only, nothing elsewhere): it has no memory effects and never faults,
/// whatever the address.
#[inline(always)]
fn prefetch_line<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching has no memory effects and never faults.
    #[allow(unused_unsafe)]
    unsafe {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Element strides of a C-contiguous array of `shape`.
pub fn c_strides(shape: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        acc = acc.wrapping_mul(d.max(1) as isize);
    }
    strides
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_views_outside_the_buffer() {
        let data = [0.0f64; 8];
        assert!(StackView::new(&data, &[2, 2, 2], &[4, 2, 1], 0).is_ok());
        assert!(matches!(
            StackView::new(&data, &[2, 2, 2], &[4, 2, 1], 1),
            Err(Error::Layout(_))
        ));
        // Negative strides need an offset that keeps the start inside.
        assert!(StackView::new(&data, &[2, 2], &[-2, -1], 3).is_ok());
        assert!(StackView::new(&data, &[2, 2], &[-2, -1], 2).is_err());
        // Zero strides broadcast one matrix.
        let v = StackView::new(&data[..4], &[1000, 2, 2], &[0, 2, 1], 0).unwrap();
        assert_eq!(v.len(), 1000);
    }

    #[test]
    fn matrix_walks_batch_dims_in_c_order() {
        let data: Vec<f64> = (0..24).map(|x| x as f64).collect();
        let v = StackView::c_contiguous(&data, &[2, 3, 2, 2]).unwrap();
        for k in 0..6 {
            assert_eq!(v.get(k, 1, 0), (k * 4 + 2) as f64);
        }
    }

    #[test]
    fn shape_errors_in_numpy_order() {
        assert_eq!(stack_dims(&[]), Err(Error::TooFewDimensions { ndim: 0 }));
        assert_eq!(stack_dims(&[0, 2, 3]), Err(Error::NotSquare));
        assert_eq!(stack_dims(&[0, 3, 3]), Ok((0, 3)));
        assert_eq!(stack_dims(&[usize::MAX, 2, 2]), Err(Error::TooLarge));
        assert_eq!(matrix_dims(&[0, 2, 3]), Ok((0, 2, 3)));
        assert_eq!(matrix_dims(&[2]), Err(Error::TooFewDimensions { ndim: 1 }));
    }

    #[test]
    fn rectangular_views() {
        let data: Vec<f64> = (0..12).map(|x| x as f64).collect();
        let v = StackView::c_contiguous(&data, &[2, 2, 3]).unwrap();
        assert_eq!((v.len(), v.rows(), v.cols()), (2, 2, 3));
        assert_eq!(v.order(), Err(Error::NotSquare));
        assert_eq!(v.get(1, 1, 2), 11.0);
        assert_eq!(v.shape(), [2, 2, 3]);
    }
}
