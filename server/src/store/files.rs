//! The database's files on disk are private to the user apigw runs as:
//! the directory (when apigw creates it) 0700, the database, its WAL and
//! shared-memory files and the key file 0600. SQLite gives `-wal` and
//! `-shm` the mode of the database file, so creating that file 0600 before
//! SQLite opens it is what keeps all three private.

use std::path::{Path, PathBuf};

/// Creates `dir` and any missing parents, each new one private (0700).
/// Directories that already exist are left as they are: they may be shared
/// on purpose (`/var/lib`, a mounted volume).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes sure the database file exists and that it and its companions are
/// 0600. An existing file that others could read is tightened, with a
/// warning, since it may hold a copy of every configuration and session.
pub fn prepare_database_file(db: &Path) -> std::io::Result<()> {
    match std::fs::metadata(db) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_private_file(db)?,
        Err(e) => return Err(e),
    }
    for path in [db.to_owned(), with_suffix(db, "-wal"), with_suffix(db, "-shm")] {
        tighten(&path)?;
    }
    Ok(())
}

/// Sets an existing file's mode to 0600 if group or others have any access.
pub fn tighten(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_file() && mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            tracing::warn!(path = %path.display(), from = format!("{mode:o}"), "made the file private to apigw's user (0600)");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Another process created it between the check and now: fine, it is tightened next.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// `db` with `suffix` appended to its file name, as SQLite names its companions.
pub fn with_suffix(db: &Path, suffix: &str) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_directories_and_files_are_private_and_loose_ones_are_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        create_private_dir(&dir).unwrap();
        assert_eq!((mode(&tmp.path().join("a")), mode(&dir)), (0o700, 0o700));
        let db = dir.join("x.db");
        prepare_database_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::write(with_suffix(&db, "-wal"), b"").unwrap();
        std::fs::set_permissions(with_suffix(&db, "-wal"), std::fs::Permissions::from_mode(0o666)).unwrap();
        prepare_database_file(&db).unwrap();
        assert_eq!((mode(&db), mode(&with_suffix(&db, "-wal"))), (0o600, 0o600));
    }
}
