//! The global allocator: jemalloc.
//!
//! Measured on `bench/cluster-scale.sh` (20,000 objects; the report holds ~84k findings and
//! every workload's typed pod until the cross-object analyses have run): glibc's malloc peaks
//! at ~290 MB RSS for a heap of ~150 MB, its per-chunk headers and fragmentation between
//! short-lived parse trees and long-lived results costing the rest; jemalloc (size classes
//! without headers) with immediate purging peaks at ~235 MB, in the same time. The webhook
//! (`bench/webhook-load.sh`) keeps the same RSS and latency with either, so one allocator
//! serves every command.

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Returns freed pages to the kernel at once instead of after jemalloc's default 10 s decay:
/// for batch commands whose peak RSS is what users budget for (a cluster scan runs where
/// memory is limited), at the cost of a few more page faults. Servers keep the default,
/// which spares them `madvise` calls on the request path.
pub fn purge_freed_memory_immediately() {
    // SAFETY: these keys take an `ssize_t` (`isize`); a failure only leaves the default.
    unsafe {
        // The default for arenas created from now on (by threads not started yet)...
        let _ = tikv_jemalloc_ctl::raw::write(b"arenas.dirty_decay_ms\0", 0isize);
        let _ = tikv_jemalloc_ctl::raw::write(b"arenas.muzzy_decay_ms\0", 0isize);
        // ...and for arena 0, which the main thread already uses.
        let _ = tikv_jemalloc_ctl::raw::write(b"arena.0.dirty_decay_ms\0", 0isize);
        let _ = tikv_jemalloc_ctl::raw::write(b"arena.0.muzzy_decay_ms\0", 0isize);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn purging_sets_jemalloc_decay_to_zero() {
        let read = |key: &[u8]| unsafe { tikv_jemalloc_ctl::raw::read::<isize>(key) }.expect("a jemalloc key");
        super::purge_freed_memory_immediately();
        assert_eq!(read(b"arenas.dirty_decay_ms\0"), 0);
        assert_eq!(read(b"arenas.muzzy_decay_ms\0"), 0);
        assert_eq!(read(b"arena.0.dirty_decay_ms\0"), 0);
    }
}
