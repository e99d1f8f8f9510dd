//! Security Associations: keys, transforms, sequence state, lifetimes and counters of one
//! direction of one IPsec SA, with the fields RouterOS's `installed-sa` shows.

use crate::crypto::{
    AuthAlgorithm, CryptoError, EncAlgorithm, EspTransform, Integrity, build_esp_transform,
};
use crate::replay::ReplayWindow;
use std::fmt;
use std::net::IpAddr;
use zeroize::Zeroizing;

/// Milliseconds on a monotonic clock, passed in by the caller (the engine reads no clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub fn millis_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Inbound,
    Outbound,
}

/// `ipsec-protocols` of the manual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpsecProtocol {
    Esp,
    Ah,
}

impl IpsecProtocol {
    pub fn name(self) -> &'static str {
        match self {
            IpsecProtocol::Esp => "esp",
            IpsecProtocol::Ah => "ah",
        }
    }
    pub fn ip_protocol(self) -> u8 {
        match self {
            IpsecProtocol::Esp => crate::wire::proto::ESP,
            IpsecProtocol::Ah => crate::wire::proto::AH,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// The whole inner packet is carried behind a new outer header (`tunnel=yes`).
    Tunnel,
    /// The packet's own header stays; only its payload is protected (`tunnel=no`).
    Transport,
}

/// UDP encapsulation ports for NAT traversal (RFC 3948).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UdpEncap {
    pub src_port: u16,
    pub dst_port: u16,
}

impl Default for UdpEncap {
    fn default() -> Self {
        Self {
            src_port: crate::wire::natt::NATT_PORT,
            dst_port: crate::wire::natt::NATT_PORT,
        }
    }
}

/// How much padding outbound ESP adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Padding {
    /// Only what the cipher's block alignment needs (no traffic-flow confidentiality).
    #[default]
    Minimal,
    /// RFC 4303 2.7 TFC padding (tunnel mode): the inner packet is padded up to this many
    /// bytes, hiding its real length. The receiver trims it using the inner IP length.
    TfcPadTo(u16),
}

/// The SA's life stage, as `installed-sa state` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SaState {
    /// Reserved SPI, keys not yet installed.
    Larval,
    /// In use.
    Mature,
    /// Soft lifetime reached: still usable while a replacement is negotiated.
    Dying,
    /// Hard lifetime reached or sequence numbers exhausted: unusable.
    Dead,
}

impl SaState {
    pub fn name(self) -> &'static str {
        match self {
            SaState::Larval => "larval",
            SaState::Mature => "mature",
            SaState::Dying => "dying",
            SaState::Dead => "dead",
        }
    }
}

impl fmt::Display for SaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Soft and hard limits in time (milliseconds) and bytes; `None` means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lifetime {
    pub soft_millis: Option<u64>,
    pub hard_millis: Option<u64>,
    pub soft_bytes: Option<u64>,
    pub hard_bytes: Option<u64>,
}

/// Everything needed to install one SA.
#[derive(Clone)]
pub struct SaParams {
    pub spi: u32,
    pub direction: Direction,
    pub protocol: IpsecProtocol,
    pub mode: Mode,
    /// Outer source and destination (sa-src-address / sa-dst-address as seen by this SA).
    pub src: IpAddr,
    pub dst: IpAddr,
    pub encap: Option<UdpEncap>,
    /// Ignored for AH.
    pub enc: EncAlgorithm,
    pub enc_key: Zeroizing<Vec<u8>>,
    pub auth: AuthAlgorithm,
    pub auth_key: Zeroizing<Vec<u8>>,
    pub esn: bool,
    /// Replay window in packets (0 disables the check); inbound only.
    pub replay_window: u32,
    pub lifetime: Lifetime,
    pub padding: Padding,
    /// Random per-SA value for IV derivation, chosen when the SA is created.
    pub iv_seed: u64,
}

