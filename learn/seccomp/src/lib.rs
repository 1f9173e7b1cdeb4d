//! # tailor-seccomp: seccomp profiles as data
//!
//! What a seccomp profile is, in the forms Kubernetes workloads meet it, and what can be
//! computed from it without running anything:
//! - [`Profile`]: the OCI runtime-spec `linux.seccomp` object (what runc/crun load, and what
//!   the kubelet reads from `/var/lib/kubelet/seccomp/…` for a `Localhost` profile). Parsing
//!   keeps everything real-world profiles carry (moby's `archMap`, `includes`/`excludes` by
//!   architecture, capability and kernel, argument conditions, the legacy `name` field);
//!   emitting is deterministic (same profile, byte-identical text).
//! - [`kube`]: the Security Profiles Operator `SeccompProfile` CRD (read and written) and the
//!   kubelet Localhost layout with its `securityContext.seccompProfile` snippet.
//! - [`merge()`](merge::merge) and [`diff()`](diff::diff) of profiles (replicas, containers,
//!   before/after);
//! - [`import`]: profiles from kernel audit lines (`type=SECCOMP`, from `SCMP_ACT_LOG`) and
//!   from `strace -f` output, so teams can record without Tailor;
//! - [`score`](mod@score): the effective attack surface: allowed syscalls against the container
//!   runtime's default profile, dangerous syscalls still allowed, and how capabilities
//!   combine with them.
//!
//! Syscall numbers and names per architecture come from the `syscalls` crate ([`Arch`]).
//!
//! What this crate must not do or depend on: I/O of any kind (text in, text out: the CLI
//! reads and writes files, the recorder in `tailor-record` traces processes), printing,
//! Kubernetes check logic. Its only Tailor dependencies are `tailor-manifest`, to read CRD
//! YAML exactly as kubectl does, and `tailor-kube` for the field paths that locate errors in it.

pub mod arch;
pub mod diff;
pub mod import;
pub mod kube;
pub mod merge;
pub mod runtime;
pub mod score;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use arch::Arch;
pub use diff::{diff, Diff};
pub use merge::{merge, Merged};
pub use score::{score, Score};

/// `EPERM`: what a refused syscall returns in profiles Tailor writes, so programs see "not
/// permitted" (and handle it) rather than being killed.
pub const EPERM: u32 = 1;

/// A seccomp action (`SCMP_ACT_*`), declared from the most permissive to the strictest (see
/// [`Action::strictness`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Action {
    #[serde(rename = "SCMP_ACT_ALLOW")]
    Allow,
    #[serde(rename = "SCMP_ACT_LOG")]
    Log,
    #[serde(rename = "SCMP_ACT_NOTIFY")]
    Notify,
    #[serde(rename = "SCMP_ACT_TRACE")]
    Trace,
    #[serde(rename = "SCMP_ACT_ERRNO")]
    Errno,
    #[serde(rename = "SCMP_ACT_TRAP")]
    Trap,
    #[serde(rename = "SCMP_ACT_KILL_THREAD")]
    KillThread,
    #[serde(rename = "SCMP_ACT_KILL")]
    Kill,
    #[serde(rename = "SCMP_ACT_KILL_PROCESS")]
    KillProcess,
}

impl Action {
    /// The OCI name, e.g. `SCMP_ACT_ERRNO`.
    pub fn oci_name(self) -> &'static str {
        match self {
            Action::Allow => "SCMP_ACT_ALLOW",
            Action::Log => "SCMP_ACT_LOG",
            Action::Notify => "SCMP_ACT_NOTIFY",
            Action::Trace => "SCMP_ACT_TRACE",
            Action::Errno => "SCMP_ACT_ERRNO",
            Action::Trap => "SCMP_ACT_TRAP",
            Action::KillThread => "SCMP_ACT_KILL_THREAD",
            Action::Kill => "SCMP_ACT_KILL",
            Action::KillProcess => "SCMP_ACT_KILL_PROCESS",
        }
    }

    /// Whether the syscall runs (`SCMP_ACT_LOG` runs it and logs it).
    pub fn lets_syscall_run(self) -> bool {
        matches!(self, Action::Allow | Action::Log)
    }

    /// How hard the action stops a syscall: 0 (runs) … 4 (kills the process). `SCMP_ACT_KILL`
    /// is `KILL_THREAD` in libseccomp.
    pub fn strictness(self) -> u8 {
        match self {
            Action::Allow | Action::Log => 0,
            // Decided by a tracer or a notify listener: may run.
            Action::Notify | Action::Trace => 1,
            Action::Errno => 2,
            Action::Trap => 3,
            Action::KillThread | Action::Kill | Action::KillProcess => 4,
        }
    }
}

