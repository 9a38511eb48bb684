//! The process's open-file limit: raised to its hard maximum at start-up
//! (as nginx's `worker_rlimit_nofile` would), since every caller and
//! backend connection is a descriptor and the usual soft limit is 1024.

/// Raises the soft open-file limit to the hard one; returns the soft limit
/// now in force (`None` if it cannot be read).
#[allow(unsafe_code)] // getrlimit/setrlimit on a local struct
pub fn raise() -> Option<u64> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid, writable rlimit for the call to fill in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return None;
    }
    if lim.rlim_cur < lim.rlim_max {
        let want = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
        // SAFETY: `want` is a valid rlimit read by the call.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &want) } == 0 {
            lim.rlim_cur = lim.rlim_max;
        }
    }
    Some(lim.rlim_cur)
}
