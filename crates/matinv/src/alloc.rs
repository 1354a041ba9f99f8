//! Fallible allocation of zeroed buffers: every buffer sized by the input goes through
//! here, so that a stack too large for memory gives [`Error::TooLarge`] instead of aborting
//! the process.

use crate::Error;

/// A vector of `len` default values, or `Error::TooLarge` when it cannot be allocated.
pub(crate) fn zeros<T: Clone + Default>(len: usize) -> Result<Vec<T>, Error> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Error::TooLarge)?;
    v.resize(len, T::default());
    Ok(v)
}