impl fmt::Debug for SaParams {
    // Keys never reach logs, even through Debug.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaParams")
            .field("spi", &format_args!("{:#x}", self.spi))
            .field("direction", &self.direction)
            .field("protocol", &self.protocol)
            .field("mode", &self.mode)
            .field("src", &self.src)
            .field("dst", &self.dst)
            .field("encap", &self.encap)
            .field("enc", &self.enc)
            .field("auth", &self.auth)
            .field("esn", &self.esn)
            .finish_non_exhaustive()
    }
}

/// Why an SA could not be installed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaError {
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("AH needs an integrity algorithm; auth algorithm null gives no protection")]
    AhWithoutAuth,
    #[error("outer addresses {src} and {dst} are of different IP versions")]
    MixedFamilies { src: IpAddr, dst: IpAddr },
    #[error("SPI {0:#x} is reserved (0-255, RFC 4303 2.1)")]
    ReservedSpi(u32),
}

/// The transform that processes this SA's packets.
pub enum SaTransform {
    Esp(Box<dyn EspTransform>),
    Ah(Box<Integrity>),
}

/// Something the control plane must hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaEvent {
    /// Soft lifetime reached: negotiate a replacement (raised once).
    SoftExpired { spi: u32, direction: Direction },
    /// Hard lifetime reached or sequence space exhausted: the SA is dead.
    HardExpired { spi: u32, direction: Direction },
}

/// One installed SA.
pub struct SecurityAssociation {
    params: SaParams,
    transform: SaTransform,
    state: SaState,
    added_at: Timestamp,
    current_bytes: u64,
    current_packets: u64,
    /// Next outbound sequence number (starts at 1).
    next_seq: u64,
    replay: ReplayWindow,
    soft_reported: bool,
    /// Index of the policy this SA serves, for the inbound template check.
    pub policy: Option<usize>,
}

impl fmt::Debug for SecurityAssociation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityAssociation")
            .field("params", &self.params)
            .field("state", &self.state)
            .field("current_packets", &self.current_packets)
            .finish_non_exhaustive()
    }
}

impl SecurityAssociation {
    pub fn new(params: SaParams, now: Timestamp) -> Result<Self, SaError> {
        if params.spi < 256 {
            return Err(SaError::ReservedSpi(params.spi));
        }
        if params.src.is_ipv4() != params.dst.is_ipv4() {
            return Err(SaError::MixedFamilies {
                src: params.src,
                dst: params.dst,
            });
        }
        let transform = match params.protocol {
            IpsecProtocol::Esp => SaTransform::Esp(build_esp_transform(
                params.enc,
                &params.enc_key,
                params.auth,
                &params.auth_key,
                params.iv_seed,
            )?),
            IpsecProtocol::Ah => {
                if params.auth == AuthAlgorithm::Null {
                    return Err(SaError::AhWithoutAuth);
                }
                SaTransform::Ah(Box::new(Integrity::new(params.auth, &params.auth_key)?))
            }
        };
        let replay = ReplayWindow::new(params.replay_window, params.esn);
        Ok(Self {
            params,
            transform,
            state: SaState::Mature,
            added_at: now,
            current_bytes: 0,
            current_packets: 0,
            next_seq: 1,
            replay,
            soft_reported: false,
            policy: None,
        })
    }

    pub fn params(&self) -> &SaParams {
        &self.params
    }
    pub fn spi(&self) -> u32 {
        self.params.spi
    }
    pub fn transform(&self) -> &SaTransform {
        &self.transform
    }
    pub fn state(&self) -> SaState {
        self.state
    }
    pub fn added_at(&self) -> Timestamp {
        self.added_at
    }
    pub fn current_bytes(&self) -> u64 {
        self.current_bytes
    }
    pub fn current_packets(&self) -> u64 {
        self.current_packets
    }
    pub fn replay(&self) -> &ReplayWindow {
        &self.replay
    }
    pub(crate) fn replay_mut(&mut self) -> &mut ReplayWindow {
        &mut self.replay
    }

    /// Whether the transform runs on CPU crypto instructions (`hw-aead`).
    pub fn hw_aead(&self) -> bool {
        match &self.transform {
            SaTransform::Esp(t) => t.accelerated(),
            SaTransform::Ah(i) => i.accelerated(),
        }
    }

