//! `[[manual-sa]]`: a manually keyed SA pair (RouterOS's `/ip ipsec manual-sa`), and how a
//! policy that names one turns into the two [`SaParams`] the dataplane installs.
//!
//! Keys and SPIs are written `incoming/outgoing` as RouterOS does: `esp-spi = "0x2001/0x1001"`
//! receives with SPI 0x2001 and sends with 0x1001, so the other end writes the same pair the
//! other way round. Keys are held in [`Zeroizing`] buffers and never printed.

use std::fmt;
use std::time::Duration;

use toml::{Table, Value};
use tunsec_dataplane::crypto::{AuthAlgorithm, EncAlgorithm};
use tunsec_dataplane::sa::{Direction, IpsecProtocol, Lifetime, Mode, Padding, SaParams, UdpEncap};
use tunsec_dataplane::spd::Policy;
use zeroize::Zeroizing;

use super::error::ConfigIssue;
use super::reader::{EntryMeta, Reader, decode_hex, named_location, quote, read_name, show};

pub(crate) const MANUAL_SA_KEYS: &[&str] = &[
    "ah-algorithm",
    "ah-key",
    "ah-spi",
    "comment",
    "esn",
    "esp-auth-algorithm",
    "esp-auth-key",
    "esp-enc-algorithm",
    "esp-enc-key",
    "esp-spi",
    "lifetime",
    "name",
    "nat-t",
    "replay-window",
    "tfc-pad-to",
];

/// Replay window (packets) unless `replay-window` says otherwise.
pub const DEFAULT_REPLAY_WINDOW: u32 = 1024;
pub(crate) const ACCEPTED_SPI: &str = "\"0x<incoming>/0x<outgoing>\", each 0x100..0xffffffff";
const ACCEPTED_REPLAY_WINDOW: &str = "0 (no replay check), or an integer 32..65536";

/// An `incoming/outgoing` SPI pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpiPair {
    pub incoming: u32,
    pub outgoing: u32,
}

impl fmt::Display for SpiPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}/{:#x}", self.incoming, self.outgoing)
    }
}

/// An `incoming/outgoing` key pair. `Debug` shows only the lengths.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KeyPair {
    pub incoming: Zeroizing<Vec<u8>>,
    pub outgoing: Zeroizing<Vec<u8>>,
}

impl KeyPair {
    pub fn is_empty(&self) -> bool {
        self.incoming.is_empty() && self.outgoing.is_empty()
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KeyPair {{ incoming: <{} bytes>, outgoing: <{} bytes> }}",
            self.incoming.len(),
            self.outgoing.len()
        )
    }
}

/// One `[[manual-sa]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualSa {
    pub name: String,
    pub esp_enc_algorithm: EncAlgorithm,
    pub esp_enc_key: KeyPair,
    pub esp_auth_algorithm: AuthAlgorithm,
    pub esp_auth_key: KeyPair,
    pub esp_spi: Option<SpiPair>,
    pub ah_algorithm: AuthAlgorithm,
    pub ah_key: KeyPair,
    pub ah_spi: Option<SpiPair>,
    /// ESP in UDP on port 4500 both ways (RFC 3948).
    pub nat_t: bool,
    /// Hard lifetime; zero: none. The soft lifetime is 90% of it.
    pub lifetime: Duration,
    /// tunsec: inbound replay window in packets, 0 disables the check.
    pub replay_window: u32,
    /// tunsec: 64-bit extended sequence numbers (both ends must agree).
    pub esn: bool,
    /// tunsec: pad inner packets to this many bytes (ESP tunnel mode, RFC 4303 2.7).
    pub tfc_pad_to: Option<u16>,
    pub comment: String,
}

