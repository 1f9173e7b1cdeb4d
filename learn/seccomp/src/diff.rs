//! What changed from profile A to profile B, syscall by syscall.
//!
//! Each syscall name gets a treatment in each profile: the actions of the rules naming it,
//! with their conditions (`SCMP_ACT_ALLOW`, `SCMP_ACT_ERRNO(38) excludes caps CAP_SYS_ADMIN`,
//! …). A name only B mentions is *added* (grouped by B's treatment), one only A mentions is
//! *removed* (grouped by A's), one both mention differently is *changed*. Names neither
//! mentions fall to the default action, reported once as a default-action change.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use crate::{Action, Profile, SyscallRule, EPERM};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// `[A's, B's]` default action, when they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_action: Option<[String; 2]>,
    pub architectures_added: Vec<String>,
    pub architectures_removed: Vec<String>,
    /// Treatment in B → names only B mentions.
    pub added: BTreeMap<String, Vec<String>>,
    /// Treatment in A → names only A mentions.
    pub removed: BTreeMap<String, Vec<String>>,
    pub changed: Vec<Change>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub name: String,
    pub from: Vec<String>,
    pub to: Vec<String>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        *self == Diff::default()
    }

    /// Human-readable: `+ name  (treatment)`, `- name`, `~ name: from -> to`.
    pub fn to_text(&self, a_label: &str, b_label: &str) -> String {
        let mut out = String::new();
        if self.is_empty() {
            let _ = writeln!(out, "{a_label} and {b_label} treat every syscall the same");
            return out;
        }
        let _ = writeln!(out, "--- {a_label}\n+++ {b_label}");
        if let Some([from, to]) = &self.default_action {
            let _ = writeln!(out, "~ default action: {from} -> {to}");
        }
        for arch in &self.architectures_added {
            let _ = writeln!(out, "+ architecture {arch}");
        }
        for arch in &self.architectures_removed {
            let _ = writeln!(out, "- architecture {arch}");
        }
        for (sign, groups) in [("+", &self.added), ("-", &self.removed)] {
            for (treatment, names) in groups {
                let _ = writeln!(out, "{sign} {treatment} ({}): {}", names.len(), names.join(" "));
            }
        }
        for change in &self.changed {
            let _ = writeln!(
                out,
                "~ {}: {} -> {}",
                change.name,
                change.from.join("; "),
                change.to.join("; ")
            );
        }
        let added: usize = self.added.values().map(Vec::len).sum();
        let removed: usize = self.removed.values().map(Vec::len).sum();
        let _ = writeln!(out, "{added} added, {removed} removed, {} changed", self.changed.len());
        out
    }
}

pub fn diff(a: &Profile, b: &Profile) -> Diff {
    let (treat_a, treat_b) = (treatments(a), treatments(b));
    let mut result = Diff::default();
    let (default_a, default_b) = (describe_default(a), describe_default(b));
    if default_a != default_b {
        result.default_action = Some([default_a, default_b]);
    }
    let arches_a: BTreeSet<&String> = a.architectures.iter().collect();
    let arches_b: BTreeSet<&String> = b.architectures.iter().collect();
    result.architectures_added = arches_b.difference(&arches_a).map(|s| s.to_string()).collect();
    result.architectures_removed = arches_a.difference(&arches_b).map(|s| s.to_string()).collect();
    for (name, in_b) in &treat_b {
        match treat_a.get(name) {
            None => result.added.entry(in_b.join("; ")).or_default().push(name.clone()),
            Some(in_a) if in_a != in_b => result.changed.push(Change {
                name: name.clone(),
                from: in_a.clone(),
                to: in_b.clone(),
            }),
            Some(_) => {}
        }
    }
    for (name, in_a) in &treat_a {
        if !treat_b.contains_key(name) {
            result.removed.entry(in_a.join("; ")).or_default().push(name.clone());
        }
    }
    result
}

fn describe_default(profile: &Profile) -> String {
    describe_action(profile.default_action, profile.default_errno_ret)
}