/// An argument condition (`args[]`): `op` compares argument `index` with `value`
/// (`SCMP_CMP_MASKED_EQ` uses `value` as the mask and `valueTwo` as the datum).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArgCondition {
    pub index: u32,
    pub value: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub value_two: u64,
    pub op: String,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// moby's `includes`/`excludes`: a rule applies (or not) on these architectures (Go names:
/// `amd64`, `arm64`, …), with these capabilities, from this kernel version.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleFilter {
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub arches: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub caps: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_kernel: Option<String>,
}

impl RuleFilter {
    pub fn is_empty(&self) -> bool {
        self.arches.is_empty() && self.caps.is_empty() && self.min_kernel.is_none()
    }
}

/// One `syscalls[]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyscallRule {
    /// Sorted and deduplicated; the legacy singular `name` is folded in when parsing.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub names: Vec<String>,
    pub action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errno_ret: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub args: Vec<ArgCondition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "RuleFilter::is_empty")]
    pub includes: RuleFilter,
    #[serde(default, skip_serializing_if = "RuleFilter::is_empty")]
    pub excludes: RuleFilter,
    /// Legacy single-name form (`"name": "read"`), folded into `names` by [`Profile::from_oci_json`].
    #[serde(default, skip_serializing)]
    name: Option<String>,
    /// Fields Tailor does not interpret, kept so that parse → emit loses nothing.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl SyscallRule {
    pub fn new(action: Action, names: impl IntoIterator<Item = String>) -> SyscallRule {
        let mut names: Vec<String> = names.into_iter().collect();
        names.sort();
        names.dedup();
        SyscallRule {
            names,
            action,
            errno_ret: None,
            args: Vec::new(),
            comment: None,
            includes: RuleFilter::default(),
            excludes: RuleFilter::default(),
            name: None,
            other: BTreeMap::new(),
        }
    }

    /// Whether the rule holds whatever the arguments, architecture and capabilities.
    pub fn is_unconditional(&self) -> bool {
        self.args.is_empty() && self.includes.is_empty() && self.excludes.is_empty()
    }

    /// Whether the rule is in force on `arch` for a process holding `caps`, as moby decides
    /// it: every `includes` entry must hold (all caps held, arch listed), no `excludes` entry
    /// may. `minKernel` is taken as met: kernels older than moby's thresholds (4.8) are out
    /// of support.
    pub fn applies(&self, arch: Arch, caps: &BTreeSet<String>) -> bool {
        let arch_listed = |arches: &[String]| arches.iter().any(|name| arch.matches_filter_name(name));
        if !self.includes.arches.is_empty() && !arch_listed(&self.includes.arches) {
            return false;
        }
        if !self
            .includes
            .caps
            .iter()
            .all(|cap| caps.contains(&normalize_capability(cap)))
        {
            return false;
        }
        if arch_listed(&self.excludes.arches) {
            return false;
        }
        !self
            .excludes
            .caps
            .iter()
            .any(|cap| caps.contains(&normalize_capability(cap)))
    }

    /// The rule without its names, as a key: rules with equal keys can share one names list.
    fn shape(&self) -> SyscallRule {
        SyscallRule {
            names: Vec::new(),
            name: None,
            ..self.clone()
        }
    }
}

/// `CAP_SYS_ADMIN`, whether written `sys_admin`, `SYS_ADMIN` or `CAP_SYS_ADMIN` (Kubernetes
/// `securityContext.capabilities` drops the prefix; moby keeps it).
pub fn normalize_capability(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    }
}

/// moby's `archMap` entry: a native architecture and the compat ones that come with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchMapEntry {
    pub architecture: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub sub_architectures: Vec<String>,
}

