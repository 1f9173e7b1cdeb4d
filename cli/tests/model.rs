//! `tailor model` on real applications of the corpus: the Markdown security model is
//! snapshot-tested (reviewed by hand: `cargo insta review`), and the JSON model is checked
//! against the `tailor check` report of the same input.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use common::corpus;

/// `tailor ARGS...` run in the corpus, so that files are named relative to it.
fn tailor_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("tailor runs")
}

fn model_markdown(folder: &str) -> Option<String> {
    let corpus = corpus()?;
    let run = tailor_in(&corpus, &["model", folder]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    Some(String::from_utf8(run.stdout).unwrap())
}

#[test]
fn gpu_operator_model() {
    let Some(md) = model_markdown("NVIDIA__gpu-operator") else {
        return;
    };
    insta::assert_snapshot!("gpu_operator", md);
}

#[test]
fn falco_model() {
    let Some(md) = model_markdown("falcosecurity__deploy-kubernetes") else {
        return;
    };
    insta::assert_snapshot!("falco", md);
}

#[test]
fn microservices_demo_model() {
    let Some(md) = model_markdown("GoogleCloudPlatform__microservices-demo") else {
        return;
    };
    insta::assert_snapshot!("microservices_demo", md);
}

#[test]
fn the_json_model_agrees_with_the_check_report() {
    let Some(corpus) = corpus() else { return };
    for folder in [
        "NVIDIA__gpu-operator",
        "falcosecurity__deploy-kubernetes",
        "GoogleCloudPlatform__microservices-demo",
    ] {
        let model: Value =
            serde_json::from_slice(&tailor_in(&corpus, &["model", folder, "-o", "json"]).stdout).unwrap();
        let report: Value =
            serde_json::from_slice(&tailor_in(&corpus, &["check", folder, "-o", "json"]).stdout).unwrap();
        assert_eq!(model["schema"], "tailor.model/v1");
        let components = model["components"].as_array().unwrap();
        let workloads: Vec<&Value> = report["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o.get("pss").is_some())
            .collect();
        assert_eq!(
            components.len(),
            workloads.len(),
            "{folder}: one component per workload"
        );
        for (component, workload) in components.iter().zip(&workloads) {
            assert_eq!(component["name"], workload["name"]);
            assert_eq!(
                component["pss_level"], workload["pss"]["level"],
                "{folder} {}",
                component["name"]
            );
            // Every runtime-socket finding of the check shows in the model with its consequence.
            for finding in report["findings"].as_array().unwrap().iter().filter(|f| {
                f["rule"] == "TLR-runtime-socket"
                    && f["name"] == workload["name"]
                    && f["line"].as_u64() > workload["line"].as_u64()
            }) {
                let mounted = component["host_paths"].as_array().unwrap().iter().any(|h| {
                    h["gives"]
                        .as_str()
                        .is_some_and(|g| finding["message"].as_str().unwrap().ends_with(g))
                });
                assert!(mounted, "{folder} {}: {}", component["name"], finding["message"]);
            }
        }
    }
}

#[test]
fn falco_holds_the_runtime_sockets_and_its_cluster_role() {
    let Some(corpus) = corpus() else { return };
    let model: Value = serde_json::from_slice(
        &tailor_in(&corpus, &["model", "falcosecurity__deploy-kubernetes", "-o", "json"]).stdout,
    )
    .unwrap();
    let falco = model["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "falco" && c["kind"] == "DaemonSet")
        .expect("the falco DaemonSet");
    let sockets: Vec<&Value> = falco["host_paths"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["path"].as_str().unwrap().ends_with(".sock"))
        .collect();
    assert!(sockets.len() >= 3, "{sockets:?}");
    assert!(sockets
        .iter()
        .all(|h| h["gives"].as_str().unwrap().contains("privileged containers")));
    let grants = falco["rbac"].as_array().unwrap();
    assert!(grants
        .iter()
        .any(|g| g["via"].as_str().unwrap().starts_with("ClusterRoleBinding falco")
            && g["scope"] == "cluster-wide"
            && g["rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r.as_str().unwrap().contains("watch on nodes"))));
    assert!(falco["containers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["privileged"] == true));
}
