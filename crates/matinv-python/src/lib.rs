//! `matinv._matinv`: the native half of the Python package. Conversion and error mapping
//! only; array-likes, dtype promotion and subclasses are handled in `python/matinv`.

use matinv::{c32, c64, Element, InvOptions, Precision, Request, StackView, Status, Structure};
use numpy::{
    PyArray1, PyArrayDescr, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyMemoryError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use std::panic::{catch_unwind, AssertUnwindSafe};

mod patch;

/// The dtype switch of the module, the one place that maps numpy's dtypes onto the core's
/// element types: runs `$body` with the type `$t` (a type alias) and `$typed`, the array
/// `$a` cast to `PyArrayDyn<$t>`, when `$a` holds float64, float32, complex128 or complex64
/// in native byte order; does nothing otherwise.
macro_rules! with_element_type {
    ($a:expr, $t:ident, $typed:ident => $body:expr) => {{
        let a: &Bound<'_, PyUntypedArray> = $a;
        if a.dtype().is_native_byteorder() != Some(false) {
            macro_rules! each {
                ($ty:ty) => {
                    if let Ok($typed) = a.cast::<PyArrayDyn<$ty>>() {
                        #[allow(dead_code)]
                        type $t = $ty;
                        $body;
                    }
                };
            }
            each!(f64);
            each!(f32);
            each!(c64);
            each!(c32);
        }
    }};
}

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
        E::Layout(_)
        | E::OutputLength { .. }
        | E::InvalidNorm
        | E::UnknownStructure { .. }
        | E::UnknownPrecision { .. } => PyValueError::new_err(msg),
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

/// Every inverse the package asks for, in one call: the general or structured inverse of
/// every matrix of `a`, into a new array, into `out`, or in place (`in_place`, scipy's
/// `overwrite_a`); with `status`, a status per matrix instead of LinAlgError for a
/// singular one, returned as `(x, info, rcond)` (new int32 and float64 arrays of shape
/// `a.shape[:-2]`, made after the result). `assume_a` is scipy's name for the structure
/// ('general', 'diagonal', 'upper triangular', 'lower triangular', 'pos', 'sym', 'her',
/// 'auto'), `lower` picks the triangle 'pos', 'sym' and 'her' read; `precision` is
/// 'working' (None: the same) or 'extended' (double-double); `num_threads` 0 for every
/// core.
///
/// Returns the array written `x` (or the tuple), or None, doing nothing, when `a` is not
/// an array the kernels read as it is (a new array: not an ndarray of float32, float64,
/// complex64 or complex128 in native byte order; any output: unaligned, or strides that
/// are not whole elements; in place: not C-contiguous, aligned and writeable): the caller
/// converts or copies it and calls again (in place, on the copy). Checked here, before
/// anything is read, written or allocated: `out` by numpy's rules, in its words, as an
/// output of the function `func` (see [`check_result_out`]; it must not share memory
/// with `a` or `source`, the caller's input when `a` is a converted copy of it).
#[pyfunction]
#[pyo3(signature = (a, num_threads=0, out=None, status=false, assume_a=None, lower=false, precision=None, in_place=false, func="inv", source=None))]
#[allow(clippy::too_many_arguments)]
fn inv<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    num_threads: usize,
    out: Option<&Bound<'py, PyAny>>,
    status: bool,
    assume_a: Option<&Bound<'py, PyString>>,
    lower: bool,
    precision: Option<&Bound<'py, PyString>>,
    in_place: bool,
    func: &str,
    source: Option<&Bound<'py, PyUntypedArray>>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    guard(|| {
        let opts = options(py, assume_a, lower, precision, num_threads)?;
        let Ok(a) = a.cast::<PyUntypedArray>() else {
            return match (out, in_place) {
                (None, false) => Ok(None),
                _ => Err(PyTypeError::new_err("a must be a numpy array")),
            };
        };
        let target = match (out, in_place) {
            (None, false) => Target::New,
            (None, true) => Target::InPlace,
            (Some(out), false) => Target::Into(ResultOut { out, func, source }),
            (Some(_), true) => {
                return Err(PyValueError::new_err("give out or in_place, not both"));
            }
        };
        with_element_type!(a, T, typed => return invert::<T>(py, typed, target, status, &opts));
        match target {
            Target::New => Ok(None),
            _ => Err(unsupported(a)),
        }
    })
}

