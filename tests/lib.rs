//! Tests of the workspace; they live in this package so they use `osb` as users do.
//!
//! The README's code is compiled here as a doctest, so its example stays true:
#![doc = include_str!("../README.md")]
