//! Linux capability names as container runtimes read them: in any case, with or without the
//! `CAP_` prefix (Pod Security compares them literally).

use std::collections::BTreeSet;

use tailor_kube::ContainerView;

/// A capability name as the runtime reads it: upper case, without `CAP_`.
pub(crate) fn canonical(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    upper.strip_prefix("CAP_").map(str::to_owned).unwrap_or(upper)
}

/// Every Linux capability (Linux 5.9 and later): what a privileged container, or one that adds
/// `ALL`, holds.
const ALL: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// What containerd and CRI-O grant a container that neither adds nor drops anything.
const RUNTIME_DEFAULT: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
];

/// The capabilities a container's processes hold, sorted, as containerd computes them: every
/// one when privileged; otherwise the runtime default, all of them on `add: [ALL]`, none on
/// `drop: [ALL]`, then the named additions, then the named drops.
pub(crate) fn held(container: &ContainerView) -> Vec<String> {
    let named = |names: &[&str]| names.iter().map(|c| c.to_string()).collect::<BTreeSet<String>>();
    if container.is_privileged() {
        return named(ALL).into_iter().collect();
    }
    let capabilities = container.security_context().and_then(|sc| sc.capabilities.as_ref());
    let canonical_list = |list: Option<&Vec<String>>| -> Vec<String> {
        list.map(|l| l.iter().map(|name| canonical(name)).collect())
            .unwrap_or_default()
    };
    let added = canonical_list(capabilities.and_then(|c| c.add.as_ref()));
    let dropped = canonical_list(capabilities.and_then(|c| c.drop.as_ref()));
    let mut held = named(RUNTIME_DEFAULT);
    if added.iter().any(|a| a == "ALL") {
        held = named(ALL);
    }
    if dropped.iter().any(|d| d == "ALL") {
        held.clear();
    }
    held.extend(added.into_iter().filter(|a| a != "ALL"));
    for name in &dropped {
        held.remove(name);
    }
    held.into_iter().collect()
}