/// The core's options from the names the package passes (None: 'general', 'working';
/// the fast path of small matrices skips decoding strings).
fn options(
    py: Python<'_>,
    assume_a: Option<&Bound<'_, PyString>>,
    lower: bool,
    precision: Option<&Bound<'_, PyString>>,
    num_threads: usize,
) -> PyResult<InvOptions> {
    let structure = match assume_a {
        None => Structure::General,
        Some(name) => Structure::from_name(&name.to_cow()?, lower).map_err(|e| to_py_err(py, e))?,
    };
    let precision = match precision {
        None => Precision::Working,
        Some(name) => Precision::from_name(&name.to_cow()?).map_err(|e| to_py_err(py, e))?,
    };
    Ok(InvOptions::structured(structure)
        .with_precision(precision)
        .with_params(matinv::Params::default().with_num_threads(num_threads)))
}

/// The inverses of the matrices `hi + lo` (an 80-bit long double split exactly into two
/// float64 or complex128 arrays of one shape) in double-double arithmetic, as the pairs
/// `x_hi + x_lo` (`x_hi` the rounded inverse): `matinv.invert_pairs` of the core. The
/// outputs, and `info` (int32) and `rcond` (float64) of the batch shape (both or neither:
/// a status per matrix instead of LinAlgError), are the caller's arrays, checked here by
/// [`check_buffer`] (dtype, shape, layout, writeable) and [`check_disjoint`].
#[pyfunction]
#[pyo3(signature = (hi, lo, x_hi, x_lo, info=None, rcond=None, assume_a=None, lower=false, num_threads=0))]
#[allow(clippy::too_many_arguments)]
fn inv_pairs<'py>(
    py: Python<'py>,
    hi: &Bound<'py, PyUntypedArray>,
    lo: &Bound<'py, PyUntypedArray>,
    x_hi: &Bound<'py, PyUntypedArray>,
    x_lo: &Bound<'py, PyUntypedArray>,
    info: Option<&Bound<'py, PyUntypedArray>>,
    rcond: Option<&Bound<'py, PyUntypedArray>>,
    assume_a: Option<&Bound<'py, PyString>>,
    lower: bool,
    num_threads: usize,
) -> PyResult<()> {
    guard(|| {
        let opts = options(py, assume_a, lower, None, num_threads)?;
        let status = both(info, rcond, "info and rcond")?;
        macro_rules! pairs {
            ($t:ty) => {
                if let (Ok(h), Ok(l)) = (hi.cast::<PyArrayDyn<$t>>(), lo.cast::<PyArrayDyn<$t>>()) {
                    if hi.dtype().is_native_byteorder() != Some(false)
                        && lo.dtype().is_native_byteorder() != Some(false)
                    {
                        return invert_pairs::<$t>(py, h, l, (x_hi, x_lo), status, &opts);
                    }
                }
            };
        }
        pairs!(f64);
        pairs!(c64);
        Err(PyTypeError::new_err(
            "hi and lo must both be float64 or both complex128, in native byte order",
        ))
    })
}

