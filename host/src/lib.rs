//! Hearth host: the server that stores a family's health records and runs the
//! sandboxed plugins that fetch, chart and explain them.
#![deny(missing_docs)]

pub mod api;
pub mod auth;
pub mod backup;
pub mod catalog;
pub mod chat;
pub mod config;
pub mod dashboards;
pub mod db;
pub mod files;
pub mod ids;
pub mod jobs;
pub mod listener;
pub mod plugins;
pub mod reach;
pub mod recommendations;
pub mod records;
pub mod removals;
pub mod secrets;
pub mod server;
pub mod smart;
pub mod sources;
pub mod text;
pub mod web;
