//! Password hashing and checking with argon2id, bounded so that sign-in
//! cannot be turned against the server.
//!
//! Each check needs argon2's working memory (19 MiB with the default
//! parameters, `m=19456,t=2,p=1`). Unbounded, 64 concurrent wrong logins
//! took the process past 1.5 GB, and the allocator kept it. Here at most
//! one check per core runs at a time, so the memory is bounded by
//! `limit × 19 MiB`. Each check maps its memory straight from the kernel
//! and unmaps it when done ([`Scratch`]), so it is given back at once: an
//! idle server holds none of it, and the allocator's heap never grows by
//! it. Callers beyond the limit wait in a short queue; when it is full or
//! the wait runs out they get a clear "busy" answer instead of piling up.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use apigw_app::error::AppError;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// The largest argon2 memory a stored hash may ask for (64 MiB): a hash
/// that asks for more is refused rather than allowed to grow the pool.
const MAX_BLOCKS: usize = 64 * 1024;

/// How long a caller waits for a free slot before it is told to retry.
pub const QUEUE_WAIT: Duration = Duration::from_secs(10);

/// The pool of password workers.
pub struct Passwords {
    permits: tokio::sync::Semaphore,
    /// Callers waiting for a slot now, and how many may wait.
    waiting: AtomicUsize,
    max_waiting: usize,
    limit: usize,
}

impl Passwords {
    /// A pool running at most `limit` checks at once, with up to 16 callers
    /// per slot waiting behind them.
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        Self { permits: tokio::sync::Semaphore::new(limit), waiting: AtomicUsize::new(0), max_waiting: limit * 16, limit }
    }

    /// One check per core the process may use.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
    }

    /// How many checks run at most at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Hashes a new password (argon2id, default parameters, random salt) as a PHC string.
    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let password = password.to_owned();
        self.run(move || {
            let mut memory = Scratch::new(Params::default().block_count())?;
            let salt = SaltString::generate(&mut OsRng);
            let params = Params::default();
            let mut salt_bytes = [0u8; 64];
            let salt_raw = salt.decode_b64(&mut salt_bytes).map_err(|e| format!("salt: {e}"))?;
            let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
            let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
            argon.hash_password_into_with_memory(password.as_bytes(), salt_raw, &mut out, memory.blocks()).map_err(|e| e.to_string())?;
            let output = argon2::password_hash::Output::new(&out).map_err(|e| e.to_string())?;
            let phc = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: (&params).try_into().map_err(|e: argon2::password_hash::Error| e.to_string())?,
                salt: Some(salt.as_salt()),
                hash: Some(output),
            };
            Ok(phc.to_string())
        })
        .await?
        .map_err(|e: String| AppError::Internal(format!("password hashing failed: {e}")))
    }

    /// Checks `password` against a stored PHC hash. With no stored hash
    /// (unknown user) it checks against a dummy hash anyway, so the answer
    /// takes as long and does not reveal which usernames exist.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> Result<bool, AppError> {
        static DUMMY: OnceLock<String> = OnceLock::new();
        let known = stored.is_some();
        let hash = match stored {
            Some(h) => h,
            None => match DUMMY.get() {
                Some(d) => d.clone(),
                None => {
                    let d = self.hash("dummy password for timing").await?;
                    DUMMY.get_or_init(|| d).clone()
                }
            },
        };
        let password = password.to_owned();
        let ok = self.run(move || check(&password, &hash)).await?;
        Ok(ok && known)
    }

    /// Runs `work` on the blocking pool once a slot is free; `work` maps its
    /// own working memory ([`Scratch`]), at most one per slot.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let busy = || {
            AppError::Locked(format!(
                "Too many sign-ins are being checked right now (at most {} at once, {} waiting). Try again in a few seconds.",
                self.limit, self.max_waiting
            ))
        };
        let permit = match self.permits.try_acquire() {
            Ok(p) => p,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
                    self.waiting.fetch_sub(1, Ordering::AcqRel);
                    return Err(busy());
                }
                let got = tokio::time::timeout(QUEUE_WAIT, self.permits.acquire()).await;
                self.waiting.fetch_sub(1, Ordering::AcqRel);
                match got {
                    Ok(Ok(p)) => p,
                    _ => return Err(busy()),
                }
            }
        };
        let result = tokio::task::spawn_blocking(work).await.map_err(|e| AppError::Internal(format!("password task failed: {e}")))?;
        drop(permit);
        Ok(result)
    }
}

/// argon2's working memory for one check: anonymous pages mapped from the
/// kernel and unmapped on drop. Through the allocator, a freed 19 MiB
/// buffer raises glibc's mmap threshold and the next one comes from a heap
/// that is not given back; mapped directly, it always is.
struct Scratch {
    ptr: std::ptr::NonNull<Block>,
    blocks: usize,
}

