//! The effective attack surface of a profile: how many syscalls it lets run against the
//! container runtime's default profile, which dangerous ones it still allows, and whether the
//! capabilities the container holds make them reachable.
//!
//! The runtime default is moby's default seccomp profile (`profiles/seccomp/default.json` in
//! github.com/moby/moby, Apache-2.0, Copyright Docker, Inc.), which containerd and CRI-O
//! follow, embedded as three tables: [`RUNTIME_DEFAULT_COMMON`], what it allows
//! unconditionally on every architecture (kernel ≥ 4.8; argument-conditioned rules such as
//! `personality` and `clone` left out), [`RUNTIME_DEFAULT_BY_ARCH`] and
//! [`RUNTIME_DEFAULT_BY_CAPABILITY`], what it adds per architecture and per capability. A
//! test compares them with the real profile in `../shared/corpus/seccomp` on every
//! architecture.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::{normalize_capability, Arch, Profile};

/// moby's default profile: names allowed unconditionally on every architecture (each
/// architecture ignores the names it does not have, such as `chown32` on x86_64).
#[rustfmt::skip]
pub const RUNTIME_DEFAULT_COMMON: &[&str] = &[
    "_llseek", "_newselect", "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat",
    "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
    "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup", "dup2",
    "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2",
    "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group",
    "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod",
    "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr",
    "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
    "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait",
    "futex_waitv", "futex_wake", "futimesat", "get_robust_list", "get_thread_area", "getcpu", "getcwd",
    "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32",
    "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
    "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
    "getrusage", "getsid", "getsockname", "getsockopt", "gettid", "gettimeofday", "getuid", "getuid32",
    "getxattr", "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
    "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup",
    "io_submit", "ioctl", "ioprio_get", "ioprio_set", "ipc", "kill", "landlock_add_rule",
    "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat",
    "listen", "listmount", "listxattr", "listxattrat", "llistxattr", "lremovexattr", "lseek", "lsetxattr",
    "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret",
    "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2",
    "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
    "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv",
    "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat",
    "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
    "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2",
    "prlimit64", "process_mrelease", "process_vm_readv", "process_vm_writev", "pselect6", "pselect6_time64",
    "ptrace", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv",
    "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr",
    "removexattrat", "rename", "renameat", "renameat2", "restart_syscall", "riscv_hwprobe", "rmdir", "rseq",
    "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
    "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_getscheduler",
    "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
    "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
    "set_robust_list", "set_thread_area", "set_tid_address", "setfsgid", "setfsgid32", "setfsuid",
    "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority",
    "setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid",
    "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid", "setuid32", "setxattr", "setxattrat",
    "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask",
    "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statmount",
    "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time",
    "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
    "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname",
    "unlink", "unlinkat", "uretprobe", "utime", "utimensat", "utimensat_time64", "utimes", "vfork",
    "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
];

/// moby's default profile: what it adds on some architectures (`includes.arches`, Go names).
#[rustfmt::skip]
pub const RUNTIME_DEFAULT_BY_ARCH: &[(&[&str], &[&str])] = &[
    (&["amd64", "x32"], &["arch_prctl"]),
    (&["amd64", "x32", "x86"], &["modify_ldt"]),
    (
        &["arm", "arm64"],
        &[
            "arm_fadvise64_64",
            "arm_sync_file_range",
            "breakpoint",
            "cacheflush",
            "set_tls",
            "sync_file_range2",
        ],
    ),
    (&["ppc64le"], &["swapcontext", "sync_file_range2"]),
    (&["riscv64"], &["riscv_flush_icache"]),
    (
        &["s390", "s390x"],
        &["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"],
    ),
];

