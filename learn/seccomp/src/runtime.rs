//! The system calls an OCI runtime's container init makes *after* installing the container's
//! seccomp filter and before (and including) `execve` of the program: a profile recorded from
//! the program alone must allow them too, or the container never starts.
//!
//! These lists were learned by recording the runtimes, not guessed: the proof test
//! (`cli/tests/prove_seccomp.rs`) re-learns them on every run with `strace -f` on the runtime
//! starting a container, takes the calls of the task that installed the filter from that point
//! on, and fails if one of them is missing here.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    Crun,
    Runc,
}

impl Runtime {
    pub const ALL: [Runtime; 2] = [Runtime::Crun, Runtime::Runc];

    /// Calls made after the filter is installed, sorted (crun 1.8.1, runc 1.1.5; runc's come
    /// from the Go runtime finishing its own start-up).
    pub fn after_filter(self) -> &'static [&'static str] {
        match self {
            Runtime::Crun => &["close", "execve"],
            Runtime::Runc => &[
                "close",
                "epoll_ctl",
                "execve",
                "fstatfs",
                "futex",
                "getdents64",
                "getpid",
                "openat",
                "write",
            ],
        }
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Runtime::Crun => "crun",
            Runtime::Runc => "runc",
        })
    }
}
