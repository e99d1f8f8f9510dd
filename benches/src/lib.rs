//! Shared pieces of tunsec's benchmarks and allocation tests.
//!
//! [`TRANSFORMS`] lists what is measured; [`sa_pair`] keys an outbound and an inbound SA for
//! one of them; [`encap_into`] and [`decap_from`] run the engine the way a worker does (one
//! copy of the packet into a pool buffer, then the transform in place, no allocation); and
//! [`raw`] holds the "ceiling" baselines: the same RustCrypto crates the engine uses, doing
//! only the cryptography over the same number of bytes with pre-built key schedules.
//!
//! Everything here panics on a setup error (a wrong key length, a packet that does not round
//! trip): a benchmark that measures a failing path would report nonsense.

use std::net::{IpAddr, Ipv4Addr};

use tunsec_dataplane::DropReason;
use tunsec_dataplane::buf::{DEFAULT_HEADROOM, DEFAULT_TAILROOM, PacketBuf};
use tunsec_dataplane::crypto::{
    AuthAlgorithm, EncAlgorithm, EspTransform, KeyBits, build_esp_transform,
};
use tunsec_dataplane::mode::OuterPacket;
use tunsec_dataplane::sa::{
    Direction, IpsecProtocol, Lifetime, Mode, Padding, SaParams, SecurityAssociation, Timestamp,
};
use tunsec_dataplane::wire::esp::TRAILER_LEN as ESP_TRAILER_LEN;
use tunsec_dataplane::wire::ipv4::{self, Ipv4Repr};
use tunsec_dataplane::wire::udp::{self, UdpRepr};
use tunsec_dataplane::wire::{checksum, proto};
use tunsec_dataplane::{ah, esp};
use zeroize::Zeroizing;

/// The engine reads no clock; every call gets this.
pub const NOW: Timestamp = Timestamp(1_000);

/// Inner IP packet lengths measured (bytes the TUN device hands over, IPv4 header included).
pub const SIZES: [usize; 4] = [64, 512, 1400, 9000];

/// The replay window of inbound SAs: the engine's default, so decapsulation pays for it.
pub const REPLAY_WINDOW: u32 = tunsec_dataplane::replay::DEFAULT_WINDOW;

/// One transform under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transform {
    /// Benchmark name; also the key that pairs an engine benchmark with its raw baseline.
    pub name: &'static str,
    pub protocol: IpsecProtocol,
    pub enc: EncAlgorithm,
    pub auth: AuthAlgorithm,
}

impl Transform {
    const fn esp(name: &'static str, enc: EncAlgorithm, auth: AuthAlgorithm) -> Self {
        Self {
            name,
            protocol: IpsecProtocol::Esp,
            enc,
            auth,
        }
    }

    /// Benchmark id prefix for the engine side: `esp` or `ah`.
    pub fn engine_prefix(&self) -> &'static str {
        self.protocol.name()
    }
}

/// Every transform the benchmark and the allocation test cover.
pub const TRANSFORMS: &[Transform] = &[
    Transform::esp(
        "aes-128-gcm",
        EncAlgorithm::AesGcm {
            key: KeyBits::K128,
            icv_len: 16,
        },
        AuthAlgorithm::Null,
    ),
    Transform::esp(
        "aes-256-gcm",
        EncAlgorithm::AesGcm {
            key: KeyBits::K256,
            icv_len: 16,
        },
        AuthAlgorithm::Null,
    ),
    Transform::esp(
        "chacha20-poly1305",
        EncAlgorithm::ChaCha20Poly1305,
        AuthAlgorithm::Null,
    ),
    Transform::esp(
        "aes-128-cbc-sha1",
        EncAlgorithm::AesCbc(KeyBits::K128),
        AuthAlgorithm::Sha1,
    ),
    Transform::esp(
        "aes-256-cbc-sha256",
        EncAlgorithm::AesCbc(KeyBits::K256),
        AuthAlgorithm::Sha256,
    ),
    Transform::esp(
        "aes-128-ctr-sha256",
        EncAlgorithm::AesCtr(KeyBits::K128),
        AuthAlgorithm::Sha256,
    ),
    Transform::esp("null-sha256", EncAlgorithm::Null, AuthAlgorithm::Sha256),
    Transform::esp(
        "aes-128-gmac",
        EncAlgorithm::AesGmac(KeyBits::K128),
        AuthAlgorithm::Null,
    ),
    Transform::esp("3des-sha1", EncAlgorithm::TripleDes, AuthAlgorithm::Sha1),
    Transform {
        name: "hmac-sha256",
        protocol: IpsecProtocol::Ah,
        enc: EncAlgorithm::Null,
        auth: AuthAlgorithm::Sha256,
    },
];

