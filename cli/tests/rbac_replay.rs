//! `tailor rbac replay` and `tailor rbac unused`: the Kubernetes RBAC authorizer's semantics on
//! audited requests (wildcards, resourceNames, subresources, non-resource URLs, aggregation,
//! users, groups, impersonation), and the unused-permission report.

mod common;

use std::path::PathBuf;

use common::{tailor, temp_dir};
use serde_json::{json, Value};

const RBAC: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {example.com/aggregate-to-monitoring: "true"}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: metrics, labels: {example.com/aggregate-to-monitoring: "true"}}
rules:
- {apiGroups: [""], resources: [nodes/metrics], verbs: [get]}
- {nonResourceURLs: ["/metrics", "/debug/*"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: monitoring}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}
subjects: [{kind: ServiceAccount, name: prometheus, namespace: mon}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: app, namespace: ml}
rules:
- {apiGroups: [""], resources: [configmaps], resourceNames: [settings], verbs: [get, update]}
- {apiGroups: ["*"], resources: ["*/scale"], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: app, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: app}
subjects: [{kind: Group, name: "system:serviceaccounts:ml", apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: urls-through-rolebinding}
rules:
- {nonResourceURLs: ["/healthz"], verbs: [get]}
- {apiGroups: [""], resources: [pods], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: urls, namespace: ml}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: urls-through-rolebinding}
subjects: [{kind: Group, name: "system:authenticated", apiGroup: rbac.authorization.k8s.io}]
"#;

fn event(user: &str, groups: &[&str], verb: &str, object_ref: Option<Value>, uri: &str) -> Value {
    let mut event = json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "stage": "ResponseComplete",
        "verb": verb, "requestURI": uri, "user": {"username": user, "groups": groups},
        "responseStatus": {"code": 200}});
    if let Some(object_ref) = object_ref {
        event["objectRef"] = object_ref;
    }
    event
}

/// The log of `events` and the RBAC objects, in the test's own folder.
fn files(test: &str, events: &[Value]) -> (PathBuf, PathBuf) {
    let dir = temp_dir(test);
    let log = dir.join("audit.log");
    std::fs::write(&log, events.iter().map(|e| format!("{e}\n")).collect::<String>()).unwrap();
    let rbac = dir.join("rbac.yaml");
    std::fs::write(&rbac, RBAC).unwrap();
    (log, rbac)
}

fn lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const PROMETHEUS: &str = "system:serviceaccount:mon:prometheus";
const WORKER: &str = "system:serviceaccount:ml:worker";
const SA_GROUPS: [&str; 3] = [
    "system:serviceaccounts",
    "system:serviceaccounts:ml",
    "system:authenticated",
];

