//! The per-packet path allocates nothing: encapsulate and decapsulate (and the outer-header
//! parse in front of it) run 1000 times per transform under a counting global allocator that
//! must see zero allocations. SA creation and packet construction happen before the counted
//! region; the count is per thread, so the test harness's own threads do not disturb it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use tunsec_benches::{
    TRANSFORMS, Transform, decap_from, encap_into, inner_packet, sa_pair, storage_for,
};

struct CountingAllocator;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn note_allocation() {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let counting = COUNTING.try_with(Cell::get).unwrap_or(false);
    if counting {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counting touches
// only `const`-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Allocations `f` makes on this thread.
fn allocations_in(f: impl FnOnce()) -> u64 {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get)
}

const PACKETS: usize = 1000;

/// Encapsulates and decapsulates `PACKETS` packets of `len` bytes; returns the allocations
/// counted and how many packets came back intact.
fn round_trips(t: &Transform, len: usize) -> (u64, usize) {
    let (mut out, mut inb) = sa_pair(t);
    let packet = inner_packet(len, 0x5a);
    let mut tx = storage_for(len);
    let mut rx = storage_for(len + 128);
    let mut intact = 0;
    let allocations = allocations_in(|| {
        for _ in 0..PACKETS {
            let Ok(sent) = encap_into(&mut out, &mut tx, &packet) else {
                continue;
            };
            let Ok(back) = decap_from(&mut inb, &mut rx, sent.of(&tx)) else {
                continue;
            };
            intact += usize::from(back.of(&rx) == &packet[..]);
        }
    });
    (allocations, intact)
}

#[test]
fn counting_allocator_counts() {
    // Guards the test itself: a broken counter would pass everything below.
    let n = allocations_in(|| {
        std::hint::black_box(vec![0u8; 64]);
    });
    assert_eq!(n, 1);
}

#[test]
fn encapsulate_and_decapsulate_allocate_nothing() {
    for t in TRANSFORMS {
        for len in [64, 1400, 9000] {
            let (allocations, intact) = round_trips(t, len);
            assert_eq!(intact, PACKETS, "{} at {len} bytes: round trips", t.name);
            assert_eq!(
                allocations, 0,
                "{} at {len} bytes: {allocations} allocations in {PACKETS} encapsulate+decapsulate",
                t.name
            );
        }
    }
}

#[test]
fn covers_gcm_cbc_hmac_and_ah() {
    let names: Vec<_> = TRANSFORMS.iter().map(|t| t.name).collect();
    for required in ["aes-128-gcm", "aes-128-cbc-sha1", "hmac-sha256"] {
        assert!(names.contains(&required), "{required} missing");
    }
    assert!(
        TRANSFORMS
            .iter()
            .any(|t| t.protocol == tunsec_dataplane::sa::IpsecProtocol::Ah)
    );
}
