//! The patch that applies an injection [`Profile`] to a pod.
//!
//! The patched pod is computed on the raw JSON (unknown fields survive), then diffed into a
//! JSONPatch. Two properties hold by construction:
//! - **never loosening**: a field is written only when it is absent or looser than the
//!   profile (`allowPrivilegeEscalation: true`, `runAsNonRoot: false`, a seccomp profile of
//!   `Unconfined`, capability adds outside the profile); an explicit `RuntimeDefault` or
//!   `Localhost` seccomp profile is kept. Capability adds are only ever narrowed: when
//!   `drop: [ALL]` is injected, the profile's adds are kept only where the container runtime
//!   granted them by default anyway;
//! - **idempotent**: the patched pod already satisfies every condition, so a second pass (the
//!   API server's reinvocation) yields an empty patch.
//!
//! Privileged containers keep `allowPrivilegeEscalation` as is: API validation rejects
//! `privileged: true` with `allowPrivilegeEscalation: false`.

use serde_json::{json, Map, Value};

use crate::config::{Profile, Seccomp};

/// Capabilities container runtimes (containerd, CRI-O) grant by default: adding one of these
/// back after `drop: [ALL]` gives nothing the container did not have.
const RUNTIME_DEFAULT_CAPABILITIES: [&str; 14] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// The JSONPatch operations that apply `profile` to `pod` (a Pod object); empty when the pod
/// already satisfies it.
pub fn patch(pod: &Value, profile: &Profile) -> Vec<Value> {
    let mut patched = pod.clone();
    apply(&mut patched, profile);
    let mut ops = Vec::new();
    diff(pod, &patched, &mut String::new(), &mut ops);
    ops
}

/// Applies `profile` to `pod` in place.
pub fn apply(pod: &mut Value, profile: &Profile) {
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let desired_seccomp = profile.seccomp.as_ref().map(|s| match s {
        Seccomp::RuntimeDefault => json!({"type": "RuntimeDefault"}),
        Seccomp::Localhost(path) => json!({"type": "Localhost", "localhostProfile": path}),
    });
    if let Some(false) = profile.automount_service_account_token {
        if spec.get("automountServiceAccountToken") != Some(&Value::Bool(false)) {
            spec.insert("automountServiceAccountToken".into(), Value::Bool(false));
        }
    }
    {
        let had_context = spec.contains_key("securityContext");
        let pod_context = object_entry(spec, "securityContext");
        if let Some(desired) = &desired_seccomp {
            if pod_context.get("seccompProfile").is_none_or(unconfined) {
                pod_context.insert("seccompProfile".into(), desired.clone());
            }
        }
        if profile.run_as_non_root == Some(true) && pod_context.get("runAsNonRoot") != Some(&Value::Bool(true)) {
            pod_context.insert("runAsNonRoot".into(), Value::Bool(true));
        }
        if !had_context && pod_context.is_empty() {
            spec.remove("securityContext");
        }
    }
    for list in ["initContainers", "containers"] {
        let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for container in containers.iter_mut().filter_map(Value::as_object_mut) {
            apply_to_container(container, profile, desired_seccomp.as_ref());
        }
    }
}

fn apply_to_container(container: &mut Map<String, Value>, profile: &Profile, desired_seccomp: Option<&Value>) {
    let had_context = container.contains_key("securityContext");
    let context = object_entry(container, "securityContext");
    let privileged = context.get("privileged") == Some(&Value::Bool(true));
    if let Some(desired) = desired_seccomp {
        // Unset inherits the pod's (now set) profile; only an explicit Unconfined is replaced.
        if context.get("seccompProfile").is_some_and(unconfined) {
            context.insert("seccompProfile".into(), desired.clone());
        }
    }
    if profile.run_as_non_root == Some(true) && context.get("runAsNonRoot") == Some(&Value::Bool(false)) {
        context.insert("runAsNonRoot".into(), Value::Bool(true));
    }
    if profile.allow_privilege_escalation == Some(false)
        && !privileged
        && context.get("allowPrivilegeEscalation") != Some(&Value::Bool(false))
    {
        context.insert("allowPrivilegeEscalation".into(), Value::Bool(false));
    }
    if let Some(capabilities) = &profile.capabilities {
        let caps = object_entry(context, "capabilities");
        let names = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        let drop = names(caps.get("drop"));
        let add = names(caps.get("add"));
        let dropped_all = drop.iter().any(|d| d == "ALL");
        let allowed = |c: &String| capabilities.add.contains(c);
        let mut new_add: Vec<String> = add.iter().filter(|c| allowed(c)).cloned().collect();
        if !dropped_all {
            let mut new_drop = drop.clone();
            new_drop.push("ALL".into());
            caps.insert("drop".into(), json!(new_drop));
            // What the runtime granted before the drop, the profile may keep.
            for c in &capabilities.add {
                if !new_add.contains(c) && RUNTIME_DEFAULT_CAPABILITIES.contains(&c.as_str()) {
                    new_add.push(c.clone());
                }
            }
        }
        if new_add != add {
            if new_add.is_empty() {
                caps.remove("add");
            } else {
                caps.insert("add".into(), json!(new_add));
            }
        }
        if caps.is_empty() {
            context.remove("capabilities");
        }
    }
    if !had_context && context.is_empty() {
        container.remove("securityContext");
    }
}

