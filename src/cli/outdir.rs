//! Output folders as one unit (README.md, "Output folders"): a lock, a fresh sibling
//! folder to build in, and a rename into place when everything is written.
//!
//! For an output folder `DIR` = `PARENT/NAME`, everything happens beside it in `PARENT`:
//!
//! - `.NAME.lock` — created with `create_new` and holding the process id and host, it
//!   refuses a second command into `DIR` while one is running. A lock whose process is gone
//!   (same host, no such process) is taken over, with a note; any other lock is refused
//!   with the path to delete if the user knows better.
//! - `.NAME.partial/` — the folder the command builds in: per-run records as they finish
//!   (`runs/`), then the report files, `manifest.json` last. An interrupted or killed run
//!   leaves it for `--resume`.
//! - `.NAME.old-PID/` — the old report for the instant of the swap: `DIR` is renamed to it,
//!   the new folder to `DIR`, and it is removed. Between the two renames (two system calls)
//!   `DIR` does not exist; a command killed exactly there leaves the old report under this
//!   name, and the next command into `DIR` puts it back.
//!
//! So a reader of `DIR` sees the whole old report or the whole new one. Writability is
//! proved before any simulation: the lock and the build folder are created first.
//!
//! What is replaced and what is written into: a missing `DIR` or a chatsim report folder
//! (a `manifest.json` from chatsim and nothing but chatsim outputs) is replaced as a whole.
//! An empty folder, a folder on another file system than its parent (a mount point) and a
//! folder behind a symbolic link cannot be swapped; their files are moved in one by one,
//! `manifest.json` last. Any other folder holds the user's own files and is refused without
//! `--force`; with it, chatsim's files are moved in beside them and nothing else is touched.

use super::Error;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Every name a chatsim report folder may hold (`run`, a shard, `staff`).
fn is_output_name(name: &str) -> bool {
    crate::report::OUTPUTS
        .iter()
        .chain(crate::report::staff::STAFF_OUTPUTS)
        .any(|o| o.name.trim_end_matches('/') == name)
        || name == RUNS
}

/// The folder of per-run records in a build folder or a shard's output.
pub(super) const RUNS: &str = "runs";
/// The plan of the run a build folder belongs to (README.md, "Running at scale").
pub(super) const PLAN: &str = "plan.json";

/// What is at the output path.
#[derive(Debug)]
pub(super) enum Existing {
    /// Nothing.
    Nothing,
    /// An empty folder.
    Empty,
    /// A chatsim report folder, with its manifest.
    Report(serde_json::Value),
    /// A folder with other things in it: some of their names.
    Foreign(Vec<String>),
}

/// How the finished folder goes into place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Rename the old folder away and the new one into place.
    Swap,
    /// Move the files into the existing folder, `manifest.json` last; `clean`: the folder
    /// holds only chatsim outputs, so the old ones are removed first.
    Into { clean: bool },
}

/// An output folder, locked, with its build folder.
#[derive(Debug)]
pub(super) struct OutDir {
    /// As the user gave it (for messages).
    pub(super) shown: PathBuf,
    /// The final folder.
    target: PathBuf,
    /// The folder the command builds in.
    build: PathBuf,
    /// What was there when the command started.
    pub(super) existing: Existing,
    mode: Mode,
    /// Whether the build folder goes if this command ends before committing: set when
    /// [`OutDir::start`] creates it, cleared by [`OutDir::keep_unfinished`] (`run`, once its
    /// plan is written). An earlier run's folder carried on is never discarded.
    discard: std::sync::atomic::AtomicBool,
    _lock: Lock,
}

impl Drop for OutDir {
    /// A command that fails after creating its build folder leaves none behind unless it
    /// holds finished runs to resume; an earlier run's is never touched here (the lock, a
    /// later field, is released after this).
    fn drop(&mut self) {
        if self.discard.load(std::sync::atomic::Ordering::Relaxed) && self.build.exists() {
            let _ = std::fs::remove_dir_all(&self.build);
        }
    }
}

