//! The tunsec configuration file (in progress).
