//! Pinning the gateway's worker threads, one to each core the process may use.
//!
//! Left to itself, Linux's scheduler often wakes a gateway thread on the core
//! that woke it (the backend's or the caller's), busy as that core is, while
//! the other core sits idle: measured under load on the 2-core benchmark
//! machine, one wake-up in ten landed that way and the cores stood idle 7–10%
//! of the time; with one thread held on each core, 4–6%, as behind nginx.
//! Thread-per-core runtimes (Seastar, Glommio) pin for the same reason.
//!
//! Pinning only happens when the process has exactly one worker per core it
//! is allowed to run on. Under a CPU quota smaller than the cores it can see
//! (a container with `--cpus=2` on a 64-core host), the threads float, since
//! holding them on two fixed cores would crowd whatever else runs there.

/// The cores this process may run on (its affinity mask), lowest first, or
/// `None` where that cannot be read.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // sched_getaffinity: libc's cpu_set_t and its macros
pub fn allowed_cpus() -> Option<Vec<usize>> {
    // SAFETY: cpu_set_t is a plain bit array; all zeroes is a valid, empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live cpu_set_t and the size passed is its own.
    let r = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if r != 0 {
        return None;
    }
    // SAFETY: every index is below CPU_SETSIZE, the set's capacity.
    Some((0..libc::CPU_SETSIZE as usize).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) }).collect())
}

#[cfg(not(target_os = "linux"))]
pub fn allowed_cpus() -> Option<Vec<usize>> {
    None
}

/// The core for each of `workers` threads, when they are to be pinned:
/// only with pinning `enabled`, more than one worker, and exactly one
/// worker per allowed core.
pub fn plan(enabled: bool, workers: usize, allowed: Option<&[usize]>) -> Option<Vec<usize>> {
    let allowed = allowed?;
    (enabled && workers > 1 && allowed.len() == workers).then(|| allowed.to_vec())
}

/// Holds the calling thread on `cpu` alone.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // sched_setaffinity: libc's cpu_set_t and its macros
pub fn pin_current_thread(cpu: usize) -> std::io::Result<()> {
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("core {cpu} is beyond the largest core number ({})", libc::CPU_SETSIZE - 1),
        ));
    }
    // SAFETY: all zeroes is a valid, empty cpu_set_t; `cpu` is below CPU_SETSIZE
    // (checked above); the size passed is the set's own.
    let r = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
pub fn pin_current_thread(_cpu: usize) -> std::io::Result<()> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "pinning threads to cores is only supported on Linux"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_one_worker_per_allowed_core_only() {
        assert_eq!(plan(true, 2, Some(&[0, 1])), Some(vec![0, 1]));
        assert_eq!(plan(true, 3, Some(&[2, 5, 7])), Some(vec![2, 5, 7]));
        // Off by choice, one worker, a quota smaller than the cores, or no mask.
        assert_eq!(plan(false, 2, Some(&[0, 1])), None);
        assert_eq!(plan(true, 1, Some(&[3])), None);
        assert_eq!(plan(true, 2, Some(&[0, 1, 2, 3])), None);
        assert_eq!(plan(true, 2, None), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_pinned_thread_runs_on_that_core_alone() {
        let allowed = allowed_cpus().expect("the affinity mask is readable");
        assert!(!allowed.is_empty());
        let last = *allowed.last().unwrap();
        let seen = std::thread::spawn(move || {
            pin_current_thread(last).expect("pin to an allowed core");
            allowed_cpus()
        })
        .join()
        .unwrap();
        assert_eq!(seen, Some(vec![last]));
        // The calling thread is not affected.
        assert_eq!(allowed_cpus(), Some(allowed));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn pinning_to_a_core_that_does_not_exist_fails_and_changes_nothing() {
        let before = allowed_cpus();
        let err = std::thread::spawn(|| {
            let e = pin_current_thread(libc::CPU_SETSIZE as usize).unwrap_err();
            (e.kind(), e.to_string(), allowed_cpus())
        })
        .join()
        .unwrap();
        assert_eq!(err.0, std::io::ErrorKind::InvalidInput);
        assert!(err.1.contains("beyond the largest core number"), "{}", err.1);
        assert_eq!(err.2, before);
        // A core within the set's range that this machine cannot have: the kernel refuses.
        let possible = std::fs::read_to_string("/sys/devices/system/cpu/possible").expect("possible cores");
        let top: usize = possible.trim().rsplit(['-', ',']).next().unwrap().parse().expect("a core number");
        let res = std::thread::spawn(move || (pin_current_thread(top + 1).map_err(|e| e.kind()), allowed_cpus())).join().unwrap();
        assert_eq!(res.0, Err(std::io::ErrorKind::InvalidInput), "pinning to core {} past the last possible one", top + 1);
        assert_eq!(res.1, before);
    }
}
