//! matinv inside numpy: the inner loops of numpy's own `inv` gufunc
//! (`numpy.linalg._umath_linalg.inv`, signature `(m,m)->(m,m)`) for `d->d` and `D->D`,
//! which `numpy.linalg.inv` calls for every dtype it accepts (float32 and complex64 are
//! cast to those first), replaced through numpy's public C API
//! (`PyUFunc_ReplaceLoopBySignature`, the mechanism `mkl_umath` uses) and restored from
//! the function pointers kept at installation.
//!
//! numpy keeps its own argument handling, casting, broadcasting, subclass wrapping and
//! error raising; only the loop changes. The loop keeps the contract of numpy's
//! (`umath_linalg.cpp`, `inv<typ>`):
//! - `dimensions[0]` matrices, each `dimensions[1]` square; `steps[0]`/`steps[1]` the outer
//!   byte steps of the input/output, `steps[2..4]` the input's core byte strides (first
//!   core dimension, second), `steps[4..6]` the output's;
//! - the floating-point invalid flag is read and cleared on entry; a singular matrix gets
//!   an all-NaN inverse and sets the error; on exit the invalid flag is raised if the
//!   error was set (on entry or by a singular matrix), with the overflow flag the
//!   computation raised kept, else every flag is cleared. numpy's
//!   `inv` turns the invalid flag into `LinAlgError("Singular matrix")`
//!   (`errstate(invalid='call')`); a direct call of the gufunc follows the caller's
//!   `np.errstate`.
//!
//! numpy may run the loop with the GIL released: it touches no Python object, reads its
//! settings from atomics, and never unwinds into numpy (a panic or an internal error falls
//! back to numpy's original loop for the whole call).

