//! Memory housekeeping shared by the board's parts.

/// Hand memory freed after a large load (query buffers, sort keys, a replaced card list) back
/// to the operating system. glibc keeps freed memory in per-thread arenas otherwise, and a
/// board that stays open for hours should not hold on to its start-up peak.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}