impl ManualSa {
    fn default_named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            esp_enc_algorithm: EncAlgorithm::Null,
            esp_enc_key: KeyPair::default(),
            esp_auth_algorithm: AuthAlgorithm::Null,
            esp_auth_key: KeyPair::default(),
            esp_spi: None,
            ah_algorithm: AuthAlgorithm::Null,
            ah_key: KeyPair::default(),
            ah_spi: None,
            nat_t: false,
            lifetime: Duration::ZERO,
            replay_window: DEFAULT_REPLAY_WINDOW,
            esn: false,
            tfc_pad_to: None,
            comment: String::new(),
        }
    }

    /// The SA's parameters for one direction of `policy`. Outbound: the outgoing SPI and key,
    /// from sa-src-address to sa-dst-address; inbound: the incoming ones, the other way.
    pub(crate) fn sa_params(
        &self,
        policy: &Policy,
        direction: Direction,
        iv_seed: u64,
    ) -> SaParams {
        let pick = |pair: &KeyPair| match direction {
            Direction::Inbound => pair.incoming.clone(),
            Direction::Outbound => pair.outgoing.clone(),
        };
        let spi_of = |pair: Option<SpiPair>| {
            pair.map_or(0, |p| match direction {
                Direction::Inbound => p.incoming,
                Direction::Outbound => p.outgoing,
            })
        };
        let (protocol, spi, enc, enc_key, auth, auth_key) = match policy.ipsec_protocols {
            tunsec_dataplane::spd::IpsecProtocols::Esp => (
                IpsecProtocol::Esp,
                spi_of(self.esp_spi),
                self.esp_enc_algorithm,
                pick(&self.esp_enc_key),
                self.esp_auth_algorithm,
                pick(&self.esp_auth_key),
            ),
            tunsec_dataplane::spd::IpsecProtocols::Ah => (
                IpsecProtocol::Ah,
                spi_of(self.ah_spi),
                EncAlgorithm::Null,
                Zeroizing::new(Vec::new()),
                self.ah_algorithm,
                pick(&self.ah_key),
            ),
        };
        let (src, dst) = match direction {
            Direction::Outbound => (policy.sa_src_address, policy.sa_dst_address),
            Direction::Inbound => (policy.sa_dst_address, policy.sa_src_address),
        };
        let hard = u64::try_from(self.lifetime.as_millis()).unwrap_or(u64::MAX);
        let lifetime = if hard == 0 {
            Lifetime::default()
        } else {
            Lifetime {
                soft_millis: Some(hard / 10 * 9 + hard % 10 * 9 / 10),
                hard_millis: Some(hard),
                soft_bytes: None,
                hard_bytes: None,
            }
        };
        SaParams {
            spi,
            direction,
            protocol,
            mode: if policy.tunnel {
                Mode::Tunnel
            } else {
                Mode::Transport
            },
            src,
            dst,
            encap: self.nat_t.then(UdpEncap::default),
            enc,
            enc_key,
            auth,
            auth_key,
            esn: self.esn,
            // The window guards what arrives; an outbound SA has none.
            replay_window: match direction {
                Direction::Inbound => self.replay_window,
                Direction::Outbound => 0,
            },
            lifetime,
            padding: self.tfc_pad_to.map_or(Padding::Minimal, Padding::TfcPadTo),
            iv_seed,
        }
    }
}

/// `"0x<40 hex digits>/0x<40 hex digits>"` for a 20-byte key, `""` for none.
pub(crate) fn accepted_key(len: usize) -> String {
    if len == 0 {
        "\"\" (no key)".to_owned()
    } else {
        format!("\"0x<{0} hex digits>/0x<{0} hex digits>\"", len * 2)
    }
}

/// What the bytes of an encryption key are: `(16-byte key + 4-byte salt)`.
fn enc_key_layout(enc: EncAlgorithm) -> String {
    let extra = match enc {
        EncAlgorithm::AesCtr(_) => "nonce",
        EncAlgorithm::AesGcm { .. } | EncAlgorithm::AesGmac(_) | EncAlgorithm::ChaCha20Poly1305 => {
            "salt"
        }
        _ => return String::new(),
    };
    format!(" ({}-byte key + 4-byte {extra})", enc.key_len() - 4)
}

fn parse_key_pair(s: &str) -> Result<KeyPair, String> {
    if s.is_empty() {
        return Ok(KeyPair::default());
    }
    let Some((incoming, outgoing)) = s.split_once('/') else {
        return Err(
            "one key given, but an incoming and an outgoing key are needed (value hidden)"
                .to_owned(),
        );
    };
    let decode = |side: &str, digits: &str| {
        let digits = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
            .unwrap_or(digits);
        decode_hex(digits)
            .ok_or_else(|| format!("{side} key is not an even number of hex digits (value hidden)"))
    };
    Ok(KeyPair {
        incoming: decode("incoming", incoming)?,
        outgoing: decode("outgoing", outgoing)?,
    })
}

fn parse_spi(side: &str, s: &str) -> Result<u32, String> {
    let s = s.trim();
    let value = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse::<u64>(),
    }
    .map_err(|_| format!("{side} SPI {} is not a number", quote(s)))?;
    match u32::try_from(value) {
        Ok(spi) if spi >= 256 => Ok(spi),
        Ok(spi) => Err(format!(
            "{side} SPI {spi:#x} is reserved (0..0xff, RFC 4303)"
        )),
        Err(_) => Err(format!("{side} SPI {value:#x} is above 0xffffffff")),
    }
}

