//! Lookups the state machines make over a message's payloads ("the SA payload", "every
//! NAT_DETECTION_SOURCE_IP notify"), for any list of payloads or a whole message.

use super::auth::Authentication;
use super::cert::{CertRequest, Certificate};
use super::cp::ConfigPayload;
use super::delete::Delete;
use super::id::Identification;
use super::ke::KeyExchange;
use super::message::{Message, ParsedMessage};
use super::notify::{Notify, NotifyType};
use super::payload::Payload;
use super::sa::Proposal;
use super::ts::TrafficSelector;

/// Finds the first payload `$pat` binds, yielding `$out`.
macro_rules! first {
    ($self:ident, $pat:pat => $out:expr) => {
        $self.all().iter().find_map(|p| match p {
            $pat => Some($out),
            _ => None,
        })
    };
}

/// Lookups over a message's payloads; where a payload may appear once, the first wins.
pub trait Payloads {
    /// Every payload, in order.
    fn all(&self) -> &[Payload];

    /// The proposals of the SA payload.
    fn sa(&self) -> Option<Vec<Proposal>> {
        self.proposals().map(<[Proposal]>::to_vec)
    }
    /// The proposals of the SA payload, borrowed.
    fn proposals(&self) -> Option<&[Proposal]> {
        first!(self, Payload::Sa(s) => s.as_slice())
    }
    fn ke(&self) -> Option<&KeyExchange> {
        first!(self, Payload::Ke(k) => k)
    }
    fn nonce(&self) -> Option<&[u8]> {
        first!(self, Payload::Nonce(n) => n.as_slice())
    }
    fn id_i(&self) -> Option<&Identification> {
        first!(self, Payload::IdI(i) => i)
    }
    fn id_r(&self) -> Option<&Identification> {
        first!(self, Payload::IdR(i) => i)
    }
    fn auth(&self) -> Option<&Authentication> {
        first!(self, Payload::Auth(a) => a)
    }
    fn ts_i(&self) -> Option<&[TrafficSelector]> {
        first!(self, Payload::TsI(t) => t.as_slice())
    }
    fn ts_r(&self) -> Option<&[TrafficSelector]> {
        first!(self, Payload::TsR(t) => t.as_slice())
    }
    fn cp(&self) -> Option<&ConfigPayload> {
        first!(self, Payload::Cp(c) => c)
    }
    fn certs(&self) -> impl Iterator<Item = &Certificate> {
        self.all().iter().filter_map(|p| match p {
            Payload::Cert(c) => Some(c),
            _ => None,
        })
    }
    fn cert_requests(&self) -> impl Iterator<Item = &CertRequest> {
        self.all().iter().filter_map(|p| match p {
            Payload::CertReq(c) => Some(c),
            _ => None,
        })
    }
    fn vendor_ids(&self) -> impl Iterator<Item = &[u8]> {
        self.all().iter().filter_map(|p| match p {
            Payload::Vendor(v) => Some(v.as_slice()),
            _ => None,
        })
    }
    /// Every notify of `kind`, in order.
    fn notifies(&self, kind: NotifyType) -> impl Iterator<Item = &Notify> {
        self.all().iter().filter_map(move |p| match p {
            Payload::Notify(n) if n.kind == kind => Some(n),
            _ => None,
        })
    }
    /// The first notify of `kind`.
    fn find_notify(&self, kind: NotifyType) -> Option<&Notify> {
        self.notifies(kind).next()
    }
    fn has_notify(&self, kind: NotifyType) -> bool {
        self.find_notify(kind).is_some()
    }
    /// The first error notify, if any.
    fn error_notify(&self) -> Option<&Notify> {
        self.all().iter().find_map(|p| match p {
            Payload::Notify(n) if n.kind.is_error() => Some(n),
            _ => None,
        })
    }
    fn deletes(&self) -> impl Iterator<Item = &Delete> {
        self.all().iter().filter_map(|p| match p {
            Payload::Delete(d) => Some(d),
            _ => None,
        })
    }
}

impl Payloads for [Payload] {
    fn all(&self) -> &[Payload] {
        self
    }
}

impl Payloads for Vec<Payload> {
    fn all(&self) -> &[Payload] {
        self
    }
}

impl Payloads for ParsedMessage {
    /// The plaintext payloads (not those inside the encrypted payload).
    fn all(&self) -> &[Payload] {
        &self.payloads
    }
}

impl Payloads for Message {
    fn all(&self) -> &[Payload] {
        &self.payloads
    }
}

#[cfg(test)]
mod tests {
    use super::super::sa::ProtocolId;
    use super::*;

    #[test]
    fn lookups_find_the_first_of_each() {
        let payloads = vec![
            Payload::Notify(Notify::status(NotifyType::NAT_DETECTION_SOURCE_IP, vec![1])),
            Payload::Sa(vec![Proposal {
                number: 1,
                protocol: ProtocolId::IKE,
                spi: Vec::new(),
                transforms: Vec::new(),
            }]),
            Payload::Nonce(vec![0x42; 16]),
            Payload::Notify(Notify::status(NotifyType::NAT_DETECTION_SOURCE_IP, vec![2])),
            Payload::Notify(Notify::error(NotifyType::NO_PROPOSAL_CHOSEN)),
            Payload::Vendor(vec![9]),
            Payload::Delete(Delete::ike()),
        ];
        assert_eq!(payloads.sa().map(|s| s.len()), Some(1));
        assert_eq!(payloads.proposals().map(<[_]>::len), Some(1));
        assert_eq!(payloads.nonce(), Some(&[0x42; 16][..]));
        assert_eq!(
            payloads
                .notifies(NotifyType::NAT_DETECTION_SOURCE_IP)
                .count(),
            2
        );
        assert_eq!(
            payloads
                .find_notify(NotifyType::NAT_DETECTION_SOURCE_IP)
                .map(|n| n.data.clone()),
            Some(vec![1])
        );
        assert!(!payloads.has_notify(NotifyType::COOKIE));
        assert_eq!(
            payloads.error_notify().map(|n| n.kind),
            Some(NotifyType::NO_PROPOSAL_CHOSEN)
        );
        assert_eq!(payloads.vendor_ids().count(), 1);
        assert_eq!(payloads.deletes().count(), 1);
        assert!(payloads.ke().is_none() && payloads.id_i().is_none() && payloads.ts_i().is_none());
        assert!(payloads.cp().is_none() && payloads.certs().next().is_none());
        assert!(payloads[..0].nonce().is_none());
    }
}
