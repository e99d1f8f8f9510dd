//! One IKE SA: who and where the peer is, the negotiated keys, the message-ID windows
//! (RFC 7296 2.3: one request outstanding each way), the request in flight with its
//! retransmission schedule, and the child SAs it keyed.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::crypto::{DhPrivate, IkeSaKeys, SkCipher};
use super::fragment::{self, FragmentError, Reassembly};
use super::proposal::{ChildSuite, IkeSuite};
use super::wire::{
    self, ExchangeType, Header, HeaderFlags, IkeSpi, Payload, PayloadType, TrafficSelector,
};

/// Retransmission timeouts of a request (RFC 7296 2.1 leaves them to us): 1, 2, 4, 8, 16 s,
/// then the exchange, and with it the IKE SA, has failed ("phase1 negotiation failed due to
/// time up" when the SA was not yet up).
pub const RETRANSMIT_TIMEOUTS: [Duration; 5] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
    Duration::from_secs(16),
];

/// Which end started this IKE SA (it fixes the key directions and the I flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Initiator,
    Responder,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Initiator => "initiator",
            Side::Responder => "responder",
        }
    }
}

/// The life of an IKE SA.
pub enum IkeState {
    /// Initiator: IKE_SA_INIT sent, waiting for the answer.
    InitSent {
        dh: DhPrivate,
        nonce: Vec<u8>,
        /// Our IKE_SA_INIT request, signed by our AUTH later.
        request: Vec<u8>,
        cookie: Option<Vec<u8>>,
    },
    /// Responder: IKE_SA_INIT answered, waiting for IKE_AUTH.
    InitAnswered,
    /// Initiator: IKE_AUTH sent.
    AuthSent,
    Established,
    /// Being torn down (a Delete is in flight or the SA failed).
    Dead,
}

impl IkeState {
    pub fn name(&self) -> &'static str {
        match self {
            IkeState::InitSent { .. } => "message-1-sent",
            IkeState::InitAnswered => "message-2-sent",
            IkeState::AuthSent => "message-3-sent",
            IkeState::Established => "established",
            IkeState::Dead => "expired",
        }
    }
}

/// The keyed part of an IKE SA, once IKE_SA_INIT is done.
pub struct Keyed {
    pub suite: IkeSuite,
    pub keys: IkeSaKeys,
    /// Protects what we send, and opens what we receive.
    pub out: SkCipher,
    pub inp: SkCipher,
    pub ni: Vec<u8>,
    pub nr: Vec<u8>,
    /// The initiator's and responder's IKE_SA_INIT messages, for AUTH (RFC 7296 2.15).
    pub init_request: Vec<u8>,
    pub init_response: Vec<u8>,
}

/// A child SA this IKE SA keyed.
#[derive(Debug, Clone)]
pub struct ChildSa {
    pub policy_index: usize,
    pub inbound_spi: u32,
    pub outbound_spi: u32,
    pub suite: ChildSuite,
    pub ts_local: TrafficSelector,
    pub ts_remote: TrafficSelector,
    pub installed_at: Instant,
    /// A rekey of this child is under way (we asked, or we were asked).
    pub rekeying: bool,
}

/// What a request we sent is about, with the state its answer needs.
pub enum RequestKind {
    Auth {
        policy_index: Option<usize>,
        inbound_spi: u32,
        ts: Option<(TrafficSelector, TrafficSelector)>,
    },
    CreateChild {
        policy_index: usize,
        inbound_spi: u32,
        nonce: Vec<u8>,
        dh: Option<DhPrivate>,
        /// The inbound SPI of the child being rekeyed.
        rekey_of: Option<u32>,
        ts: (TrafficSelector, TrafficSelector),
    },
    RekeyIke {
        new_spi: IkeSpi,
        nonce: Vec<u8>,
        dh: DhPrivate,
    },
    DeleteChildren(Vec<u32>),
    DeleteIke,
    Dpd,
}

/// A request waiting for its answer.
pub struct InFlight {
    pub message_id: u32,
    /// The request as sent: one message, or its fragments (RFC 7383), all resent together.
    pub datagrams: Vec<Vec<u8>>,
    pub kind: RequestKind,
    pub sent: usize,
    pub next_retransmit: Instant,
    /// Retransmission interval for requests that use their own (DPD uses dpd-interval).
    pub fixed_interval: Option<Duration>,
    pub max_sends: usize,
}

