//! Management: the daemon's control socket, the menus it serves, and the views built on
//! them (RouterOS-style `print`, `--json`, `monitor`, Prometheus metrics).
//!
//! The socket is a Unix stream socket, mode 0600 and owned by root, at the path the config
//! names (so instances in different namespaces can run side by side). A client sends one
//! request line and reads the JSON answer until the daemon closes the connection.

pub mod menu;
pub mod metrics;
pub mod monitor;
pub mod print;
pub mod protocol;
pub mod socket;
pub mod views;

#[cfg(test)]
mod schema_tests;
