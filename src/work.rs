//! Counters of the work done, so tests can check that costs grow linearly with the input
//! rather than time it: hits classified, bytes the line cursor stepped over, paths written
//! into findings. `LEAKSCOPE_WORK=1` prints them on stderr when the run ends. Relaxed atomics,
//! bumped once per hit or per path, never per byte.

use std::sync::atomic::{AtomicU64, Ordering};

/// Hits turned into findings (once per hit and place).
pub static CLASSIFICATIONS: AtomicU64 = AtomicU64::new(0);
/// Bytes the line-and-column cursor read, line ends included.
pub static LINE_BYTES: AtomicU64 = AtomicU64::new(0);
/// Paths written into findings (`paths`, `commits[].paths`).
pub static PATH_ENTRIES: AtomicU64 = AtomicU64::new(0);

/// Adds `n` to a counter.
#[inline]
pub fn add(counter: &AtomicU64, n: usize) {
    counter.fetch_add(n as u64, Ordering::Relaxed);
}

/// `classifications=… line-bytes=… path-entries=…`.
pub fn report() -> String {
    let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
    format!(
        "classifications={} line-bytes={} path-entries={}",
        get(&CLASSIFICATIONS),
        get(&LINE_BYTES),
        get(&PATH_ENTRIES)
    )
}