/// [`inv_pairs`] for element type `T`.
fn invert_pairs<'py, T: Element + numpy::Element>(
    py: Python<'py>,
    hi: &Bound<'py, PyArrayDyn<T>>,
    lo: &Bound<'py, PyArrayDyn<T>>,
    (x_hi, x_lo): (&Bound<'py, PyUntypedArray>, &Bound<'py, PyUntypedArray>),
    status: Option<StatusArrays<'_, 'py>>,
    opts: &InvOptions,
) -> PyResult<()> {
    let shape = hi.shape();
    let (count, _) = matinv::stack_dims(shape).map_err(|e| to_py_err(py, e))?;
    if lo.shape() != shape {
        return Err(PyValueError::new_err("hi and lo must have one shape"));
    }
    let batch = &shape[..shape.len() - 2];
    check_buffer::<T>(x_hi, shape, "x_hi")?;
    check_buffer::<T>(x_lo, shape, "x_lo")?;
    let mut outputs = vec![("x_hi", x_hi), ("x_lo", x_lo)];
    if let Some((info, rcond)) = status {
        check_buffer::<i32>(info, batch, "info")?;
        check_buffer::<f64>(rcond, batch, "rcond")?;
        outputs.extend([("info", info), ("rcond", rcond)]);
    }
    // Memory safety: each input apart from every output, the outputs apart from each
    // other (the two inputs are only read, and may overlap).
    for input in [("hi", hi.as_untyped()), ("lo", lo.as_untyped())] {
        let arrays: Vec<_> = [input].into_iter().chain(outputs.iter().copied()).collect();
        check_disjoint(&arrays)?;
    }
    let (Some(h), Some(l)) = (view_of(py, hi)?, view_of(py, lo)?) else {
        return Err(PyValueError::new_err("hi and lo must be aligned arrays"));
    };
    let mut st = Vec::new();
    if status.is_some() {
        st.try_reserve_exact(count)
            .map_err(|_| PyMemoryError::new_err("Unable to allocate the status of every matrix"))?;
        st.resize(count, Status::default());
    }
    // SAFETY: `check_buffer` accepted `x_hi` and `x_lo` for `T` and `shape` (C-contiguous,
    // aligned, writeable); `check_disjoint` found each sharing no byte with the inputs
    // (read through `h` and `l`) or the other outputs; each is sliced once.
    let (dh, dl) = unsafe { (out_slice::<T>(x_hi), out_slice::<T>(x_lo)) };
    let elements = dh.len();
    let st_ref = status.is_some().then_some(st.as_mut_slice());
    compute_sized(py, elements, || {
        matinv::invert_pairs(&h, &l, dh, dl, st_ref, opts)
    })?;
    if let Some((info, rcond)) = status {
        // SAFETY: `check_buffer` accepted `info` for i32 and `rcond` for f64, both of the
        // batch shape; `check_disjoint` found each sharing no byte with every other array
        // of the call; each is sliced once.
        let (info, rcond) = unsafe { (out_slice::<i32>(info), out_slice::<f64>(rcond)) };
        for ((i, r), s) in info.iter_mut().zip(rcond.iter_mut()).zip(&st) {
            *i = s.info as i32;
            *r = s.rcond;
        }
    }
    Ok(())
}

/// Where [`inv`]'s results go.
#[derive(Clone, Copy)]
enum Target<'b, 'py> {
    /// A new C-contiguous array of `a`'s dtype and shape.
    New,
    /// The caller's `out=`, checked by [`check_result_out`].
    Into(ResultOut<'b, 'py>),
    /// `a` itself.
    InPlace,
}

/// A caller's `out=` as the package passes it: any object (checked by
/// [`check_result_out`]), the function named in numpy's messages, and the array besides
/// the kernel input that `out` must not share memory with (the caller's own input, when
/// the kernels read a converted copy of it or a base-class view).
#[derive(Clone, Copy)]
struct ResultOut<'b, 'py> {
    out: &'b Bound<'py, PyAny>,
    func: &'b str,
    source: Option<&'b Bound<'py, PyUntypedArray>>,
}

/// The outputs `info` and `rcond` of [`inv_pairs`] with a status per matrix.
type StatusArrays<'b, 'py> = (
    &'b Bound<'py, PyUntypedArray>,
    &'b Bound<'py, PyUntypedArray>,
);