#[test]
fn replay_follows_the_rbac_authorizer() {
    let cases: Vec<(Value, bool)> = vec![
        // Aggregated ClusterRole, resource and non-resource rules, `*` suffix.
        (
            event(
                PROMETHEUS,
                &[],
                "get",
                Some(json!({"resource": "nodes", "subresource": "metrics", "name": "n1", "apiVersion": "v1"})),
                "/api/v1/nodes/n1/metrics",
            ),
            true,
        ),
        (event(PROMETHEUS, &[], "get", None, "/metrics?x=1"), true),
        (event(PROMETHEUS, &[], "get", None, "/debug/pprof/heap"), true),
        (event(PROMETHEUS, &[], "get", None, "/debugger"), false),
        (event(PROMETHEUS, &[], "post", None, "/metrics"), false),
        (
            event(
                PROMETHEUS,
                &[],
                "get",
                Some(json!({"resource": "nodes", "name": "n1", "apiVersion": "v1"})),
                "/api/v1/nodes/n1",
            ),
            false,
        ),
        // resourceNames: the named object only, never a list.
        (
            event(
                WORKER,
                &SA_GROUPS,
                "get",
                Some(json!({"resource": "configmaps", "namespace": "ml", "name": "settings", "apiVersion": "v1"})),
                "/x",
            ),
            true,
        ),
        (
            event(
                WORKER,
                &SA_GROUPS,
                "get",
                Some(json!({"resource": "configmaps", "namespace": "ml", "name": "other", "apiVersion": "v1"})),
                "/x",
            ),
            false,
        ),
        (
            event(
                WORKER,
                &SA_GROUPS,
                "list",
                Some(json!({"resource": "configmaps", "namespace": "ml", "apiVersion": "v1"})),
                "/x",
            ),
            false,
        ),
        // `*/scale` in any group, through the namespace's service-account group, in ml only.
        (
            event(
                WORKER,
                &SA_GROUPS,
                "patch",
                Some(
                    json!({"resource": "deployments", "subresource": "scale", "namespace": "ml", "name": "d", "apiGroup": "apps", "apiVersion": "v1"}),
                ),
                "/x",
            ),
            true,
        ),
        (
            event(
                WORKER,
                &SA_GROUPS,
                "patch",
                Some(
                    json!({"resource": "deployments", "subresource": "scale", "namespace": "other", "name": "d", "apiGroup": "apps", "apiVersion": "v1"}),
                ),
                "/x",
            ),
            false,
        ),
        (
            event(
                WORKER,
                &SA_GROUPS,
                "patch",
                Some(
                    json!({"resource": "deployments", "namespace": "ml", "name": "d", "apiGroup": "apps", "apiVersion": "v1"}),
                ),
                "/x",
            ),
            false,
        ),
        // A RoleBinding grants a ClusterRole's resources in its namespace, never its URLs.
        (
            event(
                "alice",
                &["system:authenticated"],
                "list",
                Some(json!({"resource": "pods", "namespace": "ml", "apiVersion": "v1"})),
                "/x",
            ),
            true,
        ),
        (
            event(
                "alice",
                &["system:authenticated"],
                "list",
                Some(json!({"resource": "pods", "apiVersion": "v1"})),
                "/x",
            ),
            false,
        ),
        (
            event("alice", &["system:authenticated"], "get", None, "/healthz"),
            false,
        ),
        // Without recorded groups, a user is still authenticated.
        (
            event(
                "carol",
                &[],
                "list",
                Some(json!({"resource": "pods", "namespace": "ml", "apiVersion": "v1"})),
                "/x",
            ),
            true,
        ),
    ];
    let mut events: Vec<Value> = cases.iter().map(|(e, _)| e.clone()).collect();
    // Impersonation: the impersonated service account is the subject, not the admin.
    let mut impersonated = event(
        "admin",
        &["system:masters", "system:authenticated"],
        "get",
        None,
        "/metrics",
    );
    impersonated["impersonatedUser"] = json!({"username": PROMETHEUS, "groups": ["system:serviceaccounts", "system:serviceaccounts:mon", "system:authenticated"]});
    events.push(impersonated);
    let mut impersonated_denied = event("admin", &["system:masters"], "get", None, "/healthz");
    impersonated_denied["impersonatedUser"] = json!({"username": "bob", "groups": ["system:authenticated"]});
    events.push(impersonated_denied);
    let expected: Vec<bool> = cases.iter().map(|(_, allowed)| *allowed).chain([true, false]).collect();

    let (log, rbac) = files("authorizer", &events);
    let output = tailor(&[
        "rbac",
        "replay",
        "--audit-log",
        log.to_str().unwrap(),
        "--rbac",
        rbac.to_str().unwrap(),
    ]);
    let verdicts = lines(&output.stdout);
    let allowed: Vec<bool> = verdicts.iter().map(|v| v["allowed"].as_bool().unwrap()).collect();
    for (i, (got, want)) in allowed.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "event {i}: {}", verdicts[i]);
    }
    assert_eq!(allowed.len(), expected.len());
    assert_eq!(output.status.code(), Some(1), "a denial exits 1");
    // The granting rule is named, traced to the role that declares it.
    assert_eq!(verdicts[0]["granted_by"]["binding"], "ClusterRoleBinding monitoring");
    assert_eq!(verdicts[0]["granted_by"]["role"], "ClusterRole metrics");
    assert_eq!(verdicts[0]["granted_by"]["rule"], 0);
    assert_eq!(verdicts[0]["line"], 1);
}

