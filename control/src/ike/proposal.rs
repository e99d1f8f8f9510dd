//! From configuration to SA payloads and back: the proposals tunsec offers (a profile for the
//! IKE SA, a `[[proposal]]` for child SAs), the choice a responder makes among a peer's
//! proposals, and the check an initiator makes of the responder's choice.
//!
//! Mismatches are explained the way RouterOS logs them (`rejected enctype: DB(prop#1:trns#2):
//! Peer(prop#1:trns#1) = AES-CBC:3DES-CBC`, then `no suitable proposal found.`), the local
//! value before the colon, the peer's after it, so an operator can see which setting differs.

use tunsec_dataplane::crypto::{AuthAlgorithm, EncAlgorithm, KeyBits};

use super::crypto::{DhGroup as Group, IkeEncr, IkeInteg, Prf};
use super::wire::{Proposal, ProtocolId, Transform, TransformType};
use crate::config::{self, DhGroup, HashAlgorithm, IkeEncAlgorithm, Profile};

/// IANA IKEv2 transform IDs (RFC 7296 3.3.2 and the registries it points to).
pub(crate) mod id {
    pub const ENCR_DES: u16 = 2;
    pub const ENCR_3DES: u16 = 3;
    pub const ENCR_BLOWFISH: u16 = 7;
    pub const ENCR_NULL: u16 = 11;
    pub const ENCR_AES_CBC: u16 = 12;
    pub const ENCR_AES_CTR: u16 = 13;
    pub const ENCR_AES_GCM_8: u16 = 18;
    pub const ENCR_AES_GCM_12: u16 = 19;
    pub const ENCR_AES_GCM_16: u16 = 20;
    pub const ENCR_NULL_AUTH_AES_GMAC: u16 = 21;
    pub const ENCR_CAMELLIA_CBC: u16 = 23;
    pub const ENCR_CHACHA20_POLY1305: u16 = 28;
    pub const AUTH_NONE: u16 = 0;
    pub const AUTH_HMAC_MD5_96: u16 = 1;
    pub const AUTH_HMAC_SHA1_96: u16 = 2;
    pub const AUTH_HMAC_SHA2_256_128: u16 = 12;
    pub const AUTH_HMAC_SHA2_384_192: u16 = 13;
    pub const AUTH_HMAC_SHA2_512_256: u16 = 14;
    pub const PRF_HMAC_SHA2_256: u16 = 5;
    pub const PRF_HMAC_SHA2_512: u16 = 7;
    pub const ESN_NO: u16 = 0;
    pub const ESN_YES: u16 = 1;
}

/// What an IKE SA runs with once negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IkeSuite {
    pub encr: IkeEncr,
    pub integ: IkeInteg,
    pub prf: Prf,
    pub dh: Group,
}

/// What a child SA runs with once negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildSuite {
    pub enc: EncAlgorithm,
    pub auth: AuthAlgorithm,
    pub esn: bool,
    /// The PFS group of a CREATE_CHILD_SA exchange (never in IKE_AUTH, RFC 7296 1.2).
    pub dh: Option<Group>,
}

/// The IKEv2 group of a configured DH group (`None` for the IKEv1-only EC2N groups): the
/// config's keywords are the crypto layer's group names.
pub fn group_of(g: DhGroup) -> Option<Group> {
    Group::ALL.into_iter().find(|x| x.name() == g.name())
}

fn prf_of(h: HashAlgorithm) -> Option<Prf> {
    match h {
        HashAlgorithm::Sha1 => Some(Prf::HmacSha1),
        HashAlgorithm::Sha256 => Some(Prf::HmacSha256),
        HashAlgorithm::Sha512 => Some(Prf::HmacSha512),
        HashAlgorithm::Md5 => None,
    }
}

fn integ_of(h: HashAlgorithm) -> Option<IkeInteg> {
    match h {
        HashAlgorithm::Sha1 => Some(IkeInteg::HmacSha1_96),
        HashAlgorithm::Sha256 => Some(IkeInteg::HmacSha256_128),
        HashAlgorithm::Sha512 => Some(IkeInteg::HmacSha512_256),
        HashAlgorithm::Md5 => None,
    }
}

