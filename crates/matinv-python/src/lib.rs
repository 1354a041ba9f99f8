//! `matinv._matinv`: the native half of the Python package. Conversion and error mapping
//! only; array-likes, dtype promotion and subclasses are handled in `python/matinv`.

use matinv::{c32, c64, Element, StackView, Status, Structure};
use numpy::{
    PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyMemoryError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

mod patch;

/// Maps a core error onto the exception numpy raises for it.
fn to_py_err(py: Python<'_>, err: matinv::Error) -> PyErr {
    use matinv::Error as E;
    let msg = err.to_string();
    match err {
        E::TooFewDimensions { .. }
        | E::NotSquare
        | E::Singular { .. }
        | E::SvdNoConvergence
        | E::EigNoConvergence
        | E::EmptyCond
        | E::NotPositiveDefinite { .. } => {
            match py
                .import("numpy.linalg")
                .and_then(|m| m.getattr("LinAlgError"))
                .and_then(|cls| cls.call1((msg,)))
            {
                Ok(exc) => PyErr::from_value(exc),
                Err(import_failure) => import_failure,
            }
        }
        E::TooLarge => PyMemoryError::new_err(msg),
        E::Layout(_) | E::OutputLength { .. } | E::InvalidNorm | E::UnknownStructure { .. } => {
            PyValueError::new_err(msg)
        }
        // A variant added to the core after this binding was written.
        _ => PyRuntimeError::new_err(msg),
    }
}

/// Checks that `shape` is a stack of square matrices; raises numpy's `LinAlgError` if not.
#[pyfunction]
fn check_stack(py: Python<'_>, shape: Vec<usize>) -> PyResult<()> {
    guard(|| {
        matinv::stack_dims(&shape)
            .map(drop)
            .map_err(|e| to_py_err(py, e))
    })
}

/// Inverts every matrix of `a` into `out`. Returns False, doing nothing, when `a` is
/// unaligned or its strides are not multiples of its item size (copy it first).
///
/// `a`: float32, float64, complex64 or complex128, native byte order, aligned, any strides.
/// `out`: a C-contiguous, aligned, writeable array of the same dtype and shape, sharing no
/// memory with `a`.
/// `num_threads`: 0 for every core.
#[pyfunction]
#[pyo3(signature = (a, out, num_threads=0))]
fn inv_into(
    py: Python<'_>,
    a: &Bound<'_, PyUntypedArray>,
    out: &Bound<'_, PyUntypedArray>,
    num_threads: usize,
) -> PyResult<bool> {
    guard(|| {
        let params = matinv::Params::default().with_num_threads(num_threads);
        dispatch(py, a, out, None, Structure::General, &params)
    })
}

/// `inv`'s fast path: a new C-contiguous array of `a`'s dtype and shape holding the inverse
/// of every matrix of `a`, or None, doing nothing, when `a` is not an array the kernels read
/// as it is (a stack of square matrices of float32, float64, complex64 or complex128 in
/// native byte order, aligned, strides whole elements): the caller then takes the general
/// path, which checks, converts and copies. One native call instead of the allocation and
/// checks `inv_into` needs around it: this is most of a small matrix's time.
#[pyfunction]
#[pyo3(signature = (a, num_threads=0))]
fn inv_new<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    num_threads: usize,
) -> PyResult<Option<Bound<'py, PyUntypedArray>>> {
    guard(|| {
        let Ok(a) = a.cast::<PyUntypedArray>() else {
            return Ok(None);
        };
        let shape = a.shape();
        let d = shape.len();
        if d < 2 || shape[d - 1] != shape[d - 2] || a.dtype().is_native_byteorder() == Some(false) {
            return Ok(None);
        }
        let params = matinv::Params::default().with_num_threads(num_threads);
        macro_rules! go {
            ($t:ty) => {
                if let Ok(a) = a.cast::<PyArrayDyn<$t>>() {
                    return new_inverse::<$t>(py, a, &params);
                }
            };
        }
        go!(f64);
        go!(f32);
        go!(c64);
        go!(c32);
        Ok(None)
    })
}