/// [`inv`] for element type `T`: checks, the result and status arrays, one core request,
/// the status copied out.
fn invert<'py, T: Element + numpy::Element>(
    py: Python<'py>,
    typed: &Bound<'py, PyArrayDyn<T>>,
    target: Target<'_, 'py>,
    status: bool,
    opts: &InvOptions,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let a = typed.as_untyped();
    let shape = a.shape();
    let (count, _) = match matinv::stack_dims(shape) {
        Ok(dims) => dims,
        // A new array (the fast path): not a stack of square matrices is for the caller's
        // checks (numpy raises its shape errors before its dtype errors).
        Err(_) if matches!(target, Target::New) && !status => return Ok(None),
        Err(e) => return Err(to_py_err(py, e)),
    };
    let batch = &shape[..shape.len() - 2];
    // Memory safety: the output exactly as the core writes it, sharing no byte with the
    // input (the input in place is read and written by the core itself).
    let mut into = None;
    let view = match target {
        Target::InPlace => {
            // Declined, for the caller to copy, where `a` cannot be written as a `&mut [T]`.
            if !a.is_c_contiguous() || !a.is_aligned() || !is_writeable(a) {
                return Ok(None);
            }
            None
        }
        Target::New | Target::Into(_) => {
            if let Target::Into(ResultOut { out, func, source }) = target {
                let inputs: Vec<_> = [a].into_iter().chain(source).collect();
                let dtype = numpy::dtype::<T>(py);
                into = Some(check_result_out(out, &dtype, shape, &inputs, func)?);
            }
            match view_of(py, typed)? {
                Some(view) => Some(view),
                None => return Ok(None),
            }
        }
    };
    // The result first, then the status (numpy's MemoryError names the result).
    let x = match (target, into) {
        (Target::InPlace, _) => a.clone(),
        (_, Some(out)) => out.clone(),
        _ => empty::<T>(py, shape)?.as_untyped().clone(),
    };
    let arrays = if status {
        Some((empty::<i32>(py, batch)?, empty::<f64>(py, batch)?))
    } else {
        None
    };
    let mut st = match arrays {
        None => None,
        Some(_) => {
            let mut st = Vec::new();
            st.try_reserve_exact(count).map_err(|_| {
                PyMemoryError::new_err("Unable to allocate the status of every matrix")
            })?;
            st.resize(count, Status::default());
            Some(st)
        }
    };
    // SAFETY: `x` is `a` in place, an array of `T` found C-contiguous, aligned and
    // writeable above; or `out`, accepted
    // by `check_result_out` for `T`'s dtype and `a`'s shape and sharing no byte with `a`
    // (read through `view`); or an array just made by numpy for them, C-contiguous,
    // aligned and writeable, with no other reference to it. It is sliced once, and
    // nothing else of this call reads it (Python code writing to it from another thread
    // while the GIL is released races as it would with numpy's own functions).
    let data = unsafe { out_slice::<T>(&x) };
    let elements = data.len();
    let request = match &view {
        Some(view) => Request::new(view, data),
        None => Request::in_place(data, shape),
    };
    run(py, request.with_options(*opts), elements, st.as_deref_mut())?;
    let x = x.into_any();
    match (arrays, st) {
        (Some((info, rcond)), Some(st)) => {
            // SAFETY: both were just made by numpy with `count` elements (the batch
            // shape), C-contiguous, aligned and writeable, with no other reference; each is
            // sliced once.
            let (i, r) = unsafe {
                (
                    out_slice::<i32>(info.as_untyped()),
                    out_slice::<f64>(rcond.as_untyped()),
                )
            };
            for ((i, r), s) in i.iter_mut().zip(r.iter_mut()).zip(&st) {
                *i = s.info as i32;
                *r = s.rcond;
            }
            Ok(Some(
                PyTuple::new(py, [x, info.into_any(), rcond.into_any()])?.into_any(),
            ))
        }
        _ => Ok(Some(x)),
    }
}

