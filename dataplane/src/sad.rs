//! The Security Association Database: installed SAs, found by handle, and inbound SAs by
//! (SPI, protocol) as RFC 4301 4.1 allows for unicast SAs; the destination is checked after.

use crate::sa::{Direction, IpsecProtocol, SecurityAssociation};
use std::collections::HashMap;
use std::net::IpAddr;

/// A stable handle to an installed SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SaId(pub u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SadError {
    #[error("an inbound {protocol} SA with SPI {spi:#x} is already installed")]
    DuplicateSpi { spi: u32, protocol: &'static str },
}

/// All SAs of one engine.
#[derive(Default)]
pub struct Sad {
    slots: Vec<Option<SecurityAssociation>>,
    free: Vec<u32>,
    inbound: HashMap<(u32, IpsecProtocol), SaId>,
}

impl Sad {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, sa: SecurityAssociation) -> Result<SaId, SadError> {
        let p = sa.params();
        let key = (p.spi, p.protocol);
        let inbound = p.direction == Direction::Inbound;
        if inbound && self.inbound.contains_key(&key) {
            return Err(SadError::DuplicateSpi {
                spi: p.spi,
                protocol: p.protocol.name(),
            });
        }
        let id = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(sa);
                SaId(i)
            }
            None => {
                self.slots.push(Some(sa));
                SaId(self.slots.len() as u32 - 1)
            }
        };
        if inbound {
            self.inbound.insert(key, id);
        }
        Ok(id)
    }

    pub fn remove(&mut self, id: SaId) -> Option<SecurityAssociation> {
        let sa = self.slots.get_mut(id.0 as usize)?.take()?;
        let p = sa.params();
        if p.direction == Direction::Inbound {
            self.inbound.remove(&(p.spi, p.protocol));
        }
        self.free.push(id.0);
        Some(sa)
    }

    pub fn get(&self, id: SaId) -> Option<&SecurityAssociation> {
        self.slots.get(id.0 as usize)?.as_ref()
    }

    pub fn get_mut(&mut self, id: SaId) -> Option<&mut SecurityAssociation> {
        self.slots.get_mut(id.0 as usize)?.as_mut()
    }

    /// The inbound SA for a received SPI, or `None` (counted as in-no-states) when the SPI is
    /// unknown or the packet's destination is not the SA's.
    pub fn lookup_inbound(&self, spi: u32, protocol: IpsecProtocol, dst: IpAddr) -> Option<SaId> {
        let id = *self.inbound.get(&(spi, protocol))?;
        let sa = self.get(id)?;
        (sa.params().dst == dst).then_some(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (SaId, &SecurityAssociation)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|sa| (SaId(i as u32), sa)))
    }

    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every SA (`installed-sa flush`).
    pub fn flush(&mut self) {
        self.slots.clear();
        self.free.clear();
        self.inbound.clear();
    }
}