/// `SCMP_ACT_ERRNO(1)`: runtimes return `EPERM` for `SCMP_ACT_ERRNO` without an errno, so
/// no errno and 1 read the same.
fn describe_action(action: Action, errno: Option<u32>) -> String {
    match (action, errno) {
        (Action::Errno, errno) => format!("SCMP_ACT_ERRNO({})", errno.unwrap_or(EPERM)),
        (action, Some(errno)) => format!("{}({errno})", action.oci_name()),
        (action, None) => action.oci_name().to_string(),
    }
}

/// Name → the sorted descriptions of every rule naming it.
fn treatments(profile: &Profile) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for rule in &profile.syscalls {
        let description = describe(rule);
        for name in &rule.names {
            map.entry(name.clone()).or_default().insert(description.clone());
        }
    }
    map.into_iter()
        .map(|(name, set)| (name, set.into_iter().collect()))
        .collect()
}

/// `SCMP_ACT_ERRNO(38) if arg0 SCMP_CMP_EQ 8 includes caps CAP_SYS_ADMIN`.
pub fn describe(rule: &SyscallRule) -> String {
    let mut text = describe_action(rule.action, rule.errno_ret);
    for arg in &rule.args {
        let _ = write!(text, " if arg{} {} {}", arg.index, arg.op, arg.value);
        if arg.value_two != 0 {
            let _ = write!(text, " {}", arg.value_two);
        }
    }
    for (word, filter) in [("includes", &rule.includes), ("excludes", &rule.excludes)] {
        if !filter.arches.is_empty() {
            let _ = write!(text, " {word} arches {}", filter.arches.join(","));
        }
        if !filter.caps.is_empty() {
            let _ = write!(text, " {word} caps {}", filter.caps.join(","));
        }
        if let Some(kernel) = &filter.min_kernel {
            let _ = write!(text, " {word} kernel>={kernel}");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Arch;

    fn allow(names: &[&str]) -> Profile {
        Profile::allow_list(Arch::X86_64, names.iter().map(|n| n.to_string()))
    }

    #[test]
    fn added_removed_changed() {
        let a = allow(&["read", "write", "mount"]);
        let mut b = allow(&["read", "openat"]);
        b.syscalls.push(SyscallRule::new(Action::Errno, ["mount".to_string()]));
        let d = diff(&a, &b);
        assert_eq!(d.added["SCMP_ACT_ALLOW"], ["openat"]);
        assert_eq!(d.removed["SCMP_ACT_ALLOW"], ["write"]);
        assert_eq!(
            d.changed,
            [Change {
                name: "mount".into(),
                from: vec!["SCMP_ACT_ALLOW".into()],
                to: vec!["SCMP_ACT_ERRNO(1)".into()]
            }]
        );
        assert!(d.default_action.is_none());
        let text = d.to_text("a.json", "b.json");
        assert!(text.contains("+ SCMP_ACT_ALLOW (1): openat"), "{text}");
        assert!(text.contains("- SCMP_ACT_ALLOW (1): write"), "{text}");
        assert!(text.contains("~ mount: SCMP_ACT_ALLOW -> SCMP_ACT_ERRNO(1)"), "{text}");
    }

    #[test]
    fn errno_without_value_is_eperm() {
        let mut b = allow(&["read"]);
        b.default_errno_ret = None;
        assert!(diff(&allow(&["read"]), &b).is_empty());
    }

    #[test]
    fn same_profile_no_diff() {
        let d = diff(&allow(&["read"]), &allow(&["read"]));
        assert!(d.is_empty());
        assert!(d.to_text("a", "b").contains("the same"));
    }

    #[test]
    fn default_and_arch_changes() {
        let mut b = Profile::allow_list(Arch::Aarch64, ["read".to_string()]);
        b.default_action = Action::KillProcess;
        b.default_errno_ret = None;
        let d = diff(&allow(&["read"]), &b);
        assert_eq!(
            d.default_action,
            Some(["SCMP_ACT_ERRNO(1)".to_string(), "SCMP_ACT_KILL_PROCESS".to_string()])
        );
        assert_eq!(d.architectures_added, ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
        assert_eq!(
            d.architectures_removed,
            ["SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"]
        );
    }
}
