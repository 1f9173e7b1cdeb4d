//! `deploy/rbac/`: the ClusterRole grants exactly what `tailor check --cluster` reads (get and
//! list on `tailor_cluster::resources::READ`, nothing else), the namespaced variant the same
//! within one namespace, and the in-cluster CronJob passes `tailor check --level restricted`.

mod common;

use std::collections::BTreeSet;

use serde_json::Value;
use tailor_cluster::resources::READ;

/// Every (apiGroup, resource, verb, resourceNames) a Role or ClusterRole of `file` grants.
fn grants(file: &str, kind: &str) -> BTreeSet<(String, String, String, Vec<String>)> {
    let text = std::fs::read_to_string(common::repo_root().join(file)).unwrap();
    let mut grants = BTreeSet::new();
    for document in tailor_manifest::parse_stream(&text) {
        let document = document.unwrap();
        let role = &document.value;
        if role["kind"] != kind {
            continue;
        }
        for rule in role["rules"].as_array().unwrap() {
            let strings = |key: &str| -> Vec<String> {
                rule[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect()
            };
            for group in strings("apiGroups") {
                for resource in strings("resources") {
                    for verb in strings("verbs") {
                        grants.insert((group.clone(), resource.clone(), verb, strings("resourceNames")));
                    }
                }
            }
        }
    }
    grants
}

fn read_set(
    filter: impl Fn(&tailor_cluster::resources::Resource) -> bool,
) -> BTreeSet<(String, String, String, Vec<String>)> {
    READ.iter()
        .filter(|r| filter(r))
        .flat_map(|r| {
            ["get", "list"].map(|verb| (r.group.to_owned(), r.plural.to_owned(), verb.to_owned(), Vec::new()))
        })
        .collect()
}

#[test]
fn the_cluster_role_grants_get_and_list_on_exactly_the_kinds_read() {
    assert_eq!(
        grants("deploy/rbac/clusterrole.yaml", "ClusterRole"),
        read_set(|_| true)
    );
}

#[test]
fn the_namespaced_variant_reads_one_namespace_and_the_rbac_that_reaches_into_it() {
    let file = "deploy/rbac/namespaced/role.yaml";
    assert_eq!(grants(file, "Role"), read_set(|r| r.namespaced));
    let cluster_wide = grants(file, "ClusterRole");
    let namespace_get = (
        String::new(),
        "namespaces".to_owned(),
        "get".to_owned(),
        vec!["team-a".to_owned()],
    );
    assert!(cluster_wide.contains(&namespace_get));
    let rbac = read_set(|r| !r.namespaced && r.group == "rbac.authorization.k8s.io");
    assert_eq!(cluster_wide.len(), rbac.len() + 1);
    assert!(rbac.is_subset(&cluster_wide));
}

#[test]
fn no_grant_reads_secrets_watches_or_execs() {
    for (file, kind) in [
        ("deploy/rbac/clusterrole.yaml", "ClusterRole"),
        ("deploy/rbac/namespaced/role.yaml", "Role"),
        ("deploy/rbac/namespaced/role.yaml", "ClusterRole"),
    ] {
        for (group, resource, verb, _) in grants(file, kind) {
            assert!(["get", "list"].contains(&verb.as_str()), "{file}: {verb} on {resource}");
            assert!(
                resource != "secrets" && !resource.contains('/') && resource != "*",
                "{file}: {resource}"
            );
            assert!(group != "*", "{file}");
        }
    }
}

#[test]
fn the_in_cluster_deployment_passes_restricted() {
    let output = common::tailor(&[
        "check",
        "--level",
        "restricted",
        "--fail-on",
        "info",
        "deploy/rbac",
        "-o",
        "json",
    ]);
    let report = common::json(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "no finding at all: {}",
        report["findings"]
    );
    let cronjob = common::object(&report, "CronJob", "tailor-check");
    assert_eq!(cronjob["pss"]["level"], "restricted");
    assert_eq!(report["summary"]["objects"], Value::from(12));
}
