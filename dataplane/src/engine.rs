//! One endpoint's packet engine: the ordered policy table, the SAs bound to its policies, and
//! the statistics counters, with one entry point per direction.
//!
//! Outbound: SPD match (first from the top) -> action none (bypass), discard
//! (out-policy-blocked) or encrypt (the policy's SA, or level use/require) -> ESP or AH.
//! Inbound: SA by SPI -> replay check -> verify/decrypt -> the decrypted packet must match the
//! SA's policy seen from the other side (in-template-mismatches). Every refusal increments
//! exactly one counter. The runtime gives each worker its own `Engine` view; this type holds
//! no locks and reads no clock.

use crate::DropReason;
use crate::buf::PacketBuf;
use crate::esp::{Decapsulated, Encapsulated};
use crate::mode::OuterPacket;
use crate::sa::{
    Direction, IpsecProtocol, Mode, SaEvent, SaParams, SecurityAssociation, Timestamp,
};
use crate::sad::{SaId, Sad, SadError};
use crate::spd::{
    IpsecProtocols, Level, Ph2State, PolicyAction, PolicyId, PolicyTable, Selector, is_ike_bypass,
};
use crate::stats::Statistics;
use crate::wire::{ah::AhHeader, esp::EspPacket, proto};
use crate::{ah, esp};
use std::sync::Arc;

/// What to do with an outbound packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbound {
    /// Send it unchanged (no policy, action none, IKE traffic, or level use without an SA).
    Bypass,
    /// `buf` now holds the protected packet.
    Protected { sa: SaId, sent: Encapsulated },
}

/// Where an outbound packet goes, decided by the SPD alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundDecision {
    Bypass,
    Encrypt(PolicyId),
}

/// What became of an inbound packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbound {
    /// `buf` holds the decrypted packet, to deliver.
    Deliver { sa: SaId, event: Option<SaEvent> },
    /// A verified dummy packet (RFC 4303 next header 59): nothing to deliver.
    Dummy { sa: SaId },
}

/// Why an SA could not be bound to a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Sad(#[from] SadError),
    #[error(transparent)]
    Sa(#[from] crate::sa::SaError),
    #[error("policy {policy} uses ipsec-protocols={expected} but the SA is {actual}")]
    ProtocolMismatch {
        policy: PolicyId,
        expected: &'static str,
        actual: &'static str,
    },
    #[error("policy {policy} has tunnel={tunnel} but the SA is in {mode:?} mode")]
    ModeMismatch {
        policy: PolicyId,
        tunnel: bool,
        mode: Mode,
    },
}

/// The engine of one endpoint.
pub struct Engine {
    /// Shared by every worker's engine: the table is read-only but for its ph2 counters.
    spd: Arc<PolicyTable>,
    sad: Sad,
    /// Outbound SA of each policy, indexed by policy row.
    outbound: Vec<Option<SaId>>,
    stats: Statistics,
}

impl Engine {
    pub fn new(spd: impl Into<Arc<PolicyTable>>) -> Self {
        let spd = spd.into();
        let outbound = vec![None; spd.len()];
        Self {
            spd,
            sad: Sad::new(),
            outbound,
            stats: Statistics::new(),
        }
    }

    pub fn spd(&self) -> &Arc<PolicyTable> {
        &self.spd
    }
    pub fn sad(&self) -> &Sad {
        &self.sad
    }
    pub fn statistics(&self) -> &Statistics {
        &self.stats
    }

    /// Installs an SA for `policy`: an outbound SA becomes the one the policy encrypts with
    /// (replacing any previous one, which is returned); an inbound SA accepts traffic that
    /// matches the policy from the other side.
    pub fn install(
        &mut self,
        policy: PolicyId,
        params: SaParams,
        now: Timestamp,
    ) -> Result<(SaId, Option<SecurityAssociation>), InstallError> {
        let p = self.spd.get(policy);
        let expected = match p.ipsec_protocols {
            IpsecProtocols::Esp => IpsecProtocol::Esp,
            IpsecProtocols::Ah => IpsecProtocol::Ah,
        };
        if params.protocol != expected {
            return Err(InstallError::ProtocolMismatch {
                policy,
                expected: expected.name(),
                actual: params.protocol.name(),
            });
        }
        if (params.mode == Mode::Tunnel) != p.tunnel {
            return Err(InstallError::ModeMismatch {
                policy,
                tunnel: p.tunnel,
                mode: params.mode,
            });
        }
        let direction = params.direction;
        let mut sa = SecurityAssociation::new(params, now)?;
        sa.policy = Some(policy.index());
        let id = self.sad.insert(sa)?;
        let mut replaced = None;
        if direction == Direction::Outbound
            && let Some(old) = self.outbound[policy.index()].replace(id)
        {
            replaced = self.sad.remove(old);
        }
        self.refresh_ph2(policy);
        Ok((id, replaced))
    }

