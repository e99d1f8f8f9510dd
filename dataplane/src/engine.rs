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

/// What to do with an outbound packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbound {
    /// Send it unchanged (no policy, action none, IKE traffic, or level use without an SA).
    Bypass,
    /// `buf` now holds the protected packet.
    Protected { sa: SaId, sent: Encapsulated },
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
    spd: PolicyTable,
    sad: Sad,
    /// Outbound SA of each policy, indexed by policy row.
    outbound: Vec<Option<SaId>>,
    stats: Statistics,
}

impl Engine {
    pub fn new(spd: PolicyTable) -> Self {
        let outbound = vec![None; spd.len()];
        Self {
            spd,
            sad: Sad::new(),
            outbound,
            stats: Statistics::new(),
        }
    }

    pub fn spd(&self) -> &PolicyTable {
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
        let result = self.outbound_inner(buf, now);
        if let Err(reason) = result {
            self.stats.increment(reason.counter());
        }
        result
    }

    fn outbound_inner(
        &mut self,
        buf: &mut PacketBuf,
        now: Timestamp,
    ) -> Result<Outbound, DropReason> {
        let sel = Selector::from_packet(buf.data()).map_err(|_| DropReason::OutErrors)?;
        if is_ike_bypass(&sel, true) {
            return Ok(Outbound::Bypass);
        }
        let Some((policy, p)) = self.spd.lookup_policy(&sel) else {
            return Ok(Outbound::Bypass);
        };
        match p.action {
            PolicyAction::None => return Ok(Outbound::Bypass),
            PolicyAction::Discard => return Err(DropReason::OutPolicyBlocked),
            PolicyAction::Encrypt => {}
        }
        let level = p.level;
        let sa_id = match self.outbound[policy.index()] {
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

    /// Processes a received IPsec packet: a whole IP packet carrying ESP, ESP-in-UDP or AH.
    pub fn inbound(&mut self, buf: &mut PacketBuf, now: Timestamp) -> Result<Inbound, DropReason> {
        let result = self.inbound_inner(buf, now);
        if let Err(reason) = result {
            self.stats.increment(reason.counter());
        }
        result
    }

    fn inbound_inner(
        &mut self,
        buf: &mut PacketBuf,
        now: Timestamp,
    ) -> Result<Inbound, DropReason> {
        let outer = OuterPacket::parse(buf.data())?;
        // Link-layer padding after the IP packet is not part of it.
        let ip_len = crate::wire::ip::IpSummary::parse(buf.data())
            .map_err(|_| DropReason::InHeaderErrors)?
            .total_len;
        buf.truncate(ip_len);
        let at = outer.ipsec_offset;
        let header = buf.data().get(at..).ok_or(DropReason::InHeaderErrors)?;
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
        let id = self
            .sad
            .lookup_inbound(spi, protocol, outer.dst)
            .ok_or(DropReason::InNoStates)?;
        let sa = self.sad.get_mut(id).ok_or(DropReason::InNoStates)?;
        let Decapsulated { has_payload, event } = match protocol {
            IpsecProtocol::Esp => esp::decapsulate(sa, &outer, buf, now)?,
            IpsecProtocol::Ah => ah::decapsulate(sa, &outer, buf, now)?,
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
