//! # tailor-record
//!
//! Runs a real program and records every system call that it and all its descendants
//! (forks, vforks, clones, threads, `execve`d images) make, per architecture, so that a
//! seccomp profile can be built from what the program really does.
//!
//! ## Mechanism
//! The child installs a one-instruction seccomp filter returning `SECCOMP_RET_USER_NOTIF`
//! for every syscall, then `execve`s the program; Tailor holds the filter's listener and
//! answers each notification with `SECCOMP_USER_NOTIF_FLAG_CONTINUE`. Compared with ptrace
//! (`strace -f`: two stops per syscall, each a signal-delivery-style state change), a
//! notification is one wake-up each way, the kernel follows forks, clones and threads by
//! itself (filters are inherited), and signals and exit codes reach the program untouched
//! because nothing traces it. See `bench/record-overhead.sh` for the measured overhead.
//!
//! Consequences worth knowing: the program runs with `no_new_privs` (a set-uid binary does
//! not gain privileges while recorded); recording lasts until every process of the tree has
//! exited (like `strace -f`); a program that installs its own seccomp listener (an OCI
//! runtime using `SCMP_ACT_NOTIFY`) cannot be recorded this way (the kernel allows one
//! listener per filter chain); the syscalls the child makes between `fork` and the filter
//! (Tailor's own setup) are not recorded, `execve` of the program is.
//!
//! ## Boundaries
//! This crate does I/O by nature (it runs processes). It does not render profiles: it hands
//! back names per [`Arch`] and `tailor-seccomp` turns them into OCI / SPO / Localhost forms.
//! It must not depend on the CLI. All `unsafe` code lives in the Linux-only `notify` module.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub use tailor_seccomp::Arch;

#[cfg(target_os = "linux")]
mod notify;

/// What a recording saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// Syscall names seen, per architecture (an x86_64 program running a 32-bit helper
    /// shows up under both `X86_64` and `X86`).
    pub syscalls: BTreeMap<Arch, BTreeSet<&'static str>>,
    /// Syscalls whose architecture or number has no name in Tailor's tables:
    /// `(AUDIT_ARCH_* value, number)`.
    pub unknown: BTreeSet<(u32, u64)>,
    /// How the program (the direct child) ended.
    pub exit: Exit,
}

/// How the recorded program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

impl Exit {
    /// The exit status a shell would report: the code, or 128 + the signal number.
    pub fn shell_code(self) -> i32 {
        match self {
            Exit::Code(code) => code,
            Exit::Signal(signal) => 128 + signal,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("no command given to record")]
    NoCommand,
    #[error("{0}: command not found (searched PATH)")]
    NotFound(String),
    #[error("cannot run {program}: {source}")]
    Exec { program: String, source: std::io::Error },
    #[error("{step}: {source}")]
    System { step: &'static str, source: std::io::Error },
    #[error("recording is only supported on Linux")]
    Unsupported,
}

/// The accumulation of `(architecture, number)` pairs into names: pure, so it is tested
/// without running anything.
#[derive(Debug, Default)]
pub struct Seen {
    syscalls: BTreeMap<Arch, BTreeSet<&'static str>>,
    unknown: BTreeSet<(u32, u64)>,
}

impl Seen {
    /// Records syscall `number` made under audit architecture `audit_arch`.
    pub fn add(&mut self, audit_arch: u32, number: u64) {
        let name = Arch::from_audit_arch(audit_arch).and_then(|arch| {
            let name = u32::try_from(number).ok().and_then(|n| arch.syscall_name(n))?;
            Some((arch, name))
        });
        match name {
            Some((arch, name)) => {
                self.syscalls.entry(arch).or_default().insert(name);
            }
            None => {
                self.unknown.insert((audit_arch, number));
            }
        }
    }

    pub fn finish(self, exit: Exit) -> Recording {
        Recording {
            syscalls: self.syscalls,
            unknown: self.unknown,
            exit,
        }
    }
}

/// Runs `command[0]` (looked up in `PATH` unless it holds a `/`) with `command[1..]` and
/// records its syscalls until every process of its tree has exited. While it runs, SIGINT,
/// SIGTERM, SIGHUP and SIGQUIT sent to Tailor alone (`kill`) are forwarded to the program;
/// ones sent by the terminal already reach the program's process group, so they are not
/// sent twice. Either way Tailor keeps recording and returns what it saw. Signal handling is
/// process-wide: run one recording at a time per process.
pub fn record(command: &[OsString]) -> Result<Recording, RecordError> {
    let (program, args) = command.split_first().ok_or(RecordError::NoCommand)?;
    let path = resolve_program(Path::new(program), std::env::var_os("PATH").as_deref())?;
    #[cfg(target_os = "linux")]
    {
        notify::record(&path, program, args)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (path, args);
        Err(RecordError::Unsupported)
    }
}

/// `execvp`'s lookup, done before forking so the child does as little as possible: a name
/// with a `/` is used as is, otherwise the first executable file of that name in `path_var`.
fn resolve_program(program: &Path, path_var: Option<&std::ffi::OsStr>) -> Result<PathBuf, RecordError> {
    if program.as_os_str().as_encoded_bytes().contains(&b'/') {
        return Ok(program.to_path_buf());
    }
    let path_var = path_var.unwrap_or("/usr/local/bin:/usr/bin:/bin".as_ref());
    std::env::split_paths(path_var)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable_file(candidate))
        .ok_or_else(|| RecordError::NotFound(program.display().to_string()))
}

fn is_executable_file(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_names_per_architecture() {
        let mut seen = Seen::default();
        seen.add(Arch::X86_64.audit_arch(), 59);
        seen.add(Arch::X86_64.audit_arch(), 231);
        seen.add(Arch::X86_64.audit_arch(), 231);
        seen.add(Arch::X86.audit_arch(), 11);
        seen.add(Arch::X86_64.audit_arch(), 100_000);
        seen.add(0x1234, 1);
        let recording = seen.finish(Exit::Code(0));
        assert_eq!(
            recording.syscalls[&Arch::X86_64].iter().copied().collect::<Vec<_>>(),
            ["execve", "exit_group"]
        );
        assert_eq!(
            recording.syscalls[&Arch::X86].iter().copied().collect::<Vec<_>>(),
            ["execve"]
        );
        assert_eq!(
            recording.unknown.into_iter().collect::<Vec<_>>(),
            [(0x1234, 1), (Arch::X86_64.audit_arch(), 100_000)]
        );
    }

    #[test]
    fn shell_code_is_code_or_128_plus_signal() {
        assert_eq!(Exit::Code(3).shell_code(), 3);
        assert_eq!(Exit::Signal(15).shell_code(), 143);
    }

    #[test]
    fn programs_are_looked_up_like_execvp() {
        let dir = std::env::temp_dir().join(format!("tailor-record-path-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let tool = dir.join("tool");
        std::fs::write(&tool, "#!/bin/sh\n").unwrap();
        let not_executable = dir.join("data");
        std::fs::write(&not_executable, "").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
            std::fs::set_permissions(&not_executable, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let path_var = std::env::join_paths(["/nonexistent".as_ref(), dir.as_path()]).unwrap();
        assert_eq!(resolve_program("tool".as_ref(), Some(&path_var)).unwrap(), tool);
        assert!(matches!(
            resolve_program("data".as_ref(), Some(&path_var)),
            Err(RecordError::NotFound(name)) if name == "data"
        ));
        assert_eq!(
            resolve_program("./x/y".as_ref(), Some(&path_var)).unwrap(),
            PathBuf::from("./x/y")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