fn parse_spi_pair(v: &Value) -> Result<SpiPair, String> {
    let Value::String(s) = v else {
        return Err(format!("{} is not a string", show(v)));
    };
    let Some((incoming, outgoing)) = s.split_once('/') else {
        return Err(format!(
            "{} is one SPI, but an incoming and an outgoing SPI are needed",
            quote(s)
        ));
    };
    Ok(SpiPair {
        incoming: parse_spi("incoming", incoming)?,
        outgoing: parse_spi("outgoing", outgoing)?,
    })
}

pub(crate) fn read_manual_sa(
    table: &Table,
    index: usize,
    issues: &mut Vec<ConfigIssue>,
) -> (ManualSa, EntryMeta) {
    let location = named_location("manual-sa", index, table);
    let mut r = Reader::new(table, location, MANUAL_SA_KEYS, issues);
    let mut sa = ManualSa::default_named(&read_name(&mut r, "manual-sa", &["none"]));
    if let Some(v) = r.keyword("esp-enc-algorithm") {
        sa.esp_enc_algorithm = v;
    }
    if let Some(v) = r.keyword("esp-auth-algorithm") {
        sa.esp_auth_algorithm = v;
    }
    if let Some(v) = r.keyword("ah-algorithm") {
        sa.ah_algorithm = v;
    }
    let enc = sa.esp_enc_algorithm;
    sa.esp_enc_key = read_key(
        &mut r,
        "esp-enc-key",
        "esp-enc-algorithm",
        enc.name(),
        enc.key_len(),
        &enc_key_layout(enc),
    );
    let auth = sa.esp_auth_algorithm;
    sa.esp_auth_key = read_key(
        &mut r,
        "esp-auth-key",
        "esp-auth-algorithm",
        auth.name(),
        auth.key_len(),
        "",
    );
    let ah = sa.ah_algorithm;
    sa.ah_key = read_key(
        &mut r,
        "ah-key",
        "ah-algorithm",
        ah.name(),
        ah.key_len(),
        "",
    );
    sa.esp_spi = r.read("esp-spi", ACCEPTED_SPI, parse_spi_pair);
    sa.ah_spi = r.read("ah-spi", ACCEPTED_SPI, parse_spi_pair);
    if let Some(v) = r.boolean("nat-t") {
        sa.nat_t = v;
    }
    if let Some(v) = r.time("lifetime") {
        sa.lifetime = v;
    }
    if let Some(v) = r.read("replay-window", ACCEPTED_REPLAY_WINDOW, |v| match v {
        Value::Integer(n) if *n == 0 || (32..=65536).contains(n) => {
            u32::try_from(*n).map_err(|_| format!("{n} is out of range"))
        }
        Value::Integer(n) => Err(format!("{n} is out of range")),
        other => Err(format!("{} is not an integer", show(other))),
    }) {
        sa.replay_window = v;
    }
    if let Some(v) = r.boolean("esn") {
        sa.esn = v;
    }
    if let Some(v) = r.integer("tfc-pad-to", 68, 65535) {
        sa.tfc_pad_to = u16::try_from(v).ok();
    }
    if let Some(v) = r.string("comment") {
        sa.comment = v;
    }
    check_algorithms(&mut r, &sa);
    (sa, r.finish())
}

/// Reads a key pair and checks its length against the algorithm (when that was readable).
fn read_key(
    r: &mut Reader<'_>,
    key: &str,
    algorithm_key: &str,
    algorithm: &str,
    len: usize,
    layout: &str,
) -> KeyPair {
    let accepted = if r.failed(algorithm_key) {
        "\"0x<hex digits>/0x<hex digits>\"".to_owned()
    } else {
        accepted_key(len)
    };
    let Some(pair) = r.read(key, &accepted, |v| match v {
        Value::String(s) => parse_key_pair(s),
        _ => Err("is not a string (value hidden)".to_owned()),
    }) else {
        if len > 0 && !r.has(key) && !r.failed(algorithm_key) {
            r.issue(
                key,
                format!("missing, but {algorithm} needs {len}-byte keys; accepted: {accepted}"),
            );
        }
        return KeyPair::default();
    };
    if r.failed(algorithm_key) {
        return pair;
    }
    if len == 0 {
        if !pair.is_empty() {
            r.issue(
                key,
                format!("a key is given, but {algorithm_key} is {algorithm}, which takes none; accepted: {accepted}"),
            );
        }
        return pair;
    }
    if pair.is_empty() {
        r.issue(
            key,
            format!("\"\" is empty, but {algorithm} needs {len}-byte keys; accepted: {accepted}"),
        );
        return pair;
    }
    let (i, o) = (pair.incoming.len(), pair.outgoing.len());
    let what = match (i == len, o == len) {
        (true, true) => return pair,
        (false, true) => format!("incoming key is {i} bytes"),
        (true, false) => format!("outgoing key is {o} bytes"),
        (false, false) if i == o => format!("incoming and outgoing keys are {i} bytes"),
        (false, false) => format!("incoming key is {i} bytes and outgoing key is {o} bytes"),
    };
    r.issue(
        key,
        format!("{what} but {algorithm} needs {len}{layout}; accepted: {accepted}"),
    );
    pair
}

