//! The Authentication payload body (RFC 7296 3.8).

use super::error::InvalidMessage;
use super::reader::{Codec, Reader};

/// AUTH method (RFC 7296 3.8, RFC 4754, RFC 7427, RFC 7619).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthMethod(pub u8);

impl AuthMethod {
    pub const RSA_SIG: Self = Self(1);
    pub const SHARED_KEY_MIC: Self = Self(2);
    pub const DSS_SIG: Self = Self(3);
    pub const ECDSA_256: Self = Self(9);
    pub const ECDSA_384: Self = Self(10);
    pub const ECDSA_521: Self = Self(11);
    pub const NULL_AUTH: Self = Self(13);
    pub const DIGITAL_SIGNATURE: Self = Self(14);
}

/// An AUTH payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    pub method: AuthMethod,
    pub data: Vec<u8>,
}

/// Auth method and three reserved octets before the data.
const AUTH_FIXED_LEN: usize = 4;

impl Codec for Authentication {
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let method = AuthMethod(r.u8("auth method")?);
        r.take(AUTH_FIXED_LEN - 1, "auth reserved")?;
        Ok(Authentication {
            method,
            data: r.rest().to_vec(),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[self.method.0, 0, 0, 0]);
        out.extend_from_slice(&self.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_bytes_round_trip() {
        let a = Authentication {
            method: AuthMethod::SHARED_KEY_MIC,
            data: vec![0x5a; 32],
        };
        let mut bytes = vec![2, 0, 0, 0];
        bytes.extend_from_slice(&[0x5a; 32]);
        assert_eq!(a.get_encoding(), bytes);
        assert_eq!(Authentication::read_bytes(&bytes).unwrap(), a);
        assert!(Authentication::read_bytes(&[2, 0]).is_err());
    }
}
