//! The Linux mechanics: fork, seccomp user-notification filter, the supervisor loop, signal
//! forwarding. This is the crate's only `unsafe` code; each block says what it relies on.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use crate::{Exit, RecordError, Recording, Seen};

/// Written by the child between installing the filter and `execve`, read by the parent.
/// Plain memory (a shared anonymous page), because once the filter is installed every
/// syscall of the child waits for a supervisor that does not have the listener yet: the
/// child must hand over the listener's number without making a syscall.
#[repr(C)]
struct Handshake {
    /// The listener's fd number in the child, or `-errno` if setup failed.
    listener: AtomicI32,
    /// `errno` of a failed `execve`, 0 otherwise.
    exec_errno: AtomicI32,
}

const PENDING: i32 = i32::MIN;

/// The forwarded signals: the ones a user sends to stop a recording.
const FORWARDED: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// The child the signal handler forwards to; 0 (nobody) until the parent knows it, and
/// always 0 in the child (it gets a copy from before the parent stores the pid).
static FORWARD_TO: AtomicI32 = AtomicI32::new(0);

pub(crate) fn record(path: &Path, program: &OsStr, args: &[OsString]) -> Result<Recording, RecordError> {
    // Everything the child needs is allocated before fork: after it, the child may only
    // make async-signal-safe calls.
    let exec_path = cstring(path.as_os_str())?;
    let argv_owned = std::iter::once(program)
        .chain(args.iter().map(OsString::as_os_str))
        .map(cstring)
        .collect::<Result<Vec<_>, _>>()?;
    let envp_owned = std::env::vars_os()
        .map(|(key, value)| {
            let mut entry = key;
            entry.push("=");
            entry.push(value);
            cstring(&entry)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let argv = null_terminated(&argv_owned);
    let envp = null_terminated(&envp_owned);
    // One instruction: every syscall, of every architecture, goes to the supervisor.
    let filter = [libc::sock_filter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k: libc::SECCOMP_RET_USER_NOTIF,
    }];
    let program_filter = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr().cast_mut(),
    };
    let page = SharedPage::new()?;
    let handshake = page.handshake();
    handshake.listener.store(PENDING, Ordering::Relaxed);
    handshake.exec_errno.store(0, Ordering::Relaxed);

    let forwarding = SignalForwarding::install()?;
    // SAFETY: fork in a process that may have other threads: the child only calls
    // async-signal-safe functions (see `child`) before execve or _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(system("fork"));
    }
    if pid == 0 {
        // SAFETY: pointers are to data owned by this frame, alive until execve/_exit.
        unsafe { child(&exec_path, &argv, &envp, &program_filter, handshake) }
    }
    FORWARD_TO.store(pid, Ordering::SeqCst);
    let mut child = Child { pid, reaped: false };
    let result = take_listener(&child, handshake).and_then(|(pidfd, listener)| {
        let mut seen = Seen::default();
        let exit = supervise(&mut child, &pidfd, &listener, &mut seen)?;
        Ok((seen, exit))
    });
    FORWARD_TO.store(0, Ordering::SeqCst);
    drop(child);
    drop(forwarding);
    let (seen, exit) = result?;
    match handshake.exec_errno.load(Ordering::Acquire) {
        0 => Ok(seen.finish(exit)),
        errno => Err(RecordError::Exec {
            program: program.to_string_lossy().into_owned(),
            source: io::Error::from_raw_os_error(errno),
        }),
    }
}

/// The child: no new privileges (required to install a filter unprivileged), the filter,
/// the handshake, execve. Only async-signal-safe calls.
unsafe fn child(
    path: &CString,
    argv: &[*const libc::c_char],
    envp: &[*const libc::c_char],
    filter: &libc::sock_fprog,
    handshake: &Handshake,
) -> ! {
    // The Rust runtime ignores SIGPIPE; the program must get the default back, as
    // std::process::Command does. Ignored dispositions survive execve, handled ones do not.
    libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
        handshake.listener.store(-errno(), Ordering::Release);
        libc::_exit(126);
    }
    let listener = libc::syscall(
        libc::SYS_seccomp,
        libc::SECCOMP_SET_MODE_FILTER,
        libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
        filter as *const libc::sock_fprog,
    );
    if listener < 0 {
        handshake.listener.store(-errno(), Ordering::Release);
        libc::_exit(126);
    }
    // From here on every syscall waits for the supervisor; the listener is close-on-exec.
    handshake.listener.store(listener as i32, Ordering::Release);
    libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr());
    handshake.exec_errno.store(errno(), Ordering::Release);
    libc::_exit(127)
}

