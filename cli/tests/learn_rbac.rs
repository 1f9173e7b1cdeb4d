//! `tailor learn rbac` on the audit corpus (`../shared/corpus/audit`), round trip: the roles
//! learned for each subject replay that subject's requests 100% allowed (by RBAC alone, without
//! the `system:masters` bypass), grant exactly the verbs × resources it used and no more, and
//! are valid RBAC that the API server would neither reject nor ignore.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::{corpus_path, tailor, temp_dir};
use serde_json::Value;
use tailor_kube::k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};

/// The corpus events, read independently of tailor: one JSON object per line; lines that are
/// not audit events (the malformed fixture, the audit Policy) are left out.
fn corpus_events(dir: &Path) -> Vec<Value> {
    let mut events = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            if let Ok(event) = serde_json::from_str::<Value>(line) {
                if event["verb"].is_string() && event["user"]["username"].is_string() {
                    events.push(event);
                }
            }
        }
    }
    events
}

/// The user the request acted as.
fn requester(event: &Value) -> &str {
    event["impersonatedUser"]["username"]
        .as_str()
        .or(event["user"]["username"].as_str())
        .unwrap()
}

/// `verb group resource` or `verb URL` of a request.
fn need(event: &Value) -> String {
    let verb = event["verb"].as_str().unwrap();
    let object = &event["objectRef"];
    match object["resource"].as_str() {
        Some(resource) => {
            let group = object["apiGroup"]
                .as_str()
                .or_else(|| {
                    object["apiVersion"]
                        .as_str()
                        .and_then(|v| v.split_once('/'))
                        .map(|(g, _)| g)
                })
                .unwrap_or("");
            let resource = match object["subresource"].as_str() {
                Some(sub) => format!("{resource}/{sub}"),
                None => resource.to_owned(),
            };
            format!("{verb} {group} {resource}")
        }
        None => {
            let uri = event["requestURI"].as_str().unwrap();
            format!("{verb} {}", uri.split('?').next().unwrap())
        }
    }
}

/// Every `verb group resource` / `verb URL` a rule grants (its cartesian product).
fn grants(rule: &PolicyRule) -> Vec<String> {
    let mut out = Vec::new();
    for verb in &rule.verbs {
        for group in rule.api_groups.iter().flatten() {
            for resource in rule.resources.iter().flatten() {
                out.push(format!("{verb} {group} {resource}"));
            }
        }
        for url in rule.non_resource_urls.iter().flatten() {
            out.push(format!("{verb} {url}"));
        }
    }
    out
}

/// The flag that selects `username`.
fn subject_args(username: &str) -> Vec<String> {
    match username.strip_prefix("system:serviceaccount:") {
        Some(account) => vec!["--serviceaccount".into(), account.into()],
        None => vec!["--user".into(), username.into()],
    }
}

