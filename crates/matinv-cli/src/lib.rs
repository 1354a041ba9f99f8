//! # matinv-cli
//!
//! The library behind the `matinv` command: readers and writers for `.npy`, `.npz`,
//! Matrix Market and text files ([`formats`]), inversion and statistics through the core
//! crate ([`stats`]), atomic output ([`output`], [`signals`]), and the command line itself ([`cli`]).
//! The readers are public so that fuzz targets and tests can call them on raw bytes.
#![deny(missing_docs)]

pub mod array;
pub mod cli;
pub mod demo;
pub mod formats;
pub mod output;
pub mod progress;
pub mod signals;
pub mod stats;