/// Checks that need no policy: AEAD ciphers take no separate integrity algorithm, and
/// counter-mode ciphers must not share one key between directions.
fn check_algorithms(r: &mut Reader<'_>, sa: &ManualSa) {
    let enc = sa.esp_enc_algorithm;
    let both_read = !r.failed("esp-enc-algorithm") && !r.failed("esp-auth-algorithm");
    if both_read && enc.is_aead() && sa.esp_auth_algorithm != AuthAlgorithm::Null {
        r.issue(
            "esp-auth-algorithm",
            format!(
                "{} cannot be combined with {enc}, which authenticates by itself; accepted: null",
                quote(sa.esp_auth_algorithm.name())
            ),
        );
    }
    // GCM, GMAC, CTR and ChaCha20 nonces are salt || counter: two senders on one key would
    // sooner or later use one nonce twice, which breaks GCM's integrity outright.
    let counter_mode = enc.is_aead() || matches!(enc, EncAlgorithm::AesCtr(_));
    let key = &sa.esp_enc_key;
    if counter_mode
        && !r.failed("esp-enc-key")
        && !key.incoming.is_empty()
        && key.incoming == key.outgoing
    {
        r.issue(
            "esp-enc-key",
            format!(
                "incoming and outgoing keys are the same, and {enc} must not use one key in both directions (nonces would repeat); accepted: {} with two different keys",
                accepted_key(enc.key_len())
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spi_pairs() {
        let v = Value::String("0x2001/4097".to_owned());
        assert_eq!(
            parse_spi_pair(&v),
            Ok(SpiPair {
                incoming: 0x2001,
                outgoing: 0x1001
            })
        );
        let bad = |s: &str| parse_spi_pair(&Value::String(s.to_owned())).unwrap_err();
        assert_eq!(
            bad("0x100"),
            "\"0x100\" is one SPI, but an incoming and an outgoing SPI are needed"
        );
        assert_eq!(
            bad("0xff/0x100"),
            "incoming SPI 0xff is reserved (0..0xff, RFC 4303)"
        );
        assert_eq!(
            bad("0x100/0x100000000"),
            "outgoing SPI 0x100000000 is above 0xffffffff"
        );
        assert_eq!(bad("0x100/zz"), "outgoing SPI \"zz\" is not a number");
    }

    #[test]
    fn key_pairs_hide_their_bytes() {
        let pair = parse_key_pair("0x0011/0X2233").unwrap_or_default();
        assert_eq!(&pair.incoming[..], &[0x00, 0x11]);
        assert_eq!(&pair.outgoing[..], &[0x22, 0x33]);
        assert_eq!(
            format!("{pair:?}"),
            "KeyPair { incoming: <2 bytes>, outgoing: <2 bytes> }"
        );
        let err = parse_key_pair("0xdeadbeef").unwrap_err();
        assert!(!err.contains("dead"), "{err}");
        let err = parse_key_pair("0xdeadbeef/0xdeadbee").unwrap_err();
        assert!(!err.contains("dead"), "{err}");
    }

    #[test]
    fn accepted_key_counts_hex_digits() {
        assert_eq!(accepted_key(20), "\"0x<40 hex digits>/0x<40 hex digits>\"");
        assert_eq!(accepted_key(0), "\"\" (no key)");
        let gcm: EncAlgorithm = "aes-128-gcm".parse().unwrap_or(EncAlgorithm::Null);
        assert_eq!(enc_key_layout(gcm), " (16-byte key + 4-byte salt)");
    }
}