fn ike_encr_of(e: IkeEncAlgorithm) -> Option<IkeEncr> {
    Some(match e {
        IkeEncAlgorithm::Aes128 => IkeEncr::AesCbc { key_len: 16 },
        IkeEncAlgorithm::Aes192 => IkeEncr::AesCbc { key_len: 24 },
        IkeEncAlgorithm::Aes256 => IkeEncr::AesCbc { key_len: 32 },
        IkeEncAlgorithm::Aes128Gcm => IkeEncr::AesGcm {
            key_len: 16,
            icv_len: 16,
        },
        IkeEncAlgorithm::Aes256Gcm => IkeEncr::AesGcm {
            key_len: 32,
            icv_len: 16,
        },
        IkeEncAlgorithm::ChaCha20Poly1305 => IkeEncr::ChaCha20Poly1305,
        _ => return None,
    })
}

fn transform(kind: TransformType, id: u16, key_length: Option<u16>) -> Transform {
    Transform {
        kind,
        id,
        key_length,
    }
}

fn ike_encr_transform(e: IkeEncr) -> Transform {
    let (id, bits) = match e {
        IkeEncr::AesCbc { key_len } => (id::ENCR_AES_CBC, Some(key_len as u16 * 8)),
        IkeEncr::AesGcm { key_len, icv_len } => (gcm_id(icv_len), Some(key_len as u16 * 8)),
        IkeEncr::ChaCha20Poly1305 => (id::ENCR_CHACHA20_POLY1305, None),
    };
    transform(TransformType::ENCR, id, bits)
}

fn gcm_id(icv_len: usize) -> u16 {
    match icv_len {
        8 => id::ENCR_AES_GCM_8,
        12 => id::ENCR_AES_GCM_12,
        _ => id::ENCR_AES_GCM_16,
    }
}

fn dh_transform(g: Group) -> Transform {
    transform(TransformType::DH, g.id(), None)
}

/// The IKE SA proposals a profile offers: one for its CBC ciphers (with integrity) and one
/// for its AEAD ciphers (which must not carry an integrity transform, RFC 5282 8), each with
/// the profile's PRF and DH groups in the configured order. `spi` is empty in IKE_SA_INIT
/// and the new IKE SPI when rekeying (RFC 7296 3.3.1).
pub fn ike_proposals(profile: &Profile, spi: &[u8]) -> Vec<Proposal> {
    let Some(prf) = prf_of(profile.hash_algorithm) else {
        return Vec::new();
    };
    let groups: Vec<Group> = profile
        .dh_group
        .iter()
        .filter_map(|g| group_of(*g))
        .collect();
    let ciphers: Vec<IkeEncr> = profile
        .enc_algorithm
        .iter()
        .filter_map(|e| ike_encr_of(*e))
        .collect();
    let mut out = Vec::new();
    for aead in [false, true] {
        let encrs: Vec<IkeEncr> = ciphers
            .iter()
            .copied()
            .filter(|e| e.is_aead() == aead)
            .collect();
        if encrs.is_empty() {
            continue;
        }
        let mut t: Vec<Transform> = encrs.iter().map(|e| ike_encr_transform(*e)).collect();
        t.push(transform(TransformType::PRF, prf.transform_id(), None));
        if !aead {
            let Some(integ) = integ_of(profile.hash_algorithm) else {
                continue;
            };
            t.push(transform(TransformType::INTEG, integ.transform_id(), None));
        }
        t.extend(groups.iter().map(|g| dh_transform(*g)));
        out.push(Proposal {
            number: out.len() as u8 + 1,
            protocol: ProtocolId::IKE,
            spi: spi.to_vec(),
            transforms: t,
        });
    }
    out
}

/// The DH groups a profile allows, in the configured order (the first is what an initiator
/// sends its KE payload for).
pub fn ike_groups(profile: &Profile) -> Vec<Group> {
    profile
        .dh_group
        .iter()
        .filter_map(|g| group_of(*g))
        .collect()
}