/// moby's default profile: what each capability adds (rules with `includes.caps`; none of
/// them is limited to an architecture).
#[rustfmt::skip]
pub const RUNTIME_DEFAULT_BY_CAPABILITY: &[(&str, &[&str])] = &[
    ("CAP_BPF", &["bpf"]),
    ("CAP_DAC_READ_SEARCH", &["open_by_handle_at"]),
    ("CAP_PERFMON", &["perf_event_open"]),
    ("CAP_SYSLOG", &["syslog"]),
    ("CAP_SYS_ADMIN", &[
        "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
        "lookup_dcookie", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount",
        "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd",
        "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare",
    ]),
    ("CAP_SYS_BOOT", &["reboot"]),
    ("CAP_SYS_CHROOT", &["chroot"]),
    ("CAP_SYS_MODULE", &["delete_module", "finit_module", "init_module"]),
    ("CAP_SYS_NICE", &["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"]),
    ("CAP_SYS_PACCT", &["acct"]),
    ("CAP_SYS_PTRACE", &["kcmp", "pidfd_getfd", "process_madvise"]),
    ("CAP_SYS_RAWIO", &["ioperm", "iopl"]),
    ("CAP_SYS_TIME", &["clock_settime", "clock_settime64", "settimeofday", "stime"]),
    ("CAP_SYS_TTY_CONFIG", &["vhangup"]),
];

/// How a dangerous syscall can be used by a process without the capabilities that unlock it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WithoutCapability {
    /// The kernel refuses it.
    Refused,
    /// Usable inside a user namespace the process creates itself (`unshare`/`clone` with
    /// `CLONE_NEWUSER`), where it holds every capability.
    InOwnUserNamespace,
    /// Usable in part (on its own processes, under default sysctls).
    Partly,
    /// Usable as is.
    Fully,
}

struct DangerousSyscall {
    name: &'static str,
    why: &'static str,
    /// Any of these makes it fully usable.
    capabilities: &'static [&'static str],
    without: WithoutCapability,
}

const fn danger(
    name: &'static str,
    capabilities: &'static [&'static str],
    without: WithoutCapability,
    why: &'static str,
) -> DangerousSyscall {
    DangerousSyscall {
        name,
        why,
        capabilities,
        without,
    }
}

use WithoutCapability::{Fully, InOwnUserNamespace, Partly, Refused};

const ADMIN: &[&str] = &["CAP_SYS_ADMIN"];
const PTRACE: &[&str] = &["CAP_SYS_PTRACE"];
const IO_URING: &str = "performs I/O the seccomp filter never sees, and is a frequent source of kernel exploits";
const MOUNT_API: &str = "new mount API: mounts filesystems, like mount";
const HOST_CLOCK: &str = "time is not namespaced: changes the node's clock";

