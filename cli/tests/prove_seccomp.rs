//! Proof, end to end, that a seccomp profile recorded by `tailor record` is enforced for real by
//! an OCI runtime (issue 4, item 5).
//!
//! What the test does, on the real kernel, with a real runtime and a real server:
//!
//! 1. Builds an OCI bundle whose rootfs holds only the static busybox (`busybox-static`) and a
//!    `/www/index.html`; the container runs `busybox httpd` in the host's network namespace (no
//!    network namespace is created), so the test reaches it on `127.0.0.1`.
//! 2. Records the server: `tailor record -o app.json -- <rootfs>/bin/busybox httpd -f ...`
//!    runs on the host while the test sends `GET /` (which must answer 200 with the index body),
//!    then the test interrupts the whole process group, as Ctrl-C in a terminal would, and
//!    `tailor record` writes the profile.
//! 3. Learns the syscalls the runtime itself makes between installing the filter and `execve`
//!    by recording the runtime, not by guessing: it runs `strace -f` on the runtime starting a
//!    bundle identical to the server's but whose process is `busybox true` and whose profile
//!    allows everything, finds the task that installed the filter
//!    (`seccomp(SECCOMP_SET_MODE_FILTER, ..., {filter})` for crun,
//!    `prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, {filter})` for runc) and takes every syscall
//!    that task makes after it, up to and including its `execve` (crun 1.8: `close`, `execve`).
//!    Only that tail is added; the runtime's own setup (`mount`, `unshare`, `pivot_root`, ...)
//!    happens before the filter and stays out of the profile. The tail is added as a second
//!    allow rule, so `tailor record`'s output is otherwise enforced exactly as written.
//! 4. Enforces: the profile goes into `config.json`'s `linux.seccomp`, the runtime starts the
//!    bundle, and the server must serve `GET /` = 200.
//! 5. A syscall outside the profile fails with EPERM inside the container:
//!    `busybox unshare -m busybox true` with `CAP_SYS_ADMIN` must print "Operation not
//!    permitted" under the recorded profile, and must succeed under an allow-all profile with the
//!    same capabilities, so the EPERM comes from the filter, not from missing capabilities.
//! 6. A deliberately truncated profile (without `bind`, `listen`, `accept`, `accept4`) makes the
//!    server fail: the container exits non-zero and nothing serves the port.
//!
//! Runtime: crun is preferred. crun 1.8 refuses the hybrid cgroup v1/v2 layout, so every crun
//! command runs inside `unshare -m --propagation private` after unmounting
//! `/sys/fs/cgroup/unified` there, which leaves the host untouched. Where crun cannot start a
//! container, runc (which runs the same bundle as is) is used, with a note. Set
//! `TAILOR_PROVE_RUNTIME=crun|runc` to force one.
//!
//! Needs root, `crun` or `runc`, `busybox-static` and `strace` (Debian packages); where any is
//! missing, or the kernel refuses to start a container, the test prints a loud "SKIPPED: ..." and
//! returns. Every command runs under a timeout, containers get unique IDs and are deleted.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::temp_dir;

const BUSYBOX: &str = "/bin/busybox";
const INDEX_BODY: &str = "tailor proof: served under a recorded seccomp profile\n";
/// The longest any single step may take; nothing in the test waits longer.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the server gets to start answering.
const SERVE_TIMEOUT: Duration = Duration::from_secs(10);
/// Syscalls without which busybox httpd cannot serve: the truncated profile drops them.
const SERVER_SYSCALLS: [&str; 4] = ["bind", "listen", "accept", "accept4"];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Runtime {
    Crun,
    Runc,
}