    /// The most bytes this SA adds to an inner packet: outer IP header (tunnel mode), UDP
    /// (NAT-T), ESP header, IV, worst-case padding and trailer, ICV; or the AH header.
    pub fn max_overhead(&self) -> usize {
        let p = &self.params;
        let outer = match (p.mode, p.dst.is_ipv6()) {
            (Mode::Tunnel, false) => crate::wire::ipv4::HEADER_LEN,
            (Mode::Tunnel, true) => crate::wire::ipv6::HEADER_LEN,
            (Mode::Transport, _) => 0,
        };
        let udp = if p.encap.is_some() {
            crate::wire::udp::HEADER_LEN
        } else {
            0
        };
        let ipsec = match &self.transform {
            SaTransform::Esp(t) => {
                crate::wire::esp::HEADER_LEN
                    + t.iv_len()
                    + (crate::esp::send_alignment(t.as_ref()) - 1)
                    + crate::wire::esp::TRAILER_LEN
                    + t.icv_len()
            }
            SaTransform::Ah(i) => crate::wire::ah::header_len(i.icv_len(), p.dst.is_ipv6()),
        };
        outer + udp + ipsec
    }

    /// Marks the SA dead (e.g. replaced or flushed).
    pub fn kill(&mut self) {
        self.state = SaState::Dead;
    }

    /// Milliseconds until the soft (then hard) time limit, for `expires-in`.
    pub fn expires_in(&self, now: Timestamp) -> Option<u64> {
        let age = now.millis_since(self.added_at);
        let l = &self.params.lifetime;
        let limit = if self.state == SaState::Mature {
            l.soft_millis.or(l.hard_millis)
        } else {
            l.hard_millis
        };
        limit.map(|t| t.saturating_sub(age))
    }

    /// Takes the next outbound sequence number. Exhaustion kills the SA (RFC 4303 3.3.3: the
    /// counter must never cycle).
    pub(crate) fn next_sequence(&mut self) -> Option<u64> {
        let max = if self.params.esn {
            u64::MAX
        } else {
            u32::MAX as u64
        };
        if self.next_seq > max || self.next_seq == 0 {
            self.state = SaState::Dead;
            return None;
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        Some(seq)
    }

    /// Sets the next outbound sequence number (tests and SA migration).
    pub fn set_next_sequence(&mut self, seq: u64) {
        self.next_seq = seq;
    }

    /// Time-based expiry, checked before using the SA. Returns `Err` when hard-expired.
    pub fn check_time(&mut self, now: Timestamp) -> Result<Option<SaEvent>, SaEvent> {
        if self.state == SaState::Dead {
            return Err(self.hard_event());
        }
        let age = now.millis_since(self.added_at);
        let l = self.params.lifetime;
        if l.hard_millis.is_some_and(|h| age >= h) {
            self.state = SaState::Dead;
            return Err(self.hard_event());
        }
        Ok(self.maybe_soft(l.soft_millis.is_some_and(|s| age >= s)))
    }

    /// Counts a processed packet; a hard byte limit reached kills the SA for later packets.
    pub(crate) fn account(&mut self, bytes: usize) -> Option<SaEvent> {
        self.current_bytes += bytes as u64;
        self.current_packets += 1;
        let l = self.params.lifetime;
        if l.hard_bytes.is_some_and(|h| self.current_bytes >= h) {
            self.state = SaState::Dead;
            return Some(self.hard_event());
        }
        self.maybe_soft(l.soft_bytes.is_some_and(|s| self.current_bytes >= s))
    }

    fn maybe_soft(&mut self, reached: bool) -> Option<SaEvent> {
        if !reached || self.soft_reported {
            return None;
        }
        self.soft_reported = true;
        self.state = SaState::Dying;
        Some(SaEvent::SoftExpired {
            spi: self.params.spi,
            direction: self.params.direction,
        })
    }

    fn hard_event(&self) -> SaEvent {
        SaEvent::HardExpired {
            spi: self.params.spi,
            direction: self.params.direction,
        }
    }
}