/// Checks what the API server would reject or ignore; returns the rules by role.
fn validate(objects: &[Value]) -> Vec<Vec<PolicyRule>> {
    let mut roles = Vec::new();
    let mut bindings = Vec::new();
    for object in objects {
        assert_eq!(object["apiVersion"], "rbac.authorization.k8s.io/v1");
        let kind = object["kind"].as_str().unwrap();
        match kind {
            "Role" => {
                let role: Role = serde_json::from_value(object.clone()).unwrap();
                let namespace = role.metadata.namespace.clone();
                assert!(namespace.is_some(), "a Role has a namespace");
                let rules = role.rules.unwrap();
                for rule in &rules {
                    assert!(
                        rule.non_resource_urls.is_none(),
                        "a Role with nonResourceURLs is rejected"
                    );
                    for resource in rule.resources.iter().flatten() {
                        let base = resource.split('/').next().unwrap();
                        for group in rule.api_groups.iter().flatten() {
                            assert_ne!(
                                tailor_audit::resources::scope(group, base),
                                Some(tailor_audit::resources::ResourceScope::Cluster),
                                "a Role's rule on the cluster-scoped {resource} is ignored"
                            );
                        }
                    }
                }
                roles.push(("Role".to_owned(), namespace, role.metadata.name.unwrap(), rules));
            }
            "ClusterRole" => {
                let role: ClusterRole = serde_json::from_value(object.clone()).unwrap();
                roles.push((
                    "ClusterRole".to_owned(),
                    None,
                    role.metadata.name.unwrap(),
                    role.rules.unwrap(),
                ));
            }
            "RoleBinding" => {
                let binding: RoleBinding = serde_json::from_value(object.clone()).unwrap();
                bindings.push((binding.metadata.namespace, binding.role_ref, binding.subjects.unwrap()));
            }
            "ClusterRoleBinding" => {
                let binding: ClusterRoleBinding = serde_json::from_value(object.clone()).unwrap();
                bindings.push((None, binding.role_ref, binding.subjects.unwrap()));
            }
            other => panic!("unexpected kind {other}"),
        }
    }
    for (_, _, _, rules) in &roles {
        assert!(!rules.is_empty());
        for rule in rules {
            assert!(!rule.verbs.is_empty(), "a rule needs verbs");
            let resources = rule.resources.as_ref().is_some_and(|r| !r.is_empty());
            let urls = rule.non_resource_urls.as_ref().is_some_and(|u| !u.is_empty());
            assert!(
                resources != urls,
                "a rule holds resources or URLs, not both nor neither: {rule:?}"
            );
            if resources {
                assert!(
                    rule.api_groups.as_ref().is_some_and(|g| !g.is_empty()),
                    "resource rules need apiGroups"
                );
            }
            if rule.resource_names.is_some() {
                for verb in &rule.verbs {
                    assert!(
                        !["create", "list", "watch", "deletecollection"].contains(&verb.as_str()),
                        "resourceNames never apply to {verb}"
                    );
                }
            }
        }
    }
    // Each binding refers to a role emitted beside it, in its namespace; URLs only through a
    // ClusterRoleBinding.
    for (namespace, role_ref, subjects) in &bindings {
        assert_eq!(subjects.len(), 1);
        let role = roles
            .iter()
            .find(|(kind, ns, name, _)| {
                kind == &role_ref.kind && name == &role_ref.name && (kind == "ClusterRole" || ns == namespace)
            })
            .unwrap_or_else(|| panic!("binding to a missing role {role_ref:?}"));
        if namespace.is_some() {
            assert!(
                role.3.iter().all(|r| r.non_resource_urls.is_none()),
                "URLs through a RoleBinding are ignored"
            );
        }
    }
    roles.into_iter().map(|(_, _, _, rules)| rules).collect()
}