/// A request to send when the window is free.
pub enum Queued {
    CreateChild {
        policy_index: usize,
        rekey_of: Option<u32>,
    },
    RekeyIke,
    DeleteChildren(Vec<u32>),
    DeleteIke,
    Dpd,
}

pub struct IkeSa {
    /// Index of the peer in [`super::peers::IkeConfig::peers`].
    pub peer: usize,
    pub side: Side,
    pub spi_i: IkeSpi,
    pub spi_r: IkeSpi,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// NAT detected in front of us / in front of the peer (RFC 7296 2.23).
    pub nat_local: bool,
    pub nat_remote: bool,
    pub state: IkeState,
    pub keyed: Option<Keyed>,
    pub children: Vec<ChildSa>,
    /// The peer's identity, once authenticated (for remote-peers).
    pub remote_id: String,
    pub created_at: Instant,
    pub established_at: Option<Instant>,
    pub last_received: Instant,
    /// Next message ID for our requests, and the one we expect on the peer's.
    pub next_request_id: u32,
    pub expected_request_id: u32,
    /// The answer to the peer's last request, resent when the request is repeated.
    pub last_response: Option<(u32, Vec<Vec<u8>>)>,
    pub in_flight: Option<InFlight>,
    pub queue: VecDeque<Queued>,
    /// When this IKE SA should be rekeyed (profile lifetime, minus a margin).
    pub rekey_at: Option<Instant>,
    /// IKE_SA_INIT response sent as responder, for repeated requests.
    pub init_response: Option<Vec<u8>>,
    /// Both sides sent IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383 2.3).
    pub fragmentation: bool,
    /// A fragmented message of the peer's, being put together.
    pub reassembly: Option<Reassembly>,
}

/// Why an incoming protected message was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProtectError {
    #[error("no keys yet")]
    NotKeyed,
    #[error("no encrypted payload")]
    NotEncrypted,
    #[error("integrity check failed or bad padding: {0}")]
    Crypto(String),
    #[error("invalid inner payloads: {0}")]
    Syntax(String),
    #[error("fragment refused: {0}")]
    Fragment(#[from] FragmentError),
}

impl IkeSa {
    pub fn new(
        peer: usize,
        side: Side,
        local: SocketAddr,
        remote: SocketAddr,
        now: Instant,
    ) -> Self {
        IkeSa {
            peer,
            side,
            spi_i: IkeSpi::default(),
            spi_r: IkeSpi::default(),
            local,
            remote,
            nat_local: false,
            nat_remote: false,
            state: IkeState::InitAnswered,
            keyed: None,
            children: Vec::new(),
            remote_id: String::new(),
            created_at: now,
            established_at: None,
            last_received: now,
            next_request_id: 0,
            expected_request_id: 0,
            last_response: None,
            in_flight: None,
            queue: VecDeque::new(),
            rekey_at: None,
            init_response: None,
            fragmentation: false,
            reassembly: None,
        }
    }

    /// Our SPI, the key of this SA in the endpoint's table.
    pub fn our_spi(&self) -> IkeSpi {
        match self.side {
            Side::Initiator => self.spi_i,
            Side::Responder => self.spi_r,
        }
    }

    pub fn is_established(&self) -> bool {
        matches!(self.state, IkeState::Established)
    }

    /// Whether the peer is behind a NAT or we are: ESP then travels in UDP on port 4500.
    pub fn natt(&self) -> bool {
        self.nat_local || self.nat_remote
    }

    fn header(&self, exchange: ExchangeType, response: bool, message_id: u32) -> Header {
        Header::new(
            self.spi_i,
            self.spi_r,
            PayloadType::SK,
            exchange,
            HeaderFlags {
                initiator: self.side == Side::Initiator,
                version: false,
                response,
            },
            message_id,
        )
    }

