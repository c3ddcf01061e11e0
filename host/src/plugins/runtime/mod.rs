//! The machinery every plugin kind runs on: one engine with its epoch ticker
//! and compiled-component cache, a fresh store per call with its limits, and
//! the outbound HTTP policy.

pub mod call;
pub mod engine;
pub mod outbound;
