//! The SVD of a Hermitian matrix from its eigendecomposition `A = Q diag(w) Q^H`:
//! `S = |w|`, `U = Q`, `Vh = (Q sign(w))^H`, sorted by `|w|` nonincreasing. This is numpy's
//! `svd(..., hermitian=True)`, including its order for ties (a stable ascending sort of
//! `|w|`, then reversed).

use super::Workspace;
use crate::element::{Field, Widened};
use crate::Error;
use faer::dyn_stack::MemStack;
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{MatMut, Par};

/// The SVD of the Hermitian `n x n` matrix whose lower triangle is gathered in `ws.a`; the
/// singular values are multiplied by `unscale` (the matrix was scaled by its inverse).
pub(super) fn one<T: Widened>(
    n: usize,
    ws: &mut Workspace<T::Compute>,
    s_out: &mut [T::Real],
    uv_out: Option<(&mut [T], &mut [T])>,
    par: Par,
    unscale: f64,
) -> Result<(), Error> {
    if n == 0 {
        return Ok(());
    }
    let a = MatMut::from_column_major_slice_mut(&mut ws.a, n, n);
    let mut w = MatMut::from_column_major_slice_mut(&mut ws.s, n, 1);
    let stack = MemStack::new(&mut ws.stack);
    let q = uv_out
        .is_some()
        .then(|| MatMut::from_column_major_slice_mut(&mut ws.u, n, n));
    faer::linalg::evd::self_adjoint_evd(
        a.rb(),
        w.rb_mut().col_mut(0).as_diagonal_mut(),
        q,
        par,
        stack,
        Default::default(),
    )
    .map_err(|_| Error::EigNoConvergence)?;

    // faer gives w ascending; order by |w| as numpy does.
    let w = &ws.s;
    let order = &mut ws.order;
    order.clear();
    order.extend(0..n);
    order.sort_by(|&i, &j| w[i].re().abs().total_cmp(&w[j].re().abs()));
    order.reverse();
    for (o, &i) in s_out.iter_mut().zip(order.iter()) {
        *o = T::real_from_f64(w[i].re().abs() * unscale);
    }
    if let Some((u, vh)) = uv_out {
        for (c, &l) in order.iter().enumerate() {
            let sign = 1f64.copysign(w[l].re());
            for i in 0..n {
                let q = ws.u[l * n + i];
                u[i * n + c] = T::from_compute(q);
                vh[c * n + i] = T::from_compute(q.scale(sign).conjugate());
            }
        }
    }
    Ok(())
}