impl Runtime {
    fn name(self) -> &'static str {
        match self {
            Runtime::Crun => "crun",
            Runtime::Runc => "runc",
        }
    }

    /// `RUNTIME ARGS...`, for crun inside a private mount namespace where the cgroup v2 half of
    /// a hybrid layout is unmounted (crun 1.8 refuses hybrid mode; the host keeps its mounts).
    fn command(self, args: &[&str]) -> Command {
        match self {
            Runtime::Runc => {
                let mut command = Command::new("runc");
                command.args(args);
                command
            }
            Runtime::Crun => {
                let mut command = Command::new("unshare");
                command.args([
                    "-m",
                    "--propagation",
                    "private",
                    "sh",
                    "-c",
                    "umount /sys/fs/cgroup/unified 2>/dev/null; exec crun \"$@\"",
                    "crun",
                ]);
                command.args(args);
                command
            }
        }
    }

    /// `RUNTIME run --bundle BUNDLE ID`, not waited for.
    fn spawn_run(self, bundle: &Path, id: &str) -> Child {
        self.command(&["run", "--bundle", bundle.to_str().unwrap(), id])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{} starts: {e}", self.name()))
    }

    /// `RUNTIME run --bundle BUNDLE ID`, waited for.
    fn run(self, bundle: &Path, id: &str) -> Output {
        wait_with_timeout(
            self.spawn_run(bundle, id),
            STEP_TIMEOUT,
            &format!("{} run {id}", self.name()),
        )
    }

    /// Stops container `id` (harmless where it has already exited).
    fn kill(self, id: &str) {
        let _ = output_with_timeout(self.command(&["kill", id, "KILL"]), "runtime kill");
    }

    fn delete(self, id: &str) {
        let _ = output_with_timeout(self.command(&["delete", "-f", id]), "runtime delete");
    }
}

/// Unique container IDs, deleted from the runtime when the test ends (even by panic).
struct Containers {
    runtime: Runtime,
    ids: Vec<String>,
}

impl Containers {
    fn new_id(&mut self, role: &str) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let id = format!(
            "tailor-proof-{}-{role}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        self.ids.push(id.clone());
        id
    }
}

impl Drop for Containers {
    fn drop(&mut self) {
        for id in &self.ids {
            self.runtime.delete(id);
        }
    }
}

