//! What the control thread tells workers, and what workers tell it back.
//!
//! Commands travel on one bounded channel per worker and are drained between packet batches,
//! so installing or removing an SA never stops traffic: the packet path never waits on the
//! control thread, and a worker only ever changes its own SAs.

use crate::crypto::{AuthAlgorithm, EncAlgorithm};
use crate::sa::{
    Direction, IpsecProtocol, Lifetime, SaEvent, SaParams, SaState, Timestamp, UdpEncap,
};
use crate::spd::PolicyId;
use crate::stats::StatisticsSnapshot;
use std::net::{IpAddr, SocketAddr};

/// An instruction to one worker.
pub enum Command {
    /// Install an SA this worker owns, bound to `policy`.
    InstallSa {
        policy: PolicyId,
        params: Box<SaParams>,
    },
    /// Tell a worker which worker owns the inbound SA with this SPI (sent to every worker).
    RouteSpi {
        protocol: IpsecProtocol,
        spi: u32,
        owner: usize,
    },
    /// Remove an SA this worker owns.
    RemoveSa {
        protocol: IpsecProtocol,
        spi: u32,
        direction: Direction,
    },
    /// Forget the routing of an SPI.
    UnrouteSpi { protocol: IpsecProtocol, spi: u32 },
    /// Remove every SA (`installed-sa flush`).
    Flush,
    /// Use a new policy table (configuration reload). SAs bound to the rows in `keep` stay
    /// (those policies are unchanged and kept their row); every other SA of this worker is
    /// removed.
    ReplacePolicies {
        table: std::sync::Arc<crate::spd::PolicyTable>,
        keep: Vec<usize>,
    },
    /// Send one NAT-keepalive byte from this worker's UDP-4500 socket.
    SendKeepalive { from: IpAddr, to: SocketAddr },
    /// Send an IKE message from this worker's UDP-4500 socket, behind the four-byte non-ESP
    /// marker (RFC 3948 2.2). IKE on port 4500 shares the workers' SO_REUSEPORT sockets, so
    /// the control thread sends through one of them rather than binding the port itself.
    SendIke {
        from: IpAddr,
        to: SocketAddr,
        message: Vec<u8>,
    },
    /// Report SAs and counters on the given channel; with `keys`, the SA keys too
    /// (`installed-sa print show-keys`).
    Report {
        reply: crossbeam_channel::Sender<WorkerReport>,
        keys: bool,
    },
    /// Leave the packet loop.
    Stop,
}

/// Something a worker tells the control thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A soft or hard lifetime was reached on an SA of this worker.
    Sa { worker: usize, event: SaEvent },
    /// An encrypt policy with level require has no SA (acquire, for IKE).
    Acquire { worker: usize, policy: PolicyId },
    /// An IKE message arrived on UDP 4500 (the non-ESP marker already removed).
    Ike {
        from: SocketAddr,
        local: IpAddr,
        message: Vec<u8>,
    },
    /// An SA the control thread sent could not be installed.
    InstallFailed { worker: usize, reason: String },
}

/// An SA's keys, for `installed-sa print show-keys` only. Zeroized on drop, and `Debug`
/// prints no key byte, so a report logged by mistake leaks nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct SaKeys {
    pub enc_key: zeroize::Zeroizing<Vec<u8>>,
    pub auth_key: zeroize::Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for SaKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SaKeys(..)")
    }
}

/// One SA as `installed-sa print` shows it (keys only when asked for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaReport {
    pub spi: u32,
    pub direction: Direction,
    pub protocol: IpsecProtocol,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub encap: Option<UdpEncap>,
    pub enc: EncAlgorithm,
    pub auth: AuthAlgorithm,
    pub state: SaState,
    pub hw_aead: bool,
    pub added_at: Timestamp,
    pub expires_in_millis: Option<u64>,
    pub current_bytes: u64,
    pub current_packets: u64,
    pub replay_window: u32,
    pub worker: usize,
    /// The policy row the SA is bound to.
    pub policy: Option<usize>,
    pub lifetime: Lifetime,
    pub keys: Option<SaKeys>,
}

/// A worker's answer to [`Command::Report`].
#[derive(Debug, Clone)]
pub struct WorkerReport {
    pub worker: usize,
    pub sas: Vec<SaReport>,
    pub statistics: StatisticsSnapshot,
}

impl SaReport {
    pub fn of(
        sa: &crate::sa::SecurityAssociation,
        worker: usize,
        now: Timestamp,
        keys: bool,
    ) -> SaReport {
        let p = sa.params();
        SaReport {
            spi: p.spi,
            direction: p.direction,
            protocol: p.protocol,
            src: p.src,
            dst: p.dst,
            encap: p.encap,
            enc: p.enc,
            auth: p.auth,
            state: sa.state(),
            hw_aead: sa.hw_aead(),
            added_at: sa.added_at(),
            expires_in_millis: sa.expires_in(now),
            current_bytes: sa.current_bytes(),
            current_packets: sa.current_packets(),
            replay_window: sa.replay().size(),
            worker,
            policy: sa.policy,
            lifetime: p.lifetime,
            keys: keys.then(|| SaKeys {
                enc_key: p.enc_key.clone(),
                auth_key: p.auth_key.clone(),
            }),
        }
    }
}