fn esp_enc_transform(e: EncAlgorithm) -> Option<Transform> {
    let bits = |k: KeyBits| Some(k.bytes() as u16 * 8);
    let (tid, len) = match e {
        EncAlgorithm::Null => (id::ENCR_NULL, None),
        EncAlgorithm::Des => (id::ENCR_DES, None),
        EncAlgorithm::TripleDes => (id::ENCR_3DES, None),
        EncAlgorithm::AesCbc(k) => (id::ENCR_AES_CBC, bits(k)),
        EncAlgorithm::AesCtr(k) => (id::ENCR_AES_CTR, bits(k)),
        EncAlgorithm::AesGcm { key, icv_len } => (gcm_id(usize::from(icv_len)), bits(key)),
        EncAlgorithm::AesGmac(k) => (id::ENCR_NULL_AUTH_AES_GMAC, bits(k)),
        EncAlgorithm::Blowfish => (id::ENCR_BLOWFISH, Some(128)),
        EncAlgorithm::CamelliaCbc(k) => (id::ENCR_CAMELLIA_CBC, bits(k)),
        EncAlgorithm::ChaCha20Poly1305 => (id::ENCR_CHACHA20_POLY1305, None),
        // Twofish has no IKEv2 transform ID.
        EncAlgorithm::Twofish => return None,
    };
    Some(transform(TransformType::ENCR, tid, len))
}

fn esp_enc_from(t: &Transform) -> Option<EncAlgorithm> {
    EncAlgorithm::all()
        .iter()
        .copied()
        .find(|e| esp_enc_transform(*e).as_ref() == Some(t))
}

fn auth_id(a: AuthAlgorithm) -> u16 {
    match a {
        AuthAlgorithm::Null => id::AUTH_NONE,
        AuthAlgorithm::Md5 => id::AUTH_HMAC_MD5_96,
        AuthAlgorithm::Sha1 => id::AUTH_HMAC_SHA1_96,
        AuthAlgorithm::Sha256 => id::AUTH_HMAC_SHA2_256_128,
        AuthAlgorithm::Sha384 => id::AUTH_HMAC_SHA2_384_192,
        AuthAlgorithm::Sha512 => id::AUTH_HMAC_SHA2_512_256,
    }
}

fn auth_from(tid: u16) -> Option<AuthAlgorithm> {
    AuthAlgorithm::all()
        .iter()
        .copied()
        .find(|a| auth_id(*a) == tid)
}

/// The ESP proposals a `[[proposal]]` offers, with our inbound SPI: AEAD and non-AEAD
/// ciphers in separate proposals, ESN off preferred (strongSwan's libipsec and many
/// routers only do 32-bit sequence numbers) and on accepted. `pfs` adds the DH transform
/// of a CREATE_CHILD_SA exchange.
pub fn esp_proposals(p: &config::Proposal, spi: u32, pfs: Option<Group>) -> Vec<Proposal> {
    let mut out = Vec::new();
    for aead in [true, false] {
        let mut t: Vec<Transform> = p
            .enc_algorithms
            .iter()
            .filter(|e| e.is_aead() == aead)
            .filter_map(|e| esp_enc_transform(*e))
            .collect();
        if t.is_empty() {
            continue;
        }
        if !aead {
            let auths: Vec<Transform> = p
                .auth_algorithms
                .iter()
                .map(|a| transform(TransformType::INTEG, auth_id(*a), None))
                .collect();
            t.extend(auths);
        }
        if let Some(g) = pfs {
            t.push(dh_transform(g));
        }
        t.push(transform(TransformType::ESN, id::ESN_NO, None));
        t.push(transform(TransformType::ESN, id::ESN_YES, None));
        out.push(Proposal {
            number: out.len() as u8 + 1,
            protocol: ProtocolId::ESP,
            spi: spi.to_be_bytes().to_vec(),
            transforms: t,
        });
    }
    out
}

/// One rejected transform, as RouterOS logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub what: &'static str,
    pub local: String,
    pub peer: String,
    pub peer_proposal: u8,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rejected {}: DB:Peer(prop#{}) = {}:{}",
            self.what, self.peer_proposal, self.local, self.peer
        )
    }
}

/// Why no proposal could be chosen: every transform type that had no match, per peer proposal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NoProposal {
    pub rejections: Vec<Rejection>,
}

impl NoProposal {
    /// The log lines: each rejection, then the manual's summary line.
    pub fn log_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.rejections.iter().map(|r| r.to_string()).collect();
        lines.push("no suitable proposal found.".to_owned());
        lines
    }
}