#[test]
fn recorded_profile_is_enforced_by_an_oci_runtime() {
    let started = Instant::now();
    if let Some(reason) = missing_prerequisite() {
        eprintln!("\n************************************************************");
        eprintln!("SKIPPED: seccomp proof: {reason}");
        eprintln!("************************************************************\n");
        return;
    }
    let dir = temp_dir("prove-seccomp");
    let rootfs = build_rootfs(&dir.join("rootfs"));
    let Some(runtime) = choose_runtime(&dir, &rootfs) else {
        return;
    };
    let mut containers = Containers {
        runtime,
        ids: Vec::new(),
    };
    eprintln!("seccomp proof: runtime {}", runtime.name());

    // Record the server on the host, from the rootfs' own busybox, while it serves.
    let app_profile = record_server(&dir, &rootfs);
    let app_names = allowed_names(&app_profile);
    for needed in ["bind", "listen"] {
        assert!(
            app_names.iter().any(|n| n == needed),
            "the recording holds {needed}: {app_names:?}"
        );
    }

    // Learn what the runtime runs after installing the filter, by recording the runtime.
    let tail = runtime_tail(runtime, &dir, &rootfs, &mut containers);
    assert!(
        tail.iter().any(|n| n == "execve"),
        "the runtime's tail ends in execve: {tail:?}"
    );
    eprintln!("seccomp proof: runtime tail after the filter: {tail:?}");
    // `tailor record` adds the runtime's calls after its filter from a table: it must hold
    // every call just learned from the real runtime.
    let table = match runtime.name() {
        "crun" => tailor_seccomp::runtime::Runtime::Crun,
        _ => tailor_seccomp::runtime::Runtime::Runc,
    }
    .after_filter();
    for name in &tail {
        assert!(
            table.contains(&name.as_str()),
            "{} calls {name} after installing the filter, which learn/seccomp/src/runtime.rs lacks",
            runtime.name()
        );
    }
    let profile = with_allow_rule(app_profile, &tail);
    std::fs::write(
        dir.join("profile.json"),
        serde_json::to_string_pretty(&profile).unwrap(),
    )
    .unwrap();
    for dangerous in ["mount", "unshare", "setns", "pivot_root"] {
        assert!(
            !allowed_names(&profile).iter().any(|n| n == dangerous),
            "the enforced profile allows {dangerous}; the runtime's setup leaked into it"
        );
    }

    // Enforce: the same server, in the container, under the profile, serves.
    let port = free_port();
    let bundle = write_bundle(&dir.join("serve"), &rootfs, &httpd_args(port, "/www"), &profile, &[]);
    let id = containers.new_id("serve");
    let server = runtime.spawn_run(&bundle, &id);
    let served = get_index(port, SERVE_TIMEOUT);
    runtime.kill(&id);
    let server_out = wait_with_timeout(server, STEP_TIMEOUT, "server");
    let response = served.unwrap_or_else(|e| {
        panic!(
            "the server under the recorded profile does not serve: {e}\n{}",
            describe(&server_out)
        )
    });
    assert_response_ok(&response);

    // A syscall outside the profile fails with EPERM, and only because of the profile.
    let probe = ["/bin/busybox", "unshare", "-m", "/bin/busybox", "true"];
    let caps = ["CAP_SYS_ADMIN"];
    let allow_all = json!({"defaultAction": "SCMP_ACT_ALLOW", "architectures": profile["architectures"]});
    let control = write_bundle(&dir.join("probe-allow-all"), &rootfs, &probe, &allow_all, &caps);
    let out = runtime.run(&control, &containers.new_id("probe-allow-all"));
    assert!(
        out.status.success(),
        "unshare succeeds without the filter:\n{}",
        describe(&out)
    );
    let denied = write_bundle(&dir.join("probe-recorded"), &rootfs, &probe, &profile, &caps);
    let out = runtime.run(&denied, &containers.new_id("probe-recorded"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("unshare") && stderr.contains("Operation not permitted"),
        "unshare fails with EPERM under the recorded profile:\n{}",
        describe(&out)
    );

    // A truncated profile makes the server fail, so this test can fail.
    let truncated = without_names(&profile, &SERVER_SYSCALLS);
    let port = free_port();
    let bundle = write_bundle(
        &dir.join("truncated"),
        &rootfs,
        &httpd_args(port, "/www"),
        &truncated,
        &[],
    );
    let id = containers.new_id("truncated");
    let server = runtime.spawn_run(&bundle, &id);
    let served = get_index(port, Duration::from_secs(3));
    runtime.kill(&id);
    let out = wait_with_timeout(server, STEP_TIMEOUT, "truncated server");
    assert!(
        served.is_err(),
        "the server serves without {SERVER_SYSCALLS:?}: {served:?}"
    );
    assert!(
        !out.status.success(),
        "the truncated server exits non-zero:\n{}",
        describe(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Operation not permitted"),
        "the truncated server reports EPERM:\n{}",
        describe(&out)
    );

    drop(containers);
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "seccomp proof: passed with {} in {:.1?}",
        runtime.name(),
        started.elapsed()
    );
}

/// Why the proof cannot run here, if it cannot.
fn missing_prerequisite() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("needs root to run an OCI runtime with the host network".into());
    }
    let busybox = std::fs::read(BUSYBOX).ok();
    let Some(busybox) = busybox else {
        return Some(format!("{BUSYBOX} not found (apt-get install busybox-static)"));
    };
    if !is_static_elf(&busybox) {
        return Some(format!("{BUSYBOX} is not static (apt-get install busybox-static)"));
    }
    for (tool, package) in [("strace", "strace"), ("unshare", "util-linux")] {
        if !on_path(tool) {
            return Some(format!("{tool} not found (apt-get install {package})"));
        }
    }
    if !on_path("crun") && !on_path("runc") {
        return Some("neither crun nor runc found (apt-get install crun runc)".into());
    }
    None
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false)
}