const DANGEROUS: &[DangerousSyscall] = &[
    danger("ptrace", PTRACE, Partly, "reads and writes other processes' memory and registers (its own user's without CAP_SYS_PTRACE); bypasses seccomp before Linux 4.8"),
    danger("process_vm_readv", PTRACE, Partly, "reads another process's memory"),
    danger("process_vm_writev", PTRACE, Partly, "writes another process's memory"),
    danger("bpf", &["CAP_BPF", "CAP_SYS_ADMIN"], Refused, "loads eBPF programs into the kernel: reads kernel memory, verifier bugs are kernel exploits"),
    danger("mount", ADMIN, InOwnUserNamespace, "mounts filesystems: with CAP_SYS_ADMIN remounts host paths (the cgroup release_agent escape)"),
    danger("umount", ADMIN, InOwnUserNamespace, "unmounts paths the runtime masked (/proc/kcore, …)"),
    danger("umount2", ADMIN, InOwnUserNamespace, "unmounts paths the runtime masked (/proc/kcore, …)"),
    danger("pivot_root", ADMIN, InOwnUserNamespace, "changes the root filesystem"),
    danger("fsopen", ADMIN, InOwnUserNamespace, MOUNT_API),
    danger("fsmount", ADMIN, InOwnUserNamespace, MOUNT_API),
    danger("fsconfig", ADMIN, InOwnUserNamespace, MOUNT_API),
    danger("move_mount", ADMIN, InOwnUserNamespace, MOUNT_API),
    danger("open_tree", ADMIN, InOwnUserNamespace, MOUNT_API),
    danger("unshare", &[], Fully, "creates namespaces: a new user namespace grants every capability inside it, opening mount, netfilter and more kernel code"),
    danger("setns", ADMIN, InOwnUserNamespace, "joins other namespaces, the host's through a leaked file descriptor"),
    danger("keyctl", &[], Fully, "the kernel keyring is not namespaced: reads or plants other containers' keys"),
    danger("add_key", &[], Fully, "the kernel keyring is not namespaced: plants keys for other containers"),
    danger("request_key", &[], Fully, "the kernel keyring is not namespaced"),
    danger("kexec_load", &["CAP_SYS_BOOT"], Refused, "loads a new kernel to boot into"),
    danger("kexec_file_load", &["CAP_SYS_BOOT"], Refused, "loads a new kernel to boot into"),
    danger("reboot", &["CAP_SYS_BOOT"], Refused, "reboots the node"),
    danger("init_module", &["CAP_SYS_MODULE"], Refused, "loads code into the kernel"),
    danger("finit_module", &["CAP_SYS_MODULE"], Refused, "loads code into the kernel"),
    danger("delete_module", &["CAP_SYS_MODULE"], Refused, "unloads kernel modules (security modules included)"),
    danger("perf_event_open", &["CAP_PERFMON", "CAP_SYS_ADMIN"], Partly, "kernel profiling: leaks kernel addresses, a frequent source of kernel exploits (own processes under perf_event_paranoid 2)"),
    danger("userfaultfd", PTRACE, Partly, "stalls the kernel at chosen page faults, turning kernel races into reliable exploits"),
    danger("open_by_handle_at", &["CAP_DAC_READ_SEARCH"], Refused, "opens files by handle across mount boundaries (the 'shocker' container escape)"),
    danger("io_uring_setup", &[], Fully, IO_URING),
    danger("io_uring_enter", &[], Fully, IO_URING),
    danger("io_uring_register", &[], Fully, IO_URING),
    danger("iopl", &["CAP_SYS_RAWIO"], Refused, "direct access to I/O ports"),
    danger("ioperm", &["CAP_SYS_RAWIO"], Refused, "direct access to I/O ports"),
    danger("swapon", ADMIN, Refused, "changes the node's swap"),
    danger("swapoff", ADMIN, Refused, "changes the node's swap"),
    danger("acct", &["CAP_SYS_PACCT"], Refused, "process accounting of the whole node"),
    danger("settimeofday", &["CAP_SYS_TIME"], Refused, HOST_CLOCK),
    danger("clock_settime", &["CAP_SYS_TIME"], Refused, HOST_CLOCK),
    danger("syslog", &["CAP_SYSLOG", "CAP_SYS_ADMIN"], Refused, "reads the kernel log: kernel addresses, other tenants' messages"),
    danger("lookup_dcookie", ADMIN, Refused, "kernel profiling internals"),
    danger("fanotify_init", ADMIN, Refused, "watches file access across the filesystem"),
];

/// One dangerous syscall the profile lets run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dangerous {
    pub syscall: String,
    pub why: String,
    /// Capabilities that make it fully usable (any one of them).
    pub capabilities: Vec<String>,
    /// Whether the process can use it, given the capabilities it holds and the profile.
    pub reachable: bool,
    /// Why it is reachable or not.
    pub reachability: String,
    /// Allowed only for some arguments.
    pub conditional: bool,
}

/// The score of one profile for one architecture and capability set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Score {
    /// Syscalls of the architecture the profile lets run (argument-conditioned ones excluded).
    pub allowed: usize,
    /// Syscalls of the architecture the runtime's default profile lets run, with the same
    /// capabilities.
    pub runtime_default: usize,
    /// `allowed` as a share of `runtime_default`, in percent (rounded).
    pub percent_of_runtime_default: u32,
    pub dangerous: Vec<Dangerous>,
    pub architecture: String,
    pub capabilities: Vec<String>,
    pub default_action: String,
    /// Allowed for some arguments only.
    pub conditional: Vec<String>,
    /// Allowed here, refused by the runtime default.
    pub beyond_runtime_default: Vec<String>,
    /// Names the profile allows that are no syscalls of the architecture (ignored by runtimes).
    pub not_syscalls_of_architecture: Vec<String>,
    /// Whether the profile lists the architecture at all (when not, every syscall of it is
    /// refused and `allowed` is 0).
    pub architecture_listed: bool,
}