fn names(ts: &[&Transform], name: impl Fn(&Transform) -> String) -> String {
    if ts.is_empty() {
        "none".to_owned()
    } else {
        ts.iter().map(|t| name(t)).collect::<Vec<_>>().join(",")
    }
}

#[allow(clippy::too_many_arguments)]
/// Picks, for one transform type, the first of the peer's transforms we accept (the peer
/// lists them in its order of preference), or records why none matched.
fn pick<T: Copy>(
    peer: &Proposal,
    kind: TransformType,
    what: &'static str,
    ours: &[T],
    matches: impl Fn(&T, &Transform) -> bool,
    local_name: impl Fn(&T) -> String,
    peer_name: impl Fn(&Transform) -> String,
    rejections: &mut Vec<Rejection>,
) -> Option<T> {
    let offered: Vec<&Transform> = peer.transforms.iter().filter(|t| t.kind == kind).collect();
    for t in &offered {
        if let Some(o) = ours.iter().find(|o| matches(o, t)) {
            return Some(*o);
        }
    }
    rejections.push(Rejection {
        what,
        local: if ours.is_empty() {
            "none".to_owned()
        } else {
            ours.iter().map(&local_name).collect::<Vec<_>>().join(",")
        },
        peer: names(&offered, peer_name),
        peer_proposal: peer.number,
    });
    None
}

fn encr_name(t: &Transform) -> String {
    let base = match t.id {
        id::ENCR_DES => "DES-CBC",
        id::ENCR_3DES => "3DES-CBC",
        id::ENCR_BLOWFISH => "BLOWFISH-CBC",
        id::ENCR_NULL => "NULL",
        id::ENCR_AES_CBC => "AES-CBC",
        id::ENCR_AES_CTR => "AES-CTR",
        id::ENCR_AES_GCM_8 => "AES-GCM-8",
        id::ENCR_AES_GCM_12 => "AES-GCM-12",
        id::ENCR_AES_GCM_16 => "AES-GCM",
        id::ENCR_NULL_AUTH_AES_GMAC => "AES-GMAC",
        id::ENCR_CAMELLIA_CBC => "CAMELLIA-CBC",
        id::ENCR_CHACHA20_POLY1305 => "CHACHA20-POLY1305",
        other => return format!("ENCR#{other}"),
    };
    match t.key_length {
        Some(bits) => format!("{base}-{bits}"),
        None => base.to_owned(),
    }
}

fn hash_name(kind: TransformType, tid: u16) -> String {
    let n = match (kind == TransformType::PRF, tid) {
        (_, id::AUTH_HMAC_SHA1_96) => "SHA1",
        (true, id::PRF_HMAC_SHA2_256) | (false, id::AUTH_HMAC_SHA2_256_128) => "SHA256",
        (true, 6) | (false, id::AUTH_HMAC_SHA2_384_192) => "SHA384",
        (true, id::PRF_HMAC_SHA2_512) | (false, id::AUTH_HMAC_SHA2_512_256) => "SHA512",
        (_, id::AUTH_HMAC_MD5_96) => "MD5",
        (false, id::AUTH_NONE) => "NONE",
        (_, other) => return format!("#{other}"),
    };
    n.to_owned()
}

fn group_name(tid: u16) -> String {
    match Group::from_id(tid) {
        Some(g) => g.name().to_owned(),
        None => format!("group#{tid}"),
    }
}

