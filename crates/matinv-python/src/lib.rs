//! `matinv._matinv`: the native half of the Python package. Conversion and error mapping
//! only; array-likes, dtype promotion and subclasses are handled in `python/matinv`.

use matinv::{c32, c64, Element, StackView, Status, Structure};
use numpy::{
    PyArrayDyn, PyArrayMethods, PyReadwriteArrayDyn, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyMemoryError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

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
    }
}

/// Checks that `shape` is a stack of square matrices; raises numpy's `LinAlgError` if not.
#[pyfunction]
fn check_stack(py: Python<'_>, shape: Vec<usize>) -> PyResult<()> {
    matinv::stack_dims(&shape)
        .map(drop)
        .map_err(|e| to_py_err(py, e))
}

/// Inverts every matrix of `a` into `out`. Returns False, doing nothing, when `a` is
/// unaligned or its strides are not multiples of its item size (copy it first).
///
/// `a`: float32, float64, complex64 or complex128, native byte order, aligned, any strides.
/// `out`: a C-contiguous, writeable array of the same dtype and shape.
/// `num_threads`: 0 for every core.
#[pyfunction]
#[pyo3(signature = (a, out, num_threads=0))]
fn inv_into(
    py: Python<'_>,
    a: &Bound<'_, PyUntypedArray>,
    out: &Bound<'_, PyUntypedArray>,
    num_threads: usize,
) -> PyResult<bool> {
    let params = matinv::Params {
        num_threads,
        ..Default::default()
    };
    dispatch(py, a, out, None, Structure::General, &params)
}

/// Like `inv_into`, but never raises for singular matrices: fills `info` (int32) and
/// `rcond` (float64), both C-contiguous of shape `a.shape[:-2]`, and NaN inverses for
/// singular matrices.
#[pyfunction]
#[pyo3(signature = (a, out, info, rcond, num_threads=0))]
fn inv_ex_into(
    py: Python<'_>,
    a: &Bound<'_, PyUntypedArray>,
    out: &Bound<'_, PyUntypedArray>,
    mut info: PyReadwriteArrayDyn<'_, i32>,
    mut rcond: PyReadwriteArrayDyn<'_, f64>,
    num_threads: usize,
) -> PyResult<bool> {
    let params = matinv::Params {
        num_threads,
        ..Default::default()
    };
    with_status(
        py,
        a,
        out,
        &mut info,
        &mut rcond,
        Structure::General,
        &params,
    )
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
    info: Option<PyReadwriteArrayDyn<'_, i32>>,
    rcond: Option<PyReadwriteArrayDyn<'_, f64>>,
    assume_a: &str,
    lower: bool,
    num_threads: usize,
) -> PyResult<bool> {
    let structure = Structure::from_name(assume_a, lower).map_err(|e| to_py_err(py, e))?;
    let params = matinv::Params {
        num_threads,
        ..Default::default()
    };
    let (mut info, mut rcond) = match (info, rcond) {
        (None, None) => return dispatch(py, a, out, None, structure, &params),
        (Some(info), Some(rcond)) => (info, rcond),
        _ => {
            return Err(PyValueError::new_err(
                "give both info and rcond, or neither",
            ))
        }
    };
    with_status(py, a, out, &mut info, &mut rcond, structure, &params)
}

/// Inverts with a status per matrix, copied out into numpy's `info` and `rcond` arrays.
fn with_status(
    py: Python<'_>,
    a: &Bound<'_, PyUntypedArray>,
    out: &Bound<'_, PyUntypedArray>,
    info: &mut PyReadwriteArrayDyn<'_, i32>,
    rcond: &mut PyReadwriteArrayDyn<'_, f64>,
    structure: Structure,
    params: &matinv::Params,
) -> PyResult<bool> {
    let count: usize = a.shape().iter().rev().skip(2).product();
    let (info, rcond) = (info.as_slice_mut()?, rcond.as_slice_mut()?);
    if a.ndim() < 2 || info.len() != count || rcond.len() != count {
        return Err(PyValueError::new_err(
            "info and rcond must hold one entry per matrix",
        ));
    }
    let mut status = Vec::new();
    status
        .try_reserve_exact(count)
        .map_err(|_| PyMemoryError::new_err("Unable to allocate the status of every matrix"))?;
    status.resize(count, Status::default());
    let done = dispatch(py, a, out, Some(&mut status), structure, params)?;
    for ((i, r), s) in info.iter_mut().zip(rcond.iter_mut()).zip(&status) {
        *i = s.info as i32;
        *r = s.rcond;
    }
    Ok(done)
}

