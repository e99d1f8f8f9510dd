//! Send-side segmentation of TCP trains the kernel hands us (TSO in userspace).
//!
//! With TSO enabled on the TUN device, a local TCP sender gives the device up to 64 KB at a
//! time and the kernel's stack runs once per train instead of once per segment. ESP protects
//! single IP packets, so before encryption the train is cut back into the segments a NIC
//! would have sent: the same IP and TCP headers with the IP length, identification and
//! checksum, the TCP sequence number and checksum fixed per segment, FIN and PSH only on the
//! last, CWR only on the first.

use crate::wire::checksum;
use crate::wire::ipv4::{self, Ipv4Packet};
use crate::wire::proto;
use crate::wire::vnet::Received;

const FLAG_FIN: u8 = 0x01;
const FLAG_PSH: u8 = 0x08;
const FLAG_CWR: u8 = 0x80;
const TCP_FLAGS: usize = 13;
const TCP_SEQ: core::ops::Range<usize> = 4..8;

/// Why a packet from the kernel could not be made into plain packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

/// Completes a partial checksum in place (CHECKSUM_PARTIAL: the field holds the pseudo-header
/// sum; the checksum covers everything from `csum_start`).
pub fn complete_checksum(packet: &mut [u8], start: usize, offset: usize) -> Result<(), Malformed> {
    let at = start
        .checked_add(offset)
        .filter(|a| a + 2 <= packet.len())
        .ok_or(Malformed)?;
    let c = checksum::finish(checksum::accumulate(0, &packet[start..]));
    packet[at..at + 2].copy_from_slice(&c.to_be_bytes());
    Ok(())
}

/// Calls `each` with every segment of a TCP/IPv4 train, built in `scratch` (which must hold
/// `hdr_len + gso_size` bytes behind `headroom`).
pub fn segment_tcpv4(
    train: &[u8],
    info: &Received,
    scratch: &mut [u8],
    headroom: usize,
    mut each: impl FnMut(&mut [u8], usize, usize),
) -> Result<(), Malformed> {
    let ip = Ipv4Packet::new_checked(train).map_err(|_| Malformed)?;
    let ihl = ip.header_len();
    let hdr_len = info.hdr_len as usize;
    let mss = info.gso_size as usize;
    if ip.protocol() != proto::TCP
        || ihl != ipv4::HEADER_LEN
        || hdr_len <= ihl + 19
        || mss == 0
        || train.len() <= hdr_len
        || headroom + hdr_len + mss > scratch.len()
    {
        return Err(Malformed);
    }
    let ident = ip.ident();
    let src = ip.src_addr();
    let dst = ip.dst_addr();
    let seq0 = u32::from_be_bytes(
        train[ihl + TCP_SEQ.start..ihl + TCP_SEQ.end]
            .try_into()
            .map_err(|_| Malformed)?,
    );
    let flags = train[ihl + TCP_FLAGS];
    let payload = &train[hdr_len..];
    let count = payload.len().div_ceil(mss);
    for (i, chunk) in payload.chunks(mss).enumerate() {
        let len = hdr_len + chunk.len();
        let seg = &mut scratch[headroom..headroom + len];
        seg[..hdr_len].copy_from_slice(&train[..hdr_len]);
        seg[hdr_len..].copy_from_slice(chunk);
        let last = i + 1 == count;
        let mut f = flags;
        if !last {
            f &= !(FLAG_FIN | FLAG_PSH);
        }
        if i > 0 {
            f &= !FLAG_CWR;
        }
        seg[ihl + TCP_FLAGS] = f;
        let seq = seq0.wrapping_add((i * mss) as u32);
        seg[ihl + TCP_SEQ.start..ihl + TCP_SEQ.end].copy_from_slice(&seq.to_be_bytes());
        {
            let mut p = Ipv4Packet::new_unchecked(&mut seg[..]);
            p.set_total_len(len as u16);
            p.set_ident(ident.wrapping_add(i as u16));
            p.fill_checksum();
        }
        let field = ihl + crate::wire::tcp::CHECKSUM_FIELD.start;
        seg[field..field + 2].fill(0);
        let sum = checksum::pseudo_header(src.into(), dst.into(), proto::TCP, len - ihl);
        let c = checksum::finish(checksum::accumulate(sum, &seg[ihl..]));
        seg[field..field + 2].copy_from_slice(&c.to_be_bytes());
        each(scratch, headroom, len);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ipv4::Ipv4Repr;

    fn train(payload: usize, flags: u8) -> Vec<u8> {
        let mut p = vec![0u8; 40 + payload];
        Ipv4Repr {
            src: [10, 201, 1, 1].into(),
            dst: [10, 201, 2, 1].into(),
            protocol: proto::TCP,
            payload_len: 20 + payload,
            ttl: 64,
            tos: 0,
            ident: 100,
            dont_fragment: true,
        }
        .emit(&mut p)
        .unwrap();
        p[24..28].copy_from_slice(&1000u32.to_be_bytes());
        p[32] = 0x50;
        p[33] = flags;
        for (i, b) in p[40..].iter_mut().enumerate() {
            *b = i as u8;
        }
        p
    }

    #[test]
    fn cuts_a_train_into_valid_segments() {
        let t = train(250, 0x10 | FLAG_PSH | FLAG_CWR);
        let info = Received {
            tcpv4_train: true,
            needs_csum: true,
            hdr_len: 40,
            gso_size: 100,
            csum_start: 20,
            csum_offset: 16,
        };
        let mut scratch = vec![0u8; 300];
        let mut segs = Vec::new();
        segment_tcpv4(&t, &info, &mut scratch, 16, |buf, at, len| {
            segs.push(buf[at..at + len].to_vec())
        })
        .unwrap();
        assert_eq!(segs.len(), 3);
        let lens: Vec<usize> = segs.iter().map(Vec::len).collect();
        assert_eq!(lens, [140, 140, 90]);
        for (i, s) in segs.iter().enumerate() {
            let ip = Ipv4Packet::new_checked(&s[..]).unwrap();
            assert!(ip.verify_checksum());
            assert_eq!(ip.ident(), 100 + i as u16);
            let seq = u32::from_be_bytes(s[24..28].try_into().unwrap());
            assert_eq!(seq, 1000 + 100 * i as u32);
            let sum = checksum::pseudo_header(
                [10, 201, 1, 1].into(),
                [10, 201, 2, 1].into(),
                proto::TCP,
                s.len() - 20,
            );
            assert_eq!(
                checksum::finish(checksum::accumulate(sum, &s[20..])),
                0,
                "segment {i}"
            );
            assert_eq!(s[40], (100 * i) as u8);
        }
        assert_eq!(segs[0][33], 0x10 | FLAG_CWR);
        assert_eq!(segs[1][33], 0x10);
        assert_eq!(segs[2][33], 0x10 | FLAG_PSH);
    }

    #[test]
    fn completes_a_partial_checksum() {
        let mut t = train(30, 0x10);
        let sum = checksum::pseudo_header(
            [10, 201, 1, 1].into(),
            [10, 201, 2, 1].into(),
            proto::TCP,
            50,
        );
        let partial = !checksum::finish(sum);
        t[36..38].copy_from_slice(&partial.to_be_bytes());
        complete_checksum(&mut t, 20, 16).unwrap();
        let sum = checksum::pseudo_header(
            [10, 201, 1, 1].into(),
            [10, 201, 2, 1].into(),
            proto::TCP,
            50,
        );
        assert_eq!(checksum::finish(checksum::accumulate(sum, &t[20..])), 0);
        assert_eq!(complete_checksum(&mut t, 60, 16), Err(Malformed));
    }
}
