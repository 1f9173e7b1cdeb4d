//! Profiles from what other tools record, so a team can record in CI without Tailor:
//! - kernel audit records of seccomp decisions ([`from_audit`]): `type=SECCOMP` (auditd's
//!   `audit.log`, `ausearch -i`) or `audit: type=1326` (dmesg/journal) lines, which a profile
//!   with `SCMP_ACT_LOG` (or SPO's log recorder) produces for every syscall;
//! - `strace -f` output ([`from_strace`]), with or without `-o FILE`, pid prefixes, `-t`/`-tt`/
//!   `-ttt`/`-r` timestamps, `-i` instruction pointers, unfinished/resumed pairs.
//!
//! Both give [`Profile::allow_list`] of what was seen: everything else fails with `EPERM`.

use std::collections::BTreeSet;

use crate::{Arch, Error, Profile};

/// An imported profile and what the reader noticed on the way.
#[derive(Clone, Debug)]
pub struct Imported {
    pub profile: Profile,
    /// How many syscall events (lines) were read.
    pub events: usize,
    pub notes: Vec<String>,
}

/// Reads kernel audit lines. Records of other types are skipped; a seccomp record without a
/// readable `arch=`/`syscall=` is an error. `arch` is the architecture of the profile when
/// given; otherwise the one of the first record. Records of other architectures add their
/// architecture to the profile (their syscalls are named from their own table).
pub fn from_audit(text: &str, arch: Option<Arch>) -> Result<Imported, Error> {
    let mut names = BTreeSet::new();
    let mut arches: Vec<Arch> = arch.into_iter().collect();
    let mut events = 0;
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let is_seccomp = line
            .split_whitespace()
            .any(|field| field == "type=SECCOMP" || field == "type=1326");
        if !is_seccomp {
            continue;
        }
        let field = |key: &str| -> Option<(usize, &str)> {
            let mut offset = 0;
            for token in line.split(' ') {
                if let Some(value) = token.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')) {
                    return Some((offset + 1, value.trim_matches('"')));
                }
                offset += token.len() + 1;
            }
            None
        };
        let (arch_column, arch_text) =
            field("arch").ok_or_else(|| Error::at(line_number, 1, "type=SECCOMP record without arch="))?;
        let record_arch = u32::from_str_radix(arch_text, 16)
            .ok()
            .and_then(Arch::from_audit_arch)
            .or_else(|| Arch::from_name(arch_text))
            .ok_or_else(|| {
                Error::at(
                    line_number,
                    arch_column,
                    format!("unknown audit architecture arch={arch_text}"),
                )
            })?;
        let (syscall_column, syscall_text) =
            field("syscall").ok_or_else(|| Error::at(line_number, 1, "type=SECCOMP record without syscall="))?;
        let name = match syscall_text.parse::<u32>() {
            Ok(number) => record_arch.syscall_name(number).ok_or_else(|| {
                Error::at(
                    line_number,
                    syscall_column,
                    format!("syscall={number} is not a syscall number of {record_arch}"),
                )
            })?,
            // `ausearch -i` prints names already.
            Err(_) if record_arch.has_syscall(syscall_text) => {
                names.insert(syscall_text.to_string());
                events += 1;
                push_arch(&mut arches, record_arch);
                continue;
            }
            Err(_) => {
                return Err(Error::at(
                    line_number,
                    syscall_column,
                    format!("syscall={syscall_text} is neither a number nor a syscall of {record_arch}"),
                ))
            }
        };
        names.insert(name.to_string());
        events += 1;
        push_arch(&mut arches, record_arch);
    }
    if events == 0 {
        return Err(Error::at(
            0,
            0,
            "no seccomp audit records (type=SECCOMP or type=1326) found",
        ));
    }
    let mut notes = Vec::new();
    if arches.len() > 1 {
        notes.push(format!(
            "records from several architectures ({}): the profile lists them all",
            arches.iter().map(|a| a.short_name()).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(Imported {
        profile: profile_for(&arches, names),
        events,
        notes,
    })
}

fn push_arch(arches: &mut Vec<Arch>, arch: Arch) {
    if !arches.contains(&arch) {
        arches.push(arch);
    }
}

fn profile_for(arches: &[Arch], names: BTreeSet<String>) -> Profile {
    let mut profile = Profile::allow_list(arches[0], names);
    for extra in &arches[1..] {
        for name in std::iter::once(extra.oci_name()).chain(extra.sub_architectures().iter().copied()) {
            if !profile.architectures.iter().any(|have| have == name) {
                profile.architectures.push(name.to_string());
            }
        }
    }
    profile
}

/// Reads `strace -f` output for `arch`. Signal (`--- SIG… ---`), exit (`+++ … +++`) and
/// strace's own (`strace: …`) lines are skipped; any other line that names no syscall is an
/// error, so that a wrong file is not silently read as an empty profile.
pub fn from_strace(text: &str, arch: Arch) -> Result<Imported, Error> {
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut events = 0;
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let (column, rest) = strip_prefixes(line);
        if rest.is_empty() || rest.starts_with("---") || rest.starts_with("+++") || rest.starts_with("strace: ") {
            continue;
        }
        let name = if let Some(resumed) = rest.strip_prefix("<... ") {
            // `<... read resumed> …`; `<... resumed>` without a name was named on its
            // `<unfinished ...>` line already.
            match resumed.split_once(" resumed>") {
                Some((name, _)) if is_identifier(name) => name,
                _ if resumed.starts_with("resumed>") => continue,
                _ => {
                    return Err(Error::at(
                        line_number,
                        column,
                        format!("unreadable resumed line: {}", clip(rest)),
                    ))
                }
            }
        } else {
            match rest.split_once('(') {
                Some((name, _)) if is_identifier(name) => name,
                _ => {
                    return Err(Error::at(
                        line_number,
                        column,
                        format!("not a strace line (expected `name(args) = result`): {}", clip(rest)),
                    ))
                }
            }
        };
        events += 1;
        let name = syscall_number_name(name, arch).unwrap_or(name);
        if !names.contains(name) {
            names.insert(name.to_string());
        }
    }
    if events == 0 {
        return Err(Error::at(0, 0, "no syscalls found in the strace output"));
    }
    let table: BTreeSet<&str> = arch.syscall_names().into_iter().collect();
    let unknown: Vec<&String> = names.iter().filter(|name| !table.contains(name.as_str())).collect();
    let mut notes = Vec::new();
    if !unknown.is_empty() {
        notes.push(format!(
            "not syscalls of {arch} (kept; was the trace taken on another architecture? see --arch): {}",
            unknown.iter().map(|name| name.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(Imported {
        profile: profile_for(&[arch], names),
        events,
        notes,
    })
}

/// Skips `[pid 123] `, `123 ` (`-f -o`), timestamps (`12:00:01`, `12:00:01.123456`,
/// `1700000000.123456`, `-r`'s `0.000123`) and `-i`'s `[00007f…] `: returns the 1-based
/// column where the syscall starts and the rest of the line.
fn strip_prefixes(line: &str) -> (usize, &str) {
    let mut rest = line.trim_start();
    loop {
        let before = rest;
        if let Some(inner) = rest.strip_prefix('[') {
            if let Some((bracketed, after)) = inner.split_once(']') {
                let bracketed = bracketed.trim();
                let is_pid = bracketed
                    .strip_prefix("pid")
                    .is_some_and(|n| n.trim().chars().all(|c| c.is_ascii_digit()));
                let is_ip = !bracketed.is_empty() && bracketed.chars().all(|c| c.is_ascii_hexdigit());
                if is_pid || is_ip {
                    rest = after.trim_start();
                }
            }
        } else if let Some((token, after)) = rest.split_once(char::is_whitespace) {
            let is_number_or_time =
                !token.is_empty() && token.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ':');
            if is_number_or_time {
                rest = after.trim_start();
            }
        }
        if rest.len() == before.len() {
            break;
        }
    }
    (line.len() - rest.len() + 1, rest)
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// strace names syscalls it has no name for `syscall_0x1b6` (or `syscall_438` in old versions).
fn syscall_number_name(name: &str, arch: Arch) -> Option<&'static str> {
    let number = name.strip_prefix("syscall_")?;
    let number = match number.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => number.parse().ok()?,
    };
    arch.syscall_name(number)
}

fn clip(text: &str) -> String {
    text.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(imported: &Imported) -> Vec<&str> {
        imported.profile.syscalls[0].names.iter().map(String::as_str).collect()
    }

    #[test]
    fn audit_lines_from_auditd_dmesg_and_ausearch() {
        let text = "\
type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=59 success=yes
type=SECCOMP msg=audit(1700000000.123:456): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=1234 comm=\"httpd\" exe=\"/bin/busybox\" sig=0 arch=c000003e syscall=231 compat=0 ip=0x7f0 code=0x7ffc0000
[12345.678] audit: type=1326 audit(1700000000.124:457): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=1234 comm=\"httpd\" sig=0 arch=c000003e syscall=0 compat=0 ip=0x7f0 code=0x7ffc0000
type=SECCOMP msg=audit(11/23/2026 08:00:00.125:458) : auid=unset pid=1234 comm=httpd sig=0 arch=x86_64 syscall=openat compat=0
";
        let imported = from_audit(text, None).unwrap();
        assert_eq!(
            allowed(&imported),
            ["exit_group", "openat", "read"],
            "execve came from a SYSCALL record, not SECCOMP"
        );
        assert_eq!(imported.events, 3);
        assert_eq!(imported.profile.architectures[0], "SCMP_ARCH_X86_64");
    }

    #[test]
    fn audit_arch_decides_the_table() {
        let text = "type=SECCOMP msg=audit(1.1:1): pid=1 arch=c00000b7 syscall=94 code=0x7ffc0000\n";
        let imported = from_audit(text, None).unwrap();
        assert_eq!(allowed(&imported), ["exit_group"]);
        assert_eq!(imported.profile.architectures[0], "SCMP_ARCH_AARCH64");
    }

    #[test]
    fn audit_errors_name_line_and_column() {
        let err = from_audit(
            "noise\ntype=SECCOMP msg=audit(1.1:1): pid=1 arch=deadbeef syscall=1\n",
            None,
        )
        .unwrap_err();
        assert_eq!((err.line, err.column), (2, 38), "{err}");
        assert!(from_audit("type=AVC nothing\n", None)
            .unwrap_err()
            .message
            .contains("no seccomp audit records"));
    }

    #[test]
    fn strace_forms() {
        let text = r#"execve("/bin/true", ["true"], 0x7ffd /* 20 vars */) = 0
[pid  4242] openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3
4243  read(3, "\177ELF", 832) = 832
4243  12:00:01.123456 fstat(3, {st_mode=S_IFREG|0644, ...}) = 0
[pid  4244] wait4(-1,  <unfinished ...>
[pid  4245] <... clone3 resumed>, 88) = 4246
[pid  4244] <... resumed>) = 0
1700000000.123456 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, 3, 0) = 0x7f
[00007f1234567890] brk(NULL) = 0x55
--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---
+++ exited with 0 +++
4243  +++ killed by SIGKILL +++
strace: Process 4246 attached
restart_syscall(<... resuming interrupted nanosleep ...>) = 0
syscall_0x1b6(0x1, 0x2) = -1 ENOSYS (Function not implemented)
exit_group(0)                           = ?
"#;
        let imported = from_strace(text, Arch::X86_64).unwrap();
        assert_eq!(
            allowed(&imported),
            [
                "brk",
                "clone3",
                "execve",
                "exit_group",
                "fstat",
                "mmap",
                "openat",
                "pidfd_getfd",
                "read",
                "restart_syscall",
                "wait4"
            ],
            "syscall_0x1b6 is 438 (pidfd_getfd) on x86_64"
        );
        assert_eq!(
            imported.events, 11,
            "the nameless `<... resumed>` was counted on its unfinished line"
        );
        assert!(imported.notes.is_empty(), "{:?}", imported.notes);
    }

    #[test]
    fn strace_refuses_other_text() {
        let err = from_strace("read(0, \"\", 1) = 0\nhello world\n", Arch::X86_64).unwrap_err();
        assert_eq!((err.line, err.column), (2, 1), "{err}");
        assert!(from_strace("--- SIGINT ---\n", Arch::X86_64).is_err());
    }
}