/// An OCI runtime-spec seccomp profile (`linux.seccomp` in `config.json`, or a file the
/// kubelet hands to the runtime), plus moby's profile-file extensions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub default_action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_errno_ret: Option<u32>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub architectures: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub arch_map: Vec<ArchMapEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub flags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_metadata: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub syscalls: Vec<SyscallRule>,
    /// Fields Tailor does not interpret, kept so that parse → emit loses nothing.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// A profile that could not be read. `line`/`column` are 1-based positions in the text
/// (0 when unknown); `path` names the field, e.g. `syscalls[3].action`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    pub line: usize,
    pub column: usize,
    pub path: String,
    pub message: String,
}

/// `LINE:COLUMN: path: message`, each part only when known.
impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: ", self.line, self.column)?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl Error {
    pub(crate) fn at(line: usize, column: usize, message: impl Into<String>) -> Error {
        Error {
            line,
            column,
            path: String::new(),
            message: message.into(),
        }
    }
}

fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

impl Profile {
    /// The profile Tailor writes for a recorded or imported set of syscalls: everything else
    /// fails with `EPERM`, on `arch` and its compat sub-architectures, one sorted allow rule.
    pub fn allow_list(arch: Arch, names: impl IntoIterator<Item = String>) -> Profile {
        let mut architectures = vec![arch.oci_name().to_string()];
        architectures.extend(arch.sub_architectures().iter().map(|name| name.to_string()));
        Profile {
            default_action: Action::Errno,
            default_errno_ret: Some(EPERM),
            architectures,
            arch_map: Vec::new(),
            flags: Vec::new(),
            listener_path: None,
            listener_metadata: None,
            syscalls: vec![SyscallRule::new(Action::Allow, names)],
            other: BTreeMap::new(),
        }
    }