use matinv::{c64, Element, StackView};
use numpy::npyffi::{npy_intp, PyUFuncGenericFunction, PyUFuncObject, NPY_TYPES, PY_UFUNC_API};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyCapsuleMethods};
use std::ffi::{c_char, c_int, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// numpy's `NPY_FPE_*` bits of `PyUFunc_getfperr`'s result.
const NPY_FPE_OVERFLOW: c_int = 2;
const NPY_FPE_INVALID: c_int = 8;
/// Slots of numpy's ufunc C-API table (`__ufunc_api.h`, the same on numpy 1.x and 2.x).
const SLOT_CLEARFPERR: usize = 27;
const SLOT_GETFPERR: usize = 28;

/// numpy's loops that ours replaced (function pointers as `usize`, 0 before the first
/// installation); the fallback of an internal error.
static ORIGINAL_D: AtomicUsize = AtomicUsize::new(0);
static ORIGINAL_Z: AtomicUsize = AtomicUsize::new(0);
/// numpy's `PyUFunc_getfperr` and `PyUFunc_clearfperr` (read from its C-API table at the
/// first installation), so the loop handles the FP flags exactly as numpy does.
static GETFPERR: AtomicUsize = AtomicUsize::new(0);
static CLEARFPERR: AtomicUsize = AtomicUsize::new(0);
/// Whether our loops are installed.
static INSTALLED: AtomicBool = AtomicBool::new(false);
/// Serialises installation and removal (the GIL does too, but only while it is held).
static STATE: Mutex<()> = Mutex::new(());
/// Threads the loop uses (0: matinv's default), kept equal to `matinv.set_num_threads`.
static LOOP_THREADS: AtomicUsize = AtomicUsize::new(0);
/// Calls of our loop that matinv computed, the matrices they held, and the calls that
/// fell back to numpy's loop.
static CALLS: AtomicU64 = AtomicU64::new(0);
static MATRICES: AtomicU64 = AtomicU64::new(0);
static FALLBACKS: AtomicU64 = AtomicU64::new(0);
/// Test hook: 0 normal, 1 every call fails internally, 2 every call panics.
static FAIL_MODE: AtomicUsize = AtomicUsize::new(0);

/// The two element types numpy's `inv` calls the gufunc with.
trait LoopElement: Element {
    const ZERO: Self;
    /// numpy's `NPY_NAN` (and `{NPY_NAN, NPY_NAN}`), what its loop writes for a singular matrix.
    const NAN: Self;
}

impl LoopElement for f64 {
    const ZERO: Self = 0.0;
    const NAN: Self = f64::NAN;
}

impl LoopElement for c64 {
    const ZERO: Self = c64::new(0.0, 0.0);
    const NAN: Self = c64::new(f64::NAN, f64::NAN);
}

/// An internal failure: the call is redone by numpy's own loop.
#[derive(Debug)]
struct Fallback;

impl From<matinv::Error> for Fallback {
    fn from(_: matinv::Error) -> Self {
        Fallback
    }
}

/// Every call this module makes into the core crate: inverts the stack `a` into `out`
/// (C-contiguous, `a.len() * n * n` elements) with `threads` threads (0: the default), as
/// numpy's loop does: Ok(true) when some matrix is singular (its inverse is then all NaN,
/// the others are computed), Ok(false) when none is.
fn core_invert<T: LoopElement>(
    a: &StackView<'_, T>,
    out: &mut [T],
    threads: usize,
) -> Result<bool, Fallback> {
    let opts = matinv::InvOptions::default().with_num_threads(threads);
    match matinv::invert(matinv::Request::new(a, out).with_options(opts)) {
        Ok(()) => Ok(false),
        Err(matinv::Error::Singular { .. }) => {
            // Rare: redo the stack, with a status per matrix, to keep the others.
            let mut status = Vec::new();
            status.try_reserve_exact(a.len()).map_err(|_| Fallback)?;
            status.resize(a.len(), matinv::Status::default());
            matinv::invert(
                matinv::Request::new(a, out)
                    .with_status(&mut status)
                    .with_options(opts),
            )?;
            let nn = a.n() * a.n();
            for (k, s) in status.iter().enumerate() {
                if s.info > 0 {
                    out[k * nn..(k + 1) * nn].fill(T::NAN);
                }
            }
            Ok(true)
        }
        Err(e) => Err(e.into()),
    }
}

/// The default number of threads of matinv (the core's).
fn default_threads() -> usize {
    matinv::default_num_threads()
}

/// One call of the loop, read from numpy's arguments.
struct LoopCall {
    count: usize,
    m: usize,
    input: *const u8,
    output: *mut u8,
    /// Byte steps: outer, first core dimension (rows), second (columns).
    in_steps: [isize; 3],
    out_steps: [isize; 3],
}

impl LoopCall {
    /// # Safety
    /// `args`, `dimensions` and `steps` must be what numpy passes to an inner loop of a
    /// gufunc of signature `(m,m)->(m,m)`: two data pointers, two dimensions, six steps.
    unsafe fn read(
        args: *mut *mut c_char,
        dimensions: *mut npy_intp,
        steps: *mut npy_intp,
    ) -> Result<Self, Fallback> {
        // SAFETY: the caller's contract: numpy's arrays of 2, 2 and 6 entries.
        let (args, dims, steps) = unsafe {
            (
                std::slice::from_raw_parts(args, 2),
                std::slice::from_raw_parts(dimensions, 2),
                std::slice::from_raw_parts(steps, 6),
            )
        };
        let count = usize::try_from(dims[0]).map_err(|_| Fallback)?;
        let m = usize::try_from(dims[1]).map_err(|_| Fallback)?;
        Ok(Self {
            count,
            m,
            input: args[0] as *const u8,
            output: args[1] as *mut u8,
            in_steps: [steps[0], steps[2], steps[3]],
            out_steps: [steps[1], steps[4], steps[5]],
        })
    }

    /// The bytes `[first, end)` the operand at `ptr` with `steps` addresses (non-empty
    /// call only).
    fn extent(&self, ptr: usize, steps: [isize; 3], item: usize) -> (i128, i128) {
        let (mut lo, mut hi) = (ptr as i128, ptr as i128);
        for (d, s) in [self.count, self.m, self.m].into_iter().zip(steps) {
            let reach = (d as i128 - 1) * s as i128;
            if reach < 0 {
                lo += reach;
            } else {
                hi += reach;
            }
        }
        (lo, hi + item as i128)
    }

    /// Byte offset of element `(k, i, j)` for `steps`.
    fn offset(steps: [isize; 3], k: usize, i: usize, j: usize) -> isize {
        k as isize * steps[0] + i as isize * steps[1] + j as isize * steps[2]
    }
}

/// Inverts every matrix of `call` with matinv: Ok(true) when some matrix was singular.
///
/// # Safety
/// `call` must describe numpy's operands of this loop call: the input readable and the
/// output writable at every element its dimensions and steps address, for element type
/// `T`, and the input not written by anyone else during the call.
unsafe fn invert_strided<T: LoopElement>(call: &LoopCall) -> Result<bool, Fallback> {
    match FAIL_MODE.load(Ordering::Relaxed) {
        1 => return Err(Fallback),
        2 => panic!("matinv test hook: a panic inside the patched loop"),
        _ => {}
    }
    let (count, m) = (call.count, call.m);
    if count == 0 || m == 0 {
        return Ok(false);
    }
    let item = std::mem::size_of::<T>();
    let align = std::mem::align_of::<T>();
    let len = count
        .checked_mul(m)
        .and_then(|x| x.checked_mul(m))
        .ok_or(Fallback)?;
    let whole = |steps: [isize; 3]| steps.iter().all(|s| s % item as isize == 0);

    let gathered: Vec<T>;
    let view = if (call.input as usize).is_multiple_of(align) && whole(call.in_steps) {
        let strides = call.in_steps.map(|s| s / item as isize);
        // SAFETY: the caller's contract: every element addressed is readable, not written
        // during the call; aligned for `T` and whole-element strides, checked above.
        unsafe { StackView::from_raw_parts(call.input as *const T, &[count, m, m], &strides)? }
    } else {
        // Unaligned or odd strides: a C-contiguous copy.
        let mut buf = Vec::new();
        buf.try_reserve_exact(len).map_err(|_| Fallback)?;
        for k in 0..count {
            for i in 0..m {
                for j in 0..m {
                    let at = LoopCall::offset(call.in_steps, k, i, j);
                    // SAFETY: the caller's contract: (k, i, j) is an element of the input.
                    buf.push(unsafe { call.input.offset(at).cast::<T>().read_unaligned() });
                }
            }
        }
        gathered = buf;
        StackView::c_contiguous(&gathered, &[count, m, m])?
    };

    let threads = LOOP_THREADS.load(Ordering::Relaxed);
    let contiguous_out = (count == 1 || call.out_steps[0] == (m * m * item) as isize)
        && (m == 1 || call.out_steps[1] == (m * item) as isize)
        && (m == 1 || call.out_steps[2] == item as isize);
    let (in_lo, in_hi) = call.extent(call.input as usize, call.in_steps, item);
    let (out_lo, out_hi) = call.extent(call.output as usize, call.out_steps, item);
    let disjoint = out_hi <= in_lo || in_hi <= out_lo;
    let singular;
    if contiguous_out && disjoint && (call.output as usize).is_multiple_of(align) {
        // SAFETY: the caller's contract: the output's `len` elements, C-contiguous as
        // checked above (from `call.output` up), aligned, writable, and sharing no byte
        // with the input read through `view` (checked above).
        let out = unsafe { std::slice::from_raw_parts_mut(call.output.cast::<T>(), len) };
        singular = core_invert(&view, out, threads)?;
    } else {
        let mut buf = Vec::new();
        buf.try_reserve_exact(len).map_err(|_| Fallback)?;
        buf.resize(len, T::ZERO);
        singular = core_invert(&view, &mut buf, threads)?;
        drop(view); // done reading the input: the output may overlap it
        let mut values = buf.iter();
        for k in 0..count {
            for i in 0..m {
                for j in 0..m {
                    let at = LoopCall::offset(call.out_steps, k, i, j);
                    let value = *values.next().ok_or(Fallback)?;
                    // SAFETY: the caller's contract: (k, i, j) is a writable element of
                    // the output; nothing reads the input any more.
                    unsafe { call.output.offset(at).cast::<T>().write_unaligned(value) };
                }
            }
        }
    }
    MATRICES.fetch_add(count as u64, Ordering::Relaxed);
    Ok(singular)
}

/// numpy's `get_fp_invalid_and_clear`: whether the invalid flag is set; every flag is
/// cleared.
fn fp_invalid_and_clear() -> bool {
    take_fp() & NPY_FPE_INVALID != 0
}

/// numpy's `set_fp_invalid_or_clear`: without an error every flag is cleared (those our
/// arithmetic raised included); after one the invalid flag is raised and the overflow
/// flag our arithmetic raised is kept, as numpy keeps its LAPACK calls' flags (an inverse
/// that overflowed warns of overflow too). Not division by zero: our kernels divide by a
/// zero pivot, where getrf stops before dividing, so numpy never raises it there; nor
/// underflow, which our kernels raise where LAPACK's order does not (numpy ignores it by
/// default).
fn set_fp_invalid_or_clear(error: bool) {
    if !error {
        clear_fp();
        return;
    }
    if take_fp() & NPY_FPE_OVERFLOW != 0 {
        let (x, y) = (std::hint::black_box(f64::MAX), std::hint::black_box(2.0f64));
        std::hint::black_box(x * y);
    }
    raise_invalid();
}

/// Clears this thread's FP status through numpy's `PyUFunc_clearfperr`.
fn clear_fp() {
    let f = CLEARFPERR.load(Ordering::Relaxed);
    if f != 0 {
        // SAFETY: `f` is numpy's `PyUFunc_clearfperr` (`void (void)`), from its C-API
        // table; it clears this thread's FP status only, and needs no GIL.
        let clearfperr: extern "C" fn() = unsafe { std::mem::transmute(f) };
        clearfperr();
    }
}

/// This thread's FP status as numpy's `NPY_FPE_*` bits, cleared (`PyUFunc_getfperr`).
fn take_fp() -> c_int {
    let f = GETFPERR.load(Ordering::Relaxed);
    if f == 0 {
        return 0;
    }
    // SAFETY: `f` is numpy's `PyUFunc_getfperr` (`int (void)`), read from its C-API table;
    // it reads and clears this thread's FP status only, and needs no GIL.
    let getfperr: extern "C" fn() -> c_int = unsafe { std::mem::transmute(f) };
    getfperr()
}

/// Raises the invalid flag of this thread's FP status (what `npy_set_floatstatus_invalid`
/// does): 0/0, computed at run time.
fn raise_invalid() {
    let (x, y) = (std::hint::black_box(0.0f64), std::hint::black_box(0.0f64));
    std::hint::black_box(x / y);
}

unsafe extern "C" fn inv_loop_d(
    args: *mut *mut c_char,
    dimensions: *mut npy_intp,
    steps: *mut npy_intp,
    data: *mut c_void,
) {
    // SAFETY: numpy calls this as the `d->d` loop of `inv`, with that loop's arguments.
    unsafe { inv_loop::<f64>(args, dimensions, steps, data, &ORIGINAL_D) }
}

unsafe extern "C" fn inv_loop_z(
    args: *mut *mut c_char,
    dimensions: *mut npy_intp,
    steps: *mut npy_intp,
    data: *mut c_void,
) {
    // SAFETY: numpy calls this as the `D->D` loop of `inv`, with that loop's arguments.
    unsafe { inv_loop::<c64>(args, dimensions, steps, data, &ORIGINAL_Z) }
}

/// The loop for element type `T`.
///
/// # Safety
/// numpy's contract for an inner loop of `inv` (`(m,m)->(m,m)`) of element type `T`;
/// `original` holds numpy's loop for that type.
unsafe fn inv_loop<T: LoopElement>(
    args: *mut *mut c_char,
    dimensions: *mut npy_intp,
    steps: *mut npy_intp,
    data: *mut c_void,
    original: &AtomicUsize,
) {
    let invalid_on_entry = fp_invalid_and_clear();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: this function's contract, passed on.
        let call = unsafe { LoopCall::read(args, dimensions, steps)? };
        // SAFETY: numpy's operands of this call, of element type `T`; the gufunc's input
        // is not written during the call (numpy copies operands that overlap its output).
        unsafe { invert_strided::<T>(&call) }
    }));
    match outcome {
        Ok(Ok(singular)) => {
            CALLS.fetch_add(1, Ordering::Relaxed);
            set_fp_invalid_or_clear(invalid_on_entry || singular);
        }
        Ok(Err(Fallback)) | Err(_) => {
            FALLBACKS.fetch_add(1, Ordering::Relaxed);
            // numpy's loop reads the invalid flag on entry; our attempt's flags are dropped.
            clear_fp();
            if invalid_on_entry {
                raise_invalid();
            }
            let f = original.load(Ordering::Relaxed);
            if f == 0 {
                // Unreachable: ours is installed only after the original is kept.
                raise_invalid();
                return;
            }
            // SAFETY: `f` is the loop numpy had for this signature (kept when ours
            // replaced it), called with the arguments numpy gave ours, untouched.
            let loop_fn: unsafe extern "C" fn(
                *mut *mut c_char,
                *mut npy_intp,
                *mut npy_intp,
                *mut c_void,
            ) = unsafe { std::mem::transmute(f) };
            // SAFETY: see above; the original loop's contract is the one numpy met for ours.
            unsafe { loop_fn(args, dimensions, steps, data) };
        }
    }
}