fn dispatch(
    py: Python<'_>,
    a: &Bound<'_, PyUntypedArray>,
    out: &Bound<'_, PyUntypedArray>,
    status: Option<&mut [Status]>,
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
        Err(PyTypeError::new_err(format!(
            "array type {} is unsupported by the native kernels",
            a.dtype()
        )))
    }
}

/// numpy's WRITEABLE flag (rust-numpy exposes it only through its borrow checker).
fn is_writeable(a: &Bound<'_, PyUntypedArray>) -> bool {
    // SAFETY: `a` is a live numpy array; reading its flags field is always valid.
    unsafe { (*a.as_array_ptr()).fields.flags & numpy::npyffi::flags::NPY_ARRAY_WRITEABLE != 0 }
}

fn invert<T: Element + numpy::Element>(
    py: Python<'_>,
    a: &Bound<'_, PyArrayDyn<T>>,
    out: &Bound<'_, PyUntypedArray>,
    status: Option<&mut [Status]>,
    structure: Structure,
    params: &matinv::Params,
) -> PyResult<bool> {
    let Some(view) = view_of(py, a)? else {
        return Ok(false);
    };
    // SAFETY: python/matinv passes a fresh output array.
    let dst = unsafe { out_slice::<T>(out, a.shape(), "out")? };
    compute(py, || match status {
        // `General` is `inv_into_with` / `inv_ex_into` itself.
        None => matinv::inv_structured_into(&view, dst, structure, params),
        Some(status) => matinv::inv_ex_structured_into(&view, dst, status, structure, params),
    })?;
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
    // SAFETY: numpy guarantees that `a`'s data pointer, shape and strides describe valid,
    // aligned (checked above) elements, alive while `a` is borrowed.
    let view = unsafe { StackView::from_raw_parts(a.data(), a.shape(), &strides) }
        .map_err(|e| to_py_err(py, e))?;
    Ok(Some(view))
}

/// The data of `out` as a mutable slice, after checking its dtype, shape, layout and flags.
///
/// # Safety
/// Nothing else may read or write `out`'s data while the slice lives (the callers pass
/// fresh arrays made by `python/matinv`, distinct from each other and from the input).
#[allow(clippy::mut_from_ref)] // the numpy array owns its buffer; see the safety contract
unsafe fn out_slice<'o, T: numpy::Element>(
    out: &'o Bound<'_, PyUntypedArray>,
    shape: &[usize],
    name: &str,
) -> PyResult<&'o mut [T]> {
    let out = out
        .cast::<PyArrayDyn<T>>()
        .map_err(|_| PyTypeError::new_err(format!("{name} has the wrong dtype")))?;
    if out.shape() != shape || !out.is_c_contiguous() || !is_writeable(out.as_untyped()) {
        return Err(PyValueError::new_err(format!(
            "{name} must be a writeable C-contiguous array of shape {shape:?}"
        )));
    }
    let len = out.len();
    Ok(if len == 0 {
        &mut []
    } else {
        // SAFETY: a C-contiguous array of `len` elements of `T`, alive for 'o; unaliased by
        // the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(out.data(), len) }
    })
}

/// Runs `f` without the GIL, turning a panic into a RuntimeError.
fn compute<R: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> Result<R, matinv::Error> + Send,
) -> PyResult<R> {
    match py.detach(|| catch_unwind(AssertUnwindSafe(f))) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(to_py_err(py, e)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(PyRuntimeError::new_err(format!(
                "internal error in matinv: {what}"
            )))
        }
    }
}