    /// Reads an OCI/moby JSON profile. Also accepts a whole OCI `config.json` (the profile is
    /// then `linux.seccomp`).
    pub fn from_oci_json(text: &str) -> Result<Profile, Error> {
        let value: Value = serde_json::from_str(text)
            .map_err(|err| Error::at(err.line(), err.column(), strip_position(&err.to_string())))?;
        if value.get("ociVersion").is_some() {
            let seccomp = value.pointer("/linux/seccomp").cloned().ok_or_else(|| Error {
                line: 1,
                column: 1,
                path: "linux.seccomp".to_string(),
                message: "this OCI config.json has no seccomp profile".to_string(),
            })?;
            return Profile::from_value(seccomp);
        }
        // Read the text itself (not the value) so a wrong field comes with its line.
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let profile: Profile = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| Error {
            line: err.inner().line(),
            column: err.inner().column(),
            path: err.path().to_string(),
            message: strip_position(&err.inner().to_string()),
        })?;
        profile.normalized()
    }

    /// Reads a profile from an already-parsed JSON value (the OCI object, or an SPO CRD's
    /// `spec`).
    pub fn from_value(value: Value) -> Result<Profile, Error> {
        Profile::from_value_at(&value, |_| None)
    }

    /// [`Profile::from_value`], with `locate` giving the line and column of a field path
    /// such as `syscalls[3].action` (e.g. in the YAML the value was read from).
    pub(crate) fn from_value_at(
        value: &Value,
        locate: impl Fn(&str) -> Option<(usize, usize)>,
    ) -> Result<Profile, Error> {
        let located = |path: String, message: String| {
            let (line, column) = locate(&path).unwrap_or((0, 0));
            Error {
                line,
                column,
                path,
                message,
            }
        };
        let profile: Profile = serde_path_to_error::deserialize(value)
            .map_err(|err| located(err.path().to_string(), strip_position(&err.inner().to_string())))?;
        profile.normalized().map_err(|err| located(err.path, err.message))
    }

    /// Folds legacy `name` into `names`, sorts and deduplicates names; refuses nameless rules.
    fn normalized(mut self) -> Result<Profile, Error> {
        for (index, rule) in self.syscalls.iter_mut().enumerate() {
            if let Some(name) = rule.name.take() {
                rule.names.push(name);
            }
            rule.names.sort();
            rule.names.dedup();
            if rule.names.is_empty() {
                return Err(Error {
                    line: 0,
                    column: 0,
                    path: format!("syscalls[{index}]"),
                    message: "a rule needs `names` (or the legacy `name`)".to_string(),
                });
            }
        }
        Ok(self)
    }

    /// The OCI runtime-spec JSON: pretty, two-space indent, newline-terminated, fields in the
    /// spec's order. Same profile, same bytes.
    pub fn to_oci_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a profile always serializes");
        text.push('\n');
        text
    }

    /// The architectures the profile lists, as Tailor knows them (unknown names skipped).
    pub fn arches(&self) -> Vec<Arch> {
        let mut arches: Vec<Arch> = self
            .architectures
            .iter()
            .filter_map(|name| Arch::from_name(name))
            .collect();
        arches.extend(
            self.arch_map
                .iter()
                .filter_map(|entry| Arch::from_name(&entry.architecture)),
        );
        arches.sort();
        arches.dedup();
        arches
    }

    /// The architecture the profile is about: the first native one it lists (a compat
    /// sub-architecture only when nothing else is listed), else Tailor's own.
    pub fn primary_arch(&self) -> Arch {
        let listed: Vec<Arch> = self
            .architectures
            .iter()
            .filter_map(|name| Arch::from_name(name))
            .collect();
        let is_compat = |arch: &Arch| {
            Arch::ALL
                .iter()
                .any(|native| native.sub_architectures().contains(&arch.oci_name()))
        };
        listed
            .iter()
            .copied()
            .find(|arch| !is_compat(arch))
            .or_else(|| listed.first().copied())
            .or_else(|| {
                self.arch_map
                    .first()
                    .and_then(|entry| Arch::from_name(&entry.architecture))
            })
            .or_else(Arch::native)
            .unwrap_or(Arch::X86_64)
    }

    /// Every name any rule mentions, sorted.
    pub fn mentioned_names(&self) -> BTreeSet<&str> {
        self.syscalls
            .iter()
            .flat_map(|rule| rule.names.iter().map(String::as_str))
            .collect()
    }

    /// What the profile lets run on `arch` for a process holding `caps` (capability names
    /// normalized with [`normalize_capability`]).
    pub fn effective(&self, arch: Arch, caps: &BTreeSet<String>) -> Effective {
        let caps: BTreeSet<String> = caps.iter().map(|cap| normalize_capability(cap)).collect();
        let mut runs = BTreeSet::new();
        let mut conditional = BTreeSet::new();
        let mut stopped = BTreeSet::new();
        let mut stopped_conditionally = BTreeSet::new();
        for rule in self.syscalls.iter().filter(|rule| rule.applies(arch, &caps)) {
            let (always, sometimes) = if rule.action.lets_syscall_run() {
                (&mut runs, &mut conditional)
            } else {
                (&mut stopped, &mut stopped_conditionally)
            };
            let target = if rule.args.is_empty() { always } else { sometimes };
            target.extend(rule.names.iter().cloned());
        }
        let allowed: BTreeSet<String> = if self.default_action.lets_syscall_run() {
            let everything = arch.syscall_names().into_iter().map(str::to_string);
            everything.chain(runs).filter(|name| !stopped.contains(name)).collect()
        } else {
            runs
        };
        let conditional = if self.default_action.lets_syscall_run() {
            stopped_conditionally
                .into_iter()
                .filter(|name| allowed.contains(name))
                .collect()
        } else {
            conditional.into_iter().filter(|name| !allowed.contains(name)).collect()
        };
        Effective { allowed, conditional }
    }
}

/// What runs under a profile for one architecture and capability set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effective {
    /// Runs whatever the arguments.
    pub allowed: BTreeSet<String>,
    /// Runs for some arguments only (an argument condition decides), not in `allowed`, or in
    /// `allowed` but refused for some arguments when the default lets everything run.
    pub conditional: BTreeSet<String>,
}