fn new_inverse<'py, T: Element + numpy::Element>(
    py: Python<'py>,
    a: &Bound<'py, PyArrayDyn<T>>,
    params: &matinv::Params,
) -> PyResult<Option<Bound<'py, PyUntypedArray>>> {
    let Some(view) = view_of(py, a)? else {
        return Ok(None);
    };
    let out = empty::<T>(py, a.shape())?;
    // SAFETY: `out` was just made by numpy for `T` and `a`'s shape, C-contiguous, aligned
    // and writeable; no other reference to it exists, so it shares no memory with
    // `a` (read through `view`); it is sliced once.
    let dst = unsafe { out_slice::<T>(out.as_untyped()) };
    let opts = matinv::InvOptions::structured(Structure::General).with_params(*params);
    compute_sized(py, dst.len(), || {
        matinv::invert(matinv::Request::new(&view, dst).with_options(opts))
    })?;
    Ok(Some(out.as_untyped().clone()))
}

/// A new C-contiguous array (`numpy.empty`), for the kernels to write every element of;
/// MemoryError, as numpy raises it, when it cannot be allocated (rust-numpy's constructors
/// would panic). Not `numpy.zeros`: below glibc's mmap threshold (32 MiB at most) calloc
/// reuses heap memory and so must clear it, which made 1e6 2x2 inverses (32 MB) 1.4x
/// slower.
fn empty<'py, T: Element + numpy::Element>(
    py: Python<'py>,
    shape: &[usize],
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    use numpy::npyffi::{npy_intp, PY_ARRAY_API};
    let mut dims = shape
        .iter()
        .map(|&d| npy_intp::try_from(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| PyMemoryError::new_err("array is too big"))?;
    let nd = i32::try_from(dims.len()).map_err(|_| PyValueError::new_err("too many dimensions"))?;
    // SAFETY: numpy's C API, called with the GIL held: `dims` holds `nd` extents (numpy
    // reads them only during the call), the descriptor reference is handed over (numpy
    // steals it), 0 asks for C order. The result is a new reference to an array of `T`,
    // or null with a Python exception set. Its elements are whatever bytes numpy's
    // allocator returned; `T` is a float or complex type, for which every bit pattern is
    // a value, and the kernels write each element before anything reads it.
    unsafe {
        let ptr = PY_ARRAY_API.PyArray_Empty(
            py,
            nd,
            dims.as_mut_ptr(),
            numpy::dtype::<T>(py).into_dtype_ptr(),
            0,
        );
        Ok(Bound::from_owned_ptr_or_err(py, ptr)?.cast_into_unchecked())
    }
}

/// Like `inv_into`, but never raises for singular matrices: fills `info` (int32) and
/// `rcond` (float64), both C-contiguous of shape `a.shape[:-2]`, and NaN inverses for
/// singular matrices. No two of `a`, `out`, `info` and `rcond` may share memory.
#[pyfunction]
#[pyo3(signature = (a, out, info, rcond, num_threads=0))]
fn inv_ex_into(
    py: Python<'_>,
    a: &Bound<'_, PyUntypedArray>,
    out: &Bound<'_, PyUntypedArray>,
    info: &Bound<'_, PyUntypedArray>,
    rcond: &Bound<'_, PyUntypedArray>,
    num_threads: usize,
) -> PyResult<bool> {
    guard(|| {
        let params = matinv::Params::default().with_num_threads(num_threads);
        dispatch(py, a, out, Some((info, rcond)), Structure::General, &params)
    })
}

/// `inv_into` (when `info` and `rcond` are None) or `inv_ex_into` for matrices of a known
/// structure: `assume_a` is scipy's name for it ('general', 'diagonal', 'upper triangular',
/// 'lower triangular', 'pos', 'sym', 'her', 'auto'), `lower` picks the triangle 'pos',
/// 'sym' and 'her' read. Raises ValueError for an unknown name, LinAlgError("Matrix is not
/// positive definite") when Cholesky fails under 'pos' without `info`.
#[pyfunction]
#[pyo3(signature = (a, out, info, rcond, assume_a, lower=false, num_threads=0))]
#[allow(clippy::too_many_arguments)]
fn inv_structured_into(
    py: Python<'_>,
    a: &Bound<'_, PyUntypedArray>,
    out: &Bound<'_, PyUntypedArray>,
    info: Option<&Bound<'_, PyUntypedArray>>,
    rcond: Option<&Bound<'_, PyUntypedArray>>,
    assume_a: &str,
    lower: bool,
    num_threads: usize,
) -> PyResult<bool> {
    guard(|| {
        let structure = Structure::from_name(assume_a, lower).map_err(|e| to_py_err(py, e))?;
        let params = matinv::Params::default().with_num_threads(num_threads);
        let status = both(info, rcond, "info and rcond")?;
        dispatch(py, a, out, status, structure, &params)
    })
}

