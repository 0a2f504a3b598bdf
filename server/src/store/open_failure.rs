//! Why the SQLite file cannot be opened, in words an operator can act on.
//!
//! SQLite says only "unable to open database file" (code 14), naming neither the
//! file nor the reason. The reason is asked of the operating system here, by doing
//! what SQLite needs to do: open the file for reading and writing, or create it (and
//! its `-wal` and `-shm` companions) in its folder.

use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::path::Path;

use super::StoreError;

/// The database file at `path` could not be opened; `error` is what the driver said.
pub(super) fn cannot_open(path: &Path, error: impl std::fmt::Display) -> StoreError {
    StoreError::CannotOpen {
        path: path.to_path_buf(),
        reason: why_unopenable(path).unwrap_or_else(|| error.to_string()),
    }
}

/// The folder of the database file at `path` could not be created.
pub(super) fn cannot_create_folder(
    path: &Path,
    folder: &Path,
    error: &std::io::Error,
) -> StoreError {
    // `create_dir_all` says "File exists" when a file stands where the folder goes.
    let reason = if folder.exists() && !folder.is_dir() {
        format!("{} is not a directory", folder.display())
    } else {
        format!("cannot create its folder {}: {error}", folder.display())
    };
    StoreError::CannotOpen {
        path: path.to_path_buf(),
        reason,
    }
}

/// The operating system's reason why SQLite cannot open `path` read-write, or `None`
/// when the file and its folder look usable (then the driver's own words are kept).
pub(super) fn why_unopenable(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => return Some("it is a directory, not a file".to_owned()),
        Ok(_) => {
            if let Err(error) = OpenOptions::new().read(true).write(true).open(path) {
                return Some(error.to_string());
            }
        }
        Err(error) if error.kind() != ErrorKind::NotFound => return Some(error.to_string()),
        Err(_) => {}
    }
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    match std::fs::metadata(folder) {
        Ok(meta) if !meta.is_dir() => {
            return Some(format!("{} is not a directory", folder.display()));
        }
        Ok(_) => {}
        Err(error) => return Some(format!("its folder {}: {error}", folder.display())),
    }
    // SQLite creates the file (on first start) and, in WAL mode, its `-wal` and `-shm`
    // companions beside it: the folder must take new files.
    let trial = folder.join(format!(".xiaxiang-open-check-{}", uuid::Uuid::new_v4()));
    match OpenOptions::new().write(true).create_new(true).open(&trial) {
        Ok(_) => {
            let _ = std::fs::remove_file(&trial);
            None
        }
        Err(error) => Some(format!(
            "its folder {} does not take new files: {error}",
            folder.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("xiaxiang-open-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn a_directory_where_the_file_should_be_is_named_as_such() {
        let dir = temp_dir();
        let reason = why_unopenable(&dir).expect("a reason");
        assert!(reason.contains("is a directory"), "{reason}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_where_the_folder_should_be_is_named_with_the_os_reason() {
        let dir = temp_dir();
        let file = dir.join("plain-file");
        std::fs::write(&file, b"x").expect("file");
        let reason = why_unopenable(&file.join("db.sqlite")).expect("a reason");
        assert!(reason.contains("Not a directory"), "{reason}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_usable_place_has_no_reason_and_leaves_nothing_behind() {
        let dir = temp_dir();
        assert_eq!(why_unopenable(&dir.join("db.sqlite")), None);
        assert_eq!(std::fs::read_dir(&dir).expect("dir").count(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
