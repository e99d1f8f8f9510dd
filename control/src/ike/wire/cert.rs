//! The Certificate (RFC 7296 3.6) and Certificate Request (3.7) payload bodies. tunsec
//! authenticates with pre-shared keys; these are parsed so that a peer sending them is
//! understood, and so certificate authentication can be added without codec changes.

use super::error::InvalidMessage;
use super::reader::{Codec, Reader};

/// Certificate encoding (RFC 7296 3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertEncoding(pub u8);

impl CertEncoding {
    pub const PKCS7_X509: Self = Self(1);
    pub const X509_SIGNATURE: Self = Self(4);
    pub const CRL: Self = Self(7);
    pub const RAW_RSA_KEY: Self = Self(11);
    pub const HASH_URL_X509_CERT: Self = Self(12);
    pub const HASH_URL_X509_BUNDLE: Self = Self(13);
}

/// A CERT payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub encoding: CertEncoding,
    pub data: Vec<u8>,
}

/// A CERTREQ payload: the SHA-1 hashes of trusted CAs' public keys, concatenated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRequest {
    pub encoding: CertEncoding,
    pub data: Vec<u8>,
}

/// Length of one certification authority hash in a CERTREQ (SHA-1).
const CA_HASH_LEN: usize = 20;

impl CertRequest {
    /// The certification authority hashes (a trailing partial hash is ignored).
    pub fn authorities(&self) -> impl Iterator<Item = &[u8]> {
        self.data.chunks_exact(CA_HASH_LEN)
    }
}

fn read_encoded(r: &mut Reader<'_>) -> Result<(CertEncoding, Vec<u8>), InvalidMessage> {
    let encoding = CertEncoding(r.u8("certificate encoding")?);
    Ok((encoding, r.rest().to_vec()))
}

impl Codec for Certificate {
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let (encoding, data) = read_encoded(r)?;
        Ok(Certificate { encoding, data })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.encoding.0);
        out.extend_from_slice(&self.data);
    }
}

impl Codec for CertRequest {
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let (encoding, data) = read_encoded(r)?;
        Ok(CertRequest { encoding, data })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.encoding.0);
        out.extend_from_slice(&self.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cert_and_certreq_bytes_round_trip() {
        let c = Certificate {
            encoding: CertEncoding::X509_SIGNATURE,
            data: vec![0x30, 0x82, 0x01, 0x00],
        };
        assert_eq!(c.get_encoding(), [4, 0x30, 0x82, 0x01, 0x00]);
        assert_eq!(Certificate::read_bytes(&c.get_encoding()).unwrap(), c);
        let mut data = vec![0xaa; CA_HASH_LEN];
        data.extend_from_slice(&[0xbb; CA_HASH_LEN]);
        let r = CertRequest {
            encoding: CertEncoding::X509_SIGNATURE,
            data,
        };
        assert_eq!(CertRequest::read_bytes(&r.get_encoding()).unwrap(), r);
        let cas: Vec<_> = r.authorities().collect();
        assert_eq!(cas, [&[0xaa; CA_HASH_LEN][..], &[0xbb; CA_HASH_LEN][..]]);
        assert!(Certificate::read_bytes(&[]).is_err());
    }
}