/// Inverts every matrix of `a` in place (scipy's `overwrite_a`): `a` must be exactly
/// float32, float64, complex64 or complex128 in native byte order (TypeError otherwise), a
/// stack of square matrices (LinAlgError), C-contiguous, aligned and writeable
/// (ValueError). No other array is involved. On LinAlgError (a singular matrix), `a` holds
/// unspecified values.
#[pyfunction]
#[pyo3(signature = (a, num_threads=0))]
fn inv_in_place(py: Python<'_>, a: &Bound<'_, PyUntypedArray>, num_threads: usize) -> PyResult<()> {
    guard(|| {
        let params = matinv::Params::default().with_num_threads(num_threads);
        macro_rules! go {
            ($t:ty) => {
                if a.cast::<PyArrayDyn<$t>>().is_ok() {
                    return invert_in_place::<$t>(py, a, &params);
                }
            };
        }
        go!(f64);
        go!(f32);
        go!(c64);
        go!(c32);
        Err(unsupported(a))
    })
}

fn invert_in_place<T: Element + numpy::Element>(
    py: Python<'_>,
    a: &Bound<'_, PyUntypedArray>,
    params: &matinv::Params,
) -> PyResult<()> {
    let shape = a.shape().to_vec();
    batch_of(py, &shape)?;
    check_out::<T>(a, &shape, "a")?;
    // SAFETY: `check_out` accepted `a` for `T` (C-contiguous, aligned, writeable); it is
    // the only array of the call and is sliced once, so nothing else reads or writes its
    // data through this call while the slice lives (Python code writing to it from another
    // thread while the GIL is released races as it would with numpy's own functions).
    let data = unsafe { out_slice::<T>(a) };
    compute(py, || {
        matinv::invert(
            matinv::Request::in_place(data, &shape)
                .with_options(matinv::InvOptions::default().with_params(*params)),
        )
    })
}

/// Both optional arguments, or neither.
fn both<'b, 'py>(
    x: Option<&'b Bound<'py, PyUntypedArray>>,
    y: Option<&'b Bound<'py, PyUntypedArray>>,
    names: &str,
) -> PyResult<
    Option<(
        &'b Bound<'py, PyUntypedArray>,
        &'b Bound<'py, PyUntypedArray>,
    )>,
> {
    match (x, y) {
        (None, None) => Ok(None),
        (Some(x), Some(y)) => Ok(Some((x, y))),
        _ => Err(PyValueError::new_err(format!(
            "give both {names}, or neither"
        ))),
    }
}

/// The outputs `info` and `rcond` of the `*_ex` entry points.
type StatusArrays<'b, 'py> = (
    &'b Bound<'py, PyUntypedArray>,
    &'b Bound<'py, PyUntypedArray>,
);

fn dispatch(
    py: Python<'_>,
    a: &Bound<'_, PyUntypedArray>,
    out: &Bound<'_, PyUntypedArray>,
    status: Option<StatusArrays<'_, '_>>,
    structure: Structure,
    params: &matinv::Params,
) -> PyResult<bool> {
    if let Ok(a) = a.cast::<PyArrayDyn<f64>>() {
        invert::<f64>(py, a, out, status, structure, params)
    } else if let Ok(a) = a.cast::<PyArrayDyn<f32>>() {
        invert::<f32>(py, a, out, status, structure, params)
    } else if let Ok(a) = a.cast::<PyArrayDyn<c64>>() {
        invert::<c64>(py, a, out, status, structure, params)
    } else if let Ok(a) = a.cast::<PyArrayDyn<c32>>() {
        invert::<c32>(py, a, out, status, structure, params)
    } else {
        Err(unsupported(a))
    }
}

fn unsupported(a: &Bound<'_, PyUntypedArray>) -> PyErr {
    PyTypeError::new_err(format!(
        "array type {} is unsupported by the native kernels",
        a.dtype()
    ))
}