/// Waits for the child to publish its listener and copies it into this process
/// (`pidfd_getfd`, Linux 5.6). Returns the child's pidfd too, which becomes readable when
/// the child exits.
fn take_listener(child: &Child, handshake: &Handshake) -> Result<(OwnedFd, OwnedFd), RecordError> {
    let number = loop {
        match handshake.listener.load(Ordering::Acquire) {
            PENDING => {}
            number => break number,
        }
        // A child killed before publishing would otherwise be waited for forever.
        if child.has_exited() {
            return Err(RecordError::System {
                step: "setting up the child",
                source: io::Error::other("it ended before installing the seccomp filter"),
            });
        }
        std::thread::sleep(Duration::from_micros(20));
    };
    if number < 0 {
        return Err(RecordError::System {
            step: "installing the seccomp filter in the child (needs Linux >= 5.5 and seccomp)",
            source: io::Error::from_raw_os_error(-number),
        });
    }
    // SAFETY: plain syscalls on integers; each returned fd is owned by exactly one OwnedFd.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, child.pid, 0) };
    if pidfd < 0 {
        return Err(system("pidfd_open (needs Linux >= 5.3)"));
    }
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd as RawFd) };
    let listener = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), number, 0) };
    if listener < 0 {
        return Err(system(
            "taking the seccomp listener from the child (pidfd_getfd; ptrace access to the child is required)",
        ));
    }
    let listener = unsafe { OwnedFd::from_raw_fd(listener as RawFd) };
    // Linux >= 6.6: wake the notifying task and the supervisor on the current CPU instead
    // of sending the other to a (possibly idle) CPU for every syscall: the two never run at
    // the same time anyway (measured: a third less recording time on a syscall-heavy
    // program, see bench/record-overhead.sh). Older kernels refuse the ioctl; recording
    // works without it, so its result is ignored.
    let flags: u64 = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
    // SAFETY: an ioctl taking a u64 by value on a listener fd we own.
    unsafe { libc::ioctl(listener.as_raw_fd(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) };
    Ok((pidfd, listener))
}

/// `_IOW('!', 4, __u64)` and its one flag, from `linux/seccomp.h` (not in `libc` yet).
const SECCOMP_IOCTL_NOTIF_SET_FLAGS: libc::Ioctl = 0x4008_2104;
const SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: u64 = 1;

/// Answers notifications until the child has exited and no process of the tree is left
/// (the listener hangs up once the last task holding the filter is reaped).
fn supervise(child: &mut Child, pidfd: &OwnedFd, listener: &OwnedFd, seen: &mut Seen) -> Result<Exit, RecordError> {
    let mut exit = None;
    loop {
        let mut fds = [
            libc::pollfd {
                fd: listener.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if exit.is_none() { pidfd.as_raw_fd() } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: `fds` is a valid array of two pollfd.
        if unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) } < 0 {
            if errno() == libc::EINTR {
                continue;
            }
            return Err(system("poll"));
        }
        if fds[0].revents & libc::POLLIN != 0 {
            continue_one(listener, seen)?;
        }
        if fds[1].revents & libc::POLLIN != 0 {
            exit = Some(child.reap()?);
        }
        if fds[0].revents & (libc::POLLHUP | libc::POLLERR) != 0 && fds[0].revents & libc::POLLIN == 0 {
            match exit {
                Some(exit) => return Ok(exit),
                None => exit = Some(child.reap()?),
            }
        }
    }
}

/// Receives one notification, records it, lets the syscall run.
fn continue_one(listener: &OwnedFd, seen: &mut Seen) -> Result<(), RecordError> {
    // SAFETY: the kernel requires a zeroed request; both structs are plain data of the
    // sizes the ioctl numbers encode.
    let mut request: libc::seccomp_notif = unsafe { std::mem::zeroed() };
    if unsafe { libc::ioctl(listener.as_raw_fd(), libc::SECCOMP_IOCTL_NOTIF_RECV, &mut request) } < 0 {
        return match errno() {
            // Interrupted, or the task died before we got to it.
            libc::EINTR | libc::ENOENT => Ok(()),
            _ => Err(system("receiving a seccomp notification")),
        };
    }
    seen.add(request.data.arch, u64::from(request.data.nr as u32));
    let response = libc::seccomp_notif_resp {
        id: request.id,
        val: 0,
        error: 0,
        flags: libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32,
    };
    loop {
        if unsafe { libc::ioctl(listener.as_raw_fd(), libc::SECCOMP_IOCTL_NOTIF_SEND, &response) } == 0 {
            return Ok(());
        }
        match errno() {
            libc::EINTR => continue,
            // The task was killed while waiting: nothing to answer.
            libc::ENOENT => return Ok(()),
            _ => return Err(system("answering a seccomp notification")),
        }
    }
}

