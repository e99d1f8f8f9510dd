//! Public-key authentication for IKEv2 (RFC 7296 2.15, RFC 7427, RFC 4754): the keys and
//! certificates a peer's config names, the signatures AUTH carries, the check of a peer's
//! certificate chain against the trusted CAs, and the identities a certificate vouches for.
//!
//! Nothing here does network I/O or reads the clock: files are read once when the config
//! is resolved (`credentials`), and chain validation takes the wall-clock time as an
//! argument.

pub mod auth;
pub mod cert;
pub mod chain;
pub mod credentials;
pub mod hash;
pub mod identity;
pub mod ike_auth;
pub mod keys;
pub mod make;
pub mod pem;
pub mod sig;

#[cfg(test)]
mod crosscheck;
#[cfg(test)]
mod tests;

pub use auth::{AuthBuildError, AuthVerifyError, build_auth, verify_auth};
pub use cert::{Cert, CertError};
pub use chain::{ChainError, verify_chain};
pub use credentials::{Credentials, LoadError, PeerAuth, TrustStore};
pub use hash::HashAlg;
pub use keys::{KeyError, PrivateKey, PublicKey};
pub use sig::{SigError, SignatureScheme};
