//! The one reader of scenario files and of the data files they name (trace CSVs,
//! empirical distributions): regular files only, within a size limit, UTF-8 text
//! (docs/workload.md#sizes-and-limits).
//!
//! A device (`/dev/zero`, `/dev/urandom`) would be read until memory runs out and a FIFO
//! would block for ever, so the file's metadata is checked *before* it is opened: opening a
//! FIFO for reading blocks until a writer appears. A file that grows past its limit between
//! that check and the read is cut at the limit and refused all the same.
//!
//! [`Files`] remembers what it read, so the cells of a comparison (each validated like a
//! scenario of its own) read every trace once, not once per configuration.
//!
//! This module does not parse anything: it hands text to the validator.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The largest scenario file read, in bytes (16 MiB).
pub const SCENARIO_LIMIT: u64 = 16 * 1024 * 1024;

/// The largest data file (trace, empirical distribution) read, in bytes (256 MiB).
pub const DATA_LIMIT: u64 = 256 * 1024 * 1024;

/// Why a file could not be read as text.
#[derive(Debug)]
pub enum ReadError {
    /// The operating system refused (no such file, no permission, …).
    Io(std::io::Error),
    /// The path names something other than a regular file: what it is ("a folder", "a FIFO", …).
    NotAFile(&'static str),
    /// The file is larger than the limit.
    TooLarge {
        /// The file's size in bytes (at least `limit + 1` when it grew while being read).
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The bytes are not UTF-8: where the first bad byte is.
    NotUtf8 {
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in characters) of the first invalid byte.
        column: usize,
        /// The first invalid byte.
        byte: u8,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "{e}"),
            Self::NotAFile(what) => write!(f, "it is {what}, not a regular file"),
            Self::TooLarge { size, limit } => {
                write!(f, "it is {}, over the limit of {}", bytes(*size), bytes(*limit))
            }
            Self::NotUtf8 { byte, .. } => {
                write!(f, "the file is not UTF-8 text (byte 0x{byte:02x})")
            }
        }
    }
}

impl std::error::Error for ReadError {}

/// For callers that report any failure to read as an I/O error: the error itself, or the
/// refusal's message.
impl From<ReadError> for std::io::Error {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Io(e) => e,
            other => Self::new(std::io::ErrorKind::InvalidData, other.to_string()),
        }
    }
}

/// A size for messages: `17.0 MiB`, `512 bytes`.
fn bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else {
        format!("{n} bytes")
    }
}

/// What kind of non-regular file `meta` describes.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// Reads the regular file at `path` as UTF-8 text of at most `limit` bytes (a leading
/// byte-order mark is kept: the callers strip it where a spreadsheet may write one).
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    // Metadata first (following links): opening a FIFO would block.
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(kind(&meta)));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // One byte past the limit tells a file that grew since the check.
    file.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: buf.len() as u64,
            limit,
        });
    }
    String::from_utf8(buf).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        // The prefix before the first bad byte is valid UTF-8 by definition.
        let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let (line, column) = crate::scenario::error::line_col(before, before.len());
        ReadError::NotUtf8 {
            line,
            column,
            byte: bytes[at],
        }
    })
}

/// The data files read while validating, each read once (by path as written, joined to
/// the scenario's folder): the cells of a comparison and the staffing levels `chatsim
/// staff` tries share one.
#[derive(Clone, Default)]
pub struct Files {
    read: Arc<Mutex<BTreeMap<PathBuf, Read>>>,
}

/// One file's text, or why it could not be read.
pub type Read = Arc<Result<String, ReadError>>;

impl Files {
    /// The text of the data file at `path` (at most [`DATA_LIMIT`] bytes), read on first use.
    pub fn data(&self, path: &Path) -> Read {
        // A poisoned lock only means another thread panicked while reading; the map is
        // still consistent (an entry is inserted whole), so keep using it.
        let mut read = self
            .read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        read.entry(path.to_owned())
            .or_insert_with(|| Arc::new(read_text(path, DATA_LIMIT)))
            .clone()
    }
}

impl fmt::Debug for Files {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Files")
    }
}

/// A cache is equal to any other: what it holds is a copy of the file system, not part of
/// the value that holds it.
impl PartialEq for Files {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_small_regular_utf8_file() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.csv");
        std::fs::write(&ok, "a\nb\n").unwrap();
        assert_eq!(read_text(&ok, 100).unwrap(), "a\nb\n");
        assert!(matches!(
            read_text(&ok, 3),
            Err(ReadError::TooLarge { size: 4, limit: 3 })
        ));
        assert!(matches!(
            read_text(dir.path(), 100),
            Err(ReadError::NotAFile("a folder"))
        ));
        assert!(matches!(
            read_text(&dir.path().join("missing"), 100),
            Err(ReadError::Io(_))
        ));
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, b"abc\nd\xc3\xa9f\xff\n").unwrap();
        let err = read_text(&bad, 100).unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::NotUtf8 {
                    line: 2,
                    column: 4,
                    byte: 0xff
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "the file is not UTF-8 text (byte 0xff)");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused_without_reading_it() {
        let err = read_text(Path::new("/dev/zero"), 100).unwrap_err();
        assert_eq!(err.to_string(), "it is a device, not a regular file");
    }

    #[test]
    fn files_are_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "one").unwrap();
        let files = Files::default();
        assert_eq!(files.data(&path).as_ref().as_ref().unwrap(), "one");
        std::fs::write(&path, "two").unwrap();
        let again = files.clone();
        assert_eq!(again.data(&path).as_ref().as_ref().unwrap(), "one");
    }
}