#[test]
fn learned_roles_replay_their_log_fully_allowed_and_grant_nothing_more() {
    let Some(audit) = corpus_path("audit") else { return };
    let events = corpus_events(&audit);
    let mut by_subject: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for event in &events {
        by_subject.entry(requester(event)).or_default().push(event);
    }
    assert!(by_subject.len() >= 5, "{:?}", by_subject.keys());
    let dir = temp_dir("round-trip");
    let mut subjects_checked = 0;
    for (username, events) in &by_subject {
        let mut learn = vec![
            "learn".to_owned(),
            "rbac".into(),
            "--audit-log".into(),
            audit.display().to_string(),
        ];
        learn.extend(subject_args(username));
        let yaml = tailor(&learn);
        assert_eq!(yaml.status.code(), Some(0), "{}", String::from_utf8_lossy(&yaml.stderr));
        let mut json_args = learn.clone();
        json_args.extend(["-o".into(), "json".into()]);
        let list = common::json(&tailor(&json_args));
        assert_eq!(
            (list["apiVersion"].as_str(), list["kind"].as_str()),
            (Some("v1"), Some("List"))
        );
        let objects = list["items"].as_array().unwrap();

        // The YAML reads back as the JSON objects.
        let yaml_text = String::from_utf8(yaml.stdout).unwrap();
        let from_yaml: Vec<Value> = tailor_manifest::parse_stream(&yaml_text)
            .into_iter()
            .map(|d| d.unwrap().value)
            .collect();
        assert_eq!(&from_yaml, objects, "{username}: YAML and JSON differ");

        // Valid RBAC, and exactly the verbs × resources the subject used.
        let roles = validate(objects);
        let granted: BTreeSet<String> = roles.iter().flat_map(|rules| rules.iter().flat_map(grants)).collect();
        let used: BTreeSet<String> = events.iter().map(|e| need(e)).collect();
        assert_eq!(
            granted, used,
            "{username}: granted verbs × resources differ from those used"
        );

        // Replayed by RBAC alone: every request of the subject is allowed.
        let rbac_file = dir.join(format!("{subjects_checked}.yaml"));
        std::fs::write(&rbac_file, &yaml_text).unwrap();
        let mut replay = vec![
            "rbac".to_owned(),
            "replay".into(),
            "--rbac-only".into(),
            "--audit-log".into(),
            audit.display().to_string(),
        ];
        replay.extend(["--rbac".into(), rbac_file.display().to_string()]);
        replay.extend(subject_args(username));
        let output = tailor(&replay);
        let verdicts: Vec<Value> = String::from_utf8(output.stdout.clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(verdicts.len(), events.len(), "{username}: one verdict per event");
        let denied: Vec<&Value> = verdicts.iter().filter(|v| v["allowed"] != true).collect();
        assert!(denied.is_empty(), "{username}: denied {denied:?}");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(verdicts
            .iter()
            .all(|v| v["granted_by"]["binding"].as_str().unwrap().contains("tailor:learned:")));
        subjects_checked += 1;
    }
    assert_eq!(subjects_checked, by_subject.len());
}

#[test]
fn the_same_roles_deny_other_subjects_and_name_restricted_rules_deny_other_objects() {
    let Some(demo) = corpus_path("audit/liggitt__audit2rbac/testdata/demo.log") else {
        return;
    };
    let dir = temp_dir("deny");
    let learned = tailor(&["learn", "rbac", "--audit-log", demo.to_str().unwrap(), "--user", "bob"]);
    let rbac = dir.join("bob.yaml");
    std::fs::write(&rbac, &learned.stdout).unwrap();
    // alice's requests are not bob's: replayed against bob's roles they are denied, exit 1.
    let output = tailor(&[
        "rbac",
        "replay",
        "--audit-log",
        demo.to_str().unwrap(),
        "--rbac",
        rbac.to_str().unwrap(),
        "--user",
        "alice",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.lines().count() > 0 && text.lines().all(|l| l.contains("\"allowed\":false")),
        "{text}"
    );
}

#[test]
fn standard_input_and_gzip_give_the_same_roles_as_the_file() {
    let Some(demo) = corpus_path("audit/liggitt__audit2rbac/testdata/demo.log") else {
        return;
    };
    let from_file = tailor(&[
        "learn",
        "rbac",
        "--audit-log",
        demo.to_str().unwrap(),
        "--user",
        "alice",
    ]);
    assert_eq!(from_file.status.code(), Some(0));
    assert!(!from_file.stdout.is_empty());
    let text = std::fs::read_to_string(&demo).unwrap();
    let from_stdin = common::tailor_stdin(&["learn", "rbac", "--audit-log", "-", "--user", "alice"], &text);
    assert_eq!(from_stdin.stdout, from_file.stdout);
    let gz = temp_dir("gzip").join("demo.log.gz");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -c {} > {}", demo.display(), gz.display()))
        .status()
        .unwrap();
    assert!(status.success());
    let from_gzip = tailor(&["learn", "rbac", "--audit-log", gz.to_str().unwrap(), "--user", "alice"]);
    assert_eq!(from_gzip.stdout, from_file.stdout);
}