    /// Removes an SA (deleted by IKE, expired, or flushed).
    pub fn remove(&mut self, id: SaId) -> Option<SecurityAssociation> {
        let sa = self.sad.remove(id)?;
        if let Some(slot) = self.outbound.iter_mut().find(|s| **s == Some(id)) {
            *slot = None;
        }
        if let Some(policy) = sa.policy.and_then(|i| self.spd.id_at(i)) {
            self.refresh_ph2(policy);
        }
        Some(sa)
    }

    /// Swaps in a new policy table (configuration reload). SAs are bound to policy rows, which
    /// a new table renumbers, so they are all removed; the control thread installs the new
    /// configuration's SAs right after.
    pub fn replace_spd(&mut self, spd: Arc<PolicyTable>) {
        self.replace_spd_keeping(spd, &[]);
    }

    /// Swaps in a new policy table, keeping the SAs bound to the rows in `keep`: the caller
    /// vouches that those rows hold the same policy in both tables, so their SAs carry on
    /// without a gap. Every other SA is removed.
    pub fn replace_spd_keeping(&mut self, spd: Arc<PolicyTable>, keep: &[usize]) {
        let kept = |row: Option<usize>| row.is_some_and(|r| r < spd.len() && keep.contains(&r));
        let gone: Vec<SaId> = self
            .sad
            .iter()
            .filter(|(_, sa)| !kept(sa.policy))
            .map(|(id, _)| id)
            .collect();
        for id in gone {
            self.sad.remove(id);
        }
        let mut outbound = vec![None; spd.len()];
        for (row, slot) in self.outbound.iter().enumerate() {
            if kept(Some(row)) {
                outbound[row] = *slot;
            }
        }
        self.outbound = outbound;
        self.spd = spd;
        // The table is shared by every worker: report only the rows whose SAs live here, or
        // this worker would overwrite the owner's state with its own emptiness.
        let mut rows: Vec<usize> = self.sad.iter().filter_map(|(_, sa)| sa.policy).collect();
        rows.sort_unstable();
        rows.dedup();
        for row in rows {
            if let Some(id) = self.spd.id_at(row) {
                self.refresh_ph2(id);
            }
        }
    }

    /// Applies time-based lifetimes to every SA, including idle ones: soft expiry raises its
    /// event once; hard expiry (or an exhausted sequence space) removes the SA. Runs from the
    /// worker's housekeeping, not per packet; `events` is reused storage.
    pub fn expire(&mut self, now: Timestamp, events: &mut Vec<SaEvent>) {
        let ids: Vec<SaId> = self.sad.iter().map(|(id, _)| id).collect();
        for id in ids {
            let Some(sa) = self.sad.get_mut(id) else {
                continue;
            };
            match sa.check_time(now) {
                Ok(Some(event)) => events.push(event),
                Ok(None) => {}
                Err(event) => {
                    events.push(event);
                    self.remove(id);
                }
            }
        }
    }

    /// `installed-sa flush`.
    pub fn flush(&mut self) {
        self.sad.flush();
        self.outbound.iter_mut().for_each(|s| *s = None);
        for i in 0..self.spd.len() {
            if let Some(id) = self.spd.id_at(i) {
                self.refresh_ph2(id);
            }
        }
    }

    fn refresh_ph2(&self, policy: PolicyId) {
        let count = self
            .sad
            .iter()
            .filter(|(_, sa)| sa.policy == Some(policy.index()))
            .count();
        self.spd.set_ph2_count(policy, count as u32);
        let state = if self.outbound[policy.index()].is_some() {
            Ph2State::Established
        } else {
            Ph2State::NoPhase2
        };
        self.spd.set_ph2_state(policy, state);
    }

    /// Processes a packet leaving the protected side (read from the TUN device).
    pub fn outbound(
        &mut self,
        buf: &mut PacketBuf,
        now: Timestamp,
    ) -> Result<Outbound, DropReason> {
        match self.classify_outbound(buf.data())? {
            OutboundDecision::Bypass => Ok(Outbound::Bypass),
            OutboundDecision::Encrypt(policy) => self.encrypt(policy, buf, now),
        }
    }

    /// The SPD half of [`outbound`](Self::outbound): which policy applies and what it says,
    /// without touching any SA. A runtime whose SAs live on other workers calls this first to
    /// learn where the packet must go. Drops are counted here.
    pub fn classify_outbound(&self, packet: &[u8]) -> Result<OutboundDecision, DropReason> {
        self.counted(self.classify_inner(packet))
    }

    fn classify_inner(&self, packet: &[u8]) -> Result<OutboundDecision, DropReason> {
        let sel = Selector::from_packet(packet).map_err(|_| DropReason::OutErrors)?;
        if is_ike_bypass(&sel, true) {
            return Ok(OutboundDecision::Bypass);
        }
        let Some((policy, p)) = self.spd.lookup_policy(&sel) else {
            return Ok(OutboundDecision::Bypass);
        };
        match p.action {
            PolicyAction::None => Ok(OutboundDecision::Bypass),
            PolicyAction::Discard => Err(DropReason::OutPolicyBlocked),
            PolicyAction::Encrypt => Ok(OutboundDecision::Encrypt(policy)),
        }
    }