/// Deterministic key bytes (benchmarks need no secrecy, only the right length).
pub fn key(len: usize, seed: u8) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect(),
    )
}

/// Outer tunnel endpoints.
pub const OUTER_SRC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
pub const OUTER_DST: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);

/// SPI of every SA the benchmarks install.
pub const SPI: u32 = 0x1000_2001;

/// Parameters of one direction of a tunnel-mode IPv4 SA for `t`.
pub fn sa_params(t: &Transform, direction: Direction) -> SaParams {
    SaParams {
        spi: SPI,
        direction,
        protocol: t.protocol,
        mode: Mode::Tunnel,
        src: IpAddr::V4(OUTER_SRC),
        dst: IpAddr::V4(OUTER_DST),
        encap: None,
        enc: t.enc,
        enc_key: key(t.enc.key_len(), 1),
        auth: t.auth,
        auth_key: key(t.auth.key_len(), 2),
        esn: false,
        replay_window: REPLAY_WINDOW,
        lifetime: Lifetime::default(),
        padding: Padding::Minimal,
        iv_seed: 0x0102_0304_0506_0708,
    }
}

/// The ESP transform object an SA for `t` runs (same keys and IV seed as [`sa_params`]), for
/// measuring it without the framing around it; `None` for AH.
pub fn esp_transform(t: &Transform) -> Option<Box<dyn EspTransform>> {
    if t.protocol != IpsecProtocol::Esp {
        return None;
    }
    let p = sa_params(t, Direction::Outbound);
    let built = build_esp_transform(p.enc, &p.enc_key, p.auth, &p.auth_key, p.iv_seed)
        .unwrap_or_else(|e| panic!("{}: cannot build transform: {e}", t.name));
    Some(built)
}

/// ESP payload bytes (inner packet, padding, trailer) for an inner packet of `len` bytes.
pub fn esp_payload_len(transform: &dyn EspTransform, len: usize) -> usize {
    (len + ESP_TRAILER_LEN).next_multiple_of(transform.block_len())
}

/// The 8-byte ESP header (SPI, sequence number) of packet `seq` of the SAs [`sa_params`] makes.
pub fn esp_header(seq: u32) -> [u8; 8] {
    let mut h = [0u8; 8];
    h[..4].copy_from_slice(&SPI.to_be_bytes());
    h[4..].copy_from_slice(&seq.to_be_bytes());
    h
}

/// A fresh SA for `t` in `direction` (outbound starts at sequence number 1).
pub fn new_sa(t: &Transform, direction: Direction) -> SecurityAssociation {
    SecurityAssociation::new(sa_params(t, direction), NOW)
        .unwrap_or_else(|e| panic!("{}: cannot install SA: {e}", t.name))
}

/// Outbound and inbound SA of one tunnel.
pub fn sa_pair(t: &Transform) -> (SecurityAssociation, SecurityAssociation) {
    (
        new_sa(t, Direction::Outbound),
        new_sa(t, Direction::Inbound),
    )
}