/// Whether `elf` (64-bit, little-endian) runs without a dynamic loader: no `PT_INTERP` program
/// header. The rootfs holds no libraries, so busybox must be the static build.
fn is_static_elf(elf: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    let read = |at: usize, len: usize| {
        elf.get(at..at + len)
            .map(|b| b.iter().rev().fold(0usize, |n, &b| n << 8 | b as usize))
    };
    let (Some(phoff), Some(phentsize), Some(phnum)) = (read(0x20, 8), read(0x36, 2), read(0x38, 2)) else {
        return false;
    };
    elf.starts_with(b"\x7fELF") && (0..phnum).all(|i| read(phoff + i * phentsize, 4) != Some(PT_INTERP as usize))
}

/// A rootfs with only the static busybox, a page to serve and the mount points.
fn build_rootfs(rootfs: &Path) -> PathBuf {
    for sub in ["bin", "www", "proc", "dev", "tmp"] {
        std::fs::create_dir_all(rootfs.join(sub)).unwrap();
    }
    std::fs::copy(BUSYBOX, rootfs.join("bin/busybox")).unwrap();
    std::fs::write(rootfs.join("www/index.html"), INDEX_BODY).unwrap();
    rootfs.to_path_buf()
}

fn httpd_args(port: u16, home: &str) -> Vec<String> {
    [
        "/bin/busybox",
        "httpd",
        "-f",
        "-p",
        &format!("127.0.0.1:{port}"),
        "-h",
        home,
    ]
    .map(String::from)
    .to_vec()
}

/// An OCI bundle running `args` in `rootfs` under `seccomp`, with `caps` and the host network.
fn write_bundle<S: AsRef<str>>(bundle: &Path, rootfs: &Path, args: &[S], seccomp: &Value, caps: &[&str]) -> PathBuf {
    std::fs::create_dir_all(bundle).unwrap();
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let config = json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": false,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": ["PATH=/bin"],
            "cwd": "/",
            "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
            "noNewPrivileges": true
        },
        "root": {"path": rootfs, "readonly": true},
        "hostname": "tailor-proof",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755", "size=1024k"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "size=1024k"]}
        ],
        "linux": {
            // No network namespace: the server listens on the host's 127.0.0.1.
            "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
            "seccomp": seccomp
        }
    });
    std::fs::write(
        bundle.join("config.json"),
        serde_json::to_string_pretty(&config).unwrap(),
    )
    .unwrap();
    bundle.to_path_buf()
}

/// A profile that allows everything but still makes the runtime install a filter.
fn permissive_profile() -> Value {
    json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": [scmp_arch()],
        "syscalls": [{"names": ["swapon"], "action": "SCMP_ACT_ERRNO"}]
    })
}

fn scmp_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "SCMP_ARCH_X86_64",
        "aarch64" => "SCMP_ARCH_AARCH64",
        other => panic!("no SCMP_ARCH for {other}"),
    }
}

/// crun, unless it cannot start a container here, then runc; `None` (after a loud notice) where
/// neither can.
fn choose_runtime(dir: &Path, rootfs: &Path) -> Option<Runtime> {
    let candidates = match std::env::var("TAILOR_PROVE_RUNTIME").as_deref() {
        Ok("crun") => vec![Runtime::Crun],
        Ok("runc") => vec![Runtime::Runc],
        _ => vec![Runtime::Crun, Runtime::Runc],
    };
    let bundle = write_bundle(
        &dir.join("smoke"),
        rootfs,
        &["/bin/busybox", "true"],
        &permissive_profile(),
        &[],
    );
    let mut reasons = Vec::new();
    for runtime in candidates {
        if !on_path(runtime.name()) {
            reasons.push(format!("{} not installed", runtime.name()));
            continue;
        }
        let mut containers = Containers {
            runtime,
            ids: Vec::new(),
        };
        let out = runtime.run(&bundle, &containers.new_id("smoke"));
        drop(containers);
        if out.status.success() {
            if !reasons.is_empty() {
                eprintln!(
                    "NOTE: seccomp proof falls back to {}: {}",
                    runtime.name(),
                    reasons.join("; ")
                );
            }
            return Some(runtime);
        }
        reasons.push(format!(
            "{} cannot start a container here: {}",
            runtime.name(),
            describe(&out)
        ));
    }
    eprintln!("\n************************************************************");
    eprintln!("SKIPPED: seccomp proof: {}", reasons.join("; "));
    eprintln!("************************************************************\n");
    None
}