// The mapping is owned by this value alone, like a Box<[Block]>.
#[allow(unsafe_code)]
unsafe impl Send for Scratch {}

#[allow(unsafe_code)] // mmap, and the mapping seen as Blocks
impl Scratch {
    fn new(blocks: usize) -> Result<Self, String> {
        if blocks == 0 || blocks > MAX_BLOCKS {
            return Err(format!("the hash asks for {blocks} KiB of memory; 1 to {MAX_BLOCKS} KiB is allowed"));
        }
        let len = blocks * std::mem::size_of::<Block>();
        // SAFETY: an anonymous private mapping of `len` bytes, owned by the
        // returned value; no existing memory is touched.
        let ptr = unsafe {
            libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
        };
        if ptr == libc::MAP_FAILED {
            return Err(format!("cannot map {len} bytes for a password check: {}", std::io::Error::last_os_error()));
        }
        let ptr = std::ptr::NonNull::new(ptr.cast::<Block>()).ok_or("mmap returned null")?;
        Ok(Self { ptr, blocks })
    }

    fn blocks(&mut self) -> &mut [Block] {
        // SAFETY: the mapping is page-aligned (more than Block's 64-byte
        // alignment), `blocks` Blocks long, zero-filled by the kernel (all
        // zeros is a valid Block: it is plain u64s), and borrowed mutably
        // through `&mut self` only.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.blocks) }
    }
}

#[allow(unsafe_code)] // munmap
impl Drop for Scratch {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`, which no borrow outlives.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.blocks * std::mem::size_of::<Block>()) };
    }
}

/// Verifies `password` against the PHC string `stored`.
fn check(password: &str, stored: &str) -> bool {
    let verified = (|| -> Result<bool, String> {
        let parsed = PasswordHash::new(stored).map_err(|e| e.to_string())?;
        let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| e.to_string())?;
        let version = parsed.version.map(Version::try_from).transpose().map_err(|e| e.to_string())?.unwrap_or_default();
        let params = Params::try_from(&parsed).map_err(|e| e.to_string())?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return Err("no salt or hash".into()) };
        let mut salt_bytes = [0u8; 64];
        let salt_raw = salt.decode_b64(&mut salt_bytes).map_err(|e| e.to_string())?;
        let mut out = vec![0u8; expected.len()];
        let argon = Argon2::new(algorithm, version, params.clone());
        argon
            .hash_password_into_with_memory(password.as_bytes(), salt_raw, &mut out, Scratch::new(params.block_count())?.blocks())
            .map_err(|e| e.to_string())?;
        // Output's equality is constant-time.
        Ok(argon2::password_hash::Output::new(&out).map_err(|e| e.to_string())? == expected)
    })();
    verified.unwrap_or_else(|e| {
        tracing::error!(error = %e, "a stored password hash cannot be checked");
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    #[tokio::test]
    async fn hashes_verify_both_ways_with_the_standard_implementation() {
        let p = Passwords::new(1);
        let ours = p.hash("correct horse battery").await.unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{ours}");
        // The standard verifier accepts our hash ...
        assert!(Argon2::default().verify_password(b"correct horse battery", &PasswordHash::new(&ours).unwrap()).is_ok());
        // ... and we accept the standard hasher's (what older versions stored).
        use argon2::PasswordHasher;
        let theirs = Argon2::default().hash_password(b"pw from before", &SaltString::generate(&mut OsRng)).unwrap().to_string();
        assert!(p.verify("pw from before", Some(theirs.clone())).await.unwrap());
        assert!(!p.verify("pw from befor", Some(theirs)).await.unwrap());
        assert!(p.verify("correct horse battery", Some(ours.clone())).await.unwrap());
        assert!(!p.verify("correct horse battery", None).await.unwrap(), "unknown users never verify");
        assert!(!p.verify("x", Some("not a hash".into())).await.unwrap());
        let greedy = ours.replace("m=19456", "m=1000000");
        assert!(!p.verify("correct horse battery", Some(greedy)).await.unwrap(), "a hash asking for 1 GB is refused");
    }

    #[tokio::test]
    async fn at_most_limit_checks_run_and_a_full_queue_is_told_to_retry() {
        let p = std::sync::Arc::new(Passwords::new(1));
        let hash = p.hash("some long password").await.unwrap();
        // 1 running + 16 waiting are served; the rest are refused at once.
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let (p, hash) = (p.clone(), hash.clone());
                tokio::spawn(async move { p.verify("wrong password", Some(hash)).await })
            })
            .collect();
        let mut served = 0;
        let mut busy = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(false) => served += 1,
                Err(AppError::Locked(m)) => {
                    assert!(m.contains("Try again"), "{m}");
                    busy += 1
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(busy > 0 && served >= 17, "served {served}, busy {busy}");
    }
}