/// An IPv4/UDP packet of exactly `len` bytes (at least 28) with checksums filled in; `tag`
/// varies the payload bytes so packets in a ring differ.
pub fn inner_packet(len: usize, tag: u8) -> Vec<u8> {
    let header = ipv4::HEADER_LEN + udp::HEADER_LEN;
    assert!(len >= header, "inner packet must hold IPv4 + UDP headers");
    let mut p = vec![0u8; len];
    Ipv4Repr {
        src: Ipv4Addr::new(10, 201, 1, 5),
        dst: Ipv4Addr::new(10, 201, 2, 5),
        protocol: proto::UDP,
        payload_len: len - ipv4::HEADER_LEN,
        ttl: 64,
        tos: 0,
        ident: u16::from(tag),
        dont_fragment: true,
    }
    .emit(&mut p[..ipv4::HEADER_LEN])
    .expect("IPv4 header fits");
    UdpRepr {
        src_port: 5001,
        dst_port: 5201,
        payload_len: len - header,
    }
    .emit(&mut p[ipv4::HEADER_LEN..header])
    .expect("UDP header fits");
    for (i, b) in p[header..].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(7) ^ tag;
    }
    checksum::fill_transport_checksum(&mut p, ipv4::HEADER_LEN, proto::UDP);
    p
}

/// A pool buffer big enough for a packet of `len` bytes to grow by any ESP/AH overhead.
pub fn storage_for(len: usize) -> Vec<u8> {
    vec![0u8; DEFAULT_HEADROOM + len + DEFAULT_TAILROOM]
}

/// Where the packet sits in a storage buffer after a call: `storage[start..start + len]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub len: usize,
}

impl Span {
    pub fn of<'s>(&self, storage: &'s [u8]) -> &'s [u8] {
        &storage[self.start..self.start + self.len]
    }
}

/// The send path: copies `inner` into `storage` behind the default headroom (the TUN read)
/// and encapsulates it with the outbound SA. Allocates nothing.
pub fn encap_into(
    sa: &mut SecurityAssociation,
    storage: &mut [u8],
    inner: &[u8],
) -> Result<Span, DropReason> {
    let mut buf =
        PacketBuf::copy_in(storage, DEFAULT_HEADROOM, inner).map_err(|_| DropReason::OutErrors)?;
    match sa.params().protocol {
        IpsecProtocol::Esp => esp::encapsulate(sa, &mut buf, NOW)?,
        IpsecProtocol::Ah => ah::encapsulate(sa, &mut buf, NOW)?,
    };
    Ok(Span {
        start: buf.start(),
        len: buf.len(),
    })
}

/// The receive path: copies `wire` into `storage` (the socket read), parses the outer
/// headers and decapsulates with the inbound SA (the SAD lookup is not part of it).
/// Allocates nothing.
pub fn decap_from(
    sa: &mut SecurityAssociation,
    storage: &mut [u8],
    wire: &[u8],
) -> Result<Span, DropReason> {
    let mut buf = PacketBuf::copy_in(storage, DEFAULT_HEADROOM, wire)
        .map_err(|_| DropReason::InBufferErrors)?;
    let outer = OuterPacket::parse(buf.data())?;
    let d = match sa.params().protocol {
        IpsecProtocol::Esp => esp::decapsulate(sa, &outer, &mut buf, NOW)?,
        IpsecProtocol::Ah => ah::decapsulate(sa, &outer, &mut buf, NOW)?,
    };
    debug_assert!(d.has_payload);
    Ok(Span {
        start: buf.start(),
        len: buf.len(),
    })
}

/// How many distinct packets a benchmark cycles through: about 256 KiB of them (fits L2,
/// like a socket's receive batch would), at least 32 and at most 1024 (the replay window).
pub fn ring_len(packet_len: usize) -> usize {
    (256 * 1024 / (packet_len + 64)).clamp(32, REPLAY_WINDOW as usize)
}

/// `n` different inner packets of `len` bytes.
pub fn inner_ring(len: usize, n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| inner_packet(len, i as u8)).collect()
}