type LoopFn = unsafe extern "C" fn(*mut *mut c_char, *mut npy_intp, *mut npy_intp, *mut c_void);

/// Our loops, their signatures (numpy type numbers of input and output) and the places
/// numpy's are kept.
fn loops() -> [(LoopFn, NPY_TYPES, &'static AtomicUsize); 2] {
    [
        (inv_loop_d, NPY_TYPES::NPY_DOUBLE, &ORIGINAL_D),
        (inv_loop_z, NPY_TYPES::NPY_CDOUBLE, &ORIGINAL_Z),
    ]
}

/// numpy's `inv` gufunc, checked: a ufunc of one input, one output and a core signature,
/// named "inv".
fn inv_ufunc(ufunc: &Bound<'_, PyAny>) -> PyResult<*mut PyUFuncObject> {
    let py = ufunc.py();
    let ufunc_type = py.import("numpy")?.getattr("ufunc")?;
    if !ufunc.is_instance(&ufunc_type)? {
        return Err(PyTypeError::new_err(
            "expected numpy.linalg._umath_linalg.inv",
        ));
    }
    let ptr = ufunc.as_ptr().cast::<PyUFuncObject>();
    // SAFETY: `ufunc` is a live numpy ufunc (checked above), so `ptr` points to a
    // PyUFuncObject; these leading fields have this layout on numpy 1.x and 2.x.
    let (nin, nout, core, name) = unsafe {
        let f = &(*ptr).fields;
        (f.nin, f.nout, f.core_enabled, f.name)
    };
    // SAFETY: a ufunc's name is a NUL-terminated string it owns, or NULL.
    let named_inv = !name.is_null() && unsafe { CStr::from_ptr(name) } == c"inv";
    if nin != 1 || nout != 1 || core == 0 || !named_inv {
        return Err(PyTypeError::new_err(
            "expected numpy.linalg._umath_linalg.inv",
        ));
    }
    Ok(ptr)
}

/// Reads numpy's `PyUFunc_getfperr` and `PyUFunc_clearfperr` from its ufunc C-API table
/// (the `_UFUNC_API` capsule, where rust-numpy finds it too).
fn load_fperr(py: Python<'_>) -> PyResult<()> {
    if GETFPERR.load(Ordering::Relaxed) != 0 {
        return Ok(());
    }
    let module = if numpy::npyffi::is_numpy_2(py) {
        "numpy._core.umath"
    } else {
        "numpy.core.umath"
    };
    let capsule = py
        .import(module)?
        .getattr("_UFUNC_API")?
        .cast_into::<PyCapsule>()?;
    let table = capsule.pointer_checked(None)?.cast::<*const c_void>();
    // SAFETY: the table is numpy's array of C-API pointers, alive as long as numpy (the
    // module holds the capsule forever); both slots are in it on every numpy >= 1.7.
    let (get, clear) = unsafe {
        (
            *table.as_ptr().add(SLOT_GETFPERR),
            *table.as_ptr().add(SLOT_CLEARFPERR),
        )
    };
    if get.is_null() || clear.is_null() {
        return Err(PyRuntimeError::new_err(
            "numpy's ufunc C-API table lacks getfperr",
        ));
    }
    CLEARFPERR.store(clear as usize, Ordering::Relaxed);
    GETFPERR.store(get as usize, Ordering::Relaxed);
    Ok(())
}

/// Replaces the loop of `signature` of `ufunc` by `new`; returns the loop it had.
fn replace(
    py: Python<'_>,
    ufunc: *mut PyUFuncObject,
    new: usize,
    signature: NPY_TYPES,
) -> PyResult<usize> {
    let mut sig = [signature as c_int; 2];
    let mut old: PyUFuncGenericFunction = None;
    // SAFETY: `new` is a loop function of this signature (ours, or numpy's own kept);
    // transmuting a non-zero usize made from such a pointer gives it back.
    let new: PyUFuncGenericFunction = Some(unsafe { std::mem::transmute::<usize, LoopFn>(new) });
    // SAFETY: `ufunc` is numpy's live `inv` gufunc (checked by `inv_ufunc`), `sig` holds
    // its two arguments' type numbers, `old` is writable; the GIL is held.
    let rc = unsafe {
        PY_UFUNC_API.PyUFunc_ReplaceLoopBySignature(py, ufunc, new, sig.as_mut_ptr(), &mut old)
    };
    match old {
        Some(old) if rc == 0 => Ok(old as usize),
        _ => Err(PyRuntimeError::new_err(format!(
            "numpy's inv gufunc has no {signature:?} loop to replace"
        ))),
    }
}

/// Installs matinv's loops into numpy's `inv` gufunc (`ufunc`). Returns False when they
/// were installed already.
#[pyfunction]
fn patch_install(ufunc: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = ufunc.py();
    let ptr = inv_ufunc(ufunc)?;
    let _state = STATE.lock().unwrap_or_else(|e| e.into_inner());
    if INSTALLED.load(Ordering::Relaxed) {
        return Ok(false);
    }
    load_fperr(py)?;
    let mut done: Vec<(NPY_TYPES, usize)> = Vec::new();
    for (ours, signature, original) in loops() {
        match replace(py, ptr, ours as usize, signature) {
            Ok(old) => {
                // The GIL is held: no call can select our loop before this store.
                original.store(old, Ordering::Relaxed);
                done.push((signature, old));
            }
            Err(e) => {
                for (signature, old) in done {
                    replace(py, ptr, old, signature)?;
                }
                return Err(e);
            }
        }
    }
    INSTALLED.store(true, Ordering::Relaxed);
    Ok(true)
}

/// Puts numpy's own loops back into `ufunc`. Returns False when ours were not installed.
/// A loop that someone else installed over ours meanwhile is left in place.
#[pyfunction]
fn patch_remove(ufunc: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = ufunc.py();
    let ptr = inv_ufunc(ufunc)?;
    let _state = STATE.lock().unwrap_or_else(|e| e.into_inner());
    if !INSTALLED.load(Ordering::Relaxed) {
        return Ok(false);
    }
    for (ours, signature, original) in loops() {
        let old = replace(py, ptr, original.load(Ordering::Relaxed), signature)?;
        if old != ours as usize {
            replace(py, ptr, old, signature)?;
        }
    }
    INSTALLED.store(false, Ordering::Relaxed);
    Ok(true)
}

/// Whether matinv's loops are installed in numpy's `inv`.
#[pyfunction]
fn patch_active() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// `(calls, matrices, fallbacks)`: calls of matinv's loop that matinv computed, the
/// matrices in them, and calls handed back to numpy's loop after an internal error.
#[pyfunction]
fn patch_counters() -> (u64, u64, u64) {
    (
        CALLS.load(Ordering::Relaxed),
        MATRICES.load(Ordering::Relaxed),
        FALLBACKS.load(Ordering::Relaxed),
    )
}

/// Sets the threads matinv's loop uses (0: matinv's default); `matinv.set_num_threads`
/// calls it.
#[pyfunction]
fn set_loop_threads(n: usize) {
    LOOP_THREADS.store(n, Ordering::Relaxed);
}

/// Test hook: 0 normal, 1 every loop call fails internally, 2 every loop call panics
/// (both then fall back to numpy's loop).
#[pyfunction]
fn patch_test_failure(mode: usize) {
    FAIL_MODE.store(mode, Ordering::Relaxed);
}

/// The threads matinv's patched loop uses: `matinv.set_num_threads`'s value, or matinv's
/// default. Exported as a plain C function for threadpoolctl, which recognises a library
/// by the symbols it exports.
#[no_mangle]
pub extern "C" fn matinv_get_num_threads() -> c_int {
    catch_unwind(|| match LOOP_THREADS.load(Ordering::Relaxed) {
        0 => default_threads(),
        n => n,
    })
    .map_or(1, |n| c_int::try_from(n).unwrap_or(c_int::MAX))
}

/// Registers this module's functions in the native module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(patch_install, m)?)?;
    m.add_function(wrap_pyfunction!(patch_remove, m)?)?;
    m.add_function(wrap_pyfunction!(patch_active, m)?)?;
    m.add_function(wrap_pyfunction!(patch_counters, m)?)?;
    m.add_function(wrap_pyfunction!(set_loop_threads, m)?)?;
    m.add_function(wrap_pyfunction!(patch_test_failure, m)?)?;
    Ok(())
}