/// Responder side of IKE_SA_INIT (and of an IKE SA rekey): the first of the peer's IKE
/// proposals the profile accepts, with the proposal as echoed back (one transform of each
/// type, the peer's proposal number and `spi`).
pub fn choose_ike(
    profile: &Profile,
    offered: &[Proposal],
    spi: &[u8],
) -> Result<(IkeSuite, Proposal), NoProposal> {
    let mut rejections = Vec::new();
    let prf_ours: Vec<Prf> = prf_of(profile.hash_algorithm).into_iter().collect();
    let integ_ours: Vec<IkeInteg> = integ_of(profile.hash_algorithm).into_iter().collect();
    let encr_ours: Vec<IkeEncr> = profile
        .enc_algorithm
        .iter()
        .filter_map(|e| ike_encr_of(*e))
        .collect();
    let groups = ike_groups(profile);
    for p in offered.iter().filter(|p| p.protocol == ProtocolId::IKE) {
        let encr = pick(
            p,
            TransformType::ENCR,
            "enctype",
            &encr_ours,
            |o, t| ike_encr_transform(*o) == *t,
            |o| encr_name(&ike_encr_transform(*o)),
            encr_name,
            &mut rejections,
        );
        let prf = pick(
            p,
            TransformType::PRF,
            "prf",
            &prf_ours,
            |o, t| o.transform_id() == t.id,
            |o| hash_name(TransformType::PRF, o.transform_id()),
            |t| hash_name(TransformType::PRF, t.id),
            &mut rejections,
        );
        let aead = encr.is_some_and(|e| e.is_aead());
        let integ = if aead {
            // An AEAD proposal has no integrity transform, or only NONE.
            let offered_integ: Vec<&Transform> = p
                .transforms
                .iter()
                .filter(|t| t.kind == TransformType::INTEG && t.id != id::AUTH_NONE)
                .collect();
            offered_integ.is_empty().then_some(IkeInteg::None)
        } else {
            pick(
                p,
                TransformType::INTEG,
                "hashtype",
                &integ_ours,
                |o, t| o.transform_id() == t.id,
                |o| hash_name(TransformType::INTEG, o.transform_id()),
                |t| hash_name(TransformType::INTEG, t.id),
                &mut rejections,
            )
        };
        let dh = pick(
            p,
            TransformType::DH,
            "dh group",
            &groups,
            |o, t| o.id() == t.id,
            |o| o.name().to_owned(),
            |t| group_name(t.id),
            &mut rejections,
        );
        if let (Some(encr), Some(prf), Some(integ), Some(dh)) = (encr, prf, integ, dh) {
            let mut t = vec![
                ike_encr_transform(encr),
                transform(TransformType::PRF, prf.transform_id(), None),
            ];
            if !aead {
                t.push(transform(TransformType::INTEG, integ.transform_id(), None));
            }
            t.push(dh_transform(dh));
            let chosen = Proposal {
                number: p.number,
                protocol: ProtocolId::IKE,
                spi: spi.to_vec(),
                transforms: t,
            };
            return Ok((
                IkeSuite {
                    encr,
                    integ,
                    prf,
                    dh,
                },
                chosen,
            ));
        }
    }
    Err(NoProposal { rejections })
}

/// Initiator side: the responder's single chosen IKE proposal must be one we offered.
pub fn accept_ike(profile: &Profile, chosen: &[Proposal]) -> Result<IkeSuite, NoProposal> {
    let [one] = chosen else {
        return Err(NoProposal::default());
    };
    let ours = ike_proposals(profile, &[]);
    if !ours.iter().any(|p| p.number == one.number) {
        return Err(NoProposal::default());
    }
    choose_ike(profile, chosen, &one.spi).map(|(suite, _)| suite)
}