/// The packets of `inner` encapsulated in order by a fresh outbound SA, so they carry
/// sequence numbers 1..=n and decapsulate in order with a fresh inbound SA. Each one is
/// checked to decapsulate back to its inner packet.
pub fn wire_ring(t: &Transform, inner: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let (mut out, mut inb) = sa_pair(t);
    let mut storage = storage_for(inner.iter().map(Vec::len).max().unwrap_or(0));
    let mut check = storage.clone();
    inner
        .iter()
        .map(|p| {
            let span = encap_into(&mut out, &mut storage, p)
                .unwrap_or_else(|e| panic!("{}: encapsulate: {e:?}", t.name));
            let wire = span.of(&storage).to_vec();
            let back = decap_from(&mut inb, &mut check, &wire)
                .unwrap_or_else(|e| panic!("{}: decapsulate: {e:?}", t.name));
            assert_eq!(back.of(&check), &p[..], "{}: round trip", t.name);
            wire
        })
        .collect()
}

/// Raw baselines: only the cryptography an ESP transform performs, through the same crates,
/// on pre-built ciphers and pre-keyed HMAC states.
///
/// For a buffer holding the inner packet (rounded up to the cipher block for CBC), `seal`
/// encrypts it in place and writes the tag over 8 bytes of AAD (AEADs), or MACs the
/// ciphertext (cipher+HMAC); `open` verifies and decrypts. No IV generation, no padding or
/// trailer, no headers, no sequence numbers: whatever the engine spends beyond this is its
/// overhead.
pub mod raw {
    use aes::{Aes128, Aes256};
    use aes_gcm::aead::{AeadInOut, KeyInit};
    use aes_gcm::{Aes128Gcm, Aes256Gcm};
    use chacha20poly1305::ChaCha20Poly1305;
    use cipher::array::Array;
    use cipher::consts::U12;
    use cipher::typenum::Unsigned;
    use cipher::{
        BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, BlockSizeUser,
        InnerIvInit, StreamCipherCore,
    };
    use hmac::{Hmac, Mac};
    use sha1::Sha1;
    use sha2::Sha256;
    use tunsec_dataplane::crypto::{AuthAlgorithm, EncAlgorithm, KeyBits};
    use tunsec_dataplane::sa::IpsecProtocol;

    use super::{Transform, key};

    /// AAD of the AEAD baselines: as long as ESP's (SPI ‖ sequence number).
    const AAD: [u8; 8] = [0x10, 0x00, 0x20, 0x01, 0, 0, 0, 1];

    /// One transform's cryptography without the ESP around it.
    pub trait RawCrypto {
        /// Bytes `seal` processes for an inner packet of `len` bytes.
        fn sealed_len(&self, len: usize) -> usize {
            len
        }
        fn tag_len(&self) -> usize;
        /// Encrypts (or only MACs) `buf` in place; `n` makes the nonce/IV.
        fn seal(&self, n: u64, buf: &mut [u8], tag: &mut [u8]);
        /// Verifies `tag`, then decrypts; `false` when the tag does not match.
        fn open(&self, n: u64, buf: &mut [u8], tag: &[u8]) -> bool;
    }