/// The runtime default (moby's profile) on `arch` for a process holding `caps`, as the
/// profile lists names (names `arch` does not have included).
pub fn runtime_default_names(arch: Arch, caps: &BTreeSet<String>) -> BTreeSet<&'static str> {
    let caps: BTreeSet<String> = caps.iter().map(|cap| normalize_capability(cap)).collect();
    let mut names: BTreeSet<&'static str> = RUNTIME_DEFAULT_COMMON.iter().copied().collect();
    for (arches, added) in RUNTIME_DEFAULT_BY_ARCH {
        if arches.iter().any(|name| arch.matches_filter_name(name)) {
            names.extend(added.iter().copied());
        }
    }
    for (cap, added) in RUNTIME_DEFAULT_BY_CAPABILITY {
        if caps.contains(*cap) {
            names.extend(added.iter().copied());
        }
    }
    names
}

/// Scores `profile` for `arch` (default: the profile's own) and the capabilities the
/// container holds (`CAP_SYS_ADMIN` or `SYS_ADMIN`).
pub fn score(profile: &Profile, arch: Option<Arch>, caps: &[String]) -> Score {
    let arch = arch.unwrap_or_else(|| profile.primary_arch());
    let caps: BTreeSet<String> = caps.iter().map(|cap| normalize_capability(cap)).collect();
    // A filter kills every syscall of an architecture it does not list (libseccomp's bad-arch
    // action); with no list, runtimes use the native one.
    let listed = profile.architectures.is_empty()
        || profile.arches().contains(&arch)
        || profile.arch_map.iter().any(|entry| {
            entry
                .sub_architectures
                .iter()
                .any(|sub| Arch::from_name(sub) == Some(arch))
        });
    let effective = if listed {
        profile.effective(arch, &caps)
    } else {
        Default::default()
    };
    let table: BTreeSet<&str> = arch.syscall_names().into_iter().collect();
    let allowed: BTreeSet<&str> = effective
        .allowed
        .iter()
        .map(String::as_str)
        .filter(|n| table.contains(n))
        .collect();
    let runtime: BTreeSet<&str> = runtime_default_names(arch, &caps)
        .into_iter()
        .filter(|n| table.contains(n))
        .collect();
    let lets_run = |name: &str| allowed.contains(name) || effective.conditional.contains(name);
    // clone/clone3 with CLONE_NEWUSER create user namespaces as unshare does; moby filters
    // clone's flags and refuses clone3 for this reason.
    let user_namespaces = ["unshare", "clone", "clone3"]
        .into_iter()
        .any(|name| allowed.contains(name));
    let dangerous = DANGEROUS
        .iter()
        .filter(|spec| lets_run(spec.name))
        .map(|spec| {
            let held: Vec<&str> = spec.capabilities.iter().copied().filter(|cap| caps.contains(*cap)).collect();
            let (reachable, reachability) = if let Some(cap) = held.first() {
                (true, format!("yes: the container holds {cap}"))
            } else {
                let needs = spec.capabilities.join(" or ");
                match spec.without {
                    Fully => (true, "yes: needs no capability".to_string()),
                    Partly => (true, format!("partly: without {needs}, on the container's own processes")),
                    InOwnUserNamespace if user_namespaces => (
                        true,
                        format!("through a user namespace: the profile allows creating one (unshare/clone), where it holds {needs} (unless the node disables user namespaces)"),
                    ),
                    InOwnUserNamespace | Refused => (false, format!("no: needs {needs}, which the container does not hold")),
                }
            };
            Dangerous {
                syscall: spec.name.to_string(),
                why: spec.why.to_string(),
                capabilities: spec.capabilities.iter().map(|cap| cap.to_string()).collect(),
                reachable,
                reachability,
                conditional: !allowed.contains(spec.name),
            }
        })
        .collect();
    let percent = if runtime.is_empty() {
        0
    } else {
        ((allowed.len() * 100 + runtime.len() / 2) / runtime.len()) as u32
    };
    Score {
        allowed: allowed.len(),
        runtime_default: runtime.len(),
        percent_of_runtime_default: percent,
        dangerous,
        architecture: arch.short_name().to_string(),
        capabilities: caps.iter().cloned().collect(),
        default_action: profile.default_action.oci_name().to_string(),
        conditional: effective.conditional.iter().cloned().collect(),
        beyond_runtime_default: allowed.difference(&runtime).map(|n| n.to_string()).collect(),
        architecture_listed: listed,
        not_syscalls_of_architecture: effective
            .allowed
            .iter()
            .filter(|n| !table.contains(n.as_str()))
            .cloned()
            .collect(),
    }
}