/// Runs `request` for `elements` output elements (with a status per matrix when `status`
/// is given), keeping the GIL for small outputs.
fn run<T: Element>(
    py: Python<'_>,
    request: Request<'_, T>,
    elements: usize,
    status: Option<&mut [Status]>,
) -> PyResult<()> {
    let request = match status {
        Some(status) => request.with_status(status),
        None => request,
    };
    compute_sized(py, elements, || matinv::invert(request))
}

/// A new C-contiguous array (`numpy.empty`), for the kernels to write every element of;
/// MemoryError, as numpy raises it, when it cannot be allocated (rust-numpy's constructors
/// would panic). Not `numpy.zeros`: below glibc's mmap threshold (32 MiB at most) calloc
/// reuses heap memory and so must clear it, which made 1e6 2x2 inverses (32 MB) 1.4x
/// slower.
fn empty<'py, T: numpy::Element>(
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
    // allocator returned; `T` is a float, complex or integer type, for which every bit
    // pattern is a value, and the callers write each element before anything reads it.
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

/// numpy's rules for the `out=` of `inv` and `inv_ex`, in numpy's words where it has them,
/// which are also what writing a result into `out` safely needs: an ndarray (TypeError), of
/// exactly `dtype` in native byte order (TypeError: nothing is cast) and of `shape`,
/// writeable, C-contiguous and aligned (ValueError: the result is written in C order
/// without a temporary), sharing no byte with any of `inputs` (ValueError). The one place
/// these are checked: [`inv`] runs it on its `out`, and the package, through
/// [`check_out`], on the `out` of the dtypes numpy writes (float16, longdouble).
fn check_result_out<'b, 'py>(
    out: &'b Bound<'py, PyAny>,
    dtype: &Bound<'py, PyArrayDescr>,
    shape: &[usize],
    inputs: &[&Bound<'py, PyUntypedArray>],
    func: &str,
) -> PyResult<&'b Bound<'py, PyUntypedArray>> {
    let Ok(out) = out.cast::<PyUntypedArray>() else {
        return Err(PyTypeError::new_err("return arrays must be of ArrayType"));
    };
    let have = out.dtype();
    if !have.is_equiv_to(dtype) || have.is_native_byteorder() == Some(false) {
        return Err(PyTypeError::new_err(format!(
            "Cannot cast ufunc '{func}' output from {} to {} with casting rule 'no'",
            dtype.repr()?,
            have.repr()?
        )));
    }
    if out.shape() != shape {
        return Err(PyValueError::new_err(format!(
            "output operand with shape {} doesn't match the result shape {}",
            out.getattr("shape")?.str()?,
            PyTuple::new(out.py(), shape)?.str()?
        )));
    }
    if !is_writeable(out) {
        return Err(PyValueError::new_err("output array is read-only"));
    }
    if !out.is_c_contiguous() || !out.is_aligned() {
        return Err(PyValueError::new_err(format!(
            "{func}: out must be C-contiguous and aligned (the result is written in C \
             order, without a temporary)"
        )));
    }
    // Judged on the bytes each array spans (numpy's may_share_memory), so interleaved
    // views of one buffer count as sharing memory too.
    if let Some(o) = extent(out) {
        if inputs
            .iter()
            .filter_map(|a| extent(a))
            .any(|x| x.0 < o.1 && o.0 < x.1)
        {
            return Err(PyValueError::new_err(format!(
                "{func}: out shares memory with the input"
            )));
        }
    }
    Ok(out)
}

/// [`check_result_out`] for the package: `out` if `func` can write a result of `dtype` and
/// `shape` into it, sharing no memory with any of `inputs`; numpy's exceptions otherwise.
#[pyfunction]
#[pyo3(signature = (out, dtype, shape, func, *inputs))]
fn check_out<'py>(
    out: &Bound<'py, PyAny>,
    dtype: &Bound<'py, PyArrayDescr>,
    shape: Vec<usize>,
    func: &str,
    inputs: Vec<Bound<'py, PyUntypedArray>>,
) -> PyResult<Bound<'py, PyUntypedArray>> {
    let inputs: Vec<_> = inputs.iter().collect();
    check_result_out(out, dtype, &shape, &inputs, func).cloned()
}