    fn nonce(n: u64) -> Array<u8, U12> {
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&[0xca, 0xfe, 0xba, 0xbe]);
        b[4..].copy_from_slice(&n.to_be_bytes());
        Array::from(b)
    }

    /// AES-GCM or ChaCha20-Poly1305 over the buffer with 8 bytes of AAD.
    pub struct Aead<A>(A);

    impl<A: AeadInOut + aes_gcm::aead::AeadCore<NonceSize = U12>> RawCrypto for Aead<A> {
        fn tag_len(&self) -> usize {
            A::TagSize::USIZE
        }
        fn seal(&self, n: u64, buf: &mut [u8], tag: &mut [u8]) {
            let t = self
                .0
                .encrypt_inout_detached(&nonce(n), &AAD, buf.into())
                .expect("within AEAD limits");
            tag.copy_from_slice(&t);
        }
        fn open(&self, n: u64, buf: &mut [u8], tag: &[u8]) -> bool {
            let Ok(tag) = tag.try_into() else {
                return false;
            };
            self.0
                .decrypt_inout_detached(&nonce(n), &AAD, buf.into(), tag)
                .is_ok()
        }
    }

    /// RFC 4543 GMAC: the buffer is all AAD, nothing is encrypted.
    pub struct Gmac(Aes128Gcm);

    impl RawCrypto for Gmac {
        fn tag_len(&self) -> usize {
            16
        }
        fn seal(&self, n: u64, buf: &mut [u8], tag: &mut [u8]) {
            let t = self
                .0
                .encrypt_inout_detached(&nonce(n), buf, (&mut [][..]).into())
                .expect("within AEAD limits");
            tag.copy_from_slice(&t);
        }
        fn open(&self, n: u64, buf: &mut [u8], tag: &[u8]) -> bool {
            let Ok(tag) = tag.try_into() else {
                return false;
            };
            self.0
                .decrypt_inout_detached(&nonce(n), buf, (&mut [][..]).into(), tag)
                .is_ok()
        }
    }

    /// The confidentiality half of a cipher+HMAC baseline.
    pub trait Cipher {
        /// Ciphertext must be a multiple of this.
        fn block(&self) -> usize;
        fn encrypt(&self, n: u64, buf: &mut [u8]);
        fn decrypt(&self, n: u64, buf: &mut [u8]);
    }

    /// No encryption (ESP NULL, AH).
    pub struct NoCipher;

    impl Cipher for NoCipher {
        fn block(&self) -> usize {
            1
        }
        fn encrypt(&self, _n: u64, _buf: &mut [u8]) {}
        fn decrypt(&self, _n: u64, _buf: &mut [u8]) {}
    }

    fn counter_block<B: BlockSizeUser>(n: u64) -> Array<u8, B::BlockSize> {
        let mut iv = Array::<u8, B::BlockSize>::default();
        let at = iv.len() - 8;
        iv[at..].copy_from_slice(&n.to_be_bytes());
        iv
    }

    /// CBC with a counter IV (the engine encrypts its IV; that block is its overhead).
    pub struct Cbc<C>(C);

    impl<C: BlockCipherEncrypt + BlockCipherDecrypt> Cipher for Cbc<C> {
        fn block(&self) -> usize {
            C::BlockSize::USIZE
        }
        fn encrypt(&self, n: u64, buf: &mut [u8]) {
            let iv = counter_block::<C>(n);
            let (blocks, tail) = Array::<u8, C::BlockSize>::slice_as_chunks_mut(buf);
            debug_assert!(tail.is_empty());
            cbc::Encryptor::<&C>::inner_iv_init(&self.0, &iv).encrypt_blocks(blocks);
        }
        fn decrypt(&self, n: u64, buf: &mut [u8]) {
            let iv = counter_block::<C>(n);
            let (blocks, tail) = Array::<u8, C::BlockSize>::slice_as_chunks_mut(buf);
            debug_assert!(tail.is_empty());
            cbc::Decryptor::<&C>::inner_iv_init(&self.0, &iv).decrypt_blocks(blocks);
        }
    }

    /// AES-CTR with a 32-bit big-endian block counter (RFC 3686's layout).
    pub struct Ctr<C>(C);

    impl<C: BlockCipherEncrypt + BlockSizeUser<BlockSize = cipher::consts::U16>> Ctr<C> {
        fn apply(&self, n: u64, buf: &mut [u8]) {
            let mut block = counter_block::<C>(n);
            block[15] = 1;
            ctr::CtrCore::<&C, ctr::flavors::Ctr32BE>::inner_iv_init(&self.0, &block)
                .try_apply_keystream_partial(buf.into())
                .expect("within the 32-bit block counter");
        }
    }

    impl<C: BlockCipherEncrypt + BlockSizeUser<BlockSize = cipher::consts::U16>> Cipher for Ctr<C> {
        fn block(&self) -> usize {
            1
        }
        fn encrypt(&self, n: u64, buf: &mut [u8]) {
            self.apply(n, buf);
        }
        fn decrypt(&self, n: u64, buf: &mut [u8]) {
            self.apply(n, buf);
        }
    }

    /// Encrypt, then HMAC over the ciphertext (truncated tag); open verifies first.
    pub struct CipherMac<C, M> {
        cipher: C,
        mac: M,
        tag_len: usize,
    }

    impl<C: Cipher, M: Mac + Clone> RawCrypto for CipherMac<C, M> {
        fn sealed_len(&self, len: usize) -> usize {
            len.next_multiple_of(self.cipher.block())
        }
        fn tag_len(&self) -> usize {
            self.tag_len
        }
        fn seal(&self, n: u64, buf: &mut [u8], tag: &mut [u8]) {
            self.cipher.encrypt(n, buf);
            let mut mac = self.mac.clone();
            mac.update(buf);
            let full = mac.finalize().into_bytes();
            tag.copy_from_slice(&full[..tag.len()]);
        }
        fn open(&self, n: u64, buf: &mut [u8], tag: &[u8]) -> bool {
            let mut mac = self.mac.clone();
            mac.update(buf);
            if mac.verify_truncated_left(tag).is_err() {
                return false;
            }
            self.cipher.decrypt(n, buf);
            true
        }
    }

    fn keyed<K: KeyInit>(len: usize) -> K {
        K::new_from_slice(&key(len, 1)).expect("key length")
    }

    fn hmac<C: Cipher + 'static>(cipher: C, auth: AuthAlgorithm) -> Box<dyn RawCrypto> {
        let k = key(auth.key_len(), 2);
        let tag_len = auth.icv_len();
        match auth {
            AuthAlgorithm::Sha1 => Box::new(CipherMac {
                cipher,
                mac: Hmac::<Sha1>::new_from_slice(&k).expect("HMAC takes any key"),
                tag_len,
            }),
            AuthAlgorithm::Sha256 => Box::new(CipherMac {
                cipher,
                mac: Hmac::<Sha256>::new_from_slice(&k).expect("HMAC takes any key"),
                tag_len,
            }),
            other => panic!("no raw baseline for HMAC {other}"),
        }
    }

    /// The raw baseline for `t`, or `None` where there is none.
    pub fn for_transform(t: &Transform) -> Option<Box<dyn RawCrypto>> {
        use EncAlgorithm as E;
        use KeyBits::*;
        if t.protocol == IpsecProtocol::Ah {
            return Some(hmac(NoCipher, t.auth));
        }
        Some(match t.enc {
            E::AesGcm {
                key: K128,
                icv_len: 16,
            } => Box::new(Aead(keyed::<Aes128Gcm>(16))),
            E::AesGcm {
                key: K256,
                icv_len: 16,
            } => Box::new(Aead(keyed::<Aes256Gcm>(32))),
            E::ChaCha20Poly1305 => Box::new(Aead(keyed::<ChaCha20Poly1305>(32))),
            E::AesGmac(K128) => Box::new(Gmac(keyed::<Aes128Gcm>(16))),
            E::AesCbc(K128) => hmac(Cbc(keyed::<Aes128>(16)), t.auth),
            E::AesCbc(K256) => hmac(Cbc(keyed::<Aes256>(32)), t.auth),
            E::TripleDes => hmac(Cbc(keyed::<des::TdesEde3>(24)), t.auth),
            E::AesCtr(K128) => hmac(Ctr(keyed::<Aes128>(16)), t.auth),
            E::Null => hmac(NoCipher, t.auth),
            _ => return None,
        })
    }

    /// `inner` sealed one by one with nonces/IVs 0..n: each entry is ciphertext ‖ tag.
    pub fn sealed_ring(c: &dyn RawCrypto, inner: &[Vec<u8>]) -> Vec<Vec<u8>> {
        inner
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let len = c.sealed_len(p.len());
                let mut out = vec![0u8; len + c.tag_len()];
                out[..p.len()].copy_from_slice(p);
                let (body, tag) = out.split_at_mut(len);
                c.seal(i as u64, body, tag);
                let mut check = out.clone();
                let (body, tag) = check.split_at_mut(len);
                assert!(c.open(i as u64, body, tag), "raw baseline round trip");
                assert_eq!(&body[..p.len()], &p[..], "raw baseline round trip");
                out
            })
            .collect()
    }
}
