//! tunsec's control side: configuration, the runtime that drives the dataplane workers, and
//! IKE. The `tunsec` binary in `main.rs` is a thin command line over this library.

pub mod config;
pub mod driver;
pub mod ike;
pub mod logging;
pub mod mgmt;
pub mod netconf;
pub mod reload;
pub mod routeros;
pub mod runtime;
pub mod service;