/// Checks that `out` can be written as a `&mut [T]` holding an array of `shape` in C
/// order: exactly dtype `T` in native byte order (TypeError otherwise), that shape,
/// C-contiguous, aligned and writeable (ValueError otherwise).
fn check_buffer<T: numpy::Element>(
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
/// `out` must be an array of dtype `T`, C-contiguous, aligned and writeable (accepted by
/// [`check_buffer::<T>`], by [`check_result_out`] with `T`'s dtype, or just made by numpy
/// for `T`), and nothing else of the call may read or write its bytes while the slice
/// lives: found sharing none with the other arrays ([`check_disjoint`], or
/// [`check_result_out`]'s overlap check), or new; no other slice of it may be made.
#[allow(clippy::mut_from_ref)] // the numpy array owns its buffer; see the safety contract
unsafe fn out_slice<'o, T: numpy::Element>(out: &'o Bound<'_, PyUntypedArray>) -> &'o mut [T] {
    let len = out.len();
    if len == 0 {
        return &mut [];
    }
    // SAFETY: `out` is a live, C-contiguous, aligned, writeable array of `len` elements of
    // `T` (checked by `check_buffer` or `check_result_out`, the caller's contract), alive
    // for 'o as it is borrowed; unaliased by the caller's contract.
    unsafe { std::slice::from_raw_parts_mut((*out.as_array_ptr()).fields.data.cast::<T>(), len) }
}

/// The shape of `a` without its last two dimensions, after checking that `a` is a stack
/// of matrices (numpy's LinAlgError otherwise); and the matrices' rows and columns.
fn batch_of<'s>(py: Python<'_>, shape: &'s [usize]) -> PyResult<(&'s [usize], usize, usize)> {
    let (_, m, n) = matinv::matrix_dims(shape).map_err(|e| to_py_err(py, e))?;
    Ok((&shape[..shape.len() - 2], m, n))
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
    // outputs found sharing no byte with `a` (`check_disjoint`, `check_result_out`'s
    // overlap check) or new (Python code writing
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
        with_element_type!(a, T, typed => {
            return svd_typed::<T>(py, typed, s, uv, full_matrices, hermitian, &params)
        });
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
    check_buffer::<T::Real>(s, &with(&[m.min(n)]), "s")?;
    let vectors = match (uv.is_some(), full_matrices) {
        (false, _) => matinv::Vectors::None,
        (true, true) => matinv::Vectors::Full,
        (true, false) => matinv::Vectors::Thin,
    };
    let [ur, uc, vr, vc] = matinv::factor_shapes(m, n, vectors, hermitian);
    match uv {
        None => check_disjoint(&[("a", a.as_untyped()), ("s", s)])?,
        Some((u, vh)) => {
            check_buffer::<T>(u, &with(&[ur, uc]), "u")?;
            check_buffer::<T>(vh, &with(&[vr, vc]), "vh")?;
            check_disjoint(&[("a", a.as_untyped()), ("s", s), ("u", u), ("vh", vh)])?;
        }
    }
    let Some(view) = view_of(py, a)? else {
        return Ok(false);
    };
    // SAFETY: `check_buffer` accepted `s` for its dtype and shape, and `check_disjoint` found
    // no two of `a`, `s`, `u` and `vh` sharing a byte; it is sliced once.
    let s = unsafe { out_slice::<T::Real>(s) };
    // SAFETY: as for `s`, for `u` and `vh`.
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
        with_element_type!(a, T, typed => return cond_typed::<T>(py, typed, out, p, &params));
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
    check_buffer::<T::Real>(out, batch, "out")?;
    check_disjoint(&[("a", a.as_untyped()), ("out", out)])?;
    let Some(view) = view_of(py, a)? else {
        return Ok(false);
    };
    let r = compute(py, || matinv::cond_with(&view, p, params))?;
    // SAFETY: `check_buffer` accepted `out` for `T::Real` and the batch shape (as many
    // elements as `r`), `check_disjoint` found it sharing no byte with `a`; sliced once.
    let dst = unsafe { out_slice::<T::Real>(out) };
    dst.copy_from_slice(&r);
    Ok(true)
}

