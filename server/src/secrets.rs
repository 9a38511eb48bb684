//! The server key and sealing of stored secrets. SigV4 needs the plain
//! secret to check a signature, so access-key secrets cannot be hashed; they
//! are encrypted (ChaCha20-Poly1305) with a key kept in a separate file, so a
//! copy of the database alone does not reveal them.

use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;

/// The 256-bit key that seals secrets at rest.
#[derive(Clone)]
pub struct ServerKey {
    cipher: ChaCha20Poly1305,
    path: PathBuf,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKey").field("path", &self.path).field("key", &"<redacted>").finish()
    }
}

impl ServerKey {
    /// Reads the key file, creating it (mode 0600) with a fresh key if absent.
    /// `sealed_secrets` is how many stored secrets were sealed with the key:
    /// if there are any and the file is missing, a new key would make every
    /// one of them unreadable, so this refuses and says how to recover.
    pub fn load_or_create(path: &Path, sealed_secrets: i64) -> std::io::Result<Self> {
        let key_bytes = match std::fs::read_to_string(path) {
            Ok(text) => {
                crate::store::files::tighten(path)?;
                hex::decode(text.trim()).ok().filter(|b| b.len() == 32).ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "{} does not hold a 64-hex-digit key; restore the original file (secrets sealed with it cannot be read otherwise)",
                            path.display()
                        ),
                    )
                })?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && sealed_secrets > 0 => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "the key file {} is missing, but the database holds {sealed_secrets} access key(s) whose secrets were sealed with it. \
                         Restore the file from a backup (or point APIGW_KEY_FILE at it). If it is lost for good, those keys cannot be used again: \
                         run `apigw admin forget-access-keys` to delete them, start apigw (it creates a new key file) and create new access keys",
                        path.display()
                    ),
                ));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut b = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut b);
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    crate::store::files::create_private_dir(dir)?;
                }
                write_private(path, &hex::encode(b))?;
                tracing::info!(path = %path.display(), "created the server key that seals access-key secrets");
                b.to_vec()
            }
            Err(e) => return Err(e),
        };
        Ok(Self { cipher: ChaCha20Poly1305::new(Key::from_slice(&key_bytes)), path: path.to_owned() })
    }

    /// Encrypts `plain`; the result is hex of nonce followed by ciphertext.
    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("ChaCha20-Poly1305 encryption does not fail for in-memory data");
        let mut out = nonce.to_vec();
        out.extend(ct);
        hex::encode(out)
    }

    /// Decrypts what `seal` produced; None if it was tampered with or sealed by another key.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = hex::decode(sealed).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, ct) = bytes.split_at(12);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), ct).ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// Where the key lives for a database at `db`: `APIGW_KEY_FILE`, else beside it.
pub fn key_path_for(db: &Path) -> PathBuf {
    std::env::var_os("APIGW_KEY_FILE").map(PathBuf::from).unwrap_or_else(|| {
        let mut p = db.as_os_str().to_owned();
        p.push(".key");
        PathBuf::from(p)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_roundtrip_and_tamper() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let k = ServerKey::load_or_create(&path, 0).unwrap();
        let sealed = k.seal("secret");
        assert!(!sealed.contains("secret"));
        assert_eq!(k.open(&sealed).as_deref(), Some("secret"));
        let again = ServerKey::load_or_create(&path, 0).unwrap();
        assert_eq!(again.open(&sealed).as_deref(), Some("secret"), "same key after reload");
        let mut bad = sealed.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(k.open(std::str::from_utf8(&bad).unwrap()), None);
        let other = ServerKey::load_or_create(&dir.path().join("k2"), 0).unwrap();
        assert_eq!(other.open(&sealed), None);
        // A missing file while sealed secrets exist is refused, not recreated.
        let err = ServerKey::load_or_create(&dir.path().join("k3"), 2).unwrap_err().to_string();
        assert!(err.contains("missing") && err.contains("2 access key(s)") && err.contains("forget-access-keys"), "{err}");
        assert!(!dir.path().join("k3").exists());
    }
}