impl Score {
    /// Human-readable report.
    pub fn to_table(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let caps = if self.capabilities.is_empty() {
            "none".to_string()
        } else {
            self.capabilities.join(", ")
        };
        let unlisted = if self.architecture_listed {
            ""
        } else {
            " (not listed by the profile: every syscall refused)"
        };
        let _ = writeln!(out, "architecture      {}{unlisted}", self.architecture);
        let _ = writeln!(out, "capabilities      {caps}");
        let _ = writeln!(out, "default action    {}", self.default_action);
        let _ = writeln!(
            out,
            "allowed syscalls  {} ({}% of the runtime default's {})",
            self.allowed, self.percent_of_runtime_default, self.runtime_default
        );
        if !self.conditional.is_empty() {
            let _ = writeln!(out, "conditional       {}", self.conditional.join(" "));
        }
        if !self.beyond_runtime_default.is_empty() {
            let _ = writeln!(out, "beyond default    {}", self.beyond_runtime_default.join(" "));
        }
        if self.dangerous.is_empty() {
            let _ = writeln!(out, "dangerous         none allowed");
        } else {
            let _ = writeln!(
                out,
                "dangerous         {} allowed ({} reachable)",
                self.dangerous.len(),
                self.dangerous.iter().filter(|d| d.reachable).count()
            );
            let width = self.dangerous.iter().map(|d| d.syscall.len()).max().unwrap_or(0);
            for d in &self.dangerous {
                let marker = if d.reachable { "!" } else { "-" };
                let conditional = if d.conditional { " [some arguments only]" } else { "" };
                let _ = writeln!(
                    out,
                    "  {marker} {:width$}  {}{conditional}\n    {:width$}  {}",
                    d.syscall, d.why, "", d.reachability
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(names: &[&str]) -> Profile {
        Profile::allow_list(Arch::X86_64, names.iter().map(|n| n.to_string()))
    }

    #[test]
    fn tight_profile_scores_small() {
        let s = score(&allow(&["read", "write", "exit_group", "chown32"]), None, &[]);
        assert_eq!(s.allowed, 3, "chown32 is no x86_64 syscall");
        assert_eq!(s.not_syscalls_of_architecture, ["chown32"]);
        assert!(s.runtime_default > 300, "{}", s.runtime_default);
        assert!(s.dangerous.is_empty());
        assert_eq!(s.percent_of_runtime_default, 1);
    }

    #[test]
    fn capabilities_decide_reachability() {
        let profile = allow(&["read", "mount", "bpf", "keyctl"]);
        let without = score(&profile, None, &[]);
        let by_name = |s: &Score, name: &str| s.dangerous.iter().find(|d| d.syscall == name).cloned().unwrap();
        assert!(
            !by_name(&without, "mount").reachable,
            "no CAP_SYS_ADMIN and no way to a user namespace"
        );
        assert!(!by_name(&without, "bpf").reachable);
        assert!(by_name(&without, "keyctl").reachable);
        let admin = score(&profile, None, &["SYS_ADMIN".to_string()]);
        assert!(by_name(&admin, "mount").reachable && by_name(&admin, "bpf").reachable);
        assert!(
            admin.runtime_default > without.runtime_default,
            "moby adds mount & co. for CAP_SYS_ADMIN"
        );
        let userns = score(&allow(&["mount", "unshare"]), None, &[]);
        assert!(by_name(&userns, "mount").reachable);
        assert!(by_name(&userns, "mount").reachability.contains("user namespace"));
    }

    #[test]
    fn unlisted_architecture_allows_nothing() {
        let s = score(&allow(&["read", "ptrace"]), Some(Arch::Aarch64), &[]);
        assert!(!s.architecture_listed);
        assert_eq!((s.allowed, s.dangerous.len()), (0, 0));
        let compat = score(&allow(&["read"]), Some(Arch::X86), &[]);
        assert!(compat.architecture_listed, "SCMP_ARCH_X86 comes with x86_64");
        assert_eq!(compat.allowed, 1);
    }

    #[test]
    fn table_lists_dangers() {
        let s = score(&allow(&["read", "ptrace"]), None, &[]);
        let table = s.to_table();
        assert!(table.contains("allowed syscalls  2"), "{table}");
        assert!(table.contains("! ptrace"), "{table}");
    }
}