/// LU factorization with partial pivoting of the 2-D array `a` (rows >= columns;
/// float64, float32, complex128 or complex64; writeable, aligned, C-contiguous), in place,
/// as LAPACK's getrf: returns the row order `perm` (row r of `P A` is row `perm[r]` of the
/// input, as uint64) and `info`, the 1-based column of the first exact zero pivot or 0.
#[pyfunction]
#[pyo3(signature = (a, num_threads=0))]
fn lu_in_place<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyUntypedArray>,
    num_threads: usize,
) -> PyResult<(Bound<'py, PyArray1<usize>>, usize)> {
    guard(|| {
        let params = matinv::Params::default().with_num_threads(num_threads);
        with_element_type!(a, T, _typed => return lu_typed::<T>(py, a, &params));
        Err(unsupported(a))
    })
}

fn lu_typed<'py, T: Element + numpy::Element>(
    py: Python<'py>,
    a: &Bound<'py, PyUntypedArray>,
    params: &matinv::Params,
) -> PyResult<(Bound<'py, PyArray1<usize>>, usize)> {
    let &[rows, cols] = a.shape() else {
        return Err(PyValueError::new_err(format!(
            "a must be 2-dimensional, not {}-dimensional",
            a.ndim()
        )));
    };
    check_buffer::<T>(a, &[rows, cols], "a")?;
    // SAFETY: `check_buffer` accepted `a` for `T` (writeable, aligned, C-contiguous, of
    // `rows * cols` elements); it is the call's only array, sliced once.
    let data = unsafe { out_slice::<T>(a) };
    let mut perm = vec![0usize; rows];
    let info = compute(py, || {
        matinv::lu_in_place(data, rows, cols, &mut perm, params)
    })?;
    Ok((PyArray1::from_vec(py, perm), info))
}

/// Threads used when none is asked for (every core, or `RAYON_NUM_THREADS`; 1 when those
/// threads cannot be started).
#[pyfunction]
fn default_num_threads() -> PyResult<usize> {
    guard(|| Ok(matinv::default_num_threads()))
}

/// The instruction set matinv's own kernels run under: "avx512", "avx2" or "baseline"
/// (the widest the CPU has, capped by `MATINV_ISA`).
#[pyfunction]
fn instruction_set() -> &'static str {
    matinv::instruction_set()
}

#[pymodule]
fn _matinv(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The fork handler, registered as the module is imported (on Linux already as the
    // library loaded): before the program's threads call matinv, so no child can be
    // forked while one of them registers it.
    matinv::watch_forks();
    m.add_function(wrap_pyfunction!(check_stack, m)?)?;
    m.add_function(wrap_pyfunction!(inv, m)?)?;
    m.add_function(wrap_pyfunction!(check_out, m)?)?;
    m.add_function(wrap_pyfunction!(inv_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(svd_into, m)?)?;
    m.add_function(wrap_pyfunction!(cond_into, m)?)?;
    m.add_function(wrap_pyfunction!(lu_in_place, m)?)?;
    m.add_function(wrap_pyfunction!(default_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(instruction_set, m)?)?;
    patch::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