/// Our child until reaped. Dropping it unreaped kills and reaps it, so that an error never
/// leaves a program blocked on a listener nobody answers, and a reaped pid (which the
/// system may reuse) is never signalled.
struct Child {
    pid: libc::pid_t,
    reaped: bool,
}

impl Child {
    /// Whether it has ended, without reaping it.
    fn has_exited(&self) -> bool {
        // SAFETY: waitid on our own child with a zeroed siginfo; WNOWAIT leaves it a zombie.
        unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
            libc::waitid(libc::P_PID, self.pid as libc::id_t, &mut info, flags) == 0 && info.si_pid() != 0
        }
    }

    fn reap(&mut self) -> Result<Exit, RecordError> {
        let mut status = 0;
        loop {
            // SAFETY: waitpid on our own, not yet reaped child with a valid status pointer.
            if unsafe { libc::waitpid(self.pid, &mut status, 0) } == self.pid {
                break;
            }
            if errno() != libc::EINTR {
                return Err(system("waitpid"));
            }
        }
        self.reaped = true;
        Ok(if libc::WIFSIGNALED(status) {
            Exit::Signal(libc::WTERMSIG(status))
        } else {
            Exit::Code(libc::WEXITSTATUS(status))
        })
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.reaped {
            // SAFETY: signalling and reaping our own child, which is not reaped yet.
            unsafe {
                libc::kill(self.pid, libc::SIGKILL);
                libc::waitpid(self.pid, std::ptr::null_mut(), 0);
            }
        }
    }
}

/// While alive, SIGINT/SIGTERM/SIGHUP/SIGQUIT do not stop Tailor; sent with `kill` to
/// Tailor they are passed on to the child. Ones the terminal generates (`si_code` is
/// `SI_KERNEL`) already reached the child's process group and are not sent twice.
struct SignalForwarding {
    previous: Vec<(libc::c_int, libc::sigaction)>,
}

extern "C" fn forward(signal: libc::c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    let child = FORWARD_TO.load(Ordering::SeqCst);
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler; kill is
    // async-signal-safe.
    let sent_by_a_process = unsafe { (*info).si_code } <= 0;
    if child > 0 && sent_by_a_process {
        unsafe { libc::kill(child, signal) };
    }
}

impl SignalForwarding {
    fn install() -> Result<SignalForwarding, RecordError> {
        let mut previous = Vec::new();
        for signal in FORWARDED {
            // SAFETY: sigaction with a fully initialised struct and a handler that only
            // does async-signal-safe work.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction =
                    forward as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, &action, &mut old) != 0 {
                    return Err(system("installing signal handlers"));
                }
                previous.push((signal, old));
            }
        }
        Ok(SignalForwarding { previous })
    }
}

impl Drop for SignalForwarding {
    fn drop(&mut self) {
        for (signal, old) in &self.previous {
            // SAFETY: restores the action saved by `install`.
            unsafe { libc::sigaction(*signal, old, std::ptr::null_mut()) };
        }
    }
}

/// A page shared between parent and child across fork, holding the [`Handshake`].
struct SharedPage {
    address: *mut libc::c_void,
}

const PAGE: usize = 4096;

impl SharedPage {
    fn new() -> Result<SharedPage, RecordError> {
        // SAFETY: an anonymous shared mapping; checked for failure below.
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if address == libc::MAP_FAILED {
            return Err(system("mmap"));
        }
        Ok(SharedPage { address })
    }

    fn handshake(&self) -> &Handshake {
        // SAFETY: the page is zero-filled, page-aligned and larger than Handshake, whose
        // fields are atomics (valid for any bit pattern); it lives as long as `self`.
        unsafe { &*self.address.cast::<Handshake>() }
    }
}

impl Drop for SharedPage {
    fn drop(&mut self) {
        // SAFETY: unmaps the mapping made in `new`, no references outlive `self`.
        unsafe { libc::munmap(self.address, PAGE) };
    }
}

fn cstring(value: &OsStr) -> Result<CString, RecordError> {
    CString::new(value.as_bytes()).map_err(|_| RecordError::Exec {
        program: value.to_string_lossy().into_owned(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "argument or environment holds a NUL byte"),
    })
}

fn null_terminated(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn system(step: &'static str) -> RecordError {
    RecordError::System {
        step,
        source: io::Error::last_os_error(),
    }
}