/// Singular values of every matrix of `a` into `s` (real dtype, shape `a.shape[:-2] + (k,)`),
/// and with `u` and `vh` the singular vectors (C-contiguous, numpy's shapes). Returns False,
/// doing nothing, when `a` must be copied first (unaligned or odd strides).
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
    let params = matinv::Params {
        num_threads,
        ..Default::default()
    };
    let uv = u.zip(vh);
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
    Err(PyTypeError::new_err(format!(
        "array type {} is unsupported by the native kernels",
        a.dtype()
    )))
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
    let Some(view) = view_of(py, a)? else {
        return Ok(false);
    };
    if hermitian {
        view.order().map_err(|e| to_py_err(py, e))?;
    }
    let (m, n) = (view.rows(), view.cols());
    let batch = view.batch_shape().to_vec();
    let with = |tail: &[usize]| [&batch[..], tail].concat();
    // SAFETY (all three): python/matinv passes fresh, distinct arrays.
    let s = unsafe { out_slice::<T::Real>(s, &with(&[m.min(n)]), "s")? };
    let vectors = match (uv.is_some(), full_matrices) {
        (false, _) => matinv::Vectors::None,
        (true, true) => matinv::Vectors::Full,
        (true, false) => matinv::Vectors::Thin,
    };
    let [ur, uc, vr, vc] = matinv::factor_shapes(m, n, vectors, hermitian);
    let uv = match uv {
        None => None,
        Some((u, vh)) => Some((
            unsafe { out_slice::<T>(u, &with(&[ur, uc]), "u")? },
            unsafe { out_slice::<T>(vh, &with(&[vr, vc]), "vh")? },
        )),
    };
    compute(py, || {
        matinv::svd_into(&view, s, uv, full_matrices, hermitian, params)
    })?;
    Ok(true)
}

/// numpy's `cond(a, p)` into `out` (real dtype, shape `a.shape[:-2]`); `p` is one of "2",
/// "-2", "1", "-1", "inf", "-inf", "fro", "nuc". Returns False when `a` must be copied first.
#[pyfunction]
#[pyo3(signature = (a, out, p, num_threads=0))]
fn cond_into(
    py: Python<'_>,
    a: &Bound<'_, PyUntypedArray>,
    out: &Bound<'_, PyUntypedArray>,
    p: &str,
    num_threads: usize,
) -> PyResult<bool> {
    let params = matinv::Params {
        num_threads,
        ..Default::default()
    };
    let p: matinv::Norm = p.parse().map_err(|e| to_py_err(py, e))?;
    macro_rules! go {
        ($t:ty) => {
            if let Ok(a) = a.cast::<PyArrayDyn<$t>>() {
                let Some(view) = view_of(py, a)? else {
                    return Ok(false);
                };
                // SAFETY: python/matinv passes a fresh array.
                let dst =
                    unsafe { out_slice::<<$t as Element>::Real>(out, view.batch_shape(), "out")? };
                let r = compute(py, || matinv::cond_with(&view, p, &params))?;
                dst.copy_from_slice(&r);
                return Ok(true);
            }
        };
    }
    go!(f64);
    go!(f32);
    go!(c64);
    go!(c32);
    Err(PyTypeError::new_err(format!(
        "array type {} is unsupported by the native kernels",
        a.dtype()
    )))
}

/// Threads used when none is asked for (every core, or `RAYON_NUM_THREADS`).
#[pyfunction]
fn default_num_threads() -> usize {
    matinv::default_num_threads()
}

#[pymodule]
fn _matinv(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check_stack, m)?)?;
    m.add_function(wrap_pyfunction!(inv_into, m)?)?;
    m.add_function(wrap_pyfunction!(inv_ex_into, m)?)?;
    m.add_function(wrap_pyfunction!(svd_into, m)?)?;
    m.add_function(wrap_pyfunction!(cond_into, m)?)?;
    m.add_function(wrap_pyfunction!(inv_structured_into, m)?)?;
    m.add_function(wrap_pyfunction!(default_num_threads, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