/// numpy's WRITEABLE flag (rust-numpy exposes it only through its borrow checker).
fn is_writeable(a: &Bound<'_, PyUntypedArray>) -> bool {
    // SAFETY: `a` is a live numpy array; reading its flags field is always valid.
    unsafe { (*a.as_array_ptr()).fields.flags & numpy::npyffi::flags::NPY_ARRAY_WRITEABLE != 0 }
}

/// The bytes `[first, end)` that `a` addresses (from its data pointer, shape and strides,
/// negative and zero strides included), or None when it has no element.
fn extent(a: &Bound<'_, PyUntypedArray>) -> Option<(i128, i128)> {
    if a.shape().contains(&0) {
        return None;
    }
    // SAFETY: `a` is a live numpy array; reading its data pointer field is always valid.
    let data = unsafe { (*a.as_array_ptr()).fields.data } as usize as i128;
    let (mut first, mut last) = (data, data);
    for (&d, &s) in a.shape().iter().zip(a.strides()) {
        let reach = (d as i128 - 1) * s as i128;
        if reach < 0 {
            first += reach;
        } else {
            last += reach;
        }
    }
    Some((first, last + a.dtype().itemsize() as i128))
}

/// Refuses arrays that share memory: the input (first) with any output, and the outputs
/// with each other. Judged on the bytes each one addresses, so interleaved views of one
/// buffer count as overlapping too.
fn check_disjoint(arrays: &[(&str, &Bound<'_, PyUntypedArray>)]) -> PyResult<()> {
    for (i, (x_name, x)) in arrays.iter().enumerate() {
        for (y_name, y) in &arrays[i + 1..] {
            if let (Some(x), Some(y)) = (extent(x), extent(y)) {
                if x.0 < y.1 && y.0 < x.1 {
                    return Err(PyValueError::new_err(format!(
                        "{y_name} shares memory with {x_name}; \
                         outputs must not overlap the input or each other"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Checks that `out` can be written as a `&mut [T]` holding an array of `shape` in C
/// order: exactly dtype `T` in native byte order (TypeError otherwise), that shape,
/// C-contiguous, aligned and writeable (ValueError otherwise).
fn check_out<T: numpy::Element>(
    out: &Bound<'_, PyUntypedArray>,
    shape: &[usize],
    name: &str,
) -> PyResult<()> {
    let expected = numpy::dtype::<T>(out.py());
    let dtype = out.dtype();
    if out.cast::<PyArrayDyn<T>>().is_err() || dtype.is_native_byteorder() == Some(false) {
        return Err(PyTypeError::new_err(format!(
            "{name} must have dtype {expected} in native byte order, not {dtype}"
        )));
    }
    if out.shape() != shape {
        return Err(PyValueError::new_err(format!(
            "{name} must have shape {shape:?}, not {:?}",
            out.shape()
        )));
    }
    if !out.is_c_contiguous() || !out.is_aligned() || !is_writeable(out) {
        return Err(PyValueError::new_err(format!(
            "{name} must be a writeable, aligned, C-contiguous array"
        )));
    }
    Ok(())
}

/// The data of `out` as a mutable slice.
///
/// # Safety
/// [`check_out::<T>`] must have accepted `out` (dtype `T`, C-contiguous, aligned,
/// writeable), and nothing else may read or write `out`'s data while the slice lives:
/// [`check_disjoint`] must have accepted it against every other array of the call, and
/// no other slice of it may be made.
#[allow(clippy::mut_from_ref)] // the numpy array owns its buffer; see the safety contract
unsafe fn out_slice<'o, T: numpy::Element>(out: &'o Bound<'_, PyUntypedArray>) -> &'o mut [T] {
    let len = out.len();
    if len == 0 {
        return &mut [];
    }
    // SAFETY: `out` is a live, C-contiguous, aligned, writeable array of `len` elements of
    // `T` (checked by `check_out`, the caller's contract), alive for 'o as it is borrowed;
    // unaliased by the caller's contract.
    unsafe { std::slice::from_raw_parts_mut((*out.as_array_ptr()).fields.data.cast::<T>(), len) }
}

/// The shape of `a` without its last two dimensions, after checking that `a` is a stack
/// of matrices (numpy's LinAlgError otherwise); and the matrices' rows and columns.
fn batch_of<'s>(py: Python<'_>, shape: &'s [usize]) -> PyResult<(&'s [usize], usize, usize)> {
    let (_, m, n) = matinv::matrix_dims(shape).map_err(|e| to_py_err(py, e))?;
    Ok((&shape[..shape.len() - 2], m, n))
}

fn invert<T: Element + numpy::Element>(
    py: Python<'_>,
    a: &Bound<'_, PyArrayDyn<T>>,
    out: &Bound<'_, PyUntypedArray>,
    status: Option<StatusArrays<'_, '_>>,
    structure: Structure,
    params: &matinv::Params,
) -> PyResult<bool> {
    let (batch, _, _) = batch_of(py, a.shape())?;
    check_out::<T>(out, a.shape(), "out")?;
    match status {
        None => check_disjoint(&[("a", a.as_untyped()), ("out", out)])?,
        Some((info, rcond)) => {
            check_out::<i32>(info, batch, "info")?;
            check_out::<f64>(rcond, batch, "rcond")?;
            check_disjoint(&[
                ("a", a.as_untyped()),
                ("out", out),
                ("info", info),
                ("rcond", rcond),
            ])?;
        }
    }
    let Some(view) = view_of(py, a)? else {
        return Ok(false);
    };
    // SAFETY: `check_out` accepted `out` for `T`; `check_disjoint` found it sharing no
    // byte with `a` (read through `view`) or the status arrays; it is sliced once.
    let dst = unsafe { out_slice::<T>(out) };
    let opts = matinv::InvOptions::structured(structure).with_params(*params);
    let Some((info, rcond)) = status else {
        compute_sized(py, dst.len(), || {
            matinv::invert(matinv::Request::new(&view, dst).with_options(opts))
        })?;
        return Ok(true);
    };
    let count = view.len();
    let mut status = Vec::new();
    status
        .try_reserve_exact(count)
        .map_err(|_| PyMemoryError::new_err("Unable to allocate the status of every matrix"))?;
    status.resize(count, Status::default());
    compute(py, || {
        matinv::invert(
            matinv::Request::new(&view, dst)
                .with_status(&mut status)
                .with_options(opts),
        )
    })?;
    // SAFETY: `check_out` accepted `info` for i32 and `rcond` for f64, both of the batch
    // shape (`count` elements); `check_disjoint` found each sharing no byte with `a`,
    // `out` or the other; each is sliced once.
    let (info, rcond) = unsafe { (out_slice::<i32>(info), out_slice::<f64>(rcond)) };
    for ((i, r), s) in info.iter_mut().zip(rcond.iter_mut()).zip(&status) {
        *i = s.info as i32;
        *r = s.rcond;
    }
    Ok(true)
}

/// A view of `a`, or None when it is unaligned or its strides are not multiples of its
/// item size (the caller copies it then).
fn view_of<'a, T: Element + numpy::Element>(
    py: Python<'_>,
    a: &'a Bound<'_, PyArrayDyn<T>>,
) -> PyResult<Option<StackView<'a, T>>> {
    let item = std::mem::size_of::<T>() as isize;
    if !a.is_aligned() || a.strides().iter().any(|s| s % item != 0) {
        return Ok(None);
    }
    let strides: Vec<isize> = a.strides().iter().map(|s| s / item).collect();
    // SAFETY: readable and aligned: numpy's invariant for its arrays is that the data
    // pointer, shape and strides address elements inside the memory the array (or its
    // base) holds, alive while `a` is borrowed (a view made with `as_strided` that breaks
    // it is invalid for numpy too); alignment and whole-element strides are checked above
    // (`from_raw_parts` checks only the shape). Not written to: the callers write only
    // outputs that `check_disjoint` found sharing no byte with `a` (Python code writing
    // to `a` from another thread while the GIL is released races as it would with
    // numpy's own functions).
    let view = unsafe { StackView::from_raw_parts(a.data(), a.shape(), &strides) }
        .map_err(|e| to_py_err(py, e))?;
    Ok(Some(view))
}

/// The message of a panic's payload.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Runs an entry point's body, turning a panic into a RuntimeError (pyo3 would raise its
/// PanicException, which derives from BaseException, not Exception).
fn guard<R>(f: impl FnOnce() -> PyResult<R>) -> PyResult<R> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        Err(PyRuntimeError::new_err(format!(
            "internal error in matinv: {}",
            panic_message(&*panic)
        )))
    })
}

/// Runs `f` without the GIL, turning a panic into a RuntimeError.
fn compute<R: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> Result<R, matinv::Error> + Send,
) -> PyResult<R> {
    settle(py, py.detach(|| catch_unwind(AssertUnwindSafe(f))))
}

/// The result of a computation as Python sees it: core errors mapped, a panic a
/// RuntimeError.
fn settle<R>(py: Python<'_>, result: std::thread::Result<Result<R, matinv::Error>>) -> PyResult<R> {
    match result {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(to_py_err(py, e)),
        Err(panic) => Err(PyRuntimeError::new_err(format!(
            "internal error in matinv: {}",
            panic_message(&*panic)
        ))),
    }
}

/// Outputs of at most this many elements are computed with the GIL held, as numpy's
/// gufuncs do below 500 (`NPY_BEGIN_THREADS_THRESHOLDED`): releasing and taking it back
/// costs more than inverting a few small matrices.
const KEEP_GIL_MAX_ELEMENTS: usize = 512;

/// [`compute`] for work writing `elements` output elements: small work keeps the GIL.
fn compute_sized<R: Send>(
    py: Python<'_>,
    elements: usize,
    f: impl FnOnce() -> Result<R, matinv::Error> + Send,
) -> PyResult<R> {
    if elements > KEEP_GIL_MAX_ELEMENTS {
        return compute(py, f);
    }
    settle(py, catch_unwind(AssertUnwindSafe(f)))
}

/// Singular values of every matrix of `a` into `s` (real dtype, shape `a.shape[:-2] + (k,)`),
/// and with `u` and `vh` (both or neither) the singular vectors (C-contiguous, numpy's
/// shapes). No two of `a`, `s`, `u` and `vh` may share memory. Returns False, doing
/// nothing, when `a` must be copied first (unaligned or odd strides).
#[pyfunction]
#[pyo3(signature = (a, s, u=None, vh=None, full_matrices=true, hermitian=false, num_threads=0))]
#[allow(clippy::too_many_arguments)]
fn svd_into(
    py: Python<'_>,
    a: &Bound<'_, PyUntypedArray>,
    s: &Bound<'_, PyUntypedArray>,
    u: Option<&Bound<'_, PyUntypedArray>>,
    vh: Option<&Bound<'_, PyUntypedArray>>,
    full_matrices: bool,
    hermitian: bool,
    num_threads: usize,
) -> PyResult<bool> {
    guard(|| {
        let params = matinv::Params::default().with_num_threads(num_threads);
        let uv = both(u, vh, "u and vh")?;
        macro_rules! go {
            ($t:ty) => {
                if let Ok(a) = a.cast::<PyArrayDyn<$t>>() {
                    return svd_typed::<$t>(py, a, s, uv, full_matrices, hermitian, &params);
                }
            };
        }
        go!(f64);
        go!(f32);
        go!(c64);
        go!(c32);
        Err(unsupported(a))
    })
}

fn svd_typed<T: Element + numpy::Element>(
    py: Python<'_>,
    a: &Bound<'_, PyArrayDyn<T>>,
    s: &Bound<'_, PyUntypedArray>,
    uv: Option<(&Bound<'_, PyUntypedArray>, &Bound<'_, PyUntypedArray>)>,
    full_matrices: bool,
    hermitian: bool,
    params: &matinv::Params,
) -> PyResult<bool>
where
    T::Real: numpy::Element,
{
    let (batch, m, n) = batch_of(py, a.shape())?;
    if hermitian && m != n {
        return Err(to_py_err(py, matinv::Error::NotSquare));
    }
    let with = |tail: &[usize]| [batch, tail].concat();
    check_out::<T::Real>(s, &with(&[m.min(n)]), "s")?;
    let vectors = match (uv.is_some(), full_matrices) {
        (false, _) => matinv::Vectors::None,
        (true, true) => matinv::Vectors::Full,
        (true, false) => matinv::Vectors::Thin,
    };
    let [ur, uc, vr, vc] = matinv::factor_shapes(m, n, vectors, hermitian);
    match uv {
        None => check_disjoint(&[("a", a.as_untyped()), ("s", s)])?,
        Some((u, vh)) => {
            check_out::<T>(u, &with(&[ur, uc]), "u")?;
            check_out::<T>(vh, &with(&[vr, vc]), "vh")?;
            check_disjoint(&[("a", a.as_untyped()), ("s", s), ("u", u), ("vh", vh)])?;
        }
    }
    let Some(view) = view_of(py, a)? else {
        return Ok(false);
    };
    // SAFETY (all three): `check_out` accepted each for its dtype and shape, and
    // `check_disjoint` found no two of `a`, `s`, `u` and `vh` sharing a byte; each is
    // sliced once.
    let s = unsafe { out_slice::<T::Real>(s) };
    let uv = uv.map(|(u, vh)| unsafe { (out_slice::<T>(u), out_slice::<T>(vh)) });
    compute(py, || {
        matinv::svd_into(&view, s, uv, full_matrices, hermitian, params)
    })?;
    Ok(true)
}

/// numpy's `cond(a, p)` into `out` (real dtype, shape `a.shape[:-2]`, sharing no memory
/// with `a`); `p` is one of "2", "-2", "1", "-1", "inf", "-inf", "fro", "nuc". Returns
/// False when `a` must be copied first.
#[pyfunction]
#[pyo3(signature = (a, out, p, num_threads=0))]
fn cond_into(
    py: Python<'_>,
    a: &Bound<'_, PyUntypedArray>,
    out: &Bound<'_, PyUntypedArray>,
    p: &str,
    num_threads: usize,
) -> PyResult<bool> {
    guard(|| {
        let params = matinv::Params::default().with_num_threads(num_threads);
        let p: matinv::Norm = p.parse().map_err(|e| to_py_err(py, e))?;
        macro_rules! go {
            ($t:ty) => {
                if let Ok(a) = a.cast::<PyArrayDyn<$t>>() {
                    return cond_typed::<$t>(py, a, out, p, &params);
                }
            };
        }
        go!(f64);
        go!(f32);
        go!(c64);
        go!(c32);
        Err(unsupported(a))
    })
}

fn cond_typed<T: Element + numpy::Element>(
    py: Python<'_>,
    a: &Bound<'_, PyArrayDyn<T>>,
    out: &Bound<'_, PyUntypedArray>,
    p: matinv::Norm,
    params: &matinv::Params,
) -> PyResult<bool>
where
    T::Real: numpy::Element,
{
    let (batch, _, _) = batch_of(py, a.shape())?;
    check_out::<T::Real>(out, batch, "out")?;
    check_disjoint(&[("a", a.as_untyped()), ("out", out)])?;
    let Some(view) = view_of(py, a)? else {
        return Ok(false);
    };
    let r = compute(py, || matinv::cond_with(&view, p, params))?;
    // SAFETY: `check_out` accepted `out` for `T::Real` and the batch shape (as many
    // elements as `r`), `check_disjoint` found it sharing no byte with `a`; sliced once.
    let dst = unsafe { out_slice::<T::Real>(out) };
    dst.copy_from_slice(&r);
    Ok(true)
}

/// Threads used when none is asked for (every core, or `RAYON_NUM_THREADS`; 1 when those
/// threads cannot be started).
#[pyfunction]
fn default_num_threads() -> PyResult<usize> {
    guard(|| Ok(matinv::default_num_threads()))
}

#[pymodule]
fn _matinv(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The fork handler, registered as the module is imported (on Linux already as the
    // library loaded): before the program's threads call matinv, so no child can be
    // forked while one of them registers it.
    matinv::watch_forks();
    m.add_function(wrap_pyfunction!(check_stack, m)?)?;
    m.add_function(wrap_pyfunction!(inv_new, m)?)?;
    m.add_function(wrap_pyfunction!(inv_into, m)?)?;
    m.add_function(wrap_pyfunction!(inv_ex_into, m)?)?;
    m.add_function(wrap_pyfunction!(inv_in_place, m)?)?;
    m.add_function(wrap_pyfunction!(svd_into, m)?)?;
    m.add_function(wrap_pyfunction!(cond_into, m)?)?;
    m.add_function(wrap_pyfunction!(inv_structured_into, m)?)?;
    m.add_function(wrap_pyfunction!(default_num_threads, m)?)?;
    patch::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