/// Opens `dir` for a command: takes the lock, puts back an old report a killed swap left,
/// and refuses a folder of the user's own files unless `force`. The build folder is not
/// created yet (see [`OutDir::start`]).
pub(super) fn open(dir: &Path, force: bool) -> Result<OutDir, Error> {
    let io = |what: String, source| Error::Output {
        path: dir.to_owned(),
        what,
        source,
    };
    // `.`, `..` and `/x/..` name a folder only through the file system.
    let resolved = if dir.file_name().is_none() {
        std::fs::canonicalize(dir).map_err(|e| io("could not resolve the output folder".into(), e))?
    } else {
        dir.to_owned()
    };
    let (Some(name), Some(parent)) = (resolved.file_name(), resolved.parent()) else {
        return Err(Error::OutDir(format!(
            "'{}' cannot be an output folder (it has no parent folder to build the report beside it)",
            dir.display()
        )));
    };
    let name = name.to_string_lossy().into_owned();
    let parent = if parent.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        parent.to_owned()
    };
    std::fs::create_dir_all(&parent).map_err(|e| {
        io(
            format!(
                "could not create the folder '{}' to write it in",
                parent.display()
            ),
            e,
        )
    })?;
    let target = parent.join(&name);
    if std::fs::metadata(&target).is_ok_and(|m| !m.is_dir()) {
        return Err(Error::OutDir(format!(
            "'{}' is a file, not a folder: give --out a folder (it is created if missing)",
            dir.display()
        )));
    }
    let lock_path = if parent == Path::new(".") {
        PathBuf::from(format!(".{name}.lock"))
    } else {
        parent.join(format!(".{name}.lock"))
    };
    let lock = Lock::take(&lock_path, dir)?;
    restore_old(&parent, &name, &target);
    let existing = inspect(&target).map_err(|e| io("could not read the output folder".into(), e))?;
    let meta = std::fs::symlink_metadata(&target).ok();
    let linked = meta.as_ref().is_some_and(|m| m.file_type().is_symlink());
    let other_device = meta.as_ref().is_some_and(|m| !same_device(m, &parent));
    let mode = match &existing {
        Existing::Nothing => Mode::Swap,
        Existing::Report(_) if !linked && !other_device => Mode::Swap,
        Existing::Report(_) => Mode::Into { clean: true },
        Existing::Empty => Mode::Into { clean: false },
        Existing::Foreign(_) if force => Mode::Into { clean: false },
        Existing::Foreign(names) => {
            let holds = if names.is_empty() {
                "it has no chatsim manifest.json".to_owned()
            } else {
                format!(
                    "it holds {}{}",
                    names
                        .iter()
                        .take(3)
                        .map(|n| format!("'{n}'"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if names.len() > 3 { ", …" } else { "" }
                )
            };
            return Err(Error::OutDir(format!(
                "'{}' is not a chatsim report folder ({holds}): chatsim never writes into a folder of other files; give another --out, or add --force to write the report files in beside them",
                dir.display(),
            )));
        }
    };
    if let Mode::Into { .. } = mode {
        // Moving files in needs the folder itself to be writable: prove it now.
        let probe = target.join(format!(".chatsim-probe-{}", std::process::id()));
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .and_then(|_| std::fs::remove_file(&probe))
            .map_err(|e| io("could not write in the output folder".into(), e))?;
    }
    // Beside a folder in the working directory, messages name `.NAME.partial`, not `./.NAME.partial`.
    let beside = |file: String| {
        if parent == Path::new(".") {
            PathBuf::from(file)
        } else {
            parent.join(file)
        }
    };
    Ok(OutDir {
        shown: dir.to_owned(),
        build: beside(format!(".{name}.partial")),
        target,
        existing,
        mode,
        discard: std::sync::atomic::AtomicBool::new(false),
        _lock: lock,
    })
}

impl OutDir {
    /// The folder the command builds in.
    pub(super) fn build(&self) -> &Path {
        &self.build
    }

    /// Whether an earlier run left a build folder it can be resumed from (interrupted or
    /// killed after writing its plan). A build folder without a plan holds nothing to
    /// resume, and [`OutDir::start`] discards it.
    pub(super) fn has_leftover(&self) -> bool {
        self.build.join(PLAN).is_file()
    }

    /// Keeps the build folder if this command ends before committing (see the field).
    pub(super) fn keep_unfinished(&self) {
        self.discard.store(false, std::sync::atomic::Ordering::Relaxed);
    }

    /// Starts building: removes a leftover build folder unless `keep`, then creates the
    /// build folder and its `runs/` (proving the folder is writable before any work).
    pub(super) fn start(&self, keep: bool) -> Result<(), Error> {
        let io = |what: &str, source| Error::Output {
            path: self.shown.clone(),
            what: what.to_owned(),
            source,
        };
        if !keep && self.build.exists() {
            std::fs::remove_dir_all(&self.build)
                .map_err(|e| io("could not remove what an earlier run left beside it", e))?;
        }
        if !self.build.exists() {
            self.discard.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        std::fs::create_dir_all(self.build.join(RUNS))
            .map_err(|e| io("could not create the folder to build it in", e))
    }

    /// Writes a file into the build folder (atomically: a temporary name, then a rename).
    pub(super) fn write(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        crate::report::write_atomic(&self.build.join(name), bytes).map_err(Error::Report)
    }

    /// Puts the build folder in place of the output folder (see the module docs) and
    /// releases the lock.
    pub(super) fn commit(self) -> Result<(), Error> {
        let io = |what: &str, source| Error::Output {
            path: self.shown.clone(),
            what: what.to_owned(),
            source,
        };
        match self.mode {
            Mode::Swap => {
                if std::fs::symlink_metadata(&self.target).is_ok() {
                    let old = old_name(&self.target, std::process::id());
                    std::fs::rename(&self.target, &old)
                        .map_err(|e| io("could not move the old report aside", e))?;
                    if let Err(e) = std::fs::rename(&self.build, &self.target) {
                        let _ = std::fs::rename(&old, &self.target);
                        return Err(io("could not move the new report into place", e));
                    }
                    // The new report is in place; an old one that will not go is only clutter.
                    if let Err(e) = std::fs::remove_dir_all(&old) {
                        super::warn(&format!(
                            "warning: could not remove the old report '{}': {e}",
                            old.display()
                        ));
                    }
                } else {
                    std::fs::rename(&self.build, &self.target)
                        .map_err(|e| io("could not move the new report into place", e))?;
                }
            }
            Mode::Into { clean } => {
                // The old manifest goes first, so the folder never claims to be the old
                // report while new files arrive; it comes back last, the new one.
                let manifest = self.target.join("manifest.json");
                if clean || is_chatsim_manifest(&manifest) {
                    let _ = std::fs::remove_file(&manifest);
                }
                // The folders chatsim names are replaced whole, also beside the user's own
                // files (`--force`): old charts or runs never mix with the new report.
                for sub in ["charts", RUNS] {
                    let _ = std::fs::remove_dir_all(self.target.join(sub));
                }
                move_tree(&self.build, &self.target, true)
                    .map_err(|e| io("could not move the new report in", e))?;
                if self.build.join("manifest.json").exists() {
                    move_file(&self.build.join("manifest.json"), &manifest)
                        .map_err(|e| io("could not move the new report in", e))?;
                }
                let _ = std::fs::remove_dir_all(&self.build);
            }
        }
        Ok(())
    }
}

/// `.NAME.old-PID` beside `target`.
fn old_name(target: &Path, pid: u32) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    target.with_file_name(format!(".{name}.old-{pid}"))
}

/// Puts back an old report a command killed in the middle of its swap left (the lock is
/// held, so no other command is swapping), or removes it when the new one made it.
fn restore_old(parent: &Path, name: &str, target: &Path) {
    let prefix = format!(".{name}.old-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if !file.starts_with(&prefix) {
            continue;
        }
        if std::fs::symlink_metadata(target).is_err() && std::fs::rename(entry.path(), target).is_ok() {
            super::warn(&format!(
                "note: put back the report '{}' a killed run had moved aside",
                target.display()
            ));
        } else {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// What is at `path`.
pub(super) fn inspect(path: &Path) -> std::io::Result<Existing> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(if std::fs::symlink_metadata(path).is_ok() {
                // A dangling link: something the user put there.
                Existing::Foreign(vec![path.display().to_string()])
            } else {
                Existing::Nothing
            });
        }
        Err(e) => return Err(e),
    };
    if !meta.is_dir() {
        return Ok(Existing::Foreign(vec![path.display().to_string()]));
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(path)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    if names.is_empty() {
        return Ok(Existing::Empty);
    }
    let foreign: Vec<String> = names.iter().filter(|n| !is_output_name(n)).cloned().collect();
    let manifest = read_manifest(&path.join("manifest.json"));
    match manifest {
        Some(m) if foreign.is_empty() => Ok(Existing::Report(m)),
        // chatsim's file names, but no manifest saying chatsim wrote them.
        _ if foreign.is_empty() => Ok(Existing::Foreign(Vec::new())),
        _ => Ok(Existing::Foreign(foreign)),
    }
}

/// A chatsim manifest (`"tool": "chatsim"`), if `path` is one.
pub(super) fn read_manifest(path: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    (value.get("tool").and_then(|t| t.as_str()) == Some("chatsim")).then_some(value)
}

fn is_chatsim_manifest(path: &Path) -> bool {
    read_manifest(path).is_some()
}

#[cfg(unix)]
fn same_device(meta: &std::fs::Metadata, parent: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(parent).is_ok_and(|p| p.dev() == meta.dev())
}

#[cfg(not(unix))]
fn same_device(_: &std::fs::Metadata, _: &Path) -> bool {
    true
}

/// Moves every file under `from` to the same place under `to`, creating folders; with
/// `skip_manifest`, leaves the top-level `manifest.json` for last.
fn move_tree(from: &Path, to: &Path, skip_manifest: bool) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    let mut entries: Vec<_> = std::fs::read_dir(from)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        if skip_manifest && name == "manifest.json" {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            move_tree(&src, &dst, false)?;
        } else {
            move_file(&src, &dst)?;
        }
    }
    Ok(())
}

