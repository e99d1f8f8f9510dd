//! Management: the daemon's control socket and the `print` views it serves.
//!
//! The socket is a Unix stream socket, mode 0600 and owned by root, at the path the config
//! names (so instances in different namespaces can run side by side). A client sends one
//! request line and reads the answer until the daemon closes the connection.

pub mod print;
pub mod socket;