/// serde_json appends " at line L column C": Tailor reports positions in its own fields.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn allow_list_is_sorted_deterministic_and_eperm() {
        let a = Profile::allow_list(Arch::X86_64, names(&["write", "read", "exit_group", "read"]));
        let b = Profile::allow_list(Arch::X86_64, names(&["exit_group", "read", "write"]));
        assert_eq!(a.to_oci_json(), b.to_oci_json());
        let value: Value = serde_json::from_str(&a.to_oci_json()).unwrap();
        assert_eq!(value["defaultAction"], "SCMP_ACT_ERRNO");
        assert_eq!(value["defaultErrnoRet"], 1);
        assert_eq!(value["architectures"][0], "SCMP_ARCH_X86_64");
        assert_eq!(
            value["syscalls"][0]["names"],
            serde_json::json!(["exit_group", "read", "write"])
        );
        assert_eq!(value["syscalls"][0]["action"], "SCMP_ACT_ALLOW");
        assert_eq!(value["syscalls"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn round_trip_keeps_everything() {
        let profile = Profile::allow_list(Arch::Aarch64, names(&["read", "write"]));
        let again = Profile::from_oci_json(&profile.to_oci_json()).unwrap();
        assert_eq!(profile, again);
        assert_eq!(profile.to_oci_json(), again.to_oci_json());
    }

    #[test]
    fn legacy_name_and_unknown_fields() {
        let text = r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":null,"comment":"x",
            "syscalls":[{"name":"read","action":"SCMP_ACT_ALLOW","args":null,"x-note":"kept"}]}"#;
        let profile = Profile::from_oci_json(text).unwrap();
        assert_eq!(profile.syscalls[0].names, names(&["read"]));
        assert_eq!(profile.other["comment"], "x");
        let emitted = profile.to_oci_json();
        assert!(emitted.contains("\"comment\": \"x\""));
        assert!(!emitted.contains("\"name\""));
        assert!(emitted.contains("\"x-note\": \"kept\""), "{emitted}");
    }

    #[test]
    fn bad_input_names_the_place() {
        let err =
            Profile::from_oci_json("{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [\n}").unwrap_err();
        assert_eq!(err.line, 4, "{err}");
        let err = Profile::from_oci_json(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOPE"}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.path, "syscalls[0].action", "{err}");
        assert!(err.message.contains("SCMP_ACT_NOPE"), "{err}");
        let err =
            Profile::from_oci_json(r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"action":"SCMP_ACT_ALLOW"}]}"#)
                .unwrap_err();
        assert_eq!(err.path, "syscalls[0]", "{err}");
    }

    #[test]
    fn effective_follows_includes_excludes_and_args() {
        let text = r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[
            {"names":["read"],"action":"SCMP_ACT_ALLOW"},
            {"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
            {"names":["arch_prctl"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["amd64"]}},
            {"names":["sync_file_range2"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["arm64"]}},
            {"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_MASKED_EQ"}],"excludes":{"caps":["CAP_SYS_ADMIN"]}},
            {"names":["clone"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}}
        ]}"#;
        let profile = Profile::from_oci_json(text).unwrap();
        let none = profile.effective(Arch::X86_64, &BTreeSet::new());
        assert_eq!(
            none.allowed,
            ["arch_prctl", "read"].iter().map(|s| s.to_string()).collect()
        );
        assert_eq!(none.conditional, ["clone".to_string()].into_iter().collect());
        let admin = profile.effective(Arch::X86_64, &["sys_admin".to_string()].into_iter().collect());
        assert!(admin.allowed.contains("mount") && admin.allowed.contains("clone"));
        assert!(admin.conditional.is_empty());
        let arm = profile.effective(Arch::Aarch64, &BTreeSet::new());
        assert!(arm.allowed.contains("sync_file_range2") && !arm.allowed.contains("arch_prctl"));
    }

    #[test]
    fn permissive_default_allows_the_whole_table_minus_denials() {
        let text =
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mount","bpf"],"action":"SCMP_ACT_ERRNO"}]}"#;
        let profile = Profile::from_oci_json(text).unwrap();
        let effective = profile.effective(Arch::X86_64, &BTreeSet::new());
        assert!(effective.allowed.contains("read"));
        assert!(!effective.allowed.contains("mount") && !effective.allowed.contains("bpf"));
        assert_eq!(effective.allowed.len(), Arch::X86_64.syscall_names().len() - 2);
    }
}
