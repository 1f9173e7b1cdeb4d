//! Merging profiles recorded from replicas or from the containers of one pod: the result lets
//! run whatever any input let run, so no replica breaks under it.
//!
//! Semantics:
//! - names: a syscall one input allows unconditionally is allowed unconditionally; rules of
//!   the same shape (action, errno, conditions) are joined into one names list;
//! - conditional rules (arguments, `includes`/`excludes`) are kept as they are, deduplicated,
//!   except for names already allowed unconditionally (they would add nothing);
//! - a name refused unconditionally by one input and allowed by another is allowed (a note
//!   says so);
//! - default action: the strictest of the inputs wins (with a note when they differ), so that
//!   merging never turns "refuse what was not recorded" into "allow it"; the errno is the
//!   one of the first input that has the winning action;
//! - architectures, `archMap` and flags: union, in first-seen order; a note when the inputs
//!   disagree on architectures (a profile recorded on x86_64 says nothing about aarch64).

use std::collections::BTreeSet;

use crate::{Profile, SyscallRule};

/// A merged profile and what the merge had to decide.
#[derive(Clone, Debug)]
pub struct Merged {
    pub profile: Profile,
    /// One line per decision a reader should know about.
    pub notes: Vec<String>,
}

/// Merges `profiles` (at least one) in order; `labels` name them in notes (file names).
pub fn merge(profiles: &[Profile], labels: &[String]) -> Result<Merged, MergeError> {
    let first = profiles.first().ok_or(MergeError::Nothing)?;
    let label = |index: usize| {
        labels
            .get(index)
            .cloned()
            .unwrap_or_else(|| format!("profile {}", index + 1))
    };
    let mut notes = Vec::new();

    let strictest = profiles
        .iter()
        .map(|p| p.default_action)
        .max_by_key(|a| a.strictness())
        .expect("non-empty");
    let distinct: BTreeSet<&str> = profiles.iter().map(|p| p.default_action.oci_name()).collect();
    if distinct.len() > 1 {
        notes.push(format!(
            "default actions differ ({}): kept the strictest, {}, so nothing unrecorded is let through",
            distinct.into_iter().collect::<Vec<_>>().join(", "),
            strictest.oci_name()
        ));
    }
    let default_errno_ret = profiles
        .iter()
        .find(|p| p.default_action.strictness() == strictest.strictness())
        .and_then(|p| p.default_errno_ret);

    let mut merged = Profile {
        default_action: strictest,
        default_errno_ret,
        ..first.clone()
    };
    merged.syscalls.clear();
    for (index, profile) in profiles.iter().enumerate().skip(1) {
        if profile.architectures != first.architectures {
            notes.push(format!(
                "{} lists architectures [{}], {} lists [{}]: the merge lists both",
                label(0),
                first.architectures.join(", "),
                label(index),
                profile.architectures.join(", ")
            ));
        }
        push_unique(&mut merged.architectures, &profile.architectures);
        push_unique(&mut merged.flags, &profile.flags);
        for entry in &profile.arch_map {
            if !merged
                .arch_map
                .iter()
                .any(|have| have.architecture == entry.architecture)
            {
                merged.arch_map.push(entry.clone());
            }
        }
        for (key, value) in &profile.other {
            merged.other.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }

    let unconditionally_allowed: BTreeSet<&str> = profiles
        .iter()
        .flat_map(|p| &p.syscalls)
        .filter(|rule| rule.is_unconditional() && rule.action.lets_syscall_run())
        .flat_map(|rule| rule.names.iter().map(String::as_str))
        .collect();

    // Rules grouped by shape, in first-seen order: deterministic for a given input order.
    let mut groups: Vec<(SyscallRule, BTreeSet<String>)> = Vec::new();
    let mut overridden = BTreeSet::new();
    for rule in profiles.iter().flat_map(|p| &p.syscalls) {
        let keep: Vec<&String> = rule
            .names
            .iter()
            .filter(|name| {
                let already = unconditionally_allowed.contains(name.as_str());
                let redundant = already && !(rule.is_unconditional() && rule.action.lets_syscall_run());
                if redundant && !rule.action.lets_syscall_run() && rule.is_unconditional() {
                    overridden.insert((*name).clone());
                }
                !redundant
            })
            .collect();
        if keep.is_empty() {
            continue;
        }
        let shape = rule.shape();
        match groups.iter_mut().find(|(have, _)| *have == shape) {
            Some((_, names)) => names.extend(keep.into_iter().cloned()),
            None => groups.push((shape, keep.into_iter().cloned().collect())),
        }
    }
    // Runtimes refuse a filter that gives one syscall two unconditional actions: keep the
    // name in one rule only (the most permissive when one lets it run, else the strictest).
    let mut chosen: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for (index, (shape, names)) in groups.iter().enumerate() {
        if !shape.is_unconditional() {
            continue;
        }
        for name in names {
            let better = |current: usize| {
                let (now, new) = (&groups[current].0.action, &shape.action);
                if now.lets_syscall_run() || new.lets_syscall_run() {
                    new.strictness() < now.strictness()
                } else {
                    new.strictness() > now.strictness()
                }
            };
            match chosen.get(name) {
                Some(&current) if !better(current) => {}
                _ => {
                    chosen.insert(name.clone(), index);
                }
            }
        }
    }
    let mut doubled = BTreeSet::new();
    for (index, (shape, names)) in groups.iter_mut().enumerate() {
        if shape.is_unconditional() {
            names.retain(|name| {
                let keep = chosen[name] == index;
                if !keep {
                    doubled.insert(name.clone());
                }
                keep
            });
        }
    }
    groups.retain(|(_, names)| !names.is_empty());
    if !doubled.is_empty() {
        notes.push(format!(
            "given different actions by different inputs, kept one (the most permissive that lets it run, else the strictest): {}",
            doubled.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if !overridden.is_empty() {
        notes.push(format!(
            "refused by one input but allowed by another, now allowed: {}",
            overridden.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    merged.syscalls = groups
        .into_iter()
        .map(|(shape, names)| SyscallRule {
            names: names.into_iter().collect(),
            ..shape
        })
        .collect();
    Ok(Merged { profile: merged, notes })
}

fn push_unique(into: &mut Vec<String>, from: &[String]) {
    for item in from {
        if !into.contains(item) {
            into.push(item.clone());
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge: give at least one profile")]
    Nothing,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, Arch};

    fn allow(names: &[&str]) -> Profile {
        Profile::allow_list(Arch::X86_64, names.iter().map(|n| n.to_string()))
    }

    #[test]
    fn union_of_allowed_sorted_and_deterministic() {
        let merged = merge(&[allow(&["read", "write"]), allow(&["openat", "read"])], &[]).unwrap();
        assert_eq!(merged.profile.syscalls.len(), 1);
        assert_eq!(merged.profile.syscalls[0].names, ["openat", "read", "write"]);
        assert!(merged.notes.is_empty(), "{:?}", merged.notes);
        let again = merge(&[allow(&["openat", "read"]), allow(&["read", "write"])], &[]).unwrap();
        assert_eq!(merged.profile.to_oci_json(), again.profile.to_oci_json());
    }

    #[test]
    fn stricter_default_wins_and_allow_beats_refusal() {
        let mut logging = allow(&["read"]);
        logging.default_action = Action::Log;
        logging.default_errno_ret = None;
        logging
            .syscalls
            .push(SyscallRule::new(Action::Errno, ["mount".to_string()]));
        let merged = merge(&[logging, allow(&["mount"])], &["a".into(), "b".into()]).unwrap();
        assert_eq!(merged.profile.default_action, Action::Errno);
        assert_eq!(merged.profile.default_errno_ret, Some(1));
        assert_eq!(merged.profile.syscalls.len(), 1, "{:?}", merged.profile.syscalls);
        assert_eq!(merged.profile.syscalls[0].names, ["mount", "read"]);
        assert!(
            merged.notes.iter().any(|n| n.contains("default actions differ")),
            "{:?}",
            merged.notes
        );
        assert!(
            merged.notes.iter().any(|n| n.contains("now allowed: mount")),
            "{:?}",
            merged.notes
        );
    }

    #[test]
    fn one_unconditional_action_per_name() {
        let mut a = allow(&["read"]);
        a.syscalls.push(SyscallRule::new(Action::Errno, ["bpf".to_string()]));
        a.syscalls.push(SyscallRule::new(Action::Log, ["openat".to_string()]));
        let mut b = allow(&["read", "openat"]);
        b.syscalls
            .push(SyscallRule::new(Action::KillProcess, ["bpf".to_string()]));
        let merged = merge(&[a, b], &[]).unwrap();
        let rule_of = |name: &str| -> Vec<Action> {
            merged
                .profile
                .syscalls
                .iter()
                .filter(|r| r.names.iter().any(|n| n == name))
                .map(|r| r.action)
                .collect()
        };
        assert_eq!(rule_of("bpf"), [Action::KillProcess]);
        assert_eq!(rule_of("openat"), [Action::Allow]);
        assert_eq!(rule_of("read"), [Action::Allow]);
        assert!(
            merged.notes.iter().any(|n| n.contains("bpf, openat")),
            "{:?}",
            merged.notes
        );
    }

    #[test]
    fn architectures_union_with_note() {
        let arm = Profile::allow_list(Arch::Aarch64, ["read".to_string()]);
        let merged = merge(&[allow(&["read"]), arm], &[]).unwrap();
        assert!(merged.profile.architectures.contains(&"SCMP_ARCH_AARCH64".to_string()));
        assert!(merged.profile.architectures.contains(&"SCMP_ARCH_X86_64".to_string()));
        assert!(merged.notes.iter().any(|n| n.contains("architectures")));
    }

    #[test]
    fn nothing_is_an_error() {
        assert_eq!(merge(&[], &[]).unwrap_err(), MergeError::Nothing);
    }
}