/// Records `busybox httpd` on the host with `tailor record` while it serves `GET /`.
fn record_server(dir: &Path, rootfs: &Path) -> Value {
    let out_file = dir.join("app.json");
    let port = free_port();
    let busybox = rootfs.join("bin/busybox");
    let home = rootfs.join("www");
    let mut server_args = httpd_args(port, home.to_str().unwrap());
    server_args[0] = busybox.to_str().unwrap().to_string();
    let mut recorder = Command::new(env!("CARGO_BIN_EXE_tailor"));
    recorder
        .args(["record", "-o", out_file.to_str().unwrap(), "--"])
        .args(&server_args);
    let child = recorder
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("tailor record starts");
    let served = (0..3)
        .map(|_| get_index(port, SERVE_TIMEOUT))
        .collect::<Result<Vec<_>, _>>();
    // Ctrl-C: SIGINT to the whole process group, recorder and server alike.
    kill_group(&child, libc::SIGINT);
    let out = wait_with_timeout(child, STEP_TIMEOUT, "tailor record");
    let responses = served.unwrap_or_else(|e| panic!("the recorded server does not serve: {e}\n{}", describe(&out)));
    responses.iter().for_each(|r| assert_response_ok(r));
    let text = std::fs::read_to_string(&out_file).unwrap_or_else(|e| {
        panic!(
            "tailor record wrote no profile to {} ({e}):\n{}",
            out_file.display(),
            describe(&out)
        )
    });
    let profile: Value = serde_json::from_str(&text).expect("tailor record writes JSON");
    assert_eq!(profile["defaultAction"], "SCMP_ACT_ERRNO", "recorded profile: {text}");
    profile
}

/// The syscalls the runtime's container init makes after installing the seccomp filter, up to
/// and including `execve`, learnt with `strace -f` on a real start of the same kind of bundle.
fn runtime_tail(runtime: Runtime, dir: &Path, rootfs: &Path, containers: &mut Containers) -> Vec<String> {
    let bundle = write_bundle(
        &dir.join("learn"),
        rootfs,
        &["/bin/busybox", "true"],
        &permissive_profile(),
        &[],
    );
    let log = dir.join("runtime.strace");
    let id = containers.new_id("learn");
    let inner = runtime.command(&["run", "--bundle", bundle.to_str().unwrap(), &id]);
    let mut traced = Command::new("strace");
    traced
        .args(["-f", "-qq", "-o", log.to_str().unwrap()])
        .arg(inner.get_program())
        .args(inner.get_args());
    let out = output_with_timeout(traced, "strace of the runtime");
    assert!(
        out.status.success(),
        "the runtime runs `busybox true` under strace:\n{}",
        describe(&out)
    );
    let log = std::fs::read_to_string(&log).unwrap();
    syscalls_after_filter(&log).unwrap_or_else(|| panic!("no seccomp filter installed in the strace log:\n{log}"))
}

/// In an `strace -f` log, the syscalls of the task that installed a seccomp filter, from just
/// after the installation to its first `execve`, sorted and without duplicates.
fn syscalls_after_filter(log: &str) -> Option<Vec<String>> {
    let calls: Vec<(&str, &str, &str)> = log.lines().filter_map(syscall_start).collect();
    let installs = |(_, name, rest): &(&str, &str, &str)| {
        (*name == "seccomp" && rest.starts_with("SECCOMP_SET_MODE_FILTER") && rest.contains("filter="))
            || (*name == "prctl" && rest.starts_with("PR_SET_SECCOMP") && rest.contains("filter="))
    };
    let at = calls.iter().position(installs)?;
    let task = calls[at].0;
    let mut names: Vec<String> = Vec::new();
    for (_, name, _) in calls[at + 1..].iter().filter(|(pid, _, _)| *pid == task) {
        names.push(name.to_string());
        if *name == "execve" {
            break;
        }
    }
    names.sort();
    names.dedup();
    Some(names)
}