fn unconfined(profile: &Value) -> bool {
    profile.get("type").and_then(Value::as_str) == Some("Unconfined")
}

/// `map[key]` as an object, created (or replacing a non-object) when needed.
fn object_entry<'m>(map: &'m mut Map<String, Value>, key: &str) -> &'m mut Map<String, Value> {
    let entry = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut().expect("just made an object")
}

/// RFC 6902 operations turning `old` into `new`: objects are diffed key by key, anything else
/// that differs is replaced whole.
fn diff(old: &Value, new: &Value, path: &mut String, ops: &mut Vec<Value>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, old_value) in a {
                let len = path.len();
                push_token(path, key);
                match b.get(key) {
                    None => ops.push(json!({"op": "remove", "path": path.as_str()})),
                    Some(new_value) if new_value != old_value => diff(old_value, new_value, path, ops),
                    Some(_) => {}
                }
                path.truncate(len);
            }
            for (key, new_value) in b {
                if !a.contains_key(key) {
                    let len = path.len();
                    push_token(path, key);
                    ops.push(json!({"op": "add", "path": path.as_str(), "value": new_value}));
                    path.truncate(len);
                }
            }
        }
        _ if old != new => ops.push(json!({"op": "replace", "path": path.as_str(), "value": new})),
        _ => {}
    }
}

/// Appends `/key` with JSON Pointer escaping (`~` → `~0`, `/` → `~1`).
fn push_token(path: &mut String, key: &str) {
    path.push('/');
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CapabilityProfile;

    fn profile() -> Profile {
        Profile {
            seccomp: Some(Seccomp::RuntimeDefault),
            capabilities: Some(CapabilityProfile {
                add: vec!["NET_BIND_SERVICE".into()],
            }),
            allow_privilege_escalation: Some(false),
            run_as_non_root: Some(true),
            automount_service_account_token: Some(false),
        }
    }

    fn patched(pod: &Value) -> Value {
        let mut p = pod.clone();
        let ops: json_patch::Patch = serde_json::from_value(json!(patch(pod, &profile()))).unwrap();
        json_patch::patch(&mut p, &ops).unwrap();
        p
    }

    #[test]
    fn fills_what_is_absent_and_is_idempotent() {
        let pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "x"}]}});
        let p = patched(&pod);
        assert_eq!(
            p["spec"]["securityContext"],
            json!({"seccompProfile": {"type": "RuntimeDefault"}, "runAsNonRoot": true})
        );
        assert_eq!(
            p["spec"]["containers"][0]["securityContext"],
            json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}})
        );
        assert_eq!(p["spec"]["automountServiceAccountToken"], json!(false));
        assert!(patch(&p, &profile()).is_empty());
    }

    #[test]
    fn tightens_loose_values_and_keeps_tight_ones() {
        let pod = json!({"spec": {
        "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "mine.json"}},
        "containers": [
            {"name": "a", "securityContext": {"allowPrivilegeEscalation": true, "runAsNonRoot": false,
              "seccompProfile": {"type": "Unconfined"}, "capabilities": {"add": ["SYS_ADMIN", "NET_BIND_SERVICE"]}}},
            {"name": "b", "securityContext": {"capabilities": {"drop": ["ALL"]}}},
            {"name": "c", "securityContext": {"privileged": true}}
        ]}});
        let p = patched(&pod);
        assert_eq!(
            p["spec"]["securityContext"]["seccompProfile"]["localhostProfile"],
            "mine.json"
        );
        let a = &p["spec"]["containers"][0]["securityContext"];
        assert_eq!(a["allowPrivilegeEscalation"], false);
        assert_eq!(a["runAsNonRoot"], true);
        assert_eq!(a["seccompProfile"]["type"], "RuntimeDefault");
        assert_eq!(a["capabilities"], json!({"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}));
        // Already dropping ALL without adds: the profile's add is not granted.
        assert_eq!(
            p["spec"]["containers"][1]["securityContext"]["capabilities"],
            json!({"drop": ["ALL"]})
        );
        assert!(p["spec"]["containers"][2]["securityContext"]
            .get("allowPrivilegeEscalation")
            .is_none());
        assert!(patch(&p, &profile()).is_empty());
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        let mut ops = Vec::new();
        diff(&json!({}), &json!({"a/b~c": 1}), &mut String::new(), &mut ops);
        assert_eq!(ops[0]["path"], "/a~1b~0c");
    }
}