/// Renames `from` to `to`, or (across file systems) writes a copy atomically and removes it.
fn move_file(from: &Path, to: &Path) -> std::io::Result<()> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    let bytes = std::fs::read(from)?;
    crate::report::write_atomic(to, &bytes).map_err(|e| e.source)?;
    std::fs::remove_file(from)
}

/// The lock beside an output folder; removed when dropped.
#[derive(Debug)]
struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Takes the lock at `path` for the output folder `dir`, taking over a lock whose
    /// process is provably gone.
    fn take(path: &Path, dir: &Path) -> Result<Self, Error> {
        let me = format!("pid {}\nhost {}\n", std::process::id(), host());
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(mut file) => {
                    // A lock without its owner still locks; the owner is for messages.
                    let _ = file.write_all(me.as_bytes());
                    return Ok(Self {
                        path: path.to_owned(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let held = std::fs::read_to_string(path).unwrap_or_default();
                    if !gone(&held) || !take_over(path, &held) {
                        return Err(Error::Locked {
                            dir: dir.to_owned(),
                            lock: path.to_owned(),
                            owner: held.lines().collect::<Vec<_>>().join(", "),
                        });
                    }
                    super::warn(&format!(
                        "note: took over the lock '{}' of a run that is no longer running ({})",
                        path.display(),
                        held.lines().collect::<Vec<_>>().join(", ")
                    ));
                }
                Err(e) => {
                    return Err(Error::Output {
                        path: dir.to_owned(),
                        what: format!("could not create the lock '{}'", path.display()),
                        source: e,
                    });
                }
            }
        }
        Err(Error::Locked {
            dir: dir.to_owned(),
            lock: path.to_owned(),
            owner: String::new(),
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Moves a stale lock aside and removes it, unless another command took it over first
/// (then what was moved is not the stale lock and goes back).
fn take_over(path: &Path, held: &str) -> bool {
    let aside = path.with_extension(format!("lock.stale-{}", std::process::id()));
    if std::fs::rename(path, &aside).is_err() {
        return false;
    }
    if std::fs::read_to_string(&aside).unwrap_or_default() == held {
        let _ = std::fs::remove_file(&aside);
        true
    } else {
        // Someone else's fresh lock: put it back (a link never replaces anything).
        let _ = std::fs::hard_link(&aside, path);
        let _ = std::fs::remove_file(&aside);
        false
    }
}

/// This machine's name, as far as the standard library can tell.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

/// Whether the lock's process is provably gone: it ran on this host and there is no such
/// process. Only where `/proc` lists processes; elsewhere a lock is never taken over.
fn gone(held: &str) -> bool {
    let field = |key: &str| {
        held.lines()
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_owned()))
    };
    let (Some(pid), Some(owner_host)) = (field("pid "), field("host ")) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    let here = host();
    // Our own process id in a lock we have not taken yet is an earlier process's (a
    // container restarted on the same host numbers its processes alike).
    !here.is_empty()
        && owner_host == here
        && Path::new("/proc/self").exists()
        && (pid == std::process::id() || !Path::new("/proc").join(pid.to_string()).exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn only_a_lock_of_a_process_gone_from_this_host_is_stale() {
        assert!(!gone("pid 1\nhost elsewhere\n"), "another host's lock");
        assert!(!gone("garbage"));
        if Path::new("/proc/self").exists() && !host().is_empty() {
            let parent = std::os::unix::process::parent_id();
            assert!(
                !gone(&format!("pid {parent}\nhost {}\n", host())),
                "a live process"
            );
            let me = format!("pid {}\nhost {}\n", std::process::id(), host());
            assert!(gone(&me), "our own id: an earlier process's");
        }
    }

    #[test]
    fn output_names_are_chatsims_own() {
        for name in ["summary.csv", "charts", "runs", "manifest.json", "staffing.csv"] {
            assert!(is_output_name(name), "{name}");
        }
        for name in ["notes.txt", ".git", "charts.bak"] {
            assert!(!is_output_name(name), "{name}");
        }
    }
}
