//! CDC's Clinical Decision Support for Immunization (CDSi): the ACIP logic
//! specification (version 4.6) over CDC's supporting data.
//!
//! The schedule is data, not code: [`data::Schedule`] is read from CDC's
//! supporting data (antigen series, doses, ages, intervals, vaccines,
//! conditional skips, contraindications, live-virus conflicts, vaccine
//! groups), and the logic reads it the way the specification's decision
//! tables say. Dates follow the specification's own calendar rules
//! ([`date`]), not a general date library's.
#![deny(missing_docs)]

pub mod data;
pub mod date;
pub mod engine;
pub mod input;
pub mod organize;
pub mod select;
pub mod series;