/// Responder side of a child SA negotiation: the first of the peer's ESP proposals our
/// `[[proposal]]` accepts. `pfs` is the DH group the exchange must carry (`None`: no KE in
/// the exchange, as in IKE_AUTH, or pfs-group none); `spi` is our new inbound SPI.
pub fn choose_esp(
    ours: &config::Proposal,
    offered: &[Proposal],
    pfs: Option<Group>,
    spi: u32,
) -> Result<(ChildSuite, Proposal, u32), NoProposal> {
    let mut rejections = Vec::new();
    let groups: Vec<Group> = pfs.into_iter().collect();
    for p in offered.iter().filter(|p| p.protocol == ProtocolId::ESP) {
        let Ok(peer_spi) = <[u8; 4]>::try_from(p.spi.as_slice()) else {
            continue;
        };
        let enc = pick(
            p,
            TransformType::ENCR,
            "enctype",
            &ours.enc_algorithms,
            |o, t| esp_enc_transform(*o).as_ref() == Some(t),
            |o| esp_enc_transform(*o).map_or_else(|| o.name().to_owned(), |t| encr_name(&t)),
            encr_name,
            &mut rejections,
        );
        let aead = enc.is_some_and(|e| e.is_aead());
        let auth = if aead {
            let offered_integ = p
                .transforms
                .iter()
                .any(|t| t.kind == TransformType::INTEG && t.id != id::AUTH_NONE);
            (!offered_integ).then_some(AuthAlgorithm::Null)
        } else {
            pick(
                p,
                TransformType::INTEG,
                "hashtype",
                &ours.auth_algorithms,
                |o, t| auth_id(*o) == t.id,
                |o| hash_name(TransformType::INTEG, auth_id(*o)),
                |t| hash_name(TransformType::INTEG, t.id),
                &mut rejections,
            )
        };
        let offered_dh: Vec<u16> = p
            .transforms
            .iter()
            .filter(|t| t.kind == TransformType::DH && t.id != 0)
            .map(|t| t.id)
            .collect();
        let dh = match pfs {
            None if offered_dh.is_empty() => Some(None),
            None => {
                rejections.push(Rejection {
                    what: "pfs group",
                    local: "none".to_owned(),
                    peer: offered_dh
                        .iter()
                        .map(|g| group_name(*g))
                        .collect::<Vec<_>>()
                        .join(","),
                    peer_proposal: p.number,
                });
                None
            }
            Some(_) => pick(
                p,
                TransformType::DH,
                "pfs group",
                &groups,
                |o, t| o.id() == t.id,
                |o| o.name().to_owned(),
                |t| group_name(t.id),
                &mut rejections,
            )
            .map(Some),
        };
        let esn_ids: Vec<u16> = p
            .transforms
            .iter()
            .filter(|t| t.kind == TransformType::ESN)
            .map(|t| t.id)
            .collect();
        // No ESN transform at all is read as "no ESN" (some implementations omit it).
        let esn = if esn_ids.is_empty() || esn_ids.contains(&id::ESN_NO) {
            Some(false)
        } else if esn_ids.contains(&id::ESN_YES) {
            Some(true)
        } else {
            None
        };
        if let (Some(enc), Some(auth), Some(dh), Some(esn)) = (enc, auth, dh, esn) {
            let mut t = Vec::new();
            t.extend(esp_enc_transform(enc));
            if !aead {
                t.push(transform(TransformType::INTEG, auth_id(auth), None));
            }
            if let Some(g) = dh {
                t.push(dh_transform(g));
            }
            t.push(transform(
                TransformType::ESN,
                if esn { id::ESN_YES } else { id::ESN_NO },
                None,
            ));
            let chosen = Proposal {
                number: p.number,
                protocol: ProtocolId::ESP,
                spi: spi.to_be_bytes().to_vec(),
                transforms: t,
            };
            return Ok((
                ChildSuite { enc, auth, esn, dh },
                chosen,
                u32::from_be_bytes(peer_spi),
            ));
        }
    }
    Err(NoProposal { rejections })
}

/// Initiator side: the responder's chosen ESP proposal must be one of ours; gives the suite
/// and the responder's inbound SPI (our outbound SPI).
pub fn accept_esp(
    ours: &config::Proposal,
    chosen: &[Proposal],
    pfs: Option<Group>,
) -> Result<(ChildSuite, u32), NoProposal> {
    let [_one] = chosen else {
        return Err(NoProposal::default());
    };
    choose_esp(ours, chosen, pfs, 0).map(|(suite, _, peer_spi)| (suite, peer_spi))
}

/// The ESP algorithms of a negotiated transform, for logs (`aes-128-gcm`, `aes-256-cbc/sha256`).
pub fn describe_child(s: &ChildSuite) -> String {
    if s.enc.is_aead() || s.auth == AuthAlgorithm::Null {
        s.enc.name().to_owned()
    } else {
        format!("{}/{}", s.enc.name(), s.auth.name())
    }
}

/// Reads an ESP transform from the wire, for tests and logs.
pub fn esp_enc_of(t: &Transform) -> Option<EncAlgorithm> {
    esp_enc_from(t)
}

/// Reads an integrity transform from the wire.
pub fn auth_of(tid: u16) -> Option<AuthAlgorithm> {
    auth_from(tid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_crypto_group_has_its_config_keyword_and_ec2n_has_none() {
        for g in Group::ALL {
            let configured: DhGroup = g.name().parse().unwrap();
            assert_eq!(group_of(configured), Some(g), "{}", g.name());
        }
        assert_eq!(group_of(DhGroup::Ec2n155), None);
        assert_eq!(group_of(DhGroup::Modp2048).map(Group::id), Some(14));
    }
}