    /// The SA half of [`outbound`](Self::outbound), for a packet already classified to an
    /// encrypt policy (possibly by another worker).
    pub fn encrypt(
        &mut self,
        policy: PolicyId,
        buf: &mut PacketBuf,
        now: Timestamp,
    ) -> Result<Outbound, DropReason> {
        let result = self.encrypt_inner(policy, buf, now);
        self.counted(result)
    }

    fn encrypt_inner(
        &mut self,
        policy: PolicyId,
        buf: &mut PacketBuf,
        now: Timestamp,
    ) -> Result<Outbound, DropReason> {
        let level = self.spd.get(policy).level;
        let sa_id = match self.outbound.get(policy.index()).copied().flatten() {
            Some(id) if self.sad.get(id).is_some() => id,
            _ if level == Level::Use => return Ok(Outbound::Bypass),
            _ => return Err(DropReason::OutNoStates),
        };
        let sa = self.sad.get_mut(sa_id).ok_or(DropReason::OutNoStates)?;
        let sent = match sa.params().protocol {
            IpsecProtocol::Esp => esp::encapsulate(sa, buf, now)?,
            IpsecProtocol::Ah => ah::encapsulate(sa, buf, now)?,
        };
        Ok(Outbound::Protected { sa: sa_id, sent })
    }

    /// Reads the protocol and SPI of a received IPsec packet without processing it, so a
    /// runtime can hand the packet to the worker that owns the SA. Malformed headers are
    /// counted here.
    pub fn peek_inbound(&self, packet: &[u8]) -> Result<(IpsecProtocol, u32), DropReason> {
        self.counted(inbound_headers(packet).map(|h| (h.protocol, h.spi)))
    }

    /// Counts a drop decided outside the engine (e.g. a full hand-off queue).
    pub fn count_drop(&self, reason: DropReason) {
        self.stats.increment(reason.counter());
    }

    fn counted<T>(&self, result: Result<T, DropReason>) -> Result<T, DropReason> {
        if let Err(reason) = &result {
            self.stats.increment(reason.counter());
        }
        result
    }

    /// Processes a received IPsec packet: a whole IP packet carrying ESP, ESP-in-UDP or AH.
    pub fn inbound(&mut self, buf: &mut PacketBuf, now: Timestamp) -> Result<Inbound, DropReason> {
        let result = self.inbound_inner(buf, now);
        self.counted(result)
    }

    fn inbound_inner(
        &mut self,
        buf: &mut PacketBuf,
        now: Timestamp,
    ) -> Result<Inbound, DropReason> {
        let h = inbound_headers(buf.data())?;
        buf.truncate(h.ip_len);
        let id = self
            .sad
            .lookup_inbound(h.spi, h.protocol, h.outer.dst)
            .ok_or(DropReason::InNoStates)?;
        let sa = self.sad.get_mut(id).ok_or(DropReason::InNoStates)?;
        let Decapsulated { has_payload, event } = match h.protocol {
            IpsecProtocol::Esp => esp::decapsulate(sa, &h.outer, buf, now)?,
            IpsecProtocol::Ah => ah::decapsulate(sa, &h.outer, buf, now)?,
        };
        if !has_payload {
            return Ok(Inbound::Dummy { sa: id });
        }
        let policy = sa
            .policy
            .and_then(|i| self.spd.id_at(i))
            .ok_or(DropReason::InNoPolicies)?;
        let sel =
            Selector::from_packet(buf.data()).map_err(|_| DropReason::InTemplateMismatches)?;
        // The policy is written from this side (src = our network); the packet comes from the
        // other side, so compare it mirrored.
        let mirrored = Selector {
            src: sel.dst,
            dst: sel.src,
            protocol: sel.protocol,
            src_port: sel.dst_port,
            dst_port: sel.src_port,
        };
        if !self.spd.get(policy).matches(&mirrored) {
            return Err(DropReason::InTemplateMismatches);
        }
        Ok(Inbound::Deliver { sa: id, event })
    }
}

/// The outer framing of a received IPsec packet: protocol, SPI and parsed outer headers.
struct InboundHeaders {
    protocol: IpsecProtocol,
    spi: u32,
    /// The IP packet's own length; link-layer padding after it is not part of it.
    ip_len: usize,
    outer: OuterPacket,
}

fn inbound_headers(packet: &[u8]) -> Result<InboundHeaders, DropReason> {
    let outer = OuterPacket::parse(packet)?;
    let ip_len = outer.ip_len;
    let header = packet
        .get(outer.ipsec_offset..ip_len)
        .ok_or(DropReason::InHeaderErrors)?;
    let (protocol, spi) = match outer.protocol {
        proto::ESP => (
            IpsecProtocol::Esp,
            EspPacket::new_checked(header)
                .map_err(|_| DropReason::InHeaderErrors)?
                .spi(),
        ),
        proto::AH => (
            IpsecProtocol::Ah,
            AhHeader::new_checked(header)
                .map_err(|_| DropReason::InHeaderErrors)?
                .spi(),
        ),
        _ => return Err(DropReason::InNoStates),
    };
    Ok(InboundHeaders {
        protocol,
        spi,
        ip_len,
        outer,
    })
}