#[test]
fn system_masters_bypasses_rbac_unless_rbac_only() {
    let events = [event(
        "admin",
        &["system:masters"],
        "delete",
        Some(json!({"resource": "nodes", "name": "n1", "apiVersion": "v1"})),
        "/x",
    )];
    let (log, rbac) = files("masters", &events);
    let args = [
        "rbac",
        "replay",
        "--audit-log",
        log.to_str().unwrap(),
        "--rbac",
        rbac.to_str().unwrap(),
    ];
    let output = tailor(&args);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(lines(&output.stdout)[0]["granted_by"]["superuser"], true);
    let output = tailor(&[&args[..], &["--rbac-only"]].concat());
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn unused_lists_rules_never_used_per_subject_and_what_wildcards_were_used_for() {
    let events = [
        event(PROMETHEUS, &[], "get", None, "/metrics"),
        event(
            WORKER,
            &SA_GROUPS,
            "update",
            Some(
                json!({"resource": "statefulsets", "subresource": "scale", "namespace": "ml", "name": "s", "apiGroup": "apps"}),
            ),
            "/x",
        ),
    ];
    let (log, rbac) = files("unused", &events);
    let output = tailor(&[
        "rbac",
        "unused",
        "--audit-log",
        log.to_str().unwrap(),
        "--rbac",
        rbac.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = lines(&output.stdout);
    let subject = |name: &str| {
        report
            .iter()
            .find(|s| s["subject"]["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {report:?}"))
    };
    let prometheus = subject("mon/prometheus");
    let unused: Vec<&Value> = prometheus["unused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| &u["policy"])
        .collect();
    assert_eq!(
        unused,
        [&json!({"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]})]
    );
    // The URL rule with `/debug/*` was used (for /metrics): reported with what it was used for.
    let wildcards = prometheus["wildcards_used_for"].as_array().unwrap();
    assert_eq!(wildcards[0]["used_for"], json!(["get /metrics"]));
    let ml = subject("system:serviceaccounts:ml");
    assert_eq!(ml["unused"].as_array().unwrap().len(), 1, "the configmaps rule");
    assert_eq!(
        ml["wildcards_used_for"][0]["used_for"],
        json!(["update statefulsets.apps/scale -n ml"])
    );
}

#[test]
fn malformed_lines_are_reported_with_line_numbers_and_gzip_logs_are_read() {
    let good = event(
        "carol",
        &[],
        "list",
        Some(json!({"resource": "pods", "namespace": "ml", "apiVersion": "v1"})),
        "/x",
    );
    let dir = temp_dir("malformed");
    let text = format!("{good}\n{{\"kind\": 0}}\n{{truncated\n{good}\n");
    std::fs::write(dir.join("audit.log.1"), gzip(text.as_bytes())).unwrap();
    std::fs::write(dir.join("audit.log"), format!("{good}\n")).unwrap();
    let rbac = dir.join("rbac.yaml");
    std::fs::write(&rbac, RBAC).unwrap();
    let output = tailor(&[
        "rbac",
        "replay",
        "--audit-log",
        dir.to_str().unwrap(),
        "--rbac",
        rbac.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("audit.log.1:2: skipped"), "{stderr}");
    assert!(stderr.contains("audit.log.1:3: skipped"), "{stderr}");
    let verdicts = lines(&output.stdout);
    // The rotated file first, then the live one.
    let lines_read: Vec<(bool, u64)> = verdicts
        .iter()
        .map(|v| (v["file"].as_str().unwrap().ends_with(".1"), v["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(lines_read, [(true, 1), (true, 4), (false, 1)]);
    assert_eq!(output.status.code(), Some(0), "malformed lines are not fatal: {stderr}");
}

/// gzip by the system's `gzip`, so the test does not trust the reader's own encoder.
fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("gzip runs");
    child.stdin.take().unwrap().write_all(data).unwrap();
    child.wait_with_output().unwrap().stdout
}