    /// Encrypts `payloads` into the datagrams to send (RFC 7296 3.14): one SK message, or,
    /// when fragmentation is agreed and the message would not fit an IP datagram of
    /// `max_datagram` bytes, SKF fragments that each do (RFC 7383 2.5).
    pub fn protect(
        &mut self,
        exchange: ExchangeType,
        response: bool,
        message_id: u32,
        payloads: &[Payload],
        max_datagram: usize,
    ) -> Result<Vec<Vec<u8>>, ProtectError> {
        let header = self.header(exchange, response, message_id);
        let (local, remote, fragmentation) = (self.local, self.remote, self.fragmentation);
        let keyed = self.keyed.as_mut().ok_or(ProtectError::NotKeyed)?;
        let (first, inner) = wire::encode_chain(payloads);
        let inner = Zeroizing::new(inner);
        let capacity = fragment::fragment_capacity(&keyed.out, local, remote, max_datagram);
        if !fragmentation || inner.len() <= capacity {
            let body_len = keyed.out.body_len(inner.len());
            let frame = wire::encrypted_frame(&header, first, body_len);
            return Ok(vec![seal_after(&mut keyed.out, frame, &inner)?]);
        }
        fragment::split(&inner, first, capacity)
            .into_iter()
            .map(|(number, next, chunk)| {
                let body_len = keyed.out.body_len(chunk.len());
                let frame = wire::encrypted_fragment_frame(&header, next, number, body_len);
                seal_after(&mut keyed.out, frame, chunk)
            })
            .collect()
    }

    /// Decrypts and parses the payloads of a received protected message. A fragment
    /// (SKF) is checked and kept; `Ok(None)` until the last one of its message is in.
    pub fn unprotect(
        &mut self,
        message: &[u8],
        parsed: &wire::ParsedMessage,
    ) -> Result<Option<Vec<Payload>>, ProtectError> {
        let keyed = self.keyed.as_ref().ok_or(ProtectError::NotKeyed)?;
        let sk = parsed
            .encrypted
            .as_ref()
            .ok_or(ProtectError::NotEncrypted)?;
        let plain = keyed
            .inp
            .open(sk.aad(message), sk.body(message))
            .map_err(|e| ProtectError::Crypto(e.to_string()))?;
        let Some(number) = sk.fragment else {
            return parse_inner(sk.first_inner(), &plain).map(Some);
        };
        // RFC 7383 2.6: fragments are authenticated one by one (done above), kept per
        // message, and a larger Total Fragments means the sender started over.
        let (id, response) = (parsed.header.message_id, parsed.header.flags.response);
        let stale = match &self.reassembly {
            Some(r) => r.message_id != id || r.response != response || r.total() < number.total,
            None => true,
        };
        if stale {
            self.reassembly = Some(Reassembly::new(id, response, number.total)?);
        }
        let Some(r) = self.reassembly.as_mut() else {
            return Ok(None);
        };
        match r.add(number, sk.first_inner(), plain)? {
            None => Ok(None),
            Some((first, whole)) => {
                self.reassembly = None;
                parse_inner(first, &whole).map(Some)
            }
        }
    }

    /// The child keyed for `policy_index`, if any.
    pub fn child_for(&self, policy_index: usize) -> Option<&ChildSa> {
        self.children
            .iter()
            .find(|c| c.policy_index == policy_index)
    }

    /// Whether a request for this policy's child is in flight or queued.
    pub fn child_pending(&self, policy_index: usize) -> bool {
        let in_flight = match self.in_flight.as_ref().map(|f| &f.kind) {
            Some(RequestKind::Auth {
                policy_index: Some(p),
                ..
            }) => *p == policy_index,
            Some(RequestKind::CreateChild {
                policy_index: p, ..
            }) => *p == policy_index,
            _ => false,
        };
        in_flight
            || self.queue.iter().any(
                |q| matches!(q, Queued::CreateChild { policy_index: p, .. } if *p == policy_index),
            )
    }
}

/// `frame` followed by `plain` sealed under `cipher`: one complete message.
fn seal_after(
    cipher: &mut SkCipher,
    mut frame: Vec<u8>,
    plain: &[u8],
) -> Result<Vec<u8>, ProtectError> {
    let body = cipher
        .seal(&frame, plain)
        .map_err(|e| ProtectError::Crypto(e.to_string()))?;
    frame.extend_from_slice(&body);
    Ok(frame)
}

fn parse_inner(first: PayloadType, plain: &[u8]) -> Result<Vec<Payload>, ProtectError> {
    wire::parse_chain(first, plain).map_err(|e| ProtectError::Syntax(e.to_string()))
}
