//! The counters of RouterOS's `/ip ipsec statistics`, one per manual property.
//!
//! A [`Statistics`] block is owned by one worker and incremented without atomics' read-modify-
//! write contention: each worker has its own, padded to its own cache lines, and `print`
//! sums them. Counters are `AtomicU64` only so another thread may read them while the owner
//! writes; the owner uses relaxed load+store, which compiles to plain moves.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! counters {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        /// One statistics counter, named after the manual's property.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Counter {
            $(#[doc = $doc] $variant,)*
        }

        impl Counter {
            pub const ALL: &'static [Counter] = &[$(Counter::$variant,)*];

            /// The manual's property name (`in-no-states`, ...).
            pub const fn name(self) -> &'static str {
                match self { $(Counter::$variant => $name,)* }
            }

            /// The manual's description of the counter.
            pub const fn description(self) -> &'static str {
                match self { $(Counter::$variant => $doc,)* }
            }
        }
    };
}

counters! {
    InErrors => "in-errors", "All inbound errors that are not matched by other counters.";
    InBufferErrors => "in-buffer-errors", "No free buffer.";
    InHeaderErrors => "in-header-errors", "Header error.";
    InNoStates => "in-no-states", "No state is found i.e. either inbound SPI, address, or IPsec protocol at SA is wrong.";
    InStateProtocolErrors => "in-state-protocol-errors", "Transformation protocol specific error, for example SA key is wrong.";
    InStateModeErrors => "in-state-mode-errors", "Transformation mode specific error.";
    InStateSequenceErrors => "in-state-sequence-errors", "Sequence number is out of window.";
    InStateExpired => "in-state-expired", "State is expired.";
    InStateMismatches => "in-state-mismatches", "State has mismatched option, for example UDP encapsulation type is mismatched.";
    InStateInvalid => "in-state-invalid", "State is invalid.";
    InTemplateMismatches => "in-template-mismatches", "No matching template for states, e.g. inbound SAs are correct but SP rule is wrong.";
    InNoPolicies => "in-no-policies", "No policy is found for states, e.g. inbound SAs are correct but no SP is found.";
    InPolicyBlocked => "in-policy-blocked", "Policy discards.";
    InPolicyErrors => "in-policy-errors", "Policy errors.";
    OutErrors => "out-errors", "All outbound errors that are not matched by other counters.";
    OutBundleErrors => "out-bundle-errors", "Bundle generation error.";
    OutBundleCheckErrors => "out-bundle-check-errors", "Bundle check error.";
    OutNoStates => "out-no-states", "No state is found.";
    OutStateProtocolErrors => "out-state-protocol-errors", "Transformation protocol specific error.";
    OutStateModeErrors => "out-state-mode-errors", "Transformation mode specific error.";
    OutStateSequenceErrors => "out-state-sequence-errors", "Sequence errors, for example sequence number overflow.";
    OutStateExpired => "out-state-expired", "State is expired.";
    OutPolicyBlocked => "out-policy-blocked", "Policy discards.";
    OutPolicyDead => "out-policy-dead", "Policy is dead.";
    OutPolicyErrors => "out-policy-errors", "Policy error.";
}

const COUNTERS: usize = Counter::ALL.len();

/// One worker's copy of every counter.
#[derive(Default)]
pub struct Statistics {
    values: [AtomicU64; COUNTERS],
}

impl Statistics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one. Only the owning worker calls this, so a relaxed load+store is race-free and
    /// avoids a locked instruction on the packet path.
    #[inline]
    pub fn increment(&self, counter: Counter) {
        let cell = &self.values[counter as usize];
        cell.store(cell.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    pub fn get(&self, counter: Counter) -> u64 {
        self.values[counter as usize].load(Ordering::Relaxed)
    }

    /// A consistent-enough copy for printing (each counter read once).
    pub fn snapshot(&self) -> StatisticsSnapshot {
        let mut values = [0u64; COUNTERS];
        for (v, cell) in values.iter_mut().zip(&self.values) {
            *v = cell.load(Ordering::Relaxed);
        }
        StatisticsSnapshot { values }
    }
}

/// Plain counter values, summable across workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatisticsSnapshot {
    values: [u64; COUNTERS],
}

impl Default for StatisticsSnapshot {
    fn default() -> Self {
        Self {
            values: [0; COUNTERS],
        }
    }
}

impl StatisticsSnapshot {
    pub fn get(&self, counter: Counter) -> u64 {
        self.values[counter as usize]
    }

    pub fn add(&mut self, other: &StatisticsSnapshot) {
        for (a, b) in self.values.iter_mut().zip(other.values) {
            *a += b;
        }
    }

    /// `(name, value)` for every counter, in the manual's order.
    pub fn iter(&self) -> impl Iterator<Item = (Counter, u64)> + '_ {
        Counter::ALL.iter().map(|c| (*c, self.get(*c)))
    }
}

impl fmt::Display for StatisticsSnapshot {
    /// RouterOS `print` layout: right-aligned names, one counter a line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = Counter::ALL
            .iter()
            .map(|c| c.name().len())
            .max()
            .unwrap_or(0);
        for (counter, value) in self.iter() {
            writeln!(f, "{:>width$}: {value}", counter.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_manual_counter_is_present_once() {
        assert_eq!(Counter::ALL.len(), 25);
        let mut names: Vec<_> = Counter::ALL.iter().map(|c| c.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 25);
    }

    #[test]
    fn increments_and_sums() {
        let a = Statistics::new();
        a.increment(Counter::InNoStates);
        a.increment(Counter::InNoStates);
        let b = Statistics::new();
        b.increment(Counter::InNoStates);
        b.increment(Counter::OutPolicyBlocked);
        let mut total = a.snapshot();
        total.add(&b.snapshot());
        assert_eq!(total.get(Counter::InNoStates), 3);
        assert_eq!(total.get(Counter::OutPolicyBlocked), 1);
        assert_eq!(total.get(Counter::InErrors), 0);
        assert!(total.to_string().contains("in-no-states: 3"));
    }
}
