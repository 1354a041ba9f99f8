//! The README's first command: inverts the examples of numpy's `inv` page with matinv.
//!
//! `cargo run --release -p matinv --example demo`

use matinv::{inv, Error, StackView};

fn show(title: &str, shape: &[usize], a: &[f64]) {
    println!("{title}");
    let n = shape[shape.len() - 1];
    let view = match StackView::c_contiguous(a, shape) {
        Ok(v) => v,
        Err(e) => return println!("  error: {e}\n"),
    };
    match inv(&view) {
        Ok(x) => {
            for (k, m) in x.chunks_exact(n * n.max(1)).enumerate() {
                if view.len() > 1 {
                    println!("  matrix {k}:");
                }
                for row in m.chunks_exact(n) {
                    let cells: Vec<String> = row.iter().map(|v| format!("{v:>12.6e}")).collect();
                    println!("    [{}]", cells.join(", "));
                }
            }
        }
        Err(e @ Error::Singular { .. }) => println!("  LinAlgError: {e} ({e:?})"),
        Err(e) => println!("  LinAlgError: {e}"),
    }
    println!();
}

fn main() {
    show("inv([[1, 2], [3, 4]])", &[2, 2], &[1., 2., 3., 4.]);
    show(
        "a stack: inv([[[1, 2], [3, 4]], [[1, 3], [3, 5]]])",
        &[2, 2, 2],
        &[1., 2., 3., 4., 1., 3., 3., 5.],
    );
    show(
        "near-singular, no error (as in numpy): inv([[2, 4, 6], [2, 0, 2], [6, 8, 14]])",
        &[3, 3],
        &[2., 4., 6., 2., 0., 2., 6., 8., 14.],
    );
    show(
        "singular: inv([[1, 2, 3], [4, 5, 6], [7, 8, 9]])",
        &[3, 3],
        &[1., 2., 3., 4., 5., 6., 7., 8., 9.],
    );
    show("not square: shape (2, 3)", &[2, 3], &[0.; 6]);
}