/// `(task, syscall, arguments...)` of an strace line that starts a syscall; `None` for
/// `<... resumed>`, signal and exit lines.
fn syscall_start(line: &str) -> Option<(&str, &str, &str)> {
    let (task, rest) = line.split_once(' ')?;
    let rest = rest.trim_start();
    let (name, args) = rest.split_once('(')?;
    let is_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    is_name.then_some((task, name, args))
}

/// The names every allow rule of `profile` allows.
fn allowed_names(profile: &Value) -> Vec<String> {
    profile["syscalls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|rule| rule["action"] == "SCMP_ACT_ALLOW")
        .flat_map(|rule| rule["names"].as_array().unwrap().iter())
        .map(|name| name.as_str().unwrap().to_string())
        .collect()
}

/// `profile` with one more allow rule for `names`.
fn with_allow_rule(mut profile: Value, names: &[String]) -> Value {
    let rules = profile["syscalls"].as_array_mut().expect("the profile has syscalls");
    rules.push(json!({"names": names, "action": "SCMP_ACT_ALLOW"}));
    profile
}

/// `profile` with `names` removed from every rule.
fn without_names(profile: &Value, names: &[&str]) -> Value {
    let mut profile = profile.clone();
    for rule in profile["syscalls"].as_array_mut().unwrap() {
        rule["names"]
            .as_array_mut()
            .unwrap()
            .retain(|n| !names.contains(&n.as_str().unwrap()));
    }
    profile
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The response to `GET /` on `127.0.0.1:port`, retrying connections until `timeout`.
fn get_index(port: u16, timeout: Duration) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    loop {
        match TcpStream::connect((Ipv4Addr::LOCALHOST, port)) {
            Ok(mut stream) => {
                stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                stream
                    .write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
                    .map_err(|e| e.to_string())?;
                let mut response = String::new();
                stream
                    .read_to_string(&mut response)
                    .map_err(|e| format!("reading the response: {e}"))?;
                return Ok(response);
            }
            Err(e) if Instant::now() >= deadline => return Err(format!("connecting to 127.0.0.1:{port}: {e}")),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn assert_response_ok(response: &str) {
    let status = response.lines().next().unwrap_or("");
    assert!(status.contains(" 200 "), "GET / answers 200: {response:?}");
    assert!(
        response.ends_with(INDEX_BODY),
        "GET / answers the index page: {response:?}"
    );
}

/// Waits for `child` (its output piped), killing its process group after `timeout`.
fn wait_with_timeout(mut child: Child, timeout: Duration, what: &str) -> Output {
    let deadline = Instant::now() + timeout;
    loop {
        if child.try_wait().unwrap().is_some() {
            // Whatever the child left behind in its group would hold the output pipes open.
            kill_group(&child, libc::SIGKILL);
            return child.wait_with_output().unwrap();
        }
        if Instant::now() >= deadline {
            kill_group(&child, libc::SIGKILL);
            let out = child.wait_with_output().unwrap();
            panic!("{what} did not finish within {timeout:?}:\n{}", describe(&out));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` to the process group that `child` leads (spawned with `process_group(0)`).
fn kill_group(child: &Child, signal: libc::c_int) {
    let group = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
    assert!(group > 1, "never signal every process");
    // SAFETY: getpgrp(2) cannot fail. Never signal the group this test (and cargo) runs in.
    assert_ne!(
        group,
        unsafe { libc::getpgrp() },
        "never signal the test's own process group"
    );
    // SAFETY: kill(2) takes plain integers; a negative pid names exactly that process group.
    unsafe { libc::kill(-group, signal) };
}

/// Runs `command` to completion (in its own process group) under the step timeout.
fn output_with_timeout(mut command: Command, what: &str) -> Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("{what} starts: {e}"));
    wait_with_timeout(child, STEP_TIMEOUT, what)
}

fn describe(out: &Output) -> String {
    format!(
        "status: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
