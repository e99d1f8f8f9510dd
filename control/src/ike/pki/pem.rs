//! PEM files (RFC 7468): the blocks of a certificate or key file, each decoded to DER. A file
//! without any PEM block is taken as one DER object. Key material stays in memory that is
//! wiped when dropped.

use zeroize::Zeroizing;

/// One `-----BEGIN LABEL-----` block.
pub struct PemBlock {
    pub label: String,
    pub der: Zeroizing<Vec<u8>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PemError {
    #[error("PEM block {index} ({label}) is malformed: {why}")]
    Block {
        index: usize,
        label: String,
        why: String,
    },
    #[error("a \"-----BEGIN {0}-----\" line has no matching END line")]
    Unterminated(String),
}

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";
const DASHES: &str = "-----";

/// The PEM blocks of `bytes` in order; text outside blocks (OpenSSL's "Bag Attributes",
/// comments) is skipped. `None` when there is no block at all (a DER file).
pub fn blocks(bytes: &[u8]) -> Result<Option<Vec<PemBlock>>, PemError> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(BEGIN) {
        let after = &rest[at + BEGIN.len()..];
        let Some(label_end) = after.find(DASHES) else {
            return Err(PemError::Unterminated(
                after.lines().next().unwrap_or("").into(),
            ));
        };
        let label = after[..label_end].to_owned();
        let end_line = format!("{END}{label}{DASHES}");
        let Some(end_at) = after.find(&end_line) else {
            return Err(PemError::Unterminated(label));
        };
        let block = &rest[at..at + BEGIN.len() + end_at + end_line.len()];
        let index = out.len();
        let (decoded_label, der) =
            der::pem::decode_vec(block.as_bytes()).map_err(|e| PemError::Block {
                index,
                label: label.clone(),
                why: e.to_string(),
            })?;
        out.push(PemBlock {
            label: decoded_label.to_owned(),
            der: Zeroizing::new(der),
        });
        rest = &after[end_at + end_line.len()..];
    }
    Ok((!out.is_empty()).then_some(out))
}

/// `der` as a PEM block with `label`, LF line endings.
pub fn encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    // Encoding only fails for labels with bad characters; ours are constants.
    Zeroizing::new(
        der::pem::encode_string(label, der::pem::LineEnding::LF, der).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_blocks_with_text_between() {
        let a = encode("CERTIFICATE", &[0x30, 0x00]);
        let b = encode("PRIVATE KEY", &[0x30, 0x01, 0x00]);
        let text = format!("Bag Attributes\n{}\nsome text\n{}", a.as_str(), b.as_str());
        let got = blocks(text.as_bytes()).unwrap().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].label, "CERTIFICATE");
        assert_eq!(&got[0].der[..], [0x30, 0x00]);
        assert_eq!(got[1].label, "PRIVATE KEY");
        assert_eq!(&got[1].der[..], [0x30, 0x01, 0x00]);
    }

    #[test]
    fn der_files_and_broken_blocks() {
        assert!(blocks(&[0x30, 0x82, 0xff, 0xfe]).unwrap().is_none());
        assert!(blocks(b"no pem here").unwrap().is_none());
        assert_eq!(
            blocks(b"-----BEGIN CERTIFICATE-----\nMAA=\n").err(),
            Some(PemError::Unterminated("CERTIFICATE".into()))
        );
        assert!(matches!(
            blocks(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
            Err(PemError::Block { index: 0, .. })
        ));
    }
}
